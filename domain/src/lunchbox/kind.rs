//! Lunchbox deliveries on the workflow spine, and what follows a step: a
//! cancelled task's portion goes back to the canteen, cash taken at the
//! door is booked, and a late task alerts the people responsible.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use super::machine::{DeliveryStatus, LunchboxAction, delivery_verb, next_delivery_status};
use super::model::DEFAULT_DELIVER_BY_MINUTE;
use crate::Domain;
use crate::entities::{lunchbox_delivery, lunchbox_recipient, lunchbox_settings, meal};
use crate::error::{DomainError, DomainResult};
use crate::ledger::{TransferRequest, post_in};
use crate::notifications::{NewNotice, notify, people_with_roles};
use crate::org::Role;
use crate::privacy;
use crate::workflow::{Moved, Step, Subject};

/// A step of a lunchbox delivery.
pub(crate) type DeliveryStep = Step<lunchbox_delivery::Entity>;

crate::workflow::kind!(
    lunchbox_delivery: LunchboxDelivery, "lunchbox delivery", DeliveryStatus, LunchboxAction,
    next_delivery_status, delivery_verb;
    const HOLDER: Option<lunchbox_delivery::Column> = Some(lunchbox_delivery::Column::ClaimantId);
    const UPDATED_AT: Option<lunchbox_delivery::Column> = Some(lunchbox_delivery::Column::UpdatedAt);
    const PEOPLE: &'static [lunchbox_delivery::Column] = &[lunchbox_delivery::Column::ClaimantId];

    fn claims(action: LunchboxAction) -> bool {
        action == LunchboxAction::Claim
    }

    async fn after_step(_d: &Domain, txn: &DatabaseTransaction, moved: &Moved<'_, Self>) -> DomainResult<()> {
        match moved.action {
            LunchboxAction::Cancel => return_portion(txn, moved.after).await,
            LunchboxAction::ConfirmDelivered => book_door_cash(txn, moved).await,
            LunchboxAction::Alert => alert_late(txn, moved).await,
            _ => Ok(()),
        }
    }
);

/// The portion goes back to the canteen's menu.
async fn return_portion(txn: &DatabaseTransaction, row: &lunchbox_delivery::Model) -> DomainResult<()> {
    meal::Entity::update_many()
        .col_expr(meal::Column::Booked, Expr::col(meal::Column::Booked).sub(1))
        .filter(meal::Column::Id.eq(row.meal_id))
        .filter(meal::Column::Booked.gt(0))
        .exec(txn)
        .await?;
    Ok(())
}

/// Cash taken at the door, booked like the canteen's counter payments: fen
/// from the counter-payments account into the canteen's.
async fn book_door_cash(txn: &DatabaseTransaction, moved: &Moved<'_, lunchbox_delivery::Entity>) -> DomainResult<()> {
    let row = moved.after;
    let (Some(cash), Some(taken_by)) = (row.cash_fen.filter(|c| *c > 0), moved.actor) else { return Ok(()) };
    let payment = TransferRequest::counter_payment(
        row.community_id,
        format!("lunchbox-delivery:{}:payment", row.id),
        format!("love lunchbox of {} paid in cash at the door", row.served_on),
        taken_by,
        cash,
    );
    let transfer = post_in(txn, &payment, moved.at).await?;
    lunchbox_delivery::Entity::update_many()
        .col_expr(lunchbox_delivery::Column::PaymentTransferId, Expr::value(transfer.id))
        .filter(lunchbox_delivery::Column::Id.eq(row.id))
        .exec(txn)
        .await?;
    Ok(())
}

/// A lunchbox still not delivered after the deliver-by time: the
/// recipient's grid worker and the secretaries are alerted, and a volunteer
/// still holding it is reminded.
async fn alert_late(txn: &DatabaseTransaction, moved: &Moved<'_, lunchbox_delivery::Entity>) -> DomainResult<()> {
    let d = moved.before;
    let recipient = lunchbox_recipient::Entity::find_by_id(d.recipient_id)
        .one(txn)
        .await?
        .ok_or(DomainError::NotFound("lunchbox recipient"))?;
    let minute = lunchbox_settings::Entity::find_by_id(d.community_id)
        .one(txn)
        .await?
        .map_or(DEFAULT_DELIVER_BY_MINUTE, |s| s.deliver_by_minute);
    let by = format!("{:02}:{:02}", minute / 60, minute % 60);
    let state = match moved.from {
        DeliveryStatus::Open => "无人认领".to_owned(),
        DeliveryStatus::Claimed => "已认领，尚未送达".to_owned(),
        _ => format!("未能送达：{}", d.undelivered_reason.as_deref().unwrap_or("未说明原因")),
    };
    let body = format!(
        "{}（{}）{} 的爱心盒饭到 {by} 仍未送达（{state}）。请尽快联系。",
        recipient.name,
        privacy::mask_address(&recipient.address),
        d.served_on,
    );
    if let (DeliveryStatus::Claimed, Some(holder)) = (moved.from, d.claimant_id) {
        notify(
            txn,
            NewNotice {
                community_id: d.community_id,
                recipient_id: holder,
                kind: "LUNCHBOX_OVERDUE",
                subject_kind: Some(Subject::LunchboxDelivery),
                subject_id: Some(d.id),
                title: "您认领的爱心盒饭已超时".into(),
                body: format!("您认领的 {} 的爱心盒饭应在 {by} 前送达，请尽快送到；送不到请报告原因。", recipient.name),
                dedup_key: format!("lunchbox-overdue:{}:{holder}", d.id),
                at: moved.at,
            },
        )
        .await?;
    }
    let mut staff = people_with_roles(txn, d.community_id, &[Role::Secretary]).await?;
    staff.push(recipient.grid_worker_id);
    staff.sort_unstable();
    staff.dedup();
    for user in staff {
        notify(
            txn,
            NewNotice {
                community_id: d.community_id,
                recipient_id: user,
                kind: "LUNCHBOX_UNDELIVERED",
                subject_kind: Some(Subject::LunchboxDelivery),
                subject_id: Some(d.id),
                title: "爱心盒饭未按时送达".into(),
                body: body.clone(),
                dedup_key: format!("lunchbox-undelivered:{}:{user}", d.id),
                at: moved.at,
            },
        )
        .await?;
    }
    Ok(())
}
