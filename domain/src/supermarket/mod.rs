//! The love supermarket (爱心超市): goods priced in civility points.
//!
//! A redemption is two-phase: it reserves the points (a HOLD transfer to the
//! community's holds account) and the stock (`reserved`, by one conditional
//! update that never lets `reserved` pass `stock`), and gets a pickup code.
//! The operator confirms the pickup (the points settle into the
//! supermarket's account and the stock leaves), or it is voided — by the
//! resident, the operator, or its expiry — and everything is released.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

use crate::entities::{redemption, supermarket_item};
use crate::error::{DomainError, DomainResult};
use crate::ledger::{
    AccountKind, AccountRef, Movement, TransferKind, TransferRequest, TransferStatus, civility_rules_for, post_in,
    replayed,
};
use crate::org::authority;
use crate::org::{Actor, in_reach};
use crate::{idempotency, validate, workflow};

mod kind;

use kind::{Expired, RedemptionStep, settling};
pub use kind::{RedemptionAction, next_redemption_status};

crate::area_service!(
    /// The love supermarket (爱心超市): items, redemptions with points, pickups.
    Supermarket
);

crate::string_enum!(RedemptionStatus { Pending, Completed, Voided });

#[derive(Clone, Debug)]
pub struct Item {
    pub id: i64,
    pub community_id: i64,
    pub name: String,
    pub price_points: i32,
    pub stock: i32,
    pub reserved: i32,
    pub retired: bool,
}

impl Item {
    pub fn available(&self) -> i32 {
        self.stock - self.reserved
    }
}

impl From<supermarket_item::Model> for Item {
    fn from(m: supermarket_item::Model) -> Self {
        Self {
            id: m.id,
            community_id: m.community_id,
            name: m.name,
            price_points: m.price_points,
            stock: m.stock,
            reserved: m.reserved,
            retired: m.retired_at.is_some(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Redemption {
    pub id: i64,
    pub community_id: i64,
    pub item_id: i64,
    pub user_id: i64,
    pub quantity: i32,
    pub points: i64,
    pub status: RedemptionStatus,
    pub pickup_code: String,
    pub expires_at: DateTime<Utc>,
    pub settled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<redemption::Model> for Redemption {
    type Error = DomainError;
    fn try_from(m: redemption::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            community_id: m.community_id,
            item_id: m.item_id,
            user_id: m.user_id,
            quantity: m.quantity,
            points: m.points,
            status: RedemptionStatus::parse(&m.status)?,
            pickup_code: m.pickup_code,
            expires_at: m.expires_at,
            settled_at: m.settled_at,
            created_at: m.created_at,
        })
    }
}

/// Eight characters a person can read out at the counter (no 0/O, 1/I).
fn pickup_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    (0..8).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

impl Supermarket<'_> {
    pub async fn create_item(
        self,
        actor: &Actor,
        community_id: i64,
        name: &str,
        price_points: i32,
        stock: i32,
    ) -> DomainResult<Item> {
        actor.require(&authority::CREATE_SUPERMARKET_ITEM, community_id)?;
        let name = validate::required_text("name", name, 50)?;
        if !(1..=100_000).contains(&price_points) {
            return Err(DomainError::bad_input("pricePoints", "a price is 1 to 100000 points"));
        }
        if !(0..=100_000).contains(&stock) {
            return Err(DomainError::bad_input("stock", "stock is 0 to 100000"));
        }
        Ok(supermarket_item::ActiveModel {
            community_id: Set(community_id),
            name: Set(name),
            price_points: Set(price_points),
            stock: Set(stock),
            reserved: Set(0),
            created_by: Set(actor.user_id),
            created_at: Set(self.d.clock.now()),
            ..Default::default()
        }
        .insert(&self.d.db)
        .await?
        .into())
    }

    async fn visible_item(self, actor: &Actor, id: i64) -> DomainResult<supermarket_item::Model> {
        in_reach::<supermarket_item::Entity>(&self.d.db, actor, id, "item").await
    }

    pub async fn restock_item(self, actor: &Actor, id: i64, quantity: i32) -> DomainResult<Item> {
        let item = self.visible_item(actor, id).await?;
        actor.require(&authority::RESTOCK_SUPERMARKET_ITEM, item.community_id)?;
        if !(1..=100_000).contains(&quantity) {
            return Err(DomainError::bad_input("quantity", "restock 1 to 100000 at a time"));
        }
        supermarket_item::Entity::update_many()
            .col_expr(supermarket_item::Column::Stock, Expr::col(supermarket_item::Column::Stock).add(quantity))
            .filter(supermarket_item::Column::Id.eq(id))
            .exec(&self.d.db)
            .await?;
        Ok(self.visible_item(actor, id).await?.into())
    }

    pub async fn retire_item(self, actor: &Actor, id: i64) -> DomainResult<Item> {
        let item = self.visible_item(actor, id).await?;
        actor.require(&authority::RETIRE_SUPERMARKET_ITEM, item.community_id)?;
        supermarket_item::Entity::update_many()
            .col_expr(supermarket_item::Column::RetiredAt, Expr::value(self.d.clock.now()))
            .filter(supermarket_item::Column::Id.eq(id))
            .filter(supermarket_item::Column::RetiredAt.is_null())
            .exec(&self.d.db)
            .await?;
        Ok(self.visible_item(actor, id).await?.into())
    }

    pub async fn items(self, actor: &Actor, community_id: i64) -> DomainResult<Vec<Item>> {
        actor.require_member(community_id)?;
        Ok(supermarket_item::Entity::find()
            .filter(supermarket_item::Column::CommunityId.eq(community_id))
            .filter(supermarket_item::Column::RetiredAt.is_null())
            .order_by_asc(supermarket_item::Column::Id)
            .all(&self.d.db)
            .await?
            .into_iter()
            .map(Item::from)
            .collect())
    }

    /// Reserves points and stock; the resident shows the pickup code at the counter.
    pub async fn redeem(
        self,
        actor: &Actor,
        item_id: i64,
        quantity: i32,
        idempotency_key: &str,
    ) -> DomainResult<Redemption> {
        let item = self.visible_item(actor, item_id).await?;
        idempotency::check_key(idempotency_key)?;
        if !(1..=100).contains(&quantity) {
            return Err(DomainError::bad_input("quantity", "redeem 1 to 100 at a time"));
        }
        if item.retired_at.is_some() {
            return Err(DomainError::invalid_state("this item is no longer offered"));
        }
        let c = item.community_id;
        let points = i64::from(item.price_points) * i64::from(quantity);
        let hold = TransferRequest {
            community_id: c,
            kind: TransferKind::Hold,
            key: format!("redeem:{}:{idempotency_key}", actor.user_id),
            reason: format!("redeeming {quantity} × {}", item.name),
            created_by: Some(actor.user_id),
            reverses: None,
            movements: vec![Movement {
                from: AccountRef::resident(c, actor.user_id),
                to: AccountRef::community(c, AccountKind::Holds),
                amount: points,
            }],
            status: TransferStatus::Posted,
        };
        if let Some(done) = replayed(&self.d.db, &hold).await? {
            return self.redemption_for_hold(done.id).await;
        }
        let rules = civility_rules_for(&self.d.db, c).await?;
        let now = self.d.clock.now();
        let txn = self.d.db.begin().await?;
        let reserved = supermarket_item::Entity::update_many()
            .col_expr(supermarket_item::Column::Reserved, Expr::col(supermarket_item::Column::Reserved).add(quantity))
            .filter(supermarket_item::Column::Id.eq(item_id))
            .filter(supermarket_item::Column::RetiredAt.is_null())
            .filter(
                Expr::col(supermarket_item::Column::Stock)
                    .sub(Expr::col(supermarket_item::Column::Reserved))
                    .gte(quantity),
            )
            .exec(&txn)
            .await?;
        if reserved.rows_affected == 0 {
            return Err(DomainError::Conflict(format!("not enough {} in stock", item.name)));
        }
        let result = async {
            let transfer = post_in(&txn, &hold, now).await?;
            let row = redemption::ActiveModel {
                community_id: Set(c),
                item_id: Set(item_id),
                user_id: Set(actor.user_id),
                quantity: Set(quantity),
                points: Set(points),
                status: Set(RedemptionStatus::Pending.as_str().into()),
                pickup_code: Set(pickup_code()),
                hold_transfer_id: Set(transfer.id),
                expires_at: Set(now + Duration::hours(rules.redemption_hold_hours)),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            workflow::created::<redemption::Entity, _>(&txn, &row, Some(actor.user_id), now).await?;
            Ok::<_, DomainError>(row)
        }
        .await;
        match result {
            Ok(row) => {
                txn.commit().await?;
                row.try_into()
            }
            Err(DomainError::Conflict(_)) => {
                txn.rollback().await?;
                // A concurrent retry with the same key got there first.
                let done =
                    replayed(&self.d.db, &hold).await?.ok_or_else(|| DomainError::Conflict("try again".into()))?;
                self.redemption_for_hold(done.id).await
            }
            Err(e) => Err(e),
        }
    }

    async fn redemption_for_hold(self, transfer_id: i64) -> DomainResult<Redemption> {
        redemption::Entity::find()
            .filter(redemption::Column::HoldTransferId.eq(transfer_id))
            .one(&self.d.db)
            .await?
            .ok_or(DomainError::NotFound("redemption"))?
            .try_into()
    }

    /// The operator hands the goods over: the points settle and the stock leaves.
    pub async fn confirm_pickup(self, actor: &Actor, pickup_code: &str) -> DomainResult<Redemption> {
        let code = pickup_code.trim().to_uppercase();
        let row = redemption::Entity::find()
            .filter(redemption::Column::PickupCode.eq(code))
            .one(&self.d.db)
            .await?
            .filter(|r| actor.belongs_to(r.community_id))
            .ok_or_else(|| DomainError::bad_input("pickupCode", "no redemption has this pickup code"))?;
        actor.require(&authority::CONFIRM_PICKUP, row.community_id)?;
        let now = self.d.clock.now();
        if row.expires_at <= now && row.status == RedemptionStatus::Pending.as_str() {
            self.take(&row, settling(RedemptionAction::Void, None, now)).await?;
            return Err(DomainError::invalid_state("this redemption has expired; its points were returned"));
        }
        self.take(&row, settling(RedemptionAction::PickUp, Some(actor.user_id), now)).await
    }

    /// The resident (or the operator) cancels a pending redemption.
    pub async fn cancel_redemption(self, actor: &Actor, id: i64) -> DomainResult<Redemption> {
        let row = redemption::Entity::find_by_id(id)
            .one(&self.d.db)
            .await?
            .filter(|r| r.user_id == actor.user_id || actor.may(&authority::CANCEL_REDEMPTION, r.community_id))
            .ok_or(DomainError::NotFound("redemption"))?;
        self.take(&row, settling(RedemptionAction::Void, Some(actor.user_id), self.d.clock.now())).await
    }

    /// Settles a pending redemption one way or the other, on the spine.
    async fn take(self, row: &redemption::Model, step: RedemptionStep) -> DomainResult<Redemption> {
        workflow::step(self.d, row, step).await?.try_into()
    }

    /// Voids pending redemptions past their expiry (the sweeper). Returns how many.
    pub async fn expire_redemptions(self) -> DomainResult<usize> {
        Ok(workflow::sweep(self.d, &Expired).await?.len())
    }

    /// A resident's own redemptions, or (for operators) the community's.
    pub async fn redemptions(
        self,
        actor: &Actor,
        community_id: i64,
        status: Option<RedemptionStatus>,
    ) -> DomainResult<Vec<Redemption>> {
        actor.require_member(community_id)?;
        let mut query = redemption::Entity::find().filter(redemption::Column::CommunityId.eq(community_id));
        if !actor.may(&authority::REDEMPTIONS, community_id) {
            query = query.filter(redemption::Column::UserId.eq(actor.user_id));
        }
        if let Some(s) = status {
            query = query.filter(redemption::Column::Status.eq(s.as_str()));
        }
        query
            .order_by_desc(redemption::Column::Id)
            .limit(200)
            .all(&self.d.db)
            .await?
            .into_iter()
            .map(Redemption::try_from)
            .collect()
    }
}
