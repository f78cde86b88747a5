//! Reading tasks: one task, the day's list with its counts, the open list
//! for the red service team, your own tasks, and the office's report.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use super::Lunchbox;
use super::machine::DeliveryStatus;
use super::model::{DayCounts, Delivery, DeliveryReportRow, RecipientCategory, sees_contact};
use crate::canteen::MealKind;
use crate::entities::{lunchbox_delivery, lunchbox_recipient, meal};
use crate::error::{DomainError, DomainResult};
use crate::org::Actor;
use crate::org::authority;
use crate::pagination::{Page, PageRequest};
use crate::privacy;
use crate::uploads::urls_from_json;
use crate::workflow::{self, Subject};

impl Lunchbox<'_> {
    /// Rows as the viewer may see them: recipient, meal, masking, history.
    pub(crate) async fn outs(self, actor: &Actor, rows: Vec<lunchbox_delivery::Model>) -> DomainResult<Vec<Delivery>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let recipients =
            crate::rows::by_ids::<lunchbox_recipient::Entity>(&self.d.db, rows.iter().map(|d| d.recipient_id)).await?;
        let meals = crate::rows::by_ids::<meal::Entity>(&self.d.db, rows.iter().map(|d| d.meal_id)).await?;
        let ids: Vec<i64> = rows.iter().map(|d| d.id).collect();
        let mut histories =
            workflow::histories::<_, DeliveryStatus>(&self.d.db, Subject::LunchboxDelivery, &ids).await?;
        rows.into_iter()
            .map(|d| {
                let r = recipients
                    .get(&d.recipient_id)
                    .ok_or_else(|| DomainError::internal("delivery without recipient"))?;
                let m = meals.get(&d.meal_id).ok_or_else(|| DomainError::internal("delivery without meal"))?;
                let status = DeliveryStatus::parse(&d.status)?;
                let full = sees_contact(actor, &d, status, r);
                Ok(Delivery {
                    id: d.id,
                    community_id: d.community_id,
                    served_on: d.served_on,
                    status,
                    recipient_id: r.id,
                    recipient_name: r.name.clone(),
                    recipient_user_id: r.user_id,
                    category: RecipientCategory::parse(&r.category)?,
                    address: if full { r.address.clone() } else { privacy::mask_address(&r.address) },
                    phone: if full { r.phone.clone() } else { privacy::mask_phone(&r.phone) },
                    contact_masked: !full,
                    grid_worker_id: r.grid_worker_id,
                    meal_id: m.id,
                    meal_name: m.name.clone(),
                    meal_kind: MealKind::parse(&m.kind)?,
                    price_fen: d.price_fen,
                    claimant_id: d.claimant_id,
                    claimed_at: d.claimed_at,
                    delivered_at: d.delivered_at,
                    photo_urls: urls_from_json(d.photo_urls.as_deref())?,
                    photo_confirmed_at: d.photo_confirmed_at,
                    recipient_confirmed_at: d.recipient_confirmed_at,
                    cash_fen: d.cash_fen,
                    undelivered_reason: d.undelivered_reason,
                    cancelled_at: d.cancelled_at,
                    alerted_at: d.alerted_at,
                    created_at: d.created_at,
                    updated_at: d.updated_at,
                    history: histories.remove(&d.id).unwrap_or_default(),
                })
            })
            .collect()
    }

    pub(crate) async fn out(self, actor: &Actor, row: lunchbox_delivery::Model) -> DomainResult<Delivery> {
        self.outs(actor, vec![row]).await?.pop().ok_or_else(|| DomainError::internal("delivery vanished"))
    }

    pub(crate) async fn row(self, id: i64) -> DomainResult<lunchbox_delivery::Model> {
        lunchbox_delivery::Entity::find_by_id(id)
            .one(&self.d.db)
            .await?
            .ok_or(DomainError::NotFound("lunchbox delivery"))
    }

    /// A task in one of the actor's communities, with its status (`NOT_FOUND` otherwise).
    pub(crate) async fn member_row(
        self,
        actor: &Actor,
        id: i64,
    ) -> DomainResult<(lunchbox_delivery::Model, DeliveryStatus)> {
        let row = self.row(id).await?;
        if !actor.belongs_to(row.community_id) {
            return Err(DomainError::NotFound("lunchbox delivery"));
        }
        let status = DeliveryStatus::parse(&row.status)?;
        Ok((row, status))
    }

    pub(crate) async fn recipient_row(self, id: i64) -> DomainResult<lunchbox_recipient::Model> {
        lunchbox_recipient::Entity::find_by_id(id)
            .one(&self.d.db)
            .await?
            .ok_or(DomainError::NotFound("lunchbox recipient"))
    }

    /// One task: for staff and the canteen, its claimant, its recipient, and
    /// the red service team while it is open.
    pub async fn get(self, actor: &Actor, id: i64) -> DomainResult<Delivery> {
        let (row, status) = self.member_row(actor, id).await?;
        let recipient = self.recipient_row(row.recipient_id).await?;
        let c = row.community_id;
        let visible = actor.may(&authority::LUNCHBOX_DELIVERY, c)
            || row.claimant_id == Some(actor.user_id)
            || recipient.user_id == Some(actor.user_id)
            || (status == DeliveryStatus::Open && actor.may(&authority::CLAIM_LUNCHBOX_DELIVERY, c));
        if !visible {
            return Err(DomainError::NotFound("lunchbox delivery"));
        }
        self.out(actor, row).await
    }

    async fn day_counts(self, community_id: i64, day: NaiveDate) -> DomainResult<DayCounts> {
        let statuses: Vec<String> = lunchbox_delivery::Entity::find()
            .select_only()
            .column(lunchbox_delivery::Column::Status)
            .filter(lunchbox_delivery::Column::CommunityId.eq(community_id))
            .filter(lunchbox_delivery::Column::ServedOn.eq(day))
            .into_tuple()
            .all(&self.d.db)
            .await?;
        let mut counts = DayCounts::default();
        for s in statuses {
            match DeliveryStatus::parse(&s)? {
                DeliveryStatus::Open => counts.open += 1,
                DeliveryStatus::Claimed => counts.claimed += 1,
                DeliveryStatus::Delivered => counts.delivered += 1,
                DeliveryStatus::Undelivered => counts.undelivered += 1,
                DeliveryStatus::Cancelled => counts.cancelled += 1,
            }
        }
        Ok(counts)
    }

    async fn page(
        self,
        actor: &Actor,
        filter: Condition,
        newest_first: bool,
        page: PageRequest,
    ) -> DomainResult<Page<Delivery>> {
        let total_count = lunchbox_delivery::Entity::find().filter(filter.clone()).count(&self.d.db).await?;
        let mut query = lunchbox_delivery::Entity::find().filter(filter);
        query = match (page.after, newest_first) {
            (Some(after), true) => query.filter(lunchbox_delivery::Column::Id.lt(after)),
            (Some(after), false) => query.filter(lunchbox_delivery::Column::Id.gt(after)),
            (None, _) => query,
        };
        query = if newest_first {
            query.order_by_desc(lunchbox_delivery::Column::Id)
        } else {
            query.order_by_asc(lunchbox_delivery::Column::Id)
        };
        let mut rows = query.limit(page.first + 1).all(&self.d.db).await?;
        let has_next_page = rows.len() as u64 > page.first;
        rows.truncate(page.first as usize);
        let items = self.outs(actor, rows).await?;
        Ok(Page { items, has_next_page, has_previous_page: page.after.is_some(), total_count })
    }

    /// The day's tasks for staff and the canteen, with the day's counts.
    pub async fn day(
        self,
        actor: &Actor,
        community_id: i64,
        day: NaiveDate,
        status: Option<DeliveryStatus>,
        page: PageRequest,
    ) -> DomainResult<(Page<Delivery>, DayCounts)> {
        actor.require(&authority::LUNCHBOX_DELIVERIES, community_id)?;
        let mut filter = Condition::all()
            .add(lunchbox_delivery::Column::CommunityId.eq(community_id))
            .add(lunchbox_delivery::Column::ServedOn.eq(day));
        if let Some(s) = status {
            filter = filter.add(lunchbox_delivery::Column::Status.eq(s.as_str()));
        }
        let page = self.page(actor, filter, false, page).await?;
        Ok((page, self.day_counts(community_id, day).await?))
    }

    /// Open tasks the red service team can claim (addresses masked until claimed).
    pub async fn open(
        self,
        actor: &Actor,
        community_id: i64,
        day: NaiveDate,
        page: PageRequest,
    ) -> DomainResult<Page<Delivery>> {
        actor.require(&authority::OPEN_LUNCHBOX_DELIVERIES, community_id)?;
        let filter = Condition::all()
            .add(lunchbox_delivery::Column::CommunityId.eq(community_id))
            .add(lunchbox_delivery::Column::ServedOn.eq(day))
            .add(lunchbox_delivery::Column::Status.eq(DeliveryStatus::Open.as_str()));
        self.page(actor, filter, false, page).await
    }

    /// The tasks you claimed (in any community), newest first.
    pub async fn mine(
        self,
        actor: &Actor,
        status: Option<DeliveryStatus>,
        page: PageRequest,
    ) -> DomainResult<Page<Delivery>> {
        let mut filter = Condition::all().add(lunchbox_delivery::Column::ClaimantId.eq(actor.user_id));
        if let Some(s) = status {
            filter = filter.add(lunchbox_delivery::Column::Status.eq(s.as_str()));
        }
        self.page(actor, filter, true, page).await
    }

    /// Every task from `from` to `to` (inclusive), by day, for the office's
    /// export (staff only; at most a year at a time).
    pub async fn report(
        self,
        actor: &Actor,
        community_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> DomainResult<Vec<DeliveryReportRow>> {
        actor.require(&authority::EXPORT_LUNCHBOX_DELIVERIES, community_id)?;
        if from > to {
            return Err(DomainError::bad_input("from", "the first day comes before the last"));
        }
        if to - from > Duration::days(366) {
            return Err(DomainError::bad_input("to", "export at most a year at a time"));
        }
        let rows = lunchbox_delivery::Entity::find()
            .filter(lunchbox_delivery::Column::CommunityId.eq(community_id))
            .filter(lunchbox_delivery::Column::ServedOn.gte(from))
            .filter(lunchbox_delivery::Column::ServedOn.lte(to))
            .order_by_asc(lunchbox_delivery::Column::ServedOn)
            .order_by_asc(lunchbox_delivery::Column::Id)
            .all(&self.d.db)
            .await?;
        let recipients = crate::rows::keyed(
            lunchbox_recipient::Entity::find()
                .filter(lunchbox_recipient::Column::CommunityId.eq(community_id))
                .all(&self.d.db)
                .await?,
        )?;
        let meals = crate::rows::by_ids::<meal::Entity>(&self.d.db, rows.iter().map(|d| d.meal_id)).await?;
        let claimants: Vec<i64> = rows.iter().filter_map(|d| d.claimant_id).collect();
        let names = self.d.org().user_summaries(&claimants).await?;
        rows.into_iter()
            .map(|d| {
                let r = recipients
                    .get(&d.recipient_id)
                    .ok_or_else(|| DomainError::internal("delivery without recipient"))?;
                let m = meals.get(&d.meal_id).ok_or_else(|| DomainError::internal("delivery without meal"))?;
                Ok(DeliveryReportRow {
                    delivery_id: d.id,
                    served_on: d.served_on,
                    recipient_id: r.id,
                    recipient_name: r.name.clone(),
                    category: RecipientCategory::parse(&r.category)?,
                    meal_id: m.id,
                    meal_name: m.name.clone(),
                    meal_kind: MealKind::parse(&m.kind)?,
                    price_fen: d.price_fen,
                    status: DeliveryStatus::parse(&d.status)?,
                    claimant_id: d.claimant_id,
                    claimant_name: d.claimant_id.and_then(|c| names.get(&c)).map(|u| u.display_name.clone()),
                    claimed_at: d.claimed_at,
                    delivered_at: d.delivered_at,
                    photo_confirmed_at: d.photo_confirmed_at,
                    recipient_confirmed_at: d.recipient_confirmed_at,
                    cash_fen: d.cash_fen,
                    undelivered_reason: d.undelivered_reason,
                    cancelled_at: d.cancelled_at,
                    alerted_at: d.alerted_at,
                    created_at: d.created_at,
                })
            })
            .collect()
    }
}

impl Lunchbox<'_> {
    /// How many portions of each meal go out as lunchboxes (every task not
    /// cancelled), for the canteen's daily sheet.
    pub(crate) async fn portions_by_meal(self, meal_ids: &[i64]) -> DomainResult<HashMap<i64, i32>> {
        let statuses: Vec<(i64, String)> = lunchbox_delivery::Entity::find()
            .select_only()
            .columns([lunchbox_delivery::Column::MealId, lunchbox_delivery::Column::Status])
            .filter(lunchbox_delivery::Column::MealId.is_in(meal_ids.iter().copied()))
            .into_tuple()
            .all(&self.d.db)
            .await?;
        let mut portions = HashMap::new();
        for (meal_id, status) in statuses {
            if DeliveryStatus::parse(&status)?.takes_a_portion() {
                *portions.entry(meal_id).or_insert(0) += 1;
            }
        }
        Ok(portions)
    }
}
