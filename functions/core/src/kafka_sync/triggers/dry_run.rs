//! The dry run's ports: the same operation as the Lambda, with writes recorded instead of
//! performed. Its world holds the desired state a trigger would read (none by default) and each
//! cluster's observed state (`GET /` and `GET /connectors?expand=info&expand=status` answers,
//! and optionally its topics: [`crate::kafka_sync::topics::dry_run`]); time is simulated, so
//! waits end at once.
//!
//! In the default empty world no artifact can be read, so a pipeline job's parameters are checked
//! exactly as the Lambda checks them, an S3 upload is matched against the configured bundles, and
//! the run stops there, saying what the Lambda would apply ([`decide_event`] with [`DryRunConnectPorts::from_world`] and no world: replay, the
//! shared test dispatcher, fuzzing).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::deadline::{Deadline, DEFAULT_MARGIN};
use crate::entry::HandlerError;
use crate::kafka_sync::config::KafkaSyncConfig;
use crate::kafka_sync::desired::{ConnectorConfig, SourceFile, TargetState};
use crate::kafka_sync::ports::{
    ArtifactError, ArtifactLocation, ArtifactReader, Clock, ConnectApi, ConnectError,
    SimulatedClock, StateOp,
};
use crate::kafka_sync::topics::dry_run::{DryRunTopics, WorldTopic};
use crate::kafka_sync::triggers::bundle_upload::{sync_bundle_uploads, BundleOutcome, NO_BUNDLE};
use crate::kafka_sync::triggers::pipeline_job::decide_job;
use crate::kafka_sync::triggers::ConnectPorts;
use crate::pipeline_job::{is_job_event, Job};
use crate::plan::Decision;

/// The longest a Lambda invocation runs: the dry run's deadline.
const LAMBDA_MAX: Duration = Duration::from_secs(15 * 60);

/// The desired state a dry run's triggers read: the same files wherever they look, or none.
#[derive(Debug, Clone, Default)]
pub struct DryRunArtifacts {
    files: Option<Vec<SourceFile>>,
}

impl ArtifactReader for DryRunArtifacts {
    async fn read(
        &self,
        _location: ArtifactLocation<'_>,
        _directory: &str,
    ) -> Result<Vec<SourceFile>, ArtifactError> {
        self.files.clone().ok_or(ArtifactError::NotRead)
    }
}

/// A cluster as the dry run's world gives it: reads answer from its observed state (an error when
/// the world has none), writes are recorded and succeed without changing it.
#[derive(Debug, Default)]
pub struct DryRunConnect {
    /// `GET /` and `GET /connectors?expand=info&expand=status`.
    observed: Option<(Value, Value)>,
    writes: Mutex<Vec<String>>,
}

impl DryRunConnect {
    pub fn observing(server_info: Value, connectors: Value) -> Self {
        DryRunConnect {
            observed: Some((server_info, connectors)),
            writes: Mutex::default(),
        }
    }

    /// The writes the Lambda would have sent, in order, as `METHOD path`.
    pub fn writes(&self) -> Vec<String> {
        self.writes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn read(
        &self,
        request: &str,
        part: impl Fn(&(Value, Value)) -> Value,
    ) -> Result<Value, ConnectError> {
        self.observed.as_ref().map(part).ok_or_else(|| {
            ConnectError::unreachable(
                request.to_owned(),
                "the dry run's world has no state for this cluster".into(),
            )
        })
    }

    fn write(&self, request: String) -> Result<(), ConnectError> {
        self.writes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(request);
        Ok(())
    }
}

impl ConnectApi for DryRunConnect {
    async fn server_info(&self) -> Result<Value, ConnectError> {
        self.read("GET /", |(info, _)| info.clone())
    }

    async fn connectors_expanded(&self) -> Result<Value, ConnectError> {
        self.read("GET /connectors?expand=info&expand=status", |(_, c)| {
            c.clone()
        })
    }

    async fn connector_statuses(&self) -> Result<Value, ConnectError> {
        // The expanded listing holds every status the world has.
        self.read("GET /connectors?expand=status", |(_, c)| c.clone())
    }

    async fn connector_config(&self, name: &str) -> Result<Value, ConnectError> {
        let request = format!("GET /connectors/{name}/config");
        let config = self.read(&request, |(_, c)| c[name]["info"]["config"].clone())?;
        if config.is_null() {
            return Err(ConnectError::from_response(
                request,
                404,
                format!("Connector {name} not found"),
            ));
        }
        Ok(config)
    }

    async fn put_config(&self, name: &str, _config: &ConnectorConfig) -> Result<(), ConnectError> {
        self.write(format!("PUT /connectors/{name}/config"))
    }

    async fn create(
        &self,
        name: &str,
        _config: &ConnectorConfig,
        initial_state: TargetState,
    ) -> Result<(), ConnectError> {
        self.write(format!(
            "POST /connectors {name} {}",
            initial_state.as_connect()
        ))
    }

    async fn set_state(&self, name: &str, op: StateOp) -> Result<(), ConnectError> {
        self.write(format!("PUT /connectors/{name}/{}", op.path_segment()))
    }

    async fn delete(&self, name: &str) -> Result<(), ConnectError> {
        self.write(format!("DELETE /connectors/{name}"))
    }

    async fn restart_failed(&self, name: &str) -> Result<(), ConnectError> {
        self.write(format!("POST /connectors/{name}/restart"))
    }

    async fn validate(
        &self,
        _class: &str,
        _config: &ConnectorConfig,
    ) -> Result<Value, ConnectError> {
        // The dry run cannot ask the plugin: every key passes.
        Ok(serde_json::json!({"configs": []}))
    }
}

/// The dry run's ports: a [`DryRunConnect`] per cluster the world describes (any other cluster
/// has no state: its reads fail, as an unreachable cluster's would), the world's desired state,
/// simulated time.
#[derive(Debug)]
pub struct DryRunConnectPorts {
    clusters: BTreeMap<String, DryRunConnect>,
    unlisted: DryRunConnect,
    topics: BTreeMap<String, DryRunTopics>,
    unlisted_topics: DryRunTopics,
    artifacts: DryRunArtifacts,
    clock: SimulatedClock,
}

/// The `kafka-sync` part of a dry-run world.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct WorldPart {
    /// Desired-state files every trigger reads, path → contents (as in the bundle or artifact).
    #[serde(default)]
    desired: Option<BTreeMap<String, String>>,
    /// Per cluster, its answers to `GET /` and `GET /connectors?expand=info&expand=status`.
    #[serde(default)]
    clusters: BTreeMap<String, WorldCluster>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct WorldCluster {
    server: Value,
    connectors: Value,
    /// The cluster's topics (`topics::dry_run::WorldTopic`); absent: topic reads fail.
    #[serde(default)]
    topics: Option<Vec<WorldTopic>>,
}

impl DryRunConnectPorts {
    /// From the `kafka-sync` part of a dry-run world (absent: no desired state, no cluster):
    ///
    /// ```json
    /// "kafka-sync": {
    ///   "desired": {"connectors/sink.yaml": "name: sy-sink\nconfig: {…}"},
    ///   "clusters": {"main": {"server": {"version": "3.9.0", …}, "connectors": {…},
    ///                         "topics": [{"name": "orders.v1", "partitions": 3, …}]}}
    /// }
    /// ```
    pub fn from_world(part: Option<&Value>, now: SystemTime) -> Result<Self, String> {
        let mut ports = DryRunConnectPorts {
            clusters: BTreeMap::new(),
            unlisted: DryRunConnect::default(),
            topics: BTreeMap::new(),
            unlisted_topics: DryRunTopics::default(),
            artifacts: DryRunArtifacts::default(),
            clock: SimulatedClock::starting_at(now),
        };
        let Some(part) = part else {
            return Ok(ports);
        };
        let part: WorldPart = serde_json::from_value(part.clone())
            .map_err(|e| format!("world file, key \"kafka-sync\": {e}"))?;
        if let Some(desired) = part.desired {
            ports = ports.with_desired_state(
                desired
                    .into_iter()
                    .map(|(path, contents)| SourceFile {
                        path,
                        contents: contents.into_bytes(),
                    })
                    .collect(),
            );
        }
        for (name, cluster) in part.clusters {
            if let Some(topics) = cluster.topics {
                ports = ports.with_topics(&name, DryRunTopics::observing(topics));
            }
            ports = ports.with_cluster(
                &name,
                DryRunConnect::observing(cluster.server, cluster.connectors),
            );
        }
        Ok(ports)
    }

    /// The desired state every trigger reads.
    pub fn with_desired_state(mut self, files: Vec<SourceFile>) -> Self {
        self.artifacts.files = Some(files);
        self
    }

    /// A cluster's observed state.
    pub fn with_cluster(mut self, name: &str, cluster: DryRunConnect) -> Self {
        self.clusters.insert(name.to_owned(), cluster);
        self
    }

    /// A cluster's observed topics.
    pub fn with_topics(mut self, name: &str, topics: DryRunTopics) -> Self {
        self.topics.insert(name.to_owned(), topics);
        self
    }

    /// A deadline as far as the longest Lambda invocation.
    pub fn deadline(&self) -> Deadline {
        Deadline::new(self.clock.now() + LAMBDA_MAX, DEFAULT_MARGIN)
    }
}

impl ConnectPorts for DryRunConnectPorts {
    type Api = DryRunConnect;
    type Admin = DryRunTopics;
    type Artifacts = DryRunArtifacts;
    type Clock = SimulatedClock;

    fn cluster(&self, name: &str) -> Option<&DryRunConnect> {
        Some(self.clusters.get(name).unwrap_or(&self.unlisted))
    }

    /// Every cluster has one, as the Lambda has for every cluster with `kafka`: whether topics
    /// are in play is the configuration's call (`TopicOptions::scope`).
    fn topic_admin(&self, name: &str) -> Option<&DryRunTopics> {
        Some(self.topics.get(name).unwrap_or(&self.unlisted_topics))
    }

    fn artifacts(&self) -> &DryRunArtifacts {
        &self.artifacts
    }

    fn clock(&self) -> &SimulatedClock {
        &self.clock
    }
}

/// Any kafka-sync event, decided with `ports`: a pipeline job's plan (ending in its result), or
/// for an S3 event the first bundle's outcome. A job is decided on the event as given, standing in
/// for the Lambda's `GetJobDetails` answer: a job event as CodePipeline sends it names no pipeline,
/// so it syncs no cluster.
pub async fn decide_event<P: ConnectPorts>(
    raw: &Value,
    config: &KafkaSyncConfig,
    ports: &P,
    deadline: Deadline,
) -> Decision {
    if is_job_event(raw) {
        return match Job::parse(raw) {
            Ok(job) => decide_job(&job, config, ports, deadline).await,
            Err(e) => Decision::invalid(e.to_string()),
        };
    }
    match sync_bundle_uploads(raw, config, ports, deadline).await {
        Ok(outcomes) => match outcomes.into_iter().next() {
            None => Decision::skip(NO_BUNDLE),
            Some(BundleOutcome::NotRead { reason }) => Decision::skip(reason),
            Some(BundleOutcome::Superseded { bundle, skipped }) => {
                Decision::skip(format!("{bundle}: {skipped}"))
            }
            Some(BundleOutcome::Synced {
                bundle, summary, ..
            }) => Decision::skip(format!("dry run: {bundle}: {summary}")),
        },
        Err(HandlerError::Rejected(reason)) => Decision::invalid(reason),
        Err(HandlerError::Act(e)) => Decision::skip(format!(
            "dry run: the Lambda would fail the invocation (retryable: {}): {e}",
            e.retryable
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_vars;
    use crate::kafka_sync::desired::load::tests::file;
    use crate::plan::{Action, Outcome};
    use serde_json::json;

    /// The default empty world: no desired state, no cluster state.
    async fn decide_event_dry_run(raw: &Value, config: &KafkaSyncConfig) -> Decision {
        let ports = DryRunConnectPorts::from_world(None, SystemTime::now()).unwrap();
        decide_event(raw, config, &ports, ports.deadline()).await
    }
    use std::time::UNIX_EPOCH;

    fn config() -> KafkaSyncConfig {
        KafkaSyncConfig::from_vars(&test_vars(&[
            (
                "KAFKA_CLUSTERS",
                r#"{"main": {"url": "http://c:8083", "managed_prefixes": ["sy-"], "pipelines": ["release"]}}"#,
            ),
            ("KAFKA_ARTIFACT_BUCKETS", "art"),
            (
                "KAFKA_BUNDLES",
                r#"[{"bucket": "b", "key": "k.zip", "environment": "test", "cluster": "main"}]"#,
            ),
        ]))
        .unwrap()
    }

    /// A job as `GetJobDetails` returns it (with its pipeline context): the dry run decides on the
    /// job it is given.
    fn job_event() -> Value {
        json!({"CodePipeline.job": {"id": "6f1c8e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b", "data": {
            "actionConfiguration": {"configuration": {"FunctionName": "f", "UserParameters": r#"{"environment": "test", "cluster": "main"}"#}},
            "inputArtifacts": [{"name": "Source", "location": {"type": "S3", "s3Location": {"bucketName": "art", "objectKey": "p/Source/x"}}}],
            "artifactCredentials": {"accessKeyId": "A", "secretAccessKey": "S", "sessionToken": "T"},
            "pipelineContext": {"pipelineName": "release"}
        }}})
    }

    fn upload() -> Value {
        json!({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": "b"}, "object": {"key": "k.zip", "size": 1, "versionId": "v1"}}}]})
    }

    fn world(observed: Value) -> (DryRunConnectPorts, KafkaSyncConfig) {
        let config = config();
        let ports = DryRunConnectPorts::from_world(None, UNIX_EPOCH + Duration::from_secs(1_000))
            .unwrap()
            .with_desired_state(vec![
                file("environments/test.yaml", "{}\n"),
                file(
                    "connectors/a.yaml",
                    "name: sy-a\nconfig: {connector.class: X, topics: t}\n",
                ),
            ])
            .with_cluster(
                "main",
                DryRunConnect::observing(json!({"version": "3.9.0"}), observed),
            );
        (ports, config)
    }

    #[tokio::test]
    async fn the_empty_world_says_what_the_lambda_would_apply() {
        let config = config();
        let job = decide_event_dry_run(&job_event(), &config).await;
        assert_eq!(job.outcome, Outcome::Skipped);
        assert_eq!(
            job.reason,
            "dry run: job 6f1c8e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b would apply input artifact \"Source\" at s3://art/p/Source/x to cluster \"main\" with environment \"test\"; see the plan with `switchyard kafka plan --dir <unzipped artifact> --env test --url <cluster>`"
        );
        let bundle = decide_event_dry_run(&upload(), &config).await;
        assert!(
            bundle.reason.starts_with(
                "dry run: the Lambda would apply s3://b/k.zip?versionId=v1 to cluster \"main\""
            ),
            "{}",
            bundle.reason
        );
        let other = decide_event_dry_run(&json!({"id": "x"}), &config).await;
        assert_eq!(
            (other.outcome, other.reason.as_str()),
            (Outcome::Skipped, NO_BUNDLE)
        );
    }

    #[tokio::test]
    async fn a_world_with_a_desired_state_runs_the_sync_and_records_the_writes() {
        // A new connector: written (recorded), then waited for until the budget is spent, so the
        // job answers "in progress".
        let (ports, config) = world(json!({}));
        let decision = decide_event(&job_event(), &config, &ports, ports.deadline()).await;
        let [Action::PutJobSuccessResult(result)] = decision.actions.as_slice() else {
            panic!("{decision:?}")
        };
        assert!(result.continuation_token.is_some(), "{decision:?}");
        assert!(
            decision.reason.contains("waiting for sy-a"),
            "{}",
            decision.reason
        );
        assert_eq!(
            ports.cluster("main").unwrap().writes(),
            ["PUT /connectors/sy-a/config"]
        );

        // Already there and RUNNING: nothing to write, the bundle syncs.
        let running = json!({"connector": {"state": "RUNNING", "worker_id": "w"}, "tasks": [{"id": 0, "state": "RUNNING", "worker_id": "w"}]});
        let (ports, config) = world(json!({"sy-a": {
            "info": {"config": {"name": "sy-a", "connector.class": "X", "topics": "t"}},
            "status": running
        }}));
        let decision = decide_event(&upload(), &config, &ports, ports.deadline()).await;
        assert!(
            decision.reason.starts_with("dry run: s3://b/k.zip?versionId=v1: test on main (Kafka Connect 3.9.0): 0 created, 0 updated, 0 deleted, 1 unchanged; nothing to change"),
            "{}",
            decision.reason
        );
        assert!(ports.cluster("main").unwrap().writes().is_empty());
    }

    /// A world with topics: the topic part of the sync runs too, writes recorded, topics before
    /// the connector; a cluster without `kafka` refuses a desired state with topics.
    #[tokio::test]
    async fn a_world_with_topics_plans_and_records_topic_writes_first() {
        let config = KafkaSyncConfig::from_vars(&test_vars(&[
            (
                "KAFKA_CLUSTERS",
                r#"{"main": {"url": "http://c:8083", "managed_prefixes": ["sy-"], "kafka": {"bootstrap_servers": ["b:9092"], "managed_topic_prefixes": ["t"]}}}"#,
            ),
            (
                "KAFKA_BUNDLES",
                r#"[{"bucket": "b", "key": "k.zip", "environment": "test", "cluster": "main"}]"#,
            ),
        ]))
        .unwrap();
        let world = json!({
            "desired": {
                "environments/test.yaml": "{}",
                "connectors/a.yaml": "name: sy-a\nconfig: {connector.class: X, topics: t}\n",
                "topics/t.yaml": "topics:\n  - {name: t, partitions: 3, config: {retention.ms: 1000}}\n  - {name: t2, partitions: 1}\n"
            },
            "clusters": {"main": {
                "server": {"version": "3.9.0"},
                "connectors": {},
                "topics": [{"name": "t", "partitions": 1, "replication_factor": 1, "configs": {"retention.ms": "5"}}]
            }}
        });
        let ports =
            DryRunConnectPorts::from_world(Some(&world), UNIX_EPOCH + Duration::from_secs(1_000))
                .unwrap();
        let decision = decide_event(&upload(), &config, &ports, ports.deadline()).await;
        assert!(
            decision.reason.contains("topics: 1 to create, 1 to update"),
            "{}",
            decision.reason
        );
        assert_eq!(
            ports.topic_admin("main").unwrap().writes(),
            [
                "CreatePartitions t 3",
                "AlterConfigs t",
                "CreateTopics t2 1"
            ]
        );
        assert_eq!(
            ports.cluster("main").unwrap().writes(),
            ["PUT /connectors/sy-a/config"]
        );

        let (ports, config) = world_with_topic_file();
        let decision = decide_event(&upload(), &config, &ports, ports.deadline()).await;
        assert!(
            decision
                .reason
                .contains("cluster \"main\" has no Kafka brokers configured"),
            "{}",
            decision.reason
        );
        assert!(ports.cluster("main").unwrap().writes().is_empty());
    }

    fn world_with_topic_file() -> (DryRunConnectPorts, KafkaSyncConfig) {
        let (ports, config) = world(json!({}));
        let ports = ports.with_desired_state(vec![
            file("environments/test.yaml", "{}\n"),
            file("topics/t.yaml", "topics: [{name: t, partitions: 1}]\n"),
        ]);
        (ports, config)
    }
}
