//! The figures an office runs on (`serviceStats`), computed in the domain
//! by SQL aggregates; these types only carry them.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::NaiveDate;
use domain::orders as d;

use super::orders::{OrderCategory, OrderStatus, ReturnVisitSatisfaction};
use super::{OrGql, actor, domain, parse_id};
use domain::DomainError;

#[derive(Default)]
pub struct StatsQuery;

/// Exactly one of the four: whose figures.
#[derive(InputObject)]
pub struct StatsScopeInput {
    grid_id: Option<ID>,
    community_id: Option<ID>,
    street_id: Option<ID>,
    county_id: Option<ID>,
}

impl StatsScopeInput {
    fn scope(&self) -> Result<d::StatsScope> {
        let given: Vec<_> = [
            (&self.grid_id, "grid"),
            (&self.community_id, "community"),
            (&self.street_id, "street"),
            (&self.county_id, "county"),
        ]
        .into_iter()
        .filter_map(|(id, what)| id.as_ref().map(|id| (id, what)))
        .collect();
        let [(id, what)] = given.as_slice() else {
            return Err(super::gql_error(DomainError::bad_input(
                "scope",
                "请只给出 gridId、communityId、streetId、countyId 中的一个",
            )));
        };
        let id = parse_id(id, what)?;
        Ok(match *what {
            "grid" => d::StatsScope::Grid(id),
            "community" => d::StatsScope::Community(id),
            "street" => d::StatsScope::Street(id),
            _ => d::StatsScope::County(id),
        })
    }
}

#[Object]
impl StatsQuery {
    /// The figures of the orders placed in a grid, community, street or
    /// county from `from` to `to` (days in Asia/Shanghai, both included;
    /// at most a year). For those who hold a position at the unit or above
    /// it: a grid worker her grid's, a secretary her community's and its
    /// grids', a street reviewer the street's, a county admin the county's.
    async fn service_stats(
        &self,
        ctx: &Context<'_>,
        scope: StatsScopeInput,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<ServiceStats> {
        let actor = actor(ctx).await?;
        let scope = scope.scope()?;
        domain(ctx).orders().service_stats(actor, scope, from, to).await.map(ServiceStats).gql()
    }
}

pub struct ServiceStats(d::ServiceStats);

#[derive(SimpleObject)]
pub struct StatusCount {
    pub status: OrderStatus,
    pub count: i64,
}

#[derive(SimpleObject)]
pub struct CategoryCount {
    pub category: OrderCategory,
    pub count: i64,
}

#[derive(SimpleObject)]
pub struct SatisfactionCount {
    pub satisfaction: ReturnVisitSatisfaction,
    pub count: i64,
}

/// One target: how many orders were measured against it and how many kept
/// it, and the minutes it took (nearest-rank percentiles).
#[derive(SimpleObject)]
pub struct TargetFigures {
    /// Orders that reached the step and had a target for it.
    pub measured: i64,
    /// Of those, reached by the target.
    pub within: i64,
    /// `within ÷ measured`, 0–1; null when nothing was measured.
    pub share: Option<f64>,
    /// Orders with both moments, which the minutes are over.
    pub timed: i64,
    pub median_minutes: Option<f64>,
    pub p90_minutes: Option<f64>,
}

impl From<d::Target> for TargetFigures {
    fn from(t: d::Target) -> Self {
        Self {
            measured: t.measured,
            within: t.within,
            share: t.share(),
            timed: t.spread.count,
            median_minutes: t.spread.median_minutes,
            p90_minutes: t.spread.p90_minutes,
        }
    }
}

/// The escalations routed to one department (吹哨报到).
#[derive(SimpleObject)]
pub struct DepartmentFigures {
    pub department_id: ID,
    pub name: String,
    pub routed: i64,
    /// Accepted within the department's acceptance SLA.
    pub accepted_in_time: i64,
    pub completed: i64,
    /// Completed by the street's due date.
    pub completed_by_due: i64,
}

#[Object]
impl ServiceStats {
    async fn from(&self) -> NaiveDate {
        self.0.from
    }

    async fn to(&self) -> NaiveDate {
        self.0.to
    }

    /// Orders placed in the range.
    async fn total(&self) -> i64 {
        self.0.total
    }

    async fn by_status(&self) -> Vec<StatusCount> {
        self.0.by_status.iter().map(|(s, n)| StatusCount { status: (*s).into(), count: *n }).collect()
    }

    async fn by_category(&self) -> Vec<CategoryCount> {
        self.0.by_category.iter().map(|(c, n)| CategoryCount { category: (*c).into(), count: *n }).collect()
    }

    /// From dispatch to claim, against `claimDueAt`.
    async fn claim(&self) -> TargetFigures {
        self.0.claim.into()
    }

    /// From claim to the door (`arriveOnSite`), against `arriveDueAt`.
    async fn arrive(&self) -> TargetFigures {
        self.0.arrive.into()
    }

    /// From claim to reported done, against `completeDueAt`.
    async fn complete(&self) -> TargetFigures {
        self.0.complete.into()
    }

    /// Orders the resident rated, and their average stars.
    async fn ratings(&self) -> i64 {
        self.0.ratings
    }

    async fn average_stars(&self) -> Option<f64> {
        self.0.average_stars
    }

    /// Return visits (回访) by what the resident said.
    async fn return_visits(&self) -> Vec<SatisfactionCount> {
        self.0.return_visits.iter().map(|(s, n)| SatisfactionCount { satisfaction: (*s).into(), count: *n }).collect()
    }

    /// Orders that went to the street (吹哨).
    async fn escalated(&self) -> i64 {
        self.0.escalated
    }

    async fn departments(&self) -> Vec<DepartmentFigures> {
        self.0
            .departments
            .iter()
            .map(|f| DepartmentFigures {
                department_id: f.department_id.into(),
                name: f.name.clone(),
                routed: f.routed,
                accepted_in_time: f.accepted_in_time,
                completed: f.completed,
                completed_by_due: f.completed_by_due,
            })
            .collect()
    }
}
