//! Moving tasks: claimed by the red service team, released, delivered
//! (a photo from the claimant, the recipient's word, or both), reported
//! undelivered, or called off by staff.

use sea_orm::{ColumnTrait, Set};

use super::Lunchbox;
use super::kind::DeliveryStep;
use super::machine::{DeliveryStatus, LunchboxAction};
use super::model::Delivery;
use crate::entities::lunchbox_delivery;
use crate::error::{DomainError, DomainResult};
use crate::org::Actor;
use crate::org::authority;
use crate::uploads::urls_to_json;
use crate::{validate, workflow};

impl Lunchbox<'_> {
    /// A volunteer or party member of the community takes a task: exactly one wins.
    pub async fn claim(self, actor: &Actor, id: i64) -> DomainResult<Delivery> {
        let (row, status) = self.member_row(actor, id).await?;
        actor.require(&authority::CLAIM_LUNCHBOX_DELIVERY, row.community_id)?;
        if status == DeliveryStatus::Claimed {
            if row.claimant_id == Some(actor.user_id) {
                // A retry of a claim that went through.
                return self.out(actor, row).await;
            }
            return Err(DomainError::AlreadyClaimed);
        }
        let now = self.d.clock.now();
        let me = actor.user_id;
        let step = DeliveryStep::by(me, LunchboxAction::Claim).set(|m| {
            m.claimant_id = Set(Some(me));
            m.claimed_at = Set(Some(now));
        });
        self.take(actor, &row, step).await
    }

    /// The claimant's own task, or `FORBIDDEN`.
    async fn held_row(self, actor: &Actor, id: i64, doing: &str) -> DomainResult<lunchbox_delivery::Model> {
        let (row, _) = self.member_row(actor, id).await?;
        if row.claimant_id != Some(actor.user_id) {
            return Err(DomainError::forbidden(format!("only the person who claimed this lunchbox can {doing}")));
        }
        Ok(row)
    }

    /// The claimant gives the task back to the open list.
    pub async fn release(self, actor: &Actor, id: i64) -> DomainResult<Delivery> {
        let row = self.held_row(actor, id, "release it").await?;
        let step = DeliveryStep::by(actor.user_id, LunchboxAction::Release).note("released".to_owned()).set(|m| {
            m.claimant_id = Set(None);
            m.claimed_at = Set(None);
        });
        self.take(actor, &row, step).await
    }

    /// The claimant could not hand it over (nobody home, refused, …). The
    /// portion is not returned: the food has left the kitchen.
    pub async fn report_undelivered(self, actor: &Actor, id: i64, reason: &str) -> DomainResult<Delivery> {
        let row = self.held_row(actor, id, "report it undelivered").await?;
        let reason = validate::required_text("reason", reason, 200)?;
        let undelivered_reason = reason.clone();
        let step = DeliveryStep::by(actor.user_id, LunchboxAction::ReportUndelivered)
            .note(reason)
            .set(|m| m.undelivered_reason = Set(Some(undelivered_reason)));
        self.take(actor, &row, step).await
    }

    /// Staff call a task off before it is delivered; the portion goes back to the canteen.
    pub async fn cancel(self, actor: &Actor, id: i64, reason: Option<String>) -> DomainResult<Delivery> {
        let (row, _) = self.member_row(actor, id).await?;
        actor.require(&authority::CANCEL_LUNCHBOX_DELIVERY, row.community_id)?;
        let reason = validate::optional_text("reason", reason, 200)?;
        let now = self.d.clock.now();
        let step = DeliveryStep::by(actor.user_id, LunchboxAction::Cancel)
            .note(reason)
            .set(|m| m.cancelled_at = Set(Some(now)));
        self.take(actor, &row, step).await
    }

    /// The claimant confirms the hand-over with a photo, and records the cash
    /// taken at the door where the subsidy has a price. Marks the task
    /// DELIVERED, or completes one the recipient already confirmed.
    pub async fn confirm_delivered(
        self,
        actor: &Actor,
        id: i64,
        photo_urls: &[String],
        cash_fen: Option<i64>,
    ) -> DomainResult<Delivery> {
        let row = self.held_row(actor, id, "confirm its delivery").await?;
        let (photos, _) = validate::photo_urls("photoUrls", photo_urls, &self.d.settings.upload_url_prefix)?;
        if photos.is_empty() {
            return Err(DomainError::bad_input("photoUrls", "add a photo of the lunchbox handed over"));
        }
        let cash = door_cash(row.price_fen, cash_fen)?;
        let photos_json = urls_to_json(&photos)?;
        if row.photo_confirmed_at.is_some() {
            if row.photo_urls.as_deref() == Some(photos_json.as_str()) && row.cash_fen.unwrap_or(0) == cash {
                // A retry of a confirmation that went through.
                return self.out(actor, row).await;
            }
            return Err(DomainError::invalid_state("you have already confirmed this delivery"));
        }
        self.d.uploads().checked_photos(&self.d.db, "photoUrls", actor.user_id, photo_urls).await?;
        let now = self.d.clock.now();
        let first_confirmation = row.delivered_at.is_none();
        let note = if cash > 0 {
            format!("handed over with a photo; {cash} fen taken at the door")
        } else {
            "handed over with a photo".to_owned()
        };
        let price = row.price_fen;
        let step = DeliveryStep::by(actor.user_id, LunchboxAction::ConfirmDelivered)
            .note(note)
            .guard(lunchbox_delivery::Column::PhotoConfirmedAt.is_null())
            .set(|m| {
                m.photo_urls = Set(Some(photos_json));
                m.photo_confirmed_at = Set(Some(now));
                m.cash_fen = Set((price > 0).then_some(cash));
                if first_confirmation {
                    m.delivered_at = Set(Some(now));
                }
            });
        self.take(actor, &row, step).await
    }

    /// The recipient confirms receipt from their own phone. Marks the task
    /// DELIVERED, or adds their word to the claimant's photo.
    pub async fn confirm_received(self, actor: &Actor, id: i64) -> DomainResult<Delivery> {
        let (row, status) = self.member_row(actor, id).await?;
        let recipient = self.recipient_row(row.recipient_id).await?;
        if recipient.user_id != Some(actor.user_id) {
            return Err(DomainError::forbidden("only the person the lunchbox is for can confirm receiving it"));
        }
        if row.recipient_confirmed_at.is_some() {
            return self.out(actor, row).await;
        }
        if status == DeliveryStatus::Open {
            return Err(DomainError::invalid_state("nobody has set out with this lunchbox yet"));
        }
        let now = self.d.clock.now();
        let first_confirmation = row.delivered_at.is_none();
        let step = DeliveryStep::by(actor.user_id, LunchboxAction::ConfirmReceived)
            .note("received".to_owned())
            .guard(lunchbox_delivery::Column::RecipientConfirmedAt.is_null())
            .set(|m| {
                m.recipient_confirmed_at = Set(Some(now));
                if first_confirmation {
                    m.delivered_at = Set(Some(now));
                }
            });
        self.take(actor, &row, step).await
    }

    /// One step on the spine; the task as the actor now sees it.
    async fn take(self, actor: &Actor, row: &lunchbox_delivery::Model, step: DeliveryStep) -> DomainResult<Delivery> {
        let after = workflow::step(self.d, row, step).await?;
        self.out(actor, after).await
    }
}

/// The cash the claimant says they took at the door, checked against the price.
fn door_cash(price_fen: i64, cash_fen: Option<i64>) -> DomainResult<i64> {
    match (price_fen, cash_fen) {
        (0, None | Some(0)) => Ok(0),
        (0, Some(_)) => Err(DomainError::bad_input("cashFen", "this lunchbox is free; no cash is taken at the door")),
        (_, None) => Err(DomainError::bad_input(
            "cashFen",
            format!("record the cash taken at the door (the price is {price_fen} fen)"),
        )),
        (price, Some(c)) if !(0..=price).contains(&c) => {
            Err(DomainError::bad_input("cashFen", format!("the cash taken is 0 to the price, {price} fen")))
        }
        (_, Some(c)) => Ok(c),
    }
}
