//! Communities, roles and joining.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use domain::org as o;

use super::enums::graphql_enum;
use super::loaders::{Communities, People};
use super::{OrGql, actor, authenticated, domain, gql_error, parse_id};

#[derive(Default)]
pub struct OrgQuery;

#[derive(Default)]
pub struct OrgMutation;

#[Object]
impl OrgQuery {
    /// Pending requests to join a community (grid workers and secretaries).
    async fn join_requests(&self, ctx: &Context<'_>, community_id: ID) -> Result<Vec<JoinRequest>> {
        let actor = actor(ctx).await?;
        let c = parse_id(&community_id, "community")?;
        Ok(domain(ctx).joins().pending(actor, c).await.gql()?.into_iter().map(JoinRequest).collect())
    }

    /// People holding a role in a community, e.g. the party members to dispatch to
    /// (grid workers and secretaries).
    async fn community_people(&self, ctx: &Context<'_>, community_id: ID, role: Role) -> Result<Vec<Person>> {
        let actor = actor(ctx).await?;
        let c = parse_id(&community_id, "community")?;
        Ok(domain(ctx).org().people(actor, c, role.into()).await.gql()?.into_iter().map(Into::into).collect())
    }
}

#[Object]
impl OrgMutation {
    /// A secretary gives someone a role in their community.
    async fn grant_role(&self, ctx: &Context<'_>, community_id: ID, user_id: ID, role: Role) -> Result<Membership> {
        let actor = actor(ctx).await?;
        let (c, u) = (parse_id(&community_id, "community")?, parse_id(&user_id, "user")?);
        domain(ctx).org().grant_role(actor, c, u, role.into()).await.map(Membership).gql()
    }

    /// A secretary takes a role away. The last secretary cannot be removed.
    async fn revoke_role(&self, ctx: &Context<'_>, community_id: ID, user_id: ID, role: Role) -> Result<Membership> {
        let actor = actor(ctx).await?;
        let (c, u) = (parse_id(&community_id, "community")?, parse_id(&user_id, "user")?);
        domain(ctx).org().revoke_role(actor, c, u, role.into()).await.map(Membership).gql()
    }

    /// The community's secretary chooses what happens to claimed orders and
    /// wishes not finished by their deadline: back to the pool, or escalated.
    async fn set_overdue_policy(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        policy: OverduePolicy,
    ) -> Result<Community> {
        let actor = actor(ctx).await?;
        let c = parse_id(&community_id, "community")?;
        domain(ctx).org().set_overdue_policy(actor, c, policy.into()).await.gql()?;
        community(ctx, c).await
    }

    /// The community's secretary chooses what a return visit (回访) that
    /// finds the resident UNSATISFIED does: reopen the order, or escalate it.
    async fn set_return_visit_policy(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        policy: ReturnVisitPolicy,
    ) -> Result<Community> {
        let actor = actor(ctx).await?;
        let c = parse_id(&community_id, "community")?;
        domain(ctx).org().set_return_visit_policy(actor, c, policy.into()).await.gql()?;
        community(ctx, c).await
    }

    /// Asks to join a community as a resident, with the invite code its grid
    /// worker gave out. A grid worker or the secretary confirms it.
    async fn request_to_join(
        &self,
        ctx: &Context<'_>,
        invite_code: String,
        note: Option<String>,
    ) -> Result<JoinRequest> {
        let who = authenticated(ctx)?;
        domain(ctx).joins().request(who.user_id, &invite_code, note).await.map(JoinRequest).gql()
    }

    /// Confirms a join request: the applicant becomes a resident.
    async fn approve_join_request(&self, ctx: &Context<'_>, join_request_id: ID) -> Result<JoinRequest> {
        let actor = actor(ctx).await?;
        let id = parse_id(&join_request_id, "join request")?;
        domain(ctx).joins().decide(actor, id, true).await.map(JoinRequest).gql()
    }

    async fn decline_join_request(&self, ctx: &Context<'_>, join_request_id: ID) -> Result<JoinRequest> {
        let actor = actor(ctx).await?;
        let id = parse_id(&join_request_id, "join request")?;
        domain(ctx).joins().decide(actor, id, false).await.map(JoinRequest).gql()
    }
}

// Output types: people, communities and the roles they hold.

graphql_enum!(
    Role = domain::org::Role {
        BanquetCouncil: "A member of the red-and-white affairs council (红白理事会); granted only to party members.",
        GridWorker: "A grid worker (网格员), held at a grid.",
        BuildingLead: "A building lead (楼栋长), held at a building.",
        HouseholdLead: "A household lead (联户长), held at a 十联户 group; places orders for its households.",
        StreetReviewer: "Held at a street; reaches every community of the street.",
        CountyAdmin: "Sets up a county, held at the county.",
        DepartmentStaff: "Staff of a department (职能部门) that answers the street, held at the department.",
    }
);

graphql_enum!(JoinStatus = domain::joins::JoinStatus);

graphql_enum!(
    /// The kinds of unit, from the county down.
    UnitKind = domain::org::UnitKind {
        HouseholdGroup: "A 十联户 group of about ten households in a community, with its household lead (联户长).",
    }
);

/// A role someone holds at a unit (a position).
pub struct Position(pub o::Position);

#[Object]
impl Position {
    async fn role(&self) -> Role {
        self.0.role.into()
    }

    async fn unit_kind(&self) -> UnitKind {
        self.0.unit.kind.into()
    }

    async fn unit_id(&self) -> ID {
        self.0.unit.id.into()
    }

    /// The unit's name.
    async fn unit_name(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(domain(ctx).org().placement(self.0.unit).await.gql()?.name)
    }
}

/// The signed-in user.
pub struct User {
    pub user: o::User,
    pub memberships: Vec<o::Membership>,
    pub positions: Vec<o::Position>,
}

impl User {
    /// The user with what `actor` (loaded for them) may do where.
    pub fn of(user: o::User, actor: &o::Actor) -> Self {
        Self { user, memberships: actor.memberships().cloned().collect(), positions: actor.positions().to_vec() }
    }
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

    /// Every role you hold, at the unit you hold it (your grid, your
    /// 十联户 group, your street, your county…).
    async fn positions(&self) -> Vec<Position> {
        self.positions.iter().copied().map(Position).collect()
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

    /// What a return visit (回访) that finds the resident UNSATISFIED does.
    /// Set by the community's secretary with `setReturnVisitPolicy`.
    async fn return_visit_policy(&self, ctx: &Context<'_>) -> Result<ReturnVisitPolicy> {
        domain(ctx).org().return_visit_policy(self.0.id).await.map(Into::into).gql()
    }

    /// The street the community belongs to: where it blows the whistle (吹哨).
    async fn street(&self, ctx: &Context<'_>) -> Result<Street> {
        domain(ctx).orders().street_of(self.0.id).await.map(Street).gql()
    }

    /// The code residents join with (`requestToJoin`); shown to the
    /// community's staff and the street and county above it, else null.
    async fn invite_code(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let actor = actor(ctx).await?;
        domain(ctx).org().invite_code_for(actor, self.0.id).await.gql()
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

graphql_enum!(
    /// What happens to claimed work (orders, wishes) not finished by its deadline.
    OverduePolicy = domain::org::OverduePolicy {
        ReturnToPool: "The claim lapses and the work goes back to the pool (or the wish list) with a fresh claim deadline.",
        Escalate: "The work is escalated and the secretaries are told.",
    }
);

graphql_enum!(
    /// What a return visit (回访) that finds the resident UNSATISFIED does.
    ReturnVisitPolicy = domain::org::ReturnVisitPolicy {
        Reopen: "The order goes back to the pool for the work to be done again.",
        Escalate: "The order goes to the street (吹哨).",
    }
);

pub(crate) async fn person(ctx: &Context<'_>, id: Option<i64>) -> Result<Option<Person>> {
    match id {
        Some(id) => Ok(ctx.data_unchecked::<People>().load_one(id).await?.map(Person::from)),
        None => Ok(None),
    }
}

pub struct JoinRequest(pub domain::joins::JoinRequest);

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
    let found = ctx.data_unchecked::<People>().load_many(ids).await?;
    Ok(found.into_iter().map(|(id, u)| (id, Person::from(u))).collect())
}

pub(crate) async fn community(ctx: &Context<'_>, id: i64) -> Result<Community> {
    ctx.data_unchecked::<Communities>()
        .load_one(id)
        .await?
        .map(Community)
        .ok_or_else(|| gql_error(domain::DomainError::NotFound("community")))
}

/// A street (街道).
pub struct Street(pub domain::orders::Street);

#[Object]
impl Street {
    async fn id(&self) -> ID {
        self.0.id.into()
    }

    async fn name(&self) -> &str {
        &self.0.name
    }
}

/// A department (职能部门) of a street or a county, which answers the street's whistles.
pub struct Department(pub domain::orders::Department);

/// The department with this id.
pub(crate) async fn department(ctx: &Context<'_>, id: i64) -> Result<Department> {
    domain(ctx).orders().department(id).await.map(Department).gql()
}

#[Object]
impl Department {
    async fn id(&self) -> ID {
        self.0.id.into()
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Minutes it has to accept an order the street routes to it.
    async fn accept_sla_minutes(&self) -> i32 {
        self.0.accept_sla_minutes
    }
}
