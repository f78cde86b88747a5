//! Orders, care profiles and visits carry the household they concern (and
//! so its building and grid): the household of the person served when the
//! order was placed, of the elder when the profile was saved or the visit
//! made. Rows from before take the household the person is in now.

use sea_orm_migration::prelude::*;

use crate::shared::*;

#[derive(DeriveIden)]
enum Orders {
    Table,
    HouseholdId,
}

#[derive(DeriveIden)]
enum CareProfiles {
    Table,
    HouseholdId,
}

#[derive(DeriveIden)]
enum CareVisits {
    Table,
    HouseholdId,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Orders::Table).add_column(fk_null(Orders::HouseholdId)).take()).await?;
        m.alter_table(Table::alter().table(CareProfiles::Table).add_column(fk_null(CareProfiles::HouseholdId)).take())
            .await?;
        m.alter_table(Table::alter().table(CareVisits::Table).add_column(fk_null(CareVisits::HouseholdId)).take())
            .await?;
        let db = m.get_connection();
        db.execute_unprepared(
            "UPDATE orders SET household_id = \
             (SELECT u.household_id FROM users u WHERE u.id = COALESCE(orders.on_behalf_of, orders.placed_by))",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE care_profiles SET household_id = (SELECT u.household_id FROM users u WHERE u.id = care_profiles.elder_id)",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE care_visits SET household_id = (SELECT u.household_id FROM users u WHERE u.id = care_visits.elder_id)",
        )
        .await?;
        m.create_index(index("ix_orders_household", Orders::Table, [Orders::HouseholdId])).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ix_orders_household").table(Orders::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(Orders::Table).drop_column(Orders::HouseholdId).take()).await?;
        m.alter_table(Table::alter().table(CareProfiles::Table).drop_column(CareProfiles::HouseholdId).take()).await?;
        m.alter_table(Table::alter().table(CareVisits::Table).drop_column(CareVisits::HouseholdId).take()).await
    }
}
