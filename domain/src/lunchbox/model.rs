//! Lunchbox rosters, tasks and reports as the rules and screens see them.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;

use super::machine::DeliveryStatus;
use crate::canteen::MealKind;
use crate::entities::{lunchbox_delivery, lunchbox_recipient};
use crate::error::{DomainError, DomainResult};
use crate::org::{Actor, Role};
use crate::workflow::Event;

crate::string_enum!(RecipientCategory { EmptyNestElderly, LeftBehindChild, Disabled });

crate::string_enum!(
    /// Why a recipient got no lunchbox from a generation.
    ShortfallReason {
        /// The day's menu has no meal of the recipient's kind.
        NoMeal,
        /// Every meal of that kind is fully booked.
        SoldOut,
    }
);

pub type DeliveryEvent = Event<DeliveryStatus>;

/// 12:30, Asia/Shanghai.
pub const DEFAULT_DELIVER_BY_MINUTE: i32 = 750;
/// The most a recipient pays at the door: 50 yuan.
pub(crate) const MAX_PRICE_FEN: i64 = 5_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LunchboxSettings {
    /// Minutes after midnight (Asia/Shanghai) by which the day's lunchboxes should be delivered.
    pub deliver_by_minute: i32,
}

impl Default for LunchboxSettings {
    fn default() -> Self {
        Self { deliver_by_minute: DEFAULT_DELIVER_BY_MINUTE }
    }
}

/// One person on the roster, as staff see them (in full).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    pub id: i64,
    pub community_id: i64,
    pub name: String,
    pub user_id: Option<i64>,
    pub category: RecipientCategory,
    pub address: String,
    pub phone: String,
    /// What they pay at the door; 0 is free.
    pub price_fen: i64,
    pub meal_kind: MealKind,
    pub grid_worker_id: i64,
    pub active: bool,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<lunchbox_recipient::Model> for Recipient {
    type Error = DomainError;
    fn try_from(m: lunchbox_recipient::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            community_id: m.community_id,
            name: m.name,
            user_id: m.user_id,
            category: RecipientCategory::parse(&m.category)?,
            address: m.address,
            phone: m.phone,
            price_fen: m.price_fen,
            meal_kind: MealKind::parse(&m.meal_kind)?,
            grid_worker_id: m.grid_worker_id,
            active: m.active,
            note: m.note,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

/// What the roster form sends, for adding and for updating (all of it).
#[derive(Clone, Debug)]
pub struct RecipientInput {
    pub name: String,
    pub user_id: Option<i64>,
    pub category: RecipientCategory,
    pub address: String,
    pub phone: String,
    /// 0 is free.
    pub price_fen: i64,
    pub meal_kind: MealKind,
    pub grid_worker_id: i64,
    pub note: Option<String>,
}

/// One day's lunchbox for one recipient, as the viewer may see it: address
/// and phone are masked unless the viewer is staff of the community, the
/// volunteer currently holding it, or the recipient.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub id: i64,
    pub community_id: i64,
    pub served_on: NaiveDate,
    pub status: DeliveryStatus,
    pub recipient_id: i64,
    pub recipient_name: String,
    pub recipient_user_id: Option<i64>,
    pub category: RecipientCategory,
    pub address: String,
    pub phone: String,
    pub contact_masked: bool,
    pub grid_worker_id: i64,
    pub meal_id: i64,
    pub meal_name: String,
    pub meal_kind: MealKind,
    /// What the recipient pays at the door; 0 is free.
    pub price_fen: i64,
    pub claimant_id: Option<i64>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub photo_urls: Vec<String>,
    pub photo_confirmed_at: Option<DateTime<Utc>>,
    pub recipient_confirmed_at: Option<DateTime<Utc>>,
    pub cash_fen: Option<i64>,
    pub undelivered_reason: Option<String>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub alerted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Every change, oldest first.
    pub history: Vec<DeliveryEvent>,
}

/// A day's tasks per status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DayCounts {
    pub open: u64,
    pub claimed: u64,
    pub delivered: u64,
    pub undelivered: u64,
    pub cancelled: u64,
}

impl DayCounts {
    pub fn total(&self) -> u64 {
        self.open + self.claimed + self.delivered + self.undelivered + self.cancelled
    }
}

/// A recipient a generation could not cover.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shortfall {
    pub recipient_id: i64,
    pub recipient_name: String,
    pub meal_kind: MealKind,
    pub reason: ShortfallReason,
}

/// What a generation did.
#[derive(Clone, Debug)]
pub struct Generation {
    pub created: Vec<Delivery>,
    /// Active recipients who already had a task that day.
    pub already_generated: u64,
    pub shortfalls: Vec<Shortfall>,
}

/// One line of the office's deliveries export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryReportRow {
    pub delivery_id: i64,
    pub served_on: NaiveDate,
    pub recipient_id: i64,
    pub recipient_name: String,
    pub category: RecipientCategory,
    pub meal_id: i64,
    pub meal_name: String,
    pub meal_kind: MealKind,
    pub price_fen: i64,
    pub status: DeliveryStatus,
    pub claimant_id: Option<i64>,
    pub claimant_name: Option<String>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub photo_confirmed_at: Option<DateTime<Utc>>,
    pub recipient_confirmed_at: Option<DateTime<Utc>>,
    pub cash_fen: Option<i64>,
    pub undelivered_reason: Option<String>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub alerted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// The day in Asia/Shanghai.
pub(crate) fn shanghai_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Shanghai).date_naive()
}

/// `minute` minutes after midnight of `day`, Asia/Shanghai, as an instant.
pub(crate) fn deliver_by(day: NaiveDate, minute: i32) -> DomainResult<DateTime<Utc>> {
    day.and_hms_opt(0, 0, 0)
        .and_then(|t| Shanghai.from_local_datetime(&t).single())
        .map(|t| t.with_timezone(&Utc) + Duration::minutes(i64::from(minute)))
        .ok_or_else(|| DomainError::internal("deliver-by time out of range"))
}

/// Whether the viewer sees the recipient's address and phone in full: staff
/// of the community, the volunteer holding the task, and the recipient.
pub(crate) fn sees_contact(
    actor: &Actor,
    row: &lunchbox_delivery::Model,
    status: DeliveryStatus,
    recipient: &lunchbox_recipient::Model,
) -> bool {
    actor.has_any(row.community_id, &Role::STAFF)
        || (status == DeliveryStatus::Claimed && row.claimant_id == Some(actor.user_id))
        || (recipient.user_id.is_some() && recipient.user_id == Some(actor.user_id))
}
