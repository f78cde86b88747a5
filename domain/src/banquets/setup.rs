//! What the secretary and the canteen set up: the council's limits, the
//! venues and the banquet menus (and the demo hall).

use chrono::Utc;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};

use super::Banquets;
use super::model::{BanquetLimits, Menu, Venue, check_limits_values, limits_of};
use crate::entities::{banquet_limits, banquet_menu, banquet_venue};
use crate::error::{DomainError, DomainResult};
use crate::org::authority;
use crate::org::{Actor, in_reach};
use crate::validate;

impl Banquets<'_> {
    /// The limits, for anyone in the community.
    pub async fn limits(self, actor: &Actor, community_id: i64) -> DomainResult<BanquetLimits> {
        actor.require_member(community_id)?;
        limits_of(&self.d.db, community_id).await
    }

    /// The secretary sets the council's limits. Bookings already approved
    /// stand; pending ones are checked again when approved.
    pub async fn set_limits(
        self,
        actor: &Actor,
        community_id: i64,
        limits: BanquetLimits,
    ) -> DomainResult<BanquetLimits> {
        actor.require(&authority::SET_BANQUET_LIMITS, community_id)?;
        check_limits_values(&limits)?;
        let row = banquet_limits::ActiveModel {
            community_id: Set(community_id),
            limits: Set(serde_json::to_string(&limits).map_err(DomainError::internal)?),
            updated_by: Set(actor.user_id),
            updated_at: Set(self.d.clock.now()),
        };
        banquet_limits::Entity::insert(row)
            .on_conflict(
                OnConflict::column(banquet_limits::Column::CommunityId)
                    .update_columns([
                        banquet_limits::Column::Limits,
                        banquet_limits::Column::UpdatedBy,
                        banquet_limits::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.d.db)
            .await?;
        Ok(limits)
    }

    pub async fn create_venue(self, actor: &Actor, community_id: i64, name: &str, tables: i32) -> DomainResult<Venue> {
        actor.require(&authority::CREATE_BANQUET_VENUE, community_id)?;
        let name = validate::required_text("name", name, 30)?;
        if !(1..=200).contains(&tables) {
            return Err(DomainError::bad_input("tables", "a venue seats 1 to 200 tables"));
        }
        let inserted = banquet_venue::ActiveModel {
            community_id: Set(community_id),
            name: Set(name.clone()),
            tables: Set(tables),
            created_by: Set(Some(actor.user_id)),
            created_at: Set(self.d.clock.now()),
            ..Default::default()
        }
        .insert(&self.d.db)
        .await;
        match inserted.map_err(DomainError::from) {
            Ok(row) => Ok(row.into()),
            Err(DomainError::Conflict(_)) => {
                Err(DomainError::Conflict(format!("this community already has a venue called {name}")))
            }
            Err(e) => Err(e),
        }
    }

    pub async fn venues(self, actor: &Actor, community_id: i64) -> DomainResult<Vec<Venue>> {
        actor.require_member(community_id)?;
        Ok(banquet_venue::Entity::find()
            .filter(banquet_venue::Column::CommunityId.eq(community_id))
            .order_by_asc(banquet_venue::Column::Id)
            .all(&self.d.db)
            .await?
            .into_iter()
            .map(Venue::from)
            .collect())
    }

    pub(crate) async fn visible_venue(self, actor: &Actor, id: i64) -> DomainResult<banquet_venue::Model> {
        in_reach::<banquet_venue::Entity>(&self.d.db, actor, id, "venue").await
    }

    pub async fn create_menu(
        self,
        actor: &Actor,
        community_id: i64,
        name: &str,
        price_per_table_fen: i64,
        dishes: &[String],
    ) -> DomainResult<Menu> {
        actor.require(&authority::CREATE_BANQUET_MENU, community_id)?;
        let name = validate::required_text("name", name, 30)?;
        if !(100..=1_000_000).contains(&price_per_table_fen) {
            return Err(DomainError::bad_input("pricePerTableFen", "a table costs 1 to 10000 yuan"));
        }
        if !(1..=30).contains(&dishes.len()) {
            return Err(DomainError::bad_input("dishes", "a banquet menu lists 1 to 30 dishes"));
        }
        let dishes =
            dishes.iter().map(|d| validate::required_text("dishes", d, 30)).collect::<DomainResult<Vec<_>>>()?;
        banquet_menu::ActiveModel {
            community_id: Set(community_id),
            name: Set(name),
            price_per_table_fen: Set(price_per_table_fen),
            dishes: Set(serde_json::to_string(&dishes).map_err(DomainError::internal)?),
            created_by: Set(Some(actor.user_id)),
            created_at: Set(self.d.clock.now()),
            ..Default::default()
        }
        .insert(&self.d.db)
        .await?
        .try_into()
    }

    /// A retired menu is no longer offered; bookings made with it keep their price.
    pub async fn retire_menu(self, actor: &Actor, id: i64) -> DomainResult<Menu> {
        let menu = self.visible_menu(actor, id).await?;
        actor.require(&authority::RETIRE_BANQUET_MENU, menu.community_id)?;
        banquet_menu::Entity::update_many()
            .col_expr(banquet_menu::Column::RetiredAt, Expr::value(self.d.clock.now()))
            .filter(banquet_menu::Column::Id.eq(id))
            .filter(banquet_menu::Column::RetiredAt.is_null())
            .exec(&self.d.db)
            .await?;
        self.visible_menu(actor, id).await?.try_into()
    }

    /// The menus on offer (and the retired ones too when asked).
    pub async fn menus(self, actor: &Actor, community_id: i64, include_retired: bool) -> DomainResult<Vec<Menu>> {
        actor.require_member(community_id)?;
        let mut query = banquet_menu::Entity::find().filter(banquet_menu::Column::CommunityId.eq(community_id));
        if !include_retired {
            query = query.filter(banquet_menu::Column::RetiredAt.is_null());
        }
        query.order_by_asc(banquet_menu::Column::Id).all(&self.d.db).await?.into_iter().map(Menu::try_from).collect()
    }

    pub(crate) async fn visible_menu(self, actor: &Actor, id: i64) -> DomainResult<banquet_menu::Model> {
        in_reach::<banquet_menu::Entity>(&self.d.db, actor, id, "menu").await
    }
}

/// Demo data for one community: the canteen's hall (合约食堂大厅, 30 tables)
/// and two banquet menus. Does nothing when the community has a venue already.
pub async fn seed_banquets<C: ConnectionTrait>(db: &C, community_id: i64) -> DomainResult<()> {
    let existing =
        banquet_venue::Entity::find().filter(banquet_venue::Column::CommunityId.eq(community_id)).count(db).await?;
    if existing > 0 {
        return Ok(());
    }
    // Demo rows carry the time they were written; no rule reads it.
    let now = Utc::now();
    banquet_venue::ActiveModel {
        community_id: Set(community_id),
        name: Set("合约食堂大厅".into()),
        tables: Set(30),
        created_by: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let menus: [(&str, i64, &[&str]); 2] = [
        (
            "家常八菜一汤",
            30_000,
            &["酸汤鱼", "腊肉炒蒜苗", "辣子鸡", "粉蒸肉", "血豆腐", "炒时蔬", "凉拌折耳根", "糯米饭", "豆腐青菜汤"],
        ),
        (
            "十菜一汤",
            45_000,
            &[
                "酸汤鱼",
                "白切鸡",
                "红烧肉",
                "腊肉香肠拼盘",
                "粉蒸排骨",
                "血豆腐",
                "清炒时蔬",
                "凉拌木耳",
                "八宝饭",
                "水果拼盘",
                "酸汤菜豆腐汤",
            ],
        ),
    ];
    for (name, price, dishes) in menus {
        banquet_menu::ActiveModel {
            community_id: Set(community_id),
            name: Set(name.into()),
            price_per_table_fen: Set(price),
            dishes: Set(serde_json::to_string(dishes).map_err(DomainError::internal)?),
            created_by: Set(None),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}
