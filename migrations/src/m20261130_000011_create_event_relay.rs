//! The event relay. `workflow_events` is the transactional outbox: every
//! transition's row is written in the transaction of the change. The relay
//! gives each committed row its place in the published order (`relay_seq`,
//! the cursor clients resume from) and marks it published once the bus has
//! it. `event_inbox` remembers which consumer has handled which event, so
//! redelivered events act once.

use sea_orm_migration::prelude::*;

use crate::m20261123_000003_create_orders::WorkflowEvents;
use crate::shared::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Relay {
    RelaySeq,
    PublishedAt,
}

#[derive(DeriveIden)]
pub enum EventInbox {
    Table,
    Consumer,
    EventId,
    HandledAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        m.alter_table(Table::alter().table(WorkflowEvents::Table).add_column(big_null(Relay::RelaySeq)).to_owned())
            .await?;
        m.alter_table(Table::alter().table(WorkflowEvents::Table).add_column(time_null(Relay::PublishedAt)).to_owned())
            .await?;
        // What happened before the relay existed is history, not news.
        m.get_connection().execute_unprepared("UPDATE workflow_events SET relay_seq = id, published_at = at").await?;
        m.create_index(unique_index("ux_workflow_events_relay_seq", WorkflowEvents::Table, [Relay::RelaySeq])).await?;
        // The relay's two questions ("what has no place yet?", "what is not
        // yet published?") read only the few rows they are about.
        let conn = m.get_connection();
        conn.execute_unprepared(
            "CREATE INDEX ix_workflow_events_unrelayed ON workflow_events (id) WHERE relay_seq IS NULL",
        )
        .await?;
        conn.execute_unprepared(
            "CREATE INDEX ix_workflow_events_unpublished ON workflow_events (relay_seq) \
             WHERE relay_seq IS NOT NULL AND published_at IS NULL",
        )
        .await?;
        m.create_table(
            table(EventInbox::Table)
                .col(text(EventInbox::Consumer))
                .col(fk(EventInbox::EventId))
                .col(time(EventInbox::HandledAt))
                .primary_key(Index::create().col(EventInbox::Consumer).col(EventInbox::EventId))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(EventInbox::Table).to_owned()).await?;
        let conn = m.get_connection();
        conn.execute_unprepared("DROP INDEX IF EXISTS ix_workflow_events_unpublished").await?;
        conn.execute_unprepared("DROP INDEX IF EXISTS ix_workflow_events_unrelayed").await?;
        m.drop_index(Index::drop().name("ux_workflow_events_relay_seq").table(WorkflowEvents::Table).to_owned())
            .await?;
        m.alter_table(Table::alter().table(WorkflowEvents::Table).drop_column(Relay::PublishedAt).to_owned()).await?;
        m.alter_table(Table::alter().table(WorkflowEvents::Table).drop_column(Relay::RelaySeq).to_owned()).await
    }
}
