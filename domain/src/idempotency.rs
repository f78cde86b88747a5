//! Safe retries: a (user, scope, key) remembers the request it first came
//! with and the record it produced.

use std::future::Future;

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::entities::idempotency_key;
use crate::error::{DomainError, DomainResult};

pub(crate) fn request_hash(request: &impl Serialize) -> DomainResult<String> {
    let bytes = serde_json::to_vec(request).map_err(DomainError::internal)?;
    Ok(hex::encode(Sha256::digest(bytes)))
}

pub(crate) fn check_key(key: &str) -> DomainResult<()> {
    let ok = (8..=100).contains(&key.len()) && key.chars().all(|c| c.is_ascii_alphanumeric() || "-_:.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(DomainError::bad_input(
            "idempotencyKey",
            "idempotencyKey must be 8 to 100 letters, digits or -_:. (a UUID works well)",
        ))
    }
}

/// The record an earlier request with this key produced, if any; `CONFLICT`
/// when the key was used for a different request.
pub(crate) async fn replayed<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    scope: &str,
    key: &str,
    hash: &str,
) -> DomainResult<Option<i64>> {
    let found = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::UserId.eq(user_id))
        .filter(idempotency_key::Column::Scope.eq(scope))
        .filter(idempotency_key::Column::Key.eq(key))
        .one(conn)
        .await?;
    match found {
        None => Ok(None),
        Some(row) if row.request_hash == hash => Ok(Some(row.resource_id)),
        Some(_) => Err(DomainError::Conflict(
            "this idempotencyKey was already used for a different request; use a new key".into(),
        )),
    }
}

pub(crate) async fn remember<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    scope: &str,
    key: &str,
    hash: &str,
    resource_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> DomainResult<()> {
    idempotency_key::ActiveModel {
        user_id: Set(user_id),
        scope: Set(scope.into()),
        key: Set(key.into()),
        request_hash: Set(hash.into()),
        resource_id: Set(resource_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Runs `create` once per (user, scope, key). A retry with the same request
/// gets what the first one made (via `load`), also when the two race: the
/// loser's unique-key `CONFLICT` is answered with the winner's record.
/// `create` must `remember` the key in its own transaction.
pub(crate) async fn once<T, C, CF, L, LF>(
    conn: &impl ConnectionTrait,
    user_id: i64,
    scope: &str,
    key: Option<&str>,
    hash: &str,
    create: C,
    load: L,
) -> DomainResult<T>
where
    C: FnOnce() -> CF,
    CF: Future<Output = DomainResult<T>>,
    L: Fn(i64) -> LF,
    LF: Future<Output = DomainResult<T>>,
{
    let Some(key) = key else {
        return create().await;
    };
    check_key(key)?;
    if let Some(id) = replayed(conn, user_id, scope, key, hash).await? {
        return load(id).await;
    }
    match create().await {
        Err(DomainError::Conflict(_)) => match replayed(conn, user_id, scope, key, hash).await? {
            Some(id) => load(id).await,
            None => Err(DomainError::Conflict("this request collided with another; try again".into())),
        },
        other => other,
    }
}
