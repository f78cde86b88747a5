//! A community's orders in id order: the order list's community branch reads
//! its page straight from this index instead of walking the primary key past
//! every newer order of every other community.

use sea_orm_migration::prelude::*;

use crate::m20261123_000003_create_orders::Orders;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("ix_orders_community_id")
                .table(Orders::Table)
                .col(Orders::CommunityId)
                .col(Orders::Id)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ix_orders_community_id").table(Orders::Table).to_owned()).await
    }
}
