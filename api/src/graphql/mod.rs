//! The GraphQL contract. Resolvers are thin: authenticate, parse, call one
//! domain service, wrap the result. One module per area, merged here; each
//! area's output types sit beside its resolvers.

/// One recorded change of a workflow (an order, a wish, …).
macro_rules! workflow_event {
    ($name:ident, $domain_status:ty) => {
        #[derive(async_graphql::SimpleObject, Clone)]
        #[graphql(complex)]
        pub struct $name {
            #[graphql(skip)]
            pub actor_id: Option<i64>,
            pub from_status: Option<$crate::graphql::enums::GqlEnum<$domain_status>>,
            pub to_status: $crate::graphql::enums::GqlEnum<$domain_status>,
            pub at: chrono::DateTime<chrono::Utc>,
            /// The reason, note or rating given with the change.
            pub note: Option<String>,
        }

        #[async_graphql::ComplexObject]
        impl $name {
            /// Who made the change; empty when the system did (a missed deadline).
            async fn actor(
                &self,
                ctx: &async_graphql::Context<'_>,
            ) -> async_graphql::Result<Option<$crate::graphql::org::Person>> {
                $crate::graphql::org::person(ctx, self.actor_id).await
            }
        }

        impl From<domain::workflow::Event<$domain_status>> for $name {
            fn from(e: domain::workflow::Event<$domain_status>) -> Self {
                Self {
                    actor_id: e.actor_id,
                    from_status: e.from_status.map(Into::into),
                    to_status: e.to_status.into(),
                    at: e.at,
                    note: e.note,
                }
            }
        }
    };
}

mod auth;
mod banquets;
mod canteen;
mod care;
mod care_requests;
mod enums;
mod ledger;
mod limits;
mod loaders;
mod lunchbox;
mod orders;
mod org;
mod pages;
mod party;
mod points;
mod posts;
mod push;
mod stats;
mod street;
mod subscriptions;
mod units;
mod wishes;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::{Context, ErrorExtensions, MergedObject, Schema, SchemaBuilder};

use domain::{Actor, Domain, DomainError, DomainResult};

use crate::auth::{AuthService, Authenticated, MutationLimit};
use crate::config::Config;
use crate::content::ContentSecurity;
pub(crate) use crate::wechat::ContentScene;

pub use limits::{LimitsExtension, mutation_cost, mutation_field_count};
pub use loaders::{connection_loaders, with_request_loaders};
pub use subscriptions::Subscription;

#[derive(MergedObject, Default)]
pub struct Query(
    auth::AuthQuery,
    banquets::BanquetQuery,
    org::OrgQuery,
    orders::OrderQuery,
    party::PartyQuery,
    wishes::WishQuery,
    posts::PostQuery,
    points::PointsQuery,
    ledger::LedgerQuery,
    lunchbox::LunchboxQuery,
    canteen::CanteenQuery,
    care::CareQuery,
    care_requests::CareRequestQuery,
    push::PushQuery,
    units::UnitQuery,
    street::StreetQuery,
    stats::StatsQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    auth::AuthMutation,
    banquets::BanquetMutation,
    org::OrgMutation,
    orders::OrderMutation,
    party::PartyMutation,
    wishes::WishMutation,
    posts::PostMutation,
    points::PointsMutation,
    ledger::LedgerMutation,
    lunchbox::LunchboxMutation,
    canteen::CanteenMutation,
    care::CareMutation,
    care_requests::CareRequestMutation,
    push::PushMutation,
    units::UnitMutation,
    street::StreetMutation,
);

pub type LinliSchema = Schema<Query, Mutation, Subscription>;

/// The schema without its runtime data: enough to print the SDL.
pub fn schema_builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query::default(), Mutation::default(), Subscription)
}

pub fn sdl() -> String {
    schema_builder().finish().sdl()
}

pub fn build_schema(
    config: &Config,
    domain: Domain,
    auth: Arc<AuthService>,
    hub: Arc<crate::events::EventHub>,
) -> LinliSchema {
    let content = ContentSecurity::new(auth.wechat.clone(), config.content_security_enabled());
    let mut builder = schema_builder()
        .data(domain)
        .data(hub)
        .data(auth)
        .data(content)
        .limit_depth(config.limits.max_depth)
        .limit_complexity(config.limits.max_complexity)
        .extension(LimitsExtension::new(config.limits.clone(), config.is_production()));
    if config.is_production() {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.finish()
}

/// Facts about one HTTP request, shared between the handler and the schema.
#[derive(Default)]
pub struct RequestMeta {
    /// Set once the operation starts executing: errors before then are
    /// request errors (HTTP 4xx under `application/graphql-response+json`).
    pub executing: AtomicBool,
    pub operation: std::sync::Mutex<Option<String>>,
}

impl RequestMeta {
    pub fn started(&self) -> bool {
        self.executing.load(Ordering::SeqCst)
    }
}

/// Who is asking, resolved before execution. `Err` keeps why a presented
/// token was refused, so resolvers that need a user can say so.
pub struct RequestAuth {
    pub result: DomainResult<Option<Authenticated>>,
    /// The mutation-limit hit, when the HTTP layer counted it with the session check.
    pub mutation_limit: MutationLimit,
    actor: tokio::sync::OnceCell<Actor>,
}

impl RequestAuth {
    pub fn new(result: DomainResult<Option<Authenticated>>) -> Self {
        Self { result, mutation_limit: MutationLimit::NotCounted, actor: tokio::sync::OnceCell::new() }
    }

    /// Records that the mutation limit was already counted in the session check.
    pub fn with_mutation_limit(mut self, limit: MutationLimit) -> Self {
        self.mutation_limit = limit;
        self
    }
}

/// The one mapping from domain errors to GraphQL errors.
pub fn gql_error(err: DomainError) -> async_graphql::Error {
    if let DomainError::Internal(cause) = &err {
        tracing::error!(%cause, "internal error");
    }
    let code = err.code();
    let field = match &err {
        DomainError::BadInput { field, .. } => Some(*field),
        _ => None,
    };
    async_graphql::Error::new(err.public_message()).extend_with(|_, ext| {
        ext.set("code", code);
        if let Some(field) = field {
            ext.set("field", field);
        }
    })
}

pub trait OrGql<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> OrGql<T> for DomainResult<T> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(gql_error)
    }
}

pub(crate) fn domain<'a>(ctx: &Context<'a>) -> &'a Domain {
    ctx.data_unchecked::<Domain>()
}

/// Content security for resolvers: one call before the domain, one after.
pub(crate) trait ContentChecks {
    /// `BAD_USER_INPUT` on the first field WeChat judges risky (see [`ContentSecurity::check_text`]).
    async fn check_text(&self, scene: ContentScene, texts: &[(&'static str, &str)]) -> async_graphql::Result<()>;
    /// Submits photos just attached to an order or wish for WeChat's check.
    async fn check_photos(&self, subject: domain::workflow::Subject, subject_id: i64, urls: &[String]);
}

impl ContentChecks for Context<'_> {
    async fn check_text(&self, scene: ContentScene, texts: &[(&'static str, &str)]) -> async_graphql::Result<()> {
        let who = authenticated(self)?;
        let content = self.data_unchecked::<ContentSecurity>();
        content.check_text(domain(self), who.user_id, scene, texts).await.map_err(gql_error)
    }

    async fn check_photos(&self, subject: domain::workflow::Subject, subject_id: i64, urls: &[String]) {
        if let Ok(who) = authenticated(self) {
            self.data_unchecked::<ContentSecurity>()
                .check_photos(domain(self), who.user_id, subject, subject_id, urls)
                .await;
        }
    }
}

pub(crate) fn auth_service<'a>(ctx: &Context<'a>) -> &'a Arc<AuthService> {
    ctx.data_unchecked::<Arc<AuthService>>()
}

/// The signed-in user, or `UNAUTHENTICATED` with the reason.
pub(crate) fn authenticated<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Authenticated> {
    match ctx.data_opt::<RequestAuth>().map(|a| &a.result) {
        Some(Ok(Some(who))) => Ok(who),
        Some(Err(e)) => Err(gql_error(clone_auth_error(e))),
        _ => Err(gql_error(DomainError::Unauthenticated(
            "sign in first: send `Authorization: Bearer <accessToken>`".into(),
        ))),
    }
}

fn clone_auth_error(e: &DomainError) -> DomainError {
    match e {
        DomainError::Unavailable(m) => DomainError::Unavailable(m.clone()),
        other => DomainError::Unauthenticated(other.public_message()),
    }
}

/// The signed-in user's roles, loaded once per request.
pub(crate) async fn actor<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Actor> {
    let who = authenticated(ctx)?;
    let auth = ctx.data_unchecked::<RequestAuth>();
    auth.actor.get_or_try_init(|| domain(ctx).org().actor(who.user_id)).await.map_err(gql_error)
}

/// GraphQL ids are decimal strings of database ids; anything else is not found.
pub(crate) fn parse_id(id: &async_graphql::ID, what: &'static str) -> async_graphql::Result<i64> {
    id.parse::<i64>().map_err(|_| gql_error(DomainError::NotFound(what)))
}
