//! What the `kafka_sync*` tests share: an in-memory desired-state repository with its own
//! managed prefix, and plan/apply through the real reqwest adapter.

use std::ops::Deref;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::connect::{unique_name, ConnectCluster, Reply};
use switchyard_adapters::connect::{ConnectCredentials, HttpConnect, TokioClock};
use switchyard_adapters::kafka::{admin_client, KafkaTopicAdmin};
use switchyard_core::kafka_sync::apply::ApplyOptions;
use switchyard_core::kafka_sync::apply::NoProgress;
use switchyard_core::kafka_sync::apply::WaitOptions;
use switchyard_core::kafka_sync::brokers::BrokersConfig;
use switchyard_core::kafka_sync::retry::Backoff;
use switchyard_core::kafka_sync::run::{self, Applied, SyncFailure};
use switchyard_core::kafka_sync::topics::diff::TopicOptions;
use switchyard_core::kafka_sync::{ChangePlan, DiffOptions, ManagedScope, Redactor, SourceFile};

/// One test's desired-state repository, in memory, and its managed prefix.
pub struct Repo {
    pub prefix: String,
    pub dir: PathBuf,
    pub files: Vec<SourceFile>,
}

impl Repo {
    pub fn new(test: &str) -> Repo {
        let prefix = format!("{}-", unique_name(&format!("sy-{test}")));
        let dir = std::env::temp_dir().join(&prefix);
        std::fs::create_dir_all(&dir).unwrap();
        let mut repo = Repo {
            prefix,
            dir,
            files: Vec::new(),
        };
        repo.write(
            "environments/test.yaml",
            &format!("dir: {}\ntopic: {}topic\n", repo.dir.display(), repo.prefix),
        );
        repo
    }

    pub fn name(&self, short: &str) -> String {
        format!("{}{short}", self.prefix)
    }

    pub fn write(&mut self, path: &str, text: &str) {
        self.files.retain(|f| f.path != path);
        self.files.push(SourceFile {
            path: path.into(),
            contents: text.as_bytes().to_vec(),
        });
    }

    pub fn remove(&mut self, path: &str) {
        self.files.retain(|f| f.path != path);
    }

    /// A FileStreamSink writing `{{ env.dir }}/<file>` (extra config lines appended).
    pub fn sink(&mut self, short: &str, file: &str, extra: &str) {
        let name = self.name(short);
        self.write(
            &format!("connectors/{short}.yaml"),
            &format!(
                "name: {name}\nconfig:\n  connector.class: org.apache.kafka.connect.file.FileStreamSinkConnector\n  tasks.max: 1\n  topics: \"{{{{ env.topic }}}}\"\n  file: \"{{{{ env.dir }}}}/{file}\"\n{extra}"
            ),
        );
    }

    pub fn scope(&self) -> ManagedScope {
        ManagedScope::new(vec![self.prefix.clone()], [])
    }

    /// `topics/topics.yaml` with these entries (a YAML list under `topics:`).
    pub fn topics(&mut self, entries: &str) {
        self.write("topics/topics.yaml", &format!("topics:\n{entries}"));
    }

    /// This repository's topics: its prefix is the managed topic scope of cluster `test`.
    pub fn topic_options(&self, delete_unlisted: bool) -> TopicOptions {
        TopicOptions {
            cluster: "test".into(),
            scope: Some(self.scope()),
            delete_unlisted,
        }
    }
}

/// An admin client of the test cluster's broker (`KAFKA_BOOTSTRAP_SERVERS`, plaintext), with
/// its request counter.
pub fn topic_admin() -> KafkaTopicAdmin {
    let servers = std::env::var("KAFKA_BOOTSTRAP_SERVERS").expect(
        "KAFKA_BOOTSTRAP_SERVERS is set with CONNECT_URL by tests/kafka-connect/cluster.sh",
    );
    let brokers = BrokersConfig {
        bootstrap_servers: servers.split(',').map(str::to_owned).collect(),
        tls: false,
        auth: None,
        cluster_arn: None,
        managed_topic_prefixes: Vec::new(),
        managed_topics: Vec::new(),
        allow_plaintext_credentials: false,
    };
    KafkaTopicAdmin::connect(&brokers, None, Duration::from_secs(30)).expect("admin client")
}

impl Drop for Repo {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// A GET through the test helper, repeated while the worker answers 409/500 because a rebalance
/// (another test's write) is in progress.
pub async fn get_settled(connect: &ConnectCluster, path: &str) -> Reply {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let reply = connect.get(path).await;
        let busy = matches!(reply.status.as_u16(), 409 | 500 | 503);
        if !busy || std::time::Instant::now() > deadline {
            return reply;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Best-effort cleanup (the assertions are done): retried on rebalances, never failing the test.
pub async fn remove(api: &HttpConnect, name: &str) {
    use switchyard_core::kafka_sync::ports::ConnectApi;
    for _ in 0..20 {
        match api.delete(name).await {
            Err(e) if e.kind.is_retryable() => tokio::time::sleep(Duration::from_millis(500)).await,
            _ => return,
        }
    }
}

pub const FILE_SINK: &str = "org.apache.kafka.connect.file.FileStreamSinkConnector";

/// The request lines (`METHOD /path`) a test's client sent; a recorder that exists only in tests.
#[derive(Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<String>>>);

impl Recorder {
    pub fn requests(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    pub fn reset_requests(&self) {
        self.0.lock().unwrap().clear();
    }

    /// `api`, reporting its requests here.
    pub fn record(&self, api: HttpConnect) -> HttpConnect {
        let seen = self.0.clone();
        api.observing_requests(Arc::new(move |r: &str| {
            seen.lock().unwrap().push(r.to_owned())
        }))
    }
}

/// A client of the test cluster, with what it sent.
pub struct RecordedApi {
    pub api: HttpConnect,
    pub recorder: Recorder,
}

impl RecordedApi {
    pub fn requests(&self) -> Vec<String> {
        self.recorder.requests()
    }

    pub fn reset_requests(&self) {
        self.recorder.reset_requests();
    }
}

impl Deref for RecordedApi {
    type Target = HttpConnect;

    fn deref(&self) -> &HttpConnect {
        &self.api
    }
}

pub fn client(connect: &ConnectCluster) -> HttpConnect {
    HttpConnect::new(
        &connect.url,
        ConnectCredentials::default(),
        Duration::from_secs(100),
    )
    .unwrap()
}

pub fn api(connect: &ConnectCluster) -> RecordedApi {
    let recorder = Recorder::default();
    RecordedApi {
        api: recorder.record(client(connect)),
        recorder,
    }
}

pub fn apply_options() -> ApplyOptions {
    ApplyOptions {
        concurrency: 4,
        deadline: Duration::from_secs(120),
        backoff: Backoff::default(),
        allow_dangerous: false,
    }
}

pub fn wait_options() -> WaitOptions {
    WaitOptions {
        deadline: Duration::from_secs(120),
        poll_interval: Duration::from_millis(500),
        restart_failed: false,
    }
}

pub async fn plan(
    repo: &Repo,
    api: &HttpConnect,
    prune: bool,
    validate: bool,
) -> Result<ChangePlan, SyncFailure> {
    plan_with_topics(repo, api, None, TopicOptions::default(), prune, validate).await
}

/// The whole plan, topics included when `admin` is given (with `topics`' scope and flags).
pub async fn plan_with_topics(
    repo: &Repo,
    api: &HttpConnect,
    admin: Option<&KafkaTopicAdmin>,
    topics: TopicOptions,
    prune: bool,
    validate: bool,
) -> Result<ChangePlan, SyncFailure> {
    let options = DiffOptions {
        scope: repo.scope(),
        prune,
        redactor: Redactor::default(),
        allow_unmanaged_writes: false,
        topics,
    };
    run::plan_changes(
        &repo.files,
        "test",
        &options,
        validate,
        api,
        admin,
        &TokioClock::start(),
        &apply_options(),
    )
    .await
}

pub async fn apply(repo: &Repo, api: &HttpConnect, prune: bool) -> (ChangePlan, Applied) {
    let plan = plan(repo, api, prune, true).await.unwrap();
    (plan.clone(), apply_plan(&plan, api, None).await)
}

/// Applies `plan` (its topics through `admin`) and waits for the connectors it wrote.
pub async fn apply_plan(
    plan: &ChangePlan,
    api: &HttpConnect,
    admin: Option<&KafkaTopicAdmin>,
) -> Applied {
    run::apply_and_wait(
        plan,
        api,
        admin,
        &TokioClock::start(),
        &apply_options(),
        Some(&wait_options()),
        run::AlsoWaitFor::Nothing,
        &NoProgress,
    )
    .await
    .unwrap()
}

/// Whether the broker has `topic`, asked through the plaintext listener `plaintext`. Metadata for
/// all topics: asking for `topic` by name would create it (the test broker has
/// auto.create.topics.enable, and librdkafka's producer-type clients ask for auto-creation).
pub fn broker_has_topic(plaintext: &BrokersConfig, topic: &str) -> bool {
    let admin = admin_client(plaintext, None).unwrap();
    let metadata = admin
        .inner()
        .fetch_metadata(None, Duration::from_secs(10))
        .expect("metadata from the plaintext listener");
    metadata
        .topics()
        .iter()
        .any(|t| t.name() == topic && t.error().is_none())
}
