//! Cold start: which git hosts `branch-pipelines` can ask, from the environment and the secrets it
//! names ([`GitHostAccess`]).

use super::access::{GitHostAccess, GitHubAccess, GITHUB_API_URL, HOST_APIS};
use super::GitHost;
use crate::config::{self, ConfigError, Vars};
use crate::function::Resolve;
use crate::secret::Secret;

/// `GITHUB_TOKEN_SECRET_ID` (a Secrets Manager secret, read now) or, for local replay only,
/// `GITHUB_TOKEN` (the value); `GITHUB_API_URL` where the API is; the other hosts likewise
/// ([`HOST_APIS`]).
pub async fn configure(
    vars: &(dyn Vars + Sync),
    resolve: &impl Resolve,
) -> Result<GitHostAccess, ConfigError> {
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
        let found = host_access(vars, resolve, (id_var, inline_var, url_var, default_url)).await?;
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
    // The URL is read (and checked) even without a token: a template sets both, and a wrong URL
    // fails at cold start rather than when a token is added.
    let api_url = config::optional(vars, url_var)
        .or_else(|| default_url.map(str::to_owned))
        .map(|url| url.trim_end_matches('/').to_owned());
    if let Some(url) = &api_url {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(ConfigError::new(
                url_var,
                format!("{url:?} is not an http(s) URL"),
            ));
        }
    }
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
    let api_url =
        api_url.ok_or_else(|| ConfigError::new(url_var, format!("is required with {id_var}")))?;
    Ok(Some(GitHubAccess { api_url, token }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_vars as vars;
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
        let gitlab = configure(&vars(&[("GITLAB_TOKEN", "g")]), &DryRunResolve)
            .await
            .unwrap();
        assert_eq!(
            gitlab.api(GitHost::GitLab).unwrap().api_url,
            "https://gitlab.com/api/v4"
        );
        assert!(!gitlab.can_ask(GitHost::Bitbucket) && !gitlab.can_ask(GitHost::GitHub));
        // A server's API URL is required with its token.
        let err = configure(&vars(&[("GITHUB_ENTERPRISE_TOKEN", "t")]), &DryRunResolve)
            .await
            .unwrap_err();
        assert_eq!(err.var, "GITHUB_ENTERPRISE_API_URL");
        let ghe = [
            ("GITHUB_ENTERPRISE_TOKEN", "t"),
            ("GITHUB_ENTERPRISE_API_URL", "https://ghe.acme.com/api/v3/"),
        ];
        let ghe = configure(&vars(&ghe), &DryRunResolve).await.unwrap();
        assert_eq!(
            ghe.api(GitHost::GitHubEnterprise).unwrap().api_url,
            "https://ghe.acme.com/api/v3"
        );
        let bad = [("GITHUB_TOKEN", "t"), ("GITHUB_API_URL", "ftp://x")];
        let err = configure(&vars(&bad), &DryRunResolve).await.unwrap_err();
        assert_eq!(err.var, "GITHUB_API_URL");
    }
}
