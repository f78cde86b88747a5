//! Missed deadlines, the shared part: each community's overdue policy (what
//! happens to claimed work past its deadline) and the notices the deadline
//! sweeps send. The sweeps themselves live with their work
//! ([`Domain::escalate_unclaimed_orders`], [`Domain::sweep_overdue_orders`],
//! [`Domain::expire_wish_claims`], [`Domain::escalate_unclaimed_care`],
//! [`Domain::alert_undelivered_lunchboxes`]): each acts on one item in one
//! transaction behind a guarded update, records the change as a workflow
//! event by the system, and sends keyed notices, so several nodes sweeping
//! at once act exactly once.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use crate::error::DomainResult;
use crate::notifications::{NewNotice, notify, people_with_roles};
use crate::org::Role;
use crate::workflow::Subject;

/// A notice from a deadline sweep to each secretary of the community, once
/// per `key` and secretary.
pub(crate) struct SecretaryNotice<'a> {
    pub community_id: i64,
    pub kind: &'static str,
    pub subject: Subject,
    pub subject_id: i64,
    pub title: &'a str,
    pub body: &'a str,
    /// Names the occasion; the secretary's id is appended.
    pub key: &'a str,
    pub at: DateTime<Utc>,
}

pub(crate) async fn tell_secretaries<C: ConnectionTrait>(conn: &C, n: SecretaryNotice<'_>) -> DomainResult<()> {
    for secretary in people_with_roles(conn, n.community_id, &[Role::Secretary]).await? {
        notify(
            conn,
            NewNotice {
                community_id: n.community_id,
                recipient_id: secretary,
                kind: n.kind,
                subject_kind: Some(n.subject),
                subject_id: Some(n.subject_id),
                title: n.title.into(),
                body: n.body.into(),
                dedup_key: format!("{}:{secretary}", n.key),
                at: n.at,
            },
        )
        .await?;
    }
    Ok(())
}

/// A deadline as the notices show it: Asia/Shanghai, to the minute.
pub(crate) fn local_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&chrono_tz::Asia::Shanghai).format("%m-%d %H:%M").to_string()
}
