//! linli's server: HTTP and GraphQL over the domain, sessions in Redis (or in
//! process), and the WeChat client.

pub mod auth;
pub mod config;
mod content;
mod exports;
pub mod graphql;
mod http;
pub mod metrics;
pub mod push;
pub mod startup;
pub mod store;
pub mod telemetry;
mod uploads;
mod webhooks;
pub mod wechat;
pub mod workers;

pub use config::Config;
pub use startup::Application;
