//! The love-lunchbox delivery state machine. Nothing here touches the database.

crate::string_enum!(DeliveryStatus {
    Open,
    Claimed,
    Delivered,
    Cancelled,
    /// The claimant could not hand it over; the food is gone.
    Undelivered,
});

impl DeliveryStatus {
    /// Not (yet) in the recipient's hands: what the late alert looks at.
    pub fn is_not_delivered(self) -> bool {
        matches!(self, DeliveryStatus::Open | DeliveryStatus::Claimed | DeliveryStatus::Undelivered)
    }

    /// The canteen's portion is spoken for: every task but a cancelled one.
    pub fn takes_a_portion(self) -> bool {
        self != DeliveryStatus::Cancelled
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LunchboxAction {
    /// A volunteer or party member takes the task.
    Claim,
    /// The claimant gives it back to the open list.
    Release,
    /// The claimant could not hand it over.
    ReportUndelivered,
    /// Staff call it off before it is delivered.
    Cancel,
    /// The claimant confirms the hand-over with a photo.
    ConfirmDelivered,
    /// The recipient confirms receipt on their own phone.
    ConfirmReceived,
    /// The system: not delivered by the deliver-by time; staff are alerted.
    Alert,
}

pub fn next_delivery_status(from: DeliveryStatus, action: LunchboxAction) -> Option<DeliveryStatus> {
    use DeliveryStatus as S;
    use LunchboxAction as A;
    match (from, action) {
        (S::Open, A::Claim) => Some(S::Claimed),
        (S::Claimed, A::Release) => Some(S::Open),
        (S::Claimed, A::ReportUndelivered) => Some(S::Undelivered),
        (S::Open | S::Claimed, A::Cancel) => Some(S::Cancelled),
        // The second confirmation (photo or recipient) leaves it delivered.
        (S::Claimed | S::Delivered, A::ConfirmDelivered | A::ConfirmReceived) => Some(S::Delivered),
        (s, A::Alert) if s.is_not_delivered() => Some(s),
        _ => None,
    }
}

pub(crate) fn delivery_verb(action: LunchboxAction) -> &'static str {
    match action {
        LunchboxAction::Claim => "claimed",
        LunchboxAction::Release => "released",
        LunchboxAction::ReportUndelivered => "reported undelivered",
        LunchboxAction::Cancel => "cancelled",
        LunchboxAction::ConfirmDelivered => "confirmed",
        LunchboxAction::ConfirmReceived => "received",
        LunchboxAction::Alert => "alerted",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DeliveryStatus as S;
    use LunchboxAction as A;

    #[test]
    fn a_lunchbox_is_claimed_then_delivered_with_either_confirmation_first() {
        for (first, second) in [(A::ConfirmDelivered, A::ConfirmReceived), (A::ConfirmReceived, A::ConfirmDelivered)] {
            let claimed = next_delivery_status(S::Open, A::Claim).unwrap();
            let delivered = next_delivery_status(claimed, first).unwrap();
            assert_eq!(delivered, S::Delivered);
            assert_eq!(next_delivery_status(delivered, second), Some(S::Delivered));
        }
    }

    #[test]
    fn only_open_or_claimed_tasks_can_be_cancelled_and_only_claimed_ones_released() {
        for s in S::ALL {
            assert_eq!(next_delivery_status(*s, A::Cancel).is_some(), matches!(s, S::Open | S::Claimed), "{s:?}");
            assert_eq!(next_delivery_status(*s, A::Release).is_some(), *s == S::Claimed, "{s:?}");
        }
    }

    #[test]
    fn the_late_alert_marks_undelivered_tasks_without_moving_them() {
        for s in S::ALL {
            let alerted = next_delivery_status(*s, A::Alert);
            assert_eq!(alerted, s.is_not_delivered().then_some(*s), "{s:?}");
        }
    }

    #[test]
    fn finished_tasks_accept_nothing_but_a_late_alert() {
        for action in [A::Claim, A::Release, A::ReportUndelivered, A::Cancel, A::ConfirmDelivered, A::ConfirmReceived] {
            assert_eq!(next_delivery_status(S::Cancelled, action), None);
            assert_eq!(next_delivery_status(S::Undelivered, action), None);
        }
    }
}
