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

crate::area_service!(
    /// Wishes: posting, reviewing, claiming, fulfilling, approving, thanking;
    /// lists; the claim deadline.
    Wishes
);
