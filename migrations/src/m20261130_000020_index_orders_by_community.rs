//! A community's orders in id order: the order list's community branch reads
//! its page straight from this index instead of walking the primary key past
//! every newer order of every other community.

use sea_orm_migration::prelude::*;

use crate::m20261123_000003_create_orders::Orders;
use crate::shared::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index("ix_orders_community_id", Orders::Table, [Orders::CommunityId, Orders::Id])).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ix_orders_community_id").table(Orders::Table).to_owned()).await
    }
}
