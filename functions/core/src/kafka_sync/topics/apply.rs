//! Writing the topic part of a plan. The order of a whole apply ([`crate::kafka_sync::run`]):
//! topic creates and updates first, then the connectors — except those that name a topic whose
//! write failed ([`blocked_connectors`]) —, then connector deletions, then topic deletions last;
//! a failed topic write cancels every deletion, as a failed connector write does.
//!
//! Every topic write goes through [`write_topic`] (one place to observe or report writes), with
//! Kafka's retriable errors retried on the connectors' backoff and deadline.
//!
//! Which connectors depend on a topic: those whose config names it in `topic`, `topics`,
//! `kafka.topic` or `errors.deadletterqueue.topic.name` (comma-separated lists, as Connect reads
//! them), or whose `topic.prefix` (Debezium) is the topic's name or its dotted prefix. A
//! `topics.regex` sink is not matched (no regular expressions are evaluated here): it is written
//! even when a topic it would read failed, and simply finds no records there.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::stream::{self, StreamExt};

use crate::kafka_sync::apply::{ApplyOptions, ApplyReport, WriteOutcome, WriteResult};
use crate::kafka_sync::changes::ChangePlan;
use crate::kafka_sync::ports::Clock;
use crate::kafka_sync::retry::with_retries;
use crate::kafka_sync::topics::diff::{TopicChange, TopicChangeKind, TopicPlan};
use crate::kafka_sync::topics::ports::{AdminError, AdminErrorKind, NewTopicSpec, TopicAdmin};

/// Connector keys whose value lists topic names.
const TOPIC_KEYS: &[&str] = &[
    "topic",
    "topics",
    "kafka.topic",
    "errors.deadletterqueue.topic.name",
];
/// Connector keys whose value prefixes the topics the connector writes.
const TOPIC_PREFIX_KEYS: &[&str] = &["topic.prefix"];

/// The label of a topic write in an apply report.
fn label(kind: &TopicChangeKind) -> &'static str {
    match kind {
        TopicChangeKind::Create { .. } => "create topic",
        TopicChangeKind::Update { .. } => "update topic",
        TopicChangeKind::Delete => "delete topic",
        TopicChangeKind::Unchanged => "unchanged topic",
    }
}

/// The one function every topic write goes through: the requests `change` needs, each retried
/// while Kafka says a retry can help.
pub async fn write_topic<A: TopicAdmin, C: Clock>(
    change: &TopicChange,
    admin: &A,
    clock: &C,
    options: &ApplyOptions,
) -> Result<(), AdminError> {
    let name = change.name.as_str();
    match (&change.kind, &change.desired) {
        (TopicChangeKind::Create { .. }, Some(want)) => {
            let spec = NewTopicSpec {
                name: name.to_owned(),
                partitions: want.partitions,
                replication_factor: want.replication_factor,
                configs: want.config.0.clone(),
            };
            let created = with_retries(
                clock,
                options.backoff,
                options.deadline,
                || admin.create_topic(&spec),
                || async { None },
            )
            .await;
            match created {
                // An earlier attempt landed (its answer was lost): the goal is reached.
                Err(e) if e.kind == AdminErrorKind::AlreadyExists => Ok(()),
                other => other,
            }
        }
        (
            TopicChangeKind::Update {
                partitions, config, ..
            },
            Some(want),
        ) => {
            if let Some(p) = partitions {
                with_retries(
                    clock,
                    options.backoff,
                    options.deadline,
                    || admin.create_partitions(name, p.to),
                    || async { None },
                )
                .await?;
            }
            if !config.is_empty() {
                // The legacy AlterConfigs replaces the whole override set: send all of Git's.
                with_retries(
                    clock,
                    options.backoff,
                    options.deadline,
                    || admin.alter_configs(name, &want.config.0),
                    || async { None },
                )
                .await?;
            }
            Ok(())
        }
        (TopicChangeKind::Delete, _) => match with_retries(
            clock,
            options.backoff,
            options.deadline,
            || admin.delete_topic(name),
            || async { None },
        )
        .await
        {
            Err(e) if e.kind == AdminErrorKind::UnknownTopic => Ok(()), // already gone
            other => other,
        },
        _ => Ok(()),
    }
}

/// Topic creates and updates (bounded concurrency, as connector writes), and a
/// `replication factor` entry, cancelled with what it would take, for every replication factor
/// that differs (the plan reported it; it is not applied).
pub async fn apply_topic_writes<A: TopicAdmin, C: Clock>(
    plan: &TopicPlan,
    admin: &A,
    clock: &C,
    options: &ApplyOptions,
) -> ApplyReport {
    let writes: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| c.writes() && c.kind != TopicChangeKind::Delete)
        .map(|change| async move { outcome(change, admin, clock, options, plan).await })
        .collect();
    let mut results: Vec<WriteResult> = stream::iter(writes)
        .buffer_unordered(options.concurrency.max(1))
        .collect()
        .await;
    results.extend(plan.changes.iter().filter_map(|c| {
        c.replication_differs().map(|r| WriteResult {
            name: c.name.clone(),
            action: "replication factor",
            outcome: WriteOutcome::Cancelled {
                reason: format!(
                    "{} on the cluster, {} in Git: not applied; it takes {}",
                    r.from, r.to, r.what_it_takes
                ),
            },
        })
    }));
    results.sort_by(|a, b| a.name.cmp(&b.name));
    ApplyReport { results }
}

/// Topic deletions, last: cancelled with `cancel` (why) when an earlier write failed.
pub async fn apply_topic_deletes<A: TopicAdmin, C: Clock>(
    plan: &TopicPlan,
    admin: &A,
    clock: &C,
    options: &ApplyOptions,
    cancel: Option<&str>,
) -> ApplyReport {
    let deletes = plan
        .changes
        .iter()
        .filter(|c| c.kind == TopicChangeKind::Delete);
    let results = match cancel {
        Some(reason) => deletes
            .map(|c| WriteResult {
                name: c.name.clone(),
                action: label(&c.kind),
                outcome: WriteOutcome::Cancelled {
                    reason: reason.to_owned(),
                },
            })
            .collect(),
        None => {
            let deletes: Vec<_> = deletes
                .map(|change| async move { outcome(change, admin, clock, options, plan).await })
                .collect();
            stream::iter(deletes)
                .buffer_unordered(options.concurrency.max(1))
                .collect()
                .await
        }
    };
    ApplyReport { results }
}

async fn outcome<A: TopicAdmin, C: Clock>(
    change: &TopicChange,
    admin: &A,
    clock: &C,
    options: &ApplyOptions,
    plan: &TopicPlan,
) -> WriteResult {
    let outcome = match write_topic(change, admin, clock, options).await {
        Ok(()) if change.kind == TopicChangeKind::Delete => WriteOutcome::Deleted,
        Ok(()) => WriteOutcome::Applied,
        Err(e) => WriteOutcome::Failed {
            error: plan.scrubber.scrub(&e.to_string()),
        },
    };
    WriteResult {
        name: change.name.clone(),
        action: label(&change.kind),
        outcome,
    }
}

/// The topics whose write failed (not the replication factors that are only reported).
pub fn failed_topics(report: &ApplyReport) -> BTreeSet<&str> {
    report
        .results
        .iter()
        .filter(|r| matches!(r.outcome, WriteOutcome::Failed { .. }))
        .map(|r| r.name.as_str())
        .collect()
}

/// Connectors of `plan` that name a topic of `failed` (`TOPIC_KEYS`, `TOPIC_PREFIX_KEYS`),
/// with the reason their writes are stopped.
pub fn blocked_connectors(plan: &ChangePlan, failed: &BTreeSet<&str>) -> BTreeMap<String, String> {
    if failed.is_empty() {
        return BTreeMap::new();
    }
    plan.connectors
        .iter()
        .filter_map(|c| {
            let config = &c.desired.as_ref()?.config;
            let named = TOPIC_KEYS
                .iter()
                .filter_map(|k| config.get(k))
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .find(|t| failed.contains(t));
            let prefixed = || {
                TOPIC_PREFIX_KEYS
                    .iter()
                    .filter_map(|k| config.get(k))
                    .find_map(|prefix| {
                        failed
                            .iter()
                            .find(|t| **t == prefix || t.starts_with(&format!("{prefix}.")))
                    })
                    .copied()
            };
            let topic = named.or_else(prefixed)?;
            Some((
                c.name.clone(),
                format!("its topic {topic:?} could not be written"),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Mutex;
    use std::time::Duration;

    use super::*;
    use crate::kafka_sync::apply::writes::tests::FakeConnect;
    use crate::kafka_sync::changes::{DiffOptions, ManagedScope, Redactor};
    use crate::kafka_sync::desired::load::tests::file;
    use crate::kafka_sync::ports::SimulatedClock;
    use crate::kafka_sync::retry::Backoff;
    use crate::kafka_sync::run::{self, AlsoWaitFor};
    use crate::kafka_sync::topics::diff::tests::topic_options;
    use crate::kafka_sync::topics::ports::{TopicMetadata, TopicOverrides};

    /// An in-memory broker: `old.topic` exists; requests go to the same log as the fake Connect's,
    /// so the order across both is visible; scripted errors answer first.
    struct FakeAdmin<'a> {
        log: &'a Mutex<Vec<String>>,
        failures: Mutex<BTreeMap<String, VecDeque<AdminErrorKind>>>,
    }

    impl<'a> FakeAdmin<'a> {
        fn new(connect: &'a FakeConnect) -> Self {
            FakeAdmin {
                log: &connect.requests,
                failures: Mutex::default(),
            }
        }

        fn fail(&self, request: &str, kind: AdminErrorKind, times: usize) {
            let mut f = self.failures.lock().unwrap();
            f.entry(request.into())
                .or_default()
                .extend((0..times).map(|_| kind));
        }

        fn answer(&self, request: String) -> Result<(), AdminError> {
            self.log.lock().unwrap().push(request.clone());
            let failure = self
                .failures
                .lock()
                .unwrap()
                .get_mut(&request)
                .and_then(VecDeque::pop_front);
            match failure {
                Some(kind) => Err(AdminError::new(kind, request, "scripted")),
                None => Ok(()),
            }
        }
    }

    impl TopicAdmin for FakeAdmin<'_> {
        async fn metadata(&self) -> Result<Vec<TopicMetadata>, AdminError> {
            self.answer("Metadata".into())?;
            Ok(vec![TopicMetadata {
                name: "sy.old".into(),
                partitions: 1,
                replication_factor: 1,
            }])
        }
        async fn override_configs(
            &self,
            topics: &[String],
        ) -> Result<BTreeMap<String, TopicOverrides>, AdminError> {
            self.answer("DescribeConfigs".into())?;
            Ok(topics
                .iter()
                .map(|t| (t.clone(), TopicOverrides::default()))
                .collect())
        }
        async fn create_topic(&self, topic: &NewTopicSpec) -> Result<(), AdminError> {
            self.answer(format!("CreateTopics {}", topic.name))
        }
        async fn create_partitions(&self, topic: &str, total: u32) -> Result<(), AdminError> {
            self.answer(format!("CreatePartitions {topic} {total}"))
        }
        async fn alter_configs(
            &self,
            topic: &str,
            _: &BTreeMap<String, String>,
        ) -> Result<(), AdminError> {
            self.answer(format!("AlterConfigs {topic}"))
        }
        async fn delete_topic(&self, topic: &str) -> Result<(), AdminError> {
            self.answer(format!("DeleteTopics {topic}"))
        }
    }

    fn options() -> ApplyOptions {
        ApplyOptions {
            concurrency: 1,
            deadline: Duration::from_secs(60),
            backoff: Backoff::default(),
            allow_dangerous: false,
        }
    }

    /// Two sinks (one reads `sy.a`, one `sy.b`), both topics new, and `sy.old` marked deletable.
    async fn plan(connect: &FakeConnect, admin: &FakeAdmin<'_>) -> ChangePlan {
        let files = [
            file("environments/test.yaml", ""),
            file(
                "topics/t.yaml",
                "topics:\n  - {name: sy.a, partitions: 1}\n  - {name: sy.b, partitions: 1}\n  - {name: sy.old, delete: true}\n",
            ),
            file("a.yaml", "name: sy-a\nconfig: {connector.class: Sink, topics: \"x, sy.a\"}\n"),
            file("b.yaml", "name: sy-b\nconfig: {connector.class: Sink, topics: sy.b}\n"),
        ];
        let diff = DiffOptions {
            scope: ManagedScope::new(vec!["sy-".into()], []),
            prune: true,
            redactor: Redactor::default(),
            allow_unmanaged_writes: false,
            topics: topic_options(false),
        };
        let clock = SimulatedClock::default();
        run::plan_changes(
            &files,
            "test",
            &diff,
            false,
            connect,
            Some(admin),
            &clock,
            &options(),
        )
        .await
        .unwrap()
    }

    async fn apply(
        plan: &ChangePlan,
        connect: &FakeConnect,
        admin: &FakeAdmin<'_>,
    ) -> run::Applied {
        let clock = SimulatedClock::default();
        run::apply_and_wait(
            plan,
            connect,
            Some(admin),
            &clock,
            &options(),
            None,
            AlsoWaitFor::Nothing,
        )
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn topics_first_connectors_next_topic_deletions_last() {
        let connect = FakeConnect::default();
        let admin = FakeAdmin::new(&connect);
        let plan = plan(&connect, &admin).await;
        connect.requests.lock().unwrap().clear();
        admin.fail("CreateTopics sy.a", AdminErrorKind::Retriable, 2);
        let applied = apply(&plan, &connect, &admin).await;
        assert!(applied.converged(), "{:?}", applied.failures());
        assert_eq!(
            connect.requests(),
            [
                "CreateTopics sy.a",
                "CreateTopics sy.a",
                "CreateTopics sy.a",
                "CreateTopics sy.b",
                "PUT sy-a/config",
                "PUT sy-b/config",
                "DeleteTopics sy.old",
            ],
            "a retriable error is retried; deletions come last"
        );
    }

    #[tokio::test]
    async fn a_failed_topic_holds_its_connectors_and_cancels_deletions() {
        let connect = FakeConnect::default();
        let admin = FakeAdmin::new(&connect);
        let plan = plan(&connect, &admin).await;
        connect.requests.lock().unwrap().clear();
        admin.fail("CreateTopics sy.a", AdminErrorKind::Invalid, 1);
        let applied = apply(&plan, &connect, &admin).await;
        assert!(!applied.converged());
        assert_eq!(
            connect.requests(),
            ["CreateTopics sy.a", "CreateTopics sy.b", "PUT sy-b/config"],
            "not retried (invalid); sy-a's write and the deletion are not sent"
        );
        let failures = applied.failures().join("\n");
        for expected in [
            "create topic sy.a: CreateTopics sy.a: scripted",
            "create sy-a: cancelled: its topic \"sy.a\" could not be written",
            "delete topic sy.old: cancelled: 1 topic and 1 connector write(s) failed",
        ] {
            assert!(
                failures.contains(expected),
                "{expected:?} not in {failures}"
            );
        }
    }

    #[test]
    fn connectors_depend_on_named_and_prefixed_topics() {
        let config = |pairs: &[(&str, &str)]| {
            crate::kafka_sync::desired::ConnectorConfig(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        };
        let mut plan = crate::kafka_sync::apply::writes::tests::the_plan(false);
        plan.connectors.truncate(3);
        let configs = [
            config(&[("topic.prefix", "cdc")]),
            config(&[("errors.deadletterqueue.topic.name", "dlq")]),
            config(&[("topics", "cdcx")]),
        ];
        for (c, cfg) in plan.connectors.iter_mut().zip(configs) {
            c.desired.as_mut().unwrap().config = cfg;
        }
        let names: Vec<String> = plan.connectors.iter().map(|c| c.name.clone()).collect();
        let held = blocked_connectors(&plan, &BTreeSet::from(["cdc.public.orders", "dlq"]));
        assert_eq!(
            held.keys().cloned().collect::<Vec<_>>(),
            names[..2].to_vec()
        );
        assert!(blocked_connectors(&plan, &BTreeSet::new()).is_empty());
    }
}
