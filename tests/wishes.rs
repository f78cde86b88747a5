// Micro-wishes (微心愿) end to end, as the demo users: a resident (or a grid
// worker for her) posts a wish → the secretary publishes it → one member
// claims it → fulfils it by the deadline → the secretary approves → the
// resident thanks. Every forbidden role and transition, the one-winner claim,
// the claim deadline and the points it earns or costs, idempotent retries and
// the lists.

use std::collections::{HashMap, HashSet};

use crate::common::*;
use chrono::{DateTime, Duration, FixedOffset, Utc};
use domain::Clock;
use futures_util::future::join_all;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

macro_rules! wish_fields {
    () => {
        "id status title story photoUrls community { id name } placedBy { id } onBehalfOf { id } claimant { id } \
         claimDueAt fulfilNote fulfilPhotoUrls ratingStars thanks createdAt updatedAt \
         history { actor { id } fromStatus toStatus at note }"
    };
}

const POST: &str = concat!("mutation($input: PostWishInput!) { postWish(input: $input) { ", wish_fields!(), " } }");
const PUBLISH: &str = concat!("mutation($id: ID!) { publishWish(wishId: $id) { ", wish_fields!(), " } }");
const DECLINE: &str = concat!(
    "mutation($id: ID!, $reason: String!) { declineWish(wishId: $id, reason: $reason) { ",
    wish_fields!(),
    " } }"
);
const CLAIM: &str = concat!("mutation($id: ID!) { claimWish(wishId: $id) { ", wish_fields!(), " } }");
const WITHDRAW: &str = concat!("mutation($id: ID!) { withdrawWishClaim(wishId: $id) { ", wish_fields!(), " } }");
const FULFIL: &str = concat!(
    "mutation($id: ID!, $note: String!, $photos: [String!]) { fulfilWish(wishId: $id, note: $note, photoUrls: $photos) { ",
    wish_fields!(),
    " } }"
);
const APPROVE: &str = concat!("mutation($id: ID!) { approveWish(wishId: $id) { ", wish_fields!(), " } }");
const REJECT: &str = concat!(
    "mutation($id: ID!, $reason: String!) { rejectWish(wishId: $id, reason: $reason) { ",
    wish_fields!(),
    " } }"
);
const THANK: &str = concat!(
    "mutation($id: ID!, $stars: Int!, $thanks: String) { thankWish(wishId: $id, stars: $stars, thanks: $thanks) { ",
    wish_fields!(),
    " } }"
);
const CANCEL: &str = concat!(
    "mutation($id: ID!, $reason: String) { cancelWish(wishId: $id, reason: $reason) { ",
    wish_fields!(),
    " } }"
);
const WISH: &str = concat!("query($id: ID!) { wish(id: $id) { ", wish_fields!(), " } }");
const WISHES: &str = "query($filter: WishFilter, $first: Int, $after: String) { wishes(filter: $filter, first: $first, \
                      after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } \
                      edges { cursor node { id status } } } }";

const POINTS: &str = "query($c: ID!, $m: ID!) { dedicationPoints(communityId: $c, memberId: $m) { balance \
                      entries { totalCount edges { node { points reason source sourceId month } } } } }";
const SET_RULES: &str = "mutation($c: ID!, $rules: DedicationRulesInput!) { setDedicationRules(communityId: $c, \
                         rules: $rules) { wishClaimDays wishClaimExpired wishFulfilled } }";
const RULES: &str = "query($c: ID!) { dedicationRules(communityId: $c) { wishClaimDays wishClaimExpired } }";

area_world!();

impl World {
    /// `postWish` in 城南 with a school bag, overridden by `extra`.
    async fn try_post(&self, who: &str, extra: Value) -> Value {
        let mut input = json!({
            "communityId": self.chengnan,
            "title": "一个新书包",
            "story": "孙子九月上一年级，家里买不起新书包",
        });
        if let Value::Object(extra) = extra {
            for (k, v) in extra {
                input[k] = v;
            }
        }
        self.gql(who, POST, json!({ "input": input })).await
    }

    async fn post(&self, who: &str, extra: Value) -> Value {
        payload(&self.try_post(who, extra).await).clone()
    }

    async fn post_id(&self, who: &str) -> String {
        id(&self.post(who, json!({})).await)
    }

    /// The wish as the secretary sees it.
    async fn wish(&self, wish: &str) -> Value {
        let resp = self.gql("demo-secretary", WISH, json!({ "id": wish })).await;
        data(&resp, "wish").clone()
    }

    /// One page of `wishes` as `who`.
    async fn list(&self, who: &str, variables: Value) -> Value {
        let resp = self.gql(who, WISHES, variables).await;
        payload(&resp).clone()
    }

    /// The ids `wishes(filter:)` gives `who`, newest first.
    async fn filtered(&self, who: &str, filter: Value) -> Vec<String> {
        node_ids(&self.list(who, json!({ "filter": filter, "first": 100 })).await)
    }

    /// `member`'s points in 城南 as `viewer` sees them: (balance, entries newest first).
    async fn points(&self, viewer: &str, member: &str) -> (i64, Vec<Value>) {
        let resp = self.gql(viewer, POINTS, json!({ "c": self.chengnan, "m": member })).await;
        let account = data(&resp, "dedicationPoints");
        let entries = account["entries"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect();
        (account["balance"].as_i64().unwrap(), entries)
    }

    /// `member`'s entries from one wish, as she sees them.
    async fn wish_entries(&self, who: &str, wish: &str) -> Vec<Value> {
        let member = self.id_of(who).await;
        let (_, entries) = self.points(who, &member).await;
        entries.into_iter().filter(|e| e["source"] == "WISH" && e["sourceId"] == wish).collect()
    }

    /// The claim deadline sweep, as the background sweeper would run it.
    async fn sweep(&self) -> usize {
        self.app.domain.wishes().expire_claims().await.expect("the sweep should run")
    }
}

/// Claimed wishes belong to demo-member-1.
impl Spine for World {
    const NOUN: &'static str = "wish";
    const PATH: &'static [Step] = &[
        ("demo-secretary", "publish", "PUBLISHED"),
        ("demo-member-1", "claim", "CLAIMED"),
        ("demo-member-1", "fulfil", "AWAITING_APPROVAL"),
        ("demo-secretary", "approve", "APPROVED"),
        ("demo-resident-1", "thank", "CLOSED"),
    ];
    const BRANCHES: &'static [Step] =
        &[("demo-secretary", "decline", "DECLINED"), ("demo-resident-1", "cancel", "CANCELLED")];

    async fn submitted(&self) -> String {
        self.post_id("demo-resident-1").await
    }

    async fn act(&self, who: &str, action: &str, wish: &str) -> Value {
        let (query, vars) = match action {
            "publish" => (PUBLISH, json!({ "id": wish })),
            "decline" => (DECLINE, json!({ "id": wish, "reason": "不属于微心愿范围，请改为点单" })),
            "claim" => (CLAIM, json!({ "id": wish })),
            "withdraw" => (WITHDRAW, json!({ "id": wish })),
            "fulfil" => (FULFIL, json!({ "id": wish, "note": "书包已送到家里" })),
            "approve" => (APPROVE, json!({ "id": wish })),
            "reject" => (REJECT, json!({ "id": wish, "reason": "请补一张送达的照片" })),
            "thank" => (THANK, json!({ "id": wish, "stars": 5, "thanks": "谢谢党员同志" })),
            "cancel" => (CANCEL, json!({ "id": wish, "reason": "家里已经买了" })),
            other => panic!("unknown action {other}"),
        };
        self.gql(who, query, vars).await
    }

    async fn read(&self, wish: &str) -> Value {
        self.wish(wish).await
    }
}

fn node_ids(connection: &Value) -> Vec<String> {
    connection["edges"].as_array().unwrap().iter().map(|e| id(&e["node"])).collect()
}

/// Equal up to what a database keeps of a timestamp (microseconds).
fn assert_same_instant(got: DateTime<Utc>, expected: DateTime<Utc>, what: &str) {
    assert!((got - expected).abs() < Duration::milliseconds(1), "{what}: {got} is not {expected}");
}

/// YYYY-MM of an instant in Asia/Shanghai (UTC+8 all year).
fn shanghai_month(at: DateTime<Utc>) -> String {
    at.with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap()).format("%Y-%m").to_string()
}

fn last_event(wish: &Value) -> Value {
    wish["history"].as_array().unwrap().last().unwrap_or_else(|| panic!("no history: {wish}")).clone()
}

// ---------------------------------------------------------------------------
// The loop
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_wish_runs_from_post_to_thanks_with_a_rejection_points_and_a_full_history() {
    let w = World::new().await;
    let resident = w.id_of("demo-resident-1").await;
    let secretary = w.id_of("demo-secretary").await;
    let member = w.id_of("demo-member-1").await;
    let minute = Duration::minutes(1);

    let posted = w
        .post(
            "demo-resident-1",
            json!({
                "title": "一个新书包",
                "story": "孙子九月上一年级，旧书包已经破了",
                "photoUrls": ["https://img.example.com/old-bag.jpg"],
            }),
        )
        .await;
    let id = id(&posted);
    assert_eq!(posted["status"], "SUBMITTED");
    assert_eq!(posted["title"], "一个新书包");
    assert_eq!(posted["story"], "孙子九月上一年级，旧书包已经破了");
    assert_eq!(posted["photoUrls"], json!(["https://img.example.com/old-bag.jpg"]));
    assert_eq!(posted["community"]["name"], CHENGNAN);
    assert_eq!(posted["placedBy"]["id"], resident.as_str());
    assert!(posted["onBehalfOf"].is_null() && posted["claimant"].is_null() && posted["claimDueAt"].is_null());

    w.app.clock.advance(minute);
    let published = w.must("demo-secretary", "publish", &id, "PUBLISHED").await;
    assert!(published["claimant"].is_null());

    w.app.clock.advance(minute);
    let claimed_at = w.app.clock.now();
    let claimed = w.must("demo-member-1", "claim", &id, "CLAIMED").await;
    assert_eq!(claimed["claimant"]["id"], member.as_str());
    let due = time(&claimed["claimDueAt"]);
    assert_same_instant(due, claimed_at + Duration::days(7), "claimDueAt is the clock plus 7 days");
    assert_eq!(due - time(&last_event(&claimed)["at"]), Duration::days(7));

    w.app.clock.advance(minute);
    let done = w
        .gql(
            "demo-member-1",
            FULFIL,
            json!({ "id": id, "note": "买了新书包送到家里", "photos": ["https://img.example.com/new-bag.jpg"] }),
        )
        .await;
    let done = payload(&done);
    assert_eq!(done["status"], "AWAITING_APPROVAL");
    assert_eq!(done["fulfilNote"], "买了新书包送到家里");
    assert_eq!(done["fulfilPhotoUrls"], json!(["https://img.example.com/new-bag.jpg"]));

    w.app.clock.advance(minute);
    let rejected = w.gql("demo-secretary", REJECT, json!({ "id": id, "reason": "请补一张孩子收到书包的照片" })).await;
    let rejected = payload(&rejected);
    assert_eq!(rejected["status"], "CLAIMED", "a rejection sends it back to the claimant");
    assert_eq!(rejected["claimant"]["id"], member.as_str());
    assert!(w.wish_entries("demo-member-1", &id).await.is_empty(), "nothing counts before approval");

    w.app.clock.advance(minute);
    let again = w.gql("demo-member-1", FULFIL, json!({ "id": id, "note": "已补拍孩子背书包的照片" })).await;
    assert_eq!(payload(&again)["status"], "AWAITING_APPROVAL");

    let (balance_before, _) = w.points("demo-member-1", &member).await;
    w.app.clock.advance(minute);
    let approved_at = w.app.clock.now();
    w.must("demo-secretary", "approve", &id, "APPROVED").await;
    let entries = w.wish_entries("demo-member-1", &id).await;
    assert_eq!(entries.len(), 1, "one entry for the approved wish: {entries:?}");
    assert_eq!(entries[0]["points"], 5);
    assert_eq!(entries[0]["source"], "WISH");
    assert_eq!(entries[0]["month"], shanghai_month(approved_at));
    assert!(!entries[0]["reason"].as_str().unwrap().is_empty());
    let (balance_after, _) = w.points("demo-member-1", &member).await;
    assert_eq!(balance_after - balance_before, 5);

    w.app.clock.advance(minute);
    let thanked = w.gql("demo-resident-1", THANK, json!({ "id": id, "stars": 5, "thanks": "谢谢李叔叔" })).await;
    let thanked = payload(&thanked);
    assert_eq!(thanked["status"], "CLOSED");
    assert_eq!(thanked["ratingStars"], 5);
    assert_eq!(thanked["thanks"], "谢谢李叔叔");

    let wish = w.wish(&id).await;
    assert_eq!(wish["status"], "CLOSED");
    assert_eq!(wish["claimant"]["id"], member.as_str());
    assert_eq!(wish["fulfilNote"], "已补拍孩子背书包的照片");
    assert_history(
        &wish,
        &[
            (&resident, Value::Null, "SUBMITTED"),
            (&secretary, json!("SUBMITTED"), "PUBLISHED"),
            (&member, json!("PUBLISHED"), "CLAIMED"),
            (&member, json!("CLAIMED"), "AWAITING_APPROVAL"),
            (&secretary, json!("AWAITING_APPROVAL"), "CLAIMED"),
            (&member, json!("CLAIMED"), "AWAITING_APPROVAL"),
            (&secretary, json!("AWAITING_APPROVAL"), "APPROVED"),
            (&resident, json!("APPROVED"), "CLOSED"),
        ],
    );
    let history = wish["history"].as_array().unwrap();
    assert_eq!(history[3]["note"], "买了新书包送到家里", "the fulfilment note goes with the change");
    assert_eq!(history[4]["note"], "请补一张孩子收到书包的照片", "the rejection reason goes with the change");
    assert_eq!(history[5]["note"], "已补拍孩子背书包的照片");
    assert!(history[7]["note"].is_string(), "the thanks go with the change: {}", history[7]);
    let created = time(&wish["createdAt"]);
    for (i, event) in history.iter().enumerate() {
        assert_eq!(time(&event["at"]) - created, minute * i as i32, "event {i} at the injected clock's time");
    }
    // Thanking changed nothing more in the member's points from this wish.
    assert_eq!(w.wish_entries("demo-member-1", &id).await.len(), 1);
}

#[tokio::test]
async fn a_volunteer_may_claim_and_fulfil_a_wish() {
    let w = World::new().await;
    let volunteer = w.id_of("demo-volunteer").await;
    let id = w.in_state("PUBLISHED").await;
    let claimed = w.must("demo-volunteer", "claim", &id, "CLAIMED").await;
    assert_eq!(claimed["claimant"]["id"], volunteer.as_str());
    for other in ["demo-member-1", "demo-member-2"] {
        assert_eq!(error_code(&w.act(other, "claim", &id).await), "ALREADY_CLAIMED", "{other}");
    }
    w.must("demo-volunteer", "fulfil", &id, "AWAITING_APPROVAL").await;
    assert_eq!(error_code(&w.act("demo-member-1", "claim", &id).await), "ALREADY_CLAIMED", "still taken when done");
    w.must("demo-secretary", "approve", &id, "APPROVED").await;
    w.must("demo-resident-1", "thank", &id, "CLOSED").await;
}

#[tokio::test]
async fn a_grid_worker_posts_a_wish_for_an_elder_and_either_of_them_may_thank() {
    let w = World::new().await;
    let elder = w.id_of("demo-elder").await;
    let grid = w.id_of("demo-grid").await;

    let posted =
        w.post("demo-grid", json!({ "title": "一台收音机", "story": "吴奶奶想听山歌", "onBehalfOf": elder })).await;
    let for_elder = id(&posted);
    assert_eq!(posted["status"], "SUBMITTED");
    assert_eq!(posted["placedBy"]["id"], grid.as_str());
    assert_eq!(posted["onBehalfOf"]["id"], elder.as_str());
    // The elder sees it as hers.
    assert_eq!(w.filtered("demo-elder", json!({ "mine": true })).await, vec![for_elder.clone()]);
    let seen = w.gql("demo-elder", WISH, json!({ "id": for_elder })).await;
    assert_eq!(data(&seen, "wish")["onBehalfOf"]["id"], elder.as_str());

    for thanker in ["demo-elder", "demo-grid"] {
        let id = if thanker == "demo-elder" {
            for_elder.clone()
        } else {
            id(&w.post("demo-grid", json!({ "onBehalfOf": elder })).await)
        };
        w.must("demo-secretary", "publish", &id, "PUBLISHED").await;
        w.must("demo-member-1", "claim", &id, "CLAIMED").await;
        w.must("demo-member-1", "fulfil", &id, "AWAITING_APPROVAL").await;
        w.must("demo-secretary", "approve", &id, "APPROVED").await;
        let thanked = w.gql(thanker, THANK, json!({ "id": id, "stars": 4, "thanks": "收音机很好用" })).await;
        let thanked = payload(&thanked);
        assert_eq!(thanked["status"], "CLOSED", "{thanker} thanks");
        assert_eq!(thanked["ratingStars"], 4);
        assert_eq!(last_event(thanked)["actor"]["id"], w.id_of(thanker).await.as_str());
    }

    // The secretary may post for a resident too.
    let by_secretary = w.post("demo-secretary", json!({ "onBehalfOf": elder })).await;
    assert_eq!(by_secretary["onBehalfOf"]["id"], elder.as_str());
}

#[tokio::test]
async fn only_grid_workers_and_secretaries_post_for_someone_else_and_only_for_residents() {
    let w = World::new().await;
    let elder = w.id_of("demo-elder").await;
    for who in ["demo-resident-1", "demo-member-1", "demo-volunteer"] {
        let resp = w.try_post(who, json!({ "onBehalfOf": elder })).await;
        assert_eq!(error_code(&resp), "FORBIDDEN", "{who} posting for the elder: {resp}");
    }
    let outsider = w.id_of("demo-resident-3").await;
    let resp = w.try_post("demo-grid", json!({ "onBehalfOf": outsider })).await;
    assert_eq!(error_code(&resp), "BAD_USER_INPUT", "not a resident of 城南: {resp}");
    assert_eq!(w.filtered("demo-secretary", json!({})).await, Vec::<String>::new(), "nothing was posted");
}

#[tokio::test]
async fn nobody_claims_a_wish_they_posted_or_that_was_posted_for_them() {
    let w = World::new().await;
    // A member's own wish.
    let own = w.post_id("demo-member-3").await;
    w.must("demo-secretary", "publish", &own, "PUBLISHED").await;
    assert_eq!(error_code(&w.act("demo-member-3", "claim", &own).await), "FORBIDDEN");
    assert_eq!(w.status(&own).await, "PUBLISHED");

    // A resident who is also a party member, for whom the grid worker posted a wish.
    let resident = w.id_of("demo-resident-1").await;
    let granted = w.gql("demo-secretary", GRANT, json!({ "c": w.chengnan, "u": resident, "r": "PARTY_MEMBER" })).await;
    assert!(payload(&granted)["roles"].as_array().unwrap().contains(&json!("PARTY_MEMBER")));
    let for_her = id(&w.post("demo-grid", json!({ "onBehalfOf": resident })).await);
    w.must("demo-secretary", "publish", &for_her, "PUBLISHED").await;
    assert_eq!(error_code(&w.act("demo-resident-1", "claim", &for_her).await), "FORBIDDEN");
    assert_eq!(w.status(&for_her).await, "PUBLISHED");
    // Anyone else may.
    w.must("demo-member-1", "claim", &for_her, "CLAIMED").await;
}

// ---------------------------------------------------------------------------
// Forbidden roles and transitions
// ---------------------------------------------------------------------------

#[tokio::test]
async fn every_action_refuses_every_role_that_may_not_take_it() {
    let w = World::new().await;
    // Residents see only their own wishes, so for another resident a wish is
    // as good as absent; a submitted wish is absent for members too.
    let cases = &[
        Refusals {
            actions: &["publish"],
            state: "SUBMITTED",
            forbidden: &["demo-grid", "demo-resident-1"],
            not_found: &["demo-member-1", "demo-volunteer", "demo-resident-2", "demo-secretary-2", "demo-resident-3"],
            either: &["demo-canteen"],
        },
        Refusals {
            actions: &["decline"],
            state: "SUBMITTED",
            forbidden: &["demo-grid", "demo-resident-1"],
            not_found: &["demo-member-1", "demo-volunteer", "demo-resident-2", "demo-secretary-2"],
            either: &[],
        },
        Refusals {
            actions: &["claim"],
            state: "PUBLISHED",
            forbidden: &["demo-secretary", "demo-grid", "demo-resident-1"],
            not_found: &["demo-secretary-2", "demo-resident-3"],
            either: &["demo-resident-2", "demo-elder", "demo-canteen"],
        },
        Refusals {
            actions: &["withdraw", "fulfil"],
            state: "CLAIMED",
            forbidden: &["demo-member-2", "demo-volunteer", "demo-secretary", "demo-grid", "demo-resident-1"],
            not_found: &["demo-secretary-2"],
            either: &["demo-resident-2"],
        },
        Refusals {
            actions: &["approve", "reject"],
            state: "AWAITING_APPROVAL",
            forbidden: &["demo-grid", "demo-member-1", "demo-member-2", "demo-volunteer", "demo-resident-1"],
            not_found: &["demo-secretary-2"],
            either: &["demo-resident-2"],
        },
        Refusals {
            actions: &["thank"],
            state: "APPROVED",
            forbidden: &["demo-secretary", "demo-grid", "demo-member-1", "demo-member-2", "demo-volunteer"],
            not_found: &["demo-resident-3", "demo-secretary-2"],
            either: &["demo-resident-2"],
        },
        Refusals {
            actions: &["cancel"],
            state: "SUBMITTED",
            forbidden: &["demo-grid"],
            not_found: &["demo-member-1", "demo-secretary-2"],
            either: &["demo-resident-2"],
        },
        Refusals {
            actions: &["cancel"],
            state: "PUBLISHED",
            forbidden: &["demo-grid", "demo-member-1", "demo-volunteer"],
            not_found: &["demo-secretary-2"],
            either: &["demo-resident-2"],
        },
    ];
    assert_refusals(&w, cases).await;
}

#[tokio::test]
async fn every_transition_outside_the_state_machine_is_an_invalid_state() {
    let w = World::new().await;
    // Each action by someone allowed to take it (claim, withdraw, fulfil:
    // demo-member-1, who also holds every claimed wish). Cells are the status
    // after the action, or the error. Giving back or fulfilling a wish nobody
    // has claimed is refused by role (only the claimant may), before the state
    // is looked at; a wish members cannot see is not found. Declined and
    // cancelled wishes are refused to members one way or another.
    const ACTIONS: [(&str, &str); 9] = [
        ("publish", "demo-secretary"),
        ("decline", "demo-secretary"),
        ("claim", "demo-member-1"),
        ("withdraw", "demo-member-1"),
        ("fulfil", "demo-member-1"),
        ("approve", "demo-secretary"),
        ("reject", "demo-secretary"),
        ("thank", "demo-resident-1"),
        ("cancel", "demo-resident-1"),
    ];
    const X: &str = "INVALID_STATE";
    const F: &str = "FORBIDDEN";
    const N: &str = "NOT_FOUND";
    const R: &str = "NOT_FOUND|FORBIDDEN|INVALID_STATE";
    #[rustfmt::skip]
    const TABLE: [(&str, [&str; 9]); 8] = [
        //                    publish      decline     claim      withdraw     fulfil               approve     reject     thank     cancel
        ("SUBMITTED",         ["PUBLISHED", "DECLINED", N,         N,           N,                   X,          X,         X,        "CANCELLED"]),
        ("PUBLISHED",         [X,           X,          "CLAIMED", F,           F,                   X,          X,         X,        "CANCELLED"]),
        ("CLAIMED",           [X,           X,          X,         "PUBLISHED", "AWAITING_APPROVAL", X,          X,         X,        X]),
        ("AWAITING_APPROVAL", [X,           X,          X,         X,           X,                   "APPROVED", "CLAIMED", X,        X]),
        ("APPROVED",          [X,           X,          X,         X,           X,                   X,          X,         "CLOSED", X]),
        ("CLOSED",            [X,           X,          X,         X,           X,                   X,          X,         X,        X]),
        ("DECLINED",          [X,           X,          R,         R,           R,                   X,          X,         X,        X]),
        ("CANCELLED",         [X,           X,          R,         R,           R,                   X,          X,         X,        X]),
    ];
    assert_transitions(&w, &ACTIONS, &TABLE, 72).await;
}

#[tokio::test]
async fn claiming_a_wish_someone_else_holds_is_already_claimed() {
    let w = World::new().await;
    for state in ["CLAIMED", "AWAITING_APPROVAL"] {
        let id = w.in_state(state).await;
        for other in ["demo-member-2", "demo-member-3", "demo-volunteer"] {
            let resp = w.act(other, "claim", &id).await;
            assert_eq!(error_code(&resp), "ALREADY_CLAIMED", "{other} claiming a {state} wish: {resp}");
        }
        assert_eq!(w.wish(&id).await["claimant"]["id"], w.id_of("demo-member-1").await.as_str());
    }
}

#[tokio::test]
async fn cancelling_is_for_the_resident_whoever_posted_it_and_the_secretary() {
    let w = World::new().await;
    let elder = w.id_of("demo-elder").await;

    let own = w.in_state("SUBMITTED").await;
    let cancelled = w.must("demo-resident-1", "cancel", &own, "CANCELLED").await;
    assert_eq!(last_event(&cancelled)["note"], "家里已经买了", "the reason goes with the change");

    let published = w.in_state("PUBLISHED").await;
    w.must("demo-secretary", "cancel", &published, "CANCELLED").await;
    let gone = w.gql("demo-member-1", WISH, json!({ "id": published })).await;
    assert_eq!(error_code(&gone), "NOT_FOUND", "a cancelled wish leaves the members' list: {gone}");

    // Posted by the grid worker for the elder: either of them may cancel.
    for who in ["demo-elder", "demo-grid"] {
        let id = id(&w.post("demo-grid", json!({ "onBehalfOf": elder })).await);
        w.must(who, "cancel", &id, "CANCELLED").await;
    }
}

#[tokio::test]
async fn thanks_need_one_to_five_stars() {
    let w = World::new().await;
    let id = w.in_state("APPROVED").await;
    for stars in [0, 6, -1] {
        let resp = w.gql("demo-resident-1", THANK, json!({ "id": id, "stars": stars })).await;
        assert_eq!(error_code(&resp), "BAD_USER_INPUT", "{stars} stars: {resp}");
        assert_eq!(error_field(&resp), "stars");
    }
    assert_eq!(w.status(&id).await, "APPROVED");
    let thanked = w.gql("demo-resident-1", THANK, json!({ "id": id, "stars": 1 })).await;
    let thanked = payload(&thanked);
    assert_eq!(thanked["status"], "CLOSED");
    assert_eq!(thanked["ratingStars"], 1);
    assert!(thanked["thanks"].is_null());
}

#[tokio::test]
async fn declines_rejections_and_fulfilments_need_their_words() {
    let w = World::new().await;
    let submitted = w.in_state("SUBMITTED").await;
    let resp = w.gql("demo-secretary", DECLINE, json!({ "id": submitted, "reason": " " })).await;
    assert_eq!(error_code(&resp), "BAD_USER_INPUT");
    assert_eq!(error_field(&resp), "reason");
    let declined = w.gql("demo-secretary", DECLINE, json!({ "id": submitted, "reason": "请改为点单" })).await;
    assert_eq!(last_event(payload(&declined))["note"], "请改为点单", "the reason goes with the change");

    let claimed = w.in_state("CLAIMED").await;
    let resp = w.gql("demo-member-1", FULFIL, json!({ "id": claimed, "note": "" })).await;
    assert_eq!(error_code(&resp), "BAD_USER_INPUT");
    assert_eq!(error_field(&resp), "note");
    let resp = w
        .gql("demo-member-1", FULFIL, json!({ "id": claimed, "note": "送到了", "photos": ["http://x.example/a.jpg"] }))
        .await;
    assert_eq!(error_code(&resp), "BAD_USER_INPUT");
    assert_eq!(error_field(&resp), "photoUrls");
    assert_eq!(w.status(&claimed).await, "CLAIMED");

    w.must("demo-member-1", "fulfil", &claimed, "AWAITING_APPROVAL").await;
    let resp = w.gql("demo-secretary", REJECT, json!({ "id": claimed, "reason": "" })).await;
    assert_eq!(error_code(&resp), "BAD_USER_INPUT");
    assert_eq!(error_field(&resp), "reason");
    assert_eq!(w.status(&claimed).await, "AWAITING_APPROVAL");
}

#[tokio::test]
async fn requests_without_a_token_are_unauthenticated() {
    let w = World::new().await;
    let id = w.in_state("PUBLISHED").await;
    let input = json!({ "input": { "communityId": w.chengnan, "title": "书包", "story": "需要书包" } });
    for (query, vars) in [
        (POST, input),
        (CLAIM, json!({ "id": id })),
        (WISH, json!({ "id": id })),
        (WISHES, json!({})),
        (CANCEL, json!({ "id": id })),
    ] {
        let resp = w.app.gql(None, query, vars).await;
        assert_eq!(error_code(&resp), "UNAUTHENTICATED", "{query}: {resp}");
    }
    assert_eq!(w.status(&id).await, "PUBLISHED");
}

// ---------------------------------------------------------------------------
// Who sees what
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_wish_reaches_the_members_only_once_the_secretary_publishes_it() {
    let w = World::new().await;
    let id = w.in_state("SUBMITTED").await;
    let sees = |who: &'static str, id: String| {
        let w = &w;
        async move { outcome(&w.gql(who, WISH, json!({ "id": id })).await) }
    };
    for who in ["demo-resident-1", "demo-secretary", "demo-grid"] {
        assert_eq!(sees(who, id.clone()).await, "OK", "{who} sees a submitted wish");
    }
    for who in ["demo-member-1", "demo-volunteer", "demo-resident-2", "demo-secretary-2", "demo-resident-3"] {
        assert_eq!(sees(who, id.clone()).await, "NOT_FOUND", "{who} must not see a submitted wish");
    }
    for who in ["demo-member-1", "demo-volunteer"] {
        assert!(!w.filtered(who, json!({})).await.contains(&id), "{who} lists a submitted wish");
    }
    assert_eq!(error_code(&w.act("demo-member-1", "claim", &id).await), "NOT_FOUND");

    w.must("demo-secretary", "publish", &id, "PUBLISHED").await;
    for who in ["demo-member-1", "demo-member-2", "demo-volunteer", "demo-resident-1", "demo-grid"] {
        assert_eq!(sees(who, id.clone()).await, "OK", "{who} sees a published wish");
    }
    for who in ["demo-member-1", "demo-volunteer"] {
        assert_eq!(w.filtered(who, json!({})).await, vec![id.clone()], "{who}");
    }
    for who in ["demo-resident-2", "demo-elder", "demo-secretary-2", "demo-resident-3"] {
        assert_eq!(sees(who, id.clone()).await, "NOT_FOUND", "{who} still must not see it");
        assert!(!w.filtered(who, json!({})).await.contains(&id), "{who} lists it");
    }

    // A declined wish stays with the resident and the staff.
    let declined = w.in_state("DECLINED").await;
    assert_eq!(sees("demo-member-1", declined.clone()).await, "NOT_FOUND");
    assert_eq!(sees("demo-resident-1", declined.clone()).await, "OK");
    assert_eq!(w.filtered("demo-resident-1", json!({ "status": "DECLINED" })).await, vec![declined]);
}

#[tokio::test]
async fn wishes_filter_by_community_status_mine_and_claimed_by_me() {
    let w = World::new().await;
    let a = w.in_state("PUBLISHED").await;
    w.must("demo-member-1", "claim", &a, "CLAIMED").await;
    let b = w.in_state("PUBLISHED").await;
    let c = w.in_state("SUBMITTED").await;
    let d = w.post_id("demo-resident-2").await;
    w.must("demo-secretary", "publish", &d, "PUBLISHED").await;
    w.must("demo-member-2", "claim", &d, "CLAIMED").await;

    let v = |ids: &[&String]| ids.iter().map(|s| (*s).clone()).collect::<Vec<String>>();
    assert_eq!(w.filtered("demo-member-1", json!({})).await, v(&[&d, &b, &a]), "members see what is published");
    assert_eq!(w.filtered("demo-member-1", json!({ "claimedByMe": true })).await, v(&[&a]));
    assert_eq!(w.filtered("demo-member-2", json!({ "claimedByMe": true })).await, v(&[&d]));
    assert_eq!(w.filtered("demo-member-1", json!({ "status": "PUBLISHED" })).await, v(&[&b]));
    assert_eq!(w.filtered("demo-member-1", json!({ "status": "CLAIMED" })).await, v(&[&d, &a]));
    assert_eq!(w.filtered("demo-member-1", json!({ "mine": true })).await, Vec::<String>::new());
    assert_eq!(w.filtered("demo-resident-1", json!({})).await, v(&[&c, &b, &a]), "residents see their own");
    assert_eq!(w.filtered("demo-resident-1", json!({ "mine": true })).await, v(&[&c, &b, &a]));
    assert_eq!(w.filtered("demo-resident-1", json!({ "status": "SUBMITTED" })).await, v(&[&c]));
    assert_eq!(w.filtered("demo-resident-2", json!({ "mine": true })).await, v(&[&d]));
    assert_eq!(w.filtered("demo-secretary", json!({ "communityId": w.chengnan })).await, v(&[&d, &c, &b, &a]));
    assert_eq!(w.filtered("demo-grid", json!({ "status": "SUBMITTED" })).await, v(&[&c]));
    assert_eq!(w.filtered("demo-secretary-2", json!({})).await, Vec::<String>::new());
    assert_eq!(
        w.filtered("demo-secretary-2", json!({ "communityId": w.chengbei().await })).await,
        Vec::<String>::new()
    );
    let elsewhere = w.gql("demo-secretary-2", WISHES, json!({ "filter": { "communityId": w.chengnan } })).await;
    assert_eq!(error_code(&elsewhere), "NOT_FOUND", "another community's list: {elsewhere}");

    let all = w.list("demo-secretary", json!({})).await;
    assert_eq!(all["totalCount"], 4);
}

#[tokio::test]
async fn wishes_page_newest_first_without_repeating_or_skipping() {
    let w = World::new().await;
    let mut posted = Vec::new();
    for n in 1..=5 {
        posted.push(id(&w.post("demo-resident-1", json!({ "title": format!("第{n}个心愿") })).await));
    }
    let newest_first: Vec<String> = posted.iter().rev().cloned().collect();
    let page = |after: Value| w.list("demo-resident-1", json!({ "first": 2, "after": after }));

    let first = page(Value::Null).await;
    assert_eq!(node_ids(&first), newest_first[..2].to_vec());
    assert_eq!(first["totalCount"], 5);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    assert_eq!(first["pageInfo"]["hasPreviousPage"], false);
    let edges = first["edges"].as_array().unwrap();
    assert_eq!(first["pageInfo"]["endCursor"], edges[1]["cursor"]);

    // A new wish arriving between pages does not shift the next page.
    let newer = w.post_id("demo-resident-1").await;
    let second = page(first["pageInfo"]["endCursor"].clone()).await;
    assert_eq!(node_ids(&second), newest_first[2..4].to_vec());
    assert_eq!(second["pageInfo"]["hasPreviousPage"], true);
    let third = page(second["pageInfo"]["endCursor"].clone()).await;
    assert_eq!(node_ids(&third), newest_first[4..].to_vec());
    assert_eq!(third["pageInfo"]["hasNextPage"], false);
    let seen: HashSet<String> = [node_ids(&first), node_ids(&second), node_ids(&third)].concat().into_iter().collect();
    assert_eq!(seen.len(), 5, "no wish twice");
    assert_eq!(node_ids(&page(Value::Null).await)[0], newer);

    for first in [0, 101] {
        let resp = w.gql("demo-resident-1", WISHES, json!({ "first": first })).await;
        assert_eq!(error_code(&resp), "BAD_USER_INPUT", "first: {first}: {resp}");
    }
}

// ---------------------------------------------------------------------------
// Posting: input and idempotency
// ---------------------------------------------------------------------------

#[tokio::test]
async fn wish_input_is_checked_with_limits_a_person_understands() {
    let w = World::new().await;
    let ok = w.post("demo-resident-1", json!({ "title": "书".repeat(50), "story": "事".repeat(1000) })).await;
    assert_eq!(ok["status"], "SUBMITTED", "50 and 1000 characters are allowed");

    let ten: Vec<String> = (0..10).map(|i| format!("https://img.example.com/{i}.jpg")).collect();
    for (extra, field) in [
        (json!({ "title": "书".repeat(51) }), "title"),
        (json!({ "title": "  " }), "title"),
        (json!({ "story": "事".repeat(1001) }), "story"),
        (json!({ "story": "" }), "story"),
        (json!({ "photoUrls": ten }), "photoUrls"),
        (json!({ "photoUrls": ["http://other-host.example/a.jpg"] }), "photoUrls"),
        (json!({ "idempotencyKey": "short" }), "idempotencyKey"),
    ] {
        let resp = w.try_post("demo-resident-1", extra.clone()).await;
        assert_eq!(error_code(&resp), "BAD_USER_INPUT", "{extra}: {resp}");
        assert_eq!(error_field(&resp), field, "{extra}");
    }
    for (who, community) in [
        ("demo-resident-1", "999999"),
        ("demo-resident-1", "not-an-id"),
        ("demo-resident-3", w.chengnan.as_str()),
        ("newcomer-1", w.chengnan.as_str()),
    ] {
        let resp = w.try_post(who, json!({ "communityId": community })).await;
        assert_eq!(error_code(&resp), "NOT_FOUND", "{who} posting to {community}: {resp}");
    }
    assert_eq!(w.filtered("demo-resident-1", json!({ "mine": true })).await, vec![id(&ok)], "nothing else stored");
}

#[tokio::test]
async fn posting_a_wish_again_with_the_same_key_returns_the_same_wish() {
    let w = World::new().await;
    let key = "wish-retry-0001";
    let first = w.post("demo-resident-1", json!({ "idempotencyKey": key })).await;
    let again = w.post("demo-resident-1", json!({ "idempotencyKey": key })).await;
    assert_eq!(first["id"], again["id"], "a retry with the same key posts nothing new");
    assert_eq!(again["status"], "SUBMITTED");
    assert_eq!(w.list("demo-resident-1", json!({ "filter": { "mine": true } })).await["totalCount"], 1);
    assert_eq!(w.wish(&id(&first)).await["history"].as_array().unwrap().len(), 1);

    let changed = w.try_post("demo-resident-1", json!({ "title": "一件棉衣", "idempotencyKey": key })).await;
    assert_eq!(error_code(&changed), "CONFLICT", "the same key with a different wish: {changed}");

    let other = w.post("demo-resident-2", json!({ "idempotencyKey": key })).await;
    assert_ne!(other["id"], first["id"], "keys belong to one user");
    let without_key = w.post("demo-resident-1", json!({})).await;
    assert_ne!(without_key["id"], first["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_retries_with_one_key_post_one_wish() {
    let w = World::new().await;
    let session = w.session("demo-resident-1").await;
    let request = json!({ "input": {
        "communityId": w.chengnan, "title": "一件棉衣", "story": "冬天快到了", "idempotencyKey": "coat-20261124",
    }});
    let results = join_all((0..16).map(|_| w.app.gql(Some(&session.access_token), POST, request.clone()))).await;
    let mut codes: HashMap<String, usize> = HashMap::new();
    for r in &results {
        *codes.entry(outcome(r)).or_default() += 1;
    }
    assert_eq!(codes.get("OK"), Some(&16), "every retry succeeds: {codes:?}");
    let posted: HashSet<String> = results.iter().map(|r| id(payload(r))).collect();
    assert_eq!(posted.len(), 1, "every retry answers with the one wish: {results:?}");
    assert_eq!(w.list("demo-resident-1", json!({ "filter": { "mine": true } })).await["totalCount"], 1);
}

// ---------------------------------------------------------------------------
// Claims: one winner, withdrawal, deadlines
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_members_claiming_one_wish_at_once_leave_exactly_one_winner() {
    let w = World::new().await;
    let claimers = fresh_party_members(&w.app, &w.chengnan, "wish-claimer", 30).await;
    let id = w.in_state("PUBLISHED").await;
    let winner = one_claim_wins(
        &w.app,
        &claimers,
        "mutation($id: ID!) { claimWish(wishId: $id) { id status claimant { id } } }",
        &id,
    )
    .await;
    assert_claimed_once_by(&w.wish(&id).await, &winner);
}

#[tokio::test]
async fn the_claimant_may_give_a_wish_back_and_it_returns_to_the_published_list() {
    let w = World::new().await;
    let member = w.id_of("demo-member-1").await;
    let id = w.in_state("CLAIMED").await;
    assert_eq!(error_code(&w.act("demo-member-2", "claim", &id).await), "ALREADY_CLAIMED");
    for other in ["demo-member-2", "demo-secretary", "demo-resident-1"] {
        assert_eq!(error_code(&w.act(other, "withdraw", &id).await), "FORBIDDEN", "{other} withdrawing");
    }
    assert_eq!(w.wish(&id).await["claimant"]["id"], member.as_str());

    let back = w.must("demo-member-1", "withdraw", &id, "PUBLISHED").await;
    assert!(back["claimant"].is_null() && back["claimDueAt"].is_null(), "{back}");
    let event = last_event(&back);
    assert_eq!(event["actor"]["id"], member.as_str());
    assert_eq!(event["fromStatus"], "CLAIMED");
    assert_eq!(event["toStatus"], "PUBLISHED");
    assert_eq!(w.filtered("demo-member-2", json!({ "status": "PUBLISHED" })).await, vec![id.clone()]);
    assert!(w.wish_entries("demo-member-1", &id).await.is_empty(), "giving a wish back costs nothing");
    assert_eq!(error_code(&w.act("demo-member-1", "withdraw", &id).await), "FORBIDDEN", "no longer hers");

    // Someone else takes it; the old claim has no deadline left to miss.
    let taken = w.must("demo-member-2", "claim", &id, "CLAIMED").await;
    assert_eq!(taken["claimant"]["id"], w.id_of("demo-member-2").await.as_str());
    w.app.clock.advance(Duration::days(6));
    assert_eq!(w.sweep().await, 0);
    assert_eq!(w.status(&id).await, "CLAIMED");
    assert!(w.wish_entries("demo-member-1", &id).await.is_empty());
}

#[tokio::test]
async fn a_missed_claim_deadline_returns_the_wish_to_the_list_and_costs_the_member_three_points() {
    let w = World::new().await;
    let member = w.id_of("demo-member-1").await;
    let id = w.in_state("PUBLISHED").await;
    let claimed_at = w.app.clock.now();
    let claimed = w.must("demo-member-1", "claim", &id, "CLAIMED").await;
    assert_same_instant(time(&claimed["claimDueAt"]), claimed_at + Duration::days(7), "claimDueAt");
    let (balance_before, _) = w.points("demo-member-1", &member).await;

    // Six days in, the claim stands.
    w.app.clock.advance(Duration::days(6));
    assert_eq!(w.sweep().await, 0);
    assert_eq!(w.status(&id).await, "CLAIMED");

    // Eight days in, it has lapsed.
    w.app.clock.advance(Duration::days(2));
    let lapsed_at = w.app.clock.now();
    assert_eq!(w.sweep().await, 1);
    let wish = w.wish(&id).await;
    assert_eq!(wish["status"], "PUBLISHED");
    assert!(wish["claimant"].is_null() && wish["claimDueAt"].is_null(), "{wish}");
    let event = last_event(&wish);
    assert!(event["actor"].is_null(), "the system made the change: {event}");
    assert_eq!(event["fromStatus"], "CLAIMED");
    assert_eq!(event["toStatus"], "PUBLISHED");
    assert_same_instant(time(&event["at"]), lapsed_at, "the lapse happens at the sweep's time");

    let entries = w.wish_entries("demo-member-1", &id).await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["points"], -3);
    assert_eq!(entries[0]["source"], "WISH");
    assert_eq!(entries[0]["sourceId"], id.as_str());
    assert_eq!(entries[0]["month"], shanghai_month(lapsed_at));
    assert!(!entries[0]["reason"].as_str().unwrap().is_empty());
    let (balance_after, _) = w.points("demo-member-1", &member).await;
    assert_eq!(balance_after - balance_before, -3);

    // The staff see it too; another member may not look.
    let (staff_view, _) = w.points("demo-secretary", &member).await;
    assert_eq!(staff_view, balance_after);
    let peek = w.gql("demo-member-2", POINTS, json!({ "c": w.chengnan, "m": member })).await;
    assert_eq!(error_code(&peek), "FORBIDDEN");

    // Sweeping again changes nothing.
    assert_eq!(w.sweep().await, 0);
    assert_eq!(w.wish_entries("demo-member-1", &id).await.len(), 1, "no second deduction");
    assert_eq!(w.wish(&id).await["history"].as_array().unwrap().len(), 4);

    // The wish is back in the list for anyone to take.
    assert!(w.filtered("demo-member-2", json!({ "status": "PUBLISHED" })).await.contains(&id));
    w.must("demo-member-2", "claim", &id, "CLAIMED").await;
}

#[tokio::test]
async fn a_claim_fulfilled_in_time_is_not_swept() {
    let w = World::new().await;
    let id = w.in_state("AWAITING_APPROVAL").await;
    w.app.clock.advance(Duration::days(30));
    assert_eq!(w.sweep().await, 0);
    assert_eq!(w.status(&id).await, "AWAITING_APPROVAL");
    assert!(w.wish_entries("demo-member-1", &id).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sweeps_running_at_once_lapse_a_claim_once() {
    let w = World::new().await;
    let id = w.in_state("CLAIMED").await;
    w.app.clock.advance(Duration::days(8));
    let results = join_all((0..4).map(|_| w.app.domain.wishes().expire_claims())).await;
    let lapsed: usize = results.into_iter().map(|r| r.expect("the sweep should run")).sum();
    assert_eq!(lapsed, 1, "one lapse between all sweeps");
    let wish = w.wish(&id).await;
    assert_eq!(wish["status"], "PUBLISHED");
    let releases = wish["history"].as_array().unwrap().iter().filter(|e| e["toStatus"] == "PUBLISHED").count();
    assert_eq!(releases, 2, "published once by the secretary, released once: {wish}");
    assert_eq!(w.wish_entries("demo-member-1", &id).await.len(), 1);
}

#[tokio::test]
async fn the_claim_period_follows_the_communitys_rules() {
    let w = World::new().await;
    let rules = json!({ "wishClaimDays": 3 });
    for (who, expected) in
        [("demo-member-1", "FORBIDDEN"), ("demo-grid", "FORBIDDEN"), ("demo-secretary-2", "NOT_FOUND")]
    {
        let resp = w.gql(who, SET_RULES, json!({ "c": w.chengnan, "rules": rules })).await;
        assert_eq!(error_code(&resp), expected, "{who} setting the rules: {resp}");
    }
    let bad = w.gql("demo-secretary", SET_RULES, json!({ "c": w.chengnan, "rules": { "wishClaimDays": 0 } })).await;
    assert_eq!(error_code(&bad), "BAD_USER_INPUT", "{bad}");
    let set = w.gql("demo-secretary", SET_RULES, json!({ "c": w.chengnan, "rules": rules })).await;
    let set = payload(&set);
    assert_eq!(set["wishClaimDays"], 3);
    assert_eq!(set["wishClaimExpired"], -3, "fields left out keep their value");
    assert_eq!(set["wishFulfilled"], 5);
    let now = w.gql("demo-member-1", RULES, json!({ "c": w.chengnan })).await;
    assert_eq!(data(&now, "dedicationRules")["wishClaimDays"], 3);

    let id = w.in_state("PUBLISHED").await;
    let claimed_at = w.app.clock.now();
    let claimed = w.must("demo-member-1", "claim", &id, "CLAIMED").await;
    assert_same_instant(time(&claimed["claimDueAt"]), claimed_at + Duration::days(3), "three days to fulfil");

    w.app.clock.advance(Duration::days(3) - Duration::minutes(1));
    assert_eq!(w.sweep().await, 0, "a minute before the deadline");
    assert_eq!(w.status(&id).await, "CLAIMED");
    w.app.clock.advance(Duration::minutes(2));
    assert_eq!(w.sweep().await, 1, "a minute after it");
    assert_eq!(w.status(&id).await, "PUBLISHED");
    let entries = w.wish_entries("demo-member-1", &id).await;
    assert_eq!(entries.iter().map(|e| e["points"].as_i64().unwrap()).collect::<Vec<_>>(), vec![-3]);
}

#[tokio::test]
async fn an_approved_wish_earns_points_once_however_often_it_was_rejected() {
    let w = World::new().await;
    let id = w.in_state("AWAITING_APPROVAL").await;
    for _ in 0..2 {
        w.must("demo-secretary", "reject", &id, "CLAIMED").await;
        w.must("demo-member-1", "fulfil", &id, "AWAITING_APPROVAL").await;
    }
    assert!(w.wish_entries("demo-member-1", &id).await.is_empty());
    w.must("demo-secretary", "approve", &id, "APPROVED").await;
    let entries = w.wish_entries("demo-member-1", &id).await;
    assert_eq!(entries.iter().map(|e| e["points"].as_i64().unwrap()).collect::<Vec<_>>(), vec![5]);
    w.must("demo-resident-1", "thank", &id, "CLOSED").await;
    assert_eq!(w.wish_entries("demo-member-1", &id).await.len(), 1);
}
