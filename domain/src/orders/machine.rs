//! The order state machine: typed statuses, actions, and where each action
//! takes an order. Nothing here touches the database.

crate::string_enum!(
    /// Kinds of need seen in the communities' reports.
    OrderCategory {
        Repair,
        LegalAid,
        Employment,
        SocialSecurity,
        ElderlyCare,
        Tutoring,
        Health,
        Environment,
        Dispute,
        Other,
    }
);

crate::string_enum!(OrderStatus {
    Submitted,
    Open,
    Assigned,
    Claimed,
    AwaitingApproval,
    Approved,
    Closed,
    Cancelled,
    /// Blown to the street (社区吹哨): in the street's queue.
    Escalated,
    /// The street routed it to a department (街道分哨), which has yet to accept.
    Routed,
    /// The department took it on (部门应哨).
    DepartmentAccepted,
    /// The department reports it done; the street confirms.
    DepartmentCompleted,
});

impl OrderStatus {
    /// Nothing more will happen to it but a rating.
    pub fn is_finished(self) -> bool {
        matches!(self, OrderStatus::Approved | OrderStatus::Closed | OrderStatus::Cancelled)
    }

    /// The work was approved (and perhaps rated): a return visit (回访) is due.
    pub fn is_approved(self) -> bool {
        matches!(self, OrderStatus::Approved | OrderStatus::Closed)
    }

    /// Not yet reported done: the secretary may still blow the whistle.
    pub fn is_before_completion(self) -> bool {
        self.is_before_claim() || self == OrderStatus::Claimed
    }

    /// With the street or a department (吹哨报到), not the community.
    pub fn is_with_street(self) -> bool {
        matches!(
            self,
            OrderStatus::Escalated
                | OrderStatus::Routed
                | OrderStatus::DepartmentAccepted
                | OrderStatus::DepartmentCompleted
        )
    }

    /// Waiting on the street: to route, return or resolve, or to confirm a department's work.
    pub fn awaits_street(self) -> bool {
        matches!(self, OrderStatus::Escalated | OrderStatus::DepartmentCompleted)
    }

    /// With a department: to accept, or to work on.
    pub fn is_with_department(self) -> bool {
        matches!(self, OrderStatus::Routed | OrderStatus::DepartmentAccepted)
    }

    /// Nobody has claimed it yet: it can still be dispatched, cancelled or escalated.
    pub fn is_before_claim(self) -> bool {
        matches!(self, OrderStatus::Submitted | OrderStatus::Open | OrderStatus::Assigned)
    }

    /// A helper can claim it now: in the pool, or assigned to them.
    pub fn is_claimable(self) -> bool {
        matches!(self, OrderStatus::Open | OrderStatus::Assigned)
    }

    /// In a helper's hands: assigned to them, claimed, or awaiting approval of their work.
    pub fn is_in_hand(self) -> bool {
        matches!(self, OrderStatus::Assigned | OrderStatus::Claimed | OrderStatus::AwaitingApproval)
    }

    /// Not yet settled: neither approved, closed nor cancelled (an escalated
    /// order is still the street's to settle).
    pub fn is_unsettled(self) -> bool {
        !self.is_finished()
    }
}

/// What someone (or the system) does to an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderAction {
    /// To the open pool.
    Publish,
    /// To a named party member or volunteer.
    Assign,
    Claim,
    Complete,
    Approve,
    Reject,
    Rate,
    Cancel,
    /// The secretary hands it to the street.
    Escalate,
    /// The system, at a missed claim deadline: to the street.
    EscalateUnclaimed,
    /// The system, at a missed completion deadline under RETURN_TO_POOL: the
    /// claim lapses and the order goes back to the pool.
    Lapse,
    /// The system, at a missed completion deadline under ESCALATE.
    EscalateOverdue,
    /// The system, at a missed claim deadline of an urgent care request: the
    /// secretaries are alerted and it stays open for helpers.
    AlertUnclaimed,
    /// A cash-help request: the helper records handing the cash over.
    HandOverCash,
    /// A cash-help request: the elder or a witness confirms receiving it.
    ConfirmCash,
    /// The system: another wristband alarm joins the open request.
    RepeatAlarm,
    /// The street routes it to a department (街道分哨).
    Route,
    /// The street sends it back to the community's pool, with an instruction.
    ReturnToCommunity,
    /// The street resolves it itself.
    ResolveAtStreet,
    /// The department takes it on (部门应哨).
    AcceptRouted,
    /// The department asks the community for information.
    AskCommunity,
    /// The community answers the department.
    AnswerDepartment,
    /// The department reports its work done.
    CompleteRouted,
    /// The street confirms the department's work.
    ConfirmRouted,
    /// The system: the department did not accept in time; back to the street.
    MissAcceptance,
    /// The system: the department is past the street's due date; the county is alerted.
    AlertDepartmentOverdue,
    /// The claimant is at the door (the 30-minute promise).
    Arrive,
    /// The system: the claimant was not at the door in time.
    MissArrival,
    /// 回访 after approval: satisfied, or basically satisfied.
    ReturnVisit,
    /// 回访 found the resident unsatisfied; the community reopens such orders.
    ReopenAfterVisit,
    /// 回访 found the resident unsatisfied; the community escalates such orders.
    EscalateAfterVisit,
}

crate::string_enum!(
    /// What the resident said at the return visit (回访).
    ReturnVisitSatisfaction {
        Satisfied,
        BasicallySatisfied,
        Unsatisfied,
    }
);

impl ReturnVisitSatisfaction {
    /// As the history and the office read it.
    pub fn label(self) -> &'static str {
        match self {
            ReturnVisitSatisfaction::Satisfied => "满意",
            ReturnVisitSatisfaction::BasicallySatisfied => "基本满意",
            ReturnVisitSatisfaction::Unsatisfied => "不满意",
        }
    }
}

/// The state machine: where an action takes an order, or `None` when the
/// action is not allowed in that state. The last four leave the status as
/// it is and only record what happened.
pub fn next_status(from: OrderStatus, action: OrderAction) -> Option<OrderStatus> {
    use OrderAction as A;
    use OrderStatus as S;
    match action {
        A::Publish if from.is_before_claim() => Some(S::Open),
        A::Assign if from.is_before_claim() => Some(S::Assigned),
        A::Claim if from.is_claimable() => Some(S::Claimed),
        A::Complete if from == S::Claimed => Some(S::AwaitingApproval),
        A::Approve if from == S::AwaitingApproval => Some(S::Approved),
        A::Reject if from == S::AwaitingApproval => Some(S::Claimed),
        A::Rate if from == S::Approved => Some(S::Closed),
        A::Cancel if from.is_before_claim() || from == S::Escalated => Some(S::Cancelled),
        A::Escalate if from.is_before_completion() => Some(S::Escalated),
        A::EscalateUnclaimed if from.is_claimable() => Some(S::Escalated),
        A::Lapse if from == S::Claimed => Some(S::Open),
        A::EscalateOverdue if from == S::Claimed => Some(S::Escalated),
        A::AlertUnclaimed if from.is_claimable() => Some(from),
        A::HandOverCash if from == S::Claimed => Some(from),
        A::ConfirmCash | A::RepeatAlarm if !from.is_finished() => Some(from),
        A::Route if from == S::Escalated => Some(S::Routed),
        A::ReturnToCommunity if from == S::Escalated => Some(S::Open),
        A::ResolveAtStreet if from == S::Escalated => Some(S::Approved),
        A::AcceptRouted | A::MissAcceptance if from == S::Routed => {
            Some(if action == A::AcceptRouted { S::DepartmentAccepted } else { S::Escalated })
        }
        A::AskCommunity | A::AnswerDepartment | A::AlertDepartmentOverdue if from.is_with_department() => Some(from),
        A::CompleteRouted if from == S::DepartmentAccepted => Some(S::DepartmentCompleted),
        A::ConfirmRouted if from == S::DepartmentCompleted => Some(S::Approved),
        A::Arrive | A::MissArrival if from == S::Claimed => Some(from),
        A::ReturnVisit if from.is_approved() => Some(from),
        A::ReopenAfterVisit if from.is_approved() => Some(S::Open),
        A::EscalateAfterVisit if from.is_approved() => Some(S::Escalated),
        _ => None,
    }
}

/// The action as a past participle, for "a CLAIMED order cannot be …".
pub(crate) fn past_tense(action: OrderAction) -> &'static str {
    match action {
        OrderAction::Publish => "published to the pool",
        OrderAction::Assign => "assigned",
        OrderAction::Claim => "claimed",
        OrderAction::Complete => "reported done",
        OrderAction::Approve => "approved",
        OrderAction::Reject => "rejected",
        OrderAction::Rate => "rated",
        OrderAction::Cancel => "cancelled",
        OrderAction::Escalate => "escalated",
        OrderAction::EscalateUnclaimed => "escalated at its claim deadline",
        OrderAction::Lapse => "returned to the pool at its deadline",
        OrderAction::EscalateOverdue => "escalated at its deadline",
        OrderAction::AlertUnclaimed => "alerted as unclaimed",
        OrderAction::HandOverCash => "given a cash hand-over",
        OrderAction::ConfirmCash => "confirmed as received",
        OrderAction::RepeatAlarm => "given another alarm",
        OrderAction::Route => "routed to a department",
        OrderAction::ReturnToCommunity => "returned to the community",
        OrderAction::ResolveAtStreet => "resolved at the street",
        OrderAction::AcceptRouted => "accepted by the department",
        OrderAction::AskCommunity => "asked about by the department",
        OrderAction::AnswerDepartment => "answered for the department",
        OrderAction::CompleteRouted => "reported done by the department",
        OrderAction::ConfirmRouted => "confirmed by the street",
        OrderAction::MissAcceptance => "returned to the street unaccepted",
        OrderAction::AlertDepartmentOverdue => "reported overdue to the county",
        OrderAction::Arrive => "marked arrived",
        OrderAction::MissArrival => "marked late to arrive",
        OrderAction::ReturnVisit => "given a return visit",
        OrderAction::ReopenAfterVisit => "reopened after its return visit",
        OrderAction::EscalateAfterVisit => "escalated after its return visit",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderAction as A;
    use OrderStatus as S;

    const ACTIONS: [OrderAction; 31] = [
        A::Publish,
        A::Assign,
        A::Claim,
        A::Complete,
        A::Approve,
        A::Reject,
        A::Rate,
        A::Cancel,
        A::Escalate,
        A::EscalateUnclaimed,
        A::Lapse,
        A::EscalateOverdue,
        A::AlertUnclaimed,
        A::HandOverCash,
        A::ConfirmCash,
        A::RepeatAlarm,
        A::Route,
        A::ReturnToCommunity,
        A::ResolveAtStreet,
        A::AcceptRouted,
        A::AskCommunity,
        A::AnswerDepartment,
        A::CompleteRouted,
        A::ConfirmRouted,
        A::MissAcceptance,
        A::AlertDepartmentOverdue,
        A::Arrive,
        A::MissArrival,
        A::ReturnVisit,
        A::ReopenAfterVisit,
        A::EscalateAfterVisit,
    ];

    #[test]
    fn the_happy_path_runs_from_submitted_to_closed() {
        let mut s = S::Submitted;
        for (action, expected) in [
            (A::Publish, S::Open),
            (A::Claim, S::Claimed),
            (A::Complete, S::AwaitingApproval),
            (A::Reject, S::Claimed),
            (A::Complete, S::AwaitingApproval),
            (A::Approve, S::Approved),
            (A::Rate, S::Closed),
        ] {
            s = next_status(s, action).unwrap();
            assert_eq!(s, expected);
        }
    }

    #[test]
    fn finished_orders_accept_no_action_but_a_closed_ones_return_visit() {
        let visit = [A::ReturnVisit, A::ReopenAfterVisit, A::EscalateAfterVisit];
        for action in ACTIONS {
            assert_eq!(next_status(S::Cancelled, action), None, "{action:?}");
            assert_eq!(next_status(S::Closed, action).is_some(), visit.contains(&action), "{action:?}");
        }
    }

    #[test]
    fn the_whistle_blows_on_any_order_not_yet_reported_done_and_cancel_only_before_a_claim_or_at_the_street() {
        for from in S::ALL {
            let before = matches!(from, S::Submitted | S::Open | S::Assigned);
            assert_eq!(next_status(*from, A::Cancel).is_some(), before || *from == S::Escalated, "{from:?}");
            assert_eq!(next_status(*from, A::Escalate).is_some(), before || *from == S::Claimed, "{from:?}");
        }
    }

    #[test]
    fn the_whistle_runs_from_the_street_to_a_department_and_back_to_approval() {
        let mut s = S::Claimed;
        for (action, expected) in [
            (A::Escalate, S::Escalated),
            (A::Route, S::Routed),
            (A::MissAcceptance, S::Escalated),
            (A::Route, S::Routed),
            (A::AcceptRouted, S::DepartmentAccepted),
            (A::AskCommunity, S::DepartmentAccepted),
            (A::AnswerDepartment, S::DepartmentAccepted),
            (A::AlertDepartmentOverdue, S::DepartmentAccepted),
            (A::CompleteRouted, S::DepartmentCompleted),
            (A::ConfirmRouted, S::Approved),
            (A::Rate, S::Closed),
        ] {
            s = next_status(s, action).unwrap_or_else(|| panic!("{s:?} {action:?}"));
            assert_eq!(s, expected);
        }
        assert_eq!(next_status(S::Escalated, A::ReturnToCommunity), Some(S::Open));
        assert_eq!(next_status(S::Escalated, A::ResolveAtStreet), Some(S::Approved));
        for street_only in [A::Route, A::ReturnToCommunity, A::ResolveAtStreet] {
            for from in S::ALL.iter().filter(|s| **s != S::Escalated) {
                assert_eq!(next_status(*from, street_only), None, "{from:?} {street_only:?}");
            }
        }
        assert_eq!(next_status(S::Routed, A::CompleteRouted), None, "accepted first");
        assert_eq!(next_status(S::DepartmentAccepted, A::ConfirmRouted), None, "completed first");
    }

    #[test]
    fn only_a_claimed_order_can_lapse_back_to_the_pool_or_escalate_at_its_deadline() {
        for from in S::ALL {
            let claimed = *from == S::Claimed;
            assert_eq!(next_status(*from, A::Lapse), claimed.then_some(S::Open), "{from:?}");
            assert_eq!(next_status(*from, A::EscalateOverdue), claimed.then_some(S::Escalated), "{from:?}");
        }
    }

    #[test]
    fn claims_come_only_from_the_pool_or_an_assignment() {
        for from in S::ALL {
            assert_eq!(next_status(*from, A::Claim).is_some(), matches!(from, S::Open | S::Assigned), "{from:?}");
            assert_eq!(next_status(*from, A::EscalateUnclaimed).is_some(), from.is_claimable(), "{from:?}");
        }
    }

    #[test]
    fn records_of_cash_alarms_and_alerts_leave_the_status_as_it_is() {
        for from in S::ALL {
            for action in [A::AlertUnclaimed, A::HandOverCash, A::ConfirmCash, A::RepeatAlarm] {
                if let Some(to) = next_status(*from, action) {
                    assert_eq!(to, *from, "{action:?}");
                }
            }
        }
        assert_eq!(next_status(S::Claimed, A::HandOverCash), Some(S::Claimed));
        assert_eq!(next_status(S::Open, A::HandOverCash), None);
        assert_eq!(next_status(S::Open, A::AlertUnclaimed), Some(S::Open));
        assert_eq!(next_status(S::Claimed, A::AlertUnclaimed), None);
    }

    #[test]
    fn arrival_is_recorded_while_claimed_and_the_return_visit_after_approval() {
        for from in S::ALL {
            let claimed = *from == S::Claimed;
            assert_eq!(next_status(*from, A::Arrive), claimed.then_some(*from), "{from:?}");
            assert_eq!(next_status(*from, A::MissArrival), claimed.then_some(*from), "{from:?}");
            let approved = matches!(from, S::Approved | S::Closed);
            assert_eq!(next_status(*from, A::ReturnVisit), approved.then_some(*from), "{from:?}");
            assert_eq!(next_status(*from, A::ReopenAfterVisit), approved.then_some(S::Open), "{from:?}");
            assert_eq!(next_status(*from, A::EscalateAfterVisit), approved.then_some(S::Escalated), "{from:?}");
        }
    }

    #[test]
    fn status_sets_agree_with_each_other() {
        for s in S::ALL {
            assert!(!(s.is_finished() && s.is_before_claim()), "{s:?}");
            assert!(!s.is_in_hand() || s.is_unsettled(), "{s:?}");
            assert_eq!(s.is_unsettled(), !s.is_finished(), "{s:?}");
            assert!(!(s.is_with_street() && s.is_finished()), "{s:?}");
            assert!(!s.is_with_department() || s.is_with_street(), "{s:?}");
            assert!(!s.is_claimable() || s.is_before_claim(), "{s:?}");
        }
    }
}
