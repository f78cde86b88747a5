//! Elderly care. Many residents are over 60; some cannot walk far, use a
//! phone or pay online.
//!
//! - [`profiles`]: care profiles (needs, emergency contacts, the responsible
//!   grid worker and household lead), health notes under a separate recorded
//!   consent, and the log of every read of a sensitive field;
//! - [`visits`]: the home visits grid workers log, and who is overdue one;
//! - [`requests`]: care requests (meal delivery, cash help, escort, repair,
//!   companionship, health checks, wristband alarms). A care request is an
//!   order: it runs on the order machine, whose policy gives it its care
//!   deadlines and the cash hand-over rule.

mod profiles;
mod requests;
mod visits;

pub use crate::privacy::{SensitiveAccess, SensitiveField};
pub use profiles::{
    AccessLogEntry, CareNeed, CareProfile, Consent, ConsentGiver, DEFAULT_INTERVAL_ALONE, DEFAULT_INTERVAL_OTHERS,
    ERASE_AFTER_HOURS, ElderAssignment, EmergencyContact, HealthNote, MAX_CONTACTS, NewContact, PURPOSE_PROFILE_VIEW,
    RecordConsent, SaveCareProfile,
};
pub(crate) use profiles::{elder_assignment, emergency_contact_users};
pub use requests::{
    AlarmKind, AlarmOutcome, CareKind, CareRequest, CashHandover, FileCareRequest, FiledAs, Wristband, WristbandAlarm,
};
pub use visits::{LogVisit, OverdueVisit, Visit};

crate::area_service!(
    /// Elderly care: profiles, consent and health notes, the access log, visits,
    /// care requests and wristbands.
    Care
);
