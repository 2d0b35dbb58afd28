//! The plan: a pure diff of the desired state against the observed cluster.
//!
//! Every config PUT restarts a connector, even an unchanged one, so the plan compares each stored
//! config key by key with the rendered desired config and writes only real changes. Values of
//! secret keys are redacted when the plan is built, so no rendering (text, JSON, `Debug`, logs)
//! can show them; the desired configs needed to apply travel beside, unserialized.

use std::collections::BTreeMap;

use serde::Serialize;

pub use crate::kafka_sync::changes::keys::{key_changes, KeyChange};
use crate::kafka_sync::changes::redact::{Redactor, Scrubber};
use crate::kafka_sync::changes::scope::ManagedScope;
use crate::kafka_sync::desired::{ConnectorConfig, DesiredConnector, DesiredState, TargetState};
use crate::kafka_sync::observed::{ConnectVersion, ObservedCluster, ObservedConnector, RunState};
use crate::kafka_sync::topics::diff::{TopicOptions, TopicPlan};

/// Keys that name a Debezium connector's identity: changing one effectively starts a new
/// pipeline (new topics, a new snapshot, a new replication slot or publication).
pub const IDENTITY_KEYS: &[(&str, &str)] = &[
    (
        "topic.prefix",
        "records go to new topics and a new snapshot is taken",
    ),
    (
        "database.server.name",
        "records go to new topics and a new snapshot is taken (Debezium 1.x topic prefix)",
    ),
    (
        "database.server.id",
        "MySQL sees a different replica; binlog position tracking starts over",
    ),
    (
        "slot.name",
        "a new PostgreSQL replication slot is used; the old one keeps retaining WAL",
    ),
    (
        "publication.name",
        "a different PostgreSQL publication is streamed",
    ),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffOptions {
    pub scope: ManagedScope,
    /// Delete connectors in the scope that are not in Git.
    pub prune: bool,
    pub redactor: Redactor,
    /// Create or change connectors outside the scope (another team's, say). Off: such writes
    /// are refused, naming each connector, and nothing is written.
    pub allow_unmanaged_writes: bool,
    /// The cluster's topics: brokers, scope and the per-run deletion flag.
    pub topics: TopicOptions,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiffError {
    #[error("prune was requested but no managed scope is configured (set a managed prefix or connector allow-list): Switchyard deletes only connectors it manages")]
    PruneWithoutScope,
    /// Desired connectors outside the managed scope whose apply would write (`name (file): what`).
    #[error("refusing to write connectors outside the managed scope ({scope}): {}; nothing was written (allow_unmanaged_writes on the cluster allows it)", .refused.join(", "))]
    OutsideScope { scope: String, refused: Vec<String> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateChange {
    /// `None` when the cluster did not report a state.
    pub from: Option<RunState>,
    pub to: TargetState,
}

/// A change to a key that names the connector's identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DangerousChange {
    pub key: String,
    pub why: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ChangeKind {
    Create {
        state: TargetState,
        /// The whole config, secrets redacted.
        config: BTreeMap<String, String>,
    },
    Update {
        changes: Vec<KeyChange>,
        #[serde(skip_serializing_if = "Option::is_none")]
        state: Option<StateChange>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        dangerous: Vec<DangerousChange>,
    },
    /// Only the run state differs: pause, resume or stop; no config write.
    SetState {
        state: StateChange,
    },
    Delete,
    Unchanged {
        #[serde(skip_serializing_if = "Option::is_none")]
        observed: Option<RunState>,
    },
}

impl ChangeKind {
    pub fn label(&self) -> &'static str {
        match self {
            ChangeKind::Create { .. } => "create",
            ChangeKind::Update { .. } => "update",
            ChangeKind::SetState { .. } => "state",
            ChangeKind::Delete => "delete",
            ChangeKind::Unchanged { .. } => "unchanged",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectorChange {
    pub name: String,
    #[serde(flatten)]
    pub kind: ChangeKind,
    /// What to write (absent for deletions). Never serialized: it holds unredacted values.
    #[serde(skip)]
    pub desired: Option<DesiredConnector>,
}

impl ConnectorChange {
    /// Does applying this entry write to the cluster?
    pub fn writes(&self) -> bool {
        !matches!(self.kind, ChangeKind::Unchanged { .. })
    }

    pub fn dangerous(&self) -> &[DangerousChange] {
        match &self.kind {
            ChangeKind::Update { dangerous, .. } => dangerous,
            _ => &[],
        }
    }
}

/// Counts, also the CodePipeline output variables `Created`, `Updated`, `Deleted`, `Unchanged`
/// (state-only changes count as updates).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Summary {
    pub created: usize,
    pub updated: usize,
    pub deleted: usize,
    pub unchanged: usize,
}

impl Summary {
    pub fn has_changes(&self) -> bool {
        self.created + self.updated + self.deleted > 0
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} to create, {} to update, {} to delete, {} unchanged",
            self.created, self.updated, self.deleted, self.unchanged
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangePlan {
    pub environment: String,
    pub cluster_version: String,
    /// Parsed `cluster_version`: decides stop / `initial_state` support when applying.
    #[serde(skip)]
    pub version: Option<ConnectVersion>,
    pub summary: Summary,
    /// Desired connectors and deletions, by name.
    pub connectors: Vec<ConnectorChange>,
    /// On the cluster, not in Git, outside the managed scope: reported, never touched.
    pub unmanaged: Vec<String>,
    /// In the managed scope, not in Git, prune off: deleted only with prune.
    pub not_pruned: Vec<String>,
    /// Failed connectors the plan does not rewrite (their trace is in `failing`).
    pub failing: Vec<FailingConnector>,
    pub warnings: Vec<String>,
    /// The cluster's topics ([`crate::kafka_sync::topics::diff`]); left out when none are in play.
    #[serde(skip_serializing_if = "TopicPlan::is_empty")]
    pub topics: TopicPlan,
    /// Cleans Connect's messages and traces about this plan's connectors of their secret values
    /// (desired and stored). Never serialized; its `Debug` shows no value.
    #[serde(skip)]
    pub scrubber: Scrubber,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailingConnector {
    pub name: String,
    pub trace: String,
}

impl ChangePlan {
    /// Connector or topic changes.
    pub fn has_changes(&self) -> bool {
        self.summary.has_changes() || self.topics.has_changes()
    }

    pub fn changed(&self) -> impl Iterator<Item = &ConnectorChange> {
        self.connectors.iter().filter(|c| c.writes())
    }

    /// Refuses a plan with dangerous changes unless allowed. Pure; checked before anything is
    /// written.
    pub fn check_dangerous(&self, allow: bool) -> Result<(), DangerousChanges> {
        let dangerous: Vec<String> = self
            .connectors
            .iter()
            .flat_map(|c| {
                c.dangerous()
                    .iter()
                    .map(move |d| format!("{} {}", c.name, d.key))
            })
            .collect();
        if allow || dangerous.is_empty() {
            Ok(())
        } else {
            Err(DangerousChanges(dangerous))
        }
    }
}

/// Identity-key changes (`connector key`, one each) that were not approved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("dangerous identity-key changes need explicit approval (allow dangerous changes): {}", .0.join(", "))]
pub struct DangerousChanges(pub Vec<String>);

/// The diff. Pure: same inputs, same plan.
pub fn diff(
    desired: &DesiredState,
    observed: &ObservedCluster,
    options: &DiffOptions,
) -> Result<ChangePlan, DiffError> {
    if options.prune && options.scope.is_unset() {
        return Err(DiffError::PruneWithoutScope);
    }
    let redactor = &options.redactor;
    let scrubber = redactor.scrubber(
        desired.connectors.values().map(|c| &c.config).chain(
            observed
                .connectors
                .values()
                .filter_map(|c| c.config.as_ref()),
        ),
    );
    let mut connectors = Vec::new();
    let mut warnings = Vec::new();
    let mut failing = Vec::new();
    let mut refused = Vec::new();
    for (name, want) in &desired.connectors {
        let outside = !options.scope.contains(name);
        if outside && !options.scope.is_unset() && options.allow_unmanaged_writes {
            warnings.push(format!(
                "{name:?} ({}) is outside the managed scope ({}): it is applied, but would never be pruned",
                want.file,
                options.scope.describe()
            ));
        }
        let kind = match observed.connectors.get(name) {
            None => ChangeKind::Create {
                state: want.state,
                config: shown_config(&want.config, &scrubber),
            },
            Some(have) => {
                if let Some(trace) = have.status.as_ref().and_then(|s| s.failure()) {
                    failing.push(FailingConnector {
                        name: name.clone(),
                        trace: scrubber.scrub(&trace),
                    });
                }
                diff_existing(want, have, &scrubber)
            }
        };
        if want.state == TargetState::Stopped
            && !matches!(kind, ChangeKind::Unchanged { .. })
            && observed.version.is_some_and(|v| !v.supports_stop())
        {
            warnings.push(format!(
                "{name:?} should be stopped, but Kafka Connect {} has no STOPPED state (3.5+): it will be paused instead",
                observed.version_text
            ));
        }
        if outside
            && !options.allow_unmanaged_writes
            && !matches!(kind, ChangeKind::Unchanged { .. })
        {
            refused.push(format!(
                "{name:?} ({}) would be {}",
                want.file,
                written(&kind)
            ));
        }
        connectors.push(ConnectorChange {
            name: name.clone(),
            kind,
            desired: Some(want.clone()),
        });
    }
    if !refused.is_empty() {
        return Err(DiffError::OutsideScope {
            scope: options.scope.describe(),
            refused,
        });
    }
    let mut unmanaged = Vec::new();
    let mut not_pruned = Vec::new();
    for name in observed.connectors.keys() {
        if desired.connectors.contains_key(name) {
            continue;
        }
        if options.scope.is_unset() || !options.scope.contains(name) {
            unmanaged.push(name.clone());
        } else if options.prune {
            connectors.push(ConnectorChange {
                name: name.clone(),
                kind: ChangeKind::Delete,
                desired: None,
            });
        } else {
            not_pruned.push(name.clone());
        }
    }
    connectors.sort_by(|a, b| a.name.cmp(&b.name));
    let mut summary = Summary::default();
    for c in &connectors {
        match c.kind {
            ChangeKind::Create { .. } => summary.created += 1,
            ChangeKind::Update { .. } | ChangeKind::SetState { .. } => summary.updated += 1,
            ChangeKind::Delete => summary.deleted += 1,
            ChangeKind::Unchanged { .. } => summary.unchanged += 1,
        }
    }
    Ok(ChangePlan {
        environment: desired.environment.clone(),
        cluster_version: observed.version_text.clone(),
        version: observed.version,
        summary,
        connectors,
        unmanaged,
        not_pruned,
        failing,
        warnings,
        topics: TopicPlan::default(),
        scrubber,
    })
}

/// What applying `kind` does to a connector, for the refusal's message.
fn written(kind: &ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Create { .. } => "created",
        ChangeKind::Update { .. } => "overwritten",
        ChangeKind::SetState { .. } => "paused, resumed or stopped",
        ChangeKind::Delete | ChangeKind::Unchanged { .. } => "left alone",
    }
}

fn shown_config(config: &ConnectorConfig, shown: &Scrubber) -> BTreeMap<String, String> {
    config
        .0
        .iter()
        .map(|(k, v)| (k.clone(), shown.show(k, v)))
        .collect()
}

fn diff_existing(
    want: &DesiredConnector,
    have: &ObservedConnector,
    shown: &Scrubber,
) -> ChangeKind {
    let empty = ConnectorConfig::default();
    let stored = have.config.as_ref().unwrap_or(&empty);
    let changes = key_changes(stored, &want.config, shown);
    let observed_state = have.status.as_ref().map(|s| s.state);
    let state = state_change(observed_state, want.state);
    if changes.is_empty() {
        return match state {
            Some(state) => ChangeKind::SetState { state },
            None => ChangeKind::Unchanged {
                observed: observed_state,
            },
        };
    }
    let dangerous = changes
        .iter()
        .filter_map(|c| {
            IDENTITY_KEYS
                .iter()
                .find(|(key, _)| *key == c.key)
                .map(|(key, why)| DangerousChange {
                    key: (*key).to_owned(),
                    why,
                })
        })
        .collect();
    ChangeKind::Update {
        changes,
        state,
        dangerous,
    }
}

/// The pause / resume / stop needed to reach `want`, if any. FAILED, UNASSIGNED and RESTARTING
/// are not target states: a failed connector is reported (and optionally restarted), not resumed.
pub fn state_change(observed: Option<RunState>, want: TargetState) -> Option<StateChange> {
    let observed_state = observed?;
    let reached = match want {
        TargetState::Running => !matches!(observed_state, RunState::Paused | RunState::Stopped),
        TargetState::Paused => observed_state == RunState::Paused,
        TargetState::Stopped => observed_state == RunState::Stopped,
    };
    (!reached).then_some(StateChange {
        from: observed,
        to: want,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::kafka_sync::desired::load::tests::file;
    use crate::kafka_sync::desired::{self};
    use crate::kafka_sync::observed;
    use serde_json::json;

    pub fn desired_state() -> DesiredState {
        desired::load(
            &[
                file("environments/test.yaml", "n: 2\n"),
                file(
                    "a.yaml",
                    "name: sy-new\nconfig: {connector.class: FileStreamSource, file: /tmp/a, topic: a, database.password: hunter2}\n",
                ),
                file(
                    "b.yaml",
                    "name: sy-changed\nconfig: {connector.class: FileStreamSource, file: /tmp/b, topic: b, tasks.max: \"{{ env.n }}\", topic.prefix: new, database.password: s3cret-new}\n",
                ),
                file(
                    "c.yaml",
                    "name: sy-same\nconfig: {connector.class: FileStreamSink, file: /tmp/c, topics: c}\n",
                ),
                file(
                    "d.yaml",
                    "name: sy-paused\nstate: paused\nconfig: {connector.class: FileStreamSink, file: /tmp/d, topics: d}\n",
                ),
            ],
            "test",
        )
        .unwrap()
    }

    pub fn observed_cluster() -> ObservedCluster {
        let running = json!({"connector": {"state": "RUNNING", "worker_id": "w"}, "tasks": [{"id": 0, "state": "RUNNING", "worker_id": "w"}]});
        observed::observe(
            &json!({"version": "3.9.0"}),
            &json!({
                "sy-changed": {"info": {"config": {"name": "sy-changed", "connector.class": "FileStreamSource", "file": "/tmp/b", "topic": "b", "tasks.max": "1", "topic.prefix": "old", "database.password": "s3cret-old", "obsolete": "x"}}, "status": running},
                "sy-same": {"info": {"config": {"name": "sy-same", "connector.class": "FileStreamSink", "file": "/tmp/c", "topics": "c"}}, "status": running},
                "sy-paused": {"info": {"config": {"name": "sy-paused", "connector.class": "FileStreamSink", "file": "/tmp/d", "topics": "d"}}, "status": running},
                "sy-orphan": {"info": {"config": {"name": "sy-orphan", "connector.class": "X"}}, "status": running},
                "team-b-thing": {"info": {"config": {"name": "team-b-thing", "connector.class": "X"}}, "status": running},
            }),
        )
        .unwrap()
    }

    pub fn options(prune: bool) -> DiffOptions {
        DiffOptions {
            scope: ManagedScope::new(vec!["sy-".into()], []),
            prune,
            redactor: Redactor::default(),
            allow_unmanaged_writes: false,
            topics: TopicOptions::default(),
        }
    }

    fn entry<'a>(p: &'a ChangePlan, name: &str) -> &'a ConnectorChange {
        p.connectors.iter().find(|c| c.name == name).unwrap()
    }

    #[test]
    fn diffs_create_update_state_unchanged() {
        let p = diff(&desired_state(), &observed_cluster(), &options(false)).unwrap();
        assert_eq!(
            p.summary,
            Summary {
                created: 1,
                updated: 2,
                deleted: 0,
                unchanged: 1
            }
        );
        assert!(matches!(
            entry(&p, "sy-new").kind,
            ChangeKind::Create {
                state: TargetState::Running,
                ..
            }
        ));
        assert!(matches!(
            entry(&p, "sy-same").kind,
            ChangeKind::Unchanged {
                observed: Some(RunState::Running)
            }
        ));
        assert_eq!(
            entry(&p, "sy-paused").kind,
            ChangeKind::SetState {
                state: StateChange {
                    from: Some(RunState::Running),
                    to: TargetState::Paused
                }
            }
        );
        let ChangeKind::Update {
            changes,
            dangerous,
            state,
        } = &entry(&p, "sy-changed").kind
        else {
            panic!("expected an update");
        };
        assert_eq!(state, &None);
        let keys: Vec<&str> = changes.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys,
            ["database.password", "obsolete", "tasks.max", "topic.prefix"]
        );
        let tasks = &changes[2];
        assert_eq!(
            (tasks.before.as_deref(), tasks.after.as_deref()),
            (Some("1"), Some("2"))
        );
        assert_eq!(changes[1].after, None, "removed keys are changes too");
        assert_eq!(dangerous.len(), 1);
        assert_eq!(dangerous[0].key, "topic.prefix");
        assert_eq!(p.unmanaged, ["team-b-thing"]);
        assert_eq!(p.not_pruned, ["sy-orphan"]);
        assert!(entry(&p, "sy-new").desired.is_some());
    }

    #[test]
    fn prune_deletes_only_inside_the_scope() {
        let p = diff(&desired_state(), &observed_cluster(), &options(true)).unwrap();
        assert!(matches!(entry(&p, "sy-orphan").kind, ChangeKind::Delete));
        assert!(p.connectors.iter().all(|c| c.name != "team-b-thing"));
        assert_eq!(p.unmanaged, ["team-b-thing"]);
        assert_eq!(p.summary.deleted, 1);
        let unscoped = DiffOptions {
            scope: ManagedScope::default(),
            ..options(true)
        };
        assert_eq!(
            diff(&desired_state(), &observed_cluster(), &unscoped).unwrap_err(),
            DiffError::PruneWithoutScope
        );
        let no_prune = DiffOptions {
            scope: ManagedScope::default(),
            allow_unmanaged_writes: true,
            ..options(false)
        };
        let p = diff(&desired_state(), &observed_cluster(), &no_prune).unwrap();
        assert_eq!(
            p.unmanaged,
            ["sy-orphan", "team-b-thing"],
            "without a scope nothing is Switchyard's"
        );
    }

    /// The scope protects other teams' connectors from writes too, not only from prune: a desired
    /// state naming `team-b-thing` (overwrite) or `team-c-new` (create) is refused, each named,
    /// unless the cluster opts in.
    #[test]
    fn writes_outside_the_scope_are_refused_naming_each_connector() {
        let mut desired = desired_state();
        let mut foreign = desired.connectors["sy-new"].clone();
        for (name, file) in [("team-b-thing", "b.yaml"), ("team-c-new", "c.yaml")] {
            foreign.name = name.into();
            foreign.file = file.into();
            desired.connectors.insert(name.into(), foreign.clone());
        }
        let err = diff(&desired, &observed_cluster(), &options(true)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "refusing to write connectors outside the managed scope (prefix sy-): \"team-b-thing\" (b.yaml) would be overwritten, \"team-c-new\" (c.yaml) would be created; nothing was written (allow_unmanaged_writes on the cluster allows it)"
        );
        let unscoped = DiffOptions {
            scope: ManagedScope::default(),
            ..options(false)
        };
        assert!(
            matches!(
                diff(&desired_state(), &observed_cluster(), &unscoped),
                Err(DiffError::OutsideScope { .. })
            ),
            "without a scope, nothing is Switchyard's to write"
        );
        let allowed = DiffOptions {
            allow_unmanaged_writes: true,
            ..options(true)
        };
        let p = diff(&desired, &observed_cluster(), &allowed).unwrap();
        assert!(matches!(
            entry(&p, "team-c-new").kind,
            ChangeKind::Create { .. }
        ));
        assert!(p
            .warnings
            .iter()
            .any(|w| w.contains("\"team-b-thing\" (b.yaml) is outside the managed scope")));
    }

    #[test]
    fn in_sync_cluster_plans_no_write() {
        let desired = desired_state();
        let mut observed = observed_cluster();
        for (name, c) in &desired.connectors {
            let status = observed::parse_status(
                "test",
                &json!({"connector": {"state": c.state.as_connect()}, "tasks": []}),
            )
            .unwrap();
            observed.connectors.insert(
                name.clone(),
                ObservedConnector {
                    config: Some(c.config.clone()),
                    status: Some(status),
                },
            );
        }
        let p = diff(&desired, &observed, &options(false)).unwrap();
        assert!(!p.has_changes());
        assert_eq!(p.changed().count(), 0);
        assert_eq!(p.summary.unchanged, 4);
    }

    #[test]
    fn secrets_are_redacted_in_every_rendering() {
        let redactor = Redactor::default().with_password_keys(["file".to_owned()]);
        let opts = DiffOptions {
            redactor,
            ..options(true)
        };
        let p = diff(&desired_state(), &observed_cluster(), &opts).unwrap();
        let renderings = [
            serde_json::to_string(&p).unwrap(),
            format!("{p:?}"),
            p.to_string(),
        ];
        for text in renderings {
            for secret in ["hunter2", "s3cret-old", "s3cret-new", "/tmp/a", "/tmp/b"] {
                assert!(!text.contains(secret), "{secret} leaked in:\n{text}");
            }
            assert!(text.contains("<redacted>"));
        }
    }

    #[test]
    fn state_changes() {
        use RunState::*;
        assert_eq!(state_change(Some(Running), TargetState::Running), None);
        assert_eq!(state_change(Some(Failed), TargetState::Running), None);
        assert!(state_change(Some(Paused), TargetState::Running).is_some());
        assert!(state_change(Some(Stopped), TargetState::Running).is_some());
        assert!(state_change(Some(Running), TargetState::Stopped).is_some());
        assert_eq!(state_change(None, TargetState::Paused), None);
    }

    #[test]
    fn stop_on_old_clusters_is_warned() {
        let mut desired = desired_state();
        desired.connectors.get_mut("sy-paused").unwrap().state = TargetState::Stopped;
        let mut observed = observed_cluster();
        observed.version = ConnectVersion::parse("3.4.0");
        observed.version_text = "3.4.0".into();
        let p = diff(&desired, &observed, &options(false)).unwrap();
        assert!(
            p.warnings.iter().any(|w| w.contains("no STOPPED state")),
            "{:?}",
            p.warnings
        );
    }
}
