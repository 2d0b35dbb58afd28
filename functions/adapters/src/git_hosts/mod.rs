//! The git host port ([`switchyard_core::git_hosts::GitHosts`]) on real hosts: one module per
//! host, and [`GitHostClients`] choosing among them by the repository's host.

pub mod bitbucket;
pub mod codecommit;
pub mod github;
pub mod gitlab;
mod rest;

use std::sync::OnceLock;

use aws_config::SdkConfig;
use switchyard_core::git_hosts::access::{GitHostAccess, HOST_APIS};
use switchyard_core::git_hosts::{BranchLookup, GitHost, GitHosts, LiveBranch, Repository};
use switchyard_core::ports::ObserveError;

use bitbucket::BitbucketClient;
use github::GitHubClient;
use gitlab::GitLabClient;

/// Every configured host's client. The CodeCommit client is built on first use; the others exist
/// only with their host's token. GitHub Enterprise Server is GitHub's client on the server's API.
pub struct GitHostClients {
    sdk: SdkConfig,
    codecommit: OnceLock<aws_sdk_codecommit::Client>,
    github: Option<GitHubClient>,
    others: OtherHosts,
}

/// The clients of the hosts beside CodeCommit and github.com.
#[derive(Default)]
pub struct OtherHosts {
    pub github_enterprise: Option<GitHubClient>,
    pub gitlab: Option<GitLabClient>,
    pub gitlab_self_managed: Option<GitLabClient>,
    pub bitbucket: Option<BitbucketClient>,
}

impl OtherHosts {
    fn new(access: Option<&GitHostAccess>) -> Result<Self, rest::ClientError> {
        let mut others = OtherHosts::default();
        let Some(access) = access else {
            return Ok(others);
        };
        for (host, _, _, url_var, _) in HOST_APIS {
            let Some(api) = access.api(host) else {
                continue;
            };
            match host {
                GitHost::GitHubEnterprise => {
                    others.github_enterprise = Some(GitHubClient::on(url_var, api)?)
                }
                GitHost::GitLab => others.gitlab = Some(GitLabClient::new(url_var, api)?),
                GitHost::GitLabSelfManaged => {
                    others.gitlab_self_managed = Some(GitLabClient::new(url_var, api)?)
                }
                GitHost::Bitbucket => others.bitbucket = Some(BitbucketClient::new(url_var, api)?),
                GitHost::CodeCommit | GitHost::GitHub => unreachable!("not in HOST_APIS"),
            }
        }
        Ok(others)
    }
}

/// A host without a client: its token is not configured.
fn unconfigured(repository: &Repository, var: &str) -> ObserveError {
    ObserveError {
        operation: "git host",
        message: format!(
            "{repository}: no {} token is configured ({var})",
            repository.host
        ),
        retryable: false,
    }
}

fn token_var(host: GitHost) -> &'static str {
    HOST_APIS
        .iter()
        .find(|(h, ..)| *h == host)
        .map_or("GITHUB_TOKEN_SECRET_ID", |(_, id_var, ..)| id_var)
}

/// Which client answers for a repository.
enum Client<'a> {
    CodeCommit(&'a aws_sdk_codecommit::Client),
    GitHub(&'a GitHubClient),
    GitLab(&'a GitLabClient),
    Bitbucket(&'a BitbucketClient),
}

impl GitHostClients {
    pub fn new(sdk: &SdkConfig, access: Option<&GitHostAccess>) -> Result<Self, rest::ClientError> {
        let github = access
            .and_then(|a| a.github.as_ref())
            .map(GitHubClient::new)
            .transpose()?;
        Ok(GitHostClients {
            sdk: sdk.clone(),
            codecommit: OnceLock::new(),
            github,
            others: OtherHosts::new(access)?,
        })
    }

    /// With a CodeCommit client of the caller's (tests pass a mocked one).
    pub fn with_codecommit(
        client: aws_sdk_codecommit::Client,
        github: Option<GitHubClient>,
    ) -> Self {
        GitHostClients {
            sdk: SdkConfig::builder().build(),
            codecommit: OnceLock::from(client),
            github,
            others: OtherHosts::default(),
        }
    }

    /// With the other hosts' clients of the caller's (tests point them at a local server).
    pub fn with_other_hosts(mut self, others: OtherHosts) -> Self {
        self.others = others;
        self
    }

    fn client(&self, repository: &Repository) -> Result<Client<'_>, ObserveError> {
        let missing = || unconfigured(repository, token_var(repository.host));
        Ok(match repository.host {
            GitHost::CodeCommit => Client::CodeCommit(self.codecommit()),
            GitHost::GitHub => Client::GitHub(self.github(repository)?),
            GitHost::GitHubEnterprise => {
                Client::GitHub(self.others.github_enterprise.as_ref().ok_or_else(missing)?)
            }
            GitHost::GitLab => Client::GitLab(self.others.gitlab.as_ref().ok_or_else(missing)?),
            GitHost::GitLabSelfManaged => Client::GitLab(
                self.others
                    .gitlab_self_managed
                    .as_ref()
                    .ok_or_else(missing)?,
            ),
            GitHost::Bitbucket => {
                Client::Bitbucket(self.others.bitbucket.as_ref().ok_or_else(missing)?)
            }
        })
    }

    fn codecommit(&self) -> &aws_sdk_codecommit::Client {
        self.codecommit
            .get_or_init(|| aws_sdk_codecommit::Client::new(&self.sdk))
    }

    fn github(&self, repository: &Repository) -> Result<&GitHubClient, ObserveError> {
        self.github.as_ref().ok_or_else(|| ObserveError {
            operation: "GitHub",
            message: format!(
                "{repository}: no GitHub token is configured (GITHUB_TOKEN_SECRET_ID)"
            ),
            retryable: false,
        })
    }
}

impl GitHosts for GitHostClients {
    async fn branch(
        &self,
        repository: &Repository,
        name: &str,
    ) -> Result<BranchLookup, ObserveError> {
        let path = &repository.name;
        match self.client(repository)? {
            Client::CodeCommit(c) => codecommit::branch(c, path, name).await,
            Client::GitHub(c) => c.branch(path, name).await,
            Client::GitLab(c) => c.branch(path, name).await,
            Client::Bitbucket(c) => c.branch(path, name).await,
        }
    }

    async fn list_branches(
        &self,
        repository: &Repository,
    ) -> Result<Vec<LiveBranch>, ObserveError> {
        let path = &repository.name;
        match self.client(repository)? {
            Client::CodeCommit(c) => codecommit::list_branches(c, path).await,
            Client::GitHub(c) => c.list_branches(path).await,
            Client::GitLab(c) => c.list_branches(path).await,
            Client::Bitbucket(c) => c.list_branches(path).await,
        }
    }
}
