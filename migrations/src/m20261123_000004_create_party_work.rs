//! Party members' work: reporting in (双报到), micro-wishes, volunteer posts,
//! activities and check-ins, suggestions, household contacts (四个一), and
//! dedication points (党员奉献积分) as append-only entries.

use sea_orm_migration::prelude::*;

use crate::m20261123_000001_create_org::Households;
use crate::shared::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum ReportIns {
    Table,
    Id,
    UserId,
    CommunityId,
    WorkUnit,
    PartyBranch,
    Specialties,
    PublicPhone,
    Status,
    /// "<user>:<community>" while pending or approved, NULL after: unique,
    /// so one member has one active report-in per community however many
    /// requests race.
    ActiveKey,
    DeclineReason,
    DecidedBy,
    DecidedAt,
    LeftAt,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum Wishes {
    Table,
    Id,
    CommunityId,
    Title,
    Story,
    PhotoUrls,
    PlacedBy,
    OnBehalfOf,
    ClaimantId,
    Status,
    ClaimDueAt,
    FulfilNote,
    FulfilPhotoUrls,
    RatingStars,
    Thanks,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum WishEvents {
    Table,
    Id,
    WishId,
}

#[derive(DeriveIden)]
pub enum Posts {
    Table,
    Id,
    CommunityId,
    Title,
    Kind,
    Description,
    Capacity,
    Taken,
    TermStart,
    TermEnd,
    CreatedBy,
    RetiredAt,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum PostClaims {
    Table,
    Id,
    PostId,
    CommunityId,
    MemberId,
    ClaimedAt,
    LeftAt,
}

#[derive(DeriveIden)]
pub enum Activities {
    Table,
    Id,
    CommunityId,
    Title,
    Kind,
    Place,
    StartsAt,
    EndsAt,
    Capacity,
    SignedUp,
    ServiceMinutes,
    CreatedBy,
    CancelledAt,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum ActivitySignups {
    Table,
    Id,
    ActivityId,
    CommunityId,
    UserId,
    SignedUpAt,
    CancelledAt,
    CheckedInAt,
    ServiceMinutes,
}

#[derive(DeriveIden)]
pub enum Suggestions {
    Table,
    Id,
    CommunityId,
    MemberId,
    Text,
    Answer,
    AnsweredBy,
    AnsweredAt,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum HouseholdAssignments {
    Table,
    Id,
    CommunityId,
    MemberId,
    HouseholdId,
    Year,
    AssignedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum HouseholdContacts {
    Table,
    Id,
    CommunityId,
    MemberId,
    HouseholdId,
    Note,
    ContactedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum DedicationRules {
    Table,
    Rules,
}

#[derive(DeriveIden)]
pub enum DedicationEntries {
    Table,
    Id,
    CommunityId,
    MemberId,
    Points,
    Reason,
    SourceKind,
    SourceId,
    SourceKey,
    Month,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum AwardNominations {
    Table,
    Id,
    CommunityId,
    PartyBranch,
    Quarter,
    MemberId,
    Citation,
    NominatedBy,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table(ReportIns::Table)
                .col(id(ReportIns::Id))
                .col(fk(ReportIns::UserId))
                .col(fk(ReportIns::CommunityId))
                .col(text(ReportIns::WorkUnit))
                .col(text(ReportIns::PartyBranch))
                .col(text(ReportIns::Specialties))
                .col(text_null(ReportIns::PublicPhone))
                .col(text(ReportIns::Status))
                .col(text_null(ReportIns::ActiveKey).unique_key().take())
                .col(text_null(ReportIns::DeclineReason))
                .col(fk_null(ReportIns::DecidedBy))
                .col(time_null(ReportIns::DecidedAt))
                .col(time_null(ReportIns::LeftAt))
                .col(time(ReportIns::CreatedAt))
                .foreign_key(&mut to_users(ReportIns::Table, ReportIns::UserId))
                .foreign_key(&mut to_communities(ReportIns::Table, ReportIns::CommunityId))
                .take(),
        )
        .await?;
        m.create_index(index("ix_report_ins_user_status", ReportIns::Table, [ReportIns::UserId, ReportIns::Status]))
            .await?;
        m.create_index(index(
            "ix_report_ins_community_status",
            ReportIns::Table,
            [ReportIns::CommunityId, ReportIns::Status],
        ))
        .await?;

        m.create_table(
            table(Wishes::Table)
                .col(id(Wishes::Id))
                .col(fk(Wishes::CommunityId))
                .col(text(Wishes::Title))
                .col(long_text(Wishes::Story))
                .col(long_text(Wishes::PhotoUrls))
                .col(fk(Wishes::PlacedBy))
                .col(fk_null(Wishes::OnBehalfOf))
                .col(fk_null(Wishes::ClaimantId))
                .col(text(Wishes::Status))
                .col(time_null(Wishes::ClaimDueAt))
                .col(long_text_null(Wishes::FulfilNote))
                .col(long_text_null(Wishes::FulfilPhotoUrls))
                .col(int_null(Wishes::RatingStars))
                .col(long_text_null(Wishes::Thanks))
                .col(time(Wishes::CreatedAt))
                .col(time(Wishes::UpdatedAt))
                .foreign_key(&mut to_communities(Wishes::Table, Wishes::CommunityId))
                .foreign_key(&mut to_users(Wishes::Table, Wishes::PlacedBy))
                .foreign_key(&mut to_users(Wishes::Table, Wishes::ClaimantId))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_wishes_community_status_id",
            Wishes::Table,
            [Wishes::CommunityId, Wishes::Status, Wishes::Id],
        ))
        .await?;
        m.create_index(index("ix_wishes_claimant", Wishes::Table, [Wishes::ClaimantId])).await?;
        m.create_index(index("ix_wishes_status_claim_due", Wishes::Table, [Wishes::Status, Wishes::ClaimDueAt]))
            .await?;
        m.create_table(
            transitions_table(
                WishEvents::Table,
                [id(WishEvents::Id), fk(WishEvents::WishId)],
                fk(TransitionColumns::ActorId),
            )
            .foreign_key(&mut reference(WishEvents::Table, WishEvents::WishId, Wishes::Table, Wishes::Id))
            .take(),
        )
        .await?;
        m.create_index(index("ix_wish_events_wish", WishEvents::Table, [WishEvents::WishId, WishEvents::Id])).await?;

        m.create_table(
            table(Posts::Table)
                .col(id(Posts::Id))
                .col(fk(Posts::CommunityId))
                .col(text(Posts::Title))
                .col(text(Posts::Kind))
                .col(long_text(Posts::Description))
                .col(int(Posts::Capacity))
                .col(int(Posts::Taken).default(0).take())
                .col(date(Posts::TermStart))
                .col(date(Posts::TermEnd))
                .col(fk(Posts::CreatedBy))
                .col(time_null(Posts::RetiredAt))
                .col(time(Posts::CreatedAt))
                .foreign_key(&mut to_communities(Posts::Table, Posts::CommunityId))
                .take(),
        )
        .await?;
        m.create_table(
            table(PostClaims::Table)
                .col(id(PostClaims::Id))
                .col(fk(PostClaims::PostId))
                .col(fk(PostClaims::CommunityId))
                .col(fk(PostClaims::MemberId))
                .col(time(PostClaims::ClaimedAt))
                .col(time_null(PostClaims::LeftAt))
                .foreign_key(&mut reference(PostClaims::Table, PostClaims::PostId, Posts::Table, Posts::Id))
                .foreign_key(&mut to_users(PostClaims::Table, PostClaims::MemberId))
                .take(),
        )
        .await?;
        m.create_index(index("ix_post_claims_member", PostClaims::Table, [PostClaims::MemberId, PostClaims::PostId]))
            .await?;

        m.create_table(
            table(Activities::Table)
                .col(id(Activities::Id))
                .col(fk(Activities::CommunityId))
                .col(text(Activities::Title))
                .col(text(Activities::Kind))
                .col(text(Activities::Place))
                .col(time(Activities::StartsAt))
                .col(time(Activities::EndsAt))
                .col(int(Activities::Capacity))
                .col(int(Activities::SignedUp).default(0).take())
                .col(int(Activities::ServiceMinutes))
                .col(fk(Activities::CreatedBy))
                .col(time_null(Activities::CancelledAt))
                .col(time(Activities::CreatedAt))
                .foreign_key(&mut to_communities(Activities::Table, Activities::CommunityId))
                .take(),
        )
        .await?;
        m.create_table(
            table(ActivitySignups::Table)
                .col(id(ActivitySignups::Id))
                .col(fk(ActivitySignups::ActivityId))
                .col(fk(ActivitySignups::CommunityId))
                .col(fk(ActivitySignups::UserId))
                .col(time(ActivitySignups::SignedUpAt))
                .col(time_null(ActivitySignups::CancelledAt))
                .col(time_null(ActivitySignups::CheckedInAt))
                .col(int_null(ActivitySignups::ServiceMinutes))
                .foreign_key(&mut reference(
                    ActivitySignups::Table,
                    ActivitySignups::ActivityId,
                    Activities::Table,
                    Activities::Id,
                ))
                .foreign_key(&mut to_users(ActivitySignups::Table, ActivitySignups::UserId))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "ux_activity_signups_activity_user",
            ActivitySignups::Table,
            [ActivitySignups::ActivityId, ActivitySignups::UserId],
        ))
        .await?;

        m.create_table(
            table(Suggestions::Table)
                .col(id(Suggestions::Id))
                .col(fk(Suggestions::CommunityId))
                .col(fk(Suggestions::MemberId))
                .col(long_text(Suggestions::Text))
                .col(long_text_null(Suggestions::Answer))
                .col(fk_null(Suggestions::AnsweredBy))
                .col(time_null(Suggestions::AnsweredAt))
                .col(time(Suggestions::CreatedAt))
                .foreign_key(&mut to_communities(Suggestions::Table, Suggestions::CommunityId))
                .take(),
        )
        .await?;
        m.create_table(
            table(HouseholdAssignments::Table)
                .col(id(HouseholdAssignments::Id))
                .col(fk(HouseholdAssignments::CommunityId))
                .col(fk(HouseholdAssignments::MemberId))
                .col(fk(HouseholdAssignments::HouseholdId))
                .col(int(HouseholdAssignments::Year))
                .col(fk(HouseholdAssignments::AssignedBy))
                .col(time(HouseholdAssignments::CreatedAt))
                .foreign_key(&mut reference(
                    HouseholdAssignments::Table,
                    HouseholdAssignments::HouseholdId,
                    Households::Table,
                    Households::Id,
                ))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "ux_household_assignments_member_household_year",
            HouseholdAssignments::Table,
            [HouseholdAssignments::MemberId, HouseholdAssignments::HouseholdId, HouseholdAssignments::Year],
        ))
        .await?;
        m.create_table(
            table(HouseholdContacts::Table)
                .col(id(HouseholdContacts::Id))
                .col(fk(HouseholdContacts::CommunityId))
                .col(fk(HouseholdContacts::MemberId))
                .col(fk(HouseholdContacts::HouseholdId))
                .col(long_text(HouseholdContacts::Note))
                .col(time(HouseholdContacts::ContactedAt))
                .col(time(HouseholdContacts::CreatedAt))
                .foreign_key(&mut reference(
                    HouseholdContacts::Table,
                    HouseholdContacts::HouseholdId,
                    Households::Table,
                    Households::Id,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_household_contacts_member",
            HouseholdContacts::Table,
            [HouseholdContacts::MemberId, HouseholdContacts::ContactedAt],
        ))
        .await?;

        m.create_table(settings_table(DedicationRules::Table, long_text(DedicationRules::Rules))).await?;
        m.create_table(
            table(DedicationEntries::Table)
                .col(id(DedicationEntries::Id))
                .col(fk(DedicationEntries::CommunityId))
                .col(fk(DedicationEntries::MemberId))
                .col(int(DedicationEntries::Points))
                .col(text(DedicationEntries::Reason))
                .col(text(DedicationEntries::SourceKind))
                .col(fk_null(DedicationEntries::SourceId))
                .col(text(DedicationEntries::SourceKey).unique_key().take())
                .col(text(DedicationEntries::Month))
                .col(fk_null(DedicationEntries::CreatedBy))
                .col(time(DedicationEntries::CreatedAt))
                .foreign_key(&mut to_users(DedicationEntries::Table, DedicationEntries::MemberId))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_dedication_entries_community_member_month",
            DedicationEntries::Table,
            [DedicationEntries::CommunityId, DedicationEntries::MemberId, DedicationEntries::Month],
        ))
        .await?;
        m.create_table(
            table(AwardNominations::Table)
                .col(id(AwardNominations::Id))
                .col(fk(AwardNominations::CommunityId))
                .col(text(AwardNominations::PartyBranch))
                .col(text(AwardNominations::Quarter))
                .col(fk(AwardNominations::MemberId))
                .col(long_text_null(AwardNominations::Citation))
                .col(fk(AwardNominations::NominatedBy))
                .col(time(AwardNominations::CreatedAt))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "ux_award_nominations_community_quarter_member",
            AwardNominations::Table,
            [AwardNominations::CommunityId, AwardNominations::Quarter, AwardNominations::MemberId],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            m,
            [
                AwardNominations::Table.into_iden(),
                DedicationEntries::Table.into_iden(),
                DedicationRules::Table.into_iden(),
                HouseholdContacts::Table.into_iden(),
                HouseholdAssignments::Table.into_iden(),
                Suggestions::Table.into_iden(),
                ActivitySignups::Table.into_iden(),
                Activities::Table.into_iden(),
                PostClaims::Table.into_iden(),
                Posts::Table.into_iden(),
                WishEvents::Table.into_iden(),
                Wishes::Table.into_iden(),
                ReportIns::Table.into_iden(),
            ],
        )
        .await
    }
}
