//! `stage-retry` Lambda: wiring only. The policy is `switchyard_core::stage_retry`.

use switchyard_adapters::aws::health::AwsHealth;
use switchyard_adapters::aws::pipeline_state::AwsPipelines;
use switchyard_adapters::aws::sdk_config;
use switchyard_adapters::{lambda, telemetry, AwsExecutor};
use switchyard_core::config::ProcessEnv;
use switchyard_core::entry::{self, HandlerError};
use switchyard_core::plan::FunctionName;
use switchyard_core::ports::ActError;
use switchyard_core::stage_retry::{self, RetryConfig};
use time::OffsetDateTime;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init_lambda();
    // Cold start: configuration is read once; a bad value fails here, naming the variable.
    let config = RetryConfig::from_vars(&ProcessEnv)?;
    let sdk = sdk_config().await;
    let health = AwsHealth::from_sdk(&sdk);
    let pipelines = AwsPipelines::new(aws_sdk_codepipeline::Client::new(&sdk));
    let executor = AwsExecutor::new(sdk);
    lambda::serve(|event, _context| {
        let (config, health, pipelines, executor) = (&config, &health, &pipelines, &executor);
        async move {
            let now = OffsetDateTime::now_utc();
            let decision = stage_retry::decide_event(&event, config, pipelines, health, now)
                .await
                .map_err(|e| HandlerError::Act(ActError::from(e)))?;
            entry::run(FunctionName::StageRetry, &event, decision, executor).await
        }
    })
    .await
}
