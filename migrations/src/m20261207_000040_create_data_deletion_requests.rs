//! Deleting someone else's data takes two staff members: a secretary asks
//! for a resident who cannot use a phone, and another secretary or grid
//! worker of the community confirms (or refuses); the asker may withdraw.
//! A request is a workflow kind: its transitions are in `workflow_events`.

use sea_orm_migration::prelude::*;

use crate::shared::{
    big_null, drop_tables, fk, fk_null, id, index, long_text, long_text_null, table, text, time, time_null,
    to_communities, to_users,
};

#[derive(DeriveIden)]
enum DataDeletionRequests {
    Table,
    Id,
    CommunityId,
    /// The person whose data is to be deleted.
    UserId,
    RequestedBy,
    Reason,
    Status,
    /// The person's id while the request is pending, else null: one pending request per person.
    PendingKey,
    DecidedBy,
    DecidedAt,
    /// Why it was refused.
    DecisionNote,
    CreatedAt,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table(DataDeletionRequests::Table)
                .col(id(DataDeletionRequests::Id))
                .col(fk(DataDeletionRequests::CommunityId))
                .col(fk(DataDeletionRequests::UserId))
                .col(fk(DataDeletionRequests::RequestedBy))
                .col(long_text(DataDeletionRequests::Reason))
                .col(text(DataDeletionRequests::Status))
                .col(big_null(DataDeletionRequests::PendingKey).unique_key().take())
                .col(fk_null(DataDeletionRequests::DecidedBy))
                .col(time_null(DataDeletionRequests::DecidedAt))
                .col(long_text_null(DataDeletionRequests::DecisionNote))
                .col(time(DataDeletionRequests::CreatedAt))
                .foreign_key(&mut to_communities(DataDeletionRequests::Table, DataDeletionRequests::CommunityId))
                .foreign_key(&mut to_users(DataDeletionRequests::Table, DataDeletionRequests::UserId))
                .foreign_key(&mut to_users(DataDeletionRequests::Table, DataDeletionRequests::RequestedBy))
                .foreign_key(&mut to_users(DataDeletionRequests::Table, DataDeletionRequests::DecidedBy))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_data_deletion_requests_community_status",
            DataDeletionRequests::Table,
            [DataDeletionRequests::CommunityId, DataDeletionRequests::Status, DataDeletionRequests::Id],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(m, [DataDeletionRequests::Table.into_iden()]).await
    }
}
