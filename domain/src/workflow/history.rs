//! Every transition's event row: the history a screen shows, and the outbox
//! the real-time relay reads from. One table serves every kind of work.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Order as SortOrder, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, Iterable, QueryFilter, QueryOrder,
    Set,
};

use super::kind::Status;
use crate::entities::{user, workflow_event};
use crate::error::DomainResult;
use crate::org::UserSummary;

/// What an event is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    Order,
    Wish,
    Banquet,
    LunchboxDelivery,
    /// A party member's report-in (双报到).
    ReportIn,
    /// A request to join a community.
    JoinRequest,
    /// Love-supermarket goods redeemed with civility points.
    Redemption,
    /// A canteen meal booked by a resident.
    MealBooking,
    /// A request to delete another person's data, for a second staff member to confirm.
    DataDeletion,
}

impl Subject {
    pub const ALL: [Subject; 9] = [
        Subject::Order,
        Subject::Wish,
        Subject::Banquet,
        Subject::LunchboxDelivery,
        Subject::ReportIn,
        Subject::JoinRequest,
        Subject::Redemption,
        Subject::MealBooking,
        Subject::DataDeletion,
    ];

    /// The subject a stored name stands for; `None` for one this build does not know.
    pub fn of(name: &str) -> Option<Subject> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Subject::Order => "ORDER",
            Subject::Wish => "WISH",
            Subject::Banquet => "BANQUET",
            Subject::LunchboxDelivery => "LUNCHBOX_DELIVERY",
            Subject::ReportIn => "REPORT_IN",
            Subject::JoinRequest => "JOIN_REQUEST",
            Subject::Redemption => "REDEMPTION",
            Subject::MealBooking => "MEAL_BOOKING",
            Subject::DataDeletion => "DATA_DELETION",
        }
    }
}

/// One recorded transition. `actor_id` is `None` when the system acted (a deadline).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event<S> {
    pub id: i64,
    pub subject_id: i64,
    pub actor_id: Option<i64>,
    pub from_status: Option<S>,
    pub to_status: S,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

impl<S: Status> Event<S> {
    fn from_row(m: workflow_event::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            subject_id: m.subject_id,
            actor_id: m.actor_id,
            from_status: m.from_status.as_deref().map(S::parse).transpose()?,
            to_status: S::parse(&m.to_status)?,
            note: m.note,
            at: m.at,
        })
    }
}

/// A transition about to be recorded.
pub(crate) struct Transition<'a, S> {
    pub subject: Subject,
    pub subject_id: i64,
    pub community_id: i64,
    pub actor_id: Option<i64>,
    pub from: Option<S>,
    pub to: S,
    pub note: Option<&'a str>,
    pub at: DateTime<Utc>,
}

pub(crate) async fn record<C: ConnectionTrait, S: Status>(conn: &C, t: Transition<'_, S>) -> DomainResult<()> {
    workflow_event::ActiveModel {
        subject_kind: Set(t.subject.as_str().into()),
        subject_id: Set(t.subject_id),
        community_id: Set(t.community_id),
        actor_id: Set(t.actor_id),
        from_status: Set(t.from.map(|s| s.as_str().into())),
        to_status: Set(t.to.as_str().into()),
        note: Set(t.note.map(Into::into)),
        at: Set(t.at),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Histories of many subjects in one statement, oldest event first.
pub(crate) async fn histories<C: ConnectionTrait, S: Status>(
    conn: &C,
    subject: Subject,
    ids: &[i64],
) -> DomainResult<HashMap<i64, Vec<Event<S>>>> {
    let rows = workflow_event::Entity::find()
        .filter(workflow_event::Column::SubjectKind.eq(subject.as_str()))
        .filter(workflow_event::Column::SubjectId.is_in(ids.iter().copied()))
        .order_by_asc(workflow_event::Column::Id)
        .all(conn)
        .await?;
    let mut by_subject: HashMap<i64, Vec<Event<S>>> = HashMap::new();
    for row in rows {
        let event = Event::from_row(row)?;
        by_subject.entry(event.subject_id).or_default().push(event);
    }
    Ok(by_subject)
}

/// Histories as [`histories`] does, with the name of each event's actor
/// from a left join: nested `actor` fields need no second statement.
pub(crate) async fn histories_with_actors<C: ConnectionTrait, S: Status>(
    conn: &C,
    subject: Subject,
    ids: &[i64],
) -> DomainResult<(HashMap<i64, Vec<Event<S>>>, HashMap<i64, UserSummary>)> {
    let mut query = Query::select();
    query
        .columns(workflow_event::Column::iter().map(|c| (workflow_event::Entity, c)))
        .expr_as(Expr::col((user::Entity, user::Column::DisplayName)), Alias::new("actor_name"))
        .from(workflow_event::Entity)
        .join(
            JoinType::LeftJoin,
            user::Entity,
            Expr::col((user::Entity, user::Column::Id))
                .equals((workflow_event::Entity, workflow_event::Column::ActorId)),
        )
        .and_where(workflow_event::Column::SubjectKind.eq(subject.as_str()))
        .and_where(workflow_event::Column::SubjectId.is_in(ids.iter().copied()))
        .order_by((workflow_event::Entity, workflow_event::Column::Id), SortOrder::Asc);
    let rows = conn.query_all(&query).await?;
    let mut by_subject: HashMap<i64, Vec<Event<S>>> = HashMap::new();
    let mut actors = HashMap::new();
    for row in rows {
        let name: Option<String> = row.try_get("", "actor_name")?;
        let event = Event::from_row(workflow_event::Model::from_query_result(&row, "")?)?;
        if let (Some(id), Some(display_name)) = (event.actor_id, name) {
            actors.insert(id, UserSummary { id, display_name });
        }
        by_subject.entry(event.subject_id).or_default().push(event);
    }
    Ok((by_subject, actors))
}
