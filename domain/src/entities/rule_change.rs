use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rule_changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub community_id: i64,
    /// Which rules: CIVILITY or DEDICATION.
    pub rules: String,
    /// JSON of the rules before; `None` when the community had the defaults.
    pub before: Option<String>,
    /// JSON of the rules after.
    pub after: String,
    pub changed_by: i64,
    pub changed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
