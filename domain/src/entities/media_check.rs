use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "media_checks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// WeChat's id for the check.
    pub trace_id: String,
    pub media_url: String,
    /// The upload's file name when the photo is one of ours.
    pub upload_id: Option<String>,
    /// ORDER or WISH.
    pub subject_kind: String,
    pub subject_id: i64,
    /// PENDING, PASS, RISKY.
    pub status: String,
    pub created_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
