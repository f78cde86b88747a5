//! 吹哨报到: an order the community escalates stays open in the street's
//! queue; the street routes it to a department, which accepts it within its
//! acceptance SLA, may ask the community for information, and completes it
//! by the street's due date; the street confirms. Orders keep when each of
//! those happened (for the figures), the department and the instruction.

use sea_orm_migration::prelude::*;

use crate::shared::*;

#[derive(DeriveIden)]
enum Orders {
    Table,
    EscalatedAt,
    DepartmentId,
    RouteInstruction,
    RoutedAt,
    /// By when the department must accept (应哨): routed_at + its SLA.
    AcceptDueAt,
    /// By when the department must complete, as the street set it.
    RouteDueAt,
    DepartmentAcceptedAt,
    DepartmentCompletedAt,
    DepartmentNote,
    DepartmentPhotoUrls,
    /// When the county admins were told the department is overdue (once).
    DepartmentOverdueAt,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    /// Minutes a department has to accept a routed order.
    AcceptSlaMinutes,
}

#[derive(DeriveIden)]
enum OrderQuestions {
    Table,
    Id,
    OrderId,
    CommunityId,
    DepartmentId,
    Question,
    AskedBy,
    AskedAt,
    Answer,
    AnsweredBy,
    AnsweredAt,
}

#[derive(DeriveIden)]
enum OrdersTable {
    #[sea_orm(iden = "orders")]
    Table,
    Id,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

const ORDER_COLUMNS: usize = 11;

fn order_columns() -> [ColumnDef; ORDER_COLUMNS] {
    [
        time_null(Orders::EscalatedAt),
        fk_null(Orders::DepartmentId),
        long_text_null(Orders::RouteInstruction),
        time_null(Orders::RoutedAt),
        time_null(Orders::AcceptDueAt),
        time_null(Orders::RouteDueAt),
        time_null(Orders::DepartmentAcceptedAt),
        time_null(Orders::DepartmentCompletedAt),
        long_text_null(Orders::DepartmentNote),
        long_text_null(Orders::DepartmentPhotoUrls),
        time_null(Orders::DepartmentOverdueAt),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        for column in order_columns() {
            m.alter_table(Table::alter().table(Orders::Table).add_column(column).take()).await?;
        }
        m.alter_table(
            Table::alter()
                .table(Departments::Table)
                .add_column(ColumnDef::new(Departments::AcceptSlaMinutes).integer().not_null().default(240).take())
                .take(),
        )
        .await?;
        // Orders escalated before this kept no time: the last step's will do.
        m.get_connection()
            .execute_unprepared("UPDATE orders SET escalated_at = updated_at WHERE status = 'ESCALATED'")
            .await?;
        m.create_index(index("ix_orders_department_status", Orders::Table, [Orders::DepartmentId])).await?;
        m.create_index(index("ix_orders_escalated_at", Orders::Table, [Orders::EscalatedAt])).await?;
        m.create_table(
            table(OrderQuestions::Table)
                .col(id(OrderQuestions::Id))
                .col(fk(OrderQuestions::OrderId))
                .col(fk(OrderQuestions::CommunityId))
                .col(fk(OrderQuestions::DepartmentId))
                .col(long_text(OrderQuestions::Question))
                .col(fk(OrderQuestions::AskedBy))
                .col(time(OrderQuestions::AskedAt))
                .col(long_text_null(OrderQuestions::Answer))
                .col(fk_null(OrderQuestions::AnsweredBy))
                .col(time_null(OrderQuestions::AnsweredAt))
                .foreign_key(&mut reference(
                    OrderQuestions::Table,
                    OrderQuestions::OrderId,
                    OrdersTable::Table,
                    OrdersTable::Id,
                ))
                .foreign_key(&mut to_communities(OrderQuestions::Table, OrderQuestions::CommunityId))
                .foreign_key(&mut to_users(OrderQuestions::Table, OrderQuestions::AskedBy))
                .foreign_key(&mut to_users(OrderQuestions::Table, OrderQuestions::AnsweredBy))
                .take(),
        )
        .await?;
        m.create_index(index("ix_order_questions_order", OrderQuestions::Table, [OrderQuestions::OrderId])).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(OrderQuestions::Table).to_owned()).await?;
        m.drop_index(Index::drop().name("ix_orders_escalated_at").table(Orders::Table).to_owned()).await?;
        m.drop_index(Index::drop().name("ix_orders_department_status").table(Orders::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(Departments::Table).drop_column(Departments::AcceptSlaMinutes).take())
            .await?;
        for column in order_columns() {
            let name = Alias::new(column.get_column_name());
            m.alter_table(Table::alter().table(Orders::Table).drop_column(name).take()).await?;
        }
        Ok(())
    }
}
