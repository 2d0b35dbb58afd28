//! `kafka-sync`: GitOps for Kafka topics and Kafka Connect. Topic and connector configs live in
//! Git; this plans and applies them through the Kafka admin protocol and the Connect REST API, in
//! one plan. The folders follow the sync's steps:
//!
//! 1. [`desired`] state: connector files, topic files (`topics/`) + `environments/<env>.yaml` →
//!    configs rendered as Connect stores them (`load`, `template`, `values`);
//! 2. [`observed`] state: the cluster, read in two requests and parsed (`read`, `cluster`);
//! 3. the plan, [`changes`]: the pure diff (create / update per key / delete / state / unchanged),
//!    secrets redacted, deletions limited to the managed scope, laid out as text (`diff`,
//!    `redact`, `scope`, `display`);
//! 4. [`apply`] and wait: optional server-side validation, writes, then waiting until RUNNING (or
//!    FAILED, with its trace) (`validate`, `writes`, `wait`);
//! 5. [`triggers`]: a CodePipeline invoke action and an S3 bundle upload run the same judged sync
//!    through their [`triggers::ConnectPorts`] (`pipeline_job`, `bundle_upload`, `judged_sync`,
//!    `verdict`); `dry_run` is that operation with writes recorded, not performed.
//!
//! [`topics`] holds the same steps for Kafka topics (desired, observed, diff, apply, and the
//! admin port), whose plan is part of the one [`ChangePlan`].
//!
//! Beside the steps: [`run`] chains 1–4 (shared by the CLI and the triggers), [`ports`] are the
//! Connect API, the desired state's reader and the clock, [`retry`] is how a Connect or admin
//! request is retried (reads and writes alike), [`brokers`] a cluster's Kafka brokers, and
//! [`config`] the Lambda's environment variables.

pub mod apply;
pub mod brokers;
pub mod changes;
pub mod config;
pub mod desired;
pub mod observed;
pub mod ports;
pub mod retry;
pub mod run;
pub mod topics;
pub mod triggers;

pub use changes::{
    ChangeKind, ChangePlan, ConnectorChange, DiffOptions, ManagedScope, Redactor, Summary,
};
pub use desired::{ConnectorConfig, DesiredConnector, DesiredState, SourceFile, TargetState};
pub use observed::{ConnectVersion, ObservedCluster, RunState};

use std::sync::Arc;

use serde_json::Value;

use crate::config::{ConfigError, Vars};
use crate::deadline::Deadline;
use crate::entry::HandlerError;
use crate::function::{self, Answer, Function, ObserveError, Ports, Resolve};
use crate::metrics::Tally;
use crate::pipeline_job::{is_job_event, Job};
use crate::plan::{Action, Decision, FunctionName, RecordDecision};
use crate::ports::ActionExecutor;
use triggers::{bundle_upload, dry_run, pipeline_job, verdict};

/// The function: its clusters, bundles and sync settings.
pub struct KafkaSync {
    config: config::KafkaSyncConfig,
}

impl Function for KafkaSync {
    const NAME: FunctionName = FunctionName::KafkaSync;

    async fn configure(
        vars: &(dyn Vars + Sync),
        _resolve: &impl Resolve,
    ) -> Result<Self, ConfigError> {
        Ok(KafkaSync {
            config: config::KafkaSyncConfig::from_vars(vars)?,
        })
    }

    fn answer(&self, raw: &Value) -> Answer {
        if is_job_event(raw) {
            Answer::Job
        } else {
            Answer::Records
        }
    }

    /// The same sync the Lambda runs, one decision for the event; with dry-run ports, up to the
    /// writes, which are recorded.
    async fn decide<P: Ports>(
        &self,
        raw: &Value,
        ports: &P,
        deadline: Deadline,
    ) -> Result<Vec<RecordDecision>, ObserveError> {
        Ok(function::whole(
            dry_run::decide_event(raw, &self.config, ports.connect(), deadline).await,
        ))
    }

    /// Bundle uploads: the synced bundles with their counts, or an error saying whether a retry
    /// can help (`bundle_upload::handle_bundle_event`).
    async fn handle<P: Ports, E: ActionExecutor>(
        &self,
        raw: &Value,
        ports: &P,
        _executor: &E,
        deadline: Deadline,
    ) -> Result<Value, HandlerError> {
        bundle_upload::handle_bundle_event(raw, &self.config, ports.connect(), deadline).await
    }

    async fn decide_job<P: Ports>(
        self: Arc<Self>,
        job: Job,
        ports: Arc<P>,
        deadline: Deadline,
    ) -> Decision {
        pipeline_job::decide_job(&job, &self.config, ports.connect(), deadline).await
    }

    /// The connectors a finished sync created, updated and deleted: its job result's output
    /// variables (`triggers::verdict::output_variables`).
    fn tally(&self, decision: &Decision) -> Tally {
        let mut tally = Tally::default();
        for action in &decision.actions {
            if let Action::PutJobSuccessResult(result) = action {
                verdict::count_connectors(&result.output_variables, &mut tally);
            }
        }
        tally
    }

    fn claims_s3_object(&self, bucket: &str, key: &str) -> bool {
        self.config.bundle_for(bucket, key).is_some()
    }

    fn connect_config(&self) -> Option<&config::KafkaSyncConfig> {
        Some(&self.config)
    }
}
