// The figures (`serviceStats`) checked against a small month worked out by
// hand: three orders in 城南社区 (two in 第1网格, one in 第2网格 that went
// to the street and a department) and one in 城北社区.

use chrono::Duration;
use domain::Clock;
use serde_json::{Value, json};

use crate::common::*;

const STATS: &str = "query($s: StatsScopeInput!, $f: NaiveDate!, $t: NaiveDate!) { serviceStats(scope: $s, from: $f, to: $t) { \
    total byStatus { status count } byCategory { category count } \
    claim { measured within share timed medianMinutes p90Minutes } \
    arrive { measured within share timed medianMinutes p90Minutes } \
    complete { measured within share timed medianMinutes p90Minutes } \
    ratings averageStars returnVisits { satisfaction count } escalated \
    departments { name routed acceptedInTime completed completedByDue } } }";

area_world!();

impl World {
    async fn ok(&self, who: &str, query: &str, vars: Value) -> Value {
        let resp = self.gql(who, query, vars).await;
        payload(&resp).clone()
    }

    async fn place(&self, who: &str, community: &str, category: &str) -> String {
        let q = format!(
            "mutation($c: ID!) {{ placeOrder(input: {{ communityId: $c, category: {category}, title: \"需要帮助\", \
             description: \"请帮忙\" }}) {{ id }} }}"
        );
        id(&self.ok(who, &q, json!({ "c": community })).await)
    }

    async fn on(&self, who: &str, call: &str, order: &str) {
        let q = format!("mutation($o: ID!) {{ {call} {{ id }} }}");
        self.ok(who, &q, json!({ "o": order })).await;
    }

    fn advance(&self, minutes: i64) {
        self.app.clock.advance(Duration::minutes(minutes));
    }

    async fn stats(&self, who: &str, scope: Value) -> Value {
        let today = self.app.clock.now().with_timezone(&shanghai()).date_naive();
        let range = json!({ "s": scope, "f": today - Duration::days(1), "t": today + Duration::days(1) });
        self.gql(who, STATS, range).await
    }
}

fn assert_minutes(v: &Value, expected: f64, what: &str) {
    let got = v.as_f64().unwrap_or_else(|| panic!("{what}: {v}"));
    assert!((got - expected).abs() < 0.01, "{what}: {got} is not {expected}");
}

#[tokio::test]
async fn the_figures_of_a_grid_a_community_a_street_and_a_county_are_those_worked_out_by_hand() {
    let w = World::new().await;
    let chengbei = w.chengbei().await;
    // A: claimed after 10 minutes, at the door 20 minutes later, done 60 minutes after that; rated 5, visited back.
    let a = w.place("demo-resident-1", &w.chengnan, "REPAIR").await;
    w.on("demo-secretary", "dispatchOrder(orderId: $o)", &a).await;
    w.advance(10);
    w.on("demo-member-1", "claimOrder(orderId: $o)", &a).await;
    w.advance(20);
    w.on("demo-member-1", "arriveOnSite(orderId: $o)", &a).await;
    w.advance(60);
    w.on("demo-member-1", "completeOrder(orderId: $o, note: \"修好了\")", &a).await;
    w.on("demo-secretary", "approveOrder(orderId: $o)", &a).await;
    w.on("demo-resident-1", "rateOrder(orderId: $o, stars: 5)", &a).await;
    w.on("demo-grid", "recordReturnVisit(orderId: $o, satisfaction: SATISFIED)", &a).await;
    // B: claimed late (40 of 30 minutes), at the door late (45 of 30), done 30 minutes later; rated 3.
    let b = w.place("demo-resident-1", &w.chengnan, "REPAIR").await;
    w.on("demo-secretary", "dispatchOrder(orderId: $o)", &b).await;
    w.advance(40);
    w.on("demo-member-2", "claimOrder(orderId: $o)", &b).await;
    w.advance(45);
    w.on("demo-member-2", "arriveOnSite(orderId: $o)", &b).await;
    w.advance(30);
    w.on("demo-member-2", "completeOrder(orderId: $o, note: \"修好了\")", &b).await;
    w.on("demo-secretary", "approveOrder(orderId: $o)", &b).await;
    w.on("demo-resident-1", "rateOrder(orderId: $o, stars: 3)", &b).await;
    // C (第2网格): claimed after 20 minutes, then escalated, routed to 住建中心, accepted and completed.
    let c = w.place("demo-resident-2", &w.chengnan, "HEALTH").await;
    w.on("demo-secretary", "dispatchOrder(orderId: $o)", &c).await;
    w.advance(20);
    w.on("demo-member-3", "claimOrder(orderId: $o)", &c).await;
    w.on("demo-secretary", "escalateOrder(orderId: $o, reason: \"需要部门\")", &c).await;
    let street = w.ok("demo-secretary", "{ me { memberships { community { street { id } } } } }", json!({})).await;
    let street = id(&street["memberships"][0]["community"]["street"]);
    let departments =
        w.ok("demo-street", "query($s: ID!) { departments(streetId: $s) { id name } }", json!({ "s": street })).await;
    let housing = id(departments.as_array().unwrap().iter().find(|d| d["name"] == "龙头街道住建中心").unwrap());
    let due = (w.app.clock.now() + Duration::days(2)).to_rfc3339();
    w.ok(
        "demo-street",
        "mutation($o: ID!, $d: ID!, $at: DateTime!) { routeOrder(orderId: $o, departmentId: $d, instruction: \"请处理\", dueAt: $at) { id } }",
        json!({ "o": c, "d": housing, "at": due }),
    )
    .await;
    w.advance(30);
    w.on("demo-dept-housing", "acceptRoutedOrder(orderId: $o)", &c).await;
    w.on("demo-dept-housing", "completeRoutedOrder(orderId: $o, note: \"已处理\")", &c).await;
    // D: in 城北社区, only placed.
    w.place("demo-resident-3", &chengbei, "OTHER").await;

    let community = w.stats("demo-secretary", json!({ "communityId": w.chengnan })).await;
    let s = payload(&community);
    assert_eq!(s["total"], 3, "{s}");
    let statuses: Vec<(String, i64)> = s["byStatus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["status"].as_str().unwrap().to_owned(), r["count"].as_i64().unwrap()))
        .collect();
    assert!(
        statuses.contains(&("CLOSED".into(), 2)) && statuses.contains(&("DEPARTMENT_COMPLETED".into(), 1)),
        "{statuses:?}"
    );
    assert_eq!(statuses.len(), 2, "{statuses:?}");
    let categories = s["byCategory"].as_array().unwrap();
    assert!(categories.contains(&json!({ "category": "REPAIR", "count": 2 })), "{categories:?}");
    assert!(categories.contains(&json!({ "category": "HEALTH", "count": 1 })), "{categories:?}");
    // Claims: 10, 40, 20 minutes against 30 → two of three in time; median 20, p90 40.
    assert_eq!(
        (s["claim"]["measured"].as_i64(), s["claim"]["within"].as_i64(), s["claim"]["timed"].as_i64()),
        (Some(3), Some(2), Some(3))
    );
    assert_minutes(&s["claim"]["medianMinutes"], 20.0, "claim median");
    assert_minutes(&s["claim"]["p90Minutes"], 40.0, "claim p90");
    // Arrivals: 20 and 45 minutes against 30 → one of two; median 20, p90 45.
    assert_eq!((s["arrive"]["measured"].as_i64(), s["arrive"]["within"].as_i64()), (Some(2), Some(1)));
    assert_minutes(&s["arrive"]["share"], 0.5, "arrive share");
    assert_minutes(&s["arrive"]["medianMinutes"], 20.0, "arrive median");
    assert_minutes(&s["arrive"]["p90Minutes"], 45.0, "arrive p90");
    // Completion: 80 and 75 minutes from the claim, both within the day.
    assert_eq!((s["complete"]["measured"].as_i64(), s["complete"]["within"].as_i64()), (Some(2), Some(2)));
    assert_minutes(&s["complete"]["medianMinutes"], 75.0, "complete median");
    assert_minutes(&s["complete"]["p90Minutes"], 80.0, "complete p90");
    assert_eq!(s["ratings"], 2);
    assert_minutes(&s["averageStars"], 4.0, "average stars");
    assert_eq!(s["returnVisits"], json!([{ "satisfaction": "SATISFIED", "count": 1 }]));
    assert_eq!(s["escalated"], 1);
    assert_eq!(
        s["departments"],
        json!([{ "name": "龙头街道住建中心", "routed": 1, "acceptedInTime": 1, "completed": 1, "completedByDue": 1 }])
    );

    // 第1网格 holds A and B only; its grid worker reads it, not the community nor 第2网格.
    let grids = w.app.grids("demo-secretary", &w.chengnan).await;
    let grid = w.stats("demo-grid", json!({ "gridId": grids[0] })).await;
    assert_eq!(payload(&grid)["total"], 2, "{grid}");
    assert_eq!(payload(&grid)["escalated"], 0);
    assert_eq!(outcome(&w.stats("demo-grid", json!({ "gridId": grids[1] })).await), "FORBIDDEN");
    assert_eq!(outcome(&w.stats("demo-grid", json!({ "communityId": w.chengnan })).await), "FORBIDDEN");
    let resident = w.stats("demo-resident-1", json!({ "communityId": w.chengnan })).await;
    assert_eq!(outcome(&resident), "FORBIDDEN");
    assert!(resident["errors"][0]["message"].as_str().unwrap().contains("没有权限查看服务统计"), "{resident}");
    assert_eq!(outcome(&w.stats("demo-secretary-2", json!({ "communityId": w.chengnan })).await), "FORBIDDEN");

    // The street and the county count 城北社区's order too.
    let by_street = w.stats("demo-street", json!({ "streetId": street })).await;
    assert_eq!(payload(&by_street)["total"], 4, "{by_street}");
    assert_eq!(outcome(&w.stats("demo-secretary", json!({ "streetId": street })).await), "FORBIDDEN");
    let county = w.ok("demo-county", "{ me { positions { role unitId } } }", json!({})).await["positions"][0]["unitId"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_county = w.stats("demo-county", json!({ "countyId": county })).await;
    assert_eq!(payload(&by_county)["total"], 4, "{by_county}");
    assert_eq!(outcome(&w.stats("demo-street", json!({ "countyId": county })).await), "FORBIDDEN");

    // Exactly one scope, and a range of at most a year that does not end before it starts.
    let two = w
        .gql(
            "demo-county",
            STATS,
            json!({ "s": { "streetId": street, "countyId": county }, "f": "2026-01-01", "t": "2026-01-31" }),
        )
        .await;
    assert_eq!(outcome(&two), "BAD_USER_INPUT", "{two}");
    let backwards =
        w.gql("demo-county", STATS, json!({ "s": { "countyId": county }, "f": "2026-02-01", "t": "2026-01-31" })).await;
    assert_eq!(outcome(&backwards), "BAD_USER_INPUT", "{backwards}");
    // Another month has none of these orders.
    let other =
        w.gql("demo-county", STATS, json!({ "s": { "countyId": county }, "f": "2020-01-01", "t": "2020-01-31" })).await;
    assert_eq!(payload(&other)["total"], 0, "{other}");
}
