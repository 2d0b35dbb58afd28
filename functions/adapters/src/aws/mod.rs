//! AWS SDK adapters. Every module declares `IAM_ACTIONS`: the IAM actions its calls need, which
//! the template's least-privilege test compares with each function's policy.

pub mod artifact_targets;
pub mod cloudformation;
pub mod codebuild;
pub mod codecommit;
pub mod codepipeline;
pub mod deliveries;
pub mod errors;
pub mod flink;
pub mod health;
pub mod kafka_state;
pub mod lambda_code;
pub mod pages;
pub mod pipeline_executions;
pub mod pipeline_jobs;
pub mod pipeline_state;
pub mod s3;
pub mod secrets;
pub mod ssm;

use aws_config::{BehaviorVersion, SdkConfig};

/// The SDK configuration every client is built from: the standard credential and region chain,
/// and `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_<SERVICE>`) when set, which is how tests and local
/// runs point at moto.
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}
