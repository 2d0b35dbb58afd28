//! CodePipeline: the source revision a pipeline's latest execution ran
//! (`ListPipelineExecutions`, newest first, one result), so that artifact-release never starts a
//! pipeline again for the version it already runs, or for an older one.

use aws_sdk_codepipeline::Client;
use switchyard_core::ports::ObserveError;

use super::errors::observe_error;

pub const IAM_ACTIONS: &[&str] = &["codepipeline:ListPipelineExecutions"];

/// `revisionId` of `source_action` in the latest execution; `None`: no execution yet, no such
/// pipeline (starting it then fails and says so), or no revision recorded for that action.
pub async fn latest_source_revision(
    client: &Client,
    pipeline: &str,
    source_action: &str,
) -> Result<Option<String>, ObserveError> {
    let listed = client
        .list_pipeline_executions()
        .pipeline_name(pipeline)
        .max_results(1)
        .send()
        .await;
    let out = match listed {
        Ok(out) => out,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_pipeline_not_found_exception()) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(observe_error("ListPipelineExecutions", e)),
    };
    Ok(out
        .pipeline_execution_summaries()
        .first()
        .and_then(|latest| {
            latest
                .source_revisions()
                .iter()
                .find(|r| r.action_name() == source_action)
        })
        .and_then(|r| r.revision_id().map(str::to_owned)))
}
