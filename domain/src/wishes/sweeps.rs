//! The wish deadline: a claim not fulfilled by `claim_due_at` costs the
//! member points and, per the community's overdue policy, returns the wish
//! to the published list or escalates it to the secretary.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Select, Set};

use super::Wishes;
use super::kind::WishStep;
use super::machine::{WishAction, WishStatus};
use crate::Domain;
use crate::deadlines;
use crate::entities::wish;
use crate::error::DomainResult;
use crate::org::{OverduePolicy, policy_of};
use crate::workflow::{self, Deadline};

impl Wishes<'_> {
    /// Claims past their deadline, once each however many nodes sweep at
    /// the same time. Returns how many lapsed.
    pub async fn expire_claims(self) -> DomainResult<usize> {
        Ok(workflow::sweep(self.d, &Overdue).await?.len())
    }
}

struct Overdue;

impl Deadline for Overdue {
    type Kind = wish::Entity;
    type Outcome = ();

    fn due(&self, now: DateTime<Utc>) -> Select<wish::Entity> {
        wish::Entity::find()
            .filter(wish::Column::Status.eq(WishStatus::Claimed.as_str()))
            .filter(wish::Column::ClaimDueAt.lt(now))
            .order_by_asc(wish::Column::ClaimDueAt)
    }

    async fn plan(
        &self,
        _d: &Domain,
        txn: &DatabaseTransaction,
        row: &wish::Model,
        now: DateTime<Utc>,
    ) -> DomainResult<Option<(WishStep, ())>> {
        let Some(due) = row.claim_due_at else { return Ok(None) };
        let missed = format!("not fulfilled by {}", deadlines::local_time(due));
        let step = match policy_of(txn, row.community_id).await? {
            OverduePolicy::ReturnToPool => WishStep::system(WishAction::Lapse)
                .note(format!("{missed}: the claim lapsed and the wish is back in the list"))
                .set(|m| {
                    m.claimant_id = Set(None);
                    m.claim_due_at = Set(None);
                }),
            OverduePolicy::Escalate => {
                WishStep::system(WishAction::Escalate).note(format!("{missed}: escalated to the secretary"))
            }
        };
        Ok(Some((step.set(|m| m.overdue_at = Set(Some(now))).guard(wish::Column::ClaimDueAt.lt(now)), ())))
    }
}
