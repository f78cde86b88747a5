//! A wristband alarm's location gets its own column on the care request.
//! Alarms used to write it into the order's description and history notes,
//! which every helper in the pool reads; the location is moved out of those
//! texts here, so it is shown only through the masked, logged field.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, TransactionTrait};

use crate::shared::text_null;

#[derive(DeriveIden)]
enum CareRequests {
    Table,
    OrderId,
    Kind,
    /// The latest alarm's location as the device platform reported it (address, coordinates).
    AlarmLocation,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    Description,
}

#[derive(DeriveIden)]
enum WorkflowEvents {
    Table,
    Id,
    SubjectKind,
    SubjectId,
    Note,
}

/// What alarms wrote before the location: `…：SOS求助，位置：<location>`.
const MARK: &str = "，位置：";

/// `(text without the location, the location)`.
fn split(text: &str) -> Option<(String, String)> {
    let at = text.find(MARK)?;
    let location = text[at + MARK.len()..].trim();
    Some((text[..at].to_owned(), location.to_owned()))
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(CareRequests::Table).add_column(text_null(CareRequests::AlarmLocation)).to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let txn = db.begin().await?;
        let alarms = Query::select()
            .column((Orders::Table, Orders::Id))
            .column((Orders::Table, Orders::Description))
            .from(Orders::Table)
            .inner_join(
                CareRequests::Table,
                Expr::col((CareRequests::Table, CareRequests::OrderId)).equals((Orders::Table, Orders::Id)),
            )
            .and_where(Expr::col((CareRequests::Table, CareRequests::Kind)).eq("ALARM"))
            .and_where(Expr::col((Orders::Table, Orders::Description)).like(format!("%{MARK}%")))
            .to_owned();
        for row in txn.query_all(&alarms).await? {
            let id: i64 = row.try_get("", "id")?;
            let description: String = row.try_get("", "description")?;
            let Some((kept, location)) = split(&description) else { continue };
            txn.execute(
                &Query::update()
                    .table(Orders::Table)
                    .value(Orders::Description, kept)
                    .and_where(Expr::col(Orders::Id).eq(id))
                    .to_owned(),
            )
            .await?;
            txn.execute(
                &Query::update()
                    .table(CareRequests::Table)
                    .value(CareRequests::AlarmLocation, location)
                    .and_where(Expr::col(CareRequests::OrderId).eq(id))
                    .and_where(Expr::col(CareRequests::AlarmLocation).is_null())
                    .to_owned(),
            )
            .await?;
        }
        let alarm_ids = Query::select()
            .column(CareRequests::OrderId)
            .from(CareRequests::Table)
            .and_where(Expr::col(CareRequests::Kind).eq("ALARM"))
            .to_owned();
        let notes = Query::select()
            .columns([WorkflowEvents::Id, WorkflowEvents::Note])
            .from(WorkflowEvents::Table)
            .and_where(Expr::col(WorkflowEvents::SubjectKind).eq("ORDER"))
            .and_where(Expr::col(WorkflowEvents::SubjectId).in_subquery(alarm_ids))
            .and_where(Expr::col(WorkflowEvents::Note).like(format!("%{MARK}%")))
            .to_owned();
        for row in txn.query_all(&notes).await? {
            let id: i64 = row.try_get("", "id")?;
            let note: String = row.try_get("", "note")?;
            let Some((kept, _)) = split(&note) else { continue };
            txn.execute(
                &Query::update()
                    .table(WorkflowEvents::Table)
                    .value(WorkflowEvents::Note, kept)
                    .and_where(Expr::col(WorkflowEvents::Id).eq(id))
                    .to_owned(),
            )
            .await?;
        }
        txn.commit().await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The texts are not rebuilt: the location stays out of the description.
        manager
            .alter_table(Table::alter().table(CareRequests::Table).drop_column(CareRequests::AlarmLocation).to_owned())
            .await
    }
}
