use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "care_consents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub profile_id: i64,
    pub community_id: i64,
    pub elder_id: i64,
    /// SELF or GUARDIAN.
    pub given_by: String,
    pub guardian_name: Option<String>,
    pub guardian_relation: Option<String>,
    pub given_at: DateTimeUtc,
    pub wording_version: String,
    pub recorded_by: i64,
    pub recorded_at: DateTimeUtc,
    /// The profile id while the consent stands; unique.
    pub active_key: Option<i64>,
    pub withdrawn_at: Option<DateTimeUtc>,
    pub withdrawal_recorded_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
