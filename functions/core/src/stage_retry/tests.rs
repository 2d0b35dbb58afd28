//! Decision tests over events, configuration, pipeline state and Health (table-driven), through
//! `evaluate` with the in-memory world readers.

use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use serde_json::{json, Value};

use super::event::{parse, Trigger};
use super::world::WorldPipelines;
use super::*;
use crate::health::world::WorldHealth;
use crate::plan::{Action, Outcome};
use crate::timestamps;

/// The world readers answer at once: one poll runs a whole evaluation.
fn run_now<F: Future>(f: F) -> F::Output {
    match pin!(f).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("in-memory readers never wait"),
    }
}

const EXEC: &str = "3c1f9e1a-0b6d-4f7e-9d21-6a1b2c3d4e5f";
const NEWER: &str = "9d8e7f6a-5b4c-4d3e-8f2a-1b0c9d8e7f6a";

fn config(extra: &[(&str, &str)]) -> RetryConfig {
    let mut vars: HashMap<String, String> = [
        (
            "STAGE_RETRY_PIPELINES",
            "payments-release:Deploy,ledger-release",
        ),
        ("STAGE_RETRY_REGIONS", "eu-west-1"),
        ("STAGE_RETRY_SERVICES", "EC2"),
        ("STAGE_RETRY_MAX_ATTEMPTS", "2"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in extra {
        vars.insert(k.to_string(), v.to_string());
    }
    RetryConfig::from_vars(&vars).unwrap()
}

fn stage_event(pipeline: &str, stage: &str, state: &str, time: &str) -> Value {
    json!({"version": "0", "id": "e-1", "detail-type": "CodePipeline Stage Execution State Change",
        "source": "aws.codepipeline", "time": time, "region": "eu-west-1",
        "detail": {"pipeline": pipeline, "execution-id": EXEC, "stage": stage, "state": state}})
}

fn schedule() -> Value {
    json!({"version": "0", "id": "s-1", "detail-type": "Scheduled Event", "source": "aws.events",
        "time": "2026-11-23T10:00:00Z", "region": "eu-west-1", "detail": {}})
}

/// A pipeline whose Deploy stage's latest execution is `latest` with `status`, and whose two
/// Deploy actions ran `runs` times each (starting 09:10, 09:20, …).
fn pipeline(latest: &str, status: &str, runs: usize) -> Value {
    let executions: Vec<Value> = (0..runs)
        .flat_map(|i| {
            ["DeployEU", "MigrateDB"].map(|action| {
                json!({"pipelineExecutionId": EXEC, "stageName": "Deploy", "actionName": action,
                    "status": "Failed",
                    "startTime": format!("2026-11-23T09:{}0:00Z", i + 1)})
            })
        })
        .collect();
    json!({
        "stageStates": [
            {"stageName": "Build", "latestExecution": {"pipelineExecutionId": latest, "status": "Succeeded"}},
            {"stageName": "Deploy", "latestExecution": {"pipelineExecutionId": latest, "status": status},
             "actionStates": [{"actionName": "DeployEU", "latestExecution": {"status": status, "lastStatusChange": "2026-11-23T09:12:40Z"}}]}
        ],
        "actionExecutions": executions
    })
}

fn health_open() -> Value {
    json!({"events": [{"arn": "arn:aws:health:eu-west-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/1", "service": "EC2",
        "eventTypeCode": "AWS_EC2_OPERATIONAL_ISSUE", "eventTypeCategory": "issue", "region": "eu-west-1",
        "startTime": "2026-11-23T09:00:00Z", "statusCode": "open"}]})
}

fn evaluate_with(raw: &Value, config: &RetryConfig, pipelines: Value, health: Value) -> Decision {
    let trigger = parse(raw).unwrap();
    let pipelines = WorldPipelines::from_world(Some(&pipelines)).unwrap();
    let health = WorldHealth::from_world(Some(&health)).unwrap();
    let now = timestamps::parse("now", "2026-11-23T10:00:00Z").unwrap();
    run_now(evaluate(&trigger, config, &pipelines, &health, now)).unwrap()
}

#[test]
fn table_of_events_state_and_health() {
    let failed = |t: &str| stage_event("payments-release", "Deploy", "FAILED", t);
    let at_failure = "2026-11-23T09:15:00Z";
    // (event, pipelines, health, config extra, outcome, text the reason must contain)
    type Case<'a> = (
        Value,
        Value,
        Value,
        Vec<(&'a str, &'a str)>,
        Outcome,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            failed(at_failure),
            json!({"payments-release": pipeline(EXEC, "Failed", 1)}),
            json!({}),
            vec![],
            Outcome::Acted,
            "retry 1 of 2: AWS Health is clear for EC2 in eu-west-1, global",
        ),
        (
            failed(at_failure),
            json!({"payments-release": pipeline(EXEC, "Failed", 1)}),
            health_open(),
            vec![],
            Outcome::Skipped,
            "not yet: 1 open AWS Health event(s)",
        ),
        (
            failed(at_failure),
            json!({"payments-release": pipeline(EXEC, "Failed", 1)}),
            json!({"unavailable": true}),
            vec![],
            Outcome::Skipped,
            "not yet: AWS Health could not be read",
        ),
        (
            failed(at_failure),
            json!({"payments-release": pipeline(EXEC, "Failed", 1)}),
            json!({"subscriptionRequired": true}),
            vec![],
            Outcome::Skipped,
            "STAGE_RETRY_ON_UNSUPPORTED_PLAN is fail",
        ),
        (
            failed(at_failure),
            json!({"payments-release": pipeline(EXEC, "Failed", 1)}),
            json!({"subscriptionRequired": true}),
            vec![("STAGE_RETRY_ON_UNSUPPORTED_PLAN", "pass")],
            Outcome::Acted,
            "retrying because STAGE_RETRY_ON_UNSUPPORTED_PLAN is pass",
        ),
        (
            failed("2026-11-23T09:25:00Z"),
            json!({"payments-release": pipeline(EXEC, "Failed", 2)}),
            json!({}),
            vec![],
            Outcome::Acted,
            "retry 2 of 2",
        ),
        (
            failed("2026-11-23T09:35:00Z"),
            json!({"payments-release": pipeline(EXEC, "Failed", 3)}),
            json!({}),
            vec![],
            Outcome::Skipped,
            "stopped for good: retry cap reached: 2 of 2",
        ),
        (
            failed(at_failure),
            json!({"payments-release": pipeline(NEWER, "InProgress", 1)}),
            json!({}),
            vec![],
            Outcome::Skipped,
            "stopped for good: superseded",
        ),
        (
            failed(at_failure),
            json!({"payments-release": pipeline(EXEC, "InProgress", 2)}),
            json!({}),
            vec![],
            Outcome::Skipped,
            "is InProgress now",
        ),
        (
            failed(at_failure),
            json!({"payments-release": pipeline(EXEC, "Succeeded", 2)}),
            json!({}),
            vec![],
            Outcome::Skipped,
            "is Succeeded now",
        ),
        // A duplicate of the first failure's event after the retry failed again: not retried twice.
        (
            failed(at_failure),
            json!({"payments-release": pipeline(EXEC, "Failed", 2)}),
            json!({}),
            vec![],
            Outcome::Skipped,
            "already retried: an attempt started at 2026-11-23T09:20:00Z",
        ),
        (
            failed(at_failure),
            json!({"payments-release": pipeline(EXEC, "Failed", 1)}),
            json!({}),
            vec![("STAGE_RETRY_MAX_AGE_MINUTES", "30")],
            Outcome::Skipped,
            "older than STAGE_RETRY_MAX_AGE_MINUTES",
        ),
        (
            stage_event("payments-release", "Deploy", "SUCCEEDED", at_failure),
            json!({}),
            json!({}),
            vec![],
            Outcome::Skipped,
            "only FAILED stages are retried",
        ),
        (
            stage_event("payments-release", "Build", "FAILED", at_failure),
            json!({}),
            json!({}),
            vec![],
            Outcome::Skipped,
            "not in STAGE_RETRY_PIPELINES",
        ),
        (
            stage_event("unknown-pipeline", "Deploy", "FAILED", at_failure),
            json!({}),
            json!({}),
            vec![],
            Outcome::Skipped,
            "not in STAGE_RETRY_PIPELINES",
        ),
        (
            stage_event("ledger-release", "Deploy", "FAILED", at_failure),
            json!({}),
            json!({}),
            vec![],
            Outcome::Skipped,
            "pipeline ledger-release does not exist",
        ),
    ];
    for (raw, pipelines, health, extra, outcome, text) in cases {
        let d = evaluate_with(&raw, &config(&extra), pipelines, health);
        assert_eq!(d.outcome, outcome, "{}: {}", raw["detail"], d.reason);
        assert!(
            d.reason.contains(text),
            "{:?} should contain {text:?}",
            d.reason
        );
        assert_eq!(d.outcome == Outcome::Acted, !d.actions.is_empty());
    }
}

#[test]
fn a_retry_targets_the_failed_actions_of_that_execution() {
    let d = evaluate_with(
        &stage_event(
            "payments-release",
            "Deploy",
            "FAILED",
            "2026-11-23T09:15:00Z",
        ),
        &config(&[]),
        json!({"payments-release": pipeline(EXEC, "Failed", 1)}),
        json!({}),
    );
    match d.actions.as_slice() {
        [Action::RetryStageExecution(r)] => {
            assert_eq!(r.pipeline_name, "payments-release");
            assert_eq!(r.stage_name, "Deploy");
            assert_eq!(r.pipeline_execution_id, EXEC);
            assert_eq!(r.retry_mode, "FAILED_ACTIONS");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_sweep_retries_every_failed_configured_stage_when_clear() {
    let pipelines = json!({
        "payments-release": pipeline(EXEC, "Failed", 1),
        "ledger-release": {"stageStates": [
            {"stageName": "Deploy", "latestExecution": {"pipelineExecutionId": NEWER, "status": "Failed"}},
            {"stageName": "Test", "latestExecution": {"pipelineExecutionId": NEWER, "status": "Succeeded"}}]},
    });
    let d = evaluate_with(&schedule(), &config(&[]), pipelines.clone(), json!({}));
    assert_eq!(d.outcome, Outcome::Acted, "{}", d.reason);
    assert_eq!(d.actions.len(), 2, "{}", d.reason);
    assert!(
        d.reason.contains("payments-release/Deploy: retry 1 of 2"),
        "{}",
        d.reason
    );
    assert!(
        d.reason.contains("ledger-release/Deploy: retry 1 of 2"),
        "{}",
        d.reason
    );

    let d = evaluate_with(&schedule(), &config(&[]), pipelines, health_open());
    assert_eq!(d.outcome, Outcome::Skipped);
    assert!(d.reason.contains("not yet"), "{}", d.reason);

    let d = evaluate_with(&schedule(), &config(&[]), json!({}), json!({}));
    assert_eq!(d.outcome, Outcome::Skipped);
    assert!(
        d.reason.contains("no configured stage is failed"),
        "{}",
        d.reason
    );
    assert!(
        d.reason
            .contains("pipeline payments-release does not exist"),
        "{}",
        d.reason
    );
}

#[test]
fn parse_gives_the_trigger() {
    assert!(matches!(parse(&schedule()).unwrap(), Trigger::Sweep { .. }));
}
