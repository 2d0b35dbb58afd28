//! CodePipeline as `stage-retry` sees and moves it: `GetPipelineState`, `ListActionExecutions`
//! (every page, up to [`super::pages::MAX_PAGES`]) and `RetryStageExecution`.
//!
//! `RetryStageExecution` refusals that no later attempt can change —
//! `NotLatestPipelineExecutionException`, `StageNotRetryableException` (which is also what a
//! second, concurrent retry of the same failure gets), `PipelineNotFoundException`,
//! `StageNotFoundException` — end the matter: they are reported as "stopped" with the reason,
//! not as errors that would make the event source retry.

use aws_sdk_codepipeline::types::{ActionExecutionFilter, StageRetryMode};
use aws_sdk_codepipeline::Client;
use serde_json::json;
use switchyard_core::actions::codepipeline::RetryStageExecution;
use switchyard_core::ports::{ActError, ActionReport, ObserveError};
use switchyard_core::stage_retry::ports::{
    ActionExecution, PipelineReader, PipelineState, StageState,
};
use switchyard_core::timestamps;

use super::errors::{act_error, observe_error};
use super::pages::every_page;

pub const IAM_ACTIONS: &[&str] = &[
    "codepipeline:GetPipelineState",
    "codepipeline:ListActionExecutions",
    "codepipeline:RetryStageExecution",
];

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
        const OP: &str = "ListActionExecutions";
        let pages = self
            .client
            .list_action_executions()
            .pipeline_name(pipeline)
            .filter(
                ActionExecutionFilter::builder()
                    .pipeline_execution_id(execution_id)
                    .build(),
            )
            .into_paginator()
            .stop_on_duplicate_token(false)
            .send();
        let pages = every_page(OP, pages, |e| observe_error(OP, e)).await?;
        Ok(pages
            .iter()
            .flat_map(|page| page.action_execution_details())
            .map(|d| ActionExecution {
                execution_id: d.pipeline_execution_id().unwrap_or_default().to_owned(),
                stage: d.stage_name().unwrap_or_default().to_owned(),
                action: d.action_name().unwrap_or_default().to_owned(),
                status: d
                    .status()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                start_time: d.start_time().map(|t| timestamps::from_unix(t.secs())),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_codepipeline::operation::list_action_executions::ListActionExecutionsOutput;
    use aws_sdk_codepipeline::types::ActionExecutionDetail;
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};

    use super::super::pages::MAX_PAGES;
    use super::*;

    /// Every page hands out a token: a new one each time (`fresh`), or the same one again.
    fn endless(fresh: bool) -> Rule {
        mock!(Client::list_action_executions).then_compute_output(move |req| {
            let page: usize = req.next_token().map_or(0, |t| t.parse().unwrap());
            ListActionExecutionsOutput::builder()
                .action_execution_details(
                    ActionExecutionDetail::builder()
                        .action_name(format!("Deploy{page}"))
                        .build(),
                )
                .next_token(if fresh { page + 1 } else { 1 }.to_string())
                .build()
        })
    }

    #[tokio::test]
    async fn a_listing_longer_than_the_page_cap_is_refused_not_cut_short() {
        for fresh in [true, false] {
            let rule = endless(fresh);
            let pipelines = AwsPipelines::new(mock_client!(
                aws_sdk_codepipeline,
                RuleMode::MatchAny,
                [&rule]
            ));
            let err = pipelines
                .action_executions("payments-release", "3c1f9e1a")
                .await
                .unwrap_err();
            assert_eq!(err.operation, "ListActionExecutions");
            assert!(err.message.contains("more than 100 pages"), "{err}");
            assert!(!err.retryable, "the listing would be as long again");
            assert_eq!(rule.num_calls(), MAX_PAGES + 1, "fresh tokens: {fresh}");
        }
    }
}
