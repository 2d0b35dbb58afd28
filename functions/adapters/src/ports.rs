//! The ports of `switchyard-core` on AWS: what a function observes ([`AwsPorts`]) and what its
//! configuration points at ([`AwsResolve`]). Clients are built on first use and reused, so a
//! function pays only for the services it calls.

use std::sync::OnceLock;

use aws_config::SdkConfig;
use switchyard_core::config::ConfigError;
use switchyard_core::function::{Ports, Resolve};
use switchyard_core::secret::Secret;
use time::OffsetDateTime;

use crate::aws::codecommit::CodeCommitBranches;
use crate::aws::health::AwsHealth;
use crate::aws::pipeline_state::AwsPipelines;
use crate::aws::{secrets, ssm};

pub struct AwsPorts {
    sdk: SdkConfig,
    default_branch: OnceLock<CodeCommitBranches>,
    health: OnceLock<AwsHealth>,
    pipelines: OnceLock<AwsPipelines>,
}

impl AwsPorts {
    pub fn new(sdk: SdkConfig) -> Self {
        AwsPorts {
            sdk,
            default_branch: OnceLock::new(),
            health: OnceLock::new(),
            pipelines: OnceLock::new(),
        }
    }
}

impl Ports for AwsPorts {
    type DefaultBranch = CodeCommitBranches;
    type Health = AwsHealth;
    type Pipelines = AwsPipelines;

    fn default_branch(&self) -> &CodeCommitBranches {
        self.default_branch
            .get_or_init(|| CodeCommitBranches::new(self.sdk.clone()))
    }

    /// Pinned to the Health API's active region (us-east-1), failing over to us-east-2.
    fn health(&self) -> &AwsHealth {
        self.health.get_or_init(|| AwsHealth::from_sdk(&self.sdk))
    }

    fn pipelines(&self) -> &AwsPipelines {
        self.pipelines
            .get_or_init(|| AwsPipelines::new(aws_sdk_codepipeline::Client::new(&self.sdk)))
    }

    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// Reads secrets from Secrets Manager and parameters from SSM Parameter Store.
pub struct AwsResolve<'a> {
    pub sdk: &'a SdkConfig,
}

impl Resolve for AwsResolve<'_> {
    async fn secret(&self, var: &str, id: &str, _inline_var: &str) -> Result<Secret, ConfigError> {
        let client = aws_sdk_secretsmanager::Client::new(self.sdk);
        secrets::secret_value(&client, id)
            .await
            .map_err(|e| ConfigError::new(var, e.to_string()))
    }

    async fn parameter(
        &self,
        var: &str,
        name: &str,
        _inline_var: &str,
    ) -> Result<String, ConfigError> {
        let client = aws_sdk_ssm::Client::new(self.sdk);
        ssm::parameter_value(&client, name)
            .await
            .map_err(|e| ConfigError::new(var, e.to_string()))
    }
}
