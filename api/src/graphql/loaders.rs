//! Per-request batch loaders: nested people, communities and histories load
//! in one statement each, however long the page. Created fresh for every
//! request, so no cache is shared between users. People and communities
//! keep a per-request cache that list resolvers fill from the rows they
//! already read (an order page joins its people and community), so nested
//! fields cost no statement at all.

use std::collections::HashMap;

use async_graphql::Error;
use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};

use domain::Domain;
use domain::orders::OrderEvent;
use domain::org::{Community, UserSummary};
use domain::wishes::WishEvent;

use super::gql_error;

/// The request's people, cached for the request.
pub type People = DataLoader<PersonLoader, HashMapCache>;
/// The request's communities, cached for the request.
pub type Communities = DataLoader<CommunityLoader, HashMapCache>;

/// One order's history and the people who acted in it (read in the same statement).
#[derive(Clone, Default)]
pub struct OrderHistory {
    pub events: Vec<OrderEvent>,
    pub actors: Vec<(i64, UserSummary)>,
}

pub struct PersonLoader(Domain);
pub struct CommunityLoader(Domain);
pub struct OrderHistoryLoader(Domain);
pub struct WishHistoryLoader(Domain);

impl Loader<i64> for PersonLoader {
    type Value = UserSummary;
    type Error = Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, UserSummary>, Error> {
        self.0.org().user_summaries(keys).await.map_err(gql_error)
    }
}

impl Loader<i64> for CommunityLoader {
    type Value = Community;
    type Error = Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Community>, Error> {
        self.0.org().communities(keys).await.map_err(gql_error)
    }
}

impl Loader<i64> for OrderHistoryLoader {
    type Value = OrderHistory;
    type Error = Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, OrderHistory>, Error> {
        let (histories, actors) = self.0.orders().histories_with_actors(keys).await.map_err(gql_error)?;
        Ok(histories
            .into_iter()
            .map(|(id, events)| {
                let mut people: Vec<(i64, UserSummary)> = Vec::new();
                for actor in events.iter().filter_map(|e| e.actor_id) {
                    if let Some(u) = actors.get(&actor)
                        && !people.iter().any(|(seen, _)| *seen == actor)
                    {
                        people.push((actor, u.clone()));
                    }
                }
                (id, OrderHistory { events, actors: people })
            })
            .collect())
    }
}

impl Loader<i64> for WishHistoryLoader {
    type Value = Vec<WishEvent>;
    type Error = Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Vec<WishEvent>>, Error> {
        self.0.wishes().histories(keys).await.map_err(gql_error)
    }
}

/// Fresh loaders for one request.
pub fn with_request_loaders(request: async_graphql::Request, domain: &Domain) -> async_graphql::Request {
    request
        .data(DataLoader::with_cache(PersonLoader(domain.clone()), tokio::spawn, HashMapCache::default()))
        .data(DataLoader::with_cache(CommunityLoader(domain.clone()), tokio::spawn, HashMapCache::default()))
        .data(DataLoader::new(OrderHistoryLoader(domain.clone()), tokio::spawn))
        .data(DataLoader::new(WishHistoryLoader(domain.clone()), tokio::spawn))
}

/// The same loaders for a WebSocket connection, with their caches off so a
/// long-lived connection never shows stale names.
pub fn connection_loaders(domain: &Domain) -> async_graphql::Data {
    let mut data = async_graphql::Data::default();
    let people = DataLoader::with_cache(PersonLoader(domain.clone()), tokio::spawn, HashMapCache::default());
    people.enable_all_cache(false);
    let communities = DataLoader::with_cache(CommunityLoader(domain.clone()), tokio::spawn, HashMapCache::default());
    communities.enable_all_cache(false);
    data.insert(people);
    data.insert(communities);
    data.insert(DataLoader::new(OrderHistoryLoader(domain.clone()), tokio::spawn));
    data.insert(DataLoader::new(WishHistoryLoader(domain.clone()), tokio::spawn));
    data
}
