//! Micro-wishes (微心愿): a resident (or a grid worker for them) posts a
//! small wish; the secretary reviews and publishes it to the community's
//! members; one member claims it and fulfils it by a deadline; the community
//! party organisation approves it online; the resident thanks and rates.
//! A claim that misses its deadline costs the member dedication points and,
//! per the community's overdue policy, returns the wish to the published
//! list or escalates it to the secretary, who can publish it again.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::IntoCondition;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::Serialize;

use crate::deadlines::{self, OverduePolicy, SecretaryNotice};
use crate::entities::wish;
use crate::error::{DomainError, DomainResult};
use crate::notifications::{NewNotice, notify};
use crate::org::{Actor, Role};
use crate::pagination::{Page, PageRequest};
use crate::points::{Credit, SourceKind, credit, rules_for};
use crate::workflow::{self, Event, Subject, Transition, guarded_update};
use crate::{Domain, idempotency, validate};

crate::string_enum!(
    WishStatus {
        Submitted = "SUBMITTED",
        Published = "PUBLISHED",
        Claimed = "CLAIMED",
        AwaitingApproval = "AWAITING_APPROVAL",
        Approved = "APPROVED",
        Closed = "CLOSED",
        Declined = "DECLINED",
        Cancelled = "CANCELLED",
        /// A claim missed its deadline under the ESCALATE policy: the
        /// secretary publishes it again or cancels it.
        Escalated = "ESCALATED",
    }
);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WishAction {
    Publish,
    Decline,
    Claim,
    /// The claimant gives it back, or the deadline passes.
    Release,
    Fulfil,
    Approve,
    Reject,
    Thank,
    Cancel,
    /// The system, at a missed deadline under the ESCALATE policy.
    Escalate,
}

/// The state machine.
pub fn next_wish_status(from: WishStatus, action: WishAction) -> Option<WishStatus> {
    use WishAction as A;
    use WishStatus as S;
    match (from, action) {
        (S::Submitted | S::Escalated, A::Publish) => Some(S::Published),
        (S::Submitted, A::Decline) => Some(S::Declined),
        (S::Published, A::Claim) => Some(S::Claimed),
        (S::Claimed, A::Release) => Some(S::Published),
        (S::Claimed, A::Fulfil) => Some(S::AwaitingApproval),
        (S::AwaitingApproval, A::Approve) => Some(S::Approved),
        (S::AwaitingApproval, A::Reject) => Some(S::Claimed),
        (S::Approved, A::Thank) => Some(S::Closed),
        (S::Claimed, A::Escalate) => Some(S::Escalated),
        (S::Submitted | S::Published | S::Escalated, A::Cancel) => Some(S::Cancelled),
        _ => None,
    }
}

#[derive(Clone, Debug)]
pub struct Wish {
    pub id: i64,
    pub community_id: i64,
    pub title: String,
    pub story: String,
    pub photo_urls: Vec<String>,
    pub placed_by: i64,
    pub on_behalf_of: Option<i64>,
    pub claimant_id: Option<i64>,
    pub status: WishStatus,
    pub claim_due_at: Option<DateTime<Utc>>,
    pub fulfil_note: Option<String>,
    pub fulfil_photo_urls: Vec<String>,
    pub rating_stars: Option<i32>,
    pub thanks: Option<String>,
    /// When the deadline sweep last found a claim of it past its deadline.
    pub overdue_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Wish {
    pub fn beneficiary(&self) -> i64 {
        self.on_behalf_of.unwrap_or(self.placed_by)
    }

    fn is_party(&self, user: i64) -> bool {
        self.placed_by == user || self.beneficiary() == user
    }

    /// Submitted and declined wishes are seen only by their people and the
    /// staff; once published, by the community's members and volunteers.
    pub fn visible_to(&self, actor: &Actor) -> bool {
        let c = self.community_id;
        if self.is_party(actor.user_id) || self.claimant_id == Some(actor.user_id) || actor.has_any(c, &Role::STAFF) {
            return true;
        }
        let reviewed = !matches!(self.status, WishStatus::Submitted | WishStatus::Declined | WishStatus::Cancelled);
        reviewed && actor.has_any(c, &Role::HELPERS)
    }
}

fn urls(text: Option<&str>) -> DomainResult<Vec<String>> {
    text.map(|t| serde_json::from_str(t).map_err(DomainError::internal)).transpose().map(Option::unwrap_or_default)
}

impl TryFrom<wish::Model> for Wish {
    type Error = DomainError;
    fn try_from(m: wish::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            community_id: m.community_id,
            title: m.title,
            story: m.story,
            photo_urls: urls(Some(&m.photo_urls))?,
            placed_by: m.placed_by,
            on_behalf_of: m.on_behalf_of,
            claimant_id: m.claimant_id,
            status: WishStatus::parse(&m.status)?,
            claim_due_at: m.claim_due_at,
            fulfil_note: m.fulfil_note,
            fulfil_photo_urls: urls(m.fulfil_photo_urls.as_deref())?,
            rating_stars: m.rating_stars,
            thanks: m.thanks,
            overdue_at: m.overdue_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

pub type WishEvent = Event<WishStatus>;

#[derive(Clone, Debug, Serialize)]
pub struct PostWish {
    pub community_id: i64,
    pub title: String,
    pub story: String,
    pub photo_urls: Vec<String>,
    pub on_behalf_of: Option<i64>,
}

#[derive(Clone, Debug, Default)]
pub struct WishFilter {
    pub community_id: Option<i64>,
    pub status: Option<WishStatus>,
    /// Posted by me or for me.
    pub mine: bool,
    pub claimed_by_me: bool,
}

const POST_WISH_SCOPE: &str = "postWish";

impl Domain {
    pub async fn post_wish(&self, actor: &Actor, input: PostWish, idempotency_key: Option<&str>) -> DomainResult<Wish> {
        actor.require_member(input.community_id)?;
        let hash = idempotency::request_hash(&input)?;
        idempotency::once(
            &self.db,
            actor.user_id,
            POST_WISH_SCOPE,
            idempotency_key,
            &hash,
            || self.insert_wish(actor, input, idempotency_key.map(|k| (k, hash.as_str()))),
            |id| self.load_wish(id),
        )
        .await
    }

    async fn insert_wish(
        &self,
        actor: &Actor,
        input: PostWish,
        idempotency: Option<(&str, &str)>,
    ) -> DomainResult<Wish> {
        let c = input.community_id;
        let title = validate::required_text("title", &input.title, 50)?;
        let story = validate::required_text("story", &input.story, 1000)?;
        let (photos, upload_ids) =
            validate::photo_urls("photoUrls", &input.photo_urls, &self.settings.upload_url_prefix)?;
        let beneficiary = self.on_behalf_of(actor, c, input.on_behalf_of, "post wishes").await?;
        let now = self.clock.now();
        let txn = self.db.begin().await?;
        self.require_uploads(&txn, "photoUrls", &upload_ids).await?;
        let row = wish::ActiveModel {
            community_id: Set(c),
            title: Set(title),
            story: Set(story),
            photo_urls: Set(serde_json::to_string(&photos).map_err(DomainError::internal)?),
            placed_by: Set(actor.user_id),
            on_behalf_of: Set(beneficiary),
            status: Set(WishStatus::Submitted.as_str().into()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        workflow::record(
            &txn,
            Transition {
                subject: Subject::Wish,
                subject_id: row.id,
                community_id: c,
                actor_id: Some(actor.user_id),
                from: None,
                to: WishStatus::Submitted,
                note: None,
                at: now,
            },
        )
        .await?;
        if let Some((key, hash)) = idempotency {
            idempotency::remember(&txn, actor.user_id, POST_WISH_SCOPE, key, hash, row.id, now).await?;
        }
        txn.commit().await?;
        row.try_into()
    }

    async fn load_wish(&self, id: i64) -> DomainResult<Wish> {
        wish::Entity::find_by_id(id).one(&self.db).await?.ok_or(DomainError::NotFound("wish"))?.try_into()
    }

    pub async fn wish(&self, actor: &Actor, id: i64) -> DomainResult<Wish> {
        let wish = self.load_wish(id).await?;
        if wish.visible_to(actor) { Ok(wish) } else { Err(DomainError::NotFound("wish")) }
    }

    pub async fn publish_wish(&self, actor: &Actor, id: i64) -> DomainResult<Wish> {
        let wish = self.wish(actor, id).await?;
        actor.require_any(wish.community_id, &[Role::Secretary], "publish wishes")?;
        // An escalated wish goes back to the list without its lapsed claim.
        self.move_wish(Some(actor.user_id), wish, WishAction::Publish, None, |m| {
            m.claimant_id = Set(None);
            m.claim_due_at = Set(None);
        })
        .await
    }

    pub async fn decline_wish(&self, actor: &Actor, id: i64, reason: &str) -> DomainResult<Wish> {
        let wish = self.wish(actor, id).await?;
        actor.require_any(wish.community_id, &[Role::Secretary], "decline wishes")?;
        let reason = validate::required_text("reason", reason, 500)?;
        self.move_wish(Some(actor.user_id), wish, WishAction::Decline, Some(reason), |_| {}).await
    }

    /// One active claim per wish: the conditional update on PUBLISHED lets
    /// exactly one of many claimants through.
    pub async fn claim_wish(&self, actor: &Actor, id: i64) -> DomainResult<Wish> {
        let wish = self.wish(actor, id).await?;
        actor.require_any(wish.community_id, &Role::HELPERS, "claim wishes")?;
        if wish.is_party(actor.user_id) {
            return Err(DomainError::forbidden("you cannot claim a wish posted by you or for you"));
        }
        // An escalated wish keeps the lapsed claimant on record; it is not "taken".
        if wish.status != WishStatus::Escalated && wish.claimant_id.is_some_and(|c| c != actor.user_id) {
            return Err(DomainError::AlreadyClaimed);
        }
        let rules = rules_for(&self.db, wish.community_id).await?;
        let due = self.clock.now() + Duration::days(i64::from(rules.wish_claim_days));
        let me = actor.user_id;
        self.move_wish(Some(me), wish, WishAction::Claim, None, move |m| {
            m.claimant_id = Set(Some(me));
            m.claim_due_at = Set(Some(due));
        })
        .await
    }

    /// The claimant gives the wish back to the published list.
    pub async fn withdraw_wish_claim(&self, actor: &Actor, id: i64) -> DomainResult<Wish> {
        let wish = self.wish(actor, id).await?;
        if wish.claimant_id != Some(actor.user_id) {
            return Err(DomainError::forbidden("only the member who claimed this wish can give it back"));
        }
        self.move_wish(Some(actor.user_id), wish, WishAction::Release, Some("withdrawn by the claimant".into()), |m| {
            m.claimant_id = Set(None);
            m.claim_due_at = Set(None);
        })
        .await
    }

    pub async fn fulfil_wish(&self, actor: &Actor, id: i64, note: &str, photo_urls: &[String]) -> DomainResult<Wish> {
        let wish = self.wish(actor, id).await?;
        if wish.claimant_id != Some(actor.user_id) {
            return Err(DomainError::forbidden("only the member who claimed this wish can report it fulfilled"));
        }
        let note = validate::required_text("note", note, 1000)?;
        let (photos, upload_ids) = validate::photo_urls("photoUrls", photo_urls, &self.settings.upload_url_prefix)?;
        self.require_uploads(&self.db, "photoUrls", &upload_ids).await?;
        let photos = serde_json::to_string(&photos).map_err(DomainError::internal)?;
        let fulfil_note = note.clone();
        self.move_wish(Some(actor.user_id), wish, WishAction::Fulfil, Some(note), move |m| {
            m.fulfil_note = Set(Some(fulfil_note));
            m.fulfil_photo_urls = Set(Some(photos));
        })
        .await
    }

    /// The community party organisation approves: only then does it count.
    pub async fn approve_wish(&self, actor: &Actor, id: i64) -> DomainResult<Wish> {
        let wish = self.wish(actor, id).await?;
        actor.require_any(wish.community_id, &[Role::Secretary], "approve wishes")?;
        self.move_wish(Some(actor.user_id), wish, WishAction::Approve, None, |_| {}).await
    }

    pub async fn reject_wish(&self, actor: &Actor, id: i64, reason: &str) -> DomainResult<Wish> {
        let wish = self.wish(actor, id).await?;
        actor.require_any(wish.community_id, &[Role::Secretary], "reject wishes")?;
        let reason = validate::required_text("reason", reason, 500)?;
        self.move_wish(Some(actor.user_id), wish, WishAction::Reject, Some(reason), |_| {}).await
    }

    /// The resident thanks the member and rates the help (1–5 stars).
    pub async fn thank_wish(&self, actor: &Actor, id: i64, stars: i32, thanks: Option<String>) -> DomainResult<Wish> {
        let wish = self.wish(actor, id).await?;
        if !wish.is_party(actor.user_id) {
            return Err(DomainError::forbidden("only the resident, or whoever posted the wish for them, can thank"));
        }
        let stars = validate::stars(stars)?;
        let thanks = validate::optional_text("thanks", thanks, 500)?;
        let note = Some(format!("{stars}★{}", thanks.as_deref().map(|t| format!(" {t}")).unwrap_or_default()));
        self.move_wish(Some(actor.user_id), wish, WishAction::Thank, note, move |m| {
            m.rating_stars = Set(Some(stars));
            m.thanks = Set(thanks);
        })
        .await
    }

    pub async fn cancel_wish(&self, actor: &Actor, id: i64, reason: Option<String>) -> DomainResult<Wish> {
        let wish = self.wish(actor, id).await?;
        if !wish.is_party(actor.user_id) && !actor.has(wish.community_id, Role::Secretary) {
            return Err(DomainError::forbidden(
                "only the resident, whoever posted it, or the secretary can cancel a wish",
            ));
        }
        let reason = validate::optional_text("reason", reason, 500)?;
        self.move_wish(Some(actor.user_id), wish, WishAction::Cancel, reason, |_| {}).await
    }

    /// Claims past their deadline are marked overdue, cost the member
    /// `wish_claim_expired` and tell them; then, per the community's overdue
    /// policy, the wish goes back to the published list or is escalated to
    /// the secretaries. Once each, however many nodes sweep at the same time.
    /// Returns how many lapsed.
    pub async fn expire_wish_claims(&self) -> DomainResult<usize> {
        let now = self.clock.now();
        let overdue = wish::Entity::find()
            .filter(wish::Column::Status.eq(WishStatus::Claimed.as_str()))
            .filter(wish::Column::ClaimDueAt.lt(now))
            .order_by_asc(wish::Column::ClaimDueAt)
            .limit(500)
            .all(&self.db)
            .await?;
        let mut lapsed = 0;
        for row in overdue {
            lapsed += usize::from(self.lapse_wish_claim(Wish::try_from(row)?, now).await?);
        }
        Ok(lapsed)
    }

    async fn lapse_wish_claim(&self, wish: Wish, now: DateTime<Utc>) -> DomainResult<bool> {
        let (Some(member), Some(due)) = (wish.claimant_id, wish.claim_due_at) else { return Ok(false) };
        let txn = self.db.begin().await?;
        let policy = deadlines::policy_of(&txn, wish.community_id).await?;
        let still_due = Some(wish::Column::ClaimDueAt.lt(now).into_condition());
        let missed = format!("not fulfilled by {}", deadlines::local_time(due));
        let (action, note) = match policy {
            OverduePolicy::ReturnToPool => {
                (WishAction::Release, format!("{missed}: the claim lapsed and the wish is back in the list"))
            }
            OverduePolicy::Escalate => (WishAction::Escalate, format!("{missed}: escalated to the secretary")),
        };
        let moved = self
            .wish_step(&txn, None, &wish, action, Some(&note), still_due, now, |m| {
                m.overdue_at = Set(Some(now));
                if action == WishAction::Release {
                    m.claimant_id = Set(None);
                    m.claim_due_at = Set(None);
                }
            })
            .await?;
        if !moved {
            // Fulfilled, given back, or swept by another node in the meantime.
            txn.rollback().await?;
            return Ok(false);
        }
        let what_next = match policy {
            OverduePolicy::ReturnToPool => "已退回心愿清单",
            OverduePolicy::Escalate => "已转社区书记处理",
        };
        notify(
            &txn,
            NewNotice {
                community_id: wish.community_id,
                recipient_id: member,
                kind: "WISH_OVERDUE",
                subject_kind: Some(Subject::Wish.as_str()),
                subject_id: Some(wish.id),
                title: "认领的心愿已超时".into(),
                body: format!(
                    "您认领的微心愿“{}”未在 {} 前完成，{what_next}，并按规则扣减奉献积分。",
                    wish.title,
                    deadlines::local_time(due)
                ),
                dedup_key: format!("wish-overdue:{}:{member}:{}", wish.id, due.timestamp()),
                at: now,
            },
        )
        .await?;
        if policy == OverduePolicy::Escalate {
            let body = format!(
                "微心愿“{}”（#{}）认领后未在 {} 前完成，请重新发布或另行安排。",
                wish.title,
                wish.id,
                deadlines::local_time(due)
            );
            deadlines::tell_secretaries(
                &txn,
                SecretaryNotice {
                    community_id: wish.community_id,
                    kind: "WISH_ESCALATED",
                    subject: Subject::Wish,
                    subject_id: wish.id,
                    title: "微心愿超时未完成",
                    body: &body,
                    key: &format!("wish-escalated:{}:{}", wish.id, due.timestamp()),
                    at: now,
                },
            )
            .await?;
        }
        txn.commit().await?;
        Ok(true)
    }

    /// Moves a wish along the state machine: a conditional update on the
    /// status (and claimant) it was read in, the event, and the dedication
    /// points the step earns, in one transaction.
    async fn move_wish(
        &self,
        actor_id: Option<i64>,
        wish: Wish,
        action: WishAction,
        note: Option<String>,
        change: impl FnOnce(&mut wish::ActiveModel),
    ) -> DomainResult<Wish> {
        if next_wish_status(wish.status, action).is_none() {
            return Err(DomainError::invalid_state(format!(
                "a {} wish cannot be {}",
                wish.status.as_str(),
                wish_verb(action)
            )));
        }
        let now = self.clock.now();
        let txn = self.db.begin().await?;
        if !self.wish_step(&txn, actor_id, &wish, action, note.as_deref(), None, now, change).await? {
            txn.rollback().await?;
            let now_is = self.load_wish(wish.id).await?;
            return Err(match (action, now_is.claimant_id) {
                (WishAction::Claim, Some(who)) if Some(who) != actor_id => DomainError::AlreadyClaimed,
                _ => DomainError::invalid_state(format!(
                    "this wish changed to {} in the meantime; reload it",
                    now_is.status.as_str()
                )),
            });
        }
        let row = wish::Entity::find_by_id(wish.id).one(&txn).await?.ok_or(DomainError::NotFound("wish"))?;
        txn.commit().await?;
        row.try_into()
    }

    /// One step in the caller's transaction: the guarded update (status and
    /// claimant as read, and `extra` if any), the event, and the step's points.
    /// `false` when someone changed the wish first (or the step is not allowed).
    #[allow(clippy::too_many_arguments)]
    async fn wish_step(
        &self,
        txn: &DatabaseTransaction,
        actor_id: Option<i64>,
        wish: &Wish,
        action: WishAction,
        note: Option<&str>,
        extra: Option<Condition>,
        now: DateTime<Utc>,
        change: impl FnOnce(&mut wish::ActiveModel),
    ) -> DomainResult<bool> {
        let Some(to) = next_wish_status(wish.status, action) else { return Ok(false) };
        let mut changes =
            wish::ActiveModel { status: Set(to.as_str().into()), updated_at: Set(now), ..Default::default() };
        change(&mut changes);
        let guard = Condition::all()
            .add(wish::Column::Id.eq(wish.id))
            .add(wish::Column::Status.eq(wish.status.as_str()))
            .add(match wish.claimant_id {
                Some(c) => wish::Column::ClaimantId.eq(c).into_condition(),
                None => wish::Column::ClaimantId.is_null().into_condition(),
            })
            .add_option(extra);
        if !guarded_update(txn, changes, guard).await? {
            return Ok(false);
        }
        workflow::record(
            txn,
            Transition {
                subject: Subject::Wish,
                subject_id: wish.id,
                community_id: wish.community_id,
                actor_id,
                from: Some(wish.status),
                to,
                note,
                at: now,
            },
        )
        .await?;
        if let Some(member) = wish.claimant_id {
            let rules = rules_for(txn, wish.community_id).await?;
            let effect = match (action, actor_id) {
                (WishAction::Approve, _) => {
                    Some((rules.wish_fulfilled, format!("fulfilled wish “{}”", wish.title), "approved"))
                }
                (WishAction::Release | WishAction::Escalate, None) => Some((
                    rules.wish_claim_expired,
                    format!("claimed wish “{}” not fulfilled in time", wish.title),
                    "lapsed",
                )),
                _ => None,
            };
            if let Some((points, reason, what)) = effect {
                let due = wish.claim_due_at.map(|d| d.timestamp()).unwrap_or_default();
                credit(
                    txn,
                    Credit {
                        community_id: wish.community_id,
                        member_id: member,
                        points,
                        reason,
                        kind: SourceKind::Wish,
                        source_id: Some(wish.id),
                        key: format!("wish:{}:{member}:{what}:{due}", wish.id),
                        created_by: actor_id,
                        at: now,
                    },
                )
                .await?;
            }
        }
        Ok(true)
    }

    pub async fn wish_histories(&self, ids: &[i64]) -> DomainResult<HashMap<i64, Vec<WishEvent>>> {
        workflow::histories(&self.db, Subject::Wish, ids).await
    }

    /// Wishes the actor may see, newest first.
    pub async fn wishes(&self, actor: &Actor, filter: WishFilter, page: PageRequest) -> DomainResult<Page<Wish>> {
        let me = actor.user_id;
        let mut visible = Condition::any()
            .add(wish::Column::PlacedBy.eq(me))
            .add(wish::Column::OnBehalfOf.eq(me))
            .add(wish::Column::ClaimantId.eq(me));
        let staff = actor.communities_with(&Role::STAFF);
        if !staff.is_empty() {
            visible = visible.add(wish::Column::CommunityId.is_in(staff));
        }
        let helpers = actor.communities_with(&Role::HELPERS);
        if !helpers.is_empty() {
            visible = visible.add(Condition::all().add(wish::Column::CommunityId.is_in(helpers)).add(
                wish::Column::Status.is_not_in([
                    WishStatus::Submitted.as_str(),
                    WishStatus::Declined.as_str(),
                    WishStatus::Cancelled.as_str(),
                ]),
            ));
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
        let total_count = wish::Entity::find().filter(cond.clone()).count(&self.db).await?;
        let mut query = wish::Entity::find().filter(cond);
        if let Some(after) = page.after {
            query = query.filter(wish::Column::Id.lt(after));
        }
        let mut rows = query.order_by_desc(wish::Column::Id).limit(page.first + 1).all(&self.db).await?;
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

fn wish_verb(action: WishAction) -> &'static str {
    match action {
        WishAction::Publish => "published",
        WishAction::Decline => "declined",
        WishAction::Claim => "claimed",
        WishAction::Release => "given back",
        WishAction::Fulfil => "reported fulfilled",
        WishAction::Approve => "approved",
        WishAction::Reject => "rejected",
        WishAction::Thank => "thanked",
        WishAction::Cancel => "cancelled",
        WishAction::Escalate => "escalated",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use WishAction as A;
    use WishStatus as S;

    #[test]
    fn a_wish_runs_from_submitted_to_closed() {
        let mut s = S::Submitted;
        for (a, expected) in [
            (A::Publish, S::Published),
            (A::Claim, S::Claimed),
            (A::Release, S::Published),
            (A::Claim, S::Claimed),
            (A::Fulfil, S::AwaitingApproval),
            (A::Reject, S::Claimed),
            (A::Fulfil, S::AwaitingApproval),
            (A::Approve, S::Approved),
            (A::Thank, S::Closed),
        ] {
            s = next_wish_status(s, a).unwrap();
            assert_eq!(s, expected);
        }
    }

    #[test]
    fn only_a_claimed_wish_escalates_and_the_secretary_can_publish_or_cancel_it_again() {
        for from in S::ALL {
            assert_eq!(next_wish_status(*from, A::Escalate).is_some(), *from == S::Claimed, "{from:?}");
        }
        assert_eq!(next_wish_status(S::Escalated, A::Publish), Some(S::Published));
        assert_eq!(next_wish_status(S::Escalated, A::Cancel), Some(S::Cancelled));
        assert_eq!(next_wish_status(S::Escalated, A::Claim), None);
    }

    #[test]
    fn claims_come_only_from_the_published_list() {
        for from in S::ALL {
            assert_eq!(next_wish_status(*from, A::Claim).is_some(), *from == S::Published, "{from:?}");
        }
    }

    #[test]
    fn finished_wishes_accept_nothing() {
        for from in [S::Closed, S::Declined, S::Cancelled] {
            for a in [
                A::Publish,
                A::Decline,
                A::Claim,
                A::Release,
                A::Fulfil,
                A::Approve,
                A::Reject,
                A::Thank,
                A::Cancel,
                A::Escalate,
            ] {
                assert_eq!(next_wish_status(from, a), None);
            }
        }
    }
}
