//! A community's points rules (civility rules with their review size,
//! dedication rules) are saved through one path that records the change:
//! the rules before and after, by whom and when, in the same transaction.
//! A change applies to what is awarded after it; what was awarded before
//! keeps the status it was given.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use serde::Serialize;

use crate::Domain;
use crate::entities::rule_change;
use crate::error::{DomainError, DomainResult};
use crate::org::Actor;
use crate::org::authority;

crate::string_enum!(
    /// Which of a community's rules changed.
    RuleSet { Civility, Dedication }
);

impl RuleSet {
    /// The table holding the community's one row of these rules.
    fn table(self) -> Alias {
        Alias::new(match self {
            RuleSet::Civility => "civility_rules",
            RuleSet::Dedication => "dedication_rules",
        })
    }
}

/// One recorded change.
pub type RuleChange = rule_change::Model;

crate::area_service!(
    /// The record of rule changes.
    RuleChanges
);

/// Saves `rules` as the community's `set` and records the change, in one
/// transaction.
pub(crate) async fn save(
    d: &Domain,
    actor: &Actor,
    set: RuleSet,
    community_id: i64,
    rules: &impl Serialize,
) -> DomainResult<()> {
    let (by, at) = (actor.user_id, d.clock.now());
    let after = serde_json::to_string(rules).map_err(DomainError::internal)?;
    let txn = d.db.begin().await?;
    let before = Query::select()
        .column(Alias::new("rules"))
        .from(set.table())
        .and_where(Expr::col(Alias::new("community_id")).eq(community_id))
        .lock_exclusive()
        .to_owned();
    let before: Option<String> = match txn.query_one(&before).await? {
        Some(row) => Some(row.try_get("", "rules")?),
        None => None,
    };
    let upsert = Query::insert()
        .into_table(set.table())
        .columns([Alias::new("community_id"), Alias::new("rules"), Alias::new("updated_by"), Alias::new("updated_at")])
        .values([community_id.into(), after.clone().into(), by.into(), at.into()])
        .map_err(DomainError::internal)?
        .on_conflict(
            OnConflict::column(Alias::new("community_id"))
                .update_columns([Alias::new("rules"), Alias::new("updated_by"), Alias::new("updated_at")])
                .to_owned(),
        )
        .to_owned();
    txn.execute(&upsert).await?;
    rule_change::ActiveModel {
        community_id: Set(community_id),
        rules: Set(set.as_str().into()),
        before: Set(before),
        after: Set(after),
        changed_by: Set(by),
        changed_at: Set(at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(())
}

impl RuleChanges<'_> {
    /// The community's rule changes, newest first (the last 200).
    pub async fn list(self, actor: &Actor, community_id: i64) -> DomainResult<Vec<RuleChange>> {
        actor.require(&authority::RULE_CHANGES, community_id)?;
        Ok(rule_change::Entity::find()
            .filter(rule_change::Column::CommunityId.eq(community_id))
            .order_by_desc(rule_change::Column::Id)
            .limit(200)
            .all(&self.d.db)
            .await?)
    }
}
