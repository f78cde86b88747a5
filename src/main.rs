//! `cargo run` starts the server. `cargo run -- print-schema` prints the GraphQL SDL.

use api::{Application, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("print-schema") {
        print!("{}", api::graphql::sdl());
        return Ok(());
    }
    let config = Config::load()?;
    api::telemetry::init(&config);
    let app = Application::build(config).await?;
    app.run_until_stopped().await?;
    Ok(())
}
