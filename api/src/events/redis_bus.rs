//! The bus on Redis: a stream per community (`<prefix>:{c<id>}:events`,
//! hash-tagged so each community's stream lives on one Redis Cluster slot)
//! read by the `notifier` consumer group, and a fan-out channel every node
//! listens to for its live subscriptions.
//!
//! At least once, end to end: the relay marks events published only after
//! `XADD` succeeded; the notifier acknowledges (`XACK`) only after the
//! event's effects committed (deduplicated in the database's inbox); entries
//! a dead consumer read but never acknowledged are taken over with
//! `XAUTOCLAIM` once idle. A node that loses the channel reads what it
//! missed back from the database by cursor.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::streams::{StreamAutoClaimOptions, StreamAutoClaimReply, StreamId, StreamReadOptions, StreamReadReply};

use domain::Domain;
use domain::events::{EventScope, RelayedEvent};

use super::{EventBus, EventHub, NOTIFIER};
use crate::config::EventsConfig;

pub struct RedisBus {
    conn: ConnectionManager,
    prefix: String,
    max_len: usize,
}

impl RedisBus {
    /// Connects, and starts this node's fan-out listener and notifier consumer.
    pub async fn connect(
        url: &str,
        prefix: &str,
        config: &EventsConfig,
        domain: Domain,
        hub: Arc<EventHub>,
    ) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(1);
        let conn = ConnectionManager::new_with_config(client.clone(), manager_config).await?;
        let bus = Self { conn, prefix: prefix.to_owned(), max_len: config.stream_max_len };
        tokio::spawn(crate::metrics::background(listen(client.clone(), bus.channel(), domain.clone(), hub)));
        if config.notifier {
            let consumer = Consumer {
                client,
                prefix: prefix.to_owned(),
                name: format!("node-{}", uuid::Uuid::new_v4().simple()),
                domain,
                reclaim_idle: Duration::from_millis(config.reclaim_idle_ms),
            };
            tokio::spawn(crate::metrics::background(consumer.run()));
        }
        Ok(bus)
    }

    fn channel(&self) -> String {
        format!("{}:events", self.prefix)
    }
}

/// The stream of one community's events.
pub fn stream_key(prefix: &str, community_id: i64) -> String {
    format!("{prefix}:{{c{community_id}}}:events")
}

#[async_trait]
impl EventBus for RedisBus {
    async fn publish(&self, events: &[RelayedEvent]) -> Result<(), String> {
        let mut pipe = redis::pipe();
        for event in events {
            let json = serde_json::to_string(event).map_err(|e| e.to_string())?;
            pipe.cmd("XADD")
                .arg(stream_key(&self.prefix, event.community_id))
                .arg("MAXLEN")
                .arg("~")
                .arg(self.max_len)
                .arg("*")
                .arg("event")
                .arg(&json)
                .ignore();
            pipe.cmd("PUBLISH").arg(self.channel()).arg(&json).ignore();
        }
        let mut conn = self.conn.clone();
        pipe.query_async::<()>(&mut conn).await.map_err(|e| e.to_string())
    }
}

/// Feeds this node's hub from the fan-out channel; after every (re)subscribe
/// it first reads back from the database what it may have missed.
async fn listen(client: redis::Client, channel: String, domain: Domain, hub: Arc<EventHub>) {
    let mut backoff = Duration::from_millis(100);
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(&channel).await {
                Ok(()) => {
                    backoff = Duration::from_millis(100);
                    catch_up(&domain, &hub).await;
                    let mut messages = pubsub.on_message();
                    while let Some(message) = messages.next().await {
                        match message.get_payload::<String>().map(|p| serde_json::from_str::<RelayedEvent>(&p)) {
                            Ok(Ok(event)) => hub.deliver(event),
                            _ => tracing::warn!(%channel, "an unreadable message on the event channel was ignored"),
                        }
                    }
                    tracing::warn!(%channel, "the event channel closed; reconnecting");
                }
                Err(e) => tracing::warn!(error = %e, "cannot subscribe to the event channel"),
            },
            Err(e) => tracing::warn!(error = %e, "cannot reach Redis for the event channel"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

async fn catch_up(domain: &Domain, hub: &EventHub) {
    loop {
        match domain.events().since(hub.last_seq(), EventScope::All, 1000).await {
            Ok(events) => {
                let done = events.len() < 1000;
                for event in events {
                    hub.deliver(event);
                }
                if done {
                    return;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot read missed events back from the database");
                return;
            }
        }
    }
}

/// One node's member of the `notifier` consumer group, over every community's stream.
struct Consumer {
    client: redis::Client,
    prefix: String,
    name: String,
    domain: Domain,
    reclaim_idle: Duration,
}

impl Consumer {
    async fn run(self) {
        let mut backoff = Duration::from_millis(100);
        loop {
            match self.serve().await {
                Ok(()) => {}
                Err(e) => tracing::warn!(error = %e, consumer = %self.name, "the notifier lost Redis; retrying"),
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }

    /// Reads, handles and acknowledges until Redis fails.
    async fn serve(&self) -> redis::RedisResult<()> {
        // A connection of its own: a blocking read would hold up anything sharing it.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(5)));
        let mut conn = ConnectionManager::new_with_config(self.client.clone(), config).await?;
        let mut keys = Vec::new();
        let mut keys_read_at: Option<tokio::time::Instant> = None;
        let mut reclaimed_at = tokio::time::Instant::now();
        loop {
            // New communities get their streams read within half a minute.
            if keys_read_at.is_none_or(|at| at.elapsed() > Duration::from_secs(30)) {
                keys = self.streams(&mut conn).await?;
                keys_read_at = Some(tokio::time::Instant::now());
            }
            if keys.is_empty() {
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            if reclaimed_at.elapsed() >= self.reclaim_idle.min(Duration::from_secs(5)) {
                for key in &keys {
                    self.reclaim(&mut conn, key).await?;
                }
                reclaimed_at = tokio::time::Instant::now();
            }
            let ids = vec![">"; keys.len()];
            let options = StreamReadOptions::default().group(NOTIFIER, &self.name).count(100).block(1000);
            let reply: Option<StreamReadReply> = conn.xread_options(&keys, &ids, &options).await?;
            for stream in reply.map(|r| r.keys).unwrap_or_default() {
                self.handle(&mut conn, &stream.key, stream.ids).await?;
            }
        }
    }

    /// Every community's stream, each with the group (created reading from the start).
    async fn streams(&self, conn: &mut ConnectionManager) -> redis::RedisResult<Vec<String>> {
        let communities = match self.domain.events().community_ids().await {
            Ok(ids) => ids,
            Err(e) => {
                tracing::warn!(error = %e, "cannot list communities for the notifier");
                return Ok(Vec::new());
            }
        };
        let mut keys = Vec::with_capacity(communities.len());
        for community in communities {
            let key = stream_key(&self.prefix, community);
            let created: redis::RedisResult<()> = conn.xgroup_create_mkstream(&key, NOTIFIER, "0").await;
            match created {
                Ok(()) => {}
                Err(e) if e.code() == Some("BUSYGROUP") => {}
                Err(e) => return Err(e),
            }
            keys.push(key);
        }
        Ok(keys)
    }

    /// Takes over entries another consumer read but has not acknowledged for `reclaim_idle`.
    async fn reclaim(&self, conn: &mut ConnectionManager, key: &str) -> redis::RedisResult<()> {
        let mut start = "0-0".to_owned();
        loop {
            let options = StreamAutoClaimOptions::default().count(100);
            let reply: StreamAutoClaimReply = conn
                .xautoclaim_options(key, NOTIFIER, &self.name, self.reclaim_idle.as_millis() as u64, &start, options)
                .await?;
            if !reply.claimed.is_empty() {
                tracing::info!(stream = key, entries = reply.claimed.len(), "took over unacknowledged events");
                self.handle(conn, key, reply.claimed).await?;
            }
            if reply.next_stream_id == "0-0" {
                return Ok(());
            }
            start = reply.next_stream_id;
        }
    }

    async fn handle(&self, conn: &mut ConnectionManager, key: &str, entries: Vec<StreamId>) -> redis::RedisResult<()> {
        for entry in entries {
            let event = entry.get::<String>("event").and_then(|json| serde_json::from_str::<RelayedEvent>(&json).ok());
            match event {
                Some(event) => {
                    if let Err(e) = self.domain.events().consume(NOTIFIER, &event).await {
                        // Not acknowledged: it will be handed out again.
                        tracing::warn!(error = %e, event = event.event_id, "the notifier could not handle an event");
                        continue;
                    }
                }
                None => tracing::error!(stream = key, id = %entry.id, "an unreadable stream entry was dropped"),
            }
            let _: i64 = conn.xack(key, NOTIFIER, &[&entry.id]).await?;
        }
        Ok(())
    }
}
