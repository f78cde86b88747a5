//! Micro-wishes (微心愿): a resident (or a grid worker for them) posts a
//! small wish; the secretary reviews and publishes it to the community's
//! members; one member claims it and fulfils it by a deadline; the community
//! party organisation approves it online; the resident thanks and rates.
//! A claim that misses its deadline costs the member dedication points and,
//! per the community's overdue policy, returns the wish to the published
//! list or escalates it to the secretary, who can publish it again.

mod kind;
mod machine;
mod model;
mod queries;
mod service;
mod sweeps;

pub use machine::{WishAction, WishStatus, next_wish_status};
pub use model::{PostWish, Wish, WishEvent, WishFilter};

use crate::Domain;

/// Wishes: posting, reviewing, claiming, fulfilling, approving, thanking;
/// lists; the claim deadline.
#[derive(Clone, Copy)]
pub struct Wishes<'a> {
    d: &'a Domain,
}

impl<'a> Wishes<'a> {
    pub(crate) fn new(d: &'a Domain) -> Self {
        Self { d }
    }
}
