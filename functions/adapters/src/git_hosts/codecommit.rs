//! CodeCommit as a git host: `GetBranch` for one branch, `ListBranches` (every page, through the
//! SDK's paginator and the shared page cap) for the sweep.
//!
//! `ListBranches` gives names only: a listed branch has no head or commit time here.

use aws_sdk_codecommit::operation::get_branch::GetBranchError;
use aws_sdk_codecommit::Client;
use aws_smithy_runtime_api::client::result::SdkError;
use switchyard_core::git_hosts::{BranchLookup, LiveBranch};
use switchyard_core::ports::ObserveError;

use crate::aws::errors::observe_error;
use crate::aws::pages::every_page;

pub const IAM_ACTIONS: &[&str] = &["codecommit:GetBranch", "codecommit:ListBranches"];

/// Whether `branch` exists in `repository`, and its head. A repository that does not exist is an
/// error, not a missing branch: a wrong name in configuration must not read as "deleted".
pub async fn branch(
    client: &Client,
    repository: &str,
    branch: &str,
) -> Result<BranchLookup, ObserveError> {
    const OP: &str = "GetBranch";
    let result = client
        .get_branch()
        .repository_name(repository)
        .branch_name(branch)
        .send()
        .await;
    match result {
        Ok(out) => match out.branch().and_then(|b| b.commit_id()) {
            Some(head) => Ok(BranchLookup::Exists {
                head: head.to_ascii_lowercase(),
                last_commit: None,
            }),
            None => Err(ObserveError {
                operation: OP,
                message: format!(
                    "CodeCommit answered for branch {branch:?} of {repository} without its commit"
                ),
                retryable: true,
            }),
        },
        Err(SdkError::ServiceError(e))
            if matches!(e.err(), GetBranchError::BranchDoesNotExistException(_)) =>
        {
            Ok(BranchLookup::Missing)
        }
        Err(e) => Err(observe_error(OP, e)),
    }
}

/// Every branch of `repository`, or an error.
pub async fn list_branches(
    client: &Client,
    repository: &str,
) -> Result<Vec<LiveBranch>, ObserveError> {
    const OP: &str = "ListBranches";
    let pages = client
        .list_branches()
        .repository_name(repository)
        .into_paginator()
        .stop_on_duplicate_token(false)
        .send();
    let pages = every_page(OP, pages, |e| observe_error(OP, e)).await?;
    Ok(pages
        .iter()
        .flat_map(|page| page.branches())
        .map(|name| LiveBranch {
            name: name.clone(),
            head: None,
            last_commit: None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_codecommit::operation::get_branch::GetBranchOutput;
    use aws_sdk_codecommit::operation::list_branches::{ListBranchesError, ListBranchesOutput};
    use aws_sdk_codecommit::types::error::{
        BranchDoesNotExistException, EncryptionKeyUnavailableException,
        RepositoryDoesNotExistException,
    };
    use aws_sdk_codecommit::types::BranchInfo;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    const HEAD: &str = "4C1E7D0B9A8F7E6D5C4B3A29182736455463728A";

    #[tokio::test]
    async fn get_branch_exists_missing_or_fails() {
        let exists = mock!(Client::get_branch)
            .match_requests(|r| {
                r.repository_name() == Some("payments-service")
                    && r.branch_name() == Some("feature/x")
            })
            .then_output(|| {
                GetBranchOutput::builder()
                    .branch(
                        BranchInfo::builder()
                            .branch_name("feature/x")
                            .commit_id(HEAD)
                            .build(),
                    )
                    .build()
            });
        let missing = mock!(Client::get_branch).then_error(|| {
            GetBranchError::BranchDoesNotExistException(
                BranchDoesNotExistException::builder()
                    .message("Branch does not exist")
                    .build(),
            )
        });
        let no_repo = mock!(Client::get_branch).then_error(|| {
            GetBranchError::RepositoryDoesNotExistException(
                RepositoryDoesNotExistException::builder().build(),
            )
        });
        let client = mock_client!(
            aws_sdk_codecommit,
            RuleMode::Sequential,
            [&exists, &missing, &no_repo]
        );
        assert_eq!(
            branch(&client, "payments-service", "feature/x")
                .await
                .unwrap(),
            BranchLookup::Exists {
                head: HEAD.to_ascii_lowercase(),
                last_commit: None
            }
        );
        assert_eq!(
            branch(&client, "payments-service", "feature/y")
                .await
                .unwrap(),
            BranchLookup::Missing
        );
        let err = branch(&client, "nope", "feature/x").await.unwrap_err();
        assert_eq!(err.operation, "GetBranch");
        assert!(!err.retryable);
        assert_eq!(
            exists.num_calls(),
            1,
            "the request carried repository and branch"
        );
    }

    #[tokio::test]
    async fn list_branches_reads_every_page_or_fails() {
        let page = |token: Option<&'static str>,
                    names: &'static [&'static str],
                    next: Option<&'static str>| {
            mock!(Client::list_branches)
                .match_requests(move |r| {
                    r.repository_name() == Some("payments-service") && r.next_token() == token
                })
                .then_output(move || {
                    let mut out = ListBranchesOutput::builder();
                    for n in names {
                        out = out.branches(*n);
                    }
                    if let Some(next) = next {
                        out = out.next_token(next);
                    }
                    out.build()
                })
        };
        let first = page(None, &["main", "feature/a"], Some("t2"));
        let second = page(Some("t2"), &["feature/b"], None);
        let client = mock_client!(aws_sdk_codecommit, RuleMode::Sequential, [&first, &second]);
        let names: Vec<String> = list_branches(&client, "payments-service")
            .await
            .unwrap()
            .into_iter()
            .map(|b| b.name)
            .collect();
        assert_eq!(names, ["main", "feature/a", "feature/b"]);

        let first = page(None, &["main"], Some("t2"));
        let failing = mock!(Client::list_branches).then_error(|| {
            ListBranchesError::EncryptionKeyUnavailableException(
                EncryptionKeyUnavailableException::builder().build(),
            )
        });
        let client = mock_client!(aws_sdk_codecommit, RuleMode::Sequential, [&first, &failing]);
        let err = list_branches(&client, "payments-service")
            .await
            .unwrap_err();
        assert_eq!(err.operation, "ListBranches");
        assert_eq!(
            failing.num_calls(),
            1,
            "the second page failed: no partial listing"
        );
    }
}
