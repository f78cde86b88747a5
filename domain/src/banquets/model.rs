//! Banquet limits, venues, menus and bookings as the rules and screens see them.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Asia::Shanghai;
use sea_orm::{ConnectionTrait, EntityTrait};
use serde::{Deserialize, Serialize};

use super::machine::BanquetStatus;
use crate::entities::{banquet_limits, banquet_menu, banquet_venue};
use crate::error::{DomainError, DomainResult};
use crate::org::authority;
use crate::org::{Actor, Role};
use crate::privacy::mask_phone;
use crate::workflow::Event;

crate::string_enum!(BanquetKind {
    /// 喜事: a wedding.
    Wedding,
    /// 白事: a funeral; it may be booked for the same or the next day.
    Funeral,
});

pub type BanquetEvent = Event<BanquetStatus>;

/// A round banquet table seats ten.
pub const SEATS_PER_TABLE: i32 = 10;
/// How far ahead a banquet may be booked.
pub const MAX_DAYS_AHEAD: i64 = 365;
/// The longest stretch the calendar answers for at once.
pub const MAX_CALENDAR_DAYS: i64 = 366;

pub(crate) const IDEMPOTENCY_SCOPE: &str = "banquet-booking";

/// The council's limits for one community, set by the secretary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BanquetLimits {
    /// At most this many tables a banquet (default 20).
    pub max_tables: i32,
    /// The dearest menu allowed, per table, in fen (default 60000: 600 yuan).
    pub max_price_per_table_fen: i64,
    /// The most a whole banquet may cost, in fen (default 1000000: 10000 yuan).
    pub max_total_fen: i64,
    /// Weddings are booked at least this many days ahead (default 7); funerals
    /// may be booked for the same or the next day.
    pub wedding_notice_days: i32,
}

impl Default for BanquetLimits {
    fn default() -> Self {
        Self { max_tables: 20, max_price_per_table_fen: 60_000, max_total_fen: 1_000_000, wedding_notice_days: 7 }
    }
}

#[derive(Clone, Debug)]
pub struct Venue {
    pub id: i64,
    pub community_id: i64,
    pub name: String,
    pub tables: i32,
}

impl From<banquet_venue::Model> for Venue {
    fn from(m: banquet_venue::Model) -> Self {
        Self { id: m.id, community_id: m.community_id, name: m.name, tables: m.tables }
    }
}

#[derive(Clone, Debug)]
pub struct Menu {
    pub id: i64,
    pub community_id: i64,
    pub name: String,
    pub price_per_table_fen: i64,
    pub dishes: Vec<String>,
    pub retired: bool,
}

impl TryFrom<banquet_menu::Model> for Menu {
    type Error = DomainError;
    fn try_from(m: banquet_menu::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            community_id: m.community_id,
            name: m.name,
            price_per_table_fen: m.price_per_table_fen,
            dishes: serde_json::from_str(&m.dishes).map_err(DomainError::internal)?,
            retired: m.retired_at.is_some(),
        })
    }
}

/// What a family asks for. Serialised to recognise a retried request.
#[derive(Clone, Debug, Serialize)]
pub struct NewBooking {
    pub venue_id: i64,
    pub menu_id: i64,
    pub date: NaiveDate,
    pub kind: BanquetKind,
    pub host_name: String,
    pub contact_phone: String,
    pub tables: i32,
    pub guests: i32,
    pub note: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Booking {
    pub id: i64,
    pub community_id: i64,
    pub venue_id: i64,
    pub venue_name: String,
    pub menu_id: i64,
    pub menu_name: String,
    pub booked_by: i64,
    pub date: NaiveDate,
    pub kind: BanquetKind,
    pub host_name: String,
    pub(crate) contact_phone: String,
    pub tables: i32,
    pub guests: i32,
    pub price_per_table_fen: i64,
    pub total_fen: i64,
    pub note: Option<String>,
    pub status: BanquetStatus,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decline_reason: Option<String>,
    pub cancelled_by: Option<i64>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub held_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Booking {
    /// The contact phone as `viewer` may see it, and whether it is masked:
    /// in full for the booker, the council, the canteen operator and the
    /// secretary; `138****5678` for everyone else.
    pub fn contact_phone_for(&self, viewer: &Actor) -> (String, bool) {
        if self.booked_by == viewer.user_id || is_steward(viewer, self.community_id) {
            (self.contact_phone.clone(), false)
        } else {
            (mask_phone(&self.contact_phone), true)
        }
    }
}

/// A venue-day that is taken, without who took it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TakenDay {
    pub venue_id: i64,
    pub venue_name: String,
    pub date: NaiveDate,
    /// Approved (or already held), not just asked for.
    pub confirmed: bool,
}

/// A council member: BANQUET_COUNCIL, still a party member there.
pub(crate) fn is_council(actor: &Actor, community_id: i64) -> bool {
    actor.has(community_id, Role::BanquetCouncil) && actor.has(community_id, Role::PartyMember)
}

/// Those who look after banquets: the council, the canteen and the secretary.
pub(crate) fn is_steward(actor: &Actor, community_id: i64) -> bool {
    is_council(actor, community_id) || actor.has_any(community_id, authority::KITCHEN)
}

/// Those who see the community's bookings: the stewards, and grid workers
/// (who see phones masked).
pub(crate) fn may_list(actor: &Actor, community_id: i64) -> bool {
    is_steward(actor, community_id) || actor.has(community_id, Role::GridWorker)
}

/// 60000 → "600", 12345 → "123.45".
pub(crate) fn yuan(fen: i64) -> String {
    if fen % 100 == 0 { format!("{}", fen / 100) } else { format!("{}.{:02}", fen / 100, fen % 100) }
}

pub(crate) fn today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&Shanghai).date_naive()
}

/// Checks a banquet's size and spending against the venue and the council's
/// limits; `BAD_USER_INPUT` names the field and the limit. Returns the total.
pub fn check_limits(
    limits: &BanquetLimits,
    venue: &Venue,
    tables: i32,
    guests: i32,
    price_per_table_fen: i64,
) -> DomainResult<i64> {
    if tables < 1 {
        return Err(DomainError::bad_input("tables", "book at least 1 table"));
    }
    if tables > venue.tables {
        return Err(DomainError::bad_input("tables", format!("{} seats at most {} tables", venue.name, venue.tables)));
    }
    if tables > limits.max_tables {
        return Err(DomainError::bad_input(
            "tables",
            format!("the red-and-white affairs council allows at most {} tables for a banquet", limits.max_tables),
        ));
    }
    let seats = tables * SEATS_PER_TABLE;
    if !(1..=seats).contains(&guests) {
        return Err(DomainError::bad_input(
            "guests",
            format!("{tables} tables seat 1 to {seats} guests ({SEATS_PER_TABLE} to a table)"),
        ));
    }
    if price_per_table_fen > limits.max_price_per_table_fen {
        return Err(DomainError::bad_input(
            "menuId",
            format!(
                "this menu costs {} yuan a table; the red-and-white affairs council allows at most {} yuan a table",
                yuan(price_per_table_fen),
                yuan(limits.max_price_per_table_fen)
            ),
        ));
    }
    let total = price_per_table_fen * i64::from(tables);
    if total > limits.max_total_fen {
        return Err(DomainError::bad_input(
            "tables",
            format!(
                "{tables} tables at {} yuan come to {} yuan; the red-and-white affairs council allows at most {} \
                 yuan for a banquet",
                yuan(price_per_table_fen),
                yuan(total),
                yuan(limits.max_total_fen)
            ),
        ));
    }
    Ok(total)
}

pub(crate) fn check_limits_values(l: &BanquetLimits) -> DomainResult<()> {
    if !(1..=200).contains(&l.max_tables) {
        return Err(DomainError::bad_input("maxTables", "the table limit is 1 to 200 tables"));
    }
    if !(100..=1_000_000).contains(&l.max_price_per_table_fen) {
        return Err(DomainError::bad_input("maxPricePerTableFen", "the limit per table is 1 to 10000 yuan"));
    }
    if !(100..=100_000_000).contains(&l.max_total_fen) {
        return Err(DomainError::bad_input("maxTotalFen", "the limit for a banquet is 1 to 1000000 yuan"));
    }
    if !(0..=180).contains(&l.wedding_notice_days) {
        return Err(DomainError::bad_input("weddingNoticeDays", "the notice for a wedding is 0 to 180 days"));
    }
    Ok(())
}

pub(crate) async fn limits_of<C: ConnectionTrait>(conn: &C, community_id: i64) -> DomainResult<BanquetLimits> {
    match banquet_limits::Entity::find_by_id(community_id).one(conn).await? {
        Some(row) => serde_json::from_str(&row.limits).map_err(DomainError::internal),
        None => Ok(BanquetLimits::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hall() -> Venue {
        Venue { id: 1, community_id: 1, name: "合约食堂大厅".into(), tables: 30 }
    }

    #[test]
    fn yuan_reads_as_people_write_it() {
        assert_eq!(yuan(60_000), "600");
        assert_eq!(yuan(12_345), "123.45");
        assert_eq!(yuan(5), "0.05");
    }

    #[test]
    fn the_default_limits_allow_twenty_tables_at_six_hundred_yuan_within_ten_thousand() {
        let l = BanquetLimits::default();
        assert_eq!(check_limits(&l, &hall(), 16, 150, 60_000).unwrap(), 960_000);
        let err = check_limits(&l, &hall(), 21, 150, 30_000).unwrap_err();
        assert!(matches!(&err, DomainError::BadInput { field: "tables", message } if message.contains("20 tables")));
        let err = check_limits(&l, &hall(), 10, 80, 60_001).unwrap_err();
        assert!(matches!(&err, DomainError::BadInput { field: "menuId", message } if message.contains("600 yuan")));
        let err = check_limits(&l, &hall(), 20, 150, 60_000).unwrap_err();
        assert!(matches!(&err, DomainError::BadInput { field: "tables", message } if message.contains("10000 yuan")));
        let err = check_limits(&l, &hall(), 2, 21, 30_000).unwrap_err();
        assert!(matches!(&err, DomainError::BadInput { field: "guests", .. }));
    }

    #[test]
    fn limits_are_read_with_defaults_for_what_is_missing() {
        let l: BanquetLimits = serde_json::from_str(r#"{"maxTables": 12}"#).unwrap();
        assert_eq!(l, BanquetLimits { max_tables: 12, ..BanquetLimits::default() });
    }
}
