// Reporting in (双报到) end to end: an at-work party member reports in to the
// community where she lives, the secretary approves or declines, she moves,
// leaves and reports in again; and the public service board
// (亮身份、亮职务、亮电话) that shows who has reported in.

use std::collections::{HashMap, HashSet};

use crate::common::*;
use futures_util::future::join_all;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

macro_rules! report_in_fields {
    () => {
        "id status member { id } community { id name } workUnit partyBranch specialties publicPhone declineReason \
         createdAt decidedAt"
    };
}

const REPORT_IN: &str =
    concat!("mutation($input: ReportInInput!) { reportIn(input: $input) { ", report_in_fields!(), " } }");
const APPROVE: &str = concat!("mutation($id: ID!) { approveReportIn(reportInId: $id) { ", report_in_fields!(), " } }");
const DECLINE: &str = concat!(
    "mutation($id: ID!, $reason: String!) { declineReportIn(reportInId: $id, reason: $reason) { ",
    report_in_fields!(),
    " } }"
);
const LEAVE: &str = concat!("mutation($id: ID!) { leaveReportIn(reportInId: $id) { ", report_in_fields!(), " } }");
const MY_REPORT_INS: &str = concat!("{ myReportIns { ", report_in_fields!(), " } }");
const REPORT_INS: &str = concat!(
    "query($c: ID!, $status: ReportInStatus) { reportIns(communityId: $c, status: $status) { ",
    report_in_fields!(),
    " } }"
);
const BOARD: &str = "query($c: ID!) { serviceBoard(communityId: $c) { member { id displayName } workUnit partyBranch \
                     specialties posts publicPhone } }";
const ME: &str = "{ me { id memberships { community { id name } roles } } }";
const POSTS: &str = "query($c: ID!) { posts(communityId: $c) { id title capacity taken holders { id } } }";
const CLAIM_POST: &str = "mutation($id: ID!) { claimPost(postId: $id) { id title taken holders { id } } }";
const POOL: &str = "query($c: ID!) { orderPool(communityId: $c) { totalCount edges { node { id status } } } }";
const PLACE_ORDER: &str = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }";
const PUBLISH_ORDER: &str = "mutation($id: ID!) { dispatchOrder(orderId: $id) { id status } }";
const CLAIM_ORDER: &str = "mutation($id: ID!) { claimOrder(orderId: $id) { id status claimant { id } } }";
const POST_WISH: &str = "mutation($input: PostWishInput!) { postWish(input: $input) { id status } }";
const PUBLISH_WISH: &str = "mutation($id: ID!) { publishWish(wishId: $id) { id status } }";
const CLAIM_WISH: &str = "mutation($id: ID!) { claimWish(wishId: $id) { id status claimant { id } } }";

area_world!();

impl World {
    /// `reportIn` to `community` with a plausible unit and branch, overridden by `extra`.
    async fn try_report_in(&self, who: &str, community: &str, extra: Value) -> Value {
        let mut input = json!({
            "communityId": community,
            "workUnit": "雷山县人民医院",
            "partyBranch": "城南社区党总支第一支部",
            "specialties": ["健康咨询"],
        });
        if let Value::Object(extra) = extra {
            for (k, v) in extra {
                input[k] = v;
            }
        }
        self.gql(who, REPORT_IN, json!({ "input": input })).await
    }

    /// A report-in that must be accepted (PENDING); its id.
    async fn report_in(&self, who: &str, community: &str) -> String {
        let resp = self.try_report_in(who, community, json!({})).await;
        let report = payload(&resp);
        assert_eq!(report["status"], "PENDING", "{who} reporting in: {resp}");
        id(report)
    }

    /// The report-in decided by `who` (approve, decline with a reason, or leave); the raw response.
    async fn act(&self, who: &str, action: &str, report_in: &str) -> Value {
        let (query, vars) = match action {
            "approve" => (APPROVE, json!({ "id": report_in })),
            "decline" => (DECLINE, json!({ "id": report_in, "reason": "工作单位信息有误，请核实后重新报到" })),
            "leave" => (LEAVE, json!({ "id": report_in })),
            other => panic!("unknown action {other}"),
        };
        self.gql(who, query, vars).await
    }

    /// An action that must succeed and lead to `status`.
    async fn must(&self, who: &str, action: &str, report_in: &str, status: &str) -> Value {
        let resp = self.act(who, action, report_in).await;
        let report = payload(&resp).clone();
        assert_eq!(report["status"], status, "{who} {action} on {report_in}: {resp}");
        report
    }

    /// `who`'s report-ins as she sees them.
    async fn my_report_ins(&self, who: &str) -> Vec<Value> {
        let resp = self.gql(who, MY_REPORT_INS, json!({})).await;
        data(&resp, "myReportIns").as_array().unwrap().clone()
    }

    /// One of `who`'s report-ins, by id.
    async fn my_report_in(&self, who: &str, report_in: &str) -> Value {
        let mine = self.my_report_ins(who).await;
        mine.iter().find(|r| r["id"] == report_in).unwrap_or_else(|| panic!("{report_in} not in {mine:?}")).clone()
    }

    /// The id of the (seeded) approved report-in of `who` in `community`.
    async fn approved_report_in(&self, who: &str, community: &str) -> String {
        let mine = self.my_report_ins(who).await;
        let found = mine
            .iter()
            .find(|r| r["status"] == "APPROVED" && r["community"]["id"] == community)
            .unwrap_or_else(|| panic!("{who} has no approved report-in in {community}: {mine:?}"));
        id(found)
    }

    /// `who`'s roles in `community`, sorted (empty when she has none there).
    async fn roles(&self, who: &str, community: &str) -> Vec<String> {
        let resp = self.gql(who, ME, json!({})).await;
        let mut roles: Vec<String> = data(&resp, "me")["memberships"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["community"]["id"] == community)
            .flat_map(|m| m["roles"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_owned()))
            .collect();
        roles.sort();
        roles
    }

    /// The service board of `community` as `who` sees it.
    async fn board(&self, who: &str, community: &str) -> Vec<Value> {
        let resp = self.gql(who, BOARD, json!({ "c": community })).await;
        data(&resp, "serviceBoard").as_array().unwrap().clone()
    }

    /// The community's posts as the secretary sees them, by title.
    async fn posts(&self, community: &str) -> HashMap<String, Value> {
        let secretary = if community == self.chengbei().await { "demo-secretary-2" } else { "demo-secretary" };
        let resp = self.gql(secretary, POSTS, json!({ "c": community })).await;
        data(&resp, "posts")
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["title"].as_str().unwrap().to_owned(), p.clone()))
            .collect()
    }

    async fn post_id(&self, title: &str) -> String {
        id(&self.posts(&self.chengnan).await[title])
    }

    /// An order placed by demo-resident-1 and published to the pool by the secretary.
    async fn open_order(&self) -> String {
        let input = json!({
            "communityId": self.chengnan, "category": "REPAIR", "title": "水管漏水", "description": "厨房水管漏水",
        });
        let placed = self.gql("demo-resident-1", PLACE_ORDER, json!({ "input": input })).await;
        let order = id(payload(&placed));
        let open = self.gql("demo-secretary", PUBLISH_ORDER, json!({ "id": order })).await;
        assert_eq!(payload(&open)["status"], "OPEN");
        order
    }

    /// A wish posted by demo-resident-1 and published by the secretary.
    async fn published_wish(&self) -> String {
        let input = json!({ "communityId": self.chengnan, "title": "一个新书包", "story": "孙子开学要用" });
        let posted = self.gql("demo-resident-1", POST_WISH, json!({ "input": input })).await;
        let wish = id(payload(&posted));
        let published = self.gql("demo-secretary", PUBLISH_WISH, json!({ "id": wish })).await;
        assert_eq!(payload(&published)["status"], "PUBLISHED");
        wish
    }
}

fn ids(list: &[Value]) -> Vec<String> {
    list.iter().map(id).collect()
}

/// The board entry of `member`, if she is on the board.
fn entry<'a>(board: &'a [Value], member: &str) -> Option<&'a Value> {
    board.iter().find(|e| e["member"]["id"] == member)
}

fn holder_ids(post: &Value) -> Vec<String> {
    post["holders"].as_array().unwrap().iter().map(id).collect()
}

// ---------------------------------------------------------------------------
// Reporting in and the secretary's decision
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_newcomer_reports_in_and_once_approved_is_a_party_member_who_can_claim_orders_and_wishes() {
    let w = World::new().await;
    let newcomer = w.id_of("newmember-1").await;
    assert!(w.roles("newmember-1", &w.chengnan).await.is_empty(), "a fresh user has no roles");

    let resp = w
        .try_report_in(
            "newmember-1",
            &w.chengnan,
            json!({
                "workUnit": "雷山县财政局",
                "partyBranch": "城南社区党总支第二支部",
                "specialties": ["政策宣讲", "财务咨询"],
                "publicPhone": "13908559999",
            }),
        )
        .await;
    let report = payload(&resp).clone();
    let report_id = id(&report);
    assert_eq!(report["status"], "PENDING");
    assert_eq!(report["member"]["id"], newcomer.as_str());
    assert_eq!(report["community"]["id"], w.chengnan.as_str());
    assert_eq!(report["community"]["name"], CHENGNAN);
    assert_eq!(report["workUnit"], "雷山县财政局");
    assert_eq!(report["partyBranch"], "城南社区党总支第二支部");
    assert_eq!(report["specialties"], json!(["政策宣讲", "财务咨询"]));
    assert_eq!(report["publicPhone"], "13908559999");
    assert!(report["declineReason"].is_null() && report["decidedAt"].is_null(), "{report}");

    // She sees it; the secretary and the grid worker see it among the pending ones.
    assert_eq!(ids(&w.my_report_ins("newmember-1").await), vec![report_id.clone()]);
    for staff in ["demo-secretary", "demo-grid"] {
        let resp = w.gql(staff, REPORT_INS, json!({ "c": w.chengnan, "status": "PENDING" })).await;
        assert_eq!(ids(data(&resp, "reportIns").as_array().unwrap()), vec![report_id.clone()], "{staff}");
    }
    // Reporting in grants nothing by itself.
    assert!(w.roles("newmember-1", &w.chengnan).await.is_empty());
    let pool = w.gql("newmember-1", POOL, json!({ "c": w.chengnan })).await;
    let code = error_code(&pool);
    assert!(code == "NOT_FOUND" || code == "FORBIDDEN", "no pool before approval: {pool}");
    assert!(entry(&w.board("demo-resident-1", &w.chengnan).await, &newcomer).is_none(), "not on the board yet");

    let approved = w.must("demo-secretary", "approve", &report_id, "APPROVED").await;
    assert_eq!(approved["id"], report_id.as_str());
    assert!(approved["decidedAt"].is_string(), "{approved}");
    assert_eq!(w.roles("newmember-1", &w.chengnan).await, vec!["PARTY_MEMBER", "RESIDENT"]);
    let mine = w.my_report_in("newmember-1", &report_id).await;
    assert_eq!(mine["status"], "APPROVED");
    let pending = w.gql("demo-secretary", REPORT_INS, json!({ "c": w.chengnan, "status": "PENDING" })).await;
    assert_eq!(data(&pending, "reportIns"), &json!([]), "no longer pending");

    // The new member works at once: the pool opens, and she can claim an order and a wish.
    let order = w.open_order().await;
    let pool = w.gql("newmember-1", POOL, json!({ "c": w.chengnan })).await;
    let open: Vec<Value> =
        data(&pool, "orderPool")["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect();
    assert_eq!(ids(&open), vec![order.clone()]);
    let claimed = w.gql("newmember-1", CLAIM_ORDER, json!({ "id": order })).await;
    assert_eq!(payload(&claimed)["status"], "CLAIMED");
    assert_eq!(payload(&claimed)["claimant"]["id"], newcomer.as_str());
    let wish = w.published_wish().await;
    let claimed = w.gql("newmember-1", CLAIM_WISH, json!({ "id": wish })).await;
    assert_eq!(payload(&claimed)["status"], "CLAIMED");
    assert_eq!(payload(&claimed)["claimant"]["id"], newcomer.as_str());

    // And she is on the board with what she chose to show.
    let board = w.board("demo-resident-1", &w.chengnan).await;
    let line = entry(&board, &newcomer).unwrap_or_else(|| panic!("not on the board: {board:?}"));
    assert_eq!(line["workUnit"], "雷山县财政局");
    assert_eq!(line["partyBranch"], "城南社区党总支第二支部");
    assert_eq!(line["specialties"], json!(["政策宣讲", "财务咨询"]));
    assert_eq!(line["publicPhone"], "13908559999");
    assert_eq!(line["posts"], json!([]));
}

#[tokio::test]
async fn report_in_input_is_checked_and_unknown_communities_are_not_found() {
    let w = World::new().await;
    for community in ["999999", "not-an-id"] {
        let resp = w.try_report_in("newmember-1", community, json!({})).await;
        assert_eq!(error_code(&resp), "NOT_FOUND", "community {community}: {resp}");
    }
    for phone in ["12345", "1390855001", "139085500111", "电话13908550011", "abcdefghijk"] {
        let resp = w.try_report_in("newmember-1", &w.chengnan, json!({ "publicPhone": phone })).await;
        assert_eq!(error_code(&resp), "BAD_USER_INPUT", "{phone:?}: {resp}");
        assert_eq!(error_field(&resp), "publicPhone", "{phone:?}");
    }
    for (field, value) in [("workUnit", json!("  ")), ("partyBranch", json!(""))] {
        let resp = w.try_report_in("newmember-1", &w.chengnan, json!({ field: value })).await;
        assert_eq!(error_code(&resp), "BAD_USER_INPUT", "{field}: {resp}");
        assert_eq!(error_field(&resp), field);
    }
    assert!(w.my_report_ins("newmember-1").await.is_empty(), "refused report-ins leave nothing behind");

    // A landline with its area code is a phone too, and no phone at all is fine.
    let landline = w.try_report_in("newmember-1", &w.chengnan, json!({ "publicPhone": "0855-3331234" })).await;
    assert_eq!(payload(&landline)["status"], "PENDING");
    let none = w.try_report_in("newmember-2", &w.chengnan, json!({ "publicPhone": null, "specialties": [] })).await;
    let none = payload(&none);
    assert!(none["publicPhone"].is_null(), "{none}");
    assert_eq!(none["specialties"], json!([]));
}

#[tokio::test]
async fn a_second_report_in_to_the_same_community_conflicts_while_pending_or_approved() {
    let w = World::new().await;
    let first = w.report_in("newmember-1", &w.chengnan).await;
    let again = w.try_report_in("newmember-1", &w.chengnan, json!({ "workUnit": "雷山县教育局" })).await;
    assert_eq!(error_code(&again), "CONFLICT", "while pending: {again}");

    w.must("demo-secretary", "approve", &first, "APPROVED").await;
    let again = w.try_report_in("newmember-1", &w.chengnan, json!({})).await;
    assert_eq!(error_code(&again), "CONFLICT", "while approved: {again}");
    assert_eq!(ids(&w.my_report_ins("newmember-1").await), vec![first]);

    // The seeded members are approved already.
    let seeded = w.try_report_in("demo-member-1", &w.chengnan, json!({})).await;
    assert_eq!(error_code(&seeded), "CONFLICT", "{seeded}");
    assert_eq!(w.my_report_ins("demo-member-1").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn reporting_in_several_times_at_once_leaves_one_pending_report_in() {
    let w = World::new().await;
    let session = w.session("newmember-1").await;
    let input = json!({ "input": {
        "communityId": w.chengnan, "workUnit": "雷山县人民医院", "partyBranch": "城南社区党总支第一支部",
    }});
    let results = join_all((0..32).map(|_| w.app.gql(Some(&session.access_token), REPORT_IN, input.clone()))).await;
    let mut codes: HashMap<String, usize> = HashMap::new();
    for r in &results {
        *codes.entry(outcome(r)).or_default() += 1;
    }
    assert_eq!(codes.get("OK"), Some(&1), "exactly one report-in is accepted: {codes:?}");
    assert_eq!(codes.get("CONFLICT"), Some(&31), "the rest are told it exists: {codes:?}");
    let mine = w.my_report_ins("newmember-1").await;
    assert_eq!(mine.len(), 1, "one report-in stored: {mine:?}");
}

#[tokio::test]
async fn only_the_communitys_secretary_decides_a_report_in() {
    let w = World::new().await;
    let report = w.report_in("newmember-1", &w.chengnan).await;
    let mut failures = Vec::new();
    for action in ["approve", "decline"] {
        for (who, expected) in [
            ("demo-grid", "FORBIDDEN"),
            ("demo-member-1", "FORBIDDEN"),
            ("demo-volunteer", "FORBIDDEN"),
            ("demo-resident-1", "FORBIDDEN"),
            ("demo-secretary-2", "NOT_FOUND"),
            ("demo-resident-3", "NOT_FOUND"),
            // The applicant cannot decide her own report-in either.
            ("newmember-1", "FORBIDDEN|NOT_FOUND"),
        ] {
            let resp = w.act(who, action, &report).await;
            let got = outcome(&resp);
            if !expected.split('|').any(|e| e == got) {
                failures.push(format!("{who} {action}: expected {expected}, got {got}: {resp}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(w.my_report_in("newmember-1", &report).await["status"], "PENDING");
    assert!(w.roles("newmember-1", &w.chengnan).await.is_empty());

    // Unknown report-ins are not found.
    for missing in ["999999", "nope"] {
        assert_eq!(error_code(&w.act("demo-secretary", "approve", missing).await), "NOT_FOUND", "{missing}");
    }
    let approved = w.gql("demo-secretary", APPROVE, json!({ "id": report })).await;
    assert_eq!(payload(&approved)["status"], "APPROVED");
}

#[tokio::test]
async fn a_secretary_who_reports_in_to_her_own_community_does_not_decide_her_own_report_in() {
    let w = World::new().await;
    let own = w.report_in("demo-secretary", &w.chengnan).await;
    for action in ["approve", "decline"] {
        let refused = w.act("demo-secretary", action, &own).await;
        assert_eq!(outcome(&refused), "FORBIDDEN", "{action}: {refused}");
        assert!(refused["errors"][0]["message"].as_str().unwrap().contains("涉及你自己"), "{refused}");
    }
    assert_eq!(w.my_report_in("demo-secretary", &own).await["status"], "PENDING", "the refusals changed nothing");
    // Another secretary of the community decides it.
    let second = w.id_of("demo-resident-1").await;
    let appointed = w.gql("demo-street", APPOINT, json!({ "r": "SECRETARY", "unit": w.chengnan, "u": second })).await;
    payload(&appointed);
    w.must("demo-resident-1", "approve", &own, "APPROVED").await;
}

#[tokio::test]
async fn a_report_in_is_decided_once() {
    let w = World::new().await;
    let approved = w.report_in("newmember-1", &w.chengnan).await;
    w.must("demo-secretary", "approve", &approved, "APPROVED").await;
    for action in ["approve", "decline"] {
        let resp = w.act("demo-secretary", action, &approved).await;
        assert_eq!(error_code(&resp), "INVALID_STATE", "{action} an approved report-in: {resp}");
    }
    assert_eq!(w.my_report_in("newmember-1", &approved).await["status"], "APPROVED");

    let declined = w.report_in("newmember-2", &w.chengnan).await;
    let resp = w.gql("demo-secretary", DECLINE, json!({ "id": declined, "reason": "不在本社区居住" })).await;
    let report = payload(&resp);
    assert_eq!(report["status"], "DECLINED");
    assert_eq!(report["declineReason"], "不在本社区居住");
    assert!(report["decidedAt"].is_string());
    for action in ["approve", "decline"] {
        let resp = w.act("demo-secretary", action, &declined).await;
        assert_eq!(error_code(&resp), "INVALID_STATE", "{action} a declined report-in: {resp}");
    }
    assert!(w.roles("newmember-2", &w.chengnan).await.is_empty(), "a declined report-in grants nothing");
    assert_eq!(w.my_report_in("newmember-2", &declined).await["status"], "DECLINED");
}

#[tokio::test]
async fn every_step_of_a_report_in_is_in_its_history_with_who_took_it() {
    use sea_orm::{ConnectionTrait, Statement};
    let w = World::new().await;
    let report = w.report_in("newmember-1", &w.chengnan).await;
    w.must("demo-secretary", "approve", &report, "APPROVED").await;
    w.must("newmember-1", "leave", &report, "LEFT").await;

    let db = &w.app.domain.db;
    let sql = format!(
        "SELECT from_status, to_status, actor_id FROM workflow_events \
         WHERE subject_kind = 'REPORT_IN' AND subject_id = {report} ORDER BY id"
    );
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    let history: Vec<(Option<String>, String, String)> = rows
        .iter()
        .map(|r| {
            let actor: i64 = r.try_get_by_index(2).unwrap();
            (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap(), actor.to_string())
        })
        .collect();
    let (member, secretary) = (w.id_of("newmember-1").await, w.id_of("demo-secretary").await);
    assert_eq!(
        history,
        vec![
            (None, "PENDING".to_owned(), member.clone()),
            (Some("PENDING".to_owned()), "APPROVED".to_owned(), secretary),
            (Some("APPROVED".to_owned()), "LEFT".to_owned(), member),
        ]
    );
}

#[tokio::test]
async fn a_decline_needs_a_reason() {
    let w = World::new().await;
    let report = w.report_in("newmember-1", &w.chengnan).await;
    let resp = w.gql("demo-secretary", DECLINE, json!({ "id": report, "reason": "   " })).await;
    assert_eq!(error_code(&resp), "BAD_USER_INPUT", "{resp}");
    assert_eq!(error_field(&resp), "reason");
    assert_eq!(w.my_report_in("newmember-1", &report).await["status"], "PENDING");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn approving_and_declining_at_once_decides_a_report_in_exactly_once() {
    let w = World::new().await;
    let report = w.report_in("newmember-1", &w.chengnan).await;
    let secretary = w.session("demo-secretary").await;
    let results = join_all((0..10).map(|n| {
        let (query, vars) = if n % 2 == 0 {
            (APPROVE, json!({ "id": report }))
        } else {
            (DECLINE, json!({ "id": report, "reason": "重复提交" }))
        };
        w.app.gql(Some(&secretary.access_token), query, vars)
    }))
    .await;
    let winners: Vec<&Value> = results.iter().filter(|r| r.get("errors").is_none()).collect();
    assert_eq!(winners.len(), 1, "exactly one decision: {results:?}");
    for r in results.iter().filter(|r| r.get("errors").is_some()) {
        assert_eq!(error_code(r), "INVALID_STATE", "{r}");
    }
    let status = payload(winners[0])["status"].clone();
    assert_eq!(w.my_report_in("newmember-1", &report).await["status"], status);
    let roles = w.roles("newmember-1", &w.chengnan).await;
    if status == "APPROVED" {
        assert_eq!(roles, vec!["PARTY_MEMBER", "RESIDENT"]);
    } else {
        assert!(roles.is_empty(), "{roles:?}");
    }
}

// ---------------------------------------------------------------------------
// Re-reporting, moving and leaving
// ---------------------------------------------------------------------------

#[tokio::test]
async fn after_a_decline_a_member_may_report_in_again() {
    let w = World::new().await;
    let first = w.report_in("newmember-1", &w.chengnan).await;
    w.gql("demo-secretary", DECLINE, json!({ "id": first, "reason": "请填写完整的工作单位" })).await;
    let mine = w.my_report_in("newmember-1", &first).await;
    assert_eq!(mine["declineReason"], "请填写完整的工作单位", "she sees why");

    let resp = w.try_report_in("newmember-1", &w.chengnan, json!({ "workUnit": "雷山县人民医院内科" })).await;
    let second = payload(&resp).clone();
    assert_eq!(second["status"], "PENDING");
    assert_ne!(id(&second), first, "a new report-in");
    assert!(second["declineReason"].is_null());
    let all: HashSet<String> = ids(&w.my_report_ins("newmember-1").await).into_iter().collect();
    assert_eq!(all, HashSet::from([first.clone(), id(&second)]), "both are kept");
    assert_eq!(w.my_report_in("newmember-1", &first).await["status"], "DECLINED", "the old one is unchanged");

    w.must("demo-secretary", "approve", &id(&second), "APPROVED").await;
    assert_eq!(w.roles("newmember-1", &w.chengnan).await, vec!["PARTY_MEMBER", "RESIDENT"]);
}

#[tokio::test]
async fn moving_to_another_community_ends_the_old_report_in_when_the_new_one_is_approved() {
    let w = World::new().await;
    let mover = w.id_of("mover-1").await;
    let old = w.report_in("mover-1", &w.chengnan).await;
    w.must("demo-secretary", "approve", &old, "APPROVED").await;
    let post = w.post_id("政策宣传员").await;
    let claimed = w.gql("mover-1", CLAIM_POST, json!({ "id": post })).await;
    assert!(holder_ids(payload(&claimed)).contains(&mover), "{claimed}");

    // Reporting in to 城北 changes nothing until 城北 approves.
    let new = w.report_in("mover-1", &w.chengbei().await).await;
    assert_eq!(w.my_report_in("mover-1", &old).await["status"], "APPROVED");
    assert_eq!(w.roles("mover-1", &w.chengnan).await, vec!["PARTY_MEMBER", "RESIDENT"]);
    assert!(w.roles("mover-1", &w.chengbei().await).await.is_empty());
    // 城南's secretary cannot approve 城北's report-in.
    assert_eq!(error_code(&w.act("demo-secretary", "approve", &new).await), "NOT_FOUND");

    let approved = w.must("demo-secretary-2", "approve", &new, "APPROVED").await;
    assert_eq!(approved["community"]["id"], w.chengbei().await.as_str());
    assert_eq!(w.my_report_in("mover-1", &old).await["status"], "LEFT", "the old report-in ends");
    assert_eq!(w.my_report_in("mover-1", &new).await["status"], "APPROVED");
    assert_eq!(w.roles("mover-1", &w.chengnan).await, vec!["RESIDENT"], "still lives there, no longer a member");
    assert_eq!(w.roles("mover-1", &w.chengbei().await).await, vec!["PARTY_MEMBER", "RESIDENT"]);

    // Gone from 城南's board and posts and pool, on 城北's board.
    assert!(entry(&w.board("demo-resident-1", &w.chengnan).await, &mover).is_none());
    assert!(entry(&w.board("demo-resident-3", &w.chengbei().await).await, &mover).is_some());
    let posts = w.posts(&w.chengnan).await;
    assert!(!holder_ids(&posts["政策宣传员"]).contains(&mover), "her 城南 post is given up: {posts:?}");
    assert_eq!(posts["政策宣传员"]["taken"], 0);
    assert_eq!(error_code(&w.gql("mover-1", POOL, json!({ "c": w.chengnan })).await), "FORBIDDEN");
    let pool = w.gql("mover-1", POOL, json!({ "c": w.chengbei().await })).await;
    assert_eq!(data(&pool, "orderPool")["totalCount"], 0);

    // 城南's staff see the old report-in as LEFT.
    let left = w.gql("demo-secretary", REPORT_INS, json!({ "c": w.chengnan, "status": "LEFT" })).await;
    assert_eq!(ids(data(&left, "reportIns").as_array().unwrap()), vec![old]);
}

#[tokio::test]
async fn a_member_who_leaves_gives_up_her_role_and_her_posts() {
    let w = World::new().await;
    let member = w.id_of("demo-member-1").await;
    let other = w.id_of("demo-member-2").await;
    let publicity = w.post_id("政策宣传员").await;
    let tutoring = w.post_id("四点半课堂辅导员").await;
    for (who, post) in [("demo-member-1", &publicity), ("demo-member-1", &tutoring), ("demo-member-2", &tutoring)] {
        let resp = w.gql(who, CLAIM_POST, json!({ "id": post })).await;
        assert!(resp.get("errors").is_none(), "{who} claiming {post}: {resp}");
    }
    let before = w.posts(&w.chengnan).await;
    assert_eq!(before["政策宣传员"]["taken"], 1);
    assert_eq!(before["四点半课堂辅导员"]["taken"], 2);
    let board = w.board("demo-resident-1", &w.chengnan).await;
    let mut posts: Vec<String> = entry(&board, &member).unwrap()["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    posts.sort();
    assert_eq!(posts, vec!["四点半课堂辅导员", "政策宣传员"]);

    let report = w.approved_report_in("demo-member-1", &w.chengnan).await;
    let left = w.must("demo-member-1", "leave", &report, "LEFT").await;
    assert_eq!(left["id"], report.as_str());
    assert!(!w.roles("demo-member-1", &w.chengnan).await.contains(&"PARTY_MEMBER".to_owned()));

    let after = w.posts(&w.chengnan).await;
    assert_eq!(after["政策宣传员"]["taken"], 0);
    assert_eq!(holder_ids(&after["政策宣传员"]), Vec::<String>::new());
    assert_eq!(after["四点半课堂辅导员"]["taken"], 1);
    assert_eq!(holder_ids(&after["四点半课堂辅导员"]), vec![other.clone()], "the other holder keeps her place");
    let board = w.board("demo-resident-1", &w.chengnan).await;
    assert!(entry(&board, &member).is_none(), "off the board: {board:?}");
    assert!(entry(&board, &other).is_some());
    let pool = w.gql("demo-member-1", POOL, json!({ "c": w.chengnan })).await;
    let code = error_code(&pool);
    assert!(code == "FORBIDDEN" || code == "NOT_FOUND", "no pool after leaving: {pool}");

    // Leaving twice is refused, by her or the secretary.
    assert_eq!(error_code(&w.act("demo-member-1", "leave", &report).await), "INVALID_STATE");
    assert_eq!(error_code(&w.act("demo-secretary", "leave", &report).await), "INVALID_STATE");
    assert_eq!(w.my_report_in("demo-member-1", &report).await["status"], "LEFT");

    // She may report in again.
    let again = w.report_in("demo-member-1", &w.chengnan).await;
    assert_ne!(again, report);
    w.must("demo-secretary", "approve", &again, "APPROVED").await;
    assert!(w.roles("demo-member-1", &w.chengnan).await.contains(&"PARTY_MEMBER".to_owned()));
    assert!(entry(&w.board("demo-resident-1", &w.chengnan).await, &member).is_some());
}

#[tokio::test]
async fn the_secretary_may_remove_a_member_and_nobody_else_may() {
    let w = World::new().await;
    let report = w.approved_report_in("demo-member-2", &w.chengnan).await;
    for (who, expected) in [
        ("demo-member-1", "FORBIDDEN"),
        ("demo-grid", "FORBIDDEN"),
        ("demo-volunteer", "FORBIDDEN"),
        ("demo-resident-1", "FORBIDDEN"),
        ("demo-secretary-2", "NOT_FOUND"),
        ("demo-resident-3", "NOT_FOUND"),
    ] {
        let resp = w.act(who, "leave", &report).await;
        assert_eq!(error_code(&resp), expected, "{who} ending demo-member-2's report-in: {resp}");
    }
    assert_eq!(w.my_report_in("demo-member-2", &report).await["status"], "APPROVED");
    assert!(w.roles("demo-member-2", &w.chengnan).await.contains(&"PARTY_MEMBER".to_owned()));

    w.must("demo-secretary", "leave", &report, "LEFT").await;
    assert!(!w.roles("demo-member-2", &w.chengnan).await.contains(&"PARTY_MEMBER".to_owned()));
    assert_eq!(error_code(&w.act("demo-member-2", "leave", &report).await), "INVALID_STATE");
}

// ---------------------------------------------------------------------------
// Lists
// ---------------------------------------------------------------------------

#[tokio::test]
async fn report_in_lists_are_for_staff_and_filter_by_status() {
    let w = World::new().await;
    let seeded: HashSet<String> = [
        w.approved_report_in("demo-member-1", &w.chengnan).await,
        w.approved_report_in("demo-member-2", &w.chengnan).await,
        w.approved_report_in("demo-member-3", &w.chengnan).await,
    ]
    .into();
    let pending = w.report_in("newmember-1", &w.chengnan).await;
    let declined = w.report_in("newmember-2", &w.chengnan).await;
    w.must("demo-secretary", "decline", &declined, "DECLINED").await;
    let elsewhere = w.report_in("newmember-3", &w.chengbei().await).await;

    let list = |who: &'static str, status: Value| {
        let w = &w;
        async move {
            let resp = w.gql(who, REPORT_INS, json!({ "c": w.chengnan, "status": status })).await;
            ids(data(&resp, "reportIns").as_array().unwrap()).into_iter().collect::<HashSet<String>>()
        }
    };
    for staff in ["demo-secretary", "demo-grid"] {
        let mut everything = seeded.clone();
        everything.extend([pending.clone(), declined.clone()]);
        assert_eq!(list(staff, Value::Null).await, everything, "{staff}: all of 城南's, none of 城北's");
        assert_eq!(list(staff, json!("APPROVED")).await, seeded, "{staff}");
        assert_eq!(list(staff, json!("PENDING")).await, HashSet::from([pending.clone()]), "{staff}");
        assert_eq!(list(staff, json!("DECLINED")).await, HashSet::from([declined.clone()]), "{staff}");
        assert_eq!(list(staff, json!("LEFT")).await, HashSet::new(), "{staff}");
    }
    let resp = w.gql("demo-secretary-2", REPORT_INS, json!({ "c": w.chengbei().await, "status": "PENDING" })).await;
    assert_eq!(ids(data(&resp, "reportIns").as_array().unwrap()), vec![elsewhere]);

    for (who, expected) in [
        ("demo-member-1", "FORBIDDEN"),
        ("demo-volunteer", "FORBIDDEN"),
        ("demo-resident-1", "FORBIDDEN"),
        ("demo-elder", "FORBIDDEN"),
        ("demo-secretary-2", "NOT_FOUND"),
        ("demo-resident-3", "NOT_FOUND"),
    ] {
        let resp = w.gql(who, REPORT_INS, json!({ "c": w.chengnan })).await;
        assert_eq!(error_code(&resp), expected, "{who} listing 城南's report-ins: {resp}");
    }

    // Everyone sees their own.
    let mine = w.my_report_ins("demo-member-1").await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["status"], "APPROVED");
    assert_eq!(mine[0]["workUnit"], "雷山县人民医院");
    assert_eq!(mine[0]["partyBranch"], "城南社区党总支第一支部");
    assert_eq!(mine[0]["community"]["name"], CHENGNAN);
    assert_eq!(w.my_report_ins("demo-member-3").await[0]["partyBranch"], "城南社区党总支第二支部");
    assert!(w.my_report_ins("demo-resident-1").await.is_empty());
}

// ---------------------------------------------------------------------------
// The public service board
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_service_board_shows_approved_members_their_posts_and_only_the_phone_they_chose() {
    let w = World::new().await;
    let m1 = w.id_of("demo-member-1").await;
    let m2 = w.id_of("demo-member-2").await;
    let m3 = w.id_of("demo-member-3").await;
    let tutoring = w.post_id("四点半课堂辅导员").await;
    let claimed = w.gql("demo-member-2", CLAIM_POST, json!({ "id": tutoring })).await;
    assert!(claimed.get("errors").is_none(), "{claimed}");
    // A pending and a declined report-in are not on the board.
    let pending = w.id_of("newmember-1").await;
    w.report_in("newmember-1", &w.chengnan).await;
    let declined = w.id_of("newmember-2").await;
    let report = w.report_in("newmember-2", &w.chengnan).await;
    w.must("demo-secretary", "decline", &report, "DECLINED").await;

    let board = w.board("demo-resident-1", &w.chengnan).await;
    let members: HashSet<String> = board.iter().map(|e| e["member"]["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(members, HashSet::from([m1.clone(), m2.clone(), m3.clone()]), "approved members only: {board:?}");
    assert!(entry(&board, &pending).is_none() && entry(&board, &declined).is_none());

    let one = entry(&board, &m1).unwrap();
    assert_eq!(one["member"]["displayName"], "李党员");
    assert_eq!(one["workUnit"], "雷山县人民医院");
    assert_eq!(one["partyBranch"], "城南社区党总支第一支部");
    assert_eq!(one["specialties"], json!(["健康咨询", "慢病随访"]));
    assert_eq!(one["publicPhone"], "13908550011");
    assert_eq!(one["posts"], json!([]));

    let two = entry(&board, &m2).unwrap();
    assert_eq!(two["member"]["displayName"], "王党员");
    assert_eq!(two["workUnit"], "雷山县教育局");
    assert!(two["publicPhone"].is_null(), "she chose to show no phone: {two}");
    assert_eq!(two["posts"], json!(["四点半课堂辅导员"]), "the post she holds now");
    let three = entry(&board, &m3).unwrap();
    assert_eq!(three["partyBranch"], "城南社区党总支第二支部");
    assert_eq!(three["specialties"], json!(["水电维修"]));

    // Her phone on file never reaches the board.
    let text = serde_json::to_string(&board).unwrap();
    assert!(!text.contains("13908550012"), "demo-member-2's own phone leaked: {text}");

    // Everyone in the community sees the same board.
    for who in ["demo-secretary", "demo-grid", "demo-member-3", "demo-volunteer", "demo-elder", "demo-canteen"] {
        let theirs = w.board(who, &w.chengnan).await;
        assert_eq!(theirs, board, "{who} sees the board as residents do");
    }
}

#[tokio::test]
async fn the_service_board_is_for_the_communitys_own_people() {
    let w = World::new().await;
    for (who, expected) in
        [("demo-resident-3", "NOT_FOUND"), ("demo-secretary-2", "NOT_FOUND"), ("newmember-1", "NOT_FOUND")]
    {
        let resp = w.gql(who, BOARD, json!({ "c": w.chengnan })).await;
        assert_eq!(error_code(&resp), expected, "{who}: {resp}");
    }
    let unknown = w.gql("demo-resident-1", BOARD, json!({ "c": "999999" })).await;
    assert_eq!(error_code(&unknown), "NOT_FOUND");
    // 城北 has nobody reported in yet.
    assert!(w.board("demo-resident-3", &w.chengbei().await).await.is_empty());
}

#[tokio::test]
async fn requests_without_a_token_are_unauthenticated() {
    let w = World::new().await;
    let report = w.approved_report_in("demo-member-1", &w.chengnan).await;
    let input = json!({ "input": { "communityId": w.chengnan, "workUnit": "单位", "partyBranch": "支部" } });
    for (query, vars) in [
        (REPORT_IN, input),
        (APPROVE, json!({ "id": report })),
        (LEAVE, json!({ "id": report })),
        (MY_REPORT_INS, json!({})),
        (REPORT_INS, json!({ "c": w.chengnan })),
        (BOARD, json!({ "c": w.chengnan })),
    ] {
        let resp = w.app.gql(None, query, vars).await;
        assert_eq!(error_code(&resp), "UNAUTHENTICATED", "{query}: {resp}");
    }
    assert_eq!(w.my_report_in("demo-member-1", &report).await["status"], "APPROVED");
}
