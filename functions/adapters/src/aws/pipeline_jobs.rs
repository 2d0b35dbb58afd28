//! CodePipeline job results: `PutJobSuccessResult` and `PutJobFailureResult`.
//!
//! A second result for the same job fails with `InvalidJobStateException`: the job was already
//! reported (a duplicate invocation, or the deadline guard raced a late handler), which is the
//! outcome we wanted, so it is a success here.

use aws_sdk_codepipeline::types::{ExecutionDetails, FailureDetails, FailureType};
use aws_sdk_codepipeline::Client;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::retry::ProvideErrorKind;
use serde_json::json;
use switchyard_core::actions::codepipeline::{PutJobFailureResult, PutJobSuccessResult};
use switchyard_core::ports::{ActError, ActionReport};

use super::errors::act_error;

pub const IAM_ACTIONS: &[&str] = &[
    "codepipeline:PutJobSuccessResult",
    "codepipeline:PutJobFailureResult",
];

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
