//! Database rows. These never leave `domain` as they are: services return
//! domain types, and the API wraps those (no openids or internal columns leak).

pub mod community;
pub mod community_role;
pub mod idempotency_key;
pub mod join_request;
pub mod order;
pub mod order_event;
pub mod refresh_token;
pub mod session;
pub mod street;
pub mod street_role;
pub mod upload;
pub mod user;
pub mod grid;
pub mod building;
pub mod household;
