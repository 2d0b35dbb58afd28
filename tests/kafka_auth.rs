//! Authentication to the brokers (issue 16), against the test broker's SASL/SCRAM-SHA-512
//! listener (`tests/kafka-connect/cluster.sh` creates its user at format time and exports
//! `KAFKA_SASL_BOOTSTRAP_SERVERS`, `KAFKA_SASL_USERNAME`, `KAFKA_SASL_PASSWORD`), through the
//! same admin client and plan the Lambda and the CLI use.

use std::time::Duration;

use switchyard_adapters::connect::{ConnectCredentials, HttpConnect, TokioClock};
use switchyard_adapters::kafka::{KafkaTopicAdmin, SaslCredentials};
use switchyard_core::kafka_sync::apply::ApplyOptions;
use switchyard_core::kafka_sync::brokers::BrokersConfig;
use switchyard_core::kafka_sync::retry::Backoff;
use switchyard_core::kafka_sync::run::{self, SyncFailure};
use switchyard_core::kafka_sync::topics::diff::TopicOptions;
use switchyard_core::kafka_sync::topics::{AdminErrorKind, NewTopicSpec, TopicAdmin};
use switchyard_core::kafka_sync::{ChangePlan, DiffOptions, ManagedScope, Redactor, SourceFile};
use switchyard_core::secret::Secret;
use switchyard_test_support::connect::{self, ConnectCluster};
use switchyard_test_support::kafka_sync::broker_has_topic;

const CLUSTER: &str = "auth-tests";

/// The SCRAM listener as a cluster's `kafka` block (managing `prefix*`), its login, and the
/// plaintext listener (to look at the broker without logging in).
struct SaslListener {
    connect: &'static ConnectCluster,
    brokers: BrokersConfig,
    credentials: SaslCredentials,
    plaintext: BrokersConfig,
}

fn sasl_listener(test: &str, prefix: &str) -> Option<SaslListener> {
    let connect = connect::cluster(test)?;
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("{test}: the test cluster runs but {name} is not set; restart it with tests/kafka-connect/cluster.sh start")
        })
    };
    let brokers = serde_json::from_value(serde_json::json!({
        "bootstrap_servers": [var("KAFKA_SASL_BOOTSTRAP_SERVERS")],
        "auth": {"mechanism": "SCRAM-SHA-512", "secret_id": "kafka/tests"},
        "managed_topic_prefixes": [prefix],
    }))
    .unwrap();
    let plaintext = serde_json::from_value(serde_json::json!({
        "bootstrap_servers": [var("KAFKA_BOOTSTRAP_SERVERS")],
    }))
    .unwrap();
    Some(SaslListener {
        connect,
        brokers,
        credentials: SaslCredentials {
            username: var("KAFKA_SASL_USERNAME"),
            password: Secret::new(var("KAFKA_SASL_PASSWORD")),
            ca_pem: None,
        },
        plaintext,
    })
}

/// A desired state with one topic, `topic`.
fn desired(topic: &str) -> Vec<SourceFile> {
    vec![
        SourceFile {
            path: "environments/auth.yaml".into(),
            contents: b"team: auth\n".to_vec(),
        },
        SourceFile {
            path: "topics/auth.yaml".into(),
            contents: format!("topics:\n  - name: {topic}\n    partitions: 2\n    replication_factor: 1\n    config:\n      retention.ms: \"3600000\"\n").into_bytes(),
        },
    ]
}

/// `switchyard kafka plan` of `desired(topic)` with `credentials`, as the CLI runs it.
async fn plan(
    l: &SaslListener,
    credentials: &SaslCredentials,
    topic: &str,
) -> Result<ChangePlan, SyncFailure> {
    let api = HttpConnect::new(
        &l.connect.url,
        ConnectCredentials::default(),
        Duration::from_secs(30),
    )
    .unwrap();
    let admin =
        KafkaTopicAdmin::connect(&l.brokers, Some(credentials), Duration::from_secs(5)).unwrap();
    let options = DiffOptions {
        scope: ManagedScope::new(vec!["sy-auth-".to_owned()], []),
        prune: false,
        redactor: Redactor::default(),
        allow_unmanaged_writes: false,
        topics: TopicOptions::for_cluster(CLUSTER, Some(&l.brokers)),
    };
    let apply_options = ApplyOptions {
        concurrency: 1,
        deadline: Duration::from_secs(60),
        backoff: Backoff::default(),
        allow_dangerous: false,
    };
    run::plan_changes(
        &desired(topic),
        "auth",
        &options,
        false,
        &api,
        Some(&admin),
        &TokioClock::start(),
        &apply_options,
    )
    .await
}

#[tokio::test]
async fn scram_sha_512_login_plans_and_creates_through_the_sasl_listener() {
    let test = "scram_sha_512_login_plans_and_creates_through_the_sasl_listener";
    let Some(l) = sasl_listener(test, "sy-auth-ok") else {
        return;
    };
    let topic = connect::unique_name("sy-auth-ok");
    // Metadata + DescribeConfigs through the SCRAM listener: the topic is planned as a create.
    let planned = plan(&l, &l.credentials, &topic).await.expect("plan");
    let names: Vec<_> = planned
        .topics
        .changes
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(names, [topic.as_str()]);
    // And a write goes through it too.
    let admin = KafkaTopicAdmin::connect(&l.brokers, Some(&l.credentials), Duration::from_secs(10))
        .unwrap();
    admin
        .create_topic(&NewTopicSpec {
            name: topic.clone(),
            partitions: 1,
            replication_factor: Some(1),
            configs: Default::default(),
        })
        .await
        .expect("CreateTopics through the SCRAM listener");
    assert!(broker_has_topic(&l.plaintext, &topic));
    admin.delete_topic(&topic).await.unwrap();
}

#[tokio::test]
async fn a_wrong_password_is_an_authentication_error_naming_the_cluster_and_writes_nothing() {
    let test = "a_wrong_password_is_an_authentication_error_naming_the_cluster_and_writes_nothing";
    let Some(l) = sasl_listener(test, "sy-auth-refused") else {
        return;
    };
    let topic = connect::unique_name("sy-auth-refused");
    let wrong = SaslCredentials {
        password: Secret::new("not-the-password-7f3a"),
        ..l.credentials.clone()
    };
    let failure = plan(&l, &wrong, &topic).await.unwrap_err();
    let SyncFailure::ReadTopics { cluster, error } = &failure else {
        panic!("expected a failure to read the topics, got {failure}");
    };
    assert_eq!(cluster, CLUSTER);
    // Not retried until the deadline: a refused login needs a person.
    assert_eq!(error.kind, AdminErrorKind::Unauthorized, "{failure}");
    assert!(!failure.is_retryable());
    let message = failure.to_string();
    assert!(
        message.contains(&format!("cluster {CLUSTER:?}"))
            && message.contains("SASL authentication error")
            && message.contains("invalid credentials"),
        "{message}"
    );
    assert!(!message.contains("not-the-password-7f3a"), "{message}");
    // A write with that login does not land either.
    let admin = KafkaTopicAdmin::connect(&l.brokers, Some(&wrong), Duration::from_secs(5)).unwrap();
    let write = admin
        .create_topic(&NewTopicSpec {
            name: topic.clone(),
            partitions: 1,
            replication_factor: Some(1),
            configs: Default::default(),
        })
        .await;
    assert!(write.is_err(), "{write:?}");
    assert!(
        !broker_has_topic(&l.plaintext, &topic),
        "{topic} was created"
    );
}
