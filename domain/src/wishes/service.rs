//! What people do to wishes.

use chrono::Duration;
use sea_orm::{ActiveModelTrait, EntityTrait, Set, TransactionTrait};

use super::Wishes;
use super::kind::WishStep;
use super::machine::{WishAction, WishStatus};
use super::model::{PostWish, Wish};
use crate::entities::wish;
use crate::error::{DomainError, DomainResult};
use crate::org::Actor;
use crate::org::authority;
use crate::points::rules_for;
use crate::uploads::urls_to_json;
use crate::workflow;
use crate::{idempotency, validate};

const POST_WISH_SCOPE: &str = "postWish";

impl Wishes<'_> {
    /// A resident (or a grid worker for them) posts a wish for the secretary
    /// to review. The same idempotency key posts it once.
    pub async fn post(self, actor: &Actor, input: PostWish, idempotency_key: Option<&str>) -> DomainResult<Wish> {
        actor.require_member(input.community_id)?;
        let hash = idempotency::request_hash(&input)?;
        idempotency::once(
            &self.d.db,
            actor.user_id,
            POST_WISH_SCOPE,
            idempotency_key,
            &hash,
            || self.insert(actor, input, idempotency_key.map(|k| (k, hash.as_str()))),
            |id| self.load(id),
        )
        .await
    }

    async fn insert(self, actor: &Actor, input: PostWish, idempotency: Option<(&str, &str)>) -> DomainResult<Wish> {
        let c = input.community_id;
        let title = validate::required_text("title", &input.title, 50)?;
        let story = validate::required_text("story", &input.story, 1000)?;
        let beneficiary = self.d.org().on_behalf_of(actor, c, input.on_behalf_of, "发布心愿").await?;
        let now = self.d.clock.now();
        let txn = self.d.db.begin().await?;
        let photos = self.d.uploads().checked_photos(&txn, "photoUrls", actor.user_id, &input.photo_urls).await?;
        let row = wish::ActiveModel {
            community_id: Set(c),
            title: Set(title),
            story: Set(story),
            photo_urls: Set(urls_to_json(&photos)?),
            placed_by: Set(actor.user_id),
            on_behalf_of: Set(beneficiary),
            status: Set(WishStatus::Submitted.as_str().into()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        workflow::created::<wish::Entity, _>(&txn, &row, Some(actor.user_id), now).await?;
        if let Some((key, hash)) = idempotency {
            idempotency::remember(&txn, actor.user_id, POST_WISH_SCOPE, key, hash, row.id, now).await?;
        }
        txn.commit().await?;
        row.try_into()
    }

    async fn row(self, id: i64) -> DomainResult<wish::Model> {
        wish::Entity::find_by_id(id).one(&self.d.db).await?.ok_or(DomainError::NotFound("wish"))
    }

    async fn load(self, id: i64) -> DomainResult<Wish> {
        self.row(id).await?.try_into()
    }

    /// The wish's row and the wish, if the actor may see it; `NOT_FOUND` otherwise.
    async fn visible(self, actor: &Actor, id: i64) -> DomainResult<(wish::Model, Wish)> {
        let row = self.row(id).await?;
        let wish = Wish::try_from(row.clone())?;
        if wish.visible_to(actor) { Ok((row, wish)) } else { Err(DomainError::NotFound("wish")) }
    }

    pub async fn get(self, actor: &Actor, id: i64) -> DomainResult<Wish> {
        Ok(self.visible(actor, id).await?.1)
    }

    /// The secretary shows the wish to the community's members (again, for an
    /// escalated one, without its lapsed claim).
    pub async fn publish(self, actor: &Actor, id: i64) -> DomainResult<Wish> {
        let (row, wish) = self.visible(actor, id).await?;
        actor.require(&authority::PUBLISH_WISH, wish.community_id)?;
        let step = WishStep::by(actor.user_id, WishAction::Publish).set(|m| {
            m.claimant_id = Set(None);
            m.claim_due_at = Set(None);
        });
        self.take(&row, step).await
    }

    pub async fn decline(self, actor: &Actor, id: i64, reason: &str) -> DomainResult<Wish> {
        let (row, wish) = self.visible(actor, id).await?;
        actor.require(&authority::DECLINE_WISH, wish.community_id)?;
        let reason = validate::required_text("reason", reason, 500)?;
        self.take(&row, WishStep::by(actor.user_id, WishAction::Decline).note(reason)).await
    }

    /// One active claim per wish: the guarded step on PUBLISHED lets exactly
    /// one of many claimants through.
    pub async fn claim(self, actor: &Actor, id: i64) -> DomainResult<Wish> {
        let (row, wish) = self.visible(actor, id).await?;
        actor.require(&authority::CLAIM_WISH, wish.community_id)?;
        actor.require_not_self_for(&authority::CLAIM_WISH, Some(wish.placed_by))?;
        actor.require_not_self_for(&authority::CLAIM_WISH, Some(wish.beneficiary()))?;
        // An escalated wish keeps the lapsed claimant on record; it is not "taken".
        if wish.status != WishStatus::Escalated && wish.claimant_id.is_some_and(|c| c != actor.user_id) {
            return Err(DomainError::AlreadyClaimed);
        }
        let rules = rules_for(&self.d.db, wish.community_id).await?;
        let due = self.d.clock.now() + Duration::days(i64::from(rules.wish_claim_days));
        let me = actor.user_id;
        let step = WishStep::by(me, WishAction::Claim).set(|m| {
            m.claimant_id = Set(Some(me));
            m.claim_due_at = Set(Some(due));
        });
        self.take(&row, step).await
    }

    /// The claimant gives the wish back to the published list.
    pub async fn withdraw_claim(self, actor: &Actor, id: i64) -> DomainResult<Wish> {
        let (row, wish) = self.visible(actor, id).await?;
        if wish.claimant_id != Some(actor.user_id) {
            return Err(DomainError::forbidden("only the member who claimed this wish can give it back"));
        }
        let step =
            WishStep::by(actor.user_id, WishAction::Withdraw).note("withdrawn by the claimant".to_owned()).set(|m| {
                m.claimant_id = Set(None);
                m.claim_due_at = Set(None);
            });
        self.take(&row, step).await
    }

    pub async fn fulfil(self, actor: &Actor, id: i64, note: &str, photo_urls: &[String]) -> DomainResult<Wish> {
        let (row, wish) = self.visible(actor, id).await?;
        if wish.claimant_id != Some(actor.user_id) {
            return Err(DomainError::forbidden("only the member who claimed this wish can report it fulfilled"));
        }
        let note = validate::required_text("note", note, 1000)?;
        let photos =
            urls_to_json(&self.d.uploads().checked_photos(&self.d.db, "photoUrls", actor.user_id, photo_urls).await?)?;
        let fulfil_note = note.clone();
        let step = WishStep::by(actor.user_id, WishAction::Fulfil).note(note).set(|m| {
            m.fulfil_note = Set(Some(fulfil_note));
            m.fulfil_photo_urls = Set(Some(photos));
        });
        self.take(&row, step).await
    }

    /// The community party organisation approves: only then does it count.
    pub async fn approve(self, actor: &Actor, id: i64) -> DomainResult<Wish> {
        let (row, wish) = self.visible(actor, id).await?;
        actor.require(&authority::APPROVE_WISH, wish.community_id)?;
        actor.require_not_self_for(&authority::REJECT_WISH, wish.claimant_id)?;
        self.take(&row, WishStep::by(actor.user_id, WishAction::Approve)).await
    }

    pub async fn reject(self, actor: &Actor, id: i64, reason: &str) -> DomainResult<Wish> {
        let (row, wish) = self.visible(actor, id).await?;
        actor.require(&authority::REJECT_WISH, wish.community_id)?;
        actor.require_not_self_for(&authority::APPROVE_WISH, wish.claimant_id)?;
        let reason = validate::required_text("reason", reason, 500)?;
        self.take(&row, WishStep::by(actor.user_id, WishAction::Reject).note(reason)).await
    }

    /// The resident thanks the member and rates the help (1–5 stars).
    pub async fn thank(self, actor: &Actor, id: i64, stars: i32, thanks: Option<String>) -> DomainResult<Wish> {
        let (row, wish) = self.visible(actor, id).await?;
        if !wish.is_party(actor.user_id) {
            return Err(DomainError::forbidden("only the resident, or whoever posted the wish for them, can thank"));
        }
        let stars = validate::stars(stars)?;
        let thanks = validate::optional_text("thanks", thanks, 500)?;
        let note = format!("{stars}★{}", thanks.as_deref().map(|t| format!(" {t}")).unwrap_or_default());
        let step = WishStep::by(actor.user_id, WishAction::Thank).note(note).set(|m| {
            m.rating_stars = Set(Some(stars));
            m.thanks = Set(thanks);
        });
        self.take(&row, step).await
    }

    pub async fn cancel(self, actor: &Actor, id: i64, reason: Option<String>) -> DomainResult<Wish> {
        let (row, wish) = self.visible(actor, id).await?;
        actor.require_theirs_or(&authority::CANCEL_WISH, wish.community_id, wish.is_party(actor.user_id))?;
        let reason = validate::optional_text("reason", reason, 500)?;
        self.take(&row, WishStep::by(actor.user_id, WishAction::Cancel).note(reason)).await
    }

    async fn take(self, row: &wish::Model, step: WishStep) -> DomainResult<Wish> {
        workflow::step(self.d, row, step).await?.try_into()
    }
}
