//! The in-app notice inbox: what the system tells one person (a lunchbox not
//! delivered in time; later elderly-care alarms, escalations, …). A notice is
//! written inside the transaction of whatever caused it, under a unique
//! dedup key, so a sweep running on several nodes notifies once.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use crate::entities::{community_role, notification};
use crate::error::{DomainError, DomainResult};
use crate::org::{Actor, Role};
use crate::pagination::{Page, PageRequest};
use crate::push;
use crate::workflow::Subject;

crate::area_service!(
    /// The in-app notice inbox.
    Notifications
);

/// A notice about to be sent.
#[derive(Clone, Debug)]
pub struct NewNotice {
    pub community_id: i64,
    pub recipient_id: i64,
    /// What happened, e.g. `LUNCHBOX_UNDELIVERED`.
    pub kind: &'static str,
    /// What it is about (`workflow::Subject::as_str()`), if one thing.
    pub subject_kind: Option<Subject>,
    pub subject_id: Option<i64>,
    pub title: String,
    pub body: String,
    /// Unique across all notices: the same key is sent once.
    pub dedup_key: String,
    pub at: DateTime<Utc>,
}

/// An in-app notice to one person.
pub type Notice = notification::Model;

/// Sends a notice inside the caller's transaction. `false` when a notice with
/// this dedup key was already sent (by this node or another).
pub(crate) async fn notify<C: ConnectionTrait>(conn: &C, n: NewNotice) -> DomainResult<bool> {
    let row = notification::ActiveModel {
        community_id: Set(n.community_id),
        recipient_id: Set(n.recipient_id),
        kind: Set(n.kind.into()),
        subject_kind: Set(n.subject_kind.map(|s| s.as_str().to_owned())),
        subject_id: Set(n.subject_id),
        title: Set(n.title.clone()),
        body: Set(n.body.clone()),
        dedup_key: Set(n.dedup_key.clone()),
        created_at: Set(n.at),
        read_at: Set(None),
        ..Default::default()
    };
    let inserted = notification::Entity::insert(row)
        .on_conflict(OnConflict::column(notification::Column::DedupKey).do_nothing().to_owned())
        .exec_without_returning(conn)
        .await?;
    if inserted == 0 {
        return Ok(false);
    }
    // Every new notice also goes to the phone as an ALARM subscription
    // message, when the recipient has a grant left for it.
    let page = match (n.subject_kind, n.subject_id) {
        (Some(Subject::Order), Some(id)) => format!("pages/order/detail?id={id}"),
        _ => "pages/notifications/index".to_owned(),
    };
    push::enqueue_push(
        conn,
        push::PushRequest {
            community_id: n.community_id,
            user_id: n.recipient_id,
            kind: push::PushKind::Alarm,
            page,
            fields: vec![
                ("thing1".into(), n.title),
                ("thing2".into(), n.body),
                ("time3".into(), push::template_time(n.at)),
            ],
            dedup_key: format!("notice:{}", n.dedup_key),
            at: n.at,
        },
    )
    .await?;
    Ok(true)
}

/// The people holding any of `roles` in a community, each once, in id order.
pub(crate) async fn people_with_roles<C: ConnectionTrait>(
    conn: &C,
    community_id: i64,
    roles: &[Role],
) -> DomainResult<Vec<i64>> {
    let mut ids: Vec<i64> = community_role::Entity::find()
        .filter(community_role::Column::CommunityId.eq(community_id))
        .filter(community_role::Column::Role.is_in(roles.iter().map(|r| r.as_str())))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| r.user_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

impl Notifications<'_> {
    /// The signed-in person's own notices, newest first, and how many are unread.
    pub async fn mine(self, actor: &Actor, unread_only: bool, page: PageRequest) -> DomainResult<(Page<Notice>, u64)> {
        let mine = || {
            let q = notification::Entity::find().filter(notification::Column::RecipientId.eq(actor.user_id));
            if unread_only { q.filter(notification::Column::ReadAt.is_null()) } else { q }
        };
        let total_count = mine().count(&self.d.db).await?;
        let unread_count = notification::Entity::find()
            .filter(notification::Column::RecipientId.eq(actor.user_id))
            .filter(notification::Column::ReadAt.is_null())
            .count(&self.d.db)
            .await?;
        let mut query = mine();
        if let Some(after) = page.after {
            query = query.filter(notification::Column::Id.lt(after));
        }
        let mut rows = query.order_by_desc(notification::Column::Id).limit(page.first + 1).all(&self.d.db).await?;
        let has_next_page = rows.len() as u64 > page.first;
        rows.truncate(page.first as usize);
        let items = rows;
        Ok((Page { items, has_next_page, has_previous_page: page.after.is_some(), total_count }, unread_count))
    }

    /// Marks one of your own notices read (again is harmless). Another
    /// person's notice is `NOT_FOUND`.
    pub async fn mark_read(self, actor: &Actor, id: i64) -> DomainResult<Notice> {
        let own = || notification::Entity::find_by_id(id).filter(notification::Column::RecipientId.eq(actor.user_id));
        if own().one(&self.d.db).await?.is_none() {
            return Err(DomainError::NotFound("notification"));
        }
        notification::Entity::update_many()
            .col_expr(notification::Column::ReadAt, Expr::value(self.d.clock.now()))
            .filter(notification::Column::Id.eq(id))
            .filter(notification::Column::RecipientId.eq(actor.user_id))
            .filter(notification::Column::ReadAt.is_null())
            .exec(&self.d.db)
            .await?;
        own().one(&self.d.db).await?.ok_or(DomainError::NotFound("notification"))
    }

    /// Marks all your unread notices read; how many were unread.
    pub async fn mark_all_read(self, actor: &Actor) -> DomainResult<u64> {
        let done = notification::Entity::update_many()
            .col_expr(notification::Column::ReadAt, Expr::value(self.d.clock.now()))
            .filter(notification::Column::RecipientId.eq(actor.user_id))
            .filter(notification::Column::ReadAt.is_null())
            .exec(&self.d.db)
            .await?;
        Ok(done.rows_affected)
    }
}
