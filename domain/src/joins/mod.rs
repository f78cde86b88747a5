//! Joining a community: a signed-in user asks with the invite code their
//! grid worker gave them, and the community's staff confirm or decline.
//! Requests run on the workflow spine; confirming makes the user a resident
//! in the same transaction.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};

use crate::Domain;
use crate::entities::{community, community_role, join_request};
use crate::error::{DomainError, DomainResult};
use crate::org::authority;
use crate::org::{Actor, Role, in_reach};
use crate::validate;
use crate::workflow::{self, Moved, Step};

crate::area_service!(
    /// Requests to join a community.
    Joins
);

crate::string_enum!(JoinStatus { Pending, Approved, Declined });

#[derive(Clone, Debug)]
pub struct JoinRequest {
    pub id: i64,
    pub user_id: i64,
    pub community_id: i64,
    pub status: JoinStatus,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<join_request::Model> for JoinRequest {
    type Error = DomainError;
    fn try_from(m: join_request::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            user_id: m.user_id,
            community_id: m.community_id,
            status: JoinStatus::parse(&m.status)?,
            note: m.note,
            created_at: m.created_at,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinAction {
    Approve,
    Decline,
}

/// The join-request state machine: decided once.
pub fn next_join_status(from: JoinStatus, action: JoinAction) -> Option<JoinStatus> {
    match (from, action) {
        (JoinStatus::Pending, JoinAction::Approve) => Some(JoinStatus::Approved),
        (JoinStatus::Pending, JoinAction::Decline) => Some(JoinStatus::Declined),
        _ => None,
    }
}

/// The action as a past participle, for messages.
fn join_verb(action: JoinAction) -> &'static str {
    match action {
        JoinAction::Approve => "approved",
        JoinAction::Decline => "declined",
    }
}

type JoinStep = Step<join_request::Entity>;

crate::workflow::kind!(
    join_request: JoinRequest, "join request", JoinStatus, JoinAction, next_join_status, join_verb;
    const HOLDER: Option<join_request::Column> = None;
    const UPDATED_AT: Option<join_request::Column> = None;
    const PEOPLE: &'static [join_request::Column] = &[join_request::Column::UserId];

    /// A confirmed request makes the user a resident (unless they already are).
    async fn after_step(d: &Domain, txn: &DatabaseTransaction, moved: &Moved<'_, Self>) -> DomainResult<()> {
        let row = moved.after;
        if moved.to != JoinStatus::Approved
            || d.org().roles_of(txn, row.user_id, row.community_id).await?.contains(&Role::Resident)
        {
            return Ok(());
        }
        community_role::ActiveModel {
            user_id: Set(row.user_id),
            community_id: Set(row.community_id),
            role: Set(Role::Resident.as_str().into()),
            granted_by: Set(moved.actor),
            created_at: Set(moved.at),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        Ok(())
    }
);

impl Joins<'_> {
    /// A signed-in user asks to join the community whose invite code they were given.
    pub async fn request(self, user_id: i64, invite_code: &str, note: Option<String>) -> DomainResult<JoinRequest> {
        let code = invite_code.trim().to_uppercase();
        let community = community::Entity::find()
            .filter(community::Column::InviteCode.eq(code))
            .one(&self.d.db)
            .await?
            .ok_or_else(|| {
                DomainError::bad_input(
                    "inviteCode",
                    "no community has this invite code; check it with your grid worker",
                )
            })?;
        let note = validate::optional_text("note", note, 200)?;
        let roles = self.d.org().roles_of(&self.d.db, user_id, community.id).await?;
        if roles.contains(&Role::Resident) {
            return Err(DomainError::Conflict("you are already a resident of this community".into()));
        }
        if let Some(pending) = join_request::Entity::find()
            .filter(join_request::Column::UserId.eq(user_id))
            .filter(join_request::Column::CommunityId.eq(community.id))
            .filter(join_request::Column::Status.eq(JoinStatus::Pending.as_str()))
            .one(&self.d.db)
            .await?
        {
            return pending.try_into();
        }
        let now = self.d.clock.now();
        let txn = self.d.db.begin().await?;
        let row = join_request::ActiveModel {
            user_id: Set(user_id),
            community_id: Set(community.id),
            status: Set(JoinStatus::Pending.as_str().into()),
            note: Set(note),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        workflow::created::<join_request::Entity, _>(&txn, &row, Some(user_id), now).await?;
        txn.commit().await?;
        row.try_into()
    }

    pub async fn pending(self, actor: &Actor, community_id: i64) -> DomainResult<Vec<JoinRequest>> {
        actor.require(&authority::JOIN_REQUESTS, community_id)?;
        join_request::Entity::find()
            .filter(join_request::Column::CommunityId.eq(community_id))
            .filter(join_request::Column::Status.eq(JoinStatus::Pending.as_str()))
            .order_by_asc(join_request::Column::Id)
            .all(&self.d.db)
            .await?
            .into_iter()
            .map(JoinRequest::try_from)
            .collect()
    }

    /// The grid worker or secretary confirms (or declines) a join request;
    /// confirming makes the user a resident.
    pub async fn decide(self, actor: &Actor, request_id: i64, approve: bool) -> DomainResult<JoinRequest> {
        let request = in_reach::<join_request::Entity>(&self.d.db, actor, request_id, "join request").await?;
        let rule = if approve { &authority::APPROVE_JOIN_REQUEST } else { &authority::DECLINE_JOIN_REQUEST };
        actor.require(rule, request.community_id)?;
        actor.require_not_self_for(rule, Some(request.user_id))?;
        let now = self.d.clock.now();
        let action = if approve { JoinAction::Approve } else { JoinAction::Decline };
        let step = JoinStep::by(actor.user_id, action).set(|m| {
            m.decided_by = Set(Some(actor.user_id));
            m.decided_at = Set(Some(now));
        });
        workflow::step(self.d, &request, step).await?.try_into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_join_request_is_decided_once() {
        for from in JoinStatus::ALL {
            for action in [JoinAction::Approve, JoinAction::Decline] {
                assert_eq!(
                    next_join_status(*from, action).is_some(),
                    *from == JoinStatus::Pending,
                    "{from:?} {action:?}"
                );
            }
        }
    }
}
