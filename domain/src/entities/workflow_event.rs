use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workflow_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// What the event is about: ORDER, WISH, …
    pub subject_kind: String,
    pub subject_id: i64,
    pub community_id: i64,
    /// None when the system acted (a missed deadline).
    pub actor_id: Option<i64>,
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: Option<String>,
    pub at: DateTimeUtc,
    /// The event's place in the published order (the clients' cursor); None until the relay reaches it.
    pub relay_seq: Option<i64>,
    /// When the bus accepted it; None while it waits (e.g. Redis is down).
    pub published_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
