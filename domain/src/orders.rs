//! Service orders: a resident orders (点单), the community dispatches (派单),
//! a party member or volunteer claims (接单) and completes (办结), the
//! secretary approves (审定), the resident rates (评单).
//!
//! One explicit state machine ([`next_status`]); every change is a
//! conditional update on the status it was read in, plus an event row, in one
//! transaction.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, IntoCondition, JoinType, Order as SortOrder, Query, UnionType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, FromQueryResult,
    Iterable, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::Serialize;

use crate::care::{self, SensitiveAccess, SensitiveField};
use crate::deadlines::{self, OverduePolicy, SecretaryNotice};
use crate::entities::{care_request, community, order, user};
use crate::error::{DomainError, DomainResult};
use crate::notifications::{NewNotice, notify};
use crate::org::{Actor, Community, Role, UserSummary};
use crate::pagination::{Page, PageRequest};
use crate::points::{Credit, SourceKind, credit, rules_for};
use crate::workflow::{self, Event, Subject, Transition, guarded_update};
use crate::{Domain, idempotency, privacy, validate};

crate::string_enum!(
    /// Kinds of need seen in the communities' reports.
    OrderCategory {
        Repair = "REPAIR",
        LegalAid = "LEGAL_AID",
        Employment = "EMPLOYMENT",
        SocialSecurity = "SOCIAL_SECURITY",
        ElderlyCare = "ELDERLY_CARE",
        Tutoring = "TUTORING",
        Health = "HEALTH",
        Environment = "ENVIRONMENT",
        Dispute = "DISPUTE",
        Other = "OTHER",
    }
);

crate::string_enum!(
    OrderStatus {
        Submitted = "SUBMITTED",
        Open = "OPEN",
        Assigned = "ASSIGNED",
        Claimed = "CLAIMED",
        AwaitingApproval = "AWAITING_APPROVAL",
        Approved = "APPROVED",
        Closed = "CLOSED",
        Cancelled = "CANCELLED",
        Escalated = "ESCALATED",
    }
);

impl OrderStatus {
    /// Nothing more will happen to it.
    pub fn is_finished(self) -> bool {
        matches!(self, OrderStatus::Approved | OrderStatus::Closed | OrderStatus::Cancelled | OrderStatus::Escalated)
    }
}

/// What someone does to an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderAction {
    /// To the open pool.
    Publish,
    /// To a named party member or volunteer.
    Assign,
    Claim,
    Complete,
    Approve,
    Reject,
    Rate,
    Cancel,
    Escalate,
    /// The system, at a missed completion deadline under RETURN_TO_POOL: the
    /// claim lapses and the order goes back to the pool.
    Lapse,
    /// The system, at a missed completion deadline under ESCALATE.
    EscalateOverdue,
}

/// The state machine: where an action takes an order, or `None` when the
/// action is not allowed in that state.
pub fn next_status(from: OrderStatus, action: OrderAction) -> Option<OrderStatus> {
    use OrderAction as A;
    use OrderStatus as S;
    let before_claim = matches!(from, S::Submitted | S::Open | S::Assigned);
    match action {
        A::Publish if before_claim => Some(S::Open),
        A::Assign if before_claim => Some(S::Assigned),
        A::Claim if matches!(from, S::Open | S::Assigned) => Some(S::Claimed),
        A::Complete if from == S::Claimed => Some(S::AwaitingApproval),
        A::Approve if from == S::AwaitingApproval => Some(S::Approved),
        A::Reject if from == S::AwaitingApproval => Some(S::Claimed),
        A::Rate if from == S::Approved => Some(S::Closed),
        A::Cancel if before_claim => Some(S::Cancelled),
        A::Escalate if before_claim => Some(S::Escalated),
        A::Lapse if from == S::Claimed => Some(S::Open),
        A::EscalateOverdue if from == S::Claimed => Some(S::Escalated),
        _ => None,
    }
}

/// How long members have to claim, and then to finish, per category.
#[derive(Clone, Debug)]
pub struct Deadlines {
    pub claim: HashMap<OrderCategory, Duration>,
    pub complete: HashMap<OrderCategory, Duration>,
}

impl Default for Deadlines {
    fn default() -> Self {
        use OrderCategory as C;
        // 30 minutes to a member at the door (Wuchuan's promise); finishing
        // takes a day for hands-on help, three for paperwork.
        let claim = C::ALL.iter().map(|c| (*c, Duration::minutes(30))).collect();
        let complete = C::ALL
            .iter()
            .map(|c| {
                let hours = match c {
                    C::Repair | C::ElderlyCare | C::Health => 24,
                    C::Environment | C::Other => 48,
                    C::LegalAid | C::Employment | C::SocialSecurity | C::Tutoring | C::Dispute => 72,
                };
                (*c, Duration::hours(hours))
            })
            .collect();
        Self { claim, complete }
    }
}

impl Deadlines {
    fn claim_window(&self, c: OrderCategory) -> Duration {
        self.claim.get(&c).copied().unwrap_or_else(|| Duration::minutes(30))
    }

    fn complete_window(&self, c: OrderCategory) -> Duration {
        self.complete.get(&c).copied().unwrap_or_else(|| Duration::hours(24))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rating {
    pub stars: i32,
    pub comment: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Order {
    pub id: i64,
    pub community_id: i64,
    pub category: OrderCategory,
    pub title: String,
    pub description: String,
    address: Option<String>,
    contact_phone: Option<String>,
    pub photo_urls: Vec<String>,
    pub placed_by: i64,
    pub on_behalf_of: Option<i64>,
    pub assignee_id: Option<i64>,
    pub claimant_id: Option<i64>,
    pub status: OrderStatus,
    pub claim_due_at: Option<DateTime<Utc>>,
    pub complete_due_at: Option<DateTime<Utc>>,
    pub completion_note: Option<String>,
    pub completion_photo_urls: Vec<String>,
    pub rating: Option<Rating>,
    /// When the deadline sweep last found a claim of it past its completion deadline.
    pub overdue_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What one overdue sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OverdueSweep {
    /// Claims that lapsed: the orders are back in the pool.
    pub returned_to_pool: usize,
    pub escalated: usize,
}

impl OverdueSweep {
    pub fn total(&self) -> usize {
        self.returned_to_pool + self.escalated
    }
}

/// Contact details as one viewer may see them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contact {
    pub phone: Option<String>,
    pub address: Option<String>,
    pub masked: bool,
}

impl Order {
    /// The resident the order is for.
    pub fn beneficiary(&self) -> i64 {
        self.on_behalf_of.unwrap_or(self.placed_by)
    }

    fn is_party(&self, user_id: i64) -> bool {
        self.placed_by == user_id || self.beneficiary() == user_id
    }

    fn is_helpers_now(&self, user_id: i64) -> bool {
        use OrderStatus as S;
        let in_hand = matches!(self.status, S::Assigned | S::Claimed | S::AwaitingApproval);
        in_hand
            && (self.claimant_id == Some(user_id) || (self.status == S::Assigned && self.assignee_id == Some(user_id)))
    }

    /// Whether the actor can see this order at all.
    pub fn visible_to(&self, actor: &Actor) -> bool {
        let c = self.community_id;
        actor.has_any(c, &[Role::PartyMember, Role::Volunteer, Role::GridWorker, Role::Secretary])
            || self.is_party(actor.user_id)
            || self.claimant_id == Some(actor.user_id)
            || self.assignee_id == Some(actor.user_id)
            || (self.status == OrderStatus::Escalated && actor.has(c, Role::StreetReviewer))
    }

    /// Full phone and address for the resident, whoever placed it, the helper
    /// while the order is in their hands, and the community's grid workers
    /// and secretaries; masked for everyone else.
    pub fn contact_for(&self, actor: &Actor) -> Contact {
        let full = self.is_party(actor.user_id)
            || self.is_helpers_now(actor.user_id)
            || actor.has_any(self.community_id, &Role::STAFF);
        if full {
            Contact { phone: self.contact_phone.clone(), address: self.address.clone(), masked: false }
        } else {
            Contact {
                phone: self.contact_phone.as_deref().map(privacy::mask_phone),
                address: self.address.as_deref().map(privacy::mask_address),
                masked: true,
            }
        }
    }
}

fn urls_from_json(text: Option<&str>) -> DomainResult<Vec<String>> {
    match text {
        None => Ok(Vec::new()),
        Some(t) => serde_json::from_str(t).map_err(DomainError::internal),
    }
}

fn urls_to_json(urls: &[String]) -> DomainResult<String> {
    serde_json::to_string(urls).map_err(DomainError::internal)
}

/// A page of orders with the people and communities they name, all read in
/// one statement (so a list costs the same however long the page).
#[derive(Clone, Debug)]
pub struct OrderPage {
    pub page: Page<Order>,
    /// Placer, on-behalf-of, assignee and claimant of every order on the page.
    pub people: HashMap<i64, UserSummary>,
    pub communities: HashMap<i64, Community>,
}

impl TryFrom<order::Model> for Order {
    type Error = DomainError;
    fn try_from(m: order::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            community_id: m.community_id,
            category: OrderCategory::parse(&m.category)?,
            title: m.title,
            description: m.description,
            address: m.address,
            contact_phone: m.contact_phone,
            photo_urls: urls_from_json(Some(&m.photo_urls))?,
            placed_by: m.placed_by,
            on_behalf_of: m.on_behalf_of,
            assignee_id: m.assignee_id,
            claimant_id: m.claimant_id,
            status: OrderStatus::parse(&m.status)?,
            claim_due_at: m.claim_due_at,
            complete_due_at: m.complete_due_at,
            completion_note: m.completion_note,
            completion_photo_urls: urls_from_json(m.completion_photo_urls.as_deref())?,
            rating: m.rating_stars.map(|stars| Rating { stars, comment: m.rating_comment }),
            overdue_at: m.overdue_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

pub type OrderEvent = Event<OrderStatus>;

/// What a resident (or a grid worker for them) asks for.
#[derive(Clone, Debug, Serialize)]
pub struct PlaceOrder {
    pub community_id: i64,
    pub category: OrderCategory,
    pub title: String,
    pub description: String,
    pub address: Option<String>,
    pub contact_phone: Option<String>,
    pub photo_urls: Vec<String>,
    pub on_behalf_of: Option<i64>,
}

/// An order checked and ready to write.
pub(crate) struct NewOrder {
    pub community_id: i64,
    pub category: OrderCategory,
    pub title: String,
    pub description: String,
    pub address: Option<String>,
    pub contact_phone: Option<String>,
    pub photo_urls: Vec<String>,
    upload_ids: Vec<String>,
    /// The resident it is for.
    pub beneficiary: i64,
}

#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    pub community_id: Option<i64>,
    pub status: Option<OrderStatus>,
    pub category: Option<OrderCategory>,
    /// Placed by me or for me.
    pub mine: bool,
    pub claimed_by_me: bool,
}

const PLACE_ORDER_SCOPE: &str = "placeOrder";

impl Domain {
    pub async fn place_order(
        &self,
        actor: &Actor,
        input: PlaceOrder,
        idempotency_key: Option<&str>,
    ) -> DomainResult<Order> {
        actor.require_member(input.community_id)?;
        let hash = idempotency::request_hash(&input)?;
        idempotency::once(
            &self.db,
            actor.user_id,
            PLACE_ORDER_SCOPE,
            idempotency_key,
            &hash,
            || self.insert_order(actor, input, idempotency_key.map(|k| (k, hash.as_str()))),
            |id| self.load_order(id),
        )
        .await
    }

    async fn insert_order(
        &self,
        actor: &Actor,
        input: PlaceOrder,
        idempotency: Option<(&str, &str)>,
    ) -> DomainResult<Order> {
        let beneficiary = self
            .on_behalf_of(actor, input.community_id, input.on_behalf_of, "place orders")
            .await?
            .unwrap_or(actor.user_id);
        let new = self.prepare_order(&self.db, &input, beneficiary).await?;
        let now = self.clock.now();
        let txn = self.db.begin().await?;
        let model = self.insert_order_row(&txn, actor.user_id, new, now).await?;
        if let Some((key, hash)) = idempotency {
            idempotency::remember(&txn, actor.user_id, PLACE_ORDER_SCOPE, key, hash, model.id, now).await?;
        }
        txn.commit().await?;
        model.try_into()
    }

    /// Checks what was asked for; contact details default to the resident's own.
    pub(crate) async fn prepare_order<C: ConnectionTrait>(
        &self,
        conn: &C,
        input: &PlaceOrder,
        beneficiary: i64,
    ) -> DomainResult<NewOrder> {
        let title = validate::required_text("title", &input.title, 100)?;
        let description = validate::required_text("description", &input.description, 2000)?;
        let (photo_urls, upload_ids) =
            validate::photo_urls("photoUrls", &input.photo_urls, &self.settings.upload_url_prefix)?;
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
            community_id: input.community_id,
            category: input.category,
            title,
            description,
            address,
            contact_phone,
            photo_urls,
            upload_ids,
            beneficiary,
        })
    }

    /// Writes a prepared order and its first event in the caller's transaction.
    pub(crate) async fn insert_order_row<C: ConnectionTrait>(
        &self,
        conn: &C,
        placed_by: i64,
        new: NewOrder,
        now: DateTime<Utc>,
    ) -> DomainResult<order::Model> {
        self.require_uploads(conn, "photoUrls", &new.upload_ids).await?;
        let model = order::ActiveModel {
            community_id: Set(new.community_id),
            category: Set(new.category.as_str().into()),
            title: Set(new.title),
            description: Set(new.description),
            address: Set(new.address),
            contact_phone: Set(new.contact_phone),
            photo_urls: Set(urls_to_json(&new.photo_urls)?),
            placed_by: Set(placed_by),
            on_behalf_of: Set((new.beneficiary != placed_by).then_some(new.beneficiary)),
            status: Set(OrderStatus::Submitted.as_str().into()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(conn)
        .await?;
        workflow::record(
            conn,
            Transition {
                subject: Subject::Order,
                subject_id: model.id,
                community_id: model.community_id,
                actor_id: Some(placed_by),
                from: None,
                to: OrderStatus::Submitted,
                note: None,
                at: now,
            },
        )
        .await?;
        Ok(model)
    }

    pub(crate) async fn load_order(&self, id: i64) -> DomainResult<Order> {
        order::Entity::find_by_id(id).one(&self.db).await?.ok_or(DomainError::NotFound("order"))?.try_into()
    }

    pub(crate) async fn orders_by_id(&self, ids: &[i64]) -> DomainResult<HashMap<i64, Order>> {
        order::Entity::find()
            .filter(order::Column::Id.is_in(ids.iter().copied()))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| Ok((m.id, Order::try_from(m)?)))
            .collect()
    }

    /// Many orders in one statement, leaving out those the actor may not see
    /// (a live feed reads the orders of the events waiting for it at once).
    pub async fn orders_visible_to(&self, actor: &Actor, ids: &[i64]) -> DomainResult<HashMap<i64, Order>> {
        let mut found = self.orders_by_id(ids).await?;
        found.retain(|_, order| order.visible_to(actor));
        Ok(found)
    }

    pub(crate) async fn load_order_status<C: ConnectionTrait>(&self, conn: &C, id: i64) -> DomainResult<OrderStatus> {
        let row = order::Entity::find_by_id(id).one(conn).await?.ok_or(DomainError::NotFound("order"))?;
        OrderStatus::parse(&row.status)
    }

    /// How long to claim and to finish: a care request's own windows, else the category's.
    async fn windows(&self, order: &Order) -> DomainResult<(Duration, Duration)> {
        Ok(match self.care_windows(order.id).await? {
            Some(w) => w,
            None => {
                let d = &self.settings.order_deadlines;
                (d.claim_window(order.category), d.complete_window(order.category))
            }
        })
    }

    /// The order's phone or address as this viewer may see it. A full value
    /// shown to anyone but the resident it belongs to is written to the
    /// sensitive-access log, with the order as the purpose.
    pub async fn order_contact(
        &self,
        actor: &Actor,
        order: &Order,
        field: SensitiveField,
    ) -> DomainResult<Option<String>> {
        let contact = order.contact_for(actor);
        let value = match field {
            SensitiveField::Phone => contact.phone,
            SensitiveField::Address => contact.address,
            _ => return Err(DomainError::internal("orders hold only a phone and an address")),
        };
        if value.is_some() && !contact.masked && actor.user_id != order.beneficiary() {
            let is_care = care_request::Entity::find_by_id(order.id).one(&self.db).await?.is_some();
            care::log_sensitive_access(
                &self.db,
                SensitiveAccess {
                    community_id: order.community_id,
                    accessor_id: actor.user_id,
                    subject_id: order.beneficiary(),
                    field,
                    purpose: if is_care { "CARE_REQUEST" } else { "ORDER" },
                    care_request_id: Some(order.id),
                    at: self.clock.now(),
                },
            )
            .await?;
        }
        Ok(value)
    }

    /// The order if the actor may see it; `NOT_FOUND` otherwise.
    pub async fn order(&self, actor: &Actor, id: i64) -> DomainResult<Order> {
        let order = self.load_order(id).await?;
        if order.visible_to(actor) { Ok(order) } else { Err(DomainError::NotFound("order")) }
    }

    /// Publishes to the community's pool (`assignee` none) or assigns to a
    /// named party member or volunteer. Secretaries and grid workers only.
    pub async fn dispatch_order(&self, actor: &Actor, id: i64, assignee: Option<i64>) -> DomainResult<Order> {
        let order = self.order(actor, id).await?;
        actor.require_any(order.community_id, &Role::STAFF, "dispatch orders")?;
        if let Some(assignee) = assignee {
            let roles = self.roles_of(&self.db, assignee, order.community_id).await?;
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
        let claim_due = self.clock.now() + self.windows(&order).await?.0;
        self.apply(actor, order, action, None, move |m| {
            m.assignee_id = Set(assignee);
            m.claim_due_at = Set(Some(claim_due));
        })
        .await
    }

    /// Exactly one claimant wins: the change is one conditional update on the
    /// status the order was read in, so every other claimant finds it taken.
    pub async fn claim_order(&self, actor: &Actor, id: i64) -> DomainResult<Order> {
        let order = self.order(actor, id).await?;
        actor.require_any(order.community_id, &Role::HELPERS, "claim orders")?;
        if order.is_party(actor.user_id) {
            return Err(DomainError::forbidden("you cannot claim an order placed by you or for you"));
        }
        if order.claimant_id.is_some() && order.claimant_id != Some(actor.user_id) {
            return Err(DomainError::AlreadyClaimed);
        }
        if order.status == OrderStatus::Assigned && order.assignee_id != Some(actor.user_id) {
            return Err(DomainError::forbidden("this order is assigned to someone else"));
        }
        let complete_due = self.clock.now() + self.windows(&order).await?.1;
        let user_id = actor.user_id;
        self.apply(actor, order, OrderAction::Claim, None, move |m| {
            m.claimant_id = Set(Some(user_id));
            m.complete_due_at = Set(Some(complete_due));
        })
        .await
    }

    pub async fn complete_order(
        &self,
        actor: &Actor,
        id: i64,
        note: &str,
        photo_urls: &[String],
    ) -> DomainResult<Order> {
        let order = self.order(actor, id).await?;
        if order.claimant_id != Some(actor.user_id) {
            return Err(DomainError::forbidden("only the member who claimed this order can report it done"));
        }
        let note = validate::required_text("note", note, 1000)?;
        self.check_care_completion(order.id).await?;
        let (photos, upload_ids) = validate::photo_urls("photoUrls", photo_urls, &self.settings.upload_url_prefix)?;
        self.require_uploads(&self.db, "photoUrls", &upload_ids).await?;
        let photos = urls_to_json(&photos)?;
        let event_note = note.clone();
        let completed_at = self.clock.now();
        self.apply(actor, order, OrderAction::Complete, Some(event_note), move |m| {
            m.completion_note = Set(Some(note));
            m.completion_photo_urls = Set(Some(photos));
            m.completed_at = Set(Some(completed_at));
        })
        .await
    }

    pub async fn approve_order(&self, actor: &Actor, id: i64) -> DomainResult<Order> {
        let order = self.order(actor, id).await?;
        actor.require_any(order.community_id, &[Role::Secretary], "approve completed orders")?;
        self.apply(actor, order, OrderAction::Approve, None, |_| {}).await
    }

    /// Sends the work back to the claimant with the reason.
    pub async fn reject_order(&self, actor: &Actor, id: i64, reason: &str) -> DomainResult<Order> {
        let order = self.order(actor, id).await?;
        actor.require_any(order.community_id, &[Role::Secretary], "reject completed orders")?;
        let reason = validate::required_text("reason", reason, 500)?;
        self.apply(actor, order, OrderAction::Reject, Some(reason), |_| {}).await
    }

    pub async fn rate_order(&self, actor: &Actor, id: i64, stars: i32, comment: Option<String>) -> DomainResult<Order> {
        let order = self.order(actor, id).await?;
        if !order.is_party(actor.user_id) {
            return Err(DomainError::forbidden("only the resident, or whoever placed the order for them, can rate it"));
        }
        let stars = validate::stars(stars)?;
        let comment = validate::optional_text("comment", comment, 500)?;
        let note = Some(format!("{stars}★{}", comment.as_deref().map(|c| format!(" {c}")).unwrap_or_default()));
        self.apply(actor, order, OrderAction::Rate, note, move |m| {
            m.rating_stars = Set(Some(stars));
            m.rating_comment = Set(comment);
        })
        .await
    }

    pub async fn cancel_order(&self, actor: &Actor, id: i64, reason: Option<String>) -> DomainResult<Order> {
        let order = self.order(actor, id).await?;
        if !order.is_party(actor.user_id) && !actor.has(order.community_id, Role::Secretary) {
            return Err(DomainError::forbidden(
                "only the resident, whoever placed the order, or the secretary can cancel it",
            ));
        }
        let reason = validate::optional_text("reason", reason, 500)?;
        self.apply(actor, order, OrderAction::Cancel, reason, |_| {}).await
    }

    /// What the community cannot solve goes to the street (社区吹哨).
    pub async fn escalate_order(&self, actor: &Actor, id: i64, reason: &str) -> DomainResult<Order> {
        let order = self.order(actor, id).await?;
        actor.require_any(order.community_id, &[Role::Secretary], "escalate orders")?;
        let reason = validate::required_text("reason", reason, 500)?;
        self.apply(actor, order, OrderAction::Escalate, Some(reason), |_| {}).await
    }

    /// Moves an order along the state machine: a conditional update on the
    /// status it was read in, and an event, in one transaction.
    async fn apply(
        &self,
        actor: &Actor,
        order: Order,
        action: OrderAction,
        note: Option<String>,
        change: impl FnOnce(&mut order::ActiveModel),
    ) -> DomainResult<Order> {
        let to = next_status(order.status, action).ok_or_else(|| {
            DomainError::invalid_state(format!("a {} order cannot be {}", order.status.as_str(), past_tense(action)))
        })?;
        let now = self.clock.now();
        let mut changes =
            order::ActiveModel { status: Set(to.as_str().into()), updated_at: Set(now), ..Default::default() };
        change(&mut changes);
        let mut guard =
            Condition::all().add(order::Column::Id.eq(order.id)).add(order::Column::Status.eq(order.status.as_str()));
        if action == OrderAction::Claim && order.status == OrderStatus::Assigned {
            guard = guard.add(order::Column::AssigneeId.eq(actor.user_id));
        }
        let txn = self.db.begin().await?;
        // The guarded update returns the changed row (`RETURNING`): no second read.
        let mut updated = order::Entity::update_many().set(changes).filter(guard).exec_with_returning(&txn).await?;
        if updated.len() > 1 {
            return Err(DomainError::internal(format!("a guarded update touched {} rows", updated.len())));
        }
        let Some(model) = updated.pop() else {
            txn.rollback().await?;
            // Someone changed it between our read and our write.
            let now_is = self.load_order(order.id).await?;
            return Err(match (action, now_is.claimant_id) {
                (OrderAction::Claim, Some(who)) if who != actor.user_id => DomainError::AlreadyClaimed,
                _ => DomainError::invalid_state(format!(
                    "this order changed to {} in the meantime; reload it",
                    now_is.status.as_str()
                )),
            });
        };
        workflow::record(
            &txn,
            Transition {
                subject: Subject::Order,
                subject_id: order.id,
                community_id: order.community_id,
                actor_id: Some(actor.user_id),
                from: Some(order.status),
                to,
                note: note.as_deref(),
                at: now,
            },
        )
        .await?;
        self.dedication_for_order(&txn, &model, action, now).await?;
        txn.commit().await?;
        model.try_into()
    }

    /// Points the claimant earns or loses as the work is approved and rated.
    async fn dedication_for_order(
        &self,
        txn: &DatabaseTransaction,
        order: &order::Model,
        action: OrderAction,
        now: DateTime<Utc>,
    ) -> DomainResult<()> {
        let Some(member) = order.claimant_id else { return Ok(()) };
        if !matches!(action, OrderAction::Approve | OrderAction::Rate) {
            return Ok(());
        }
        let rules = rules_for(txn, order.community_id).await?;
        let credit_once = |points: i32, reason: String, kind: SourceKind, what: &str| Credit {
            community_id: order.community_id,
            member_id: member,
            points,
            reason,
            kind,
            source_id: Some(order.id),
            key: format!("order:{}:{member}:{what}", order.id),
            created_by: None,
            at: now,
        };
        match action {
            OrderAction::Approve => {
                let late = matches!((order.completed_at, order.complete_due_at), (Some(done), Some(due)) if done > due);
                if late {
                    // The same entry the deadline sweep writes: whichever comes first, once.
                    credit(
                        txn,
                        credit_once(rules.order_overdue, overdue_reason(&order.title), SourceKind::Order, "overdue"),
                    )
                    .await?;
                    let reason = format!("order “{}” finished late", order.title);
                    credit(txn, credit_once(rules.order_late, reason, SourceKind::Order, "approved")).await?;
                } else {
                    let reason = format!("order “{}” finished on time", order.title);
                    credit(txn, credit_once(rules.order_on_time, reason, SourceKind::Order, "approved")).await?;
                }
                Ok(())
            }
            OrderAction::Rate => {
                let points = match order.rating_stars {
                    Some(stars) if stars >= rules.good_rating_min_stars => rules.good_rating,
                    Some(stars) if stars <= rules.low_rating_max_stars => rules.low_rating,
                    _ => return Ok(()),
                };
                let reason = format!("rated {}★ for “{}”", order.rating_stars.unwrap_or_default(), order.title);
                credit(txn, credit_once(points, reason, SourceKind::Rating, "rating")).await?;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Orders dispatched (to the pool or a named member) that nobody claimed
    /// by `claim_due_at` are escalated to the street and the community's
    /// secretaries told, once each however many nodes sweep. Urgent care
    /// requests are left to [`Domain::escalate_unclaimed_care`]: they stay
    /// claimable while the secretary is alerted. Returns how many escalated.
    pub async fn escalate_unclaimed_orders(&self) -> DomainResult<usize> {
        let now = self.clock.now();
        let urgent_care = Query::select()
            .column(care_request::Column::OrderId)
            .from(care_request::Entity)
            .and_where(care_request::Column::Urgent.eq(true))
            .to_owned();
        let due = order::Entity::find()
            .filter(order::Column::Status.is_in([OrderStatus::Open.as_str(), OrderStatus::Assigned.as_str()]))
            .filter(order::Column::ClaimDueAt.lt(now))
            .filter(order::Column::Id.not_in_subquery(urgent_care))
            .order_by_asc(order::Column::ClaimDueAt)
            .limit(500)
            .all(&self.db)
            .await?;
        let mut escalated = 0;
        for row in due {
            escalated += usize::from(self.escalate_unclaimed_order(Order::try_from(row)?, now).await?);
        }
        Ok(escalated)
    }

    async fn escalate_unclaimed_order(&self, order: Order, now: DateTime<Utc>) -> DomainResult<bool> {
        let Some(due) = order.claim_due_at else { return Ok(false) };
        let note = format!("nobody claimed it by {}: escalated to the street", deadlines::local_time(due));
        let txn = self.db.begin().await?;
        let still_due = Condition::all().add(order::Column::ClaimDueAt.lt(now));
        if !self.system_step(&txn, &order, OrderAction::Escalate, &note, now, still_due, |_| {}).await? {
            // Claimed, cancelled or escalated in the meantime (another node).
            txn.rollback().await?;
            return Ok(false);
        }
        let body = format!(
            "服务单“{}”（#{}）超过接单时限 {} 仍无人接单，已上报街道，请跟进。",
            order.title,
            order.id,
            deadlines::local_time(due)
        );
        deadlines::tell_secretaries(
            &txn,
            SecretaryNotice {
                community_id: order.community_id,
                kind: "ORDER_UNCLAIMED",
                subject: Subject::Order,
                subject_id: order.id,
                title: "服务单超时无人接单",
                body: &body,
                key: &format!("order-unclaimed:{}:{}", order.id, due.timestamp()),
                at: now,
            },
        )
        .await?;
        txn.commit().await?;
        Ok(true)
    }

    /// Claims not finished by `complete_due_at`: the order is marked overdue,
    /// the claimant loses `order_overdue` (keyed, so once per order and
    /// member, the same entry a late approval writes) and is told; then, per
    /// the community's overdue policy, the order goes back to the pool with a
    /// fresh claim deadline, or is escalated and the secretaries told. One
    /// transaction per order behind a guarded update, so several nodes
    /// sweeping at once act once.
    pub async fn sweep_overdue_orders(&self) -> DomainResult<OverdueSweep> {
        let now = self.clock.now();
        let overdue = order::Entity::find()
            .filter(order::Column::Status.eq(OrderStatus::Claimed.as_str()))
            .filter(order::Column::CompleteDueAt.lt(now))
            .order_by_asc(order::Column::CompleteDueAt)
            .limit(500)
            .all(&self.db)
            .await?;
        let mut swept = OverdueSweep::default();
        for row in overdue {
            let order = Order::try_from(row)?;
            // Read before the transaction: `windows` uses the pool.
            let claim_window = self.windows(&order).await?.0;
            match self.lapse_overdue_order(order, claim_window, now).await? {
                Some(OverduePolicy::ReturnToPool) => swept.returned_to_pool += 1,
                Some(OverduePolicy::Escalate) => swept.escalated += 1,
                None => {}
            }
        }
        Ok(swept)
    }

    async fn lapse_overdue_order(
        &self,
        order: Order,
        claim_window: Duration,
        now: DateTime<Utc>,
    ) -> DomainResult<Option<OverduePolicy>> {
        let (Some(member), Some(due)) = (order.claimant_id, order.complete_due_at) else { return Ok(None) };
        let txn = self.db.begin().await?;
        let policy = deadlines::policy_of(&txn, order.community_id).await?;
        let still_due = Condition::all().add(order::Column::CompleteDueAt.lt(now));
        let missed = format!("not finished by {}", deadlines::local_time(due));
        let moved = match policy {
            OverduePolicy::ReturnToPool => {
                let note = format!("{missed}: the claim lapsed and the order is back in the pool");
                self.system_step(&txn, &order, OrderAction::Lapse, &note, now, still_due, |m| {
                    m.overdue_at = Set(Some(now));
                    m.claimant_id = Set(None);
                    m.assignee_id = Set(None);
                    m.complete_due_at = Set(None);
                    m.claim_due_at = Set(Some(now + claim_window));
                })
                .await?
            }
            OverduePolicy::Escalate => {
                let note = format!("{missed}: escalated to the street");
                self.system_step(&txn, &order, OrderAction::EscalateOverdue, &note, now, still_due, |m| {
                    m.overdue_at = Set(Some(now));
                })
                .await?
            }
        };
        if !moved {
            // Completed, or swept by another node, in the meantime.
            txn.rollback().await?;
            return Ok(None);
        }
        let rules = rules_for(&txn, order.community_id).await?;
        credit(
            &txn,
            Credit {
                community_id: order.community_id,
                member_id: member,
                points: rules.order_overdue,
                reason: overdue_reason(&order.title),
                kind: SourceKind::Order,
                source_id: Some(order.id),
                key: format!("order:{}:{member}:overdue", order.id),
                created_by: None,
                at: now,
            },
        )
        .await?;
        let what_next = match policy {
            OverduePolicy::ReturnToPool => "已退回待接单池",
            OverduePolicy::Escalate => "已上报街道",
        };
        notify(
            &txn,
            NewNotice {
                community_id: order.community_id,
                recipient_id: member,
                kind: "ORDER_OVERDUE",
                subject_kind: Some(Subject::Order.as_str()),
                subject_id: Some(order.id),
                title: "服务单超时未办结".into(),
                body: format!(
                    "您认领的服务单“{}”（#{}）未在 {} 前办结，{what_next}，并按规则扣减奉献积分。",
                    order.title,
                    order.id,
                    deadlines::local_time(due)
                ),
                dedup_key: format!("order-overdue:{}:{member}:{}", order.id, due.timestamp()),
                at: now,
            },
        )
        .await?;
        if policy == OverduePolicy::Escalate {
            let body = format!(
                "服务单“{}”（#{}）认领后未在 {} 前办结，已上报街道，请跟进。",
                order.title,
                order.id,
                deadlines::local_time(due)
            );
            deadlines::tell_secretaries(
                &txn,
                SecretaryNotice {
                    community_id: order.community_id,
                    kind: "ORDER_ESCALATED",
                    subject: Subject::Order,
                    subject_id: order.id,
                    title: "服务单超时已上报",
                    body: &body,
                    key: &format!("order-escalated:{}:{}", order.id, due.timestamp()),
                    at: now,
                },
            )
            .await?;
        }
        txn.commit().await?;
        Ok(Some(policy))
    }

    /// A change the system makes (a missed deadline) through the state
    /// machine: a conditional update on the status and claimant the order was
    /// read in (and `extra`), and the event with no actor, in the caller's
    /// transaction. `false` when someone changed the order first.
    #[allow(clippy::too_many_arguments)]
    async fn system_step(
        &self,
        txn: &DatabaseTransaction,
        order: &Order,
        action: OrderAction,
        note: &str,
        now: DateTime<Utc>,
        extra: Condition,
        change: impl FnOnce(&mut order::ActiveModel),
    ) -> DomainResult<bool> {
        let Some(to) = next_status(order.status, action) else { return Ok(false) };
        let mut changes =
            order::ActiveModel { status: Set(to.as_str().into()), updated_at: Set(now), ..Default::default() };
        change(&mut changes);
        let guard = Condition::all()
            .add(order::Column::Id.eq(order.id))
            .add(order::Column::Status.eq(order.status.as_str()))
            .add(match order.claimant_id {
                Some(c) => order::Column::ClaimantId.eq(c).into_condition(),
                None => order::Column::ClaimantId.is_null().into_condition(),
            })
            .add(extra);
        if !guarded_update(txn, changes, guard).await? {
            return Ok(false);
        }
        workflow::record(
            txn,
            Transition {
                subject: Subject::Order,
                subject_id: order.id,
                community_id: order.community_id,
                actor_id: None,
                from: Some(order.status),
                to,
                note: Some(note),
                at: now,
            },
        )
        .await?;
        Ok(true)
    }

    /// Histories of many orders in one statement (for lists).
    /// The histories and the names of everyone who acted in them, in one statement.
    pub async fn order_histories_with_actors(
        &self,
        order_ids: &[i64],
    ) -> DomainResult<(HashMap<i64, Vec<OrderEvent>>, HashMap<i64, UserSummary>)> {
        workflow::histories_with_actors(&self.db, Subject::Order, order_ids).await
    }

    /// Orders the actor may see, newest first.
    pub async fn orders(
        &self,
        actor: &Actor,
        filter: OrderFilter,
        page: PageRequest,
        count: bool,
    ) -> DomainResult<OrderPage> {
        let me = actor.user_id;
        // Who may see what, as separate branches: each can be answered from an
        // index in id order, so a page never walks other communities' orders.
        let mut branches = vec![
            Condition::any()
                .add(order::Column::PlacedBy.eq(me))
                .add(order::Column::OnBehalfOf.eq(me))
                .add(order::Column::ClaimantId.eq(me))
                .add(order::Column::AssigneeId.eq(me)),
        ];
        let helper_communities =
            actor.communities_with(&[Role::PartyMember, Role::Volunteer, Role::GridWorker, Role::Secretary]);
        if !helper_communities.is_empty() {
            branches.push(Condition::all().add(order::Column::CommunityId.is_in(helper_communities)));
        }
        let street_communities = actor.communities_with(&[Role::StreetReviewer]);
        if !street_communities.is_empty() {
            branches.push(
                Condition::all()
                    .add(order::Column::CommunityId.is_in(street_communities))
                    .add(order::Column::Status.eq(OrderStatus::Escalated.as_str())),
            );
        }
        let mut cond = Condition::all();
        if let Some(c) = filter.community_id {
            actor.require_member(c)?;
            cond = cond.add(order::Column::CommunityId.eq(c));
        }
        if let Some(s) = filter.status {
            cond = cond.add(order::Column::Status.eq(s.as_str()));
        }
        if let Some(c) = filter.category {
            cond = cond.add(order::Column::Category.eq(c.as_str()));
        }
        if filter.mine {
            cond = cond.add(Condition::any().add(order::Column::PlacedBy.eq(me)).add(order::Column::OnBehalfOf.eq(me)));
        }
        if filter.claimed_by_me {
            cond = cond.add(order::Column::ClaimantId.eq(me));
        }
        self.page_of_orders(branches, cond, page, false, count).await
    }

    /// The community's open pool, oldest (most urgent) first. For the people
    /// who take or run the work.
    pub async fn order_pool(
        &self,
        actor: &Actor,
        community_id: i64,
        page: PageRequest,
        count: bool,
    ) -> DomainResult<OrderPage> {
        actor.require_any(
            community_id,
            &[Role::PartyMember, Role::Volunteer, Role::GridWorker, Role::Secretary],
            "see the order pool",
        )?;
        let cond = Condition::all()
            .add(order::Column::CommunityId.eq(community_id))
            .add(order::Column::Status.eq(OrderStatus::Open.as_str()));
        self.page_of_orders(vec![cond], Condition::all(), page, true, count).await
    }

    /// One statement for a page: the orders, the names of the people they
    /// name (scalar subqueries) and their community (a join), and — when `count` — the total as an
    /// uncorrelated subquery the database runs once. Only an empty page
    /// after a cursor needs a second statement for the total.
    ///
    /// An order is visible when it matches any of `branches` and all of
    /// `cond`. The page is the union of each branch's own first page (each
    /// an index range in id order), never one `OR` over the whole table: a
    /// database plans an `OR` with `ORDER BY id LIMIT` as a walk down the
    /// primary key, which passes every newer order of every other community.
    async fn page_of_orders(
        &self,
        branches: Vec<Condition>,
        cond: Condition,
        page: PageRequest,
        oldest_first: bool,
        count: bool,
    ) -> DomainResult<OrderPage> {
        const PEOPLE: [(&str, order::Column); 4] = [
            ("placer", order::Column::PlacedBy),
            ("behalf", order::Column::OnBehalfOf),
            ("assignee", order::Column::AssigneeId),
            ("claimant", order::Column::ClaimantId),
        ];
        let direction = if oldest_first { SortOrder::Asc } else { SortOrder::Desc };
        let mut page_cond = cond.clone();
        if let Some(after) = page.after {
            page_cond =
                page_cond.add(if oldest_first { order::Column::Id.gt(after) } else { order::Column::Id.lt(after) });
        }
        let mut visible_ids: Option<sea_orm::sea_query::SelectStatement> = None;
        for (n, branch) in branches.iter().enumerate() {
            let first_page = Query::select()
                .column((order::Entity, order::Column::Id))
                .from(order::Entity)
                .cond_where(both(branch.clone(), page_cond.clone()))
                .order_by((order::Entity, order::Column::Id), direction.clone())
                .limit(page.first + 1)
                .to_owned();
            // Wrapped, so that every database accepts its ORDER BY and LIMIT inside a UNION.
            let wrapped = Query::select()
                .column(order::Column::Id)
                .from_subquery(first_page, Alias::new(format!("branch{n}")))
                .to_owned();
            visible_ids = Some(match visible_ids {
                None => wrapped,
                Some(mut union) => union.union(UnionType::Distinct, wrapped).to_owned(),
            });
        }
        let Some(visible_ids) = visible_ids else {
            return Err(DomainError::internal("a page of orders needs at least one visibility branch"));
        };
        let mut query = Query::select();
        query
            .columns(order::Column::iter().map(|c| (order::Entity, c)))
            .from_subquery(visible_ids, Alias::new("visible"))
            .join(
                JoinType::InnerJoin,
                order::Entity,
                Expr::col((order::Entity, order::Column::Id)).equals((Alias::new("visible"), order::Column::Id)),
            );
        // Names as scalar subqueries, one primary-key lookup each: PostgreSQL
        // plans four left joins to `users` in ~5 ms per request, these in ~0.3.
        for (alias, column) in PEOPLE {
            let name = Query::select()
                .column((Alias::new(alias), user::Column::DisplayName))
                .from_as(user::Entity, Alias::new(alias))
                .and_where(Expr::col((Alias::new(alias), user::Column::Id)).equals((order::Entity, column)))
                .to_owned();
            query.expr_as(Expr::from(name), Alias::new(format!("{alias}_name")));
        }
        query
            .expr_as(Expr::col((community::Entity, community::Column::Name)), Alias::new("community_name"))
            .expr_as(Expr::col((community::Entity, community::Column::StreetId)), Alias::new("community_street_id"))
            .join(
                JoinType::InnerJoin,
                community::Entity,
                Expr::col((community::Entity, community::Column::Id))
                    .equals((order::Entity, order::Column::CommunityId)),
            );
        let total = || {
            let visible = match branches.as_slice() {
                [one] => one.clone(),
                many => many.iter().cloned().fold(Condition::any(), Condition::add),
            };
            Query::select()
                .expr(Expr::cust("COUNT(*)"))
                .from(order::Entity)
                .cond_where(both(visible, cond.clone()))
                .to_owned()
        };
        if count {
            query.expr_as(Expr::from(total()), Alias::new("total_count"));
        }
        query.order_by((order::Entity, order::Column::Id), direction).limit(page.first + 1);
        let rows = self.db.query_all(&query).await?;
        let has_next_page = rows.len() as u64 > page.first;
        let mut total_count = 0;
        let mut items = Vec::with_capacity(rows.len());
        let mut people = HashMap::new();
        let mut communities = HashMap::new();
        for row in rows.iter().take(page.first as usize) {
            let model = order::Model::from_query_result(row, "")?;
            for (alias, column) in PEOPLE {
                let id: Option<i64> = match column {
                    order::Column::PlacedBy => Some(model.placed_by),
                    order::Column::OnBehalfOf => model.on_behalf_of,
                    order::Column::AssigneeId => model.assignee_id,
                    _ => model.claimant_id,
                };
                let name: Option<String> = row.try_get("", &format!("{alias}_name"))?;
                if let (Some(id), Some(display_name)) = (id, name) {
                    people.insert(id, UserSummary { id, display_name });
                }
            }
            communities.insert(
                model.community_id,
                Community {
                    id: model.community_id,
                    name: row.try_get("", "community_name")?,
                    street_id: row.try_get("", "community_street_id")?,
                },
            );
            if count {
                total_count = row.try_get::<i64>("", "total_count")? as u64;
            }
            items.push(Order::try_from(model)?);
        }
        if count && rows.is_empty() && page.after.is_some() {
            // Past the end: the total still counts every visible order.
            let row = self.db.query_one(&total()).await?;
            total_count = match row {
                Some(row) => row.try_get_by_index::<i64>(0)? as u64,
                None => 0,
            };
        }
        Ok(OrderPage {
            page: Page { items, has_next_page, has_previous_page: page.after.is_some(), total_count },
            people,
            communities,
        })
    }

    /// Whether a community exists (for clearer errors than a foreign key).
    pub async fn community_exists(&self, id: i64) -> DomainResult<bool> {
        Ok(community::Entity::find_by_id(id).one(&self.db).await?.is_some())
    }
}

/// `a AND b`, leaving out an empty `b`.
fn both(a: Condition, b: Condition) -> Condition {
    if b.is_empty() { a } else { Condition::all().add(a).add(b) }
}

fn overdue_reason(title: &str) -> String {
    format!("order “{title}” not finished by its deadline")
}

fn past_tense(action: OrderAction) -> &'static str {
    match action {
        OrderAction::Publish => "published to the pool",
        OrderAction::Assign => "assigned",
        OrderAction::Claim => "claimed",
        OrderAction::Complete => "reported done",
        OrderAction::Approve => "approved",
        OrderAction::Reject => "rejected",
        OrderAction::Rate => "rated",
        OrderAction::Cancel => "cancelled",
        OrderAction::Escalate => "escalated",
        OrderAction::Lapse => "returned to the pool at its deadline",
        OrderAction::EscalateOverdue => "escalated at its deadline",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderAction as A;
    use OrderStatus as S;

    #[test]
    fn the_happy_path_runs_from_submitted_to_closed() {
        let mut s = S::Submitted;
        for (action, expected) in [
            (A::Publish, S::Open),
            (A::Claim, S::Claimed),
            (A::Complete, S::AwaitingApproval),
            (A::Reject, S::Claimed),
            (A::Complete, S::AwaitingApproval),
            (A::Approve, S::Approved),
            (A::Rate, S::Closed),
        ] {
            s = next_status(s, action).unwrap();
            assert_eq!(s, expected);
        }
    }

    #[test]
    fn finished_orders_accept_no_action() {
        for from in [S::Closed, S::Cancelled, S::Escalated] {
            for action in [
                A::Publish,
                A::Assign,
                A::Claim,
                A::Complete,
                A::Approve,
                A::Reject,
                A::Rate,
                A::Cancel,
                A::Escalate,
                A::Lapse,
                A::EscalateOverdue,
            ] {
                assert_eq!(next_status(from, action), None, "{from:?} {action:?}");
            }
        }
    }

    #[test]
    fn cancel_and_escalate_only_before_a_claim() {
        for from in S::ALL {
            let before = matches!(from, S::Submitted | S::Open | S::Assigned);
            assert_eq!(next_status(*from, A::Cancel).is_some(), before, "{from:?}");
            assert_eq!(next_status(*from, A::Escalate).is_some(), before, "{from:?}");
        }
    }

    #[test]
    fn only_a_claimed_order_can_lapse_back_to_the_pool_or_escalate_at_its_deadline() {
        for from in S::ALL {
            let claimed = *from == S::Claimed;
            assert_eq!(next_status(*from, A::Lapse), claimed.then_some(S::Open), "{from:?}");
            assert_eq!(next_status(*from, A::EscalateOverdue), claimed.then_some(S::Escalated), "{from:?}");
        }
    }

    #[test]
    fn claims_come_only_from_the_pool_or_an_assignment() {
        for from in S::ALL {
            assert_eq!(next_status(*from, A::Claim).is_some(), matches!(from, S::Open | S::Assigned), "{from:?}");
        }
    }
}
