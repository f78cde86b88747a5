//! Meal bookings on the workflow spine: booked, then collected at the
//! counter or cancelled by the resident before the cutoff. Cancelling gives
//! the portions back to the day's meal and a coupon's points back to the
//! resident, in the step's transaction.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use super::BookingStatus;
use crate::Domain;
use crate::entities::{meal, meal_booking};
use crate::error::{DomainError, DomainResult};
use crate::ledger::{
    AccountKind, AccountRef, Movement, TransferKind, TransferRequest, TransferStatus, post_in, transfer_amount,
};
use crate::workflow::{Moved, Step};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BookingAction {
    /// The resident cancels before the cutoff.
    Cancel,
    /// The counter serves the meal.
    Collect,
}

/// The meal booking state machine: a booking ends once, either way.
pub fn next_booking_status(from: BookingStatus, action: BookingAction) -> Option<BookingStatus> {
    match (from, action) {
        (BookingStatus::Booked, BookingAction::Cancel) => Some(BookingStatus::Cancelled),
        (BookingStatus::Booked, BookingAction::Collect) => Some(BookingStatus::Collected),
        _ => None,
    }
}

fn booking_verb(action: BookingAction) -> &'static str {
    match action {
        BookingAction::Cancel => "cancelled",
        BookingAction::Collect => "collected",
    }
}

/// A step of a meal booking.
pub(crate) type BookingStep = Step<meal_booking::Entity>;

crate::workflow::kind!(
    meal_booking: MealBooking, "meal booking", BookingStatus, BookingAction, next_booking_status, booking_verb;
    const HOLDER: Option<meal_booking::Column> = None;
    const UPDATED_AT: Option<meal_booking::Column> = None;
    const PEOPLE: &'static [meal_booking::Column] = &[meal_booking::Column::UserId];

    async fn after_step(_d: &Domain, txn: &DatabaseTransaction, moved: &Moved<'_, Self>) -> DomainResult<()> {
        if moved.to == BookingStatus::Cancelled {
            give_back(txn, moved).await?;
        }
        Ok(())
    }
);

/// A cancelled booking's portions go back to the meal, and a coupon's points
/// (what it cost then, whatever coupons cost now) back to the resident.
async fn give_back(txn: &DatabaseTransaction, moved: &Moved<'_, meal_booking::Entity>) -> DomainResult<()> {
    let b = moved.after;
    meal::Entity::update_many()
        .col_expr(meal::Column::Booked, Expr::col(meal::Column::Booked).sub(b.quantity))
        .filter(meal::Column::Id.eq(b.meal_id))
        .exec(txn)
        .await?;
    let Some(coupon) = b.coupon_transfer_id else { return Ok(()) };
    let paid_points = transfer_amount(txn, coupon).await?;
    let m = meal::Entity::find_by_id(b.meal_id).one(txn).await?.ok_or(DomainError::NotFound("meal"))?;
    let c = b.community_id;
    post_in(
        txn,
        &TransferRequest {
            community_id: c,
            kind: TransferKind::Release,
            key: format!("meal-booking:{}:coupon-returned", b.id),
            reason: format!("coupon returned: {} booking cancelled", m.name),
            created_by: moved.actor,
            reverses: None,
            movements: vec![Movement {
                from: AccountRef::community(c, AccountKind::Canteen),
                to: AccountRef::resident(c, b.user_id),
                amount: paid_points,
            }],
            status: TransferStatus::Posted,
        },
        moved.at,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_meal_booking_ends_once_either_way() {
        use BookingAction as A;
        use BookingStatus as S;
        assert_eq!(next_booking_status(S::Booked, A::Cancel), Some(S::Cancelled));
        assert_eq!(next_booking_status(S::Booked, A::Collect), Some(S::Collected));
        for from in [S::Cancelled, S::Collected] {
            for action in [A::Cancel, A::Collect] {
                assert_eq!(next_booking_status(from, action), None, "{from:?} {action:?}");
            }
        }
    }
}
