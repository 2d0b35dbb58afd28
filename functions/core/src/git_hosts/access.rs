//! Which git hosts `branch-pipelines` can ask, read once at cold start.
//!
//! CodeCommit is asked through the function's IAM role, always. GitHub needs a token (a
//! fine-grained personal access token with read access to the repositories' contents, or a
//! GitHub App installation token), kept in Secrets Manager (`GITHUB_TOKEN_SECRET_ID`); without
//! one, GitHub events cannot be confirmed and GitHub repositories cannot be swept. Read from the
//! environment by [`super::configure`].

use crate::secret::Secret;

use super::GitHost;

/// GitHub's REST API, by default; a test harness or a proxy sets `GITHUB_API_URL`.
pub const GITHUB_API_URL: &str = "https://api.github.com";

/// How to reach GitHub's REST API.
#[derive(Debug, Clone)]
pub struct GitHubAccess {
    /// `GITHUB_API_URL` (default [`GITHUB_API_URL`]), without a trailing `/`.
    pub api_url: String,
    pub token: Secret,
}

/// The hosts that can be asked.
#[derive(Debug, Clone, Default)]
pub struct GitHostAccess {
    pub github: Option<GitHubAccess>,
}

impl GitHostAccess {
    /// Whether `host` can be asked about branches.
    pub fn can_ask(&self, host: GitHost) -> bool {
        match host {
            GitHost::CodeCommit => true,
            GitHost::GitHub => self.github.is_some(),
        }
    }
}
