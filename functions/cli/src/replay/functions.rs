//! Per-function context for replay: configuration (from the layered environment), secrets, and
//! observers, built the first time an event needs them.

use aws_config::SdkConfig;
use serde_json::Value;
use switchyard_adapters::aws::{sdk_config, secrets};
use switchyard_adapters::AwsExecutor;
use switchyard_core::branch_pipelines::{self, BranchConfig};
use switchyard_core::plan::{Decision, FunctionName, RejectKind};
use switchyard_core::secret::Secret;
use switchyard_core::webhook::SecretSource;

use super::{Layered, Mode, World};

pub struct Functions {
    vars: Layered,
    #[allow(dead_code)] // read by the observing functions
    world: World,
    mode: Mode,
    sdk: Option<SdkConfig>,
    executor: Option<AwsExecutor>,
    webhook_secret: Option<Result<Option<Secret>, String>>,
    branch: Option<Result<BranchConfig, String>>,
}

impl Functions {
    pub async fn new(vars: Layered, world: World, mode: Mode) -> Self {
        let sdk = match mode {
            Mode::Execute => Some(sdk_config().await),
            Mode::DryRun => None,
        };
        Functions {
            vars,
            world,
            mode,
            executor: sdk.clone().map(AwsExecutor::new),
            sdk,
            webhook_secret: None,
            branch: None,
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

    /// Parse → observe → decide for one event. `Err` is a configuration problem, worded for the
    /// user.
    pub async fn decide(
        &mut self,
        function: FunctionName,
        raw: &Value,
    ) -> Result<Decision, String> {
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
            _ => Ok(Decision::reject(
                RejectKind::Unsupported,
                "unsupported event",
            )),
        }
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
