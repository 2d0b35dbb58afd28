//! Branch environments as `switchyard branches list` shows them: every branch's stacks, grouped
//! by their `switchyard:branch-id` tag (its pipeline stack and the stacks its build deployed),
//! with how old they are and when the branch last did something.
//!
//! "Last activity" is the newest of the pipeline's latest execution start (a branch pipeline
//! starts on each commit, so that is when the branch last got one; ListPipelineExecutions does
//! not say when the commit itself was made) and the stacks' own creation or last update.

use std::collections::BTreeMap;

use time::{Duration, OffsetDateTime};

use super::BranchStack;

/// One stack of a branch environment: its name and `StackStatus`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackSummary {
    pub name: String,
    pub status: String,
}

/// The stacks of one branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchEnvironment {
    pub branch_id: String,
    /// `switchyard:repository` (the pipeline stack's, else any of the stacks').
    pub repository: Option<String>,
    /// `switchyard:branch`, decoded (same precedence).
    pub branch: Option<String>,
    /// The branch pipeline's name, when its pipeline stack is there.
    pub pipeline: Option<String>,
    pub pipeline_stack: Option<StackSummary>,
    /// The stacks of the environment the branch's build deployed.
    pub stacks: Vec<StackSummary>,
    /// When the oldest of its stacks was created.
    pub created: OffsetDateTime,
    /// The newest creation or update among its stacks.
    pub stacks_changed: OffsetDateTime,
}

/// The pipeline's latest execution (ListPipelineExecutions, one result).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatestExecution {
    /// `InProgress`, `Succeeded`, `Failed`, `Stopped`, …
    pub status: String,
    pub started: Option<OffsetDateTime>,
    /// The first source revision (a commit id) it ran on, if it names one.
    pub revision: Option<String>,
}

impl BranchEnvironment {
    /// When the branch last did something: see the module's documentation.
    pub fn last_activity(&self, latest: Option<&LatestExecution>) -> OffsetDateTime {
        latest
            .and_then(|l| l.started)
            .map_or(self.stacks_changed, |started| {
                started.max(self.stacks_changed)
            })
    }

    /// Whether nothing happened on the branch for `days` days before `now`.
    pub fn is_stale(
        &self,
        latest: Option<&LatestExecution>,
        now: OffsetDateTime,
        days: u32,
    ) -> bool {
        now - self.last_activity(latest) >= Duration::days(i64::from(days))
    }
}

/// Groups branch stacks by branch id; sorted by repository, branch and id, each environment's
/// stacks by name.
pub fn environments(stacks: Vec<BranchStack>) -> Vec<BranchEnvironment> {
    let mut by_id: BTreeMap<String, Vec<BranchStack>> = BTreeMap::new();
    for stack in stacks {
        by_id
            .entry(stack.branch_id.clone())
            .or_default()
            .push(stack);
    }
    let mut out: Vec<BranchEnvironment> = by_id
        .into_iter()
        .map(|(branch_id, mut stacks)| {
            stacks.sort_by(|a, b| a.name.cmp(&b.name));
            // The pipeline stack's tags first: Switchyard wrote them itself.
            let described_first = |field: fn(&BranchStack) -> Option<&String>| {
                let pipeline_first = stacks.iter().filter(|s| s.is_pipeline);
                pipeline_first
                    .chain(stacks.iter().filter(|s| !s.is_pipeline))
                    .find_map(|s| field(s).cloned())
            };
            let summary = |s: &BranchStack| StackSummary {
                name: s.name.clone(),
                status: s.status.clone(),
            };
            let pipeline_stack = stacks.iter().find(|s| s.is_pipeline);
            BranchEnvironment {
                repository: described_first(|s| s.repository.as_ref()),
                branch: described_first(|s| s.branch.as_ref()),
                pipeline: pipeline_stack.and_then(|s| s.pipeline.clone()),
                pipeline_stack: pipeline_stack.map(summary),
                stacks: stacks
                    .iter()
                    .filter(|s| !s.is_pipeline)
                    .map(summary)
                    .collect(),
                created: stacks.iter().map(|s| s.created).min().expect("a stack"),
                stacks_changed: stacks
                    .iter()
                    .map(|s| s.last_updated.unwrap_or(s.created).max(s.created))
                    .max()
                    .expect("a stack"),
                branch_id,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (&a.repository, &a.branch, &a.branch_id).cmp(&(&b.repository, &b.branch, &b.branch_id))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamps;

    fn stack(name: &str, id: &str, pipeline: Option<&str>, created: &str) -> BranchStack {
        BranchStack {
            name: name.into(),
            status: "CREATE_COMPLETE".into(),
            repository: Some("acme/app".into()),
            branch: pipeline.map(|_| "feature/x".into()),
            branch_id: id.into(),
            is_pipeline: pipeline.is_some(),
            pipeline: pipeline.map(str::to_owned),
            keep: false,
            created: timestamps::parse("t", created).unwrap(),
            last_updated: None,
            exports: Vec::new(),
            termination_protection: false,
        }
    }

    #[test]
    fn stacks_group_by_branch_id_with_the_pipeline_stack_apart() {
        let found = environments(vec![
            stack("sy-b-api", "b", None, "2026-11-02T00:00:00Z"),
            stack("sy-a-queue", "a", None, "2026-11-05T00:00:00Z"),
            stack(
                "sy-a-pipeline",
                "a",
                Some("sy-a-app-x"),
                "2026-11-01T00:00:00Z",
            ),
            stack("sy-a-api", "a", None, "2026-11-06T00:00:00Z"),
        ]);
        assert_eq!(found.len(), 2);
        let a = found.iter().find(|e| e.branch_id == "a").unwrap();
        assert_eq!(a.pipeline.as_deref(), Some("sy-a-app-x"));
        assert_eq!(a.pipeline_stack.as_ref().unwrap().name, "sy-a-pipeline");
        let names: Vec<_> = a.stacks.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["sy-a-api", "sy-a-queue"]);
        assert_eq!(a.branch.as_deref(), Some("feature/x"));
        assert_eq!(timestamps::format(a.created), "2026-11-01T00:00:00Z");
        assert_eq!(timestamps::format(a.stacks_changed), "2026-11-06T00:00:00Z");
        // A branch whose pipeline stack is gone still lists its environment.
        let b = found.iter().find(|e| e.branch_id == "b").unwrap();
        assert!(b.pipeline.is_none() && b.branch.is_none() && b.stacks.len() == 1);
    }

    #[test]
    fn staleness_counts_from_the_latest_execution_or_the_stacks() {
        let env = &environments(vec![stack("s", "a", Some("p"), "2026-11-01T00:00:00Z")])[0];
        let now = timestamps::parse("now", "2026-11-20T00:00:00Z").unwrap();
        assert!(env.is_stale(None, now, 19) && !env.is_stale(None, now, 20));
        let latest = LatestExecution {
            status: "Succeeded".into(),
            started: Some(timestamps::parse("t", "2026-11-18T00:00:00Z").unwrap()),
            revision: Some("abc".into()),
        };
        assert!(!env.is_stale(Some(&latest), now, 3) && env.is_stale(Some(&latest), now, 2));
    }
}
