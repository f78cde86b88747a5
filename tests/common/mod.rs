//! The test harness: each test gets its own server on port 0, its own
//! database and its own Redis keyspace, and a fake WeChat.
//!
//! Without environment variables: a SQLite file in a temp directory and the
//! in-process session store. With `LINLI_TEST_DATABASE_URL` (a PostgreSQL
//! server URL; each test gets its own database there) and
//! `LINLI_TEST_REDIS_URL` (each test uses its own key prefix), the same tests
//! run against them, and fail if they cannot be reached.
#![allow(dead_code)]

mod database;
mod shanghai;
mod spine;
mod wechat;
mod world;

use std::sync::Arc;

use api::{Application, Config};
use chrono::{DateTime, Utc};
use domain::ManualClock;
use serde_json::{Value, json};
use wiremock::MockServer;

use database::{Start, database_for_test};
pub use shanghai::shanghai;
pub(crate) use spine::{Refusals, Spine, Step, assert_refusals, assert_transitions};
pub use wechat::{BIND_PHONE, bind_phone, fake_phone_button, phone_number, phone_reply};
pub(crate) use world::area_world;
pub use world::{World, roomy};

pub const CHENGNAN: &str = "城南社区";
pub const CHENGBEI: &str = "城北社区";

pub struct TestApp {
    /// `http://127.0.0.1:<port>`
    pub address: String,
    /// `http://127.0.0.1:<port>` of the `/metrics` listener (`metrics_bind`, port 0 in tests).
    pub metrics_address: String,
    pub client: reqwest::Client,
    /// The fake WeChat API; the server's `wechat.api_base` points here.
    pub wechat: MockServer,
    pub config: Config,
    /// The clock the rules use; tests move it instead of sleeping.
    pub clock: ManualClock,
    /// The rules on the same database, for what a background sweep would do
    /// (the sweeper is off in tests; they call it after moving the clock).
    pub domain: domain::Domain,
    /// The HS256 secret the server signs with (for forging tokens in tests).
    pub jwt_secret: String,
    pub database_url: String,
    /// One sign-in per user per test, reused by [`TestApp::session`].
    sessions: std::sync::Mutex<std::collections::HashMap<String, Session>>,
    _data_dir: tempfile::TempDir,
}

#[derive(Clone, Debug)]
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    pub user_id: String,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Spawns a server after letting the test adjust its configuration.
pub async fn spawn_app_with(customise: impl FnOnce(&mut Config)) -> TestApp {
    let wechat = MockServer::start().await;
    let data_dir = tempfile::tempdir().unwrap();
    let jwt_secret = format!("test-secret-{}", uuid::Uuid::new_v4().simple());
    let mut config = Config::defaults().unwrap();
    config.bind = "127.0.0.1:0".into();
    config.metrics_bind = "127.0.0.1:0".into();
    config.data_dir = data_dir.path().to_path_buf();
    config.jwt.secret = Some(jwt_secret.clone().into());
    config.wechat.api_base = wechat.uri();
    config.wechat.appid = "wx-test-app".into();
    config.wechat.secret = "wx-test-secret".to_string().into();
    config.sweep_interval_seconds = 0;
    config.push.interval_seconds = 0;
    // Many servers run at once on one PostgreSQL; each needs only a few connections.
    config.database_max_connections = 4;
    if let Ok(redis) = std::env::var("LINLI_TEST_REDIS_URL")
        && !redis.is_empty()
    {
        config.redis_url = Some(redis);
        config.redis_prefix = format!("linli-test-{}", uuid::Uuid::new_v4().simple());
    }
    customise(&mut config);
    if config.database_url.is_none() {
        let start = if config.seed_demo_enabled() { Start::Demo } else { Start::Empty };
        config.database_url = Some(database_for_test(data_dir.path(), start).await);
    }
    // `LINLI_TEST_LOG=1` shows the server's logs (with `RUST_LOG`, and `LINLI_LOG_SQL=1` for statements).
    if std::env::var_os("LINLI_TEST_LOG").is_some() {
        config.log_sql = std::env::var_os("LINLI_LOG_SQL").is_some();
        api::telemetry::init(&config);
    }
    let clock = ManualClock::new(Utc::now());
    let app =
        Application::build_with_clock(config.clone(), Arc::new(clock.clone())).await.expect("the server should start");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = format!("http://127.0.0.1:{}", app.metrics_port());
    let database_url = config.database_url.clone().unwrap_or_default();
    let domain = app.domain().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        metrics_address,
        client: reqwest::Client::new(),
        wechat,
        config,
        clock,
        domain,
        jwt_secret,
        database_url,
        sessions: Default::default(),
        _data_dir: data_dir,
    }
}

impl TestApp {
    /// POSTs one GraphQL request and returns the whole JSON response.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the server should answer");
        response.json().await.expect("the answer should be JSON")
    }

    /// Signs in with dev login as `openid` (demo users: `demo-secretary`, …).
    pub async fn login(&self, openid: &str) -> Session {
        let body = self
            .gql(
                None,
                "mutation($code: String!) { wechatLogin(code: $code) { accessToken refreshToken user { id } } }",
                json!({ "code": format!("dev:{openid}") }),
            )
            .await;
        let payload = &body["data"]["wechatLogin"];
        assert!(payload.is_object(), "login as {openid} failed: {body}");
        Session {
            access_token: payload["accessToken"].as_str().unwrap().to_owned(),
            refresh_token: payload["refreshToken"].as_str().unwrap().to_owned(),
            user_id: payload["user"]["id"].as_str().unwrap().to_owned(),
        }
    }

    /// `openid` signed in and taken into 城南社区 as a resident the way people
    /// join: asked with the invite code, approved by the secretary. Roles go
    /// only to people already in the community.
    pub async fn newcomer(&self, openid: &str) -> Session {
        self.newcomer_approved_by(openid, "demo-secretary").await
    }

    /// [`TestApp::newcomer`], approved by `approver` (staff of 城南社区).
    pub async fn newcomer_approved_by(&self, openid: &str, approver: &str) -> Session {
        let s = self.session(openid).await;
        let asked = self
            .gql(Some(&s.access_token), "mutation { requestToJoin(inviteCode: \"CHENGNAN\") { id } }", json!({}))
            .await;
        let request = payload(&asked)["id"].clone();
        let approved = self
            .gql_as(
                approver,
                "mutation($id: ID!) { approveJoinRequest(joinRequestId: $id) { status } }",
                json!({ "id": request }),
            )
            .await;
        assert_eq!(payload(&approved)["status"], "APPROVED", "{approved}");
        s
    }

    /// `openid`'s session, signed in on first use and then reused.
    pub async fn session(&self, openid: &str) -> Session {
        if let Some(s) = self.sessions.lock().unwrap().get(openid) {
            return s.clone();
        }
        let s = self.login(openid).await;
        self.sessions.lock().unwrap().insert(openid.to_owned(), s.clone());
        s
    }

    /// One GraphQL request as `openid` (signed in once per test).
    pub async fn gql_as(&self, openid: &str, query: &str, variables: Value) -> Value {
        let s = self.session(openid).await;
        self.gql(Some(&s.access_token), query, variables).await
    }

    /// The id of a demo community, by name.
    pub async fn community_id(&self, name: &str) -> String {
        let secretary = if name == CHENGBEI { "demo-secretary-2" } else { "demo-secretary" };
        let s = self.login(secretary).await;
        let me = self.gql(Some(&s.access_token), "{ me { memberships { community { id name } } } }", json!({})).await;
        me["data"]["me"]["memberships"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["community"]["name"] == name)
            .map(|m| m["community"]["id"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("no community {name}: {me}"))
    }

    /// The units directly under `parent` (`kind`, `id`) as `(kind, id, name)`, listed by `who`.
    pub async fn units(&self, who: &str, kind: &str, unit: &str) -> Vec<(String, String, String)> {
        let s = self.session(who).await;
        let resp = self.gql(Some(&s.access_token), UNITS, json!({ "p": { "kind": kind, "id": unit } })).await;
        data(&resp, "units")
            .as_array()
            .unwrap_or_else(|| panic!("no units: {resp}"))
            .iter()
            .map(|u| (u["kind"].as_str().unwrap().into(), id(u), u["name"].as_str().unwrap().into()))
            .collect()
    }

    /// The ids of a community's grids, in order, as its `secretary` lists them.
    pub async fn grids(&self, secretary: &str, community: &str) -> Vec<String> {
        let units = self.units(secretary, "COMMUNITY", community).await;
        units.into_iter().filter(|(kind, _, _)| kind == "GRID").map(|(_, id, _)| id).collect()
    }

    /// `linli admin …` on this server's database, from an empty working directory.
    pub async fn admin(&self, args: &[&str]) -> std::process::Output {
        let dir = tempfile::tempdir().unwrap();
        tokio::process::Command::new(env!("CARGO_BIN_EXE_linli"))
            .arg("admin")
            .args(args)
            .current_dir(dir.path())
            .env("DATABASE_URL", &self.database_url)
            .env("RUST_BACKTRACE", "0")
            .output()
            .await
            .expect("the linli binary runs")
    }

    /// The books balance: every entry sums to zero, every transfer sums to
    /// zero, every cached balance equals its entries. Ledger tests end with it.
    pub async fn assert_ledger_balanced(&self) {
        let check = self.domain.ledger().consistency(None).await.expect("the consistency check should run");
        assert!(check.ok(), "the ledger does not balance: {check:?}");
    }

    /// How many SQL statements the server has sent so far (from /metrics).
    pub async fn sql_statements(&self) -> u64 {
        self.counter("linli_sql_statements_total").await
    }

    /// How many round trips the server has made to its session store (from /metrics).
    pub async fn store_round_trips(&self) -> u64 {
        self.counter("linli_store_round_trips_total").await
    }

    /// The text of /metrics, from its own listener.
    pub async fn metrics(&self) -> String {
        let response = self.client.get(format!("{}/metrics", self.metrics_address)).send().await.unwrap();
        assert_eq!(response.status(), 200, "/metrics answers on its own listener");
        response.text().await.unwrap()
    }

    /// A counter from /metrics (0 before it first counts).
    pub async fn counter(&self, name: &str) -> u64 {
        let text = self.metrics().await;
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
            .map(|n| n.trim().parse::<f64>().unwrap() as u64)
            .unwrap_or(0)
    }
}

/// What a command printed, asserting that it succeeded.
pub fn succeeded(out: &std::process::Output) -> String {
    assert!(out.status.success(), "the command should succeed: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `data.<field>` of a response, asserting there were no errors.
pub fn data<'a>(response: &'a Value, field: &str) -> &'a Value {
    assert!(response.get("errors").is_none(), "unexpected errors: {response}");
    &response["data"][field]
}

/// The `extensions.code` of the first error.
pub fn error_code(response: &Value) -> String {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error with a code: {response}"))
        .to_owned()
}

/// A fresh idempotency key, `<label>-<uuid>`.
pub fn key(label: &str) -> String {
    format!("{label}-{}", uuid::Uuid::new_v4().simple())
}

/// Lists the units under `$p` (a `UnitRef`).
pub const UNITS: &str = "query($p: UnitRef!) { units(parent: $p) { id kind name parentKind parentId } }";

/// Appoints `$u` to `$r` at the unit `$unit` (the kind the role is held at).
pub const APPOINT: &str = "mutation($r: Role!, $unit: ID!, $u: ID) { appoint(role: $r, unitId: $unit, userId: $u) { role unitKind unitId person { id displayName } } }";

/// Grants a role in a community (`$c`, `$u`, `$r`).
pub const GRANT: &str =
    "mutation($c: ID!, $u: ID!, $r: Role!) { grantRole(communityId: $c, userId: $u, role: $r) { roles } }";

/// The one field under `data`, asserting there were no errors.
pub fn payload(resp: &Value) -> &Value {
    assert!(resp.get("errors").is_none(), "unexpected errors: {resp}");
    resp["data"].as_object().and_then(|o| o.values().next()).unwrap_or_else(|| panic!("no data: {resp}"))
}

/// `errors[0].extensions.code`, or `OK` when the request succeeded.
pub fn outcome(resp: &Value) -> String {
    if resp.get("errors").is_none() { "OK".to_owned() } else { error_code(resp) }
}

/// The `extensions.field` of the first error.
pub fn error_field(resp: &Value) -> String {
    resp["errors"][0]["extensions"]["field"].as_str().unwrap_or_else(|| panic!("expected a field: {resp}")).to_owned()
}

/// A timestamp in a response, as an instant.
pub fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a timestamp: {v}")))
        .unwrap_or_else(|e| panic!("{v} is not RFC 3339: {e}"))
        .with_timezone(&Utc)
}

/// The `id` of an object in a response.
pub fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id: {v}")).to_owned()
}

/// `n` new users (`<prefix>-1` …) made party members of 城南社区 (whose id
/// is `community`) by its secretary.
pub async fn fresh_party_members(app: &TestApp, community: &str, prefix: &str, n: usize) -> Vec<Session> {
    let members: Vec<Session> =
        futures_util::future::join_all((1..=n).map(|i| async move { app.newcomer(&format!("{prefix}-{i}")).await }))
            .await;
    let secretary = app.session("demo-secretary").await;
    let grants = futures_util::future::join_all(members.iter().map(|m| {
        app.gql(Some(&secretary.access_token), GRANT, json!({ "c": community, "u": m.user_id, "r": "PARTY_MEMBER" }))
    }))
    .await;
    for g in &grants {
        assert!(payload(g)["roles"].as_array().unwrap().contains(&json!("PARTY_MEMBER")), "{g}");
    }
    members
}

/// Every claimer sends the claim `mutation` (with `$id`, selecting
/// `status claimant { id }`) at once: exactly one wins and every other is
/// told ALREADY_CLAIMED. Returns the winner's user id.
pub async fn one_claim_wins(app: &TestApp, claimers: &[Session], mutation: &str, id: &str) -> String {
    let results = futures_util::future::join_all(
        claimers.iter().map(|c| app.gql(Some(&c.access_token), mutation, json!({ "id": id }))),
    )
    .await;
    let mut winners = Vec::new();
    let mut codes: std::collections::HashMap<String, usize> = Default::default();
    for (claimer, resp) in claimers.iter().zip(&results) {
        if resp.get("errors").is_none() {
            assert_eq!(payload(resp)["status"], "CLAIMED");
            assert_eq!(payload(resp)["claimant"]["id"], claimer.user_id.as_str());
            winners.push(claimer.user_id.clone());
        } else {
            *codes.entry(error_code(resp)).or_default() += 1;
        }
    }
    assert_eq!(winners.len(), 1, "exactly one claim wins; losers: {codes:?}");
    assert_eq!(codes.get("ALREADY_CLAIMED"), Some(&(claimers.len() - 1)), "every loser is told it is taken: {codes:?}");
    winners.remove(0)
}

/// An order's or wish's history is `expected`, one event per change: who
/// made it, from which status, to which.
pub fn assert_history(subject: &Value, expected: &[(&String, Value, &str)]) {
    let history = subject["history"].as_array().unwrap();
    assert_eq!(history.len(), expected.len(), "one event per change: {history:#?}");
    for (i, (event, (actor, from, to))) in history.iter().zip(expected.iter()).enumerate() {
        assert_eq!(event["actor"]["id"], actor.as_str(), "event {i}: {event}");
        assert_eq!(event["fromStatus"], *from, "event {i}: {event}");
        assert_eq!(event["toStatus"], *to, "event {i}: {event}");
    }
}

/// A claimed order or wish, read back: held by `winner`, with one claim in its history, by them.
pub fn assert_claimed_once_by(subject: &Value, winner: &str) {
    assert_eq!(subject["status"], "CLAIMED");
    assert_eq!(subject["claimant"]["id"], winner);
    let claims: Vec<&Value> =
        subject["history"].as_array().unwrap().iter().filter(|e| e["toStatus"] == "CLAIMED").collect();
    assert_eq!(claims.len(), 1, "one claim recorded: {claims:?}");
    assert_eq!(claims[0]["actor"]["id"], winner);
}
