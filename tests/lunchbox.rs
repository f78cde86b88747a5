// 爱心盒饭 end to end: the secretary and grid workers keep the roster; the
// day's delivery tasks are generated from it and the canteen's menu (a
// portion per recipient, never overselling against bookings); the red
// service team claims them (exactly one claimant), releases or delivers
// them (a photo, the recipient's own confirmation, cash at the door booked
// in fen), staff cancel them (the portion goes back); addresses and phones
// are masked for everyone but staff, the holder and the recipient; and
// lunchboxes still not delivered after the deliver-by time alert the grid
// worker and the secretaries exactly once.

use std::collections::HashMap;

use crate::common::*;
use chrono::{Duration, NaiveDate};
use futures_util::future::join_all;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const RECIPIENT_FIELDS: &str = "id name user { id } category address phone priceFen free mealKind gridWorker { id } \
     active note";
const DELIVERY_FIELDS: &str = "id date status recipientId recipientName category address phone contactMasked \
     recipientUser { id } mealId mealName mealKind priceFen claimant { id } claimedAt deliveredAt photoUrls \
     photoConfirmedAt recipientConfirmedAt cashFen undeliveredReason cancelledAt alertedAt \
     history { actor { id } fromStatus toStatus note }";

fn add_query() -> String {
    format!(
        "mutation($c: ID!, $i: LunchboxRecipientInput!) {{ addLunchboxRecipient(communityId: $c, input: $i) {{ \
         {RECIPIENT_FIELDS} }} }}"
    )
}
fn update_query() -> String {
    format!(
        "mutation($id: ID!, $i: LunchboxRecipientInput!) {{ updateLunchboxRecipient(id: $id, input: $i) {{ \
         {RECIPIENT_FIELDS} }} }}"
    )
}
fn roster_query() -> String {
    format!(
        "query($c: ID!, $all: Boolean!) {{ lunchboxRecipients(communityId: $c, includeInactive: $all, first: 100) {{ \
         totalCount edges {{ node {{ {RECIPIENT_FIELDS} }} }} }} }}"
    )
}
fn generate_query() -> String {
    format!(
        "mutation($c: ID!, $d: NaiveDate!) {{ generateLunchboxDeliveries(communityId: $c, date: $d) {{ \
         created {{ {DELIVERY_FIELDS} }} alreadyGenerated shortfalls {{ recipientId recipientName mealKind reason }} \
         }} }}"
    )
}
fn deliveries_query() -> String {
    format!(
        "query($c: ID!, $d: NaiveDate!, $s: LunchboxDeliveryStatus) {{ lunchboxDeliveries(communityId: $c, date: $d, \
         status: $s, first: 100) {{ totalCount counts {{ open claimed delivered undelivered cancelled total }} \
         edges {{ node {{ {DELIVERY_FIELDS} }} }} }} }}"
    )
}
fn open_query() -> String {
    format!(
        "query($c: ID!, $d: NaiveDate!) {{ openLunchboxDeliveries(communityId: $c, date: $d, first: 100) {{ \
         totalCount edges {{ node {{ {DELIVERY_FIELDS} }} }} }} }}"
    )
}
fn mine_query() -> String {
    format!("{{ myLunchboxDeliveries(first: 100) {{ totalCount edges {{ node {{ {DELIVERY_FIELDS} }} }} }} }}")
}
fn one_query() -> String {
    format!("query($id: ID!) {{ lunchboxDelivery(id: $id) {{ {DELIVERY_FIELDS} }} }}")
}
fn step_query(mutation: &str) -> String {
    format!("mutation($id: ID!) {{ {mutation}(id: $id) {{ {DELIVERY_FIELDS} }} }}")
}
fn confirm_query() -> String {
    format!(
        "mutation($id: ID!, $p: [String!]!, $cash: Int) {{ confirmLunchboxDelivered(id: $id, photoUrls: $p, \
         cashFen: $cash) {{ {DELIVERY_FIELDS} }} }}"
    )
}
fn received_query() -> String {
    format!("mutation($id: ID!) {{ confirmLunchboxReceived(taskId: $id) {{ {DELIVERY_FIELDS} }} }}")
}
fn undelivered_query() -> String {
    format!(
        "mutation($id: ID!, $r: String!) {{ reportLunchboxUndelivered(id: $id, reason: $r) {{ {DELIVERY_FIELDS} }} }}"
    )
}
fn cancel_query() -> String {
    format!("mutation($id: ID!, $r: String) {{ cancelLunchboxDelivery(id: $id, reason: $r) {{ {DELIVERY_FIELDS} }} }}")
}
const PUBLISH: &str = "mutation($c: ID!, $d: NaiveDate!, $items: [MealInput!]!) { publishCanteenMenu(communityId: $c, \
     date: $d, items: $items) { id name kind quantity booked } }";
const MENU: &str =
    "query($c: ID!, $d: NaiveDate!) { canteenMenu(communityId: $c, date: $d) { id name booked quantity } }";
const BOOK: &str = "mutation($m: ID!, $k: String!) { bookMeal(mealId: $m, quantity: 1, idempotencyKey: $k) { id } }";
const SETTINGS: &str = "query($c: ID!) { lunchboxSettings(communityId: $c) { deliverByMinute } }";
const SET_SETTINGS: &str = "mutation($c: ID!, $m: Int!) { setLunchboxSettings(communityId: $c, deliverByMinute: $m) { \
     deliverByMinute } }";
const INBOX: &str = "{ myNotifications(first: 100) { totalCount unreadCount edges { node { id kind subjectKind \
     subjectId title body read } } } }";
const PHOTO: &str = "https://img.example/lunchbox-handover.jpg";

area_world!();

impl World {
    /// The canteen publishes `items` (kind, name, portions) for `day`; name → meal id.
    async fn menu(&self, day: NaiveDate, items: &[(&str, &str, i64)]) -> HashMap<String, String> {
        let items: Vec<Value> = items
            .iter()
            .map(|(kind, name, q)| json!({ "kind": kind, "name": name, "priceFen": 800, "quantity": q }))
            .collect();
        let resp = self
            .gql("demo-canteen", PUBLISH, json!({ "c": self.chengnan, "d": day.to_string(), "items": items }))
            .await;
        payload(&resp).as_array().unwrap().iter().map(|m| (m["name"].as_str().unwrap().to_owned(), id(m))).collect()
    }

    /// `booked` of a meal as the menu shows it.
    async fn booked(&self, day: NaiveDate, meal: &str) -> i64 {
        let resp = self.gql("demo-canteen", MENU, json!({ "c": self.chengnan, "d": day.to_string() })).await;
        payload(&resp).as_array().unwrap().iter().find(|m| m["id"] == meal).unwrap()["booked"].as_i64().unwrap()
    }

    /// A roster entry's input: the grid worker is 吴网格员, free, worker set.
    async fn input(&self, name: &str) -> Value {
        json!({
            "name": name,
            "category": "EMPTY_NEST_ELDERLY",
            "address": "城南社区1栋1单元101",
            "phone": "13800001111",
            "mealKind": "WORKER_SET",
            "gridWorkerId": self.id_of("demo-grid").await,
        })
    }

    async fn try_add(&self, who: &str, input: Value) -> Value {
        self.gql(who, &add_query(), json!({ "c": self.chengnan, "i": input })).await
    }

    async fn add(&self, input: Value) -> Value {
        let resp = self.try_add("demo-secretary", input).await;
        payload(&resp).clone()
    }

    /// 吴奶奶 (demo-elder), linked to her account, on the roster; her entry.
    async fn add_elder(&self, price_fen: i64) -> Value {
        let mut input = self.input("吴奶奶").await;
        input["userId"] = json!(self.id_of("demo-elder").await);
        input["priceFen"] = json!(price_fen);
        self.add(input).await
    }

    async fn generate(&self, who: &str, day: NaiveDate) -> Value {
        self.gql(who, &generate_query(), json!({ "c": self.chengnan, "d": day.to_string() })).await
    }

    /// A menu for tomorrow, 吴奶奶 on the roster, and her task for tomorrow.
    async fn elder_task(&self, price_fen: i64) -> Value {
        let day = self.tomorrow();
        self.menu(day, &[("WORKER_SET", "8元工作餐", 10)]).await;
        self.add_elder(price_fen).await;
        let resp = self.generate("demo-secretary", day).await;
        payload(&resp)["created"][0].clone()
    }

    async fn step(&self, who: &str, mutation: &str, task: &str) -> Value {
        self.gql(who, &step_query(mutation), json!({ "id": task })).await
    }

    /// `deactivateLunchboxRecipient` / `reactivateLunchboxRecipient`.
    async fn roster_step(&self, who: &str, mutation: &str, entry: &str) -> Value {
        let q = format!("mutation($id: ID!) {{ {mutation}(id: $id) {{ {RECIPIENT_FIELDS} }} }}");
        self.gql(who, &q, json!({ "id": entry })).await
    }

    async fn claim(&self, who: &str, task: &str) -> Value {
        self.step(who, "claimLunchboxDelivery", task).await
    }

    async fn confirm(&self, who: &str, task: &str, photos: Value, cash: Option<i64>) -> Value {
        self.gql(who, &confirm_query(), json!({ "id": task, "p": photos, "cash": cash })).await
    }

    async fn one(&self, who: &str, task: &str) -> Value {
        self.gql(who, &one_query(), json!({ "id": task })).await
    }

    async fn day_list(&self, who: &str, day: NaiveDate, status: Option<&str>) -> Value {
        self.gql(who, &deliveries_query(), json!({ "c": self.chengnan, "d": day.to_string(), "s": status })).await
    }

    async fn inbox(&self, who: &str) -> Value {
        payload(&self.gql(who, INBOX, json!({})).await).clone()
    }
}

fn nodes(connection: &Value) -> Vec<Value> {
    connection["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect()
}

fn statuses(task: &Value) -> Vec<(Value, Value)> {
    task["history"].as_array().unwrap().iter().map(|e| (e["fromStatus"].clone(), e["toStatus"].clone())).collect()
}

// ---------------------------------------------------------------------------
// The roster
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_secretary_and_grid_workers_keep_the_roster() {
    let w = World::new().await;
    let elder = w.add_elder(0).await;
    assert_eq!(elder["name"], "吴奶奶");
    assert_eq!(elder["user"]["id"], w.id_of("demo-elder").await);
    assert_eq!(elder["gridWorker"]["id"], w.id_of("demo-grid").await);
    assert_eq!(elder["free"], true);
    assert_eq!(elder["priceFen"], 0);
    assert_eq!(elder["active"], true);
    assert_eq!(elder["address"], "城南社区1栋1单元101", "staff see the address in full");
    assert_eq!(elder["phone"], "13800001111");

    // A left-behind child without WeChat, added by the grid worker, paying 3 yuan.
    let mut child = w.input("小龙").await;
    child["category"] = json!("LEFT_BEHIND_CHILD");
    child["mealKind"] = json!("CHILD_NUTRITION");
    child["priceFen"] = json!(300);
    child["phone"] = json!("+86 139 0000 2222");
    child["note"] = json!("奶奶代收");
    let resp = w.try_add("demo-grid", child.clone()).await;
    let added = payload(&resp).clone();
    assert_eq!(added["user"], Value::Null);
    assert_eq!(added["phone"], "13900002222", "the phone is normalised");
    assert_eq!(added["free"], false);
    assert_eq!(added["mealKind"], "CHILD_NUTRITION");

    // The grid worker updates the entry (the whole form).
    child["address"] = json!("城南社区2栋1单元201");
    child["category"] = json!("DISABLED");
    let resp = w.gql("demo-grid", &update_query(), json!({ "id": id(&added), "i": child })).await;
    let updated = payload(&resp);
    assert_eq!(updated["address"], "城南社区2栋1单元201");
    assert_eq!(updated["category"], "DISABLED");

    // Deactivated entries leave the active roster but stay on the records.
    let resp = w.roster_step("demo-grid", "deactivateLunchboxRecipient", &id(&added)).await;
    assert_eq!(payload(&resp)["active"], false);
    let active = w.gql("demo-secretary", &roster_query(), json!({ "c": w.chengnan, "all": false })).await;
    assert_eq!(payload(&active)["totalCount"], 1, "{active}");
    let all = w.gql("demo-secretary", &roster_query(), json!({ "c": w.chengnan, "all": true })).await;
    assert_eq!(payload(&all)["totalCount"], 2, "{all}");
    let resp = w.roster_step("demo-secretary", "reactivateLunchboxRecipient", &id(&added)).await;
    assert_eq!(payload(&resp)["active"], true);

    // The same resident is on the roster once.
    let mut again = w.input("吴奶奶").await;
    again["userId"] = json!(w.id_of("demo-elder").await);
    assert_eq!(outcome(&w.try_add("demo-secretary", again).await), "CONFLICT");
}

#[tokio::test]
async fn every_roster_field_is_validated_with_its_name() {
    let w = World::new().await;
    let base = w.input("吴奶奶").await;
    let stranger = w.id_of("demo-resident-3").await; // 城北社区
    let volunteer = w.id_of("demo-volunteer").await;
    let cases: Vec<(&str, Value)> = vec![
        ("name", json!("  ")),
        ("name", json!("名".repeat(31))),
        ("address", json!("")),
        ("phone", json!("12345")),
        ("priceFen", json!(-1)),
        ("priceFen", json!(5001)),
        ("note", json!("长".repeat(201))),
        ("userId", json!(stranger)),
        ("userId", json!("not-a-number")),
        ("gridWorkerId", json!(volunteer)),
    ];
    for (field, value) in cases {
        let mut input = base.clone();
        input[field] = value.clone();
        let resp = w.try_add("demo-secretary", input).await;
        assert_eq!(outcome(&resp), "BAD_USER_INPUT", "{field} = {value}: {resp}");
        assert_eq!(error_field(&resp), field, "{field} = {value}");
    }
    let all = w.gql("demo-secretary", &roster_query(), json!({ "c": w.chengnan, "all": true })).await;
    assert_eq!(payload(&all)["totalCount"], 0, "nothing invalid was added");
}

#[tokio::test]
async fn only_the_community_s_staff_see_or_change_the_roster() {
    let w = World::new().await;
    let entry = w.add_elder(0).await;
    let input = w.input("某人").await;
    for who in ["demo-volunteer", "demo-member-1", "demo-elder", "demo-canteen"] {
        assert_eq!(outcome(&w.try_add(who, input.clone()).await), "FORBIDDEN", "{who} adds");
        let list = w.gql(who, &roster_query(), json!({ "c": w.chengnan, "all": true })).await;
        assert_eq!(outcome(&list), "FORBIDDEN", "{who} lists");
        let off = w.roster_step(who, "deactivateLunchboxRecipient", &id(&entry)).await;
        assert_eq!(outcome(&off), "FORBIDDEN", "{who} deactivates");
    }
    // 城北's secretary does not see 城南 at all.
    assert_eq!(outcome(&w.try_add("demo-secretary-2", input).await), "NOT_FOUND");
    let off = w.roster_step("demo-secretary-2", "deactivateLunchboxRecipient", &id(&entry)).await;
    assert_eq!(outcome(&off), "NOT_FOUND");
}

// ---------------------------------------------------------------------------
// Generating a day's tasks
// ---------------------------------------------------------------------------

#[tokio::test]
async fn generation_takes_a_portion_per_recipient_and_running_it_again_adds_only_new_recipients() {
    let w = World::new().await;
    let day = w.tomorrow();
    let meals = w.menu(day, &[("WORKER_SET", "8元工作餐", 5), ("CHILD_NUTRITION", "儿童营养餐", 2)]).await;
    w.add_elder(0).await;
    w.add(w.input("龙阿公").await).await;
    let mut child = w.input("小龙").await;
    child["mealKind"] = json!("CHILD_NUTRITION");
    child["category"] = json!("LEFT_BEHIND_CHILD");
    w.add(child).await;

    let resp = w.generate("demo-canteen", day).await;
    let g = payload(&resp);
    let created = g["created"].as_array().unwrap();
    assert_eq!(created.len(), 3, "{resp}");
    assert_eq!(g["alreadyGenerated"], 0);
    assert!(g["shortfalls"].as_array().unwrap().is_empty(), "{resp}");
    for t in created {
        assert_eq!(t["status"], "OPEN");
        assert_eq!(t["date"], day.to_string());
        assert_eq!(statuses(t), vec![(Value::Null, json!("OPEN"))], "the creation is recorded");
    }
    let child_task = created.iter().find(|t| t["recipientName"] == "小龙").unwrap();
    assert_eq!(child_task["mealKind"], "CHILD_NUTRITION");
    assert_eq!(child_task["mealId"], meals["儿童营养餐"]);
    assert_eq!(w.booked(day, &meals["8元工作餐"]).await, 2, "two worker-set portions taken");
    assert_eq!(w.booked(day, &meals["儿童营养餐"]).await, 1);

    // Again: nothing new, nothing more taken.
    let resp = w.generate("demo-grid", day).await;
    assert_eq!(payload(&resp)["created"].as_array().unwrap().len(), 0, "{resp}");
    assert_eq!(payload(&resp)["alreadyGenerated"], 3);
    assert_eq!(w.booked(day, &meals["8元工作餐"]).await, 2);

    // A newcomer gets one on the next run.
    w.add(w.input("杨阿婆").await).await;
    let resp = w.generate("demo-secretary", day).await;
    let created = payload(&resp)["created"].as_array().unwrap().clone();
    assert_eq!(created.len(), 1, "{resp}");
    assert_eq!(created[0]["recipientName"], "杨阿婆");
    assert_eq!(payload(&resp)["alreadyGenerated"], 3);
    assert_eq!(w.booked(day, &meals["8元工作餐"]).await, 3);

    let list = w.day_list("demo-secretary", day, None).await;
    assert_eq!(payload(&list)["counts"]["open"], 4, "{list}");
    assert_eq!(payload(&list)["counts"]["total"], 4);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn generation_reports_recipients_it_cannot_cover_instead_of_failing() {
    let w = World::new().await;
    let day = w.tomorrow();
    let meals = w.menu(day, &[("WORKER_SET", "8元工作餐", 1)]).await;
    w.add(w.input("龙阿公").await).await;
    w.add(w.input("杨阿婆").await).await;
    let mut child = w.input("小龙").await;
    child["mealKind"] = json!("CHILD_NUTRITION");
    w.add(child).await;
    let off = w.add(w.input("已停送").await).await;
    let resp = w.roster_step("demo-secretary", "deactivateLunchboxRecipient", &id(&off)).await;
    assert_eq!(payload(&resp)["active"], false);

    let resp = w.generate("demo-secretary", day).await;
    let g = payload(&resp);
    let created = g["created"].as_array().unwrap();
    assert_eq!(created.len(), 1, "{resp}");
    assert_eq!(created[0]["recipientName"], "龙阿公", "the roster is served in order");
    let mut shortfalls: Vec<(String, String)> = g["shortfalls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["recipientName"].as_str().unwrap().to_owned(), s["reason"].as_str().unwrap().to_owned()))
        .collect();
    shortfalls.sort();
    assert_eq!(
        shortfalls,
        vec![("小龙".to_owned(), "NO_MEAL".to_owned()), ("杨阿婆".to_owned(), "SOLD_OUT".to_owned())],
        "inactive entries are neither served nor reported"
    );
    assert_eq!(w.booked(day, &meals["8元工作餐"]).await, 1);

    // The next day has no menu at all: everyone is reported, nothing fails.
    let resp = w.generate("demo-secretary", day + Duration::days(1)).await;
    assert_eq!(payload(&resp)["created"].as_array().unwrap().len(), 0);
    assert_eq!(payload(&resp)["shortfalls"].as_array().unwrap().len(), 3, "{resp}");
}

#[tokio::test]
async fn only_staff_or_the_canteen_generate_and_never_for_a_past_day() {
    let w = World::new().await;
    w.add_elder(0).await;
    for who in ["demo-volunteer", "demo-member-1", "demo-elder"] {
        assert_eq!(outcome(&w.generate(who, w.tomorrow()).await), "FORBIDDEN", "{who}");
    }
    assert_eq!(outcome(&w.generate("demo-secretary-2", w.tomorrow()).await), "NOT_FOUND");
    let resp = w.generate("demo-secretary", w.today() - Duration::days(1)).await;
    assert_eq!(outcome(&resp), "BAD_USER_INPUT", "{resp}");
    assert_eq!(error_field(&resp), "date");
}

#[tokio::test]
async fn lunchboxes_and_concurrent_bookings_never_oversell_a_meal() {
    let w = World::new().await;
    let day = w.tomorrow();
    let meals = w.menu(day, &[("WORKER_SET", "8元工作餐", 10)]).await;
    let meal = meals["8元工作餐"].clone();
    for i in 0..8 {
        w.add(w.input(&format!("老人{i}")).await).await;
    }
    // Sign in first so that the race is between the bookings and the generation.
    for who in ["demo-resident-1", "demo-resident-2", "demo-secretary"] {
        w.session(who).await;
    }
    let bookings = join_all((0..8).map(|i| {
        let who = if i % 2 == 0 { "demo-resident-1" } else { "demo-resident-2" };
        let meal = meal.clone();
        let w = &w;
        async move {
            w.gql(who, BOOK, json!({ "m": meal, "k": format!("lunch-rush-{i}-{}", uuid::Uuid::new_v4().simple()) }))
                .await
        }
    }));
    let (bookings, generation) = tokio::join!(bookings, w.generate("demo-secretary", day));
    let booked_ok = bookings.iter().filter(|b| outcome(b) == "OK").count();
    for b in &bookings {
        assert!(["OK", "CONFLICT"].contains(&outcome(b).as_str()), "{b}");
    }
    let g = payload(&generation);
    let created = g["created"].as_array().unwrap().len();
    let sold_out = g["shortfalls"].as_array().unwrap().iter().filter(|s| s["reason"] == "SOLD_OUT").count();
    assert_eq!(booked_ok + created, 10, "every portion went once: {booked_ok} bookings, {created} lunchboxes");
    assert_eq!(created + sold_out, 8, "every recipient is either served or reported");
    assert_eq!(w.booked(day, &meal).await, 10, "never past the day's portions");
    w.app.assert_ledger_balanced().await;
}

// ---------------------------------------------------------------------------
// Claims
// ---------------------------------------------------------------------------

#[tokio::test]
async fn exactly_one_of_many_concurrent_claimants_wins() {
    let w = World::new().await;
    let task = id(&w.elder_task(0).await);
    let helpers = ["demo-member-1", "demo-member-2", "demo-member-3", "demo-volunteer"];
    for who in helpers {
        w.session(who).await;
    }
    let results = join_all(helpers.iter().map(|who| {
        let task = task.clone();
        let w = &w;
        async move { (who.to_string(), w.claim(who, &task).await) }
    }))
    .await;
    let winners: Vec<&String> = results.iter().filter(|(_, r)| outcome(r) == "OK").map(|(who, _)| who).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for (who, r) in &results {
        if who != winners[0] {
            assert_eq!(outcome(r), "ALREADY_CLAIMED", "{who}: {r}");
        }
    }
    let t = payload(&w.one("demo-secretary", &task).await).clone();
    assert_eq!(t["status"], "CLAIMED");
    assert_eq!(t["claimant"]["id"], w.id_of(winners[0]).await);
    assert_eq!(
        statuses(&t),
        vec![(Value::Null, json!("OPEN")), (json!("OPEN"), json!("CLAIMED"))],
        "one claim recorded"
    );
    // The winner's retry is harmless; the task left the open list.
    assert_eq!(outcome(&w.claim(winners[0], &task).await), "OK");
    let open = w.gql("demo-volunteer", &open_query(), json!({ "c": w.chengnan, "d": w.tomorrow().to_string() })).await;
    assert_eq!(payload(&open)["totalCount"], 0);
}

#[tokio::test]
async fn residents_and_the_canteen_do_not_claim_lunchboxes() {
    let w = World::new().await;
    let task = id(&w.elder_task(0).await);
    for who in ["demo-resident-1", "demo-elder", "demo-canteen", "demo-grid"] {
        assert_eq!(outcome(&w.claim(who, &task).await), "FORBIDDEN", "{who}");
    }
    assert_eq!(outcome(&w.claim("demo-secretary-2", &task).await), "NOT_FOUND");
    let open = w.gql("demo-resident-1", &open_query(), json!({ "c": w.chengnan, "d": w.tomorrow().to_string() })).await;
    assert_eq!(outcome(&open), "FORBIDDEN", "the open list is for the red service team");
}

#[tokio::test]
async fn the_claimant_releases_a_lunchbox_back_to_the_open_list() {
    let w = World::new().await;
    let task = id(&w.elder_task(0).await);
    w.claim("demo-volunteer", &task).await;
    assert_eq!(outcome(&w.step("demo-member-1", "releaseLunchboxDelivery", &task).await), "FORBIDDEN");
    let resp = w.step("demo-volunteer", "releaseLunchboxDelivery", &task).await;
    let t = payload(&resp);
    assert_eq!(t["status"], "OPEN");
    assert_eq!(t["claimant"], Value::Null);
    assert_eq!(t["claimedAt"], Value::Null);
    assert_eq!(t["history"].as_array().unwrap().last().unwrap()["note"], "released");
    let open = w.gql("demo-member-1", &open_query(), json!({ "c": w.chengnan, "d": w.tomorrow().to_string() })).await;
    assert_eq!(payload(&open)["totalCount"], 1);
    // Someone else takes it now; releasing an open task is a state error.
    assert_eq!(outcome(&w.claim("demo-member-1", &task).await), "OK");
    assert_eq!(outcome(&w.step("demo-volunteer", "releaseLunchboxDelivery", &task).await), "FORBIDDEN");
    let mine = payload(&w.gql("demo-member-1", &mine_query(), json!({})).await).clone();
    assert_eq!(mine["totalCount"], 1);
    assert_eq!(nodes(&mine)[0]["id"], task);
}

// ---------------------------------------------------------------------------
// Masking
// ---------------------------------------------------------------------------

#[tokio::test]
async fn addresses_and_phones_are_masked_except_for_staff_the_holder_and_the_recipient() {
    let w = World::new().await;
    let task = id(&w.elder_task(0).await);
    let day = w.tomorrow();
    let full = ("城南社区1栋1单元101", "13800001111");
    let masked = ("城南社区1栋****", "138****1111");
    let seen = |t: &Value| (t["address"].as_str().unwrap().to_owned(), t["phone"].as_str().unwrap().to_owned());
    let as_pair = |(a, p): (&str, &str)| (a.to_owned(), p.to_owned());

    // Open: the team sees the building only.
    let open = w.gql("demo-volunteer", &open_query(), json!({ "c": w.chengnan, "d": day.to_string() })).await;
    let t = nodes(payload(&open))[0].clone();
    assert_eq!(seen(&t), as_pair(masked));
    assert_eq!(t["contactMasked"], true);
    // Staff see it in full; the canteen does not.
    for who in ["demo-secretary", "demo-grid"] {
        let list = w.day_list(who, day, None).await;
        assert_eq!(seen(&nodes(payload(&list))[0]), as_pair(full), "{who}");
    }
    let list = w.day_list("demo-canteen", day, None).await;
    assert_eq!(seen(&nodes(payload(&list))[0]), as_pair(masked), "the canteen packs, it does not visit");
    // The recipient sees her own.
    assert_eq!(seen(payload(&w.one("demo-elder", &task).await)), as_pair(full));

    // Claimed: the holder sees it in full, another member does not see the task at all.
    let claimed = w.claim("demo-volunteer", &task).await;
    assert_eq!(seen(payload(&claimed)), as_pair(full));
    assert_eq!(payload(&claimed)["contactMasked"], false);
    assert_eq!(outcome(&w.one("demo-member-1", &task).await), "NOT_FOUND");

    // Delivered: the volunteer no longer holds it.
    w.confirm("demo-volunteer", &task, json!([PHOTO]), None).await;
    let mine = payload(&w.gql("demo-volunteer", &mine_query(), json!({})).await).clone();
    assert_eq!(seen(&nodes(&mine)[0]), as_pair(masked));
    assert_eq!(seen(payload(&w.one("demo-grid", &task).await)), as_pair(full));
}

// ---------------------------------------------------------------------------
// Cancel and undelivered
// ---------------------------------------------------------------------------

#[tokio::test]
async fn cancelling_returns_the_portion_to_the_canteen() {
    let w = World::new().await;
    let task = w.elder_task(0).await;
    let (task, meal) = (id(&task), task["mealId"].as_str().unwrap().to_owned());
    let day = w.tomorrow();
    assert_eq!(w.booked(day, &meal).await, 1);
    w.claim("demo-volunteer", &task).await;
    for who in ["demo-volunteer", "demo-canteen", "demo-elder"] {
        let resp = w.gql(who, &cancel_query(), json!({ "id": task, "r": "住院" })).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}");
    }
    let resp = w.gql("demo-grid", &cancel_query(), json!({ "id": task, "r": "住院了" })).await;
    let t = payload(&resp);
    assert_eq!(t["status"], "CANCELLED");
    assert!(t["cancelledAt"].is_string());
    assert_eq!(t["history"].as_array().unwrap().last().unwrap()["note"], "住院了");
    assert_eq!(w.booked(day, &meal).await, 0, "the portion is back on the menu");
    // Once only.
    let again = w.gql("demo-secretary", &cancel_query(), json!({ "id": task })).await;
    assert_eq!(outcome(&again), "INVALID_STATE");
    assert_eq!(w.booked(day, &meal).await, 0);
    // The next generation does not recreate a cancelled task.
    let resp = w.generate("demo-secretary", day).await;
    assert_eq!(payload(&resp)["alreadyGenerated"], 1);
    assert_eq!(w.booked(day, &meal).await, 0);
}

#[tokio::test]
async fn an_undelivered_lunchbox_needs_a_reason_and_keeps_its_portion() {
    let w = World::new().await;
    let task = w.elder_task(0).await;
    let (task, meal) = (id(&task), task["mealId"].as_str().unwrap().to_owned());
    w.claim("demo-member-2", &task).await;
    let resp = w.gql("demo-volunteer", &undelivered_query(), json!({ "id": task, "r": "没人在家" })).await;
    assert_eq!(outcome(&resp), "FORBIDDEN");
    let resp = w.gql("demo-member-2", &undelivered_query(), json!({ "id": task, "r": "  " })).await;
    assert_eq!(outcome(&resp), "BAD_USER_INPUT");
    assert_eq!(error_field(&resp), "reason");
    let resp = w.gql("demo-member-2", &undelivered_query(), json!({ "id": task, "r": "敲门无人应答" })).await;
    let t = payload(&resp);
    assert_eq!(t["status"], "UNDELIVERED");
    assert_eq!(t["undeliveredReason"], "敲门无人应答");
    assert_eq!(w.booked(w.tomorrow(), &meal).await, 1, "the food is gone: nothing is returned");
    let cancel = w.gql("demo-secretary", &cancel_query(), json!({ "id": task })).await;
    assert_eq!(outcome(&cancel), "INVALID_STATE");
}

// ---------------------------------------------------------------------------
// Confirmations and cash
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_claimant_confirms_with_a_photo_and_the_recipient_s_word_is_added() {
    let w = World::new().await;
    let task = id(&w.elder_task(0).await);
    w.claim("demo-volunteer", &task).await;
    assert_eq!(outcome(&w.confirm("demo-member-1", &task, json!([PHOTO]), None).await), "FORBIDDEN");
    for photos in [json!([]), json!(["http://evil.example/a.jpg"])] {
        let resp = w.confirm("demo-volunteer", &task, photos.clone(), None).await;
        assert_eq!(outcome(&resp), "BAD_USER_INPUT", "{photos}: {resp}");
        assert_eq!(error_field(&resp), "photoUrls");
    }
    let resp = w.confirm("demo-volunteer", &task, json!([PHOTO]), None).await;
    let t = payload(&resp).clone();
    assert_eq!(t["status"], "DELIVERED");
    assert_eq!(t["photoUrls"], json!([PHOTO]));
    assert!(t["photoConfirmedAt"].is_string() && t["deliveredAt"].is_string());
    assert_eq!(t["recipientConfirmedAt"], Value::Null);
    assert_eq!(t["cashFen"], Value::Null, "free: no cash");
    // A retry is harmless; a different second confirmation is not.
    assert_eq!(outcome(&w.confirm("demo-volunteer", &task, json!([PHOTO]), None).await), "OK");
    let other = w.confirm("demo-volunteer", &task, json!(["https://img.example/b.jpg"]), None).await;
    assert_eq!(outcome(&other), "INVALID_STATE");

    // The recipient confirms too: both are recorded.
    assert_eq!(outcome(&w.gql("demo-resident-1", &received_query(), json!({ "id": task })).await), "FORBIDDEN");
    let resp = w.gql("demo-elder", &received_query(), json!({ "id": task })).await;
    let t2 = payload(&resp);
    assert_eq!(t2["status"], "DELIVERED");
    assert!(t2["recipientConfirmedAt"].is_string());
    assert_eq!(t2["photoConfirmedAt"], t["photoConfirmedAt"]);
    assert_eq!(t2["deliveredAt"], t["deliveredAt"], "delivered when the photo came");
    let history = statuses(t2);
    assert_eq!(
        history[2..].to_vec(),
        vec![(json!("CLAIMED"), json!("DELIVERED")), (json!("DELIVERED"), json!("DELIVERED"))],
        "{t2}"
    );
    assert_eq!(t2["history"][3]["actor"]["id"], w.id_of("demo-elder").await);
}

#[tokio::test]
async fn the_recipient_confirms_receipt_from_their_own_phone() {
    let w = World::new().await;
    let task = id(&w.elder_task(0).await);
    let resp = w.gql("demo-elder", &received_query(), json!({ "id": task })).await;
    assert_eq!(outcome(&resp), "INVALID_STATE", "nobody has set out yet: {resp}");
    w.claim("demo-member-3", &task).await;
    let resp = w.gql("demo-elder", &received_query(), json!({ "id": task })).await;
    let t = payload(&resp).clone();
    assert_eq!(t["status"], "DELIVERED");
    assert!(t["recipientConfirmedAt"].is_string() && t["deliveredAt"].is_string());
    assert_eq!(t["photoConfirmedAt"], Value::Null);
    // Pressing it twice changes nothing.
    let again = w.gql("demo-elder", &received_query(), json!({ "id": task })).await;
    assert_eq!(payload(&again)["recipientConfirmedAt"], t["recipientConfirmedAt"]);
    // The claimant adds the photo afterwards.
    let resp = w.confirm("demo-member-3", &task, json!([PHOTO]), None).await;
    let t2 = payload(&resp);
    assert_eq!(t2["status"], "DELIVERED");
    assert!(t2["photoConfirmedAt"].is_string());
    assert_eq!(t2["deliveredAt"], t["deliveredAt"]);
    let list = w.day_list("demo-secretary", w.tomorrow(), Some("DELIVERED")).await;
    assert_eq!(payload(&list)["counts"]["delivered"], 1);
    assert_eq!(payload(&list)["totalCount"], 1);
}

#[tokio::test]
async fn cash_taken_at_the_door_is_booked_like_a_counter_payment_and_the_books_balance() {
    use domain::entities::{ledger_account, ledger_transfer};
    let w = World::new().await;
    let task = id(&w.elder_task(300).await);
    w.claim("demo-volunteer", &task).await;
    for cash in [None, Some(-1), Some(301)] {
        let resp = w.confirm("demo-volunteer", &task, json!([PHOTO]), cash).await;
        assert_eq!(outcome(&resp), "BAD_USER_INPUT", "{cash:?}: {resp}");
        assert_eq!(error_field(&resp), "cashFen");
    }
    let resp = w.confirm("demo-volunteer", &task, json!([PHOTO]), Some(300)).await;
    let t = payload(&resp);
    assert_eq!(t["status"], "DELIVERED");
    assert_eq!(t["cashFen"], 300);
    assert_eq!(t["priceFen"], 300);

    let db = &w.app.domain.db;
    let payments =
        ledger_transfer::Entity::find().filter(ledger_transfer::Column::Kind.eq("PAYMENT")).all(db).await.unwrap();
    assert_eq!(payments.len(), 1, "{payments:?}");
    let canteen_fen = ledger_account::Entity::find()
        .filter(ledger_account::Column::Kind.eq("CANTEEN"))
        .filter(ledger_account::Column::Currency.eq("FEN"))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(canteen_fen.balance, 300, "the canteen took in 3 yuan");
    // A retry does not book it twice.
    assert_eq!(outcome(&w.confirm("demo-volunteer", &task, json!([PHOTO]), Some(300)).await), "OK");
    let payments = ledger_transfer::Entity::find().filter(ledger_transfer::Column::Kind.eq("PAYMENT")).all(db).await;
    assert_eq!(payments.unwrap().len(), 1);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn a_free_lunchbox_takes_no_cash() {
    let w = World::new().await;
    let task = id(&w.elder_task(0).await);
    w.claim("demo-volunteer", &task).await;
    let resp = w.confirm("demo-volunteer", &task, json!([PHOTO]), Some(100)).await;
    assert_eq!(outcome(&resp), "BAD_USER_INPUT");
    assert_eq!(error_field(&resp), "cashFen");
    assert_eq!(outcome(&w.confirm("demo-volunteer", &task, json!([PHOTO]), Some(0)).await), "OK");
    w.app.assert_ledger_balanced().await;
}

// ---------------------------------------------------------------------------
// The deliver-by time and alerts
// ---------------------------------------------------------------------------

#[tokio::test]
async fn only_the_secretary_sets_the_deliver_by_time_and_it_is_validated() {
    let w = World::new().await;
    let resp = w.gql("demo-volunteer", SETTINGS, json!({ "c": w.chengnan })).await;
    assert_eq!(payload(&resp)["deliverByMinute"], 750, "12:30 by default");
    for who in ["demo-grid", "demo-canteen", "demo-volunteer"] {
        let resp = w.gql(who, SET_SETTINGS, json!({ "c": w.chengnan, "m": 700 })).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}");
    }
    for bad in [-1, 1440] {
        let resp = w.gql("demo-secretary", SET_SETTINGS, json!({ "c": w.chengnan, "m": bad })).await;
        assert_eq!(outcome(&resp), "BAD_USER_INPUT", "{bad}");
        assert_eq!(error_field(&resp), "deliverByMinute");
    }
    let resp = w.gql("demo-secretary", SET_SETTINGS, json!({ "c": w.chengnan, "m": 690 })).await;
    assert_eq!(payload(&resp)["deliverByMinute"], 690);
    let resp = w.gql("demo-grid", SETTINGS, json!({ "c": w.chengnan })).await;
    assert_eq!(payload(&resp)["deliverByMinute"], 690);
}

#[tokio::test]
async fn late_lunchboxes_alert_the_grid_worker_the_secretary_and_the_holder_exactly_once_after_the_deliver_by_time() {
    let w = World::new().await;
    let day = w.tomorrow();
    w.menu(day, &[("WORKER_SET", "8元工作餐", 10)]).await;
    w.add_elder(0).await;
    w.add(w.input("龙阿公").await).await;
    w.add(w.input("杨阿婆").await).await;
    let resp = w.generate("demo-secretary", day).await;
    let created = payload(&resp)["created"].as_array().unwrap().clone();
    let by_name = |n: &str| id(created.iter().find(|t| t["recipientName"] == n).unwrap());
    let (delivered, claimed, open) = (by_name("吴奶奶"), by_name("龙阿公"), by_name("杨阿婆"));
    w.claim("demo-volunteer", &delivered).await;
    w.confirm("demo-volunteer", &delivered, json!([PHOTO]), None).await;
    w.claim("demo-member-1", &claimed).await;

    // 12:29: not yet.
    w.move_clock_to(day, 12, 29);
    assert_eq!(w.app.domain.lunchbox().alert_undelivered().await.unwrap(), 0);
    assert_eq!(w.inbox("demo-grid").await["totalCount"], 0);

    // 12:30: several nodes sweep at once; each late task alerts once.
    w.move_clock_to(day, 12, 30);
    let sweeps = join_all((0..4).map(|_| w.app.domain.lunchbox().alert_undelivered())).await;
    let alerted: usize = sweeps.into_iter().map(|r| r.unwrap()).sum();
    assert_eq!(alerted, 2, "the open and the claimed lunchbox, not the delivered one");
    // Later sweeps add nothing.
    w.move_clock_to(day, 15, 0);
    assert_eq!(w.app.domain.lunchbox().alert_undelivered().await.unwrap(), 0);

    for who in ["demo-grid", "demo-secretary"] {
        let inbox = w.inbox(who).await;
        assert_eq!(inbox["totalCount"], 2, "{who}: {inbox}");
        assert_eq!(inbox["unreadCount"], 2);
        let mut subjects: Vec<String> =
            nodes(&inbox).iter().map(|n| n["subjectId"].as_str().unwrap().to_owned()).collect();
        subjects.sort();
        let mut expected = vec![claimed.clone(), open.clone()];
        expected.sort();
        assert_eq!(subjects, expected, "{who}");
        for n in nodes(&inbox) {
            assert_eq!(n["kind"], "LUNCHBOX_UNDELIVERED");
            assert_eq!(n["subjectKind"], "LUNCHBOX_DELIVERY");
            assert!(n["body"].as_str().unwrap().contains("12:30"), "{n}");
        }
    }
    for who in ["demo-volunteer", "demo-elder", "demo-canteen"] {
        assert_eq!(w.inbox(who).await["totalCount"], 0, "{who} is not alerted");
    }
    // Whoever still holds a late lunchbox is reminded, once.
    let holder = w.inbox("demo-member-1").await;
    assert_eq!(holder["totalCount"], 1, "{holder}");
    assert_eq!(nodes(&holder)[0]["kind"], "LUNCHBOX_OVERDUE");
    assert_eq!(nodes(&holder)[0]["subjectId"], claimed.as_str());
    let t = payload(&w.one("demo-secretary", &open).await).clone();
    assert!(t["alertedAt"].is_string());
    // The overdue mark is an event by the system, so phones hear of it; the status stays.
    let marks: Vec<&Value> = t["history"].as_array().unwrap().iter().filter(|e| e["actor"].is_null()).collect();
    assert_eq!(marks.len(), 1, "{t}");
    assert_eq!((marks[0]["fromStatus"].as_str(), marks[0]["toStatus"].as_str()), (Some("OPEN"), Some("OPEN")));
    assert!(marks[0]["note"].as_str().unwrap().contains("12:30"), "{t}");
    let t = payload(&w.one("demo-secretary", &delivered).await).clone();
    assert_eq!(t["alertedAt"], Value::Null);
}

#[tokio::test]
async fn the_alert_follows_the_community_s_deliver_by_time() {
    let w = World::new().await;
    w.gql("demo-secretary", SET_SETTINGS, json!({ "c": w.chengnan, "m": 11 * 60 })).await;
    let task = id(&w.elder_task(0).await);
    let day = w.tomorrow();
    w.move_clock_to(day, 10, 59);
    assert_eq!(w.app.domain.lunchbox().alert_undelivered().await.unwrap(), 0);
    w.move_clock_to(day, 11, 0);
    assert_eq!(w.app.domain.lunchbox().alert_undelivered().await.unwrap(), 1);
    let inbox = w.inbox("demo-grid").await;
    assert_eq!(nodes(&inbox)[0]["subjectId"], task);
    assert!(nodes(&inbox)[0]["body"].as_str().unwrap().contains("11:00"));
}

// ---------------------------------------------------------------------------
// The office's report
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_report_lists_a_date_range_s_deliveries_for_staff_only() {
    let w = World::new().await;
    let task = id(&w.elder_task(300).await);
    w.claim("demo-volunteer", &task).await;
    w.confirm("demo-volunteer", &task, json!([PHOTO]), Some(200)).await;
    let community: i64 = w.chengnan.parse().unwrap();
    let secretary = w.app.domain.org().actor(w.id_of("demo-secretary").await.parse().unwrap()).await.unwrap();
    let (from, to) = (w.today(), w.today() + Duration::days(7));
    let rows = w.app.domain.lunchbox().report(&secretary, community, from, to).await.unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.delivery_id.to_string(), task);
    assert_eq!(row.recipient_name, "吴奶奶");
    assert_eq!(row.meal_name, "8元工作餐");
    assert_eq!(row.status, domain::lunchbox::DeliveryStatus::Delivered);
    assert_eq!(row.claimant_name.as_deref(), Some("潘志愿者"));
    assert_eq!(row.cash_fen, Some(200));
    assert!(row.delivered_at.is_some() && row.photo_confirmed_at.is_some());

    let later = w.app.domain.lunchbox().report(&secretary, community, to, to).await.unwrap();
    assert!(later.is_empty());
    let err = w.app.domain.lunchbox().report(&secretary, community, to, from).await.unwrap_err();
    assert_eq!(err.code(), "BAD_USER_INPUT");
    let volunteer = w.app.domain.org().actor(w.id_of("demo-volunteer").await.parse().unwrap()).await.unwrap();
    let err = w.app.domain.lunchbox().report(&volunteer, community, from, to).await.unwrap_err();
    assert_eq!(err.code(), "FORBIDDEN");
}

#[tokio::test]
async fn the_canteen_s_daily_sheet_counts_the_portions_going_out_as_lunchboxes() {
    let w = World::new().await;
    let task = w.elder_task(0).await;
    let (task, meal) = (id(&task), task["mealId"].as_str().unwrap().to_owned());
    let sheet = "query($c: ID!, $d: NaiveDate!) { canteenDailySheet(communityId: $c, date: $d) { meal { id } booked \
         lunchboxes } }";
    let lunchboxes = |resp: &Value| {
        let lines = payload(resp).as_array().unwrap().clone();
        let line = lines.into_iter().find(|l| l["meal"]["id"] == meal.as_str()).unwrap();
        (line["booked"].as_i64().unwrap(), line["lunchboxes"].as_i64().unwrap())
    };
    let day = w.tomorrow().to_string();
    let before = w.gql("demo-canteen", sheet, json!({ "c": w.chengnan, "d": day })).await;
    assert_eq!(lunchboxes(&before), (0, 1), "no diners, one lunchbox");
    w.gql("demo-grid", &cancel_query(), json!({ "id": task, "r": "住院了" })).await;
    let after = w.gql("demo-canteen", sheet, json!({ "c": w.chengnan, "d": day })).await;
    assert_eq!(lunchboxes(&after), (0, 0), "a cancelled lunchbox no longer counts");
}
