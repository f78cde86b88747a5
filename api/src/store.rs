//! The fast, rebuildable side of sessions and rate limits. Two real
//! implementations: Redis (several nodes) and in process (one node, the
//! laptop default). Everything here can be lost: sessions are rebuilt from
//! the database on refresh, and rate-limit windows simply start again.

use std::collections::HashMap;
use std::sync::Mutex;
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

#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Marks a session alive for `ttl` (renewed on every refresh).
    async fn mark_alive(&self, session_id: &str, ttl: Duration) -> Result<(), StoreError>;
    /// One round trip: is this session alive?
    async fn is_alive(&self, session_id: &str) -> Result<bool, StoreError>;
    async fn end(&self, session_id: &str) -> Result<(), StoreError>;
    /// Counts a hit against `key` in a fixed window; false when over `limit`.
    async fn hit(&self, key: &str, limit: u64, window: Duration) -> Result<bool, StoreError>;
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

    async fn end(&self, session_id: &str) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        conn.del::<_, ()>(self.session_key(session_id)).await.map_err(err)
    }

    async fn hit(&self, key: &str, limit: u64, window: Duration) -> Result<bool, StoreError> {
        let mut conn = self.conn.clone();
        let key = format!("{}:rate:{key}", self.prefix);
        let (count,): (u64,) = redis::pipe()
            .atomic()
            .incr(&key, 1u64)
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

    async fn end(&self, session_id: &str) -> Result<(), StoreError> {
        lock(&self.sessions).remove(session_id);
        Ok(())
    }

    async fn hit(&self, key: &str, limit: u64, window: Duration) -> Result<bool, StoreError> {
        let now = Instant::now();
        let mut windows = lock(&self.windows);
        if windows.len() > 100_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = windows.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        Ok(entry.1 <= limit)
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
}
