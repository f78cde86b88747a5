//! Reading orders: one order's history, lists and the pool, each a page in
//! one statement.

use std::collections::HashMap;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Order as SortOrder, Query, UnionType};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, Iterable, QueryFilter};

use super::Orders;
use super::machine::OrderStatus;
use super::model::{Order, OrderEvent, OrderFilter, OrderPage};
use crate::entities::{community, order, user};
use crate::error::{DomainError, DomainResult};
use crate::org::authority;
use crate::org::{Actor, Community, UserSummary};
use crate::pagination::{Page, PageRequest};
use crate::workflow::{self, Subject};

impl Orders<'_> {
    /// The histories of many orders and the names of everyone who acted in them, in one statement.
    pub async fn histories_with_actors(
        self,
        order_ids: &[i64],
    ) -> DomainResult<(HashMap<i64, Vec<OrderEvent>>, HashMap<i64, UserSummary>)> {
        workflow::histories_with_actors(&self.d.db, Subject::Order, order_ids).await
    }

    pub(crate) async fn by_id(self, ids: &[i64]) -> DomainResult<HashMap<i64, Order>> {
        order::Entity::find()
            .filter(order::Column::Id.is_in(ids.iter().copied()))
            .all(&self.d.db)
            .await?
            .into_iter()
            .map(|m| Ok((m.id, Order::try_from(m)?)))
            .collect()
    }

    /// Many orders in one statement, leaving out those the actor may not see
    /// (a live feed reads the orders of the events waiting for it at once).
    pub async fn visible_to(self, actor: &Actor, ids: &[i64]) -> DomainResult<HashMap<i64, Order>> {
        let mut found = self.by_id(ids).await?;
        found.retain(|_, order| order.visible_to(actor));
        Ok(found)
    }

    /// Orders the actor may see, newest first.
    pub async fn list(
        self,
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
        let helper_communities = actor.communities_for(&authority::ORDERS);
        if !helper_communities.is_empty() {
            branches.push(Condition::all().add(order::Column::CommunityId.is_in(helper_communities)));
        }
        let street_communities = actor.communities_with(authority::STREET);
        if !street_communities.is_empty() {
            branches.push(
                Condition::all()
                    .add(order::Column::CommunityId.is_in(street_communities))
                    .add(order::Column::EscalatedAt.is_not_null()),
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
    pub async fn pool(
        self,
        actor: &Actor,
        community_id: i64,
        page: PageRequest,
        count: bool,
    ) -> DomainResult<OrderPage> {
        actor.require(&authority::ORDER_POOL, community_id)?;
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
    pub(super) async fn page_of_orders(
        self,
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
        let rows = self.d.db.query_all(&query).await?;
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
            let row = self.d.db.query_one(&total()).await?;
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
}

/// `a AND b`, leaving out an empty `b`.
fn both(a: Condition, b: Condition) -> Condition {
    if b.is_empty() { a } else { Condition::all().add(a).add(b) }
}
