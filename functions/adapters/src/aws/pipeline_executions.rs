//! A pipeline's latest execution (`ListPipelineExecutions`, newest first, one result): its source
//! revision, so that artifact-release never starts a pipeline again for the version it already
//! runs, or for an older one; and its status, for `switchyard branches list` (the CLI's, run with
//! the user's credentials).

use aws_sdk_codepipeline::error::SdkError;
use aws_sdk_codepipeline::operation::list_pipeline_executions::ListPipelineExecutionsError;
use aws_sdk_codepipeline::types::PipelineExecutionSummary;
use aws_sdk_codepipeline::Client;
use switchyard_core::branch_stacks::environments::LatestExecution;
use switchyard_core::ports::ObserveError;
use switchyard_core::timestamps;

use super::errors::observe_error;

pub const IAM_ACTIONS: &[&str] = &["codepipeline:ListPipelineExecutions"];
const OP: &str = "ListPipelineExecutions";

/// The newest execution summary of `pipeline`; `None` when it never ran.
async fn newest(
    client: &Client,
    pipeline: &str,
) -> Result<Option<PipelineExecutionSummary>, SdkError<ListPipelineExecutionsError>> {
    let out = client
        .list_pipeline_executions()
        .pipeline_name(pipeline)
        .max_results(1)
        .send()
        .await?;
    Ok(out.pipeline_execution_summaries().first().cloned())
}

/// The newest execution of `pipeline`, or `None` when it never ran.
pub async fn latest_execution(
    client: &Client,
    pipeline: &str,
) -> Result<Option<LatestExecution>, ObserveError> {
    let summary = newest(client, pipeline)
        .await
        .map_err(|e| observe_error(OP, e))?;
    Ok(summary.map(|s| LatestExecution {
        status: s
            .status()
            .map(|st| st.as_str().to_owned())
            .unwrap_or_default(),
        started: s.start_time().map(|t| timestamps::from_unix(t.secs())),
        revision: s
            .source_revisions()
            .first()
            .and_then(|r| r.revision_id())
            .map(str::to_owned),
    }))
}

/// `revisionId` of `source_action` in the latest execution; `None`: no execution yet, no such
/// pipeline (starting it then fails and says so), or no revision recorded for that action.
pub async fn latest_source_revision(
    client: &Client,
    pipeline: &str,
    source_action: &str,
) -> Result<Option<String>, ObserveError> {
    let summary = match newest(client, pipeline).await {
        Ok(summary) => summary,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_pipeline_not_found_exception()) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(observe_error(OP, e)),
    };
    Ok(summary
        .as_ref()
        .and_then(|latest| {
            latest
                .source_revisions()
                .iter()
                .find(|r| r.action_name() == source_action)
        })
        .and_then(|r| r.revision_id().map(str::to_owned)))
}
