//! The whole sync, shared by the CLI, both triggers and the drift check: [`plan_changes`] loads,
//! reads (2 Connect requests, and at most 2 admin requests for the topics), plans connectors and
//! topics into one [`ChangePlan`] and validates (optional; re-plans with the plugin's PASSWORD
//! keys redacted); [`apply_and_wait`] writes topics, then connectors, then connector and topic
//! deletions, and waits.

use std::time::Duration;

use serde::Serialize;

use crate::kafka_sync::apply::wait::{self, WaitOptions, WaitOutcome, WaitResult};
use crate::kafka_sync::apply::{self, ApplyOptions, ApplyReport, Refusal, WriteOutcome};
use crate::kafka_sync::changes::{self, ChangePlan, DiffError, DiffOptions};
use crate::kafka_sync::desired::{self, LoadErrors, SourceFile};
use crate::kafka_sync::observed::read::read_cluster;
use crate::kafka_sync::observed::ReadError;
use crate::kafka_sync::ports::{Clock, ConnectApi};
use crate::kafka_sync::topics::apply::{
    apply_topic_deletes, apply_topic_writes, blocked_connectors, failed_topics,
};
use crate::kafka_sync::topics::diff::{self as topic_diff, TopicPlanError};
use crate::kafka_sync::topics::observed::read_topics;
use crate::kafka_sync::topics::{AdminError, TopicAdmin};

#[derive(Debug, thiserror::Error)]
pub enum SyncFailure {
    #[error(transparent)]
    Load(#[from] LoadErrors),
    #[error(transparent)]
    Diff(#[from] DiffError),
    #[error("cannot read the Kafka Connect cluster: {0}")]
    Read(#[from] ReadError),
    #[error(transparent)]
    Topics(#[from] TopicPlanError),
    #[error("cannot read the topics of cluster {cluster:?}: {error}")]
    ReadTopics { cluster: String, error: AdminError },
    #[error(transparent)]
    Refused(#[from] Refusal),
}

impl SyncFailure {
    /// Retrying later can help (the cluster was unreachable or rebalancing), as opposed to a
    /// problem in Git or in the plan that needs a person.
    pub fn is_retryable(&self) -> bool {
        match self {
            SyncFailure::Read(ReadError::Connect(e)) => e.kind.is_retryable(),
            SyncFailure::Refused(Refusal::Sync(ReadError::Connect(e))) => e.kind.is_retryable(),
            SyncFailure::ReadTopics { error, .. } => error.is_retryable(),
            _ => false,
        }
    }
}

/// Loads, reads and plans connectors and topics (`admin`: the cluster's brokers, if any); with
/// `validate`, also validates every connector config to be written. The one entry point for a
/// whole plan.
#[allow(clippy::too_many_arguments)]
pub async fn plan_changes<A: ConnectApi, T: TopicAdmin, C: Clock>(
    files: &[SourceFile],
    environment: &str,
    options: &DiffOptions,
    validate: bool,
    api: &A,
    admin: Option<&T>,
    clock: &C,
    apply_options: &ApplyOptions,
) -> Result<ChangePlan, SyncFailure> {
    let desired = desired::load(files, environment)?;
    let topic_scope = topic_diff::check_topics(&desired, &options.topics, admin.is_some())?;
    let observed = read_cluster(api, clock, apply_options.backoff, apply_options.deadline).await?;
    let observed_topics = match (topic_scope, admin) {
        (Some(scope), Some(admin)) => {
            let in_scope = |name: &str| scope.contains(name) || desired.topics.contains_key(name);
            let read = read_topics(
                admin,
                in_scope,
                clock,
                apply_options.backoff,
                apply_options.deadline,
            )
            .await
            .map_err(|error| SyncFailure::ReadTopics {
                cluster: options.topics.cluster.clone(),
                error,
            })?;
            Some((scope, read))
        }
        _ => None,
    };
    let plan_topics = |options: &DiffOptions| -> Result<ChangePlan, SyncFailure> {
        let mut planned = changes::diff(&desired, &observed, options)?;
        if let Some((scope, topics)) = &observed_topics {
            planned.topics = topic_diff::diff_topics(
                &desired,
                topics,
                scope,
                &options.topics,
                options.prune,
                &options.redactor,
            )?;
        }
        Ok(planned)
    };
    let planned = plan_topics(options)?;
    if !validate || !planned.summary.has_changes() {
        return Ok(planned);
    }
    let password_keys = apply::validate_changes(&planned, api, clock, apply_options).await?;
    if password_keys.is_empty() {
        return Ok(planned);
    }
    plan_topics(&DiffOptions {
        redactor: options.redactor.clone().with_password_keys(password_keys),
        ..options.clone()
    })
}

/// What an apply did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// Topic creates and updates, then topic deletions (empty without topics).
    #[serde(skip_serializing_if = "ApplyReport::is_empty")]
    pub topics: ApplyReport,
    pub writes: ApplyReport,
    /// Empty when waiting was off.
    pub wait: Vec<WaitResult>,
}

impl Applied {
    /// Every write landed and every changed connector reached its state.
    pub fn converged(&self) -> bool {
        self.topics.succeeded()
            && self.writes.succeeded()
            && self
                .wait
                .iter()
                .all(|w| matches!(w.outcome, WaitOutcome::Reached { .. }))
    }

    /// Still on their way (the caller may wait more, e.g. with a continuation token).
    pub fn pending(&self) -> Vec<&str> {
        self.wait
            .iter()
            .filter(|w| matches!(w.outcome, WaitOutcome::Pending { .. }))
            .map(|w| w.name.as_str())
            .collect()
    }

    /// Write errors and FAILED connectors, one line each (first lines of traces).
    pub fn failures(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .topics
            .failed()
            .chain(self.writes.failed())
            .map(|r| match &r.outcome {
                WriteOutcome::Failed { error } => format!("{} {}: {error}", r.action, r.name),
                WriteOutcome::Cancelled { reason } => {
                    format!("{} {}: cancelled: {reason}", r.action, r.name)
                }
                _ => String::new(),
            })
            .collect();
        out.extend(self.wait.iter().filter_map(|w| match &w.outcome {
            WaitOutcome::Failed { trace } => Some(format!(
                "{} is FAILED: {}",
                w.name,
                changes::display::first_lines(trace, 3)
            )),
            _ => None,
        }));
        out
    }
}

/// Besides the connectors this apply writes, which to wait for (a continuation of a long wait).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlsoWaitFor<'a> {
    Nothing,
    /// Connectors an earlier round wrote and still waits for.
    Names(&'a [String]),
    /// Every desired connector (an earlier round's names were too many to carry).
    Everything,
}

/// Applies `plan` (topics first, then connectors, then connector deletions, then topic deletions
/// last), then (with `wait_options`) waits for the connectors it wrote, and `also`.
pub async fn apply_and_wait<A: ConnectApi, T: TopicAdmin, C: Clock>(
    plan: &ChangePlan,
    api: &A,
    admin: Option<&T>,
    clock: &C,
    options: &ApplyOptions,
    wait_options: Option<&WaitOptions>,
    also: AlsoWaitFor<'_>,
) -> Result<Applied, SyncFailure> {
    plan.check_dangerous(options.allow_dangerous)
        .map_err(Refusal::from)?;
    let mut topics = match admin {
        Some(admin) => apply_topic_writes(&plan.topics, admin, clock, options).await,
        None => ApplyReport::default(),
    };
    let failed = failed_topics(&topics);
    let held = blocked_connectors(plan, &failed);
    let failed_before = failed.len();
    let writes = apply::apply(plan, api, clock, options, &held, failed_before)
        .await
        .map_err(Refusal::from)?;
    if let Some(admin) = admin {
        let connector_failures = writes.failed().count();
        let cancel = (failed_before + connector_failures > 0).then(|| {
            format!(
                "{} topic and {connector_failures} connector write(s) failed; deletions are cancelled",
                failed_before
            )
        });
        let deleted =
            apply_topic_deletes(&plan.topics, admin, clock, options, cancel.as_deref()).await;
        topics.results.extend(deleted.results);
    }
    let Some(wait_options) = wait_options else {
        return Ok(Applied {
            topics,
            writes,
            wait: Vec::new(),
        });
    };
    let written = |name: &str| {
        writes
            .results
            .iter()
            .any(|r| r.name == name && r.outcome == WriteOutcome::Applied)
    };
    let targets: Vec<_> = plan
        .connectors
        .iter()
        .filter_map(|c| c.desired.as_ref().map(|d| (c.name.clone(), d.state)))
        .filter(|(name, _)| {
            written(name)
                || match also {
                    AlsoWaitFor::Nothing => false,
                    AlsoWaitFor::Names(names) => names.contains(name),
                    AlsoWaitFor::Everything => true,
                }
        })
        .collect();
    let mut wait = wait::wait_for(&targets, plan.version, api, clock, wait_options).await?;
    for result in &mut wait {
        if let WaitOutcome::Failed { trace } = &mut result.outcome {
            *trace = plan.scrubber.scrub(trace);
        }
    }
    Ok(Applied {
        topics,
        writes,
        wait,
    })
}

/// Defaults shared by the CLI and the Lambda.
pub const DEFAULT_CONCURRENCY: usize = 4;
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(2);
