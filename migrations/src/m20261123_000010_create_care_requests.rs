//! Elderly-care requests (a care request is an order with a care record
//! beside it, so it runs on the order spine), the cash hand-over record for
//! help drawing cash, wristbands bound to residents, and the webhook
//! deliveries already accepted (so a replayed alarm is refused).

use sea_orm_migration::prelude::*;

use crate::cols::*;
use crate::m20261123_000001_create_org::{Communities, Users};
use crate::m20261123_000003_create_orders::Orders;

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
            Table::create()
                .table(CareRequests::Table)
                .col(ColumnDef::new(CareRequests::OrderId).big_integer().not_null().primary_key())
                .col(fk(CareRequests::CommunityId))
                .col(fk(CareRequests::ElderId))
                .col(text(CareRequests::Kind))
                .col(ColumnDef::new(CareRequests::Urgent).boolean().not_null().default(false))
                .col(text(CareRequests::FiledAs))
                .col(ColumnDef::new(CareRequests::CashAmountFen).big_integer().null())
                .col(fk_null(CareRequests::CashHandedBy))
                .col(time_null(CareRequests::CashHandedAt))
                .col(text_null(CareRequests::CashReceiptUrl))
                .col(fk_null(CareRequests::CashConfirmedBy))
                .col(time_null(CareRequests::CashConfirmedAt))
                .col(text_null(CareRequests::DeviceId))
                .col(ColumnDef::new(CareRequests::AlarmCount).integer().not_null().default(0))
                .col(time_null(CareRequests::LastAlarmAt))
                .col(time_null(CareRequests::EscalatedAt))
                .col(time(CareRequests::CreatedAt))
                .foreign_key(
                    ForeignKey::create().from(CareRequests::Table, CareRequests::OrderId).to(Orders::Table, Orders::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(CareRequests::Table, CareRequests::CommunityId)
                        .to(Communities::Table, Communities::Id),
                )
                .foreign_key(
                    ForeignKey::create().from(CareRequests::Table, CareRequests::ElderId).to(Users::Table, Users::Id),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_care_requests_elder")
                .table(CareRequests::Table)
                .col(CareRequests::ElderId)
                .col(CareRequests::CreatedAt)
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_care_requests_device")
                .table(CareRequests::Table)
                .col(CareRequests::DeviceId)
                .col(CareRequests::LastAlarmAt)
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Wristbands::Table)
                .col(id(Wristbands::Id))
                .col(text(Wristbands::DeviceId).unique_key().take())
                .col(fk(Wristbands::CommunityId))
                .col(fk(Wristbands::ResidentId))
                .col(fk(Wristbands::RegisteredBy))
                .col(time(Wristbands::CreatedAt))
                .foreign_key(
                    ForeignKey::create().from(Wristbands::Table, Wristbands::ResidentId).to(Users::Table, Users::Id),
                )
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(WebhookReceipts::Table)
                .col(id(WebhookReceipts::Id))
                .col(text(WebhookReceipts::Source))
                .col(text(WebhookReceipts::Digest).unique_key().take())
                .col(time(WebhookReceipts::ReceivedAt))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in
            [WebhookReceipts::Table.into_iden(), Wristbands::Table.into_iden(), CareRequests::Table.into_iden()]
        {
            m.drop_table(Table::drop().table(table).take()).await?;
        }
        Ok(())
    }
}
