//! Prometheus metrics, one registry per server instance: GraphQL requests
//! and latency per operation name, and SQL statements (so a test or a
//! benchmark can count statements per request), and session-store round trips.
//! Statements of background work (the relay, consumers, sweeps) are counted
//! apart, so they never blur what a request costs.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry, TextEncoder};

tokio::task_local! {
    static BACKGROUND: ();
}

/// Runs background work so that its SQL statements are counted as background.
pub async fn background<F: std::future::Future>(work: F) -> F::Output {
    BACKGROUND.scope((), work).await
}

/// Client-chosen operation names are labels; cap how many distinct ones we keep.
const MAX_OPERATION_LABELS: usize = 500;

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    sql_statements: IntCounter,
    background_sql_statements: IntCounter,
    store_round_trips: IntCounter,
    slow_sockets: IntCounterVec,
    seen_operations: Arc<Mutex<HashSet<String>>>,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("linli_graphql_requests_total", "GraphQL requests by operation and outcome"),
            &["operation", "outcome"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new("linli_graphql_request_duration_seconds", "GraphQL request latency by operation")
                .buckets(vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0]),
            &["operation"],
        )?;
        let sql_statements =
            IntCounter::new("linli_sql_statements_total", "SQL statements sent to the database for requests")?;
        let background_sql_statements = IntCounter::new(
            "linli_background_sql_statements_total",
            "SQL statements sent by background work (relay, consumers, sweeps)",
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        let store_round_trips = IntCounter::new(
            "linli_store_round_trips_total",
            "Round trips to the session store (Redis, or calls on the in-process store)",
        )?;
        registry.register(Box::new(sql_statements.clone()))?;
        registry.register(Box::new(background_sql_statements.clone()))?;
        registry.register(Box::new(store_round_trips.clone()))?;
        let slow_sockets = IntCounterVec::new(
            Opts::new(
                "linli_ws_slow_clients_closed_total",
                "WebSockets closed (1013) for not taking what they were sent: the message queue stayed full \
                 (queue), or the bytes waiting stayed over the bound (bytes)",
            ),
            &["reason"],
        )?;
        registry.register(Box::new(slow_sockets.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
            sql_statements,
            background_sql_statements,
            store_round_trips,
            slow_sockets,
            seen_operations: Arc::default(),
        })
    }

    fn label(&self, operation: Option<&str>) -> String {
        let Some(name) = operation
            .filter(|n| !n.is_empty() && n.len() <= 64 && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        else {
            return "anonymous".into();
        };
        let mut seen = self.seen_operations.lock().unwrap_or_else(|p| p.into_inner());
        if seen.contains(name) || seen.len() < MAX_OPERATION_LABELS {
            seen.insert(name.to_owned());
            name.to_owned()
        } else {
            "other".into()
        }
    }

    pub fn observe_request(&self, operation: Option<&str>, elapsed: Duration, ok: bool) {
        let label = self.label(operation);
        self.requests.with_label_values(&[label.as_str(), if ok { "ok" } else { "error" }]).inc();
        self.latency.with_label_values(&[label.as_str()]).observe(elapsed.as_secs_f64());
    }

    pub fn sql_statement(&self) {
        if BACKGROUND.try_with(|_| ()).is_ok() {
            self.background_sql_statements.inc();
        } else {
            self.sql_statements.inc();
        }
    }

    /// The counter a [`crate::store::CountingStore`] increments.
    pub fn store_round_trips(&self) -> IntCounter {
        self.store_round_trips.clone()
    }

    /// A socket closed for not keeping up; `reason` is `queue` or `bytes`.
    pub fn slow_socket_closed(&self, reason: &str) {
        self.slow_sockets.with_label_values(&[reason]).inc();
    }

    pub fn render(&self) -> String {
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::error!(error = %e, "metrics could not be encoded");
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}
