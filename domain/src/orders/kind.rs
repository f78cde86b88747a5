//! Orders on the workflow spine: where an order keeps its status and holder,
//! and what follows a step in its transaction (dedication points for
//! approved and rated work; at a missed deadline, the claimant's deduction
//! and the notices).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use super::machine::{OrderAction, OrderStatus, next_status, past_tense};
use crate::Domain;
use crate::deadlines::{self, SecretaryNotice};
use crate::entities::{care_request, order};
use crate::error::DomainResult;
use crate::notifications::{NewNotice, notify};
use crate::points::{Credit, SourceKind, credit, rules_for};
use crate::workflow::{Moved, Step, Subject};

/// A step of an order.
pub(crate) type OrderStep = Step<order::Entity>;

crate::workflow::kind!(
    order: Order, "order", OrderStatus, OrderAction, next_status, past_tense;
    const HOLDER: Option<order::Column> = Some(order::Column::ClaimantId);
    const UPDATED_AT: Option<order::Column> = Some(order::Column::UpdatedAt);
    const PEOPLE: &'static [order::Column] =
        &[order::Column::PlacedBy, order::Column::OnBehalfOf, order::Column::AssigneeId, order::Column::ClaimantId];

    fn claims(action: OrderAction) -> bool {
        action == OrderAction::Claim
    }

    async fn after_step(_d: &Domain, txn: &DatabaseTransaction, moved: &Moved<'_, Self>) -> DomainResult<()> {
        let (order, before) = (moved.after, moved.before);
        match moved.action {
            OrderAction::Approve => dedication_for_approval(txn, order, moved.at).await,
            OrderAction::Rate => dedication_for_rating(txn, order, moved.at).await,
            OrderAction::EscalateUnclaimed => tell_unclaimed(txn, before, moved.at).await,
            OrderAction::Lapse | OrderAction::EscalateOverdue => charge_overdue(txn, moved).await,
            OrderAction::AlertUnclaimed => alert_urgent_unclaimed(txn, order, moved.at).await,
            _ => Ok(()),
        }?;
        super::street::tell_after(txn, moved).await?;
        super::return_visits::tell_after(txn, moved).await
    }
);

/// The deduction for a claim not finished in time, keyed so that the
/// sweep and a late approval charge it once between them.
fn overdue_credit(order: &order::Model, member: i64, points: i32, at: DateTime<Utc>) -> Credit {
    Credit {
        community_id: order.community_id,
        member_id: member,
        points,
        reason: format!("order “{}” not finished by its deadline", order.title),
        kind: SourceKind::Order,
        source_id: Some(order.id),
        key: format!("order:{}:{member}:overdue", order.id),
        created_by: None,
        at,
    }
}

/// Points the claimant earns (or loses, when late) as the work is approved.
async fn dedication_for_approval(
    txn: &DatabaseTransaction,
    order: &order::Model,
    at: DateTime<Utc>,
) -> DomainResult<()> {
    let Some(member) = order.claimant_id else { return Ok(()) };
    let rules = rules_for(txn, order.community_id).await?;
    let late = matches!((order.completed_at, order.complete_due_at), (Some(done), Some(due)) if done > due);
    let (points, reason) = if late {
        credit(txn, overdue_credit(order, member, rules.order_overdue, at)).await?;
        (rules.order_late, format!("order “{}” finished late", order.title))
    } else {
        (rules.order_on_time, format!("order “{}” finished on time", order.title))
    };
    let key = format!("order:{}:{member}:approved", order.id);
    credit(txn, Credit { points, reason, key, created_by: None, ..overdue_credit(order, member, 0, at) }).await?;
    Ok(())
}

/// Points for a good rating, or off for a low one.
async fn dedication_for_rating(txn: &DatabaseTransaction, order: &order::Model, at: DateTime<Utc>) -> DomainResult<()> {
    let (Some(member), Some(stars)) = (order.claimant_id, order.rating_stars) else { return Ok(()) };
    let rules = rules_for(txn, order.community_id).await?;
    let points = match stars {
        s if s >= rules.good_rating_min_stars => rules.good_rating,
        s if s <= rules.low_rating_max_stars => rules.low_rating,
        _ => return Ok(()),
    };
    let reason = format!("rated {stars}★ for “{}”", order.title);
    let key = format!("order:{}:{member}:rating", order.id);
    let kind = SourceKind::Rating;
    credit(txn, Credit { points, reason, key, kind, ..overdue_credit(order, member, 0, at) }).await?;
    Ok(())
}

/// Nobody claimed it by its claim deadline: the secretaries hear it went to the street.
async fn tell_unclaimed(txn: &DatabaseTransaction, before: &order::Model, at: DateTime<Utc>) -> DomainResult<()> {
    let Some(due) = before.claim_due_at else { return Ok(()) };
    let escalation = Escalation {
        kind: "ORDER_UNCLAIMED",
        title: "服务单超时无人接单",
        missed: "超过接单时限",
        after: "仍无人接单",
    };
    escalation.tell(txn, before, due, at).await
}

/// Why an order went to the street, as its community's secretaries read it.
struct Escalation {
    kind: &'static str,
    title: &'static str,
    /// The deadline missed, before its time ("超过接单时限").
    missed: &'static str,
    /// What did not happen, after its time ("仍无人接单").
    after: &'static str,
}

impl Escalation {
    async fn tell(
        &self,
        txn: &DatabaseTransaction,
        before: &order::Model,
        due: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> DomainResult<()> {
        let body = format!(
            "服务单“{}”（#{}）{} {} {}，已上报街道，请跟进。",
            before.title,
            before.id,
            self.missed,
            deadlines::local_time(due),
            self.after
        );
        deadlines::tell_secretaries(
            txn,
            SecretaryNotice {
                community_id: before.community_id,
                kind: self.kind,
                subject: Subject::Order,
                subject_id: before.id,
                title: self.title,
                body: &body,
                key: &format!("{}:{}:{}", self.kind.to_lowercase().replace('_', "-"), before.id, due.timestamp()),
                at,
            },
        )
        .await
    }
}

/// A claim not finished by its deadline: the claimant loses the overdue
/// points and is told; escalated, the secretaries are told too.
async fn charge_overdue(txn: &DatabaseTransaction, moved: &Moved<'_, order::Entity>) -> DomainResult<()> {
    let before = moved.before;
    let (Some(member), Some(due)) = (before.claimant_id, before.complete_due_at) else { return Ok(()) };
    let rules = rules_for(txn, before.community_id).await?;
    credit(txn, overdue_credit(before, member, rules.order_overdue, moved.at)).await?;
    let escalated = moved.to == OrderStatus::Escalated;
    let what_next = if escalated { "已上报街道" } else { "已退回待接单池" };
    notify(
        txn,
        NewNotice {
            community_id: before.community_id,
            recipient_id: member,
            kind: "ORDER_OVERDUE",
            subject_kind: Some(Subject::Order),
            subject_id: Some(before.id),
            title: "服务单超时未办结".into(),
            body: format!(
                "您认领的服务单“{}”（#{}）未在 {} 前办结，{what_next}，并按规则扣减奉献积分。",
                before.title,
                before.id,
                deadlines::local_time(due)
            ),
            dedup_key: format!("order-overdue:{}:{member}:{}", before.id, due.timestamp()),
            at: moved.at,
        },
    )
    .await?;
    if !escalated {
        return Ok(());
    }
    let escalation =
        Escalation {
            kind: "ORDER_ESCALATED", title: "服务单超时已上报", missed: "认领后未在", after: "前办结"
        };
    escalation.tell(txn, before, due, moved.at).await
}

/// An urgent care request nobody claimed in time: stamped, and the
/// secretaries alerted; it stays open for helpers.
async fn alert_urgent_unclaimed(
    txn: &DatabaseTransaction,
    order: &order::Model,
    at: DateTime<Utc>,
) -> DomainResult<()> {
    care_request::Entity::update_many()
        .col_expr(care_request::Column::EscalatedAt, Expr::value(at))
        .filter(care_request::Column::OrderId.eq(order.id))
        .exec(txn)
        .await?;
    let body = format!("紧急照护请求 #{} 超时无人接单，请立即安排。", order.id);
    deadlines::tell_secretaries(
        txn,
        SecretaryNotice {
            community_id: order.community_id,
            kind: "CARE_ESCALATED",
            subject: Subject::Order,
            subject_id: order.id,
            title: "紧急照护无人接单",
            body: &body,
            key: &format!("care-escalated:{}", order.id),
            at,
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::Kind;

    #[test]
    fn only_a_claim_loses_to_another_holder_as_already_claimed() {
        assert!(<order::Entity as Kind>::claims(OrderAction::Claim));
        assert!(!<order::Entity as Kind>::claims(OrderAction::Complete));
    }
}
