//! GitHub's REST API as a git host, over reqwest:
//!
//! - one branch: `GET /repos/{owner}/{repo}/branches/{branch}` (404: missing);
//! - every branch: `GET /repos/{owner}/{repo}/branches?per_page=100`, following the `Link`
//!   header's `rel="next"` until there is none.
//!
//! A listing is all pages or an error: a failed page, a rate-limit answer (403 or 429, with
//! `x-ratelimit-remaining: 0` or `retry-after`), a `next` link to another origin (the token is
//! never sent anywhere but `GITHUB_API_URL`) or more than [`MAX_PAGES`] pages ends it. The token
//! (`Authorization: Bearer`) never reaches an error message or a log.

use percent_encoding::utf8_percent_encode;
use reqwest::header::HeaderMap;
use reqwest::{StatusCode, Url};
use serde::Deserialize;
use switchyard_core::git_hosts::access::GitHubAccess;
use switchyard_core::git_hosts::{BranchLookup, LiveBranch};
use switchyard_core::ports::ObserveError;
use switchyard_core::text::truncate;
use switchyard_core::timestamps;

use super::rest::{ClientError, RestApi, SEGMENT};
use crate::aws::pages::MAX_PAGES;

/// The API version this client reads (GitHub's `X-GitHub-Api-Version`).
const API_VERSION: &str = "2022-11-28";

/// The most branches GitHub returns per page.
const PER_PAGE: u32 = 100;

pub struct GitHubClient {
    api: RestApi,
}

#[derive(Deserialize)]
struct ListedBranch {
    name: String,
    commit: ListedCommit,
}

#[derive(Deserialize)]
struct ListedCommit {
    sha: String,
}

#[derive(Deserialize)]
struct OneBranch {
    name: String,
    commit: BranchCommit,
}

#[derive(Deserialize)]
struct BranchCommit {
    sha: String,
    commit: Option<CommitDetail>,
}

#[derive(Deserialize)]
struct CommitDetail {
    committer: Option<Signature>,
}

#[derive(Deserialize)]
struct Signature {
    date: Option<String>,
}

impl GitHubClient {
    /// github.com's API (`GITHUB_API_URL`).
    pub fn new(access: &GitHubAccess) -> Result<Self, ClientError> {
        Self::on("GITHUB_API_URL", access)
    }

    /// GitHub's API where `access` says (`url_var` names where that came from): github.com's,
    /// or a GitHub Enterprise Server's (`GITHUB_ENTERPRISE_API_URL`). A renamed branch answers
    /// with a redirect to its new name, which [`RestApi`] does not follow: it is not the branch
    /// asked about.
    pub fn on(url_var: &str, access: &GitHubAccess) -> Result<Self, ClientError> {
        const HEADERS: &[(&str, &str)] = &[
            ("accept", "application/vnd.github+json"),
            ("x-github-api-version", API_VERSION),
        ];
        Ok(GitHubClient {
            api: RestApi::new("GitHub", url_var, access, HEADERS)?,
        })
    }

    fn repository_url(&self, repository: &str, tail: &str) -> Result<Url, ObserveError> {
        let Some((owner, name)) = repository.split_once('/') else {
            return Err(ObserveError {
                operation: "GitHub",
                message: format!("{repository:?} is not a GitHub repository (owner/name)"),
                retryable: false,
            });
        };
        let path = format!(
            "repos/{}/{}/{tail}",
            utf8_percent_encode(owner, SEGMENT),
            utf8_percent_encode(name, SEGMENT)
        );
        self.api.url("GitHub", &path)
    }

    async fn get(
        &self,
        operation: &'static str,
        url: Url,
    ) -> Result<(StatusCode, HeaderMap, Vec<u8>), ObserveError> {
        let answer = self.api.get(operation, url).await?;
        Ok((answer.status, answer.headers, answer.body))
    }

    /// `GET /repos/{owner}/{repo}/branches/{branch}`.
    pub async fn branch(
        &self,
        repository: &str,
        branch: &str,
    ) -> Result<BranchLookup, ObserveError> {
        const OP: &str = "GitHub GetBranch";
        let url = self.repository_url(
            repository,
            &format!("branches/{}", utf8_percent_encode(branch, SEGMENT)),
        )?;
        let (status, headers, body) = self.get(OP, url).await?;
        if status == StatusCode::NOT_FOUND && is_missing_branch(&body) {
            return Ok(BranchLookup::Missing);
        }
        if status.is_redirection() {
            return Ok(BranchLookup::Missing);
        }
        if !status.is_success() {
            return Err(answer_error(OP, repository, status, &headers, &body));
        }
        let found: OneBranch = self.api.parse(OP, &body)?;
        if found.name != branch {
            return Ok(BranchLookup::Missing);
        }
        let last_commit = found
            .commit
            .commit
            .and_then(|c| c.committer)
            .and_then(|s| s.date)
            .and_then(|d| timestamps::parse("commit.committer.date", &d).ok());
        Ok(BranchLookup::Exists {
            head: found.commit.sha.to_ascii_lowercase(),
            last_commit,
        })
    }

    /// `GET /repos/{owner}/{repo}/branches`, every page.
    pub async fn list_branches(&self, repository: &str) -> Result<Vec<LiveBranch>, ObserveError> {
        const OP: &str = "GitHub ListBranches";
        let mut url = self.repository_url(repository, &format!("branches?per_page={PER_PAGE}"))?;
        let mut branches = Vec::new();
        for _ in 0..MAX_PAGES {
            let (status, headers, body) = self.get(OP, url).await?;
            if !status.is_success() {
                return Err(answer_error(OP, repository, status, &headers, &body));
            }
            let page: Vec<ListedBranch> = self.api.parse(OP, &body)?;
            branches.extend(page.into_iter().map(|b| LiveBranch {
                name: b.name,
                head: Some(b.commit.sha.to_ascii_lowercase()),
                last_commit: None,
            }));
            match next_link(&headers) {
                None => return Ok(branches),
                Some(next) => url = self.api.same_origin(OP, &next)?,
            }
        }
        Err(ObserveError {
            operation: OP,
            message: format!("{repository} has more than {MAX_PAGES} pages of branches; refusing a partial listing"),
            retryable: false,
        })
    }
}

/// GitHub answers 404 both for a missing branch (`"message": "Branch not found"`) and for a
/// repository the token cannot see (`"Not Found"`). Only the first means the branch is gone: a
/// token without access must not confirm every deletion.
fn is_missing_branch(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .and_then(|m| m.as_str())
                .map(|m| m == "Branch not found")
        })
        .unwrap_or(false)
}

/// The `rel="next"` target of a `Link` header (RFC 8288), as GitHub writes it:
/// `<https://api.github.com/repositories/1/branches?page=2>; rel="next", <…>; rel="last"`.
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|link| {
            let (target, params) = link.trim().split_once(';')?;
            let is_next = params
                .split(';')
                .any(|p| matches!(p.trim(), "rel=\"next\"" | "rel=next"));
            let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
            is_next.then(|| target.to_owned())
        })
}

/// A non-2xx answer as an observation error. Rate limits (primary: 403 or 429 with
/// `x-ratelimit-remaining: 0`; secondary: `retry-after`) and 5xx are retryable; 401, a 403 for
/// missing permissions and 404 (a repository the token cannot see) are final.
fn answer_error(
    operation: &'static str,
    repository: &str,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> ObserveError {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    let message = truncate(&message, 300);
    let rate_limited = matches!(status.as_u16(), 403 | 429)
        && (header("x-ratelimit-remaining") == Some("0") || header("retry-after").is_some());
    if rate_limited {
        let reset = header("x-ratelimit-reset")
            .and_then(|s| s.parse::<i64>().ok())
            .map(|t| format!(" until {}", timestamps::format(timestamps::from_unix(t))))
            .unwrap_or_default();
        return ObserveError {
            operation,
            message: format!(
                "{repository}: GitHub rate limit reached{reset} ({status}: {message})"
            ),
            retryable: true,
        };
    }
    ObserveError {
        operation,
        message: format!("{repository}: GitHub answered {status}: {message}"),
        retryable: status.is_server_error(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn next_link_is_read_from_githubs_link_header() {
        let h = headers(&[(
            "link",
            r#"<https://api.github.com/repositories/1300192/branches?per_page=100&page=2>; rel="next", <https://api.github.com/repositories/1300192/branches?per_page=100&page=3>; rel="last""#,
        )]);
        assert_eq!(
            next_link(&h).as_deref(),
            Some("https://api.github.com/repositories/1300192/branches?per_page=100&page=2")
        );
        let last_page = headers(&[(
            "link",
            r#"<https://api.github.com/repositories/1/branches?page=1>; rel="prev", <https://api.github.com/repositories/1/branches?page=1>; rel="first""#,
        )]);
        assert_eq!(next_link(&last_page), None);
        assert_eq!(next_link(&HeaderMap::new()), None);
    }

    #[test]
    fn only_branch_not_found_means_missing() {
        assert!(is_missing_branch(br#"{"message":"Branch not found","documentation_url":"https://docs.github.com/rest/branches/branches#get-a-branch","status":"404"}"#));
        assert!(!is_missing_branch(br#"{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}"#));
        assert!(!is_missing_branch(b"<html>"));
    }

    #[test]
    fn rate_limits_are_retryable_and_permissions_final() {
        let body = br#"{"message":"API rate limit exceeded for installation ID 1.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}"#;
        let limited = answer_error(
            "GitHub ListBranches",
            "acme/app",
            StatusCode::FORBIDDEN,
            &headers(&[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", "1795169400"),
            ]),
            body,
        );
        assert!(limited.retryable);
        assert!(
            limited
                .message
                .contains("rate limit reached until 2026-11-20T10:10:00Z"),
            "{}",
            limited.message
        );
        let denied = answer_error(
            "GitHub ListBranches",
            "acme/app",
            StatusCode::FORBIDDEN,
            &headers(&[("x-ratelimit-remaining", "4999")]),
            br#"{"message":"Resource not accessible by personal access token"}"#,
        );
        assert!(!denied.retryable);
        assert!(
            denied.message.contains("not accessible"),
            "{}",
            denied.message
        );
    }
}
