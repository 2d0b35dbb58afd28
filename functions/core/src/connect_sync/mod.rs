//! `connect-sync`: GitOps for Kafka Connect. Connector configs live in Git; this plans and
//! applies them through the Connect REST API.
//!
//! The steps, one module each:
//! 1. [`desired`]: connector files + `environments/<env>.yaml` → configs rendered as Connect stores
//!    them ([`template`] substitutes `{{ env.name }}`, [`values`] turns YAML/JSON into strings);
//! 2. [`observed`]: the cluster, parsed from `GET /` and `GET /connectors?expand=info&expand=status`;
//! 3. [`plan`]: the pure diff (create / update per key / delete / state / unchanged), secrets
//!    redacted by [`redact`], deletions limited to the managed [`scope`]; [`render`] prints it;
//! 4. [`apply`]: optional server-side [`validate`], then writes through the Connect [`ports`]
//!    with [`retry`]; [`wait`] until RUNNING (or FAILED, with its trace). [`read`] observes.
//!
//! [`run`] is the whole sync, shared by the CLI and the Lambda; [`verdict`] judges a run;
//! [`job`] is the CodePipeline invoke action (`UserParameters`, input artifact, job result) and
//! [`bundle`] the S3 bundle upload; [`dry_run`] is what replay and the tests can decide without
//! the artifact or the cluster.

pub mod apply;
pub mod bundle;
pub mod config;
pub mod desired;
pub mod dry_run;
pub mod job;
pub mod observed;
pub mod plan;
pub mod ports;
pub mod read;
pub mod redact;
pub mod render;
pub mod retry;
pub mod run;
pub mod scope;
pub mod template;
pub mod validate;
pub mod values;
pub mod verdict;
pub mod wait;

pub use desired::{load, ConnectorConfig, DesiredConnector, DesiredState, SourceFile, TargetState};
pub use observed::{ConnectVersion, ObservedCluster, RunState};
pub use plan::{plan, ChangeKind, ConnectorChange, Plan, PlanOptions, Summary};
pub use redact::Redactor;
pub use scope::ManagedScope;

use std::time::SystemTime;

use serde_json::Value;

use crate::config::{ConfigError, Vars};
use crate::function::{self, Answer, Function, ObserveError, Ports, Resolve};
use crate::pipeline_job::is_job_event;
use crate::plan::{FunctionName, RecordDecision};

/// The function: its clusters, bundles and sync settings.
pub struct ConnectSync {
    pub config: config::ConnectSyncConfig,
}

impl Function for ConnectSync {
    const NAME: FunctionName = FunctionName::ConnectSync;

    async fn configure(
        vars: &(dyn Vars + Sync),
        _resolve: &impl Resolve,
    ) -> Result<Self, ConfigError> {
        Ok(ConnectSync {
            config: config::ConnectSyncConfig::from_vars(vars)?,
        })
    }

    fn answer(&self, raw: &Value) -> Answer {
        if is_job_event(raw) {
            Answer::Job
        } else {
            Answer::Records
        }
    }

    async fn decide<P: Ports>(
        &self,
        raw: &Value,
        _ports: &P,
        _deadline: SystemTime,
    ) -> Result<Vec<RecordDecision>, ObserveError> {
        Ok(function::whole(dry_run::decide_event(raw, &self.config)))
    }

    fn claims_s3_object(&self, bucket: &str, key: &str) -> bool {
        self.config.bundle_for(bucket, key).is_some()
    }
}
