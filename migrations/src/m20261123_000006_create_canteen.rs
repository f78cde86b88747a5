//! The contract canteen (合约食堂): daily menus, meal bookings and the
//! canteen's settings.

use sea_orm_migration::prelude::*;

use crate::shared::*;

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
    Settings,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table(Meals::Table)
                .col(id(Meals::Id))
                .col(fk(Meals::CommunityId))
                .col(date(Meals::ServedOn))
                .col(text(Meals::Kind))
                .col(text(Meals::Name))
                .col(big(Meals::PriceFen))
                .col(int(Meals::Quantity))
                .col(int(Meals::Booked).default(0).take())
                .col(fk(Meals::PublishedBy))
                .col(time_null(Meals::WithdrawnAt))
                .col(time(Meals::CreatedAt))
                .foreign_key(&mut to_communities(Meals::Table, Meals::CommunityId))
                .take(),
        )
        .await?;
        m.create_index(index("ix_meals_community_day", Meals::Table, [Meals::CommunityId, Meals::ServedOn])).await?;
        m.create_table(
            table(MealBookings::Table)
                .col(id(MealBookings::Id))
                .col(fk(MealBookings::MealId))
                .col(fk(MealBookings::CommunityId))
                .col(fk(MealBookings::UserId))
                .col(date(MealBookings::ServedOn))
                .col(int(MealBookings::Quantity))
                .col(text(MealBookings::Status))
                .col(big(MealBookings::DiscountFen).default(0).take())
                .col(fk_null(MealBookings::CouponTransferId))
                .col(big_null(MealBookings::PaidFen))
                .col(text_null(MealBookings::PaymentMethod))
                .col(fk_null(MealBookings::PaymentTransferId))
                .col(time_null(MealBookings::PaidAt))
                .col(time_null(MealBookings::CollectedAt))
                .col(time_null(MealBookings::CancelledAt))
                .col(text(MealBookings::IdempotencyKey).unique_key().take())
                .col(time(MealBookings::CreatedAt))
                .foreign_key(&mut reference(MealBookings::Table, MealBookings::MealId, Meals::Table, Meals::Id))
                .foreign_key(&mut to_users(MealBookings::Table, MealBookings::UserId))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_meal_bookings_community_day",
            MealBookings::Table,
            [MealBookings::CommunityId, MealBookings::ServedOn],
        ))
        .await?;
        m.create_table(settings_table(CanteenSettings::Table, long_text(CanteenSettings::Settings))).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(m, [CanteenSettings::Table.into_iden(), MealBookings::Table.into_iden(), Meals::Table.into_iden()])
            .await
    }
}
