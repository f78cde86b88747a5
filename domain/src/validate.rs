//! Input rules with limits a person understands. Each failure names the field.

use std::sync::LazyLock;

use regex::Regex;

use crate::error::{DomainError, DomainResult};

pub const MAX_PHOTOS: usize = 9;

static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    // Mainland mobile numbers, or landlines with an area code (many elders have one).
    #[allow(clippy::unwrap_used)]
    Regex::new(r"^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$").unwrap()
});

/// Trims, requires something, and caps the length in characters (not bytes:
/// Chinese text is three bytes a character).
pub fn required_text(field: &'static str, value: &str, max_chars: usize) -> DomainResult<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(DomainError::bad_input(field, format!("{field} must not be empty")));
    }
    cap(field, value, max_chars)
}

pub fn optional_text(field: &'static str, value: Option<String>, max_chars: usize) -> DomainResult<Option<String>> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => cap(field, v, max_chars).map(Some),
    }
}

fn cap(field: &'static str, value: &str, max_chars: usize) -> DomainResult<String> {
    let count = value.chars().count();
    if count > max_chars {
        return Err(DomainError::bad_input(
            field,
            format!("{field} is {count} characters long; at most {max_chars} are allowed"),
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(DomainError::bad_input(field, format!("{field} contains control characters")));
    }
    Ok(value.to_owned())
}

/// Normalises a phone number (spaces and a +86 prefix dropped) and checks its shape.
pub fn phone(field: &'static str, value: &str) -> DomainResult<String> {
    let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    let compact = compact.strip_prefix("+86").unwrap_or(&compact).to_owned();
    if PHONE.is_match(&compact) {
        Ok(compact)
    } else {
        Err(DomainError::bad_input(
            field,
            "enter an 11-digit mobile number such as 13812345678, or a landline with its area code such as 0855-1234567",
        ))
    }
}

pub fn stars(value: i32) -> DomainResult<i32> {
    if (1..=5).contains(&value) {
        Ok(value)
    } else {
        Err(DomainError::bad_input("stars", "give between 1 and 5 stars"))
    }
}

/// `first` for list queries: 1 to 100, 20 when not given.
pub fn page_size(first: Option<i32>) -> DomainResult<u64> {
    match first {
        None => Ok(20),
        Some(n) if (1..=100).contains(&n) => Ok(n as u64),
        Some(_) => Err(DomainError::bad_input("first", "first must be between 1 and 100")),
    }
}

/// Photos: at most nine, each either uploaded here (`upload_prefix`) or an https URL.
/// Returns the upload ids it refers to, so the caller can check they exist.
pub fn photo_urls(
    field: &'static str,
    urls: &[String],
    upload_prefix: &str,
) -> DomainResult<(Vec<String>, Vec<String>)> {
    if urls.len() > MAX_PHOTOS {
        return Err(DomainError::bad_input(field, format!("at most {MAX_PHOTOS} photos are allowed")));
    }
    let mut cleaned = Vec::with_capacity(urls.len());
    let mut upload_ids = Vec::new();
    for url in urls {
        let url = url.trim();
        if url.chars().count() > 500 {
            return Err(DomainError::bad_input(field, "a photo URL is longer than 500 characters"));
        }
        if let Some(rest) = url.strip_prefix(upload_prefix) {
            // A signed URL the API handed out is stored plain (without `?exp=…&sig=…`).
            let id = rest.split_once('?').map_or(rest, |(id, _)| id);
            if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') {
                return Err(DomainError::bad_input(field, "this upload URL is not one this server gave out"));
            }
            upload_ids.push(id.to_owned());
            cleaned.push(format!("{upload_prefix}{id}"));
            continue;
        } else if !(url.starts_with("https://") && url.len() > "https://".len() && !url.contains(char::is_whitespace)) {
            return Err(DomainError::bad_input(
                field,
                "photos must be uploaded through /uploads first, or be https URLs",
            ));
        }
        cleaned.push(url.to_owned());
    }
    Ok((cleaned, upload_ids))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_normalised_and_checked() {
        assert_eq!(phone("p", "+86 138 1234 5678").unwrap(), "13812345678");
        assert_eq!(phone("p", "0855-1234567").unwrap(), "0855-1234567");
        assert!(phone("p", "12345").is_err());
        assert!(phone("p", "23812345678").is_err());
    }

    #[test]
    fn text_limits_count_characters_not_bytes() {
        let hundred = "修".repeat(100);
        assert!(required_text("title", &hundred, 100).is_ok());
        assert!(required_text("title", &format!("{hundred}修"), 100).is_err());
        assert!(required_text("title", "   ", 100).is_err());
    }

    #[test]
    fn photos_must_be_ours_or_https_and_at_most_nine() {
        let prefix = "http://localhost/uploads/";
        let ok = vec!["https://img.example/a.jpg".to_string(), format!("{prefix}abc.jpg")];
        let (_, ids) = photo_urls("photoUrls", &ok, prefix).unwrap();
        assert_eq!(ids, vec!["abc.jpg"]);
        let signed = vec![format!("{prefix}abc.jpg?exp=1765000000&sig=00ff")];
        let (cleaned, ids) = photo_urls("photoUrls", &signed, prefix).unwrap();
        assert_eq!((cleaned, ids), (vec![format!("{prefix}abc.jpg")], vec!["abc.jpg".to_string()]), "stored plain");
        assert!(photo_urls("photoUrls", &["http://evil/a.jpg".to_string()], prefix).is_err());
        assert!(photo_urls("photoUrls", &vec!["https://a/b".to_string(); 10], prefix).is_err());
    }
}
