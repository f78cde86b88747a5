//! The banquet booking state machine. Nothing here touches the database.

crate::string_enum!(BanquetStatus { Pending, Approved, Declined, Cancelled, Held });

impl BanquetStatus {
    /// The day is the family's for sure: approved, or already held.
    pub fn is_confirmed(self) -> bool {
        matches!(self, BanquetStatus::Approved | BanquetStatus::Held)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BanquetAction {
    Approve,
    Decline,
    Cancel,
    MarkHeld,
}

pub fn next_banquet_status(from: BanquetStatus, action: BanquetAction) -> Option<BanquetStatus> {
    use BanquetAction as A;
    use BanquetStatus as S;
    match (from, action) {
        (S::Pending, A::Approve) => Some(S::Approved),
        (S::Pending, A::Decline) => Some(S::Declined),
        (S::Pending | S::Approved, A::Cancel) => Some(S::Cancelled),
        (S::Approved, A::MarkHeld) => Some(S::Held),
        _ => None,
    }
}

pub(crate) fn banquet_verb(action: BanquetAction) -> &'static str {
    match action {
        BanquetAction::Approve => "approved",
        BanquetAction::Decline => "declined",
        BanquetAction::Cancel => "cancelled",
        BanquetAction::MarkHeld => "marked held",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use BanquetAction as A;
    use BanquetStatus as S;

    #[test]
    fn a_pending_booking_is_decided_once_and_only_an_approved_one_is_held() {
        assert_eq!(next_banquet_status(S::Pending, A::Approve), Some(S::Approved));
        assert_eq!(next_banquet_status(S::Approved, A::Approve), None);
        assert_eq!(next_banquet_status(S::Declined, A::Approve), None);
        assert_eq!(next_banquet_status(S::Pending, A::MarkHeld), None);
        assert_eq!(next_banquet_status(S::Approved, A::MarkHeld), Some(S::Held));
    }

    #[test]
    fn bookings_are_cancelled_before_they_are_held_or_decided_against() {
        for s in S::ALL {
            let can = next_banquet_status(*s, A::Cancel).is_some();
            assert_eq!(can, matches!(s, S::Pending | S::Approved), "{s:?}");
        }
    }
}
