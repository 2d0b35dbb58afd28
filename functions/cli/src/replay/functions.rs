//! Per-function context for replay: configuration (from the layered environment), secrets, and
//! observers, built the first time an event needs them.

use aws_config::SdkConfig;
use serde_json::Value;
use switchyard_adapters::aws::codecommit::CodeCommitBranches;
use switchyard_adapters::aws::health::AwsHealth;
use switchyard_adapters::aws::pipeline_state::AwsPipelines;
use switchyard_adapters::aws::{sdk_config, secrets, ssm};
use switchyard_adapters::AwsExecutor;
use switchyard_core::artifact_release::{self, ArtifactConfig, RulesSource};
use switchyard_core::branch_pipelines::{self, BranchConfig};
use switchyard_core::connect_sync::config::ConnectSyncConfig;
use switchyard_core::connect_sync::triggers::dry_run as connect_dry_run;
use switchyard_core::health::world::WorldHealth;
use switchyard_core::health_gate;
use switchyard_core::plan::{Decision, FunctionName, RecordDecision, RejectKind};
use switchyard_core::secret::Secret;
use switchyard_core::stage_retry::world::WorldPipelines;
use switchyard_core::stage_retry::{self, RetryConfig};
use switchyard_core::tag_release::{self, TagReleaseConfig, WorldDefaultBranch};
use switchyard_core::timestamps;
use switchyard_core::webhook::SecretSource;
use time::OffsetDateTime;

use super::{Layered, Mode, World};

/// Why no decision could be made for an event.
pub enum Failure {
    /// The configuration (or world file) is wrong; worded for the user, naming the variable.
    Config(String),
    /// Reading the world failed (an AWS call, in execute mode).
    Observe(String),
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::Config(message)
    }
}

pub struct Functions {
    vars: Layered,
    world: World,
    mode: Mode,
    sdk: Option<SdkConfig>,
    executor: Option<AwsExecutor>,
    webhook_secret: Option<Result<Option<Secret>, String>>,
    branch: Option<Result<BranchConfig, String>>,
    artifact: Option<Result<ArtifactConfig, String>>,
    /// Read up front: routing needs it to know which S3 objects are desired-state bundles.
    connect: Result<ConnectSyncConfig, String>,
    tag: Option<Result<TagReleaseConfig, String>>,
    retry: Option<Result<RetryConfig, String>>,
}

impl Functions {
    pub async fn new(vars: Layered, world: World, mode: Mode) -> Self {
        let sdk = match mode {
            Mode::Execute => Some(sdk_config().await),
            Mode::DryRun => None,
        };
        Functions {
            connect: ConnectSyncConfig::from_vars(&vars).map_err(|e| e.to_string()),
            vars,
            world,
            mode,
            executor: sdk.clone().map(AwsExecutor::new),
            sdk,
            webhook_secret: None,
            branch: None,
            artifact: None,
            tag: None,
            retry: None,
        }
    }

    /// Whether this S3 object is one of connect-sync's desired-state bundles (routing).
    pub fn is_connect_bundle(&self, bucket: &str, key: &str) -> bool {
        self.connect
            .as_ref()
            .is_ok_and(|c| c.bundle_for(bucket, key).is_some())
    }

    /// The clock for health-gate and stage-retry: the world's `now` in a dry run (so samples
    /// decide the same way every day), the real clock otherwise.
    fn now(&self) -> Result<OffsetDateTime, String> {
        match (self.mode, self.world.parts.get("now")) {
            (Mode::DryRun, Some(value)) => {
                let text = value
                    .as_str()
                    .ok_or("world: now: expected an RFC 3339 timestamp string")?;
                timestamps::parse("now", text).map_err(|e| format!("world: {e}"))
            }
            _ => Ok(OffsetDateTime::now_utc()),
        }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn executor(&self) -> &AwsExecutor {
        self.executor
            .as_ref()
            .expect("an executor exists in execute mode")
    }

    /// Parse → observe → decide for one event.
    pub async fn decide(
        &mut self,
        function: FunctionName,
        raw: &Value,
    ) -> Result<Decision, Failure> {
        match function {
            FunctionName::BranchPipelines => {
                let secret = self.webhook_secret().await?;
                let config = self
                    .branch
                    .get_or_insert_with(|| {
                        BranchConfig::from_vars(&self.vars).map_err(|e| e.to_string())
                    })
                    .as_ref()
                    .map_err(Clone::clone)?;
                Ok(branch_pipelines::decide_event(raw, config, secret.as_ref()))
            }
            FunctionName::ConnectSync => {
                let config = self.connect.as_ref().map_err(Clone::clone)?;
                Ok(connect_dry_run::decide_event_dry_run(raw, config).await)
            }
            FunctionName::TagRelease => {
                let secret = self.webhook_secret().await?;
                let config = self
                    .tag
                    .get_or_insert_with(|| {
                        TagReleaseConfig::from_vars(&self.vars).map_err(|e| e.to_string())
                    })
                    .as_ref()
                    .map_err(Clone::clone)?;
                let observed = match (&self.mode, &self.sdk) {
                    (Mode::Execute, Some(sdk)) => {
                        let branches = CodeCommitBranches::new(sdk.clone());
                        tag_release::decide_event(raw, config, secret.as_ref(), &branches).await
                    }
                    _ => {
                        let world = WorldDefaultBranch::from_world(
                            self.world.parts.get(FunctionName::TagRelease.as_str()),
                        )?;
                        tag_release::decide_event(raw, config, secret.as_ref(), &world).await
                    }
                };
                observed.map_err(|e| Failure::Observe(e.to_string()))
            }
            FunctionName::HealthGate => {
                let now = self.now()?;
                Ok(match (&self.mode, &self.sdk) {
                    (Mode::Execute, Some(sdk)) => {
                        health_gate::decide_event(raw, &AwsHealth::from_sdk(sdk), now).await
                    }
                    _ => {
                        let health = WorldHealth::from_world(self.world.parts.get("health"))?;
                        health_gate::decide_event(raw, &health, now).await
                    }
                })
            }
            FunctionName::StageRetry => {
                let now = self.now()?;
                let config = self
                    .retry
                    .get_or_insert_with(|| {
                        RetryConfig::from_vars(&self.vars).map_err(|e| e.to_string())
                    })
                    .as_ref()
                    .map_err(Clone::clone)?;
                let decided = match (&self.mode, &self.sdk) {
                    (Mode::Execute, Some(sdk)) => {
                        let pipelines = AwsPipelines::new(aws_sdk_codepipeline::Client::new(sdk));
                        let health = AwsHealth::from_sdk(sdk);
                        stage_retry::decide_event(raw, config, &pipelines, &health, now).await
                    }
                    _ => {
                        let pipelines =
                            WorldPipelines::from_world(self.world.parts.get("pipelines"))?;
                        let health = WorldHealth::from_world(self.world.parts.get("health"))?;
                        stage_retry::decide_event(raw, config, &pipelines, &health, now).await
                    }
                };
                decided.map_err(|e| Failure::Observe(e.to_string()))
            }
            _ => Ok(Decision::reject(
                RejectKind::Unsupported,
                "unsupported event",
            )),
        }
    }

    /// Like [`Functions::decide`], for functions whose events carry several independent records
    /// (artifact-release): one decision per record. Other functions give one whole-event
    /// decision.
    pub async fn decide_records(
        &mut self,
        function: FunctionName,
        raw: &Value,
    ) -> Result<Vec<RecordDecision>, Failure> {
        match function {
            FunctionName::ArtifactRelease => {
                let config = self.artifact_config().await?;
                Ok(artifact_release::decide_event(raw, config))
            }
            _ => Ok(vec![RecordDecision::whole(
                self.decide(function, raw).await?,
            )]),
        }
    }

    /// The artifact-release rules: inline from the environment, or from SSM when executing (a
    /// dry run reads nothing from AWS).
    async fn artifact_config(&mut self) -> Result<&ArtifactConfig, String> {
        if self.artifact.is_none() {
            let resolved = match RulesSource::from_vars(&self.vars) {
                Err(e) => Err(e.to_string()),
                Ok(RulesSource::Parameter(name)) if self.mode == Mode::DryRun => Err(format!(
                    "ARTIFACT_RULES_PARAMETER names the SSM parameter {name:?}, and a dry run reads nothing from AWS: set ARTIFACT_RULES for local replay, or use --execute"
                )),
                Ok(source) => {
                    let document = match &source {
                        RulesSource::Inline(document) => Ok(document.clone()),
                        RulesSource::Parameter(name) => {
                            let sdk = self.sdk.as_ref().expect("execute mode has an SDK config");
                            ssm::parameter_value(&aws_sdk_ssm::Client::new(sdk), name)
                                .await
                                .map_err(|e| e.to_string())
                        }
                    };
                    document.and_then(|d| {
                        ArtifactConfig::from_document(&d, &source).map_err(|e| e.to_string())
                    })
                }
            };
            self.artifact = Some(resolved);
        }
        self.artifact
            .as_ref()
            .expect("just set")
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The GitHub webhook secret: inline from the environment, or from Secrets Manager when
    /// executing (a dry run reads nothing from AWS).
    async fn webhook_secret(&mut self) -> Result<Option<Secret>, String> {
        if self.webhook_secret.is_none() {
            let resolved = match SecretSource::from_vars(&self.vars) {
                Err(e) => Err(e.to_string()),
                Ok(SecretSource::SecretsManager(_)) if self.mode == Mode::DryRun => Err(
                    "GITHUB_WEBHOOK_SECRET_ID names a Secrets Manager secret, and a dry run reads nothing from AWS: set GITHUB_WEBHOOK_SECRET for local replay, or use --execute".into(),
                ),
                Ok(source) => {
                    let sdk = self.sdk.as_ref();
                    secrets::webhook_secret(&source, || {
                        aws_sdk_secretsmanager::Client::new(sdk.expect("execute mode has an SDK config"))
                    })
                    .await
                    .map_err(|e| e.to_string())
                }
            };
            self.webhook_secret = Some(resolved);
        }
        self.webhook_secret.clone().expect("just set")
    }
}
