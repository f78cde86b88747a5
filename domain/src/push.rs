//! WeChat subscription messages (订阅消息), kept as an outbox.
//!
//! A resident taps "allow" in `wx.requestSubscribeMessage`; each accepted
//! template is one one-time grant, counted per kind ([`Domain::accept_subscriptions`]).
//! Whatever should reach a phone calls [`enqueue_push`] inside its own
//! transaction: the message is written once under its dedup key, and a grant
//! is spent only when a new row is written. The API's sender later claims due
//! rows under a lease, sends them, and records the outcome here
//! ([`Domain::claim_due_pushes`], [`Domain::record_push_outcome`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Asia::Shanghai;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};

use crate::entities::{user, wechat_push, wechat_push_grant};
use crate::error::{DomainError, DomainResult};
use crate::org::Actor;

crate::area_service!(
    /// WeChat subscription messages: grants, the outbox and its sender.
    Push
);

crate::string_enum!(
    /// What a subscription message is about; each kind is one WeChat template.
    PushKind {
        /// To the placer: a member took the order.
        OrderClaimed,
        /// To the placer: the work is reported done, please check.
        OrderCompleted,
        /// To the placer: the community approved it, please rate.
        OrderRate,
        /// To members and volunteers: a new order in the community's pool.
        PoolNewOrder,
        /// Care and lunchbox alarms, escalations: every in-app notice.
        Alarm,
    }
);

crate::string_enum!(PushStatus {
    /// Waiting to be sent (or held by a sender until `next_attempt_at`).
    Pending,
    Sent,
    /// WeChat refused it for good (bad openid, template, data or page), or retries ran out.
    Failed,
    /// 43101: the user has not subscribed (any more).
    Refused,
    /// The last grant went to a concurrent message while this one was queued; nothing is sent.
    Skipped,
});

/// A message to queue for one person.
#[derive(Clone, Debug)]
pub struct PushRequest {
    pub community_id: i64,
    pub user_id: i64,
    pub kind: PushKind,
    /// The mini-program page the message opens, e.g. `pages/order/detail?id=7`.
    pub page: String,
    /// Template data: field name (`thing1`, `time2`, …) → value. Values are
    /// fitted to WeChat's limits for the field's type when queued.
    pub fields: Vec<(String, String)>,
    /// Unique across all messages: the same key is queued (and a grant spent) once.
    pub dedup_key: String,
    pub at: DateTime<Utc>,
}

/// What [`enqueue_push`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enqueued {
    /// Queued; one grant spent.
    Queued,
    /// No grant left: nothing will be sent.
    NoGrant,
    /// This dedup key was queued before; nothing changed.
    Duplicate,
}

/// The longest value WeChat accepts for a template field, by the field's type
/// (the name without its number). `None`: no limit we need to enforce.
fn field_limit(field: &str) -> Option<usize> {
    let kind = field.trim_end_matches(|c: char| c.is_ascii_digit());
    match kind {
        "thing" => Some(20),
        "phrase" => Some(5),
        "name" => Some(10),
        "character_string" | "number" | "letter" | "car_number" => Some(32),
        "phone_number" => Some(17),
        "amount" => Some(32),
        _ => None,
    }
}

/// A value cut to what the template field accepts (in characters, not bytes),
/// so that WeChat does not answer 47003 for our own text.
pub fn fit_template_value(field: &str, value: &str) -> String {
    let value = value.trim();
    match field_limit(field) {
        Some(max) if value.chars().count() > max => {
            // An ellipsis where the field is long enough to carry one (not in a 5-character phrase).
            if max >= 10 {
                let mut cut: String = value.chars().take(max - 1).collect();
                cut.push('…');
                cut
            } else {
                value.chars().take(max).collect()
            }
        }
        _ => value.to_owned(),
    }
}

/// A time as WeChat's `time` fields show it, in Asia/Shanghai.
pub fn template_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&Shanghai).format("%Y-%m-%d %H:%M").to_string()
}

/// Queues a subscription message inside the caller's transaction.
///
/// Without a grant left for the kind nothing is written (most people never
/// subscribe; their notices should not double the writes). Otherwise the row
/// is written under `dedup_key` (a second call with the same key changes
/// nothing) and only a newly written row spends one grant. Should the grant
/// be spent by a concurrent message between the look and the write, the row
/// is kept as SKIPPED, so a retry of the same event still does nothing.
pub async fn enqueue_push<C: ConnectionTrait>(conn: &C, req: PushRequest) -> DomainResult<Enqueued> {
    let has_grant = wechat_push_grant::Entity::find()
        .filter(wechat_push_grant::Column::UserId.eq(req.user_id))
        .filter(wechat_push_grant::Column::Kind.eq(req.kind.as_str()))
        .filter(wechat_push_grant::Column::Remaining.gt(0))
        .count(conn)
        .await?
        > 0;
    if !has_grant {
        return Ok(Enqueued::NoGrant);
    }
    let data: BTreeMap<String, String> =
        req.fields.iter().map(|(k, v)| (k.clone(), fit_template_value(k, v))).collect();
    let row = wechat_push::ActiveModel {
        community_id: Set(req.community_id),
        user_id: Set(req.user_id),
        kind: Set(req.kind.as_str().into()),
        data: Set(serde_json::to_string(&data).map_err(DomainError::internal)?),
        page: Set(req.page),
        dedup_key: Set(req.dedup_key.clone()),
        status: Set(PushStatus::Pending.as_str().into()),
        attempts: Set(0),
        next_attempt_at: Set(req.at),
        last_errcode: Set(None),
        last_error: Set(None),
        sent_at: Set(None),
        created_at: Set(req.at),
        ..Default::default()
    };
    let inserted = wechat_push::Entity::insert(row)
        .on_conflict(OnConflict::column(wechat_push::Column::DedupKey).do_nothing().to_owned())
        .exec_without_returning(conn)
        .await?;
    if inserted == 0 {
        return Ok(Enqueued::Duplicate);
    }
    let spent = wechat_push_grant::Entity::update_many()
        .col_expr(wechat_push_grant::Column::Remaining, Expr::col(wechat_push_grant::Column::Remaining).sub(1))
        .col_expr(wechat_push_grant::Column::UpdatedAt, Expr::value(req.at))
        .filter(wechat_push_grant::Column::UserId.eq(req.user_id))
        .filter(wechat_push_grant::Column::Kind.eq(req.kind.as_str()))
        .filter(wechat_push_grant::Column::Remaining.gt(0))
        .exec(conn)
        .await?;
    if spent.rows_affected == 1 {
        return Ok(Enqueued::Queued);
    }
    wechat_push::Entity::update_many()
        .col_expr(wechat_push::Column::Status, Expr::value(PushStatus::Skipped.as_str()))
        .filter(wechat_push::Column::DedupKey.eq(req.dedup_key))
        .exec(conn)
        .await?;
    Ok(Enqueued::NoGrant)
}

/// One kind of message and how many more the user may receive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushGrant {
    pub kind: PushKind,
    pub remaining: i32,
}

/// A message a sender holds (under a lease) and is about to send.
#[derive(Clone, Debug)]
pub struct DuePush {
    pub id: i64,
    pub kind: PushKind,
    /// `None` when the user is gone (deleted): the message fails.
    pub openid: Option<String>,
    pub page: String,
    pub data: BTreeMap<String, String>,
    /// Attempts made before this one.
    pub attempts: i32,
}

/// What became of one send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PushOutcome {
    Sent,
    /// 43101: no subscription; never retried.
    Refused {
        errcode: i64,
        error: String,
    },
    /// A permanent fault; never retried.
    Failed {
        errcode: Option<i64>,
        error: String,
    },
    /// A transient fault: try again at `retry_at`, or fail for good when
    /// `retry_at` is `None` (attempts ran out).
    Retry {
        errcode: Option<i64>,
        error: String,
        retry_at: Option<DateTime<Utc>>,
    },
}

/// A message as recorded, for tests and the office.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushRecord {
    pub id: i64,
    pub user_id: i64,
    pub kind: PushKind,
    pub status: PushStatus,
    pub dedup_key: String,
    pub data: BTreeMap<String, String>,
    pub page: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_errcode: Option<i64>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl TryFrom<wechat_push::Model> for PushRecord {
    type Error = DomainError;

    fn try_from(m: wechat_push::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            user_id: m.user_id,
            kind: PushKind::parse(&m.kind)?,
            status: PushStatus::parse(&m.status)?,
            dedup_key: m.dedup_key,
            data: serde_json::from_str(&m.data).map_err(DomainError::internal)?,
            page: m.page,
            attempts: m.attempts,
            next_attempt_at: m.next_attempt_at,
            last_errcode: m.last_errcode,
            last_error: m.last_error,
            sent_at: m.sent_at,
        })
    }
}

pub(crate) fn order_page(order_id: i64) -> String {
    format!("pages/order/detail?id={order_id}")
}

impl Push<'_> {
    /// Records what the user allowed in `wx.requestSubscribeMessage`: one
    /// one-time grant more for each kind listed (a kind listed twice counts
    /// twice, as WeChat counts each tap). Returns the user's grants after.
    pub async fn accept_subscriptions(self, actor: &Actor, kinds: &[PushKind]) -> DomainResult<Vec<PushGrant>> {
        if kinds.is_empty() {
            return Err(DomainError::bad_input("kinds", "name at least one kind of message the user allowed"));
        }
        if kinds.len() > 20 {
            return Err(DomainError::bad_input("kinds", "at most 20 kinds at a time"));
        }
        let now = self.d.clock.now();
        let txn = self.d.db.begin().await?;
        for kind in kinds {
            let row = wechat_push_grant::ActiveModel {
                user_id: Set(actor.user_id),
                kind: Set(kind.as_str().into()),
                remaining: Set(1),
                updated_at: Set(now),
                ..Default::default()
            };
            wechat_push_grant::Entity::insert(row)
                .on_conflict(
                    OnConflict::columns([wechat_push_grant::Column::UserId, wechat_push_grant::Column::Kind])
                        .value(
                            wechat_push_grant::Column::Remaining,
                            Expr::col((wechat_push_grant::Entity, wechat_push_grant::Column::Remaining)).add(1),
                        )
                        .value(wechat_push_grant::Column::UpdatedAt, Expr::value(now))
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        self.grants(actor).await
    }

    /// The signed-in user's remaining one-time grants, one entry per kind (0 when none).
    pub async fn grants(self, actor: &Actor) -> DomainResult<Vec<PushGrant>> {
        let rows = wechat_push_grant::Entity::find()
            .filter(wechat_push_grant::Column::UserId.eq(actor.user_id))
            .all(&self.d.db)
            .await?;
        Ok(PushKind::ALL
            .iter()
            .map(|kind| PushGrant {
                kind: *kind,
                remaining: rows.iter().find(|r| r.kind == kind.as_str()).map_or(0, |r| r.remaining),
            })
            .collect())
    }

    /// Takes up to `limit` due messages for this sender: each row is held by
    /// a guarded update that moves `next_attempt_at` to `now + lease` only
    /// while it is still due, so two senders (on any nodes) never take the
    /// same row. A sender that dies lets the lease run out; the row is then
    /// due again.
    pub async fn claim_due(self, now: DateTime<Utc>, lease: Duration, limit: u64) -> DomainResult<Vec<DuePush>> {
        let candidates = wechat_push::Entity::find()
            .filter(wechat_push::Column::Status.eq(PushStatus::Pending.as_str()))
            .filter(wechat_push::Column::NextAttemptAt.lte(now))
            .order_by_asc(wechat_push::Column::NextAttemptAt)
            .order_by_asc(wechat_push::Column::Id)
            .limit(limit)
            .all(&self.d.db)
            .await?;
        let mut held = Vec::new();
        for row in candidates {
            let taken = wechat_push::Entity::update_many()
                .col_expr(wechat_push::Column::NextAttemptAt, Expr::value(now + lease))
                .filter(
                    Condition::all()
                        .add(wechat_push::Column::Id.eq(row.id))
                        .add(wechat_push::Column::Status.eq(PushStatus::Pending.as_str()))
                        .add(wechat_push::Column::NextAttemptAt.lte(now)),
                )
                .exec(&self.d.db)
                .await?;
            if taken.rows_affected != 1 {
                continue; // another sender took it first
            }
            let openid = user::Entity::find_by_id(row.user_id)
                .one(&self.d.db)
                .await?
                .map(|u| u.openid)
                .filter(|o| !o.starts_with("deleted:") && !o.is_empty());
            held.push(DuePush {
                id: row.id,
                kind: PushKind::parse(&row.kind)?,
                openid,
                page: row.page,
                data: serde_json::from_str(&row.data).map_err(DomainError::internal)?,
                attempts: row.attempts,
            });
        }
        Ok(held)
    }

    /// Records what became of a held message. Only a PENDING row changes, so
    /// a late report for a row already settled is ignored.
    pub async fn record_outcome(self, id: i64, outcome: PushOutcome, now: DateTime<Utc>) -> DomainResult<()> {
        let mut update = wechat_push::Entity::update_many();
        update = match outcome {
            PushOutcome::Sent => update
                .col_expr(wechat_push::Column::Status, Expr::value(PushStatus::Sent.as_str()))
                .col_expr(wechat_push::Column::SentAt, Expr::value(Some(now)))
                .col_expr(wechat_push::Column::Attempts, Expr::col(wechat_push::Column::Attempts).add(1)),
            PushOutcome::Refused { errcode, error } => update
                .col_expr(wechat_push::Column::Status, Expr::value(PushStatus::Refused.as_str()))
                .col_expr(wechat_push::Column::Attempts, Expr::col(wechat_push::Column::Attempts).add(1))
                .col_expr(wechat_push::Column::LastErrcode, Expr::value(Some(errcode)))
                .col_expr(wechat_push::Column::LastError, Expr::value(Some(error))),
            PushOutcome::Failed { errcode, error } | PushOutcome::Retry { errcode, error, retry_at: None } => update
                .col_expr(wechat_push::Column::Status, Expr::value(PushStatus::Failed.as_str()))
                .col_expr(wechat_push::Column::Attempts, Expr::col(wechat_push::Column::Attempts).add(1))
                .col_expr(wechat_push::Column::LastErrcode, Expr::value(errcode))
                .col_expr(wechat_push::Column::LastError, Expr::value(Some(error))),
            PushOutcome::Retry { errcode, error, retry_at: Some(at) } => update
                .col_expr(wechat_push::Column::NextAttemptAt, Expr::value(at))
                .col_expr(wechat_push::Column::Attempts, Expr::col(wechat_push::Column::Attempts).add(1))
                .col_expr(wechat_push::Column::LastErrcode, Expr::value(errcode))
                .col_expr(wechat_push::Column::LastError, Expr::value(Some(error))),
        };
        update
            .filter(wechat_push::Column::Id.eq(id))
            .filter(wechat_push::Column::Status.eq(PushStatus::Pending.as_str()))
            .exec(&self.d.db)
            .await?;
        Ok(())
    }

    /// Every message queued for a user, oldest first (for tests and support).
    pub async fn for_user(self, user_id: i64) -> DomainResult<Vec<PushRecord>> {
        wechat_push::Entity::find()
            .filter(wechat_push::Column::UserId.eq(user_id))
            .order_by_asc(wechat_push::Column::Id)
            .all(&self.d.db)
            .await?
            .into_iter()
            .map(PushRecord::try_from)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_values_are_cut_to_the_field_type_limit() {
        let long = "一".repeat(30);
        assert_eq!(fit_template_value("thing1", &long).chars().count(), 20);
        assert!(fit_template_value("thing1", &long).ends_with('…'));
        assert_eq!(fit_template_value("phrase3", "已经完成了的"), "已经完成了");
        assert_eq!(fit_template_value("time2", "2026-11-23 10:00"), "2026-11-23 10:00");
        assert_eq!(fit_template_value("thing1", "短"), "短");
    }
}
