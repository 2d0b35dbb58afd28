//! Benchmark of `kafka-sync`'s topics against the real test broker (README "Performance" and
//! docs/kafka-sync.md have the numbers):
//!
//! 1. plan for N topics (default 1,000), all in Git and on the broker (no changes): the admin
//!    requests the broker received from Switchyard's client, per API, and the wall time; beside
//!    them, in the same run, what a user does by hand today: `kafka-topics.sh --describe` and
//!    `kafka-configs.sh --describe` for the same topics (their classes `TopicCommand` and
//!    `ConfigCommand`, run with `java` on the test cluster's jars), their requests and wall time;
//! 2. apply of NEW (default 100) new topics: wall time, and the re-plan shows no changes.
//!
//! ```text
//! eval "$(CONNECT_CLUSTER_REQUEST_LOG=1 tests/kafka-connect/cluster.sh start)"
//! cargo run --release -p switchyard-integration-tests --example kafka_topics_bench -- [N] [NEW] [ROUNDS]
//! ```
//!
//! Requests are counted on the wire, by the broker: `CONNECT_CLUSTER_REQUEST_LOG=1` makes it log
//! every completed request (`logs/requests.log`: API name and client id), and each client here
//! has its own client id. Everything it creates is named `bench-<pid>-…` and deleted at the end.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminOptions, NewTopic, TopicReplication};
use switchyard_adapters::connect::{ConnectCredentials, HttpConnect, TokioClock};
use switchyard_adapters::kafka::{admin_client, KafkaTopicAdmin};
use switchyard_core::kafka_sync::apply::{ApplyOptions, NoProgress};
use switchyard_core::kafka_sync::brokers::BrokersConfig;
use switchyard_core::kafka_sync::retry::Backoff;
use switchyard_core::kafka_sync::run;
use switchyard_core::kafka_sync::topics::diff::TopicOptions;
use switchyard_core::kafka_sync::{ChangePlan, DiffOptions, ManagedScope, Redactor, SourceFile};

/// The client id of Switchyard's admin client (`adapters::kafka::connection`).
const SWITCHYARD_CLIENT_ID: &str = "switchyard";

/// The broker's request log: what it completed, per client id and API.
struct RequestLog(PathBuf);

impl RequestLog {
    fn mark(&self) -> u64 {
        // Let the requests before the mark reach the file first.
        std::thread::sleep(Duration::from_millis(300));
        std::fs::metadata(&self.0).map_or(0, |m| m.len())
    }

    /// Requests of `client_id` completed since `mark`, by API name.
    fn since(&self, mark: u64, client_id: &str) -> BTreeMap<String, usize> {
        // The broker logs a request when it has answered it; give the file a moment.
        std::thread::sleep(Duration::from_millis(300));
        let bytes = std::fs::read(&self.0).expect("the broker's request log");
        let text = String::from_utf8_lossy(&bytes[usize::try_from(mark).unwrap()..]);
        let mut counts = BTreeMap::new();
        for line in text.lines() {
            let Some(json) = line.strip_prefix("Completed request:") else {
                continue;
            };
            let Ok(entry) = serde_json::from_str::<serde_json::Value>(json) else {
                continue;
            };
            let header = &entry["requestHeader"];
            // In this combined broker + controller, a write the broker forwards to the
            // controller is logged again there (`isForwarded`): one request on the wire.
            if header["clientId"] == client_id && entry["isForwarded"] != true {
                let api = header["requestApiKeyName"].as_str().unwrap_or("?");
                *counts.entry(api.to_owned()).or_default() += 1;
            }
        }
        counts
    }
}

fn total(counts: &BTreeMap<String, usize>) -> usize {
    counts.values().sum()
}

fn listed(counts: &BTreeMap<String, usize>) -> String {
    counts
        .iter()
        .map(|(api, n)| format!("{api} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

/// The desired state: topics `0..n` of `prefix`, each 1 partition with one override.
fn desired(prefix: &str, n: usize) -> Vec<SourceFile> {
    let mut yaml = String::from("topics:\n");
    for i in 0..n {
        yaml.push_str(&format!(
            "  - name: {prefix}t{i:04}\n    partitions: 1\n    replication_factor: 1\n    config:\n      retention.ms: \"3600000\"\n"
        ));
    }
    vec![
        SourceFile {
            path: "environments/bench.yaml".into(),
            contents: b"team: bench\n".to_vec(),
        },
        SourceFile {
            path: "topics/bench.yaml".into(),
            contents: yaml.into_bytes(),
        },
    ]
}

struct Bench {
    api: HttpConnect,
    brokers: BrokersConfig,
    prefix: String,
}

impl Bench {
    fn options(&self) -> DiffOptions {
        DiffOptions {
            scope: ManagedScope::new(vec![self.prefix.clone()], []),
            prune: false,
            redactor: Redactor::default(),
            allow_unmanaged_writes: false,
            topics: TopicOptions::for_cluster("bench", Some(&self.brokers)),
        }
    }

    fn apply_options(&self) -> ApplyOptions {
        ApplyOptions {
            concurrency: 4,
            deadline: Duration::from_secs(600),
            backoff: Backoff::default(),
            allow_dangerous: false,
        }
    }

    /// A fresh admin client (as a cold Lambda or a CLI run has), and the plan.
    async fn plan(&self, n: usize) -> (ChangePlan, KafkaTopicAdmin) {
        let admin = KafkaTopicAdmin::connect(&self.brokers, None, Duration::from_secs(60)).unwrap();
        let plan = run::plan_changes(
            &desired(&self.prefix, n),
            "bench",
            &self.options(),
            false,
            &self.api,
            Some(&admin),
            &TokioClock::start(),
            &self.apply_options(),
        )
        .await
        .unwrap_or_else(|e| panic!("plan: {e}"));
        (plan, admin)
    }
}

/// Runs one of the Kafka distribution's tools (`class`) with the test cluster's jars; returns
/// its wall time (JVM start included) and the lines it printed.
fn kafka_tool(libs: &Path, class: &str, args: &[&str]) -> (Duration, usize) {
    let started = Instant::now();
    let out = Command::new("java")
        .args([
            "-Xmx512m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-Dlog4j2.level=warn",
            "-cp",
        ])
        .arg(libs.join("*"))
        .arg(class)
        .args(args)
        .output()
        .expect("java");
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "{class} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (took, String::from_utf8_lossy(&out.stdout).lines().count())
}

/// Creates or deletes topics `names` through the plaintext listener, 100 per request.
async fn seed(brokers: &BrokersConfig, names: &[String], create: bool) {
    let admin = admin_client(brokers, None).unwrap();
    let options = AdminOptions::new().request_timeout(Some(Duration::from_secs(120)));
    for chunk in names.chunks(100) {
        if create {
            let topics: Vec<_> = chunk
                .iter()
                .map(|t| {
                    NewTopic::new(t, 1, TopicReplication::Fixed(1)).set("retention.ms", "3600000")
                })
                .collect();
            for r in admin.create_topics(&topics, &options).await.unwrap() {
                r.unwrap_or_else(|(t, e)| panic!("create {t}: {e}"));
            }
        } else {
            let chunk: Vec<&str> = chunk.iter().map(String::as_str).collect();
            admin.delete_topics(&chunk, &options).await.unwrap();
        }
    }
}

#[tokio::main]
async fn main() {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("{name}: start the test cluster first: eval \"$(CONNECT_CLUSTER_REQUEST_LOG=1 tests/kafka-connect/cluster.sh start)\"")
        })
    };
    let url = var("CONNECT_URL");
    let bootstrap = var("KAFKA_BOOTSTRAP_SERVERS");
    let log = RequestLog(PathBuf::from(var("CONNECT_CLUSTER_DIR")).join("logs/requests.log"));
    assert!(
        log.0.exists(),
        "{} is missing: start the cluster with CONNECT_CLUSTER_REQUEST_LOG=1",
        log.0.display()
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let libs = std::fs::read_dir(root.join("tests/.cache"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path().join("libs"))
        .find(|p| p.join(".pom.sha256").exists())
        .expect("the Kafka jars in tests/.cache/kafka-<version>/libs");
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(1000, |a| a.parse().expect("N"));
    let new: usize = args.next().map_or(100, |a| a.parse().expect("NEW"));
    let rounds: usize = args.next().map_or(3, |a| a.parse().expect("ROUNDS"));
    let prefix = format!("bench-{}-", std::process::id());
    let brokers: BrokersConfig = serde_json::from_value(serde_json::json!({
        "bootstrap_servers": [bootstrap],
        "managed_topic_prefixes": [prefix],
    }))
    .unwrap();
    let bench = Bench {
        api: HttpConnect::new(
            &url,
            ConnectCredentials::default(),
            Duration::from_secs(100),
        )
        .unwrap(),
        brokers,
        prefix: prefix.clone(),
    };
    let names: Vec<String> = (0..n + new).map(|i| format!("{prefix}t{i:04}")).collect();

    println!("kafka-sync topics benchmark: {n} topics on {bootstrap}");
    let started = Instant::now();
    seed(&bench.brokers, &names[..n], true).await;
    wait_until_listed(&bench.brokers, &prefix, n);
    println!("setup: created {n} topics in {}", ms(started.elapsed()));

    // 1. Plan: N topics, no changes; a fresh client per round.
    println!("\n| what | admin requests (on the broker) | wall time |\n|---|---|---|");
    for round in 1..=rounds {
        let mark = log.mark();
        let started = Instant::now();
        let (plan, admin) = bench.plan(n).await;
        let took = started.elapsed();
        assert_eq!(
            plan.topics.summary.unchanged, n,
            "{:?}",
            plan.topics.summary
        );
        let counts = log.since(mark, SWITCHYARD_CLIENT_ID);
        println!(
            "| switchyard plan, {n} topics, round {round} (port calls: {}) | {} ({}) | {} |",
            admin.requests(),
            total(&counts),
            listed(&counts),
            ms(took)
        );
    }
    let tool_config = std::env::temp_dir().join(format!("{prefix}tool.properties"));
    for (client_id, class, what, extra) in [
        (
            "bench-jvm",
            "org.apache.kafka.tools.TopicCommand",
            "JVM start alone (`kafka-topics.sh --version`)".to_owned(),
            vec!["--version".to_owned()],
        ),
        (
            "bench-kafka-topics",
            "org.apache.kafka.tools.TopicCommand",
            format!("`kafka-topics.sh --describe --topic '{prefix}.*'`"),
            vec!["--describe".into(), "--topic".into(), format!("{prefix}.*")],
        ),
        (
            "bench-kafka-configs",
            "kafka.admin.ConfigCommand",
            "`kafka-configs.sh --describe --entity-type topics` (every topic: it has no pattern)"
                .to_owned(),
            vec!["--describe".into(), "--entity-type".into(), "topics".into()],
        ),
    ] {
        std::fs::write(&tool_config, format!("client.id={client_id}\n")).unwrap();
        let mut args: Vec<String> = Vec::new();
        if !extra.contains(&"--version".to_owned()) {
            args.extend([
                "--bootstrap-server".into(),
                bootstrap_of(&bench.brokers),
                "--command-config".into(),
                tool_config.display().to_string(),
            ]);
        }
        args.extend(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mark = log.mark();
        let (took, lines) = kafka_tool(&libs, class, &args);
        let counts = log.since(mark, client_id);
        println!(
            "| {what}, {lines} lines | {} ({}) | {} |",
            total(&counts),
            listed(&counts),
            ms(took)
        );
    }
    let _ = std::fs::remove_file(&tool_config);

    // 2. Apply NEW new topics beside the N.
    let (plan, admin) = bench.plan(n + new).await;
    assert_eq!(
        plan.topics.summary.created, new,
        "{:?}",
        plan.topics.summary
    );
    let mark = log.mark();
    let started = Instant::now();
    let applied = run::apply_and_wait(
        &plan,
        &bench.api,
        Some(&admin),
        &TokioClock::start(),
        &bench.apply_options(),
        None,
        run::AlsoWaitFor::Nothing,
        &NoProgress,
    )
    .await
    .unwrap_or_else(|e| panic!("apply: {e}"));
    let took = started.elapsed();
    assert!(applied.topics.succeeded(), "{:?}", applied.failures());
    let counts = log.since(mark, SWITCHYARD_CLIENT_ID);
    println!(
        "| switchyard apply, {new} new topics (concurrency {}) | {} ({}) | {} ({:.1} ms per topic) |",
        bench.apply_options().concurrency,
        total(&counts),
        listed(&counts),
        ms(took),
        took.as_secs_f64() * 1000.0 / new as f64
    );
    let (replan, _) = bench.plan(n + new).await;
    println!(
        "\nre-plan after apply: {} topics unchanged, changes: {}",
        replan.topics.summary.unchanged,
        replan.topics.summary.has_changes()
    );

    let started = Instant::now();
    seed(&bench.brokers, &names, false).await;
    println!(
        "cleanup: deleted {} topics in {}",
        n + new,
        ms(started.elapsed())
    );
}

/// Waits (up to a minute) until the broker's metadata lists `n` topics of `prefix`: a created
/// topic reaches the metadata a moment after CreateTopics answers.
fn wait_until_listed(brokers: &BrokersConfig, prefix: &str, n: usize) {
    let admin = admin_client(brokers, None).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let listed = admin
            .inner()
            .fetch_metadata(None, Duration::from_secs(30))
            .unwrap()
            .topics()
            .iter()
            .filter(|t| t.name().starts_with(prefix) && t.error().is_none())
            .count();
        if listed >= n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "only {listed} of {n} topics listed after a minute"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn bootstrap_of(brokers: &BrokersConfig) -> String {
    brokers.bootstrap_servers.join(",")
}
