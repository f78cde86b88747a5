// The office's xlsx exports, downloaded over HTTP with the bearer token as the
// mini-program's `wx.downloadFile` would, and read back with calamine: a
// resident's points statement, a month of the community ledger, and the
// canteen's sales per day and per meal. Each export follows the permission
// rules of the screen it mirrors and answers bad input in the API's error shape.

use std::io::Cursor;

use crate::common::*;
use calamine::{Data, Reader, Xlsx};
use chrono::Duration;
use domain::Clock;
use serde_json::{Value, json};

const AWARD: &str = "mutation($c: ID!, $u: ID!, $p: Int!, $r: String!, $k: String!) { awardCivilityPoints(\
     communityId: $c, userId: $u, points: $p, reason: $r, idempotencyKey: $k) { id status amount } }";
const REVERSE: &str = "mutation($t: ID!, $r: String!) { reverseTransfer(transferId: $t, reason: $r) { id } }";
const PUBLISH: &str = "mutation($c: ID!, $d: NaiveDate!, $items: [MealInput!]!) { publishCanteenMenu(communityId: \
     $c, date: $d, items: $items) { id name } }";
const BOOK: &str = "mutation($m: ID!, $q: Int!, $k: String!) { bookMeal(mealId: $m, quantity: $q, idempotencyKey: \
     $k) { id } }";
const CANCEL: &str = "mutation($b: ID!) { cancelMealBooking(bookingId: $b) { id } }";
const PAID: &str = "mutation($b: ID!) { markMealPaid(bookingId: $b, method: CASH) { id paidFen } }";

fn ok(resp: &Value) -> &Value {
    assert!(resp.get("errors").is_none(), "unexpected errors: {resp}");
    resp["data"].as_object().and_then(|o| o.values().next()).unwrap()
}

/// A downloaded file, or the error the server answered with.
enum Download {
    File(Vec<Vec<Vec<Data>>>, Vec<String>),
    Refused(u16, Value),
}

impl Download {
    fn sheets(&self) -> (&Vec<Vec<Vec<Data>>>, &Vec<String>) {
        match self {
            Download::File(sheets, names) => (sheets, names),
            Download::Refused(status, body) => panic!("expected a file, got {status}: {body}"),
        }
    }

    /// The data rows (header skipped) of the sheet called `name`.
    fn rows(&self, name: &str) -> &[Vec<Data>] {
        let (sheets, names) = self.sheets();
        let i = names.iter().position(|n| n == name).unwrap_or_else(|| panic!("no sheet {name} in {names:?}"));
        &sheets[i][1..]
    }

    fn header(&self, name: &str) -> Vec<String> {
        let (sheets, names) = self.sheets();
        let i = names.iter().position(|n| n == name).unwrap();
        sheets[i][0].iter().map(text).collect()
    }

    fn refusal(&self) -> (u16, String, String) {
        match self {
            Download::Refused(status, body) => (
                *status,
                body["errors"][0]["extensions"]["code"].as_str().unwrap().to_owned(),
                body["errors"][0]["message"].as_str().unwrap().to_owned(),
            ),
            Download::File(..) => panic!("expected a refusal, got a file"),
        }
    }
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

fn num(d: &Data) -> f64 {
    match d {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        other => panic!("not a number: {other:?}"),
    }
}

async fn download(app: &TestApp, token: Option<&str>, path: &str) -> Download {
    let mut req = app.client.get(format!("{}{path}", app.address));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    if status != 200 {
        return Download::Refused(status, resp.json().await.unwrap());
    }
    assert_eq!(resp.headers()["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    assert!(resp.headers()["content-disposition"].to_str().unwrap().starts_with("attachment; filename="));
    let bytes = resp.bytes().await.unwrap().to_vec();
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).expect("a readable xlsx file");
    let names = book.sheet_names();
    let sheets =
        names.iter().map(|n| book.worksheet_range(n).unwrap().rows().map(<[Data]>::to_vec).collect()).collect();
    Download::File(sheets, names)
}

area_world!();

impl World {
    async fn token(&self, who: &str) -> String {
        self.session(who).await.access_token
    }

    async fn award(&self, user: &str, points: i64, reason: &str) -> String {
        let resp = self
            .gql(
                "demo-secretary",
                AWARD,
                json!({ "c": self.chengnan, "u": user, "p": points, "r": reason, "k": uuid::Uuid::new_v4().to_string() }),
            )
            .await;
        ok(&resp)["id"].as_str().unwrap().to_owned()
    }

    async fn get(&self, who: Option<&str>, path: &str) -> Download {
        let token = match who {
            Some(w) => Some(self.token(w).await),
            None => None,
        };
        download(&self.app, token.as_deref(), path).await
    }
}

#[tokio::test]
async fn a_resident_downloads_their_points_statement_oldest_first_with_a_running_balance() {
    let w = World::new().await;
    let resident = w.app.login("demo-resident-1").await.user_id;
    w.award(&resident, 5, "打扫楼道").await;
    let second = w.award(&resident, 3, "帮邻居搬家").await;
    let reverse = w.gql("demo-secretary", REVERSE, json!({ "t": second, "r": "记错了人" })).await;
    ok(&reverse);

    let file = w.get(Some("demo-resident-1"), &format!("/exports/points-statement?communityId={}", w.chengnan)).await;
    let (_, names) = file.sheets();
    assert_eq!(names.len(), 1);
    assert!(names[0].contains("龙阿姨"), "the sheet names the resident: {names:?}");
    let header = file.header(&names[0]);
    assert_eq!(header[..6], ["时间", "类型", "事由", "对方账户", "积分", "余额"]);
    let rows = file.rows(&names[0]);
    let lines: Vec<(String, f64, f64)> = rows.iter().map(|r| (text(&r[2]), num(&r[4]), num(&r[5]))).collect();
    assert_eq!(
        lines,
        vec![("打扫楼道".into(), 5.0, 5.0), ("帮邻居搬家".into(), 3.0, 8.0), ("记错了人".into(), -3.0, 5.0)]
    );
    assert_eq!(text(&rows[0][1]), "发放");
    assert_eq!(text(&rows[0][3]), "社区发放");
    assert_eq!(text(&rows[2][1]), "冲正");
    assert_eq!(num(&rows[2][7]), num(&rows[1][6]), "the reversal points at the transfer it reverses");
    assert_eq!(num(&rows[1][8]), num(&rows[2][6]), "the reversed line names its reversal");
    assert!(matches!(rows[0][0], Data::DateTime(_)), "times are spreadsheet dates: {:?}", rows[0][0]);
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn staff_download_any_resident_s_statement_but_a_resident_only_their_own() {
    let w = World::new().await;
    let resident = w.app.login("demo-resident-1").await.user_id;
    w.award(&resident, 4, "环境整治").await;
    let path = format!("/exports/points-statement?communityId={}&userId={resident}", w.chengnan);

    let by_grid = w.get(Some("demo-grid"), &path).await;
    assert_eq!(by_grid.rows(&by_grid.sheets().1[0].clone()).len(), 1);

    let (status, code, _) = w.get(Some("demo-resident-2"), &path).await.refusal();
    assert_eq!((status, code.as_str()), (403, "FORBIDDEN"));
    let (status, code, _) = w.get(Some("demo-resident-3"), &path).await.refusal();
    assert_eq!((status, code.as_str()), (404, "NOT_FOUND"), "another community's resident is not told it exists");
}

#[tokio::test]
async fn an_export_without_a_valid_token_is_refused_as_unauthenticated() {
    let w = World::new().await;
    let path = format!("/exports/points-statement?communityId={}", w.chengnan);
    let (status, code, _) = w.get(None, &path).await.refusal();
    assert_eq!((status, code.as_str()), (401, "UNAUTHENTICATED"));

    let resp = w.app.client.get(format!("{}{path}", w.app.address)).bearer_auth("not-a-token").send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 401);
}

#[tokio::test]
async fn the_secretary_downloads_the_month_s_ledger_whose_entries_sum_to_zero() {
    let w = World::new().await;
    let r1 = w.app.login("demo-resident-1").await.user_id;
    let r2 = w.app.login("demo-resident-2").await.user_id;
    w.award(&r1, 5, "文艺活动").await;
    w.award(&r2, 2, "邻里互助").await;
    let month = w.app.clock.now().with_timezone(&shanghai()).format("%Y-%m").to_string();

    let file =
        w.get(Some("demo-secretary"), &format!("/exports/ledger?communityId={}&month={month}", w.chengnan)).await;
    let (_, names) = file.sheets();
    assert_eq!(names, &["转账", "分录", "本月汇总"]);
    let transfers = file.rows("转账");
    assert_eq!(transfers.len(), 2);
    let reasons: Vec<String> = transfers.iter().map(|r| text(&r[4])).collect();
    assert_eq!(reasons, ["文艺活动", "邻里互助"]);
    assert!(transfers.iter().all(|r| text(&r[3]) == "已入账" && text(&r[5]) == "杨书记"));

    let entries = file.rows("分录");
    assert_eq!(entries.len(), 4, "two entries per award");
    assert_eq!(entries.iter().map(|r| num(&r[6])).sum::<f64>(), 0.0);
    assert!(entries.iter().any(|r| text(&r[3]) == "居民积分（龙阿姨）" && num(&r[6]) == 5.0));

    let totals = file.rows("本月汇总");
    let issuing = totals.iter().find(|r| text(&r[0]) == "社区发放").unwrap();
    assert_eq!(num(&issuing[4]), -7.0);

    let next = (w.app.clock.now() + Duration::days(40)).with_timezone(&shanghai()).format("%Y-%m").to_string();
    let empty =
        w.get(Some("demo-secretary"), &format!("/exports/ledger?communityId={}&month={next}", w.chengnan)).await;
    assert!(empty.rows("转账").is_empty(), "a month with nothing in it is an empty sheet");
}

#[tokio::test]
async fn only_the_secretary_exports_the_ledger_and_the_month_must_be_written_as_year_and_month() {
    let w = World::new().await;
    let path = |m: &str| format!("/exports/ledger?communityId={}&month={m}", w.chengnan);
    let (status, code, _) = w.get(Some("demo-grid"), &path("2026-11")).await.refusal();
    assert_eq!((status, code.as_str()), (403, "FORBIDDEN"));
    let (status, code, message) = w.get(Some("demo-secretary"), &path("November")).await.refusal();
    assert_eq!((status, code.as_str()), (400, "BAD_USER_INPUT"));
    assert!(message.contains("YYYY-MM"), "{message}");
    let (status, code, _) =
        w.get(Some("demo-secretary"), &format!("/exports/ledger?communityId={}", w.chengnan)).await.refusal();
    assert_eq!((status, code.as_str()), (400, "BAD_USER_INPUT"));
    let (status, code, _) =
        w.get(Some("demo-secretary"), "/exports/ledger?communityId=abc&month=2026-11").await.refusal();
    assert_eq!((status, code.as_str()), (404, "NOT_FOUND"));
    let (status, code, _) = w.get(Some("demo-secretary"), "/exports/payroll?communityId=1").await.refusal();
    assert_eq!((status, code.as_str()), (404, "NOT_FOUND"));
}

#[tokio::test]
async fn canteen_sales_count_each_day_and_meal_and_sum_them_per_meal() {
    let w = World::new().await;
    let today = w.app.clock.now().with_timezone(&shanghai()).date_naive();
    let (d1, d2) = (today + Duration::days(1), today + Duration::days(2));
    let mut meal_ids = vec![];
    for day in [d1, d2] {
        let items = json!([
            { "kind": "WORKER_SET", "name": "8元工作餐", "priceFen": 800, "quantity": 50 },
            { "kind": "CHILD_NUTRITION", "name": "儿童营养餐", "priceFen": 1000, "quantity": 20 },
        ]);
        let resp =
            w.gql("demo-canteen", PUBLISH, json!({ "c": w.chengnan, "d": day.to_string(), "items": items })).await;
        meal_ids.push(
            ok(&resp).as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>(),
        );
    }
    let book = |who: &'static str, meal: String, q: i64| {
        let w = &w;
        async move {
            let resp = w.gql(who, BOOK, json!({ "m": meal, "q": q, "k": uuid::Uuid::new_v4().to_string() })).await;
            ok(&resp)["id"].as_str().unwrap().to_owned()
        }
    };
    let b1 = book("demo-resident-1", meal_ids[0][0].clone(), 2).await;
    let _b2 = book("demo-resident-2", meal_ids[0][0].clone(), 1).await;
    let b3 = book("demo-resident-2", meal_ids[0][1].clone(), 1).await;
    let b4 = book("demo-resident-1", meal_ids[1][0].clone(), 3).await;
    ok(&w.gql("demo-canteen", PAID, json!({ "b": b1 })).await);
    ok(&w.gql("demo-canteen", PAID, json!({ "b": b4 })).await);
    ok(&w.gql("demo-resident-2", CANCEL, json!({ "b": b3 })).await);

    let file = w
        .get(Some("demo-canteen"), &format!("/exports/canteen-sales?communityId={}&from={d1}&to={d2}", w.chengnan))
        .await;
    let days = file.rows("按日按餐");
    assert_eq!(days.len(), 4, "two meals on each of two days");
    // 日期 餐品 类别 单价 供应 预订 取消 已取餐 已付款 抵扣 实收
    let line = |i: usize| -> Vec<f64> { (3..11).map(|c| num(&days[i][c])).collect() };
    assert_eq!(text(&days[0][1]), "8元工作餐");
    assert_eq!(line(0), vec![8.0, 50.0, 3.0, 0.0, 0.0, 2.0, 0.0, 16.0]);
    assert_eq!(text(&days[1][2]), "儿童营养餐");
    assert_eq!(line(1), vec![10.0, 20.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(line(2), vec![8.0, 50.0, 3.0, 0.0, 0.0, 3.0, 0.0, 24.0]);
    assert!(matches!(days[0][0], Data::DateTime(_)));

    let per_meal = file.rows("按餐汇总");
    assert_eq!(per_meal.len(), 2);
    let worker = per_meal.iter().find(|r| text(&r[0]) == "8元工作餐").unwrap();
    assert_eq!((num(&worker[3]), num(&worker[6]), num(&worker[8])), (6.0, 5.0, 40.0));
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn canteen_sales_are_for_the_operator_and_the_secretary_over_a_sensible_range() {
    let w = World::new().await;
    let path = |from: &str, to: &str| format!("/exports/canteen-sales?communityId={}&from={from}&to={to}", w.chengnan);
    let secretary = w.get(Some("demo-secretary"), &path("2026-11-01", "2026-11-30")).await;
    assert!(secretary.rows("按日按餐").is_empty());
    let (status, code, _) = w.get(Some("demo-resident-1"), &path("2026-11-01", "2026-11-30")).await.refusal();
    assert_eq!((status, code.as_str()), (403, "FORBIDDEN"));
    let (status, code, message) = w.get(Some("demo-canteen"), &path("2026-11-30", "2026-11-01")).await.refusal();
    assert_eq!((status, code.as_str()), (400, "BAD_USER_INPUT"));
    assert!(message.contains("before"), "{message}");
    let (_, code, _) = w.get(Some("demo-canteen"), &path("2025-01-01", "2026-11-01")).await.refusal();
    assert_eq!(code, "BAD_USER_INPUT", "more than a year");
    let (_, code, message) = w.get(Some("demo-canteen"), &path("2026-11-01", "30/11/2026")).await.refusal();
    assert_eq!(code, "BAD_USER_INPUT");
    assert!(message.contains("YYYY-MM-DD"), "{message}");
}

#[tokio::test]
async fn the_office_downloads_the_lunchbox_deliveries_with_who_took_them_and_what_was_paid() {
    let w = World::new().await;
    let day = w.app.clock.now().with_timezone(&shanghai()).date_naive() + Duration::days(1);
    let grid = w.app.login("demo-grid").await.user_id;
    let items = json!([{ "kind": "WORKER_SET", "name": "6元工作餐", "priceFen": 600, "quantity": 10 }]);
    ok(&w.gql("demo-canteen", PUBLISH, json!({ "c": w.chengnan, "d": day.to_string(), "items": items })).await);
    let add =
        "mutation($c: ID!, $i: LunchboxRecipientInput!) { addLunchboxRecipient(communityId: $c, input: $i) { id } }";
    for (name, price) in [("杨秀明", 0), ("王小妹", 300)] {
        let input = json!({ "name": name, "category": "EMPTY_NEST_ELDERLY", "address": "1栋1单元101",
            "phone": "13800001111", "priceFen": price, "mealKind": "WORKER_SET", "gridWorkerId": grid });
        ok(&w.gql("demo-secretary", add, json!({ "c": w.chengnan, "i": input })).await);
    }
    let generate = "mutation($c: ID!, $d: NaiveDate!) { generateLunchboxDeliveries(communityId: $c, date: $d) { \
         created { id recipientName } } }";
    let made = w.gql("demo-secretary", generate, json!({ "c": w.chengnan, "d": day.to_string() })).await;
    let tasks = ok(&made)["created"].as_array().unwrap().clone();
    assert_eq!(tasks.len(), 2);
    let paid = tasks.iter().find(|t| t["recipientName"] == "王小妹").unwrap()["id"].clone();
    ok(&w
        .gql("demo-volunteer", "mutation($id: ID!) { claimLunchboxDelivery(id: $id) { id } }", json!({ "id": paid }))
        .await);
    let confirm = "mutation($id: ID!, $p: [String!]!, $cash: Int) { confirmLunchboxDelivered(id: $id, photoUrls: $p, \
         cashFen: $cash) { status } }";
    let done =
        w.gql("demo-volunteer", confirm, json!({ "id": paid, "p": ["https://img.example/a.jpg"], "cash": 300 })).await;
    assert_eq!(ok(&done)["status"], "DELIVERED");

    let path = format!("/exports/lunchbox-deliveries?communityId={}&from={day}&to={day}", w.chengnan);
    let file = w.get(Some("demo-grid"), &path).await;
    let rows = file.rows("爱心盒饭配送");
    assert_eq!(rows.len(), 2);
    let row = rows.iter().find(|r| text(&r[1]) == "王小妹").unwrap();
    assert_eq!(text(&row[5]), "已送达");
    assert_eq!(text(&row[6]), "潘志愿者");
    assert_eq!(num(&row[11]), 3.0);
    assert_eq!(text(&row[9]), "是");
    let other = rows.iter().find(|r| text(&r[1]) == "杨秀明").unwrap();
    assert_eq!(text(&other[5]), "待领取");
    assert!(
        !file.header("爱心盒饭配送").iter().any(|h| h.contains("电话") || h.contains("地址")),
        "no phones or addresses"
    );

    let (status, code, _) = w.get(Some("demo-volunteer"), &path).await.refusal();
    assert_eq!((status, code.as_str()), (403, "FORBIDDEN"));
    w.app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn a_resident_downloads_everything_linli_holds_about_them_as_a_workbook() {
    let w = World::new().await;
    let resident = w.app.login("demo-resident-1").await.user_id;
    w.award(&resident, 4, "环境整治").await;
    let place = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }";
    let input =
        json!({ "communityId": w.chengnan, "category": "REPAIR", "title": "灯坏了", "description": "楼道灯坏了" });
    ok(&w.gql("demo-resident-1", place, json!({ "input": input })).await);

    let file = w.get(Some("demo-resident-1"), "/exports/my-data").await;
    let (_, names) = file.sheets();
    for sheet in ["概要", "profile", "orders", "civilityPoints"] {
        assert!(names.iter().any(|n| n == sheet), "no {sheet} sheet in {names:?}");
    }
    let profile = file.rows("profile");
    let field = |k: &str| profile.iter().find(|r| text(&r[0]) == k).map(|r| text(&r[1])).unwrap();
    assert_eq!(field("displayName"), "龙阿姨");
    assert_eq!(field("phone"), "13812345678");
    let orders = file.rows("orders");
    assert_eq!(orders.len(), 1);
    let title_col = file.header("orders").iter().position(|h| h == "title").unwrap();
    assert_eq!(text(&orders[0][title_col]), "灯坏了");
    assert_eq!(file.rows("civilityPoints").len(), 1);

    let (status, code, _) = w.get(None, "/exports/my-data").await.refusal();
    assert_eq!((status, code.as_str()), (401, "UNAUTHENTICATED"));
}

#[tokio::test]
async fn the_orders_and_their_figures_download_for_the_offices_that_may_read_them_with_phones_as_each_may_see_them() {
    let w = World::new().await;
    let place = "mutation($c: ID!) { placeOrder(input: { communityId: $c, category: REPAIR, title: \"门锁坏了\", \
                 description: \"进不了门\" }) { id } }";
    let order = id(ok(&w.gql("demo-resident-1", place, json!({ "c": w.chengnan })).await));
    ok(&w
        .gql("demo-secretary", "mutation($o: ID!) { dispatchOrder(orderId: $o) { id } }", json!({ "o": order }))
        .await);
    ok(&w.gql("demo-member-1", "mutation($o: ID!) { claimOrder(orderId: $o) { id } }", json!({ "o": order })).await);
    let day = w.today();
    let path = format!("/exports/orders?communityId={}&from={day}&to={day}", w.chengnan);

    // The secretary sees the phone in full, and the read is logged; the grid's worker reads her grid only.
    let file = w.get(Some("demo-secretary"), &path).await;
    let rows = file.rows("服务单");
    assert_eq!(rows.len(), 1);
    assert_eq!(text(&rows[0][2]), "门锁坏了");
    assert_eq!(text(&rows[0][3]), "已接单");
    assert_eq!(text(&rows[0][4]), "龙阿姨");
    assert_eq!(text(&rows[0][6]), "13812345678");
    assert_eq!(text(&rows[0][11]), "李党员");
    let log = "query($c: ID!) { sensitiveAccessLog(communityId: $c) { totalCount } }";
    assert!(ok(&w.gql("demo-secretary", log, json!({ "c": w.chengnan })).await)["totalCount"].as_i64().unwrap() >= 1);
    let grids = w.app.grids("demo-secretary", &w.chengnan).await;
    let grid_path = format!("/exports/orders?gridId={}&from={day}&to={day}", grids[0]);
    assert_eq!(w.get(Some("demo-grid"), &grid_path).await.rows("服务单").len(), 1);
    for (who, path) in [("demo-grid", &path), ("demo-member-1", &path), ("demo-secretary-2", &path)] {
        let (status, code, _) = w.get(Some(who), path).await.refusal();
        assert_eq!((status, code.as_str()), (403, "FORBIDDEN"), "{who}");
    }
    let (status, code, _) =
        w.get(Some("demo-secretary"), &format!("/exports/orders?from={day}&to={day}")).await.refusal();
    assert_eq!((status, code.as_str()), (400, "BAD_USER_INPUT"), "a scope is needed");

    // The figures as sheets: one order, claimed at once, so one of one claimed in time.
    let stats = w.get(Some("demo-secretary"), &path.replace("/exports/orders", "/exports/service-stats")).await;
    let summary = stats.rows("概况");
    assert_eq!(text(&summary[0][0]), "服务单总数");
    assert_eq!(num(&summary[0][1]), 1.0);
    let timeliness = stats.rows("时效");
    assert_eq!(text(&timeliness[0][0]), "接单");
    assert_eq!((num(&timeliness[0][1]), num(&timeliness[0][2])), (1.0, 1.0));
}
