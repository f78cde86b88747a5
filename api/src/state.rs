//! What every request handler shares: the schema, the domain, sessions,
//! configuration, metrics, the upload folder and the event bus. Startup builds
//! it once; the HTTP, upload, webhook, export and WebSocket handlers read it.

use std::path::PathBuf;
use std::sync::Arc;

use domain::Domain;

use crate::auth::AuthService;
use crate::config::Config;
use crate::events::Events;
use crate::graphql::LinliSchema;
use crate::metrics::Metrics;

pub struct AppState {
    pub schema: LinliSchema,
    pub domain: Domain,
    pub auth: Arc<AuthService>,
    pub config: Config,
    pub metrics: Metrics,
    pub upload_dir: PathBuf,
    pub events: Events,
}
