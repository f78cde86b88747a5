//! Photos uploaded by users, recorded so that orders can only point at files
//! that exist.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use crate::entities::upload;
use crate::error::{DomainError, DomainResult};

crate::area_service!(
    /// Photos uploaded to this server.
    Uploads
);

pub const MAX_UPLOAD_BYTES: usize = 5 * 1024 * 1024;

/// Image kinds we accept, recognised by content, not by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageKind {
    Jpeg,
    Png,
    Webp,
}

impl ImageKind {
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(Self::Png)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else {
            None
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Webp => "webp",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
        }
    }
}

impl Uploads<'_> {
    pub async fn record(self, owner_id: i64, id: &str, kind: ImageKind, size: usize) -> DomainResult<()> {
        upload::ActiveModel {
            id: Set(id.into()),
            owner_id: Set(owner_id),
            content_type: Set(kind.content_type().into()),
            size: Set(size as i64),
            created_at: Set(self.d.clock.now()),
        }
        .insert(&self.d.db)
        .await?;
        Ok(())
    }

    /// `BAD_USER_INPUT` unless every id names an upload that exists.
    pub(crate) async fn require<C: ConnectionTrait>(
        self,
        conn: &C,
        field: &'static str,
        ids: &[String],
    ) -> DomainResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let found = upload::Entity::find().filter(upload::Column::Id.is_in(ids.iter().cloned())).count(conn).await?;
        let mut distinct = ids.to_vec();
        distinct.sort();
        distinct.dedup();
        if found as usize == distinct.len() {
            Ok(())
        } else {
            Err(DomainError::bad_input(field, "a photo URL names an upload that does not exist; upload it again"))
        }
    }
}

/// Checks an upload before it is written: kind by content, size.
pub fn check(bytes: &[u8]) -> DomainResult<ImageKind> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(DomainError::bad_input("file", "photos must be 5 MB or smaller"));
    }
    ImageKind::sniff(bytes)
        .ok_or_else(|| DomainError::bad_input("file", "only JPEG, PNG or WebP photos can be uploaded"))
}

/// A photo list as stored: a JSON array of URLs (`None`: no list).
pub(crate) fn urls_from_json(text: Option<&str>) -> DomainResult<Vec<String>> {
    match text {
        None => Ok(Vec::new()),
        Some(t) => serde_json::from_str(t).map_err(DomainError::internal),
    }
}

pub(crate) fn urls_to_json(urls: &[String]) -> DomainResult<String> {
    serde_json::to_string(urls).map_err(DomainError::internal)
}

impl Uploads<'_> {
    /// Photos someone attaches: at most nine, each uploaded here (and
    /// recorded) or an https URL. Returns them cleaned, ready to store.
    pub(crate) async fn checked_photos<C: ConnectionTrait>(
        self,
        conn: &C,
        field: &'static str,
        urls: &[String],
    ) -> DomainResult<Vec<String>> {
        let (urls, upload_ids) = crate::validate::photo_urls(field, urls, &self.d.settings.upload_url_prefix)?;
        self.require(conn, field, &upload_ids).await?;
        Ok(urls)
    }
}
