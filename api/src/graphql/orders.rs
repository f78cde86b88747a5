//! Service orders: 点单 → 派单 → 接单 → 办结 → 审定 → 评单.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use async_graphql::dataloader::DataLoader;
use chrono::{DateTime, Utc};
use domain::orders as d;

use domain::care::SensitiveField;
use domain::pagination::PageRequest;

use super::enums::graphql_enum;
use super::loaders::{Communities, OrderHistoryLoader, People};
use super::org::{Community, Person, community, person};
use super::pages::{Counted, actor_and_page, page_to_connection};
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
        let (actor, page) = actor_and_page(ctx, first, after.as_deref()).await?;
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

    /// The claimant records being at the door: stamps `arrivedAt`, once.
    async fn arrive_on_site(&self, ctx: &Context<'_>, order_id: ID) -> Result<Order> {
        let actor = actor(ctx).await?;
        domain(ctx).orders().arrive_on_site(actor, parse_id(&order_id, "order")?).await.map(Order).gql()
    }

    /// The grid worker (or secretary) records the call or visit after
    /// approval (回访), once per approval; not on work they did or asked for
    /// themselves. UNSATISFIED reopens the order or escalates it, as the
    /// community's `returnVisitPolicy` says.
    async fn record_return_visit(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        satisfaction: ReturnVisitSatisfaction,
        comment: Option<String>,
    ) -> Result<Order> {
        let actor = actor(ctx).await?;
        let id = parse_id(&order_id, "order")?;
        domain(ctx).orders().record_return_visit(actor, id, satisfaction.into(), comment).await.map(Order).gql()
    }

    /// Hands what the community cannot solve to the street (社区吹哨), at
    /// any point before the work is reported done (a claim ends with it).
    /// The street's reviewers are told. Secretaries.
    async fn escalate_order(&self, ctx: &Context<'_>, order_id: ID, reason: String) -> Result<Order> {
        let actor = actor(ctx).await?;
        domain(ctx).orders().escalate(actor, parse_id(&order_id, "order")?, &reason).await.map(Order).gql()
    }
}

// Output types.

graphql_enum!(OrderStatus = domain::orders::OrderStatus);

graphql_enum!(OrderCategory = domain::orders::OrderCategory);

graphql_enum!(
    /// What the resident said at the return visit (回访).
    ReturnVisitSatisfaction = domain::orders::ReturnVisitSatisfaction {
        Satisfied: "满意.",
        BasicallySatisfied: "基本满意.",
        Unsatisfied: "不满意: the order is reopened or escalated, as the community's `returnVisitPolicy` says.",
    }
);

/// The grid worker's call or visit after the work was approved (回访).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ReturnVisit {
    pub satisfaction: ReturnVisitSatisfaction,
    pub comment: Option<String>,
    pub at: DateTime<Utc>,
    #[graphql(skip)]
    by: Option<i64>,
}

#[async_graphql::ComplexObject]
impl ReturnVisit {
    /// Who called or visited.
    async fn visited_by(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, self.by).await
    }
}

#[derive(SimpleObject, Clone)]
pub struct Rating {
    pub stars: i32,
    pub comment: Option<String>,
}

workflow_event!(OrderEvent, d::OrderStatus);

pub struct Order(pub d::Order);

impl From<d::Order> for Order {
    fn from(o: d::Order) -> Self {
        Self(o)
    }
}

#[Object]
impl Order {
    async fn id(&self) -> ID {
        self.0.id.into()
    }

    async fn status(&self) -> OrderStatus {
        self.0.status.into()
    }

    async fn category(&self) -> OrderCategory {
        self.0.category.into()
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    async fn description(&self) -> &str {
        &self.0.description
    }

    /// In full for the resident, whoever placed it, the helper while it is
    /// theirs, and the community's grid workers and secretaries; cut to the
    /// building for everyone else.
    async fn address(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let actor = actor(ctx).await?;
        domain(ctx).orders().contact(actor, &self.0, SensitiveField::Address).await.gql()
    }

    /// In full for the same people as `address`; `138****5678` for everyone else.
    async fn contact_phone(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let actor = actor(ctx).await?;
        domain(ctx).orders().contact(actor, &self.0, SensitiveField::Phone).await.gql()
    }

    /// Whether `address` and `contactPhone` are masked for you.
    async fn contact_masked(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(self.0.contact_for(actor(ctx).await?).masked)
    }

    /// The placer's photos. Ours are signed links that work for about an
    /// hour (`LINLI_UPLOAD_URL_SECONDS`); read the order again for fresh ones.
    async fn photo_urls(&self, ctx: &Context<'_>) -> Vec<String> {
        domain(ctx).uploads().signed_all(&self.0.photo_urls)
    }

    async fn community(&self, ctx: &Context<'_>) -> Result<Community> {
        community(ctx, self.0.community_id).await
    }

    async fn placed_by(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.placed_by)).await
    }

    /// The resident a grid worker or secretary placed this for (代点单).
    async fn on_behalf_of(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, self.0.on_behalf_of).await
    }

    async fn assignee(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, self.0.assignee_id).await
    }

    async fn claimant(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, self.0.claimant_id).await
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// When it was last published to the pool or assigned.
    async fn dispatched_at(&self) -> Option<DateTime<Utc>> {
        self.0.dispatched_at
    }

    /// When its current (or last) claim was made.
    async fn claimed_at(&self) -> Option<DateTime<Utc>> {
        self.0.claimed_at
    }

    /// Set when the order is dispatched: claim by then.
    async fn claim_due_at(&self) -> Option<DateTime<Utc>> {
        self.0.claim_due_at
    }

    /// Set when the order is claimed: finish by then.
    async fn complete_due_at(&self) -> Option<DateTime<Utc>> {
        self.0.complete_due_at
    }

    /// When the deadline sweep last found a claim of this order unfinished
    /// past `completeDueAt` (the claim then lapsed or the order escalated).
    async fn overdue_at(&self) -> Option<DateTime<Utc>> {
        self.0.overdue_at
    }

    async fn completion_note(&self) -> Option<&str> {
        self.0.completion_note.as_deref()
    }

    /// The helper's photos of the work done; signed links, as `photoUrls`.
    async fn completion_photo_urls(&self, ctx: &Context<'_>) -> Vec<String> {
        domain(ctx).uploads().signed_all(&self.0.completion_photo_urls)
    }

    async fn rating(&self) -> Option<Rating> {
        self.0.rating.as_ref().map(|r| Rating { stars: r.stars, comment: r.comment.clone() })
    }

    /// The claimant is due at the door by then (set at the claim: 30
    /// minutes for repairs and elderly care unless configured otherwise).
    async fn arrive_due_at(&self) -> Option<DateTime<Utc>> {
        self.0.arrive_due_at
    }

    /// When the claimant recorded being at the door (`arriveOnSite`).
    async fn arrived_at(&self) -> Option<DateTime<Utc>> {
        self.0.arrived_at
    }

    /// When the sweep found the claimant not at the door by `arriveDueAt`.
    async fn arrival_missed_at(&self) -> Option<DateTime<Utc>> {
        self.0.arrival_missed_at
    }

    /// The return visit of the approved work (回访), once made.
    async fn return_visit(&self) -> Option<ReturnVisit> {
        self.0.return_visit.as_ref().map(|v| ReturnVisit {
            satisfaction: v.satisfaction.into(),
            comment: v.comment.clone(),
            at: v.at,
            by: v.by,
        })
    }

    /// When the order first went to the street (社区吹哨); null if it never did.
    async fn escalated_at(&self) -> Option<DateTime<Utc>> {
        self.0.routing.escalated_at
    }

    /// The department the street routed it to (街道分哨).
    async fn department(&self, ctx: &Context<'_>) -> Result<Option<super::org::Department>> {
        match self.0.routing.department_id {
            Some(id) => super::org::department(ctx, id).await.map(Some),
            None => Ok(None),
        }
    }

    /// What the street asked of the department, or of the community when it sent the order back.
    async fn route_instruction(&self) -> Option<&str> {
        self.0.routing.instruction.as_deref()
    }

    async fn routed_at(&self) -> Option<DateTime<Utc>> {
        self.0.routing.routed_at
    }

    /// The department accepts by then (its acceptance SLA), or the order goes back to the street.
    async fn accept_due_at(&self) -> Option<DateTime<Utc>> {
        self.0.routing.accept_due_at
    }

    /// The department completes by then, as the street set it; past it, the county is alerted.
    async fn route_due_at(&self) -> Option<DateTime<Utc>> {
        self.0.routing.due_at
    }

    /// When the department accepted it (部门应哨).
    async fn department_accepted_at(&self) -> Option<DateTime<Utc>> {
        self.0.routing.accepted_at
    }

    /// When the department reported it done.
    async fn department_completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.routing.completed_at
    }

    /// The department's report of its work.
    async fn department_note(&self) -> Option<&str> {
        self.0.routing.note.as_deref()
    }

    /// The department's photos of its work; signed links, as `photoUrls`.
    async fn department_photo_urls(&self, ctx: &Context<'_>) -> Vec<String> {
        domain(ctx).uploads().signed_all(&self.0.routing.photo_urls)
    }

    /// The department's questions to the community about this order, oldest first, with the answers.
    async fn information_requests(&self, ctx: &Context<'_>) -> Result<Vec<InformationRequest>> {
        let asked = domain(ctx).orders().information_requests(self.0.id).await.gql()?;
        Ok(asked.into_iter().map(InformationRequest).collect())
    }

    /// Every change, oldest first: who, when, from what to what, and why.
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<OrderEvent>> {
        let history =
            ctx.data_unchecked::<DataLoader<OrderHistoryLoader>>().load_one(self.0.id).await?.unwrap_or_default();
        ctx.data_unchecked::<People>().feed_many(history.actors).await;
        Ok(history.events.into_iter().map(Into::into).collect())
    }
}

/// Puts what a page already read into the request's loaders, so nested
/// people and communities cost no further statement.
pub(crate) async fn prime_order_page(ctx: &Context<'_>, page: &mut d::OrderPage) {
    let people = std::mem::take(&mut page.people);
    ctx.data_unchecked::<People>().feed_many(people).await;
    let communities = std::mem::take(&mut page.communities);
    ctx.data_unchecked::<Communities>().feed_many(communities).await;
}

/// A department's question to the community about an order, and the answer.
pub struct InformationRequest(pub d::InformationRequest);

#[Object]
impl InformationRequest {
    async fn id(&self) -> ID {
        self.0.id.into()
    }

    async fn order_id(&self) -> ID {
        self.0.order_id.into()
    }

    async fn question(&self) -> &str {
        &self.0.question
    }

    async fn asked_by(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.asked_by)).await
    }

    async fn asked_at(&self) -> DateTime<Utc> {
        self.0.asked_at
    }

    /// Null until the community answers.
    async fn answer(&self) -> Option<&str> {
        self.0.answer.as_deref()
    }

    async fn answered_by(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, self.0.answered_by).await
    }

    async fn answered_at(&self) -> Option<DateTime<Utc>> {
        self.0.answered_at
    }
}
