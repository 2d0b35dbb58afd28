//! The ports of `switchyard-core` on AWS: what a function observes ([`AwsPorts`]) and what its
//! configuration points at ([`AwsResolve`]). Clients are built on first use and reused, so a
//! function pays only for the services it calls.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use aws_config::SdkConfig;
use switchyard_core::config::ConfigError;
use switchyard_core::function::{Function, Ports, Resolve};
use switchyard_core::registry::PortsFor;
use switchyard_core::secret::Secret;
use time::OffsetDateTime;

use crate::aws::artifact_targets::AwsArtifactTargets;
use crate::aws::cloudformation::AwsStacks;
use crate::aws::codecommit::CodeCommitBranches;
use crate::aws::deliveries::DynamoDeliveries;
use crate::aws::health::AwsHealth;
use crate::aws::pipeline_state::AwsPipelines;
use crate::aws::{secrets, ssm};
use crate::connect::KafkaSyncPorts;
use crate::git_hosts::GitHostClients;

pub struct AwsPorts {
    sdk: SdkConfig,
    default_branch: OnceLock<CodeCommitBranches>,
    deliveries: OnceLock<DynamoDeliveries>,
    health: OnceLock<AwsHealth>,
    pipelines: OnceLock<AwsPipelines>,
    connect: KafkaSyncPorts,
    git_hosts: GitHostClients,
    stacks: OnceLock<AwsStacks>,
    artifacts: OnceLock<AwsArtifactTargets>,
}

impl AwsPorts {
    /// The ports of `function`: its Kafka Connect clients, if it has clusters, are built now
    /// (credentials read from Secrets Manager); every other client on first use.
    pub async fn for_function<F: Function>(
        sdk: &SdkConfig,
        function: &F,
    ) -> Result<Self, ConfigError> {
        let connect = match function.connect_config() {
            Some(config) => KafkaSyncPorts::connect(config, sdk)
                .await
                .map_err(|e| ConfigError::new("KAFKA_CLUSTERS", e.to_string()))?,
            None => KafkaSyncPorts::with_clusters(BTreeMap::new(), sdk),
        };
        let git_hosts = GitHostClients::new(sdk, function.git_host_access())
            .map_err(|e| ConfigError::new("GITHUB_API_URL", e.to_string()))?;
        Ok(AwsPorts {
            sdk: sdk.clone(),
            default_branch: OnceLock::new(),
            deliveries: OnceLock::new(),
            health: OnceLock::new(),
            pipelines: OnceLock::new(),
            connect,
            git_hosts,
            stacks: OnceLock::new(),
            artifacts: OnceLock::new(),
        })
    }
}

/// Each function's own [`AwsPorts`], from one SDK configuration.
pub struct AwsPortsFor<'a> {
    pub sdk: &'a SdkConfig,
}

impl PortsFor for AwsPortsFor<'_> {
    type Ports = AwsPorts;

    async fn ports_for<F: Function>(&self, function: &F) -> Result<Arc<AwsPorts>, ConfigError> {
        AwsPorts::for_function(self.sdk, function)
            .await
            .map(Arc::new)
    }
}

impl Ports for AwsPorts {
    type DefaultBranch = CodeCommitBranches;
    type Deliveries = DynamoDeliveries;
    type Health = AwsHealth;
    type Pipelines = AwsPipelines;
    type Connect = KafkaSyncPorts;
    type GitHosts = GitHostClients;
    type Stacks = AwsStacks;
    type Artifacts = AwsArtifactTargets;

    fn default_branch(&self) -> &CodeCommitBranches {
        self.default_branch
            .get_or_init(|| CodeCommitBranches::new(self.sdk.clone()))
    }

    fn deliveries(&self) -> &DynamoDeliveries {
        self.deliveries
            .get_or_init(|| DynamoDeliveries::from_sdk(&self.sdk))
    }

    /// Pinned to the Health API's active region (us-east-1), failing over to us-east-2.
    fn health(&self) -> &AwsHealth {
        self.health.get_or_init(|| AwsHealth::from_sdk(&self.sdk))
    }

    fn pipelines(&self) -> &AwsPipelines {
        self.pipelines
            .get_or_init(|| AwsPipelines::new(aws_sdk_codepipeline::Client::new(&self.sdk)))
    }

    fn connect(&self) -> &KafkaSyncPorts {
        &self.connect
    }

    fn git_hosts(&self) -> &GitHostClients {
        &self.git_hosts
    }

    fn stacks(&self) -> &AwsStacks {
        self.stacks
            .get_or_init(|| AwsStacks::new(aws_sdk_cloudformation::Client::new(&self.sdk)))
    }

    fn artifacts(&self) -> &AwsArtifactTargets {
        self.artifacts
            .get_or_init(|| AwsArtifactTargets::new(self.sdk.clone()))
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
