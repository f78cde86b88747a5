//! Events from the outbox to the phones.
//!
//! ```text
//!  transaction ──► workflow_events (outbox) ──relay──► bus ──► every node's hub ──► live subscriptions
//!                                                       └────► "notifier" consumer group (once per event)
//! ```
//!
//! The relay ([`spawn_relay`]) publishes committed events in order and marks
//! them published only when the bus has them. The bus is Redis Streams (one
//! stream per community, `<prefix>:{c<id>}:events`, plus a fan-out channel
//! every node listens to) when Redis is configured, and in process
//! otherwise. Each node's [`EventHub`] hands events to its subscribers;
//! what a node misses (a dropped Redis connection) it reads back from the
//! database by cursor, so Redis holds nothing that cannot be rebuilt.

mod redis_bus;

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{Notify, broadcast};

use domain::Domain;
use domain::events::RelayedEvent;

use crate::config::Config;
pub use redis_bus::{RedisBus, stream_key};

/// The consumer that turns events into notifications (once per event, across nodes).
pub const NOTIFIER: &str = "notifier";

#[async_trait]
pub trait EventBus: Send + Sync {
    /// Accepts events in order; `Err` means none may be taken as published.
    async fn publish(&self, events: &[RelayedEvent]) -> Result<(), String>;
}

/// One node's fan-out to its live subscriptions, in published order, each event once.
pub struct EventHub {
    sender: broadcast::Sender<Arc<RelayedEvent>>,
    state: std::sync::Mutex<HubState>,
    last_seq: AtomicI64,
}

struct HubState {
    recent: HashSet<i64>,
    order: VecDeque<i64>,
}

const RECENT_EVENTS: usize = 10_000;

impl EventHub {
    pub fn new(last_seq: i64) -> Self {
        let (sender, _) = broadcast::channel(4096);
        Self {
            sender,
            state: std::sync::Mutex::new(HubState { recent: HashSet::new(), order: VecDeque::new() }),
            last_seq: AtomicI64::new(last_seq),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<RelayedEvent>> {
        self.sender.subscribe()
    }

    /// The cursor of the newest event this node has handed out.
    pub fn last_seq(&self) -> i64 {
        self.last_seq.load(Ordering::SeqCst)
    }

    /// Hands an event to the subscribers unless it was handed out before
    /// (a republished event, or one read back after a reconnect).
    pub fn deliver(&self, event: RelayedEvent) {
        {
            let Ok(mut state) = self.state.lock() else { return };
            if event.seq <= self.last_seq() || !state.recent.insert(event.event_id) {
                return;
            }
            state.order.push_back(event.event_id);
            if state.order.len() > RECENT_EVENTS
                && let Some(old) = state.order.pop_front()
            {
                state.recent.remove(&old);
            }
            self.last_seq.store(event.seq, Ordering::SeqCst);
        }
        // No receivers is fine: nobody is watching on this node.
        let _ = self.sender.send(Arc::new(event));
    }
}

/// The in-process bus: one node, no Redis. The notifier runs before the
/// events count as published, so a crash in between hands them over again.
pub struct MemoryBus {
    hub: Arc<EventHub>,
    domain: Domain,
}

impl MemoryBus {
    pub fn new(hub: Arc<EventHub>, domain: Domain) -> Self {
        Self { hub, domain }
    }
}

#[async_trait]
impl EventBus for MemoryBus {
    async fn publish(&self, events: &[RelayedEvent]) -> Result<(), String> {
        for event in events {
            self.domain.events().consume(NOTIFIER, event).await.map_err(|e| e.to_string())?;
        }
        for event in events {
            self.hub.deliver(event.clone());
        }
        Ok(())
    }
}

/// Everything real time on one node.
pub struct Events {
    pub hub: Arc<EventHub>,
    relay_wanted: Arc<Notify>,
}

impl Events {
    /// Builds the bus for `config` and starts the relay (and, with Redis,
    /// the fan-out listener and the notifier consumer).
    pub async fn start(config: &Config, domain: &Domain) -> anyhow::Result<Self> {
        let hub = Arc::new(EventHub::new(domain.events().latest_seq().await?));
        let bus: Arc<dyn EventBus> = match config.events_redis_url() {
            Some(url) => {
                let bus =
                    RedisBus::connect(url, &config.redis_prefix, &config.events, domain.clone(), hub.clone()).await?;
                Arc::new(bus)
            }
            None => Arc::new(MemoryBus::new(hub.clone(), domain.clone())),
        };
        let relay_wanted = Arc::new(Notify::new());
        spawn_relay(
            domain.clone(),
            bus,
            relay_wanted.clone(),
            Duration::from_millis(config.events.relay_interval_ms),
            config.events.relay_batch,
        );
        Ok(Self { hub, relay_wanted })
    }

    /// Something just committed: relay now rather than at the next tick.
    pub fn poke(&self) {
        self.relay_wanted.notify_one();
    }
}

/// The relay loop: on a poke or every `interval`, publishes what waits;
/// while the bus is down, backs off (up to 5 s) and tries again.
pub fn spawn_relay(
    domain: Domain,
    bus: Arc<dyn EventBus>,
    wanted: Arc<Notify>,
    interval: Duration,
    batch: u64,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(crate::metrics::background(async move {
        let mut backoff = interval;
        loop {
            tokio::select! {
                () = wanted.notified() => {}
                () = tokio::time::sleep(backoff) => {}
            }
            loop {
                let bus = bus.clone();
                match domain.events().relay(batch, |events| async move { bus.publish(&events).await }).await {
                    Ok(n) if (n as u64) < batch => {
                        backoff = interval;
                        break;
                    }
                    Ok(_) => continue,
                    Err(e) => {
                        backoff = (backoff * 2).clamp(interval, Duration::from_secs(5));
                        tracing::warn!(error = %e, retry_in = ?backoff, "event relay failed; events wait in the outbox");
                        break;
                    }
                }
            }
        }
    }))
}
