//! Elderly care: care profiles, consent, emergency contacts, the sensitive-access log and home visits,
//! and the record of data deletions.

use sea_orm_migration::prelude::*;

use crate::cols::*;
use crate::m20261123_000001_create_org::{Communities, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum CareProfiles {
    Table,
    Id,
    CommunityId,
    ElderId,
    Needs,
    LivesAlone,
    VisitIntervalDays,
    GridWorkerId,
    HouseholdLeadId,
    Address,
    CreatedBy,
    CreatedAt,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum CareContacts {
    Table,
    Id,
    ProfileId,
    Position,
    Name,
    Relation,
    Phone,
    LinkedUserId,
}

#[derive(DeriveIden)]
pub enum CareConsents {
    Table,
    Id,
    ProfileId,
    CommunityId,
    ElderId,
    GivenBy,
    GuardianName,
    GuardianRelation,
    GivenAt,
    WordingVersion,
    RecordedBy,
    RecordedAt,
    /// The profile id while the consent stands; unique, so one consent stands at a time.
    ActiveKey,
    WithdrawnAt,
    WithdrawalRecordedBy,
}

#[derive(DeriveIden)]
pub enum CareHealthNotes {
    Table,
    Id,
    ProfileId,
    CommunityId,
    ElderId,
    ConsentId,
    Body,
    WrittenBy,
    WrittenAt,
    HiddenAt,
    ErasedAt,
}

#[derive(DeriveIden)]
pub enum SensitiveAccessLog {
    Table,
    Id,
    CommunityId,
    AccessorId,
    SubjectId,
    Field,
    Purpose,
    CareRequestId,
    At,
}

#[derive(DeriveIden)]
pub enum CareVisits {
    Table,
    Id,
    CommunityId,
    ElderId,
    VisitorId,
    VisitedAt,
    Notes,
    FollowUpNeeded,
    FollowUp,
    CareRequestId,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum DataDeletions {
    Table,
    Id,
    UserId,
    CarriedOutBy,
    Summary,
    CreatedAt,
}

fn to_users(table: impl IntoIden, col: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(table, col).to(Users::Table, Users::Id).take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CareProfiles::Table)
                .col(id(CareProfiles::Id))
                .col(fk(CareProfiles::CommunityId))
                .col(fk(CareProfiles::ElderId).unique_key().take())
                .col(ColumnDef::new(CareProfiles::Needs).text().not_null())
                .col(ColumnDef::new(CareProfiles::LivesAlone).boolean().not_null())
                .col(ColumnDef::new(CareProfiles::VisitIntervalDays).integer().not_null())
                .col(fk_null(CareProfiles::GridWorkerId))
                .col(fk_null(CareProfiles::HouseholdLeadId))
                .col(text_null(CareProfiles::Address))
                .col(fk(CareProfiles::CreatedBy))
                .col(time(CareProfiles::CreatedAt))
                .col(fk(CareProfiles::UpdatedBy))
                .col(time(CareProfiles::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(CareProfiles::Table, CareProfiles::CommunityId)
                        .to(Communities::Table, Communities::Id),
                )
                .foreign_key(&mut to_users(CareProfiles::Table, CareProfiles::ElderId))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_care_profiles_community")
                .table(CareProfiles::Table)
                .col(CareProfiles::CommunityId)
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CareContacts::Table)
                .col(id(CareContacts::Id))
                .col(fk(CareContacts::ProfileId))
                .col(ColumnDef::new(CareContacts::Position).integer().not_null())
                .col(text(CareContacts::Name))
                .col(text(CareContacts::Relation))
                .col(text(CareContacts::Phone))
                .col(fk_null(CareContacts::LinkedUserId))
                .foreign_key(
                    ForeignKey::create()
                        .from(CareContacts::Table, CareContacts::ProfileId)
                        .to(CareProfiles::Table, CareProfiles::Id),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_care_contacts_profile")
                .table(CareContacts::Table)
                .col(CareContacts::ProfileId)
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_care_contacts_linked_user")
                .table(CareContacts::Table)
                .col(CareContacts::LinkedUserId)
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CareConsents::Table)
                .col(id(CareConsents::Id))
                .col(fk(CareConsents::ProfileId))
                .col(fk(CareConsents::CommunityId))
                .col(fk(CareConsents::ElderId))
                .col(text(CareConsents::GivenBy))
                .col(text_null(CareConsents::GuardianName))
                .col(text_null(CareConsents::GuardianRelation))
                .col(time(CareConsents::GivenAt))
                .col(text(CareConsents::WordingVersion))
                .col(fk(CareConsents::RecordedBy))
                .col(time(CareConsents::RecordedAt))
                .col(ColumnDef::new(CareConsents::ActiveKey).big_integer().null().unique_key().take())
                .col(time_null(CareConsents::WithdrawnAt))
                .col(fk_null(CareConsents::WithdrawalRecordedBy))
                .foreign_key(
                    ForeignKey::create()
                        .from(CareConsents::Table, CareConsents::ProfileId)
                        .to(CareProfiles::Table, CareProfiles::Id),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_care_consents_profile")
                .table(CareConsents::Table)
                .col(CareConsents::ProfileId)
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CareHealthNotes::Table)
                .col(id(CareHealthNotes::Id))
                .col(fk(CareHealthNotes::ProfileId))
                .col(fk(CareHealthNotes::CommunityId))
                .col(fk(CareHealthNotes::ElderId))
                .col(fk(CareHealthNotes::ConsentId))
                .col(ColumnDef::new(CareHealthNotes::Body).text().null())
                .col(fk(CareHealthNotes::WrittenBy))
                .col(time(CareHealthNotes::WrittenAt))
                .col(time_null(CareHealthNotes::HiddenAt))
                .col(time_null(CareHealthNotes::ErasedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(CareHealthNotes::Table, CareHealthNotes::ProfileId)
                        .to(CareProfiles::Table, CareProfiles::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(CareHealthNotes::Table, CareHealthNotes::ConsentId)
                        .to(CareConsents::Table, CareConsents::Id),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_care_health_notes_profile")
                .table(CareHealthNotes::Table)
                .col(CareHealthNotes::ProfileId)
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_care_health_notes_hidden")
                .table(CareHealthNotes::Table)
                .col(CareHealthNotes::HiddenAt)
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SensitiveAccessLog::Table)
                .col(id(SensitiveAccessLog::Id))
                .col(fk(SensitiveAccessLog::CommunityId))
                .col(fk(SensitiveAccessLog::AccessorId))
                .col(fk(SensitiveAccessLog::SubjectId))
                .col(text(SensitiveAccessLog::Field))
                .col(text(SensitiveAccessLog::Purpose))
                .col(fk_null(SensitiveAccessLog::CareRequestId))
                .col(time(SensitiveAccessLog::At))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_sensitive_access_log_community_subject")
                .table(SensitiveAccessLog::Table)
                .col(SensitiveAccessLog::CommunityId)
                .col(SensitiveAccessLog::SubjectId)
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_sensitive_access_log_subject")
                .table(SensitiveAccessLog::Table)
                .col(SensitiveAccessLog::SubjectId)
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CareVisits::Table)
                .col(id(CareVisits::Id))
                .col(fk(CareVisits::CommunityId))
                .col(fk(CareVisits::ElderId))
                .col(fk(CareVisits::VisitorId))
                .col(time(CareVisits::VisitedAt))
                .col(ColumnDef::new(CareVisits::Notes).text().not_null())
                .col(ColumnDef::new(CareVisits::FollowUpNeeded).boolean().not_null())
                .col(text_null(CareVisits::FollowUp))
                .col(fk_null(CareVisits::CareRequestId))
                .col(time(CareVisits::CreatedAt))
                .foreign_key(&mut to_users(CareVisits::Table, CareVisits::ElderId))
                .foreign_key(&mut to_users(CareVisits::Table, CareVisits::VisitorId))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_care_visits_elder_visited")
                .table(CareVisits::Table)
                .col(CareVisits::ElderId)
                .col(CareVisits::VisitedAt)
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(DataDeletions::Table)
                .col(id(DataDeletions::Id))
                .col(fk(DataDeletions::UserId).unique_key().take())
                .col(fk(DataDeletions::CarriedOutBy))
                .col(ColumnDef::new(DataDeletions::Summary).text().not_null())
                .col(time(DataDeletions::CreatedAt))
                .foreign_key(&mut to_users(DataDeletions::Table, DataDeletions::UserId))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DataDeletions::Table.into_iden(),
            CareVisits::Table.into_iden(),
            SensitiveAccessLog::Table.into_iden(),
            CareHealthNotes::Table.into_iden(),
            CareConsents::Table.into_iden(),
            CareContacts::Table.into_iden(),
            CareProfiles::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).take()).await?;
        }
        Ok(())
    }
}
