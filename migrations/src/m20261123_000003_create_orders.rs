//! Service orders, and the record of every transition of every workflow
//! (orders now; wishes, care requests and deliveries share it).

use sea_orm_migration::prelude::*;

use crate::shared::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Orders {
    Table,
    Id,
    CommunityId,
    Category,
    Title,
    Description,
    Address,
    ContactPhone,
    PhotoUrls,
    PlacedBy,
    OnBehalfOf,
    AssigneeId,
    ClaimantId,
    Status,
    ClaimDueAt,
    CompleteDueAt,
    CompletedAt,
    CompletionNote,
    CompletionPhotoUrls,
    RatingStars,
    RatingComment,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum WorkflowEvents {
    Table,
    Id,
    SubjectKind,
    SubjectId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table(Orders::Table)
                .col(id(Orders::Id))
                .col(fk(Orders::CommunityId))
                .col(text(Orders::Category))
                .col(text(Orders::Title))
                .col(long_text(Orders::Description))
                .col(text_null(Orders::Address))
                .col(text_null(Orders::ContactPhone))
                .col(long_text(Orders::PhotoUrls))
                .col(fk(Orders::PlacedBy))
                .col(fk_null(Orders::OnBehalfOf))
                .col(fk_null(Orders::AssigneeId))
                .col(fk_null(Orders::ClaimantId))
                .col(text(Orders::Status))
                .col(time_null(Orders::ClaimDueAt))
                .col(time_null(Orders::CompleteDueAt))
                .col(time_null(Orders::CompletedAt))
                .col(long_text_null(Orders::CompletionNote))
                .col(long_text_null(Orders::CompletionPhotoUrls))
                .col(int_null(Orders::RatingStars))
                .col(long_text_null(Orders::RatingComment))
                .col(time(Orders::CreatedAt))
                .col(time(Orders::UpdatedAt))
                .foreign_key(&mut to_communities(Orders::Table, Orders::CommunityId))
                .foreign_key(&mut to_users(Orders::Table, Orders::PlacedBy))
                .foreign_key(&mut to_users(Orders::Table, Orders::OnBehalfOf))
                .foreign_key(&mut to_users(Orders::Table, Orders::AssigneeId))
                .foreign_key(&mut to_users(Orders::Table, Orders::ClaimantId))
                .take(),
        )
        .await?;
        for (name, cols) in [
            ("ix_orders_community_status_id", vec![Orders::CommunityId, Orders::Status, Orders::Id]),
            ("ix_orders_placed_by", vec![Orders::PlacedBy]),
            ("ix_orders_on_behalf_of", vec![Orders::OnBehalfOf]),
            ("ix_orders_claimant", vec![Orders::ClaimantId]),
            ("ix_orders_assignee", vec![Orders::AssigneeId]),
        ] {
            m.create_index(index(name, Orders::Table, cols)).await?;
        }
        m.create_table(transitions_table(
            WorkflowEvents::Table,
            [id(WorkflowEvents::Id), text(WorkflowEvents::SubjectKind), fk(WorkflowEvents::SubjectId)],
            fk_null(TransitionColumns::ActorId),
        ))
        .await?;
        m.create_index(index(
            "ix_workflow_events_subject",
            WorkflowEvents::Table,
            [WorkflowEvents::SubjectKind, WorkflowEvents::SubjectId, WorkflowEvents::Id],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(m, [WorkflowEvents::Table.into_iden(), Orders::Table.into_iden()]).await
    }
}
