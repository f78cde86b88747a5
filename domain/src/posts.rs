//! 因人设岗: volunteer posts members claim by interest; activities members,
//! volunteers and residents sign up for and check in to by scanning a
//! short-lived code on the organiser's phone (service hours recorded);
//! suggestions; the households each member keeps in touch with; and the
//! yearly 四个一 computed from all of these.

use std::collections::{HashMap, HashSet};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use hmac::{Hmac, Mac};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use sha2::Sha256;

use crate::entities::{
    activity, activity_signup, building, grid, household, household_assignment, household_contact, post, post_claim,
    suggestion,
};
use crate::error::{DomainError, DomainResult};
use crate::ledger::{
    self, AccountKind, AccountRef, Movement, TransferKind, TransferRequest, TransferStatus, civility_rules_for,
};
use crate::org::{Actor, Role};
use crate::points::{Credit, SourceKind, credit, rules_for};
use crate::{Domain, validate};

crate::string_enum!(
    /// The posts the seeds name.
    PostKind {
        PolicyPublicity = "POLICY_PUBLICITY",
        Environment = "ENVIRONMENT",
        HelpingNeedy = "HELPING_NEEDY",
        Health = "HEALTH",
        LegalAid = "LEGAL_AID",
        AfterSchoolTutoring = "AFTER_SCHOOL_TUTORING",
        ElderlyVisits = "ELDERLY_VISITS",
        Mediation = "MEDIATION",
    }
);

crate::string_enum!(
    ActivityKind {
        VolunteerService = "VOLUNTEER_SERVICE",
        Cultural = "CULTURAL",
        EnvironmentCleanup = "ENVIRONMENT_CLEANUP",
        PartyLearning = "PARTY_LEARNING",
        Other = "OTHER",
    }
);

#[derive(Clone, Debug)]
pub struct Post {
    pub id: i64,
    pub community_id: i64,
    pub title: String,
    pub kind: PostKind,
    pub description: String,
    pub capacity: i32,
    pub taken: i32,
    pub term_start: NaiveDate,
    pub term_end: NaiveDate,
    pub retired: bool,
}

impl TryFrom<post::Model> for Post {
    type Error = DomainError;
    fn try_from(m: post::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            community_id: m.community_id,
            title: m.title,
            kind: PostKind::parse(&m.kind)?,
            description: m.description,
            capacity: m.capacity,
            taken: m.taken,
            term_start: m.term_start,
            term_end: m.term_end,
            retired: m.retired_at.is_some(),
        })
    }
}

#[derive(Clone, Debug)]
pub struct NewPost {
    pub community_id: i64,
    pub title: String,
    pub kind: PostKind,
    pub description: String,
    pub capacity: i32,
    pub term_start: NaiveDate,
    pub term_end: NaiveDate,
}

#[derive(Clone, Debug)]
pub struct Activity {
    pub id: i64,
    pub community_id: i64,
    pub title: String,
    pub kind: ActivityKind,
    pub place: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: i32,
    pub signed_up: i32,
    pub service_minutes: i32,
    pub created_by: i64,
    pub cancelled: bool,
}

impl TryFrom<activity::Model> for Activity {
    type Error = DomainError;
    fn try_from(m: activity::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            community_id: m.community_id,
            title: m.title,
            kind: ActivityKind::parse(&m.kind)?,
            place: m.place,
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            capacity: m.capacity,
            signed_up: m.signed_up,
            service_minutes: m.service_minutes,
            created_by: m.created_by,
            cancelled: m.cancelled_at.is_some(),
        })
    }
}

#[derive(Clone, Debug)]
pub struct NewActivity {
    pub community_id: i64,
    pub title: String,
    pub kind: ActivityKind,
    pub place: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: i32,
    /// Service hours credited per attendee; defaults to the activity's length.
    pub service_minutes: Option<i32>,
}

#[derive(Clone, Debug)]
pub struct Signup {
    pub activity_id: i64,
    pub user_id: i64,
    pub signed_up_at: DateTime<Utc>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub service_minutes: Option<i32>,
}

impl From<activity_signup::Model> for Signup {
    fn from(m: activity_signup::Model) -> Self {
        Self {
            activity_id: m.activity_id,
            user_id: m.user_id,
            signed_up_at: m.signed_up_at,
            checked_in_at: m.checked_in_at,
            service_minutes: m.service_minutes,
        }
    }
}

#[derive(Clone, Debug)]
pub struct CheckInCode {
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct Suggestion {
    pub id: i64,
    pub community_id: i64,
    pub member_id: i64,
    pub text: String,
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<suggestion::Model> for Suggestion {
    fn from(m: suggestion::Model) -> Self {
        Self {
            id: m.id,
            community_id: m.community_id,
            member_id: m.member_id,
            text: m.text,
            answer: m.answer,
            answered_at: m.answered_at,
            created_at: m.created_at,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Household {
    pub id: i64,
    pub community_id: i64,
    pub label: String,
    pub building: String,
    pub grid: String,
}

#[derive(Clone, Debug)]
pub struct HouseholdContact {
    pub id: i64,
    pub household_id: i64,
    pub member_id: i64,
    pub note: String,
    pub contacted_at: DateTime<Utc>,
}

impl From<household_contact::Model> for HouseholdContact {
    fn from(m: household_contact::Model) -> Self {
        Self {
            id: m.id,
            household_id: m.household_id,
            member_id: m.member_id,
            note: m.note,
            contacted_at: m.contacted_at,
        }
    }
}

/// One of the four duties.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Duty {
    ClaimPost,
    KeepInTouch,
    JoinActivity,
    MakeSuggestion,
}

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

type HmacSha256 = Hmac<Sha256>;

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

impl Domain {
    // ---- posts ----

    pub async fn create_post(&self, actor: &Actor, input: NewPost) -> DomainResult<Post> {
        actor.require_any(input.community_id, &[Role::Secretary], "create volunteer posts")?;
        let title = validate::required_text("title", &input.title, 50)?;
        let description = validate::required_text("description", &input.description, 1000)?;
        if !(1..=200).contains(&input.capacity) {
            return Err(DomainError::bad_input("capacity", "a post takes 1 to 200 members"));
        }
        if input.term_end < input.term_start {
            return Err(DomainError::bad_input("termEnd", "the term must end on or after its start"));
        }
        post::ActiveModel {
            community_id: Set(input.community_id),
            title: Set(title),
            kind: Set(input.kind.as_str().into()),
            description: Set(description),
            capacity: Set(input.capacity),
            taken: Set(0),
            term_start: Set(input.term_start),
            term_end: Set(input.term_end),
            created_by: Set(actor.user_id),
            created_at: Set(self.clock.now()),
            ..Default::default()
        }
        .insert(&self.db)
        .await?
        .try_into()
    }

    async fn visible_post(&self, actor: &Actor, id: i64) -> DomainResult<post::Model> {
        post::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .filter(|p| actor.belongs_to(p.community_id))
            .ok_or(DomainError::NotFound("post"))
    }

    pub async fn posts(&self, actor: &Actor, community_id: i64, include_retired: bool) -> DomainResult<Vec<Post>> {
        actor.require_member(community_id)?;
        let mut query = post::Entity::find().filter(post::Column::CommunityId.eq(community_id));
        if !include_retired {
            query = query.filter(post::Column::RetiredAt.is_null());
        }
        query.order_by_asc(post::Column::Id).all(&self.db).await?.into_iter().map(Post::try_from).collect()
    }

    /// Members currently holding each post.
    pub async fn post_holders(&self, post_ids: &[i64]) -> DomainResult<HashMap<i64, Vec<i64>>> {
        let mut holders: HashMap<i64, Vec<i64>> = HashMap::new();
        for c in post_claim::Entity::find()
            .filter(post_claim::Column::PostId.is_in(post_ids.iter().copied()))
            .filter(post_claim::Column::LeftAt.is_null())
            .order_by_asc(post_claim::Column::Id)
            .all(&self.db)
            .await?
        {
            holders.entry(c.post_id).or_default().push(c.member_id);
        }
        Ok(holders)
    }

    /// Capacity is never exceeded: a seat is taken by one conditional
    /// increment (`taken < capacity`), not by counting first.
    pub async fn claim_post(&self, actor: &Actor, id: i64) -> DomainResult<Post> {
        let row = self.visible_post(actor, id).await?;
        actor.require_any(row.community_id, &[Role::PartyMember, Role::Volunteer], "claim volunteer posts")?;
        if row.retired_at.is_some() {
            return Err(DomainError::invalid_state("this post has been retired"));
        }
        let now = self.clock.now();
        let txn = self.db.begin().await?;
        // One claim at a time per post: a member tapping twice gets one place.
        post::Entity::find_by_id(id).lock_exclusive().one(&txn).await?;
        let holding = post_claim::Entity::find()
            .filter(post_claim::Column::PostId.eq(id))
            .filter(post_claim::Column::MemberId.eq(actor.user_id))
            .filter(post_claim::Column::LeftAt.is_null())
            .one(&txn)
            .await?;
        if holding.is_some() {
            return Err(DomainError::Conflict("you already hold this post".into()));
        }
        let seat = post::Entity::update_many()
            .col_expr(post::Column::Taken, Expr::col(post::Column::Taken).add(1))
            .filter(post::Column::Id.eq(id))
            .filter(Expr::col(post::Column::Taken).lt(Expr::col(post::Column::Capacity)))
            .filter(post::Column::RetiredAt.is_null())
            .exec(&txn)
            .await?;
        if seat.rows_affected == 0 {
            return Err(DomainError::Conflict(format!("all {} places on this post are taken", row.capacity)));
        }
        post_claim::ActiveModel {
            post_id: Set(id),
            community_id: Set(row.community_id),
            member_id: Set(actor.user_id),
            claimed_at: Set(now),
            left_at: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        if actor.has(row.community_id, Role::PartyMember) {
            let rules = rules_for(&txn, row.community_id).await?;
            credit(
                &txn,
                Credit {
                    community_id: row.community_id,
                    member_id: actor.user_id,
                    points: rules.post_claimed,
                    reason: format!("claimed volunteer post “{}”", row.title),
                    kind: SourceKind::Post,
                    source_id: Some(id),
                    key: format!("post:{id}:{}:{}", actor.user_id, now.with_timezone(&Shanghai).year()),
                    created_by: Some(actor.user_id),
                    at: now,
                },
            )
            .await?;
        }
        txn.commit().await?;
        self.visible_post(actor, id).await?.try_into()
    }

    pub async fn leave_post(&self, actor: &Actor, id: i64) -> DomainResult<Post> {
        self.visible_post(actor, id).await?;
        let txn = self.db.begin().await?;
        let left = self.leave_post_in(&txn, id, actor.user_id, self.clock.now()).await?;
        if !left {
            return Err(DomainError::invalid_state("you do not hold this post"));
        }
        txn.commit().await?;
        self.visible_post(actor, id).await?.try_into()
    }

    async fn leave_post_in<C: ConnectionTrait>(
        &self,
        conn: &C,
        post_id: i64,
        member: i64,
        now: DateTime<Utc>,
    ) -> DomainResult<bool> {
        let left = post_claim::Entity::update_many()
            .col_expr(post_claim::Column::LeftAt, Expr::value(now))
            .filter(post_claim::Column::PostId.eq(post_id))
            .filter(post_claim::Column::MemberId.eq(member))
            .filter(post_claim::Column::LeftAt.is_null())
            .exec(conn)
            .await?;
        if left.rows_affected > 0 {
            post::Entity::update_many()
                .col_expr(post::Column::Taken, Expr::col(post::Column::Taken).sub(left.rows_affected as i32))
                .filter(post::Column::Id.eq(post_id))
                .exec(conn)
                .await?;
        }
        Ok(left.rows_affected > 0)
    }

    /// When a member leaves the community, their posts free up.
    pub(crate) async fn leave_all_posts<C: ConnectionTrait>(
        &self,
        conn: &C,
        member: i64,
        community_id: i64,
        now: DateTime<Utc>,
    ) -> DomainResult<()> {
        let held = post_claim::Entity::find()
            .filter(post_claim::Column::MemberId.eq(member))
            .filter(post_claim::Column::CommunityId.eq(community_id))
            .filter(post_claim::Column::LeftAt.is_null())
            .all(conn)
            .await?;
        for claim in held {
            self.leave_post_in(conn, claim.post_id, member, now).await?;
        }
        Ok(())
    }

    pub async fn retire_post(&self, actor: &Actor, id: i64) -> DomainResult<Post> {
        let row = self.visible_post(actor, id).await?;
        actor.require_any(row.community_id, &[Role::Secretary], "retire volunteer posts")?;
        post::Entity::update_many()
            .col_expr(post::Column::RetiredAt, Expr::value(self.clock.now()))
            .filter(post::Column::Id.eq(id))
            .filter(post::Column::RetiredAt.is_null())
            .exec(&self.db)
            .await?;
        self.visible_post(actor, id).await?.try_into()
    }

    // ---- activities ----

    pub async fn create_activity(&self, actor: &Actor, input: NewActivity) -> DomainResult<Activity> {
        actor.require_any(input.community_id, &Role::STAFF, "organise activities")?;
        let title = validate::required_text("title", &input.title, 50)?;
        let place = validate::required_text("place", &input.place, 100)?;
        if input.ends_at <= input.starts_at {
            return Err(DomainError::bad_input("endsAt", "an activity must end after it starts"));
        }
        if input.ends_at - input.starts_at > Duration::days(7) {
            return Err(DomainError::bad_input("endsAt", "an activity lasts at most 7 days"));
        }
        if !(1..=5000).contains(&input.capacity) {
            return Err(DomainError::bad_input("capacity", "an activity takes 1 to 5000 people"));
        }
        let length = (input.ends_at - input.starts_at).num_minutes() as i32;
        let service_minutes = input.service_minutes.unwrap_or(length);
        if !(0..=24 * 60).contains(&service_minutes) {
            return Err(DomainError::bad_input("serviceMinutes", "service time per person is 0 to 1440 minutes"));
        }
        activity::ActiveModel {
            community_id: Set(input.community_id),
            title: Set(title),
            kind: Set(input.kind.as_str().into()),
            place: Set(place),
            starts_at: Set(input.starts_at),
            ends_at: Set(input.ends_at),
            capacity: Set(input.capacity),
            signed_up: Set(0),
            service_minutes: Set(service_minutes),
            created_by: Set(actor.user_id),
            created_at: Set(self.clock.now()),
            ..Default::default()
        }
        .insert(&self.db)
        .await?
        .try_into()
    }

    async fn visible_activity(&self, actor: &Actor, id: i64) -> DomainResult<activity::Model> {
        activity::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .filter(|a| actor.belongs_to(a.community_id))
            .ok_or(DomainError::NotFound("activity"))
    }

    pub async fn activity(&self, actor: &Actor, id: i64) -> DomainResult<Activity> {
        self.visible_activity(actor, id).await?.try_into()
    }

    /// Upcoming and running activities first (by start), then past ones.
    pub async fn activities(
        &self,
        actor: &Actor,
        community_id: i64,
        upcoming_only: bool,
    ) -> DomainResult<Vec<Activity>> {
        actor.require_member(community_id)?;
        let mut query = activity::Entity::find().filter(activity::Column::CommunityId.eq(community_id));
        if upcoming_only {
            query = query
                .filter(activity::Column::EndsAt.gt(self.clock.now()))
                .filter(activity::Column::CancelledAt.is_null());
        }
        query
            .order_by_asc(activity::Column::StartsAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(Activity::try_from)
            .collect()
    }

    pub async fn my_signups(&self, actor: &Actor, activity_ids: &[i64]) -> DomainResult<HashMap<i64, Signup>> {
        Ok(activity_signup::Entity::find()
            .filter(activity_signup::Column::UserId.eq(actor.user_id))
            .filter(activity_signup::Column::ActivityId.is_in(activity_ids.iter().copied()))
            .filter(activity_signup::Column::CancelledAt.is_null())
            .all(&self.db)
            .await?
            .into_iter()
            .map(|s| (s.activity_id, s.into()))
            .collect())
    }

    /// Members, volunteers and residents sign up; capacity holds under concurrency.
    pub async fn sign_up_for_activity(&self, actor: &Actor, id: i64) -> DomainResult<Signup> {
        let row = self.visible_activity(actor, id).await?;
        if row.cancelled_at.is_some() {
            return Err(DomainError::invalid_state("this activity was cancelled"));
        }
        if row.ends_at <= self.clock.now() {
            return Err(DomainError::invalid_state("this activity is over"));
        }
        let txn = self.db.begin().await?;
        lock_activity(&txn, id).await?;
        let signup = self.take_place(&txn, &row, actor.user_id).await?;
        txn.commit().await?;
        Ok(signup)
    }

    /// A place at the activity for `user`, reusing an existing sign-up.
    async fn take_place<C: ConnectionTrait>(&self, conn: &C, row: &activity::Model, user: i64) -> DomainResult<Signup> {
        let existing = activity_signup::Entity::find()
            .filter(activity_signup::Column::ActivityId.eq(row.id))
            .filter(activity_signup::Column::UserId.eq(user))
            .one(conn)
            .await?;
        if let Some(s) = &existing
            && s.cancelled_at.is_none()
        {
            return Ok(s.clone().into());
        }
        let seat = activity::Entity::update_many()
            .col_expr(activity::Column::SignedUp, Expr::col(activity::Column::SignedUp).add(1))
            .filter(activity::Column::Id.eq(row.id))
            .filter(Expr::col(activity::Column::SignedUp).lt(Expr::col(activity::Column::Capacity)))
            .exec(conn)
            .await?;
        if seat.rows_affected == 0 {
            return Err(DomainError::Conflict(format!("all {} places at this activity are taken", row.capacity)));
        }
        let now = self.clock.now();
        let saved = match existing {
            Some(s) => {
                let mut back: activity_signup::ActiveModel = s.into();
                back.cancelled_at = Set(None);
                back.signed_up_at = Set(now);
                back.update(conn).await?
            }
            None => {
                activity_signup::ActiveModel {
                    activity_id: Set(row.id),
                    community_id: Set(row.community_id),
                    user_id: Set(user),
                    signed_up_at: Set(now),
                    ..Default::default()
                }
                .insert(conn)
                .await?
            }
        };
        Ok(saved.into())
    }

    pub async fn cancel_signup(&self, actor: &Actor, id: i64) -> DomainResult<Activity> {
        self.visible_activity(actor, id).await?;
        let txn = self.db.begin().await?;
        lock_activity(&txn, id).await?;
        let cancelled = activity_signup::Entity::update_many()
            .col_expr(activity_signup::Column::CancelledAt, Expr::value(self.clock.now()))
            .filter(activity_signup::Column::ActivityId.eq(id))
            .filter(activity_signup::Column::UserId.eq(actor.user_id))
            .filter(activity_signup::Column::CancelledAt.is_null())
            .filter(activity_signup::Column::CheckedInAt.is_null())
            .exec(&txn)
            .await?;
        if cancelled.rows_affected == 0 {
            return Err(DomainError::invalid_state("you have no sign-up to cancel (or you have already checked in)"));
        }
        activity::Entity::update_many()
            .col_expr(activity::Column::SignedUp, Expr::col(activity::Column::SignedUp).sub(1))
            .filter(activity::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        self.activity(actor, id).await
    }

    /// The code the organiser's phone shows for attendees to scan. It names
    /// the activity and an expiry, signed so it cannot be made up; it lives
    /// `checkin_code_seconds` so a photo of it shared later does not work.
    pub async fn activity_check_in_code(&self, actor: &Actor, id: i64) -> DomainResult<CheckInCode> {
        let row = self.visible_activity(actor, id).await?;
        if row.created_by != actor.user_id && !actor.has_any(row.community_id, &Role::STAFF) {
            return Err(DomainError::forbidden(
                "only the organiser or the community's staff can show the check-in code",
            ));
        }
        if row.cancelled_at.is_some() {
            return Err(DomainError::invalid_state("this activity was cancelled"));
        }
        let expires_at = self.clock.now() + Duration::seconds(self.settings.checkin_code_seconds);
        let payload = format!("{}.{}", row.id, expires_at.timestamp());
        Ok(CheckInCode { code: format!("{payload}.{}", self.sign(&payload)?), expires_at })
    }

    fn sign(&self, payload: &str) -> DomainResult<String> {
        let mut mac = HmacSha256::new_from_slice(&self.settings.checkin_key).map_err(DomainError::internal)?;
        mac.update(payload.as_bytes());
        Ok(URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..12]))
    }

    /// An attendee scans the code: checked in (signed up on the spot if there
    /// is room), service time recorded, points credited once.
    pub async fn check_in(&self, actor: &Actor, code: &str) -> DomainResult<Signup> {
        let bad = || DomainError::bad_input("code", "this is not a check-in code; scan the organiser's code again");
        let mut parts = code.trim().splitn(3, '.');
        let (Some(id), Some(exp), Some(sig)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        let payload = format!("{id}.{exp}");
        let expected = self.sign(&payload)?;
        if expected.len() != sig.len() || !constant_time_eq(expected.as_bytes(), sig.as_bytes()) {
            return Err(bad());
        }
        let (id, exp): (i64, i64) = (id.parse().map_err(|_| bad())?, exp.parse().map_err(|_| bad())?);
        let now = self.clock.now();
        if now.timestamp() > exp {
            return Err(DomainError::bad_input(
                "code",
                "this check-in code has expired; scan the organiser's phone again",
            ));
        }
        let row = self.visible_activity(actor, id).await?;
        if row.cancelled_at.is_some() {
            return Err(DomainError::invalid_state("this activity was cancelled"));
        }
        let txn = self.db.begin().await?;
        lock_activity(&txn, id).await?;
        let signup = self.take_place(&txn, &row, actor.user_id).await?;
        let first_check_in = signup.checked_in_at.is_none()
            && activity_signup::Entity::update_many()
                .col_expr(activity_signup::Column::CheckedInAt, Expr::value(now))
                .col_expr(activity_signup::Column::ServiceMinutes, Expr::value(row.service_minutes))
                .filter(activity_signup::Column::ActivityId.eq(id))
                .filter(activity_signup::Column::UserId.eq(actor.user_id))
                .filter(activity_signup::Column::CheckedInAt.is_null())
                .exec(&txn)
                .await?
                .rows_affected
                == 1;
        if first_check_in {
            self.civility_points_for_attending(&txn, &row, actor, now).await?;
            if actor.has(row.community_id, Role::PartyMember) {
                let rules = rules_for(&txn, row.community_id).await?;
                credit(
                    &txn,
                    Credit {
                        community_id: row.community_id,
                        member_id: actor.user_id,
                        points: rules.activity_attended,
                        reason: format!("attended “{}”", row.title),
                        kind: SourceKind::Activity,
                        source_id: Some(id),
                        key: format!("activity:{id}:{}", actor.user_id),
                        created_by: Some(actor.user_id),
                        at: now,
                    },
                )
                .await?;
            }
        }
        let saved = activity_signup::Entity::find()
            .filter(activity_signup::Column::ActivityId.eq(id))
            .filter(activity_signup::Column::UserId.eq(actor.user_id))
            .one(&txn)
            .await?
            .ok_or_else(|| DomainError::internal("sign-up vanished"))?;
        txn.commit().await?;
        Ok(saved.into())
    }

    /// Residents earn civility points (乡风文明积分) for cultural activities
    /// and environment clean-ups they attend: 1 by default.
    async fn civility_points_for_attending(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        row: &activity::Model,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> DomainResult<()> {
        let kind = ActivityKind::parse(&row.kind)?;
        if !matches!(kind, ActivityKind::Cultural | ActivityKind::EnvironmentCleanup)
            || !actor.has(row.community_id, Role::Resident)
        {
            return Ok(());
        }
        let rules = civility_rules_for(txn, row.community_id).await?;
        if rules.points_per_activity == 0 {
            return Ok(());
        }
        let c = row.community_id;
        ledger::post_in(
            txn,
            &TransferRequest {
                community_id: c,
                kind: TransferKind::Award,
                key: format!("activity:{}:{}", row.id, actor.user_id),
                reason: format!("took part in “{}”", row.title),
                created_by: None,
                reverses: None,
                movements: vec![Movement {
                    from: AccountRef::community(c, AccountKind::Issuing),
                    to: AccountRef::resident(c, actor.user_id),
                    amount: rules.points_per_activity,
                }],
                status: TransferStatus::Posted,
            },
            now,
        )
        .await?;
        Ok(())
    }

    /// Who signed up and who came (organiser and staff).
    pub async fn activity_attendance(&self, actor: &Actor, id: i64) -> DomainResult<Vec<Signup>> {
        let row = self.visible_activity(actor, id).await?;
        if row.created_by != actor.user_id && !actor.has_any(row.community_id, &Role::STAFF) {
            return Err(DomainError::forbidden("only the organiser or the community's staff can see attendance"));
        }
        Ok(activity_signup::Entity::find()
            .filter(activity_signup::Column::ActivityId.eq(id))
            .filter(activity_signup::Column::CancelledAt.is_null())
            .order_by_asc(activity_signup::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(Signup::from)
            .collect())
    }

    // ---- suggestions ----

    pub async fn submit_suggestion(&self, actor: &Actor, community_id: i64, text: &str) -> DomainResult<Suggestion> {
        actor.require_member(community_id)?;
        let text = validate::required_text("text", text, 2000)?;
        Ok(suggestion::ActiveModel {
            community_id: Set(community_id),
            member_id: Set(actor.user_id),
            text: Set(text),
            created_at: Set(self.clock.now()),
            ..Default::default()
        }
        .insert(&self.db)
        .await?
        .into())
    }

    pub async fn answer_suggestion(&self, actor: &Actor, id: i64, answer: &str) -> DomainResult<Suggestion> {
        let row = suggestion::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .filter(|s| actor.belongs_to(s.community_id))
            .ok_or(DomainError::NotFound("suggestion"))?;
        actor.require_any(row.community_id, &[Role::Secretary], "answer suggestions")?;
        let answer = validate::required_text("answer", answer, 2000)?;
        let mut active: suggestion::ActiveModel = row.into();
        active.answer = Set(Some(answer));
        active.answered_by = Set(Some(actor.user_id));
        active.answered_at = Set(Some(self.clock.now()));
        Ok(active.update(&self.db).await?.into())
    }

    /// The secretary sees all of the community's suggestions; others their own.
    pub async fn suggestions(&self, actor: &Actor, community_id: i64) -> DomainResult<Vec<Suggestion>> {
        actor.require_member(community_id)?;
        let mut query = suggestion::Entity::find().filter(suggestion::Column::CommunityId.eq(community_id));
        if !actor.has_any(community_id, &Role::STAFF) {
            query = query.filter(suggestion::Column::MemberId.eq(actor.user_id));
        }
        Ok(query.order_by_desc(suggestion::Column::Id).all(&self.db).await?.into_iter().map(Suggestion::from).collect())
    }

    // ---- households ----

    pub async fn households(&self, actor: &Actor, community_id: i64) -> DomainResult<Vec<Household>> {
        actor.require_any(community_id, &Role::STAFF, "list households")?;
        let buildings: HashMap<i64, building::Model> = building::Entity::find()
            .filter(building::Column::CommunityId.eq(community_id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|b| (b.id, b))
            .collect();
        let grids: HashMap<i64, String> = grid::Entity::find()
            .filter(grid::Column::CommunityId.eq(community_id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|g| (g.id, g.name))
            .collect();
        Ok(household::Entity::find()
            .filter(household::Column::CommunityId.eq(community_id))
            .order_by_asc(household::Column::Id)
            .all(&self.db)
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
        &self,
        actor: &Actor,
        community_id: i64,
        member_id: i64,
        household_ids: &[i64],
        year: i32,
    ) -> DomainResult<Vec<i64>> {
        actor.require_any(community_id, &[Role::Secretary], "assign households")?;
        year_range(year)?;
        if household_ids.is_empty() || household_ids.len() > 50 {
            return Err(DomainError::bad_input("householdIds", "assign 1 to 50 households at a time"));
        }
        if !self.roles_of(&self.db, member_id, community_id).await?.contains(&Role::PartyMember) {
            return Err(DomainError::bad_input("memberId", "this person is not a party member of the community"));
        }
        let found = household::Entity::find()
            .filter(household::Column::Id.is_in(household_ids.iter().copied()))
            .filter(household::Column::CommunityId.eq(community_id))
            .all(&self.db)
            .await?;
        let unique: HashSet<i64> = household_ids.iter().copied().collect();
        if found.len() != unique.len() {
            return Err(DomainError::bad_input("householdIds", "some of these households are not in the community"));
        }
        let txn = self.db.begin().await?;
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
                created_at: Set(self.clock.now()),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
        txn.commit().await?;
        self.assigned_households(member_id, community_id, year).await
    }

    pub async fn assigned_households(&self, member_id: i64, community_id: i64, year: i32) -> DomainResult<Vec<i64>> {
        Ok(household_assignment::Entity::find()
            .filter(household_assignment::Column::MemberId.eq(member_id))
            .filter(household_assignment::Column::CommunityId.eq(community_id))
            .filter(household_assignment::Column::Year.eq(year))
            .order_by_asc(household_assignment::Column::HouseholdId)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|a| a.household_id)
            .collect())
    }

    /// A member records a contact with one of their households.
    pub async fn log_household_contact(
        &self,
        actor: &Actor,
        household_id: i64,
        note: &str,
        contacted_at: Option<DateTime<Utc>>,
    ) -> DomainResult<HouseholdContact> {
        let home = household::Entity::find_by_id(household_id)
            .one(&self.db)
            .await?
            .filter(|h| actor.belongs_to(h.community_id))
            .ok_or(DomainError::NotFound("household"))?;
        let now = self.clock.now();
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
        .insert(&self.db)
        .await?
        .into())
    }

    // ---- the yearly 四个一 ----

    /// `community_id` defaults to the community the member is reported in to.
    pub async fn yearly_duties(
        &self,
        actor: &Actor,
        community_id: Option<i64>,
        member_id: i64,
        year: i32,
    ) -> DomainResult<YearlyDuties> {
        let community_id = match community_id {
            Some(c) => c,
            None => self.reported_in_community(member_id).await?.ok_or(DomainError::NotFound("member"))?,
        };
        actor.require_member(community_id)?;
        if actor.user_id != member_id && !actor.has_any(community_id, &Role::STAFF) {
            return Err(DomainError::forbidden("only the member and the community's staff can see these duties"));
        }
        Ok(self.duties_of(community_id, &[member_id], year).await?.remove(0))
    }

    /// Every reported-in member's progress, the most behind first.
    pub async fn duties_overview(
        &self,
        actor: &Actor,
        community_id: i64,
        year: i32,
    ) -> DomainResult<Vec<YearlyDuties>> {
        actor.require_any(community_id, &Role::STAFF, "see every member's duties")?;
        let mut members: Vec<i64> = self.reported_in_members(community_id).await?.into_keys().collect();
        members.sort();
        let mut all = self.duties_of(community_id, &members, year).await?;
        all.sort_by(|a, b| b.missing.len().cmp(&a.missing.len()).then(a.member_id.cmp(&b.member_id)));
        Ok(all)
    }

    async fn duties_of(&self, community_id: i64, members: &[i64], year: i32) -> DomainResult<Vec<YearlyDuties>> {
        let range = year_range(year)?;
        let rules = rules_for(&self.db, community_id).await?;
        let ids = members.iter().copied();
        let claims = post_claim::Entity::find()
            .filter(post_claim::Column::CommunityId.eq(community_id))
            .filter(post_claim::Column::MemberId.is_in(ids.clone()))
            .all(&self.db)
            .await?;
        let assignments = household_assignment::Entity::find()
            .filter(household_assignment::Column::CommunityId.eq(community_id))
            .filter(household_assignment::Column::MemberId.is_in(ids.clone()))
            .filter(household_assignment::Column::Year.eq(year))
            .all(&self.db)
            .await?;
        let contacts = household_contact::Entity::find()
            .filter(household_contact::Column::CommunityId.eq(community_id))
            .filter(household_contact::Column::MemberId.is_in(ids.clone()))
            .filter(
                Condition::all()
                    .add(household_contact::Column::ContactedAt.gte(range.0))
                    .add(household_contact::Column::ContactedAt.lt(range.1)),
            )
            .all(&self.db)
            .await?;
        let attended = activity_signup::Entity::find()
            .filter(activity_signup::Column::CommunityId.eq(community_id))
            .filter(activity_signup::Column::UserId.is_in(ids.clone()))
            .filter(activity_signup::Column::CheckedInAt.is_not_null())
            .all(&self.db)
            .await?;
        let suggestions = suggestion::Entity::find()
            .filter(suggestion::Column::CommunityId.eq(community_id))
            .filter(suggestion::Column::MemberId.is_in(ids))
            .all(&self.db)
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

/// Sign-ups and check-ins for one activity happen one at a time, so a
/// phone that sends the same scan five times gets one place and one check-in.
async fn lock_activity<C: ConnectionTrait>(conn: &C, id: i64) -> DomainResult<()> {
    activity::Entity::find_by_id(id).lock_exclusive().one(conn).await?;
    Ok(())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
