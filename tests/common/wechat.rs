//! Fakes of WeChat's server APIs that several areas' tests need: the
//! phone-number button behind `bindPhone`.

use serde_json::{Value, json};
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use super::{Session, TestApp};

/// Binds the verified phone behind `code` (see [`fake_phone_button`]).
pub const BIND_PHONE: &str = "mutation($code: String!) { bindPhone(code: $code) { id phone phoneVerified } }";

/// What `getuserphonenumber` answers for a phone issued to `appid`.
pub fn phone_reply(pure: &str, appid: &str) -> Value {
    json!({
        "errcode": 0,
        "errmsg": "ok",
        "phone_info": {
            "phoneNumber": format!("+86 {pure}"),
            "purePhoneNumber": pure,
            "countryCode": "86",
            "watermark": { "timestamp": 1700000000, "appid": appid },
        },
    })
}

/// The fake `getuserphonenumber` for one access token and one phone code.
pub async fn phone_number(app: &TestApp, token: &str, code: &str, reply: Value, times: u64) {
    Mock::given(method("POST"))
        .and(path("/wxa/business/getuserphonenumber"))
        .and(query_param("access_token", token))
        .and(body_json(json!({ "code": code })))
        .respond_with(ResponseTemplate::new(200).set_body_json(reply))
        .expect(times)
        .mount(&app.wechat)
        .await;
}

/// The phone-number button, pressed once: `code` gives `phone` (a server
/// access token `T` is handed out as often as asked).
pub async fn fake_phone_button(app: &TestApp, code: &str, phone: &str) {
    Mock::given(method("POST"))
        .and(path("/cgi-bin/stable_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "access_token": "T", "expires_in": 7200 })))
        .mount(&app.wechat)
        .await;
    phone_number(app, "T", code, phone_reply(phone, "wx-test-app"), 1).await;
}

pub async fn bind_phone(app: &TestApp, session: &Session, code: &str) -> Value {
    app.gql(Some(&session.access_token), BIND_PHONE, json!({ "code": code })).await
}
