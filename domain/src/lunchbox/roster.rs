//! The roster: who gets a love lunchbox, kept by the secretary and grid
//! workers, and the community's deliver-by time.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use super::Lunchbox;
use super::model::{LunchboxSettings, MAX_PRICE_FEN, Recipient, RecipientInput};
use crate::entities::{lunchbox_recipient, lunchbox_settings};
use crate::error::{DomainError, DomainResult};
use crate::org::authority;
use crate::org::{Actor, Role, in_reach};
use crate::pagination::{Page, PageRequest};
use crate::validate;

impl Lunchbox<'_> {
    pub async fn settings(self, actor: &Actor, community_id: i64) -> DomainResult<LunchboxSettings> {
        actor.require_member(community_id)?;
        Ok(match lunchbox_settings::Entity::find_by_id(community_id).one(&self.d.db).await? {
            Some(row) => LunchboxSettings { deliver_by_minute: row.deliver_by_minute },
            None => LunchboxSettings::default(),
        })
    }

    /// The secretary sets the time by which lunchboxes should be delivered.
    pub async fn set_settings(
        self,
        actor: &Actor,
        community_id: i64,
        settings: LunchboxSettings,
    ) -> DomainResult<LunchboxSettings> {
        actor.require(&authority::SET_LUNCHBOX_SETTINGS, community_id)?;
        if !(0..24 * 60).contains(&settings.deliver_by_minute) {
            return Err(DomainError::bad_input(
                "deliverByMinute",
                "the deliver-by time is minutes after midnight, 0 to 1439 (12:30 is 750)",
            ));
        }
        let row = lunchbox_settings::ActiveModel {
            community_id: Set(community_id),
            deliver_by_minute: Set(settings.deliver_by_minute),
            updated_by: Set(actor.user_id),
            updated_at: Set(self.d.clock.now()),
        };
        lunchbox_settings::Entity::insert(row)
            .on_conflict(
                OnConflict::column(lunchbox_settings::Column::CommunityId)
                    .update_columns([
                        lunchbox_settings::Column::DeliverByMinute,
                        lunchbox_settings::Column::UpdatedBy,
                        lunchbox_settings::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.d.db)
            .await?;
        Ok(settings)
    }

    async fn checked_recipient(self, community_id: i64, input: RecipientInput) -> DomainResult<RecipientInput> {
        let name = validate::required_text("name", &input.name, 30)?;
        let address = validate::required_text("address", &input.address, 100)?;
        let phone = validate::phone("phone", &input.phone)?;
        if !(0..=MAX_PRICE_FEN).contains(&input.price_fen) {
            return Err(DomainError::bad_input(
                "priceFen",
                "the price paid at the door is 0 (free) to 5000 fen (50 yuan)",
            ));
        }
        let note = validate::optional_text("note", input.note, 200)?;
        if let Some(user) = input.user_id
            && self.d.org().roles_of(&self.d.db, user, community_id).await?.is_empty()
        {
            return Err(DomainError::bad_input("userId", "the linked person is not a member of this community"));
        }
        if !self.d.org().roles_of(&self.d.db, input.grid_worker_id, community_id).await?.contains(&Role::GridWorker) {
            return Err(DomainError::bad_input(
                "gridWorkerId",
                "the responsible grid worker must hold GRID_WORKER in this community",
            ));
        }
        Ok(RecipientInput { name, address, phone, note, ..input })
    }

    /// The secretary or a grid worker puts someone on the roster.
    pub async fn add_recipient(
        self,
        actor: &Actor,
        community_id: i64,
        input: RecipientInput,
    ) -> DomainResult<Recipient> {
        actor.require(&authority::ADD_LUNCHBOX_RECIPIENT, community_id)?;
        let input = self.checked_recipient(community_id, input).await?;
        let now = self.d.clock.now();
        let inserted = lunchbox_recipient::ActiveModel {
            community_id: Set(community_id),
            active: Set(true),
            created_by: Set(actor.user_id),
            created_at: Set(now),
            updated_at: Set(now),
            ..written(input)
        }
        .insert(&self.d.db)
        .await;
        match inserted.map_err(DomainError::from) {
            Ok(row) => row.try_into(),
            Err(DomainError::Conflict(_)) => Err(DomainError::Conflict(
                "this resident is already on the lunchbox roster; update them instead".into(),
            )),
            Err(e) => Err(e),
        }
    }

    async fn roster_row(
        self,
        actor: &Actor,
        id: i64,
        rule: &authority::Rule,
    ) -> DomainResult<lunchbox_recipient::Model> {
        let row = in_reach::<lunchbox_recipient::Entity>(&self.d.db, actor, id, "lunchbox recipient").await?;
        actor.require(rule, row.community_id)?;
        Ok(row)
    }

    /// Replaces a roster entry's details (the form sends all of them).
    pub async fn update_recipient(self, actor: &Actor, id: i64, input: RecipientInput) -> DomainResult<Recipient> {
        let row = self.roster_row(actor, id, &authority::UPDATE_LUNCHBOX_RECIPIENT).await?;
        let input = self.checked_recipient(row.community_id, input).await?;
        let changes =
            lunchbox_recipient::ActiveModel { id: Set(id), updated_at: Set(self.d.clock.now()), ..written(input) };
        match changes.update(&self.d.db).await.map_err(DomainError::from) {
            Ok(row) => row.try_into(),
            Err(DomainError::Conflict(_)) => {
                Err(DomainError::Conflict("this resident is already on the lunchbox roster in another entry".into()))
            }
            Err(e) => Err(e),
        }
    }

    /// Takes someone off (or back onto) the daily deliveries; the entry stays for the records.
    pub async fn set_recipient_active(self, actor: &Actor, id: i64, active: bool) -> DomainResult<Recipient> {
        let rule =
            if active { &authority::REACTIVATE_LUNCHBOX_RECIPIENT } else { &authority::DEACTIVATE_LUNCHBOX_RECIPIENT };
        self.roster_row(actor, id, rule).await?;
        lunchbox_recipient::ActiveModel {
            id: Set(id),
            active: Set(active),
            updated_at: Set(self.d.clock.now()),
            ..Default::default()
        }
        .update(&self.d.db)
        .await?
        .try_into()
    }

    /// The roster, in the order people were added (staff only).
    pub async fn recipients(
        self,
        actor: &Actor,
        community_id: i64,
        include_inactive: bool,
        page: PageRequest,
    ) -> DomainResult<Page<Recipient>> {
        actor.require(&authority::LUNCHBOX_RECIPIENTS, community_id)?;
        let base = || {
            let q = lunchbox_recipient::Entity::find().filter(lunchbox_recipient::Column::CommunityId.eq(community_id));
            if include_inactive { q } else { q.filter(lunchbox_recipient::Column::Active.eq(true)) }
        };
        let total_count = base().count(&self.d.db).await?;
        let mut query = base();
        if let Some(after) = page.after {
            query = query.filter(lunchbox_recipient::Column::Id.gt(after));
        }
        let mut rows = query.order_by_asc(lunchbox_recipient::Column::Id).limit(page.first + 1).all(&self.d.db).await?;
        let has_next_page = rows.len() as u64 > page.first;
        rows.truncate(page.first as usize);
        let items = rows.into_iter().map(Recipient::try_from).collect::<DomainResult<Vec<_>>>()?;
        Ok(Page { items, has_next_page, has_previous_page: page.after.is_some(), total_count })
    }
}

/// The columns the roster form writes, for adding and for updating.
fn written(input: RecipientInput) -> lunchbox_recipient::ActiveModel {
    lunchbox_recipient::ActiveModel {
        name: Set(input.name),
        user_id: Set(input.user_id),
        category: Set(input.category.as_str().into()),
        address: Set(input.address),
        phone: Set(input.phone),
        price_fen: Set(input.price_fen),
        meal_kind: Set(input.meal_kind.as_str().into()),
        grid_worker_id: Set(input.grid_worker_id),
        note: Set(input.note),
        ..Default::default()
    }
}
