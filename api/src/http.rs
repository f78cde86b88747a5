//! HTTP endpoints. `/graphql` follows the GraphQL over HTTP specification:
//! POST with `application/json`; GET for queries only (mutations answer 405);
//! `application/graphql-response+json` when the client accepts it, in which
//! case requests that fail before execution answer 400; batches are refused.

use std::sync::Arc;
use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::parser::types::OperationType;
use async_graphql::{ErrorExtensionValues, ServerError};
use serde_json::{Value, json};

use domain::{DomainError, DomainResult};

use crate::auth::{Authenticated, MutationLimit};
use crate::graphql::{RequestAuth, RequestMeta, mutation_cost, mutation_field_count, with_request_loaders};
use crate::state::AppState;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Media {
    GraphqlResponse,
    LegacyJson,
}

impl Media {
    fn content_type(self) -> &'static str {
        match self {
            Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Media::LegacyJson => "application/json; charset=utf-8",
        }
    }
}

/// What the client accepts; `None` when it accepts nothing we can send (406).
fn negotiate(req: &HttpRequest) -> Option<Media> {
    let Some(accept) = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(Media::LegacyJson);
    };
    let ranges: Vec<String> = accept
        .split(',')
        .filter(|part| !part.contains("q=0") || part.contains("q=0."))
        .map(|part| part.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .collect();
    if ranges.iter().any(|r| r == GRAPHQL_RESPONSE_JSON) {
        Some(Media::GraphqlResponse)
    } else if ranges.iter().any(|r| r == JSON || r == "application/*" || r == "*/*") {
        Some(Media::LegacyJson)
    } else {
        None
    }
}

/// The 406 for a client that accepts nothing [`negotiate`] can send.
fn not_acceptable() -> HttpResponse {
    error_response(
        StatusCode::NOT_ACCEPTABLE,
        "NOT_ACCEPTABLE",
        "accept application/graphql-response+json or application/json",
        JSON,
    )
}

/// A JSON body in the GraphQL response shape, for errors outside execution.
pub(crate) fn error_response(status: StatusCode, code: &str, message: &str, media: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, media))
        .json(json!({ "errors": [{ "message": message, "extensions": { "code": code } }] }))
}

pub(crate) fn domain_error_response(err: &DomainError) -> HttpResponse {
    let status = match err {
        DomainError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        DomainError::Forbidden(_) => StatusCode::FORBIDDEN,
        DomainError::NotFound(_) => StatusCode::NOT_FOUND,
        DomainError::BadInput { .. } => StatusCode::BAD_REQUEST,
        DomainError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
        DomainError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        DomainError::Conflict(_)
        | DomainError::AlreadyClaimed
        | DomainError::InvalidState(_)
        | DomainError::InsufficientPoints => StatusCode::CONFLICT,
        DomainError::Internal(cause) => {
            tracing::error!(%cause, "internal error");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    error_response(status, err.code(), &err.public_message(), "application/json; charset=utf-8")
}

/// The bearer token's user, if one was sent. Checked before execution so a
/// stale header still lets `refreshSession` and `wechatLogin` run.
pub(crate) async fn authenticate(state: &AppState, req: &HttpRequest) -> DomainResult<Option<Authenticated>> {
    authenticate_request(state, req, 0).await.map(|found| found.map(|(who, _)| who))
}

/// As [`authenticate`]; a request that counts against the mutation limit
/// (`mutations` > 0: one per mutation field) has its hits counted in the same
/// store round trip.
async fn authenticate_request(
    state: &AppState,
    req: &HttpRequest,
    mutations: u64,
) -> DomainResult<Option<(Authenticated, MutationLimit)>> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            DomainError::Unauthenticated("send the access token as `Authorization: Bearer <token>`".into())
        })?;
    state.auth.authenticate_request(token, mutations).await.map(Some)
}

pub async fn graphql_post(req: HttpRequest, body: web::Bytes, state: web::Data<AppState>) -> HttpResponse {
    let Some(media) = negotiate(&req) else {
        return not_acceptable();
    };
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case(JSON) {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BAD_REQUEST",
            "send the request as application/json",
            media.content_type(),
        );
    }
    let bad = |message: &str| error_response(StatusCode::BAD_REQUEST, "BAD_REQUEST", message, media.content_type());
    let value: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => return bad("the request body is not valid JSON"),
    };
    match &value {
        Value::Array(_) => return bad("batched requests are not supported; send one operation per request"),
        Value::Object(map) => {
            if !matches!(map.get("query"), Some(Value::String(_))) {
                return bad("the request needs a `query` string");
            }
            if !matches!(map.get("variables"), None | Some(Value::Null) | Some(Value::Object(_))) {
                return bad("`variables` must be an object");
            }
            if !matches!(map.get("operationName"), None | Some(Value::Null) | Some(Value::String(_))) {
                return bad("`operationName` must be a string");
            }
            if !matches!(map.get("extensions"), None | Some(Value::Null) | Some(Value::Object(_))) {
                return bad("`extensions` must be an object");
            }
        }
        _ => return bad("the request body must be a JSON object"),
    }
    let request: async_graphql::Request = match serde_json::from_value(value) {
        Ok(r) => r,
        Err(_) => return bad("the request is not a GraphQL request"),
    };
    execute(&state, &req, request, media).await
}

pub async fn graphql_get(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let params = web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default();
    let Some(query) = params.get("query") else {
        if !state.config.is_production() {
            let page =
                async_graphql::http::GraphiQLSource::build().endpoint("/graphql").title("linli GraphiQL").finish();
            return HttpResponse::Ok().content_type("text/html; charset=utf-8").body(page);
        }
        return error_response(StatusCode::BAD_REQUEST, "BAD_REQUEST", "the request needs a `query` parameter", JSON);
    };
    let Some(media) = negotiate(&req) else {
        return not_acceptable();
    };
    let bad = |message: &str| error_response(StatusCode::BAD_REQUEST, "BAD_REQUEST", message, media.content_type());
    let mut request = async_graphql::Request::new(query.clone());
    if let Some(name) = params.get("operationName") {
        request = request.operation_name(name.clone());
    }
    if let Some(vars) = params.get("variables") {
        match serde_json::from_str::<Value>(vars) {
            Ok(v @ Value::Object(_)) => request = request.variables(async_graphql::Variables::from_json(v)),
            _ => return bad("`variables` must be a JSON object"),
        }
    }
    // GET can only read: a mutation over GET answers 405 (it may be cached or prefetched).
    if let Ok(doc) = async_graphql::parser::parse_query(query) {
        let op = match params.get("operationName") {
            Some(name) => {
                doc.operations.iter().find(|(n, _)| n.map(|n| n.as_str()) == Some(name.as_str())).map(|(_, o)| o)
            }
            None => doc.operations.iter().next().map(|(_, o)| o),
        };
        if op.is_some_and(|op| op.node.ty != OperationType::Query) {
            return HttpResponse::MethodNotAllowed()
                .insert_header((header::ALLOW, HeaderValue::from_static("POST")))
                .insert_header((header::CONTENT_TYPE, media.content_type()))
                .json(json!({ "errors": [{ "message": "mutations must be sent with POST", "extensions": { "code": "BAD_REQUEST" } }] }));
        }
    }
    execute(&state, &req, request, media).await
}

async fn execute(state: &AppState, req: &HttpRequest, request: async_graphql::Request, media: Media) -> HttpResponse {
    let started = Instant::now();
    // Parsed here only to know what the request costs against the mutation
    // limit, so that it is counted in the session check's round trip; a query
    // that does not parse, or holds more mutation fields than one document
    // may, fails in the schema before anything is counted or run.
    let max_fields = state.config.limits.max_mutation_fields;
    let mutations = async_graphql::parser::parse_query(&request.query)
        .ok()
        .filter(|doc| mutation_field_count(doc) <= max_fields)
        .map_or(0, |doc| mutation_cost(&doc));
    let (auth, limit) = match authenticate_request(state, req, mutations).await {
        Ok(Some((who, limit))) => (Ok(Some(who)), limit),
        Ok(None) => (Ok(None), MutationLimit::NotCounted),
        Err(e) => (Err(e), MutationLimit::NotCounted),
    };
    let meta = Arc::new(RequestMeta::default());
    if let (Some(name), Ok(mut op)) = (&request.operation_name, meta.operation.lock()) {
        *op = Some(name.clone());
    }
    let request_auth = RequestAuth::new(auth).with_mutation_limit(limit);
    let request = with_request_loaders(request.data(request_auth).data(meta.clone()), &state.domain);
    let limit = std::time::Duration::from_secs(state.config.limits.request_timeout_seconds);
    let response = match tokio::time::timeout(limit, state.schema.execute(request)).await {
        Ok(response) => response,
        Err(_) => {
            let mut err = ServerError::new("the request took too long and was stopped; try again", None);
            let mut ext = ErrorExtensionValues::default();
            ext.set("code", "TIMEOUT");
            err.extensions = Some(ext);
            async_graphql::Response::from_errors(vec![err])
        }
    };
    if meta.started() {
        // Whatever it changed is in the outbox now: relay it without waiting for the next tick.
        state.events.poke();
    }
    let operation = meta.operation.lock().ok().and_then(|op| op.clone());
    state.metrics.observe_request(operation.as_deref(), started.elapsed(), response.is_ok());
    let status = if media == Media::GraphqlResponse && response.is_err() && !meta.started() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    HttpResponse::build(status).insert_header((header::CONTENT_TYPE, media.content_type())).json(response)
}

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Ready when the database and the session store answer.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let database = state.domain.db.ping().await.is_ok();
    let store = state.auth.store.ping().await.is_ok();
    let body = json!({ "database": database, "sessionStore": store });
    if database && store { HttpResponse::Ok().json(body) } else { HttpResponse::ServiceUnavailable().json(body) }
}

pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(state.metrics.render())
}

pub async fn method_not_allowed() -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, "GET, POST"))
        .json(json!({ "errors": [{ "message": "use GET or POST", "extensions": { "code": "BAD_REQUEST" } }] }))
}

/// Headers on every response: `X-Content-Type-Options: nosniff`, so that no
/// browser or WebView reads a photo or a JSON body as something else.
pub(crate) fn security_headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new().add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
}
