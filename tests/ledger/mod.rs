// 乡风文明积分 end to end, as the demo users: the secretary's awards (with a
// reason, under an idempotency key, the large ones waiting for the
// moral-review committee), reversals that point at what they undo, the
// statement that explains every balance, the community's rules, the points
// residents earn by attending cultural activities and clean-ups, and the
// consistency check. Every test ends with the books balancing.

mod mutual_help;

use std::collections::{HashMap, HashSet};

use crate::common::*;
use chrono::Duration;
use domain::Clock;
use futures_util::future::join_all;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const TRANSFER_FIELDS: &str =
    "id kind status reason amount resident { id } createdBy { id } reversesTransferId createdAt";

fn award_query() -> String {
    format!(
        "mutation($c: ID!, $u: ID!, $p: Int!, $r: String!, $k: String!) {{ awardCivilityPoints(communityId: $c, \
         userId: $u, points: $p, reason: $r, idempotencyKey: $k) {{ {TRANSFER_FIELDS} }} }}"
    )
}
fn review_query() -> String {
    format!(
        "mutation($t: ID!, $a: Boolean!) {{ reviewCivilityAward(transferId: $t, approve: $a) {{ {TRANSFER_FIELDS} }} }}"
    )
}
fn reverse_query() -> String {
    format!("mutation($t: ID!, $r: String!) {{ reverseTransfer(transferId: $t, reason: $r) {{ {TRANSFER_FIELDS} }} }}")
}
fn pending_query() -> String {
    format!("query($c: ID!) {{ pendingCivilityAwards(communityId: $c) {{ {TRANSFER_FIELDS} }} }}")
}
const ACCOUNT: &str = "query($c: ID!, $u: ID, $first: Int, $after: String) { civilityAccount(communityId: $c, \
     userId: $u, first: $first, after: $after) { userId balance entries { totalCount pageInfo { hasNextPage \
     endCursor } edges { node { id transferId amount reason kind counterparty counterpartyUserId \
     reversesTransferId reversedByTransferId at } } } } }";
const RULES: &str =
    "query($c: ID!) { civilityRules(communityId: $c) { pointsPerActivity reviewAbove redemptionHoldHours } }";
const SET_RULES: &str = "mutation($c: ID!, $r: CivilityRulesInput!) { setCivilityRules(communityId: $c, rules: $r) { \
     pointsPerActivity reviewAbove redemptionHoldHours } }";
const CONSISTENCY: &str = "query($c: ID!) { ledgerConsistency(communityId: $c) { ok entriesSum accountsChecked \
     mismatchedAccountIds unbalancedTransferIds } }";
const CREATE_ACTIVITY: &str =
    "mutation($input: CreateActivityInput!) { createActivity(input: $input) { id kind title } }";
const CHECK_IN_CODE: &str = "query($id: ID!) { activityCheckInCode(activityId: $id) { code } }";
const CHECK_IN: &str = "mutation($code: String!) { checkIn(code: $code) { activityId checkedInAt } }";
const CREATE_ITEM: &str = "mutation($c: ID!, $n: String!, $p: Int!, $s: Int!) { createSupermarketItem(communityId: $c, \
     name: $n, pricePoints: $p, stock: $s) { id name pricePoints stock reserved available retired } }";
const REDEEM: &str = "mutation($i: ID!, $q: Int!, $k: String!) { redeemItem(itemId: $i, quantity: $q, \
     idempotencyKey: $k) { id status points pickupCode } }";
const CONFIRM: &str = "mutation($code: String!) { confirmPickup(pickupCode: $code) { id status } }";
const CANCEL: &str = "mutation($id: ID!) { cancelRedemption(redemptionId: $id) { id status } }";

area_world!();

impl World {
    /// `awardCivilityPoints` in 城南社区 as `by`, to `to`.
    async fn try_award_by(&self, by: &str, to: &str, points: i64, reason: &str, key: &str) -> Value {
        let user = self.id_of(to).await;
        self.gql(by, &award_query(), json!({ "c": self.chengnan, "u": user, "p": points, "r": reason, "k": key })).await
    }

    async fn try_award(&self, to: &str, points: i64, reason: &str, key: &str) -> Value {
        self.try_award_by("demo-secretary", to, points, reason, key).await
    }

    /// A successful award by the secretary.
    async fn award(&self, to: &str, points: i64, reason: &str, key: &str) -> Value {
        let resp = self.try_award(to, points, reason, key).await;
        payload(&resp).clone()
    }

    async fn try_account(&self, reader: &str, user: Option<&str>, first: Option<i64>, after: Option<&str>) -> Value {
        self.gql(reader, ACCOUNT, json!({ "c": self.chengnan, "u": user, "first": first, "after": after })).await
    }

    /// `who`'s civility account as they see it themselves (first 100 lines).
    async fn account(&self, who: &str) -> Value {
        let resp = self.try_account(who, None, Some(100), None).await;
        payload(&resp).clone()
    }

    /// `who`'s civility account as the secretary sees it (first 100 lines).
    async fn account_of(&self, who: &str) -> Value {
        let user = self.id_of(who).await;
        let resp = self.try_account("demo-secretary", Some(&user), Some(100), None).await;
        payload(&resp).clone()
    }

    async fn balance(&self, who: &str) -> i64 {
        self.account_of(who).await["balance"].as_i64().unwrap()
    }

    async fn review(&self, who: &str, transfer: &str, approve: bool) -> Value {
        self.gql(who, &review_query(), json!({ "t": transfer, "a": approve })).await
    }

    async fn reverse(&self, who: &str, transfer: &str, reason: &str) -> Value {
        self.gql(who, &reverse_query(), json!({ "t": transfer, "r": reason })).await
    }

    async fn pending(&self, who: &str) -> Value {
        self.gql(who, &pending_query(), json!({ "c": self.chengnan })).await
    }

    async fn set_rules(&self, who: &str, rules: Value) -> Value {
        self.gql(who, SET_RULES, json!({ "c": self.chengnan, "r": rules })).await
    }

    /// An activity of `kind` by the secretary, going on now.
    async fn activity(&self, kind: &str, title: &str) -> String {
        let now = self.app.clock.now();
        let input = json!({
            "communityId": self.chengnan,
            "title": title,
            "kind": kind,
            "place": "社区文化广场",
            "startsAt": (now - Duration::minutes(30)).to_rfc3339(),
            "endsAt": (now + Duration::minutes(90)).to_rfc3339(),
            "capacity": 50,
        });
        let resp = self.gql("demo-secretary", CREATE_ACTIVITY, json!({ "input": input })).await;
        payload(&resp)["id"].as_str().unwrap().to_owned()
    }

    /// `who` scans the secretary's check-in code for `activity`.
    async fn check_in(&self, who: &str, activity: &str) -> Value {
        let code = self.gql("demo-secretary", CHECK_IN_CODE, json!({ "id": activity })).await;
        let code = payload(&code)["code"].as_str().unwrap().to_owned();
        self.gql(who, CHECK_IN, json!({ "code": code })).await
    }

    /// `ledgerConsistency` for 城南社区 through the API, as the secretary.
    async fn consistency(&self) -> Value {
        let resp = self.gql("demo-secretary", CONSISTENCY, json!({ "c": self.chengnan })).await;
        payload(&resp).clone()
    }
}

/// The statement lines of an account, newest first.
fn lines(account: &Value) -> Vec<Value> {
    account["entries"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect()
}

fn amounts(account: &Value) -> Vec<i64> {
    lines(account).iter().map(|l| l["amount"].as_i64().unwrap()).collect()
}

// ---------------------------------------------------------------------------
// Awards
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_secretary_awards_points_with_a_reason_and_the_statement_explains_the_balance() {
    let w = World::new().await;
    let resident = w.id_of("demo-resident-1").await;
    let secretary = w.id_of("demo-secretary").await;

    let first = w.award("demo-resident-1", 5, "帮助邻居照看孩子", "award-help-0001").await;
    assert_eq!(first["kind"], "AWARD");
    assert_eq!(first["status"], "POSTED");
    assert_eq!(first["reason"], "帮助邻居照看孩子");
    assert_eq!(first["amount"], 5);
    assert_eq!(first["resident"]["id"], resident.as_str());
    assert_eq!(first["createdBy"]["id"], secretary.as_str());
    assert!(first["reversesTransferId"].is_null());
    assert!(first["createdAt"].is_string());
    let second = w.award("demo-resident-1", 3, "清扫楼道", "award-clean-0002").await;
    assert_ne!(second["id"], first["id"]);

    // The resident's own statement: the balance is the sum of the lines, newest first.
    let own = w.account("demo-resident-1").await;
    assert_eq!(own["userId"], resident.as_str());
    assert_eq!(own["balance"], 8);
    assert_eq!(own["entries"]["totalCount"], 2);
    assert_eq!(own["entries"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(amounts(&own), vec![3, 5]);
    let l = lines(&own);
    assert_eq!(l[0]["transferId"], second["id"]);
    assert_eq!(l[0]["reason"], "清扫楼道");
    assert_eq!(l[1]["transferId"], first["id"]);
    assert_eq!(l[1]["reason"], "帮助邻居照看孩子");
    for line in &l {
        assert_eq!(line["kind"], "AWARD");
        assert_eq!(line["counterparty"], "ISSUING");
        assert!(line["counterpartyUserId"].is_null());
        assert!(line["reversesTransferId"].is_null());
        assert!(line["reversedByTransferId"].is_null());
        assert!(line["at"].is_string());
    }
    assert_eq!(amounts(&own).iter().sum::<i64>(), own["balance"].as_i64().unwrap());

    // The secretary sees the same statement; other residents are untouched.
    let seen = w.account_of("demo-resident-1").await;
    assert_eq!(seen["balance"], 8);
    assert_eq!(lines(&seen), lines(&own));
    assert_eq!(w.balance("demo-resident-2").await, 0);

    let check = w.consistency().await;
    assert_eq!(check["ok"], true, "{check}");
    assert_eq!(check["entriesSum"], 0);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn only_the_secretary_of_the_community_awards_civility_points() {
    let w = World::new().await;
    for who in ["demo-grid", "demo-resident-2", "demo-canteen", "demo-member-1", "demo-volunteer"] {
        let resp = w.try_award_by(who, "demo-resident-1", 5, "帮助邻居", &format!("award-by-{who}")).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }
    let resp = w.try_award_by("demo-secretary-2", "demo-resident-1", 5, "帮助邻居", "award-by-other-secretary").await;
    assert_eq!(outcome(&resp), "NOT_FOUND", "another community's secretary: {resp}");
    let anonymous = w
        .app
        .gql(
            None,
            &award_query(),
            json!({ "c": w.chengnan, "u": w.id_of("demo-resident-1").await, "p": 5, "r": "帮助邻居", "k": "award-anonymous" }),
        )
        .await;
    assert_ne!(outcome(&anonymous), "OK", "{anonymous}");

    assert_eq!(w.balance("demo-resident-1").await, 0);
    assert_eq!(w.account_of("demo-resident-1").await["entries"]["totalCount"], 0);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn awards_go_only_to_residents_of_the_community_in_sensible_amounts() {
    let w = World::new().await;
    // Not a resident of 城南社区: staff, a party member, a resident of 城北社区.
    for who in ["demo-grid", "demo-member-1", "demo-canteen", "demo-resident-3"] {
        let resp = w.try_award(who, 5, "帮助邻居", &format!("award-to-{who}")).await;
        assert_eq!(outcome(&resp), "BAD_USER_INPUT", "{who}: {resp}");
        assert_eq!(error_field(&resp), "userId", "{who}");
    }
    for points in [0, -5, 1001] {
        let resp = w.try_award("demo-resident-1", points, "帮助邻居", &format!("award-points-{points}")).await;
        assert_eq!(outcome(&resp), "BAD_USER_INPUT", "{points}: {resp}");
        assert_eq!(error_field(&resp), "points", "{points}");
    }
    for key in ["short", "has spaces in it", "emoji-🙂-key", &"k".repeat(101)] {
        let resp = w.try_award("demo-resident-1", 5, "帮助邻居", key).await;
        assert_eq!(outcome(&resp), "BAD_USER_INPUT", "{key:?}: {resp}");
        assert_eq!(error_field(&resp), "idempotencyKey", "{key:?}");
    }
    let resp = w.try_award("demo-resident-1", 5, "   ", "award-blank-reason").await;
    assert_eq!(outcome(&resp), "BAD_USER_INPUT", "a reason is required: {resp}");
    assert_eq!(error_field(&resp), "reason");
    assert_eq!(w.balance("demo-resident-1").await, 0, "nothing was credited");

    // The edges that are allowed: 1 point, 1000 points (waiting for review), 8- and 100-character keys.
    let one = w.award("demo-resident-1", 1, "帮助邻居", "abcdefgh").await;
    assert_eq!(one["status"], "POSTED");
    let most = w.award("demo-resident-1", 1000, "见义勇为", &"k".repeat(100)).await;
    assert_eq!(most["status"], "PENDING_REVIEW");
    assert_eq!(most["amount"], 1000);
    assert_eq!(w.balance("demo-resident-1").await, 1);
    // Every kind of resident can be awarded.
    payload(&w.try_award("demo-elder", 2, "调解邻里纠纷", "award-elder-0001").await);
    assert_eq!(w.balance("demo-elder").await, 2);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn an_award_retried_with_the_same_key_credits_once() {
    let w = World::new().await;
    let first = w.award("demo-resident-1", 6, "照顾独居老人", "retry-award-0001").await;
    let again = w.award("demo-resident-1", 6, "照顾独居老人", "retry-award-0001").await;
    assert_eq!(again["id"], first["id"], "a retry returns the original transfer");
    assert_eq!(again["status"], "POSTED");
    assert_eq!(again["amount"], 6);
    assert_eq!(again["createdAt"], first["createdAt"]);

    // Even a while later.
    w.app.clock.advance(Duration::hours(3));
    let later = w.award("demo-resident-1", 6, "照顾独居老人", "retry-award-0001").await;
    assert_eq!(later["id"], first["id"]);

    let account = w.account_of("demo-resident-1").await;
    assert_eq!(account["balance"], 6, "credited once: {account}");
    assert_eq!(account["entries"]["totalCount"], 1);

    // A new key is a new award.
    let other = w.award("demo-resident-1", 6, "照顾独居老人", "retry-award-0002").await;
    assert_ne!(other["id"], first["id"]);
    assert_eq!(w.balance("demo-resident-1").await, 12);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn the_same_award_key_with_other_points_reason_or_resident_is_a_conflict() {
    let w = World::new().await;
    let key = "conflict-award-01";
    let first = w.award("demo-resident-1", 4, "维护小区绿化", key).await;

    let more = w.try_award("demo-resident-1", 5, "维护小区绿化", key).await;
    assert_eq!(outcome(&more), "CONFLICT", "other points: {more}");
    let why = w.try_award("demo-resident-1", 4, "参加文艺演出", key).await;
    assert_eq!(outcome(&why), "CONFLICT", "another reason: {why}");
    let whom = w.try_award("demo-resident-2", 4, "维护小区绿化", key).await;
    assert_eq!(outcome(&whom), "CONFLICT", "another resident: {whom}");

    assert_eq!(w.balance("demo-resident-1").await, 4);
    assert_eq!(w.balance("demo-resident-2").await, 0);
    assert_eq!(w.account_of("demo-resident-1").await["entries"]["totalCount"], 1);
    let again = w.award("demo-resident-1", 4, "维护小区绿化", key).await;
    assert_eq!(again["id"], first["id"], "the original still replays");
    w.app.assert_ledger_balanced().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_retries_of_one_award_credit_it_once() {
    let w = World::new().await;
    let secretary = w.session("demo-secretary").await;
    let resident = w.id_of("demo-resident-1").await;
    let query = award_query();
    // A few rounds, each a burst of retries of one award (a secretary's
    // phone resending on a bad connection).
    let rounds = 5;
    for round in 1..=rounds {
        let vars = json!({
            "c": w.chengnan, "u": resident, "p": 4, "r": format!("抗洪救灾志愿服务第{round}天"),
            "k": format!("flood-relief-2026-07-{round:02}"),
        });
        let results = join_all((0..20).map(|_| w.app.gql(Some(&secretary.access_token), &query, vars.clone()))).await;
        let ids: HashSet<String> = results.iter().map(|r| id(payload(r))).collect();
        assert_eq!(ids.len(), 1, "round {round}: every retry answers with the one transfer: {results:?}");
    }

    let account = w.account_of("demo-resident-1").await;
    // 4 × 5 = 20 points in the month: all under the review size.
    assert_eq!(account["balance"], 4 * rounds, "each award credited once: {account}");
    assert_eq!(account["entries"]["totalCount"], rounds);
    w.app.assert_ledger_balanced().await;
}

// ---------------------------------------------------------------------------
// The moral-review committee (道德评议委员会)
// ---------------------------------------------------------------------------

#[tokio::test]
async fn awards_above_the_review_size_wait_for_the_committee_and_credit_nothing_until_approved() {
    let w = World::new().await;
    // At the review size an award posts at once; above it, it waits.
    let at_limit = w.award("demo-resident-1", 20, "扶老人过马路", "review-edge-0020").await;
    assert_eq!(at_limit["status"], "POSTED");
    let big = w.award("demo-resident-1", 30, "见义勇为，救起落水儿童", "review-big-00030").await;
    assert_eq!(big["status"], "PENDING_REVIEW");
    assert_eq!(big["kind"], "AWARD");
    assert_eq!(big["amount"], 30);
    let big_id = id(&big);

    let account = w.account_of("demo-resident-1").await;
    assert_eq!(account["balance"], 20, "a pending award credits nothing: {account}");
    assert_eq!(account["entries"]["totalCount"], 1);

    // The committee's list, for staff only.
    for staff in ["demo-secretary", "demo-grid"] {
        let resp = w.pending(staff).await;
        let list = payload(&resp).as_array().unwrap().clone();
        assert_eq!(list.len(), 1, "{staff}: {resp}");
        assert_eq!(list[0]["id"], big_id.as_str());
        assert_eq!(list[0]["status"], "PENDING_REVIEW");
        assert_eq!(list[0]["resident"]["id"], w.id_of("demo-resident-1").await.as_str());
        assert_eq!(list[0]["createdBy"]["id"], w.id_of("demo-secretary").await.as_str());
    }
    for who in ["demo-resident-1", "demo-canteen", "demo-member-1"] {
        assert_eq!(outcome(&w.pending(who).await), "FORBIDDEN", "{who}");
    }

    // Never the person who made it, nor anyone outside the committee.
    let own = w.review("demo-secretary", &big_id, true).await;
    assert_eq!(outcome(&own), "FORBIDDEN", "the awarder cannot approve their own award: {own}");
    for who in ["demo-resident-1", "demo-canteen", "demo-member-1"] {
        let resp = w.review(who, &big_id, true).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }
    let outsider = w.review("demo-secretary-2", &big_id, true).await;
    assert_eq!(outcome(&outsider), "NOT_FOUND", "{outsider}");
    assert_eq!(w.balance("demo-resident-1").await, 20);

    // A grid worker approves: posted and credited.
    let approved = w.review("demo-grid", &big_id, true).await;
    let approved = payload(&approved);
    assert_eq!(approved["id"], big_id.as_str());
    assert_eq!(approved["status"], "POSTED");
    assert_eq!(approved["amount"], 30);
    let account = w.account_of("demo-resident-1").await;
    assert_eq!(account["balance"], 50);
    assert_eq!(amounts(&account), vec![30, 20]);
    assert_eq!(lines(&account)[0]["transferId"], big_id.as_str());
    assert_eq!(payload(&w.pending("demo-secretary").await).as_array().unwrap().len(), 0);

    // Deciding again, either way, changes nothing.
    for approve in [true, false] {
        let again = w.review("demo-grid", &big_id, approve).await;
        assert_eq!(outcome(&again), "INVALID_STATE", "approve: {approve}: {again}");
    }
    assert_eq!(w.balance("demo-resident-1").await, 50);
    // A posted award is not waiting for anyone.
    assert_eq!(outcome(&w.review("demo-grid", &id(&at_limit), true).await), "INVALID_STATE");
    // Replaying the award's key returns it as it now stands, without crediting again.
    let replay = w.award("demo-resident-1", 30, "见义勇为，救起落水儿童", "review-big-00030").await;
    assert_eq!(replay["id"], big_id.as_str());
    assert_eq!(replay["status"], "POSTED");
    assert_eq!(w.balance("demo-resident-1").await, 50);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pending_award_approved_many_times_at_once_is_credited_once() {
    let w = World::new().await;
    let big = w.award("demo-elder", 35, "多年照顾孤寡老人", "racing-review-01").await;
    assert_eq!(big["status"], "PENDING_REVIEW");
    let grid = w.session("demo-grid").await;
    let query = review_query();
    let vars = json!({ "t": big["id"], "a": true });
    let results = join_all((0..10).map(|_| w.app.gql(Some(&grid.access_token), &query, vars.clone()))).await;
    let mut counts: HashMap<String, usize> = HashMap::new();
    for r in &results {
        *counts.entry(outcome(r)).or_default() += 1;
    }
    assert_eq!(counts.get("OK"), Some(&1), "one decision: {counts:?}");
    assert_eq!(counts.get("INVALID_STATE"), Some(&9), "the rest find it decided: {counts:?}");
    let account = w.account_of("demo-elder").await;
    assert_eq!(account["balance"], 35, "credited once: {account}");
    assert_eq!(account["entries"]["totalCount"], 1);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn a_rejected_award_credits_nothing_and_cannot_be_decided_again() {
    let w = World::new().await;
    let big = w.award("demo-resident-2", 25, "组织邻里互助", "reject-award-001").await;
    assert_eq!(big["status"], "PENDING_REVIEW");
    let big_id = id(&big);

    let rejected = w.review("demo-grid", &big_id, false).await;
    assert_eq!(payload(&rejected)["status"], "REJECTED");
    assert_eq!(payload(&rejected)["id"], big_id.as_str());
    let account = w.account_of("demo-resident-2").await;
    assert_eq!(account["balance"], 0, "{account}");
    assert_eq!(account["entries"]["totalCount"], 0);
    assert_eq!(payload(&w.pending("demo-grid").await).as_array().unwrap().len(), 0);

    for approve in [true, false] {
        let again = w.review("demo-grid", &big_id, approve).await;
        assert_eq!(outcome(&again), "INVALID_STATE", "approve: {approve}: {again}");
    }
    let replay = w.award("demo-resident-2", 25, "组织邻里互助", "reject-award-001").await;
    assert_eq!(replay["id"], big_id.as_str(), "the key still names the rejected award");
    assert_eq!(replay["status"], "REJECTED");
    assert_eq!(w.balance("demo-resident-2").await, 0);
    w.app.assert_ledger_balanced().await;
}

// ---------------------------------------------------------------------------
// Reversals
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_reversal_undoes_an_award_and_the_two_lines_point_at_each_other() {
    let w = World::new().await;
    let award = w.award("demo-resident-1", 7, "参加广场舞比赛", "reverse-me-0001").await;
    let award_id = id(&award);
    let keep = w.award("demo-resident-1", 2, "打扫公共区域", "keep-me-00000002").await;

    for who in ["demo-grid", "demo-resident-1", "demo-canteen"] {
        let resp = w.reverse(who, &award_id, "记错了人").await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }
    assert_eq!(outcome(&w.reverse("demo-secretary-2", &award_id, "记错了人").await), "NOT_FOUND");
    assert_eq!(w.balance("demo-resident-1").await, 9);

    let reversal = w.reverse("demo-secretary", &award_id, "记错了人，应为龙阿姨的邻居").await;
    let reversal = payload(&reversal).clone();
    assert_eq!(reversal["kind"], "REVERSAL");
    assert_eq!(reversal["status"], "POSTED");
    assert_eq!(reversal["reversesTransferId"], award_id.as_str());
    assert_eq!(reversal["amount"], 7);
    assert_eq!(reversal["reason"], "记错了人，应为龙阿姨的邻居");
    assert_eq!(reversal["resident"]["id"], w.id_of("demo-resident-1").await.as_str());
    assert_eq!(reversal["createdBy"]["id"], w.id_of("demo-secretary").await.as_str());
    let reversal_id = id(&reversal);

    // The statement explains it: the reversal line points at the award, the award line at the reversal.
    let account = w.account("demo-resident-1").await;
    assert_eq!(account["balance"], 2);
    assert_eq!(amounts(&account), vec![-7, 2, 7]);
    let l = lines(&account);
    assert_eq!(l[0]["transferId"], reversal_id.as_str());
    assert_eq!(l[0]["kind"], "REVERSAL");
    assert_eq!(l[0]["counterparty"], "ISSUING");
    assert_eq!(l[0]["reversesTransferId"], award_id.as_str());
    assert!(l[0]["reversedByTransferId"].is_null());
    assert_eq!(l[1]["transferId"], keep["id"]);
    assert!(l[1]["reversedByTransferId"].is_null());
    assert_eq!(l[2]["transferId"], award_id.as_str());
    assert_eq!(l[2]["reversedByTransferId"], reversal_id.as_str());
    assert!(l[2]["reversesTransferId"].is_null());

    // Once only (see also the test below); a reversal is not itself reversed.
    let twice = w.reverse("demo-secretary", &award_id, "再撤销一次").await;
    assert_eq!(outcome(&twice), "CONFLICT", "another reversal: {twice}");
    let back = w.reverse("demo-secretary", &reversal_id, "撤销撤销").await;
    assert_eq!(outcome(&back), "INVALID_STATE", "reversing a reversal: {back}");
    let account = w.account("demo-resident-1").await;
    assert_eq!(account["balance"], 2);
    assert_eq!(account["entries"]["totalCount"], 3);

    // Replaying the award's key does not bring the points back.
    let replay = w.award("demo-resident-1", 7, "参加广场舞比赛", "reverse-me-0001").await;
    assert_eq!(replay["id"], award_id.as_str());
    assert_eq!(w.balance("demo-resident-1").await, 2);
    let unknown = w.reverse("demo-secretary", "99999999", "不存在").await;
    assert_eq!(outcome(&unknown), "NOT_FOUND", "{unknown}");
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn reversing_a_transfer_twice_is_a_conflict_even_with_the_same_reason() {
    let w = World::new().await;
    let award = w.award("demo-resident-2", 6, "参加植树活动", "twice-reversed-01").await;
    let award_id = id(&award);
    let first = w.reverse("demo-secretary", &award_id, "重复登记").await;
    let first = payload(&first).clone();
    assert_eq!(first["reversesTransferId"], award_id.as_str());
    assert_eq!(w.balance("demo-resident-2").await, 0);

    let twice = w.reverse("demo-secretary", &award_id, "重复登记").await;
    assert_eq!(outcome(&twice), "CONFLICT", "reversing twice, same reason: {twice}");
    let twice = w.reverse("demo-secretary", &award_id, "又撤销一次").await;
    assert_eq!(outcome(&twice), "CONFLICT", "reversing twice, another reason: {twice}");
    let account = w.account_of("demo-resident-2").await;
    assert_eq!(account["balance"], 0);
    assert_eq!(account["entries"]["totalCount"], 2, "one award, one reversal: {account}");
    w.app.assert_ledger_balanced().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reversing_one_award_many_times_at_once_takes_the_points_back_once() {
    let w = World::new().await;
    let secretary = w.session("demo-secretary").await;
    let query = reverse_query();
    // A few awards, each reversed by a burst of clicks.
    let rounds = 5;
    for round in 1..=rounds {
        let award = w
            .award("demo-resident-1", 12, &format!("参加消防演练第{round}场"), &format!("racing-reverse-{round:02}"))
            .await;
        let award_id = id(&award);
        let results = join_all((0..10).map(|n| {
            let vars = json!({ "t": award_id, "r": format!("登记错误（第{n}次点击）") });
            w.app.gql(Some(&secretary.access_token), &query, vars)
        }))
        .await;
        let mut counts: HashMap<String, usize> = HashMap::new();
        for r in &results {
            *counts.entry(outcome(r)).or_default() += 1;
        }
        assert_eq!(counts.get("OK"), Some(&1), "round {round}: one reversal: {counts:?}");
        assert_eq!(counts.get("CONFLICT"), Some(&9), "round {round}: the rest are told it is reversed: {counts:?}");
    }
    let account = w.account_of("demo-resident-1").await;
    assert_eq!(account["balance"], 0, "{account}");
    assert_eq!(account["entries"]["totalCount"], 2 * rounds, "each award and its one reversal");
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn a_reversal_of_points_already_spent_is_refused_and_changes_nothing() {
    let w = World::new().await;
    let award = w.award("demo-resident-1", 10, "协助人口普查", "spent-award-0001").await;
    let award_id = id(&award);
    let item = w.gql("demo-secretary", CREATE_ITEM, json!({ "c": w.chengnan, "n": "洗衣粉", "p": 8, "s": 5 })).await;
    let item = id(payload(&item));
    let redeemed = w.gql("demo-resident-1", REDEEM, json!({ "i": item, "q": 1, "k": "spent-redeem-001" })).await;
    let code = payload(&redeemed)["pickupCode"].as_str().unwrap().to_owned();
    assert_eq!(payload(&w.gql("demo-canteen", CONFIRM, json!({ "code": code })).await)["status"], "COMPLETED");
    let before = w.account_of("demo-resident-1").await;
    assert_eq!(before["balance"], 2);

    let resp = w.reverse("demo-secretary", &award_id, "奖励发错了").await;
    assert_eq!(outcome(&resp), "INSUFFICIENT_POINTS", "8 of the 10 points are spent: {resp}");
    let after = w.account_of("demo-resident-1").await;
    assert_eq!(after, before, "nothing changed");
    let award_line = lines(&after).into_iter().find(|l| l["transferId"] == award_id.as_str()).unwrap();
    assert!(award_line["reversedByTransferId"].is_null());

    // Points held by a pending redemption are not there to take back either.
    let second = w.award("demo-resident-2", 5, "协助人口普查", "spent-award-0002").await;
    let pending = w.gql("demo-resident-2", REDEEM, json!({ "i": item, "q": 1, "k": "spent-redeem-002" })).await;
    assert_eq!(outcome(&pending), "INSUFFICIENT_POINTS", "5 points do not buy an 8-point item: {pending}");
    let cheap = w.gql("demo-secretary", CREATE_ITEM, json!({ "c": w.chengnan, "n": "肥皂", "p": 3, "s": 5 })).await;
    let cheap = id(payload(&cheap));
    let held = w.gql("demo-resident-2", REDEEM, json!({ "i": cheap, "q": 1, "k": "spent-redeem-003" })).await;
    assert_eq!(payload(&held)["status"], "PENDING");
    let resp = w.reverse("demo-secretary", &id(&second), "奖励发错了").await;
    assert_eq!(outcome(&resp), "INSUFFICIENT_POINTS", "3 of the 5 points are held: {resp}");
    assert_eq!(w.balance("demo-resident-2").await, 2);

    // Once the redemption is cancelled the points are back and the reversal goes through.
    let cancelled = w.gql("demo-resident-2", CANCEL, json!({ "id": payload(&held)["id"] })).await;
    assert_eq!(payload(&cancelled)["status"], "VOIDED");
    let reversal = w.reverse("demo-secretary", &id(&second), "奖励发错了").await;
    assert_eq!(payload(&reversal)["kind"], "REVERSAL");
    assert_eq!(w.balance("demo-resident-2").await, 0);
    w.app.assert_ledger_balanced().await;
}

// ---------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------

#[tokio::test]
async fn residents_see_their_own_statement_and_staff_see_anyones() {
    let w = World::new().await;
    w.award("demo-resident-1", 4, "帮助邻居搬家", "privacy-award-01").await;
    let resident_1 = w.id_of("demo-resident-1").await;

    let other = w.try_account("demo-resident-2", Some(&resident_1), Some(10), None).await;
    assert_eq!(outcome(&other), "FORBIDDEN", "a resident reading another's points: {other}");
    for who in ["demo-member-1", "demo-volunteer"] {
        let resp = w.try_account(who, Some(&resident_1), Some(10), None).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }
    let outsider = w.try_account("demo-secretary-2", Some(&resident_1), Some(10), None).await;
    assert_eq!(outcome(&outsider), "NOT_FOUND", "another community's secretary: {outsider}");

    for staff in ["demo-secretary", "demo-grid"] {
        let resp = w.try_account(staff, Some(&resident_1), Some(10), None).await;
        let account = payload(&resp);
        assert_eq!(account["userId"], resident_1.as_str(), "{staff}");
        assert_eq!(account["balance"], 4, "{staff}");
        assert_eq!(account["entries"]["totalCount"], 1, "{staff}");
    }
    // Asking for yourself by id is the same as not asking.
    let by_id = w.try_account("demo-resident-1", Some(&resident_1), Some(10), None).await;
    assert_eq!(payload(&by_id)["balance"], 4);

    // A resident who has never had a point has an empty statement.
    let empty = w.account("demo-resident-2").await;
    assert_eq!(empty["userId"], w.id_of("demo-resident-2").await.as_str());
    assert_eq!(empty["balance"], 0);
    assert_eq!(empty["entries"]["totalCount"], 0);
    assert_eq!(lines(&empty).len(), 0);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn the_statement_pages_newest_first() {
    let w = World::new().await;
    for n in 1..=5 {
        w.award("demo-elder", n, &format!("第{n}次互助"), &format!("paging-award-{n:04}")).await;
    }
    let page = |after: Option<String>| {
        let w = &w;
        async move {
            let resp = w.try_account("demo-elder", None, Some(2), after.as_deref()).await;
            payload(&resp).clone()
        }
    };
    let first = page(None).await;
    assert_eq!(first["balance"], 15);
    assert_eq!(first["entries"]["totalCount"], 5);
    assert_eq!(amounts(&first), vec![5, 4]);
    assert_eq!(lines(&first)[0]["reason"], "第5次互助");
    assert_eq!(first["entries"]["pageInfo"]["hasNextPage"], true);

    let second = page(first["entries"]["pageInfo"]["endCursor"].as_str().map(str::to_owned)).await;
    assert_eq!(amounts(&second), vec![3, 2]);
    assert_eq!(second["entries"]["totalCount"], 5);
    assert_eq!(second["entries"]["pageInfo"]["hasNextPage"], true);

    let third = page(second["entries"]["pageInfo"]["endCursor"].as_str().map(str::to_owned)).await;
    assert_eq!(amounts(&third), vec![1]);
    assert_eq!(third["entries"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(third["balance"], 15);

    let garbage = w.try_account("demo-elder", None, Some(2), Some("not-a-cursor!")).await;
    assert_eq!(outcome(&garbage), "BAD_USER_INPUT", "{garbage}");
    w.app.assert_ledger_balanced().await;
}

// ---------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------

#[tokio::test]
async fn civility_rules_have_defaults_and_only_the_secretary_changes_them() {
    let w = World::new().await;
    for who in ["demo-resident-1", "demo-grid", "demo-secretary"] {
        let resp = w.gql(who, RULES, json!({ "c": w.chengnan })).await;
        assert_eq!(
            payload(&resp),
            &json!({ "pointsPerActivity": 1, "reviewAbove": 20, "redemptionHoldHours": 48 }),
            "{who}"
        );
    }
    let outsider = w.gql("demo-resident-3", RULES, json!({ "c": w.chengnan })).await;
    assert_eq!(outcome(&outsider), "NOT_FOUND", "{outsider}");

    for who in ["demo-grid", "demo-resident-1", "demo-canteen"] {
        let resp = w.set_rules(who, json!({ "reviewAbove": 100 })).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }
    assert_eq!(outcome(&w.set_rules("demo-secretary-2", json!({ "reviewAbove": 100 })).await), "NOT_FOUND");

    // A partial change keeps the rest.
    let set = w.set_rules("demo-secretary", json!({ "reviewAbove": 50 })).await;
    assert_eq!(payload(&set), &json!({ "pointsPerActivity": 1, "reviewAbove": 50, "redemptionHoldHours": 48 }));

    for bad in [
        json!({ "redemptionHoldHours": 0 }),
        json!({ "redemptionHoldHours": -1 }),
        json!({ "pointsPerActivity": -1 }),
        json!({ "reviewAbove": -1 }),
    ] {
        let resp = w.set_rules("demo-secretary", bad.clone()).await;
        assert_eq!(outcome(&resp), "BAD_USER_INPUT", "{bad}: {resp}");
        let field = bad.as_object().unwrap().keys().next().unwrap().clone();
        assert_eq!(error_field(&resp), field, "{bad}");
    }
    let now = w.gql("demo-resident-1", RULES, json!({ "c": w.chengnan })).await;
    assert_eq!(payload(&now), &json!({ "pointsPerActivity": 1, "reviewAbove": 50, "redemptionHoldHours": 48 }));

    // The new review size applies to the next award; 城北社区 keeps its own rules.
    let thirty = w.award("demo-resident-1", 30, "协助疫苗接种", "rules-award-0030").await;
    assert_eq!(thirty["status"], "POSTED");
    let fifty_one = w.award("demo-resident-1", 51, "见义勇为", "rules-award-0051").await;
    assert_eq!(fifty_one["status"], "PENDING_REVIEW");
    assert_eq!(w.balance("demo-resident-1").await, 30);
    let chengbei = w.app.community_id(CHENGBEI).await;
    let theirs = w.gql("demo-resident-3", RULES, json!({ "c": chengbei })).await;
    assert_eq!(payload(&theirs)["reviewAbove"], 20);
    w.app.assert_ledger_balanced().await;
}

// ---------------------------------------------------------------------------
// Earning points by attending
// ---------------------------------------------------------------------------

#[tokio::test]
async fn residents_earn_a_point_once_for_each_cultural_activity_or_clean_up_they_attend() {
    let w = World::new().await;
    let dance = w.activity("CULTURAL", "苗族飞歌比赛").await;
    let cleanup = w.activity("ENVIRONMENT_CLEANUP", "河道垃圾清理").await;

    let first = w.check_in("demo-resident-1", &dance).await;
    assert!(!payload(&first)["checkedInAt"].is_null(), "{first}");
    assert_eq!(w.balance("demo-resident-1").await, 1);

    // Checking in again, even with a fresh code later, adds nothing.
    payload(&w.check_in("demo-resident-1", &dance).await);
    w.app.clock.advance(Duration::minutes(10));
    payload(&w.check_in("demo-resident-1", &dance).await);
    assert_eq!(w.balance("demo-resident-1").await, 1);

    payload(&w.check_in("demo-resident-1", &cleanup).await);
    payload(&w.check_in("demo-elder", &cleanup).await);

    let account = w.account("demo-resident-1").await;
    assert_eq!(account["balance"], 2, "{account}");
    assert_eq!(account["entries"]["totalCount"], 2);
    let l = lines(&account);
    assert_eq!(amounts(&account), vec![1, 1]);
    for line in &l {
        assert_eq!(line["kind"], "AWARD");
        assert_eq!(line["counterparty"], "ISSUING");
    }
    assert!(l[0]["reason"].as_str().unwrap().contains("河道垃圾清理"), "{}", l[0]);
    assert!(l[1]["reason"].as_str().unwrap().contains("苗族飞歌比赛"), "{}", l[1]);
    assert_eq!(w.balance("demo-elder").await, 1);
    assert_eq!(w.balance("demo-resident-2").await, 0);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn checking_in_many_times_at_once_earns_the_point_once() {
    let w = World::new().await;
    let dance = w.activity("CULTURAL", "芦笙舞教学").await;
    let code = w.gql("demo-secretary", CHECK_IN_CODE, json!({ "id": dance })).await;
    let code = payload(&code)["code"].as_str().unwrap().to_owned();
    let resident = w.session("demo-resident-2").await;
    let results =
        join_all((0..8).map(|_| w.app.gql(Some(&resident.access_token), CHECK_IN, json!({ "code": code.clone() }))))
            .await;
    for r in &results {
        assert!(!payload(r)["checkedInAt"].is_null(), "every scan answers with the one check-in: {r}");
    }
    let account = w.account_of("demo-resident-2").await;
    assert_eq!(account["balance"], 1, "{account}");
    assert_eq!(account["entries"]["totalCount"], 1);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn volunteer_service_and_party_members_earn_no_civility_points_for_attending() {
    let w = World::new().await;
    let visit = w.activity("VOLUNTEER_SERVICE", "敬老院探访").await;
    payload(&w.check_in("demo-resident-1", &visit).await);
    let account = w.account("demo-resident-1").await;
    assert_eq!(account["balance"], 0, "volunteer service earns no civility points: {account}");
    assert_eq!(account["entries"]["totalCount"], 0);

    let show = w.activity("CULTURAL", "侗族大歌展演").await;
    payload(&w.check_in("demo-member-1", &show).await);
    let member = w.account_of("demo-member-1").await;
    assert_eq!(member["balance"], 0, "a party member who is not a resident earns none: {member}");
    assert_eq!(member["entries"]["totalCount"], 0);
    let own = w.account("demo-member-1").await;
    assert_eq!(own["balance"], 0);

    // Staff attending are not residents either.
    payload(&w.check_in("demo-grid", &show).await);
    assert_eq!(w.balance("demo-grid").await, 0);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn the_points_for_attending_follow_the_community_rules() {
    let w = World::new().await;
    payload(&w.set_rules("demo-secretary", json!({ "pointsPerActivity": 3 })).await);
    let cleanup = w.activity("ENVIRONMENT_CLEANUP", "小区绿化带除草").await;
    payload(&w.check_in("demo-resident-1", &cleanup).await);
    let account = w.account("demo-resident-1").await;
    assert_eq!(account["balance"], 3, "{account}");
    assert_eq!(amounts(&account), vec![3]);

    payload(&w.set_rules("demo-secretary", json!({ "pointsPerActivity": 0 })).await);
    let show = w.activity("CULTURAL", "春节联欢晚会").await;
    payload(&w.check_in("demo-resident-1", &show).await);
    assert_eq!(w.balance("demo-resident-1").await, 3, "0 points per activity earns nothing");
    assert_eq!(w.account("demo-resident-1").await["entries"]["totalCount"], 1);
    w.app.assert_ledger_balanced().await;
}

// ---------------------------------------------------------------------------
// The consistency check
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_consistency_check_is_for_the_secretary_and_holds_after_every_kind_of_transfer() {
    let w = World::new().await;
    let fresh = w.consistency().await;
    assert_eq!(fresh["ok"], true, "{fresh}");
    assert_eq!(fresh["entriesSum"], 0);

    // Awards, a reviewed award, a rejected one, a reversal, attendance, and
    // redemptions that complete, are cancelled and expire.
    w.award("demo-resident-1", 15, "帮助邻居", "books-award-0001").await;
    let big = w.award("demo-resident-2", 40, "见义勇为", "books-award-0002").await;
    payload(&w.review("demo-grid", &id(&big), true).await);
    let rejected = w.award("demo-elder", 40, "见义勇为", "books-award-0003").await;
    payload(&w.review("demo-grid", &id(&rejected), false).await);
    let wrong = w.award("demo-elder", 3, "记错了", "books-award-0004").await;
    payload(&w.reverse("demo-secretary", &id(&wrong), "撤销").await);
    let show = w.activity("CULTURAL", "广场舞比赛").await;
    payload(&w.check_in("demo-elder", &show).await);

    let item = w.gql("demo-canteen", CREATE_ITEM, json!({ "c": w.chengnan, "n": "大米5斤", "p": 5, "s": 20 })).await;
    let item = id(payload(&item));
    let mut pending = Vec::new();
    for (n, who) in ["demo-resident-1", "demo-resident-2", "demo-resident-2"].iter().enumerate() {
        let resp = w.gql(who, REDEEM, json!({ "i": item, "q": 1, "k": format!("books-redeem-{n:03}") })).await;
        pending.push(payload(&resp).clone());
    }
    let code = pending[0]["pickupCode"].as_str().unwrap();
    payload(&w.gql("demo-secretary", CONFIRM, json!({ "code": code })).await);
    payload(&w.gql("demo-resident-2", CANCEL, json!({ "id": pending[1]["id"] })).await);
    w.app.clock.advance(Duration::hours(49));
    assert_eq!(w.app.domain.supermarket().expire_redemptions().await.unwrap(), 1);

    let check = w.consistency().await;
    assert_eq!(check["ok"], true, "{check}");
    assert_eq!(check["entriesSum"], 0);
    assert_eq!(check["mismatchedAccountIds"], json!([]));
    assert_eq!(check["unbalancedTransferIds"], json!([]));
    // Issuing, holds, the supermarket, and the three residents' accounts.
    assert!(check["accountsChecked"].as_i64().unwrap() >= 6, "{check}");
    assert_eq!(w.balance("demo-resident-1").await, 10);
    assert_eq!(w.balance("demo-resident-2").await, 40);
    assert_eq!(w.balance("demo-elder").await, 1);

    for who in ["demo-grid", "demo-resident-1", "demo-canteen"] {
        let resp = w.gql(who, CONSISTENCY, json!({ "c": w.chengnan })).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }
    let outsider = w.gql("demo-secretary-2", CONSISTENCY, json!({ "c": w.chengnan })).await;
    assert_eq!(outcome(&outsider), "NOT_FOUND", "{outsider}");
    let chengbei = w.app.community_id(CHENGBEI).await;
    let theirs = w.gql("demo-secretary-2", CONSISTENCY, json!({ "c": chengbei })).await;
    assert_eq!(payload(&theirs)["ok"], true);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn only_awards_are_reversed_and_a_redemption_is_undone_by_cancelling_it() {
    let w = World::new().await;
    w.award("demo-resident-1", 10, "清扫楼道", "hold-award-0001").await;
    let item = w.gql("demo-secretary", CREATE_ITEM, json!({ "c": w.chengnan, "n": "毛巾", "p": 4, "s": 5 })).await;
    let item = id(payload(&item));
    let redeemed = w.gql("demo-resident-1", REDEEM, json!({ "i": item, "q": 1, "k": "hold-redeem-0001" })).await;
    assert_eq!(payload(&redeemed)["status"], "PENDING");
    let account = w.account_of("demo-resident-1").await;
    let hold = lines(&account).into_iter().find(|l| l["kind"] == "HOLD").expect("the hold is on the statement");
    let hold_transfer = hold["transferId"].as_str().unwrap().to_owned();

    let resp = w.reverse("demo-secretary", &hold_transfer, "误操作").await;
    assert_eq!(outcome(&resp), "INVALID_STATE", "{resp}");
    assert_eq!(w.account_of("demo-resident-1").await, account, "nothing changed");

    let cancelled = w.gql("demo-resident-1", CANCEL, json!({ "id": id(payload(&redeemed)) })).await;
    assert_eq!(payload(&cancelled)["status"], "VOIDED");
    assert_eq!(w.balance("demo-resident-1").await, 10);
    w.app.assert_ledger_balanced().await;
}
