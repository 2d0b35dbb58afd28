//! `artifact-release` end to end against a real moto server: real uploads to a versioned bucket,
//! the notification built from what moto returned (its version ids and ETags), the event run
//! through the code the Lambda runs (`decide_event` → `entry::run_records` → `AwsExecutor` with
//! the real SDK clients), and the results read back from moto: its request recorder
//! (`StartPipelineExecution`, `StartBuild`: pipeline, variables, `sourceRevisions`, tokens) and the
//! executions it holds (`ListPipelineExecutions` / `GetPipelineExecution`). Pipelines, projects,
//! buckets and the SSM parameter are real moto resources; nothing here is mocked.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use aws_sdk_codepipeline::types::{
    ActionCategory, ActionDeclaration, ActionOwner, ActionTypeId, ArtifactStore, ArtifactStoreType,
    InputArtifact, OutputArtifact, PipelineDeclaration, PipelineType, PipelineVariableDeclaration,
    StageDeclaration,
};
use aws_sdk_s3::primitives::ByteStream;
use serde_json::{json, Value};
use switchyard_adapters::aws::artifact_targets::AwsArtifactTargets;
use switchyard_adapters::aws::ssm;
use switchyard_adapters::AwsExecutor;
use switchyard_core::artifact_release::{decide_event, ArtifactConfig, RulesSource};
use switchyard_core::deadline::{Deadline, DEFAULT_MARGIN};
use switchyard_core::entry::{self, HandlerError};
use switchyard_core::idempotency;
use switchyard_core::metrics::Tally;
use switchyard_core::plan::{Decision, FunctionName};
use switchyard_core::sources::s3::encode_notification_key;
use switchyard_test_support::env::{name_value_map, string_map};
use switchyard_test_support::{create_codebuild_project, moto, pipelines};

/// Buckets, projects and pipelines unique to one test, so parallel tests can tell their requests
/// apart in moto's shared recording.
struct World {
    bucket: String,
    unversioned_bucket: String,
    project_prefix: String,
    /// Watches `connectors/latest/plugin.zip`: releases of other keys pin the key too.
    plugin_pipeline: String,
    /// Watches exactly `site/release.zip`: the version id alone pins it.
    site_pipeline: String,
    s3: aws_sdk_s3::Client,
}

/// What an upload returned: the real version id and ETag.
struct Uploaded {
    bucket: String,
    key: String,
    size: usize,
    version_id: Option<String>,
    etag: String,
}

const PLUGIN_VARIABLES: [&str; 6] = ["name", "version", "BUCKET", "KEY", "VERSION_ID", "ETAG"];
const SITE_VARIABLES: [&str; 4] = ["BUCKET", "KEY", "VERSION_ID", "ETAG"];

async fn world(test: &str) -> World {
    let sdk = moto().sdk().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let w = World {
        bucket: format!("{test}-artifacts"),
        unversioned_bucket: format!("{test}-legacy"),
        project_prefix: format!("{test}-deploy"),
        plugin_pipeline: format!("{test}-deploy-connector"),
        site_pipeline: format!("{test}-publish-site"),
        s3,
    };
    for bucket in [&w.bucket, &w.unversioned_bucket] {
        w.s3.create_bucket().bucket(bucket).send().await.unwrap();
    }
    w.s3.put_bucket_versioning()
        .bucket(&w.bucket)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    for app in ["payments", "legacy"] {
        create_codebuild_project(&sdk, &format!("{}-{app}", w.project_prefix)).await;
    }
    let role = pipelines::pipeline_role(&sdk).await;
    let codepipeline = aws_sdk_codepipeline::Client::new(&sdk);
    for (name, source_action, watched, variables) in [
        (
            &w.plugin_pipeline,
            "PluginArtifact",
            "connectors/latest/plugin.zip",
            &PLUGIN_VARIABLES[..],
        ),
        (
            &w.site_pipeline,
            "SiteBundle",
            "site/release.zip",
            &SITE_VARIABLES[..],
        ),
    ] {
        let declaration = s3_pipeline(name, &role, &w.bucket, source_action, watched, variables);
        codepipeline
            .create_pipeline()
            .pipeline(declaration)
            .send()
            .await
            .unwrap();
    }
    w
}

/// A V2 pipeline as a team would declare it: an S3 source action watching one key, a CodeBuild
/// deploy stage reading its artifact, and the variables artifact-release sends.
fn s3_pipeline(
    name: &str,
    role: &str,
    bucket: &str,
    source_action: &str,
    watched_key: &str,
    variables: &[&str],
) -> PipelineDeclaration {
    let type_id = |category, provider: &str| {
        ActionTypeId::builder()
            .category(category)
            .owner(ActionOwner::Aws)
            .provider(provider)
            .version("1")
            .build()
            .unwrap()
    };
    let source = ActionDeclaration::builder()
        .name(source_action)
        .action_type_id(type_id(ActionCategory::Source, "S3"))
        .configuration("S3Bucket", bucket)
        .configuration("S3ObjectKey", watched_key)
        .configuration("PollForSourceChanges", "false")
        .output_artifacts(OutputArtifact::builder().name("Artifact").build().unwrap())
        .build()
        .unwrap();
    let deploy = ActionDeclaration::builder()
        .name("Install")
        .action_type_id(type_id(ActionCategory::Build, "CodeBuild"))
        .configuration("ProjectName", "install-artifact")
        .input_artifacts(InputArtifact::builder().name("Artifact").build().unwrap())
        .build()
        .unwrap();
    PipelineDeclaration::builder()
        .name(name)
        .role_arn(role)
        .pipeline_type(PipelineType::V2)
        .artifact_store(
            ArtifactStore::builder()
                .r#type(ArtifactStoreType::S3)
                .location(bucket)
                .build()
                .unwrap(),
        )
        .stages(
            StageDeclaration::builder()
                .name("Source")
                .actions(source)
                .build()
                .unwrap(),
        )
        .stages(
            StageDeclaration::builder()
                .name("Deploy")
                .actions(deploy)
                .build()
                .unwrap(),
        )
        .set_variables(Some(
            variables
                .iter()
                .map(|v| {
                    PipelineVariableDeclaration::builder()
                        .name(*v)
                        .default_value("-")
                        .build()
                        .unwrap()
                })
                .collect(),
        ))
        .build()
        .unwrap()
}

/// The rules document, in YAML as an operator would write it (the replay samples use JSON).
fn rules(w: &World) -> ArtifactConfig {
    let document = format!(
        r#"
unversioned: refuse
rules:
  - name: connector-plugins
    bucket: {bucket}
    key: connectors/{{name}}/{{version}}/plugin.zip
    pipeline:
      name: {plugin_pipeline}
      source_action: PluginArtifact
      revision: key
  - name: site
    bucket: {bucket}
    key: site/release.zip
    pipeline:
      name: {site_pipeline}
      source_action: SiteBundle
  - name: app-jars
    bucket: {bucket}
    key: apps/{{app}}/{{app}}-{{version}}.jar
    build:
      project: {prefix}-{{app}}
    variables:
      APP: "{{app}}"
      APP_VERSION: "{{version}}"
  - name: refused-legacy
    bucket: {legacy}
    key: strict/{{app}}.zip
    build:
      project: {prefix}-legacy
  - name: key-pinned-legacy
    bucket: {legacy}
    key: bundles/{{app}}/{{version}}.zip
    unversioned: key
    build:
      project: {prefix}-legacy
"#,
        bucket = w.bucket,
        legacy = w.unversioned_bucket,
        plugin_pipeline = w.plugin_pipeline,
        site_pipeline = w.site_pipeline,
        prefix = w.project_prefix,
    );
    ArtifactConfig::from_document(&document, &RulesSource::Inline(document.clone())).unwrap()
}

async fn upload(w: &World, bucket: &str, key: &str, body: impl AsRef<[u8]>) -> Uploaded {
    let body = body.as_ref();
    let out =
        w.s3.put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from(body.to_vec()))
            .send()
            .await
            .unwrap();
    Uploaded {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        size: body.len(),
        version_id: out.version_id().map(str::to_owned),
        etag: out.e_tag().unwrap().trim_matches('"').to_owned(),
    }
}

/// One notification record as S3 writes it: the key form-URL-encoded, the version id and ETag
/// moto returned.
fn record(u: &Uploaded, sequencer: &str) -> Value {
    let mut object = json!({
        "key": encode_notification_key(&u.key),
        "size": u.size,
        "eTag": u.etag,
        "sequencer": sequencer,
    });
    if let Some(v) = &u.version_id {
        object["versionId"] = json!(v);
    }
    json!({
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2026-11-23T06:00:00.000Z",
        "eventName": "ObjectCreated:Put",
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "switchyard-artifact-release",
            "bucket": {"name": u.bucket, "arn": format!("arn:aws:s3:::{}", u.bucket)},
            "object": object,
        }
    })
}

fn notification(records: Vec<Value>) -> Value {
    json!({ "Records": records })
}

/// The same upload as EventBridge sends it: the key as it is, `version-id`, `etag`.
fn eventbridge(u: &Uploaded) -> Value {
    json!({
        "version": "0", "id": "7c0e1a52-0000-4000-8000-000000000001",
        "detail-type": "Object Created", "source": "aws.s3", "account": "123456789012",
        "time": "2026-11-23T06:00:00Z", "region": "us-east-1",
        "resources": [format!("arn:aws:s3:::{}", u.bucket)],
        "detail": {
            "version": "0", "bucket": {"name": u.bucket},
            "object": {"key": u.key, "size": u.size, "etag": u.etag, "version-id": u.version_id},
            "reason": "PutObject"
        }
    })
}

fn sqs(messages: &[(&str, &Value)]) -> Value {
    let records: Vec<Value> = messages
        .iter()
        .map(|(id, body)| {
            json!({
                "messageId": id, "receiptHandle": "AQEB...", "body": body.to_string(),
                "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:artifact-uploads",
                "awsRegion": "us-east-1"
            })
        })
        .collect();
    json!({ "Records": records })
}

/// Runs one event through the same code the Lambda runs, against moto.
/// What the targets run is read from moto too (`ListPipelineExecutions`).
async fn handle(event: &Value, config: &ArtifactConfig) -> Result<Value, HandlerError> {
    let sdk = moto().sdk().await;
    let executor = AwsExecutor::new(sdk.clone());
    let targets = AwsArtifactTargets::new(sdk);
    let deadline = Deadline::new(SystemTime::now() + Duration::from_secs(60), DEFAULT_MARGIN);
    let records = decide_event(event, config, &targets, Some(deadline))
        .await
        .map_err(|e| HandlerError::Act(e.into()))?;
    let tally = |_: &Decision| Tally::default();
    entry::run_records(
        FunctionName::ArtifactRelease,
        event,
        records,
        tally,
        &executor,
    )
    .await
}

/// The token artifact-release derives for one object version (bucket + key + version id).
fn token_of(u: &Uploaded) -> String {
    let identity = format!(
        "{}\0{}\0version\0{}",
        u.bucket,
        u.key,
        u.version_id.as_deref().unwrap()
    );
    idempotency::token(FunctionName::ArtifactRelease, &identity, 0)
}

/// The StartPipelineExecution requests moto recorded for one pipeline.
fn starts(pipeline: &str) -> Vec<Value> {
    moto()
        .recorded("StartPipelineExecution")
        .into_iter()
        .filter(|s| s["name"] == pipeline)
        .collect()
}

/// The StartBuild requests moto recorded for this test's projects.
fn builds(w: &World) -> Vec<Value> {
    moto()
        .recorded("StartBuild")
        .into_iter()
        .filter(|b| {
            b["projectName"]
                .as_str()
                .is_some_and(|p| p.starts_with(&w.project_prefix))
        })
        .collect()
}

/// Nothing of this test reached CodePipeline or CodeBuild.
fn no_calls(w: &World) -> bool {
    starts(&w.plugin_pipeline).is_empty()
        && starts(&w.site_pipeline).is_empty()
        && builds(w).is_empty()
}

async fn executions(pipeline: &str) -> Vec<(String, HashMap<String, String>)> {
    pipelines::executions(&moto().sdk().await, pipeline).await
}

/// The content of exactly that object version, read back from moto.
async fn content(w: &World, bucket: &str, key: &str, version: &str) -> String {
    let out =
        w.s3.get_object()
            .bucket(bucket)
            .key(key)
            .version_id(version)
            .send()
            .await
            .unwrap();
    String::from_utf8(out.body.collect().await.unwrap().to_vec()).unwrap()
}

#[tokio::test]
async fn uploads_start_their_pipeline_and_build_pinned_to_the_uploaded_version() {
    let w = world("ar-roundtrip").await;
    let config = rules(&w);
    // A `+` (build metadata) and a space: both must survive the notification's encoding.
    let plugin = upload(
        &w,
        &w.bucket,
        "connectors/debezium-postgres/2.7.1+build.3/plugin.zip",
        "plugin v1",
    )
    .await;
    let site = upload(&w, &w.bucket, "site/release.zip", "site v1").await;
    let jar = upload(
        &w,
        &w.bucket,
        "apps/payments/payments-2.4.0 hotfix.jar",
        "jar v1",
    )
    .await;
    let event = notification(vec![
        record(&plugin, "0A01"),
        record(&site, "0A02"),
        record(&jar, "0A03"),
    ]);
    assert!(
        event.to_string().contains("2.7.1%2Bbuild.3") && event.to_string().contains("2.4.0+hotfix"),
        "the notification carries S3's encoding: {event}"
    );
    let (plugin_version, site_version, jar_version) = (
        plugin.version_id.clone().expect("versioned bucket"),
        site.version_id.clone().expect("versioned bucket"),
        jar.version_id.clone().expect("versioned bucket"),
    );

    // Newer uploads of the same keys before the event is handled must not change what it deploys.
    upload(&w, &w.bucket, &plugin.key, "plugin v2").await;
    upload(&w, &w.bucket, &jar.key, "jar v2").await;

    let answer = handle(&event, &config).await.unwrap();
    assert_eq!(answer["function"], "artifact-release");
    let records = answer["records"].as_array().unwrap();
    let labels: Vec<&str> = records
        .iter()
        .map(|r| r["record"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["Records[0]", "Records[1]", "Records[2]"]);
    assert!(records.iter().all(|r| r["outcome"] == "acted"), "{answer}");

    // The plugin pipeline: pinned to the key and the version (its source action watches another
    // key), every value a variable the pipeline declares.
    let sent = starts(&w.plugin_pipeline);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        sent[0]["sourceRevisions"],
        json!([
            {"actionName": "PluginArtifact", "revisionType": "S3_OBJECT_KEY", "revisionValue": plugin.key},
            {"actionName": "PluginArtifact", "revisionType": "S3_OBJECT_VERSION_ID", "revisionValue": plugin_version},
        ])
    );
    let expected = string_map(&[
        ("name", "debezium-postgres"),
        ("version", "2.7.1+build.3"),
        ("BUCKET", &w.bucket),
        ("KEY", &plugin.key),
        ("VERSION_ID", &plugin_version),
        ("ETAG", &plugin.etag),
    ]);
    assert_eq!(name_value_map(&sent[0]["variables"]), expected);
    assert!(PLUGIN_VARIABLES.iter().all(|v| expected.contains_key(*v)));
    assert_eq!(sent[0]["clientRequestToken"], token_of(&plugin));
    // What moto holds: one execution, the id the answer reported, the same variables.
    let held = executions(&w.plugin_pipeline).await;
    assert_eq!(held.len(), 1);
    assert_eq!(
        records[0]["results"][0]["result"]["pipelineExecutionId"],
        held[0].0
    );
    assert_eq!(held[0].1, expected);
    // The version it names is the plugin that was uploaded first, not the newer one.
    assert_eq!(
        content(&w, &w.bucket, &plugin.key, &plugin_version).await,
        "plugin v1"
    );

    // The site pipeline watches exactly this key: the version id alone pins it.
    let sent = starts(&w.site_pipeline);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        sent[0]["sourceRevisions"],
        json!([{"actionName": "SiteBundle", "revisionType": "S3_OBJECT_VERSION_ID", "revisionValue": site_version}])
    );
    assert_eq!(
        name_value_map(&sent[0]["variables"]),
        string_map(&[
            ("BUCKET", &w.bucket),
            ("KEY", "site/release.zip"),
            ("VERSION_ID", &site_version),
            ("ETAG", &site.etag),
        ])
    );
    assert_eq!(sent[0]["clientRequestToken"], token_of(&site));
    assert_eq!(executions(&w.site_pipeline).await.len(), 1);

    // The build: sourceVersion is the first upload's version id, the key keeps its space.
    let builds = builds(&w);
    assert_eq!(builds.len(), 1, "{builds:?}");
    let build = &builds[0];
    assert_eq!(
        build["projectName"],
        format!("{}-payments", w.project_prefix)
    );
    assert_eq!(build["sourceVersion"], jar_version);
    assert_eq!(build["idempotencyToken"], token_of(&jar));
    assert_eq!(
        name_value_map(&build["environmentVariablesOverride"]),
        string_map(&[
            ("APP", "payments"),
            ("APP_VERSION", "2.4.0 hotfix"),
            ("BUCKET", &w.bucket),
            ("KEY", "apps/payments/payments-2.4.0 hotfix.jar"),
            ("VERSION_ID", &jar_version),
            ("ETAG", &jar.etag),
        ])
    );
    assert!(build["environmentVariablesOverride"]
        .as_array()
        .unwrap()
        .iter()
        .all(|v| v["type"] == "PLAINTEXT"));
    assert!(records[2]["results"][0]["result"]["buildId"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{}-payments:", w.project_prefix)));
    assert_eq!(
        content(&w, &w.bucket, &jar.key, &jar_version).await,
        "jar v1"
    );
}

#[tokio::test]
async fn duplicate_deliveries_carry_the_same_token_in_every_form() {
    let w = world("ar-duplicates").await;
    let config = rules(&w);
    let jar = upload(&w, &w.bucket, "apps/payments/payments-2.5.0.jar", "jar").await;
    let plugin = upload(
        &w,
        &w.bucket,
        "connectors/s3-sink/10.5.13/plugin.zip",
        "zip",
    )
    .await;
    let direct = notification(vec![record(&jar, "0B01"), record(&plugin, "0B02")]);
    let via_sqs = sqs(&[("m-1", &direct)]);
    let via_sns = json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Type": "Notification", "Message": direct.to_string()}}]});
    for event in [&direct, &direct, &via_sqs, &via_sns] {
        let answer = handle(event, &config).await.unwrap();
        if event == &via_sqs {
            assert_eq!(answer, json!({"batchItemFailures": []}));
        } else {
            assert_eq!(answer["records"].as_array().unwrap().len(), 2, "{answer}");
        }
    }
    for event in [eventbridge(&jar), eventbridge(&plugin)] {
        let answer = handle(&event, &config).await.unwrap();
        assert_eq!(answer["records"][0]["record"], "detail", "{answer}");
    }

    // Five deliveries of each upload, one token each: CodeBuild and CodePipeline start it once.
    // (moto itself does not deduplicate tokens, so its recorder is the evidence: five requests,
    // one token.)
    let builds = builds(&w);
    assert_eq!(builds.len(), 5, "direct twice, SQS, SNS and EventBridge");
    assert!(builds
        .iter()
        .all(|b| b["idempotencyToken"] == token_of(&jar)));
    assert!(builds
        .iter()
        .all(|b| b["sourceVersion"] == json!(jar.version_id)));
    let sent = starts(&w.plugin_pipeline);
    assert_eq!(sent.len(), 5);
    assert!(sent
        .iter()
        .all(|s| s["clientRequestToken"] == token_of(&plugin)));
    assert!(sent
        .iter()
        .all(|s| s["sourceRevisions"][1]["revisionValue"] == json!(plugin.version_id)));
    assert_ne!(
        token_of(&jar),
        token_of(&plugin),
        "each object has its own token"
    );

    // A new upload of the same key is a new version, hence a new token: a new deployment.
    let again = upload(&w, &w.bucket, &jar.key, "jar, rebuilt").await;
    handle(&notification(vec![record(&again, "0B03")]), &config)
        .await
        .unwrap();
    let builds = self::builds(&w);
    assert_eq!(builds.len(), 6);
    assert_eq!(builds[5]["idempotencyToken"], token_of(&again));
    assert_ne!(builds[5]["idempotencyToken"], builds[0]["idempotencyToken"]);
    assert_eq!(builds[5]["sourceVersion"], again.version_id.unwrap());
}

#[tokio::test]
async fn folder_markers_empty_and_unmatched_objects_are_skipped_and_bad_keys_rejected() {
    let w = world("ar-skips").await;
    let config = rules(&w);
    let folder = upload(&w, &w.bucket, "apps/payments/", "").await;
    let empty = upload(&w, &w.bucket, "apps/payments/payments-9.9.9.jar", "").await;
    let unmatched = upload(&w, &w.bucket, "docs/release notes.txt", "notes").await;

    // Only skips: the invocation succeeds, every record says why, nothing is started.
    let answer = handle(
        &notification(vec![
            record(&folder, "0E01"),
            record(&empty, "0E02"),
            record(&unmatched, "0E03"),
        ]),
        &config,
    )
    .await
    .unwrap();
    let outcomes: Vec<(&str, &str)> = answer["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["outcome"].as_str().unwrap(),
                r["reason"].as_str().unwrap(),
            )
        })
        .collect();
    let bucket = &w.bucket;
    assert_eq!(
        outcomes,
        [
            (
                "skipped",
                format!("s3://{bucket}/apps/payments/ is a folder marker").as_str()
            ),
            (
                "skipped",
                format!("s3://{bucket}/apps/payments/payments-9.9.9.jar is a zero-byte object")
                    .as_str()
            ),
            (
                "skipped",
                format!("s3://{bucket}/docs/release notes.txt matches no rule").as_str()
            ),
        ]
    );

    // A `..` segment or a control character in the key: rejected, naming the record and what is
    // wrong, while the good record next to them is still released.
    let good = upload(&w, &w.bucket, "apps/payments/payments-3.1.0.jar", "jar").await;
    let mut traversal = record(&good, "0E04");
    traversal["s3"]["object"]["key"] = json!("apps/payments/../../etc/payments-3.1.0.jar");
    let mut control = record(&good, "0E05");
    control["s3"]["object"]["key"] = json!("apps/payments/payments-3.1.0%0A.jar");
    let event = notification(vec![traversal, record(&good, "0E06"), control]);
    let err = handle(&event, &config).await.unwrap_err();
    assert!(matches!(err, HandlerError::Rejected(_)), "{err:?}");
    assert!(
        !err.is_retryable(),
        "a bad key does not get better on retry"
    );
    let message = err.to_string();
    assert!(
        message.starts_with("rejected: 2 of 3 records failed: Records[0]: Records[0].s3.object.key: has a `..` path segment"),
        "{message}"
    );
    assert!(
        message.contains(
            "; Records[2]: Records[2].s3.object.key: contains the control character U+000A"
        ),
        "{message}"
    );
    let builds = builds(&w);
    assert_eq!(builds.len(), 1, "only the good record: {builds:?}");
    assert_eq!(
        name_value_map(&builds[0]["environmentVariablesOverride"])["KEY"],
        good.key
    );
    assert!(starts(&w.plugin_pipeline).is_empty() && starts(&w.site_pipeline).is_empty());

    // On their own, they call nothing at all.
    let w = world("ar-badkeys").await;
    let config = rules(&w);
    let good = upload(&w, &w.bucket, "apps/payments/payments-3.2.0.jar", "jar").await;
    for key in [
        "apps/payments/..%2Fpayments-3.2.0.jar",
        "apps/payments/payments-3.2.0%1B%5B2J.jar",
        "connectors/..//plugin.zip",
    ] {
        let mut bad = record(&good, "0E07");
        bad["s3"]["object"]["key"] = json!(key);
        let err = handle(&notification(vec![bad]), &config).await.unwrap_err();
        assert!(
            matches!(&err, HandlerError::Rejected(m) if m.starts_with("1 of 1 records failed: Records[0]")),
            "{key}: {err:?}"
        );
    }
    assert!(no_calls(&w), "no request reached CodePipeline or CodeBuild");
}

#[tokio::test]
async fn an_sqs_batch_reports_only_the_messages_that_failed() {
    let w = world("ar-sqs").await;
    let config = rules(&w);
    let good = upload(&w, &w.bucket, "apps/payments/payments-3.0.0.jar", "jar").await;
    // A project the rule renders but nobody created: StartBuild fails in moto.
    let orphan = upload(&w, &w.bucket, "apps/ghost/ghost-1.0.0.jar", "jar").await;
    let folder = upload(&w, &w.bucket, "apps/ghost/", "").await;
    let mut traversal = record(&good, "0C03");
    traversal["s3"]["object"]["key"] = json!("apps/payments/..%2F..%2Fetc/payments-3.0.0.jar");
    let event = sqs(&[
        ("m-good", &notification(vec![record(&good, "0C01")])),
        ("m-orphan", &notification(vec![record(&orphan, "0C02")])),
        ("m-traversal", &notification(vec![traversal])),
        ("m-folder", &notification(vec![record(&folder, "0C04")])),
    ]);
    let answer = handle(&event, &config).await.unwrap();
    assert_eq!(
        answer,
        json!({"batchItemFailures": [{"itemIdentifier": "m-orphan"}, {"itemIdentifier": "m-traversal"}]}),
        "the good and the skipped message are done; the failed and the rejected are retried / dead-lettered"
    );
    let builds = builds(&w);
    let projects: Vec<&str> = builds
        .iter()
        .map(|b| b["projectName"].as_str().unwrap())
        .collect();
    // The good one started; the ghost one was attempted (and failed in moto); the traversal key
    // reached nothing.
    assert_eq!(
        projects,
        [
            format!("{}-payments", w.project_prefix),
            format!("{}-ghost", w.project_prefix)
        ]
    );
    assert_eq!(builds[0]["sourceVersion"], json!(good.version_id));
    assert!(!builds
        .iter()
        .any(|b| b.to_string().contains("..") || b.to_string().contains("etc/")));

    // Not from SQS: the invocation fails, naming each failed record, after acting on the rest.
    let direct = notification(vec![record(&good, "0C01"), record(&orphan, "0C02")]);
    let err = handle(&direct, &config).await.unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("1 of 2 records failed: Records[1]: StartBuild failed"),
        "{message}"
    );
    assert!(
        message.contains("ghost"),
        "names the missing project: {message}"
    );
    assert_eq!(
        self::builds(&w).len(),
        4,
        "good again (same token) and ghost again"
    );
}

#[tokio::test]
async fn an_unversioned_bucket_is_refused_or_pinned_to_the_key_as_configured() {
    let w = world("ar-unversioned").await;
    let config = rules(&w);
    let strict = upload(&w, &w.unversioned_bucket, "strict/billing.zip", "zip").await;
    assert_eq!(
        strict.version_id, None,
        "moto gives no version id without versioning"
    );
    let err = handle(&notification(vec![record(&strict, "0D01")]), &config)
        .await
        .unwrap_err();
    assert!(matches!(err, HandlerError::Rejected(_)), "{err:?}");
    assert!(err.to_string().contains("unversioned: refuse"), "{err}");
    assert!(
        err.to_string().contains(&format!(
            "is versioning enabled on bucket \"{}\"",
            w.unversioned_bucket
        )),
        "{err}"
    );
    assert!(builds(&w).is_empty(), "a refused record starts nothing");

    let bundle = upload(
        &w,
        &w.unversioned_bucket,
        "bundles/billing/1.9.0.zip",
        "zip",
    )
    .await;
    let answer = handle(&notification(vec![record(&bundle, "0D02")]), &config)
        .await
        .unwrap();
    assert_eq!(answer["records"][0]["outcome"], "acted", "{answer}");
    assert!(answer["records"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("pinned to the key only"));
    let builds = builds(&w);
    assert_eq!(builds.len(), 1);
    assert_eq!(
        builds[0]["projectName"],
        format!("{}-legacy", w.project_prefix)
    );
    assert!(builds[0].get("sourceVersion").is_none(), "{:?}", builds[0]);
    let env = name_value_map(&builds[0]["environmentVariablesOverride"]);
    assert_eq!(env.get("VERSION_ID"), None);
    assert_eq!(env["KEY"], "bundles/billing/1.9.0.zip");
    assert_eq!(env["ETAG"], bundle.etag);
    // Without a version id, the token comes from the sequencer: a redelivery has the same one,
    // a new upload (new sequencer) a new one.
    let redelivered = handle(&notification(vec![record(&bundle, "0D02")]), &config)
        .await
        .unwrap();
    assert_eq!(redelivered["records"][0]["outcome"], "acted");
    let reupload = handle(&notification(vec![record(&bundle, "0D03")]), &config)
        .await
        .unwrap();
    assert_eq!(reupload["records"][0]["outcome"], "acted");
    let tokens: Vec<Value> = self::builds(&w)
        .iter()
        .map(|b| b["idempotencyToken"].clone())
        .collect();
    assert_eq!(tokens.len(), 3);
    assert_eq!(tokens[0], tokens[1]);
    assert_ne!(tokens[1], tokens[2]);
}

#[tokio::test]
async fn rules_are_read_from_an_ssm_parameter_at_cold_start() {
    let w = world("ar-ssm").await;
    let sdk = moto().sdk().await;
    let client = aws_sdk_ssm::Client::new(&sdk);
    let document = format!(
        "rules:\n  - {{name: plugins, bucket: {}, key: 'connectors/{{name}}/{{version}}/plugin.zip', pipeline: {{name: {}, source_action: PluginArtifact, revision: key}}}}\n",
        w.bucket, w.plugin_pipeline
    );
    client
        .put_parameter()
        .name("/switchyard/artifact-rules")
        .value(&document)
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .unwrap();
    // What the Lambda does at cold start (functions/artifact-release/src/main.rs).
    let source = RulesSource::Parameter("/switchyard/artifact-rules".into());
    let text = ssm::parameter_value(&client, "/switchyard/artifact-rules")
        .await
        .unwrap();
    assert_eq!(text, document, "the SecureString is read decrypted");
    let config = ArtifactConfig::from_document(&text, &source).unwrap();
    assert_eq!(config.rules.rules.len(), 1);
    assert_eq!(config.rules.rules[0].name, "plugins");
    // ...and the rules read from SSM route a real upload.
    let plugin = upload(&w, &w.bucket, "connectors/jdbc/1.0.0/plugin.zip", "zip").await;
    handle(&notification(vec![record(&plugin, "0F01")]), &config)
        .await
        .unwrap();
    let sent = starts(&w.plugin_pipeline);
    assert_eq!(sent.len(), 1);
    assert_eq!(name_value_map(&sent[0]["variables"])["name"], "jdbc");

    let missing = ssm::parameter_value(&client, "/switchyard/missing")
        .await
        .unwrap_err();
    assert!(
        missing.to_string().contains("/switchyard/missing"),
        "{missing}"
    );

    client
        .put_parameter()
        .name("/switchyard/bad-rules")
        .value("rules:\n  - {name: plugins, bucket: acme-artifacts, key: 'c/{name}', build: {project: 'deploy-{nme}'}}\n")
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .send()
        .await
        .unwrap();
    let bad = ssm::parameter_value(&client, "/switchyard/bad-rules")
        .await
        .unwrap();
    let err = ArtifactConfig::from_document(
        &bad,
        &RulesSource::Parameter("/switchyard/bad-rules".into()),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("ARTIFACT_RULES_PARAMETER (/switchyard/bad-rules)")
            && err.contains("rule \"plugins\" (rules[0]): build.project uses {nme}"),
        "{err}"
    );
}

#[tokio::test]
async fn a_missing_pipeline_is_an_error_not_swallowed() {
    let w = world("ar-missing").await;
    let document = format!(
        "rules:\n  - {{name: gone, bucket: {}, key: 'gone/{{name}}.zip', pipeline: {{name: ar-missing-nowhere, source_action: Source}}}}\n",
        w.bucket
    );
    let config =
        ArtifactConfig::from_document(&document, &RulesSource::Inline(document.clone())).unwrap();
    let gone = upload(&w, &w.bucket, "gone/app.zip", "zip").await;
    let err = handle(&notification(vec![record(&gone, "0G01")]), &config)
        .await
        .unwrap_err();
    let HandlerError::Act(act) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(act.operation, "StartPipelineExecution");
    assert!(
        act.message.contains("PipelineNotFoundException"),
        "{}",
        act.message
    );
    assert!(!act.retryable);
    assert_eq!(starts("ar-missing-nowhere").len(), 1, "it was attempted");
}

// --- Lambda targets: the function's code becomes exactly the uploaded version ---

/// A deployment package: one handler file.
fn lambda_zip(handler: &str) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("index.py", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(handler.as_bytes()).unwrap();
    zip.finish().unwrap().into_inner()
}

/// Lambda's `CodeSha256`: the base64 SHA-256 of the package.
fn code_sha256(package: &[u8]) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(package))
}

fn lambda_rules(w: &World) -> ArtifactConfig {
    let document = format!(
        r#"
rules:
  - name: thumbnailer
    bucket: {bucket}
    key: lambda/{{fn}}/package.zip
    lambda:
      function: "{{fn}}"
      alias: live
"#,
        bucket = w.bucket
    );
    ArtifactConfig::from_document(&document, &RulesSource::Inline(document.clone())).unwrap()
}

/// The `UpdateFunctionCode` requests moto recorded for one function (REST: `PUT
/// /2015-03-31/functions/{name}/code`), as JSON bodies.
fn code_updates(function: &str) -> Vec<Value> {
    moto().recorded_rest("PUT", &format!("/2015-03-31/functions/{function}/code"))
}

/// The calls moto recorded about one function and one key, from the `skip`-th recorded request
/// on: `GetFunction`, `UpdateFunctionCode`… by method and path, `HeadObject` as `HEAD`.
fn calls_since(skip: usize, function: &str, key: &str) -> Vec<String> {
    moto()
        .recorded_requests()
        .into_iter()
        .skip(skip)
        .filter_map(|r| {
            let url = r["url"]
                .as_str()?
                .split_once("://")?
                .1
                .split_once('/')?
                .1
                .to_owned();
            let method = r["method"].as_str()?;
            let name = match (method, url.as_str()) {
                ("HEAD", u) if u.contains(key) => "HeadObject",
                ("GET", u) if u.contains(&format!("functions/{function}?")) => "GetFunction",
                ("PUT", u) if u.contains(&format!("functions/{function}/code")) => {
                    "UpdateFunctionCode"
                }
                ("POST", u) if u.contains(&format!("functions/{function}/versions")) => {
                    "PublishVersion"
                }
                ("PUT", u) if u.contains(&format!("functions/{function}/aliases/")) => {
                    "UpdateAlias"
                }
                _ => return None,
            };
            Some(name.to_owned())
        })
        .collect()
}

/// What the alias runs, read back from moto: (version, CodeSha256, description).
async fn alias_runs(function: &str) -> (String, String, String) {
    let got = aws_sdk_lambda::Client::new(&moto().sdk().await)
        .get_function()
        .function_name(function)
        .qualifier("live")
        .send()
        .await
        .unwrap();
    let c = got.configuration.unwrap();
    (
        c.version.unwrap(),
        c.code_sha256.unwrap(),
        c.description.unwrap_or_default(),
    )
}

#[tokio::test]
async fn a_lambda_function_runs_exactly_the_uploaded_version_and_never_an_older_one() {
    let w = world("ar-lambda").await;
    let sdk = moto().sdk().await;
    let function = "ar-lambda-thumbnailer";
    let key = format!("lambda/{function}/package.zip");
    let config = lambda_rules(&w);
    let first = lambda_zip("def handler(e, c): return 1");
    let v1 = upload(&w, &w.bucket, &key, &first).await;
    // The function as its team created it: from the first package, version 1 published by hand
    // (no Switchyard pin in its description), the alias on it.
    let lambda = aws_sdk_lambda::Client::new(&sdk);
    let role = pipelines::pipeline_role(&sdk).await;
    lambda
        .create_function()
        .function_name(function)
        .runtime(aws_sdk_lambda::types::Runtime::Python312)
        .role(role)
        .handler("index.handler")
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .s3_bucket(&w.bucket)
                .s3_key(&key)
                .s3_object_version(v1.version_id.as_deref().unwrap())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let published = lambda
        .publish_version()
        .function_name(function)
        .description("deployed by hand")
        .send()
        .await
        .unwrap();
    lambda
        .create_alias()
        .function_name(function)
        .name("live")
        .function_version(published.version.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(alias_runs(function).await.1, code_sha256(&first));

    // A new package: the alias moves to a new version whose code is exactly it.
    let second = lambda_zip("def handler(e, c): return 2");
    let v2 = upload(&w, &w.bucket, &key, &second).await;
    let v2_id = v2.version_id.clone().unwrap();
    let before = moto().recorded_requests().len();
    let answer = handle(&notification(vec![record(&v2, "0A")]), &config)
        .await
        .unwrap()["records"][0]
        .clone();
    let deployed_with = calls_since(before, function, &key);
    assert_eq!(answer["outcome"], "acted", "{answer}");
    let (version, sha, description) = alias_runs(function).await;
    assert_eq!(version, "2", "{answer}");
    assert_eq!(
        sha,
        code_sha256(&second),
        "the alias runs the uploaded package"
    );
    assert!(
        description.ends_with(&format!("version {v2_id}")),
        "{description}"
    );
    // moto 5.2.5 reads the key's latest object and ignores S3ObjectVersion, so its recorder is
    // the evidence that the request pinned the version.
    let updates = code_updates(function);
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert_eq!(updates[0]["S3Bucket"], w.bucket.as_str());
    assert_eq!(updates[0]["S3Key"], key.as_str());
    assert_eq!(updates[0]["S3ObjectVersion"], v2_id.as_str());
    assert_eq!(
        updates[0]["Publish"], false,
        "published separately, with the SHA-256 guard"
    );
    assert_eq!(
        answer["results"][0]["result"]["CodeSha256"],
        code_sha256(&second).as_str()
    );
    // What the alias ran is read (a hand-published version: no pin, so no version to compare
    // with), then the deployment (moto applies the update at once: no GetFunction while it is
    // in progress).
    assert_eq!(
        deployed_with,
        [
            "GetFunction",
            "UpdateFunctionCode",
            "PublishVersion",
            "UpdateAlias"
        ]
    );
    let before = moto().recorded_requests().len();

    // The same upload again (a retried or duplicated event): nothing is called.
    let again = handle(&notification(vec![record(&v2, "0A")]), &config)
        .await
        .unwrap()["records"][0]
        .clone();
    assert_eq!(again["outcome"], "skipped", "{again}");
    assert!(
        again["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("already running version {v2_id}")),
        "{again}"
    );
    assert_eq!(
        calls_since(before, function, &key),
        ["GetFunction"],
        "a duplicate reads only"
    );
    let before = moto().recorded_requests().len();
    // The first package's event, arriving late: never rolled back.
    let late = handle(&notification(vec![record(&v1, "09")]), &config)
        .await
        .unwrap()["records"][0]
        .clone();
    assert_eq!(late["outcome"], "skipped", "{late}");
    assert!(
        late["reason"]
            .as_str()
            .unwrap()
            .contains("older than deployed version"),
        "{late}"
    );
    assert_eq!(
        code_updates(function).len(),
        1,
        "neither called UpdateFunctionCode"
    );
    assert_eq!(
        calls_since(before, function, &key),
        ["GetFunction", "HeadObject", "HeadObject", "HeadObject"],
        "an older version: the alias, the key's current version, then both versions' LastModified"
    );
    assert_eq!(alias_runs(function).await.0, "2");

    // A function that does not exist is a rejection that names it, with nothing called.
    let ghost_key = "lambda/ar-lambda-ghost/package.zip";
    let ghost = upload(&w, &w.bucket, ghost_key, lambda_zip("x")).await;
    let err = handle(&notification(vec![record(&ghost, "0B")]), &config)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("Lambda function ar-lambda-ghost or its alias live does not exist"),
        "{err}"
    );
    assert!(code_updates("ar-lambda-ghost").is_empty());
}
