//! Photos uploaded by users: checked by content, stripped of their metadata
//! (EXIF with its GPS position, XMP, comments) before they are kept, counted
//! against a daily quota, and recorded so that records can only point at
//! files that exist.
//!
//! Photos are private. What is stored on a record is the plain URL
//! (`upload_url_prefix` + id); the API hands out [`Uploads::signed`] URLs
//! that carry an expiry and an HMAC of the id and that expiry, only in the
//! records the caller may see. The file server accepts such a URL until it
//! expires, or the uploader's own bearer token; anyone else gets 404.

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use hmac::{Hmac, Mac};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set, TransactionTrait,
};
use sha2::Sha256;

use crate::entities::{upload, user};
use crate::error::{DomainError, DomainResult};

crate::area_service!(
    /// Photos uploaded to this server.
    Uploads
);

pub const MAX_UPLOAD_BYTES: usize = 5 * 1024 * 1024;

/// Hex characters of the URL signature kept (128 bits).
const SIGNATURE_HEX: usize = 32;

/// Uploads' settings: the URL-signing key and lifetime, and the daily quota.
#[derive(Clone, Debug)]
pub struct UploadSettings {
    /// Signs photo URLs; the same on every node.
    pub url_key: Vec<u8>,
    /// How long a signed photo URL works (at least this, at most a sixth more,
    /// so that URLs handed out close together are the same and stay cached).
    pub url_seconds: i64,
    /// Photos one person may upload per day (Asia/Shanghai).
    pub daily_count: u64,
    /// Bytes (as stored) one person may upload per day (Asia/Shanghai).
    pub daily_bytes: u64,
}

impl Default for UploadSettings {
    fn default() -> Self {
        Self {
            url_key: b"linli-development-upload-url-key".to_vec(),
            url_seconds: 3600,
            daily_count: 100,
            daily_bytes: 200 * 1024 * 1024,
        }
    }
}

/// Image kinds we accept, recognised by content, not by name. Others (HEIC,
/// GIF, …) are refused: we keep only what we can strip of metadata.
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
        } else if bytes.starts_with(&PNG_SIGNATURE) {
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

/// Whether `name` can be an upload id (what [`Uploads::record`] is given).
pub fn is_upload_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

/// The first instant of the Asia/Shanghai day `at` falls on.
fn start_of_day(at: DateTime<Utc>) -> DomainResult<DateTime<Utc>> {
    let day = at.with_timezone(&Shanghai).date_naive();
    Shanghai
        .from_local_datetime(&day.and_time(NaiveTime::MIN))
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| DomainError::internal("no midnight in Asia/Shanghai"))
}

fn quota_refusal(settings: &UploadSettings, by_count: bool) -> DomainError {
    let mib = settings.daily_bytes as f64 / (1024.0 * 1024.0);
    let limit = if by_count {
        format!("每人每天最多上传 {} 张照片", settings.daily_count)
    } else {
        format!("每人每天最多上传 {mib:.0} MB 照片")
    };
    DomainError::RateLimited(format!("今天上传的照片已达上限（{limit}），请明天再上传"))
}

impl Uploads<'_> {
    /// Records a photo already checked and stripped, within the uploader's
    /// daily quota (`RATE_LIMITED` beyond it: nothing is recorded, and the
    /// caller writes no file). One person's uploads are counted one at a time.
    pub async fn record(self, owner_id: i64, id: &str, kind: ImageKind, size: usize) -> DomainResult<()> {
        let settings = &self.d.settings.uploads;
        let now = self.d.clock.now();
        let since = start_of_day(now)?;
        let txn = self.d.db.begin().await?;
        user::Entity::find_by_id(owner_id).lock_exclusive().one(&txn).await?.ok_or(DomainError::NotFound("user"))?;
        let today: Vec<i64> = upload::Entity::find()
            .select_only()
            .column(upload::Column::Size)
            .filter(upload::Column::OwnerId.eq(owner_id))
            .filter(upload::Column::CreatedAt.gte(since))
            .into_tuple()
            .all(&txn)
            .await?;
        if today.len() as u64 >= settings.daily_count {
            return Err(quota_refusal(settings, true));
        }
        let bytes: u64 = today.iter().map(|s| (*s).max(0) as u64).sum();
        if bytes + size as u64 > settings.daily_bytes {
            return Err(quota_refusal(settings, false));
        }
        upload::ActiveModel {
            id: Set(id.into()),
            owner_id: Set(owner_id),
            content_type: Set(kind.content_type().into()),
            size: Set(size as i64),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Forgets an upload whose file could not be written (it then does not count).
    pub async fn forget(self, id: &str) -> DomainResult<()> {
        upload::Entity::delete_by_id(id.to_owned()).exec(&self.d.db).await?;
        Ok(())
    }

    /// Who uploaded `id`, if it is an upload of ours.
    pub async fn owner_of(self, id: &str) -> DomainResult<Option<i64>> {
        Ok(upload::Entity::find_by_id(id.to_owned()).one(&self.d.db).await?.map(|u| u.owner_id))
    }

    fn mac(self, id: &str, expires: i64) -> DomainResult<Hmac<Sha256>> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.d.settings.uploads.url_key).map_err(DomainError::internal)?;
        mac.update(id.as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        Ok(mac)
    }

    /// The URL to show for a stored photo URL: ours get `?exp=…&sig=…` (valid
    /// for `url_seconds`, rounded up so that one photo keeps one URL for a
    /// while and the mini-program's image cache works); others are unchanged.
    pub fn signed(self, url: &str) -> String {
        let Some(id) = url.strip_prefix(self.d.settings.upload_url_prefix.as_str()) else {
            return url.to_owned();
        };
        if !is_upload_name(id) {
            return url.to_owned();
        }
        let seconds = self.d.settings.uploads.url_seconds.max(1);
        let step = (seconds / 6).clamp(1, 600);
        let wanted = self.d.clock.now().timestamp() + seconds;
        let expires = (wanted + step - 1) / step * step;
        match self.mac(id, expires) {
            Ok(mac) => {
                let sig = hex::encode(mac.finalize().into_bytes());
                format!("{url}?exp={expires}&sig={}", &sig[..SIGNATURE_HEX])
            }
            Err(e) => {
                tracing::error!(error = %e, "upload URL could not be signed");
                url.to_owned()
            }
        }
    }

    /// [`Uploads::signed`] for each URL of a photo list.
    pub fn signed_all(self, urls: &[String]) -> Vec<String> {
        urls.iter().map(|u| self.signed(u)).collect()
    }

    /// Whether `sig` signs `id` until `expires`, and that is not yet past.
    pub fn signature_valid(self, id: &str, expires: i64, sig: &str) -> bool {
        if expires < self.d.clock.now().timestamp() || sig.len() != SIGNATURE_HEX {
            return false;
        }
        let Ok(sig) = hex::decode(sig) else { return false };
        self.mac(id, expires).is_ok_and(|mac| mac.verify_truncated_left(&sig).is_ok())
    }

    /// `BAD_USER_INPUT` unless every id names an upload that exists and that
    /// `owner` uploaded: a photo someone else uploaded (whose link one was
    /// shown on their record) cannot be attached to another record, where
    /// others would be handed links to it.
    pub(crate) async fn require<C: ConnectionTrait>(
        self,
        conn: &C,
        field: &'static str,
        owner: i64,
        ids: &[String],
    ) -> DomainResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let owners: Vec<(String, i64)> = upload::Entity::find()
            .select_only()
            .column(upload::Column::Id)
            .column(upload::Column::OwnerId)
            .filter(upload::Column::Id.is_in(ids.iter().cloned()))
            .into_tuple()
            .all(conn)
            .await?;
        let mut distinct = ids.to_vec();
        distinct.sort();
        distinct.dedup();
        if owners.len() != distinct.len() {
            return Err(DomainError::bad_input(field, "照片不存在或已删除，请重新上传"));
        }
        if let Some((id, uploader)) = owners.iter().find(|(_, uploader)| *uploader != owner) {
            tracing::warn!(upload = %id, uploader, attached_by = owner, "refused attaching another user's upload");
            return Err(DomainError::bad_input(field, "不能使用别人上传的照片，请自己拍照上传"));
        }
        Ok(())
    }
}

/// Checks an upload before it is written: kind by content, size.
pub fn check(bytes: &[u8]) -> DomainResult<ImageKind> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(DomainError::bad_input("file", "照片不能超过 5 MB"));
    }
    ImageKind::sniff(bytes).ok_or_else(|| DomainError::bad_input("file", "只能上传 JPEG、PNG 或 WebP 格式的照片"))
}

/// The photo as it will be kept: the same image, byte for byte, without the
/// metadata a phone writes into it — EXIF (GPS position, camera, time) but
/// its orientation, XMP, IPTC, comments, text chunks, and anything after the
/// image's end (such as the second pictures of MPF files, each with its own
/// EXIF). A file that cannot be read through is refused.
pub fn strip_metadata(kind: ImageKind, bytes: &[u8]) -> DomainResult<Vec<u8>> {
    let stripped = match kind {
        ImageKind::Jpeg => strip_jpeg(bytes),
        ImageKind::Png => strip_png(bytes),
        ImageKind::Webp => strip_webp(bytes),
    };
    stripped.ok_or_else(|| DomainError::bad_input("file", "照片文件不完整或已损坏，请重新选择照片"))
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// JPEG: every segment is walked, scans included, up to the end of image.
/// Kept: the image's own segments (tables, frames, scans, restart intervals),
/// JFIF (APP0), ICC profiles (APP2 `ICC_PROFILE`) and Adobe's colour
/// transform (APP14); dropped: every other APPn and COM. The EXIF orientation,
/// when not the default, is written back as an EXIF of that one tag, so photos
/// taken sideways still show upright.
fn strip_jpeg(b: &[u8]) -> Option<Vec<u8>> {
    if !b.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut kept: Vec<&[u8]> = Vec::new();
    let mut orientation = None;
    let mut i = 2;
    loop {
        if *b.get(i)? != 0xFF {
            return None;
        }
        let start = i;
        while *b.get(i)? == 0xFF {
            i += 1;
        }
        let marker = b[i];
        i += 1;
        match marker {
            0xD9 => break,
            0x01 | 0xD0..=0xD7 => {
                kept.push(&b[start..i]);
                continue;
            }
            0x00 | 0xD8 => return None,
            _ => {}
        }
        let len = be16(b, i)? as usize;
        if len < 2 {
            return None;
        }
        let data = b.get(i + 2..i + len)?;
        i += len;
        let keep = match marker {
            0xE0 => data.starts_with(b"JFIF\0"),
            0xE1 => {
                if let Some(tiff) = data.strip_prefix(b"Exif\0\0") {
                    orientation = orientation.or_else(|| exif_orientation(tiff));
                }
                false
            }
            0xE2 => data.starts_with(b"ICC_PROFILE\0"),
            0xEE => data.starts_with(b"Adobe"),
            0xE3..=0xED | 0xEF | 0xFE => false,
            _ => true,
        };
        if keep {
            kept.push(&b[start..i]);
        }
        if marker == 0xDA {
            // Entropy-coded data runs to the next marker that is not a
            // stuffed 0xFF00 or a restart marker.
            let scan = i;
            loop {
                if *b.get(i)? == 0xFF {
                    match *b.get(i + 1)? {
                        0x00 | 0xD0..=0xD7 => i += 2,
                        0xFF => i += 1,
                        _ => break,
                    }
                } else {
                    i += 1;
                }
            }
            kept.push(&b[scan..i]);
        }
    }
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    let mut rest = kept.as_slice();
    if let Some((first, after)) = rest.split_first()
        && first.get(1) == Some(&0xE0)
    {
        out.extend_from_slice(first);
        rest = after;
    }
    if let Some(o) = orientation {
        out.extend_from_slice(&orientation_exif(o));
    }
    for piece in rest {
        out.extend_from_slice(piece);
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
    Some(out)
}

/// The orientation tag (0x0112) of IFD0 in an EXIF TIFF block, when not 1.
fn exif_orientation(tiff: &[u8]) -> Option<u16> {
    let little = match tiff.get(..4)? {
        b"II*\0" => true,
        b"MM\0*" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let pair = [*tiff.get(at)?, *tiff.get(at + 1)?];
        Some(if little { u16::from_le_bytes(pair) } else { u16::from_be_bytes(pair) })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let quad: [u8; 4] = tiff.get(at..at + 4)?.try_into().ok()?;
        Some(if little { u32::from_le_bytes(quad) } else { u32::from_be_bytes(quad) })
    };
    let ifd = u32_at(4)? as usize;
    let entries = u16_at(ifd)? as usize;
    (0..entries.min(512)).find_map(|n| {
        let entry = ifd + 2 + n * 12;
        (u16_at(entry)? == 0x0112 && u16_at(entry + 2)? == 3)
            .then(|| u16_at(entry + 8))
            .flatten()
            .filter(|o| (2..=8).contains(o))
    })
}

/// An APP1 EXIF segment holding only an orientation.
fn orientation_exif(orientation: u16) -> Vec<u8> {
    let mut seg = vec![0xFF, 0xE1, 0x00, 34];
    seg.extend_from_slice(b"Exif\0\0MM\0*\0\0\0\x08");
    seg.extend_from_slice(&[0x00, 0x01, 0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01]);
    seg.extend_from_slice(&orientation.to_be_bytes());
    seg.extend_from_slice(&[0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
    seg
}

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// Chunks that draw the picture (APNG's included); all others — `eXIf`,
/// `tEXt`, `zTXt`, `iTXt`, `tIME` and private ones — are dropped.
const PNG_KEPT: [&[u8; 4]; 17] = [
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB", b"bKGD", b"pHYs",
    b"cICP", b"mDCV", b"acTL", b"fcTL", b"fdAT",
];

fn strip_png(b: &[u8]) -> Option<Vec<u8>> {
    if !b.starts_with(&PNG_SIGNATURE) || b.get(12..16)? != b"IHDR" {
        return None;
    }
    let mut out = PNG_SIGNATURE.to_vec();
    let mut i = PNG_SIGNATURE.len();
    loop {
        let len = be32(b, i)? as usize;
        let end = i.checked_add(12)?.checked_add(len)?;
        let chunk = b.get(i..end)?;
        let kind = &chunk[4..8];
        if PNG_KEPT.iter().any(|k| k.as_slice() == kind) {
            out.extend_from_slice(chunk);
        }
        if kind == b"IEND" {
            return Some(out);
        }
        i = end;
    }
}

/// WebP: the RIFF chunks of the picture are kept; `EXIF`, `XMP ` and unknown
/// chunks are dropped, and `VP8X` no longer announces them.
fn strip_webp(b: &[u8]) -> Option<Vec<u8>> {
    if b.get(..4)? != b"RIFF" || b.get(8..12)? != b"WEBP" {
        return None;
    }
    let end = (le32(b, 4)? as usize).checked_add(8)?;
    let body = b.get(12..end)?;
    let mut out = b"RIFF\0\0\0\0WEBP".to_vec();
    let mut i = 0;
    let mut has_image = false;
    while i < body.len() {
        let kind = body.get(i..i + 4)?;
        let len = le32(body, i + 4)? as usize;
        let padded = len.checked_add(len % 2)?;
        let chunk_end = i.checked_add(8)?.checked_add(padded)?;
        let chunk = body.get(i..chunk_end.min(body.len()))?;
        if chunk.len() < 8 + len {
            return None;
        }
        match kind {
            b"VP8X" => {
                let mut vp8x = chunk.to_vec();
                *vp8x.get_mut(8)? &= !(0x08 | 0x04);
                out.extend_from_slice(&vp8x);
            }
            b"VP8 " | b"VP8L" | b"ANMF" => {
                has_image = true;
                out.extend_from_slice(chunk);
            }
            b"ALPH" | b"ANIM" | b"ICCP" => out.extend_from_slice(chunk),
            _ => {}
        }
        if chunk.len() < 8 + padded {
            // An odd last chunk without its pad byte: pad it.
            out.push(0);
        }
        i = chunk_end;
    }
    if !has_image {
        return None;
    }
    let size = u32::try_from(out.len() - 8).ok()?;
    out[4..8].copy_from_slice(&size.to_le_bytes());
    Some(out)
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
    /// Photos `owner` attaches: at most nine, each uploaded here by them
    /// (and recorded) or an https URL. Returns them cleaned, ready to store.
    pub(crate) async fn checked_photos<C: ConnectionTrait>(
        self,
        conn: &C,
        field: &'static str,
        owner: i64,
        urls: &[String],
    ) -> DomainResult<Vec<String>> {
        let (urls, upload_ids) = crate::validate::photo_urls(field, urls, &self.d.settings.upload_url_prefix)?;
        self.require(conn, field, owner, &upload_ids).await?;
        Ok(urls)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JPEG's skeleton: SOI, APP0, `extra` segments, DQT, SOF0, SOS with
    /// entropy data (stuffed 0xFF00 and a restart marker), EOI, then `trailer`.
    fn jpeg(extra: &[Vec<u8>], trailer: &[u8]) -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8];
        b.extend_from_slice(&[0xFF, 0xE0, 0x00, 0x07, b'J', b'F', b'I', b'F', 0x00]);
        for seg in extra {
            b.extend_from_slice(seg);
        }
        b.extend_from_slice(&[0xFF, 0xDB, 0x00, 0x04, 0x00, 0x01]);
        b.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x05, 0x08, 0x00, 0x01]);
        b.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x03, 0x01]);
        b.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
        b.extend_from_slice(&[0xFF, 0xD9]);
        b.extend_from_slice(trailer);
        b
    }

    fn segment(marker: u8, data: &[u8]) -> Vec<u8> {
        let len = (data.len() + 2) as u16;
        [vec![0xFF, marker], len.to_be_bytes().to_vec(), data.to_vec()].concat()
    }

    /// EXIF (big-endian TIFF) with orientation `o` and a GPS pointer in IFD0.
    fn exif_with_gps(o: u16) -> Vec<u8> {
        let mut t = b"Exif\0\0MM\0*\0\0\0\x08\0\x02".to_vec();
        t.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1]);
        t.extend_from_slice(&o.to_be_bytes());
        t.extend_from_slice(&[0, 0]);
        t.extend_from_slice(&[0x88, 0x25, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 0x26, 0, 0, 0, 0]);
        t.extend_from_slice(b"GPS-26.5N-107.9E");
        t
    }

    #[test]
    fn jpeg_metadata_goes_and_the_picture_stays_byte_for_byte() {
        let plain = jpeg(&[], b"");
        assert_eq!(strip_jpeg(&plain).unwrap(), plain, "nothing to strip: unchanged");

        let exif = segment(0xE1, &exif_with_gps(6));
        let xmp = segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>");
        let comment = segment(0xFE, b"taken at home");
        let icc = segment(0xE2, b"ICC_PROFILE\0\x01\x01profile");
        let mpf_tail = [vec![0xFF, 0xD8], segment(0xE1, &exif_with_gps(1)), vec![0xFF, 0xD9]].concat();
        let phone = jpeg(&[exif, xmp, comment, icc.clone()], &mpf_tail);
        let out = strip_jpeg(&phone).unwrap();
        assert!(!out.windows(3).any(|w| w == b"GPS"), "no GPS left");
        assert!(!out.windows(5).any(|w| w == b"xmpme" || w == b"taken"));
        assert_eq!(exif_orientation(&out[out.windows(6).position(|w| w == b"Exif\0\0").unwrap() + 6..]), Some(6));
        // Without the orientation EXIF it is the plain picture with its ICC profile.
        let orientation = orientation_exif(6);
        let app0_end = 2 + 9;
        let mut expected = jpeg(&[icc], b"");
        expected.splice(app0_end..app0_end, orientation);
        assert_eq!(out, expected);
    }

    #[test]
    fn broken_jpegs_are_refused() {
        assert!(strip_jpeg(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0, 0, 0]).is_none(), "a segment shorter than its length");
        let full = jpeg(&[], b"");
        assert!(strip_jpeg(&full[..full.len() - 6]).is_none(), "cut inside the scan");
        assert!(strip_metadata(ImageKind::Jpeg, b"\xFF\xD8\xFF").is_err());
    }

    fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        [(data.len() as u32).to_be_bytes().to_vec(), kind.to_vec(), data.to_vec(), vec![0; 4]].concat()
    }

    #[test]
    fn png_text_time_and_exif_chunks_go() {
        let ihdr = png_chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
        let idat = png_chunk(b"IDAT", b"pixels");
        let iend = png_chunk(b"IEND", b"");
        let plain = [PNG_SIGNATURE.to_vec(), ihdr.clone(), idat.clone(), iend.clone()].concat();
        let tagged = [
            PNG_SIGNATURE.to_vec(),
            ihdr,
            png_chunk(b"eXIf", &exif_with_gps(1)[6..]),
            png_chunk(b"tEXt", b"Comment\0home"),
            idat,
            png_chunk(b"tIME", &[7, 0xE8, 12, 7, 10, 0, 0]),
            iend,
            b"trailing".to_vec(),
        ]
        .concat();
        assert_eq!(strip_png(&tagged).unwrap(), plain);
        assert!(strip_png(&plain[..plain.len() - 3]).is_none(), "no IEND");
    }

    #[test]
    fn webp_exif_and_xmp_go_and_vp8x_stops_announcing_them() {
        let chunk = |kind: &[u8; 4], data: &[u8]| {
            let mut c = [kind.to_vec(), (data.len() as u32).to_le_bytes().to_vec(), data.to_vec()].concat();
            if data.len() % 2 == 1 {
                c.push(0);
            }
            c
        };
        let riff = |chunks: Vec<Vec<u8>>| {
            let body = chunks.concat();
            [b"RIFF".to_vec(), ((body.len() + 4) as u32).to_le_bytes().to_vec(), b"WEBP".to_vec(), body].concat()
        };
        let vp8x = |flags: u8| chunk(b"VP8X", &[flags, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let frame = chunk(b"VP8 ", b"frame");
        let tagged = riff(vec![
            vp8x(0x08 | 0x04 | 0x20),
            frame.clone(),
            chunk(b"EXIF", &exif_with_gps(1)[6..]),
            chunk(b"XMP ", b"<x/>"),
        ]);
        assert_eq!(strip_webp(&tagged).unwrap(), riff(vec![vp8x(0x20), frame]));
        assert!(strip_webp(&riff(vec![vp8x(0)])).is_none(), "no picture in it");
    }

    #[test]
    fn the_quota_day_starts_at_midnight_in_shanghai() {
        let at = Utc.with_ymd_and_hms(2026, 12, 7, 15, 59, 0).unwrap();
        assert_eq!(start_of_day(at).unwrap(), Utc.with_ymd_and_hms(2026, 12, 6, 16, 0, 0).unwrap());
        let after = Utc.with_ymd_and_hms(2026, 12, 7, 16, 0, 0).unwrap();
        assert_eq!(start_of_day(after).unwrap(), after);
    }
}
