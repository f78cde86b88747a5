//! Access tokens (JWT, HS256 only) and the sign-in flows that issue them.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use domain::auth::{NewSession, Refreshed};
use domain::org::User;
use domain::{Domain, DomainError, DomainResult};

use crate::config::Config;
use crate::store::{RateHit, SessionStore};
use crate::wechat::WechatClient;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    /// The session this token belongs to; checked alive on every request.
    pub sid: String,
}

/// Who made a request, once their token and session have been checked.
#[derive(Clone, Debug)]
pub struct Authenticated {
    pub user_id: i64,
    pub session_id: String,
}

pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    access_ttl: i64,
    leeway: i64,
}

impl Tokens {
    pub fn new(config: &Config, secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[&config.jwt.issuer]);
        validation.set_audience(&[&config.jwt.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = config.jwt.leeway_seconds;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: config.jwt.issuer.clone(),
            audience: config.jwt.audience.clone(),
            access_ttl: config.jwt.access_ttl_seconds,
            leeway: config.jwt.leeway_seconds as i64,
        }
    }

    pub fn access_ttl_seconds(&self) -> i64 {
        self.access_ttl
    }

    pub fn issue(&self, user_id: i64, session_id: &str) -> DomainResult<String> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user_id.to_string(),
            exp: now + self.access_ttl,
            iat: now,
            jti: uuid::Uuid::new_v4().simple().to_string(),
            sid: session_id.to_owned(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(DomainError::internal)
    }

    /// Signature, algorithm, issuer, audience, expiry and every claim; nothing else is trusted.
    pub fn verify(&self, token: &str) -> DomainResult<Claims> {
        let invalid =
            || DomainError::Unauthenticated("the access token is invalid or expired; refresh or sign in again".into());
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map_err(|_| invalid())?;
        let claims = data.claims;
        let now = Utc::now().timestamp();
        if claims.iat > now + self.leeway || claims.jti.is_empty() || claims.sid.is_empty() {
            return Err(invalid());
        }
        if claims.exp - claims.iat > self.access_ttl + self.leeway {
            return Err(invalid());
        }
        Ok(claims)
    }
}

/// Whether a request counted against the per-user mutation limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MutationLimit {
    /// Not counted here (not a mutation, or counted later by the schema).
    NotCounted,
    Within,
    Exceeded,
}

/// The rate-limit key of a user's mutations.
pub fn mutation_limit_key(user_id: i64) -> String {
    format!("mutations:user:{user_id}")
}

/// What a successful sign-in or refresh gives the mini-program.
pub struct AuthPayload {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
    pub user: User,
}

/// Sign-in, refresh, logout and the per-request check, over the domain's
/// session records and the fast session store.
pub struct AuthService {
    pub tokens: Tokens,
    pub store: Arc<dyn SessionStore>,
    pub wechat: Arc<WechatClient>,
    refresh_ttl: chrono::Duration,
    dev_login: bool,
    logins_per_minute: u64,
    mutations_per_minute: u64,
}

impl AuthService {
    pub fn new(config: &Config, tokens: Tokens, store: Arc<dyn SessionStore>, wechat: WechatClient) -> Self {
        Self {
            tokens,
            store,
            wechat: Arc::new(wechat),
            refresh_ttl: chrono::Duration::days(config.jwt.refresh_ttl_days),
            dev_login: config.dev_login_enabled(),
            logins_per_minute: config.limits.logins_per_openid_per_minute,
            mutations_per_minute: config.limits.mutations_per_minute,
        }
    }

    /// How long the fast store keeps a session alive without a refresh: one
    /// access token's life. A revocation the store missed heals by then.
    fn liveness_ttl(&self) -> Duration {
        Duration::from_secs((self.tokens.access_ttl_seconds() + 60) as u64)
    }

    /// Exchanges a `wx.login` code (or, in development, `dev:<openid>`).
    pub async fn wechat_login(&self, domain: &Domain, code: &str) -> DomainResult<AuthPayload> {
        let code = code.trim();
        if code.is_empty() || code.len() > 256 {
            return Err(DomainError::bad_input("code", "the sign-in code is missing; call wx.login again"));
        }
        let (openid, unionid) = match code.strip_prefix("dev:") {
            Some(openid) if self.dev_login => (openid.to_owned(), None),
            Some(_) => return Err(DomainError::Unauthenticated("dev login is turned off on this server".into())),
            None => {
                // A code can only be exchanged once; hammering one is refused early.
                let code_key = format!("login:code:{}", hex::encode(Sha256::digest(code)));
                if !self.store.hit(&code_key, 3, Duration::from_secs(300)).await? {
                    return Err(DomainError::RateLimited(
                        "this sign-in code was tried too often; call wx.login again".into(),
                    ));
                }
                let session = self.wechat.code_to_session(code).await?;
                (session.openid, session.unionid)
            }
        };
        if !self.store.hit(&format!("login:openid:{openid}"), self.logins_per_minute, Duration::from_secs(60)).await? {
            return Err(DomainError::RateLimited("too many sign-ins in a minute; wait a moment and try again".into()));
        }
        let user = domain.auth().user_for_openid(&openid, unionid.as_deref()).await?;
        let session = domain.auth().start_session(user.id, self.refresh_ttl).await?;
        self.payload(session, user).await
    }

    pub async fn refresh(&self, domain: &Domain, refresh_token: &str) -> DomainResult<AuthPayload> {
        match domain.auth().rotate_refresh_token(refresh_token.trim()).await? {
            Refreshed::Rotated(session) => {
                let user = domain.org().user(session.user_id).await?;
                self.payload(session, user).await
            }
            Refreshed::ReuseDetected { session_id } => {
                tracing::warn!(session = %session_id, "refresh token reused; session revoked");
                self.store.end(&session_id).await?;
                Err(DomainError::Unauthenticated(
                    "this refresh token was already used, so the session has been ended for safety; sign in again"
                        .into(),
                ))
            }
        }
    }

    /// Ends the session now: the store first, so that a failure leaves it ended, not alive.
    /// Ends sessions the record has already revoked, in the fast store too.
    pub async fn end_sessions(&self, session_ids: &[String]) -> DomainResult<()> {
        for id in session_ids {
            self.store.end(id).await?;
        }
        Ok(())
    }

    pub async fn logout(&self, domain: &Domain, who: &Authenticated) -> DomainResult<()> {
        self.store.end(&who.session_id).await?;
        domain.auth().revoke_session(&who.session_id, "logout").await
    }

    async fn payload(&self, session: NewSession, user: User) -> DomainResult<AuthPayload> {
        self.store.mark_alive(&session.session_id, self.liveness_ttl()).await?;
        Ok(AuthPayload {
            access_token: self.tokens.issue(session.user_id, &session.session_id)?,
            refresh_token: session.refresh_token,
            expires_in: self.tokens.access_ttl_seconds(),
            user,
        })
    }

    /// The per-request check: token, then one store round trip. Fails closed.
    pub async fn authenticate(&self, bearer: &str) -> DomainResult<Authenticated> {
        self.authenticate_request(bearer, 0).await.map(|(who, _)| who)
    }

    /// As [`AuthService::authenticate`]; for a request that carries
    /// `mutations` (> 0) mutation fields, the user's mutation-limit hits (one
    /// per field) travel in the same round trip as the session check (see
    /// [`SessionStore::check`]), so an authenticated mutation costs one round
    /// trip in all.
    pub async fn authenticate_request(
        &self,
        bearer: &str,
        mutations: u64,
    ) -> DomainResult<(Authenticated, MutationLimit)> {
        let claims = self.tokens.verify(bearer)?;
        self.check_session(claims, mutations).await
    }

    /// As [`AuthService::authenticate`], with the token's expiry (Unix
    /// seconds), for a connection that outlives one request. The token is
    /// verified once.
    pub async fn authenticate_until(&self, bearer: &str) -> DomainResult<(Authenticated, i64)> {
        let claims = self.tokens.verify(bearer)?;
        let expires = claims.exp;
        let (who, _) = self.check_session(claims, 0).await?;
        Ok((who, expires))
    }

    /// The session behind verified claims: alive, and (with mutations) within the limit.
    async fn check_session(&self, claims: Claims, mutations: u64) -> DomainResult<(Authenticated, MutationLimit)> {
        let user_id: i64 =
            claims.sub.parse().map_err(|_| DomainError::Unauthenticated("the access token is invalid".into()))?;
        let key = mutation_limit_key(user_id);
        let counts_as_mutation = mutations > 0;
        let hit = counts_as_mutation.then(|| RateHit {
            key: &key,
            cost: mutations,
            limit: self.mutations_per_minute,
            window: Duration::from_secs(60),
        });
        let check = self.store.check(&claims.sid, hit).await?;
        if !check.alive {
            return Err(DomainError::Unauthenticated("this session has ended; refresh or sign in again".into()));
        }
        let limit = match (counts_as_mutation, check.within_limit) {
            (false, _) => MutationLimit::NotCounted,
            (true, true) => MutationLimit::Within,
            (true, false) => MutationLimit::Exceeded,
        };
        Ok((Authenticated { user_id, session_id: claims.sid }, limit))
    }
}

pub fn random_secret() -> Vec<u8> {
    use rand::RngCore;
    let mut bytes = vec![0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

pub fn secret_bytes(config: &Config) -> Vec<u8> {
    match &config.jwt.secret {
        Some(secret) if !secret.expose_secret().is_empty() => secret.expose_secret().as_bytes().to_vec(),
        _ => random_secret(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreError;

    /// A session store whose backend is down.
    struct DownStore;

    #[async_trait::async_trait]
    impl SessionStore for DownStore {
        async fn mark_alive(&self, _: &str, _: Duration) -> Result<(), StoreError> {
            Err(StoreError::new("connection refused"))
        }
        async fn is_alive(&self, _: &str) -> Result<bool, StoreError> {
            Err(StoreError::new("connection refused"))
        }
        async fn end(&self, _: &str) -> Result<(), StoreError> {
            Err(StoreError::new("connection refused"))
        }
        async fn hit(&self, _: &str, _: u64, _: Duration) -> Result<bool, StoreError> {
            Err(StoreError::new("connection refused"))
        }
        async fn first_use(&self, _: &str, _: Duration) -> Result<bool, StoreError> {
            Err(StoreError::new("connection refused"))
        }
        async fn forget_use(&self, _: &str) -> Result<(), StoreError> {
            Err(StoreError::new("connection refused"))
        }
        async fn cached(&self, _: &str) -> Result<Option<String>, StoreError> {
            Err(StoreError::new("connection refused"))
        }
        async fn cache(&self, _: &str, _: &str, _: Duration) -> Result<(), StoreError> {
            Err(StoreError::new("connection refused"))
        }
        async fn ping(&self) -> Result<(), StoreError> {
            Err(StoreError::new("connection refused"))
        }
    }

    fn service(store: Arc<dyn SessionStore>) -> AuthService {
        let config = Config::defaults().unwrap();
        let tokens = Tokens::new(&config, b"0123456789abcdef0123456789abcdef");
        AuthService::new(&config, tokens, store.clone(), WechatClient::new(&config.wechat, store).unwrap())
    }

    #[tokio::test]
    async fn a_valid_token_fails_closed_when_the_session_store_is_down() {
        let auth = service(Arc::new(DownStore));
        let token = auth.tokens.issue(7, "session-1").unwrap();
        let err = auth.authenticate(&token).await.unwrap_err();
        assert_eq!(err.code(), "UNAVAILABLE");
        assert!(!err.public_message().contains("connection refused"));
    }

    #[tokio::test]
    async fn a_valid_token_of_an_ended_session_is_refused() {
        let store: Arc<dyn SessionStore> = Arc::new(crate::store::MemoryStore::default());
        let auth = service(store.clone());
        store.mark_alive("s", Duration::from_secs(60)).await.unwrap();
        let token = auth.tokens.issue(7, "s").unwrap();
        assert_eq!(auth.authenticate(&token).await.unwrap().user_id, 7);
        store.end("s").await.unwrap();
        assert_eq!(auth.authenticate(&token).await.unwrap_err().code(), "UNAUTHENTICATED");
    }
}
