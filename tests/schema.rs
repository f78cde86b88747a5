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
