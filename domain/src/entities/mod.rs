//! Database rows. These never leave `domain` as they are: services return
//! domain types, and the API wraps those (no openids or internal columns leak).

pub mod activity;
pub mod activity_signup;
pub mod award_nomination;
pub mod building;
pub mod civility_rules;
pub mod community;
pub mod community_role;
pub mod dedication_entry;
pub mod dedication_rules;
pub mod grid;
pub mod household;
pub mod household_assignment;
pub mod household_contact;
pub mod idempotency_key;
pub mod join_request;
pub mod ledger_account;
pub mod ledger_entry;
pub mod ledger_transfer;
pub mod order;
pub mod post;
pub mod post_claim;
pub mod redemption;
pub mod refresh_token;
pub mod report_in;
pub mod session;
pub mod street;
pub mod street_role;
pub mod suggestion;
pub mod supermarket_item;
pub mod upload;
pub mod user;
pub mod wish;
pub mod workflow_event;
