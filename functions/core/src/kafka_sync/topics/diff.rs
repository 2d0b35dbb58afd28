//! The topic part of the plan: a pure diff of the desired topics against the observed ones.
//!
//! - `create`: in Git, not on the cluster;
//! - `update`: more partitions (increase only: a decrease is an error naming the topic, Kafka
//!   cannot remove partitions), topic-level overrides changed, added or removed (key by key,
//!   values shown through the one redactor), and a replication factor that differs, reported with
//!   what it would take and never applied (it needs a partition reassignment);
//! - `delete`: only inside the managed scope, only with prune, and only for topics marked
//!   `delete: true` in Git, or every topic in scope that is not in Git when the run's explicit
//!   flag says so ([`TopicOptions::delete_unlisted`]);
//! - a desired topic outside the managed scope is refused (nothing is written), and a topic
//!   outside it is never read, listed or touched.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::kafka_sync::brokers::BrokersConfig;
use crate::kafka_sync::changes::keys::{key_changes, KeyChange};
use crate::kafka_sync::changes::redact::{Redactor, Scrubber, REDACTED};
use crate::kafka_sync::changes::scope::ManagedScope;
use crate::kafka_sync::desired::{ConnectorConfig, DesiredState};
use crate::kafka_sync::topics::desired::{TopicSettings, TopicWant};
use crate::kafka_sync::topics::observed::{ObservedTopic, ObservedTopics};

/// How one cluster's topics are planned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicOptions {
    /// The cluster's name in `KAFKA_CLUSTERS` (or the CLI's), for messages.
    pub cluster: String,
    /// The topics Switchyard manages there; `None` when the cluster has no brokers configured
    /// (`kafka`), so a desired topic is an error naming the cluster.
    pub scope: Option<ManagedScope>,
    /// The per-run flag: with prune, delete every topic in scope that is not in Git, not only the
    /// ones marked `delete: true`. Off by default: a topic holds data.
    pub delete_unlisted: bool,
}

impl TopicOptions {
    /// The options of a cluster with `brokers` (or without).
    pub fn for_cluster(cluster: &str, brokers: Option<&BrokersConfig>) -> Self {
        TopicOptions {
            cluster: cluster.to_owned(),
            scope: brokers.map(|b| {
                ManagedScope::new(
                    b.managed_topic_prefixes.clone(),
                    b.managed_topics.iter().cloned(),
                )
            }),
            delete_unlisted: false,
        }
    }
}

/// Why the topics cannot be planned; nothing is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicPlanError {
    #[error("the desired state declares topics ({}) but cluster {cluster:?} has no Kafka brokers configured (`kafka` in KAFKA_CLUSTERS, or --bootstrap-servers)", .topics.join(", "))]
    NoBrokers {
        cluster: String,
        topics: Vec<String>,
    },
    #[error("refusing to write topics outside the managed topic scope of cluster {cluster:?} ({scope}): {}; nothing was written (add them to the cluster's managed_topic_prefixes or managed_topics; in the CLI --managed-topic-prefix or --managed-topics)", .topics.join(", "))]
    OutsideScope {
        cluster: String,
        scope: String,
        topics: Vec<String>,
    },
    #[error("Kafka cannot remove partitions: {}; nothing was written", .0.join(", "))]
    PartitionDecrease(Vec<String>),
    #[error("refusing to delete every managed topic of cluster {0:?}: deleting topics not in Git was asked for, but the desired state declares no topic")]
    DeleteEverything(String),
}

/// More partitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PartitionChange {
    pub from: u32,
    pub to: u32,
}

/// A replication factor that differs: reported, not applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplicationDiffers {
    pub from: u32,
    pub to: u32,
    /// What it would take, for the person who has to do it.
    pub what_it_takes: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum TopicChangeKind {
    Create {
        partitions: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        replication_factor: Option<u32>,
        /// The overrides, values as the redactor shows them.
        config: BTreeMap<String, String>,
    },
    Update {
        #[serde(skip_serializing_if = "Option::is_none")]
        partitions: Option<PartitionChange>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        config: Vec<KeyChange>,
        #[serde(skip_serializing_if = "Option::is_none")]
        replication_factor: Option<ReplicationDiffers>,
    },
    Delete,
    Unchanged,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicChange {
    pub name: String,
    #[serde(flatten)]
    pub kind: TopicChangeKind,
    /// What to write (creates and updates). Never serialized: it holds unredacted values.
    #[serde(skip)]
    pub desired: Option<TopicSettings>,
}

impl TopicChange {
    /// Does applying this entry send a write? (A replication-factor difference alone does not.)
    pub fn writes(&self) -> bool {
        match &self.kind {
            TopicChangeKind::Create { .. } | TopicChangeKind::Delete => true,
            TopicChangeKind::Update {
                partitions, config, ..
            } => partitions.is_some() || !config.is_empty(),
            TopicChangeKind::Unchanged => false,
        }
    }

    pub fn replication_differs(&self) -> Option<&ReplicationDiffers> {
        match &self.kind {
            TopicChangeKind::Update {
                replication_factor, ..
            } => replication_factor.as_ref(),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TopicSummary {
    pub created: usize,
    pub updated: usize,
    pub deleted: usize,
    pub unchanged: usize,
    /// Replication factors that differ (reported, not applied).
    pub not_applied: usize,
}

impl TopicSummary {
    pub fn has_changes(&self) -> bool {
        self.created + self.updated + self.deleted + self.not_applied > 0
    }
}

impl std::fmt::Display for TopicSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} to create, {} to update, {} to delete, {} unchanged",
            self.created, self.updated, self.deleted, self.unchanged
        )?;
        if self.not_applied > 0 {
            write!(
                f,
                ", {} replication factor(s) differ (not applied)",
                self.not_applied
            )?;
        }
        Ok(())
    }
}

/// The topic part of a plan. Empty (and left out of the JSON) when the cluster has no topics in
/// play.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TopicPlan {
    /// Whether topics were planned at all (a cluster with brokers, or desired topics).
    #[serde(skip)]
    pub planned: bool,
    pub summary: TopicSummary,
    pub changes: Vec<TopicChange>,
    /// In the managed scope and not in Git, or marked `delete: true`, but not deleted (prune off,
    /// or not marked and no per-run flag).
    pub not_pruned: Vec<String>,
    /// Cleans Kafka's messages about these topics of their secret values. Never serialized.
    #[serde(skip)]
    pub scrubber: Scrubber,
}

impl TopicPlan {
    /// Nothing to show: no topic planned.
    pub fn is_empty(&self) -> bool {
        !self.planned
    }

    pub fn has_changes(&self) -> bool {
        self.summary.has_changes()
    }
}

/// Checks made before the topics are read: desired topics need brokers and must be in scope.
/// Returns the scope to read (`None`: no topics in play: none declared, and none managed or no
/// brokers).
pub fn check_topics<'a>(
    desired: &DesiredState,
    options: &'a TopicOptions,
    has_admin: bool,
) -> Result<Option<&'a ManagedScope>, TopicPlanError> {
    let no_scope = options.scope.as_ref().is_none_or(ManagedScope::is_unset);
    if desired.topics.is_empty() && no_scope {
        // No topic declared and none managed: topics are not in play (not even read).
        return Ok(None);
    }
    let scope = match (&options.scope, has_admin) {
        (Some(scope), true) => scope,
        _ if desired.topics.is_empty() => return Ok(None),
        _ => {
            return Err(TopicPlanError::NoBrokers {
                cluster: options.cluster.clone(),
                topics: desired.topics.keys().cloned().collect(),
            })
        }
    };
    let outside: Vec<String> = desired
        .topics
        .values()
        .filter(|t| !scope.contains(&t.name))
        .map(|t| format!("{:?} ({})", t.name, t.file))
        .collect();
    if !outside.is_empty() {
        return Err(TopicPlanError::OutsideScope {
            cluster: options.cluster.clone(),
            scope: scope.describe(),
            topics: outside,
        });
    }
    if options.delete_unlisted && desired.topics.is_empty() {
        return Err(TopicPlanError::DeleteEverything(options.cluster.clone()));
    }
    Ok(Some(scope))
}

/// The diff. Pure: same inputs, same plan. `scope` is what [`check_topics`] returned; `observed`
/// holds only topics in it.
pub fn diff_topics(
    desired: &DesiredState,
    observed: &ObservedTopics,
    scope: &ManagedScope,
    options: &TopicOptions,
    prune: bool,
    redactor: &Redactor,
) -> Result<TopicPlan, TopicPlanError> {
    let sensitive = observed
        .topics
        .values()
        .flat_map(|t| t.overrides.sensitive.iter().cloned());
    let redactor = redactor.clone().with_password_keys(sensitive);
    let stored: BTreeMap<&String, ConnectorConfig> = observed
        .topics
        .iter()
        .map(|(name, t)| {
            let want = desired.topics.get(name).and_then(|d| d.settings());
            (name, stored_overrides(t, want))
        })
        .collect();
    let scrubber = redactor.scrubber(
        desired
            .topics
            .values()
            .filter_map(|t| t.settings().map(|s| &s.config))
            .chain(stored.values()),
    );
    let mut changes = Vec::new();
    let mut decreases = Vec::new();
    let mut not_pruned = Vec::new();
    for (name, topic) in &desired.topics {
        let have = observed.topics.get(name);
        let kind = match (&topic.want, have) {
            (TopicWant::Present(want), None) => TopicChangeKind::Create {
                partitions: want.partitions,
                replication_factor: want.replication_factor,
                config: want
                    .config
                    .0
                    .iter()
                    .map(|(k, v)| (k.clone(), scrubber.show(k, v)))
                    .collect(),
            },
            (TopicWant::Present(want), Some(have)) => {
                if want.partitions < have.partitions {
                    decreases.push(format!(
                        "topic {name:?} ({}) has {} partitions, Git says {}",
                        topic.file, have.partitions, want.partitions
                    ));
                }
                update(name, want, have, &stored[name], &scrubber)
            }
            (TopicWant::Deleted, None) => continue,
            (TopicWant::Deleted, Some(_)) if prune => TopicChangeKind::Delete,
            (TopicWant::Deleted, Some(_)) => {
                not_pruned.push(name.clone());
                continue;
            }
        };
        changes.push(TopicChange {
            name: name.clone(),
            kind,
            desired: topic.settings().cloned(),
        });
    }
    if !decreases.is_empty() {
        return Err(TopicPlanError::PartitionDecrease(decreases));
    }
    for name in observed.topics.keys() {
        if desired.topics.contains_key(name) || !scope.contains(name) {
            continue;
        }
        if prune && options.delete_unlisted {
            changes.push(TopicChange {
                name: name.clone(),
                kind: TopicChangeKind::Delete,
                desired: None,
            });
        } else {
            not_pruned.push(name.clone());
        }
    }
    changes.sort_by(|a, b| a.name.cmp(&b.name));
    let mut summary = TopicSummary::default();
    for c in &changes {
        match &c.kind {
            TopicChangeKind::Create { .. } => summary.created += 1,
            TopicChangeKind::Delete => summary.deleted += 1,
            TopicChangeKind::Unchanged => summary.unchanged += 1,
            TopicChangeKind::Update { .. } => {
                if c.writes() {
                    summary.updated += 1;
                }
                if c.replication_differs().is_some() {
                    summary.not_applied += 1;
                }
            }
        }
    }
    Ok(TopicPlan {
        planned: true,
        summary,
        changes,
        not_pruned,
        scrubber,
    })
}

/// The observed overrides as a config map. A sensitive value the broker hides is taken as the
/// desired one when Git has the key (it cannot be compared), and shown as redacted otherwise.
fn stored_overrides(have: &ObservedTopic, want: Option<&TopicSettings>) -> ConnectorConfig {
    ConnectorConfig(
        have.overrides
            .values
            .iter()
            .map(|(k, v)| {
                let value = match v {
                    Some(v) => v.clone(),
                    None => want
                        .and_then(|w| w.config.get(k))
                        .unwrap_or(REDACTED)
                        .to_owned(),
                };
                (k.clone(), value)
            })
            .collect(),
    )
}

fn update(
    name: &str,
    want: &TopicSettings,
    have: &ObservedTopic,
    stored: &ConnectorConfig,
    scrubber: &Scrubber,
) -> TopicChangeKind {
    let partitions = (want.partitions > have.partitions).then_some(PartitionChange {
        from: have.partitions,
        to: want.partitions,
    });
    let config = key_changes(stored, &want.config, scrubber);
    let replication_factor = want
        .replication_factor
        .filter(|rf| *rf != have.replication_factor)
        .map(|to| ReplicationDiffers {
            from: have.replication_factor,
            to,
            what_it_takes: format!(
                "a partition reassignment of all {} partitions of {name} to {to} replicas each (kafka-reassign-partitions.sh --execute with a reassignment plan, then --verify)",
                want.partitions.max(have.partitions)
            ),
        });
    if partitions.is_none() && config.is_empty() && replication_factor.is_none() {
        TopicChangeKind::Unchanged
    } else {
        TopicChangeKind::Update {
            partitions,
            config,
            replication_factor,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::kafka_sync::desired::load::tests::file;
    use crate::kafka_sync::desired::{self, SourceFile};
    use crate::kafka_sync::topics::ports::TopicOverrides;

    pub fn topic_files(topics: &str) -> Vec<SourceFile> {
        vec![
            file("environments/test.yaml", "retention: 86400000\n"),
            file("topics/t.yaml", &format!("topics:\n{topics}")),
        ]
    }

    /// name, partitions, replication factor, overrides.
    type Topic<'a> = (&'a str, u32, u32, &'a [(&'a str, &'a str)]);

    pub fn observed(topics: &[Topic<'_>]) -> ObservedTopics {
        ObservedTopics {
            topics: topics
                .iter()
                .map(|(name, partitions, replication_factor, configs)| {
                    let overrides = TopicOverrides {
                        values: configs
                            .iter()
                            .map(|(k, v)| (k.to_string(), Some(v.to_string())))
                            .collect(),
                        sensitive: Default::default(),
                    };
                    (
                        name.to_string(),
                        ObservedTopic {
                            partitions: *partitions,
                            replication_factor: *replication_factor,
                            overrides,
                        },
                    )
                })
                .collect(),
        }
    }

    pub fn topic_options(delete_unlisted: bool) -> TopicOptions {
        TopicOptions {
            cluster: "main".into(),
            scope: Some(ManagedScope::new(vec!["sy.".into()], [])),
            delete_unlisted,
        }
    }

    fn plan(
        topics: &str,
        observed: &ObservedTopics,
        prune: bool,
        delete_unlisted: bool,
    ) -> Result<TopicPlan, TopicPlanError> {
        let desired = desired::load(&topic_files(topics), "test").unwrap();
        let options = topic_options(delete_unlisted);
        let scope = check_topics(&desired, &options, true)?.unwrap().clone();
        diff_topics(
            &desired,
            observed,
            &scope,
            &options,
            prune,
            &Redactor::default(),
        )
    }

    const SAMPLE: &str = "  - name: sy.new\n    partitions: 3\n    config: {retention.ms: \"{{ env.retention }}\"}\n  - name: sy.grown\n    partitions: 6\n    replication_factor: 1\n    config: {retention.ms: 1000, max.message.bytes: 2048}\n  - name: sy.same\n    partitions: 1\n    config: {cleanup.policy: compact}\n  - name: sy.rf\n    partitions: 2\n    replication_factor: 3\n  - name: sy.gone\n    delete: true\n";

    fn sample_observed() -> ObservedTopics {
        observed(&[
            (
                "sy.grown",
                3,
                1,
                &[("retention.ms", "500"), ("segment.ms", "60000")],
            ),
            ("sy.same", 1, 1, &[("cleanup.policy", "compact")]),
            ("sy.rf", 2, 1, &[]),
            ("sy.gone", 1, 1, &[]),
            ("sy.stray", 1, 1, &[]),
        ])
    }

    #[test]
    fn create_partitions_config_replication_and_unchanged() {
        let p = plan(SAMPLE, &sample_observed(), false, false).unwrap();
        let by_name = |n: &str| p.changes.iter().find(|c| c.name == n).unwrap();
        assert_eq!(
            by_name("sy.new").kind,
            TopicChangeKind::Create {
                partitions: 3,
                replication_factor: None,
                config: BTreeMap::from([("retention.ms".into(), "86400000".into())]),
            }
        );
        let TopicChangeKind::Update {
            partitions, config, ..
        } = &by_name("sy.grown").kind
        else {
            panic!("{:?}", by_name("sy.grown"))
        };
        assert_eq!(*partitions, Some(PartitionChange { from: 3, to: 6 }));
        let keys: Vec<(&str, Option<&str>, Option<&str>)> = config
            .iter()
            .map(|c| (c.key.as_str(), c.before.as_deref(), c.after.as_deref()))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("max.message.bytes", None, Some("2048")),
                ("retention.ms", Some("500"), Some("1000")),
                ("segment.ms", Some("60000"), None),
            ]
        );
        assert_eq!(by_name("sy.same").kind, TopicChangeKind::Unchanged);
        let rf = by_name("sy.rf");
        assert!(!rf.writes(), "a replication factor alone sends nothing");
        assert_eq!(
            rf.replication_differs().map(|r| (r.from, r.to)),
            Some((1, 3))
        );
        assert_eq!(
            p.summary,
            TopicSummary {
                created: 1,
                updated: 1,
                deleted: 0,
                unchanged: 1,
                not_applied: 1,
            }
        );
        assert_eq!(p.not_pruned, vec!["sy.gone", "sy.stray"], "prune is off");
        assert!(p.has_changes());
    }

    #[test]
    fn deletes_need_prune_and_a_mark_or_the_flag() {
        let marked = plan(SAMPLE, &sample_observed(), true, false).unwrap();
        let deleted: Vec<&str> = marked
            .changes
            .iter()
            .filter(|c| c.kind == TopicChangeKind::Delete)
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(deleted, vec!["sy.gone"]);
        assert_eq!(marked.not_pruned, vec!["sy.stray"]);
        let flagged = plan(SAMPLE, &sample_observed(), true, true).unwrap();
        let deleted: Vec<&str> = flagged
            .changes
            .iter()
            .filter(|c| c.kind == TopicChangeKind::Delete)
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(deleted, vec!["sy.gone", "sy.stray"]);
        // The flag alone (no prune) deletes nothing.
        let unpruned = plan(SAMPLE, &sample_observed(), false, true).unwrap();
        assert_eq!(unpruned.summary.deleted, 0);
    }

    #[test]
    fn refusals_name_the_topic_or_the_cluster() {
        let err = plan(
            "  - name: sy.grown\n    partitions: 2\n",
            &sample_observed(),
            false,
            false,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("topic \"sy.grown\" (topics/t.yaml) has 3 partitions, Git says 2"),
            "{err}"
        );
        let desired =
            desired::load(&topic_files("  - name: other\n    partitions: 1\n"), "test").unwrap();
        let err = check_topics(&desired, &topic_options(false), true).unwrap_err();
        assert!(
            err.to_string().contains("outside the managed topic scope of cluster \"main\" (prefix sy.): \"other\" (topics/t.yaml)"),
            "{err}"
        );
        let without = TopicOptions::for_cluster("main", None);
        let err = check_topics(&desired, &without, true).unwrap_err();
        assert!(
            err.to_string().contains(
                "declares topics (other) but cluster \"main\" has no Kafka brokers configured"
            ),
            "{err}"
        );
        let err = check_topics(&desired, &topic_options(false), false).unwrap_err();
        assert!(
            matches!(err, TopicPlanError::NoBrokers { .. }),
            "no admin client: {err}"
        );
        let none = desired::load(&[file("environments/test.yaml", "")], "test").unwrap();
        assert_eq!(
            check_topics(&none, &without, false),
            Ok(None),
            "no topics, no brokers: fine"
        );
        let err = check_topics(&none, &topic_options(true), true).unwrap_err();
        assert_eq!(err, TopicPlanError::DeleteEverything("main".into()));
    }

    /// A value the broker marks sensitive (and hides) is never shown, and its key is redacted in
    /// every rendering of the plan.
    #[test]
    fn sensitive_overrides_are_redacted() {
        let mut observed = observed(&[("sy.s", 1, 1, &[])]);
        let topic = observed.topics.get_mut("sy.s").unwrap();
        topic.overrides.values.insert("retention.ms".into(), None);
        topic.overrides.sensitive.insert("retention.ms".into());
        let p = plan(
            "  - name: sy.s\n    partitions: 1\n    config: {retention.ms: 31415926535}\n",
            &observed,
            false,
            false,
        )
        .unwrap();
        assert_eq!(
            p.changes[0].kind,
            TopicChangeKind::Unchanged,
            "a hidden value cannot be compared: Git's is taken"
        );
        let p = plan(
            "  - name: sy.s\n    partitions: 2\n    config: {retention.ms: 31415926535, segment.ms: 27182818284}\n  - name: sy.t\n    partitions: 1\n    config: {retention.ms: 31415926535}\n",
            &observed,
            false,
            false,
        )
        .unwrap();
        let text = format!("{p}{}{p:?}", serde_json::to_string(&p).unwrap());
        assert!(!text.contains("31415926535"), "{text}");
        assert!(
            text.contains("retention.ms = \"<redacted>\""),
            "the create shows the key: {text}"
        );
        assert!(
            text.contains("27182818284"),
            "other keys stay visible: {text}"
        );
    }
}
