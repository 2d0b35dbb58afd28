//! `switchyard branches list` against moto: the branch environments it lists are exactly the
//! stacks this test created with `switchyard:branch-id` tags (an untagged lookalike and a stack
//! tagged without a branch id are not), grouped by branch, with the pipeline's latest execution
//! status as CodePipeline reports it; `--stale` filters, `--format text` is a table.

use std::process::Command;

use aws_sdk_cloudformation::types::Tag;
use aws_sdk_codepipeline::types::{
    ActionCategory, ActionDeclaration, InputArtifact, OutputArtifact, PipelineDeclaration,
    StageDeclaration,
};
use serde_json::Value;
use switchyard_core::naming::{branch_names, branch_tag_value, NamePrefix};
use switchyard_test_support::pipelines::{aws_action_type, pipeline_role};
use switchyard_test_support::{moto, repo_root};

const TEMPLATE: &str = r#"{"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}"#;

async fn create_stack(sdk: &aws_config::SdkConfig, name: &str, tags: &[(&str, &str)]) {
    aws_sdk_cloudformation::Client::new(sdk)
        .create_stack()
        .stack_name(name)
        .template_body(TEMPLATE)
        .set_tags(Some(
            tags.iter()
                .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
                .collect(),
        ))
        .send()
        .await
        .unwrap();
}

/// A branch pipeline as the pipeline stack declares one: an S3 source and a CodeBuild stage.
async fn create_pipeline(sdk: &aws_config::SdkConfig, name: &str) {
    let stage = |name: &str, action: ActionDeclaration| {
        StageDeclaration::builder()
            .name(name)
            .actions(action)
            .build()
            .unwrap()
    };
    let source = ActionDeclaration::builder()
        .name("Source")
        .action_type_id(aws_action_type(ActionCategory::Source, "S3"))
        .configuration("S3Bucket", "artifacts")
        .configuration("S3ObjectKey", "source.zip")
        .output_artifacts(OutputArtifact::builder().name("Src").build().unwrap())
        .build()
        .unwrap();
    let build = ActionDeclaration::builder()
        .name("Deploy")
        .action_type_id(aws_action_type(ActionCategory::Build, "CodeBuild"))
        .configuration("ProjectName", "deploy")
        .input_artifacts(InputArtifact::builder().name("Src").build().unwrap())
        .build()
        .unwrap();
    let pipeline = PipelineDeclaration::builder()
        .name(name)
        .role_arn(pipeline_role(sdk).await)
        .artifact_store(
            aws_sdk_codepipeline::types::ArtifactStore::builder()
                .r#type(aws_sdk_codepipeline::types::ArtifactStoreType::S3)
                .location("artifacts")
                .build()
                .unwrap(),
        )
        .stages(stage("Source", source))
        .stages(stage("Deploy", build))
        .build()
        .unwrap();
    aws_sdk_codepipeline::Client::new(sdk)
        .create_pipeline()
        .pipeline(pipeline)
        .send()
        .await
        .unwrap();
}

fn list(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .current_dir(repo_root())
        .args(["branches", "list"])
        .args(args)
        .env("AWS_ENDPOINT_URL", &moto().endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn json_lines(args: &[&str]) -> Vec<Value> {
    let (ok, stdout, stderr) = list(args);
    assert!(ok, "{stderr}");
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[tokio::test]
async fn lists_exactly_the_tagged_branch_environments_with_their_pipeline_status() {
    let sdk = moto().sdk().await;
    let prefix = NamePrefix::parse("sy").unwrap();
    let (repo, branch) = ("acme/payments", "feature/PAY-1 $(id)");
    let a = branch_names(&prefix, repo, branch);
    let branch_tag = branch_tag_value(branch).unwrap();
    let tags_a = [
        ("switchyard:repository", repo),
        ("switchyard:branch", branch_tag.as_str()),
        ("switchyard:branch-id", a.branch_id.as_str()),
    ];
    let mut pipeline_tags = tags_a.to_vec();
    pipeline_tags.push(("switchyard:pipeline", a.pipeline.as_str()));
    create_stack(&sdk, &a.stack, &pipeline_tags).await;
    create_stack(&sdk, &format!("{}-api", a.stack), &tags_a).await;
    create_stack(&sdk, &format!("{}-queue", a.stack), &tags_a).await;
    create_pipeline(&sdk, &a.pipeline).await;
    let started = aws_sdk_codepipeline::Client::new(&sdk)
        .start_pipeline_execution()
        .name(&a.pipeline)
        .send()
        .await
        .unwrap();
    // A second branch whose pipeline stack is already gone: its environment is still listed.
    let b = branch_names(&prefix, repo, "bugfix/rounding");
    create_stack(
        &sdk,
        &format!("{}-api", b.stack),
        &[
            ("switchyard:repository", repo),
            ("switchyard:branch", "bugfix/rounding"),
            ("switchyard:branch-id", b.branch_id.as_str()),
        ],
    )
    .await;
    // Not branch stacks: a lookalike name without tags, tags without a branch id.
    create_stack(&sdk, &format!("{}-lookalike", a.stack), &[]).await;
    create_stack(&sdk, "team-stack", &[("switchyard:repository", repo)]).await;

    // What CodePipeline reports for the latest execution.
    let summaries = aws_sdk_codepipeline::Client::new(&sdk)
        .list_pipeline_executions()
        .pipeline_name(&a.pipeline)
        .send()
        .await
        .unwrap();
    let latest = &summaries.pipeline_execution_summaries()[0];
    assert_eq!(
        latest.pipeline_execution_id(),
        started.pipeline_execution_id()
    );
    let status = latest.status().unwrap().as_str().to_owned();

    let lines = json_lines(&["--format", "json"]);
    assert_eq!(lines.len(), 2, "{lines:#?}");
    let by_id = |id: &str| {
        lines
            .iter()
            .find(|l| l["branch_id"] == id)
            .unwrap_or_else(|| panic!("{id} not listed: {lines:#?}"))
    };
    let la = by_id(&a.branch_id);
    assert_eq!(la["repository"], repo);
    assert_eq!(la["branch"], branch);
    assert_eq!(la["pipeline"], a.pipeline.as_str());
    assert_eq!(la["pipeline_stack"]["name"], a.stack.as_str());
    assert_eq!(la["pipeline_stack"]["status"], "CREATE_COMPLETE");
    let stacks: Vec<&str> = la["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        stacks,
        [format!("{}-api", a.stack), format!("{}-queue", a.stack)]
    );
    assert_eq!(la["latest_execution"]["status"], status.as_str());
    assert!(la["latest_execution"]["started"].is_string());
    assert_eq!(la["age_days"], 0);
    let lb = by_id(&b.branch_id);
    assert_eq!(lb["branch"], "bugfix/rounding");
    assert!(lb["pipeline"].is_null() && lb["latest_execution"].is_null());
    assert_eq!(lb["stacks"][0]["name"], format!("{}-api", b.stack).as_str());

    // Everything was active today: nothing is a day stale, everything is zero days stale.
    assert!(json_lines(&["--format", "json", "--stale", "1"]).is_empty());
    assert_eq!(json_lines(&["--format", "json", "--stale", "0"]).len(), 2);

    // The table: a header and one row per branch, the hostile branch name on one line.
    let (ok, table, stderr) = list(&[]);
    assert!(ok, "{stderr}");
    let rows: Vec<&str> = table.lines().collect();
    assert_eq!(rows.len(), 3, "{table}");
    assert!(rows[0].starts_with("REPOSITORY") && rows[0].contains("EXECUTION"));
    let row_a = rows.iter().find(|r| r.contains(branch)).expect(&table);
    assert!(
        row_a.contains(&a.pipeline) && row_a.contains(&status),
        "{row_a}"
    );
    assert!(
        rows.iter().any(|r| r.contains("bugfix/rounding")),
        "{table}"
    );
}

#[tokio::test]
async fn a_failed_listing_fails_the_command() {
    let out = Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .args(["branches", "list"])
        // Nothing listens there.
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_MAX_ATTEMPTS", "1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot list the branch stacks"), "{stderr}");
}
