//! The civility-points ledger (double entry, append-only) and the love
//! supermarket. Money in fen is a separate currency in the same ledger.

use sea_orm_migration::prelude::*;

use crate::cols::*;
use crate::m20261123_000001_create_org::Communities;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum LedgerAccounts {
    Table,
    Id,
    CommunityId,
    Kind,
    OwnerKey,
    OwnerUserId,
    Currency,
    Balance,
    AllowNegative,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum LedgerTransfers {
    Table,
    Id,
    CommunityId,
    Kind,
    Status,
    IdempotencyKey,
    RequestHash,
    Reason,
    CreatedBy,
    ReversesId,
    ReviewedBy,
    ReviewedAt,
    Details,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum LedgerEntries {
    Table,
    Id,
    TransferId,
    AccountId,
    CounterpartyAccountId,
    Amount,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum CivilityRules {
    Table,
    CommunityId,
    Rules,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum SupermarketItems {
    Table,
    Id,
    CommunityId,
    Name,
    PricePoints,
    Stock,
    Reserved,
    RetiredAt,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum Redemptions {
    Table,
    Id,
    CommunityId,
    ItemId,
    UserId,
    Quantity,
    Points,
    Status,
    PickupCode,
    HoldTransferId,
    SettleTransferId,
    ExpiresAt,
    SettledBy,
    SettledAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(LedgerAccounts::Table)
                .col(id(LedgerAccounts::Id))
                .col(fk(LedgerAccounts::CommunityId))
                .col(text(LedgerAccounts::Kind))
                .col(text(LedgerAccounts::OwnerKey))
                .col(fk_null(LedgerAccounts::OwnerUserId))
                .col(text(LedgerAccounts::Currency))
                .col(ColumnDef::new(LedgerAccounts::Balance).big_integer().not_null().default(0))
                .col(ColumnDef::new(LedgerAccounts::AllowNegative).boolean().not_null())
                .col(time(LedgerAccounts::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(LedgerAccounts::Table, LedgerAccounts::CommunityId)
                        .to(Communities::Table, Communities::Id),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_ledger_accounts_identity")
                .table(LedgerAccounts::Table)
                .col(LedgerAccounts::CommunityId)
                .col(LedgerAccounts::Kind)
                .col(LedgerAccounts::OwnerKey)
                .col(LedgerAccounts::Currency)
                .unique()
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LedgerTransfers::Table)
                .col(id(LedgerTransfers::Id))
                .col(fk(LedgerTransfers::CommunityId))
                .col(text(LedgerTransfers::Kind))
                .col(text(LedgerTransfers::Status))
                .col(text(LedgerTransfers::IdempotencyKey).unique_key().take())
                .col(text(LedgerTransfers::RequestHash))
                .col(text(LedgerTransfers::Reason))
                .col(fk_null(LedgerTransfers::CreatedBy))
                .col(fk_null(LedgerTransfers::ReversesId))
                .col(fk_null(LedgerTransfers::ReviewedBy))
                .col(time_null(LedgerTransfers::ReviewedAt))
                .col(ColumnDef::new(LedgerTransfers::Details).text().not_null())
                .col(time(LedgerTransfers::CreatedAt))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LedgerEntries::Table)
                .col(id(LedgerEntries::Id))
                .col(fk(LedgerEntries::TransferId))
                .col(fk(LedgerEntries::AccountId))
                .col(fk(LedgerEntries::CounterpartyAccountId))
                .col(ColumnDef::new(LedgerEntries::Amount).big_integer().not_null())
                .col(time(LedgerEntries::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(LedgerEntries::Table, LedgerEntries::TransferId)
                        .to(LedgerTransfers::Table, LedgerTransfers::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(LedgerEntries::Table, LedgerEntries::AccountId)
                        .to(LedgerAccounts::Table, LedgerAccounts::Id),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_ledger_entries_account")
                .table(LedgerEntries::Table)
                .col(LedgerEntries::AccountId)
                .col(LedgerEntries::Id)
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_ledger_entries_transfer")
                .table(LedgerEntries::Table)
                .col(LedgerEntries::TransferId)
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CivilityRules::Table)
                .col(ColumnDef::new(CivilityRules::CommunityId).big_integer().not_null().primary_key())
                .col(ColumnDef::new(CivilityRules::Rules).text().not_null())
                .col(fk(CivilityRules::UpdatedBy))
                .col(time(CivilityRules::UpdatedAt))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SupermarketItems::Table)
                .col(id(SupermarketItems::Id))
                .col(fk(SupermarketItems::CommunityId))
                .col(text(SupermarketItems::Name))
                .col(ColumnDef::new(SupermarketItems::PricePoints).integer().not_null())
                .col(ColumnDef::new(SupermarketItems::Stock).integer().not_null())
                .col(ColumnDef::new(SupermarketItems::Reserved).integer().not_null().default(0))
                .col(time_null(SupermarketItems::RetiredAt))
                .col(fk(SupermarketItems::CreatedBy))
                .col(time(SupermarketItems::CreatedAt))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Redemptions::Table)
                .col(id(Redemptions::Id))
                .col(fk(Redemptions::CommunityId))
                .col(fk(Redemptions::ItemId))
                .col(fk(Redemptions::UserId))
                .col(ColumnDef::new(Redemptions::Quantity).integer().not_null())
                .col(ColumnDef::new(Redemptions::Points).big_integer().not_null())
                .col(text(Redemptions::Status))
                .col(text(Redemptions::PickupCode).unique_key().take())
                .col(fk(Redemptions::HoldTransferId))
                .col(fk_null(Redemptions::SettleTransferId))
                .col(time(Redemptions::ExpiresAt))
                .col(fk_null(Redemptions::SettledBy))
                .col(time_null(Redemptions::SettledAt))
                .col(time(Redemptions::CreatedAt))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_redemptions_status_expires")
                .table(Redemptions::Table)
                .col(Redemptions::Status)
                .col(Redemptions::ExpiresAt)
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Redemptions::Table.into_iden(),
            SupermarketItems::Table.into_iden(),
            CivilityRules::Table.into_iden(),
            LedgerEntries::Table.into_iden(),
            LedgerTransfers::Table.into_iden(),
            LedgerAccounts::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).take()).await?;
        }
        Ok(())
    }
}
