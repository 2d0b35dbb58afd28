//! Runs plan actions through the AWS SDK. Clients are built on first use and reused.

use std::sync::OnceLock;

use aws_config::SdkConfig;
use switchyard_core::plan::Action;
use switchyard_core::ports::{ActError, ActionExecutor, ActionReport};

use crate::aws;

pub struct AwsExecutor {
    sdk: SdkConfig,
    codebuild: OnceLock<aws_sdk_codebuild::Client>,
    codepipeline: OnceLock<aws_sdk_codepipeline::Client>,
}

impl AwsExecutor {
    pub fn new(sdk: SdkConfig) -> Self {
        AwsExecutor {
            sdk,
            codebuild: OnceLock::new(),
            codepipeline: OnceLock::new(),
        }
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
        }
    }
}
