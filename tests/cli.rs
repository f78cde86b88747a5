//! The `linli` command line is strict: usage on `--help`, refusal (with the
//! usage, non-zero) of anything it does not know, and the schema on
//! `print-schema`.

use std::process::Output;

async fn linli(args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_linli"))
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .await
        .expect("the linli binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn help_prints_the_usage_and_the_subcommands() {
    let out = linli(&["--help"]).await;
    assert!(out.status.success(), "{out:?}");
    let help = text(&out.stdout);
    assert!(help.contains("Usage: linli"), "{help}");
    assert!(help.contains("serve") && help.contains("print-schema"), "{help}");
}

#[tokio::test]
async fn an_unknown_subcommand_is_refused_with_the_usage_and_starts_nothing() {
    let out = linli(&["start-everything"]).await;
    assert!(!out.status.success(), "{out:?}");
    let err = text(&out.stderr);
    assert!(err.contains("unrecognized subcommand") && err.contains("Usage: linli"), "{err}");
}

#[tokio::test]
async fn an_unknown_flag_is_refused_with_the_usage() {
    let out = linli(&["print-schema", "--pretty"]).await;
    assert!(!out.status.success(), "{out:?}");
    let err = text(&out.stderr);
    assert!(err.contains("unexpected argument '--pretty'") && err.contains("Usage:"), "{err}");
}

#[tokio::test]
async fn print_schema_prints_the_committed_schema() {
    let out = linli(&["print-schema"]).await;
    assert!(out.status.success(), "{out:?}");
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert_eq!(text(&out.stdout), committed);
}
