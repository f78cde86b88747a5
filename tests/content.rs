// Content security against the fake WeChat: text others will read passes
// msg_sec_check (v2) first; photos on orders and wishes go to
// media_check_async, and a `risky` verdict pushed to /webhooks/wechat
// withdraws the photo. Off unless configured (on by default in production).

use crate::common::*;
use crate::uploads::plain_urls;
use domain::Clock;
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, ResponseTemplate};

const PLACE: &str = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id title photoUrls } }";
const ORDER: &str = "query($id: ID!) { order(id: $id) { id photoUrls } }";
const MINE: &str = "{ orders(filter: { mine: true }) { totalCount } }";
const POST_WISH: &str = "mutation($input: PostWishInput!) { postWish(input: $input) { id photoUrls } }";
const WISH: &str = "query($id: ID!) { wish(id: $id) { id photoUrls } }";
const PUSH_TOKEN: &str = "push-token-for-tests";
const RISKY: &str = "违规内容";
const MSG_SEC_CHECK: &str = "/wxa/msg_sec_check";
const MEDIA_CHECK: &str = "/wxa/media_check_async";

async fn spawn_checked() -> TestApp {
    let app = spawn_app_with(|c| {
        c.wechat.content_security = Some(true);
        c.wechat.push_token = Some(PUSH_TOKEN.to_string().into());
    })
    .await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/stable_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "access_token": "T", "expires_in": 7200 })))
        .mount(&app.wechat)
        .await;
    app
}

fn verdict(suggest: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "errcode": 0, "errmsg": "ok", "trace_id": "t", "result": { "suggest": suggest, "label": 100 }, "detail": []
    }))
}

/// The fake `msg_sec_check`: `RISKY` is risky, everything else passes.
async fn text_checks(app: &TestApp) {
    Mock::given(method("POST"))
        .and(path(MSG_SEC_CHECK))
        .and(body_partial_json(json!({ "content": RISKY })))
        .respond_with(verdict("risky"))
        .with_priority(1)
        .mount(&app.wechat)
        .await;
    Mock::given(method("POST")).and(path(MSG_SEC_CHECK)).respond_with(verdict("pass")).mount(&app.wechat).await;
}

async fn bodies(app: &TestApp, at: &str) -> Vec<Value> {
    app.wechat
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == at)
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

async fn place(app: &TestApp, title: &str, description: &str, photos: Value) -> Value {
    let c = app.community_id(CHENGNAN).await;
    let input = json!({ "communityId": c, "category": "REPAIR", "title": title, "description": description,
        "photoUrls": photos });
    app.gql_as("demo-resident-1", PLACE, json!({ "input": input })).await
}

async fn my_order_count(app: &TestApp) -> i64 {
    data(&app.gql_as("demo-resident-1", MINE, json!({})).await, "orders")["totalCount"].as_i64().unwrap()
}

/// A photo uploaded by 龙阿姨; its URL.
async fn uploaded_photo(app: &TestApp) -> String {
    let bytes = crate::uploads::png(0);
    let part = reqwest::multipart::Part::bytes(bytes).file_name("p.png").mime_str("image/png").unwrap();
    let form = reqwest::multipart::Form::new().part("file", part);
    let token = app.session("demo-resident-1").await.access_token;
    let response =
        app.client.post(format!("{}/uploads", app.address)).bearer_auth(token).multipart(form).send().await.unwrap();
    assert_eq!(response.status(), 201);
    response.json::<Value>().await.unwrap()["url"].as_str().unwrap().to_owned()
}

/// The fake `media_check_async`, answering `trace_id`.
async fn media_check(app: &TestApp, trace_id: &str, times: u64) {
    Mock::given(method("POST"))
        .and(path(MEDIA_CHECK))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "errcode": 0, "trace_id": trace_id })))
        .expect(times)
        .mount(&app.wechat)
        .await;
}

fn signature(token: &str, timestamp: &str, nonce: &str) -> String {
    let mut parts = [token, timestamp, nonce];
    parts.sort_unstable();
    sha1_hex(&parts.concat())
}

fn sha1_hex(text: &str) -> String {
    // The test computes SHA-1 independently of the server's crate.
    use std::fmt::Write;
    let digest = sha1(text.as_bytes());
    digest.iter().fold(String::new(), |mut s, b| {
        write!(s, "{b:02x}").unwrap();
        s
    })
}

/// A small SHA-1 (FIPS 180-4), so the test does not trust the code under test.
fn sha1(message: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let mut data = message.to_vec();
    let bit_len = (message.len() as u64) * 8;
    data.push(0x80);
    while data.len() % 64 != 56 {
        data.push(0);
    }
    data.extend_from_slice(&bit_len.to_be_bytes());
    for chunk in data.chunks(64) {
        let mut w = [0u32; 80];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([chunk[4 * i], chunk[4 * i + 1], chunk[4 * i + 2], chunk[4 * i + 3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let t = a.rotate_left(5).wrapping_add(f).wrapping_add(e).wrapping_add(k).wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, x) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

/// WeChat's push of a media-check verdict, signed with `token`, sent now with a fresh nonce.
async fn push_verdict(app: &TestApp, token: &str, trace_id: &str, suggest: &str) -> reqwest::Response {
    let timestamp = app.clock.now().timestamp().to_string();
    push_verdict_at(app, token, trace_id, suggest, &timestamp, &key("nonce")).await
}

/// As [`push_verdict`], with the timestamp and nonce given.
async fn push_verdict_at(
    app: &TestApp,
    token: &str,
    trace_id: &str,
    suggest: &str,
    timestamp: &str,
    nonce: &str,
) -> reqwest::Response {
    let body = json!({ "ToUserName": "gh_test", "FromUserName": "o-system", "CreateTime": 1764460800,
        "MsgType": "event", "Event": "wxa_media_check", "appid": "wx-test-app", "trace_id": trace_id, "version": 2,
        "detail": [], "errcode": 0, "errmsg": "ok", "result": { "suggest": suggest, "label": 20002 } });
    push_at(app, token, &body, timestamp, nonce).await
}

/// A message push of `body`, signed with `token` over `timestamp` and `nonce`.
async fn push_at(app: &TestApp, token: &str, body: &Value, timestamp: &str, nonce: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/webhooks/wechat", app.address))
        .query(&[
            ("signature", signature(token, timestamp, nonce).as_str()),
            ("timestamp", timestamp),
            ("nonce", nonce),
        ])
        .json(body)
        .send()
        .await
        .unwrap()
}

#[test]
fn the_tests_sha1_is_sha1() {
    assert_eq!(sha1_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

#[tokio::test]
async fn risky_text_is_refused_and_no_order_is_created() {
    let app = spawn_checked().await;
    text_checks(&app).await;
    let resp = place(&app, "修水管", RISKY, json!([])).await;
    assert_eq!(error_code(&resp), "BAD_USER_INPUT", "{resp}");
    assert_eq!(resp["errors"][0]["extensions"]["field"], "description");
    assert!(resp["errors"][0]["message"].as_str().unwrap().contains("内容安全"), "{resp}");
    assert_eq!(my_order_count(&app).await, 0);
}

#[tokio::test]
async fn passing_text_is_saved_after_a_version_2_check_with_the_authors_openid() {
    let app = spawn_checked().await;
    text_checks(&app).await;
    let resp = place(&app, "修水管", "厨房水龙头一直滴水", json!([])).await;
    assert_eq!(data(&resp, "placeOrder")["title"], "修水管");
    assert_eq!(my_order_count(&app).await, 1);
    let checks = bodies(&app, MSG_SEC_CHECK).await;
    let contents: Vec<&str> = checks.iter().map(|b| b["content"].as_str().unwrap()).collect();
    assert_eq!(contents, ["修水管", "厨房水龙头一直滴水"]);
    for b in &checks {
        assert_eq!(b["version"], 2, "{b}");
        assert_eq!(b["openid"], "demo-resident-1", "{b}");
        assert!(b["scene"] == 2 || b["scene"] == 3, "{b}");
    }
}

#[tokio::test]
async fn risky_wishes_and_ratings_are_refused_too() {
    let app = spawn_checked().await;
    text_checks(&app).await;
    let c = app.community_id(CHENGNAN).await;
    let input = json!({ "communityId": c, "title": "一个新书包", "story": RISKY });
    let resp = app.gql_as("demo-resident-1", POST_WISH, json!({ "input": input })).await;
    assert_eq!(error_code(&resp), "BAD_USER_INPUT");
    assert_eq!(resp["errors"][0]["extensions"]["field"], "story");
    let rate = "mutation($id: ID!, $c: String) { rateOrder(orderId: $id, stars: 5, comment: $c) { id } }";
    let resp = app.gql_as("demo-resident-1", rate, json!({ "id": "1", "c": RISKY })).await;
    assert_eq!(error_code(&resp), "BAD_USER_INPUT", "checked before anything else: {resp}");
    assert_eq!(resp["errors"][0]["extensions"]["field"], "comment");
    let scenes: Vec<Value> = bodies(&app, MSG_SEC_CHECK).await.iter().map(|b| b["scene"].clone()).collect();
    assert_eq!(scenes, [json!(3), json!(3), json!(2)], "posts are forum text (3), ratings comments (2)");
}

#[tokio::test]
async fn text_is_accepted_when_wechat_cannot_check_it() {
    let app = spawn_checked().await;
    Mock::given(method("POST"))
        .and(path(MSG_SEC_CHECK))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "errcode": -1, "errmsg": "system busy" })))
        .mount(&app.wechat)
        .await;
    let resp = place(&app, "修水管", "厨房水龙头一直滴水", json!([])).await;
    data(&resp, "placeOrder");
    assert_eq!(my_order_count(&app).await, 1);
}

#[tokio::test]
async fn content_security_is_off_by_default_outside_production() {
    let app = spawn_app().await;
    let photo = uploaded_photo(&app).await;
    let resp = place(&app, "修水管", RISKY, json!([photo])).await;
    data(&resp, "placeOrder");
    let calls = app.wechat.received_requests().await.unwrap();
    assert!(calls.is_empty(), "no call to WeChat: {:?}", calls.iter().map(|r| r.url.path()).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_risky_photo_verdict_withdraws_the_photo_from_the_order_and_from_uploads() {
    let app = spawn_checked().await;
    text_checks(&app).await;
    media_check(&app, "trace-risky", 1).await;
    let photo = uploaded_photo(&app).await;
    let resp = place(&app, "修水管", "厨房水龙头一直滴水", json!([photo])).await;
    let order = data(&resp, "placeOrder").clone();
    assert_eq!(plain_urls(&order["photoUrls"]), json!([photo]));
    let submitted = bodies(&app, MEDIA_CHECK).await;
    assert_eq!(submitted.len(), 1);
    let b = &submitted[0];
    assert_eq!((&b["media_type"], &b["version"]), (&json!(2), &json!(2)));
    // Photos are private: WeChat is given a signed link it can fetch.
    let fetchable = b["media_url"].as_str().unwrap().to_owned();
    assert!(fetchable.starts_with(&format!("{photo}?exp=")), "{fetchable}");
    assert_eq!(b["openid"], "demo-resident-1");
    assert_eq!(app.client.get(&fetchable).send().await.unwrap().status(), 200, "served until the verdict");

    for _ in 0..2 {
        let answer = push_verdict(&app, PUSH_TOKEN, "trace-risky", "risky").await;
        assert_eq!(answer.status(), 200, "a repeated verdict is acknowledged too");
        assert_eq!(answer.text().await.unwrap(), "success");
    }
    let id = order["id"].as_str().unwrap();
    for who in ["demo-resident-1", "demo-secretary"] {
        let seen = app.gql_as(who, ORDER, json!({ "id": id })).await;
        assert_eq!(data(&seen, "order")["photoUrls"], json!([]), "withdrawn for {who}");
    }
    assert_eq!(app.client.get(&fetchable).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn a_retried_order_does_not_submit_its_photos_again() {
    let app = spawn_checked().await;
    text_checks(&app).await;
    media_check(&app, "trace-once", 1).await;
    let photo = uploaded_photo(&app).await;
    let c = app.community_id(CHENGNAN).await;
    let input = json!({ "communityId": c, "category": "REPAIR", "title": "修水管", "description": "厨房水龙头一直滴水",
        "photoUrls": [photo], "idempotencyKey": "retry-place-1" });
    let first = app.gql_as("demo-resident-1", PLACE, json!({ "input": input })).await;
    let again = app.gql_as("demo-resident-1", PLACE, json!({ "input": input })).await;
    assert_eq!(data(&first, "placeOrder")["id"], data(&again, "placeOrder")["id"]);
    assert_eq!(bodies(&app, MEDIA_CHECK).await.len(), 1);
}

#[tokio::test]
async fn a_passing_photo_verdict_keeps_the_photo_on_the_wish() {
    let app = spawn_checked().await;
    text_checks(&app).await;
    media_check(&app, "trace-pass", 1).await;
    let photo = uploaded_photo(&app).await;
    let c = app.community_id(CHENGNAN).await;
    let input = json!({ "communityId": c, "title": "一个新书包", "story": "孙子要上学了", "photoUrls": [photo] });
    let wish = data(&app.gql_as("demo-resident-1", POST_WISH, json!({ "input": input })).await, "postWish").clone();
    assert_eq!(push_verdict(&app, PUSH_TOKEN, "trace-pass", "pass").await.status(), 200);
    let seen = app.gql_as("demo-resident-1", WISH, json!({ "id": wish["id"] })).await;
    let link = data(&seen, "wish")["photoUrls"][0].as_str().unwrap().to_owned();
    assert_eq!(plain_urls(&json!([link])), json!([photo]));
    assert_eq!(app.client.get(&link).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn a_risky_photo_verdict_withdraws_the_photo_from_the_wish() {
    let app = spawn_checked().await;
    text_checks(&app).await;
    media_check(&app, "trace-wish", 1).await;
    let photo = uploaded_photo(&app).await;
    let c = app.community_id(CHENGNAN).await;
    let input = json!({ "communityId": c, "title": "一个新书包", "story": "孙子要上学了", "photoUrls": [photo] });
    let wish = data(&app.gql_as("demo-resident-1", POST_WISH, json!({ "input": input })).await, "postWish").clone();
    assert_eq!(push_verdict(&app, PUSH_TOKEN, "trace-wish", "risky").await.status(), 200);
    let seen = app.gql_as("demo-resident-1", WISH, json!({ "id": wish["id"] })).await;
    assert_eq!(data(&seen, "wish")["photoUrls"], json!([]));
    let link = wish["photoUrls"][0].as_str().unwrap();
    assert_eq!(app.client.get(link).send().await.unwrap().status(), 404, "the link handed out earlier no longer works");
}

#[tokio::test]
async fn a_verdict_with_a_bad_signature_is_refused_and_changes_nothing() {
    let app = spawn_checked().await;
    text_checks(&app).await;
    media_check(&app, "trace-forged", 1).await;
    let photo = uploaded_photo(&app).await;
    let order = data(&place(&app, "修水管", "厨房水龙头一直滴水", json!([photo])).await, "placeOrder").clone();
    let answer = push_verdict(&app, "not-the-token", "trace-forged", "risky").await;
    assert!(answer.status() == 401 || answer.status() == 403, "{}", answer.status());
    let unsigned =
        app.client.post(format!("{}/webhooks/wechat", app.address)).json(&json!({ "Event": "x" })).send().await;
    assert_eq!(unsigned.unwrap().status(), 401);
    let seen = app.gql_as("demo-resident-1", ORDER, json!({ "id": order["id"] })).await;
    let link = data(&seen, "order")["photoUrls"][0].as_str().unwrap().to_owned();
    assert_eq!(plain_urls(&json!([link])), json!([photo]));
    assert_eq!(app.client.get(&link).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn wechat_verifies_the_push_url_with_echostr() {
    let app = spawn_checked().await;
    let timestamp = app.clock.now().timestamp().to_string();
    let (timestamp, nonce) = (timestamp.as_str(), "abc123");
    let url = format!("{}/webhooks/wechat", app.address);
    let good = signature(PUSH_TOKEN, timestamp, nonce);
    let answer = app
        .client
        .get(&url)
        .query(&[("signature", good.as_str()), ("timestamp", timestamp), ("nonce", nonce), ("echostr", "e-12345")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.text().await.unwrap(), "e-12345");
    let bad = signature("wrong-token", timestamp, "abc124");
    let answer = app
        .client
        .get(&url)
        .query(&[("signature", bad.as_str()), ("timestamp", timestamp), ("nonce", "abc124"), ("echostr", "e-12345")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    assert!(!answer.text().await.unwrap().contains("e-12345"));
}

// ---- message push: timestamps and nonces ----

/// An order with one photo, under review (its verdict is `trace_id`): the order's id and the photo.
async fn order_with_photo_under_review(app: &TestApp, trace_id: &str) -> (String, String) {
    text_checks(app).await;
    media_check(app, trace_id, 1).await;
    let photo = uploaded_photo(app).await;
    let order = data(&place(app, "修水管", "厨房水龙头一直滴水", json!([photo])).await, "placeOrder").clone();
    (id(&order), photo)
}

/// The order's photos as stored (the links handed out are signed).
async fn photos_of(app: &TestApp, order: &str) -> Value {
    plain_urls(&data(&app.gql_as("demo-resident-1", ORDER, json!({ "id": order })).await, "order")["photoUrls"])
}

#[tokio::test]
async fn a_pushed_verdict_stamped_more_than_five_minutes_from_the_server_clock_is_refused_and_changes_nothing() {
    let app = spawn_checked().await;
    let (order, photo) = order_with_photo_under_review(&app, "trace-stale").await;
    let now = app.clock.now().timestamp();
    for off in [-301, 301, -86_400] {
        let answer =
            push_verdict_at(&app, PUSH_TOKEN, "trace-stale", "risky", &(now + off).to_string(), &key("n")).await;
        assert_eq!(answer.status(), 401, "{off} s off is refused");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{body}");
        assert_eq!(photos_of(&app, &order).await, json!([photo]), "{off} s off changed nothing");
    }
    // Within five minutes either way is taken: the server clock is the judge, not the test's.
    app.clock.advance(chrono::Duration::hours(3));
    let stamped = (app.clock.now().timestamp() - 299).to_string();
    let answer = push_verdict_at(&app, PUSH_TOKEN, "trace-stale", "risky", &stamped, &key("n")).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(photos_of(&app, &order).await, json!([]));
}

#[tokio::test]
async fn a_pushed_verdict_whose_nonce_was_already_seen_is_refused_and_changes_nothing() {
    let app = spawn_checked().await;
    let (order, photo) = order_with_photo_under_review(&app, "trace-replay").await;
    let now = app.clock.now().timestamp().to_string();
    let nonce = key("n");
    let other = json!({ "MsgType": "event", "Event": "user_enter_tempsession", "CreateTime": 1764460800 });
    let first = push_at(&app, PUSH_TOKEN, &other, &now, &nonce).await;
    assert_eq!(first.status(), 200);
    // The body is not signed: a replayed query string with a forged body must not withdraw the photo.
    let replay = push_verdict_at(&app, PUSH_TOKEN, "trace-replay", "risky", &now, &nonce).await;
    assert_eq!(replay.status(), 409);
    let body: Value = replay.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "CONFLICT", "{body}");
    assert_eq!(photos_of(&app, &order).await, json!([photo]), "the replay changed nothing");
    // Still refused four minutes later, with a timestamp that is still fresh.
    app.clock.advance(chrono::Duration::minutes(4));
    let later = push_verdict_at(&app, PUSH_TOKEN, "trace-replay", "risky", &now, &nonce).await;
    assert_eq!(later.status(), 409);
    assert_eq!(photos_of(&app, &order).await, json!([photo]));
    // A fresh nonce is a new delivery.
    let fresh = push_verdict_at(&app, PUSH_TOKEN, "trace-replay", "risky", &now, &key("n")).await;
    assert_eq!(fresh.status(), 200);
    assert_eq!(photos_of(&app, &order).await, json!([]));
}

#[tokio::test]
async fn a_push_that_fails_while_handled_can_be_retried_with_its_nonce() {
    let app = spawn_checked().await;
    let (order, _) = order_with_photo_under_review(&app, "trace-retry").await;
    let now = app.clock.now().timestamp().to_string();
    let nonce = key("n");
    let broken = app
        .client
        .post(format!("{}/webhooks/wechat", app.address))
        .query(&[("signature", signature(PUSH_TOKEN, &now, &nonce).as_str()), ("timestamp", &now), ("nonce", &nonce)])
        .header("Content-Type", "application/json")
        .body("{ not json")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), 400);
    let retried = push_verdict_at(&app, PUSH_TOKEN, "trace-retry", "risky", &now, &nonce).await;
    assert_eq!(retried.status(), 200, "a delivery that was not handled does not use up its nonce");
    assert_eq!(photos_of(&app, &order).await, json!([]));
}

#[tokio::test]
async fn a_push_nonce_seen_by_one_node_is_refused_by_another_on_the_same_redis() {
    let Ok(redis) = std::env::var("LINLI_TEST_REDIS_URL") else {
        eprintln!("LINLI_TEST_REDIS_URL is not set: this Redis test runs in CI's PostgreSQL + Redis pass");
        return;
    };
    let a = spawn_checked().await;
    let prefix = a.config.redis_prefix.clone();
    assert_eq!(a.config.redis_url.as_deref(), Some(redis.as_str()));
    let b = spawn_app_with(|c| {
        c.wechat.push_token = Some(PUSH_TOKEN.to_string().into());
        c.redis_prefix = prefix;
    })
    .await;
    let now = a.clock.now().timestamp().to_string();
    let nonce = key("n");
    let on_a = push_verdict_at(&a, PUSH_TOKEN, "trace-elsewhere", "pass", &now, &nonce).await;
    assert_eq!(on_a.status(), 200);
    let on_b = push_verdict_at(&b, PUSH_TOKEN, "trace-elsewhere", "pass", &now, &nonce).await;
    assert_eq!(on_b.status(), 409, "the other node knows the nonce");
    let fresh = push_verdict_at(&b, PUSH_TOKEN, "trace-elsewhere", "pass", &now, &key("n")).await;
    assert_eq!(fresh.status(), 200);
}
