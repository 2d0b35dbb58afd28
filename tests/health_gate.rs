//! AWS Health on the real Health SDK client, with `aws-smithy-mocks` answering (moto has no
//! Health API): the request's filter, every page, failover from us-east-1 to us-east-2 when the
//! active endpoint does not answer, throttling retried, `SubscriptionRequiredException`, the page
//! cap; and the whole gate through the job runner, reporting one result on the mocked CodePipeline
//! client.

use std::net::TcpListener;
use std::time::{Duration, SystemTime};

use aws_sdk_codepipeline::operation::put_job_failure_result::{
    PutJobFailureResultInput, PutJobFailureResultOutput,
};
use aws_sdk_codepipeline::operation::put_job_success_result::{
    PutJobSuccessResultInput, PutJobSuccessResultOutput,
};
use aws_sdk_health::operation::describe_events::{DescribeEventsInput, DescribeEventsOutput};
use aws_sdk_health::types::{Event, EventStatusCode, EventTypeCategory};
use aws_sdk_health::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_types::DateTime;
use serde_json::json;
use switchyard_adapters::aws::health::{AwsHealth, ACTIVE_REGION, FAILOVER_REGION};
use switchyard_adapters::aws::pages::MAX_PAGES;
use switchyard_adapters::aws::pipeline_jobs::CodePipelineJobs;
use switchyard_adapters::job_runner::run_job;
use switchyard_adapters::AwsExecutor;
use switchyard_core::deadline::Deadline;
use switchyard_core::health::ports::{HealthError, HealthReader};
use switchyard_core::health::HealthQuery;
use switchyard_core::health_gate;
use switchyard_core::plan::FunctionName;
use switchyard_core::timestamps;
use switchyard_test_support::jobs::{no_tally, JobBook};
use switchyard_test_support::mocks::{aws_cbor_error, standard_retries, Requests};

fn query() -> HealthQuery {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    HealthQuery::new(
        &s(&["eu-west-1"]),
        &s(&["EC2", "RDS"]),
        &s(&["issue"]),
        ["regions", "services", "categories"],
    )
    .unwrap()
}

fn event(n: u32, service: &str, region: &str) -> Event {
    Event::builder()
        .arn(format!(
            "arn:aws:health:{region}::event/{service}/AWS_{service}_OPERATIONAL_ISSUE/{n}"
        ))
        .service(service)
        .event_type_code(format!("AWS_{service}_OPERATIONAL_ISSUE"))
        .event_type_category(EventTypeCategory::Issue)
        .region(region)
        .start_time(DateTime::from_secs(1_795_160_000 + i64::from(n)))
        .status_code(EventStatusCode::Open)
        .build()
}

fn health_client(rules: &[&Rule]) -> Client {
    mock_client!(aws_sdk_health, RuleMode::MatchAny, rules, |c| c
        .retry_config(standard_retries()))
}

/// Two pages: the first carries a `nextToken`, the second ends the listing.
fn two_pages(seen: Requests<DescribeEventsInput>) -> Rule {
    mock!(Client::describe_events).then_compute_output(move |req| {
        seen.push(req);
        match req.next_token() {
            None => DescribeEventsOutput::builder()
                .events(event(1, "EC2", "eu-west-1"))
                .next_token("page-2")
                .build(),
            Some(_) => DescribeEventsOutput::builder()
                .events(event(2, "RDS", "global"))
                .build(),
        }
    })
}

fn unused() -> Rule {
    mock!(Client::describe_events).then_output(|| DescribeEventsOutput::builder().build())
}

#[tokio::test]
async fn describe_events_asks_for_open_events_and_reads_every_page() {
    let seen = Requests::new();
    let active = two_pages(seen.clone());
    let failover = unused();
    let health = AwsHealth::with_clients(health_client(&[&active]), health_client(&[&failover]));
    let events = health.open_events(&query()).await.unwrap();

    assert_eq!(events.len(), 2, "both pages");
    assert_eq!(events[1].region, "global");
    assert_eq!(
        timestamps::format(events[0].start_time.unwrap()),
        "2026-11-20T07:33:21Z"
    );
    let requests = seen.all();
    assert_eq!(requests.len(), 2);
    let filter = requests[0].filter().unwrap();
    assert_eq!(filter.event_status_codes(), [EventStatusCode::Open]);
    assert_eq!(filter.regions(), ["eu-west-1", "global"]);
    assert_eq!(filter.services(), ["EC2", "RDS"]);
    assert_eq!(filter.event_type_categories(), [EventTypeCategory::Issue]);
    assert_eq!(requests[0].max_results(), Some(100));
    assert_eq!(requests[0].next_token(), None);
    assert_eq!(requests[1].next_token(), Some("page-2"));
    assert_eq!(
        requests[1].filter(),
        requests[0].filter(),
        "same filter on every page"
    );
    assert_eq!(failover.num_calls(), 0, "the active endpoint answered");
}

/// A Health client whose endpoint is a loopback port nobody listens on: a real connection failure.
fn silent_client() -> Client {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    Client::from_conf(
        aws_sdk_health::Config::builder()
            .with_test_defaults_v2()
            .endpoint_url(format!("http://127.0.0.1:{port}"))
            .retry_config(standard_retries())
            .build(),
    )
}

#[tokio::test]
async fn fails_over_to_us_east_2_when_us_east_1_does_not_answer() {
    // Connection refused.
    let seen = Requests::new();
    let failover = two_pages(seen.clone());
    let health = AwsHealth::with_clients(silent_client(), health_client(&[&failover]));
    let events = health.open_events(&query()).await.unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(
        seen.all().len(),
        2,
        "the failover endpoint served both pages"
    );

    // 503 on every attempt (the SDK retries, then gives up): no answer either.
    let down = mock!(Client::describe_events)
        .sequence()
        .http_status(503, None)
        .repeatedly()
        .build();
    let failover = two_pages(Requests::new());
    let health = AwsHealth::with_clients(health_client(&[&down]), health_client(&[&failover]));
    assert_eq!(health.open_events(&query()).await.unwrap().len(), 2);
    assert_eq!(down.num_calls(), 3, "standard retries before failing over");

    // Neither answers: unavailable, naming both regions.
    let health = AwsHealth::with_clients(silent_client(), silent_client());
    match health.open_events(&query()).await {
        Err(HealthError::Unavailable(why)) => {
            assert!(
                why.message.contains(ACTIVE_REGION) && why.message.contains(FAILOVER_REGION),
                "{why}"
            );
            assert!(why.retryable, "silence may end: {why}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_answer_is_believed_and_never_failed_over() {
    let denied = mock!(Client::describe_events)
        .sequence()
        .http_response(|| aws_cbor_error(400, "AccessDeniedException"))
        .build();
    let failover = unused();
    let health = AwsHealth::with_clients(health_client(&[&denied]), health_client(&[&failover]));
    match health.open_events(&query()).await {
        Err(HealthError::Unavailable(why)) => {
            assert!(why.message.contains("AccessDenied"), "{why}");
            assert!(!why.retryable, "access denied is final: {why}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(failover.num_calls(), 0);

    let unsupported = mock!(Client::describe_events)
        .sequence()
        .http_response(|| aws_cbor_error(400, "SubscriptionRequiredException"))
        .build();
    let health =
        AwsHealth::with_clients(health_client(&[&unsupported]), health_client(&[&failover]));
    assert_eq!(
        health.open_events(&query()).await,
        Err(HealthError::SubscriptionRequired)
    );
    assert_eq!(failover.num_calls(), 0);
}

#[tokio::test]
async fn throttling_is_retried() {
    let throttled = mock!(Client::describe_events)
        .sequence()
        .http_response(|| aws_cbor_error(400, "ThrottlingException"))
        .output(|| {
            DescribeEventsOutput::builder()
                .events(event(1, "EC2", "eu-west-1"))
                .build()
        })
        .build();
    let failover = unused();
    let health = AwsHealth::with_clients(health_client(&[&throttled]), health_client(&[&failover]));
    assert_eq!(health.open_events(&query()).await.unwrap().len(), 1);
    assert_eq!(throttled.num_calls(), 2);
    assert_eq!(failover.num_calls(), 0);
}

#[tokio::test]
async fn a_listing_longer_than_the_page_cap_is_refused_not_cut_short() {
    // Every page hands out a new token: the paginator would follow it forever.
    let endless = mock!(Client::describe_events).then_compute_output(|req| {
        let page: usize = req.next_token().map_or(0, |t| t.parse().unwrap());
        DescribeEventsOutput::builder()
            .events(event(page as u32, "EC2", "eu-west-1"))
            .next_token((page + 1).to_string())
            .build()
    });
    let failover = unused();
    let health = AwsHealth::with_clients(health_client(&[&endless]), health_client(&[&failover]));
    match health.open_events(&query()).await {
        Err(HealthError::Unavailable(why)) => {
            assert_eq!(why.operation, "DescribeEvents");
            assert!(why.message.contains("more than 100 pages"), "{why}");
            assert!(!why.retryable, "{why}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(endless.num_calls(), MAX_PAGES + 1, "stopped at the cap");
    assert_eq!(
        failover.num_calls(),
        0,
        "an endless answer is still an answer"
    );
}

#[tokio::test]
async fn clients_are_pinned_to_the_health_regions_whatever_the_function_region() {
    let sdk = aws_config::SdkConfig::builder()
        .region(aws_config::Region::new("eu-west-1"))
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    let health = AwsHealth::from_sdk(&sdk);
    let regions: Vec<(&str, String)> = health
        .clients()
        .map(|(name, c)| (name, c.config().region().unwrap().to_string()))
        .collect();
    assert_eq!(
        regions,
        [
            ("us-east-1", "us-east-1".to_owned()),
            ("us-east-2", "us-east-2".to_owned())
        ]
    );
}

const JOB_ID: &str = "0f4f1c2e-8a5b-4c3d-9e7f-112233445566";

fn job_event(params: &str) -> serde_json::Value {
    json!({"CodePipeline.job": {"id": JOB_ID, "accountId": "123456789012", "data": {
        "actionConfiguration": {"configuration": {"FunctionName": "sy-health-gate", "UserParameters": params}},
        "inputArtifacts": [], "outputArtifacts": [],
        "artifactCredentials": {"accessKeyId": "ASIAKEY", "secretAccessKey": "s3cr3t", "sessionToken": "t0k3n"}}}})
}

/// The gate as the Lambda runs it: runner + Health reader + result executor, all real clients.
async fn gate(
    params: &str,
    health: AwsHealth,
) -> (Vec<PutJobSuccessResultInput>, Vec<PutJobFailureResultInput>) {
    let successes = Requests::new();
    let failures = Requests::new();
    let (s, f) = (successes.clone(), failures.clone());
    let success = mock!(aws_sdk_codepipeline::Client::put_job_success_result).then_compute_output(
        move |req| {
            s.push(req);
            PutJobSuccessResultOutput::builder().build()
        },
    );
    let failure = mock!(aws_sdk_codepipeline::Client::put_job_failure_result).then_compute_output(
        move |req| {
            f.push(req);
            PutJobFailureResultOutput::builder().build()
        },
    );
    // CodePipeline issued this job: the runner reads it back with GetJobDetails.
    let book = JobBook::new();
    book.issue(&job_event(params), "release");
    let details = book.rule();
    let codepipeline = mock_client!(
        aws_sdk_codepipeline,
        RuleMode::MatchAny,
        [&success, &failure, &details]
    );
    let jobs = CodePipelineJobs::new(codepipeline.clone());
    let executor =
        AwsExecutor::new(aws_config::SdkConfig::builder().build()).with_codepipeline(codepipeline);
    let health = std::sync::Arc::new(health);
    let deadline = Deadline::new(
        SystemTime::now() + Duration::from_secs(60),
        Duration::from_secs(5),
    );
    run_job(
        FunctionName::HealthGate,
        &job_event(params),
        deadline,
        &executor,
        &jobs,
        |job| async move {
            let now = timestamps::parse("now", "2026-11-20T10:10:00Z").unwrap();
            Ok(health_gate::evaluate(&job, &*health, now).await)
        },
        no_tally,
    )
    .await
    .unwrap();
    (successes.all(), failures.all())
}

#[tokio::test]
async fn the_gate_reports_one_result_from_what_health_says() {
    let params = r#"{"regions":["eu-west-1"],"services":["EC2","RDS"]}"#;

    let open = two_pages(Requests::new());
    let (ok, failed) = gate(
        params,
        AwsHealth::with_clients(health_client(&[&open]), health_client(&[&unused()])),
    )
    .await;
    assert!(ok.is_empty());
    assert_eq!(failed.len(), 1);
    let message = failed[0].failure_details().unwrap().message();
    assert!(message.starts_with("2 open AWS Health events"), "{message}");
    assert!(message.contains("AWS_RDS_OPERATIONAL_ISSUE"), "{message}");

    let clear =
        mock!(Client::describe_events).then_output(|| DescribeEventsOutput::builder().build());
    let (ok, failed) = gate(
        params,
        AwsHealth::with_clients(health_client(&[&clear]), health_client(&[&unused()])),
    )
    .await;
    assert!(failed.is_empty());
    assert_eq!(ok.len(), 1);
    let vars = ok[0].output_variables().unwrap();
    assert_eq!(vars["HealthStatus"], "clear");
    assert_eq!(vars["CheckedAt"], "2026-11-20T10:10:00Z");
    assert_eq!(vars["Regions"], "eu-west-1,global");

    // Waiting: "in progress" with a continuation token instead of a failure.
    let open = two_pages(Requests::new());
    let (ok, failed) = gate(
        r#"{"regions":["eu-west-1"],"wait_minutes":15}"#,
        AwsHealth::with_clients(health_client(&[&open]), health_client(&[&unused()])),
    )
    .await;
    assert!(failed.is_empty());
    assert!(ok[0].continuation_token().unwrap().starts_with("hg1."));

    // Invalid parameters: ConfigurationError, and Health is never asked.
    let never = unused();
    let (_, failed) = gate(
        r#"{"regions":"eu-west-1"}"#,
        AwsHealth::with_clients(health_client(&[&never]), health_client(&[&unused()])),
    )
    .await;
    let details = failed[0].failure_details().unwrap();
    assert_eq!(details.r#type().as_str(), "ConfigurationError");
    assert!(
        details.message().starts_with("UserParameters.regions:"),
        "{}",
        details.message()
    );
    assert_eq!(never.num_calls(), 0);
}
