//! Who a kind's events concern, read from its declared people columns.

use std::collections::HashMap;

use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait};

use super::kind::Kind;
use crate::error::DomainResult;

/// The people each of `ids` concerns (placer, beneficiary, holder, …), in
/// one statement.
pub(crate) async fn people_of<K: Kind, C: ConnectionTrait>(
    conn: &C,
    ids: &[i64],
) -> DomainResult<HashMap<i64, Vec<i64>>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let query = Query::select()
        .column(K::ID)
        .columns(K::PEOPLE.iter().copied())
        .from(K::Entity::default())
        .and_where(K::ID.is_in(ids.iter().copied()))
        .to_owned();
    let mut people = HashMap::new();
    for row in conn.query_all(&query).await? {
        let id: i64 = row.try_get_by_index(0)?;
        let mut who = Vec::with_capacity(K::PEOPLE.len());
        for i in 1..=K::PEOPLE.len() {
            who.extend(row.try_get_by_index::<Option<i64>>(i)?);
        }
        people.insert(id, who);
    }
    Ok(people)
}

/// The ids of the rows that concern `person`, as a subquery.
pub(crate) fn concerning<K: Kind>(person: i64) -> SelectStatement {
    let any = K::PEOPLE.iter().fold(Condition::any(), |c, column| c.add(column.eq(person)));
    Query::select().column(K::ID).from(K::Entity::default()).cond_where(any).to_owned()
}
