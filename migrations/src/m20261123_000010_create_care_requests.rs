//! Elderly-care requests (a care request is an order with a care record
//! beside it, so it runs on the order spine), the cash hand-over record for
//! help drawing cash, wristbands bound to residents, and the webhook
//! deliveries already accepted (so a replayed alarm is refused).

use sea_orm_migration::prelude::*;

use crate::m20261123_000003_create_orders::Orders;
use crate::shared::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum CareRequests {
    Table,
    OrderId,
    CommunityId,
    ElderId,
    Kind,
    Urgent,
    /// Who filed it: ELDER, FAMILY, GRID_WORKER, HOUSEHOLD_LEAD, SECRETARY, WRISTBAND.
    FiledAs,
    /// Help drawing cash: the amount, in fen.
    CashAmountFen,
    CashHandedBy,
    CashHandedAt,
    CashReceiptUrl,
    CashConfirmedBy,
    CashConfirmedAt,
    /// A wristband alarm's device, and how many alarms joined this request.
    DeviceId,
    AlarmCount,
    LastAlarmAt,
    /// Set once when nobody claimed it in time and the secretary was told.
    EscalatedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum Wristbands {
    Table,
    Id,
    DeviceId,
    CommunityId,
    ResidentId,
    RegisteredBy,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum WebhookReceipts {
    Table,
    Id,
    Source,
    /// SHA-256 of the signature header: one delivery is accepted once.
    Digest,
    ReceivedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table(CareRequests::Table)
                .col(ColumnDef::new(CareRequests::OrderId).big_integer().not_null().primary_key())
                .col(fk(CareRequests::CommunityId))
                .col(fk(CareRequests::ElderId))
                .col(text(CareRequests::Kind))
                .col(flag(CareRequests::Urgent).default(false).take())
                .col(text(CareRequests::FiledAs))
                .col(big_null(CareRequests::CashAmountFen))
                .col(fk_null(CareRequests::CashHandedBy))
                .col(time_null(CareRequests::CashHandedAt))
                .col(text_null(CareRequests::CashReceiptUrl))
                .col(fk_null(CareRequests::CashConfirmedBy))
                .col(time_null(CareRequests::CashConfirmedAt))
                .col(text_null(CareRequests::DeviceId))
                .col(int(CareRequests::AlarmCount).default(0).take())
                .col(time_null(CareRequests::LastAlarmAt))
                .col(time_null(CareRequests::EscalatedAt))
                .col(time(CareRequests::CreatedAt))
                .foreign_key(&mut reference(CareRequests::Table, CareRequests::OrderId, Orders::Table, Orders::Id))
                .foreign_key(&mut to_communities(CareRequests::Table, CareRequests::CommunityId))
                .foreign_key(&mut to_users(CareRequests::Table, CareRequests::ElderId))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_care_requests_elder",
            CareRequests::Table,
            [CareRequests::ElderId, CareRequests::CreatedAt],
        ))
        .await?;
        m.create_index(index(
            "ix_care_requests_device",
            CareRequests::Table,
            [CareRequests::DeviceId, CareRequests::LastAlarmAt],
        ))
        .await?;
        m.create_table(
            table(Wristbands::Table)
                .col(id(Wristbands::Id))
                .col(text(Wristbands::DeviceId).unique_key().take())
                .col(fk(Wristbands::CommunityId))
                .col(fk(Wristbands::ResidentId))
                .col(fk(Wristbands::RegisteredBy))
                .col(time(Wristbands::CreatedAt))
                .foreign_key(&mut to_users(Wristbands::Table, Wristbands::ResidentId))
                .take(),
        )
        .await?;
        m.create_table(
            table(WebhookReceipts::Table)
                .col(id(WebhookReceipts::Id))
                .col(text(WebhookReceipts::Source))
                .col(text(WebhookReceipts::Digest).unique_key().take())
                .col(time(WebhookReceipts::ReceivedAt))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            m,
            [WebhookReceipts::Table.into_iden(), Wristbands::Table.into_iden(), CareRequests::Table.into_iden()],
        )
        .await
    }
}
