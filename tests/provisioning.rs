//! Putting a county into service from an empty database: the operator's
//! command line creates the county and names its admin by phone; the admin
//! signs in, builds the street and community and appoints the secretary; the
//! secretary builds a grid, a resident joins, and the first order is placed.

use serde_json::{Value, json};

use crate::common::*;

/// The number after `id=` on the output's first line that has one.
fn printed_id(text: &str) -> String {
    let at = text.find("id=").unwrap_or_else(|| panic!("no id in {text}"));
    text[at + 3..].chars().take_while(char::is_ascii_digit).collect()
}

const ME: &str = "{ me { id displayName memberships { community { id name inviteCode } roles } \
                  positions { role unitKind unitId unitName } } }";
const CREATE: &str = "mutation($k: UnitKind!, $p: UnitRef!, $n: String!) { createUnit(kind: $k, parent: $p, name: $n) { id kind name } }";
const APPOINT_BY_PHONE: &str = "mutation($r: Role!, $unit: ID!, $phone: String!, $name: String!) { \
                                appoint(role: $r, unitId: $unit, phone: $phone, name: $name) { person { id } } }";

async fn me(app: &TestApp, s: &Session) -> Value {
    data(&app.gql(Some(&s.access_token), ME, json!({})).await, "me").clone()
}

/// Someone appointed by phone signs in for the first time and binds that
/// phone: the account becomes the appointed person, and signing in again
/// continues as them.
async fn first_sign_in(app: &TestApp, openid: &str, phone: &str) -> Session {
    let fresh = app.login(openid).await;
    let code = format!("phone-{openid}");
    fake_phone_button(app, &code, phone).await;
    let bound = bind_phone(app, &fresh, &code).await;
    let person = data(&bound, "bindPhone")["id"].as_str().unwrap().to_owned();
    assert_ne!(person, fresh.user_id, "the account became the appointed person");
    let old = app.gql(Some(&fresh.access_token), ME, json!({})).await;
    assert_eq!(error_code(&old), "UNAUTHENTICATED", "the fresh account's session ended: {old}");
    let again = app.login(openid).await;
    assert_eq!(again.user_id, person, "signing in again continues as the person");
    again
}

#[tokio::test]
async fn a_county_is_put_into_service_from_an_empty_database_by_the_command_line_and_the_first_sign_ins() {
    let app = spawn_app_with(|c| c.seed_demo = Some(false)).await;

    let out = app
        .admin(&["create-county", "--name", "台江县", "--admin-phone", "13800001111", "--admin-name", "王主任"])
        .await;
    let county = printed_id(&succeeded(&out));
    let again = app.admin(&["create-county", "--name", "台江县", "--admin-openid", "someone"]).await;
    assert!(!again.status.success(), "a county is created once: {again:?}");
    assert!(String::from_utf8_lossy(&again.stderr).contains("已经存在"), "{again:?}");

    // The county admin signs in and binds the phone the office named.
    let county_admin = first_sign_in(&app, "wx-county-admin", "13800001111").await;
    let seen = me(&app, &county_admin).await;
    assert_eq!(seen["displayName"], "王主任");
    assert_eq!(
        seen["positions"],
        json!([{ "role": "COUNTY_ADMIN", "unitKind": "COUNTY", "unitId": county, "unitName": "台江县" }])
    );

    // She builds a street and a community, and appoints its secretary by phone.
    let made = |kind: &str, parent_kind: &str, parent: &str, name: &str| json!({ "k": kind, "p": { "kind": parent_kind, "id": parent }, "n": name });
    let street = app.gql(Some(&county_admin.access_token), CREATE, made("STREET", "COUNTY", &county, "城关镇")).await;
    let street = id(data(&street, "createUnit"));
    let community =
        app.gql(Some(&county_admin.access_token), CREATE, made("COMMUNITY", "STREET", &street, "新城社区")).await;
    let community = id(data(&community, "createUnit"));
    let appointed = app
        .gql(
            Some(&county_admin.access_token),
            APPOINT_BY_PHONE,
            json!({ "r": "SECRETARY", "unit": community, "phone": "13800002222", "name": "李书记" }),
        )
        .await;
    data(&appointed, "appoint");

    // The secretary signs in, finds her community, and builds a grid and a building.
    let secretary = first_sign_in(&app, "wx-secretary", "13800002222").await;
    let seen = me(&app, &secretary).await;
    let membership = &seen["memberships"][0];
    assert_eq!(membership["community"]["name"], "新城社区");
    assert_eq!(membership["roles"], json!(["SECRETARY"]));
    let invite = membership["community"]["inviteCode"].as_str().unwrap().to_owned();
    let grid = app.gql(Some(&secretary.access_token), CREATE, made("GRID", "COMMUNITY", &community, "第一网格")).await;
    let grid = id(data(&grid, "createUnit"));
    let building = app.gql(Some(&secretary.access_token), CREATE, made("BUILDING", "GRID", &grid, "1栋")).await;
    assert_eq!(data(&building, "createUnit")["kind"], "BUILDING");

    // A resident joins with the invite code; the secretary approves; the resident orders.
    let resident = app.login("wx-resident").await;
    let asked = app
        .gql(
            Some(&resident.access_token),
            "mutation($c: String!) { requestToJoin(inviteCode: $c) { id } }",
            json!({ "c": invite }),
        )
        .await;
    let request = id(data(&asked, "requestToJoin"));
    let approved = app
        .gql(
            Some(&secretary.access_token),
            "mutation($id: ID!) { approveJoinRequest(joinRequestId: $id) { status } }",
            json!({ "id": request }),
        )
        .await;
    assert_eq!(data(&approved, "approveJoinRequest")["status"], "APPROVED");
    let order = app
        .gql(
            Some(&resident.access_token),
            "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }",
            json!({ "input": { "communityId": community, "category": "REPAIR", "title": "水管漏水", "description": "厨房水管漏水" } }),
        )
        .await;
    assert_eq!(data(&order, "placeOrder")["status"], "SUBMITTED", "{order}");
}

#[tokio::test]
async fn the_command_line_refuses_a_unit_under_the_wrong_parent_and_an_unknown_role() {
    let app = spawn_app_with(|c| c.seed_demo = Some(false)).await;
    let county =
        printed_id(&succeeded(&app.admin(&["create-county", "--name", "剑河县", "--admin-openid", "wx-a"]).await));
    let wrong = app.admin(&["create-grid", "--community", "999", "--name", "第一网格"]).await;
    assert!(!wrong.status.success(), "{wrong:?}");
    let unknown = app.admin(&["appoint", "--role", "MAYOR", "--unit", &county, "--openid", "wx-b"]).await;
    assert!(!unknown.status.success(), "{unknown:?}");
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown role"), "{unknown:?}");
    let neither = app.admin(&["create-county", "--name", "三穗县"]).await;
    assert!(!neither.status.success(), "the first admin must be named: {neither:?}");
}
