//! Bitbucket Cloud's REST API (2.0) as a git host:
//!
//! - one branch: `GET /repositories/{workspace}/{repo}/refs/branches/{name}` (a 404 about the
//!   branch: missing; a 404 about the repository, which a token without access gets, is an error);
//! - every branch: `GET /repositories/{workspace}/{repo}/refs/branches?pagelen=100`, following
//!   each page's `next` URL until a page has none.
//!
//! A listing is all pages or an error, as for GitHub ([`super::github`]).

use percent_encoding::utf8_percent_encode;
use reqwest::StatusCode;
use serde::Deserialize;
use switchyard_core::git_hosts::access::GitHubAccess;
use switchyard_core::git_hosts::{BranchLookup, LiveBranch};
use switchyard_core::ports::ObserveError;
use switchyard_core::timestamps;

use super::rest::ClientError;
use super::rest::{RestApi, SEGMENT};
use crate::aws::pages::MAX_PAGES;

/// The most branches Bitbucket returns per page.
const PAGE_LEN: u32 = 100;

pub struct BitbucketClient {
    api: RestApi,
}

#[derive(Deserialize)]
struct Branch {
    name: String,
    target: Target,
}

#[derive(Deserialize)]
struct Target {
    hash: String,
    date: Option<String>,
}

#[derive(Deserialize)]
struct Page {
    values: Vec<Branch>,
    next: Option<String>,
}

impl BitbucketClient {
    pub fn new(url_var: &str, access: &GitHubAccess) -> Result<Self, ClientError> {
        Ok(BitbucketClient {
            api: RestApi::new("Bitbucket", url_var, access, &[])?,
        })
    }

    fn branches_path(operation: &'static str, repository: &str) -> Result<String, ObserveError> {
        let Some((workspace, slug)) = repository.split_once('/') else {
            return Err(ObserveError {
                operation,
                message: format!("{repository:?} is not a Bitbucket repository (workspace/repo)"),
                retryable: false,
            });
        };
        Ok(format!(
            "repositories/{}/{}/refs/branches",
            utf8_percent_encode(workspace, SEGMENT),
            utf8_percent_encode(slug, SEGMENT)
        ))
    }

    fn live(b: Branch) -> LiveBranch {
        LiveBranch {
            name: b.name,
            head: Some(b.target.hash.to_ascii_lowercase()),
            last_commit: b
                .target
                .date
                .and_then(|d| timestamps::parse("target.date", &d).ok()),
        }
    }

    /// `GET /repositories/{workspace}/{repo}/refs/branches/{name}`.
    pub async fn branch(
        &self,
        repository: &str,
        branch: &str,
    ) -> Result<BranchLookup, ObserveError> {
        const OP: &str = "Bitbucket GetBranch";
        let path = format!(
            "{}/{}",
            Self::branches_path(OP, repository)?,
            utf8_percent_encode(branch, SEGMENT)
        );
        let answer = self.api.get(OP, self.api.url(OP, &path)?).await?;
        if (answer.status == StatusCode::NOT_FOUND && is_missing_branch(&answer.body))
            || answer.status.is_redirection()
        {
            return Ok(BranchLookup::Missing);
        }
        if !answer.status.is_success() {
            return Err(self.api.answer_error(OP, repository, &answer));
        }
        let found: Branch = self.api.parse(OP, &answer.body)?;
        if found.name != branch {
            return Ok(BranchLookup::Missing);
        }
        let live = Self::live(found);
        Ok(BranchLookup::Exists {
            head: live.head.unwrap_or_default(),
            last_commit: live.last_commit,
        })
    }

    /// `GET /repositories/{workspace}/{repo}/refs/branches`, every page.
    pub async fn list_branches(&self, repository: &str) -> Result<Vec<LiveBranch>, ObserveError> {
        const OP: &str = "Bitbucket ListBranches";
        let first = format!(
            "{}?pagelen={PAGE_LEN}",
            Self::branches_path(OP, repository)?
        );
        let mut url = self.api.url(OP, &first)?;
        let mut branches = Vec::new();
        for _ in 0..MAX_PAGES {
            let answer = self.api.get(OP, url).await?;
            if !answer.status.is_success() {
                return Err(self.api.answer_error(OP, repository, &answer));
            }
            let page: Page = self.api.parse(OP, &answer.body)?;
            branches.extend(page.values.into_iter().map(Self::live));
            match page.next {
                None => return Ok(branches),
                Some(next) => url = self.api.same_origin(OP, &next)?,
            }
        }
        Err(ObserveError {
            operation: OP,
            message: format!(
                "{repository} has more than {MAX_PAGES} pages of branches; refusing a partial listing"
            ),
            retryable: false,
        })
    }
}

/// Bitbucket answers 404 both for a missing branch and for a repository the token cannot see
/// ("You may not have access to this repository or it no longer exists in this workspace.").
/// Only the first means the branch is gone: a token without access must not confirm every
/// deletion. `{"type": "error", "error": {"message": …}}` whose message is not about the
/// repository.
fn is_missing_branch(body: &[u8]) -> bool {
    let Ok(answer) = serde_json::from_slice::<serde_json::Value>(body) else {
        return false;
    };
    let message = answer
        .pointer("/error/message")
        .and_then(|m| m.as_str())
        .unwrap_or_default();
    answer.get("type").and_then(|t| t.as_str()) == Some("error")
        && !message.is_empty()
        && !message.to_ascii_lowercase().contains("repository")
}

#[cfg(test)]
mod missing_branch_tests {
    use super::is_missing_branch;

    #[test]
    fn only_a_branch_not_found_means_missing() {
        assert!(is_missing_branch(
            br#"{"type":"error","error":{"message":"Branch \"feature/x\" not found"}}"#
        ));
        assert!(!is_missing_branch(br#"{"type":"error","error":{"message":"You may not have access to this repository or it no longer exists in this workspace. If you think this repository exists and you have access, make sure you are authenticated."}}"#));
        assert!(!is_missing_branch(b"<html>Not Found</html>"));
        assert!(!is_missing_branch(br#"{"type":"error"}"#));
    }
}
