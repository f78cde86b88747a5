// 党员奉献积分 end to end: the community's rules, entries written as orders
// are approved and rated, manual adjustments with retry-safe keys, who may
// see a member's points, month scores, the 3-month bonus and penalty runs
// (exactly at 80, at 59, broken runs, long runs, new runs) and their
// recomputation, the leaderboard and the quarterly Dedication Award.

use std::collections::HashMap;

use crate::common::*;
use chrono::{Datelike, Duration, FixedOffset, TimeZone, Utc};
use domain::Clock;
use domain::points::Month;
use futures_util::future::join_all;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const RULE_FIELDS: &str = "orderOnTime orderLate orderOverdue goodRating goodRatingMinStars lowRating lowRatingMaxStars \
                           wishFulfilled wishClaimExpired wishClaimDays activityAttended postClaimed monthlyBase \
                           bonusThreshold bonusPoints penaltyThreshold penaltyPoints runMonths householdsToKeep";
const ENTRY_FIELDS: &str = "id memberId points reason source sourceId month createdAt";

fn rules_query() -> String {
    format!("query($c: ID!) {{ dedicationRules(communityId: $c) {{ {RULE_FIELDS} }} }}")
}
fn set_rules_query() -> String {
    format!(
        "mutation($c: ID!, $r: DedicationRulesInput!) {{ setDedicationRules(communityId: $c, rules: $r) {{ {RULE_FIELDS} }} }}"
    )
}
fn adjust_query() -> String {
    format!(
        "mutation($c: ID!, $m: ID!, $p: Int!, $r: String!, $k: String!) {{ adjustDedicationPoints(communityId: $c, \
         memberId: $m, points: $p, reason: $r, idempotencyKey: $k) {{ {ENTRY_FIELDS} }} }}"
    )
}
fn account_query() -> String {
    format!(
        "query($c: ID!, $m: ID!, $first: Int, $after: String) {{ dedicationPoints(communityId: $c, memberId: $m, \
         first: $first, after: $after) {{ memberId balance entries {{ totalCount pageInfo {{ hasNextPage endCursor }} \
         edges {{ cursor node {{ {ENTRY_FIELDS} }} }} }} }} }}"
    )
}
fn close_query() -> String {
    format!(
        "mutation($c: ID!, $m: String!) {{ closeDedicationMonth(communityId: $c, month: $m) {{ {ENTRY_FIELDS} }} }}"
    )
}
const SCORES: &str = "query($c: ID!, $m: ID!, $from: String!, $to: String!) { monthScores(communityId: $c, memberId: $m, from: $from, to: $to) { month score points } }";
const LEADERBOARD: &str = "query($c: ID!, $month: String, $quarter: String) { dedicationLeaderboard(communityId: $c, month: $month, quarter: $quarter) { member { id } partyBranch points rank } }";
const RANKING: &str = "query($c: ID!, $q: String!) { awardRanking(communityId: $c, quarter: $q) { partyBranch standings { member { id } partyBranch points rank } nominations { id quarter partyBranch member { id } citation } } }";
const NOMINATE: &str = "mutation($c: ID!, $q: String!, $m: ID!, $citation: String) { nominateAward(communityId: $c, quarter: $q, memberId: $m, citation: $citation) { id quarter partyBranch member { id } citation createdAt } }";

const PLACE: &str = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }";
const DISPATCH: &str = "mutation($id: ID!) { dispatchOrder(orderId: $id) { id status } }";
const CLAIM: &str = "mutation($id: ID!) { claimOrder(orderId: $id) { id status completeDueAt } }";
const COMPLETE: &str = "mutation($id: ID!, $note: String!) { completeOrder(orderId: $id, note: $note) { id status } }";
const APPROVE: &str = "mutation($id: ID!) { approveOrder(orderId: $id) { id status } }";
const RATE: &str = "mutation($id: ID!, $stars: Int!) { rateOrder(orderId: $id, stars: $stars) { id status } }";
const REPORT_IN: &str = "mutation($input: ReportInInput!) { reportIn(input: $input) { id status } }";
const APPROVE_REPORT_IN: &str = "mutation($id: ID!) { approveReportIn(reportInId: $id) { id status } }";

const BRANCH_1: &str = "城南社区党总支第一支部";
const BRANCH_2: &str = "城南社区党总支第二支部";

area_world!();

impl World {
    /// A new user who reports in to 城南社区 under `branch`; approved unless `approve` is false.
    async fn fresh_member(&self, openid: &str, branch: &str, approve: bool) -> String {
        let id = self.id_of(openid).await;
        let input = json!({ "communityId": self.chengnan, "workUnit": "雷山县水务局", "partyBranch": branch });
        let report = self.gql(openid, REPORT_IN, json!({ "input": input })).await;
        let report_id = payload(&report)["id"].as_str().unwrap().to_owned();
        if approve {
            let approved = self.gql("demo-secretary", APPROVE_REPORT_IN, json!({ "id": report_id })).await;
            assert_eq!(payload(&approved)["status"], "APPROVED", "{approved}");
        }
        id
    }

    async fn try_adjust(&self, who: &str, member: &str, points: i32, key: &str) -> Value {
        let vars = json!({ "c": self.chengnan, "m": member, "p": points, "r": "走访困难群众表现突出", "k": key });
        self.gql(who, &adjust_query(), vars).await
    }

    /// A manual adjustment by the secretary with a new key.
    async fn adjust(&self, member: &str, points: i32) -> Value {
        let key = format!("adjust-key-{}", uuid::Uuid::new_v4().simple());
        let resp = self.try_adjust("demo-secretary", member, points, &key).await;
        payload(&resp).clone()
    }

    /// (balance, entries newest first) of `member`, as `who` sees them.
    async fn account_as(&self, who: &str, member: &str) -> Value {
        self.gql(who, &account_query(), json!({ "c": self.chengnan, "m": member, "first": 100 })).await
    }

    async fn account(&self, member: &str) -> (i64, Vec<Value>) {
        let resp = self.account_as("demo-secretary", member).await;
        let account = payload(&resp);
        let entries: Vec<Value> =
            account["entries"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect();
        assert_eq!(account["entries"]["totalCount"], entries.len(), "{resp}");
        (account["balance"].as_i64().unwrap(), entries)
    }

    /// Month scores of `member` as (month, score, points).
    async fn scores(&self, member: &str, from: &str, to: &str) -> Vec<(String, i64, i64)> {
        let resp = self
            .gql("demo-secretary", SCORES, json!({ "c": self.chengnan, "m": member, "from": from, "to": to }))
            .await;
        payload(&resp)
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (s["month"].as_str().unwrap().to_owned(), s["score"].as_i64().unwrap(), s["points"].as_i64().unwrap())
            })
            .collect()
    }

    async fn try_close(&self, who: &str, month: &str) -> Value {
        self.gql(who, &close_query(), json!({ "c": self.chengnan, "m": month })).await
    }

    /// Closes `month` as the secretary; the entries it wrote.
    async fn close(&self, month: &str) -> Vec<Value> {
        let resp = self.try_close("demo-secretary", month).await;
        payload(&resp).as_array().unwrap().clone()
    }

    /// The Asia/Shanghai month the app clock is in, as YYYY-MM.
    fn month(&self) -> String {
        Month::of(self.app.clock.now()).to_string()
    }

    /// Moves the app clock to noon on the 15th of the next Asia/Shanghai month; returns that month.
    fn next_month(&self) -> String {
        let shanghai = FixedOffset::east_opt(8 * 3600).unwrap();
        let local = self.app.clock.now().with_timezone(&shanghai);
        let (year, month) = if local.month() == 12 { (local.year() + 1, 1) } else { (local.year(), local.month() + 1) };
        let target = shanghai.with_ymd_and_hms(year, month, 15, 12, 0, 0).single().unwrap().with_timezone(&Utc);
        self.app.clock.advance(target - self.app.clock.now());
        let now = self.month();
        assert_eq!(now, format!("{year:04}-{month:02}"));
        now
    }

    // ---- orders ----

    /// An order placed by demo-resident-1, published and claimed by demo-member-1.
    async fn claimed_order(&self) -> String {
        let input = json!({
            "communityId": self.chengnan,
            "category": "REPAIR",
            "title": "水龙头坏了",
            "description": "厨房水龙头关不紧",
        });
        let placed = self.gql("demo-resident-1", PLACE, json!({ "input": input })).await;
        let id = payload(&placed)["id"].as_str().unwrap().to_owned();
        self.step("demo-secretary", DISPATCH, json!({ "id": id }), "OPEN").await;
        self.step("demo-member-1", CLAIM, json!({ "id": id }), "CLAIMED").await;
        id
    }

    async fn step(&self, who: &str, query: &str, vars: Value, status: &str) {
        let resp = self.gql(who, query, vars).await;
        assert_eq!(payload(&resp)["status"], status, "{resp}");
    }

    /// Completes and approves a claimed order.
    async fn finish(&self, id: &str) {
        self.step("demo-member-1", COMPLETE, json!({ "id": id, "note": "已更换阀芯" }), "AWAITING_APPROVAL").await;
        self.step("demo-secretary", APPROVE, json!({ "id": id }), "APPROVED").await;
    }

    async fn approved_order(&self) -> String {
        let id = self.claimed_order().await;
        self.finish(&id).await;
        id
    }

    async fn rate(&self, id: &str, stars: i32) {
        self.step("demo-resident-1", RATE, json!({ "id": id, "stars": stars }), "CLOSED").await;
    }

    async fn leaderboard(&self, who: &str, month: Option<&str>, quarter: Option<&str>) -> Value {
        self.gql(who, LEADERBOARD, json!({ "c": self.chengnan, "month": month, "quarter": quarter })).await
    }

    /// The leaderboard as (member, branch, points, rank), in the order given.
    async fn standings(&self, month: Option<&str>, quarter: Option<&str>) -> Vec<(String, String, i64, i64)> {
        let resp = self.leaderboard("demo-member-1", month, quarter).await;
        payload(&resp).as_array().unwrap().iter().map(standing).collect()
    }
}

fn standing(s: &Value) -> (String, String, i64, i64) {
    (
        s["member"]["id"].as_str().unwrap().to_owned(),
        s["partyBranch"].as_str().unwrap().to_owned(),
        s["points"].as_i64().unwrap(),
        s["rank"].as_i64().unwrap(),
    )
}

fn sources(entries: &[Value]) -> Vec<(String, i64)> {
    entries.iter().map(|e| (e["source"].as_str().unwrap().to_owned(), e["points"].as_i64().unwrap())).collect()
}

fn quarter_of(month: &str) -> String {
    Month::parse("month", month).unwrap().quarter().to_string()
}

// ---------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------

fn defaults() -> Value {
    json!({
        "orderOnTime": 5, "orderLate": 0, "orderOverdue": -5,
        "goodRating": 2, "goodRatingMinStars": 4, "lowRating": -3, "lowRatingMaxStars": 2,
        "wishFulfilled": 5, "wishClaimExpired": -3, "wishClaimDays": 7,
        "activityAttended": 2, "postClaimed": 2,
        "monthlyBase": 60, "bonusThreshold": 80, "bonusPoints": 10,
        "penaltyThreshold": 60, "penaltyPoints": -10, "runMonths": 3, "householdsToKeep": 1,
    })
}

#[tokio::test]
async fn the_rules_start_at_the_documented_defaults() {
    let w = World::new().await;
    for who in ["demo-secretary", "demo-member-1"] {
        let resp = w.gql(who, &rules_query(), json!({ "c": w.chengnan })).await;
        assert_eq!(payload(&resp), &defaults(), "{who}");
    }
    let outsider = w.gql("demo-secretary-2", &rules_query(), json!({ "c": w.chengnan })).await;
    assert_eq!(outcome(&outsider), "NOT_FOUND", "{outsider}");
}

#[tokio::test]
async fn the_secretary_changes_some_rules_and_the_rest_keep_their_values() {
    let w = World::new().await;
    let resp = w
        .gql(
            "demo-secretary",
            &set_rules_query(),
            json!({ "c": w.chengnan, "r": { "orderOnTime": 8, "runMonths": 4 } }),
        )
        .await;
    let mut expected = defaults();
    expected["orderOnTime"] = json!(8);
    expected["runMonths"] = json!(4);
    assert_eq!(payload(&resp), &expected);
    let read = w.gql("demo-member-2", &rules_query(), json!({ "c": w.chengnan })).await;
    assert_eq!(payload(&read), &expected);

    // A second change keeps the first.
    let resp =
        w.gql("demo-secretary", &set_rules_query(), json!({ "c": w.chengnan, "r": { "bonusPoints": 15 } })).await;
    expected["bonusPoints"] = json!(15);
    assert_eq!(payload(&resp), &expected);

    for who in ["demo-grid", "demo-member-1", "demo-resident-1"] {
        let resp = w.gql(who, &set_rules_query(), json!({ "c": w.chengnan, "r": { "orderOnTime": 50 } })).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }
    let outsider =
        w.gql("demo-secretary-2", &set_rules_query(), json!({ "c": w.chengnan, "r": { "orderOnTime": 50 } })).await;
    assert_eq!(outcome(&outsider), "NOT_FOUND", "{outsider}");

    let invalid =
        w.gql("demo-secretary", &set_rules_query(), json!({ "c": w.chengnan, "r": { "runMonths": 0 } })).await;
    assert_eq!(outcome(&invalid), "BAD_USER_INPUT", "{invalid}");
    assert_eq!(error_field(&invalid), "runMonths");
    let read = w.gql("demo-secretary", &rules_query(), json!({ "c": w.chengnan })).await;
    assert_eq!(payload(&read), &expected, "a refused change changes nothing");
}

// ---------------------------------------------------------------------------
// Entries from orders
// ---------------------------------------------------------------------------

#[tokio::test]
async fn an_order_approved_on_time_earns_the_claimant_five_points() {
    let w = World::new().await;
    let member = w.id_of("demo-member-1").await;
    let id = w.claimed_order().await;
    w.app.clock.advance(Duration::hours(2));
    w.finish(&id).await;

    let (balance, entries) = w.account(&member).await;
    assert_eq!(balance, 5);
    assert_eq!(entries.len(), 1, "{entries:?}");
    let e = &entries[0];
    assert_eq!(e["points"], 5);
    assert_eq!(e["source"], "ORDER");
    assert_eq!(e["sourceId"], id.as_str());
    assert_eq!(e["memberId"], member.as_str());
    assert_eq!(e["month"], w.month());
    assert!(!e["reason"].as_str().unwrap().is_empty());
    assert!((time(&e["createdAt"]) - w.app.clock.now()).num_milliseconds().abs() < 1);

    // Nobody else earned anything.
    for other in ["demo-member-2", "demo-member-3"] {
        assert_eq!(w.account(&w.id_of(other).await).await, (0, vec![]), "{other}");
    }
}

#[tokio::test]
async fn an_order_left_unfinished_past_its_deadline_costs_the_overdue_points_once() {
    let w = World::new().await;
    let member = w.id_of("demo-member-1").await;
    let id = w.claimed_order().await;
    w.app.clock.advance(Duration::hours(25));
    // The deadline sweep charges the open claim (and, by default, returns the order to the pool).
    assert_eq!(w.app.domain.orders().sweep_overdue().await.unwrap().total(), 1);
    assert_eq!(w.app.domain.orders().sweep_overdue().await.unwrap().total(), 0, "charged once");

    let (balance, entries) = w.account(&member).await;
    assert_eq!(balance, -5);
    assert_eq!(sources(&entries), vec![("ORDER".to_owned(), -5)]);
    assert_eq!(entries[0]["sourceId"], id.as_str());
}

#[tokio::test]
async fn late_work_costs_the_same_whether_or_not_the_sweep_saw_it_first() {
    let w = World::new().await;
    let member = w.id_of("demo-member-1").await;
    let id = w.claimed_order().await;
    w.app.clock.advance(Duration::hours(25));
    w.finish(&id).await;
    let (balance, entries) = w.account(&member).await;
    assert_eq!(balance, -5);
    assert_eq!(sources(&entries), vec![("ORDER".to_owned(), -5)]);
}

#[tokio::test]
async fn lateness_is_judged_by_when_the_work_was_finished_not_when_it_was_approved() {
    let w = World::new().await;
    let member = w.id_of("demo-member-1").await;
    let id = w.claimed_order().await;
    w.app.clock.advance(Duration::hours(23));
    w.step("demo-member-1", COMPLETE, json!({ "id": id, "note": "已修好" }), "AWAITING_APPROVAL").await;
    w.app.clock.advance(Duration::hours(30));
    w.step("demo-secretary", APPROVE, json!({ "id": id }), "APPROVED").await;
    let (balance, entries) = w.account(&member).await;
    assert_eq!(balance, 5);
    assert_eq!(sources(&entries), vec![("ORDER".to_owned(), 5)]);
}

#[tokio::test]
async fn ratings_earn_or_cost_points_by_the_stars() {
    let w = World::new().await;
    let member = w.id_of("demo-member-1").await;
    let mut expected_balance = 0;
    for (stars, points) in [(5, Some(2)), (4, Some(2)), (3, None), (2, Some(-3)), (1, Some(-3))] {
        let id = w.approved_order().await;
        w.rate(&id, stars).await;
        expected_balance += 5 + points.unwrap_or(0);
        let (balance, entries) = w.account(&member).await;
        assert_eq!(balance, expected_balance, "{stars}★");
        let rating: Vec<&Value> =
            entries.iter().filter(|e| e["source"] == "RATING" && e["sourceId"] == id.as_str()).collect();
        match points {
            Some(p) => {
                assert_eq!(rating.len(), 1, "{stars}★: {entries:?}");
                assert_eq!(rating[0]["points"], p, "{stars}★");
            }
            None => assert!(rating.is_empty(), "{stars}★ earns nothing: {entries:?}"),
        }
    }
    let (_, entries) = w.account(&member).await;
    assert_eq!(entries.iter().filter(|e| e["source"] == "ORDER").count(), 5);
    assert_eq!(entries.iter().filter(|e| e["source"] == "RATING").count(), 4);
}

#[tokio::test]
async fn the_communitys_rules_decide_the_amounts() {
    let w = World::new().await;
    let member = w.id_of("demo-member-1").await;
    let rules =
        json!({ "orderOnTime": 8, "goodRating": 3, "goodRatingMinStars": 5, "lowRating": -1, "lowRatingMaxStars": 3 });
    payload(&w.gql("demo-secretary", &set_rules_query(), json!({ "c": w.chengnan, "r": rules })).await);

    let four = w.approved_order().await;
    w.rate(&four, 4).await;
    let five = w.approved_order().await;
    w.rate(&five, 5).await;
    let three = w.approved_order().await;
    w.rate(&three, 3).await;

    let (balance, entries) = w.account(&member).await;
    let mut got = sources(&entries);
    got.sort();
    let mut expected = vec![
        ("ORDER".to_owned(), 8),
        ("ORDER".to_owned(), 8),
        ("ORDER".to_owned(), 8),
        ("RATING".to_owned(), -1),
        ("RATING".to_owned(), 3),
    ];
    expected.sort();
    assert_eq!(got, expected, "4★ is no longer good, 3★ is now low");
    assert_eq!(balance, 24 + 3 - 1);
}

// ---------------------------------------------------------------------------
// Seeing points, adjusting them
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_members_points_are_seen_by_the_member_and_the_staff_only() {
    let w = World::new().await;
    let member = w.id_of("demo-member-1").await;
    w.adjust(&member, 6).await;
    for who in ["demo-member-1", "demo-secretary", "demo-grid"] {
        let resp = w.account_as(who, &member).await;
        let account = payload(&resp);
        assert_eq!(account["balance"], 6, "{who}");
        assert_eq!(account["memberId"], member.as_str());
        assert_eq!(account["entries"]["totalCount"], 1, "{who}");
    }
    for who in ["demo-member-2", "demo-member-3", "demo-volunteer", "demo-resident-1"] {
        let resp = w.account_as(who, &member).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }
    let outsider = w.account_as("demo-secretary-2", &member).await;
    assert_eq!(outcome(&outsider), "NOT_FOUND", "{outsider}");
    let month = w.month();
    for who in ["demo-member-2", "demo-resident-1"] {
        let resp = w.gql(who, SCORES, json!({ "c": w.chengnan, "m": member, "from": month, "to": month })).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }
}

#[tokio::test]
async fn an_adjustment_retried_with_its_key_is_written_once() {
    let w = World::new().await;
    let member = w.id_of("demo-member-1").await;
    let first = w.try_adjust("demo-secretary", &member, 7, "visit-2026-0001").await;
    let entry = payload(&first).clone();
    assert_eq!(entry["points"], 7);
    assert_eq!(entry["source"], "MANUAL");
    assert_eq!(entry["reason"], "走访困难群众表现突出");
    assert_eq!(entry["memberId"], member.as_str());
    assert!(entry["sourceId"].is_null());
    assert_eq!(entry["month"], w.month());

    w.app.clock.advance(Duration::minutes(5));
    let again = w.try_adjust("demo-secretary", &member, 7, "visit-2026-0001").await;
    assert_eq!(payload(&again), &entry, "the same entry, not a second one");
    assert_eq!(w.account(&member).await.0, 7);

    let different = w.try_adjust("demo-secretary", &member, 8, "visit-2026-0001").await;
    assert_eq!(outcome(&different), "CONFLICT", "{different}");

    let zero = w.try_adjust("demo-secretary", &member, 0, "visit-2026-0002").await;
    assert_eq!(outcome(&zero), "BAD_USER_INPUT", "{zero}");
    assert_eq!(error_field(&zero), "points");

    for who in ["demo-grid", "demo-member-1", "demo-member-2", "demo-resident-1"] {
        let resp = w.try_adjust(who, &member, 3, "visit-2026-0003").await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }

    let other = w.try_adjust("demo-secretary", &member, -4, "visit-2026-0004").await;
    assert_ne!(payload(&other)["id"], entry["id"]);
    let (balance, entries) = w.account(&member).await;
    assert_eq!(balance, 3);
    assert_eq!(entries.len(), 2);
}

#[tokio::test]
async fn entries_page_newest_first_and_the_balance_is_their_sum() {
    let w = World::new().await;
    let member = w.id_of("demo-member-2").await;
    let mut written = Vec::new();
    for points in [3, -1, 4, 1, -5] {
        w.app.clock.advance(Duration::minutes(1));
        written.push(w.adjust(&member, points).await["id"].as_str().unwrap().to_owned());
    }
    written.reverse();

    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let resp = w
            .gql("demo-member-2", &account_query(), json!({ "c": w.chengnan, "m": member, "first": 2, "after": after }))
            .await;
        let account = payload(&resp);
        assert_eq!(account["balance"], 2, "the balance is the sum of every entry, not of the page");
        assert_eq!(account["entries"]["totalCount"], 5);
        let edges = account["entries"]["edges"].as_array().unwrap();
        assert!(edges.len() <= 2);
        seen.extend(edges.iter().map(|e| e["node"]["id"].as_str().unwrap().to_owned()));
        if account["entries"]["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = Some(account["entries"]["pageInfo"]["endCursor"].as_str().unwrap().to_owned());
    }
    assert_eq!(seen, written, "newest first, nothing repeated or skipped");
}

// ---------------------------------------------------------------------------
// Month scores and runs
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_month_score_is_the_base_plus_the_months_points() {
    let w = World::new().await;
    let member = w.id_of("demo-member-1").await;
    let first = w.next_month();
    w.adjust(&member, 5).await;
    w.adjust(&member, -2).await;
    let second = w.next_month();
    let third = w.next_month();
    w.adjust(&member, 30).await;

    assert_eq!(
        w.scores(&member, &first, &third).await,
        vec![(first.clone(), 63, 3), (second.clone(), 60, 0), (third.clone(), 90, 30)]
    );
    // The member sees the same.
    let own = w.gql("demo-member-1", SCORES, json!({ "c": w.chengnan, "m": member, "from": first, "to": first })).await;
    assert_eq!(payload(&own), &json!([{ "month": first, "score": 63, "points": 3 }]));

    // A different base changes every score, since scores are recomputed from the entries.
    payload(&w.gql("demo-secretary", &set_rules_query(), json!({ "c": w.chengnan, "r": { "monthlyBase": 50 } })).await);
    assert_eq!(
        w.scores(&member, &first, &third).await,
        vec![(first.clone(), 53, 3), (second, 50, 0), (third.clone(), 80, 30)]
    );

    for (from, to) in [(third.as_str(), first.as_str()), ("2026/01", first.as_str()), (first.as_str(), "2026-13")] {
        let resp =
            w.gql("demo-secretary", SCORES, json!({ "c": w.chengnan, "m": member, "from": from, "to": to })).await;
        assert_eq!(outcome(&resp), "BAD_USER_INPUT", "{from}..{to}: {resp}");
    }
}

#[tokio::test]
async fn a_month_that_is_not_over_cannot_be_closed() {
    let w = World::new().await;
    let last = w.month();
    let now = w.next_month();
    let next = Month::parse("m", &now).unwrap().next().to_string();
    for month in [now.as_str(), next.as_str()] {
        let resp = w.try_close("demo-secretary", month).await;
        assert_eq!(outcome(&resp), "BAD_USER_INPUT", "{month}: {resp}");
    }
    assert_eq!(w.close(&last).await, Vec::<Value>::new(), "a month that is over closes, awarding nothing here");
    for who in ["demo-grid", "demo-member-1"] {
        let resp = w.try_close(who, &last).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }
    let bad = w.try_close("demo-secretary", "last month").await;
    assert_eq!(outcome(&bad), "BAD_USER_INPUT", "{bad}");
}

#[tokio::test]
async fn three_months_at_exactly_eighty_earn_one_bonus_and_seventy_nine_breaks_the_run() {
    let w = World::new().await;
    let steady = w.id_of("demo-member-1").await; // 80, 80, 80
    let broken = w.id_of("demo-member-2").await; // 80, 79, 80
    let close_call = w.id_of("demo-member-3").await; // 79, 79, 79

    let first = w.next_month();
    for (member, points) in [(&steady, 20), (&broken, 20), (&close_call, 19)] {
        w.adjust(member, points).await;
    }
    let second = w.next_month();
    for (member, points) in [(&steady, 20), (&broken, 19), (&close_call, 19)] {
        w.adjust(member, points).await;
    }
    let third = w.next_month();
    for (member, points) in [(&steady, 10), (&steady, 10), (&broken, 20), (&close_call, 19)] {
        w.adjust(member, points).await;
    }
    assert_eq!(outcome(&w.try_close("demo-secretary", &third).await), "BAD_USER_INPUT", "the third month is not over");

    let fourth = w.next_month();
    let scores = |v: Vec<(String, i64, i64)>| v.into_iter().map(|(_, s, _)| s).collect::<Vec<_>>();
    assert_eq!(scores(w.scores(&steady, &first, &third).await), vec![80, 80, 80]);
    assert_eq!(scores(w.scores(&broken, &first, &third).await), vec![80, 79, 80]);
    assert_eq!(scores(w.scores(&close_call, &first, &third).await), vec![79, 79, 79]);

    assert!(w.close(&second).await.is_empty(), "two months are not a run");
    let awarded = w.close(&third).await;
    assert_eq!(awarded.len(), 1, "{awarded:?}");
    let bonus = &awarded[0];
    assert_eq!(bonus["memberId"], steady.as_str());
    assert_eq!(bonus["points"], 10);
    assert_eq!(bonus["source"], "BONUS");
    assert_eq!(bonus["month"], fourth.as_str());
    assert!(!bonus["reason"].as_str().unwrap().is_empty());

    // Closing again awards nothing more.
    assert!(w.close(&third).await.is_empty());
    let (balance, entries) = w.account(&steady).await;
    assert_eq!(balance, 60 + 10, "three months of +20 and the bonus");
    assert_eq!(entries.iter().filter(|e| e["source"] == "BONUS").count(), 1);
    assert_eq!(entries[0], *bonus, "the bonus is the newest entry");
    for member in [&broken, &close_call] {
        let (_, entries) = w.account(member).await;
        assert!(entries.iter().all(|e| e["source"] == "MANUAL"), "{entries:?}");
    }

    // The bonus does not count in the month it landed in.
    assert_eq!(w.scores(&steady, &fourth, &fourth).await, vec![(fourth.clone(), 60, 0)]);

    // Closing the later month, with the run over, awards nothing either.
    w.next_month();
    assert!(w.close(&fourth).await.is_empty());
    assert!(w.close(&third).await.is_empty());
    assert_eq!(w.account(&steady).await.0, 70);
}

#[tokio::test]
async fn three_months_below_sixty_earn_one_penalty_and_exactly_sixty_is_not_below() {
    let w = World::new().await;
    let low = w.id_of("demo-member-1").await; // 59, 59, 59
    let level = w.id_of("demo-member-2").await; // 60, 60, 60 (with entries)
    let broken = w.id_of("demo-member-3").await; // 59, 60, 59

    let first = w.next_month();
    for (member, points) in [(&low, -1), (&level, -1), (&level, 1), (&broken, -1)] {
        w.adjust(member, points).await;
    }
    w.next_month();
    for (member, points) in [(&low, -1), (&level, 2), (&level, -2), (&broken, 3), (&broken, -3)] {
        w.adjust(member, points).await;
    }
    let third = w.next_month();
    for (member, points) in [(&low, -1), (&level, -5), (&level, 5), (&broken, -1)] {
        w.adjust(member, points).await;
    }
    let fourth = w.next_month();

    let scores = |v: Vec<(String, i64, i64)>| v.into_iter().map(|(_, s, _)| s).collect::<Vec<_>>();
    assert_eq!(scores(w.scores(&low, &first, &third).await), vec![59, 59, 59]);
    assert_eq!(scores(w.scores(&level, &first, &third).await), vec![60, 60, 60]);
    assert_eq!(scores(w.scores(&broken, &first, &third).await), vec![59, 60, 59]);

    let awarded = w.close(&third).await;
    assert_eq!(awarded.len(), 1, "{awarded:?}");
    let penalty = &awarded[0];
    assert_eq!(penalty["memberId"], low.as_str());
    assert_eq!(penalty["points"], -10);
    assert_eq!(penalty["source"], "PENALTY");
    assert_eq!(penalty["month"], fourth.as_str());

    assert!(w.close(&third).await.is_empty(), "once per run");
    let (balance, entries) = w.account(&low).await;
    assert_eq!(balance, -13);
    assert_eq!(entries.iter().filter(|e| e["source"] == "PENALTY").count(), 1);
    assert_eq!(w.scores(&low, &fourth, &fourth).await, vec![(fourth, 60, 0)], "the penalty is not in a month score");
    for member in [&level, &broken] {
        let (_, entries) = w.account(member).await;
        assert!(entries.iter().all(|e| e["source"] == "MANUAL"), "{entries:?}");
    }
}

#[tokio::test]
async fn a_long_run_earns_one_bonus_and_a_new_run_after_a_break_earns_another() {
    let w = World::new().await;
    let member = w.id_of("demo-member-1").await;
    let first = w.next_month();
    let mut months = Vec::new();
    // Five months at 85, one at 70, three at 85 again; each month closed once it is over.
    for (i, points) in [25, 25, 25, 25, 25, 10, 25, 25, 25].into_iter().enumerate() {
        w.adjust(&member, points).await;
        let month = w.month();
        months.push(month.clone());
        w.next_month();
        let awarded = w.close(&month).await;
        let expected = if i == 2 || i == 8 { 1 } else { 0 };
        assert_eq!(awarded.len(), expected, "closing month {} ({month}): {awarded:?}", i + 1);
        if let Some(bonus) = awarded.first() {
            assert_eq!(bonus["source"], "BONUS");
            assert_eq!(bonus["points"], 10);
            assert_eq!(bonus["memberId"], member.as_str());
        }
    }
    let last = w.month();
    let scores: Vec<i64> = w.scores(&member, &first, &last).await.into_iter().map(|(_, s, _)| s).collect();
    assert_eq!(scores, vec![85, 85, 85, 85, 85, 70, 85, 85, 85, 60]);

    let (balance, entries) = w.account(&member).await;
    assert_eq!(entries.iter().filter(|e| e["source"] == "BONUS").count(), 2);
    assert_eq!(balance, 25 * 8 + 10 + 2 * 10);

    // Recomputing gives the same: scores again, and closing every month again.
    let scores_before = w.scores(&member, &first, &last).await;
    for month in &months {
        assert!(w.close(month).await.is_empty(), "closing {month} again");
    }
    assert_eq!(w.scores(&member, &first, &last).await, scores_before);
    assert_eq!(w.account(&member).await, (balance, entries));
}

#[tokio::test]
async fn the_run_length_thresholds_and_amounts_follow_the_rules() {
    let w = World::new().await;
    let rules =
        json!({ "runMonths": 2, "bonusThreshold": 70, "bonusPoints": 7, "penaltyThreshold": 55, "penaltyPoints": -4 });
    payload(&w.gql("demo-secretary", &set_rules_query(), json!({ "c": w.chengnan, "r": rules })).await);
    let high = w.id_of("demo-member-1").await;
    let low = w.id_of("demo-member-2").await;

    w.next_month();
    w.adjust(&high, 10).await;
    w.adjust(&low, -6).await;
    let second = w.next_month();
    w.adjust(&high, 10).await;
    w.adjust(&low, -6).await;
    w.next_month();

    let mut awarded: Vec<(String, String, i64)> = w
        .close(&second)
        .await
        .iter()
        .map(|e| {
            (
                e["memberId"].as_str().unwrap().to_owned(),
                e["source"].as_str().unwrap().to_owned(),
                e["points"].as_i64().unwrap(),
            )
        })
        .collect();
    awarded.sort();
    let mut expected = vec![(high, "BONUS".to_owned(), 7), (low, "PENALTY".to_owned(), -4)];
    expected.sort();
    assert_eq!(awarded, expected);
}

// ---------------------------------------------------------------------------
// Leaderboard and the quarterly Dedication Award
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_leaderboard_ranks_a_month_or_a_quarter_and_ties_share_a_rank() {
    let w = World::new().await;
    let (m1, m2, m3) = (w.id_of("demo-member-1").await, w.id_of("demo-member-2").await, w.id_of("demo-member-3").await);
    // Start in the first month of a quarter.
    let mut first = w.next_month();
    while Month::parse("m", &first).unwrap().month % 3 != 1 {
        first = w.next_month();
    }
    let before = Month::parse("m", &first).unwrap().previous().to_string();
    w.adjust(&m1, 10).await;
    w.adjust(&m2, 10).await;
    w.adjust(&m3, 4).await;
    let second = w.next_month();
    w.adjust(&m3, 20).await;
    w.adjust(&m1, -3).await;
    let quarter = quarter_of(&first);
    assert_eq!(quarter, quarter_of(&second));

    let month_one = w.standings(Some(&first), None).await;
    let mut top: Vec<(String, i64, i64)> = month_one[..2].iter().map(|(m, _, p, r)| (m.clone(), *p, *r)).collect();
    top.sort();
    let mut expected_top = vec![(m1.clone(), 10, 1), (m2.clone(), 10, 1)];
    expected_top.sort();
    assert_eq!(top, expected_top, "a tie shares the first rank");
    assert_eq!(month_one[2], (m3.clone(), BRANCH_2.to_owned(), 4, 3), "then the third place");
    assert_eq!(month_one.len(), 3, "every reported-in member: {month_one:?}");
    assert!(month_one[..2].iter().all(|s| s.1 == BRANCH_1));

    assert_eq!(
        w.standings(Some(&second), None).await,
        vec![
            (m3.clone(), BRANCH_2.to_owned(), 20, 1),
            (m2.clone(), BRANCH_1.to_owned(), 0, 2),
            (m1.clone(), BRANCH_1.to_owned(), -3, 3)
        ]
    );
    assert_eq!(
        w.standings(None, Some(&quarter)).await,
        vec![(m3, BRANCH_2.to_owned(), 24, 1), (m2, BRANCH_1.to_owned(), 10, 2), (m1, BRANCH_1.to_owned(), 7, 3)]
    );
    let quiet = w.standings(Some(&before), None).await;
    assert_eq!(quiet.len(), 3);
    assert!(quiet.iter().all(|(_, _, points, rank)| *points == 0 && *rank == 1), "{quiet:?}");

    // Quarters are written either case.
    let lower = w.standings(None, Some(&quarter.to_lowercase())).await;
    assert_eq!(lower, w.standings(None, Some(&quarter)).await);
}

#[tokio::test]
async fn the_leaderboard_needs_exactly_one_well_formed_month_or_quarter() {
    let w = World::new().await;
    let month = w.month();
    let quarter = quarter_of(&month);
    let cases: [(Option<&str>, Option<&str>); 6] = [
        (Some(&month), Some(&quarter)),
        (None, None),
        (Some("2026-13"), None),
        (Some("11/2026"), None),
        (None, Some("2026Q5")),
        (None, Some("2026-11")),
    ];
    for (m, q) in cases {
        let resp = w.leaderboard("demo-secretary", m, q).await;
        assert_eq!(outcome(&resp), "BAD_USER_INPUT", "{m:?} {q:?}: {resp}");
    }
    assert_eq!(outcome(&w.leaderboard("demo-secretary", Some(&month), None).await), "OK");
    assert_eq!(outcome(&w.leaderboard("demo-secretary", None, Some(&quarter)).await), "OK");
}

#[tokio::test]
async fn the_secretary_ranks_each_branch_and_nominates_one_to_three_members_a_quarter() {
    let w = World::new().await;
    let (m1, m2, m3) = (w.id_of("demo-member-1").await, w.id_of("demo-member-2").await, w.id_of("demo-member-3").await);
    let f1 = w.fresh_member("award-newcomer-1", BRANCH_1, true).await;
    let f2 = w.fresh_member("award-newcomer-2", BRANCH_1, true).await;
    let pending = w.fresh_member("award-pending", BRANCH_1, false).await;
    for (member, points) in [(&m1, 9), (&m2, 5), (&f1, 5), (&f2, 1), (&m3, 3)] {
        w.adjust(member, points).await;
    }
    let quarter = quarter_of(&w.month());

    let ranking = |resp: &Value| -> HashMap<String, Value> {
        payload(resp)
            .as_array()
            .unwrap()
            .iter()
            .map(|b| (b["partyBranch"].as_str().unwrap().to_owned(), b.clone()))
            .collect()
    };
    let resp = w.gql("demo-secretary", RANKING, json!({ "c": w.chengnan, "q": quarter })).await;
    let branches = ranking(&resp);
    assert_eq!(branches.len(), 2, "{resp}");
    let first: Vec<(String, i64, i64)> = branches[BRANCH_1]["standings"]
        .as_array()
        .unwrap()
        .iter()
        .map(standing)
        .map(|(m, _, p, r)| (m, p, r))
        .collect();
    assert_eq!(first.len(), 4);
    assert_eq!(first[0], (m1.clone(), 9, 1));
    let mut tied = vec![first[1].clone(), first[2].clone()];
    tied.sort();
    let mut expected_tied = vec![(m2.clone(), 5, 2), (f1.clone(), 5, 2)];
    expected_tied.sort();
    assert_eq!(tied, expected_tied);
    assert_eq!(first[3], (f2.clone(), 1, 4));
    let second: Vec<(String, String, i64, i64)> =
        branches[BRANCH_2]["standings"].as_array().unwrap().iter().map(standing).collect();
    assert_eq!(second, vec![(m3.clone(), BRANCH_2.to_owned(), 3, 1)], "ranks are within the branch");
    assert!(branches.values().all(|b| b["nominations"] == json!([])));

    let nominate = |member: &str, q: &str| {
        let vars = json!({ "c": w.chengnan, "q": q, "m": member, "citation": "带头入户走访" });
        w.gql("demo-secretary", NOMINATE, vars)
    };
    for member in [&m1, &m2, &f1] {
        let resp = nominate(member, &quarter).await;
        let n = payload(&resp);
        assert_eq!(n["member"]["id"], member.as_str());
        assert_eq!(n["partyBranch"], BRANCH_1);
        assert_eq!(n["quarter"], quarter.as_str());
        assert_eq!(n["citation"], "带头入户走访");
    }
    let fourth = nominate(&f2, &quarter).await;
    assert_eq!(outcome(&fourth), "INVALID_STATE", "at most three per branch: {fourth}");
    let twice = nominate(&m1, &quarter).await;
    assert_eq!(outcome(&twice), "CONFLICT", "{twice}");
    assert_eq!(outcome(&nominate(&m3, &quarter).await), "OK", "the other branch has its own three");
    for (who, id) in [
        ("volunteer", w.id_of("demo-volunteer").await),
        ("resident", w.id_of("demo-resident-1").await),
        ("pending", pending),
    ] {
        let resp = nominate(&id, &quarter).await;
        assert_eq!(outcome(&resp), "BAD_USER_INPUT", "{who}: {resp}");
    }
    let bad_quarter = nominate(&f2, "2026Q7").await;
    assert_eq!(outcome(&bad_quarter), "BAD_USER_INPUT", "{bad_quarter}");

    // Another quarter has its own nominations.
    let month = Month::parse("m", &w.month()).unwrap();
    let next_quarter = month.next().next().next().quarter().to_string();
    assert_ne!(next_quarter, quarter);
    assert_eq!(outcome(&nominate(&f2, &next_quarter).await), "OK");

    for who in ["demo-grid", "demo-member-1"] {
        let vars = json!({ "c": w.chengnan, "q": quarter, "m": f2, "citation": null });
        let resp = w.gql(who, NOMINATE, vars).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
        let resp = w.gql(who, RANKING, json!({ "c": w.chengnan, "q": quarter })).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }

    let resp = w.gql("demo-secretary", RANKING, json!({ "c": w.chengnan, "q": quarter })).await;
    let branches = ranking(&resp);
    let mut named: Vec<String> = branches[BRANCH_1]["nominations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["member"]["id"].as_str().unwrap().to_owned())
        .collect();
    named.sort();
    let mut expected = vec![m1, m2, f1];
    expected.sort();
    assert_eq!(named, expected);
    assert_eq!(branches[BRANCH_2]["nominations"].as_array().unwrap().len(), 1);
    assert_eq!(branches[BRANCH_2]["nominations"][0]["member"]["id"], m3.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nominating_five_members_of_a_branch_at_once_names_exactly_three() {
    let w = World::new().await;
    let mut branch = vec![w.id_of("demo-member-1").await, w.id_of("demo-member-2").await];
    for n in 1..=3 {
        branch.push(w.fresh_member(&format!("award-rush-{n}"), BRANCH_1, true).await);
    }
    let mut month = Month::parse("m", &w.month()).unwrap();
    // A few quarters, so a race shows up.
    for _ in 0..4 {
        let quarter = month.quarter().to_string();
        let results: Vec<String> = join_all(branch.iter().map(|m| {
            let vars = json!({ "c": w.chengnan, "q": quarter, "m": m, "citation": "热心服务群众" });
            w.gql("demo-secretary", NOMINATE, vars)
        }))
        .await
        .iter()
        .map(outcome)
        .collect();
        assert_eq!(results.iter().filter(|r| *r == "OK").count(), 3, "{quarter}: {results:?}");
        assert_eq!(results.iter().filter(|r| *r == "INVALID_STATE").count(), 2, "{quarter}: {results:?}");
        let resp = w.gql("demo-secretary", RANKING, json!({ "c": w.chengnan, "q": quarter })).await;
        let named = payload(&resp)
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["partyBranch"] == BRANCH_1)
            .map(|b| b["nominations"].as_array().unwrap().len())
            .unwrap();
        assert_eq!(named, 3, "{quarter}: {resp}");
        month = month.next().next().next();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nominating_one_member_four_times_at_once_names_them_once() {
    let w = World::new().await;
    let member = w.id_of("demo-member-3").await;
    let quarter = quarter_of(&w.month());
    let results: Vec<String> = join_all((0..4).map(|_| {
        let vars = json!({ "c": w.chengnan, "q": quarter, "m": member, "citation": null });
        w.gql("demo-secretary", NOMINATE, vars)
    }))
    .await
    .iter()
    .map(outcome)
    .collect();
    assert_eq!(results.iter().filter(|r| *r == "OK").count(), 1, "{results:?}");
    assert_eq!(results.iter().filter(|r| *r == "CONFLICT").count(), 3, "{results:?}");
}

// ---------------------------------------------------------------------------
// Retries and double taps at once
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_adjustment_sent_five_times_at_once_is_written_once() {
    let w = World::new().await;
    let member = w.id_of("demo-member-1").await;
    w.session("demo-secretary").await;
    let responses = join_all((0..5).map(|_| w.try_adjust("demo-secretary", &member, 7, "retry-at-once-0001"))).await;
    let ids: Vec<Value> = responses.iter().map(|r| payload(r)["id"].clone()).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "one entry for one key: {responses:?}");
    let (balance, entries) = w.account(&member).await;
    assert_eq!((balance, entries.len()), (7, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn closing_a_month_four_times_at_once_awards_the_bonus_once() {
    let w = World::new().await;
    let member = w.id_of("demo-member-1").await;
    w.session("demo-secretary").await;
    w.next_month();
    for _ in 0..3 {
        w.adjust(&member, 20).await;
        w.next_month();
    }
    let third = Month::parse("m", &w.month()).unwrap().previous().to_string();
    let results: Vec<String> =
        join_all((0..4).map(|_| w.try_close("demo-secretary", &third))).await.iter().map(outcome).collect();
    assert!(results.iter().all(|r| r == "OK"), "{results:?}");
    let (balance, entries) = w.account(&member).await;
    assert_eq!(entries.iter().filter(|e| e["source"] == "BONUS").count(), 1, "{entries:?}");
    assert_eq!(balance, 70);
}
