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
use switchyard_core::tag_release::{BranchMembership, DefaultBranchObserver, ObserveError};

use super::errors::act_error;

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
        Err(e) => Err(act_error("GetMergeOptions", e)),
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
