//! Banquets (红白喜事) in the canteen's venue: banquet menus, bookings and the council's limits.

use sea_orm_migration::prelude::*;

use crate::cols::*;
use crate::m20261123_000001_create_org::{Communities, Users};

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
    CommunityId,
    /// JSON of the community's limits.
    Limits,
    UpdatedBy,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(BanquetVenues::Table)
                .col(id(BanquetVenues::Id))
                .col(fk(BanquetVenues::CommunityId))
                .col(text(BanquetVenues::Name))
                .col(ColumnDef::new(BanquetVenues::Tables).integer().not_null())
                .col(fk_null(BanquetVenues::CreatedBy))
                .col(time(BanquetVenues::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(BanquetVenues::Table, BanquetVenues::CommunityId)
                        .to(Communities::Table, Communities::Id),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_banquet_venues_community_name")
                .table(BanquetVenues::Table)
                .col(BanquetVenues::CommunityId)
                .col(BanquetVenues::Name)
                .unique()
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(BanquetMenus::Table)
                .col(id(BanquetMenus::Id))
                .col(fk(BanquetMenus::CommunityId))
                .col(text(BanquetMenus::Name))
                .col(ColumnDef::new(BanquetMenus::PricePerTableFen).big_integer().not_null())
                .col(ColumnDef::new(BanquetMenus::Dishes).text().not_null())
                .col(time_null(BanquetMenus::RetiredAt))
                .col(fk_null(BanquetMenus::CreatedBy))
                .col(time(BanquetMenus::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(BanquetMenus::Table, BanquetMenus::CommunityId)
                        .to(Communities::Table, Communities::Id),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_banquet_menus_community")
                .table(BanquetMenus::Table)
                .col(BanquetMenus::CommunityId)
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(BanquetBookings::Table)
                .col(id(BanquetBookings::Id))
                .col(fk(BanquetBookings::CommunityId))
                .col(fk(BanquetBookings::VenueId))
                .col(fk(BanquetBookings::MenuId))
                .col(fk(BanquetBookings::BookedBy))
                .col(ColumnDef::new(BanquetBookings::HeldOn).date().not_null())
                .col(text(BanquetBookings::Kind))
                .col(text(BanquetBookings::HostName))
                .col(text(BanquetBookings::ContactPhone))
                .col(ColumnDef::new(BanquetBookings::Tables).integer().not_null())
                .col(ColumnDef::new(BanquetBookings::Guests).integer().not_null())
                .col(ColumnDef::new(BanquetBookings::PricePerTableFen).big_integer().not_null())
                .col(ColumnDef::new(BanquetBookings::TotalFen).big_integer().not_null())
                .col(ColumnDef::new(BanquetBookings::Note).text().null())
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
                .foreign_key(
                    ForeignKey::create()
                        .from(BanquetBookings::Table, BanquetBookings::CommunityId)
                        .to(Communities::Table, Communities::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(BanquetBookings::Table, BanquetBookings::VenueId)
                        .to(BanquetVenues::Table, BanquetVenues::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(BanquetBookings::Table, BanquetBookings::MenuId)
                        .to(BanquetMenus::Table, BanquetMenus::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(BanquetBookings::Table, BanquetBookings::BookedBy)
                        .to(Users::Table, Users::Id),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_banquet_bookings_community_day")
                .table(BanquetBookings::Table)
                .col(BanquetBookings::CommunityId)
                .col(BanquetBookings::HeldOn)
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_banquet_bookings_booked_by")
                .table(BanquetBookings::Table)
                .col(BanquetBookings::BookedBy)
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(BanquetLimits::Table)
                .col(ColumnDef::new(BanquetLimits::CommunityId).big_integer().not_null().primary_key())
                .col(ColumnDef::new(BanquetLimits::Limits).text().not_null())
                .col(fk(BanquetLimits::UpdatedBy))
                .col(time(BanquetLimits::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(BanquetLimits::Table, BanquetLimits::CommunityId)
                        .to(Communities::Table, Communities::Id),
                )
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            BanquetLimits::Table.into_iden(),
            BanquetBookings::Table.into_iden(),
            BanquetMenus::Table.into_iden(),
            BanquetVenues::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).take()).await?;
        }
        Ok(())
    }
}
