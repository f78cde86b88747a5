//! Content security in front of the domain: text others will read is checked
//! with WeChat's `msg_sec_check` (v2) before it is saved, and photos attached
//! to orders and wishes are submitted to `media_check_async`; the verdict
//! comes back to `/webhooks/wechat`. Off unless `wechat.content_security`
//! (default: on in production).

use std::sync::Arc;

use domain::workflow::Subject;
use domain::{Domain, DomainError, DomainResult};

use crate::wechat::{ContentScene, TextVerdict, WechatClient};

/// What residents are told when WeChat judges their text risky.
pub const RISKY_TEXT: &str = "这段文字未通过微信内容安全检查，请修改后再提交 (the text did not pass WeChat's content check; \
                              please reword it)";

pub struct ContentSecurity {
    wechat: Arc<WechatClient>,
    enabled: bool,
}

impl ContentSecurity {
    pub fn new(wechat: Arc<WechatClient>, enabled: bool) -> Self {
        Self { wechat, enabled }
    }

    /// Checks each `(field, text)` that `user_id` wrote. A `risky` verdict is
    /// `BAD_USER_INPUT` on that field; `review` is accepted and logged.
    ///
    /// When WeChat cannot be reached (or refuses the call) the text is
    /// accepted: a resident on a poor connection must not be blocked by an
    /// outage at WeChat. The failure is logged so the office can look.
    pub async fn check_text(
        &self,
        domain: &Domain,
        user_id: i64,
        scene: ContentScene,
        texts: &[(&'static str, &str)],
    ) -> DomainResult<()> {
        if !self.enabled {
            return Ok(());
        }
        let texts: Vec<_> = texts.iter().filter(|(_, t)| !t.trim().is_empty()).collect();
        if texts.is_empty() {
            return Ok(());
        }
        let Some(openid) = domain.content().openid_of(user_id).await? else {
            return Ok(());
        };
        for (field, text) in texts {
            match self.wechat.check_text(&openid, text, scene).await {
                Ok(TextVerdict::Pass) => {}
                Ok(TextVerdict::Review) => {
                    tracing::warn!(user_id, field, "WeChat suggests a person review this text; accepted");
                }
                Ok(TextVerdict::Risky) => return Err(DomainError::bad_input(field, RISKY_TEXT)),
                Err(e) => {
                    tracing::warn!(user_id, field, error = %e, "content check unavailable; text accepted unchecked");
                }
            }
        }
        Ok(())
    }

    /// Submits photos just attached to an order or wish for WeChat's
    /// asynchronous check and records each trace id. Failures are logged and
    /// do not undo what the resident did (the photo stays, unchecked).
    pub async fn check_photos(
        &self,
        domain: &Domain,
        user_id: i64,
        subject: Subject,
        subject_id: i64,
        urls: &[String],
    ) {
        if !self.enabled || urls.is_empty() {
            return;
        }
        let urls = match domain.content().unchecked_photos(subject, subject_id, urls).await {
            Ok(u) if u.is_empty() => return,
            Ok(u) => u,
            Err(e) => {
                tracing::warn!(error = %e, "photo check skipped");
                return;
            }
        };
        let openid = match domain.content().openid_of(user_id).await {
            Ok(Some(o)) => o,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "photo check skipped: no openid");
                return;
            }
        };
        for url in &urls {
            // WeChat fetches the photo: it gets a signed URL (ours are private).
            let fetchable = domain.uploads().signed(url);
            let submitted = match self.wechat.submit_media_check(&openid, &fetchable, ContentScene::Forum).await {
                Ok(trace_id) => {
                    let check =
                        domain::content::NewMediaCheck { trace_id, media_url: url.clone(), subject, subject_id };
                    domain.content().record_media_check(check).await
                }
                Err(e) => Err(e),
            };
            if let Err(e) = submitted {
                tracing::warn!(subject = subject.as_str(), subject_id, error = %e, "photo not submitted for checking");
            }
        }
    }
}
