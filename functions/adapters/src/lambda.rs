//! Every function's Lambda `main`: `lambda::run::<F>()`. Cold start reads the configuration
//! once (a bad value fails here, naming the variable, before any event is taken); each event then
//! goes through the function's own parse → observe → decide, and the shared act and answer steps.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_runtime::{service_fn, Context, Diagnostic, Error, LambdaEvent};
use serde_json::Value;
use switchyard_core::config::ProcessEnv;
use switchyard_core::entry::{self, HandlerError};
use switchyard_core::function::{Answer, Function, Ports};
use switchyard_core::ports::ActionExecutor;

use crate::aws::sdk_config;
use crate::job_runner::{self, run_job, Deadline};
use crate::ports::{AwsPorts, AwsResolve};
use crate::{telemetry, AwsExecutor};

/// The whole `main` of function `F`'s Lambda binary.
pub async fn run<F: Function>() -> Result<(), Error> {
    telemetry::init_lambda();
    let margin = job_runner::margin_from_vars(&ProcessEnv)?;
    let sdk = sdk_config().await;
    let function = Arc::new(F::configure(&ProcessEnv, &AwsResolve { sdk: &sdk }).await?);
    let ports = Arc::new(AwsPorts::new(sdk.clone()));
    let executor = AwsExecutor::new(sdk);
    serve(|event, context| {
        // Boxed: the SDK futures inside are deep, and the runtime's future need not hold them.
        Box::pin(handle(
            function.clone(),
            ports.clone(),
            &executor,
            margin,
            event,
            context.deadline,
        ))
    })
    .await
}

/// One event: decide, act, answer as the event source expects ([`Function::answer`]).
/// `deadline_ms` is when the invocation ends (the Lambda context's `deadline`, milliseconds since
/// the epoch); `job_margin` how long before it a pipeline job is answered "timed out"
/// (`JOB_DEADLINE_MARGIN_SECONDS`).
pub async fn handle<F: Function, P: Ports, E: ActionExecutor>(
    function: Arc<F>,
    ports: Arc<P>,
    executor: &E,
    job_margin: Duration,
    raw: Value,
    deadline_ms: u64,
) -> Result<Value, HandlerError> {
    let deadline = UNIX_EPOCH + Duration::from_millis(deadline_ms);
    let answer = function.answer(&raw);
    if answer == Answer::Job {
        let guard = Deadline::new(deadline, job_margin);
        return run_job(F::NAME, &raw, guard, executor, move |job| async move {
            Ok(function.decide_job(job, ports, deadline).await)
        })
        .await;
    }
    let mut records = decide(&*function, &raw, &*ports, deadline).await?;
    match answer {
        Answer::Event if records.len() == 1 => {
            let decision = records.pop().expect("one record").decision;
            entry::run(F::NAME, &raw, decision, executor).await
        }
        _ => entry::run_records(F::NAME, &raw, records, executor).await,
    }
}

async fn decide<F: Function, P: Ports>(
    function: &F,
    raw: &Value,
    ports: &P,
    deadline: SystemTime,
) -> Result<Vec<switchyard_core::plan::RecordDecision>, HandlerError> {
    function.decide(raw, ports, deadline).await.map_err(|e| {
        let id = entry::event_id(raw);
        tracing::error!(function = F::NAME.as_str(), event_id = id.as_deref().unwrap_or(""), error = %e, retryable = e.retryable, "observe failed");
        HandlerError::Act(e.into())
    })
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
