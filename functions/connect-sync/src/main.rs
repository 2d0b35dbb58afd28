//! `connect-sync` Lambda: wiring only. The policy is `switchyard_core::connect_sync`; the sync
//! itself (load → read → plan → validate → apply → wait) is `connect_sync::run`.
//!
//! Trigger handled here: an S3 upload of a configured desired-state bundle (`CONNECT_BUNDLES`).
//! CodePipeline jobs are answered through the shared job protocol once it is in the workspace;
//! until then a job event is rejected with that reason.

mod bundles;

use std::collections::BTreeMap;

use switchyard_adapters::aws::{s3, sdk_config};
use switchyard_adapters::connect::{ConnectCredentials, HttpConnect};
use switchyard_adapters::{lambda, telemetry};
use switchyard_core::config::ProcessEnv;
use switchyard_core::connect_sync::config::ConnectSyncConfig;

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
    let context = bundles::Context {
        config: &config,
        clusters: &clusters,
        s3: &s3,
    };
    lambda::serve(|event, invocation| {
        let context = &context;
        async move { bundles::handle(context, &event, &invocation).await }
    })
    .await
}
