//! One skeleton for every deadline sweep.

use std::future::Future;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseTransaction, QuerySelect, Select, TransactionTrait};

use super::kind::{Kind, Row};
use super::step::{Step, step_in};
use crate::Domain;
use crate::error::DomainResult;

/// How many rows one pass takes at most; the next pass takes the rest.
const BATCH: u64 = 500;

/// The step a deadline takes on one row and what it reports; `None` leaves the row.
pub(crate) type Plan<K, O> = Option<(Step<K>, O)>;

/// A deadline of one kind of work: which rows are past it, and the step the
/// system takes on each.
pub(crate) trait Deadline: Sync {
    type Kind: Kind;
    /// What a pass reports per row it moved.
    type Outcome: Send;

    /// The rows past the deadline at `now`, most overdue first.
    fn due(&self, now: DateTime<Utc>) -> Select<<Self::Kind as Kind>::Entity>;

    /// The step for one row, decided inside the row's transaction (read
    /// through `txn` only); `None` leaves the row alone. The step should
    /// guard that the deadline still holds.
    fn plan<'a>(
        &'a self,
        d: &'a Domain,
        txn: &'a DatabaseTransaction,
        row: &'a Row<Self::Kind>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = DomainResult<Plan<Self::Kind, Self::Outcome>>> + Send + 'a;
}

/// One pass: each due row in its own transaction behind the guarded step,
/// so that several nodes sweeping at once move each row once. Returns what
/// each moved row reported.
pub(crate) async fn sweep<D: Deadline>(d: &Domain, deadline: &D) -> DomainResult<Vec<D::Outcome>> {
    let now = d.clock.now();
    let due = deadline.due(now).limit(BATCH).all(&d.db).await?;
    let mut moved = Vec::new();
    for row in due {
        let txn = d.db.begin().await?;
        let outcome = match deadline.plan(d, &txn, &row, now).await? {
            Some((step, outcome)) => step_in(d, &txn, &row, step).await?.map(|_| outcome),
            None => None,
        };
        match outcome {
            Some(outcome) => {
                txn.commit().await?;
                moved.push(outcome);
            }
            // Moved by someone else (another node) since it was read, or not due after all.
            None => txn.rollback().await?,
        }
    }
    Ok(moved)
}
