//! Reporting in (双报到) and the public service board (亮身份、亮职务、亮电话).

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use domain::party as p;

use super::enums::graphql_enum;
use super::org::{Community, Person, community, person};
use super::{OrGql, actor, domain, parse_id};

#[derive(Default)]
pub struct PartyQuery;

#[derive(Default)]
pub struct PartyMutation;

graphql_enum!(ReportInStatus = domain::party::ReportInStatus);

pub struct ReportIn(pub p::ReportIn);

#[Object]
impl ReportIn {
    async fn id(&self) -> ID {
        self.0.id.into()
    }

    async fn status(&self) -> ReportInStatus {
        self.0.status.into()
    }

    async fn member(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.user_id)).await
    }

    async fn community(&self, ctx: &Context<'_>) -> Result<Community> {
        community(ctx, self.0.community_id).await
    }

    async fn work_unit(&self) -> &str {
        &self.0.work_unit
    }

    async fn party_branch(&self) -> &str {
        &self.0.party_branch
    }

    async fn specialties(&self) -> &[String] {
        &self.0.specialties
    }

    /// The phone the member chose to show on the service board.
    async fn public_phone(&self) -> Option<&str> {
        self.0.public_phone.as_deref()
    }

    async fn decline_reason(&self) -> Option<&str> {
        self.0.decline_reason.as_deref()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }
}

#[derive(InputObject)]
pub struct ReportInInput {
    community_id: ID,
    /// The member's employer, e.g. 雷山县人民医院.
    work_unit: String,
    party_branch: String,
    #[graphql(default)]
    specialties: Vec<String>,
    /// Shown on the public service board; leave empty to show none.
    public_phone: Option<String>,
}

/// One member on the public service board.
#[derive(SimpleObject)]
pub struct BoardEntry {
    member: Person,
    work_unit: String,
    party_branch: String,
    specialties: Vec<String>,
    /// Volunteer posts the member holds now.
    posts: Vec<String>,
    public_phone: Option<String>,
}

#[Object]
impl PartyQuery {
    async fn my_report_ins(&self, ctx: &Context<'_>) -> Result<Vec<ReportIn>> {
        let actor = actor(ctx).await?;
        Ok(domain(ctx).party().my_report_ins(actor).await.gql()?.into_iter().map(ReportIn).collect())
    }

    /// Report-ins to a community (secretaries and grid workers).
    async fn report_ins(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        status: Option<ReportInStatus>,
    ) -> Result<Vec<ReportIn>> {
        let actor = actor(ctx).await?;
        let c = parse_id(&community_id, "community")?;
        Ok(domain(ctx)
            .party()
            .report_ins(actor, c, status.map(Into::into))
            .await
            .gql()?
            .into_iter()
            .map(ReportIn)
            .collect())
    }

    /// The public service board: every reported-in member's unit, posts and chosen phone.
    async fn service_board(&self, ctx: &Context<'_>, community_id: ID) -> Result<Vec<BoardEntry>> {
        let actor = actor(ctx).await?;
        let board = domain(ctx).party().service_board(actor, parse_id(&community_id, "community")?).await.gql()?;
        Ok(board
            .into_iter()
            .map(|e| BoardEntry {
                member: Person { id: e.member_id.into(), display_name: e.name },
                work_unit: e.work_unit,
                party_branch: e.party_branch,
                specialties: e.specialties,
                posts: e.posts,
                public_phone: e.public_phone,
            })
            .collect())
    }
}

#[Object]
impl PartyMutation {
    /// An at-work party member reports in to the community where they live (双报到).
    async fn report_in(&self, ctx: &Context<'_>, input: ReportInInput) -> Result<ReportIn> {
        let actor = actor(ctx).await?;
        let request = p::ReportInRequest {
            community_id: parse_id(&input.community_id, "community")?,
            work_unit: input.work_unit,
            party_branch: input.party_branch,
            specialties: input.specialties,
            public_phone: input.public_phone,
        };
        domain(ctx).party().report_in(actor, request).await.map(ReportIn).gql()
    }

    /// The secretary approves: the member becomes a PARTY_MEMBER here (and
    /// leaves the community they reported in to before, if any).
    async fn approve_report_in(&self, ctx: &Context<'_>, report_in_id: ID) -> Result<ReportIn> {
        let actor = actor(ctx).await?;
        domain(ctx).party().approve_report_in(actor, parse_id(&report_in_id, "report-in")?).await.map(ReportIn).gql()
    }

    async fn decline_report_in(&self, ctx: &Context<'_>, report_in_id: ID, reason: String) -> Result<ReportIn> {
        let actor = actor(ctx).await?;
        domain(ctx)
            .party()
            .decline_report_in(actor, parse_id(&report_in_id, "report-in")?, &reason)
            .await
            .map(ReportIn)
            .gql()
    }

    /// The member leaves (or the secretary removes them): PARTY_MEMBER and posts are given up.
    async fn leave_report_in(&self, ctx: &Context<'_>, report_in_id: ID) -> Result<ReportIn> {
        let actor = actor(ctx).await?;
        domain(ctx).party().leave_report_in(actor, parse_id(&report_in_id, "report-in")?).await.map(ReportIn).gql()
    }
}
