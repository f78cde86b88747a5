//! The civility-points ledger (double entry, append-only) and the love
//! supermarket. Money in fen is a separate currency in the same ledger.

use sea_orm_migration::prelude::*;

use crate::shared::*;

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
    Rules,
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
            table(LedgerAccounts::Table)
                .col(id(LedgerAccounts::Id))
                .col(fk(LedgerAccounts::CommunityId))
                .col(text(LedgerAccounts::Kind))
                .col(text(LedgerAccounts::OwnerKey))
                .col(fk_null(LedgerAccounts::OwnerUserId))
                .col(text(LedgerAccounts::Currency))
                .col(big(LedgerAccounts::Balance).default(0).take())
                .col(flag(LedgerAccounts::AllowNegative))
                .col(time(LedgerAccounts::CreatedAt))
                .foreign_key(&mut to_communities(LedgerAccounts::Table, LedgerAccounts::CommunityId))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "ux_ledger_accounts_identity",
            LedgerAccounts::Table,
            [LedgerAccounts::CommunityId, LedgerAccounts::Kind, LedgerAccounts::OwnerKey, LedgerAccounts::Currency],
        ))
        .await?;
        m.create_table(
            table(LedgerTransfers::Table)
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
                .col(long_text(LedgerTransfers::Details))
                .col(time(LedgerTransfers::CreatedAt))
                .take(),
        )
        .await?;
        m.create_table(
            table(LedgerEntries::Table)
                .col(id(LedgerEntries::Id))
                .col(fk(LedgerEntries::TransferId))
                .col(fk(LedgerEntries::AccountId))
                .col(fk(LedgerEntries::CounterpartyAccountId))
                .col(big(LedgerEntries::Amount))
                .col(time(LedgerEntries::CreatedAt))
                .foreign_key(&mut reference(
                    LedgerEntries::Table,
                    LedgerEntries::TransferId,
                    LedgerTransfers::Table,
                    LedgerTransfers::Id,
                ))
                .foreign_key(&mut reference(
                    LedgerEntries::Table,
                    LedgerEntries::AccountId,
                    LedgerAccounts::Table,
                    LedgerAccounts::Id,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_ledger_entries_account",
            LedgerEntries::Table,
            [LedgerEntries::AccountId, LedgerEntries::Id],
        ))
        .await?;
        m.create_index(index("ix_ledger_entries_transfer", LedgerEntries::Table, [LedgerEntries::TransferId])).await?;
        m.create_table(settings_table(CivilityRules::Table, long_text(CivilityRules::Rules))).await?;
        m.create_table(
            table(SupermarketItems::Table)
                .col(id(SupermarketItems::Id))
                .col(fk(SupermarketItems::CommunityId))
                .col(text(SupermarketItems::Name))
                .col(int(SupermarketItems::PricePoints))
                .col(int(SupermarketItems::Stock))
                .col(int(SupermarketItems::Reserved).default(0).take())
                .col(time_null(SupermarketItems::RetiredAt))
                .col(fk(SupermarketItems::CreatedBy))
                .col(time(SupermarketItems::CreatedAt))
                .take(),
        )
        .await?;
        m.create_table(
            table(Redemptions::Table)
                .col(id(Redemptions::Id))
                .col(fk(Redemptions::CommunityId))
                .col(fk(Redemptions::ItemId))
                .col(fk(Redemptions::UserId))
                .col(int(Redemptions::Quantity))
                .col(big(Redemptions::Points))
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
        m.create_index(index(
            "ix_redemptions_status_expires",
            Redemptions::Table,
            [Redemptions::Status, Redemptions::ExpiresAt],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            m,
            [
                Redemptions::Table.into_iden(),
                SupermarketItems::Table.into_iden(),
                CivilityRules::Table.into_iden(),
                LedgerEntries::Table.into_iden(),
                LedgerTransfers::Table.into_iden(),
                LedgerAccounts::Table.into_iden(),
            ],
        )
        .await
    }
}
