//! `switchyard replay` over the samples in `events/`, exactly as the README's quick start runs it:
//! every sample gives its expected function and outcome, and a dry run makes no call.

use std::collections::HashMap;
use std::process::Command;

use serde_json::{json, Value};
use switchyard_test_support::git_hosts::{branch, GitHostServer};
use switchyard_test_support::{create_codebuild_project, moto, repo_root};

/// Runs `switchyard replay --env-file events/switchyard.env <paths>` from the repository root and
/// returns the printed lines keyed by sample file name (`file.json#Records[1]` for the lines of
/// events that are decided per record).
fn replay(paths: &[&str]) -> HashMap<String, Value> {
    replay_with(paths, &[])
}

/// [`replay`] with extra process variables.
fn replay_with(paths: &[&str], vars: &[(&str, &str)]) -> HashMap<String, Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .current_dir(repo_root())
        .args(["replay", "--env-file", "events/switchyard.env"])
        .args(paths)
        .envs(vars.iter().copied())
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
            match v["record"].as_str() {
                Some(record) => (format!("{name}#{record}"), v),
                None => (name, v),
            }
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
        // An event is a hint: the sample world has no such CodeCommit branch (in the sweep's
        // world, which has it, the same event acts: branch_sweep_sample_in_its_world).
        (
            "codecommit-branch-created.json",
            "branch-pipelines",
            "skipped",
            None,
            "codecommit has no such branch",
        ),
        (
            "scheduled-sweep.json#sweep",
            "branch-pipelines",
            "skipped",
            None,
            "swept 1 of 2 repositories (0 live branches, 0 branch stacks",
        ),
        (
            "scheduled-sweep.json#github:acme/payments-service",
            "branch-pipelines",
            "skipped",
            None,
            "no github credential is configured",
        ),
        (
            "codecommit-branch-deleted.json",
            "branch-pipelines",
            "acted",
            None,
            "tear down no environment stacks; then pipeline stack",
        ),
        (
            "codecommit-ledger-branch-deleted.json",
            "branch-pipelines",
            "acted",
            None,
            "tear down no environment stacks; then pipeline stack",
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
        (
            "codecommit-other-account.json",
            "branch-pipelines",
            "rejected",
            None,
            "account: \"210987654321\" is not this stack's account 123456789012",
        ),
        // Every other git host (tests/make-webhook-samples.py).
        ("github-enterprise-push-branch-created.json", "branch-pipelines", "acted", Some(202), "branch \"feature/PAY-142-refunds\" in github-enterprise:ghe.acme.com/acme/payments-service: create pipeline stack sy-github-enterprise-ghe-acme-com-"),
        ("github-enterprise-push-branch-deleted.json", "branch-pipelines", "acted", Some(202), "tear down no environment stacks; then pipeline stack sy-github-enterprise-ghe-acme-com-"),
        ("github-enterprise-ping.json", "branch-pipelines", "skipped", Some(200), "ping: the webhook is reachable and its signature is valid"),
        ("github-enterprise-bad-signature.json", "branch-pipelines", "rejected", Some(401), "X-Hub-Signature-256 does not match the body"),
        ("gitlab-push-branch-created.json", "branch-pipelines", "acted", Some(202), "branch \"feature/PAY-142-refunds\" in gitlab:acme/payments/payments-service: create pipeline stack sy-gitlab-acme-payments-payments-service-"),
        ("gitlab-push-branch-deleted.json", "branch-pipelines", "acted", Some(202), "tear down no environment stacks; then pipeline stack sy-gitlab-acme-payments-payments-service-"),
        ("gitlab-self-managed-branch-created.json", "branch-pipelines", "acted", Some(202), "in gitlab-self-managed:gitlab.acme.com/acme/payments/payments-service: create pipeline stack"),
        ("gitlab-bad-token.json", "branch-pipelines", "rejected", Some(401), "X-Gitlab-Token is not the hook's secret token"),
        ("gitlab-test-push.json", "branch-pipelines", "skipped", Some(200), "\"main\" is the default branch"),
        ("gitlab-merge-request-event.json", "branch-pipelines", "skipped", Some(200), "ignored: GitLab event \"Merge Request Hook\" is not a ref event"),
        ("gitlab-push-invalid-ref.json", "branch-pipelines", "rejected", Some(400), "ref: ref contains a space"),
        ("bitbucket-push-branch-created.json#push.changes[0]", "branch-pipelines", "acted", Some(202), "in bitbucket:acme/payments-service: create pipeline stack sy-bitbucket-acme-payments-service-"),
        ("bitbucket-push-branch-deleted.json#push.changes[0]", "branch-pipelines", "acted", Some(202), "in bitbucket:acme/payments-service: tear down no environment stacks; then pipeline stack"),
        ("bitbucket-bad-signature.json", "branch-pipelines", "rejected", Some(401), "X-Hub-Signature does not match the body"),
        ("bitbucket-ping.json", "branch-pipelines", "skipped", Some(200), "diagnostics:ping: the webhook is reachable and its signature is valid"),
        ("bitbucket-pullrequest-event.json", "branch-pipelines", "skipped", Some(200), "ignored: Bitbucket event \"pullrequest:created\" is not a ref event"),
        // One line per change of a multi-change push.
        ("bitbucket-push-several-changes.json#push.changes[0]", "branch-pipelines", "acted", Some(202), "branch \"feature/PAY-150-chargebacks\" in bitbucket:acme/payments-service: create"),
        ("bitbucket-push-several-changes.json#push.changes[1]", "branch-pipelines", "acted", Some(202), "branch \"bugfix/ledger-rounding\" in bitbucket:acme/payments-service: tear down"),
        ("bitbucket-push-several-changes.json#push.changes[2]", "branch-pipelines", "skipped", Some(200), "\"main\" is the default branch"),
        ("bitbucket-push-several-changes.json#push.changes[3]", "branch-pipelines", "rejected", Some(400), "push.changes[3].new.name: ref contains \"..\""),
    ];
    check(&lines, expectations);
    assert_eq!(
        lines.len(),
        expectations.len(),
        "every branch sample is checked"
    );

    // The plan uses the AWS API's own member names.
    let build = &lines["codecommit-branch-deleted.json"]["actions"][0];
    assert_eq!(build["service"], "codebuild");
    assert_eq!(build["operation"], "StartBuild");
    assert_eq!(build["input"]["projectName"], "switchyard-branch-destroyer");
    // The destroyer is a NO_SOURCE project: no source version; the commit is COMMIT_ID.
    assert!(build["input"].get("sourceVersion").is_none(), "{build}");
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
        "FULL_REPOSITORY_ID",
        "COMMIT_ID",
        "PIPELINE_NAME",
        "STACK_NAME",
    ] {
        assert!(vars.contains(&var), "{var} missing from {vars:?}");
    }
}

#[test]
fn artifact_release_samples() {
    let lines = replay(&["events/artifact-release"]);
    const F: &str = "artifact-release";
    let expectations: &[Expectation] = &[
        (
            "s3-put-connector-plugin.json#Records[0]",
            F,
            "acted",
            None,
            "rule \"connector-plugins\" (rules[0]): s3://acme-artifacts/connectors/debezium-postgres/2.7.1/plugin.zip → pipeline deploy-kafka-connector, pinned to version id ",
        ),
        ("s3-put-several-records.json#Records[0]", F, "acted", None, "CodeBuild project deploy-payments"),
        ("s3-put-several-records.json#Records[1]", F, "acted", None, "pipeline deploy-kafka-connector"),
        ("s3-put-several-records.json#Records[2]", F, "skipped", None, "tmp/ci/build-4411.log matches no rule"),
        (
            "eventbridge-object-created.json#detail",
            F,
            "acted",
            None,
            "apps/ledger/ledger-3.1.0+build.12.jar → CodeBuild project deploy-ledger",
        ),
        ("s3-put-key-with-spaces.json#Records[0]", F, "acted", None, "sites/team docs/release 2026-11.zip → pipeline publish-static-site"),
        ("s3-put-key-with-plus.json#Records[0]", F, "acted", None, "apps/payments/payments-2.4.0+build.7.jar → CodeBuild project deploy-payments"),
        ("s3-put-unicode-key.json#Records[0]", F, "acted", None, "sites/équipe-données/version-été.zip"),
        ("s3-put-folder-marker.json#Records[0]", F, "skipped", None, "folder marker"),
        ("s3-put-zero-byte-object.json#Records[0]", F, "skipped", None, "zero-byte object"),
        ("s3-put-unmatched-key.json#Records[0]", F, "skipped", None, "matches no rule"),
        ("s3-put-dotdot-key.json#Records[0]", F, "rejected", None, "Records[0].s3.object.key: has a `..` path segment"),
        ("s3-put-unversioned-refused.json#Records[0]", F, "rejected", None, "unversioned: refuse"),
        ("s3-put-unversioned-key-pinned.json#Records[0]", F, "acted", None, "pinned to the key only"),
        ("s3-object-removed.json#Records[0]", F, "skipped", None, "ObjectRemoved:Delete is not an object creation"),
        ("s3-test-event.json#event", F, "skipped", None, "s3:TestEvent"),
        ("sns-wrapped-notification.json#Records[0].Sns.Message.Records[0]", F, "acted", None, "deploy-checkout"),
        ("sqs-wrapped-notifications.json#Records[0].body.Records[0]", F, "acted", None, "connectors/mongodb-source/1.13.0/plugin.zip"),
        ("sqs-wrapped-notifications.json#Records[1].body.Message.Records[0]", F, "rejected", None, "has a `..` path segment"),
        // Without a world no Flink application or Lambda function exists (with one: below).
        ("s3-put-flink-jar.json#Records[0]", F, "rejected", None, "the Managed Flink application clickstream-enricher does not exist"),
        ("s3-put-flink-jar-duplicate.json#Records[0]", F, "rejected", None, "does not exist"),
        ("s3-put-flink-jar-older.json#Records[0]", F, "rejected", None, "does not exist"),
        ("s3-put-lambda-zip.json#Records[0]", F, "rejected", None, "the Lambda function thumbnailer or its alias live does not exist"),
    ];
    check(&lines, expectations);
    assert_eq!(
        lines.len(),
        expectations.len(),
        "every artifact-release record is checked"
    );

    // Pinned to the version; the values travel as pipeline variables / environment variables.
    let start = &lines["s3-put-connector-plugin.json#Records[0]"]["actions"][0];
    assert_eq!(start["operation"], "StartPipelineExecution");
    assert_eq!(
        start["input"]["sourceRevisions"],
        serde_json::json!([{"actionName": "PluginArtifact", "revisionType": "S3_OBJECT_VERSION_ID", "revisionValue": "Zq3x01Lm7TgkB1o9RYp8vWcA4sEdF.uN"}])
    );
    let vars: HashMap<&str, &str> = start["input"]["variables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["name"].as_str().unwrap(), v["value"].as_str().unwrap()))
        .collect();
    assert_eq!(vars["name"], "debezium-postgres");
    assert_eq!(vars["version"], "2.7.1");
    assert_eq!(vars["KEY"], "connectors/debezium-postgres/2.7.1/plugin.zip");
    assert_eq!(vars["VERSION_ID"], "Zq3x01Lm7TgkB1o9RYp8vWcA4sEdF.uN");
    assert_eq!(vars["BUCKET"], "acme-artifacts");
    assert!(vars.contains_key("ETAG"));
    let build = &lines["s3-put-key-with-plus.json#Records[0]"]["actions"][0]["input"];
    assert_eq!(build["projectName"], "deploy-payments");
    let env: HashMap<&str, &str> = build["environmentVariablesOverride"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["name"].as_str().unwrap(), v["value"].as_str().unwrap()))
        .collect();
    assert_eq!(env["APP_VERSION"], "2.4.0+build.7", "%2B decodes to a plus");
    assert_eq!(env["KEY"], "apps/payments/payments-2.4.0+build.7.jar");
    let site = &lines["s3-put-key-with-spaces.json#Records[0]"]["actions"][0]["input"];
    assert_eq!(site["sourceRevisions"][0]["revisionType"], "S3_OBJECT_KEY");
    assert_eq!(
        site["sourceRevisions"][0]["revisionValue"], "sites/team docs/release 2026-11.zip",
        "+ decodes to a space"
    );
    assert_eq!(
        site["sourceRevisions"][1]["revisionType"],
        "S3_OBJECT_VERSION_ID"
    );
    let legacy = &lines["s3-put-unversioned-key-pinned.json#Records[0]"]["actions"][0]["input"];
    assert!(
        legacy.get("sourceVersion").is_none(),
        "nothing to pin but the key"
    );
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

/// The sweep's sample in its world (`events/worlds/branch-sweep.json`, GitHub rate-limited):
/// the orphan is destroyed, the branch without a pipeline deployed, the stack in progress left
/// alone, and nothing done for the repository that could not be listed. In that world the
/// CodeCommit branch exists, so the created event acts and the deleted one does not.
#[test]
fn branch_sweep_sample_in_its_world() {
    let lines = replay_with(
        &[
            "--world",
            "events/worlds/branch-sweep.json",
            "events/branch-pipelines/scheduled-sweep.json",
            "events/branch-pipelines/codecommit-branch-created.json",
            "events/branch-pipelines/codecommit-branch-deleted.json",
        ],
        &[("GITHUB_TOKEN", "sample-not-a-token")],
    );
    let sweep = |record: &str| format!("scheduled-sweep.json#{record}");
    let expectations: &[Expectation] = &[
        (
            "scheduled-sweep.json#sweep",
            "branch-pipelines",
            "skipped",
            None,
            "1 deploys and 1 destroys planned, 1 repositories not listed",
        ),
        (
            "scheduled-sweep.json#github:acme/payments-service",
            "branch-pipelines",
            "skipped",
            None,
            "rate limit exceeded",
        ),
        (
            "scheduled-sweep.json#codecommit:payments-service feature/PAY-99-old-export",
            "branch-pipelines",
            "acted",
            None,
            "no longer has this branch",
        ),
        (
            "scheduled-sweep.json#codecommit:payments-service bugfix/ledger-rounding",
            "branch-pipelines",
            "skipped",
            None,
            "UPDATE_IN_PROGRESS; left alone",
        ),
        (
            "scheduled-sweep.json#codecommit:payments-service feature/PAY-150-statements",
            "branch-pipelines",
            "acted",
            None,
            "live branch without a pipeline stack",
        ),
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
            "skipped",
            None,
            "codecommit still has it",
        ),
    ];
    check(&lines, expectations);
    let destroy = &lines[&sweep("codecommit:payments-service feature/PAY-99-old-export")];
    assert_eq!(
        destroy["actions"][0]["input"]["projectName"],
        "switchyard-branch-destroyer"
    );
    // The in-step branch, the default branch and the excluded one get no line.
    assert_eq!(
        lines
            .keys()
            .filter(|k| k.starts_with("scheduled-sweep.json"))
            .count(),
        5,
        "{:?}",
        lines.keys()
    );
}

/// `--execute`: the same plan, run through the real SDK client against moto, with CodeCommit's
/// branch calls (which moto lacks) answered by the local git host server.
#[tokio::test]
async fn execute_runs_the_plan_against_aws() {
    let sdk = moto().sdk().await;
    create_codebuild_project(&sdk, "switchyard-branch-deployer").await;
    let codecommit = GitHostServer::start();
    codecommit.codecommit_repository(
        "payments-service",
        vec![branch("feature/PAY-142-refunds", 1)],
    );
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
            .env("AWS_ENDPOINT_URL_CODECOMMIT", &codecommit.url)
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
    assert!(sent[0].get("sourceVersion").is_none(), "{:?}", sent[0]);

    // While CodeCommit still has the branch, its deletion event starts nothing.
    let out = run("events/branch-pipelines/codecommit-branch-deleted.json");
    let line: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["outcome"], "skipped", "{line}");
    assert_eq!(
        codecommit.requests(),
        ["CodeCommit.GetBranch", "CodeCommit.GetBranch"]
    );

    // Once it is gone: the destroyer project does not exist in moto, the line says so, and the
    // exit code is 1.
    codecommit.codecommit_repository("payments-service", vec![]);
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

/// The Flink and Lambda samples in the sample world (`events/worlds/clear.json`, part
/// `artifact-release`): the application runs the jar of 22 November, the alias the zip of 20
/// November. A newer jar is deployed (pinned, guarded by the token, restored from the latest
/// snapshot, rolled back on failure); the running one again and an older one are not; the new
/// zip is published and the alias moved.
#[test]
fn artifact_release_targets_in_the_sample_world() {
    let lines = replay(&[
        "--world",
        "events/worlds/clear.json",
        "events/artifact-release/s3-put-flink-jar.json",
        "events/artifact-release/s3-put-flink-jar-duplicate.json",
        "events/artifact-release/s3-put-flink-jar-older.json",
        "events/artifact-release/s3-put-lambda-zip.json",
    ]);
    const F: &str = "artifact-release";
    check(
        &lines,
        &[
            ("s3-put-flink-jar.json#Records[0]", F, "acted", None, "→ Managed Flink application clickstream-enricher, pinned to version id c9Vd2Lw7Rk0PqS3mXn8BtYe4UaH1oJfG (newer than deployed version Hk2Tz8Qa5Wm1Ns4Xc7Vb0Ry3Ue6Io9Lp)"),
            ("s3-put-flink-jar-duplicate.json#Records[0]", F, "skipped", None, "already running version Hk2Tz8Qa5Wm1Ns4Xc7Vb0Ry3Ue6Io9Lp"),
            ("s3-put-flink-jar-older.json#Records[0]", F, "skipped", None, "version Pq7Lm3Ks9Jd1Hf5Gb8Nv2Cx6Za4Ws0Ee is older than deployed version Hk2Tz8Qa5Wm1Ns4Xc7Vb0Ry3Ue6Io9Lp (uploaded 2026-11-21T09:05:31Z, the deployed one 2026-11-22T16:40:55Z): never rolled back"),
            ("s3-put-lambda-zip.json#Records[0]", F, "acted", None, "→ Lambda function thumbnailer (alias live), pinned to version id Uo4Yi8Tr2Ew6Qa0Sd3Fg7Hj1Kl5Zx9Cv (newer than deployed version Rt5Bn1Mv8Cx2Zl6Kj0Hg4Fd7Sa3Qw9Ey)"),
        ],
    );
    assert_eq!(lines.len(), 4);
    let flink = &lines["s3-put-flink-jar.json#Records[0]"]["actions"][0];
    assert_eq!(flink["service"], "kinesisanalyticsv2");
    assert_eq!(flink["operation"], "UpdateApplication");
    let input = &flink["input"];
    assert_eq!(input["ApplicationName"], "clickstream-enricher");
    assert_eq!(input["ConditionalToken"], "Cv7rvCh+Tj2kVgPNoyNXzQ==");
    assert_eq!(
        input["ApplicationConfigurationUpdate"]["ApplicationCodeConfigurationUpdate"]
            ["CodeContentUpdate"]["S3ContentLocationUpdate"],
        json!({
            "BucketARNUpdate": "arn:aws:s3:::acme-artifacts",
            "FileKeyUpdate": "flink/clickstream-enricher/clickstream-enricher.jar",
            "ObjectVersionUpdate": "c9Vd2Lw7Rk0PqS3mXn8BtYe4UaH1oJfG"
        })
    );
    assert_eq!(
        input["RunConfigurationUpdate"]["ApplicationRestoreConfiguration"]
            ["ApplicationRestoreType"],
        "RESTORE_FROM_LATEST_SNAPSHOT"
    );
    assert_eq!(input["Then"]["RollbackApplicationOnFailure"], true);
    let lambda = &lines["s3-put-lambda-zip.json#Records[0]"]["actions"][0];
    assert_eq!(lambda["service"], "lambda");
    assert_eq!(lambda["operation"], "UpdateFunctionCode");
    assert_eq!(
        lambda["input"]["S3ObjectVersion"],
        "Uo4Yi8Tr2Ew6Qa0Sd3Fg7Hj1Kl5Zx9Cv"
    );
    assert_eq!(lambda["input"]["Then"]["UpdateAlias"], "live");
    assert_eq!(
        lambda["input"]["Then"]["PublishVersion"]["Description"],
        "switchyard artifact-release: s3://acme-artifacts/lambda/thumbnailer/thumbnailer.zip version Uo4Yi8Tr2Ew6Qa0Sd3Fg7Hj1Kl5Zx9Cv"
    );
}

/// kafka-sync claims its configured bundle key (KAFKA_BUNDLES) from artifact-release, in both
/// S3 event forms, and says what the Lambda would apply; a pipeline job's parameters and input
/// artifact are checked as the Lambda checks them. Replay itself reads neither the bundle, the
/// artifact nor the cluster.
#[test]
fn kafka_sync_samples() {
    let lines = replay(&["events/kafka-sync"]);
    let reason = "would apply s3://sy-connect-bundles/connect/staging/desired-state.zip?versionId=3HL4kqtJlcpXroDTDmjVBH40Nrjfkd to cluster \"main\" with environment \"staging\"";
    let expectations: &[Expectation] = &[
        (
            "s3-bundle-upload.json",
            "kafka-sync",
            "skipped",
            None,
            reason,
        ),
        (
            "eventbridge-bundle-upload.json",
            "kafka-sync",
            "skipped",
            None,
            reason,
        ),
        (
            "pipeline-job.json",
            "kafka-sync",
            "skipped",
            None,
            "job 6f1c8e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b would apply input artifact \"SourceOutput\" at s3://sy-pipeline-artifacts-123456789012/orders-connect/SourceOutp/Ab3dEf9 (folder \"connect\") to cluster \"main\" with environment \"prod\", prune on; see the plan with `switchyard kafka plan --dir <unzipped artifact>/connect --env prod --url <cluster>`",
        ),
        (
            "pipeline-job-unknown-cluster.json",
            "kafka-sync",
            "rejected",
            None,
            "UserParameters.cluster: \"staging\" is not a cluster in KAFKA_CLUSTERS (known: main)",
        ),
        // Issue 22: without a world the store holds no applied state for cluster main.
        (
            "scheduled-drift-check.json#cluster main",
            "kafka-sync",
            "skipped",
            None,
            "cluster \"main\": nothing recorded yet",
        ),
    ];
    check(&lines, expectations);
    assert_eq!(
        lines.len(),
        expectations.len(),
        "every kafka-sync sample is checked"
    );
    // The job's artifact credentials never reach a replay line.
    for line in lines.values() {
        let text = line.to_string();
        assert!(
            !text.contains("ASIAEXAMPLE") && !text.contains("sample/secret"),
            "{text}"
        );
    }
}

#[test]
fn tag_release_samples() {
    let lines = replay(&["events/tag-release"]);
    let expectations: &[Expectation] = &[
        ("codecommit-valid-regional.json", "tag-release", "acted", None, "release dev_eu-west-1/payments/2.4.0 (commit 9b2e4f61c0d7) of payments-service: pipeline release-dev → account 111111111111 in eu-west-1"),
        ("codecommit-valid-global.json", "tag-release", "acted", None, "codebuild release-qa → account 222222222222 in us-east-1"),
        ("codecommit-v-prefixed.json", "tag-release", "acted", None, "release dev_us-east-1/ledger/v1.7.0"),
        ("codecommit-unknown-env.json", "tag-release", "rejected", None, "unknown environment \"prd\"; expected one of dev, qa, prod"),
        ("codecommit-unknown-team.json", "tag-release", "rejected", None, "unknown team \"paymnts\"; expected one of payments, ledger"),
        ("codecommit-bad-region.json", "tag-release", "rejected", None, "unknown region \"eu-west-9\""),
        ("codecommit-missing-version.json", "tag-release", "rejected", None, "missing version"),
        ("codecommit-extra-segment.json", "tag-release", "rejected", None, "extra path segment"),
        ("codecommit-devops-lookalike.json", "tag-release", "rejected", None, "unknown environment \"devops\""),
        ("codecommit-region-not-allowed.json", "tag-release", "rejected", None, "region \"ap-south-1\" is not allowed for environment \"prod\""),
        ("codecommit-tag-deleted.json", "tag-release", "skipped", None, "was deleted"),
        ("codecommit-moved-tag-rejected.json", "tag-release", "rejected", None, "TAG_MOVED_TAG_PROD is reject"),
        ("codecommit-moved-tag-redeployed.json", "tag-release", "acted", None, "moved tag, re-release dev_eu-west-1/payments/2.4.0"),
        // No --world: no commit is known to be on the default branch, so prod declines.
        ("codecommit-prod-default-branch.json", "tag-release", "rejected", None, "only releases commits on the default branch \"main\" (TAG_DEFAULT_BRANCH_ONLY), and commit 9b2e4f61c0d7a8e5b3f2c1d0e9f8a7b6c5d4e3f2 is not on it"),
        ("github-push-tag.json", "tag-release", "acted", Some(202), "release prod_eu-west-1/payments/2.4.0 (commit c3d9e2a17b5f) of acme/payments-service: pipeline release-prod"),
        ("github-push-tag-not-on-default-branch.json", "tag-release", "rejected", Some(400), "is not on it"),
        ("github-push-tag-invalid.json", "tag-release", "rejected", Some(400), "unknown environment \"prd\""),
        ("github-create-tag.json", "tag-release", "skipped", Some(200), "the \"push\" event for the same tag starts the release"),
        ("github-delete-tag.json", "tag-release", "skipped", Some(200), "was deleted"),
        ("codecommit-ordinary-version-tag.json", "tag-release", "skipped", None, "not a release tag: \"v1.2.3\" is outside the release namespace"),
        ("github-push-ordinary-tag.json", "tag-release", "skipped", Some(200), "not a release tag: \"simple-tag\" is outside the release namespace"),
        ("codecommit-team-from-another-repository.json", "tag-release", "rejected", None, "names team \"ledger\", which repository \"payments-service\" may not release"),
        ("github-enterprise-push-tag.json", "tag-release", "acted", Some(202), "release prod_eu-west-1/payments/2.4.0 (commit c3d9e2a17b5f) of github-enterprise:ghe.acme.com/acme/payments-service: pipeline release-prod"),
        ("gitlab-tag-push.json", "tag-release", "acted", Some(202), "release dev_eu-west-1/payments/2.4.0 (commit c3d9e2a17b5f) of gitlab:acme/payments/payments-service: pipeline release-dev"),
        ("gitlab-tag-push-prod-unconfirmed.json", "tag-release", "rejected", Some(400), "it cannot be confirmed for commit c3d9e2a17b5f4e608d1c2b3a4f5e6d7c8b9a0f1e: a gitlab tag push does not say which branches hold the commit"),
        ("gitlab-tag-deleted.json", "tag-release", "skipped", Some(200), "was deleted"),
        ("bitbucket-push-tag.json#push.changes[0]", "tag-release", "acted", Some(202), "release dev_eu-west-1/payments/2.4.0 (commit c3d9e2a17b5f) of bitbucket:acme/payments-service: pipeline release-dev"),
    ];
    check(&lines, expectations);
    assert_eq!(
        lines.len(),
        expectations.len(),
        "every tag-release sample is checked"
    );

    // The plan is the request: pipeline name, the ten variables, the pinned commit, the token.
    let start = &lines["codecommit-valid-regional.json"]["actions"][0];
    assert_eq!(start["service"], "codepipeline");
    assert_eq!(start["operation"], "StartPipelineExecution");
    let input = &start["input"];
    assert_eq!(input["name"], "release-dev");
    let variables: HashMap<&str, &str> = input["variables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["name"].as_str().unwrap(), v["value"].as_str().unwrap()))
        .collect();
    let expected = [
        ("ENV", "dev"),
        ("REGION", "eu-west-1"),
        ("SCOPE", "eu-west-1"),
        ("TEAM", "payments"),
        ("VERSION", "2.4.0"),
        ("TAG", "dev_eu-west-1/payments/2.4.0"),
        ("TF_STATE_BUCKET", "acme-tfstate-dev"),
        ("TF_STATE_KEY", "payments/dev-eu-west-1/terraform.tfstate"),
        ("TF_LOCK_TABLE", "acme-tfstate-lock-dev"),
        ("TARGET_ACCOUNT", "111111111111"),
    ];
    assert_eq!(variables, HashMap::from(expected));
    assert_eq!(
        input["sourceRevisions"],
        serde_json::json!([{"actionName": "Source", "revisionType": "COMMIT_ID", "revisionValue": "9b2e4f61c0d7a8e5b3f2c1d0e9f8a7b6c5d4e3f2"}])
    );
    assert_eq!(input["clientRequestToken"].as_str().unwrap().len(), 64);
    let v_prefixed = &lines["codecommit-v-prefixed.json"]["actions"][0]["input"]["variables"];
    assert!(v_prefixed
        .as_array()
        .unwrap()
        .contains(&serde_json::json!({"name": "VERSION", "value": "1.7.0"})));

    let build = &lines["codecommit-valid-global.json"]["actions"][0];
    assert_eq!(build["operation"], "StartBuild");
    assert_eq!(build["input"]["projectName"], "release-qa");
    assert_eq!(
        build["input"]["sourceVersion"],
        "9b2e4f61c0d7a8e5b3f2c1d0e9f8a7b6c5d4e3f2"
    );
}

#[test]
fn tag_release_reads_default_branch_commits_from_the_world() {
    let dir = std::env::temp_dir().join(format!("switchyard-tag-world-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let world = dir.join("world.json");
    std::fs::write(
        &world,
        r#"{"tag-release": {"default_branch_commits": {"payments-service": ["9b2e4f61c0d7a8e5b3f2c1d0e9f8a7b6c5d4e3f2"]}}}"#,
    )
    .unwrap();
    let run = |world: &std::path::Path| -> Value {
        let out = Command::new(env!("CARGO_BIN_EXE_switchyard"))
            .current_dir(repo_root())
            .args(["replay", "--env-file", "events/switchyard.env", "--world"])
            .arg(world)
            .arg("events/tag-release/codecommit-prod-default-branch.json")
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let line = run(&world);
    assert_eq!(line["outcome"], "acted", "{line}");
    assert_eq!(line["actions"][0]["input"]["name"], "release-prod");

    std::fs::write(&world, r#"{"tag-release": {"default_branch_commit": {}}}"#).unwrap();
    let line = run(&world);
    assert_eq!(line["outcome"], "rejected");
    assert!(
        line["reason"]
            .as_str()
            .unwrap()
            .contains("unknown field `default_branch_commit`"),
        "{line}"
    );
}

/// health-gate's samples in each world (`events/worlds/`): the single job result each gives, and
/// the world's `now` as the clock, so the continuation token's wait is judged the same every day.
#[test]
fn health_gate_samples() {
    const F: &str = "health-gate";
    let in_world = |world: &str| {
        let world = format!("events/worlds/{world}.json");
        replay(&["--world", &world, "events/health-gate"])
    };
    let invalid: Expectation = (
        "job-invalid-parameters.json",
        F,
        "acted",
        None,
        "job failed (ConfigurationError): UserParameters.regions[1]: \"Ireland\" is not an AWS region name",
    );

    let lines = in_world("clear");
    let expectations: &[Expectation] = &[
        ("job-valid-parameters.json", F, "acted", None, "job succeeded: AWS Health is clear for EC2, RDS in eu-west-1, global at 2026-11-20T10:10:00Z"),
        ("job-wait-first-check.json", F, "acted", None, "job succeeded"),
        ("job-continuation.json", F, "acted", None, "after waiting since 2026-11-20T10:00:00Z"),
        ("job-unsupported-plan-pass.json", F, "acted", None, "job succeeded: AWS Health is clear"),
        invalid,
    ];
    check(&lines, expectations);
    assert_eq!(lines.len(), expectations.len(), "every health-gate sample");
    let success = &lines["job-valid-parameters.json"]["actions"][0];
    assert_eq!(success["operation"], "PutJobSuccessResult");
    assert_eq!(
        success["input"]["jobId"],
        "0f4f1c2e-8a5b-4c3d-9e7f-112233445566"
    );
    assert_eq!(
        success["input"]["outputVariables"],
        json!({"HealthStatus": "clear", "CheckedAt": "2026-11-20T10:10:00Z", "Regions": "eu-west-1,global"})
    );
    let failure = &lines["job-invalid-parameters.json"]["actions"][0];
    assert_eq!(failure["operation"], "PutJobFailureResult");
    assert_eq!(
        failure["input"]["failureDetails"]["type"],
        "ConfigurationError"
    );

    let lines = in_world("open-issue");
    let expectations: &[Expectation] = &[
        ("job-valid-parameters.json", F, "acted", None, "job failed (JobFailed): 2 open AWS Health events for EC2, RDS in eu-west-1, global"),
        ("job-wait-first-check.json", F, "acted", None, "job in progress: 2 open AWS Health events for EC2, RDS in eu-west-1, global; re-checking until 2026-11-20T10:40:00Z"),
        ("job-continuation.json", F, "acted", None, "job in progress: 2 open AWS Health events for EC2, RDS in eu-west-1, global; re-checking until 2026-11-20T10:30:00Z"),
        ("job-unsupported-plan-pass.json", F, "acted", None, "job failed (JobFailed): 1 open AWS Health event"),
        invalid,
    ];
    check(&lines, expectations);
    // The failure lists each event (service, region, type, start, ARN, link); the closed event and
    // the one in another region are not listed.
    let message = lines["job-valid-parameters.json"]["actions"][0]["input"]["failureDetails"]
        ["message"]
        .as_str()
        .unwrap();
    assert!(message.contains("EC2 in eu-west-1: AWS_EC2_OPERATIONAL_ISSUE since 2026-11-20T08:55:00Z (arn:aws:health:eu-west-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/AWS_EC2_OPERATIONAL_ISSUE_BEC1A_9D4E2) https://health.aws.amazon.com/"), "{message}");
    assert!(message.contains("RDS in global:"), "{message}");
    assert!(
        !message.contains("BEC1A_1F3C9") && !message.contains("ap-southeast-2"),
        "{message}"
    );
    // Waiting: the token carries the wait; the re-invocation keeps its token.
    let first = &lines["job-wait-first-check.json"]["actions"][0]["input"];
    assert!(first["continuationToken"]
        .as_str()
        .unwrap()
        .starts_with("hg1."));
    let again = &lines["job-continuation.json"]["actions"][0]["input"];
    assert_eq!(
        again["continuationToken"],
        "hg1.1795168800.1795170600.8a5049819a61ab3dc17a2f6f75de6faf"
    );

    let lines = in_world("unsupported-plan");
    let expectations: &[Expectation] = &[
        ("job-valid-parameters.json", F, "acted", None, "job failed (ConfigurationError): the AWS Health API needs a Business, Enterprise On-Ramp or Enterprise support plan (SubscriptionRequiredException); failing because on_unsupported_plan is fail"),
        ("job-unsupported-plan-pass.json", F, "acted", None, "job succeeded: AWS Health EC2 in eu-west-1, global (not checked"),
        invalid,
    ];
    check(&lines, expectations);
    assert_eq!(
        lines["job-unsupported-plan-pass.json"]["actions"][0]["input"]["outputVariables"]
            ["HealthStatus"],
        "unchecked"
    );
}

/// stage-retry's samples: with Health clear the failure (direct and via SNS) and the sweep plan one
/// retry of the failed actions; with an open issue or no support plan they answer "not yet";
/// without a world the pipeline does not exist.
#[test]
fn stage_retry_samples() {
    const F: &str = "stage-retry";
    let retry = "retry 1 of 3: AWS Health is clear for EC2, RDS in eu-west-1, global; retrying the failed actions of payments-release/Deploy in execution 3c1f9e1a-0b6d-4f7e-9d21-6a1b2c3d4e5f";
    let always: [Expectation; 2] = [
        ("stage-succeeded.json", F, "skipped", None, "stage Deploy of pipeline payments-release is SUCCEEDED: only FAILED stages are retried"),
        ("stage-failed-unknown-pipeline.json", F, "skipped", None, "stage Deploy of pipeline marketing-site is not in STAGE_RETRY_PIPELINES"),
    ];

    let lines = replay(&["--world", "events/worlds/clear.json", "events/stage-retry"]);
    let mut expectations: Vec<Expectation> = vec![
        ("stage-failed.json", F, "acted", None, retry),
        ("stage-failed-via-sns.json", F, "acted", None, retry),
        ("scheduled-sweep.json", F, "acted", None, retry),
    ];
    expectations.extend(always);
    check(&lines, &expectations);
    assert_eq!(lines.len(), expectations.len(), "every stage-retry sample");
    for file in [
        "stage-failed.json",
        "stage-failed-via-sns.json",
        "scheduled-sweep.json",
    ] {
        let actions = lines[file]["actions"].as_array().unwrap();
        assert_eq!(actions.len(), 1, "{file}: one retry");
        assert_eq!(actions[0]["operation"], "RetryStageExecution");
        assert_eq!(
            actions[0]["input"],
            json!({"pipelineName": "payments-release", "stageName": "Deploy",
                "pipelineExecutionId": "3c1f9e1a-0b6d-4f7e-9d21-6a1b2c3d4e5f", "retryMode": "FAILED_ACTIONS"})
        );
    }

    for (world, why) in [
        ("open-issue", "not yet: 2 open AWS Health event(s) for EC2, RDS in eu-west-1, global"),
        ("unsupported-plan", "not yet: the AWS Health API needs a Business, Enterprise On-Ramp or Enterprise support plan"),
    ] {
        let world = format!("events/worlds/{world}.json");
        let lines = replay(&["--world", &world, "events/stage-retry"]);
        let mut expectations: Vec<Expectation> = vec![
            ("stage-failed.json", F, "skipped", None, why),
            ("stage-failed-via-sns.json", F, "skipped", None, why),
            ("scheduled-sweep.json", F, "skipped", None, why),
        ];
        expectations.extend(always);
        check(&lines, &expectations);
    }

    let lines = replay(&["events/stage-retry"]);
    let mut expectations: Vec<Expectation> = vec![
        (
            "stage-failed.json",
            F,
            "skipped",
            None,
            "pipeline payments-release does not exist",
        ),
        (
            "stage-failed-via-sns.json",
            F,
            "skipped",
            None,
            "pipeline payments-release does not exist",
        ),
        (
            "scheduled-sweep.json",
            F,
            "skipped",
            None,
            "sweep: no configured stage is failed",
        ),
    ];
    expectations.extend(always);
    check(&lines, &expectations);
}

#[test]
fn worlds_next_to_the_samples_are_not_replayed_as_events() {
    let lines = replay(&["events/"]);
    assert!(
        lines
            .values()
            .all(|l| !l["source"].as_str().unwrap().contains("/worlds/")),
        "a world file was replayed as an event"
    );
    // The world's `now` must be a timestamp; the error names it.
    let dir = std::env::temp_dir().join(format!("switchyard-now-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let world = dir.join("world.json");
    std::fs::write(&world, r#"{"now": "yesterday"}"#).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .current_dir(repo_root())
        .args(["replay", "--env-file", "events/switchyard.env", "--world"])
        .arg(&world)
        .arg("events/health-gate/job-valid-parameters.json")
        .output()
        .unwrap();
    let line: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["outcome"], "rejected", "{line}");
    assert!(
        line["reason"]
            .as_str()
            .unwrap()
            .contains("world: now: \"yesterday\" is not an RFC 3339 timestamp"),
        "{line}"
    );
}

/// A deleted branch's teardown plan, from a world that lists stacks and their tags
/// (`events/worlds/branch-environments.json`): only the stacks tagged with the branch's id, the
/// importer before the queue it imports from; another branch's stack and an untagged stack whose
/// name starts with the branch's prefix are not in the plan.
#[test]
fn a_deletion_shows_its_teardown_plan_from_the_world() {
    let lines = replay(&[
        "--world",
        "events/worlds/branch-environments.json",
        "events/branch-pipelines/codecommit-branch-deleted.json",
        "events/branch-pipelines/codecommit-ledger-branch-deleted.json",
    ]);
    let teardown = |file: &str| -> String {
        let line = &lines[file];
        assert_eq!(line["outcome"], "acted", "{line}");
        let env = &line["actions"][0]["input"]["environmentVariablesOverride"];
        env.as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == "TEARDOWN_STACKS")
            .unwrap()["value"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let refunds = "2567318983eb15669acb";
    assert_eq!(
        teardown("codecommit-branch-deleted.json"),
        format!("sy-{refunds}-api sy-{refunds}-queue")
    );
    assert!(lines["codecommit-branch-deleted.json"]["reason"]
        .as_str()
        .unwrap()
        .contains(&format!("in this order: sy-{refunds}-api, sy-{refunds}-queue; then pipeline stack sy-payments-service-feature-PAY-142-refunds-{refunds}")));
    assert_eq!(
        teardown("codecommit-ledger-branch-deleted.json"),
        "sy-3264f6ec5a34fdfabdb0-api"
    );
}

/// Issue 22: the drift sample in its world (`events/worlds/kafka-drift.json`): cluster main's
/// recorded bundle is planned against the cluster, and the report names the hand-edited
/// connector and exactly its two differing keys, the secret values redacted; in report mode
/// nothing is written (a dry run records writes as actions: none).
#[test]
fn kafka_drift_sample_in_its_world() {
    let lines = replay(&[
        "--world",
        "events/worlds/kafka-drift.json",
        "events/kafka-sync/scheduled-drift-check.json",
    ]);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let expectations: &[Expectation] = &[(
        "scheduled-drift-check.json#cluster main",
        "kafka-sync",
        "skipped",
        None,
        "cluster \"main\": drift (against bundle s3://sy-connect-bundles/connect/staging/desired-state.zip?versionId=3HL4kqtJlcpXroDTDmjVBH40Nrjfkd (environment \"staging\", written 2026-11-22T18:00:00Z)): connector sy-orders-sink differs in connection.password, tasks.max",
    )];
    check(&lines, expectations);
    let line = &lines["scheduled-drift-check.json#cluster main"];
    assert_eq!(line["actions"], json!([]));
    let text = line.to_string();
    assert!(
        !text.contains("sample-desired-pw") && !text.contains("sample-hand-edited-pw"),
        "{text}"
    );
    assert!(!text.contains("sy-audit-sink"), "unchanged: {text}");
}
