//! Bookings: a family books a venue for a day; a council member (or the
//! secretary) who is not the booker approves or declines; the booker or the
//! staff cancel before the day; the canteen marks it held.

use chrono::Duration;
use sea_orm::{ActiveModelTrait, EntityTrait, Set, TransactionTrait};

use super::Banquets;
use super::kind::BookingStep;
use super::machine::{BanquetAction, BanquetStatus};
use super::model::{
    BanquetKind, Booking, IDEMPOTENCY_SCOPE, MAX_DAYS_AHEAD, NewBooking, Venue, check_limits, is_council, is_steward,
    limits_of, may_list, today,
};
use crate::entities::{banquet_booking, banquet_menu, banquet_venue};
use crate::error::{DomainError, DomainResult};
use crate::org::authority;
use crate::org::{Actor, Role};
use crate::{idempotency, validate, workflow};

impl Banquets<'_> {
    /// A resident books a venue for a day. A retry with the same key returns
    /// the same booking; the same key with another request is `CONFLICT`; a
    /// venue-day already taken is `CONFLICT`.
    pub async fn book(self, actor: &Actor, input: NewBooking, idempotency_key: &str) -> DomainResult<Booking> {
        let venue: Venue = self.visible_venue(actor, input.venue_id).await?.into();
        let c = venue.community_id;
        actor.require(&authority::BOOK_BANQUET, c)?;
        idempotency::check_key(idempotency_key)?;
        let hash = idempotency::request_hash(&input)?;
        if let Some(id) =
            idempotency::replayed(&self.d.db, actor.user_id, IDEMPOTENCY_SCOPE, idempotency_key, &hash).await?
        {
            return self.by_id(id).await;
        }
        let menu = banquet_menu::Entity::find_by_id(input.menu_id)
            .one(&self.d.db)
            .await?
            .filter(|m| m.community_id == c)
            .ok_or(DomainError::NotFound("menu"))?;
        if menu.retired_at.is_some() {
            return Err(DomainError::bad_input("menuId", "this menu is no longer offered; choose another"));
        }
        let host_name = validate::required_text("hostName", &input.host_name, 30)?;
        let phone = validate::phone("contactPhone", &input.contact_phone)?;
        let note = validate::optional_text("note", input.note.clone(), 500)?;
        let now = self.d.clock.now();
        let today = today(now);
        if input.date < today {
            return Err(DomainError::bad_input("date", "this date has passed; choose today or a later day"));
        }
        if input.date > today + Duration::days(MAX_DAYS_AHEAD) {
            return Err(DomainError::bad_input(
                "date",
                format!("banquets are booked at most {MAX_DAYS_AHEAD} days ahead"),
            ));
        }
        let limits = limits_of(&self.d.db, c).await?;
        if input.kind == BanquetKind::Wedding {
            let earliest = today + Duration::days(i64::from(limits.wedding_notice_days));
            if input.date < earliest {
                return Err(DomainError::bad_input(
                    "date",
                    format!(
                        "weddings are booked at least {} days ahead; the earliest date now is {earliest}",
                        limits.wedding_notice_days
                    ),
                ));
            }
        }
        let total = check_limits(&limits, &venue, input.tables, input.guests, menu.price_per_table_fen)?;
        let taken = || {
            DomainError::Conflict(format!(
                "{} is already booked on {}; choose another day or venue",
                venue.name, input.date
            ))
        };
        let active_key = format!("{}:{}", venue.id, input.date);
        // No look first: the unique active key is the one guard, also for racing families.
        let txn = self.d.db.begin().await?;
        let inserted = banquet_booking::ActiveModel {
            community_id: Set(c),
            venue_id: Set(venue.id),
            menu_id: Set(menu.id),
            booked_by: Set(actor.user_id),
            held_on: Set(input.date),
            kind: Set(input.kind.as_str().into()),
            host_name: Set(host_name),
            contact_phone: Set(phone),
            tables: Set(input.tables),
            guests: Set(input.guests),
            price_per_table_fen: Set(menu.price_per_table_fen),
            total_fen: Set(total),
            note: Set(note),
            status: Set(BanquetStatus::Pending.as_str().into()),
            active_key: Set(Some(active_key)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(DomainError::from);
        let row = match inserted {
            Ok(row) => row,
            Err(DomainError::Conflict(_)) => {
                txn.rollback().await?;
                // The same request sent twice at once wins once; anyone else lost the day.
                return match idempotency::replayed(&self.d.db, actor.user_id, IDEMPOTENCY_SCOPE, idempotency_key, &hash)
                    .await?
                {
                    Some(id) => self.by_id(id).await,
                    None => Err(taken()),
                };
            }
            Err(e) => return Err(e),
        };
        workflow::created::<banquet_booking::Entity, _>(&txn, &row, Some(actor.user_id), now).await?;
        let remembered =
            idempotency::remember(&txn, actor.user_id, IDEMPOTENCY_SCOPE, idempotency_key, &hash, row.id, now).await;
        match remembered {
            Ok(()) => {}
            Err(DomainError::Conflict(_)) => {
                // The key was used at the same moment for another venue or day.
                txn.rollback().await?;
                return match idempotency::replayed(&self.d.db, actor.user_id, IDEMPOTENCY_SCOPE, idempotency_key, &hash)
                    .await?
                {
                    Some(id) => self.by_id(id).await,
                    None => Err(DomainError::Conflict("this request collided with another; try again".into())),
                };
            }
            Err(e) => return Err(e),
        }
        txn.commit().await?;
        self.hydrate_one(row).await
    }

    async fn by_id(self, id: i64) -> DomainResult<Booking> {
        let row = banquet_booking::Entity::find_by_id(id)
            .one(&self.d.db)
            .await?
            .ok_or(DomainError::NotFound("banquet booking"))?;
        self.hydrate_one(row).await
    }

    /// The booking's row if `actor` may see it: the booker, or someone who
    /// looks after the community's banquets. `NOT_FOUND` for anyone else.
    async fn visible_row(self, actor: &Actor, id: i64) -> DomainResult<banquet_booking::Model> {
        banquet_booking::Entity::find_by_id(id)
            .one(&self.d.db)
            .await?
            .filter(|b| b.booked_by == actor.user_id || may_list(actor, b.community_id))
            .ok_or(DomainError::NotFound("banquet booking"))
    }

    pub async fn get(self, actor: &Actor, id: i64) -> DomainResult<Booking> {
        let row = self.visible_row(actor, id).await?;
        self.hydrate_one(row).await
    }

    /// A council member or the secretary, not the booker, approves a pending
    /// booking, if it still keeps within the council's (current) limits.
    pub async fn approve(self, actor: &Actor, id: i64) -> DomainResult<Booking> {
        let row = self.visible_row(actor, id).await?;
        self.require_decider(actor, &row, &authority::APPROVE_BANQUET_BOOKING)?;
        if today(self.d.clock.now()) > row.held_on {
            return Err(DomainError::invalid_state("the day of this banquet has passed; it can no longer be approved"));
        }
        let venue: Venue = banquet_venue::Entity::find_by_id(row.venue_id)
            .one(&self.d.db)
            .await?
            .ok_or(DomainError::NotFound("venue"))?
            .into();
        let limits = limits_of(&self.d.db, row.community_id).await?;
        if let Err(DomainError::BadInput { message, .. }) =
            check_limits(&limits, &venue, row.tables, row.guests, row.price_per_table_fen)
        {
            return Err(DomainError::invalid_state(format!(
                "this booking is outside the council's current limits: {message}. Decline it with that reason, so \
                 the family can book again within them"
            )));
        }
        let now = self.d.clock.now();
        let step = BookingStep::by(actor.user_id, BanquetAction::Approve).set(|m| {
            m.decided_by = Set(Some(actor.user_id));
            m.decided_at = Set(Some(now));
        });
        self.take(&row, step).await
    }

    /// Declining frees the day; the family sees the reason.
    pub async fn decline(self, actor: &Actor, id: i64, reason: &str) -> DomainResult<Booking> {
        let row = self.visible_row(actor, id).await?;
        self.require_decider(actor, &row, &authority::DECLINE_BANQUET_BOOKING)?;
        let reason = validate::required_text("reason", reason, 500)?;
        let now = self.d.clock.now();
        let decline_reason = reason.clone();
        let step = BookingStep::by(actor.user_id, BanquetAction::Decline).note(reason).set(|m| {
            m.active_key = Set(None);
            m.decided_by = Set(Some(actor.user_id));
            m.decided_at = Set(Some(now));
            m.decline_reason = Set(Some(decline_reason));
        });
        self.take(&row, step).await
    }

    fn require_decider(self, actor: &Actor, row: &banquet_booking::Model, rule: &authority::Rule) -> DomainResult<()> {
        actor.require(rule, row.community_id)?;
        // A council member decides while a party member there.
        if !is_council(actor, row.community_id) && !actor.has(row.community_id, Role::Secretary) {
            return Err(rule.refused());
        }
        actor.require_not_self_for(rule, Some(row.booked_by))
    }

    /// The booker, the council, the canteen or the secretary cancels before
    /// the day; the day frees up. Staff cancelling a family's booking say why.
    pub async fn cancel(self, actor: &Actor, id: i64, reason: Option<String>) -> DomainResult<Booking> {
        let row = self.visible_row(actor, id).await?;
        let own = row.booked_by == actor.user_id;
        if !own && !is_steward(actor, row.community_id) {
            return Err(authority::CANCEL_BANQUET_BOOKING.refused());
        }
        let reason = validate::optional_text("reason", reason, 500)?;
        if !own && reason.is_none() {
            return Err(DomainError::bad_input(
                "reason",
                "say why you are cancelling this family's banquet; they will see it",
            ));
        }
        if today(self.d.clock.now()) >= row.held_on {
            return Err(DomainError::invalid_state(format!(
                "a banquet can be cancelled until the day before it ({}); talk to the canteen",
                row.held_on
            )));
        }
        let now = self.d.clock.now();
        let cancel_reason = reason.clone();
        let step = BookingStep::by(actor.user_id, BanquetAction::Cancel).note(reason).set(|m| {
            m.active_key = Set(None);
            m.cancelled_by = Set(Some(actor.user_id));
            m.cancelled_at = Set(Some(now));
            m.cancel_reason = Set(cancel_reason);
        });
        self.take(&row, step).await
    }

    /// The canteen (or the secretary) marks an approved banquet held, on or after its day.
    pub async fn mark_held(self, actor: &Actor, id: i64) -> DomainResult<Booking> {
        let row = self.visible_row(actor, id).await?;
        actor.require(&authority::MARK_BANQUET_HELD, row.community_id)?;
        if today(self.d.clock.now()) < row.held_on {
            return Err(DomainError::invalid_state(format!(
                "this banquet is on {}; mark it held on or after that day",
                row.held_on
            )));
        }
        let now = self.d.clock.now();
        let step = BookingStep::by(actor.user_id, BanquetAction::MarkHeld).set(|m| {
            m.held_by = Set(Some(actor.user_id));
            m.held_at = Set(Some(now));
        });
        self.take(&row, step).await
    }

    /// One step on the spine; the booking as it left it.
    async fn take(self, row: &banquet_booking::Model, step: BookingStep) -> DomainResult<Booking> {
        let after = workflow::step(self.d, row, step).await?;
        self.hydrate_one(after).await
    }
}
