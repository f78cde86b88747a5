//! Databases for tests. The schema is migrated (and the demo street seeded)
//! once per run into a template; every test starts on its own copy of it: a
//! copy of the file on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL.
//! The server's own start-up then finds nothing to migrate or seed.

use std::path::Path;
use std::sync::Arc;

use chrono::Utc;
use domain::{Domain, ManualClock, Settings};
use migrations::MigratorTrait;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use tokio::sync::OnceCell;

/// Which template a test starts from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Migrated and seeded with the demo street (development servers).
    Demo,
    /// Migrated only (production servers seed nothing).
    Empty,
}

/// The database URL for one test's server, whose data lives in `data_dir`.
pub async fn database_for_test(data_dir: &Path, start: Start) -> String {
    match std::env::var("LINLI_TEST_DATABASE_URL") {
        Ok(server) if !server.is_empty() => postgres_copy(&server, start).await,
        _ => sqlite_copy(data_dir, start).await,
    }
}

async fn prepare(db: &DatabaseConnection, start: Start) {
    migrations::Migrator::up(db, None).await.expect("the migrations should run on the template");
    if start == Start::Demo {
        let domain = Domain::new(db.clone(), Arc::new(ManualClock::new(Utc::now())), Settings::default());
        domain.seed_demo().await.expect("the demo street should seed the template");
    }
}

// --- SQLite: the template is a file's bytes, written into each test's directory.

static SQLITE_DEMO: OnceCell<Vec<u8>> = OnceCell::const_new();
static SQLITE_EMPTY: OnceCell<Vec<u8>> = OnceCell::const_new();

async fn sqlite_copy(data_dir: &Path, start: Start) -> String {
    let cell = if start == Start::Demo { &SQLITE_DEMO } else { &SQLITE_EMPTY };
    let bytes = cell.get_or_init(|| sqlite_template(start)).await;
    let file = data_dir.join("linli.db");
    tokio::fs::write(&file, bytes).await.expect("the test's database file should be writable");
    format!("sqlite://{}?mode=rwc", file.display())
}

async fn sqlite_template(start: Start) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("a temporary directory for the template");
    let work = dir.path().join("work.db");
    let done = dir.path().join("template.db");
    let db = Database::connect(format!("sqlite://{}?mode=rwc", work.display())).await.expect("SQLite should open");
    prepare(&db, start).await;
    // One self-contained file, whatever the journal mode left in the WAL.
    db.execute_unprepared(&format!("VACUUM INTO '{}'", done.display())).await.expect("VACUUM INTO should write");
    db.close().await.expect("the template connection should close");
    tokio::fs::read(&done).await.expect("the template should be readable")
}

// --- PostgreSQL: one template database per run, copied per test.

static PG_DEMO: OnceCell<String> = OnceCell::const_new();
static PG_EMPTY: OnceCell<String> = OnceCell::const_new();

async fn postgres_copy(server_url: &str, start: Start) -> String {
    let cell = if start == Start::Demo { &PG_DEMO } else { &PG_EMPTY };
    let template = cell.get_or_init(|| postgres_template(server_url, start)).await;
    let name = format!("linli_test_{}", uuid::Uuid::new_v4().simple());
    let admin = admin(server_url).await;
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""))
        .await
        .expect("the test database should copy the template");
    admin.close().await.expect("the admin connection should close");
    database_url(server_url, &name)
}

async fn postgres_template(server_url: &str, start: Start) -> String {
    let name = format!("linli_template_{}", uuid::Uuid::new_v4().simple());
    let admin = admin(server_url).await;
    admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("the template should be created");
    admin.close().await.expect("the admin connection should close");
    let db = Database::connect(database_url(server_url, &name)).await.expect("the template should be reachable");
    prepare(&db, start).await;
    // Copies need the template to have no sessions.
    db.close().await.expect("the template connection should close");
    name
}

async fn admin(server_url: &str) -> DatabaseConnection {
    Database::connect(server_url)
        .await
        .unwrap_or_else(|e| panic!("LINLI_TEST_DATABASE_URL is set but PostgreSQL cannot be reached: {e}"))
}

fn database_url(server_url: &str, name: &str) -> String {
    let (base, _) =
        server_url.rsplit_once('/').expect("LINLI_TEST_DATABASE_URL should look like postgres://user@host:port/db");
    format!("{base}/{name}")
}
