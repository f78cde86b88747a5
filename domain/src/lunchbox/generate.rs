//! Generating a day's tasks from the roster and the canteen's menu.

use std::collections::HashSet;

use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait};

use super::Lunchbox;
use super::machine::DeliveryStatus;
use super::model::{Generation, Shortfall, ShortfallReason, shanghai_day};
use crate::canteen::MealKind;
use crate::entities::{lunchbox_delivery, lunchbox_recipient, meal};
use crate::error::{DomainError, DomainResult};
use crate::org::Actor;
use crate::org::authority;
use crate::workflow;

impl Lunchbox<'_> {
    /// One task per active recipient for `day`, each with a portion of a meal
    /// of their kind from that day's menu (the cheapest with portions left).
    /// Running it again adds only recipients who have no task yet; those who
    /// cannot be covered are reported, not failed.
    pub async fn generate(self, actor: &Actor, community_id: i64, day: NaiveDate) -> DomainResult<Generation> {
        actor.require(&authority::GENERATE_LUNCHBOX_DELIVERIES, community_id)?;
        let now = self.d.clock.now();
        if day < shanghai_day(now) {
            return Err(DomainError::bad_input("date", "lunchbox deliveries are generated for today or a later day"));
        }
        let recipients = lunchbox_recipient::Entity::find()
            .filter(lunchbox_recipient::Column::CommunityId.eq(community_id))
            .filter(lunchbox_recipient::Column::Active.eq(true))
            .order_by_asc(lunchbox_recipient::Column::Id)
            .all(&self.d.db)
            .await?;
        let existing: HashSet<i64> = lunchbox_delivery::Entity::find()
            .filter(lunchbox_delivery::Column::CommunityId.eq(community_id))
            .filter(lunchbox_delivery::Column::ServedOn.eq(day))
            .all(&self.d.db)
            .await?
            .into_iter()
            .map(|d| d.recipient_id)
            .collect();
        let meals = meal::Entity::find()
            .filter(meal::Column::CommunityId.eq(community_id))
            .filter(meal::Column::ServedOn.eq(day))
            .filter(meal::Column::WithdrawnAt.is_null())
            .order_by_asc(meal::Column::PriceFen)
            .order_by_asc(meal::Column::Id)
            .all(&self.d.db)
            .await?;
        let mut created = Vec::new();
        let mut already_generated = 0u64;
        let mut shortfalls = Vec::new();
        for r in recipients {
            if existing.contains(&r.id) {
                already_generated += 1;
                continue;
            }
            let kind = MealKind::parse(&r.meal_kind)?;
            let candidates: Vec<&meal::Model> = meals.iter().filter(|m| m.kind == r.meal_kind).collect();
            let short =
                |reason| Shortfall { recipient_id: r.id, recipient_name: r.name.clone(), meal_kind: kind, reason };
            if candidates.is_empty() {
                shortfalls.push(short(ShortfallReason::NoMeal));
                continue;
            }
            let txn = self.d.db.begin().await?;
            let mut taken = None;
            for m in candidates {
                // The canteen's own guard: never past the day's portions.
                let took = meal::Entity::update_many()
                    .col_expr(meal::Column::Booked, Expr::col(meal::Column::Booked).add(1))
                    .filter(meal::Column::Id.eq(m.id))
                    .filter(meal::Column::WithdrawnAt.is_null())
                    .filter(Expr::col(meal::Column::Booked).add(1).lte(Expr::col(meal::Column::Quantity)))
                    .exec(&txn)
                    .await?;
                if took.rows_affected == 1 {
                    taken = Some(m.id);
                    break;
                }
            }
            let Some(meal_id) = taken else {
                txn.rollback().await?;
                shortfalls.push(short(ShortfallReason::SoldOut));
                continue;
            };
            let inserted = lunchbox_delivery::ActiveModel {
                community_id: Set(community_id),
                recipient_id: Set(r.id),
                served_on: Set(day),
                meal_id: Set(meal_id),
                status: Set(DeliveryStatus::Open.as_str().into()),
                price_fen: Set(r.price_fen),
                created_by: Set(actor.user_id),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await;
            let row = match inserted.map_err(DomainError::from) {
                Ok(row) => row,
                Err(DomainError::Conflict(_)) => {
                    // Someone generated the same day at the same moment: theirs stands, our portion goes back.
                    txn.rollback().await?;
                    already_generated += 1;
                    continue;
                }
                Err(e) => return Err(e),
            };
            workflow::created::<lunchbox_delivery::Entity, _>(&txn, &row, Some(actor.user_id), now).await?;
            txn.commit().await?;
            created.push(row);
        }
        let created = self.outs(actor, created).await?;
        Ok(Generation { created, already_generated, shortfalls })
    }
}
