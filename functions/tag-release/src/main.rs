//! `tag-release` Lambda: wiring only. The policy is `switchyard_core::tag_release`.

use switchyard_adapters::aws::codecommit::CodeCommitBranches;
use switchyard_adapters::aws::{sdk_config, secrets};
use switchyard_adapters::{lambda, telemetry, AwsExecutor};
use switchyard_core::config::ProcessEnv;
use switchyard_core::entry::{self, HandlerError};
use switchyard_core::plan::FunctionName;
use switchyard_core::tag_release::{decide_event, TagReleaseConfig};
use switchyard_core::webhook::SecretSource;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init_lambda();
    // Cold start: configuration and the webhook secret are read once; a bad value fails here,
    // naming the variable, before any event is taken.
    let config = TagReleaseConfig::from_vars(&ProcessEnv)?;
    let sdk = sdk_config().await;
    let secret = secrets::webhook_secret(&SecretSource::from_vars(&ProcessEnv)?, || {
        aws_sdk_secretsmanager::Client::new(&sdk)
    })
    .await?;
    let branches = CodeCommitBranches::new(sdk.clone());
    let executor = AwsExecutor::new(sdk);
    lambda::serve(|event, _context| {
        let (config, secret, branches, executor) = (&config, &secret, &branches, &executor);
        async move {
            let decision = decide_event(&event, config, secret.as_ref(), branches)
                .await
                .inspect_err(|e| {
                    tracing::error!(function = "tag-release", event_id = entry::event_id(&event).as_deref().unwrap_or(""), error = %e, retryable = e.retryable, "observe failed");
                })
                .map_err(|e| HandlerError::Act(e.into()))?;
            entry::run(FunctionName::TagRelease, &event, decision, executor).await
        }
    })
    .await
}
