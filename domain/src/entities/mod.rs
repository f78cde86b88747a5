//! Database rows. These never leave `domain` as they are: services return
//! domain types, and the API wraps those (no openids or internal columns leak).

pub mod building;
pub mod community;
pub mod community_role;
pub mod grid;
pub mod household;
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
