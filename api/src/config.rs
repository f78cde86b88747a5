//! Configuration in layers: defaults → optional file (`LINLI_CONFIG`, or
//! `linli.toml` if present) → environment. Nested keys come from
//! `LINLI_<SECTION>__<KEY>` (e.g. `LINLI_LIMITS__MAX_DEPTH=12`); the common
//! ones also have short names (`LINLI_BIND`, `DATABASE_URL`, `REDIS_URL`,
//! `LINLI_JWT_SECRET`, `LINLI_WECHAT_APPID`, …). Secrets are `SecretString`:
//! their `Debug` is redacted, so they never reach a log.

use std::collections::HashMap;
use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Development,
    Production,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Config {
    pub env: Environment,
    /// Address to listen on; port 0 picks a free one.
    pub bind: String,
    /// Where `/metrics` is served: its own listener, never the public one.
    /// Port 0 picks a free one.
    pub metrics_bind: String,
    /// `sqlite://…` or `postgres://…`. Default: a SQLite file under `./data`.
    pub database_url: Option<String>,
    /// Most connections one node holds to PostgreSQL (SQLite always uses one).
    pub database_max_connections: u32,
    /// Sessions, rate limits and (later) the order queue. Default: in process.
    pub redis_url: Option<String>,
    /// Prefix of every Redis key, so several deployments (or tests) can share one Redis.
    pub redis_prefix: String,
    /// The URL clients reach this server at (for upload URLs). Default: `http://<bind>`.
    pub public_url: Option<String>,
    pub data_dir: PathBuf,
    pub dev_login: Option<bool>,
    pub seed_demo: Option<bool>,
    pub jwt: JwtConfig,
    pub wechat: WechatConfig,
    pub push: PushConfig,
    pub limits: Limits,
    pub care: CareConfig,
    pub uploads: UploadsConfig,
    pub events: EventsConfig,
    /// Per-category overrides, e.g. `[orders.REPAIR] claim_minutes = 20`
    /// (also `arrive_minutes`, `complete_minutes`).
    #[serde(default)]
    pub orders: HashMap<String, CategoryDeadline>,
    pub log_format: LogFormat,
    /// How long an activity's check-in code (shown on the organiser's phone) stays valid.
    pub checkin_code_seconds: i64,
    /// How often deadlines and month closes are swept; 0 turns the sweeper off.
    pub sweep_interval_seconds: u64,
    /// Log every SQL statement (at `sqlx::query=info`); for debugging.
    pub log_sql: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Clone, Debug, Deserialize)]
pub struct CategoryDeadline {
    pub claim_minutes: Option<i64>,
    /// From the claim to the helper at the door (`arriveOnSite`).
    pub arrive_minutes: Option<i64>,
    pub complete_minutes: Option<i64>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct JwtConfig {
    /// HS256 key. Required (≥ 32 bytes) in production; a random one per start otherwise.
    pub secret: Option<SecretString>,
    pub issuer: String,
    pub audience: String,
    /// At most 900 (15 minutes).
    pub access_ttl_seconds: i64,
    pub refresh_ttl_days: i64,
    pub leeway_seconds: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct WechatConfig {
    pub api_base: String,
    pub appid: String,
    pub secret: SecretString,
    pub timeout_seconds: u64,
    /// Check residents' text (`msg_sec_check`) and photos (`media_check_async`)
    /// before others see them. Unset: on in production, off otherwise.
    pub content_security: Option<bool>,
    /// The token set for the message-push URL (`/webhooks/wechat`) in the
    /// mini-program console. Unset: the endpoint answers 503.
    pub push_token: Option<SecretString>,
    /// `formal`, `trial` or `developer`: which build subscription messages open.
    pub miniprogram_state: String,
    /// Subscription-message template ids, one per kind of message.
    pub templates: PushTemplates,
}

/// Template ids from the mini-program console (订阅消息 → 我的模板). Each
/// template is expected to have the fields `thing1` (what it is about),
/// `thing2` (what happened) and `time3` (when).
#[derive(Clone, Debug, Deserialize)]
pub struct PushTemplates {
    pub order_claimed: String,
    pub order_completed: String,
    pub order_rate: String,
    pub pool_new_order: String,
    pub alarm: String,
}

impl PushTemplates {
    pub fn for_kind(&self, kind: domain::push::PushKind) -> &str {
        use domain::push::PushKind as K;
        match kind {
            K::OrderClaimed => &self.order_claimed,
            K::OrderCompleted => &self.order_completed,
            K::OrderRate => &self.order_rate,
            K::PoolNewOrder => &self.pool_new_order,
            K::Alarm => &self.alarm,
        }
    }
}

/// The subscription-message sender.
#[derive(Clone, Debug, Deserialize)]
pub struct PushConfig {
    /// How often due messages are sent; 0 turns the sender off.
    pub interval_seconds: u64,
    /// Messages taken per round.
    pub batch_size: u64,
    /// How long a sender holds a message it took before another may take it.
    pub lease_seconds: i64,
    /// Attempts before a message that keeps failing for a passing reason is given up.
    pub max_attempts: i32,
    /// Retry after `retry_base_seconds · 2^attempts`, at most `retry_max_seconds`.
    pub retry_base_seconds: i64,
    pub retry_max_seconds: i64,
}

/// Elderly care: wristband alarms and urgent requests.
#[derive(Clone, Debug, Deserialize)]
pub struct CareConfig {
    /// Shared with the wristband platform; signs `POST /webhooks/wristband`. Unset: the webhook answers 503.
    pub wristband_secret: Option<SecretString>,
    /// A signed timestamp further than this from now is refused.
    pub webhook_tolerance_seconds: i64,
    /// An urgent request (or alarm) nobody claims in this time goes to the secretary.
    pub urgent_claim_minutes: i64,
    /// Alarms from one device within this window join its open request.
    pub alarm_merge_minutes: i64,
}

/// Uploaded photos: how long their signed URLs work, and each person's daily quota.
#[derive(Clone, Debug, Deserialize)]
pub struct UploadsConfig {
    /// Photo URLs the API hands out work this long (then the record is read again for fresh ones).
    pub url_seconds: i64,
    /// Photos one person may upload per day (Asia/Shanghai).
    pub daily_count: u64,
    /// Bytes one person may upload per day (Asia/Shanghai), as stored.
    pub daily_bytes: u64,
}

/// The real-time side: the relay from the outbox to the bus, and the live sockets.
#[derive(Clone, Debug, Deserialize)]
pub struct EventsConfig {
    /// The Redis that carries event streams, if not `redis_url` (e.g. a dedicated instance).
    pub redis_url: Option<String>,
    /// How often the relay looks for committed events when nothing pokes it.
    pub relay_interval_ms: u64,
    /// Events per relay pass.
    pub relay_batch: u64,
    /// A stream entry a consumer read but did not acknowledge for this long is handed to another consumer.
    pub reclaim_idle_ms: u64,
    /// Entries kept per community stream (approximately).
    pub stream_max_len: usize,
    /// How often a live socket re-checks that its session has not been revoked.
    pub session_check_seconds: u64,
    /// A socket must send `connection_init` within this time.
    pub init_timeout_seconds: u64,
    /// Operations (subscriptions) one socket may have running at once.
    pub socket_max_subscriptions: usize,
    /// The largest message a client may send on a socket, continuations included.
    pub socket_max_message_bytes: usize,
    /// A client that takes no message for this long is closed (1013), so that
    /// a stalled phone cannot make the server buffer without end.
    pub socket_send_timeout_seconds: u64,
    /// Whether this node is a member of the notifier consumer group (every node, by default).
    pub notifier: bool,
}

/// What one request may cost. Checked before execution.
#[derive(Clone, Debug, Deserialize)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_aliases: usize,
    pub max_body_bytes: usize,
    pub request_timeout_seconds: u64,
    /// Mutation fields a user may run per minute (each field of a document counts).
    pub mutations_per_minute: u64,
    /// Mutation fields one document may hold; more is `QUERY_TOO_COMPLEX`.
    pub max_mutation_fields: usize,
    /// Sign-ins per WeChat user per minute (keyed by openid, never by IP:
    /// many residents share one carrier address).
    pub logins_per_openid_per_minute: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration could not be read: {0}")]
    Read(#[from] config::ConfigError),
    #[error("refusing to start in production: {0}")]
    Production(String),
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

const DEFAULTS: &str = r#"
env = "development"
bind = "127.0.0.1:8080"
metrics_bind = "127.0.0.1:9090"
redis_prefix = "linli"
data_dir = "./data"
log_format = "pretty"
checkin_code_seconds = 120
sweep_interval_seconds = 60
log_sql = false
database_max_connections = 20

[jwt]
issuer = "linli"
audience = "linli-miniprogram"
access_ttl_seconds = 900
refresh_ttl_days = 30
leeway_seconds = 5

[wechat]
api_base = "https://api.weixin.qq.com"
appid = ""
secret = ""
timeout_seconds = 5
miniprogram_state = "formal"

[wechat.templates]
order_claimed = "TEMPLATE_ORDER_CLAIMED"
order_completed = "TEMPLATE_ORDER_COMPLETED"
order_rate = "TEMPLATE_ORDER_RATE"
pool_new_order = "TEMPLATE_POOL_NEW_ORDER"
alarm = "TEMPLATE_ALARM"

[push]
interval_seconds = 15
batch_size = 50
lease_seconds = 60
max_attempts = 6
retry_base_seconds = 30
retry_max_seconds = 3600

[care]
webhook_tolerance_seconds = 300
urgent_claim_minutes = 5
alarm_merge_minutes = 10

[uploads]
url_seconds = 3600
daily_count = 100
daily_bytes = 209715200

[events]
relay_interval_ms = 100
relay_batch = 500
reclaim_idle_ms = 30000
stream_max_len = 100000
session_check_seconds = 30
init_timeout_seconds = 10
socket_max_subscriptions = 20
socket_max_message_bytes = 65536
socket_send_timeout_seconds = 10
notifier = true

[limits]
max_depth = 10
max_complexity = 5000
max_aliases = 50
max_body_bytes = 65536
request_timeout_seconds = 10
mutations_per_minute = 60
max_mutation_fields = 10
logins_per_openid_per_minute = 10
"#;

/// Short environment names for the settings people set most.
const ENV_ALIASES: &[(&str, &str)] = &[
    ("LINLI_ENV", "env"),
    ("LINLI_BIND", "bind"),
    ("LINLI_METRICS_BIND", "metrics_bind"),
    ("DATABASE_URL", "database_url"),
    ("LINLI_DATABASE_MAX_CONNECTIONS", "database_max_connections"),
    ("REDIS_URL", "redis_url"),
    ("LINLI_REDIS_PREFIX", "redis_prefix"),
    ("LINLI_PUBLIC_URL", "public_url"),
    ("LINLI_DATA_DIR", "data_dir"),
    ("LINLI_DEV_LOGIN", "dev_login"),
    ("LINLI_SEED_DEMO", "seed_demo"),
    ("LINLI_LOG_FORMAT", "log_format"),
    ("LINLI_SWEEP_INTERVAL_SECONDS", "sweep_interval_seconds"),
    ("LINLI_CHECKIN_CODE_SECONDS", "checkin_code_seconds"),
    ("LINLI_LOG_SQL", "log_sql"),
    ("LINLI_JWT_SECRET", "jwt.secret"),
    ("LINLI_WECHAT_API_BASE", "wechat.api_base"),
    ("LINLI_WECHAT_APPID", "wechat.appid"),
    ("LINLI_WECHAT_SECRET", "wechat.secret"),
    ("LINLI_WECHAT_CONTENT_SECURITY", "wechat.content_security"),
    ("LINLI_WECHAT_PUSH_TOKEN", "wechat.push_token"),
    ("LINLI_PUSH_INTERVAL_SECONDS", "push.interval_seconds"),
    ("LINLI_WRISTBAND_SECRET", "care.wristband_secret"),
    ("LINLI_EVENTS_REDIS_URL", "events.redis_url"),
    ("LINLI_UPLOAD_URL_SECONDS", "uploads.url_seconds"),
    ("LINLI_UPLOAD_DAILY_COUNT", "uploads.daily_count"),
    ("LINLI_UPLOAD_DAILY_BYTES", "uploads.daily_bytes"),
];

impl Config {
    /// Reads defaults, then the file, then the process environment.
    pub fn load() -> Result<Self, ConfigError> {
        Self::load_from(std::env::vars().collect())
    }

    /// Same as [`Config::load`] with an explicit environment (for tests).
    pub fn load_from(env: HashMap<String, String>) -> Result<Self, ConfigError> {
        let mut builder =
            config::Config::builder().add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        match env.get("LINLI_CONFIG") {
            Some(path) => builder = builder.add_source(config::File::with_name(path).required(true)),
            None => builder = builder.add_source(config::File::with_name("linli").required(false)),
        }
        builder = builder.add_source(
            config::Environment::with_prefix("LINLI").prefix_separator("_").separator("__").try_parsing(true).source(
                Some(env.iter().filter(|(k, _)| k.contains("__")).map(|(k, v)| (k.clone(), v.clone())).collect()),
            ),
        );
        for (var, key) in ENV_ALIASES {
            if let Some(value) = env.get(*var).filter(|v| !v.is_empty()) {
                builder = builder.set_override(*key, value.as_str())?;
            }
        }
        let config: Config = builder.build()?.try_deserialize()?;
        config.check()?;
        Ok(config)
    }

    /// The defaults alone, for tests and tools.
    pub fn defaults() -> Result<Self, ConfigError> {
        Self::load_from(HashMap::new())
    }

    fn check(&self) -> Result<(), ConfigError> {
        if !(60..=900).contains(&self.jwt.access_ttl_seconds) {
            return Err(ConfigError::Invalid("jwt.access_ttl_seconds must be between 60 and 900".into()));
        }
        if self.jwt.refresh_ttl_days < 1 {
            return Err(ConfigError::Invalid("jwt.refresh_ttl_days must be at least 1".into()));
        }
        let care = &self.care;
        if !(1..=60).contains(&care.urgent_claim_minutes) || !(1..=120).contains(&care.alarm_merge_minutes) {
            return Err(ConfigError::Invalid(
                "care.urgent_claim_minutes must be 1 to 60 and care.alarm_merge_minutes 1 to 120".into(),
            ));
        }
        if !(30..=3600).contains(&care.webhook_tolerance_seconds) {
            return Err(ConfigError::Invalid("care.webhook_tolerance_seconds must be 30 to 3600".into()));
        }
        let uploads = &self.uploads;
        if !(60..=7 * 86400).contains(&uploads.url_seconds) || uploads.daily_count == 0 || uploads.daily_bytes == 0 {
            return Err(ConfigError::Invalid(
                "uploads.url_seconds must be 60 to 604800, uploads.daily_count and uploads.daily_bytes positive".into(),
            ));
        }
        let events = &self.events;
        if events.relay_interval_ms == 0 || events.relay_batch == 0 || events.session_check_seconds == 0 {
            return Err(ConfigError::Invalid(
                "events.relay_interval_ms, events.relay_batch and events.session_check_seconds must be positive".into(),
            ));
        }
        if events.socket_max_subscriptions == 0
            || events.socket_max_message_bytes < 1024
            || events.socket_send_timeout_seconds == 0
        {
            return Err(ConfigError::Invalid(
                "events.socket_max_subscriptions and events.socket_send_timeout_seconds must be positive, \
                 events.socket_max_message_bytes at least 1024"
                    .into(),
            ));
        }
        let push = &self.push;
        if push.batch_size == 0
            || push.lease_seconds < 10
            || push.max_attempts < 1
            || push.retry_base_seconds < 1
            || push.retry_max_seconds < push.retry_base_seconds
        {
            return Err(ConfigError::Invalid(
                "push: batch_size ≥ 1, lease_seconds ≥ 10, max_attempts ≥ 1, 1 ≤ retry_base_seconds ≤ retry_max_seconds"
                    .into(),
            ));
        }
        if self.is_production() {
            let secret_len = self.jwt.secret.as_ref().map_or(0, |s| s.expose_secret().len());
            if secret_len < 32 {
                return Err(ConfigError::Production("LINLI_JWT_SECRET must be set to at least 32 bytes".into()));
            }
            if self.database_url.is_none() {
                return Err(ConfigError::Production("DATABASE_URL must be set".into()));
            }
            if self.redis_url.is_none() {
                return Err(ConfigError::Production("REDIS_URL must be set".into()));
            }
            if self.dev_login == Some(true) {
                return Err(ConfigError::Production("dev login cannot be turned on in production".into()));
            }
        }
        Ok(())
    }

    pub fn is_production(&self) -> bool {
        self.env == Environment::Production
    }

    /// Content security: as configured, else on in production only.
    pub fn content_security_enabled(&self) -> bool {
        self.wechat.content_security.unwrap_or(self.is_production())
    }

    pub fn dev_login_enabled(&self) -> bool {
        !self.is_production() && self.dev_login.unwrap_or(true)
    }

    pub fn seed_demo_enabled(&self) -> bool {
        !self.is_production() && self.seed_demo.unwrap_or(true)
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| format!("sqlite://{}/linli.db?mode=rwc", self.data_dir.display()))
    }

    /// The Redis that carries events: `events.redis_url`, else `redis_url`, else none (in process).
    pub fn events_redis_url(&self) -> Option<&str> {
        self.events.redis_url.as_deref().or(self.redis_url.as_deref()).filter(|u| !u.is_empty())
    }

    pub fn order_deadlines(&self) -> Result<domain::Deadlines, ConfigError> {
        use domain::orders::OrderCategory;
        let mut deadlines = domain::Deadlines::default();
        for (name, over) in &self.orders {
            let category = OrderCategory::ALL
                .iter()
                .find(|c| c.as_str().eq_ignore_ascii_case(name))
                .ok_or_else(|| ConfigError::Invalid(format!("orders.{name}: no such order category")))?;
            for (minutes, map) in [
                (over.claim_minutes, &mut deadlines.claim),
                (over.arrive_minutes, &mut deadlines.arrive),
                (over.complete_minutes, &mut deadlines.complete),
            ] {
                match minutes {
                    Some(m) if m > 0 => {
                        map.insert(*category, chrono::Duration::minutes(m));
                    }
                    Some(_) => return Err(ConfigError::Invalid(format!("orders.{name}: minutes must be positive"))),
                    None => {}
                }
            }
        }
        Ok(deadlines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_serve_on_8080_with_sqlite_and_dev_login() {
        let c = Config::load_from(env(&[])).unwrap();
        assert_eq!(c.bind, "127.0.0.1:8080");
        assert_eq!(c.metrics_bind, "127.0.0.1:9090");
        assert!(c.database_url().starts_with("sqlite://"));
        assert!(c.dev_login_enabled());
        assert!(c.redis_url.is_none());
    }

    #[test]
    fn environment_overrides_defaults_and_nested_keys() {
        let c = Config::load_from(env(&[
            ("LINLI_BIND", "0.0.0.0:9000"),
            ("LINLI_METRICS_BIND", "10.0.0.5:9100"),
            ("DATABASE_URL", "postgres://x/y"),
            ("LINLI_LIMITS__MAX_DEPTH", "7"),
            ("LINLI_LIMITS__MAX_MUTATION_FIELDS", "4"),
        ]))
        .unwrap();
        assert_eq!(c.bind, "0.0.0.0:9000");
        assert_eq!(c.metrics_bind, "10.0.0.5:9100");
        assert_eq!(c.limits.max_mutation_fields, 4);
        assert_eq!(c.database_url(), "postgres://x/y");
        assert_eq!(c.limits.max_depth, 7);
        let c = Config::load_from(env(&[("LINLI_SWEEP_INTERVAL_SECONDS", "0")])).unwrap();
        assert_eq!(c.sweep_interval_seconds, 0);
    }

    #[test]
    fn production_refuses_to_start_without_secret_database_and_redis() {
        let err = Config::load_from(env(&[("LINLI_ENV", "production")])).unwrap_err();
        assert!(err.to_string().contains("LINLI_JWT_SECRET"), "{err}");
        let short = Config::load_from(env(&[("LINLI_ENV", "production"), ("LINLI_JWT_SECRET", "short")])).unwrap_err();
        assert!(short.to_string().contains("32 bytes"));
        let secret = "s".repeat(32);
        let no_redis = Config::load_from(env(&[
            ("LINLI_ENV", "production"),
            ("LINLI_JWT_SECRET", &secret),
            ("DATABASE_URL", "postgres://db/linli"),
        ]))
        .unwrap_err();
        assert!(no_redis.to_string().contains("REDIS_URL"));
        let ok = Config::load_from(env(&[
            ("LINLI_ENV", "production"),
            ("LINLI_JWT_SECRET", &secret),
            ("DATABASE_URL", "postgres://db/linli"),
            ("REDIS_URL", "redis://cache"),
        ]))
        .unwrap();
        assert!(!ok.dev_login_enabled());
    }

    #[test]
    fn content_security_is_on_in_production_unless_turned_off() {
        let secret = "s".repeat(32);
        let production = [
            ("LINLI_ENV", "production"),
            ("LINLI_JWT_SECRET", secret.as_str()),
            ("DATABASE_URL", "postgres://db/linli"),
            ("REDIS_URL", "redis://cache"),
        ];
        assert!(!Config::load_from(env(&[])).unwrap().content_security_enabled());
        assert!(Config::load_from(env(&production)).unwrap().content_security_enabled());
        let mut off = production.to_vec();
        off.push(("LINLI_WECHAT_CONTENT_SECURITY", "false"));
        assert!(!Config::load_from(env(&off)).unwrap().content_security_enabled());
        let c = Config::load_from(env(&[("LINLI_WECHAT__TEMPLATES__ALARM", "tmpl-alarm")])).unwrap();
        assert_eq!(c.wechat.templates.for_kind(domain::push::PushKind::Alarm), "tmpl-alarm");
        assert_eq!(c.wechat.templates.order_rate, "TEMPLATE_ORDER_RATE");
    }

    #[test]
    fn secrets_do_not_appear_in_debug_output() {
        let c = Config::load_from(env(&[("LINLI_JWT_SECRET", "a-very-secret-value-that-is-long-enough")])).unwrap();
        assert!(!format!("{c:?}").contains("a-very-secret-value"));
    }

    #[test]
    fn order_deadlines_can_be_overridden_per_category() {
        let mut c = Config::defaults().unwrap();
        c.orders.insert(
            "REPAIR".into(),
            CategoryDeadline { claim_minutes: Some(15), arrive_minutes: None, complete_minutes: None },
        );
        let d = c.order_deadlines().unwrap();
        assert_eq!(d.claim[&domain::orders::OrderCategory::Repair], chrono::Duration::minutes(15));
        c.orders.insert(
            "PLUMBING".into(),
            CategoryDeadline { claim_minutes: Some(15), arrive_minutes: None, complete_minutes: None },
        );
        assert!(c.order_deadlines().is_err());
    }
}
