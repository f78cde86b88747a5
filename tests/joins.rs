// Joining a community with its invite code: a request is decided once by
// the community's staff, and its steps are on the workflow spine.

use crate::common::*;
use futures_util::future::join_all;
use serde_json::json;

const REQUEST: &str = "mutation { requestToJoin(inviteCode: \"CHENGNAN\") { id status } }";
const APPROVE: &str = "mutation($id: ID!) { approveJoinRequest(joinRequestId: $id) { id status } }";
const DECLINE: &str = "mutation($id: ID!) { declineJoinRequest(joinRequestId: $id) { id status } }";
const ME: &str = "{ me { memberships { community { name } roles } } }";

#[tokio::test]
async fn approving_and_declining_a_join_request_at_once_decides_it_exactly_once() {
    let w = World::new().await;
    let request = payload(&w.gql("newcomer-1", REQUEST, json!({})).await)["id"].clone();
    let decisions = join_all((0..6).map(|i| {
        let (who, query) = if i % 2 == 0 { ("demo-grid", APPROVE) } else { ("demo-secretary", DECLINE) };
        w.gql(who, query, json!({ "id": request }))
    }))
    .await;
    let decided: Vec<&str> =
        decisions.iter().filter(|r| r["errors"].is_null()).map(|r| payload(r)["status"].as_str().unwrap()).collect();
    assert_eq!(decided.len(), 1, "{decisions:?}");
    for refused in decisions.iter().filter(|r| !r["errors"].is_null()) {
        assert_eq!(error_code(refused), "INVALID_STATE", "{refused}");
    }
    let roles = data(&w.gql("newcomer-1", ME, json!({})).await, "me")["memberships"].clone();
    match decided[0] {
        "APPROVED" => assert_eq!(roles, json!([{ "community": { "name": CHENGNAN }, "roles": ["RESIDENT"] }])),
        _ => assert_eq!(roles, json!([]), "a declined request grants nothing"),
    }
}

#[tokio::test]
async fn a_decided_join_request_cannot_be_decided_again() {
    let w = World::new().await;
    let request = payload(&w.gql("newcomer-1", REQUEST, json!({})).await)["id"].clone();
    assert_eq!(payload(&w.gql("demo-grid", APPROVE, json!({ "id": request })).await)["status"], "APPROVED");
    for query in [APPROVE, DECLINE] {
        let again = w.gql("demo-secretary", query, json!({ "id": request })).await;
        assert_eq!(error_code(&again), "INVALID_STATE", "{again}");
    }
    // Asking again once a resident is a conflict, not a second request.
    let twice = w.gql("newcomer-1", REQUEST, json!({})).await;
    assert_eq!(error_code(&twice), "CONFLICT", "{twice}");
}
