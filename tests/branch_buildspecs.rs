//! The deployer and destroyer buildspecs (infra/buildspecs/) run as CodeBuild would run their
//! commands: bash, with the environment branch-pipelines sets, and the real AWS CLI talking to a
//! real moto server (CloudFormation + S3). CodeBuild itself cannot run here; everything it calls can.

use std::collections::BTreeMap;
use std::process::{Command, Output};

use serde_json::Value;
use switchyard_test_support::{moto, repo_root};

/// The single command block of a buildspec's build phase.
fn build_commands(file: &str) -> String {
    let text = std::fs::read_to_string(repo_root().join("infra/buildspecs").join(file)).unwrap();
    let spec: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(spec["version"], 0.2);
    assert_eq!(spec["env"]["shell"], "bash");
    let commands = spec["phases"]["build"]["commands"].as_array().unwrap();
    assert_eq!(
        commands.len(),
        1,
        "one block, so `set -euo pipefail` covers every command"
    );
    commands[0].as_str().unwrap().to_owned()
}

fn aws(args: &[&str]) -> Output {
    Command::new("aws")
        .args(args)
        .env("AWS_ENDPOINT_URL", &moto().endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .output()
        .expect("the AWS CLI is needed (tests/run.sh installs it into tests/.cache/venv)")
}

fn run(file: &str, env: &BTreeMap<&str, String>) -> Output {
    let workdir = std::env::temp_dir().join(format!("switchyard-buildspec-{}", std::process::id()));
    std::fs::create_dir_all(&workdir).unwrap();
    Command::new("bash")
        .arg("-c")
        .arg(build_commands(file))
        .current_dir(&workdir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("HOME", std::env::temp_dir())
        .env("AWS_ENDPOINT_URL", &moto().endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap()
}

/// A bucket holding the pipeline template, and the environment one branch's builds get.
fn setup(bucket: &str, branch: &str) -> BTreeMap<&'static str, String> {
    assert!(aws(&["s3", "mb", &format!("s3://{bucket}")])
        .status
        .success());
    let template = repo_root().join("infra/branch-pipeline.yaml");
    let uri = format!("s3://{bucket}/switchyard/branch-pipeline.yaml");
    assert!(aws(&["s3", "cp", template.to_str().unwrap(), &uri])
        .status
        .success());
    let prefix = switchyard_core::naming::NamePrefix::parse("sy").unwrap();
    let names = switchyard_core::naming::branch_names(&prefix, "payments-service", branch);
    BTreeMap::from([
        ("BRANCH_NAME", branch.to_owned()),
        ("REPOSITORY", "payments-service".to_owned()),
        ("FULL_REPOSITORY_ID", "payments-service".to_owned()),
        (
            "COMMIT_ID",
            "4c1e7d0b9a8f7e6d5c4b3a29182736455463728a".to_owned(),
        ),
        ("SOURCE_PROVIDER", "codecommit".to_owned()),
        ("PIPELINE_NAME", names.pipeline),
        ("STACK_NAME", names.stack),
        ("BUILD_PROJECT_NAME", names.build_project),
        ("ARTIFACT_PREFIX", names.artifact_prefix),
        ("PIPELINE_TEMPLATE_S3_URI", uri),
        ("ARTIFACT_BUCKET", bucket.to_owned()),
        (
            "PIPELINE_ROLE_ARN",
            "arn:aws:iam::123456789012:role/switchyard-branch-pipeline".to_owned(),
        ),
        (
            "BRANCH_BUILD_ROLE_ARN",
            "arn:aws:iam::123456789012:role/switchyard-branch-build".to_owned(),
        ),
        (
            "EVENTS_ROLE_ARN",
            "arn:aws:iam::123456789012:role/switchyard-branch-events".to_owned(),
        ),
    ])
}

fn stack(name: &str) -> Option<Value> {
    let out = aws(&[
        "cloudformation",
        "describe-stacks",
        "--stack-name",
        name,
        "--output",
        "json",
    ]);
    out.status
        .success()
        .then(|| serde_json::from_slice::<Value>(&out.stdout).unwrap()["Stacks"][0].clone())
}

fn parameter(stack: &Value, key: &str) -> String {
    stack["Parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["ParameterKey"] == key)
        .unwrap()["ParameterValue"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn ok(out: &Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "build failed:\n{text}");
    text
}

#[test]
fn deployer_then_destroyer_with_a_hostile_branch_name() {
    let canary = std::env::temp_dir().join(format!("switchyard-pwned-{}", std::process::id()));
    let branch = format!("feature/x;$(touch${{IFS}}{})`id`|sh", canary.display());
    let env = setup("buildspec-lifecycle", &branch);

    ok(&run("deployer.yml", &env));
    let created = stack(&env["STACK_NAME"]).expect("stack exists after the deployer");
    assert_eq!(created["StackStatus"], "CREATE_COMPLETE");
    assert_eq!(
        parameter(&created, "BranchName"),
        branch,
        "the branch arrives as one exact value"
    );
    assert_eq!(parameter(&created, "PipelineName"), env["PIPELINE_NAME"]);
    assert!(
        !canary.exists(),
        "the branch name was executed by the shell"
    );

    // Idempotent: a second run of the same event is a no-op change set, not a failure.
    ok(&run("deployer.yml", &env));

    // Artifacts in this branch's folder and in another branch's folder.
    let mine = format!(
        "s3://buildspec-lifecycle/{}/Source/abc.zip",
        env["ARTIFACT_PREFIX"]
    );
    let theirs = "s3://buildspec-lifecycle/sy-ffffffffffff-paym/Source/abc.zip";
    let file = repo_root().join("infra/branch-pipeline.yaml");
    for uri in [mine.as_str(), theirs] {
        assert!(aws(&["s3", "cp", file.to_str().unwrap(), uri])
            .status
            .success());
    }

    ok(&run("destroyer.yml", &env));
    assert!(stack(&env["STACK_NAME"]).is_none(), "stack is gone");
    let listing =
        String::from_utf8(aws(&["s3", "ls", "--recursive", "s3://buildspec-lifecycle/"]).stdout)
            .unwrap();
    assert!(!listing.contains(&env["ARTIFACT_PREFIX"]), "{listing}");
    assert!(
        listing.contains("sy-ffffffffffff-paym/Source/abc.zip"),
        "another branch's folder stays: {listing}"
    );

    // Deleting again (duplicate event, or a branch that never had a stack) is success.
    let again = ok(&run("destroyer.yml", &env));
    assert!(
        again.contains("does not exist; nothing to delete"),
        "{again}"
    );
}

#[test]
fn builds_refuse_invalid_derived_names_before_calling_aws() {
    let mut env = setup("buildspec-invalid", "feature/y");
    env.insert("STACK_NAME", "bad name; rm -rf /".into());
    for spec in ["deployer.yml", "destroyer.yml"] {
        let out = run(spec, &env);
        assert!(
            !out.status.success(),
            "{spec} accepted an invalid STACK_NAME"
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("invalid STACK_NAME"),
            "{spec}"
        );
    }
    let mut env = setup("buildspec-invalid-2", "feature/y");
    env.insert("ARTIFACT_PREFIX", "../../".into());
    let out = run("destroyer.yml", &env);
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid ARTIFACT_PREFIX"));
    env.remove("ARTIFACT_BUCKET");
    let out = run("deployer.yml", &env);
    assert!(String::from_utf8_lossy(&out.stderr).contains("ARTIFACT_BUCKET is not set"));
}

/// Every provider CodeConnections supports: the deployer validates the provider, picks that host's
/// connection, and the stack moto creates gets that connection and the host's FullRepositoryId
/// form (moto's CloudFormation does not create the CodePipeline resource itself, so the source
/// action those parameters feed is checked by cfn-lint in tests/run.sh). Without the host's
/// connection, the deployer stops before calling AWS.
#[test]
fn the_deployer_creates_a_connection_sourced_pipeline_for_every_provider() {
    let cases = [
        (
            "github",
            "CONNECTION_ARN",
            "acme/payments-service",
            "acme/payments-service",
        ),
        (
            "github-enterprise",
            "GITHUB_ENTERPRISE_CONNECTION_ARN",
            "github-enterprise:ghe.acme.com/acme/payments-service",
            "acme/payments-service",
        ),
        (
            "gitlab",
            "GITLAB_CONNECTION_ARN",
            "gitlab:acme/payments/payments-service",
            "acme/payments/payments-service",
        ),
        (
            "gitlab-self-managed",
            "GITLAB_SELF_MANAGED_CONNECTION_ARN",
            "gitlab-self-managed:gitlab.acme.com/acme/payments/payments-service",
            "acme/payments/payments-service",
        ),
        (
            "bitbucket",
            "BITBUCKET_CONNECTION_ARN",
            "bitbucket:acme/payments-service",
            "acme/payments-service",
        ),
    ];
    let prefix = switchyard_core::naming::NamePrefix::parse("sy").unwrap();
    for (i, (provider, connection_var, repository, path)) in cases.into_iter().enumerate() {
        let mut env = setup(
            &format!("buildspec-provider-{i}"),
            "feature/PAY-142-refunds",
        );
        let names =
            switchyard_core::naming::branch_names(&prefix, repository, "feature/PAY-142-refunds");
        let connection = format!(
            "arn:aws:codeconnections:us-east-1:123456789012:connection/0000000{i}-1111-2222-3333-444444444444"
        );
        env.extend([
            ("SOURCE_PROVIDER", provider.to_owned()),
            ("REPOSITORY", repository.to_owned()),
            ("FULL_REPOSITORY_ID", path.to_owned()),
            ("PIPELINE_NAME", names.pipeline),
            ("STACK_NAME", names.stack),
            ("BUILD_PROJECT_NAME", names.build_project),
            ("ARTIFACT_PREFIX", names.artifact_prefix),
        ]);

        let refused = run("deployer.yml", &env);
        assert!(
            !refused.status.success(),
            "{provider}: deployed without a connection"
        );
        assert!(
            String::from_utf8_lossy(&refused.stderr)
                .contains(&format!("{connection_var} is not set")),
            "{provider}: {}",
            String::from_utf8_lossy(&refused.stderr)
        );
        assert!(
            stack(&env["STACK_NAME"]).is_none(),
            "{provider}: a stack without a connection"
        );

        env.insert(connection_var, connection.clone());
        ok(&run("deployer.yml", &env));
        let created = stack(&env["STACK_NAME"]).expect("stack exists after the deployer");
        assert_eq!(created["StackStatus"], "CREATE_COMPLETE", "{provider}");
        assert_eq!(parameter(&created, "SourceProvider"), provider);
        assert_eq!(parameter(&created, "RepositoryName"), path);
        assert_eq!(
            parameter(&created, "ConnectionArn"),
            connection,
            "{provider}"
        );
        assert_eq!(parameter(&created, "BranchName"), "feature/PAY-142-refunds");
        ok(&run("destroyer.yml", &env));
        assert!(
            stack(&env["STACK_NAME"]).is_none(),
            "{provider}: stack is gone"
        );
    }

    let mut env = setup("buildspec-provider-unknown", "feature/z");
    env.insert("SOURCE_PROVIDER", "gitea".into());
    let out = run("deployer.yml", &env);
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid SOURCE_PROVIDER"));
}
