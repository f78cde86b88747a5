// 爱心超市 end to end, as the demo users: goods priced in civility points,
// stocked by the secretary or the canteen operator; two-phase redemptions
// (points and stock reserved, then picked up, cancelled or expired);
// idempotent retries; and, under concurrency, no balance below zero and no
// stock oversold. Every test ends with the books balancing.

use std::collections::{HashMap, HashSet};

use crate::common::*;
use chrono::Duration;
use futures_util::future::join_all;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const ITEM_FIELDS: &str = "id name pricePoints stock reserved available retired";
const REDEMPTION_FIELDS: &str = "id itemId userId quantity points status pickupCode expiresAt settledAt createdAt";

fn create_item_query() -> String {
    format!(
        "mutation($c: ID!, $n: String!, $p: Int!, $s: Int!) {{ createSupermarketItem(communityId: $c, name: $n, \
         pricePoints: $p, stock: $s) {{ {ITEM_FIELDS} }} }}"
    )
}
fn restock_query() -> String {
    format!("mutation($i: ID!, $q: Int!) {{ restockSupermarketItem(itemId: $i, quantity: $q) {{ {ITEM_FIELDS} }} }}")
}
fn retire_query() -> String {
    format!("mutation($i: ID!) {{ retireSupermarketItem(itemId: $i) {{ {ITEM_FIELDS} }} }}")
}
fn items_query() -> String {
    format!("query($c: ID!) {{ supermarketItems(communityId: $c) {{ {ITEM_FIELDS} }} }}")
}
fn redeem_query() -> String {
    format!(
        "mutation($i: ID!, $q: Int!, $k: String!) {{ redeemItem(itemId: $i, quantity: $q, idempotencyKey: $k) \
         {{ {REDEMPTION_FIELDS} }} }}"
    )
}
fn confirm_query() -> String {
    format!("mutation($code: String!) {{ confirmPickup(pickupCode: $code) {{ {REDEMPTION_FIELDS} }} }}")
}
fn cancel_query() -> String {
    format!("mutation($id: ID!) {{ cancelRedemption(redemptionId: $id) {{ {REDEMPTION_FIELDS} }} }}")
}
fn redemptions_query() -> String {
    format!(
        "query($c: ID!, $s: RedemptionStatus) {{ redemptions(communityId: $c, status: $s) {{ {REDEMPTION_FIELDS} }} }}"
    )
}
const AWARD: &str = "mutation($c: ID!, $u: ID!, $p: Int!, $r: String!, $k: String!) { awardCivilityPoints(\
     communityId: $c, userId: $u, points: $p, reason: $r, idempotencyKey: $k) { id status } }";
const ACCOUNT: &str = "query($c: ID!, $u: ID) { civilityAccount(communityId: $c, userId: $u, first: 100) { balance \
     entries { totalCount edges { node { transferId amount kind counterparty } } } } }";
const SET_RULES: &str = "mutation($c: ID!, $r: CivilityRulesInput!) { setCivilityRules(communityId: $c, rules: $r) { \
     redemptionHoldHours } }";
const CONSISTENCY: &str = "query($c: ID!) { ledgerConsistency(communityId: $c) { ok entriesSum \
     mismatchedAccountIds unbalancedTransferIds } }";

area_world!();

impl World {
    /// The secretary awards `points` (at most the review size, so they post at once).
    async fn give(&self, who: &str, points: i64) {
        let user = self.id_of(who).await;
        let key = format!("give-{}", uuid::Uuid::new_v4().simple());
        let resp = self
            .gql(
                "demo-secretary",
                AWARD,
                json!({ "c": self.chengnan, "u": user, "p": points, "r": "邻里互助", "k": key }),
            )
            .await;
        assert_eq!(payload(&resp)["status"], "POSTED", "{resp}");
    }

    async fn balance(&self, who: &str) -> i64 {
        self.account(who).await["balance"].as_i64().unwrap()
    }

    /// `who`'s civility account, as the secretary sees it.
    async fn account(&self, who: &str) -> Value {
        let user = self.id_of(who).await;
        let resp = self.gql("demo-secretary", ACCOUNT, json!({ "c": self.chengnan, "u": user })).await;
        payload(&resp).clone()
    }

    async fn try_create_item(&self, who: &str, name: &str, price: i64, stock: i64) -> Value {
        self.gql(who, &create_item_query(), json!({ "c": self.chengnan, "n": name, "p": price, "s": stock })).await
    }

    /// A new item, stocked by the secretary; returns its id.
    async fn item(&self, name: &str, price: i64, stock: i64) -> String {
        let resp = self.try_create_item("demo-secretary", name, price, stock).await;
        id(payload(&resp))
    }

    /// The item as the shelf shows it (`None` once retired).
    async fn shelf(&self, item: &str) -> Option<Value> {
        let resp = self.gql("demo-secretary", &items_query(), json!({ "c": self.chengnan })).await;
        payload(&resp).as_array().unwrap().iter().find(|i| i["id"] == item).cloned()
    }

    /// (stock, reserved, available) of an item on the shelf.
    async fn stock(&self, item: &str) -> (i64, i64, i64) {
        let i = self.shelf(item).await.unwrap_or_else(|| panic!("item {item} is not on the shelf"));
        let n = |f: &str| i[f].as_i64().unwrap();
        assert_eq!(n("available"), n("stock") - n("reserved"), "{i}");
        (n("stock"), n("reserved"), n("available"))
    }

    async fn try_redeem(&self, who: &str, item: &str, quantity: i64, key: &str) -> Value {
        self.gql(who, &redeem_query(), json!({ "i": item, "q": quantity, "k": key })).await
    }

    async fn redeem(&self, who: &str, item: &str, quantity: i64, key: &str) -> Value {
        let resp = self.try_redeem(who, item, quantity, key).await;
        payload(&resp).clone()
    }

    async fn confirm(&self, who: &str, code: &str) -> Value {
        self.gql(who, &confirm_query(), json!({ "code": code })).await
    }

    async fn cancel(&self, who: &str, redemption: &str) -> Value {
        self.gql(who, &cancel_query(), json!({ "id": redemption })).await
    }

    async fn redemptions(&self, who: &str, status: Option<&str>) -> Vec<Value> {
        let resp = self.gql(who, &redemptions_query(), json!({ "c": self.chengnan, "s": status })).await;
        payload(&resp).as_array().unwrap().clone()
    }

    /// A redemption as the operator's list shows it.
    async fn redemption(&self, redemption: &str) -> Value {
        self.redemptions("demo-secretary", None)
            .await
            .into_iter()
            .find(|r| r["id"] == redemption)
            .unwrap_or_else(|| panic!("no redemption {redemption}"))
    }

    /// `ledgerConsistency` through the API, and the harness's own check.
    async fn books_balance(&self) {
        let resp = self.gql("demo-secretary", CONSISTENCY, json!({ "c": self.chengnan })).await;
        let check = payload(&resp);
        assert_eq!(check["ok"], true, "{check}");
        assert_eq!(check["entriesSum"], 0, "{check}");
        self.app.assert_ledger_balanced().await;
    }
}

/// How many responses ended in each outcome.
fn tally(results: &[Value]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for r in results {
        *counts.entry(outcome(r)).or_default() += 1;
    }
    counts
}

// ---------------------------------------------------------------------------
// The shelf
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_secretary_and_the_canteen_operator_stock_the_love_supermarket() {
    let w = World::new().await;
    let rice = w.try_create_item("demo-secretary", "大米5斤", 10, 20).await;
    let rice = payload(&rice).clone();
    assert_eq!(rice["name"], "大米5斤");
    assert_eq!(rice["pricePoints"], 10);
    assert_eq!(rice["stock"], 20);
    assert_eq!(rice["reserved"], 0);
    assert_eq!(rice["available"], 20);
    assert_eq!(rice["retired"], false);
    let oil = w.try_create_item("demo-canteen", "食用油1升", 15, 0).await;
    assert_eq!(payload(&oil)["stock"], 0, "an item can be listed before it arrives");

    for who in ["demo-resident-1", "demo-grid", "demo-member-1", "demo-volunteer"] {
        let resp = w.try_create_item(who, "牙膏", 3, 10).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }
    assert_eq!(outcome(&w.try_create_item("demo-secretary-2", "牙膏", 3, 10).await), "NOT_FOUND");
    for (price, stock, field) in [(0, 10, "pricePoints"), (-1, 10, "pricePoints"), (3, -1, "stock")] {
        let resp = w.try_create_item("demo-secretary", "牙膏", price, stock).await;
        assert_eq!(outcome(&resp), "BAD_USER_INPUT", "{price} {stock}: {resp}");
        assert_eq!(error_field(&resp), field);
    }
    assert_eq!(error_field(&w.try_create_item("demo-secretary", "  ", 3, 10).await), "name");

    // Residents see the shelf; another community does not.
    let shelf = w.gql("demo-resident-1", &items_query(), json!({ "c": w.chengnan })).await;
    let names: Vec<&str> = payload(&shelf).as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["大米5斤", "食用油1升"]);
    let outsider = w.gql("demo-resident-3", &items_query(), json!({ "c": w.chengnan })).await;
    assert_eq!(outcome(&outsider), "NOT_FOUND", "{outsider}");

    // Restocking, by the operators only.
    let restocked = w.gql("demo-canteen", &restock_query(), json!({ "i": rice["id"], "q": 5 })).await;
    assert_eq!(payload(&restocked)["stock"], 25);
    assert_eq!(payload(&restocked)["available"], 25);
    let resp = w.gql("demo-resident-1", &restock_query(), json!({ "i": rice["id"], "q": 5 })).await;
    assert_eq!(outcome(&resp), "FORBIDDEN", "{resp}");
    let resp = w.gql("demo-secretary", &restock_query(), json!({ "i": rice["id"], "q": 0 })).await;
    assert_eq!(outcome(&resp), "BAD_USER_INPUT", "{resp}");
    let resp = w.gql("demo-secretary-2", &restock_query(), json!({ "i": rice["id"], "q": 5 })).await;
    assert_eq!(outcome(&resp), "NOT_FOUND", "{resp}");
    assert_eq!(w.stock(&id(&rice)).await, (25, 0, 25));
    w.books_balance().await;
}

#[tokio::test]
async fn a_retired_item_leaves_the_shelf_and_cannot_be_redeemed() {
    let w = World::new().await;
    w.give("demo-resident-1", 10).await;
    let soap = w.item("肥皂", 2, 10).await;
    let towel = w.item("毛巾", 3, 10).await;

    let resp = w.gql("demo-resident-1", &retire_query(), json!({ "i": soap })).await;
    assert_eq!(outcome(&resp), "FORBIDDEN", "{resp}");
    let retired = w.gql("demo-canteen", &retire_query(), json!({ "i": soap })).await;
    assert_eq!(payload(&retired)["retired"], true);
    assert!(w.shelf(&soap).await.is_none(), "a retired item leaves the shelf");
    assert!(w.shelf(&towel).await.is_some());

    let resp = w.try_redeem("demo-resident-1", &soap, 1, "retired-soap-001").await;
    assert_eq!(outcome(&resp), "INVALID_STATE", "{resp}");
    assert_eq!(w.balance("demo-resident-1").await, 10, "nothing reserved");
    assert!(w.redemptions("demo-resident-1", None).await.is_empty());
    w.books_balance().await;
}

// ---------------------------------------------------------------------------
// Redeem, pick up
// ---------------------------------------------------------------------------

#[tokio::test]
async fn redeeming_reserves_the_points_and_the_stock_until_pickup() {
    let w = World::new().await;
    w.give("demo-resident-1", 20).await;
    let rice = w.item("大米5斤", 3, 10).await;

    let r = w.redeem("demo-resident-1", &rice, 2, "redeem-rice-0001").await;
    assert_eq!(r["status"], "PENDING");
    assert_eq!(r["itemId"], rice.as_str());
    assert_eq!(r["userId"], w.id_of("demo-resident-1").await.as_str());
    assert_eq!(r["quantity"], 2);
    assert_eq!(r["points"], 6);
    assert!(r["settledAt"].is_null());
    let code = r["pickupCode"].as_str().unwrap();
    assert!(code.len() >= 4, "a code to read out at the counter: {code}");
    assert_eq!(time(&r["expiresAt"]) - time(&r["createdAt"]), Duration::hours(48), "held for the default 48 hours");

    // The points are gone from the balance at once, and the stock is reserved.
    let account = w.account("demo-resident-1").await;
    assert_eq!(account["balance"], 14);
    let hold = &account["entries"]["edges"][0]["node"];
    assert_eq!(hold["amount"], -6);
    assert_eq!(hold["kind"], "HOLD");
    assert_eq!(hold["counterparty"], "HOLDS");
    assert_eq!(w.stock(&rice).await, (10, 2, 8));
    w.books_balance().await;
}

#[tokio::test]
async fn the_operator_confirms_the_pickup_and_the_points_stay_spent() {
    let w = World::new().await;
    w.give("demo-resident-1", 20).await;
    let rice = w.item("大米5斤", 3, 10).await;
    let r = w.redeem("demo-resident-1", &rice, 2, "pickup-rice-0001").await;
    let code = r["pickupCode"].as_str().unwrap().to_owned();

    let own = w.confirm("demo-resident-1", &code).await;
    assert_eq!(outcome(&own), "FORBIDDEN", "the resident cannot hand goods to themselves: {own}");
    for who in ["demo-grid", "demo-member-1"] {
        assert_eq!(outcome(&w.confirm(who, &code).await), "FORBIDDEN", "{who}");
    }
    let unknown = w.confirm("demo-canteen", "ZZZZZZZZ").await;
    assert_eq!(outcome(&unknown), "BAD_USER_INPUT", "{unknown}");
    assert_eq!(error_field(&unknown), "pickupCode");
    let outsider = w.confirm("demo-secretary-2", &code).await;
    assert_ne!(outcome(&outsider), "OK", "another community's secretary: {outsider}");
    assert_eq!(w.redemption(&id(&r)).await["status"], "PENDING");

    let done = w.confirm("demo-canteen", &code).await;
    let done = payload(&done);
    assert_eq!(done["id"], r["id"]);
    assert_eq!(done["status"], "COMPLETED");
    assert!(!done["settledAt"].is_null());
    assert_eq!(w.stock(&rice).await, (8, 0, 8), "the goods left the shelf and the reservation with them");
    let account = w.account("demo-resident-1").await;
    assert_eq!(account["balance"], 14, "the points stay spent");
    assert_eq!(account["entries"]["totalCount"], 2, "the award and the hold: {account}");

    let again = w.confirm("demo-secretary", &code).await;
    assert_eq!(outcome(&again), "INVALID_STATE", "{again}");
    let cancel = w.cancel("demo-resident-1", &id(&r)).await;
    assert_eq!(outcome(&cancel), "INVALID_STATE", "a completed redemption is not cancelled: {cancel}");
    assert_eq!(w.stock(&rice).await, (8, 0, 8));
    assert_eq!(w.balance("demo-resident-1").await, 14);

    // The secretary confirms too.
    let second = w.redeem("demo-resident-1", &rice, 1, "pickup-rice-0002").await;
    let done = w.confirm("demo-secretary", second["pickupCode"].as_str().unwrap()).await;
    assert_eq!(payload(&done)["status"], "COMPLETED");
    assert_eq!(w.stock(&rice).await, (7, 0, 7));
    assert_eq!(w.balance("demo-resident-1").await, 11);
    w.books_balance().await;
}

#[tokio::test]
async fn redeeming_without_enough_points_reserves_nothing() {
    let w = World::new().await;
    w.give("demo-resident-1", 5).await;
    let oil = w.item("食用油1升", 6, 10).await;

    let resp = w.try_redeem("demo-resident-1", &oil, 1, "too-poor-oil-001").await;
    assert_eq!(outcome(&resp), "INSUFFICIENT_POINTS", "{resp}");
    let resp = w.try_redeem("demo-resident-2", &oil, 1, "too-poor-oil-002").await;
    assert_eq!(outcome(&resp), "INSUFFICIENT_POINTS", "no points at all: {resp}");
    assert_eq!(w.stock(&oil).await, (10, 0, 10));
    let account = w.account("demo-resident-1").await;
    assert_eq!(account["balance"], 5);
    assert_eq!(account["entries"]["totalCount"], 1);
    assert!(w.redemptions("demo-secretary", None).await.is_empty());

    // With enough points the same key goes through: a refusal used nothing up.
    w.give("demo-resident-1", 1).await;
    let r = w.redeem("demo-resident-1", &oil, 1, "too-poor-oil-001").await;
    assert_eq!(r["status"], "PENDING");
    assert_eq!(w.balance("demo-resident-1").await, 0);
    assert_eq!(w.stock(&oil).await, (10, 1, 9));
    w.books_balance().await;
}

#[tokio::test]
async fn redeeming_more_than_the_available_stock_is_a_conflict() {
    let w = World::new().await;
    w.give("demo-resident-1", 20).await;
    w.give("demo-resident-2", 20).await;
    let eggs = w.item("鸡蛋一盒", 2, 3).await;

    let resp = w.try_redeem("demo-resident-1", &eggs, 4, "eggs-too-many-01").await;
    assert_eq!(outcome(&resp), "CONFLICT", "{resp}");
    w.redeem("demo-resident-2", &eggs, 2, "eggs-resident-2-1").await;
    assert_eq!(w.stock(&eggs).await, (3, 2, 1));
    let resp = w.try_redeem("demo-resident-1", &eggs, 2, "eggs-too-many-02").await;
    assert_eq!(outcome(&resp), "CONFLICT", "only 1 is available while 2 are reserved: {resp}");
    assert_eq!(w.balance("demo-resident-1").await, 20, "a refusal takes no points");

    w.redeem("demo-resident-1", &eggs, 1, "eggs-last-one-01").await;
    assert_eq!(w.stock(&eggs).await, (3, 3, 0));
    assert_eq!(w.balance("demo-resident-1").await, 18);

    // An empty shelf is restocked and redeemable again.
    payload(&w.gql("demo-canteen", &restock_query(), json!({ "i": eggs, "q": 2 })).await);
    assert_eq!(w.stock(&eggs).await, (5, 3, 2));
    w.redeem("demo-resident-1", &eggs, 2, "eggs-restocked-1").await;
    assert_eq!(w.stock(&eggs).await, (5, 5, 0));

    let zero = w.try_redeem("demo-resident-1", &eggs, 0, "eggs-zero-00001").await;
    assert_eq!(outcome(&zero), "BAD_USER_INPUT", "{zero}");
    assert_eq!(error_field(&zero), "quantity");
    let key = w.try_redeem("demo-resident-1", &eggs, 1, "short").await;
    assert_eq!(outcome(&key), "BAD_USER_INPUT", "{key}");
    assert_eq!(error_field(&key), "idempotencyKey");
    w.books_balance().await;
}

#[tokio::test]
async fn residents_of_another_community_cannot_redeem_its_goods() {
    let w = World::new().await;
    let rice = w.item("大米5斤", 1, 10).await;
    let resp = w.try_redeem("demo-resident-3", &rice, 1, "outsider-rice-01").await;
    assert_eq!(outcome(&resp), "NOT_FOUND", "{resp}");
    let unknown = w.try_redeem("demo-resident-1", "99999999", 1, "unknown-item-01").await;
    assert_eq!(outcome(&unknown), "NOT_FOUND", "{unknown}");
    assert_eq!(w.stock(&rice).await, (10, 0, 10));
    w.books_balance().await;
}

// ---------------------------------------------------------------------------
// Idempotency
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_redemption_retried_with_the_same_key_is_the_same_redemption() {
    let w = World::new().await;
    w.give("demo-resident-1", 20).await;
    w.give("demo-resident-2", 20).await;
    let rice = w.item("大米5斤", 4, 10).await;

    let first = w.redeem("demo-resident-1", &rice, 2, "same-key-rice-01").await;
    let again = w.redeem("demo-resident-1", &rice, 2, "same-key-rice-01").await;
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["pickupCode"], first["pickupCode"]);
    assert_eq!(again["status"], "PENDING");
    assert_eq!(w.balance("demo-resident-1").await, 12, "reserved once");
    assert_eq!(w.stock(&rice).await, (10, 2, 8));

    let other = w.try_redeem("demo-resident-1", &rice, 3, "same-key-rice-01").await;
    assert_eq!(outcome(&other), "CONFLICT", "the same key with another quantity: {other}");
    assert_eq!(w.balance("demo-resident-1").await, 12);
    assert_eq!(w.stock(&rice).await, (10, 2, 8));
    assert_eq!(w.redemptions("demo-resident-1", None).await.len(), 1);

    // Keys belong to one resident.
    let theirs = w.redeem("demo-resident-2", &rice, 2, "same-key-rice-01").await;
    assert_ne!(theirs["id"], first["id"]);
    assert_eq!(w.balance("demo-resident-2").await, 12);

    // After pickup, a retry still answers with the redemption as it stands, spending nothing more.
    payload(&w.confirm("demo-canteen", first["pickupCode"].as_str().unwrap()).await);
    let later = w.redeem("demo-resident-1", &rice, 2, "same-key-rice-01").await;
    assert_eq!(later["id"], first["id"]);
    assert_eq!(later["status"], "COMPLETED");
    assert_eq!(w.balance("demo-resident-1").await, 12);
    assert_eq!(w.stock(&rice).await, (8, 2, 6));
    w.books_balance().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_retries_of_one_redemption_reserve_once() {
    let w = World::new().await;
    w.give("demo-resident-1", 10).await;
    let rice = w.item("大米5斤", 3, 10).await;
    let s = w.session("demo-resident-1").await;
    let query = redeem_query();
    let vars = json!({ "i": rice, "q": 1, "k": "tap-tap-tap-0001" });
    let results = join_all((0..10).map(|_| w.app.gql(Some(&s.access_token), &query, vars.clone()))).await;
    let ids: HashSet<String> = results.iter().map(|r| id(payload(r))).collect();
    assert_eq!(ids.len(), 1, "every retry answers with the one redemption: {results:?}");
    assert_eq!(w.balance("demo-resident-1").await, 7);
    assert_eq!(w.stock(&rice).await, (10, 1, 9));
    assert_eq!(w.redemptions("demo-resident-1", None).await.len(), 1);
    w.books_balance().await;
}

// ---------------------------------------------------------------------------
// Cancel and expire
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_resident_or_an_operator_cancels_a_pending_redemption_and_everything_is_released() {
    let w = World::new().await;
    w.give("demo-resident-1", 20).await;
    let rice = w.item("大米5斤", 5, 10).await;

    let mine = w.redeem("demo-resident-1", &rice, 2, "cancel-mine-0001").await;
    assert_eq!(w.balance("demo-resident-1").await, 10);

    // Someone else's redemption is not theirs to cancel.
    for who in ["demo-resident-2", "demo-grid"] {
        let resp = w.cancel(who, &id(&mine)).await;
        assert!(["NOT_FOUND", "FORBIDDEN"].contains(&outcome(&resp).as_str()), "{who}: {resp}");
    }
    assert_eq!(w.redemption(&id(&mine)).await["status"], "PENDING");
    assert_eq!(w.balance("demo-resident-1").await, 10);

    let voided = w.cancel("demo-resident-1", &id(&mine)).await;
    let voided = payload(&voided);
    assert_eq!(voided["status"], "VOIDED");
    assert!(!voided["settledAt"].is_null());
    assert_eq!(w.stock(&rice).await, (10, 0, 10), "the reservation is released");
    let account = w.account("demo-resident-1").await;
    assert_eq!(account["balance"], 20, "the points are back");
    let release = &account["entries"]["edges"][0]["node"];
    assert_eq!(release["amount"], 10);
    assert_eq!(release["kind"], "RELEASE");
    assert_eq!(release["counterparty"], "HOLDS");

    let twice = w.cancel("demo-resident-1", &id(&mine)).await;
    assert_eq!(outcome(&twice), "INVALID_STATE", "{twice}");
    let pickup = w.confirm("demo-canteen", mine["pickupCode"].as_str().unwrap()).await;
    assert_eq!(outcome(&pickup), "INVALID_STATE", "a voided redemption is not picked up: {pickup}");
    assert_eq!(w.balance("demo-resident-1").await, 20);
    assert_eq!(w.stock(&rice).await, (10, 0, 10));

    // The operator cancels one too (the resident did not come, say).
    for operator in ["demo-canteen", "demo-secretary"] {
        let r = w.redeem("demo-resident-1", &rice, 1, &format!("cancel-by-{operator}")).await;
        assert_eq!(w.balance("demo-resident-1").await, 15);
        let voided = w.cancel(operator, &id(&r)).await;
        assert_eq!(payload(&voided)["status"], "VOIDED", "{operator}");
        assert_eq!(w.balance("demo-resident-1").await, 20);
    }
    assert_eq!(w.stock(&rice).await, (10, 0, 10));
    w.books_balance().await;
}

#[tokio::test]
async fn an_uncollected_redemption_expires_after_the_hold_and_the_points_come_back() {
    let w = World::new().await;
    w.give("demo-resident-1", 10).await;
    w.give("demo-resident-2", 10).await;
    let rice = w.item("大米5斤", 4, 10).await;
    let stale = w.redeem("demo-resident-1", &rice, 2, "expire-rice-0001").await;
    assert_eq!(w.balance("demo-resident-1").await, 2);

    w.app.clock.advance(Duration::hours(47));
    assert_eq!(w.app.domain.supermarket().expire_redemptions().await.unwrap(), 0, "still within the hold");
    // A later redemption has its own 48 hours.
    let fresh = w.redeem("demo-resident-2", &rice, 1, "expire-rice-0002").await;
    assert_eq!(w.redemption(&id(&stale)).await["status"], "PENDING");

    w.app.clock.advance(Duration::hours(2));
    assert_eq!(w.app.domain.supermarket().expire_redemptions().await.unwrap(), 1, "49 hours on, the first has lapsed");
    let expired = w.redemption(&id(&stale)).await;
    assert_eq!(expired["status"], "VOIDED");
    assert_eq!(w.balance("demo-resident-1").await, 10, "the points came back");
    assert_eq!(w.redemption(&id(&fresh)).await["status"], "PENDING");
    assert_eq!(w.stock(&rice).await, (10, 1, 9), "only the live reservation remains");

    let pickup = w.confirm("demo-canteen", stale["pickupCode"].as_str().unwrap()).await;
    assert_eq!(outcome(&pickup), "INVALID_STATE", "{pickup}");
    assert_eq!(w.app.domain.supermarket().expire_redemptions().await.unwrap(), 0, "nothing is voided twice");
    assert_eq!(w.balance("demo-resident-1").await, 10);
    let voided = w.redemptions("demo-resident-1", Some("VOIDED")).await;
    assert_eq!(voided.len(), 1);

    // The later one is still collected in time.
    payload(&w.confirm("demo-canteen", fresh["pickupCode"].as_str().unwrap()).await);
    assert_eq!(w.stock(&rice).await, (9, 0, 9));
    assert_eq!(w.balance("demo-resident-2").await, 6);
    w.books_balance().await;
}

#[tokio::test]
async fn an_expired_redemption_cannot_be_picked_up_even_before_the_sweep() {
    let w = World::new().await;
    w.give("demo-resident-1", 10).await;
    let oil = w.item("食用油1升", 5, 3).await;
    let r = w.redeem("demo-resident-1", &oil, 1, "late-pickup-0001").await;

    w.app.clock.advance(Duration::hours(49));
    let pickup = w.confirm("demo-canteen", r["pickupCode"].as_str().unwrap()).await;
    assert_eq!(outcome(&pickup), "INVALID_STATE", "{pickup}");
    w.app.domain.supermarket().expire_redemptions().await.unwrap();
    assert_eq!(w.redemption(&id(&r)).await["status"], "VOIDED");
    assert_eq!(w.balance("demo-resident-1").await, 10);
    assert_eq!(w.stock(&oil).await, (3, 0, 3));
    let again = w.confirm("demo-canteen", r["pickupCode"].as_str().unwrap()).await;
    assert_eq!(outcome(&again), "INVALID_STATE", "{again}");
    w.books_balance().await;
}

#[tokio::test]
async fn the_hold_follows_the_community_rules() {
    let w = World::new().await;
    let set = w.gql("demo-secretary", SET_RULES, json!({ "c": w.chengnan, "r": { "redemptionHoldHours": 2 } })).await;
    assert_eq!(payload(&set)["redemptionHoldHours"], 2);
    w.give("demo-resident-1", 10).await;
    let rice = w.item("大米5斤", 2, 10).await;
    let r = w.redeem("demo-resident-1", &rice, 1, "short-hold-00001").await;
    assert_eq!(time(&r["expiresAt"]) - time(&r["createdAt"]), Duration::hours(2));

    w.app.clock.advance(Duration::hours(3));
    assert_eq!(w.app.domain.supermarket().expire_redemptions().await.unwrap(), 1);
    assert_eq!(w.balance("demo-resident-1").await, 10);
    assert_eq!(w.stock(&rice).await, (10, 0, 10));
    w.books_balance().await;
}

// ---------------------------------------------------------------------------
// Lists
// ---------------------------------------------------------------------------

#[tokio::test]
async fn residents_see_their_own_redemptions_and_operators_see_all() {
    let w = World::new().await;
    w.give("demo-resident-1", 20).await;
    w.give("demo-resident-2", 20).await;
    let rice = w.item("大米5斤", 2, 10).await;
    let a = w.redeem("demo-resident-1", &rice, 1, "list-rice-000001").await;
    let b = w.redeem("demo-resident-1", &rice, 1, "list-rice-000002").await;
    let c = w.redeem("demo-resident-2", &rice, 1, "list-rice-000003").await;
    payload(&w.confirm("demo-canteen", a["pickupCode"].as_str().unwrap()).await);
    payload(&w.cancel("demo-resident-2", &id(&c)).await);

    let ids = |list: Vec<Value>| -> HashSet<String> { list.iter().map(id).collect() };
    let mine = ids(w.redemptions("demo-resident-1", None).await);
    assert_eq!(mine, HashSet::from([id(&a), id(&b)]));
    let theirs = ids(w.redemptions("demo-resident-2", None).await);
    assert_eq!(theirs, HashSet::from([id(&c)]));
    assert!(w.redemptions("demo-elder", None).await.is_empty());
    for operator in ["demo-secretary", "demo-canteen"] {
        let all = ids(w.redemptions(operator, None).await);
        assert_eq!(all, HashSet::from([id(&a), id(&b), id(&c)]), "{operator}");
        assert_eq!(ids(w.redemptions(operator, Some("PENDING")).await), HashSet::from([id(&b)]));
        assert_eq!(ids(w.redemptions(operator, Some("COMPLETED")).await), HashSet::from([id(&a)]));
        assert_eq!(ids(w.redemptions(operator, Some("VOIDED")).await), HashSet::from([id(&c)]));
    }
    assert_eq!(ids(w.redemptions("demo-resident-1", Some("PENDING")).await), HashSet::from([id(&b)]));
    assert!(w.redemptions("demo-resident-1", Some("VOIDED")).await.is_empty());
    let outsider = w.gql("demo-resident-3", &redemptions_query(), json!({ "c": w.chengnan })).await;
    assert_eq!(outcome(&outsider), "NOT_FOUND", "{outsider}");
    w.books_balance().await;
}

// ---------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn a_hundred_parallel_one_point_redemptions_against_ten_points_let_exactly_ten_through() {
    let w = World::new().await;
    w.give("demo-resident-1", 10).await;
    assert_eq!(w.balance("demo-resident-1").await, 10);
    let soap = w.item("肥皂", 1, 1000).await;
    let s = w.session("demo-resident-1").await;

    let results = join_all((0..100).map(|n| {
        let vars = json!({ "i": soap, "q": 1, "k": format!("parallel-soap-{n:04}") });
        let token = s.access_token.clone();
        let app = &w.app;
        async move { app.gql(Some(&token), &redeem_query(), vars).await }
    }))
    .await;

    let counts = tally(&results);
    assert_eq!(counts.get("OK"), Some(&10), "exactly ten succeed: {counts:?}");
    assert_eq!(counts.get("INSUFFICIENT_POINTS"), Some(&90), "the rest run out of points: {counts:?}");
    let won: HashSet<String> = results.iter().filter(|r| outcome(r) == "OK").map(|r| id(payload(r))).collect();
    assert_eq!(won.len(), 10, "ten distinct redemptions");

    let account = w.account("demo-resident-1").await;
    assert_eq!(account["balance"], 0, "{account}");
    assert_eq!(account["entries"]["totalCount"], 11, "the award and ten holds");
    assert_eq!(w.stock(&soap).await, (1000, 10, 990));
    assert_eq!(w.redemptions("demo-resident-1", Some("PENDING")).await.len(), 10);
    w.books_balance().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn twenty_racing_redemptions_never_oversell_five_in_stock() {
    let w = World::new().await;
    let residents = ["demo-resident-1", "demo-resident-2", "demo-elder"];
    for who in residents {
        w.give(who, 20).await;
    }
    let oil = w.item("食用油1升", 1, 5).await;
    let mut tokens = Vec::new();
    for who in residents {
        tokens.push(w.session(who).await.access_token);
    }

    let results = join_all((0..20).map(|n| {
        let vars = json!({ "i": oil, "q": 1, "k": format!("race-oil-{n:04}") });
        let token = tokens[n % residents.len()].clone();
        let app = &w.app;
        async move { app.gql(Some(&token), &redeem_query(), vars).await }
    }))
    .await;

    let counts = tally(&results);
    assert_eq!(counts.get("OK"), Some(&5), "exactly the five in stock go: {counts:?}");
    assert_eq!(counts.get("CONFLICT"), Some(&15), "the rest are told it is out of stock: {counts:?}");
    assert_eq!(w.stock(&oil).await, (5, 5, 0));
    let mut spent = 0;
    for who in residents {
        spent += 20 - w.balance(who).await;
    }
    assert_eq!(spent, 5, "only the five winners paid");
    assert_eq!(w.redemptions("demo-secretary", Some("PENDING")).await.len(), 5);
    w.books_balance().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn confirming_and_cancelling_one_redemption_at_once_settles_it_once() {
    let w = World::new().await;
    w.give("demo-resident-1", 10).await;
    let rice = w.item("大米5斤", 4, 10).await;
    let r = w.redeem("demo-resident-1", &rice, 1, "settle-once-0001").await;
    let code = r["pickupCode"].as_str().unwrap().to_owned();
    let resident = w.session("demo-resident-1").await.access_token;
    let canteen = w.session("demo-canteen").await.access_token;
    let (confirm, cancel) = (confirm_query(), cancel_query());
    let results = join_all((0..12).map(|n| {
        if n % 2 == 0 {
            w.app.gql(Some(&canteen), &confirm, json!({ "code": code }))
        } else {
            w.app.gql(Some(&resident), &cancel, json!({ "id": r["id"] }))
        }
    }))
    .await;
    let counts = tally(&results);
    assert_eq!(counts.get("OK"), Some(&1), "settled once: {counts:?}");
    assert_eq!(counts.get("INVALID_STATE"), Some(&11), "{counts:?}");

    let status = w.redemption(&id(&r)).await["status"].as_str().unwrap().to_owned();
    match status.as_str() {
        "COMPLETED" => {
            assert_eq!(w.balance("demo-resident-1").await, 6);
            assert_eq!(w.stock(&rice).await, (9, 0, 9));
        }
        "VOIDED" => {
            assert_eq!(w.balance("demo-resident-1").await, 10);
            assert_eq!(w.stock(&rice).await, (10, 0, 10));
        }
        other => panic!("the redemption should be settled, not {other}"),
    }
    w.books_balance().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn redeeming_cancelling_and_picking_up_at_the_same_time_keep_the_books() {
    let w = World::new().await;
    w.give("demo-resident-1", 20).await;
    w.give("demo-resident-2", 20).await;
    let rice = w.item("大米5斤", 1, 100).await;
    let mut to_cancel = Vec::new();
    let mut to_collect = Vec::new();
    for n in 0..8 {
        to_cancel.push(id(&w.redeem("demo-resident-1", &rice, 1, &format!("mixed-cancel-{n:04}")).await));
        let r = w.redeem("demo-resident-2", &rice, 1, &format!("mixed-collect-{n:04}")).await;
        to_collect.push(r["pickupCode"].as_str().unwrap().to_owned());
    }
    assert_eq!(w.stock(&rice).await, (100, 16, 84));
    let r1 = w.session("demo-resident-1").await.access_token;
    let r2 = w.session("demo-resident-2").await.access_token;
    let canteen = w.session("demo-canteen").await.access_token;

    let mut calls: Vec<(String, String, Value)> = Vec::new();
    for (n, (redemption, code)) in to_cancel.iter().zip(&to_collect).enumerate() {
        calls.push((r1.clone(), cancel_query(), json!({ "id": redemption })));
        calls.push((canteen.clone(), confirm_query(), json!({ "code": code })));
        calls.push((r1.clone(), redeem_query(), json!({ "i": rice, "q": 1, "k": format!("mixed-new-1-{n:04}") })));
        calls.push((r2.clone(), redeem_query(), json!({ "i": rice, "q": 1, "k": format!("mixed-new-2-{n:04}") })));
    }
    let results = join_all(calls.iter().map(|(token, query, vars)| w.app.gql(Some(token), query, vars.clone()))).await;
    for r in &results {
        assert_eq!(outcome(r), "OK", "every one of these is allowed: {r}");
    }

    // resident 1: 20 − 8 held + 8 released − 8 held again; resident 2: 20 − 8 spent − 8 held.
    assert_eq!(w.balance("demo-resident-1").await, 12);
    assert_eq!(w.balance("demo-resident-2").await, 4);
    assert_eq!(w.stock(&rice).await, (92, 16, 76));
    w.books_balance().await;
}
