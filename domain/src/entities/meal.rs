use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "meals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub community_id: i64,
    pub served_on: Date,
    pub kind: String,
    pub name: String,
    pub price_fen: i64,
    /// Portions offered that day.
    pub quantity: i32,
    /// Portions booked (never above `quantity`).
    pub booked: i32,
    pub published_by: i64,
    pub withdrawn_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
