//! What one request may cost, checked before execution: depth and
//! complexity (async-graphql's own checks, given our error code), aliases,
//! and the per-user mutation rate. Also records the operation for metrics.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::{Response, ServerError, ServerResult, ValidationResult, Variables};

use domain::DomainError;

use super::{RequestAuth, RequestMeta, gql_error};
use crate::auth::{MutationLimit, mutation_limit_key};
use crate::config::Limits;

pub struct LimitsExtension {
    limits: Limits,
    introspection_disabled: bool,
}

impl LimitsExtension {
    pub fn new(limits: Limits, introspection_disabled: bool) -> Self {
        Self { limits, introspection_disabled }
    }
}

impl ExtensionFactory for LimitsExtension {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(LimitsCheck { limits: self.limits.clone(), introspection_disabled: self.introspection_disabled })
    }
}

struct LimitsCheck {
    limits: Limits,
    introspection_disabled: bool,
}

/// Root fields of every operation (fragments at the root included).
fn root_fields(doc: &ExecutableDocument) -> impl Iterator<Item = (OperationType, &str)> {
    fn names<'a>(doc: &'a ExecutableDocument, set: &'a SelectionSet, out: &mut Vec<&'a str>) {
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => out.push(f.node.name.node.as_str()),
                Selection::InlineFragment(fr) => names(doc, &fr.node.selection_set.node, out),
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = doc.fragments.get(&spread.node.fragment_name.node) {
                        names(doc, &fragment.node.selection_set.node, out);
                    }
                }
            }
        }
    }
    doc.operations.iter().flat_map(move |(_, op)| {
        let mut out = Vec::new();
        names(doc, &op.node.selection_set.node, &mut out);
        out.into_iter().map(move |name| (op.node.ty, name))
    })
}

fn asks_for_introspection(doc: &ExecutableDocument) -> bool {
    root_fields(doc).any(|(_, name)| name == "__schema" || name == "__type")
}

/// Mutations count against the per-user limit, except the ones that keep a
/// session going: a user who hit the limit must still be able to refresh.
pub fn counts_against_rate_limit(doc: &ExecutableDocument) -> bool {
    root_fields(doc).any(|(ty, name)| ty == OperationType::Mutation && !matches!(name, "refreshSession" | "logout"))
}

fn too_complex(message: impl Into<String>) -> ServerError {
    let mut err = ServerError::new(message, None);
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", "QUERY_TOO_COMPLEX");
    err.extensions = Some(ext);
    err
}

fn count_aliases(doc: &ExecutableDocument) -> usize {
    fn walk(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(f) => usize::from(f.node.alias.is_some()) + walk(&f.node.selection_set.node),
                Selection::InlineFragment(fr) => walk(&fr.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let operations: usize = doc.operations.iter().map(|(_, op)| walk(&op.node.selection_set.node)).sum();
    let fragments: usize = doc.fragments.values().map(|f| walk(&f.node.selection_set.node)).sum();
    operations + fragments
}

#[async_trait::async_trait]
impl Extension for LimitsCheck {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let aliases = count_aliases(&doc);
        if aliases > self.limits.max_aliases {
            return Err(too_complex(format!(
                "this query uses {aliases} aliases; at most {} are allowed",
                self.limits.max_aliases
            )));
        }
        let mut operations = doc.operations.iter();
        if let (Some(meta), Some((Some(name), _)), None) =
            (ctx.data_opt::<Arc<RequestMeta>>(), operations.next(), operations.next())
            && let Ok(mut op) = meta.operation.lock()
        {
            op.get_or_insert_with(|| name.to_string());
        }
        if self.introspection_disabled && asks_for_introspection(&doc) {
            return Err(gql_error(DomainError::forbidden("introspection is turned off on this server"))
                .into_server_error(Default::default()));
        }
        if counts_against_rate_limit(&doc)
            && let Some(request_auth) = ctx.data_opt::<RequestAuth>()
            && let Ok(Some(who)) = &request_auth.result
        {
            let within = match request_auth.mutation_limit {
                // Counted in the same store round trip as the session check (the HTTP path).
                MutationLimit::Within => true,
                MutationLimit::Exceeded => false,
                MutationLimit::NotCounted => {
                    let auth = ctx.data_unchecked::<Arc<crate::auth::AuthService>>();
                    let key = mutation_limit_key(who.user_id);
                    match auth.store.hit(&key, self.limits.mutations_per_minute, Duration::from_secs(60)).await {
                        Ok(within) => within,
                        Err(e) => return Err(gql_error(e.into()).into_server_error(Default::default())),
                    }
                }
            };
            if !within {
                return Err(gql_error(DomainError::RateLimited(
                    "too many changes in a minute; wait a moment and try again".into(),
                ))
                .into_server_error(Default::default()));
            }
        }
        Ok(doc)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|e| {
                    if e.message.contains("too complex") || e.message.contains("nested too deep") {
                        let message = if e.message.contains("deep") {
                            format!(
                                "this query is nested too deep; at most {} levels are allowed",
                                self.limits.max_depth
                            )
                        } else {
                            format!(
                                "this query asks for too much at once (complexity limit {})",
                                self.limits.max_complexity
                            )
                        };
                        too_complex(message)
                    } else {
                        e
                    }
                })
                .collect()
        })
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        if let Some(meta) = ctx.data_opt::<Arc<RequestMeta>>() {
            meta.executing.store(true, Ordering::SeqCst);
        }
        next.run(ctx, operation_name).await
    }
}
