//! The party member's year (四个一): claim a post, keep in touch with
//! households, join an activity, make a suggestion. Suggestions and the
//! households each member keeps in touch with live here, and the yearly
//! progress computed from all four.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait};

use crate::entities::{
    activity_signup, building, grid, household, household_assignment, household_contact, post_claim, suggestion,
};
use crate::error::{DomainError, DomainResult};
use crate::org::authority;
use crate::org::{Actor, Role, in_reach};
use crate::points::rules_for;
use crate::validate;

crate::area_service!(
    /// Suggestions, the households each member keeps in touch with, and the yearly 四个一.
    Duties
);

/// A member's suggestion to the community, and its answer.
pub type Suggestion = suggestion::Model;

#[derive(Clone, Debug)]
pub struct Household {
    pub id: i64,
    pub community_id: i64,
    pub label: String,
    pub building: String,
    pub grid: String,
}

/// A member's contact with a household in their charge.
pub type HouseholdContact = household_contact::Model;

crate::string_enum!(
    /// One of the four duties.
    Duty { ClaimPost, KeepInTouch, JoinActivity, MakeSuggestion }
);

/// A member's progress on the yearly 四个一.
#[derive(Clone, Debug)]
pub struct YearlyDuties {
    pub member_id: i64,
    pub community_id: i64,
    pub year: i32,
    pub posts_claimed: u32,
    pub households_assigned: u32,
    pub households_contacted: u32,
    pub households_target: u32,
    pub activities_joined: u32,
    pub service_minutes: i64,
    pub suggestions_made: u32,
    pub missing: Vec<Duty>,
}

impl YearlyDuties {
    pub fn complete(&self) -> bool {
        self.missing.is_empty()
    }
}

/// A year in Asia/Shanghai as a UTC range.
fn year_range(year: i32) -> DomainResult<(DateTime<Utc>, DateTime<Utc>)> {
    let start = |y: i32| {
        Shanghai
            .with_ymd_and_hms(y, 1, 1, 0, 0, 0)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| DomainError::bad_input("year", "this year is out of range"))
    };
    if !(2000..=2100).contains(&year) {
        return Err(DomainError::bad_input("year", "the year must be between 2000 and 2100"));
    }
    Ok((start(year)?, start(year + 1)?))
}

fn in_year(at: DateTime<Utc>, (from, to): (DateTime<Utc>, DateTime<Utc>)) -> bool {
    at >= from && at < to
}

impl Duties<'_> {
    pub async fn submit_suggestion(self, actor: &Actor, community_id: i64, text: &str) -> DomainResult<Suggestion> {
        actor.require_member(community_id)?;
        let text = validate::required_text("text", text, 2000)?;
        Ok(suggestion::ActiveModel {
            community_id: Set(community_id),
            member_id: Set(actor.user_id),
            text: Set(text),
            created_at: Set(self.d.clock.now()),
            ..Default::default()
        }
        .insert(&self.d.db)
        .await?)
    }

    pub async fn answer_suggestion(self, actor: &Actor, id: i64, answer: &str) -> DomainResult<Suggestion> {
        let row = in_reach::<suggestion::Entity>(&self.d.db, actor, id, "suggestion").await?;
        actor.require(&authority::ANSWER_SUGGESTION, row.community_id)?;
        let answer = validate::required_text("answer", answer, 2000)?;
        let mut active: suggestion::ActiveModel = row.into();
        active.answer = Set(Some(answer));
        active.answered_by = Set(Some(actor.user_id));
        active.answered_at = Set(Some(self.d.clock.now()));
        Ok(active.update(&self.d.db).await?)
    }

    /// The secretary sees all of the community's suggestions; others their own.
    pub async fn suggestions(self, actor: &Actor, community_id: i64) -> DomainResult<Vec<Suggestion>> {
        actor.require_member(community_id)?;
        let mut query = suggestion::Entity::find().filter(suggestion::Column::CommunityId.eq(community_id));
        if !actor.may(&authority::SUGGESTIONS, community_id) {
            query = query.filter(suggestion::Column::MemberId.eq(actor.user_id));
        }
        Ok(query.order_by_desc(suggestion::Column::Id).all(&self.d.db).await?)
    }

    // ---- households ----

    pub async fn households(self, actor: &Actor, community_id: i64) -> DomainResult<Vec<Household>> {
        actor.require(&authority::HOUSEHOLDS, community_id)?;
        let buildings = crate::rows::keyed(
            building::Entity::find().filter(building::Column::CommunityId.eq(community_id)).all(&self.d.db).await?,
        )?;
        let grids: HashMap<i64, String> = grid::Entity::find()
            .filter(grid::Column::CommunityId.eq(community_id))
            .all(&self.d.db)
            .await?
            .into_iter()
            .map(|g| (g.id, g.name))
            .collect();
        Ok(household::Entity::find()
            .filter(household::Column::CommunityId.eq(community_id))
            .order_by_asc(household::Column::Id)
            .all(&self.d.db)
            .await?
            .into_iter()
            .map(|h| {
                let b = buildings.get(&h.building_id);
                Household {
                    id: h.id,
                    community_id: h.community_id,
                    label: h.label,
                    building: b.map(|b| b.name.clone()).unwrap_or_default(),
                    grid: b.and_then(|b| grids.get(&b.grid_id).cloned()).unwrap_or_default(),
                }
            })
            .collect())
    }

    /// The secretary assigns households for a member to keep in touch with
    /// (1 by default, 5–8 under 包保). Assigning again adds; repeats are ignored.
    pub async fn assign_households(
        self,
        actor: &Actor,
        community_id: i64,
        member_id: i64,
        household_ids: &[i64],
        year: i32,
    ) -> DomainResult<Vec<i64>> {
        actor.require(&authority::ASSIGN_HOUSEHOLDS, community_id)?;
        year_range(year)?;
        if household_ids.is_empty() || household_ids.len() > 50 {
            return Err(DomainError::bad_input("householdIds", "assign 1 to 50 households at a time"));
        }
        if !self.d.org().roles_of(&self.d.db, member_id, community_id).await?.contains(&Role::PartyMember) {
            return Err(DomainError::bad_input("memberId", "this person is not a party member of the community"));
        }
        let found = household::Entity::find()
            .filter(household::Column::Id.is_in(household_ids.iter().copied()))
            .filter(household::Column::CommunityId.eq(community_id))
            .all(&self.d.db)
            .await?;
        let unique: HashSet<i64> = household_ids.iter().copied().collect();
        if found.len() != unique.len() {
            return Err(DomainError::bad_input("householdIds", "some of these households are not in the community"));
        }
        let txn = self.d.db.begin().await?;
        let existing: HashSet<i64> = household_assignment::Entity::find()
            .filter(household_assignment::Column::MemberId.eq(member_id))
            .filter(household_assignment::Column::Year.eq(year))
            .all(&txn)
            .await?
            .into_iter()
            .map(|a| a.household_id)
            .collect();
        for h in unique.iter().filter(|h| !existing.contains(h)) {
            household_assignment::ActiveModel {
                community_id: Set(community_id),
                member_id: Set(member_id),
                household_id: Set(*h),
                year: Set(year),
                assigned_by: Set(actor.user_id),
                created_at: Set(self.d.clock.now()),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
        txn.commit().await?;
        self.assigned_households(member_id, community_id, year).await
    }

    pub async fn assigned_households(self, member_id: i64, community_id: i64, year: i32) -> DomainResult<Vec<i64>> {
        Ok(household_assignment::Entity::find()
            .filter(household_assignment::Column::MemberId.eq(member_id))
            .filter(household_assignment::Column::CommunityId.eq(community_id))
            .filter(household_assignment::Column::Year.eq(year))
            .order_by_asc(household_assignment::Column::HouseholdId)
            .all(&self.d.db)
            .await?
            .into_iter()
            .map(|a| a.household_id)
            .collect())
    }

    /// A member records a contact with one of their households.
    pub async fn log_household_contact(
        self,
        actor: &Actor,
        household_id: i64,
        note: &str,
        contacted_at: Option<DateTime<Utc>>,
    ) -> DomainResult<HouseholdContact> {
        let home = in_reach::<household::Entity>(&self.d.db, actor, household_id, "household").await?;
        let now = self.d.clock.now();
        let at = contacted_at.unwrap_or(now);
        if at > now + Duration::minutes(5) {
            return Err(DomainError::bad_input("contactedAt", "a contact cannot be in the future"));
        }
        let year = at.with_timezone(&Shanghai).year();
        if !self.assigned_households(actor.user_id, home.community_id, year).await?.contains(&household_id) {
            return Err(DomainError::forbidden("this household is not assigned to you for that year"));
        }
        let note = validate::required_text("note", note, 1000)?;
        Ok(household_contact::ActiveModel {
            community_id: Set(home.community_id),
            member_id: Set(actor.user_id),
            household_id: Set(household_id),
            note: Set(note),
            contacted_at: Set(at),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&self.d.db)
        .await?)
    }

    // ---- the yearly 四个一 ----

    /// `community_id` defaults to the community the member is reported in to.
    pub async fn yearly(
        self,
        actor: &Actor,
        community_id: Option<i64>,
        member_id: i64,
        year: i32,
    ) -> DomainResult<YearlyDuties> {
        let community_id = match community_id {
            Some(c) => c,
            None => self.d.party().reported_in_community(member_id).await?.ok_or(DomainError::NotFound("member"))?,
        };
        actor.require_member(community_id)?;
        actor.require_theirs_or(&authority::YEARLY_DUTIES, community_id, actor.user_id == member_id)?;
        Ok(self.duties_of(community_id, &[member_id], year).await?.remove(0))
    }

    /// Every reported-in member's progress, the most behind first.
    pub async fn overview(self, actor: &Actor, community_id: i64, year: i32) -> DomainResult<Vec<YearlyDuties>> {
        actor.require(&authority::DUTIES_OVERVIEW, community_id)?;
        let mut members: Vec<i64> = self.d.points().reported_in_members(community_id).await?.into_keys().collect();
        members.sort();
        let mut all = self.duties_of(community_id, &members, year).await?;
        all.sort_by(|a, b| b.missing.len().cmp(&a.missing.len()).then(a.member_id.cmp(&b.member_id)));
        Ok(all)
    }

    async fn duties_of(self, community_id: i64, members: &[i64], year: i32) -> DomainResult<Vec<YearlyDuties>> {
        let range = year_range(year)?;
        let rules = rules_for(&self.d.db, community_id).await?;
        let ids = members.iter().copied();
        let claims = post_claim::Entity::find()
            .filter(post_claim::Column::CommunityId.eq(community_id))
            .filter(post_claim::Column::MemberId.is_in(ids.clone()))
            .all(&self.d.db)
            .await?;
        let assignments = household_assignment::Entity::find()
            .filter(household_assignment::Column::CommunityId.eq(community_id))
            .filter(household_assignment::Column::MemberId.is_in(ids.clone()))
            .filter(household_assignment::Column::Year.eq(year))
            .all(&self.d.db)
            .await?;
        let contacts = household_contact::Entity::find()
            .filter(household_contact::Column::CommunityId.eq(community_id))
            .filter(household_contact::Column::MemberId.is_in(ids.clone()))
            .filter(
                Condition::all()
                    .add(household_contact::Column::ContactedAt.gte(range.0))
                    .add(household_contact::Column::ContactedAt.lt(range.1)),
            )
            .all(&self.d.db)
            .await?;
        let attended = activity_signup::Entity::find()
            .filter(activity_signup::Column::CommunityId.eq(community_id))
            .filter(activity_signup::Column::UserId.is_in(ids.clone()))
            .filter(activity_signup::Column::CheckedInAt.is_not_null())
            .all(&self.d.db)
            .await?;
        let suggestions = suggestion::Entity::find()
            .filter(suggestion::Column::CommunityId.eq(community_id))
            .filter(suggestion::Column::MemberId.is_in(ids))
            .all(&self.d.db)
            .await?;
        Ok(members
            .iter()
            .map(|&m| {
                let posts_claimed =
                    claims.iter().filter(|c| c.member_id == m && in_year(c.claimed_at, range)).count() as u32;
                let assigned: HashSet<i64> =
                    assignments.iter().filter(|a| a.member_id == m).map(|a| a.household_id).collect();
                let contacted: HashSet<i64> = contacts
                    .iter()
                    .filter(|c| c.member_id == m && assigned.contains(&c.household_id))
                    .map(|c| c.household_id)
                    .collect();
                let joined: Vec<_> = attended
                    .iter()
                    .filter(|s| s.user_id == m && s.checked_in_at.is_some_and(|at| in_year(at, range)))
                    .collect();
                let suggestions_made =
                    suggestions.iter().filter(|s| s.member_id == m && in_year(s.created_at, range)).count() as u32;
                let target = std::cmp::max(rules.households_to_keep, 1) as u32;
                let mut missing = Vec::new();
                if posts_claimed == 0 {
                    missing.push(Duty::ClaimPost);
                }
                if (contacted.len() as u32) < target {
                    missing.push(Duty::KeepInTouch);
                }
                if joined.is_empty() {
                    missing.push(Duty::JoinActivity);
                }
                if suggestions_made == 0 {
                    missing.push(Duty::MakeSuggestion);
                }
                YearlyDuties {
                    member_id: m,
                    community_id,
                    year,
                    posts_claimed,
                    households_assigned: assigned.len() as u32,
                    households_contacted: contacted.len() as u32,
                    households_target: target,
                    activities_joined: joined.len() as u32,
                    service_minutes: joined.iter().map(|s| i64::from(s.service_minutes.unwrap_or(0))).sum(),
                    suggestions_made,
                    missing,
                }
            })
            .collect())
    }
}
