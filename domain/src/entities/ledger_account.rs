use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_accounts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub community_id: i64,
    pub kind: String,
    /// "community" or "user:<id>": unique with community, kind and currency.
    pub owner_key: String,
    pub owner_user_id: Option<i64>,
    pub currency: String,
    /// Cached sum of the account's entries; checked by the consistency check.
    pub balance: i64,
    pub allow_negative: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
