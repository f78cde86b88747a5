//! The fast, rebuildable side of sessions and rate limits. Two real
//! implementations: Redis (several nodes) and in process (one node, the
//! laptop default). Everything here can be lost: sessions are rebuilt from
//! the database on refresh, and rate-limit windows simply start again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

#[derive(Debug, thiserror::Error)]
#[error("session store unavailable: {0}")]
pub struct StoreError(String);

impl StoreError {
    pub fn new(cause: impl Into<String>) -> Self {
        Self(cause.into())
    }
}

impl From<StoreError> for domain::DomainError {
    fn from(err: StoreError) -> Self {
        tracing::error!(error = %err, "session store unavailable");
        domain::DomainError::Unavailable("sign-in cannot be checked right now; please try again shortly".into())
    }
}

/// Hits to count against a fixed-window rate limit.
#[derive(Clone, Copy, Debug)]
pub struct RateHit<'a> {
    pub key: &'a str,
    /// How many hits this request counts for (e.g. one per mutation field).
    pub cost: u64,
    pub limit: u64,
    pub window: Duration,
}

/// What one request's store round trip found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionCheck {
    pub alive: bool,
    /// Whether the request's rate-limit hit (if it had one) was within the limit.
    pub within_limit: bool,
}

/// Every call on a [`SessionStore`] is one round trip to the backend; this
/// counts them (`linli_store_round_trips_total` in `/metrics`), whichever
/// backend is behind it, so a test or benchmark can check what a request costs.
pub struct CountingStore {
    inner: Arc<dyn SessionStore>,
    round_trips: prometheus::IntCounter,
}

impl CountingStore {
    pub fn new(inner: Arc<dyn SessionStore>, round_trips: prometheus::IntCounter) -> Self {
        Self { inner, round_trips }
    }
}

#[async_trait]
impl SessionStore for CountingStore {
    async fn mark_alive(&self, session_id: &str, ttl: Duration) -> Result<(), StoreError> {
        self.round_trips.inc();
        self.inner.mark_alive(session_id, ttl).await
    }
    async fn is_alive(&self, session_id: &str) -> Result<bool, StoreError> {
        self.round_trips.inc();
        self.inner.is_alive(session_id).await
    }
    async fn check(&self, session_id: &str, hit: Option<RateHit<'_>>) -> Result<SessionCheck, StoreError> {
        self.round_trips.inc();
        self.inner.check(session_id, hit).await
    }
    async fn end(&self, session_id: &str) -> Result<(), StoreError> {
        self.round_trips.inc();
        self.inner.end(session_id).await
    }
    async fn hit(&self, key: &str, limit: u64, window: Duration) -> Result<bool, StoreError> {
        self.round_trips.inc();
        self.inner.hit(key, limit, window).await
    }
    async fn hit_by(&self, key: &str, cost: u64, limit: u64, window: Duration) -> Result<bool, StoreError> {
        self.round_trips.inc();
        self.inner.hit_by(key, cost, limit, window).await
    }
    async fn first_use(&self, key: &str, ttl: Duration) -> Result<bool, StoreError> {
        self.round_trips.inc();
        self.inner.first_use(key, ttl).await
    }
    async fn forget_use(&self, key: &str) -> Result<(), StoreError> {
        self.round_trips.inc();
        self.inner.forget_use(key).await
    }
    async fn cached(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.round_trips.inc();
        self.inner.cached(key).await
    }
    async fn cache(&self, key: &str, value: &str, ttl: Duration) -> Result<(), StoreError> {
        self.round_trips.inc();
        self.inner.cache(key, value, ttl).await
    }
    async fn ping(&self) -> Result<(), StoreError> {
        self.round_trips.inc();
        self.inner.ping().await
    }
}

/// Each method is one round trip to the backend.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Marks a session alive for `ttl` (renewed on every refresh).
    async fn mark_alive(&self, session_id: &str, ttl: Duration) -> Result<(), StoreError>;
    /// One round trip: is this session alive?
    async fn is_alive(&self, session_id: &str) -> Result<bool, StoreError>;
    /// The per-request check in one round trip: is the session alive, and
    /// (for a request that counts against a limit) the hit counted with it.
    ///
    /// Why one round trip and no local cache: a session ended on any node
    /// (logout, a reused refresh token, data deletion) must be refused by
    /// every node on the very next request, so liveness is always asked of
    /// the shared store; the rate-limit counter rides in the same pipeline
    /// instead of costing a second trip. The hit is counted even when the
    /// session turns out to be ended, which only ever makes a limit stricter.
    /// The default (two trips) is for stores that cannot pipeline.
    async fn check(&self, session_id: &str, hit: Option<RateHit<'_>>) -> Result<SessionCheck, StoreError> {
        let alive = self.is_alive(session_id).await?;
        let within_limit = match hit {
            Some(h) if alive => self.hit_by(h.key, h.cost, h.limit, h.window).await?,
            _ => true,
        };
        Ok(SessionCheck { alive, within_limit })
    }
    async fn end(&self, session_id: &str) -> Result<(), StoreError>;
    /// Counts a hit against `key` in a fixed window; false when over `limit`.
    async fn hit(&self, key: &str, limit: u64, window: Duration) -> Result<bool, StoreError>;
    /// Counts `cost` hits at once; false when the count is then over `limit`.
    /// (The default, one hit at a time, is for stores that cannot add more.)
    async fn hit_by(&self, key: &str, cost: u64, limit: u64, window: Duration) -> Result<bool, StoreError> {
        let mut within = true;
        for _ in 0..cost {
            within = self.hit(key, limit, window).await?;
        }
        Ok(within)
    }
    /// Marks `key` used for `ttl`, shared by every node: true the first time,
    /// false while it is still marked (e.g. a webhook nonce seen before).
    async fn first_use(&self, key: &str, ttl: Duration) -> Result<bool, StoreError>;
    /// Unmarks `key`, so that a delivery that could not be handled can be sent again.
    async fn forget_use(&self, key: &str) -> Result<(), StoreError>;
    /// A cached value shared by every node (e.g. WeChat's access token).
    async fn cached(&self, key: &str) -> Result<Option<String>, StoreError>;
    async fn cache(&self, key: &str, value: &str, ttl: Duration) -> Result<(), StoreError>;
    async fn ping(&self) -> Result<(), StoreError>;
}

pub struct RedisStore {
    conn: ConnectionManager,
    prefix: String,
}

impl RedisStore {
    /// Keys are `<prefix>:{s}:<id>`: the hash tag keeps them on one cluster slot per kind.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(|e| StoreError(e.to_string()))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(1);
        let conn = ConnectionManager::new_with_config(client, config).await.map_err(|e| StoreError(e.to_string()))?;
        Ok(Self { conn, prefix: prefix.to_owned() })
    }

    fn session_key(&self, id: &str) -> String {
        format!("{}:session:{id}", self.prefix)
    }

    fn rate_key(&self, key: &str) -> String {
        format!("{}:rate:{key}", self.prefix)
    }

    fn once_key(&self, key: &str) -> String {
        format!("{}:once:{key}", self.prefix)
    }
}

fn err(e: redis::RedisError) -> StoreError {
    StoreError(e.to_string())
}

#[async_trait]
impl SessionStore for RedisStore {
    async fn mark_alive(&self, session_id: &str, ttl: Duration) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        conn.set_ex::<_, _, ()>(self.session_key(session_id), 1u8, ttl.as_secs().max(1)).await.map_err(err)
    }

    async fn is_alive(&self, session_id: &str) -> Result<bool, StoreError> {
        let mut conn = self.conn.clone();
        conn.exists(self.session_key(session_id)).await.map_err(err)
    }

    /// `EXISTS` and, with a hit, `INCR` + `EXPIRE NX` in one pipeline: one round trip.
    async fn check(&self, session_id: &str, hit: Option<RateHit<'_>>) -> Result<SessionCheck, StoreError> {
        let mut conn = self.conn.clone();
        let Some(hit) = hit else {
            let alive: bool = conn.exists(self.session_key(session_id)).await.map_err(err)?;
            return Ok(SessionCheck { alive, within_limit: true });
        };
        let key = self.rate_key(hit.key);
        let (alive, count): (bool, u64) = redis::pipe()
            .atomic()
            .exists(self.session_key(session_id))
            .incr(&key, hit.cost)
            .cmd("EXPIRE")
            .arg(&key)
            .arg(hit.window.as_secs().max(1))
            .arg("NX")
            .ignore()
            .query_async(&mut conn)
            .await
            .map_err(err)?;
        Ok(SessionCheck { alive, within_limit: count <= hit.limit })
    }

    async fn end(&self, session_id: &str) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        conn.del::<_, ()>(self.session_key(session_id)).await.map_err(err)
    }

    async fn hit(&self, key: &str, limit: u64, window: Duration) -> Result<bool, StoreError> {
        self.hit_by(key, 1, limit, window).await
    }

    /// `INCRBY` + `EXPIRE NX`: one round trip whatever the cost.
    async fn hit_by(&self, key: &str, cost: u64, limit: u64, window: Duration) -> Result<bool, StoreError> {
        let mut conn = self.conn.clone();
        let key = self.rate_key(key);
        let (count,): (u64,) = redis::pipe()
            .atomic()
            .incr(&key, cost)
            .cmd("EXPIRE")
            .arg(&key)
            .arg(window.as_secs().max(1))
            .arg("NX")
            .ignore()
            .query_async(&mut conn)
            .await
            .map_err(err)?;
        Ok(count <= limit)
    }

    /// `SET NX EX`: atomic across nodes.
    async fn first_use(&self, key: &str, ttl: Duration) -> Result<bool, StoreError> {
        let mut conn = self.conn.clone();
        let set: Option<String> = redis::cmd("SET")
            .arg(self.once_key(key))
            .arg(1u8)
            .arg("NX")
            .arg("EX")
            .arg(ttl.as_secs().max(1))
            .query_async(&mut conn)
            .await
            .map_err(err)?;
        Ok(set.is_some())
    }

    async fn forget_use(&self, key: &str) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        conn.del::<_, ()>(self.once_key(key)).await.map_err(err)
    }

    async fn cached(&self, key: &str) -> Result<Option<String>, StoreError> {
        let mut conn = self.conn.clone();
        conn.get(format!("{}:cache:{key}", self.prefix)).await.map_err(err)
    }

    async fn cache(&self, key: &str, value: &str, ttl: Duration) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        conn.set_ex::<_, _, ()>(format!("{}:cache:{key}", self.prefix), value, ttl.as_secs().max(1)).await.map_err(err)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        redis::cmd("PING").query_async::<String>(&mut conn).await.map(|_| ()).map_err(err)
    }
}

/// One node's memory. Same behaviour as Redis for a single process.
#[derive(Default)]
pub struct MemoryStore {
    sessions: Mutex<HashMap<String, Instant>>,
    windows: Mutex<HashMap<String, (Instant, u64)>>,
    values: Mutex<HashMap<String, (String, Instant)>>,
    used: Mutex<HashMap<String, Instant>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn mark_alive(&self, session_id: &str, ttl: Duration) -> Result<(), StoreError> {
        let now = Instant::now();
        let mut sessions = lock(&self.sessions);
        sessions.retain(|_, until| *until > now);
        sessions.insert(session_id.to_owned(), now + ttl);
        Ok(())
    }

    async fn is_alive(&self, session_id: &str) -> Result<bool, StoreError> {
        Ok(lock(&self.sessions).get(session_id).is_some_and(|until| *until > Instant::now()))
    }

    async fn check(&self, session_id: &str, hit: Option<RateHit<'_>>) -> Result<SessionCheck, StoreError> {
        let alive = self.is_alive(session_id).await?;
        let within_limit = match hit {
            Some(h) => self.hit_by(h.key, h.cost, h.limit, h.window).await?,
            None => true,
        };
        Ok(SessionCheck { alive, within_limit })
    }

    async fn end(&self, session_id: &str) -> Result<(), StoreError> {
        lock(&self.sessions).remove(session_id);
        Ok(())
    }

    async fn hit(&self, key: &str, limit: u64, window: Duration) -> Result<bool, StoreError> {
        self.hit_by(key, 1, limit, window).await
    }

    async fn hit_by(&self, key: &str, cost: u64, limit: u64, window: Duration) -> Result<bool, StoreError> {
        let now = Instant::now();
        let mut windows = lock(&self.windows);
        if windows.len() > 100_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = windows.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        entry.1 += cost;
        Ok(entry.1 <= limit)
    }

    async fn first_use(&self, key: &str, ttl: Duration) -> Result<bool, StoreError> {
        let now = Instant::now();
        let mut used = lock(&self.used);
        if used.len() > 100_000 {
            used.retain(|_, until| *until > now);
        }
        match used.get(key) {
            Some(until) if *until > now => Ok(false),
            _ => {
                used.insert(key.to_owned(), now + ttl);
                Ok(true)
            }
        }
    }

    async fn forget_use(&self, key: &str) -> Result<(), StoreError> {
        lock(&self.used).remove(key);
        Ok(())
    }

    async fn cached(&self, key: &str) -> Result<Option<String>, StoreError> {
        let values = lock(&self.values);
        Ok(values.get(key).filter(|(_, until)| *until > Instant::now()).map(|(v, _)| v.clone()))
    }

    async fn cache(&self, key: &str, value: &str, ttl: Duration) -> Result<(), StoreError> {
        lock(&self.values).insert(key.to_owned(), (value.to_owned(), Instant::now() + ttl));
        Ok(())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_sessions_live_until_ended() {
        let store = MemoryStore::default();
        store.mark_alive("s1", Duration::from_secs(60)).await.unwrap();
        assert!(store.is_alive("s1").await.unwrap());
        store.end("s1").await.unwrap();
        assert!(!store.is_alive("s1").await.unwrap());
        assert!(!store.is_alive("never").await.unwrap());
    }

    #[tokio::test]
    async fn memory_rate_limit_allows_exactly_the_limit_per_window() {
        let store = MemoryStore::default();
        let window = Duration::from_secs(60);
        for _ in 0..3 {
            assert!(store.hit("k", 3, window).await.unwrap());
        }
        assert!(!store.hit("k", 3, window).await.unwrap());
        assert!(store.hit("other", 3, window).await.unwrap());
    }

    #[tokio::test]
    async fn memory_hits_by_cost_count_each_unit() {
        let store = MemoryStore::default();
        let window = Duration::from_secs(60);
        assert!(store.hit_by("k", 3, 4, window).await.unwrap());
        assert!(!store.hit_by("k", 2, 4, window).await.unwrap(), "3 + 2 is over 4");
        assert!(store.hit_by("j", 4, 4, window).await.unwrap(), "exactly the limit is within");
    }

    #[tokio::test]
    async fn memory_marks_a_key_used_once_until_it_expires_or_is_forgotten() {
        let store = MemoryStore::default();
        assert!(store.first_use("n", Duration::from_secs(60)).await.unwrap());
        assert!(!store.first_use("n", Duration::from_secs(60)).await.unwrap());
        store.forget_use("n").await.unwrap();
        assert!(store.first_use("n", Duration::from_secs(60)).await.unwrap());
        assert!(store.first_use("short", Duration::from_millis(1)).await.unwrap());
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert!(store.first_use("short", Duration::from_millis(1)).await.unwrap(), "expired marks are free again");
    }
}
