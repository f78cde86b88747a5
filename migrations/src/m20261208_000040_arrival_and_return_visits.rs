//! The 30-minute promise as the seeds mean it, and 回访: an order keeps when
//! its helper was due at the door, arrived, or was found late; and the
//! grid worker's return visit after approval (satisfaction, comment, who,
//! when). A community chooses what an UNSATISFIED visit does: reopen the
//! order or escalate it.

use sea_orm_migration::prelude::*;

use crate::shared::*;

#[derive(DeriveIden)]
enum Orders {
    Table,
    ArriveDueAt,
    ArrivedAt,
    ArrivalMissedAt,
    ReturnVisitSatisfaction,
    ReturnVisitComment,
    ReturnVisitedBy,
    ReturnVisitedAt,
}

#[derive(DeriveIden)]
enum Communities {
    Table,
    ReturnVisitPolicy,
}

fn order_columns() -> [ColumnDef; 7] {
    [
        time_null(Orders::ArriveDueAt),
        time_null(Orders::ArrivedAt),
        time_null(Orders::ArrivalMissedAt),
        text_null(Orders::ReturnVisitSatisfaction),
        long_text_null(Orders::ReturnVisitComment),
        fk_null(Orders::ReturnVisitedBy),
        time_null(Orders::ReturnVisitedAt),
    ]
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        for column in order_columns() {
            m.alter_table(Table::alter().table(Orders::Table).add_column(column).take()).await?;
        }
        let policy = ColumnDef::new(Communities::ReturnVisitPolicy).string().not_null().default("REOPEN").take();
        m.alter_table(Table::alter().table(Communities::Table).add_column(policy).take()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Communities::Table).drop_column(Communities::ReturnVisitPolicy).take())
            .await?;
        for column in order_columns() {
            let name = Alias::new(column.get_column_name());
            m.alter_table(Table::alter().table(Orders::Table).drop_column(name).take()).await?;
        }
        Ok(())
    }
}
