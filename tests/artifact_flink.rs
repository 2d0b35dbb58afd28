//! `artifact-release` deploying to Managed Service for Apache Flink. moto (5.1+) creates and
//! describes applications but implements neither `UpdateApplication`, the operations API nor
//! rollback, so the Flink calls go to `aws-smithy-mocks` rules on the real
//! `aws-sdk-kinesisanalyticsv2` client, answering in the service's own shapes; every request
//! field is asserted. The S3 side is real: the object versions are uploaded to a versioned
//! bucket in moto, whose `HeadObject` answers decide which version is newer.

use std::time::{Duration, SystemTime};

use aws_sdk_kinesisanalyticsv2::operation::describe_application::DescribeApplicationOutput;
use aws_sdk_kinesisanalyticsv2::operation::describe_application_operation::{
    DescribeApplicationOperationInput, DescribeApplicationOperationOutput,
};
use aws_sdk_kinesisanalyticsv2::operation::rollback_application::{
    RollbackApplicationInput, RollbackApplicationOutput,
};
use aws_sdk_kinesisanalyticsv2::operation::start_application::{
    StartApplicationInput, StartApplicationOutput,
};
use aws_sdk_kinesisanalyticsv2::operation::update_application::{
    UpdateApplicationInput, UpdateApplicationOutput,
};
use aws_sdk_kinesisanalyticsv2::types::{
    ApplicationCodeConfigurationDescription, ApplicationConfigurationDescription,
    ApplicationDetail, ApplicationOperationInfoDetails, ApplicationRestoreType, ApplicationStatus,
    CodeContentDescription, CodeContentType, ErrorInfo, OperationFailureDetails, OperationStatus,
    RuntimeEnvironment, S3ApplicationCodeLocationDescription,
};
use aws_sdk_kinesisanalyticsv2::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use serde_json::{json, Value};
use switchyard_adapters::aws::artifact_targets::AwsArtifactTargets;
use switchyard_adapters::AwsExecutor;
use switchyard_core::artifact_release::{decide_event, ArtifactConfig, RulesSource};
use switchyard_core::deadline::{Deadline, DEFAULT_MARGIN};
use switchyard_core::entry::{self, HandlerError};
use switchyard_core::metrics::Tally;
use switchyard_core::plan::{Decision, FunctionName};
use switchyard_core::ports::ObserveError;
use switchyard_test_support::mocks::{aws_json_error, standard_retries, Requests};
use switchyard_test_support::moto;

const APP: &str = "clickstream-enricher";
const BATCH_APP: &str = "nightly-batch";
const TOKEN: &str = "Cv7rvCh+Tj2kVgPNoyNXzQ==";

/// One test's bucket in moto, and the two versions uploaded to its jar's key (oldest first).
struct Uploads {
    bucket: String,
    key: String,
    versions: [String; 2],
}

async fn uploads(test: &str, key: &str) -> Uploads {
    let sdk = moto().sdk().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let bucket = format!("{test}-jars");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    s3.put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut versions = Vec::new();
    for body in ["jar v1", "jar v2"] {
        let out = s3
            .put_object()
            .bucket(&bucket)
            .key(key)
            .body(ByteStream::from_static(body.as_bytes()))
            .send()
            .await
            .unwrap();
        versions.push(out.version_id.unwrap());
    }
    Uploads {
        bucket,
        key: key.to_owned(),
        versions: versions.try_into().unwrap(),
    }
}

fn rules(bucket: &str) -> ArtifactConfig {
    let document = format!(
        r#"
rules:
  - name: streaming
    bucket: {bucket}
    key: flink/{{app}}/{{app}}.jar
    flink:
      application: "{{app}}"
      rollback: true
  - name: batch
    bucket: {bucket}
    key: batch/{{app}}.jar
    flink:
      application: "{{app}}"
      snapshot: named
      snapshot_name: "{{app}}-before-deploy"
      allow_non_restored_state: true
      start: true
"#
    );
    ArtifactConfig::from_document(&document, &RulesSource::Inline(document.clone())).unwrap()
}

/// An S3 notification for one version of the jar.
fn event(u: &Uploads, version: &str) -> Value {
    json!({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-11-23T06:00:00.000Z", "eventName": "ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "switchyard-artifact-release",
            "bucket": {"name": u.bucket, "arn": format!("arn:aws:s3:::{}", u.bucket)},
            "object": {"key": u.key, "size": 6, "eTag": "0f343b0931126a20f133d67c2b018a3b",
                "versionId": version, "sequencer": "0062E99A88DC407460"}}
    }]})
}

/// `DescribeApplication` as the service answers it: `status`, version 7, the token, and the
/// code at `running` (a version of the jar's key).
fn described(name: &str, status: ApplicationStatus, u: &Uploads, running: &str) -> Rule {
    let (name, bucket, key, running) = (
        name.to_owned(),
        u.bucket.clone(),
        u.key.clone(),
        running.to_owned(),
    );
    mock!(Client::describe_application).then_output(move || {
        let code = ApplicationCodeConfigurationDescription::builder()
            .code_content_type(CodeContentType::Zipfile)
            .code_content_description(
                CodeContentDescription::builder()
                    .s3_application_code_location_description(
                        S3ApplicationCodeLocationDescription::builder()
                            .bucket_arn(format!("arn:aws:s3:::{bucket}"))
                            .file_key(&key)
                            .object_version(&running)
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .build()
            .unwrap();
        DescribeApplicationOutput::builder()
            .application_detail(
                ApplicationDetail::builder()
                    .application_arn(format!(
                        "arn:aws:kinesisanalytics:us-east-1:123456789012:application/{name}"
                    ))
                    .application_name(&name)
                    .runtime_environment(RuntimeEnvironment::Flink120)
                    .application_status(status.clone())
                    .application_version_id(7)
                    .conditional_token(TOKEN)
                    .application_configuration_description(
                        ApplicationConfigurationDescription::builder()
                            .application_code_configuration_description(code)
                            .build(),
                    )
                    .build()
                    .unwrap(),
            )
            .build()
    })
}

fn updated(seen: Requests<UpdateApplicationInput>) -> Rule {
    mock!(Client::update_application).then_compute_output(move |req| {
        seen.push(req);
        UpdateApplicationOutput::builder()
            .application_detail(
                ApplicationDetail::builder()
                    .application_arn(format!(
                        "arn:aws:kinesisanalytics:us-east-1:123456789012:application/{APP}"
                    ))
                    .application_name(req.application_name().unwrap())
                    .runtime_environment(RuntimeEnvironment::Flink120)
                    .application_status(ApplicationStatus::Updating)
                    .application_version_id(8)
                    .build()
                    .unwrap(),
            )
            .operation_id("op-update-8")
            .build()
    })
}

fn operation(status: OperationStatus, failure: Option<&str>) -> DescribeApplicationOperationOutput {
    let mut details = ApplicationOperationInfoDetails::builder()
        .operation("UpdateApplication")
        .start_time(aws_smithy_types::DateTime::from_secs(1_795_000_000))
        .end_time(aws_smithy_types::DateTime::from_secs(1_795_000_060))
        .operation_status(status);
    if let Some(error) = failure {
        details = details.operation_failure_details(
            OperationFailureDetails::builder()
                .error_info(ErrorInfo::builder().error_string(error).build())
                .build(),
        );
    }
    DescribeApplicationOperationOutput::builder()
        .application_operation_info_details(details.build().unwrap())
        .build()
}

/// The operation's statuses, one per `DescribeApplicationOperation`, then the last one again.
fn operation_goes(
    seen: Requests<DescribeApplicationOperationInput>,
    statuses: &[(OperationStatus, Option<&'static str>)],
) -> Rule {
    let statuses = statuses.to_vec();
    mock!(Client::describe_application_operation).then_compute_output(move |req| {
        seen.push(req);
        let n = seen.all().len() - 1;
        let (status, failure) = statuses[n.min(statuses.len() - 1)].clone();
        operation(status, failure)
    })
}

fn flink_client(rules: &[&Rule]) -> Client {
    mock_client!(aws_sdk_kinesisanalyticsv2, RuleMode::MatchAny, rules, |c| c
        .retry_config(standard_retries()))
}

/// Observe with moto's S3 and the mocked Flink client, decide, then act as the Lambda does.
async fn handle(
    event: &Value,
    config: &ArtifactConfig,
    flink: &Client,
    budget: Duration,
    poll: Duration,
) -> Result<Value, HandlerError> {
    let sdk = moto().sdk().await;
    let targets = AwsArtifactTargets::new(sdk.clone()).with_flink(flink.clone());
    let deadline = Deadline::new(SystemTime::now() + DEFAULT_MARGIN + budget, DEFAULT_MARGIN);
    let records = decide_event(event, config, &targets, Some(deadline))
        .await
        .map_err(|e| HandlerError::Act(e.into()))?;
    let executor = AwsExecutor::new(sdk)
        .with_flink(flink.clone())
        .with_poll_interval(poll);
    // What the line counts is decision_metrics' concern; here, what the calls did.
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

const BUDGET: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(10);

#[tokio::test]
async fn a_running_application_gets_exactly_the_uploaded_version_followed_to_success() {
    let u = uploads("fl-new", &format!("flink/{APP}/{APP}.jar")).await;
    let [old, new] = u.versions.clone();
    let updates = Requests::new();
    let polls = Requests::new();
    let describe = described(APP, ApplicationStatus::Running, &u, &old);
    let update = updated(updates.clone());
    let follow = operation_goes(
        polls.clone(),
        &[
            (OperationStatus::InProgress, None),
            (OperationStatus::InProgress, None),
            (OperationStatus::Successful, None),
        ],
    );
    let client = flink_client(&[&describe, &update, &follow]);
    let answer = handle(&event(&u, &new), &rules(&u.bucket), &client, BUDGET, POLL)
        .await
        .unwrap();
    let record = &answer["records"][0];
    assert_eq!(record["outcome"], "acted", "{answer}");
    assert!(
        record["reason"].as_str().unwrap().contains(&format!(
            "pinned to version id {new} (newer than deployed version {old})"
        )),
        "{answer}"
    );
    let [req] = updates.all().try_into().unwrap();
    assert_eq!(req.application_name(), Some(APP));
    assert_eq!(req.conditional_token(), Some(TOKEN));
    assert_eq!(
        req.current_application_version_id(),
        None,
        "the token guards"
    );
    let location = req
        .application_configuration_update()
        .and_then(|c| c.application_code_configuration_update())
        .and_then(|c| c.code_content_update())
        .and_then(|c| c.s3_content_location_update())
        .unwrap();
    assert_eq!(
        location.bucket_arn_update(),
        Some(format!("arn:aws:s3:::{}", u.bucket).as_str())
    );
    assert_eq!(location.file_key_update(), Some(u.key.as_str()));
    assert_eq!(location.object_version_update(), Some(new.as_str()));
    let run = req.run_configuration_update().unwrap();
    let restore = run.application_restore_configuration().unwrap();
    assert_eq!(
        restore.application_restore_type(),
        &ApplicationRestoreType::RestoreFromLatestSnapshot,
        "a running job keeps its state by default"
    );
    assert_eq!(restore.snapshot_name(), None);
    assert_eq!(
        run.flink_run_configuration()
            .unwrap()
            .allow_non_restored_state(),
        Some(false)
    );
    // Followed until SUCCESSFUL: three looks at the one operation the update returned.
    let polled = polls.all();
    assert_eq!(polled.len(), 3);
    for p in &polled {
        assert_eq!(p.application_name(), Some(APP));
        assert_eq!(p.operation_id(), Some("op-update-8"));
    }
    let result = &record["results"][0]["result"];
    assert_eq!(result["operationStatus"], "SUCCESSFUL", "{answer}");
    assert_eq!(result["applicationVersionId"], 8);
}

#[tokio::test]
async fn a_duplicate_and_an_older_version_call_nothing_but_describe() {
    let u = uploads("fl-dup", &format!("flink/{APP}/{APP}.jar")).await;
    let [old, new] = u.versions.clone();
    let updates = Requests::new();
    let describe = described(APP, ApplicationStatus::Running, &u, &new);
    let update = updated(updates.clone());
    let client = flink_client(&[&describe, &update]);
    let config = rules(&u.bucket);
    let duplicate = handle(&event(&u, &new), &config, &client, BUDGET, POLL)
        .await
        .unwrap();
    assert_eq!(duplicate["records"][0]["outcome"], "skipped", "{duplicate}");
    assert!(
        duplicate["records"][0]["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("already running version {new}")),
        "{duplicate}"
    );
    let older = handle(&event(&u, &old), &config, &client, BUDGET, POLL)
        .await
        .unwrap();
    assert_eq!(older["records"][0]["outcome"], "skipped", "{older}");
    assert!(
        older["records"][0]["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("is older than deployed version {new}")),
        "{older}"
    );
    assert!(updates.all().is_empty());
    assert_eq!(describe.num_calls(), 2, "one DescribeApplication per event");
}

#[tokio::test]
async fn a_failed_update_reports_flinks_reason_and_rolls_back() {
    let u = uploads("fl-fail", &format!("flink/{APP}/{APP}.jar")).await;
    let [old, new] = u.versions.clone();
    let polls = Requests::new();
    let rollbacks: Requests<RollbackApplicationInput> = Requests::new();
    let describe = described(APP, ApplicationStatus::Running, &u, &old);
    let update = updated(Requests::new());
    let follow = operation_goes(
        polls.clone(),
        &[
            (OperationStatus::InProgress, None),
            (
                OperationStatus::Failed,
                Some("Job failed to start: java.lang.ClassNotFoundException: com.acme.Enricher"),
            ),
        ],
    );
    let seen = rollbacks.clone();
    let rollback = mock!(Client::rollback_application).then_compute_output(move |req| {
        seen.push(req);
        RollbackApplicationOutput::builder()
            .operation_id("op-rollback-9")
            .build()
    });
    let client = flink_client(&[&describe, &update, &follow, &rollback]);
    let err = handle(&event(&u, &new), &rules(&u.bucket), &client, BUDGET, POLL)
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("operation op-update-8 FAILED"),
        "{message}"
    );
    assert!(
        message.contains("ClassNotFoundException: com.acme.Enricher"),
        "{message}"
    );
    assert!(
        message.contains("rolled back (RollbackApplication operation op-rollback-9)"),
        "{message}"
    );
    assert!(
        !err.is_retryable(),
        "the same jar fails the same way: {message}"
    );
    let [req] = rollbacks.all().try_into().unwrap();
    assert_eq!(req.application_name(), Some(APP));
    assert_eq!(
        req.current_application_version_id(),
        Some(8),
        "the version the failed update made"
    );
    assert_eq!(polls.all().len(), 2);
}

#[tokio::test]
async fn a_refused_rollback_is_reported_beside_the_failure() {
    let u = uploads("fl-norollback", &format!("flink/{APP}/{APP}.jar")).await;
    let [old, new] = u.versions.clone();
    let describe = described(APP, ApplicationStatus::Running, &u, &old);
    let update = updated(Requests::new());
    let follow = operation_goes(
        Requests::new(),
        &[(OperationStatus::Failed, Some("Job failed to start"))],
    );
    let refused = mock!(Client::rollback_application)
        .sequence()
        .http_status(400, aws_json_error("InvalidRequestException"))
        .build();
    let client = flink_client(&[&describe, &update, &follow, &refused]);
    let err = handle(&event(&u, &new), &rules(&u.bucket), &client, BUDGET, POLL)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("operation op-update-8 FAILED: Job failed to start"),
        "{err}"
    );
    assert!(
        err.contains("the rollback failed too: RollbackApplication failed")
            && err.contains("InvalidRequestException"),
        "{err}"
    );
}

#[tokio::test]
async fn when_the_budget_runs_out_the_operation_is_reported_in_progress() {
    let u = uploads("fl-budget", &format!("flink/{APP}/{APP}.jar")).await;
    let [old, new] = u.versions.clone();
    let polls = Requests::new();
    let describe = described(APP, ApplicationStatus::Running, &u, &old);
    let update = updated(Requests::new());
    let follow = operation_goes(polls.clone(), &[(OperationStatus::InProgress, None)]);
    let client = flink_client(&[&describe, &update, &follow]);
    // Five seconds left, looking every ten: the first look is the last.
    let answer = handle(
        &event(&u, &new),
        &rules(&u.bucket),
        &client,
        Duration::from_secs(5),
        Duration::from_secs(10),
    )
    .await
    .unwrap();
    let result = &answer["records"][0]["results"][0]["result"];
    assert_eq!(result["operationStatus"], "IN_PROGRESS", "{answer}");
    assert_eq!(result["operationId"], "op-update-8");
    assert_eq!(polls.all().len(), 1, "no wait past the budget");
}

#[tokio::test]
async fn a_concurrent_change_is_retryable_and_a_busy_application_waits_for_a_retry() {
    let u = uploads("fl-conflict", &format!("flink/{APP}/{APP}.jar")).await;
    let [old, new] = u.versions.clone();
    let describe = described(APP, ApplicationStatus::Running, &u, &old);
    let conflict = mock!(Client::update_application)
        .sequence()
        .http_status(400, aws_json_error("ConcurrentModificationException"))
        .build();
    let client = flink_client(&[&describe, &conflict]);
    let err = handle(&event(&u, &new), &rules(&u.bucket), &client, BUDGET, POLL)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("ConcurrentModificationException"),
        "{err}"
    );
    assert!(
        err.is_retryable(),
        "the retried event reads the new token: {err}"
    );
    assert_eq!(conflict.num_calls(), 1, "not retried within the call");

    let busy = described(APP, ApplicationStatus::Updating, &u, &old);
    let update = updated(Requests::new());
    let client = flink_client(&[&busy, &update]);
    let sdk = moto().sdk().await;
    let targets = AwsArtifactTargets::new(sdk).with_flink(client);
    let refused: ObserveError = decide_event(&event(&u, &new), &rules(&u.bucket), &targets, None)
        .await
        .unwrap_err();
    assert!(refused.retryable, "{refused}");
    assert!(
        refused.message.contains("the application is UPDATING"),
        "{refused}"
    );
    assert_eq!(update.num_calls(), 0);
}

#[tokio::test]
async fn a_ready_application_is_updated_then_started_from_the_named_snapshot() {
    let u = uploads("fl-ready", &format!("batch/{BATCH_APP}.jar")).await;
    let [old, new] = u.versions.clone();
    let updates = Requests::new();
    let starts: Requests<StartApplicationInput> = Requests::new();
    let polls = Requests::new();
    let describe = described(BATCH_APP, ApplicationStatus::Ready, &u, &old);
    let update = updated(updates.clone());
    let seen = starts.clone();
    let start = mock!(Client::start_application).then_compute_output(move |req| {
        seen.push(req);
        StartApplicationOutput::builder()
            .operation_id("op-start-1")
            .build()
    });
    let follow = operation_goes(polls.clone(), &[(OperationStatus::Successful, None)]);
    let client = flink_client(&[&describe, &update, &start, &follow]);
    let answer = handle(&event(&u, &new), &rules(&u.bucket), &client, BUDGET, POLL)
        .await
        .unwrap();
    assert_eq!(answer["records"][0]["outcome"], "acted", "{answer}");
    let [req] = updates.all().try_into().unwrap();
    assert!(
        req.run_configuration_update().is_none(),
        "a stopped application is not restarted by the update"
    );
    let [started] = starts.all().try_into().unwrap();
    assert_eq!(started.application_name(), Some(BATCH_APP));
    let run = started.run_configuration().unwrap();
    let restore = run.application_restore_configuration().unwrap();
    assert_eq!(
        restore.application_restore_type(),
        &ApplicationRestoreType::RestoreFromCustomSnapshot
    );
    assert_eq!(restore.snapshot_name(), Some("nightly-batch-before-deploy"));
    assert_eq!(
        run.flink_run_configuration()
            .unwrap()
            .allow_non_restored_state(),
        Some(true)
    );
    assert_eq!(
        polls.all()[0].operation_id(),
        Some("op-start-1"),
        "the start is followed"
    );
}
