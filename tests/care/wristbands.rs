// Wristbands end to end: staff bind a device to a resident; the device
// platform posts signed alarms to `POST /webhooks/wristband`; an alarm opens
// an urgent care request for the wearer, tells the people looking after them,
// joins an open request when it repeats, and goes to the secretary when
// nobody claims it in five minutes. Signatures are checked: good, bad,
// missing, stale, replayed.

use super::assert_about;
use crate::common::*;
use chrono::{DateTime, Duration, Utc};
use domain::Clock;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

const SECRET: &str = "test-wristband-secret";

const REGISTER: &str = "mutation($r: ID!, $d: String!) { registerWristband(residentId: $r, deviceId: $d) { deviceId \
     resident { id } registeredBy { id } createdAt } }";
const UNREGISTER: &str = "mutation($d: String!) { unregisterWristband(deviceId: $d) }";
const CARE: &str = "query($id: ID!) { careRequest(id: $id) { id kind urgent filedAs deviceId alarmCount lastAlarmAt \
     escalatedAt alarmLocation elder { id } order { id status title description claimDueAt placedBy { id } } } }";
const SEEN_BY_HELPER: &str = "query($id: ID!) { careRequest(id: $id) { id alarmLocation order { description \
     address history { note } } } }";
const POOL: &str = "query($c: ID!) { careRequests(communityId: $c, openOnly: true) { id alarmLocation \
     order { description history { note } } } }";
const ACCESS_LOG: &str = "query($c: ID!, $s: ID) { sensitiveAccessLog(communityId: $c, subjectId: $s) { \
     edges { node { accessor { id } subject { id } field purpose careRequestId } } } }";
const LIST: &str = "query($c: ID!) { careRequests(communityId: $c, openOnly: false) { id elder { id } alarmCount } }";
const MINE: &str = "{ myCareRequests { id kind } }";
const CLAIM: &str = "mutation($id: ID!) { claimOrder(orderId: $id) { id status } }";
const COMPLETE: &str = "mutation($id: ID!) { completeOrder(orderId: $id, note: \"已上门查看，老人无大碍\", photoUrls: [\"https://img.example.com/visit.jpg\"]) { id status } }";
const APPROVE: &str = "mutation($id: ID!) { approveOrder(orderId: $id) { id status } }";
const CANCEL: &str = "mutation($id: ID!) { cancelOrder(orderId: $id, reason: \"误报\") { id status } }";
const SAVE_PROFILE: &str = "mutation($input: CareProfileInput!) { saveCareProfile(input: $input) { id } }";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// The demo street with the limits out of the way and wristbands on.
fn with_wristbands(config: &mut api::Config) {
    roomy(config);
    config.care.wristband_secret = Some(SECRET.to_owned().into());
}

/// What is wrong, the headers sent, the body sent.
type Case<'a> = (&'a str, Vec<(&'a str, String)>, Vec<u8>);

/// `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`.
fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn alarm_body(device: &str, kind: &str, at: DateTime<Utc>) -> Vec<u8> {
    located_alarm_body(device, kind, at, json!({ "lat": 26.38, "lng": 108.08, "address": "3栋" }))
}

/// An alarm reporting `location` (`null` for none).
fn located_alarm_body(device: &str, kind: &str, at: DateTime<Utc>, location: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({ "deviceId": device, "kind": kind, "at": at.to_rfc3339(), "location": location }))
        .unwrap()
}

/// An alarm from `device` at `at` as the platform sends it: `(timestamp, body, signature)`.
fn signed_alarm(device: &str, kind: &str, at: DateTime<Utc>) -> (String, Vec<u8>, String) {
    let ts = at.timestamp().to_string();
    let body = alarm_body(device, kind, at);
    let signature = sign(SECRET, &ts, &body);
    (ts, body, signature)
}

fn ok(resp: &Value) -> &Value {
    assert!(resp.get("errors").is_none(), "unexpected errors: {resp}");
    resp["data"].as_object().and_then(|o| o.values().next()).unwrap_or_else(|| panic!("no data: {resp}"))
}

fn code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or_else(|| panic!("no error code in {body}")).to_owned()
}

area_world!(config = with_wristbands);

impl World {
    /// The demo street with `device` bound to 吴奶奶.
    async fn wearing(device: &str) -> Self {
        let w = Self::new().await;
        w.bind(device).await;
        w
    }

    async fn register(&self, who: &str, resident: &str, device: &str) -> Value {
        let resident = self.id_of(resident).await;
        self.gql(who, REGISTER, json!({ "r": resident, "d": device })).await
    }

    /// Binds `device` to 吴奶奶 as the secretary.
    async fn bind(&self, device: &str) {
        let resp = self.register("demo-secretary", "demo-elder", device).await;
        assert_eq!(ok(&resp)["deviceId"], device);
    }

    /// Posts `body` with exactly these headers: status and JSON body.
    async fn post(&self, headers: &[(&str, &str)], body: Vec<u8>) -> (u16, Value) {
        let mut request = self
            .app
            .client
            .post(format!("{}/webhooks/wristband", self.app.address))
            .header("Content-Type", "application/json")
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {status} {text}")))
    }

    /// Posts `body` signed with the shared secret and `timestamp`.
    async fn post_signed_at(&self, timestamp: i64, body: Vec<u8>) -> (u16, Value) {
        let ts = timestamp.to_string();
        let signature = sign(SECRET, &ts, &body);
        self.post(&[("X-Linli-Timestamp", &ts), ("X-Linli-Signature", &signature)], body).await
    }

    /// A correctly signed alarm from `device`, sent now (by the app's clock).
    async fn alarm(&self, device: &str, kind: &str) -> (u16, Value) {
        let now = self.app.clock.now();
        self.post_signed_at(now.timestamp(), alarm_body(device, kind, now)).await
    }

    /// An alarm that must be accepted: `(requestId, joined)`.
    async fn accepted(&self, device: &str, kind: &str) -> (String, bool) {
        let (status, body) = self.alarm(device, kind).await;
        assert_eq!(status, 202, "{body}");
        (
            body["requestId"].as_str().unwrap_or_else(|| panic!("no requestId: {body}")).to_owned(),
            body["joined"].as_bool().unwrap(),
        )
    }

    /// An alarm that must not join `earlier`'s request (`why`) but open a new
    /// one, with this one alarm and open to claim: its id.
    async fn opens_a_new_request(&self, device: &str, kind: &str, earlier: &str, why: &str) -> String {
        let (new, joined) = self.accepted(device, kind).await;
        assert!(!joined, "{why}");
        assert_ne!(new, earlier);
        let seen = self.care(&new).await;
        assert_eq!(seen["alarmCount"], 1);
        assert_eq!(seen["order"]["status"], "OPEN");
        new
    }

    async fn care(&self, id: &str) -> Value {
        let resp = self.gql("demo-secretary", CARE, json!({ "id": id })).await;
        ok(&resp).clone()
    }

    async fn request_count(&self) -> usize {
        let resp = self.gql("demo-secretary", LIST, json!({ "c": self.chengnan })).await;
        ok(&resp).as_array().unwrap().len()
    }

    async fn told(&self, who: &str, kind: &str, id: &str) -> bool {
        self.notices(who).await.iter().any(|(k, s)| k == kind && s == id)
    }
}

// ---------------------------------------------------------------------------
// Binding devices
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_secretary_or_a_grid_worker_binds_a_wristband_to_a_resident_of_their_community() {
    let w = World::new().await;
    let elder = w.id_of("demo-elder").await;
    let secretary = w.id_of("demo-secretary").await;

    let bound = w.register("demo-secretary", "demo-elder", "WB-0001").await;
    let bound = ok(&bound);
    assert_eq!(bound["deviceId"], "WB-0001");
    assert_eq!(bound["resident"]["id"], elder.as_str());
    assert_eq!(bound["registeredBy"]["id"], secretary.as_str());

    let by_grid = w.register("demo-grid", "demo-resident-1", "WB-0002").await;
    assert_eq!(ok(&by_grid)["resident"]["id"], w.id_of("demo-resident-1").await.as_str());

    // Binding the same pair again is harmless; the device for someone else is a conflict.
    let again = w.register("demo-grid", "demo-elder", "WB-0001").await;
    assert_eq!(ok(&again)["resident"]["id"], elder.as_str());
    let taken = w.register("demo-secretary", "demo-resident-2", "WB-0001").await;
    assert_eq!(error_code(&taken), "CONFLICT", "{taken}");

    // Only staff of the resident's community bind devices.
    for who in ["demo-member-1", "demo-volunteer", "demo-resident-1", "demo-elder", "demo-secretary-2"] {
        let refused = w.register(who, "demo-elder", "WB-0003").await;
        let c = error_code(&refused);
        assert!(c == "FORBIDDEN" || c == "BAD_USER_INPUT", "{who}: {refused}");
    }
    // A resident of another community, or someone who is no resident, is nobody to bind a device to.
    for resident in ["demo-resident-3", "demo-member-1"] {
        let refused = w.register("demo-secretary", resident, "WB-0004").await;
        assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{resident}: {refused}");
    }
    for device in ["ab", "has space", "设备一号", &"x".repeat(65)] {
        let refused = w.register("demo-secretary", "demo-elder", device).await;
        assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{device}: {refused}");
        assert_eq!(refused["errors"][0]["extensions"]["field"], "deviceId");
    }

    // The refused devices are unknown to the webhook; the bound one raises alarms.
    for device in ["WB-0003", "WB-0004"] {
        let (status, body) = w.alarm(device, "SOS").await;
        assert_eq!(status, 404, "{device}: {body}");
    }
    let (status, body) = w.alarm("WB-0001", "SOS").await;
    assert_eq!(status, 202, "{body}");
}

#[tokio::test]
async fn staff_unbind_a_wristband_and_its_alarms_are_then_unknown() {
    let w = World::wearing("WB-0001").await;

    for who in ["demo-member-1", "demo-elder"] {
        let refused = w.gql(who, UNREGISTER, json!({ "d": "WB-0001" })).await;
        assert_eq!(error_code(&refused), "FORBIDDEN", "{who}: {refused}");
    }
    // To staff of another community, it is not there at all.
    let outsider = w.gql("demo-secretary-2", UNREGISTER, json!({ "d": "WB-0001" })).await;
    assert_eq!(error_code(&outsider), "NOT_FOUND", "{outsider}");
    let unknown = w.gql("demo-grid", UNREGISTER, json!({ "d": "WB-9999" })).await;
    assert_eq!(error_code(&unknown), "NOT_FOUND", "{unknown}");

    let done = w.gql("demo-grid", UNREGISTER, json!({ "d": "WB-0001" })).await;
    assert_eq!(ok(&done), &json!(true));
    let (status, body) = w.alarm("WB-0001", "FALL").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(code(&body), "NOT_FOUND");
    let again = w.gql("demo-grid", UNREGISTER, json!({ "d": "WB-0001" })).await;
    assert_eq!(error_code(&again), "NOT_FOUND", "{again}");

    // Free to bind to someone else now.
    let rebound = w.register("demo-grid", "demo-resident-2", "WB-0001").await;
    assert_eq!(ok(&rebound)["resident"]["id"], w.id_of("demo-resident-2").await.as_str());
}

// ---------------------------------------------------------------------------
// Alarms
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_signed_alarm_opens_an_urgent_alarm_request_for_the_wearer() {
    let w = World::new().await;
    let elder = w.id_of("demo-elder").await;
    w.bind("WB-0001").await;
    let now = w.app.clock.now();

    let (status, body) = w.alarm("WB-0001", "FALL").await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["joined"], false);
    let id = body["requestId"].as_str().unwrap().to_owned();

    let seen = w.care(&id).await;
    assert_eq!(seen["id"], id.as_str());
    assert_eq!(seen["kind"], "ALARM");
    assert_eq!(seen["filedAs"], "WRISTBAND");
    assert_eq!(seen["urgent"], true);
    assert_eq!(seen["deviceId"], "WB-0001");
    assert_eq!(seen["alarmCount"], 1);
    assert_about(&seen["lastAlarmAt"], now, "lastAlarmAt");
    assert!(seen["escalatedAt"].is_null());
    assert_eq!(seen["elder"]["id"], elder.as_str());
    assert_eq!(seen["order"]["status"], "OPEN", "alarms go to helpers at once");
    assert_about(&seen["order"]["claimDueAt"], now + Duration::minutes(5), "claimDueAt");
    assert!(seen["order"]["title"].as_str().unwrap().contains("跌倒"), "{seen}");
    assert_eq!(seen["alarmLocation"], "3栋 (26.38000, 108.08000)", "the location is passed on, in its own field");
    assert!(!seen["order"]["description"].as_str().unwrap().contains("3栋"), "and not in the description: {seen}");

    let mine = w.gql("demo-elder", MINE, json!({})).await;
    assert_eq!(ok(&mine)[0]["id"], id.as_str(), "the wearer sees it among their requests");
    let claimed = w.gql("demo-member-1", CLAIM, json!({ "id": id })).await;
    assert_eq!(ok(&claimed)["status"], "CLAIMED", "helpers claim it like any order");
}

#[tokio::test]
async fn an_alarm_tells_the_communitys_grid_worker_when_the_wearer_has_no_care_profile() {
    let w = World::wearing("WB-0001").await;
    let (id, _) = w.accepted("WB-0001", "SOS").await;
    assert!(w.told("demo-grid", "CARE_ALARM", &id).await, "grid worker: {:?}", w.notices("demo-grid").await);
    assert!(!w.told("demo-member-1", "CARE_ALARM", &id).await);
    assert!(!w.told("demo-elder", "CARE_ALARM", &id).await, "the wearer is not told about their own alarm");
}

#[tokio::test]
async fn an_alarm_tells_the_assigned_grid_worker_household_lead_and_linked_family() {
    let w = World::new().await;
    let daughter = "elder-daughter";
    let input = json!({
        "communityId": w.chengnan,
        "elderId": w.id_of("demo-elder").await,
        "needs": ["MOBILITY"],
        "livesAlone": true,
        "gridWorkerId": w.id_of("demo-grid").await,
        "householdLeadId": w.id_of("demo-resident-1").await,
        "emergencyContacts": [{ "name": "吴小梅", "relation": "女儿", "phone": "13600001111",
            "linkedUserId": w.id_of(daughter).await }],
    });
    ok(&w.gql("demo-grid", SAVE_PROFILE, json!({ "input": input })).await);
    w.bind("WB-0001").await;

    let (id, _) = w.accepted("WB-0001", "HEART_RATE").await;
    for who in ["demo-grid", "demo-resident-1", daughter] {
        assert!(w.told(who, "CARE_ALARM", &id).await, "{who}: {:?}", w.notices(who).await);
    }
    for who in ["demo-member-1", "demo-resident-2", "demo-elder"] {
        assert!(!w.told(who, "CARE_ALARM", &id).await, "{who}");
    }
}

#[tokio::test]
async fn an_alarm_nobody_claims_in_five_minutes_goes_to_the_secretary() {
    let w = World::wearing("WB-0001").await;
    let (id, _) = w.accepted("WB-0001", "FALL").await;
    let numeric: i64 = id.parse().unwrap();
    assert!(!w.told("demo-secretary", "CARE_ESCALATED", &id).await);

    w.app.clock.advance(Duration::minutes(4));
    assert_eq!(w.app.domain.care().escalate_unclaimed().await.unwrap(), Vec::<i64>::new());
    w.app.clock.advance(Duration::seconds(61));
    let swept_at = w.app.clock.now();
    assert_eq!(w.app.domain.care().escalate_unclaimed().await.unwrap(), [numeric]);
    assert_eq!(w.app.domain.care().escalate_unclaimed().await.unwrap(), Vec::<i64>::new());

    assert_about(&w.care(&id).await["escalatedAt"], swept_at, "escalatedAt");
    assert!(w.told("demo-secretary", "CARE_ESCALATED", &id).await, "{:?}", w.notices("demo-secretary").await);
}

#[tokio::test]
async fn a_claimed_alarm_is_not_escalated() {
    let w = World::wearing("WB-0001").await;
    let (id, _) = w.accepted("WB-0001", "SOS").await;
    w.app.clock.advance(Duration::minutes(2));
    ok(&w.gql("demo-volunteer", CLAIM, json!({ "id": id })).await);
    w.app.clock.advance(Duration::minutes(10));
    assert_eq!(w.app.domain.care().escalate_unclaimed().await.unwrap(), Vec::<i64>::new());
    assert!(w.care(&id).await["escalatedAt"].is_null());
}

// ---------------------------------------------------------------------------
// Repeated alarms
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_second_alarm_within_ten_minutes_joins_the_open_request() {
    let w = World::wearing("WB-0001").await;
    let (first, joined) = w.accepted("WB-0001", "FALL").await;
    assert!(!joined);

    w.app.clock.advance(Duration::minutes(3));
    let second_at = w.app.clock.now();
    let (second, joined) = w.accepted("WB-0001", "SOS").await;
    assert!(joined, "a repeat joins the open request");
    assert_eq!(second, first);
    let seen = w.care(&first).await;
    assert_eq!(seen["alarmCount"], 2);
    assert_about(&seen["lastAlarmAt"], second_at, "lastAlarmAt");

    // Also while a helper is on the way.
    ok(&w.gql("demo-member-1", CLAIM, json!({ "id": first })).await);
    w.app.clock.advance(Duration::minutes(2));
    let (third, joined) = w.accepted("WB-0001", "SOS").await;
    assert!(joined);
    assert_eq!(third, first);
    assert_eq!(w.care(&first).await["alarmCount"], 3);
    assert_eq!(w.request_count().await, 1, "one request for the three alarms");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn alarms_from_one_device_arriving_at_once_open_one_request() {
    let w = World::wearing("WB-0001").await;
    let now = w.app.clock.now();
    // A fall and the SOS button and more, each its own delivery, all in the same moment.
    let deliveries = ["FALL", "SOS", "HEART_RATE"]
        .iter()
        .flat_map(|kind| (0..2).map(move |n| (kind, now + Duration::milliseconds(n))))
        .map(|(kind, at)| w.post_signed_at(now.timestamp(), alarm_body("WB-0001", kind, at)));
    let results = futures_util::future::join_all(deliveries).await;

    let mut ids: Vec<String> = Vec::new();
    for (status, body) in &results {
        assert_eq!(*status, 202, "{body}");
        ids.push(body["requestId"].as_str().unwrap().to_owned());
    }
    let created = results.iter().filter(|(_, b)| b["joined"] == false).count();
    ids.sort();
    ids.dedup();
    assert_eq!((created, ids.len()), (1, 1), "one request for one event: {results:?}");
    assert_eq!(w.care(&ids[0]).await["alarmCount"], 6);
}

#[tokio::test]
async fn an_alarm_more_than_ten_minutes_after_the_last_opens_a_new_request() {
    let w = World::wearing("WB-0001").await;
    let (first, _) = w.accepted("WB-0001", "FALL").await;

    w.app.clock.advance(Duration::minutes(11));
    w.opens_a_new_request("WB-0001", "FALL", &first, "too long after the last alarm to be the same event").await;
    assert_eq!(w.care(&first).await["alarmCount"], 1);
    assert_eq!(w.request_count().await, 2);
}

#[tokio::test]
async fn an_alarm_after_the_request_is_cancelled_or_finished_opens_a_new_request() {
    let w = World::wearing("WB-0001").await;

    let (cancelled, _) = w.accepted("WB-0001", "SOS").await;
    assert_eq!(ok(&w.gql("demo-secretary", CANCEL, json!({ "id": cancelled })).await)["status"], "CANCELLED");
    w.app.clock.advance(Duration::minutes(1));
    let (after_cancel, joined) = w.accepted("WB-0001", "SOS").await;
    assert!(!joined, "a cancelled request is not joined");
    assert_ne!(after_cancel, cancelled);

    ok(&w.gql("demo-member-1", CLAIM, json!({ "id": after_cancel })).await);
    w.app.clock.advance(Duration::minutes(1));
    assert_eq!(
        ok(&w.gql("demo-member-1", COMPLETE, json!({ "id": after_cancel })).await)["status"],
        "AWAITING_APPROVAL"
    );
    let (while_awaiting, joined) = w.accepted("WB-0001", "FALL").await;
    assert!(joined, "not finished until approved");
    assert_eq!(while_awaiting, after_cancel);
    assert_eq!(ok(&w.gql("demo-secretary", APPROVE, json!({ "id": after_cancel })).await)["status"], "APPROVED");

    w.app.clock.advance(Duration::minutes(1));
    let after_finish =
        w.opens_a_new_request("WB-0001", "FALL", &after_cancel, "a finished request is not joined").await;
    assert_ne!(after_finish, cancelled);
    assert_eq!(w.request_count().await, 3);
}

#[tokio::test]
async fn a_wristband_passed_on_to_another_resident_raises_alarms_for_the_new_wearer() {
    let w = World::wearing("WB-0001").await;
    let (for_elder, _) = w.accepted("WB-0001", "FALL").await;

    ok(&w.gql("demo-secretary", UNREGISTER, json!({ "d": "WB-0001" })).await);
    ok(&w.register("demo-secretary", "demo-resident-2", "WB-0001").await);
    w.app.clock.advance(Duration::minutes(2));
    let (for_neighbour, joined) = w.accepted("WB-0001", "SOS").await;

    assert!(!joined, "an alarm from the new wearer must not join the previous wearer's request");
    assert_ne!(for_neighbour, for_elder);
    assert_eq!(w.care(&for_neighbour).await["elder"]["id"], w.id_of("demo-resident-2").await.as_str());
    assert_eq!(w.care(&for_elder).await["alarmCount"], 1);
}

// ---------------------------------------------------------------------------
// Signatures, timestamps, replays and bad input
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_bad_or_missing_signature_is_unauthenticated_and_files_nothing() {
    let w = World::wearing("WB-0001").await;
    let now = w.app.clock.now();
    let (ts, body, good) = signed_alarm("WB-0001", "FALL", now);
    let other_body = alarm_body("WB-0001", "SOS", now);
    let older_ts = (now.timestamp() - 1).to_string();

    let cases: Vec<Case> = vec![
        (
            "another secret",
            vec![("X-Linli-Timestamp", ts.clone()), ("X-Linli-Signature", sign("wrong-secret", &ts, &body))],
            body.clone(),
        ),
        ("another body", vec![("X-Linli-Timestamp", ts.clone()), ("X-Linli-Signature", good.clone())], other_body),
        ("another timestamp", vec![("X-Linli-Timestamp", older_ts), ("X-Linli-Signature", good.clone())], body.clone()),
        (
            "no prefix",
            vec![
                ("X-Linli-Timestamp", ts.clone()),
                ("X-Linli-Signature", good.trim_start_matches("sha256=").to_owned()),
            ],
            body.clone(),
        ),
        (
            "not hex",
            vec![("X-Linli-Timestamp", ts.clone()), ("X-Linli-Signature", "sha256=not-hex-at-all".into())],
            body.clone(),
        ),
        ("empty", vec![("X-Linli-Timestamp", ts.clone()), ("X-Linli-Signature", "sha256=".into())], body.clone()),
        (
            "timestamp not a number",
            vec![("X-Linli-Timestamp", "yesterday".into()), ("X-Linli-Signature", sign(SECRET, "yesterday", &body))],
            body.clone(),
        ),
        ("no signature", vec![("X-Linli-Timestamp", ts.clone())], body.clone()),
        ("no timestamp", vec![("X-Linli-Signature", good.clone())], body.clone()),
        ("no headers", vec![], body.clone()),
    ];
    for (what, headers, body) in cases {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let (status, resp) = w.post(&headers, body).await;
        assert_eq!(status, 401, "{what}: {resp}");
        assert_eq!(code(&resp), "UNAUTHENTICATED", "{what}");
    }
    assert_eq!(w.request_count().await, 0, "nothing filed");

    let (status, resp) = w.post(&[("X-Linli-Timestamp", &ts), ("X-Linli-Signature", &good)], body).await;
    assert_eq!(status, 202, "the genuine delivery still goes through: {resp}");
}

#[tokio::test]
async fn a_timestamp_more_than_five_minutes_off_either_way_is_refused() {
    let w = World::wearing("WB-0001").await;
    let now = w.app.clock.now();
    for offset in [-301, 301, -3600, 86_400] {
        let (status, resp) = w.post_signed_at(now.timestamp() + offset, alarm_body("WB-0001", "SOS", now)).await;
        assert_eq!(status, 401, "{offset} s off: {resp}");
        assert_eq!(code(&resp), "UNAUTHENTICATED");
    }
    assert_eq!(w.request_count().await, 0);

    // A little clock drift is fine.
    let (status, resp) = w.post_signed_at(now.timestamp() - 290, alarm_body("WB-0001", "SOS", now)).await;
    assert_eq!(status, 202, "{resp}");
    let (status, resp) = w.post_signed_at(now.timestamp() + 290, alarm_body("WB-0001", "FALL", now)).await;
    assert_eq!(status, 202, "{resp}");
    assert_eq!(resp["joined"], true);
}

#[tokio::test]
async fn the_same_delivery_replayed_is_a_conflict_and_counts_no_alarm() {
    let w = World::wearing("WB-0001").await;
    let now = w.app.clock.now();
    let (ts, body, signature) = signed_alarm("WB-0001", "FALL", now);
    let headers = [("X-Linli-Timestamp", ts.as_str()), ("X-Linli-Signature", signature.as_str())];

    let (status, first) = w.post(&headers, body.clone()).await;
    assert_eq!(status, 202, "{first}");
    w.app.clock.advance(Duration::seconds(30));
    let (status, replay) = w.post(&headers, body.clone()).await;
    assert_eq!(status, 409, "{replay}");
    assert_eq!(code(&replay), "CONFLICT");

    let id = first["requestId"].as_str().unwrap();
    assert_eq!(w.care(id).await["alarmCount"], 1, "the replay counted no alarm");
    assert_eq!(w.request_count().await, 1);
}

#[tokio::test]
async fn a_replay_with_the_signature_in_upper_case_hex_is_still_a_replay() {
    let w = World::wearing("WB-0001").await;
    let now = w.app.clock.now();
    let (ts, body, signature) = signed_alarm("WB-0001", "FALL", now);
    let (status, first) = w.post(&[("X-Linli-Timestamp", &ts), ("X-Linli-Signature", &signature)], body.clone()).await;
    assert_eq!(status, 202, "{first}");

    // The same bytes signed, the same delivery: only the hex digits' case differs.
    let shouted = format!("sha256={}", signature.trim_start_matches("sha256=").to_uppercase());
    let (status, replay) = w.post(&[("X-Linli-Timestamp", &ts), ("X-Linli-Signature", &shouted)], body).await;
    assert_eq!(status, 409, "a replay in other letters is still a replay: {replay}");
    let id = first["requestId"].as_str().unwrap();
    assert_eq!(w.care(id).await["alarmCount"], 1);
}

#[tokio::test]
async fn an_unknown_device_is_not_found_and_a_malformed_alarm_is_bad_input() {
    let w = World::wearing("WB-0001").await;
    let now = w.app.clock.now();

    let (status, resp) = w.alarm("WB-UNKNOWN", "SOS").await;
    assert_eq!(status, 404, "{resp}");
    assert_eq!(code(&resp), "NOT_FOUND");

    let at = now.to_rfc3339();
    let bad: Vec<(&str, Vec<u8>)> = vec![
        ("not JSON", b"{this is not json".to_vec()),
        ("no kind", serde_json::to_vec(&json!({ "deviceId": "WB-0001", "at": at })).unwrap()),
        ("unknown kind", serde_json::to_vec(&json!({ "deviceId": "WB-0001", "kind": "FIRE", "at": at })).unwrap()),
        ("lower-case kind", serde_json::to_vec(&json!({ "deviceId": "WB-0001", "kind": "sos", "at": at })).unwrap()),
        ("no device", serde_json::to_vec(&json!({ "kind": "SOS", "at": at })).unwrap()),
        ("bad time", serde_json::to_vec(&json!({ "deviceId": "WB-0001", "kind": "SOS", "at": "yesterday" })).unwrap()),
        ("empty", Vec::new()),
    ];
    for (what, body) in bad {
        let (status, resp) = w.post_signed_at(now.timestamp(), body).await;
        assert_eq!(status, 400, "{what}: {resp}");
        assert_eq!(code(&resp), "BAD_USER_INPUT", "{what}");
    }
    assert_eq!(w.request_count().await, 0);

    // Location is optional.
    let minimal = serde_json::to_vec(&json!({ "deviceId": "WB-0001", "kind": "HEART_RATE", "at": at })).unwrap();
    let (status, resp) = w.post_signed_at(now.timestamp(), minimal).await;
    assert_eq!(status, 202, "{resp}");
}

#[tokio::test]
async fn without_a_configured_secret_the_webhook_is_unavailable() {
    let w = World::with(|c| {
        roomy(c);
        c.care.wristband_secret = None;
    })
    .await;
    w.bind("WB-0001").await;
    let (status, resp) = w.alarm("WB-0001", "SOS").await;
    assert_eq!(status, 503, "{resp}");
    assert!(resp["errors"][0]["extensions"]["code"].is_string(), "{resp}");
    assert_eq!(w.request_count().await, 0);
}

#[tokio::test]
async fn a_wearer_who_deletes_their_data_leaves_no_wristband_bound_to_them() {
    let w = World::new().await;
    w.register("demo-grid", "demo-resident-2", "WB-0077").await;
    let deleted = w.gql("demo-resident-2", "mutation { deleteMyData(confirm: \"注销\") { userId } }", json!({})).await;
    ok(&deleted);
    let (status, body) = w.alarm("WB-0077", "SOS").await;
    assert_eq!(status, 404, "the device is unbound with the person: {body}");
    let rebound = w.register("demo-grid", "demo-resident-1", "WB-0077").await;
    assert!(rebound.get("errors").is_none(), "and free for the next wearer: {rebound}");
}

// ---------------------------------------------------------------------------
// Where the alarm was raised
// ---------------------------------------------------------------------------

const VILLAGE_HOME: &str = "羊排村五组十二号";

impl World {
    /// An accepted alarm from `device` reporting `location`, sent now: `(requestId, joined)`.
    async fn located(&self, device: &str, location: Value) -> (String, bool) {
        let now = self.app.clock.now();
        let (status, body) =
            self.post_signed_at(now.timestamp(), located_alarm_body(device, "SOS", now, location)).await;
        assert_eq!(status, 202, "{body}");
        (body["requestId"].as_str().unwrap().to_owned(), body["joined"].as_bool().unwrap())
    }

    /// The request as `who` sees it: `(alarmLocation, the whole answer as text)`.
    async fn location_seen_by(&self, who: &str, id: &str) -> (Value, String) {
        let resp = self.gql(who, SEEN_BY_HELPER, json!({ "id": id })).await;
        (ok(&resp)["alarmLocation"].clone(), resp.to_string())
    }

    /// Rows of the access log about the wearer for this field: `(accessor, purpose, careRequestId)`.
    async fn location_reads(&self) -> Vec<(String, String, String)> {
        let elder = self.id_of("demo-elder").await;
        let resp = self.gql("demo-secretary", ACCESS_LOG, json!({ "c": self.chengnan, "s": elder })).await;
        ok(&resp)["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["node"])
            .filter(|n| n["field"] == "ALARM_LOCATION")
            .map(|n| {
                assert_eq!(n["subject"]["id"], elder.as_str());
                let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
                (text(&n["accessor"]["id"]), text(&n["purpose"]), text(&n["careRequestId"]))
            })
            .collect()
    }
}

fn village_location() -> Value {
    json!({ "lat": 26.48123, "lng": 108.17456, "address": VILLAGE_HOME })
}

#[tokio::test]
async fn an_alarms_location_is_kept_out_of_the_description_and_history_the_pool_reads() {
    let w = World::wearing("WB-0001").await;
    let (id, _) = w.located("WB-0001", village_location()).await;
    w.app.clock.advance(Duration::minutes(1));
    let (again, joined) = w.located("WB-0001", village_location()).await;
    assert!(joined && again == id, "the repeat joins the open request");

    // A helper in the pool learns the village and group, never the house or the coordinates.
    for who in ["demo-member-1", "demo-member-2", "demo-volunteer"] {
        let (location, text) = w.location_seen_by(who, &id).await;
        assert_eq!(location, "羊排村五组****", "{who}: {text}");
        for secret in ["十二号", "26.48", "108.17"] {
            assert!(!text.contains(secret), "{who} reads {secret}: {text}");
        }
    }
    let pool = w.gql("demo-member-1", POOL, json!({ "c": w.chengnan })).await;
    let text = pool.to_string();
    assert!(text.contains("羊排村五组****"), "{text}");
    for secret in ["十二号", "26.48", "108.17"] {
        assert!(!text.contains(secret), "the pool list shows {secret}: {text}");
    }

    // Even staff, who see the location in full, find it only in its own field.
    let (location, text) = w.location_seen_by("demo-secretary", &id).await;
    assert_eq!(location, "羊排村五组十二号 (26.48123, 108.17456)");
    let resp = w.gql("demo-secretary", SEEN_BY_HELPER, json!({ "id": id })).await;
    let order = &ok(&resp)["order"];
    assert!(!order["description"].as_str().unwrap().contains("羊排村"), "{text}");
    for event in order["history"].as_array().unwrap() {
        let note = event["note"].as_str().unwrap_or_default();
        assert!(!note.contains("羊排村") && !note.contains("26.48"), "a history note holds the location: {note}");
    }
}

#[tokio::test]
async fn the_full_alarm_location_goes_to_staff_the_claimant_and_the_wearer_and_each_staff_read_is_logged() {
    let w = World::wearing("WB-0001").await;
    let (id, _) = w.located("WB-0001", village_location()).await;
    let full = "羊排村五组十二号 (26.48123, 108.17456)";
    let helper = w.id_of("demo-member-1").await;

    // Masked reads are not logged.
    assert_eq!(w.location_seen_by("demo-member-1", &id).await.0, "羊排村五组****");
    assert_eq!(w.location_reads().await, vec![]);

    // The wearer sees their own location, unlogged; staff see it, logged.
    assert_eq!(w.location_seen_by("demo-elder", &id).await.0, full);
    assert_eq!(w.location_reads().await, vec![]);
    for who in ["demo-grid", "demo-secretary"] {
        assert_eq!(w.location_seen_by(who, &id).await.0, full, "{who}");
    }
    let reads = w.location_reads().await;
    let accessors: Vec<&str> = reads.iter().map(|(a, _, _)| a.as_str()).collect();
    assert_eq!(reads.len(), 2, "{reads:?}");
    assert!(accessors.contains(&w.id_of("demo-grid").await.as_str()), "{reads:?}");
    assert!(accessors.contains(&w.id_of("demo-secretary").await.as_str()), "{reads:?}");
    assert!(reads.iter().all(|(_, purpose, request)| purpose == "CARE_REQUEST" && request == &id), "{reads:?}");

    // The helper who claims it sees where to go, logged; other helpers still do not.
    ok(&w.gql("demo-member-1", CLAIM, json!({ "id": id })).await);
    assert_eq!(w.location_seen_by("demo-member-1", &id).await.0, full);
    assert_eq!(w.location_seen_by("demo-member-2", &id).await.0, "羊排村五组****");
    let reads = w.location_reads().await;
    assert_eq!(reads.len(), 3, "{reads:?}");
    assert!(reads.contains(&(helper, "CARE_REQUEST".into(), id.clone())), "{reads:?}");

    // Staff of another community do not see the request at all.
    let outsider = w.gql("demo-secretary-2", SEEN_BY_HELPER, json!({ "id": id })).await;
    assert_eq!(error_code(&outsider), "NOT_FOUND", "{outsider}");
    assert!(!outsider.to_string().contains("羊排村"));
}

#[tokio::test]
async fn the_elders_household_lead_sees_the_full_alarm_location_while_assigned() {
    let w = World::new().await;
    let lead = "demo-member-1";
    let input = json!({
        "communityId": w.chengnan,
        "elderId": w.id_of("demo-elder").await,
        "needs": ["MOBILITY"],
        "livesAlone": true,
        "householdLeadId": w.id_of(lead).await,
    });
    ok(&w.gql("demo-grid", SAVE_PROFILE, json!({ "input": input })).await);
    w.bind("WB-0001").await;
    let (id, _) = w.located("WB-0001", village_location()).await;
    assert_eq!(w.location_seen_by(lead, &id).await.0, "羊排村五组十二号 (26.48123, 108.17456)");
    assert_eq!(w.location_reads().await.len(), 1, "the lead's read is logged");
    assert_eq!(w.location_seen_by("demo-member-2", &id).await.0, "羊排村五组****", "another helper is not the lead");
}

#[tokio::test]
async fn a_repeated_alarm_moves_the_location_and_one_without_a_location_keeps_the_last_known() {
    let w = World::wearing("WB-0001").await;
    let (id, _) = w.located("WB-0001", json!({ "lat": 26.1, "lng": 108.1, "address": "城南社区3栋2单元502" })).await;
    assert_eq!(w.location_seen_by("demo-member-1", &id).await.0, "城南社区3栋****");

    w.app.clock.advance(Duration::minutes(1));
    let (again, joined) = w.located("WB-0001", village_location()).await;
    assert!(joined && again == id);
    assert_eq!(w.location_seen_by("demo-grid", &id).await.0, "羊排村五组十二号 (26.48123, 108.17456)");

    w.app.clock.advance(Duration::minutes(1));
    let (again, joined) = w.located("WB-0001", Value::Null).await;
    assert!(joined && again == id);
    let seen = w.care(&id).await;
    assert_eq!(seen["alarmCount"], 3);
    assert_eq!(seen["alarmLocation"], "羊排村五组十二号 (26.48123, 108.17456)", "{seen}");
}

#[tokio::test]
async fn coordinates_alone_are_hidden_whole_from_the_pool() {
    let w = World::wearing("WB-0001").await;
    let (id, _) = w.located("WB-0001", json!({ "lat": 26.48123, "lng": 108.17456 })).await;
    let (location, text) = w.location_seen_by("demo-member-1", &id).await;
    assert_eq!(location, "****", "{text}");
    assert!(!text.contains("26.48"));
    assert_eq!(w.location_seen_by("demo-secretary", &id).await.0, "26.48123, 108.17456");
}

#[tokio::test]
async fn an_alarm_without_a_location_has_none() {
    let w = World::wearing("WB-0001").await;
    let (id, _) = w.located("WB-0001", Value::Null).await;
    assert!(w.care(&id).await["alarmLocation"].is_null());
    assert!(w.location_seen_by("demo-member-1", &id).await.0.is_null());
}

#[tokio::test]
async fn alarms_filed_before_the_location_had_its_own_field_are_cleaned_by_the_migration() {
    use migrations::{MigratorTrait, SchemaManager};
    use sea_orm::{ConnectionTrait, DbBackend, Statement};

    let w = World::wearing("WB-0001").await;
    let (id, _) = w.located("WB-0001", Value::Null).await;
    w.app.clock.advance(Duration::minutes(1));
    w.located("WB-0001", Value::Null).await;
    // The texts as alarms wrote them before: the location in the description and the repeat's note.
    let db = &w.app.domain.db;
    let old = "羊排村五组十二号 (26.48123, 108.17456)";
    let backend = db.get_database_backend();
    let sql = |text: &str| match backend {
        DbBackend::Postgres => text.to_owned(),
        _ => text.replace("$1", "?").replace("$2", "?"),
    };
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        sql("UPDATE orders SET description = description || $1 WHERE id = $2"),
        [format!("，位置：{old}").into(), id.parse::<i64>().unwrap().into()],
    ))
    .await
    .unwrap();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        sql("UPDATE workflow_events SET note = $1 WHERE subject_kind = 'ORDER' AND subject_id = $2 AND note LIKE 'another alarm%'"),
        [format!("another alarm: SOS求助，位置：{old}").into(), id.parse::<i64>().unwrap().into()],
    ))
    .await
    .unwrap();
    let (_, text) = w.location_seen_by("demo-member-1", &id).await;
    assert!(text.contains("十二号"), "the old texts leak: {text}");

    let step = migrations::Migrator::migrations()
        .into_iter()
        .find(|m| m.name() == "m20261207_000020_alarm_location")
        .expect("the alarm location migration");
    let manager = SchemaManager::new(db);
    step.down(&manager).await.unwrap();
    step.up(&manager).await.unwrap();

    let (location, text) = w.location_seen_by("demo-member-1", &id).await;
    assert_eq!(location, "羊排村五组****", "{text}");
    for secret in ["十二号", "26.48"] {
        assert!(!text.contains(secret), "{secret} is still in {text}");
    }
    assert_eq!(w.care(&id).await["alarmLocation"], old, "moved to its own field");
    let resp = w.gql("demo-secretary", SEEN_BY_HELPER, json!({ "id": id })).await;
    let history = ok(&resp)["order"]["history"].to_string();
    assert!(history.contains("another alarm: SOS求助") && !history.contains("位置"), "{history}");
}
