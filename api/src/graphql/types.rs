//! Output types. Each wraps a domain value; none is derived from a database
//! row, so openids and internal columns cannot leak.

use async_graphql::dataloader::DataLoader;
use async_graphql::{ComplexObject, Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use domain::care::SensitiveField;
use domain::orders as d;
use domain::org as o;

use super::loaders::{Communities, OrderHistoryLoader, People};
use super::{OrGql, actor, domain, gql_error};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::org::Role")]
pub enum Role {
    Resident,
    PartyMember,
    Volunteer,
    GridWorker,
    Secretary,
    CanteenOperator,
    /// A member of the red-and-white affairs council (红白理事会); granted only to party members.
    BanquetCouncil,
    StreetReviewer,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::orders::OrderStatus")]
pub enum OrderStatus {
    Submitted,
    Open,
    Assigned,
    Claimed,
    AwaitingApproval,
    Approved,
    Closed,
    Cancelled,
    Escalated,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::orders::OrderCategory")]
pub enum OrderCategory {
    Repair,
    LegalAid,
    Employment,
    SocialSecurity,
    ElderlyCare,
    Tutoring,
    Health,
    Environment,
    Dispute,
    Other,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::org::JoinStatus")]
pub enum JoinStatus {
    Pending,
    Approved,
    Declined,
}

/// The signed-in user.
pub struct User {
    pub user: o::User,
    pub memberships: Vec<o::Membership>,
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        self.user.id.into()
    }

    async fn display_name(&self) -> &str {
        &self.user.display_name
    }

    /// Your own phone, in full.
    async fn phone(&self) -> Option<&str> {
        self.user.phone.as_deref()
    }

    /// Whether the phone came from WeChat's phone-number button.
    async fn phone_verified(&self) -> bool {
        self.user.phone_verified
    }

    async fn memberships(&self) -> Vec<Membership> {
        self.memberships.iter().cloned().map(Membership).collect()
    }
}

pub struct Membership(pub o::Membership);

#[Object]
impl Membership {
    async fn community(&self) -> Community {
        Community(o::Community { id: self.0.community_id, name: self.0.community_name.clone(), street_id: 0 })
    }

    async fn roles(&self) -> Vec<Role> {
        self.0.roles.iter().map(|r| (*r).into()).collect()
    }
}

pub struct Community(pub o::Community);

#[Object]
impl Community {
    async fn id(&self) -> ID {
        self.0.id.into()
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What happens to claimed orders and wishes not finished by their
    /// deadline (the claimant loses the overdue points either way). Set by
    /// the community's secretary with `setOverduePolicy`.
    async fn overdue_policy(&self, ctx: &Context<'_>) -> Result<OverduePolicy> {
        domain(ctx).org().overdue_policy(self.0.id).await.map(Into::into).gql()
    }
}

/// Another person, as much as others may see: a name.
#[derive(SimpleObject, Clone)]
pub struct Person {
    pub id: ID,
    pub display_name: String,
}

impl From<o::UserSummary> for Person {
    fn from(u: o::UserSummary) -> Self {
        Self { id: u.id.into(), display_name: u.display_name }
    }
}

#[derive(SimpleObject, Clone)]
pub struct Rating {
    pub stars: i32,
    pub comment: Option<String>,
}

/// One recorded change of a workflow (an order, a wish, …).
macro_rules! workflow_event {
    ($name:ident, $status:ty, $domain_status:ty) => {
        #[derive(SimpleObject, Clone)]
        #[graphql(complex)]
        pub struct $name {
            #[graphql(skip)]
            pub actor_id: Option<i64>,
            pub from_status: Option<$status>,
            pub to_status: $status,
            pub at: DateTime<Utc>,
            /// The reason, note or rating given with the change.
            pub note: Option<String>,
        }

        #[ComplexObject]
        impl $name {
            /// Who made the change; empty when the system did (a missed deadline).
            async fn actor(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
                person(ctx, self.actor_id).await
            }
        }

        impl From<domain::workflow::Event<$domain_status>> for $name {
            fn from(e: domain::workflow::Event<$domain_status>) -> Self {
                Self {
                    actor_id: e.actor_id,
                    from_status: e.from_status.map(Into::into),
                    to_status: e.to_status.into(),
                    at: e.at,
                    note: e.note,
                }
            }
        }
    };
}

workflow_event!(OrderEvent, OrderStatus, d::OrderStatus);
workflow_event!(WishEvent, WishStatus, domain::wishes::WishStatus);

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::wishes::WishStatus")]
pub enum WishStatus {
    Submitted,
    Published,
    Claimed,
    AwaitingApproval,
    Approved,
    Closed,
    Declined,
    Cancelled,
    /// A claim missed its deadline under the ESCALATE policy; the secretary publishes it again or cancels it.
    Escalated,
}

/// What happens to claimed work (orders, wishes) not finished by its deadline.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "domain::deadlines::OverduePolicy")]
pub enum OverduePolicy {
    /// The claim lapses and the work goes back to the pool (or the wish list) with a fresh claim deadline.
    ReturnToPool,
    /// The work is escalated and the secretaries are told.
    Escalate,
}

pub struct Order(pub d::Order);

impl From<d::Order> for Order {
    fn from(o: d::Order) -> Self {
        Self(o)
    }
}

pub(crate) async fn person(ctx: &Context<'_>, id: Option<i64>) -> Result<Option<Person>> {
    match id {
        Some(id) => ctx.data_unchecked::<People>().load_one(id).await,
        None => Ok(None),
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

    async fn photo_urls(&self) -> &[String] {
        &self.0.photo_urls
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

    async fn completion_photo_urls(&self) -> &[String] {
        &self.0.completion_photo_urls
    }

    async fn rating(&self) -> Option<Rating> {
        self.0.rating.as_ref().map(|r| Rating { stars: r.stars, comment: r.comment.clone() })
    }

    /// Every change, oldest first: who, when, from what to what, and why.
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<OrderEvent>> {
        let history =
            ctx.data_unchecked::<DataLoader<OrderHistoryLoader>>().load_one(self.0.id).await?.unwrap_or_default();
        ctx.data_unchecked::<People>().feed_many(history.actors).await;
        Ok(history.events.into_iter().map(Into::into).collect())
    }
}

/// Extra fields on every connection.
#[derive(SimpleObject)]
pub struct Counted {
    pub total_count: u64,
}

pub struct JoinRequest(pub o::JoinRequest);

#[Object]
impl JoinRequest {
    async fn id(&self) -> ID {
        self.0.id.into()
    }

    async fn status(&self) -> JoinStatus {
        self.0.status.into()
    }

    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn community(&self, ctx: &Context<'_>) -> Result<Community> {
        community(ctx, self.0.community_id).await
    }

    async fn applicant(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.user_id)).await
    }
}

/// Many people in one batch.
pub(crate) async fn people(
    ctx: &Context<'_>,
    ids: impl IntoIterator<Item = i64>,
) -> Result<std::collections::HashMap<i64, Person>> {
    ctx.data_unchecked::<People>().load_many(ids).await
}

/// Puts what a page already read into the request's loaders, so nested
/// people and communities cost no further statement.
pub(crate) async fn prime_order_page(ctx: &Context<'_>, page: &mut d::OrderPage) {
    let people = std::mem::take(&mut page.people);
    ctx.data_unchecked::<People>().feed_many(people.into_iter().map(|(id, u)| (id, Person::from(u)))).await;
    let communities = std::mem::take(&mut page.communities);
    ctx.data_unchecked::<Communities>().feed_many(communities).await;
}

pub(crate) async fn community(ctx: &Context<'_>, id: i64) -> Result<Community> {
    ctx.data_unchecked::<Communities>()
        .load_one(id)
        .await?
        .map(Community)
        .ok_or_else(|| gql_error(domain::DomainError::NotFound("community")))
}

pub(crate) fn page_to_connection<T, N: async_graphql::OutputType>(
    page: domain::pagination::Page<T>,
    id_of: impl Fn(&T) -> i64,
    wrap: impl Fn(T) -> N,
) -> async_graphql::connection::Connection<String, N, Counted> {
    use async_graphql::connection::{Connection, Edge};
    let mut connection = Connection::with_additional_fields(
        page.has_previous_page,
        page.has_next_page,
        Counted { total_count: page.total_count },
    );
    connection.edges.extend(
        page.items.into_iter().map(|item| Edge::new(domain::pagination::encode_cursor(id_of(&item)), wrap(item))),
    );
    connection
}
