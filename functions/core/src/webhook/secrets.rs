//! Where each host's webhook secret comes from: one Secrets Manager secret per host (or, for local
//! replay, the value itself), read once at cold start. A host without one has every delivery
//! refused with 401.

use super::gitlab::GitLabSecret;
use super::Host;
use crate::config::{optional, ConfigError, Vars};
use crate::function::Resolve;
use crate::secret::Secret;

/// The variables that configure a host's secret: `<HOST>_WEBHOOK_SECRET_ID` (a Secrets Manager
/// secret id or ARN) and `<HOST>_WEBHOOK_SECRET` (the value; local replay only).
pub fn secret_vars(host: Host) -> (&'static str, &'static str) {
    match host {
        Host::GitHub => ("GITHUB_WEBHOOK_SECRET_ID", "GITHUB_WEBHOOK_SECRET"),
        Host::GitHubEnterprise => (
            "GITHUB_ENTERPRISE_WEBHOOK_SECRET_ID",
            "GITHUB_ENTERPRISE_WEBHOOK_SECRET",
        ),
        Host::GitLab => ("GITLAB_WEBHOOK_SECRET_ID", "GITLAB_WEBHOOK_SECRET"),
        Host::Bitbucket => ("BITBUCKET_WEBHOOK_SECRET_ID", "BITBUCKET_WEBHOOK_SECRET"),
    }
}

/// Where a host's webhook secret comes from, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// `<HOST>_WEBHOOK_SECRET_ID`: read from Secrets Manager at cold start.
    SecretsManager(String),
    /// `<HOST>_WEBHOOK_SECRET`: the value itself; for local replay only.
    Inline(Secret),
    /// Neither: every webhook from the host is refused with 401.
    Unset,
}

impl SecretSource {
    pub fn from_vars(vars: &dyn Vars, host: Host) -> Result<Self, ConfigError> {
        let (id_var, inline_var) = secret_vars(host);
        match (
            optional(vars, id_var),
            vars.var(inline_var).filter(|s| !s.is_empty()),
        ) {
            (Some(_), Some(_)) => Err(ConfigError::new(
                inline_var,
                format!("set either {id_var} or {inline_var}, not both"),
            )),
            (Some(id), None) => Ok(SecretSource::SecretsManager(id)),
            (None, Some(value)) => Ok(SecretSource::Inline(Secret::new(value))),
            (None, None) => Ok(SecretSource::Unset),
        }
    }
}

/// Shortest webhook secret accepted: a short one can be guessed offline from any captured delivery
/// and its signature (or, for a GitLab secret token, tried online).
pub const MIN_SECRET_BYTES: usize = 32;

/// A host's configured webhook secret, read once at cold start (`None`: every webhook from it gets
/// 401), with the variable it came from. A secret shorter than [`MIN_SECRET_BYTES`] is refused,
/// naming where it came from (never its value).
pub async fn configured_secret(
    vars: &(dyn Vars + Sync),
    resolve: &impl Resolve,
    host: Host,
) -> Result<Option<(Secret, &'static str)>, ConfigError> {
    let (id_var, inline_var) = secret_vars(host);
    let (secret, var, origin) = match SecretSource::from_vars(vars, host)? {
        SecretSource::Unset => return Ok(None),
        SecretSource::Inline(secret) => (secret, inline_var, "the secret".to_owned()),
        SecretSource::SecretsManager(id) => {
            let secret = resolve.secret(id_var, &id, inline_var).await?;
            (secret, id_var, format!("secret {id:?}"))
        }
    };
    let len = secret.expose().len();
    if len < MIN_SECRET_BYTES {
        return Err(ConfigError::new(
            var,
            format!("{origin} is {len} bytes long; a webhook secret needs at least {MIN_SECRET_BYTES} (e.g. `openssl rand -hex 32`)"),
        ));
    }
    Ok(Some((secret, var)))
}

/// Every host's webhook secret.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookSecrets {
    pub github: Option<Secret>,
    pub github_enterprise: Option<Secret>,
    pub gitlab: Option<GitLabSecret>,
    pub bitbucket: Option<Secret>,
}

impl WebhookSecrets {
    /// Cold start: each host's secret, as configured.
    pub async fn configure(
        vars: &(dyn Vars + Sync),
        resolve: &impl Resolve,
    ) -> Result<Self, ConfigError> {
        let secret = |host| configured_secret(vars, resolve, host);
        let gitlab = match secret(Host::GitLab).await? {
            None => None,
            Some((secret, var)) => {
                Some(GitLabSecret::parse(secret).map_err(|why| ConfigError::new(var, why))?)
            }
        };
        Ok(WebhookSecrets {
            github: secret(Host::GitHub).await?.map(|(s, _)| s),
            github_enterprise: secret(Host::GitHubEnterprise).await?.map(|(s, _)| s),
            gitlab,
            bitbucket: secret(Host::Bitbucket).await?.map(|(s, _)| s),
        })
    }

    /// Whether any host's webhooks are accepted (and so must be remembered).
    pub fn any(&self) -> bool {
        self.github.is_some()
            || self.github_enterprise.is_some()
            || self.gitlab.is_some()
            || self.bitbucket.is_some()
    }

    /// GitHub's secret only: the configuration of stacks before other hosts, and of most tests.
    pub fn github_only(secret: Secret) -> Self {
        WebhookSecrets {
            github: Some(secret),
            ..Self::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_vars;
    use std::future::Future;

    struct Store(&'static str);
    impl Resolve for Store {
        async fn secret(&self, _: &str, _: &str, _: &str) -> Result<Secret, ConfigError> {
            Ok(Secret::new(self.0))
        }
        async fn parameter(&self, var: &str, _: &str, _: &str) -> Result<String, ConfigError> {
            Err(ConfigError::new(var, "unused"))
        }
    }

    fn ready<T>(future: impl Future<Output = T>) -> T {
        let future = std::pin::pin!(future);
        match future.poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
            std::task::Poll::Ready(r) => r,
            std::task::Poll::Pending => unreachable!("nothing to wait for"),
        }
    }

    fn configure(vars: &[(&str, &str)], store: &Store) -> Result<WebhookSecrets, ConfigError> {
        ready(WebhookSecrets::configure(&test_vars(vars), store))
    }

    #[test]
    fn weak_secrets_are_refused_naming_the_secret_never_its_value() {
        let weak = Store("hunter2");
        for host in Host::ALL {
            let (id_var, inline_var) = secret_vars(host);
            let err = configure(&[(id_var, "sy/hook")], &weak).unwrap_err();
            assert_eq!(err.var, id_var);
            assert!(err.message.contains("\"sy/hook\" is 7 bytes long"), "{err}");
            assert!(!err.to_string().contains("hunter2"), "{err}");
            let err = configure(&[(inline_var, "short")], &weak).unwrap_err();
            assert_eq!(err.var, inline_var);
            assert!(!err.to_string().contains("short"), "{err}");
            let both = configure(&[(id_var, "a"), (inline_var, "b")], &weak).unwrap_err();
            assert_eq!(both.var, inline_var);
        }
        let strong = Store("0123456789abcdef0123456789abcdef");
        let ok = configure(&[("BITBUCKET_WEBHOOK_SECRET_ID", "sy/bb")], &strong).unwrap();
        assert_eq!(ok.bitbucket.unwrap().expose().len(), 32);
        assert!(ok.github.is_none() && ok.gitlab.is_none());
        assert!(!configure(&[], &weak).unwrap().any());
    }

    #[test]
    fn a_gitlab_signing_token_is_decoded_at_cold_start() {
        let key = Store("whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=");
        let s = configure(&[("GITLAB_WEBHOOK_SECRET_ID", "sy/gl")], &key).unwrap();
        assert_eq!(
            s.gitlab,
            Some(GitLabSecret::Signing(
                b"0123456789abcdef0123456789abcdef".to_vec()
            ))
        );
        let bad = Store("whsec_!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
        let err = configure(&[("GITLAB_WEBHOOK_SECRET_ID", "sy/gl")], &bad).unwrap_err();
        assert_eq!(err.var, "GITLAB_WEBHOOK_SECRET_ID");
        assert!(err.message.contains("not valid base64"), "{err}");
    }
}
