//! The organisation above and below the community, and every role bound to
//! its unit:
//!
//! - counties, each with its streets (the street's old free-text county
//!   becomes a county row);
//! - departments (职能部门) that answer a county or one of its streets;
//! - 十联户 groups of about ten households, each with its household lead;
//! - offices held at a county (COUNTY_ADMIN) or a department (DEPARTMENT_STAFF);
//! - a community role's unit: the community itself (`unit_id` 0), or the grid,
//!   building or 十联户 group that a GRID_WORKER, BUILDING_LEAD or
//!   HOUSEHOLD_LEAD answers for;
//! - people who exist before they use WeChat (imported from the household
//!   roster, or appointed by phone), and what the roster knows of households.

use sea_orm_migration::prelude::*;

use crate::shared::*;

#[derive(DeriveIden)]
enum Counties {
    Table,
    Id,
    Name,
}

#[derive(DeriveIden)]
enum Streets {
    Table,
    CountyId,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Id,
    CountyId,
    /// None for a county department.
    StreetId,
    Name,
}

#[derive(DeriveIden)]
enum HouseholdGroups {
    Table,
    Id,
    CommunityId,
    Name,
}

#[derive(DeriveIden)]
enum OfficeRoles {
    Table,
    Id,
    UserId,
    Role,
    /// A county's id for COUNTY_ADMIN, a department's for DEPARTMENT_STAFF.
    UnitId,
    GrantedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CommunityRoles {
    Table,
    UserId,
    CommunityId,
    Role,
    UnitId,
}

#[derive(DeriveIden)]
enum StreetRoles {
    Table,
    GrantedBy,
}

#[derive(DeriveIden)]
enum Households {
    Table,
    CommunityId,
    GroupId,
    /// Who the roster names as the household's head.
    HeadName,
    /// What the roster import knows the household by (its head's name and
    /// ID-card tail, or phone), so that a household that moved is updated.
    RosterKey,
    /// JSON list of care flags (空巢, 独居, 留守, 残疾, 低保).
    CareFlags,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    /// False for a person imported or appointed who has not signed in with WeChat yet.
    WechatBound,
    /// The last four characters of the ID card, where the roster gives them.
    IdTail,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

fn add(table: impl IntoIden, column: ColumnDef) -> TableAlterStatement {
    Table::alter().table(table).add_column(column).take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table(Counties::Table).col(id(Counties::Id)).col(text(Counties::Name).unique_key().take()).take(),
        )
        .await?;
        m.alter_table(add(Streets::Table, fk_null(Streets::CountyId))).await?;
        let db = m.get_connection();
        db.execute_unprepared("INSERT INTO counties (name) SELECT DISTINCT county FROM streets").await?;
        db.execute_unprepared(
            "UPDATE streets SET county_id = (SELECT c.id FROM counties c WHERE c.name = streets.county)",
        )
        .await?;
        m.create_table(
            table(Departments::Table)
                .col(id(Departments::Id))
                .col(fk(Departments::CountyId))
                .col(fk_null(Departments::StreetId))
                .col(text(Departments::Name))
                .foreign_key(&mut reference(Departments::Table, Departments::CountyId, Counties::Table, Counties::Id))
                .take(),
        )
        .await?;
        m.create_table(
            table(HouseholdGroups::Table)
                .col(id(HouseholdGroups::Id))
                .col(fk(HouseholdGroups::CommunityId))
                .col(text(HouseholdGroups::Name))
                .foreign_key(&mut to_communities(HouseholdGroups::Table, HouseholdGroups::CommunityId))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "ux_household_groups_community_name",
            HouseholdGroups::Table,
            [HouseholdGroups::CommunityId, HouseholdGroups::Name],
        ))
        .await?;
        m.create_table(
            table(OfficeRoles::Table)
                .col(id(OfficeRoles::Id))
                .col(fk(OfficeRoles::UserId))
                .col(text(OfficeRoles::Role))
                .col(fk(OfficeRoles::UnitId))
                .col(fk_null(OfficeRoles::GrantedBy))
                .col(time(OfficeRoles::CreatedAt))
                .foreign_key(&mut to_users(OfficeRoles::Table, OfficeRoles::UserId))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "ux_office_roles_user_role_unit",
            OfficeRoles::Table,
            [OfficeRoles::UserId, OfficeRoles::Role, OfficeRoles::UnitId],
        ))
        .await?;
        m.alter_table(add(
            CommunityRoles::Table,
            ColumnDef::new(CommunityRoles::UnitId).big_integer().not_null().default(0).take(),
        ))
        .await?;
        m.drop_index(
            Index::drop().name("ux_community_roles_user_community_role").table(CommunityRoles::Table).to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            "ux_community_roles_user_community_role_unit",
            CommunityRoles::Table,
            [CommunityRoles::UserId, CommunityRoles::CommunityId, CommunityRoles::Role, CommunityRoles::UnitId],
        ))
        .await?;
        m.alter_table(add(StreetRoles::Table, fk_null(StreetRoles::GrantedBy))).await?;
        m.alter_table(add(Households::Table, fk_null(Households::GroupId))).await?;
        m.alter_table(add(Households::Table, text_null(Households::HeadName))).await?;
        m.alter_table(add(Households::Table, text_null(Households::RosterKey))).await?;
        m.alter_table(add(Households::Table, long_text_null(Households::CareFlags))).await?;
        m.create_index(index(
            "ix_households_community_roster_key",
            Households::Table,
            [Households::CommunityId, Households::RosterKey],
        ))
        .await?;
        m.alter_table(add(Users::Table, ColumnDef::new(Users::WechatBound).boolean().not_null().default(true).take()))
            .await?;
        m.alter_table(add(Users::Table, text_null(Users::IdTail))).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (t, c) in [
            (Users::Table.into_iden(), Users::IdTail.into_iden()),
            (Users::Table.into_iden(), Users::WechatBound.into_iden()),
            (Households::Table.into_iden(), Households::CareFlags.into_iden()),
            (Households::Table.into_iden(), Households::RosterKey.into_iden()),
            (Households::Table.into_iden(), Households::HeadName.into_iden()),
            (Households::Table.into_iden(), Households::GroupId.into_iden()),
            (StreetRoles::Table.into_iden(), StreetRoles::GrantedBy.into_iden()),
        ] {
            m.alter_table(Table::alter().table(t).drop_column(c).take()).await?;
        }
        m.drop_index(
            Index::drop().name("ux_community_roles_user_community_role_unit").table(CommunityRoles::Table).to_owned(),
        )
        .await?;
        m.alter_table(Table::alter().table(CommunityRoles::Table).drop_column(CommunityRoles::UnitId).take()).await?;
        m.create_index(unique_index(
            "ux_community_roles_user_community_role",
            CommunityRoles::Table,
            [CommunityRoles::UserId, CommunityRoles::CommunityId, CommunityRoles::Role],
        ))
        .await?;
        m.alter_table(Table::alter().table(Streets::Table).drop_column(Streets::CountyId).take()).await?;
        drop_tables(
            m,
            [
                OfficeRoles::Table.into_iden(),
                HouseholdGroups::Table.into_iden(),
                Departments::Table.into_iden(),
                Counties::Table.into_iden(),
            ],
        )
        .await
    }
}
