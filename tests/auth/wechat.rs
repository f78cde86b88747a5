// Sign-in and the phone-number button against a fake WeChat.

use crate::common::*;
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

const LOGIN: &str = "mutation($code: String!) { wechatLogin(code: $code) { accessToken refreshToken expiresIn \
                     user { id displayName memberships { community { id name } roles } } } }";
const SESSION_KEY: &str = "SECRET-KEY";
const APP_SECRET: &str = "wx-test-secret";

/// The fake `jscode2session` for one code, checking every parameter we must send.
async fn code2session(app: &TestApp, code: &str, reply: Value, times: u64) {
    Mock::given(method("GET"))
        .and(path("/sns/jscode2session"))
        .and(query_param("appid", "wx-test-app"))
        .and(query_param("secret", APP_SECRET))
        .and(query_param("js_code", code))
        .and(query_param("grant_type", "authorization_code"))
        .respond_with(ResponseTemplate::new(200).set_body_json(reply))
        .expect(times)
        .mount(&app.wechat)
        .await;
}

fn session_reply(openid: &str) -> Value {
    json!({ "openid": openid, "session_key": SESSION_KEY, "unionid": "u-1" })
}

fn wechat_error(errcode: i64) -> Value {
    json!({ "errcode": errcode, "errmsg": format!("fake error {errcode}") })
}

/// POSTs a GraphQL request and returns the raw body text, for leak checks.
async fn gql_text(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> String {
    let mut request =
        app.client.post(format!("{}/graphql", app.address)).json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().text().await.unwrap()
}

async fn sign_in(app: &TestApp, code: &str) -> Value {
    app.gql(None, LOGIN, json!({ "code": code })).await
}

/// A sign-in with `code` that WeChat answers with `errcode`: the error code we give.
async fn sign_in_refused_by_wechat(errcode: i64) -> (String, Value) {
    let app = spawn_app().await;
    code2session(&app, "code-x", wechat_error(errcode), 1).await;
    let response = sign_in(&app, "code-x").await;
    assert!(response["data"].is_null() || response["data"]["wechatLogin"].is_null(), "{response}");
    app.wechat.verify().await;
    (error_code(&response), response)
}

fn assert_no_internal_text(response: &Value, errcode: i64) {
    let text = response.to_string();
    for leak in [errcode.to_string().as_str(), APP_SECRET, "fake error", "jscode2session", "errcode"] {
        assert!(!text.contains(leak), "{leak:?} leaked: {response}");
    }
}

// ---- sign-in ----

#[tokio::test]
async fn a_first_wechat_sign_in_sends_appid_secret_and_code_and_creates_the_user() {
    let app = spawn_app().await;
    code2session(&app, "code-1", session_reply("o-123"), 1).await;
    let response = sign_in(&app, "code-1").await;
    let payload = data(&response, "wechatLogin");
    let user_id = payload["user"]["id"].as_str().unwrap();
    assert_eq!(payload["user"]["memberships"], json!([]), "{payload}");
    let me = app.gql(payload["accessToken"].as_str(), "{ me { id } }", json!({})).await;
    assert_eq!(data(&me, "me")["id"], user_id);
    app.wechat.verify().await;
}

#[tokio::test]
async fn signing_in_again_with_the_same_openid_finds_the_same_user() {
    let app = spawn_app().await;
    code2session(&app, "code-1", session_reply("o-123"), 1).await;
    code2session(&app, "code-2", session_reply("o-123"), 1).await;
    code2session(&app, "code-3", session_reply("o-456"), 1).await;
    let first = sign_in(&app, "code-1").await;
    let second = sign_in(&app, "code-2").await;
    let other = sign_in(&app, "code-3").await;
    let first_id = &data(&first, "wechatLogin")["user"]["id"];
    assert_eq!(&data(&second, "wechatLogin")["user"]["id"], first_id);
    assert_ne!(&data(&other, "wechatLogin")["user"]["id"], first_id);
    app.wechat.verify().await;
}

#[tokio::test]
async fn a_wechat_user_is_the_same_user_as_their_dev_login_openid() {
    let app = spawn_app().await;
    code2session(&app, "code-1", session_reply("demo-resident-1"), 1).await;
    let resident = app.login("demo-resident-1").await;
    let response = sign_in(&app, "code-1").await;
    assert_eq!(data(&response, "wechatLogin")["user"]["id"], resident.user_id.as_str());
}

#[tokio::test]
async fn the_session_key_never_appears_in_any_response() {
    let app = spawn_app().await;
    code2session(&app, "code-1", session_reply("o-123"), 1).await;
    let login = gql_text(&app, None, LOGIN, json!({ "code": "code-1" })).await;
    assert!(!login.contains(SESSION_KEY), "{login}");
    let payload: Value = serde_json::from_str(&login).unwrap();
    let payload = data(&payload, "wechatLogin");
    let access = payload["accessToken"].as_str().unwrap();
    // Not inside the tokens either (the access token's payload is readable).
    use base64::Engine as _;
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(access.split('.').nth(1).unwrap()).unwrap();
    assert!(!String::from_utf8_lossy(&claims).contains(SESSION_KEY));
    let me = gql_text(&app, Some(access), "{ me { id displayName phone phoneVerified } }", json!({})).await;
    assert!(!me.contains(SESSION_KEY), "{me}");
    let refresh = gql_text(
        &app,
        None,
        "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken user { id } } }",
        json!({ "t": payload["refreshToken"] }),
    )
    .await;
    assert!(!refresh.contains(SESSION_KEY), "{refresh}");
    let metrics = app.metrics().await;
    assert!(!metrics.contains(SESSION_KEY));
}

#[tokio::test]
async fn an_invalid_or_used_code_is_unauthenticated() {
    let (code, response) = sign_in_refused_by_wechat(40029).await;
    assert_eq!(code, "UNAUTHENTICATED", "{response}");
}

#[tokio::test]
async fn wechat_limiting_the_user_is_rate_limited() {
    let (code, response) = sign_in_refused_by_wechat(45011).await;
    assert_eq!(code, "RATE_LIMITED", "{response}");
}

#[tokio::test]
async fn wechat_being_busy_is_unavailable() {
    let (code, response) = sign_in_refused_by_wechat(-1).await;
    assert_eq!(code, "UNAVAILABLE", "{response}");
}

#[tokio::test]
async fn a_user_wechat_blocked_as_high_risk_is_forbidden() {
    let (code, response) = sign_in_refused_by_wechat(40226).await;
    assert_eq!(code, "FORBIDDEN", "{response}");
}

#[tokio::test]
async fn a_wrong_appid_is_internal_and_leaks_neither_the_errcode_nor_the_secret() {
    let (code, response) = sign_in_refused_by_wechat(40013).await;
    assert_eq!(code, "INTERNAL", "{response}");
    assert_no_internal_text(&response, 40013);
}

#[tokio::test]
async fn an_unreachable_wechat_is_unavailable() {
    let app = spawn_app_with(|c| c.wechat.api_base = "http://127.0.0.1:9".into()).await;
    let response = sign_in(&app, "code-1").await;
    assert_eq!(error_code(&response), "UNAVAILABLE", "{response}");
    assert!(!response.to_string().contains("127.0.0.1"), "{response}");
}

#[tokio::test]
async fn a_refused_sign_in_does_not_stop_the_next_good_one() {
    let app = spawn_app().await;
    code2session(&app, "code-bad", wechat_error(40029), 1).await;
    code2session(&app, "code-good", session_reply("o-123"), 1).await;
    let refused = sign_in(&app, "code-bad").await;
    assert_eq!(error_code(&refused), "UNAUTHENTICATED", "{refused}");
    let accepted = sign_in(&app, "code-good").await;
    assert!(data(&accepted, "wechatLogin")["accessToken"].is_string());
    app.wechat.verify().await;
}

// ---- the phone-number button ----

/// The fake `stable_token`, checking the credentials we send.
async fn stable_token(app: &TestApp, force_refresh: Option<bool>, token: &str, times: u64) {
    let mut expected = json!({ "grant_type": "client_credential", "appid": "wx-test-app", "secret": APP_SECRET });
    if let Some(force) = force_refresh {
        expected["force_refresh"] = json!(force);
    }
    Mock::given(method("POST"))
        .and(path("/cgi-bin/stable_token"))
        .and(body_partial_json(expected))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "access_token": token, "expires_in": 7200 })))
        .expect(times)
        .mount(&app.wechat)
        .await;
}

async fn my_phone(app: &TestApp, session: &Session) -> Value {
    let me = app.gql(Some(&session.access_token), "{ me { phone phoneVerified } }", json!({})).await;
    data(&me, "me").clone()
}

#[tokio::test]
async fn binding_a_phone_stores_the_verified_number() {
    let app = spawn_app().await;
    stable_token(&app, None, "T", 1).await;
    phone_number(&app, "T", "phone-code", phone_reply("13800001111", "wx-test-app"), 1).await;
    let user = app.login("newcomer-with-a-phone").await;
    assert_eq!(my_phone(&app, &user).await, json!({ "phone": null, "phoneVerified": false }));
    let response = bind_phone(&app, &user, "phone-code").await;
    let bound = data(&response, "bindPhone");
    assert_eq!(bound["id"], user.user_id.as_str());
    assert_eq!(bound["phone"], "13800001111");
    assert_eq!(bound["phoneVerified"], true);
    assert_eq!(my_phone(&app, &user).await, json!({ "phone": "13800001111", "phoneVerified": true }));
    app.wechat.verify().await;
}

#[tokio::test]
async fn the_server_access_token_is_cached_between_phone_bindings() {
    let app = spawn_app().await;
    stable_token(&app, None, "T", 1).await;
    phone_number(&app, "T", "phone-code-1", phone_reply("13800001111", "wx-test-app"), 1).await;
    phone_number(&app, "T", "phone-code-2", phone_reply("13800002222", "wx-test-app"), 1).await;
    let first = app.login("first-phone-owner").await;
    let second = app.login("second-phone-owner").await;
    assert_eq!(data(&bind_phone(&app, &first, "phone-code-1").await, "bindPhone")["phone"], "13800001111");
    assert_eq!(data(&bind_phone(&app, &second, "phone-code-2").await, "bindPhone")["phone"], "13800002222");
    app.wechat.verify().await;
}

#[tokio::test]
async fn an_expired_server_access_token_is_refreshed_once_and_the_call_retried() {
    let app = spawn_app().await;
    stable_token(&app, Some(false), "T-old", 1).await;
    stable_token(&app, Some(true), "T-new", 1).await;
    phone_number(&app, "T-old", "phone-code", json!({ "errcode": 40001, "errmsg": "invalid credential" }), 1).await;
    phone_number(&app, "T-new", "phone-code", phone_reply("13800001111", "wx-test-app"), 1).await;
    let user = app.login("newcomer-with-a-phone").await;
    let response = bind_phone(&app, &user, "phone-code").await;
    let bound = data(&response, "bindPhone");
    assert_eq!(bound["phone"], "13800001111");
    assert_eq!(bound["phoneVerified"], true);
    app.wechat.verify().await;
}

#[tokio::test]
async fn a_phone_number_issued_to_another_app_is_forbidden() {
    let app = spawn_app().await;
    stable_token(&app, None, "T", 1).await;
    phone_number(&app, "T", "phone-code", phone_reply("13800001111", "wx-someone-else"), 1).await;
    let user = app.login("newcomer-with-a-phone").await;
    let response = bind_phone(&app, &user, "phone-code").await;
    assert_eq!(error_code(&response), "FORBIDDEN", "{response}");
    assert_eq!(my_phone(&app, &user).await, json!({ "phone": null, "phoneVerified": false }));
}

#[tokio::test]
async fn an_invalid_phone_code_is_bad_user_input() {
    let app = spawn_app().await;
    stable_token(&app, None, "T", 1).await;
    phone_number(&app, "T", "phone-code", wechat_error(40029), 1).await;
    let user = app.login("newcomer-with-a-phone").await;
    let response = bind_phone(&app, &user, "phone-code").await;
    assert_eq!(error_code(&response), "BAD_USER_INPUT", "{response}");
    assert!(response["errors"][0]["extensions"]["field"].is_string(), "{response}");
    assert_eq!(my_phone(&app, &user).await, json!({ "phone": null, "phoneVerified": false }));
}

#[tokio::test]
async fn binding_a_phone_needs_a_signed_in_user_and_asks_wechat_nothing_otherwise() {
    let app = spawn_app().await;
    stable_token(&app, None, "T", 0).await;
    let response = app.gql(None, BIND_PHONE, json!({ "code": "phone-code" })).await;
    assert_eq!(error_code(&response), "UNAUTHENTICATED", "{response}");
    app.wechat.verify().await;
}

#[tokio::test]
async fn binding_a_phone_while_wechat_is_unreachable_is_unavailable() {
    let app = spawn_app_with(|c| c.wechat.api_base = "http://127.0.0.1:9".into()).await;
    let user = app.login("newcomer-with-a-phone").await;
    let response = bind_phone(&app, &user, "phone-code").await;
    assert_eq!(error_code(&response), "UNAVAILABLE", "{response}");
}
