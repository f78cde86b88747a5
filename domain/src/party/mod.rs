//! Reporting in (双报到): an at-work party member reports in to the
//! community where they live; the secretary approves (granting
//! PARTY_MEMBER) or declines. One active report-in per member: approving a
//! new one in another community ends the old one (moving house). The public
//! service board shows each member's unit, post and chosen phone
//! (亮身份、亮职务、亮电话).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};

use crate::entities::{community_role, post, post_claim, report_in};
use crate::error::{DomainError, DomainResult};
use crate::org::authority;
use crate::org::{Actor, Role};
use crate::{validate, workflow};

mod kind;

use kind::ReportInStep;
pub use kind::{ReportInAction, next_report_in_status};

crate::area_service!(
    /// 双报到: report-ins of at-work party members and the public service board.
    Party
);

crate::string_enum!(ReportInStatus { Pending, Approved, Declined, Left });

#[derive(Clone, Debug)]
pub struct ReportIn {
    pub id: i64,
    pub user_id: i64,
    pub community_id: i64,
    pub work_unit: String,
    pub party_branch: String,
    pub specialties: Vec<String>,
    pub public_phone: Option<String>,
    pub status: ReportInStatus,
    pub decline_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl TryFrom<report_in::Model> for ReportIn {
    type Error = DomainError;
    fn try_from(m: report_in::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            user_id: m.user_id,
            community_id: m.community_id,
            work_unit: m.work_unit,
            party_branch: m.party_branch,
            specialties: serde_json::from_str(&m.specialties).map_err(DomainError::internal)?,
            public_phone: m.public_phone,
            status: ReportInStatus::parse(&m.status)?,
            decline_reason: m.decline_reason,
            created_at: m.created_at,
            decided_at: m.decided_at,
        })
    }
}

#[derive(Clone, Debug)]
pub struct ReportInRequest {
    pub community_id: i64,
    pub work_unit: String,
    pub party_branch: String,
    pub specialties: Vec<String>,
    pub public_phone: Option<String>,
}

/// One line of the public service board.
#[derive(Clone, Debug)]
pub struct BoardEntry {
    pub member_id: i64,
    pub name: String,
    pub work_unit: String,
    pub party_branch: String,
    pub specialties: Vec<String>,
    /// Titles of the volunteer posts the member holds now.
    pub posts: Vec<String>,
    /// Only what the member chose to show.
    pub public_phone: Option<String>,
}

/// Ending a report-in: the active key is freed for a later one.
fn leave(by: i64, now: DateTime<Utc>) -> ReportInStep {
    ReportInStep::by(by, ReportInAction::Leave).set(|m| {
        m.active_key = Set(None);
        m.left_at = Set(Some(now));
    })
}

pub(crate) async fn set_role<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    community_id: i64,
    role: Role,
    granted_by: i64,
    now: DateTime<Utc>,
    present: bool,
) -> DomainResult<()> {
    let existing = community_role::Entity::find()
        .filter(community_role::Column::UserId.eq(user_id))
        .filter(community_role::Column::CommunityId.eq(community_id))
        .filter(community_role::Column::Role.eq(role.as_str()))
        .one(conn)
        .await?;
    match (existing, present) {
        (None, true) => {
            community_role::ActiveModel {
                user_id: Set(user_id),
                community_id: Set(community_id),
                role: Set(role.as_str().into()),
                granted_by: Set(Some(granted_by)),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(conn)
            .await?;
        }
        (Some(row), false) => {
            community_role::Entity::delete_by_id(row.id).exec(conn).await?;
        }
        _ => {}
    }
    Ok(())
}

impl Party<'_> {
    pub async fn report_in(self, actor: &Actor, input: ReportInRequest) -> DomainResult<ReportIn> {
        if !self.d.org().community_exists(input.community_id).await? {
            return Err(DomainError::NotFound("community"));
        }
        let work_unit = validate::required_text("workUnit", &input.work_unit, 100)?;
        let party_branch = validate::required_text("partyBranch", &input.party_branch, 100)?;
        if input.specialties.len() > 10 {
            return Err(DomainError::bad_input("specialties", "list at most 10 specialties"));
        }
        let specialties = input
            .specialties
            .iter()
            .map(|s| validate::required_text("specialties", s, 30))
            .collect::<DomainResult<Vec<_>>>()?;
        let public_phone = input.public_phone.as_deref().map(|p| validate::phone("publicPhone", p)).transpose()?;
        let active = report_in::Entity::find()
            .filter(report_in::Column::UserId.eq(actor.user_id))
            .filter(report_in::Column::CommunityId.eq(input.community_id))
            .filter(
                Condition::any()
                    .add(report_in::Column::Status.eq(ReportInStatus::Pending.as_str()))
                    .add(report_in::Column::Status.eq(ReportInStatus::Approved.as_str())),
            )
            .one(&self.d.db)
            .await?;
        if let Some(active) = active {
            let status = ReportInStatus::parse(&active.status)?;
            return Err(DomainError::Conflict(match status {
                ReportInStatus::Pending => {
                    "you have already reported in here; the secretary has not decided yet".into()
                }
                _ => "you are already reported in to this community".into(),
            }));
        }
        let now = self.d.clock.now();
        let txn = self.d.db.begin().await?;
        let row = report_in::ActiveModel {
            user_id: Set(actor.user_id),
            community_id: Set(input.community_id),
            work_unit: Set(work_unit),
            party_branch: Set(party_branch),
            specialties: Set(serde_json::to_string(&specialties).map_err(DomainError::internal)?),
            public_phone: Set(public_phone),
            status: Set(ReportInStatus::Pending.as_str().into()),
            active_key: Set(Some(format!("{}:{}", actor.user_id, input.community_id))),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|e| match DomainError::from(e) {
            // The same report-in sent twice at once: the unique active key lets one through.
            DomainError::Conflict(_) => {
                DomainError::Conflict("you have already reported in here; the secretary has not decided yet".into())
            }
            other => other,
        })?;
        workflow::created::<report_in::Entity, _>(&txn, &row, Some(actor.user_id), now).await?;
        txn.commit().await?;
        row.try_into()
    }

    async fn report_in_row(self, actor: &Actor, id: i64) -> DomainResult<report_in::Model> {
        report_in::Entity::find_by_id(id)
            .one(&self.d.db)
            .await?
            .filter(|r| r.user_id == actor.user_id || actor.belongs_to(r.community_id))
            .ok_or(DomainError::NotFound("report-in"))
    }

    /// Approving grants PARTY_MEMBER (and RESIDENT: they live here), and ends
    /// an approved report-in elsewhere (the member moved).
    pub async fn approve_report_in(self, actor: &Actor, id: i64) -> DomainResult<ReportIn> {
        let row = self.report_in_row(actor, id).await?;
        actor.require(&authority::APPROVE_REPORT_IN, row.community_id)?;
        actor.require_not_self_for(&authority::APPROVE_REPORT_IN, Some(row.user_id))?;
        let now = self.d.clock.now();
        let txn = self.d.db.begin().await?;
        let elsewhere = report_in::Entity::find()
            .filter(report_in::Column::UserId.eq(row.user_id))
            .filter(report_in::Column::Status.eq(ReportInStatus::Approved.as_str()))
            .filter(report_in::Column::Id.ne(id))
            .all(&txn)
            .await?;
        for old in &elsewhere {
            if workflow::step_in(self.d, &txn, old, leave(actor.user_id, now)).await?.is_none() {
                return Err(workflow::refused::<report_in::Entity>(
                    self.d,
                    txn,
                    old,
                    ReportInAction::Leave,
                    Some(actor.user_id),
                )
                .await);
            }
        }
        let approve = ReportInStep::by(actor.user_id, ReportInAction::Approve).set(|m| {
            m.decided_by = Set(Some(actor.user_id));
            m.decided_at = Set(Some(now));
        });
        let Some(approved) = workflow::step_in(self.d, &txn, &row, approve).await? else {
            return Err(workflow::refused::<report_in::Entity>(
                self.d,
                txn,
                &row,
                ReportInAction::Approve,
                Some(actor.user_id),
            )
            .await);
        };
        txn.commit().await?;
        approved.try_into()
    }

    pub async fn decline_report_in(self, actor: &Actor, id: i64, reason: &str) -> DomainResult<ReportIn> {
        let row = self.report_in_row(actor, id).await?;
        actor.require(&authority::DECLINE_REPORT_IN, row.community_id)?;
        actor.require_not_self_for(&authority::DECLINE_REPORT_IN, Some(row.user_id))?;
        let reason = validate::required_text("reason", reason, 500)?;
        let now = self.d.clock.now();
        let decline = ReportInStep::by(actor.user_id, ReportInAction::Decline).note(reason.clone()).set(|m| {
            m.active_key = Set(None);
            m.decline_reason = Set(Some(reason));
            m.decided_by = Set(Some(actor.user_id));
            m.decided_at = Set(Some(now));
        });
        workflow::step(self.d, &row, decline).await?.try_into()
    }

    /// The member leaves (or the secretary removes them): the report-in ends,
    /// PARTY_MEMBER is revoked and their volunteer posts are given up.
    pub async fn leave_report_in(self, actor: &Actor, id: i64) -> DomainResult<ReportIn> {
        let row = self.report_in_row(actor, id).await?;
        actor.require_theirs_or(&authority::LEAVE_REPORT_IN, row.community_id, row.user_id == actor.user_id)?;
        workflow::step(self.d, &row, leave(actor.user_id, self.d.clock.now())).await?.try_into()
    }

    pub async fn my_report_ins(self, actor: &Actor) -> DomainResult<Vec<ReportIn>> {
        report_in::Entity::find()
            .filter(report_in::Column::UserId.eq(actor.user_id))
            .order_by_desc(report_in::Column::Id)
            .all(&self.d.db)
            .await?
            .into_iter()
            .map(ReportIn::try_from)
            .collect()
    }

    /// The secretary's list, pending first.
    pub async fn report_ins(
        self,
        actor: &Actor,
        community_id: i64,
        status: Option<ReportInStatus>,
    ) -> DomainResult<Vec<ReportIn>> {
        actor.require(&authority::REPORT_INS, community_id)?;
        let mut query = report_in::Entity::find().filter(report_in::Column::CommunityId.eq(community_id));
        if let Some(status) = status {
            query = query.filter(report_in::Column::Status.eq(status.as_str()));
        }
        query.order_by_asc(report_in::Column::Id).all(&self.d.db).await?.into_iter().map(ReportIn::try_from).collect()
    }

    /// The public board: every reported-in member, for anyone in the community.
    pub async fn service_board(self, actor: &Actor, community_id: i64) -> DomainResult<Vec<BoardEntry>> {
        actor.require_member(community_id)?;
        let rows = report_in::Entity::find()
            .filter(report_in::Column::CommunityId.eq(community_id))
            .filter(report_in::Column::Status.eq(ReportInStatus::Approved.as_str()))
            .order_by_asc(report_in::Column::Id)
            .all(&self.d.db)
            .await?;
        let member_ids: Vec<i64> = rows.iter().map(|r| r.user_id).collect();
        let names = self.d.org().user_summaries(&member_ids).await?;
        let claims = post_claim::Entity::find()
            .filter(post_claim::Column::CommunityId.eq(community_id))
            .filter(post_claim::Column::MemberId.is_in(member_ids.clone()))
            .filter(post_claim::Column::LeftAt.is_null())
            .all(&self.d.db)
            .await?;
        let post_ids: Vec<i64> = claims.iter().map(|c| c.post_id).collect();
        let titles: std::collections::HashMap<i64, String> = post::Entity::find()
            .filter(post::Column::Id.is_in(post_ids))
            .all(&self.d.db)
            .await?
            .into_iter()
            .map(|p| (p.id, p.title))
            .collect();
        rows.into_iter()
            .map(|r| {
                let report = ReportIn::try_from(r)?;
                let posts = claims
                    .iter()
                    .filter(|c| c.member_id == report.user_id)
                    .filter_map(|c| titles.get(&c.post_id).cloned())
                    .collect();
                Ok(BoardEntry {
                    member_id: report.user_id,
                    name: names.get(&report.user_id).map(|u| u.display_name.clone()).unwrap_or_default(),
                    work_unit: report.work_unit,
                    party_branch: report.party_branch,
                    specialties: report.specialties,
                    posts,
                    public_phone: report.public_phone,
                })
            })
            .collect()
    }

    /// The community a member is reported in to now, if any.
    pub async fn reported_in_community(self, member_id: i64) -> DomainResult<Option<i64>> {
        Ok(report_in::Entity::find()
            .filter(report_in::Column::UserId.eq(member_id))
            .filter(report_in::Column::Status.eq(ReportInStatus::Approved.as_str()))
            .one(&self.d.db)
            .await?
            .map(|r| r.community_id))
    }
}
