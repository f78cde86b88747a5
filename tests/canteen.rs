// 合约食堂 end to end: the operator publishes each day's menu (the default
// worker sets at 6, 8 and 10 yuan and a children's nutrition meal, or a menu
// of their own), residents book portions until the day's cutoff (09:00
// Asia/Shanghai by default) and cancel before it, the portions are never
// oversold (also under concurrency), discount coupons are bought with
// civility points through the ledger, the counter records payments in fen
// (cash or WeChat Pay) and collections, and the daily sheet counts it all.
// Money never mixes with points, and the books balance after every test.

use std::collections::HashSet;

use crate::common::*;
use chrono::{Duration, NaiveDate};
use futures_util::future::join_all;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const MEAL_FIELDS: &str = "id servedOn kind name priceFen quantity booked available";
const BOOKING_FIELDS: &str = "id mealId diner { id } servedOn quantity status priceFen discountFen dueFen paidFen \
     paymentMethod paidAt collectedAt createdAt";

fn publish_query() -> String {
    format!(
        "mutation($c: ID!, $d: NaiveDate!, $items: [MealInput!]!) {{ publishCanteenMenu(communityId: $c, date: $d, \
         items: $items) {{ {MEAL_FIELDS} }} }}"
    )
}
fn publish_default_query() -> String {
    format!("mutation($c: ID!, $d: NaiveDate!) {{ publishCanteenMenu(communityId: $c, date: $d) {{ {MEAL_FIELDS} }} }}")
}
fn menu_query() -> String {
    format!("query($c: ID!, $d: NaiveDate!) {{ canteenMenu(communityId: $c, date: $d) {{ {MEAL_FIELDS} }} }}")
}
fn book_query() -> String {
    format!(
        "mutation($m: ID!, $q: Int!, $k: String!) {{ bookMeal(mealId: $m, quantity: $q, idempotencyKey: $k) {{ \
         {BOOKING_FIELDS} }} }}"
    )
}
fn cancel_query() -> String {
    format!("mutation($b: ID!) {{ cancelMealBooking(bookingId: $b) {{ {BOOKING_FIELDS} }} }}")
}
fn coupon_query() -> String {
    format!("mutation($b: ID!) {{ useMealCoupon(bookingId: $b) {{ {BOOKING_FIELDS} }} }}")
}
fn paid_query() -> String {
    format!(
        "mutation($b: ID!, $m: PaymentMethod!) {{ markMealPaid(bookingId: $b, method: $m) {{ {BOOKING_FIELDS} }} }}"
    )
}
fn collected_query() -> String {
    format!("mutation($b: ID!) {{ markMealCollected(bookingId: $b) {{ {BOOKING_FIELDS} }} }}")
}
fn my_bookings_query() -> String {
    format!("query($c: ID!) {{ myMealBookings(communityId: $c) {{ {BOOKING_FIELDS} }} }}")
}
const SHEET: &str = "query($c: ID!, $d: NaiveDate!) { canteenDailySheet(communityId: $c, date: $d) { meal { id name \
     priceFen } booked collected paid takingsFen bookings { id diner { id } quantity paidFen status } } }";
const SETTINGS: &str = "query($c: ID!) { canteenSettings(communityId: $c) { cutoffHour couponPoints couponValueFen } }";
const SET_SETTINGS: &str = "mutation($c: ID!, $s: CanteenSettingsInput!) { setCanteenSettings(communityId: $c, \
     settings: $s) { cutoffHour couponPoints couponValueFen } }";
const AWARD: &str = "mutation($c: ID!, $u: ID!, $p: Int!, $r: String!, $k: String!) { awardCivilityPoints(\
     communityId: $c, userId: $u, points: $p, reason: $r, idempotencyKey: $k) { id status amount } }";
const ACCOUNT: &str = "query($c: ID!) { civilityAccount(communityId: $c, first: 100) { balance entries { edges { \
     node { amount } } } } }";
const CONSISTENCY: &str = "query($c: ID!) { ledgerConsistency(communityId: $c) { ok entriesSum } }";

area_world!();

impl World {
    // --- menus ---

    async fn try_publish(&self, who: &str, community: &str, day: NaiveDate, items: Value) -> Value {
        self.gql(who, &publish_query(), json!({ "c": community, "d": day.to_string(), "items": items })).await
    }

    /// A one-meal menu for tomorrow by the operator; the meal's id.
    async fn meal(&self, name: &str, price_fen: i64, quantity: i64) -> String {
        self.meal_on(self.tomorrow(), "WORKER_SET", name, price_fen, quantity).await
    }

    async fn meal_on(&self, day: NaiveDate, kind: &str, name: &str, price_fen: i64, quantity: i64) -> String {
        let items = json!([{ "kind": kind, "name": name, "priceFen": price_fen, "quantity": quantity }]);
        let resp = self.try_publish("demo-canteen", &self.chengnan, day, items).await;
        let meals = payload(&resp).as_array().unwrap();
        id(meals.iter().find(|m| m["name"] == name).unwrap_or_else(|| panic!("no {name}: {resp}")))
    }

    /// The default menu for `day`, published by the operator.
    async fn default_menu(&self, day: NaiveDate) -> Vec<Value> {
        let resp = self
            .gql("demo-canteen", &publish_default_query(), json!({ "c": self.chengnan, "d": day.to_string() }))
            .await;
        payload(&resp).as_array().unwrap().clone()
    }

    async fn try_menu(&self, who: &str, community: &str, day: NaiveDate) -> Value {
        self.gql(who, &menu_query(), json!({ "c": community, "d": day.to_string() })).await
    }

    async fn menu(&self, who: &str, day: NaiveDate) -> Vec<Value> {
        let resp = self.try_menu(who, &self.chengnan, day).await;
        payload(&resp).as_array().unwrap().clone()
    }

    /// A meal of `day`'s menu as a resident sees it.
    async fn meal_on_menu(&self, day: NaiveDate, meal: &str) -> Value {
        self.menu("demo-resident-1", day)
            .await
            .into_iter()
            .find(|m| m["id"] == meal)
            .unwrap_or_else(|| panic!("meal {meal} is not on the menu of {day}"))
    }

    // --- bookings ---

    async fn book(&self, who: &str, meal: &str, quantity: i64, key: &str) -> Value {
        self.gql(who, &book_query(), json!({ "m": meal, "q": quantity, "k": key })).await
    }

    /// A successful booking with a fresh key.
    async fn booked(&self, who: &str, meal: &str, quantity: i64) -> Value {
        let resp = self.book(who, meal, quantity, &key("book")).await;
        payload(&resp).clone()
    }

    async fn cancel(&self, who: &str, booking: &str) -> Value {
        self.gql(who, &cancel_query(), json!({ "b": booking })).await
    }

    async fn coupon(&self, who: &str, booking: &str) -> Value {
        self.gql(who, &coupon_query(), json!({ "b": booking })).await
    }

    /// One portion of `meal` booked by `who`, with a coupon used on it; the booking.
    async fn booked_with_a_coupon(&self, who: &str, meal: &str) -> Value {
        let b = self.booked(who, meal, 1).await;
        payload(&self.coupon(who, &id(&b)).await);
        b
    }

    async fn pay(&self, who: &str, booking: &str, method: &str) -> Value {
        self.gql(who, &paid_query(), json!({ "b": booking, "m": method })).await
    }

    async fn collect(&self, who: &str, booking: &str) -> Value {
        self.gql(who, &collected_query(), json!({ "b": booking })).await
    }

    async fn my_bookings(&self, who: &str) -> Vec<Value> {
        let resp = self.gql(who, &my_bookings_query(), json!({ "c": self.chengnan })).await;
        payload(&resp).as_array().unwrap().clone()
    }

    /// `who`'s own booking, as `myMealBookings` shows it.
    async fn my_booking(&self, who: &str, booking: &str) -> Value {
        self.my_bookings(who)
            .await
            .into_iter()
            .find(|b| b["id"] == booking)
            .unwrap_or_else(|| panic!("booking {booking} is not among {who}'s bookings"))
    }

    async fn try_sheet(&self, who: &str, community: &str, day: NaiveDate) -> Value {
        self.gql(who, SHEET, json!({ "c": community, "d": day.to_string() })).await
    }

    /// The sheet's line for `meal`, as the operator sees it.
    async fn sheet_line(&self, day: NaiveDate, meal: &str) -> Value {
        let resp = self.try_sheet("demo-canteen", &self.chengnan, day).await;
        payload(&resp)
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["meal"]["id"] == meal)
            .cloned()
            .unwrap_or_else(|| panic!("meal {meal} is not on the sheet: {resp}"))
    }

    // --- settings ---

    async fn settings(&self, who: &str) -> Value {
        let resp = self.gql(who, SETTINGS, json!({ "c": self.chengnan })).await;
        payload(&resp).clone()
    }

    async fn set_settings(&self, who: &str, settings: Value) -> Value {
        self.gql(who, SET_SETTINGS, json!({ "c": self.chengnan, "s": settings })).await
    }

    // --- points ---

    /// The secretary awards `points` (small enough to post at once) to `who`.
    async fn award(&self, who: &str, points: i64) {
        let user = self.id_of(who).await;
        let vars = json!({ "c": self.chengnan, "u": user, "p": points, "r": "打扫楼道", "k": key("award") });
        let resp = self.gql("demo-secretary", AWARD, vars).await;
        assert_eq!(payload(&resp)["status"], "POSTED", "the award should post at once: {resp}");
    }

    /// `who`'s civility balance as they see it.
    async fn balance(&self, who: &str) -> i64 {
        let resp = self.gql(who, ACCOUNT, json!({ "c": self.chengnan })).await;
        payload(&resp)["balance"].as_i64().unwrap()
    }

    /// The amounts on `who`'s civility statement.
    async fn statement(&self, who: &str) -> Vec<i64> {
        let resp = self.gql(who, ACCOUNT, json!({ "c": self.chengnan })).await;
        payload(&resp)["entries"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["amount"].as_i64().unwrap())
            .collect()
    }

    /// `ledgerConsistency` for 城南社区 through the API, as the secretary.
    async fn assert_books_consistent(&self) {
        let resp = self.gql("demo-secretary", CONSISTENCY, json!({ "c": self.chengnan })).await;
        assert_eq!(payload(&resp)["ok"], true, "{resp}");
        assert_eq!(payload(&resp)["entriesSum"], 0, "{resp}");
    }
}

fn count(outcomes: &[String], what: &str) -> usize {
    outcomes.iter().filter(|o| *o == what).count()
}

/// Someone else's booking is neither theirs to see nor to touch.
fn assert_refused(resp: &Value) {
    let code = outcome(resp);
    assert!(code == "NOT_FOUND" || code == "FORBIDDEN", "expected NOT_FOUND or FORBIDDEN: {resp}");
}

// ---------------------------------------------------------------------------
// Menus
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_operator_publishes_the_default_menu_when_no_items_are_given() {
    let w = World::new().await;
    let day = w.tomorrow();
    let meals = w.default_menu(day).await;

    let offered: Vec<(String, String, i64)> = meals
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap().to_owned(),
                m["name"].as_str().unwrap().to_owned(),
                m["priceFen"].as_i64().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(String, String, i64)> = [
        ("WORKER_SET", "6元工作餐", 600),
        ("WORKER_SET", "8元工作餐", 800),
        ("WORKER_SET", "10元工作餐", 1000),
        ("CHILD_NUTRITION", "儿童营养餐", 1000),
    ]
    .into_iter()
    .map(|(k, n, p)| (k.to_owned(), n.to_owned(), p))
    .collect();
    assert_eq!(offered.iter().cloned().collect::<HashSet<_>>(), expected.into_iter().collect::<HashSet<_>>());
    assert_eq!(meals.len(), 4, "{meals:?}");
    for m in &meals {
        assert_eq!(m["servedOn"], day.to_string(), "{m}");
        assert_eq!(m["booked"], 0, "{m}");
        assert!(m["quantity"].as_i64().unwrap() > 0, "a meal offers portions: {m}");
        assert_eq!(m["available"], m["quantity"], "{m}");
    }

    // Everyone in the community reads the same menu.
    let read = w.menu("demo-resident-1", day).await;
    assert_eq!(
        read.iter().map(id).collect::<HashSet<_>>(),
        meals.iter().map(id).collect::<HashSet<_>>(),
        "the menu a resident reads is the one published"
    );
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn the_operator_or_the_secretary_publishes_a_menu_of_their_own_with_prices_in_fen_and_portions() {
    let w = World::new().await;
    let day = w.tomorrow();
    let items = json!([
        { "kind": "WORKER_SET", "name": "酸汤鱼套餐", "priceFen": 1200, "quantity": 30 },
        { "kind": "CHILD_NUTRITION", "name": "儿童营养餐(午)", "priceFen": 1400, "quantity": 25 },
    ]);
    let resp = w.try_publish("demo-canteen", &w.chengnan, day, items).await;
    let meals = payload(&resp).as_array().unwrap();
    assert_eq!(meals.len(), 2, "{resp}");
    let fish = meals.iter().find(|m| m["name"] == "酸汤鱼套餐").unwrap();
    assert_eq!(fish["kind"], "WORKER_SET");
    assert_eq!(fish["priceFen"], 1200);
    assert_eq!(fish["quantity"], 30);
    assert_eq!(fish["booked"], 0);
    assert_eq!(fish["available"], 30);
    assert_eq!(fish["servedOn"], day.to_string());
    let child = meals.iter().find(|m| m["name"] == "儿童营养餐(午)").unwrap();
    assert_eq!(child["kind"], "CHILD_NUTRITION");
    assert_eq!(child["priceFen"], 1400);
    assert_eq!(child["quantity"], 25);

    // The secretary may publish too, for today as well.
    let today = w.today();
    let items = json!([{ "kind": "WORKER_SET", "name": "8元工作餐", "priceFen": 800, "quantity": 10 }]);
    let resp = w.try_publish("demo-secretary", &w.chengnan, today, items).await;
    assert_eq!(payload(&resp).as_array().unwrap().len(), 1, "{resp}");
    let menu = w.menu("demo-elder", today).await;
    assert_eq!(menu.len(), 1, "{menu:?}");
    assert_eq!(menu[0]["servedOn"], today.to_string());
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn only_the_operator_or_the_secretary_of_the_community_publishes_a_menu() {
    let w = World::new().await;
    let day = w.tomorrow();
    let items = json!([{ "kind": "WORKER_SET", "name": "6元工作餐", "priceFen": 600, "quantity": 10 }]);
    for who in ["demo-resident-1", "demo-elder", "demo-member-1"] {
        let resp = w.try_publish(who, &w.chengnan, day, items.clone()).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }
    // Someone from 城北 does not see 城南's canteen at all.
    let resp = w.try_publish("demo-resident-3", &w.chengnan, day, items.clone()).await;
    assert_eq!(outcome(&resp), "NOT_FOUND", "{resp}");
    // Nor does 城南's operator publish in 城北.
    let chengbei = w.app.community_id(CHENGBEI).await;
    let resp = w.try_publish("demo-canteen", &chengbei, day, items).await;
    assert_eq!(outcome(&resp), "NOT_FOUND", "{resp}");

    assert!(w.menu("demo-resident-1", day).await.is_empty(), "nothing was published");
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn a_menu_is_not_published_for_a_past_day_or_with_a_price_of_nothing() {
    let w = World::new().await;
    let yesterday = w.today() - Duration::days(1);
    let resp = w.try_publish("demo-canteen", &w.chengnan, yesterday, json!([])).await;
    assert_eq!(outcome(&resp), "BAD_USER_INPUT", "{resp}");
    assert_eq!(error_field(&resp), "date");
    let items = json!([{ "kind": "WORKER_SET", "name": "6元工作餐", "priceFen": 600, "quantity": 10 }]);
    let resp = w.try_publish("demo-canteen", &w.chengnan, yesterday, items).await;
    assert_eq!(outcome(&resp), "BAD_USER_INPUT", "{resp}");
    assert_eq!(error_field(&resp), "date");

    let day = w.tomorrow();
    for price in [0, -600] {
        let items = json!([
            { "kind": "WORKER_SET", "name": "6元工作餐", "priceFen": 600, "quantity": 10 },
            { "kind": "WORKER_SET", "name": "免费餐", "priceFen": price, "quantity": 10 },
        ]);
        let resp = w.try_publish("demo-canteen", &w.chengnan, day, items).await;
        assert_eq!(outcome(&resp), "BAD_USER_INPUT", "price {price}: {resp}");
        assert_eq!(error_field(&resp), "priceFen", "price {price}");
    }
    // A refused menu publishes none of its meals.
    assert!(w.menu("demo-canteen", yesterday).await.is_empty());
    assert!(w.menu("demo-canteen", day).await.is_empty(), "no half-published menu");
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn everyone_in_the_community_reads_the_day_s_menu_and_no_one_outside_it() {
    let w = World::new().await;
    let day = w.tomorrow();
    let published = w.default_menu(day).await;
    for who in ["demo-resident-1", "demo-resident-2", "demo-elder", "demo-member-1", "demo-canteen", "demo-secretary"] {
        let menu = w.menu(who, day).await;
        assert_eq!(menu.len(), published.len(), "{who}: {menu:?}");
    }
    // Another day has no menu yet.
    assert!(w.menu("demo-resident-1", day + Duration::days(1)).await.is_empty());
    // 城北's resident does not read 城南's menu.
    let resp = w.try_menu("demo-resident-3", &w.chengnan, day).await;
    assert_eq!(outcome(&resp), "NOT_FOUND", "{resp}");
    w.app.assert_ledger_balanced().await;
}

// ---------------------------------------------------------------------------
// Booking
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_resident_books_portions_and_the_price_is_the_meal_s_price_times_the_quantity() {
    let w = World::new().await;
    let day = w.tomorrow();
    let meals = w.default_menu(day).await;
    let eight = id(meals.iter().find(|m| m["name"] == "8元工作餐").unwrap());
    let quantity_before = w.meal_on_menu(day, &eight).await["quantity"].as_i64().unwrap();

    let b = w.booked("demo-resident-1", &eight, 3).await;
    assert_eq!(b["mealId"], eight.as_str());
    assert_eq!(b["diner"]["id"], w.id_of("demo-resident-1").await.as_str());
    assert_eq!(b["servedOn"], day.to_string());
    assert_eq!(b["quantity"], 3);
    assert_eq!(b["status"], "BOOKED");
    assert_eq!(b["priceFen"], 2400);
    assert_eq!(b["discountFen"], 0);
    assert_eq!(b["dueFen"], 2400);
    assert!(b["paidFen"].is_null(), "{b}");
    assert!(b["paymentMethod"].is_null(), "{b}");
    assert!(b["paidAt"].is_null(), "{b}");
    assert!(b["collectedAt"].is_null(), "{b}");

    let meal = w.meal_on_menu(day, &eight).await;
    assert_eq!(meal["booked"], 3);
    assert_eq!(meal["available"], quantity_before - 3);

    // The diner sees it among their bookings.
    let mine = w.my_booking("demo-resident-1", &id(&b)).await;
    assert_eq!(mine["status"], "BOOKED");
    assert_eq!(mine["priceFen"], 2400);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn a_booking_is_for_one_to_ten_portions_of_a_meal_in_the_diner_s_community() {
    let w = World::new().await;
    let meal = w.meal("6元工作餐", 600, 50).await;
    for quantity in [0, -1, 11] {
        let resp = w.book("demo-resident-1", &meal, quantity, &key("qty")).await;
        assert_eq!(outcome(&resp), "BAD_USER_INPUT", "quantity {quantity}: {resp}");
        assert_eq!(error_field(&resp), "quantity", "quantity {quantity}");
    }
    let ten = w.booked("demo-resident-1", &meal, 10).await;
    assert_eq!(ten["priceFen"], 6000);
    let one = w.booked("demo-resident-2", &meal, 1).await;
    assert_eq!(one["priceFen"], 600);

    // 城北's resident cannot book 城南's meal; an unknown meal is not found.
    let resp = w.book("demo-resident-3", &meal, 1, &key("far")).await;
    assert_eq!(outcome(&resp), "NOT_FOUND", "{resp}");
    let resp = w.book("demo-resident-1", "987654321", 1, &key("nomeal")).await;
    assert_eq!(outcome(&resp), "NOT_FOUND", "{resp}");

    assert_eq!(w.meal_on_menu(w.tomorrow(), &meal).await["booked"], 11);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn a_meal_never_sells_more_portions_than_it_offers() {
    let w = World::new().await;
    let meal = w.meal("10元工作餐", 1000, 5).await;
    w.booked("demo-resident-1", &meal, 3).await;
    let resp = w.book("demo-resident-2", &meal, 3, &key("too-many")).await;
    assert_eq!(outcome(&resp), "CONFLICT", "only 2 portions are left: {resp}");
    w.booked("demo-resident-2", &meal, 2).await;
    let resp = w.book("demo-elder", &meal, 1, &key("sold-out")).await;
    assert_eq!(outcome(&resp), "CONFLICT", "sold out: {resp}");

    let seen = w.meal_on_menu(w.tomorrow(), &meal).await;
    assert_eq!(seen["booked"], 5);
    assert_eq!(seen["available"], 0);
    assert!(w.my_bookings("demo-elder").await.is_empty(), "a refused booking leaves nothing behind");
    w.app.assert_ledger_balanced().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twelve_residents_booking_five_portions_at_once_get_exactly_five_bookings() {
    let w = World::new().await;
    let day = w.tomorrow();
    let meal = w.meal("儿童营养餐", 1000, 5).await;
    let mut diners: Vec<String> =
        ["demo-resident-1", "demo-resident-2", "demo-elder", "demo-member-1"].into_iter().map(str::to_owned).collect();
    for n in 1..=8 {
        let openid = format!("canteen-diner-{n}");
        w.fresh_resident(&openid).await;
        diners.push(openid);
    }
    for who in &diners {
        w.session(who).await;
    }
    assert_eq!(diners.len(), 12);

    let w = &w;
    let meal_ref = &meal;
    let results: Vec<(String, Value)> =
        join_all(diners.iter().map(|who| async move { (who.clone(), w.book(who, meal_ref, 1, &key("rush")).await) }))
            .await;
    let outcomes: Vec<String> = results.iter().map(|(_, r)| outcome(r)).collect();
    assert_eq!(count(&outcomes, "OK"), 5, "{outcomes:?}");
    assert_eq!(count(&outcomes, "CONFLICT"), 7, "{outcomes:?}");

    let seen = w.meal_on_menu(day, &meal).await;
    assert_eq!(seen["booked"], 5, "{seen}");
    assert_eq!(seen["available"], 0, "{seen}");

    // The sheet lists exactly the five winners.
    let mut winners = HashSet::new();
    for (who, resp) in results.iter().filter(|(_, r)| outcome(r) == "OK") {
        winners.insert(w.id_of(who).await);
        assert_eq!(payload(resp)["status"], "BOOKED");
    }
    let line = w.sheet_line(day, &meal).await;
    assert_eq!(line["booked"], 5, "{line}");
    let on_sheet: HashSet<String> =
        line["bookings"].as_array().unwrap().iter().map(|b| b["diner"]["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(on_sheet, winners);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn a_booking_retried_with_the_same_key_books_once() {
    let w = World::new().await;
    let meal = w.meal("8元工作餐", 800, 20).await;
    let k = key("retry");
    let first = w.book("demo-resident-1", &meal, 2, &k).await;
    let first = payload(&first).clone();
    let again = w.book("demo-resident-1", &meal, 2, &k).await;
    let again = payload(&again);
    assert_eq!(again["id"], first["id"], "the retry returns the same booking");
    assert_eq!(again["quantity"], 2);
    assert_eq!(again["priceFen"], 1600);
    assert_eq!(w.meal_on_menu(w.tomorrow(), &meal).await["booked"], 2, "two portions, not four");
    assert_eq!(w.my_bookings("demo-resident-1").await.len(), 1);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn the_same_booking_key_for_another_quantity_or_meal_is_a_conflict() {
    let w = World::new().await;
    let meal = w.meal("8元工作餐", 800, 20).await;
    let other = w.meal("6元工作餐", 600, 20).await;
    let k = key("same-key");
    let first = w.book("demo-resident-1", &meal, 1, &k).await;
    payload(&first);
    let resp = w.book("demo-resident-1", &meal, 2, &k).await;
    assert_eq!(outcome(&resp), "CONFLICT", "{resp}");
    let resp = w.book("demo-resident-1", &other, 1, &k).await;
    assert_eq!(outcome(&resp), "CONFLICT", "{resp}");

    assert_eq!(w.meal_on_menu(w.tomorrow(), &meal).await["booked"], 1);
    assert_eq!(w.meal_on_menu(w.tomorrow(), &other).await["booked"], 0);
    assert_eq!(w.my_bookings("demo-resident-1").await.len(), 1);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn two_residents_who_happen_to_use_the_same_key_each_get_their_own_booking() {
    let w = World::new().await;
    let meal = w.meal("8元工作餐", 800, 20).await;
    let k = key("shared");
    let a = w.book("demo-resident-1", &meal, 1, &k).await;
    let b = w.book("demo-resident-2", &meal, 1, &k).await;
    assert_ne!(payload(&a)["id"], payload(&b)["id"]);
    assert_eq!(payload(&b)["diner"]["id"], w.id_of("demo-resident-2").await.as_str());
    assert_eq!(w.meal_on_menu(w.tomorrow(), &meal).await["booked"], 2);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_booking_retried_six_times_at_once_books_once() {
    let w = World::new().await;
    let meal = w.meal("10元工作餐", 1000, 20).await;
    w.session("demo-resident-1").await;
    let k = key("double-tap");
    let results = join_all((0..6).map(|_| w.book("demo-resident-1", &meal, 2, &k))).await;
    let outcomes: Vec<String> = results.iter().map(outcome).collect();
    assert_eq!(count(&outcomes, "OK"), 6, "every retry gets the booking: {outcomes:?}");
    let ids: HashSet<String> = results.iter().map(|r| id(payload(r))).collect();
    assert_eq!(ids.len(), 1, "one booking: {ids:?}");
    assert_eq!(w.meal_on_menu(w.tomorrow(), &meal).await["booked"], 2);
    assert_eq!(w.my_bookings("demo-resident-1").await.len(), 1);
    w.app.assert_ledger_balanced().await;
}

// ---------------------------------------------------------------------------
// The cutoff
// ---------------------------------------------------------------------------

#[tokio::test]
async fn bookings_close_at_nine_o_clock_shanghai_time_on_the_day_of_the_meal() {
    let w = World::new().await;
    let day = w.tomorrow();
    let meal = w.meal("6元工作餐", 600, 20).await;

    w.move_clock_to(day, 8, 59);
    let last_minute = w.booked("demo-resident-1", &meal, 1).await;
    assert_eq!(last_minute["status"], "BOOKED");

    w.move_clock_to(day, 9, 0);
    let resp = w.book("demo-resident-2", &meal, 1, &key("at-nine")).await;
    assert_eq!(outcome(&resp), "INVALID_STATE", "bookings close at 09:00: {resp}");

    w.app.clock.advance(Duration::hours(3));
    let resp = w.book("demo-resident-2", &meal, 1, &key("at-noon")).await;
    assert_eq!(outcome(&resp), "INVALID_STATE", "{resp}");

    assert_eq!(w.meal_on_menu(day, &meal).await["booked"], 1);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn a_later_cutoff_hour_keeps_bookings_open_longer() {
    let w = World::new().await;
    let day = w.tomorrow();
    let meal = w.meal("8元工作餐", 800, 20).await;
    let set = w.set_settings("demo-canteen", json!({ "cutoffHour": 11 })).await;
    assert_eq!(payload(&set)["cutoffHour"], 11);

    w.move_clock_to(day, 10, 30);
    let b = w.booked("demo-resident-1", &meal, 1).await;
    assert_eq!(b["status"], "BOOKED");
    // Cancelling is open until the same hour.
    let other = w.booked("demo-resident-2", &meal, 1).await;
    let resp = w.cancel("demo-resident-2", &id(&other)).await;
    assert_eq!(payload(&resp)["status"], "CANCELLED");

    w.move_clock_to(day, 11, 0);
    let resp = w.book("demo-resident-2", &meal, 1, &key("late")).await;
    assert_eq!(outcome(&resp), "INVALID_STATE", "{resp}");
    let resp = w.cancel("demo-resident-1", &id(&b)).await;
    assert_eq!(outcome(&resp), "INVALID_STATE", "{resp}");
    assert_eq!(w.meal_on_menu(day, &meal).await["booked"], 1);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn the_day_after_tomorrow_is_still_open_when_tomorrow_s_bookings_have_closed() {
    let w = World::new().await;
    let tomorrow = w.tomorrow();
    let later = tomorrow + Duration::days(1);
    let soon = w.meal_on(tomorrow, "WORKER_SET", "6元工作餐", 600, 20).await;
    let after = w.meal_on(later, "WORKER_SET", "6元工作餐", 600, 20).await;
    w.move_clock_to(tomorrow, 12, 0);
    let resp = w.book("demo-resident-1", &soon, 1, &key("closed")).await;
    assert_eq!(outcome(&resp), "INVALID_STATE", "{resp}");
    let b = w.booked("demo-resident-1", &after, 1).await;
    assert_eq!(b["servedOn"], later.to_string());
    w.app.assert_ledger_balanced().await;
}

// ---------------------------------------------------------------------------
// Cancelling
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_resident_cancels_before_the_cutoff_and_the_portion_is_free_again() {
    let w = World::new().await;
    let meal = w.meal("10元工作餐", 1000, 1).await;
    let b = w.booked("demo-resident-1", &meal, 1).await;
    let resp = w.book("demo-resident-2", &meal, 1, &key("wait")).await;
    assert_eq!(outcome(&resp), "CONFLICT", "{resp}");

    let cancelled = w.cancel("demo-resident-1", &id(&b)).await;
    let cancelled = payload(&cancelled);
    assert_eq!(cancelled["status"], "CANCELLED");
    assert_eq!(cancelled["id"], b["id"]);
    let seen = w.meal_on_menu(w.tomorrow(), &meal).await;
    assert_eq!(seen["booked"], 0);
    assert_eq!(seen["available"], 1);

    // Cancelling twice does not free a second portion.
    let resp = w.cancel("demo-resident-1", &id(&b)).await;
    assert_eq!(outcome(&resp), "INVALID_STATE", "{resp}");
    assert_eq!(w.meal_on_menu(w.tomorrow(), &meal).await["booked"], 0);

    // The freed portion goes to the next resident.
    let next = w.booked("demo-resident-2", &meal, 1).await;
    assert_eq!(next["status"], "BOOKED");
    assert_eq!(w.meal_on_menu(w.tomorrow(), &meal).await["available"], 0);
    assert_eq!(w.my_booking("demo-resident-1", &id(&b)).await["status"], "CANCELLED");
    w.app.assert_ledger_balanced().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cancel_tapped_five_times_at_once_frees_the_portions_once() {
    let w = World::new().await;
    let meal = w.meal("6元工作餐", 600, 10).await;
    w.booked("demo-resident-2", &meal, 3).await;
    let b = w.booked("demo-resident-1", &meal, 2).await;
    let b_id = id(&b);
    let results: Vec<String> =
        join_all((0..5).map(|_| w.cancel("demo-resident-1", &b_id))).await.iter().map(outcome).collect();
    assert_eq!(count(&results, "OK"), 1, "{results:?}");
    assert_eq!(count(&results, "INVALID_STATE"), 4, "{results:?}");
    let seen = w.meal_on_menu(w.tomorrow(), &meal).await;
    assert_eq!(seen["booked"], 3, "only resident 2's portions remain booked: {seen}");
    assert_eq!(seen["available"], 7);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn a_booking_cancelled_and_collected_at_the_same_moment_ends_one_way_only() {
    let w = World::new().await;
    let meal = w.meal("6元工作餐", 600, 10).await;
    let b = w.booked("demo-resident-1", &meal, 2).await;
    let b_id = id(&b);
    let (cancelled, collected) = tokio::join!(w.cancel("demo-resident-1", &b_id), w.collect("demo-canteen", &b_id));
    let results = [outcome(&cancelled), outcome(&collected)];
    assert_eq!(count(&results, "OK"), 1, "{results:?}");
    assert_eq!(count(&results, "INVALID_STATE"), 1, "{results:?}");
    let status = w.my_booking("demo-resident-1", &b_id).await["status"].clone();
    let booked = w.meal_on_menu(w.tomorrow(), &meal).await["booked"].clone();
    if outcome(&cancelled) == "OK" {
        assert_eq!((status, booked), (json!("CANCELLED"), json!(0)), "the portions are free again");
    } else {
        assert_eq!((status, booked), (json!("COLLECTED"), json!(2)), "the portions were served");
    }
}

#[tokio::test]
async fn only_the_diner_cancels_a_booking() {
    let w = World::new().await;
    let meal = w.meal("8元工作餐", 800, 10).await;
    let b = w.booked("demo-resident-1", &meal, 1).await;
    for who in ["demo-canteen", "demo-secretary"] {
        let resp = w.cancel(who, &id(&b)).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }
    assert_refused(&w.cancel("demo-resident-2", &id(&b)).await);
    assert_eq!(outcome(&w.cancel("demo-resident-3", &id(&b)).await), "NOT_FOUND");

    assert_eq!(w.my_booking("demo-resident-1", &id(&b)).await["status"], "BOOKED");
    assert_eq!(w.meal_on_menu(w.tomorrow(), &meal).await["booked"], 1);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn a_booking_cannot_be_cancelled_after_the_cutoff() {
    let w = World::new().await;
    let day = w.tomorrow();
    let meal = w.meal("8元工作餐", 800, 10).await;
    let b = w.booked("demo-resident-1", &meal, 2).await;
    w.move_clock_to(day, 9, 0);
    let resp = w.cancel("demo-resident-1", &id(&b)).await;
    assert_eq!(outcome(&resp), "INVALID_STATE", "{resp}");
    w.app.clock.advance(Duration::hours(2));
    let resp = w.cancel("demo-resident-1", &id(&b)).await;
    assert_eq!(outcome(&resp), "INVALID_STATE", "{resp}");

    assert_eq!(w.my_booking("demo-resident-1", &id(&b)).await["status"], "BOOKED");
    assert_eq!(w.meal_on_menu(day, &meal).await["booked"], 2);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn a_paid_booking_cannot_be_cancelled() {
    let w = World::new().await;
    let meal = w.meal("6元工作餐", 600, 10).await;
    let b = w.booked("demo-resident-1", &meal, 1).await;
    payload(&w.pay("demo-canteen", &id(&b), "CASH").await);
    let resp = w.cancel("demo-resident-1", &id(&b)).await;
    assert_eq!(outcome(&resp), "INVALID_STATE", "{resp}");
    let mine = w.my_booking("demo-resident-1", &id(&b)).await;
    assert_eq!(mine["status"], "BOOKED");
    assert_eq!(mine["paidFen"], 600);
    assert_eq!(w.meal_on_menu(w.tomorrow(), &meal).await["booked"], 1);
    w.app.assert_ledger_balanced().await;
}

// ---------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_canteen_settings_default_to_a_nine_o_clock_cutoff_and_a_ten_point_coupon_worth_two_yuan() {
    let w = World::new().await;
    for who in ["demo-resident-1", "demo-canteen", "demo-secretary"] {
        let s = w.settings(who).await;
        assert_eq!(s, json!({ "cutoffHour": 9, "couponPoints": 10, "couponValueFen": 200 }), "{who}");
    }
    let resp = w.gql("demo-resident-3", SETTINGS, json!({ "c": w.chengnan })).await;
    assert_eq!(outcome(&resp), "NOT_FOUND", "{resp}");
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn the_operator_or_the_secretary_changes_the_settings_a_part_at_a_time() {
    let w = World::new().await;
    let resp = w.set_settings("demo-canteen", json!({ "cutoffHour": 10 })).await;
    assert_eq!(payload(&resp), &json!({ "cutoffHour": 10, "couponPoints": 10, "couponValueFen": 200 }));
    let resp = w.set_settings("demo-secretary", json!({ "couponValueFen": 300 })).await;
    assert_eq!(payload(&resp), &json!({ "cutoffHour": 10, "couponPoints": 10, "couponValueFen": 300 }));
    let resp = w.set_settings("demo-canteen", json!({ "couponPoints": 15 })).await;
    assert_eq!(payload(&resp), &json!({ "cutoffHour": 10, "couponPoints": 15, "couponValueFen": 300 }));
    assert_eq!(
        w.settings("demo-resident-1").await,
        json!({ "cutoffHour": 10, "couponPoints": 15, "couponValueFen": 300 })
    );
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn residents_cannot_change_the_settings_and_the_cutoff_is_an_hour_of_the_day() {
    let w = World::new().await;
    for who in ["demo-resident-1", "demo-member-1"] {
        let resp = w.set_settings(who, json!({ "cutoffHour": 12 })).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }
    let resp = w.set_settings("demo-resident-3", json!({ "cutoffHour": 12 })).await;
    assert_eq!(outcome(&resp), "NOT_FOUND", "{resp}");
    let resp = w.set_settings("demo-canteen", json!({ "cutoffHour": 24 })).await;
    assert_eq!(outcome(&resp), "BAD_USER_INPUT", "{resp}");
    assert_eq!(error_field(&resp), "cutoffHour");
    assert_eq!(
        w.settings("demo-resident-1").await,
        json!({ "cutoffHour": 9, "couponPoints": 10, "couponValueFen": 200 }),
        "nothing changed"
    );
    w.app.assert_ledger_balanced().await;
}

// ---------------------------------------------------------------------------
// Coupons
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_coupon_bought_with_ten_civility_points_takes_two_yuan_off_a_booking() {
    let w = World::new().await;
    w.award("demo-resident-1", 20).await;
    assert_eq!(w.balance("demo-resident-1").await, 20);
    let meal = w.meal("8元工作餐", 800, 10).await;
    let b = w.booked("demo-resident-1", &meal, 1).await;

    let resp = w.coupon("demo-resident-1", &id(&b)).await;
    let with_coupon = payload(&resp);
    assert_eq!(with_coupon["id"], b["id"]);
    assert_eq!(with_coupon["priceFen"], 800);
    assert_eq!(with_coupon["discountFen"], 200);
    assert_eq!(with_coupon["dueFen"], 600);
    assert_eq!(with_coupon["status"], "BOOKED");
    assert!(with_coupon["paidFen"].is_null());
    assert_eq!(w.balance("demo-resident-1").await, 10);
    assert_eq!(w.statement("demo-resident-1").await.iter().sum::<i64>(), 10);
    assert!(w.statement("demo-resident-1").await.contains(&-10), "the statement shows the coupon");

    // The operator sees the discount at the counter.
    let line = w.sheet_line(w.tomorrow(), &meal).await;
    assert_eq!(line["bookings"][0]["id"], b["id"]);
    w.assert_books_consistent().await;
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn a_coupon_takes_off_no_more_than_the_booking_costs() {
    let w = World::new().await;
    w.award("demo-resident-1", 10).await;
    let meal = w.meal("小份米饭", 150, 10).await;
    let b = w.booked("demo-resident-1", &meal, 1).await;
    let resp = w.coupon("demo-resident-1", &id(&b)).await;
    let c = payload(&resp);
    assert_eq!(c["priceFen"], 150);
    assert_eq!(c["discountFen"], 150);
    assert_eq!(c["dueFen"], 0);
    assert_eq!(w.balance("demo-resident-1").await, 0);

    let resp = w.pay("demo-canteen", &id(&b), "CASH").await;
    let paid = payload(&resp);
    assert_eq!(paid["paidFen"], 0, "nothing is left to pay: {paid}");
    assert_eq!(paid["dueFen"], 0);
    assert_eq!(paid["paymentMethod"], "CASH");
    w.assert_books_consistent().await;
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn a_coupon_on_several_portions_takes_off_its_value_once() {
    let w = World::new().await;
    w.award("demo-resident-2", 10).await;
    let meal = w.meal("6元工作餐", 600, 10).await;
    let b = w.booked("demo-resident-2", &meal, 3).await;
    let resp = w.coupon("demo-resident-2", &id(&b)).await;
    let c = payload(&resp);
    assert_eq!(c["priceFen"], 1800);
    assert_eq!(c["discountFen"], 200);
    assert_eq!(c["dueFen"], 1600);
    assert_eq!(w.balance("demo-resident-2").await, 0);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn without_enough_points_a_coupon_is_refused_and_nothing_changes() {
    let w = World::new().await;
    let meal = w.meal("8元工作餐", 800, 10).await;

    // No points at all.
    let b = w.booked("demo-resident-2", &meal, 1).await;
    let resp = w.coupon("demo-resident-2", &id(&b)).await;
    assert_eq!(outcome(&resp), "INSUFFICIENT_POINTS", "{resp}");
    assert_eq!(w.balance("demo-resident-2").await, 0);

    // Some points, but fewer than a coupon costs.
    w.award("demo-resident-1", 9).await;
    let b = w.booked("demo-resident-1", &meal, 1).await;
    let resp = w.coupon("demo-resident-1", &id(&b)).await;
    assert_eq!(outcome(&resp), "INSUFFICIENT_POINTS", "{resp}");
    assert_eq!(w.balance("demo-resident-1").await, 9);
    assert_eq!(w.statement("demo-resident-1").await, vec![9], "no coupon line on the statement");
    let mine = w.my_booking("demo-resident-1", &id(&b)).await;
    assert_eq!(mine["discountFen"], 0);
    assert_eq!(mine["dueFen"], 800);

    // With one more point the coupon goes through: the refusal left no mark.
    w.award("demo-resident-1", 1).await;
    let resp = w.coupon("demo-resident-1", &id(&b)).await;
    assert_eq!(payload(&resp)["discountFen"], 200);
    assert_eq!(w.balance("demo-resident-1").await, 0);
    w.assert_books_consistent().await;
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn a_booking_takes_one_coupon_only() {
    let w = World::new().await;
    w.award("demo-resident-1", 20).await;
    let meal = w.meal("10元工作餐", 1000, 10).await;
    let b = w.booked_with_a_coupon("demo-resident-1", &meal).await;
    let resp = w.coupon("demo-resident-1", &id(&b)).await;
    assert_eq!(outcome(&resp), "INVALID_STATE", "{resp}");
    assert_eq!(w.balance("demo-resident-1").await, 10, "the second coupon spent nothing");
    let mine = w.my_booking("demo-resident-1", &id(&b)).await;
    assert_eq!(mine["discountFen"], 200);
    assert_eq!(mine["dueFen"], 800);
    w.assert_books_consistent().await;
    w.app.assert_ledger_balanced().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn coupons_requested_five_times_at_once_on_one_booking_spend_the_points_once() {
    let w = World::new().await;
    w.award("demo-resident-1", 20).await;
    let meal = w.meal("10元工作餐", 1000, 10).await;
    let b = w.booked("demo-resident-1", &meal, 1).await;
    let b_id = id(&b);
    let results: Vec<String> =
        join_all((0..5).map(|_| w.coupon("demo-resident-1", &b_id))).await.iter().map(outcome).collect();
    assert_eq!(count(&results, "OK"), 1, "{results:?}");
    assert_eq!(count(&results, "INVALID_STATE"), 4, "{results:?}");
    assert_eq!(w.balance("demo-resident-1").await, 10);
    assert_eq!(w.my_booking("demo-resident-1", &b_id).await["discountFen"], 200);
    w.assert_books_consistent().await;
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn only_the_diner_uses_a_coupon_on_a_booking() {
    let w = World::new().await;
    w.award("demo-resident-1", 20).await;
    w.award("demo-resident-2", 20).await;
    let meal = w.meal("8元工作餐", 800, 10).await;
    let b = w.booked("demo-resident-1", &meal, 1).await;
    let resp = w.coupon("demo-canteen", &id(&b)).await;
    assert_eq!(outcome(&resp), "FORBIDDEN", "{resp}");
    assert_refused(&w.coupon("demo-resident-2", &id(&b)).await);
    assert_eq!(w.balance("demo-resident-1").await, 20);
    assert_eq!(w.balance("demo-resident-2").await, 20);
    assert_eq!(w.my_booking("demo-resident-1", &id(&b)).await["discountFen"], 0);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn a_coupon_is_not_used_on_a_paid_or_cancelled_booking() {
    let w = World::new().await;
    w.award("demo-resident-1", 20).await;
    let meal = w.meal("8元工作餐", 800, 10).await;
    let paid = w.booked("demo-resident-1", &meal, 1).await;
    payload(&w.pay("demo-canteen", &id(&paid), "WECHAT_PAY").await);
    let resp = w.coupon("demo-resident-1", &id(&paid)).await;
    assert_eq!(outcome(&resp), "INVALID_STATE", "{resp}");

    let cancelled = w.booked("demo-resident-1", &meal, 1).await;
    payload(&w.cancel("demo-resident-1", &id(&cancelled)).await);
    let resp = w.coupon("demo-resident-1", &id(&cancelled)).await;
    assert_eq!(outcome(&resp), "INVALID_STATE", "{resp}");

    assert_eq!(w.balance("demo-resident-1").await, 20, "no points were spent");
    assert_eq!(w.my_booking("demo-resident-1", &id(&paid)).await["paidFen"], 800);
    w.assert_books_consistent().await;
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn cancelling_a_booking_with_a_coupon_returns_the_points() {
    let w = World::new().await;
    w.award("demo-resident-1", 20).await;
    let meal = w.meal("8元工作餐", 800, 10).await;
    let b = w.booked_with_a_coupon("demo-resident-1", &meal).await;
    assert_eq!(w.balance("demo-resident-1").await, 10);

    let resp = w.cancel("demo-resident-1", &id(&b)).await;
    assert_eq!(payload(&resp)["status"], "CANCELLED");
    assert_eq!(w.balance("demo-resident-1").await, 20, "the coupon's points came back");
    let statement = w.statement("demo-resident-1").await;
    assert_eq!(statement.iter().sum::<i64>(), 20, "{statement:?}");
    assert!(statement.contains(&10) && statement.contains(&-10), "spent and returned: {statement:?}");
    assert_eq!(w.meal_on_menu(w.tomorrow(), &meal).await["booked"], 0);

    // The points buy a coupon on the next booking.
    w.booked_with_a_coupon("demo-resident-1", &meal).await;
    assert_eq!(w.balance("demo-resident-1").await, 10);
    w.assert_books_consistent().await;
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn cancelling_returns_what_the_coupon_cost_even_after_coupons_get_cheaper() {
    cancelling_returns_the_10_points_the_coupon_cost_after_coupons_cost(5).await;
}

#[tokio::test]
async fn cancelling_returns_what_the_coupon_cost_even_after_coupons_get_dearer() {
    cancelling_returns_the_10_points_the_coupon_cost_after_coupons_cost(15).await;
}

/// A coupon bought for 10 points, then the canteen sets coupons to `now`
/// points: cancelling the booking gives back the 10 it cost.
async fn cancelling_returns_the_10_points_the_coupon_cost_after_coupons_cost(now: i64) {
    let w = World::new().await;
    w.award("demo-resident-1", 20).await;
    let meal = w.meal("8元工作餐", 800, 10).await;
    let b = w.booked_with_a_coupon("demo-resident-1", &meal).await;
    assert_eq!(w.balance("demo-resident-1").await, 10);

    payload(&w.set_settings("demo-canteen", json!({ "couponPoints": now })).await);
    let resp = w.cancel("demo-resident-1", &id(&b)).await;
    assert_eq!(payload(&resp)["status"], "CANCELLED");
    assert_eq!(w.balance("demo-resident-1").await, 20, "the 10 points the coupon cost come back, not {now}");
    w.assert_books_consistent().await;
    w.app.assert_ledger_balanced().await;
}

// ---------------------------------------------------------------------------
// The counter: payment and collection
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_operator_records_payment_in_cash_or_by_wechat_pay() {
    let w = World::new().await;
    w.award("demo-resident-2", 10).await;
    let meal = w.meal("10元工作餐", 1000, 10).await;
    let cash = w.booked("demo-resident-1", &meal, 2).await;
    let wechat = w.booked("demo-resident-2", &meal, 1).await;
    payload(&w.coupon("demo-resident-2", &id(&wechat)).await);

    let resp = w.pay("demo-canteen", &id(&cash), "CASH").await;
    let p = payload(&resp);
    assert_eq!(p["priceFen"], 2000);
    assert_eq!(p["paidFen"], 2000);
    assert_eq!(p["dueFen"], 0);
    assert_eq!(p["paymentMethod"], "CASH");
    assert!(p["paidAt"].is_string(), "{p}");
    assert_eq!(p["status"], "BOOKED", "paying is not collecting");

    let resp = w.pay("demo-canteen", &id(&wechat), "WECHAT_PAY").await;
    let p = payload(&resp);
    assert_eq!(p["priceFen"], 1000);
    assert_eq!(p["discountFen"], 200);
    assert_eq!(p["paidFen"], 800, "the price less the coupon");
    assert_eq!(p["dueFen"], 0);
    assert_eq!(p["paymentMethod"], "WECHAT_PAY");

    // The diner sees it paid.
    let mine = w.my_booking("demo-resident-1", &id(&cash)).await;
    assert_eq!(mine["paidFen"], 2000);
    assert_eq!(mine["paymentMethod"], "CASH");
    w.assert_books_consistent().await;
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn only_the_operator_takes_payment() {
    let w = World::new().await;
    let meal = w.meal("8元工作餐", 800, 10).await;
    let b = w.booked("demo-resident-1", &meal, 1).await;
    let resp = w.pay("demo-resident-1", &id(&b), "CASH").await;
    assert_eq!(outcome(&resp), "FORBIDDEN", "the diner does not mark their own meal paid: {resp}");
    assert_refused(&w.pay("demo-resident-2", &id(&b), "CASH").await);
    assert_eq!(outcome(&w.pay("demo-resident-3", &id(&b), "CASH").await), "NOT_FOUND");
    let mine = w.my_booking("demo-resident-1", &id(&b)).await;
    assert!(mine["paidFen"].is_null(), "{mine}");
    assert_eq!(mine["dueFen"], 800);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn a_booking_is_paid_once_and_never_once_cancelled() {
    let w = World::new().await;
    let meal = w.meal("6元工作餐", 600, 10).await;
    let b = w.booked("demo-resident-1", &meal, 1).await;
    payload(&w.pay("demo-canteen", &id(&b), "CASH").await);
    let resp = w.pay("demo-canteen", &id(&b), "WECHAT_PAY").await;
    assert_eq!(outcome(&resp), "INVALID_STATE", "{resp}");
    let mine = w.my_booking("demo-resident-1", &id(&b)).await;
    assert_eq!(mine["paidFen"], 600);
    assert_eq!(mine["paymentMethod"], "CASH", "the first payment stands");

    let c = w.booked("demo-resident-2", &meal, 1).await;
    payload(&w.cancel("demo-resident-2", &id(&c)).await);
    let resp = w.pay("demo-canteen", &id(&c), "CASH").await;
    assert_eq!(outcome(&resp), "INVALID_STATE", "{resp}");
    assert!(w.my_booking("demo-resident-2", &id(&c)).await["paidFen"].is_null());

    let line = w.sheet_line(w.tomorrow(), &meal).await;
    assert_eq!(line["takingsFen"], 600, "{line}");
    w.assert_books_consistent().await;
    w.app.assert_ledger_balanced().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_payment_recorded_five_times_at_once_is_taken_once() {
    let w = World::new().await;
    let meal = w.meal("10元工作餐", 1000, 10).await;
    let b = w.booked("demo-resident-1", &meal, 2).await;
    let b_id = id(&b);
    w.session("demo-canteen").await;
    let results: Vec<String> =
        join_all((0..5).map(|_| w.pay("demo-canteen", &b_id, "CASH"))).await.iter().map(outcome).collect();
    assert_eq!(count(&results, "OK"), 1, "{results:?}");
    assert_eq!(count(&results, "INVALID_STATE"), 4, "{results:?}");
    let line = w.sheet_line(w.tomorrow(), &meal).await;
    assert_eq!(line["takingsFen"], 2000, "{line}");
    assert_eq!(line["paid"], 2, "{line}");
    w.assert_books_consistent().await;
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn the_operator_marks_a_meal_collected_once() {
    let w = World::new().await;
    let day = w.tomorrow();
    let meal = w.meal("8元工作餐", 800, 10).await;
    let b = w.booked("demo-resident-1", &meal, 1).await;
    w.move_clock_to(day, 11, 45);

    let resp = w.collect("demo-resident-1", &id(&b)).await;
    assert_eq!(outcome(&resp), "FORBIDDEN", "{resp}");
    let resp = w.collect("demo-canteen", &id(&b)).await;
    let c = payload(&resp);
    assert_eq!(c["status"], "COLLECTED");
    assert!(c["collectedAt"].is_string(), "{c}");
    let resp = w.collect("demo-canteen", &id(&b)).await;
    assert_eq!(outcome(&resp), "INVALID_STATE", "{resp}");

    // A cancelled booking is not served.
    let day_after = w.tomorrow();
    let later = w.meal_on(day_after, "WORKER_SET", "6元工作餐", 600, 10).await;
    let gone = w.booked("demo-resident-2", &later, 1).await;
    payload(&w.cancel("demo-resident-2", &id(&gone)).await);
    let resp = w.collect("demo-canteen", &id(&gone)).await;
    assert_eq!(outcome(&resp), "INVALID_STATE", "{resp}");

    // A collected booking is no longer cancelled by the diner (the cutoff has passed anyway).
    assert_eq!(outcome(&w.cancel("demo-resident-1", &id(&b)).await), "INVALID_STATE");
    assert_eq!(w.my_booking("demo-resident-1", &id(&b)).await["status"], "COLLECTED");
    w.app.assert_ledger_balanced().await;
}

// ---------------------------------------------------------------------------
// The daily sheet and the diner's list
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_daily_sheet_counts_a_realistic_day_per_meal() {
    let w = World::new().await;
    let day = w.tomorrow();
    w.award("demo-resident-2", 20).await;
    w.award("demo-elder", 15).await;
    let meals = w.default_menu(day).await;
    let meal_id = |name: &str| id(meals.iter().find(|m| m["name"] == name).unwrap());
    let (six, eight, ten, child) =
        (meal_id("6元工作餐"), meal_id("8元工作餐"), meal_id("10元工作餐"), meal_id("儿童营养餐"));

    // The evening before and the morning: bookings, coupons, one cancellation.
    let r1_six = w.booked("demo-resident-1", &six, 1).await;
    let r2_six = w.booked("demo-resident-2", &six, 2).await;
    let elder_six = w.booked("demo-elder", &six, 1).await;
    let member_six = w.booked("demo-member-1", &six, 1).await;
    let r1_eight = w.booked("demo-resident-1", &eight, 1).await;
    let elder_eight = w.booked("demo-elder", &eight, 1).await;
    let r2_child = w.booked("demo-resident-2", &child, 1).await;
    payload(&w.coupon("demo-resident-2", &id(&r2_six)).await);
    payload(&w.coupon("demo-elder", &id(&elder_eight)).await);
    w.move_clock_to(day, 8, 30);
    payload(&w.cancel("demo-member-1", &id(&member_six)).await);

    // Lunchtime at the counter.
    w.move_clock_to(day, 11, 40);
    let paid = [
        (&r1_six, "CASH", 600),
        (&r2_six, "WECHAT_PAY", 1000),
        (&r1_eight, "WECHAT_PAY", 800),
        (&elder_eight, "CASH", 600),
        (&r2_child, "CASH", 1000),
    ];
    for (b, method, fen) in paid {
        let resp = w.pay("demo-canteen", &id(b), method).await;
        assert_eq!(payload(&resp)["paidFen"], fen, "{resp}");
    }
    for b in [&r1_six, &r1_eight, &elder_eight] {
        payload(&w.collect("demo-canteen", &id(b)).await);
    }

    let resp = w.try_sheet("demo-canteen", &w.chengnan, day).await;
    let sheet = payload(&resp).as_array().unwrap();
    assert_eq!(sheet.len(), 4, "one line per meal on the menu: {resp}");
    let line = |meal: &str| sheet.iter().find(|l| l["meal"]["id"] == meal).unwrap().clone();

    let l = line(&six);
    assert_eq!(l["meal"]["name"], "6元工作餐");
    assert_eq!(
        (&l["booked"], &l["collected"], &l["paid"], &l["takingsFen"]),
        (&json!(4), &json!(1), &json!(3), &json!(1600)),
        "{l}"
    );
    let ids: HashSet<String> = l["bookings"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(ids, [&r1_six, &r2_six, &elder_six].into_iter().map(id).collect(), "the cancelled booking is left off");
    let elder_line = l["bookings"].as_array().unwrap().iter().find(|b| b["id"] == elder_six["id"]).unwrap();
    assert_eq!(elder_line["diner"]["id"], w.id_of("demo-elder").await.as_str());
    assert_eq!(elder_line["status"], "BOOKED");
    assert!(elder_line["paidFen"].is_null(), "the elder has not paid yet: {elder_line}");
    let r2_line = l["bookings"].as_array().unwrap().iter().find(|b| b["id"] == r2_six["id"]).unwrap();
    assert_eq!(r2_line["quantity"], 2);
    assert_eq!(r2_line["paidFen"], 1000);

    let l = line(&eight);
    assert_eq!(
        (&l["booked"], &l["collected"], &l["paid"], &l["takingsFen"]),
        (&json!(2), &json!(2), &json!(2), &json!(1400)),
        "{l}"
    );
    assert!(l["bookings"].as_array().unwrap().iter().all(|b| b["status"] == "COLLECTED"), "{l}");

    let l = line(&ten);
    assert_eq!(
        (&l["booked"], &l["collected"], &l["paid"], &l["takingsFen"]),
        (&json!(0), &json!(0), &json!(0), &json!(0)),
        "{l}"
    );
    assert!(l["bookings"].as_array().unwrap().is_empty());

    let l = line(&child);
    assert_eq!(
        (&l["booked"], &l["collected"], &l["paid"], &l["takingsFen"]),
        (&json!(1), &json!(0), &json!(1), &json!(1000)),
        "{l}"
    );

    // The menu agrees: the cancelled portion was freed.
    assert_eq!(w.meal_on_menu(day, &six).await["booked"], 4);

    // Money and points do not mix: only the coupons touched the points.
    assert_eq!(w.balance("demo-resident-2").await, 10);
    assert_eq!(w.balance("demo-elder").await, 5);
    assert_eq!(w.balance("demo-resident-1").await, 0);
    assert_eq!(w.balance("demo-member-1").await, 0);
    w.assert_books_consistent().await;
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn the_daily_sheet_is_for_the_operator_and_the_secretary() {
    let w = World::new().await;
    let day = w.tomorrow();
    let meal = w.meal("8元工作餐", 800, 10).await;
    w.booked("demo-resident-1", &meal, 1).await;
    for who in ["demo-canteen", "demo-secretary"] {
        let resp = w.try_sheet(who, &w.chengnan, day).await;
        assert_eq!(payload(&resp).as_array().unwrap().len(), 1, "{who}: {resp}");
    }
    for who in ["demo-resident-1", "demo-elder", "demo-member-1"] {
        let resp = w.try_sheet(who, &w.chengnan, day).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }
    let resp = w.try_sheet("demo-resident-3", &w.chengnan, day).await;
    assert_eq!(outcome(&resp), "NOT_FOUND", "{resp}");
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn my_meal_bookings_lists_only_the_caller_s_own_bookings() {
    let w = World::new().await;
    let six = w.meal("6元工作餐", 600, 20).await;
    let eight = w.meal("8元工作餐", 800, 20).await;
    let a = w.booked("demo-resident-1", &six, 1).await;
    let b = w.booked("demo-resident-1", &eight, 2).await;
    let theirs = w.booked("demo-resident-2", &six, 1).await;

    let mine: HashSet<String> = w.my_bookings("demo-resident-1").await.iter().map(id).collect();
    assert_eq!(mine, [id(&a), id(&b)].into_iter().collect());
    let listed = w.my_bookings("demo-resident-2").await;
    assert_eq!(listed.iter().map(id).collect::<Vec<_>>(), vec![id(&theirs)]);
    assert_eq!(listed[0]["diner"]["id"], w.id_of("demo-resident-2").await.as_str());
    assert!(w.my_bookings("demo-elder").await.is_empty());
    assert!(w.my_bookings("demo-canteen").await.is_empty(), "the operator has booked nothing");

    let resp = w.gql("demo-resident-3", &my_bookings_query(), json!({ "c": w.chengnan })).await;
    assert_eq!(outcome(&resp), "NOT_FOUND", "{resp}");
    w.app.assert_ledger_balanced().await;
}

// ---------------------------------------------------------------------------
// Money and points
// ---------------------------------------------------------------------------

#[tokio::test]
async fn money_paid_at_the_counter_never_touches_civility_points() {
    let w = World::new().await;
    w.award("demo-resident-1", 20).await;
    let six = w.meal("6元工作餐", 600, 20).await;
    let ten = w.meal("10元工作餐", 1000, 20).await;
    let plain = w.booked("demo-resident-1", &six, 3).await;
    let discounted = w.booked("demo-resident-1", &ten, 1).await;
    payload(&w.coupon("demo-resident-1", &id(&discounted)).await);
    assert_eq!(w.balance("demo-resident-1").await, 10);
    let before = w.statement("demo-resident-1").await;

    assert_eq!(payload(&w.pay("demo-canteen", &id(&plain), "WECHAT_PAY").await)["paidFen"], 1800);
    assert_eq!(payload(&w.pay("demo-canteen", &id(&discounted), "CASH").await)["paidFen"], 800);
    payload(&w.collect("demo-canteen", &id(&plain)).await);

    assert_eq!(w.balance("demo-resident-1").await, 10, "2,600 fen paid, not a point moved");
    assert_eq!(w.statement("demo-resident-1").await, before, "no payment shows on the points statement");
    for who in ["demo-canteen", "demo-secretary"] {
        let resp = w.gql(who, ACCOUNT, json!({ "c": w.chengnan })).await;
        assert_eq!(payload(&resp)["balance"], 0, "{who} earned no points from the takings: {resp}");
    }
    w.assert_books_consistent().await;
    w.app.assert_ledger_balanced().await;
}
