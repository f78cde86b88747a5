//! The lunchbox deadline: tasks still not delivered after the community's
//! deliver-by time on their day are marked (`alerted_at`, an event by the
//! system; the status stays) and alert the people responsible, once.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Select, Set};

use super::Lunchbox;
use super::kind::DeliveryStep;
use super::machine::{DeliveryStatus, LunchboxAction};
use super::model::{DEFAULT_DELIVER_BY_MINUTE, deliver_by, shanghai_day};
use crate::Domain;
use crate::entities::{lunchbox_delivery, lunchbox_settings};
use crate::error::DomainResult;
use crate::workflow::{self, Deadline, Status};

impl Lunchbox<'_> {
    /// Alerts the recipient's grid worker and the community's secretaries,
    /// once per task, about lunchboxes still not delivered after the
    /// community's deliver-by time on their day; a volunteer still holding
    /// the task is reminded too. Safe to run on several nodes at once.
    /// Returns how many tasks were alerted.
    pub async fn alert_undelivered(self) -> DomainResult<usize> {
        Ok(workflow::sweep(self.d, &Undelivered).await?.len())
    }
}

struct Undelivered;

impl Deadline for Undelivered {
    type Kind = lunchbox_delivery::Entity;
    type Outcome = ();

    fn due(&self, now: DateTime<Utc>) -> Select<lunchbox_delivery::Entity> {
        lunchbox_delivery::Entity::find()
            .filter(lunchbox_delivery::Column::AlertedAt.is_null())
            .filter(lunchbox_delivery::Column::ServedOn.lte(shanghai_day(now)))
            .filter(
                lunchbox_delivery::Column::Status.is_in(DeliveryStatus::texts_where(DeliveryStatus::is_not_delivered)),
            )
            .order_by_asc(lunchbox_delivery::Column::Id)
    }

    async fn plan(
        &self,
        _d: &Domain,
        txn: &DatabaseTransaction,
        row: &lunchbox_delivery::Model,
        now: DateTime<Utc>,
    ) -> DomainResult<Option<(DeliveryStep, ())>> {
        let minute = lunchbox_settings::Entity::find_by_id(row.community_id)
            .one(txn)
            .await?
            .map_or(DEFAULT_DELIVER_BY_MINUTE, |s| s.deliver_by_minute);
        if now < deliver_by(row.served_on, minute)? {
            return Ok(None);
        }
        let note = format!("not delivered by {:02}:{:02}: staff alerted", minute / 60, minute % 60);
        let step = DeliveryStep::system(LunchboxAction::Alert)
            .note(note)
            .guard(lunchbox_delivery::Column::AlertedAt.is_null())
            .set(|m| m.alerted_at = Set(Some(now)));
        Ok(Some((step, ())))
    }
}
