// Mutual-help points (互助积分) under the community's own scoring rules: the
// secretary keeps the list of deeds and what each earns; a grid worker or the
// secretary records a resident's deed against a rule, which sets the points;
// deeds worth more than the review size wait for the moral-review committee;
// retries with the same key record once. The books balance after every test.

use crate::common::*;
use serde_json::{Value, json};

const RULES: &str = "query($c: ID!) { civilityRules(communityId: $c) { reviewAbove mutualHelp { code name points } } }";
const SET_RULES: &str = "mutation($c: ID!, $r: CivilityRulesInput!) { setCivilityRules(communityId: $c, rules: $r) { \
     pointsPerActivity mutualHelp { code name points } } }";
const RECORD: &str = "mutation($c: ID!, $u: ID!, $code: String!, $n: String!, $k: String!) { recordMutualHelp(\
     communityId: $c, userId: $u, ruleCode: $code, note: $n, idempotencyKey: $k) { id kind status amount reason \
     resident { id } createdBy { id } } }";
const BALANCE: &str = "query($c: ID!, $u: ID) { civilityAccount(communityId: $c, userId: $u) { balance } }";
const REVIEW: &str = "mutation($t: ID!) { reviewCivilityAward(transferId: $t, approve: true) { status } }";

fn ok(resp: &Value) -> &Value {
    assert!(resp.get("errors").is_none(), "unexpected errors: {resp}");
    resp["data"].as_object().and_then(|o| o.values().next()).unwrap()
}

fn field(resp: &Value) -> String {
    resp["errors"][0]["extensions"]["field"].as_str().unwrap_or_default().to_owned()
}

area_world!();

impl World {
    async fn record(&self, who: &str, user: &str, code: &str, key: &str) -> Value {
        self.gql(who, RECORD, json!({ "c": self.chengnan, "u": user, "code": code, "n": "帮6楼王奶奶买药", "k": format!("mutual-help-{key}") }))
            .await
    }

    async fn balance(&self, user: &str) -> i64 {
        ok(&self.gql("demo-secretary", BALANCE, json!({ "c": self.chengnan, "u": user })).await)["balance"]
            .as_i64()
            .unwrap()
    }
}

#[tokio::test]
async fn every_community_starts_with_documented_mutual_help_rules_anyone_in_it_can_read() {
    let w = World::new().await;
    let rules = w.gql("demo-resident-1", RULES, json!({ "c": w.chengnan })).await;
    let list = ok(&rules)["mutualHelp"].as_array().unwrap().clone();
    let codes: Vec<&str> = list.iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["NEIGHBOUR_HELP", "CARE_FOR_ELDER", "CHILD_CARE", "MEDIATION", "GOOD_DEED"]);
    assert_eq!(list[1]["points"], 2);
}

#[tokio::test]
async fn a_grid_worker_records_a_deed_and_the_rule_sets_the_points() {
    let w = World::new().await;
    let resident = w.app.login("demo-resident-1").await.user_id;
    let grid = w.app.login("demo-grid").await.user_id;
    let t = w.record("demo-grid", &resident, "CARE_FOR_ELDER", "k1").await;
    let t = ok(&t);
    assert_eq!(t["status"], "POSTED");
    assert_eq!(t["kind"], "AWARD");
    assert_eq!(t["amount"], 2);
    assert_eq!(t["reason"], "照料孤寡老人：帮6楼王奶奶买药");
    assert_eq!(t["resident"]["id"], resident.as_str());
    assert_eq!(t["createdBy"]["id"], grid.as_str());
    assert_eq!(w.balance(&resident).await, 2);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn a_deed_recorded_twice_with_one_key_counts_once() {
    let w = World::new().await;
    let resident = w.app.login("demo-resident-1").await.user_id;
    let first = w.record("demo-secretary", &resident, "MEDIATION", "same").await;
    let again = w.record("demo-secretary", &resident, "MEDIATION", "same").await;
    assert_eq!(ok(&first)["id"], ok(&again)["id"]);
    assert_eq!(w.balance(&resident).await, 3);
    let other = w.record("demo-secretary", &resident, "GOOD_DEED", "same").await;
    assert_eq!(error_code(&other), "CONFLICT", "the same key for another deed: {other}");
    assert_eq!(w.balance(&resident).await, 3);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn the_secretary_rewrites_the_rules_and_new_deeds_follow_them() {
    let w = World::new().await;
    let rules = json!({ "mutualHelp": [
        { "code": "SNOW_CLEARING", "name": "扫雪除冰", "points": 4 },
        { "code": "GOOD_DEED", "name": "好人好事", "points": 30 },
    ]});
    let set = w.gql("demo-secretary", SET_RULES, json!({ "c": w.chengnan, "r": rules })).await;
    assert_eq!(ok(&set)["mutualHelp"].as_array().unwrap().len(), 2);
    assert_eq!(ok(&set)["pointsPerActivity"], 1, "other rules are kept");

    let resident = w.app.login("demo-resident-2").await.user_id;
    let t = w.record("demo-grid", &resident, "SNOW_CLEARING", "a").await;
    assert_eq!(ok(&t)["amount"], 4);
    let gone = w.record("demo-grid", &resident, "MEDIATION", "b").await;
    assert_eq!(error_code(&gone), "BAD_USER_INPUT");
    assert_eq!(field(&gone), "ruleCode");
    let message = gone["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("SNOW_CLEARING"), "the message lists the rules there are: {message}");

    // 30 points is above the review size (20): the committee decides.
    let big = w.record("demo-grid", &resident, "GOOD_DEED", "c").await;
    assert_eq!(ok(&big)["status"], "PENDING_REVIEW");
    assert_eq!(w.balance(&resident).await, 4);
    let reviewed = w.gql("demo-secretary", REVIEW, json!({ "t": ok(&big)["id"] })).await;
    assert_eq!(ok(&reviewed)["status"], "POSTED");
    assert_eq!(w.balance(&resident).await, 34);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn mutual_help_rules_are_checked_before_they_are_kept() {
    let w = World::new().await;
    let bad = [
        json!([{ "code": "bad code", "name": "x", "points": 1 }]),
        json!([{ "code": "A1", "name": "x", "points": 0 }]),
        json!([{ "code": "A1", "name": "x", "points": 101 }]),
        json!([{ "code": "A1", "name": "", "points": 1 }]),
        json!([{ "code": "A1", "name": "x", "points": 1 }, { "code": "A1", "name": "y", "points": 2 }]),
    ];
    for list in bad {
        let resp =
            w.gql("demo-secretary", SET_RULES, json!({ "c": w.chengnan, "r": { "mutualHelp": list.clone() } })).await;
        assert_eq!(error_code(&resp), "BAD_USER_INPUT", "{list}: {resp}");
        assert_eq!(field(&resp), "mutualHelp");
    }
    let by_grid = w.gql("demo-grid", SET_RULES, json!({ "c": w.chengnan, "r": { "mutualHelp": [] } })).await;
    assert_eq!(error_code(&by_grid), "FORBIDDEN", "only the secretary sets the rules");
}

#[tokio::test]
async fn only_staff_record_deeds_for_other_residents_of_their_community() {
    let w = World::new().await;
    let resident = w.app.login("demo-resident-1").await.user_id;
    let grid = w.app.login("demo-grid").await.user_id;
    let by_resident = w.record("demo-resident-2", &resident, "NEIGHBOUR_HELP", "a").await;
    assert_eq!(error_code(&by_resident), "FORBIDDEN");
    let by_member = w.record("demo-member-1", &resident, "NEIGHBOUR_HELP", "b").await;
    assert_eq!(error_code(&by_member), "FORBIDDEN");
    let for_self = w.record("demo-grid", &grid, "NEIGHBOUR_HELP", "c").await;
    assert_eq!(error_code(&for_self), "BAD_USER_INPUT");
    let outsider = w.app.login("demo-resident-3").await.user_id;
    let elsewhere = w.record("demo-grid", &outsider, "NEIGHBOUR_HELP", "d").await;
    assert_eq!(error_code(&elsewhere), "BAD_USER_INPUT");
    assert_eq!(field(&elsewhere), "userId");
    let no_note = w
        .gql(
            "demo-grid",
            RECORD,
            json!({ "c": w.chengnan, "u": resident, "code": "NEIGHBOUR_HELP", "n": " ", "k": "mutual-help-e" }),
        )
        .await;
    assert_eq!(field(&no_note), "note");
    assert_eq!(w.balance(&resident).await, 0);
}
