//! `branch-pipelines` Lambda: wiring only. The policy is `switchyard_core::branch_pipelines`.

use switchyard_adapters::aws::{sdk_config, secrets};
use switchyard_adapters::{lambda, telemetry, AwsExecutor};
use switchyard_core::branch_pipelines::{decide_event, BranchConfig};
use switchyard_core::config::ProcessEnv;
use switchyard_core::entry;
use switchyard_core::plan::FunctionName;
use switchyard_core::webhook::SecretSource;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init_lambda();
    // Cold start: configuration and the webhook secret are read once; a bad value fails here,
    // naming the variable, before any event is taken.
    let config = BranchConfig::from_vars(&ProcessEnv)?;
    let sdk = sdk_config().await;
    let secret = secrets::webhook_secret(&SecretSource::from_vars(&ProcessEnv)?, || {
        aws_sdk_secretsmanager::Client::new(&sdk)
    })
    .await?;
    let executor = AwsExecutor::new(sdk);
    lambda::serve(|event, _context| {
        let decision = decide_event(&event, &config, secret.as_ref());
        let executor = &executor;
        async move { entry::run(FunctionName::BranchPipelines, &event, decision, executor).await }
    })
    .await
}
