// 红白喜事 in the contract canteen, end to end: the canteen operator (or the
// secretary) sets up venues and banquet menus (venue and tableware free; the
// only price is tables × the menu's price per table); the secretary sets the
// red-and-white affairs council's limits; BANQUET_COUNCIL is granted only to
// party members; residents book a venue for a day (weddings with notice,
// funerals the same or the next day, Asia/Shanghai days); one active booking
// per venue and day, also when many race; a council member or the secretary
// who is not the booker approves (re-checking the limits) or declines; the
// family or the staff cancel before the day; the canteen marks it held.

use std::collections::HashSet;

use crate::common::*;
use chrono::{Duration, NaiveDate};
use domain::Clock;
use futures_util::future::join_all;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const VENUE_FIELDS: &str = "id name tables";
const MENU_FIELDS: &str = "id name pricePerTableFen dishes retired";
const BOOKING_FIELDS: &str = "id venue { id name } menu { id name } date kind status hostName contactPhone \
     contactMasked tables guests pricePerTableFen totalFen note bookedBy { id } decidedBy { id } decidedAt \
     declineReason cancelledBy { id } cancelledAt cancelReason heldAt createdAt \
     history { fromStatus toStatus note actor { id } }";
const LIMIT_FIELDS: &str = "maxTables maxPricePerTableFen maxTotalFen weddingNoticeDays";

const CREATE_VENUE: &str = "mutation($c: ID!, $n: String!, $t: Int!) { createBanquetVenue(communityId: $c, name: $n, \
     tables: $t) { id name tables } }";
const CREATE_MENU: &str = "mutation($c: ID!, $n: String!, $p: Int!, $d: [String!]!) { createBanquetMenu(communityId: \
     $c, name: $n, pricePerTableFen: $p, dishes: $d) { id name pricePerTableFen dishes retired } }";
const RETIRE_MENU: &str = "mutation($m: ID!) { retireBanquetMenu(menuId: $m) { id retired } }";
const REVOKE: &str =
    "mutation($c: ID!, $u: ID!, $r: Role!) { revokeRole(communityId: $c, userId: $u, role: $r) { roles } }";
const CALENDAR: &str = "query($c: ID!, $f: NaiveDate!, $t: NaiveDate!) { banquetCalendar(communityId: $c, from: $f, \
     to: $t) { venueId venueName date confirmed } }";

fn venues_query() -> String {
    format!("query($c: ID!) {{ banquetVenues(communityId: $c) {{ {VENUE_FIELDS} }} }}")
}
fn menus_query() -> String {
    format!("query($c: ID!, $r: Boolean) {{ banquetMenus(communityId: $c, includeRetired: $r) {{ {MENU_FIELDS} }} }}")
}
fn limits_query() -> String {
    format!("query($c: ID!) {{ banquetLimits(communityId: $c) {{ {LIMIT_FIELDS} }} }}")
}
fn set_limits_query() -> String {
    format!(
        "mutation($c: ID!, $l: BanquetLimitsInput!) {{ setBanquetLimits(communityId: $c, limits: $l) {{ \
         {LIMIT_FIELDS} }} }}"
    )
}
fn book_query() -> String {
    format!("mutation($i: BookBanquetInput!) {{ bookBanquet(input: $i) {{ {BOOKING_FIELDS} }} }}")
}
fn approve_query() -> String {
    format!("mutation($b: ID!) {{ approveBanquetBooking(bookingId: $b) {{ {BOOKING_FIELDS} }} }}")
}
fn decline_query() -> String {
    format!(
        "mutation($b: ID!, $r: String!) {{ declineBanquetBooking(bookingId: $b, reason: $r) {{ {BOOKING_FIELDS} }} }}"
    )
}
fn cancel_query() -> String {
    format!(
        "mutation($b: ID!, $r: String) {{ cancelBanquetBooking(bookingId: $b, reason: $r) {{ {BOOKING_FIELDS} }} }}"
    )
}
fn held_query() -> String {
    format!("mutation($b: ID!) {{ markBanquetHeld(bookingId: $b) {{ {BOOKING_FIELDS} }} }}")
}
fn booking_query() -> String {
    format!("query($b: ID!) {{ banquetBooking(id: $b) {{ {BOOKING_FIELDS} }} }}")
}
fn my_bookings_query() -> String {
    format!("query {{ myBanquetBookings {{ {BOOKING_FIELDS} }} }}")
}
fn list_query() -> String {
    format!(
        "query($c: ID!, $s: BanquetStatus, $f: Int, $a: String) {{ banquetBookings(communityId: $c, status: $s, \
         first: $f, after: $a) {{ totalCount pageInfo {{ hasNextPage endCursor }} edges {{ node {{ \
         {BOOKING_FIELDS} }} }} }} }}"
    )
}

fn error_message(resp: &Value) -> String {
    resp["errors"][0]["message"].as_str().unwrap_or_else(|| panic!("expected a message: {resp}")).to_owned()
}

/// `BAD_USER_INPUT` on `field`, with a message that contains `says`.
fn assert_bad_input(resp: &Value, field: &str, says: &str) {
    assert_eq!(outcome(resp), "BAD_USER_INPUT", "{resp}");
    assert_eq!(error_field(resp), field, "{resp}");
    assert!(error_message(resp).contains(says), "the message should say “{says}”: {resp}");
}

fn count(outcomes: &[String], what: &str) -> usize {
    outcomes.iter().filter(|o| *o == what).count()
}

/// Someone else's booking is neither theirs to see nor to touch.
fn assert_refused(resp: &Value) {
    let code = outcome(resp);
    assert!(code == "NOT_FOUND" || code == "FORBIDDEN", "expected NOT_FOUND or FORBIDDEN: {resp}");
}

// One test's server, its communities, the hall and menus, and a session per user.
area_world!(hall: String, home_menu: String, grand_menu: String);

struct Booking {
    venue: String,
    menu: String,
    date: NaiveDate,
    kind: &'static str,
    tables: i64,
    guests: i64,
}

impl World {
    /// The canteen's hall (30 tables) and two menus (300 and 450 yuan a table), as the demo seed sets them up.
    async fn new() -> Self {
        let base = crate::common::World::new().await;
        let mut w = Self { base, hall: String::new(), home_menu: String::new(), grand_menu: String::new() };
        let venues = payload(&w.gql("demo-canteen", &venues_query(), json!({ "c": w.chengnan })).await).clone();
        assert_eq!(venues.as_array().unwrap().len(), 1, "the demo seed adds one hall: {venues}");
        w.hall = id(&venues[0]);
        let menus = w.menus("demo-canteen", false).await;
        let named = |name: &str| id(menus.iter().find(|m| m["name"] == name).unwrap_or_else(|| panic!("no {name}")));
        w.home_menu = named("家常八菜一汤");
        w.grand_menu = named("十菜一汤");
        w
    }

    async fn grant(&self, granter: &str, who: &str, role: &str) -> Value {
        let u = self.id_of(who).await;
        self.gql(granter, GRANT, json!({ "c": self.chengnan, "u": u, "r": role })).await
    }

    /// demo-member-1 (and -2) on the council.
    async fn council(&self, who: &str) {
        let resp = self.grant("demo-secretary", who, "BANQUET_COUNCIL").await;
        assert!(payload(&resp)["roles"].as_array().unwrap().contains(&json!("BANQUET_COUNCIL")), "{resp}");
    }

    // --- venues, menus, limits ---

    async fn try_venue(&self, who: &str, community: &str, name: &str, tables: i64) -> Value {
        self.gql(who, CREATE_VENUE, json!({ "c": community, "n": name, "t": tables })).await
    }

    async fn venue(&self, name: &str, tables: i64) -> String {
        id(payload(&self.try_venue("demo-canteen", &self.chengnan, name, tables).await))
    }

    async fn try_menu(&self, who: &str, community: &str, name: &str, price: i64, dishes: Value) -> Value {
        self.gql(who, CREATE_MENU, json!({ "c": community, "n": name, "p": price, "d": dishes })).await
    }

    async fn menu(&self, name: &str, price: i64) -> String {
        let dishes = json!(["酸汤鱼", "辣子鸡", "糯米饭"]);
        id(payload(&self.try_menu("demo-canteen", &self.chengnan, name, price, dishes).await))
    }

    async fn menus(&self, who: &str, include_retired: bool) -> Vec<Value> {
        let resp = self.gql(who, &menus_query(), json!({ "c": self.chengnan, "r": include_retired })).await;
        payload(&resp).as_array().unwrap().clone()
    }

    async fn set_limits(&self, who: &str, limits: Value) -> Value {
        self.gql(who, &set_limits_query(), json!({ "c": self.chengnan, "l": limits })).await
    }

    // --- bookings ---

    fn wedding(&self, date: NaiveDate) -> Booking {
        Booking {
            venue: self.hall.clone(),
            menu: self.home_menu.clone(),
            date,
            kind: "WEDDING",
            tables: 12,
            guests: 110,
        }
    }

    fn funeral(&self, date: NaiveDate) -> Booking {
        Booking { kind: "FUNERAL", tables: 8, guests: 70, ..self.wedding(date) }
    }

    fn input(b: &Booking, k: &str) -> Value {
        json!({
            "venueId": b.venue, "menuId": b.menu, "date": b.date.to_string(), "kind": b.kind,
            "hostName": "龙家", "contactPhone": "13812345678", "tables": b.tables, "guests": b.guests,
            "note": "新郎龙小军，新娘杨小梅", "idempotencyKey": k,
        })
    }

    async fn try_book_input(&self, who: &str, input: Value) -> Value {
        self.gql(who, &book_query(), json!({ "i": input })).await
    }

    async fn try_book(&self, who: &str, b: &Booking) -> Value {
        self.try_book_input(who, Self::input(b, &key("book"))).await
    }

    /// A successful booking; its id.
    async fn booked(&self, who: &str, b: &Booking) -> String {
        id(payload(&self.try_book(who, b).await))
    }

    async fn approve(&self, who: &str, booking: &str) -> Value {
        self.gql(who, &approve_query(), json!({ "b": booking })).await
    }

    async fn decline(&self, who: &str, booking: &str, reason: &str) -> Value {
        self.gql(who, &decline_query(), json!({ "b": booking, "r": reason })).await
    }

    async fn cancel(&self, who: &str, booking: &str, reason: Option<&str>) -> Value {
        self.gql(who, &cancel_query(), json!({ "b": booking, "r": reason })).await
    }

    async fn held(&self, who: &str, booking: &str) -> Value {
        self.gql(who, &held_query(), json!({ "b": booking })).await
    }

    async fn read(&self, who: &str, booking: &str) -> Value {
        self.gql(who, &booking_query(), json!({ "b": booking })).await
    }

    async fn my_bookings(&self, who: &str) -> Vec<Value> {
        payload(&self.gql(who, &my_bookings_query(), json!({})).await).as_array().unwrap().clone()
    }

    async fn calendar(&self, who: &str, from: NaiveDate, to: NaiveDate) -> Value {
        self.gql(who, CALENDAR, json!({ "c": self.chengnan, "f": from.to_string(), "t": to.to_string() })).await
    }
}

// ---------------------------------------------------------------------------
// Venues and menus
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_operator_sets_up_venues_and_menus_and_every_member_reads_them() {
    let w = World::new().await;
    let venues = payload(&w.gql("demo-resident-1", &venues_query(), json!({ "c": w.chengnan })).await).clone();
    assert_eq!(venues, json!([{ "id": w.hall, "name": "合约食堂大厅", "tables": 30 }]));

    // The secretary may add a venue and a menu too.
    let small = w.try_venue("demo-secretary", &w.chengnan, "二楼小厅", 10).await;
    assert_eq!(payload(&small)["tables"], 10);
    let dishes = json!(["酸汤鱼", "白切鸡", "红烧肉", "八宝饭"]);
    let menu = w.try_menu("demo-secretary", &w.chengnan, "丧事素席", 20_000, dishes.clone()).await;
    assert_eq!(payload(&menu)["dishes"], dishes);
    assert_eq!(payload(&menu)["pricePerTableFen"], 20_000);
    assert_eq!(payload(&menu)["retired"], false);

    let names: Vec<String> =
        w.menus("demo-elder", false).await.iter().map(|m| m["name"].as_str().unwrap().to_owned()).collect();
    assert_eq!(names, vec!["家常八菜一汤", "十菜一汤", "丧事素席"]);

    // A retired menu is no longer offered, but can still be listed.
    let retired = w.gql("demo-canteen", RETIRE_MENU, json!({ "m": w.grand_menu })).await;
    assert_eq!(payload(&retired)["retired"], true);
    let offered: Vec<String> = w.menus("demo-resident-1", false).await.iter().map(id).collect();
    assert!(!offered.contains(&w.grand_menu), "{offered:?}");
    let all: Vec<String> = w.menus("demo-resident-1", true).await.iter().map(id).collect();
    assert!(all.contains(&w.grand_menu), "{all:?}");
    let resp = w.try_book("demo-resident-1", &Booking { menu: w.grand_menu.clone(), ..w.wedding(w.in_days(30)) }).await;
    assert_bad_input(&resp, "menuId", "no longer offered");
}

#[tokio::test]
async fn only_the_canteen_operator_or_the_secretary_of_the_community_sets_up_venues_and_menus() {
    let w = World::new().await;
    for who in ["demo-resident-1", "demo-member-1", "demo-grid"] {
        assert_eq!(outcome(&w.try_venue(who, &w.chengnan, "自家院坝", 5).await), "FORBIDDEN", "{who}");
        let resp = w.try_menu(who, &w.chengnan, "大席", 90_000, json!(["整猪"])).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}");
        let resp = w.gql(who, RETIRE_MENU, json!({ "m": w.home_menu })).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}");
    }
    // Another community's secretary does not even see this one.
    let resp = w.try_venue("demo-secretary-2", &w.chengnan, "城北借用", 5).await;
    assert_eq!(outcome(&resp), "NOT_FOUND");
    let resp = w.gql("demo-secretary-2", RETIRE_MENU, json!({ "m": w.home_menu })).await;
    assert_eq!(outcome(&resp), "NOT_FOUND");
    let resp = w.gql("demo-resident-3", &venues_query(), json!({ "c": w.chengnan })).await;
    assert_eq!(outcome(&resp), "NOT_FOUND");
    assert_eq!(w.menus("demo-resident-1", true).await.len(), 2, "nothing was added or retired");
}

#[tokio::test]
async fn bad_venues_and_menus_are_refused_with_the_field() {
    let w = World::new().await;
    let c = w.chengnan.clone();
    assert_bad_input(&w.try_venue("demo-canteen", &c, "小厅", 0).await, "tables", "1 to 200");
    assert_bad_input(&w.try_venue("demo-canteen", &c, "小厅", 201).await, "tables", "1 to 200");
    assert_bad_input(&w.try_venue("demo-canteen", &c, "  ", 10).await, "name", "empty");
    let same = w.try_venue("demo-canteen", &c, "合约食堂大厅", 10).await;
    assert_eq!(outcome(&same), "CONFLICT", "{same}");
    let dishes = json!(["酸汤鱼"]);
    assert_bad_input(&w.try_menu("demo-canteen", &c, "席", 0, dishes.clone()).await, "pricePerTableFen", "yuan");
    assert_bad_input(&w.try_menu("demo-canteen", &c, "", 30_000, dishes.clone()).await, "name", "empty");
    assert_bad_input(&w.try_menu("demo-canteen", &c, "席", 30_000, json!([])).await, "dishes", "1 to 30 dishes");
    assert_bad_input(&w.try_menu("demo-canteen", &c, "席", 30_000, json!(["酸汤鱼", " "])).await, "dishes", "empty");
}

#[tokio::test]
async fn the_demo_seed_adds_the_canteen_hall_and_two_menus_once() {
    let app = spawn_app_with(roomy).await;
    let chengbei = app.community_id(CHENGBEI).await;
    let c: i64 = chengbei.parse().unwrap();
    domain::banquets::seed_banquets(&app.domain.db, c).await.unwrap();
    domain::banquets::seed_banquets(&app.domain.db, c).await.unwrap();
    let s = app.login("demo-resident-3").await;
    let venues = app.gql(Some(&s.access_token), &venues_query(), json!({ "c": chengbei })).await;
    let venues = payload(&venues).as_array().unwrap();
    assert_eq!(venues.len(), 1, "{venues:?}");
    assert_eq!(venues[0]["name"], "合约食堂大厅");
    assert_eq!(venues[0]["tables"], 30);
    let menus = app.gql(Some(&s.access_token), &menus_query(), json!({ "c": chengbei, "r": true })).await;
    let menus = payload(&menus).as_array().unwrap();
    assert_eq!(menus.len(), 2, "{menus:?}");
    for m in menus {
        assert!(m["pricePerTableFen"].as_i64().unwrap() <= 60_000, "within the default limit: {m}");
        assert!(!m["dishes"].as_array().unwrap().is_empty(), "{m}");
    }
}

// ---------------------------------------------------------------------------
// The council and its limits
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_council_is_made_of_party_members_of_the_community() {
    let w = World::new().await;
    let resp = w.grant("demo-secretary", "demo-resident-1", "BANQUET_COUNCIL").await;
    assert_bad_input(&resp, "role", "PARTY_MEMBER");
    let resp = w.grant("demo-secretary", "demo-canteen", "BANQUET_COUNCIL").await;
    assert_bad_input(&resp, "role", "党员");
    // Only the secretary grants roles.
    let resp = w.grant("demo-grid", "demo-member-2", "BANQUET_COUNCIL").await;
    assert_eq!(outcome(&resp), "FORBIDDEN", "{resp}");
    // A party member joins the council.
    let resp = w.grant("demo-secretary", "demo-member-1", "BANQUET_COUNCIL").await;
    let roles = payload(&resp)["roles"].as_array().unwrap().clone();
    assert!(roles.contains(&json!("BANQUET_COUNCIL")) && roles.contains(&json!("PARTY_MEMBER")), "{roles:?}");
    // The role shows among the member's memberships.
    let me = w.gql("demo-member-1", "{ me { memberships { roles } } }", json!({})).await;
    assert!(me.to_string().contains("BANQUET_COUNCIL"), "{me}");
}

#[tokio::test]
async fn the_limits_have_documented_defaults_and_only_the_secretary_changes_them() {
    let w = World::new().await;
    let defaults = payload(&w.gql("demo-resident-1", &limits_query(), json!({ "c": w.chengnan })).await).clone();
    assert_eq!(
        defaults,
        json!({ "maxTables": 20, "maxPricePerTableFen": 60_000, "maxTotalFen": 1_000_000, "weddingNoticeDays": 7 })
    );
    for who in ["demo-canteen", "demo-member-1", "demo-resident-1"] {
        assert_eq!(outcome(&w.set_limits(who, json!({ "maxTables": 30 })).await), "FORBIDDEN", "{who}");
    }
    w.council("demo-member-1").await;
    assert_eq!(outcome(&w.set_limits("demo-member-1", json!({ "maxTables": 30 })).await), "FORBIDDEN");
    let resp =
        w.gql("demo-secretary-2", &set_limits_query(), json!({ "c": w.chengnan, "l": { "maxTables": 1 } })).await;
    assert_eq!(outcome(&resp), "NOT_FOUND");

    assert_bad_input(&w.set_limits("demo-secretary", json!({ "maxTables": 0 })).await, "maxTables", "1 to 200");
    let resp = w.set_limits("demo-secretary", json!({ "maxPricePerTableFen": 0 })).await;
    assert_bad_input(&resp, "maxPricePerTableFen", "yuan");
    assert_bad_input(&w.set_limits("demo-secretary", json!({ "maxTotalFen": -1 })).await, "maxTotalFen", "yuan");
    let resp = w.set_limits("demo-secretary", json!({ "weddingNoticeDays": -1 })).await;
    assert_bad_input(&resp, "weddingNoticeDays", "0 to 180");

    let set = w.set_limits("demo-secretary", json!({ "maxTables": 15, "weddingNoticeDays": 3 })).await;
    assert_eq!(
        payload(&set).clone(),
        json!({ "maxTables": 15, "maxPricePerTableFen": 60_000, "maxTotalFen": 1_000_000, "weddingNoticeDays": 3 })
    );
    let read = w.gql("demo-elder", &limits_query(), json!({ "c": w.chengnan })).await;
    assert_eq!(payload(&read)["maxTables"], 15);
}

#[tokio::test]
async fn bookings_outside_the_limits_are_refused_with_the_limit() {
    let w = World::new().await;
    let day = w.in_days(30);
    let who = "demo-resident-1";

    let resp = w.try_book(who, &Booking { tables: 21, guests: 200, ..w.wedding(day) }).await;
    assert_bad_input(&resp, "tables", "at most 20 tables");

    let small = w.venue("二楼小厅", 10).await;
    let resp = w.try_book(who, &Booking { venue: small, tables: 11, guests: 100, ..w.wedding(day) }).await;
    assert_bad_input(&resp, "tables", "二楼小厅 seats at most 10 tables");

    let dear = w.menu("海鲜大席", 70_000).await;
    let resp = w.try_book(who, &Booking { menu: dear, ..w.wedding(day) }).await;
    assert_bad_input(&resp, "menuId", "at most 600 yuan a table");

    let resp = w.try_book(who, &Booking { tables: 2, guests: 21, ..w.wedding(day) }).await;
    assert_bad_input(&resp, "guests", "1 to 20 guests");
    let resp = w.try_book(who, &Booking { tables: 0, guests: 0, ..w.wedding(day) }).await;
    assert_bad_input(&resp, "tables", "at least 1 table");

    // 20 tables at 600 yuan would be 12000 yuan: over the 10000-yuan total.
    let top = w.menu("六百元席", 60_000).await;
    let resp = w.try_book(who, &Booking { menu: top.clone(), tables: 20, guests: 180, ..w.wedding(day) }).await;
    assert_bad_input(&resp, "tables", "at most 10000 yuan");

    // The secretary lowers the total cap: the same table count no longer fits.
    payload(&w.set_limits("demo-secretary", json!({ "maxTotalFen": 300_000 })).await);
    let resp = w.try_book(who, &Booking { tables: 11, guests: 100, ..w.wedding(day) }).await;
    assert_bad_input(&resp, "tables", "11 tables at 300 yuan come to 3300 yuan");
    // Within every limit, the booking goes through at tables × price.
    let ok = w.try_book(who, &Booking { tables: 10, guests: 100, ..w.wedding(day) }).await;
    assert_eq!(payload(&ok)["totalFen"], 300_000);
    assert_eq!(payload(&ok)["pricePerTableFen"], 30_000);
    assert_eq!(w.my_bookings(who).await.len(), 1, "only the last booking was made");
}

// ---------------------------------------------------------------------------
// Booking: the happy path and its refusals
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_resident_books_a_wedding_a_council_member_approves_it_and_the_canteen_marks_it_held() {
    let w = World::new().await;
    w.council("demo-member-1").await;
    let day = w.in_days(10);
    let resp = w.try_book("demo-resident-1", &w.wedding(day)).await;
    let b = payload(&resp).clone();
    let booking = id(&b);
    assert_eq!(b["status"], "PENDING");
    assert_eq!(b["kind"], "WEDDING");
    assert_eq!(b["date"], day.to_string());
    assert_eq!(b["venue"], json!({ "id": w.hall, "name": "合约食堂大厅" }));
    assert_eq!(b["menu"], json!({ "id": w.home_menu, "name": "家常八菜一汤" }));
    assert_eq!(b["tables"], 12);
    assert_eq!(b["guests"], 110);
    assert_eq!(b["pricePerTableFen"], 30_000);
    assert_eq!(b["totalFen"], 360_000, "12 tables × 300 yuan; the hall and tableware are free");
    assert_eq!(b["hostName"], "龙家");
    assert_eq!(b["contactPhone"], "13812345678");
    assert_eq!(b["contactMasked"], false);
    assert_eq!(b["bookedBy"]["id"], w.id_of("demo-resident-1").await);

    // The family sees it among their bookings; nobody else's are there.
    let mine = w.my_bookings("demo-resident-1").await;
    assert_eq!(mine.iter().map(id).collect::<Vec<_>>(), vec![booking.clone()]);
    assert!(w.my_bookings("demo-resident-2").await.is_empty());

    let approved = w.approve("demo-member-1", &booking).await;
    let a = payload(&approved);
    assert_eq!(a["status"], "APPROVED");
    assert_eq!(a["decidedBy"]["id"], w.id_of("demo-member-1").await);
    assert!(a["decidedAt"].is_string());

    // Held: not before the day; on the day, by the canteen.
    let early = w.held("demo-canteen", &booking).await;
    assert_eq!(outcome(&early), "INVALID_STATE", "{early}");
    w.move_clock_to(day, 20, 0);
    assert_eq!(outcome(&w.held("demo-resident-1", &booking).await), "FORBIDDEN");
    assert_eq!(outcome(&w.held("demo-member-1", &booking).await), "FORBIDDEN");
    let done = w.held("demo-canteen", &booking).await;
    assert_eq!(payload(&done)["status"], "HELD");
    assert!(payload(&done)["heldAt"].is_string());
    assert_eq!(outcome(&w.held("demo-canteen", &booking).await), "INVALID_STATE", "held once");

    let history: Vec<(Value, Value)> = payload(&done)["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["fromStatus"].clone(), e["toStatus"].clone()))
        .collect();
    assert_eq!(
        history,
        vec![
            (Value::Null, json!("PENDING")),
            (json!("PENDING"), json!("APPROVED")),
            (json!("APPROVED"), json!("HELD")),
        ]
    );
}

#[tokio::test]
async fn only_residents_book_and_only_in_their_own_community() {
    let w = World::new().await;
    let day = w.in_days(20);
    for who in ["demo-member-1", "demo-canteen", "demo-grid"] {
        let resp = w.try_book(who, &w.wedding(day)).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }
    // A resident of 城北社区 cannot see 城南's hall or menus.
    assert_eq!(outcome(&w.try_book("demo-resident-3", &w.wedding(day)).await), "NOT_FOUND");
    // A menu of another community does not go with this hall.
    let s2 = w.session("demo-secretary-2").await;
    let chengbei = w.app.community_id(CHENGBEI).await;
    let other = w
        .app
        .gql(Some(&s2.access_token), CREATE_MENU, json!({ "c": chengbei, "n": "城北席", "p": 30_000, "d": ["腊肉"] }))
        .await;
    let other_menu = id(payload(&other));
    let resp = w.try_book("demo-resident-1", &Booking { menu: other_menu, ..w.wedding(day) }).await;
    assert_eq!(outcome(&resp), "NOT_FOUND", "{resp}");
    let resp = w.try_book("demo-resident-1", &Booking { venue: "999999".into(), ..w.wedding(day) }).await;
    assert_eq!(outcome(&resp), "NOT_FOUND", "{resp}");
    assert!(w.my_bookings("demo-resident-1").await.is_empty());
}

#[tokio::test]
async fn bad_booking_input_names_the_field() {
    let w = World::new().await;
    let b = w.wedding(w.in_days(20));
    let with = |field: &str, value: Value| {
        let mut input = World::input(&b, &key("bad"));
        input[field] = value;
        input
    };
    let who = "demo-resident-1";
    assert_bad_input(&w.try_book_input(who, with("hostName", json!(" "))).await, "hostName", "empty");
    assert_bad_input(&w.try_book_input(who, with("hostName", json!("龙".repeat(31)))).await, "hostName", "at most 30");
    assert_bad_input(&w.try_book_input(who, with("contactPhone", json!("12345"))).await, "contactPhone", "11-digit");
    assert_bad_input(&w.try_book_input(who, with("note", json!("喜".repeat(501)))).await, "note", "at most 500");
    assert_bad_input(
        &w.try_book_input(who, with("idempotencyKey", json!("short"))).await,
        "idempotencyKey",
        "8 to 100",
    );
    assert!(w.my_bookings(who).await.is_empty());
}

#[tokio::test]
async fn dates_in_the_past_and_weddings_inside_the_notice_period_are_refused() {
    let w = World::new().await;
    let today = w.in_days(0);
    // Early morning in Shanghai is still the previous day in UTC: the day that counts is Shanghai's.
    w.move_clock_to(today + Duration::days(1), 7, 30);
    let today = today + Duration::days(1);
    assert_eq!(w.app.clock.now().date_naive(), today - Duration::days(1), "UTC is a day behind here");

    let who = "demo-resident-1";
    let resp = w.try_book(who, &w.funeral(today - Duration::days(1))).await;
    assert_bad_input(&resp, "date", "passed");
    let resp = w.try_book(who, &w.wedding(today + Duration::days(6))).await;
    assert_bad_input(
        &resp,
        "date",
        &format!("at least 7 days ahead; the earliest date now is {}", today + Duration::days(7)),
    );
    let resp = w.try_book(who, &w.wedding(today + Duration::days(366))).await;
    assert_bad_input(&resp, "date", "at most 365 days ahead");

    // Funerals may be the same or the next day; weddings from the seventh day.
    assert_eq!(payload(&w.try_book(who, &w.funeral(today)).await)["status"], "PENDING");
    assert_eq!(payload(&w.try_book(who, &w.funeral(today + Duration::days(1))).await)["status"], "PENDING");
    assert_eq!(payload(&w.try_book(who, &w.wedding(today + Duration::days(7))).await)["status"], "PENDING");

    // At one minute to midnight the day is still today; at midnight it has passed.
    w.move_clock_to(today, 23, 59);
    let small = w.venue("二楼小厅", 10).await;
    let late = w.try_book(who, &Booking { venue: small.clone(), tables: 5, guests: 40, ..w.funeral(today) }).await;
    assert_eq!(outcome(&late), "OK", "{late}");
    w.move_clock_to(today + Duration::days(1), 0, 0);
    let resp =
        w.try_book("demo-resident-2", &Booking { venue: small, tables: 5, guests: 40, ..w.funeral(today) }).await;
    assert_bad_input(&resp, "date", "passed");

    // The notice period is the council's setting.
    payload(&w.set_limits("demo-secretary", json!({ "weddingNoticeDays": 2 })).await);
    let soon = w.today() + Duration::days(2);
    assert_eq!(outcome(&w.try_book("demo-resident-2", &w.wedding(soon)).await), "OK");
    let sooner = w.today() + Duration::days(1);
    assert_bad_input(&w.try_book("demo-resident-2", &w.wedding(sooner)).await, "date", "at least 2 days ahead");
}

// ---------------------------------------------------------------------------
// One venue, one booking a day
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_venue_day_has_one_booking_and_a_second_is_a_conflict() {
    let w = World::new().await;
    let day = w.in_days(14);
    w.booked("demo-resident-1", &w.wedding(day)).await;
    let second = w.try_book("demo-resident-2", &w.funeral(day)).await;
    assert_eq!(outcome(&second), "CONFLICT", "{second}");
    assert!(error_message(&second).contains("合约食堂大厅 is already booked on"), "{second}");
    // Another venue that day, or the same venue another day, is free.
    let small = w.venue("二楼小厅", 10).await;
    let other_venue = w.try_book("demo-resident-2", &Booking { venue: small, ..w.funeral(day) }).await;
    assert_eq!(outcome(&other_venue), "OK", "{other_venue}");
    let other_day = w.try_book("demo-resident-2", &w.funeral(day + Duration::days(1))).await;
    assert_eq!(outcome(&other_day), "OK", "{other_day}");
}

#[tokio::test]
async fn the_day_frees_up_when_a_booking_is_declined_or_cancelled() {
    let w = World::new().await;
    w.council("demo-member-1").await;
    let day = w.in_days(14);
    let first = w.booked("demo-resident-1", &w.wedding(day)).await;
    let taken = w.calendar("demo-elder", day, day).await;
    assert_eq!(payload(&taken).as_array().unwrap().len(), 1, "{taken}");

    let declined = w.decline("demo-member-1", &first, "超过二十桌的规模不符合移风易俗要求").await;
    assert_eq!(payload(&declined)["status"], "DECLINED");
    assert_eq!(payload(&declined)["declineReason"], "超过二十桌的规模不符合移风易俗要求");
    assert_eq!(payload(&w.calendar("demo-elder", day, day).await), &json!([]));

    let second = w.booked("demo-resident-2", &w.funeral(day)).await;
    let cancelled = w.cancel("demo-resident-2", &second, None).await;
    assert_eq!(payload(&cancelled)["status"], "CANCELLED");
    assert_eq!(payload(&w.calendar("demo-elder", day, day).await), &json!([]));

    let third = w.try_book("demo-elder", &w.funeral(day)).await;
    assert_eq!(payload(&third)["status"], "PENDING", "the day is free again");
    // A declined or cancelled booking stays that way.
    assert_eq!(outcome(&w.approve("demo-member-1", &first).await), "INVALID_STATE");
    assert_eq!(outcome(&w.approve("demo-member-1", &second).await), "INVALID_STATE");
}

#[tokio::test]
async fn many_residents_racing_for_one_venue_day_get_exactly_one_booking() {
    let w = World::new().await;
    let families: Vec<String> = (0..12).map(|n| format!("race-family-{n}")).collect();
    for f in &families {
        w.fresh_resident(f).await;
    }
    let day = w.in_days(20);
    let b = w.funeral(day);
    let b = &b;
    let w = &w;
    let outcomes: Vec<String> =
        join_all(families.iter().map(|f| async move { outcome(&w.try_book(f, b).await) })).await;
    assert_eq!(count(&outcomes, "OK"), 1, "{outcomes:?}");
    assert_eq!(count(&outcomes, "CONFLICT"), families.len() - 1, "{outcomes:?}");
    let taken = w.calendar("demo-elder", day, day).await;
    assert_eq!(payload(&taken).as_array().unwrap().len(), 1, "{taken}");
    let mut owners = 0;
    for f in &families {
        owners += w.my_bookings(f).await.len();
    }
    assert_eq!(owners, 1);
}

#[tokio::test]
async fn a_retried_booking_returns_the_same_booking_and_a_reused_key_with_other_content_is_a_conflict() {
    let w = World::new().await;
    let b = w.wedding(w.in_days(30));
    let k = key("retry");
    let first = w.try_book_input("demo-resident-1", World::input(&b, &k)).await;
    let again = w.try_book_input("demo-resident-1", World::input(&b, &k)).await;
    assert_eq!(id(payload(&again)), id(payload(&first)));
    // Retries sent all at once book once too.
    let k2 = key("burst");
    let b2 = w.funeral(w.in_days(31));
    let input = World::input(&b2, &k2);
    let w_ref = &w;
    let burst = join_all((0..5).map(|_| w_ref.try_book_input("demo-resident-1", input.clone()))).await;
    let ids: HashSet<String> = burst.iter().map(|r| id(payload(r))).collect();
    assert_eq!(ids.len(), 1, "{burst:?}");
    // The same key with other content is a conflict.
    let mut other = World::input(&b, &k);
    other["tables"] = json!(13);
    let resp = w.try_book_input("demo-resident-1", other).await;
    assert_eq!(outcome(&resp), "CONFLICT", "{resp}");
    assert!(error_message(&resp).contains("idempotencyKey"), "{resp}");
    assert_eq!(w.my_bookings("demo-resident-1").await.len(), 2);
    // Another family's key is their own.
    let theirs = w.try_book_input("demo-resident-2", World::input(&w.wedding(w.in_days(40)), &k)).await;
    assert_eq!(outcome(&theirs), "OK", "{theirs}");
}

// ---------------------------------------------------------------------------
// Deciding
// ---------------------------------------------------------------------------

#[tokio::test]
async fn only_the_council_or_the_secretary_decides_and_declining_needs_a_reason() {
    let w = World::new().await;
    w.council("demo-member-1").await;
    let booking = w.booked("demo-resident-1", &w.wedding(w.in_days(20))).await;
    for who in ["demo-resident-2", "demo-member-2", "demo-secretary-2"] {
        assert_refused(&w.approve(who, &booking).await);
        assert_refused(&w.decline(who, &booking, "不行").await);
    }
    for who in ["demo-canteen", "demo-grid"] {
        assert_eq!(outcome(&w.approve(who, &booking).await), "FORBIDDEN", "{who}");
        assert_eq!(outcome(&w.decline(who, &booking, "不行").await), "FORBIDDEN", "{who}");
    }
    assert_bad_input(&w.decline("demo-member-1", &booking, "  ").await, "reason", "empty");

    // A council member who is no longer a party member no longer decides.
    let member = w.id_of("demo-member-1").await;
    let revoked = w.gql("demo-secretary", REVOKE, json!({ "c": w.chengnan, "u": member, "r": "PARTY_MEMBER" })).await;
    payload(&revoked);
    assert_refused(&w.approve("demo-member-1", &booking).await);

    // The secretary decides too.
    let approved = w.approve("demo-secretary", &booking).await;
    assert_eq!(payload(&approved)["status"], "APPROVED");
    assert_eq!(outcome(&w.approve("demo-secretary", &booking).await), "INVALID_STATE", "approved once");
}

#[tokio::test]
async fn nobody_decides_their_own_booking() {
    let w = World::new().await;
    w.council("demo-member-1").await;
    w.app.newcomer("demo-member-1").await;
    w.app.newcomer_approved_by("demo-secretary", "demo-grid").await;
    let own = w.booked("demo-member-1", &w.wedding(w.in_days(20))).await;
    let resp = w.approve("demo-member-1", &own).await;
    assert_eq!(outcome(&resp), "FORBIDDEN", "{resp}");
    assert!(error_message(&resp).contains("涉及你自己"), "{resp}");
    assert_eq!(outcome(&w.decline("demo-member-1", &own, "自己不批").await), "FORBIDDEN");
    assert_eq!(payload(&w.approve("demo-secretary", &own).await)["status"], "APPROVED");

    let secretarys = w.booked("demo-secretary", &w.funeral(w.in_days(21))).await;
    assert_eq!(outcome(&w.approve("demo-secretary", &secretarys).await), "FORBIDDEN");
    assert_eq!(payload(&w.approve("demo-member-1", &secretarys).await)["status"], "APPROVED");
}

#[tokio::test]
async fn approval_checks_the_limits_again_when_they_have_changed() {
    let w = World::new().await;
    w.council("demo-member-1").await;
    let booking = w.booked("demo-resident-1", &Booking { tables: 15, guests: 140, ..w.wedding(w.in_days(20)) }).await;
    payload(&w.set_limits("demo-secretary", json!({ "maxTables": 10 })).await);
    let resp = w.approve("demo-member-1", &booking).await;
    assert_eq!(outcome(&resp), "INVALID_STATE", "{resp}");
    assert!(error_message(&resp).contains("at most 10 tables"), "{resp}");
    assert_eq!(payload(&w.read("demo-member-1", &booking).await)["status"], "PENDING");

    payload(&w.set_limits("demo-secretary", json!({ "maxTables": 20, "maxPricePerTableFen": 25_000 })).await);
    let resp = w.approve("demo-member-1", &booking).await;
    assert_eq!(outcome(&resp), "INVALID_STATE", "{resp}");
    assert!(error_message(&resp).contains("at most 250 yuan a table"), "{resp}");

    payload(&w.set_limits("demo-secretary", json!({ "maxPricePerTableFen": 60_000 })).await);
    assert_eq!(payload(&w.approve("demo-member-1", &booking).await)["status"], "APPROVED");
}

#[tokio::test]
async fn two_council_members_deciding_at_once_make_one_decision() {
    let w = World::new().await;
    w.council("demo-member-1").await;
    w.council("demo-member-2").await;
    let booking = w.booked("demo-resident-1", &w.wedding(w.in_days(20))).await;
    let (a, d) = tokio::join!(w.approve("demo-member-1", &booking), w.decline("demo-member-2", &booking, "规模过大"));
    let outcomes = vec![outcome(&a), outcome(&d)];
    assert_eq!(count(&outcomes, "OK"), 1, "{outcomes:?}");
    assert_eq!(count(&outcomes, "INVALID_STATE"), 1, "{outcomes:?}");
    let history = payload(&w.read("demo-secretary", &booking).await)["history"].as_array().unwrap().clone();
    assert_eq!(history.len(), 2, "one creation and one decision: {history:?}");
}

#[tokio::test]
async fn a_pending_booking_cannot_be_approved_after_its_day_and_is_cancelled_only_before_it() {
    let w = World::new().await;
    w.council("demo-member-1").await;
    let today = w.today();
    let tomorrow = w.in_days(1);
    let funeral = w.booked("demo-resident-1", &w.funeral(tomorrow)).await;
    let other = w.booked("demo-resident-2", &w.funeral(today)).await;
    // On its day a funeral can still be approved, but no longer cancelled.
    let resp = w.cancel("demo-resident-2", &other, None).await;
    assert_eq!(outcome(&resp), "INVALID_STATE", "{resp}");
    assert_eq!(payload(&w.approve("demo-member-1", &other).await)["status"], "APPROVED");
    // Once its day has passed, a pending booking can only be declined.
    w.move_clock_to(tomorrow + Duration::days(1), 0, 1);
    let resp = w.approve("demo-member-1", &funeral).await;
    assert_eq!(outcome(&resp), "INVALID_STATE", "{resp}");
    assert!(error_message(&resp).contains("passed"), "{resp}");
    assert_eq!(payload(&w.decline("demo-member-1", &funeral, "日期已过").await)["status"], "DECLINED");
    // The canteen marks the approved one held after the day.
    assert_eq!(payload(&w.held("demo-canteen", &other).await)["status"], "HELD");
}

// ---------------------------------------------------------------------------
// Cancelling
// ---------------------------------------------------------------------------

#[tokio::test]
async fn cancelling_is_for_the_family_or_the_staff_who_say_why() {
    let w = World::new().await;
    w.council("demo-member-1").await;
    let day = w.in_days(20);
    let booking = w.booked("demo-resident-1", &w.wedding(day)).await;
    payload(&w.approve("demo-member-1", &booking).await);
    assert_refused(&w.cancel("demo-resident-2", &booking, Some("想要这天")).await);
    assert_refused(&w.cancel("demo-resident-3", &booking, Some("想要这天")).await);
    assert_eq!(outcome(&w.cancel("demo-grid", &booking, Some("代取消")).await), "FORBIDDEN");
    assert_bad_input(&w.cancel("demo-canteen", &booking, None).await, "reason", "say why");
    let resp = w.cancel("demo-canteen", &booking, Some("大厅当天停电检修")).await;
    let c = payload(&resp);
    assert_eq!(c["status"], "CANCELLED");
    assert_eq!(c["cancelReason"], "大厅当天停电检修");
    assert_eq!(c["cancelledBy"]["id"], w.id_of("demo-canteen").await);
    assert_eq!(outcome(&w.cancel("demo-resident-1", &booking, None).await), "INVALID_STATE", "cancelled once");
    assert_eq!(outcome(&w.held("demo-canteen", &booking).await), "INVALID_STATE");

    // The family cancels their own without a reason; the council may cancel too.
    let second = w.booked("demo-resident-1", &w.wedding(day)).await;
    assert_eq!(payload(&w.cancel("demo-resident-1", &second, None).await)["status"], "CANCELLED");
    let third = w.booked("demo-resident-2", &w.wedding(day)).await;
    assert_eq!(payload(&w.cancel("demo-member-1", &third, Some("家属要求")).await)["status"], "CANCELLED");
    let fourth = w.booked("demo-elder", &w.funeral(day)).await;
    assert_eq!(payload(&w.cancel("demo-secretary", &fourth, Some("家属要求")).await)["status"], "CANCELLED");
}

// ---------------------------------------------------------------------------
// Reading: privacy, the calendar, the council's list
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_contact_phone_is_masked_for_everyone_but_the_booker_the_council_the_canteen_and_the_secretary() {
    let w = World::new().await;
    w.council("demo-member-1").await;
    let booking = w.booked("demo-resident-1", &w.wedding(w.in_days(20))).await;
    for who in ["demo-resident-1", "demo-member-1", "demo-canteen", "demo-secretary"] {
        let b = w.read(who, &booking).await;
        assert_eq!(payload(&b)["contactPhone"], "13812345678", "{who}");
        assert_eq!(payload(&b)["contactMasked"], false, "{who}");
    }
    let grid = w.read("demo-grid", &booking).await;
    assert_eq!(payload(&grid)["contactPhone"], "138****5678");
    assert_eq!(payload(&grid)["contactMasked"], true);
    let listed = w.gql("demo-grid", &list_query(), json!({ "c": w.chengnan })).await;
    assert_eq!(payload(&listed)["edges"][0]["node"]["contactPhone"], "138****5678", "{listed}");
    // Others do not see the booking at all.
    for who in ["demo-resident-2", "demo-member-2", "demo-volunteer", "demo-secretary-2"] {
        assert_eq!(outcome(&w.read(who, &booking).await), "NOT_FOUND", "{who}");
    }
}

#[tokio::test]
async fn the_calendar_shows_taken_venue_days_to_members_without_personal_data() {
    let w = World::new().await;
    w.council("demo-member-1").await;
    let (d1, d2) = (w.in_days(10), w.in_days(12));
    let first = w.booked("demo-resident-1", &w.wedding(d1)).await;
    w.booked("demo-resident-2", &w.funeral(d2)).await;
    payload(&w.approve("demo-member-1", &first).await);
    let resp = w.calendar("demo-volunteer", w.today(), w.in_days(30)).await;
    assert_eq!(
        payload(&resp).clone(),
        json!([
            { "venueId": w.hall, "venueName": "合约食堂大厅", "date": d1.to_string(), "confirmed": true },
            { "venueId": w.hall, "venueName": "合约食堂大厅", "date": d2.to_string(), "confirmed": false },
        ])
    );
    assert!(!resp.to_string().contains("1381234"), "no phone in the calendar: {resp}");
    // The calendar type has no personal fields to ask for.
    let sneaky = w
        .gql(
            "demo-volunteer",
            "query($c: ID!, $f: NaiveDate!, $t: NaiveDate!) { banquetCalendar(communityId: $c, from: $f, to: $t) { \
             hostName } }",
            json!({ "c": w.chengnan, "f": d1.to_string(), "t": d2.to_string() }),
        )
        .await;
    assert!(sneaky.get("errors").is_some(), "{sneaky}");

    let resp = w.calendar("demo-volunteer", d2, d1).await;
    assert_bad_input(&resp, "to", "before");
    let resp = w.calendar("demo-volunteer", d1, d1 + Duration::days(366)).await;
    assert_bad_input(&resp, "to", "366 days");
    assert_eq!(outcome(&w.calendar("demo-resident-3", d1, d2).await), "NOT_FOUND");
}

#[tokio::test]
async fn the_council_the_canteen_and_the_secretary_list_the_communitys_bookings_page_by_page() {
    let w = World::new().await;
    w.council("demo-member-1").await;
    let mut ids = Vec::new();
    for (n, who) in ["demo-resident-1", "demo-resident-2", "demo-elder"].iter().enumerate() {
        ids.push(w.booked(who, &w.funeral(w.in_days(10 + n as i64))).await);
    }
    payload(&w.approve("demo-member-1", &ids[0]).await);
    for who in ["demo-member-1", "demo-canteen", "demo-secretary"] {
        let all = w.gql(who, &list_query(), json!({ "c": w.chengnan })).await;
        assert_eq!(payload(&all)["totalCount"], 3, "{who}");
    }
    let pending = w.gql("demo-member-1", &list_query(), json!({ "c": w.chengnan, "s": "PENDING", "f": 1 })).await;
    let p = payload(&pending);
    assert_eq!(p["totalCount"], 2);
    assert_eq!(p["pageInfo"]["hasNextPage"], true);
    assert_eq!(p["edges"][0]["node"]["id"], ids[2], "newest first");
    let cursor = p["pageInfo"]["endCursor"].clone();
    let next =
        w.gql("demo-member-1", &list_query(), json!({ "c": w.chengnan, "s": "PENDING", "f": 1, "a": cursor })).await;
    let n = payload(&next);
    assert_eq!(n["edges"][0]["node"]["id"], ids[1]);
    assert_eq!(n["pageInfo"]["hasNextPage"], false);

    for who in ["demo-resident-1", "demo-member-2", "demo-volunteer"] {
        let resp = w.gql(who, &list_query(), json!({ "c": w.chengnan })).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}");
    }
    let resp = w.gql("demo-secretary-2", &list_query(), json!({ "c": w.chengnan })).await;
    assert_eq!(outcome(&resp), "NOT_FOUND");
    let resp = w.gql("demo-secretary", &list_query(), json!({ "c": w.chengnan, "f": 0 })).await;
    assert_bad_input(&resp, "first", "between 1 and 100");
}
