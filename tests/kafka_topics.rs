//! Kafka topics as code against the real broker of tests/kafka-connect/cluster.sh (plaintext
//! listener, `KAFKA_BOOTSTRAP_SERVERS`): the library's plan/apply through the rdkafka adapter,
//! every fact checked on the broker with rdkafka's own admin client. Every test uses its own
//! name prefix as managed topic scope, so tests sharing the broker never touch each other's
//! topics. Without `CONNECT_URL`: failed under `CI=true`, skipped (loudly) elsewhere.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use rdkafka::admin::{
    AdminClient, AdminOptions, AlterConfig, ConfigSource, NewTopic, ResourceSpecifier,
    TopicReplication,
};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use switchyard_adapters::kafka::KafkaTopicAdmin;
use switchyard_core::kafka_sync::apply::WriteOutcome;
use switchyard_core::kafka_sync::run::SyncFailure;
use switchyard_core::kafka_sync::topics::diff::{TopicChangeKind, TopicPlanError};
use switchyard_core::kafka_sync::topics::names::TOPIC_CONFIG_NAMES;
use switchyard_core::kafka_sync::ChangePlan;
use switchyard_test_support::connect::{self, ConnectCluster};
use switchyard_test_support::kafka_sync::*;

type Broker = AdminClient<DefaultClientContext>;

/// rdkafka's admin client on the test broker: the test's own eyes, apart from the adapter.
fn broker() -> Broker {
    ClientConfig::new()
        .set(
            "bootstrap.servers",
            std::env::var("KAFKA_BOOTSTRAP_SERVERS").expect("KAFKA_BOOTSTRAP_SERVERS"),
        )
        .create()
        .expect("admin client")
}

fn opts() -> AdminOptions {
    AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)))
}

/// Partitions and replicas of `topic` on the broker, `None` when it does not exist.
fn shape(broker: &Broker, topic: &str) -> Option<(usize, usize)> {
    // All topics: asking for one by name makes the broker auto-create it
    // (auto.create.topics.enable is on for the Connect tests), which would hide a deletion.
    let md = broker
        .inner()
        .fetch_metadata(None, Duration::from_secs(30))
        .unwrap();
    let t = md.topics().iter().find(|t| t.name() == topic)?;
    if t.error().is_some() {
        return None;
    }
    Some((t.partitions().len(), t.partitions()[0].replicas().len()))
}

async fn exists(broker: &Broker, topic: &str) -> bool {
    let md = broker
        .inner()
        .fetch_metadata(None, Duration::from_secs(30))
        .unwrap();
    md.topics().iter().any(|t| t.name() == topic)
}

/// The topic-level overrides of `topic` on the broker.
async fn overrides(broker: &Broker, topic: &str) -> BTreeMap<String, String> {
    let described = broker
        .describe_configs([&ResourceSpecifier::Topic(topic)], &opts())
        .await
        .unwrap();
    let resource = described.into_iter().next().unwrap().unwrap();
    resource
        .entries
        .into_iter()
        .filter(|e| e.source == ConfigSource::DynamicTopic)
        .map(|e| (e.name, e.value.unwrap_or_default()))
        .collect()
}

/// Creates `topic` directly on the broker (someone else's, or an earlier state).
async fn create_directly(broker: &Broker, topic: &str, partitions: i32, config: &[(&str, &str)]) {
    let mut new = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
    for (k, v) in config {
        new = new.set(k, v);
    }
    let result = broker.create_topics([&new], &opts()).await.unwrap();
    result.into_iter().next().unwrap().unwrap();
}

struct Ctx {
    connect: &'static ConnectCluster,
    broker: Broker,
    admin: KafkaTopicAdmin,
}

fn ctx(test: &str) -> Option<Ctx> {
    let connect = connect::cluster(test)?;
    Some(Ctx {
        connect,
        broker: broker(),
        admin: topic_admin(),
    })
}

async fn plan_topics(
    ctx: &Ctx,
    repo: &Repo,
    prune: bool,
    delete_unlisted: bool,
) -> Result<ChangePlan, SyncFailure> {
    let api = client(ctx.connect);
    plan_with_topics(
        repo,
        &api,
        Some(&ctx.admin),
        repo.topic_options(delete_unlisted),
        prune,
        false,
    )
    .await
}

fn kinds(plan: &ChangePlan) -> Vec<(String, &'static str)> {
    plan.topics
        .changes
        .iter()
        .map(|c| {
            let kind = match c.kind {
                TopicChangeKind::Create { .. } => "create",
                TopicChangeKind::Update { .. } => "update",
                TopicChangeKind::Delete => "delete",
                TopicChangeKind::Unchanged => "unchanged",
            };
            (c.name.clone(), kind)
        })
        .collect()
}

/// `TOPIC_CONFIG_NAMES` is exactly the set of topic configs the broker describes for a topic.
#[tokio::test]
async fn the_config_names_are_the_brokers() {
    let Some(ctx) = ctx("the_config_names_are_the_brokers") else {
        return;
    };
    let repo = Repo::new("names");
    let topic = repo.name("t");
    create_directly(&ctx.broker, &topic, 1, &[]).await;
    let described = ctx
        .broker
        .describe_configs([&ResourceSpecifier::Topic(&topic)], &opts())
        .await
        .unwrap();
    let names: BTreeSet<String> = described
        .into_iter()
        .next()
        .unwrap()
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.name)
        .collect();
    let ours: BTreeSet<String> = TOPIC_CONFIG_NAMES.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        ours.difference(&names).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "in our list, not described by Kafka"
    );
    assert_eq!(
        names.difference(&ours).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "described by Kafka, not in our list"
    );
}

/// Create with overrides; a second plan is a no-op read in exactly two admin requests (Metadata,
/// DescribeConfigs) whatever the topic count, and an apply of it writes nothing.
#[tokio::test]
async fn create_then_noop_in_two_requests_for_any_topic_count() {
    let Some(ctx) = ctx("create_then_noop_in_two_requests_for_any_topic_count") else {
        return;
    };
    let _shared = ctx.connect.shared().await;
    let mut repo = Repo::new("noop");
    let entries: String = (0..25)
        .map(|i| {
            format!(
                "  - name: {}\n    partitions: 2\n    replication_factor: 1\n    config:\n      retention.ms: 3600000\n      cleanup.policy: [compact, delete]\n",
                repo.name(&format!("t{i}"))
            )
        })
        .collect();
    repo.topics(&entries);
    let before = ctx.admin.requests();
    let plan = plan_topics(&ctx, &repo, false, false).await.unwrap();
    assert_eq!(
        ctx.admin.requests() - before,
        1,
        "Metadata only: no topic of the scope exists yet, so there is nothing to describe"
    );
    assert_eq!(plan.topics.summary.created, 25, "{plan}");
    let api = client(ctx.connect);
    let applied = apply_plan(&plan, &api, Some(&ctx.admin)).await;
    assert!(applied.converged(), "{:?}", applied.failures());
    let first = repo.name("t0");
    assert_eq!(shape(&ctx.broker, &first), Some((2, 1)));
    let want = BTreeMap::from([
        ("cleanup.policy".to_owned(), "compact,delete".to_owned()),
        ("retention.ms".to_owned(), "3600000".to_owned()),
    ]);
    assert_eq!(overrides(&ctx.broker, &first).await, want);

    for n in [1, 25] {
        let mut one = Repo::new("noop-n");
        one.prefix = repo.prefix.clone();
        let entries: String = entries
            .split("  - name: ")
            .skip(1)
            .take(n)
            .map(|e| format!("  - name: {e}"))
            .collect();
        one.topics(&entries);
        let before = ctx.admin.requests();
        let again = plan_topics(&ctx, &one, false, false).await.unwrap();
        assert_eq!(
            ctx.admin.requests() - before,
            2,
            "{n} topics: still two requests"
        );
        // Topics of the scope not in this repo are only reported, never deleted.
        assert_eq!(again.topics.summary.unchanged, n, "{again}");
        assert!(!again.has_changes(), "{again}");
        let before = ctx.admin.requests();
        let applied = apply_plan(&again, &api, Some(&ctx.admin)).await;
        assert!(applied.topics.is_empty(), "{:?}", applied.topics);
        assert_eq!(
            ctx.admin.requests(),
            before,
            "an apply of no change sends nothing"
        );
    }
    assert_eq!(
        overrides(&ctx.broker, &first).await,
        want,
        "the broker's configs are unchanged"
    );
}

/// Partitions up, one override changed, one added, one removed: the plan names each key, the
/// legacy AlterConfigs (whole override set) lands on Kafka 4.3.1, a re-plan shows nothing.
#[tokio::test]
async fn partitions_and_config_set_change_remove() {
    let Some(ctx) = ctx("partitions_and_config_set_change_remove") else {
        return;
    };
    let mut repo = Repo::new("alter");
    let topic = repo.name("t");
    create_directly(
        &ctx.broker,
        &topic,
        1,
        &[("retention.ms", "1000000"), ("segment.ms", "7200000")],
    )
    .await;
    repo.topics(&format!(
        "  - name: {topic}\n    partitions: 3\n    config:\n      retention.ms: 2000000\n      max.message.bytes: 2097152\n"
    ));
    let plan = plan_topics(&ctx, &repo, false, false).await.unwrap();
    let text = plan.to_string();
    for expected in [
        format!("~ update topic {topic}"),
        "~ partitions: 1 -> 3".to_owned(),
        "~ retention.ms: \"1000000\" -> \"2000000\"".to_owned(),
        "+ max.message.bytes = \"2097152\"".to_owned(),
        "- segment.ms (was \"7200000\")".to_owned(),
    ] {
        assert!(text.contains(&expected), "{expected:?} not in:\n{text}");
    }
    let api = client(ctx.connect);
    let applied = apply_plan(&plan, &api, Some(&ctx.admin)).await;
    assert!(applied.converged(), "{:?}", applied.failures());
    assert_eq!(shape(&ctx.broker, &topic), Some((3, 1)));
    assert_eq!(
        overrides(&ctx.broker, &topic).await,
        BTreeMap::from([
            ("max.message.bytes".to_owned(), "2097152".to_owned()),
            ("retention.ms".to_owned(), "2000000".to_owned()),
        ])
    );
    let again = plan_topics(&ctx, &repo, false, false).await.unwrap();
    assert!(!again.has_changes(), "{again}");
}

/// Fewer partitions in Git than on the broker: the plan fails naming the topic; nothing is
/// written.
#[tokio::test]
async fn a_partition_decrease_is_refused() {
    let Some(ctx) = ctx("a_partition_decrease_is_refused") else {
        return;
    };
    let mut repo = Repo::new("decrease");
    let topic = repo.name("t");
    create_directly(&ctx.broker, &topic, 3, &[]).await;
    repo.topics(&format!(
        "  - name: {topic}\n    partitions: 2\n    config: {{retention.ms: 5000}}\n"
    ));
    let before = ctx.admin.requests();
    let err = plan_topics(&ctx, &repo, false, false).await.unwrap_err();
    assert!(
        matches!(
            err,
            SyncFailure::Topics(TopicPlanError::PartitionDecrease(_))
        ),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "topic \"{topic}\" (topics/topics.yaml) has 3 partitions, Git says 2"
        )),
        "{text}"
    );
    assert_eq!(ctx.admin.requests() - before, 2, "only the two reads");
    assert_eq!(shape(&ctx.broker, &topic), Some((3, 1)));
    assert!(overrides(&ctx.broker, &topic).await.is_empty());
}

/// A replication factor that differs is in the plan with what it would take, and the apply
/// reports it as not applied without sending a write.
#[tokio::test]
async fn a_replication_factor_change_is_reported_not_applied() {
    let Some(ctx) = ctx("a_replication_factor_change_is_reported_not_applied") else {
        return;
    };
    let mut repo = Repo::new("rf");
    let topic = repo.name("t");
    create_directly(&ctx.broker, &topic, 2, &[]).await;
    repo.topics(&format!(
        "  - name: {topic}\n    partitions: 2\n    replication_factor: 3\n"
    ));
    let plan = plan_topics(&ctx, &repo, false, false).await.unwrap();
    assert!(
        plan.has_changes(),
        "a difference is a change to report: {plan}"
    );
    assert_eq!(plan.topics.summary.not_applied, 1);
    let text = plan.to_string();
    assert!(
        text.contains("replication factor differs: 1 on the cluster, 3 in Git; not applied"),
        "{text}"
    );
    assert!(text.contains("kafka-reassign-partitions.sh"), "{text}");
    let json = serde_json::to_value(&plan).unwrap();
    assert_eq!(
        json["topics"]["changes"][0]["replication_factor"]["to"], 3,
        "{json}"
    );
    let before = ctx.admin.requests();
    let applied = apply_plan(&plan, &client(ctx.connect), Some(&ctx.admin)).await;
    assert_eq!(ctx.admin.requests(), before, "nothing is sent for it");
    assert!(!applied.converged());
    let result = &applied.topics.results[0];
    assert_eq!(result.action, "replication factor");
    assert!(
        matches!(&result.outcome, WriteOutcome::Cancelled { reason } if reason.contains("not applied")),
        "{result:?}"
    );
    assert_eq!(shape(&ctx.broker, &topic), Some((2, 1)));
}

/// A broker-level default (a dynamic broker config, the source an MSK cluster configuration
/// has) never shows as a topic diff; restored afterwards.
#[tokio::test]
async fn a_broker_default_is_never_a_diff() {
    let Some(ctx) = ctx("a_broker_default_is_never_a_diff") else {
        return;
    };
    let mut repo = Repo::new("defaults");
    let topic = repo.name("t");
    repo.topics(&format!(
        "  - name: {topic}\n    partitions: 1\n    config: {{retention.ms: 600000}}\n"
    ));
    let plan = plan_topics(&ctx, &repo, false, false).await.unwrap();
    let applied = apply_plan(&plan, &client(ctx.connect), Some(&ctx.admin)).await;
    assert!(applied.converged(), "{:?}", applied.failures());

    let set = |value: Option<&'static str>| {
        let broker = &ctx.broker;
        async move {
            let mut alter = AlterConfig::new(ResourceSpecifier::Broker(1));
            if let Some(v) = value {
                alter = alter.set("log.segment.bytes", v);
            }
            let r = broker.alter_configs([&alter], &opts()).await.unwrap();
            r.into_iter().next().unwrap().unwrap();
        }
    };
    set(Some("536870912")).await;
    // The broker applies a dynamic config asynchronously: wait until the topic sees it.
    let mut seen = None;
    for _ in 0..100 {
        let described = ctx
            .broker
            .describe_configs([&ResourceSpecifier::Topic(&topic)], &opts())
            .await
            .unwrap();
        let resource = described.into_iter().next().unwrap().unwrap();
        seen = resource
            .get("segment.bytes")
            .map(|e| (e.value.clone(), e.source == ConfigSource::DynamicBroker));
        if seen == Some((Some("536870912".into()), true)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let again = plan_topics(&ctx, &repo, false, false).await;
    set(None).await;
    assert_eq!(
        seen,
        Some((Some("536870912".into()), true)),
        "the broker default reaches the topic"
    );
    let again = again.unwrap();
    assert!(!again.has_changes(), "{again}");
}

/// Deletion needs the scope, prune, and `delete: true` (or the per-run flag for topics not in
/// Git); a topic outside the scope is never listed, altered or deleted.
#[tokio::test]
async fn deletes_only_with_prune_and_a_mark_inside_the_scope() {
    let Some(ctx) = ctx("deletes_only_with_prune_and_a_mark_inside_the_scope") else {
        return;
    };
    let mut repo = Repo::new("delete");
    let (marked, unlisted, kept) = (
        repo.name("marked"),
        repo.name("unlisted"),
        repo.name("kept"),
    );
    let outside = format!("other-team-{}", repo.name("x"));
    for t in [&marked, &unlisted, &kept] {
        create_directly(&ctx.broker, t, 1, &[]).await;
    }
    create_directly(&ctx.broker, &outside, 1, &[("retention.ms", "123456")]).await;
    repo.topics(&format!(
        "  - name: {marked}\n    delete: true\n  - name: {kept}\n    partitions: 1\n"
    ));

    let plan = plan_topics(&ctx, &repo, false, false).await.unwrap();
    assert!(kinds(&plan).iter().all(|(_, k)| *k != "delete"), "{plan}");
    assert_eq!(
        plan.topics.not_pruned,
        vec![marked.clone(), unlisted.clone()],
        "{plan}"
    );
    let text = plan.to_string();
    assert!(
        !text.contains(&outside),
        "a topic outside the scope is not even listed: {text}"
    );
    let json = serde_json::to_string(&plan).unwrap();
    assert!(!json.contains(&outside), "{json}");

    let pruned = plan_topics(&ctx, &repo, true, false).await.unwrap();
    assert_eq!(
        kinds(&pruned),
        vec![(kept.clone(), "unchanged"), (marked.clone(), "delete")]
    );
    assert_eq!(pruned.topics.not_pruned, vec![unlisted.clone()]);
    let applied = apply_plan(&pruned, &client(ctx.connect), Some(&ctx.admin)).await;
    assert!(applied.converged(), "{:?}", applied.failures());
    assert!(!exists(&ctx.broker, &marked).await);
    assert!(
        exists(&ctx.broker, &unlisted).await,
        "not marked, no flag: kept"
    );

    let flagged = plan_topics(&ctx, &repo, true, true).await.unwrap();
    assert_eq!(
        kinds(&flagged),
        vec![(kept.clone(), "unchanged"), (unlisted.clone(), "delete")]
    );
    let applied = apply_plan(&flagged, &client(ctx.connect), Some(&ctx.admin)).await;
    assert!(applied.converged(), "{:?}", applied.failures());
    assert!(!exists(&ctx.broker, &unlisted).await);
    assert!(exists(&ctx.broker, &kept).await);
    assert!(
        exists(&ctx.broker, &outside).await,
        "outside the scope: untouched"
    );
    assert_eq!(
        overrides(&ctx.broker, &outside).await,
        BTreeMap::from([("retention.ms".to_owned(), "123456".to_owned())])
    );

    // A desired topic outside the scope is refused before anything is written.
    repo.topics(&format!("  - name: {outside}\n    partitions: 4\n"));
    let err = plan_topics(&ctx, &repo, false, false).await.unwrap_err();
    assert!(
        matches!(
            err,
            SyncFailure::Topics(TopicPlanError::OutsideScope { .. })
        ),
        "{err}"
    );
    assert_eq!(shape(&ctx.broker, &outside), Some((1, 1)));
}

/// A sink whose topic the same apply creates: the topic is created first (with its 3 partitions
/// and override, not auto-created by the sink's consumer with the broker's 1 partition), and the
/// connector starts RUNNING.
#[tokio::test]
async fn a_connector_whose_topic_is_created_in_the_same_apply_runs() {
    let Some(ctx) = ctx("a_connector_whose_topic_is_created_in_the_same_apply_runs") else {
        return;
    };
    let _shared = ctx.connect.shared().await;
    let mut repo = Repo::new("order");
    let topic = repo.name("topic");
    repo.sink("sink", "sink.txt", "");
    repo.topics(&format!(
        "  - name: {topic}\n    partitions: 3\n    config: {{retention.ms: 7200000}}\n"
    ));
    let api = client(ctx.connect);
    let plan = plan_with_topics(
        &repo,
        &api,
        Some(&ctx.admin),
        repo.topic_options(false),
        false,
        true,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(kinds(&plan), vec![(topic.clone(), "create")], "{plan}");
    let applied = apply_plan(&plan, &api, Some(&ctx.admin)).await;
    assert!(applied.converged(), "{:?}", applied.failures());
    ctx.connect.wait_until_running(&repo.name("sink")).await;
    assert_eq!(shape(&ctx.broker, &topic), Some((3, 1)));
    assert_eq!(
        overrides(&ctx.broker, &topic).await,
        BTreeMap::from([("retention.ms".to_owned(), "7200000".to_owned())])
    );
    let again = plan_with_topics(
        &repo,
        &api,
        Some(&ctx.admin),
        repo.topic_options(false),
        false,
        false,
    )
    .await
    .unwrap();
    assert!(!again.has_changes(), "{again}");
    remove(&api, &repo.name("sink")).await;
}
