//! `health-gate` Lambda: wiring only. The policy is `switchyard_core::health_gate`; the job
//! protocol guarantees (one result, always) are `switchyard_adapters::job_runner`.

use std::sync::Arc;

use switchyard_adapters::aws::health::AwsHealth;
use switchyard_adapters::aws::sdk_config;
use switchyard_adapters::job_runner::{self, run_job, Deadline};
use switchyard_adapters::{lambda, telemetry, AwsExecutor};
use switchyard_core::config::ProcessEnv;
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
        let health = health.clone();
        let executor = &executor;
        async move {
            let deadline = Deadline::from_context(&context, margin);
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
    })
    .await
}
