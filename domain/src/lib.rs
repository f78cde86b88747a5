//! linli's rules: who may do what, the order workflow, and the records they
//! keep. Usable from the server, a worker, a CLI or a test with nothing but a
//! database connection; no web framework lives here.

/// A status or kind stored as text: the enum, its text, and parsing.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> $crate::error::DomainResult<Self> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err($crate::error::DomainError::internal(format!("unknown {} {other}", stringify!($name)))),
                }
            }
        }

        impl $crate::workflow::Status for $name {
            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }

            fn parse(s: &str) -> $crate::error::DomainResult<Self> {
                $name::parse(s)
            }
        }
    };
}
pub(crate) use string_enum;

pub mod auth;
pub mod banquets;
pub mod canteen;
pub mod care;
pub mod care_requests;
pub mod clock;
pub mod content;
pub mod data_rights;
pub mod deadlines;
pub mod entities;
pub mod error;
pub mod events;
pub mod exports;
mod idempotency;
pub mod ledger;
pub mod lunchbox;
pub mod notifications;
pub mod orders;
pub mod org;
pub mod pagination;
pub mod party;
pub mod points;
pub mod posts;
pub mod privacy;
pub mod push;
pub mod seed;
pub mod supermarket;
pub mod uploads;
pub mod validate;
pub mod visits;
pub mod wishes;
pub mod workflow;

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
    /// Signs activity check-in codes; the same on every node.
    pub checkin_key: Vec<u8>,
    /// How long a check-in code stays valid.
    pub checkin_code_seconds: i64,
    /// Urgent care and wristband alarm timings.
    pub care: care_requests::CareSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            upload_url_prefix: "http://127.0.0.1:8080/uploads/".into(),
            order_deadlines: orders::Deadlines::default(),
            checkin_key: b"linli-development-check-in-key".to_vec(),
            checkin_code_seconds: 120,
            care: care_requests::CareSettings::default(),
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
