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
