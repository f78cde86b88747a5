//! What a kind of work declares to run on the spine.

use std::fmt::Debug;
use std::future::Future;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseTransaction, EntityTrait};

use super::history::Subject;
use crate::Domain;
use crate::error::DomainResult;
use crate::rows::{int_column, text_column};

/// A status enum stored as text (see `string_enum!`).
pub trait Status: Copy + Eq + Debug + Send + Sync + 'static {
    /// Every status, in declaration order.
    const ALL: &'static [Self];
    fn as_str(self) -> &'static str;
    fn parse(s: &str) -> DomainResult<Self>;

    /// The stored texts of the statuses in a set (one of the status's `is_…`
    /// methods), for a query's `IN (…)`.
    fn texts_where(in_set: impl Fn(Self) -> bool) -> Vec<&'static str> {
        Self::ALL.iter().copied().filter(|s| in_set(*s)).map(Self::as_str).collect()
    }
}

/// The row type of a kind.
pub(crate) type Row<K> = <<K as Kind>::Entity as EntityTrait>::Model;
/// The changes type of a kind.
pub(crate) type Changes<K> = <<K as Kind>::Entity as EntityTrait>::ActiveModel;
/// A column of a kind's table.
pub(crate) type Column<K> = <<K as Kind>::Entity as EntityTrait>::Column;

/// A kind of work: its state machine, where its rows keep their status and
/// holder, and what else happens when it moves.
///
/// Adding a kind means declaring it with [`kind!`] (and a `Subject`); the guarded
/// update, the history and outbox row, the lost-race errors and the
/// deadline sweeps come from the spine.
pub(crate) trait Kind: Sized + Send + Sync + 'static {
    type Status: Status;
    type Action: Copy + Eq + Debug + Send + Sync + 'static;
    type Entity: EntityTrait;

    /// What its events are about.
    const SUBJECT: Subject;
    /// What people call one, in messages: "order", "lunchbox delivery", …
    const NOUN: &'static str;
    const ID: Column<Self>;
    const COMMUNITY: Column<Self>;
    const STATUS: Column<Self>;
    /// Who holds it now (the claimant), when it can be held. Every step is
    /// guarded on the holder as read as well as the status.
    const HOLDER: Option<Column<Self>>;
    /// When the row last changed, where it keeps that: set by every step,
    /// and the guard of a step that leaves the status as it is. A kind
    /// without one guards such steps itself.
    const UPDATED_AT: Option<Column<Self>>;
    /// The people its events concern besides whoever acted (placer,
    /// beneficiary, assignee, holder): who sees them on their own feed.
    const PEOPLE: &'static [Column<Self>];

    /// The state machine: where `action` takes a row in `from`, or `None`
    /// when it is not allowed there.
    fn next(from: Self::Status, action: Self::Action) -> Option<Self::Status>;

    /// The action as a past participle, for "a CLAIMED order cannot be …".
    fn verb(action: Self::Action) -> &'static str;

    /// Whether the action takes hold of the row: losing the race to another
    /// holder is `ALREADY_CLAIMED` rather than `INVALID_STATE`.
    fn claims(action: Self::Action) -> bool {
        let _ = action;
        false
    }

    /// What else happens in the step's transaction once the row has moved
    /// and its event is written: points, notices. Use `txn` only (on SQLite
    /// the pool has one connection, which the transaction holds).
    fn after_step(
        d: &Domain,
        txn: &DatabaseTransaction,
        moved: &Moved<'_, Self>,
    ) -> impl Future<Output = DomainResult<()>> + Send {
        let _ = (d, txn, moved);
        async { Ok(()) }
    }
}

/// Declares a workflow kind on its entity: the columns every kind has (`id`,
/// `community_id`, `status`), its subject and noun, and its state machine and
/// verb as functions; the rest (holder, last change, people, hooks) follows
/// the `;` as items of the `Kind` impl.
macro_rules! kind {
    ($entity:ident: $subject:ident, $noun:literal, $status:ty, $action:ty, $next:path, $verb:path; $($rest:tt)*) => {
        impl $crate::workflow::Kind for $crate::entities::$entity::Entity {
            type Status = $status;
            type Action = $action;
            type Entity = Self;

            const SUBJECT: $crate::workflow::Subject = $crate::workflow::Subject::$subject;
            const NOUN: &'static str = $noun;
            const ID: $crate::entities::$entity::Column = $crate::entities::$entity::Column::Id;
            const COMMUNITY: $crate::entities::$entity::Column = $crate::entities::$entity::Column::CommunityId;
            const STATUS: $crate::entities::$entity::Column = $crate::entities::$entity::Column::Status;

            fn next(from: $status, action: $action) -> Option<$status> {
                $next(from, action)
            }

            fn verb(action: $action) -> &'static str {
                $verb(action)
            }

            $($rest)*
        }
    };
}
pub(crate) use kind;

/// A step that happened, as the hooks see it.
pub(crate) struct Moved<'a, K: Kind> {
    /// The row as it was read before the step.
    pub before: &'a Row<K>,
    /// The row as the step left it.
    pub after: &'a Row<K>,
    pub action: K::Action,
    pub from: K::Status,
    pub to: K::Status,
    /// `None` when the system acted (a deadline).
    pub actor: Option<i64>,
    /// What the step's history says (a reason, an instruction, a question).
    pub note: Option<&'a str>,
    pub at: DateTime<Utc>,
}

/// The parts of a row the spine reads.
pub(crate) struct Head<K: Kind> {
    pub id: i64,
    pub community_id: i64,
    pub status: K::Status,
    pub holder: Option<i64>,
}

impl<K: Kind> Head<K> {
    pub fn of(row: &Row<K>) -> DomainResult<Self> {
        let missing = |what: &str| crate::DomainError::internal(format!("a {} row without {what}", K::NOUN));
        Ok(Self {
            id: int_column(row, K::ID).ok_or_else(|| missing("an id"))?,
            community_id: int_column(row, K::COMMUNITY).ok_or_else(|| missing("a community"))?,
            status: K::Status::parse(&text_column(row, K::STATUS).ok_or_else(|| missing("a status"))?)?,
            holder: K::HOLDER.and_then(|c| int_column(row, c)),
        })
    }
}
