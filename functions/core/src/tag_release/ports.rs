//! What `tag-release` observes: whether the tagged commit is on the repository's default branch
//! (only for environments listed in `TAG_DEFAULT_BRANCH_ONLY`, and only for CodeCommit — a GitHub
//! push says it itself, in `base_ref`).
//!
//! Implementations: `switchyard_adapters::aws::codecommit` (CodeCommit `GetMergeOptions`), and
//! [`WorldDefaultBranch`] for dry runs, which reads the `--world` file.

use std::collections::BTreeMap;
use std::future::Future;

use serde::Deserialize;
use serde_json::Value;

use crate::ports::ObserveError;

/// Whether a commit is on a branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BranchMembership {
    /// The commit is the branch head or one of its ancestors.
    OnBranch,
    /// It is not.
    NotOnBranch,
    /// The source cannot tell (with why). Treated like `NotOnBranch`: the policy fails closed.
    Unknown(String),
}

pub trait DefaultBranchObserver: Sync {
    /// Is `commit` reachable from the head of `branch` in `repository`?
    fn membership(
        &self,
        repository: &str,
        commit: &str,
        branch: &str,
    ) -> impl Future<Output = Result<BranchMembership, ObserveError>> + Send;
}

/// The dry-run observer. World shape (the `tag-release` key of `--world`):
///
/// ```json
/// {"tag-release": {"default_branch_commits": {"payments-service": ["4c1e7d0b…"]}}}
/// ```
///
/// A commit listed for a repository is on its default branch; any other commit is not. Without
/// the key, no commit is on a default branch, so a dry run of a guarded environment shows the
/// refusal rather than assuming success.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorldDefaultBranch {
    #[serde(default)]
    default_branch_commits: BTreeMap<String, Vec<String>>,
}

impl WorldDefaultBranch {
    /// Reads the `tag-release` part of a world file (absent: an empty world).
    pub fn from_world(part: Option<&Value>) -> Result<Self, String> {
        match part {
            None => Ok(Self::default()),
            Some(v) => serde_json::from_value(v.clone())
                .map_err(|e| format!("world file, key \"tag-release\": {e}")),
        }
    }
}

impl DefaultBranchObserver for WorldDefaultBranch {
    async fn membership(
        &self,
        repository: &str,
        commit: &str,
        _branch: &str,
    ) -> Result<BranchMembership, ObserveError> {
        let listed = self
            .default_branch_commits
            .get(repository)
            .is_some_and(|commits| commits.iter().any(|c| c.eq_ignore_ascii_case(commit)));
        Ok(if listed {
            BranchMembership::OnBranch
        } else {
            BranchMembership::NotOnBranch
        })
    }
}
