//! `schema.graphql` is generated from the code. This fails when it is stale;
//! regenerate with `cargo run -- print-schema > schema.graphql`
//! (or run this test with `UPDATE_SCHEMA=1`).

#[test]
fn the_committed_schema_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let generated = api::graphql::sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &generated).expect("schema.graphql should be writable");
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "schema.graphql is stale: run `cargo run -- print-schema > schema.graphql` and commit it"
    );
}

/// The fields of `type {name} { … }` in an SDL text.
fn fields_of(sdl: &str, name: &str) -> Vec<String> {
    let open = format!("type {name} {{");
    let Some(start) = sdl.lines().position(|l| l.trim_start().starts_with(&open)) else {
        return Vec::new();
    };
    let (mut fields, mut depth, mut in_doc) = (Vec::new(), 0i32, false);
    for line in sdl.lines().skip(start + 1) {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("\"\"\"") {
            // A one-line """doc""" closes itself; otherwise the block toggles.
            if !rest.contains("\"\"\"") {
                in_doc = !in_doc;
            }
            continue;
        }
        if in_doc || t.starts_with('"') || t.starts_with('#') {
            continue;
        }
        if depth == 0 && t == "}" {
            break;
        }
        if depth == 0 {
            let field: String = t.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if !field.is_empty() {
                fields.push(field);
            }
        }
        depth += t.matches('(').count() as i32 - t.matches(')').count() as i32;
    }
    fields
}

#[test]
fn every_operation_in_the_schema_has_one_rule_in_the_authority_table_and_every_rule_names_one() {
    use std::collections::BTreeSet;
    let sdl = api::graphql::sdl();
    let mut operations = BTreeSet::new();
    for root in ["Query", "Mutation", "Subscription"] {
        let fields = fields_of(&sdl, root);
        assert!(!fields.is_empty(), "the schema has no {root} fields");
        operations.extend(fields);
    }
    let rules = domain::org::authority::RULES;
    // Downloads are routes (`GET /exports/…`), not fields; the rest are fields.
    let ruled: BTreeSet<String> =
        rules.iter().map(|r| r.operation).filter(|op| !op.starts_with("GET /")).map(str::to_owned).collect();
    assert_eq!(
        ruled.len(),
        rules.iter().filter(|r| !r.operation.starts_with("GET /")).count(),
        "a field has two rules"
    );
    let missing: Vec<_> = operations.difference(&ruled).collect();
    let extra: Vec<_> = ruled.difference(&operations).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "operations without a rule in domain/src/org/authority.rs: {missing:?}; rules naming no operation: {extra:?}"
    );
    assert!(operations.len() > 150, "{} operations: is the schema read right?", operations.len());
}
