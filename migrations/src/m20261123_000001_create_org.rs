//! The organisation: county/street → community → grid → building → household,
//! users, and the roles users hold in communities and streets.

use sea_orm_migration::prelude::*;

use crate::shared::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Streets {
    Table,
    Id,
    County,
    Name,
}

#[derive(DeriveIden)]
pub enum Communities {
    Table,
    Id,
    StreetId,
    Name,
    InviteCode,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum Grids {
    Table,
    Id,
    CommunityId,
    Name,
}

#[derive(DeriveIden)]
pub enum Buildings {
    Table,
    Id,
    CommunityId,
    GridId,
    Name,
}

#[derive(DeriveIden)]
pub enum Households {
    Table,
    Id,
    CommunityId,
    BuildingId,
    Label,
}

#[derive(DeriveIden)]
pub enum Users {
    Table,
    Id,
    Openid,
    Unionid,
    DisplayName,
    Phone,
    PhoneVerifiedAt,
    Address,
    HouseholdId,
    BirthYear,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum CommunityRoles {
    Table,
    Id,
    UserId,
    CommunityId,
    Role,
    GrantedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum StreetRoles {
    Table,
    Id,
    UserId,
    StreetId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum JoinRequests {
    Table,
    Id,
    UserId,
    CommunityId,
    Status,
    Note,
    DecidedBy,
    DecidedAt,
    CreatedAt,
}

/// The organisation's references forbid deleting what is still referred to.
fn foreign(from: (impl IntoIden, impl IntoIden), to: (impl IntoIden, impl IntoIden)) -> ForeignKeyCreateStatement {
    reference(from.0, from.1, to.0, to.1).on_delete(ForeignKeyAction::Restrict).take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table(Streets::Table).col(id(Streets::Id)).col(text(Streets::County)).col(text(Streets::Name)).take(),
        )
        .await?;
        m.create_table(
            table(Communities::Table)
                .col(id(Communities::Id))
                .col(fk(Communities::StreetId))
                .col(text(Communities::Name))
                .col(text(Communities::InviteCode).unique_key().take())
                .col(time(Communities::CreatedAt))
                .foreign_key(&mut foreign((Communities::Table, Communities::StreetId), (Streets::Table, Streets::Id)))
                .take(),
        )
        .await?;
        m.create_table(
            table(Grids::Table)
                .col(id(Grids::Id))
                .col(fk(Grids::CommunityId))
                .col(text(Grids::Name))
                .foreign_key(&mut foreign((Grids::Table, Grids::CommunityId), (Communities::Table, Communities::Id)))
                .take(),
        )
        .await?;
        m.create_table(
            table(Buildings::Table)
                .col(id(Buildings::Id))
                .col(fk(Buildings::CommunityId))
                .col(fk(Buildings::GridId))
                .col(text(Buildings::Name))
                .foreign_key(&mut foreign((Buildings::Table, Buildings::GridId), (Grids::Table, Grids::Id)))
                .take(),
        )
        .await?;
        m.create_table(
            table(Households::Table)
                .col(id(Households::Id))
                .col(fk(Households::CommunityId))
                .col(fk(Households::BuildingId))
                .col(text(Households::Label))
                .foreign_key(&mut foreign(
                    (Households::Table, Households::BuildingId),
                    (Buildings::Table, Buildings::Id),
                ))
                .take(),
        )
        .await?;
        m.create_table(
            table(Users::Table)
                .col(id(Users::Id))
                .col(text(Users::Openid).unique_key().take())
                .col(text_null(Users::Unionid))
                .col(text(Users::DisplayName))
                .col(text_null(Users::Phone))
                .col(time_null(Users::PhoneVerifiedAt))
                .col(text_null(Users::Address))
                .col(fk_null(Users::HouseholdId))
                .col(int_null(Users::BirthYear))
                .col(time(Users::CreatedAt))
                .foreign_key(&mut foreign((Users::Table, Users::HouseholdId), (Households::Table, Households::Id)))
                .take(),
        )
        .await?;
        m.create_table(
            table(CommunityRoles::Table)
                .col(id(CommunityRoles::Id))
                .col(fk(CommunityRoles::UserId))
                .col(fk(CommunityRoles::CommunityId))
                .col(text(CommunityRoles::Role))
                .col(fk_null(CommunityRoles::GrantedBy))
                .col(time(CommunityRoles::CreatedAt))
                .foreign_key(&mut foreign((CommunityRoles::Table, CommunityRoles::UserId), (Users::Table, Users::Id)))
                .foreign_key(&mut foreign(
                    (CommunityRoles::Table, CommunityRoles::CommunityId),
                    (Communities::Table, Communities::Id),
                ))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "ux_community_roles_user_community_role",
            CommunityRoles::Table,
            [CommunityRoles::UserId, CommunityRoles::CommunityId, CommunityRoles::Role],
        ))
        .await?;
        m.create_index(index(
            "ix_community_roles_community_role",
            CommunityRoles::Table,
            [CommunityRoles::CommunityId, CommunityRoles::Role],
        ))
        .await?;
        m.create_table(
            table(StreetRoles::Table)
                .col(id(StreetRoles::Id))
                .col(fk(StreetRoles::UserId))
                .col(fk(StreetRoles::StreetId))
                .col(text(StreetRoles::Role))
                .col(time(StreetRoles::CreatedAt))
                .foreign_key(&mut foreign((StreetRoles::Table, StreetRoles::UserId), (Users::Table, Users::Id)))
                .foreign_key(&mut foreign((StreetRoles::Table, StreetRoles::StreetId), (Streets::Table, Streets::Id)))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "ux_street_roles_user_street_role",
            StreetRoles::Table,
            [StreetRoles::UserId, StreetRoles::StreetId, StreetRoles::Role],
        ))
        .await?;
        m.create_table(
            table(JoinRequests::Table)
                .col(id(JoinRequests::Id))
                .col(fk(JoinRequests::UserId))
                .col(fk(JoinRequests::CommunityId))
                .col(text(JoinRequests::Status))
                .col(text_null(JoinRequests::Note))
                .col(fk_null(JoinRequests::DecidedBy))
                .col(time_null(JoinRequests::DecidedAt))
                .col(time(JoinRequests::CreatedAt))
                .foreign_key(&mut foreign((JoinRequests::Table, JoinRequests::UserId), (Users::Table, Users::Id)))
                .foreign_key(&mut foreign(
                    (JoinRequests::Table, JoinRequests::CommunityId),
                    (Communities::Table, Communities::Id),
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_join_requests_community_status",
            JoinRequests::Table,
            [JoinRequests::CommunityId, JoinRequests::Status],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            m,
            [
                JoinRequests::Table.into_iden(),
                StreetRoles::Table.into_iden(),
                CommunityRoles::Table.into_iden(),
                Users::Table.into_iden(),
                Households::Table.into_iden(),
                Buildings::Table.into_iden(),
                Grids::Table.into_iden(),
                Communities::Table.into_iden(),
                Streets::Table.into_iden(),
            ],
        )
        .await
    }
}
