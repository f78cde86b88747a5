use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "wechat_pushes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub community_id: i64,
    pub user_id: i64,
    pub kind: String,
    /// JSON object: template field → value, already fitted to WeChat's limits.
    pub data: String,
    pub page: String,
    /// Unique: the same message is queued once.
    pub dedup_key: String,
    /// PENDING, SENT, FAILED, REFUSED, SKIPPED.
    pub status: String,
    pub attempts: i32,
    /// When a PENDING row is next due; while a sender holds it, the end of its lease.
    pub next_attempt_at: DateTimeUtc,
    pub last_errcode: Option<i64>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
