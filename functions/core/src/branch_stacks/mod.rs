//! The stacks of branches, as their tags describe them: every per-branch stack (the branch's
//! pipeline stack and each stack of the environment its build deploys) carries
//! `switchyard:repository`, `switchyard:branch` and `switchyard:branch-id`. What Switchyard
//! created is found by these tags, never by guessing names: a stack of another branch, or an
//! untagged stack whose name merely starts like this branch's, is never taken for it.
//!
//! [`BranchStackReader`] is the port (DescribeStacks through every page on AWS, the `stacks` part
//! of a dry-run world); [`StackImports`] tells which stacks import an export, which is what
//! orders a teardown (importers first).

pub mod world;

use std::future::Future;

use time::OffsetDateTime;

use crate::naming;
use crate::ports::ObserveError;

/// The repository the stack belongs to (CodeCommit name, or `owner/name`).
pub const TAG_REPOSITORY: &str = "switchyard:repository";
/// The branch, as [`naming::branch_tag_value`] writes it.
pub const TAG_BRANCH: &str = "switchyard:branch";
/// The branch's id ([`naming::BranchNames::branch_id`]): what identifies a branch's stacks.
pub const TAG_BRANCH_ID: &str = "switchyard:branch-id";
/// On the branch's pipeline stack only (its pipeline's name): tells it apart from the
/// environment's stacks.
pub const TAG_PIPELINE: &str = "switchyard:pipeline";
/// On every stack Switchyard deploys itself (the pipeline stack).
pub const TAG_MANAGED: &str = "switchyard:managed";
/// `true` on a pipeline stack that the sweep must leave alone.
pub const TAG_KEEP: &str = "switchyard:keep";

/// One stack that carries a `switchyard:branch-id` tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchStack {
    pub name: String,
    /// `StackStatus`: `CREATE_COMPLETE`, `DELETE_FAILED`, …
    pub status: String,
    /// `switchyard:repository`, if present.
    pub repository: Option<String>,
    /// `switchyard:branch`, decoded; `None` if absent or not a valid tag value.
    pub branch: Option<String>,
    /// `switchyard:branch-id`.
    pub branch_id: String,
    /// The stack carries `switchyard:pipeline`: it is the branch's pipeline stack, not one of
    /// its environment's.
    pub is_pipeline: bool,
    /// `switchyard:keep=true`.
    pub keep: bool,
    pub created: OffsetDateTime,
    pub last_updated: Option<OffsetDateTime>,
    /// The names of the stack's exports (`Outputs[].ExportName`).
    pub exports: Vec<String>,
    /// `EnableTerminationProtection`: CloudFormation refuses to delete the stack.
    pub termination_protection: bool,
}

/// A stack as the service describes it, before its tags are read.
#[derive(Debug, Clone, Default)]
pub struct DescribedStack {
    pub name: String,
    pub status: String,
    pub tags: Vec<(String, String)>,
    pub created: Option<OffsetDateTime>,
    pub last_updated: Option<OffsetDateTime>,
    pub exports: Vec<String>,
    pub termination_protection: bool,
}

impl BranchStack {
    /// The branch stack `stack` is, or `None` when it carries no `switchyard:branch-id`.
    pub fn from_described(stack: DescribedStack) -> Option<BranchStack> {
        let tag = |key: &str| {
            stack
                .tags
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        let branch_id = tag(TAG_BRANCH_ID)?.to_owned();
        Some(BranchStack {
            repository: tag(TAG_REPOSITORY).map(str::to_owned),
            branch: tag(TAG_BRANCH).and_then(naming::branch_from_tag_value),
            is_pipeline: tag(TAG_PIPELINE).is_some(),
            keep: tag(TAG_KEEP) == Some("true"),
            branch_id,
            created: stack.created.unwrap_or(OffsetDateTime::UNIX_EPOCH),
            last_updated: stack.last_updated,
            name: stack.name,
            status: stack.status,
            exports: stack.exports,
            termination_protection: stack.termination_protection,
        })
    }
}

/// Lists the stacks of every branch.
pub trait BranchStackReader: Sync {
    /// Every stack in the account and region that carries `switchyard:branch-id`, through every
    /// page. A failed or capped listing is an error, never a partial list: a stack missing from
    /// it would be left behind by a teardown, or taken for gone by a sweep.
    fn branch_stacks(&self) -> impl Future<Output = Result<Vec<BranchStack>, ObserveError>> + Send;
}

/// Who imports an export.
pub trait StackImports: Sync {
    /// The names of the stacks that import `export` (`ListImports`, every page); empty when none
    /// does.
    fn importing_stacks(
        &self,
        export: &str,
    ) -> impl Future<Output = Result<Vec<String>, ObserveError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn described(tags: &[(&str, &str)]) -> DescribedStack {
        DescribedStack {
            name: "sy-0123-api".into(),
            status: "CREATE_COMPLETE".into(),
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..DescribedStack::default()
        }
    }

    #[test]
    fn only_stacks_with_a_branch_id_are_branch_stacks() {
        assert!(BranchStack::from_described(described(&[(TAG_BRANCH, "x")])).is_none());
        let s = BranchStack::from_described(described(&[
            (TAG_BRANCH_ID, "0123"),
            (TAG_REPOSITORY, "acme/app"),
            (TAG_BRANCH, "b64:eDskKGlkKQ"),
            (TAG_PIPELINE, "sy-0123-app-x"),
            (TAG_KEEP, "true"),
        ]))
        .unwrap();
        assert_eq!(s.branch_id, "0123");
        assert_eq!(s.repository.as_deref(), Some("acme/app"));
        assert_eq!(s.branch.as_deref(), Some("x;$(id)"));
        assert!(s.is_pipeline && s.keep);
        let env = BranchStack::from_described(described(&[(TAG_BRANCH_ID, "0123")])).unwrap();
        assert!(!env.is_pipeline && !env.keep && env.branch.is_none());
    }
}
