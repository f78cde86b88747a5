// Subscription messages through the outbox, against the fake WeChat: grants
// from wx.requestSubscribeMessage, messages queued for order events and
// notices, and the sender's handling of each answer WeChat gives.

use crate::common::*;
use api::push::PushSender;
use chrono::Duration;
use domain::Clock;
use domain::entities::workflow_event;
use domain::push::{PushKind, PushStatus};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

const ACCEPT: &str = "mutation($k: [PushKind!]!) { acceptSubscriptions(kinds: $k) { kind remaining } }";
const GRANTS: &str = "{ myPushGrants { kind remaining } }";
const PLACE: &str = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }";
const DISPATCH: &str = "mutation($id: ID!) { dispatchOrder(orderId: $id) { id status } }";
const CLAIM: &str = "mutation($id: ID!) { claimOrder(orderId: $id) { id status } }";
const SEND: &str = "/cgi-bin/message/subscribe/send";

async fn spawn() -> TestApp {
    spawn_app_with(|c| {
        c.push.interval_seconds = 0;
        c.limits.mutations_per_minute = 10_000;
    })
    .await
}

/// The fake `stable_token`, answering `token`.
async fn stable_token(app: &TestApp, token: &str) {
    Mock::given(method("POST"))
        .and(path("/cgi-bin/stable_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "access_token": token, "expires_in": 7200 })))
        .mount(&app.wechat)
        .await;
}

/// The fake `subscribe/send`, answering `errcode` and expecting `times` calls.
async fn subscribe_send(app: &TestApp, errcode: i64, times: u64) {
    Mock::given(method("POST"))
        .and(path(SEND))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "errcode": errcode, "errmsg": "fake" })))
        .expect(times)
        .mount(&app.wechat)
        .await;
}

/// Equal to the database's precision (microseconds on PostgreSQL).
fn same_time(a: chrono::DateTime<chrono::Utc>, b: chrono::DateTime<chrono::Utc>) -> bool {
    (a - b).num_milliseconds().abs() < 1
}

fn sender(app: &TestApp) -> PushSender {
    PushSender::standalone(&app.config, app.domain.clone()).unwrap()
}

/// The bodies of every `subscribe/send` call so far.
async fn sends(app: &TestApp) -> Vec<Value> {
    app.wechat
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == SEND)
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

async fn accept(app: &TestApp, who: &str, kinds: &[&str]) -> Value {
    data(&app.gql_as(who, ACCEPT, json!({ "k": kinds })).await, "acceptSubscriptions").clone()
}

async fn remaining(app: &TestApp, who: &str, kind: &str) -> i64 {
    let grants = data(&app.gql_as(who, GRANTS, json!({})).await, "myPushGrants").clone();
    grants.as_array().unwrap().iter().find(|g| g["kind"] == kind).unwrap()["remaining"].as_i64().unwrap()
}

async fn user_id(app: &TestApp, who: &str) -> i64 {
    app.session(who).await.user_id.parse().unwrap()
}

/// 龙阿姨 places an order; the secretary publishes it to the pool. Its id.
async fn open_order(app: &TestApp, title: &str) -> i64 {
    let c = app.community_id(CHENGNAN).await;
    let input = json!({ "communityId": c, "category": "REPAIR", "title": title, "description": "厨房水龙头一直滴水" });
    let placed = app.gql_as("demo-resident-1", PLACE, json!({ "input": input })).await;
    let id = data(&placed, "placeOrder")["id"].as_str().unwrap().to_owned();
    let open = app.gql_as("demo-secretary", DISPATCH, json!({ "id": id })).await;
    assert_eq!(data(&open, "dispatchOrder")["status"], "OPEN");
    id.parse().unwrap()
}

/// An open order claimed by 李党员. Its id.
async fn claimed_order(app: &TestApp, title: &str) -> i64 {
    let id = open_order(app, title).await;
    let claimed = app.gql_as("demo-member-1", CLAIM, json!({ "id": id.to_string() })).await;
    assert_eq!(data(&claimed, "claimOrder")["status"], "CLAIMED");
    id
}

/// The id of the order's latest event into `status` (what the relay would hand over).
/// Waits until the notifier has handled `event` (the relay runs it in the
/// background); how many messages it queued for the event.
async fn relayed(app: &TestApp, event: i64) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let db = &app.domain.db;
    let count = |sql: String| async move {
        let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while count(format!("SELECT COUNT(*) FROM event_inbox WHERE consumer = 'notifier' AND event_id = {event}")).await
        == 0
    {
        assert!(std::time::Instant::now() < deadline, "the notifier should handle event {event}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    count(format!("SELECT COUNT(*) FROM wechat_pushes WHERE dedup_key LIKE 'event:{event}:%' AND status <> 'SKIPPED'"))
        .await
}

async fn event_id(app: &TestApp, order_id: i64, status: &str) -> i64 {
    workflow_event::Entity::find()
        .filter(workflow_event::Column::SubjectKind.eq("ORDER"))
        .filter(workflow_event::Column::SubjectId.eq(order_id))
        .filter(workflow_event::Column::ToStatus.eq(status))
        .order_by_desc(workflow_event::Column::Id)
        .one(&app.domain.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no {status} event for order {order_id}"))
        .id
}

#[tokio::test]
async fn a_claimed_order_pushes_one_message_to_the_placer() {
    let app = spawn().await;
    stable_token(&app, "T").await;
    Mock::given(method("POST"))
        .and(path(SEND))
        .and(query_param("access_token", "T"))
        .and(body_partial_json(json!({
            "touser": "demo-resident-1",
            "template_id": "TEMPLATE_ORDER_CLAIMED",
            "miniprogram_state": "formal",
            "lang": "zh_CN",
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "errcode": 0, "errmsg": "ok" })))
        .expect(1)
        .mount(&app.wechat)
        .await;
    let granted = accept(&app, "demo-resident-1", &["ORDER_CLAIMED"]).await;
    assert!(granted.as_array().unwrap().contains(&json!({ "kind": "ORDER_CLAIMED", "remaining": 1 })), "{granted}");

    let title = "厨房的水龙头坏了一直在滴水，楼下邻居说天花板也湿了";
    let order = claimed_order(&app, title).await;
    let event = event_id(&app, order, "CLAIMED").await;
    assert_eq!(relayed(&app, event).await, 1);
    assert_eq!(remaining(&app, "demo-resident-1", "ORDER_CLAIMED").await, 0, "the grant is spent");

    let report = sender(&app).send_due_pushes(app.clock.now()).await.unwrap();
    assert_eq!(report.sent, 1, "{report:?}");
    let sent = sends(&app).await;
    assert_eq!(sent.len(), 1);
    let body = &sent[0];
    assert_eq!(body["page"], format!("pages/order/detail?id={order}"));
    let thing1 = body["data"]["thing1"]["value"].as_str().unwrap();
    assert_eq!(thing1.chars().count(), 20, "a thing field is cut to WeChat's 20 characters: {thing1}");
    assert!(title.starts_with(thing1.trim_end_matches('…')));
    assert_eq!(body["data"]["thing2"]["value"], "李党员已接单");
    assert!(body["data"]["time3"]["value"].as_str().unwrap().len() == 16, "{body}");

    let records = app.domain.push().for_user(user_id(&app, "demo-resident-1").await).await.unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].status, PushStatus::Sent);
    assert_eq!(records[0].kind, PushKind::OrderClaimed);
    assert!(same_time(records[0].sent_at.unwrap(), app.clock.now()));
}

#[tokio::test]
async fn an_order_placed_for_a_resident_tells_both_at_each_step_until_it_is_rated() {
    let app = spawn().await;
    stable_token(&app, "T").await;
    subscribe_send(&app, 0, 6).await;
    for who in ["demo-grid", "demo-resident-1"] {
        accept(&app, who, &["ORDER_CLAIMED", "ORDER_COMPLETED", "ORDER_RATE"]).await;
    }
    let c = app.community_id(CHENGNAN).await;
    let resident = app.session("demo-resident-1").await.user_id;
    let input = json!({ "communityId": c, "category": "REPAIR", "title": "修水管", "description": "厨房水龙头一直滴水",
        "onBehalfOf": resident });
    let placed = app.gql_as("demo-grid", PLACE, json!({ "input": input })).await;
    let id = data(&placed, "placeOrder")["id"].as_str().unwrap().to_owned();
    let order: i64 = id.parse().unwrap();
    data(&app.gql_as("demo-secretary", DISPATCH, json!({ "id": id })).await, "dispatchOrder");
    data(&app.gql_as("demo-member-1", CLAIM, json!({ "id": id })).await, "claimOrder");
    let complete = "mutation($id: ID!) { completeOrder(orderId: $id, note: \"换了新龙头\") { status } }";
    data(&app.gql_as("demo-member-1", complete, json!({ "id": id })).await, "completeOrder");
    let approve = "mutation($id: ID!) { approveOrder(orderId: $id) { status } }";
    data(&app.gql_as("demo-secretary", approve, json!({ "id": id })).await, "approveOrder");
    for status in ["OPEN", "CLAIMED", "AWAITING_APPROVAL", "APPROVED"] {
        relayed(&app, event_id(&app, order, status).await).await;
    }
    assert_eq!(sender(&app).send_due_pushes(app.clock.now()).await.unwrap().sent, 6);
    let mut sent: Vec<(String, String, String)> = sends(&app)
        .await
        .iter()
        .map(|b| {
            let s = |v: &Value| v.as_str().unwrap().to_owned();
            (s(&b["touser"]), s(&b["template_id"]), s(&b["data"]["thing2"]["value"]))
        })
        .collect();
    sent.sort();
    let expected: Vec<(String, String, String)> = ["demo-grid", "demo-resident-1"]
        .iter()
        .flat_map(|who| {
            [
                ("TEMPLATE_ORDER_CLAIMED", "李党员已接单"),
                ("TEMPLATE_ORDER_COMPLETED", "已办结，请查看"),
                ("TEMPLATE_ORDER_RATE", "已审定，请评价"),
            ]
            .map(|(t, v)| (who.to_string(), t.to_string(), v.to_string()))
        })
        .collect();
    assert_eq!(sent, expected);
}

#[tokio::test]
async fn without_a_grant_nothing_is_sent() {
    let app = spawn().await;
    stable_token(&app, "T").await;
    subscribe_send(&app, 0, 0).await;
    let order = claimed_order(&app, "换灯泡").await;
    let event = event_id(&app, order, "CLAIMED").await;
    assert_eq!(relayed(&app, event).await, 0);
    let report = sender(&app).send_due_pushes(app.clock.now()).await.unwrap();
    assert_eq!(report.taken(), 0);
    let records = app.domain.push().for_user(user_id(&app, "demo-resident-1").await).await.unwrap();
    assert!(records.is_empty(), "nothing is queued without a grant: {records:?}");
}

#[tokio::test]
async fn grants_accumulate_and_each_is_spent_on_one_message() {
    let app = spawn().await;
    stable_token(&app, "T").await;
    subscribe_send(&app, 0, 1).await;
    accept(&app, "demo-resident-1", &["ORDER_CLAIMED", "ALARM"]).await;
    accept(&app, "demo-resident-1", &["ALARM"]).await;
    assert_eq!(remaining(&app, "demo-resident-1", "ALARM").await, 2, "grants accumulate");
    assert_eq!(remaining(&app, "demo-resident-1", "ORDER_CLAIMED").await, 1);
    assert_eq!(remaining(&app, "demo-resident-1", "ORDER_RATE").await, 0);

    let first = claimed_order(&app, "修水管").await;
    let second = claimed_order(&app, "修门锁").await;
    assert_eq!(relayed(&app, event_id(&app, first, "CLAIMED").await).await, 1);
    assert_eq!(relayed(&app, event_id(&app, second, "CLAIMED").await).await, 0);
    assert_eq!(sender(&app).send_due_pushes(app.clock.now()).await.unwrap().sent, 1);
    assert_eq!(remaining(&app, "demo-resident-1", "ALARM").await, 2, "other kinds are untouched");
}

#[tokio::test]
async fn the_same_event_handled_twice_sends_once_and_spends_one_grant() {
    let app = spawn().await;
    stable_token(&app, "T").await;
    subscribe_send(&app, 0, 1).await;
    accept(&app, "demo-resident-1", &["ORDER_CLAIMED", "ORDER_CLAIMED"]).await;
    let order = claimed_order(&app, "修水管").await;
    let event = event_id(&app, order, "CLAIMED").await;
    assert_eq!(relayed(&app, event).await, 1);
    assert_eq!(app.domain.orders().pushes_for_event(event).await.unwrap(), 0, "a redelivered event queues nothing");
    let s = sender(&app);
    assert_eq!(s.send_due_pushes(app.clock.now()).await.unwrap().sent, 1);
    assert_eq!(app.domain.orders().pushes_for_event(event).await.unwrap(), 0, "nor after it was sent");
    assert_eq!(s.send_due_pushes(app.clock.now()).await.unwrap().taken(), 0);
    assert_eq!(remaining(&app, "demo-resident-1", "ORDER_CLAIMED").await, 1);
}

#[tokio::test]
async fn two_senders_at_once_send_a_message_once() {
    let app = spawn().await;
    stable_token(&app, "T").await;
    subscribe_send(&app, 0, 3).await;
    accept(&app, "demo-resident-1", &["ORDER_CLAIMED"; 3]).await;
    for title in ["修水管", "修门锁", "换灯泡"] {
        let order = claimed_order(&app, title).await;
        relayed(&app, event_id(&app, order, "CLAIMED").await).await;
    }
    let (a, b) = (sender(&app), sender(&app));
    let now = app.clock.now();
    let (ra, rb) = tokio::join!(a.send_due_pushes(now), b.send_due_pushes(now));
    assert_eq!(ra.unwrap().sent + rb.unwrap().sent, 3);
    assert_eq!(sends(&app).await.len(), 3, "each message went out once");
}

#[tokio::test]
async fn a_message_held_by_a_sender_that_died_is_sent_after_its_lease_runs_out() {
    let app = spawn().await;
    stable_token(&app, "T").await;
    subscribe_send(&app, 0, 1).await;
    accept(&app, "demo-resident-1", &["ORDER_CLAIMED"]).await;
    let order = claimed_order(&app, "修水管").await;
    relayed(&app, event_id(&app, order, "CLAIMED").await).await;
    let lease = Duration::seconds(app.config.push.lease_seconds);
    // A sender takes the message and dies before sending it.
    let held = app.domain.push().claim_due(app.clock.now(), lease, 10).await.unwrap();
    assert_eq!(held.len(), 1);
    let s = sender(&app);
    assert_eq!(s.send_due_pushes(app.clock.now()).await.unwrap().taken(), 0, "held by the first sender");
    app.clock.advance(lease);
    assert_eq!(s.send_due_pushes(app.clock.now()).await.unwrap().sent, 1, "due again once the lease ran out");
}

#[tokio::test]
async fn an_open_order_reaches_the_members_and_volunteers_who_subscribed() {
    let app = spawn().await;
    stable_token(&app, "T").await;
    subscribe_send(&app, 0, 2).await;
    accept(&app, "demo-member-1", &["POOL_NEW_ORDER"]).await;
    accept(&app, "demo-volunteer", &["POOL_NEW_ORDER"]).await;
    accept(&app, "demo-resident-2", &["POOL_NEW_ORDER"]).await; // a resident: not in the pool's audience
    let order = open_order(&app, "帮忙搬柜子").await;
    assert_eq!(relayed(&app, event_id(&app, order, "OPEN").await).await, 2);
    assert_eq!(sender(&app).send_due_pushes(app.clock.now()).await.unwrap().sent, 2);
    let mut to: Vec<String> = sends(&app).await.iter().map(|b| b["touser"].as_str().unwrap().to_owned()).collect();
    to.sort();
    assert_eq!(to, ["demo-member-1", "demo-volunteer"]);
    assert!(sends(&app).await.iter().all(|b| b["template_id"] == "TEMPLATE_POOL_NEW_ORDER"));
    assert_eq!(remaining(&app, "demo-resident-2", "POOL_NEW_ORDER").await, 1);
}

#[tokio::test]
async fn a_new_notice_also_goes_out_as_an_alarm_message() {
    let app = spawn().await;
    stable_token(&app, "T").await;
    Mock::given(method("POST"))
        .and(path(SEND))
        .and(body_partial_json(json!({ "touser": "demo-grid", "template_id": "TEMPLATE_ALARM" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "errcode": 0 })))
        .expect(1)
        .mount(&app.wechat)
        .await;
    accept(&app, "demo-grid", &["ALARM"]).await;
    let c = app.community_id(CHENGNAN).await;
    let file = "mutation($input: FileCareRequestInput!) { fileCareRequest(input: $input) { id } }";
    let input = json!({ "communityId": c, "kind": "MEAL_DELIVERY", "title": "急需送饭", "description": "一天没吃东西了",
        "urgent": true });
    data(&app.gql_as("demo-elder", file, json!({ "input": input })).await, "fileCareRequest");
    assert_eq!(sender(&app).send_due_pushes(app.clock.now()).await.unwrap().sent, 1);
    let body = &sends(&app).await[0];
    assert_eq!(body["data"]["thing1"]["value"], "紧急照护请求", "{body}");
    assert_eq!(remaining(&app, "demo-grid", "ALARM").await, 0);
}

#[tokio::test]
async fn a_refusal_43101_is_recorded_and_never_retried() {
    let app = spawn().await;
    stable_token(&app, "T").await;
    subscribe_send(&app, 43101, 1).await;
    accept(&app, "demo-resident-1", &["ORDER_CLAIMED"]).await;
    let order = claimed_order(&app, "修水管").await;
    relayed(&app, event_id(&app, order, "CLAIMED").await).await;
    let s = sender(&app);
    assert_eq!(s.send_due_pushes(app.clock.now()).await.unwrap().refused, 1);
    app.clock.advance(Duration::days(1));
    assert_eq!(s.send_due_pushes(app.clock.now()).await.unwrap().taken(), 0, "not retried");
    let records = app.domain.push().for_user(user_id(&app, "demo-resident-1").await).await.unwrap();
    assert_eq!(records[0].status, PushStatus::Refused);
    assert_eq!(records[0].last_errcode, Some(43101));
}

#[tokio::test]
async fn a_bad_template_fails_the_message_without_retrying() {
    let app = spawn().await;
    stable_token(&app, "T").await;
    subscribe_send(&app, 40037, 1).await;
    accept(&app, "demo-resident-1", &["ORDER_CLAIMED"]).await;
    let order = claimed_order(&app, "修水管").await;
    relayed(&app, event_id(&app, order, "CLAIMED").await).await;
    let s = sender(&app);
    assert_eq!(s.send_due_pushes(app.clock.now()).await.unwrap().failed, 1);
    app.clock.advance(Duration::days(1));
    assert_eq!(s.send_due_pushes(app.clock.now()).await.unwrap().taken(), 0);
    let records = app.domain.push().for_user(user_id(&app, "demo-resident-1").await).await.unwrap();
    assert_eq!((records[0].status, records[0].last_errcode), (PushStatus::Failed, Some(40037)));
}

#[tokio::test]
async fn a_busy_wechat_is_retried_after_the_backoff_and_then_sent() {
    let app = spawn().await;
    stable_token(&app, "T").await;
    Mock::given(method("POST"))
        .and(path(SEND))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "errcode": -1, "errmsg": "system busy" })))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&app.wechat)
        .await;
    subscribe_send(&app, 0, 1).await;
    accept(&app, "demo-resident-1", &["ORDER_CLAIMED"]).await;
    let order = claimed_order(&app, "修水管").await;
    relayed(&app, event_id(&app, order, "CLAIMED").await).await;
    let s = sender(&app);
    let base = Duration::seconds(app.config.push.retry_base_seconds);

    assert_eq!(s.send_due_pushes(app.clock.now()).await.unwrap().retrying, 1);
    let records = app.domain.push().for_user(user_id(&app, "demo-resident-1").await).await.unwrap();
    assert_eq!((records[0].status, records[0].attempts, records[0].last_errcode), (PushStatus::Pending, 1, Some(-1)));
    assert!(same_time(records[0].next_attempt_at, app.clock.now() + base), "retried after the base backoff");

    app.clock.advance(base - Duration::seconds(1));
    assert_eq!(s.send_due_pushes(app.clock.now()).await.unwrap().taken(), 0, "not before the backoff");
    app.clock.advance(Duration::seconds(1));
    assert_eq!(s.send_due_pushes(app.clock.now()).await.unwrap().sent, 1);
    let records = app.domain.push().for_user(user_id(&app, "demo-resident-1").await).await.unwrap();
    assert_eq!((records[0].status, records[0].attempts), (PushStatus::Sent, 2));
}

#[tokio::test]
async fn a_message_that_keeps_failing_is_given_up_after_the_last_attempt() {
    let app = spawn_app_with(|c| {
        c.push.interval_seconds = 0;
        c.push.max_attempts = 3;
    })
    .await;
    stable_token(&app, "T").await;
    subscribe_send(&app, 45009, 3).await;
    accept(&app, "demo-resident-1", &["ORDER_CLAIMED"]).await;
    let order = claimed_order(&app, "修水管").await;
    relayed(&app, event_id(&app, order, "CLAIMED").await).await;
    let s = sender(&app);
    for _ in 0..5 {
        s.send_due_pushes(app.clock.now()).await.unwrap();
        app.clock.advance(Duration::hours(2));
    }
    let records = app.domain.push().for_user(user_id(&app, "demo-resident-1").await).await.unwrap();
    assert_eq!((records[0].status, records[0].attempts), (PushStatus::Failed, 3));
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_once_and_the_message_sent() {
    let app = spawn().await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/stable_token"))
        .and(body_partial_json(json!({ "force_refresh": false })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "access_token": "T-old", "expires_in": 7200 })))
        .expect(1)
        .mount(&app.wechat)
        .await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/stable_token"))
        .and(body_partial_json(json!({ "force_refresh": true })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "access_token": "T-new", "expires_in": 7200 })))
        .expect(1)
        .mount(&app.wechat)
        .await;
    Mock::given(method("POST"))
        .and(path(SEND))
        .and(query_param("access_token", "T-old"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "errcode": 40001, "errmsg": "invalid" })))
        .expect(1)
        .mount(&app.wechat)
        .await;
    Mock::given(method("POST"))
        .and(path(SEND))
        .and(query_param("access_token", "T-new"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "errcode": 0 })))
        .expect(1)
        .mount(&app.wechat)
        .await;
    accept(&app, "demo-resident-1", &["ORDER_CLAIMED"]).await;
    let order = claimed_order(&app, "修水管").await;
    relayed(&app, event_id(&app, order, "CLAIMED").await).await;
    assert_eq!(sender(&app).send_due_pushes(app.clock.now()).await.unwrap().sent, 1);
}

#[tokio::test]
async fn accepting_nothing_is_refused_with_a_plain_message() {
    let app = spawn().await;
    let resp = app.gql_as("demo-resident-1", ACCEPT, json!({ "k": [] })).await;
    assert_eq!(error_code(&resp), "BAD_USER_INPUT");
    assert_eq!(resp["errors"][0]["extensions"]["field"], "kinds");
}
