//! GraphQL subscriptions over WebSocket at `/graphql`, speaking
//! `graphql-transport-ws` (the `graphql-ws` library's protocol, which a
//! mini-program can speak through `wx.connectSocket`).
//!
//! The access token comes in `connection_init`'s payload
//! (`{"Authorization": "Bearer <token>"}` or `{"accessToken": "<token>"}`).
//! A missing or refused token closes the socket with 4403; so does the
//! token's expiry, or the session's end (sign-out, deletion) seen by the
//! periodic check, or a check the session store cannot answer. No
//! `connection_init` in time closes it with 4408.
//!
//! Limits per socket: at most `events.socket_max_subscriptions` operations
//! at once (one more is answered with the protocol's `error` message for its
//! id, code `RATE_LIMITED`, and the socket stays open); messages of at most
//! `events.socket_max_message_bytes`, continuations included (more closes
//! with 1009); and a client that takes nothing for
//! `events.socket_send_timeout_seconds` is closed with 1013.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::{HeaderValue, SEC_WEBSOCKET_PROTOCOL};
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason, ProtocolError};
use async_graphql::Data;
use async_graphql::http::{WebSocket, WebSocketProtocols, WsMessage};
use futures_util::StreamExt;
use serde_json::{Value, json};

use domain::DomainError;

use crate::auth::Authenticated;
use crate::graphql::{RequestAuth, connection_loaders};
use crate::state::AppState;
use crate::store::StoreError;

const FORBIDDEN: u16 = 4403;
const INIT_TIMEOUT: u16 = 4408;
/// RFC 6455: a message over `events.socket_max_message_bytes`.
const MESSAGE_TOO_BIG: u16 = 1009;
const PROTOCOL_ERROR: u16 = 1002;
/// RFC 6455 "try again later": the client did not take what it was sent.
const TRY_AGAIN_LATER: u16 = 1013;
/// Client messages waiting for the protocol engine; when full, the socket is not read.
const INBOUND_QUEUE: usize = 16;

/// `GET /graphql` with `Upgrade: websocket`.
pub async fn graphql_ws(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> actix_web::Result<HttpResponse> {
    let protocol = req
        .headers()
        .get(SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|list| list.split(',').find_map(|p| p.trim().parse::<WebSocketProtocols>().ok()))
        .ok_or_else(|| actix_web::error::ErrorBadRequest("ask for the graphql-transport-ws subprotocol"))?;
    let (mut response, session, messages) = actix_ws::handle(&req, body)?;
    response.headers_mut().insert(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static(protocol.sec_websocket_protocol()));
    actix_web::rt::spawn(serve(state.into_inner(), session, messages, protocol));
    Ok(response)
}

fn close(code: u16, description: &str) -> Option<CloseReason> {
    Some(CloseReason { code: CloseCode::Other(code), description: Some(description.to_owned()) })
}

/// The token in a `connection_init` payload.
fn bearer(payload: &Value) -> Option<&str> {
    let field = |name: &str| payload.get(name).and_then(Value::as_str);
    field("Authorization")
        .or_else(|| field("authorization"))
        .map(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")).unwrap_or(v))
        .or_else(|| field("accessToken"))
        .or_else(|| field("token"))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// A signed-in socket: who, until when.
struct Signed {
    who: Authenticated,
    expires: tokio::time::Instant,
}

async fn authenticate(state: &AppState, init: &Value) -> Option<Signed> {
    let token = bearer(init.get("payload").unwrap_or(&Value::Null))?;
    let (who, expires) = state.auth.authenticate_until(token).await.ok()?;
    let left = (expires - chrono::Utc::now().timestamp()).max(0) as u64;
    Some(Signed { who, expires: tokio::time::Instant::now() + Duration::from_secs(left) })
}

fn connection_data(state: &AppState, who: Authenticated) -> Data {
    let mut data = connection_loaders(&state.domain);
    data.insert(RequestAuth::new(Ok(Some(who))));
    data
}

async fn until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The operations a socket has running, by id, so that one socket cannot
/// start more than `events.socket_max_subscriptions` at once.
struct Operations {
    active: HashSet<String>,
    max: usize,
    protocol: WebSocketProtocols,
}

enum Inbound {
    /// Hand it to the engine.
    Pass,
    /// Refuse this operation; send the text back instead.
    Refuse(String),
}

impl Operations {
    /// A client message: a new operation over the limit is refused (the
    /// socket stays usable); a `complete` frees its id.
    fn inbound(&mut self, text: &str) -> Inbound {
        let Ok(message) = serde_json::from_str::<Value>(text) else { return Inbound::Pass };
        let Some(id) = message.get("id").and_then(Value::as_str) else { return Inbound::Pass };
        match message.get("type").and_then(Value::as_str) {
            Some("subscribe" | "start") => {
                // The same id again replaces its operation in the engine: no new one.
                if self.active.contains(id) || self.active.len() < self.max {
                    self.active.insert(id.to_owned());
                    Inbound::Pass
                } else {
                    Inbound::Refuse(self.refusal(id))
                }
            }
            Some("complete" | "stop") => {
                self.active.remove(id);
                Inbound::Pass
            }
            _ => Inbound::Pass,
        }
    }

    /// A server message: `complete` (and `error`) end an operation. Only small
    /// messages can be those, so large `next` payloads are not parsed.
    fn outbound(&mut self, text: &str) {
        if text.len() > 512 {
            return;
        }
        if let Ok(message) = serde_json::from_str::<Value>(text)
            && matches!(message.get("type").and_then(Value::as_str), Some("complete" | "error"))
            && let Some(id) = message.get("id").and_then(Value::as_str)
        {
            self.active.remove(id);
        }
    }

    /// The protocol's `error` message for one operation: it ends that
    /// operation only (graphql-ws clients reject that subscription's sink).
    fn refusal(&self, id: &str) -> String {
        let error = json!({
            "message": format!(
                "一个连接最多同时进行 {} 项订阅；请先结束不再需要的订阅",
                self.max
            ),
            "extensions": { "code": DomainError::RateLimited(String::new()).code() },
        });
        let payload = match self.protocol {
            WebSocketProtocols::GraphQLWS => json!([error]),
            WebSocketProtocols::SubscriptionsTransportWS => error,
        };
        json!({ "id": id, "type": "error", "payload": payload }).to_string()
    }
}

/// Why a client message could not be read: too big (1009), else broken (1002).
fn unreadable(err: &ProtocolError) -> Option<CloseReason> {
    match err {
        ProtocolError::Overflow => close(MESSAGE_TOO_BIG, "Message too big"),
        // actix-ws reports continuations over the limit as an I/O error with this text.
        ProtocolError::Io(e) if e.to_string().contains("continuation size") => {
            close(MESSAGE_TOO_BIG, "Message too big")
        }
        ProtocolError::Io(_) => None,
        _ => close(PROTOCOL_ERROR, "Protocol error"),
    }
}

/// What the periodic session check decides: keep the socket, or close it
/// with 4403. A check that cannot be answered closes it too (fails closed):
/// the phone reconnects, and is refused or accepted on a fresh check.
fn after_session_check(check: Result<bool, StoreError>) -> Option<Option<CloseReason>> {
    match check {
        Ok(true) => None,
        Ok(false) => Some(close(FORBIDDEN, "Forbidden: the session has ended")),
        Err(e) => {
            tracing::warn!(error = %e, "a live socket's session could not be checked; closing it");
            Some(close(FORBIDDEN, "Forbidden: the session could not be checked"))
        }
    }
}

/// Relays between the socket and the GraphQL protocol engine, and watches the session.
///
/// Bounded both ways: client messages wait in a short queue for the engine
/// (when it is full the socket is not read, so TCP holds the client back);
/// messages to the client go through actix-ws's queue of 32, and a client
/// that takes none for `events.socket_send_timeout_seconds` is closed (1013),
/// so a slow or stalled phone cannot make the server buffer without end. While
/// a send waits, the subscriptions are not polled: the hub's broadcast is
/// bounded and a lagging subscription catches up from the database.
async fn serve(
    state: Arc<AppState>,
    mut session: actix_ws::Session,
    messages: actix_ws::MessageStream,
    protocol: WebSocketProtocols,
) {
    let events = &state.config.events;
    let max_message = events.socket_max_message_bytes;
    let send_timeout = Duration::from_secs(events.socket_send_timeout_seconds);
    let mut messages =
        messages.max_frame_size(max_message).aggregate_continuations().max_continuation_size(max_message);
    let (to_graphql, from_client) = tokio::sync::mpsc::channel::<String>(INBOUND_QUEUE);
    let input = futures_util::stream::unfold(from_client, |mut rx| async move { rx.recv().await.map(|m| (m, rx)) });
    // The data for the signed-in connection, handed over once `connection_init` was accepted here.
    let accepted: Arc<std::sync::Mutex<Option<Data>>> = Arc::default();
    let handover = accepted.clone();
    let mut graphql =
        Box::pin(WebSocket::new(state.schema.clone(), input, protocol).on_connection_init(move |_payload| {
            let data = handover.lock().ok().and_then(|mut d| d.take());
            async move { data.ok_or_else(|| async_graphql::Error::new("Forbidden")) }
        }));
    let mut operations = Operations { active: HashSet::new(), max: events.socket_max_subscriptions, protocol };
    let init_deadline = tokio::time::sleep(Duration::from_secs(events.init_timeout_seconds));
    tokio::pin!(init_deadline);
    let mut session_check = tokio::time::interval(Duration::from_secs(events.session_check_seconds));
    session_check.tick().await;
    let mut signed: Option<Signed> = None;
    let too_slow = || close(TRY_AGAIN_LATER, "The client did not keep up; reconnect with your cursor");
    let reason = loop {
        let expires = signed.as_ref().map(|s| s.expires);
        tokio::select! {
            incoming = messages.next(), if to_graphql.capacity() > 0 => match incoming {
                Some(Ok(AggregatedMessage::Text(text))) => {
                    if signed.is_none() {
                        let init = serde_json::from_str::<Value>(&text).ok().filter(|v| v["type"] == "connection_init");
                        if let Some(init) = init {
                            match authenticate(&state, &init).await {
                                Some(s) => {
                                    if let Ok(mut slot) = accepted.lock() {
                                        *slot = Some(connection_data(&state, s.who.clone()));
                                    }
                                    signed = Some(s);
                                }
                                None => break close(FORBIDDEN, "Forbidden"),
                            }
                        }
                    }
                    match operations.inbound(&text) {
                        Inbound::Pass => {
                            // Room was checked above and only this task sends.
                            if to_graphql.try_send(text.to_string()).is_err() {
                                break None;
                            }
                        }
                        Inbound::Refuse(answer) => match tokio::time::timeout(send_timeout, session.text(answer)).await {
                            Ok(Ok(())) => {}
                            Ok(Err(_)) => return,
                            Err(_) => break too_slow(),
                        },
                    }
                }
                Some(Ok(AggregatedMessage::Ping(bytes))) => match tokio::time::timeout(send_timeout, session.pong(&bytes)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(_)) => return,
                    Err(_) => break too_slow(),
                },
                Some(Ok(AggregatedMessage::Close(_))) | None => break None,
                Some(Err(e)) => break unreadable(&e),
                Some(Ok(_)) => {}
            },
            outgoing = graphql.next() => match outgoing {
                Some(WsMessage::Text(text)) => {
                    operations.outbound(&text);
                    match tokio::time::timeout(send_timeout, session.text(text)).await {
                        Ok(Ok(())) => {}
                        Ok(Err(_)) => return,
                        Err(_) => break too_slow(),
                    }
                }
                Some(WsMessage::Close(code, message)) => break close(code, &message),
                None => break None,
            },
            () = &mut init_deadline, if signed.is_none() => {
                break close(INIT_TIMEOUT, "Connection initialisation timeout");
            }
            () = until(expires) => break close(FORBIDDEN, "Forbidden: the access token expired"),
            _ = session_check.tick(), if signed.is_some() => {
                let sid = signed.as_ref().map(|s| s.who.session_id.clone()).unwrap_or_default();
                if let Some(reason) = after_session_check(state.auth.store.is_alive(&sid).await) {
                    break reason;
                }
            }
        }
    };
    // A client that reads nothing cannot take a close frame either: give up
    // after the same wait, and the connection is dropped.
    let _ = tokio::time::timeout(send_timeout, session.close(reason)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operations(max: usize) -> Operations {
        Operations { active: HashSet::new(), max, protocol: WebSocketProtocols::GraphQLWS }
    }

    fn subscribe(id: &str) -> String {
        json!({ "id": id, "type": "subscribe", "payload": { "query": "subscription { x }" } }).to_string()
    }

    #[test]
    fn an_operation_over_the_limit_is_refused_with_an_error_for_its_id_and_room_returns_when_one_completes() {
        let mut ops = operations(2);
        assert!(matches!(ops.inbound(&subscribe("a")), Inbound::Pass));
        assert!(matches!(ops.inbound(&subscribe("b")), Inbound::Pass));
        assert!(matches!(ops.inbound(&subscribe("a")), Inbound::Pass), "the same id replaces, it adds nothing");
        let Inbound::Refuse(answer) = ops.inbound(&subscribe("c")) else { panic!("the third is refused") };
        let answer: Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(answer["type"], "error");
        assert_eq!(answer["id"], "c");
        assert_eq!(answer["payload"][0]["extensions"]["code"], "RATE_LIMITED");
        ops.outbound(&json!({ "id": "a", "type": "complete" }).to_string());
        assert!(matches!(ops.inbound(&subscribe("c")), Inbound::Pass), "a completed operation frees its place");
        ops.inbound(&json!({ "id": "b", "type": "complete" }).to_string());
        assert!(matches!(ops.inbound(&subscribe("d")), Inbound::Pass), "so does one the client completes");
    }

    #[test]
    fn a_session_check_that_fails_closes_the_socket_with_4403() {
        let code = |reason: Option<Option<CloseReason>>| reason.flatten().map(|r| r.code);
        assert!(after_session_check(Ok(true)).is_none());
        assert_eq!(code(after_session_check(Ok(false))), Some(CloseCode::Other(FORBIDDEN)));
        assert_eq!(code(after_session_check(Err(StoreError::new("timed out")))), Some(CloseCode::Other(FORBIDDEN)));
    }
}
