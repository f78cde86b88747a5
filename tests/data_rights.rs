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
const REQUEST: &str = concat!(
    "mutation($u: ID!, $c: String!, $r: String!) { requestDataDeletion(userId: $u, confirm: $c, reason: $r) { ",
    "id status reason subject { id displayName } requestedBy { displayName } } }"
);
const CONFIRM: &str = concat!(
    "mutation($id: ID!) { confirmDataDeletion(requestId: $id) { id status subject { displayName } ",
    "decidedBy { displayName } history { toStatus note actor { displayName } } } }"
);
const REFUSE: &str = concat!(
    "mutation($id: ID!, $r: String!) { refuseDataDeletion(requestId: $id, reason: $r) { id status ",
    "refusalReason decidedBy { displayName } history { toStatus note actor { displayName } } } }"
);
const WITHDRAW: &str = "mutation($id: ID!) { withdrawDataDeletion(requestId: $id) { id status } }";
const LIST: &str = "query($c: ID!, $s: DataDeletionStatus) { dataDeletionRequests(communityId: $c, status: $s) { \
                    id status subject { displayName } } }";

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

/// The person's data is as it was: their name, their session, no deletion recorded.
async fn assert_still_there(app: &TestApp, person: &Session) {
    use domain::entities::data_deletion;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let me = gql(app, person, ME, json!({})).await;
    let me = data(&me, "me");
    assert_ne!(me["displayName"], "已注销居民", "{me}");
    assert!(!me["memberships"].as_array().unwrap().is_empty(), "still a member: {me}");
    let id: i64 = person.user_id.parse().unwrap();
    let recorded =
        data_deletion::Entity::find().filter(data_deletion::Column::UserId.eq(id)).all(&app.domain.db).await.unwrap();
    assert!(recorded.is_empty(), "no deletion was carried out");
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
async fn a_secretarys_request_erases_an_elders_data_only_once_another_staff_member_confirms() {
    use domain::entities::{care_consent, care_contact, care_health_note, care_visit, data_deletion};
    use sea_orm::EntityTrait;

    let app = spawn_app_with(roomy).await;
    let c = app.community_id(CHENGNAN).await;
    let (secretary, grid, lead, elder) = cared_for_elder(&app, &c).await;
    let other_secretary = app.login("demo-secretary-2").await;
    let ask = json!({ "u": elder.user_id, "c": "注销", "r": "吴奶奶不会用手机，当面申请注销" });
    // Only her community's secretary may ask; a grid worker is told so, others do not learn she exists.
    assert_eq!(error_code(&gql(&app, &grid, REQUEST, ask.clone()).await), "FORBIDDEN");
    assert_eq!(error_code(&gql(&app, &lead, REQUEST, ask.clone()).await), "NOT_FOUND");
    assert_eq!(error_code(&gql(&app, &other_secretary, REQUEST, ask.clone()).await), "NOT_FOUND");
    let wrong_word = gql(&app, &secretary, REQUEST, json!({ "u": elder.user_id, "c": "删除", "r": "当面申请" })).await;
    assert_eq!(error_field(&wrong_word), "confirm", "{wrong_word}");
    assert_still_there(&app, &elder).await;

    // deleteMyData no longer deletes someone else's data alone: it points to the request.
    let alone = gql(&app, &secretary, DELETE, json!({ "c": "注销", "u": elder.user_id })).await;
    assert_eq!(error_code(&alone), "BAD_USER_INPUT", "{alone}");
    assert_eq!(error_field(&alone), "userId");
    let message = alone["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("需要另一位社区工作人员确认") && message.contains("requestDataDeletion"), "{alone}");
    assert_still_there(&app, &elder).await;

    let asked = gql(&app, &secretary, REQUEST, ask.clone()).await;
    let request = data(&asked, "requestDataDeletion").clone();
    assert_eq!(request["status"], "PENDING");
    assert_eq!(request["subject"]["displayName"], "吴奶奶");
    assert_eq!(request["requestedBy"]["displayName"], "杨书记");
    let id = request["id"].as_str().unwrap().to_owned();
    assert_still_there(&app, &elder).await;
    // Asking again answers the pending request, not a second one.
    assert_eq!(data(&gql(&app, &secretary, REQUEST, ask).await, "requestDataDeletion")["id"], id.as_str());

    // Nobody confirms their own request, and the person cannot confirm it either.
    let own = gql(&app, &secretary, CONFIRM, json!({ "id": id })).await;
    assert_eq!(error_code(&own), "FORBIDDEN", "{own}");
    assert!(own["errors"][0]["message"].as_str().unwrap().contains("不能由你确认删除数据"), "{own}");
    assert_still_there(&app, &elder).await;
    assert_eq!(error_code(&gql(&app, &elder, CONFIRM, json!({ "id": id })).await), "FORBIDDEN");
    assert_still_there(&app, &elder).await;
    assert_eq!(error_code(&gql(&app, &lead, CONFIRM, json!({ "id": id })).await), "FORBIDDEN", "a resident");
    assert_eq!(error_code(&gql(&app, &other_secretary, CONFIRM, json!({ "id": id })).await), "NOT_FOUND");
    assert_still_there(&app, &elder).await;

    let confirmed = gql(&app, &grid, CONFIRM, json!({ "id": id })).await;
    let confirmed = data(&confirmed, "confirmDataDeletion");
    assert_eq!(confirmed["status"], "CONFIRMED");
    assert_eq!(confirmed["decidedBy"]["displayName"], "吴网格员");
    assert_eq!(confirmed["subject"]["displayName"], "已注销居民");
    let steps: Vec<(Value, Value)> = confirmed["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["toStatus"].clone(), e["actor"]["displayName"].clone()))
        .collect();
    assert_eq!(steps, vec![(json!("PENDING"), json!("杨书记")), (json!("CONFIRMED"), json!("吴网格员"))]);

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
    assert_eq!(record[0].carried_out_by.to_string(), secretary.user_id, "carried out by the one who asked");
    let summary: Value = serde_json::from_str(&record[0].summary).unwrap();
    assert_eq!(summary["confirmedBy"].to_string(), grid.user_id);
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
    // No longer a resident: a new request does not find her.
    let again = gql(&app, &secretary, REQUEST, json!({ "u": elder.user_id, "c": "注销", "r": "再次申请" })).await;
    assert_eq!(error_code(&again), "NOT_FOUND");
    app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn a_person_who_also_belongs_to_another_community_is_left_to_that_community() {
    let app = spawn_app_with(roomy).await;
    let secretary = app.login("demo-secretary").await;
    let newcomer = app.newcomer("moved-between-communities").await;
    // She joins 城北社区 too.
    let joined = gql(&app, &newcomer, "mutation { requestToJoin(inviteCode: \"CHENGBEI\") { id } }", json!({})).await;
    let join = payload(&joined)["id"].clone();
    let approved = app
        .gql_as(
            "demo-secretary-2",
            "mutation($id: ID!) { approveJoinRequest(joinRequestId: $id) { status } }",
            json!({ "id": join }),
        )
        .await;
    assert_eq!(payload(&approved)["status"], "APPROVED");

    for who in [&secretary, &app.login("demo-secretary-2").await] {
        let r = gql(&app, who, REQUEST, json!({ "u": newcomer.user_id, "c": "注销", "r": "本人口头申请" })).await;
        assert_eq!(error_code(&r), "FORBIDDEN", "{r}");
        assert!(r["errors"][0]["message"].as_str().unwrap().contains("其他社区"), "{r}");
        assert_still_there(&app, &newcomer).await;
    }
    let c = app.community_id(CHENGNAN).await;
    let listed = gql(&app, &secretary, LIST, json!({ "c": c, "s": null })).await;
    assert_eq!(data(&listed, "dataDeletionRequests"), &json!([]), "nothing was asked");
    let roles = data(&gql(&app, &newcomer, ME, json!({})).await, "me")["memberships"].clone();
    assert_eq!(roles.as_array().unwrap().len(), 2, "{roles}");
}

#[tokio::test]
async fn a_confirmation_checks_the_rules_again_and_a_refused_one_leaves_the_request_pending() {
    let app = spawn_app_with(roomy).await;
    let c = app.community_id(CHENGNAN).await;
    let secretary = app.login("demo-secretary").await;
    let grid = app.login("demo-grid").await;
    let newcomer = app.newcomer("joins-elsewhere-meanwhile").await;
    let ask = json!({ "u": newcomer.user_id, "c": "注销", "r": "本人口头申请" });
    let id = data(&gql(&app, &secretary, REQUEST, ask).await, "requestDataDeletion")["id"].clone();
    // Before it is confirmed she joins 城北社区 too: the erase in the confirmation is refused.
    let joined = gql(&app, &newcomer, "mutation { requestToJoin(inviteCode: \"CHENGBEI\") { id } }", json!({})).await;
    let approve = "mutation($id: ID!) { approveJoinRequest(joinRequestId: $id) { status } }";
    payload(&app.gql_as("demo-secretary-2", approve, json!({ "id": payload(&joined)["id"] })).await);
    let refused = gql(&app, &grid, CONFIRM, json!({ "id": id })).await;
    assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    assert_still_there(&app, &newcomer).await;
    let pending = gql(&app, &grid, LIST, json!({ "c": c, "s": "PENDING" })).await;
    assert_eq!(data(&pending, "dataDeletionRequests")[0]["id"], id, "the confirmation was not written either");
}

#[tokio::test]
async fn a_sibling_communitys_secretary_neither_finds_the_person_nor_sees_the_requests() {
    let app = spawn_app_with(roomy).await;
    let c = app.community_id(CHENGNAN).await;
    let secretary = app.login("demo-secretary").await;
    let sibling = app.login("demo-secretary-2").await;
    let resident = app.login("demo-resident-1").await;
    let ask = json!({ "u": resident.user_id, "c": "注销", "r": "本人口头申请" });
    assert_eq!(error_code(&gql(&app, &sibling, REQUEST, ask.clone()).await), "NOT_FOUND");
    let id = data(&gql(&app, &secretary, REQUEST, ask).await, "requestDataDeletion")["id"].clone();
    for refused in [
        gql(&app, &sibling, CONFIRM, json!({ "id": id })).await,
        gql(&app, &sibling, REFUSE, json!({ "id": id, "r": "不同意" })).await,
        gql(&app, &sibling, WITHDRAW, json!({ "id": id })).await,
        gql(&app, &sibling, LIST, json!({ "c": c, "s": null })).await,
    ] {
        assert_eq!(error_code(&refused), "NOT_FOUND", "{refused}");
        assert_still_there(&app, &resident).await;
    }
    let pending = gql(&app, &secretary, LIST, json!({ "c": c, "s": "PENDING" })).await;
    assert_eq!(data(&pending, "dataDeletionRequests")[0]["id"], id);
}

#[tokio::test]
async fn a_refused_or_withdrawn_request_deletes_nothing_and_cannot_be_confirmed_afterwards() {
    let app = spawn_app_with(roomy).await;
    let c = app.community_id(CHENGNAN).await;
    let secretary = app.login("demo-secretary").await;
    let grid = app.login("demo-grid").await;
    let resident = app.login("demo-resident-2").await;
    let ask = json!({ "u": resident.user_id, "c": "注销", "r": "家属代为申请" });

    let first = data(&gql(&app, &secretary, REQUEST, ask.clone()).await, "requestDataDeletion")["id"].clone();
    let own = gql(&app, &secretary, REFUSE, json!({ "id": first, "r": "不需要了" })).await;
    assert_eq!(error_code(&own), "FORBIDDEN", "the asker withdraws rather than refuses: {own}");
    let no_reason = gql(&app, &grid, REFUSE, json!({ "id": first, "r": "  " })).await;
    assert_eq!(error_field(&no_reason), "reason", "{no_reason}");
    assert_eq!(error_code(&gql(&app, &grid, WITHDRAW, json!({ "id": first })).await), "FORBIDDEN", "not hers");
    assert_still_there(&app, &resident).await;
    let refused = gql(&app, &grid, REFUSE, json!({ "id": first, "r": "本人不同意注销" })).await;
    let refused = data(&refused, "refuseDataDeletion");
    assert_eq!(refused["status"], "REFUSED");
    assert_eq!(refused["refusalReason"], "本人不同意注销");
    assert_eq!(refused["history"][1]["note"], "本人不同意注销");
    assert_still_there(&app, &resident).await;
    for again in [
        gql(&app, &grid, CONFIRM, json!({ "id": first })).await,
        gql(&app, &secretary, WITHDRAW, json!({ "id": first })).await,
    ] {
        assert_eq!(error_code(&again), "INVALID_STATE", "{again}");
        assert_still_there(&app, &resident).await;
    }

    // A refused request does not block a new one; the asker may withdraw that.
    let second = data(&gql(&app, &secretary, REQUEST, ask).await, "requestDataDeletion")["id"].clone();
    assert_ne!(second, first);
    let withdrawn = gql(&app, &secretary, WITHDRAW, json!({ "id": second })).await;
    assert_eq!(data(&withdrawn, "withdrawDataDeletion")["status"], "WITHDRAWN");
    assert_eq!(error_code(&gql(&app, &grid, CONFIRM, json!({ "id": second })).await), "INVALID_STATE");
    assert_still_there(&app, &resident).await;

    let statuses = |list: &Value| -> Vec<Value> {
        data(list, "dataDeletionRequests").as_array().unwrap().iter().map(|r| r["status"].clone()).collect()
    };
    let all = gql(&app, &grid, LIST, json!({ "c": c, "s": null })).await;
    assert_eq!(statuses(&all), vec![json!("REFUSED"), json!("WITHDRAWN")]);
    let pending = gql(&app, &grid, LIST, json!({ "c": c, "s": "PENDING" })).await;
    assert_eq!(statuses(&pending), Vec::<Value>::new());
    assert_eq!(error_code(&gql(&app, &resident, LIST, json!({ "c": c, "s": null })).await), "FORBIDDEN");
}

#[tokio::test]
async fn staff_deciding_one_request_at_once_decide_it_exactly_once() {
    use domain::entities::data_deletion;
    use futures_util::future::join_all;
    use sea_orm::EntityTrait;

    let app = spawn_app_with(roomy).await;
    let c = app.community_id(CHENGNAN).await;
    let secretary = app.login("demo-secretary").await;
    let grid = app.login("demo-grid").await;
    // A second grid worker, so that two staff members besides the asker confirm at once.
    let member = app.login("demo-member-1").await;
    let grid_2 = app.grids("demo-secretary", &c).await[1].clone();
    payload(&gql(&app, &secretary, APPOINT, json!({ "unit": grid_2, "u": member.user_id, "r": "GRID_WORKER" })).await);
    let resident = app.newcomer("resident-who-cannot-use-a-phone").await;
    let ask = json!({ "u": resident.user_id, "c": "注销", "r": "本人当面申请" });
    let id = data(&gql(&app, &secretary, REQUEST, ask).await, "requestDataDeletion")["id"].clone();

    let decisions = join_all((0..6).map(|i| {
        let (who, query, vars) = match i % 3 {
            0 => (&grid, CONFIRM, json!({ "id": id })),
            1 => (&member, CONFIRM, json!({ "id": id })),
            _ => (&grid, REFUSE, json!({ "id": id, "r": "再核实一下" })),
        };
        gql(&app, who, query, vars)
    }))
    .await;
    let decided: Vec<&Value> = decisions.iter().filter(|r| r["errors"].is_null()).collect();
    assert_eq!(decided.len(), 1, "{decisions:?}");
    for refused in decisions.iter().filter(|r| !r["errors"].is_null()) {
        assert_eq!(error_code(refused), "INVALID_STATE", "{refused}");
    }
    let status = payload(decided[0])["status"].as_str().unwrap().to_owned();
    let history = payload(decided[0])["history"].as_array().unwrap().len();
    assert_eq!(history, 2, "one decision in the history: {}", decided[0]);
    let deletions = data_deletion::Entity::find().all(&app.domain.db).await.unwrap();
    match status.as_str() {
        "CONFIRMED" => assert_eq!(deletions.len(), 1),
        "REFUSED" => {
            assert!(deletions.is_empty());
            assert_still_there(&app, &resident).await;
        }
        other => panic!("decided as {other}"),
    }
}

#[tokio::test]
async fn the_only_secretary_must_hand_over_the_role_before_deleting() {
    let app = spawn_app_with(roomy).await;
    let secretary = app.login("demo-secretary-2").await;
    let r = gql(&app, &secretary, DELETE, json!({ "c": "注销" })).await;
    assert_eq!(error_code(&r), "BAD_USER_INPUT");
    assert_eq!(r["errors"][0]["extensions"]["field"], "openItems");
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("唯一的书记"), "{r}");
}
