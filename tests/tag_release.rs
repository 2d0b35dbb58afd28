//! `tag-release` end to end against a real moto server: the environment pipelines exist in moto
//! (CreatePipeline, V2, declaring the release variables), every sample goes through the code the
//! Lambda runs (`decide_event` + `entry::run` with the real SDK executor), and the test reads back
//! what moto holds (`ListPipelineExecutions` / `GetPipelineExecution`) and what its recorder
//! captured (`StartPipelineExecution`, `StartBuild`): pipeline name, variables, source revision,
//! token. CodeCommit's `GetMergeOptions` is not in moto: the default-branch observer's client is
//! an `aws-smithy-mocks` client that asserts the request.

use std::collections::HashMap;

use aws_sdk_codecommit::operation::get_merge_options::GetMergeOptionsOutput;
use aws_sdk_codecommit::types::MergeOptionTypeEnum;
use aws_sdk_codepipeline::types::{
    ActionCategory, ActionDeclaration, ActionOwner, ActionTypeId, ArtifactStore, ArtifactStoreType,
    InputArtifact, OutputArtifact, PipelineDeclaration, PipelineType, PipelineVariableDeclaration,
    StageDeclaration,
};
use aws_smithy_mocks::{mock, mock_client, Rule};
use serde_json::{json, Value};
use switchyard_adapters::aws::codecommit::CodeCommitBranches;
use switchyard_adapters::AwsExecutor;
use switchyard_core::config::parse_env_file;
use switchyard_core::entry::{self, HandlerError};
use switchyard_core::idempotency;
use switchyard_core::metrics::Tally;
use switchyard_core::plan::{FunctionName, RecordDecision};
use switchyard_core::tag_release::{decide_event, TagReleaseConfig, WorldDefaultBranch};
use switchyard_integration_tests::trust;
use switchyard_test_support::env::{name_value_map, string_map};
use switchyard_test_support::{create_codebuild_project, moto, pipelines, repo_root};
use time::OffsetDateTime;

const TAGGED: &str = "9b2e4f61c0d7a8e5b3f2c1d0e9f8a7b6c5d4e3f2";
const VARIABLES: [&str; 10] = [
    "ENV",
    "REGION",
    "SCOPE",
    "TEAM",
    "VERSION",
    "TAG",
    "TF_STATE_BUCKET",
    "TF_STATE_KEY",
    "TF_LOCK_TABLE",
    "TARGET_ACCOUNT",
];

/// The release targets of one test: `<test>-release-dev` and `-prod` pipelines and the
/// `<test>-release-qa` CodeBuild project (the sample configuration releases qa with CodeBuild),
/// so parallel tests can tell their requests apart in the shared recording.
struct Targets {
    test: &'static str,
}

impl Targets {
    fn name(&self, env: &str) -> String {
        format!("{}-release-{env}", self.test)
    }
}

/// A release pipeline as a platform team would declare it: V2, a `Source` action (the one
/// `sourceRevisions` pins), a deploy stage, and the ten release variables.
fn pipeline(name: &str, role: &str) -> PipelineDeclaration {
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
        .name("Source")
        .action_type_id(type_id(ActionCategory::Source, "CodeCommit"))
        .configuration("RepositoryName", "payments-service")
        .configuration("BranchName", "main")
        .configuration("PollForSourceChanges", "false")
        .output_artifacts(
            OutputArtifact::builder()
                .name("SourceOutput")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let deploy = ActionDeclaration::builder()
        .name("Terraform")
        .action_type_id(type_id(ActionCategory::Build, "CodeBuild"))
        .configuration("ProjectName", "terraform-apply")
        .input_artifacts(
            InputArtifact::builder()
                .name("SourceOutput")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    PipelineDeclaration::builder()
        .name(name)
        .role_arn(role)
        .pipeline_type(PipelineType::V2)
        .artifact_store(
            ArtifactStore::builder()
                .r#type(ArtifactStoreType::S3)
                .location("acme-pipeline-artifacts")
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
            VARIABLES
                .iter()
                .map(|v| {
                    PipelineVariableDeclaration::builder()
                        .name(*v)
                        .build()
                        .unwrap()
                })
                .collect(),
        ))
        .build()
        .unwrap()
}

async fn targets(test: &'static str) -> Targets {
    let t = Targets { test };
    let sdk = moto().sdk().await;
    let codepipeline = aws_sdk_codepipeline::Client::new(&sdk);
    let role = pipelines::pipeline_role(&sdk).await;
    for env in ["dev", "prod"] {
        codepipeline
            .create_pipeline()
            .pipeline(pipeline(&t.name(env), &role))
            .send()
            .await
            .unwrap();
    }
    create_codebuild_project(&sdk, &t.name("qa")).await;
    t
}

/// The sample configuration (`events/switchyard.env`), with this test's target names.
fn config(t: &Targets) -> TagReleaseConfig {
    let text = std::fs::read_to_string(repo_root().join("events/switchyard.env")).unwrap();
    let mut vars = parse_env_file(&text).unwrap();
    vars.insert(
        "TAG_TARGET_NAME".into(),
        format!("{}-release-{{env}}", t.test),
    );
    TagReleaseConfig::from_vars(&vars).unwrap()
}

fn sample(name: &str) -> Value {
    let path = repo_root().join("events/tag-release").join(name);
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

/// Runs one event through the same code the Lambda runs, against moto. Default-branch questions
/// go to a dry-run world that knows no commit (none of these samples needs one).
async fn handle(event: &Value, t: &Targets) -> Result<Value, HandlerError> {
    handle_observed(event, t, &WorldDefaultBranch::default()).await
}

async fn handle_observed<O: switchyard_core::tag_release::DefaultBranchObserver>(
    event: &Value,
    t: &Targets,
    observer: &O,
) -> Result<Value, HandlerError> {
    let executor = AwsExecutor::new(moto().sdk().await);
    let now = OffsetDateTime::now_utc();
    let decisions = decide_event(event, &config(t), &trust(), observer, now)
        .await
        .map_err(|e| HandlerError::Act(e.into()))?;
    let records = decisions.into_iter().map(RecordDecision::from).collect();
    entry::run_event(
        FunctionName::TagRelease,
        event,
        records,
        |_| Tally::default(),
        &executor,
    )
    .await
}

/// The StartPipelineExecution requests moto received for one of this test's pipelines.
fn starts(name: &str) -> Vec<Value> {
    moto()
        .recorded("StartPipelineExecution")
        .into_iter()
        .filter(|s| s["name"] == name)
        .collect()
}

fn builds(name: &str) -> Vec<Value> {
    moto()
        .recorded("StartBuild")
        .into_iter()
        .filter(|b| b["projectName"] == name)
        .collect()
}

fn no_calls(t: &Targets) -> bool {
    starts(&t.name("dev")).is_empty()
        && starts(&t.name("prod")).is_empty()
        && builds(&t.name("qa")).is_empty()
}

async fn executions(pipeline: &str) -> Vec<(String, HashMap<String, String>)> {
    pipelines::executions(&moto().sdk().await, pipeline).await
}

#[tokio::test]
async fn codecommit_tags_start_the_environment_pipeline_pinned_to_the_commit() {
    let t = targets("cc").await;
    let cases = [
        (
            "codecommit-valid-regional.json",
            "dev_eu-west-1/payments/2.4.0",
            "2.4.0",
            "eu-west-1",
            "eu-west-1",
            "payments",
        ),
        (
            "codecommit-v-prefixed.json",
            "dev_us-east-1/ledger/v1.7.0",
            "1.7.0",
            "us-east-1",
            "us-east-1",
            "ledger",
        ),
        (
            "codecommit-moved-tag-redeployed.json",
            "dev_eu-west-1/payments/2.4.0",
            "2.4.0",
            "eu-west-1",
            "eu-west-1",
            "payments",
        ),
    ];
    let dev = t.name("dev");
    let mut ids = Vec::new();
    for (i, (file, tag, version, region, scope, team)) in cases.iter().enumerate() {
        let event = sample(file);
        let out = handle(&event, &t).await.unwrap();
        assert_eq!(out["outcome"], "acted", "{file}: {out}");
        let id = out["results"][0]["result"]["pipelineExecutionId"]
            .as_str()
            .unwrap()
            .to_owned();

        // What reached CodePipeline.
        let sent = starts(&dev);
        assert_eq!(sent.len(), i + 1, "{file}: one StartPipelineExecution each");
        let request = &sent[i];
        assert_eq!(
            request["sourceRevisions"],
            json!([{"actionName": "Source", "revisionType": "COMMIT_ID", "revisionValue": TAGGED}]),
            "{file}: pinned to the tagged commit, not to the branch head"
        );
        assert_eq!(
            request["clientRequestToken"].as_str().unwrap(),
            idempotency::token(FunctionName::TagRelease, event["id"].as_str().unwrap(), 0),
            "{file}: token from the event id"
        );
        let expected = string_map(&[
            ("ENV", "dev"),
            ("REGION", region),
            ("SCOPE", scope),
            ("TEAM", team),
            ("VERSION", version),
            ("TAG", tag),
            ("TF_STATE_BUCKET", "acme-tfstate-dev"),
            (
                "TF_STATE_KEY",
                &format!("{team}/dev-{scope}/terraform.tfstate"),
            ),
            ("TF_LOCK_TABLE", "acme-tfstate-lock-dev"),
            ("TARGET_ACCOUNT", "111111111111"),
        ]);
        assert_eq!(name_value_map(&request["variables"]), expected, "{file}");

        // What moto holds: the execution, with the same variables.
        let held = executions(&dev).await;
        assert_eq!(held.len(), i + 1);
        assert_eq!(held[0].0, id, "{file}: newest execution is this one");
        assert_eq!(
            held[0].1, expected,
            "{file}: GetPipelineExecution variables"
        );
        ids.push(id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 3);
    assert!(starts(&t.name("prod")).is_empty());
}

#[tokio::test]
async fn a_codebuild_environment_gets_a_pinned_build_with_the_same_values() {
    let t = targets("cb").await;
    let event = sample("codecommit-valid-global.json");
    let out = handle(&event, &t).await.unwrap();
    assert!(out["results"][0]["result"]["buildId"]
        .as_str()
        .unwrap()
        .starts_with("cb-release-qa:"));
    let sent = builds(&t.name("qa"));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["sourceVersion"], TAGGED);
    assert_eq!(
        sent[0]["idempotencyToken"].as_str().unwrap(),
        idempotency::token(FunctionName::TagRelease, event["id"].as_str().unwrap(), 0)
    );
    let env = name_value_map(&sent[0]["environmentVariablesOverride"]);
    assert_eq!(env["SCOPE"], "global");
    assert_eq!(
        env["REGION"], "us-east-1",
        "global deploys to TAG_GLOBAL_REGION"
    );
    assert_eq!(env["TF_STATE_KEY"], "payments/qa-global/terraform.tfstate");
    assert_eq!(env["TARGET_ACCOUNT"], "222222222222");
    assert_eq!(env["COMMIT_ID"], TAGGED);
    assert!(VARIABLES.iter().all(|v| env.contains_key(*v)));
    assert!(no_calls(&Targets { test: "cb-unused" }));
}

#[tokio::test]
async fn a_github_tag_push_starts_prod_and_answers_http() {
    let t = targets("gh").await;
    let prod = t.name("prod");
    let cases = [
        ("github-push-tag.json", 202, true),
        ("github-push-tag-not-on-default-branch.json", 400, false),
        ("github-push-tag-invalid.json", 400, false),
        ("github-create-tag.json", 200, false),
        ("github-delete-tag.json", 200, false),
    ];
    for (file, status, starts_one) in cases {
        let before = starts(&prod).len();
        let out = handle(&sample(file), &t).await.unwrap();
        assert_eq!(out["statusCode"], status, "{file}: {out}");
        assert_eq!(
            starts(&prod).len(),
            before + usize::from(starts_one),
            "{file}"
        );
    }
    let sent = starts(&prod);
    let delivery = sample("github-push-tag.json")["headers"]["x-github-delivery"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        sent[0]["clientRequestToken"].as_str().unwrap(),
        idempotency::token(FunctionName::TagRelease, &delivery, 0)
    );
    assert_eq!(
        sent[0]["sourceRevisions"][0]["revisionValue"],
        "c3d9e2a17b5f4e608d1c2b3a4f5e6d7c8b9a0f1e"
    );
    let vars = name_value_map(&sent[0]["variables"]);
    assert_eq!(vars["TAG"], "prod_eu-west-1/payments/2.4.0");
    assert_eq!(vars["TARGET_ACCOUNT"], "333333333333");
    assert_eq!(executions(&prod).await.len(), 1);
    assert!(starts(&t.name("dev")).is_empty() && builds(&t.name("qa")).is_empty());
}

/// GitHub Enterprise Server, GitLab and Bitbucket tag pushes: each release starts its
/// environment's pipeline pinned to the tagged commit, with the token of its delivery; prod, which
/// only releases commits of the default branch, refuses a GitLab tag (nothing says which branch
/// holds it) and calls nothing; a deleted tag calls nothing.
#[tokio::test]
async fn every_host_releases_its_tags_and_refusals_call_nothing() {
    let t = targets("hosts").await;
    let (dev, prod) = (t.name("dev"), t.name("prod"));
    let cases = [
        (
            "github-enterprise-push-tag.json",
            202,
            Some((&prod, "b52e8d31-c8a1-11f0-8e22-6b7c8d9e0f01")),
        ),
        (
            "gitlab-tag-push.json",
            202,
            Some((&dev, "3a1d9f2b-7c5e-4d8f-8b2a-4e6c8d0f2b01")),
        ),
        (
            "bitbucket-push-tag.json",
            202,
            Some((&dev, "8d2e3f4a-5b6c-4d7e-9f8a-0b1c2d3e4f01#0")),
        ),
        ("gitlab-tag-push-prod-unconfirmed.json", 400, None),
        ("gitlab-tag-deleted.json", 200, None),
    ];
    for (file, status, start) in cases {
        let (dev_before, prod_before) = (starts(&dev).len(), starts(&prod).len());
        let out = handle(&sample(file), &t).await.unwrap();
        assert_eq!(out["statusCode"], status, "{file}: {out}");
        let started: Vec<Value> = [(&dev, dev_before), (&prod, prod_before)]
            .into_iter()
            .flat_map(|(name, before)| starts(name).split_off(before))
            .collect();
        match start {
            None => assert!(started.is_empty(), "{file} must start nothing: {started:?}"),
            Some((pipeline, identity)) => {
                assert_eq!(started.len(), 1, "{file}: {started:?}");
                assert_eq!(started[0]["name"], json!(pipeline), "{file}");
                assert_eq!(
                    started[0]["clientRequestToken"].as_str().unwrap(),
                    idempotency::token(FunctionName::TagRelease, identity, 0),
                    "{file}"
                );
                assert_eq!(
                    started[0]["sourceRevisions"][0]["revisionValue"],
                    "c3d9e2a17b5f4e608d1c2b3a4f5e6d7c8b9a0f1e",
                    "{file}"
                );
                let vars = name_value_map(&started[0]["variables"]);
                assert!(vars["TAG"].ends_with("/payments/2.4.0"), "{file}: {vars:?}");
            }
        }
    }
    assert_eq!(executions(&dev).await.len(), 2);
    assert_eq!(executions(&prod).await.len(), 1);
    assert!(builds(&t.name("qa")).is_empty());
}

#[tokio::test]
async fn rejected_and_skipped_samples_call_nothing() {
    let t = targets("none").await;
    let cases = [
        (
            "codecommit-unknown-env.json",
            Err("unknown environment \"prd\"; expected one of dev, qa, prod"),
        ),
        (
            "codecommit-unknown-team.json",
            Err("unknown team \"paymnts\""),
        ),
        (
            "codecommit-bad-region.json",
            Err("unknown region \"eu-west-9\""),
        ),
        ("codecommit-missing-version.json", Err("missing version")),
        ("codecommit-extra-segment.json", Err("extra path segment")),
        (
            "codecommit-devops-lookalike.json",
            Err("unknown environment \"devops\""),
        ),
        (
            "codecommit-region-not-allowed.json",
            Err("not allowed for environment \"prod\""),
        ),
        (
            "codecommit-moved-tag-rejected.json",
            Err("TAG_MOVED_TAG_PROD is reject"),
        ),
        (
            "codecommit-prod-default-branch.json",
            Err("TAG_DEFAULT_BRANCH_ONLY"),
        ),
        ("codecommit-tag-deleted.json", Ok("skipped")),
    ];
    for (file, expected) in cases {
        match (expected, handle(&sample(file), &t).await) {
            (Ok(outcome), Ok(out)) => assert_eq!(out["outcome"], outcome, "{file}"),
            (Err(reason), Err(e @ HandlerError::Rejected(_))) => {
                assert!(e.to_string().contains(reason), "{file}: {e}");
                assert!(!e.is_retryable(), "{file}: a wrong tag is not retried");
            }
            (expected, got) => panic!("{file}: expected {expected:?}, got {got:?}"),
        }
    }
    assert!(no_calls(&t), "no request reached CodePipeline or CodeBuild");
    assert!(executions(&t.name("dev")).await.is_empty());
    assert!(executions(&t.name("prod")).await.is_empty());
}

/// CodeCommit's answer to "is the tagged commit on main?": `GetMergeOptions` with the tagged
/// commit as source, asserted field by field; `base` is the merge base CodeCommit reports.
fn merge_base(base: &'static str) -> Rule {
    mock!(aws_sdk_codecommit::Client::get_merge_options)
        .match_requests(|r| {
            r.repository_name() == Some("payments-service")
                && r.source_commit_specifier() == Some(TAGGED)
                && r.destination_commit_specifier() == Some("main")
        })
        .then_output(move || {
            GetMergeOptionsOutput::builder()
                .merge_options(MergeOptionTypeEnum::FastForwardMerge)
                .source_commit_id(TAGGED)
                .destination_commit_id("4c1e7d0b9a8f7e6d5c4b3a29182736455463728a")
                .base_commit_id(base)
                .build()
                .unwrap()
        })
}

#[tokio::test]
async fn prod_releases_only_commits_on_the_default_branch() {
    let t = targets("policy").await;
    let prod = t.name("prod");
    let event = sample("codecommit-prod-default-branch.json");

    let off_main = merge_base("4c1e7d0b9a8f7e6d5c4b3a29182736455463728a");
    let observer = CodeCommitBranches::from_client(mock_client!(aws_sdk_codecommit, [&off_main]));
    let err = handle_observed(&event, &t, &observer).await.unwrap_err();
    assert!(err.to_string().contains("is not on it"), "{err}");
    assert_eq!(off_main.num_calls(), 1);
    assert!(starts(&prod).is_empty(), "a declined release calls nothing");

    let on_main = merge_base(TAGGED);
    let observer = CodeCommitBranches::from_client(mock_client!(aws_sdk_codecommit, [&on_main]));
    let out = handle_observed(&event, &t, &observer).await.unwrap();
    assert_eq!(out["outcome"], "acted", "{out}");
    assert_eq!(on_main.num_calls(), 1);
    let sent = starts(&prod);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["sourceRevisions"][0]["revisionValue"], TAGGED);
    assert_eq!(executions(&prod).await.len(), 1);
}

#[tokio::test]
async fn duplicate_deliveries_carry_the_same_token() {
    let t = targets("dup").await;
    let event = sample("codecommit-valid-regional.json");
    handle(&event, &t).await.unwrap();
    handle(&event, &t).await.unwrap();
    let sent = starts(&t.name("dev"));
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0]["clientRequestToken"], sent[1]["clientRequestToken"]);
    // moto does not deduplicate by token (CodePipeline does): the recorder is the evidence.
}

#[tokio::test]
async fn a_missing_pipeline_is_an_error_not_swallowed() {
    let t = Targets { test: "missing" };
    let err = handle(&sample("codecommit-valid-regional.json"), &t)
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
}
