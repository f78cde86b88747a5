//! The WeChat subscription messages order events send: to the pool's
//! members when an order is published, and to the resident as it is
//! claimed, completed and approved.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait};

use super::Orders;
use super::machine::OrderStatus;
use crate::entities::{order, user, wechat_push_grant, workflow_event};
use crate::error::{DomainError, DomainResult};
use crate::notifications::people_with_roles;
use crate::org::Role;
use crate::push::{Enqueued, PushKind, PushRequest, enqueue_push, order_page, template_time};
use crate::workflow::Subject;

impl Orders<'_> {
    /// Queues the subscription messages one workflow event calls for.
    ///
    /// Only order events send messages:
    /// - `OPEN` (published to the pool) → `POOL_NEW_ORDER` to every party
    ///   member and volunteer of the community who subscribed (not the placer);
    /// - `CLAIMED` → `ORDER_CLAIMED` to the placer and the resident it is for;
    /// - `AWAITING_APPROVAL` → `ORDER_COMPLETED` to them;
    /// - `APPROVED` → `ORDER_RATE` to them.
    ///
    /// Each message's dedup key is `event:<event_id>:<user_id>`, so calling
    /// this again for the same event (the relay delivers at least once) queues
    /// nothing more and spends no more grants. Recipients without a grant for
    /// the kind get nothing. Returns how many messages were newly queued.
    /// An unknown event id is `NOT_FOUND`.
    pub async fn pushes_for_event(self, event_id: i64) -> DomainResult<usize> {
        let txn = self.d.db.begin().await?;
        let queued = self.pushes_for_event_in(&txn, event_id).await?;
        txn.commit().await?;
        Ok(queued)
    }

    /// As [`Orders::pushes_for_event`], inside the caller's transaction.
    pub(crate) async fn pushes_for_event_in<C: ConnectionTrait>(self, conn: &C, event_id: i64) -> DomainResult<usize> {
        let event =
            workflow_event::Entity::find_by_id(event_id).one(conn).await?.ok_or(DomainError::NotFound("event"))?;
        if event.subject_kind != Subject::Order.as_str() {
            return Ok(0);
        }
        let Some(order) = order::Entity::find_by_id(event.subject_id).one(conn).await? else {
            return Ok(0);
        };
        let to = OrderStatus::parse(&event.to_status)?;
        let placer_side = || {
            let mut ids = vec![order.placed_by];
            ids.extend(order.on_behalf_of.filter(|b| *b != order.placed_by));
            ids
        };
        let title = order.title.clone();
        let when = template_time(event.at);
        let (kind, recipients, fields): (PushKind, Vec<i64>, Vec<(&str, String)>) = match to {
            OrderStatus::Open => {
                let mut members =
                    people_with_roles(conn, order.community_id, &[Role::PartyMember, Role::Volunteer]).await?;
                members.retain(|m| *m != order.placed_by && Some(*m) != order.on_behalf_of);
                // Only those who subscribed: one look instead of one per member.
                let subscribed: Vec<i64> = wechat_push_grant::Entity::find()
                    .filter(wechat_push_grant::Column::Kind.eq(PushKind::PoolNewOrder.as_str()))
                    .filter(wechat_push_grant::Column::Remaining.gt(0))
                    .filter(wechat_push_grant::Column::UserId.is_in(members.iter().copied()))
                    .all(conn)
                    .await?
                    .into_iter()
                    .map(|g| g.user_id)
                    .collect();
                members.retain(|m| subscribed.contains(m));
                let fields = vec![("thing1", title), ("thing2", "社区新订单，可在线接单".into()), ("time3", when)];
                (PushKind::PoolNewOrder, members, fields)
            }
            OrderStatus::Claimed => {
                let claimant = match event.actor_id.or(order.claimant_id) {
                    Some(id) => user::Entity::find_by_id(id).one(conn).await?.map(|u| u.display_name),
                    None => None,
                };
                let status = format!("{}已接单", claimant.unwrap_or_default());
                (PushKind::OrderClaimed, placer_side(), vec![("thing1", title), ("thing2", status), ("time3", when)])
            }
            OrderStatus::AwaitingApproval => (
                PushKind::OrderCompleted,
                placer_side(),
                vec![("thing1", title), ("thing2", "已办结，请查看".into()), ("time3", when)],
            ),
            OrderStatus::Approved => (
                PushKind::OrderRate,
                placer_side(),
                vec![("thing1", title), ("thing2", "已审定，请评价".into()), ("time3", when)],
            ),
            _ => {
                return Ok(0);
            }
        };
        let now = self.d.clock.now();
        let mut queued = 0;
        for user_id in recipients {
            let request = PushRequest {
                community_id: order.community_id,
                user_id,
                kind,
                page: order_page(order.id),
                fields: fields.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect(),
                dedup_key: format!("event:{event_id}:{user_id}"),
                at: now,
            };
            if enqueue_push(conn, request).await? == Enqueued::Queued {
                queued += 1;
            }
        }
        Ok(queued)
    }
}
