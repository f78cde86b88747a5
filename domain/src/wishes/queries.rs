//! Reading wishes: histories and lists.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use super::Wishes;
use super::machine::WishStatus;
use super::model::{Wish, WishEvent, WishFilter};
use crate::entities::wish;
use crate::error::DomainResult;
use crate::org::Actor;
use crate::org::authority;
use crate::pagination::{Page, PageRequest};
use crate::workflow::{self, Status, Subject};

impl Wishes<'_> {
    pub async fn histories(self, ids: &[i64]) -> DomainResult<HashMap<i64, Vec<WishEvent>>> {
        workflow::histories(&self.d.db, Subject::Wish, ids).await
    }

    /// Wishes the actor may see, newest first.
    pub async fn list(self, actor: &Actor, filter: WishFilter, page: PageRequest) -> DomainResult<Page<Wish>> {
        let me = actor.user_id;
        let mut visible = Condition::any()
            .add(wish::Column::PlacedBy.eq(me))
            .add(wish::Column::OnBehalfOf.eq(me))
            .add(wish::Column::ClaimantId.eq(me));
        let staff = actor.communities_for(&authority::WISHES);
        if !staff.is_empty() {
            visible = visible.add(wish::Column::CommunityId.is_in(staff));
        }
        let helpers = actor.communities_for(&authority::CLAIM_WISH);
        if !helpers.is_empty() {
            visible = visible.add(
                Condition::all()
                    .add(wish::Column::CommunityId.is_in(helpers))
                    .add(wish::Column::Status.is_in(WishStatus::texts_where(WishStatus::is_reviewed))),
            );
        }
        let mut cond = Condition::all().add(visible);
        if let Some(c) = filter.community_id {
            actor.require_member(c)?;
            cond = cond.add(wish::Column::CommunityId.eq(c));
        }
        if let Some(s) = filter.status {
            cond = cond.add(wish::Column::Status.eq(s.as_str()));
        }
        if filter.mine {
            cond = cond.add(Condition::any().add(wish::Column::PlacedBy.eq(me)).add(wish::Column::OnBehalfOf.eq(me)));
        }
        if filter.claimed_by_me {
            cond = cond.add(wish::Column::ClaimantId.eq(me));
        }
        let total_count = wish::Entity::find().filter(cond.clone()).count(&self.d.db).await?;
        let mut query = wish::Entity::find().filter(cond);
        if let Some(after) = page.after {
            query = query.filter(wish::Column::Id.lt(after));
        }
        let mut rows = query.order_by_desc(wish::Column::Id).limit(page.first + 1).all(&self.d.db).await?;
        let has_next_page = rows.len() as u64 > page.first;
        rows.truncate(page.first as usize);
        Ok(Page {
            items: rows.into_iter().map(Wish::try_from).collect::<DomainResult<_>>()?,
            has_next_page,
            has_previous_page: page.after.is_some(),
            total_count,
        })
    }
}
