//! The contract canteen (合约食堂): menus, bookings, the counter and the daily sheet.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use domain::canteen as c;

use super::enums::graphql_enum;
use super::org::{Person, people};
use super::{OrGql, actor, domain, parse_id};

#[derive(Default)]
pub struct CanteenQuery;

#[derive(Default)]
pub struct CanteenMutation;

graphql_enum!(MealKind = domain::canteen::MealKind);

graphql_enum!(BookingStatus = domain::canteen::BookingStatus);

graphql_enum!(PaymentMethod = domain::canteen::PaymentMethod);

#[derive(SimpleObject, Clone)]
pub struct Meal {
    id: ID,
    served_on: NaiveDate,
    kind: MealKind,
    name: String,
    price_fen: i64,
    /// Portions offered that day.
    quantity: i32,
    booked: i32,
    available: i32,
}

impl From<c::Meal> for Meal {
    fn from(m: c::Meal) -> Self {
        Self {
            id: m.id.into(),
            served_on: m.served_on,
            kind: m.kind.into(),
            available: m.quantity - m.booked,
            name: m.name,
            price_fen: m.price_fen,
            quantity: m.quantity,
            booked: m.booked,
        }
    }
}

#[derive(SimpleObject, Clone)]
pub struct MealBooking {
    id: ID,
    meal_id: ID,
    diner: Option<Person>,
    served_on: NaiveDate,
    quantity: i32,
    status: BookingStatus,
    price_fen: i64,
    /// Taken off by a coupon bought with civility points.
    discount_fen: i64,
    /// Left to pay at the counter.
    due_fen: i64,
    paid_fen: Option<i64>,
    payment_method: Option<PaymentMethod>,
    paid_at: Option<DateTime<Utc>>,
    collected_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

async fn bookings_out(ctx: &Context<'_>, list: Vec<c::Booking>) -> Result<Vec<MealBooking>> {
    let names = people(ctx, list.iter().map(|b| b.user_id)).await?;
    Ok(list
        .into_iter()
        .map(|b| MealBooking {
            id: b.id.into(),
            meal_id: b.meal_id.into(),
            diner: names.get(&b.user_id).cloned(),
            served_on: b.served_on,
            quantity: b.quantity,
            status: b.status.into(),
            price_fen: b.price_fen,
            discount_fen: b.discount_fen,
            due_fen: b.due_fen(),
            paid_fen: b.paid_fen,
            payment_method: b.payment_method.map(Into::into),
            paid_at: b.paid_at,
            collected_at: b.collected_at,
            created_at: b.created_at,
        })
        .collect())
}

async fn booking_out(ctx: &Context<'_>, b: c::Booking) -> Result<MealBooking> {
    Ok(bookings_out(ctx, vec![b]).await?.remove(0))
}

/// One meal's line on the operator's daily sheet.
#[derive(SimpleObject)]
pub struct SheetLine {
    meal: Meal,
    booked: i32,
    collected: i32,
    paid: i32,
    takings_fen: i64,
    /// Portions going out as love lunchboxes (not cancelled).
    lunchboxes: i32,
    bookings: Vec<MealBooking>,
}

#[derive(SimpleObject)]
pub struct CanteenSettings {
    /// Bookings for a day close at this hour that day (Asia/Shanghai).
    cutoff_hour: u32,
    coupon_points: i64,
    coupon_value_fen: i64,
}

impl From<c::CanteenSettings> for CanteenSettings {
    fn from(s: c::CanteenSettings) -> Self {
        Self { cutoff_hour: s.cutoff_hour, coupon_points: s.coupon_points, coupon_value_fen: s.coupon_value_fen }
    }
}

#[derive(InputObject)]
pub struct CanteenSettingsInput {
    cutoff_hour: Option<u32>,
    coupon_points: Option<i64>,
    coupon_value_fen: Option<i64>,
}

#[derive(InputObject)]
pub struct MealInput {
    kind: MealKind,
    name: String,
    price_fen: i64,
    quantity: i32,
}

#[Object]
impl CanteenQuery {
    /// The day's menu.
    async fn canteen_menu(&self, ctx: &Context<'_>, community_id: ID, date: NaiveDate) -> Result<Vec<Meal>> {
        let actor = actor(ctx).await?;
        let meals = domain(ctx).canteen().menu(actor, parse_id(&community_id, "community")?, date).await.gql()?;
        Ok(meals.into_iter().map(Into::into).collect())
    }

    async fn my_meal_bookings(&self, ctx: &Context<'_>, community_id: ID) -> Result<Vec<MealBooking>> {
        let actor = actor(ctx).await?;
        let list = domain(ctx).canteen().my_bookings(actor, parse_id(&community_id, "community")?).await.gql()?;
        bookings_out(ctx, list).await
    }

    /// The operator's sheet for a day.
    async fn canteen_daily_sheet(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        date: NaiveDate,
    ) -> Result<Vec<SheetLine>> {
        let actor = actor(ctx).await?;
        let lines =
            domain(ctx).canteen().daily_sheet(actor, parse_id(&community_id, "community")?, date).await.gql()?;
        let mut out = Vec::with_capacity(lines.len());
        for l in lines {
            out.push(SheetLine {
                meal: l.meal.into(),
                booked: l.booked,
                collected: l.collected,
                paid: l.paid,
                takings_fen: l.takings_fen,
                lunchboxes: l.lunchboxes,
                bookings: bookings_out(ctx, l.bookings).await?,
            });
        }
        Ok(out)
    }

    async fn canteen_settings(&self, ctx: &Context<'_>, community_id: ID) -> Result<CanteenSettings> {
        let actor = actor(ctx).await?;
        let c = parse_id(&community_id, "community")?;
        domain(ctx).canteen().settings(actor, c).await.map(Into::into).gql()
    }
}

#[Object]
impl CanteenMutation {
    /// The operator publishes a day's menu; without `items`, the default one
    /// (worker sets at 6, 8 and 10 yuan and a children's nutrition meal).
    async fn publish_canteen_menu(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        date: NaiveDate,
        #[graphql(default)] items: Vec<MealInput>,
    ) -> Result<Vec<Meal>> {
        let actor = actor(ctx).await?;
        let items = items
            .into_iter()
            .map(|i| c::NewMeal { kind: i.kind.into(), name: i.name, price_fen: i.price_fen, quantity: i.quantity })
            .collect();
        let meals = domain(ctx)
            .canteen()
            .publish_menu(actor, parse_id(&community_id, "community")?, date, items)
            .await
            .gql()?;
        Ok(meals.into_iter().map(Into::into).collect())
    }

    /// Books portions until the day's cutoff; sold out is `CONFLICT`. The key makes a retry safe.
    async fn book_meal(
        &self,
        ctx: &Context<'_>,
        meal_id: ID,
        quantity: i32,
        idempotency_key: String,
    ) -> Result<MealBooking> {
        let actor = actor(ctx).await?;
        let b =
            domain(ctx).canteen().book(actor, parse_id(&meal_id, "meal")?, quantity, &idempotency_key).await.gql()?;
        booking_out(ctx, b).await
    }

    async fn cancel_meal_booking(&self, ctx: &Context<'_>, booking_id: ID) -> Result<MealBooking> {
        let actor = actor(ctx).await?;
        let b = domain(ctx).canteen().cancel_booking(actor, parse_id(&booking_id, "booking")?).await.gql()?;
        booking_out(ctx, b).await
    }

    /// Spends civility points on a discount coupon for this booking.
    async fn use_meal_coupon(&self, ctx: &Context<'_>, booking_id: ID) -> Result<MealBooking> {
        let actor = actor(ctx).await?;
        let b = domain(ctx).canteen().use_coupon(actor, parse_id(&booking_id, "booking")?).await.gql()?;
        booking_out(ctx, b).await
    }

    /// The operator records payment at the counter.
    async fn mark_meal_paid(&self, ctx: &Context<'_>, booking_id: ID, method: PaymentMethod) -> Result<MealBooking> {
        let actor = actor(ctx).await?;
        let b = domain(ctx).canteen().mark_paid(actor, parse_id(&booking_id, "booking")?, method.into()).await.gql()?;
        booking_out(ctx, b).await
    }

    /// Serving: the operator marks the meal collected.
    async fn mark_meal_collected(&self, ctx: &Context<'_>, booking_id: ID) -> Result<MealBooking> {
        let actor = actor(ctx).await?;
        let b = domain(ctx).canteen().mark_collected(actor, parse_id(&booking_id, "booking")?).await.gql()?;
        booking_out(ctx, b).await
    }

    async fn set_canteen_settings(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        settings: CanteenSettingsInput,
    ) -> Result<CanteenSettings> {
        let actor = actor(ctx).await?;
        let c = parse_id(&community_id, "community")?;
        let mut current = domain(ctx).canteen().settings(actor, c).await.gql()?;
        if let Some(v) = settings.cutoff_hour {
            current.cutoff_hour = v;
        }
        if let Some(v) = settings.coupon_points {
            current.coupon_points = v;
        }
        if let Some(v) = settings.coupon_value_fen {
            current.coupon_value_fen = v;
        }
        domain(ctx).canteen().set_settings(actor, c, current).await.map(Into::into).gql()
    }
}
