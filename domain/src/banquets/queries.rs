//! Reading bookings: the calendar (no names), your own, the community's,
//! histories.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use super::Banquets;
use super::machine::BanquetStatus;
use super::model::{BanquetEvent, BanquetKind, Booking, MAX_CALENDAR_DAYS, TakenDay, may_list};
use crate::entities::{banquet_booking, banquet_menu, banquet_venue};
use crate::error::{DomainError, DomainResult};
use crate::org::Actor;
use crate::org::authority;
use crate::pagination::{Page, PageRequest};
use crate::workflow::{self, Subject};

impl Banquets<'_> {
    /// Which venue-days are taken between `from` and `to` (inclusive), for
    /// anyone in the community; no names, phones or kinds.
    pub async fn calendar(
        self,
        actor: &Actor,
        community_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> DomainResult<Vec<TakenDay>> {
        actor.require_member(community_id)?;
        if to < from {
            return Err(DomainError::bad_input("to", "`to` must not be before `from`"));
        }
        if (to - from).num_days() >= MAX_CALENDAR_DAYS {
            return Err(DomainError::bad_input("to", format!("ask for at most {MAX_CALENDAR_DAYS} days at a time")));
        }
        let rows = banquet_booking::Entity::find()
            .filter(banquet_booking::Column::CommunityId.eq(community_id))
            .filter(banquet_booking::Column::HeldOn.gte(from))
            .filter(banquet_booking::Column::HeldOn.lte(to))
            .filter(banquet_booking::Column::ActiveKey.is_not_null())
            .order_by_asc(banquet_booking::Column::HeldOn)
            .order_by_asc(banquet_booking::Column::VenueId)
            .all(&self.d.db)
            .await?;
        let venues = self.venue_names(rows.iter().map(|r| r.venue_id)).await?;
        rows.into_iter()
            .map(|r| {
                let status = BanquetStatus::parse(&r.status)?;
                Ok(TakenDay {
                    venue_name: venues.get(&r.venue_id).cloned().unwrap_or_default(),
                    venue_id: r.venue_id,
                    date: r.held_on,
                    confirmed: status.is_confirmed(),
                })
            })
            .collect()
    }

    /// Your own bookings, newest first (the last 100), in one community or all.
    pub async fn mine(self, actor: &Actor, community_id: Option<i64>) -> DomainResult<Vec<Booking>> {
        let mut query = banquet_booking::Entity::find().filter(banquet_booking::Column::BookedBy.eq(actor.user_id));
        if let Some(c) = community_id {
            actor.require_member(c)?;
            query = query.filter(banquet_booking::Column::CommunityId.eq(c));
        }
        let rows = query.order_by_desc(banquet_booking::Column::Id).limit(100).all(&self.d.db).await?;
        self.hydrate(rows).await
    }

    /// The community's bookings, newest first, for the council, the canteen,
    /// the secretary and grid workers.
    pub async fn list(
        self,
        actor: &Actor,
        community_id: i64,
        status: Option<BanquetStatus>,
        page: PageRequest,
    ) -> DomainResult<Page<Booking>> {
        actor.require_member(community_id)?;
        if !may_list(actor, community_id) {
            return Err(authority::BANQUET_BOOKINGS.refused());
        }
        let mut cond = Condition::all().add(banquet_booking::Column::CommunityId.eq(community_id));
        if let Some(s) = status {
            cond = cond.add(banquet_booking::Column::Status.eq(s.as_str()));
        }
        let total_count = banquet_booking::Entity::find().filter(cond.clone()).count(&self.d.db).await?;
        let mut query = banquet_booking::Entity::find().filter(cond);
        if let Some(after) = page.after {
            query = query.filter(banquet_booking::Column::Id.lt(after));
        }
        let mut rows = query.order_by_desc(banquet_booking::Column::Id).limit(page.first + 1).all(&self.d.db).await?;
        let has_next_page = rows.len() as u64 > page.first;
        rows.truncate(page.first as usize);
        Ok(Page {
            items: self.hydrate(rows).await?,
            has_next_page,
            has_previous_page: page.after.is_some(),
            total_count,
        })
    }

    /// Histories of many bookings in one statement, oldest event first.
    pub async fn histories(self, ids: &[i64]) -> DomainResult<HashMap<i64, Vec<BanquetEvent>>> {
        workflow::histories(&self.d.db, Subject::Banquet, ids).await
    }

    async fn venue_names(self, ids: impl Iterator<Item = i64>) -> DomainResult<HashMap<i64, String>> {
        let ids: Vec<i64> = ids.collect();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        Ok(banquet_venue::Entity::find()
            .filter(banquet_venue::Column::Id.is_in(ids))
            .all(&self.d.db)
            .await?
            .into_iter()
            .map(|v| (v.id, v.name))
            .collect())
    }

    pub(crate) async fn hydrate_one(self, row: banquet_booking::Model) -> DomainResult<Booking> {
        self.hydrate(vec![row]).await?.pop().ok_or(DomainError::NotFound("banquet booking"))
    }

    /// Rows with their venue and menu names, in two statements.
    async fn hydrate(self, rows: Vec<banquet_booking::Model>) -> DomainResult<Vec<Booking>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let venues = self.venue_names(rows.iter().map(|r| r.venue_id)).await?;
        let menus: HashMap<i64, String> = banquet_menu::Entity::find()
            .filter(banquet_menu::Column::Id.is_in(rows.iter().map(|r| r.menu_id)))
            .all(&self.d.db)
            .await?
            .into_iter()
            .map(|m| (m.id, m.name))
            .collect();
        rows.into_iter()
            .map(|m| {
                Ok(Booking {
                    id: m.id,
                    community_id: m.community_id,
                    venue_id: m.venue_id,
                    venue_name: venues.get(&m.venue_id).cloned().unwrap_or_default(),
                    menu_id: m.menu_id,
                    menu_name: menus.get(&m.menu_id).cloned().unwrap_or_default(),
                    booked_by: m.booked_by,
                    date: m.held_on,
                    kind: BanquetKind::parse(&m.kind)?,
                    host_name: m.host_name,
                    contact_phone: m.contact_phone,
                    tables: m.tables,
                    guests: m.guests,
                    price_per_table_fen: m.price_per_table_fen,
                    total_fen: m.total_fen,
                    note: m.note,
                    status: BanquetStatus::parse(&m.status)?,
                    decided_by: m.decided_by,
                    decided_at: m.decided_at,
                    decline_reason: m.decline_reason,
                    cancelled_by: m.cancelled_by,
                    cancelled_at: m.cancelled_at,
                    cancel_reason: m.cancel_reason,
                    held_at: m.held_at,
                    created_at: m.created_at,
                })
            })
            .collect()
    }
}
