//! What happens to work past its deadline, per community: the overdue policy
//! (claimed work back to the pool, or escalated), and the overdue mark on
//! orders and wishes. Lunchbox deliveries already carry theirs (`alerted_at`).

use sea_orm_migration::prelude::*;

use crate::shared::time_null;

#[derive(DeriveIden)]
enum Communities {
    Table,
    OverduePolicy,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    OverdueAt,
}

#[derive(DeriveIden)]
enum Wishes {
    Table,
    OverdueAt,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One change per statement: SQLite alters one column at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Communities::Table)
                    .add_column(
                        ColumnDef::new(Communities::OverduePolicy).string().not_null().default("RETURN_TO_POOL"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(Table::alter().table(Orders::Table).add_column(time_null(Orders::OverdueAt)).to_owned())
            .await?;
        manager
            .alter_table(Table::alter().table(Wishes::Table).add_column(time_null(Wishes::OverdueAt)).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Wishes::Table).drop_column(Wishes::OverdueAt).to_owned()).await?;
        manager.alter_table(Table::alter().table(Orders::Table).drop_column(Orders::OverdueAt).to_owned()).await?;
        manager
            .alter_table(Table::alter().table(Communities::Table).drop_column(Communities::OverduePolicy).to_owned())
            .await
    }
}
