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
use std::time::Duration;

use futures_util::stream::{self, StreamExt};

use crate::kafka_sync::apply::{
    ApplyOptions, ApplyProgress, ApplyReport, ObjectKind, WriteEvent, WriteOutcome, WriteResult,
};
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
pub async fn apply_topic_writes<A: TopicAdmin, C: Clock, P: ApplyProgress>(
    plan: &TopicPlan,
    admin: &A,
    clock: &C,
    options: &ApplyOptions,
    progress: &P,
) -> ApplyReport {
    let writes: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| c.writes() && c.kind != TopicChangeKind::Delete)
        .map(|change| async move { outcome(change, admin, clock, options, plan, progress).await })
        .collect();
    let mut results: Vec<WriteResult> = stream::iter(writes)
        .buffer_unordered(options.concurrency.max(1))
        .collect()
        .await;
    results.extend(plan.changes.iter().filter_map(|c| {
        c.replication_differs().map(|r| {
            let outcome = WriteOutcome::Cancelled {
                reason: format!(
                    "{} on the cluster, {} in Git: not applied; it takes {}",
                    r.from, r.to, r.what_it_takes
                ),
            };
            report(progress, c, "replication factor", &outcome);
            WriteResult {
                name: c.name.clone(),
                action: "replication factor",
                outcome,
            }
        })
    }));
    settle(plan, &results, admin, clock, options).await;
    results.sort_by(|a, b| a.name.cmp(&b.name));
    ApplyReport { results }
}

/// Topic deletions, last: cancelled with `cancel` (why) when an earlier write failed.
pub async fn apply_topic_deletes<A: TopicAdmin, C: Clock, P: ApplyProgress>(
    plan: &TopicPlan,
    admin: &A,
    clock: &C,
    options: &ApplyOptions,
    cancel: Option<&str>,
    progress: &P,
) -> ApplyReport {
    let deletes = plan
        .changes
        .iter()
        .filter(|c| c.kind == TopicChangeKind::Delete);
    let results: Vec<WriteResult> = match cancel {
        Some(reason) => deletes
            .map(|c| {
                let outcome = WriteOutcome::Cancelled {
                    reason: reason.to_owned(),
                };
                report(progress, c, operation(&c.kind), &outcome);
                WriteResult {
                    name: c.name.clone(),
                    action: label(&c.kind),
                    outcome,
                }
            })
            .collect(),
        None => {
            let deletes: Vec<_> = deletes
                .map(|change| async move {
                    outcome(change, admin, clock, options, plan, progress).await
                })
                .collect();
            stream::iter(deletes)
                .buffer_unordered(options.concurrency.max(1))
                .collect()
                .await
        }
    };
    settle(plan, &results, admin, clock, options).await;
    ApplyReport { results }
}

/// How long [`settle`] waits at most for the metadata to show the writes.
const SETTLE_LIMIT: Duration = Duration::from_secs(30);

/// Waits until the brokers show what the writes that succeeded did (created topics with their
/// partitions, partition increases, deleted topics gone, changed overrides in place): the
/// controller acknowledges a write before every broker has applied it, and until then a connector
/// created next may not find its topic and a re-plan would plan the same write again. Per poll,
/// one Metadata request and (when overrides changed) one DescribeConfigs for those topics, on the
/// connectors' backoff, for at most [`SETTLE_LIMIT`] (or the deadline); a write that does not show
/// by then is left as written (the next plan reads the truth).
async fn settle<A: TopicAdmin, C: Clock>(
    plan: &TopicPlan,
    results: &[WriteResult],
    admin: &A,
    clock: &C,
    options: &ApplyOptions,
) {
    let done: BTreeSet<&str> = results
        .iter()
        .filter(|r| matches!(r.outcome, WriteOutcome::Applied | WriteOutcome::Deleted))
        .map(|r| r.name.as_str())
        .collect();
    let written = || {
        plan.changes
            .iter()
            .filter(|c| done.contains(c.name.as_str()))
    };
    // Topic → the partitions it must show (`None`: it must be gone).
    let partitions: BTreeMap<&str, Option<u32>> = written()
        .filter_map(|c| match (&c.kind, &c.desired) {
            (TopicChangeKind::Delete, _) => Some((c.name.as_str(), None)),
            (TopicChangeKind::Create { .. }, Some(want)) => {
                Some((c.name.as_str(), Some(want.partitions)))
            }
            (
                TopicChangeKind::Update {
                    partitions: Some(_),
                    ..
                },
                Some(want),
            ) => Some((c.name.as_str(), Some(want.partitions))),
            _ => None,
        })
        .collect();
    // Topic → the overrides it must show, for the topics whose overrides were written.
    let overrides: BTreeMap<String, &BTreeMap<String, String>> = written()
        .filter_map(|c| match (&c.kind, &c.desired) {
            (TopicChangeKind::Update { config, .. }, Some(want)) if !config.is_empty() => {
                Some((c.name.clone(), &want.config.0))
            }
            _ => None,
        })
        .collect();
    if partitions.is_empty() && overrides.is_empty() {
        return;
    }
    let altered: Vec<String> = overrides.keys().cloned().collect();
    let limit = (clock.elapsed() + SETTLE_LIMIT).min(options.deadline);
    for attempt in 0.. {
        if shows(&partitions, &overrides, &altered, admin).await {
            return;
        }
        let delay = options.backoff.delay(attempt, clock.jitter());
        if clock.elapsed() + delay > limit {
            return;
        }
        clock.sleep(delay).await;
    }
}

/// Whether the brokers show the partitions and overrides [`settle`] waits for (a failed read is a
/// no: it is read again).
async fn shows<A: TopicAdmin>(
    partitions: &BTreeMap<&str, Option<u32>>,
    overrides: &BTreeMap<String, &BTreeMap<String, String>>,
    altered: &[String],
    admin: &A,
) -> bool {
    if !partitions.is_empty() {
        let Ok(topics) = admin.metadata().await else {
            return false;
        };
        let shown: BTreeMap<&str, u32> = topics
            .iter()
            .map(|t| (t.name.as_str(), t.partitions))
            .collect();
        let settled = partitions.iter().all(|(name, want)| match want {
            None => !shown.contains_key(name),
            Some(partitions) => shown.get(name).is_some_and(|p| p >= partitions),
        });
        if !settled {
            return false;
        }
    }
    if altered.is_empty() {
        return true;
    }
    let Ok(described) = admin.override_configs(altered).await else {
        return false;
    };
    overrides.iter().all(|(topic, want)| {
        described.get(topic).is_some_and(|have| {
            have.values.len() == want.len()
                && want.iter().all(|(key, value)| match have.values.get(key) {
                    // A sensitive value the broker hides: its key is there.
                    Some(None) => true,
                    Some(Some(shown)) => shown == value,
                    None => false,
                })
        })
    })
}

async fn outcome<A: TopicAdmin, C: Clock, P: ApplyProgress>(
    change: &TopicChange,
    admin: &A,
    clock: &C,
    options: &ApplyOptions,
    plan: &TopicPlan,
    progress: &P,
) -> WriteResult {
    let outcome = match write_topic(change, admin, clock, options).await {
        Ok(()) if change.kind == TopicChangeKind::Delete => WriteOutcome::Deleted,
        Ok(()) => WriteOutcome::Applied,
        Err(e) => WriteOutcome::Failed {
            error: plan.scrubber.scrub(&e.to_string()),
        },
    };
    report(progress, change, operation(&change.kind), &outcome);
    WriteResult {
        name: change.name.clone(),
        action: label(&change.kind),
        outcome,
    }
}

/// Tells `progress` that a topic write completed (or was cancelled).
fn report<P: ApplyProgress>(
    progress: &P,
    change: &TopicChange,
    operation: &str,
    outcome: &WriteOutcome,
) {
    progress.write_done(&WriteEvent {
        kind: ObjectKind::Topic,
        name: &change.name,
        operation,
        outcome,
    });
}

/// What a topic write does, as its progress line says it.
fn operation(kind: &TopicChangeKind) -> &'static str {
    match kind {
        TopicChangeKind::Create { .. } => "create",
        TopicChangeKind::Update { .. } => "update",
        TopicChangeKind::Delete => "delete",
        TopicChangeKind::Unchanged => "unchanged",
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
    use crate::kafka_sync::apply::NoProgress;
    use crate::kafka_sync::changes::{DiffOptions, ManagedScope, Redactor};
    use crate::kafka_sync::desired::load::tests::file;
    use crate::kafka_sync::ports::SimulatedClock;
    use crate::kafka_sync::retry::Backoff;
    use crate::kafka_sync::run::{self, AlsoWaitFor};
    use crate::kafka_sync::topics::diff::tests::topic_options;
    use crate::kafka_sync::topics::ports::{TopicMetadata, TopicOverrides};

    /// An in-memory broker: `sy.old` exists; requests go to the same log as the fake Connect's,
    /// so the order across both is visible; scripted errors answer first. Its metadata shows the
    /// topics written, after `stale_reads` answers that still show the state before.
    struct FakeAdmin<'a> {
        log: &'a Mutex<Vec<String>>,
        failures: Mutex<BTreeMap<String, VecDeque<AdminErrorKind>>>,
        topics: Mutex<BTreeMap<String, u32>>,
        shown: Mutex<BTreeMap<String, u32>>,
        stale_reads: Mutex<usize>,
    }

    impl<'a> FakeAdmin<'a> {
        fn new(connect: &'a FakeConnect) -> Self {
            let topics = BTreeMap::from([("sy.old".to_owned(), 1)]);
            FakeAdmin {
                log: &connect.requests,
                failures: Mutex::default(),
                shown: Mutex::new(topics.clone()),
                topics: Mutex::new(topics),
                stale_reads: Mutex::new(0),
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
            let mut stale = self.stale_reads.lock().unwrap();
            if *stale > 0 {
                *stale -= 1;
            } else {
                *self.shown.lock().unwrap() = self.topics.lock().unwrap().clone();
            }
            Ok(self
                .shown
                .lock()
                .unwrap()
                .iter()
                .map(|(name, &partitions)| TopicMetadata {
                    name: name.clone(),
                    partitions,
                    replication_factor: 1,
                })
                .collect())
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
            self.answer(format!("CreateTopics {}", topic.name))?;
            let mut topics = self.topics.lock().unwrap();
            topics.insert(topic.name.clone(), topic.partitions);
            Ok(())
        }
        async fn create_partitions(&self, topic: &str, total: u32) -> Result<(), AdminError> {
            self.answer(format!("CreatePartitions {topic} {total}"))?;
            self.topics.lock().unwrap().insert(topic.to_owned(), total);
            Ok(())
        }
        async fn alter_configs(
            &self,
            topic: &str,
            _: &BTreeMap<String, String>,
        ) -> Result<(), AdminError> {
            self.answer(format!("AlterConfigs {topic}"))
        }
        async fn delete_topic(&self, topic: &str) -> Result<(), AdminError> {
            self.answer(format!("DeleteTopics {topic}"))?;
            self.topics.lock().unwrap().remove(topic);
            Ok(())
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
            &NoProgress,
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
                "Metadata",
                "PUT sy-a/config",
                "PUT sy-b/config",
                "DeleteTopics sy.old",
                "Metadata",
            ],
            "a retriable error is retried; connectors once the metadata shows the topics; deletions last"
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
            [
                "CreateTopics sy.a",
                "CreateTopics sy.b",
                "Metadata",
                "PUT sy-b/config"
            ],
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

    #[tokio::test]
    async fn connectors_wait_until_the_metadata_shows_the_new_topics() {
        let connect = FakeConnect::default();
        let admin = FakeAdmin::new(&connect);
        let plan = plan(&connect, &admin).await;
        connect.requests.lock().unwrap().clear();
        *admin.stale_reads.lock().unwrap() = 2;
        let applied = apply(&plan, &connect, &admin).await;
        assert!(applied.converged(), "{:?}", applied.failures());
        let requests = connect.requests();
        let first_put = requests.iter().position(|r| r.starts_with("PUT")).unwrap();
        assert_eq!(
            requests[2..first_put],
            ["Metadata", "Metadata", "Metadata"],
            "two answers without the new topics, then one with them: {requests:?}"
        );
    }

    #[tokio::test]
    async fn every_topic_write_and_cancellation_is_told_to_the_progress() {
        let connect = FakeConnect::default();
        let admin = FakeAdmin::new(&connect);
        let plan = plan(&connect, &admin).await;
        admin.fail("CreateTopics sy.a", AdminErrorKind::Invalid, 1);
        let progress = crate::kafka_sync::apply::progress::tests::Recorder::default();
        run::apply_and_wait(
            &plan,
            &connect,
            Some(&admin),
            &SimulatedClock::default(),
            &options(),
            None,
            AlsoWaitFor::Nothing,
            &progress,
        )
        .await
        .unwrap();
        let lines = progress.lines();
        let position = |prefix: &str| {
            lines
                .iter()
                .position(|l| l.starts_with(prefix))
                .unwrap_or_else(|| panic!("no {prefix:?} line in {lines:#?}"))
        };
        let failed_topic = position("topic sy.a create failed");
        let created_topic = position("topic sy.b create applied");
        let held = position("connector sy-a create cancelled");
        let written = position("connector sy-b create applied");
        let cancelled_delete = position("topic sy.old delete cancelled");
        assert!(
            failed_topic.max(created_topic) < held.min(written) && written < cancelled_delete,
            "topics, then connectors, then the cancelled topic deletion: {lines:#?}"
        );
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
