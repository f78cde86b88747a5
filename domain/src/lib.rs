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
mod settings;
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
pub use settings::{CareSettings, Deadlines, Settings};
pub use workflow::Status;

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

    pub fn orders(&self) -> orders::Orders<'_> {
        orders::Orders::new(self)
    }

    pub fn banquets(&self) -> banquets::Banquets<'_> {
        banquets::Banquets::new(self)
    }

    pub fn lunchbox(&self) -> lunchbox::Lunchbox<'_> {
        lunchbox::Lunchbox::new(self)
    }

    pub fn wishes(&self) -> wishes::Wishes<'_> {
        wishes::Wishes::new(self)
    }
}
