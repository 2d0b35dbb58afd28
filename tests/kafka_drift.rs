//! Issue 22: Kafka state stays as declared. Against the real broker and worker
//! (`tests/kafka-connect/cluster.sh`), moto's S3 (the desired state) and moto's DynamoDB (the
//! state store, `KAFKA_STATE_TABLE`):
//!
//! - a connector edited by hand is reported as drift, exactly its key, its secret value
//!   redacted; `report` writes nothing (the worker's access log), `enforce` puts it back with one
//!   write;
//! - a task that fails (a FileStream sink writing into a folder that does not exist): `heal`
//!   restarts it, backs off twice as long each time, and stops at the daily cap, saying so
//!   (simulated time);
//! - an older bundle arriving after a newer one was applied is refused, and the record is read
//!   by a new client (it lives in DynamoDB, not in memory);
//! - a worker that does not answer is "unreachable", and nothing changes;
//! - a topic config changed with the admin API is drift, exactly that key; `enforce` puts it
//!   back.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use switchyard_adapters::aws::kafka_state::DynamoKafkaState;
use switchyard_adapters::connect::{ConnectCredentials, HttpConnect, S3Artifacts};
use switchyard_adapters::kafka::KafkaTopicAdmin;
use switchyard_core::deadline::{Deadline, DEFAULT_MARGIN};
use switchyard_core::kafka_sync::config::KafkaSyncConfig;
use switchyard_core::kafka_sync::ports::SimulatedClock;
use switchyard_core::kafka_sync::reconcile::drift::{check_cluster, DriftReport, DriftStatus};
use switchyard_core::kafka_sync::reconcile::heal::HealOutcome;
use switchyard_core::kafka_sync::reconcile::record::{
    AppliedSource, AppliedState, AppliedStore, Recorded,
};
use switchyard_core::kafka_sync::triggers::bundle_upload::{sync_bundle_uploads, BundleOutcome};
use switchyard_core::kafka_sync::triggers::ConnectPorts;
use switchyard_test_support::connect;
use switchyard_test_support::env::string_map;
use switchyard_test_support::kafka_sync::*;
use switchyard_test_support::moto::moto;

const BUCKET: &str = "sy-kafka-drift-bundles";
const TABLE: &str = "sy-kafka-state";

/// kafka-sync's ports with a chosen clock: one cluster's client (recorded), S3 and DynamoDB
/// through moto.
struct Ports {
    /// The cluster's name (each test has its own, so records never mix).
    name: String,
    cluster: HttpConnect,
    /// The broker's admin client, for clusters with topics.
    admin: Option<KafkaTopicAdmin>,
    artifacts: S3Artifacts,
    store: DynamoKafkaState,
    clock: SimulatedClock,
}

impl ConnectPorts for Ports {
    type Api = HttpConnect;
    type Admin = KafkaTopicAdmin;
    type Artifacts = S3Artifacts;
    type Clock = SimulatedClock;
    type Store = DynamoKafkaState;

    fn cluster(&self, name: &str) -> Option<&HttpConnect> {
        (name == self.name).then_some(&self.cluster)
    }

    fn topic_admin(&self, name: &str) -> Option<&KafkaTopicAdmin> {
        self.admin.as_ref().filter(|_| name == self.name)
    }

    fn artifacts(&self) -> &S3Artifacts {
        &self.artifacts
    }

    fn clock(&self) -> &SimulatedClock {
        &self.clock
    }

    fn store(&self) -> &DynamoKafkaState {
        &self.store
    }
}

async fn sdk() -> aws_config::SdkConfig {
    moto().sdk().await
}

fn s3(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(true)
            .build(),
    )
}

/// The bucket (versioned) and the table, as the stack creates them; every test shares them.
async fn setup(sdk: &aws_config::SdkConfig) {
    let s3 = s3(sdk);
    let _ = s3.create_bucket().bucket(BUCKET).send().await;
    s3.put_bucket_versioning()
        .bucket(BUCKET)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    let _ = aws_sdk_dynamodb::Client::new(sdk)
        .create_table()
        .table_name(TABLE)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await;
}

/// The repository as a bundle zip at `key`; returns its version id.
async fn upload(sdk: &aws_config::SdkConfig, repo: &Repo, key: &str) -> String {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for file in &repo.files {
        zip.start_file(&file.path, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(&file.contents).unwrap();
    }
    let bytes = zip.finish().unwrap().into_inner();
    s3(sdk)
        .put_object()
        .bucket(BUCKET)
        .key(key)
        .body(bytes.into())
        .send()
        .await
        .unwrap()
        .version_id
        .unwrap()
}

/// The function's configuration: cluster `cluster` (at `url`) in `mode`, the repository's
/// scope, the table, and the bundles at `keys`.
fn config(repo: &Repo, cluster: &str, url: &str, mode: &str, keys: &[&str]) -> KafkaSyncConfig {
    let clusters = json!({cluster: {"url": url, "managed_prefixes": [repo.prefix],
        "reconcile": {"mode": mode, "backoff_minutes": 5, "max_restarts_per_day": 3}}});
    let bundles: Vec<Value> = keys
        .iter()
        .map(|k| json!({"bucket": BUCKET, "key": k, "environment": "test", "cluster": cluster}))
        .collect();
    KafkaSyncConfig::from_vars(&string_map(&[
        ("KAFKA_CLUSTERS", &clusters.to_string()),
        ("KAFKA_BUNDLES", &Value::from(bundles).to_string()),
        ("KAFKA_STATE_TABLE", TABLE),
        ("CONNECT_POLL_SECONDS", "1"),
    ]))
    .unwrap()
}

fn ports(sdk: &aws_config::SdkConfig, name: &str, cluster: HttpConnect, now: SystemTime) -> Ports {
    Ports {
        name: name.to_owned(),
        cluster,
        admin: None,
        artifacts: S3Artifacts::new(sdk),
        store: DynamoKafkaState::from_sdk(sdk),
        clock: SimulatedClock::starting_at(now),
    }
}

fn upload_event(key: &str, version: &str) -> Value {
    json!({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": BUCKET}, "object": {"key": key, "size": 1, "versionId": version}}}]})
}

fn deadline() -> Deadline {
    Deadline::new(SystemTime::now() + Duration::from_secs(300), DEFAULT_MARGIN)
}

async fn check(config: &KafkaSyncConfig, ports: &Ports) -> DriftReport {
    check_cluster(
        &ports.name,
        &config.clusters[&ports.name],
        TABLE,
        config,
        ports,
        ports.clock.elapsed_budget(),
    )
    .await
}

/// Deadlines on the simulated clock: two minutes from its current time.
trait Budget {
    fn elapsed_budget(&self) -> Duration;
}

impl Budget for SimulatedClock {
    fn elapsed_budget(&self) -> Duration {
        use switchyard_core::kafka_sync::ports::Clock;
        self.elapsed() + Duration::from_secs(120)
    }
}

/// Requests that changed something on the worker (anything but GET) about this test's
/// connectors (named with `prefix`): other tests share the worker and its log.
fn writes(requests: &[connect::LoggedRequest], prefix: &str) -> Vec<String> {
    requests
        .iter()
        .filter(|r| r.method != "GET" && r.path.contains(prefix))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[tokio::test]
async fn a_hand_edit_is_reported_by_key_redacted_report_writes_nothing_and_enforce_puts_it_back() {
    let Some(connect) = connect::cluster("kafka_drift_hand_edit") else {
        return;
    };
    let _shared = connect.shared().await;
    let sdk = sdk().await;
    setup(&sdk).await;
    let mut repo = Repo::new("drift");
    repo.sink(
        "orders",
        "orders.txt",
        "  connection.password: desired-pw-4417\n",
    );
    let name = repo.name("orders");
    let key = format!("{}bundle.zip", repo.prefix);
    let version = upload(&sdk, &repo, &key).await;

    // Applied through the bundle trigger: recorded in DynamoDB.
    let cluster = "hand-edit";
    let report_config = config(&repo, cluster, &connect.url, "report", &[&key]);
    let sent = Recorder::default();
    let real = ports(
        &sdk,
        cluster,
        sent.record(client(connect)),
        SystemTime::now(),
    );
    let outcomes = sync_bundle_uploads(
        &upload_event(&key, &version),
        &report_config,
        &real,
        deadline(),
    )
    .await
    .unwrap();
    assert!(
        matches!(outcomes[..], [BundleOutcome::Synced { .. }]),
        "{outcomes:?}"
    );
    let recorded = real.store.applied(TABLE, cluster).await.unwrap().unwrap();
    assert_eq!(
        recorded.source,
        AppliedSource::Bundle {
            bucket: BUCKET.into(),
            key: key.clone(),
            version_id: Some(version.clone())
        }
    );
    let clean = check(&report_config, &real).await;
    assert_eq!(clean.status, DriftStatus::NoDrift, "{clean}");

    // By hand, through the REST API: the secret changed.
    let mut config_now = get_settled(connect, &format!("/connectors/{name}/config"))
        .await
        .body;
    config_now["connection.password"] = json!("hand-edited-pw-9931");
    assert!(connect
        .put(&format!("/connectors/{name}/config"), &config_now)
        .await
        .status
        .is_success());
    connect.wait_until_listed(&[&name]).await;

    let mark = connect.log_mark();
    sent.reset_requests();
    let report = check(&report_config, &real).await;
    assert_eq!(report.status, DriftStatus::Drift, "{report}");
    assert_eq!(
        report.differences,
        [format!("connector {name} differs in connection.password")]
    );
    let shown = format!("{report}{}", serde_json::to_string(&report).unwrap());
    for secret in ["desired-pw-4417", "hand-edited-pw-9931"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(
        shown.contains("<redacted>") || shown.contains("redacted"),
        "{shown}"
    );
    assert!(report.heal.is_empty() && report.enforced.is_none());
    // The same two reads as any plan, and nothing else; the worker saw no write.
    assert_eq!(
        sent.requests(),
        ["GET /", "GET /connectors?expand=info&expand=status"]
    );
    assert_eq!(
        writes(&connect.requests_since(mark).await, &repo.prefix),
        Vec::<String>::new(),
        "report wrote"
    );

    let enforce_config = config(&repo, cluster, &connect.url, "enforce", &[&key]);
    let mark = connect.log_mark();
    let enforced = check(&enforce_config, &real).await;
    assert_eq!(enforced.status, DriftStatus::Drift, "{enforced}");
    assert_eq!(
        writes(&connect.requests_since(mark).await, &repo.prefix),
        [format!("PUT /connectors/{name}/config")],
        "{enforced}"
    );
    let back = get_settled(connect, &format!("/connectors/{name}/config"))
        .await
        .body;
    assert_eq!(back["connection.password"], "desired-pw-4417");
    connect.wait_until_listed(&[&name]).await;
    let after = check(&report_config, &real).await;
    assert_eq!(after.status, DriftStatus::NoDrift, "{after}");
    remove(&real.cluster, &name).await;
}

#[tokio::test]
async fn heal_restarts_a_failed_task_backs_off_twice_as_long_and_stops_at_the_daily_cap() {
    let Some(connect) = connect::cluster("kafka_drift_heal") else {
        return;
    };
    let _shared = connect.shared().await;
    let sdk = sdk().await;
    setup(&sdk).await;
    let mut repo = Repo::new("heal");
    // A folder that does not exist: the task fails as it starts, every time.
    let name = repo.name("broken");
    repo.write(
        "connectors/broken.yaml",
        &format!("name: {name}\nconfig:\n  connector.class: {FILE_SINK}\n  tasks.max: 1\n  topics: \"{{{{ env.topic }}}}\"\n  file: /nonexistent-switchyard-dir/x.txt\n"),
    );
    let key = format!("{}bundle.zip", repo.prefix);
    let version = upload(&sdk, &repo, &key).await;
    let plain = client(connect);
    let (plan, _) = apply(&repo, &plain, false).await;
    assert_eq!(plan.summary.created, 1, "{plan}");
    let task_failed = |s: &Value| s["tasks"][0]["state"] == "FAILED";
    connect
        .wait_for_status(&name, Duration::from_secs(60), "FAILED", task_failed)
        .await;

    // Recorded as a trigger records a successful apply (this one's wait fails: the task fails).
    let cluster = "heal";
    let day_start = UNIX_EPOCH + Duration::from_secs(20_500 * 86_400 + 3600);
    let heal_config = config(&repo, cluster, &connect.url, "heal", &[&key]);
    let store = DynamoKafkaState::from_sdk(&sdk);
    let state = AppliedState {
        cluster: cluster.into(),
        source: AppliedSource::Bundle {
            bucket: BUCKET.into(),
            key: key.clone(),
            version_id: Some(version),
        },
        environment: "test".into(),
        directory: String::new(),
        prune: false,
        written_at: 1,
        applied_at: 2,
    };
    assert_eq!(store.record(TABLE, &state).await.unwrap(), Recorded::Saved);

    let heal_ports = ports(&sdk, cluster, client(connect), day_start);
    let mut restarts_seen = 0;
    let mut outcomes = Vec::new();
    for offset in [0, 60, 300, 899, 900, 2100, 4500] {
        use switchyard_core::kafka_sync::ports::Clock;
        let now = heal_ports.clock.now();
        let target = day_start + Duration::from_secs(offset);
        heal_ports
            .clock
            .sleep(target.duration_since(now).unwrap())
            .await;
        let mark = connect.log_mark();
        let report = check(&heal_config, &heal_ports).await;
        let restarted = writes(&connect.requests_since(mark).await, &repo.prefix);
        restarts_seen += restarted.len();
        assert_eq!(report.heal.len(), 1, "at +{offset}s: {report}");
        let any = !restarted.is_empty();
        outcomes.push((offset, report.heal[0].clone(), restarted));
        // After a restart, the task fails again (it shows RESTARTING first).
        if any {
            tokio::time::sleep(Duration::from_millis(1500)).await;
        }
        connect
            .wait_for_status(&name, Duration::from_secs(60), "FAILED", task_failed)
            .await;
    }
    let kinds: Vec<(u64, &str)> = outcomes
        .iter()
        .map(|(o, h, _)| {
            (
                *o,
                match h {
                    HealOutcome::Restarted { .. } => "restarted",
                    HealOutcome::BackingOff { .. } => "backing off",
                    HealOutcome::Capped { .. } => "capped",
                    HealOutcome::RestartFailed { .. } => "restart failed",
                },
            )
        })
        .collect();
    // Restart at 0; wait 5 min; restart at 300; wait 10 min (to 900); restart at 900; then the
    // cap (3 a day) stops it, even after the 20-minute back-off has passed (2100, 4500).
    assert_eq!(
        kinds,
        [
            (0, "restarted"),
            (60, "backing off"),
            (300, "restarted"),
            (899, "backing off"),
            (900, "restarted"),
            (2100, "capped"),
            (4500, "capped")
        ],
        "{outcomes:#?}"
    );
    assert_eq!(restarts_seen, 3);
    for (_, _, restarted) in &outcomes {
        for r in restarted {
            assert_eq!(
                r,
                &format!("POST /connectors/{name}/restart?includeTasks=true&onlyFailed=true")
            );
        }
    }
    let HealOutcome::Restarted {
        next_not_before, ..
    } = &outcomes[2].1
    else {
        panic!()
    };
    assert!(next_not_before.ends_with("01:15:00Z"), "{next_not_before}"); // 300 s + 600 s
    let capped = outcomes[5].1.to_string();
    assert!(
        capped.contains("daily cap of 3 restarts is reached"),
        "{capped}"
    );
    let ledger = store.restarts(TABLE, cluster).await.unwrap();
    assert_eq!(ledger.connectors[&name].today, 3);
    remove(&plain, &name).await;
}

#[tokio::test]
async fn an_older_bundle_after_a_newer_one_is_refused_and_the_record_outlives_its_client() {
    let Some(connect) = connect::cluster("kafka_drift_older_bundle") else {
        return;
    };
    let _shared = connect.shared().await;
    let sdk = sdk().await;
    setup(&sdk).await;
    let cluster = "older-bundle";
    let mut repo = Repo::new("older");
    repo.sink("a", "a.txt", "");
    let older_key = format!("{}older.zip", repo.prefix);
    let newer_key = format!("{}newer.zip", repo.prefix);
    let older = upload(&sdk, &repo, &older_key).await;
    // S3's LastModified has one-second resolution.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    repo.sink("b", "b.txt", "");
    let newer = upload(&sdk, &repo, &newer_key).await;
    let clusters = json!({cluster: {"url": connect.url, "managed_prefixes": [repo.prefix]}});
    let bundles = json!([
        {"bucket": BUCKET, "key": older_key, "environment": "test", "cluster": cluster},
        {"bucket": BUCKET, "key": newer_key, "environment": "test", "cluster": cluster},
    ]);
    let config = KafkaSyncConfig::from_vars(&string_map(&[
        ("KAFKA_CLUSTERS", &clusters.to_string()),
        ("KAFKA_BUNDLES", &bundles.to_string()),
        ("KAFKA_STATE_TABLE", TABLE),
        ("CONNECT_POLL_SECONDS", "1"),
    ]))
    .unwrap();
    let requests = Recorder::default();
    let ports = switchyard_adapters::connect::KafkaSyncPorts::with_clusters(
        BTreeMap::from([(cluster.to_owned(), requests.record(client(connect)))]),
        &sdk,
    );
    let synced = sync_bundle_uploads(
        &upload_event(&newer_key, &newer),
        &config,
        &ports,
        deadline(),
    )
    .await
    .unwrap();
    assert!(
        matches!(synced[..], [BundleOutcome::Synced { .. }]),
        "{synced:?}"
    );

    // The older bundle's event arrives late: refused before any request to the cluster.
    requests.reset_requests();
    let late = sync_bundle_uploads(
        &upload_event(&older_key, &older),
        &config,
        &ports,
        deadline(),
    )
    .await
    .unwrap();
    let [BundleOutcome::Superseded { skipped, .. }] = &late[..] else {
        panic!("{late:?}")
    };
    assert!(
        skipped.starts_with(&format!("superseded by bundle s3://{BUCKET}/{newer_key}?versionId={newer} (environment \"test\"")),
        "{skipped}"
    );
    assert!(requests.requests().is_empty(), "{:?}", requests.requests());

    // A new client (a new Lambda instance) reads the record from DynamoDB.
    let fresh = DynamoKafkaState::from_sdk(&moto().sdk().await);
    let record = fresh.applied(TABLE, cluster).await.unwrap().unwrap();
    assert_eq!(
        record.source.object(),
        (BUCKET, newer_key.as_str(), Some(newer.as_str()))
    );
    // And two concurrent applies cannot move it backwards: the older one keeps the newer.
    let backwards = AppliedState {
        written_at: record.written_at - 1,
        source: AppliedSource::Bundle {
            bucket: BUCKET.into(),
            key: older_key.clone(),
            version_id: Some(older),
        },
        ..record.clone()
    };
    assert_eq!(
        fresh.record(TABLE, &backwards).await.unwrap(),
        Recorded::KeptNewer(Box::new(record.clone()))
    );
    assert_eq!(fresh.applied(TABLE, cluster).await.unwrap(), Some(record));
    for short in ["a", "b"] {
        remove(&client(connect), &repo.name(short)).await;
    }
}

#[tokio::test]
async fn a_worker_that_does_not_answer_is_unreachable_and_nothing_changes() {
    let Some(connect) = connect::cluster("kafka_drift_unreachable") else {
        return;
    };
    let _shared = connect.shared().await;
    let sdk = sdk().await;
    setup(&sdk).await;
    let mut repo = Repo::new("unreachable");
    repo.sink("x", "x.txt", "");
    let key = format!("{}bundle.zip", repo.prefix);
    let version = upload(&sdk, &repo, &key).await;
    let closed_url = "http://127.0.0.1:9";
    let cluster = "unreachable";
    let state = AppliedState {
        cluster: cluster.into(),
        source: AppliedSource::Bundle {
            bucket: BUCKET.into(),
            key: key.clone(),
            version_id: Some(version),
        },
        environment: "test".into(),
        directory: String::new(),
        prune: false,
        written_at: 1,
        applied_at: 2,
    };
    let store = DynamoKafkaState::from_sdk(&sdk);
    assert_eq!(store.record(TABLE, &state).await.unwrap(), Recorded::Saved);
    let ledger = store.restarts(TABLE, cluster).await.unwrap();
    let requests = Recorder::default();
    let closed = requests.record(
        HttpConnect::new(
            closed_url,
            ConnectCredentials::default(),
            Duration::from_secs(1),
        )
        .unwrap(),
    );
    let enforce = config(&repo, cluster, closed_url, "enforce", &[&key]);
    let p = ports(&sdk, cluster, closed, SystemTime::now());
    let mark = connect.log_mark();
    let report = check(&enforce, &p).await;
    assert_eq!(report.status, DriftStatus::Unreachable, "{report}");
    assert!(
        report.summary().contains("unreachable"),
        "{}",
        report.summary()
    );
    assert!(
        report.heal.is_empty() && report.enforced.is_none(),
        "{report}"
    );
    assert!(
        requests.requests().iter().all(|r| r.starts_with("GET ")),
        "{:?}",
        requests.requests()
    );
    assert_eq!(
        writes(&connect.requests_since(mark).await, &repo.prefix),
        Vec::<String>::new()
    );
    assert_eq!(store.applied(TABLE, cluster).await.unwrap(), Some(state));
    assert_eq!(store.restarts(TABLE, cluster).await.unwrap(), ledger);
}

#[tokio::test]
async fn a_topic_config_changed_with_the_admin_api_is_drift_and_enforce_puts_it_back() {
    use rdkafka::admin::{AdminOptions, AlterConfig, ConfigSource, ResourceSpecifier};
    let Some(connect) = connect::cluster("kafka_drift_topic") else {
        return;
    };
    let _shared = connect.shared().await;
    let sdk = sdk().await;
    setup(&sdk).await;
    let mut repo = Repo::new("topicdrift");
    let topic = repo.name("t");
    repo.topics(&format!(
        "  - name: {topic}\n    partitions: 1\n    config:\n      retention.ms: 2000000\n"
    ));
    let key = format!("{}bundle.zip", repo.prefix);
    let version = upload(&sdk, &repo, &key).await;
    let cluster = "topic-drift";
    let servers: Vec<String> = std::env::var("KAFKA_BOOTSTRAP_SERVERS")
        .expect("KAFKA_BOOTSTRAP_SERVERS")
        .split(',')
        .map(str::to_owned)
        .collect();
    let config_for = |mode: &str| {
        let clusters = json!({cluster: {"url": connect.url, "managed_prefixes": [repo.prefix],
            "kafka": {"bootstrap_servers": servers, "managed_topic_prefixes": [repo.prefix]},
            "reconcile": {"mode": mode}}});
        let bundles =
            json!([{"bucket": BUCKET, "key": key, "environment": "test", "cluster": cluster}]);
        KafkaSyncConfig::from_vars(&string_map(&[
            ("KAFKA_CLUSTERS", &clusters.to_string()),
            ("KAFKA_BUNDLES", &bundles.to_string()),
            ("KAFKA_STATE_TABLE", TABLE),
        ]))
        .unwrap()
    };
    let ports = Ports {
        admin: Some(topic_admin()),
        ..ports(&sdk, cluster, client(connect), SystemTime::now())
    };
    let synced = sync_bundle_uploads(
        &upload_event(&key, &version),
        &config_for("report"),
        &ports,
        deadline(),
    )
    .await
    .unwrap();
    assert!(
        matches!(synced[..], [BundleOutcome::Synced { .. }]),
        "{synced:?}"
    );
    let clean = check(&config_for("report"), &ports).await;
    assert_eq!(clean.status, DriftStatus::NoDrift, "{clean}");

    // By hand, with the admin protocol (rdkafka's own client, not the adapter).
    let broker: rdkafka::admin::AdminClient<rdkafka::client::DefaultClientContext> =
        rdkafka::config::ClientConfig::new()
            .set("bootstrap.servers", servers.join(","))
            .create()
            .unwrap();
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let alter = AlterConfig::new(ResourceSpecifier::Topic(&topic)).set("retention.ms", "999000");
    broker.alter_configs([&alter], &opts).await.unwrap()[0]
        .as_ref()
        .unwrap();

    let report = check(&config_for("report"), &ports).await;
    assert_eq!(report.status, DriftStatus::Drift, "{report}");
    assert_eq!(
        report.differences,
        [format!("topic {topic} differs in retention.ms")]
    );
    let enforced = check(&config_for("enforce"), &ports).await;
    assert!(enforced.wrote(), "{enforced}");
    let described = broker
        .describe_configs([&ResourceSpecifier::Topic(&topic)], &opts)
        .await
        .unwrap();
    let entries = &described[0].as_ref().unwrap().entries;
    let retention = entries
        .iter()
        .find(|e| e.name == "retention.ms" && e.source == ConfigSource::DynamicTopic)
        .and_then(|e| e.value.clone());
    assert_eq!(retention.as_deref(), Some("2000000"));
    let after = check(&config_for("report"), &ports).await;
    assert_eq!(after.status, DriftStatus::NoDrift, "{after}");
    broker.delete_topics(&[&topic], &opts).await.unwrap();
}
