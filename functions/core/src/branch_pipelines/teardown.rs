//! The teardown plan of a deleted branch: which of its stacks go, in which order.
//!
//! This is the one place the order is decided (the destroyer's shell only carries it out), so
//! `switchyard replay` shows exactly the order the destroyer follows, and the order is tested
//! here as a pure function. The plan travels to the destroyer as `TEARDOWN_STACKS`; the
//! destroyer re-checks each stack's `switchyard:branch-id` tag before deleting it, takes a stack
//! that is already gone for success, and fails naming any stack of the branch that appeared after
//! the plan was made (the next run plans it).
//!
//! The branch's stacks are found by their `switchyard:branch-id` tag only, never by name: an
//! untagged stack, or one of another branch, whose name starts like this branch's is not touched.
//! Dependents go before what they import from: a stack that imports another's export is deleted
//! first (CloudFormation refuses to delete a stack whose export is still imported).

use std::collections::{BTreeMap, BTreeSet};

use crate::branch_stacks::{BranchStack, BranchStackReader, StackImports};
use crate::ports::ObserveError;

/// An export of one of the branch's stacks that a stack outside the branch imports: the
/// exporting stack cannot be deleted until that import is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutsideImport {
    pub stack: String,
    pub export: String,
    pub importer: String,
}

/// What the destroyer deletes for one branch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TeardownPlan {
    /// The branch's environment stacks, in the order they are deleted (importers first).
    pub environment: Vec<String>,
    /// The branch's tagged pipeline stacks (deleted last, after the environment).
    pub pipeline_stacks: Vec<String>,
    /// Exports imported from outside the branch: these make the teardown fail until resolved.
    pub outside_imports: Vec<OutsideImport>,
}

/// Observes the branch's stacks and who imports their exports, and plans their teardown. A
/// failed listing fails the whole observation: nothing is planned from a partial view.
pub async fn observe<S: BranchStackReader + StackImports>(
    stacks: &S,
    branch_id: &str,
) -> Result<TeardownPlan, ObserveError> {
    observe_among(stacks, &stacks.branch_stacks().await?, branch_id).await
}

/// [`observe`] for a caller that already listed every branch stack (`all`: the sweep): only who
/// imports the branch's exports is asked.
pub async fn observe_among<S: StackImports>(
    stacks: &S,
    all: &[BranchStack],
    branch_id: &str,
) -> Result<TeardownPlan, ObserveError> {
    let mine: Vec<BranchStack> = all
        .iter()
        .filter(|s| s.branch_id == branch_id)
        .cloned()
        .collect();
    let mut importers = BTreeMap::new();
    for stack in mine.iter().filter(|s| !s.is_pipeline) {
        for export in &stack.exports {
            importers.insert(export.clone(), stacks.importing_stacks(export).await?);
        }
    }
    Ok(plan(&mine, &importers))
}

/// Orders `stacks` (one branch's) for deletion: repeatedly, every stack that no remaining stack
/// of the branch imports from, by name. `importers` maps each export to the stacks importing it.
pub fn plan(stacks: &[BranchStack], importers: &BTreeMap<String, Vec<String>>) -> TeardownPlan {
    let environment: Vec<&BranchStack> = stacks.iter().filter(|s| !s.is_pipeline).collect();
    let names: BTreeSet<&str> = environment.iter().map(|s| s.name.as_str()).collect();
    // For each stack, the stacks of the branch that must go before it (its importers).
    let mut before: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut outside_imports = Vec::new();
    for stack in &environment {
        let waits = before.entry(stack.name.as_str()).or_default();
        for export in &stack.exports {
            for importer in importers.get(export).into_iter().flatten() {
                if names.contains(importer.as_str()) {
                    if importer != &stack.name {
                        waits.insert(importer.as_str());
                    }
                } else {
                    outside_imports.push(OutsideImport {
                        stack: stack.name.clone(),
                        export: export.clone(),
                        importer: importer.clone(),
                    });
                }
            }
        }
    }
    let mut order = Vec::with_capacity(before.len());
    while !before.is_empty() {
        let ready: Vec<&str> = before
            .iter()
            .filter(|(_, waits)| waits.is_empty())
            .map(|(name, _)| *name)
            .collect();
        // CloudFormation cannot create an import cycle; should one be reported anyway, the rest
        // goes in name order and CloudFormation's refusal names it.
        let round = if ready.is_empty() {
            before.keys().copied().collect()
        } else {
            ready
        };
        for name in &round {
            before.remove(name);
        }
        for waits in before.values_mut() {
            for name in &round {
                waits.remove(name);
            }
        }
        order.extend(round.into_iter().map(str::to_owned));
    }
    let mut pipeline_stacks: Vec<String> = stacks
        .iter()
        .filter(|s| s.is_pipeline)
        .map(|s| s.name.clone())
        .collect();
    pipeline_stacks.sort();
    TeardownPlan {
        environment: order,
        pipeline_stacks,
        outside_imports,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::branch_stacks::world::WorldStacks;
    use serde_json::json;

    #[tokio::test]
    async fn importers_go_first_and_other_stacks_are_never_planned() {
        let id = |b: &str| json!({"switchyard:branch-id": b});
        let world = WorldStacks::from_world(Some(&json!([
            {"name": "x-queue", "status": "CREATE_COMPLETE", "tags": id("x"), "exports": ["QueueArn"]},
            {"name": "x-api", "status": "CREATE_COMPLETE", "tags": id("x"), "imports": ["QueueArn", "TableArn"]},
            {"name": "x-table", "status": "CREATE_COMPLETE", "tags": id("x"), "exports": ["TableArn"]},
            {"name": "x-alarms", "status": "CREATE_COMPLETE", "tags": id("x"), "imports": ["ApiUrl"]},
            {"name": "a-web", "status": "CREATE_COMPLETE", "tags": id("x"), "exports": ["ApiUrl"], "imports": ["TableArn"]},
            {"name": "x-pipeline", "status": "CREATE_COMPLETE",
             "tags": {"switchyard:branch-id": "x", "switchyard:pipeline": "sy-x"}},
            {"name": "y-api", "status": "CREATE_COMPLETE", "tags": id("y")},
            {"name": "x-untagged-lookalike", "status": "CREATE_COMPLETE"}
        ])))
        .unwrap();
        let plan = observe(&world, "x").await.unwrap();
        // a-web imports TableArn and is imported by x-alarms: x-alarms, then a-web and x-api,
        // then the exporters.
        assert_eq!(
            plan.environment,
            ["x-alarms", "x-api", "a-web", "x-queue", "x-table"]
        );
        assert_eq!(plan.pipeline_stacks, ["x-pipeline"]);
        assert!(plan.outside_imports.is_empty());
    }

    #[tokio::test]
    async fn an_import_from_outside_the_branch_is_reported() {
        let world = WorldStacks::from_world(Some(&json!([
            {"name": "x-queue", "status": "CREATE_COMPLETE",
             "tags": {"switchyard:branch-id": "x"}, "exports": ["QueueArn"]},
            {"name": "shared-consumer", "status": "CREATE_COMPLETE", "imports": ["QueueArn"]}
        ])))
        .unwrap();
        let plan = observe(&world, "x").await.unwrap();
        assert_eq!(plan.environment, ["x-queue"]);
        assert_eq!(
            plan.outside_imports,
            [OutsideImport {
                stack: "x-queue".into(),
                export: "QueueArn".into(),
                importer: "shared-consumer".into()
            }]
        );
    }
}
