//! `artifact-release` Lambda: wiring only. The policy is `switchyard_core::artifact_release`.

use switchyard_adapters::aws::{sdk_config, ssm};
use switchyard_adapters::{lambda, telemetry, AwsExecutor};
use switchyard_core::artifact_release::{decide_event, ArtifactConfig, RulesSource};
use switchyard_core::config::ProcessEnv;
use switchyard_core::entry;
use switchyard_core::plan::FunctionName;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init_lambda();
    // Cold start: the routing rules are read (from the environment or SSM) and validated once;
    // a bad document fails here, naming the variable and the rule, before any event is taken.
    let sdk = sdk_config().await;
    let source = RulesSource::from_vars(&ProcessEnv)?;
    let document = match &source {
        RulesSource::Inline(document) => document.clone(),
        RulesSource::Parameter(name) => {
            ssm::parameter_value(&aws_sdk_ssm::Client::new(&sdk), name).await?
        }
    };
    let config = ArtifactConfig::from_document(&document, &source)?;
    let executor = AwsExecutor::new(sdk);
    lambda::serve(|event, _context| {
        let records = decide_event(&event, &config);
        let executor = &executor;
        async move {
            entry::run_records(FunctionName::ArtifactRelease, &event, records, executor).await
        }
    })
    .await
}
