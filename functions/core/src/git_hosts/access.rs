//! Which git hosts `branch-pipelines` can ask, read once at cold start.
//!
//! CodeCommit is asked through the function's IAM role, always. GitHub needs a token (a
//! fine-grained personal access token with read access to the repositories' contents, or a
//! GitHub App installation token), kept in Secrets Manager (`GITHUB_TOKEN_SECRET_ID`); without
//! one, GitHub events cannot be confirmed and GitHub repositories cannot be swept.

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
}

impl GitHostAccess {
    /// `GITHUB_TOKEN_SECRET_ID` (a Secrets Manager secret, read now) or, for local replay only,
    /// `GITHUB_TOKEN` (the value); `GITHUB_API_URL` where the API is.
    pub async fn configure(
        vars: &(dyn Vars + Sync),
        resolve: &impl Resolve,
    ) -> Result<Self, ConfigError> {
        let token = match (
            config::optional(vars, "GITHUB_TOKEN_SECRET_ID"),
            config::optional(vars, "GITHUB_TOKEN"),
        ) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::new(
                    "GITHUB_TOKEN",
                    "set either GITHUB_TOKEN_SECRET_ID or GITHUB_TOKEN, not both",
                ))
            }
            (Some(id), None) => Some(
                resolve
                    .secret("GITHUB_TOKEN_SECRET_ID", &id, "GITHUB_TOKEN")
                    .await?,
            ),
            (None, Some(value)) => Some(Secret::new(value)),
            (None, None) => None,
        };
        let api_url = config::optional(vars, "GITHUB_API_URL")
            .unwrap_or_else(|| GITHUB_API_URL.into())
            .trim_end_matches('/')
            .to_owned();
        if !(api_url.starts_with("https://") || api_url.starts_with("http://")) {
            return Err(ConfigError::new(
                "GITHUB_API_URL",
                format!("{api_url:?} is not an http(s) URL"),
            ));
        }
        Ok(GitHostAccess {
            github: token.map(|token| GitHubAccess { api_url, token }),
        })
    }

    /// Whether `host` can be asked about branches.
    pub fn can_ask(&self, host: GitHost) -> bool {
        match host {
            GitHost::CodeCommit => true,
            GitHost::GitHub => self.github.is_some(),
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
        let bad = [("GITHUB_TOKEN", "t"), ("GITHUB_API_URL", "ftp://x")];
        let err = GitHostAccess::configure(&vars(&bad), &DryRunResolve)
            .await
            .unwrap_err();
        assert_eq!(err.var, "GITHUB_API_URL");
    }
}
