//! linli's server: HTTP and GraphQL (and its subscriptions over WebSocket)
//! over the domain, sessions and the event bus in Redis (or in process), and
//! the WeChat client.

pub mod auth;
pub mod config;
mod content;
pub mod events;
mod exports;
pub mod graphql;
mod http;
pub mod metrics;
pub mod push;
pub mod startup;
mod state;
pub mod store;
pub mod telemetry;
mod uploads;
mod webhooks;
pub mod wechat;
pub mod workers;
pub mod ws;

pub use config::Config;
pub use startup::Application;
