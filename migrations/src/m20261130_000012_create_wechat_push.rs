//! WeChat subscription messages (opt-ins, the send outbox and its record) and content-security checks.

use sea_orm_migration::prelude::*;

use crate::cols::*;
use crate::m20261123_000001_create_org::Users;

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
            Table::create()
                .table(WechatPushGrants::Table)
                .col(id(WechatPushGrants::Id))
                .col(fk(WechatPushGrants::UserId))
                .col(text(WechatPushGrants::Kind))
                .col(ColumnDef::new(WechatPushGrants::Remaining).integer().not_null())
                .col(time(WechatPushGrants::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(WechatPushGrants::Table, WechatPushGrants::UserId)
                        .to(Users::Table, Users::Id),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_wechat_push_grants_user_kind")
                .table(WechatPushGrants::Table)
                .col(WechatPushGrants::UserId)
                .col(WechatPushGrants::Kind)
                .unique()
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(WechatPushes::Table)
                .col(id(WechatPushes::Id))
                .col(fk(WechatPushes::CommunityId))
                .col(fk(WechatPushes::UserId))
                .col(text(WechatPushes::Kind))
                .col(ColumnDef::new(WechatPushes::Data).text().not_null())
                .col(text(WechatPushes::Page))
                .col(text(WechatPushes::DedupKey).unique_key().take())
                .col(text(WechatPushes::Status))
                .col(ColumnDef::new(WechatPushes::Attempts).integer().not_null())
                .col(time(WechatPushes::NextAttemptAt))
                .col(ColumnDef::new(WechatPushes::LastErrcode).big_integer().null())
                .col(text_null(WechatPushes::LastError))
                .col(time_null(WechatPushes::SentAt))
                .col(time(WechatPushes::CreatedAt))
                .foreign_key(
                    ForeignKey::create().from(WechatPushes::Table, WechatPushes::UserId).to(Users::Table, Users::Id),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_wechat_pushes_status_due")
                .table(WechatPushes::Table)
                .col(WechatPushes::Status)
                .col(WechatPushes::NextAttemptAt)
                .take(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_wechat_pushes_user").table(WechatPushes::Table).col(WechatPushes::UserId).take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(MediaChecks::Table)
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
        m.create_index(
            Index::create().name("ix_media_checks_upload").table(MediaChecks::Table).col(MediaChecks::UploadId).take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_media_checks_subject")
                .table(MediaChecks::Table)
                .col(MediaChecks::SubjectKind)
                .col(MediaChecks::SubjectId)
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in
            [MediaChecks::Table.into_iden(), WechatPushes::Table.into_iden(), WechatPushGrants::Table.into_iden()]
        {
            m.drop_table(Table::drop().table(table).take()).await?;
        }
        Ok(())
    }
}
