//! Every function's Lambda `main`: `lambda::run::<F>()`. Cold start reads the configuration
//! once (a bad value fails here, naming the variable, before any event is taken); each event then
//! goes through the function's own parse → observe → decide, and the shared act and answer steps.

use std::future::Future;
use std::sync::Arc;

use lambda_runtime::{service_fn, Context, Diagnostic, Error, LambdaEvent};
use serde_json::Value;
use switchyard_core::config::ProcessEnv;
use switchyard_core::deadline::{self, Deadline};
use switchyard_core::entry::HandlerError;
use switchyard_core::function::{Answer, Function, Ports};
use switchyard_core::pipeline_job::JobDetails;
use switchyard_core::ports::ActionExecutor;

use crate::aws::pipeline_jobs::CodePipelineJobs;
use crate::aws::sdk_config;
use crate::job_runner::run_job;
use crate::ports::{AwsPorts, AwsResolve};
use crate::{telemetry, AwsExecutor};

/// The whole `main` of function `F`'s Lambda binary.
pub async fn run<F: Function>() -> Result<(), Error> {
    telemetry::init_lambda();
    let margin = deadline::margin_from_vars(&ProcessEnv)?;
    let sdk = sdk_config().await;
    let function = Arc::new(F::configure(&ProcessEnv, &AwsResolve { sdk: &sdk }).await?);
    let ports = Arc::new(AwsPorts::for_function(&sdk, &*function).await?);
    let jobs = CodePipelineJobs::new(aws_sdk_codepipeline::Client::new(&sdk));
    let executor = AwsExecutor::new(sdk);
    serve(|event, context| {
        let deadline = Deadline::from_epoch_millis(context.deadline, margin);
        // Boxed: the SDK futures inside are deep, and the runtime's future need not hold them.
        Box::pin(handle(
            function.clone(),
            ports.clone(),
            &executor,
            &jobs,
            event,
            deadline,
        ))
    })
    .await
}

/// One event, with the invocation's `deadline` (its margin: `JOB_DEADLINE_MARGIN_SECONDS`): a
/// pipeline job through the job runner (exactly one result, on errors, panics and the deadline
/// too; decided on what `jobs` says the job is), anything else through [`Function::handle`].
pub async fn handle<F: Function, P: Ports, E: ActionExecutor, J: JobDetails>(
    function: Arc<F>,
    ports: Arc<P>,
    executor: &E,
    jobs: &J,
    raw: Value,
    deadline: Deadline,
) -> Result<Value, HandlerError> {
    if function.answer(&raw) == Answer::Job {
        let counted = function.clone();
        return run_job(
            F::NAME,
            &raw,
            deadline,
            executor,
            jobs,
            move |job| async move { Ok(function.decide_job(job, ports, deadline).await) },
            |decision| counted.tally(decision),
        )
        .await;
    }
    function.handle(&raw, &*ports, executor, deadline).await
}

/// Serves events until the runtime stops. Handler errors fail the invocation with an
/// `errorType` that says whether a retry can help (`Retryable…`) or not.
pub async fn serve<F, Fut>(handler: F) -> Result<(), Error>
where
    F: Fn(Value, Context) -> Fut,
    Fut: Future<Output = Result<Value, HandlerError>>,
{
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let fut = handler(event.payload, event.context);
        async move { fut.await.map_err(diagnostic) }
    }))
    .await
}

pub fn diagnostic(error: HandlerError) -> Diagnostic {
    let error_type = match &error {
        HandlerError::Rejected(_) => "Rejected",
        HandlerError::Act(e) if e.retryable => "RetryableActionError",
        HandlerError::Act(_) => "ActionError",
    };
    Diagnostic {
        error_type: error_type.into(),
        error_message: error.to_string(),
    }
}
