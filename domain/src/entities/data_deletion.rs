use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "data_deletions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The anonymised person; unique.
    pub user_id: i64,
    /// The person themself, or the secretary who carried it out for them.
    pub carried_out_by: i64,
    /// JSON: what was erased, anonymised or ended.
    pub summary: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
