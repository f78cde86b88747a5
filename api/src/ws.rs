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
//! `events.socket_send_timeout_seconds` is closed with 1013, as is one whose
//! messages waiting to be written stay over [`MAX_PENDING_BYTES`] for that
//! long (a few large answers fill memory long before 32 messages are queued).

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::http::header::{HeaderValue, SEC_WEBSOCKET_PROTOCOL};
use actix_web::web::Bytes;
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
/// Bytes of messages handed to a socket that its connection has not yet
/// taken to write. A send that would pass it waits for the client to take
/// some, at most `events.socket_send_timeout_seconds`, then the socket is
/// closed with 1013. A single message larger than this still goes out
/// when nothing else waits.
pub const MAX_PENDING_BYTES: usize = 1024 * 1024;

/// What a socket's connection has taken of its outgoing frames so far, in
/// bytes, and a wake-up each time it takes more.
#[derive(Default)]
struct Taken {
    bytes: AtomicUsize,
    more: tokio::sync::Notify,
}

/// The WebSocket response body, counting the bytes the HTTP connection
/// takes from it (it takes them only while its own write buffer has room,
/// so what a client does not read stays counted as pending).
struct Counted {
    inner: BoxBody,
    taken: Arc<Taken>,
}

impl MessageBody for Counted {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.inner.size()
    }

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_next(cx);
        if let Poll::Ready(Some(Ok(chunk))) = &polled {
            this.taken.bytes.fetch_add(chunk.len(), Ordering::Relaxed);
            this.taken.more.notify_one();
        }
        polled
    }
}

/// The response of `actix_ws::handle` with its body counted into `taken`.
fn counted(response: HttpResponse, taken: Arc<Taken>) -> HttpResponse {
    response.map_body(|_, inner| Counted { inner, taken }).map_into_boxed_body()
}

/// The bytes of the frame actix-ws writes for a message of `payload` bytes
/// (a server's frames are unmasked: RFC 6455 §5.2).
fn frame_len(payload: usize) -> usize {
    payload
        + match payload {
            0..=125 => 2,
            126..=65_535 => 4,
            _ => 10,
        }
}

/// Why the socket stops sending.
enum Stop {
    /// The connection is gone.
    Closed,
    /// The client did not keep up (1013).
    TooSlow(Slow),
}

/// How a client failed to keep up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slow {
    /// actix-ws's queue of messages stayed full for the send timeout.
    Queue,
    /// The bytes waiting stayed over [`MAX_PENDING_BYTES`] for the send timeout.
    Bytes,
}

impl Slow {
    fn as_str(self) -> &'static str {
        match self {
            Slow::Queue => "queue",
            Slow::Bytes => "bytes",
        }
    }
}

/// The socket's sending side: every frame is counted, and a frame that
/// would take the pending bytes past [`MAX_PENDING_BYTES`] waits for room.
struct Outbox {
    session: actix_ws::Session,
    sent: usize,
    taken: Arc<Taken>,
    timeout: Duration,
}

impl Outbox {
    fn pending(&self) -> usize {
        self.sent.saturating_sub(self.taken.bytes.load(Ordering::Relaxed))
    }

    /// Waits until a frame of `frame` bytes fits under the bound (or nothing
    /// else waits), at most the send timeout.
    async fn room_for(&self, frame: usize) -> Result<(), Stop> {
        let deadline = tokio::time::Instant::now() + self.timeout;
        loop {
            let pending = self.pending();
            if pending == 0 || pending + frame <= MAX_PENDING_BYTES {
                return Ok(());
            }
            // A wake-up between the read above and this wait is kept as a permit, not lost.
            if tokio::time::timeout_at(deadline, self.taken.more.notified()).await.is_err() {
                return Err(Stop::TooSlow(Slow::Bytes));
            }
        }
    }

    async fn text(&mut self, text: impl Into<String>) -> Result<(), Stop> {
        let text = text.into();
        let frame = frame_len(text.len());
        self.room_for(frame).await?;
        self.sent += frame;
        match tokio::time::timeout(self.timeout, self.session.text(text)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Stop::Closed),
            Err(_) => Err(Stop::TooSlow(Slow::Queue)),
        }
    }

    async fn pong(&mut self, bytes: &[u8]) -> Result<(), Stop> {
        let frame = frame_len(bytes.len());
        self.room_for(frame).await?;
        self.sent += frame;
        match tokio::time::timeout(self.timeout, self.session.pong(bytes)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Stop::Closed),
            Err(_) => Err(Stop::TooSlow(Slow::Queue)),
        }
    }

    /// Closes the socket. A client that reads nothing cannot take a close
    /// frame either: give up after the same wait, and the connection is dropped.
    async fn close(self, reason: Option<CloseReason>) {
        let _ = tokio::time::timeout(self.timeout, self.session.close(reason)).await;
    }
}

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
    let (response, session, messages) = actix_ws::handle(&req, body)?;
    let taken = Arc::new(Taken::default());
    let mut response = counted(response, taken.clone());
    response.headers_mut().insert(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static(protocol.sec_websocket_protocol()));
    let timeout = Duration::from_secs(state.config.events.socket_send_timeout_seconds);
    let outbox = Outbox { session, sent: 0, taken, timeout };
    actix_web::rt::spawn(serve(state.into_inner(), outbox, messages, protocol));
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
/// messages to the client go through actix-ws's queue of 32 and at most
/// [`MAX_PENDING_BYTES`] wait to be written, and a client that takes none
/// for `events.socket_send_timeout_seconds` is closed (1013), so a slow or
/// stalled phone cannot make the server buffer without end. While a send
/// waits, the subscriptions are not polled: the hub's broadcast is bounded
/// and a lagging subscription catches up from the database.
async fn serve(
    state: Arc<AppState>,
    mut outbox: Outbox,
    messages: actix_ws::MessageStream,
    protocol: WebSocketProtocols,
) {
    let events = &state.config.events;
    let max_message = events.socket_max_message_bytes;
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
    let too_slow = |why: Slow| {
        state.metrics.slow_socket_closed(why.as_str());
        tracing::info!(reason = why.as_str(), "closing a socket whose client did not keep up");
        close(TRY_AGAIN_LATER, "The client did not keep up; reconnect with your cursor")
    };
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
                        Inbound::Refuse(answer) => match outbox.text(answer).await {
                            Ok(()) => {}
                            Err(Stop::Closed) => return,
                            Err(Stop::TooSlow(why)) => break too_slow(why),
                        },
                    }
                }
                Some(Ok(AggregatedMessage::Ping(bytes))) => match outbox.pong(&bytes).await {
                    Ok(()) => {}
                    Err(Stop::Closed) => return,
                    Err(Stop::TooSlow(why)) => break too_slow(why),
                },
                Some(Ok(AggregatedMessage::Close(_))) | None => break None,
                Some(Err(e)) => break unreadable(&e),
                Some(Ok(_)) => {}
            },
            outgoing = graphql.next() => match outgoing {
                Some(WsMessage::Text(text)) => {
                    operations.outbound(&text);
                    match outbox.text(text).await {
                        Ok(()) => {}
                        Err(Stop::Closed) => return,
                        Err(Stop::TooSlow(why)) => break too_slow(why),
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
    outbox.close(reason).await;
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

    #[tokio::test]
    async fn the_bytes_counted_for_each_frame_are_the_bytes_the_connection_takes() {
        use actix_web::FromRequest;

        let (req, mut payload) = actix_web::test::TestRequest::default()
            .insert_header(("upgrade", "websocket"))
            .insert_header(("connection", "upgrade"))
            .insert_header(("sec-websocket-version", "13"))
            .insert_header(("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="))
            .to_http_parts();
        let body = web::Payload::from_request(&req, &mut payload).await.unwrap();
        let (response, session, _) = actix_ws::handle(&req, body).unwrap();
        let taken = Arc::new(Taken::default());
        let body = counted(response, taken.clone()).into_body();
        let mut outbox = Outbox { session, sent: 0, taken: taken.clone(), timeout: Duration::from_secs(1) };
        // Each length where the frame header grows, on both sides of it.
        for size in [0, 125, 126, 65_535, 65_536, 200_000] {
            assert!(outbox.text("x".repeat(size)).await.is_ok());
        }
        assert!(outbox.pong(b"are you there").await.is_ok());
        let sent = outbox.sent;
        drop(outbox);
        let written = actix_web::body::to_bytes(body).await.unwrap();
        assert_eq!(written.len(), sent, "what is counted as sent is what is written");
        assert_eq!(taken.bytes.load(Ordering::Relaxed), sent, "and all of it was counted as taken");
    }

    #[test]
    fn a_session_check_that_fails_closes_the_socket_with_4403() {
        let code = |reason: Option<Option<CloseReason>>| reason.flatten().map(|r| r.code);
        assert!(after_session_check(Ok(true)).is_none());
        assert_eq!(code(after_session_check(Ok(false))), Some(CloseCode::Other(FORBIDDEN)));
        assert_eq!(code(after_session_check(Err(StoreError::new("timed out")))), Some(CloseCode::Other(FORBIDDEN)));
    }
}
