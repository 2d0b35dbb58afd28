//! What the sweep reads at cold start, beside the branch policy ([`crate::branch_pipelines::BranchConfig`]).

use crate::config::{self, ConfigError, Vars};
use crate::filters::AllowList;
use crate::git_hosts::{GitHost, Repository};
use crate::sources::{validate_repository, RefSource};

/// Configuration of the scheduled sweep. Every variable is documented in the README.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepConfig {
    /// `BRANCH_SWEEP_REPOSITORIES`: `<host>:<path>` entries (`codecommit:payments-service`,
    /// `github:acme/payments-service`, `gitlab:group/project`,
    /// `github-enterprise:ghe.acme.com/acme/app`), each also allowed by `BRANCH_REPOSITORIES`.
    /// Each is held by its host and repository id (`name`: what events name, tag and key the
    /// repository by, [`crate::sources::RefSource::repository_id`]); the host's API is asked
    /// with [`crate::sources::RefSource::host_repository`]. Empty: the sweep has nothing to
    /// compare and does nothing.
    pub repositories: Vec<Repository>,
    /// `BRANCH_SWEEP_MAX_DESTROYS` (default 5): destroys one sweep may start; the rest wait.
    pub max_destroys: usize,
    /// `BRANCH_TTL_DAYS` (default off): a branch without a commit for this long loses its
    /// environment, unless its pipeline stack is tagged `switchyard:keep=true`.
    pub ttl_days: Option<u32>,
    /// `BRANCH_SWEEP_MINUTES` (default 30): the schedule's period, and so the sweep window that
    /// idempotency tokens derive from (the template builds the schedule from the same value).
    pub window_minutes: u32,
}

impl SweepConfig {
    pub fn from_vars(vars: &dyn Vars, allowed: &AllowList) -> Result<Self, ConfigError> {
        const VAR: &str = "BRANCH_SWEEP_REPOSITORIES";
        let mut repositories = Vec::new();
        for entry in config::list(vars, VAR) {
            let (host, name) = entry
                .split_once(':')
                .and_then(|(h, n)| Some((GitHost::parse(h)?, n)))
                .ok_or_else(|| {
                    let hosts: Vec<&str> = GitHost::ALL.iter().map(|h| h.as_str()).collect();
                    ConfigError::new(
                        VAR,
                        format!(
                            "{entry:?}: expected <host>:<repository> with host one of {}",
                            hosts.join(", ")
                        ),
                    )
                })?;
            let path =
                validate_repository(VAR, name).map_err(|e| ConfigError::new(VAR, e.message))?;
            let name = RefSource::of_host(host).repository_id(None, &path);
            if !allowed.allows(&name) {
                return Err(ConfigError::new(
                    VAR,
                    format!("{name:?} is not in BRANCH_REPOSITORIES: the sweep acts only where events would"),
                ));
            }
            let repository = Repository { host, name };
            if !repositories.contains(&repository) {
                repositories.push(repository);
            }
        }
        let max_destroys = config::number(vars, "BRANCH_SWEEP_MAX_DESTROYS", 5usize, 0..=1000)?;
        let ttl_days = match config::optional(vars, "BRANCH_TTL_DAYS") {
            None => None,
            Some(_) => Some(config::number(vars, "BRANCH_TTL_DAYS", 0u32, 1..=3650)?),
        };
        let window_minutes = config::number(vars, "BRANCH_SWEEP_MINUTES", 30u32, 1..=1440)?;
        Ok(SweepConfig {
            repositories,
            max_destroys,
            ttl_days,
            window_minutes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_vars as vars;

    fn allowed() -> AllowList {
        AllowList::new(vec![
            "payments-service".into(),
            "acme/payments-service".into(),
        ])
    }

    #[test]
    fn repositories_name_their_host_and_errors_name_the_variable() {
        let c = SweepConfig::from_vars(
            &vars(&[(
                "BRANCH_SWEEP_REPOSITORIES",
                "codecommit:payments-service, github:acme/payments-service",
            )]),
            &allowed(),
        )
        .unwrap();
        assert_eq!(c.repositories.len(), 2);
        assert_eq!(c.repositories[1].host, GitHost::GitHub);
        assert_eq!(
            (c.max_destroys, c.ttl_days, c.window_minutes),
            (5, None, 30)
        );
        let cases = [
            ("BRANCH_SWEEP_REPOSITORIES", "payments-service"),
            ("BRANCH_SWEEP_REPOSITORIES", "gitlab:payments-service"),
            ("BRANCH_SWEEP_REPOSITORIES", "github:someone/else"),
            ("BRANCH_SWEEP_REPOSITORIES", "github:a/../b"),
            ("BRANCH_SWEEP_MAX_DESTROYS", "-1"),
            ("BRANCH_TTL_DAYS", "0"),
            ("BRANCH_SWEEP_MINUTES", "soon"),
        ];
        for (var, value) in cases {
            let err = SweepConfig::from_vars(&vars(&[(var, value)]), &allowed()).unwrap_err();
            assert_eq!(err.var, var, "{value}: {err}");
        }
    }

    #[test]
    fn every_host_is_swept_by_the_repository_id_events_use() {
        let ids = [
            "gitlab:acme/payments/service",
            "bitbucket:acme/service",
            "github-enterprise:ghe.acme.com/acme/service",
            "gitlab-self-managed:gitlab.acme.com/acme/service",
        ];
        let allowed = AllowList::new(ids.iter().map(|s| s.to_string()).collect());
        let c = SweepConfig::from_vars(
            &vars(&[("BRANCH_SWEEP_REPOSITORIES", &ids.join(","))]),
            &allowed,
        )
        .unwrap();
        let api: Vec<(GitHost, String)> = c
            .repositories
            .iter()
            .map(|r| {
                assert!(ids.contains(&r.name.as_str()), "{r}: held by its id");
                let api = RefSource::of_host(r.host).host_repository(&r.name);
                (api.host, api.name)
            })
            .collect();
        assert_eq!(
            api,
            [
                (GitHost::GitLab, "acme/payments/service".to_owned()),
                (GitHost::Bitbucket, "acme/service".to_owned()),
                (GitHost::GitHubEnterprise, "acme/service".to_owned()),
                (GitHost::GitLabSelfManaged, "acme/service".to_owned()),
            ]
        );
    }
}
