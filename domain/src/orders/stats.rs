//! The figures an office runs on (the "one screen"), for a grid, a
//! community, a street or a county over a range of days: orders by status
//! and category, timeliness against each target, satisfaction, and the
//! escalations by department. Every figure is an SQL aggregate over the
//! orders table (indexed by community and day placed); no order is loaded.
//!
//! One aggregate pass reads every count (and on PostgreSQL the percentiles,
//! with `percentile_disc`); one more statement reads the departments.
//! Percentiles are nearest-rank: the value at position ⌈q·n⌉ of the n
//! values in order (SQLite, which has no percentiles, reads each with one
//! `ORDER BY … LIMIT 1 OFFSET` statement).

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, QueryResult, Statement, Value};

use super::Orders;
use super::machine::{OrderCategory, OrderStatus, ReturnVisitSatisfaction};
use crate::error::{DomainError, DomainResult};
use crate::exports::start_of;
use crate::org::authority::{self, Rule};
use crate::org::units::{may_read_figures, place};
use crate::org::{Actor, Unit, UnitKind};

/// What a figure is over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatsScope {
    Grid(i64),
    Community(i64),
    Street(i64),
    County(i64),
}

impl StatsScope {
    fn unit(self) -> Unit {
        match self {
            StatsScope::Grid(id) => Unit::new(UnitKind::Grid, id),
            StatsScope::Community(id) => Unit::community(id),
            StatsScope::Street(id) => Unit::street(id),
            StatsScope::County(id) => Unit::county(id),
        }
    }

    /// The condition on `o` (orders) that keeps the scope's orders, with its one value.
    fn condition(self) -> (&'static str, i64) {
        match self {
            StatsScope::Grid(id) => (
                "o.household_id IN (SELECT h.id FROM households h JOIN buildings b ON b.id = h.building_id \
                 WHERE b.grid_id = $1)",
                id,
            ),
            StatsScope::Community(id) => ("o.community_id = $1", id),
            StatsScope::Street(id) => ("o.community_id IN (SELECT c.id FROM communities c WHERE c.street_id = $1)", id),
            StatsScope::County(id) => (
                "o.community_id IN (SELECT c.id FROM communities c JOIN streets s ON s.id = c.street_id \
                 WHERE s.county_id = $1)",
                id,
            ),
        }
    }
}

/// Minutes from one moment to another, as percentiles report them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Spread {
    /// How many orders have both moments.
    pub count: i64,
    pub median_minutes: Option<f64>,
    pub p90_minutes: Option<f64>,
}

/// One target: how many were measured against it, how many kept it, and the spread.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Target {
    pub measured: i64,
    pub within: i64,
    pub spread: Spread,
}

impl Target {
    /// The share that kept the target, 0–1; none when nothing was measured.
    pub fn share(&self) -> Option<f64> {
        (self.measured > 0).then(|| self.within as f64 / self.measured as f64)
    }
}

/// The escalations routed to one department.
#[derive(Clone, Debug, PartialEq)]
pub struct DepartmentFigures {
    pub department_id: i64,
    pub name: String,
    pub routed: i64,
    /// Accepted within the acceptance SLA.
    pub accepted_in_time: i64,
    /// Of those completed, completed by the street's due date.
    pub completed: i64,
    pub completed_by_due: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ServiceStats {
    pub scope: StatsScope,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub total: i64,
    pub by_status: Vec<(OrderStatus, i64)>,
    pub by_category: Vec<(OrderCategory, i64)>,
    /// From dispatch to claim, against `claimDueAt`.
    pub claim: Target,
    /// From claim to the door, against `arriveDueAt`.
    pub arrive: Target,
    /// From claim to reported done, against `completeDueAt`.
    pub complete: Target,
    pub ratings: i64,
    pub average_stars: Option<f64>,
    pub return_visits: Vec<(ReturnVisitSatisfaction, i64)>,
    pub escalated: i64,
    pub departments: Vec<DepartmentFigures>,
}

impl Orders<'_> {
    /// The figures of the orders placed in `scope` from `from` to `to`
    /// (days in Asia/Shanghai, both included). For those who hold a
    /// position at the unit or above it: a grid worker her grid's, a
    /// secretary her community's, the street its own, the county all.
    pub async fn service_stats(
        self,
        actor: &Actor,
        scope: StatsScope,
        from: NaiveDate,
        to: NaiveDate,
    ) -> DomainResult<ServiceStats> {
        self.stats_under(actor, &authority::SERVICE_STATS, scope, from, to).await
    }

    /// [`Orders::service_stats`], refused in the name of `rule` (the query, or the download).
    pub(super) async fn stats_under(
        self,
        actor: &Actor,
        rule: &Rule,
        scope: StatsScope,
        from: NaiveDate,
        to: NaiveDate,
    ) -> DomainResult<ServiceStats> {
        let q = self.figures(actor, rule, scope, from, to).await?;
        // One pass over the range's orders: every count, and on PostgreSQL the percentiles too.
        let mut columns = vec!["COUNT(*) AS total".to_owned()];
        columns
            .extend(OrderStatus::ALL.iter().map(|st| format!("COUNT(*) FILTER (WHERE o.status = '{}')", st.as_str())));
        columns.extend(
            OrderCategory::ALL.iter().map(|c| format!("COUNT(*) FILTER (WHERE o.category = '{}')", c.as_str())),
        );
        columns.extend(
            ReturnVisitSatisfaction::ALL
                .iter()
                .map(|v| format!("COUNT(*) FILTER (WHERE o.return_visit_satisfaction = '{}')", v.as_str())),
        );
        for t in &TARGETS {
            columns.extend(q.target_columns(t));
        }
        columns.push("COUNT(o.rating_stars)".into());
        columns.push("CAST(AVG(o.rating_stars) AS DOUBLE PRECISION)".into());
        columns.push("COUNT(o.escalated_at)".into());
        let row = q.all(&format!("SELECT {} FROM orders o WHERE {{scope}}", columns.join(", ")), &[]).await?;
        let row = row.into_iter().next().ok_or_else(|| DomainError::internal("no figures row"))?;
        let mut at = Columns { row: &row, next: 0 };
        let total = at.count()?;
        let counted = |at: &mut Columns<'_>, n: usize| (0..n).map(|_| at.count()).collect::<DomainResult<Vec<_>>>();
        let by_status = keep(OrderStatus::ALL.iter().copied().zip(counted(&mut at, OrderStatus::ALL.len())?).collect());
        let by_category =
            keep(OrderCategory::ALL.iter().copied().zip(counted(&mut at, OrderCategory::ALL.len())?).collect());
        let return_visits = keep(
            ReturnVisitSatisfaction::ALL
                .iter()
                .copied()
                .zip(counted(&mut at, ReturnVisitSatisfaction::ALL.len())?)
                .collect(),
        );
        let mut targets = Vec::with_capacity(TARGETS.len());
        for t in &TARGETS {
            targets.push(q.target(t, &mut at).await?);
        }
        let (ratings, average_stars, escalated) = (at.count()?, at.number()?, at.count()?);
        let departments = q.departments().await?;
        let [claim, arrive, complete] =
            <[Target; 3]>::try_from(targets).map_err(|_| DomainError::internal("three targets"))?;
        Ok(ServiceStats {
            scope,
            from,
            to,
            total,
            by_status,
            by_category,
            claim,
            arrive,
            complete,
            ratings,
            average_stars,
            return_visits,
            escalated,
            departments,
        })
    }
}

impl Orders<'_> {
    /// The ids of the orders placed in the scope over the days, oldest
    /// first, for those who may read its figures.
    pub(super) async fn ids_in(
        self,
        actor: &Actor,
        scope: StatsScope,
        from: NaiveDate,
        to: NaiveDate,
    ) -> DomainResult<Vec<i64>> {
        let q = self.figures(actor, &authority::EXPORT_ORDERS, scope, from, to).await?;
        q.all("SELECT o.id AS id FROM orders o WHERE {scope} ORDER BY o.id", &[])
            .await?
            .into_iter()
            .map(|r| Ok(r.try_get::<i64>("", "id")?))
            .collect()
    }

    /// The statements for a scope and range, once the actor may read them
    /// (`rule` names the act in a refusal).
    async fn figures(
        &self,
        actor: &Actor,
        rule: &Rule,
        scope: StatsScope,
        from: NaiveDate,
        to: NaiveDate,
    ) -> DomainResult<Figures<'_, sea_orm::DatabaseConnection>> {
        let at = place(&self.d.db, scope.unit()).await?;
        if !may_read_figures(actor, scope.unit().kind, &at) {
            return Err(rule.refused());
        }
        if to < from || (to - from).num_days() > 366 {
            return Err(DomainError::bad_input("to", "日期范围须在一年以内，且结束日期不早于开始日期"));
        }
        let (start, end) = (start_of(from)?, start_of(to.succ_opt().unwrap_or(to))?);
        Ok(Figures { db: &self.d.db, scope, from: start, to: end })
    }
}

/// The pairs with a count, in the enum's order.
fn keep<T>(pairs: Vec<(T, i64)>) -> Vec<(T, i64)> {
    pairs.into_iter().filter(|(_, n)| *n > 0).collect()
}

/// The median and the 90th percentile.
const QUANTILES: [f64; 2] = [0.5, 0.9];

/// A target's three moments: from `start` to `end`, kept when `end` is by `due`.
struct TargetColumns {
    start: &'static str,
    end: &'static str,
    due: &'static str,
}

/// Claiming (from dispatch), arriving and completing (from the claim).
const TARGETS: [TargetColumns; 3] = [
    TargetColumns { start: "dispatched_at", end: "claimed_at", due: "claim_due_at" },
    TargetColumns { start: "claimed_at", end: "arrived_at", due: "arrive_due_at" },
    TargetColumns { start: "claimed_at", end: "completed_at", due: "complete_due_at" },
];

/// The pass's columns, read in the order they were written.
struct Columns<'a> {
    row: &'a QueryResult,
    next: usize,
}

impl Columns<'_> {
    fn count(&mut self) -> DomainResult<i64> {
        self.next += 1;
        Ok(self.row.try_get_by_index::<Option<i64>>(self.next - 1)?.unwrap_or(0))
    }

    fn number(&mut self) -> DomainResult<Option<f64>> {
        self.next += 1;
        Ok(self.row.try_get_by_index::<Option<f64>>(self.next - 1)?)
    }
}

/// The statements of one figures request.
struct Figures<'a, C: ConnectionTrait> {
    db: &'a C,
    scope: StatsScope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

impl<C: ConnectionTrait> Figures<'_, C> {
    fn backend(&self) -> DatabaseBackend {
        self.db.get_database_backend()
    }

    /// `sql` with the scope and the range filled in (`{scope}` is replaced
    /// by the scope's condition and the placed-in-range condition), and its
    /// values: `$1` the scope's id, `$2`/`$3` the range, then `extra`.
    fn statement(&self, sql: &str, extra: &[Value]) -> Statement {
        let (condition, id) = self.scope.condition();
        let scope = format!("{condition} AND o.created_at >= $2 AND o.created_at < $3");
        let mut sql = sql.replace("{scope}", &scope);
        if self.backend() != DatabaseBackend::Postgres {
            // SQLite numbers its parameters `?1`, `?2`…
            sql = sql.replace('$', "?");
        }
        let mut values: Vec<Value> = vec![id.into(), self.from.into(), self.to.into()];
        values.extend(extra.iter().cloned());
        Statement::from_sql_and_values(self.backend(), sql, values)
    }

    async fn all(&self, sql: &str, extra: &[Value]) -> DomainResult<Vec<QueryResult>> {
        Ok(self.db.query_all_raw(self.statement(sql, extra)).await?)
    }

    /// Minutes from `start` to `end` in SQL.
    fn minutes(&self, start: &str, end: &str) -> String {
        match self.backend() {
            DatabaseBackend::Postgres => {
                format!("CAST(EXTRACT(EPOCH FROM (o.{end} - o.{start})) / 60 AS DOUBLE PRECISION)")
            }
            _ => format!("((julianday(o.{end}) - julianday(o.{start})) * 1440.0)"),
        }
    }

    /// The columns one target adds to the pass: measured, within, timed,
    /// and on PostgreSQL the two percentiles (`percentile_disc` is nearest rank).
    fn target_columns(&self, t: &TargetColumns) -> Vec<String> {
        let (start, end, due) = (t.start, t.end, t.due);
        let timed = format!("o.{start} IS NOT NULL AND o.{end} IS NOT NULL");
        let mut columns = vec![
            format!("COUNT(*) FILTER (WHERE o.{end} IS NOT NULL AND o.{due} IS NOT NULL)"),
            format!("COUNT(*) FILTER (WHERE o.{end} <= o.{due})"),
            format!("COUNT(*) FILTER (WHERE {timed})"),
        ];
        if self.backend() == DatabaseBackend::Postgres {
            let minutes = self.minutes(start, end);
            for q in QUANTILES {
                columns.push(format!(
                    "CAST(percentile_disc({q}) WITHIN GROUP (ORDER BY {minutes}) FILTER (WHERE {timed}) AS DOUBLE PRECISION)"
                ));
            }
        }
        columns
    }

    /// One target read from the pass; on SQLite, which has no percentiles,
    /// each is one `ORDER BY … LIMIT 1 OFFSET` statement at its rank.
    async fn target(&self, t: &TargetColumns, at: &mut Columns<'_>) -> DomainResult<Target> {
        let (measured, within, count) = (at.count()?, at.count()?, at.count()?);
        let mut spread = Spread { count, ..Spread::default() };
        let slots = [&mut spread.median_minutes, &mut spread.p90_minutes];
        if self.backend() == DatabaseBackend::Postgres {
            for slot in slots {
                *slot = at.number()?;
            }
            return Ok(Target { measured, within, spread });
        }
        let (start, end) = (t.start, t.end);
        let values = format!(
            "SELECT {} AS v FROM orders o WHERE {{scope}} AND o.{start} IS NOT NULL AND o.{end} IS NOT NULL",
            self.minutes(start, end)
        );
        for (q, slot) in QUANTILES.iter().zip(slots) {
            if count == 0 {
                continue;
            }
            let rank = ((q * count as f64).ceil() as i64 - 1).clamp(0, count - 1);
            let row = self
                .all(&format!("SELECT x.v AS v FROM ({values}) x ORDER BY x.v LIMIT 1 OFFSET $4"), &[rank.into()])
                .await?
                .into_iter()
                .next();
            *slot = row.map(|r| r.try_get::<f64>("", "v")).transpose()?;
        }
        Ok(Target { measured, within, spread })
    }

    /// The escalations by department: routed, accepted in time, completed by the due date.
    async fn departments(&self) -> DomainResult<Vec<DepartmentFigures>> {
        let rows = self
            .all(
                "SELECT d.id AS id, d.name AS name, COUNT(*) AS routed, \
                 SUM(CASE WHEN o.department_accepted_at IS NOT NULL AND o.department_accepted_at <= o.accept_due_at \
                 THEN 1 ELSE 0 END) AS accepted_in_time, \
                 SUM(CASE WHEN o.department_completed_at IS NOT NULL THEN 1 ELSE 0 END) AS completed, \
                 SUM(CASE WHEN o.department_completed_at IS NOT NULL AND o.department_completed_at <= o.route_due_at \
                 THEN 1 ELSE 0 END) AS completed_by_due \
                 FROM orders o JOIN departments d ON d.id = o.department_id \
                 WHERE {scope} AND o.routed_at IS NOT NULL GROUP BY d.id, d.name ORDER BY d.id",
                &[],
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(DepartmentFigures {
                    department_id: r.try_get("", "id")?,
                    name: r.try_get("", "name")?,
                    routed: r.try_get("", "routed")?,
                    accepted_in_time: r.try_get::<Option<i64>>("", "accepted_in_time")?.unwrap_or(0),
                    completed: r.try_get::<Option<i64>>("", "completed")?.unwrap_or(0),
                    completed_by_due: r.try_get::<Option<i64>>("", "completed_by_due")?.unwrap_or(0),
                })
            })
            .collect()
    }
}
