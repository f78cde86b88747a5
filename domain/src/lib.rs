//! linli's rules: who may do what, the order workflow, and the records they
//! keep. Usable from the server, a worker, a CLI or a test with nothing but a
//! database connection; no web framework lives here.

/// A status or kind stored as text: the enum, its text, and parsing. The text
/// is the variant's name in SCREAMING_SNAKE_CASE (`AwaitingApproval` is
/// `AWAITING_APPROVAL`) unless the variant names another (`Elder = "SELF"`).
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident $(= $text:literal)?),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
            strum::IntoStaticStr, strum::EnumString,
        )]
        #[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name { $($(#[$vmeta])* $(#[strum(to_string = $text)])? $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                self.into()
            }

            pub fn parse(s: &str) -> $crate::error::DomainResult<Self> {
                s.parse().map_err(|_| {
                    $crate::error::DomainError::internal(format!("unknown {} {s}", stringify!($name)))
                })
            }
        }

        impl $crate::TextEnum for $name {
            const ALL: &'static [Self] = $name::ALL;

            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }
        }

        impl $crate::workflow::Status for $name {
            const ALL: &'static [Self] = $name::ALL;

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

/// An enum shown as text, for code that works on any of them (the API's
/// GraphQL enums): every value in declaration order, and each one's text.
/// Every `string_enum!` is one.
pub trait TextEnum: Copy + Eq + Send + Sync + 'static {
    const ALL: &'static [Self];
    fn as_str(self) -> &'static str;
}

impl TextEnum for Role {
    const ALL: &'static [Self] = &Role::ALL;

    fn as_str(self) -> &'static str {
        Role::as_str(self)
    }
}

/// An area service: a borrowed view of the [`Domain`] whose methods are the
/// area's operations (`domain.orders().claim(…)`).
macro_rules! area_service {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy)]
        pub struct $name<'a> {
            d: &'a $crate::Domain,
        }

        impl<'a> $name<'a> {
            pub(crate) fn new(d: &'a $crate::Domain) -> Self {
                Self { d }
            }
        }
    };
}
pub(crate) use area_service;

pub mod activities;
pub mod auth;
pub mod banquets;
pub mod canteen;
pub mod care;
pub mod clock;
pub mod content;
pub mod data_rights;
pub mod deadlines;
pub mod duties;
pub mod entities;
pub mod error;
pub mod events;
pub mod exports;
mod idempotency;
pub mod joins;
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
mod rows;
pub mod rule_changes;
pub mod seed;
mod settings;
pub mod supermarket;
pub mod uploads;
pub mod validate;
pub mod wishes;
pub mod workflow;

use std::sync::Arc;

use sea_orm::DatabaseConnection;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{DomainError, DomainResult};
pub use org::{Actor, Role};
pub use settings::{CareSettings, Deadlines, Settings};
pub use workflow::Status;

/// The entry point to every rule: the shared core (a database, a clock,
/// settings) and one service per area on it: `domain.orders()`,
/// `domain.care()`, …
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

    pub fn activities(&self) -> activities::Activities<'_> {
        activities::Activities::new(self)
    }

    pub fn auth(&self) -> auth::Auth<'_> {
        auth::Auth::new(self)
    }

    pub fn banquets(&self) -> banquets::Banquets<'_> {
        banquets::Banquets::new(self)
    }

    pub fn canteen(&self) -> canteen::Canteen<'_> {
        canteen::Canteen::new(self)
    }

    pub fn care(&self) -> care::Care<'_> {
        care::Care::new(self)
    }

    pub fn content(&self) -> content::Content<'_> {
        content::Content::new(self)
    }

    pub fn data_rights(&self) -> data_rights::DataRights<'_> {
        data_rights::DataRights::new(self)
    }

    pub fn duties(&self) -> duties::Duties<'_> {
        duties::Duties::new(self)
    }

    pub fn events(&self) -> events::Events<'_> {
        events::Events::new(self)
    }

    pub fn exports(&self) -> exports::Exports<'_> {
        exports::Exports::new(self)
    }

    pub fn ledger(&self) -> ledger::Ledger<'_> {
        ledger::Ledger::new(self)
    }

    pub fn lunchbox(&self) -> lunchbox::Lunchbox<'_> {
        lunchbox::Lunchbox::new(self)
    }

    pub fn notifications(&self) -> notifications::Notifications<'_> {
        notifications::Notifications::new(self)
    }

    pub fn joins(&self) -> joins::Joins<'_> {
        joins::Joins::new(self)
    }

    pub fn orders(&self) -> orders::Orders<'_> {
        orders::Orders::new(self)
    }

    pub fn org(&self) -> org::Org<'_> {
        org::Org::new(self)
    }

    pub fn party(&self) -> party::Party<'_> {
        party::Party::new(self)
    }

    pub fn points(&self) -> points::Points<'_> {
        points::Points::new(self)
    }

    pub fn posts(&self) -> posts::Posts<'_> {
        posts::Posts::new(self)
    }

    pub fn push(&self) -> push::Push<'_> {
        push::Push::new(self)
    }

    pub fn rule_changes(&self) -> rule_changes::RuleChanges<'_> {
        rule_changes::RuleChanges::new(self)
    }

    pub fn supermarket(&self) -> supermarket::Supermarket<'_> {
        supermarket::Supermarket::new(self)
    }

    pub fn uploads(&self) -> uploads::Uploads<'_> {
        uploads::Uploads::new(self)
    }

    pub fn wishes(&self) -> wishes::Wishes<'_> {
        wishes::Wishes::new(self)
    }
}
