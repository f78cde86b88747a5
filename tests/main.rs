//! linli's end-to-end suite: one binary, one module per domain area. Every
//! test talks GraphQL (or HTTP) to its own server, as the mini-program and
//! the console do; see `common` for the world they start in.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod architecture;
mod auth;
mod authority;
mod banquets;
mod canteen;
mod care;
mod cli;
mod content;
mod data_rights;
mod deadlines;
mod duties;
mod events;
mod exports;
mod http;
mod joins;
mod ledger;
mod limits;
mod lunchbox;
mod notifications;
mod orders;
mod party;
mod points;
mod posts;
mod provisioning;
mod push;
mod roster;
mod schema;
mod smoke;
mod supermarket;
mod units;
mod uploads;
mod wishes;
