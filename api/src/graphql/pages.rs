//! Paged reads: how one starts (who asks, which page), and a page as a GraphQL
//! connection with its total count.

use async_graphql::{Context, Result, SimpleObject};
use domain::Actor;
use domain::pagination::PageRequest;

use super::{OrGql, actor};

/// Extra fields on every connection.
#[derive(SimpleObject)]
pub struct Counted {
    pub total_count: u64,
}

pub(crate) fn page_to_connection<T, N: async_graphql::OutputType>(
    page: domain::pagination::Page<T>,
    id_of: impl Fn(&T) -> i64,
    wrap: impl Fn(T) -> N,
) -> async_graphql::connection::Connection<String, N, Counted> {
    use async_graphql::connection::{Connection, Edge};
    let mut connection = Connection::with_additional_fields(
        page.has_previous_page,
        page.has_next_page,
        Counted { total_count: page.total_count },
    );
    connection.edges.extend(
        page.items.into_iter().map(|item| Edge::new(domain::pagination::encode_cursor(id_of(&item)), wrap(item))),
    );
    connection
}

/// How a paged read starts: who is asking, and which page (`first` is 1–100,
/// default 20; `after` is a cursor from an earlier page).
pub(crate) async fn actor_and_page<'a>(
    ctx: &Context<'a>,
    first: Option<i32>,
    after: Option<&str>,
) -> Result<(&'a Actor, PageRequest)> {
    let actor = actor(ctx).await?;
    Ok((actor, PageRequest::new(first, after).gql()?))
}
