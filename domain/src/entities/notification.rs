use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub community_id: i64,
    pub recipient_id: i64,
    /// What happened: LUNCHBOX_UNDELIVERED, …
    pub kind: String,
    /// What it is about (LUNCHBOX_DELIVERY, ORDER, …), if one thing.
    pub subject_kind: Option<String>,
    pub subject_id: Option<i64>,
    pub title: String,
    pub body: String,
    /// Unique: the same notice is written once, however many nodes send it.
    pub dedup_key: String,
    pub created_at: DateTimeUtc,
    pub read_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
