// 因人设岗 end to end: volunteer posts (create, claim, leave, retire, capacity
// under concurrency), activities (organise, sign up, capacity under
// concurrency), on-site check-in with the short-lived code on the organiser's
// phone, and the dedication points posts and check-ins earn.

use std::collections::{HashMap, HashSet};

use crate::common::*;
use chrono::{DateTime, Datelike, Duration, FixedOffset, TimeZone, Utc};
use domain::Clock;
use futures_util::future::join_all;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const POST_FIELDS: &str = "id title kind description capacity taken termStart termEnd retired holders { id } heldByMe";
const SIGNUP_FIELDS: &str = "activityId person { id } signedUpAt checkedInAt serviceMinutes";

fn create_post_query() -> String {
    format!("mutation($input: CreatePostInput!) {{ createPost(input: $input) {{ {POST_FIELDS} }} }}")
}
fn posts_query() -> String {
    format!("query($c: ID!, $r: Boolean!) {{ posts(communityId: $c, includeRetired: $r) {{ {POST_FIELDS} }} }}")
}
fn claim_post_query() -> String {
    format!("mutation($id: ID!) {{ claimPost(postId: $id) {{ {POST_FIELDS} }} }}")
}
fn leave_post_query() -> String {
    format!("mutation($id: ID!) {{ leavePost(postId: $id) {{ {POST_FIELDS} }} }}")
}
fn retire_post_query() -> String {
    format!("mutation($id: ID!) {{ retirePost(postId: $id) {{ {POST_FIELDS} }} }}")
}
fn activity_fields() -> String {
    format!(
        "id title kind place startsAt endsAt capacity signedUp serviceMinutes cancelled mySignup {{ {SIGNUP_FIELDS} }}"
    )
}
fn create_activity_query() -> String {
    format!("mutation($input: CreateActivityInput!) {{ createActivity(input: $input) {{ {} }} }}", activity_fields())
}
fn activities_query() -> String {
    format!(
        "query($c: ID!, $u: Boolean!) {{ activities(communityId: $c, upcomingOnly: $u) {{ {} }} }}",
        activity_fields()
    )
}
fn activity_query() -> String {
    format!("query($id: ID!) {{ activity(id: $id) {{ {} }} }}", activity_fields())
}
fn sign_up_query() -> String {
    format!("mutation($id: ID!) {{ signUpForActivity(activityId: $id) {{ {SIGNUP_FIELDS} }} }}")
}
fn cancel_signup_query() -> String {
    format!("mutation($id: ID!) {{ cancelActivitySignup(activityId: $id) {{ {} }} }}", activity_fields())
}
fn check_in_query() -> String {
    format!("mutation($code: String!) {{ checkIn(code: $code) {{ {SIGNUP_FIELDS} }} }}")
}
fn attendance_query() -> String {
    format!("query($id: ID!) {{ activityAttendance(activityId: $id) {{ {SIGNUP_FIELDS} }} }}")
}
const CODE: &str = "query($id: ID!) { activityCheckInCode(activityId: $id) { code expiresAt } }";
const POINTS: &str = "query($c: ID!, $m: ID!) { dedicationPoints(communityId: $c, memberId: $m, first: 100) { balance entries { totalCount edges { node { points reason source sourceId month createdAt } } } } }";
const REPORT_IN: &str = "mutation($input: ReportInInput!) { reportIn(input: $input) { id status } }";
const APPROVE_REPORT_IN: &str = "mutation($id: ID!) { approveReportIn(reportInId: $id) { id status } }";

const BRANCH_1: &str = "城南社区党总支第一支部";

area_world!();

impl World {
    /// A new user who reports in to 城南社区 and is approved: a PARTY_MEMBER.
    async fn fresh_member(&self, openid: &str) -> String {
        let id = self.id_of(openid).await;
        let input = json!({ "communityId": self.chengnan, "workUnit": "雷山县财政局", "partyBranch": BRANCH_1 });
        let report = self.gql(openid, REPORT_IN, json!({ "input": input })).await;
        let report_id = payload(&report)["id"].as_str().unwrap().to_owned();
        let approved = self.gql("demo-secretary", APPROVE_REPORT_IN, json!({ "id": report_id })).await;
        assert_eq!(payload(&approved)["status"], "APPROVED", "{approved}");
        id
    }

    /// The id of a post in 城南社区 by its title (retired ones included).
    async fn post_id(&self, title: &str) -> String {
        let resp = self.gql("demo-secretary", &posts_query(), json!({ "c": self.chengnan, "r": true })).await;
        payload(&resp)
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["title"] == title)
            .unwrap_or_else(|| panic!("no post {title}: {resp}"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The post as `who` sees it in the list (retired ones included).
    async fn post_as(&self, who: &str, id: &str) -> Value {
        let resp = self.gql(who, &posts_query(), json!({ "c": self.chengnan, "r": true })).await;
        payload(&resp).as_array().unwrap().iter().find(|p| p["id"] == id).cloned().unwrap_or_else(|| panic!("{resp}"))
    }

    async fn try_create_post(&self, who: &str, extra: Value) -> Value {
        let mut input = json!({
            "communityId": self.chengnan,
            "title": "法律援助员",
            "kind": "LEGAL_AID",
            "description": "每周三下午在社区服务站解答法律问题",
            "capacity": 4,
            "termStart": "2026-01-01",
            "termEnd": "2026-12-31",
        });
        merge(&mut input, extra);
        self.gql(who, &create_post_query(), json!({ "input": input })).await
    }

    async fn create_post(&self, extra: Value) -> String {
        let resp = self.try_create_post("demo-secretary", extra).await;
        payload(&resp)["id"].as_str().unwrap().to_owned()
    }

    async fn claim(&self, who: &str, post: &str) -> Value {
        self.gql(who, &claim_post_query(), json!({ "id": post })).await
    }

    /// `createActivity` starting in a day and lasting 90 minutes, overridden by `extra`.
    async fn try_create_activity(&self, who: &str, extra: Value) -> Value {
        let starts = self.app.clock.now() + Duration::days(1);
        let mut input = json!({
            "communityId": self.chengnan,
            "title": "楼道卫生清洁",
            "kind": "ENVIRONMENT_CLEANUP",
            "place": "3栋楼下",
            "startsAt": starts.to_rfc3339(),
            "endsAt": (starts + Duration::minutes(90)).to_rfc3339(),
            "capacity": 30,
        });
        merge(&mut input, extra);
        self.gql(who, &create_activity_query(), json!({ "input": input })).await
    }

    async fn create_activity(&self, extra: Value) -> Value {
        let resp = self.try_create_activity("demo-grid", extra).await;
        payload(&resp).clone()
    }

    async fn activity_id(&self, extra: Value) -> String {
        self.create_activity(extra).await["id"].as_str().unwrap().to_owned()
    }

    async fn activity(&self, who: &str, id: &str) -> Value {
        let resp = self.gql(who, &activity_query(), json!({ "id": id })).await;
        payload(&resp).clone()
    }

    async fn sign_up(&self, who: &str, activity: &str) -> Value {
        self.gql(who, &sign_up_query(), json!({ "id": activity })).await
    }

    /// The check-in code the organiser (demo-grid) shows now.
    async fn code(&self, activity: &str) -> String {
        let resp = self.gql("demo-grid", CODE, json!({ "id": activity })).await;
        payload(&resp)["code"].as_str().unwrap().to_owned()
    }

    async fn check_in(&self, who: &str, code: &str) -> Value {
        self.gql(who, &check_in_query(), json!({ "code": code })).await
    }

    async fn attendance(&self, who: &str, activity: &str) -> Vec<Value> {
        let resp = self.gql(who, &attendance_query(), json!({ "id": activity })).await;
        payload(&resp).as_array().unwrap().clone()
    }

    /// (balance, entries newest first) of `member`, as the member sees them.
    async fn points(&self, member: &str) -> (i64, Vec<Value>) {
        let id = self.id_of(member).await;
        let resp = self.gql(member, POINTS, json!({ "c": self.chengnan, "m": id })).await;
        let account = payload(&resp);
        let entries: Vec<Value> =
            account["entries"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect();
        assert_eq!(account["entries"]["totalCount"], entries.len(), "{resp}");
        (account["balance"].as_i64().unwrap(), entries)
    }

    fn now(&self) -> DateTime<Utc> {
        self.app.clock.now()
    }
}

fn merge(input: &mut Value, extra: Value) {
    if let Value::Object(extra) = extra {
        for (k, v) in extra {
            input[k] = v;
        }
    }
}

fn close_to(at: &Value, expected: DateTime<Utc>) -> bool {
    (time(at) - expected).num_milliseconds().abs() < 1
}

fn holder_ids(post: &Value) -> Vec<String> {
    post["holders"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_owned()).collect()
}

fn count(results: &[String], what: &str) -> usize {
    results.iter().filter(|r| *r == what).count()
}

// ---------------------------------------------------------------------------
// Posts
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_secretary_creates_a_post_and_members_see_it_next_to_the_demo_posts() {
    let w = World::new().await;
    let resp = w.try_create_post("demo-secretary", json!({})).await;
    let post = payload(&resp);
    assert_eq!(post["title"], "法律援助员");
    assert_eq!(post["kind"], "LEGAL_AID");
    assert_eq!(post["description"], "每周三下午在社区服务站解答法律问题");
    assert_eq!(post["capacity"], 4);
    assert_eq!(post["taken"], 0);
    assert_eq!(post["termStart"], "2026-01-01");
    assert_eq!(post["termEnd"], "2026-12-31");
    assert_eq!(post["retired"], false);
    assert_eq!(post["holders"], json!([]));
    assert_eq!(post["heldByMe"], false);

    let listed = w.gql("demo-member-1", &posts_query(), json!({ "c": w.chengnan, "r": false })).await;
    let by_title: HashMap<String, Value> = payload(&listed)
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["title"].as_str().unwrap().to_owned(), p.clone()))
        .collect();
    assert_eq!(by_title.len(), 3, "{listed}");
    assert_eq!(by_title["政策宣传员"]["capacity"], 3);
    assert_eq!(by_title["政策宣传员"]["kind"], "POLICY_PUBLICITY");
    assert_eq!(by_title["四点半课堂辅导员"]["capacity"], 2);
    assert_eq!(by_title["四点半课堂辅导员"]["kind"], "AFTER_SCHOOL_TUTORING");
    assert_eq!(by_title["法律援助员"]["id"], post["id"]);

    // Every kind the seeds name can be set up.
    for kind in [
        "POLICY_PUBLICITY",
        "ENVIRONMENT",
        "HELPING_NEEDY",
        "HEALTH",
        "LEGAL_AID",
        "AFTER_SCHOOL_TUTORING",
        "ELDERLY_VISITS",
        "MEDIATION",
    ] {
        let resp = w.try_create_post("demo-secretary", json!({ "kind": kind, "title": format!("岗位 {kind}") })).await;
        assert_eq!(payload(&resp)["kind"], kind);
    }
}

#[tokio::test]
async fn only_the_communitys_secretary_creates_posts() {
    let w = World::new().await;
    for who in ["demo-grid", "demo-member-1", "demo-volunteer", "demo-resident-1"] {
        let resp = w.try_create_post(who, json!({})).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }
    let outsider = w.try_create_post("demo-secretary-2", json!({})).await;
    assert_eq!(outcome(&outsider), "NOT_FOUND", "another community's secretary: {outsider}");
    let listed = w.gql("demo-secretary", &posts_query(), json!({ "c": w.chengnan, "r": true })).await;
    assert_eq!(payload(&listed).as_array().unwrap().len(), 2, "only the demo posts: {listed}");
}

#[tokio::test]
async fn post_input_is_checked_field_by_field() {
    let w = World::new().await;
    let cases = [
        (json!({ "capacity": 0 }), "capacity"),
        (json!({ "capacity": 201 }), "capacity"),
        (json!({ "capacity": -3 }), "capacity"),
        (json!({ "termStart": "2026-06-01", "termEnd": "2026-05-31" }), "termEnd"),
        (json!({ "title": "" }), "title"),
        (json!({ "description": "   " }), "description"),
    ];
    for (extra, field) in cases {
        let resp = w.try_create_post("demo-secretary", extra.clone()).await;
        assert_eq!(outcome(&resp), "BAD_USER_INPUT", "{extra}: {resp}");
        assert_eq!(error_field(&resp), field, "{extra}: {resp}");
    }
    for capacity in [1, 200] {
        let resp = w.try_create_post("demo-secretary", json!({ "capacity": capacity })).await;
        assert_eq!(payload(&resp)["capacity"], capacity);
    }
    let one_day =
        w.try_create_post("demo-secretary", json!({ "termStart": "2026-06-01", "termEnd": "2026-06-01" })).await;
    assert_eq!(payload(&one_day)["termEnd"], "2026-06-01");
}

#[tokio::test]
async fn party_members_and_volunteers_claim_posts_and_residents_and_staff_cannot() {
    let w = World::new().await;
    let post = w.post_id("政策宣传员").await;
    let member = w.id_of("demo-member-1").await;
    let volunteer = w.id_of("demo-volunteer").await;

    let claimed = w.claim("demo-member-1", &post).await;
    let p = payload(&claimed);
    assert_eq!(p["taken"], 1);
    assert_eq!(p["heldByMe"], true);
    assert_eq!(holder_ids(p), vec![member.clone()]);

    let claimed = w.claim("demo-volunteer", &post).await;
    let p = payload(&claimed);
    assert_eq!(p["taken"], 2);
    assert_eq!(p["heldByMe"], true);
    assert_eq!(holder_ids(p).into_iter().collect::<HashSet<_>>(), HashSet::from([member.clone(), volunteer.clone()]));

    for who in ["demo-resident-1", "demo-elder", "demo-grid", "demo-secretary"] {
        let resp = w.claim(who, &post).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }

    let seen = w.post_as("demo-member-2", &post).await;
    assert_eq!(seen["taken"], 2);
    assert_eq!(seen["heldByMe"], false);
    assert_eq!(holder_ids(&seen).len(), 2);
    assert_eq!(w.post_as("demo-member-1", &post).await["heldByMe"], true);
}

#[tokio::test]
async fn claiming_a_post_you_hold_or_a_full_post_is_a_conflict_and_leaving_frees_a_place() {
    let w = World::new().await;
    let post = w.post_id("四点半课堂辅导员").await;
    assert_eq!(outcome(&w.claim("demo-member-1", &post).await), "OK");
    assert_eq!(outcome(&w.claim("demo-member-2", &post).await), "OK");

    let again = w.claim("demo-member-1", &post).await;
    assert_eq!(outcome(&again), "CONFLICT", "holding it already: {again}");
    for who in ["demo-member-3", "demo-volunteer"] {
        let full = w.claim(who, &post).await;
        assert_eq!(outcome(&full), "CONFLICT", "{who} on a full post: {full}");
    }
    assert_eq!(w.post_as("demo-secretary", &post).await["taken"], 2);

    let left = w.gql("demo-member-1", &leave_post_query(), json!({ "id": post })).await;
    let p = payload(&left);
    assert_eq!(p["taken"], 1);
    assert_eq!(p["heldByMe"], false);
    assert_eq!(holder_ids(p), vec![w.id_of("demo-member-2").await]);

    let claimed = w.claim("demo-member-3", &post).await;
    assert_eq!(payload(&claimed)["taken"], 2);
    let full = w.claim("demo-member-1", &post).await;
    assert_eq!(outcome(&full), "CONFLICT", "{full}");
}

#[tokio::test]
async fn leaving_a_post_you_do_not_hold_is_an_invalid_state() {
    let w = World::new().await;
    let post = w.post_id("政策宣传员").await;
    let never = w.gql("demo-member-1", &leave_post_query(), json!({ "id": post })).await;
    assert_eq!(outcome(&never), "INVALID_STATE", "{never}");

    assert_eq!(outcome(&w.claim("demo-member-1", &post).await), "OK");
    let left = w.gql("demo-member-1", &leave_post_query(), json!({ "id": post })).await;
    assert_eq!(payload(&left)["taken"], 0);
    let twice = w.gql("demo-member-1", &leave_post_query(), json!({ "id": post })).await;
    assert_eq!(outcome(&twice), "INVALID_STATE", "{twice}");
    assert_eq!(w.post_as("demo-secretary", &post).await["taken"], 0, "never below zero");
}

#[tokio::test]
async fn a_retired_post_cannot_be_claimed_and_is_listed_only_on_request() {
    let w = World::new().await;
    let post = w.post_id("政策宣传员").await;
    assert_eq!(outcome(&w.claim("demo-member-1", &post).await), "OK");

    for who in ["demo-member-1", "demo-grid", "demo-volunteer", "demo-resident-1"] {
        let resp = w.gql(who, &retire_post_query(), json!({ "id": post })).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }
    let retired = w.gql("demo-secretary", &retire_post_query(), json!({ "id": post })).await;
    assert_eq!(payload(&retired)["retired"], true);

    for who in ["demo-member-2", "demo-volunteer"] {
        let resp = w.claim(who, &post).await;
        assert_eq!(outcome(&resp), "INVALID_STATE", "{who}: {resp}");
    }

    let current = w.gql("demo-member-2", &posts_query(), json!({ "c": w.chengnan, "r": false })).await;
    assert!(payload(&current).as_array().unwrap().iter().all(|p| p["id"] != post.as_str()), "{current}");
    let all = w.gql("demo-member-2", &posts_query(), json!({ "c": w.chengnan, "r": true })).await;
    let listed = payload(&all).as_array().unwrap().iter().find(|p| p["id"] == post.as_str()).cloned().unwrap();
    assert_eq!(listed["retired"], true);
    assert_eq!(listed["taken"], 1);
}

#[tokio::test]
async fn another_communitys_people_do_not_find_these_posts() {
    let w = World::new().await;
    let post = w.post_id("政策宣传员").await;
    let listed = w.gql("demo-resident-3", &posts_query(), json!({ "c": w.chengnan, "r": false })).await;
    assert_eq!(outcome(&listed), "NOT_FOUND", "{listed}");
    for who in ["demo-resident-3", "demo-secretary-2"] {
        let resp = w.claim(who, &post).await;
        assert_eq!(outcome(&resp), "NOT_FOUND", "{who}: {resp}");
    }
    let retire = w.gql("demo-secretary-2", &retire_post_query(), json!({ "id": post })).await;
    assert_eq!(outcome(&retire), "NOT_FOUND", "{retire}");
    let missing = w.claim("demo-member-1", "999999").await;
    assert_eq!(outcome(&missing), "NOT_FOUND", "{missing}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_members_claiming_three_places_at_once_leave_exactly_three_holders() {
    let w = World::new().await;
    let post = w.create_post(json!({ "capacity": 3, "title": "环境卫生监督员", "kind": "ENVIRONMENT" })).await;
    let openids: Vec<String> = (1..=20).map(|n| format!("post-claimer-{n}")).collect();
    let mut members = Vec::new();
    for openid in &openids {
        members.push(w.fresh_member(openid).await);
    }

    let w = &w;
    let post_ref = &post;
    let results: Vec<(String, String)> = join_all(
        openids
            .iter()
            .zip(&members)
            .map(|(openid, id)| async move { (id.clone(), outcome(&w.claim(openid, post_ref).await)) }),
    )
    .await;
    let outcomes: Vec<String> = results.iter().map(|(_, o)| o.clone()).collect();
    assert_eq!(count(&outcomes, "OK"), 3, "{outcomes:?}");
    assert_eq!(count(&outcomes, "CONFLICT"), 17, "{outcomes:?}");

    let seen = w.post_as("demo-secretary", &post).await;
    assert_eq!(seen["taken"], 3);
    let winners: HashSet<String> = results.iter().filter(|(_, o)| o == "OK").map(|(id, _)| id.clone()).collect();
    assert_eq!(holder_ids(&seen).into_iter().collect::<HashSet<_>>(), winners);

    // Points went to the winners only.
    for (openid, id) in openids.iter().zip(&members) {
        let (balance, _) = w.points(openid).await;
        assert_eq!(balance, if winners.contains(id) { 2 } else { 0 }, "{openid}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_member_tapping_claim_eight_times_at_once_holds_the_post_once() {
    let w = World::new().await;
    w.session("demo-member-1").await;
    let me = w.id_of("demo-member-1").await;
    // A few rounds, each on a new post with three places, so a race shows up.
    for round in 1..=4 {
        let post =
            w.create_post(json!({ "capacity": 3, "title": format!("调解员 {round}"), "kind": "MEDIATION" })).await;
        let results: Vec<String> =
            join_all((0..8).map(|_| w.claim("demo-member-1", &post))).await.iter().map(outcome).collect();
        assert_eq!(count(&results, "OK"), 1, "round {round}: {results:?}");
        assert_eq!(count(&results, "CONFLICT"), 7, "round {round}: {results:?}");
        let seen = w.post_as("demo-member-1", &post).await;
        assert_eq!(seen["taken"], 1, "round {round}: one member takes one place: {seen}");
        assert_eq!(holder_ids(&seen), vec![me.clone()], "round {round}");
    }
    let (balance, entries) = w.points("demo-member-1").await;
    assert_eq!((balance, entries.len()), (8, 4), "{entries:?}");
}

#[tokio::test]
async fn a_party_member_earns_two_points_per_post_once_a_year_and_a_volunteer_earns_none() {
    let w = World::new().await;
    let publicity = w.post_id("政策宣传员").await;
    let tutoring = w.post_id("四点半课堂辅导员").await;

    assert_eq!(outcome(&w.claim("demo-member-1", &publicity).await), "OK");
    let (balance, entries) = w.points("demo-member-1").await;
    assert_eq!(balance, 2);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["points"], 2);
    assert_eq!(entries[0]["source"], "POST");
    assert_eq!(entries[0]["sourceId"], publicity.as_str());
    assert!(!entries[0]["reason"].as_str().unwrap().is_empty());
    assert_eq!(entries[0]["month"], domain::points::Month::of(w.now()).to_string());
    assert!(close_to(&entries[0]["createdAt"], w.now()));

    // Leaving and claiming the same post again in the same year earns nothing more.
    payload(&w.gql("demo-member-1", &leave_post_query(), json!({ "id": publicity })).await);
    w.app.clock.advance(Duration::hours(1));
    assert_eq!(outcome(&w.claim("demo-member-1", &publicity).await), "OK");
    let (balance, entries) = w.points("demo-member-1").await;
    assert_eq!((balance, entries.len()), (2, 1), "{entries:?}");

    // Another post earns again.
    assert_eq!(outcome(&w.claim("demo-member-1", &tutoring).await), "OK");
    let (balance, entries) = w.points("demo-member-1").await;
    assert_eq!((balance, entries.len()), (4, 2));
    assert_eq!(entries[0]["sourceId"], tutoring.as_str(), "newest first");

    // A volunteer is not a party member: no points.
    assert_eq!(outcome(&w.claim("demo-volunteer", &publicity).await), "OK");
    let (balance, entries) = w.points("demo-volunteer").await;
    assert_eq!((balance, entries.len()), (0, 0));
}

#[tokio::test]
async fn a_post_claimed_again_the_next_year_earns_again() {
    let w = World::new().await;
    let post = w.post_id("政策宣传员").await;
    assert_eq!(outcome(&w.claim("demo-member-1", &post).await), "OK");
    payload(&w.gql("demo-member-1", &leave_post_query(), json!({ "id": post })).await);

    // Into next year (Asia/Shanghai, UTC+8): a week after New Year.
    let shanghai = FixedOffset::east_opt(8 * 3600).unwrap();
    let local = w.now().with_timezone(&shanghai);
    let target = shanghai.with_ymd_and_hms(local.year() + 1, 1, 8, 10, 0, 0).single().unwrap().with_timezone(&Utc);
    w.app.clock.advance(target - w.now());

    assert_eq!(outcome(&w.claim("demo-member-1", &post).await), "OK");
    let (balance, entries) = w.points("demo-member-1").await;
    assert_eq!((balance, entries.len()), (4, 2), "{entries:?}");
    assert_ne!(entries[0]["month"], entries[1]["month"]);
}

// ---------------------------------------------------------------------------
// Activities
// ---------------------------------------------------------------------------

#[tokio::test]
async fn secretaries_and_grid_workers_organise_activities_with_service_time() {
    let w = World::new().await;
    let starts = w.now() + Duration::days(2);
    let by_grid = w
        .try_create_activity(
            "demo-grid",
            json!({ "startsAt": starts.to_rfc3339(), "endsAt": (starts + Duration::minutes(90)).to_rfc3339() }),
        )
        .await;
    let a = payload(&by_grid);
    assert_eq!(a["title"], "楼道卫生清洁");
    assert_eq!(a["kind"], "ENVIRONMENT_CLEANUP");
    assert_eq!(a["place"], "3栋楼下");
    assert!(close_to(&a["startsAt"], starts));
    assert!(close_to(&a["endsAt"], starts + Duration::minutes(90)));
    assert_eq!(a["capacity"], 30);
    assert_eq!(a["signedUp"], 0);
    assert_eq!(a["serviceMinutes"], 90, "defaults to the activity's length");
    assert_eq!(a["cancelled"], false);
    assert!(a["mySignup"].is_null());

    let by_secretary = w
        .try_create_activity(
            "demo-secretary",
            json!({ "kind": "PARTY_LEARNING", "title": "主题党日", "serviceMinutes": 60, "capacity": 50 }),
        )
        .await;
    assert_eq!(payload(&by_secretary)["serviceMinutes"], 60);
    assert_eq!(payload(&by_secretary)["kind"], "PARTY_LEARNING");

    for who in ["demo-member-1", "demo-volunteer", "demo-resident-1"] {
        let resp = w.try_create_activity(who, json!({})).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }
    let outsider = w.try_create_activity("demo-secretary-2", json!({})).await;
    assert_eq!(outcome(&outsider), "NOT_FOUND", "{outsider}");
}

#[tokio::test]
async fn an_activity_must_end_after_it_starts() {
    let w = World::new().await;
    let starts = w.now() + Duration::hours(3);
    for ends in [starts, starts - Duration::minutes(1), starts - Duration::days(1)] {
        let resp = w
            .try_create_activity(
                "demo-secretary",
                json!({ "startsAt": starts.to_rfc3339(), "endsAt": ends.to_rfc3339() }),
            )
            .await;
        assert_eq!(outcome(&resp), "BAD_USER_INPUT", "{resp}");
        assert_eq!(error_field(&resp), "endsAt", "{resp}");
    }
    let listed = w.gql("demo-secretary", &activities_query(), json!({ "c": w.chengnan, "u": false })).await;
    assert_eq!(payload(&listed), &json!([]));
}

#[tokio::test]
async fn anyone_in_the_community_signs_up_and_may_cancel() {
    let w = World::new().await;
    let activity = w.activity_id(json!({})).await;
    for who in ["demo-member-1", "demo-volunteer", "demo-resident-1", "demo-elder"] {
        let resp = w.sign_up(who, &activity).await;
        let s = payload(&resp);
        assert_eq!(s["activityId"], activity.as_str());
        assert_eq!(s["person"]["id"], w.id_of(who).await.as_str());
        assert!(close_to(&s["signedUpAt"], w.now()), "{resp}");
        assert!(s["checkedInAt"].is_null());
        assert!(s["serviceMinutes"].is_null());
    }

    let listed = w.gql("demo-resident-1", &activities_query(), json!({ "c": w.chengnan, "u": true })).await;
    let a = &payload(&listed)[0];
    assert_eq!(a["id"], activity.as_str());
    assert_eq!(a["signedUp"], 4);
    assert_eq!(a["mySignup"]["activityId"], activity.as_str());
    assert!(a["mySignup"]["checkedInAt"].is_null());
    let not_mine = w.gql("demo-member-2", &activities_query(), json!({ "c": w.chengnan, "u": true })).await;
    assert!(payload(&not_mine)[0]["mySignup"].is_null());

    let cancelled = w.gql("demo-resident-1", &cancel_signup_query(), json!({ "id": activity })).await;
    assert_eq!(payload(&cancelled)["signedUp"], 3);
    assert!(payload(&cancelled)["mySignup"].is_null());
    let again = w.gql("demo-resident-1", &cancel_signup_query(), json!({ "id": activity })).await;
    assert_ne!(outcome(&again), "OK", "nothing left to cancel: {again}");
    assert_eq!(w.activity("demo-secretary", &activity).await["signedUp"], 3);

    assert_eq!(outcome(&w.sign_up("demo-resident-1", &activity).await), "OK");
    assert_eq!(w.activity("demo-resident-1", &activity).await["signedUp"], 4);

    for who in ["demo-resident-3", "demo-secretary-2"] {
        let resp = w.sign_up(who, &activity).await;
        assert_eq!(outcome(&resp), "NOT_FOUND", "{who}: {resp}");
    }
    assert_eq!(w.attendance("demo-grid", &activity).await.len(), 4);
}

#[tokio::test]
async fn a_full_activity_answers_conflict_until_someone_cancels() {
    let w = World::new().await;
    let activity = w.activity_id(json!({ "capacity": 2 })).await;
    assert_eq!(outcome(&w.sign_up("demo-member-1", &activity).await), "OK");
    assert_eq!(outcome(&w.sign_up("demo-resident-2", &activity).await), "OK");
    let full = w.sign_up("demo-resident-1", &activity).await;
    assert_eq!(outcome(&full), "CONFLICT", "{full}");

    // Signing up again is not a second place.
    w.sign_up("demo-member-1", &activity).await;
    assert_eq!(w.activity("demo-member-1", &activity).await["signedUp"], 2);

    payload(&w.gql("demo-member-1", &cancel_signup_query(), json!({ "id": activity })).await);
    assert_eq!(outcome(&w.sign_up("demo-resident-1", &activity).await), "OK");
    let full = w.sign_up("demo-member-1", &activity).await;
    assert_eq!(outcome(&full), "CONFLICT", "{full}");
    assert_eq!(w.activity("demo-secretary", &activity).await["signedUp"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_neighbours_signing_up_for_five_places_at_once_leave_exactly_five() {
    let w = World::new().await;
    let activity = w.activity_id(json!({ "capacity": 5 })).await;
    let openids: Vec<String> = (1..=20).map(|n| format!("neighbour-{n}")).collect();
    for openid in &openids {
        w.fresh_resident(openid).await;
    }
    let results: Vec<String> =
        join_all(openids.iter().map(|o| w.sign_up(o, &activity))).await.iter().map(outcome).collect();
    assert_eq!(count(&results, "OK"), 5, "{results:?}");
    assert_eq!(count(&results, "CONFLICT"), 15, "{results:?}");
    assert_eq!(w.activity("demo-secretary", &activity).await["signedUp"], 5);
    assert_eq!(w.attendance("demo-secretary", &activity).await.len(), 5);
}

#[tokio::test]
async fn upcoming_only_hides_activities_that_are_over() {
    let w = World::new().await;
    let now = w.now();
    let soon = w
        .activity_id(json!({
            "title": "义诊",
            "startsAt": (now + Duration::hours(1)).to_rfc3339(),
            "endsAt": (now + Duration::hours(2)).to_rfc3339(),
        }))
        .await;
    let later = w
        .activity_id(json!({
            "title": "广场舞",
            "kind": "CULTURAL",
            "startsAt": (now + Duration::days(1)).to_rfc3339(),
            "endsAt": (now + Duration::days(1) + Duration::hours(2)).to_rfc3339(),
        }))
        .await;
    let ids = |resp: &Value| -> Vec<String> {
        payload(resp).as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_owned()).collect()
    };
    let upcoming = w.gql("demo-resident-1", &activities_query(), json!({ "c": w.chengnan, "u": true })).await;
    assert_eq!(ids(&upcoming), vec![soon.clone(), later.clone()], "by start time");

    w.app.clock.advance(Duration::hours(3));
    let upcoming = w.gql("demo-resident-1", &activities_query(), json!({ "c": w.chengnan, "u": true })).await;
    assert_eq!(ids(&upcoming), vec![later.clone()]);
    let all = w.gql("demo-resident-1", &activities_query(), json!({ "c": w.chengnan, "u": false })).await;
    assert_eq!(ids(&all), vec![soon, later]);
    let outsider = w.gql("demo-resident-3", &activities_query(), json!({ "c": w.chengnan, "u": false })).await;
    assert_eq!(outcome(&outsider), "NOT_FOUND", "{outsider}");
}

// ---------------------------------------------------------------------------
// Check-in
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_organiser_shows_a_code_and_an_attendee_checks_in_with_the_service_time() {
    let w = World::new().await;
    let activity = w.activity_id(json!({ "serviceMinutes": 45 })).await;
    let signed = w.sign_up("demo-member-1", &activity).await;
    let signed_up_at = time(&payload(&signed)["signedUpAt"]);

    w.app.clock.advance(Duration::minutes(10));
    let resp = w.gql("demo-grid", CODE, json!({ "id": activity })).await;
    let shown = payload(&resp);
    assert!((time(&shown["expiresAt"]) - (w.now() + Duration::seconds(120))).num_seconds().abs() < 1, "{resp}");
    let code = shown["code"].as_str().unwrap().to_owned();
    assert!(!code.is_empty());

    let resp = w.check_in("demo-member-1", &code).await;
    let s = payload(&resp);
    assert_eq!(s["activityId"], activity.as_str());
    assert_eq!(s["person"]["id"], w.id_of("demo-member-1").await.as_str());
    assert!(close_to(&s["checkedInAt"], w.now()), "{resp}");
    assert!(close_to(&s["signedUpAt"], signed_up_at), "the sign-up stays: {resp}");
    assert_eq!(s["serviceMinutes"], 45);

    let mine = w.activity("demo-member-1", &activity).await;
    assert!(close_to(&mine["mySignup"]["checkedInAt"], w.now()));
    assert_eq!(mine["signedUp"], 1);

    for staff in ["demo-grid", "demo-secretary"] {
        let list = w.attendance(staff, &activity).await;
        assert_eq!(list.len(), 1, "{staff}");
        assert_eq!(list[0]["person"]["id"], w.id_of("demo-member-1").await.as_str());
        assert_eq!(list[0]["serviceMinutes"], 45);
        assert!(!list[0]["checkedInAt"].is_null());
    }
    for who in ["demo-member-1", "demo-volunteer", "demo-resident-1"] {
        let resp = w.gql(who, &attendance_query(), json!({ "id": activity })).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }

    // Without serviceMinutes, the service time is the activity's length.
    let starts = w.now() + Duration::minutes(5);
    let long = w
        .activity_id(json!({
            "startsAt": starts.to_rfc3339(),
            "endsAt": (starts + Duration::minutes(150)).to_rfc3339(),
        }))
        .await;
    let code = w.code(&long).await;
    let resp = w.check_in("demo-resident-1", &code).await;
    assert_eq!(payload(&resp)["serviceMinutes"], 150);
}

#[tokio::test]
async fn checking_in_twice_gives_the_same_result_and_points_once() {
    let w = World::new().await;
    let activity = w.activity_id(json!({ "title": "敬老院探访", "kind": "VOLUNTEER_SERVICE" })).await;
    let code = w.code(&activity).await;
    let first = w.check_in("demo-member-1", &code).await;
    let first = payload(&first).clone();

    w.app.clock.advance(Duration::seconds(30));
    let second = w.check_in("demo-member-1", &code).await;
    let second = payload(&second);
    assert_eq!(second["checkedInAt"], first["checkedInAt"]);
    assert_eq!(second["serviceMinutes"], first["serviceMinutes"]);

    // Even with a fresh code later on.
    w.app.clock.advance(Duration::minutes(20));
    let code = w.code(&activity).await;
    let third = w.check_in("demo-member-1", &code).await;
    assert_eq!(payload(&third)["checkedInAt"], first["checkedInAt"]);

    let (balance, entries) = w.points("demo-member-1").await;
    assert_eq!(balance, 2);
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["points"], 2);
    assert_eq!(entries[0]["source"], "ACTIVITY");
    assert_eq!(entries[0]["sourceId"], activity.as_str());
    assert_eq!(w.attendance("demo-grid", &activity).await.len(), 1);
    assert_eq!(w.activity("demo-grid", &activity).await["signedUp"], 1);

    // Volunteers and residents check in without dedication points.
    for who in ["demo-volunteer", "demo-resident-1"] {
        payload(&w.check_in(who, &code).await);
    }
    let (balance, entries) = w.points("demo-volunteer").await;
    assert_eq!((balance, entries.len()), (0, 0));
}

#[tokio::test]
async fn someone_who_did_not_sign_up_is_signed_up_on_the_spot_while_there_is_room() {
    let w = World::new().await;
    let activity = w.activity_id(json!({ "capacity": 1 })).await;
    let code = w.code(&activity).await;
    let resp = w.check_in("demo-resident-1", &code).await;
    let s = payload(&resp);
    assert!(!s["checkedInAt"].is_null());
    assert_eq!(s["serviceMinutes"], 90);
    assert_eq!(w.activity("demo-resident-1", &activity).await["signedUp"], 1);

    let full = w.check_in("demo-resident-2", &code).await;
    assert_eq!(outcome(&full), "CONFLICT", "no room left: {full}");
    assert_eq!(w.activity("demo-secretary", &activity).await["signedUp"], 1);
    let list = w.attendance("demo-secretary", &activity).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["person"]["id"], w.id_of("demo-resident-1").await.as_str());
}

#[tokio::test]
async fn only_the_organiser_and_staff_show_the_check_in_code() {
    let w = World::new().await;
    let activity = w.activity_id(json!({})).await;
    for who in ["demo-grid", "demo-secretary"] {
        let resp = w.gql(who, CODE, json!({ "id": activity })).await;
        assert!(!payload(&resp)["code"].as_str().unwrap().is_empty(), "{who}");
    }
    assert_eq!(outcome(&w.sign_up("demo-member-1", &activity).await), "OK");
    for who in ["demo-member-1", "demo-volunteer", "demo-resident-1"] {
        let resp = w.gql(who, CODE, json!({ "id": activity })).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }
    let outsider = w.gql("demo-secretary-2", CODE, json!({ "id": activity })).await;
    assert_eq!(outcome(&outsider), "NOT_FOUND", "{outsider}");
}

#[tokio::test]
async fn a_check_in_code_lasts_two_minutes_of_the_app_clock() {
    let w = World::new().await;
    let activity = w.activity_id(json!({})).await;
    let code = w.code(&activity).await;

    w.app.clock.advance(Duration::seconds(119));
    assert_eq!(outcome(&w.check_in("demo-member-1", &code).await), "OK", "still valid at 119 s");

    w.app.clock.advance(Duration::seconds(2));
    let late = w.check_in("demo-member-2", &code).await;
    assert_eq!(outcome(&late), "BAD_USER_INPUT", "{late}");
    assert_eq!(error_field(&late), "code");

    w.app.clock.advance(Duration::minutes(3));
    let later = w.check_in("demo-member-3", &code).await;
    assert_eq!(outcome(&later), "BAD_USER_INPUT", "{later}");
    assert_eq!(error_field(&later), "code");

    // A photo of an old code is useless; the organiser's phone shows a fresh one.
    let fresh = w.code(&activity).await;
    assert_eq!(outcome(&w.check_in("demo-member-2", &fresh).await), "OK");
    let list = w.attendance("demo-grid", &activity).await;
    let came: HashSet<String> = list.iter().map(|s| s["person"]["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(came, HashSet::from([w.id_of("demo-member-1").await, w.id_of("demo-member-2").await]));
}

#[tokio::test]
async fn a_tampered_or_made_up_code_is_refused() {
    let w = World::new().await;
    let activity = w.activity_id(json!({})).await;
    let other = w.activity_id(json!({ "title": "另一个活动" })).await;
    let code = w.code(&activity).await;
    let parts: Vec<&str> = code.split('.').collect();
    assert_eq!(parts.len(), 3, "id.expiry.signature: {code}");
    assert_eq!(parts[0], activity, "the code names its activity");

    let signature = parts[2];
    let first = signature.chars().next().unwrap();
    let swapped = if first == 'A' { 'B' } else { 'A' };
    let forged_signature = format!("{}.{}.{swapped}{}", parts[0], parts[1], &signature[first.len_utf8()..]);
    let other_activity = format!("{other}.{}.{}", parts[1], parts[2]);
    let longer = format!("{}.{}.{}", parts[0], parts[1].parse::<i64>().unwrap() + 3600, parts[2]);
    let truncated = format!("{}.{}.{}", parts[0], parts[1], &signature[..signature.len() - 1]);
    for bad in
        [forged_signature, other_activity, longer, truncated, "hello".into(), format!("{}.{}", parts[0], parts[1])]
    {
        let resp = w.check_in("demo-member-1", &bad).await;
        assert_eq!(outcome(&resp), "BAD_USER_INPUT", "{bad}: {resp}");
        assert_eq!(error_field(&resp), "code", "{bad}");
    }
    assert!(w.attendance("demo-grid", &activity).await.is_empty());
    assert!(w.attendance("demo-grid", &other).await.is_empty());
    assert_eq!(outcome(&w.check_in("demo-member-1", &code).await), "OK", "the genuine code still works");
}

#[tokio::test]
async fn a_member_of_another_community_cannot_check_in() {
    let w = World::new().await;
    let activity = w.activity_id(json!({})).await;
    let code = w.code(&activity).await;
    for who in ["demo-resident-3", "demo-secretary-2"] {
        let resp = w.check_in(who, &code).await;
        assert_eq!(outcome(&resp), "NOT_FOUND", "{who}: {resp}");
    }
    assert!(w.attendance("demo-secretary", &activity).await.is_empty());
    assert_eq!(w.activity("demo-secretary", &activity).await["signedUp"], 0);
}

// ---------------------------------------------------------------------------
// Retries and double taps at once
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_neighbour_tapping_sign_up_five_times_at_once_takes_one_place() {
    let w = World::new().await;
    w.session("demo-resident-1").await;
    for round in 1..=3 {
        let activity = w.activity_id(json!({ "capacity": 3, "title": format!("健康讲座 {round}") })).await;
        let results: Vec<String> =
            join_all((0..5).map(|_| w.sign_up("demo-resident-1", &activity))).await.iter().map(outcome).collect();
        assert!(results.contains(&"OK".to_owned()), "round {round}: {results:?}");
        assert_eq!(w.activity("demo-resident-1", &activity).await["signedUp"], 1, "round {round}: {results:?}");
        assert_eq!(w.attendance("demo-grid", &activity).await.len(), 1, "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_attendee_whose_phone_sends_the_scan_five_times_at_once_is_checked_in_once() {
    let w = World::new().await;
    w.session("demo-member-1").await;
    for round in 1..=3 {
        let activity = w.activity_id(json!({ "capacity": 3, "title": format!("党史学习 {round}") })).await;
        let code = w.code(&activity).await;
        let responses = join_all((0..5).map(|_| w.check_in("demo-member-1", &code))).await;
        let results: Vec<String> = responses.iter().map(outcome).collect();
        let errors: Vec<&Value> = responses.iter().filter_map(|r| r.get("errors")).collect();
        assert_eq!(results, vec!["OK"; 5], "round {round}: checking in again gives the same result: {errors:?}");
        let times: HashSet<&Value> = responses.iter().map(|r| &payload(r)["checkedInAt"]).collect();
        assert_eq!(times.len(), 1, "round {round}: one check-in time: {responses:?}");
        assert_eq!(w.activity("demo-member-1", &activity).await["signedUp"], 1, "round {round}");
    }
    let (balance, entries) = w.points("demo-member-1").await;
    assert_eq!((balance, entries.len()), (6, 3), "two points per activity, once: {entries:?}");
}
