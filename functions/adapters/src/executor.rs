//! Runs plan actions through the AWS SDK. Clients are built on first use and reused.

use std::sync::OnceLock;
use std::time::Duration;

use aws_config::SdkConfig;
use switchyard_core::plan::Action;
use switchyard_core::ports::{ActError, ActionExecutor, ActionReport};

use crate::aws;

/// How often a Flink operation or a Lambda code update is looked at while the act step waits.
pub const POLL_EVERY: Duration = Duration::from_secs(5);

pub struct AwsExecutor {
    sdk: SdkConfig,
    codebuild: OnceLock<aws_sdk_codebuild::Client>,
    codepipeline: OnceLock<aws_sdk_codepipeline::Client>,
    flink: OnceLock<aws_sdk_kinesisanalyticsv2::Client>,
    lambda: OnceLock<aws_sdk_lambda::Client>,
    poll_every: Duration,
}

impl AwsExecutor {
    pub fn new(sdk: SdkConfig) -> Self {
        AwsExecutor {
            sdk,
            codebuild: OnceLock::new(),
            codepipeline: OnceLock::new(),
            flink: OnceLock::new(),
            lambda: OnceLock::new(),
            poll_every: POLL_EVERY,
        }
    }

    /// Uses this Flink client (tests: `aws-smithy-mocks`, since moto has no `UpdateApplication`).
    pub fn with_flink(self, client: aws_sdk_kinesisanalyticsv2::Client) -> Self {
        let _ = self.flink.set(client);
        self
    }

    /// Looks at operations in progress this often instead of [`POLL_EVERY`] (tests).
    pub fn with_poll_interval(mut self, every: Duration) -> Self {
        self.poll_every = every;
        self
    }

    /// Uses this CodePipeline client instead of one built from the SDK configuration (tests hand
    /// in `aws-smithy-mocks` clients for the APIs moto lacks).
    pub fn with_codepipeline(self, client: aws_sdk_codepipeline::Client) -> Self {
        let _ = self.codepipeline.set(client);
        self
    }

    fn codebuild(&self) -> &aws_sdk_codebuild::Client {
        self.codebuild
            .get_or_init(|| aws_sdk_codebuild::Client::new(&self.sdk))
    }

    fn codepipeline(&self) -> &aws_sdk_codepipeline::Client {
        self.codepipeline
            .get_or_init(|| aws_sdk_codepipeline::Client::new(&self.sdk))
    }
}

impl ActionExecutor for AwsExecutor {
    async fn execute(&self, action: &Action) -> Result<ActionReport, ActError> {
        match action {
            Action::StartBuild(input) => aws::codebuild::start_build(self.codebuild(), input).await,
            Action::StartPipelineExecution(input) => {
                aws::codepipeline::start_pipeline_execution(self.codepipeline(), input).await
            }
            Action::PutJobSuccessResult(input) => {
                aws::pipeline_jobs::put_job_success_result(self.codepipeline(), input).await
            }
            Action::PutJobFailureResult(input) => {
                aws::pipeline_jobs::put_job_failure_result(self.codepipeline(), input).await
            }
            Action::RetryStageExecution(input) => {
                aws::pipeline_state::retry_stage_execution(self.codepipeline(), input).await
            }
            Action::UpdateApplication(input) => {
                let client = self
                    .flink
                    .get_or_init(|| aws_sdk_kinesisanalyticsv2::Client::new(&self.sdk));
                aws::flink::update_application(client, input, self.poll_every).await
            }
            Action::UpdateFunctionCode(input) => {
                let client = self
                    .lambda
                    .get_or_init(|| aws_sdk_lambda::Client::new(&self.sdk));
                aws::lambda_code::update_function_code(client, input, self.poll_every).await
            }
        }
    }
}
