//! The subscription-message sender: takes due messages from the outbox (each
//! under a lease, so several nodes never send one twice), sends them through
//! WeChat and records what WeChat said.
//!
//! | WeChat answers | the message |
//! |---|---|
//! | 0 | SENT |
//! | 43101 (not subscribed) | REFUSED, not retried |
//! | 40003, 40037, 47003, 41030 (bad openid, template, data, page) | FAILED, not retried; logged as an error |
//! | 40001/42001 | the token is refreshed and the call retried once (in the client) |
//! | -1, 45009, anything else, or no answer | retried after `base · 2^attempts` (capped); FAILED after `max_attempts` |

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use domain::push::{DuePush, PushOutcome};
use domain::{Domain, DomainResult};

use crate::config::{Config, PushConfig, PushTemplates};
use crate::store::MemoryStore;
use crate::wechat::WechatClient;

/// What one round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SendReport {
    pub sent: usize,
    pub refused: usize,
    pub failed: usize,
    pub retrying: usize,
}

impl SendReport {
    pub fn taken(&self) -> usize {
        self.sent + self.refused + self.failed + self.retrying
    }
}

#[derive(Clone)]
pub struct PushSender {
    domain: Domain,
    wechat: Arc<WechatClient>,
    templates: PushTemplates,
    settings: PushConfig,
    miniprogram_state: String,
}

impl PushSender {
    pub fn new(config: &Config, domain: Domain, wechat: Arc<WechatClient>) -> Self {
        Self {
            domain,
            wechat,
            templates: config.wechat.templates.clone(),
            settings: config.push.clone(),
            miniprogram_state: config.wechat.miniprogram_state.clone(),
        }
    }

    /// A sender with its own WeChat client whose token is cached in process
    /// (for tests and tools that run beside a server).
    pub fn standalone(config: &Config, domain: Domain) -> DomainResult<Self> {
        let wechat = WechatClient::new(&config.wechat, Arc::new(MemoryStore::default()))?;
        Ok(Self::new(config, domain, Arc::new(wechat)))
    }

    /// Sends every message due at `now`, in rounds of `batch_size`.
    pub async fn send_due_pushes(&self, now: DateTime<Utc>) -> DomainResult<SendReport> {
        let lease = chrono::Duration::seconds(self.settings.lease_seconds);
        let mut report = SendReport::default();
        loop {
            let due = self.domain.push().claim_due(now, lease, self.settings.batch_size).await?;
            let taken = due.len() as u64;
            for push in due {
                let id = push.id;
                let outcome = self.send_one(push, now).await;
                match &outcome {
                    PushOutcome::Sent => report.sent += 1,
                    PushOutcome::Refused { .. } => report.refused += 1,
                    PushOutcome::Failed { .. } | PushOutcome::Retry { retry_at: None, .. } => report.failed += 1,
                    PushOutcome::Retry { .. } => report.retrying += 1,
                }
                self.domain.push().record_outcome(id, outcome, now).await?;
            }
            // Rows taken this round are leased into the future, so the loop ends.
            if taken < self.settings.batch_size {
                return Ok(report);
            }
        }
    }

    async fn send_one(&self, push: DuePush, now: DateTime<Utc>) -> PushOutcome {
        let Some(openid) = push.openid.as_deref() else {
            return PushOutcome::Failed { errcode: None, error: "the user has no WeChat account any more".into() };
        };
        let template = self.templates.for_kind(push.kind);
        let reply =
            self.wechat.send_subscribe_message(openid, template, &push.page, &push.data, &self.miniprogram_state).await;
        match reply {
            Ok(r) => match r.errcode {
                0 => PushOutcome::Sent,
                43101 => PushOutcome::Refused { errcode: r.errcode, error: r.errmsg },
                40003 | 40037 | 47003 | 41030 => {
                    tracing::error!(push = push.id, kind = push.kind.as_str(), errcode = r.errcode, errmsg = %r.errmsg,
                        "WeChat refused a subscription message for good; check the template configuration");
                    PushOutcome::Failed { errcode: Some(r.errcode), error: r.errmsg }
                }
                other => self.retry(&push, Some(other), r.errmsg, now),
            },
            Err(e) => self.retry(&push, None, e.to_string(), now),
        }
    }

    /// Retry later with exponential backoff, or give up after `max_attempts`.
    fn retry(&self, push: &DuePush, errcode: Option<i64>, error: String, now: DateTime<Utc>) -> PushOutcome {
        let attempts = push.attempts + 1;
        if attempts >= self.settings.max_attempts {
            tracing::warn!(push = push.id, attempts, ?errcode, %error, "subscription message given up");
            return PushOutcome::Retry { errcode, error, retry_at: None };
        }
        let factor = 1_i64.checked_shl(push.attempts.clamp(0, 30) as u32).unwrap_or(i64::MAX);
        let wait = self.settings.retry_base_seconds.saturating_mul(factor).min(self.settings.retry_max_seconds);
        PushOutcome::Retry { errcode, error, retry_at: Some(now + chrono::Duration::seconds(wait)) }
    }
}

/// Runs the sender every `every` until the process ends.
pub fn spawn_push_sender(sender: PushSender, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(crate::metrics::background(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let now = sender.domain.clock.now();
            match sender.send_due_pushes(now).await {
                Ok(r) if r.taken() == 0 => {}
                Ok(r) => tracing::info!(
                    sent = r.sent,
                    refused = r.refused,
                    failed = r.failed,
                    retrying = r.retrying,
                    "subscription messages sent"
                ),
                Err(e) => tracing::warn!(error = %e, "subscription message round failed"),
            }
        }
    }))
}
