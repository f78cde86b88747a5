use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "care_health_notes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub profile_id: i64,
    pub community_id: i64,
    pub elder_id: i64,
    pub consent_id: i64,
    /// `None` once erased.
    pub body: Option<String>,
    pub written_by: i64,
    pub written_at: DateTimeUtc,
    /// Set when consent is withdrawn: never shown again.
    pub hidden_at: Option<DateTimeUtc>,
    pub erased_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
