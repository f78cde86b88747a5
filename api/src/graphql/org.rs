//! Communities, roles and joining.

use async_graphql::{Context, ID, Object, Result};

use super::types::{Community, JoinRequest, Membership, OverduePolicy, Person, Role, community};
use super::{OrGql, actor, authenticated, domain, parse_id};

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
        Ok(domain(ctx).org().join_requests(actor, c).await.gql()?.into_iter().map(JoinRequest).collect())
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

    /// Asks to join a community as a resident, with the invite code its grid
    /// worker gave out. A grid worker or the secretary confirms it.
    async fn request_to_join(
        &self,
        ctx: &Context<'_>,
        invite_code: String,
        note: Option<String>,
    ) -> Result<JoinRequest> {
        let who = authenticated(ctx)?;
        domain(ctx).org().request_to_join(who.user_id, &invite_code, note).await.map(JoinRequest).gql()
    }

    /// Confirms a join request: the applicant becomes a resident.
    async fn approve_join_request(&self, ctx: &Context<'_>, join_request_id: ID) -> Result<JoinRequest> {
        let actor = actor(ctx).await?;
        let id = parse_id(&join_request_id, "join request")?;
        domain(ctx).org().decide_join_request(actor, id, true).await.map(JoinRequest).gql()
    }

    async fn decline_join_request(&self, ctx: &Context<'_>, join_request_id: ID) -> Result<JoinRequest> {
        let actor = actor(ctx).await?;
        let id = parse_id(&join_request_id, "join request")?;
        domain(ctx).org().decide_join_request(actor, id, false).await.map(JoinRequest).gql()
    }
}
