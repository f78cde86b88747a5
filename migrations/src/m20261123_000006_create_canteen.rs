//! The contract canteen (合约食堂): daily menus, meal bookings and the
//! canteen's settings.

use sea_orm_migration::prelude::*;

use crate::cols::*;
use crate::m20261123_000001_create_org::{Communities, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Meals {
    Table,
    Id,
    CommunityId,
    ServedOn,
    Kind,
    Name,
    PriceFen,
    Quantity,
    Booked,
    PublishedBy,
    WithdrawnAt,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum MealBookings {
    Table,
    Id,
    MealId,
    CommunityId,
    UserId,
    ServedOn,
    Quantity,
    Status,
    DiscountFen,
    CouponTransferId,
    PaidFen,
    PaymentMethod,
    PaymentTransferId,
    PaidAt,
    CollectedAt,
    CancelledAt,
    IdempotencyKey,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum CanteenSettings {
    Table,
    CommunityId,
    Settings,
    UpdatedBy,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Meals::Table)
                .col(id(Meals::Id))
                .col(fk(Meals::CommunityId))
                .col(ColumnDef::new(Meals::ServedOn).date().not_null())
                .col(text(Meals::Kind))
                .col(text(Meals::Name))
                .col(ColumnDef::new(Meals::PriceFen).big_integer().not_null())
                .col(ColumnDef::new(Meals::Quantity).integer().not_null())
                .col(ColumnDef::new(Meals::Booked).integer().not_null().default(0))
                .col(fk(Meals::PublishedBy))
                .col(time_null(Meals::WithdrawnAt))
                .col(time(Meals::CreatedAt))
                .foreign_key(
                    ForeignKey::create().from(Meals::Table, Meals::CommunityId).to(Communities::Table, Communities::Id),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_meals_community_day")
                .table(Meals::Table)
                .col(Meals::CommunityId)
                .col(Meals::ServedOn)
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(MealBookings::Table)
                .col(id(MealBookings::Id))
                .col(fk(MealBookings::MealId))
                .col(fk(MealBookings::CommunityId))
                .col(fk(MealBookings::UserId))
                .col(ColumnDef::new(MealBookings::ServedOn).date().not_null())
                .col(ColumnDef::new(MealBookings::Quantity).integer().not_null())
                .col(text(MealBookings::Status))
                .col(ColumnDef::new(MealBookings::DiscountFen).big_integer().not_null().default(0))
                .col(fk_null(MealBookings::CouponTransferId))
                .col(ColumnDef::new(MealBookings::PaidFen).big_integer().null())
                .col(text_null(MealBookings::PaymentMethod))
                .col(fk_null(MealBookings::PaymentTransferId))
                .col(time_null(MealBookings::PaidAt))
                .col(time_null(MealBookings::CollectedAt))
                .col(time_null(MealBookings::CancelledAt))
                .col(text(MealBookings::IdempotencyKey).unique_key().take())
                .col(time(MealBookings::CreatedAt))
                .foreign_key(
                    ForeignKey::create().from(MealBookings::Table, MealBookings::MealId).to(Meals::Table, Meals::Id),
                )
                .foreign_key(
                    ForeignKey::create().from(MealBookings::Table, MealBookings::UserId).to(Users::Table, Users::Id),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_meal_bookings_community_day")
                .table(MealBookings::Table)
                .col(MealBookings::CommunityId)
                .col(MealBookings::ServedOn)
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CanteenSettings::Table)
                .col(ColumnDef::new(CanteenSettings::CommunityId).big_integer().not_null().primary_key())
                .col(ColumnDef::new(CanteenSettings::Settings).text().not_null())
                .col(fk(CanteenSettings::UpdatedBy))
                .col(time(CanteenSettings::UpdatedAt))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [CanteenSettings::Table.into_iden(), MealBookings::Table.into_iden(), Meals::Table.into_iden()] {
            m.drop_table(Table::drop().table(table).take()).await?;
        }
        Ok(())
    }
}
