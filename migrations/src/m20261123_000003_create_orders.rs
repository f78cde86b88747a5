//! Service orders and the record of every transition.

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
    CompletionNote,
    CompletionPhotoUrls,
    RatingStars,
    RatingComment,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum OrderEvents {
    Table,
    Id,
    OrderId,
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
                .table(OrderEvents::Table)
                .col(id(OrderEvents::Id))
                .col(fk(OrderEvents::OrderId))
                .col(fk(OrderEvents::CommunityId))
                .col(fk(OrderEvents::ActorId))
                .col(text_null(OrderEvents::FromStatus))
                .col(text(OrderEvents::ToStatus))
                .col(ColumnDef::new(OrderEvents::Note).text().null())
                .col(time(OrderEvents::At))
                .foreign_key(
                    ForeignKey::create().from(OrderEvents::Table, OrderEvents::OrderId).to(Orders::Table, Orders::Id),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_order_events_order")
                .table(OrderEvents::Table)
                .col(OrderEvents::OrderId)
                .col(OrderEvents::Id)
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(OrderEvents::Table).take()).await?;
        m.drop_table(Table::drop().table(Orders::Table).take()).await
    }
}
