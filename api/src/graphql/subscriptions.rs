//! Live updates. Every subscription takes an optional `after` cursor: a
//! phone that lost its connection passes the `cursor` of the last event it
//! saw and first receives what it missed (read back from the database),
//! then live events. Events are shown as the subscriber may see them (the
//! order is read with their own view, masked as anywhere else).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Result, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};

use domain::events::{EventScope, RelayedEvent};
use domain::orders::OrderStatus;
use domain::org::authority;
use domain::workflow::Subject;
use domain::{Actor, Domain, DomainError};

use super::orders::Order;
use super::wishes::Wish;
use super::{actor, domain, gql_error, parse_id};
use crate::events::EventHub;

/// What happened to an order in the pool.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum PoolEventKind {
    /// New in the pool (published, or back after a claim lapsed).
    Opened,
    Claimed,
    Cancelled,
    /// Passed to the street (nobody claimed it in time).
    Escalated,
}

impl PoolEventKind {
    /// What an order event means to the pool; `None` for changes the pool does not show.
    fn of(event: &RelayedEvent) -> Option<Self> {
        match event.moved_to::<OrderStatus>()? {
            OrderStatus::Open => Some(Self::Opened),
            OrderStatus::Claimed => Some(Self::Claimed),
            OrderStatus::Cancelled => Some(Self::Cancelled),
            OrderStatus::Escalated => Some(Self::Escalated),
            _ => None,
        }
    }
}

#[derive(SimpleObject)]
pub struct OrderPoolEvent {
    pub kind: PoolEventKind,
    /// Pass as `after` when reconnecting to receive what came after this event.
    pub cursor: String,
    pub at: DateTime<Utc>,
    pub order: Order,
}

#[derive(SimpleObject)]
pub struct OrderUpdate {
    pub cursor: String,
    pub at: DateTime<Utc>,
    pub order: Order,
}

#[derive(SimpleObject)]
pub struct WishUpdate {
    pub cursor: String,
    pub at: DateTime<Utc>,
    pub wish: Wish,
}

#[derive(Default)]
pub struct Subscription;

#[Subscription]
impl Subscription {
    /// The community's live order pool, as members' phones show it. For
    /// party members, volunteers, grid workers and secretaries of the community.
    async fn order_pool_events<'ctx>(
        &self,
        ctx: &Context<'ctx>,
        community_id: ID,
        after: Option<String>,
    ) -> Result<impl Stream<Item = OrderPoolEvent> + 'ctx> {
        let actor = actor(ctx).await?.clone();
        let community = parse_id(&community_id, "community")?;
        if !actor.may(&authority::ORDER_POOL_EVENTS, community) {
            return Err(gql_error(authority::ORDER_POOL_EVENTS.refused()));
        }
        let feed = Feed::start(ctx, EventScope::Community(community), after).await?;
        Ok(feed.map_batches(actor, |domain, actor, events| async move {
            let events = events.into_iter().filter(|e| PoolEventKind::of(e).is_some()).collect();
            with_orders(domain, actor, events)
                .await
                .into_iter()
                .filter_map(|(e, order)| {
                    Some(OrderPoolEvent { kind: PoolEventKind::of(&e)?, cursor: e.seq.to_string(), at: e.at, order })
                })
                .collect()
        }))
    }

    /// Every change to orders I placed, that were placed for me, or that I
    /// was assigned or claimed (care requests included).
    async fn my_order_updates<'ctx>(
        &self,
        ctx: &Context<'ctx>,
        after: Option<String>,
    ) -> Result<impl Stream<Item = OrderUpdate> + 'ctx> {
        let actor = actor(ctx).await?.clone();
        let feed = Feed::start(ctx, EventScope::Person(actor.user_id), after).await?;
        Ok(feed.map_batches(actor, |domain, actor, events| async move {
            with_orders(domain, actor, events)
                .await
                .into_iter()
                .map(|(e, order)| OrderUpdate { cursor: e.seq.to_string(), at: e.at, order })
                .collect()
        }))
    }

    /// Every change to wishes I made, that were made for me, or that I claimed.
    async fn my_wish_updates<'ctx>(
        &self,
        ctx: &Context<'ctx>,
        after: Option<String>,
    ) -> Result<impl Stream<Item = WishUpdate> + 'ctx> {
        let actor = actor(ctx).await?.clone();
        let feed = Feed::start(ctx, EventScope::Person(actor.user_id), after).await?;
        Ok(feed.map_batches(actor, |domain, actor, events| async move {
            let mut updates = Vec::new();
            for e in events.into_iter().filter(|e| e.is_about(Subject::Wish)) {
                if let Ok(wish) = domain.wishes().get(&actor, e.subject_id).await {
                    updates.push(WishUpdate { cursor: e.seq.to_string(), at: e.at, wish: Wish(wish) });
                }
            }
            updates
        }))
    }
}

/// The order events among `events`, each with its order as the actor may
/// see it now. Events whose order the actor may not see (or that cannot be
/// read) are left out: the subscriber misses those events' details rather
/// than the connection.
async fn with_orders(domain: Domain, actor: Actor, events: Vec<RelayedEvent>) -> Vec<(RelayedEvent, Order)> {
    let events: Vec<RelayedEvent> = events.into_iter().filter(|e| e.is_about(Subject::Order)).collect();
    if events.is_empty() {
        return Vec::new();
    }
    let ids: Vec<i64> = events.iter().map(|e| e.subject_id).collect();
    let orders = domain.orders().visible_to(&actor, &ids).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "a live feed could not read its orders");
        HashMap::new()
    });
    events
        .into_iter()
        .filter_map(|e| {
            let order = orders.get(&e.subject_id).cloned().map(Order)?;
            Some((e, order))
        })
        .collect()
}

/// One subscriber's events in cursor order, each once: first what it missed
/// (from the database), then live ones from the node's hub. A subscriber
/// that falls behind the hub reads the gap back from the database.
struct Feed {
    domain: Domain,
    scope: EventScope,
    live: broadcast::Receiver<Arc<RelayedEvent>>,
    backlog: VecDeque<RelayedEvent>,
    /// Whether the database may hold more than the backlog (reading back in pages).
    catching_up: bool,
    last: i64,
}

const PAGE: u64 = 200;
const BATCH: usize = 100;

impl Feed {
    async fn start(ctx: &Context<'_>, scope: EventScope, after: Option<String>) -> Result<Self> {
        let hub = ctx.data_unchecked::<Arc<EventHub>>();
        let live = hub.subscribe();
        let last = match after {
            Some(cursor) => cursor.trim().parse::<i64>().map_err(|_| {
                gql_error(DomainError::bad_input("after", "pass the `cursor` of the last event you received"))
            })?,
            None => hub.last_seq(),
        };
        let catching_up = last < hub.last_seq();
        Ok(Self { domain: domain(ctx).clone(), scope, live, backlog: VecDeque::new(), catching_up, last })
    }

    async fn next(&mut self) -> Option<RelayedEvent> {
        loop {
            if let Some(event) = self.backlog.pop_front() {
                if event.seq > self.last {
                    self.last = event.seq;
                    return Some(event);
                }
                continue;
            }
            if self.catching_up {
                match self.domain.events().since(self.last, self.scope, PAGE).await {
                    Ok(events) => {
                        self.catching_up = events.len() as u64 == PAGE;
                        self.backlog.extend(events);
                        continue;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "a subscription could not read missed events");
                        return None;
                    }
                }
            }
            match self.live.recv().await {
                Ok(event) if event.seq > self.last && event.concerns(self.scope) => {
                    self.last = event.seq;
                    return Some((*event).clone());
                }
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => self.catching_up = true,
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// The next event if one is already waiting (no database read, no wait).
    fn ready(&mut self) -> Option<RelayedEvent> {
        while let Some(event) = self.backlog.pop_front() {
            if event.seq > self.last {
                self.last = event.seq;
                return Some(event);
            }
        }
        if self.catching_up {
            return None;
        }
        loop {
            match self.live.try_recv() {
                Ok(event) if event.seq > self.last && event.concerns(self.scope) => {
                    self.last = event.seq;
                    return Some((*event).clone());
                }
                Ok(_) => {}
                Err(TryRecvError::Lagged(_)) => {
                    self.catching_up = true;
                    return None;
                }
                Err(TryRecvError::Empty | TryRecvError::Closed) => return None,
            }
        }
    }

    /// The feed as a stream of what `show` makes of each batch: the next
    /// event with every event already waiting behind it (up to `BATCH`), so
    /// a busy feed reads its orders in one statement per batch, not one per event.
    /// The feed in batches, each turned by `show` into what `actor` sees of it.
    fn map_batches<T, F, Fut>(self, actor: Actor, show: F) -> impl Stream<Item = T>
    where
        F: Fn(Domain, Actor, Vec<RelayedEvent>) -> Fut,
        Fut: Future<Output = Vec<T>>,
    {
        futures_util::stream::unfold((self, show, VecDeque::new()), move |(mut feed, show, mut shown)| {
            let actor = actor.clone();
            async move {
                loop {
                    if let Some(item) = shown.pop_front() {
                        return Some((item, (feed, show, shown)));
                    }
                    let mut batch = vec![feed.next().await?];
                    while batch.len() < BATCH
                        && let Some(event) = feed.ready()
                    {
                        batch.push(event);
                    }
                    shown.extend(show(feed.domain.clone(), actor.clone(), batch).await);
                }
            }
        })
    }
}
