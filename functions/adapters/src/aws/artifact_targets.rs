//! [`ArtifactTargets`] on AWS: what artifact-release's targets run, read with the clients of
//! [`super::flink`], [`super::lambda_code`], [`super::pipeline_executions`] and [`super::s3`].

use std::sync::OnceLock;

use aws_config::SdkConfig;
use switchyard_core::artifact_release::ports::{ArtifactTargets, FlinkApplication, LambdaVersion};
use switchyard_core::ports::ObserveError;
use time::OffsetDateTime;

use super::s3::S3Error;
use super::{flink, lambda_code, pipeline_executions, s3};

/// Clients built on first use: a rule document with only pipelines never builds a Flink client.
pub struct AwsArtifactTargets {
    sdk: SdkConfig,
    flink: OnceLock<aws_sdk_kinesisanalyticsv2::Client>,
    lambda: OnceLock<aws_sdk_lambda::Client>,
    codepipeline: OnceLock<aws_sdk_codepipeline::Client>,
    s3: OnceLock<aws_sdk_s3::Client>,
}

impl AwsArtifactTargets {
    pub fn new(sdk: SdkConfig) -> Self {
        AwsArtifactTargets {
            sdk,
            flink: OnceLock::new(),
            lambda: OnceLock::new(),
            codepipeline: OnceLock::new(),
            s3: OnceLock::new(),
        }
    }

    /// Uses this Flink client instead of one built from the SDK configuration (tests hand in
    /// `aws-smithy-mocks` clients: moto implements no `UpdateApplication`).
    pub fn with_flink(self, client: aws_sdk_kinesisanalyticsv2::Client) -> Self {
        let _ = self.flink.set(client);
        self
    }

    fn s3(&self) -> &aws_sdk_s3::Client {
        self.s3.get_or_init(|| s3::client(&self.sdk))
    }
}

fn head_failed(e: S3Error) -> ObserveError {
    ObserveError {
        operation: "HeadObject",
        retryable: e.retryable,
        message: e.to_string(),
    }
}

impl ArtifactTargets for AwsArtifactTargets {
    async fn flink_application(
        &self,
        name: &str,
    ) -> Result<Option<FlinkApplication>, ObserveError> {
        let client = self
            .flink
            .get_or_init(|| aws_sdk_kinesisanalyticsv2::Client::new(&self.sdk));
        flink::describe(client, name).await
    }

    async fn lambda_function(
        &self,
        name: &str,
        qualifier: Option<&str>,
    ) -> Result<Option<LambdaVersion>, ObserveError> {
        let client = self
            .lambda
            .get_or_init(|| aws_sdk_lambda::Client::new(&self.sdk));
        lambda_code::get_function(client, name, qualifier).await
    }

    async fn pipeline_source_revision(
        &self,
        pipeline: &str,
        source_action: &str,
    ) -> Result<Option<String>, ObserveError> {
        let client = self
            .codepipeline
            .get_or_init(|| aws_sdk_codepipeline::Client::new(&self.sdk));
        pipeline_executions::latest_source_revision(client, pipeline, source_action).await
    }

    async fn object_last_modified(
        &self,
        bucket: &str,
        key: &str,
        version: &str,
    ) -> Result<Option<OffsetDateTime>, ObserveError> {
        s3::last_modified(self.s3(), bucket, key, version)
            .await
            .map_err(head_failed)
    }

    async fn current_version(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<Option<String>, ObserveError> {
        s3::current_version(self.s3(), bucket, key)
            .await
            .map_err(head_failed)
    }
}
