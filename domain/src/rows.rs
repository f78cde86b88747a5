//! Reading columns of any row, and rows keyed by id, for code that works
//! across entities (the workflow spine, lists that join by hand).

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, Iterable, ModelTrait, PrimaryKeyToColumn, QueryFilter, Value,
};

use crate::error::{DomainError, DomainResult};

/// An integer (id) column of a row; `None` for NULL.
pub(crate) fn int_column<M: ModelTrait>(row: &M, column: <M::Entity as EntityTrait>::Column) -> Option<i64> {
    match row.get(column) {
        Value::BigInt(v) => v,
        Value::Int(v) => v.map(i64::from),
        _ => None,
    }
}

pub(crate) fn text_column<M: ModelTrait>(row: &M, column: <M::Entity as EntityTrait>::Column) -> Option<String> {
    match row.get(column) {
        Value::String(v) => v,
        _ => None,
    }
}

/// The id column of an entity whose primary key is one integer.
fn id_column<E: EntityTrait>() -> DomainResult<E::Column> {
    E::PrimaryKey::iter()
        .next()
        .map(PrimaryKeyToColumn::into_column)
        .ok_or_else(|| DomainError::internal(format!("{} has no primary key", E::default().table_name())))
}

/// Rows keyed by their (integer) primary key.
pub(crate) fn keyed<M: ModelTrait>(rows: Vec<M>) -> DomainResult<HashMap<i64, M>> {
    let id = id_column::<M::Entity>()?;
    Ok(rows.into_iter().filter_map(|row| int_column(&row, id).map(|key| (key, row))).collect())
}

/// The rows of `E` with these ids, keyed by id, in one statement; an id with
/// no row is absent.
pub(crate) async fn by_ids<E: EntityTrait>(
    conn: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> DomainResult<HashMap<i64, E::Model>> {
    let mut ids: Vec<i64> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    keyed(E::find().filter(id_column::<E>()?.is_in(ids)).all(conn).await?)
}
