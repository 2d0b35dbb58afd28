//! `connect-sync` Lambda: wiring only. The policy is `switchyard_core::connect_sync`; the sync
//! itself (load → read → plan → validate → apply → wait) is `connect_sync::run`.
//!
//! Triggers: a CodePipeline invoke action (`connect_sync::job`, through the shared job runner:
//! exactly one result per job) and an S3 upload of a configured desired-state bundle
//! (`connect_sync::bundles`, `CONNECT_BUNDLES`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use connect_sync::{bundles, job};
use switchyard_adapters::aws::{s3, sdk_config};
use switchyard_adapters::connect::{ConnectCredentials, HttpConnect};
use switchyard_adapters::job_runner::{run_job, Deadline, DEFAULT_MARGIN};
use switchyard_adapters::{lambda, telemetry, AwsExecutor};
use switchyard_core::config::ProcessEnv;
use switchyard_core::connect_sync::config::ConnectSyncConfig;
use switchyard_core::pipeline_job::is_job_event;
use switchyard_core::plan::FunctionName;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init_lambda();
    // Cold start: configuration and every cluster's credentials are read once; a bad value fails
    // here, naming the variable, before any event is taken.
    let config = ConnectSyncConfig::from_vars(&ProcessEnv)?;
    let sdk = sdk_config().await;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let mut clusters = BTreeMap::new();
    for (name, cluster) in &config.clusters {
        let credentials = match &cluster.credentials_secret_id {
            Some(id) => ConnectCredentials::from_secrets_manager(&secrets, id).await?,
            None => ConnectCredentials::default(),
        };
        let api = HttpConnect::new(&cluster.url, credentials, config.request_timeout)?;
        clusters.insert(name.clone(), api);
    }
    let s3 = s3::client(&sdk);
    let executor = AwsExecutor::new(sdk.clone());
    let jobs = Arc::new(job::JobContext {
        config,
        clusters,
        sdk,
    });
    lambda::serve(|event, invocation| {
        let jobs = jobs.clone();
        let (s3, executor) = (&s3, &executor);
        async move {
            if is_job_event(&event) {
                let deadline = Deadline::from_context(&invocation, DEFAULT_MARGIN);
                let until = job::decide_by(UNIX_EPOCH + Duration::from_millis(invocation.deadline));
                return run_job(FunctionName::ConnectSync, &event, deadline, executor, |j| {
                    job::handle(jobs, j, until)
                })
                .await;
            }
            let context = bundles::Context {
                config: &jobs.config,
                clusters: &jobs.clusters,
                s3,
            };
            bundles::handle(&context, &event, &invocation).await
        }
    })
    .await
}
