//! Sessions and their rotating refresh tokens (stored only as hashes),
//! idempotency keys for safe retries, and uploaded photos.

use sea_orm_migration::prelude::*;

use crate::shared::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Sessions {
    Table,
    Id,
    UserId,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
    RevokeReason,
}

#[derive(DeriveIden)]
pub enum RefreshTokens {
    Table,
    Id,
    SessionId,
    TokenHash,
    CreatedAt,
    UsedAt,
}

#[derive(DeriveIden)]
pub enum IdempotencyKeys {
    Table,
    Id,
    UserId,
    Scope,
    Key,
    RequestHash,
    ResourceId,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum Uploads {
    Table,
    Id,
    OwnerId,
    ContentType,
    Size,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table(Sessions::Table)
                .col(ColumnDef::new(Sessions::Id).string().not_null().primary_key())
                .col(fk(Sessions::UserId))
                .col(time(Sessions::CreatedAt))
                .col(time(Sessions::ExpiresAt))
                .col(time_null(Sessions::RevokedAt))
                .col(text_null(Sessions::RevokeReason))
                .foreign_key(&mut to_users(Sessions::Table, Sessions::UserId))
                .take(),
        )
        .await?;
        m.create_table(
            table(RefreshTokens::Table)
                .col(id(RefreshTokens::Id))
                .col(text(RefreshTokens::SessionId))
                .col(text(RefreshTokens::TokenHash).unique_key().take())
                .col(time(RefreshTokens::CreatedAt))
                .col(time_null(RefreshTokens::UsedAt))
                .foreign_key(&mut reference(
                    RefreshTokens::Table,
                    RefreshTokens::SessionId,
                    Sessions::Table,
                    Sessions::Id,
                ))
                .take(),
        )
        .await?;
        m.create_table(
            table(IdempotencyKeys::Table)
                .col(id(IdempotencyKeys::Id))
                .col(fk(IdempotencyKeys::UserId))
                .col(text(IdempotencyKeys::Scope))
                .col(text(IdempotencyKeys::Key))
                .col(text(IdempotencyKeys::RequestHash))
                .col(fk(IdempotencyKeys::ResourceId))
                .col(time(IdempotencyKeys::CreatedAt))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "ux_idempotency_keys_user_scope_key",
            IdempotencyKeys::Table,
            [IdempotencyKeys::UserId, IdempotencyKeys::Scope, IdempotencyKeys::Key],
        ))
        .await?;
        m.create_table(
            table(Uploads::Table)
                .col(ColumnDef::new(Uploads::Id).string().not_null().primary_key())
                .col(fk(Uploads::OwnerId))
                .col(text(Uploads::ContentType))
                .col(big(Uploads::Size))
                .col(time(Uploads::CreatedAt))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            m,
            [
                Uploads::Table.into_iden(),
                IdempotencyKeys::Table.into_iden(),
                RefreshTokens::Table.into_iden(),
                Sessions::Table.into_iden(),
            ],
        )
        .await
    }
}
