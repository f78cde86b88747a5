//! Love lunchboxes (爱心盒饭): free or subsidised meals from the contract
//! canteen, delivered by the red service team (红色服务小分队) to empty-nest
//! elderly, left-behind children and disabled residents.
//!
//! The secretary and grid workers keep the roster. Each day's delivery
//! tasks are generated from it and the canteen's menu for that day: a
//! portion of a meal of the recipient's preferred kind is taken with the same
//! guard bookings use, so bookings and lunchboxes never oversell. Volunteers
//! and party members claim tasks (exactly one claimant), then confirm the
//! hand-over with a photo, and/or the recipient confirms receipt on their
//! own phone; cash taken at the door is booked in fen like the canteen's
//! counter payments. Lunchboxes still not delivered after the community's
//! deliver-by time are marked and alert the grid worker, the secretaries and
//! whoever holds the task, once. No dedication rule covers lunchboxes, so
//! nothing is deducted.

mod generate;
mod kind;
mod machine;
mod model;
mod queries;
mod roster;
mod service;
mod sweeps;

pub use machine::{DeliveryStatus, LunchboxAction, next_delivery_status};
pub use model::{
    DEFAULT_DELIVER_BY_MINUTE, DayCounts, Delivery, DeliveryEvent, DeliveryReportRow, Generation, LunchboxSettings,
    Recipient, RecipientCategory, RecipientInput, Shortfall, ShortfallReason,
};

crate::area_service!(
    /// Love lunchboxes: the roster, the day's tasks, delivering them, the late alert, the report.
    Lunchbox
);
