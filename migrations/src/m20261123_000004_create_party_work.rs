//! Party members' work: reporting in (双报到), micro-wishes, volunteer posts,
//! activities and check-ins, suggestions, household contacts (四个一), and
//! dedication points (党员奉献积分) as append-only entries.

use sea_orm_migration::prelude::*;

use crate::cols::*;
use crate::m20261123_000001_create_org::{Communities, Households, Users};

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
    CommunityId,
    ActorId,
    FromStatus,
    ToStatus,
    Note,
    At,
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
    CommunityId,
    Rules,
    UpdatedBy,
    UpdatedAt,
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

fn fk_to(from: (impl IntoIden, impl IntoIden), to: (impl IntoIden, impl IntoIden)) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(from.0, from.1).to(to.0, to.1).take()
}

async fn index(
    m: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    cols: Vec<DynIden>,
    unique: bool,
) -> Result<(), DbErr> {
    let mut index = Index::create().name(name).table(table).take();
    for col in cols {
        index.col(col);
    }
    if unique {
        index.unique();
    }
    m.create_index(index).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ReportIns::Table)
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
                .foreign_key(&mut fk_to((ReportIns::Table, ReportIns::UserId), (Users::Table, Users::Id)))
                .foreign_key(&mut fk_to(
                    (ReportIns::Table, ReportIns::CommunityId),
                    (Communities::Table, Communities::Id),
                ))
                .take(),
        )
        .await?;
        index(
            m,
            "ix_report_ins_user_status",
            ReportIns::Table,
            vec![ReportIns::UserId.into_iden(), ReportIns::Status.into_iden()],
            false,
        )
        .await?;
        index(
            m,
            "ix_report_ins_community_status",
            ReportIns::Table,
            vec![ReportIns::CommunityId.into_iden(), ReportIns::Status.into_iden()],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Wishes::Table)
                .col(id(Wishes::Id))
                .col(fk(Wishes::CommunityId))
                .col(text(Wishes::Title))
                .col(ColumnDef::new(Wishes::Story).text().not_null())
                .col(ColumnDef::new(Wishes::PhotoUrls).text().not_null())
                .col(fk(Wishes::PlacedBy))
                .col(fk_null(Wishes::OnBehalfOf))
                .col(fk_null(Wishes::ClaimantId))
                .col(text(Wishes::Status))
                .col(time_null(Wishes::ClaimDueAt))
                .col(ColumnDef::new(Wishes::FulfilNote).text().null())
                .col(ColumnDef::new(Wishes::FulfilPhotoUrls).text().null())
                .col(ColumnDef::new(Wishes::RatingStars).integer().null())
                .col(ColumnDef::new(Wishes::Thanks).text().null())
                .col(time(Wishes::CreatedAt))
                .col(time(Wishes::UpdatedAt))
                .foreign_key(&mut fk_to((Wishes::Table, Wishes::CommunityId), (Communities::Table, Communities::Id)))
                .foreign_key(&mut fk_to((Wishes::Table, Wishes::PlacedBy), (Users::Table, Users::Id)))
                .foreign_key(&mut fk_to((Wishes::Table, Wishes::ClaimantId), (Users::Table, Users::Id)))
                .take(),
        )
        .await?;
        index(
            m,
            "ix_wishes_community_status_id",
            Wishes::Table,
            vec![Wishes::CommunityId.into_iden(), Wishes::Status.into_iden(), Wishes::Id.into_iden()],
            false,
        )
        .await?;
        index(m, "ix_wishes_claimant", Wishes::Table, vec![Wishes::ClaimantId.into_iden()], false).await?;
        index(
            m,
            "ix_wishes_status_claim_due",
            Wishes::Table,
            vec![Wishes::Status.into_iden(), Wishes::ClaimDueAt.into_iden()],
            false,
        )
        .await?;
        m.create_table(
            Table::create()
                .table(WishEvents::Table)
                .col(id(WishEvents::Id))
                .col(fk(WishEvents::WishId))
                .col(fk(WishEvents::CommunityId))
                .col(fk(WishEvents::ActorId))
                .col(text_null(WishEvents::FromStatus))
                .col(text(WishEvents::ToStatus))
                .col(ColumnDef::new(WishEvents::Note).text().null())
                .col(time(WishEvents::At))
                .foreign_key(&mut fk_to((WishEvents::Table, WishEvents::WishId), (Wishes::Table, Wishes::Id)))
                .take(),
        )
        .await?;
        index(
            m,
            "ix_wish_events_wish",
            WishEvents::Table,
            vec![WishEvents::WishId.into_iden(), WishEvents::Id.into_iden()],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Posts::Table)
                .col(id(Posts::Id))
                .col(fk(Posts::CommunityId))
                .col(text(Posts::Title))
                .col(text(Posts::Kind))
                .col(ColumnDef::new(Posts::Description).text().not_null())
                .col(ColumnDef::new(Posts::Capacity).integer().not_null())
                .col(ColumnDef::new(Posts::Taken).integer().not_null().default(0))
                .col(ColumnDef::new(Posts::TermStart).date().not_null())
                .col(ColumnDef::new(Posts::TermEnd).date().not_null())
                .col(fk(Posts::CreatedBy))
                .col(time_null(Posts::RetiredAt))
                .col(time(Posts::CreatedAt))
                .foreign_key(&mut fk_to((Posts::Table, Posts::CommunityId), (Communities::Table, Communities::Id)))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PostClaims::Table)
                .col(id(PostClaims::Id))
                .col(fk(PostClaims::PostId))
                .col(fk(PostClaims::CommunityId))
                .col(fk(PostClaims::MemberId))
                .col(time(PostClaims::ClaimedAt))
                .col(time_null(PostClaims::LeftAt))
                .foreign_key(&mut fk_to((PostClaims::Table, PostClaims::PostId), (Posts::Table, Posts::Id)))
                .foreign_key(&mut fk_to((PostClaims::Table, PostClaims::MemberId), (Users::Table, Users::Id)))
                .take(),
        )
        .await?;
        index(
            m,
            "ix_post_claims_member",
            PostClaims::Table,
            vec![PostClaims::MemberId.into_iden(), PostClaims::PostId.into_iden()],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Activities::Table)
                .col(id(Activities::Id))
                .col(fk(Activities::CommunityId))
                .col(text(Activities::Title))
                .col(text(Activities::Kind))
                .col(text(Activities::Place))
                .col(time(Activities::StartsAt))
                .col(time(Activities::EndsAt))
                .col(ColumnDef::new(Activities::Capacity).integer().not_null())
                .col(ColumnDef::new(Activities::SignedUp).integer().not_null().default(0))
                .col(ColumnDef::new(Activities::ServiceMinutes).integer().not_null())
                .col(fk(Activities::CreatedBy))
                .col(time_null(Activities::CancelledAt))
                .col(time(Activities::CreatedAt))
                .foreign_key(&mut fk_to(
                    (Activities::Table, Activities::CommunityId),
                    (Communities::Table, Communities::Id),
                ))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ActivitySignups::Table)
                .col(id(ActivitySignups::Id))
                .col(fk(ActivitySignups::ActivityId))
                .col(fk(ActivitySignups::CommunityId))
                .col(fk(ActivitySignups::UserId))
                .col(time(ActivitySignups::SignedUpAt))
                .col(time_null(ActivitySignups::CancelledAt))
                .col(time_null(ActivitySignups::CheckedInAt))
                .col(ColumnDef::new(ActivitySignups::ServiceMinutes).integer().null())
                .foreign_key(&mut fk_to(
                    (ActivitySignups::Table, ActivitySignups::ActivityId),
                    (Activities::Table, Activities::Id),
                ))
                .foreign_key(&mut fk_to((ActivitySignups::Table, ActivitySignups::UserId), (Users::Table, Users::Id)))
                .take(),
        )
        .await?;
        index(
            m,
            "ux_activity_signups_activity_user",
            ActivitySignups::Table,
            vec![ActivitySignups::ActivityId.into_iden(), ActivitySignups::UserId.into_iden()],
            true,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Suggestions::Table)
                .col(id(Suggestions::Id))
                .col(fk(Suggestions::CommunityId))
                .col(fk(Suggestions::MemberId))
                .col(ColumnDef::new(Suggestions::Text).text().not_null())
                .col(ColumnDef::new(Suggestions::Answer).text().null())
                .col(fk_null(Suggestions::AnsweredBy))
                .col(time_null(Suggestions::AnsweredAt))
                .col(time(Suggestions::CreatedAt))
                .foreign_key(&mut fk_to(
                    (Suggestions::Table, Suggestions::CommunityId),
                    (Communities::Table, Communities::Id),
                ))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(HouseholdAssignments::Table)
                .col(id(HouseholdAssignments::Id))
                .col(fk(HouseholdAssignments::CommunityId))
                .col(fk(HouseholdAssignments::MemberId))
                .col(fk(HouseholdAssignments::HouseholdId))
                .col(ColumnDef::new(HouseholdAssignments::Year).integer().not_null())
                .col(fk(HouseholdAssignments::AssignedBy))
                .col(time(HouseholdAssignments::CreatedAt))
                .foreign_key(&mut fk_to(
                    (HouseholdAssignments::Table, HouseholdAssignments::HouseholdId),
                    (Households::Table, Households::Id),
                ))
                .take(),
        )
        .await?;
        index(
            m,
            "ux_household_assignments_member_household_year",
            HouseholdAssignments::Table,
            vec![
                HouseholdAssignments::MemberId.into_iden(),
                HouseholdAssignments::HouseholdId.into_iden(),
                HouseholdAssignments::Year.into_iden(),
            ],
            true,
        )
        .await?;
        m.create_table(
            Table::create()
                .table(HouseholdContacts::Table)
                .col(id(HouseholdContacts::Id))
                .col(fk(HouseholdContacts::CommunityId))
                .col(fk(HouseholdContacts::MemberId))
                .col(fk(HouseholdContacts::HouseholdId))
                .col(ColumnDef::new(HouseholdContacts::Note).text().not_null())
                .col(time(HouseholdContacts::ContactedAt))
                .col(time(HouseholdContacts::CreatedAt))
                .foreign_key(&mut fk_to(
                    (HouseholdContacts::Table, HouseholdContacts::HouseholdId),
                    (Households::Table, Households::Id),
                ))
                .take(),
        )
        .await?;
        index(
            m,
            "ix_household_contacts_member",
            HouseholdContacts::Table,
            vec![HouseholdContacts::MemberId.into_iden(), HouseholdContacts::ContactedAt.into_iden()],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(DedicationRules::Table)
                .col(ColumnDef::new(DedicationRules::CommunityId).big_integer().not_null().primary_key())
                .col(ColumnDef::new(DedicationRules::Rules).text().not_null())
                .col(fk(DedicationRules::UpdatedBy))
                .col(time(DedicationRules::UpdatedAt))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(DedicationEntries::Table)
                .col(id(DedicationEntries::Id))
                .col(fk(DedicationEntries::CommunityId))
                .col(fk(DedicationEntries::MemberId))
                .col(ColumnDef::new(DedicationEntries::Points).integer().not_null())
                .col(text(DedicationEntries::Reason))
                .col(text(DedicationEntries::SourceKind))
                .col(fk_null(DedicationEntries::SourceId))
                .col(text(DedicationEntries::SourceKey).unique_key().take())
                .col(text(DedicationEntries::Month))
                .col(fk_null(DedicationEntries::CreatedBy))
                .col(time(DedicationEntries::CreatedAt))
                .foreign_key(&mut fk_to(
                    (DedicationEntries::Table, DedicationEntries::MemberId),
                    (Users::Table, Users::Id),
                ))
                .take(),
        )
        .await?;
        index(
            m,
            "ix_dedication_entries_community_member_month",
            DedicationEntries::Table,
            vec![
                DedicationEntries::CommunityId.into_iden(),
                DedicationEntries::MemberId.into_iden(),
                DedicationEntries::Month.into_iden(),
            ],
            false,
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AwardNominations::Table)
                .col(id(AwardNominations::Id))
                .col(fk(AwardNominations::CommunityId))
                .col(text(AwardNominations::PartyBranch))
                .col(text(AwardNominations::Quarter))
                .col(fk(AwardNominations::MemberId))
                .col(ColumnDef::new(AwardNominations::Citation).text().null())
                .col(fk(AwardNominations::NominatedBy))
                .col(time(AwardNominations::CreatedAt))
                .take(),
        )
        .await?;
        index(
            m,
            "ux_award_nominations_community_quarter_member",
            AwardNominations::Table,
            vec![
                AwardNominations::CommunityId.into_iden(),
                AwardNominations::Quarter.into_iden(),
                AwardNominations::MemberId.into_iden(),
            ],
            true,
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
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
        ] {
            m.drop_table(Table::drop().table(table).take()).await?;
        }
        Ok(())
    }
}
