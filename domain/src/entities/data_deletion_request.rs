use sea_orm::entity::prelude::*;

/// A request to delete another person's data, confirmed by a second staff member.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "data_deletion_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub community_id: i64,
    /// The person whose data is to be deleted.
    pub user_id: i64,
    pub requested_by: i64,
    pub reason: String,
    pub status: String,
    /// The person's id while pending, else none: one pending request per person.
    pub pending_key: Option<i64>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    /// Why it was refused.
    pub decision_note: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
