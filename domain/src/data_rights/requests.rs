//! Deleting someone else's data: a secretary asks for a resident who cannot
//! use a phone, and a second staff member of the same community (another
//! secretary or a grid worker, neither the asker nor the person) confirms.
//! Only the confirmation erases, in its own transaction (the after-step
//! hook); a refusal or a withdrawal leaves the data as it is.
//!
//! A community deletes only the data of its own people: a person who holds
//! any role in another community or a street is refused (`FORBIDDEN`, the
//! other place must handle it), and someone who is not a resident of the
//! asker's community is `NOT_FOUND` (whether they exist is not hers to know).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde_json::json;

use super::{DELETED_SESSION_REASON, DataRights, check_confirmation};
use crate::Domain;
use crate::entities::{community_role, data_deletion_request, session, street_role};
use crate::error::{DomainError, DomainResult};
use crate::org::authority;
use crate::org::{Actor, Role, in_reach};
use crate::validate;
use crate::workflow::{self, Event, Moved, Step, Subject};

crate::string_enum!(DeletionStatus { Pending, Confirmed, Refused, Withdrawn });

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeletionAction {
    Confirm,
    Refuse,
    Withdraw,
}

/// The deletion-request state machine: decided once.
pub fn next_deletion_status(from: DeletionStatus, action: DeletionAction) -> Option<DeletionStatus> {
    match (from, action) {
        (DeletionStatus::Pending, DeletionAction::Confirm) => Some(DeletionStatus::Confirmed),
        (DeletionStatus::Pending, DeletionAction::Refuse) => Some(DeletionStatus::Refused),
        (DeletionStatus::Pending, DeletionAction::Withdraw) => Some(DeletionStatus::Withdrawn),
        _ => None,
    }
}

/// The action as a past participle, for messages.
fn deletion_verb(action: DeletionAction) -> &'static str {
    match action {
        DeletionAction::Confirm => "confirmed",
        DeletionAction::Refuse => "refused",
        DeletionAction::Withdraw => "withdrawn",
    }
}

type DeletionStep = Step<data_deletion_request::Entity>;

/// A request to delete another person's data.
#[derive(Clone, Debug)]
pub struct DeletionRequest {
    pub id: i64,
    pub community_id: i64,
    /// The person whose data is to be deleted.
    pub user_id: i64,
    pub requested_by: i64,
    pub reason: String,
    pub status: DeletionStatus,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Why it was refused.
    pub decision_note: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<data_deletion_request::Model> for DeletionRequest {
    type Error = DomainError;
    fn try_from(m: data_deletion_request::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            community_id: m.community_id,
            user_id: m.user_id,
            requested_by: m.requested_by,
            reason: m.reason,
            status: DeletionStatus::parse(&m.status)?,
            decided_by: m.decided_by,
            decided_at: m.decided_at,
            decision_note: m.decision_note,
            created_at: m.created_at,
        })
    }
}

/// A confirmed request, with the sessions the deletion ended (the caller
/// also ends them in the fast session store).
#[derive(Clone, Debug)]
pub struct Confirmed {
    pub request: DeletionRequest,
    pub ended_sessions: Vec<String>,
}

crate::workflow::kind!(
    data_deletion_request: DataDeletion, "data deletion request", DeletionStatus, DeletionAction,
    next_deletion_status, deletion_verb;
    const HOLDER: Option<data_deletion_request::Column> = None;
    const UPDATED_AT: Option<data_deletion_request::Column> = None;
    const PEOPLE: &'static [data_deletion_request::Column] =
        &[data_deletion_request::Column::UserId, data_deletion_request::Column::RequestedBy];

    /// A confirmed request erases the person's data, in the confirmation's
    /// transaction: refused there (open items, a role elsewhere taken up
    /// since), the confirmation is not written either.
    async fn after_step(d: &Domain, txn: &DatabaseTransaction, moved: &Moved<'_, Self>) -> DomainResult<()> {
        if moved.to != DeletionStatus::Confirmed {
            return Ok(());
        }
        let row = moved.after;
        let confirmed_by = moved.actor.ok_or_else(|| DomainError::internal("a data deletion confirmed by no one"))?;
        // The rules as they stand now: still her community's resident, and only its.
        if !d.org().roles_of(txn, row.user_id, row.community_id).await?.contains(&Role::Resident) {
            return Err(DomainError::NotFound("user"));
        }
        only_here(txn, row.user_id, row.community_id).await?;
        let how = json!({
            "carriedOutBy": "STAFF_WITH_CONFIRMATION",
            "requestId": row.id,
            "requestedBy": row.requested_by,
            "confirmedBy": confirmed_by,
        });
        d.data_rights().erase(txn, row.user_id, row.requested_by, how).await?;
        tracing::info!(
            request_id = row.id,
            user_id = row.user_id,
            requested_by = row.requested_by,
            confirmed_by,
            "personal data deleted on a confirmed request"
        );
        Ok(())
    }
);

/// `FORBIDDEN` when the person holds any role outside `community_id` (another
/// community's, or a street's): their data is not this community's alone to delete.
async fn only_here<C: sea_orm::ConnectionTrait>(conn: &C, user_id: i64, community_id: i64) -> DomainResult<()> {
    let elsewhere = community_role::Entity::find()
        .filter(community_role::Column::UserId.eq(user_id))
        .filter(community_role::Column::CommunityId.ne(community_id))
        .one(conn)
        .await?
        .is_some();
    let street = street_role::Entity::find().filter(street_role::Column::UserId.eq(user_id)).one(conn).await?.is_some();
    if elsewhere || street {
        return Err(DomainError::forbidden(
            "此人还在其他社区或街道有身份，不能由本社区删除其数据；请由那里的工作人员办理",
        ));
    }
    Ok(())
}

/// `INVALID_STATE` unless the request still waits for a decision.
fn still_pending(row: &data_deletion_request::Model) -> DomainResult<()> {
    if row.status == DeletionStatus::Pending.as_str() {
        Ok(())
    } else {
        Err(DomainError::invalid_state(format!("这份删除申请已经处理过（{}），不能再处理", row.status)))
    }
}

impl DataRights<'_> {
    /// A secretary asks to delete the data of a resident of her community
    /// who cannot do it themself; another staff member must confirm. A
    /// pending request for the same person is answered as it is.
    pub async fn request_deletion(
        self,
        actor: &Actor,
        user_id: i64,
        confirm: &str,
        reason: &str,
    ) -> DomainResult<DeletionRequest> {
        check_confirmation(confirm)?;
        if user_id == actor.user_id {
            return Err(DomainError::bad_input("userId", "删除自己的数据请用 deleteMyData，无需他人确认"));
        }
        let reason = validate::required_text("reason", reason, 200)?;
        let db = &self.d.db;
        // The community of hers where the person is a resident; none is NOT_FOUND.
        let resident_of: Vec<i64> = community_role::Entity::find()
            .filter(community_role::Column::UserId.eq(user_id))
            .filter(community_role::Column::Role.eq(Role::Resident.as_str()))
            .all(db)
            .await?
            .into_iter()
            .map(|r| r.community_id)
            .collect();
        let community_id = actor
            .communities_for(&authority::DATA_DELETION_REQUESTS)
            .into_iter()
            .find(|c| resident_of.contains(c))
            .ok_or(DomainError::NotFound("user"))?;
        actor.require(&authority::REQUEST_DATA_DELETION, community_id)?;
        only_here(db, user_id, community_id).await?;
        if let Some(pending) = data_deletion_request::Entity::find()
            .filter(data_deletion_request::Column::PendingKey.eq(user_id))
            .one(db)
            .await?
        {
            return pending.try_into();
        }
        let now = self.d.clock.now();
        let open = self.open_items(db, user_id, now).await?;
        if !open.is_empty() {
            return Err(DomainError::bad_input("openItems", format!("请先处理这些事项：{}", open.join("；"))));
        }
        let txn = self.d.db.begin().await?;
        let row = data_deletion_request::ActiveModel {
            community_id: Set(community_id),
            user_id: Set(user_id),
            requested_by: Set(actor.user_id),
            reason: Set(reason),
            status: Set(DeletionStatus::Pending.as_str().into()),
            pending_key: Set(Some(user_id)),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|e| match DomainError::from(e) {
            DomainError::Conflict(_) => DomainError::Conflict("此人已有一份待确认的删除申请".into()),
            other => other,
        })?;
        workflow::created::<data_deletion_request::Entity, _>(&txn, &row, Some(actor.user_id), now).await?;
        txn.commit().await?;
        tracing::info!(request_id = row.id, user_id, requested_by = actor.user_id, "data deletion requested");
        row.try_into()
    }

    /// A second staff member confirms: the person's data is erased in the same transaction.
    pub async fn confirm_deletion(self, actor: &Actor, request_id: i64) -> DomainResult<Confirmed> {
        let row = self.request_in_reach(actor, request_id).await?;
        actor.require(&authority::CONFIRM_DATA_DELETION, row.community_id)?;
        actor.require_not_self_for(&authority::CONFIRM_DATA_DELETION, Some(row.requested_by))?;
        actor.require_not_self_for(&authority::CONFIRM_DATA_DELETION, Some(row.user_id))?;
        still_pending(&row)?;
        let now = self.d.clock.now();
        let step = DeletionStep::by(actor.user_id, DeletionAction::Confirm).set(|m| {
            m.pending_key = Set(None);
            m.decided_by = Set(Some(actor.user_id));
            m.decided_at = Set(Some(now));
        });
        let after = workflow::step(self.d, &row, step).await?;
        let ended_sessions = session::Entity::find()
            .filter(session::Column::UserId.eq(after.user_id))
            .filter(session::Column::RevokeReason.eq(DELETED_SESSION_REASON))
            .all(&self.d.db)
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect();
        Ok(Confirmed { request: after.try_into()?, ended_sessions })
    }

    /// A staff member (not the asker, not the person) refuses, saying why; nothing is deleted.
    pub async fn refuse_deletion(self, actor: &Actor, request_id: i64, reason: &str) -> DomainResult<DeletionRequest> {
        let row = self.request_in_reach(actor, request_id).await?;
        actor.require(&authority::REFUSE_DATA_DELETION, row.community_id)?;
        actor.require_not_self_for(&authority::REFUSE_DATA_DELETION, Some(row.requested_by))?;
        actor.require_not_self_for(&authority::REFUSE_DATA_DELETION, Some(row.user_id))?;
        let reason = validate::required_text("reason", reason, 200)?;
        still_pending(&row)?;
        let now = self.d.clock.now();
        let note = reason.clone();
        let step = DeletionStep::by(actor.user_id, DeletionAction::Refuse).note(reason).set(|m| {
            m.pending_key = Set(None);
            m.decided_by = Set(Some(actor.user_id));
            m.decided_at = Set(Some(now));
            m.decision_note = Set(Some(note));
        });
        workflow::step(self.d, &row, step).await?.try_into()
    }

    /// The asker withdraws her request; nothing is deleted.
    pub async fn withdraw_deletion(self, actor: &Actor, request_id: i64) -> DomainResult<DeletionRequest> {
        let row = self.request_in_reach(actor, request_id).await?;
        if row.requested_by != actor.user_id {
            return Err(DomainError::forbidden("只有提出申请的人可以撤回删除申请"));
        }
        still_pending(&row)?;
        let step = DeletionStep::by(actor.user_id, DeletionAction::Withdraw).set(|m| {
            m.pending_key = Set(None);
        });
        workflow::step(self.d, &row, step).await?.try_into()
    }

    /// A community's deletion requests, oldest first, optionally of one status (staff).
    pub async fn deletion_requests(
        self,
        actor: &Actor,
        community_id: i64,
        status: Option<DeletionStatus>,
    ) -> DomainResult<Vec<DeletionRequest>> {
        actor.require(&authority::DATA_DELETION_REQUESTS, community_id)?;
        let mut query =
            data_deletion_request::Entity::find().filter(data_deletion_request::Column::CommunityId.eq(community_id));
        if let Some(status) = status {
            query = query.filter(data_deletion_request::Column::Status.eq(status.as_str()));
        }
        query
            .order_by_asc(data_deletion_request::Column::Id)
            .all(&self.d.db)
            .await?
            .into_iter()
            .map(DeletionRequest::try_from)
            .collect()
    }

    /// The histories of requests the caller was shown, in one statement.
    pub async fn deletion_histories(self, ids: &[i64]) -> DomainResult<HashMap<i64, Vec<Event<DeletionStatus>>>> {
        workflow::histories(&self.d.db, Subject::DataDeletion, ids).await
    }

    async fn request_in_reach(self, actor: &Actor, id: i64) -> DomainResult<data_deletion_request::Model> {
        in_reach::<data_deletion_request::Entity>(&self.d.db, actor, id, "data deletion request").await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deletion_request_is_decided_once() {
        for from in DeletionStatus::ALL {
            for action in [DeletionAction::Confirm, DeletionAction::Refuse, DeletionAction::Withdraw] {
                assert_eq!(
                    next_deletion_status(*from, action).is_some(),
                    *from == DeletionStatus::Pending,
                    "{from:?} {action:?}"
                );
            }
        }
    }
}
