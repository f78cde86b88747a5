//! The 30-minute promise (the claimant records arriving at the door, and a
//! sweep marks an arrival missed, once) and 回访: after approval the grid
//! worker calls or visits the resident and records how satisfied they are;
//! by the community's policy an UNSATISFIED visit reopens the order or
//! escalates it.

use sea_orm::{ColumnTrait, DatabaseTransaction, Set};

use super::Orders;
use super::kind::OrderStep;
use super::machine::{OrderAction, ReturnVisitSatisfaction};
use super::model::Order;
use super::service::escalation;
use crate::deadlines::{self, SecretaryNotice};
use crate::entities::order;
use crate::error::{DomainError, DomainResult};
use crate::notifications::{NewNotice, notify};
use crate::org::{Actor, ReturnVisitPolicy, authority, return_visit_policy_of};
use crate::validate;
use crate::workflow::{Moved, Subject};

impl Orders<'_> {
    /// The claimant is at the door: the arrival is stamped, once.
    pub async fn arrive_on_site(self, actor: &Actor, id: i64) -> DomainResult<Order> {
        let (row, order) = self.visible(actor, id).await?;
        if order.claimant_id != Some(actor.user_id) {
            return Err(authority::ARRIVE_ON_SITE.refused());
        }
        if row.arrived_at.is_some() {
            return Err(DomainError::invalid_state("已经登记过到达现场"));
        }
        let now = self.d.clock.now();
        let step = OrderStep::by(actor.user_id, OrderAction::Arrive)
            .guard(order::Column::ArrivedAt.is_null())
            .set(|m| m.arrived_at = Set(Some(now)));
        self.take(&row, step).await
    }

    /// The grid worker (or secretary) records the return visit of approved
    /// work. Nobody visits back on work they did themselves; a grid worker
    /// visits her own grid's households.
    pub async fn record_return_visit(
        self,
        actor: &Actor,
        id: i64,
        satisfaction: ReturnVisitSatisfaction,
        comment: Option<String>,
    ) -> DomainResult<Order> {
        let (row, order) = self.visible(actor, id).await?;
        actor.require(&authority::RECORD_RETURN_VISIT, order.community_id)?;
        for helper in [order.claimant_id, Some(order.placed_by)] {
            actor.require_not_self_for(&authority::RECORD_RETURN_VISIT, helper)?;
        }
        if !self.d.org().looks_after_household(actor, order.community_id, order.household_id).await? {
            return Err(DomainError::forbidden("这张服务单不在你负责的网格里，请由该网格的网格员或社区书记回访"));
        }
        if row.return_visited_at.is_some() {
            return Err(DomainError::invalid_state("这张服务单已经回访过了"));
        }
        let comment = validate::optional_text("comment", comment, 500)?;
        let note = match &comment {
            Some(c) => format!("回访：{}，{c}", satisfaction.label()),
            None => format!("回访：{}", satisfaction.label()),
        };
        let now = self.d.clock.now();
        let by = actor.user_id;
        let unsatisfied = satisfaction == ReturnVisitSatisfaction::Unsatisfied;
        let policy = return_visit_policy_of(&self.d.db, order.community_id).await?;
        let step = match (unsatisfied, policy) {
            (false, _) => OrderStep::by(by, OrderAction::ReturnVisit).set(move |m| {
                m.return_visit_satisfaction = Set(Some(satisfaction.as_str().into()));
                m.return_visit_comment = Set(comment);
                m.return_visited_by = Set(Some(by));
                m.return_visited_at = Set(Some(now));
            }),
            // The visit stays in the history; the order starts again, with a fresh claim deadline.
            (true, ReturnVisitPolicy::Reopen) => {
                let claim_due = now + self.windows(&order).await?.0;
                OrderStep::by(by, OrderAction::ReopenAfterVisit).set(move |m| {
                    m.claimant_id = Set(None);
                    m.assignee_id = Set(None);
                    m.complete_due_at = Set(None);
                    m.claim_due_at = Set(Some(claim_due));
                    m.dispatched_at = Set(Some(now));
                })
            }
            (true, ReturnVisitPolicy::Escalate) => {
                escalation(OrderStep::by(by, OrderAction::EscalateAfterVisit), &row, now)
            }
        };
        self.take(&row, step.note(note).guard(order::Column::ReturnVisitedAt.is_null())).await
    }
}

/// Who hears of a missed arrival (the claimant and the secretaries) and of
/// an order reopened after an unsatisfied return visit (the secretaries).
pub(super) async fn tell_after(txn: &DatabaseTransaction, moved: &Moved<'_, order::Entity>) -> DomainResult<()> {
    let (order, at) = (moved.after, moved.at);
    match moved.action {
        OrderAction::MissArrival => {
            let due = order.arrive_due_at.map(deadlines::local_time).unwrap_or_default();
            let body = format!("服务单“{}”（#{}）的接单人未在 {due} 前登记到达现场。", order.title, order.id);
            if let Some(member) = order.claimant_id {
                notify(
                    txn,
                    NewNotice {
                        community_id: order.community_id,
                        recipient_id: member,
                        kind: "ORDER_ARRIVAL_MISSED",
                        subject_kind: Some(Subject::Order),
                        subject_id: Some(order.id),
                        title: "请尽快上门".into(),
                        body: format!("您认领的{body}请尽快上门，到达后点“已到达”。"),
                        dedup_key: format!("order-arrival-missed:{}:{member}", order.id),
                        at,
                    },
                )
                .await?;
            }
            tell_secretaries(txn, order, "ORDER_ARRIVAL_MISSED", "接单人超时未到达", &body, at).await
        }
        OrderAction::ReopenAfterVisit => {
            let body = format!("服务单“{}”（#{}）回访不满意，已重新放回待接单池。", order.title, order.id);
            tell_secretaries(txn, order, "ORDER_REOPENED_AFTER_VISIT", "回访不满意，服务单已重开", &body, at).await
        }
        _ => Ok(()),
    }
}

async fn tell_secretaries(
    txn: &DatabaseTransaction,
    order: &order::Model,
    kind: &'static str,
    title: &'static str,
    body: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> DomainResult<()> {
    let key = format!("{}:{}:{}", kind.to_lowercase(), order.id, at.timestamp_micros());
    deadlines::tell_secretaries(
        txn,
        SecretaryNotice {
            community_id: order.community_id,
            kind,
            subject: Subject::Order,
            subject_id: order.id,
            title,
            body,
            key: &key,
            at,
        },
    )
    .await
}
