//! The dry-run git hosts: the `branches` part of a `--world` file.
//!
//! ```json
//! {"branches": {
//!   "payments-service": [{"name": "feature/x", "head": "4c1e7d0b…", "last_commit": "2026-11-20T10:00:00Z"}],
//!   "acme/payments-service": {"error": "403: API rate limit exceeded"}
//! }}
//! ```
//!
//! Keyed by repository name (whatever its host). A repository with a list has exactly those
//! branches (`head` and `last_commit` optional); one with `{"error": …}` fails to answer, as a
//! throttled or unreadable host would; a repository the world does not list has no branches.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::{BranchLookup, GitHosts, LiveBranch, Repository};
use crate::ports::ObserveError;
use crate::timestamps;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorldBranch {
    name: String,
    #[serde(default)]
    head: Option<String>,
    #[serde(default)]
    last_commit: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum WorldRepository {
    Branches(Vec<WorldBranch>),
    Failing { error: String },
}

#[derive(Debug, Clone)]
enum Answer {
    Branches(Vec<LiveBranch>),
    Failing(String),
}

/// The dry-run [`GitHosts`].
#[derive(Debug, Clone, Default)]
pub struct WorldBranches {
    repositories: BTreeMap<String, Answer>,
}

impl WorldBranches {
    /// Reads the `branches` part of a world file (absent: no repository has branches).
    pub fn from_world(part: Option<&Value>) -> Result<Self, String> {
        let Some(part) = part else {
            return Ok(Self::default());
        };
        let error = |e: String| format!("world file, key \"branches\": {e}");
        let raw: BTreeMap<String, WorldRepository> =
            serde_json::from_value(part.clone()).map_err(|e| error(e.to_string()))?;
        let mut repositories = BTreeMap::new();
        for (name, repository) in raw {
            let answer = match repository {
                WorldRepository::Failing { error } => Answer::Failing(error),
                WorldRepository::Branches(branches) => Answer::Branches(
                    branches
                        .into_iter()
                        .map(|b| {
                            let last_commit = b
                                .last_commit
                                .as_deref()
                                .map(|t| timestamps::parse("last_commit", t))
                                .transpose()
                                .map_err(|e| error(format!("{name}: {}: {e}", b.name)))?;
                            Ok(LiveBranch {
                                name: b.name,
                                head: b.head,
                                last_commit,
                            })
                        })
                        .collect::<Result<_, String>>()?,
                ),
            };
            repositories.insert(name, answer);
        }
        Ok(WorldBranches { repositories })
    }

    fn answer(
        &self,
        operation: &'static str,
        repository: &Repository,
    ) -> Result<&[LiveBranch], ObserveError> {
        match self.repositories.get(&repository.name) {
            None => Ok(&[]),
            Some(Answer::Branches(branches)) => Ok(branches),
            Some(Answer::Failing(message)) => Err(ObserveError {
                operation,
                message: format!("{repository}: {message}"),
                retryable: true,
            }),
        }
    }
}

impl GitHosts for WorldBranches {
    async fn branch(
        &self,
        repository: &Repository,
        name: &str,
    ) -> Result<BranchLookup, ObserveError> {
        let branches = self.answer("GetBranch", repository)?;
        Ok(match branches.iter().find(|b| b.name == name) {
            Some(b) => BranchLookup::Exists {
                head: b.head.clone().unwrap_or_default(),
                last_commit: b.last_commit,
            },
            None => BranchLookup::Missing,
        })
    }

    async fn list_branches(
        &self,
        repository: &Repository,
    ) -> Result<Vec<LiveBranch>, ObserveError> {
        self.answer("ListBranches", repository)
            .map(<[LiveBranch]>::to_vec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git_hosts::GitHost;
    use serde_json::json;

    fn repo(name: &str) -> Repository {
        Repository {
            host: GitHost::GitHub,
            name: name.into(),
        }
    }

    #[tokio::test]
    async fn lists_looks_up_and_fails_as_the_world_says() {
        let world = WorldBranches::from_world(Some(&json!({
            "acme/app": [{"name": "feature/x", "head": "abc", "last_commit": "2026-11-20T10:00:00Z"}],
            "acme/down": {"error": "403: API rate limit exceeded"}
        })))
        .unwrap();
        let listed = world.list_branches(&repo("acme/app")).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(
            listed[0].last_commit.unwrap().unix_timestamp(),
            1_795_168_800
        );
        assert!(matches!(
            world.branch(&repo("acme/app"), "feature/x").await.unwrap(),
            BranchLookup::Exists { ref head, .. } if head == "abc"
        ));
        assert_eq!(
            world.branch(&repo("acme/app"), "feature/y").await.unwrap(),
            BranchLookup::Missing
        );
        assert!(world
            .list_branches(&repo("acme/other"))
            .await
            .unwrap()
            .is_empty());
        let err = world.list_branches(&repo("acme/down")).await.unwrap_err();
        assert!(err.message.contains("rate limit"), "{err}");
        let err =
            WorldBranches::from_world(Some(&json!({"a": [{"name": "x", "last_commit": "soon"}]})))
                .unwrap_err();
        assert!(
            err.contains("branches") && err.contains("last_commit"),
            "{err}"
        );
    }
}
