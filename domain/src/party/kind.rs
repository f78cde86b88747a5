//! Report-ins (双报到) on the workflow spine: a member reports in, the
//! secretary approves or declines, and the member leaves (or is removed).
//! Leaving an approved report-in takes back PARTY_MEMBER and gives up the
//! member's volunteer posts in the same transaction.

use sea_orm::DatabaseTransaction;

use super::{ReportInStatus, set_role};
use crate::Domain;
use crate::entities::report_in;
use crate::error::DomainResult;
use crate::org::Role;
use crate::workflow::{Moved, Step};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportInAction {
    Approve,
    Decline,
    /// The member leaves, or the secretary removes them.
    Leave,
}

/// The report-in state machine.
pub fn next_report_in_status(from: ReportInStatus, action: ReportInAction) -> Option<ReportInStatus> {
    use ReportInAction as A;
    use ReportInStatus as S;
    match (from, action) {
        (S::Pending, A::Approve) => Some(S::Approved),
        (S::Pending, A::Decline) => Some(S::Declined),
        (S::Pending | S::Approved, A::Leave) => Some(S::Left),
        _ => None,
    }
}

/// The action as a past participle, for messages.
fn report_in_verb(action: ReportInAction) -> &'static str {
    match action {
        ReportInAction::Approve => "approved",
        ReportInAction::Decline => "declined",
        ReportInAction::Leave => "ended",
    }
}

/// A step of a report-in.
pub(crate) type ReportInStep = Step<report_in::Entity>;

crate::workflow::kind!(
    report_in: ReportIn, "report-in", ReportInStatus, ReportInAction, next_report_in_status, report_in_verb;
    const HOLDER: Option<report_in::Column> = None;
    const UPDATED_AT: Option<report_in::Column> = None;
    const PEOPLE: &'static [report_in::Column] = &[report_in::Column::UserId];

    async fn after_step(d: &Domain, txn: &DatabaseTransaction, moved: &Moved<'_, Self>) -> DomainResult<()> {
        let row = moved.after;
        let by = moved.actor.unwrap_or(row.user_id);
        match (moved.from, moved.to) {
            (ReportInStatus::Pending, ReportInStatus::Approved) => {
                // They live here, too.
                set_role(txn, row.user_id, row.community_id, Role::PartyMember, by, moved.at, true).await?;
                set_role(txn, row.user_id, row.community_id, Role::Resident, by, moved.at, true).await
            }
            (ReportInStatus::Approved, ReportInStatus::Left) => {
                set_role(txn, row.user_id, row.community_id, Role::PartyMember, by, moved.at, false).await?;
                d.posts().leave_all(txn, row.user_id, row.community_id, moved.at).await
            }
            _ => Ok(()),
        }
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_in_is_decided_once_and_ends_once() {
        use ReportInAction as A;
        use ReportInStatus as S;
        for from in S::ALL {
            for action in [A::Approve, A::Decline, A::Leave] {
                let to = next_report_in_status(*from, action);
                match from {
                    S::Pending => assert!(to.is_some(), "{action:?}"),
                    S::Approved => assert_eq!(to, (action == A::Leave).then_some(S::Left), "{action:?}"),
                    S::Declined | S::Left => assert_eq!(to, None, "{from:?} {action:?}"),
                }
            }
        }
    }
}
