use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub openid: String,
    pub unionid: Option<String>,
    pub display_name: String,
    pub phone: Option<String>,
    pub phone_verified_at: Option<DateTimeUtc>,
    pub address: Option<String>,
    pub household_id: Option<i64>,
    pub birth_year: Option<i32>,
    pub created_at: DateTimeUtc,
    /// False until a person imported or appointed by phone signs in with WeChat.
    pub wechat_bound: bool,
    pub id_tail: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
