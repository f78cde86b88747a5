// Who may see an order at all (community scoping, residents, the street),
// and who sees its contact details in full (masking).

use crate::common::*;
use serde_json::{Value, json};

const ORDER_FIELDS: &str =
    "id status contactPhone address contactMasked placedBy { id } claimant { id } assignee { id } history { note }";

const FULL_PHONE: &str = "13812345678";
const FULL_ADDRESS: &str = "城南社区3栋2单元502";
const MASKED_PHONE: &str = "138****5678";
const MASKED_ADDRESS: &str = "城南社区3栋****";

fn q(template: &str) -> String {
    template.replace("FIELDS", ORDER_FIELDS)
}

area_world!();

impl World {
    /// A repair order in `community`, with the placer's contact details on file unless `extra` says otherwise.
    async fn place_in(&self, who: &str, community: &str, extra: Value) -> Value {
        let mut input = json!({
            "communityId": community, "category": "REPAIR", "title": "水管漏水", "description": "厨房水管漏水",
        });
        if let Value::Object(extra) = extra {
            for (k, v) in extra {
                input[k] = v;
            }
        }
        let resp = self
            .gql(
                who,
                &q("mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { FIELDS } }"),
                json!({ "input": input }),
            )
            .await;
        data(&resp, "placeOrder").clone()
    }

    async fn place(&self, who: &str) -> String {
        self.place_in(who, &self.chengnan.clone(), json!({})).await["id"].as_str().unwrap().to_owned()
    }

    async fn mutate(&self, who: &str, mutation: &str, args: &str, vars: Value) -> Value {
        let mut declared = String::from("$id: ID!");
        if args.contains("$a") {
            declared.push_str(", $a: ID!");
        }
        if args.contains("$s") {
            declared.push_str(", $s: String!");
        }
        let query = format!("mutation({declared}) {{ {mutation}(orderId: $id{args}) {{ {ORDER_FIELDS} }} }}");
        self.gql(who, &query, vars).await
    }

    async fn must(&self, who: &str, mutation: &str, args: &str, vars: Value, status: &str) -> Value {
        let resp = self.mutate(who, mutation, args, vars).await;
        let order = data(&resp, mutation).clone();
        assert_eq!(order["status"], status, "{who} {mutation}: {resp}");
        order
    }

    async fn view(&self, who: &str, id: &str) -> Value {
        self.gql(who, &q("query($id: ID!) { order(id: $id) { FIELDS } }"), json!({ "id": id })).await
    }
}

const ORDERS: &str = "query($filter: OrderFilter) { orders(filter: $filter, first: 100) { totalCount edges { node { id status contactPhone address contactMasked } } } }";
const POOL: &str = "query($c: ID!) { orderPool(communityId: $c) { totalCount edges { node { id contactPhone address contactMasked } } } }";

fn ids(connection: &Value) -> Vec<String> {
    connection["edges"].as_array().unwrap().iter().map(|e| e["node"]["id"].as_str().unwrap().to_owned()).collect()
}

fn node<'a>(connection: &'a Value, id: &str) -> &'a Value {
    connection["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .find(|n| n["id"] == id)
        .unwrap_or_else(|| panic!("order {id} is not in {connection}"))
}

/// Asserts what `who` sees of resident-1's contact details in `order`.
fn assert_contact(order: &Value, full: bool, what: &str) {
    if full {
        assert_eq!(order["contactPhone"], FULL_PHONE, "{what}: {order}");
        assert_eq!(order["address"], FULL_ADDRESS, "{what}: {order}");
        assert_eq!(order["contactMasked"], false, "{what}: {order}");
    } else {
        assert_eq!(order["contactPhone"], MASKED_PHONE, "{what}: {order}");
        assert_eq!(order["address"], MASKED_ADDRESS, "{what}: {order}");
        assert_eq!(order["contactMasked"], true, "{what}: {order}");
        let text = order.to_string();
        assert!(!text.contains(FULL_PHONE) && !text.contains("2单元502"), "{what}: the full details leak: {text}");
    }
}

async fn check_viewers(w: &World, id: &str, full: &[&str], masked: &[&str], stage: &str) {
    for who in full {
        let resp = w.view(who, id).await;
        assert_contact(data(&resp, "order"), true, &format!("{who} at {stage}"));
    }
    for who in masked {
        let resp = w.view(who, id).await;
        assert_contact(data(&resp, "order"), false, &format!("{who} at {stage}"));
    }
}

// ---------------------------------------------------------------------------
// Scoping
// ---------------------------------------------------------------------------

#[tokio::test]
async fn another_communitys_members_cannot_see_or_touch_an_order() {
    let w = World::new().await;
    let id = w.place("demo-resident-1").await;

    for who in ["demo-secretary-2", "demo-resident-3"] {
        let resp = w.view(who, &id).await;
        assert_eq!(error_code(&resp), "NOT_FOUND", "{who} reading: {resp}");
        assert!(resp["data"].is_null() || resp["data"]["order"].is_null(), "{resp}");
    }
    // Acting on it reveals nothing either.
    let dispatch = w.mutate("demo-secretary-2", "dispatchOrder", "", json!({ "id": id })).await;
    assert_eq!(error_code(&dispatch), "NOT_FOUND");
    let cancel = w.mutate("demo-secretary-2", "cancelOrder", ", reason: $s", json!({ "id": id, "s": "x" })).await;
    assert_eq!(error_code(&cancel), "NOT_FOUND");
    let escalate =
        w.mutate("demo-secretary-2", "escalateOrder", ", reason: $s", json!({ "id": id, "s": "越权" })).await;
    assert_eq!(error_code(&escalate), "NOT_FOUND");

    // Its lists leave it out; its pool view of 城南 does not exist.
    let theirs = w.gql("demo-secretary-2", ORDERS, json!({})).await;
    assert!(!ids(data(&theirs, "orders")).contains(&id));
    assert_eq!(data(&theirs, "orders")["totalCount"], 0);
    let filtered = w.gql("demo-secretary-2", ORDERS, json!({ "filter": { "communityId": w.chengnan } })).await;
    if filtered.get("errors").is_some() {
        assert_eq!(error_code(&filtered), "NOT_FOUND", "{filtered}");
    } else {
        assert_eq!(data(&filtered, "orders")["totalCount"], 0, "{filtered}");
    }
    for who in ["demo-secretary-2", "demo-resident-3"] {
        let pool = w.gql(who, POOL, json!({ "c": w.chengnan })).await;
        assert_eq!(error_code(&pool), "NOT_FOUND", "{who}: {pool}");
    }
    // Nor can they place orders there.
    let input = json!({ "communityId": w.chengnan, "category": "REPAIR", "title": "x", "description": "y" });
    let placed = w
        .gql(
            "demo-resident-3",
            "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }",
            json!({ "input": input }),
        )
        .await;
    assert_eq!(error_code(&placed), "NOT_FOUND");

    // The order is untouched.
    assert_eq!(data(&w.view("demo-secretary", &id).await, "order")["status"], "SUBMITTED");
}

#[tokio::test]
async fn each_community_lists_only_its_own_orders() {
    let w = World::new().await;
    let chengbei = w.app.community_id(CHENGBEI).await;
    let south = w.place("demo-resident-1").await;
    let north = w.place_in("demo-resident-3", &chengbei, json!({})).await["id"].as_str().unwrap().to_owned();

    let secretary = w.gql("demo-secretary", ORDERS, json!({})).await;
    assert_eq!(ids(data(&secretary, "orders")), vec![south.clone()]);
    let secretary_2 = w.gql("demo-secretary-2", ORDERS, json!({})).await;
    assert_eq!(ids(data(&secretary_2, "orders")), vec![north.clone()]);
    assert_eq!(error_code(&w.view("demo-secretary", &north).await), "NOT_FOUND");
    assert_eq!(data(&w.view("demo-secretary-2", &north).await, "order")["id"], north.as_str());
}

#[tokio::test]
async fn a_resident_sees_only_the_orders_placed_by_or_for_her() {
    let w = World::new().await;
    let hers = w.place("demo-resident-1").await;
    let his = w.place("demo-resident-2").await;

    assert_eq!(error_code(&w.view("demo-resident-2", &hers).await), "NOT_FOUND");
    assert_eq!(error_code(&w.view("demo-resident-1", &his).await), "NOT_FOUND");
    let list = w.gql("demo-resident-2", ORDERS, json!({})).await;
    assert_eq!(ids(data(&list, "orders")), vec![his.clone()]);
    assert_eq!(data(&list, "orders")["totalCount"], 1);
    let mine = w.gql("demo-resident-2", ORDERS, json!({ "filter": { "mine": true } })).await;
    assert_eq!(ids(data(&mine, "orders")), vec![his]);
    let by_status = w.gql("demo-resident-2", ORDERS, json!({ "filter": { "status": "SUBMITTED" } })).await;
    assert!(!ids(data(&by_status, "orders")).contains(&hers), "filters never widen what she may see");

    // The pool is for the people who take on work.
    let pool = w.gql("demo-resident-1", POOL, json!({ "c": w.chengnan })).await;
    assert_eq!(error_code(&pool), "FORBIDDEN");

    // Nor can a resident act on someone else's order.
    let cancel = w.mutate("demo-resident-2", "cancelOrder", "", json!({ "id": hers })).await;
    assert_eq!(error_code(&cancel), "NOT_FOUND");
}

#[tokio::test]
async fn unknown_and_malformed_order_ids_are_not_found() {
    let w = World::new().await;
    for id in ["999999", "abc", "-1", ""] {
        assert_eq!(error_code(&w.view("demo-secretary", id).await), "NOT_FOUND", "order({id:?})");
        let claim = w.mutate("demo-member-1", "claimOrder", "", json!({ "id": id })).await;
        assert_eq!(error_code(&claim), "NOT_FOUND", "claimOrder({id:?})");
    }
}

#[tokio::test]
async fn the_street_reviewer_sees_escalated_orders_of_its_communities_and_nothing_else() {
    let w = World::new().await;
    let chengbei = w.app.community_id(CHENGBEI).await;
    let south = w.place("demo-resident-1").await;
    let north = w.place_in("demo-resident-3", &chengbei, json!({})).await["id"].as_str().unwrap().to_owned();
    let quiet = w.place("demo-resident-2").await;

    // Before escalation the street does not see them.
    assert_eq!(error_code(&w.view("demo-street", &south).await), "NOT_FOUND");
    let list = w.gql("demo-street", ORDERS, json!({})).await;
    assert_eq!(data(&list, "orders")["totalCount"], 0);

    let reason = json!({ "id": south, "s": "小区供水管网老化，需要街道协调自来水公司" });
    let escalated = w.must("demo-secretary", "escalateOrder", ", reason: $s", reason, "ESCALATED").await;
    assert_eq!(
        escalated["history"].as_array().unwrap().last().unwrap()["note"],
        "小区供水管网老化，需要街道协调自来水公司"
    );
    w.must(
        "demo-secretary-2",
        "escalateOrder",
        ", reason: $s",
        json!({ "id": north, "s": "需要街道协调" }),
        "ESCALATED",
    )
    .await;

    let seen = w.view("demo-street", &south).await;
    assert_eq!(data(&seen, "order")["status"], "ESCALATED");
    assert_contact(data(&seen, "order"), false, "the street reviewer");
    assert_eq!(data(&w.view("demo-street", &north).await, "order")["status"], "ESCALATED");
    assert_eq!(error_code(&w.view("demo-street", &quiet).await), "NOT_FOUND", "not escalated");

    let list = w.gql("demo-street", ORDERS, json!({})).await;
    let mut listed = ids(data(&list, "orders"));
    listed.sort();
    let mut expected = vec![south.clone(), north.clone()];
    expected.sort();
    assert_eq!(listed, expected);
    assert_eq!(data(&list, "orders")["totalCount"], 2);
    let south_only = w.gql("demo-street", ORDERS, json!({ "filter": { "communityId": w.chengnan } })).await;
    assert_eq!(ids(data(&south_only, "orders")), vec![south]);
}

// ---------------------------------------------------------------------------
// Masking
// ---------------------------------------------------------------------------

#[tokio::test]
async fn contact_details_are_full_only_for_those_who_need_them_at_each_stage() {
    let w = World::new().await;
    let member_2 = w.id_of("demo-member-2").await;
    let placed = w.place_in("demo-resident-1", &w.chengnan.clone(), json!({})).await;
    let id = placed["id"].as_str().unwrap().to_owned();
    assert_contact(&placed, true, "the resident placing it");
    let v = json!({ "id": id });

    let staff = ["demo-resident-1", "demo-secretary", "demo-grid"];
    check_viewers(&w, &id, &staff, &["demo-member-1", "demo-member-2", "demo-volunteer"], "SUBMITTED").await;

    // Assigned: the assignee needs the address; nobody else does.
    let assigned = w
        .must("demo-secretary", "dispatchOrder", ", assigneeId: $a", json!({ "id": id, "a": member_2 }), "ASSIGNED")
        .await;
    assert_contact(&assigned, true, "the secretary dispatching");
    check_viewers(
        &w,
        &id,
        &["demo-resident-1", "demo-secretary", "demo-grid", "demo-member-2"],
        &["demo-member-1", "demo-volunteer"],
        "ASSIGNED",
    )
    .await;

    // Back to the pool: the former assignee is just another member again.
    w.must("demo-grid", "dispatchOrder", "", v.clone(), "OPEN").await;
    check_viewers(&w, &id, &staff, &["demo-member-1", "demo-member-2", "demo-volunteer"], "OPEN").await;
    for who in ["demo-member-1", "demo-volunteer"] {
        let pool = w.gql(who, POOL, json!({ "c": w.chengnan })).await;
        assert_contact(node(data(&pool, "orderPool"), &id), false, &format!("{who} in the pool"));
        let list = w.gql(who, ORDERS, json!({})).await;
        assert_contact(node(data(&list, "orders"), &id), false, &format!("{who} in orders"));
    }
    let pool = w.gql("demo-grid", POOL, json!({ "c": w.chengnan })).await;
    assert_contact(node(data(&pool, "orderPool"), &id), true, "the grid worker in the pool");

    // Claimed: the claimant sees it in full, in the answer to the claim too.
    let claimed = w.must("demo-member-2", "claimOrder", "", v.clone(), "CLAIMED").await;
    assert_contact(&claimed, true, "the claimant's claim answer");
    check_viewers(
        &w,
        &id,
        &["demo-resident-1", "demo-secretary", "demo-grid", "demo-member-2"],
        &["demo-member-1", "demo-volunteer"],
        "CLAIMED",
    )
    .await;
    let claimed_list = w.gql("demo-member-2", ORDERS, json!({ "filter": { "claimedByMe": true } })).await;
    assert_contact(node(data(&claimed_list, "orders"), &id), true, "the claimant's own list");

    w.must("demo-member-2", "completeOrder", ", note: $s", json!({ "id": id, "s": "修好了" }), "AWAITING_APPROVAL")
        .await;
    check_viewers(
        &w,
        &id,
        &["demo-resident-1", "demo-secretary", "demo-grid", "demo-member-2"],
        &["demo-member-1"],
        "AWAITING_APPROVAL",
    )
    .await;
    w.must("demo-secretary", "rejectOrder", ", reason: $s", json!({ "id": id, "s": "请补照片" }), "CLAIMED").await;
    check_viewers(&w, &id, &["demo-member-2"], &["demo-member-1"], "CLAIMED again").await;
    w.must("demo-member-2", "completeOrder", ", note: $s", json!({ "id": id, "s": "已补照片" }), "AWAITING_APPROVAL")
        .await;

    // Approved: the work is done, so the helper no longer needs the details.
    w.must("demo-secretary", "approveOrder", "", v.clone(), "APPROVED").await;
    check_viewers(&w, &id, &staff, &["demo-member-2", "demo-member-1", "demo-volunteer"], "APPROVED").await;
    let claimed_list = w.gql("demo-member-2", ORDERS, json!({ "filter": { "claimedByMe": true } })).await;
    assert_contact(node(data(&claimed_list, "orders"), &id), false, "the former claimant's list after approval");

    let rate = "mutation($id: ID!) { rateOrder(orderId: $id, stars: 5) { status contactPhone address contactMasked } }";
    let rated = w.gql("demo-resident-1", rate, v).await;
    assert_contact(data(&rated, "rateOrder"), true, "the resident rating");
    check_viewers(&w, &id, &staff, &["demo-member-2", "demo-member-1"], "CLOSED").await;
}

#[tokio::test]
async fn a_cancelled_assignment_no_longer_shows_the_assignee_the_details() {
    let w = World::new().await;
    let member_2 = w.id_of("demo-member-2").await;
    let id = w.place("demo-resident-1").await;
    w.must("demo-secretary", "dispatchOrder", ", assigneeId: $a", json!({ "id": id, "a": member_2 }), "ASSIGNED").await;
    w.must("demo-resident-1", "cancelOrder", "", json!({ "id": id }), "CANCELLED").await;
    check_viewers(&w, &id, &["demo-resident-1", "demo-secretary"], &["demo-member-2"], "CANCELLED").await;
}

#[tokio::test]
async fn an_elders_contact_is_masked_for_helpers_but_not_for_those_who_look_after_her() {
    let w = World::new().await;
    let elder = w.id_of("demo-elder").await;
    let placed = w.place_in("demo-grid", &w.chengnan.clone(), json!({ "onBehalfOf": elder })).await;
    let id = placed["id"].as_str().unwrap().to_owned();
    w.must("demo-secretary", "dispatchOrder", "", json!({ "id": id }), "OPEN").await;

    for who in ["demo-grid", "demo-elder", "demo-secretary"] {
        let order = w.view(who, &id).await;
        let order = data(&order, "order");
        assert_eq!(order["contactPhone"], "0855-3331234", "{who}");
        assert_eq!(order["address"], "城南社区1栋1单元101", "{who}");
        assert_eq!(order["contactMasked"], false, "{who}");
    }
    for who in ["demo-member-1", "demo-volunteer"] {
        let order = w.view(who, &id).await;
        let order = data(&order, "order");
        let phone = order["contactPhone"].as_str().unwrap();
        assert!(phone.ends_with("1234") && phone.contains('*') && !phone.contains("3331234"), "{who}: {phone}");
        assert_eq!(order["address"], "城南社区1栋****", "{who}");
        assert_eq!(order["contactMasked"], true, "{who}");
    }
}

#[tokio::test]
async fn contact_details_given_with_the_order_are_masked_the_same_way() {
    let w = World::new().await;
    let placed = w
        .place_in(
            "demo-resident-2",
            &w.chengnan.clone(),
            json!({ "contactPhone": "13900001111", "address": "城南社区6栋2单元602" }),
        )
        .await;
    let id = placed["id"].as_str().unwrap().to_owned();
    assert_eq!(placed["contactPhone"], "13900001111");
    let seen = w.view("demo-member-1", &id).await;
    let seen = data(&seen, "order");
    assert_eq!(seen["contactPhone"], "139****1111");
    assert_eq!(seen["address"], "城南社区6栋****");
    assert_eq!(seen["contactMasked"], true);
}

#[tokio::test]
async fn the_answer_about_someone_elses_order_is_the_same_as_about_no_order() {
    let w = World::new().await;
    let id = w.place("demo-resident-1").await;
    for who in ["demo-secretary-2", "demo-resident-2"] {
        let real = w.view(who, &id).await;
        let missing = w.view(who, "987654321").await;
        assert_eq!(error_code(&real), "NOT_FOUND");
        assert_eq!(real["errors"][0]["message"], missing["errors"][0]["message"], "{who}: {real} vs {missing}");
        assert_eq!(real["errors"][0]["extensions"], missing["errors"][0]["extensions"], "{who}");
        let claim = w.mutate(who, "claimOrder", "", json!({ "id": id })).await;
        let claim_missing = w.mutate(who, "claimOrder", "", json!({ "id": "987654321" })).await;
        assert_eq!(claim["errors"][0]["message"], claim_missing["errors"][0]["message"], "{who}");
    }
}
