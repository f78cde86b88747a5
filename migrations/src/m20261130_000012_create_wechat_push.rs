//! WeChat subscription messages (opt-ins, the send outbox and its record) and content-security checks.

use sea_orm_migration::prelude::*;

use crate::shared::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// One-time subscriptions a user accepted, per kind of message (a count: each allows one message).
#[derive(DeriveIden)]
pub enum WechatPushGrants {
    Table,
    Id,
    UserId,
    Kind,
    Remaining,
    UpdatedAt,
}

/// The outbox of subscription messages and the record of what became of each.
#[derive(DeriveIden)]
pub enum WechatPushes {
    Table,
    Id,
    CommunityId,
    UserId,
    Kind,
    /// JSON object: template field → value.
    Data,
    Page,
    /// Unique: the same message is queued once.
    DedupKey,
    /// PENDING, SENT, FAILED, REFUSED or SKIPPED (the last subscription went to a concurrent message).
    Status,
    Attempts,
    NextAttemptAt,
    LastErrcode,
    LastError,
    SentAt,
    CreatedAt,
}

/// Photos submitted to WeChat's asynchronous media check, and the verdict.
#[derive(DeriveIden)]
pub enum MediaChecks {
    Table,
    Id,
    /// WeChat's id for the check; unique.
    TraceId,
    MediaUrl,
    /// The upload's file name when the photo is one of ours.
    UploadId,
    SubjectKind,
    SubjectId,
    /// PENDING, PASS or RISKY.
    Status,
    CreatedAt,
    DecidedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table(WechatPushGrants::Table)
                .col(id(WechatPushGrants::Id))
                .col(fk(WechatPushGrants::UserId))
                .col(text(WechatPushGrants::Kind))
                .col(int(WechatPushGrants::Remaining))
                .col(time(WechatPushGrants::UpdatedAt))
                .foreign_key(&mut to_users(WechatPushGrants::Table, WechatPushGrants::UserId))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "ux_wechat_push_grants_user_kind",
            WechatPushGrants::Table,
            [WechatPushGrants::UserId, WechatPushGrants::Kind],
        ))
        .await?;
        m.create_table(
            table(WechatPushes::Table)
                .col(id(WechatPushes::Id))
                .col(fk(WechatPushes::CommunityId))
                .col(fk(WechatPushes::UserId))
                .col(text(WechatPushes::Kind))
                .col(long_text(WechatPushes::Data))
                .col(text(WechatPushes::Page))
                .col(text(WechatPushes::DedupKey).unique_key().take())
                .col(text(WechatPushes::Status))
                .col(int(WechatPushes::Attempts))
                .col(time(WechatPushes::NextAttemptAt))
                .col(big_null(WechatPushes::LastErrcode))
                .col(text_null(WechatPushes::LastError))
                .col(time_null(WechatPushes::SentAt))
                .col(time(WechatPushes::CreatedAt))
                .foreign_key(&mut to_users(WechatPushes::Table, WechatPushes::UserId))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_wechat_pushes_status_due",
            WechatPushes::Table,
            [WechatPushes::Status, WechatPushes::NextAttemptAt],
        ))
        .await?;
        m.create_index(index("ix_wechat_pushes_user", WechatPushes::Table, [WechatPushes::UserId])).await?;
        m.create_table(
            table(MediaChecks::Table)
                .col(id(MediaChecks::Id))
                .col(text(MediaChecks::TraceId).unique_key().take())
                .col(text(MediaChecks::MediaUrl))
                .col(text_null(MediaChecks::UploadId))
                .col(text(MediaChecks::SubjectKind))
                .col(fk(MediaChecks::SubjectId))
                .col(text(MediaChecks::Status))
                .col(time(MediaChecks::CreatedAt))
                .col(time_null(MediaChecks::DecidedAt))
                .take(),
        )
        .await?;
        m.create_index(index("ix_media_checks_upload", MediaChecks::Table, [MediaChecks::UploadId])).await?;
        m.create_index(index(
            "ix_media_checks_subject",
            MediaChecks::Table,
            [MediaChecks::SubjectKind, MediaChecks::SubjectId],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            m,
            [MediaChecks::Table.into_iden(), WechatPushes::Table.into_iden(), WechatPushGrants::Table.into_iden()],
        )
        .await
    }
}
