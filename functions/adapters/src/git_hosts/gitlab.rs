//! GitLab's REST API (v4; gitlab.com or a self-managed server) as a git host:
//!
//! - one branch: `GET /projects/:id/repository/branches/:branch`, `:id` the URL-encoded path
//!   (`group%2Fsubgroup%2Fproject`); `404 Branch Not Found` is missing, `404 Project Not Found`
//!   (or a project the token cannot see) is an error, never "missing";
//! - every branch: `GET /projects/:id/repository/branches?per_page=100`, following the `Link`
//!   header's `rel="next"` (GitLab's pagination headers) until there is none.
//!
//! A listing is all pages or an error, as for GitHub ([`super::github`]).

use percent_encoding::utf8_percent_encode;
use reqwest::StatusCode;
use serde::Deserialize;
use switchyard_core::git_hosts::access::GitHubAccess;
use switchyard_core::git_hosts::{BranchLookup, LiveBranch};
use switchyard_core::ports::ObserveError;
use switchyard_core::timestamps;

use super::github::next_link;
use super::rest::ClientError;
use super::rest::{RestApi, SEGMENT};
use crate::aws::pages::MAX_PAGES;

const PER_PAGE: u32 = 100;

pub struct GitLabClient {
    api: RestApi,
}

#[derive(Deserialize)]
struct Branch {
    name: String,
    commit: Commit,
}

#[derive(Deserialize)]
struct Commit {
    id: String,
    committed_date: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    message: Option<String>,
}

impl GitLabClient {
    /// `url_var` names the variable the API URL came from, for errors.
    pub fn new(url_var: &str, access: &GitHubAccess) -> Result<Self, ClientError> {
        Ok(GitLabClient {
            api: RestApi::new("GitLab", url_var, access, &[])?,
        })
    }

    fn branches_path(project: &str) -> String {
        format!(
            "projects/{}/repository/branches",
            utf8_percent_encode(project, SEGMENT)
        )
    }

    /// `GET /projects/:id/repository/branches/:branch`.
    pub async fn branch(&self, project: &str, branch: &str) -> Result<BranchLookup, ObserveError> {
        const OP: &str = "GitLab GetBranch";
        let path = format!(
            "{}/{}",
            Self::branches_path(project),
            utf8_percent_encode(branch, SEGMENT)
        );
        let answer = self.api.get(OP, self.api.url(OP, &path)?).await?;
        if answer.status == StatusCode::NOT_FOUND {
            let message = serde_json::from_slice::<Message>(&answer.body)
                .ok()
                .and_then(|m| m.message);
            if message.as_deref() == Some("404 Branch Not Found") {
                return Ok(BranchLookup::Missing);
            }
            return Err(self.api.answer_error(OP, project, &answer));
        }
        if answer.status.is_redirection() {
            return Ok(BranchLookup::Missing);
        }
        if !answer.status.is_success() {
            return Err(self.api.answer_error(OP, project, &answer));
        }
        let found: Branch = self.api.parse(OP, &answer.body)?;
        if found.name != branch {
            return Ok(BranchLookup::Missing);
        }
        Ok(BranchLookup::Exists {
            head: found.commit.id.to_ascii_lowercase(),
            last_commit: found
                .commit
                .committed_date
                .and_then(|d| timestamps::parse("commit.committed_date", &d).ok()),
        })
    }

    /// `GET /projects/:id/repository/branches`, every page.
    pub async fn list_branches(&self, project: &str) -> Result<Vec<LiveBranch>, ObserveError> {
        const OP: &str = "GitLab ListBranches";
        let first = format!("{}?per_page={PER_PAGE}", Self::branches_path(project));
        let mut url = self.api.url(OP, &first)?;
        let mut branches = Vec::new();
        for _ in 0..MAX_PAGES {
            let answer = self.api.get(OP, url).await?;
            if !answer.status.is_success() {
                return Err(self.api.answer_error(OP, project, &answer));
            }
            let page: Vec<Branch> = self.api.parse(OP, &answer.body)?;
            branches.extend(page.into_iter().map(|b| {
                LiveBranch {
                    name: b.name,
                    head: Some(b.commit.id.to_ascii_lowercase()),
                    last_commit: b
                        .commit
                        .committed_date
                        .and_then(|d| timestamps::parse("commit.committed_date", &d).ok()),
                }
            }));
            match next_link(&answer.headers) {
                None => return Ok(branches),
                Some(next) => url = self.api.same_origin(OP, &next)?,
            }
        }
        Err(ObserveError {
            operation: OP,
            message: format!(
                "{project} has more than {MAX_PAGES} pages of branches; refusing a partial listing"
            ),
            retryable: false,
        })
    }
}
