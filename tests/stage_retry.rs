//! `stage-retry` on the real CodePipeline and Health SDK clients, with `aws-smithy-mocks`
//! answering (moto implements neither GetPipelineState, ListActionExecutions nor
//! RetryStageExecution): request fields, pagination, final refusals reported as stopped,
//! throttling retried, one event end to end, and an unreadable pipeline failing the invocation
//! retryably or for good.

use aws_sdk_codepipeline::operation::get_pipeline_state::{
    GetPipelineStateError, GetPipelineStateInput, GetPipelineStateOutput,
};
use aws_sdk_codepipeline::operation::list_action_executions::{
    ListActionExecutionsInput, ListActionExecutionsOutput,
};
use aws_sdk_codepipeline::operation::retry_stage_execution::{
    RetryStageExecutionError, RetryStageExecutionInput, RetryStageExecutionOutput,
};
use aws_sdk_codepipeline::types::error::{
    NotLatestPipelineExecutionException, PipelineNotFoundException, StageNotRetryableException,
};
use aws_sdk_codepipeline::types::{
    ActionExecution as SdkActionExecution, ActionExecutionDetail, ActionExecutionStatus,
    ActionState, StageExecution, StageExecutionStatus, StageRetryMode, StageState,
};
use aws_sdk_codepipeline::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_types::DateTime;
use serde_json::json;
use switchyard_adapters::aws::health::AwsHealth;
use switchyard_adapters::aws::pipeline_state::AwsPipelines;
use switchyard_adapters::lambda;
use switchyard_adapters::AwsExecutor;
use switchyard_core::actions::codepipeline::RetryStageExecution;
use switchyard_core::entry::{self, HandlerError};
use switchyard_core::metrics::Tally;
use switchyard_core::plan::{Action, FunctionName};
use switchyard_core::ports::ActionExecutor;
use switchyard_core::stage_retry::ports::PipelineReader;
use switchyard_core::stage_retry::{decide_event, RetryConfig};
use switchyard_core::timestamps;
use switchyard_test_support::env::string_map;
use switchyard_test_support::mocks::{aws_json_error, standard_retries, Requests};

const EXEC: &str = "3c1f9e1a-0b6d-4f7e-9d21-6a1b2c3d4e5f";

fn client(rules: &[&Rule]) -> Client {
    mock_client!(aws_sdk_codepipeline, RuleMode::MatchAny, rules, |c| c
        .retry_config(standard_retries()))
}

fn failed_state(seen: Requests<GetPipelineStateInput>) -> Rule {
    mock!(Client::get_pipeline_state).then_compute_output(move |req| {
        seen.push(req);
        GetPipelineStateOutput::builder()
            .pipeline_name("payments-release")
            .stage_states(
                StageState::builder()
                    .stage_name("Deploy")
                    .latest_execution(
                        StageExecution::builder()
                            .pipeline_execution_id(EXEC)
                            .status(StageExecutionStatus::Failed)
                            .build()
                            .unwrap(),
                    )
                    .action_states(
                        ActionState::builder()
                            .action_name("DeployEU")
                            .latest_execution(
                                SdkActionExecution::builder()
                                    .last_status_change(DateTime::from_secs(1_795_166_108))
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .build()
    })
}

fn detail(action: &str, start: i64) -> ActionExecutionDetail {
    ActionExecutionDetail::builder()
        .pipeline_execution_id(EXEC)
        .action_execution_id(format!("{action}-{start}"))
        .stage_name("Deploy")
        .action_name(action)
        .status(ActionExecutionStatus::Failed)
        .start_time(DateTime::from_secs(start))
        .build()
}

/// Two pages of action executions for EXEC: DeployEU ran twice (one retry so far).
fn two_pages(seen: Requests<ListActionExecutionsInput>) -> Rule {
    mock!(Client::list_action_executions).then_compute_output(move |req| {
        seen.push(req);
        match req.next_token() {
            None => ListActionExecutionsOutput::builder()
                .action_execution_details(detail("DeployEU", 1_795_165_802))
                .next_token("page-2")
                .build(),
            Some(_) => ListActionExecutionsOutput::builder()
                .action_execution_details(detail("DeployEU", 1_795_165_200))
                .build(),
        }
    })
}

fn accept_retry(seen: Requests<RetryStageExecutionInput>) -> Rule {
    mock!(Client::retry_stage_execution).then_compute_output(move |req| {
        seen.push(req);
        RetryStageExecutionOutput::builder()
            .pipeline_execution_id(req.pipeline_execution_id().unwrap_or_default())
            .build()
    })
}

#[tokio::test]
async fn pipeline_state_and_action_executions_are_read_with_their_fields() {
    let states = Requests::new();
    let lists = Requests::new();
    let state_rule = failed_state(states.clone());
    let list_rule = two_pages(lists.clone());
    let pipelines = AwsPipelines::new(client(&[&state_rule, &list_rule]));

    let state = pipelines
        .pipeline_state("payments-release")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(states.all()[0].name(), Some("payments-release"));
    let deploy = &state.stages[0];
    assert_eq!(deploy.execution_id.as_deref(), Some(EXEC));
    assert_eq!(deploy.status.as_deref(), Some("Failed"));
    assert_eq!(
        timestamps::format(deploy.last_change.unwrap()),
        "2026-11-20T09:15:08Z"
    );

    let executions = pipelines
        .action_executions("payments-release", EXEC)
        .await
        .unwrap();
    assert_eq!(executions.len(), 2, "both pages");
    let requests = lists.all();
    assert_eq!(requests.len(), 2);
    for r in &requests {
        assert_eq!(r.pipeline_name(), Some("payments-release"));
        assert_eq!(r.filter().unwrap().pipeline_execution_id(), Some(EXEC));
    }
    assert_eq!(requests[1].next_token(), Some("page-2"));
}

#[tokio::test]
async fn a_missing_pipeline_reads_as_none() {
    let missing = mock!(Client::get_pipeline_state).then_error(|| {
        GetPipelineStateError::PipelineNotFoundException(
            PipelineNotFoundException::builder()
                .message("no such pipeline")
                .build(),
        )
    });
    let pipelines = AwsPipelines::new(client(&[&missing]));
    assert_eq!(pipelines.pipeline_state("gone").await.unwrap(), None);
}

fn executor(rules: &[&Rule]) -> AwsExecutor {
    AwsExecutor::new(aws_config::SdkConfig::builder().build()).with_codepipeline(client(rules))
}

fn retry_action() -> Action {
    RetryStageExecution {
        pipeline_name: "payments-release".into(),
        stage_name: "Deploy".into(),
        pipeline_execution_id: EXEC.into(),
        retry_mode: "FAILED_ACTIONS",
    }
    .into()
}

#[tokio::test]
async fn retry_stage_execution_sends_exactly_these_fields() {
    let seen = Requests::new();
    let rule = accept_retry(seen.clone());
    let report = executor(&[&rule]).execute(&retry_action()).await.unwrap();
    let sent = &seen.all()[0];
    assert_eq!(sent.pipeline_name(), Some("payments-release"));
    assert_eq!(sent.stage_name(), Some("Deploy"));
    assert_eq!(sent.pipeline_execution_id(), Some(EXEC));
    assert_eq!(sent.retry_mode(), Some(&StageRetryMode::FailedActions));
    assert_eq!(report.result["retried"], true);
}

#[tokio::test]
async fn final_refusals_stop_for_good_instead_of_failing() {
    type Refusal = (fn() -> RetryStageExecutionError, &'static str);
    let refusals: [Refusal; 2] = [
        (
            || {
                RetryStageExecutionError::NotLatestPipelineExecutionException(
                    NotLatestPipelineExecutionException::builder()
                        .message("not the latest execution")
                        .build(),
                )
            },
            "NotLatestPipelineExecutionException: not the latest execution",
        ),
        (
            || {
                RetryStageExecutionError::StageNotRetryableException(
                    StageNotRetryableException::builder()
                        .message("stage is in progress")
                        .build(),
                )
            },
            "StageNotRetryableException: stage is in progress",
        ),
    ];
    for (error, stopped) in refusals {
        let rule = mock!(Client::retry_stage_execution).then_error(error);
        let report = executor(&[&rule]).execute(&retry_action()).await.unwrap();
        assert_eq!(report.result["retried"], false);
        assert_eq!(report.result["stopped"], stopped);
        assert_eq!(rule.num_calls(), 1, "not retried");
    }
}

#[tokio::test]
async fn a_throttled_retry_call_is_retried_and_a_conflict_is_final() {
    let throttled = mock!(Client::retry_stage_execution)
        .sequence()
        .http_status(400, aws_json_error("ThrottlingException"))
        .output(|| RetryStageExecutionOutput::builder().build())
        .build();
    executor(&[&throttled])
        .execute(&retry_action())
        .await
        .unwrap();
    assert_eq!(throttled.num_calls(), 2);

    let busy = mock!(Client::retry_stage_execution)
        .sequence()
        .http_status(400, aws_json_error("ConflictException"))
        .build();
    let err = executor(&[&busy])
        .execute(&retry_action())
        .await
        .unwrap_err();
    assert!(err.message.contains("ConflictException"), "{err}");
    assert!(!err.retryable, "a 400 the SDK does not retry: {err}");
}

fn health(rules: &[&Rule]) -> aws_sdk_health::Client {
    mock_client!(aws_sdk_health, RuleMode::MatchAny, rules)
}

fn watching_deploy() -> RetryConfig {
    RetryConfig::from_vars(&string_map(&[
        ("STAGE_RETRY_PIPELINES", "payments-release:Deploy"),
        ("STAGE_RETRY_REGIONS", "eu-west-1"),
    ]))
    .unwrap()
}

fn deploy_failed() -> serde_json::Value {
    json!({"version": "0", "id": "e-1", "detail-type": "CodePipeline Stage Execution State Change",
        "source": "aws.codepipeline", "time": "2026-11-20T09:15:10Z", "region": "eu-west-1",
        "detail": {"pipeline": "payments-release", "execution-id": EXEC, "stage": "Deploy", "state": "FAILED"}})
}

#[tokio::test]
async fn a_failed_stage_event_is_retried_once_when_health_is_clear() {
    let config = watching_deploy();
    let event = deploy_failed();
    let state_rule = failed_state(Requests::new());
    let list_rule = two_pages(Requests::new());
    let retries = Requests::new();
    let retry_rule = accept_retry(retries.clone());
    let pipelines = AwsPipelines::new(client(&[&state_rule, &list_rule]));
    let clear = mock!(aws_sdk_health::Client::describe_events).then_output(|| {
        aws_sdk_health::operation::describe_events::DescribeEventsOutput::builder().build()
    });
    let health = AwsHealth::with_clients(health(&[&clear]), health(&[&clear]));
    let now = timestamps::parse("now", "2026-11-20T10:10:00Z").unwrap();

    let decision = decide_event(&event, &config, &pipelines, &health, now)
        .await
        .unwrap();
    assert!(
        decision.reason.starts_with("retry 2 of 3"),
        "{}",
        decision.reason
    );
    let answer = entry::run(
        FunctionName::StageRetry,
        &event,
        decision,
        &Tally::default(),
        &executor(&[&retry_rule]),
    )
    .await
    .unwrap();
    assert_eq!(retries.all().len(), 1);
    assert_eq!(answer["results"][0]["result"]["retried"], true);
    assert_eq!(clear.num_calls(), 1, "Health read once");
}

/// A pipeline that cannot be read fails the invocation, and the Lambda's answer says whether the
/// event source should try again: access denied never heals (it used to be retried forever),
/// throttling does.
#[tokio::test]
async fn access_denied_reading_the_pipeline_is_final_and_throttling_is_retryable() {
    let now = timestamps::parse("now", "2026-11-20T10:10:00Z").unwrap();
    // (code, retryable, calls the SDK made, the Lambda's errorType)
    let cases = [
        ("AccessDeniedException", false, 1, "ActionError"),
        ("ThrottlingException", true, 3, "RetryableActionError"),
    ];
    for (code, retryable, calls, error_type) in cases {
        let refused = mock!(Client::get_pipeline_state)
            .sequence()
            .http_status(400, aws_json_error(code))
            .repeatedly()
            .build();
        let pipelines = AwsPipelines::new(client(&[&refused]));
        let no_health: [&Rule; 0] = [];
        let health = AwsHealth::with_clients(health(&no_health), health(&no_health));
        let err = decide_event(
            &deploy_failed(),
            &watching_deploy(),
            &pipelines,
            &health,
            now,
        )
        .await
        .unwrap_err();
        assert_eq!(err.operation, "GetPipelineState");
        assert!(err.message.contains(code), "{err}");
        assert_eq!(err.retryable, retryable, "{code}");
        assert_eq!(refused.num_calls(), calls, "{code}: the SDK's own attempts");
        let answer = lambda::diagnostic(HandlerError::Act(err.into()));
        assert_eq!(answer.error_type, error_type, "{code}");
    }
}
