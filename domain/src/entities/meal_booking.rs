use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "meal_bookings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub meal_id: i64,
    pub community_id: i64,
    pub user_id: i64,
    pub served_on: Date,
    pub quantity: i32,
    pub status: String,
    /// Taken off the price by a coupon bought with civility points.
    pub discount_fen: i64,
    pub coupon_transfer_id: Option<i64>,
    pub paid_fen: Option<i64>,
    pub payment_method: Option<String>,
    pub payment_transfer_id: Option<i64>,
    pub paid_at: Option<DateTimeUtc>,
    pub collected_at: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
    /// "<user>:<key>": a retried booking is made once.
    pub idempotency_key: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
