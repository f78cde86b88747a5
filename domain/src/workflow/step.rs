//! The one guarded step every kind of work moves by.

use sea_orm::sea_query::IntoCondition;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, ModelTrait, QueryFilter,
    TransactionTrait,
};

use super::history::{Transition, record};
use super::kind::{Changes, Head, Kind, Moved, Row, Status};
use crate::Domain;
use crate::error::{DomainError, DomainResult};

/// One action on one row: who takes it, with what note, which other columns
/// it sets and what else must still hold when it is written.
pub(crate) struct Step<K: Kind> {
    action: K::Action,
    actor: Option<i64>,
    note: Option<String>,
    changes: Changes<K>,
    guard: Condition,
}

impl<K: Kind> Step<K> {
    /// A person acts.
    pub fn by(actor: i64, action: K::Action) -> Self {
        Self::new(Some(actor), action)
    }

    /// The system acts (a missed deadline, an alarm).
    pub fn system(action: K::Action) -> Self {
        Self::new(None, action)
    }

    pub fn new(actor: Option<i64>, action: K::Action) -> Self {
        Self {
            action,
            actor,
            note: None,
            changes: <Changes<K> as ActiveModelTrait>::default(),
            guard: Condition::all(),
        }
    }

    /// The note the history shows (a reason, a rating).
    pub fn note(mut self, note: impl Into<Option<String>>) -> Self {
        self.note = note.into();
        self
    }

    /// Other columns the step writes.
    pub fn set(mut self, change: impl FnOnce(&mut Changes<K>)) -> Self {
        change(&mut self.changes);
        self
    }

    /// What must still hold besides the status and holder as read (a
    /// deadline still passed, the assignee still the claimant).
    pub fn guard(mut self, condition: impl IntoCondition) -> Self {
        self.guard = self.guard.add(condition);
        self
    }
}

/// Takes the step in its own transaction and returns the row as it left it.
/// A step the state machine does not allow from the row's status is
/// `INVALID_STATE`; a row someone changed since it was read is
/// `ALREADY_CLAIMED` (another holder took it) or `INVALID_STATE`.
pub(crate) async fn step<K: Kind>(d: &Domain, row: &Row<K>, step: Step<K>) -> DomainResult<Row<K>> {
    let (action, actor) = (step.action, step.actor);
    let head = Head::<K>::of(row)?;
    if K::next(head.status, action).is_none() {
        return Err(not_allowed::<K>(head.status, action));
    }
    let txn = d.db.begin().await?;
    match step_in(d, &txn, row, step).await? {
        Some(after) => {
            txn.commit().await?;
            Ok(after)
        }
        None => Err(refused::<K>(d, txn, row, action, actor).await),
    }
}

fn not_allowed<K: Kind>(from: K::Status, action: K::Action) -> DomainError {
    DomainError::invalid_state(format!("a {} {} cannot be {}", from.as_str(), K::NOUN, K::verb(action)))
}

/// Takes the step inside the caller's transaction: the conditional update
/// (status, holder as read, and the step's own guard), the event, then the
/// kind's hooks. `None` when the step is not allowed from the row's status
/// or someone changed the row first; nothing is written then.
pub(crate) async fn step_in<K: Kind>(
    d: &Domain,
    txn: &DatabaseTransaction,
    row: &Row<K>,
    step: Step<K>,
) -> DomainResult<Option<Row<K>>> {
    let head = Head::<K>::of(row)?;
    let Some(to) = K::next(head.status, step.action) else { return Ok(None) };
    let now = d.clock.now();
    let mut changes = step.changes;
    changes.set(K::STATUS, to.as_str().into());
    if let Some(updated_at) = K::UPDATED_AT {
        changes.set(updated_at, now.into());
    }
    let mut guard = Condition::all().add(K::ID.eq(head.id)).add(K::STATUS.eq(head.status.as_str()));
    if let Some(holder) = K::HOLDER {
        guard = guard.add(match head.holder {
            Some(h) => holder.eq(h),
            None => holder.is_null(),
        });
    }
    if let (true, Some(updated_at)) = (to == head.status, K::UPDATED_AT) {
        // A step that leaves the status as it is (an alert, a record) would
        // pass the guard twice: it is guarded on the row's last change too.
        guard = guard.add(updated_at.eq(row.get(updated_at)));
    }
    // The changed row comes back with `RETURNING`: no second read.
    let mut updated =
        K::Entity::update_many().set(changes).filter(guard.add(step.guard)).exec_with_returning(txn).await?;
    if updated.len() > 1 {
        return Err(DomainError::internal(format!("a guarded {} step touched {} rows", K::NOUN, updated.len())));
    }
    let Some(after) = updated.pop() else { return Ok(None) };
    record(
        txn,
        Transition {
            subject: K::SUBJECT,
            subject_id: head.id,
            community_id: head.community_id,
            actor_id: step.actor,
            from: Some(head.status),
            to,
            note: step.note.as_deref(),
            at: now,
        },
    )
    .await?;
    let moved = Moved {
        before: row,
        after: &after,
        action: step.action,
        from: head.status,
        to,
        actor: step.actor,
        note: step.note.as_deref(),
        at: now,
    };
    K::after_step(d, txn, &moved).await?;
    Ok(Some(after))
}

/// Why [`step_in`] took no step, once `txn` is rolled back: the step is not
/// allowed from the status as read (`INVALID_STATE`), or the row changed
/// since it was read (`ALREADY_CLAIMED` when another holder took it,
/// `INVALID_STATE` otherwise). For callers that write more in the step's
/// transaction; [`step`] does this itself.
pub(crate) async fn refused<K: Kind>(
    d: &Domain,
    txn: DatabaseTransaction,
    row: &Row<K>,
    action: K::Action,
    actor: Option<i64>,
) -> DomainError {
    if let Err(e) = txn.rollback().await {
        return e.into();
    }
    let read = match Head::<K>::of(row) {
        Ok(head) => head,
        Err(e) => return e,
    };
    if K::next(read.status, action).is_none() {
        return not_allowed::<K>(read.status, action);
    }
    let now_is = match K::Entity::find().filter(K::ID.eq(read.id)).one(&d.db).await {
        Ok(Some(row)) => Head::<K>::of(&row),
        Ok(None) => return DomainError::NotFound(K::NOUN),
        Err(e) => return e.into(),
    };
    match now_is {
        Ok(now_is) if K::claims(action) && now_is.holder.is_some() && now_is.holder != actor => {
            DomainError::AlreadyClaimed
        }
        Ok(now_is) => DomainError::invalid_state(format!(
            "this {} changed to {} in the meantime; reload it",
            K::NOUN,
            now_is.status.as_str()
        )),
        Err(e) => e,
    }
}
/// Applies `changes` only where `guard` still holds, for records that are
/// not workflow kinds (a care profile edited from two phones, a consent
/// withdrawn twice). `false` means someone else changed the row first.
pub(crate) async fn guarded_update<C, A>(conn: &C, changes: A, guard: Condition) -> DomainResult<bool>
where
    C: sea_orm::ConnectionTrait,
    A: ActiveModelTrait + sea_orm::ActiveModelBehavior + sea_orm::IntoActiveModel<A> + Send,
{
    let updated = <A::Entity as EntityTrait>::update_many().set(changes).filter(guard).exec(conn).await?;
    match updated.rows_affected {
        0 => Ok(false),
        1 => Ok(true),
        n => Err(DomainError::internal(format!("a guarded update touched {n} rows"))),
    }
}

/// Records a new row's first event: from nothing to the status it was
/// written with, in the transaction that wrote it.
pub(crate) async fn created<K: Kind, C: sea_orm::ConnectionTrait>(
    conn: &C,
    row: &Row<K>,
    actor: Option<i64>,
    at: chrono::DateTime<chrono::Utc>,
) -> DomainResult<()> {
    let head = Head::<K>::of(row)?;
    record(
        conn,
        Transition {
            subject: K::SUBJECT,
            subject_id: head.id,
            community_id: head.community_id,
            actor_id: actor,
            from: None,
            to: head.status,
            note: None,
            at,
        },
    )
    .await
}
