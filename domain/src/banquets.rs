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

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Asia::Shanghai;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use crate::entities::{banquet_booking, banquet_limits, banquet_menu, banquet_venue};
use crate::error::{DomainError, DomainResult};
use crate::org::{Actor, Role};
use crate::pagination::{Page, PageRequest};
use crate::privacy::mask_phone;
use crate::workflow::{self, Subject, Transition, guarded_update};
use crate::{Domain, idempotency, validate};

crate::string_enum!(
    BanquetKind {
        /// 喜事: a wedding.
        Wedding = "WEDDING",
        /// 白事: a funeral; it may be booked for the same or the next day.
        Funeral = "FUNERAL",
    }
);

crate::string_enum!(
    BanquetStatus {
        Pending = "PENDING",
        Approved = "APPROVED",
        Declined = "DECLINED",
        Cancelled = "CANCELLED",
        Held = "HELD",
    }
);

pub type BanquetEvent = workflow::Event<BanquetStatus>;

/// Who runs the canteen's hall: venues, menus, and marking banquets held.
const KITCHEN: [Role; 2] = [Role::CanteenOperator, Role::Secretary];

/// A round banquet table seats ten.
pub const SEATS_PER_TABLE: i32 = 10;
/// How far ahead a banquet may be booked.
pub const MAX_DAYS_AHEAD: i64 = 365;
/// The longest stretch the calendar answers for at once.
pub const MAX_CALENDAR_DAYS: i64 = 366;

const IDEMPOTENCY_SCOPE: &str = "banquet-booking";

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
    contact_phone: String,
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
fn is_council(actor: &Actor, community_id: i64) -> bool {
    actor.has(community_id, Role::BanquetCouncil) && actor.has(community_id, Role::PartyMember)
}

/// Those who look after banquets: the council, the canteen and the secretary.
fn is_steward(actor: &Actor, community_id: i64) -> bool {
    is_council(actor, community_id) || actor.has_any(community_id, &KITCHEN)
}

/// Those who see the community's bookings: the stewards, and grid workers
/// (who see phones masked).
fn may_list(actor: &Actor, community_id: i64) -> bool {
    is_steward(actor, community_id) || actor.has(community_id, Role::GridWorker)
}

/// 60000 → "600", 12345 → "123.45".
fn yuan(fen: i64) -> String {
    if fen % 100 == 0 { format!("{}", fen / 100) } else { format!("{}.{:02}", fen / 100, fen % 100) }
}

fn today(now: DateTime<Utc>) -> NaiveDate {
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

fn check_limits_values(l: &BanquetLimits) -> DomainResult<()> {
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

async fn limits_of<C: ConnectionTrait>(conn: &C, community_id: i64) -> DomainResult<BanquetLimits> {
    match banquet_limits::Entity::find_by_id(community_id).one(conn).await? {
        Some(row) => serde_json::from_str(&row.limits).map_err(DomainError::internal),
        None => Ok(BanquetLimits::default()),
    }
}

impl Domain {
    // ---------------------------------------------------------------------
    // The council's limits
    // ---------------------------------------------------------------------

    /// The limits, for anyone in the community.
    pub async fn banquet_limits(&self, actor: &Actor, community_id: i64) -> DomainResult<BanquetLimits> {
        actor.require_member(community_id)?;
        limits_of(&self.db, community_id).await
    }

    /// The secretary sets the council's limits. Bookings already approved
    /// stand; pending ones are checked again when approved.
    pub async fn set_banquet_limits(
        &self,
        actor: &Actor,
        community_id: i64,
        limits: BanquetLimits,
    ) -> DomainResult<BanquetLimits> {
        actor.require_any(community_id, &[Role::Secretary], "set the banquet limits")?;
        check_limits_values(&limits)?;
        let row = banquet_limits::ActiveModel {
            community_id: Set(community_id),
            limits: Set(serde_json::to_string(&limits).map_err(DomainError::internal)?),
            updated_by: Set(actor.user_id),
            updated_at: Set(self.clock.now()),
        };
        banquet_limits::Entity::insert(row)
            .on_conflict(
                OnConflict::column(banquet_limits::Column::CommunityId)
                    .update_columns([
                        banquet_limits::Column::Limits,
                        banquet_limits::Column::UpdatedBy,
                        banquet_limits::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
        Ok(limits)
    }

    // ---------------------------------------------------------------------
    // Venues and menus
    // ---------------------------------------------------------------------

    pub async fn create_banquet_venue(
        &self,
        actor: &Actor,
        community_id: i64,
        name: &str,
        tables: i32,
    ) -> DomainResult<Venue> {
        actor.require_any(community_id, &KITCHEN, "set up banquet venues")?;
        let name = validate::required_text("name", name, 30)?;
        if !(1..=200).contains(&tables) {
            return Err(DomainError::bad_input("tables", "a venue seats 1 to 200 tables"));
        }
        let inserted = banquet_venue::ActiveModel {
            community_id: Set(community_id),
            name: Set(name.clone()),
            tables: Set(tables),
            created_by: Set(Some(actor.user_id)),
            created_at: Set(self.clock.now()),
            ..Default::default()
        }
        .insert(&self.db)
        .await;
        match inserted.map_err(DomainError::from) {
            Ok(row) => Ok(row.into()),
            Err(DomainError::Conflict(_)) => {
                Err(DomainError::Conflict(format!("this community already has a venue called {name}")))
            }
            Err(e) => Err(e),
        }
    }

    pub async fn banquet_venues(&self, actor: &Actor, community_id: i64) -> DomainResult<Vec<Venue>> {
        actor.require_member(community_id)?;
        Ok(banquet_venue::Entity::find()
            .filter(banquet_venue::Column::CommunityId.eq(community_id))
            .order_by_asc(banquet_venue::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(Venue::from)
            .collect())
    }

    async fn visible_venue(&self, actor: &Actor, id: i64) -> DomainResult<banquet_venue::Model> {
        banquet_venue::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .filter(|v| actor.belongs_to(v.community_id))
            .ok_or(DomainError::NotFound("venue"))
    }

    pub async fn create_banquet_menu(
        &self,
        actor: &Actor,
        community_id: i64,
        name: &str,
        price_per_table_fen: i64,
        dishes: &[String],
    ) -> DomainResult<Menu> {
        actor.require_any(community_id, &KITCHEN, "set banquet menus")?;
        let name = validate::required_text("name", name, 30)?;
        if !(100..=1_000_000).contains(&price_per_table_fen) {
            return Err(DomainError::bad_input("pricePerTableFen", "a table costs 1 to 10000 yuan"));
        }
        if !(1..=30).contains(&dishes.len()) {
            return Err(DomainError::bad_input("dishes", "a banquet menu lists 1 to 30 dishes"));
        }
        let dishes =
            dishes.iter().map(|d| validate::required_text("dishes", d, 30)).collect::<DomainResult<Vec<_>>>()?;
        banquet_menu::ActiveModel {
            community_id: Set(community_id),
            name: Set(name),
            price_per_table_fen: Set(price_per_table_fen),
            dishes: Set(serde_json::to_string(&dishes).map_err(DomainError::internal)?),
            created_by: Set(Some(actor.user_id)),
            created_at: Set(self.clock.now()),
            ..Default::default()
        }
        .insert(&self.db)
        .await?
        .try_into()
    }

    /// A retired menu is no longer offered; bookings made with it keep their price.
    pub async fn retire_banquet_menu(&self, actor: &Actor, id: i64) -> DomainResult<Menu> {
        let menu = self.visible_menu(actor, id).await?;
        actor.require_any(menu.community_id, &KITCHEN, "retire banquet menus")?;
        banquet_menu::Entity::update_many()
            .col_expr(banquet_menu::Column::RetiredAt, Expr::value(self.clock.now()))
            .filter(banquet_menu::Column::Id.eq(id))
            .filter(banquet_menu::Column::RetiredAt.is_null())
            .exec(&self.db)
            .await?;
        self.visible_menu(actor, id).await?.try_into()
    }

    /// The menus on offer (and the retired ones too when asked).
    pub async fn banquet_menus(
        &self,
        actor: &Actor,
        community_id: i64,
        include_retired: bool,
    ) -> DomainResult<Vec<Menu>> {
        actor.require_member(community_id)?;
        let mut query = banquet_menu::Entity::find().filter(banquet_menu::Column::CommunityId.eq(community_id));
        if !include_retired {
            query = query.filter(banquet_menu::Column::RetiredAt.is_null());
        }
        query.order_by_asc(banquet_menu::Column::Id).all(&self.db).await?.into_iter().map(Menu::try_from).collect()
    }

    async fn visible_menu(&self, actor: &Actor, id: i64) -> DomainResult<banquet_menu::Model> {
        banquet_menu::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .filter(|m| actor.belongs_to(m.community_id))
            .ok_or(DomainError::NotFound("menu"))
    }

    // ---------------------------------------------------------------------
    // Bookings
    // ---------------------------------------------------------------------

    /// A resident books a venue for a day. A retry with the same key returns
    /// the same booking; the same key with another request is `CONFLICT`; a
    /// venue-day already taken is `CONFLICT`.
    pub async fn book_banquet(&self, actor: &Actor, input: NewBooking, idempotency_key: &str) -> DomainResult<Booking> {
        let venue: Venue = self.visible_venue(actor, input.venue_id).await?.into();
        let c = venue.community_id;
        actor.require_any(c, &[Role::Resident], "book a banquet")?;
        idempotency::check_key(idempotency_key)?;
        let hash = idempotency::request_hash(&input)?;
        if let Some(id) =
            idempotency::replayed(&self.db, actor.user_id, IDEMPOTENCY_SCOPE, idempotency_key, &hash).await?
        {
            return self.booking_by_id(id).await;
        }
        let menu = banquet_menu::Entity::find_by_id(input.menu_id)
            .one(&self.db)
            .await?
            .filter(|m| m.community_id == c)
            .ok_or(DomainError::NotFound("menu"))?;
        if menu.retired_at.is_some() {
            return Err(DomainError::bad_input("menuId", "this menu is no longer offered; choose another"));
        }
        let host_name = validate::required_text("hostName", &input.host_name, 30)?;
        let phone = validate::phone("contactPhone", &input.contact_phone)?;
        let note = validate::optional_text("note", input.note.clone(), 500)?;
        let now = self.clock.now();
        let today = today(now);
        if input.date < today {
            return Err(DomainError::bad_input("date", "this date has passed; choose today or a later day"));
        }
        if input.date > today + Duration::days(MAX_DAYS_AHEAD) {
            return Err(DomainError::bad_input(
                "date",
                format!("banquets are booked at most {MAX_DAYS_AHEAD} days ahead"),
            ));
        }
        let limits = limits_of(&self.db, c).await?;
        if input.kind == BanquetKind::Wedding {
            let earliest = today + Duration::days(i64::from(limits.wedding_notice_days));
            if input.date < earliest {
                return Err(DomainError::bad_input(
                    "date",
                    format!(
                        "weddings are booked at least {} days ahead; the earliest date now is {earliest}",
                        limits.wedding_notice_days
                    ),
                ));
            }
        }
        let total = check_limits(&limits, &venue, input.tables, input.guests, menu.price_per_table_fen)?;
        let taken = || {
            DomainError::Conflict(format!(
                "{} is already booked on {}; choose another day or venue",
                venue.name, input.date
            ))
        };
        let active_key = format!("{}:{}", venue.id, input.date);
        // No look first: the unique active key is the one guard, also for racing families.
        let txn = self.db.begin().await?;
        let inserted = banquet_booking::ActiveModel {
            community_id: Set(c),
            venue_id: Set(venue.id),
            menu_id: Set(menu.id),
            booked_by: Set(actor.user_id),
            held_on: Set(input.date),
            kind: Set(input.kind.as_str().into()),
            host_name: Set(host_name),
            contact_phone: Set(phone),
            tables: Set(input.tables),
            guests: Set(input.guests),
            price_per_table_fen: Set(menu.price_per_table_fen),
            total_fen: Set(total),
            note: Set(note),
            status: Set(BanquetStatus::Pending.as_str().into()),
            active_key: Set(Some(active_key)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(DomainError::from);
        let row = match inserted {
            Ok(row) => row,
            Err(DomainError::Conflict(_)) => {
                txn.rollback().await?;
                // The same request sent twice at once wins once; anyone else lost the day.
                return match idempotency::replayed(&self.db, actor.user_id, IDEMPOTENCY_SCOPE, idempotency_key, &hash)
                    .await?
                {
                    Some(id) => self.booking_by_id(id).await,
                    None => Err(taken()),
                };
            }
            Err(e) => return Err(e),
        };
        workflow::record(
            &txn,
            Transition {
                subject: Subject::Banquet,
                subject_id: row.id,
                community_id: c,
                actor_id: Some(actor.user_id),
                from: None,
                to: BanquetStatus::Pending,
                note: None,
                at: now,
            },
        )
        .await?;
        let remembered =
            idempotency::remember(&txn, actor.user_id, IDEMPOTENCY_SCOPE, idempotency_key, &hash, row.id, now).await;
        match remembered {
            Ok(()) => {}
            Err(DomainError::Conflict(_)) => {
                // The key was used at the same moment for another venue or day.
                txn.rollback().await?;
                return match idempotency::replayed(&self.db, actor.user_id, IDEMPOTENCY_SCOPE, idempotency_key, &hash)
                    .await?
                {
                    Some(id) => self.booking_by_id(id).await,
                    None => Err(DomainError::Conflict("this request collided with another; try again".into())),
                };
            }
            Err(e) => return Err(e),
        }
        txn.commit().await?;
        self.hydrate_one(row).await
    }

    async fn booking_by_id(&self, id: i64) -> DomainResult<Booking> {
        let row = banquet_booking::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound("banquet booking"))?;
        self.hydrate_one(row).await
    }

    /// The booking's row if `actor` may see it: the booker, or someone who
    /// looks after the community's banquets. `NOT_FOUND` for anyone else.
    async fn visible_booking(&self, actor: &Actor, id: i64) -> DomainResult<banquet_booking::Model> {
        banquet_booking::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .filter(|b| b.booked_by == actor.user_id || may_list(actor, b.community_id))
            .ok_or(DomainError::NotFound("banquet booking"))
    }

    pub async fn banquet_booking(&self, actor: &Actor, id: i64) -> DomainResult<Booking> {
        let row = self.visible_booking(actor, id).await?;
        self.hydrate_one(row).await
    }

    /// A council member or the secretary, not the booker, approves a pending
    /// booking, if it still keeps within the council's (current) limits.
    pub async fn approve_banquet_booking(&self, actor: &Actor, id: i64) -> DomainResult<Booking> {
        let row = self.visible_booking(actor, id).await?;
        self.require_decider(actor, &row)?;
        if today(self.clock.now()) > row.held_on {
            return Err(DomainError::invalid_state("the day of this banquet has passed; it can no longer be approved"));
        }
        let venue: Venue = banquet_venue::Entity::find_by_id(row.venue_id)
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound("venue"))?
            .into();
        let limits = limits_of(&self.db, row.community_id).await?;
        if let Err(DomainError::BadInput { message, .. }) =
            check_limits(&limits, &venue, row.tables, row.guests, row.price_per_table_fen)
        {
            return Err(DomainError::invalid_state(format!(
                "this booking is outside the council's current limits: {message}. Decline it with that reason, so \
                 the family can book again within them"
            )));
        }
        let now = self.clock.now();
        let changes = banquet_booking::ActiveModel {
            decided_by: Set(Some(actor.user_id)),
            decided_at: Set(Some(now)),
            ..Default::default()
        };
        self.move_booking(actor, &row, &[BanquetStatus::Pending], BanquetStatus::Approved, None, changes).await
    }

    /// Declining frees the day; the family sees the reason.
    pub async fn decline_banquet_booking(&self, actor: &Actor, id: i64, reason: &str) -> DomainResult<Booking> {
        let row = self.visible_booking(actor, id).await?;
        self.require_decider(actor, &row)?;
        let reason = validate::required_text("reason", reason, 500)?;
        let now = self.clock.now();
        let changes = banquet_booking::ActiveModel {
            active_key: Set(None),
            decided_by: Set(Some(actor.user_id)),
            decided_at: Set(Some(now)),
            decline_reason: Set(Some(reason.clone())),
            ..Default::default()
        };
        self.move_booking(actor, &row, &[BanquetStatus::Pending], BanquetStatus::Declined, Some(&reason), changes).await
    }

    fn require_decider(&self, actor: &Actor, row: &banquet_booking::Model) -> DomainResult<()> {
        if !is_council(actor, row.community_id) && !actor.has(row.community_id, Role::Secretary) {
            return Err(DomainError::forbidden(
                "only the red-and-white affairs council (BANQUET_COUNCIL party members) or the secretary may \
                 approve or decline banquet bookings",
            ));
        }
        if row.booked_by == actor.user_id {
            return Err(DomainError::forbidden(
                "you booked this banquet yourself; another council member or the secretary decides it",
            ));
        }
        Ok(())
    }

    /// The booker, the council, the canteen or the secretary cancels before
    /// the day; the day frees up. Staff cancelling a family's booking say why.
    pub async fn cancel_banquet_booking(
        &self,
        actor: &Actor,
        id: i64,
        reason: Option<String>,
    ) -> DomainResult<Booking> {
        let row = self.visible_booking(actor, id).await?;
        let own = row.booked_by == actor.user_id;
        if !own && !is_steward(actor, row.community_id) {
            return Err(DomainError::forbidden(
                "only the family who booked, the council, the canteen or the secretary may cancel a banquet",
            ));
        }
        let reason = validate::optional_text("reason", reason, 500)?;
        if !own && reason.is_none() {
            return Err(DomainError::bad_input(
                "reason",
                "say why you are cancelling this family's banquet; they will see it",
            ));
        }
        if today(self.clock.now()) >= row.held_on {
            return Err(DomainError::invalid_state(format!(
                "a banquet can be cancelled until the day before it ({}); talk to the canteen",
                row.held_on
            )));
        }
        let now = self.clock.now();
        let changes = banquet_booking::ActiveModel {
            active_key: Set(None),
            cancelled_by: Set(Some(actor.user_id)),
            cancelled_at: Set(Some(now)),
            cancel_reason: Set(reason.clone()),
            ..Default::default()
        };
        self.move_booking(
            actor,
            &row,
            &[BanquetStatus::Pending, BanquetStatus::Approved],
            BanquetStatus::Cancelled,
            reason.as_deref(),
            changes,
        )
        .await
    }

    /// The canteen (or the secretary) marks an approved banquet held, on or after its day.
    pub async fn mark_banquet_held(&self, actor: &Actor, id: i64) -> DomainResult<Booking> {
        let row = self.visible_booking(actor, id).await?;
        actor.require_any(row.community_id, &KITCHEN, "mark banquets held")?;
        if today(self.clock.now()) < row.held_on {
            return Err(DomainError::invalid_state(format!(
                "this banquet is on {}; mark it held on or after that day",
                row.held_on
            )));
        }
        let now = self.clock.now();
        let changes = banquet_booking::ActiveModel {
            held_by: Set(Some(actor.user_id)),
            held_at: Set(Some(now)),
            ..Default::default()
        };
        self.move_booking(actor, &row, &[BanquetStatus::Approved], BanquetStatus::Held, None, changes).await
    }

    /// One step of a booking: a conditional update on the status it was read
    /// in, and its event, in one transaction.
    async fn move_booking(
        &self,
        actor: &Actor,
        row: &banquet_booking::Model,
        allowed: &[BanquetStatus],
        to: BanquetStatus,
        note: Option<&str>,
        mut changes: banquet_booking::ActiveModel,
    ) -> DomainResult<Booking> {
        let from = BanquetStatus::parse(&row.status)?;
        if !allowed.contains(&from) {
            return Err(DomainError::invalid_state(format!(
                "this booking is {}; it cannot become {}",
                from.as_str(),
                to.as_str()
            )));
        }
        let now = self.clock.now();
        changes.status = Set(to.as_str().into());
        changes.updated_at = Set(now);
        let guard = Condition::all()
            .add(banquet_booking::Column::Id.eq(row.id))
            .add(banquet_booking::Column::Status.eq(from.as_str()));
        let txn = self.db.begin().await?;
        if !guarded_update(&txn, changes, guard).await? {
            txn.rollback().await?;
            let now_is = self.booking_by_id(row.id).await?;
            return Err(DomainError::invalid_state(format!(
                "this booking changed to {} in the meantime; reload it",
                now_is.status.as_str()
            )));
        }
        workflow::record(
            &txn,
            Transition {
                subject: Subject::Banquet,
                subject_id: row.id,
                community_id: row.community_id,
                actor_id: Some(actor.user_id),
                from: Some(from),
                to,
                note,
                at: now,
            },
        )
        .await?;
        txn.commit().await?;
        self.booking_by_id(row.id).await
    }

    // ---------------------------------------------------------------------
    // Reading
    // ---------------------------------------------------------------------

    /// Which venue-days are taken between `from` and `to` (inclusive), for
    /// anyone in the community; no names, phones or kinds.
    pub async fn banquet_calendar(
        &self,
        actor: &Actor,
        community_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> DomainResult<Vec<TakenDay>> {
        actor.require_member(community_id)?;
        if to < from {
            return Err(DomainError::bad_input("to", "`to` must not be before `from`"));
        }
        if (to - from).num_days() >= MAX_CALENDAR_DAYS {
            return Err(DomainError::bad_input("to", format!("ask for at most {MAX_CALENDAR_DAYS} days at a time")));
        }
        let rows = banquet_booking::Entity::find()
            .filter(banquet_booking::Column::CommunityId.eq(community_id))
            .filter(banquet_booking::Column::HeldOn.gte(from))
            .filter(banquet_booking::Column::HeldOn.lte(to))
            .filter(banquet_booking::Column::ActiveKey.is_not_null())
            .order_by_asc(banquet_booking::Column::HeldOn)
            .order_by_asc(banquet_booking::Column::VenueId)
            .all(&self.db)
            .await?;
        let venues = self.venue_names(rows.iter().map(|r| r.venue_id)).await?;
        rows.into_iter()
            .map(|r| {
                let status = BanquetStatus::parse(&r.status)?;
                Ok(TakenDay {
                    venue_name: venues.get(&r.venue_id).cloned().unwrap_or_default(),
                    venue_id: r.venue_id,
                    date: r.held_on,
                    confirmed: matches!(status, BanquetStatus::Approved | BanquetStatus::Held),
                })
            })
            .collect()
    }

    /// Your own bookings, newest first (the last 100), in one community or all.
    pub async fn my_banquet_bookings(&self, actor: &Actor, community_id: Option<i64>) -> DomainResult<Vec<Booking>> {
        let mut query = banquet_booking::Entity::find().filter(banquet_booking::Column::BookedBy.eq(actor.user_id));
        if let Some(c) = community_id {
            actor.require_member(c)?;
            query = query.filter(banquet_booking::Column::CommunityId.eq(c));
        }
        let rows = query.order_by_desc(banquet_booking::Column::Id).limit(100).all(&self.db).await?;
        self.hydrate(rows).await
    }

    /// The community's bookings, newest first, for the council, the canteen,
    /// the secretary and grid workers.
    pub async fn banquet_bookings(
        &self,
        actor: &Actor,
        community_id: i64,
        status: Option<BanquetStatus>,
        page: PageRequest,
    ) -> DomainResult<Page<Booking>> {
        actor.require_member(community_id)?;
        if !may_list(actor, community_id) {
            return Err(DomainError::forbidden(
                "only the red-and-white affairs council, the canteen, the secretary and grid workers may list \
                 banquet bookings",
            ));
        }
        let mut cond = Condition::all().add(banquet_booking::Column::CommunityId.eq(community_id));
        if let Some(s) = status {
            cond = cond.add(banquet_booking::Column::Status.eq(s.as_str()));
        }
        let total_count = banquet_booking::Entity::find().filter(cond.clone()).count(&self.db).await?;
        let mut query = banquet_booking::Entity::find().filter(cond);
        if let Some(after) = page.after {
            query = query.filter(banquet_booking::Column::Id.lt(after));
        }
        let mut rows = query.order_by_desc(banquet_booking::Column::Id).limit(page.first + 1).all(&self.db).await?;
        let has_next_page = rows.len() as u64 > page.first;
        rows.truncate(page.first as usize);
        Ok(Page {
            items: self.hydrate(rows).await?,
            has_next_page,
            has_previous_page: page.after.is_some(),
            total_count,
        })
    }

    /// Histories of many bookings in one statement, oldest event first.
    pub async fn banquet_histories(&self, ids: &[i64]) -> DomainResult<HashMap<i64, Vec<BanquetEvent>>> {
        workflow::histories(&self.db, Subject::Banquet, ids).await
    }

    async fn venue_names(&self, ids: impl Iterator<Item = i64>) -> DomainResult<HashMap<i64, String>> {
        let ids: Vec<i64> = ids.collect();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        Ok(banquet_venue::Entity::find()
            .filter(banquet_venue::Column::Id.is_in(ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|v| (v.id, v.name))
            .collect())
    }

    async fn hydrate_one(&self, row: banquet_booking::Model) -> DomainResult<Booking> {
        self.hydrate(vec![row]).await?.pop().ok_or(DomainError::NotFound("banquet booking"))
    }

    /// Rows with their venue and menu names, in two statements.
    async fn hydrate(&self, rows: Vec<banquet_booking::Model>) -> DomainResult<Vec<Booking>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let venues = self.venue_names(rows.iter().map(|r| r.venue_id)).await?;
        let menus: HashMap<i64, String> = banquet_menu::Entity::find()
            .filter(banquet_menu::Column::Id.is_in(rows.iter().map(|r| r.menu_id)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| (m.id, m.name))
            .collect();
        rows.into_iter()
            .map(|m| {
                Ok(Booking {
                    id: m.id,
                    community_id: m.community_id,
                    venue_id: m.venue_id,
                    venue_name: venues.get(&m.venue_id).cloned().unwrap_or_default(),
                    menu_id: m.menu_id,
                    menu_name: menus.get(&m.menu_id).cloned().unwrap_or_default(),
                    booked_by: m.booked_by,
                    date: m.held_on,
                    kind: BanquetKind::parse(&m.kind)?,
                    host_name: m.host_name,
                    contact_phone: m.contact_phone,
                    tables: m.tables,
                    guests: m.guests,
                    price_per_table_fen: m.price_per_table_fen,
                    total_fen: m.total_fen,
                    note: m.note,
                    status: BanquetStatus::parse(&m.status)?,
                    decided_by: m.decided_by,
                    decided_at: m.decided_at,
                    decline_reason: m.decline_reason,
                    cancelled_by: m.cancelled_by,
                    cancelled_at: m.cancelled_at,
                    cancel_reason: m.cancel_reason,
                    held_at: m.held_at,
                    created_at: m.created_at,
                })
            })
            .collect()
    }
}

/// Demo data for one community: the canteen's hall (合约食堂大厅, 30 tables)
/// and two banquet menus. Does nothing when the community has a venue already.
pub async fn seed_banquets<C: ConnectionTrait>(db: &C, community_id: i64) -> DomainResult<()> {
    let existing =
        banquet_venue::Entity::find().filter(banquet_venue::Column::CommunityId.eq(community_id)).count(db).await?;
    if existing > 0 {
        return Ok(());
    }
    // Demo rows carry the time they were written; no rule reads it.
    let now = Utc::now();
    banquet_venue::ActiveModel {
        community_id: Set(community_id),
        name: Set("合约食堂大厅".into()),
        tables: Set(30),
        created_by: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let menus: [(&str, i64, &[&str]); 2] = [
        (
            "家常八菜一汤",
            30_000,
            &["酸汤鱼", "腊肉炒蒜苗", "辣子鸡", "粉蒸肉", "血豆腐", "炒时蔬", "凉拌折耳根", "糯米饭", "豆腐青菜汤"],
        ),
        (
            "十菜一汤",
            45_000,
            &[
                "酸汤鱼",
                "白切鸡",
                "红烧肉",
                "腊肉香肠拼盘",
                "粉蒸排骨",
                "血豆腐",
                "清炒时蔬",
                "凉拌木耳",
                "八宝饭",
                "水果拼盘",
                "酸汤菜豆腐汤",
            ],
        ),
    ];
    for (name, price, dishes) in menus {
        banquet_menu::ActiveModel {
            community_id: Set(community_id),
            name: Set(name.into()),
            price_per_table_fen: Set(price),
            dishes: Set(serde_json::to_string(dishes).map_err(DomainError::internal)?),
            created_by: Set(None),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
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
