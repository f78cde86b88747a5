//! 吹哨报到: the street's queue and its steps (route, return, resolve,
//! confirm), and the department's (accept, ask, complete). The rules and
//! the machine are in `domain::orders`; these resolvers parse and call.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use domain::orders as d;
use domain::pagination::PageRequest;

use super::orders::{InformationRequest, Order, OrderStatus, prime_order_page};
use super::org::Department;
use super::pages::{Counted, page_to_connection};
use super::{OrGql, actor, domain, parse_id};

#[derive(Default)]
pub struct StreetQuery;

#[derive(Default)]
pub struct StreetMutation;

type OrderConnection = Connection<String, Order, Counted>;

async fn connection(ctx: &Context<'_>, mut page: d::OrderPage) -> OrderConnection {
    prime_order_page(ctx, &mut page).await;
    page_to_connection(page.page, |o| o.id, Order)
}

#[Object]
impl StreetQuery {
    /// The street's orders from its communities, oldest first: by default
    /// those waiting on the street (ESCALATED: to route, return or resolve;
    /// DEPARTMENT_COMPLETED: to confirm); with `status`, those in it. For
    /// the street's reviewers. `first` is 1–100 (default 20).
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn street_queue(
        &self,
        ctx: &Context<'_>,
        street_id: ID,
        status: Option<OrderStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<OrderConnection> {
        let actor = actor(ctx).await?;
        let page = PageRequest::new(first, after.as_deref()).gql()?;
        let street = parse_id(&street_id, "street")?;
        let orders = domain(ctx).orders().street_queue(actor, street, status.map(Into::into), page).await.gql()?;
        Ok(connection(ctx, orders).await)
    }

    /// The orders routed to a department, oldest first: by default those
    /// with it (ROUTED: to accept; DEPARTMENT_ACCEPTED: to work on); with
    /// `status`, those in it. For the department's staff.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn department_queue(
        &self,
        ctx: &Context<'_>,
        department_id: ID,
        status: Option<OrderStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<OrderConnection> {
        let actor = actor(ctx).await?;
        let page = PageRequest::new(first, after.as_deref()).gql()?;
        let department = parse_id(&department_id, "department")?;
        let orders =
            domain(ctx).orders().department_queue(actor, department, status.map(Into::into), page).await.gql()?;
        Ok(connection(ctx, orders).await)
    }

    /// The departments a street routes to: its own first, then its
    /// county's. For the street's reviewers.
    async fn departments(&self, ctx: &Context<'_>, street_id: ID) -> Result<Vec<Department>> {
        let actor = actor(ctx).await?;
        let street = parse_id(&street_id, "street")?;
        Ok(domain(ctx).orders().departments_for(actor, street).await.gql()?.into_iter().map(Department).collect())
    }
}

#[Object]
impl StreetMutation {
    /// The street routes an ESCALATED order to one of its departments or its
    /// county's (街道分哨), with what to do and by when: → ROUTED. The
    /// department must accept within its acceptance SLA (`acceptDueAt`), or
    /// the order comes back to the street. Street reviewers.
    async fn route_order(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        department_id: ID,
        instruction: String,
        due_at: DateTime<Utc>,
    ) -> Result<Order> {
        let actor = actor(ctx).await?;
        let (order, department) = (parse_id(&order_id, "order")?, parse_id(&department_id, "department")?);
        domain(ctx).orders().route(actor, order, department, &instruction, due_at).await.map(Order).gql()
    }

    /// The street sends an ESCALATED order back to the community's pool
    /// (→ OPEN), with its instruction in the history. Street reviewers.
    async fn return_order_to_community(&self, ctx: &Context<'_>, order_id: ID, instruction: String) -> Result<Order> {
        let actor = actor(ctx).await?;
        let order = parse_id(&order_id, "order")?;
        domain(ctx).orders().return_to_community(actor, order, &instruction).await.map(Order).gql()
    }

    /// The street resolves an ESCALATED order itself: → APPROVED, to be
    /// rated as any approved order. Street reviewers.
    async fn resolve_escalation(&self, ctx: &Context<'_>, order_id: ID, note: String) -> Result<Order> {
        let actor = actor(ctx).await?;
        let order = parse_id(&order_id, "order")?;
        domain(ctx).orders().resolve_escalation(actor, order, &note).await.map(Order).gql()
    }

    /// The department takes a ROUTED order on (部门应哨): → DEPARTMENT_ACCEPTED.
    /// Staff of the department it was routed to.
    async fn accept_routed_order(&self, ctx: &Context<'_>, order_id: ID) -> Result<Order> {
        let actor = actor(ctx).await?;
        domain(ctx).orders().accept_routed(actor, parse_id(&order_id, "order")?).await.map(Order).gql()
    }

    /// The department asks the community about an order it holds; the
    /// community's secretaries are told, and its staff answer with
    /// `answerInformationRequest`.
    async fn request_information(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        question: String,
    ) -> Result<InformationRequest> {
        let actor = actor(ctx).await?;
        let order = parse_id(&order_id, "order")?;
        domain(ctx).orders().request_information(actor, order, &question).await.map(InformationRequest).gql()
    }

    /// The community's staff answer a department's question, once; the
    /// department's staff are told.
    async fn answer_information_request(
        &self,
        ctx: &Context<'_>,
        request_id: ID,
        answer: String,
    ) -> Result<InformationRequest> {
        let actor = actor(ctx).await?;
        let request = parse_id(&request_id, "information request")?;
        domain(ctx).orders().answer_information_request(actor, request, &answer).await.map(InformationRequest).gql()
    }

    /// The department reports its work done, with a note and photos (URLs
    /// from `POST /uploads`): → DEPARTMENT_COMPLETED, for the street to confirm.
    async fn complete_routed_order(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        note: String,
        #[graphql(default)] photo_urls: Vec<String>,
    ) -> Result<Order> {
        let actor = actor(ctx).await?;
        let order = parse_id(&order_id, "order")?;
        domain(ctx).orders().complete_routed(actor, order, &note, &photo_urls).await.map(Order).gql()
    }

    /// The street confirms a department's work: → APPROVED, to be rated. Street reviewers.
    async fn confirm_routed_order(&self, ctx: &Context<'_>, order_id: ID) -> Result<Order> {
        let actor = actor(ctx).await?;
        domain(ctx).orders().confirm_routed(actor, parse_id(&order_id, "order")?).await.map(Order).gql()
    }
}
