//! Spreadsheets for the community office: a resident's points statement, a
//! month of a community's ledger, and the canteen's sales. Each export is
//! gathered under the same permission rules as the screen it mirrors, then
//! written as xlsx (rust_xlsxwriter, constant-memory worksheets) to any
//! writer, so the server can stream it while it is being written.

use std::collections::HashMap;
use std::io::Write;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::canteen::{BookingStatus, MealKind};
use crate::entities::{ledger_account, ledger_entry, ledger_transfer, meal, meal_booking};
use crate::error::{DomainError, DomainResult};
use crate::ledger::{AccountKind, Currency, TransferKind, TransferStatus};
use crate::lunchbox::{DeliveryStatus, RecipientCategory};
use crate::org::Actor;
use crate::org::authority;
use crate::pagination::PageRequest;
use crate::points::Month;

crate::area_service!(
    /// The office's spreadsheet exports.
    Exports
);

/// The longest range one export covers.
const MAX_EXPORT_DAYS: i64 = 366;

/// One cell. Money is kept in fen and shown in yuan; times are shown in Asia/Shanghai.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Fen(i64),
    Date(NaiveDate),
    Time(DateTime<Utc>),
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Self {
        Cell::Int(n)
    }
}

impl From<i32> for Cell {
    fn from(n: i32) -> Self {
        Cell::Int(n.into())
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Empty, Into::into)
    }
}

#[derive(Clone, Debug)]
pub struct Sheet {
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// A workbook ready to write, with the file name the office will see.
#[derive(Clone, Debug)]
pub struct Export {
    pub file_name: String,
    pub sheets: Vec<Sheet>,
}

impl Export {
    /// Writes the workbook as xlsx. Blocking: call it off the async runtime.
    pub fn write_xlsx<W: Write + Send>(&self, out: W) -> DomainResult<()> {
        let xlsx = |e: XlsxError| DomainError::internal(format!("xlsx: {e}"));
        let mut book = Workbook::new();
        let bold = Format::new().set_bold();
        let yuan = Format::new().set_num_format("0.00");
        let day = Format::new().set_num_format("yyyy-mm-dd");
        let time = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
        for sheet in &self.sheets {
            let ws = book.add_worksheet_with_constant_memory().map_err(xlsx)?;
            ws.set_name(&sheet.name).map_err(xlsx)?;
            for (c, h) in sheet.headers.iter().enumerate() {
                ws.write_string_with_format(0, col(c), h, &bold).map_err(xlsx)?;
                ws.set_column_width(col(c), 16).map_err(xlsx)?;
            }
            for (r, row) in sheet.rows.iter().enumerate() {
                let r = u32::try_from(r + 1).map_err(|_| DomainError::bad_input("to", "too many rows for a sheet"))?;
                for (c, cell) in row.iter().enumerate() {
                    let c = col(c);
                    match cell {
                        Cell::Empty => {}
                        Cell::Text(s) => {
                            ws.write_string(r, c, s).map_err(xlsx)?;
                        }
                        Cell::Int(n) => {
                            // Whole numbers in a sheet are small counts and points: exact in an f64.
                            ws.write_number(r, c, *n as f64).map_err(xlsx)?;
                        }
                        Cell::Fen(n) => {
                            ws.write_number_with_format(r, c, *n as f64 / 100.0, &yuan).map_err(xlsx)?;
                        }
                        Cell::Date(d) => {
                            ws.write_datetime_with_format(r, c, d.and_time(NaiveTime::MIN), &day).map_err(xlsx)?;
                        }
                        Cell::Time(t) => {
                            let local = t.with_timezone(&Shanghai).naive_local();
                            ws.write_datetime_with_format(r, c, local, &time).map_err(xlsx)?;
                        }
                    }
                }
            }
        }
        book.save_to_writer(out).map_err(xlsx)
    }
}

fn headers(names: &[&str]) -> Vec<String> {
    names.iter().map(|h| (*h).to_owned()).collect()
}

fn json_cell(v: &serde_json::Value) -> Cell {
    use serde_json::Value as J;
    match v {
        J::Null => Cell::Empty,
        J::Bool(b) => Cell::Text(if *b { "是" } else { "否" }.into()),
        J::Number(n) => n.as_i64().map_or_else(|| Cell::Text(n.to_string()), Cell::Int),
        J::String(t) => Cell::Text(t.clone()),
        other => Cell::Text(other.to_string()),
    }
}

/// A JSON document as sheets: each list of records a sheet with a column per
/// field, each record a sheet of field and value, and loose values on a summary sheet.
pub fn json_sheets(doc: &serde_json::Value) -> Vec<Sheet> {
    use serde_json::Value as J;
    let mut summary = Vec::new();
    let mut sheets = Vec::new();
    let J::Object(top) = doc else {
        return vec![Sheet { name: "数据".into(), headers: headers(&["值"]), rows: vec![vec![json_cell(doc)]] }];
    };
    for (key, value) in top {
        let name: String = key.chars().take(31).collect();
        match value {
            J::Array(items) if items.iter().all(J::is_object) => {
                let mut cols: Vec<String> = Vec::new();
                for item in items.iter().filter_map(J::as_object) {
                    for k in item.keys() {
                        if !cols.contains(k) {
                            cols.push(k.clone());
                        }
                    }
                }
                let rows = items
                    .iter()
                    .filter_map(J::as_object)
                    .map(|item| cols.iter().map(|c| item.get(c).map_or(Cell::Empty, json_cell)).collect())
                    .collect();
                sheets.push(Sheet { name, headers: cols, rows });
            }
            J::Object(fields) => {
                let rows = fields.iter().map(|(k, v)| vec![Cell::Text(k.clone()), json_cell(v)]).collect();
                sheets.push(Sheet { name, headers: headers(&["字段", "值"]), rows });
            }
            other => summary.push(vec![Cell::Text(key.clone()), json_cell(other)]),
        }
    }
    if !summary.is_empty() {
        sheets.insert(0, Sheet { name: "概要".into(), headers: headers(&["字段", "值"]), rows: summary });
    }
    sheets
}

fn col(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

/// Checks a date range the office asked for.
pub fn date_range(from: NaiveDate, to: NaiveDate) -> DomainResult<()> {
    if to < from {
        return Err(DomainError::bad_input("to", "the end date is before the start date"));
    }
    if (to - from).num_days() >= MAX_EXPORT_DAYS {
        return Err(DomainError::bad_input("to", "an export covers at most one year; choose a shorter range"));
    }
    Ok(())
}

/// The first instant of a day in Asia/Shanghai.
pub(crate) fn start_of(day: NaiveDate) -> DomainResult<DateTime<Utc>> {
    Shanghai
        .from_local_datetime(&day.and_time(NaiveTime::MIN))
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| DomainError::internal("no midnight in Asia/Shanghai"))
}

fn account_label(kind: AccountKind) -> &'static str {
    match kind {
        AccountKind::ResidentPoints => "居民积分",
        AccountKind::Issuing => "社区发放",
        AccountKind::Holds => "兑换冻结",
        AccountKind::Supermarket => "爱心超市",
        AccountKind::Canteen => "合约食堂",
        AccountKind::CounterPayments => "柜台收款",
    }
}

fn transfer_label(kind: TransferKind) -> &'static str {
    match kind {
        TransferKind::Award => "发放",
        TransferKind::Hold => "冻结",
        TransferKind::Settle => "兑换结算",
        TransferKind::Release => "解冻",
        TransferKind::Reversal => "冲正",
        TransferKind::Coupon => "兑换餐券",
        TransferKind::Payment => "餐费收款",
    }
}

fn status_label(status: TransferStatus) -> &'static str {
    match status {
        TransferStatus::Posted => "已入账",
        TransferStatus::PendingReview => "待评议",
        TransferStatus::Rejected => "未通过",
    }
}

impl Exports<'_> {
    /// A resident's civility-point statement, oldest first with the running
    /// balance. The resident's own, or anyone's for the community's staff.
    pub async fn points_statement(
        self,
        actor: &Actor,
        community_id: i64,
        user_id: Option<i64>,
    ) -> DomainResult<Export> {
        let user_id = user_id.unwrap_or(actor.user_id);
        let mut lines = Vec::new();
        let mut after = None;
        let balance = loop {
            let (balance, page) =
                self.d.ledger().account(actor, community_id, Some(user_id), PageRequest { first: 100, after }).await?;
            after = page.items.last().map(|l| l.entry_id);
            let more = page.has_next_page;
            lines.extend(page.items);
            if !more {
                break balance;
            }
        };
        lines.reverse();
        let names = self.d.org().user_summaries(&[user_id]).await?;
        let others: Vec<i64> = lines.iter().filter_map(|l| l.counterparty_user).collect();
        let other_names = self.d.org().user_summaries(&others).await?;
        let name = names.get(&user_id).map_or_else(|| format!("居民{user_id}"), |u| u.display_name.clone());
        let opening = balance - lines.iter().map(|l| l.amount).sum::<i64>();
        let mut running = opening;
        let rows = lines
            .into_iter()
            .map(|l| {
                running += l.amount;
                let counterparty = match l.counterparty_user.and_then(|id| other_names.get(&id)) {
                    Some(u) => format!("{}（{}）", account_label(l.counterparty), u.display_name),
                    None => account_label(l.counterparty).to_owned(),
                };
                vec![
                    Cell::Time(l.at),
                    transfer_label(l.kind).into(),
                    l.reason.into(),
                    counterparty.into(),
                    Cell::Int(l.amount),
                    Cell::Int(running),
                    l.transfer_id.into(),
                    l.reverses_id.into(),
                    l.reversed_by.into(),
                ]
            })
            .collect();
        Ok(Export {
            file_name: format!("points-statement-{community_id}-{user_id}.xlsx"),
            sheets: vec![Sheet {
                name: format!("{name}的积分明细").chars().take(31).collect(),
                headers: headers(&[
                    "时间",
                    "类型",
                    "事由",
                    "对方账户",
                    "积分",
                    "余额",
                    "转账编号",
                    "冲正原单",
                    "被冲正于",
                ]),
                rows,
            }],
        })
    }

    /// Every transfer of a month (Asia/Shanghai) in a community, with its
    /// entries, for the secretary: one sheet of transfers, one of entries,
    /// and the month's movement per account.
    pub async fn ledger_month(self, actor: &Actor, community_id: i64, month: &str) -> DomainResult<Export> {
        actor.require(&authority::EXPORT_LEDGER, community_id)?;
        let month = Month::parse("month", month)?;
        let from = start_of(
            NaiveDate::from_ymd_opt(month.year, month.month, 1)
                .ok_or_else(|| DomainError::bad_input("month", "write the month as YYYY-MM, e.g. 2026-11"))?,
        )?;
        let next = month.next();
        let to = start_of(
            NaiveDate::from_ymd_opt(next.year, next.month, 1)
                .ok_or_else(|| DomainError::bad_input("month", "write the month as YYYY-MM, e.g. 2026-11"))?,
        )?;
        let transfers = ledger_transfer::Entity::find()
            .filter(ledger_transfer::Column::CommunityId.eq(community_id))
            .filter(ledger_transfer::Column::CreatedAt.gte(from))
            .filter(ledger_transfer::Column::CreatedAt.lt(to))
            .order_by_asc(ledger_transfer::Column::Id)
            .all(&self.d.db)
            .await?;
        let entries = ledger_entry::Entity::find()
            .filter(ledger_entry::Column::TransferId.is_in(transfers.iter().map(|t| t.id)))
            .order_by_asc(ledger_entry::Column::Id)
            .all(&self.d.db)
            .await?;
        let accounts = crate::rows::keyed(
            ledger_account::Entity::find()
                .filter(ledger_account::Column::CommunityId.eq(community_id))
                .all(&self.d.db)
                .await?,
        )?;
        let people: Vec<i64> = accounts
            .values()
            .filter_map(|a| a.owner_user_id)
            .chain(transfers.iter().filter_map(|t| t.created_by))
            .collect();
        let names = self.d.org().user_summaries(&people).await?;
        let person = |id: Option<i64>| id.and_then(|id| names.get(&id)).map(|u| u.display_name.clone());
        let account_name = |id: i64| -> DomainResult<(String, String)> {
            let a = accounts.get(&id).ok_or_else(|| DomainError::internal("entry on an unknown account"))?;
            let label = account_label(AccountKind::parse(&a.kind)?);
            let name = match person(a.owner_user_id) {
                Some(who) => format!("{label}（{who}）"),
                None => label.to_owned(),
            };
            let currency = match Currency::parse(&a.currency)? {
                Currency::Points => "积分",
                Currency::Fen => "元",
            };
            Ok((name, currency.to_owned()))
        };
        let transfer_rows = transfers
            .iter()
            .map(|t| {
                Ok(vec![
                    t.id.into(),
                    Cell::Time(t.created_at),
                    transfer_label(TransferKind::parse(&t.kind)?).into(),
                    status_label(TransferStatus::parse(&t.status)?).into(),
                    t.reason.clone().into(),
                    person(t.created_by).into(),
                    t.reverses_id.into(),
                ])
            })
            .collect::<DomainResult<Vec<_>>>()?;
        let mut totals: HashMap<(String, String), (i64, i64)> = HashMap::new();
        let entry_rows = entries
            .iter()
            .map(|e| {
                let (account, currency) = account_name(e.account_id)?;
                let (counterparty, _) = account_name(e.counterparty_account_id)?;
                let amount = if currency == "元" { Cell::Fen(e.amount) } else { Cell::Int(e.amount) };
                let total = totals.entry((account.clone(), currency.clone())).or_default();
                if e.amount >= 0 {
                    total.0 += e.amount;
                } else {
                    total.1 += e.amount;
                }
                Ok(vec![
                    e.id.into(),
                    e.transfer_id.into(),
                    Cell::Time(e.created_at),
                    account.into(),
                    counterparty.into(),
                    currency.into(),
                    amount,
                ])
            })
            .collect::<DomainResult<Vec<_>>>()?;
        let mut totals: Vec<_> = totals.into_iter().collect();
        totals.sort();
        let total_rows = totals
            .into_iter()
            .map(|((account, currency), (credit, debit))| {
                let money = |n: i64| if currency == "元" { Cell::Fen(n) } else { Cell::Int(n) };
                vec![account.into(), currency.clone().into(), money(credit), money(debit), money(credit + debit)]
            })
            .collect();
        Ok(Export {
            file_name: format!("ledger-{community_id}-{month}.xlsx"),
            sheets: vec![
                Sheet {
                    name: "转账".into(),
                    headers: headers(&["转账编号", "时间", "类型", "状态", "事由", "经办人", "冲正原单"]),
                    rows: transfer_rows,
                },
                Sheet {
                    name: "分录".into(),
                    headers: headers(&["分录编号", "转账编号", "时间", "账户", "对方账户", "单位", "金额"]),
                    rows: entry_rows,
                },
                Sheet {
                    name: "本月汇总".into(),
                    headers: headers(&["账户", "单位", "转入", "转出", "净额"]),
                    rows: total_rows,
                },
            ],
        })
    }

    /// The canteen's sales between two days: one line per day and meal, and a
    /// summary per meal, for the operator and the secretary.
    pub async fn canteen_sales(
        self,
        actor: &Actor,
        community_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> DomainResult<Export> {
        actor.require(&authority::EXPORT_CANTEEN_SALES, community_id)?;
        date_range(from, to)?;
        let meals = meal::Entity::find()
            .filter(meal::Column::CommunityId.eq(community_id))
            .filter(meal::Column::ServedOn.gte(from))
            .filter(meal::Column::ServedOn.lte(to))
            .order_by_asc(meal::Column::ServedOn)
            .order_by_asc(meal::Column::Id)
            .all(&self.d.db)
            .await?;
        let bookings = meal_booking::Entity::find()
            .filter(meal_booking::Column::MealId.is_in(meals.iter().map(|m| m.id)))
            .all(&self.d.db)
            .await?;
        #[derive(Default, Clone, Copy)]
        struct Tally {
            booked: i64,
            cancelled: i64,
            collected: i64,
            paid: i64,
            takings_fen: i64,
            discount_fen: i64,
        }
        let mut per_meal: HashMap<i64, Tally> = HashMap::new();
        for b in &bookings {
            let t = per_meal.entry(b.meal_id).or_default();
            let n = i64::from(b.quantity);
            match BookingStatus::parse(&b.status)? {
                BookingStatus::Cancelled => t.cancelled += n,
                status => {
                    t.booked += n;
                    if status == BookingStatus::Collected {
                        t.collected += n;
                    }
                    if let Some(paid) = b.paid_fen {
                        t.paid += n;
                        t.takings_fen += paid;
                    }
                    t.discount_fen += b.discount_fen;
                }
            }
        }
        let kind_label = |k: &str| -> DomainResult<&'static str> {
            Ok(match MealKind::parse(k)? {
                MealKind::WorkerSet => "职工套餐",
                MealKind::ChildNutrition => "儿童营养餐",
            })
        };
        let mut summary: Vec<((String, i64, &'static str), Tally)> = Vec::new();
        let mut day_rows = Vec::with_capacity(meals.len());
        for m in &meals {
            let t = per_meal.get(&m.id).copied().unwrap_or_default();
            let kind = kind_label(&m.kind)?;
            day_rows.push(vec![
                Cell::Date(m.served_on),
                m.name.clone().into(),
                kind.into(),
                Cell::Fen(m.price_fen),
                m.quantity.into(),
                Cell::Int(t.booked),
                Cell::Int(t.cancelled),
                Cell::Int(t.collected),
                Cell::Int(t.paid),
                Cell::Fen(t.discount_fen),
                Cell::Fen(t.takings_fen),
            ]);
            let key = (m.name.clone(), m.price_fen, kind);
            match summary.iter_mut().find(|(k, _)| *k == key) {
                Some((_, s)) => {
                    s.booked += t.booked;
                    s.cancelled += t.cancelled;
                    s.collected += t.collected;
                    s.paid += t.paid;
                    s.takings_fen += t.takings_fen;
                    s.discount_fen += t.discount_fen;
                }
                None => summary.push((key, t)),
            }
        }
        let summary_rows = summary
            .into_iter()
            .map(|((name, price, kind), t)| {
                vec![
                    name.into(),
                    kind.into(),
                    Cell::Fen(price),
                    Cell::Int(t.booked),
                    Cell::Int(t.cancelled),
                    Cell::Int(t.collected),
                    Cell::Int(t.paid),
                    Cell::Fen(t.discount_fen),
                    Cell::Fen(t.takings_fen),
                ]
            })
            .collect();
        Ok(Export {
            file_name: format!("canteen-sales-{community_id}-{from}-{to}.xlsx"),
            sheets: vec![
                Sheet {
                    name: "按日按餐".into(),
                    headers: headers(&[
                        "日期",
                        "餐品",
                        "类别",
                        "单价(元)",
                        "供应份数",
                        "预订份数",
                        "取消份数",
                        "已取餐",
                        "已付款份数",
                        "积分券抵扣(元)",
                        "实收(元)",
                    ]),
                    rows: day_rows,
                },
                Sheet {
                    name: "按餐汇总".into(),
                    headers: headers(&[
                        "餐品",
                        "类别",
                        "单价(元)",
                        "预订份数",
                        "取消份数",
                        "已取餐",
                        "已付款份数",
                        "积分券抵扣(元)",
                        "实收(元)",
                    ]),
                    rows: summary_rows,
                },
            ],
        })
    }

    /// Everything linli holds about the caller (as `exportMyData`), as a
    /// workbook the resident can hand to the office.
    pub async fn my_data(self, actor: &Actor) -> DomainResult<Export> {
        let doc = self.d.data_rights().export_my_data(actor).await?;
        Ok(Export { file_name: format!("my-data-{}.xlsx", actor.user_id), sheets: json_sheets(&doc) })
    }

    /// Love-lunchbox deliveries between two days, for the office: who got
    /// what, who took it, when it arrived, and what was taken at the door.
    pub async fn lunchbox_deliveries(
        self,
        actor: &Actor,
        community_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> DomainResult<Export> {
        date_range(from, to)?;
        let rows = self.d.lunchbox().report(actor, community_id, from, to).await?;
        let category = |c: RecipientCategory| match c {
            RecipientCategory::EmptyNestElderly => "空巢老人",
            RecipientCategory::LeftBehindChild => "留守儿童",
            RecipientCategory::Disabled => "残疾人",
        };
        let status = |s: DeliveryStatus| match s {
            DeliveryStatus::Open => "待领取",
            DeliveryStatus::Claimed => "配送中",
            DeliveryStatus::Delivered => "已送达",
            DeliveryStatus::Cancelled => "已取消",
            DeliveryStatus::Undelivered => "未送达",
        };
        let rows = rows
            .into_iter()
            .map(|r| {
                vec![
                    Cell::Date(r.served_on),
                    r.recipient_name.into(),
                    category(r.category).into(),
                    r.meal_name.into(),
                    Cell::Fen(r.price_fen),
                    status(r.status).into(),
                    r.claimant_name.into(),
                    r.claimed_at.map_or(Cell::Empty, Cell::Time),
                    r.delivered_at.map_or(Cell::Empty, Cell::Time),
                    if r.photo_confirmed_at.is_some() { "是" } else { "" }.into(),
                    if r.recipient_confirmed_at.is_some() { "是" } else { "" }.into(),
                    r.cash_fen.map_or(Cell::Empty, Cell::Fen),
                    r.undelivered_reason.into(),
                    if r.alerted_at.is_some() { "是" } else { "" }.into(),
                ]
            })
            .collect();
        Ok(Export {
            file_name: format!("lunchbox-deliveries-{community_id}-{from}-{to}.xlsx"),
            sheets: vec![Sheet {
                name: "爱心盒饭配送".into(),
                headers: headers(&[
                    "日期",
                    "受助人",
                    "类别",
                    "餐品",
                    "应收(元)",
                    "状态",
                    "配送人",
                    "领取时间",
                    "送达时间",
                    "拍照确认",
                    "本人确认",
                    "实收(元)",
                    "未送达原因",
                    "已提醒网格员",
                ]),
                rows,
            }],
        })
    }
}
