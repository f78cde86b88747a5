//! Paged lists as GraphQL connections, with their total count.

use async_graphql::SimpleObject;

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
