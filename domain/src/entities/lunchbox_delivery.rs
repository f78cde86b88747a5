use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lunchbox_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub community_id: i64,
    pub recipient_id: i64,
    pub served_on: Date,
    /// The canteen meal a portion was taken from.
    pub meal_id: i64,
    pub status: String,
    /// What the recipient pays at the door (the roster's subsidy when generated); 0 is free.
    pub price_fen: i64,
    pub claimant_id: Option<i64>,
    pub claimed_at: Option<DateTimeUtc>,
    pub delivered_at: Option<DateTimeUtc>,
    /// JSON list of the claimant's photo URLs.
    pub photo_urls: Option<String>,
    pub photo_confirmed_at: Option<DateTimeUtc>,
    pub recipient_confirmed_at: Option<DateTimeUtc>,
    pub cash_fen: Option<i64>,
    pub payment_transfer_id: Option<i64>,
    pub undelivered_reason: Option<String>,
    pub cancelled_at: Option<DateTimeUtc>,
    /// Set once when staff were alerted that it was not delivered in time.
    pub alerted_at: Option<DateTimeUtc>,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
