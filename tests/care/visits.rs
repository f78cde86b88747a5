// Home visits (走访): who logs them, their input rules, and the overdue list
// as the clock moves.

use crate::common::*;
use chrono::Duration;
use domain::Clock;
use serde_json::{Value, json};

const SAVE: &str = "mutation($input: CareProfileInput!) { saveCareProfile(input: $input) { id visitIntervalDays } }";
const LOG_VISIT: &str = "mutation($e: ID!, $at: DateTime!, $n: String!, $f: Boolean!, $fu: String, $k: String) { \
                         logVisit(elderId: $e, visitedAt: $at, notes: $n, followUpNeeded: $f, followUp: $fu, \
                         idempotencyKey: $k) { id visitor { id } notes followUpNeeded followUp careRequestId } }";
const VISITS: &str =
    "query($e: ID!) { visits(elderId: $e) { totalCount edges { node { id notes visitor { displayName } } } } }";
const OVERDUE: &str = "query($c: ID!) { overdueVisits(communityId: $c) { elder { id displayName } gridWorker { id } \
                       visitIntervalDays lastVisitAt dueAt daysOverdue } }";

area_world!(secretary: Session, grid: Session, lead: Session, member: Session, elder: Session, neighbour: Session);

impl World {
    async fn new() -> Self {
        let base = crate::common::World::new().await;
        let app = &base.app;
        let secretary = app.login("demo-secretary").await;
        let grid = app.login("demo-grid").await;
        let lead = app.login("demo-resident-1").await;
        let member = app.login("demo-member-1").await;
        let elder = app.login("demo-elder").await;
        let neighbour = app.login("demo-resident-2").await;
        let w = Self { base, secretary, grid, lead, member, elder, neighbour };
        let e = w.elder.user_id.clone();
        w.profile(&e, true, None).await;
        w
    }

    async fn profile(&self, elder: &str, alone: bool, interval: Option<i32>) {
        let input = json!({ "communityId": self.chengnan, "elderId": elder, "needs": ["MEALS"], "livesAlone": alone,
                            "visitIntervalDays": interval, "gridWorkerId": self.grid.user_id,
                            "householdLeadId": self.lead.user_id });
        let saved = self.app.gql(Some(&self.secretary.access_token), SAVE, json!({ "input": input })).await;
        data(&saved, "saveCareProfile");
    }

    async fn log(&self, who: &Session, vars: Value) -> Value {
        let mut all = json!({ "e": self.elder.user_id, "at": self.app.clock.now().to_rfc3339(), "n": "精神好，屋里整洁",
                              "f": false, "fu": null, "k": null });
        for (k, v) in vars.as_object().unwrap() {
            all[k] = v.clone();
        }
        self.app.gql(Some(&who.access_token), LOG_VISIT, all).await
    }

    async fn overdue(&self, who: &Session) -> Value {
        self.app.gql(Some(&who.access_token), OVERDUE, json!({ "c": self.chengnan })).await
    }
}

#[tokio::test]
async fn visits_are_logged_by_the_people_assigned_or_the_staff() {
    let w = World::new().await;
    let by_lead = w.log(&w.lead, json!({ "f": true, "fu": "水龙头漏水，需要维修" })).await;
    let by_lead = data(&by_lead, "logVisit");
    assert_eq!(by_lead["visitor"]["id"], w.lead.user_id.as_str());
    assert_eq!(by_lead["followUpNeeded"], true);
    assert_eq!(by_lead["followUp"], "水龙头漏水，需要维修");
    // The follow-up became a care request for the elder, waiting for the secretary to dispatch it.
    let request = by_lead["careRequestId"].as_str().expect("a follow-up files a care request").to_owned();
    let q =
        "query($id: ID!) { careRequest(id: $id) { kind urgent filedAs elder { id } order { status description } } }";
    let seen = w.app.gql(Some(&w.secretary.access_token), q, json!({ "id": request })).await;
    let seen = data(&seen, "careRequest");
    assert_eq!(seen["filedAs"], "HOUSEHOLD_LEAD");
    assert_eq!(seen["elder"]["id"], w.elder.user_id.as_str());
    assert_eq!(seen["order"]["status"], "SUBMITTED");
    assert_eq!(seen["order"]["description"], "水龙头漏水，需要维修");
    assert_eq!(seen["urgent"], false);
    let plain = w.log(&w.grid, json!({})).await;
    assert!(data(&plain, "logVisit")["careRequestId"].is_null(), "no follow-up, no request");
    data(&w.log(&w.secretary, json!({})).await, "logVisit");

    // Neither a party member nor an unassigned resident.
    assert_eq!(error_code(&w.log(&w.member, json!({})).await), "NOT_FOUND");
    assert_eq!(error_code(&w.log(&w.neighbour, json!({})).await), "NOT_FOUND");
    // The elder sees the visits but does not log them.
    assert_eq!(error_code(&w.log(&w.elder, json!({})).await), "FORBIDDEN");

    let later = (w.app.clock.now() + Duration::hours(1)).to_rfc3339();
    for (vars, field) in [
        (json!({ "at": later }), "visitedAt"),
        (json!({ "n": "  " }), "notes"),
        (json!({ "f": true, "fu": null }), "followUp"),
        (json!({ "f": false, "fu": "需要复查" }), "followUp"),
        (json!({ "f": true, "fu": "修".repeat(501) }), "followUp"),
    ] {
        let r = w.log(&w.grid, vars.clone()).await;
        assert_eq!(error_code(&r), "BAD_USER_INPUT", "{vars}: {r}");
        assert_eq!(r["errors"][0]["extensions"]["field"], field, "{vars}");
    }

    // A retried log with its key is made once; the same key with other content is refused.
    let first = w.log(&w.grid, json!({ "k": "visit-retry-0001" })).await;
    let again = w.log(&w.grid, json!({ "k": "visit-retry-0001" })).await;
    assert_eq!(data(&first, "logVisit")["id"], data(&again, "logVisit")["id"]);
    assert_eq!(error_code(&w.log(&w.grid, json!({ "k": "visit-retry-0001", "n": "另一次" })).await), "CONFLICT");

    let listed = w.app.gql(Some(&w.elder.access_token), VISITS, json!({ "e": w.elder.user_id })).await;
    assert_eq!(data(&listed, "visits")["totalCount"], 4);
    let listed = w.app.gql(Some(&w.member.access_token), VISITS, json!({ "e": w.elder.user_id })).await;
    assert_eq!(error_code(&listed), "NOT_FOUND");
}

#[tokio::test]
async fn overdue_visits_follow_each_interval_as_the_clock_moves() {
    let w = World::new().await;
    let neighbour = w.neighbour.user_id.clone();
    w.profile(&neighbour, false, Some(2)).await;
    assert_eq!(data(&w.overdue(&w.grid).await, "overdueVisits"), &json!([]));

    // Just before the interval runs out nobody is overdue; just after, the elder is.
    w.app.clock.advance(Duration::days(2) - Duration::minutes(1));
    assert_eq!(data(&w.overdue(&w.grid).await, "overdueVisits"), &json!([]));
    w.app.clock.advance(Duration::minutes(2));
    let list = w.overdue(&w.secretary).await;
    let list = data(&list, "overdueVisits").as_array().unwrap().clone();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["elder"]["id"], neighbour.as_str());
    assert!(list[0]["lastVisitAt"].is_null());
    assert_eq!(list[0]["visitIntervalDays"], 2);

    // Ten days on: both, most overdue first, for the secretary; the grid
    // worker of 第1网格 sees only her grid's elder (杨大哥 lives in 5栋, 第2网格).
    w.app.clock.advance(Duration::days(8));
    let own = w.overdue(&w.grid).await;
    let own = data(&own, "overdueVisits").as_array().unwrap().clone();
    assert_eq!(own.len(), 1, "{own:?}");
    assert_eq!(own[0]["elder"]["id"], w.elder.user_id.as_str());
    let list = w.overdue(&w.secretary).await;
    let list = data(&list, "overdueVisits").as_array().unwrap().clone();
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(list[0]["elder"]["id"], neighbour.as_str());
    assert_eq!(list[1]["elder"]["id"], w.elder.user_id.as_str());
    assert_eq!(list[1]["visitIntervalDays"], 7);
    let days0 = list[0]["daysOverdue"].as_i64().unwrap();
    let days1 = list[1]["daysOverdue"].as_i64().unwrap();
    assert!((7..=9).contains(&days0), "{days0}");
    assert!((2..=4).contains(&days1), "{days1}");
    assert_eq!(days0 - days1, 5);

    // A visit an hour ago takes the elder off the list until her interval passes again.
    let hour_ago = (w.app.clock.now() - Duration::hours(1)).to_rfc3339();
    data(&w.log(&w.grid, json!({ "at": hour_ago })).await, "logVisit");
    let list = w.overdue(&w.secretary).await;
    assert_eq!(data(&list, "overdueVisits").as_array().unwrap().len(), 1);
    w.app.clock.advance(Duration::days(7));
    let list = w.overdue(&w.secretary).await;
    let list = data(&list, "overdueVisits").as_array().unwrap().clone();
    assert_eq!(list.len(), 2);
    let elder = list.iter().find(|o| o["elder"]["id"] == w.elder.user_id.as_str()).unwrap();
    assert!(elder["lastVisitAt"].is_string());
    // Due an hour ago: day 0, or day 1 when Shanghai midnight fell within that hour.
    assert!((0..=1).contains(&elder["daysOverdue"].as_i64().unwrap()));

    // Only the staff see the list.
    for who in [&w.lead, &w.member, &w.elder] {
        assert_eq!(error_code(&w.overdue(who).await), "FORBIDDEN");
    }
    let stranger = w.app.login("demo-resident-3").await;
    assert_eq!(error_code(&w.overdue(&stranger).await), "NOT_FOUND");
}
