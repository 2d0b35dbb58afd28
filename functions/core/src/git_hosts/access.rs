//! Which git hosts `branch-pipelines` can ask, read once at cold start.
//!
//! CodeCommit is asked through the function's IAM role, always. GitHub needs a token (a
//! fine-grained personal access token with read access to the repositories' contents, or a
//! GitHub App installation token), kept in Secrets Manager (`GITHUB_TOKEN_SECRET_ID`); without
//! one, GitHub events cannot be confirmed and GitHub repositories cannot be swept. The other
//! hosts likewise, each with its own token and API URL ([`HOST_APIS`]): GitHub Enterprise Server
//! (GitHub's API on the server), GitLab (gitlab.com, and one self-managed server; a token with
//! `read_api`), Bitbucket Cloud (a repository or workspace access token with `repository`).

use crate::config::{self, ConfigError, Vars};
use crate::function::Resolve;
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

/// One host's token (from Secrets Manager, or inline for replay) and API URL; `None` without a
/// token.
async fn host_access(
    vars: &(dyn Vars + Sync),
    resolve: &impl Resolve,
    (id_var, inline_var, url_var, default_url): (
        &'static str,
        &'static str,
        &'static str,
        Option<&str>,
    ),
) -> Result<Option<GitHubAccess>, ConfigError> {
    let token = match (
        config::optional(vars, id_var),
        config::optional(vars, inline_var),
    ) {
        (Some(_), Some(_)) => {
            return Err(ConfigError::new(
                inline_var,
                format!("set either {id_var} or {inline_var}, not both"),
            ))
        }
        (Some(id), None) => resolve.secret(id_var, &id, inline_var).await?,
        (None, Some(value)) => Secret::new(value),
        (None, None) => return Ok(None),
    };
    let api_url = config::optional(vars, url_var)
        .or_else(|| default_url.map(str::to_owned))
        .ok_or_else(|| ConfigError::new(url_var, format!("is required with {id_var}")))?
        .trim_end_matches('/')
        .to_owned();
    if !(api_url.starts_with("https://") || api_url.starts_with("http://")) {
        return Err(ConfigError::new(
            url_var,
            format!("{api_url:?} is not an http(s) URL"),
        ));
    }
    Ok(Some(GitHubAccess { api_url, token }))
}

impl GitHostAccess {
    /// `GITHUB_TOKEN_SECRET_ID` (a Secrets Manager secret, read now) or, for local replay only,
    /// `GITHUB_TOKEN` (the value); `GITHUB_API_URL` where the API is.
    pub async fn configure(
        vars: &(dyn Vars + Sync),
        resolve: &impl Resolve,
    ) -> Result<Self, ConfigError> {
        let github = (
            "GITHUB_TOKEN_SECRET_ID",
            "GITHUB_TOKEN",
            "GITHUB_API_URL",
            Some(GITHUB_API_URL),
        );
        let mut access = GitHostAccess {
            github: host_access(vars, resolve, github).await?,
            ..GitHostAccess::default()
        };
        for (host, id_var, inline_var, url_var, default_url) in HOST_APIS {
            let found =
                host_access(vars, resolve, (id_var, inline_var, url_var, default_url)).await?;
            match host {
                GitHost::GitHubEnterprise => access.github_enterprise = found,
                GitHost::GitLab => access.gitlab = found,
                GitHost::GitLabSelfManaged => access.gitlab_self_managed = found,
                GitHost::Bitbucket => access.bitbucket = found,
                GitHost::CodeCommit | GitHost::GitHub => unreachable!("not in HOST_APIS"),
            }
        }
        Ok(access)
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_vars as vars;
    use crate::world::DryRunResolve;

    #[tokio::test]
    async fn token_sources_and_their_errors() {
        let none = GitHostAccess::configure(&vars(&[]), &DryRunResolve)
            .await
            .unwrap();
        assert!(none.can_ask(GitHost::CodeCommit) && !none.can_ask(GitHost::GitHub));
        let inline = GitHostAccess::configure(&vars(&[("GITHUB_TOKEN", "t0k")]), &DryRunResolve)
            .await
            .unwrap();
        let github = inline.github.as_ref().unwrap();
        assert_eq!(github.api_url, GITHUB_API_URL);
        assert_eq!(format!("{inline:?}").matches("t0k").count(), 0, "redacted");
        let both = [("GITHUB_TOKEN", "t"), ("GITHUB_TOKEN_SECRET_ID", "id")];
        let err = GitHostAccess::configure(&vars(&both), &DryRunResolve)
            .await
            .unwrap_err();
        assert_eq!(err.var, "GITHUB_TOKEN");
        let err = GitHostAccess::configure(
            &vars(&[("GITHUB_TOKEN_SECRET_ID", "gh-token")]),
            &DryRunResolve,
        )
        .await
        .unwrap_err();
        assert_eq!(err.var, "GITHUB_TOKEN_SECRET_ID");
        let gitlab = GitHostAccess::configure(&vars(&[("GITLAB_TOKEN", "g")]), &DryRunResolve)
            .await
            .unwrap();
        assert_eq!(
            gitlab.api(GitHost::GitLab).unwrap().api_url,
            "https://gitlab.com/api/v4"
        );
        assert!(!gitlab.can_ask(GitHost::Bitbucket) && !gitlab.can_ask(GitHost::GitHub));
        // A server's API URL is required with its token.
        let err =
            GitHostAccess::configure(&vars(&[("GITHUB_ENTERPRISE_TOKEN", "t")]), &DryRunResolve)
                .await
                .unwrap_err();
        assert_eq!(err.var, "GITHUB_ENTERPRISE_API_URL");
        let ghe = [
            ("GITHUB_ENTERPRISE_TOKEN", "t"),
            ("GITHUB_ENTERPRISE_API_URL", "https://ghe.acme.com/api/v3/"),
        ];
        let ghe = GitHostAccess::configure(&vars(&ghe), &DryRunResolve)
            .await
            .unwrap();
        assert_eq!(
            ghe.api(GitHost::GitHubEnterprise).unwrap().api_url,
            "https://ghe.acme.com/api/v3"
        );
        let bad = [("GITHUB_TOKEN", "t"), ("GITHUB_API_URL", "ftp://x")];
        let err = GitHostAccess::configure(&vars(&bad), &DryRunResolve)
            .await
            .unwrap_err();
        assert_eq!(err.var, "GITHUB_API_URL");
    }
}
