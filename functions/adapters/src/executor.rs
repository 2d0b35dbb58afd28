//! Runs plan actions through the AWS SDK. Clients are built on first use and reused.

use std::sync::OnceLock;

use aws_config::SdkConfig;
use switchyard_core::plan::Action;
use switchyard_core::ports::{ActError, ActionExecutor, ActionReport};

use crate::aws;

pub struct AwsExecutor {
    sdk: SdkConfig,
    codebuild: OnceLock<aws_sdk_codebuild::Client>,
}

impl AwsExecutor {
    pub fn new(sdk: SdkConfig) -> Self {
        AwsExecutor {
            sdk,
            codebuild: OnceLock::new(),
        }
    }

    fn codebuild(&self) -> &aws_sdk_codebuild::Client {
        self.codebuild
            .get_or_init(|| aws_sdk_codebuild::Client::new(&self.sdk))
    }
}

impl ActionExecutor for AwsExecutor {
    async fn execute(&self, action: &Action) -> Result<ActionReport, ActError> {
        match action {
            Action::StartBuild(input) => aws::codebuild::start_build(self.codebuild(), input).await,
            other => Err(ActError {
                operation: other.operation(),
                message: "no adapter executes this operation yet".into(),
                retryable: false,
            }),
        }
    }
}
