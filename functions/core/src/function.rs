//! A function, declared once.
//!
//! Each of the six functions implements [`Function`]: how it reads its configuration at cold
//! start and how it turns a raw event into decisions (parse → observe → decide). That one
//! description drives everything that runs a function:
//!
//! - its Lambda binary (`switchyard_adapters::lambda::run::<F>()`: the whole `main`);
//! - `switchyard replay` (dry run against a `--world`, or `--execute` against AWS);
//! - the shared adversarial tests, fuzz targets and load replay (`switchyard-integration-tests`).
//!
//! What differs between those is only *where the world is*: [`Ports`] is implemented once for
//! AWS (`switchyard_adapters::AwsPorts`) and once for dry runs ([`crate::world::DryRunPorts`]), and
//! [`Resolve`] reads the secrets and parameters configuration points at (Secrets Manager and SSM,
//! or nothing at all in a dry run).
//!
//! [`crate::registry`] is the one list of functions: adding a function is a module that
//! implements [`Function`] plus one arm there.

use std::future::Future;
use std::sync::Arc;

use serde_json::Value;
use time::OffsetDateTime;

use crate::artifact_release::ports::ArtifactTargets;
use crate::branch_stacks::{BranchStackReader, StackImports};
use crate::config::{ConfigError, Vars};
use crate::deadline::Deadline;
use crate::deliveries::failed::keep_after_failure;
use crate::deliveries::port::{forget_after_failure, Deliveries};
use crate::entry::{self, HandlerError};
use crate::git_hosts::access::GitHostAccess;
use crate::git_hosts::GitHosts;
use crate::health::ports::HealthReader;
use crate::kafka_sync::config::KafkaSyncConfig;
use crate::kafka_sync::triggers::ConnectPorts;
use crate::metrics::Tally;
use crate::pipeline_job::Job;
use crate::plan::{Decision, FunctionName, RecordDecision};
use crate::ports::ActionExecutor;
pub use crate::ports::ObserveError;
use crate::secret::Secret;
use crate::stage_retry::ports::PipelineReader;
use crate::tag_release::ports::DefaultBranchObserver;

/// Everything a function reads the world through.
pub trait Ports: Send + Sync + 'static {
    type DefaultBranch: DefaultBranchObserver;
    type Deliveries: Deliveries;
    type Health: HealthReader;
    type Pipelines: PipelineReader;
    type Connect: ConnectPorts;
    type GitHosts: GitHosts;
    type Stacks: BranchStackReader + StackImports;
    type Artifacts: ArtifactTargets;

    /// Whether a commit is on a repository's default branch (tag-release).
    fn default_branch(&self) -> &Self::DefaultBranch;
    /// Webhook deliveries that acted (branch-pipelines, tag-release): remembered before acting.
    fn deliveries(&self) -> &Self::Deliveries;
    /// Open AWS Health events (health-gate, stage-retry).
    fn health(&self) -> &Self::Health;
    /// Pipeline state and action executions (stage-retry).
    fn pipelines(&self) -> &Self::Pipelines;
    /// Kafka Connect clusters and the desired state's reader (kafka-sync).
    fn connect(&self) -> &Self::Connect;
    /// What git hosts say about branches (branch-pipelines: events confirmed, the sweep).
    fn git_hosts(&self) -> &Self::GitHosts;
    /// Every branch's stacks, found by their `switchyard:branch-id` tag, and who imports their
    /// exports (branch-pipelines' teardown, the sweep).
    fn stacks(&self) -> &Self::Stacks;
    /// What artifact-release's targets run: Flink applications, Lambda functions, pipelines,
    /// and the S3 versions to compare with.
    fn artifacts(&self) -> &Self::Artifacts;
    /// The clock, read once per decision: the real one, or a dry-run world's `now`.
    fn now(&self) -> OffsetDateTime;
}

/// Reads what configuration points at outside the environment, once, at cold start.
pub trait Resolve: Sync {
    /// The string value of a Secrets Manager secret. `var` names the variable that holds `id`;
    /// `inline_var` the one that could hold the value itself (for the dry run's error message).
    fn secret(
        &self,
        var: &str,
        id: &str,
        inline_var: &str,
    ) -> impl Future<Output = Result<Secret, ConfigError>> + Send;
    /// The value of an SSM parameter (String or SecureString).
    fn parameter(
        &self,
        var: &str,
        name: &str,
        inline_var: &str,
    ) -> impl Future<Output = Result<String, ConfigError>> + Send;
}

/// How the Lambda answers the event source for an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// One decision for the event: an HTTP response for a function URL request, a failed
    /// invocation for a rejection (`entry::run`).
    Event,
    /// One decision per record, SQS partial batch responses (`entry::run_records`).
    Records,
    /// A CodePipeline job: exactly one job result, whatever happens
    /// (`switchyard_adapters::job_runner`).
    Job,
}

/// One function: its configuration and its parse → observe → decide.
pub trait Function: Sized + Send + Sync + 'static {
    const NAME: FunctionName;

    /// Cold start: reads and validates the configuration; errors name the variable.
    fn configure(
        vars: &(dyn Vars + Sync),
        resolve: &impl Resolve,
    ) -> impl Future<Output = Result<Self, ConfigError>> + Send;

    /// How the Lambda answers for `raw`.
    fn answer(&self, raw: &Value) -> Answer;

    /// Parse → observe → decide for a raw event: one decision per record (one for the whole
    /// event when it holds one item). `deadline` is when the invocation ends, less the margin
    /// kept to answer. `Err` only when an observation failed.
    fn decide<P: Ports>(
        &self,
        raw: &Value,
        ports: &P,
        deadline: Deadline,
    ) -> impl Future<Output = Result<Vec<RecordDecision>, ObserveError>> + Send;

    /// The Lambda's answer to an event that is not a pipeline job: by default, decide, log, act
    /// and answer as [`Function::answer`] says (`entry::run` or `entry::run_records`).
    fn handle<P: Ports, E: ActionExecutor>(
        &self,
        raw: &Value,
        ports: &P,
        executor: &E,
        deadline: Deadline,
    ) -> impl Future<Output = Result<Value, HandlerError>> + Send {
        async move {
            let records = self.decide(raw, ports, deadline).await.map_err(|e| {
                let id = entry::event_id(raw);
                tracing::error!(function = Self::NAME.as_str(), event_id = id.as_deref().unwrap_or(""), error = %e, retryable = e.retryable, "observe failed");
                HandlerError::Act(e.into())
            })?;
            // Remembered before acting: forgotten again if acting fails, so that the host's
            // redelivery (the same body) decides every change again (the idempotency tokens of
            // those that acted make that start nothing new), and kept in the dead-letter queue,
            // since GitHub does not redeliver by itself.
            let claims: Vec<_> = records.iter().filter_map(|r| r.delivery.clone()).collect();
            let tally = |d: &Decision| self.tally(d);
            let handled = match self.answer(raw) {
                Answer::Event => entry::run_event(Self::NAME, raw, records, tally, executor).await,
                _ => entry::run_records(Self::NAME, raw, records, tally, executor).await,
            };
            if let Err(error) = &handled {
                for claim in &claims {
                    forget_after_failure(ports.deliveries(), claim).await;
                }
                if let Some(claim) = claims.first() {
                    keep_after_failure(ports.deliveries(), claim, raw, error).await;
                }
            }
            handled
        }
    }

    /// What a decision of this function did, in the counts its metrics carry
    /// ([`crate::metrics::Count`]), read from the decision's typed actions. Counted only when
    /// the actions ran.
    fn tally(&self, decision: &Decision) -> Tally;

    /// For [`Answer::Job`] functions: observe → decide for a parsed job, as the job runner runs
    /// it (in its own task, hence the owned arguments). The plan ends in the job's result.
    fn decide_job<P: Ports>(
        self: Arc<Self>,
        job: Job,
        ports: Arc<P>,
        deadline: Deadline,
    ) -> impl Future<Output = Decision> + Send + 'static {
        let _ = (ports, deadline);
        let name = Self::NAME;
        async move {
            Decision::invalid(format!(
                "{name} is not a pipeline action; it cannot run job {}",
                job.id
            ))
        }
    }

    /// Whether this function takes this S3 object away from `artifact-release` (routing in
    /// replay, where one process sees every kind of event).
    fn claims_s3_object(&self, _bucket: &str, _key: &str) -> bool {
        false
    }

    /// The Kafka Connect clusters this function talks to, for the entry point to build their
    /// clients at cold start (their credentials come from Secrets Manager).
    fn connect_config(&self) -> Option<&KafkaSyncConfig> {
        None
    }

    /// The git hosts this function asks about branches, for the entry point to build their
    /// clients (the GitHub token is read at cold start, in [`Function::configure`]).
    fn git_host_access(&self) -> Option<&GitHostAccess> {
        None
    }
}

/// A decision about a whole event, for functions whose events hold one item.
pub fn whole(decision: Decision) -> Vec<RecordDecision> {
    vec![RecordDecision::whole(decision)]
}
