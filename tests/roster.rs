//! The county's household roster: the operator writes the form with
//! `linli admin roster-template`, the community fills it in, and
//! `linli admin import-roster` brings its households and people in as
//! residents. Results are read back over GraphQL as the secretary's screens
//! do; an elder imported without WeChat is ordered for and later signs in.

use std::path::{Path, PathBuf};

use calamine::{Data, Reader, Xlsx};
use serde_json::{Value, json};

use crate::common::*;

const HEADERS: [&str; 8] = ["楼栋", "单元", "房号", "户主", "家庭成员", "联系电话", "身份证后四位", "关爱标记"];
const RESIDENTS: &str = "query($c: ID!) { communityPeople(communityId: $c, role: RESIDENT) { id displayName } }";
const HOUSEHOLDS: &str = "query($c: ID!) { households(communityId: $c) { id label building } }";

/// A roster file with the template's headers and `rows` under them.
fn roster(dir: &Path, name: &str, rows: &[[&str; 8]]) -> PathBuf {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in (0u16..).zip(HEADERS) {
        sheet.write_string(0, c, h).unwrap();
    }
    for (r, row) in (1u32..).zip(rows) {
        for (c, v) in (0u16..).zip(row.iter()) {
            if !v.is_empty() {
                sheet.write_string(r, c, *v).unwrap();
            }
        }
    }
    let path = dir.join(name);
    book.save(&path).unwrap();
    path
}

async fn import(app: &TestApp, file: &Path, community: &str, extra: &[&str]) -> String {
    let mut args = vec!["import-roster", file.to_str().unwrap(), "--community", community];
    args.extend_from_slice(extra);
    succeeded(&app.admin(&args).await)
}

/// The community's residents as `(name, id)`, as its secretary lists them.
async fn residents(app: &TestApp, community: &str) -> Vec<(String, String)> {
    let resp = app.gql_as("demo-secretary", RESIDENTS, json!({ "c": community })).await;
    let mut people: Vec<(String, String)> = data(&resp, "communityPeople")
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["displayName"].as_str().unwrap().to_owned(), id(p)))
        .collect();
    people.sort();
    people
}

fn resident_id(people: &[(String, String)], name: &str) -> String {
    people.iter().find(|(n, _)| n == name).map(|(_, id)| id.clone()).unwrap_or_else(|| panic!("no {name}: {people:?}"))
}

/// The community's households as `(building, label)`.
async fn households(app: &TestApp, community: &str) -> Vec<(String, String)> {
    let resp = app.gql_as("demo-secretary", HOUSEHOLDS, json!({ "c": community })).await;
    data(&resp, "households")
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["building"].as_str().unwrap().to_owned(), h["label"].as_str().unwrap().to_owned()))
        .collect()
}

const GOOD: [[&str; 8]; 2] = [
    ["1栋", "1", "102", "龙奶奶", "", "13700002222", "052X", "独居、空巢"],
    ["2栋", "", "201", "杨大伯", "杨小花、杨小军", "0855-3330000", "", "低保"],
];

#[tokio::test]
async fn the_template_has_the_roster_headers_and_a_sheet_explaining_them() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("花名册.xlsx");
    let printed = succeeded(&app.admin(&["roster-template", out.to_str().unwrap()]).await);
    assert!(printed.contains("花名册模板"), "{printed}");
    let mut book: Xlsx<_> = calamine::open_workbook(&out).unwrap();
    assert_eq!(book.sheet_names(), vec!["花名册", "说明"]);
    let sheet = book.worksheet_range("花名册").unwrap();
    let header: Vec<String> = sheet.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
    assert_eq!(header, HEADERS);
    let help = book.worksheet_range("说明").unwrap();
    let explained: Vec<String> = help.rows().skip(1).take(8).map(|r| r[0].to_string()).collect();
    assert_eq!(explained, HEADERS, "each column is explained");
    assert!(
        help.rows()
            .any(|r| r.iter().any(|c| matches!(c, Data::String(s) if s.contains("空巢、独居、留守、残疾、低保"))))
    );
}

#[tokio::test]
async fn a_good_roster_imports_its_households_and_their_people_as_residents() {
    let app = spawn_app().await;
    let community = app.community_id(CHENGNAN).await;
    let dir = tempfile::tempdir().unwrap();
    let before = residents(&app, &community).await;

    let printed = import(&app, &roster(dir.path(), "r.xlsx", &GOOD), &community, &[]).await;
    assert!(printed.contains("读到 2 行"), "{printed}");
    assert!(printed.contains("住户：新建 2，更新 0，未变 0"), "{printed}");
    assert!(printed.contains("人员：新建 4"), "{printed}");
    assert!(printed.contains("没有有问题的行"), "{printed}");

    let after = residents(&app, &community).await;
    let new: Vec<&str> =
        after.iter().filter(|p| !before.contains(p)).map(|(name, _)| name.as_str()).collect::<Vec<_>>();
    assert_eq!(new, vec!["杨大伯", "杨小军", "杨小花", "龙奶奶"], "the heads and members are residents");
    let homes = households(&app, &community).await;
    assert!(homes.contains(&("1栋".into(), "1单元102".into())), "{homes:?}");
    assert!(homes.contains(&("2栋".into(), "201".into())), "{homes:?}");
}

#[tokio::test]
async fn bad_rows_are_reported_with_their_row_numbers_and_reasons_and_the_good_rows_still_import() {
    let app = spawn_app().await;
    let community = app.community_id(CHENGNAN).await;
    let dir = tempfile::tempdir().unwrap();
    let before = residents(&app, &community).await;
    let file = roster(
        dir.path(),
        "bad.xlsx",
        &[
            ["3栋", "2", "601", "潘阿公", "", "", "", ""],
            ["9栋", "1", "101", "错楼栋", "", "", "", ""],
            ["3栋", "1", "102", "", "无户主", "", "", ""],
            ["3栋", "1", "103", "错电话", "", "12345", "", ""],
            ["3栋", "1", "104", "错标记", "", "", "", "孤寡"],
            ["3栋", "1", "105", "错尾号", "", "", "12A4", ""],
            ["3栋", "1", "106", "", "", "", "", ""],
            ["3栋", "2", "601", "潘阿公", "", "", "", ""],
        ],
    );

    let printed = import(&app, &file, &community, &[]).await;
    assert!(printed.contains("住户：新建 1，更新 0，未变 0"), "{printed}");
    assert!(printed.contains("跳过有问题的行 7 行"), "{printed}");
    for line in [
        "第3行：楼栋「9栋」不存在，请先建好楼栋",
        "第4行：缺少户主",
        "第5行：联系电话「12345」不对",
        "第6行：关爱标记「孤寡」不认识：只能是空巢、独居、留守、残疾、低保",
        "第7行：身份证后四位「12A4」不对",
        "第8行：缺少户主",
        "第9行：和第2行是同一户",
    ] {
        assert!(printed.lines().any(|l| l.starts_with(line)), "expected a line starting {line}: {printed}");
    }

    let after = residents(&app, &community).await;
    let new: Vec<&str> = after.iter().filter(|p| !before.contains(p)).map(|(name, _)| name.as_str()).collect();
    assert_eq!(new, vec!["潘阿公"], "only the good row's person came in");
    let homes = households(&app, &community).await;
    assert!(!homes.iter().any(|(_, label)| ["1单元101", "1单元103", "1单元104", "1单元105"].contains(&label.as_str())));
}

#[tokio::test]
async fn a_file_without_a_column_or_not_a_spreadsheet_is_refused_and_imports_nothing() {
    let app = spawn_app().await;
    let community = app.community_id(CHENGNAN).await;
    let dir = tempfile::tempdir().unwrap();
    let before = residents(&app, &community).await;

    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in (0u16..).zip(HEADERS.iter().filter(|h| **h != "户主")) {
        sheet.write_string(0, c, *h).unwrap();
    }
    for (c, v) in (0u16..).zip(["1栋", "1", "101", "", "", "", ""]) {
        sheet.write_string(1, c, v).unwrap();
    }
    let headless = dir.path().join("headless.xlsx");
    book.save(&headless).unwrap();
    let out = app.admin(&["import-roster", headless.to_str().unwrap(), "--community", &community]).await;
    assert!(!out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("缺少「户主」列"), "{err}");

    let junk = dir.path().join("junk.xlsx");
    std::fs::write(&junk, "楼栋,房号,户主\n1栋,101,张三\n").unwrap();
    let out = app.admin(&["import-roster", junk.to_str().unwrap(), "--community", &community]).await;
    assert!(!out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains(".xlsx"), "{out:?}");

    let missing = app.admin(&["import-roster", "/nonexistent/r.xlsx", "--community", &community]).await;
    assert!(!missing.status.success(), "{missing:?}");
    assert_eq!(residents(&app, &community).await, before);
}

#[tokio::test]
async fn the_same_roster_imported_twice_changes_nothing_the_second_time() {
    let app = spawn_app().await;
    let community = app.community_id(CHENGNAN).await;
    let dir = tempfile::tempdir().unwrap();
    let file = roster(dir.path(), "r.xlsx", &GOOD);

    import(&app, &file, &community, &[]).await;
    let people = residents(&app, &community).await;
    let homes = households(&app, &community).await;
    let again = import(&app, &file, &community, &[]).await;
    assert!(again.contains("住户：新建 0，更新 0，未变 2"), "{again}");
    assert!(again.contains("人员：新建 0"), "{again}");
    assert_eq!(residents(&app, &community).await, people);
    assert_eq!(households(&app, &community).await, homes);
}

#[tokio::test]
async fn a_household_that_moved_building_is_updated_not_duplicated_and_its_people_keep_their_ids() {
    let app = spawn_app().await;
    let community = app.community_id(CHENGNAN).await;
    let dir = tempfile::tempdir().unwrap();
    import(&app, &roster(dir.path(), "r.xlsx", &GOOD), &community, &[]).await;
    let people = residents(&app, &community).await;
    let homes = households(&app, &community).await;

    // 龙奶奶 (same ID tail) moved to 4栋; 杨大伯 (known by his phone) gained a member.
    let moved = roster(
        dir.path(),
        "moved.xlsx",
        &[
            ["4栋", "2", "301", "龙奶奶", "", "13700002222", "052x", "独居"],
            ["2栋", "", "201", "杨大伯", "杨小花、杨小军、杨小宝", "0855-3330000", "", "低保"],
        ],
    );
    let printed = import(&app, &moved, &community, &[]).await;
    assert!(printed.contains("住户：新建 0，更新 2，未变 0"), "{printed}");
    assert!(printed.contains("人员：新建 1"), "{printed}");

    let now = residents(&app, &community).await;
    for (name, id) in &people {
        assert_eq!(&resident_id(&now, name), id, "{name} keeps their id");
    }
    assert_eq!(now.len(), people.len() + 1, "only 杨小宝 is new");
    let after = households(&app, &community).await;
    assert_eq!(after.len(), homes.len(), "no household was added");
    assert!(after.contains(&("4栋".into(), "2单元301".into())), "{after:?}");
    assert!(!after.contains(&("1栋".into(), "1单元102".into())), "{after:?}");
}

#[tokio::test]
async fn a_dry_run_reports_what_would_happen_and_writes_nothing() {
    let app = spawn_app().await;
    let community = app.community_id(CHENGNAN).await;
    let dir = tempfile::tempdir().unwrap();
    let mut rows = GOOD.to_vec();
    rows.push(["9栋", "", "101", "错楼栋", "", "", "", ""]);
    let file = roster(dir.path(), "r.xlsx", &rows);
    let people = residents(&app, &community).await;
    let homes = households(&app, &community).await;

    let dry = import(&app, &file, &community, &["--dry-run"]).await;
    assert!(dry.contains("试导入（未写入任何数据）"), "{dry}");
    assert!(dry.contains("住户：新建 2，更新 0，未变 0"), "{dry}");
    assert!(dry.contains("人员：新建 4"), "{dry}");
    assert!(dry.contains("第4行：楼栋「9栋」不存在，请先建好楼栋"), "{dry}");
    assert_eq!(residents(&app, &community).await, people, "nobody was added");
    assert_eq!(households(&app, &community).await, homes, "no household was added");

    let real = import(&app, &file, &community, &[]).await;
    let dry: Vec<&str> = dry.lines().filter(|l| !l.starts_with("试导入")).collect();
    assert_eq!(real.lines().collect::<Vec<_>>(), dry, "the dry run reported exactly what the import did");
}

const PLACE: &str = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id address onBehalfOf { id } } }";
const MY_ORDERS: &str = "{ orders(filter: { mine: true }) { nodes { id title onBehalfOf { id displayName } } } }";

#[tokio::test]
async fn an_elder_without_wechat_is_imported_ordered_for_and_finds_the_order_hers_once_she_binds_her_phone() {
    let app = spawn_app().await;
    let community = app.community_id(CHENGNAN).await;
    let dir = tempfile::tempdir().unwrap();
    import(&app, &roster(dir.path(), "r.xlsx", &GOOD), &community, &[]).await;
    let elder = resident_id(&residents(&app, &community).await, "龙奶奶");

    // The grid worker orders for her (代点单); her address comes from the roster.
    let input = json!({ "communityId": community, "category": "ELDERLY_CARE", "title": "帮龙奶奶买药",
                        "description": "降压药吃完了", "onBehalfOf": elder });
    let placed = app.gql_as("demo-grid", PLACE, json!({ "input": input })).await;
    let order: &Value = data(&placed, "placeOrder");
    assert_eq!(order["onBehalfOf"]["id"], elder.as_str());
    assert_eq!(order["address"], "1栋1单元102");

    // Later she gets a smartphone, signs in and binds the phone on the roster.
    let fresh = app.login("wx-long-nainai").await;
    assert_ne!(fresh.user_id, elder);
    fake_phone_button(&app, "phone-long", "13700002222").await;
    let bound = bind_phone(&app, &fresh, "phone-long").await;
    assert_eq!(data(&bound, "bindPhone")["id"], elder.as_str(), "the account became the imported person");
    let again = app.login("wx-long-nainai").await;
    assert_eq!(again.user_id, elder, "signing in again continues as her");

    let mine = app.gql(Some(&again.access_token), MY_ORDERS, json!({})).await;
    let nodes = data(&mine, "orders")["nodes"].as_array().unwrap().clone();
    assert_eq!(nodes.len(), 1, "{mine}");
    assert_eq!(nodes[0]["id"], order["id"]);
    assert_eq!(nodes[0]["onBehalfOf"]["displayName"], "龙奶奶");
}

const IMPORT: &str = "mutation($c: ID!, $f: String!, $dry: Boolean!) { importRoster(communityId: $c, fileBase64: $f, \
                      dryRun: $dry) { rows householdsCreated householdsUpdated householdsUnchanged peopleCreated \
                      badRows { row reason } dryRun } }";

#[tokio::test]
async fn the_secretary_imports_a_roster_over_graphql_and_nobody_outside_her_office_may() {
    use base64::Engine as _;
    let app = spawn_app().await;
    let community = app.community_id(CHENGNAN).await;
    let dir = tempfile::tempdir().unwrap();
    let mut rows = GOOD.to_vec();
    rows.push(["9栋", "", "101", "错楼栋", "", "", "", ""]);
    let file =
        base64::engine::general_purpose::STANDARD.encode(std::fs::read(roster(dir.path(), "r.xlsx", &rows)).unwrap());
    let vars = |dry: bool| json!({ "c": community, "f": file, "dry": dry });

    for (who, code) in [("demo-resident-1", "FORBIDDEN"), ("demo-grid", "FORBIDDEN"), ("demo-secretary-2", "NOT_FOUND")]
    {
        let refused = app.gql_as(who, IMPORT, vars(false)).await;
        assert_eq!(error_code(&refused), code, "{who}: {refused}");
    }
    let people = residents(&app, &community).await;
    let dry = app.gql_as("demo-secretary", IMPORT, vars(true)).await;
    let expected = json!({ "rows": 3, "householdsCreated": 2, "householdsUpdated": 0, "householdsUnchanged": 0,
                           "peopleCreated": 4, "badRows": [{ "row": 4, "reason": "楼栋「9栋」不存在，请先建好楼栋" }] });
    let mut want = expected.clone();
    want["dryRun"] = json!(true);
    assert_eq!(data(&dry, "importRoster"), &want);
    assert_eq!(residents(&app, &community).await, people, "the dry run wrote nothing");

    let real = app.gql_as("demo-secretary", IMPORT, vars(false)).await;
    want["dryRun"] = json!(false);
    assert_eq!(data(&real, "importRoster"), &want);
    assert_eq!(residents(&app, &community).await.len(), people.len() + 4);

    let junk = app.gql_as("demo-secretary", IMPORT, json!({ "c": community, "f": "not base64!", "dry": false })).await;
    assert_eq!(error_code(&junk), "BAD_USER_INPUT", "{junk}");
    assert_eq!(error_field(&junk), "fileBase64");
}
