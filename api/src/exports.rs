//! `GET /exports/{kind}`: xlsx files for the community office, streamed while
//! they are written. Signed in with the same bearer token as GraphQL (the
//! mini-program downloads with `wx.downloadFile` and an `Authorization` header).
//!
//! - `points-statement?communityId=&userId=` — a resident's civility points (own, or any for staff)
//! - `ledger?communityId=&month=YYYY-MM` — the month's ledger (secretary)
//! - `canteen-sales?communityId=&from=YYYY-MM-DD&to=YYYY-MM-DD` — sales per day and meal
//! - `lunchbox-deliveries?communityId=&from=&to=` — love-lunchbox deliveries (staff)
//! - `my-data` — everything linli holds about the caller (as `exportMyData`)
//! - `orders?communityId=|gridId=|streetId=|countyId=&from=&to=` — the orders placed, one row each
//!   (those who may read the scope's figures)
//! - `service-stats?…&from=&to=` — the figures of `serviceStats` as sheets

use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;
use tokio::sync::mpsc;

use domain::exports::Export;
use domain::orders::StatsScope;
use domain::{DomainError, DomainResult};

use crate::http::{authenticate, domain_error_response};
use crate::state::AppState;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const CHUNK: usize = 64 * 1024;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportParams {
    community_id: Option<String>,
    grid_id: Option<String>,
    street_id: Option<String>,
    county_id: Option<String>,
    user_id: Option<String>,
    month: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

fn id(value: &Option<String>, field: &'static str) -> DomainResult<i64> {
    let v = value.as_deref().ok_or_else(|| DomainError::bad_input(field, format!("add `{field}` to the address")))?;
    v.parse().map_err(|_| DomainError::NotFound(if field == "userId" { "user" } else { "community" }))
}

fn day(value: &Option<String>, field: &'static str) -> DomainResult<NaiveDate> {
    let v = value.as_deref().ok_or_else(|| DomainError::bad_input(field, format!("add `{field}` (YYYY-MM-DD)")))?;
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| DomainError::bad_input(field, "write the date as YYYY-MM-DD, e.g. 2026-11-23"))
}

/// Exactly one of `gridId`, `communityId`, `streetId`, `countyId`.
fn scope(p: &ExportParams) -> DomainResult<StatsScope> {
    let given = [
        (&p.grid_id, StatsScope::Grid as fn(i64) -> StatsScope),
        (&p.community_id, StatsScope::Community),
        (&p.street_id, StatsScope::Street),
        (&p.county_id, StatsScope::County),
    ];
    let mut chosen = given.iter().filter(|(v, _)| v.is_some());
    match (chosen.next(), chosen.next()) {
        (Some((Some(v), make)), None) => {
            v.parse().map(make).map_err(|_| DomainError::bad_input("scope", "单位编号应为数字"))
        }
        _ => Err(DomainError::bad_input("scope", "请只给出 gridId、communityId、streetId、countyId 中的一个")),
    }
}

async fn gather(state: &AppState, req: &HttpRequest, kind: &str, p: &ExportParams) -> DomainResult<Export> {
    let who = authenticate(state, req).await?.ok_or_else(|| {
        DomainError::Unauthenticated("sign in first: send `Authorization: Bearer <accessToken>`".into())
    })?;
    let actor = state.domain.org().actor(who.user_id).await?;
    let d = &state.domain;
    if kind == "my-data" {
        return d.exports().my_data(&actor).await;
    }
    if kind == "orders" || kind == "service-stats" {
        let (scope, from, to) = (scope(p)?, day(&p.from, "from")?, day(&p.to, "to")?);
        return if kind == "orders" {
            d.orders().export_orders(&actor, scope, from, to).await
        } else {
            d.orders().export_stats(&actor, scope, from, to).await
        };
    }
    let community = id(&p.community_id, "communityId")?;
    match kind {
        "points-statement" => {
            let user = p.user_id.as_ref().map(|_| id(&p.user_id, "userId")).transpose()?;
            d.exports().points_statement(&actor, community, user).await
        }
        "ledger" => {
            let month = p.month.as_deref().ok_or_else(|| DomainError::bad_input("month", "add `month` (YYYY-MM)"))?;
            d.exports().ledger_month(&actor, community, month).await
        }
        "canteen-sales" => d.exports().canteen_sales(&actor, community, day(&p.from, "from")?, day(&p.to, "to")?).await,
        "lunchbox-deliveries" => {
            d.exports().lunchbox_deliveries(&actor, community, day(&p.from, "from")?, day(&p.to, "to")?).await
        }
        _ => Err(DomainError::NotFound("export")),
    }
}

/// A `Write` that hands full chunks to the response as they are produced.
struct ChunkWriter {
    buf: Vec<u8>,
    tx: mpsc::Sender<std::io::Result<Bytes>>,
}

impl ChunkWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx.blocking_send(Ok(chunk)).map_err(|_| std::io::Error::other("the download was abandoned"))
    }
}

impl std::io::Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

pub async fn export(
    req: HttpRequest,
    kind: web::Path<String>,
    params: web::Query<ExportParams>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let export = match gather(&state, &req, &kind, &params).await {
        Ok(export) => export,
        Err(e) => return domain_error_response(&e),
    };
    let (tx, rx) = mpsc::channel(4);
    let file_name = export.file_name.clone();
    tokio::task::spawn_blocking(move || {
        let mut out = ChunkWriter { buf: Vec::with_capacity(CHUNK), tx: tx.clone() };
        let written = export.write_xlsx(&mut out).and_then(|()| {
            std::io::Write::flush(&mut out).map_err(|e| DomainError::internal(format!("export stream: {e}")))
        });
        if let Err(e) = written {
            tracing::error!(error = %e, "export failed while streaming");
            // Ends the body with an error so the client sees a broken download, not a short file.
            let _ = tx.blocking_send(Err(std::io::Error::other("export failed")));
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|chunk| (chunk, rx)) });
    HttpResponse::Ok()
        .content_type(XLSX)
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{file_name}\"")))
        .insert_header(("Cache-Control", "no-store"))
        .streaming(body)
}
