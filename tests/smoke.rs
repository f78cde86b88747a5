use crate::common::*;
use serde_json::json;

#[tokio::test]
async fn a_demo_resident_signs_in_and_places_an_order() {
    let app = spawn_app().await;
    let resident = app.login("demo-resident-1").await;
    let community = app.community_id(CHENGNAN).await;
    let placed = app
        .gql(
            Some(&resident.access_token),
            "mutation($c: ID!) { placeOrder(input: {communityId: $c, category: REPAIR, title: \"水管漏水\", description: \"厨房水管漏水\"}) { id status } }",
            json!({ "c": community }),
        )
        .await;
    assert_eq!(data(&placed, "placeOrder")["status"], "SUBMITTED");
}
