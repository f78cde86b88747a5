// The in-app notice inbox: each person reads only their own notices, newest
// first, with the unread count; marks one or all read; and cannot read or
// mark anyone else's. Notices here come from the late-lunchbox sweep.

use crate::common::*;
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use domain::Clock;
use serde_json::{Value, json};

const INBOX: &str = "query($u: Boolean!, $first: Int, $after: String) { myNotifications(unreadOnly: $u, first: $first, \
     after: $after) { totalCount unreadCount pageInfo { hasNextPage endCursor } edges { cursor node { id kind title \
     body read readAt createdAt subjectKind subjectId } } } }";
const READ: &str = "mutation($id: ID!) { markNotificationRead(id: $id) { id read readAt } }";
const READ_ALL: &str = "mutation { markAllNotificationsRead }";

fn nodes(inbox: &Value) -> Vec<Value> {
    inbox["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect()
}

async fn as_user(app: &TestApp, who: &str, query: &str, vars: Value) -> Value {
    let s = app.login(who).await;
    app.gql(Some(&s.access_token), query, vars).await
}

async fn inbox(app: &TestApp, who: &str, unread_only: bool) -> Value {
    data(&as_user(app, who, INBOX, json!({ "u": unread_only, "first": 50 })).await, "myNotifications").clone()
}

/// Three lunchboxes nobody delivered tomorrow; after the sweep at 13:00 the
/// grid worker and the secretary each have three notices.
async fn three_late_lunchboxes(app: &TestApp) {
    let c = app.community_id(CHENGNAN).await;
    let today = app.clock.now().with_timezone(&shanghai()).date_naive();
    let day: NaiveDate = today + Duration::days(1);
    let menu = json!([{ "kind": "WORKER_SET", "name": "8元工作餐", "priceFen": 800, "quantity": 10 }]);
    let publish = "mutation($c: ID!, $d: NaiveDate!, $i: [MealInput!]!) { publishCanteenMenu(communityId: $c, date: $d, \
         items: $i) { id } }";
    let resp = as_user(app, "demo-canteen", publish, json!({ "c": c, "d": day.to_string(), "i": menu })).await;
    data(&resp, "publishCanteenMenu");
    let grid = app.login("demo-grid").await.user_id;
    let add =
        "mutation($c: ID!, $i: LunchboxRecipientInput!) { addLunchboxRecipient(communityId: $c, input: $i) { id } }";
    for name in ["吴奶奶", "龙阿公", "杨阿婆"] {
        let input = json!({ "name": name, "category": "EMPTY_NEST_ELDERLY", "address": "城南社区2栋1单元201",
            "phone": "13800002222", "mealKind": "WORKER_SET", "gridWorkerId": grid });
        data(&as_user(app, "demo-secretary", add, json!({ "c": c, "i": input })).await, "addLunchboxRecipient");
    }
    let generate = "mutation($c: ID!, $d: NaiveDate!) { generateLunchboxDeliveries(communityId: $c, date: $d) { \
         created { id } } }";
    let resp = as_user(app, "demo-secretary", generate, json!({ "c": c, "d": day.to_string() })).await;
    assert_eq!(data(&resp, "generateLunchboxDeliveries")["created"].as_array().unwrap().len(), 3);
    let at = shanghai().from_local_datetime(&day.and_hms_opt(13, 0, 0).unwrap()).single().unwrap();
    app.clock.advance(at.with_timezone(&Utc) - app.clock.now());
    assert_eq!(app.domain.lunchbox().alert_undelivered().await.unwrap(), 3);
}

#[tokio::test]
async fn my_notifications_are_mine_newest_first_with_the_unread_count() {
    let app = spawn_app().await;
    three_late_lunchboxes(&app).await;
    let all = inbox(&app, "demo-grid", false).await;
    assert_eq!(all["totalCount"], 3, "{all}");
    assert_eq!(all["unreadCount"], 3);
    let ids: Vec<i64> = nodes(&all).iter().map(|n| n["id"].as_str().unwrap().parse().unwrap()).collect();
    let mut newest_first = ids.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(ids, newest_first, "newest first");
    for n in nodes(&all) {
        assert_eq!(n["read"], false);
        assert_eq!(n["readAt"], Value::Null);
        assert_eq!(n["kind"], "LUNCHBOX_UNDELIVERED");
        assert_eq!(n["title"], "爱心盒饭未按时送达");
    }

    // One read: the unread count and the unread-only list follow.
    let first = nodes(&all)[0]["id"].as_str().unwrap().to_owned();
    let resp = as_user(&app, "demo-grid", READ, json!({ "id": first })).await;
    assert_eq!(data(&resp, "markNotificationRead")["read"], true);
    let read_at = data(&resp, "markNotificationRead")["readAt"].clone();
    assert!(read_at.is_string());
    // Marking it again keeps the first time.
    app.clock.advance(chrono::Duration::minutes(5));
    let again = as_user(&app, "demo-grid", READ, json!({ "id": first })).await;
    assert_eq!(data(&again, "markNotificationRead")["readAt"], read_at);
    let unread = inbox(&app, "demo-grid", true).await;
    assert_eq!(unread["totalCount"], 2);
    assert_eq!(unread["unreadCount"], 2);
    assert!(nodes(&unread).iter().all(|n| n["id"] != first.as_str()));
    let all = inbox(&app, "demo-grid", false).await;
    assert_eq!(all["totalCount"], 3, "read notices stay in the inbox");
    assert_eq!(all["unreadCount"], 2);

    // All read: how many were unread; then nothing is.
    let resp = as_user(&app, "demo-grid", READ_ALL, json!({})).await;
    assert_eq!(data(&resp, "markAllNotificationsRead"), 2);
    let resp = as_user(&app, "demo-grid", READ_ALL, json!({})).await;
    assert_eq!(data(&resp, "markAllNotificationsRead"), 0);
    assert_eq!(inbox(&app, "demo-grid", false).await["unreadCount"], 0);
    assert_eq!(inbox(&app, "demo-grid", true).await["totalCount"], 0);

    // The secretary's own notices were untouched.
    assert_eq!(inbox(&app, "demo-secretary", false).await["unreadCount"], 3);
}

#[tokio::test]
async fn nobody_reads_or_marks_another_person_s_notices() {
    let app = spawn_app().await;
    three_late_lunchboxes(&app).await;
    let theirs = nodes(&inbox(&app, "demo-grid", false).await)[0]["id"].as_str().unwrap().to_owned();
    for who in ["demo-volunteer", "demo-resident-1", "demo-secretary", "demo-secretary-2"] {
        let resp = as_user(&app, who, READ, json!({ "id": theirs })).await;
        assert_eq!(error_code(&resp), "NOT_FOUND", "{who}: {resp}");
    }
    let empty = inbox(&app, "demo-volunteer", false).await;
    assert_eq!(empty["totalCount"], 0);
    assert_eq!(empty["unreadCount"], 0);
    // Marking all of one's own touches no one else's.
    let resp = as_user(&app, "demo-volunteer", READ_ALL, json!({})).await;
    assert_eq!(data(&resp, "markAllNotificationsRead"), 0);
    assert_eq!(inbox(&app, "demo-grid", false).await["unreadCount"], 3);
    let resp = as_user(&app, "demo-grid", READ, json!({ "id": "not-an-id" })).await;
    assert_eq!(error_code(&resp), "NOT_FOUND");
    // Signed out: nothing at all.
    let resp = app.gql(None, INBOX, json!({ "u": false })).await;
    assert_eq!(error_code(&resp), "UNAUTHENTICATED");
}

#[tokio::test]
async fn the_inbox_pages_with_cursors() {
    let app = spawn_app().await;
    three_late_lunchboxes(&app).await;
    let s = app.login("demo-secretary").await;
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let resp = app.gql(Some(&s.access_token), INBOX, json!({ "u": false, "first": 2, "after": after })).await;
        let page = data(&resp, "myNotifications").clone();
        assert_eq!(page["totalCount"], 3);
        seen.extend(nodes(&page).iter().map(|n| n["id"].as_str().unwrap().to_owned()));
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
    let mut distinct = seen.clone();
    distinct.dedup();
    assert_eq!(distinct.len(), 3, "no notice twice");
    let resp = app.gql(Some(&s.access_token), INBOX, json!({ "u": false, "first": 0 })).await;
    assert_eq!(error_code(&resp), "BAD_USER_INPUT");
}
