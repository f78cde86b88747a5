//! Home visits (走访): grid workers and household leads log their visits to
//! elders with a care profile; each elder has a visit interval, and the staff
//! see who is overdue. A follow-up is kept as text and a flag until it
//! becomes a care request (`care_request_id`).

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Asia::Shanghai;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use serde::Serialize;

use super::Care;
use super::profiles::CLOCK_SKEW_MINUTES;
use crate::entities::{care_profile, care_visit};
use crate::error::{DomainError, DomainResult};
use crate::org::Actor;
use crate::org::authority;
use crate::pagination::{Page, PageRequest};
use crate::{idempotency, validate};

/// A home visit to an elder, as recorded.
pub type Visit = care_visit::Model;

#[derive(Clone, Debug, Serialize)]
pub struct LogVisit {
    pub elder_id: i64,
    pub visited_at: DateTime<Utc>,
    pub notes: String,
    pub follow_up_needed: bool,
    pub follow_up: Option<String>,
}

/// An elder not seen within their interval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverdueVisit {
    pub profile_id: i64,
    pub community_id: i64,
    pub elder_id: i64,
    pub grid_worker_id: Option<i64>,
    pub household_lead_id: Option<i64>,
    pub visit_interval_days: i32,
    /// `None` when never visited (the interval then runs from the profile's creation).
    pub last_visit_at: Option<DateTime<Utc>>,
    pub due_at: DateTime<Utc>,
    /// Whole calendar days (Asia/Shanghai) from the day it fell due to today.
    pub days_overdue: i64,
}

const LOG_VISIT_SCOPE: &str = "logVisit";

impl Care<'_> {
    /// The assigned grid worker or household lead, or any grid worker or
    /// secretary of the community, logs a visit.
    pub async fn log_visit(self, actor: &Actor, input: LogVisit, idempotency_key: Option<&str>) -> DomainResult<Visit> {
        let hash = idempotency::request_hash(&input)?;
        idempotency::once(
            &self.d.db,
            actor.user_id,
            LOG_VISIT_SCOPE,
            idempotency_key,
            &hash,
            || self.insert_visit(actor, input, idempotency_key.map(|k| (k, hash.as_str()))),
            |id| self.load_visit(id),
        )
        .await
    }

    async fn insert_visit(
        self,
        actor: &Actor,
        input: LogVisit,
        idempotency: Option<(&str, &str)>,
    ) -> DomainResult<Visit> {
        let profile = self.profile(actor, input.elder_id).await?;
        // The profile is one the actor may see: another grid's elders are not found.
        let assigned = profile.is_grid_worker(actor) || profile.is_household_lead(actor);
        actor.require_theirs_or(&authority::LOG_VISIT, profile.community_id, assigned)?;
        let now = self.d.clock.now();
        if input.visited_at > now + Duration::minutes(CLOCK_SKEW_MINUTES) {
            return Err(DomainError::bad_input("visitedAt", "a visit cannot be logged before it happens"));
        }
        let notes = validate::required_text("notes", &input.notes, 1000)?;
        let follow_up = validate::optional_text("followUp", input.follow_up, 500)?;
        match (input.follow_up_needed, &follow_up) {
            (true, None) => {
                return Err(DomainError::bad_input("followUp", "say what needs following up"));
            }
            (false, Some(_)) => {
                return Err(DomainError::bad_input(
                    "followUp",
                    "a follow-up was described but followUpNeeded is false; tick it or clear the text",
                ));
            }
            _ => {}
        }
        let txn = self.d.db.begin().await?;
        let care_request_id = match (input.follow_up_needed, &follow_up) {
            (true, Some(text)) => {
                Some(self.follow_up_request(&txn, actor, profile.community_id, profile.elder_id, text, now).await?)
            }
            _ => None,
        };
        let household = self.d.org().household_of(&txn, profile.elder_id).await?;
        let row = care_visit::ActiveModel {
            community_id: Set(profile.community_id),
            household_id: Set(household),
            elder_id: Set(profile.elder_id),
            visitor_id: Set(actor.user_id),
            visited_at: Set(input.visited_at),
            notes: Set(notes),
            follow_up_needed: Set(input.follow_up_needed),
            follow_up: Set(follow_up),
            care_request_id: Set(care_request_id),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        if let Some((key, hash)) = idempotency {
            idempotency::remember(&txn, actor.user_id, LOG_VISIT_SCOPE, key, hash, row.id, now).await?;
        }
        txn.commit().await?;
        Ok(row)
    }

    async fn load_visit(self, id: i64) -> DomainResult<Visit> {
        care_visit::Entity::find_by_id(id).one(&self.d.db).await?.ok_or(DomainError::NotFound("visit"))
    }

    /// Visits to one elder, newest logged first: for the elder and whoever may see their profile.
    pub async fn visits(self, actor: &Actor, elder_id: i64, page: PageRequest) -> DomainResult<Page<Visit>> {
        let profile = self.profile(actor, elder_id).await?;
        let cond = Condition::all()
            .add(care_visit::Column::ElderId.eq(profile.elder_id))
            .add(care_visit::Column::CommunityId.eq(profile.community_id));
        let total_count = care_visit::Entity::find().filter(cond.clone()).count(&self.d.db).await?;
        let mut query = care_visit::Entity::find().filter(cond);
        if let Some(after) = page.after {
            query = query.filter(care_visit::Column::Id.lt(after));
        }
        let mut rows = query.order_by_desc(care_visit::Column::Id).limit(page.first + 1).all(&self.d.db).await?;
        let has_next_page = rows.len() as u64 > page.first;
        rows.truncate(page.first as usize);
        Ok(Page { items: rows, has_next_page, has_previous_page: page.after.is_some(), total_count })
    }

    /// Elders whose last visit (or profile creation) plus their interval is
    /// before now, most overdue first. For the community's staff.
    pub async fn overdue_visits(self, actor: &Actor, community_id: i64) -> DomainResult<Vec<OverdueVisit>> {
        actor.require(&authority::OVERDUE_VISITS, community_id)?;
        let now = self.d.clock.now();
        let mut profiles = care_profile::Entity::find().filter(care_profile::Column::CommunityId.eq(community_id));
        // A grid worker sees the elders of her own grid.
        if let Some(people) = crate::org::Org::people_looked_after(actor, community_id) {
            profiles = profiles.filter(care_profile::Column::ElderId.in_subquery(people));
        }
        let profiles = profiles.all(&self.d.db).await?;
        let ids: Vec<i64> = profiles.iter().map(|p| p.elder_id).collect();
        let latest = self.latest_visits(&self.d.db, &ids).await?;
        let today = now.with_timezone(&Shanghai).date_naive();
        let mut overdue: Vec<OverdueVisit> = profiles
            .into_iter()
            .filter_map(|p| {
                let last = latest.get(&p.elder_id).copied();
                let due_at = last.unwrap_or(p.created_at) + Duration::days(i64::from(p.visit_interval_days));
                (due_at < now).then(|| OverdueVisit {
                    profile_id: p.id,
                    community_id: p.community_id,
                    elder_id: p.elder_id,
                    grid_worker_id: p.grid_worker_id,
                    household_lead_id: p.household_lead_id,
                    visit_interval_days: p.visit_interval_days,
                    last_visit_at: last,
                    due_at,
                    days_overdue: (today - due_at.with_timezone(&Shanghai).date_naive()).num_days(),
                })
            })
            .collect();
        overdue.sort_by_key(|o| (o.due_at, o.elder_id));
        Ok(overdue)
    }
}
