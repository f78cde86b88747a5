use sea_orm::entity::prelude::*;

/// The care side of an order that is an elderly-care request.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "care_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub order_id: i64,
    pub community_id: i64,
    pub elder_id: i64,
    pub kind: String,
    pub urgent: bool,
    pub filed_as: String,
    pub cash_amount_fen: Option<i64>,
    pub cash_handed_by: Option<i64>,
    pub cash_handed_at: Option<DateTimeUtc>,
    pub cash_receipt_url: Option<String>,
    pub cash_confirmed_by: Option<i64>,
    pub cash_confirmed_at: Option<DateTimeUtc>,
    pub device_id: Option<String>,
    pub alarm_count: i32,
    pub last_alarm_at: Option<DateTimeUtc>,
    pub escalated_at: Option<DateTimeUtc>,
    /// The latest alarm's location as the device platform reported it; shown masked and logged, never in the order's texts.
    pub alarm_location: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
