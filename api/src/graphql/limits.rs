//! What one request may cost, checked before execution: depth and
//! complexity (async-graphql's own checks, given our error code), aliases,
//! mutation fields per document, and the per-user mutation rate (one hit per
//! mutation field). Also records the operation for metrics.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, OperationDefinition, OperationType, Selection, SelectionSet};
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

/// The root fields of one operation (fragments at the root included), as
/// (field name, response key). A fragment is followed once, so a cycle
/// (refused later by validation) cannot recurse without end.
fn operation_root_fields<'a>(doc: &'a ExecutableDocument, op: &'a OperationDefinition) -> Vec<(&'a str, &'a str)> {
    fn names<'a>(
        doc: &'a ExecutableDocument,
        set: &'a SelectionSet,
        seen: &mut HashSet<&'a str>,
        out: &mut Vec<(&'a str, &'a str)>,
    ) {
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    let name = f.node.name.node.as_str();
                    out.push((name, f.node.alias.as_ref().map_or(name, |a| a.node.as_str())));
                }
                Selection::InlineFragment(fr) => names(doc, &fr.node.selection_set.node, seen, out),
                Selection::FragmentSpread(spread) => {
                    let fragment_name = &spread.node.fragment_name.node;
                    if seen.insert(fragment_name.as_str())
                        && let Some(fragment) = doc.fragments.get(fragment_name)
                    {
                        names(doc, &fragment.node.selection_set.node, seen, out);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    names(doc, &op.selection_set.node, &mut HashSet::new(), &mut out);
    out
}

/// Root fields of every operation, with the operation's type.
fn root_fields(doc: &ExecutableDocument) -> impl Iterator<Item = (OperationType, &str)> {
    doc.operations.iter().flat_map(move |(_, op)| {
        operation_root_fields(doc, &op.node).into_iter().map(move |(name, _)| (op.node.ty, name))
    })
}

fn asks_for_introspection(doc: &ExecutableDocument) -> bool {
    root_fields(doc).any(|(_, name)| name == "__schema" || name == "__type")
}

/// The mutations a document would run, by field name: one per distinct
/// response key of each mutation operation (fields sharing a key are merged
/// and run once; `__typename` changes nothing). Every mutation operation of
/// the document counts, whichever of them is picked to run.
fn mutation_fields(doc: &ExecutableDocument) -> Vec<&str> {
    let mut fields = Vec::new();
    for (_, op) in doc.operations.iter().filter(|(_, op)| op.node.ty == OperationType::Mutation) {
        let mut keys = HashSet::new();
        for (name, key) in operation_root_fields(doc, &op.node) {
            if !name.starts_with("__") && keys.insert(key) {
                fields.push(name);
            }
        }
    }
    fields
}

/// How many mutation fields a document holds (at most
/// `limits.max_mutation_fields` are allowed in one).
pub fn mutation_field_count(doc: &ExecutableDocument) -> usize {
    mutation_fields(doc).len()
}

/// What a document costs against the per-user mutation limit: one per
/// mutation field, except the ones that keep a session going (a user who hit
/// the limit must still be able to refresh and sign out).
pub fn mutation_cost(doc: &ExecutableDocument) -> u64 {
    mutation_fields(doc).into_iter().filter(|name| !matches!(*name, "refreshSession" | "logout")).count() as u64
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
        let mutations = mutation_field_count(&doc);
        if mutations > self.limits.max_mutation_fields {
            return Err(too_complex(format!(
                "一次请求最多包含 {} 项修改，这次有 {mutations} 项；请分开提交",
                self.limits.max_mutation_fields
            )));
        }
        let cost = mutation_cost(&doc);
        if cost > 0
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
                    match auth.store.hit_by(&key, cost, self.limits.mutations_per_minute, Duration::from_secs(60)).await
                    {
                        Ok(within) => within,
                        Err(e) => return Err(gql_error(e.into()).into_server_error(Default::default())),
                    }
                }
            };
            if !within {
                return Err(gql_error(DomainError::RateLimited(format!(
                    "一分钟内的修改太多了（每人每分钟最多 {} 项），请稍等片刻再试",
                    self.limits.mutations_per_minute
                )))
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
