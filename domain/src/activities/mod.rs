//! Activities members, volunteers and residents sign up for (capacity holds
//! under concurrency) and check in to by scanning a short-lived code on the
//! organiser's phone: service time recorded, dedication points for members
//! and civility points for residents at cultural activities and clean-ups.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use sha2::Sha256;

use crate::entities::{activity, activity_signup};
use crate::error::{DomainError, DomainResult};
use crate::ledger::{
    self, AccountKind, AccountRef, Movement, TransferKind, TransferRequest, TransferStatus, civility_rules_for,
};
use crate::org::authority;
use crate::org::{Actor, Role, in_reach};
use crate::points::{Credit, SourceKind, credit, rules_for};
use crate::validate;

crate::area_service!(
    /// Activities members, volunteers and residents sign up for and check in to.
    Activities
);

crate::string_enum!(ActivityKind { VolunteerService, Cultural, EnvironmentCleanup, PartyLearning, Other });

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

/// A sign-up for an activity, as stored (`cancelled_at` set once withdrawn).
pub type Signup = activity_signup::Model;

#[derive(Clone, Debug)]
pub struct CheckInCode {
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

type HmacSha256 = Hmac<Sha256>;

impl Activities<'_> {
    pub async fn create(self, actor: &Actor, input: NewActivity) -> DomainResult<Activity> {
        actor.require(&authority::CREATE_ACTIVITY, input.community_id)?;
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
            created_at: Set(self.d.clock.now()),
            ..Default::default()
        }
        .insert(&self.d.db)
        .await?
        .try_into()
    }

    async fn visible(self, actor: &Actor, id: i64) -> DomainResult<activity::Model> {
        in_reach::<activity::Entity>(&self.d.db, actor, id, "activity").await
    }

    pub async fn get(self, actor: &Actor, id: i64) -> DomainResult<Activity> {
        self.visible(actor, id).await?.try_into()
    }

    /// Upcoming and running activities first (by start), then past ones.
    pub async fn list(self, actor: &Actor, community_id: i64, upcoming_only: bool) -> DomainResult<Vec<Activity>> {
        actor.require_member(community_id)?;
        let mut query = activity::Entity::find().filter(activity::Column::CommunityId.eq(community_id));
        if upcoming_only {
            query = query
                .filter(activity::Column::EndsAt.gt(self.d.clock.now()))
                .filter(activity::Column::CancelledAt.is_null());
        }
        query
            .order_by_asc(activity::Column::StartsAt)
            .all(&self.d.db)
            .await?
            .into_iter()
            .map(Activity::try_from)
            .collect()
    }

    pub async fn my_signups(self, actor: &Actor, activity_ids: &[i64]) -> DomainResult<HashMap<i64, Signup>> {
        Ok(activity_signup::Entity::find()
            .filter(activity_signup::Column::UserId.eq(actor.user_id))
            .filter(activity_signup::Column::ActivityId.is_in(activity_ids.iter().copied()))
            .filter(activity_signup::Column::CancelledAt.is_null())
            .all(&self.d.db)
            .await?
            .into_iter()
            .map(|s| (s.activity_id, s))
            .collect())
    }

    /// Members, volunteers and residents sign up; capacity holds under concurrency.
    pub async fn sign_up(self, actor: &Actor, id: i64) -> DomainResult<Signup> {
        let row = self.visible(actor, id).await?;
        if row.cancelled_at.is_some() {
            return Err(DomainError::invalid_state("this activity was cancelled"));
        }
        if row.ends_at <= self.d.clock.now() {
            return Err(DomainError::invalid_state("this activity is over"));
        }
        let txn = self.d.db.begin().await?;
        lock_activity(&txn, id).await?;
        let signup = self.take_place(&txn, &row, actor.user_id).await?;
        txn.commit().await?;
        Ok(signup)
    }

    /// A place at the activity for `user`, reusing an existing sign-up.
    async fn take_place<C: ConnectionTrait>(self, conn: &C, row: &activity::Model, user: i64) -> DomainResult<Signup> {
        let existing = activity_signup::Entity::find()
            .filter(activity_signup::Column::ActivityId.eq(row.id))
            .filter(activity_signup::Column::UserId.eq(user))
            .one(conn)
            .await?;
        if let Some(s) = &existing
            && s.cancelled_at.is_none()
        {
            return Ok(s.clone());
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
        let now = self.d.clock.now();
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
        Ok(saved)
    }

    pub async fn cancel_signup(self, actor: &Actor, id: i64) -> DomainResult<Activity> {
        self.visible(actor, id).await?;
        let txn = self.d.db.begin().await?;
        lock_activity(&txn, id).await?;
        let cancelled = activity_signup::Entity::update_many()
            .col_expr(activity_signup::Column::CancelledAt, Expr::value(self.d.clock.now()))
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
        self.get(actor, id).await
    }

    /// The code the organiser's phone shows for attendees to scan. It names
    /// the activity and an expiry, signed so it cannot be made up; it lives
    /// `checkin_code_seconds` so a photo of it shared later does not work.
    pub async fn check_in_code(self, actor: &Actor, id: i64) -> DomainResult<CheckInCode> {
        let row = self.visible(actor, id).await?;
        actor.require_theirs_or(
            &authority::ACTIVITY_CHECK_IN_CODE,
            row.community_id,
            row.created_by == actor.user_id,
        )?;
        if row.cancelled_at.is_some() {
            return Err(DomainError::invalid_state("this activity was cancelled"));
        }
        let expires_at = self.d.clock.now() + Duration::seconds(self.d.settings.checkin_code_seconds);
        let payload = format!("{}.{}", row.id, expires_at.timestamp());
        Ok(CheckInCode { code: format!("{payload}.{}", self.sign(&payload)?), expires_at })
    }

    fn sign(self, payload: &str) -> DomainResult<String> {
        let mut mac = HmacSha256::new_from_slice(&self.d.settings.checkin_key).map_err(DomainError::internal)?;
        mac.update(payload.as_bytes());
        Ok(URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..12]))
    }

    /// An attendee scans the code: checked in (signed up on the spot if there
    /// is room), service time recorded, points credited once.
    pub async fn check_in(self, actor: &Actor, code: &str) -> DomainResult<Signup> {
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
        let now = self.d.clock.now();
        if now.timestamp() > exp {
            return Err(DomainError::bad_input(
                "code",
                "this check-in code has expired; scan the organiser's phone again",
            ));
        }
        let row = self.visible(actor, id).await?;
        if row.cancelled_at.is_some() {
            return Err(DomainError::invalid_state("this activity was cancelled"));
        }
        let txn = self.d.db.begin().await?;
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
        Ok(saved)
    }

    /// Residents earn civility points (乡风文明积分) for cultural activities
    /// and environment clean-ups they attend: 1 by default.
    async fn civility_points_for_attending(
        self,
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
    pub async fn attendance(self, actor: &Actor, id: i64) -> DomainResult<Vec<Signup>> {
        let row = self.visible(actor, id).await?;
        actor.require_theirs_or(&authority::ACTIVITY_ATTENDANCE, row.community_id, row.created_by == actor.user_id)?;
        Ok(activity_signup::Entity::find()
            .filter(activity_signup::Column::ActivityId.eq(id))
            .filter(activity_signup::Column::CancelledAt.is_null())
            .order_by_asc(activity_signup::Column::Id)
            .all(&self.d.db)
            .await?
            .into_iter()
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
