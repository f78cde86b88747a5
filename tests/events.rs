// Real time: the outbox relay, live subscriptions over graphql-transport-ws,
// reconnecting with a cursor, and (on Redis) the bus surviving Redis going
// away, a consumer dying before it acknowledged, and a relay dying between
// publishing and marking, and a change on one server process reaching a
// phone connected to another.

use std::time::Duration;

use crate::common::*;
use futures_util::{SinkExt, StreamExt};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const WAIT: Duration = Duration::from_secs(20);

const POOL_EVENTS: &str = "subscription($c: ID!, $after: String) { orderPoolEvents(communityId: $c, after: $after) { kind cursor order { id status contactPhone claimant { id } } } }";
const MY_ORDERS: &str = "subscription($after: String) { myOrderUpdates(after: $after) { cursor order { id status } } }";
const PLACE: &str = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }";
const PUBLISH: &str = "mutation($id: ID!) { dispatchOrder(orderId: $id) { id status } }";
const CLAIM: &str = "mutation($id: ID!) { claimOrder(orderId: $id) { id status } }";
const CANCEL: &str = "mutation($id: ID!) { cancelOrder(orderId: $id) { id status } }";

/// A phone's live connection.
struct Live {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Live {
    /// Opens the socket and sends `connection_init` with `payload`; does not wait for the answer.
    async fn open(app: &TestApp, payload: Value) -> Self {
        Self::open_at(&app.address, payload).await
    }

    /// As [`Live::open`], on the server at `address` (`http://…`).
    async fn open_at(address: &str, payload: Value) -> Self {
        let url = format!("{}/graphql", address.replacen("http", "ws", 1));
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
        let (ws, response) = tokio_tungstenite::connect_async(request).await.expect("the socket should open");
        assert_eq!(response.headers()["sec-websocket-protocol"], "graphql-transport-ws");
        let mut live = Self { ws };
        live.send(json!({ "type": "connection_init", "payload": payload })).await;
        live
    }

    /// Signed in as `openid`, acknowledged.
    async fn signed_in(app: &TestApp, openid: &str) -> Self {
        let token = app.session(openid).await.access_token;
        let mut live = Self::open(app, json!({ "Authorization": format!("Bearer {token}") })).await;
        let ack = live.next().await;
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        live
    }

    async fn send(&mut self, message: Value) {
        self.ws.send(Message::text(message.to_string())).await.unwrap();
    }

    async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// The next protocol message (answering pings).
    async fn next(&mut self) -> Value {
        loop {
            let frame = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a message should arrive in time")
                .expect("the socket should stay open")
                .expect("the frame should be readable");
            match frame {
                Message::Text(text) => {
                    let message: Value = serde_json::from_str(text.as_str()).unwrap();
                    if message["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return message;
                }
                Message::Close(frame) => panic!("the socket closed: {frame:?}"),
                _ => continue,
            }
        }
    }

    /// The next `next` payload's data for subscription `id`.
    async fn data(&mut self, id: &str) -> Value {
        let message = self.next().await;
        assert_eq!(message["type"], "next", "{message}");
        assert_eq!(message["id"], id, "{message}");
        assert!(message["payload"].get("errors").is_none(), "{message}");
        message["payload"]["data"].clone()
    }

    /// A subscription refused as it started: its error code, then `complete`.
    async fn refusal(&mut self, id: &str) -> String {
        let answer = self.next().await;
        assert_eq!(answer["type"], "next", "{answer}");
        assert_eq!(answer["id"], id, "{answer}");
        assert!(answer["payload"]["data"].is_null(), "{answer}");
        let code = answer["payload"]["errors"][0]["extensions"]["code"].as_str().unwrap().to_owned();
        let done = self.next().await;
        assert_eq!(done["type"], "complete", "{done}");
        code
    }

    /// Nothing arrives for a moment.
    async fn quiet(&mut self, for_: Duration) {
        if let Ok(Some(Ok(Message::Text(text)))) = tokio::time::timeout(for_, self.ws.next()).await {
            panic!("nothing more should arrive, got {text}");
        }
    }

    /// Reads until the server closes; the close code.
    async fn close_code(&mut self) -> u16 {
        loop {
            let frame = tokio::time::timeout(WAIT, self.ws.next()).await.expect("the socket should close in time");
            match frame {
                Some(Ok(Message::Close(Some(frame)))) => return u16::from(frame.code),
                Some(Ok(Message::Close(None))) | None => panic!("closed without a code"),
                Some(Ok(_)) => continue,
                Some(Err(e)) => panic!("the socket failed instead of closing: {e}"),
            }
        }
    }
}

async fn place_open_order(app: &TestApp, community: &str, title: &str) -> String {
    let input =
        json!({ "communityId": community, "category": "REPAIR", "title": title, "description": "灯不亮了，请帮忙" });
    let placed = app.gql_as("demo-resident-1", PLACE, json!({ "input": input })).await;
    let id = data(&placed, "placeOrder")["id"].as_str().unwrap().to_owned();
    let published = app.gql_as("demo-secretary", PUBLISH, json!({ "id": id })).await;
    assert_eq!(data(&published, "dispatchOrder")["status"], "OPEN");
    id
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let db = &app.domain.db;
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// Counts the notifier's handled events of these orders.
fn handled(orders: &[&str]) -> String {
    format!(
        "SELECT COUNT(*) FROM event_inbox e JOIN workflow_events w ON w.id = e.event_id \
         WHERE e.consumer = 'notifier' AND w.subject_kind = 'ORDER' AND w.subject_id IN ({})",
        orders.join(", ")
    )
}

/// Polls until `sql` counts `expected` (the relay and consumers run in the background).
async fn eventually_count(app: &TestApp, sql: &str, expected: i64) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let n = count(app, sql).await;
        if n == expected {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "`{sql}` counted {n}, expected {expected}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_member_sees_a_new_order_open_in_the_pool_and_then_claimed() {
    let app = spawn_app().await;
    let chengnan = app.community_id(CHENGNAN).await;
    let mut phone = Live::signed_in(&app, "demo-member-1").await;
    phone.subscribe("pool", POOL_EVENTS, json!({ "c": chengnan })).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let id = place_open_order(&app, &chengnan, "楼道灯坏了").await;
    let opened = phone.data("pool").await;
    assert_eq!(opened["orderPoolEvents"]["kind"], "OPENED");
    assert_eq!(opened["orderPoolEvents"]["order"]["id"], id);
    assert_eq!(opened["orderPoolEvents"]["order"]["status"], "OPEN");

    let claimed = app.gql_as("demo-member-2", CLAIM, json!({ "id": id })).await;
    assert_eq!(data(&claimed, "claimOrder")["status"], "CLAIMED");
    let event = phone.data("pool").await;
    assert_eq!(event["orderPoolEvents"]["kind"], "CLAIMED");
    assert_eq!(event["orderPoolEvents"]["order"]["claimant"]["id"], app.session("demo-member-2").await.user_id);
    let first: i64 = opened["orderPoolEvents"]["cursor"].as_str().unwrap().parse().unwrap();
    let second: i64 = event["orderPoolEvents"]["cursor"].as_str().unwrap().parse().unwrap();
    assert!(second > first, "cursors increase: {first} then {second}");
}

#[tokio::test]
async fn the_pool_feed_shows_only_its_own_community_and_masks_contacts_for_members() {
    let app = spawn_app().await;
    let chengnan = app.community_id(CHENGNAN).await;
    let chengbei = app.community_id(CHENGBEI).await;
    let mut phone = Live::signed_in(&app, "demo-member-1").await;
    phone.subscribe("pool", POOL_EVENTS, json!({ "c": chengnan })).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let input =
        json!({ "communityId": chengbei, "category": "REPAIR", "title": "城北的单", "description": "不该出现在城南" });
    let other = app.gql_as("demo-resident-2", PLACE, json!({ "input": input })).await;
    if other.get("errors").is_none() {
        let id = other["data"]["placeOrder"]["id"].as_str().unwrap().to_owned();
        app.gql_as("demo-secretary-2", PUBLISH, json!({ "id": id })).await;
    }
    let id = place_open_order(&app, &chengnan, "城南的单").await;
    let opened = phone.data("pool").await;
    assert_eq!(opened["orderPoolEvents"]["order"]["id"], id, "the first event is 城南's own order");
    let phone_number = opened["orderPoolEvents"]["order"]["contactPhone"].as_str().unwrap_or_default().to_owned();
    assert!(
        phone_number.is_empty() || phone_number.contains('*'),
        "an unclaimed order's phone is masked: {phone_number}"
    );
}

#[tokio::test]
async fn a_resident_may_not_watch_the_order_pool() {
    let app = spawn_app().await;
    let chengnan = app.community_id(CHENGNAN).await;
    let mut phone = Live::signed_in(&app, "demo-resident-1").await;
    phone.subscribe("pool", POOL_EVENTS, json!({ "c": chengnan })).await;
    assert_eq!(phone.refusal("pool").await, "FORBIDDEN");
}

#[tokio::test]
async fn the_placer_follows_their_order_through_my_order_updates() {
    let app = spawn_app().await;
    let chengnan = app.community_id(CHENGNAN).await;
    let mut phone = Live::signed_in(&app, "demo-resident-1").await;
    phone.subscribe("mine", MY_ORDERS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let id = place_open_order(&app, &chengnan, "门锁坏了").await;
    let mut statuses = Vec::new();
    for _ in 0..2 {
        let update = phone.data("mine").await;
        assert_eq!(update["myOrderUpdates"]["order"]["id"], id);
        statuses.push(update["myOrderUpdates"]["order"]["status"].as_str().unwrap().to_owned());
    }
    app.gql_as("demo-member-1", CLAIM, json!({ "id": id })).await;
    let update = phone.data("mine").await;
    assert_eq!(update["myOrderUpdates"]["order"]["status"], "CLAIMED");
    assert_eq!(statuses.last().map(String::as_str), Some("OPEN"), "{statuses:?}");

    // Another resident's order is not mine.
    let input =
        json!({ "communityId": chengnan, "category": "REPAIR", "title": "别人的单", "description": "与我无关" });
    app.gql_as("demo-resident-2", PLACE, json!({ "input": input })).await;
    phone.quiet(Duration::from_millis(800)).await;
}

#[tokio::test]
async fn a_phone_that_reconnects_with_its_cursor_receives_what_it_missed_in_order() {
    let app = spawn_app().await;
    let chengnan = app.community_id(CHENGNAN).await;
    let mut phone = Live::signed_in(&app, "demo-member-1").await;
    phone.subscribe("pool", POOL_EVENTS, json!({ "c": chengnan })).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let first = place_open_order(&app, &chengnan, "第一单").await;
    let seen = phone.data("pool").await;
    assert_eq!(seen["orderPoolEvents"]["order"]["id"], first);
    let cursor = seen["orderPoolEvents"]["cursor"].as_str().unwrap().to_owned();
    drop(phone); // the lift, the basement: the signal is gone

    let second = place_open_order(&app, &chengnan, "第二单").await;
    app.gql_as("demo-member-2", CLAIM, json!({ "id": first })).await;
    let third = place_open_order(&app, &chengnan, "第三单").await;
    app.gql_as("demo-resident-1", CANCEL, json!({ "id": third })).await;

    let mut phone = Live::signed_in(&app, "demo-member-1").await;
    phone.subscribe("pool", POOL_EVENTS, json!({ "c": chengnan, "after": cursor })).await;
    let mut missed = Vec::new();
    for _ in 0..4 {
        let e = phone.data("pool").await["orderPoolEvents"].clone();
        missed.push((e["kind"].as_str().unwrap().to_owned(), e["order"]["id"].as_str().unwrap().to_owned()));
    }
    let expected = [("OPENED", &second), ("CLAIMED", &first), ("OPENED", &third), ("CANCELLED", &third)];
    let expected: Vec<(String, String)> = expected.iter().map(|(k, id)| (k.to_string(), id.to_string())).collect();
    assert_eq!(missed, expected);

    // And then live again.
    let fourth = place_open_order(&app, &chengnan, "第四单").await;
    assert_eq!(phone.data("pool").await["orderPoolEvents"]["order"]["id"], fourth);
}

#[tokio::test]
async fn a_cursor_that_is_not_one_is_bad_user_input() {
    let app = spawn_app().await;
    let chengnan = app.community_id(CHENGNAN).await;
    let mut phone = Live::signed_in(&app, "demo-member-1").await;
    phone.subscribe("pool", POOL_EVENTS, json!({ "c": chengnan, "after": "yesterday" })).await;
    assert_eq!(phone.refusal("pool").await, "BAD_USER_INPUT");
}

#[tokio::test]
async fn a_socket_without_a_valid_token_is_closed_with_4403() {
    let app = spawn_app().await;
    let mut anonymous = Live::open(&app, json!({})).await;
    assert_eq!(anonymous.close_code().await, 4403);
    let mut forged = Live::open(&app, json!({ "Authorization": "Bearer not-a-token" })).await;
    assert_eq!(forged.close_code().await, 4403);
}

#[tokio::test]
async fn signing_out_closes_the_live_socket_with_4403() {
    let app = spawn_app_with(|c| c.events.session_check_seconds = 1).await;
    let chengnan = app.community_id(CHENGNAN).await;
    let session = app.login("demo-member-1").await;
    let mut phone = Live::open(&app, json!({ "Authorization": format!("Bearer {}", session.access_token) })).await;
    assert_eq!(phone.next().await["type"], "connection_ack");
    phone.subscribe("pool", POOL_EVENTS, json!({ "c": chengnan })).await;
    let out = app.gql(Some(&session.access_token), "mutation { logout }", json!({})).await;
    assert_eq!(data(&out, "logout"), true);
    assert_eq!(phone.close_code().await, 4403);
}

#[tokio::test]
async fn a_socket_that_never_says_connection_init_is_closed_with_4408() {
    let app = spawn_app_with(|c| c.events.init_timeout_seconds = 1).await;
    let url = format!("{}/graphql", app.address.replacen("http", "ws", 1));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut silent = Live { ws };
    assert_eq!(silent.close_code().await, 4408);
}

#[tokio::test]
async fn every_event_is_published_once_and_handled_once_by_the_notifier() {
    let app = spawn_app().await;
    let chengnan = app.community_id(CHENGNAN).await;
    let before = count(&app, "SELECT COUNT(*) FROM workflow_events").await;
    for title in ["一", "二", "三"] {
        place_open_order(&app, &chengnan, title).await;
    }
    let total = count(&app, "SELECT COUNT(*) FROM workflow_events").await;
    assert_eq!(total - before, 6, "placed and published, three times");
    eventually_count(&app, "SELECT COUNT(*) FROM workflow_events WHERE published_at IS NULL", 0).await;
    eventually_count(
        &app,
        &format!("SELECT COUNT(*) FROM event_inbox WHERE consumer = 'notifier' AND event_id > {before}"),
        6,
    )
    .await;
    let distinct =
        count(&app, "SELECT COUNT(DISTINCT relay_seq) FROM workflow_events WHERE relay_seq IS NOT NULL").await;
    assert_eq!(distinct, total, "every event has its own place");
}

// ---------------------------------------------------------------------------
// On the real Redis (CI's second run sets LINLI_TEST_REDIS_URL).
// ---------------------------------------------------------------------------

fn redis_url() -> Option<String> {
    let url = std::env::var("LINLI_TEST_REDIS_URL").ok().filter(|u| !u.is_empty());
    if url.is_none() {
        eprintln!("LINLI_TEST_REDIS_URL is not set: this Redis test runs in CI's PostgreSQL + Redis pass");
    }
    url
}

/// A TCP hop in front of Redis that can be cut (every connection dropped,
/// new ones refused) and restored: Redis going away, as the server sees it.
struct Cable {
    port: u16,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    cut: tokio::sync::watch::Sender<u64>,
}

impl Cable {
    async fn to(redis: &str) -> Self {
        let target = redis.trim_start_matches("redis://").trim_end_matches('/').to_owned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let (cut, _) = tokio::sync::watch::channel(0u64);
        let (flag, cuts) = (up.clone(), cut.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else { return };
                if !flag.load(std::sync::atomic::Ordering::SeqCst) {
                    continue; // dropped: refused
                }
                let target = target.clone();
                let mut cut = cuts.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(&target).await else { return };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Self { port, up, cut }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        self.cut.send_modify(|n| *n += 1);
    }

    fn mend(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[tokio::test]
async fn orders_commit_while_redis_is_down_and_reach_phones_when_it_returns() {
    let Some(redis) = redis_url() else { return };
    let cable = Cable::to(&redis).await;
    let events_url = cable.url();
    let app = spawn_app_with(move |c| c.events.redis_url = Some(events_url)).await;
    let chengnan = app.community_id(CHENGNAN).await;
    let mut phone = Live::signed_in(&app, "demo-member-1").await;
    phone.subscribe("pool", POOL_EVENTS, json!({ "c": chengnan })).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    cable.cut();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let id = place_open_order(&app, &chengnan, "停电了").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let waiting = format!(
        "SELECT COUNT(*) FROM workflow_events WHERE subject_kind = 'ORDER' AND subject_id = {id} AND published_at IS NULL"
    );
    assert_eq!(count(&app, &waiting).await, 2, "the order committed; its events wait in the outbox");

    cable.mend();
    let opened = phone.data("pool").await;
    assert_eq!(opened["orderPoolEvents"]["order"]["id"], id);
    assert_eq!(opened["orderPoolEvents"]["kind"], "OPENED");
    eventually_count(&app, "SELECT COUNT(*) FROM workflow_events WHERE published_at IS NULL", 0).await;
    eventually_count(&app, &handled(&[&id]), 2).await;
}

#[tokio::test]
async fn a_consumer_that_dies_before_acknowledging_has_its_events_taken_over() {
    use redis::AsyncCommands;
    let Some(redis) = redis_url() else { return };
    // This node publishes but takes no part in the notifier group.
    let app = spawn_app_with(|c| c.events.notifier = false).await;
    let chengnan = app.community_id(CHENGNAN).await;
    let community: i64 = chengnan.parse().unwrap();
    let key = api::events::stream_key(&app.config.redis_prefix, community);
    let client = redis::Client::open(redis.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    // The group starts after the demo data's events.
    let _: () = conn.xgroup_create_mkstream(&key, "notifier", "$").await.unwrap();

    let id = place_open_order(&app, &chengnan, "接了不办的消费者").await;
    eventually_count(&app, "SELECT COUNT(*) FROM workflow_events WHERE published_at IS NULL", 0).await;
    // A consumer reads both events… and dies without acknowledging them.
    let options = redis::streams::StreamReadOptions::default().group("notifier", "doomed").count(10);
    let taken: redis::streams::StreamReadReply = conn.xread_options(&[&key], &[">"], &options).await.unwrap();
    assert_eq!(taken.keys[0].ids.len(), 2, "the doomed consumer holds the order's two events");
    assert_eq!(count(&app, &handled(&[&id])).await, 0);

    // A second node joins the group and takes them over once they are idle.
    let mut config = app.config.clone();
    config.events.notifier = true;
    config.events.reclaim_idle_ms = 300;
    let node = api::Application::build_with_clock(config, std::sync::Arc::new(app.clock.clone())).await.unwrap();
    tokio::spawn(node.run_until_stopped());
    eventually_count(&app, &handled(&[&id]), 2).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let pending: redis::streams::StreamPendingReply = conn.xpending(&key, "notifier").await.unwrap();
        if pending.count() == 0 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the taken-over events are acknowledged");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_relay_that_dies_between_publishing_and_marking_publishes_again_without_duplicates() {
    use redis::AsyncCommands;
    let Some(redis) = redis_url() else { return };
    let app = spawn_app().await;
    let chengnan = app.community_id(CHENGNAN).await;
    let mut phone = Live::signed_in(&app, "demo-member-1").await;
    phone.subscribe("pool", POOL_EVENTS, json!({ "c": chengnan })).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let id = place_open_order(&app, &chengnan, "重发不重复").await;
    assert_eq!(phone.data("pool").await["orderPoolEvents"]["order"]["id"], id);
    eventually_count(&app, "SELECT COUNT(*) FROM workflow_events WHERE published_at IS NULL", 0).await;
    eventually_count(&app, &handled(&[&id]), 2).await;

    // As if the relay had died after XADD but before it marked the rows.
    let db = &app.domain.db;
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        format!("UPDATE workflow_events SET published_at = NULL WHERE subject_kind = 'ORDER' AND subject_id = {id}"),
    ))
    .await
    .unwrap();
    // Poke the relay with an unrelated change, and wait until it has published again.
    let other = place_open_order(&app, &chengnan, "另一单").await;
    eventually_count(&app, "SELECT COUNT(*) FROM workflow_events WHERE published_at IS NULL", 0).await;

    let key = api::events::stream_key(&app.config.redis_prefix, chengnan.parse().unwrap());
    let client = redis::Client::open(redis.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let len: usize = conn.xlen(&key).await.unwrap();
    assert_eq!(len, 6, "the first order's two events went out twice, the second order's once");
    eventually_count(&app, &handled(&[&id, &other]), 4).await;
    // The phone sees the next order, not the first one again.
    assert_eq!(phone.data("pool").await["orderPoolEvents"]["order"]["id"], other);
    phone.quiet(Duration::from_millis(500)).await;
}

/// A `linli` server process on the test's database and Redis keyspace.
struct Node {
    address: String,
    _process: tokio::process::Child,
    _data_dir: tempfile::TempDir,
}

impl Node {
    async fn start(app: &TestApp, redis: &str) -> Self {
        use tokio::io::AsyncBufReadExt;
        let data_dir = tempfile::tempdir().unwrap();
        let mut process = tokio::process::Command::new(env!("CARGO_BIN_EXE_linli"))
            .env("DATABASE_URL", &app.database_url)
            .env("REDIS_URL", redis)
            .env("LINLI_REDIS_PREFIX", &app.config.redis_prefix)
            .env("LINLI_JWT_SECRET", &app.jwt_secret)
            .env("LINLI_BIND", "127.0.0.1:0")
            .env("LINLI_METRICS_BIND", "127.0.0.1:0")
            .env("LINLI_DATA_DIR", data_dir.path())
            .env("LINLI_SEED_DEMO", "false")
            .env("LINLI_SWEEP_INTERVAL_SECONDS", "0")
            .env("LINLI_LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the linli binary should start");
        let mut lines = tokio::io::BufReader::new(process.stdout.take().unwrap()).lines();
        let port = tokio::time::timeout(WAIT, async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if line.contains("linli listening") {
                    let at = line.find("127.0.0.1:").expect("the listening line names the address") + 10;
                    let digits: String = line[at..].chars().take_while(char::is_ascii_digit).collect();
                    return digits.parse::<u16>().unwrap();
                }
            }
            panic!("the node exited before listening");
        })
        .await
        .expect("the node should listen in time");
        // Keep reading its output so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self { address: format!("http://127.0.0.1:{port}"), _process: process, _data_dir: data_dir }
    }

    async fn gql(&self, app: &TestApp, openid: &str, query: &str, variables: Value) -> Value {
        let token = app.session(openid).await.access_token;
        let request = app.client.post(format!("{}/graphql", self.address)).bearer_auth(token);
        request.json(&json!({ "query": query, "variables": variables })).send().await.unwrap().json().await.unwrap()
    }
}

#[tokio::test]
async fn a_change_made_through_one_server_process_reaches_a_phone_on_another() {
    let Some(redis) = redis_url() else { return };
    if std::env::var("LINLI_TEST_DATABASE_URL").map_or(true, |u| u.is_empty()) {
        eprintln!("LINLI_TEST_DATABASE_URL is not set: several processes need the shared PostgreSQL");
        return;
    }
    let app = spawn_app().await;
    let chengnan = app.community_id(CHENGNAN).await;
    let (a, b) = (Node::start(&app, &redis).await, Node::start(&app, &redis).await);

    let token = app.session("demo-member-1").await.access_token;
    let mut phone = Live::open_at(&b.address, json!({ "Authorization": format!("Bearer {token}") })).await;
    assert_eq!(phone.next().await["type"], "connection_ack");
    phone.subscribe("pool", POOL_EVENTS, json!({ "c": chengnan })).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let input =
        json!({ "communityId": chengnan, "category": "REPAIR", "title": "跨节点", "description": "从甲节点下单" });
    let placed = a.gql(&app, "demo-resident-1", PLACE, json!({ "input": input })).await;
    let id = data(&placed, "placeOrder")["id"].as_str().unwrap().to_owned();
    let published = a.gql(&app, "demo-secretary", PUBLISH, json!({ "id": id })).await;
    assert_eq!(data(&published, "dispatchOrder")["status"], "OPEN");

    let opened = phone.data("pool").await;
    assert_eq!(opened["orderPoolEvents"]["kind"], "OPENED");
    assert_eq!(opened["orderPoolEvents"]["order"]["id"], id);
    let claimed = a.gql(&app, "demo-member-2", CLAIM, json!({ "id": id })).await;
    assert_eq!(data(&claimed, "claimOrder")["status"], "CLAIMED");
    assert_eq!(phone.data("pool").await["orderPoolEvents"]["kind"], "CLAIMED");
}

// ---------------------------------------------------------------------------
// What one socket may cost: operations at once, message size, a phone that
// stops reading, and a session check that cannot be answered.
// ---------------------------------------------------------------------------

impl Live {
    /// The next message about operation `id`, skipping others (e.g. `complete`s of ended ones).
    async fn next_for(&mut self, id: &str) -> Value {
        loop {
            let message = self.next().await;
            if message["id"] == id {
                return message;
            }
        }
    }
}

/// A query over the socket, padded with a comment to `bytes` in all.
fn padded_subscribe(id: &str, bytes: usize) -> String {
    let with = |padding: &str| {
        json!({ "id": id, "type": "subscribe", "payload": { "query": format!("{{ __typename }}\n#{padding}") } })
            .to_string()
    };
    let message = with(&"x".repeat(bytes - with("").len()));
    assert_eq!(message.len(), bytes);
    message
}

#[tokio::test]
async fn a_socket_runs_twenty_subscriptions_and_the_twenty_first_is_refused_while_the_socket_stays_usable() {
    let app = spawn_app().await;
    assert_eq!(app.config.events.socket_max_subscriptions, 20);
    let chengnan = app.community_id(CHENGNAN).await;
    let mut phone = Live::signed_in(&app, "demo-member-1").await;
    for i in 1..=20 {
        phone.subscribe(&format!("s{i}"), POOL_EVENTS, json!({ "c": chengnan })).await;
    }
    phone.subscribe("s21", POOL_EVENTS, json!({ "c": chengnan })).await;
    let refused = phone.next_for("s21").await;
    assert_eq!(refused["type"], "error", "graphql-transport-ws refuses one operation with `error`: {refused}");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "RATE_LIMITED", "{refused}");
    // Queries over the socket are operations too.
    phone.send(json!({ "id": "q", "type": "subscribe", "payload": { "query": "{ __typename }" } })).await;
    assert_eq!(phone.next_for("q").await["type"], "error");
    // Ending one makes room, on the same socket.
    phone.send(json!({ "id": "s1", "type": "complete" })).await;
    // From the last relayed event on, so the order counts however soon the server starts listening.
    let last = count(&app, "SELECT COALESCE(MAX(relay_seq), 0) FROM workflow_events").await;
    phone.subscribe("s21", POOL_EVENTS, json!({ "c": chengnan, "after": last.to_string() })).await;
    let id = place_open_order(&app, &chengnan, "第二十一个").await;
    let event = phone.next_for("s21").await;
    assert_eq!(event["type"], "next", "{event}");
    assert_eq!(event["payload"]["data"]["orderPoolEvents"]["order"]["id"], id, "{event}");
}

#[tokio::test]
async fn a_message_over_64_kib_closes_the_socket_with_1009_and_one_just_under_is_answered() {
    let app = spawn_app().await;
    assert_eq!(app.config.events.socket_max_message_bytes, 65536);
    let mut phone = Live::signed_in(&app, "demo-member-1").await;
    phone.ws.send(Message::text(padded_subscribe("small", 60 * 1024))).await.unwrap();
    let answer = phone.next_for("small").await;
    assert_eq!(answer["payload"]["data"]["__typename"], "Query", "{answer}");
    phone.ws.send(Message::text(padded_subscribe("big", 70 * 1024))).await.unwrap();
    assert_eq!(phone.close_code().await, 1009);
}

#[tokio::test]
async fn a_message_split_into_frames_is_bounded_as_a_whole() {
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    let app = spawn_app().await;
    let mut phone = Live::signed_in(&app, "demo-member-1").await;
    let send_split = |message: String, parts: usize| {
        let bytes = message.into_bytes();
        let size = bytes.len().div_ceil(parts);
        let chunks: Vec<Vec<u8>> = bytes.chunks(size).map(<[u8]>::to_vec).collect();
        let last = chunks.len() - 1;
        chunks
            .into_iter()
            .enumerate()
            .map(|(i, chunk)| {
                let opcode = if i == 0 { OpCode::Data(Data::Text) } else { OpCode::Data(Data::Continue) };
                Message::Frame(Frame::message(chunk, opcode, i == last))
            })
            .collect::<Vec<_>>()
    };
    // 40 KiB in two frames of 20: fine.
    for frame in send_split(padded_subscribe("two", 40 * 1024), 2) {
        phone.ws.send(frame).await.unwrap();
    }
    assert_eq!(phone.next_for("two").await["payload"]["data"]["__typename"], "Query");
    // 90 KiB in three frames of 30, each under the frame limit: the whole is too big.
    for frame in send_split(padded_subscribe("three", 90 * 1024), 3) {
        phone.ws.send(frame).await.unwrap();
    }
    assert_eq!(phone.close_code().await, 1009);
}

/// A signed-in phone with a small receive window, so that what it does not
/// read stays on the server's side instead of in the kernel's buffers.
async fn stalled_phone(app: &TestApp, openid: &str) -> Live {
    let token = app.session(openid).await.access_token;
    let address: std::net::SocketAddr = app.address.trim_start_matches("http://").parse().unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(address).await.unwrap();
    let mut request = format!("ws://{address}/graphql").into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (ws, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream)).await.unwrap();
    let mut phone = Live { ws };
    phone.send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })).await;
    assert_eq!(phone.next().await["type"], "connection_ack");
    phone
}

/// The size of the answer to `query` (its `next` message), read on a phone that reads.
async fn answer_bytes(app: &TestApp, query: &str) -> usize {
    let mut phone = Live::signed_in(app, "demo-member-2").await;
    phone.subscribe("size", query, json!({})).await;
    loop {
        match tokio::time::timeout(WAIT, phone.ws.next()).await.unwrap().unwrap().unwrap() {
            Message::Text(text) if text.as_str().contains("\"next\"") => return text.len(),
            _ => {}
        }
    }
}

/// Sockets the server closed for not keeping up, for `reason` (`queue`, `bytes`).
async fn slow_closes(app: &TestApp, reason: &str) -> u64 {
    app.counter(&format!("linli_ws_slow_clients_closed_total{{reason=\"{reason}\"}}")).await
}

/// Asks `asked` queries and reads nothing until the server has given up on
/// the phone (its count of slow sockets closed for `reason` goes up), then
/// reads until the socket ends. How many were answered, and the close code
/// if the close frame got through.
async fn ask_without_reading(
    app: &TestApp,
    phone: &mut Live,
    query: &str,
    asked: usize,
    reason: &str,
) -> (usize, Option<u16>) {
    for i in 0..asked {
        let ask = json!({ "id": format!("q{i}"), "type": "subscribe", "payload": { "query": query } });
        if tokio::time::timeout(Duration::from_secs(1), phone.send(ask)).await.is_err() {
            break; // the server has stopped reading too
        }
    }
    let gave_up = tokio::time::timeout(Duration::from_secs(60), async {
        while slow_closes(app, reason).await == 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(gave_up.is_ok(), "the server should give up on a phone that reads nothing ({reason})");
    let mut answered = 0;
    let ended = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match phone.ws.next().await {
                Some(Ok(Message::Text(text))) => {
                    let message: Value = serde_json::from_str(text.as_str()).unwrap();
                    if message["type"] == "complete" {
                        answered += 1;
                    }
                }
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return None,
            }
        }
    })
    .await;
    let code = ended.expect("the server should have ended the socket");
    (answered, code)
}

/// A short send timeout, and room for every question at once: none is
/// refused for being many, so every one asked is an answer to send.
fn slow_phones(c: &mut api::Config) {
    c.events.socket_send_timeout_seconds = 1;
    c.events.socket_max_subscriptions = 1_000;
    c.limits.max_complexity = 1_000_000;
}

/// More than the kernel holds of a connection's unread bytes on this machine
/// (`net.ipv4.tcp_wmem` lets a send buffer grow to 4 MiB).
const KERNEL_BYTES: usize = 4 * 1024 * 1024;
/// actix-ws's queue of messages, and one more that waits to enter it.
const QUEUED_MESSAGES: usize = 33;

#[tokio::test]
async fn a_phone_that_stops_reading_is_closed_instead_of_having_its_messages_buffered_without_end() {
    let app = spawn_app_with(slow_phones).await;
    // Answers of about 23 KiB: a full queue of them stays under the byte bound, so what
    // stops the server here is the queue of 32 messages, full, and the send timeout.
    let names = "{ __schema { types { name fields { name } } } }";
    const ASKED: usize = 300;
    let size = answer_bytes(&app, names).await;
    assert!(QUEUED_MESSAGES * (size + 64) < api::ws::MAX_PENDING_BYTES, "{size} bytes an answer: too many");
    assert!(ASKED * size > KERNEL_BYTES + QUEUED_MESSAGES * size, "{size} bytes an answer: too few");
    let mut phone = stalled_phone(&app, "demo-member-1").await;
    // What was already on its way arrives, then the end of the socket, not all the answers.
    let (answered, code) = ask_without_reading(&app, &mut phone, names, ASKED, "queue").await;
    assert!(answered < ASKED, "the server stopped sending once the phone stopped reading ({answered} answered)");
    assert_eq!(slow_closes(&app, "bytes").await, 0, "closed for the full queue, not for bytes");
    assert!(matches!(code, None | Some(1013)), "closed with 1013 when the close frame gets through: {code:?}");
}

#[tokio::test]
async fn a_phone_that_leaves_a_few_large_answers_unread_is_closed_once_they_pass_the_byte_bound() {
    let app = spawn_app_with(slow_phones).await;
    // Eight schemas an answer, about 900 KiB: ten answers are far fewer messages than
    // actix-ws's queue holds, and far more bytes than the kernel and the byte bound.
    let schema = "__schema { types { name description fields { name description args { name description type { name } } type { name } } } }";
    let query = format!("{{ {} }}", (0..8).map(|i| format!("s{i}: {schema}")).collect::<Vec<_>>().join(" "));
    const ASKED: usize = 10;
    let size = answer_bytes(&app, &query).await;
    assert!(ASKED * size > KERNEL_BYTES + 2 * api::ws::MAX_PENDING_BYTES, "{size} bytes an answer: too few");
    let mut phone = stalled_phone(&app, "demo-member-1").await;
    let (answered, code) = ask_without_reading(&app, &mut phone, &query, ASKED, "bytes").await;
    assert!(answered < ASKED, "the server stopped queueing past the byte bound ({answered} answered)");
    assert_eq!(slow_closes(&app, "queue").await, 0, "closed for bytes, with the queue far from full");
    assert!(matches!(code, None | Some(1013)), "closed with 1013 when the close frame gets through: {code:?}");
}

#[tokio::test]
async fn a_session_check_that_cannot_reach_the_session_store_closes_the_socket_with_4403() {
    let Some(redis) = redis_url() else { return };
    let cable = Cable::to(&redis).await;
    let app = spawn_app_with(|c| {
        c.redis_url = Some(cable.url());
        // The event bus keeps its own way to Redis: only the session store goes away.
        c.events.redis_url = Some(redis.clone());
        c.events.session_check_seconds = 1;
    })
    .await;
    let chengnan = app.community_id(CHENGNAN).await;
    let mut phone = Live::signed_in(&app, "demo-member-1").await;
    phone.subscribe("pool", POOL_EVENTS, json!({ "c": chengnan })).await;
    phone.quiet(Duration::from_millis(1500)).await;
    cable.cut();
    assert_eq!(phone.close_code().await, 4403);
}

#[tokio::test]
async fn mutations_sent_over_a_socket_count_one_per_field_against_the_limit() {
    let app = spawn_app_with(|c| c.limits.mutations_per_minute = 3).await;
    let name = || async {
        let me = app.gql_as("demo-resident-1", "{ me { displayName } }", json!({})).await;
        data(&me, "me")["displayName"].clone()
    };
    let before = name().await;
    let mut phone = Live::signed_in(&app, "demo-resident-1").await;
    let four = "mutation { a: setDisplayName(displayName: \"一\") { id } b: setDisplayName(displayName: \"二\") { id } \
                c: setDisplayName(displayName: \"三\") { id } d: setDisplayName(displayName: \"四\") { id } }";
    phone.send(json!({ "id": "four", "type": "subscribe", "payload": { "query": four } })).await;
    assert_eq!(phone.refusal("four").await, "RATE_LIMITED");
    assert_eq!(name().await, before, "the refused document ran nothing");
}
