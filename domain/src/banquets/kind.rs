//! Banquet bookings on the workflow spine. Nobody holds a booking, and no
//! points or notices follow its steps.

use super::machine::{BanquetAction, BanquetStatus, banquet_verb, next_banquet_status};
use crate::entities::banquet_booking;
use crate::workflow::Step;

/// A step of a banquet booking.
pub(crate) type BookingStep = Step<banquet_booking::Entity>;

crate::workflow::kind!(
    banquet_booking: Banquet, "banquet booking", BanquetStatus, BanquetAction, next_banquet_status, banquet_verb;
    const HOLDER: Option<banquet_booking::Column> = None;
    const UPDATED_AT: Option<banquet_booking::Column> = Some(banquet_booking::Column::UpdatedAt);
    const PEOPLE: &'static [banquet_booking::Column] = &[banquet_booking::Column::BookedBy];
);
