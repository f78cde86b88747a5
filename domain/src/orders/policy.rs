//! How what an order is for bends the order rules. The state machine is the
//! same for every order; the policy says how long helpers have, what must
//! be done before the work can be reported done, and which deadline path
//! an unclaimed order takes.
//!
//! A plain order follows its category's deadlines. A care request (an order
//! with a care record beside it) follows its care kind: meal delivery must
//! be finished within two hours, cash help cannot be reported done until
//! the hand-over is recorded and confirmed, and an urgent request (a
//! wristband alarm, say) opens to helpers at once, must be claimed within
//! minutes, and when nobody claims it in time the secretaries are alerted
//! while it stays open for helpers.

use chrono::Duration;
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait};

use super::machine::OrderCategory;
use super::timing::{CareSettings, Deadlines};
use crate::entities::care_request;
use crate::error::{DomainError, DomainResult};

crate::string_enum!(CareKind {
    MealDelivery,
    /// Help drawing cash at the proxy bank counter.
    CashHelp,
    MedicalEscort,
    HomeRepair,
    Companionship,
    HealthCheck,
    /// Raised by a wristband.
    Alarm,
    Other,
});

impl CareKind {
    /// The order category a care request of this kind is filed under.
    pub(crate) fn category(self) -> OrderCategory {
        match self {
            CareKind::HomeRepair => OrderCategory::Repair,
            CareKind::HealthCheck | CareKind::MedicalEscort => OrderCategory::Health,
            _ => OrderCategory::ElderlyCare,
        }
    }

    /// How long helpers have to claim, then to finish.
    pub(crate) fn windows(self, urgent: bool, s: &CareSettings) -> (Duration, Duration) {
        let claim = if urgent { Duration::minutes(s.urgent_claim_minutes) } else { Duration::minutes(30) };
        let finish = match self {
            CareKind::Alarm => Duration::hours(1),
            CareKind::MealDelivery => Duration::hours(2),
            CareKind::CashHelp | CareKind::MedicalEscort => Duration::hours(24),
            CareKind::HomeRepair => Duration::hours(48),
            CareKind::Companionship | CareKind::HealthCheck | CareKind::Other => Duration::hours(72),
        };
        (claim, if urgent { std::cmp::min(finish, Duration::hours(4)) } else { finish })
    }

    /// What the notices call it.
    pub(crate) fn label(self) -> &'static str {
        match self {
            CareKind::MealDelivery => "送餐",
            CareKind::CashHelp => "代取现金",
            CareKind::MedicalEscort => "陪同就医",
            CareKind::HomeRepair => "上门维修",
            CareKind::Companionship => "陪伴聊天",
            CareKind::HealthCheck => "健康检查",
            CareKind::Alarm => "手环报警",
            CareKind::Other => "其他照护",
        }
    }
}

/// The rules one order follows beyond the state machine.
#[derive(Clone, Debug)]
pub(crate) struct OrderPolicy {
    category: OrderCategory,
    care: Option<CarePolicy>,
}

#[derive(Clone, Debug)]
struct CarePolicy {
    kind: CareKind,
    urgent: bool,
    /// Cash help whose hand-over is not yet both recorded and confirmed.
    cash_pending: bool,
}

impl OrderPolicy {
    /// The policy of order `id` (of `category`), read through `conn`.
    pub(crate) async fn of<C: ConnectionTrait>(conn: &C, id: i64, category: OrderCategory) -> DomainResult<Self> {
        let care = match care_request::Entity::find_by_id(id).one(conn).await? {
            None => None,
            Some(row) => Some(CarePolicy {
                kind: CareKind::parse(&row.kind)?,
                urgent: row.urgent,
                cash_pending: row.cash_amount_fen.is_some()
                    && (row.cash_handed_at.is_none() || row.cash_confirmed_at.is_none()),
            }),
        };
        Ok(Self { category, care })
    }

    /// How long helpers have to claim, then to finish.
    pub(crate) fn windows(&self, d: &Deadlines, care_settings: &CareSettings) -> (Duration, Duration) {
        match &self.care {
            Some(care) => care.kind.windows(care.urgent, care_settings),
            None => (d.claim_window(self.category), d.complete_window(self.category)),
        }
    }

    /// How long the helper has from the claim to the door: care requests as
    /// elderly care (urgent ones as quickly as they must be claimed).
    pub(crate) fn arrive_window(&self, d: &Deadlines, care_settings: &CareSettings) -> Duration {
        match &self.care {
            Some(care) if care.urgent => Duration::minutes(care_settings.urgent_claim_minutes.max(1) * 2),
            Some(_) => d.arrive_window(OrderCategory::ElderlyCare),
            None => d.arrive_window(self.category),
        }
    }

    /// Whether the work may be reported done now.
    pub(crate) fn check_complete(&self) -> DomainResult<()> {
        if self.care.as_ref().is_some_and(|c| c.cash_pending) {
            return Err(DomainError::invalid_state(
                "record the cash hand-over with its receipt, and have the elder or a witness confirm it, before completing",
            ));
        }
        Ok(())
    }

    /// Why a full phone or address of the order was shown, for the access log.
    pub(crate) fn access_purpose(&self) -> &'static str {
        if self.care.is_some() { "CARE_REQUEST" } else { "ORDER" }
    }
}

/// The orders whose missed claim deadline takes the urgent path (alert the
/// secretaries, stay open) instead of escalating to the street.
pub(crate) fn urgent_care_ids() -> SelectStatement {
    Query::select()
        .column(care_request::Column::OrderId)
        .from(care_request::Entity)
        .and_where(care_request::Column::Urgent.eq(true))
        .to_owned()
}
