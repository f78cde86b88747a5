//! Every change to a community's points rules (civility rules with their
//! review size, dedication rules), as it was before and after, by whom and
//! when: rule changes are audited.

use sea_orm_migration::prelude::*;

use crate::shared::{
    drop_tables, fk, id, index, long_text, long_text_null, table, text, time, to_communities, to_users,
};

#[derive(DeriveIden)]
enum RuleChanges {
    Table,
    Id,
    CommunityId,
    Rules,
    Before,
    After,
    ChangedBy,
    ChangedAt,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table(RuleChanges::Table)
                .col(id(RuleChanges::Id))
                .col(fk(RuleChanges::CommunityId))
                .col(text(RuleChanges::Rules))
                .col(long_text_null(RuleChanges::Before))
                .col(long_text(RuleChanges::After))
                .col(fk(RuleChanges::ChangedBy))
                .col(time(RuleChanges::ChangedAt))
                .foreign_key(&mut to_communities(RuleChanges::Table, RuleChanges::CommunityId))
                .foreign_key(&mut to_users(RuleChanges::Table, RuleChanges::ChangedBy))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_rule_changes_community",
            RuleChanges::Table,
            [RuleChanges::CommunityId, RuleChanges::Id],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(m, [RuleChanges::Table.into_iden()]).await
    }
}
