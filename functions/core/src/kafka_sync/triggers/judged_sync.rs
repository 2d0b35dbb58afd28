//! The operation both triggers run once they hold a desired state: refuse it when the cluster's
//! recorded state is newer → plan → log the plan → apply → wait → judge → record it as the
//! cluster's last applied state, bounded by the deadline's budget.

use std::time::{Duration, UNIX_EPOCH};

use crate::deadline::Deadline;
use crate::kafka_sync::apply::{LogProgress, WaitOptions};
use crate::kafka_sync::changes::DiffOptions;
use crate::kafka_sync::config::KafkaSyncConfig;
use crate::kafka_sync::desired::SourceFile;
use crate::kafka_sync::ports::{Clock, ConnectApi, DesiredArtifact};
use crate::kafka_sync::reconcile::record::{
    check_not_older, AppliedSource, AppliedState, AppliedStore, Recorded,
};
use crate::kafka_sync::run::{self, AlsoWaitFor, SyncFailure};
use crate::kafka_sync::topics::TopicAdmin;
use crate::kafka_sync::triggers::verdict::{self, Progress, SyncVerdict};
use crate::kafka_sync::triggers::ConnectPorts;
use crate::timestamps::epoch_seconds;

/// What one sync applies, where, and how.
#[derive(Debug, Clone)]
pub struct SyncTarget<'a> {
    /// The cluster's name in `KAFKA_CLUSTERS`.
    pub cluster: &'a str,
    /// `environments/<environment>.yaml` supplies the values.
    pub environment: &'a str,
    /// Where the desired state came from (recorded after a successful apply).
    pub source: AppliedSource,
    /// Folder inside the zip holding the desired state.
    pub directory: &'a str,
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

/// Syncs `desired` to `api` (the target cluster's client in `ports`, and the topics to its admin
/// client) and judges the run. With a
/// state table, a desired state older than the cluster's recorded one is refused before any
/// request to the cluster, and a successful run is recorded. Retries and waits stop when the
/// deadline's budget is spent, measured on the ports' clock.
pub async fn judged_sync<P: ConnectPorts>(
    target: &SyncTarget<'_>,
    desired: &DesiredArtifact,
    config: &KafkaSyncConfig,
    api: &P::Api,
    ports: &P,
    deadline: Deadline,
    trigger: Trigger<'_>,
) -> Result<SyncVerdict, SyncFailure> {
    let clock = ports.clock();
    let applied = AppliedState {
        cluster: target.cluster.to_owned(),
        source: target.source.clone(),
        environment: target.environment.to_owned(),
        directory: target.directory.trim_matches('/').to_owned(),
        prune: target.diff.prune,
        written_at: epoch_seconds(desired.written_at),
        applied_at: 0,
    };
    if let Some(table) = &config.state_table {
        let recorded = ports
            .store()
            .applied(table, target.cluster)
            .await
            .map_err(SyncFailure::Store)?;
        check_not_older(recorded.as_ref(), &applied)?;
    }
    let admin = ports.topic_admin(target.cluster);
    let verdict = sync(
        target,
        &desired.files,
        config,
        api,
        admin,
        clock,
        deadline,
        trigger,
    )
    .await?;
    if let (Some(table), SyncVerdict::Succeeded { .. }) = (&config.state_table, &verdict) {
        let applied = AppliedState {
            applied_at: epoch_seconds(clock.now()),
            ..applied
        };
        if let Recorded::KeptNewer(newer) = ports
            .store()
            .record(table, &applied)
            .await
            .map_err(SyncFailure::Store)?
        {
            tracing::warn!(function = "kafka-sync", cluster = target.cluster, newer = %newer.describe(),
                "a newer desired state was recorded by a concurrent apply: it stays the cluster's last applied state");
        }
    }
    Ok(verdict)
}

#[allow(clippy::too_many_arguments)]
async fn sync<A: ConnectApi, T: TopicAdmin, C: Clock>(
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
    let apply_options = config.apply_options(until, target.allow_dangerous);
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
    // Each write and (at most) each poll is a log line while the apply runs.
    let progress = LogProgress::new(cluster);
    let applied = run::apply_and_wait(
        &plan,
        api,
        admin,
        clock,
        &apply_options,
        Some(&wait),
        also,
        &progress,
    )
    .await?;
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
