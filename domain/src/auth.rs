//! Users by WeChat openid, sessions, and rotating refresh tokens.
//!
//! The database is the record of every session. Refresh tokens are opaque
//! random strings stored only as SHA-256 hashes; each can be used once, and
//! presenting a used one revokes its whole session (someone copied it).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set, TransactionTrait};
use sha2::{Digest, Sha256};

use crate::entities::{refresh_token, session, user};
use crate::error::{DomainError, DomainResult};
use crate::org::User;
use crate::org::people::PhoneBound;

crate::area_service!(
    /// Sessions and refresh tokens behind sign-in, and the user records they name.
    Auth
);

#[derive(Clone, Debug)]
pub struct NewSession {
    pub session_id: String,
    pub user_id: i64,
    /// Given to the client once; only its hash is kept.
    pub refresh_token: String,
}

/// What a refresh attempt found.
#[derive(Clone, Debug)]
pub enum Refreshed {
    Rotated(NewSession),
    /// A used token came back: the session is now revoked.
    ReuseDetected {
        session_id: String,
    },
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Stores a refresh token (by its hash) for a session.
async fn insert_refresh_token(
    txn: &DatabaseTransaction,
    session_id: &str,
    token: &str,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    refresh_token::ActiveModel {
        session_id: Set(session_id.to_owned()),
        token_hash: Set(hash_token(token)),
        created_at: Set(now),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Auth<'_> {
    /// The user with this openid, created on first sign-in.
    pub async fn user_for_openid(self, openid: &str, unionid: Option<&str>) -> DomainResult<User> {
        // Placeholders of people without WeChat, linked or deleted accounts
        // are never a WeChat user's openid.
        let placeholder = ["unbound:", "linked:", "deleted:"].iter().any(|p| openid.starts_with(p));
        if openid.is_empty() || openid.len() > 128 || placeholder {
            return Err(DomainError::bad_input("code", "the sign-in did not name a WeChat user"));
        }
        if let Some(found) = user::Entity::find().filter(user::Column::Openid.eq(openid)).one(&self.d.db).await? {
            return Ok(found.into());
        }
        let created = user::ActiveModel {
            openid: Set(openid.into()),
            unionid: Set(unionid.map(Into::into)),
            display_name: Set("邻里用户".into()),
            created_at: Set(self.d.clock.now()),
            ..Default::default()
        }
        .insert(&self.d.db)
        .await;
        match created.map_err(DomainError::from) {
            Ok(model) => Ok(model.into()),
            // Two first sign-ins raced; the other one created the user.
            Err(DomainError::Conflict(_)) => user::Entity::find()
                .filter(user::Column::Openid.eq(openid))
                .one(&self.d.db)
                .await?
                .map(User::from)
                .ok_or_else(|| DomainError::internal("user vanished after a unique violation")),
            Err(e) => Err(e),
        }
    }

    /// Stores a verified phone, or links the account to the person the
    /// community registered with it (see [`crate::org::people::bind_phone`]).
    pub async fn set_verified_phone(self, user_id: i64, phone: &str) -> DomainResult<PhoneBound> {
        crate::org::people::bind_phone(self.d, user_id, phone).await
    }

    pub async fn set_display_name(self, user_id: i64, name: &str) -> DomainResult<User> {
        let name = crate::validate::required_text("displayName", name, 30)?;
        let model = user::ActiveModel { id: Set(user_id), display_name: Set(name), ..Default::default() }
            .update(&self.d.db)
            .await?;
        Ok(model.into())
    }

    pub async fn start_session(self, user_id: i64, lifetime: Duration) -> DomainResult<NewSession> {
        let now = self.d.clock.now();
        let session_id = uuid::Uuid::new_v4().simple().to_string();
        let refresh_token = new_token();
        let txn = self.d.db.begin().await?;
        session::ActiveModel {
            id: Set(session_id.clone()),
            user_id: Set(user_id),
            created_at: Set(now),
            expires_at: Set(now + lifetime),
            revoked_at: Set(None),
            revoke_reason: Set(None),
        }
        .insert(&txn)
        .await?;
        insert_refresh_token(&txn, &session_id, &refresh_token, now).await?;
        txn.commit().await?;
        Ok(NewSession { session_id, user_id, refresh_token })
    }

    /// Exchanges a refresh token for a new one. The old one stops working.
    pub async fn rotate_refresh_token(self, presented: &str) -> DomainResult<Refreshed> {
        let expired = || DomainError::Unauthenticated("this sign-in has ended; sign in again".into());
        let now = self.d.clock.now();
        let token = refresh_token::Entity::find()
            .filter(refresh_token::Column::TokenHash.eq(hash_token(presented)))
            .one(&self.d.db)
            .await?
            .ok_or_else(expired)?;
        let session =
            session::Entity::find_by_id(token.session_id.clone()).one(&self.d.db).await?.ok_or_else(expired)?;
        if session.revoked_at.is_some() || session.expires_at <= now {
            return Err(expired());
        }
        let txn = self.d.db.begin().await?;
        // Only one presentation of a token can win; a second one is reuse.
        let claimed = refresh_token::Entity::update_many()
            .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
            .filter(refresh_token::Column::Id.eq(token.id))
            .filter(refresh_token::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        if claimed.rows_affected == 0 {
            txn.rollback().await?;
            self.revoke_session(&session.id, "refresh token reused").await?;
            return Ok(Refreshed::ReuseDetected { session_id: session.id });
        }
        let refresh_token = new_token();
        insert_refresh_token(&txn, &session.id, &refresh_token, now).await?;
        txn.commit().await?;
        Ok(Refreshed::Rotated(NewSession { session_id: session.id, user_id: session.user_id, refresh_token }))
    }

    pub async fn revoke_session(self, session_id: &str, reason: &str) -> DomainResult<()> {
        session::Entity::update_many()
            .col_expr(session::Column::RevokedAt, Expr::value(self.d.clock.now()))
            .col_expr(session::Column::RevokeReason, Expr::value(reason))
            .filter(session::Column::Id.eq(session_id))
            .filter(session::Column::RevokedAt.is_null())
            .exec(&self.d.db)
            .await?;
        Ok(())
    }

    /// Whether the session is alive by the record (used to rebuild the fast
    /// session store after it lost its data).
    pub async fn session_alive(self, session_id: &str) -> DomainResult<bool> {
        let now = self.d.clock.now();
        Ok(session::Entity::find_by_id(session_id.to_owned())
            .one(&self.d.db)
            .await?
            .is_some_and(|s| s.revoked_at.is_none() && s.expires_at > now))
    }
}
