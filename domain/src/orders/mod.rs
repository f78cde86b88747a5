//! Service orders: a resident orders (点单), the community dispatches (派单),
//! a party member or volunteer claims (接单) and completes (办结), the
//! secretary approves (审定), the resident rates (评单). What the community
//! cannot solve goes to the street, which routes it to a department
//! ([`street`]: 吹哨报到).
//!
//! The state machine is in [`machine`]; every step runs on the workflow
//! spine (`kind.rs` declares where an order keeps its status and holder,
//! and what follows a step). Care requests are orders too: their
//! [`policy`](policy::OrderPolicy) sets their deadlines and what must be
//! done before completing, and the order machine consults it.

mod export;
mod kind;
mod machine;
mod model;
mod policy;
mod pushes;
mod queries;
mod return_visits;
mod service;
mod stats;
mod street;
mod sweeps;
mod timing;

pub(crate) use kind::OrderStep;
pub use machine::{OrderAction, OrderCategory, OrderStatus, ReturnVisitSatisfaction, next_status};
pub use model::{
    Contact, Order, OrderEvent, OrderFilter, OrderPage, OverdueSweep, PlaceOrder, Rating, ReturnVisit, Routing,
};
pub use policy::CareKind;
pub use stats::{DepartmentFigures, ServiceStats, Spread, StatsScope, Target};
pub use street::{Department, InformationRequest, Street};
pub use timing::{CareSettings, Deadlines};

crate::area_service!(
    /// Orders: placing, dispatching, claiming, completing, approving, rating;
    /// the lists; the deadline sweeps.
    Orders
);
