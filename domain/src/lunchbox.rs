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
//! deliver-by time are marked (`alerted_at`, with a workflow event by the
//! system) and alert the grid worker, the secretaries and whoever holds the
//! task, once. No dedication rule covers lunchboxes, so nothing is deducted.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use sea_orm::sea_query::{Expr, ExprTrait, IntoCondition, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};

use crate::canteen::MealKind;
use crate::entities::{lunchbox_delivery, lunchbox_recipient, lunchbox_settings, meal};
use crate::error::{DomainError, DomainResult};
use crate::ledger::{TransferRequest, post_in};
use crate::notifications::{NewNotice, notify, people_with_roles};
use crate::org::{Actor, Role};
use crate::pagination::{Page, PageRequest};
use crate::workflow::{self, Event, Subject, Transition, guarded_update};
use crate::{Domain, privacy, validate};

crate::string_enum!(
    RecipientCategory {
        EmptyNestElderly = "EMPTY_NEST_ELDERLY",
        LeftBehindChild = "LEFT_BEHIND_CHILD",
        Disabled = "DISABLED",
    }
);

crate::string_enum!(
    DeliveryStatus {
        Open = "OPEN",
        Claimed = "CLAIMED",
        Delivered = "DELIVERED",
        Cancelled = "CANCELLED",
        /// The claimant could not hand it over; the food is gone.
        Undelivered = "UNDELIVERED",
    }
);

crate::string_enum!(
    /// Why a recipient got no lunchbox from a generation.
    ShortfallReason {
        /// The day's menu has no meal of the recipient's kind.
        NoMeal = "NO_MEAL",
        /// Every meal of that kind is fully booked.
        SoldOut = "SOLD_OUT",
    }
);

pub type DeliveryEvent = Event<DeliveryStatus>;

/// Who may generate the day's tasks (and see the day's list).
const GENERATORS: [Role; 3] = [Role::Secretary, Role::GridWorker, Role::CanteenOperator];
/// Statuses the undelivered alert looks at.
const NOT_DELIVERED: [DeliveryStatus; 3] = [DeliveryStatus::Open, DeliveryStatus::Claimed, DeliveryStatus::Undelivered];
/// 12:30, Asia/Shanghai.
pub const DEFAULT_DELIVER_BY_MINUTE: i32 = 750;
/// The most a recipient pays at the door: 50 yuan.
const MAX_PRICE_FEN: i64 = 5_000;

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

fn urls_from_json(text: Option<&str>) -> DomainResult<Vec<String>> {
    text.map(|t| serde_json::from_str(t).map_err(DomainError::internal)).transpose().map(Option::unwrap_or_default)
}

/// The day in Asia/Shanghai.
fn shanghai_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Shanghai).date_naive()
}

/// `minute` minutes after midnight of `day`, Asia/Shanghai, as an instant.
fn deliver_by(day: NaiveDate, minute: i32) -> DomainResult<DateTime<Utc>> {
    day.and_hms_opt(0, 0, 0)
        .and_then(|t| Shanghai.from_local_datetime(&t).single())
        .map(|t| t.with_timezone(&Utc) + Duration::minutes(i64::from(minute)))
        .ok_or_else(|| DomainError::internal("deliver-by time out of range"))
}

fn guard_claimant(claimant: Option<i64>) -> Condition {
    match claimant {
        Some(c) => lunchbox_delivery::Column::ClaimantId.eq(c).into_condition(),
        None => lunchbox_delivery::Column::ClaimantId.is_null().into_condition(),
    }
}

/// Whether the viewer sees the recipient's address and phone in full.
fn sees_contact(actor: &Actor, row: &lunchbox_delivery::Model, recipient: &lunchbox_recipient::Model) -> bool {
    actor.has_any(row.community_id, &Role::STAFF)
        || (row.status == DeliveryStatus::Claimed.as_str() && row.claimant_id == Some(actor.user_id))
        || (recipient.user_id.is_some() && recipient.user_id == Some(actor.user_id))
}

impl Domain {
    // ------------------------------------------------------------------
    // Settings
    // ------------------------------------------------------------------

    pub async fn lunchbox_settings(&self, actor: &Actor, community_id: i64) -> DomainResult<LunchboxSettings> {
        actor.require_member(community_id)?;
        Ok(match lunchbox_settings::Entity::find_by_id(community_id).one(&self.db).await? {
            Some(row) => LunchboxSettings { deliver_by_minute: row.deliver_by_minute },
            None => LunchboxSettings::default(),
        })
    }

    /// The secretary sets the time by which lunchboxes should be delivered.
    pub async fn set_lunchbox_settings(
        &self,
        actor: &Actor,
        community_id: i64,
        settings: LunchboxSettings,
    ) -> DomainResult<LunchboxSettings> {
        actor.require_any(community_id, &[Role::Secretary], "change the lunchbox delivery time")?;
        if !(0..24 * 60).contains(&settings.deliver_by_minute) {
            return Err(DomainError::bad_input(
                "deliverByMinute",
                "the deliver-by time is minutes after midnight, 0 to 1439 (12:30 is 750)",
            ));
        }
        let row = lunchbox_settings::ActiveModel {
            community_id: Set(community_id),
            deliver_by_minute: Set(settings.deliver_by_minute),
            updated_by: Set(actor.user_id),
            updated_at: Set(self.clock.now()),
        };
        lunchbox_settings::Entity::insert(row)
            .on_conflict(
                OnConflict::column(lunchbox_settings::Column::CommunityId)
                    .update_columns([
                        lunchbox_settings::Column::DeliverByMinute,
                        lunchbox_settings::Column::UpdatedBy,
                        lunchbox_settings::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
        Ok(settings)
    }

    // ------------------------------------------------------------------
    // The roster
    // ------------------------------------------------------------------

    async fn checked_recipient(&self, community_id: i64, input: RecipientInput) -> DomainResult<RecipientInput> {
        let name = validate::required_text("name", &input.name, 30)?;
        let address = validate::required_text("address", &input.address, 100)?;
        let phone = validate::phone("phone", &input.phone)?;
        if !(0..=MAX_PRICE_FEN).contains(&input.price_fen) {
            return Err(DomainError::bad_input(
                "priceFen",
                "the price paid at the door is 0 (free) to 5000 fen (50 yuan)",
            ));
        }
        let note = validate::optional_text("note", input.note, 200)?;
        if let Some(user) = input.user_id
            && self.roles_of(&self.db, user, community_id).await?.is_empty()
        {
            return Err(DomainError::bad_input("userId", "the linked person is not a member of this community"));
        }
        if !self.roles_of(&self.db, input.grid_worker_id, community_id).await?.contains(&Role::GridWorker) {
            return Err(DomainError::bad_input(
                "gridWorkerId",
                "the responsible grid worker must hold GRID_WORKER in this community",
            ));
        }
        Ok(RecipientInput { name, address, phone, note, ..input })
    }

    /// The secretary or a grid worker puts someone on the roster.
    pub async fn add_lunchbox_recipient(
        &self,
        actor: &Actor,
        community_id: i64,
        input: RecipientInput,
    ) -> DomainResult<Recipient> {
        actor.require_any(community_id, &Role::STAFF, "keep the lunchbox roster")?;
        let input = self.checked_recipient(community_id, input).await?;
        let now = self.clock.now();
        let inserted = lunchbox_recipient::ActiveModel {
            community_id: Set(community_id),
            name: Set(input.name),
            user_id: Set(input.user_id),
            category: Set(input.category.as_str().into()),
            address: Set(input.address),
            phone: Set(input.phone),
            price_fen: Set(input.price_fen),
            meal_kind: Set(input.meal_kind.as_str().into()),
            grid_worker_id: Set(input.grid_worker_id),
            active: Set(true),
            note: Set(input.note),
            created_by: Set(actor.user_id),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&self.db)
        .await;
        match inserted.map_err(DomainError::from) {
            Ok(row) => row.try_into(),
            Err(DomainError::Conflict(_)) => Err(DomainError::Conflict(
                "this resident is already on the lunchbox roster; update them instead".into(),
            )),
            Err(e) => Err(e),
        }
    }

    async fn roster_row(&self, actor: &Actor, id: i64) -> DomainResult<lunchbox_recipient::Model> {
        let row = lunchbox_recipient::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .filter(|r| actor.belongs_to(r.community_id))
            .ok_or(DomainError::NotFound("lunchbox recipient"))?;
        actor.require_any(row.community_id, &Role::STAFF, "keep the lunchbox roster")?;
        Ok(row)
    }

    /// Replaces a roster entry's details (the form sends all of them).
    pub async fn update_lunchbox_recipient(
        &self,
        actor: &Actor,
        id: i64,
        input: RecipientInput,
    ) -> DomainResult<Recipient> {
        let row = self.roster_row(actor, id).await?;
        let input = self.checked_recipient(row.community_id, input).await?;
        let changes = lunchbox_recipient::ActiveModel {
            id: Set(id),
            name: Set(input.name),
            user_id: Set(input.user_id),
            category: Set(input.category.as_str().into()),
            address: Set(input.address),
            phone: Set(input.phone),
            price_fen: Set(input.price_fen),
            meal_kind: Set(input.meal_kind.as_str().into()),
            grid_worker_id: Set(input.grid_worker_id),
            note: Set(input.note),
            updated_at: Set(self.clock.now()),
            ..Default::default()
        };
        match changes.update(&self.db).await.map_err(DomainError::from) {
            Ok(row) => row.try_into(),
            Err(DomainError::Conflict(_)) => {
                Err(DomainError::Conflict("this resident is already on the lunchbox roster in another entry".into()))
            }
            Err(e) => Err(e),
        }
    }

    /// Takes someone off (or back onto) the daily deliveries; the entry stays for the records.
    pub async fn set_lunchbox_recipient_active(&self, actor: &Actor, id: i64, active: bool) -> DomainResult<Recipient> {
        self.roster_row(actor, id).await?;
        lunchbox_recipient::ActiveModel {
            id: Set(id),
            active: Set(active),
            updated_at: Set(self.clock.now()),
            ..Default::default()
        }
        .update(&self.db)
        .await?
        .try_into()
    }

    /// The roster, in the order people were added (staff only).
    pub async fn lunchbox_recipients(
        &self,
        actor: &Actor,
        community_id: i64,
        include_inactive: bool,
        page: PageRequest,
    ) -> DomainResult<Page<Recipient>> {
        actor.require_any(community_id, &Role::STAFF, "see the lunchbox roster")?;
        let base = || {
            let q = lunchbox_recipient::Entity::find().filter(lunchbox_recipient::Column::CommunityId.eq(community_id));
            if include_inactive { q } else { q.filter(lunchbox_recipient::Column::Active.eq(true)) }
        };
        let total_count = base().count(&self.db).await?;
        let mut query = base();
        if let Some(after) = page.after {
            query = query.filter(lunchbox_recipient::Column::Id.gt(after));
        }
        let mut rows = query.order_by_asc(lunchbox_recipient::Column::Id).limit(page.first + 1).all(&self.db).await?;
        let has_next_page = rows.len() as u64 > page.first;
        rows.truncate(page.first as usize);
        let items = rows.into_iter().map(Recipient::try_from).collect::<DomainResult<Vec<_>>>()?;
        Ok(Page { items, has_next_page, has_previous_page: page.after.is_some(), total_count })
    }

    // ------------------------------------------------------------------
    // Generating a day's tasks
    // ------------------------------------------------------------------

    /// One task per active recipient for `day`, each with a portion of a meal
    /// of their kind from that day's menu (the cheapest with portions left).
    /// Running it again adds only recipients who have no task yet; those who
    /// cannot be covered are reported, not failed.
    pub async fn generate_lunchbox_deliveries(
        &self,
        actor: &Actor,
        community_id: i64,
        day: NaiveDate,
    ) -> DomainResult<Generation> {
        actor.require_any(community_id, &GENERATORS, "generate the day's lunchbox deliveries")?;
        let now = self.clock.now();
        if day < shanghai_day(now) {
            return Err(DomainError::bad_input("date", "lunchbox deliveries are generated for today or a later day"));
        }
        let recipients = lunchbox_recipient::Entity::find()
            .filter(lunchbox_recipient::Column::CommunityId.eq(community_id))
            .filter(lunchbox_recipient::Column::Active.eq(true))
            .order_by_asc(lunchbox_recipient::Column::Id)
            .all(&self.db)
            .await?;
        let existing: HashSet<i64> = lunchbox_delivery::Entity::find()
            .filter(lunchbox_delivery::Column::CommunityId.eq(community_id))
            .filter(lunchbox_delivery::Column::ServedOn.eq(day))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|d| d.recipient_id)
            .collect();
        let meals = meal::Entity::find()
            .filter(meal::Column::CommunityId.eq(community_id))
            .filter(meal::Column::ServedOn.eq(day))
            .filter(meal::Column::WithdrawnAt.is_null())
            .order_by_asc(meal::Column::PriceFen)
            .order_by_asc(meal::Column::Id)
            .all(&self.db)
            .await?;
        let mut created = Vec::new();
        let mut already_generated = 0u64;
        let mut shortfalls = Vec::new();
        for r in recipients {
            if existing.contains(&r.id) {
                already_generated += 1;
                continue;
            }
            let kind = MealKind::parse(&r.meal_kind)?;
            let candidates: Vec<&meal::Model> = meals.iter().filter(|m| m.kind == r.meal_kind).collect();
            let short =
                |reason| Shortfall { recipient_id: r.id, recipient_name: r.name.clone(), meal_kind: kind, reason };
            if candidates.is_empty() {
                shortfalls.push(short(ShortfallReason::NoMeal));
                continue;
            }
            let txn = self.db.begin().await?;
            let mut taken = None;
            for m in candidates {
                // The canteen's own guard: never past the day's portions.
                let took = meal::Entity::update_many()
                    .col_expr(meal::Column::Booked, Expr::col(meal::Column::Booked).add(1))
                    .filter(meal::Column::Id.eq(m.id))
                    .filter(meal::Column::WithdrawnAt.is_null())
                    .filter(Expr::col(meal::Column::Booked).add(1).lte(Expr::col(meal::Column::Quantity)))
                    .exec(&txn)
                    .await?;
                if took.rows_affected == 1 {
                    taken = Some(m.id);
                    break;
                }
            }
            let Some(meal_id) = taken else {
                txn.rollback().await?;
                shortfalls.push(short(ShortfallReason::SoldOut));
                continue;
            };
            let inserted = lunchbox_delivery::ActiveModel {
                community_id: Set(community_id),
                recipient_id: Set(r.id),
                served_on: Set(day),
                meal_id: Set(meal_id),
                status: Set(DeliveryStatus::Open.as_str().into()),
                price_fen: Set(r.price_fen),
                created_by: Set(actor.user_id),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await;
            let row = match inserted.map_err(DomainError::from) {
                Ok(row) => row,
                Err(DomainError::Conflict(_)) => {
                    // Someone generated the same day at the same moment: theirs stands, our portion goes back.
                    txn.rollback().await?;
                    already_generated += 1;
                    continue;
                }
                Err(e) => return Err(e),
            };
            workflow::record(
                &txn,
                Transition {
                    subject: Subject::LunchboxDelivery,
                    subject_id: row.id,
                    community_id,
                    actor_id: Some(actor.user_id),
                    from: None,
                    to: DeliveryStatus::Open,
                    note: None,
                    at: now,
                },
            )
            .await?;
            txn.commit().await?;
            created.push(row);
        }
        let created = self.deliveries_out(actor, created).await?;
        Ok(Generation { created, already_generated, shortfalls })
    }

    // ------------------------------------------------------------------
    // Reading tasks
    // ------------------------------------------------------------------

    /// Rows as the viewer may see them: recipient, meal, masking, history.
    async fn deliveries_out(&self, actor: &Actor, rows: Vec<lunchbox_delivery::Model>) -> DomainResult<Vec<Delivery>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let recipients: HashMap<i64, lunchbox_recipient::Model> = lunchbox_recipient::Entity::find()
            .filter(lunchbox_recipient::Column::Id.is_in(rows.iter().map(|d| d.recipient_id)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
        let meals: HashMap<i64, meal::Model> = meal::Entity::find()
            .filter(meal::Column::Id.is_in(rows.iter().map(|d| d.meal_id)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
        let ids: Vec<i64> = rows.iter().map(|d| d.id).collect();
        let mut histories = workflow::histories::<_, DeliveryStatus>(&self.db, Subject::LunchboxDelivery, &ids).await?;
        rows.into_iter()
            .map(|d| {
                let r = recipients
                    .get(&d.recipient_id)
                    .ok_or_else(|| DomainError::internal("delivery without recipient"))?;
                let m = meals.get(&d.meal_id).ok_or_else(|| DomainError::internal("delivery without meal"))?;
                let full = sees_contact(actor, &d, r);
                Ok(Delivery {
                    id: d.id,
                    community_id: d.community_id,
                    served_on: d.served_on,
                    status: DeliveryStatus::parse(&d.status)?,
                    recipient_id: r.id,
                    recipient_name: r.name.clone(),
                    recipient_user_id: r.user_id,
                    category: RecipientCategory::parse(&r.category)?,
                    address: if full { r.address.clone() } else { privacy::mask_address(&r.address) },
                    phone: if full { r.phone.clone() } else { privacy::mask_phone(&r.phone) },
                    contact_masked: !full,
                    grid_worker_id: r.grid_worker_id,
                    meal_id: m.id,
                    meal_name: m.name.clone(),
                    meal_kind: MealKind::parse(&m.kind)?,
                    price_fen: d.price_fen,
                    claimant_id: d.claimant_id,
                    claimed_at: d.claimed_at,
                    delivered_at: d.delivered_at,
                    photo_urls: urls_from_json(d.photo_urls.as_deref())?,
                    photo_confirmed_at: d.photo_confirmed_at,
                    recipient_confirmed_at: d.recipient_confirmed_at,
                    cash_fen: d.cash_fen,
                    undelivered_reason: d.undelivered_reason,
                    cancelled_at: d.cancelled_at,
                    alerted_at: d.alerted_at,
                    created_at: d.created_at,
                    updated_at: d.updated_at,
                    history: histories.remove(&d.id).unwrap_or_default(),
                })
            })
            .collect()
    }

    async fn delivery_out(&self, actor: &Actor, row: lunchbox_delivery::Model) -> DomainResult<Delivery> {
        self.deliveries_out(actor, vec![row]).await?.pop().ok_or_else(|| DomainError::internal("delivery vanished"))
    }

    async fn delivery_row(&self, id: i64) -> DomainResult<lunchbox_delivery::Model> {
        lunchbox_delivery::Entity::find_by_id(id).one(&self.db).await?.ok_or(DomainError::NotFound("lunchbox delivery"))
    }

    /// A task in one of the actor's communities (`NOT_FOUND` otherwise).
    async fn member_delivery_row(&self, actor: &Actor, id: i64) -> DomainResult<lunchbox_delivery::Model> {
        let row = self.delivery_row(id).await?;
        if !actor.belongs_to(row.community_id) {
            return Err(DomainError::NotFound("lunchbox delivery"));
        }
        Ok(row)
    }

    async fn recipient_row(&self, id: i64) -> DomainResult<lunchbox_recipient::Model> {
        lunchbox_recipient::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound("lunchbox recipient"))
    }

    /// One task: for staff and the canteen, its claimant, its recipient, and
    /// the red service team while it is open.
    pub async fn lunchbox_delivery(&self, actor: &Actor, id: i64) -> DomainResult<Delivery> {
        let row = self.member_delivery_row(actor, id).await?;
        let recipient = self.recipient_row(row.recipient_id).await?;
        let c = row.community_id;
        let visible = actor.has_any(c, &GENERATORS)
            || row.claimant_id == Some(actor.user_id)
            || recipient.user_id == Some(actor.user_id)
            || (row.status == DeliveryStatus::Open.as_str() && actor.has_any(c, &Role::HELPERS));
        if !visible {
            return Err(DomainError::NotFound("lunchbox delivery"));
        }
        self.delivery_out(actor, row).await
    }

    async fn day_counts(&self, community_id: i64, day: NaiveDate) -> DomainResult<DayCounts> {
        let statuses: Vec<String> = lunchbox_delivery::Entity::find()
            .select_only()
            .column(lunchbox_delivery::Column::Status)
            .filter(lunchbox_delivery::Column::CommunityId.eq(community_id))
            .filter(lunchbox_delivery::Column::ServedOn.eq(day))
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut counts = DayCounts::default();
        for s in statuses {
            match DeliveryStatus::parse(&s)? {
                DeliveryStatus::Open => counts.open += 1,
                DeliveryStatus::Claimed => counts.claimed += 1,
                DeliveryStatus::Delivered => counts.delivered += 1,
                DeliveryStatus::Undelivered => counts.undelivered += 1,
                DeliveryStatus::Cancelled => counts.cancelled += 1,
            }
        }
        Ok(counts)
    }

    async fn delivery_page(
        &self,
        actor: &Actor,
        filter: Condition,
        newest_first: bool,
        page: PageRequest,
    ) -> DomainResult<Page<Delivery>> {
        let total_count = lunchbox_delivery::Entity::find().filter(filter.clone()).count(&self.db).await?;
        let mut query = lunchbox_delivery::Entity::find().filter(filter);
        query = match (page.after, newest_first) {
            (Some(after), true) => query.filter(lunchbox_delivery::Column::Id.lt(after)),
            (Some(after), false) => query.filter(lunchbox_delivery::Column::Id.gt(after)),
            (None, _) => query,
        };
        query = if newest_first {
            query.order_by_desc(lunchbox_delivery::Column::Id)
        } else {
            query.order_by_asc(lunchbox_delivery::Column::Id)
        };
        let mut rows = query.limit(page.first + 1).all(&self.db).await?;
        let has_next_page = rows.len() as u64 > page.first;
        rows.truncate(page.first as usize);
        let items = self.deliveries_out(actor, rows).await?;
        Ok(Page { items, has_next_page, has_previous_page: page.after.is_some(), total_count })
    }

    /// The day's tasks for staff and the canteen, with the day's counts.
    pub async fn lunchbox_deliveries(
        &self,
        actor: &Actor,
        community_id: i64,
        day: NaiveDate,
        status: Option<DeliveryStatus>,
        page: PageRequest,
    ) -> DomainResult<(Page<Delivery>, DayCounts)> {
        actor.require_any(community_id, &GENERATORS, "see the day's lunchbox deliveries")?;
        let mut filter = Condition::all()
            .add(lunchbox_delivery::Column::CommunityId.eq(community_id))
            .add(lunchbox_delivery::Column::ServedOn.eq(day));
        if let Some(s) = status {
            filter = filter.add(lunchbox_delivery::Column::Status.eq(s.as_str()));
        }
        let page = self.delivery_page(actor, filter, false, page).await?;
        Ok((page, self.day_counts(community_id, day).await?))
    }

    /// Open tasks the red service team can claim (addresses masked until claimed).
    pub async fn open_lunchbox_deliveries(
        &self,
        actor: &Actor,
        community_id: i64,
        day: NaiveDate,
        page: PageRequest,
    ) -> DomainResult<Page<Delivery>> {
        let team = [Role::PartyMember, Role::Volunteer, Role::GridWorker, Role::Secretary];
        actor.require_any(community_id, &team, "see open lunchbox deliveries")?;
        let filter = Condition::all()
            .add(lunchbox_delivery::Column::CommunityId.eq(community_id))
            .add(lunchbox_delivery::Column::ServedOn.eq(day))
            .add(lunchbox_delivery::Column::Status.eq(DeliveryStatus::Open.as_str()));
        self.delivery_page(actor, filter, false, page).await
    }

    /// The tasks you claimed (in any community), newest first.
    pub async fn my_lunchbox_deliveries(
        &self,
        actor: &Actor,
        status: Option<DeliveryStatus>,
        page: PageRequest,
    ) -> DomainResult<Page<Delivery>> {
        let mut filter = Condition::all().add(lunchbox_delivery::Column::ClaimantId.eq(actor.user_id));
        if let Some(s) = status {
            filter = filter.add(lunchbox_delivery::Column::Status.eq(s.as_str()));
        }
        self.delivery_page(actor, filter, true, page).await
    }

    // ------------------------------------------------------------------
    // Moving tasks
    // ------------------------------------------------------------------

    /// Applies `changes` and the new status where the task is still in
    /// `row`'s status (and `extra` holds), and records the event. `false`
    /// means someone changed it first.
    #[allow(clippy::too_many_arguments)]
    async fn step(
        &self,
        txn: &DatabaseTransaction,
        row: &lunchbox_delivery::Model,
        to: DeliveryStatus,
        actor_id: Option<i64>,
        mut changes: lunchbox_delivery::ActiveModel,
        extra: Condition,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> DomainResult<bool> {
        let from = DeliveryStatus::parse(&row.status)?;
        changes.status = Set(to.as_str().into());
        changes.updated_at = Set(now);
        let guard = Condition::all()
            .add(lunchbox_delivery::Column::Id.eq(row.id))
            .add(lunchbox_delivery::Column::Status.eq(row.status.clone()))
            .add(extra);
        if !guarded_update(txn, changes, guard).await? {
            return Ok(false);
        }
        workflow::record(
            txn,
            Transition {
                subject: Subject::LunchboxDelivery,
                subject_id: row.id,
                community_id: row.community_id,
                actor_id,
                from: Some(from),
                to,
                note,
                at: now,
            },
        )
        .await?;
        Ok(true)
    }

    /// The error for a guarded step someone else got to first.
    async fn changed_meanwhile(&self, txn: DatabaseTransaction, id: i64) -> DomainError {
        if let Err(e) = txn.rollback().await {
            return e.into();
        }
        match self.delivery_row(id).await {
            Ok(now_is) => DomainError::invalid_state(format!(
                "this lunchbox delivery changed to {} in the meantime; reload it",
                now_is.status
            )),
            Err(e) => e,
        }
    }

    /// A volunteer or party member of the community takes a task: exactly one wins.
    pub async fn claim_lunchbox_delivery(&self, actor: &Actor, id: i64) -> DomainResult<Delivery> {
        let row = self.member_delivery_row(actor, id).await?;
        actor.require_any(row.community_id, &Role::HELPERS, "deliver love lunchboxes")?;
        if row.claimant_id == Some(actor.user_id) && row.status == DeliveryStatus::Claimed.as_str() {
            // A retry of a claim that went through.
            return self.delivery_out(actor, row).await;
        }
        if row.status == DeliveryStatus::Claimed.as_str() {
            return Err(DomainError::AlreadyClaimed);
        }
        if row.status != DeliveryStatus::Open.as_str() {
            return Err(DomainError::invalid_state(format!("a {} lunchbox delivery cannot be claimed", row.status)));
        }
        let now = self.clock.now();
        let changes = lunchbox_delivery::ActiveModel {
            claimant_id: Set(Some(actor.user_id)),
            claimed_at: Set(Some(now)),
            ..Default::default()
        };
        let txn = self.db.begin().await?;
        if !self
            .step(&txn, &row, DeliveryStatus::Claimed, Some(actor.user_id), changes, guard_claimant(None), None, now)
            .await?
        {
            txn.rollback().await?;
            let now_is = self.delivery_row(id).await?;
            return Err(match now_is.claimant_id {
                Some(who) if who != actor.user_id && now_is.status == DeliveryStatus::Claimed.as_str() => {
                    DomainError::AlreadyClaimed
                }
                _ => DomainError::invalid_state(format!(
                    "this lunchbox delivery changed to {} in the meantime; reload it",
                    now_is.status
                )),
            });
        }
        txn.commit().await?;
        self.delivery_out(actor, self.delivery_row(id).await?).await
    }

    /// The claimant's own task, or `FORBIDDEN`.
    async fn held_row(&self, actor: &Actor, id: i64, doing: &str) -> DomainResult<lunchbox_delivery::Model> {
        let row = self.member_delivery_row(actor, id).await?;
        if row.claimant_id != Some(actor.user_id) {
            return Err(DomainError::forbidden(format!("only the person who claimed this lunchbox can {doing}")));
        }
        Ok(row)
    }

    /// The claimant gives the task back to the open list.
    pub async fn release_lunchbox_delivery(&self, actor: &Actor, id: i64) -> DomainResult<Delivery> {
        let row = self.held_row(actor, id, "release it").await?;
        if row.status != DeliveryStatus::Claimed.as_str() {
            return Err(DomainError::invalid_state(format!("a {} lunchbox delivery cannot be released", row.status)));
        }
        let now = self.clock.now();
        let changes =
            lunchbox_delivery::ActiveModel { claimant_id: Set(None), claimed_at: Set(None), ..Default::default() };
        let txn = self.db.begin().await?;
        let guard = guard_claimant(Some(actor.user_id));
        if !self
            .step(&txn, &row, DeliveryStatus::Open, Some(actor.user_id), changes, guard, Some("released"), now)
            .await?
        {
            return Err(self.changed_meanwhile(txn, id).await);
        }
        txn.commit().await?;
        self.delivery_out(actor, self.delivery_row(id).await?).await
    }

    /// The claimant could not hand it over (nobody home, refused, …). The
    /// portion is not returned: the food has left the kitchen.
    pub async fn report_lunchbox_undelivered(&self, actor: &Actor, id: i64, reason: &str) -> DomainResult<Delivery> {
        let row = self.held_row(actor, id, "report it undelivered").await?;
        let reason = validate::required_text("reason", reason, 200)?;
        if row.status != DeliveryStatus::Claimed.as_str() {
            return Err(DomainError::invalid_state(format!(
                "a {} lunchbox delivery cannot be reported undelivered",
                row.status
            )));
        }
        let now = self.clock.now();
        let changes =
            lunchbox_delivery::ActiveModel { undelivered_reason: Set(Some(reason.clone())), ..Default::default() };
        let txn = self.db.begin().await?;
        let guard = guard_claimant(Some(actor.user_id));
        if !self
            .step(&txn, &row, DeliveryStatus::Undelivered, Some(actor.user_id), changes, guard, Some(&reason), now)
            .await?
        {
            return Err(self.changed_meanwhile(txn, id).await);
        }
        txn.commit().await?;
        self.delivery_out(actor, self.delivery_row(id).await?).await
    }

    /// Staff call a task off before it is delivered; the portion goes back to the canteen.
    pub async fn cancel_lunchbox_delivery(
        &self,
        actor: &Actor,
        id: i64,
        reason: Option<String>,
    ) -> DomainResult<Delivery> {
        let row = self.member_delivery_row(actor, id).await?;
        actor.require_any(row.community_id, &Role::STAFF, "cancel lunchbox deliveries")?;
        let reason = validate::optional_text("reason", reason, 200)?;
        if row.status != DeliveryStatus::Open.as_str() && row.status != DeliveryStatus::Claimed.as_str() {
            return Err(DomainError::invalid_state(format!("a {} lunchbox delivery cannot be cancelled", row.status)));
        }
        let now = self.clock.now();
        let changes = lunchbox_delivery::ActiveModel { cancelled_at: Set(Some(now)), ..Default::default() };
        let txn = self.db.begin().await?;
        let guard = guard_claimant(row.claimant_id);
        if !self
            .step(&txn, &row, DeliveryStatus::Cancelled, Some(actor.user_id), changes, guard, reason.as_deref(), now)
            .await?
        {
            return Err(self.changed_meanwhile(txn, id).await);
        }
        meal::Entity::update_many()
            .col_expr(meal::Column::Booked, Expr::col(meal::Column::Booked).sub(1))
            .filter(meal::Column::Id.eq(row.meal_id))
            .filter(meal::Column::Booked.gt(0))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        self.delivery_out(actor, self.delivery_row(id).await?).await
    }

    /// The claimant confirms the hand-over with a photo, and records the cash
    /// taken at the door where the subsidy has a price. Marks the task
    /// DELIVERED, or completes one the recipient already confirmed.
    pub async fn confirm_lunchbox_delivered(
        &self,
        actor: &Actor,
        id: i64,
        photo_urls: &[String],
        cash_fen: Option<i64>,
    ) -> DomainResult<Delivery> {
        let row = self.held_row(actor, id, "confirm its delivery").await?;
        let (photos, upload_ids) = validate::photo_urls("photoUrls", photo_urls, &self.settings.upload_url_prefix)?;
        if photos.is_empty() {
            return Err(DomainError::bad_input("photoUrls", "add a photo of the lunchbox handed over"));
        }
        let cash = match (row.price_fen, cash_fen) {
            (0, None | Some(0)) => 0,
            (0, Some(_)) => {
                return Err(DomainError::bad_input("cashFen", "this lunchbox is free; no cash is taken at the door"));
            }
            (_, None) => {
                return Err(DomainError::bad_input(
                    "cashFen",
                    format!("record the cash taken at the door (the price is {} fen)", row.price_fen),
                ));
            }
            (price, Some(c)) if !(0..=price).contains(&c) => {
                return Err(DomainError::bad_input(
                    "cashFen",
                    format!("the cash taken is 0 to the price, {price} fen"),
                ));
            }
            (_, Some(c)) => c,
        };
        let photos_json = serde_json::to_string(&photos).map_err(DomainError::internal)?;
        if row.photo_confirmed_at.is_some() {
            if row.photo_urls.as_deref() == Some(photos_json.as_str()) && row.cash_fen.unwrap_or(0) == cash {
                // A retry of a confirmation that went through.
                return self.delivery_out(actor, row).await;
            }
            return Err(DomainError::invalid_state("you have already confirmed this delivery"));
        }
        let delivered = DeliveryStatus::Delivered.as_str();
        if row.status != DeliveryStatus::Claimed.as_str() && row.status != delivered {
            return Err(DomainError::invalid_state(format!("a {} lunchbox delivery cannot be confirmed", row.status)));
        }
        self.require_uploads(&self.db, "photoUrls", &upload_ids).await?;
        let now = self.clock.now();
        let mut changes = lunchbox_delivery::ActiveModel {
            photo_urls: Set(Some(photos_json)),
            photo_confirmed_at: Set(Some(now)),
            cash_fen: Set((row.price_fen > 0).then_some(cash)),
            ..Default::default()
        };
        if row.status != delivered {
            changes.delivered_at = Set(Some(now));
        }
        let guard = Condition::all()
            .add(guard_claimant(Some(actor.user_id)))
            .add(lunchbox_delivery::Column::PhotoConfirmedAt.is_null());
        let note = if cash > 0 {
            format!("handed over with a photo; {cash} fen taken at the door")
        } else {
            "handed over with a photo".to_owned()
        };
        let txn = self.db.begin().await?;
        if !self
            .step(&txn, &row, DeliveryStatus::Delivered, Some(actor.user_id), changes, guard, Some(&note), now)
            .await?
        {
            return Err(self.changed_meanwhile(txn, id).await);
        }
        if cash > 0 {
            let transfer = post_in(&txn, &door_payment(&row, actor.user_id, cash), now).await?;
            lunchbox_delivery::Entity::update_many()
                .col_expr(lunchbox_delivery::Column::PaymentTransferId, Expr::value(transfer.id))
                .filter(lunchbox_delivery::Column::Id.eq(id))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        self.delivery_out(actor, self.delivery_row(id).await?).await
    }

    /// The recipient confirms receipt from their own phone. Marks the task
    /// DELIVERED, or adds their word to the claimant's photo.
    pub async fn confirm_lunchbox_received(&self, actor: &Actor, id: i64) -> DomainResult<Delivery> {
        let row = self.member_delivery_row(actor, id).await?;
        let recipient = self.recipient_row(row.recipient_id).await?;
        if recipient.user_id != Some(actor.user_id) {
            return Err(DomainError::forbidden("only the person the lunchbox is for can confirm receiving it"));
        }
        if row.recipient_confirmed_at.is_some() {
            return self.delivery_out(actor, row).await;
        }
        let delivered = DeliveryStatus::Delivered.as_str();
        if row.status == DeliveryStatus::Open.as_str() {
            return Err(DomainError::invalid_state("nobody has set out with this lunchbox yet"));
        }
        if row.status != DeliveryStatus::Claimed.as_str() && row.status != delivered {
            return Err(DomainError::invalid_state(format!("a {} lunchbox delivery cannot be received", row.status)));
        }
        let now = self.clock.now();
        let mut changes =
            lunchbox_delivery::ActiveModel { recipient_confirmed_at: Set(Some(now)), ..Default::default() };
        if row.status != delivered {
            changes.delivered_at = Set(Some(now));
        }
        let guard = Condition::all()
            .add(guard_claimant(row.claimant_id))
            .add(lunchbox_delivery::Column::RecipientConfirmedAt.is_null());
        let txn = self.db.begin().await?;
        if !self
            .step(&txn, &row, DeliveryStatus::Delivered, Some(actor.user_id), changes, guard, Some("received"), now)
            .await?
        {
            return Err(self.changed_meanwhile(txn, id).await);
        }
        txn.commit().await?;
        self.delivery_out(actor, self.delivery_row(id).await?).await
    }

    // ------------------------------------------------------------------
    // Undelivered alerts
    // ------------------------------------------------------------------

    /// Alerts the recipient's grid worker and the community's secretaries,
    /// once per task, about lunchboxes still not delivered after the
    /// community's deliver-by time on their day; a volunteer still holding
    /// the task is reminded too. The overdue mark is `alerted_at`, recorded
    /// as a workflow event by the system (the status does not change). Safe
    /// to run on several nodes at once (a guarded `alerted_at` and keyed
    /// notices). Returns how many tasks were alerted.
    pub async fn alert_undelivered_lunchboxes(&self, now: DateTime<Utc>) -> DomainResult<usize> {
        let today = shanghai_day(now);
        let not_delivered = || NOT_DELIVERED.iter().map(|s| s.as_str());
        let candidates = lunchbox_delivery::Entity::find()
            .filter(lunchbox_delivery::Column::AlertedAt.is_null())
            .filter(lunchbox_delivery::Column::ServedOn.lte(today))
            .filter(lunchbox_delivery::Column::Status.is_in(not_delivered()))
            .order_by_asc(lunchbox_delivery::Column::Id)
            .limit(500)
            .all(&self.db)
            .await?;
        if candidates.is_empty() {
            return Ok(0);
        }
        let deliver_by_minute: HashMap<i64, i32> = lunchbox_settings::Entity::find()
            .filter(lunchbox_settings::Column::CommunityId.is_in(candidates.iter().map(|d| d.community_id)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|s| (s.community_id, s.deliver_by_minute))
            .collect();
        let mut alerted = 0;
        let mut secretaries: HashMap<i64, Vec<i64>> = HashMap::new();
        for d in candidates {
            let minute = deliver_by_minute.get(&d.community_id).copied().unwrap_or(DEFAULT_DELIVER_BY_MINUTE);
            if now < deliver_by(d.served_on, minute)? {
                continue;
            }
            let recipient = self.recipient_row(d.recipient_id).await?;
            let mut to = match secretaries.get(&d.community_id) {
                Some(ids) => ids.clone(),
                None => {
                    let ids = people_with_roles(&self.db, d.community_id, &[Role::Secretary]).await?;
                    secretaries.insert(d.community_id, ids.clone());
                    ids
                }
            };
            to.push(recipient.grid_worker_id);
            to.sort_unstable();
            to.dedup();
            let txn = self.db.begin().await?;
            let marked = lunchbox_delivery::Entity::update_many()
                .col_expr(lunchbox_delivery::Column::AlertedAt, Expr::value(now))
                .filter(lunchbox_delivery::Column::Id.eq(d.id))
                .filter(lunchbox_delivery::Column::AlertedAt.is_null())
                // As read: the event and the notices below describe this state.
                .filter(lunchbox_delivery::Column::Status.eq(d.status.clone()))
                .filter(guard_claimant(d.claimant_id))
                .exec(&txn)
                .await?;
            if marked.rows_affected == 0 {
                // Another node alerted it, or it moved in the meantime (the next sweep looks again).
                txn.rollback().await?;
                continue;
            }
            let state = match DeliveryStatus::parse(&d.status)? {
                DeliveryStatus::Open => "无人认领".to_owned(),
                DeliveryStatus::Claimed => "已认领，尚未送达".to_owned(),
                _ => format!("未能送达：{}", d.undelivered_reason.as_deref().unwrap_or("未说明原因")),
            };
            let body = format!(
                "{}（{}）{} 的爱心盒饭到 {:02}:{:02} 仍未送达（{}）。请尽快联系。",
                recipient.name,
                privacy::mask_address(&recipient.address),
                d.served_on,
                minute / 60,
                minute % 60,
                state
            );
            let status = DeliveryStatus::parse(&d.status)?;
            workflow::record(
                &txn,
                Transition {
                    subject: Subject::LunchboxDelivery,
                    subject_id: d.id,
                    community_id: d.community_id,
                    actor_id: None,
                    from: Some(status),
                    to: status,
                    note: Some(&format!("not delivered by {:02}:{:02}: staff alerted", minute / 60, minute % 60)),
                    at: now,
                },
            )
            .await?;
            if let (DeliveryStatus::Claimed, Some(holder)) = (status, d.claimant_id) {
                notify(
                    &txn,
                    NewNotice {
                        community_id: d.community_id,
                        recipient_id: holder,
                        kind: "LUNCHBOX_OVERDUE",
                        subject_kind: Some(Subject::LunchboxDelivery.as_str()),
                        subject_id: Some(d.id),
                        title: "您认领的爱心盒饭已超时".into(),
                        body: format!(
                            "您认领的 {} 的爱心盒饭应在 {:02}:{:02} 前送达，请尽快送到；送不到请报告原因。",
                            recipient.name,
                            minute / 60,
                            minute % 60
                        ),
                        dedup_key: format!("lunchbox-overdue:{}:{holder}", d.id),
                        at: now,
                    },
                )
                .await?;
            }
            for user in to {
                notify(
                    &txn,
                    NewNotice {
                        community_id: d.community_id,
                        recipient_id: user,
                        kind: "LUNCHBOX_UNDELIVERED",
                        subject_kind: Some(Subject::LunchboxDelivery.as_str()),
                        subject_id: Some(d.id),
                        title: "爱心盒饭未按时送达".into(),
                        body: body.clone(),
                        dedup_key: format!("lunchbox-undelivered:{}:{user}", d.id),
                        at: now,
                    },
                )
                .await?;
            }
            txn.commit().await?;
            alerted += 1;
        }
        Ok(alerted)
    }

    // ------------------------------------------------------------------
    // The office's report
    // ------------------------------------------------------------------

    /// Every task from `from` to `to` (inclusive), by day, for the office's
    /// export (staff only; at most a year at a time).
    pub async fn lunchbox_delivery_report(
        &self,
        actor: &Actor,
        community_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> DomainResult<Vec<DeliveryReportRow>> {
        actor.require_any(community_id, &Role::STAFF, "export lunchbox deliveries")?;
        if from > to {
            return Err(DomainError::bad_input("from", "the first day comes before the last"));
        }
        if to - from > Duration::days(366) {
            return Err(DomainError::bad_input("to", "export at most a year at a time"));
        }
        let rows = lunchbox_delivery::Entity::find()
            .filter(lunchbox_delivery::Column::CommunityId.eq(community_id))
            .filter(lunchbox_delivery::Column::ServedOn.gte(from))
            .filter(lunchbox_delivery::Column::ServedOn.lte(to))
            .order_by_asc(lunchbox_delivery::Column::ServedOn)
            .order_by_asc(lunchbox_delivery::Column::Id)
            .all(&self.db)
            .await?;
        let recipients: HashMap<i64, lunchbox_recipient::Model> = lunchbox_recipient::Entity::find()
            .filter(lunchbox_recipient::Column::CommunityId.eq(community_id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
        let mut meal_ids: Vec<i64> = rows.iter().map(|d| d.meal_id).collect();
        meal_ids.sort_unstable();
        meal_ids.dedup();
        let meals: HashMap<i64, meal::Model> = meal::Entity::find()
            .filter(meal::Column::Id.is_in(meal_ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
        let claimants: Vec<i64> = rows.iter().filter_map(|d| d.claimant_id).collect();
        let names = self.user_summaries(&claimants).await?;
        rows.into_iter()
            .map(|d| {
                let r = recipients
                    .get(&d.recipient_id)
                    .ok_or_else(|| DomainError::internal("delivery without recipient"))?;
                let m = meals.get(&d.meal_id).ok_or_else(|| DomainError::internal("delivery without meal"))?;
                Ok(DeliveryReportRow {
                    delivery_id: d.id,
                    served_on: d.served_on,
                    recipient_id: r.id,
                    recipient_name: r.name.clone(),
                    category: RecipientCategory::parse(&r.category)?,
                    meal_id: m.id,
                    meal_name: m.name.clone(),
                    meal_kind: MealKind::parse(&m.kind)?,
                    price_fen: d.price_fen,
                    status: DeliveryStatus::parse(&d.status)?,
                    claimant_id: d.claimant_id,
                    claimant_name: d.claimant_id.and_then(|c| names.get(&c)).map(|u| u.display_name.clone()),
                    claimed_at: d.claimed_at,
                    delivered_at: d.delivered_at,
                    photo_confirmed_at: d.photo_confirmed_at,
                    recipient_confirmed_at: d.recipient_confirmed_at,
                    cash_fen: d.cash_fen,
                    undelivered_reason: d.undelivered_reason,
                    cancelled_at: d.cancelled_at,
                    alerted_at: d.alerted_at,
                    created_at: d.created_at,
                })
            })
            .collect()
    }
}

/// Cash taken at the door, booked like the canteen's counter payments:
/// fen from the counter-payments account into the canteen's.
fn door_payment(row: &lunchbox_delivery::Model, taken_by: i64, cash_fen: i64) -> TransferRequest {
    TransferRequest::counter_payment(
        row.community_id,
        format!("lunchbox-delivery:{}:payment", row.id),
        format!("love lunchbox of {} paid in cash at the door", row.served_on),
        taken_by,
        cash_fen,
    )
}
