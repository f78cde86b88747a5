//! The shape of the code, checked from its source: the areas of `domain`
//! and of `api` use one another without circles, and `domain` knows nothing
//! of HTTP or GraphQL.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A crate's modules by path (`orders::service`), each with the text of its file.
fn modules(src: &Path) -> BTreeMap<String, String> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(src, &mut files);
    files
        .into_iter()
        .map(|file| {
            let rel = file.strip_prefix(src).unwrap().with_extension("");
            let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                parts.pop();
            }
            let text = std::fs::read_to_string(&file).unwrap();
            (parts.join("::"), without_tests_and_comments(&text))
        })
        .collect()
}

/// A file's code: unit tests (at the end of a file) and comments left out.
fn without_tests_and_comments(text: &str) -> String {
    let code = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    code.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// The paths a module's code names through `crate::` and `super::`, made absolute.
fn named_paths(module: &str, code: &str) -> Vec<String> {
    let own: Vec<&str> = module.split("::").collect();
    let mut found = Vec::new();
    for prefix in ["crate::", "super::"] {
        let mut rest = code;
        while let Some(at) = rest.find(prefix) {
            let before = rest[..at].chars().last();
            rest = &rest[at + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == ':') {
                continue; // part of a longer path, or of `super::super::`
            }
            let mut base: Vec<&str> = vec![];
            if prefix == "super::" {
                let mut ups = 1;
                while let Some(more) = rest.strip_prefix("super::") {
                    ups += 1;
                    rest = more;
                }
                base = own[..own.len().saturating_sub(ups)].to_vec();
            }
            let path: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
            let path = path.trim_end_matches(':');
            let mut heads = vec![];
            if path.is_empty() && rest.starts_with('{') {
                // `use crate::{a::b, c}`: each name at the top of the group.
                let group: String = rest[1..].chars().take_while(|c| *c != '}').collect();
                heads.extend(group.split([',', '{']).map(|p| p.trim().split("::").next().unwrap_or("").to_owned()));
            } else {
                heads.push(path.to_owned());
            }
            for head in heads.into_iter().filter(|h| !h.is_empty()) {
                let full: Vec<&str> = base.iter().copied().chain(head.split("::")).collect();
                found.push(full.join("::"));
            }
        }
    }
    found
}

/// The area a module belongs to: its first segment, or its first two under
/// one of `split` (the GraphQL areas all live under `graphql`).
fn area_of(module: &str, split: &[&str]) -> String {
    let parts: Vec<&str> = module.split("::").collect();
    let depth = if split.contains(&parts[0]) { 2 } else { 1 };
    parts[..depth.min(parts.len())].join("::")
}

/// Every circle of areas that use one another, as `a → b → a`.
fn circles(src: &str, split: &[&str]) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(src);
    let modules = modules(&src);
    let resolve = |path: &str| -> Option<String> {
        let segs: Vec<&str> = path.split("::").collect();
        (1..=segs.len()).rev().map(|n| segs[..n].join("::")).find(|m| modules.contains_key(m))
    };
    let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, code) in &modules {
        if module.is_empty() {
            continue; // the crate root wires the areas together
        }
        let from = area_of(module, split);
        for path in named_paths(module, code) {
            let Some(target) = resolve(&path) else { continue };
            let to = area_of(&target, split);
            // A folder's own module and its children are one area (or its parent, in `split`).
            if to != from && !from.starts_with(&format!("{to}::")) && !to.starts_with(&format!("{from}::")) {
                uses.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    let mut found = BTreeSet::new();
    for start in uses.keys() {
        // Depth-first from each area, looking for a way back to it.
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((at, path)) = stack.pop() {
            for next in uses.get(&at).into_iter().flatten() {
                if next == start {
                    let mut circle = path.clone();
                    let smallest = (0..circle.len()).min_by_key(|i| &circle[*i]).unwrap();
                    circle.rotate_left(smallest);
                    circle.push(circle[0].clone());
                    found.insert(circle.join(" → "));
                } else if seen.insert(next.clone()) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
    found.into_iter().collect()
}

#[test]
fn the_domain_areas_use_one_another_without_circles() {
    assert_eq!(circles("domain/src", &[]), Vec::<String>::new());
}

#[test]
fn the_server_modules_and_graphql_areas_use_one_another_without_circles() {
    assert_eq!(circles("api/src", &["graphql"]), Vec::<String>::new());
}

#[test]
fn the_circle_check_finds_a_circle_where_there_is_one() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("b")).unwrap();
    std::fs::write(src.join("lib.rs"), "mod a;\nmod b;\n").unwrap();
    std::fs::write(src.join("a.rs"), "use crate::b::thing;\n").unwrap();
    std::fs::write(src.join("b/mod.rs"), "mod inner;\n").unwrap();
    std::fs::write(
        src.join("b/inner.rs"),
        "use super::super::a::other;\nuse super::sibling;\nuse crate::b::inner::x;\n",
    )
    .unwrap();
    assert_eq!(circles(src.to_str().unwrap(), &[]), vec!["a → b → a".to_owned()]);
}

#[test]
fn the_domain_knows_nothing_of_http_or_graphql() {
    let manifest = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("domain/Cargo.toml")).unwrap();
    for framework in ["actix", "async-graphql"] {
        assert!(!manifest.contains(framework), "domain/Cargo.toml depends on {framework}");
    }
}

#[test]
fn only_the_authority_table_names_roles_for_permission() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("domain/src");
    let mut named = Vec::new();
    for (module, code) in modules(&src) {
        if code.contains("require_any(") {
            named.push(format!("{module}: require_any"));
        }
        if module != "org::authority" && code.contains("require_not_self(") {
            named.push(format!("{module}: require_not_self"));
        }
        // Who may act is asked of the table: `actor.require(&authority::…)`,
        // `actor.may(&authority::…)`, never of a list of roles in place.
        if !matches!(module.as_str(), "org" | "org::authority") && code.contains("communities_with(&[") {
            named.push(format!("{module}: communities_with(&[…])"));
        }
    }
    assert!(named.is_empty(), "roles named for permission outside org/authority.rs: {named:#?}");
}
