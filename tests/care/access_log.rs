// Full phones and addresses on orders are sensitive: every time someone other
// than the resident sees them in full, the read is logged with the order as
// its purpose; masked reads and fields nobody asked for are not.

use crate::common::*;
use serde_json::{Value, json};

const PLACE: &str = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }";
const LOG: &str = "query($c: ID!, $s: ID) { sensitiveAccessLog(communityId: $c, subjectId: $s, first: 50) { totalCount \
     nodes { accessor { id } subject { id } field purpose careRequestId } } }";
const MINE: &str = "{ myDataAccessLog(first: 50) { totalCount nodes { accessor { id } field purpose } } }";

async fn gql(app: &TestApp, who: &str, query: &str, vars: Value) -> Value {
    let token = app.login(who).await.access_token;
    app.gql(Some(&token), query, vars).await
}

#[tokio::test]
async fn a_full_phone_or_address_shown_on_an_order_is_logged_and_a_masked_one_is_not() {
    let app = spawn_app().await;
    let c = app.community_id(CHENGNAN).await;
    let resident = app.login("demo-resident-1").await.user_id;
    let placed = gql(
        &app,
        "demo-resident-1",
        PLACE,
        json!({ "input": { "communityId": c, "category": "REPAIR", "title": "水管漏水", "description": "厨房水管漏水" } }),
    )
    .await;
    let order = data(&placed, "placeOrder")["id"].as_str().unwrap().to_owned();

    // The resident's own reads and a party member's masked read: nothing logged.
    let both = "query($id: ID!) { order(id: $id) { address contactPhone contactMasked } }";
    let own = gql(&app, "demo-resident-1", both, json!({ "id": order })).await;
    assert_eq!(data(&own, "order")["contactPhone"], "13812345678");
    let masked = gql(&app, "demo-member-1", both, json!({ "id": order })).await;
    assert_eq!(data(&masked, "order")["contactMasked"], true);
    // The grid worker asks only for the title: nothing revealed, nothing logged.
    let title = gql(&app, "demo-grid", "query($id: ID!) { order(id: $id) { title } }", json!({ "id": order })).await;
    assert!(title.get("errors").is_none(), "{title}");
    let log = gql(&app, "demo-secretary", LOG, json!({ "c": c, "s": resident })).await;
    assert_eq!(data(&log, "sensitiveAccessLog")["totalCount"], 0, "{log}");

    // The grid worker sees the phone in full: one row, with the order as the purpose.
    let grid = app.login("demo-grid").await.user_id;
    let phone =
        gql(&app, "demo-grid", "query($id: ID!) { order(id: $id) { contactPhone } }", json!({ "id": order })).await;
    assert_eq!(data(&phone, "order")["contactPhone"], "13812345678");
    let log = gql(&app, "demo-secretary", LOG, json!({ "c": c, "s": resident })).await;
    let rows = data(&log, "sensitiveAccessLog")["nodes"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 1, "{log}");
    assert_eq!(rows[0]["accessor"]["id"], grid.as_str());
    assert_eq!(rows[0]["field"], "PHONE");
    assert_eq!(rows[0]["purpose"], "ORDER");
    assert_eq!(rows[0]["careRequestId"], order.as_str());

    // Phone and address together: two more rows; the resident sees who read them.
    gql(&app, "demo-secretary", both, json!({ "id": order })).await;
    let mine = gql(&app, "demo-resident-1", MINE, json!({})).await;
    assert_eq!(data(&mine, "myDataAccessLog")["totalCount"], 3, "{mine}");
}
