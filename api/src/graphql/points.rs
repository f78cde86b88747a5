//! Dedication points (党员奉献积分): rules, entries, month scores,
//! leaderboards and the quarterly Dedication Award.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use domain::DomainError;
use domain::points::{self as pt, Month, Period, Quarter};

use super::enums::graphql_enum;
use super::org::{Person, people};
use super::pages::{Counted, actor_and_page, page_to_connection};
use super::{OrGql, actor, domain, gql_error, parse_id};

#[derive(Default)]
pub struct PointsQuery;

#[derive(Default)]
pub struct PointsMutation;

graphql_enum!(DedicationSource = domain::points::SourceKind);

/// A community's rules (defaults in brackets).
#[derive(SimpleObject)]
pub struct DedicationRules {
    /// Approved order finished on time (+5).
    order_on_time: i32,
    /// Approved order finished late, on top of `orderOverdue` (0).
    order_late: i32,
    /// Claim not finished by its deadline (−5), once: by the deadline sweep, or at approval.
    order_overdue: i32,
    /// Rating of at least `goodRatingMinStars` (+2, 4★).
    good_rating: i32,
    good_rating_min_stars: i32,
    /// Rating of at most `lowRatingMaxStars` (−3, 2★).
    low_rating: i32,
    low_rating_max_stars: i32,
    /// Wish fulfilled and approved (+5).
    wish_fulfilled: i32,
    /// Claimed wish not fulfilled in time (−3).
    wish_claim_expired: i32,
    /// Days to fulfil a claimed wish (7).
    wish_claim_days: i32,
    /// Checked in at an activity (+2).
    activity_attended: i32,
    /// Claimed a volunteer post, once per post and year (+2).
    post_claimed: i32,
    /// A month's score is this plus the month's points (60).
    monthly_base: i32,
    /// Bonus for `runMonths` months at or above the threshold (80, +10).
    bonus_threshold: i32,
    bonus_points: i32,
    /// Penalty for `runMonths` months below the threshold (60, −10).
    penalty_threshold: i32,
    penalty_points: i32,
    run_months: i32,
    /// 四个一: households each member keeps in touch with (1).
    households_to_keep: i32,
}

impl From<pt::DedicationRules> for DedicationRules {
    fn from(r: pt::DedicationRules) -> Self {
        Self {
            order_on_time: r.order_on_time,
            order_late: r.order_late,
            order_overdue: r.order_overdue,
            good_rating: r.good_rating,
            good_rating_min_stars: r.good_rating_min_stars,
            low_rating: r.low_rating,
            low_rating_max_stars: r.low_rating_max_stars,
            wish_fulfilled: r.wish_fulfilled,
            wish_claim_expired: r.wish_claim_expired,
            wish_claim_days: r.wish_claim_days,
            activity_attended: r.activity_attended,
            post_claimed: r.post_claimed,
            monthly_base: r.monthly_base,
            bonus_threshold: r.bonus_threshold,
            bonus_points: r.bonus_points,
            penalty_threshold: r.penalty_threshold,
            penalty_points: r.penalty_points,
            run_months: r.run_months,
            households_to_keep: r.households_to_keep,
        }
    }
}

/// Changes to the rules; fields left out keep their current value.
#[derive(InputObject, Default)]
pub struct DedicationRulesInput {
    order_on_time: Option<i32>,
    order_late: Option<i32>,
    order_overdue: Option<i32>,
    good_rating: Option<i32>,
    good_rating_min_stars: Option<i32>,
    low_rating: Option<i32>,
    low_rating_max_stars: Option<i32>,
    wish_fulfilled: Option<i32>,
    wish_claim_expired: Option<i32>,
    wish_claim_days: Option<i32>,
    activity_attended: Option<i32>,
    post_claimed: Option<i32>,
    monthly_base: Option<i32>,
    bonus_threshold: Option<i32>,
    bonus_points: Option<i32>,
    penalty_threshold: Option<i32>,
    penalty_points: Option<i32>,
    run_months: Option<i32>,
    households_to_keep: Option<i32>,
}

impl DedicationRulesInput {
    fn apply(self, mut r: pt::DedicationRules) -> pt::DedicationRules {
        macro_rules! patch {
            ($($field:ident),+) => { $(if let Some(v) = self.$field { r.$field = v; })+ };
        }
        patch!(
            order_on_time,
            order_late,
            order_overdue,
            good_rating,
            good_rating_min_stars,
            low_rating,
            low_rating_max_stars,
            wish_fulfilled,
            wish_claim_expired,
            wish_claim_days,
            activity_attended,
            post_claimed,
            monthly_base,
            bonus_threshold,
            bonus_points,
            penalty_threshold,
            penalty_points,
            run_months,
            households_to_keep
        );
        r
    }
}

#[derive(SimpleObject, Clone)]
pub struct DedicationEntry {
    id: ID,
    member_id: ID,
    points: i32,
    reason: String,
    source: DedicationSource,
    /// The order, wish, activity or post it came from.
    source_id: Option<ID>,
    /// YYYY-MM (Asia/Shanghai).
    month: String,
    created_at: DateTime<Utc>,
}

impl From<pt::DedicationEntry> for DedicationEntry {
    fn from(e: pt::DedicationEntry) -> Self {
        Self {
            id: e.id.into(),
            member_id: e.member_id.into(),
            points: e.points,
            reason: e.reason,
            source: e.source_kind.into(),
            source_id: e.source_id.map(Into::into),
            month: e.month,
            created_at: e.created_at,
        }
    }
}

/// A member's points: the balance is the sum of the entries.
#[derive(SimpleObject)]
pub struct DedicationAccount {
    member_id: ID,
    balance: i64,
    entries: Connection<String, DedicationEntry, Counted>,
}

#[derive(SimpleObject)]
pub struct MonthScore {
    month: String,
    /// Base plus the month's points; bonus and penalty entries do not count.
    score: i32,
    points: i32,
}

#[derive(SimpleObject, Clone)]
pub struct Standing {
    member: Option<Person>,
    party_branch: String,
    points: i32,
    rank: u32,
}

#[derive(SimpleObject)]
pub struct Nomination {
    id: ID,
    quarter: String,
    party_branch: String,
    member: Option<Person>,
    citation: Option<String>,
    created_at: DateTime<Utc>,
}

#[derive(SimpleObject)]
pub struct BranchRanking {
    party_branch: String,
    standings: Vec<Standing>,
    nominations: Vec<Nomination>,
}

async fn standings_out(ctx: &Context<'_>, list: Vec<pt::Standing>) -> Result<Vec<Standing>> {
    let names = people(ctx, list.iter().map(|s| s.member_id)).await?;
    Ok(list
        .into_iter()
        .map(|s| Standing {
            member: names.get(&s.member_id).cloned(),
            party_branch: s.party_branch,
            points: s.points,
            rank: s.rank,
        })
        .collect())
}

async fn nominations_out(ctx: &Context<'_>, list: Vec<pt::Nomination>) -> Result<Vec<Nomination>> {
    let names = people(ctx, list.iter().map(|n| n.member_id)).await?;
    Ok(list
        .into_iter()
        .map(|n| Nomination {
            id: n.id.into(),
            quarter: n.quarter,
            party_branch: n.party_branch,
            member: names.get(&n.member_id).cloned(),
            citation: n.citation,
            created_at: n.created_at,
        })
        .collect())
}

fn period(month: Option<String>, quarter: Option<String>) -> Result<Period> {
    match (month, quarter) {
        (Some(m), None) => Ok(Period::Month(Month::parse("month", &m).gql()?)),
        (None, Some(q)) => Ok(Period::Quarter(Quarter::parse("quarter", &q).gql()?)),
        _ => Err(gql_error(DomainError::bad_input("month", "give either a month (YYYY-MM) or a quarter (YYYYQn)"))),
    }
}

#[Object]
impl PointsQuery {
    async fn dedication_rules(&self, ctx: &Context<'_>, community_id: ID) -> Result<DedicationRules> {
        let actor = actor(ctx).await?;
        domain(ctx).points().rules(actor, parse_id(&community_id, "community")?).await.map(Into::into).gql()
    }

    /// A member's balance and entries, newest first (the member and the community's staff).
    async fn dedication_points(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        member_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<DedicationAccount> {
        let (actor, page) = actor_and_page(ctx, first, after.as_deref()).await?;
        let member = parse_id(&member_id, "member")?;
        let (balance, entries) =
            domain(ctx).points().account(actor, parse_id(&community_id, "community")?, member, page).await.gql()?;
        Ok(DedicationAccount {
            member_id,
            balance,
            entries: page_to_connection(entries, |e| e.id, DedicationEntry::from),
        })
    }

    /// Month scores from `from` to `to` (YYYY-MM), recomputed from the entries.
    async fn month_scores(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        member_id: ID,
        from: String,
        to: String,
    ) -> Result<Vec<MonthScore>> {
        let actor = actor(ctx).await?;
        let (from, to) = (Month::parse("from", &from).gql()?, Month::parse("to", &to).gql()?);
        let scores = domain(ctx)
            .points()
            .month_scores(actor, parse_id(&community_id, "community")?, parse_id(&member_id, "member")?, from, to)
            .await
            .gql()?;
        Ok(scores
            .into_iter()
            .map(|s| MonthScore { month: s.month.to_string(), score: s.score, points: s.points })
            .collect())
    }

    /// Points earned in a month (`month: "2026-11"`) or a quarter (`quarter: "2026Q4"`), ranked.
    async fn dedication_leaderboard(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        month: Option<String>,
        quarter: Option<String>,
    ) -> Result<Vec<Standing>> {
        let actor = actor(ctx).await?;
        let list = domain(ctx)
            .points()
            .leaderboard(actor, parse_id(&community_id, "community")?, period(month, quarter)?)
            .await
            .gql()?;
        standings_out(ctx, list).await
    }

    /// The quarter's ranking per party branch, with the nominations made (secretary).
    async fn award_ranking(&self, ctx: &Context<'_>, community_id: ID, quarter: String) -> Result<Vec<BranchRanking>> {
        let actor = actor(ctx).await?;
        let quarter = Quarter::parse("quarter", &quarter).gql()?;
        let branches =
            domain(ctx).points().award_ranking(actor, parse_id(&community_id, "community")?, quarter).await.gql()?;
        let mut out = Vec::with_capacity(branches.len());
        for (party_branch, standings, nominations) in branches {
            out.push(BranchRanking {
                party_branch,
                standings: standings_out(ctx, standings).await?,
                nominations: nominations_out(ctx, nominations).await?,
            });
        }
        Ok(out)
    }
}

#[Object]
impl PointsMutation {
    /// The secretary changes the community's rules.
    async fn set_dedication_rules(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        rules: DedicationRulesInput,
    ) -> Result<DedicationRules> {
        let actor = actor(ctx).await?;
        let c = parse_id(&community_id, "community")?;
        let current = domain(ctx).points().rules(actor, c).await.gql()?;
        domain(ctx).points().set_rules(actor, c, rules.apply(current)).await.map(Into::into).gql()
    }

    /// A manual adjustment by the secretary, with its reason; the key makes a retry safe.
    async fn adjust_dedication_points(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        member_id: ID,
        points: i32,
        reason: String,
        idempotency_key: String,
    ) -> Result<DedicationEntry> {
        let actor = actor(ctx).await?;
        domain(ctx)
            .points()
            .adjust(
                actor,
                parse_id(&community_id, "community")?,
                parse_id(&member_id, "member")?,
                points,
                &reason,
                &idempotency_key,
            )
            .await
            .map(Into::into)
            .gql()
    }

    /// Awards the run bonuses and penalties earned by the end of `month`
    /// (YYYY-MM, a month that is over). Safe to run again: nothing is awarded twice.
    async fn close_dedication_month(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        month: String,
    ) -> Result<Vec<DedicationEntry>> {
        let actor = actor(ctx).await?;
        let month = Month::parse("month", &month).gql()?;
        let written =
            domain(ctx).points().close_month(actor, parse_id(&community_id, "community")?, month).await.gql()?;
        Ok(written.into_iter().map(Into::into).collect())
    }

    /// Names a member for the quarter's Dedication Award: 1–3 per party branch.
    async fn nominate_award(
        &self,
        ctx: &Context<'_>,
        community_id: ID,
        quarter: String,
        member_id: ID,
        citation: Option<String>,
    ) -> Result<Nomination> {
        let actor = actor(ctx).await?;
        let quarter = Quarter::parse("quarter", &quarter).gql()?;
        let n = domain(ctx)
            .points()
            .nominate_award(
                actor,
                parse_id(&community_id, "community")?,
                quarter,
                parse_id(&member_id, "member")?,
                citation,
            )
            .await
            .gql()?;
        Ok(nominations_out(ctx, vec![n]).await?.remove(0))
    }
}
