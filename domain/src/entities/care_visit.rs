use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "care_visits")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub community_id: i64,
    /// The household concerned (and so its building and grid), when known.
    pub household_id: Option<i64>,
    pub elder_id: i64,
    pub visitor_id: i64,
    pub visited_at: DateTimeUtc,
    pub notes: String,
    pub follow_up_needed: bool,
    pub follow_up: Option<String>,
    /// Set when the follow-up becomes a care request.
    pub care_request_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
