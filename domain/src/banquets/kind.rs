//! Banquet bookings on the workflow spine. Nobody holds a booking, and no
//! points or notices follow its steps.

use super::machine::{BanquetAction, BanquetStatus, banquet_verb, next_banquet_status};
use crate::entities::banquet_booking;
use crate::workflow::{Kind, Step, Subject};

/// A step of a banquet booking.
pub(crate) type BookingStep = Step<banquet_booking::Entity>;

impl Kind for banquet_booking::Entity {
    type Status = BanquetStatus;
    type Action = BanquetAction;
    type Entity = banquet_booking::Entity;

    const SUBJECT: Subject = Subject::Banquet;
    const NOUN: &'static str = "banquet booking";
    const ID: banquet_booking::Column = banquet_booking::Column::Id;
    const COMMUNITY: banquet_booking::Column = banquet_booking::Column::CommunityId;
    const STATUS: banquet_booking::Column = banquet_booking::Column::Status;
    const HOLDER: Option<banquet_booking::Column> = None;
    const UPDATED_AT: Option<banquet_booking::Column> = Some(banquet_booking::Column::UpdatedAt);
    const PEOPLE: &'static [banquet_booking::Column] = &[banquet_booking::Column::BookedBy];

    fn next(from: BanquetStatus, action: BanquetAction) -> Option<BanquetStatus> {
        next_banquet_status(from, action)
    }

    fn verb(action: BanquetAction) -> &'static str {
        banquet_verb(action)
    }
}
