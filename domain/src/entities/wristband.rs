use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "wristbands")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub device_id: String,
    pub community_id: i64,
    pub resident_id: i64,
    pub registered_by: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
