//! linli's rules: who may do what, the order workflow, and the records they
//! keep. Usable from the server, a worker, a CLI or a test with nothing but a
//! database connection; no web framework lives here.

pub mod auth;
pub mod clock;
pub mod entities;
pub mod error;
mod idempotency;
pub mod orders;
pub mod org;
pub mod pagination;
pub mod privacy;
pub mod seed;
pub mod uploads;
pub mod validate;

use std::sync::Arc;

use sea_orm::DatabaseConnection;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{DomainError, DomainResult};
pub use org::{Actor, Role};

/// Settings the rules need, taken from the server's configuration.
#[derive(Clone, Debug)]
pub struct Settings {
    /// URLs that start with this name files uploaded to this server.
    pub upload_url_prefix: String,
    pub order_deadlines: orders::Deadlines,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            upload_url_prefix: "http://127.0.0.1:8080/uploads/".into(),
            order_deadlines: orders::Deadlines::default(),
        }
    }
}

/// The entry point to every rule: a database, a clock, and settings.
#[derive(Clone, Debug)]
pub struct Domain {
    pub db: DatabaseConnection,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
}

impl Domain {
    pub fn new(db: DatabaseConnection, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        Self { db, clock, settings: Arc::new(settings) }
    }
}
