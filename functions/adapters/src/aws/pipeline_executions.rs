//! A pipeline's latest execution (`ListPipelineExecutions`, one result), for
//! `switchyard branches list`. No function calls it: it is the CLI's, run with the user's
//! credentials.

use aws_sdk_codepipeline::Client;
use switchyard_core::branch_stacks::environments::LatestExecution;
use switchyard_core::ports::ObserveError;
use switchyard_core::timestamps;

use super::errors::observe_error;

pub const IAM_ACTIONS: &[&str] = &["codepipeline:ListPipelineExecutions"];

/// The newest execution of `pipeline`, or `None` when it never ran.
pub async fn latest_execution(
    client: &Client,
    pipeline: &str,
) -> Result<Option<LatestExecution>, ObserveError> {
    const OP: &str = "ListPipelineExecutions";
    let out = client
        .list_pipeline_executions()
        .pipeline_name(pipeline)
        .max_results(1)
        .send()
        .await
        .map_err(|e| observe_error(OP, e))?;
    Ok(out
        .pipeline_execution_summaries()
        .first()
        .map(|s| LatestExecution {
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
