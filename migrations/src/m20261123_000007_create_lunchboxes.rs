//! Love lunchboxes (爱心盒饭): the roster, daily delivery tasks, and the in-app notices that alert staff.

use sea_orm_migration::prelude::*;

use crate::m20261123_000006_create_canteen::Meals;
use crate::shared::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Notifications {
    Table,
    Id,
    CommunityId,
    RecipientId,
    Kind,
    SubjectKind,
    SubjectId,
    Title,
    Body,
    DedupKey,
    CreatedAt,
    ReadAt,
}

#[derive(DeriveIden)]
pub enum LunchboxRecipients {
    Table,
    Id,
    CommunityId,
    Name,
    UserId,
    Category,
    Address,
    Phone,
    PriceFen,
    MealKind,
    GridWorkerId,
    Active,
    Note,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum LunchboxDeliveries {
    Table,
    Id,
    CommunityId,
    RecipientId,
    ServedOn,
    MealId,
    Status,
    PriceFen,
    ClaimantId,
    ClaimedAt,
    DeliveredAt,
    PhotoUrls,
    PhotoConfirmedAt,
    RecipientConfirmedAt,
    CashFen,
    PaymentTransferId,
    UndeliveredReason,
    CancelledAt,
    AlertedAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum LunchboxSettings {
    Table,
    DeliverByMinute,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table(Notifications::Table)
                .col(id(Notifications::Id))
                .col(fk(Notifications::CommunityId))
                .col(fk(Notifications::RecipientId))
                .col(text(Notifications::Kind))
                .col(text_null(Notifications::SubjectKind))
                .col(fk_null(Notifications::SubjectId))
                .col(text(Notifications::Title))
                .col(long_text(Notifications::Body))
                .col(text(Notifications::DedupKey).unique_key().take())
                .col(time(Notifications::CreatedAt))
                .col(time_null(Notifications::ReadAt))
                .foreign_key(&mut to_users(Notifications::Table, Notifications::RecipientId))
                .foreign_key(&mut to_communities(Notifications::Table, Notifications::CommunityId))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_notifications_recipient",
            Notifications::Table,
            [Notifications::RecipientId, Notifications::ReadAt],
        ))
        .await?;

        m.create_table(
            table(LunchboxRecipients::Table)
                .col(id(LunchboxRecipients::Id))
                .col(fk(LunchboxRecipients::CommunityId))
                .col(text(LunchboxRecipients::Name))
                .col(fk_null(LunchboxRecipients::UserId))
                .col(text(LunchboxRecipients::Category))
                .col(text(LunchboxRecipients::Address))
                .col(text(LunchboxRecipients::Phone))
                .col(big(LunchboxRecipients::PriceFen).default(0).take())
                .col(text(LunchboxRecipients::MealKind))
                .col(fk(LunchboxRecipients::GridWorkerId))
                .col(flag(LunchboxRecipients::Active).default(true).take())
                .col(text_null(LunchboxRecipients::Note))
                .col(fk(LunchboxRecipients::CreatedBy))
                .col(time(LunchboxRecipients::CreatedAt))
                .col(time(LunchboxRecipients::UpdatedAt))
                .foreign_key(&mut to_communities(LunchboxRecipients::Table, LunchboxRecipients::CommunityId))
                .foreign_key(&mut to_users(LunchboxRecipients::Table, LunchboxRecipients::UserId))
                .foreign_key(&mut to_users(LunchboxRecipients::Table, LunchboxRecipients::GridWorkerId))
                .take(),
        )
        .await?;
        // A resident is on a community's roster once (NULLs, people without WeChat, are distinct).
        m.create_index(unique_index(
            "ux_lunchbox_recipients_user",
            LunchboxRecipients::Table,
            [LunchboxRecipients::CommunityId, LunchboxRecipients::UserId],
        ))
        .await?;

        m.create_table(
            table(LunchboxDeliveries::Table)
                .col(id(LunchboxDeliveries::Id))
                .col(fk(LunchboxDeliveries::CommunityId))
                .col(fk(LunchboxDeliveries::RecipientId))
                .col(date(LunchboxDeliveries::ServedOn))
                .col(fk(LunchboxDeliveries::MealId))
                .col(text(LunchboxDeliveries::Status))
                .col(big(LunchboxDeliveries::PriceFen).default(0).take())
                .col(fk_null(LunchboxDeliveries::ClaimantId))
                .col(time_null(LunchboxDeliveries::ClaimedAt))
                .col(time_null(LunchboxDeliveries::DeliveredAt))
                .col(long_text_null(LunchboxDeliveries::PhotoUrls))
                .col(time_null(LunchboxDeliveries::PhotoConfirmedAt))
                .col(time_null(LunchboxDeliveries::RecipientConfirmedAt))
                .col(big_null(LunchboxDeliveries::CashFen))
                .col(fk_null(LunchboxDeliveries::PaymentTransferId))
                .col(text_null(LunchboxDeliveries::UndeliveredReason))
                .col(time_null(LunchboxDeliveries::CancelledAt))
                .col(time_null(LunchboxDeliveries::AlertedAt))
                .col(fk(LunchboxDeliveries::CreatedBy))
                .col(time(LunchboxDeliveries::CreatedAt))
                .col(time(LunchboxDeliveries::UpdatedAt))
                .foreign_key(&mut reference(
                    LunchboxDeliveries::Table,
                    LunchboxDeliveries::RecipientId,
                    LunchboxRecipients::Table,
                    LunchboxRecipients::Id,
                ))
                .foreign_key(&mut reference(
                    LunchboxDeliveries::Table,
                    LunchboxDeliveries::MealId,
                    Meals::Table,
                    Meals::Id,
                ))
                .foreign_key(&mut to_users(LunchboxDeliveries::Table, LunchboxDeliveries::ClaimantId))
                .take(),
        )
        .await?;
        // One lunchbox per recipient and day: generating twice adds only new recipients.
        m.create_index(unique_index(
            "ux_lunchbox_deliveries_recipient_day",
            LunchboxDeliveries::Table,
            [LunchboxDeliveries::RecipientId, LunchboxDeliveries::ServedOn],
        ))
        .await?;
        m.create_index(index(
            "ix_lunchbox_deliveries_community_day",
            LunchboxDeliveries::Table,
            [LunchboxDeliveries::CommunityId, LunchboxDeliveries::ServedOn],
        ))
        .await?;
        m.create_index(index(
            "ix_lunchbox_deliveries_claimant",
            LunchboxDeliveries::Table,
            [LunchboxDeliveries::ClaimantId],
        ))
        .await?;
        m.create_index(index(
            "ix_lunchbox_deliveries_alert",
            LunchboxDeliveries::Table,
            [LunchboxDeliveries::AlertedAt, LunchboxDeliveries::ServedOn],
        ))
        .await?;

        m.create_table(settings_table(LunchboxSettings::Table, int(LunchboxSettings::DeliverByMinute))).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            m,
            [
                LunchboxSettings::Table.into_iden(),
                LunchboxDeliveries::Table.into_iden(),
                LunchboxRecipients::Table.into_iden(),
                Notifications::Table.into_iden(),
            ],
        )
        .await
    }
}
