use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub community_id: i64,
    /// The household concerned (and so its building and grid), when known.
    pub household_id: Option<i64>,
    pub category: String,
    pub title: String,
    pub description: String,
    pub address: Option<String>,
    pub contact_phone: Option<String>,
    /// JSON array of URLs.
    pub photo_urls: String,
    pub placed_by: i64,
    pub on_behalf_of: Option<i64>,
    pub assignee_id: Option<i64>,
    pub claimant_id: Option<i64>,
    pub status: String,
    pub claim_due_at: Option<DateTimeUtc>,
    pub complete_due_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub completion_note: Option<String>,
    /// JSON array of URLs.
    pub completion_photo_urls: Option<String>,
    pub rating_stars: Option<i32>,
    pub rating_comment: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Set once when the deadline sweep found the claim past its deadline.
    pub overdue_at: Option<DateTimeUtc>,
    /// When it went to the street (吹哨), by the secretary or a deadline.
    pub escalated_at: Option<DateTimeUtc>,
    /// The department the street routed it to.
    pub department_id: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub route_instruction: Option<String>,
    pub routed_at: Option<DateTimeUtc>,
    pub accept_due_at: Option<DateTimeUtc>,
    pub route_due_at: Option<DateTimeUtc>,
    pub department_accepted_at: Option<DateTimeUtc>,
    pub department_completed_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub department_note: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub department_photo_urls: Option<String>,
    pub department_overdue_at: Option<DateTimeUtc>,
    /// The helper is due at the door by then (from the claim).
    pub arrive_due_at: Option<DateTimeUtc>,
    pub arrived_at: Option<DateTimeUtc>,
    /// Set once when the sweep found the helper not arrived by `arrive_due_at`.
    pub arrival_missed_at: Option<DateTimeUtc>,
    pub return_visit_satisfaction: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub return_visit_comment: Option<String>,
    pub return_visited_by: Option<i64>,
    pub return_visited_at: Option<DateTimeUtc>,
    /// When it was last published to the pool or assigned.
    pub dispatched_at: Option<DateTimeUtc>,
    /// When its current (or last) claim was made.
    pub claimed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
