//! `POST /webhooks/wristband`: alarms from the wristband platform; below it,
//! `/webhooks/wechat`: WeChat's message push.
//!
//! The platform signs each delivery: `X-Linli-Timestamp: <unix seconds>` and
//! `X-Linli-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`
//! with the secret shared as `LINLI_WRISTBAND_SECRET`. A bad signature is 401,
//! a timestamp too far from now is 401, the same delivery again is 409. The
//! body: `{"deviceId": "...", "kind": "SOS" | "FALL" | "HEART_RATE",
//! "at": "<RFC 3339>", "location": {"lat": 26.4, "lng": 108.1, "address": "..."}}`
//! (location optional). An accepted alarm is 202 with the care request's id.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::json;
use sha2::Sha256;

use domain::DomainError;
use domain::care::{AlarmKind, WristbandAlarm};

use crate::http::{domain_error_response, error_response};
use crate::state::AppState;

const JSON: &str = "application/json; charset=utf-8";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AlarmBody {
    device_id: String,
    kind: String,
    at: DateTime<Utc>,
    location: Option<Location>,
}

#[derive(Deserialize)]
struct Location {
    lat: f64,
    lng: f64,
    address: Option<String>,
}

fn refuse(message: &str) -> HttpResponse {
    error_response(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", message, JSON)
}

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

pub async fn wristband(req: HttpRequest, body: web::Bytes, state: web::Data<AppState>) -> HttpResponse {
    let Some(secret) = state.config.care.wristband_secret.as_ref() else {
        return domain_error_response(&DomainError::Unavailable("wristband alarms are not configured here".into()));
    };
    let (Some(timestamp), Some(signature)) = (header(&req, "X-Linli-Timestamp"), header(&req, "X-Linli-Signature"))
    else {
        return refuse("sign the delivery: X-Linli-Timestamp and X-Linli-Signature are required");
    };
    let Ok(ts) = timestamp.parse::<i64>() else {
        return refuse("X-Linli-Timestamp must be unix seconds");
    };
    let Some(given) = signature.strip_prefix("sha256=").and_then(|h| hex::decode(h).ok()) else {
        return refuse("X-Linli-Signature must be sha256=<hex>");
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes()) else {
        return domain_error_response(&DomainError::internal("the wristband secret cannot key an HMAC"));
    };
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(&body);
    if mac.verify_slice(&given).is_err() {
        return refuse("the signature does not match");
    }
    let now = state.domain.clock.now().timestamp();
    if (now - ts).abs() > state.config.care.webhook_tolerance_seconds {
        return refuse("the timestamp is too far from now; send the alarm with the current time");
    }
    let alarm: AlarmBody = match serde_json::from_slice(&body) {
        Ok(a) => a,
        Err(e) => {
            return domain_error_response(&DomainError::bad_input("body", format!("the alarm is not valid: {e}")));
        }
    };
    let Ok(kind) = AlarmKind::parse(&alarm.kind) else {
        return domain_error_response(&DomainError::bad_input("kind", "kind is one of SOS, FALL, HEART_RATE"));
    };
    let location = alarm.location.map(|l| match l.address {
        Some(a) => format!("{a} ({:.5}, {:.5})", l.lat, l.lng),
        None => format!("{:.5}, {:.5}", l.lat, l.lng),
    });
    // The verified MAC itself names the delivery, whatever the case of its hex.
    let digest = hex::encode(&given);
    let alarm = WristbandAlarm { device_id: alarm.device_id, kind, at: alarm.at, location };
    match state.domain.care().wristband_alarm(alarm, &digest).await {
        Ok(outcome) => HttpResponse::Accepted()
            .json(json!({ "requestId": outcome.request_id.to_string(), "joined": outcome.joined })),
        Err(e) => domain_error_response(&e),
    }
}

/// `GET/POST /webhooks/wechat`: WeChat's message push (消息推送), in JSON mode.
///
/// Both carry `?signature=&timestamp=&nonce=` with `signature =
/// sha1(sort([token, timestamp, nonce]).join(""))` and the token configured as
/// `wechat.push_token`; a mismatch is 401, and so is a timestamp more than
/// five minutes from the server's clock. A nonce already seen within that
/// window is a replay: 409, and nothing is done. The nonces are kept in the
/// session store, so every node shares them (Redis) or the one node keeps
/// them in memory; a delivery that fails while it is handled gives its
/// nonce back, so WeChat's retry of it is taken. `GET` (URL verification) answers
/// `echostr`. `POST` carries events; `wxa_media_check` applies WeChat's verdict
/// on a photo (`risky` withdraws it). Other events are acknowledged and
/// ignored. Every accepted delivery answers `success`, also when repeated.
#[derive(Deserialize)]
pub struct PushQuery {
    signature: Option<String>,
    timestamp: Option<String>,
    nonce: Option<String>,
    echostr: Option<String>,
}

#[derive(Deserialize)]
struct PushEvent {
    #[serde(rename = "Event", default)]
    event: String,
    #[serde(default)]
    trace_id: String,
    result: Option<PushResult>,
}

#[derive(Deserialize)]
struct PushResult {
    #[serde(default)]
    suggest: String,
}

/// How far a message-push timestamp may be from the server's clock.
const PUSH_TOLERANCE_SECONDS: i64 = 300;

/// Whether the query's signature is WeChat's for our push token.
fn wechat_signed(token: &str, q: &PushQuery) -> bool {
    let (Some(signature), Some(timestamp), Some(nonce)) = (&q.signature, &q.timestamp, &q.nonce) else {
        return false;
    };
    let mut parts = [token, timestamp.as_str(), nonce.as_str()];
    parts.sort_unstable();
    let expected = sha1_smol::Sha1::from(parts.concat()).digest().to_string();
    // Both are hex digests of known length; compare without an early exit.
    let given = signature.trim().to_ascii_lowercase();
    given.len() == expected.len() && given.bytes().zip(expected.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// The store key that remembers a message-push nonce.
fn nonce_key(nonce: &str) -> String {
    format!("wechat:push:nonce:{}", hex::encode(<Sha256 as sha2::Digest>::digest(nonce.as_bytes())))
}

/// A delivery taken: signed with our push token, fresh, and its nonce not seen
/// before (now marked seen). `Err` is the answer to give instead.
async fn accept_push(state: &AppState, query: &PushQuery) -> Result<String, HttpResponse> {
    let Some(token) = state.config.wechat.push_token.as_ref().map(|t| t.expose_secret()).filter(|t| !t.is_empty())
    else {
        return Err(domain_error_response(&DomainError::Unavailable(
            "the WeChat message push is not configured here".into(),
        )));
    };
    if !wechat_signed(token, query) {
        return Err(refuse("the signature does not match"));
    }
    let (Some(timestamp), Some(nonce)) = (&query.timestamp, &query.nonce) else {
        return Err(refuse("the signature does not match"));
    };
    let Ok(ts) = timestamp.trim().parse::<i64>() else {
        return Err(refuse("timestamp must be unix seconds"));
    };
    if (state.domain.clock.now().timestamp() - ts).abs() > PUSH_TOLERANCE_SECONDS {
        return Err(refuse("the timestamp is more than five minutes from now"));
    }
    // Remembered for the whole window either side of any timestamp still accepted.
    let key = nonce_key(nonce);
    let window = std::time::Duration::from_secs(2 * PUSH_TOLERANCE_SECONDS as u64 + 60);
    match state.auth.store.first_use(&key, window).await {
        Ok(true) => Ok(key),
        Ok(false) => Err(error_response(
            StatusCode::CONFLICT,
            "CONFLICT",
            "this nonce was already used; a delivery is taken once",
            JSON,
        )),
        Err(e) => Err(domain_error_response(&e.into())),
    }
}

/// Gives a taken delivery's nonce back after it failed, so that it can be sent again.
async fn give_back(state: &AppState, key: &str) {
    if let Err(e) = state.auth.store.forget_use(key).await {
        tracing::warn!(error = %e, "a failed message-push delivery's nonce could not be released");
    }
}

pub async fn wechat_verify(query: web::Query<PushQuery>, state: web::Data<AppState>) -> HttpResponse {
    if let Err(refusal) = accept_push(&state, &query).await {
        return refusal;
    }
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(query.echostr.clone().unwrap_or_default())
}

pub async fn wechat_event(query: web::Query<PushQuery>, body: web::Bytes, state: web::Data<AppState>) -> HttpResponse {
    let key = match accept_push(&state, &query).await {
        Ok(key) => key,
        Err(refusal) => return refusal,
    };
    let response = handle_event(&state, &body).await;
    if !response.status().is_success() {
        give_back(&state, &key).await;
    }
    response
}

async fn handle_event(state: &AppState, body: &[u8]) -> HttpResponse {
    let event: PushEvent = match serde_json::from_slice(body) {
        Ok(e) => e,
        Err(e) => {
            return domain_error_response(&DomainError::bad_input("body", format!("the event is not valid JSON: {e}")));
        }
    };
    if event.event == "wxa_media_check" && !event.trace_id.is_empty() {
        let risky = event.result.as_ref().is_some_and(|r| r.suggest == "risky");
        match state.domain.content().media_check_verdict(&event.trace_id, risky).await {
            Ok(domain::content::MediaVerdict::Withdrawn { upload_id: Some(name) }) => {
                // The row is the truth (`serve` asks it); the file goes too, on this node.
                if let Err(e) = tokio::fs::remove_file(state.upload_dir.join(&name)).await
                    && e.kind() != std::io::ErrorKind::NotFound
                {
                    tracing::warn!(upload = %name, error = %e, "withdrawn photo could not be deleted");
                }
            }
            Ok(_) => {}
            Err(e) => return domain_error_response(&e),
        }
    }
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("success")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_sha1_of_the_sorted_token_timestamp_and_nonce() {
        let q = |sig: &str| PushQuery {
            signature: Some(sig.into()),
            timestamp: Some("1700000000".into()),
            nonce: Some("abc".into()),
            echostr: None,
        };
        let mut parts = ["tok", "1700000000", "abc"];
        parts.sort_unstable();
        let good = sha1_smol::Sha1::from(parts.concat()).digest().to_string();
        assert!(wechat_signed("tok", &q(&good)));
        assert!(!wechat_signed("other", &q(&good)));
        assert!(!wechat_signed("tok", &q("00")));
    }
}
