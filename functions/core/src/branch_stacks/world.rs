//! Branch stacks for dry runs and tests: the `stacks` part of the replay world, a list in the
//! shape of `DescribeStacks` (plus the exports each stack imports, which `ListImports` answers):
//!
//! ```json
//! "stacks": [
//!   {"name": "sy-5f0c…-queue", "status": "CREATE_COMPLETE",
//!    "tags": {"switchyard:branch-id": "5f0c…", "switchyard:repository": "payments",
//!             "switchyard:branch": "feature/x"},
//!    "exports": ["sy-5f0c…-QueueArn"], "creationTime": "2026-11-20T10:00:00Z"},
//!   {"name": "sy-5f0c…-api", "status": "CREATE_COMPLETE", "tags": {…},
//!    "imports": ["sy-5f0c…-QueueArn"]}
//! ]
//! ```
//!
//! Stacks without a `switchyard:branch-id` tag are part of the world (they can import a branch's
//! export) but are not branch stacks.

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

use super::{BranchStack, BranchStackReader, DescribedStack, StackImports};
use crate::ports::ObserveError;
use crate::timestamps;

#[derive(Debug, Clone, Default)]
pub struct WorldStacks {
    stacks: Vec<BranchStack>,
    /// Export name → the stacks (tagged or not) that import it.
    importers: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WorldStack {
    name: String,
    status: String,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    #[serde(default)]
    exports: Vec<String>,
    #[serde(default)]
    imports: Vec<String>,
    creation_time: Option<String>,
    last_updated_time: Option<String>,
    #[serde(default)]
    termination_protection: bool,
}

impl WorldStacks {
    /// Reads the world's `stacks` part; errors name the field.
    pub fn from_world(part: Option<&Value>) -> Result<Self, String> {
        let Some(part) = part else {
            return Ok(WorldStacks::default());
        };
        let parsed: Vec<WorldStack> = serde_path_to_error::deserialize(part).map_err(|e| {
            format!(
                "world: stacks{}: {}",
                path(&e.path().to_string()),
                e.inner()
            )
        })?;
        let mut world = WorldStacks::default();
        for (i, s) in parsed.into_iter().enumerate() {
            let time = |field: &str, text: Option<String>| {
                text.map(|t| timestamps::parse(&format!("stacks[{i}].{field}"), &t))
                    .transpose()
                    .map_err(|e| format!("world: {e}"))
            };
            for export in &s.imports {
                world
                    .importers
                    .entry(export.clone())
                    .or_default()
                    .push(s.name.clone());
            }
            let described = DescribedStack {
                created: time("creationTime", s.creation_time)?,
                last_updated: time("lastUpdatedTime", s.last_updated_time)?,
                name: s.name,
                status: s.status,
                tags: s.tags.into_iter().collect(),
                exports: s.exports,
                termination_protection: s.termination_protection,
            };
            world.stacks.extend(BranchStack::from_described(described));
        }
        Ok(world)
    }
}

/// `[3].name` for a path serde_path_to_error writes as `[3].name` or `.`.
fn path(p: &str) -> String {
    if p == "." {
        String::new()
    } else {
        p.to_owned()
    }
}

impl BranchStackReader for WorldStacks {
    async fn branch_stacks(&self) -> Result<Vec<BranchStack>, ObserveError> {
        Ok(self.stacks.clone())
    }
}

impl StackImports for WorldStacks {
    async fn importing_stacks(&self, export: &str) -> Result<Vec<String>, ObserveError> {
        Ok(self.importers.get(export).cloned().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn tagged_stacks_are_listed_and_imports_known() {
        let world = WorldStacks::from_world(Some(&json!([
            {"name": "sy-a-queue", "status": "CREATE_COMPLETE",
             "tags": {"switchyard:branch-id": "a"}, "exports": ["QueueArn"],
             "creationTime": "2026-11-20T10:00:00Z"},
            {"name": "sy-a-lookalike", "status": "CREATE_COMPLETE", "imports": ["QueueArn"]}
        ])))
        .unwrap();
        let stacks = world.branch_stacks().await.unwrap();
        assert_eq!(stacks.len(), 1);
        assert_eq!(stacks[0].exports, ["QueueArn"]);
        assert_eq!(
            world.importing_stacks("QueueArn").await.unwrap(),
            ["sy-a-lookalike"]
        );
        let err = WorldStacks::from_world(Some(&json!([{"name": "x"}]))).unwrap_err();
        assert!(err.contains("stacks") && err.contains("status"), "{err}");
        let err = WorldStacks::from_world(Some(&json!([
            {"name": "x", "status": "s", "creationTime": "yesterday"}
        ])))
        .unwrap_err();
        assert!(err.contains("stacks[0].creationTime"), "{err}");
    }
}
