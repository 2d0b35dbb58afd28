//! The CodePipeline job protocol on the real CodePipeline SDK client, with `aws-smithy-mocks`
//! answering (moto does not implement job results): every job gets exactly one result, on
//! success, handler error, panic and deadline; a second result counts as already reported;
//! throttled result calls are retried; the job's artifact credentials never reach a log line.

use std::time::{Duration, SystemTime};

use aws_sdk_codepipeline::operation::put_job_failure_result::{
    PutJobFailureResultInput, PutJobFailureResultOutput,
};
use aws_sdk_codepipeline::operation::put_job_success_result::{
    PutJobSuccessResultError, PutJobSuccessResultInput, PutJobSuccessResultOutput,
};
use aws_sdk_codepipeline::operation::start_pipeline_execution::StartPipelineExecutionError;
use aws_sdk_codepipeline::types::error::{
    InvalidJobStateException, PipelineNotFoundException, ValidationException,
};
use aws_sdk_codepipeline::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use serde_json::{json, Value};
use switchyard_adapters::aws::pipeline_jobs::CodePipelineJobs;
use switchyard_adapters::job_runner::run_job;
use switchyard_adapters::AwsExecutor;
use switchyard_core::actions::codepipeline::{FailureType, StartPipelineExecution};
use switchyard_core::deadline::Deadline;
use switchyard_core::entry::HandlerError;
use switchyard_core::pipeline_job::{Job, JobResult};
use switchyard_core::plan::{Decision, FunctionName};
use switchyard_core::ports::ActError;
use switchyard_test_support::jobs::{no_tally, JobBook};
use switchyard_test_support::logs::Captured;
use switchyard_test_support::mocks::{aws_json_error, standard_retries, Requests};
use tokio::sync::oneshot;

const JOB_ID: &str = "0f4f1c2e-8a5b-4c3d-9e7f-112233445566";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
const SESSION_TOKEN: &str = "FwoGZXIvYXdzEXAMPLESESSIONTOKENvalue";
const ACCESS_KEY: &str = "ASIAEXAMPLEACCESSKEY";

fn job_event() -> Value {
    json!({"CodePipeline.job": {
        "id": JOB_ID,
        "accountId": "123456789012",
        "data": {
            "actionConfiguration": {"configuration": {
                "FunctionName": "switchyard-health-gate",
                "UserParameters": "{\"regions\":[\"eu-west-1\"]}"
            }},
            "inputArtifacts": [],
            "outputArtifacts": [],
            "artifactCredentials": {
                "accessKeyId": ACCESS_KEY,
                "secretAccessKey": SECRET_KEY,
                "sessionToken": SESSION_TOKEN
            }
        }
    }})
}

/// Mocked job API: `GetJobDetails` answers for the jobs CodePipeline issued ([`JobBook`]: the
/// job of [`job_event`]); every result request is kept, and counted per operation.
struct ResultApi {
    success: Rule,
    failure: Rule,
    details: Rule,
    successes: Requests<PutJobSuccessResultInput>,
    failures: Requests<PutJobFailureResultInput>,
    executor: AwsExecutor,
    jobs: CodePipelineJobs,
}

impl ResultApi {
    /// `success` / `failure` build the rules from a request recorder.
    fn new(
        success: impl FnOnce(Requests<PutJobSuccessResultInput>) -> Rule,
        failure: impl FnOnce(Requests<PutJobFailureResultInput>) -> Rule,
    ) -> Self {
        Self::with_other(success, failure, None)
    }

    /// `other`: a rule for an operation the plan runs before the result.
    fn with_other(
        success: impl FnOnce(Requests<PutJobSuccessResultInput>) -> Rule,
        failure: impl FnOnce(Requests<PutJobFailureResultInput>) -> Rule,
        other: Option<Rule>,
    ) -> Self {
        let successes = Requests::new();
        let failures = Requests::new();
        let success = success(successes.clone());
        let failure = failure(failures.clone());
        let book = JobBook::new();
        book.issue(&job_event(), "release");
        let details = book.rule();
        let mut rules = vec![&success, &failure, &details];
        rules.extend(other.as_ref());
        let client: Client = mock_client!(aws_sdk_codepipeline, RuleMode::MatchAny, rules, |c| c
            .retry_config(standard_retries()));
        let sdk = aws_config::SdkConfig::builder().build();
        ResultApi {
            executor: AwsExecutor::new(sdk).with_codepipeline(client.clone()),
            jobs: CodePipelineJobs::new(client),
            success,
            failure,
            details,
            successes,
            failures,
        }
    }

    /// Both operations answer normally.
    fn accepting() -> Self {
        Self::new(accept_success, accept_failure)
    }

    fn results_sent(&self) -> usize {
        self.success.num_calls() + self.failure.num_calls()
    }

    /// The message of the one failure result sent.
    fn failure_message(&self) -> String {
        let sent = self.only_failure();
        sent.failure_details().unwrap().message().to_owned()
    }

    fn only_failure(&self) -> PutJobFailureResultInput {
        assert_eq!(self.results_sent(), 1, "exactly one result call");
        let all = self.failures.all();
        assert_eq!(all.len(), 1);
        all[0].clone()
    }
}

fn accept_success(seen: Requests<PutJobSuccessResultInput>) -> Rule {
    mock!(Client::put_job_success_result).then_compute_output(move |req| {
        seen.push(req);
        PutJobSuccessResultOutput::builder().build()
    })
}

fn accept_failure(seen: Requests<PutJobFailureResultInput>) -> Rule {
    mock!(Client::put_job_failure_result).then_compute_output(move |req| {
        seen.push(req);
        PutJobFailureResultOutput::builder().build()
    })
}

fn far_deadline() -> Deadline {
    Deadline::new(
        SystemTime::now() + Duration::from_secs(300),
        Duration::from_secs(5),
    )
}

/// Runs the job event through the runner for health-gate, with a far deadline.
async fn run<F, Fut>(api: &ResultApi, handler: F) -> Result<Value, HandlerError>
where
    F: FnOnce(Job) -> Fut,
    Fut: std::future::Future<Output = Result<Decision, HandlerError>> + Send + 'static,
{
    run_until(api, far_deadline(), handler).await
}

async fn run_until<F, Fut>(
    api: &ResultApi,
    deadline: Deadline,
    handler: F,
) -> Result<Value, HandlerError>
where
    F: FnOnce(Job) -> Fut,
    Fut: std::future::Future<Output = Result<Decision, HandlerError>> + Send + 'static,
{
    run_job(
        FunctionName::HealthGate,
        &job_event(),
        deadline,
        &api.executor,
        &api.jobs,
        handler,
        no_tally,
    )
    .await
}

fn success_decision(job: &Job) -> Decision {
    JobResult::Succeeded {
        summary: "AWS Health is clear".into(),
        output_variables: [("HealthStatus".to_owned(), "clear".to_owned())].into(),
    }
    .decide(&job.id, "clear")
}

#[tokio::test]
async fn success_is_reported_once_with_its_fields() {
    let api = ResultApi::accepting();
    let answer = run(&api, |job| async move { Ok(success_decision(&job)) })
        .await
        .unwrap();
    assert_eq!(api.results_sent(), 1);
    let sent = &api.successes.all()[0];
    assert_eq!(sent.job_id(), Some(JOB_ID));
    assert_eq!(sent.continuation_token(), None);
    assert_eq!(
        sent.execution_details().and_then(|d| d.summary()),
        Some("AWS Health is clear")
    );
    assert_eq!(
        sent.output_variables()
            .unwrap()
            .get("HealthStatus")
            .map(String::as_str),
        Some("clear")
    );
    assert_eq!(answer["outcome"], "acted");
    assert_eq!(answer["results"][0]["result"]["alreadyReported"], false);
}

#[tokio::test]
async fn a_handler_error_becomes_one_failure() {
    let api = ResultApi::accepting();
    run(&api, |_job| async move {
        Err(HandlerError::Act(ActError {
            operation: "DescribeEvents",
            message: "AWS Health did not answer".into(),
            retryable: true,
        }))
    })
    .await
    .unwrap();
    let sent = api.only_failure();
    assert_eq!(sent.job_id(), Some(JOB_ID));
    let details = sent.failure_details().unwrap();
    assert_eq!(details.r#type().as_str(), "JobFailed");
    assert!(details.message().contains("AWS Health did not answer"));
}

#[tokio::test]
async fn a_panic_in_the_handler_still_produces_exactly_one_failure() {
    let api = ResultApi::accepting();
    run(&api, |_job| async move {
        if JOB_ID.len() == 36 {
            panic!("index out of bounds in the decision");
        }
        Ok(Decision::skip("unreachable"))
    })
    .await
    .unwrap();
    let message = api.failure_message();
    assert!(message.contains("panicked"), "{message}");
    assert!(message.contains("index out of bounds"), "{message}");
}

/// Sends on its channel when dropped: held by a handler's future, it tells the test the future
/// was dropped, which for a future that would otherwise sleep for a minute means aborted.
struct SignalOnDrop(Option<oneshot::Sender<()>>);

impl Drop for SignalOnDrop {
    fn drop(&mut self) {
        if let Some(dropped) = self.0.take() {
            let _ = dropped.send(());
        }
    }
}

#[tokio::test]
async fn the_deadline_guard_fires_when_remaining_time_is_short() {
    let api = ResultApi::accepting();
    let (signal, dropped) = oneshot::channel();
    let guard = SignalOnDrop(Some(signal));
    // 400 ms left, 300 ms margin: the guard fires after ~100 ms; the handler would need 60 s.
    let deadline = Deadline::new(
        SystemTime::now() + Duration::from_millis(400),
        Duration::from_millis(300),
    );
    run_until(&api, deadline, |job| async move {
        let _held_until_the_future_is_dropped = guard;
        tokio::time::sleep(Duration::from_secs(60)).await;
        Ok(success_decision(&job))
    })
    .await
    .unwrap();
    let message = api.failure_message();
    assert!(message.starts_with("timed out"), "{message}");
    assert_eq!(api.success.num_calls(), 0, "the late success is never sent");
    // Aborting a task drops its future at the runtime's next turn, not at once: give it time,
    // far less than the minute the handler would sleep if it were left running.
    tokio::time::timeout(Duration::from_secs(5), dropped)
        .await
        .expect("the handler's future was not dropped: the runner left the task running")
        .expect("the guard signals when it is dropped");
}

#[tokio::test]
async fn a_deadline_already_inside_the_margin_fails_at_once() {
    let api = ResultApi::accepting();
    let deadline = Deadline::new(SystemTime::now(), Duration::from_secs(5));
    run_until(&api, deadline, |job| async move {
        tokio::time::sleep(Duration::from_secs(60)).await;
        Ok(success_decision(&job))
    })
    .await
    .unwrap();
    assert!(api.failure_message().starts_with("timed out"));
}

#[tokio::test]
async fn a_second_result_counts_as_already_reported() {
    let api = ResultApi::new(
        |seen| {
            mock!(Client::put_job_success_result).then_compute_response(move |req| {
                seen.push(req);
                aws_smithy_mocks::MockResponse::Error(
                    PutJobSuccessResultError::InvalidJobStateException(
                        InvalidJobStateException::builder()
                            .message("job is already in state Succeeded")
                            .build(),
                    ),
                )
            })
        },
        accept_failure,
    );
    let answer = run(&api, |job| async move { Ok(success_decision(&job)) })
        .await
        .unwrap();
    assert_eq!(api.success.num_calls(), 1);
    assert_eq!(api.failure.num_calls(), 0, "no second attempt, no failure");
    assert_eq!(answer["results"][0]["result"]["alreadyReported"], true);
}

#[tokio::test]
async fn a_throttled_result_call_is_retried() {
    let api = ResultApi::new(
        |_| {
            mock!(Client::put_job_success_result)
                .sequence()
                .http_status(400, aws_json_error("ThrottlingException"))
                .output(|| PutJobSuccessResultOutput::builder().build())
                .build()
        },
        accept_failure,
    );
    run(&api, |job| async move { Ok(success_decision(&job)) })
        .await
        .unwrap();
    assert_eq!(api.success.num_calls(), 2, "throttled once, then accepted");
    assert_eq!(api.failure.num_calls(), 0);
}

#[tokio::test]
async fn a_success_the_api_refuses_is_replaced_by_a_failure() {
    let api = ResultApi::new(
        |_| {
            mock!(Client::put_job_success_result).then_error(|| {
                PutJobSuccessResultError::ValidationException(
                    ValidationException::builder()
                        .message("outputVariables exceed the size limit")
                        .build(),
                )
            })
        },
        accept_failure,
    );
    run(&api, |job| async move { Ok(success_decision(&job)) })
        .await
        .unwrap();
    assert_eq!(api.success.num_calls(), 1);
    let failures = api.failures.all();
    assert_eq!(failures.len(), 1);
    assert!(failures[0]
        .failure_details()
        .unwrap()
        .message()
        .contains("outputVariables exceed the size limit"));
}

#[tokio::test]
async fn plans_without_a_result_or_with_a_failing_action_still_answer() {
    // A rejection: the reason goes to the pipeline as a ConfigurationError.
    let api = ResultApi::accepting();
    run(&api, |_job| async move {
        Ok(Decision::invalid("UserParameters.regions: is empty"))
    })
    .await
    .unwrap();
    let details = api.only_failure().failure_details().unwrap().clone();
    assert_eq!(
        details.r#type().as_str(),
        FailureType::ConfigurationError.as_str()
    );
    assert_eq!(details.message(), "UserParameters.regions: is empty");

    // An action before the result fails: the result becomes a failure naming it.
    let refused = mock!(Client::start_pipeline_execution).then_error(|| {
        StartPipelineExecutionError::PipelineNotFoundException(
            PipelineNotFoundException::builder()
                .message("no pipeline p")
                .build(),
        )
    });
    let api = ResultApi::with_other(accept_success, accept_failure, Some(refused));
    run_job(
        FunctionName::KafkaSync,
        &job_event(),
        far_deadline(),
        &api.executor,
        &api.jobs,
        |job| async move {
            let mut d = success_decision(&job);
            d.actions.insert(
                0,
                StartPipelineExecution {
                    name: "p".into(),
                    variables: vec![],
                    source_revisions: vec![],
                    client_request_token: "t".into(),
                }
                .into(),
            );
            Ok(d)
        },
        no_tally,
    )
    .await
    .unwrap();
    let message = api.failure_message().to_owned();
    assert!(
        message.contains("StartPipelineExecution failed"),
        "{message}"
    );
    assert!(message.contains("no pipeline p"), "{message}");

    // Two results in one plan is a bug: one failure is sent instead of either.
    let api = ResultApi::accepting();
    run(&api, |job| async move {
        let mut d = success_decision(&job);
        d.actions.push(d.actions[0].clone());
        Ok(d)
    })
    .await
    .unwrap();
    assert!(api.failure_message().contains("exactly one result"));
}

#[tokio::test]
async fn an_event_without_a_job_id_is_rejected_without_any_call() {
    let api = ResultApi::accepting();
    let err = run_job(
        FunctionName::HealthGate,
        &json!({"CodePipeline.job": {"data": {}}}),
        far_deadline(),
        &api.executor,
        &api.jobs,
        |job| async move { Ok(success_decision(&job)) },
        no_tally,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("CodePipeline.job.id"), "{err}");
    assert_eq!(api.results_sent(), 0);
}

#[tokio::test]
async fn artifact_credentials_never_reach_the_logs() {
    let (captured, _logs) = Captured::install();

    // Every path: success, error, panic, and a handler that logs the job it was given.
    let api = ResultApi::accepting();
    run(&api, |job| async move {
        tracing::info!(?job, "handler received the job");
        Ok(success_decision(&job))
    })
    .await
    .unwrap();
    run(&api, |job| async move {
        Err(HandlerError::Rejected(format!("failed on {job:?}")))
    })
    .await
    .unwrap();
    run(&api, |job| async move {
        panic!("panicked holding {job:?}");
    })
    .await
    .unwrap();

    let logs = captured.text();
    assert!(logs.contains(JOB_ID), "the capture works: {logs}");
    assert!(logs.contains("handler received the job"));
    for secret in [SECRET_KEY, SESSION_TOKEN, ACCESS_KEY] {
        let line = logs.lines().find(|l| l.contains(secret));
        assert!(line.is_none(), "{secret} leaked into the logs: {line:?}");
    }
    // Nor into what was sent to CodePipeline.
    let sent = format!("{:?} {:?}", api.successes.all(), api.failures.all());
    assert!(sent.contains("ArtifactCredentials(<redacted>)"));
    for secret in [SECRET_KEY, SESSION_TOKEN, ACCESS_KEY] {
        assert!(!sent.contains(secret), "{secret} leaked into a result");
    }
}

/// Item 8 of issue 18: a job whose id reads but whose body does not parse used to get no result,
/// so the pipeline waited until the action timed out. It gets exactly one failure naming the
/// field, and nothing else runs (not even `GetJobDetails`).
#[tokio::test]
async fn a_malformed_job_with_a_readable_id_gets_one_failure_naming_the_field() {
    let api = ResultApi::accepting();
    let mut event = job_event();
    event["CodePipeline.job"]["data"]["inputArtifacts"] = json!([{"name": 7}]);
    let ran = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = ran.clone();
    run_job(
        FunctionName::HealthGate,
        &event,
        far_deadline(),
        &api.executor,
        &api.jobs,
        |job| async move {
            seen.store(true, std::sync::atomic::Ordering::SeqCst);
            Ok(success_decision(&job))
        },
        no_tally,
    )
    .await
    .unwrap();
    let sent = api.only_failure();
    assert_eq!(sent.job_id(), Some(JOB_ID));
    let details = sent.failure_details().unwrap();
    assert_eq!(
        details.r#type(),
        &FailureType::ConfigurationError.as_str().into()
    );
    assert!(
        details
            .message()
            .starts_with("CodePipeline.job.data.inputArtifacts[0].name"),
        "{}",
        details.message()
    );
    assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
    assert_eq!(api.details.num_calls(), 0);
}

/// Item 3 of issue 18: the handler decides on what CodePipeline says the job is, never on the
/// event. A forged event for a real job id (other parameters) runs with CodePipeline's; a job id
/// CodePipeline never issued fails closed (one failure saying why) and the handler never runs.
#[tokio::test]
async fn jobs_are_decided_on_get_job_details_and_unconfirmed_jobs_run_nothing() {
    let api = ResultApi::accepting();
    let mut forged = job_event();
    forged["CodePipeline.job"]["data"]["actionConfiguration"]["configuration"]["UserParameters"] =
        json!("{\"regions\":[\"ap-south-2\"],\"on_unsupported_plan\":\"pass\"}");
    forged["CodePipeline.job"]["data"]["pipelineContext"] = json!({"pipelineName": "forged"});
    let (tx, rx) = oneshot::channel();
    run_job(
        FunctionName::HealthGate,
        &forged,
        far_deadline(),
        &api.executor,
        &api.jobs,
        |job| async move {
            let decision = success_decision(&job);
            tx.send(job).unwrap();
            Ok(decision)
        },
        no_tally,
    )
    .await
    .unwrap();
    let seen = rx.await.unwrap();
    assert_eq!(
        seen.user_parameters.as_deref(),
        Some("{\"regions\":[\"eu-west-1\"]}")
    );
    assert_eq!(seen.pipeline.unwrap().pipeline, "release");
    assert_eq!(api.details.num_calls(), 1);

    let api = ResultApi::accepting();
    let mut never_issued = job_event();
    never_issued["CodePipeline.job"]["id"] = json!("99999999-8a5b-4c3d-9e7f-112233445566");
    run_job(
        FunctionName::KafkaSync,
        &never_issued,
        far_deadline(),
        &api.executor,
        &api.jobs,
        |_job| async move { panic!("an unconfirmed job must not run") },
        no_tally,
    )
    .await
    .unwrap();
    let sent = api.only_failure();
    assert_eq!(sent.job_id(), Some("99999999-8a5b-4c3d-9e7f-112233445566"));
    let message = sent.failure_details().unwrap().message().to_owned();
    assert!(
        message.starts_with("job 99999999-8a5b-4c3d-9e7f-112233445566 was not confirmed by CodePipeline (GetJobDetails): ")
            && message.contains("JobNotFoundException")
            && message.ends_with("nothing was done"),
        "{message}"
    );
}
