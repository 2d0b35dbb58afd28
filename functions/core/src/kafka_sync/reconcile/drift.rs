//! The drift check: the desired state (re-read from where the last apply read it, or a directory
//! for `switchyard kafka drift`) planned against the cluster, topics and connectors, through the
//! one plan entry point ([`run::plan_changes`]: the same bounded reads as any plan, no validation
//! requests), with prune off, and the verdict ([`DriftReport`]). The scheduled check ([`check_cluster`]) then acts as
//! the cluster's [`ReconcileMode`] allows.

use std::time::Duration;

use serde::Serialize;

use crate::kafka_sync::apply::{ApplyOptions, ApplyReport, LogProgress, WriteOutcome, WriteResult};
use crate::kafka_sync::changes::{ChangeKind, ChangePlan, DiffOptions, Redactor};
use crate::kafka_sync::config::{ClusterConfig, KafkaSyncConfig};
use crate::kafka_sync::desired::SourceFile;
use crate::kafka_sync::ports::{ArtifactLocation, ArtifactReader, Clock, ConnectApi};
use crate::kafka_sync::reconcile::heal::{self, HealOutcome};
use crate::kafka_sync::reconcile::record::AppliedStore;
use crate::kafka_sync::reconcile::ReconcileMode;
use crate::kafka_sync::run::{self, AlsoWaitFor, SyncFailure};
use crate::kafka_sync::topics::diff::{TopicChangeKind, TopicOptions};
use crate::kafka_sync::topics::TopicAdmin;
use crate::kafka_sync::triggers::ConnectPorts;

/// The check's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftStatus {
    /// The cluster is as the desired state declares.
    NoDrift,
    /// Something differs (the plan says what).
    Drift,
    /// The cluster did not answer: nothing was compared or changed.
    Unreachable,
    /// No apply was recorded for the cluster yet: there is nothing to compare with.
    NothingRecorded,
    /// The desired state or the store could not be read, or the plan refused: nothing changed.
    Failed,
}

impl DriftStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DriftStatus::NoDrift => "no drift",
            DriftStatus::Drift => "drift",
            DriftStatus::Unreachable => "unreachable",
            DriftStatus::NothingRecorded => "nothing recorded yet",
            DriftStatus::Failed => "check failed",
        }
    }
}

/// One cluster's drift check: what was compared, what differs (redacted, as plans are), and
/// what the reconcile mode did about it.
#[derive(Debug, Clone, Serialize)]
pub struct DriftReport {
    pub cluster: String,
    pub mode: &'static str,
    pub status: DriftStatus,
    /// The desired state compared with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired: Option<String>,
    /// Every differing entry, as in `switchyard kafka plan`, secrets redacted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<String>,
    /// The whole plan (JSON as `switchyard kafka plan --output json` prints it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<ChangePlan>,
    /// In the managed scope, not in the desired state, which was applied with prune: drift
    /// (never deleted by the check).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_in_git: Vec<String>,
    /// `heal` and `enforce`: each failed connector's restart, back-off or cap.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub heal: Vec<HealOutcome>,
    /// `enforce`: the writes that put the desired state back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enforced: Option<ApplyReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl DriftReport {
    fn bare(cluster: &str, mode: ReconcileMode, status: DriftStatus) -> Self {
        DriftReport {
            cluster: cluster.to_owned(),
            mode: mode.as_str(),
            status,
            desired: None,
            differences: Vec::new(),
            plan: None,
            not_in_git: Vec::new(),
            heal: Vec::new(),
            enforced: None,
            error: None,
        }
    }

    /// A check that could not compare anything.
    pub fn failed(cluster: &str, mode: ReconcileMode, error: String) -> Self {
        DriftReport {
            error: Some(error),
            ..DriftReport::bare(cluster, mode, DriftStatus::Failed)
        }
    }

    pub fn drifted(&self) -> bool {
        self.status == DriftStatus::Drift
    }

    /// Whether the check wrote to the cluster (a restart or an enforced write).
    pub fn wrote(&self) -> bool {
        self.heal
            .iter()
            .any(|h| matches!(h, HealOutcome::Restarted { .. }))
            || self
                .enforced
                .as_ref()
                .is_some_and(|r| !r.results.is_empty())
    }

    /// One line: the verdict, what differs, and what was done.
    pub fn summary(&self) -> String {
        let mut line = format!("cluster {:?}: {}", self.cluster, self.status.as_str());
        if let Some(desired) = &self.desired {
            line.push_str(&format!(" (against {desired})"));
        }
        if let Some(error) = &self.error {
            line.push_str(&format!(": {error}"));
        }
        let mut parts = self.differences.clone();
        parts.extend(
            self.not_in_git
                .iter()
                .map(|n| format!("{n} is not in the desired state (applied with prune)")),
        );
        if !parts.is_empty() {
            line.push_str(&format!(": {}", parts.join("; ")));
        }
        for h in &self.heal {
            line.push_str(&format!("; heal: {h}"));
        }
        if let Some(enforced) = &self.enforced {
            let done: Vec<String> = enforced
                .results
                .iter()
                .map(|r| format!("{} {} {}", r.action, r.name, r.outcome.label()))
                .collect();
            line.push_str(&format!("; enforce: {}", done.join(", ")));
        }
        line
    }
}

impl std::fmt::Display for DriftReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}", self.summary())?;
        if let (Some(plan), DriftStatus::Drift) = (&self.plan, self.status) {
            write!(f, "\n{plan}")?;
        }
        Ok(())
    }
}

/// Each differing entry of a plan, topics then connectors, one line each (keys only: values stay
/// in the plan, redacted).
pub fn differences(plan: &ChangePlan) -> Vec<String> {
    let topics = plan.topics.changes.iter().filter_map(|t| match &t.kind {
        TopicChangeKind::Create { .. } => Some(format!("topic {} is missing", t.name)),
        TopicChangeKind::Delete => Some(format!("topic {} would be deleted", t.name)),
        TopicChangeKind::Unchanged => None,
        TopicChangeKind::Update {
            partitions,
            config,
            replication_factor,
        } => {
            let mut what: Vec<String> = config.iter().map(|k| k.key.clone()).collect();
            if let Some(p) = partitions {
                what.push(format!("partitions {} (want {})", p.from, p.to));
            }
            if let Some(r) = replication_factor {
                what.push(format!("replication factor {} (want {})", r.from, r.to));
            }
            Some(format!("topic {} differs in {}", t.name, what.join(", ")))
        }
    });
    let connectors = plan.changed().map(|c| match &c.kind {
        ChangeKind::Update { changes, state, .. } => {
            let mut what: Vec<String> = changes.iter().map(|k| k.key.clone()).collect();
            if let Some(s) = state {
                what.push(format!(
                    "state {} (want {})",
                    s.from.map_or("unknown", |r| r.as_str()),
                    s.to.as_connect()
                ));
            }
            format!("connector {} differs in {}", c.name, what.join(", "))
        }
        ChangeKind::SetState { state } => format!(
            "connector {} is {} (want {})",
            c.name,
            state.from.map_or("unknown", |r| r.as_str()),
            state.to.as_connect()
        ),
        ChangeKind::Create { .. } => format!("connector {} is missing", c.name),
        ChangeKind::Delete => format!("connector {} would be deleted", c.name),
        ChangeKind::Unchanged { .. } => format!("connector {} is unchanged", c.name),
    });
    topics.chain(connectors).collect()
}

/// Plans `files` against the cluster for a drift check: prune off (the check never deletes;
/// what prune would delete is in the plan's `not_pruned`), no validation requests.
pub async fn plan_drift<A: ConnectApi, T: TopicAdmin, C: Clock>(
    files: &[SourceFile],
    environment: &str,
    diff: &DiffOptions,
    api: &A,
    admin: Option<&T>,
    clock: &C,
    options: &ApplyOptions,
) -> Result<ChangePlan, SyncFailure> {
    let diff = DiffOptions {
        prune: false,
        topics: TopicOptions {
            delete_unlisted: false,
            ..diff.topics.clone()
        },
        ..diff.clone()
    };
    run::plan_changes(files, environment, &diff, false, api, admin, clock, options).await
}

/// The verdict for a drift plan. `pruned`: the desired state was applied with prune, so what
/// prune would delete is drift too.
pub fn judge(
    cluster: &str,
    mode: ReconcileMode,
    desired: Option<String>,
    planned: Result<ChangePlan, SyncFailure>,
    pruned: bool,
) -> DriftReport {
    let plan = match planned {
        Ok(plan) => plan,
        Err(e @ SyncFailure::Read(_)) => {
            return DriftReport {
                desired,
                error: Some(e.to_string()),
                ..DriftReport::bare(cluster, mode, DriftStatus::Unreachable)
            }
        }
        Err(e) => {
            return DriftReport {
                desired,
                ..DriftReport::failed(cluster, mode, e.to_string())
            }
        }
    };
    let not_in_git = if pruned {
        plan.topics
            .not_pruned
            .iter()
            .map(|t| format!("topic {t}"))
            .chain(plan.not_pruned.iter().map(|c| format!("connector {c}")))
            .collect()
    } else {
        Vec::new()
    };
    let status = if plan.has_changes() || !not_in_git.is_empty() {
        DriftStatus::Drift
    } else {
        DriftStatus::NoDrift
    };
    DriftReport {
        desired,
        differences: differences(&plan),
        not_in_git,
        plan: Some(plan),
        ..DriftReport::bare(cluster, mode, status)
    }
}

/// The scheduled check of one cluster: its recorded desired state re-read with the function's
/// role, planned, judged, then healed and enforced as its mode allows. Never deletes. `until`
/// bounds retries, measured on the ports' clock.
pub async fn check_cluster<P: ConnectPorts>(
    name: &str,
    cluster: &ClusterConfig,
    table: &str,
    config: &KafkaSyncConfig,
    ports: &P,
    until: Duration,
) -> DriftReport {
    let mode = cluster.reconcile.mode;
    let state = match ports.store().applied(table, name).await {
        Ok(Some(state)) => state,
        Ok(None) => return DriftReport::bare(name, mode, DriftStatus::NothingRecorded),
        Err(e) => {
            return DriftReport::failed(name, mode, format!("cannot read the state store: {e}"))
        }
    };
    let Some(api) = ports.cluster(name) else {
        return DriftReport::failed(name, mode, "no client for this cluster".into());
    };
    let desired = Some(state.describe());
    let (bucket, key, version_id) = state.source.object();
    let location = ArtifactLocation::Recorded {
        bucket,
        key,
        version_id,
    };
    let files = match ports.artifacts().read(location, &state.directory).await {
        Ok(artifact) => artifact.files,
        Err(e) => {
            return DriftReport {
                desired,
                ..DriftReport::failed(
                    name,
                    mode,
                    format!("cannot re-read the recorded desired state: {e}"),
                )
            }
        }
    };
    let options = config.apply_options(until, config.allow_dangerous);
    let diff = DiffOptions {
        scope: cluster.scope(),
        prune: false,
        redactor: Redactor::default(),
        allow_unmanaged_writes: cluster.allow_unmanaged_writes,
        topics: TopicOptions::for_cluster(name, cluster.kafka.as_ref()),
    };
    let clock = ports.clock();
    let admin = ports.topic_admin(name);
    let planned = plan_drift(
        &files,
        &state.environment,
        &diff,
        api,
        admin,
        clock,
        &options,
    )
    .await;
    let mut report = judge(name, mode, desired, planned, state.prune);
    let Some(plan) = report.plan.clone() else {
        return report;
    };
    if mode.heals() && !plan.failing.is_empty() {
        report.heal = heal_cluster(name, cluster, table, &plan, ports, &options).await;
    }
    if mode == ReconcileMode::Enforce && plan.has_changes() {
        // Topics first, then connectors (the plan was made with prune off: nothing is deleted).
        let applied = run::apply_and_wait(
            &plan,
            api,
            admin,
            clock,
            &options,
            None,
            AlsoWaitFor::Nothing,
            &LogProgress::new(name),
        )
        .await;
        report.enforced = Some(match applied {
            Ok(applied) => ApplyReport {
                results: applied
                    .topics
                    .results
                    .into_iter()
                    .chain(applied.writes.results)
                    .collect(),
            },
            Err(refused) => ApplyReport {
                results: vec![WriteResult {
                    name: String::new(),
                    action: "enforce",
                    outcome: WriteOutcome::Cancelled {
                        reason: refused.to_string(),
                    },
                }],
            },
        });
    }
    report
}

/// Restarts the plan's failed connectors as the cluster's ledger allows, and saves the ledger.
async fn heal_cluster<P: ConnectPorts>(
    name: &str,
    cluster: &ClusterConfig,
    table: &str,
    plan: &ChangePlan,
    ports: &P,
    options: &ApplyOptions,
) -> Vec<HealOutcome> {
    let Some(api) = ports.cluster(name) else {
        return Vec::new();
    };
    let store = ports.store();
    // No ledger, no restart: the back-off and the cap must hold across instances.
    let mut ledger = match store.restarts(table, name).await {
        Ok(ledger) => ledger,
        Err(e) => {
            return plan
                .failing
                .iter()
                .map(|f| HealOutcome::RestartFailed {
                    connector: f.name.clone(),
                    error: format!("not restarted: cannot read the restart ledger: {e}"),
                })
                .collect()
        }
    };
    let policy = cluster.reconcile.policy();
    let now = ports.clock().now();
    let (mut outcomes, changed) =
        heal::heal(plan, api, ports.clock(), options, &policy, &mut ledger, now).await;
    if changed {
        if let Err(e) = store.save_restarts(table, name, &ledger).await {
            outcomes.push(HealOutcome::RestartFailed {
                connector: String::new(),
                error: format!("the restart ledger could not be saved: {e}"),
            });
        }
    }
    outcomes
}
