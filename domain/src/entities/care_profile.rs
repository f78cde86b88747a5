use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "care_profiles")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub community_id: i64,
    /// The household concerned (and so its building and grid), when known.
    pub household_id: Option<i64>,
    /// Unique: one profile per elder.
    pub elder_id: i64,
    /// JSON array of needs.
    pub needs: String,
    pub lives_alone: bool,
    pub visit_interval_days: i32,
    pub grid_worker_id: Option<i64>,
    pub household_lead_id: Option<i64>,
    pub address: Option<String>,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub updated_by: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
