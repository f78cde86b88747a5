//! Content security: photos submitted to WeChat's asynchronous media check
//! (`mediaCheckAsync`) and what happens when the verdict is `risky` — the
//! photo is withdrawn from the order or wish that shows it, and its upload is
//! no longer served. Text is checked synchronously in the API before the
//! domain is called; nothing of it is kept here.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set, TransactionTrait};

use crate::entities::{media_check, order, user, wish};
use crate::error::{DomainError, DomainResult};
use crate::workflow::Subject;

crate::area_service!(
    /// Content security: photos waiting for WeChat's verdict, and what a risky verdict withdraws.
    Content
);

crate::string_enum!(MediaCheckStatus { Pending, Pass, Risky });

/// A photo WeChat has accepted for checking.
#[derive(Clone, Debug)]
pub struct NewMediaCheck {
    pub trace_id: String,
    pub media_url: String,
    pub subject: Subject,
    pub subject_id: i64,
}

/// What a verdict changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaVerdict {
    /// No check with this trace id (not ours, or already forgotten).
    Unknown,
    Passed,
    /// The photo was withdrawn (now or by an earlier delivery of the same verdict).
    Withdrawn {
        upload_id: Option<String>,
    },
}

/// Removes `url` from a JSON array of URLs; `None` when it was not there.
fn without(json: &str, url: &str) -> DomainResult<Option<String>> {
    let mut urls: Vec<String> = serde_json::from_str(json).map_err(DomainError::internal)?;
    let before = urls.len();
    urls.retain(|u| u != url);
    if urls.len() == before {
        return Ok(None);
    }
    serde_json::to_string(&urls).map(Some).map_err(DomainError::internal)
}

impl Content<'_> {
    /// The WeChat openid of a user, for calls WeChat attributes to a person.
    pub async fn openid_of(self, user_id: i64) -> DomainResult<Option<String>> {
        Ok(user::Entity::find_by_id(user_id)
            .one(&self.d.db)
            .await?
            .map(|u| u.openid)
            .filter(|o| !o.is_empty() && !o.starts_with("deleted:")))
    }

    /// The upload file name a URL points at, when it is one of ours.
    pub fn upload_id_of(self, url: &str) -> Option<String> {
        url.strip_prefix(&self.d.settings.upload_url_prefix).filter(|n| !n.is_empty()).map(str::to_owned)
    }

    /// Records a photo submitted for checking (again with the same trace id is harmless).
    pub async fn record_media_check(self, check: NewMediaCheck) -> DomainResult<()> {
        let upload_id = self.upload_id_of(&check.media_url);
        let row = media_check::ActiveModel {
            trace_id: Set(check.trace_id),
            media_url: Set(check.media_url),
            upload_id: Set(upload_id),
            subject_kind: Set(check.subject.as_str().into()),
            subject_id: Set(check.subject_id),
            status: Set(MediaCheckStatus::Pending.as_str().into()),
            created_at: Set(self.d.clock.now()),
            decided_at: Set(None),
            ..Default::default()
        };
        media_check::Entity::insert(row)
            .on_conflict(OnConflict::column(media_check::Column::TraceId).do_nothing().to_owned())
            .exec_without_returning(&self.d.db)
            .await?;
        Ok(())
    }

    /// Applies WeChat's verdict on a photo. `risky` withdraws it: the URL is
    /// removed from the photo lists of the order or wish it was attached to,
    /// and its upload stops being served ([`Domain::upload_withdrawn`]). The
    /// same verdict delivered again changes nothing more.
    pub async fn media_check_verdict(self, trace_id: &str, risky: bool) -> DomainResult<MediaVerdict> {
        let now = self.d.clock.now();
        let txn = self.d.db.begin().await?;
        let Some(check) =
            media_check::Entity::find().filter(media_check::Column::TraceId.eq(trace_id)).one(&txn).await?
        else {
            txn.commit().await?;
            return Ok(MediaVerdict::Unknown);
        };
        let status = MediaCheckStatus::parse(&check.status)?;
        if status != MediaCheckStatus::Pending {
            txn.commit().await?;
            return Ok(match status {
                MediaCheckStatus::Risky => MediaVerdict::Withdrawn { upload_id: check.upload_id },
                _ => MediaVerdict::Passed,
            });
        }
        let to = if risky { MediaCheckStatus::Risky } else { MediaCheckStatus::Pass };
        let decided = media_check::Entity::update_many()
            .col_expr(media_check::Column::Status, Expr::value(to.as_str()))
            .col_expr(media_check::Column::DecidedAt, Expr::value(Some(now)))
            .filter(media_check::Column::Id.eq(check.id))
            .filter(media_check::Column::Status.eq(MediaCheckStatus::Pending.as_str()))
            .exec(&txn)
            .await?;
        if decided.rows_affected == 1 && risky {
            self.withdraw_photo(&txn, &check, now).await?;
        }
        txn.commit().await?;
        Ok(if risky { MediaVerdict::Withdrawn { upload_id: check.upload_id } } else { MediaVerdict::Passed })
    }

    async fn withdraw_photo<C: ConnectionTrait>(
        self,
        conn: &C,
        check: &media_check::Model,
        now: DateTime<Utc>,
    ) -> DomainResult<()> {
        let url = check.media_url.as_str();
        if check.subject_kind == Subject::Order.as_str() {
            let Some(o) = order::Entity::find_by_id(check.subject_id).one(conn).await? else { return Ok(()) };
            let photos = without(&o.photo_urls, url)?;
            let completion = match o.completion_photo_urls.as_deref() {
                Some(json) => without(json, url)?,
                None => None,
            };
            if photos.is_none() && completion.is_none() {
                return Ok(());
            }
            let mut update = order::Entity::update_many().col_expr(order::Column::UpdatedAt, Expr::value(now));
            if let Some(p) = photos {
                update = update.col_expr(order::Column::PhotoUrls, Expr::value(p));
            }
            if let Some(c) = completion {
                update = update.col_expr(order::Column::CompletionPhotoUrls, Expr::value(Some(c)));
            }
            update.filter(order::Column::Id.eq(o.id)).exec(conn).await?;
        } else if check.subject_kind == Subject::Wish.as_str() {
            let Some(w) = wish::Entity::find_by_id(check.subject_id).one(conn).await? else { return Ok(()) };
            let photos = without(&w.photo_urls, url)?;
            let fulfil = match w.fulfil_photo_urls.as_deref() {
                Some(json) => without(json, url)?,
                None => None,
            };
            if photos.is_none() && fulfil.is_none() {
                return Ok(());
            }
            let mut update = wish::Entity::update_many().col_expr(wish::Column::UpdatedAt, Expr::value(now));
            if let Some(p) = photos {
                update = update.col_expr(wish::Column::PhotoUrls, Expr::value(p));
            }
            if let Some(f) = fulfil {
                update = update.col_expr(wish::Column::FulfilPhotoUrls, Expr::value(Some(f)));
            }
            update.filter(wish::Column::Id.eq(w.id)).exec(conn).await?;
        }
        tracing::warn!(trace_id = %check.trace_id, subject = %check.subject_kind, subject_id = check.subject_id,
            "a photo failed WeChat's media check and was withdrawn");
        Ok(())
    }

    /// Those of `urls` not yet submitted for this order or wish (a retried
    /// request that returns the same order does not submit its photos again).
    pub async fn unchecked_photos(
        self,
        subject: Subject,
        subject_id: i64,
        urls: &[String],
    ) -> DomainResult<Vec<String>> {
        if urls.is_empty() {
            return Ok(Vec::new());
        }
        let known: Vec<String> = media_check::Entity::find()
            .filter(media_check::Column::SubjectKind.eq(subject.as_str()))
            .filter(media_check::Column::SubjectId.eq(subject_id))
            .all(&self.d.db)
            .await?
            .into_iter()
            .map(|c| c.media_url)
            .collect();
        Ok(urls.iter().filter(|u| !known.contains(u)).cloned().collect())
    }

    /// Whether WeChat judged this upload risky: it is then no longer served.
    pub async fn upload_withdrawn(self, upload_id: &str) -> DomainResult<bool> {
        let risky = media_check::Entity::find()
            .filter(media_check::Column::UploadId.eq(upload_id))
            .filter(media_check::Column::Status.eq(MediaCheckStatus::Risky.as_str()))
            .count(&self.d.db)
            .await?;
        Ok(risky > 0)
    }
}
