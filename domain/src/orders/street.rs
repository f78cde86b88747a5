//! 吹哨报到 on the order machine: what the community cannot solve it
//! escalates to the street (社区吹哨); the street routes it to a department
//! (街道分哨), sends it back to the community, or resolves it itself; the
//! department accepts it within its acceptance SLA (部门应哨), may ask the
//! community, and reports it done by the street's due date; the street
//! confirms it, and the resident rates it as any approved order.
//!
//! Each act is one guarded step on the spine; the notices that follow a
//! step are the order kind's hooks ([`tell_after`]).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};

use super::Orders;
use super::kind::OrderStep;
use super::machine::{OrderAction, OrderStatus};
use super::model::{Order, OrderPage};
use crate::entities::{community, department, office_role, order, order_question, street, street_role};
use crate::error::{DomainError, DomainResult};
use crate::notifications::{NewNotice, notify, people_with_roles};
use crate::org::{Actor, Role, Unit, UnitKind, authority};
use crate::pagination::PageRequest;
use crate::uploads::urls_to_json;
use crate::workflow::{self, Moved, Status, Subject};
use crate::{deadlines, validate};

/// A department a street can route to: its own, or its county's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Department {
    pub id: i64,
    pub name: String,
    /// None for a county department.
    pub street_id: Option<i64>,
    /// Minutes it has to accept a routed order.
    pub accept_sla_minutes: i32,
}

impl From<department::Model> for Department {
    fn from(m: department::Model) -> Self {
        Self { id: m.id, name: m.name, street_id: m.street_id, accept_sla_minutes: m.accept_sla_minutes }
    }
}

/// A department's question to the community about an order, and its answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InformationRequest {
    pub id: i64,
    pub order_id: i64,
    pub question: String,
    pub asked_by: i64,
    pub asked_at: DateTime<Utc>,
    pub answer: Option<String>,
    pub answered_by: Option<i64>,
    pub answered_at: Option<DateTime<Utc>>,
}

impl From<order_question::Model> for InformationRequest {
    fn from(m: order_question::Model) -> Self {
        Self {
            id: m.id,
            order_id: m.order_id,
            question: m.question,
            asked_by: m.asked_by,
            asked_at: m.asked_at,
            answer: m.answer,
            answered_by: m.answered_by,
            answered_at: m.answered_at,
        }
    }
}

/// The street a community belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Street {
    pub id: i64,
    pub name: String,
}

impl Orders<'_> {
    /// The street of a community.
    pub async fn street_of(self, community_id: i64) -> DomainResult<Street> {
        let community = community::Entity::find_by_id(community_id)
            .one(&self.d.db)
            .await?
            .ok_or(DomainError::NotFound("community"))?;
        let street = street::Entity::find_by_id(community.street_id)
            .one(&self.d.db)
            .await?
            .ok_or(DomainError::NotFound("street"))?;
        Ok(Street { id: street.id, name: street.name })
    }

    /// A department, by id (its name is not private).
    pub async fn department(self, id: i64) -> DomainResult<Department> {
        department::Entity::find_by_id(id)
            .one(&self.d.db)
            .await?
            .map(Department::from)
            .ok_or(DomainError::NotFound("department"))
    }

    /// The departments a street routes to, for its reviewers.
    pub async fn departments_for(self, actor: &Actor, street_id: i64) -> DomainResult<Vec<Department>> {
        actor.require_office(&authority::DEPARTMENTS, Unit::street(street_id))?;
        self.departments(street_id).await
    }

    /// The departments a street routes to: its own, then its county's.
    async fn departments(self, street_id: i64) -> DomainResult<Vec<Department>> {
        let street =
            street::Entity::find_by_id(street_id).one(&self.d.db).await?.ok_or(DomainError::NotFound("street"))?;
        let rows = department::Entity::find()
            .filter(
                Condition::any().add(department::Column::StreetId.eq(street_id)).add(
                    Condition::all()
                        .add(department::Column::CountyId.eq(street.county_id))
                        .add(department::Column::StreetId.is_null()),
                ),
            )
            .order_by_desc(department::Column::StreetId)
            .order_by_asc(department::Column::Id)
            .all(&self.d.db)
            .await?;
        Ok(rows.into_iter().map(Department::from).collect())
    }

    /// The street's orders from its communities, oldest first: by default
    /// those waiting on the street (to route, return or resolve, or to
    /// confirm a department's work); with `status`, those in it.
    pub async fn street_queue(
        self,
        actor: &Actor,
        street_id: i64,
        status: Option<OrderStatus>,
        page: PageRequest,
    ) -> DomainResult<OrderPage> {
        actor.require_office(&authority::STREET_QUEUE, Unit::street(street_id))?;
        let communities = Query::select()
            .column(community::Column::Id)
            .from(community::Entity)
            .and_where(community::Column::StreetId.eq(street_id))
            .to_owned();
        let branch = Condition::all()
            .add(order::Column::CommunityId.in_subquery(communities))
            .add(order::Column::EscalatedAt.is_not_null());
        let statuses = match status {
            Some(s) => vec![s.as_str()],
            None => OrderStatus::texts_where(OrderStatus::awaits_street),
        };
        let cond = Condition::all().add(order::Column::Status.is_in(statuses));
        self.page_of_orders(vec![branch], cond, page, true, true).await
    }

    /// The orders routed to a department, oldest first: by default those
    /// with it (to accept, or to work on); with `status`, those in it.
    pub async fn department_queue(
        self,
        actor: &Actor,
        department_id: i64,
        status: Option<OrderStatus>,
        page: PageRequest,
    ) -> DomainResult<OrderPage> {
        actor.require_office(&authority::DEPARTMENT_QUEUE, Unit::new(UnitKind::Department, department_id))?;
        let branch = Condition::all().add(order::Column::DepartmentId.eq(department_id));
        let statuses = match status {
            Some(s) => vec![s.as_str()],
            None => OrderStatus::texts_where(OrderStatus::is_with_department),
        };
        let cond = Condition::all().add(order::Column::Status.is_in(statuses));
        self.page_of_orders(vec![branch], cond, page, true, true).await
    }

    /// The street routes an escalated order to a department, with an
    /// instruction and a due date; the department has its acceptance SLA to accept it.
    pub async fn route(
        self,
        actor: &Actor,
        id: i64,
        department_id: i64,
        instruction: &str,
        due_at: DateTime<Utc>,
    ) -> DomainResult<Order> {
        let (row, order) = self.visible(actor, id).await?;
        actor.require(&authority::ROUTE_ORDER, order.community_id)?;
        let instruction = validate::required_text("instruction", instruction, 1000)?;
        let street = self.street_of(order.community_id).await?;
        let Some(department) = self.departments(street.id).await?.into_iter().find(|d| d.id == department_id) else {
            return Err(DomainError::bad_input("departmentId", "该部门不在本街道或本县，不能分派给它"));
        };
        let now = self.d.clock.now();
        if due_at <= now {
            return Err(DomainError::bad_input("dueAt", "办结时限必须晚于现在"));
        }
        let accept_due = now + chrono::Duration::minutes(i64::from(department.accept_sla_minutes));
        let note = instruction.clone();
        self.take(
            &row,
            OrderStep::by(actor.user_id, OrderAction::Route).note(note).set(|m| {
                m.department_id = Set(Some(department.id));
                m.route_instruction = Set(Some(instruction));
                m.routed_at = Set(Some(now));
                m.accept_due_at = Set(Some(accept_due));
                m.route_due_at = Set(Some(due_at));
                m.department_accepted_at = Set(None);
                m.department_completed_at = Set(None);
                m.department_overdue_at = Set(None);
            }),
        )
        .await
    }

    /// The street sends an escalated order back to the community's pool, with its instruction.
    pub async fn return_to_community(self, actor: &Actor, id: i64, instruction: &str) -> DomainResult<Order> {
        let (row, order) = self.visible(actor, id).await?;
        actor.require(&authority::RETURN_ORDER_TO_COMMUNITY, order.community_id)?;
        let instruction = validate::required_text("instruction", instruction, 1000)?;
        let now = self.d.clock.now();
        let claim_due = now + self.windows(&order).await?.0;
        let note = instruction.clone();
        self.take(
            &row,
            OrderStep::by(actor.user_id, OrderAction::ReturnToCommunity).note(note).set(|m| {
                m.route_instruction = Set(Some(instruction));
                m.department_id = Set(None);
                m.claim_due_at = Set(Some(claim_due));
                m.dispatched_at = Set(Some(now));
            }),
        )
        .await
    }

    /// The street resolves an escalated order itself; it is approved, to be rated.
    pub async fn resolve_escalation(self, actor: &Actor, id: i64, note: &str) -> DomainResult<Order> {
        let (row, order) = self.visible(actor, id).await?;
        actor.require(&authority::RESOLVE_ESCALATION, order.community_id)?;
        let note = validate::required_text("note", note, 1000)?;
        self.take(&row, OrderStep::by(actor.user_id, OrderAction::ResolveAtStreet).note(note)).await
    }

    /// The department takes the order on (应哨).
    pub async fn accept_routed(self, actor: &Actor, id: i64) -> DomainResult<Order> {
        let (row, order) = self.visible(actor, id).await?;
        actor.require_office(&authority::ACCEPT_ROUTED_ORDER, department_unit(&order)?)?;
        let now = self.d.clock.now();
        self.take(
            &row,
            OrderStep::by(actor.user_id, OrderAction::AcceptRouted).set(|m| {
                m.department_accepted_at = Set(Some(now));
            }),
        )
        .await
    }

    /// The department asks the community about the order; the community's
    /// staff answer with [`Orders::answer_information_request`].
    pub async fn request_information(self, actor: &Actor, id: i64, question: &str) -> DomainResult<InformationRequest> {
        let (row, order) = self.visible(actor, id).await?;
        let unit = department_unit(&order)?;
        actor.require_office(&authority::REQUEST_INFORMATION, unit)?;
        let question = validate::required_text("question", question, 1000)?;
        let now = self.d.clock.now();
        let txn = self.d.db.begin().await?;
        let step = OrderStep::by(actor.user_id, OrderAction::AskCommunity).note(question.clone());
        if workflow::step_in(self.d, &txn, &row, step).await?.is_none() {
            return Err(workflow::refused::<order::Entity>(
                self.d,
                txn,
                &row,
                OrderAction::AskCommunity,
                Some(actor.user_id),
            )
            .await);
        }
        let asked = order_question::ActiveModel {
            order_id: Set(order.id),
            community_id: Set(order.community_id),
            department_id: Set(unit.id),
            question: Set(question),
            asked_by: Set(actor.user_id),
            asked_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(asked.into())
    }

    /// The community's staff answer a department's question, once.
    pub async fn answer_information_request(
        self,
        actor: &Actor,
        request_id: i64,
        answer: &str,
    ) -> DomainResult<InformationRequest> {
        let asked = order_question::Entity::find_by_id(request_id)
            .one(&self.d.db)
            .await?
            .ok_or(DomainError::NotFound("information request"))?;
        let (row, order) = self.visible(actor, asked.order_id).await?;
        actor.require(&authority::ANSWER_INFORMATION_REQUEST, order.community_id)?;
        let answer = validate::required_text("answer", answer, 1000)?;
        let now = self.d.clock.now();
        let txn = self.d.db.begin().await?;
        let answered = order_question::Entity::update_many()
            .col_expr(order_question::Column::Answer, Expr::value(answer.clone()))
            .col_expr(order_question::Column::AnsweredBy, Expr::value(actor.user_id))
            .col_expr(order_question::Column::AnsweredAt, Expr::value(now))
            .filter(order_question::Column::Id.eq(request_id))
            .filter(order_question::Column::AnsweredAt.is_null())
            .exec(&txn)
            .await?;
        if answered.rows_affected != 1 {
            return Err(DomainError::invalid_state("这个问题已经答复过了"));
        }
        let step = OrderStep::by(actor.user_id, OrderAction::AnswerDepartment).note(answer);
        if workflow::step_in(self.d, &txn, &row, step).await?.is_none() {
            return Err(workflow::refused::<order::Entity>(
                self.d,
                txn,
                &row,
                OrderAction::AnswerDepartment,
                Some(actor.user_id),
            )
            .await);
        }
        let done = order_question::Entity::find_by_id(request_id)
            .one(&txn)
            .await?
            .ok_or(DomainError::NotFound("information request"))?;
        txn.commit().await?;
        Ok(done.into())
    }

    /// A department's questions about an order and their answers, oldest first.
    pub async fn information_requests(self, order_id: i64) -> DomainResult<Vec<InformationRequest>> {
        let rows = order_question::Entity::find()
            .filter(order_question::Column::OrderId.eq(order_id))
            .order_by_asc(order_question::Column::Id)
            .all(&self.d.db)
            .await?;
        Ok(rows.into_iter().map(InformationRequest::from).collect())
    }

    /// The department reports its work done, with a note and photos; the street confirms it.
    pub async fn complete_routed(
        self,
        actor: &Actor,
        id: i64,
        note: &str,
        photo_urls: &[String],
    ) -> DomainResult<Order> {
        let (row, order) = self.visible(actor, id).await?;
        actor.require_office(&authority::COMPLETE_ROUTED_ORDER, department_unit(&order)?)?;
        let note = validate::required_text("note", note, 1000)?;
        let photos =
            urls_to_json(&self.d.uploads().checked_photos(&self.d.db, "photoUrls", actor.user_id, photo_urls).await?)?;
        let now = self.d.clock.now();
        let text = note.clone();
        self.take(
            &row,
            OrderStep::by(actor.user_id, OrderAction::CompleteRouted).note(note).set(|m| {
                m.department_note = Set(Some(text));
                m.department_photo_urls = Set(Some(photos));
                m.department_completed_at = Set(Some(now));
            }),
        )
        .await
    }

    /// The street confirms the department's work; the order is approved, to be rated.
    pub async fn confirm_routed(self, actor: &Actor, id: i64) -> DomainResult<Order> {
        let (row, order) = self.visible(actor, id).await?;
        actor.require(&authority::CONFIRM_ROUTED_ORDER, order.community_id)?;
        self.take(&row, OrderStep::by(actor.user_id, OrderAction::ConfirmRouted)).await
    }
}

/// The department an order is routed to, as a unit.
fn department_unit(order: &Order) -> DomainResult<Unit> {
    order
        .routing
        .department_id
        .map(|d| Unit::new(UnitKind::Department, d))
        .ok_or_else(|| DomainError::invalid_state("这张服务单还没有分派给职能部门"))
}

/// A notice about an order to each of some people.
struct OrderNotice {
    kind: &'static str,
    title: &'static str,
    body: String,
}

impl OrderNotice {
    async fn to<C: ConnectionTrait>(
        self,
        conn: &C,
        order: &order::Model,
        people: Vec<i64>,
        at: DateTime<Utc>,
    ) -> DomainResult<()> {
        for person in people {
            notify(
                conn,
                NewNotice {
                    community_id: order.community_id,
                    recipient_id: person,
                    kind: self.kind,
                    subject_kind: Some(Subject::Order),
                    subject_id: Some(order.id),
                    title: self.title.into(),
                    body: self.body.clone(),
                    dedup_key: format!("{}:{}:{}:{person}", self.kind, order.id, at.timestamp_micros()),
                    at,
                },
            )
            .await?;
        }
        Ok(())
    }
}

/// The reviewers of the street the order's community belongs to.
async fn street_reviewers<C: ConnectionTrait>(conn: &C, community_id: i64) -> DomainResult<Vec<i64>> {
    let Some(community) = community::Entity::find_by_id(community_id).one(conn).await? else { return Ok(vec![]) };
    let rows = street_role::Entity::find()
        .filter(street_role::Column::StreetId.eq(community.street_id))
        .filter(street_role::Column::Role.eq(Role::StreetReviewer.as_str()))
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|r| r.user_id).collect())
}

/// The holders of an office (`role` at `unit_id`): a department's staff, a county's admins.
async fn office_holders<C: ConnectionTrait>(conn: &C, role: Role, unit_id: i64) -> DomainResult<Vec<i64>> {
    let rows = office_role::Entity::find()
        .filter(office_role::Column::Role.eq(role.as_str()))
        .filter(office_role::Column::UnitId.eq(unit_id))
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|r| r.user_id).collect())
}

/// The county the order's community is in.
async fn county_of<C: ConnectionTrait>(conn: &C, community_id: i64) -> DomainResult<Option<i64>> {
    let Some(community) = community::Entity::find_by_id(community_id).one(conn).await? else { return Ok(None) };
    Ok(street::Entity::find_by_id(community.street_id).one(conn).await?.and_then(|s| s.county_id))
}

/// Who hears of a step of 吹哨报到: the street when an order reaches it (or
/// comes back to it, or a department reports done), the department when an
/// order is routed to it or the community answers, the community when the
/// street sends it back or a department asks, the county when a department
/// is overdue.
pub(super) async fn tell_after(txn: &DatabaseTransaction, moved: &Moved<'_, order::Entity>) -> DomainResult<()> {
    let (order, at) = (moved.after, moved.at);
    let name = format!("“{}”（#{}）", order.title, order.id);
    let note = moved.note.unwrap_or_default();
    match moved.action {
        OrderAction::Escalate
        | OrderAction::EscalateUnclaimed
        | OrderAction::EscalateOverdue
        | OrderAction::EscalateAfterVisit => {
            let body = format!("社区上报了服务单{name}，请分派给职能部门、退回社区或在街道办结。{note}");
            let notice = OrderNotice {
                kind: "ORDER_ESCALATED_TO_STREET", title: "社区吹哨：有服务单待街道处理", body
            };
            notice.to(txn, order, street_reviewers(txn, order.community_id).await?, at).await
        }
        OrderAction::MissAcceptance => {
            let body = format!("服务单{name}未在应哨时限内被职能部门接单，已退回街道，请重新分派。");
            let notice = OrderNotice { kind: "ORDER_NOT_ACCEPTED", title: "部门超时未应哨", body };
            notice.to(txn, order, street_reviewers(txn, order.community_id).await?, at).await
        }
        OrderAction::CompleteRouted => {
            let body = format!("职能部门已办结服务单{name}，请确认。");
            let notice =
                OrderNotice { kind: "ORDER_DEPARTMENT_COMPLETED", title: "部门已办结，待街道确认", body };
            notice.to(txn, order, street_reviewers(txn, order.community_id).await?, at).await
        }
        OrderAction::Route | OrderAction::AnswerDepartment => {
            let Some(department) = order.department_id else { return Ok(()) };
            let (kind, title, body) = if moved.action == OrderAction::Route {
                let due = order.route_due_at.map(deadlines::local_time).unwrap_or_default();
                (
                    "ORDER_ROUTED",
                    "街道派单：请应哨",
                    format!("街道分派了服务单{name}，请及时接单，{due} 前办结。{note}"),
                )
            } else {
                ("ORDER_INFORMATION_ANSWERED", "社区已答复", format!("社区答复了关于服务单{name}的询问：{note}"))
            };
            let notice = OrderNotice { kind, title, body };
            notice.to(txn, order, office_holders(txn, Role::DepartmentStaff, department).await?, at).await
        }
        OrderAction::AskCommunity | OrderAction::ReturnToCommunity => {
            let (kind, title, body) = if moved.action == OrderAction::AskCommunity {
                ("ORDER_INFORMATION_REQUESTED", "职能部门询问情况", format!("职能部门询问服务单{name}：{note}"))
            } else {
                ("ORDER_RETURNED_BY_STREET", "街道退回服务单", format!("街道把服务单{name}退回社区：{note}"))
            };
            let notice = OrderNotice { kind, title, body };
            notice.to(txn, order, people_with_roles(txn, order.community_id, &[Role::Secretary]).await?, at).await
        }
        OrderAction::AlertDepartmentOverdue => {
            let Some(county) = county_of(txn, order.community_id).await? else { return Ok(()) };
            let due = order.route_due_at.map(deadlines::local_time).unwrap_or_default();
            let body = format!("服务单{name}已过街道规定的办结时限（{due}），职能部门仍未办结，请督办。");
            let notice = OrderNotice { kind: "ORDER_DEPARTMENT_OVERDUE", title: "职能部门超期未办结", body };
            notice.to(txn, order, office_holders(txn, Role::CountyAdmin, county).await?, at).await
        }
        _ => Ok(()),
    }
}
