//! The micro-wish state machine. Nothing here touches the database.

crate::string_enum!(WishStatus {
    Submitted,
    Published,
    Claimed,
    AwaitingApproval,
    Approved,
    Closed,
    Declined,
    Cancelled,
    /// A claim missed its deadline under the ESCALATE policy: the
    /// secretary publishes it again or cancels it.
    Escalated,
});

impl WishStatus {
    /// Reviewed and shown to the community's members: not waiting for the
    /// secretary, declined or called off.
    pub fn is_reviewed(self) -> bool {
        !matches!(self, WishStatus::Submitted | WishStatus::Declined | WishStatus::Cancelled)
    }

    /// Still to be settled: not yet approved, closed, declined or cancelled.
    pub fn is_unsettled(self) -> bool {
        matches!(
            self,
            WishStatus::Submitted | WishStatus::Published | WishStatus::Claimed | WishStatus::AwaitingApproval
        )
    }

    /// In a claimant's hands: claimed, or awaiting approval of what they did.
    pub fn is_in_hand(self) -> bool {
        matches!(self, WishStatus::Claimed | WishStatus::AwaitingApproval)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WishAction {
    Publish,
    Decline,
    Claim,
    /// The claimant gives it back to the list.
    Withdraw,
    /// The system, at a missed deadline under RETURN_TO_POOL: back to the list.
    Lapse,
    Fulfil,
    Approve,
    Reject,
    Thank,
    Cancel,
    /// The system, at a missed deadline under the ESCALATE policy.
    Escalate,
}

/// The state machine.
pub fn next_wish_status(from: WishStatus, action: WishAction) -> Option<WishStatus> {
    use WishAction as A;
    use WishStatus as S;
    match (from, action) {
        (S::Submitted | S::Escalated, A::Publish) => Some(S::Published),
        (S::Submitted, A::Decline) => Some(S::Declined),
        (S::Published, A::Claim) => Some(S::Claimed),
        (S::Claimed, A::Withdraw | A::Lapse) => Some(S::Published),
        (S::Claimed, A::Fulfil) => Some(S::AwaitingApproval),
        (S::AwaitingApproval, A::Approve) => Some(S::Approved),
        (S::AwaitingApproval, A::Reject) => Some(S::Claimed),
        (S::Approved, A::Thank) => Some(S::Closed),
        (S::Claimed, A::Escalate) => Some(S::Escalated),
        (S::Submitted | S::Published | S::Escalated, A::Cancel) => Some(S::Cancelled),
        _ => None,
    }
}

pub(crate) fn wish_verb(action: WishAction) -> &'static str {
    match action {
        WishAction::Publish => "published",
        WishAction::Decline => "declined",
        WishAction::Claim => "claimed",
        WishAction::Withdraw => "given back",
        WishAction::Lapse => "returned to the list at its deadline",
        WishAction::Fulfil => "reported fulfilled",
        WishAction::Approve => "approved",
        WishAction::Reject => "rejected",
        WishAction::Thank => "thanked",
        WishAction::Cancel => "cancelled",
        WishAction::Escalate => "escalated",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use WishAction as A;
    use WishStatus as S;

    const ACTIONS: [WishAction; 11] = [
        A::Publish,
        A::Decline,
        A::Claim,
        A::Withdraw,
        A::Lapse,
        A::Fulfil,
        A::Approve,
        A::Reject,
        A::Thank,
        A::Cancel,
        A::Escalate,
    ];

    #[test]
    fn a_wish_runs_from_submitted_to_closed() {
        let mut s = S::Submitted;
        for (a, expected) in [
            (A::Publish, S::Published),
            (A::Claim, S::Claimed),
            (A::Withdraw, S::Published),
            (A::Claim, S::Claimed),
            (A::Fulfil, S::AwaitingApproval),
            (A::Reject, S::Claimed),
            (A::Fulfil, S::AwaitingApproval),
            (A::Approve, S::Approved),
            (A::Thank, S::Closed),
        ] {
            s = next_wish_status(s, a).unwrap();
            assert_eq!(s, expected);
        }
    }

    #[test]
    fn only_a_claimed_wish_lapses_or_escalates_and_the_secretary_can_publish_or_cancel_it_again() {
        for from in S::ALL {
            assert_eq!(next_wish_status(*from, A::Escalate).is_some(), *from == S::Claimed, "{from:?}");
            assert_eq!(next_wish_status(*from, A::Lapse).is_some(), *from == S::Claimed, "{from:?}");
        }
        assert_eq!(next_wish_status(S::Escalated, A::Publish), Some(S::Published));
        assert_eq!(next_wish_status(S::Escalated, A::Cancel), Some(S::Cancelled));
        assert_eq!(next_wish_status(S::Escalated, A::Claim), None);
    }

    #[test]
    fn claims_come_only_from_the_published_list() {
        for from in S::ALL {
            assert_eq!(next_wish_status(*from, A::Claim).is_some(), *from == S::Published, "{from:?}");
        }
    }

    #[test]
    fn finished_wishes_accept_nothing() {
        for from in [S::Closed, S::Declined, S::Cancelled] {
            for a in ACTIONS {
                assert_eq!(next_wish_status(from, a), None);
            }
        }
    }

    #[test]
    fn members_see_a_wish_once_the_secretary_has_reviewed_it() {
        assert!(!S::Submitted.is_reviewed());
        assert!(!S::Declined.is_reviewed());
        assert!(S::Published.is_reviewed());
        assert!(S::Escalated.is_reviewed());
    }
}
