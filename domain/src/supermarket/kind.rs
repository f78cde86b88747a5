//! Redemptions on the workflow spine: pending until picked up at the
//! counter or voided (by the resident, the operator, or the expiry sweep).
//! Either step settles the points and the reserved stock in its
//! transaction.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Select, Set};

use super::RedemptionStatus;
use crate::Domain;
use crate::entities::{redemption, supermarket_item};
use crate::error::DomainResult;
use crate::ledger::{AccountKind, AccountRef, Movement, TransferKind, TransferRequest, TransferStatus, post_in};
use crate::workflow::{Deadline, Moved, Step};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedemptionAction {
    /// The operator hands the goods over.
    PickUp,
    /// The resident or the operator cancels, or the hold expires.
    Void,
}

/// The redemption state machine: settled once, either way.
pub fn next_redemption_status(from: RedemptionStatus, action: RedemptionAction) -> Option<RedemptionStatus> {
    match (from, action) {
        (RedemptionStatus::Pending, RedemptionAction::PickUp) => Some(RedemptionStatus::Completed),
        (RedemptionStatus::Pending, RedemptionAction::Void) => Some(RedemptionStatus::Voided),
        _ => None,
    }
}

fn redemption_verb(action: RedemptionAction) -> &'static str {
    match action {
        RedemptionAction::PickUp => "picked up",
        RedemptionAction::Void => "voided",
    }
}

/// A step of a redemption.
pub(crate) type RedemptionStep = Step<redemption::Entity>;

crate::workflow::kind!(
    redemption: Redemption, "redemption", RedemptionStatus, RedemptionAction, next_redemption_status, redemption_verb;
    const HOLDER: Option<redemption::Column> = None;
    const UPDATED_AT: Option<redemption::Column> = None;
    const PEOPLE: &'static [redemption::Column] = &[redemption::Column::UserId];

    async fn after_step(_d: &Domain, txn: &DatabaseTransaction, moved: &Moved<'_, Self>) -> DomainResult<()> {
        settle(txn, moved.after, moved.to, moved.actor, moved.at).await
    }
);

/// Picked up: the held points go to the supermarket and the stock leaves.
/// Voided: the points go back and the reservation is released.
async fn settle(
    txn: &DatabaseTransaction,
    row: &redemption::Model,
    to: RedemptionStatus,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    let c = row.community_id;
    let (kind, target, reason) = match to {
        RedemptionStatus::Completed => (
            TransferKind::Settle,
            AccountRef::community(c, AccountKind::Supermarket),
            "picked up at the love supermarket",
        ),
        _ => (TransferKind::Release, AccountRef::resident(c, row.user_id), "redemption voided; points returned"),
    };
    // The item row before the accounts, in the same order as redeeming
    // takes them, so a redemption and a pickup never deadlock.
    let stock_change = if to == RedemptionStatus::Completed { row.quantity } else { 0 };
    supermarket_item::Entity::update_many()
        .col_expr(supermarket_item::Column::Reserved, Expr::col(supermarket_item::Column::Reserved).sub(row.quantity))
        .col_expr(supermarket_item::Column::Stock, Expr::col(supermarket_item::Column::Stock).sub(stock_change))
        .filter(supermarket_item::Column::Id.eq(row.item_id))
        .exec(txn)
        .await?;
    let transfer = post_in(
        txn,
        &TransferRequest {
            community_id: c,
            kind,
            key: format!("redemption:{}:{}", row.id, to.as_str().to_lowercase()),
            reason: reason.into(),
            created_by: by,
            reverses: None,
            movements: vec![Movement {
                from: AccountRef::community(c, AccountKind::Holds),
                to: target,
                amount: row.points,
            }],
            status: TransferStatus::Posted,
        },
        now,
    )
    .await?;
    redemption::Entity::update_many()
        .col_expr(redemption::Column::SettleTransferId, Expr::value(transfer.id))
        .filter(redemption::Column::Id.eq(row.id))
        .exec(txn)
        .await?;
    Ok(())
}

/// A pending redemption past its expiry is voided and its points go back.
pub(crate) struct Expired;

impl Deadline for Expired {
    type Kind = redemption::Entity;
    type Outcome = ();

    fn due(&self, now: DateTime<Utc>) -> Select<redemption::Entity> {
        redemption::Entity::find()
            .filter(redemption::Column::Status.eq(RedemptionStatus::Pending.as_str()))
            .filter(redemption::Column::ExpiresAt.lte(now))
            .order_by_asc(redemption::Column::ExpiresAt)
    }

    async fn plan(
        &self,
        _d: &Domain,
        _txn: &DatabaseTransaction,
        _row: &redemption::Model,
        now: DateTime<Utc>,
    ) -> DomainResult<Option<(RedemptionStep, ())>> {
        let step = settling(RedemptionAction::Void, None, now).guard(redemption::Column::ExpiresAt.lte(now));
        Ok(Some((step, ())))
    }
}

/// The step that settles a redemption one way or the other.
pub(crate) fn settling(action: RedemptionAction, by: Option<i64>, now: DateTime<Utc>) -> RedemptionStep {
    RedemptionStep::new(by, action).set(|m| {
        m.settled_by = Set(by);
        m.settled_at = Set(Some(now));
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redemption_is_settled_once_either_way() {
        use RedemptionAction as A;
        use RedemptionStatus as S;
        assert_eq!(next_redemption_status(S::Pending, A::PickUp), Some(S::Completed));
        assert_eq!(next_redemption_status(S::Pending, A::Void), Some(S::Voided));
        for from in [S::Completed, S::Voided] {
            for action in [A::PickUp, A::Void] {
                assert_eq!(next_redemption_status(from, action), None, "{from:?} {action:?}");
            }
        }
    }
}
