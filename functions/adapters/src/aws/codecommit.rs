//! CodeCommit: "is this commit on the default branch?" for `tag-release`'s
//! `TAG_DEFAULT_BRANCH_ONLY` policy.
//!
//! One `GetMergeOptions` call with the tagged commit as source and the branch as destination:
//! CodeCommit computes their merge base, and the commit is on the branch exactly when the merge
//! base is the commit itself (it is the branch head or one of its ancestors).

use std::sync::OnceLock;

use aws_config::SdkConfig;
use aws_sdk_codecommit::operation::get_merge_options::GetMergeOptionsError;
use aws_sdk_codecommit::Client;
use aws_smithy_runtime_api::client::result::SdkError;
use switchyard_core::ports::ObserveError;
use switchyard_core::tag_release::{BranchMembership, DefaultBranchObserver};

use super::errors::observe_error;

pub const IAM_ACTIONS: &[&str] = &["codecommit:GetMergeOptions"];

/// The CodeCommit implementation of [`DefaultBranchObserver`]. The client is built on first use:
/// most configurations never ask.
pub struct CodeCommitBranches {
    sdk: SdkConfig,
    client: OnceLock<Client>,
}

impl CodeCommitBranches {
    pub fn new(sdk: SdkConfig) -> Self {
        CodeCommitBranches {
            sdk,
            client: OnceLock::new(),
        }
    }

    /// With a client of the caller's (tests pass a mocked one).
    pub fn from_client(client: Client) -> Self {
        CodeCommitBranches {
            sdk: SdkConfig::builder().build(),
            client: OnceLock::from(client),
        }
    }

    fn client(&self) -> &Client {
        self.client.get_or_init(|| Client::new(&self.sdk))
    }
}

impl DefaultBranchObserver for CodeCommitBranches {
    async fn membership(
        &self,
        repository: &str,
        commit: &str,
        branch: &str,
    ) -> Result<BranchMembership, ObserveError> {
        membership(self.client(), repository, commit, branch).await
    }
}

pub async fn membership(
    client: &Client,
    repository: &str,
    commit: &str,
    branch: &str,
) -> Result<BranchMembership, ObserveError> {
    let result = client
        .get_merge_options()
        .repository_name(repository)
        .source_commit_specifier(commit)
        .destination_commit_specifier(branch)
        .send()
        .await;
    match result {
        Ok(out) => Ok(if out.base_commit_id().eq_ignore_ascii_case(commit) {
            BranchMembership::OnBranch
        } else {
            BranchMembership::NotOnBranch
        }),
        Err(SdkError::ServiceError(e)) if cannot_compare(e.err()) => {
            Ok(BranchMembership::Unknown(format!(
                "CodeCommit cannot compare commit {commit} with branch {branch:?}: {}",
                e.err()
            )))
        }
        Err(e) => Err(observe_error("GetMergeOptions", e)),
    }
}

/// Answers that mean "CodeCommit cannot tell" rather than "the call failed": the branch does not
/// exist, or the histories are too far apart for CodeCommit to compare. The policy then declines
/// (fails closed) with this reason instead of retrying forever.
fn cannot_compare(e: &GetMergeOptionsError) -> bool {
    matches!(
        e,
        GetMergeOptionsError::CommitDoesNotExistException(_)
            | GetMergeOptionsError::TipsDivergenceExceededException(_)
            | GetMergeOptionsError::MaximumItemsToCompareExceededException(_)
            | GetMergeOptionsError::MaximumFileContentToLoadExceededException(_)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_codecommit::operation::get_merge_options::GetMergeOptionsOutput;
    use aws_sdk_codecommit::types::error::{
        RepositoryDoesNotExistException, TipsDivergenceExceededException,
    };
    use aws_sdk_codecommit::types::MergeOptionTypeEnum;
    use aws_smithy_mocks::{mock, mock_client};

    const TAGGED: &str = "9b2e4f61c0d7a8e5b3f2c1d0e9f8a7b6c5d4e3f2";
    const HEAD: &str = "4c1e7d0b9a8f7e6d5c4b3a29182736455463728a";

    fn merge_base(base: &'static str) -> aws_smithy_mocks::Rule {
        mock!(Client::get_merge_options)
            .match_requests(|r| {
                r.repository_name() == Some("payments-service")
                    && r.source_commit_specifier() == Some(TAGGED)
                    && r.destination_commit_specifier() == Some("main")
            })
            .then_output(move || {
                GetMergeOptionsOutput::builder()
                    .merge_options(MergeOptionTypeEnum::FastForwardMerge)
                    .source_commit_id(TAGGED)
                    .destination_commit_id(HEAD)
                    .base_commit_id(base)
                    .build()
                    .unwrap()
            })
    }

    async fn ask(rule: &aws_smithy_mocks::Rule) -> Result<BranchMembership, ObserveError> {
        let client = mock_client!(aws_sdk_codecommit, [rule]);
        CodeCommitBranches::from_client(client)
            .membership("payments-service", TAGGED, "main")
            .await
    }

    #[tokio::test]
    async fn the_commit_is_on_the_branch_when_it_is_the_merge_base() {
        let on = merge_base(TAGGED);
        assert_eq!(ask(&on).await.unwrap(), BranchMembership::OnBranch);
        assert_eq!(on.num_calls(), 1, "one call, with the asserted fields");
        let off = merge_base("0000000000000000000000000000000000000001");
        assert_eq!(ask(&off).await.unwrap(), BranchMembership::NotOnBranch);
    }

    #[tokio::test]
    async fn cannot_compare_is_unknown_and_other_errors_fail() {
        let diverged = mock!(Client::get_merge_options).then_error(|| {
            GetMergeOptionsError::TipsDivergenceExceededException(
                TipsDivergenceExceededException::builder()
                    .message("too far apart")
                    .build(),
            )
        });
        match ask(&diverged).await.unwrap() {
            BranchMembership::Unknown(why) => assert!(why.contains("too far apart"), "{why}"),
            other => panic!("{other:?}"),
        }
        let missing = mock!(Client::get_merge_options).then_error(|| {
            GetMergeOptionsError::RepositoryDoesNotExistException(
                RepositoryDoesNotExistException::builder().build(),
            )
        });
        let err = ask(&missing).await.unwrap_err();
        assert_eq!(err.operation, "GetMergeOptions");
        assert!(
            err.message.contains("RepositoryDoesNotExist"),
            "{}",
            err.message
        );
        assert!(!err.retryable);
    }
}
