//! Elderly care: care profiles, consent, emergency contacts, the sensitive-access log and home visits,
//! and the record of data deletions.

use sea_orm_migration::prelude::*;

use crate::shared::*;

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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table(CareProfiles::Table)
                .col(id(CareProfiles::Id))
                .col(fk(CareProfiles::CommunityId))
                .col(fk(CareProfiles::ElderId).unique_key().take())
                .col(long_text(CareProfiles::Needs))
                .col(flag(CareProfiles::LivesAlone))
                .col(int(CareProfiles::VisitIntervalDays))
                .col(fk_null(CareProfiles::GridWorkerId))
                .col(fk_null(CareProfiles::HouseholdLeadId))
                .col(text_null(CareProfiles::Address))
                .col(fk(CareProfiles::CreatedBy))
                .col(time(CareProfiles::CreatedAt))
                .col(fk(CareProfiles::UpdatedBy))
                .col(time(CareProfiles::UpdatedAt))
                .foreign_key(&mut to_communities(CareProfiles::Table, CareProfiles::CommunityId))
                .foreign_key(&mut to_users(CareProfiles::Table, CareProfiles::ElderId))
                .take(),
        )
        .await?;
        m.create_index(index("ix_care_profiles_community", CareProfiles::Table, [CareProfiles::CommunityId])).await?;
        m.create_table(
            table(CareContacts::Table)
                .col(id(CareContacts::Id))
                .col(fk(CareContacts::ProfileId))
                .col(int(CareContacts::Position))
                .col(text(CareContacts::Name))
                .col(text(CareContacts::Relation))
                .col(text(CareContacts::Phone))
                .col(fk_null(CareContacts::LinkedUserId))
                .foreign_key(&mut reference(
                    CareContacts::Table,
                    CareContacts::ProfileId,
                    CareProfiles::Table,
                    CareProfiles::Id,
                ))
                .take(),
        )
        .await?;
        m.create_index(index("ix_care_contacts_profile", CareContacts::Table, [CareContacts::ProfileId])).await?;
        m.create_index(index("ix_care_contacts_linked_user", CareContacts::Table, [CareContacts::LinkedUserId]))
            .await?;
        m.create_table(
            table(CareConsents::Table)
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
                .col(big_null(CareConsents::ActiveKey).unique_key().take())
                .col(time_null(CareConsents::WithdrawnAt))
                .col(fk_null(CareConsents::WithdrawalRecordedBy))
                .foreign_key(&mut reference(
                    CareConsents::Table,
                    CareConsents::ProfileId,
                    CareProfiles::Table,
                    CareProfiles::Id,
                ))
                .take(),
        )
        .await?;
        m.create_index(index("ix_care_consents_profile", CareConsents::Table, [CareConsents::ProfileId])).await?;
        m.create_table(
            table(CareHealthNotes::Table)
                .col(id(CareHealthNotes::Id))
                .col(fk(CareHealthNotes::ProfileId))
                .col(fk(CareHealthNotes::CommunityId))
                .col(fk(CareHealthNotes::ElderId))
                .col(fk(CareHealthNotes::ConsentId))
                .col(long_text_null(CareHealthNotes::Body))
                .col(fk(CareHealthNotes::WrittenBy))
                .col(time(CareHealthNotes::WrittenAt))
                .col(time_null(CareHealthNotes::HiddenAt))
                .col(time_null(CareHealthNotes::ErasedAt))
                .foreign_key(&mut reference(
                    CareHealthNotes::Table,
                    CareHealthNotes::ProfileId,
                    CareProfiles::Table,
                    CareProfiles::Id,
                ))
                .foreign_key(&mut reference(
                    CareHealthNotes::Table,
                    CareHealthNotes::ConsentId,
                    CareConsents::Table,
                    CareConsents::Id,
                ))
                .take(),
        )
        .await?;
        m.create_index(index("ix_care_health_notes_profile", CareHealthNotes::Table, [CareHealthNotes::ProfileId]))
            .await?;
        m.create_index(index("ix_care_health_notes_hidden", CareHealthNotes::Table, [CareHealthNotes::HiddenAt]))
            .await?;
        m.create_table(
            table(SensitiveAccessLog::Table)
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
        m.create_index(index(
            "ix_sensitive_access_log_community_subject",
            SensitiveAccessLog::Table,
            [SensitiveAccessLog::CommunityId, SensitiveAccessLog::SubjectId],
        ))
        .await?;
        m.create_index(index(
            "ix_sensitive_access_log_subject",
            SensitiveAccessLog::Table,
            [SensitiveAccessLog::SubjectId],
        ))
        .await?;
        m.create_table(
            table(CareVisits::Table)
                .col(id(CareVisits::Id))
                .col(fk(CareVisits::CommunityId))
                .col(fk(CareVisits::ElderId))
                .col(fk(CareVisits::VisitorId))
                .col(time(CareVisits::VisitedAt))
                .col(long_text(CareVisits::Notes))
                .col(flag(CareVisits::FollowUpNeeded))
                .col(text_null(CareVisits::FollowUp))
                .col(fk_null(CareVisits::CareRequestId))
                .col(time(CareVisits::CreatedAt))
                .foreign_key(&mut to_users(CareVisits::Table, CareVisits::ElderId))
                .foreign_key(&mut to_users(CareVisits::Table, CareVisits::VisitorId))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_care_visits_elder_visited",
            CareVisits::Table,
            [CareVisits::ElderId, CareVisits::VisitedAt],
        ))
        .await?;
        m.create_table(
            table(DataDeletions::Table)
                .col(id(DataDeletions::Id))
                .col(fk(DataDeletions::UserId).unique_key().take())
                .col(fk(DataDeletions::CarriedOutBy))
                .col(long_text(DataDeletions::Summary))
                .col(time(DataDeletions::CreatedAt))
                .foreign_key(&mut to_users(DataDeletions::Table, DataDeletions::UserId))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            m,
            [
                DataDeletions::Table.into_iden(),
                CareVisits::Table.into_iden(),
                SensitiveAccessLog::Table.into_iden(),
                CareHealthNotes::Table.into_iden(),
                CareConsents::Table.into_iden(),
                CareContacts::Table.into_iden(),
                CareProfiles::Table.into_iden(),
            ],
        )
        .await
    }
}
