//! The functions replay runs, each configured (from the layered environment) the first time an
//! event needs it, and bound to the ports of the mode: the `--world` in a dry run, AWS with
//! `--execute`. Which functions exist, and how each parses, observes and decides, is the core
//! registry's (`switchyard_core::function`); nothing here is specific to one function.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use serde_json::Value;
use switchyard_adapters::aws::deliveries::DynamoDeliveries;
use switchyard_adapters::aws::sdk_config;
use switchyard_adapters::{AwsExecutor, AwsPortsFor, AwsResolve};
use switchyard_core::deadline::{self, Deadline};
use switchyard_core::deliveries::{self, DeliveryClaim};
use switchyard_core::plan::{FunctionName, RecordDecision};
use switchyard_core::registry::{configure_bound, Bound};
use switchyard_core::world::{DryRunPorts, DryRunResolve};

use super::{Layered, Mode};

/// Why no decision could be made for an event.
pub enum Failure {
    /// The configuration is wrong; worded for the user, naming the variable.
    Config(String),
    /// Reading the world failed (an AWS call, in execute mode).
    Observe(String),
}

/// Where the functions' ports are.
enum World {
    DryRun(Arc<DryRunPorts>),
    /// The `--world` file is wrong: every event's decision says so (worded for the user).
    Invalid(String),
    Aws(Box<Aws>),
}

struct Aws {
    sdk: SdkConfig,
    executor: AwsExecutor,
    /// Where the webhook functions remember deliveries, to forget one whose actions failed.
    deliveries: DynamoDeliveries,
}

pub struct Functions {
    vars: Layered,
    world: World,
    /// `JOB_DEADLINE_MARGIN_SECONDS`, as the Lambda reads it.
    margin: Duration,
    configured: HashMap<FunctionName, Result<Box<dyn Bound>, String>>,
}

/// How long a replayed invocation may take: the longest a Lambda invocation can run.
const INVOCATION: Duration = Duration::from_secs(900);

impl Functions {
    /// `world` is the parsed `--world` document, used in a dry run.
    pub async fn new(vars: Layered, world: &Value, mode: Mode) -> Result<Self, String> {
        let world = match mode {
            Mode::DryRun => match DryRunPorts::from_world(world) {
                Ok(ports) => World::DryRun(Arc::new(ports)),
                Err(e) => World::Invalid(e),
            },
            Mode::Execute => {
                let sdk = sdk_config().await;
                World::Aws(Box::new(Aws {
                    executor: AwsExecutor::new(sdk.clone()),
                    deliveries: DynamoDeliveries::from_sdk(&sdk),
                    sdk,
                }))
            }
        };
        let margin = deadline::margin_from_vars(&vars).map_err(|e| e.to_string())?;
        let mut functions = Functions {
            vars,
            world,
            margin,
            configured: HashMap::new(),
        };
        // Routing needs it up front: it knows which S3 objects are desired-state bundles.
        functions.function(FunctionName::KafkaSync).await.ok();
        Ok(functions)
    }

    /// The executor, in execute mode.
    pub fn executor(&self) -> Option<&AwsExecutor> {
        match &self.world {
            World::DryRun(_) | World::Invalid(_) => None,
            World::Aws(aws) => Some(&aws.executor),
        }
    }

    /// Forgets a webhook delivery whose actions failed, as the Lambda does. Only execute mode
    /// acts, so only its store has anything to forget.
    pub async fn forget_delivery(&self, claim: &DeliveryClaim) {
        if let World::Aws(aws) = &self.world {
            deliveries::forget_after_failure(&aws.deliveries, claim).await
        }
    }

    /// Whether a configured function takes this S3 object away from artifact-release.
    pub fn s3_claim(&self, bucket: &str, key: &str) -> Option<FunctionName> {
        self.configured
            .values()
            .flatten()
            .find(|f| f.claims_s3_object(bucket, key))
            .map(|f| f.name())
    }

    async fn function(&mut self, name: FunctionName) -> Result<&dyn Bound, String> {
        if !self.configured.contains_key(&name) {
            let bound = match &self.world {
                World::DryRun(ports) => {
                    configure_bound(name, &self.vars, &DryRunResolve, ports).await
                }
                World::Invalid(e) => return Err(e.clone()),
                World::Aws(aws) => {
                    let resolve = AwsResolve { sdk: &aws.sdk };
                    let ports = AwsPortsFor { sdk: &aws.sdk };
                    configure_bound(name, &self.vars, &resolve, &ports).await
                }
            };
            self.configured
                .insert(name, bound.map_err(|e| e.to_string()));
        }
        match &self.configured[&name] {
            Ok(bound) => Ok(bound.as_ref()),
            Err(e) => Err(e.clone()),
        }
    }

    /// Parse → observe → decide for one event: one decision per record.
    pub async fn decide(
        &mut self,
        name: FunctionName,
        raw: &Value,
    ) -> Result<Vec<RecordDecision>, Failure> {
        let deadline = Deadline::new(SystemTime::now() + INVOCATION, self.margin);
        let function = self.function(name).await.map_err(Failure::Config)?;
        function
            .decide(raw, deadline)
            .await
            .map_err(|e| Failure::Observe(e.to_string()))
    }
}
