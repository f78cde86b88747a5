//! Background sweeps: orders nobody claimed in time, routed orders a
//! department did not accept in time or is overdue on, claims past their
//! deadline (orders and wishes, per the community's overdue policy), late
//! love lunchboxes, unclaimed urgent care, the erasure of health notes after consent is
//! withdrawn, and the monthly close of dedication points. Every sweep is a
//! guarded, keyed change in the domain, so several nodes sweeping at once
//! still act exactly once.

use std::time::Duration;

use domain::Domain;
use domain::points::Month;

pub fn spawn_sweeper(domain: Domain, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(crate::metrics::background(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut closed: Option<Month> = None;
        loop {
            ticker.tick().await;
            match domain.supermarket().expire_redemptions().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(voided = n, "expired redemptions voided; points and goods released"),
                Err(e) => tracing::warn!(error = %e, "redemption expiry sweep failed"),
            }
            match domain.orders().escalate_unclaimed().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(escalated = n, "orders unclaimed past their claim deadline escalated"),
                Err(e) => tracing::warn!(error = %e, "unclaimed order sweep failed"),
            }
            match domain.orders().mark_arrivals_missed().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(late = n, "claims whose helper was not at the door in time marked"),
                Err(e) => tracing::warn!(error = %e, "missed arrival sweep failed"),
            }
            match domain.orders().return_unaccepted().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(returned = n, "routed orders not accepted in time returned to the street"),
                Err(e) => tracing::warn!(error = %e, "unaccepted routed order sweep failed"),
            }
            match domain.orders().alert_departments_overdue().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(alerted = n, "departments past their due date reported to the county"),
                Err(e) => tracing::warn!(error = %e, "department overdue sweep failed"),
            }
            match domain.orders().sweep_overdue().await {
                Ok(s) if s.total() == 0 => {}
                Ok(s) => tracing::info!(
                    returned_to_pool = s.returned_to_pool,
                    escalated = s.escalated,
                    "claimed orders past their completion deadline marked overdue"
                ),
                Err(e) => tracing::warn!(error = %e, "overdue order sweep failed"),
            }
            match domain.wishes().expire_claims().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(lapsed = n, "wish claims past their deadline lapsed (per the overdue policy)"),
                Err(e) => tracing::warn!(error = %e, "wish claim sweep failed"),
            }
            match domain.care().escalate_unclaimed().await {
                Ok(ids) if ids.is_empty() => {}
                Ok(ids) => tracing::warn!(requests = ?ids, "urgent care requests unclaimed in time: secretary alerted"),
                Err(e) => tracing::warn!(error = %e, "urgent care sweep failed"),
            }
            match domain.care().erase_withdrawn_health_notes().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(erased = n, "health notes erased after consent was withdrawn"),
                Err(e) => tracing::warn!(error = %e, "health note erasure sweep failed"),
            }
            match domain.lunchbox().alert_undelivered().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(alerted = n, "late love lunchboxes reported to grid workers and secretaries"),
                Err(e) => tracing::warn!(error = %e, "lunchbox alert sweep failed"),
            }
            let last_month = Month::of(domain.clock.now()).previous();
            if closed != Some(last_month) {
                match domain.points().close_months_everywhere(last_month).await {
                    Ok(n) => {
                        tracing::info!(month = %last_month, entries = n, "dedication month closed");
                        closed = Some(last_month);
                    }
                    Err(e) => tracing::warn!(error = %e, "dedication month close failed"),
                }
            }
        }
    }))
}
