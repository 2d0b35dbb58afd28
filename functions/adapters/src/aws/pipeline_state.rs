//! CodePipeline as `stage-retry` sees and moves it: `GetPipelineState`, `ListActionExecutions`
//! (every page) and `RetryStageExecution`.
//!
//! `RetryStageExecution` refusals that no later attempt can change —
//! `NotLatestPipelineExecutionException`, `StageNotRetryableException` (which is also what a
//! second, concurrent retry of the same failure gets), `PipelineNotFoundException`,
//! `StageNotFoundException` — end the matter: they are reported as "stopped" with the reason,
//! not as errors that would make the event source retry.

use aws_sdk_codepipeline::types::{ActionExecutionFilter, StageRetryMode};
use aws_sdk_codepipeline::Client;
use aws_smithy_types::error::display::DisplayErrorContext;
use serde_json::json;
use switchyard_core::actions::codepipeline::RetryStageExecution;
use switchyard_core::ports::{ActError, ActionReport};
use switchyard_core::stage_retry::ports::{
    ActionExecution, ObserveError, PipelineReader, PipelineState, StageState,
};
use switchyard_core::timestamps;

use super::errors::act_error;

pub const IAM_ACTIONS: &[&str] = &[
    "codepipeline:GetPipelineState",
    "codepipeline:ListActionExecutions",
    "codepipeline:RetryStageExecution",
];

/// A safety stop against a service that keeps returning a `nextToken`.
const MAX_PAGES: usize = 100;

pub async fn retry_stage_execution(
    client: &Client,
    input: &RetryStageExecution,
) -> Result<ActionReport, ActError> {
    const OP: &str = "RetryStageExecution";
    let sent = client
        .retry_stage_execution()
        .pipeline_name(&input.pipeline_name)
        .stage_name(&input.stage_name)
        .pipeline_execution_id(&input.pipeline_execution_id)
        .retry_mode(StageRetryMode::from(input.retry_mode))
        .send()
        .await;
    match sent {
        Ok(out) => Ok(ActionReport {
            operation: OP,
            result: json!({"retried": true, "pipelineExecutionId": out.pipeline_execution_id()}),
        }),
        Err(e) => {
            // Matched on the modeled errors (not only the code), so they are recognized however
            // the response carried them.
            let stopped = e
                .as_service_error()
                .filter(|s| {
                    s.is_not_latest_pipeline_execution_exception()
                        || s.is_stage_not_retryable_exception()
                        || s.is_pipeline_not_found_exception()
                        || s.is_stage_not_found_exception()
                })
                .map(ToString::to_string);
            match stopped {
                Some(reason) => {
                    // The plan said "retry"; the outcome is this refusal, logged as such.
                    tracing::warn!(
                        pipeline = input.pipeline_name.as_str(),
                        stage = input.stage_name.as_str(),
                        execution_id = input.pipeline_execution_id.as_str(),
                        outcome = "stopped",
                        reason = reason.as_str(),
                        "RetryStageExecution refused for good: not retried again"
                    );
                    Ok(ActionReport {
                        operation: OP,
                        result: json!({"retried": false, "stopped": reason}),
                    })
                }
                None => Err(act_error(OP, e)),
            }
        }
    }
}

/// Reads pipelines through the SDK.
pub struct AwsPipelines {
    client: Client,
}

impl AwsPipelines {
    pub fn new(client: Client) -> Self {
        AwsPipelines { client }
    }
}

fn observe_error(operation: &'static str, e: impl std::error::Error) -> ObserveError {
    ObserveError {
        operation,
        message: DisplayErrorContext(e).to_string(),
    }
}

impl PipelineReader for AwsPipelines {
    async fn pipeline_state(&self, pipeline: &str) -> Result<Option<PipelineState>, ObserveError> {
        let out = match self.client.get_pipeline_state().name(pipeline).send().await {
            Ok(out) => out,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_pipeline_not_found_exception()) =>
            {
                return Ok(None)
            }
            Err(e) => return Err(observe_error("GetPipelineState", e)),
        };
        let stages = out
            .stage_states()
            .iter()
            .map(|s| StageState {
                name: s.stage_name().unwrap_or_default().to_owned(),
                execution_id: s
                    .latest_execution()
                    .map(|l| l.pipeline_execution_id().to_owned()),
                status: s.latest_execution().map(|l| l.status().as_str().to_owned()),
                last_change: s
                    .action_states()
                    .iter()
                    .filter_map(|a| a.latest_execution()?.last_status_change())
                    .map(|t| timestamps::from_unix(t.secs()))
                    .max(),
            })
            .collect();
        Ok(Some(PipelineState {
            pipeline: pipeline.to_owned(),
            stages,
        }))
    }

    async fn action_executions(
        &self,
        pipeline: &str,
        execution_id: &str,
    ) -> Result<Vec<ActionExecution>, ObserveError> {
        let mut all = Vec::new();
        let mut next_token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = self
                .client
                .list_action_executions()
                .pipeline_name(pipeline)
                .filter(
                    ActionExecutionFilter::builder()
                        .pipeline_execution_id(execution_id)
                        .build(),
                )
                .set_next_token(next_token.take())
                .send()
                .await
                .map_err(|e| observe_error("ListActionExecutions", e))?;
            all.extend(page.action_execution_details().iter().map(|d| {
                ActionExecution {
                    execution_id: d.pipeline_execution_id().unwrap_or_default().to_owned(),
                    stage: d.stage_name().unwrap_or_default().to_owned(),
                    action: d.action_name().unwrap_or_default().to_owned(),
                    status: d
                        .status()
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_default(),
                    start_time: d.start_time().map(|t| timestamps::from_unix(t.secs())),
                }
            }));
            match page.next_token() {
                Some(token) if !token.is_empty() => next_token = Some(token.to_owned()),
                _ => return Ok(all),
            }
        }
        Err(ObserveError {
            operation: "ListActionExecutions",
            message: format!("more than {MAX_PAGES} pages"),
        })
    }
}
