//! Cold start: which git hosts `branch-pipelines` can ask, from the environment and the secrets it
//! names ([`GitHostAccess`]).

use super::access::{GitHostAccess, GitHubAccess, GITHUB_API_URL};
use crate::config::{self, ConfigError, Vars};
use crate::function::Resolve;
use crate::secret::Secret;

/// `GITHUB_TOKEN_SECRET_ID` (a Secrets Manager secret, read now) or, for local replay only,
/// `GITHUB_TOKEN` (the value); `GITHUB_API_URL` where the API is.
pub async fn configure(
    vars: &(dyn Vars + Sync),
    resolve: &impl Resolve,
) -> Result<GitHostAccess, ConfigError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_vars as vars;
    use crate::git_hosts::GitHost;
    use crate::world::DryRunResolve;

    #[tokio::test]
    async fn token_sources_and_their_errors() {
        let none = configure(&vars(&[]), &DryRunResolve).await.unwrap();
        assert!(none.can_ask(GitHost::CodeCommit) && !none.can_ask(GitHost::GitHub));
        let inline = configure(&vars(&[("GITHUB_TOKEN", "t0k")]), &DryRunResolve)
            .await
            .unwrap();
        let github = inline.github.as_ref().unwrap();
        assert_eq!(github.api_url, GITHUB_API_URL);
        assert_eq!(format!("{inline:?}").matches("t0k").count(), 0, "redacted");
        let both = [("GITHUB_TOKEN", "t"), ("GITHUB_TOKEN_SECRET_ID", "id")];
        let err = configure(&vars(&both), &DryRunResolve).await.unwrap_err();
        assert_eq!(err.var, "GITHUB_TOKEN");
        let err = configure(
            &vars(&[("GITHUB_TOKEN_SECRET_ID", "gh-token")]),
            &DryRunResolve,
        )
        .await
        .unwrap_err();
        assert_eq!(err.var, "GITHUB_TOKEN_SECRET_ID");
        let bad = [("GITHUB_TOKEN", "t"), ("GITHUB_API_URL", "ftp://x")];
        let err = configure(&vars(&bad), &DryRunResolve).await.unwrap_err();
        assert_eq!(err.var, "GITHUB_API_URL");
    }
}
