//! Service orders: 点单 → 派单 → 接单 → 办结 → 审定 → 评单.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object, Result};

use domain::orders as d;
use domain::pagination::PageRequest;

use super::types::{Counted, Order, OrderCategory, OrderStatus, page_to_connection, prime_order_page};
use domain::workflow::Subject;

use super::{ContentChecks, ContentScene, OrGql, actor, domain, parse_id};

#[derive(Default)]
pub struct OrderQuery;

#[derive(Default)]
pub struct OrderMutation;

#[derive(InputObject)]
pub struct PlaceOrderInput {
    community_id: ID,
    category: OrderCategory,
    /// At most 100 characters.
    title: String,
    /// At most 2000 characters.
    description: String,
    /// Defaults to the resident's address on file.
    address: Option<String>,
    /// Defaults to the resident's phone on file.
    contact_phone: Option<String>,
    /// At most 9: URLs from `POST /uploads`, or https URLs.
    #[graphql(default)]
    photo_urls: Vec<String>,
    /// The resident this is for, when a grid worker or secretary places it (代点单).
    on_behalf_of: Option<ID>,
    /// Send the same key when retrying: the order is placed once.
    idempotency_key: Option<String>,
}

#[derive(InputObject, Default)]
pub struct OrderFilter {
    community_id: Option<ID>,
    status: Option<OrderStatus>,
    category: Option<OrderCategory>,
    /// Placed by me or for me.
    #[graphql(default)]
    mine: bool,
    #[graphql(default)]
    claimed_by_me: bool,
}

type OrderConnection = Connection<String, Order, Counted>;

/// The connection for a page read with its people and communities, which
/// go into the request's loaders for the nested fields.
async fn connection(ctx: &Context<'_>, mut page: d::OrderPage) -> OrderConnection {
    prime_order_page(ctx, &mut page).await;
    page_to_connection(page.page, |o| o.id, Order)
}

/// Whether the client asked for `totalCount`: counting costs a scan, so it
/// is only done when selected.
fn wants_total(ctx: &Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

#[Object]
impl OrderQuery {
    async fn order(&self, ctx: &Context<'_>, id: ID) -> Result<Order> {
        let actor = actor(ctx).await?;
        domain(ctx).orders().get(actor, parse_id(&id, "order")?).await.map(Order).gql()
    }

    /// Orders you may see, newest first. `first` is 1–100 (default 20).
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        filter: Option<OrderFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<OrderConnection> {
        let actor = actor(ctx).await?;
        let f = filter.unwrap_or_default();
        let filter = d::OrderFilter {
            community_id: f.community_id.as_ref().map(|c| parse_id(c, "community")).transpose()?,
            status: f.status.map(Into::into),
            category: f.category.map(Into::into),
            mine: f.mine,
            claimed_by_me: f.claimed_by_me,
        };
        let page = PageRequest::new(first, after.as_deref()).gql()?;
        let page = domain(ctx).orders().list(actor, filter, page, wants_total(ctx)).await.gql()?;
        Ok(connection(ctx, page).await)
    }

    /// The community's open pool, oldest first: what members can claim now.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn order_pool(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<OrderConnection> {
        let actor = actor(ctx).await?;
        let page = PageRequest::new(first, after.as_deref()).gql()?;
        let community_id = parse_id(&community_id, "community")?;
        let page = domain(ctx).orders().pool(actor, community_id, page, wants_total(ctx)).await.gql()?;
        Ok(connection(ctx, page).await)
    }
}

#[Object]
impl OrderMutation {
    /// A resident describes a need (点单), or a grid worker or secretary does
    /// it for them (代点单).
    async fn place_order(&self, ctx: &Context<'_>, input: PlaceOrderInput) -> Result<Order> {
        let actor = actor(ctx).await?;
        ctx.check_text(ContentScene::Forum, &[("title", &input.title), ("description", &input.description)]).await?;
        let place = d::PlaceOrder {
            community_id: parse_id(&input.community_id, "community")?,
            category: input.category.into(),
            title: input.title,
            description: input.description,
            address: input.address,
            contact_phone: input.contact_phone,
            photo_urls: input.photo_urls,
            on_behalf_of: input.on_behalf_of.as_ref().map(|u| parse_id(u, "user")).transpose()?,
        };
        let order = domain(ctx).orders().place(actor, place, input.idempotency_key.as_deref()).await.gql()?;
        ctx.check_photos(Subject::Order, order.id, &order.photo_urls).await;
        Ok(Order(order))
    }

    /// Publishes to the open pool, or assigns to a named member (派单).
    async fn dispatch_order(&self, ctx: &Context<'_>, order_id: ID, assignee_id: Option<ID>) -> Result<Order> {
        let actor = actor(ctx).await?;
        let assignee = assignee_id.as_ref().map(|a| parse_id(a, "user")).transpose()?;
        domain(ctx).orders().dispatch(actor, parse_id(&order_id, "order")?, assignee).await.map(Order).gql()
    }

    /// Takes an order (接单). Exactly one claimant wins; the rest get `ALREADY_CLAIMED`.
    async fn claim_order(&self, ctx: &Context<'_>, order_id: ID) -> Result<Order> {
        let actor = actor(ctx).await?;
        domain(ctx).orders().claim(actor, parse_id(&order_id, "order")?).await.map(Order).gql()
    }

    /// Reports the work done (办结), for the secretary to approve.
    async fn complete_order(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        note: String,
        photo_urls: Option<Vec<String>>,
    ) -> Result<Order> {
        let actor = actor(ctx).await?;
        ctx.check_text(ContentScene::Forum, &[("note", &note)]).await?;
        let photos = photo_urls.unwrap_or_default();
        let order = domain(ctx).orders().complete(actor, parse_id(&order_id, "order")?, &note, &photos).await.gql()?;
        ctx.check_photos(Subject::Order, order.id, &order.completion_photo_urls).await;
        Ok(Order(order))
    }

    /// The secretary approves the completed work (审定); only then does it count.
    async fn approve_order(&self, ctx: &Context<'_>, order_id: ID) -> Result<Order> {
        let actor = actor(ctx).await?;
        domain(ctx).orders().approve(actor, parse_id(&order_id, "order")?).await.map(Order).gql()
    }

    /// Sends the work back to the claimant with a reason.
    async fn reject_order(&self, ctx: &Context<'_>, order_id: ID, reason: String) -> Result<Order> {
        let actor = actor(ctx).await?;
        domain(ctx).orders().reject(actor, parse_id(&order_id, "order")?, &reason).await.map(Order).gql()
    }

    /// The resident (or whoever placed it for them) rates approved work, 1–5 stars (评单).
    async fn rate_order(&self, ctx: &Context<'_>, order_id: ID, stars: i32, comment: Option<String>) -> Result<Order> {
        let actor = actor(ctx).await?;
        ctx.check_text(ContentScene::Comment, &[("comment", comment.as_deref().unwrap_or_default())]).await?;
        domain(ctx).orders().rate(actor, parse_id(&order_id, "order")?, stars, comment).await.map(Order).gql()
    }

    async fn cancel_order(&self, ctx: &Context<'_>, order_id: ID, reason: Option<String>) -> Result<Order> {
        let actor = actor(ctx).await?;
        domain(ctx).orders().cancel(actor, parse_id(&order_id, "order")?, reason).await.map(Order).gql()
    }

    /// Hands what the community cannot solve to the street (吹哨).
    async fn escalate_order(&self, ctx: &Context<'_>, order_id: ID, reason: String) -> Result<Order> {
        let actor = actor(ctx).await?;
        domain(ctx).orders().escalate(actor, parse_id(&order_id, "order")?, &reason).await.map(Order).gql()
    }
}
