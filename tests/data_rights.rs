// The residents' data rights: the export of everything linli holds about a
// person, and deletion (by the person, or by the secretary for an elder).

use crate::common::*;
use serde_json::{Value, json};

const EXPORT: &str = "{ exportMyData }";
const DELETE: &str = "mutation($c: String!, $u: ID) { deleteMyData(confirm: $c, userId: $u) { userId carriedOutBy { id displayName } at } }";
const SAVE: &str = "mutation($input: CareProfileInput!) { saveCareProfile(input: $input) { id } }";
const CONSENT: &str = "mutation($e: ID!) { recordCareConsent(input: { elderId: $e, givenBy: SELF, wordingVersion: \"2026-01\" }) { id } }";
const NOTE: &str = "mutation($e: ID!, $b: String!) { addHealthNote(elderId: $e, body: $b) { id } }";
const LOG_VISIT: &str =
    "mutation($e: ID!, $at: DateTime!) { logVisit(elderId: $e, visitedAt: $at, notes: \"一切安好\") { id } }";
const PLACE: &str = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }";
const DISPATCH: &str = "mutation($id: ID!) { dispatchOrder(orderId: $id) { id status } }";
const CLAIM: &str = "mutation($id: ID!) { claimOrder(orderId: $id) { id status } }";
const CANCEL: &str = "mutation($id: ID!) { cancelOrder(orderId: $id) { id status } }";
const ORDER: &str = "query($id: ID!) { order(id: $id) { id status placedBy { id displayName } } }";
const AWARD: &str = "mutation($c: ID!, $u: ID!, $k: String!) { awardCivilityPoints(communityId: $c, userId: $u, \
                     points: 5, reason: \"参加环境整治\", idempotencyKey: $k) { id } }";
const ME: &str = "{ me { id displayName phone memberships { roles } } }";

const ELDER_PHONE: &str = "0855-3331234";
const GRID_PHONE: &str = "13908550002";
const LEAD_PHONE: &str = "13812345678";
const CONTACT_PHONE: &str = "13600001111";
const MEMBER_PHONE: &str = "13908550011";

fn roomy(config: &mut api::Config) {
    config.limits.mutations_per_minute = 100_000;
    config.limits.logins_per_openid_per_minute = 1_000;
}

async fn gql(app: &TestApp, who: &Session, query: &str, vars: Value) -> Value {
    app.gql(Some(&who.access_token), query, vars).await
}

/// 吴奶奶 with a profile, consent, a health note, a visit, and one read of her phone by the grid worker.
async fn cared_for_elder(app: &TestApp, c: &str) -> (Session, Session, Session, Session) {
    let secretary = app.login("demo-secretary").await;
    let grid = app.login("demo-grid").await;
    let lead = app.login("demo-resident-1").await;
    let elder = app.login("demo-elder").await;
    let input = json!({ "communityId": c, "elderId": elder.user_id, "needs": ["MOBILITY"], "livesAlone": true,
                        "gridWorkerId": grid.user_id, "householdLeadId": lead.user_id, "address": "城南社区1栋1单元101",
                        "emergencyContacts": [{ "name": "吴小梅", "relation": "女儿", "phone": CONTACT_PHONE,
                                                "linkedUserId": lead.user_id }] });
    data(&gql(app, &grid, SAVE, json!({ "input": input })).await, "saveCareProfile");
    data(&gql(app, &elder, CONSENT, json!({ "e": elder.user_id })).await, "recordCareConsent");
    data(&gql(app, &grid, NOTE, json!({ "e": elder.user_id, "b": "高血压" })).await, "addHealthNote");
    let now = domain::Clock::now(&app.clock).to_rfc3339();
    data(&gql(app, &grid, LOG_VISIT, json!({ "e": elder.user_id, "at": now })).await, "logVisit");
    let read =
        gql(app, &grid, "query($e: ID!) { careProfile(elderId: $e) { phone } }", json!({ "e": elder.user_id })).await;
    assert_eq!(data(&read, "careProfile")["phone"], ELDER_PHONE);
    (secretary, grid, lead, elder)
}

#[tokio::test]
async fn the_export_holds_my_records_and_no_one_elses_phone() {
    let app = spawn_app_with(roomy).await;
    let c = app.community_id(CHENGNAN).await;
    let (secretary, grid, _lead, elder) = cared_for_elder(&app, &c).await;
    let member = app.login("demo-member-1").await;
    let placed = gql(
        &app,
        &elder,
        PLACE,
        json!({ "input": { "communityId": c, "category": "REPAIR", "title": "灯坏了",
                                                             "description": "厨房灯不亮" } }),
    )
    .await;
    let order_id = data(&placed, "placeOrder")["id"].as_str().unwrap().to_owned();
    data(&gql(&app, &secretary, DISPATCH, json!({ "id": order_id })).await, "dispatchOrder");
    data(&gql(&app, &member, CLAIM, json!({ "id": order_id })).await, "claimOrder");

    let export = gql(&app, &elder, EXPORT, json!({})).await;
    let x = data(&export, "exportMyData");
    assert_eq!(x["profile"]["id"].to_string(), elder.user_id);
    assert_eq!(x["profile"]["phone"], ELDER_PHONE);
    assert_eq!(x["memberships"][0]["roles"], json!(["RESIDENT"]));
    assert_eq!(x["orders"][0]["title"], "灯坏了");
    assert_eq!(x["orders"][0]["contactPhone"], ELDER_PHONE, "her own phone on her own order");
    assert_eq!(x["orders"][0]["claimant"]["displayName"], "李党员");
    let care = &x["careProfile"];
    assert_eq!(care["needs"], json!(["MOBILITY"]));
    assert_eq!(care["gridWorker"]["displayName"], "吴网格员");
    assert_eq!(care["healthNotes"][0]["body"], "高血压");
    assert_eq!(care["consents"][0]["givenBy"], "SELF");
    assert_eq!(care["emergencyContacts"][0]["name"], "吴小梅");
    assert_eq!(care["emergencyContacts"][0]["phone"], "136****1111");
    assert_eq!(x["visitsAboutYou"][0]["visitor"]["displayName"], "吴网格员");
    assert_eq!(x["sensitiveAccessLog"][0]["accessor"]["displayName"], "吴网格员");
    assert_eq!(x["sensitiveAccessLog"][0]["field"], "PHONE");
    for key in ["mealBookings", "redemptions", "civilityPoints", "dedicationEntries", "wishes"] {
        assert!(x[key].is_array(), "{key} missing");
    }
    let text = export.to_string();
    for other in [GRID_PHONE, LEAD_PHONE, CONTACT_PHONE, MEMBER_PHONE, "13908550001"] {
        assert!(!text.contains(other), "another person's phone {other} in the export: {text}");
    }
    // The export is not a read by someone else: the log stays as it was.
    let mine = gql(&app, &elder, "{ myDataAccessLog { totalCount } }", json!({})).await;
    assert_eq!(data(&mine, "myDataAccessLog")["totalCount"], 1);

    // The helper's export shows the order they claimed, without the resident's contact details.
    let export = gql(&app, &member, EXPORT, json!({})).await;
    let x = data(&export, "exportMyData");
    assert_eq!(x["orders"][0]["yourPart"], "HELPER");
    assert!(x["orders"][0]["contactPhone"].is_null());
    assert!(x["orders"][0]["address"].is_null());
    assert_eq!(x["orders"][0]["placedBy"]["displayName"], "吴奶奶");
    assert!(x["careProfile"].is_null());
    assert!(!export.to_string().contains(ELDER_PHONE));
    assert!(!export.to_string().contains("1单元101"));
    // The grid worker's export holds no one's health notes.
    let export = gql(&app, &grid, EXPORT, json!({})).await;
    assert!(!export.to_string().contains("高血压"));

    assert_eq!(error_code(&app.gql(None, EXPORT, json!({})).await), "UNAUTHENTICATED");
}

#[tokio::test]
async fn deleting_my_data_anonymises_me_and_the_same_wechat_account_starts_afresh() {
    let app = spawn_app_with(roomy).await;
    let c = app.community_id(CHENGNAN).await;
    let secretary = app.login("demo-secretary").await;
    let me = app.login("demo-resident-2").await;
    data(
        &gql(&app, &secretary, AWARD, json!({ "c": c, "u": me.user_id, "k": "award-before-delete-1" })).await,
        "awardCivilityPoints",
    );
    let placed = gql(
        &app,
        &me,
        PLACE,
        json!({ "input": { "communityId": c, "category": "REPAIR", "title": "门锁坏了",
                                                          "description": "大门锁打不开" } }),
    )
    .await;
    let order_id = data(&placed, "placeOrder")["id"].as_str().unwrap().to_owned();

    for confirm in ["", "删除", "yes"] {
        let r = gql(&app, &me, DELETE, json!({ "c": confirm })).await;
        assert_eq!(error_code(&r), "BAD_USER_INPUT");
        assert_eq!(r["errors"][0]["extensions"]["field"], "confirm");
    }
    // An open order must be settled first; the message names it.
    let r = gql(&app, &me, DELETE, json!({ "c": "注销" })).await;
    assert_eq!(error_code(&r), "BAD_USER_INPUT", "{r}");
    assert_eq!(r["errors"][0]["extensions"]["field"], "openItems");
    assert!(r["errors"][0]["message"].as_str().unwrap().contains(&format!("#{order_id}")), "{r}");
    data(&gql(&app, &me, CANCEL, json!({ "id": order_id })).await, "cancelOrder");

    let deleted = gql(&app, &me, DELETE, json!({ "c": "注销" })).await;
    let deleted = data(&deleted, "deleteMyData");
    assert_eq!(deleted["userId"], me.user_id.as_str());
    assert_eq!(deleted["carriedOutBy"]["displayName"], "已注销居民");

    // The old session has ended.
    assert_eq!(error_code(&gql(&app, &me, ME, json!({})).await), "UNAUTHENTICATED");
    // Signing in again with the same WeChat account makes a fresh account.
    let again = app.login("demo-resident-2").await;
    assert_ne!(again.user_id, me.user_id);
    let fresh = gql(&app, &again, ME, json!({})).await;
    let fresh = data(&fresh, "me");
    assert!(fresh["phone"].is_null());
    assert_eq!(fresh["memberships"], json!([]));

    // Kept records keep their ids and point at the anonymised person.
    let order = gql(&app, &secretary, ORDER, json!({ "id": order_id })).await;
    let order = data(&order, "order");
    assert_eq!(order["status"], "CANCELLED");
    assert_eq!(order["placedBy"]["id"], me.user_id.as_str());
    assert_eq!(order["placedBy"]["displayName"], "已注销居民");
    let account = gql(
        &app,
        &secretary,
        "query($c: ID!, $u: ID) { civilityAccount(communityId: $c, userId: $u) { balance } }",
        json!({ "c": c, "u": me.user_id }),
    )
    .await;
    assert_eq!(data(&account, "civilityAccount")["balance"], 5);
    app.assert_ledger_balanced().await;
    let user = app.domain.org().user(me.user_id.parse().unwrap()).await.unwrap();
    assert_eq!(user.display_name, "已注销居民");
    assert!(user.phone.is_none() && user.address.is_none());
}

#[tokio::test]
async fn a_secretary_deletes_for_an_elder_who_cannot_use_a_phone_and_her_care_data_is_erased() {
    use domain::entities::{care_consent, care_contact, care_health_note, care_visit, data_deletion};
    use sea_orm::EntityTrait;

    let app = spawn_app_with(roomy).await;
    let c = app.community_id(CHENGNAN).await;
    let (secretary, grid, lead, elder) = cared_for_elder(&app, &c).await;
    let other_secretary = app.login("demo-secretary-2").await;
    let vars = json!({ "c": "注销", "u": elder.user_id });
    assert_eq!(error_code(&gql(&app, &grid, DELETE, vars.clone()).await), "FORBIDDEN");
    assert_eq!(error_code(&gql(&app, &lead, DELETE, vars.clone()).await), "FORBIDDEN");
    assert_eq!(error_code(&gql(&app, &other_secretary, DELETE, vars.clone()).await), "FORBIDDEN");

    let deleted = gql(&app, &secretary, DELETE, vars.clone()).await;
    let deleted = data(&deleted, "deleteMyData");
    assert_eq!(deleted["userId"], elder.user_id.as_str());
    assert_eq!(deleted["carriedOutBy"]["displayName"], "杨书记");
    assert_eq!(error_code(&gql(&app, &secretary, DELETE, vars).await), "FORBIDDEN", "no longer a resident");

    let profile =
        gql(&app, &secretary, "query($e: ID!) { careProfile(elderId: $e) { id } }", json!({ "e": elder.user_id }))
            .await;
    assert_eq!(error_code(&profile), "NOT_FOUND");
    let db = &app.domain.db;
    assert!(care_health_note::Entity::find().all(db).await.unwrap().is_empty());
    assert!(care_consent::Entity::find().all(db).await.unwrap().is_empty());
    assert!(care_contact::Entity::find().all(db).await.unwrap().is_empty());
    let visits = care_visit::Entity::find().all(db).await.unwrap();
    assert_eq!(visits.len(), 1, "the visit stays as the grid worker's record");
    assert_eq!(visits[0].notes, "");
    let record = data_deletion::Entity::find().all(db).await.unwrap();
    assert_eq!(record.len(), 1);
    assert_eq!(record[0].carried_out_by.to_string(), secretary.user_id);
    assert_eq!(error_code(&gql(&app, &elder, ME, json!({})).await), "UNAUTHENTICATED");
    // The log of who read her data stays, pointing at the anonymised person.
    let log = gql(
        &app,
        &secretary,
        "query($c: ID!, $s: ID) { sensitiveAccessLog(communityId: $c, subjectId: $s) { \
                                     totalCount edges { node { subject { displayName } } } } }",
        json!({ "c": c, "s": elder.user_id }),
    )
    .await;
    let log = data(&log, "sensitiveAccessLog");
    assert_eq!(log["totalCount"], 1);
    assert_eq!(log["edges"][0]["node"]["subject"]["displayName"], "已注销居民");
    app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn the_only_secretary_must_hand_over_the_role_before_deleting() {
    let app = spawn_app_with(roomy).await;
    let secretary = app.login("demo-secretary-2").await;
    let r = gql(&app, &secretary, DELETE, json!({ "c": "注销" })).await;
    assert_eq!(error_code(&r), "BAD_USER_INPUT");
    assert_eq!(r["errors"][0]["extensions"]["field"], "openItems");
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("only secretary"), "{r}");
}
