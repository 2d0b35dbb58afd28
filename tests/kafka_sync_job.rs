//! `kafka-sync` as a CodePipeline invoke action, end to end: the job's input artifact is a real
//! zip in a real moto S3 bucket, read with the job's `artifactCredentials` (the signature moto
//! recorded proves which key signed it); the sync runs against the real Kafka Connect worker of
//! `tests/kafka-connect/cluster.sh`; the job runs through the same code as the Lambda
//! (`job_runner::run_job` + `kafka_sync::triggers::pipeline_job::decide_job` with the Lambda's
//! ports). Job results are the one thing moto lacks
//! (`PutJobSuccessResult` / `PutJobFailureResult`): `aws-smithy-mocks` rules on the real
//! CodePipeline client record them. Without `CONNECT_URL`: failed under `CI=true`, skipped (loudly) elsewhere.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_sdk_codepipeline::operation::put_job_failure_result::{
    PutJobFailureResultInput, PutJobFailureResultOutput,
};
use aws_sdk_codepipeline::operation::put_job_success_result::{
    PutJobSuccessResultInput, PutJobSuccessResultOutput,
};
use aws_sdk_codepipeline::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use serde_json::{json, Value};
use switchyard_adapters::aws::pipeline_jobs::CodePipelineJobs;
use switchyard_adapters::connect::{HttpConnect, KafkaSyncPorts};
use switchyard_adapters::job_runner::run_job;
use switchyard_adapters::AwsExecutor;
use switchyard_core::deadline::{Deadline, DEFAULT_MARGIN};
use switchyard_core::kafka_sync::config::KafkaSyncConfig;
use switchyard_core::kafka_sync::triggers::pipeline_job::decide_job;
use switchyard_core::kafka_sync::triggers::verdict::Progress;
use switchyard_core::plan::FunctionName;
use switchyard_test_support::connect::{self, ConnectCluster};
use switchyard_test_support::env::string_map;
use switchyard_test_support::jobs::{no_tally, JobBook};
use switchyard_test_support::kafka_sync::*;
use switchyard_test_support::logs::Captured;
use switchyard_test_support::mocks::Requests;
use switchyard_test_support::moto;

const ACCESS_KEY: &str = "ASIAJOBARTIFACTKEY01";
const SECRET_KEY: &str = "job/artifact/secret/KEY/value/0123456789";
const SESSION_TOKEN: &str = "JobArtifactSessionTokenValue0123456789";
const ARTIFACT_BUCKET: &str = "sy-pipeline-artifacts-job";
/// The pipeline whose jobs may sync the test cluster.
const PIPELINE: &str = "sy-connect-release";

/// The recorded job results (moto has no job-result API).
struct ResultApi {
    success: Rule,
    failure: Rule,
    successes: Requests<PutJobSuccessResultInput>,
    failures: Requests<PutJobFailureResultInput>,
    executor: AwsExecutor,
    /// CodePipeline's `GetJobDetails`: a test issues each job it runs.
    book: JobBook,
    jobs: CodePipelineJobs,
    _details: Rule,
}

impl ResultApi {
    fn new() -> Self {
        let (successes, failures) = (Requests::new(), Requests::new());
        let seen = successes.clone();
        let success = mock!(Client::put_job_success_result).then_compute_output(move |req| {
            seen.push(req);
            PutJobSuccessResultOutput::builder().build()
        });
        let seen = failures.clone();
        let failure = mock!(Client::put_job_failure_result).then_compute_output(move |req| {
            seen.push(req);
            PutJobFailureResultOutput::builder().build()
        });
        let book = JobBook::new();
        let details = book.rule();
        let client: Client = mock_client!(
            aws_sdk_codepipeline,
            RuleMode::MatchAny,
            [&success, &failure, &details]
        );
        ResultApi {
            executor: AwsExecutor::new(aws_config::SdkConfig::builder().build())
                .with_codepipeline(client.clone()),
            jobs: CodePipelineJobs::new(client),
            book,
            _details: details,
            success,
            failure,
            successes,
            failures,
        }
    }

    fn results_sent(&self) -> usize {
        self.success.num_calls() + self.failure.num_calls()
    }
}

/// One test's world: its desired-state repository (own managed prefix), the function's
/// configuration and ports (a recorded Connect client, S3 through moto's SDK configuration), and
/// its recorded results.
struct World {
    repo: Repo,
    config: Arc<KafkaSyncConfig>,
    ports: Arc<KafkaSyncPorts<HttpConnect>>,
    sdk: aws_config::SdkConfig,
    requests: Recorder,
    results: ResultApi,
    jobs: u32,
}

impl World {
    async fn new(test: &str, connect: &ConnectCluster) -> World {
        World::build(test, connect, false).await
    }

    /// With `brokers`, the cluster's `kafka` block names the test broker, the repository's prefix
    /// is its managed topic scope, and the ports hold its admin client (as the Lambda's do).
    async fn build(test: &str, connect: &ConnectCluster, brokers: bool) -> World {
        let repo = Repo::new(test);
        let mut clusters = json!({"test": {"url": connect.url, "managed_prefixes": [repo.prefix], "pipelines": [PIPELINE]}});
        if brokers {
            let servers =
                std::env::var("KAFKA_BOOTSTRAP_SERVERS").expect("KAFKA_BOOTSTRAP_SERVERS");
            clusters["test"]["kafka"] =
                json!({"bootstrap_servers": [servers], "managed_topic_prefixes": [repo.prefix]});
        }
        let clusters = clusters.to_string();
        let vars = string_map(&[
            ("KAFKA_CLUSTERS", &clusters),
            ("KAFKA_ARTIFACT_BUCKETS", ARTIFACT_BUCKET),
            ("CONNECT_POLL_SECONDS", "1"),
        ]);
        let config = KafkaSyncConfig::from_vars(&vars).unwrap();
        let sdk = moto().sdk().await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        );
        // Every test binary shares one moto; the first test creates the bucket.
        let _ = s3.create_bucket().bucket(ARTIFACT_BUCKET).send().await;
        let requests = Recorder::default();
        let clusters = BTreeMap::from([("test".to_owned(), requests.record(client(connect)))]);
        let mut ports = KafkaSyncPorts::with_clusters(clusters, &sdk);
        if brokers {
            ports.topic_admins.insert("test".to_owned(), topic_admin());
        }
        World {
            repo,
            config: Arc::new(config),
            ports: Arc::new(ports),
            sdk,
            requests,
            results: ResultApi::new(),
            jobs: 0,
        }
    }

    fn api(&self) -> &HttpConnect {
        &self.ports.clusters["test"]
    }

    /// The repository as CodePipeline stores a source artifact: a zip (here with the desired state
    /// below `connect/`) at a fresh key in the artifact bucket.
    async fn upload_artifact(&mut self) -> String {
        self.jobs += 1;
        let key = format!("{}/SourceOutp/{}", self.repo.prefix, self.jobs);
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.add_directory("connect/", zip::write::SimpleFileOptions::default())
            .unwrap();
        for file in &self.repo.files {
            zip.start_file(
                format!("connect/{}", file.path),
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
            zip.write_all(&file.contents).unwrap();
        }
        zip.start_file("README.md", zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(b"not part of the desired state").unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&self.sdk)
                .force_path_style(true)
                .build(),
        );
        s3.put_object()
            .bucket(ARTIFACT_BUCKET)
            .key(&key)
            .body(bytes.into())
            .send()
            .await
            .unwrap();
        key
    }

    /// A job event as CodePipeline sends it, for an artifact at `key`.
    fn job(&self, id: &str, params: Value, key: &str, token: Option<&str>) -> Value {
        json!({"CodePipeline.job": {
            "id": id,
            "accountId": "123456789012",
            "data": {
                "actionConfiguration": {"configuration": {
                    "FunctionName": "sy-kafka-sync",
                    "UserParameters": params.to_string(),
                }},
                "inputArtifacts": [{
                    "name": "SourceOutput",
                    "revision": "0123456789abcdef0123456789abcdef01234567",
                    "location": {"type": "S3", "s3Location": {"bucketName": ARTIFACT_BUCKET, "objectKey": key}}
                }],
                "outputArtifacts": [],
                "artifactCredentials": {
                    "accessKeyId": ACCESS_KEY,
                    "secretAccessKey": SECRET_KEY,
                    "sessionToken": SESSION_TOKEN
                },
                "continuationToken": token.unwrap_or(""),
            }
        }})
    }

    /// Runs the job as the Lambda does; the job's budget ends at `until` (the runner's guard is
    /// far away).
    async fn run(&self, event: &Value, until: SystemTime) -> Value {
        let (config, ports) = (self.config.clone(), self.ports.clone());
        let budget_end = Deadline::new(until, Duration::ZERO);
        // CodePipeline issued it, for the pipeline the test cluster lists.
        self.results.book.issue(event, PIPELINE);
        run_job(
            FunctionName::KafkaSync,
            event,
            Deadline::new(SystemTime::now() + Duration::from_secs(600), DEFAULT_MARGIN),
            &self.results.executor,
            &self.results.jobs,
            move |j| async move { Ok(decide_job(&j, &config, &*ports, budget_end).await) },
            no_tally,
        )
        .await
        .unwrap()
    }

    /// Runs the job with time to spare and returns the one result it got.
    async fn run_to_result(&self, event: &Value) -> JobOutcome {
        let before = (
            self.results.successes.all().len(),
            self.results.failures.all().len(),
        );
        let sent = self.results.results_sent();
        self.run(event, SystemTime::now() + Duration::from_secs(180))
            .await;
        assert_eq!(self.results.results_sent(), sent + 1, "exactly one result");
        let job_id = event["CodePipeline.job"]["id"].as_str().unwrap();
        let successes = self.results.successes.all();
        let failures = self.results.failures.all();
        if successes.len() > before.0 {
            let s = successes.last().unwrap().clone();
            assert_eq!(s.job_id(), Some(job_id));
            JobOutcome::Success(s)
        } else {
            assert_eq!(failures.len(), before.1 + 1);
            let f = failures.last().unwrap().clone();
            assert_eq!(f.job_id(), Some(job_id));
            JobOutcome::Failure(f)
        }
    }
}

#[derive(Debug)]
enum JobOutcome {
    Success(PutJobSuccessResultInput),
    Failure(PutJobFailureResultInput),
}

impl JobOutcome {
    fn success(self) -> PutJobSuccessResultInput {
        match self {
            JobOutcome::Success(s) => s,
            other => panic!("expected success, got {other:?}"),
        }
    }

    /// (failure type, message)
    fn failure(self) -> (String, String) {
        match self {
            JobOutcome::Failure(f) => {
                let details = f.failure_details().unwrap();
                (
                    details.r#type().as_str().to_owned(),
                    details.message().to_owned(),
                )
            }
            other => panic!("expected failure, got {other:?}"),
        }
    }
}

fn counts(created: u32, updated: u32, deleted: u32, unchanged: u32) -> HashMap<String, String> {
    [
        ("Created", created),
        ("Updated", updated),
        ("Deleted", deleted),
        ("Unchanged", unchanged),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn job_id(n: u32) -> String {
    format!("{:08x}-0000-4000-8000-{n:012x}", std::process::id())
}

fn summary(s: &PutJobSuccessResultInput) -> &str {
    s.execution_details().unwrap().summary().unwrap()
}

/// Three runs of one pipeline action: create two connectors, then update one key of one and prune
/// the other, then re-run with nothing to change. Each job gets exactly one success with the
/// counts as output variables and the plan summary as execution summary; the worker's access log
/// shows only the writes the plan names; the artifact is read with the job's credentials, which
/// never reach a log line.
#[tokio::test]
async fn a_job_applies_its_input_artifact_and_reports_the_counts() {
    let Some(connect) = connect::cluster("a_job_applies_its_input_artifact_and_reports_the_counts")
    else {
        return;
    };
    let _shared = connect.shared().await;
    let (captured, _logs) = Captured::install();

    let mut w = World::new("job", connect).await;
    let params =
        json!({"environment": "test", "cluster": "test", "directory": "connect", "prune": true});
    w.repo.sink("a", "a.txt", "");
    w.repo.sink("b", "b.txt", "");
    let key = w.upload_artifact().await;
    let first = w.job(&job_id(1), params.clone(), &key, None);
    let result = w.run_to_result(&first).await.success();
    assert_eq!(result.output_variables().unwrap(), &counts(2, 0, 0, 0));
    assert_eq!(result.continuation_token(), None);
    let text = summary(&result);
    assert!(
        text.starts_with("test on test (Kafka Connect 4.")
            && text.ends_with(
                "2 created, 0 updated, 0 deleted, 0 unchanged; every changed connector is in its target state"
            ),
        "{text}"
    );
    for short in ["a", "b"] {
        let status = get_settled(
            connect,
            &format!("/connectors/{}/status", w.repo.name(short)),
        )
        .await;
        assert_eq!(
            status.body["connector"]["state"], "RUNNING",
            "{}",
            status.body
        );
        assert_eq!(
            status.body["tasks"][0]["state"], "RUNNING",
            "{}",
            status.body
        );
    }
    // The artifact was read with the job's credentials (the signature names its access key).
    let reads: Vec<Value> = moto()
        .recorded_requests()
        .into_iter()
        .filter(|r| r["method"] == "GET" && r["url"].as_str().unwrap().contains(&key))
        .collect();
    assert_eq!(reads.len(), 1, "{reads:?}");
    let authorization = reads[0]["headers"]["Authorization"].as_str().unwrap();
    assert!(
        authorization.contains(&format!("Credential={ACCESS_KEY}/")),
        "{authorization}"
    );
    assert_eq!(reads[0]["headers"]["X-Amz-Security-Token"], SESSION_TOKEN);

    // One key of one connector changes and the other is removed from Git.
    w.repo.sink("b", "b-renamed.txt", "");
    w.repo.remove("connectors/a.yaml");
    let key = w.upload_artifact().await;
    let mark = connect.log_mark();
    let result = w
        .run_to_result(&w.job(&job_id(2), params.clone(), &key, None))
        .await
        .success();
    assert_eq!(result.output_variables().unwrap(), &counts(0, 1, 1, 0));
    assert!(
        summary(&result).contains("0 created, 1 updated, 1 deleted, 0 unchanged"),
        "{}",
        summary(&result)
    );
    let writes: Vec<String> = connect
        .requests_since(mark)
        .await
        .into_iter()
        .filter(|r| r.method != "GET")
        .filter(|r| r.path.contains(&w.repo.prefix) || r.path.contains(FILE_SINK))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        writes,
        [
            format!("PUT /connector-plugins/{FILE_SINK}/config/validate"),
            format!("PUT /connectors/{}/config", w.repo.name("b")),
            format!("DELETE /connectors/{}", w.repo.name("a")),
        ]
    );
    connect.wait_until_gone(&w.repo.name("a")).await;
    let stored = get_settled(connect, &format!("/connectors/{}/config", w.repo.name("b"))).await;
    assert!(stored.body["file"]
        .as_str()
        .unwrap()
        .ends_with("/b-renamed.txt"));

    // The pipeline runs again on the same revision: nothing to change, nothing written.
    w.requests.reset_requests();
    let result = w
        .run_to_result(&w.job(&job_id(3), params.clone(), &key, None))
        .await
        .success();
    assert_eq!(result.output_variables().unwrap(), &counts(0, 0, 0, 1));
    assert!(
        summary(&result).ends_with("nothing to change"),
        "{}",
        summary(&result)
    );
    assert_eq!(
        w.requests.requests(),
        ["GET /", "GET /connectors?expand=info&expand=status"]
    );

    let logs = captured.text();
    assert!(
        logs.contains(&job_id(1)) && logs.contains("plan"),
        "the capture works: {logs}"
    );
    for secret in [SECRET_KEY, SESSION_TOKEN] {
        let leaks: Vec<&str> = logs.lines().filter(|l| l.contains(secret)).collect();
        assert!(
            leaks.is_empty(),
            "{secret} leaked into the logs: {leaks:#?}"
        );
    }
    // The access key id (an identifier, not a secret) shows up only in the AWS SDK's own DEBUG /
    // TRACE lines (its signing and identity resolution), never at the Lambda's default level
    // (`info`) and never in a decision line (which has no `level`: it is written as is, with its
    // metrics). The Lambda's format leaves out the target, so the level is what is checked.
    for line in logs.lines().filter(|l| l.contains(ACCESS_KEY)) {
        let line: Value = serde_json::from_str(line).unwrap();
        assert!(
            ["DEBUG", "TRACE"].contains(&line["level"].as_str().unwrap_or("a decision line")),
            "{line}"
        );
    }
    let sent = format!("{:?}", w.results.successes.all());
    for secret in [SECRET_KEY, SESSION_TOKEN, ACCESS_KEY] {
        assert!(!sent.contains(secret), "{secret} leaked into a result");
    }

    // Clean up through the same path: an empty desired state with prune.
    w.repo.remove("connectors/b.yaml");
    let key = w.upload_artifact().await;
    let result = w
        .run_to_result(&w.job(&job_id(4), params, &key, None))
        .await
        .success();
    assert_eq!(result.output_variables().unwrap(), &counts(0, 0, 1, 0));
}

/// A job whose connectors are not in their state when the invocation must answer says "in
/// progress" with a continuation token; CodePipeline's next invocation carries it back, plans again
/// (writing nothing: the create landed), waits for the pending connector, and succeeds with the
/// first round's counts.
#[tokio::test]
async fn a_long_wait_continues_with_a_token_and_writes_nothing_twice() {
    let Some(connect) =
        connect::cluster("a_long_wait_continues_with_a_token_and_writes_nothing_twice")
    else {
        return;
    };
    // Alone on the worker: with no time budget the first round retries nothing, so another
    // test's rebalance must not land in the middle of it.
    let _exclusive = connect.exclusive().await;
    let mut w = World::new("jobwait", connect).await;
    let params = json!({"environment": "test", "cluster": "test", "directory": "connect"});
    w.repo.sink("slow", "slow.txt", "");
    let key = w.upload_artifact().await;
    let id = job_id(10);

    // Round 1: the handler must decide now. The create lands; RUNNING (connector and task) cannot
    // have been reached on the one status poll right after it.
    w.run(&w.job(&id, params.clone(), &key, None), SystemTime::now())
        .await;
    assert_eq!(w.results.results_sent(), 1);
    let answered = w.results.successes.all()[0].clone();
    assert_eq!(answered.job_id(), Some(id.as_str()));
    let token = answered
        .continuation_token()
        .unwrap_or_else(|| panic!("expected \"in progress\": {answered:?}"));
    assert!(answered.output_variables().is_none());
    assert!(
        summary(&answered).ends_with(&format!("; waiting for {}", w.repo.name("slow"))),
        "{}",
        summary(&answered)
    );
    let progress = Progress::decode(token).unwrap();
    assert_eq!(progress.round, 1);
    assert_eq!(progress.summary.created, 1);
    assert_eq!(progress.pending, [w.repo.name("slow")]);

    // Round 2: CodePipeline invokes the same job again with the token, some time later (tens of
    // seconds). Here: once the worker lists the connector, which it does a few tens of
    // milliseconds after answering 201 to the create (a plan before that would see it missing).
    connect
        .wait_for_status(
            &w.repo.name("slow"),
            Duration::from_secs(60),
            "listed",
            |_| true,
        )
        .await;
    let mark = connect.log_mark();
    let result = w
        .run_to_result(&w.job(&id, params, &key, Some(token)))
        .await
        .success();
    assert_eq!(result.continuation_token(), None);
    assert_eq!(
        result.output_variables().unwrap(),
        &counts(1, 0, 0, 0),
        "the counts of what the job changed, carried from round 1"
    );
    assert!(
        summary(&result).ends_with("every changed connector is in its target state"),
        "{}",
        summary(&result)
    );
    let writes: Vec<String> = connect
        .requests_since(mark)
        .await
        .into_iter()
        .filter(|r| r.method != "GET" && r.path.contains(&w.repo.prefix))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(writes.is_empty(), "round 2 writes nothing: {writes:?}");
    let status = get_settled(
        connect,
        &format!("/connectors/{}/status", w.repo.name("slow")),
    )
    .await;
    assert_eq!(
        status.body["connector"]["state"], "RUNNING",
        "{}",
        status.body
    );
    remove(w.api(), &w.repo.name("slow")).await;
}

/// Bad parameters fail the job as `ConfigurationError` naming the field, before anything is read;
/// a missing artifact, a desired state that does not load, or a wrong folder fail it as
/// `JobFailed` naming what is wrong, before anything is written. Every job gets one result.
/// The real worker answers a 400 that quotes a secret value (Kafka's "Invalid value X for
/// configuration Y": here a password pasted into `tasks.max` as well as into its own key). The job
/// fails naming the problem, and neither its failure message nor any log line (the plan line
/// included) holds the value.
#[tokio::test]
async fn a_400_quoting_a_secret_value_reaches_neither_the_logs_nor_the_job_result() {
    let Some(connect) = connect::cluster(
        "a_400_quoting_a_secret_value_reaches_neither_the_logs_nor_the_job_result",
    ) else {
        return;
    };
    let _shared = connect.shared().await;
    let (captured, _logs) = Captured::install();
    const PASSWORD: &str = "Pasted-s3cret-7731";
    let mut w = World::new("job400", connect).await;
    // Without validation first, the write itself gets the worker's 400.
    w.config = Arc::new(KafkaSyncConfig {
        validate: false,
        ..(*w.config).clone()
    });
    let name = w.repo.name("leaky");
    w.repo.write(
        "connectors/leaky.yaml",
        &format!(
            "name: {name}\nconfig:\n  connector.class: org.apache.kafka.connect.file.FileStreamSinkConnector\n  tasks.max: \"{PASSWORD}\"\n  topics: \"{{{{ env.topic }}}}\"\n  file: \"{{{{ env.dir }}}}/leaky.txt\"\n  connection.password: \"{PASSWORD}\"\n"
        ),
    );
    let key = w.upload_artifact().await;
    let params = json!({"environment": "test", "cluster": "test", "directory": "connect"});
    let (kind, message) = w
        .run_to_result(&w.job(&job_id(90), params, &key, None))
        .await
        .failure();
    assert_eq!(kind, "JobFailed", "{message}");
    assert!(
        message.contains(&format!("PUT /connectors/{name}/config"))
            && message.contains("Invalid value <redacted> for configuration tasks.max"),
        "the worker's 400, scrubbed: {message}"
    );
    assert!(!message.contains(PASSWORD), "{message}");
    let logs = captured.text();
    assert!(
        logs.contains(&job_id(90)) && logs.contains("plan"),
        "the capture works: {logs}"
    );
    let leaks: Vec<&str> = logs.lines().filter(|l| l.contains(PASSWORD)).collect();
    assert!(
        leaks.is_empty(),
        "the password leaked into the logs: {leaks:#?}"
    );
    // A worker busy with the other tests' writes can answer 500 for a moment (seen on the loaded
    // CI machine, never alone): asked again, briefly, until it says whether the connector exists.
    let mut answer = connect.get(&format!("/connectors/{name}")).await;
    for _ in 0..20 {
        if !answer.status.is_server_error() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        answer = connect.get(&format!("/connectors/{name}")).await;
    }
    assert_eq!(
        answer.status.as_u16(),
        404,
        "nothing was created: {}",
        answer.body
    );
}

#[tokio::test]
async fn bad_parameters_and_bad_artifacts_fail_the_job_naming_the_problem() {
    let Some(connect) =
        connect::cluster("bad_parameters_and_bad_artifacts_fail_the_job_naming_the_problem")
    else {
        return;
    };
    let _shared = connect.shared().await;
    let mut w = World::new("jobbad", connect).await;
    w.repo.sink("x", "x.txt", "");
    let key = w.upload_artifact().await;
    let good = json!({"environment": "test", "cluster": "test", "directory": "connect"});

    let configuration_errors = [
        (
            json!({"environment": "test", "cluster": "nope"}),
            "UserParameters.cluster: \"nope\" is not a cluster in KAFKA_CLUSTERS (known: test)",
        ),
        (
            json!({"environment": "test", "cluster": "test", "prnue": true}),
            "UserParameters.prnue: unknown field `prnue`",
        ),
        (
            json!({"cluster": "test"}),
            "UserParameters: missing field `environment`",
        ),
        (
            json!({"environment": "test", "cluster": "test", "artifact": "BuildOutput"}),
            "UserParameters.artifact: \"BuildOutput\" is not an input artifact of this action (it has: SourceOutput)",
        ),
    ];
    for (n, (params, expected)) in configuration_errors.into_iter().enumerate() {
        let (kind, message) = w
            .run_to_result(&w.job(&job_id(20 + n as u32), params, &key, None))
            .await
            .failure();
        assert_eq!(kind, "ConfigurationError", "{message}");
        assert!(message.starts_with(expected), "{message}");
    }
    assert!(
        w.requests.requests().is_empty(),
        "{:?}",
        w.requests.requests()
    );

    // The artifact is not where the job says.
    let missing = format!("{}/SourceOutp/missing", w.repo.prefix);
    let (kind, message) = w
        .run_to_result(&w.job(&job_id(30), good.clone(), &missing, None))
        .await
        .failure();
    assert_eq!(kind, "JobFailed");
    assert!(
        message.starts_with(&format!(
            "input artifact \"SourceOutput\": cannot read s3://{ARTIFACT_BUCKET}/{missing}: "
        )) && message.contains("NoSuchKey"),
        "{message}"
    );

    // The desired state does not load: the error names file, connector and key.
    w.repo.write(
        "connectors/broken.yaml",
        &format!("name: {}\nconfig:\n  tasks.max: 1\n", w.repo.name("broken")),
    );
    let broken = w.upload_artifact().await;
    let (kind, message) = w
        .run_to_result(&w.job(&job_id(31), good.clone(), &broken, None))
        .await
        .failure();
    assert_eq!(kind, "JobFailed");
    assert!(
        message.contains("connectors/broken.yaml")
            && message.contains(&w.repo.name("broken"))
            && message.contains("\"connector.class\": is missing"),
        "{message}"
    );

    // The folder inside the artifact is wrong: no values file for the environment there.
    let (kind, message) = w
        .run_to_result(&w.job(
            &job_id(32),
            json!({"environment": "test", "cluster": "test", "directory": "conect"}),
            &key,
            None,
        ))
        .await
        .failure();
    assert_eq!(kind, "JobFailed");
    assert!(
        message.contains("environments/test.yaml: environment \"test\" has no values file"),
        "{message}"
    );
    assert!(
        w.requests.requests().is_empty(),
        "nothing read from or written to the cluster: {:?}",
        w.requests.requests()
    );
    let created = connect
        .get(&format!("/connectors/{}", w.repo.name("x")))
        .await;
    assert_eq!(created.status.as_u16(), 404, "{}", created.body);
}

/// Item 7 of issue 18: a bundle upload event is applied only while its version is still the
/// object's current one. Two versions uploaded to a real (moto) versioned bucket: the late event
/// for the first is skipped as superseded by the second, before anything reads the bundle or
/// talks to Connect (the cluster's client points at a closed port: any request would fail).
#[tokio::test]
async fn a_late_event_for_an_older_bundle_version_is_skipped_as_superseded() {
    use switchyard_core::kafka_sync::triggers::bundle_upload::{
        sync_bundle_uploads, BundleOutcome,
    };
    const BUCKET: &str = "sy-connect-bundles-versions";
    const KEY: &str = "connect/staging/desired-state.zip";
    let sdk = moto().sdk().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
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
    let mut versions = Vec::new();
    for body in ["first", "second"] {
        let out = s3
            .put_object()
            .bucket(BUCKET)
            .key(KEY)
            .body(body.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap();
        versions.push(out.version_id.unwrap());
    }
    let vars = string_map(&[
        ("KAFKA_CLUSTERS", r#"{"main": {"url": "http://127.0.0.1:9", "managed_prefixes": ["sy-"]}}"#),
        (
            "KAFKA_BUNDLES",
            &json!([{"bucket": BUCKET, "key": KEY, "environment": "staging", "cluster": "main", "prune": true}]).to_string(),
        ),
    ]);
    let config = KafkaSyncConfig::from_vars(&vars).unwrap();
    let requests = Recorder::default();
    let closed = requests.record(
        HttpConnect::new(
            "http://127.0.0.1:9",
            switchyard_adapters::connect::ConnectCredentials::default(),
            Duration::from_secs(1),
        )
        .unwrap(),
    );
    let ports = KafkaSyncPorts::with_clusters(BTreeMap::from([("main".to_owned(), closed)]), &sdk);
    let event = |version: &str| {
        json!({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": BUCKET}, "object": {"key": KEY, "size": 6, "versionId": version}}}]})
    };
    let deadline = Deadline::new(SystemTime::now() + Duration::from_secs(60), DEFAULT_MARGIN);
    let outcomes = sync_bundle_uploads(&event(&versions[0]), &config, &ports, deadline)
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        [BundleOutcome::Superseded {
            bundle: format!("s3://{BUCKET}/{KEY}?versionId={}", versions[0]),
            skipped: format!("superseded by versionId={}", versions[1]),
        }]
    );
    assert!(requests.requests().is_empty(), "{:?}", requests.requests());
    // The current version is read (and is no desired state: "second" is not a zip).
    let err = sync_bundle_uploads(&event(&versions[1]), &config, &ports, deadline)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("zip"), "{err}");

    // As the Lambda answers them, each upload's decision line says what became of it.
    use switchyard_core::kafka_sync::triggers::bundle_upload::handle_bundle_event;
    let (captured, _logs) = Captured::install();
    handle_bundle_event(&event(&versions[0]), &config, &ports, deadline)
        .await
        .unwrap();
    handle_bundle_event(&event(&versions[1]), &config, &ports, deadline)
        .await
        .unwrap_err();
    handle_bundle_event(&json!({"Records": []}), &config, &ports, deadline)
        .await
        .unwrap_err();
    let lines = captured.decision_lines();
    let outcomes: Vec<&str> = lines
        .iter()
        .map(|l| l["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["skipped", "rejected", "rejected"], "{lines:#?}");
    for line in &lines {
        assert_eq!(line["function"], "kafka-sync");
        assert_eq!(line["Decisions"], 1);
        assert!(line["_aws"]["CloudWatchMetrics"].is_array(), "{line}");
        assert!(line.get("ConnectorsCreated").is_none(), "{line}");
    }
}

/// A job whose artifact holds a topic and the sink that reads it: the topic is created first
/// (with Git's 2 partitions), the sink runs, the summary counts the topic; the next run of the
/// same artifact changes nothing.
#[tokio::test]
async fn a_job_creates_its_topics_before_the_connectors_that_read_them() {
    let Some(connect) =
        connect::cluster("a_job_creates_its_topics_before_the_connectors_that_read_them")
    else {
        return;
    };
    let _shared = connect.shared().await;
    let mut w = World::build("jobtopics", connect, true).await;
    let topic = w.repo.name("topic");
    w.repo.sink("a", "a.txt", "");
    w.repo
        .topics(&format!("  - name: {topic}\n    partitions: 2\n"));
    let params = json!({"environment": "test", "cluster": "test", "directory": "connect"});
    let key = w.upload_artifact().await;
    let result = w
        .run_to_result(&w.job(&job_id(50), params.clone(), &key, None))
        .await
        .success();
    assert!(
        summary(&result).contains("; topics: 1 to create, 0 to update, 0 to delete, 0 unchanged"),
        "{}",
        summary(&result)
    );
    assert_eq!(result.output_variables().unwrap(), &counts(1, 0, 0, 0));
    connect.wait_until_running(&w.repo.name("a")).await;
    use switchyard_core::kafka_sync::topics::TopicAdmin;
    let listed = topic_admin().metadata().await.unwrap();
    let created = listed.iter().find(|t| t.name == topic).expect("created");
    assert_eq!(
        created.partitions, 2,
        "Git's partitions, not the broker's auto-create default"
    );

    let result = w
        .run_to_result(&w.job(&job_id(51), params, &key, None))
        .await
        .success();
    assert!(
        summary(&result).contains(
            "topics: 0 to create, 0 to update, 0 to delete, 1 unchanged; nothing to change"
        ),
        "{}",
        summary(&result)
    );
    remove(w.api(), &w.repo.name("a")).await;
}
