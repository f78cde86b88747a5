//! The workflow spine: what every claimable or approvable thing shares.
//!
//! A kind of work (an order, a wish, a lunchbox delivery, a banquet booking,
//! …) declares a [`Kind`]: its typed statuses and actions, `next(from,
//! action)`, the columns that hold its status and its holder, and its
//! after-step hooks. The spine does the rest, in one place:
//!
//! - [`step`] / [`step_in`]: the guarded update (the status as read and,
//!   for kinds with a holder, the holder as read, so exactly one of many
//!   concurrent claimants wins), the history row that is also the real-time
//!   outbox, and the kind's hooks (points, notices), in one transaction. A
//!   lost race is `ALREADY_CLAIMED` or `INVALID_STATE`, decided here.
//! - [`sweep`]: one skeleton for every deadline: the rows past it, one
//!   transaction per row behind the same guarded step by the system, so
//!   several nodes sweeping at once act exactly once.

mod history;
mod kind;
mod people;
mod step;
mod sweep;

pub use history::{Event, Subject};
pub(crate) use history::{histories, histories_with_actors};
pub(crate) use kind::Moved;
pub use kind::Status;
pub(crate) use kind::{Kind, kind};
pub(crate) use people::{concerning, people_of};
pub(crate) use step::{Step, created, guarded_update, refused, step, step_in};
pub(crate) use sweep::{Deadline, sweep};
