//! The outbox side of real time. Every transition's `workflow_events` row is
//! written in the transaction of the change (see [`crate::workflow`]); the
//! relay here gives committed rows their place in the published order
//! (`relay_seq`, the cursor a reconnecting phone resumes from), hands them to
//! a bus, and marks them published only once the bus has them. A bus that is
//! down leaves the rows waiting; a relay that dies between publishing and
//! marking publishes them again, so consumers see every event at least once
//! and dedupe by event id ([`Domain::consume_event`]).
//!
//! Several nodes may relay: on PostgreSQL a pass holds a transaction-scoped
//! advisory lock, so one node relays at a time and the published order is
//! the `relay_seq` order. SQLite is one node with one relay task.

use std::collections::HashMap;
use std::fmt::Display;
use std::future::Future;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    Statement, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use crate::entities::{
    banquet_booking, community, data_deletion_request, event_inbox, join_request, lunchbox_delivery, meal_booking,
    order, redemption, report_in, wish, workflow_event,
};
use crate::error::{DomainError, DomainResult};
use crate::workflow::{self, Status, Subject};

crate::area_service!(
    /// The real-time outbox: relaying events to the bus, catching up, consuming them once.
    Events
);

/// The advisory lock every relaying node competes for (PostgreSQL).
const RELAY_LOCK: i64 = 0x6c69_6e6c_6901;

/// An event as the bus carries it: enough to route it (community, audience)
/// without reading the database again. What the subject looks like now is
/// read by whoever shows it, with their own view of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayedEvent {
    /// The cursor: increasing in published order.
    pub seq: i64,
    pub event_id: i64,
    pub community_id: i64,
    /// `ORDER`, `WISH`, `LUNCHBOX_DELIVERY`, `BANQUET`, `REPORT_IN`, `JOIN_REQUEST`, `DATA_DELETION`, ….
    pub subject: String,
    pub subject_id: i64,
    pub from_status: Option<String>,
    pub to_status: String,
    /// None when the system acted (a deadline).
    pub actor_id: Option<i64>,
    /// Who the change is about: the placer, the resident it was placed for,
    /// the assignee and claimant, and whoever acted.
    pub audience: Vec<i64>,
    pub at: DateTime<Utc>,
}

impl RelayedEvent {
    /// Whether the event is about this kind of work.
    pub fn is_about(&self, subject: Subject) -> bool {
        Subject::of(&self.subject) == Some(subject)
    }

    /// The status the work moved to, read as `S`; `None` when it is not one
    /// of `S`'s. Statuses of different kinds share names (`CLAIMED`): check
    /// [`RelayedEvent::is_about`] as well.
    pub fn moved_to<S: Status>(&self) -> Option<S> {
        S::parse(&self.to_status).ok()
    }
}

/// Whose events a reader wants.
#[derive(Clone, Copy, Debug)]
pub enum EventScope {
    /// Everything (a node catching up).
    All,
    /// Everything in one community.
    Community(i64),
    /// Everything about one person's orders and wishes.
    Person(i64),
}

impl RelayedEvent {
    pub fn concerns(&self, scope: EventScope) -> bool {
        match scope {
            EventScope::All => true,
            EventScope::Community(c) => self.community_id == c,
            EventScope::Person(p) => self.audience.contains(&p),
        }
    }
}

impl Events<'_> {
    /// One pass of the relay: up to `limit` events, oldest first, handed to
    /// `publish` and marked published when it succeeds. Returns how many were
    /// published (0 when another node holds the relay, or nothing waits).
    pub async fn relay<F, Fut, E>(self, limit: u64, publish: F) -> DomainResult<usize>
    where
        F: FnOnce(Vec<RelayedEvent>) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: Display,
    {
        let backend = self.d.db.get_database_backend();
        let lock = if backend == DatabaseBackend::Postgres {
            let txn = self.d.db.begin().await?;
            let row = txn
                .query_one_raw(Statement::from_sql_and_values(
                    backend,
                    "SELECT pg_try_advisory_xact_lock($1) AS held",
                    [RELAY_LOCK.into()],
                ))
                .await?
                .ok_or_else(|| DomainError::internal("advisory lock answered nothing"))?;
            if !row.try_get::<bool>("", "held")? {
                txn.rollback().await?;
                return Ok(0);
            }
            Some(txn)
        } else {
            None
        };

        // What an earlier pass placed but could not publish goes first.
        let mut rows = workflow_event::Entity::find()
            .filter(workflow_event::Column::RelaySeq.is_not_null())
            .filter(workflow_event::Column::PublishedAt.is_null())
            .order_by_asc(workflow_event::Column::RelaySeq)
            .limit(limit)
            .all(&self.d.db)
            .await?;
        if (rows.len() as u64) < limit {
            rows.extend(self.place_new(limit - rows.len() as u64).await?);
        }
        if rows.is_empty() {
            if let Some(txn) = lock {
                txn.rollback().await?;
            }
            return Ok(0);
        }
        let events = self.with_audience(rows).await?;
        let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
        if let Err(e) = publish(events).await {
            if let Some(txn) = lock {
                txn.rollback().await?;
            }
            return Err(DomainError::Unavailable(format!("the event bus refused {} events: {e}", seqs.len())));
        }
        workflow_event::Entity::update_many()
            .col_expr(workflow_event::Column::PublishedAt, Expr::value(self.d.clock.now()))
            .filter(workflow_event::Column::RelaySeq.is_in(seqs.iter().copied()))
            .exec(&self.d.db)
            .await?;
        if let Some(txn) = lock {
            txn.commit().await?;
        }
        Ok(seqs.len())
    }

    /// Gives committed events without a place one after everything placed so
    /// far, in id order, in one statement. Places may leave gaps; they only
    /// ever increase.
    async fn place_new(self, limit: u64) -> DomainResult<Vec<workflow_event::Model>> {
        let txn = self.d.db.begin().await?;
        let ids: Vec<i64> = workflow_event::Entity::find()
            .select_only()
            .column(workflow_event::Column::Id)
            .filter(workflow_event::Column::RelaySeq.is_null())
            .order_by_asc(workflow_event::Column::Id)
            .limit(limit)
            .into_tuple()
            .all(&txn)
            .await?;
        let Some(&first) = ids.first() else {
            txn.rollback().await?;
            return Ok(Vec::new());
        };
        let placed: Option<Option<i64>> = workflow_event::Entity::find()
            .select_only()
            .column_as(workflow_event::Column::RelaySeq.max(), "max")
            .into_tuple()
            .one(&txn)
            .await?;
        let last = placed.flatten().unwrap_or(0);
        let offset = std::cmp::max(last - first + 1, 0);
        workflow_event::Entity::update_many()
            .col_expr(workflow_event::Column::RelaySeq, Expr::col(workflow_event::Column::Id).add(offset))
            .filter(workflow_event::Column::Id.is_in(ids.iter().copied()))
            .exec(&txn)
            .await?;
        let rows = workflow_event::Entity::find()
            .filter(workflow_event::Column::Id.is_in(ids))
            .order_by_asc(workflow_event::Column::RelaySeq)
            .all(&txn)
            .await?;
        txn.commit().await?;
        Ok(rows)
    }

    /// Events placed after `after` (a cursor) that `scope` wants, oldest first:
    /// what a phone missed while it was away.
    pub async fn since(self, after: i64, scope: EventScope, limit: u64) -> DomainResult<Vec<RelayedEvent>> {
        let mut query = workflow_event::Entity::find()
            .filter(workflow_event::Column::RelaySeq.gt(after))
            .order_by_asc(workflow_event::Column::RelaySeq)
            .limit(limit);
        query = match scope {
            EventScope::All => query,
            EventScope::Community(c) => query.filter(workflow_event::Column::CommunityId.eq(c)),
            EventScope::Person(p) => {
                let about = |subject: Subject, ids: sea_orm::sea_query::SelectStatement| {
                    Condition::all()
                        .add(workflow_event::Column::SubjectKind.eq(subject.as_str()))
                        .add(workflow_event::Column::SubjectId.in_subquery(ids))
                };
                query.filter(
                    Condition::any()
                        .add(workflow_event::Column::ActorId.eq(p))
                        .add(about(Subject::Order, workflow::concerning::<order::Entity>(p)))
                        .add(about(Subject::Wish, workflow::concerning::<wish::Entity>(p)))
                        .add(about(Subject::Banquet, workflow::concerning::<banquet_booking::Entity>(p)))
                        .add(about(Subject::LunchboxDelivery, workflow::concerning::<lunchbox_delivery::Entity>(p))),
                )
            }
        };
        let rows = query.all(&self.d.db).await?;
        let events = self.with_audience(rows).await?;
        Ok(events.into_iter().filter(|e| e.concerns(scope)).collect())
    }

    /// The newest cursor: a subscriber that starts now resumes from here.
    pub async fn latest_seq(self) -> DomainResult<i64> {
        let placed: Option<Option<i64>> = workflow_event::Entity::find()
            .select_only()
            .column_as(workflow_event::Column::RelaySeq.max(), "max")
            .into_tuple()
            .one(&self.d.db)
            .await?;
        Ok(placed.flatten().unwrap_or(0))
    }

    /// Every community's id (the streams a consumer reads).
    pub async fn community_ids(self) -> DomainResult<Vec<i64>> {
        Ok(community::Entity::find()
            .select_only()
            .column(community::Column::Id)
            .order_by_asc(community::Column::Id)
            .into_tuple()
            .all(&self.d.db)
            .await?)
    }

    /// Handles one delivered event for `consumer` (the notifier: WeChat
    /// subscription messages), once however often it is
    /// delivered: the inbox row and the event's effects commit together.
    /// `false` when it was handled before.
    pub async fn consume(self, consumer: &str, event: &RelayedEvent) -> DomainResult<bool> {
        let txn = self.d.db.begin().await?;
        let inserted = event_inbox::Entity::insert(event_inbox::ActiveModel {
            consumer: Set(consumer.to_owned()),
            event_id: Set(event.event_id),
            handled_at: Set(self.d.clock.now()),
        })
        .on_conflict(
            OnConflict::columns([event_inbox::Column::Consumer, event_inbox::Column::EventId]).do_nothing().to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        if inserted == 0 {
            txn.rollback().await?;
            return Ok(false);
        }
        // The WeChat subscription messages the event calls for (their own outbox, sent by the push sender).
        self.d.orders().pushes_for_event_in(&txn, event.event_id).await?;
        txn.commit().await?;
        Ok(true)
    }

    /// Turns event rows into bus events, reading the people they concern in
    /// one statement per kind of subject.
    async fn with_audience(self, rows: Vec<workflow_event::Model>) -> DomainResult<Vec<RelayedEvent>> {
        let mut people: HashMap<(&'static str, i64), Vec<i64>> = HashMap::new();
        for subject in Subject::ALL {
            let kind = subject.as_str();
            let ids: Vec<i64> = rows.iter().filter(|r| r.subject_kind == kind).map(|r| r.subject_id).collect();
            if ids.is_empty() {
                continue;
            }
            let found = match subject {
                Subject::Order => workflow::people_of::<order::Entity, _>(&self.d.db, &ids).await?,
                Subject::Wish => workflow::people_of::<wish::Entity, _>(&self.d.db, &ids).await?,
                Subject::Banquet => workflow::people_of::<banquet_booking::Entity, _>(&self.d.db, &ids).await?,
                Subject::LunchboxDelivery => {
                    workflow::people_of::<lunchbox_delivery::Entity, _>(&self.d.db, &ids).await?
                }
                Subject::ReportIn => workflow::people_of::<report_in::Entity, _>(&self.d.db, &ids).await?,
                Subject::JoinRequest => workflow::people_of::<join_request::Entity, _>(&self.d.db, &ids).await?,
                Subject::Redemption => workflow::people_of::<redemption::Entity, _>(&self.d.db, &ids).await?,
                Subject::MealBooking => workflow::people_of::<meal_booking::Entity, _>(&self.d.db, &ids).await?,
                Subject::DataDeletion => {
                    workflow::people_of::<data_deletion_request::Entity, _>(&self.d.db, &ids).await?
                }
            };
            people.extend(found.into_iter().map(|(id, who)| ((kind, id), who)));
        }
        rows.into_iter()
            .map(|r| {
                let seq = r.relay_seq.ok_or_else(|| DomainError::internal("an unplaced event reached the relay"))?;
                let mut audience = Subject::of(&r.subject_kind)
                    .and_then(|s| people.get(&(s.as_str(), r.subject_id)).cloned())
                    .unwrap_or_default();
                if let Some(actor) = r.actor_id
                    && !audience.contains(&actor)
                {
                    audience.push(actor);
                }
                audience.sort_unstable();
                audience.dedup();
                Ok(RelayedEvent {
                    seq,
                    event_id: r.id,
                    community_id: r.community_id,
                    subject: r.subject_kind,
                    subject_id: r.subject_id,
                    from_status: r.from_status,
                    to_status: r.to_status,
                    actor_id: r.actor_id,
                    audience,
                    at: r.at,
                })
            })
            .collect()
    }
}
