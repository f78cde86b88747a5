//! The contract canteen (合约食堂): the operator publishes each day's menu
//! (worker set meals at 6, 8 and 10 yuan, children's nutrition meals) with
//! prices in fen and portions per day; residents book, cancel before the
//! cutoff, and pay at the counter (cash or WeChat Pay, recorded in fen in
//! the ledger) or take a discount coupon bought with civility points; the
//! operator works from the day's sheet and marks meals collected.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use crate::entities::{canteen_settings, meal, meal_booking};
use crate::error::{DomainError, DomainResult};
use crate::ledger::{AccountKind, AccountRef, Movement, TransferKind, TransferRequest, TransferStatus, post_in};
use crate::org::authority;
use crate::org::{Actor, in_reach};
use crate::{idempotency, validate, workflow};

mod kind;

use kind::BookingStep;
pub use kind::{BookingAction, next_booking_status};

crate::area_service!(
    /// The contract canteen: its settings, menus, bookings, counter payments and daily sheet.
    Canteen
);

crate::string_enum!(MealKind { WorkerSet, ChildNutrition });

crate::string_enum!(BookingStatus { Booked, Cancelled, Collected });

crate::string_enum!(PaymentMethod { Cash, WechatPay });

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CanteenSettings {
    /// Bookings for a day can be made and cancelled until this hour (Asia/Shanghai) that day.
    pub cutoff_hour: u32,
    /// Civility points a discount coupon costs.
    pub coupon_points: i64,
    /// What a coupon takes off a booking, in fen.
    pub coupon_value_fen: i64,
}

impl Default for CanteenSettings {
    fn default() -> Self {
        Self { cutoff_hour: 9, coupon_points: 10, coupon_value_fen: 200 }
    }
}

#[derive(Clone, Debug)]
pub struct Meal {
    pub id: i64,
    pub community_id: i64,
    pub served_on: NaiveDate,
    pub kind: MealKind,
    pub name: String,
    pub price_fen: i64,
    pub quantity: i32,
    pub booked: i32,
}

impl TryFrom<meal::Model> for Meal {
    type Error = DomainError;
    fn try_from(m: meal::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            community_id: m.community_id,
            served_on: m.served_on,
            kind: MealKind::parse(&m.kind)?,
            name: m.name,
            price_fen: m.price_fen,
            quantity: m.quantity,
            booked: m.booked,
        })
    }
}

#[derive(Clone, Debug)]
pub struct NewMeal {
    pub kind: MealKind,
    pub name: String,
    pub price_fen: i64,
    pub quantity: i32,
}

#[derive(Clone, Debug)]
pub struct Booking {
    pub id: i64,
    pub meal_id: i64,
    pub community_id: i64,
    pub user_id: i64,
    pub served_on: NaiveDate,
    pub quantity: i32,
    pub status: BookingStatus,
    pub price_fen: i64,
    pub discount_fen: i64,
    pub paid_fen: Option<i64>,
    pub payment_method: Option<PaymentMethod>,
    pub paid_at: Option<DateTime<Utc>>,
    pub collected_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Booking {
    /// What is left to pay at the counter.
    pub fn due_fen(&self) -> i64 {
        if self.paid_fen.is_some() { 0 } else { std::cmp::max(self.price_fen - self.discount_fen, 0) }
    }
}

/// One meal's line on the operator's daily sheet.
#[derive(Clone, Debug)]
pub struct SheetLine {
    pub meal: Meal,
    pub booked: i32,
    pub collected: i32,
    pub paid: i32,
    pub takings_fen: i64,
    /// Portions going out as love lunchboxes (爱心盒饭), not cancelled.
    pub lunchboxes: i32,
    pub bookings: Vec<Booking>,
}

/// Records on a booking the ledger transfer that paid for it (or its coupon).
async fn link_transfer(
    txn: &sea_orm::DatabaseTransaction,
    id: i64,
    column: meal_booking::Column,
    transfer_id: i64,
) -> DomainResult<()> {
    meal_booking::Entity::update_many()
        .col_expr(column, Expr::value(transfer_id))
        .filter(meal_booking::Column::Id.eq(id))
        .exec(txn)
        .await?;
    Ok(())
}

fn booking(m: meal_booking::Model, meal: &meal::Model) -> DomainResult<Booking> {
    Ok(Booking {
        id: m.id,
        meal_id: m.meal_id,
        community_id: m.community_id,
        user_id: m.user_id,
        served_on: m.served_on,
        quantity: m.quantity,
        status: BookingStatus::parse(&m.status)?,
        price_fen: meal.price_fen * i64::from(m.quantity),
        discount_fen: m.discount_fen,
        paid_fen: m.paid_fen,
        payment_method: m.payment_method.as_deref().map(PaymentMethod::parse).transpose()?,
        paid_at: m.paid_at,
        collected_at: m.collected_at,
        created_at: m.created_at,
    })
}

/// The default menu: worker sets at 6, 8 and 10 yuan, and a children's nutrition meal.
fn default_menu() -> Vec<NewMeal> {
    [
        (MealKind::WorkerSet, "6元工作餐", 600, 80),
        (MealKind::WorkerSet, "8元工作餐", 800, 60),
        (MealKind::WorkerSet, "10元工作餐", 1000, 40),
        (MealKind::ChildNutrition, "儿童营养餐", 1000, 60),
    ]
    .into_iter()
    .map(|(kind, name, price_fen, quantity)| NewMeal { kind, name: name.into(), price_fen, quantity })
    .collect()
}

impl Canteen<'_> {
    /// The settings, for anyone in the community.
    pub async fn settings(self, actor: &Actor, community_id: i64) -> DomainResult<CanteenSettings> {
        actor.require_member(community_id)?;
        self.settings_of(community_id).await
    }

    async fn settings_of(self, community_id: i64) -> DomainResult<CanteenSettings> {
        match canteen_settings::Entity::find_by_id(community_id).one(&self.d.db).await? {
            Some(row) => serde_json::from_str(&row.settings).map_err(DomainError::internal),
            None => Ok(CanteenSettings::default()),
        }
    }

    pub async fn set_settings(
        self,
        actor: &Actor,
        community_id: i64,
        s: CanteenSettings,
    ) -> DomainResult<CanteenSettings> {
        actor.require(&authority::SET_CANTEEN_SETTINGS, community_id)?;
        if s.cutoff_hour > 23 {
            return Err(DomainError::bad_input("cutoffHour", "the cutoff is an hour from 0 to 23"));
        }
        if !(0..=1000).contains(&s.coupon_points) || !(0..=10_000).contains(&s.coupon_value_fen) {
            return Err(DomainError::bad_input(
                "couponPoints",
                "a coupon costs 0 to 1000 points and is worth 0 to 100 yuan",
            ));
        }
        let row = canteen_settings::ActiveModel {
            community_id: Set(community_id),
            settings: Set(serde_json::to_string(&s).map_err(DomainError::internal)?),
            updated_by: Set(actor.user_id),
            updated_at: Set(self.d.clock.now()),
        };
        canteen_settings::Entity::insert(row)
            .on_conflict(
                OnConflict::column(canteen_settings::Column::CommunityId)
                    .update_columns([
                        canteen_settings::Column::Settings,
                        canteen_settings::Column::UpdatedBy,
                        canteen_settings::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.d.db)
            .await?;
        Ok(s)
    }

    /// The moment bookings for `day` close (its cutoff hour, Asia/Shanghai).
    fn cutoff(day: NaiveDate, hour: u32) -> DomainResult<DateTime<Utc>> {
        day.and_hms_opt(hour, 0, 0)
            .and_then(|t| Shanghai.from_local_datetime(&t).single())
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| DomainError::internal("cutoff out of range"))
    }

    /// The operator publishes a day's menu (the default menu when `items` is empty).
    pub async fn publish_menu(
        self,
        actor: &Actor,
        community_id: i64,
        day: NaiveDate,
        items: Vec<NewMeal>,
    ) -> DomainResult<Vec<Meal>> {
        actor.require(&authority::PUBLISH_CANTEEN_MENU, community_id)?;
        let today = self.d.clock.now().with_timezone(&Shanghai).date_naive();
        if day < today {
            return Err(DomainError::bad_input("date", "a menu is published for today or a later day"));
        }
        let items = if items.is_empty() { default_menu() } else { items };
        if items.len() > 20 {
            return Err(DomainError::bad_input("items", "a day's menu has at most 20 meals"));
        }
        let now = self.d.clock.now();
        let txn = self.d.db.begin().await?;
        for item in items {
            let name = validate::required_text("name", &item.name, 30)?;
            if !(1..=100_000).contains(&item.price_fen) {
                return Err(DomainError::bad_input("priceFen", "a price is 1 fen to 1000 yuan"));
            }
            if !(1..=5000).contains(&item.quantity) {
                return Err(DomainError::bad_input("quantity", "a meal has 1 to 5000 portions a day"));
            }
            meal::ActiveModel {
                community_id: Set(community_id),
                served_on: Set(day),
                kind: Set(item.kind.as_str().into()),
                name: Set(name),
                price_fen: Set(item.price_fen),
                quantity: Set(item.quantity),
                booked: Set(0),
                published_by: Set(actor.user_id),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
        txn.commit().await?;
        self.menu(actor, community_id, day).await
    }

    pub async fn menu(self, actor: &Actor, community_id: i64, day: NaiveDate) -> DomainResult<Vec<Meal>> {
        actor.require_member(community_id)?;
        meal::Entity::find()
            .filter(meal::Column::CommunityId.eq(community_id))
            .filter(meal::Column::ServedOn.eq(day))
            .filter(meal::Column::WithdrawnAt.is_null())
            .order_by_asc(meal::Column::Id)
            .all(&self.d.db)
            .await?
            .into_iter()
            .map(Meal::try_from)
            .collect()
    }

    /// Books portions of a meal; never more than the day's portions. A retry
    /// with the same key books once.
    pub async fn book(
        self,
        actor: &Actor,
        meal_id: i64,
        quantity: i32,
        idempotency_key: &str,
    ) -> DomainResult<Booking> {
        let m = in_reach::<meal::Entity>(&self.d.db, actor, meal_id, "meal").await?;
        idempotency::check_key(idempotency_key)?;
        if !(1..=10).contains(&quantity) {
            return Err(DomainError::bad_input("quantity", "book 1 to 10 portions"));
        }
        let key = format!("{}:{idempotency_key}", actor.user_id);
        if let Some(done) = self.booking_by_key(&key).await? {
            return replay(done, meal_id, quantity, &m);
        }
        let settings = self.settings_of(m.community_id).await?;
        if self.d.clock.now() >= Self::cutoff(m.served_on, settings.cutoff_hour)? {
            return Err(DomainError::invalid_state(format!(
                "bookings for {} closed at {}:00",
                m.served_on, settings.cutoff_hour
            )));
        }
        if m.withdrawn_at.is_some() {
            return Err(DomainError::invalid_state("this meal is no longer offered"));
        }
        let txn = self.d.db.begin().await?;
        let taken = meal::Entity::update_many()
            .col_expr(meal::Column::Booked, Expr::col(meal::Column::Booked).add(quantity))
            .filter(meal::Column::Id.eq(meal_id))
            .filter(Expr::col(meal::Column::Booked).add(quantity).lte(Expr::col(meal::Column::Quantity)))
            .exec(&txn)
            .await?;
        if taken.rows_affected == 0 {
            return Err(DomainError::Conflict(format!("{} is sold out for {}", m.name, m.served_on)));
        }
        let inserted = meal_booking::ActiveModel {
            meal_id: Set(meal_id),
            community_id: Set(m.community_id),
            user_id: Set(actor.user_id),
            served_on: Set(m.served_on),
            quantity: Set(quantity),
            status: Set(BookingStatus::Booked.as_str().into()),
            discount_fen: Set(0),
            idempotency_key: Set(key.clone()),
            created_at: Set(self.d.clock.now()),
            ..Default::default()
        }
        .insert(&txn)
        .await;
        match inserted.map_err(DomainError::from) {
            Ok(row) => {
                workflow::created::<meal_booking::Entity, _>(&txn, &row, Some(actor.user_id), row.created_at).await?;
                txn.commit().await?;
                booking(row, &m)
            }
            Err(DomainError::Conflict(_)) => {
                txn.rollback().await?;
                let done = self.booking_by_key(&key).await?.ok_or_else(|| DomainError::Conflict("try again".into()))?;
                replay(done, meal_id, quantity, &m)
            }
            Err(e) => Err(e),
        }
    }

    async fn booking_by_key(self, key: &str) -> DomainResult<Option<meal_booking::Model>> {
        Ok(meal_booking::Entity::find().filter(meal_booking::Column::IdempotencyKey.eq(key)).one(&self.d.db).await?)
    }

    async fn load_booking(self, actor: &Actor, id: i64) -> DomainResult<(meal_booking::Model, meal::Model)> {
        let b = meal_booking::Entity::find_by_id(id)
            .one(&self.d.db)
            .await?
            .filter(|b| b.user_id == actor.user_id || actor.may(&authority::CANTEEN_DAILY_SHEET, b.community_id))
            .ok_or(DomainError::NotFound("booking"))?;
        let m = meal::Entity::find_by_id(b.meal_id).one(&self.d.db).await?.ok_or(DomainError::NotFound("meal"))?;
        Ok((b, m))
    }

    /// The booking as `actor` may see it, with its meal.
    async fn booking_for(self, actor: &Actor, id: i64) -> DomainResult<Booking> {
        let (b, m) = self.load_booking(actor, id).await?;
        booking(b, &m)
    }

    /// The resident cancels before the cutoff; a coupon's points come back.
    pub async fn cancel_booking(self, actor: &Actor, id: i64) -> DomainResult<Booking> {
        let (b, _) = self.load_booking(actor, id).await?;
        if b.user_id != actor.user_id {
            return Err(DomainError::forbidden(
                "only the person who booked can cancel; the counter can refund in person",
            ));
        }
        let settings = self.settings_of(b.community_id).await?;
        if self.d.clock.now() >= Self::cutoff(b.served_on, settings.cutoff_hour)? {
            return Err(DomainError::invalid_state(format!(
                "cancelling closed at {}:00 on {}",
                settings.cutoff_hour, b.served_on
            )));
        }
        if b.paid_fen.is_some() {
            return Err(DomainError::invalid_state("this meal is paid; ask at the counter"));
        }
        let now = self.d.clock.now();
        let step = BookingStep::by(actor.user_id, BookingAction::Cancel)
            .guard(meal_booking::Column::PaidFen.is_null())
            .set(|m| m.cancelled_at = Set(Some(now)));
        workflow::step(self.d, &b, step).await?;
        self.booking_for(actor, id).await
    }

    /// The resident spends civility points on a discount coupon for a booking (one per booking).
    pub async fn use_coupon(self, actor: &Actor, id: i64) -> DomainResult<Booking> {
        let (b, m) = self.load_booking(actor, id).await?;
        if b.user_id != actor.user_id {
            return Err(DomainError::forbidden("only the person who booked can use a coupon on it"));
        }
        let settings = self.settings_of(b.community_id).await?;
        if settings.coupon_points == 0 || settings.coupon_value_fen == 0 {
            return Err(DomainError::invalid_state("this canteen offers no coupons"));
        }
        let price = m.price_fen * i64::from(b.quantity);
        let discount = std::cmp::min(settings.coupon_value_fen, price);
        let now = self.d.clock.now();
        let c = b.community_id;
        let txn = self.d.db.begin().await?;
        let marked = meal_booking::Entity::update_many()
            .col_expr(meal_booking::Column::DiscountFen, Expr::value(discount))
            .filter(meal_booking::Column::Id.eq(id))
            .filter(meal_booking::Column::Status.eq(BookingStatus::Booked.as_str()))
            .filter(meal_booking::Column::PaidFen.is_null())
            .filter(meal_booking::Column::CouponTransferId.is_null())
            .exec(&txn)
            .await?;
        if marked.rows_affected == 0 {
            return Err(DomainError::invalid_state("a coupon can be used once, on an unpaid booking"));
        }
        let transfer = post_in(
            &txn,
            &TransferRequest {
                community_id: c,
                kind: TransferKind::Coupon,
                key: format!("meal-booking:{id}:coupon"),
                reason: format!("canteen coupon: {} yuan off {}", discount as f64 / 100.0, m.name),
                created_by: Some(actor.user_id),
                reverses: None,
                movements: vec![Movement {
                    from: AccountRef::resident(c, actor.user_id),
                    to: AccountRef::community(c, AccountKind::Canteen),
                    amount: settings.coupon_points,
                }],
                status: TransferStatus::Posted,
            },
            now,
        )
        .await?;
        link_transfer(&txn, id, meal_booking::Column::CouponTransferId, transfer.id).await?;
        txn.commit().await?;
        self.booking_for(actor, id).await
    }

    /// The operator records payment at the counter; the money is booked in fen.
    pub async fn mark_paid(self, actor: &Actor, id: i64, method: PaymentMethod) -> DomainResult<Booking> {
        let (b, m) = self.load_booking(actor, id).await?;
        actor.require(&authority::MARK_MEAL_PAID, b.community_id)?;
        let due = std::cmp::max(m.price_fen * i64::from(b.quantity) - b.discount_fen, 0);
        let now = self.d.clock.now();
        let c = b.community_id;
        let txn = self.d.db.begin().await?;
        let paid = meal_booking::Entity::update_many()
            .col_expr(meal_booking::Column::PaidFen, Expr::value(due))
            .col_expr(meal_booking::Column::PaymentMethod, Expr::value(method.as_str()))
            .col_expr(meal_booking::Column::PaidAt, Expr::value(now))
            .filter(meal_booking::Column::Id.eq(id))
            .filter(meal_booking::Column::Status.ne(BookingStatus::Cancelled.as_str()))
            .filter(meal_booking::Column::PaidFen.is_null())
            .exec(&txn)
            .await?;
        if paid.rows_affected == 0 {
            return Err(DomainError::invalid_state("this booking is already paid or was cancelled"));
        }
        if due > 0 {
            let transfer = post_in(
                &txn,
                &TransferRequest::counter_payment(
                    c,
                    format!("meal-booking:{id}:payment"),
                    format!("{} × {} paid by {}", b.quantity, m.name, method.as_str().to_lowercase()),
                    actor.user_id,
                    due,
                ),
                now,
            )
            .await?;
            link_transfer(&txn, id, meal_booking::Column::PaymentTransferId, transfer.id).await?;
        }
        txn.commit().await?;
        self.booking_for(actor, id).await
    }

    /// Serving: the operator marks the meal collected.
    pub async fn mark_collected(self, actor: &Actor, id: i64) -> DomainResult<Booking> {
        let (b, _) = self.load_booking(actor, id).await?;
        actor.require(&authority::MARK_MEAL_COLLECTED, b.community_id)?;
        let now = self.d.clock.now();
        let step = BookingStep::by(actor.user_id, BookingAction::Collect).set(|m| m.collected_at = Set(Some(now)));
        workflow::step(self.d, &b, step).await?;
        self.booking_for(actor, id).await
    }

    pub async fn my_bookings(self, actor: &Actor, community_id: i64) -> DomainResult<Vec<Booking>> {
        actor.require_member(community_id)?;
        let rows = meal_booking::Entity::find()
            .filter(meal_booking::Column::CommunityId.eq(community_id))
            .filter(meal_booking::Column::UserId.eq(actor.user_id))
            .order_by_desc(meal_booking::Column::Id)
            .limit(100)
            .all(&self.d.db)
            .await?;
        self.with_meals(rows).await
    }

    async fn with_meals(self, rows: Vec<meal_booking::Model>) -> DomainResult<Vec<Booking>> {
        let meals = crate::rows::by_ids::<meal::Entity>(&self.d.db, rows.iter().map(|b| b.meal_id)).await?;
        rows.into_iter()
            .map(|b| {
                let m = meals.get(&b.meal_id).ok_or_else(|| DomainError::internal("booking without meal"))?;
                booking(b, m)
            })
            .collect()
    }

    /// The operator's sheet for a day: per meal, who booked, what is paid, what was collected.
    pub async fn daily_sheet(self, actor: &Actor, community_id: i64, day: NaiveDate) -> DomainResult<Vec<SheetLine>> {
        actor.require(&authority::CANTEEN_DAILY_SHEET, community_id)?;
        let meals = meal::Entity::find()
            .filter(meal::Column::CommunityId.eq(community_id))
            .filter(meal::Column::ServedOn.eq(day))
            .order_by_asc(meal::Column::Id)
            .all(&self.d.db)
            .await?;
        let rows = meal_booking::Entity::find()
            .filter(meal_booking::Column::CommunityId.eq(community_id))
            .filter(meal_booking::Column::ServedOn.eq(day))
            .filter(meal_booking::Column::Status.ne(BookingStatus::Cancelled.as_str()))
            .order_by_asc(meal_booking::Column::Id)
            .all(&self.d.db)
            .await?;
        let lunchboxes = self.d.lunchbox().portions_by_meal(&meals.iter().map(|m| m.id).collect::<Vec<_>>()).await?;
        meals
            .iter()
            .map(|m| {
                let bookings = rows
                    .iter()
                    .filter(|b| b.meal_id == m.id)
                    .map(|b| booking(b.clone(), m))
                    .collect::<DomainResult<Vec<_>>>()?;
                Ok(SheetLine {
                    meal: Meal::try_from(m.clone())?,
                    booked: bookings.iter().map(|b| b.quantity).sum(),
                    collected: bookings
                        .iter()
                        .filter(|b| b.status == BookingStatus::Collected)
                        .map(|b| b.quantity)
                        .sum(),
                    paid: bookings.iter().filter(|b| b.paid_fen.is_some()).map(|b| b.quantity).sum(),
                    takings_fen: bookings.iter().filter_map(|b| b.paid_fen).sum(),
                    lunchboxes: lunchboxes.get(&m.id).copied().unwrap_or(0),
                    bookings,
                })
            })
            .collect()
    }
}

fn replay(done: meal_booking::Model, meal_id: i64, quantity: i32, m: &meal::Model) -> DomainResult<Booking> {
    if done.meal_id != meal_id || done.quantity != quantity {
        return Err(DomainError::Conflict(
            "this idempotencyKey was already used for a different booking; use a new key".into(),
        ));
    }
    booking(done, m)
}
