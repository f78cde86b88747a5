//! GraphQL subscriptions over WebSocket at `/graphql`, speaking
//! `graphql-transport-ws` (the `graphql-ws` library's protocol, which a
//! mini-program can speak through `wx.connectSocket`).
//!
//! The access token comes in `connection_init`'s payload
//! (`{"Authorization": "Bearer <token>"}` or `{"accessToken": "<token>"}`).
//! A missing or refused token closes the socket with 4403; so does the
//! token's expiry, or the session's end (sign-out, deletion) seen by the
//! periodic check. No `connection_init` in time closes it with 4408.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::{HeaderValue, SEC_WEBSOCKET_PROTOCOL};
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason};
use async_graphql::Data;
use async_graphql::http::{WebSocket, WebSocketProtocols, WsMessage};
use futures_util::StreamExt;
use serde_json::Value;

use crate::auth::Authenticated;
use crate::graphql::{RequestAuth, connection_loaders};
use crate::state::AppState;

const FORBIDDEN: u16 = 4403;
const INIT_TIMEOUT: u16 = 4408;

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

/// Relays between the socket and the GraphQL protocol engine, and watches the session.
async fn serve(
    state: Arc<AppState>,
    mut session: actix_ws::Session,
    messages: actix_ws::MessageStream,
    protocol: WebSocketProtocols,
) {
    let mut messages = messages.max_frame_size(64 * 1024).aggregate_continuations();
    let (to_graphql, from_client) = tokio::sync::mpsc::unbounded_channel::<String>();
    let input = futures_util::stream::unfold(from_client, |mut rx| async move { rx.recv().await.map(|m| (m, rx)) });
    // The data for the signed-in connection, handed over once `connection_init` was accepted here.
    let accepted: Arc<std::sync::Mutex<Option<Data>>> = Arc::default();
    let handover = accepted.clone();
    let mut graphql =
        Box::pin(WebSocket::new(state.schema.clone(), input, protocol).on_connection_init(move |_payload| {
            let data = handover.lock().ok().and_then(|mut d| d.take());
            async move { data.ok_or_else(|| async_graphql::Error::new("Forbidden")) }
        }));
    let events = &state.config.events;
    let init_deadline = tokio::time::sleep(Duration::from_secs(events.init_timeout_seconds));
    tokio::pin!(init_deadline);
    let mut session_check = tokio::time::interval(Duration::from_secs(events.session_check_seconds));
    session_check.tick().await;
    let mut signed: Option<Signed> = None;
    let reason = loop {
        let expires = signed.as_ref().map(|s| s.expires);
        tokio::select! {
            incoming = messages.next() => match incoming {
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
                    if to_graphql.send(text.to_string()).is_err() {
                        break None;
                    }
                }
                Some(Ok(AggregatedMessage::Ping(bytes))) => {
                    if session.pong(&bytes).await.is_err() {
                        return;
                    }
                }
                Some(Ok(AggregatedMessage::Close(_))) | Some(Err(_)) | None => break None,
                Some(Ok(_)) => {}
            },
            outgoing = graphql.next() => match outgoing {
                Some(WsMessage::Text(text)) => {
                    if session.text(text).await.is_err() {
                        return;
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
                // A store that cannot answer keeps the socket; the next check asks again.
                if matches!(state.auth.store.is_alive(&sid).await, Ok(false)) {
                    break close(FORBIDDEN, "Forbidden: the session has ended");
                }
            }
        }
    };
    let _ = session.close(reason).await;
}
