// Elderly-care requests end to end, as the mini-program files and works them:
// who may file for 吴奶奶 (demo-elder), what each kind needs, urgent requests
// opening at once, the order spine (claim → complete → approve → rate) under
// the same id, the two-person cash hand-over, idempotent retries, lists and
// masking, and the escalation of urgent requests nobody claims.

use std::collections::HashMap;

use super::assert_about;
use crate::common::*;
use chrono::Duration;
use domain::Clock;
use futures_util::future::join_all;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------

macro_rules! care_fields {
    () => {
        "id kind urgent filedAs deviceId alarmCount lastAlarmAt escalatedAt elder { id } \
         cash { amountFen handedBy { id } handedAt receiptUrl confirmedBy { id } confirmedAt } \
         order { id status title claimDueAt completeDueAt contactPhone address contactMasked \
         placedBy { id } onBehalfOf { id } claimant { id } }"
    };
}

const FILE: &str =
    concat!("mutation($input: FileCareRequestInput!) { fileCareRequest(input: $input) { ", care_fields!(), " } }");
const CARE: &str = concat!("query($id: ID!) { careRequest(id: $id) { ", care_fields!(), " } }");
const LIST: &str = concat!(
    "query($c: ID!, $open: Boolean!) { careRequests(communityId: $c, openOnly: $open) { ",
    care_fields!(),
    " } }"
);
const MINE: &str = concat!("{ myCareRequests { ", care_fields!(), " } }");
const HANDOVER: &str = concat!(
    "mutation($id: ID!, $url: String!) { recordCashHandover(requestId: $id, receiptUrl: $url) { ",
    care_fields!(),
    " } }"
);
const CONFIRM: &str = concat!("mutation($id: ID!) { confirmCashReceived(requestId: $id) { ", care_fields!(), " } }");

const DISPATCH: &str =
    "mutation($id: ID!) { dispatchOrder(orderId: $id) { id status claimDueAt completeDueAt claimant { id } } }";
const CLAIM: &str =
    "mutation($id: ID!) { claimOrder(orderId: $id) { id status claimDueAt completeDueAt claimant { id } } }";
const COMPLETE: &str = "mutation($id: ID!, $note: String!, $photos: [String!]) { completeOrder(orderId: $id, note: $note, \
     photoUrls: $photos) { id status claimDueAt completeDueAt claimant { id } } }";
const APPROVE: &str =
    "mutation($id: ID!) { approveOrder(orderId: $id) { id status claimDueAt completeDueAt claimant { id } } }";
const RATE: &str = "mutation($id: ID!, $stars: Int!) { rateOrder(orderId: $id, stars: $stars) { id status claimDueAt \
     completeDueAt claimant { id } } }";
const CANCEL: &str = "mutation($id: ID!) { cancelOrder(orderId: $id, reason: \"家里人已经送来了\") { id status claimDueAt \
     completeDueAt claimant { id } } }";

const SAVE_PROFILE: &str = "mutation($input: CareProfileInput!) { saveCareProfile(input: $input) { id \
     householdLead { id } emergencyContacts { name linkedUser { id } } } }";

const PHOTO: &str = "https://img.example.com/meal-delivered.jpg";
const RECEIPT: &str = "https://img.example.com/bank-receipt.jpg";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// The demo street with the limits out of the way and wristbands on.
fn with_wristbands(config: &mut api::Config) {
    roomy(config);
    config.care.wristband_secret = Some("test-wristband-secret".to_owned().into());
}

area_world!(config = with_wristbands);

impl World {
    /// `fileCareRequest` as `who`: a meal delivery, non-urgent, for themselves,
    /// overridden by `extra`. The raw response.
    async fn try_file(&self, who: &str, extra: Value) -> Value {
        let mut input = json!({
            "communityId": self.chengnan,
            "kind": "MEAL_DELIVERY",
            "title": "送午饭",
            "description": "腿脚不便，下不了楼，请帮忙送一份午饭",
            "urgent": false,
        });
        if let Value::Object(extra) = extra {
            for (k, v) in extra {
                input[k] = v;
            }
        }
        self.gql(who, FILE, json!({ "input": input })).await
    }

    async fn file(&self, who: &str, extra: Value) -> Value {
        let resp = self.try_file(who, extra).await;
        data(&resp, "fileCareRequest").clone()
    }

    /// A request for 吴奶奶 filed by the grid worker; its id.
    async fn file_for_elder(&self, extra: Value) -> String {
        let mut input = json!({ "elderId": self.id_of("demo-elder").await });
        if let Value::Object(extra) = extra {
            for (k, v) in extra {
                input[k] = v;
            }
        }
        id(&self.file("demo-grid", input).await)
    }

    /// A cash request for 吴奶奶 filed by the grid worker, published and claimed by demo-member-1.
    async fn claimed_cash_request(&self) -> String {
        let id = self
            .file_for_elder(json!({ "kind": "CASH_HELP", "title": "代取现金", "description": "帮奶奶到银行柜台取500元",
                "cashAmountFen": 50_000 }))
            .await;
        assert_eq!(ok(&self.gql("demo-secretary", DISPATCH, json!({ "id": id })).await)["status"], "OPEN");
        assert_eq!(ok(&self.gql("demo-member-1", CLAIM, json!({ "id": id })).await)["status"], "CLAIMED");
        id
    }

    /// The request as the secretary sees it.
    async fn care(&self, id: &str) -> Value {
        let resp = self.gql("demo-secretary", CARE, json!({ "id": id })).await;
        data(&resp, "careRequest").clone()
    }

    /// 吴奶奶's care profile: demo-grid looks after her, 龙阿姨 is her
    /// household lead, and `family` (a user) is linked as her daughter.
    async fn save_profile(&self, family: &str) {
        let input = json!({
            "communityId": self.chengnan,
            "elderId": self.id_of("demo-elder").await,
            "needs": ["MOBILITY", "MEALS"],
            "livesAlone": true,
            "gridWorkerId": self.id_of("demo-grid").await,
            "householdLeadId": self.id_of("demo-resident-1").await,
            "emergencyContacts": [{ "name": "吴小梅", "relation": "女儿", "phone": "13600001111",
                "linkedUserId": self.id_of(family).await }],
        });
        let resp = self.gql("demo-grid", SAVE_PROFILE, json!({ "input": input })).await;
        let saved = data(&resp, "saveCareProfile");
        assert_eq!(saved["householdLead"]["id"], self.id_of("demo-resident-1").await.as_str(), "{resp}");
    }
}

/// The one field under `data`, asserting there were no errors.
fn ok(resp: &Value) -> &Value {
    assert!(resp.get("errors").is_none(), "unexpected errors: {resp}");
    resp["data"].as_object().and_then(|o| o.values().next()).unwrap_or_else(|| panic!("no data: {resp}"))
}

fn id(care: &Value) -> String {
    care["id"].as_str().unwrap_or_else(|| panic!("no id: {care}")).to_owned()
}

fn error_field(resp: &Value) -> String {
    resp["errors"][0]["extensions"]["field"].as_str().unwrap_or_default().to_owned()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array().unwrap_or_else(|| panic!("not a list: {list}")).iter().map(id).collect()
}

// ---------------------------------------------------------------------------
// Filing: who files, and the order spine underneath
// ---------------------------------------------------------------------------

#[tokio::test]
async fn an_elder_files_for_herself_and_the_request_runs_through_the_order_loop_under_the_same_id() {
    let w = World::new().await;
    let elder = w.id_of("demo-elder").await;
    let member = w.id_of("demo-member-1").await;

    let filed = w.file("demo-elder", json!({})).await;
    let id = id(&filed);
    assert_eq!(filed["kind"], "MEAL_DELIVERY");
    assert_eq!(filed["filedAs"], "ELDER");
    assert_eq!(filed["urgent"], false);
    assert_eq!(filed["elder"]["id"], elder.as_str());
    assert!(filed["cash"].is_null() && filed["deviceId"].is_null() && filed["escalatedAt"].is_null(), "{filed}");
    assert_eq!(filed["alarmCount"], 0);
    assert_eq!(filed["order"]["id"], id.as_str(), "a care request has its order's id");
    assert_eq!(filed["order"]["status"], "SUBMITTED", "non-urgent requests wait for the secretary");
    assert!(filed["order"]["claimDueAt"].is_null());
    assert_eq!(filed["order"]["placedBy"]["id"], elder.as_str());
    assert_eq!(filed["order"]["contactPhone"], "0855-3331234", "defaults to the elder's phone on file");
    assert_eq!(filed["order"]["address"], "城南社区1栋1单元101", "defaults to the elder's address on file");

    w.app.clock.advance(Duration::minutes(3));
    let opened = w.gql("demo-secretary", DISPATCH, json!({ "id": id })).await;
    let opened = ok(&opened);
    assert_eq!(opened["status"], "OPEN");
    assert!(time(&opened["claimDueAt"]) > w.app.clock.now(), "{opened}");

    w.app.clock.advance(Duration::minutes(3));
    let claimed_at = w.app.clock.now();
    let claimed = w.gql("demo-member-1", CLAIM, json!({ "id": id })).await;
    let claimed = ok(&claimed);
    assert_eq!(claimed["status"], "CLAIMED");
    assert_eq!(claimed["claimant"]["id"], member.as_str());
    assert_about(&claimed["completeDueAt"], claimed_at + Duration::hours(2), "a meal is delivered within 2 hours");

    w.app.clock.advance(Duration::minutes(40));
    let done = w
        .gql("demo-member-1", COMPLETE, json!({ "id": id, "note": "午饭已送到，奶奶吃上了", "photos": [PHOTO] }))
        .await;
    assert_eq!(ok(&done)["status"], "AWAITING_APPROVAL");
    assert_eq!(ok(&w.gql("demo-secretary", APPROVE, json!({ "id": id })).await)["status"], "APPROVED");
    assert_eq!(ok(&w.gql("demo-elder", RATE, json!({ "id": id, "stars": 5 })).await)["status"], "CLOSED");

    let seen = w.care(&id).await;
    assert_eq!(seen["order"]["status"], "CLOSED");
    assert_eq!(seen["order"]["claimant"]["id"], member.as_str());
    assert_eq!(seen["kind"], "MEAL_DELIVERY", "the care record stays beside its order");
}

#[tokio::test]
async fn the_grid_worker_and_the_secretary_file_for_a_resident_and_the_elder_sees_both() {
    let w = World::new().await;
    let elder = w.id_of("demo-elder").await;

    let by_grid = w
        .file(
            "demo-grid",
            json!({ "elderId": elder, "kind": "MEDICAL_ESCORT", "title": "陪同就医", "description": "周三上午去县医院复查" }),
        )
        .await;
    assert_eq!(by_grid["filedAs"], "GRID_WORKER");
    assert_eq!(by_grid["elder"]["id"], elder.as_str());
    assert_eq!(by_grid["order"]["placedBy"]["id"], w.id_of("demo-grid").await.as_str());
    assert_eq!(by_grid["order"]["onBehalfOf"]["id"], elder.as_str());
    assert_eq!(by_grid["order"]["contactPhone"], "0855-3331234", "the elder's phone, not the filer's");

    let by_secretary = w
        .file(
            "demo-secretary",
            json!({ "elderId": elder, "kind": "HOME_REPAIR", "title": "灯泡坏了", "description": "厨房灯泡不亮" }),
        )
        .await;
    assert_eq!(by_secretary["filedAs"], "SECRETARY");
    assert_eq!(by_secretary["elder"]["id"], elder.as_str());

    let mine = w.gql("demo-elder", MINE, json!({})).await;
    assert_eq!(
        ids(ok(&mine)),
        [id(&by_secretary), id(&by_grid)],
        "the elder sees requests filed for her, newest first"
    );
    let grid_mine = w.gql("demo-grid", MINE, json!({})).await;
    assert_eq!(ids(ok(&grid_mine)), [id(&by_grid)], "the filer sees what they filed");
    let neighbour = w.gql("demo-resident-2", MINE, json!({})).await;
    assert_eq!(ids(ok(&neighbour)), Vec::<String>::new(), "nobody else's requests");
}

#[tokio::test]
async fn family_linked_in_the_care_profile_and_the_household_lead_file_for_the_elder() {
    let w = World::new().await;
    let elder = w.id_of("demo-elder").await;
    // The daughter has WeChat and a linli account, but lives in town: no membership here.
    let daughter = "elder-daughter";
    let request = json!({ "elderId": elder, "kind": "COMPANIONSHIP", "title": "陪妈妈聊聊天", "description": "我这周出差，请人陪她坐一坐" });

    for who in [daughter, "demo-resident-1"] {
        let refused = w.try_file(who, request.clone()).await;
        assert_eq!(error_code(&refused), "FORBIDDEN", "{who} before the care profile links them: {refused}");
    }

    w.save_profile(daughter).await;

    let by_family = w.try_file(daughter, request.clone()).await;
    let by_family = ok(&by_family);
    assert_eq!(by_family["filedAs"], "FAMILY", "{by_family}");
    assert_eq!(by_family["elder"]["id"], elder.as_str());
    assert_eq!(by_family["order"]["status"], "SUBMITTED");

    let by_lead = w.try_file("demo-resident-1", json!({ "elderId": elder })).await;
    let by_lead = ok(&by_lead);
    assert_eq!(by_lead["filedAs"], "HOUSEHOLD_LEAD", "{by_lead}");
    assert_eq!(by_lead["elder"]["id"], elder.as_str());

    let mine = w.gql(daughter, MINE, json!({})).await;
    assert_eq!(ids(ok(&mine)), [id(by_family)], "family see what they filed");
    let elders = w.gql("demo-elder", MINE, json!({})).await;
    assert_eq!(ids(ok(&elders)).len(), 2);
}

#[tokio::test]
async fn a_party_member_a_neighbour_and_people_from_another_community_cannot_file_for_an_elder() {
    let w = World::new().await;
    let elder = w.id_of("demo-elder").await;
    let for_elder = json!({ "elderId": elder });
    for who in ["demo-member-1", "demo-volunteer", "demo-resident-2", "demo-resident-3", "demo-secretary-2"] {
        let refused = w.try_file(who, for_elder.clone()).await;
        assert_eq!(error_code(&refused), "FORBIDDEN", "{who}: {refused}");
    }

    // A 城北 resident is nobody the 城南 grid worker files for, and cannot file in 城南 themself.
    let stranger = w.id_of("demo-resident-3").await;
    let elsewhere = w.try_file("demo-grid", json!({ "elderId": stranger })).await;
    assert_eq!(error_code(&elsewhere), "BAD_USER_INPUT", "{elsewhere}");
    assert_eq!(error_field(&elsewhere), "elderId");
    let own = w.try_file("demo-resident-3", json!({})).await;
    assert_eq!(error_code(&own), "FORBIDDEN", "{own}");
    // A party member who is not a resident cannot file for themself either.
    let member = w.try_file("demo-member-1", json!({})).await;
    assert_eq!(error_code(&member), "FORBIDDEN", "{member}");

    let all = w.gql("demo-secretary", LIST, json!({ "c": w.chengnan, "open": false })).await;
    assert_eq!(ids(ok(&all)), Vec::<String>::new(), "nothing was filed");
}

#[tokio::test]
async fn alarms_cannot_be_filed_by_hand() {
    let w = World::new().await;
    let elder = w.id_of("demo-elder").await;
    for (who, input) in [
        ("demo-elder", json!({ "kind": "ALARM", "urgent": true })),
        ("demo-secretary", json!({ "kind": "ALARM", "elderId": elder, "urgent": true })),
        ("demo-grid", json!({ "kind": "ALARM", "elderId": elder })),
    ] {
        let refused = w.try_file(who, input).await;
        assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{who}: {refused}");
        assert_eq!(error_field(&refused), "kind");
    }
}

// ---------------------------------------------------------------------------
// Cash help: amounts and card details
// ---------------------------------------------------------------------------

#[tokio::test]
async fn cash_help_needs_an_amount_from_one_to_five_thousand_yuan_and_only_cash_help_takes_one() {
    let w = World::new().await;
    let cash = |amount: Value| json!({ "kind": "CASH_HELP", "title": "代取现金", "description": "帮我到柜台取养老金", "cashAmountFen": amount });
    for amount in [Value::Null, json!(0), json!(99), json!(-100), json!(500_001), json!(10_000_000_000_i64)] {
        let refused = w.try_file("demo-elder", cash(amount.clone())).await;
        assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{amount}: {refused}");
        assert_eq!(error_field(&refused), "cashAmountFen", "{amount}");
    }
    for amount in [100, 500_000] {
        let filed = w.file("demo-elder", cash(json!(amount))).await;
        assert_eq!(filed["kind"], "CASH_HELP");
        assert_eq!(filed["cash"]["amountFen"], amount);
        assert!(filed["cash"]["handedBy"].is_null() && filed["cash"]["handedAt"].is_null(), "{filed}");
        assert!(filed["cash"]["confirmedBy"].is_null() && filed["cash"]["confirmedAt"].is_null(), "{filed}");
    }
    for kind in ["MEAL_DELIVERY", "MEDICAL_ESCORT", "OTHER"] {
        let refused = w.try_file("demo-elder", json!({ "kind": kind, "cashAmountFen": 10_000 })).await;
        assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{kind}: {refused}");
        assert_eq!(error_field(&refused), "cashAmountFen", "{kind}");
    }
    let mine = w.gql("demo-elder", MINE, json!({})).await;
    assert_eq!(ids(ok(&mine)).len(), 2, "only the two valid requests were filed");
}

#[tokio::test]
async fn cash_requests_refuse_card_numbers_and_pins_in_the_title_or_description() {
    let w = World::new().await;
    let base = json!({ "kind": "CASH_HELP", "cashAmountFen": 30_000 });
    let cases = [
        ("title", "取钱 密码123456", "帮我取300元"),
        ("description", "代取现金", "卡号 6222021234567890123，取300元"),
        ("description", "代取现金", "密码是 888888"),
    ];
    for (field, title, description) in cases {
        let mut input = base.clone();
        input["title"] = json!(title);
        input["description"] = json!(description);
        let refused = w.try_file("demo-elder", input).await;
        assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{title} / {description}: {refused}");
        assert_eq!(error_field(&refused), field);
    }
    // Short numbers (amounts, rooms, dates) are fine.
    let mut fine = base.clone();
    fine["title"] = json!("取300元");
    fine["description"] = json!("2025年3月养老金，1栋101，取30000分");
    assert_eq!(w.file("demo-elder", fine).await["cash"]["amountFen"], 30_000);
}

// ---------------------------------------------------------------------------
// Urgent requests and care deadlines
// ---------------------------------------------------------------------------

#[tokio::test]
async fn urgent_requests_open_at_once_with_a_five_minute_claim_deadline_and_tell_the_grid_worker() {
    let w = World::new().await;
    let now = w.app.clock.now();
    let filed =
        w.file("demo-elder", json!({ "urgent": true, "title": "急需送饭", "description": "一天没吃东西了" })).await;
    let id = id(&filed);
    assert_eq!(filed["urgent"], true);
    assert_eq!(filed["order"]["status"], "OPEN", "urgent requests skip triage");
    assert_about(&filed["order"]["claimDueAt"], now + Duration::minutes(5), "claimDueAt");
    assert!(filed["escalatedAt"].is_null());

    let notices = w.notices("demo-grid").await;
    assert!(
        notices.iter().any(|(kind, subject)| kind == "CARE_URGENT" && *subject == id),
        "the grid worker is told about an urgent request at once: {notices:?}"
    );

    let open = w.gql("demo-member-2", LIST, json!({ "c": w.chengnan, "open": true })).await;
    assert_eq!(ids(ok(&open)), [id.as_str()], "helpers see it in the open list");

    w.app.clock.advance(Duration::minutes(2));
    let claimed_at = w.app.clock.now();
    let claimed = w.gql("demo-member-2", CLAIM, json!({ "id": id })).await;
    assert_eq!(ok(&claimed)["status"], "CLAIMED");
    assert_about(&ok(&claimed)["completeDueAt"], claimed_at + Duration::hours(2), "completeDueAt");
}

#[tokio::test]
async fn each_kind_of_care_has_its_own_deadline_to_finish_after_the_claim() {
    let w = World::new().await;
    let cases = [
        (json!({ "kind": "MEAL_DELIVERY" }), 2),
        (json!({ "kind": "CASH_HELP", "cashAmountFen": 20_000, "title": "代取现金", "description": "取200元" }), 24),
        (json!({ "kind": "MEDICAL_ESCORT" }), 24),
        (json!({ "kind": "HOME_REPAIR" }), 48),
        (json!({ "kind": "COMPANIONSHIP" }), 72),
        (json!({ "kind": "HEALTH_CHECK" }), 72),
        (json!({ "kind": "OTHER" }), 72),
    ];
    for (input, hours) in cases {
        let kind = input["kind"].clone();
        let id = id(&w.file("demo-elder", input).await);
        assert_eq!(ok(&w.gql("demo-secretary", DISPATCH, json!({ "id": id })).await)["status"], "OPEN");
        w.app.clock.advance(Duration::minutes(1));
        let claimed_at = w.app.clock.now();
        let claimed = w.gql("demo-member-1", CLAIM, json!({ "id": id })).await;
        assert_about(&ok(&claimed)["completeDueAt"], claimed_at + Duration::hours(hours), &format!("{kind}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_helpers_claiming_one_urgent_request_at_once_leave_exactly_one_winner() {
    let w = World::new().await;
    let secretary = w.session("demo-secretary").await;
    let mut claimers = Vec::new();
    for who in ["demo-member-1", "demo-member-2", "demo-member-3", "demo-volunteer"] {
        claimers.push(w.session(who).await);
    }
    for n in 1..=6 {
        let s = w.app.newcomer(&format!("care-volunteer-{n}")).await;
        let granted = w
            .app
            .gql(Some(&secretary.access_token), GRANT, json!({ "c": w.chengnan, "u": s.user_id, "r": "VOLUNTEER" }))
            .await;
        ok(&granted);
        claimers.push(s);
    }
    let id = w.file_for_elder(json!({ "urgent": true })).await;

    let results = join_all(claimers.iter().map(|c| w.app.gql(Some(&c.access_token), CLAIM, json!({ "id": id })))).await;

    let mut winners = Vec::new();
    let mut codes: HashMap<String, usize> = HashMap::new();
    for (claimer, resp) in claimers.iter().zip(&results) {
        if resp.get("errors").is_none() {
            assert_eq!(resp["data"]["claimOrder"]["claimant"]["id"], claimer.user_id.as_str());
            winners.push(claimer.user_id.clone());
        } else {
            *codes.entry(error_code(resp)).or_default() += 1;
        }
    }
    assert_eq!(winners.len(), 1, "exactly one claim wins; losers: {codes:?}");
    assert_eq!(codes.get("ALREADY_CLAIMED"), Some(&9), "every loser is told it is taken: {codes:?}");
    let seen = w.care(&id).await;
    assert_eq!(seen["order"]["status"], "CLAIMED");
    assert_eq!(seen["order"]["claimant"]["id"], winners[0].as_str());
}

// ---------------------------------------------------------------------------
// The two-person cash hand-over
// ---------------------------------------------------------------------------

#[tokio::test]
async fn cash_help_completes_only_after_the_helper_records_the_hand_over_and_the_elder_confirms_it() {
    let w = World::new().await;
    let elder = w.id_of("demo-elder").await;
    let member = w.id_of("demo-member-1").await;
    let id = w.claimed_cash_request().await;
    let complete = json!({ "id": id, "note": "已取500元交给奶奶", "photos": [RECEIPT] });

    let early = w.gql("demo-member-1", COMPLETE, complete.clone()).await;
    assert_eq!(error_code(&early), "INVALID_STATE", "no hand-over recorded yet: {early}");
    let confirm_first = w.gql("demo-elder", CONFIRM, json!({ "id": id })).await;
    assert_eq!(error_code(&confirm_first), "INVALID_STATE", "nothing handed over to confirm: {confirm_first}");
    let not_the_helper = w.gql("demo-member-2", HANDOVER, json!({ "id": id, "url": RECEIPT })).await;
    assert_eq!(error_code(&not_the_helper), "FORBIDDEN", "{not_the_helper}");
    let no_receipt = w.gql("demo-member-1", HANDOVER, json!({ "id": id, "url": "http://example.com/r.jpg" })).await;
    assert_eq!(error_code(&no_receipt), "BAD_USER_INPUT", "{no_receipt}");
    assert_eq!(error_field(&no_receipt), "receiptUrl");

    w.app.clock.advance(Duration::minutes(30));
    let handed_at = w.app.clock.now();
    let handed = w.gql("demo-member-1", HANDOVER, json!({ "id": id, "url": RECEIPT })).await;
    let cash = &ok(&handed)["cash"];
    assert_eq!(cash["amountFen"], 50_000);
    assert_eq!(cash["handedBy"]["id"], member.as_str());
    assert_about(&cash["handedAt"], handed_at, "handedAt");
    assert_eq!(cash["receiptUrl"], RECEIPT);
    assert!(cash["confirmedBy"].is_null() && cash["confirmedAt"].is_null(), "{cash}");

    let twice = w.gql("demo-member-1", HANDOVER, json!({ "id": id, "url": RECEIPT })).await;
    assert_eq!(error_code(&twice), "INVALID_STATE", "{twice}");
    let own = w.gql("demo-member-1", CONFIRM, json!({ "id": id })).await;
    assert_eq!(error_code(&own), "FORBIDDEN", "the helper cannot confirm their own hand-over: {own}");
    let half = w.gql("demo-member-1", COMPLETE, complete.clone()).await;
    assert_eq!(error_code(&half), "INVALID_STATE", "one person's word is not enough: {half}");

    w.app.clock.advance(Duration::minutes(1));
    let confirmed_at = w.app.clock.now();
    let confirmed = w.gql("demo-elder", CONFIRM, json!({ "id": id })).await;
    let cash = &ok(&confirmed)["cash"];
    assert_eq!(cash["confirmedBy"]["id"], elder.as_str());
    assert_about(&cash["confirmedAt"], confirmed_at, "confirmedAt");
    let again = w.gql("demo-elder", CONFIRM, json!({ "id": id })).await;
    assert_eq!(error_code(&again), "INVALID_STATE", "{again}");

    assert_eq!(ok(&w.gql("demo-member-1", COMPLETE, complete).await)["status"], "AWAITING_APPROVAL");
    assert_eq!(ok(&w.gql("demo-secretary", APPROVE, json!({ "id": id })).await)["status"], "APPROVED");
    assert_eq!(ok(&w.gql("demo-elder", RATE, json!({ "id": id, "stars": 5 })).await)["status"], "CLOSED");
    let seen = w.care(&id).await;
    assert_eq!(seen["cash"]["handedBy"]["id"], member.as_str());
    assert_eq!(seen["cash"]["confirmedBy"]["id"], elder.as_str());
}

#[tokio::test]
async fn a_grid_worker_or_the_secretary_may_witness_the_cash_but_not_another_helper_or_a_neighbour() {
    let w = World::new().await;
    let grid = w.id_of("demo-grid").await;
    let id = w.claimed_cash_request().await;
    ok(&w.gql("demo-member-1", HANDOVER, json!({ "id": id, "url": RECEIPT })).await);

    for who in ["demo-member-2", "demo-volunteer"] {
        let refused = w.gql(who, CONFIRM, json!({ "id": id })).await;
        assert_eq!(error_code(&refused), "FORBIDDEN", "{who} is no witness: {refused}");
    }
    for who in ["demo-resident-2", "demo-secretary-2"] {
        let refused = w.gql(who, CONFIRM, json!({ "id": id })).await;
        assert_eq!(error_code(&refused), "NOT_FOUND", "{who} cannot even see it: {refused}");
    }
    assert!(w.care(&id).await["cash"]["confirmedAt"].is_null());

    let witnessed = w.gql("demo-grid", CONFIRM, json!({ "id": id })).await;
    assert_eq!(ok(&witnessed)["cash"]["confirmedBy"]["id"], grid.as_str());
    let late = w.gql("demo-secretary", CONFIRM, json!({ "id": id })).await;
    assert_eq!(error_code(&late), "INVALID_STATE", "{late}");
    let done = w.gql("demo-member-1", COMPLETE, json!({ "id": id, "note": "已交给奶奶", "photos": [RECEIPT] })).await;
    assert_eq!(ok(&done)["status"], "AWAITING_APPROVAL");
}

#[tokio::test]
async fn the_cash_steps_are_only_for_cash_requests() {
    let w = World::new().await;
    let id = w.file_for_elder(json!({ "urgent": true })).await;
    ok(&w.gql("demo-member-1", CLAIM, json!({ "id": id })).await);
    let handover = w.gql("demo-member-1", HANDOVER, json!({ "id": id, "url": RECEIPT })).await;
    assert_eq!(error_code(&handover), "BAD_USER_INPUT", "{handover}");
    let confirm = w.gql("demo-elder", CONFIRM, json!({ "id": id })).await;
    assert_eq!(error_code(&confirm), "BAD_USER_INPUT", "{confirm}");
    // And a plain meal delivery completes without any of it.
    let done = w.gql("demo-member-1", COMPLETE, json!({ "id": id, "note": "送到了", "photos": [PHOTO] })).await;
    assert_eq!(ok(&done)["status"], "AWAITING_APPROVAL");
}

// ---------------------------------------------------------------------------
// Idempotency
// ---------------------------------------------------------------------------

#[tokio::test]
async fn filing_again_with_the_same_idempotency_key_files_once_and_other_content_is_a_conflict() {
    let w = World::new().await;
    let key = "care-retry-0001";
    let first = w.file("demo-elder", json!({ "idempotencyKey": key })).await;
    let again = w.file("demo-elder", json!({ "idempotencyKey": key })).await;
    assert_eq!(first["id"], again["id"], "a retry files nothing new");

    let changed = w.try_file("demo-elder", json!({ "idempotencyKey": key, "title": "送晚饭" })).await;
    assert_eq!(error_code(&changed), "CONFLICT", "{changed}");
    let urgent = w.try_file("demo-elder", json!({ "idempotencyKey": key, "urgent": true })).await;
    assert_eq!(error_code(&urgent), "CONFLICT", "{urgent}");

    let mine = w.gql("demo-elder", MINE, json!({})).await;
    assert_eq!(ids(ok(&mine)), [id(&first)]);

    // Keys belong to one filer: the grid worker's request with the same key is another request.
    let elder = w.id_of("demo-elder").await;
    let other = w.file("demo-grid", json!({ "idempotencyKey": key, "elderId": elder })).await;
    assert_ne!(other["id"], first["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_retries_with_one_key_file_one_request() {
    let w = World::new().await;
    let token = w.session("demo-elder").await.access_token;
    let input = json!({ "input": { "communityId": w.chengnan, "kind": "MEAL_DELIVERY", "title": "送午饭",
        "description": "请帮忙送一份午饭", "urgent": true, "idempotencyKey": "care-race-0001" } });
    let results = join_all((0..8).map(|_| w.app.gql(Some(&token), FILE, input.clone()))).await;
    let filed: Vec<String> = results.iter().map(|r| id(ok(r))).collect();
    assert!(filed.iter().all(|i| *i == filed[0]), "every retry gets the one request: {filed:?}");
    let mine = w.gql("demo-elder", MINE, json!({})).await;
    assert_eq!(ids(ok(&mine)), [filed[0].clone()]);
}

// ---------------------------------------------------------------------------
// Lists and masking
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_community_list_is_for_helpers_and_staff_urgent_first_and_open_only_hides_finished_ones() {
    let w = World::new().await;
    let plain = w.file_for_elder(json!({})).await;
    let urgent = w.file_for_elder(json!({ "urgent": true })).await;
    let cancelled = w.file("demo-resident-1", json!({})).await;
    let cancelled = id(&cancelled);
    assert_eq!(ok(&w.gql("demo-resident-1", CANCEL, json!({ "id": cancelled })).await)["status"], "CANCELLED");

    for who in ["demo-member-1", "demo-volunteer", "demo-grid", "demo-secretary"] {
        let all = w.gql(who, LIST, json!({ "c": w.chengnan, "open": false })).await;
        assert_eq!(
            ids(ok(&all)),
            [urgent.clone(), cancelled.clone(), plain.clone()],
            "{who}: urgent first, then newest"
        );
        let open = w.gql(who, LIST, json!({ "c": w.chengnan, "open": true })).await;
        assert_eq!(ids(ok(&open)), [urgent.clone(), plain.clone()], "{who}");
    }
    for who in ["demo-resident-1", "demo-elder", "demo-canteen"] {
        let refused = w.gql(who, LIST, json!({ "c": w.chengnan, "open": false })).await;
        assert_eq!(error_code(&refused), "FORBIDDEN", "{who}: {refused}");
    }
    // To people of another community, the community is not there at all.
    for who in ["demo-secretary-2", "demo-resident-3"] {
        let refused = w.gql(who, LIST, json!({ "c": w.chengnan, "open": false })).await;
        assert_eq!(error_code(&refused), "NOT_FOUND", "{who}: {refused}");
    }
    let not_theirs = w.gql("demo-resident-2", CARE, json!({ "id": plain })).await;
    assert_eq!(error_code(&not_theirs), "NOT_FOUND", "a neighbour cannot open someone's request: {not_theirs}");
    let theirs = w.gql("demo-elder", CARE, json!({ "id": plain })).await;
    assert_eq!(id(ok(&theirs)), plain);
}

#[tokio::test]
async fn a_party_member_sees_the_contact_masked_until_they_claim_the_request() {
    let w = World::new().await;
    let id = id(&w.file("demo-resident-1", json!({ "urgent": true })).await);

    let listed = w.gql("demo-member-1", LIST, json!({ "c": w.chengnan, "open": true })).await;
    let order = &ok(&listed)[0]["order"];
    assert_eq!(order["contactMasked"], true, "{order}");
    assert_eq!(order["contactPhone"], "138****5678");
    assert_eq!(order["address"], "城南社区3栋****");
    let one = w.gql("demo-member-1", CARE, json!({ "id": id })).await;
    assert_eq!(ok(&one)["order"]["contactPhone"], "138****5678");

    let staff = w.gql("demo-grid", CARE, json!({ "id": id })).await;
    assert_eq!(ok(&staff)["order"]["contactPhone"], "13812345678", "the grid worker sees it in full");

    ok(&w.gql("demo-member-1", CLAIM, json!({ "id": id })).await);
    let claimed = w.gql("demo-member-1", CARE, json!({ "id": id })).await;
    let order = &ok(&claimed)["order"];
    assert_eq!(order["contactMasked"], false, "{order}");
    assert_eq!(order["contactPhone"], "13812345678");
    assert_eq!(order["address"], "城南社区3栋2单元502");

    let other = w.gql("demo-member-2", CARE, json!({ "id": id })).await;
    assert_eq!(ok(&other)["order"]["contactPhone"], "138****5678", "other members still see it masked");
}

// ---------------------------------------------------------------------------
// Escalation of urgent requests nobody claims
// ---------------------------------------------------------------------------

#[tokio::test]
async fn an_urgent_request_nobody_claims_in_five_minutes_is_escalated_to_the_secretary_once() {
    let w = World::new().await;
    let id = w.file_for_elder(json!({ "urgent": true })).await;
    let numeric: i64 = id.parse().unwrap();

    w.app.clock.advance(Duration::minutes(4));
    assert_eq!(w.app.domain.care().escalate_unclaimed().await.unwrap(), Vec::<i64>::new(), "not yet due");
    assert!(w.care(&id).await["escalatedAt"].is_null());

    w.app.clock.advance(Duration::minutes(2));
    let swept_at = w.app.clock.now();
    assert_eq!(w.app.domain.care().escalate_unclaimed().await.unwrap(), [numeric]);
    assert_eq!(w.app.domain.care().escalate_unclaimed().await.unwrap(), Vec::<i64>::new(), "once only");

    let seen = w.care(&id).await;
    assert_about(&seen["escalatedAt"], swept_at, "escalatedAt");
    assert_eq!(seen["order"]["status"], "OPEN", "still open for anyone to claim");

    let notices = w.notices("demo-secretary").await;
    let escalations: Vec<_> =
        notices.iter().filter(|(kind, subject)| kind == "CARE_ESCALATED" && *subject == id).collect();
    assert_eq!(escalations.len(), 1, "the secretary is told once: {notices:?}");

    // It can still be claimed afterwards.
    assert_eq!(ok(&w.gql("demo-member-1", CLAIM, json!({ "id": id })).await)["status"], "CLAIMED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sweeps_escalate_an_urgent_request_exactly_once() {
    let w = World::new().await;
    let id: i64 = w.file_for_elder(json!({ "urgent": true })).await.parse().unwrap();
    w.app.clock.advance(Duration::minutes(6));

    let sweeps: Vec<_> = (0..6)
        .map(|_| {
            let domain = w.app.domain.clone();
            tokio::spawn(async move { domain.care().escalate_unclaimed().await })
        })
        .collect();
    let mut escalated = Vec::new();
    for sweep in join_all(sweeps).await {
        escalated.extend(sweep.unwrap().unwrap());
    }
    assert_eq!(escalated, [id], "one sweep escalates it, the rest find it done");
    let notices = w.notices("demo-secretary").await;
    assert_eq!(notices.iter().filter(|(kind, _)| kind == "CARE_ESCALATED").count(), 1, "{notices:?}");
}

#[tokio::test]
async fn claimed_cancelled_and_non_urgent_requests_are_not_escalated() {
    let w = World::new().await;
    let claimed = w.file_for_elder(json!({ "urgent": true })).await;
    ok(&w.gql("demo-member-1", CLAIM, json!({ "id": claimed })).await);
    let cancelled = w.file_for_elder(json!({ "urgent": true })).await;
    ok(&w.gql("demo-secretary", CANCEL, json!({ "id": cancelled })).await);
    let plain = w.file_for_elder(json!({})).await;
    ok(&w.gql("demo-secretary", DISPATCH, json!({ "id": plain })).await);
    let submitted = w.file_for_elder(json!({})).await;

    w.app.clock.advance(Duration::hours(3));
    assert_eq!(w.app.domain.care().escalate_unclaimed().await.unwrap(), Vec::<i64>::new());
    for id in [claimed, cancelled, plain, submitted] {
        assert!(w.care(&id).await["escalatedAt"].is_null(), "{id}");
    }
    let notices = w.notices("demo-secretary").await;
    assert!(notices.iter().all(|(kind, _)| kind != "CARE_ESCALATED"), "{notices:?}");
}
