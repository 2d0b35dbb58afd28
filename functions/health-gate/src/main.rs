//! `health-gate` Lambda: wiring only. The policy is `switchyard_core::health_gate`; the job
//! protocol guarantees (one result, always) are `switchyard_adapters::job_runner`.

use std::sync::Arc;
use std::time::Duration;

use lambda_runtime::Context;
use serde_json::Value;
use switchyard_adapters::aws::health::AwsHealth;
use switchyard_adapters::aws::sdk_config;
use switchyard_adapters::job_runner::{self, run_job, Deadline};
use switchyard_adapters::{lambda, telemetry, AwsExecutor};
use switchyard_core::config::ProcessEnv;
use switchyard_core::entry::HandlerError;
use switchyard_core::health_gate;
use switchyard_core::plan::FunctionName;
use time::OffsetDateTime;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init_lambda();
    // Cold start: a bad value fails here, naming the variable.
    let margin = job_runner::margin_from_vars(&ProcessEnv)?;
    let sdk = sdk_config().await;
    // Pinned to the Health API's active region (us-east-1), failing over to us-east-2.
    let health = Arc::new(AwsHealth::from_sdk(&sdk));
    let executor = AwsExecutor::new(sdk);
    lambda::serve(|event, context| {
        // Boxed: the SDK futures inside are deep, and the runtime's future need not hold them.
        Box::pin(handle(event, context, health.clone(), &executor, margin))
    })
    .await
}

/// One job: the runner parses it, runs the check under the deadline guard, and reports exactly
/// one result. The clock is read once, when the check starts.
async fn handle(
    event: Value,
    context: Context,
    health: Arc<AwsHealth>,
    executor: &AwsExecutor,
    margin: Duration,
) -> Result<Value, HandlerError> {
    let deadline = Deadline::from_epoch_millis(context.deadline, margin);
    run_job(
        FunctionName::HealthGate,
        &event,
        deadline,
        executor,
        |job| async move {
            Ok(health_gate::evaluate(&job, &*health, OffsetDateTime::now_utc()).await)
        },
    )
    .await
}
