//! Banquets (红白喜事) in the contract canteen. The canteen lends its hall and
//! its tables, stools and bowls for free and sets the banquet menus, so a
//! family's only cost is tables × the menu's price per table. The
//! red-and-white affairs council (红白理事会), party members led by a party
//! member, keeps banquets within the community's limits to stop extravagance
//! (大操大办): a resident books a venue for a day, a council member (or the
//! secretary) who is not the booker approves or declines it, the booker or
//! the staff may cancel before the day, and the canteen marks it held.
//!
//! One venue has one active booking a day: an `active_key` of
//! "<venue>:<date>" is unique and cleared when a booking is declined or
//! cancelled, so the day frees up and however many families race for it,
//! exactly one gets it.

mod bookings;
mod kind;
mod machine;
mod model;
mod queries;
mod setup;

pub use machine::{BanquetAction, BanquetStatus, next_banquet_status};
pub use model::{
    BanquetEvent, BanquetKind, BanquetLimits, Booking, MAX_CALENDAR_DAYS, MAX_DAYS_AHEAD, Menu, NewBooking,
    SEATS_PER_TABLE, TakenDay, Venue, check_limits,
};
pub use setup::seed_banquets;

crate::area_service!(
    /// Banquets: the council's limits, venues and menus, bookings and their decisions, the calendar.
    Banquets
);
