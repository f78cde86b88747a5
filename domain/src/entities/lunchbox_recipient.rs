use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lunchbox_recipients")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub community_id: i64,
    pub name: String,
    /// The resident's account, when they have one (left-behind children often do not).
    pub user_id: Option<i64>,
    pub category: String,
    pub address: String,
    pub phone: String,
    /// What the recipient pays at the door; 0 is free.
    pub price_fen: i64,
    pub meal_kind: String,
    pub grid_worker_id: i64,
    pub active: bool,
    pub note: Option<String>,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
