//! `branch-pipelines` end to end against a real moto server: the handler's real SDK client starts
//! builds in moto, and moto's recorder shows exactly what was sent.

use std::collections::HashMap;

use serde_json::{json, Value};
use switchyard_adapters::aws::cloudformation::AwsStacks;
use switchyard_adapters::AwsExecutor;
use switchyard_core::branch_pipelines::{decide_event, BranchConfig, HostConfirmation};
use switchyard_core::entry::{self, HandlerError};
use switchyard_core::git_hosts::BranchLookup;
use switchyard_core::metrics::Tally;
use switchyard_core::plan::{FunctionName, RecordDecision};
use switchyard_core::secret::Secret;
use switchyard_core::sources::{EventTrust, RefChange, RefEvent, RefSource};
use switchyard_core::webhook::{self, gitlab::GitLabSecret};
use switchyard_integration_tests::trust;
use switchyard_test_support::env::{name_value_map, string_map};
use switchyard_test_support::{create_codebuild_project, moto, repo_root};
use time::OffsetDateTime;

const SAMPLE_SECRET: &str = "switchyard-sample-webhook-secret";

/// A deployer and destroyer project unique to one test, so parallel tests can tell their requests
/// apart in the shared recording.
struct Projects {
    deployer: String,
    destroyer: String,
}

async fn projects(test: &str) -> Projects {
    let sdk = moto().sdk().await;
    let p = Projects {
        deployer: format!("{test}-deployer"),
        destroyer: format!("{test}-destroyer"),
    };
    for name in [&p.deployer, &p.destroyer] {
        create_codebuild_project(&sdk, name).await;
    }
    p
}

fn config(p: &Projects) -> BranchConfig {
    let vars = string_map(&[
        ("BRANCH_DEPLOYER_PROJECT", p.deployer.as_str()),
        ("BRANCH_DESTROYER_PROJECT", p.destroyer.as_str()),
        // The samples' allow-list: CodeCommit, GitHub and the host-qualified names of the others.
        (
            "BRANCH_REPOSITORIES",
            switchyard_integration_tests::vars()["BRANCH_REPOSITORIES"].as_str(),
        ),
        ("BRANCH_INCLUDE", "feature/**,bugfix/**,release/**"),
        ("BRANCH_EXCLUDE", "dependabot/**"),
    ]);
    BranchConfig::from_vars(&vars).unwrap()
}

fn sample(name: &str) -> Value {
    let path = repo_root().join("events/branch-pipelines").join(name);
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

/// What the git host says about a ref event's branch, as the Lambda asks it: CodeCommit agrees
/// with the sample (a created branch exists, a deleted one is gone); the other hosts are not
/// asked (these tests configure no host token). Hosts that disagree, and the real host clients,
/// are tests/branch_sweep.rs's and tests/git_host_apis.rs's.
fn host_agrees(event: &RefEvent) -> HostConfirmation {
    if event.source != RefSource::CodeCommit {
        return HostConfirmation::Unavailable;
    }
    match &event.change {
        RefChange::Created { commit } => HostConfirmation::Said(BranchLookup::Exists {
            head: commit
                .clone()
                .unwrap_or_else(|| "0123456789abcdef0123456789abcdef01234567".into()),
            last_commit: None,
        }),
        RefChange::Deleted { .. } => HostConfirmation::Said(BranchLookup::Missing),
        RefChange::Updated { .. } => HostConfirmation::Unavailable,
    }
}

/// Runs one event through the same code the Lambda runs (with the host agreeing), against moto,
/// with the samples' secrets and home.
async fn handle(event: &Value, p: &Projects) -> Result<Value, HandlerError> {
    handle_trusting(event, p, &trust()).await
}

async fn handle_trusting(
    event: &Value,
    p: &Projects,
    trust: &EventTrust,
) -> Result<Value, HandlerError> {
    let sdk = moto().sdk().await;
    let executor = AwsExecutor::new(sdk.clone());
    let stacks = AwsStacks::new(aws_sdk_cloudformation::Client::new(&sdk));
    let decisions = decide_event(
        event,
        &config(p),
        trust,
        host_agrees,
        &stacks,
        OffsetDateTime::now_utc(),
    )
    .await
    .map_err(|e| HandlerError::Act(e.into()))?;
    let records = decisions.into_iter().map(RecordDecision::from).collect();
    entry::run_event(
        FunctionName::BranchPipelines,
        event,
        records,
        |_| Tally::default(),
        &executor,
    )
    .await
}

/// The StartBuild requests moto received for this test's projects.
fn builds(p: &Projects) -> Vec<Value> {
    moto()
        .recorded("StartBuild")
        .into_iter()
        .filter(|b| b["projectName"] == json!(p.deployer) || b["projectName"] == json!(p.destroyer))
        .collect()
}

/// A build's environment overrides, every one of them plain text (never a secret's value).
fn env(build: &Value) -> HashMap<String, String> {
    let overrides = &build["environmentVariablesOverride"];
    assert!(
        overrides
            .as_array()
            .is_some_and(|list| list.iter().all(|v| v["type"] == "PLAINTEXT")),
        "{overrides}"
    );
    name_value_map(overrides)
}

#[tokio::test]
async fn codecommit_created_and_deleted_start_the_right_builds() {
    let p = projects("cc-lifecycle").await;
    let created = sample("codecommit-branch-created.json");
    let deleted = sample("codecommit-branch-deleted.json");
    let out = handle(&created, &p).await.unwrap();
    assert_eq!(out["outcome"], "acted");
    assert!(out["results"][0]["result"]["buildId"]
        .as_str()
        .unwrap()
        .starts_with("cc-lifecycle-deployer:"));
    handle(&deleted, &p).await.unwrap();

    let sent = builds(&p);
    assert_eq!(sent.len(), 2, "{sent:?}");
    let (deploy, destroy) = (&sent[0], &sent[1]);
    assert_eq!(deploy["projectName"], json!(p.deployer));
    // Regression: the deployer and destroyer are NO_SOURCE projects (as template.yaml creates
    // them, and as create_codebuild_project does here); no source version is sent to them.
    assert!(deploy.get("sourceVersion").is_none(), "{deploy}");
    assert_eq!(destroy["projectName"], json!(p.destroyer));
    assert!(destroy.get("sourceVersion").is_none(), "{destroy}");

    let (de, te) = (env(deploy), env(destroy));
    assert_eq!(de["BRANCH_NAME"], "feature/PAY-142-refunds");
    assert_eq!(de["REPOSITORY"], "payments-service");
    assert_eq!(
        de["COMMIT_ID"],
        created["detail"]["commitId"].as_str().unwrap()
    );
    assert_eq!(de["SOURCE_PROVIDER"], "codecommit");
    assert!(de["STACK_NAME"].starts_with("sy-payments-service-feature-PAY-142-refunds-"));
    for derived in [
        "PIPELINE_NAME",
        "STACK_NAME",
        "BUILD_PROJECT_NAME",
        "ARTIFACT_PREFIX",
    ] {
        assert_eq!(
            de[derived], te[derived],
            "{derived} must match between create and delete"
        );
    }
    assert_eq!(
        deploy["idempotencyToken"].as_str().unwrap(),
        switchyard_core::idempotency::token(
            FunctionName::BranchPipelines,
            created["id"].as_str().unwrap(),
            0
        )
    );
    assert_ne!(deploy["idempotencyToken"], destroy["idempotencyToken"]);
}

#[tokio::test]
async fn github_webhooks_start_builds_and_answer_http() {
    let p = projects("gh-lifecycle").await;
    let cases = [
        ("github-push-branch-created.json", 202, Some(true)),
        ("github-push-branch-deleted.json", 202, Some(false)), // base64 body
        ("github-create-branch.json", 202, Some(true)),
        ("github-delete-branch.json", 202, Some(false)),
        ("github-ping.json", 200, None),
        ("github-issues-event.json", 200, None),
        ("github-push-default-branch.json", 200, None),
        ("github-push-excluded-branch.json", 200, None),
        ("github-bad-signature.json", 401, None),
        ("github-push-invalid-ref.json", 400, None),
    ];
    let mut expected_builds = Vec::new();
    for (file, status, deploys) in cases {
        let before = builds(&p).len();
        let out = handle(&sample(file), &p).await.unwrap();
        assert_eq!(out["statusCode"], status, "{file}: {out}");
        let sent = builds(&p);
        match deploys {
            None => assert_eq!(sent.len(), before, "{file} must not start a build"),
            Some(deploy) => {
                assert_eq!(sent.len(), before + 1, "{file} must start one build");
                let project = if deploy { &p.deployer } else { &p.destroyer };
                assert_eq!(sent[before]["projectName"], json!(project), "{file}");
                let delivery = sample(file)["headers"]["x-github-delivery"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                assert_eq!(
                    sent[before]["idempotencyToken"].as_str().unwrap(),
                    switchyard_core::idempotency::token(
                        FunctionName::BranchPipelines,
                        &delivery,
                        0
                    ),
                    "{file}: token derives from the delivery id"
                );
                expected_builds.push(file);
            }
        }
    }
    let sent = builds(&p);
    assert_eq!(sent.len(), expected_builds.len());
    // A push that creates a branch pins the commit (as COMMIT_ID); a `create` event carries none.
    assert_eq!(
        env(&sent[0])["COMMIT_ID"],
        "7f3c2a9e1b4d5f60718293a4b5c6d7e8f9012345"
    );
    assert_eq!(env(&sent[2])["COMMIT_ID"], "");
    assert!(sent.iter().all(|b| b.get("sourceVersion").is_none()));
    assert_eq!(env(&sent[2])["BRANCH_NAME"], "bugfix/ledger-rounding");
    assert_eq!(env(&sent[0])["REPOSITORY"], "acme/payments-service");
}

#[tokio::test]
async fn duplicate_deliveries_carry_the_same_token() {
    let p = projects("duplicates").await;
    for file in [
        "codecommit-branch-created.json",
        "github-push-branch-created.json",
    ] {
        let event = sample(file);
        handle(&event, &p).await.unwrap();
        handle(&event, &p).await.unwrap();
    }
    let sent = builds(&p);
    assert_eq!(sent.len(), 4);
    assert_eq!(sent[0]["idempotencyToken"], sent[1]["idempotencyToken"]);
    assert_eq!(sent[2]["idempotencyToken"], sent[3]["idempotencyToken"]);
    assert_ne!(sent[0]["idempotencyToken"], sent[2]["idempotencyToken"]);
}

#[tokio::test]
async fn rejected_and_skipped_events_send_nothing() {
    let p = projects("no-calls").await;
    let cases = [
        ("codecommit-branch-updated.json", Ok("skipped")),
        ("codecommit-default-branch.json", Ok("skipped")),
        ("codecommit-excluded-branch.json", Ok("skipped")),
        ("codecommit-unknown-repository.json", Ok("skipped")),
        ("codecommit-invalid-ref.json", Err("detail.referenceName")),
    ];
    for (file, expected) in cases {
        let result = handle(&sample(file), &p).await;
        match (expected, result) {
            (Ok(outcome), Ok(out)) => assert_eq!(out["outcome"], outcome, "{file}"),
            (Err(field), Err(HandlerError::Rejected(reason))) => {
                assert!(reason.contains(field), "{file}: {reason}")
            }
            (expected, got) => panic!("{file}: expected {expected:?}, got {got:?}"),
        }
    }
    let unsupported = serde_json::from_slice::<Value>(
        &std::fs::read(repo_root().join("events/unsupported/ec2-instance-state-change.json"))
            .unwrap(),
    )
    .unwrap();
    let err = handle(&unsupported, &p).await.unwrap_err();
    assert!(err.to_string().contains("unsupported event"));
    assert!(!err.is_retryable());
    assert!(builds(&p).is_empty());
}

#[tokio::test]
async fn webhook_signatures_computed_here() {
    let p = projects("hmac").await;
    let event = sample("github-push-branch-created.json");
    let body = event["body"].as_str().unwrap().to_owned();
    let with = |body: &str, signature: Option<String>| {
        let mut e = event.clone();
        e["body"] = json!(body);
        let headers = e["headers"].as_object_mut().unwrap();
        headers.remove("x-hub-signature-256");
        if let Some(s) = signature {
            headers.insert("x-hub-signature-256".into(), json!(s));
        }
        e
    };
    let secret = Secret::new(SAMPLE_SECRET);
    let valid = webhook::sign(&secret, body.as_bytes());
    let tampered_body = body.replace("PAY-142", "PAY-666");
    let cases = [
        (with(&body, Some(valid.clone())), 202),
        (
            with(
                &body,
                Some(webhook::sign(&Secret::new("wrong"), body.as_bytes())),
            ),
            401,
        ),
        (with(&body, None), 401),
        (with(&body, Some(valid.replace("sha256=", "sha1="))), 401),
        (with(&body, Some(valid.replace("sha256=", "SHA256="))), 401),
        (with(&body, Some(valid[..valid.len() - 2].to_owned())), 401),
        (with(&tampered_body, Some(valid.clone())), 401),
    ];
    for (i, (event, status)) in cases.iter().enumerate() {
        let out = handle(event, &p).await.unwrap();
        assert_eq!(out["statusCode"], *status, "case {i}: {out}");
    }
    assert_eq!(
        builds(&p).len(),
        1,
        "only the valid signature starts a build"
    );
}

#[tokio::test]
async fn a_failed_start_is_returned_as_an_error_not_swallowed() {
    // Projects that do not exist in moto: StartBuild fails with ResourceNotFoundException.
    let p = Projects {
        deployer: "missing-deployer".into(),
        destroyer: "missing-destroyer".into(),
    };
    let err = handle(&sample("codecommit-branch-created.json"), &p)
        .await
        .unwrap_err();
    let HandlerError::Act(act) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(act.operation, "StartBuild");
    assert!(
        act.message.contains("ResourceNotFoundException"),
        "{}",
        act.message
    );
    assert!(!act.retryable);
    // Through a webhook too: an error, so the delivery shows as failed and can be redelivered.
    assert!(handle(&sample("github-push-branch-created.json"), &p)
        .await
        .is_err());
}

/// A build the samples of one host must start: deployer or destroyer, the branch, and the
/// identity its idempotency token derives from (the delivery, or `<delivery>#<change>`).
type ExpectedBuild = (bool, &'static str, &'static str);
/// A sample, its HTTP status, its builds, and the provider, repository id and path they carry.
type HostCase = (
    &'static str,
    u16,
    &'static [ExpectedBuild],
    (&'static str, &'static str, &'static str),
);

#[tokio::test]
async fn every_host_starts_exactly_its_builds_and_rejected_deliveries_call_nothing() {
    let p = projects("hosts").await;
    let cases: [HostCase; 17] = {
        let ghe = (
            "github-enterprise",
            "github-enterprise:ghe.acme.com/acme/payments-service",
            "acme/payments-service",
        );
        let gitlab = (
            "gitlab",
            "gitlab:acme/payments/payments-service",
            "acme/payments/payments-service",
        );
        let self_managed = (
            "gitlab-self-managed",
            "gitlab-self-managed:gitlab.acme.com/acme/payments/payments-service",
            "acme/payments/payments-service",
        );
        let bitbucket = (
            "bitbucket",
            "bitbucket:acme/payments-service",
            "acme/payments-service",
        );
        const REFUNDS: &str = "feature/PAY-142-refunds";
        [
            (
                "github-enterprise-push-branch-created.json",
                202,
                &[(true, REFUNDS, "a41f7c20-c8a1-11f0-8e11-5a6b7c8d9e01")],
                ghe,
            ),
            (
                "github-enterprise-push-branch-deleted.json",
                202,
                &[(false, REFUNDS, "a41f7c20-c8a1-11f0-8e11-5a6b7c8d9e02")],
                ghe,
            ),
            ("github-enterprise-ping.json", 200, &[], ghe),
            ("github-enterprise-bad-signature.json", 401, &[], ghe),
            (
                "gitlab-push-branch-created.json",
                202,
                &[(true, REFUNDS, "2f0c8e1a-6b4d-4c7e-9a1f-3d5b7c9e1a01")],
                gitlab,
            ),
            (
                "gitlab-push-branch-deleted.json",
                202,
                &[(false, REFUNDS, "2f0c8e1a-6b4d-4c7e-9a1f-3d5b7c9e1a02")],
                gitlab,
            ),
            (
                "gitlab-self-managed-branch-created.json",
                202,
                &[(true, REFUNDS, "2f0c8e1a-6b4d-4c7e-9a1f-3d5b7c9e1a03")],
                self_managed,
            ),
            ("gitlab-bad-token.json", 401, &[], gitlab),
            ("gitlab-test-push.json", 200, &[], gitlab),
            ("gitlab-merge-request-event.json", 200, &[], gitlab),
            ("gitlab-push-invalid-ref.json", 400, &[], gitlab),
            (
                "bitbucket-push-branch-created.json",
                202,
                &[(true, REFUNDS, "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e01#0")],
                bitbucket,
            ),
            (
                "bitbucket-push-branch-deleted.json",
                202,
                &[(false, REFUNDS, "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e02#0")],
                bitbucket,
            ),
            ("bitbucket-bad-signature.json", 401, &[], bitbucket),
            ("bitbucket-ping.json", 200, &[], bitbucket),
            ("bitbucket-pullrequest-event.json", 200, &[], bitbucket),
            // Four changes: a created and a deleted branch act, main is skipped, a hostile ref is
            // refused; the delivery answers 202 and lists every change.
            (
                "bitbucket-push-several-changes.json",
                202,
                &[
                    (
                        true,
                        "feature/PAY-150-chargebacks",
                        "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e06#0",
                    ),
                    (
                        false,
                        "bugfix/ledger-rounding",
                        "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e06#1",
                    ),
                ],
                bitbucket,
            ),
        ]
    };
    for (file, status, expected, (provider, repository, path)) in cases {
        let before = builds(&p).len();
        let out = handle(&sample(file), &p).await.unwrap();
        assert_eq!(out["statusCode"], status, "{file}: {out}");
        let sent = builds(&p);
        assert_eq!(sent.len() - before, expected.len(), "{file}: {sent:?}");
        for ((deploy, branch, identity), build) in expected.iter().zip(&sent[before..]) {
            let project = if *deploy { &p.deployer } else { &p.destroyer };
            assert_eq!(build["projectName"], json!(project), "{file}");
            let env = env(build);
            assert_eq!(env["BRANCH_NAME"], *branch, "{file}");
            assert_eq!(env["SOURCE_PROVIDER"], provider, "{file}");
            assert_eq!(env["REPOSITORY"], repository, "{file}");
            assert_eq!(env["FULL_REPOSITORY_ID"], path, "{file}");
            assert_eq!(
                build["idempotencyToken"].as_str().unwrap(),
                switchyard_core::idempotency::token(FunctionName::BranchPipelines, identity, 0),
                "{file}: the token derives from the delivery (and the change)"
            );
        }
    }
    let several: Value = serde_json::from_str(
        handle(&sample("bitbucket-push-several-changes.json"), &p)
            .await
            .unwrap()["body"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let outcomes: Vec<&str> = several["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        ["acted", "acted", "skipped", "rejected"],
        "{several}"
    );
}

/// A GitLab hook with a signing token: the Standard Webhooks signature over id, timestamp and
/// body, dated now, is accepted; a stale one, a tampered body or the secret token alone are not.
#[tokio::test]
async fn a_signed_gitlab_delivery_acts_and_a_stale_or_tampered_one_calls_nothing() {
    let p = projects("gitlab-signed").await;
    let key = b"switchyard-sample-signing-key-32";
    let mut trust = trust();
    trust.webhook_secrets.gitlab = Some(GitLabSecret::Signing(key.to_vec()));
    let sample = sample("gitlab-push-branch-created.json");
    let body = sample["body"].as_str().unwrap().to_owned();
    let signed = |body: &str, at: i64| {
        let mut e = sample.clone();
        let headers = e["headers"].as_object_mut().unwrap();
        headers.remove("x-gitlab-token");
        let id = headers["idempotency-key"].as_str().unwrap().to_owned();
        headers.insert("webhook-id".into(), json!(id));
        headers.insert("webhook-timestamp".into(), json!(at.to_string()));
        let signature = webhook::gitlab::sign(key, &id, at, body.as_bytes());
        headers.insert("webhook-signature".into(), json!(signature));
        e
    };
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let mut tampered = signed(&body, now);
    tampered["body"] = json!(body.replace("PAY-142", "PAY-666"));
    let cases = [
        (signed(&body, now - 10), 202),
        (signed(&body, now - 3600), 401),
        (tampered, 401),
        (sample.clone(), 401),
    ];
    for (i, (event, status)) in cases.iter().enumerate() {
        let out = handle_trusting(event, &p, &trust).await.unwrap();
        assert_eq!(out["statusCode"], *status, "case {i}: {out}");
    }
    assert_eq!(
        builds(&p).len(),
        1,
        "only the fresh, intact delivery starts a build"
    );
}
