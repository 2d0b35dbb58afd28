//! Which git hosts `branch-pipelines` can ask, read once at cold start.
//!
//! CodeCommit is asked through the function's IAM role, always. GitHub needs a token (a
//! fine-grained personal access token with read access to the repositories' contents, or a
//! GitHub App installation token), kept in Secrets Manager (`GITHUB_TOKEN_SECRET_ID`); without
//! one, GitHub events cannot be confirmed and GitHub repositories cannot be swept. The other
//! hosts likewise, each with its own token and API URL ([`HOST_APIS`]): GitHub Enterprise Server
//! (GitHub's API on the server), GitLab (gitlab.com, and one self-managed server; a token with
//! `read_api`), Bitbucket Cloud (a repository or workspace access token with `repository`). Read
//! from the environment by [`super::configure`].

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
    /// The same shape for every host: an API URL and a token.
    pub github_enterprise: Option<GitHubAccess>,
    pub gitlab: Option<GitHubAccess>,
    pub gitlab_self_managed: Option<GitHubAccess>,
    pub bitbucket: Option<GitHubAccess>,
}

/// How the hosts other than github.com are configured: the host, its token variables
/// (`…_TOKEN_SECRET_ID`, `…_TOKEN`), its API URL variable and the URL when it is not set (none
/// for a server of the customer's: its URL is required with its token).
pub const HOST_APIS: [(GitHost, &str, &str, &str, Option<&str>); 4] = [
    (
        GitHost::GitHubEnterprise,
        "GITHUB_ENTERPRISE_TOKEN_SECRET_ID",
        "GITHUB_ENTERPRISE_TOKEN",
        "GITHUB_ENTERPRISE_API_URL",
        None,
    ),
    (
        GitHost::GitLab,
        "GITLAB_TOKEN_SECRET_ID",
        "GITLAB_TOKEN",
        "GITLAB_API_URL",
        Some("https://gitlab.com/api/v4"),
    ),
    (
        GitHost::GitLabSelfManaged,
        "GITLAB_SELF_MANAGED_TOKEN_SECRET_ID",
        "GITLAB_SELF_MANAGED_TOKEN",
        "GITLAB_SELF_MANAGED_API_URL",
        None,
    ),
    (
        GitHost::Bitbucket,
        "BITBUCKET_TOKEN_SECRET_ID",
        "BITBUCKET_TOKEN",
        "BITBUCKET_API_URL",
        Some("https://api.bitbucket.org/2.0"),
    ),
];

impl GitHostAccess {
    /// Whether `host` can be asked about branches.
    pub fn can_ask(&self, host: GitHost) -> bool {
        match host {
            GitHost::CodeCommit => true,
            host => self.api(host).is_some(),
        }
    }

    /// How to reach `host`'s API, when it can be asked (`None` for CodeCommit, which needs none).
    pub fn api(&self, host: GitHost) -> Option<&GitHubAccess> {
        match host {
            GitHost::CodeCommit => None,
            GitHost::GitHub => self.github.as_ref(),
            GitHost::GitHubEnterprise => self.github_enterprise.as_ref(),
            GitHost::GitLab => self.gitlab.as_ref(),
            GitHost::GitLabSelfManaged => self.gitlab_self_managed.as_ref(),
            GitHost::Bitbucket => self.bitbucket.as_ref(),
        }
    }
}
