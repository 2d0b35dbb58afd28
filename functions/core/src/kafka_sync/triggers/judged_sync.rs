//! The operation both triggers run once they hold a desired state: plan → log the plan → apply →
//! wait → judge, bounded by the deadline's budget.

use std::time::{Duration, UNIX_EPOCH};

use crate::deadline::Deadline;
use crate::kafka_sync::apply::{ApplyOptions, WaitOptions};
use crate::kafka_sync::changes::DiffOptions;
use crate::kafka_sync::config::KafkaSyncConfig;
use crate::kafka_sync::desired::SourceFile;
use crate::kafka_sync::ports::{Clock, ConnectApi};
use crate::kafka_sync::retry::Backoff;
use crate::kafka_sync::run::{self, AlsoWaitFor, SyncFailure};
use crate::kafka_sync::topics::TopicAdmin;
use crate::kafka_sync::triggers::verdict::{self, Progress, SyncVerdict};

/// What one sync applies, where, and how.
#[derive(Debug, Clone)]
pub struct SyncTarget<'a> {
    /// The cluster's name in `KAFKA_CLUSTERS`.
    pub cluster: &'a str,
    /// `environments/<environment>.yaml` supplies the values.
    pub environment: &'a str,
    pub diff: DiffOptions,
    /// Server-side validation first.
    pub validate: bool,
    pub allow_dangerous: bool,
    /// What an earlier round of the same pipeline job carried in its continuation token.
    pub previous: Option<&'a Progress>,
    /// The total wait allowed, across rounds.
    pub max_wait: Duration,
}

/// Who asked, for the plan's log line.
#[derive(Debug, Clone, Copy)]
pub enum Trigger<'a> {
    Job { id: &'a str },
    Bundle { location: &'a str },
}

/// Syncs `files` to `api` (and the topics to `admin`) and judges the run. Retries and waits stop
/// when the deadline's budget is spent, measured on `clock`.
#[allow(clippy::too_many_arguments)]
pub async fn judged_sync<A: ConnectApi, T: TopicAdmin, C: Clock>(
    target: &SyncTarget<'_>,
    files: &[SourceFile],
    config: &KafkaSyncConfig,
    api: &A,
    admin: Option<&T>,
    clock: &C,
    deadline: Deadline,
    trigger: Trigger<'_>,
) -> Result<SyncVerdict, SyncFailure> {
    // The clock may have started long before this run (a warm Lambda): deadlines on it are
    // absolute.
    let until = clock.elapsed() + deadline.budget_at(clock.now());
    let apply_options = ApplyOptions {
        concurrency: config.concurrency,
        deadline: until,
        backoff: Backoff::default(),
        allow_dangerous: target.allow_dangerous,
    };
    let wait = WaitOptions {
        deadline: until,
        poll_interval: config.poll_interval,
        restart_failed: config.restart_failed,
    };
    let plan = run::plan_changes(
        files,
        target.environment,
        &target.diff,
        target.validate,
        api,
        admin,
        clock,
        &apply_options,
    )
    .await?;
    // The plan's own rendering: secrets are already redacted in it.
    let cluster = target.cluster;
    match trigger {
        Trigger::Job { id } => {
            tracing::info!(function = "kafka-sync", job_id = id, cluster, plan = %plan, "plan")
        }
        Trigger::Bundle { location } => {
            tracing::info!(function = "kafka-sync", bundle = location, cluster, plan = %plan, "plan")
        }
    }
    let also = match target.previous {
        None => AlsoWaitFor::Nothing,
        // The earlier round's names were too many for the token: wait for every connector.
        Some(p) if p.pending.is_empty() => AlsoWaitFor::Everything,
        Some(p) => AlsoWaitFor::Names(&p.pending),
    };
    let applied =
        run::apply_and_wait(&plan, api, admin, clock, &apply_options, Some(&wait), also).await?;
    let now = clock
        .now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    Ok(verdict::judge(
        &plan,
        &applied,
        cluster,
        target.previous,
        now,
        target.max_wait.as_secs(),
    ))
}
