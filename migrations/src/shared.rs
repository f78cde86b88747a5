//! Shorthands shared by the migrations: column kinds, tables (the
//! per-community settings row, the record of a workflow's transitions),
//! foreign keys, indexes, and dropping a migration's tables.
//!
//! Migrations that have run on a database must keep producing the same SQL,
//! so each shorthand spells out exactly what the migrations wrote by hand
//! before (the same types, null-ness and order of attributes); change what one
//! produces only together with a new migration.

use sea_orm_migration::prelude::*;

use crate::m20261123_000001_create_org::{Communities, Users};

// Columns.

/// The auto-incrementing `BIGINT` primary key.
pub fn id<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().auto_increment().primary_key().take()
}

/// A `BIGINT` row id (of this database or of another system), required.
pub fn fk<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().take()
}

/// A `BIGINT` row id, optional.
pub fn fk_null<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).big_integer().null().take()
}

/// A `BIGINT` quantity (money in fen, points), required.
pub fn big<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().take()
}

/// A `BIGINT` quantity, optional.
pub fn big_null<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).big_integer().null().take()
}

/// An `INTEGER`, required.
pub fn int<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).integer().not_null().take()
}

/// An `INTEGER`, optional.
pub fn int_null<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).integer().null().take()
}

/// A short string (`VARCHAR`), required.
pub fn text<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).string().not_null().take()
}

/// A short string (`VARCHAR`), optional.
pub fn text_null<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).string().null().take()
}

/// Free or JSON text (`TEXT`), required.
pub fn long_text<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).text().not_null().take()
}

/// Free or JSON text (`TEXT`), optional.
pub fn long_text_null<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).text().null().take()
}

/// A yes/no, required.
pub fn flag<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).boolean().not_null().take()
}

/// A calendar day, required.
pub fn date<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).date().not_null().take()
}

/// A moment (with time zone), required.
pub fn time<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).timestamp_with_time_zone().not_null().take()
}

/// A moment (with time zone), optional.
pub fn time_null<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).timestamp_with_time_zone().null().take()
}

// Tables.

/// The statement creating the table `name`, to add columns and keys to.
pub fn table(name: impl IntoIden) -> TableCreateStatement {
    Table::create().table(name).take()
}

/// The columns every per-community settings table has besides its settings.
#[derive(DeriveIden)]
pub enum SettingsColumns {
    CommunityId,
    UpdatedBy,
    UpdatedAt,
}

/// A community's one row of settings: the community's id as the primary key,
/// the settings themselves, and who changed them last, when.
pub fn settings_table(name: impl IntoIden, settings: ColumnDef) -> TableCreateStatement {
    table(name)
        .col(ColumnDef::new(SettingsColumns::CommunityId).big_integer().not_null().primary_key())
        .col(settings)
        .col(fk(SettingsColumns::UpdatedBy))
        .col(time(SettingsColumns::UpdatedAt))
        .take()
}

/// The columns every record of a workflow's transitions has after those naming its subject.
#[derive(DeriveIden)]
pub enum TransitionColumns {
    CommunityId,
    ActorId,
    FromStatus,
    ToStatus,
    Note,
    At,
}

/// A record of a workflow's transitions, a row each: the columns naming the
/// subject, then the community, who acted (`actor`, a [`TransitionColumns::ActorId`]),
/// the status before (none for the first) and after, a note, and when.
pub fn transitions_table(
    name: impl IntoIden,
    subject: impl IntoIterator<Item = ColumnDef>,
    actor: ColumnDef,
) -> TableCreateStatement {
    let mut statement = table(name);
    for column in subject {
        statement.col(column);
    }
    statement
        .col(fk(TransitionColumns::CommunityId))
        .col(actor)
        .col(text_null(TransitionColumns::FromStatus))
        .col(text(TransitionColumns::ToStatus))
        .col(long_text_null(TransitionColumns::Note))
        .col(time(TransitionColumns::At))
        .take()
}

/// Drops a migration's tables, in the order given (dependents first).
pub async fn drop_tables(m: &SchemaManager<'_>, tables: impl IntoIterator<Item = DynIden>) -> Result<(), DbErr> {
    for name in tables {
        m.drop_table(Table::drop().table(name).take()).await?;
    }
    Ok(())
}

// Foreign keys (unnamed, without actions, unless the caller adds them).

/// `from_table.from_col` references `to_table.to_col`.
pub fn reference(
    from_table: impl IntoIden,
    from_col: impl IntoIden,
    to_table: impl IntoIden,
    to_col: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(from_table, from_col).to(to_table, to_col).take()
}

/// `table.col` references a user.
pub fn to_users(table: impl IntoIden, col: impl IntoIden) -> ForeignKeyCreateStatement {
    reference(table, col, Users::Table, Users::Id)
}

/// `table.col` references a community.
pub fn to_communities(table: impl IntoIden, col: impl IntoIden) -> ForeignKeyCreateStatement {
    reference(table, col, Communities::Table, Communities::Id)
}

// Indexes.

/// The index `name` on `table`'s `cols`, in that order.
pub fn index<C: IntoIden>(name: &str, table: impl IntoIden, cols: impl IntoIterator<Item = C>) -> IndexCreateStatement {
    let mut index = Index::create().name(name).table(table).take();
    for col in cols {
        index.col(col);
    }
    index
}

/// The unique index `name` on `table`'s `cols`, in that order.
pub fn unique_index<C: IntoIden>(
    name: &str,
    table: impl IntoIden,
    cols: impl IntoIterator<Item = C>,
) -> IndexCreateStatement {
    index(name, table, cols).unique().take()
}
