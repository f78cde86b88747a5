//! Banquets (红白喜事) in the canteen's venue: banquet menus, bookings and the council's limits.

use sea_orm_migration::prelude::*;

use crate::shared::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum BanquetVenues {
    Table,
    Id,
    CommunityId,
    Name,
    /// How many tables the room seats.
    Tables,
    /// NULL for demo data.
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum BanquetMenus {
    Table,
    Id,
    CommunityId,
    Name,
    PricePerTableFen,
    /// JSON array of dish names.
    Dishes,
    RetiredAt,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum BanquetBookings {
    Table,
    Id,
    CommunityId,
    VenueId,
    MenuId,
    BookedBy,
    HeldOn,
    Kind,
    HostName,
    ContactPhone,
    Tables,
    Guests,
    /// The menu's price when booked.
    PricePerTableFen,
    TotalFen,
    Note,
    Status,
    /// "<venue>:<date>" while pending, approved or held; NULL once declined or
    /// cancelled. Unique, so one venue has one booking a day however many
    /// requests race, and the day frees up when a booking ends.
    ActiveKey,
    DecidedBy,
    DecidedAt,
    DeclineReason,
    CancelledBy,
    CancelledAt,
    CancelReason,
    HeldBy,
    HeldAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum BanquetLimits {
    Table,
    /// JSON of the community's limits.
    Limits,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table(BanquetVenues::Table)
                .col(id(BanquetVenues::Id))
                .col(fk(BanquetVenues::CommunityId))
                .col(text(BanquetVenues::Name))
                .col(int(BanquetVenues::Tables))
                .col(fk_null(BanquetVenues::CreatedBy))
                .col(time(BanquetVenues::CreatedAt))
                .foreign_key(&mut to_communities(BanquetVenues::Table, BanquetVenues::CommunityId))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "ux_banquet_venues_community_name",
            BanquetVenues::Table,
            [BanquetVenues::CommunityId, BanquetVenues::Name],
        ))
        .await?;
        m.create_table(
            table(BanquetMenus::Table)
                .col(id(BanquetMenus::Id))
                .col(fk(BanquetMenus::CommunityId))
                .col(text(BanquetMenus::Name))
                .col(big(BanquetMenus::PricePerTableFen))
                .col(long_text(BanquetMenus::Dishes))
                .col(time_null(BanquetMenus::RetiredAt))
                .col(fk_null(BanquetMenus::CreatedBy))
                .col(time(BanquetMenus::CreatedAt))
                .foreign_key(&mut to_communities(BanquetMenus::Table, BanquetMenus::CommunityId))
                .take(),
        )
        .await?;
        m.create_index(index("ix_banquet_menus_community", BanquetMenus::Table, [BanquetMenus::CommunityId])).await?;
        m.create_table(
            table(BanquetBookings::Table)
                .col(id(BanquetBookings::Id))
                .col(fk(BanquetBookings::CommunityId))
                .col(fk(BanquetBookings::VenueId))
                .col(fk(BanquetBookings::MenuId))
                .col(fk(BanquetBookings::BookedBy))
                .col(date(BanquetBookings::HeldOn))
                .col(text(BanquetBookings::Kind))
                .col(text(BanquetBookings::HostName))
                .col(text(BanquetBookings::ContactPhone))
                .col(int(BanquetBookings::Tables))
                .col(int(BanquetBookings::Guests))
                .col(big(BanquetBookings::PricePerTableFen))
                .col(big(BanquetBookings::TotalFen))
                .col(long_text_null(BanquetBookings::Note))
                .col(text(BanquetBookings::Status))
                .col(text_null(BanquetBookings::ActiveKey).unique_key().take())
                .col(fk_null(BanquetBookings::DecidedBy))
                .col(time_null(BanquetBookings::DecidedAt))
                .col(text_null(BanquetBookings::DeclineReason))
                .col(fk_null(BanquetBookings::CancelledBy))
                .col(time_null(BanquetBookings::CancelledAt))
                .col(text_null(BanquetBookings::CancelReason))
                .col(fk_null(BanquetBookings::HeldBy))
                .col(time_null(BanquetBookings::HeldAt))
                .col(time(BanquetBookings::CreatedAt))
                .col(time(BanquetBookings::UpdatedAt))
                .foreign_key(&mut to_communities(BanquetBookings::Table, BanquetBookings::CommunityId))
                .foreign_key(&mut reference(
                    BanquetBookings::Table,
                    BanquetBookings::VenueId,
                    BanquetVenues::Table,
                    BanquetVenues::Id,
                ))
                .foreign_key(&mut reference(
                    BanquetBookings::Table,
                    BanquetBookings::MenuId,
                    BanquetMenus::Table,
                    BanquetMenus::Id,
                ))
                .foreign_key(&mut to_users(BanquetBookings::Table, BanquetBookings::BookedBy))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_banquet_bookings_community_day",
            BanquetBookings::Table,
            [BanquetBookings::CommunityId, BanquetBookings::HeldOn],
        ))
        .await?;
        m.create_index(index("ix_banquet_bookings_booked_by", BanquetBookings::Table, [BanquetBookings::BookedBy]))
            .await?;
        m.create_table(
            settings_table(BanquetLimits::Table, long_text(BanquetLimits::Limits))
                .foreign_key(&mut to_communities(BanquetLimits::Table, SettingsColumns::CommunityId))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            m,
            [
                BanquetLimits::Table.into_iden(),
                BanquetBookings::Table.into_iden(),
                BanquetMenus::Table.into_iden(),
                BanquetVenues::Table.into_iden(),
            ],
        )
        .await
    }
}
