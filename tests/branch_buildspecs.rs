//! The deployer and destroyer buildspecs (infra/buildspecs/) run as CodeBuild would run their
//! commands: bash, pre_build then build (a failed phase ends the build), with the environment
//! branch-pipelines and the project set, and the real AWS CLI talking to a real moto server
//! (CloudFormation, S3, SSM). infra/ is published by the real `infra/publish.sh`. CodeBuild itself
//! cannot run here; everything it calls can.

use std::collections::BTreeMap;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;
use switchyard_test_support::{moto, repo_root};

/// The command block of each phase of a buildspec, in the order CodeBuild runs them.
fn phase_commands(file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(repo_root().join("infra/buildspecs").join(file)).unwrap();
    let spec: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(spec["version"], 0.2);
    assert_eq!(spec["env"]["shell"], "bash");
    assert_eq!(
        spec["phases"]["pre_build"]["on-failure"], "ABORT",
        "{file}: a failed verification ends the build"
    );
    ["pre_build", "build"]
        .iter()
        .map(|phase| {
            let commands = spec["phases"][phase]["commands"].as_array().unwrap();
            assert_eq!(
                commands.len(),
                1,
                "{file} {phase}: one block, so `set -euo pipefail` covers every command"
            );
            commands[0].as_str().unwrap().to_owned()
        })
        .collect()
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

/// Runs the buildspec's phases in a fresh directory; the first failing phase ends the build.
fn run(file: &str, env: &BTreeMap<&str, String>) -> Output {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let workdir = std::env::temp_dir().join(format!(
        "switchyard-buildspec-{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&workdir);
    std::fs::create_dir_all(&workdir).unwrap();
    let mut last = None;
    for commands in phase_commands(file) {
        let out = Command::new("bash")
            .arg("-c")
            .arg(commands)
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
            .unwrap();
        let failed = !out.status.success();
        last = Some(out);
        if failed {
            break;
        }
    }
    last.unwrap()
}

/// `infra/publish.sh` against moto: infra/ uploaded to the bucket's _switchyard/infra/, its
/// digests recorded in SSM. Returns them as CodeBuild resolves INFRA_DIGESTS (PARAMETER_STORE).
fn publish(bucket: &str) -> String {
    let parameter = format!("/switchyard/{bucket}/infra-digests");
    let out = Command::new(repo_root().join("infra/publish.sh"))
        .args([bucket, parameter.as_str()])
        .env("AWS_ENDPOINT_URL", &moto().endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .output()
        .unwrap();
    ok(&out);
    let out = aws(&[
        "ssm",
        "get-parameter",
        "--name",
        &parameter,
        "--query",
        "Parameter.Value",
        "--output",
        "text",
    ]);
    ok(&out);
    String::from_utf8(out.stdout).unwrap()
}

/// A bucket holding the published infra/, and the environment one branch's builds get.
fn setup(bucket: &str, branch: &str) -> BTreeMap<&'static str, String> {
    assert!(aws(&["s3", "mb", &format!("s3://{bucket}")])
        .status
        .success());
    let digests = publish(bucket);
    let prefix = switchyard_core::naming::NamePrefix::parse("sy").unwrap();
    let names = switchyard_core::naming::branch_names(&prefix, "payments-service", branch);
    BTreeMap::from([
        ("BRANCH_NAME", branch.to_owned()),
        ("REPOSITORY", "payments-service".to_owned()),
        (
            "COMMIT_ID",
            "4c1e7d0b9a8f7e6d5c4b3a29182736455463728a".to_owned(),
        ),
        ("SOURCE_PROVIDER", "codecommit".to_owned()),
        ("PIPELINE_NAME", names.pipeline),
        ("STACK_NAME", names.stack),
        ("BUILD_PROJECT_NAME", names.build_project),
        ("ARTIFACT_PREFIX", names.artifact_prefix),
        ("INFRA_S3_URI", format!("s3://{bucket}/_switchyard/infra/")),
        ("INFRA_DIGESTS", digests),
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

#[test]
fn the_deployer_refuses_a_tampered_template_naming_it_and_creates_no_stack() {
    let env = setup("buildspec-tampered", "feature/z");
    // What a write to _switchyard/infra/ would do without the bucket policy's Deny: a template
    // that also grants the attacker a role.
    let tampered =
        std::env::temp_dir().join(format!("switchyard-tampered-{}.yaml", std::process::id()));
    let original = std::fs::read_to_string(repo_root().join("infra/branch-pipeline.yaml")).unwrap();
    std::fs::write(&tampered, format!("{original}\n# and one more resource\n")).unwrap();
    let uri = format!("{}branch-pipeline.yaml", env["INFRA_S3_URI"]);
    ok(&aws(&["s3", "cp", tampered.to_str().unwrap(), &uri]));

    let out = run("deployer.yml", &env);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "the deployer ran a tampered template"
    );
    assert!(
        stderr.contains("refusing to run: branch-pipeline.yaml does not match its pinned SHA-256"),
        "{stderr}"
    );
    assert!(stack(&env["STACK_NAME"]).is_none(), "no stack was created");

    // No digest pinned for the file (never published, or the parameter still says so): refused.
    let mut unpinned = env.clone();
    unpinned.insert(
        "INFRA_DIGESTS",
        "unpublished: run infra/publish.sh (the PublishInfraCommand output)".into(),
    );
    let out = run("deployer.yml", &unpinned);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no pinned SHA-256 for branch-pipeline.yaml"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stack(&env["STACK_NAME"]).is_none());

    // Published again (the one command), the same build runs.
    let republished = BTreeMap::from_iter(env.clone().into_iter().map(|(k, v)| {
        if k == "INFRA_DIGESTS" {
            (k, publish("buildspec-tampered"))
        } else {
            (k, v)
        }
    }));
    ok(&run("deployer.yml", &republished));
    assert!(stack(&env["STACK_NAME"]).is_some());
}
