//! The `linli` command: `linli` (or `linli serve`) starts the server;
//! `linli print-schema` prints the GraphQL SDL; `linli admin …` sets up a
//! county (see `admin.rs`). The command line is parsed
//! strictly: `--help` prints the usage, and an unknown subcommand or flag
//! is refused with the usage and a non-zero exit.

mod admin;

use api::{Application, Config};
use clap::{Parser, Subcommand};

/// linli (邻里): neighbourly service for resettlement communities.
///
/// Configuration comes from the environment (see the README): DATABASE_URL
/// and REDIS_URL in production; with neither, an embedded SQLite database
/// with the demo street seeded.
#[derive(Parser)]
#[command(name = "linli", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the server (the default when no subcommand is given).
    Serve,
    /// Prints the GraphQL schema (SDL) on standard output.
    PrintSchema,
    /// Sets up the organisation on the configured database: counties,
    /// streets, communities, departments, grids, buildings, appointments.
    #[command(subcommand)]
    Admin(admin::Admin),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command.unwrap_or(Command::Serve) {
        Command::PrintSchema => {
            print!("{}", api::graphql::sdl());
            Ok(())
        }
        Command::Admin(command) => admin::run(command).await,
        Command::Serve => {
            let config = Config::load()?;
            api::telemetry::init(&config);
            let app = Application::build(config).await?;
            app.run_until_stopped().await?;
            Ok(())
        }
    }
}
