//! Wiring: configuration → database (migrated, seeded) → session store →
//! schema → HTTP server. Everything is built once here and shared with the
//! workers; nothing is created inside the `HttpServer::new` closure.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, guard, web};
use anyhow::Context as _;
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use sea_orm_migration::MigratorTrait;

use domain::{Clock, Domain, Settings, SystemClock};

use crate::auth::{AuthService, Tokens, secret_bytes};
use crate::config::Config;
use crate::events::Events;
use crate::graphql::build_schema;
use crate::metrics::Metrics;
use crate::state::AppState;
use crate::store::{CountingStore, MemoryStore, RedisStore, SessionStore};
use crate::wechat::WechatClient;
use crate::{exports, http, uploads, webhooks, ws};

pub struct Application {
    port: u16,
    server: Server,
    metrics_port: u16,
    /// `/metrics` on its own listener (`metrics_bind`), for the scraper only.
    metrics_server: Server,
    state: web::Data<AppState>,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// As [`Application::build`], with the clock the rules use (tests move it).
    pub async fn build_with_clock(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let metrics = Metrics::new().context("metrics registry")?;
        tokio::fs::create_dir_all(&config.data_dir)
            .await
            .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
        let db = connect_database(&config, &metrics).await?;
        migrations::Migrator::up(&db, None).await.context("applying migrations")?;

        let backend: Arc<dyn SessionStore> = match &config.redis_url {
            Some(url) => Arc::new(RedisStore::connect(url, &config.redis_prefix).await.context("connecting to Redis")?),
            None => Arc::new(MemoryStore::default()),
        };
        let store: Arc<dyn SessionStore> = Arc::new(CountingStore::new(backend, metrics.store_round_trips()));

        let listener = TcpListener::bind(&config.bind).with_context(|| format!("binding {}", config.bind))?;
        let address = listener.local_addr()?;
        let metrics_listener = TcpListener::bind(&config.metrics_bind)
            .with_context(|| format!("binding {} for /metrics", config.metrics_bind))?;
        let metrics_address = metrics_listener.local_addr()?;
        let public_url =
            config.public_url.clone().unwrap_or_else(|| format!("http://{address}")).trim_end_matches('/').to_owned();
        let jwt_secret = secret_bytes(&config);
        let settings = settings(&config, &public_url, &jwt_secret)?;
        let domain = Domain::new(db, clock, settings);
        if config.seed_demo_enabled() && domain.seed_demo().await.context("seeding demo data")? {
            tracing::info!("seeded the demo communities (龙头街道: 城南社区, 城北社区)");
        }

        let wechat = WechatClient::new(&config.wechat, store.clone()).map_err(|e| anyhow::anyhow!("{e}"))?;
        let tokens = Tokens::new(&config, &jwt_secret);
        let auth = Arc::new(AuthService::new(&config, tokens, store, wechat));
        let events = Events::start(&config, &domain).await.context("starting the event relay")?;
        let schema = build_schema(&config, domain.clone(), auth.clone(), events.hub.clone());
        let upload_dir = config.data_dir.join("uploads");
        tokio::fs::create_dir_all(&upload_dir).await.context("creating the uploads directory")?;

        if config.content_security_enabled() && config.wechat.push_token.is_none() {
            tracing::warn!("content security is on but wechat.push_token is unset: photo verdicts cannot arrive");
        }
        if config.push.interval_seconds > 0 {
            let sender = crate::push::PushSender::new(&config, domain.clone(), auth.wechat.clone());
            crate::push::spawn_push_sender(sender, Duration::from_secs(config.push.interval_seconds));
        }
        if config.sweep_interval_seconds > 0 {
            crate::workers::spawn_sweeper(domain.clone(), Duration::from_secs(config.sweep_interval_seconds));
        }
        let state =
            web::Data::new(AppState { schema, domain, auth, config: config.clone(), metrics, upload_dir, events });
        let app_state = state.clone();
        let body_limit = config.limits.max_body_bytes;
        let server = HttpServer::new(move || {
            App::new()
                .wrap(http::security_headers())
                .app_data(app_state.clone())
                .app_data(web::PayloadConfig::new(body_limit))
                .service(
                    web::resource("/graphql")
                        .route(web::post().to(http::graphql_post))
                        .route(web::get().guard(guard::Header("upgrade", "websocket")).to(ws::graphql_ws))
                        .route(web::get().to(http::graphql_get))
                        .default_service(web::to(http::method_not_allowed)),
                )
                .route("/healthz", web::get().to(http::healthz))
                .route("/readyz", web::get().to(http::readyz))
                .route("/uploads", web::post().to(uploads::upload))
                .route("/exports/{kind}", web::get().to(exports::export))
                .route("/webhooks/wristband", web::post().to(webhooks::wristband))
                .service(
                    web::resource("/webhooks/wechat")
                        .route(web::get().to(webhooks::wechat_verify))
                        .route(web::post().to(webhooks::wechat_event)),
                )
                .route("/uploads/{name}", web::get().to(uploads::serve))
        })
        .listen(listener)?
        .shutdown_timeout(10)
        .run();
        let metrics_state = state.clone();
        let metrics_server = HttpServer::new(move || {
            App::new().app_data(metrics_state.clone()).route("/metrics", web::get().to(http::metrics))
        })
        .workers(1)
        .disable_signals()
        .listen(metrics_listener)?
        .shutdown_timeout(1)
        .run();
        tracing::info!(%address, %metrics_address, env = ?config.env, "linli listening");
        Ok(Self { port: address.port(), server, metrics_port: metrics_address.port(), metrics_server, state })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port `/metrics` is served on (see `metrics_bind`).
    pub fn metrics_port(&self) -> u16 {
        self.metrics_port
    }

    pub fn domain(&self) -> &Domain {
        &self.state.domain
    }

    /// Serves until the public server stops (on a signal); `/metrics` stops with it.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let metrics = self.metrics_server.handle();
        let metrics_task = tokio::spawn(self.metrics_server);
        let served = self.server.await;
        metrics.stop(true).await;
        let _ = metrics_task.await;
        served
    }
}

/// A key for one purpose derived from the server secret, so that every node
/// with the same secret agrees on it and no two purposes share a key.
fn derived_key(secret: &[u8], purpose: &str) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    Sha256::new().chain_update(purpose.as_bytes()).chain_update(b":").chain_update(secret).finalize().to_vec()
}

async fn connect_database(config: &Config, metrics: &Metrics) -> anyhow::Result<DatabaseConnection> {
    let url = config.database_url();
    let mut options = ConnectOptions::new(url.clone());
    options
        .sqlx_logging(config.log_sql)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        // SQLite has one writer: one connection serialises writes instead of
        // failing them with "database is locked".
        options.max_connections(1).min_connections(1);
        options.map_sqlx_sqlite_opts(|o| {
            o.foreign_keys(true)
                .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(5))
        });
    } else {
        options.max_connections(config.database_max_connections.max(1)).min_connections(1);
    }
    let mut db = Database::connect(options).await.context("connecting to the database")?;
    let counter = metrics.clone();
    db.set_metric_callback(move |_| counter.sql_statement());
    Ok(db)
}

/// The rules on the configured database, migrated, without a server or the
/// demo seed: what the `linli admin` commands work on.
pub async fn open_domain(config: &Config) -> anyhow::Result<Domain> {
    let metrics = Metrics::new().context("metrics registry")?;
    tokio::fs::create_dir_all(&config.data_dir)
        .await
        .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
    let db = connect_database(config, &metrics).await?;
    migrations::Migrator::up(&db, None).await.context("applying migrations")?;
    let public_url = config.public_url.clone().unwrap_or_else(|| format!("http://{}", config.bind));
    let settings = settings(config, public_url.trim_end_matches('/'), &secret_bytes(config))?;
    Ok(Domain::new(db, Arc::new(SystemClock), settings))
}

/// The rules' settings from the configuration.
fn settings(config: &Config, public_url: &str, jwt_secret: &[u8]) -> anyhow::Result<Settings> {
    Ok(Settings {
        upload_url_prefix: format!("{public_url}/uploads/"),
        order_deadlines: config.order_deadlines()?,
        checkin_key: derived_key(jwt_secret, "activity-check-in"),
        checkin_code_seconds: config.checkin_code_seconds,
        care: domain::CareSettings {
            urgent_claim_minutes: config.care.urgent_claim_minutes,
            alarm_merge_minutes: config.care.alarm_merge_minutes,
        },
        uploads: domain::uploads::UploadSettings {
            url_key: derived_key(jwt_secret, "upload-url"),
            url_seconds: config.uploads.url_seconds,
            daily_count: config.uploads.daily_count,
            daily_bytes: config.uploads.daily_bytes,
        },
    })
}
