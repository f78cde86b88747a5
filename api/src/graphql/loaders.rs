//! Per-request batch loaders: nested people, communities and histories load
//! in one statement each, however long the page. Created fresh for every
//! request, so no cache is shared between users.

use std::collections::HashMap;

use async_graphql::Error;
use async_graphql::dataloader::{DataLoader, Loader};

use domain::Domain;
use domain::orders::OrderEvent;
use domain::org::Community;
use domain::wishes::WishEvent;

use super::gql_error;
use super::types::Person;

pub struct PersonLoader(Domain);
pub struct CommunityLoader(Domain);
pub struct OrderHistoryLoader(Domain);
pub struct WishHistoryLoader(Domain);

impl Loader<i64> for PersonLoader {
    type Value = Person;
    type Error = Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Person>, Error> {
        let found = self.0.user_summaries(keys).await.map_err(gql_error)?;
        Ok(found.into_iter().map(|(id, u)| (id, u.into())).collect())
    }
}

impl Loader<i64> for CommunityLoader {
    type Value = Community;
    type Error = Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Community>, Error> {
        self.0.communities(keys).await.map_err(gql_error)
    }
}

impl Loader<i64> for OrderHistoryLoader {
    type Value = Vec<OrderEvent>;
    type Error = Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Vec<OrderEvent>>, Error> {
        self.0.order_histories(keys).await.map_err(gql_error)
    }
}

impl Loader<i64> for WishHistoryLoader {
    type Value = Vec<WishEvent>;
    type Error = Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Vec<WishEvent>>, Error> {
        self.0.wish_histories(keys).await.map_err(gql_error)
    }
}

/// Fresh loaders for one request.
pub fn with_request_loaders(request: async_graphql::Request, domain: &Domain) -> async_graphql::Request {
    request
        .data(DataLoader::new(PersonLoader(domain.clone()), tokio::spawn))
        .data(DataLoader::new(CommunityLoader(domain.clone()), tokio::spawn))
        .data(DataLoader::new(OrderHistoryLoader(domain.clone()), tokio::spawn))
        .data(DataLoader::new(WishHistoryLoader(domain.clone()), tokio::spawn))
}

/// The same loaders for a WebSocket connection (they do not cache, so a
/// long-lived connection never shows stale names).
pub fn connection_loaders(domain: &Domain) -> async_graphql::Data {
    let mut data = async_graphql::Data::default();
    data.insert(DataLoader::new(PersonLoader(domain.clone()), tokio::spawn));
    data.insert(DataLoader::new(CommunityLoader(domain.clone()), tokio::spawn));
    data.insert(DataLoader::new(OrderHistoryLoader(domain.clone()), tokio::spawn));
    data.insert(DataLoader::new(WishHistoryLoader(domain.clone()), tokio::spawn));
    data
}
