//! Love lunchboxes (爱心盒饭): the roster, daily delivery tasks, and the in-app notices that alert staff.

use sea_orm_migration::prelude::*;

use crate::cols::*;
use crate::m20261123_000001_create_org::{Communities, Users};
use crate::m20261123_000006_create_canteen::Meals;

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
    CommunityId,
    DeliverByMinute,
    UpdatedBy,
    UpdatedAt,
}

async fn index(
    m: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    cols: &[DynIden],
    unique: bool,
) -> Result<(), DbErr> {
    let mut index = Index::create().name(name).table(table).take();
    for col in cols {
        index.col(col.clone());
    }
    if unique {
        index.unique();
    }
    m.create_index(index).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Notifications::Table)
                .col(id(Notifications::Id))
                .col(fk(Notifications::CommunityId))
                .col(fk(Notifications::RecipientId))
                .col(text(Notifications::Kind))
                .col(text_null(Notifications::SubjectKind))
                .col(fk_null(Notifications::SubjectId))
                .col(text(Notifications::Title))
                .col(ColumnDef::new(Notifications::Body).text().not_null())
                .col(text(Notifications::DedupKey).unique_key().take())
                .col(time(Notifications::CreatedAt))
                .col(time_null(Notifications::ReadAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Notifications::Table, Notifications::RecipientId)
                        .to(Users::Table, Users::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Notifications::Table, Notifications::CommunityId)
                        .to(Communities::Table, Communities::Id),
                )
                .take(),
        )
        .await?;
        index(
            m,
            "ix_notifications_recipient",
            Notifications::Table,
            &[Notifications::RecipientId.into_iden(), Notifications::ReadAt.into_iden()],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(LunchboxRecipients::Table)
                .col(id(LunchboxRecipients::Id))
                .col(fk(LunchboxRecipients::CommunityId))
                .col(text(LunchboxRecipients::Name))
                .col(fk_null(LunchboxRecipients::UserId))
                .col(text(LunchboxRecipients::Category))
                .col(text(LunchboxRecipients::Address))
                .col(text(LunchboxRecipients::Phone))
                .col(ColumnDef::new(LunchboxRecipients::PriceFen).big_integer().not_null().default(0))
                .col(text(LunchboxRecipients::MealKind))
                .col(fk(LunchboxRecipients::GridWorkerId))
                .col(ColumnDef::new(LunchboxRecipients::Active).boolean().not_null().default(true))
                .col(text_null(LunchboxRecipients::Note))
                .col(fk(LunchboxRecipients::CreatedBy))
                .col(time(LunchboxRecipients::CreatedAt))
                .col(time(LunchboxRecipients::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(LunchboxRecipients::Table, LunchboxRecipients::CommunityId)
                        .to(Communities::Table, Communities::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(LunchboxRecipients::Table, LunchboxRecipients::UserId)
                        .to(Users::Table, Users::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(LunchboxRecipients::Table, LunchboxRecipients::GridWorkerId)
                        .to(Users::Table, Users::Id),
                )
                .take(),
        )
        .await?;
        // A resident is on a community's roster once (NULLs, people without WeChat, are distinct).
        index(
            m,
            "ux_lunchbox_recipients_user",
            LunchboxRecipients::Table,
            &[LunchboxRecipients::CommunityId.into_iden(), LunchboxRecipients::UserId.into_iden()],
            true,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(LunchboxDeliveries::Table)
                .col(id(LunchboxDeliveries::Id))
                .col(fk(LunchboxDeliveries::CommunityId))
                .col(fk(LunchboxDeliveries::RecipientId))
                .col(ColumnDef::new(LunchboxDeliveries::ServedOn).date().not_null())
                .col(fk(LunchboxDeliveries::MealId))
                .col(text(LunchboxDeliveries::Status))
                .col(ColumnDef::new(LunchboxDeliveries::PriceFen).big_integer().not_null().default(0))
                .col(fk_null(LunchboxDeliveries::ClaimantId))
                .col(time_null(LunchboxDeliveries::ClaimedAt))
                .col(time_null(LunchboxDeliveries::DeliveredAt))
                .col(ColumnDef::new(LunchboxDeliveries::PhotoUrls).text().null())
                .col(time_null(LunchboxDeliveries::PhotoConfirmedAt))
                .col(time_null(LunchboxDeliveries::RecipientConfirmedAt))
                .col(ColumnDef::new(LunchboxDeliveries::CashFen).big_integer().null())
                .col(fk_null(LunchboxDeliveries::PaymentTransferId))
                .col(text_null(LunchboxDeliveries::UndeliveredReason))
                .col(time_null(LunchboxDeliveries::CancelledAt))
                .col(time_null(LunchboxDeliveries::AlertedAt))
                .col(fk(LunchboxDeliveries::CreatedBy))
                .col(time(LunchboxDeliveries::CreatedAt))
                .col(time(LunchboxDeliveries::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(LunchboxDeliveries::Table, LunchboxDeliveries::RecipientId)
                        .to(LunchboxRecipients::Table, LunchboxRecipients::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(LunchboxDeliveries::Table, LunchboxDeliveries::MealId)
                        .to(Meals::Table, Meals::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(LunchboxDeliveries::Table, LunchboxDeliveries::ClaimantId)
                        .to(Users::Table, Users::Id),
                )
                .take(),
        )
        .await?;
        // One lunchbox per recipient and day: generating twice adds only new recipients.
        index(
            m,
            "ux_lunchbox_deliveries_recipient_day",
            LunchboxDeliveries::Table,
            &[LunchboxDeliveries::RecipientId.into_iden(), LunchboxDeliveries::ServedOn.into_iden()],
            true,
        )
        .await?;
        index(
            m,
            "ix_lunchbox_deliveries_community_day",
            LunchboxDeliveries::Table,
            &[LunchboxDeliveries::CommunityId.into_iden(), LunchboxDeliveries::ServedOn.into_iden()],
            false,
        )
        .await?;
        index(
            m,
            "ix_lunchbox_deliveries_claimant",
            LunchboxDeliveries::Table,
            &[LunchboxDeliveries::ClaimantId.into_iden()],
            false,
        )
        .await?;
        index(
            m,
            "ix_lunchbox_deliveries_alert",
            LunchboxDeliveries::Table,
            &[LunchboxDeliveries::AlertedAt.into_iden(), LunchboxDeliveries::ServedOn.into_iden()],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(LunchboxSettings::Table)
                .col(ColumnDef::new(LunchboxSettings::CommunityId).big_integer().not_null().primary_key())
                .col(ColumnDef::new(LunchboxSettings::DeliverByMinute).integer().not_null())
                .col(fk(LunchboxSettings::UpdatedBy))
                .col(time(LunchboxSettings::UpdatedAt))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LunchboxSettings::Table.into_iden(),
            LunchboxDeliveries::Table.into_iden(),
            LunchboxRecipients::Table.into_iden(),
            Notifications::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).take()).await?;
        }
        Ok(())
    }
}
