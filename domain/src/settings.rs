//! The settings the rules need, taken from the server's configuration.

use std::collections::HashMap;

use chrono::Duration;

use crate::orders::OrderCategory;

#[derive(Clone, Debug)]
pub struct Settings {
    /// URLs that start with this name files uploaded to this server.
    pub upload_url_prefix: String,
    pub order_deadlines: Deadlines,
    /// Signs activity check-in codes; the same on every node.
    pub checkin_key: Vec<u8>,
    /// How long a check-in code stays valid.
    pub checkin_code_seconds: i64,
    /// Urgent care and wristband alarm timings.
    pub care: CareSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            upload_url_prefix: "http://127.0.0.1:8080/uploads/".into(),
            order_deadlines: Deadlines::default(),
            checkin_key: b"linli-development-check-in-key".to_vec(),
            checkin_code_seconds: 120,
            care: CareSettings::default(),
        }
    }
}

/// How long members have to claim, and then to finish, per order category.
#[derive(Clone, Debug)]
pub struct Deadlines {
    pub claim: HashMap<OrderCategory, Duration>,
    pub complete: HashMap<OrderCategory, Duration>,
}

impl Default for Deadlines {
    fn default() -> Self {
        use OrderCategory as C;
        // 30 minutes to a member at the door (Wuchuan's promise); finishing
        // takes a day for hands-on help, three for paperwork.
        let claim = C::ALL.iter().map(|c| (*c, Duration::minutes(30))).collect();
        let complete = C::ALL
            .iter()
            .map(|c| {
                let hours = match c {
                    C::Repair | C::ElderlyCare | C::Health => 24,
                    C::Environment | C::Other => 48,
                    C::LegalAid | C::Employment | C::SocialSecurity | C::Tutoring | C::Dispute => 72,
                };
                (*c, Duration::hours(hours))
            })
            .collect();
        Self { claim, complete }
    }
}

impl Deadlines {
    pub(crate) fn claim_window(&self, c: OrderCategory) -> Duration {
        self.claim.get(&c).copied().unwrap_or_else(|| Duration::minutes(30))
    }

    pub(crate) fn complete_window(&self, c: OrderCategory) -> Duration {
        self.complete.get(&c).copied().unwrap_or_else(|| Duration::hours(24))
    }
}

/// Timings for urgent care requests and wristband alarms.
#[derive(Clone, Debug)]
pub struct CareSettings {
    /// An urgent request nobody claimed in this time goes to the secretary.
    pub urgent_claim_minutes: i64,
    /// Alarms from one device within this window join the open request.
    pub alarm_merge_minutes: i64,
}

impl Default for CareSettings {
    fn default() -> Self {
        Self { urgent_claim_minutes: 5, alarm_merge_minutes: 10 }
    }
}
