//! The order deadlines. A dispatched order nobody claimed by `claim_due_at`
//! escalates to the street (urgent care requests take the care path
//! instead: they stay open and the secretaries are alerted). A claim not
//! finished by `complete_due_at` lapses back to the pool or escalates, as
//! the community's overdue policy says; the claimant loses points either
//! way (the order's hooks do that and send the notices).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::IntoCondition;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Select, Set};

use super::Orders;
use super::kind::OrderStep;
use super::machine::{OrderAction, OrderStatus};
use super::model::OverdueSweep;
use super::policy::{OrderPolicy, urgent_care_ids};
use super::service::escalation;
use crate::Domain;
use crate::deadlines;
use crate::entities::order;
use crate::error::DomainResult;
use crate::org::{OverduePolicy, policy_of};
use crate::workflow::{self, Deadline, Status};

impl Orders<'_> {
    /// Orders dispatched (to the pool or a named member) that nobody claimed
    /// by `claim_due_at` are escalated to the street and the community's
    /// secretaries told, once each however many nodes sweep. Returns how many.
    pub async fn escalate_unclaimed(self) -> DomainResult<usize> {
        Ok(workflow::sweep(self.d, &Unclaimed).await?.len())
    }

    /// Claims not finished by `complete_due_at`: marked overdue, the
    /// claimant charged and told, then back to the pool with a fresh claim
    /// deadline or escalated, per the community's overdue policy.
    /// Orders routed to a department that did not accept them within its
    /// acceptance SLA go back to the street, whose reviewers are told; once
    /// each. Returns how many.
    pub async fn return_unaccepted(self) -> DomainResult<usize> {
        Ok(workflow::sweep(self.d, &UNACCEPTED).await?.len())
    }

    /// Departments past the street's due date on an order: the county's
    /// admins are alerted, once per order. Returns how many.
    pub async fn alert_departments_overdue(self) -> DomainResult<usize> {
        Ok(workflow::sweep(self.d, &DEPARTMENT_OVERDUE).await?.len())
    }

    /// Claims whose helper was not at the door by `arrive_due_at`: the
    /// claimant and the secretaries are told, once each. Returns how many.
    pub async fn mark_arrivals_missed(self) -> DomainResult<usize> {
        Ok(workflow::sweep(self.d, &ARRIVAL_MISSED).await?.len())
    }

    pub async fn sweep_overdue(self) -> DomainResult<OverdueSweep> {
        let mut swept = OverdueSweep::default();
        for policy in workflow::sweep(self.d, &Overdue).await? {
            match policy {
                OverduePolicy::ReturnToPool => swept.returned_to_pool += 1,
                OverduePolicy::Escalate => swept.escalated += 1,
            }
        }
        Ok(swept)
    }
}

/// Dispatched, unclaimed past `claim_due_at`.
struct Unclaimed;

impl Deadline for Unclaimed {
    type Kind = order::Entity;
    type Outcome = ();

    fn due(&self, now: DateTime<Utc>) -> Select<order::Entity> {
        order::Entity::find()
            .filter(order::Column::Status.is_in(OrderStatus::texts_where(OrderStatus::is_claimable)))
            .filter(order::Column::ClaimDueAt.lt(now))
            .filter(order::Column::Id.not_in_subquery(urgent_care_ids()))
            .order_by_asc(order::Column::ClaimDueAt)
    }

    async fn plan(
        &self,
        _d: &Domain,
        _txn: &DatabaseTransaction,
        row: &order::Model,
        now: DateTime<Utc>,
    ) -> DomainResult<Option<(OrderStep, ())>> {
        let Some(due) = row.claim_due_at else { return Ok(None) };
        let note = format!("nobody claimed it by {}: escalated to the street", deadlines::local_time(due));
        let step =
            OrderStep::system(OrderAction::EscalateUnclaimed).note(note).guard(order::Column::ClaimDueAt.lt(now));
        Ok(Some((escalation(step, row, now), ())))
    }
}

/// Claimed, unfinished past `complete_due_at`.
struct Overdue;

impl Deadline for Overdue {
    type Kind = order::Entity;
    type Outcome = OverduePolicy;

    fn due(&self, now: DateTime<Utc>) -> Select<order::Entity> {
        order::Entity::find()
            .filter(order::Column::Status.eq(OrderStatus::Claimed.as_str()))
            .filter(order::Column::CompleteDueAt.lt(now))
            .order_by_asc(order::Column::CompleteDueAt)
    }

    async fn plan(
        &self,
        d: &Domain,
        txn: &DatabaseTransaction,
        row: &order::Model,
        now: DateTime<Utc>,
    ) -> DomainResult<Option<(OrderStep, OverduePolicy)>> {
        let Some(due) = row.complete_due_at else { return Ok(None) };
        let policy = policy_of(txn, row.community_id).await?;
        let missed = format!("not finished by {}", deadlines::local_time(due));
        let still_due = order::Column::CompleteDueAt.lt(now).into_condition();
        let step = match policy {
            OverduePolicy::ReturnToPool => {
                let category = crate::orders::OrderCategory::parse(&row.category)?;
                let claim_window = OrderPolicy::of(txn, row.id, category)
                    .await?
                    .windows(&d.settings.order_deadlines, &d.settings.care)
                    .0;
                OrderStep::system(OrderAction::Lapse)
                    .note(format!("{missed}: the claim lapsed and the order is back in the pool"))
                    .set(|m| {
                        m.overdue_at = Set(Some(now));
                        m.claimant_id = Set(None);
                        m.assignee_id = Set(None);
                        m.complete_due_at = Set(None);
                        m.claim_due_at = Set(Some(now + claim_window));
                        m.dispatched_at = Set(Some(now));
                    })
            }
            OverduePolicy::Escalate => escalation(
                OrderStep::system(OrderAction::EscalateOverdue)
                    .note(format!("{missed}: escalated to the street"))
                    .set(|m| m.overdue_at = Set(Some(now))),
                row,
                now,
            ),
        };
        Ok(Some((step.guard(still_due), policy)))
    }
}

/// A deadline on one of the order's times that only records, or hands the
/// order back: orders in one of `statuses` past `due`, while each of
/// `unless` is still empty; the system takes `action`, stamping `mark`.
struct Passed {
    statuses: &'static [OrderStatus],
    due: order::Column,
    due_of: fn(&order::Model) -> Option<DateTime<Utc>>,
    unless: &'static [order::Column],
    action: OrderAction,
    mark: Option<order::Column>,
    /// What was missed, before its time, for the history.
    missed: &'static str,
}

/// Routed, not accepted by `accept_due_at`: back to the street.
const UNACCEPTED: Passed = Passed {
    statuses: &[OrderStatus::Routed],
    due: order::Column::AcceptDueAt,
    due_of: |o| o.accept_due_at,
    unless: &[],
    action: OrderAction::MissAcceptance,
    mark: None,
    missed: "the department did not accept it by",
};

/// With a department past `route_due_at`: the county is told, once.
const DEPARTMENT_OVERDUE: Passed = Passed {
    statuses: &[OrderStatus::Routed, OrderStatus::DepartmentAccepted],
    due: order::Column::RouteDueAt,
    due_of: |o| o.route_due_at,
    unless: &[order::Column::DepartmentOverdueAt],
    action: OrderAction::AlertDepartmentOverdue,
    mark: Some(order::Column::DepartmentOverdueAt),
    missed: "the department had not finished it by",
};

/// Claimed, not at the door by `arrive_due_at`: marked once.
const ARRIVAL_MISSED: Passed = Passed {
    statuses: &[OrderStatus::Claimed],
    due: order::Column::ArriveDueAt,
    due_of: |o| o.arrive_due_at,
    unless: &[order::Column::ArrivedAt, order::Column::ArrivalMissedAt],
    action: OrderAction::MissArrival,
    mark: Some(order::Column::ArrivalMissedAt),
    missed: "not at the door by",
};

impl Deadline for Passed {
    type Kind = order::Entity;
    type Outcome = ();

    fn due(&self, now: DateTime<Utc>) -> Select<order::Entity> {
        let mut query = order::Entity::find()
            .filter(order::Column::Status.is_in(self.statuses.iter().map(|s| s.as_str())))
            .filter(self.due.lt(now));
        for column in self.unless {
            query = query.filter(column.is_null());
        }
        query.order_by_asc(self.due)
    }

    async fn plan(
        &self,
        _d: &Domain,
        _txn: &DatabaseTransaction,
        row: &order::Model,
        now: DateTime<Utc>,
    ) -> DomainResult<Option<(OrderStep, ())>> {
        let Some(due) = (self.due_of)(row) else { return Ok(None) };
        let note = format!("{} {}", self.missed, deadlines::local_time(due));
        let mut step = OrderStep::system(self.action).note(note).guard(self.due.lt(now));
        for column in self.unless {
            step = step.guard(column.is_null());
        }
        if let Some(mark) = self.mark {
            step = step.set(move |m| m.set(mark, Some(now).into()));
        }
        Ok(Some((step, ())))
    }
}
