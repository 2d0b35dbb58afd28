//! The code's layout keeps its one-way dependencies: no module of a crate imports a module that
//! imports it back (issue 13 found `route` ↔ `stage_retry::event`). A module here is a file under
//! a crate's `src/` (`mod.rs` names its folder); an import is a `crate::…` or `super::…` path
//! outside comments and the test module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use switchyard_test_support::repo_root;

/// Module path (`kafka_sync::apply::writes`) → the source without comments and tests.
fn modules(src: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let relative = path
                .strip_prefix(src)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if !relative.ends_with(".rs") || relative == "lib.rs" || relative == "main.rs" {
                continue;
            }
            let name = relative
                .trim_end_matches(".rs")
                .trim_end_matches("/mod")
                .replace('/', "::");
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            let code: String = code
                .lines()
                .map(|l| l.split("//").next().unwrap_or_default())
                .collect::<Vec<_>>()
                .join("\n");
            out.insert(name, code);
        }
    }
    out
}

/// The `a::b::c` paths that follow `prefix` in `code`.
fn paths_after<'a>(code: &'a str, prefix: &str) -> Vec<&'a str> {
    code.match_indices(prefix)
        .map(|(i, _)| {
            let rest = &code[i + prefix.len()..];
            let end = rest
                .find(|c: char| {
                    !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == ':')
                })
                .unwrap_or(rest.len());
            rest[..end].trim_end_matches(':')
        })
        .collect()
}

/// Which modules each module imports (the longest module path each reference names).
fn imports(modules: &BTreeMap<String, String>) -> BTreeMap<&str, BTreeSet<&str>> {
    let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (name, code) in modules {
        let parent: Vec<&str> = name.split("::").collect();
        let parent = &parent[..parent.len() - 1];
        let mut references: Vec<Vec<String>> = paths_after(code, "crate::")
            .into_iter()
            .map(|p| p.split("::").map(str::to_owned).collect())
            .collect();
        references.extend(paths_after(code, "super::").into_iter().map(|p| {
            parent
                .iter()
                .map(|s| s.to_string())
                .chain(p.split("::").map(str::to_owned))
                .collect()
        }));
        for parts in references {
            let target = (1..=parts.len())
                .rev()
                .map(|k| parts[..k].join("::"))
                .find(|candidate| modules.contains_key(candidate));
            let Some(target) = target else { continue };
            let nested = name.starts_with(&format!("{target}::"))
                || target.starts_with(&format!("{name}::"));
            if &target != name && !nested {
                let target = modules.get_key_value(&target).unwrap().0.as_str();
                edges.entry(name.as_str()).or_default().insert(target);
            }
        }
    }
    edges
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let mut checked = 0;
    for krate in [
        "core",
        "adapters",
        "cli",
        "test-support",
        "integration-tests",
    ] {
        let modules = modules(&repo_root().join("functions").join(krate).join("src"));
        checked += modules.len();
        let edges = imports(&modules);
        let mutual: Vec<(&str, &str)> = edges
            .iter()
            .flat_map(|(a, targets)| targets.iter().map(move |b| (*a, *b)))
            .filter(|(a, b)| a < b && edges.get(b).is_some_and(|t| t.contains(a)))
            .collect();
        assert!(
            mutual.is_empty(),
            "{krate}: modules that import each other: {mutual:?}"
        );
    }
    assert!(
        checked > 100,
        "only {checked} modules found: is the layout still functions/<crate>/src?"
    );
}

#[test]
fn a_cycle_is_found() {
    let modules = BTreeMap::from([
        (
            "route".to_owned(),
            "use crate::stage_retry::event::is_trigger;".to_owned(),
        ),
        (
            "stage_retry::event".to_owned(),
            "use crate::route::eventbridge_kind; // crate::x".to_owned(),
        ),
        (
            "stage_retry".to_owned(),
            "pub mod event; use super::route;".to_owned(),
        ),
    ]);
    let edges = imports(&modules);
    assert!(edges["route"].contains("stage_retry::event"));
    assert!(edges["stage_retry::event"].contains("route"));
    assert!(edges["stage_retry"].contains("route"));
}
