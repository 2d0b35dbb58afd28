//! CodePipeline jobs: what a job is (`GetJobDetails`, [`CodePipelineJobs`]) and its result
//! (`PutJobSuccessResult` and `PutJobFailureResult`).
//!
//! `GetJobDetails` is documented for custom actions, and it answers for Lambda invoke jobs too:
//! the invoke action's guide describes the Lambda event as that API's response without
//! `actionTypeId` and `pipelineContext`. It answers only for a job id CodePipeline issued in this
//! account (`JobNotFoundException` otherwise), with the job's real configuration, artifacts,
//! credentials, continuation token and pipeline context: what the job runner decides on.
//!
//! A second result for the same job fails with `InvalidJobStateException`: the job was already
//! reported (a duplicate invocation, or the deadline guard raced a late handler), which is the
//! outcome we wanted, so it is a success here.

use aws_sdk_codepipeline::types::{
    Artifact, ExecutionDetails, FailureDetails, FailureType, JobData, PipelineContext,
};
use aws_sdk_codepipeline::Client;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::retry::ProvideErrorKind;
use serde_json::{json, Value};
use switchyard_core::actions::codepipeline::{PutJobFailureResult, PutJobSuccessResult};
use switchyard_core::pipeline_job::{Job, JobDetails, NotConfirmed, JOB_KEY};
use switchyard_core::ports::{ActError, ActionReport};

use super::errors::act_error;

pub const IAM_ACTIONS: &[&str] = &[
    "codepipeline:GetJobDetails",
    "codepipeline:PutJobSuccessResult",
    "codepipeline:PutJobFailureResult",
];

/// Reads jobs from CodePipeline.
pub struct CodePipelineJobs {
    client: Client,
}

impl CodePipelineJobs {
    pub fn new(client: Client) -> Self {
        CodePipelineJobs { client }
    }
}

impl JobDetails for CodePipelineJobs {
    async fn job_details(&self, job_id: &str) -> Result<Job, NotConfirmed> {
        let out = self
            .client
            .get_job_details()
            .job_id(job_id)
            .send()
            .await
            .map_err(|e| NotConfirmed(DisplayErrorContext(&e).to_string()))?;
        let details = out
            .job_details
            .ok_or_else(|| NotConfirmed("the answer holds no jobDetails".into()))?;
        let event = json!({ JOB_KEY: {
            "id": details.id,
            "accountId": details.account_id,
            "data": details.data.as_ref().map(job_data),
        }});
        Job::parse(&event).map_err(|e| NotConfirmed(format!("its details do not parse: {e}")))
    }
}

/// `JobData` in the shape of a job event's `data` (plus `pipelineContext`), for [`Job::parse`]:
/// one parser for both.
fn job_data(data: &JobData) -> Value {
    let configuration = data
        .action_configuration
        .as_ref()
        .and_then(|c| c.configuration.as_ref());
    let credentials = data.artifact_credentials.as_ref().map(|c| {
        json!({"accessKeyId": c.access_key_id, "secretAccessKey": c.secret_access_key,
            "sessionToken": c.session_token})
    });
    json!({
        "actionConfiguration": {"configuration": configuration},
        "inputArtifacts": data.input_artifacts.as_deref().unwrap_or_default().iter().map(artifact).collect::<Vec<_>>(),
        "artifactCredentials": credentials,
        "continuationToken": data.continuation_token,
        "pipelineContext": data.pipeline_context.as_ref().map(pipeline_context),
    })
}

fn artifact(a: &Artifact) -> Value {
    let s3 = a.location.as_ref().and_then(|l| l.s3_location.as_ref());
    json!({
        "name": a.name,
        "revision": a.revision,
        "location": {"s3Location": s3.map(|s| json!({"bucketName": s.bucket_name, "objectKey": s.object_key}))},
    })
}

fn pipeline_context(p: &PipelineContext) -> Value {
    json!({
        "pipelineName": p.pipeline_name,
        "stage": {"name": p.stage.as_ref().and_then(|s| s.name.as_deref())},
        "action": {"name": p.action.as_ref().and_then(|a| a.name.as_deref())},
        "pipelineExecutionId": p.pipeline_execution_id,
    })
}

/// The report for a sent result; `InvalidJobStateException` (`already_reported`) is a success.
fn answered<O, E>(
    operation: &'static str,
    job_id: &str,
    sent: Result<O, SdkError<E, HttpResponse>>,
    already_reported: impl Fn(&E) -> bool,
) -> Result<ActionReport, ActError>
where
    E: ProvideErrorKind + std::error::Error + 'static,
{
    let already = match sent {
        Ok(_) => false,
        Err(e) if e.as_service_error().is_some_and(&already_reported) => true,
        Err(e) => return Err(act_error(operation, e)),
    };
    Ok(ActionReport {
        operation,
        result: json!({ "jobId": job_id, "alreadyReported": already }),
    })
}

pub async fn put_job_success_result(
    client: &Client,
    input: &PutJobSuccessResult,
) -> Result<ActionReport, ActError> {
    const OP: &str = "PutJobSuccessResult";
    let details = input
        .execution_details
        .as_ref()
        .map(|d| ExecutionDetails::builder().summary(&d.summary).build());
    let variables = (!input.output_variables.is_empty()).then(|| {
        input
            .output_variables
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    });
    let sent = client
        .put_job_success_result()
        .job_id(&input.job_id)
        .set_continuation_token(input.continuation_token.clone())
        .set_execution_details(details)
        .set_output_variables(variables)
        .send()
        .await;
    answered(OP, &input.job_id, sent, |e| {
        e.is_invalid_job_state_exception()
    })
}

pub async fn put_job_failure_result(
    client: &Client,
    input: &PutJobFailureResult,
) -> Result<ActionReport, ActError> {
    const OP: &str = "PutJobFailureResult";
    let details = FailureDetails::builder()
        .r#type(FailureType::from(input.failure_details.kind.as_str()))
        .message(&input.failure_details.message)
        .build()
        .map_err(|e| ActError {
            operation: OP,
            message: e.to_string(),
            retryable: false,
        })?;
    let sent = client
        .put_job_failure_result()
        .job_id(&input.job_id)
        .failure_details(details)
        .send()
        .await;
    answered(OP, &input.job_id, sent, |e| {
        e.is_invalid_job_state_exception()
    })
}
