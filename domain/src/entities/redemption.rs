use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "redemptions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub community_id: i64,
    pub item_id: i64,
    pub user_id: i64,
    pub quantity: i32,
    pub points: i64,
    pub status: String,
    pub pickup_code: String,
    pub hold_transfer_id: i64,
    pub settle_transfer_id: Option<i64>,
    pub expires_at: DateTimeUtc,
    pub settled_by: Option<i64>,
    pub settled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
