//! `connect-sync`: GitOps for Kafka Connect. Connector configs live in Git; this plans and
//! applies them through the Connect REST API. The folders follow the sync's steps:
//!
//! 1. [`desired`] state: connector files + `environments/<env>.yaml` → configs rendered as
//!    Connect stores them (`load`, `template`, `values`);
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
//! Beside the steps: [`run`] chains 1–4 (shared by the CLI and the triggers), [`ports`] are the
//! Connect API, the desired state's reader and the clock, [`retry`] is how a Connect request is
//! retried (reads and writes alike), and [`config`] the Lambda's environment variables.

pub mod apply;
pub mod changes;
pub mod config;
pub mod desired;
pub mod observed;
pub mod ports;
pub mod retry;
pub mod run;
pub mod triggers;

pub use changes::{
    ChangeKind, ChangePlan, ConnectorChange, DiffOptions, ManagedScope, Redactor, Summary,
};
pub use desired::{ConnectorConfig, DesiredConnector, DesiredState, SourceFile, TargetState};
pub use observed::{ConnectVersion, ObservedCluster, RunState};
