//! The whole sync, shared by the CLI and both triggers: [`plan_changes`] loads, reads (2
//! requests), plans and validates (optional; re-plans with the plugin's PASSWORD keys redacted);
//! [`apply_and_wait`] writes and waits.

use std::time::Duration;

use serde::Serialize;

use crate::kafka_sync::apply::wait::{self, WaitOptions, WaitOutcome, WaitResult};
use crate::kafka_sync::apply::{self, ApplyOptions, ApplyReport, Refusal, WriteOutcome};
use crate::kafka_sync::changes::{self, ChangePlan, DiffError, DiffOptions};
use crate::kafka_sync::desired::{self, LoadErrors, SourceFile};
use crate::kafka_sync::observed::read::read_cluster;
use crate::kafka_sync::observed::ReadError;
use crate::kafka_sync::ports::{Clock, ConnectApi};

#[derive(Debug, thiserror::Error)]
pub enum SyncFailure {
    #[error(transparent)]
    Load(#[from] LoadErrors),
    #[error(transparent)]
    Diff(#[from] DiffError),
    #[error("cannot read the Kafka Connect cluster: {0}")]
    Read(#[from] ReadError),
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// A newer desired state was applied to the cluster: nothing was written.
    #[error(transparent)]
    Superseded(#[from] crate::kafka_sync::reconcile::record::Superseded),
    /// The store of applied states failed (before the apply: nothing was written; after it:
    /// the apply landed but is not recorded, and a retry records it).
    #[error("the state store (KAFKA_STATE_TABLE): {0}")]
    Store(crate::ports::ObserveError),
}

impl SyncFailure {
    /// Retrying later can help (the cluster was unreachable or rebalancing), as opposed to a
    /// problem in Git or in the plan that needs a person.
    pub fn is_retryable(&self) -> bool {
        match self {
            SyncFailure::Read(ReadError::Connect(e)) => e.kind.is_retryable(),
            SyncFailure::Refused(Refusal::Sync(ReadError::Connect(e))) => e.kind.is_retryable(),
            SyncFailure::Store(e) => e.retryable,
            _ => false,
        }
    }
}

/// Loads, reads and plans; with `validate`, also validates every config to be written.
pub async fn plan_changes<A: ConnectApi, C: Clock>(
    files: &[SourceFile],
    environment: &str,
    options: &DiffOptions,
    validate: bool,
    api: &A,
    clock: &C,
    apply_options: &ApplyOptions,
) -> Result<ChangePlan, SyncFailure> {
    let desired = desired::load(files, environment)?;
    let observed = read_cluster(api, clock, apply_options.backoff, apply_options.deadline).await?;
    let planned = changes::diff(&desired, &observed, options)?;
    if !validate || !planned.has_changes() {
        return Ok(planned);
    }
    let password_keys = apply::validate_changes(&planned, api, clock, apply_options).await?;
    if password_keys.is_empty() {
        return Ok(planned);
    }
    let options = DiffOptions {
        redactor: options.redactor.clone().with_password_keys(password_keys),
        ..options.clone()
    };
    Ok(changes::diff(&desired, &observed, &options)?)
}

/// What an apply did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Applied {
    pub writes: ApplyReport,
    /// Empty when waiting was off.
    pub wait: Vec<WaitResult>,
}

impl Applied {
    /// Every write landed and every changed connector reached its state.
    pub fn converged(&self) -> bool {
        self.writes.succeeded()
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
            .writes
            .failed()
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

/// Applies `plan`, then (with `wait_options`) waits for the connectors it wrote, and `also`.
pub async fn apply_and_wait<A: ConnectApi, C: Clock>(
    plan: &ChangePlan,
    api: &A,
    clock: &C,
    options: &ApplyOptions,
    wait_options: Option<&WaitOptions>,
    also: AlsoWaitFor<'_>,
) -> Result<Applied, SyncFailure> {
    let writes = apply::apply(plan, api, clock, options)
        .await
        .map_err(Refusal::from)?;
    let Some(wait_options) = wait_options else {
        return Ok(Applied {
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
    Ok(Applied { writes, wait })
}

/// Defaults shared by the CLI and the Lambda.
pub const DEFAULT_CONCURRENCY: usize = 4;
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(2);
