//! Elderly care: profiles and their access log, care requests, visits and
//! the wristband's alarms.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::common::{World, data, time};

mod access_log;
mod profiles;
mod requests;
mod visits;
mod wristbands;

const INBOX: &str = "{ myNotifications(first: 50) { edges { node { kind title subjectKind subjectId } } } }";

impl World {
    /// `(kind, subjectId)` of `who`'s notices.
    async fn notices(&self, who: &str) -> Vec<(String, String)> {
        let resp = self.gql(who, INBOX, json!({})).await;
        data(&resp, "myNotifications")["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let n = &e["node"];
                (
                    n["kind"].as_str().unwrap_or_default().to_owned(),
                    n["subjectId"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }
}

/// `at` is `expected`, give or take the database's time precision.
fn assert_about(at: &Value, expected: DateTime<Utc>, what: &str) {
    let diff = (time(at) - expected).num_milliseconds().abs();
    assert!(diff < 1_000, "{what}: {at} is not {expected}");
}
