//! WeChat's server APIs: `jscode2session` for sign-in, `stable_token` for the
//! server's access token, `getuserphonenumber` for the phone button,
//! `subscribe/send` for subscription messages, `msg_sec_check` and
//! `media_check_async` for content security. The base URL is configurable so
//! tests talk to a local fake.
//!
//! `session_key` is read and dropped here: it never leaves the server and is
//! never logged.

use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;

use domain::{DomainError, DomainResult};

use crate::config::WechatConfig;
use crate::store::SessionStore;

pub struct WechatClient {
    http: reqwest::Client,
    base: String,
    appid: String,
    secret: SecretString,
    /// The access token is shared by every node through the store.
    store: Arc<dyn SessionStore>,
    /// One refresh at a time on this node.
    refreshing: Mutex<()>,
}

const TOKEN_KEY: &str = "wechat:access_token";

#[derive(Debug)]
pub struct CodeSession {
    pub openid: String,
    pub unionid: Option<String>,
}

#[derive(Deserialize)]
struct CodeSessionReply {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
    openid: Option<String>,
    unionid: Option<String>,
    // Deliberately not kept: `session_key`.
}

#[derive(Deserialize)]
struct TokenReply {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
    access_token: Option<String>,
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct PhoneReply {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
    phone_info: Option<PhoneInfo>,
}

#[derive(Deserialize)]
struct PhoneInfo {
    #[serde(rename = "purePhoneNumber")]
    pure_phone_number: String,
    #[serde(rename = "countryCode")]
    country_code: String,
    watermark: Watermark,
}

#[derive(Deserialize)]
struct Watermark {
    appid: String,
}

/// WeChat's error codes, as our users should hear them.
fn wechat_error(api: &str, errcode: i64, errmsg: &str) -> DomainError {
    match errcode {
        40029 => DomainError::Unauthenticated(
            "the WeChat sign-in code is invalid or was already used; call wx.login and try again".into(),
        ),
        45011 => {
            DomainError::RateLimited("WeChat is limiting sign-ins for this user; wait a minute and try again".into())
        }
        40226 => DomainError::forbidden("WeChat has blocked this account as high-risk"),
        -1 => DomainError::Unavailable("WeChat is busy; please try again in a moment".into()),
        _ => {
            // 40013/41002/41004/41008 and the like: our configuration, not the user's doing.
            tracing::error!(api, errcode, errmsg, "WeChat refused a call");
            DomainError::internal(format!("WeChat {api} errcode {errcode}"))
        }
    }
}

fn transport(api: &str, err: reqwest::Error) -> DomainError {
    tracing::warn!(api, error = %err, "WeChat unreachable");
    DomainError::Unavailable("WeChat cannot be reached right now; please try again in a moment".into())
}

/// Sends one call to WeChat and reads its JSON reply; a fault on the way
/// (no connection, a reply that is not the JSON expected) is [`transport`]'s.
async fn send<T: DeserializeOwned>(api: &str, request: reqwest::RequestBuilder) -> DomainResult<T> {
    let response = request.send().await.map_err(|e| transport(api, e))?;
    response.json().await.map_err(|e| transport(api, e))
}

impl WechatClient {
    pub fn new(config: &WechatConfig, store: Arc<dyn SessionStore>) -> DomainResult<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.timeout_seconds))
            .build()
            .map_err(DomainError::internal)?;
        Ok(Self {
            http,
            base: config.api_base.trim_end_matches('/').to_owned(),
            appid: config.appid.clone(),
            secret: config.secret.clone(),
            store,
            refreshing: Mutex::new(()),
        })
    }

    pub async fn code_to_session(&self, code: &str) -> DomainResult<CodeSession> {
        let api = "jscode2session";
        let request = self.http.get(format!("{}/sns/jscode2session", self.base)).query(&[
            ("appid", self.appid.as_str()),
            ("secret", self.secret.expose_secret()),
            ("js_code", code),
            ("grant_type", "authorization_code"),
        ]);
        let reply: CodeSessionReply = send(api, request).await?;
        if reply.errcode != 0 {
            return Err(wechat_error(api, reply.errcode, &reply.errmsg));
        }
        let openid = reply
            .openid
            .filter(|o| !o.is_empty())
            .ok_or_else(|| DomainError::internal("jscode2session without openid"))?;
        Ok(CodeSession { openid, unionid: reply.unionid })
    }

    /// The server's access token, cached (for every node) until shortly before it expires.
    async fn access_token(&self, force_refresh: bool) -> DomainResult<String> {
        if !force_refresh && let Some(token) = self.store.cached(TOKEN_KEY).await? {
            return Ok(token);
        }
        let _one_at_a_time = self.refreshing.lock().await;
        if !force_refresh && let Some(token) = self.store.cached(TOKEN_KEY).await? {
            return Ok(token);
        }
        let api = "stable_token";
        let request = self.http.post(format!("{}/cgi-bin/stable_token", self.base)).json(&serde_json::json!({
            "grant_type": "client_credential",
            "appid": self.appid,
            "secret": self.secret.expose_secret(),
            "force_refresh": force_refresh,
        }));
        let reply: TokenReply = send(api, request).await?;
        if reply.errcode != 0 {
            return Err(wechat_error(api, reply.errcode, &reply.errmsg));
        }
        let token = reply.access_token.ok_or_else(|| DomainError::internal("stable_token without access_token"))?;
        let lifetime = Duration::from_secs(reply.expires_in.unwrap_or(7200).saturating_sub(300).max(60));
        self.store.cache(TOKEN_KEY, &token, lifetime).await?;
        Ok(token)
    }

    /// The verified phone number behind a phone-button code.
    pub async fn phone_number(&self, code: &str) -> DomainResult<String> {
        let api = "getuserphonenumber";
        let body = serde_json::json!({ "code": code });
        let reply = self.post_with_token(api, "/wxa/business/getuserphonenumber", &body).await?;
        let reply: PhoneReply = serde_json::from_value(reply)
            .map_err(|e| DomainError::internal(format!("{api} answered in an unexpected shape: {e}")))?;
        match reply.errcode {
            0 => {}
            40029 => {
                return Err(DomainError::bad_input(
                    "code",
                    "the phone-number code is invalid or was already used; tap the button again",
                ));
            }
            other => return Err(wechat_error(api, other, &reply.errmsg)),
        }
        let info = reply.phone_info.ok_or_else(|| DomainError::internal("getuserphonenumber without phone_info"))?;
        if info.watermark.appid != self.appid {
            tracing::error!("getuserphonenumber watermark names another app");
            return Err(DomainError::forbidden("this phone number was issued to another app"));
        }
        if info.country_code != "86" {
            return Err(DomainError::bad_input("code", "only mainland China mobile numbers can be bound"));
        }
        Ok(info.pure_phone_number)
    }
}

/// WeChat's verdict on a piece of text (`msg_sec_check` v2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextVerdict {
    Pass,
    /// May be shown, but a person should look at it.
    Review,
    /// Must not be shown to others.
    Risky,
}

/// Where the text is shown, as `msg_sec_check` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentScene {
    Profile = 1,
    Comment = 2,
    Forum = 3,
    SocialLog = 4,
}

/// What WeChat answered to one subscription message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendReply {
    pub errcode: i64,
    pub errmsg: String,
}

fn errcode_of(reply: &serde_json::Value) -> i64 {
    reply.get("errcode").and_then(serde_json::Value::as_i64).unwrap_or(0)
}

fn errmsg_of(reply: &serde_json::Value) -> String {
    reply.get("errmsg").and_then(serde_json::Value::as_str).unwrap_or_default().to_owned()
}

impl WechatClient {
    /// POSTs `body` to a WeChat API that takes the access token; on 40001 or
    /// 42001 (token invalid or expired) the token is refreshed once and the
    /// call retried. The reply comes back whatever its `errcode`; only
    /// transport faults (and a token that cannot be had) are errors.
    async fn post_with_token(
        &self,
        api: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> DomainResult<serde_json::Value> {
        let mut force_refresh = false;
        loop {
            let token = self.access_token(force_refresh).await?;
            let url = format!("{}{path}", self.base);
            let request = self.http.post(url).query(&[("access_token", token.as_str())]).json(body);
            let reply: serde_json::Value = send(api, request).await?;
            if matches!(errcode_of(&reply), 40001 | 42001) && !force_refresh {
                force_refresh = true;
                continue;
            }
            return Ok(reply);
        }
    }

    /// Sends one subscription message. WeChat's `errcode` is returned for the
    /// caller to judge (0 is sent); `Err` only when WeChat cannot be reached.
    pub async fn send_subscribe_message(
        &self,
        openid: &str,
        template_id: &str,
        page: &str,
        data: &std::collections::BTreeMap<String, String>,
        miniprogram_state: &str,
    ) -> DomainResult<SendReply> {
        let data: serde_json::Map<String, serde_json::Value> =
            data.iter().map(|(k, v)| (k.clone(), serde_json::json!({ "value": v }))).collect();
        let body = serde_json::json!({
            "touser": openid,
            "template_id": template_id,
            "page": page,
            "data": data,
            "miniprogram_state": miniprogram_state,
            "lang": "zh_CN",
        });
        let reply = self.post_with_token("subscribe/send", "/cgi-bin/message/subscribe/send", &body).await?;
        Ok(SendReply { errcode: errcode_of(&reply), errmsg: errmsg_of(&reply) })
    }

    /// `msg_sec_check` (version 2) on text a user wrote. `Err` when WeChat
    /// cannot be reached or refuses the call; the caller decides what that means.
    pub async fn check_text(&self, openid: &str, content: &str, scene: ContentScene) -> DomainResult<TextVerdict> {
        let api = "msg_sec_check";
        let body = serde_json::json!({ "content": content, "version": 2, "scene": scene as i32, "openid": openid });
        let reply = self.post_with_token(api, "/wxa/msg_sec_check", &body).await?;
        let errcode = errcode_of(&reply);
        if errcode != 0 {
            tracing::warn!(api, errcode, errmsg = %errmsg_of(&reply), "WeChat refused a content check");
            return Err(DomainError::Unavailable(format!("WeChat {api} errcode {errcode}")));
        }
        let suggest = reply.pointer("/result/suggest").and_then(serde_json::Value::as_str).unwrap_or_default();
        Ok(match suggest {
            "pass" => TextVerdict::Pass,
            "risky" => TextVerdict::Risky,
            _ => TextVerdict::Review,
        })
    }

    /// Submits a photo for `media_check_async` (version 2); the verdict comes
    /// later to the message-push URL. Returns WeChat's trace id.
    pub async fn submit_media_check(&self, openid: &str, media_url: &str, scene: ContentScene) -> DomainResult<String> {
        let api = "media_check_async";
        let body = serde_json::json!({
            "media_url": media_url,
            "media_type": 2,
            "version": 2,
            "scene": scene as i32,
            "openid": openid,
        });
        let reply = self.post_with_token(api, "/wxa/media_check_async", &body).await?;
        let errcode = errcode_of(&reply);
        if errcode != 0 {
            tracing::warn!(api, errcode, errmsg = %errmsg_of(&reply), "WeChat refused a media check");
            return Err(DomainError::Unavailable(format!("WeChat {api} errcode {errcode}")));
        }
        reply
            .get("trace_id")
            .and_then(serde_json::Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| DomainError::Unavailable("media_check_async without trace_id".into()))
    }
}
