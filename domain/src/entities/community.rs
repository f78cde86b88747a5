use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "communities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub street_id: i64,
    pub name: String,
    pub invite_code: String,
    pub created_at: DateTimeUtc,
    /// What happens to claimed work past its deadline: `RETURN_TO_POOL` or `ESCALATE`.
    pub overdue_policy: String,
    /// What an UNSATISFIED return visit does: `REOPEN` or `ESCALATE`.
    pub return_visit_policy: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
