//! The daily upload quota counts and adds up one person's uploads since
//! midnight (Asia/Shanghai): this index reads them without walking every
//! upload of every user.

use sea_orm_migration::prelude::*;

use crate::m20261123_000002_create_auth::Uploads;
use crate::shared::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index("ix_uploads_owner_created", Uploads::Table, [Uploads::OwnerId, Uploads::CreatedAt])).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ix_uploads_owner_created").table(Uploads::Table).to_owned()).await
    }
}
