//! Service orders, and the record of every transition of every workflow
//! (orders now; wishes, care requests and deliveries share it).

use sea_orm_migration::prelude::*;

use crate::cols::*;
use crate::m20261123_000001_create_org::{Communities, Users};

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
    CommunityId,
    ActorId,
    FromStatus,
    ToStatus,
    Note,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Orders::Table)
                .col(id(Orders::Id))
                .col(fk(Orders::CommunityId))
                .col(text(Orders::Category))
                .col(text(Orders::Title))
                .col(ColumnDef::new(Orders::Description).text().not_null())
                .col(text_null(Orders::Address))
                .col(text_null(Orders::ContactPhone))
                .col(ColumnDef::new(Orders::PhotoUrls).text().not_null())
                .col(fk(Orders::PlacedBy))
                .col(fk_null(Orders::OnBehalfOf))
                .col(fk_null(Orders::AssigneeId))
                .col(fk_null(Orders::ClaimantId))
                .col(text(Orders::Status))
                .col(time_null(Orders::ClaimDueAt))
                .col(time_null(Orders::CompleteDueAt))
                .col(time_null(Orders::CompletedAt))
                .col(ColumnDef::new(Orders::CompletionNote).text().null())
                .col(ColumnDef::new(Orders::CompletionPhotoUrls).text().null())
                .col(ColumnDef::new(Orders::RatingStars).integer().null())
                .col(ColumnDef::new(Orders::RatingComment).text().null())
                .col(time(Orders::CreatedAt))
                .col(time(Orders::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Orders::Table, Orders::CommunityId)
                        .to(Communities::Table, Communities::Id),
                )
                .foreign_key(ForeignKey::create().from(Orders::Table, Orders::PlacedBy).to(Users::Table, Users::Id))
                .foreign_key(ForeignKey::create().from(Orders::Table, Orders::OnBehalfOf).to(Users::Table, Users::Id))
                .foreign_key(ForeignKey::create().from(Orders::Table, Orders::AssigneeId).to(Users::Table, Users::Id))
                .foreign_key(ForeignKey::create().from(Orders::Table, Orders::ClaimantId).to(Users::Table, Users::Id))
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
            let mut index = Index::create().name(name).table(Orders::Table).take();
            for col in cols {
                index.col(col);
            }
            m.create_index(index).await?;
        }
        m.create_table(
            Table::create()
                .table(WorkflowEvents::Table)
                .col(id(WorkflowEvents::Id))
                .col(text(WorkflowEvents::SubjectKind))
                .col(fk(WorkflowEvents::SubjectId))
                .col(fk(WorkflowEvents::CommunityId))
                .col(fk_null(WorkflowEvents::ActorId))
                .col(text_null(WorkflowEvents::FromStatus))
                .col(text(WorkflowEvents::ToStatus))
                .col(ColumnDef::new(WorkflowEvents::Note).text().null())
                .col(time(WorkflowEvents::At))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_workflow_events_subject")
                .table(WorkflowEvents::Table)
                .col(WorkflowEvents::SubjectKind)
                .col(WorkflowEvents::SubjectId)
                .col(WorkflowEvents::Id)
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(WorkflowEvents::Table).take()).await?;
        m.drop_table(Table::drop().table(Orders::Table).take()).await
    }
}
