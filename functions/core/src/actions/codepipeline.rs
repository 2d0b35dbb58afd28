//! CodePipeline request inputs.

use serde::Serialize;

/// `StartPipelineExecution`, pinned through `source_revisions` and made idempotent through
/// `client_request_token`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StartPipelineExecution {
    pub name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<PipelineVariable>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub source_revisions: Vec<SourceRevisionOverride>,
    pub client_request_token: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PipelineVariable {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceRevisionOverride {
    pub action_name: String,
    /// `COMMIT_ID`, `IMAGE_DIGEST`, `S3_OBJECT_VERSION_ID` or `S3_OBJECT_KEY`.
    pub revision_type: &'static str,
    pub revision_value: String,
}

/// `PutJobSuccessResult`: the job succeeded, or (with `continuation_token`) is still in progress
/// and CodePipeline should invoke the action again with that token.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PutJobSuccessResult {
    pub job_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continuation_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_details: Option<ExecutionDetails>,
    /// Available to later actions as `#{namespace.Key}`.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub output_variables: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionDetails {
    /// At most 2048 characters.
    pub summary: String,
}

/// `PutJobFailureResult`: the job failed; the message (≤ 5000 characters) shows in the console.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PutJobFailureResult {
    pub job_id: String,
    pub failure_details: FailureDetails,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailureDetails {
    #[serde(rename = "type")]
    pub kind: FailureType,
    pub message: String,
}

/// CodePipeline's `FailureType`, spelled as the API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FailureType {
    JobFailed,
    ConfigurationError,
    PermissionError,
    RevisionOutOfSync,
    RevisionUnavailable,
    SystemUnavailable,
}

impl FailureType {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureType::JobFailed => "JobFailed",
            FailureType::ConfigurationError => "ConfigurationError",
            FailureType::PermissionError => "PermissionError",
            FailureType::RevisionOutOfSync => "RevisionOutOfSync",
            FailureType::RevisionUnavailable => "RevisionUnavailable",
            FailureType::SystemUnavailable => "SystemUnavailable",
        }
    }
}

/// `RetryStageExecution` with `retryMode` `FAILED_ACTIONS`: re-runs only the failed actions of the
/// stage, in the same pipeline execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryStageExecution {
    pub pipeline_name: String,
    pub stage_name: String,
    pub pipeline_execution_id: String,
    /// Always `FAILED_ACTIONS` here.
    pub retry_mode: &'static str,
}
