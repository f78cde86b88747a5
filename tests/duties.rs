// The yearly 四个一 end to end: suggestions and their answers, the households
// a secretary assigns to each member and the contacts logged with them, and
// the duties computed from posts, contacts, check-ins and suggestions — for
// one member and for the whole community.

use std::collections::{HashMap, HashSet};

use crate::common::*;
use chrono::{Datelike, Duration, FixedOffset, TimeZone, Utc};
use domain::Clock;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const SUGGESTION_FIELDS: &str = "id member { id } text answer answeredAt createdAt";
const DUTY_FIELDS: &str = "member { id } year postsClaimed householdsAssigned householdsContacted householdsTarget \
                           activitiesJoined serviceMinutes suggestionsMade complete missing";

fn submit_query() -> String {
    format!(
        "mutation($c: ID!, $t: String!) {{ submitSuggestion(communityId: $c, text: $t) {{ {SUGGESTION_FIELDS} }} }}"
    )
}
fn answer_query() -> String {
    format!(
        "mutation($id: ID!, $a: String!) {{ answerSuggestion(suggestionId: $id, answer: $a) {{ {SUGGESTION_FIELDS} }} }}"
    )
}
fn suggestions_query() -> String {
    format!("query($c: ID!) {{ suggestions(communityId: $c) {{ {SUGGESTION_FIELDS} }} }}")
}
fn duties_query() -> String {
    format!(
        "query($m: ID!, $y: Int!, $c: ID) {{ yearlyDuties(memberId: $m, year: $y, communityId: $c) {{ {DUTY_FIELDS} }} }}"
    )
}
fn overview_query() -> String {
    format!("query($c: ID!, $y: Int!) {{ dutiesOverview(communityId: $c, year: $y) {{ {DUTY_FIELDS} }} }}")
}
const HOUSEHOLDS: &str = "query($c: ID!) { households(communityId: $c) { id label building grid } }";
const ASSIGN: &str = "mutation($c: ID!, $m: ID!, $h: [ID!]!, $y: Int!) { assignHouseholds(communityId: $c, memberId: $m, householdIds: $h, year: $y) }";
const CONTACT: &str = "mutation($h: ID!, $note: String!, $at: DateTime) { logHouseholdContact(householdId: $h, note: $note, contactedAt: $at) { id householdId note contactedAt } }";
const SET_RULES: &str = "mutation($c: ID!, $r: DedicationRulesInput!) { setDedicationRules(communityId: $c, rules: $r) { householdsToKeep } }";
const CLAIM_POST: &str = "mutation($id: ID!) { claimPost(postId: $id) { id taken } }";
const LEAVE_POST: &str = "mutation($id: ID!) { leavePost(postId: $id) { id taken } }";
const POSTS: &str = "query($c: ID!) { posts(communityId: $c) { id title } }";
const CREATE_ACTIVITY: &str = "mutation($input: CreateActivityInput!) { createActivity(input: $input) { id } }";
const SIGN_UP: &str = "mutation($id: ID!) { signUpForActivity(activityId: $id) { checkedInAt } }";
const CODE: &str = "query($id: ID!) { activityCheckInCode(activityId: $id) { code } }";
const CHECK_IN: &str = "mutation($code: String!) { checkIn(code: $code) { checkedInAt serviceMinutes } }";
const REPORT_IN: &str = "mutation($input: ReportInInput!) { reportIn(input: $input) { id status } }";
const APPROVE_REPORT_IN: &str = "mutation($id: ID!) { approveReportIn(reportInId: $id) { id status } }";

const ALL_FOUR: [&str; 4] = ["CLAIM_POST", "KEEP_IN_TOUCH", "JOIN_ACTIVITY", "MAKE_SUGGESTION"];

area_world!();

impl World {
    /// The year (Asia/Shanghai) the app clock is in.
    fn year(&self) -> i32 {
        domain::points::Month::of(self.app.clock.now()).year
    }

    /// A new user who reports in to 城南社区 and is approved: a PARTY_MEMBER.
    async fn fresh_member(&self, openid: &str) -> String {
        let id = self.id_of(openid).await;
        let input = json!({ "communityId": self.chengnan, "workUnit": "雷山县财政局", "partyBranch": "城南社区党总支第二支部" });
        let report = self.gql(openid, REPORT_IN, json!({ "input": input })).await;
        let report_id = payload(&report)["id"].as_str().unwrap().to_owned();
        let approved = self.gql("demo-secretary", APPROVE_REPORT_IN, json!({ "id": report_id })).await;
        assert_eq!(payload(&approved)["status"], "APPROVED", "{approved}");
        id
    }

    async fn households(&self, community: &str, who: &str) -> Vec<Value> {
        let resp = self.gql(who, HOUSEHOLDS, json!({ "c": community })).await;
        payload(&resp).as_array().unwrap().clone()
    }

    /// The ids of 城南社区's households, in the order listed.
    async fn household_ids(&self) -> Vec<String> {
        self.households(&self.chengnan, "demo-secretary")
            .await
            .iter()
            .map(|h| h["id"].as_str().unwrap().to_owned())
            .collect()
    }

    async fn assign(&self, who: &str, member: &str, households: &[String], year: i32) -> Value {
        self.gql(who, ASSIGN, json!({ "c": self.chengnan, "m": member, "h": households, "y": year })).await
    }

    async fn contact(&self, who: &str, household: &str) -> Value {
        self.gql(who, CONTACT, json!({ "h": household, "note": "上门走访，了解就业情况" })).await
    }

    async fn suggest(&self, who: &str, text: &str) -> Value {
        self.gql(who, &submit_query(), json!({ "c": self.chengnan, "t": text })).await
    }

    async fn duties_as(&self, who: &str, member: &str, year: i32) -> Value {
        self.gql(who, &duties_query(), json!({ "m": member, "y": year })).await
    }

    /// This year's duties of `member` as the secretary sees them.
    async fn duties(&self, member: &str) -> Value {
        let resp = self.duties_as("demo-secretary", member, self.year()).await;
        payload(&resp).clone()
    }

    async fn publicity_post(&self) -> Value {
        let resp = self.gql("demo-secretary", POSTS, json!({ "c": self.chengnan })).await;
        payload(&resp).as_array().unwrap().iter().find(|p| p["title"] == "政策宣传员").unwrap()["id"].clone()
    }

    async fn claim_a_post(&self, who: &str) {
        let claimed = self.gql(who, CLAIM_POST, json!({ "id": self.publicity_post().await })).await;
        payload(&claimed);
    }

    /// A 90-minute activity starting in an hour, organised by demo-grid.
    async fn activity(&self, service_minutes: Option<i32>) -> String {
        let starts = self.app.clock.now() + Duration::hours(1);
        let input = json!({
            "communityId": self.chengnan,
            "title": "环境卫生大扫除",
            "kind": "ENVIRONMENT_CLEANUP",
            "place": "社区广场",
            "startsAt": starts.to_rfc3339(),
            "endsAt": (starts + Duration::minutes(90)).to_rfc3339(),
            "capacity": 50,
            "serviceMinutes": service_minutes,
        });
        let resp = self.gql("demo-grid", CREATE_ACTIVITY, json!({ "input": input })).await;
        payload(&resp)["id"].as_str().unwrap().to_owned()
    }

    async fn check_in(&self, who: &str, activity: &str) {
        let code = self.gql("demo-grid", CODE, json!({ "id": activity })).await;
        let code = payload(&code)["code"].as_str().unwrap().to_owned();
        let resp = self.gql(who, CHECK_IN, json!({ "code": code })).await;
        payload(&resp);
    }

    /// A member does all four duties this year.
    async fn do_all_four(&self, who: &str, household: &str) {
        let member = self.id_of(who).await;
        self.claim_a_post(who).await;
        payload(&self.assign("demo-secretary", &member, &[household.to_owned()], self.year()).await);
        payload(&self.contact(who, household).await);
        let activity = self.activity(None).await;
        self.check_in(who, &activity).await;
        payload(&self.suggest(who, "建议在小区增设快递柜").await);
    }
}

fn missing(duties: &Value) -> Vec<String> {
    duties["missing"].as_array().unwrap().iter().map(|m| m.as_str().unwrap().to_owned()).collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect()
}

// ---------------------------------------------------------------------------
// Suggestions
// ---------------------------------------------------------------------------

#[tokio::test]
async fn anyone_in_the_community_makes_a_suggestion_and_only_the_secretary_answers() {
    let w = World::new().await;
    let resp = w.suggest("demo-member-1", "建议在3栋门口安装路灯").await;
    let s = payload(&resp).clone();
    assert_eq!(s["text"], "建议在3栋门口安装路灯");
    assert_eq!(s["member"]["id"], w.id_of("demo-member-1").await.as_str());
    assert!(s["answer"].is_null());
    assert!(s["answeredAt"].is_null());
    assert!((time(&s["createdAt"]) - w.app.clock.now()).num_milliseconds().abs() < 1);

    for who in ["demo-resident-1", "demo-volunteer", "demo-grid"] {
        assert_eq!(outcome(&w.suggest(who, "希望多组织文艺活动").await), "OK", "{who}");
    }
    let outsider = w.suggest("demo-resident-3", "城北的建议").await;
    assert_eq!(outcome(&outsider), "NOT_FOUND", "{outsider}");
    let empty = w.suggest("demo-member-1", "  ").await;
    assert_eq!(outcome(&empty), "BAD_USER_INPUT", "{empty}");
    assert_eq!(error_field(&empty), "text");

    for who in ["demo-grid", "demo-member-1", "demo-member-2", "demo-resident-1"] {
        let resp = w.gql(who, &answer_query(), json!({ "id": s["id"], "a": "好的" })).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }
    let outsider = w.gql("demo-secretary-2", &answer_query(), json!({ "id": s["id"], "a": "好的" })).await;
    assert_eq!(outcome(&outsider), "NOT_FOUND", "{outsider}");

    w.app.clock.advance(Duration::hours(5));
    let answered =
        w.gql("demo-secretary", &answer_query(), json!({ "id": s["id"], "a": "已报街道，月底前安装" })).await;
    let a = payload(&answered);
    assert_eq!(a["id"], s["id"]);
    assert_eq!(a["answer"], "已报街道，月底前安装");
    assert!((time(&a["answeredAt"]) - w.app.clock.now()).num_milliseconds().abs() < 1);
    assert_eq!(a["text"], s["text"]);

    // The member sees the answer on their own suggestion.
    let mine = w.gql("demo-member-1", &suggestions_query(), json!({ "c": w.chengnan })).await;
    assert_eq!(payload(&mine)[0]["answer"], "已报街道，月底前安装");
}

#[tokio::test]
async fn staff_see_every_suggestion_and_everyone_else_only_their_own() {
    let w = World::new().await;
    let mut by_author = HashMap::new();
    for who in ["demo-member-1", "demo-member-2", "demo-resident-1"] {
        let resp = w.suggest(who, &format!("{who} 的建议")).await;
        by_author.insert(who, payload(&resp)["id"].as_str().unwrap().to_owned());
    }
    let all: HashSet<String> = by_author.values().cloned().collect();
    for staff in ["demo-secretary", "demo-grid"] {
        let resp = w.gql(staff, &suggestions_query(), json!({ "c": w.chengnan })).await;
        let seen: HashSet<String> =
            payload(&resp).as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(seen, all, "{staff}");
    }
    for (who, id) in &by_author {
        let resp = w.gql(who, &suggestions_query(), json!({ "c": w.chengnan })).await;
        let seen: Vec<&str> = payload(&resp).as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
        assert_eq!(seen, vec![id.as_str()], "{who}");
    }
    let none = w.gql("demo-member-3", &suggestions_query(), json!({ "c": w.chengnan })).await;
    assert_eq!(payload(&none), &json!([]));
    let outsider = w.gql("demo-secretary-2", &suggestions_query(), json!({ "c": w.chengnan })).await;
    assert_eq!(outcome(&outsider), "NOT_FOUND", "{outsider}");
}

// ---------------------------------------------------------------------------
// Households
// ---------------------------------------------------------------------------

#[tokio::test]
async fn staff_list_the_communitys_households_with_building_and_grid() {
    let w = World::new().await;
    let households = w.households(&w.chengnan, "demo-secretary").await;
    // 2 grids × 3 buildings × 2 households, and the two demo residents' own (3栋2单元502, 5栋1单元301).
    assert_eq!(households.len(), 14, "{households:?}");
    let labels: HashSet<&str> = households.iter().map(|h| h["label"].as_str().unwrap()).collect();
    assert_eq!(labels.len(), 14, "labels are distinct");
    let grids: HashSet<&str> = households.iter().map(|h| h["grid"].as_str().unwrap()).collect();
    assert_eq!(grids, HashSet::from(["第1网格", "第2网格"]));
    assert!(households.iter().all(|h| !h["building"].as_str().unwrap().is_empty()));
    assert_eq!(w.households(&w.chengnan, "demo-grid").await, households);

    for who in ["demo-member-1", "demo-volunteer", "demo-resident-1"] {
        let resp = w.gql(who, HOUSEHOLDS, json!({ "c": w.chengnan })).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }
    let outsider = w.gql("demo-secretary-2", HOUSEHOLDS, json!({ "c": w.chengnan })).await;
    assert_eq!(outcome(&outsider), "NOT_FOUND", "{outsider}");
}

#[tokio::test]
async fn the_secretary_assigns_households_for_a_year_and_repeats_are_ignored() {
    let w = World::new().await;
    let h = w.household_ids().await;
    let member = w.id_of("demo-member-1").await;
    let year = w.year();

    let first = w.assign("demo-secretary", &member, &[h[0].clone(), h[1].clone()], year).await;
    let mut expected = vec![h[0].clone(), h[1].clone()];
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(sorted(strings(payload(&first))), sorted(expected.clone()));

    let again = w.assign("demo-secretary", &member, &[h[1].clone(), h[2].clone(), h[2].clone()], year).await;
    expected.push(h[2].clone());
    assert_eq!(sorted(strings(payload(&again))), sorted(expected.clone()), "repeats are ignored");

    let next_year = w.assign("demo-secretary", &member, &[h[5].clone()], year + 1).await;
    assert_eq!(strings(payload(&next_year)), vec![h[5].clone()], "each year has its own households");

    let duties = w.duties(&member).await;
    assert_eq!(duties["householdsAssigned"], 3);
    assert_eq!(duties["householdsContacted"], 0);

    for who in ["demo-grid", "demo-member-1", "demo-member-2", "demo-resident-1"] {
        let resp = w.assign(who, &member, &[h[3].clone()], year).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }
    assert_eq!(w.duties(&member).await["householdsAssigned"], 3);
}

#[tokio::test]
async fn households_go_only_to_the_communitys_party_members_and_only_from_the_community() {
    let w = World::new().await;
    let h = w.household_ids().await;
    let year = w.year();
    for who in ["demo-resident-1", "demo-volunteer", "demo-grid", "demo-resident-3"] {
        let id = w.id_of(who).await;
        let resp = w.assign("demo-secretary", &id, &[h[0].clone()], year).await;
        assert_eq!(outcome(&resp), "BAD_USER_INPUT", "{who}: {resp}");
        assert_eq!(error_field(&resp), "memberId", "{who}");
    }

    let chengbei = w.app.community_id(CHENGBEI).await;
    let theirs = w.households(&chengbei, "demo-secretary-2").await;
    assert!(!theirs.is_empty());
    let member = w.id_of("demo-member-1").await;
    let resp = w.assign("demo-secretary", &member, &[theirs[0]["id"].as_str().unwrap().to_owned()], year).await;
    assert_eq!(outcome(&resp), "BAD_USER_INPUT", "{resp}");
    let mixed =
        w.assign("demo-secretary", &member, &[h[0].clone(), theirs[1]["id"].as_str().unwrap().to_owned()], year).await;
    assert_eq!(outcome(&mixed), "BAD_USER_INPUT", "{mixed}");
    assert_eq!(w.duties(&member).await["householdsAssigned"], 0, "nothing was assigned");
}

#[tokio::test]
async fn only_the_assigned_member_logs_a_contact_with_a_household() {
    let w = World::new().await;
    let h = w.household_ids().await;
    let member = w.id_of("demo-member-1").await;
    payload(&w.assign("demo-secretary", &member, &[h[0].clone()], w.year()).await);

    let resp = w.contact("demo-member-1", &h[0]).await;
    let c = payload(&resp);
    assert_eq!(c["householdId"], h[0].as_str());
    assert_eq!(c["note"], "上门走访，了解就业情况");
    assert!((time(&c["contactedAt"]) - w.app.clock.now()).num_milliseconds().abs() < 1);

    // A contact earlier today can be logged afterwards.
    let earlier = w.app.clock.now() - Duration::minutes(30);
    let resp =
        w.gql("demo-member-1", CONTACT, json!({ "h": h[0], "note": "电话回访", "at": earlier.to_rfc3339() })).await;
    assert!((time(&payload(&resp)["contactedAt"]) - earlier).num_milliseconds().abs() < 1);

    for who in ["demo-member-2", "demo-secretary", "demo-grid", "demo-volunteer"] {
        let resp = w.contact(who, &h[0]).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }
    let unassigned = w.contact("demo-member-1", &h[1]).await;
    assert_eq!(outcome(&unassigned), "FORBIDDEN", "{unassigned}");
    let outsider = w.contact("demo-resident-3", &h[0]).await;
    assert_eq!(outcome(&outsider), "NOT_FOUND", "{outsider}");

    let duties = w.duties(&member).await;
    assert_eq!(duties["householdsContacted"], 1, "two contacts with one household count once");
    assert!(!missing(&duties).contains(&"KEEP_IN_TOUCH".to_owned()));
}

// ---------------------------------------------------------------------------
// The yearly 四个一
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_member_starts_the_year_with_all_four_duties_missing() {
    let w = World::new().await;
    let member = w.id_of("demo-member-1").await;
    let resp = w.duties_as("demo-member-1", &member, w.year()).await;
    let d = payload(&resp);
    assert_eq!(d["member"]["id"], member.as_str());
    assert_eq!(d["year"], w.year());
    for field in [
        "postsClaimed",
        "householdsAssigned",
        "householdsContacted",
        "activitiesJoined",
        "serviceMinutes",
        "suggestionsMade",
    ] {
        assert_eq!(d[field], 0, "{field}");
    }
    assert_eq!(d["householdsTarget"], 1, "one household by default");
    assert_eq!(d["complete"], false);
    assert_eq!(missing(d), ALL_FOUR);
}

#[tokio::test]
async fn a_member_doing_all_four_completes_the_year_one_duty_at_a_time() {
    let w = World::new().await;
    let member = w.id_of("demo-member-1").await;
    let h = w.household_ids().await;

    w.claim_a_post("demo-member-1").await;
    let d = w.duties(&member).await;
    assert_eq!(d["postsClaimed"], 1);
    assert_eq!(missing(&d), ["KEEP_IN_TOUCH", "JOIN_ACTIVITY", "MAKE_SUGGESTION"]);

    // Assigned is not enough: the member must be in touch.
    payload(&w.assign("demo-secretary", &member, &[h[4].clone()], w.year()).await);
    assert!(missing(&w.duties(&member).await).contains(&"KEEP_IN_TOUCH".to_owned()));
    payload(&w.contact("demo-member-1", &h[4]).await);
    let d = w.duties(&member).await;
    assert_eq!((d["householdsAssigned"].clone(), d["householdsContacted"].clone()), (json!(1), json!(1)));
    assert_eq!(missing(&d), ["JOIN_ACTIVITY", "MAKE_SUGGESTION"]);

    // Signing up is not joining: checking in is.
    let activity = w.activity(Some(120)).await;
    payload(&w.gql("demo-member-1", SIGN_UP, json!({ "id": activity })).await);
    let d = w.duties(&member).await;
    assert_eq!(d["activitiesJoined"], 0);
    assert!(missing(&d).contains(&"JOIN_ACTIVITY".to_owned()));
    w.check_in("demo-member-1", &activity).await;
    let d = w.duties(&member).await;
    assert_eq!(d["activitiesJoined"], 1);
    assert_eq!(d["serviceMinutes"], 120);
    assert_eq!(missing(&d), ["MAKE_SUGGESTION"]);
    assert_eq!(d["complete"], false);

    payload(&w.suggest("demo-member-1", "建议周末开放社区图书室").await);
    let resp = w.duties_as("demo-member-1", &member, w.year()).await;
    let d = payload(&resp);
    assert_eq!(d["suggestionsMade"], 1);
    assert_eq!(d["complete"], true);
    assert_eq!(d["missing"], json!([]));

    // More of the same adds up.
    let second = w.activity(None).await;
    w.check_in("demo-member-1", &second).await;
    let d = w.duties(&member).await;
    assert_eq!(d["activitiesJoined"], 2);
    assert_eq!(d["serviceMinutes"], 120 + 90);
    assert_eq!(d["complete"], true);
}

#[tokio::test]
async fn the_community_can_ask_each_member_to_keep_in_touch_with_more_households() {
    let w = World::new().await;
    let member = w.id_of("demo-member-1").await;
    let h = w.household_ids().await;
    w.do_all_four("demo-member-1", &h[0]).await;
    assert_eq!(w.duties(&member).await["complete"], true);

    let set = w.gql("demo-secretary", SET_RULES, json!({ "c": w.chengnan, "r": { "householdsToKeep": 5 } })).await;
    assert_eq!(payload(&set)["householdsToKeep"], 5);
    let d = w.duties(&member).await;
    assert_eq!(d["householdsTarget"], 5);
    assert_eq!(d["householdsContacted"], 1);
    assert_eq!(d["complete"], false);
    assert_eq!(missing(&d), ["KEEP_IN_TOUCH"]);

    payload(&w.assign("demo-secretary", &member, &h[1..5], w.year()).await);
    for household in &h[1..4] {
        payload(&w.contact("demo-member-1", household).await);
    }
    payload(&w.contact("demo-member-1", &h[1]).await);
    let d = w.duties(&member).await;
    assert_eq!(d["householdsAssigned"], 5);
    assert_eq!(d["householdsContacted"], 4, "the same household twice counts once");
    assert_eq!(missing(&d), ["KEEP_IN_TOUCH"]);

    payload(&w.contact("demo-member-1", &h[4]).await);
    let d = w.duties(&member).await;
    assert_eq!(d["householdsContacted"], 5);
    assert_eq!(d["complete"], true);
    assert_eq!(d["missing"], json!([]));
}

#[tokio::test]
async fn a_member_and_the_staff_see_the_members_duties_and_nobody_else_does() {
    let w = World::new().await;
    let member = w.id_of("demo-member-1").await;
    let year = w.year();
    for who in ["demo-member-1", "demo-secretary", "demo-grid"] {
        let resp = w.duties_as(who, &member, year).await;
        assert_eq!(payload(&resp)["member"]["id"], member.as_str(), "{who}");
    }
    for who in ["demo-member-2", "demo-member-3", "demo-volunteer", "demo-resident-1"] {
        let resp = w.duties_as(who, &member, year).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }
    let outsider = w.duties_as("demo-secretary-2", &member, year).await;
    assert_eq!(outcome(&outsider), "NOT_FOUND", "{outsider}");

    // The community defaults to where the member reported in; naming it gives the same.
    let named = w.gql("demo-member-1", &duties_query(), json!({ "m": member, "y": year, "c": w.chengnan })).await;
    let default = w.duties_as("demo-member-1", &member, year).await;
    assert_eq!(payload(&named), payload(&default));
}

#[tokio::test]
async fn the_overview_lists_every_reported_in_member_most_behind_first() {
    let w = World::new().await;
    let h = w.household_ids().await;
    let year = w.year();
    let fresh = w.fresh_member("duties-newcomer").await;

    // member-1 does all four; member-2 two of them; the newcomer one; member-3 none.
    w.do_all_four("demo-member-1", &h[0]).await;
    w.claim_a_post("demo-member-2").await;
    payload(&w.suggest("demo-member-2", "建议增加垃圾分类宣传").await);
    payload(&w.suggest("duties-newcomer", "建议增设老年食堂").await);
    // Residents and volunteers make suggestions too, but they are not in the overview.
    payload(&w.suggest("demo-volunteer", "志愿者的建议").await);

    let expected: HashMap<String, usize> = HashMap::from([
        (w.id_of("demo-member-3").await, 4),
        (fresh.clone(), 3),
        (w.id_of("demo-member-2").await, 2),
        (w.id_of("demo-member-1").await, 0),
    ]);
    for staff in ["demo-secretary", "demo-grid"] {
        let resp = w.gql(staff, &overview_query(), json!({ "c": w.chengnan, "y": year })).await;
        let list = payload(&resp).as_array().unwrap().clone();
        let got: HashMap<String, usize> =
            list.iter().map(|d| (d["member"]["id"].as_str().unwrap().to_owned(), missing(d).len())).collect();
        assert_eq!(got, expected, "{staff}: {resp}");
        let order: Vec<usize> = list.iter().map(|d| missing(d).len()).collect();
        assert_eq!(order, vec![4, 3, 2, 0], "most missing first: {resp}");
        assert_eq!(list[3]["complete"], true);
        assert!(list.iter().all(|d| d["year"] == year));
    }

    for who in ["demo-member-1", "demo-volunteer", "demo-resident-1"] {
        let resp = w.gql(who, &overview_query(), json!({ "c": w.chengnan, "y": year })).await;
        assert_eq!(outcome(&resp), "FORBIDDEN", "{who}: {resp}");
    }
}

#[tokio::test]
async fn the_duties_are_counted_per_year() {
    let w = World::new().await;
    let member = w.id_of("demo-member-1").await;
    let h = w.household_ids().await;
    let this_year = w.year();
    w.do_all_four("demo-member-1", &h[0]).await;
    assert_eq!(w.duties(&member).await["complete"], true);
    // The member gives the post up before the year is out.
    payload(&w.gql("demo-member-1", LEAVE_POST, json!({ "id": w.publicity_post().await })).await);
    assert_eq!(w.duties(&member).await["complete"], true, "a post claimed this year counts even after leaving it");

    // Move the clock into next year (Asia/Shanghai), a week after New Year.
    let shanghai = FixedOffset::east_opt(8 * 3600).unwrap();
    let local = w.app.clock.now().with_timezone(&shanghai);
    let target = shanghai.with_ymd_and_hms(local.year() + 1, 1, 8, 10, 0, 0).single().unwrap().with_timezone(&Utc);
    w.app.clock.advance(target - w.app.clock.now());
    assert_eq!(w.year(), this_year + 1);

    let next = w.duties(&member).await;
    assert_eq!(next["year"], this_year + 1);
    assert_eq!(missing(&next), ALL_FOUR, "last year's work does not count this year: {next}");
    assert_eq!(next["householdsAssigned"], 0, "households are assigned per year");
    let last = w.duties_as("demo-secretary", &member, this_year).await;
    assert_eq!(payload(&last)["complete"], true, "last year stays complete");
}
