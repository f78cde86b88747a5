//! Love lunchboxes (爱心盒饭): the roster, the day's delivery tasks for the
//! red service team, and the in-app notice inbox that alerts staff.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use domain::lunchbox as l;
use domain::notifications as n;
use domain::pagination::{Page, encode_cursor};

use super::canteen::MealKind;
use super::enums::graphql_enum;
use super::org::{Person, people};
use super::pages::{Counted, actor_and_page, page_to_connection};
use super::{OrGql, actor, domain, parse_id};

#[derive(Default)]
pub struct LunchboxQuery;

#[derive(Default)]
pub struct LunchboxMutation;

graphql_enum!(LunchboxCategory = domain::lunchbox::RecipientCategory);

graphql_enum!(LunchboxDeliveryStatus = domain::lunchbox::DeliveryStatus);

graphql_enum!(
    LunchboxShortfallReason = domain::lunchbox::ShortfallReason {
        NoMeal: "The day's menu has no meal of the recipient's kind.",
        SoldOut: "Every meal of that kind is fully booked.",
    }
);

/// Someone on the lunchbox roster, as staff see them.
#[derive(SimpleObject, Clone)]
pub struct LunchboxRecipient {
    id: ID,
    community_id: ID,
    name: String,
    /// The linked resident account, if they have one.
    user: Option<Person>,
    category: LunchboxCategory,
    address: String,
    phone: String,
    /// Paid at the door; 0 is free.
    price_fen: i64,
    free: bool,
    meal_kind: MealKind,
    grid_worker: Option<Person>,
    active: bool,
    note: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

async fn recipients_out(ctx: &Context<'_>, list: Vec<l::Recipient>) -> Result<Vec<LunchboxRecipient>> {
    let ids: Vec<i64> = list.iter().flat_map(|r| [r.user_id, Some(r.grid_worker_id)]).flatten().collect();
    let names = people(ctx, ids).await?;
    Ok(list
        .into_iter()
        .map(|r| LunchboxRecipient {
            id: r.id.into(),
            community_id: r.community_id.into(),
            user: r.user_id.and_then(|u| names.get(&u).cloned()),
            grid_worker: names.get(&r.grid_worker_id).cloned(),
            name: r.name,
            category: r.category.into(),
            address: r.address,
            phone: r.phone,
            free: r.price_fen == 0,
            price_fen: r.price_fen,
            meal_kind: r.meal_kind.into(),
            active: r.active,
            note: r.note,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
        .collect())
}

async fn recipient_out(ctx: &Context<'_>, r: l::Recipient) -> Result<LunchboxRecipient> {
    Ok(recipients_out(ctx, vec![r]).await?.remove(0))
}

#[derive(InputObject)]
pub struct LunchboxRecipientInput {
    /// At most 30 characters.
    name: String,
    /// The resident's own account, if they have one (must be a member of the community).
    user_id: Option<ID>,
    category: LunchboxCategory,
    /// At most 100 characters.
    address: String,
    /// A mobile number, or a landline with its area code.
    phone: String,
    /// Paid at the door, 0 (free, the default) to 5000 fen.
    #[graphql(default)]
    price_fen: i64,
    meal_kind: MealKind,
    /// Must hold GRID_WORKER in the community.
    grid_worker_id: ID,
    note: Option<String>,
}

impl LunchboxRecipientInput {
    fn into_domain(self) -> Result<l::RecipientInput> {
        Ok(l::RecipientInput {
            name: self.name,
            user_id: self.user_id.as_ref().map(|u| parse_user(u, "userId")).transpose()?,
            category: self.category.into(),
            address: self.address,
            phone: self.phone,
            price_fen: self.price_fen,
            meal_kind: self.meal_kind.into(),
            grid_worker_id: parse_user(&self.grid_worker_id, "gridWorkerId")?,
            note: self.note,
        })
    }
}

/// A user id in an input: a malformed one is a bad input naming the field.
fn parse_user(id: &ID, field: &'static str) -> Result<i64> {
    id.parse::<i64>().map_err(|_| domain::DomainError::bad_input(field, "this is not a user id")).gql()
}

/// One recorded change of a lunchbox delivery.
#[derive(SimpleObject, Clone)]
pub struct LunchboxDeliveryEvent {
    actor: Option<Person>,
    from_status: Option<LunchboxDeliveryStatus>,
    to_status: LunchboxDeliveryStatus,
    note: Option<String>,
    at: DateTime<Utc>,
}

/// One day's lunchbox for one recipient. `address` and `phone` are in full
/// only for the community's staff, the volunteer holding it, and the
/// recipient; `contactMasked` says which you got.
#[derive(SimpleObject, Clone)]
pub struct LunchboxDelivery {
    id: ID,
    community_id: ID,
    date: NaiveDate,
    status: LunchboxDeliveryStatus,
    recipient_id: ID,
    recipient_name: String,
    category: LunchboxCategory,
    address: String,
    phone: String,
    contact_masked: bool,
    /// The recipient's own account, if linked.
    recipient_user: Option<Person>,
    grid_worker: Option<Person>,
    meal_id: ID,
    meal_name: String,
    meal_kind: MealKind,
    /// Paid at the door; 0 is free.
    price_fen: i64,
    claimant: Option<Person>,
    claimed_at: Option<DateTime<Utc>>,
    delivered_at: Option<DateTime<Utc>>,
    /// The hand-over photos: signed links that work for about an hour.
    photo_urls: Vec<String>,
    /// When the claimant confirmed the hand-over with a photo.
    photo_confirmed_at: Option<DateTime<Utc>>,
    /// When the recipient confirmed receipt on their own phone.
    recipient_confirmed_at: Option<DateTime<Utc>>,
    /// Cash taken at the door, in fen.
    cash_fen: Option<i64>,
    undelivered_reason: Option<String>,
    cancelled_at: Option<DateTime<Utc>>,
    /// When staff were alerted that it was late.
    alerted_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    /// Every change, oldest first.
    history: Vec<LunchboxDeliveryEvent>,
}

async fn deliveries_out(ctx: &Context<'_>, list: Vec<l::Delivery>) -> Result<Vec<LunchboxDelivery>> {
    let mut ids: Vec<i64> = Vec::new();
    for d in &list {
        ids.extend([d.claimant_id, d.recipient_user_id, Some(d.grid_worker_id)].into_iter().flatten());
        ids.extend(d.history.iter().filter_map(|e| e.actor_id));
    }
    let names = people(ctx, ids).await?;
    let name = |id: Option<i64>| id.and_then(|u| names.get(&u).cloned());
    Ok(list
        .into_iter()
        .map(|d| LunchboxDelivery {
            id: d.id.into(),
            community_id: d.community_id.into(),
            date: d.served_on,
            status: d.status.into(),
            recipient_id: d.recipient_id.into(),
            recipient_name: d.recipient_name,
            category: d.category.into(),
            address: d.address,
            phone: d.phone,
            contact_masked: d.contact_masked,
            recipient_user: name(d.recipient_user_id),
            grid_worker: name(Some(d.grid_worker_id)),
            meal_id: d.meal_id.into(),
            meal_name: d.meal_name,
            meal_kind: d.meal_kind.into(),
            price_fen: d.price_fen,
            claimant: name(d.claimant_id),
            claimed_at: d.claimed_at,
            delivered_at: d.delivered_at,
            photo_urls: domain(ctx).uploads().signed_all(&d.photo_urls),
            photo_confirmed_at: d.photo_confirmed_at,
            recipient_confirmed_at: d.recipient_confirmed_at,
            cash_fen: d.cash_fen,
            undelivered_reason: d.undelivered_reason,
            cancelled_at: d.cancelled_at,
            alerted_at: d.alerted_at,
            created_at: d.created_at,
            history: d
                .history
                .into_iter()
                .map(|e| LunchboxDeliveryEvent {
                    actor: name(e.actor_id),
                    from_status: e.from_status.map(Into::into),
                    to_status: e.to_status.into(),
                    note: e.note,
                    at: e.at,
                })
                .collect(),
        })
        .collect())
}

async fn delivery_out(ctx: &Context<'_>, d: l::Delivery) -> Result<LunchboxDelivery> {
    Ok(deliveries_out(ctx, vec![d]).await?.remove(0))
}

/// A day's tasks per status.
#[derive(SimpleObject, Clone, Copy)]
pub struct LunchboxDayCounts {
    open: u64,
    claimed: u64,
    delivered: u64,
    undelivered: u64,
    cancelled: u64,
    total: u64,
}

impl From<l::DayCounts> for LunchboxDayCounts {
    fn from(c: l::DayCounts) -> Self {
        Self {
            total: c.total(),
            open: c.open,
            claimed: c.claimed,
            delivered: c.delivered,
            undelivered: c.undelivered,
            cancelled: c.cancelled,
        }
    }
}

/// Extra fields on a list of deliveries.
#[derive(SimpleObject)]
pub struct LunchboxDeliveryListInfo {
    total_count: u64,
    /// The whole day's counts (staff's list only).
    counts: Option<LunchboxDayCounts>,
}

type DeliveryConnection = Connection<String, LunchboxDelivery, LunchboxDeliveryListInfo>;

async fn delivery_connection(
    ctx: &Context<'_>,
    page: Page<l::Delivery>,
    counts: Option<l::DayCounts>,
) -> Result<DeliveryConnection> {
    let info = LunchboxDeliveryListInfo { total_count: page.total_count, counts: counts.map(Into::into) };
    let mut connection = Connection::with_additional_fields(page.has_previous_page, page.has_next_page, info);
    let cursors: Vec<String> = page.items.iter().map(|d| encode_cursor(d.id)).collect();
    let nodes = deliveries_out(ctx, page.items).await?;
    connection.edges.extend(cursors.into_iter().zip(nodes).map(|(cursor, d)| Edge::new(cursor, d)));
    Ok(connection)
}

/// A recipient a generation could not cover.
#[derive(SimpleObject)]
pub struct LunchboxShortfall {
    recipient_id: ID,
    recipient_name: String,
    meal_kind: MealKind,
    reason: LunchboxShortfallReason,
}

/// What `generateLunchboxDeliveries` did.
#[derive(SimpleObject)]
pub struct LunchboxGeneration {
    /// Tasks made by this run.
    created: Vec<LunchboxDelivery>,
    /// Active recipients who already had a task that day.
    already_generated: u64,
    /// Recipients left without a lunchbox, and why.
    shortfalls: Vec<LunchboxShortfall>,
}

#[derive(SimpleObject)]
pub struct LunchboxSettings {
    /// Lunchboxes not delivered by this many minutes after midnight (Asia/Shanghai) alert staff; 750 is 12:30.
    deliver_by_minute: i32,
}

/// A notice in your in-app inbox.
#[derive(SimpleObject, Clone)]
pub struct Notification {
    id: ID,
    community_id: ID,
    /// What happened, e.g. LUNCHBOX_UNDELIVERED.
    kind: String,
    /// What it is about (e.g. LUNCHBOX_DELIVERY) and its id, if one thing.
    subject_kind: Option<String>,
    subject_id: Option<ID>,
    title: String,
    body: String,
    read: bool,
    read_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<n::Notice> for Notification {
    fn from(x: n::Notice) -> Self {
        Self {
            id: x.id.into(),
            community_id: x.community_id.into(),
            kind: x.kind,
            subject_kind: x.subject_kind,
            subject_id: x.subject_id.map(Into::into),
            title: x.title,
            body: x.body,
            read: x.read_at.is_some(),
            read_at: x.read_at,
            created_at: x.created_at,
        }
    }
}

/// Extra fields on your inbox.
#[derive(SimpleObject)]
pub struct NotificationCounts {
    total_count: u64,
    /// All your unread notices (whatever the page).
    unread_count: u64,
}

type NotificationConnection = Connection<String, Notification, NotificationCounts>;

#[Object]
impl LunchboxQuery {
    /// The lunchbox roster (secretary and grid workers), in the order people were added.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn lunchbox_recipients(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        #[graphql(default)] include_inactive: bool,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, LunchboxRecipient, Counted>> {
        let (actor, page) = actor_and_page(ctx, first, after.as_deref()).await?;
        let c = parse_id(&community_id, "community")?;
        let page = domain(ctx).lunchbox().recipients(actor, c, include_inactive, page).await.gql()?;
        let ids: Vec<i64> = page.items.iter().map(|r| r.id).collect();
        let Page { items, has_next_page, has_previous_page, total_count } = page;
        let nodes = recipients_out(ctx, items).await?;
        let page = Page { items: ids.into_iter().zip(nodes).collect(), has_next_page, has_previous_page, total_count };
        Ok(page_to_connection(page, |(id, _)| *id, |(_, node)| node))
    }

    /// A day's lunchbox tasks with the day's counts (secretary, grid workers, canteen operator).
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn lunchbox_deliveries(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        date: NaiveDate,
        status: Option<LunchboxDeliveryStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<DeliveryConnection> {
        let (actor, page) = actor_and_page(ctx, first, after.as_deref()).await?;
        let c = parse_id(&community_id, "community")?;
        let (page, counts) = domain(ctx).lunchbox().day(actor, c, date, status.map(Into::into), page).await.gql()?;
        delivery_connection(ctx, page, Some(counts)).await
    }

    /// A day's open lunchbox tasks for the red service team; addresses are masked until claimed.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn open_lunchbox_deliveries(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        date: NaiveDate,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<DeliveryConnection> {
        let (actor, page) = actor_and_page(ctx, first, after.as_deref()).await?;
        let c = parse_id(&community_id, "community")?;
        let page = domain(ctx).lunchbox().open(actor, c, date, page).await.gql()?;
        delivery_connection(ctx, page, None).await
    }

    /// The lunchboxes you claimed, newest first.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn my_lunchbox_deliveries(
        &self,
        ctx: &Context<'_>,
        status: Option<LunchboxDeliveryStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<DeliveryConnection> {
        let (actor, page) = actor_and_page(ctx, first, after.as_deref()).await?;
        let page = domain(ctx).lunchbox().mine(actor, status.map(Into::into), page).await.gql()?;
        delivery_connection(ctx, page, None).await
    }

    async fn lunchbox_delivery(&self, ctx: &Context<'_>, id: ID) -> Result<LunchboxDelivery> {
        let actor = actor(ctx).await?;
        let d = domain(ctx).lunchbox().get(actor, parse_id(&id, "lunchbox delivery")?).await.gql()?;
        delivery_out(ctx, d).await
    }

    async fn lunchbox_settings(&self, ctx: &Context<'_>, community_id: ID) -> Result<LunchboxSettings> {
        let actor = actor(ctx).await?;
        let s = domain(ctx).lunchbox().settings(actor, parse_id(&community_id, "community")?).await.gql()?;
        Ok(LunchboxSettings { deliver_by_minute: s.deliver_by_minute })
    }

    /// Your own notices, newest first, with how many are unread.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn my_notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] unread_only: bool,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<NotificationConnection> {
        let (actor, page) = actor_and_page(ctx, first, after.as_deref()).await?;
        let (page, unread_count) = domain(ctx).notifications().mine(actor, unread_only, page).await.gql()?;
        let counts = NotificationCounts { total_count: page.total_count, unread_count };
        let mut connection = Connection::with_additional_fields(page.has_previous_page, page.has_next_page, counts);
        connection.edges.extend(page.items.into_iter().map(|x| Edge::new(encode_cursor(x.id), x.into())));
        Ok(connection)
    }
}

#[Object]
impl LunchboxMutation {
    /// Puts someone on the lunchbox roster (secretary or grid worker).
    async fn add_lunchbox_recipient(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        input: LunchboxRecipientInput,
    ) -> Result<LunchboxRecipient> {
        let actor = actor(ctx).await?;
        let c = parse_id(&community_id, "community")?;
        let r = domain(ctx).lunchbox().add_recipient(actor, c, input.into_domain()?).await.gql()?;
        recipient_out(ctx, r).await
    }

    /// Replaces a roster entry's details (send all of them).
    async fn update_lunchbox_recipient(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: LunchboxRecipientInput,
    ) -> Result<LunchboxRecipient> {
        let actor = actor(ctx).await?;
        let id = parse_id(&id, "lunchbox recipient")?;
        let r = domain(ctx).lunchbox().update_recipient(actor, id, input.into_domain()?).await.gql()?;
        recipient_out(ctx, r).await
    }

    /// Takes someone off the daily deliveries (the entry stays for the records).
    async fn deactivate_lunchbox_recipient(&self, ctx: &Context<'_>, id: ID) -> Result<LunchboxRecipient> {
        let actor = actor(ctx).await?;
        let id = parse_id(&id, "lunchbox recipient")?;
        let r = domain(ctx).lunchbox().set_recipient_active(actor, id, false).await.gql()?;
        recipient_out(ctx, r).await
    }

    /// Puts a deactivated entry back on the daily deliveries.
    async fn reactivate_lunchbox_recipient(&self, ctx: &Context<'_>, id: ID) -> Result<LunchboxRecipient> {
        let actor = actor(ctx).await?;
        let id = parse_id(&id, "lunchbox recipient")?;
        let r = domain(ctx).lunchbox().set_recipient_active(actor, id, true).await.gql()?;
        recipient_out(ctx, r).await
    }

    /// Makes the day's tasks from the roster and the canteen's menu; running it
    /// again adds only new recipients. Recipients who cannot be covered are reported.
    async fn generate_lunchbox_deliveries(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        date: NaiveDate,
    ) -> Result<LunchboxGeneration> {
        let actor = actor(ctx).await?;
        let c = parse_id(&community_id, "community")?;
        let g = domain(ctx).lunchbox().generate(actor, c, date).await.gql()?;
        Ok(LunchboxGeneration {
            created: deliveries_out(ctx, g.created).await?,
            already_generated: g.already_generated,
            shortfalls: g
                .shortfalls
                .into_iter()
                .map(|s| LunchboxShortfall {
                    recipient_id: s.recipient_id.into(),
                    recipient_name: s.recipient_name,
                    meal_kind: s.meal_kind.into(),
                    reason: s.reason.into(),
                })
                .collect(),
        })
    }

    /// A volunteer or party member takes a task; someone else's claim is `ALREADY_CLAIMED`.
    async fn claim_lunchbox_delivery(&self, ctx: &Context<'_>, id: ID) -> Result<LunchboxDelivery> {
        let actor = actor(ctx).await?;
        let d = domain(ctx).lunchbox().claim(actor, parse_id(&id, "lunchbox delivery")?).await.gql()?;
        delivery_out(ctx, d).await
    }

    /// The claimant gives the task back.
    async fn release_lunchbox_delivery(&self, ctx: &Context<'_>, id: ID) -> Result<LunchboxDelivery> {
        let actor = actor(ctx).await?;
        let d = domain(ctx).lunchbox().release(actor, parse_id(&id, "lunchbox delivery")?).await.gql()?;
        delivery_out(ctx, d).await
    }

    /// The claimant confirms the hand-over with at least one photo, and the
    /// cash taken at the door when the lunchbox has a price.
    async fn confirm_lunchbox_delivered(
        &self,
        ctx: &Context<'_>,
        id: ID,
        photo_urls: Vec<String>,
        cash_fen: Option<i64>,
    ) -> Result<LunchboxDelivery> {
        let actor = actor(ctx).await?;
        let id = parse_id(&id, "lunchbox delivery")?;
        let d = domain(ctx).lunchbox().confirm_delivered(actor, id, &photo_urls, cash_fen).await.gql()?;
        delivery_out(ctx, d).await
    }

    /// The recipient confirms receipt from their own phone.
    async fn confirm_lunchbox_received(&self, ctx: &Context<'_>, task_id: ID) -> Result<LunchboxDelivery> {
        let actor = actor(ctx).await?;
        let d = domain(ctx).lunchbox().confirm_received(actor, parse_id(&task_id, "lunchbox delivery")?).await.gql()?;
        delivery_out(ctx, d).await
    }

    /// The claimant could not hand it over; the reason is required.
    async fn report_lunchbox_undelivered(&self, ctx: &Context<'_>, id: ID, reason: String) -> Result<LunchboxDelivery> {
        let actor = actor(ctx).await?;
        let id = parse_id(&id, "lunchbox delivery")?;
        let d = domain(ctx).lunchbox().report_undelivered(actor, id, &reason).await.gql()?;
        delivery_out(ctx, d).await
    }

    /// Staff call a task off before delivery; its portion goes back to the canteen.
    async fn cancel_lunchbox_delivery(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: Option<String>,
    ) -> Result<LunchboxDelivery> {
        let actor = actor(ctx).await?;
        let id = parse_id(&id, "lunchbox delivery")?;
        let d = domain(ctx).lunchbox().cancel(actor, id, reason).await.gql()?;
        delivery_out(ctx, d).await
    }

    /// The secretary sets the deliver-by time (minutes after midnight, Asia/Shanghai).
    async fn set_lunchbox_settings(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        deliver_by_minute: i32,
    ) -> Result<LunchboxSettings> {
        let actor = actor(ctx).await?;
        let c = parse_id(&community_id, "community")?;
        let s = domain(ctx).lunchbox().set_settings(actor, c, l::LunchboxSettings { deliver_by_minute }).await.gql()?;
        Ok(LunchboxSettings { deliver_by_minute: s.deliver_by_minute })
    }

    async fn mark_notification_read(&self, ctx: &Context<'_>, id: ID) -> Result<Notification> {
        let actor = actor(ctx).await?;
        let x = domain(ctx).notifications().mark_read(actor, parse_id(&id, "notification")?).await.gql()?;
        Ok(x.into())
    }

    /// Marks all your notices read; how many were unread.
    async fn mark_all_notifications_read(&self, ctx: &Context<'_>) -> Result<u64> {
        let actor = actor(ctx).await?;
        domain(ctx).notifications().mark_all_read(actor).await.gql()
    }
}
