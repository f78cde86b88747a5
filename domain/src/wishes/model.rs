//! A wish as the rules and the screens see it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::machine::WishStatus;
use crate::entities::wish;
use crate::error::{DomainError, DomainResult};
use crate::org::{Actor, authority};
use crate::uploads::urls_from_json;
use crate::workflow::Event;

#[derive(Clone, Debug)]
pub struct Wish {
    pub id: i64,
    pub community_id: i64,
    pub title: String,
    pub story: String,
    pub photo_urls: Vec<String>,
    pub placed_by: i64,
    pub on_behalf_of: Option<i64>,
    pub claimant_id: Option<i64>,
    pub status: WishStatus,
    pub claim_due_at: Option<DateTime<Utc>>,
    pub fulfil_note: Option<String>,
    pub fulfil_photo_urls: Vec<String>,
    pub rating_stars: Option<i32>,
    pub thanks: Option<String>,
    /// When the deadline sweep last found a claim of it past its deadline.
    pub overdue_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Wish {
    pub fn beneficiary(&self) -> i64 {
        self.on_behalf_of.unwrap_or(self.placed_by)
    }

    pub(crate) fn is_party(&self, user: i64) -> bool {
        self.placed_by == user || self.beneficiary() == user
    }

    /// Submitted and declined wishes are seen only by their people and the
    /// staff; once published, by the community's members and volunteers.
    pub fn visible_to(&self, actor: &Actor) -> bool {
        let c = self.community_id;
        if self.is_party(actor.user_id) || self.claimant_id == Some(actor.user_id) || actor.may(&authority::WISH, c) {
            return true;
        }
        self.status.is_reviewed() && actor.may(&authority::CLAIM_WISH, c)
    }
}

impl TryFrom<wish::Model> for Wish {
    type Error = DomainError;
    fn try_from(m: wish::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            community_id: m.community_id,
            title: m.title,
            story: m.story,
            photo_urls: urls_from_json(Some(&m.photo_urls))?,
            placed_by: m.placed_by,
            on_behalf_of: m.on_behalf_of,
            claimant_id: m.claimant_id,
            status: WishStatus::parse(&m.status)?,
            claim_due_at: m.claim_due_at,
            fulfil_note: m.fulfil_note,
            fulfil_photo_urls: urls_from_json(m.fulfil_photo_urls.as_deref())?,
            rating_stars: m.rating_stars,
            thanks: m.thanks,
            overdue_at: m.overdue_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

pub type WishEvent = Event<WishStatus>;

#[derive(Clone, Debug, Serialize)]
pub struct PostWish {
    pub community_id: i64,
    pub title: String,
    pub story: String,
    pub photo_urls: Vec<String>,
    pub on_behalf_of: Option<i64>,
}

#[derive(Clone, Debug, Default)]
pub struct WishFilter {
    pub community_id: Option<i64>,
    pub status: Option<WishStatus>,
    /// Posted by me or for me.
    pub mine: bool,
    pub claimed_by_me: bool,
}
