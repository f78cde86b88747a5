//! Bounded authority: roles go only to people already in the community,
//! nobody deals with themselves, an award cannot be split to pass under the
//! review size, and a refused call changes nothing.

use serde_json::{Value, json};

use crate::common::*;

area_world!();

const ROLES: &str = "{ me { memberships { community { name } roles } } }";
const AWARD: &str = "mutation($c: ID!, $u: ID!, $p: Int!, $k: String!) { \
    awardCivilityPoints(communityId: $c, userId: $u, points: $p, reason: \"扶老人过马路\", idempotencyKey: $k) { id status } }";
const ADJUST: &str = "mutation($c: ID!, $m: ID!, $k: String!) { \
    adjustDedicationPoints(communityId: $c, memberId: $m, points: 5, reason: \"加班\", idempotencyKey: $k) { id } }";
const SET_RULES: &str =
    "mutation($c: ID!, $r: CivilityRulesInput!) { setCivilityRules(communityId: $c, rules: $r) { reviewAbove } }";
const RULE_CHANGES: &str =
    "query($c: ID!) { ruleChanges(communityId: $c) { rules before after changedBy { displayName } changedAt } }";
const PLACE: &str = "mutation($c: ID!) { placeOrder(input: { communityId: $c, category: REPAIR, title: \"水管漏水\", \
    description: \"厨房水管漏水\" }) { id } }";
const DISPATCH: &str = "mutation($o: ID!, $a: ID) { dispatchOrder(orderId: $o, assigneeId: $a) { id status } }";
const CLAIM: &str = "mutation($o: ID!) { claimOrder(orderId: $o) { id status } }";
const COMPLETE: &str = "mutation($o: ID!) { completeOrder(orderId: $o, note: \"修好了\") { id status } }";
const APPROVE: &str = "mutation($o: ID!) { approveOrder(orderId: $o) { id status } }";

impl World {
    async fn roles(&self, who: &str) -> Value {
        payload(&self.gql(who, ROLES, json!({})).await)["memberships"].clone()
    }

    async fn grant(&self, granter: &str, user_id: &str, role: &str) -> Value {
        self.gql(granter, GRANT, json!({ "c": self.chengnan, "u": user_id, "r": role })).await
    }

    async fn award(&self, to: &str, points: i64) -> Value {
        let u = self.id_of(to).await;
        self.gql("demo-secretary", AWARD, json!({ "c": self.chengnan, "u": u, "p": points, "k": key("award") })).await
    }

    /// An order placed by demo-resident-1 and dispatched to the pool; its id.
    async fn open_order(&self) -> String {
        let placed = self.gql("demo-resident-1", PLACE, json!({ "c": self.chengnan })).await;
        let order = id(payload(&placed));
        payload(&self.gql("demo-secretary", DISPATCH, json!({ "o": order, "a": null })).await);
        order
    }
}

#[tokio::test]
async fn nobody_grants_themselves_a_role_and_the_refusal_changes_nothing() {
    let w = World::new().await;
    let before = w.roles("demo-secretary").await;
    let own = w.id_of("demo-secretary").await;
    let resp = w.grant("demo-secretary", &own, "PARTY_MEMBER").await;
    assert_eq!(outcome(&resp), "FORBIDDEN", "{resp}");
    assert!(resp["errors"][0]["message"].as_str().unwrap().contains("自己"), "{resp}");
    assert_eq!(w.roles("demo-secretary").await, before);
}

#[tokio::test]
async fn a_role_goes_only_to_someone_already_in_the_community() {
    let w = World::new().await;
    let stranger = w.id_of("someone-from-elsewhere").await;
    let resp = w.grant("demo-secretary", &stranger, "VOLUNTEER").await;
    assert_eq!(outcome(&resp), "NOT_FOUND", "whether the person exists is not hers to know: {resp}");
    assert_eq!(w.roles("someone-from-elsewhere").await, json!([]), "nothing was granted");

    // Once they have joined, the secretary may give them a role.
    let joined = w.fresh_resident("someone-from-elsewhere").await;
    let granted = w.grant("demo-secretary", &joined, "VOLUNTEER").await;
    assert!(payload(&granted)["roles"].as_array().unwrap().contains(&json!("VOLUNTEER")), "{granted}");
}

#[tokio::test]
async fn nobody_awards_or_adjusts_their_own_points() {
    let w = World::new().await;
    let own = w.id_of("demo-secretary").await;
    let awarded =
        w.gql("demo-secretary", AWARD, json!({ "c": w.chengnan, "u": own, "p": 5, "k": key("self-award") })).await;
    assert_eq!(outcome(&awarded), "FORBIDDEN", "{awarded}");
    let adjusted = w.gql("demo-secretary", ADJUST, json!({ "c": w.chengnan, "m": own, "k": key("self-adjust") })).await;
    assert_eq!(outcome(&adjusted), "FORBIDDEN", "{adjusted}");
}

#[tokio::test]
async fn awards_to_one_person_within_thirty_days_add_up_against_the_review_size() {
    let w = World::new().await;
    // The demo community reviews awards above 20 points.
    assert_eq!(payload(&w.award("demo-resident-1", 15).await)["status"], "POSTED");
    let split = w.award("demo-resident-1", 10).await;
    assert_eq!(payload(&split)["status"], "PENDING_REVIEW", "15 + 10 passes 20: {split}");
    assert_eq!(payload(&w.award("demo-resident-2", 10).await)["status"], "POSTED", "another person's count is theirs");
}

#[tokio::test]
async fn nobody_dispatches_an_order_to_themselves() {
    let w = World::new().await;
    let placed = w.gql("demo-resident-1", PLACE, json!({ "c": w.chengnan })).await;
    let order = id(payload(&placed));
    let own = w.id_of("demo-grid").await;
    let resp = w.gql("demo-grid", DISPATCH, json!({ "o": order, "a": own })).await;
    assert_eq!(outcome(&resp), "FORBIDDEN", "{resp}");
    let member = w.id_of("demo-member-1").await;
    assert_eq!(payload(&w.gql("demo-grid", DISPATCH, json!({ "o": order, "a": member })).await)["status"], "ASSIGNED");
}

#[tokio::test]
async fn nobody_approves_the_order_they_did_themselves() {
    let w = World::new().await;
    // A party member who is also a secretary of the community.
    let member = w.id_of("demo-member-1").await;
    payload(&w.grant("demo-secretary", &member, "SECRETARY").await);
    let order = w.open_order().await;
    payload(&w.gql("demo-member-1", CLAIM, json!({ "o": order })).await);
    payload(&w.gql("demo-member-1", COMPLETE, json!({ "o": order })).await);

    let own = w.gql("demo-member-1", APPROVE, json!({ "o": order })).await;
    assert_eq!(outcome(&own), "FORBIDDEN", "{own}");
    assert_eq!(payload(&w.gql("demo-secretary", APPROVE, json!({ "o": order })).await)["status"], "APPROVED");
}

#[tokio::test]
async fn a_rule_change_is_recorded_and_applies_only_to_awards_after_it() {
    let w = World::new().await;
    let before = w.award("demo-resident-1", 15).await;
    assert_eq!(payload(&before)["status"], "POSTED");
    let set = w.gql("demo-secretary", SET_RULES, json!({ "c": w.chengnan, "r": { "reviewAbove": 10 } })).await;
    assert_eq!(payload(&set)["reviewAbove"], 10);

    let changes = w.gql("demo-secretary", RULE_CHANGES, json!({ "c": w.chengnan })).await;
    let changes = payload(&changes).as_array().unwrap().clone();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["rules"], "CIVILITY");
    let after: Value = serde_json::from_str(changes[0]["after"].as_str().unwrap()).unwrap();
    assert_eq!(after["reviewAbove"], 10, "{after}");
    assert!(!changes[0]["changedBy"]["displayName"].as_str().unwrap().is_empty());

    // The award made before stands; the next one is judged by the new size.
    let next = w.award("demo-resident-1", 5).await;
    assert_eq!(payload(&next)["status"], "PENDING_REVIEW");
    let pending = w
        .gql(
            "demo-secretary",
            "query($c: ID!) { pendingCivilityAwards(communityId: $c) { id } }",
            json!({ "c": w.chengnan }),
        )
        .await;
    assert_eq!(payload(&pending), &json!([{ "id": id(payload(&next)) }]), "the earlier award stays posted");
    let residents_view = w.gql("demo-resident-1", RULE_CHANGES, json!({ "c": w.chengnan })).await;
    assert_eq!(outcome(&residents_view), "FORBIDDEN", "{residents_view}");
    let next_door = w.gql("demo-secretary-2", RULE_CHANGES, json!({ "c": w.chengnan })).await;
    assert_eq!(outcome(&next_door), "NOT_FOUND", "another community's secretary: {next_door}");
}
