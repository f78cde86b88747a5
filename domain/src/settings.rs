//! The settings the rules need, taken from the server's configuration.

pub use crate::orders::{CareSettings, Deadlines};

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
    /// Signed photo URLs and the daily upload quota.
    pub uploads: crate::uploads::UploadSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            upload_url_prefix: "http://127.0.0.1:8080/uploads/".into(),
            order_deadlines: Deadlines::default(),
            checkin_key: b"linli-development-check-in-key".to_vec(),
            checkin_code_seconds: 120,
            care: CareSettings::default(),
            uploads: Default::default(),
        }
    }
}
