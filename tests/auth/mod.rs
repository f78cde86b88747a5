// Sign-in, access tokens, refresh rotation and logout, end to end.

mod wechat;

use crate::common::*;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

const LOGIN: &str = "mutation($code: String!) { wechatLogin(code: $code) { accessToken refreshToken expiresIn \
                     user { id displayName memberships { community { id name } roles } } } }";
const REFRESH: &str =
    "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken expiresIn user { id } } }";
const ME: &str = "{ me { id } }";

/// The JSON payload of a JWT, read without checking anything.
fn jwt_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).unwrap_or_else(|| panic!("not a JWT: {token}"));
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn claims_of(token: &str) -> Value {
    jwt_part(token, 1)
}

fn b64_json(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

/// Claims a genuine token for `session` would carry, freshly issued now.
fn fresh_claims(app: &TestApp, session: &Session) -> Value {
    let real = claims_of(&session.access_token);
    let now = Utc::now().timestamp();
    json!({
        "iss": app.config.jwt.issuer,
        "aud": app.config.jwt.audience,
        "sub": real["sub"],
        "exp": now + 600,
        "iat": now,
        "jti": uuid::Uuid::new_v4().simple().to_string(),
        "sid": real["sid"],
    })
}

fn sign(claims: &Value, algorithm: Algorithm, secret: &str) -> String {
    jsonwebtoken::encode(&Header::new(algorithm), claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

/// Signs like the server does (HS256, the server's secret).
fn forge(app: &TestApp, claims: &Value) -> String {
    sign(claims, Algorithm::HS256, &app.jwt_secret)
}

fn without(mut claims: Value, claim: &str) -> Value {
    claims.as_object_mut().unwrap().remove(claim);
    claims
}

fn with(mut claims: Value, claim: &str, value: Value) -> Value {
    claims[claim] = value;
    claims
}

/// `{ me { id } }` with this bearer token.
async fn me(app: &TestApp, token: &str) -> Value {
    app.gql(Some(token), ME, json!({})).await
}

/// Asserts that `{ me { id } }` with this token is refused as unauthenticated.
async fn assert_refused(app: &TestApp, token: &str) {
    let response = me(app, token).await;
    assert_eq!(error_code(&response), "UNAUTHENTICATED", "{response}");
    assert!(response["data"].is_null() || response["data"]["me"].is_null(), "{response}");
}

async fn assert_accepted(app: &TestApp, token: &str, user_id: &str) {
    let response = me(app, token).await;
    assert_eq!(data(&response, "me")["id"], user_id, "{response}");
}

/// `{ me { id } }` with a raw `Authorization` header value.
async fn me_with_authorization(app: &TestApp, authorization: &str) -> Value {
    app.client
        .post(format!("{}/graphql", app.address))
        .header("Authorization", authorization)
        .json(&json!({ "query": ME }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn refresh(app: &TestApp, token: Option<&str>, refresh_token: &str) -> Value {
    app.gql(token, REFRESH, json!({ "t": refresh_token })).await
}

fn session_from(payload: &Value) -> Session {
    Session {
        access_token: payload["accessToken"].as_str().unwrap().to_owned(),
        refresh_token: payload["refreshToken"].as_str().unwrap().to_owned(),
        user_id: payload["user"]["id"].as_str().unwrap().to_owned(),
    }
}

// ---- sign-in ----

#[tokio::test]
async fn a_first_dev_sign_in_creates_the_user_and_the_next_one_finds_the_same_user() {
    let app = spawn_app().await;
    let first = app.gql(None, LOGIN, json!({ "code": "dev:brand-new-neighbour" })).await;
    let first = data(&first, "wechatLogin");
    let user_id = first["user"]["id"].as_str().unwrap().to_owned();
    assert!(!user_id.is_empty());
    assert!(first["user"]["displayName"].is_string(), "{first}");
    assert_eq!(first["user"]["memberships"], json!([]), "a new user belongs nowhere yet: {first}");
    let second = app.gql(None, LOGIN, json!({ "code": "dev:brand-new-neighbour" })).await;
    let second = data(&second, "wechatLogin");
    assert_eq!(second["user"]["id"], user_id.as_str());
    assert_ne!(second["accessToken"], first["accessToken"]);
    assert_ne!(second["refreshToken"], first["refreshToken"]);
    let other = app.login("another-new-neighbour").await;
    assert_ne!(other.user_id, user_id);
}

#[tokio::test]
async fn the_sign_in_payload_carries_tokens_expiry_and_the_users_memberships() {
    let app = spawn_app().await;
    let response = app.gql(None, LOGIN, json!({ "code": "dev:demo-secretary" })).await;
    let payload = data(&response, "wechatLogin");
    assert!(!payload["accessToken"].as_str().unwrap().is_empty());
    assert!(!payload["refreshToken"].as_str().unwrap().is_empty());
    let expires_in = payload["expiresIn"].as_i64().unwrap();
    assert!(expires_in > 0 && expires_in <= 900, "expiresIn {expires_in}");
    let memberships = payload["user"]["memberships"].as_array().unwrap();
    let chengnan = memberships
        .iter()
        .find(|m| m["community"]["name"] == CHENGNAN)
        .unwrap_or_else(|| panic!("the demo secretary belongs to {CHENGNAN}: {payload}"));
    assert!(chengnan["community"]["id"].is_string());
    assert!(chengnan["roles"].as_array().unwrap().contains(&json!("SECRETARY")), "{chengnan}");
}

#[tokio::test]
async fn me_answers_the_signed_in_user() {
    let app = spawn_app().await;
    let resident = app.login("demo-resident-1").await;
    let response = app
        .gql(
            Some(&resident.access_token),
            "{ me { id displayName memberships { community { name } roles } } }",
            json!({}),
        )
        .await;
    let me = data(&response, "me");
    assert_eq!(me["id"], resident.user_id.as_str());
    let memberships = me["memberships"].as_array().unwrap();
    assert!(
        memberships.iter().any(|m| m["community"]["name"] == CHENGNAN && m["roles"] == json!(["RESIDENT"])),
        "{me}"
    );
}

#[tokio::test]
async fn me_without_an_authorization_header_is_unauthenticated() {
    let app = spawn_app().await;
    let response = app.gql(None, ME, json!({})).await;
    assert_eq!(error_code(&response), "UNAUTHENTICATED", "{response}");
}

#[tokio::test]
async fn an_empty_sign_in_code_is_bad_user_input() {
    let app = spawn_app().await;
    let response = app.gql(None, LOGIN, json!({ "code": "  " })).await;
    assert_eq!(error_code(&response), "BAD_USER_INPUT", "{response}");
    assert_eq!(response["errors"][0]["extensions"]["field"], "code", "{response}");
}

#[tokio::test]
async fn dev_login_is_refused_when_it_is_turned_off() {
    let app = spawn_app_with(|c| c.dev_login = Some(false)).await;
    let response = app.gql(None, LOGIN, json!({ "code": "dev:demo-secretary" })).await;
    assert_eq!(error_code(&response), "UNAUTHENTICATED", "{response}");
    assert!(response["data"].is_null() || response["data"]["wechatLogin"].is_null(), "{response}");
}

#[tokio::test]
async fn dev_login_is_refused_in_production() {
    let app = spawn_app_with(|c| {
        c.env = api::config::Environment::Production;
        c.dev_login = None;
    })
    .await;
    for openid in ["demo-secretary", "someone-new"] {
        let response = app.gql(None, LOGIN, json!({ "code": format!("dev:{openid}") })).await;
        assert_eq!(error_code(&response), "UNAUTHENTICATED", "{response}");
        assert!(response["data"].is_null() || response["data"]["wechatLogin"].is_null(), "{response}");
    }
}

// ---- the access token ----

#[tokio::test]
async fn the_access_token_is_an_hs256_jwt_with_every_claim_and_at_most_fifteen_minutes_of_life() {
    let app = spawn_app().await;
    let session = app.login("demo-resident-1").await;
    let header = jwt_part(&session.access_token, 0);
    assert_eq!(header["alg"], "HS256", "{header}");
    let claims = claims_of(&session.access_token);
    assert_eq!(claims["iss"], "linli", "{claims}");
    assert_eq!(claims["aud"], "linli-miniprogram", "{claims}");
    assert_eq!(claims["sub"], session.user_id.as_str(), "{claims}");
    for claim in ["jti", "sid"] {
        assert!(!claims[claim].as_str().unwrap_or_default().is_empty(), "{claim} missing: {claims}");
    }
    let (exp, iat) = (claims["exp"].as_i64().unwrap(), claims["iat"].as_i64().unwrap());
    assert!(exp > iat && exp - iat <= 900, "lifetime {} s", exp - iat);
    // It verifies with the server's secret and nothing but HS256.
    let mut validation = jsonwebtoken::Validation::new(Algorithm::HS256);
    validation.set_issuer(&["linli"]);
    validation.set_audience(&["linli-miniprogram"]);
    jsonwebtoken::decode::<Value>(
        &session.access_token,
        &jsonwebtoken::DecodingKey::from_secret(app.jwt_secret.as_bytes()),
        &validation,
    )
    .unwrap();
    // Two sign-ins get different token ids and sessions.
    let again = claims_of(&app.login("demo-resident-1").await.access_token);
    assert_ne!(again["jti"], claims["jti"]);
    assert_ne!(again["sid"], claims["sid"]);
}

#[tokio::test]
async fn a_token_forged_exactly_like_the_servers_is_accepted() {
    // The control for the refusals below: the forging itself is right.
    let app = spawn_app().await;
    let session = app.login("demo-resident-1").await;
    let token = forge(&app, &fresh_claims(&app, &session));
    assert_accepted(&app, &token, &session.user_id).await;
}

#[tokio::test]
async fn an_expired_access_token_is_unauthenticated() {
    let app = spawn_app().await;
    let session = app.login("demo-resident-1").await;
    let now = Utc::now().timestamp();
    let claims = with(with(fresh_claims(&app, &session), "iat", json!(now - 900)), "exp", json!(now - 60));
    assert_refused(&app, &forge(&app, &claims)).await;
}

#[tokio::test]
async fn a_token_with_a_tampered_payload_is_unauthenticated() {
    let app = spawn_app().await;
    let session = app.login("demo-resident-1").await;
    let victim = app.login("demo-secretary").await;
    let parts: Vec<&str> = session.access_token.split('.').collect();
    let claims = with(claims_of(&session.access_token), "sub", json!(victim.user_id));
    let tampered = format!("{}.{}.{}", parts[0], b64_json(&claims), parts[2]);
    assert_refused(&app, &tampered).await;
    // The genuine token still works: only the tampering was refused.
    assert_accepted(&app, &session.access_token, &session.user_id).await;
}

#[tokio::test]
async fn an_unsigned_alg_none_token_is_unauthenticated() {
    let app = spawn_app().await;
    let session = app.login("demo-resident-1").await;
    let claims = fresh_claims(&app, &session);
    let header = b64_json(&json!({ "alg": "none", "typ": "JWT" }));
    let payload = b64_json(&claims);
    assert_refused(&app, &format!("{header}.{payload}.")).await;
    // With the real signature kept, but the header claiming `none`.
    let signature = forge(&app, &claims).rsplit('.').next().unwrap().to_owned();
    assert_refused(&app, &format!("{header}.{payload}.{signature}")).await;
}

#[tokio::test]
async fn a_token_signed_with_another_secret_is_unauthenticated() {
    let app = spawn_app().await;
    let session = app.login("demo-resident-1").await;
    let token = sign(&fresh_claims(&app, &session), Algorithm::HS256, "not-the-servers-secret-but-long-enough-1234");
    assert_refused(&app, &token).await;
}

#[tokio::test]
async fn a_token_signed_with_hs512_is_unauthenticated_even_with_the_servers_secret() {
    let app = spawn_app().await;
    let session = app.login("demo-resident-1").await;
    let token = sign(&fresh_claims(&app, &session), Algorithm::HS512, &app.jwt_secret);
    assert_refused(&app, &token).await;
}

#[tokio::test]
async fn a_token_for_another_audience_is_unauthenticated() {
    let app = spawn_app().await;
    let session = app.login("demo-resident-1").await;
    let claims = with(fresh_claims(&app, &session), "aud", json!("some-other-app"));
    assert_refused(&app, &forge(&app, &claims)).await;
}

#[tokio::test]
async fn a_token_from_another_issuer_is_unauthenticated() {
    let app = spawn_app().await;
    let session = app.login("demo-resident-1").await;
    let claims = with(fresh_claims(&app, &session), "iss", json!("someone-else"));
    assert_refused(&app, &forge(&app, &claims)).await;
}

#[tokio::test]
async fn a_token_without_a_jti_is_unauthenticated() {
    let app = spawn_app().await;
    let session = app.login("demo-resident-1").await;
    assert_refused(&app, &forge(&app, &without(fresh_claims(&app, &session), "jti"))).await;
    assert_refused(&app, &forge(&app, &with(fresh_claims(&app, &session), "jti", json!("")))).await;
}

#[tokio::test]
async fn a_token_without_a_session_id_is_unauthenticated() {
    let app = spawn_app().await;
    let session = app.login("demo-resident-1").await;
    assert_refused(&app, &forge(&app, &without(fresh_claims(&app, &session), "sid"))).await;
    assert_refused(&app, &forge(&app, &with(fresh_claims(&app, &session), "sid", json!("")))).await;
}

#[tokio::test]
async fn a_token_missing_its_expiry_issue_time_issuer_audience_or_subject_is_unauthenticated() {
    let app = spawn_app().await;
    let session = app.login("demo-resident-1").await;
    for claim in ["exp", "iat", "iss", "aud", "sub"] {
        let token = forge(&app, &without(fresh_claims(&app, &session), claim));
        let response = me(&app, &token).await;
        assert_eq!(error_code(&response), "UNAUTHENTICATED", "without {claim}: {response}");
    }
}

#[tokio::test]
async fn a_token_living_longer_than_fifteen_minutes_is_unauthenticated() {
    let app = spawn_app().await;
    let session = app.login("demo-resident-1").await;
    let now = Utc::now().timestamp();
    let claims = with(with(fresh_claims(&app, &session), "iat", json!(now)), "exp", json!(now + 3600));
    assert_refused(&app, &forge(&app, &claims)).await;
}

#[tokio::test]
async fn a_token_for_a_session_that_never_existed_is_unauthenticated() {
    let app = spawn_app().await;
    let session = app.login("demo-resident-1").await;
    let claims = with(fresh_claims(&app, &session), "sid", json!(uuid::Uuid::new_v4().simple().to_string()));
    assert_refused(&app, &forge(&app, &claims)).await;
}

#[tokio::test]
async fn a_garbage_bearer_token_is_unauthenticated() {
    let app = spawn_app().await;
    for authorization in ["Bearer abc", "Bearer ", "Bearer a.b.c", "Bearer"] {
        let response = me_with_authorization(&app, authorization).await;
        assert_eq!(error_code(&response), "UNAUTHENTICATED", "{authorization:?}: {response}");
    }
}

#[tokio::test]
async fn a_valid_token_under_another_authorization_scheme_is_unauthenticated() {
    let app = spawn_app().await;
    let session = app.login("demo-resident-1").await;
    for authorization in [format!("Basic {}", session.access_token), format!("Token {}", session.access_token)] {
        let response = me_with_authorization(&app, &authorization).await;
        assert_eq!(error_code(&response), "UNAUTHENTICATED", "{response}");
    }
    let response = me_with_authorization(&app, &session.access_token).await;
    assert_eq!(error_code(&response), "UNAUTHENTICATED", "a bare token without a scheme: {response}");
    // The same token as a bearer works.
    let response = me_with_authorization(&app, &format!("Bearer {}", session.access_token)).await;
    assert_eq!(data(&response, "me")["id"], session.user_id.as_str());
}

// ---- refresh and logout ----

#[tokio::test]
async fn refreshing_rotates_the_pair_and_the_new_tokens_work() {
    let app = spawn_app().await;
    let first = app.login("demo-resident-1").await;
    let response = refresh(&app, None, &first.refresh_token).await;
    let payload = data(&response, "refreshSession");
    let second = session_from(payload);
    assert_eq!(second.user_id, first.user_id);
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_ne!(second.access_token, first.access_token);
    let expires_in = payload["expiresIn"].as_i64().unwrap();
    assert!(expires_in > 0 && expires_in <= 900);
    assert_eq!(claims_of(&second.access_token)["sid"], claims_of(&first.access_token)["sid"], "same session");
    assert_accepted(&app, &second.access_token, &first.user_id).await;
    // The new refresh token works once more.
    let third = refresh(&app, None, &second.refresh_token).await;
    let third = session_from(data(&third, "refreshSession"));
    assert_accepted(&app, &third.access_token, &first.user_id).await;
}

#[tokio::test]
async fn presenting_a_used_refresh_token_ends_the_whole_session() {
    let app = spawn_app().await;
    let first = app.login("demo-resident-1").await;
    let second = session_from(data(&refresh(&app, None, &first.refresh_token).await, "refreshSession"));
    let third = session_from(data(&refresh(&app, None, &second.refresh_token).await, "refreshSession"));
    assert_accepted(&app, &third.access_token, &first.user_id).await;

    // Someone replays the first refresh token.
    let replay = refresh(&app, None, &first.refresh_token).await;
    assert_eq!(error_code(&replay), "UNAUTHENTICATED", "{replay}");

    // The newest access token and the newest refresh token are dead too.
    assert_refused(&app, &third.access_token).await;
    let newest = refresh(&app, None, &third.refresh_token).await;
    assert_eq!(error_code(&newest), "UNAUTHENTICATED", "{newest}");
    assert_refused(&app, &first.access_token).await;
}

#[tokio::test]
async fn reusing_a_refresh_token_leaves_the_users_other_sessions_alone() {
    let app = spawn_app().await;
    let phone = app.login("demo-resident-1").await;
    let tablet = app.login("demo-resident-1").await;
    let _rotated = data(&refresh(&app, None, &phone.refresh_token).await, "refreshSession").clone();
    let replay = refresh(&app, None, &phone.refresh_token).await;
    assert_eq!(error_code(&replay), "UNAUTHENTICATED", "{replay}");
    assert_accepted(&app, &tablet.access_token, &tablet.user_id).await;
    let refreshed = refresh(&app, None, &tablet.refresh_token).await;
    assert_eq!(data(&refreshed, "refreshSession")["user"]["id"], tablet.user_id.as_str());
}

#[tokio::test]
async fn an_unknown_refresh_token_is_unauthenticated() {
    let app = spawn_app().await;
    for token in ["not-a-refresh-token", ""] {
        let response = refresh(&app, None, token).await;
        assert_eq!(error_code(&response), "UNAUTHENTICATED", "{token:?}: {response}");
    }
}

#[tokio::test]
async fn logout_ends_the_session_so_its_access_and_refresh_tokens_stop_working() {
    let app = spawn_app().await;
    let session = app.login("demo-resident-1").await;
    let other = app.login("demo-resident-1").await;
    let response = app.gql(Some(&session.access_token), "mutation { logout }", json!({})).await;
    assert_eq!(data(&response, "logout"), &json!(true));
    assert_refused(&app, &session.access_token).await;
    let refreshed = refresh(&app, None, &session.refresh_token).await;
    assert_eq!(error_code(&refreshed), "UNAUTHENTICATED", "{refreshed}");
    // A second logout with the dead token is refused too.
    let again = app.gql(Some(&session.access_token), "mutation { logout }", json!({})).await;
    assert_eq!(error_code(&again), "UNAUTHENTICATED", "{again}");
    // Another session of the same user is untouched.
    assert_accepted(&app, &other.access_token, &other.user_id).await;
}

#[tokio::test]
async fn logout_without_a_token_is_unauthenticated() {
    let app = spawn_app().await;
    let response = app.gql(None, "mutation { logout }", json!({})).await;
    assert_eq!(error_code(&response), "UNAUTHENTICATED", "{response}");
}

#[tokio::test]
async fn a_stale_authorization_header_does_not_stop_refreshing_or_signing_in() {
    let app = spawn_app().await;
    let session = app.login("demo-resident-1").await;
    let ended = app.login("demo-resident-2").await;
    let logout = app.gql(Some(&ended.access_token), "mutation { logout }", json!({})).await;
    assert_eq!(data(&logout, "logout"), &json!(true));
    let now = Utc::now().timestamp();
    let expired =
        forge(&app, &with(with(fresh_claims(&app, &session), "iat", json!(now - 900)), "exp", json!(now - 60)));

    for stale in ["abc", ended.access_token.as_str(), expired.as_str()] {
        let response = app.gql(Some(stale), LOGIN, json!({ "code": "dev:demo-resident-1" })).await;
        assert_eq!(data(&response, "wechatLogin")["user"]["id"], session.user_id.as_str());
    }
    let response = refresh(&app, Some(&expired), &session.refresh_token).await;
    let rotated = session_from(data(&response, "refreshSession"));
    let response = refresh(&app, Some("abc"), &rotated.refresh_token).await;
    assert_eq!(data(&response, "refreshSession")["user"]["id"], session.user_id.as_str());
}

// ---- the session store fails closed ----

/// A TCP relay to the real Redis that the test can cut, to make Redis
/// unreachable for a running server.
struct RedisRelay {
    url: String,
    tasks: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl RedisRelay {
    async fn start(real_url: &str) -> Self {
        let (scheme, rest) = real_url.split_once("://").expect("a redis:// URL");
        let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
        let (userinfo, host_port) = authority.rsplit_once('@').map_or(("", authority), |(u, h)| (u, h));
        let target = host_port.to_owned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let at = if userinfo.is_empty() { String::new() } else { format!("{userinfo}@") };
        let url = format!("{scheme}://{at}127.0.0.1:{port}/{path}");
        let tasks = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let spawned = tasks.clone();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else { break };
                let target = target.clone();
                let relay = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                spawned.lock().unwrap().push(relay.abort_handle());
            }
        });
        tasks.lock().unwrap().push(accept.abort_handle());
        Self { url, tasks }
    }

    /// Closes the listener and every relayed connection.
    fn cut(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

#[tokio::test]
async fn authenticated_requests_fail_closed_when_redis_becomes_unreachable() {
    let Some(real) = std::env::var("LINLI_TEST_REDIS_URL").ok().filter(|u| !u.is_empty()) else {
        eprintln!("skipped: needs LINLI_TEST_REDIS_URL");
        return;
    };
    let relay = RedisRelay::start(&real).await;
    let relay_url = relay.url.clone();
    let app = spawn_app_with(move |c| c.redis_url = Some(relay_url)).await;
    let session = app.login("demo-resident-1").await;
    assert_accepted(&app, &session.access_token, &session.user_id).await;

    relay.cut();
    for _ in 0..2 {
        let response = me(&app, &session.access_token).await;
        assert!(response["data"].is_null() || response["data"]["me"].is_null(), "must not answer: {response}");
        assert_eq!(error_code(&response), "UNAVAILABLE", "{response}");
        let text = response.to_string().to_lowercase();
        assert!(!text.contains("redis") && !text.contains("connection refused"), "internal text leaked: {response}");
    }
    let ready = app.client.get(format!("{}/readyz", app.address)).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["sessionStore"], false, "{body}");
}
