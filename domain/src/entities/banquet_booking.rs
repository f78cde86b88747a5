use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "banquet_bookings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub community_id: i64,
    pub venue_id: i64,
    pub menu_id: i64,
    pub booked_by: i64,
    pub held_on: Date,
    pub kind: String,
    pub host_name: String,
    pub contact_phone: String,
    pub tables: i32,
    pub guests: i32,
    /// The menu's price when booked.
    pub price_per_table_fen: i64,
    pub total_fen: i64,
    pub note: Option<String>,
    pub status: String,
    /// "<venue>:<date>" while pending, approved or held; NULL once declined or cancelled. Unique.
    pub active_key: Option<String>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    pub decline_reason: Option<String>,
    pub cancelled_by: Option<i64>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub cancel_reason: Option<String>,
    pub held_by: Option<i64>,
    pub held_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
