//! Banquets (红白喜事) in the canteen's venue.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use domain::banquets as b;
use domain::pagination::Page;

use super::enums::graphql_enum;
use super::org::{Person, people};
use super::pages::{Counted, actor_and_page, page_to_connection};
use super::{OrGql, actor, domain, parse_id};

#[derive(Default)]
pub struct BanquetQuery;

#[derive(Default)]
pub struct BanquetMutation;

graphql_enum!(
    BanquetKind = domain::banquets::BanquetKind {
        Wedding: "喜事: booked at least the council's notice period ahead.",
        Funeral: "白事: may be booked for the same or the next day.",
    }
);

graphql_enum!(BanquetStatus = domain::banquets::BanquetStatus);

#[derive(SimpleObject, Clone)]
pub struct BanquetVenue {
    id: ID,
    name: String,
    /// How many tables it seats.
    tables: i32,
}

impl From<b::Venue> for BanquetVenue {
    fn from(v: b::Venue) -> Self {
        Self { id: v.id.into(), name: v.name, tables: v.tables }
    }
}

#[derive(SimpleObject, Clone)]
pub struct BanquetMenu {
    id: ID,
    name: String,
    /// The only price: the venue and the tableware are free.
    price_per_table_fen: i64,
    dishes: Vec<String>,
    retired: bool,
}

impl From<b::Menu> for BanquetMenu {
    fn from(m: b::Menu) -> Self {
        Self {
            id: m.id.into(),
            name: m.name,
            price_per_table_fen: m.price_per_table_fen,
            dishes: m.dishes,
            retired: m.retired,
        }
    }
}

/// The red-and-white affairs council's limits (红白理事会).
#[derive(SimpleObject)]
pub struct BanquetLimits {
    /// At most this many tables a banquet (default 20).
    max_tables: i32,
    /// The dearest menu allowed, per table, in fen (default 60000: 600 yuan).
    max_price_per_table_fen: i64,
    /// The most a whole banquet may cost, in fen (default 1000000: 10000 yuan).
    max_total_fen: i64,
    /// Weddings are booked at least this many days ahead (default 7).
    wedding_notice_days: i32,
}

impl From<b::BanquetLimits> for BanquetLimits {
    fn from(l: b::BanquetLimits) -> Self {
        Self {
            max_tables: l.max_tables,
            max_price_per_table_fen: l.max_price_per_table_fen,
            max_total_fen: l.max_total_fen,
            wedding_notice_days: l.wedding_notice_days,
        }
    }
}

/// What to change; what is left out stays as it is.
#[derive(InputObject)]
pub struct BanquetLimitsInput {
    max_tables: Option<i32>,
    max_price_per_table_fen: Option<i64>,
    max_total_fen: Option<i64>,
    wedding_notice_days: Option<i32>,
}

/// A venue-day that is taken; who took it is not shown.
#[derive(SimpleObject)]
pub struct BanquetDay {
    venue_id: ID,
    venue_name: String,
    date: NaiveDate,
    /// Approved (or held), not only asked for.
    confirmed: bool,
}

#[derive(SimpleObject, Clone)]
pub struct BanquetEvent {
    from_status: Option<BanquetStatus>,
    to_status: BanquetStatus,
    at: DateTime<Utc>,
    /// The reason given with the change.
    note: Option<String>,
    actor: Option<Person>,
}

#[derive(SimpleObject, Clone)]
pub struct BanquetBooking {
    id: ID,
    venue: BanquetVenueRef,
    menu: BanquetMenuRef,
    date: NaiveDate,
    kind: BanquetKind,
    status: BanquetStatus,
    host_name: String,
    /// In full for the family who booked, the council, the canteen and the
    /// secretary; `138****5678` for everyone else.
    contact_phone: String,
    /// Whether `contactPhone` is masked for you.
    contact_masked: bool,
    tables: i32,
    guests: i32,
    /// The menu's price when booked.
    price_per_table_fen: i64,
    /// Tables × price per table: the venue and tableware are free.
    total_fen: i64,
    note: Option<String>,
    booked_by: Option<Person>,
    decided_by: Option<Person>,
    decided_at: Option<DateTime<Utc>>,
    decline_reason: Option<String>,
    cancelled_by: Option<Person>,
    cancelled_at: Option<DateTime<Utc>>,
    cancel_reason: Option<String>,
    held_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    /// Every change, oldest first.
    history: Vec<BanquetEvent>,
}

#[derive(SimpleObject, Clone)]
pub struct BanquetVenueRef {
    id: ID,
    name: String,
}

#[derive(SimpleObject, Clone)]
pub struct BanquetMenuRef {
    id: ID,
    name: String,
}

#[derive(InputObject)]
pub struct BookBanquetInput {
    venue_id: ID,
    menu_id: ID,
    /// The banquet's day (Asia/Shanghai).
    date: NaiveDate,
    kind: BanquetKind,
    /// Whose banquet it is (主家), at most 30 characters.
    host_name: String,
    contact_phone: String,
    tables: i32,
    guests: i32,
    /// At most 500 characters.
    note: Option<String>,
    /// Send the same key when retrying: the banquet is booked once.
    idempotency_key: String,
}

/// Bookings with names and histories, in a few batched statements.
async fn bookings_out(ctx: &Context<'_>, list: Vec<b::Booking>) -> Result<Vec<BanquetBooking>> {
    let viewer = actor(ctx).await?;
    let ids: Vec<i64> = list.iter().map(|x| x.id).collect();
    let mut histories = domain(ctx).banquets().histories(&ids).await.gql()?;
    let mut who: Vec<i64> = Vec::new();
    for x in &list {
        who.push(x.booked_by);
        who.extend(x.decided_by);
        who.extend(x.cancelled_by);
    }
    who.extend(histories.values().flatten().filter_map(|e| e.actor_id));
    let names = people(ctx, who).await?;
    let name = |id: Option<i64>| id.and_then(|id| names.get(&id).cloned());
    Ok(list
        .into_iter()
        .map(|x| {
            let (contact_phone, contact_masked) = x.contact_phone_for(viewer);
            let history = histories
                .remove(&x.id)
                .unwrap_or_default()
                .into_iter()
                .map(|e| BanquetEvent {
                    from_status: e.from_status.map(Into::into),
                    to_status: e.to_status.into(),
                    at: e.at,
                    note: e.note,
                    actor: name(e.actor_id),
                })
                .collect();
            BanquetBooking {
                id: x.id.into(),
                venue: BanquetVenueRef { id: x.venue_id.into(), name: x.venue_name },
                menu: BanquetMenuRef { id: x.menu_id.into(), name: x.menu_name },
                date: x.date,
                kind: x.kind.into(),
                status: x.status.into(),
                host_name: x.host_name,
                contact_phone,
                contact_masked,
                tables: x.tables,
                guests: x.guests,
                price_per_table_fen: x.price_per_table_fen,
                total_fen: x.total_fen,
                note: x.note,
                booked_by: name(Some(x.booked_by)),
                decided_by: name(x.decided_by),
                decided_at: x.decided_at,
                decline_reason: x.decline_reason,
                cancelled_by: name(x.cancelled_by),
                cancelled_at: x.cancelled_at,
                cancel_reason: x.cancel_reason,
                held_at: x.held_at,
                created_at: x.created_at,
                history,
            }
        })
        .collect())
}

async fn booking_out(ctx: &Context<'_>, x: b::Booking) -> Result<BanquetBooking> {
    Ok(bookings_out(ctx, vec![x]).await?.remove(0))
}

type BanquetBookingConnection = Connection<String, BanquetBooking, Counted>;

#[Object]
impl BanquetQuery {
    /// The banquet menus the canteen offers (and retired ones when asked).
    async fn banquet_menus(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        #[graphql(default)] include_retired: bool,
    ) -> Result<Vec<BanquetMenu>> {
        let actor = actor(ctx).await?;
        let c = parse_id(&community_id, "community")?;
        let menus = domain(ctx).banquets().menus(actor, c, include_retired).await.gql()?;
        Ok(menus.into_iter().map(Into::into).collect())
    }

    /// The canteen's banquet venues; they and their tableware are free.
    async fn banquet_venues(&self, ctx: &Context<'_>, community_id: ID) -> Result<Vec<BanquetVenue>> {
        let actor = actor(ctx).await?;
        let c = parse_id(&community_id, "community")?;
        Ok(domain(ctx).banquets().venues(actor, c).await.gql()?.into_iter().map(Into::into).collect())
    }

    /// The council's limits on size and spending.
    async fn banquet_limits(&self, ctx: &Context<'_>, community_id: ID) -> Result<BanquetLimits> {
        let actor = actor(ctx).await?;
        let c = parse_id(&community_id, "community")?;
        domain(ctx).banquets().limits(actor, c).await.map(Into::into).gql()
    }

    /// Which venue-days are taken from `from` to `to` (inclusive, at most 366
    /// days), for anyone in the community; without names or phones.
    async fn banquet_calendar(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<BanquetDay>> {
        let actor = actor(ctx).await?;
        let c = parse_id(&community_id, "community")?;
        let days = domain(ctx).banquets().calendar(actor, c, from, to).await.gql()?;
        Ok(days
            .into_iter()
            .map(|d| BanquetDay {
                venue_id: d.venue_id.into(),
                venue_name: d.venue_name,
                date: d.date,
                confirmed: d.confirmed,
            })
            .collect())
    }

    /// Your own banquet bookings, newest first (the last 100).
    async fn my_banquet_bookings(&self, ctx: &Context<'_>, community_id: Option<ID>) -> Result<Vec<BanquetBooking>> {
        let actor = actor(ctx).await?;
        let c = community_id.as_ref().map(|c| parse_id(c, "community")).transpose()?;
        let list = domain(ctx).banquets().mine(actor, c).await.gql()?;
        bookings_out(ctx, list).await
    }

    /// One booking: for the family who booked it, the council, the canteen,
    /// the secretary and grid workers.
    async fn banquet_booking(&self, ctx: &Context<'_>, id: ID) -> Result<BanquetBooking> {
        let actor = actor(ctx).await?;
        let x = domain(ctx).banquets().get(actor, parse_id(&id, "banquet booking")?).await.gql()?;
        booking_out(ctx, x).await
    }

    /// The community's bookings, newest first, for the council, the canteen,
    /// the secretary and grid workers. `first` is 1–100 (default 20).
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn banquet_bookings(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        status: Option<BanquetStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<BanquetBookingConnection> {
        let (actor, page) = actor_and_page(ctx, first, after.as_deref()).await?;
        let c = parse_id(&community_id, "community")?;
        let page = domain(ctx).banquets().list(actor, c, status.map(Into::into), page).await.gql()?;
        let ids: Vec<i64> = page.items.iter().map(|x| x.id).collect();
        let nodes = bookings_out(ctx, page.items).await?;
        let page = Page {
            items: ids.into_iter().zip(nodes).collect::<Vec<_>>(),
            has_next_page: page.has_next_page,
            has_previous_page: page.has_previous_page,
            total_count: page.total_count,
        };
        Ok(page_to_connection(page, |(id, _)| *id, |(_, node)| node))
    }
}

#[Object]
impl BanquetMutation {
    /// The canteen operator or the secretary adds a venue.
    async fn create_banquet_venue(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        name: String,
        tables: i32,
    ) -> Result<BanquetVenue> {
        let actor = actor(ctx).await?;
        let c = parse_id(&community_id, "community")?;
        domain(ctx).banquets().create_venue(actor, c, &name, tables).await.map(Into::into).gql()
    }

    /// The canteen operator or the secretary sets a banquet menu.
    async fn create_banquet_menu(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        name: String,
        price_per_table_fen: i64,
        dishes: Vec<String>,
    ) -> Result<BanquetMenu> {
        let actor = actor(ctx).await?;
        let c = parse_id(&community_id, "community")?;
        domain(ctx).banquets().create_menu(actor, c, &name, price_per_table_fen, &dishes).await.map(Into::into).gql()
    }

    /// No longer offered; bookings already made keep their price.
    async fn retire_banquet_menu(&self, ctx: &Context<'_>, menu_id: ID) -> Result<BanquetMenu> {
        let actor = actor(ctx).await?;
        domain(ctx).banquets().retire_menu(actor, parse_id(&menu_id, "menu")?).await.map(Into::into).gql()
    }

    /// The secretary sets the council's limits.
    async fn set_banquet_limits(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        limits: BanquetLimitsInput,
    ) -> Result<BanquetLimits> {
        let actor = actor(ctx).await?;
        let c = parse_id(&community_id, "community")?;
        let mut current = domain(ctx).banquets().limits(actor, c).await.gql()?;
        if let Some(v) = limits.max_tables {
            current.max_tables = v;
        }
        if let Some(v) = limits.max_price_per_table_fen {
            current.max_price_per_table_fen = v;
        }
        if let Some(v) = limits.max_total_fen {
            current.max_total_fen = v;
        }
        if let Some(v) = limits.wedding_notice_days {
            current.wedding_notice_days = v;
        }
        domain(ctx).banquets().set_limits(actor, c, current).await.map(Into::into).gql()
    }

    /// A resident books a venue for a day. A venue-day already taken is
    /// `CONFLICT`; outside the council's limits is `BAD_USER_INPUT` naming the
    /// limit. The key makes a retry safe.
    async fn book_banquet(&self, ctx: &Context<'_>, input: BookBanquetInput) -> Result<BanquetBooking> {
        let actor = actor(ctx).await?;
        let new = b::NewBooking {
            venue_id: parse_id(&input.venue_id, "venue")?,
            menu_id: parse_id(&input.menu_id, "menu")?,
            date: input.date,
            kind: input.kind.into(),
            host_name: input.host_name,
            contact_phone: input.contact_phone,
            tables: input.tables,
            guests: input.guests,
            note: input.note,
        };
        let x = domain(ctx).banquets().book(actor, new, &input.idempotency_key).await.gql()?;
        booking_out(ctx, x).await
    }

    /// A council member or the secretary (not the booker) approves; the limits are checked again.
    async fn approve_banquet_booking(&self, ctx: &Context<'_>, booking_id: ID) -> Result<BanquetBooking> {
        let actor = actor(ctx).await?;
        let x = domain(ctx).banquets().approve(actor, parse_id(&booking_id, "banquet booking")?).await.gql()?;
        booking_out(ctx, x).await
    }

    /// A council member or the secretary (not the booker) declines with a reason; the day frees up.
    async fn decline_banquet_booking(
        &self,
        ctx: &Context<'_>,
        booking_id: ID,
        reason: String,
    ) -> Result<BanquetBooking> {
        let actor = actor(ctx).await?;
        let id = parse_id(&booking_id, "banquet booking")?;
        let x = domain(ctx).banquets().decline(actor, id, &reason).await.gql()?;
        booking_out(ctx, x).await
    }

    /// The family, the council, the canteen or the secretary cancels before
    /// the day (staff give a reason); the day frees up.
    async fn cancel_banquet_booking(
        &self,
        ctx: &Context<'_>,
        booking_id: ID,
        reason: Option<String>,
    ) -> Result<BanquetBooking> {
        let actor = actor(ctx).await?;
        let id = parse_id(&booking_id, "banquet booking")?;
        let x = domain(ctx).banquets().cancel(actor, id, reason).await.gql()?;
        booking_out(ctx, x).await
    }

    /// The canteen (or the secretary) marks an approved banquet held, on or after its day.
    async fn mark_banquet_held(&self, ctx: &Context<'_>, booking_id: ID) -> Result<BanquetBooking> {
        let actor = actor(ctx).await?;
        let x = domain(ctx).banquets().mark_held(actor, parse_id(&booking_id, "banquet booking")?).await.gql()?;
        booking_out(ctx, x).await
    }
}
