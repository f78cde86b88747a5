//! What people do to orders.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, Set, TransactionTrait};

use super::Orders;
use super::kind::OrderStep;
use super::machine::{OrderAction, OrderStatus};
use super::model::{Order, PlaceOrder};
use super::policy::OrderPolicy;
use crate::entities::{order, user};
use crate::error::{DomainError, DomainResult};
use crate::org::authority;
use crate::org::{Actor, Role};
use crate::privacy::{self, SensitiveAccess, SensitiveField};
use crate::uploads::urls_to_json;
use crate::workflow;
use crate::{idempotency, validate};

/// An order checked and ready to write.
pub(crate) struct NewOrder {
    /// What was asked for, checked, with the resident's own contact details
    /// where none were given.
    checked: PlaceOrder,
    upload_ids: Vec<String>,
    /// The resident it is for.
    pub beneficiary: i64,
}

const PLACE_ORDER_SCOPE: &str = "placeOrder";

impl Orders<'_> {
    /// A resident describes a need (点单), or a grid worker or secretary does
    /// it for them (代点单). The same idempotency key places it once.
    pub async fn place(self, actor: &Actor, input: PlaceOrder, idempotency_key: Option<&str>) -> DomainResult<Order> {
        actor.require_member(input.community_id)?;
        let hash = idempotency::request_hash(&input)?;
        idempotency::once(
            &self.d.db,
            actor.user_id,
            PLACE_ORDER_SCOPE,
            idempotency_key,
            &hash,
            || self.insert(actor, input, idempotency_key.map(|k| (k, hash.as_str()))),
            |id| self.load(id),
        )
        .await
    }

    async fn insert(self, actor: &Actor, input: PlaceOrder, idempotency: Option<(&str, &str)>) -> DomainResult<Order> {
        let beneficiary = self
            .d
            .org()
            .on_behalf_of(actor, input.community_id, input.on_behalf_of, "下单")
            .await?
            .unwrap_or(actor.user_id);
        let new = self.prepare(&self.d.db, &input, beneficiary).await?;
        let now = self.d.clock.now();
        let txn = self.d.db.begin().await?;
        let model = self.insert_row(&txn, actor.user_id, new, now).await?;
        if let Some((key, hash)) = idempotency {
            idempotency::remember(&txn, actor.user_id, PLACE_ORDER_SCOPE, key, hash, model.id, now).await?;
        }
        txn.commit().await?;
        model.try_into()
    }

    /// Checks what was asked for; contact details default to the resident's own.
    pub(crate) async fn prepare<C: ConnectionTrait>(
        self,
        conn: &C,
        input: &PlaceOrder,
        beneficiary: i64,
    ) -> DomainResult<NewOrder> {
        let title = validate::required_text("title", &input.title, 100)?;
        let description = validate::required_text("description", &input.description, 2000)?;
        let (photo_urls, upload_ids) =
            validate::photo_urls("photoUrls", &input.photo_urls, &self.d.settings.upload_url_prefix)?;
        let mut contact_phone =
            input.contact_phone.as_deref().map(|p| validate::phone("contactPhone", p)).transpose()?;
        let mut address = validate::optional_text("address", input.address.clone(), 200)?;
        if (contact_phone.is_none() || address.is_none())
            && let Some(person) = user::Entity::find_by_id(beneficiary).one(conn).await?
        {
            contact_phone = contact_phone.or(person.phone);
            address = address.or(person.address);
        }
        Ok(NewOrder {
            checked: PlaceOrder {
                community_id: input.community_id,
                category: input.category,
                title,
                description,
                address,
                contact_phone,
                photo_urls,
                on_behalf_of: input.on_behalf_of,
            },
            upload_ids,
            beneficiary,
        })
    }

    /// Writes a prepared order and its first event in the caller's transaction.
    pub(crate) async fn insert_row<C: ConnectionTrait>(
        self,
        conn: &C,
        placed_by: i64,
        new: NewOrder,
        now: DateTime<Utc>,
    ) -> DomainResult<order::Model> {
        self.d.uploads().require(conn, "photoUrls", placed_by, &new.upload_ids).await?;
        let checked = new.checked;
        let household = self.d.org().household_of(conn, new.beneficiary).await?;
        let model = order::ActiveModel {
            community_id: Set(checked.community_id),
            household_id: Set(household),
            category: Set(checked.category.as_str().into()),
            title: Set(checked.title),
            description: Set(checked.description),
            address: Set(checked.address),
            contact_phone: Set(checked.contact_phone),
            photo_urls: Set(urls_to_json(&checked.photo_urls)?),
            placed_by: Set(placed_by),
            on_behalf_of: Set((new.beneficiary != placed_by).then_some(new.beneficiary)),
            status: Set(OrderStatus::Submitted.as_str().into()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(conn)
        .await?;
        workflow::created::<order::Entity, _>(conn, &model, Some(placed_by), now).await?;
        Ok(model)
    }

    pub(crate) async fn row<C: ConnectionTrait>(self, conn: &C, id: i64) -> DomainResult<order::Model> {
        order::Entity::find_by_id(id).one(conn).await?.ok_or(DomainError::NotFound("order"))
    }

    pub(crate) async fn load(self, id: i64) -> DomainResult<Order> {
        self.row(&self.d.db, id).await?.try_into()
    }

    /// The order's row and the order, if the actor may see it; `NOT_FOUND` otherwise.
    pub(super) async fn visible(self, actor: &Actor, id: i64) -> DomainResult<(order::Model, Order)> {
        let row = self.row(&self.d.db, id).await?;
        let order = Order::try_from(row.clone())?;
        if order.visible_to(actor) { Ok((row, order)) } else { Err(DomainError::NotFound("order")) }
    }

    /// The order if the actor may see it; `NOT_FOUND` otherwise.
    pub async fn get(self, actor: &Actor, id: i64) -> DomainResult<Order> {
        Ok(self.visible(actor, id).await?.1)
    }

    pub(crate) async fn policy_of(self, order: &Order) -> DomainResult<OrderPolicy> {
        OrderPolicy::of(&self.d.db, order.id, order.category).await
    }

    /// How long to claim and to finish, by the order's policy.
    pub(super) async fn windows(self, order: &Order) -> DomainResult<(Duration, Duration)> {
        Ok(self.policy_of(order).await?.windows(&self.d.settings.order_deadlines, &self.d.settings.care))
    }

    /// The order's phone or address as this viewer may see it. A full value
    /// shown to anyone but the resident it belongs to is written to the
    /// sensitive-access log, with the order as the purpose.
    pub async fn contact(self, actor: &Actor, order: &Order, field: SensitiveField) -> DomainResult<Option<String>> {
        let contact = order.contact_for(actor);
        let value = match field {
            SensitiveField::Phone => contact.phone,
            SensitiveField::Address => contact.address,
            _ => return Err(DomainError::internal("orders hold only a phone and an address")),
        };
        if value.is_some() && !contact.masked && actor.user_id != order.beneficiary() {
            let purpose = self.policy_of(order).await?.access_purpose();
            privacy::log_sensitive_access(
                &self.d.db,
                SensitiveAccess {
                    community_id: order.community_id,
                    accessor_id: actor.user_id,
                    subject_id: order.beneficiary(),
                    field,
                    purpose,
                    care_request_id: Some(order.id),
                    at: self.d.clock.now(),
                },
            )
            .await?;
        }
        Ok(value)
    }

    /// Publishes to the community's pool (`assignee` none) or assigns to a
    /// named party member or volunteer. Secretaries and grid workers only.
    pub async fn dispatch(self, actor: &Actor, id: i64, assignee: Option<i64>) -> DomainResult<Order> {
        let (row, order) = self.visible(actor, id).await?;
        actor.require(&authority::DISPATCH_ORDER, order.community_id)?;
        actor.require_not_self_for(&authority::DISPATCH_ORDER, assignee)?;
        if !self.d.org().looks_after_household(actor, order.community_id, order.household_id).await? {
            return Err(DomainError::forbidden("这张服务单不在你负责的网格里，请由该网格的网格员或社区书记派单"));
        }
        if let Some(assignee) = assignee {
            let roles = self.d.org().roles_of(&self.d.db, assignee, order.community_id).await?;
            if !roles.iter().any(|r| Role::HELPERS.contains(r)) {
                return Err(DomainError::bad_input(
                    "assigneeId",
                    "orders can be assigned only to the community's party members or volunteers",
                ));
            }
            if order.is_party(assignee) {
                return Err(DomainError::bad_input(
                    "assigneeId",
                    "an order cannot be assigned to the resident it is for",
                ));
            }
        }
        let action = if assignee.is_some() { OrderAction::Assign } else { OrderAction::Publish };
        let now = self.d.clock.now();
        let claim_due = now + self.windows(&order).await?.0;
        self.take(
            &row,
            OrderStep::by(actor.user_id, action).set(|m| {
                m.assignee_id = Set(assignee);
                m.claim_due_at = Set(Some(claim_due));
                m.dispatched_at = Set(Some(now));
            }),
        )
        .await
    }

    /// Exactly one claimant wins: the step is one conditional update on the
    /// status and claimant the order was read in, so every other claimant
    /// finds it taken.
    pub async fn claim(self, actor: &Actor, id: i64) -> DomainResult<Order> {
        let (row, order) = self.visible(actor, id).await?;
        actor.require(&authority::CLAIM_ORDER, order.community_id)?;
        actor.require_not_self_for(&authority::CLAIM_ORDER, Some(order.placed_by))?;
        actor.require_not_self_for(&authority::CLAIM_ORDER, Some(order.beneficiary()))?;
        if order.claimant_id.is_some() && order.claimant_id != Some(actor.user_id) {
            return Err(DomainError::AlreadyClaimed);
        }
        let mut step = OrderStep::by(actor.user_id, OrderAction::Claim);
        if order.status == OrderStatus::Assigned {
            if order.assignee_id != Some(actor.user_id) {
                return Err(DomainError::forbidden("this order is assigned to someone else"));
            }
            step = step.guard(order::Column::AssigneeId.eq(actor.user_id));
        }
        let now = self.d.clock.now();
        let policy = self.policy_of(&order).await?;
        let complete_due = now + policy.windows(&self.d.settings.order_deadlines, &self.d.settings.care).1;
        let arrive_due = now + policy.arrive_window(&self.d.settings.order_deadlines, &self.d.settings.care);
        let user_id = actor.user_id;
        self.take(
            &row,
            step.set(|m| {
                m.claimant_id = Set(Some(user_id));
                m.complete_due_at = Set(Some(complete_due));
                m.arrive_due_at = Set(Some(arrive_due));
                m.arrived_at = Set(None);
                m.arrival_missed_at = Set(None);
                m.claimed_at = Set(Some(now));
            }),
        )
        .await
    }

    /// The claimant reports the work done (办结), with a note and photos, once
    /// the order's policy allows it (cash help: the hand-over confirmed).
    pub async fn complete(self, actor: &Actor, id: i64, note: &str, photo_urls: &[String]) -> DomainResult<Order> {
        let (row, order) = self.visible(actor, id).await?;
        if order.claimant_id != Some(actor.user_id) {
            return Err(DomainError::forbidden("only the member who claimed this order can report it done"));
        }
        let note = validate::required_text("note", note, 1000)?;
        self.policy_of(&order).await?.check_complete()?;
        let photos =
            urls_to_json(&self.d.uploads().checked_photos(&self.d.db, "photoUrls", actor.user_id, photo_urls).await?)?;
        let completed_at = self.d.clock.now();
        let completion_note = note.clone();
        self.take(
            &row,
            OrderStep::by(actor.user_id, OrderAction::Complete).note(note).set(|m| {
                m.completion_note = Set(Some(completion_note));
                m.completion_photo_urls = Set(Some(photos));
                m.completed_at = Set(Some(completed_at));
            }),
        )
        .await
    }

    /// The secretary approves the work (审定); only then does it count.
    pub async fn approve(self, actor: &Actor, id: i64) -> DomainResult<Order> {
        let (row, order) = self.visible(actor, id).await?;
        actor.require(&authority::APPROVE_ORDER, order.community_id)?;
        actor.require_not_self_for(&authority::REJECT_ORDER, order.claimant_id)?;
        self.take(&row, OrderStep::by(actor.user_id, OrderAction::Approve)).await
    }

    /// Sends the work back to the claimant with the reason.
    pub async fn reject(self, actor: &Actor, id: i64, reason: &str) -> DomainResult<Order> {
        let (row, order) = self.visible(actor, id).await?;
        actor.require(&authority::REJECT_ORDER, order.community_id)?;
        actor.require_not_self_for(&authority::APPROVE_ORDER, order.claimant_id)?;
        let reason = validate::required_text("reason", reason, 500)?;
        self.take(&row, OrderStep::by(actor.user_id, OrderAction::Reject).note(reason)).await
    }

    /// The resident (or whoever placed it for them) rates approved work (评单).
    pub async fn rate(self, actor: &Actor, id: i64, stars: i32, comment: Option<String>) -> DomainResult<Order> {
        let (row, order) = self.visible(actor, id).await?;
        if !order.is_party(actor.user_id) {
            return Err(DomainError::forbidden("only the resident, or whoever placed the order for them, can rate it"));
        }
        let stars = validate::stars(stars)?;
        let comment = validate::optional_text("comment", comment, 500)?;
        let note = format!("{stars}★{}", comment.as_deref().map(|c| format!(" {c}")).unwrap_or_default());
        self.take(
            &row,
            OrderStep::by(actor.user_id, OrderAction::Rate).note(note).set(|m| {
                m.rating_stars = Set(Some(stars));
                m.rating_comment = Set(comment);
            }),
        )
        .await
    }

    pub async fn cancel(self, actor: &Actor, id: i64, reason: Option<String>) -> DomainResult<Order> {
        let (row, order) = self.visible(actor, id).await?;
        actor.require_theirs_or(&authority::CANCEL_ORDER, order.community_id, order.is_party(actor.user_id))?;
        let reason = validate::optional_text("reason", reason, 500)?;
        self.take(&row, OrderStep::by(actor.user_id, OrderAction::Cancel).note(reason)).await
    }

    /// What the community cannot solve goes to the street (社区吹哨), at any
    /// point before the work is reported done: a claim ends with it, and the
    /// street's reviewers are told ([`super::street`]).
    pub async fn escalate(self, actor: &Actor, id: i64, reason: &str) -> DomainResult<Order> {
        let (row, order) = self.visible(actor, id).await?;
        actor.require(&authority::ESCALATE_ORDER, order.community_id)?;
        let reason = validate::required_text("reason", reason, 500)?;
        let step = OrderStep::by(actor.user_id, OrderAction::Escalate).note(reason);
        self.take(&row, escalation(step, &row, self.d.clock.now())).await
    }

    /// One step on the spine, in its own transaction.
    pub(super) async fn take(self, row: &order::Model, step: OrderStep) -> DomainResult<Order> {
        workflow::step(self.d, row, step).await?.try_into()
    }
}

/// What every escalation to the street changes besides the status: the
/// claim and assignment end (the street or a department takes it from
/// here), and the order keeps when it first reached the street. The times
/// the claim was measured by stay, for the figures.
pub(super) fn escalation(step: OrderStep, row: &order::Model, now: DateTime<Utc>) -> OrderStep {
    let first = row.escalated_at.unwrap_or(now);
    step.set(move |m| {
        m.claimant_id = Set(None);
        m.assignee_id = Set(None);
        m.complete_due_at = Set(None);
        m.escalated_at = Set(Some(first));
    })
}
