//! `connect-sync` Lambda: wiring only. The handler is this crate's library; the policy is
//! `switchyard_core::connect_sync`.
//!
//! Triggers: a CodePipeline invoke action (through the shared job runner: exactly one result per
//! job) and an S3 upload of a configured desired-state bundle (`CONNECT_BUNDLES`).

use std::sync::Arc;

use switchyard_adapters::aws::sdk_config;
use switchyard_adapters::connect::ConnectSyncPorts;
use switchyard_adapters::{lambda, telemetry, AwsExecutor};
use switchyard_core::config::ProcessEnv;
use switchyard_core::connect_sync::config::ConnectSyncConfig;
use switchyard_core::deadline::Deadline;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init_lambda();
    // Cold start: configuration and every cluster's credentials are read once; a bad value fails
    // here, naming the variable, before any event is taken.
    let config = Arc::new(ConnectSyncConfig::from_vars(&ProcessEnv)?);
    let sdk = sdk_config().await;
    let ports = Arc::new(ConnectSyncPorts::connect(&config, &sdk).await?);
    let executor = AwsExecutor::new(sdk);
    lambda::serve(|event, invocation| {
        let (config, ports, executor) = (&config, &ports, &executor);
        async move {
            let deadline = Deadline::from_epoch_millis(invocation.deadline, config.deadline_margin);
            connect_sync::handle(config, ports, executor, &event, deadline).await
        }
    })
    .await
}
