//! An order as the rules and the screens see it, and who may see what of it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::machine::{OrderCategory, OrderStatus, ReturnVisitSatisfaction};
use crate::entities::order;
use crate::error::{DomainError, DomainResult};
use crate::org::{Actor, Community, Role, Unit, UnitKind, UserSummary, authority};
use crate::pagination::Page;
use crate::privacy;
use crate::uploads::urls_from_json;
use crate::workflow::Event;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rating {
    pub stars: i32,
    pub comment: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Order {
    pub id: i64,
    pub community_id: i64,
    /// The household served (and so its grid), when the person had one at placing.
    pub household_id: Option<i64>,
    pub category: OrderCategory,
    pub title: String,
    pub description: String,
    address: Option<String>,
    contact_phone: Option<String>,
    pub photo_urls: Vec<String>,
    pub placed_by: i64,
    pub on_behalf_of: Option<i64>,
    pub assignee_id: Option<i64>,
    pub claimant_id: Option<i64>,
    pub status: OrderStatus,
    pub claim_due_at: Option<DateTime<Utc>>,
    pub complete_due_at: Option<DateTime<Utc>>,
    /// When it was last published to the pool or assigned.
    pub dispatched_at: Option<DateTime<Utc>>,
    /// When its current (or last) claim was made.
    pub claimed_at: Option<DateTime<Utc>>,
    pub completion_note: Option<String>,
    pub completion_photo_urls: Vec<String>,
    pub rating: Option<Rating>,
    /// When the deadline sweep last found a claim of it past its completion deadline.
    pub overdue_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Its way through the street and a department (吹哨报到).
    pub routing: Routing,
    /// The claimant is due at the door by then (from the claim).
    pub arrive_due_at: Option<DateTime<Utc>>,
    pub arrived_at: Option<DateTime<Utc>>,
    /// When the sweep found the claimant not at the door in time.
    pub arrival_missed_at: Option<DateTime<Utc>>,
    /// The return visit (回访) of the approved work, once made.
    pub return_visit: Option<ReturnVisit>,
}

/// The grid worker's call or visit after approval (回访).
#[derive(Clone, Debug)]
pub struct ReturnVisit {
    pub satisfaction: ReturnVisitSatisfaction,
    pub comment: Option<String>,
    pub by: Option<i64>,
    pub at: DateTime<Utc>,
}

/// An order's way through the street and a department, when it was escalated.
#[derive(Clone, Debug, Default)]
pub struct Routing {
    pub escalated_at: Option<DateTime<Utc>>,
    pub department_id: Option<i64>,
    /// What the street asked of the department, or of the community when it sent the order back.
    pub instruction: Option<String>,
    pub routed_at: Option<DateTime<Utc>>,
    /// By when the department must accept (its acceptance SLA).
    pub accept_due_at: Option<DateTime<Utc>>,
    /// By when the department must complete, as the street set it.
    pub due_at: Option<DateTime<Utc>>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub photo_urls: Vec<String>,
}

/// Contact details as one viewer may see them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contact {
    pub phone: Option<String>,
    pub address: Option<String>,
    pub masked: bool,
}

impl Order {
    /// The resident the order is for.
    pub fn beneficiary(&self) -> i64 {
        self.on_behalf_of.unwrap_or(self.placed_by)
    }

    /// Placed by this person, or for them.
    pub(crate) fn is_party(&self, user_id: i64) -> bool {
        self.placed_by == user_id || self.beneficiary() == user_id
    }

    fn is_helpers_now(&self, user_id: i64) -> bool {
        self.status.is_in_hand()
            && (self.claimant_id == Some(user_id)
                || (self.status == OrderStatus::Assigned && self.assignee_id == Some(user_id)))
    }

    /// Whether the actor can see this order at all.
    pub fn visible_to(&self, actor: &Actor) -> bool {
        let c = self.community_id;
        actor.may(&authority::ORDER, c)
            || self.is_party(actor.user_id)
            || self.claimant_id == Some(actor.user_id)
            || self.assignee_id == Some(actor.user_id)
            || (self.routing.escalated_at.is_some() && actor.has_any(c, authority::STREET))
            || self
                .routing
                .department_id
                .is_some_and(|d| actor.holds(Role::DepartmentStaff, Unit::new(UnitKind::Department, d)))
    }

    /// Full phone and address for the resident, whoever placed it, the helper
    /// while the order is in their hands, and the community's grid workers
    /// and secretaries; masked for everyone else.
    pub fn contact_for(&self, actor: &Actor) -> Contact {
        let full = self.is_party(actor.user_id)
            || self.is_helpers_now(actor.user_id)
            || actor.has_any(self.community_id, authority::STAFF);
        if full {
            Contact { phone: self.contact_phone.clone(), address: self.address.clone(), masked: false }
        } else {
            Contact {
                phone: self.contact_phone.as_deref().map(privacy::mask_phone),
                address: self.address.as_deref().map(privacy::mask_address),
                masked: true,
            }
        }
    }
}

impl TryFrom<order::Model> for Order {
    type Error = DomainError;
    fn try_from(m: order::Model) -> DomainResult<Self> {
        Ok(Self {
            id: m.id,
            community_id: m.community_id,
            household_id: m.household_id,
            category: OrderCategory::parse(&m.category)?,
            title: m.title,
            description: m.description,
            address: m.address,
            contact_phone: m.contact_phone,
            photo_urls: urls_from_json(Some(&m.photo_urls))?,
            placed_by: m.placed_by,
            on_behalf_of: m.on_behalf_of,
            assignee_id: m.assignee_id,
            claimant_id: m.claimant_id,
            status: OrderStatus::parse(&m.status)?,
            claim_due_at: m.claim_due_at,
            dispatched_at: m.dispatched_at,
            claimed_at: m.claimed_at,
            complete_due_at: m.complete_due_at,
            completion_note: m.completion_note,
            completion_photo_urls: urls_from_json(m.completion_photo_urls.as_deref())?,
            rating: m.rating_stars.map(|stars| Rating { stars, comment: m.rating_comment }),
            overdue_at: m.overdue_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
            routing: Routing {
                escalated_at: m.escalated_at,
                department_id: m.department_id,
                instruction: m.route_instruction,
                routed_at: m.routed_at,
                accept_due_at: m.accept_due_at,
                due_at: m.route_due_at,
                accepted_at: m.department_accepted_at,
                completed_at: m.department_completed_at,
                note: m.department_note,
                photo_urls: urls_from_json(m.department_photo_urls.as_deref())?,
            },
            arrive_due_at: m.arrive_due_at,
            arrived_at: m.arrived_at,
            arrival_missed_at: m.arrival_missed_at,
            return_visit: match (m.return_visit_satisfaction, m.return_visited_at) {
                (Some(s), Some(at)) => Some(ReturnVisit {
                    satisfaction: ReturnVisitSatisfaction::parse(&s)?,
                    comment: m.return_visit_comment,
                    by: m.return_visited_by,
                    at,
                }),
                _ => None,
            },
        })
    }
}

pub type OrderEvent = Event<OrderStatus>;

/// A page of orders with the people and communities they name, all read in
/// one statement (so a list costs the same however long the page).
#[derive(Clone, Debug)]
pub struct OrderPage {
    pub page: Page<Order>,
    /// Placer, on-behalf-of, assignee and claimant of every order on the page.
    pub people: HashMap<i64, UserSummary>,
    pub communities: HashMap<i64, Community>,
}

/// What a resident (or a grid worker for them) asks for.
#[derive(Clone, Debug, Serialize)]
pub struct PlaceOrder {
    pub community_id: i64,
    pub category: OrderCategory,
    pub title: String,
    pub description: String,
    pub address: Option<String>,
    pub contact_phone: Option<String>,
    pub photo_urls: Vec<String>,
    pub on_behalf_of: Option<i64>,
}

#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    pub community_id: Option<i64>,
    pub status: Option<OrderStatus>,
    pub category: Option<OrderCategory>,
    /// Placed by me or for me.
    pub mine: bool,
    pub claimed_by_me: bool,
}

/// What one overdue sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OverdueSweep {
    /// Claims that lapsed: the orders are back in the pool.
    pub returned_to_pool: usize,
    pub escalated: usize,
}

impl OverdueSweep {
    pub fn total(&self) -> usize {
        self.returned_to_pool + self.escalated
    }
}
