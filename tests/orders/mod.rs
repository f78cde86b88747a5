// The service-order loop end to end, as the demo users: 点单 → 派单 → 接单 →
// 办结 → 审定 → 评单, with every forbidden role and transition, concurrent
// claims, idempotent retries, deadlines, lists, photos and role admin.
// Privacy (scoping and masking) is in `order_privacy.rs`.

mod privacy;
mod promise;
mod stats;
mod street;

use std::collections::HashSet;

use crate::common::*;
use chrono::Duration;
use domain::Clock;
use futures_util::future::join_all;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

macro_rules! order_fields {
    () => {
        "id status category title description contactPhone address contactMasked photoUrls completionNote \
         completionPhotoUrls createdAt updatedAt claimDueAt completeDueAt community { id name } placedBy { id } \
         onBehalfOf { id } assignee { id } claimant { id } rating { stars comment } \
         history { actor { id } fromStatus toStatus at note }"
    };
}

const PLACE: &str =
    concat!("mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { ", order_fields!(), " } }");
const DISPATCH: &str = concat!(
    "mutation($id: ID!, $assignee: ID) { dispatchOrder(orderId: $id, assigneeId: $assignee) { ",
    order_fields!(),
    " } }"
);
const CLAIM: &str = concat!("mutation($id: ID!) { claimOrder(orderId: $id) { ", order_fields!(), " } }");
const COMPLETE: &str = concat!(
    "mutation($id: ID!, $note: String!, $photos: [String!]) { completeOrder(orderId: $id, note: $note, photoUrls: $photos) { ",
    order_fields!(),
    " } }"
);
const APPROVE: &str = concat!("mutation($id: ID!) { approveOrder(orderId: $id) { ", order_fields!(), " } }");
const REJECT: &str = concat!(
    "mutation($id: ID!, $reason: String!) { rejectOrder(orderId: $id, reason: $reason) { ",
    order_fields!(),
    " } }"
);
const RATE: &str = concat!(
    "mutation($id: ID!, $stars: Int!, $comment: String) { rateOrder(orderId: $id, stars: $stars, comment: $comment) { ",
    order_fields!(),
    " } }"
);
const CANCEL: &str = concat!(
    "mutation($id: ID!, $reason: String) { cancelOrder(orderId: $id, reason: $reason) { ",
    order_fields!(),
    " } }"
);
const ESCALATE: &str = concat!(
    "mutation($id: ID!, $reason: String!) { escalateOrder(orderId: $id, reason: $reason) { ",
    order_fields!(),
    " } }"
);
const ORDER: &str = concat!("query($id: ID!) { order(id: $id) { ", order_fields!(), " } }");

const GRANT: &str = "mutation($c: ID!, $u: ID!, $r: Role!) { grantRole(communityId: $c, userId: $u, role: $r) { community { id name } roles } }";
const REVOKE: &str = "mutation($c: ID!, $u: ID!, $r: Role!) { revokeRole(communityId: $c, userId: $u, role: $r) { community { id name } roles } }";

const ORDERS: &str = "query($filter: OrderFilter, $first: Int, $after: String) { orders(filter: $filter, first: $first, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id status category } } } }";
const POOL: &str = "query($c: ID!, $first: Int, $after: String) { orderPool(communityId: $c, first: $first, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id status } } } }";

area_world!();

impl World {
    /// `placeOrder` with a plain repair request, overridden by `extra`.
    async fn try_place(&self, who: &str, extra: Value) -> Value {
        let mut input = json!({
            "communityId": self.chengnan,
            "category": "REPAIR",
            "title": "水管漏水",
            "description": "厨房水管漏水，请帮忙看看",
        });
        if let Value::Object(extra) = extra {
            for (k, v) in extra {
                input[k] = v;
            }
        }
        self.gql(who, PLACE, json!({ "input": input })).await
    }

    async fn place(&self, who: &str, extra: Value) -> Value {
        payload(&self.try_place(who, extra).await).clone()
    }

    async fn place_id(&self, who: &str) -> String {
        self.place(who, json!({})).await["id"].as_str().unwrap().to_owned()
    }

    /// The order as the secretary sees it.
    async fn order(&self, id: &str) -> Value {
        let resp = self.gql("demo-secretary", ORDER, json!({ "id": id })).await;
        data(&resp, "order").clone()
    }
}

/// Assigned and claimed orders belong to demo-member-1.
impl Spine for World {
    const NOUN: &'static str = "order";
    const PATH: &'static [Step] = &[
        ("demo-secretary", "publish", "OPEN"),
        ("demo-member-1", "claim", "CLAIMED"),
        ("demo-member-1", "complete", "AWAITING_APPROVAL"),
        ("demo-secretary", "approve", "APPROVED"),
        ("demo-resident-1", "rate", "CLOSED"),
    ];
    const BRANCHES: &'static [Step] = &[
        ("demo-secretary", "assign", "ASSIGNED"),
        ("demo-resident-1", "cancel", "CANCELLED"),
        ("demo-secretary", "escalate", "ESCALATED"),
    ];

    async fn submitted(&self) -> String {
        self.place_id("demo-resident-1").await
    }

    /// `assign` assigns to demo-member-1.
    async fn act(&self, who: &str, action: &str, id: &str) -> Value {
        let (query, vars) = match action {
            "publish" => (DISPATCH, json!({ "id": id })),
            "assign" => (DISPATCH, json!({ "id": id, "assignee": self.id_of("demo-member-1").await })),
            "claim" => (CLAIM, json!({ "id": id })),
            "complete" => (COMPLETE, json!({ "id": id, "note": "已更换水管接头" })),
            "approve" => (APPROVE, json!({ "id": id })),
            "reject" => (REJECT, json!({ "id": id, "reason": "照片看不清，请补拍" })),
            "rate" => (RATE, json!({ "id": id, "stars": 5, "comment": "很及时" })),
            "cancel" => (CANCEL, json!({ "id": id, "reason": "已自行解决" })),
            "escalate" => (ESCALATE, json!({ "id": id, "reason": "需要街道协调自来水公司" })),
            other => panic!("unknown action {other}"),
        };
        self.gql(who, query, vars).await
    }

    async fn read(&self, id: &str) -> Value {
        self.order(id).await
    }
}

fn ids(connection: &Value) -> Vec<String> {
    connection["edges"].as_array().unwrap().iter().map(|e| e["node"]["id"].as_str().unwrap().to_owned()).collect()
}

/// One page of `orders` or `orderPool` as `who`.
async fn list(w: &World, who: &str, query: &str, variables: Value) -> Value {
    let resp = w.gql(who, query, variables).await;
    payload(&resp).clone()
}

/// The ids `orders(filter:)` gives `who`.
async fn filtered(w: &World, who: &str, filter: Value) -> Vec<String> {
    ids(&list(w, who, ORDERS, json!({ "filter": filter })).await)
}

/// A page of orders with the people and community of each, as the mini-program's list asks for it.
const PAGE_WITH_PEOPLE: &str = "query($first: Int!) { orders(first: $first) { totalCount edges { node { id \
     placedBy { id displayName } claimant { id displayName } community { id name } } } } }";

/// The same page with every order's history and who made each change.
const PAGE_WITH_HISTORY: &str = "query($first: Int!) { orders(first: $first) { totalCount edges { node { id \
     placedBy { id displayName } claimant { id displayName } community { id name } \
     history { toStatus actor { id displayName } } } } } }";

/// SQL statements the server sends for one page of `query`, and the page.
async fn statements_for_a_page(app: &TestApp, token: &str, query: &str, first: usize) -> (u64, Value) {
    let before = app.sql_statements().await;
    let resp = app.gql(Some(token), query, json!({ "first": first })).await;
    let after = app.sql_statements().await;
    let page = data(&resp, "orders").clone();
    let edges = page["edges"].as_array().unwrap();
    assert_eq!(edges.len(), first);
    for edge in edges {
        let node = &edge["node"];
        assert!(node["placedBy"]["id"].is_string() && node["claimant"]["id"].is_string(), "{edge}");
        assert!(node["placedBy"]["displayName"].is_string() && node["claimant"]["displayName"].is_string(), "{edge}");
        assert_eq!(node["community"]["name"], CHENGNAN);
    }
    (after - before, page)
}

// ---------------------------------------------------------------------------
// The loop
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_whole_loop_runs_as_the_demo_users_with_a_rejection_and_a_full_history() {
    let w = World::new().await;
    let resident = w.id_of("demo-resident-1").await;
    let secretary = w.id_of("demo-secretary").await;
    let member = w.id_of("demo-member-1").await;
    let minute = Duration::minutes(1);

    let placed = w
        .place(
            "demo-resident-1",
            json!({ "category": "REPAIR", "title": "水管漏水", "description": "厨房水管漏水，地上全是水" }),
        )
        .await;
    let id = placed["id"].as_str().unwrap().to_owned();
    assert_eq!(placed["status"], "SUBMITTED");
    assert_eq!(placed["category"], "REPAIR");
    assert_eq!(placed["title"], "水管漏水");
    assert_eq!(placed["community"]["name"], CHENGNAN);
    assert_eq!(placed["placedBy"]["id"], resident.as_str());
    assert!(placed["onBehalfOf"].is_null());
    assert_eq!(placed["contactPhone"], "13812345678", "defaults to the resident's phone on file");
    assert_eq!(placed["address"], "城南社区3栋2单元502", "defaults to the resident's address on file");
    assert_eq!(placed["contactMasked"], false);
    assert!(placed["claimDueAt"].is_null() && placed["completeDueAt"].is_null());

    w.app.clock.advance(minute);
    let open = w.must("demo-secretary", "publish", &id, "OPEN").await;
    assert!(open["assignee"].is_null());

    w.app.clock.advance(minute);
    let claimed = w.must("demo-member-1", "claim", &id, "CLAIMED").await;
    assert_eq!(claimed["claimant"]["id"], member.as_str());

    w.app.clock.advance(minute);
    let done = w
        .gql(
            "demo-member-1",
            COMPLETE,
            json!({ "id": id, "note": "换了新的水管接头", "photos": ["https://img.example.com/fixed.jpg"] }),
        )
        .await;
    let done = payload(&done);
    assert_eq!(done["status"], "AWAITING_APPROVAL");
    assert_eq!(done["completionNote"], "换了新的水管接头");
    assert_eq!(done["completionPhotoUrls"], json!(["https://img.example.com/fixed.jpg"]));

    w.app.clock.advance(minute);
    let rejected = w.gql("demo-secretary", REJECT, json!({ "id": id, "reason": "请补一张完工后的照片" })).await;
    let rejected = payload(&rejected);
    assert_eq!(rejected["status"], "CLAIMED", "a rejection sends the work back to the claimant");
    assert_eq!(rejected["claimant"]["id"], member.as_str());

    w.app.clock.advance(minute);
    let again = w.gql("demo-member-1", COMPLETE, json!({ "id": id, "note": "已补拍完工照片" })).await;
    assert_eq!(payload(&again)["status"], "AWAITING_APPROVAL");

    w.app.clock.advance(minute);
    w.must("demo-secretary", "approve", &id, "APPROVED").await;

    w.app.clock.advance(minute);
    let rated = w.gql("demo-resident-1", RATE, json!({ "id": id, "stars": 5, "comment": "李党员来得很快" })).await;
    let rated = payload(&rated);
    assert_eq!(rated["status"], "CLOSED");
    assert_eq!(rated["rating"], json!({ "stars": 5, "comment": "李党员来得很快" }));

    let order = w.order(&id).await;
    assert_eq!(order["status"], "CLOSED");
    assert_eq!(order["completionNote"], "已补拍完工照片");
    assert_eq!(order["claimant"]["id"], member.as_str());
    assert_history(
        &order,
        &[
            (&resident, Value::Null, "SUBMITTED"),
            (&secretary, json!("SUBMITTED"), "OPEN"),
            (&member, json!("OPEN"), "CLAIMED"),
            (&member, json!("CLAIMED"), "AWAITING_APPROVAL"),
            (&secretary, json!("AWAITING_APPROVAL"), "CLAIMED"),
            (&member, json!("CLAIMED"), "AWAITING_APPROVAL"),
            (&secretary, json!("AWAITING_APPROVAL"), "APPROVED"),
            (&resident, json!("APPROVED"), "CLOSED"),
        ],
    );
    let history = order["history"].as_array().unwrap();
    assert_eq!(history[3]["note"], "换了新的水管接头", "the completion note goes with the change");
    assert_eq!(history[4]["note"], "请补一张完工后的照片", "the rejection reason goes with the change");
    assert_eq!(history[5]["note"], "已补拍完工照片");
    assert!(history[7]["note"].is_string(), "the rating goes with the change: {}", history[7]);
    // The clock moved one minute before each change; each event carries its time.
    let created = time(&order["createdAt"]);
    for (i, event) in history.iter().enumerate() {
        assert_eq!(time(&event["at"]) - created, minute * i as i32, "event {i} at the injected clock's time");
    }
}

#[tokio::test]
async fn an_assigned_order_can_be_claimed_only_by_its_assignee() {
    let w = World::new().await;
    let member_2 = w.id_of("demo-member-2").await;
    let id = w.place_id("demo-resident-1").await;

    let assigned = w.gql("demo-grid", DISPATCH, json!({ "id": id, "assignee": member_2 })).await;
    let assigned = payload(&assigned);
    assert_eq!(assigned["status"], "ASSIGNED");
    assert_eq!(assigned["assignee"]["id"], member_2.as_str());

    for other in ["demo-member-1", "demo-member-3", "demo-volunteer"] {
        let refused = w.act(other, "claim", &id).await;
        assert_eq!(error_code(&refused), "FORBIDDEN", "{other} claiming an order assigned to someone else: {refused}");
    }
    assert_eq!(w.status(&id).await, "ASSIGNED");

    let claimed = w.must("demo-member-2", "claim", &id, "CLAIMED").await;
    assert_eq!(claimed["claimant"]["id"], member_2.as_str());
    let late = w.act("demo-member-1", "claim", &id).await;
    assert_eq!(error_code(&late), "ALREADY_CLAIMED");
}

#[tokio::test]
async fn an_assigned_order_can_be_reassigned_or_sent_to_the_pool() {
    let w = World::new().await;
    let member_2 = w.id_of("demo-member-2").await;
    let volunteer = w.id_of("demo-volunteer").await;
    let id = w.place_id("demo-resident-1").await;

    w.gql("demo-secretary", DISPATCH, json!({ "id": id, "assignee": member_2 })).await;
    let reassigned = w.gql("demo-secretary", DISPATCH, json!({ "id": id, "assignee": volunteer })).await;
    assert_eq!(payload(&reassigned)["assignee"]["id"], volunteer.as_str());
    assert_eq!(error_code(&w.act("demo-member-2", "claim", &id).await), "FORBIDDEN", "no longer the assignee");

    w.must("demo-grid", "publish", &id, "OPEN").await;
    let claimed = w.must("demo-member-2", "claim", &id, "CLAIMED").await;
    assert_eq!(claimed["claimant"]["id"], member_2.as_str());
}

#[tokio::test]
async fn orders_can_be_assigned_only_to_the_communitys_party_members_and_volunteers() {
    let w = World::new().await;
    let id = w.place_id("demo-resident-1").await;
    for who in ["demo-resident-2", "demo-resident-1", "demo-canteen", "demo-secretary-2", "demo-resident-3"] {
        let assignee = w.id_of(who).await;
        let refused = w.gql("demo-secretary", DISPATCH, json!({ "id": id, "assignee": assignee })).await;
        assert_eq!(error_code(&refused), "BAD_USER_INPUT", "assigning to {who}: {refused}");
    }
    assert_eq!(w.status(&id).await, "SUBMITTED");
    let volunteer = w.id_of("demo-volunteer").await;
    let ok = w.gql("demo-secretary", DISPATCH, json!({ "id": id, "assignee": volunteer })).await;
    assert_eq!(payload(&ok)["status"], "ASSIGNED");
}

#[tokio::test]
async fn a_volunteer_claims_from_the_pool_and_a_second_claimant_is_told_it_is_taken() {
    let w = World::new().await;
    let id = w.in_state("OPEN").await;
    let volunteer = w.id_of("demo-volunteer").await;
    let claimed = w.must("demo-volunteer", "claim", &id, "CLAIMED").await;
    assert_eq!(claimed["claimant"]["id"], volunteer.as_str());
    for other in ["demo-member-1", "demo-member-2"] {
        assert_eq!(error_code(&w.act(other, "claim", &id).await), "ALREADY_CLAIMED", "{other}");
    }
    w.must("demo-volunteer", "complete", &id, "AWAITING_APPROVAL").await;
    assert_eq!(error_code(&w.act("demo-member-1", "claim", &id).await), "ALREADY_CLAIMED", "still taken when done");
}

#[tokio::test]
async fn a_party_member_cannot_claim_an_order_she_placed_or_that_was_placed_for_her() {
    let w = World::with(roomy).await;
    // Her own order.
    let own = w.place_id("demo-member-3").await;
    w.must("demo-secretary", "publish", &own, "OPEN").await;
    assert_eq!(error_code(&w.act("demo-member-3", "claim", &own).await), "FORBIDDEN");
    assert_eq!(w.status(&own).await, "OPEN");

    // A resident who is also a party member, for whom the grid worker placed an order.
    let resident = w.id_of("demo-resident-1").await;
    let granted = w.gql("demo-secretary", GRANT, json!({ "c": w.chengnan, "u": resident, "r": "PARTY_MEMBER" })).await;
    assert!(payload(&granted)["roles"].as_array().unwrap().contains(&json!("PARTY_MEMBER")));
    let for_her = w.place("demo-grid", json!({ "onBehalfOf": resident })).await["id"].as_str().unwrap().to_owned();
    w.must("demo-secretary", "publish", &for_her, "OPEN").await;
    assert_eq!(error_code(&w.act("demo-resident-1", "claim", &for_her).await), "FORBIDDEN");
    // Nor can she be assigned her own order.
    let assigned = w.gql("demo-secretary", DISPATCH, json!({ "id": for_her, "assignee": resident })).await;
    assert_eq!(error_code(&assigned), "BAD_USER_INPUT");
    assert_eq!(w.status(&for_her).await, "OPEN");
}

// ---------------------------------------------------------------------------
// Forbidden roles and transitions
// ---------------------------------------------------------------------------

#[tokio::test]
async fn every_action_refuses_every_role_that_may_not_take_it() {
    let w = World::with(roomy).await;
    let cases = &[
        Refusals {
            actions: &["publish"],
            state: "SUBMITTED",
            forbidden: &["demo-member-1", "demo-volunteer", "demo-resident-1"],
            not_found: &["demo-resident-2", "demo-secretary-2", "demo-street"],
            either: &["demo-canteen"],
        },
        Refusals {
            actions: &["assign"],
            state: "SUBMITTED",
            forbidden: &["demo-member-1", "demo-volunteer", "demo-resident-1"],
            not_found: &["demo-resident-2", "demo-secretary-2"],
            either: &["demo-canteen"],
        },
        Refusals {
            actions: &["claim"],
            state: "OPEN",
            forbidden: &["demo-secretary", "demo-grid", "demo-resident-1"],
            not_found: &["demo-resident-2", "demo-secretary-2", "demo-resident-3"],
            either: &["demo-canteen"],
        },
        Refusals {
            actions: &["claim"],
            state: "ASSIGNED",
            forbidden: &["demo-member-2", "demo-volunteer"],
            not_found: &[],
            either: &[],
        },
        Refusals {
            actions: &["complete"],
            state: "CLAIMED",
            forbidden: &["demo-member-2", "demo-volunteer", "demo-secretary", "demo-grid", "demo-resident-1"],
            not_found: &["demo-resident-2", "demo-secretary-2"],
            either: &[],
        },
        Refusals {
            actions: &["approve", "reject"],
            state: "AWAITING_APPROVAL",
            forbidden: &["demo-grid", "demo-member-1", "demo-member-2", "demo-volunteer", "demo-resident-1"],
            not_found: &["demo-resident-2", "demo-secretary-2"],
            either: &[],
        },
        Refusals {
            actions: &["rate"],
            state: "APPROVED",
            forbidden: &["demo-secretary", "demo-grid", "demo-member-1", "demo-member-2", "demo-volunteer"],
            not_found: &["demo-resident-2", "demo-resident-3"],
            either: &[],
        },
        Refusals {
            actions: &["cancel"],
            state: "SUBMITTED",
            forbidden: &["demo-grid", "demo-member-1", "demo-volunteer"],
            not_found: &["demo-resident-2", "demo-secretary-2"],
            either: &["demo-canteen"],
        },
        Refusals {
            actions: &["escalate"],
            state: "SUBMITTED",
            forbidden: &["demo-grid", "demo-member-1", "demo-volunteer", "demo-resident-1"],
            not_found: &["demo-resident-2", "demo-secretary-2", "demo-street"],
            either: &[],
        },
    ];
    assert_refusals(&w, cases).await;
}

#[tokio::test]
async fn roles_are_checked_before_states() {
    let w = World::with(roomy).await;
    // Wrong role and wrong state at once: the role answers.
    let closed = w.in_state("CLOSED").await;
    for (who, action) in [("demo-grid", "approve"), ("demo-member-2", "complete"), ("demo-member-1", "publish")] {
        assert_eq!(error_code(&w.act(who, action, &closed).await), "FORBIDDEN", "{who} {action} on CLOSED");
    }
    let submitted = w.in_state("SUBMITTED").await;
    for (who, action) in
        [("demo-grid", "reject"), ("demo-member-1", "escalate"), ("demo-secretary", "rate"), ("demo-grid", "cancel")]
    {
        assert_eq!(error_code(&w.act(who, action, &submitted).await), "FORBIDDEN", "{who} {action} on SUBMITTED");
    }
}

#[tokio::test]
async fn every_transition_outside_the_state_machine_is_an_invalid_state() {
    let w = World::with(roomy).await;
    // Each action by someone allowed to take it (assign and claim: demo-member-1,
    // who also holds every claimed order). Cells are the status after the
    // action, or the error. Completing an order nobody has claimed is refused
    // by role (only the claimant may complete), before the state is looked at.
    const ACTIONS: [(&str, &str); 9] = [
        ("publish", "demo-secretary"),
        ("assign", "demo-secretary"),
        ("claim", "demo-member-1"),
        ("complete", "demo-member-1"),
        ("approve", "demo-secretary"),
        ("reject", "demo-secretary"),
        ("rate", "demo-resident-1"),
        ("cancel", "demo-resident-1"),
        ("escalate", "demo-secretary"),
    ];
    const X: &str = "INVALID_STATE";
    const F: &str = "FORBIDDEN";
    #[rustfmt::skip]
    const TABLE: [(&str, [&str; 9]); 9] = [
        //                    publish  assign      claim      complete             approve     reject     rate      cancel       escalate
        ("SUBMITTED",         ["OPEN", "ASSIGNED", X,         F,                   X,          X,         X,        "CANCELLED", "ESCALATED"]),
        ("OPEN",              ["OPEN", "ASSIGNED", "CLAIMED", F,                   X,          X,         X,        "CANCELLED", "ESCALATED"]),
        ("ASSIGNED",          ["OPEN", "ASSIGNED", "CLAIMED", F,                   X,          X,         X,        "CANCELLED", "ESCALATED"]),
        ("CLAIMED",           [X,      X,          X,         "AWAITING_APPROVAL", X,          X,         X,        X,           "ESCALATED"]),
        ("AWAITING_APPROVAL", [X,      X,          X,         X,                   "APPROVED", "CLAIMED", X,        X,           X]),
        ("APPROVED",          [X,      X,          X,         X,                   X,          X,         "CLOSED", X,           X]),
        ("CLOSED",            [X,      X,          X,         X,                   X,          X,         X,        X,           X]),
        ("CANCELLED",         [X,      X,          X,         F,                   X,          X,         X,        X,           X]),
        ("ESCALATED",         [X,      X,          X,         F,                   X,          X,         X,        "CANCELLED", X]),
    ];
    assert_transitions(&w, &ACTIONS, &TABLE, 81).await;
}

#[tokio::test]
async fn cancelling_is_for_the_resident_whoever_placed_it_and_the_secretary() {
    let w = World::with(roomy).await;
    let elder = w.id_of("demo-elder").await;

    let own = w.in_state("OPEN").await;
    let cancelled = w.must("demo-resident-1", "cancel", &own, "CANCELLED").await;
    let last = cancelled["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["note"], "已自行解决", "the reason goes with the change");

    let assigned = w.in_state("ASSIGNED").await;
    w.must("demo-secretary", "cancel", &assigned, "CANCELLED").await;

    // Placed by the grid worker for the elder: either of them may cancel.
    for who in ["demo-elder", "demo-grid"] {
        let id = w.place("demo-grid", json!({ "onBehalfOf": elder })).await["id"].as_str().unwrap().to_owned();
        w.must(who, "cancel", &id, "CANCELLED").await;
    }
}

#[tokio::test]
async fn requests_without_a_token_are_unauthenticated() {
    let w = World::new().await;
    let id = w.in_state("OPEN").await;
    let claim = w.app.gql(None, CLAIM, json!({ "id": id })).await;
    assert_eq!(error_code(&claim), "UNAUTHENTICATED");
    let read = w.app.gql(None, ORDER, json!({ "id": id })).await;
    assert_eq!(error_code(&read), "UNAUTHENTICATED");
    let list = w.app.gql(None, ORDERS, json!({})).await;
    assert_eq!(error_code(&list), "UNAUTHENTICATED");
    assert_eq!(w.status(&id).await, "OPEN");
}

// ---------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_members_claiming_one_order_at_once_leave_exactly_one_winner() {
    let w = World::with(roomy).await;
    let claimers = fresh_party_members(&w.app, &w.chengnan, "claimer", 50).await;
    let id = w.in_state("OPEN").await;
    let winner = one_claim_wins(
        &w.app,
        &claimers,
        "mutation($id: ID!) { claimOrder(orderId: $id) { id status claimant { id } } }",
        &id,
    )
    .await;
    assert_claimed_once_by(&w.order(&id).await, &winner);
}

// ---------------------------------------------------------------------------
// Idempotency
// ---------------------------------------------------------------------------

#[tokio::test]
async fn placing_an_order_again_with_the_same_key_returns_the_same_order() {
    let w = World::new().await;
    let key = "0b6f3c1e-retry:1";
    let input = json!({ "title": "楼道灯坏了", "idempotencyKey": key });
    let first = w.place("demo-resident-1", input.clone()).await;
    let again = w.place("demo-resident-1", input.clone()).await;
    assert_eq!(first["id"], again["id"], "a retry with the same key places nothing new");
    assert_eq!(again["status"], "SUBMITTED");

    let mine = w.gql("demo-resident-1", ORDERS, json!({ "filter": { "mine": true } })).await;
    assert_eq!(data(&mine, "orders")["totalCount"], 1);
    assert_eq!(w.order(first["id"].as_str().unwrap()).await["history"].as_array().unwrap().len(), 1);

    let changed = w.try_place("demo-resident-1", json!({ "title": "楼道灯又坏了", "idempotencyKey": key })).await;
    assert_eq!(error_code(&changed), "CONFLICT", "the same key with a different request: {changed}");

    let other = w.place("demo-resident-2", input).await;
    assert_ne!(other["id"], first["id"], "keys belong to one user");
    assert_eq!(other["placedBy"]["id"], w.id_of("demo-resident-2").await.as_str());

    let without_key = w.place("demo-resident-1", json!({ "title": "楼道灯坏了" })).await;
    assert_ne!(without_key["id"], first["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_retries_with_one_key_place_one_order() {
    let w = World::new().await;
    let session = w.session("demo-resident-1").await;
    let request = json!({ "input": {
        "communityId": w.chengnan, "category": "REPAIR", "title": "门锁坏了", "description": "门锁打不开了",
        "idempotencyKey": "door-lock-20261124",
    }});
    let results = join_all((0..8).map(|_| w.app.gql(Some(&session.access_token), PLACE, request.clone()))).await;
    let placed: HashSet<String> = results.iter().map(|r| payload(r)["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(placed.len(), 1, "every retry answers with the one order: {results:?}");
    let mine = w.gql("demo-resident-1", ORDERS, json!({ "filter": { "mine": true } })).await;
    assert_eq!(data(&mine, "orders")["totalCount"], 1);
}

#[tokio::test]
async fn idempotency_keys_must_be_eight_to_a_hundred_safe_characters() {
    let w = World::new().await;
    for bad in ["short", "has spaces in it", "emoji-🙂-key", &"k".repeat(101)] {
        let resp = w.try_place("demo-resident-1", json!({ "idempotencyKey": bad })).await;
        assert_eq!(error_code(&resp), "BAD_USER_INPUT", "{bad:?}: {resp}");
        assert_eq!(error_field(&resp), "idempotencyKey");
    }
    for good in ["abcdefgh", "A-Za-z0-9_:.", &"k".repeat(100)] {
        let resp = w.try_place("demo-resident-1", json!({ "idempotencyKey": good })).await;
        assert_eq!(payload(&resp)["status"], "SUBMITTED", "{good:?}");
    }
}

// ---------------------------------------------------------------------------
// On behalf (代点单)
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_grid_worker_orders_for_an_elder_with_her_contact_details() {
    let w = World::new().await;
    let elder = w.id_of("demo-elder").await;
    let grid = w.id_of("demo-grid").await;

    let placed = w
        .place(
            "demo-grid",
            json!({ "category": "ELDERLY_CARE", "title": "帮吴奶奶买药", "description": "降压药吃完了", "onBehalfOf": elder }),
        )
        .await;
    let id = placed["id"].as_str().unwrap().to_owned();
    assert_eq!(placed["onBehalfOf"]["id"], elder.as_str());
    assert_eq!(placed["placedBy"]["id"], grid.as_str());
    assert_eq!(placed["contactPhone"], "0855-3331234", "the elder's phone, not the grid worker's");
    assert_eq!(placed["address"], "城南社区1栋1单元101");
    assert_eq!(placed["history"][0]["actor"]["id"], grid.as_str());

    // The elder sees it as hers.
    let hers = w.gql("demo-elder", ORDERS, json!({ "filter": { "mine": true } })).await;
    assert_eq!(ids(data(&hers, "orders")), vec![id.clone()]);
    let seen = w.gql("demo-elder", ORDER, json!({ "id": id })).await;
    assert_eq!(data(&seen, "order")["contactMasked"], false);

    // Explicit contact details win over the defaults.
    let explicit = w
        .place(
            "demo-grid",
            json!({ "onBehalfOf": elder, "contactPhone": "13700001111", "address": "城南社区1栋1单元102" }),
        )
        .await;
    assert_eq!(explicit["contactPhone"], "13700001111");
    assert_eq!(explicit["address"], "城南社区1栋1单元102");

    // The loop runs as usual; whoever placed it may rate it.
    w.must("demo-secretary", "publish", &id, "OPEN").await;
    w.must("demo-member-1", "claim", &id, "CLAIMED").await;
    w.must("demo-member-1", "complete", &id, "AWAITING_APPROVAL").await;
    w.must("demo-secretary", "approve", &id, "APPROVED").await;
    assert_eq!(error_code(&w.act("demo-resident-2", "rate", &id).await), "NOT_FOUND");
    let rated = w.must("demo-grid", "rate", &id, "CLOSED").await;
    assert_eq!(rated["rating"]["stars"], 5);
}

#[tokio::test]
async fn the_elder_herself_may_rate_an_order_placed_for_her() {
    let w = World::new().await;
    let elder = w.id_of("demo-elder").await;
    let id = w.place("demo-secretary", json!({ "onBehalfOf": elder })).await["id"].as_str().unwrap().to_owned();
    w.must("demo-secretary", "publish", &id, "OPEN").await;
    w.must("demo-volunteer", "claim", &id, "CLAIMED").await;
    w.must("demo-volunteer", "complete", &id, "AWAITING_APPROVAL").await;
    w.must("demo-secretary", "approve", &id, "APPROVED").await;
    let rated = w.gql("demo-elder", RATE, json!({ "id": id, "stars": 4 })).await;
    assert_eq!(payload(&rated)["status"], "CLOSED");
    assert_eq!(payload(&rated)["rating"], json!({ "stars": 4, "comment": null }));
}

#[tokio::test]
async fn only_grid_workers_and_secretaries_order_for_residents_and_only_for_residents() {
    let w = World::new().await;
    let resident_2 = w.id_of("demo-resident-2").await;
    let member = w.id_of("demo-member-1").await;

    let by_resident = w.try_place("demo-resident-1", json!({ "onBehalfOf": resident_2 })).await;
    assert_eq!(error_code(&by_resident), "FORBIDDEN", "{by_resident}");
    let by_member = w.try_place("demo-member-1", json!({ "onBehalfOf": resident_2 })).await;
    assert_eq!(error_code(&by_member), "FORBIDDEN", "{by_member}");

    let for_member = w.try_place("demo-grid", json!({ "onBehalfOf": member })).await;
    assert_eq!(error_code(&for_member), "BAD_USER_INPUT", "{for_member}");
    assert_eq!(error_field(&for_member), "onBehalfOf");
    let for_other_community = w.try_place("demo-grid", json!({ "onBehalfOf": w.id_of("demo-resident-3").await })).await;
    assert_eq!(error_code(&for_other_community), "BAD_USER_INPUT", "{for_other_community}");

    let mine = w.gql("demo-resident-1", ORDERS, json!({ "filter": { "mine": true } })).await;
    assert_eq!(data(&mine, "orders")["totalCount"], 0, "nothing was placed");
}

// ---------------------------------------------------------------------------
// Deadlines
// ---------------------------------------------------------------------------

#[tokio::test]
async fn deadlines_follow_the_injected_clock_from_dispatch_and_claim() {
    let w = World::new().await;
    let placed = w.place("demo-resident-1", json!({ "category": "REPAIR" })).await;
    let id = placed["id"].as_str().unwrap().to_owned();
    let created = time(&placed["createdAt"]);
    assert!((created - w.app.clock.now()).num_milliseconds().abs() < 1, "createdAt comes from the injected clock");

    w.app.clock.advance(Duration::hours(1));
    let dispatched = w.must("demo-secretary", "publish", &id, "OPEN").await;
    let claim_due = time(&dispatched["claimDueAt"]);
    assert_eq!(claim_due - created, Duration::minutes(90), "30 minutes after the dispatch, an hour after placing");
    assert!((claim_due - (w.app.clock.now() + Duration::minutes(30))).num_milliseconds().abs() < 1);
    assert!(dispatched["completeDueAt"].is_null());

    // Dispatching again starts the claim window again.
    w.app.clock.advance(Duration::hours(2));
    let redispatched =
        w.gql("demo-secretary", DISPATCH, json!({ "id": id, "assignee": w.id_of("demo-member-2").await })).await;
    assert_eq!(time(&payload(&redispatched)["claimDueAt"]) - created, Duration::minutes(3 * 60 + 30));

    w.app.clock.advance(Duration::minutes(10));
    let claimed = w.must("demo-member-2", "claim", &id, "CLAIMED").await;
    let complete_due = time(&claimed["completeDueAt"]);
    assert_eq!(complete_due - created, Duration::hours(24) + Duration::minutes(3 * 60 + 10), "REPAIR: a day to finish");
    assert_eq!(time(&claimed["claimDueAt"]) - created, Duration::minutes(3 * 60 + 30), "claimDueAt stays");
}

#[tokio::test]
async fn claim_deadlines_are_configurable_per_category() {
    let w = World::with(|c| {
        c.orders.insert(
            "REPAIR".into(),
            api::config::CategoryDeadline {
                claim_minutes: Some(15),
                arrive_minutes: None,
                complete_minutes: Some(120),
            },
        );
    })
    .await;
    let placed = w.place("demo-resident-1", json!({ "category": "REPAIR" })).await;
    let id = placed["id"].as_str().unwrap().to_owned();
    let created = time(&placed["createdAt"]);
    let open = w.must("demo-secretary", "publish", &id, "OPEN").await;
    assert_eq!(time(&open["claimDueAt"]) - created, Duration::minutes(15));
    let claimed = w.must("demo-member-1", "claim", &id, "CLAIMED").await;
    assert_eq!(time(&claimed["completeDueAt"]) - created, Duration::minutes(120));

    // Other categories keep the 30-minute default.
    let legal = w.place("demo-resident-1", json!({ "category": "LEGAL_AID" })).await;
    let legal_id = legal["id"].as_str().unwrap();
    let open = w.must("demo-secretary", "publish", legal_id, "OPEN").await;
    assert_eq!(time(&open["claimDueAt"]) - time(&legal["createdAt"]), Duration::minutes(30));
}

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

#[tokio::test]
async fn order_input_is_checked_with_limits_a_person_understands() {
    let w = World::new().await;
    let cases = [
        (json!({ "title": "修".repeat(101) }), "title"),
        (json!({ "title": "   " }), "title"),
        (json!({ "description": "漏".repeat(2001) }), "description"),
        (json!({ "contactPhone": "12345" }), "contactPhone"),
        (json!({ "contactPhone": "23812345678" }), "contactPhone"),
    ];
    for (input, field) in cases {
        let resp = w.try_place("demo-resident-1", input.clone()).await;
        assert_eq!(error_code(&resp), "BAD_USER_INPUT", "{input}: {resp}");
        assert_eq!(error_field(&resp), field, "{input}: {resp}");
    }
    // The limits are in characters, and inclusive.
    let longest =
        w.place("demo-resident-1", json!({ "title": "修".repeat(100), "description": "漏".repeat(2000) })).await;
    assert_eq!(longest["title"].as_str().unwrap().chars().count(), 100);
    let landline = w.place("demo-resident-1", json!({ "contactPhone": "0855-1234567" })).await;
    assert_eq!(landline["contactPhone"], "0855-1234567");
}

#[tokio::test]
async fn ratings_rejections_and_escalations_need_sensible_input() {
    let w = World::with(roomy).await;
    let approved = w.in_state("APPROVED").await;
    for stars in [0, 6, -1] {
        let resp = w.gql("demo-resident-1", RATE, json!({ "id": approved, "stars": stars })).await;
        assert_eq!(error_code(&resp), "BAD_USER_INPUT", "{stars} stars");
        assert_eq!(error_field(&resp), "stars");
    }
    assert_eq!(w.status(&approved).await, "APPROVED");
    let one = w.gql("demo-resident-1", RATE, json!({ "id": approved, "stars": 1, "comment": "没修好" })).await;
    assert_eq!(payload(&one)["rating"]["stars"], 1);

    let awaiting = w.in_state("AWAITING_APPROVAL").await;
    for reason in ["", "   "] {
        let resp = w.gql("demo-secretary", REJECT, json!({ "id": awaiting, "reason": reason })).await;
        assert_eq!(error_code(&resp), "BAD_USER_INPUT", "reason {reason:?}");
    }
    assert_eq!(w.status(&awaiting).await, "AWAITING_APPROVAL");

    let claimed = w.in_state("CLAIMED").await;
    let resp = w.gql("demo-member-1", COMPLETE, json!({ "id": claimed, "note": "" })).await;
    assert_eq!(error_code(&resp), "BAD_USER_INPUT", "an empty completion note");

    let submitted = w.in_state("SUBMITTED").await;
    let resp = w.gql("demo-secretary", ESCALATE, json!({ "id": submitted, "reason": "" })).await;
    assert_eq!(error_code(&resp), "BAD_USER_INPUT", "an empty escalation reason");
    assert_eq!(w.status(&submitted).await, "SUBMITTED");
}

// ---------------------------------------------------------------------------
// Lists
// ---------------------------------------------------------------------------

#[tokio::test]
async fn orders_page_newest_first_without_repeating_or_skipping() {
    let w = World::new().await;
    let mut placed = Vec::new();
    for n in 1..=7 {
        placed.push(
            w.place("demo-resident-1", json!({ "title": format!("第{n}单") })).await["id"].as_str().unwrap().to_owned(),
        );
    }
    w.place_id("demo-resident-2").await;
    let newest_first: Vec<String> = placed.iter().rev().cloned().collect();

    let page = |after: Value| list(&w, "demo-resident-1", ORDERS, json!({ "first": 3, "after": after }));
    let first = page(Value::Null).await;
    assert_eq!(ids(&first), newest_first[..3].to_vec());
    assert_eq!(first["totalCount"], 7, "only her own orders");
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    assert_eq!(first["pageInfo"]["hasPreviousPage"], false);
    let edges = first["edges"].as_array().unwrap();
    assert_eq!(first["pageInfo"]["endCursor"], edges[2]["cursor"], "endCursor is the last edge's cursor");

    // A new order arriving between pages does not shift the next page.
    let newer = w.place_id("demo-resident-1").await;

    let second = page(first["pageInfo"]["endCursor"].clone()).await;
    assert_eq!(ids(&second), newest_first[3..6].to_vec());
    assert_eq!(second["pageInfo"]["hasNextPage"], true);
    assert_eq!(second["pageInfo"]["hasPreviousPage"], true);
    let third = page(second["pageInfo"]["endCursor"].clone()).await;
    assert_eq!(ids(&third), newest_first[6..].to_vec());
    assert_eq!(third["pageInfo"]["hasNextPage"], false);

    let mut seen: Vec<String> = [ids(&first), ids(&second), ids(&third)].concat();
    assert_eq!(seen.len(), 7);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 7, "no order twice");

    let fresh = page(Value::Null).await;
    assert_eq!(ids(&fresh)[0], newer);
    assert_eq!(fresh["totalCount"], 8);
}

#[tokio::test]
async fn the_pool_holds_only_open_orders_oldest_first() {
    let w = World::with(roomy).await;
    let mut placed = Vec::new();
    for _ in 0..6 {
        placed.push(w.place_id("demo-resident-1").await);
    }
    // 0, 2, 3, 5 published (in that order); 3 then claimed; 1 stays submitted; 4 assigned.
    for i in [0, 2, 3, 5] {
        w.must("demo-secretary", "publish", &placed[i], "OPEN").await;
    }
    w.must("demo-member-1", "claim", &placed[3], "CLAIMED").await;
    w.must("demo-secretary", "assign", &placed[4], "ASSIGNED").await;

    let pool = |after: Value| list(&w, "demo-member-2", POOL, json!({ "c": w.chengnan, "first": 2, "after": after }));
    let first = pool(Value::Null).await;
    assert_eq!(ids(&first), vec![placed[0].clone(), placed[2].clone()]);
    assert_eq!(first["totalCount"], 3);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let second = pool(first["pageInfo"]["endCursor"].clone()).await;
    assert_eq!(ids(&second), vec![placed[5].clone()]);
    assert_eq!(second["pageInfo"]["hasNextPage"], false);
    for edge in [first["edges"].as_array().unwrap().clone(), second["edges"].as_array().unwrap().clone()].concat() {
        assert_eq!(edge["node"]["status"], "OPEN");
    }

    // Volunteers, grid workers and secretaries see the same pool.
    for who in ["demo-volunteer", "demo-grid", "demo-secretary"] {
        let resp = w.gql(who, POOL, json!({ "c": w.chengnan })).await;
        assert_eq!(data(&resp, "orderPool")["totalCount"], 3, "{who}");
    }
}

#[tokio::test]
async fn page_sizes_outside_one_to_a_hundred_are_refused() {
    let w = World::new().await;
    w.place_id("demo-resident-1").await;
    for first in [0, -1, 101, 1000] {
        let list = w.gql("demo-secretary", ORDERS, json!({ "first": first })).await;
        assert_eq!(error_code(&list), "BAD_USER_INPUT", "orders(first: {first}): {list}");
        let pool = w.gql("demo-secretary", POOL, json!({ "c": w.chengnan, "first": first })).await;
        assert_eq!(error_code(&pool), "BAD_USER_INPUT", "orderPool(first: {first}): {pool}");
    }
    for first in [1, 100] {
        let list = w.gql("demo-secretary", ORDERS, json!({ "first": first })).await;
        assert_eq!(data(&list, "orders")["totalCount"], 1);
        let pool = w.gql("demo-secretary", POOL, json!({ "c": w.chengnan, "first": first })).await;
        assert_eq!(data(&pool, "orderPool")["totalCount"], 0);
    }
}

#[tokio::test]
async fn orders_filter_by_community_status_category_mine_and_claimed_by_me() {
    let w = World::with(roomy).await;
    let repair = w.place_id("demo-resident-1").await;
    let legal = w.place("demo-resident-1", json!({ "category": "LEGAL_AID", "title": "工资被拖欠" })).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = w.place_id("demo-resident-2").await;
    w.must("demo-secretary", "publish", &repair, "OPEN").await;
    w.must("demo-secretary", "publish", &legal, "OPEN").await;
    w.must("demo-member-1", "claim", &repair, "CLAIMED").await;

    let list = |who: &'static str, filter: Value| filtered(&w, who, filter);
    assert_eq!(list("demo-member-1", json!({ "claimedByMe": true })).await, vec![repair.clone()]);
    assert_eq!(list("demo-member-2", json!({ "claimedByMe": true })).await, Vec::<String>::new());
    assert_eq!(list("demo-resident-1", json!({ "mine": true })).await, vec![legal.clone(), repair.clone()]);
    assert_eq!(list("demo-resident-2", json!({ "mine": true })).await, vec![other.clone()]);
    assert_eq!(list("demo-secretary", json!({ "category": "LEGAL_AID" })).await, vec![legal.clone()]);
    assert_eq!(list("demo-secretary", json!({ "status": "SUBMITTED" })).await, vec![other.clone()]);
    assert_eq!(list("demo-secretary", json!({ "status": "OPEN", "category": "REPAIR" })).await, Vec::<String>::new());
    assert_eq!(
        list("demo-secretary", json!({ "communityId": w.chengnan })).await,
        vec![other.clone(), legal.clone(), repair.clone()]
    );
    assert_eq!(
        list("demo-member-2", json!({})).await,
        vec![other, legal, repair],
        "helpers see the community's orders"
    );
}

#[tokio::test]
async fn a_page_of_orders_with_their_people_and_community_costs_at_most_two_statements_however_long() {
    let w = World::with(roomy).await;
    let secretary = w.id_of("demo-secretary").await;
    for n in 0..22 {
        let placer = if n % 2 == 0 { "demo-resident-1" } else { "demo-resident-2" };
        let id = w.place_id(placer).await;
        w.must("demo-secretary", "publish", &id, "OPEN").await;
        let claimer = ["demo-member-1", "demo-member-2", "demo-member-3", "demo-volunteer"][n % 4];
        w.must(claimer, "claim", &id, "CLAIMED").await;
    }
    let token = w.session("demo-secretary").await.access_token;

    let (twenty, page) = statements_for_a_page(&w.app, &token, PAGE_WITH_PEOPLE, 20).await;
    let (two, _) = statements_for_a_page(&w.app, &token, PAGE_WITH_PEOPLE, 2).await;
    let (twenty_again, _) = statements_for_a_page(&w.app, &token, PAGE_WITH_PEOPLE, 20).await;
    assert!(twenty > 0, "the metric counts statements");
    assert!(twenty <= 2, "{twenty} statements for a page of 20 with its people and community");
    assert_eq!(two, twenty, "a page of 2 costs as many statements as a page of 20");
    assert_eq!(twenty, twenty_again, "the same request costs the same");
    assert_eq!(page["totalCount"], 22);
    let names: std::collections::HashSet<&str> =
        names_under(&page, "placedBy").into_iter().chain(names_under(&page, "claimant")).collect();
    assert!(names.contains("龙阿姨") && names.contains("李党员"), "people are named: {names:?}");

    let (with_history, page) = statements_for_a_page(&w.app, &token, PAGE_WITH_HISTORY, 20).await;
    let (with_history_two, _) = statements_for_a_page(&w.app, &token, PAGE_WITH_HISTORY, 2).await;
    assert!(with_history <= twenty + 1, "{with_history} statements: histories and their actors add one");
    assert_eq!(with_history_two, with_history);
    for edge in page["edges"].as_array().unwrap() {
        let history = edge["node"]["history"].as_array().unwrap();
        assert_eq!(history.len(), 3, "{edge}");
        assert_eq!(history[0]["actor"]["id"], edge["node"]["placedBy"]["id"], "{edge}");
        assert_eq!(history[1]["actor"]["id"], secretary.as_str(), "{edge}");
        assert_eq!(history[1]["actor"]["displayName"], "杨书记", "{edge}");
        assert_eq!(history[2]["actor"]["id"], edge["node"]["claimant"]["id"], "{edge}");
    }
}

#[tokio::test]
async fn the_total_counts_every_visible_order_even_past_the_last_page() {
    let w = World::with(roomy).await;
    for _ in 0..3 {
        w.place_id("demo-resident-1").await;
    }
    w.place_id("demo-resident-2").await;
    let query = "query($after: String) { orders(first: 2, after: $after) { totalCount \
                 pageInfo { hasNextPage endCursor } edges { node { id } } } }";
    let w = &w;
    let page = |after: Value| async move {
        data(&w.gql("demo-resident-1", query, json!({ "after": after })).await, "orders").clone()
    };
    let first = page(Value::Null).await;
    assert_eq!((first["totalCount"].clone(), first["edges"].as_array().unwrap().len()), (json!(3), 2), "{first}");
    let last = page(first["pageInfo"]["endCursor"].clone()).await;
    assert_eq!((last["totalCount"].clone(), last["edges"].as_array().unwrap().len()), (json!(3), 1), "{last}");
    assert_eq!(last["pageInfo"]["hasNextPage"], false);
    let past = page(last["pageInfo"]["endCursor"].clone()).await;
    assert_eq!(past["edges"].as_array().unwrap().len(), 0, "{past}");
    assert_eq!(past["totalCount"], 3, "the total still counts what was passed: {past}");
    let secretary = data(&w.gql("demo-secretary", query, json!({})).await, "orders").clone();
    assert_eq!(secretary["totalCount"], 4, "{secretary}");
}

/// The display names under `field` on every order of a page.
fn names_under<'a>(page: &'a Value, field: &str) -> Vec<&'a str> {
    page["edges"].as_array().unwrap().iter().filter_map(|e| e["node"][field]["displayName"].as_str()).collect()
}

// ---------------------------------------------------------------------------
// Photos
// ---------------------------------------------------------------------------

use crate::uploads::{jpeg, plain_urls, png, png_of_size, webp};

async fn upload(app: &TestApp, token: Option<&str>, bytes: Vec<u8>, name: &str, mime: &str) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()).mime_str(mime).unwrap();
    // As wx.uploadFile sends it: form fields, then the file.
    let form = reqwest::multipart::Form::new().text("purpose", "order").part("file", part);
    let mut request = app.client.post(format!("{}/uploads", app.address)).multipart(form);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("the server should answer")
}

#[tokio::test]
async fn uploaded_photos_are_served_back_and_accepted_on_orders() {
    let w = World::new().await;
    let resident = w.session("demo-resident-1").await;
    let bytes = png(1024);
    let response = upload(&w.app, Some(&resident.access_token), bytes.clone(), "leak.png", "image/png").await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    let url = body["url"].as_str().unwrap().to_owned();
    assert!(body["id"].is_string(), "{body}");

    let served = w.app.client.get(body["viewUrl"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.bytes().await.unwrap().to_vec(), png(0), "the picture, without its extra chunk");

    let photos = json!([url, "https://img.example.com/kitchen.jpg"]);
    let placed = w.place("demo-resident-1", json!({ "photoUrls": photos })).await;
    assert_eq!(plain_urls(&placed["photoUrls"]), photos);
    let id = placed["id"].as_str().unwrap().to_owned();

    // The helper's photos of the finished work, uploaded the same way.
    w.must("demo-secretary", "publish", &id, "OPEN").await;
    w.must("demo-member-1", "claim", &id, "CLAIMED").await;
    let member = w.session("demo-member-1").await;
    let after = upload(&w.app, Some(&member.access_token), png(0), "done.png", "image/png").await;
    assert_eq!(after.status(), 201);
    let after_url = after.json::<Value>().await.unwrap()["url"].as_str().unwrap().to_owned();
    let done = w.gql("demo-member-1", COMPLETE, json!({ "id": id, "note": "修好了", "photos": [after_url] })).await;
    assert_eq!(plain_urls(&payload(&done)["completionPhotoUrls"]), json!([after_url]));
}

#[tokio::test]
async fn uploads_accept_only_signed_in_images_up_to_five_megabytes() {
    let w = World::new().await;
    let token = w.session("demo-resident-1").await.access_token;

    for (bytes, name) in [(jpeg(), "a.jpg"), (webp(), "a.webp")] {
        let r = upload(&w.app, Some(&token), bytes, name, "application/octet-stream").await;
        assert_eq!(r.status(), 201, "{name} by content");
    }

    // A text file is refused whatever it claims to be.
    let text = upload(&w.app, Some(&token), b"just some text, not a photo".to_vec(), "photo.png", "image/png").await;
    assert_eq!(text.status(), 400);
    assert_eq!(error_code(&text.json().await.unwrap()), "BAD_USER_INPUT");

    let limit = 5 * 1024 * 1024;
    let at_limit = upload(&w.app, Some(&token), png_of_size(limit), "big.png", "image/png").await;
    assert_eq!(at_limit.status(), 201, "exactly 5 MB is allowed");
    let too_big = upload(&w.app, Some(&token), png_of_size(limit + 1), "huge.png", "image/png").await;
    assert_eq!(too_big.status(), 413);

    let anonymous = upload(&w.app, None, png(0), "a.png", "image/png").await;
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn photo_urls_must_be_our_uploads_or_https_and_at_most_nine() {
    let w = World::new().await;
    let token = w.session("demo-resident-1").await.access_token;
    let uploaded = upload(&w.app, Some(&token), png(16), "a.png", "image/png").await.json::<Value>().await.unwrap();
    let url = uploaded["url"].as_str().unwrap().to_owned();
    let prefix = url.rsplit_once('/').unwrap().0.to_owned();

    let nine: Vec<String> = (0..9).map(|i| format!("https://img.example.com/{i}.jpg")).collect();
    let ok = w.place("demo-resident-1", json!({ "photoUrls": nine })).await;
    assert_eq!(ok["photoUrls"].as_array().unwrap().len(), 9);

    let ten: Vec<String> = (0..10).map(|i| format!("https://img.example.com/{i}.jpg")).collect();
    let bad_cases = [
        json!(ten),
        json!(["http://other-host.example/a.jpg"]),
        json!(["ftp://img.example.com/a.jpg"]),
        json!(["not a url"]),
        json!([format!("{prefix}/doesnotexist0123456789.png")]),
        json!([url.clone(), format!("{prefix}/ffffffffffffffffffffffffffffffff.png")]),
    ];
    for photos in bad_cases {
        let resp = w.try_place("demo-resident-1", json!({ "photoUrls": photos })).await;
        assert_eq!(error_code(&resp), "BAD_USER_INPUT", "{photos}: {resp}");
        assert_eq!(error_field(&resp), "photoUrls", "{photos}");
    }

    // The same rules when reporting work done.
    let id = w.in_state("CLAIMED").await;
    let resp = w
        .gql(
            "demo-member-1",
            COMPLETE,
            json!({ "id": id, "note": "好了", "photos": ["http://other-host.example/a.jpg"] }),
        )
        .await;
    assert_eq!(error_code(&resp), "BAD_USER_INPUT");
    let resp = w.gql("demo-member-1", COMPLETE, json!({ "id": id, "note": "好了", "photos": ten })).await;
    assert_eq!(error_code(&resp), "BAD_USER_INPUT");
    assert_eq!(w.status(&id).await, "CLAIMED");
}

// ---------------------------------------------------------------------------
// Roles and joining
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_secretary_grants_and_revokes_roles_and_nobody_else_can() {
    let w = World::new().await;
    let resident = w.id_of("demo-resident-2").await;
    let vars = json!({ "c": w.chengnan, "u": resident, "r": "VOLUNTEER" });

    for who in ["demo-grid", "demo-member-1", "demo-resident-1", "demo-resident-2"] {
        let refused = w.gql(who, GRANT, vars.clone()).await;
        assert_eq!(error_code(&refused), "FORBIDDEN", "{who} granting: {refused}");
    }
    let elsewhere = w.gql("demo-secretary-2", GRANT, vars.clone()).await;
    let code = error_code(&elsewhere);
    assert!(code == "FORBIDDEN" || code == "NOT_FOUND", "another community's secretary: {elsewhere}");

    assert_eq!(error_code(&w.gql("demo-resident-2", POOL, json!({ "c": w.chengnan })).await), "FORBIDDEN");
    let granted = w.gql("demo-secretary", GRANT, vars.clone()).await;
    let membership = payload(&granted);
    assert_eq!(membership["community"]["name"], CHENGNAN);
    let mut roles: Vec<String> =
        membership["roles"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_owned()).collect();
    roles.sort();
    assert_eq!(roles, vec!["RESIDENT", "VOLUNTEER"]);
    // The new role works at once: the pool opens and she can claim.
    let id = w.in_state("OPEN").await;
    assert_eq!(data(&w.gql("demo-resident-2", POOL, json!({ "c": w.chengnan })).await, "orderPool")["totalCount"], 1);

    for who in ["demo-grid", "demo-member-1", "demo-resident-2"] {
        let refused = w.gql(who, REVOKE, vars.clone()).await;
        assert_eq!(error_code(&refused), "FORBIDDEN", "{who} revoking: {refused}");
    }
    let revoked = w.gql("demo-secretary", REVOKE, vars).await;
    assert_eq!(payload(&revoked)["roles"], json!(["RESIDENT"]));
    assert_eq!(error_code(&w.gql("demo-resident-2", POOL, json!({ "c": w.chengnan })).await), "FORBIDDEN");
    assert_eq!(error_code(&w.act("demo-resident-2", "claim", &id).await), "NOT_FOUND");
}

#[tokio::test]
async fn the_last_secretary_cannot_be_removed() {
    let w = World::new().await;
    let secretary = w.id_of("demo-secretary").await;
    let grid = w.id_of("demo-grid").await;
    let own = json!({ "c": w.chengnan, "u": secretary, "r": "SECRETARY" });
    assert_eq!(error_code(&w.gql("demo-secretary", REVOKE, own.clone()).await), "INVALID_STATE");

    // With a second secretary, the first may step down; then the second is the last.
    w.gql("demo-secretary", GRANT, json!({ "c": w.chengnan, "u": grid, "r": "SECRETARY" })).await;
    let stepped_down = w.gql("demo-secretary", REVOKE, own).await;
    assert_eq!(payload(&stepped_down)["roles"], json!([]));
    let last = w.gql("demo-grid", REVOKE, json!({ "c": w.chengnan, "u": grid, "r": "SECRETARY" })).await;
    assert_eq!(error_code(&last), "INVALID_STATE");
    // And the former secretary can no longer dispatch anything.
    let submitted = w.place_id("demo-resident-1").await;
    assert_eq!(error_code(&w.act("demo-secretary", "publish", &submitted).await), "NOT_FOUND");
}

#[tokio::test]
async fn a_newcomer_joins_with_the_invite_code_and_places_an_order() {
    let w = World::new().await;
    let newcomer = w.session("newcomer-1").await;
    let me = w.gql("newcomer-1", "{ me { id memberships { community { name } roles } } }", json!({})).await;
    assert_eq!(data(&me, "me")["memberships"], json!([]));
    let early = w.try_place("newcomer-1", json!({})).await;
    assert_eq!(error_code(&early), "NOT_FOUND", "not a member yet: {early}");

    let unknown = w.gql("newcomer-1", "mutation { requestToJoin(inviteCode: \"NOSUCHCODE\") { id } }", json!({})).await;
    assert_eq!(error_code(&unknown), "BAD_USER_INPUT");

    let requested = w
        .gql(
            "newcomer-1",
            "mutation { requestToJoin(inviteCode: \"CHENGNAN\", note: \"刚搬到4栋\") { id status community { name } } }",
            json!({}),
        )
        .await;
    let request = payload(&requested).clone();
    assert_eq!(request["status"], "PENDING");
    assert_eq!(request["community"]["name"], CHENGNAN);

    let list_query = "query($c: ID!) { joinRequests(communityId: $c) { id status note applicant { id } } }";
    assert_eq!(error_code(&w.gql("demo-member-1", list_query, json!({ "c": w.chengnan })).await), "FORBIDDEN");
    let pending = w.gql("demo-grid", list_query, json!({ "c": w.chengnan })).await;
    let pending = data(&pending, "joinRequests").as_array().unwrap().clone();
    let mine = pending.iter().find(|r| r["id"] == request["id"]).unwrap_or_else(|| panic!("not listed: {pending:?}"));
    assert_eq!(mine["applicant"]["id"], newcomer.user_id.as_str());
    assert_eq!(mine["note"], "刚搬到4栋");

    let approve = "mutation($id: ID!) { approveJoinRequest(joinRequestId: $id) { id status } }";
    assert_eq!(error_code(&w.gql("demo-member-1", approve, json!({ "id": request["id"] })).await), "FORBIDDEN");
    let approved = w.gql("demo-grid", approve, json!({ "id": request["id"] })).await;
    assert_eq!(payload(&approved)["status"], "APPROVED");

    let me = w.gql("newcomer-1", "{ me { memberships { community { name } roles } } }", json!({})).await;
    assert_eq!(data(&me, "me")["memberships"], json!([{ "community": { "name": CHENGNAN }, "roles": ["RESIDENT"] }]));
    let placed =
        w.place("newcomer-1", json!({ "contactPhone": "13600001111", "address": "城南社区4栋1单元101" })).await;
    assert_eq!(placed["status"], "SUBMITTED");
    assert_eq!(placed["placedBy"]["id"], newcomer.user_id.as_str());
    let after = w.gql("demo-grid", list_query, json!({ "c": w.chengnan })).await;
    assert!(
        !data(&after, "joinRequests").as_array().unwrap().iter().any(|r| r["id"] == request["id"]),
        "no longer pending"
    );
}

#[tokio::test]
async fn another_communitys_staff_cannot_see_or_decide_join_requests() {
    let w = World::new().await;
    w.session("newcomer-2").await;
    let requested = w.gql("newcomer-2", "mutation { requestToJoin(inviteCode: \"CHENGNAN\") { id } }", json!({})).await;
    let id = payload(&requested)["id"].clone();
    let list = w
        .gql("demo-secretary-2", "query($c: ID!) { joinRequests(communityId: $c) { id } }", json!({ "c": w.chengnan }))
        .await;
    assert_eq!(error_code(&list), "NOT_FOUND");
    let approve = w
        .gql(
            "demo-secretary-2",
            "mutation($id: ID!) { approveJoinRequest(joinRequestId: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&approve), "NOT_FOUND");
    let declined = w
        .gql(
            "demo-secretary",
            "mutation($id: ID!) { declineJoinRequest(joinRequestId: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(payload(&declined)["status"], "DECLINED");
    let me = w.gql("newcomer-2", "{ me { memberships { roles } } }", json!({})).await;
    assert_eq!(data(&me, "me")["memberships"], json!([]), "a declined request grants nothing");
}
