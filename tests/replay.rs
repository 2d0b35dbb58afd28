//! `switchyard replay` over the samples in `events/`, exactly as the README's quick start runs it:
//! every sample gives its expected function and outcome, and a dry run makes no call.

mod support;

use std::collections::HashMap;
use std::process::Command;

use serde_json::{json, Value};
use support::{moto, repo_root};

/// Runs `switchyard replay --env-file events/switchyard.env <paths>` from the repository root and
/// returns the printed lines keyed by sample file name.
fn replay(paths: &[&str]) -> HashMap<String, Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .current_dir(repo_root())
        .args(["replay", "--env-file", "events/switchyard.env"])
        .args(paths)
        // A dry run must not need AWS: no credentials, no endpoint, nothing reachable.
        .env_remove("AWS_ENDPOINT_URL")
        .env("AWS_ACCESS_KEY_ID", "none")
        .env("AWS_SECRET_ACCESS_KEY", "none")
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "replay failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let name = v["source"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned();
            (name, v)
        })
        .collect()
}

/// (sample, function, outcome, HTTP status for webhooks, text the reason must contain)
type Expectation = (
    &'static str,
    &'static str,
    &'static str,
    Option<u16>,
    &'static str,
);

fn check(lines: &HashMap<String, Value>, expectations: &[Expectation]) {
    for (file, function, outcome, status, reason) in expectations {
        let line = lines
            .get(*file)
            .unwrap_or_else(|| panic!("no line for {file}"));
        assert_eq!(line["function"], *function, "{file}: {line}");
        assert_eq!(line["outcome"], *outcome, "{file}: {line}");
        assert!(
            line["reason"].as_str().unwrap().contains(reason),
            "{file}: reason {:?} should contain {reason:?}",
            line["reason"]
        );
        match status {
            Some(s) => assert_eq!(line["http_status"], *s, "{file}"),
            None => assert!(line.get("http_status").is_none(), "{file}"),
        }
        let actions = line["actions"].as_array().unwrap();
        assert_eq!(
            *outcome == "acted",
            !actions.is_empty(),
            "{file}: only acted lines carry actions"
        );
        assert!(
            line.get("results").is_none(),
            "{file}: a dry run executes nothing"
        );
    }
}

#[test]
fn branch_samples() {
    let lines = replay(&["events/branch-pipelines"]);
    let expectations: &[Expectation] = &[
        (
            "codecommit-branch-created.json",
            "branch-pipelines",
            "acted",
            None,
            "create pipeline stack sy-payments-service-feature-PAY-142-refunds-",
        ),
        (
            "codecommit-branch-deleted.json",
            "branch-pipelines",
            "acted",
            None,
            "tear down pipeline stack",
        ),
        (
            "codecommit-branch-updated.json",
            "branch-pipelines",
            "skipped",
            None,
            "updated",
        ),
        (
            "codecommit-default-branch.json",
            "branch-pipelines",
            "skipped",
            None,
            "default branch",
        ),
        (
            "codecommit-excluded-branch.json",
            "branch-pipelines",
            "skipped",
            None,
            "exclude pattern \"dependabot/**\"",
        ),
        (
            "codecommit-invalid-ref.json",
            "branch-pipelines",
            "rejected",
            None,
            "detail.referenceName",
        ),
        (
            "codecommit-unknown-repository.json",
            "branch-pipelines",
            "skipped",
            None,
            "BRANCH_REPOSITORIES",
        ),
        (
            "github-push-branch-created.json",
            "branch-pipelines",
            "acted",
            Some(202),
            "create pipeline stack",
        ),
        (
            "github-push-branch-deleted.json",
            "branch-pipelines",
            "acted",
            Some(202),
            "tear down",
        ),
        (
            "github-create-branch.json",
            "branch-pipelines",
            "acted",
            Some(202),
            "bugfix/ledger-rounding",
        ),
        (
            "github-delete-branch.json",
            "branch-pipelines",
            "acted",
            Some(202),
            "tear down",
        ),
        (
            "github-ping.json",
            "branch-pipelines",
            "skipped",
            Some(200),
            "ping",
        ),
        (
            "github-issues-event.json",
            "branch-pipelines",
            "skipped",
            Some(200),
            "ignored",
        ),
        (
            "github-bad-signature.json",
            "branch-pipelines",
            "rejected",
            Some(401),
            "X-Hub-Signature-256",
        ),
        (
            "github-push-default-branch.json",
            "branch-pipelines",
            "skipped",
            Some(200),
            "default branch",
        ),
        (
            "github-push-excluded-branch.json",
            "branch-pipelines",
            "skipped",
            Some(200),
            "exclude pattern",
        ),
        (
            "github-push-invalid-ref.json",
            "branch-pipelines",
            "rejected",
            Some(400),
            "ref:",
        ),
    ];
    check(&lines, expectations);
    assert_eq!(
        lines.len(),
        expectations.len(),
        "every branch sample is checked"
    );

    // The plan uses the AWS API's own member names.
    let build = &lines["codecommit-branch-created.json"]["actions"][0];
    assert_eq!(build["service"], "codebuild");
    assert_eq!(build["operation"], "StartBuild");
    assert_eq!(build["input"]["projectName"], "switchyard-branch-deployer");
    assert_eq!(
        build["input"]["sourceVersion"],
        "4c1e7d0b9a8f7e6d5c4b3a29182736455463728a"
    );
    assert_eq!(
        build["input"]["idempotencyToken"].as_str().unwrap().len(),
        64
    );
    let vars: Vec<&str> = build["input"]["environmentVariablesOverride"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    for var in [
        "BRANCH_NAME",
        "REPOSITORY",
        "COMMIT_ID",
        "PIPELINE_NAME",
        "STACK_NAME",
    ] {
        assert!(vars.contains(&var), "{var} missing from {vars:?}");
    }
}

#[test]
fn unsupported_events_are_rejected_with_that_reason() {
    let lines = replay(&["events/unsupported"]);
    let line = &lines["ec2-instance-state-change.json"];
    assert_eq!(line["function"], Value::Null);
    assert_eq!(line["outcome"], "rejected");
    assert_eq!(line["reason"], "unsupported event");
}

#[test]
fn the_quick_start_replays_every_sample() {
    // The README's first command: everything under events/ in one run.
    let lines = replay(&["events/"]);
    assert!(lines.len() >= 18, "{} lines", lines.len());
    for (file, line) in &lines {
        let outcome = line["outcome"].as_str().unwrap();
        assert!(
            ["acted", "skipped", "rejected"].contains(&outcome),
            "{file}: {outcome}"
        );
        assert!(
            !line["reason"].as_str().unwrap().is_empty(),
            "{file}: every line has a reason"
        );
    }
}

#[test]
fn missing_configuration_names_the_variable() {
    let dir = std::env::temp_dir().join(format!("switchyard-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let env_file = dir.join("empty.env");
    std::fs::write(&env_file, "GITHUB_WEBHOOK_SECRET=x\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .current_dir(repo_root())
        .args(["replay", "--env-file"])
        .arg(&env_file)
        .arg("events/branch-pipelines/codecommit-branch-created.json")
        .env_remove("BRANCH_REPOSITORIES")
        .output()
        .unwrap();
    let line: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["outcome"], "rejected");
    assert!(
        line["reason"]
            .as_str()
            .unwrap()
            .contains("BRANCH_REPOSITORIES"),
        "{line}"
    );
}

/// `--execute`: the same plan, run through the real SDK client against moto.
#[tokio::test]
async fn execute_runs_the_plan_against_aws() {
    let sdk = moto().sdk().await;
    support::create_codebuild_project(&sdk, "switchyard-branch-deployer").await;
    let run = |file: &str| {
        Command::new(env!("CARGO_BIN_EXE_switchyard"))
            .current_dir(repo_root())
            .args([
                "replay",
                "--execute",
                "--env-file",
                "events/switchyard.env",
                file,
            ])
            .env("AWS_ENDPOINT_URL", &moto().endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .output()
            .unwrap()
    };
    let out = run("events/branch-pipelines/codecommit-branch-created.json");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["outcome"], "acted");
    let build_id = line["results"][0]["result"]["buildId"].as_str().unwrap();
    assert!(
        build_id.starts_with("switchyard-branch-deployer:"),
        "{line}"
    );
    let sent: Vec<Value> = moto()
        .recorded("StartBuild")
        .into_iter()
        .filter(|b| b["projectName"] == "switchyard-branch-deployer")
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0]["idempotencyToken"],
        line["actions"][0]["input"]["idempotencyToken"]
    );
    assert_eq!(
        sent[0]["sourceVersion"],
        json!("4c1e7d0b9a8f7e6d5c4b3a29182736455463728a")
    );

    // The destroyer project does not exist in moto: the line says so, and the exit code is 1.
    let out = run("events/branch-pipelines/codecommit-branch-deleted.json");
    assert_eq!(out.status.code(), Some(1));
    let line: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["outcome"], "failed");
    assert!(
        line["error"]
            .as_str()
            .unwrap()
            .contains("ResourceNotFoundException"),
        "{line}"
    );
}
