//! The git host port: what a repository's host says about its branches. An event is only a hint
//! to look; before `branch-pipelines` creates or destroys anything for a branch, and when its
//! sweep compares live branches with branch stacks, it asks the host through [`GitHosts`].
//!
//! Host-neutral on purpose: a [`Repository`] names its [`GitHost`], and each host's client sits in
//! its own adapter module (`switchyard_adapters::git_hosts::{codecommit, github, gitlab,
//! bitbucket}`, GitHub's and GitHub Enterprise Server's on the shared `rest`); a new host is a
//! variant here and a module there. Dry runs read the `branches` part of `--world`
//! ([`world::WorldBranches`]). Which hosts can be asked at all is configuration
//! ([`access::GitHostAccess`], read by [`configure()`]): CodeCommit always (IAM), the others only
//! with a token.

pub mod access;
mod configure;
pub mod world;

pub use configure::configure;

use std::fmt;
use std::future::Future;

use time::OffsetDateTime;

use crate::ports::ObserveError;

/// Where a repository is hosted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GitHost {
    CodeCommit,
    GitHub,
    /// GitHub Enterprise Server: GitHub's API on the server's own URL.
    GitHubEnterprise,
    /// gitlab.com.
    GitLab,
    GitLabSelfManaged,
    /// Bitbucket Cloud.
    Bitbucket,
}

impl GitHost {
    pub const ALL: [GitHost; 6] = [
        GitHost::CodeCommit,
        GitHost::GitHub,
        GitHost::GitHubEnterprise,
        GitHost::GitLab,
        GitHost::GitLabSelfManaged,
        GitHost::Bitbucket,
    ];

    /// The host's name in configuration (`codecommit:app`) and in messages: the provider names
    /// of [`crate::sources::RefSource`].
    pub fn as_str(self) -> &'static str {
        match self {
            GitHost::CodeCommit => "codecommit",
            GitHost::GitHub => "github",
            GitHost::GitHubEnterprise => "github-enterprise",
            GitHost::GitLab => "gitlab",
            GitHost::GitLabSelfManaged => "gitlab-self-managed",
            GitHost::Bitbucket => "bitbucket",
        }
    }

    /// Whether the host's single-branch answer says when the head commit was made (what
    /// `BRANCH_TTL_DAYS` needs): GitHub's, GitHub Enterprise Server's, GitLab's and Bitbucket's
    /// do (the head commit's date), CodeCommit's `GetBranch` does not.
    pub fn reports_commit_times(self) -> bool {
        match self {
            GitHost::CodeCommit => false,
            GitHost::GitHub
            | GitHost::GitHubEnterprise
            | GitHost::GitLab
            | GitHost::GitLabSelfManaged
            | GitHost::Bitbucket => true,
        }
    }

    pub fn parse(name: &str) -> Option<GitHost> {
        GitHost::ALL.into_iter().find(|h| h.as_str() == name)
    }
}

impl fmt::Display for GitHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A repository on its host, named as the host's API names it: `app` on CodeCommit, `acme/app`
/// on GitHub (and GitHub Enterprise Server), `group/subgroup/project` on GitLab,
/// `workspace/repo` on Bitbucket (a ref event's: [`crate::sources::RefEvent::host_repository`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Repository {
    pub host: GitHost,
    pub name: String,
}

impl fmt::Display for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.name)
    }
}

/// A branch as its host lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveBranch {
    pub name: String,
    /// The head commit, when the listing gives it (GitHub's does; CodeCommit's `ListBranches`
    /// gives names only).
    pub head: Option<String>,
    /// When the head commit was made, when the host says (GitHub's single-branch answer does).
    pub last_commit: Option<OffsetDateTime>,
}

/// What the host says about one branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BranchLookup {
    Exists {
        head: String,
        last_commit: Option<OffsetDateTime>,
    },
    Missing,
}

/// The git hosts, as one port. Implementations answer for every [`GitHost`] they were built for
/// and fail (an [`ObserveError`]) for the others.
pub trait GitHosts: Sync {
    /// Whether `name` is a branch of `repository` now, and its head.
    fn branch(
        &self,
        repository: &Repository,
        name: &str,
    ) -> impl Future<Output = Result<BranchLookup, ObserveError>> + Send;

    /// Every branch of `repository`: all pages, or an error. Never a partial listing (an error
    /// page, a rate-limit answer or a page cap is an error), because a branch missing from the
    /// listing would read as deleted.
    fn list_branches(
        &self,
        repository: &Repository,
    ) -> impl Future<Output = Result<Vec<LiveBranch>, ObserveError>> + Send;
}
