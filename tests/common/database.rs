//! Databases for tests. The schema is migrated (and the demo street seeded)
//! once per run into a template; every test starts on its own copy of it: a
//! copy of the file on SQLite; on PostgreSQL, a database copied from the
//! template once (`CREATE DATABASE … TEMPLATE`) and put back to its rows
//! before each later test that borrows it.
//! The server's own start-up then finds nothing to migrate or seed.

use std::path::Path;
use std::sync::{Arc, Mutex};

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

// --- PostgreSQL: a template per run, copied into a small set of databases that
// tests borrow in turn. A copy made by `CREATE DATABASE … TEMPLATE` costs a
// tenth of a core-second and a checkpoint's fsyncs of some 300 files, and as
// much again to drop; putting a borrowed copy back to the template's rows is a
// few milliseconds. So each database is copied once, and reset before every
// later borrower: its connections are ended, then one function (written into
// the template) deletes every row and puts back the template's rows and
// sequence positions.

static PG_DEMO: OnceCell<String> = OnceCell::const_new();
static PG_EMPTY: OnceCell<String> = OnceCell::const_new();
static PG_FREE_DEMO: Mutex<Vec<String>> = Mutex::new(Vec::new());
static PG_FREE_EMPTY: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn free_list(start: Start) -> &'static Mutex<Vec<String>> {
    if start == Start::Demo { &PG_FREE_DEMO } else { &PG_FREE_EMPTY }
}

/// A borrowed database. It goes back to the free list when the test's
/// runtime shuts down (it is held by a task that never finishes), after
/// which nothing of that test's server runs any more.
struct Lease {
    name: String,
    start: Start,
}

impl Drop for Lease {
    fn drop(&mut self) {
        free_list(self.start).lock().unwrap().push(std::mem::take(&mut self.name));
    }
}

async fn postgres_copy(server_url: &str, start: Start) -> String {
    let cell = if start == Start::Demo { &PG_DEMO } else { &PG_EMPTY };
    let template = cell.get_or_init(|| postgres_template(server_url, start)).await;
    let borrowed = free_list(start).lock().unwrap().pop();
    let name = match borrowed {
        Some(name) if reset(server_url, &name).await => name,
        _ => copy_template(server_url, template).await,
    };
    let lease = Lease { name: name.clone(), start };
    tokio::spawn(async move {
        let _held = lease;
        std::future::pending::<()>().await
    });
    database_url(server_url, &name)
}

async fn copy_template(server_url: &str, template: &str) -> String {
    let name = format!("linli_test_{}", uuid::Uuid::new_v4().simple());
    let admin = admin(server_url).await;
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""))
        .await
        .expect("the test database should copy the template");
    admin.close().await.expect("the admin connection should close");
    name
}

/// Puts a borrowed database back to the template's rows. A database whose
/// reset fails (a test changed its schema and failed halfway) is left
/// alone, and the borrower gets a fresh copy.
async fn reset(server_url: &str, name: &str) -> bool {
    let Ok(db) = Database::connect(database_url(server_url, name)).await else { return false };
    let done = db
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid();
             SELECT linli_seed.reset();"
        ))
        .await;
    let _ = db.close().await;
    done.is_ok()
}

async fn postgres_template(server_url: &str, start: Start) -> String {
    let name = format!("linli_template_{}", uuid::Uuid::new_v4().simple());
    let admin = admin(server_url).await;
    admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("the template should be created");
    admin.close().await.expect("the admin connection should close");
    let db = Database::connect(database_url(server_url, &name)).await.expect("the template should be reachable");
    prepare(&db, start).await;
    db.execute_unprepared(WRITE_RESET).await.expect("the template should take its reset function");
    // Copies need the template to have no sessions.
    db.close().await.expect("the template connection should close");
    name
}

/// Keeps the template's rows in the schema `linli_seed` and writes
/// `linli_seed.reset()`, which puts every table of `public` back to them and
/// every sequence back where it stood. Columns are named, so a test that
/// migrates a step down and up again (which may reorder columns) still
/// resets. Only tables that held rows are refilled. Triggers and foreign keys are off while it runs
/// (`session_replication_role`), so the order of tables does not matter.
const WRITE_RESET: &str = r#"
CREATE SCHEMA linli_seed;
DO $write$
DECLARE
    t record;
    q record;
    columns text;
    seeded boolean;
    body text := '';
BEGIN
    FOR t IN SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind = 'r' LOOP
        SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO columns
          FROM pg_attribute WHERE attrelid = t.oid AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
        EXECUTE format('CREATE TABLE linli_seed.%I AS SELECT %s FROM public.%I', t.relname, columns, t.relname);
        body := body || format('DELETE FROM public.%I; ', t.relname);
        EXECUTE format('SELECT EXISTS (SELECT FROM linli_seed.%I)', t.relname) INTO seeded;
        IF seeded THEN
            body := body || format('INSERT INTO public.%I (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM linli_seed.%I; ',
                                   t.relname, columns, columns, t.relname);
        END IF;
    END LOOP;
    FOR q IN SELECT sequencename, start_value, last_value FROM pg_sequences WHERE schemaname = 'public' LOOP
        body := body || format('PERFORM setval(%L, %s, %L); ', 'public.' || quote_ident(q.sequencename),
                               coalesce(q.last_value, q.start_value), q.last_value IS NOT NULL);
    END LOOP;
    EXECUTE format('CREATE FUNCTION linli_seed.reset() RETURNS void LANGUAGE plpgsql AS $reset$ BEGIN '
                   'SET LOCAL session_replication_role = replica; %s END $reset$', body);
END
$write$;
"#;

async fn admin(server_url: &str) -> DatabaseConnection {
    Database::connect(server_url)
        .await
        .unwrap_or_else(|e| panic!("LINLI_TEST_DATABASE_URL is set but PostgreSQL cannot be reached: {e}"))
}

fn database_url(server_url: &str, name: &str) -> String {
    let (address, query) = server_url.split_once('?').map_or((server_url, None), |(a, q)| (a, Some(q)));
    let (base, _) =
        address.rsplit_once('/').expect("LINLI_TEST_DATABASE_URL should look like postgres://user@host:port/db");
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}
