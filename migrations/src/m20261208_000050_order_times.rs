//! When an order was last dispatched and claimed, on the order itself, so
//! that the figures (time to claim, to arrive, to complete; the share within
//! each target) are aggregates over the orders table. Older orders take the
//! times from their history. Figures read orders of a community by the day
//! they were placed: an index on both.

use sea_orm_migration::prelude::*;

use crate::shared::*;

#[derive(DeriveIden)]
enum Orders {
    Table,
    CommunityId,
    CreatedAt,
    DispatchedAt,
    ClaimedAt,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in [time_null(Orders::DispatchedAt), time_null(Orders::ClaimedAt)] {
            m.alter_table(Table::alter().table(Orders::Table).add_column(column).take()).await?;
        }
        let db = m.get_connection();
        for (column, statuses) in [("dispatched_at", "'OPEN', 'ASSIGNED'"), ("claimed_at", "'CLAIMED'")] {
            db.execute_unprepared(&format!(
                "UPDATE orders SET {column} = (SELECT MAX(e.at) FROM workflow_events e \
                 WHERE e.subject_kind = 'ORDER' AND e.subject_id = orders.id AND e.to_status IN ({statuses}) \
                 AND (e.from_status IS NULL OR e.from_status <> e.to_status))"
            ))
            .await?;
        }
        m.create_index(index("ix_orders_community_created", Orders::Table, [Orders::CommunityId, Orders::CreatedAt]))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ix_orders_community_created").table(Orders::Table).to_owned()).await?;
        for column in [Orders::DispatchedAt, Orders::ClaimedAt] {
            m.alter_table(Table::alter().table(Orders::Table).drop_column(column).take()).await?;
        }
        Ok(())
    }
}
