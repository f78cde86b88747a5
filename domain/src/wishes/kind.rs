//! Wishes on the workflow spine, and what follows a step: the member's
//! points when the wish is approved or the claim lapses, and the notices
//! of a missed deadline.

use sea_orm::DatabaseTransaction;

use super::machine::{WishAction, WishStatus, next_wish_status, wish_verb};
use crate::Domain;
use crate::deadlines::{self, SecretaryNotice};
use crate::entities::wish;
use crate::error::DomainResult;
use crate::notifications::{NewNotice, notify};
use crate::points::{Credit, SourceKind, credit, rules_for};
use crate::workflow::{Moved, Step, Subject};

/// A step of a wish.
pub(crate) type WishStep = Step<wish::Entity>;

crate::workflow::kind!(
    wish: Wish, "wish", WishStatus, WishAction, next_wish_status, wish_verb;
    const HOLDER: Option<wish::Column> = Some(wish::Column::ClaimantId);
    const UPDATED_AT: Option<wish::Column> = Some(wish::Column::UpdatedAt);
    const PEOPLE: &'static [wish::Column] =
        &[wish::Column::PlacedBy, wish::Column::OnBehalfOf, wish::Column::ClaimantId];

    fn claims(action: WishAction) -> bool {
        action == WishAction::Claim
    }

    async fn after_step(_d: &Domain, txn: &DatabaseTransaction, moved: &Moved<'_, Self>) -> DomainResult<()> {
        match moved.action {
            WishAction::Approve | WishAction::Lapse | WishAction::Escalate => dedication(txn, moved).await?,
            _ => return Ok(()),
        }
        if matches!(moved.action, WishAction::Lapse | WishAction::Escalate) {
            tell_overdue(txn, moved).await?;
        }
        Ok(())
    }
);

/// The claimant's points: earned when the wish is approved, lost when the
/// claim lapses at its deadline. Keyed by the claim's deadline, so each
/// claim counts once.
async fn dedication(txn: &DatabaseTransaction, moved: &Moved<'_, wish::Entity>) -> DomainResult<()> {
    let wish = moved.before;
    let Some(member) = wish.claimant_id else { return Ok(()) };
    let rules = rules_for(txn, wish.community_id).await?;
    let (points, reason, what) = if moved.action == WishAction::Approve {
        (rules.wish_fulfilled, format!("fulfilled wish “{}”", wish.title), "approved")
    } else {
        (rules.wish_claim_expired, format!("claimed wish “{}” not fulfilled in time", wish.title), "lapsed")
    };
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
            created_by: moved.actor,
            at: moved.at,
        },
    )
    .await?;
    Ok(())
}

/// A claim past its deadline: the member is told; escalated, the secretaries too.
async fn tell_overdue(txn: &DatabaseTransaction, moved: &Moved<'_, wish::Entity>) -> DomainResult<()> {
    let wish = moved.before;
    let (Some(member), Some(due)) = (wish.claimant_id, wish.claim_due_at) else { return Ok(()) };
    let escalated = moved.to == WishStatus::Escalated;
    let what_next = if escalated { "已转社区书记处理" } else { "已退回心愿清单" };
    notify(
        txn,
        NewNotice {
            community_id: wish.community_id,
            recipient_id: member,
            kind: "WISH_OVERDUE",
            subject_kind: Some(Subject::Wish),
            subject_id: Some(wish.id),
            title: "认领的心愿已超时".into(),
            body: format!(
                "您认领的微心愿“{}”未在 {} 前完成，{what_next}，并按规则扣减奉献积分。",
                wish.title,
                deadlines::local_time(due)
            ),
            dedup_key: format!("wish-overdue:{}:{member}:{}", wish.id, due.timestamp()),
            at: moved.at,
        },
    )
    .await?;
    if !escalated {
        return Ok(());
    }
    let body = format!(
        "微心愿“{}”（#{}）认领后未在 {} 前完成，请重新发布或另行安排。",
        wish.title,
        wish.id,
        deadlines::local_time(due)
    );
    deadlines::tell_secretaries(
        txn,
        SecretaryNotice {
            community_id: wish.community_id,
            kind: "WISH_ESCALATED",
            subject: Subject::Wish,
            subject_id: wish.id,
            title: "微心愿超时未完成",
            body: &body,
            key: &format!("wish-escalated:{}:{}", wish.id, due.timestamp()),
            at: moved.at,
        },
    )
    .await
}
