//! The household roster (花名册) the county hands each community as an xlsx
//! file: one row per household, with its building, unit and room, its head,
//! the other members, a phone, the last four characters of the head's ID
//! card and its care flags.
//!
//! [`template`] writes the empty form. [`Org::import_roster`] reads a filled
//! one and brings the community's households and people in line with it,
//! in one transaction:
//!
//! - Columns are found by their header (first row), in any order; a missing
//!   header refuses the whole file, naming it. Other columns are ignored.
//! - Every row is checked first. A bad row (a building the community does
//!   not have, no room or head, a phone or ID tail of the wrong shape, an
//!   unknown care flag, the same household twice) is skipped and reported
//!   with its row number as Excel shows it (the header is row 1) and the
//!   reason; the good rows import. A county office corrects the few bad
//!   rows and imports the file again, which changes nothing for the rows
//!   already in.
//! - A household is known by its roster key: its head's name with the ID
//!   tail, else with the phone, else with where it lives. Found, it is
//!   updated (a household that moved keeps its id and its people); not
//!   found, it is created.
//! - Its head and members are people (found by household and name, else
//!   created without WeChat; the head carries the phone, so that when they
//!   sign in and bind it they become this person), each a RESIDENT of the
//!   community through the ordinary appointment path, with the household's
//!   address. Nobody is removed: a member missing from the file stays.
//! - Importing the same file again changes nothing; a dry run does the same
//!   work and rolls it back, so its report is what would happen.

use std::collections::{HashMap, HashSet};
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set, TransactionTrait};

use super::units::place;
use super::{By, Org, Role, Unit, UnitKind};
use crate::entities::{building, household, user};
use crate::error::{DomainError, DomainResult};

/// The template's columns, in its order.
pub const HEADERS: [&str; 8] = ["楼栋", "单元", "房号", "户主", "家庭成员", "联系电话", "身份证后四位", "关爱标记"];

/// The care flags a household may carry.
pub const CARE_FLAGS: [&str; 5] = ["空巢", "独居", "留守", "残疾", "低保"];

/// The most data rows one file may hold.
pub const MAX_ROWS: usize = 5000;

/// What each column means, for the template's second sheet.
const EXPLAINED: [(&str, &str, &str); 8] = [
    ("楼栋", "必填", "楼栋名称，须是本社区已建好的楼栋，如 3栋（也可只写 3）"),
    ("单元", "选填", "单元号，如 2；没有单元的楼留空"),
    ("房号", "必填", "房号，如 502"),
    ("户主", "必填", "户主姓名"),
    ("家庭成员", "选填", "户主以外的家庭成员姓名，用「、」或「，」隔开，如 张三、李四"),
    ("联系电话", "选填", "手机号（11位）或带区号的座机，如 0855-3331234；户主用这个手机号登录微信后即关联到本人"),
    ("身份证后四位", "选填", "户主身份证号的后四位（数字，最后一位可以是 X）；用来认出搬了家的住户"),
    ("关爱标记", "选填", "空巢、独居、留守、残疾、低保中的一个或几个，用「、」隔开"),
];

/// Other names a county's own roster may use for a column.
const ALIASES: [(&str, &str); 9] = [
    ("楼号", "楼栋"),
    ("单元号", "单元"),
    ("门牌号", "房号"),
    ("户主姓名", "户主"),
    ("成员", "家庭成员"),
    ("电话", "联系电话"),
    ("手机号", "联系电话"),
    ("身份证后4位", "身份证后四位"),
    ("关爱对象", "关爱标记"),
];

fn xlsx_error(e: XlsxError) -> DomainError {
    DomainError::internal(format!("xlsx: {e}"))
}

/// The empty roster form: the header row on 花名册 (phone and ID tail as text
/// cells, so leading zeros stay), and 说明 explaining each column.
pub fn template() -> DomainResult<Vec<u8>> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    let sheet = book.add_worksheet().set_name("花名册").map_err(xlsx_error)?;
    for (col, header) in (0u16..).zip(HEADERS) {
        sheet.write_string_with_format(0, col, header, &bold).map_err(xlsx_error)?;
        sheet.set_column_width(col, if col == 4 { 30 } else { 14 }).map_err(xlsx_error)?;
        if ["单元", "房号", "联系电话", "身份证后四位"].contains(&header) {
            sheet.set_column_format(col, &text).map_err(xlsx_error)?;
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    let help = book.add_worksheet().set_name("说明").map_err(xlsx_error)?;
    for (col, header) in (0u16..).zip(["列名", "是否必填", "怎么填"]) {
        help.write_string_with_format(0, col, header, &bold).map_err(xlsx_error)?;
    }
    for (row, (name, required, how)) in (1u32..).zip(EXPLAINED) {
        help.write_string(row, 0, name).map_err(xlsx_error)?;
        help.write_string(row, 1, required).map_err(xlsx_error)?;
        help.write_string(row, 2, how).map_err(xlsx_error)?;
    }
    let last = EXPLAINED.len() as u32 + 2;
    help.write_string(last, 0, "说明").map_err(xlsx_error)?;
    help.write_string(
        last,
        2,
        "每户一行，表头（第1行）不要改动；有问题的行会被跳过并列出行号，改好后整份重新导入即可，已导入的不会重复。",
    )
    .map_err(xlsx_error)?;
    help.set_column_width(2, 90).map_err(xlsx_error)?;
    book.save_to_buffer().map_err(xlsx_error)
}

/// One household as a good row gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RosterRow {
    /// The row as Excel shows it (the header is row 1).
    pub row: u32,
    pub building: String,
    pub unit: Option<String>,
    pub room: String,
    pub head: String,
    pub members: Vec<String>,
    pub phone: Option<String>,
    pub id_tail: Option<String>,
    /// In [`CARE_FLAGS`] order, each once.
    pub care_flags: Vec<String>,
}

impl RosterRow {
    /// The household's label: `2单元502`, or `502` without a unit.
    pub fn label(&self) -> String {
        match &self.unit {
            Some(u) => format!("{u}单元{}", self.room),
            None => self.room.clone(),
        }
    }
}

/// A row that was skipped, and why (in Chinese, for the office).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRow {
    pub row: u32,
    pub reason: String,
}

impl std::fmt::Display for BadRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "第{}行：{}", self.row, self.reason)
    }
}

/// What an import did (or, on a dry run, would do).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RosterReport {
    /// Rows with something in them (good and bad).
    pub rows: u32,
    pub households_created: u32,
    pub households_updated: u32,
    pub households_unchanged: u32,
    pub people_created: u32,
    /// Skipped rows, in row order.
    pub bad_rows: Vec<BadRow>,
    /// Nothing was written.
    pub dry_run: bool,
}

/// The rows of a roster file: each good row, or why it is bad. Buildings are
/// not checked here (that needs the community). Errors when the file is not
/// an xlsx workbook, is empty, lacks a column or has too many rows.
pub fn read(file: &[u8]) -> DomainResult<Vec<Result<RosterRow, BadRow>>> {
    let unreadable = |e: String| {
        tracing::info!(error = %e, "roster file unreadable");
        DomainError::bad_input("file", "读不了这个文件：请上传 Excel 的 .xlsx 文件（可先用花名册模板填写）")
    };
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(file)).map_err(|e| unreadable(e.to_string()))?;
    let range = match book.worksheet_range_at(0) {
        Some(r) => r.map_err(|e| unreadable(e.to_string()))?,
        None => return Err(DomainError::bad_input("file", "这个文件里没有工作表")),
    };
    let (first_row, _) = range.start().ok_or_else(|| DomainError::bad_input("file", "表格是空的"))?;
    let mut rows = range.rows();
    let header = rows.next().ok_or_else(|| DomainError::bad_input("file", "表格是空的"))?;
    let columns = Columns::find(header)?;
    let mut out = Vec::new();
    for (row, cells) in (first_row + 2..).zip(rows) {
        if cells.iter().all(|c| text(c).is_empty()) {
            continue;
        }
        out.push(columns.row(row, cells));
    }
    if out.len() > MAX_ROWS {
        return Err(DomainError::bad_input(
            "file",
            format!("一次最多导入{MAX_ROWS}行，这个文件有{}行，请分开导入", out.len()),
        ));
    }
    Ok(out)
}

/// Where each column is in the file.
struct Columns {
    at: [usize; 8],
}

impl Columns {
    fn find(header: &[Data]) -> DomainResult<Self> {
        let names: Vec<String> = header
            .iter()
            .map(|c| {
                let name: String = text(c).chars().filter(|c| !c.is_whitespace()).collect();
                ALIASES.iter().find(|(alias, _)| *alias == name).map_or(name, |(_, canonical)| (*canonical).to_owned())
            })
            .collect();
        let mut at = [0; 8];
        let mut missing = Vec::new();
        for (slot, wanted) in at.iter_mut().zip(HEADERS) {
            match names.iter().position(|n| n == wanted) {
                Some(i) => *slot = i,
                None => missing.push(format!("「{wanted}」")),
            }
        }
        if !missing.is_empty() {
            return Err(DomainError::bad_input(
                "file",
                format!(
                    "表头（第1行）缺少{}列；请用花名册模板（linli admin roster-template）的表头",
                    missing.join("、")
                ),
            ));
        }
        Ok(Self { at })
    }

    fn row(&self, row: u32, cells: &[Data]) -> Result<RosterRow, BadRow> {
        let cell = |i: usize| cells.get(self.at[i]).unwrap_or(&Data::Empty);
        let get = |i: usize| text(cell(i));
        let mut reasons: Vec<String> = Vec::new();
        let required = |i: usize, max: usize, reasons: &mut Vec<String>| {
            let v = get(i);
            if v.is_empty() {
                reasons.push(format!("缺少{}", HEADERS[i]));
            } else if v.chars().count() > max {
                reasons.push(format!("{}「{v}」太长（最多{max}个字）", HEADERS[i]));
            }
            v
        };
        let building = required(0, 40, &mut reasons);
        let room = required(2, 20, &mut reasons);
        let head = required(3, 30, &mut reasons);
        let unit = {
            let v = get(1);
            let v = v.strip_suffix("单元").unwrap_or(&v).trim().to_owned();
            if v.chars().count() > 10 {
                reasons.push(format!("单元「{v}」太长（最多10个字）"));
            }
            Some(v).filter(|v| !v.is_empty())
        };
        let mut members: Vec<String> = Vec::new();
        for name in split(&get(4)) {
            if name.chars().count() > 30 {
                reasons.push(format!("家庭成员「{name}」太长（最多30个字）"));
            } else if name != head && !members.contains(&name) {
                members.push(name);
            }
        }
        let phone = match get(5) {
            p if p.is_empty() => None,
            p => match crate::validate::phone("phone", &p) {
                Ok(p) => Some(p),
                Err(_) => {
                    reasons.push(format!("联系电话「{p}」不对：须是11位手机号，或带区号的座机（如 0855-3331234）"));
                    None
                }
            },
        };
        let id_tail = match cell(6) {
            // Typed into a number cell, 0012 shows (and reads) as 12.
            Data::Int(n) if (0..10_000).contains(n) => Some(format!("{n:04}")),
            Data::Float(f) if f.fract() == 0.0 && (0.0..10_000.0).contains(f) => Some(format!("{:04}", *f as i64)),
            c => Some(text(c).to_uppercase()).filter(|t| !t.is_empty()),
        };
        if let Some(t) = &id_tail {
            let chars: Vec<char> = t.chars().collect();
            let shaped = chars.len() == 4
                && chars[..3].iter().all(char::is_ascii_digit)
                && (chars[3].is_ascii_digit() || chars[3] == 'X');
            if !shaped {
                reasons.push(format!("身份证后四位「{t}」不对：须是4位，前三位是数字，最后一位是数字或 X"));
            }
        }
        let mut flags = HashSet::new();
        for flag in split(&get(7)) {
            if CARE_FLAGS.contains(&flag.as_str()) {
                flags.insert(flag);
            } else {
                reasons.push(format!("关爱标记「{flag}」不认识：只能是{}", CARE_FLAGS.join("、")));
            }
        }
        if !reasons.is_empty() {
            return Err(BadRow { row, reason: reasons.join("；") });
        }
        Ok(RosterRow {
            row,
            building,
            unit,
            room,
            head,
            members,
            phone,
            id_tail,
            care_flags: CARE_FLAGS.iter().filter(|f| flags.contains(**f)).map(|f| (*f).to_owned()).collect(),
        })
    }
}

/// Names or flags in one cell, split at 、，,;； and spaces.
fn split(cell: &str) -> Vec<String> {
    cell.split(|c: char| "、，,;；/".contains(c) || c.is_whitespace())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A cell as trimmed text; whole numbers without a decimal point (a phone
/// or room typed into a number cell reads 13812345678, not 13812345678.0).
fn text(cell: &Data) -> String {
    match cell {
        Data::String(s) => s.trim().to_owned(),
        Data::Int(n) => n.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d.to_string(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_owned(),
        Data::Error(_) | Data::Empty => String::new(),
    }
}

/// The roster keys a row's household may be stored under, best first: the
/// head with their ID tail, with the phone, with where they live. The first
/// is what the household is stored under after the import.
fn keys(row: &RosterRow, building_id: i64) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(t) = &row.id_tail {
        keys.push(format!("id:{}|{t}", row.head));
    }
    if let Some(p) = &row.phone {
        keys.push(format!("phone:{}|{p}", row.head));
    }
    keys.push(format!("home:{}|{building_id}|{}", row.head, row.label()));
    keys
}

fn flags_json(flags: &[String]) -> Option<String> {
    if flags.is_empty() { None } else { serde_json::to_string(flags).ok() }
}

impl Org<'_> {
    /// Imports a roster file into a community (see the module's notes): the
    /// operator at the command line, or someone who may build the
    /// community's buildings (its secretary, the street's reviewers, the
    /// county's admins). `dry_run` reports what would happen and writes nothing.
    pub async fn import_roster(
        self,
        by: By<'_>,
        community_id: i64,
        file: &[u8],
        dry_run: bool,
    ) -> DomainResult<RosterReport> {
        let community = Unit::community(community_id);
        let at = place(&self.d.db, community).await?;
        if let By::Staff(actor) = by
            && !super::units::may_organise(actor, UnitKind::Building, &at)
        {
            return Err(super::units::refuse(actor, &at, UnitKind::Community, super::authority::IMPORT_ROSTER.doing));
        }
        let rows = read(file)?;
        let mut report = RosterReport { rows: rows.len() as u32, dry_run, ..Default::default() };
        let txn = self.d.db.begin().await?;
        let buildings: HashMap<String, building::Model> = building::Entity::find()
            .filter(building::Column::CommunityId.eq(community_id))
            .all(&txn)
            .await?
            .into_iter()
            .map(|b| (b.name.clone(), b))
            .collect();
        // The first row each household appeared on, by its best key.
        let mut seen: HashMap<String, u32> = HashMap::new();
        for row in rows {
            let row = match row {
                Ok(row) => row,
                Err(bad) => {
                    report.bad_rows.push(bad);
                    continue;
                }
            };
            let Some(b) = buildings.get(&row.building).or_else(|| buildings.get(&format!("{}栋", row.building)))
            else {
                let reason = format!("楼栋「{}」不存在，请先建好楼栋", row.building);
                report.bad_rows.push(BadRow { row: row.row, reason });
                continue;
            };
            let keys = keys(&row, b.id);
            if let Some(first) = seen.get(&keys[0]) {
                let reason = format!("和第{first}行是同一户（户主和身份证后四位或电话相同），请合并成一行");
                report.bad_rows.push(BadRow { row: row.row, reason });
                continue;
            }
            seen.insert(keys[0].clone(), row.row);
            self.import_household(&txn, community_id, b, &row, &keys, &mut report).await?;
        }
        if dry_run {
            txn.rollback().await?;
        } else {
            txn.commit().await?;
        }
        tracing::info!(
            community_id,
            dry_run,
            rows = report.rows,
            created = report.households_created,
            updated = report.households_updated,
            unchanged = report.households_unchanged,
            people_created = report.people_created,
            bad_rows = report.bad_rows.len(),
            "roster imported"
        );
        Ok(report)
    }

    async fn import_household(
        self,
        txn: &DatabaseTransaction,
        community_id: i64,
        b: &building::Model,
        row: &RosterRow,
        keys: &[String],
        report: &mut RosterReport,
    ) -> DomainResult<()> {
        let label = row.label();
        let flags = flags_json(&row.care_flags);
        let found = household::Entity::find()
            .filter(household::Column::CommunityId.eq(community_id))
            .filter(household::Column::RosterKey.is_in(keys.iter().cloned()))
            .all(txn)
            .await?;
        // The best key wins when a household is stored under several (it cannot be, but be sure).
        let found = keys.iter().find_map(|k| found.iter().find(|h| h.roster_key.as_deref() == Some(k)));
        // The household as this row lists it.
        let as_listed = household::ActiveModel {
            building_id: Set(b.id),
            label: Set(label.clone()),
            head_name: Set(Some(row.head.clone())),
            roster_key: Set(Some(keys[0].clone())),
            care_flags: Set(flags.clone()),
            ..Default::default()
        };
        let (home, mut changed, created) = match found {
            Some(h) => {
                let same = h.building_id == b.id
                    && h.label == label
                    && h.head_name.as_deref() == Some(row.head.as_str())
                    && h.care_flags == flags
                    && h.roster_key.as_deref() == Some(keys[0].as_str());
                if !same {
                    household::ActiveModel { id: Set(h.id), ..as_listed }.update(txn).await?;
                }
                (h.id, !same, false)
            }
            None => {
                let h = household::ActiveModel { community_id: Set(community_id), ..as_listed }.insert(txn).await?;
                (h.id, true, true)
            }
        };
        let address = format!("{}{label}", b.name);
        let people: Vec<user::Model> = user::Entity::find().filter(user::Column::HouseholdId.eq(home)).all(txn).await?;
        let now = self.d.clock.now();
        let everyone = std::iter::once((&row.head, true)).chain(row.members.iter().map(|m| (m, false)));
        for (name, is_head) in everyone {
            let phone = if is_head { row.phone.as_deref() } else { None };
            let person = match people.iter().find(|p| &p.display_name == name) {
                Some(p) => p.clone(),
                None => {
                    report.people_created += 1;
                    changed = true;
                    super::people::new_person(txn, name, phone, now).await?
                }
            };
            let mut update = user::ActiveModel { id: Set(person.id), ..Default::default() };
            let mut dirty = false;
            if person.household_id != Some(home) {
                update.household_id = Set(Some(home));
                dirty = true;
            }
            if person.address.as_deref() != Some(address.as_str()) {
                update.address = Set(Some(address.clone()));
                dirty = true;
            }
            // A phone the person verified themself is theirs; the roster does not overwrite it.
            if let Some(p) = phone
                && person.phone.as_deref() != Some(p)
                && person.phone_verified_at.is_none()
            {
                update.phone = Set(Some(p.to_owned()));
                dirty = true;
            }
            if is_head
                && let Some(t) = &row.id_tail
                && person.id_tail.as_deref() != Some(t.as_str())
            {
                update.id_tail = Set(Some(t.clone()));
                dirty = true;
            }
            if dirty {
                update.update(txn).await?;
                changed = true;
            }
            // Checked first: a second insert would fail, and on PostgreSQL a
            // failed statement ends the transaction.
            if !self.roles_of(txn, person.id, community_id).await?.contains(&Role::Resident) {
                let unit = Unit::community(community_id);
                let who = super::Appointee::User(person.id);
                self.appoint_in(txn, By::Operator, Role::Resident, unit, who).await?;
                changed = true;
            }
        }
        match (created, changed) {
            (true, _) => report.households_created += 1,
            (false, true) => report.households_updated += 1,
            (false, false) => report.households_unchanged += 1,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn book(rows: &[&[&str]]) -> Vec<u8> {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        for (r, row) in (0u32..).zip(rows) {
            for (c, v) in (0u16..).zip(row.iter()) {
                sheet.write_string(r, c, *v).unwrap();
            }
        }
        book.save_to_buffer().unwrap()
    }

    #[test]
    fn the_template_reads_back_as_a_roster_with_no_rows() {
        assert_eq!(read(&template().unwrap()).unwrap(), vec![]);
    }

    #[test]
    fn columns_are_found_by_header_in_any_order() {
        let file = book(&[
            &["关爱标记", "户主", "楼栋", "房号", "单元", "家庭成员", "身份证后4位", "联系电话", "备注"],
            &["独居、空巢", "吴奶奶", "1栋", "101", "1单元", "", "052x", "0855-3331234", "x"],
        ]);
        let rows = read(&file).unwrap();
        let row = rows[0].clone().unwrap();
        assert_eq!(row.row, 2);
        assert_eq!(row.label(), "1单元101");
        assert_eq!(row.id_tail.as_deref(), Some("052X"));
        assert_eq!(row.care_flags, vec!["空巢", "独居"]);
    }

    #[test]
    fn a_missing_header_is_named() {
        let file = book(&[&["楼栋", "单元", "房号", "家庭成员", "联系电话", "身份证后四位", "关爱标记"]]);
        let err = read(&file).unwrap_err().to_string();
        assert!(err.contains("「户主」"), "{err}");
    }

    #[test]
    fn a_bad_row_gives_every_reason_with_its_row_number() {
        let file = book(&[
            &HEADERS,
            &["", "", "", "", "", "", "", ""],
            &["2栋", "", "", "张三", "王五，赵六、王五", "12345", "12", "孤寡"],
        ]);
        let rows = read(&file).unwrap();
        let bad = rows[0].clone().unwrap_err();
        assert_eq!(bad.row, 3, "the blank row 2 is passed over but counted");
        assert!(bad.reason.contains("缺少房号"), "{bad}");
        assert!(bad.reason.contains("联系电话「12345」"), "{bad}");
        assert!(bad.reason.contains("身份证后四位「12」"), "{bad}");
        assert!(bad.reason.contains("关爱标记「孤寡」"), "{bad}");
        assert_eq!(bad.to_string().split('：').next(), Some("第3行"));
    }

    #[test]
    fn members_are_split_and_deduplicated_without_the_head() {
        assert_eq!(split("张三、李四，王五, 赵六  钱七"), vec!["张三", "李四", "王五", "赵六", "钱七"]);
        let file = book(&[&HEADERS, &["2", "", "301", "张三", "张三、李四、李四", "", "", ""]]);
        let row = read(&file).unwrap()[0].clone().unwrap();
        assert_eq!(row.members, vec!["李四"]);
    }

    #[test]
    fn a_file_that_is_not_xlsx_is_refused() {
        assert!(read(b"not a spreadsheet").is_err());
    }
}
