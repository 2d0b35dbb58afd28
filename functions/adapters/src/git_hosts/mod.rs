//! The git host port ([`switchyard_core::git_hosts::GitHosts`]) on real hosts: one module per
//! host, and [`GitHostClients`] choosing among them by the repository's host.

pub mod codecommit;
pub mod github;

use std::sync::OnceLock;

use aws_config::SdkConfig;
use switchyard_core::git_hosts::access::GitHostAccess;
use switchyard_core::git_hosts::{BranchLookup, GitHost, GitHosts, LiveBranch, Repository};
use switchyard_core::ports::ObserveError;

use github::GitHubClient;

/// Every configured host's client. The CodeCommit client is built on first use; the GitHub
/// client exists only with a token.
pub struct GitHostClients {
    sdk: SdkConfig,
    codecommit: OnceLock<aws_sdk_codecommit::Client>,
    github: Option<GitHubClient>,
}

impl GitHostClients {
    pub fn new(
        sdk: &SdkConfig,
        access: Option<&GitHostAccess>,
    ) -> Result<Self, github::ClientError> {
        let github = access
            .and_then(|a| a.github.as_ref())
            .map(GitHubClient::new)
            .transpose()?;
        Ok(GitHostClients {
            sdk: sdk.clone(),
            codecommit: OnceLock::new(),
            github,
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
        }
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
        match repository.host {
            GitHost::CodeCommit => {
                codecommit::branch(self.codecommit(), &repository.name, name).await
            }
            GitHost::GitHub => {
                self.github(repository)?
                    .branch(&repository.name, name)
                    .await
            }
        }
    }

    async fn list_branches(
        &self,
        repository: &Repository,
    ) -> Result<Vec<LiveBranch>, ObserveError> {
        match repository.host {
            GitHost::CodeCommit => {
                codecommit::list_branches(self.codecommit(), &repository.name).await
            }
            GitHost::GitHub => {
                self.github(repository)?
                    .list_branches(&repository.name)
                    .await
            }
        }
    }
}
