//! The order spine as the order and wish tests drive it: a subject submitted
//! by demo-resident-1 and brought to a state by the demo users one guarded
//! step at a time, and the table of who each step refuses.

use serde_json::{Value, json};

use super::{error_code, outcome, payload};

/// One step: who takes which action, and the status it leads to.
pub type Step = (&'static str, &'static str, &'static str);

/// An order or a wish, as its tests drive it. A module's `World` implements it.
pub(crate) trait Spine {
    /// `order` or `wish`, for messages.
    const NOUN: &'static str;
    /// From SUBMITTED to CLOSED, one step at a time.
    const PATH: &'static [Step];
    /// The states one step off the path, straight from SUBMITTED.
    const BRANCHES: &'static [Step];

    /// A fresh one submitted by demo-resident-1; its id.
    async fn submitted(&self) -> String;

    /// One action by `who`, with harmless arguments; the raw response.
    async fn act(&self, who: &str, action: &str, id: &str) -> Value;

    /// It as the secretary sees it.
    async fn read(&self, id: &str) -> Value;

    /// An action that must succeed and lead to `status`.
    async fn must(&self, who: &str, action: &str, id: &str, status: &str) -> Value {
        let resp = self.act(who, action, id).await;
        let subject = payload(&resp).clone();
        assert_eq!(subject["status"], status, "{who} {action} on {id}: {resp}");
        subject
    }

    async fn status(&self, id: &str) -> String {
        self.read(id).await["status"].as_str().unwrap().to_owned()
    }

    /// A fresh one brought to `state`: along [`Spine::PATH`] as far as
    /// `state`, or by the one step of [`Spine::BRANCHES`] that leads there.
    async fn in_state(&self, state: &str) -> String {
        let steps: &[Step] = if state == "SUBMITTED" {
            &[]
        } else if let Some(at) = Self::PATH.iter().position(|(_, _, to)| *to == state) {
            &Self::PATH[..=at]
        } else {
            let branch = Self::BRANCHES.iter().position(|(_, _, to)| *to == state);
            let at = branch.unwrap_or_else(|| panic!("unknown state {state}"));
            &Self::BRANCHES[at..=at]
        };
        let id = self.submitted().await;
        for (who, action, status) in steps {
            self.must(who, action, &id, status).await;
        }
        id
    }
}

/// Who is refused the `actions` on a subject in `state`, by the code they get.
pub struct Refusals {
    pub actions: &'static [&'static str],
    pub state: &'static str,
    pub forbidden: &'static [&'static str],
    pub not_found: &'static [&'static str],
    /// Refused either way, FORBIDDEN or NOT_FOUND.
    pub either: &'static [&'static str],
}

/// Every refusal in `cases` comes with its code and leaves the subject as it was.
pub async fn assert_refusals<W: Spine>(w: &W, cases: &[Refusals]) {
    let noun = W::NOUN;
    let mut failures = Vec::new();
    for case in cases {
        let state = case.state;
        let expected =
            [(case.forbidden, "FORBIDDEN"), (case.not_found, "NOT_FOUND"), (case.either, "FORBIDDEN|NOT_FOUND")];
        for action in case.actions {
            let id = w.in_state(state).await;
            for (who, codes) in expected.iter().flat_map(|(whom, codes)| whom.iter().map(move |who| (who, *codes))) {
                let resp = w.act(who, action, &id).await;
                let got = outcome(&resp);
                if !codes.split('|').any(|e| e == got) {
                    failures.push(format!("{who} {action} on a {state} {noun}: expected {codes}, got {got}: {resp}"));
                }
            }
            let now = w.status(&id).await;
            if now != state {
                failures.push(format!("{action} on a {state} {noun}: refusals changed it to {now}"));
            }
        }
    }
    assert!(failures.is_empty(), "{} refusals went wrong:\n{}", failures.len(), failures.join("\n"));
}

/// Each of `actions` (an action and someone allowed to take it) on a subject
/// in each state of `table` ends as its cell says: the status after it, or
/// the error (`A|B`: either). Refused actions (INVALID_STATE, FORBIDDEN,
/// NOT_FOUND) share one subject, leave it as it was and leave no trace in its
/// history; each allowed one gets a subject of its own. `cells` is how many
/// the table has.
pub async fn assert_transitions<W: Spine, const N: usize>(
    w: &W,
    actions: &[(&str, &str); N],
    table: &[(&str, [&str; N])],
    cells: usize,
) {
    let noun = W::NOUN;
    let mut failures = Vec::new();
    let mut checked = 0;
    for (state, row) in table {
        let shared = w.in_state(state).await;
        for ((action, who), expected) in actions.iter().zip(row) {
            checked += 1;
            let refused = expected.split('|').all(|e| ["INVALID_STATE", "FORBIDDEN", "NOT_FOUND"].contains(&e));
            let id = if refused { shared.clone() } else { w.in_state(state).await };
            let resp = w.act(who, action, &id).await;
            let got = if resp.get("errors").is_none() {
                payload(&resp)["status"].as_str().unwrap_or("?").to_owned()
            } else {
                error_code(&resp)
            };
            if !expected.split('|').any(|e| e == got) {
                failures.push(format!("{who} {action} on {state}: expected {expected}, got {got}: {resp}"));
            }
            if refused {
                let now = w.status(&id).await;
                if now != *state {
                    failures.push(format!("{who} {action} on {state} was refused but the {noun} is now {now}"));
                }
            }
        }
        let history = w.read(&shared).await["history"].as_array().unwrap().clone();
        if history.last().map(|e| e["toStatus"].clone()) != Some(json!(state)) {
            failures.push(format!("refusals on {state} were recorded in the history: {history:?}"));
        }
    }
    assert_eq!(checked, cells);
    assert!(failures.is_empty(), "{} transitions went wrong:\n{}", failures.len(), failures.join("\n"));
}
