//! The deployer and destroyer buildspecs (infra/buildspecs/) run as CodeBuild would run their
//! commands: bash, pre_build then build (a failed phase ends the build), with the environment
//! branch-pipelines and the project set, and the real AWS CLI talking to a real moto server
//! (CloudFormation, S3, SSM, IAM). infra/ is published by the real `infra/publish.sh`. CodeBuild
//! itself cannot run here; everything it calls can.

use std::collections::BTreeMap;
use std::process::{Command, Output};

use std::sync::OnceLock;

use serde_json::Value;
use switchyard_adapters::aws::cloudformation::AwsStacks;
use switchyard_core::branch_pipelines::{decide, teardown, BranchConfig, HostConfirmation};
use switchyard_core::branch_stacks::{BranchStack, BranchStackReader, StackImports};
use switchyard_core::plan::{Action, Decision};
use switchyard_core::ports::ObserveError;
use switchyard_core::refs::{RefKind, RefName};
use switchyard_core::sources::{RefChange, RefEvent, RefSource};
use switchyard_test_support::git_hosts::{
    branch as live_branch, GitHostServer, GitHubRepository, GITHUB_TOKEN,
};
use switchyard_test_support::{moto, repo_root};

/// CodeCommit's `GetBranch`, which moto lacks, answered by the harness's local server: the builds
/// ask it whether the branch exists before acting.
fn codecommit() -> &'static GitHostServer {
    static SERVER: OnceLock<GitHostServer> = OnceLock::new();
    SERVER.get_or_init(GitHostServer::start)
}

/// Sets whether CodeCommit lists `branch` of [`REPOSITORY`]: the tests run at once, each with its
/// own branches, so the repository's listing is the union of every test's live branches.
fn live(branch: &str, is_live: bool) {
    static LIVE: std::sync::Mutex<std::collections::BTreeSet<String>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    let mut branches = LIVE.lock().unwrap();
    if is_live {
        branches.insert(branch.to_owned());
    } else {
        branches.remove(branch);
    }
    let listed = branches.iter().map(|b| live_branch(b, 1)).collect();
    codecommit().codecommit_repository(REPOSITORY, listed);
}

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

/// A working directory of one build: the tests run at once, and builds write files (err.txt…).
fn fresh_dir(what: &str) -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("switchyard-{what}-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the buildspec's phases in a fresh directory; the first failing phase ends the build.
fn run(file: &str, env: &BTreeMap<String, String>) -> Output {
    let workdir = fresh_dir("buildspec");
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
            .env("AWS_ENDPOINT_URL_CODECOMMIT", &codecommit().url)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
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

const REPOSITORY: &str = "payments-service";
const COMMIT: &str = "4c1e7d0b9a8f7e6d5c4b3a29182736455463728a";

fn config() -> BranchConfig {
    let vars = switchyard_test_support::env::string_map(&[
        ("BRANCH_DEPLOYER_PROJECT", "switchyard-branch-deployer"),
        ("BRANCH_DESTROYER_PROJECT", "switchyard-branch-destroyer"),
        ("BRANCH_REPOSITORIES", REPOSITORY),
    ]);
    BranchConfig::from_vars(&vars).unwrap()
}

fn event(branch: &str, change: RefChange) -> RefEvent {
    RefEvent {
        source: RefSource::CodeCommit,
        event_id: format!("evt-{branch}"),
        repository: REPOSITORY.into(),
        kind: RefKind::Branch,
        name: RefName::parse(branch).unwrap(),
        change,
        default_branch: None,
        base_ref: None,
    }
}

/// The environment branch-pipelines gives the build for `branch`'s creation (no plan) or
/// deletion (with its teardown plan): its StartBuild overrides.
fn decided_env(
    branch: &str,
    teardown: Option<&teardown::TeardownPlan>,
) -> BTreeMap<String, String> {
    let change = match teardown {
        None => RefChange::Created {
            commit: Some(COMMIT.into()),
        },
        Some(_) => RefChange::Deleted {
            old_commit: Some(COMMIT.into()),
        },
    };
    // CodeCommit is asked by the builds themselves here (the function's own question is
    // tests/branch_sweep.rs's): the host is taken as agreeing.
    let decision = decide(
        &event(branch, change),
        &config(),
        &HostConfirmation::Unavailable,
        teardown,
    );
    build_env(&decision)
}

/// The environment of the one build `decision` starts: its StartBuild overrides.
fn build_env(decision: &Decision) -> BTreeMap<String, String> {
    let [Action::StartBuild(build)] = decision.actions.as_slice() else {
        panic!("expected one StartBuild: {decision:?}");
    };
    build
        .environment_variables_override
        .iter()
        .map(|v| (v.name.clone(), v.value.clone()))
        .collect()
}

/// The project's own variables (template.yaml's BranchDeployer; BranchDestroyer has the first
/// three, which `destroyer_env` copies).
fn installation(bucket: &str, digests: String) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "INFRA_S3_URI".to_owned(),
            format!("s3://{bucket}/_switchyard/infra/"),
        ),
        ("INFRA_DIGESTS".to_owned(), digests),
        ("ARTIFACT_BUCKET".to_owned(), bucket.to_owned()),
        (
            "PIPELINE_ROLE_ARN".to_owned(),
            "arn:aws:iam::123456789012:role/switchyard-branch-pipeline".to_owned(),
        ),
        (
            "EVENTS_ROLE_ARN".to_owned(),
            "arn:aws:iam::123456789012:role/switchyard-branch-events".to_owned(),
        ),
        (
            "BRANCH_PERMISSIONS_BOUNDARY_ARN".to_owned(),
            "arn:aws:iam::123456789012:policy/switchyard-branch-boundary".to_owned(),
        ),
    ])
}

/// A bucket holding the published infra/, and the environment the deployer gets for `branch`
/// (exactly what branch-pipelines decides for its creation).
fn setup(bucket: &str, branch: &str) -> BTreeMap<String, String> {
    assert!(aws(&["s3", "mb", &format!("s3://{bucket}")])
        .status
        .success());
    let mut env = installation(bucket, publish(bucket));
    env.extend(decided_env(branch, None));
    live(branch, true);
    env
}

/// moto 5.2.5 has no `ListImports` (moto/cloudformation/responses.py implements ListExports but
/// not ListImports): the stacks come from moto's DescribeStacks through the real adapter, and
/// ListImports is answered by aws-smithy-mocks on the real SDK client, in the API's own shape,
/// with the imports the test itself deployed (`imports`: export → importing stacks).
struct MotoStacksWithImports {
    described: AwsStacks,
    imports: AwsStacks,
}

impl MotoStacksWithImports {
    async fn new(imports: BTreeMap<String, Vec<String>>) -> Self {
        use aws_sdk_cloudformation::operation::list_imports::{
            ListImportsError, ListImportsOutput,
        };
        use aws_smithy_mocks::{mock, mock_client, RuleMode};
        let rule =
            mock!(aws_sdk_cloudformation::Client::list_imports).then_compute_response(move |req| {
                let export = req.export_name().unwrap_or_default().to_owned();
                match imports.get(&export) {
                    Some(stacks) => aws_smithy_mocks::MockResponse::Output(
                        ListImportsOutput::builder()
                            .set_imports(Some(stacks.clone()))
                            .build(),
                    ),
                    None => aws_smithy_mocks::MockResponse::Error(ListImportsError::generic(
                        aws_smithy_types::error::ErrorMetadata::builder()
                            .code("ValidationError")
                            .message(format!("Export '{export}' is not imported by any stack."))
                            .build(),
                    )),
                }
            });
        let imports = AwsStacks::new(mock_client!(
            aws_sdk_cloudformation,
            RuleMode::MatchAny,
            [&rule]
        ));
        let sdk = moto().sdk().await;
        MotoStacksWithImports {
            described: AwsStacks::new(aws_sdk_cloudformation::Client::new(&sdk)),
            imports,
        }
    }
}

impl BranchStackReader for MotoStacksWithImports {
    async fn branch_stacks(&self) -> Result<Vec<BranchStack>, ObserveError> {
        self.described.branch_stacks().await
    }
}

impl StackImports for MotoStacksWithImports {
    async fn importing_stacks(&self, export: &str) -> Result<Vec<String>, ObserveError> {
        self.imports.importing_stacks(export).await
    }
}

/// The destroyer's environment for `branch`, as branch-pipelines decides it for the deletion:
/// the teardown plan observed from moto (and the given imports).
async fn destroyer_env(
    deployer: &BTreeMap<String, String>,
    branch: &str,
    imports: BTreeMap<String, Vec<String>>,
) -> BTreeMap<String, String> {
    live(branch, false);
    let stacks = MotoStacksWithImports::new(imports).await;
    let plan = teardown::observe(&stacks, &deployer["BRANCH_ID"])
        .await
        .unwrap();
    let mut env = decided_env(branch, Some(&plan));
    for project_var in ["ARTIFACT_BUCKET", "INFRA_S3_URI", "INFRA_DIGESTS"] {
        env.insert(project_var.into(), deployer[project_var].clone());
    }
    env
}

/// What a repository's buildspec runs to deploy one environment stack (the README's line), with
/// the variables the branch's build project sets (infra/branch-pipeline.yaml): the stack name
/// under the branch's prefix, the branch's tags, the branch's CloudFormation role.
fn branch_build_deploys(
    deployer: &BTreeMap<String, String>,
    suffix: &str,
    template: &str,
) -> String {
    let role = aws(&[
        "iam",
        "get-role",
        "--role-name",
        &format!("{}cfn", deployer["ENVIRONMENT_STACK_PREFIX"]),
        "--output",
        "json",
    ]);
    let role: Value = serde_json::from_slice(&role.stdout)
        .expect("the pipeline stack created the branch's deploy role");
    assert_eq!(
        role["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"],
        deployer["BRANCH_PERMISSIONS_BOUNDARY_ARN"].as_str(),
        "the branch's role is created inside the boundary"
    );
    let workdir = fresh_dir("branch-build");
    std::fs::write(workdir.join(format!("{suffix}.yaml")), template).unwrap();
    let out = Command::new("bash")
        .arg("-c")
        .arg(r#"set -euo pipefail
aws cloudformation deploy --stack-name "${SWITCHYARD_STACK_PREFIX}$SUFFIX" --template-file "$SUFFIX.yaml" \
  --role-arn "$SWITCHYARD_CFN_ROLE_ARN" --tags $SWITCHYARD_STACK_TAGS --no-fail-on-empty-changeset"#)
        .current_dir(&workdir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("HOME", std::env::temp_dir())
        .env("AWS_ENDPOINT_URL", &moto().endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("SUFFIX", suffix)
        .env("SWITCHYARD_STACK_PREFIX", &deployer["ENVIRONMENT_STACK_PREFIX"])
        .env("SWITCHYARD_STACK_TAGS", &deployer["STACK_TAGS"])
        .env("SWITCHYARD_CFN_ROLE_ARN", role["Role"]["Arn"].as_str().unwrap())
        .output()
        .unwrap();
    ok(&out);
    format!("{}{suffix}", deployer["ENVIRONMENT_STACK_PREFIX"])
}

/// A queue whose ARN is exported as `export`.
fn exporter(export: &str) -> String {
    format!(
        "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\nOutputs:\n  QueueArn:\n    Value: !GetAtt Queue.Arn\n    Export:\n      Name: {export}\n"
    )
}

/// A parameter holding the value of `export`.
fn importer(export: &str) -> String {
    format!(
        "Resources:\n  QueueArn:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Name: !Sub /${{AWS::StackName}}/queue-arn\n      Type: String\n      Value: !ImportValue {export}\n"
    )
}

/// The branch's tags (STACK_TAGS) as (key, value) pairs.
fn branch_tags(env: &BTreeMap<String, String>) -> Vec<(String, String)> {
    env["STACK_TAGS"]
        .split(' ')
        .map(|t| {
            let (k, v) = t.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

fn create_stack(name: &str, template: &str, tags: &[(String, String)], protected: bool) {
    let tags: Vec<String> = tags
        .iter()
        .map(|(k, v)| format!("Key={k},Value={v}"))
        .collect();
    let mut args = vec![
        "cloudformation",
        "create-stack",
        "--stack-name",
        name,
        "--template-body",
        template,
    ];
    if !tags.is_empty() {
        args.push("--tags");
        args.extend(tags.iter().map(String::as_str));
    }
    if protected {
        args.push("--enable-termination-protection");
    }
    ok(&aws(&args));
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

/// The lines the destroyer printed for the stacks it deleted, in order.
fn deleted(output: &str) -> Vec<String> {
    output
        .lines()
        .filter_map(|l| l.strip_prefix("destroyer: deleted stack "))
        .map(str::to_owned)
        .collect()
}

fn put_artifact(bucket: &str, folder: &str) {
    let file = repo_root().join("infra/branch-pipeline.yaml");
    let uri = format!("s3://{bucket}/{folder}/Source/abc.zip");
    assert!(aws(&["s3", "cp", file.to_str().unwrap(), &uri])
        .status
        .success());
}

fn listing(bucket: &str) -> String {
    String::from_utf8(aws(&["s3", "ls", "--recursive", &format!("s3://{bucket}/")]).stdout).unwrap()
}

/// Deploys a branch's pipeline stack and one environment stack, tears the branch down, and
/// checks that nothing of it is left and the other folder stays.
async fn lifecycle(bucket: &str, branch: &str) -> BTreeMap<String, String> {
    let env = setup(bucket, branch);
    ok(&run("deployer.yml", &env));
    let created = stack(&env["STACK_NAME"]).expect("stack exists after the deployer");
    assert_eq!(created["StackStatus"], "CREATE_COMPLETE");
    assert_eq!(
        parameter(&created, "BranchName"),
        branch,
        "the branch arrives as one exact value"
    );
    assert_eq!(parameter(&created, "PipelineName"), env["PIPELINE_NAME"]);
    let tags: BTreeMap<String, String> = created["Tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["Key"].as_str().unwrap().to_owned(),
                t["Value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(tags["switchyard:branch-id"], env["BRANCH_ID"]);
    assert_eq!(tags["switchyard:repository"], REPOSITORY);
    assert_eq!(
        switchyard_core::naming::branch_from_tag_value(&tags["switchyard:branch"]).as_deref(),
        Some(branch)
    );
    assert_eq!(tags["switchyard:pipeline"], env["PIPELINE_NAME"]);

    // Idempotent: a second run of the same event is a no-op change set, not a failure.
    ok(&run("deployer.yml", &env));

    let queue = branch_build_deploys(
        &env,
        "queue",
        &exporter(&format!("{}queue-arn", env["ENVIRONMENT_STACK_PREFIX"])),
    );
    put_artifact(bucket, &env["ARTIFACT_PREFIX"]);
    put_artifact(bucket, "sy-ffffffffffffffffff");

    let destroy = destroyer_env(&env, branch, BTreeMap::new()).await;
    assert_eq!(destroy["TEARDOWN_STACKS"], queue);
    let out = ok(&run("destroyer.yml", &destroy));
    assert_eq!(
        deleted(&out),
        [queue.clone(), env["STACK_NAME"].clone()],
        "{out}"
    );
    assert!(stack(&queue).is_none() && stack(&env["STACK_NAME"]).is_none());
    let left = listing(bucket);
    assert!(!left.contains(&env["ARTIFACT_PREFIX"]), "{left}");
    assert!(
        left.contains("sy-ffffffffffffffffff/Source/abc.zip"),
        "another branch's folder stays: {left}"
    );
    env
}

#[tokio::test]
async fn deployer_then_destroyer_with_a_hostile_branch_name() {
    let canary = std::env::temp_dir().join(format!("switchyard-pwned-{}", std::process::id()));
    let branch = format!("feature/x;$(touch${{IFS}}{})`id`|sh", canary.display());
    let env = lifecycle("buildspec-lifecycle", &branch).await;
    assert!(
        !canary.exists(),
        "the branch name was executed by the shell"
    );
    // Deleting again (duplicate event, or a branch that never had a stack) is success.
    let again = destroyer_env(&env, &branch, BTreeMap::new()).await;
    assert_eq!(again["TEARDOWN_STACKS"], "");
    let out = ok(&run("destroyer.yml", &again));
    assert!(out.contains("is already gone"), "{out}");
    assert!(deleted(&out).is_empty(), "{out}");
}

#[tokio::test]
async fn a_branch_whose_names_truncate_is_torn_down_exactly() {
    let branch = format!("feature/{}", "very-long-name-".repeat(16));
    let env = lifecycle("buildspec-long-branch", &branch).await;
    assert_eq!(
        env["PIPELINE_NAME"].len(),
        100,
        "the pipeline name was shortened"
    );
    assert_eq!(env["STACK_NAME"].len(), 128, "the stack name was shortened");
    assert!(env["STACK_NAME"].ends_with(&env["BRANCH_ID"]));
}

#[tokio::test]
async fn teardown_deletes_exactly_the_branch_stacks_importers_first() {
    let x = setup("buildspec-teardown", "feature/x");
    ok(&run("deployer.yml", &x));
    let prefix = x["ENVIRONMENT_STACK_PREFIX"].clone();
    let export = format!("{prefix}queue-arn");
    // moto 5.2.5 resolves exports and imports only on CreateStack: a stack a change set creates
    // (`cloudformation deploy`) neither registers its exports nor sees anyone else's
    // (moto/cloudformation/models.py: create_change_set builds its Stack without
    // cross_stack_resources, and `self.exports` is written in create_stack only). So both stacks
    // of this test are created with create-stack and the branch's tags; the README's `deploy`
    // line is what the lifecycle tests run.
    let queue = format!("{prefix}queue");
    create_stack(&queue, &exporter(&export), &branch_tags(&x), false);
    let api = format!("{prefix}api");
    create_stack(&api, &importer(&export), &branch_tags(&x), false);

    // Branch Y's environment, and an untagged stack whose name starts with X's prefix.
    let y = setup("buildspec-teardown-y", "feature/y");
    ok(&run("deployer.yml", &y));
    let y_stack = branch_build_deploys(
        &y,
        "queue",
        &exporter(&format!("{}queue-arn", y["ENVIRONMENT_STACK_PREFIX"])),
    );
    let lookalike = format!("{prefix}lookalike");
    create_stack(&lookalike, &exporter("lookalike-arn"), &[], false);
    put_artifact("buildspec-teardown", &x["ARTIFACT_PREFIX"]);

    let imports = BTreeMap::from([(export.clone(), vec![api.clone()])]);
    let destroy = destroyer_env(&x, "feature/x", imports).await;
    assert_eq!(
        destroy["TEARDOWN_STACKS"],
        format!("{api} {queue}"),
        "importer first"
    );
    let out = ok(&run("destroyer.yml", &destroy));
    println!("the destroyer deleted, in order: {:?}", deleted(&out));
    assert_eq!(
        deleted(&out),
        [api.clone(), queue.clone(), x["STACK_NAME"].clone()],
        "{out}"
    );
    let folder_removed = out.find("destroyer: removed s3://").unwrap();
    assert!(
        out.find(&format!("deleted stack {}", x["STACK_NAME"]))
            .unwrap()
            < folder_removed
    );
    for gone in [&api, &queue, &x["STACK_NAME"]] {
        assert!(stack(gone).is_none(), "{gone} is left");
    }
    for kept in [&y_stack, &y["STACK_NAME"], &lookalike] {
        assert!(stack(kept).is_some(), "{kept} was touched");
    }
    assert!(!listing("buildspec-teardown").contains(&x["ARTIFACT_PREFIX"]));

    // A second run succeeds and deletes nothing.
    let again = destroyer_env(&x, "feature/x", BTreeMap::new()).await;
    let out = ok(&run("destroyer.yml", &again));
    assert!(deleted(&out).is_empty(), "{out}");
    let out = ok(&run("destroyer.yml", &destroy));
    assert!(
        deleted(&out).is_empty(),
        "the first plan, rerun, finds everything gone: {out}"
    );
}

/// Each build asks CodeCommit again just before acting: a deployer queued for a branch deleted
/// since deploys nothing, a destroyer queued for a branch re-created since tears nothing down.
#[test]
fn builds_recheck_the_branch_before_acting() {
    let mut env = setup("buildspec-recheck", "feature/recheck");
    env.insert("REPOSITORY".into(), "recheck-service".into());
    codecommit().codecommit_repository("recheck-service", vec![]);
    let out = ok(&run("deployer.yml", &env));
    assert!(
        out.contains("no longer has the branch; nothing deployed"),
        "{out}"
    );
    assert!(
        stack(&env["STACK_NAME"]).is_none(),
        "no stack for a deleted branch"
    );

    codecommit().codecommit_repository("recheck-service", vec![live_branch("feature/recheck", 1)]);
    ok(&run("deployer.yml", &env));
    assert!(stack(&env["STACK_NAME"]).is_some());
    let out = ok(&run("destroyer.yml", &env));
    assert!(
        out.contains("still has the branch; nothing torn down"),
        "{out}"
    );
    assert!(
        stack(&env["STACK_NAME"]).is_some(),
        "the live branch's stack stays"
    );

    // A CodeCommit that cannot answer fails the build: nothing is done on a guess.
    env.insert("REPOSITORY".into(), "no-such-repository".into());
    let out = run("destroyer.yml", &env);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("RepositoryDoesNotExist"));
    assert!(stack(&env["STACK_NAME"]).is_some());
}

/// `branch`'s deployer environment for a repository of another host: `provider`'s source, its
/// repository path, its connection, and (with `token`) the token CodeBuild resolves from Secrets
/// Manager and the API URL, both pointing at the local server.
fn hosted_env(
    bucket: &str,
    branch: &str,
    provider: &str,
    path: &str,
    (connection_var, token_var, url_var): (&str, &str, &str),
) -> BTreeMap<String, String> {
    let mut env = setup(bucket, branch);
    for (k, v) in [
        ("SOURCE_PROVIDER", provider),
        ("FULL_REPOSITORY_ID", path),
        (
            connection_var,
            "arn:aws:codeconnections:us-east-1:123456789012:connection/00000000-1111-2222-3333-444444444444",
        ),
        (token_var, GITHUB_TOKEN),
        (url_var, &codecommit().url),
    ] {
        env.insert(k.to_owned(), v.to_owned());
    }
    env
}

/// Every line the build printed, with the token nowhere in it.
fn without_token(out: &Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains(GITHUB_TOKEN),
        "the token reached the log:\n{text}"
    );
    text
}

/// With the host's token, each build asks GitHub itself (infra/branch-check.sh, through the real
/// curl): a deployer for a branch GitHub no longer has deploys nothing, a destroyer for a branch
/// it still has tears nothing down, a host that cannot answer (500, rate limit) fails the build
/// and changes nothing; the untrusted name is URL-encoded, never run; the token stays out of the
/// log. Without a token, the build says it relies on the function's confirmation.
#[test]
fn builds_ask_github_with_its_token_before_acting() {
    let canary = std::env::temp_dir().join(format!("switchyard-gh-pwned-{}", std::process::id()));
    let branch = format!("feature/x;$(touch${{IFS}}{})`id`|sh", canary.display());
    let github = ("CONNECTION_ARN", "GITHUB_TOKEN", "GITHUB_API_URL");
    let env = hosted_env(
        "buildspec-recheck-github",
        &branch,
        "github",
        "acme/recheck-gh",
        github,
    );
    let repository = |branches, rate_limited, server_error| GitHubRepository {
        id: 4242,
        branches,
        rate_limited,
        server_error,
        ..Default::default()
    };
    let server = codecommit();
    server.github_repository("acme/recheck-gh", repository(vec![], false, false));
    let out = run("deployer.yml", &env);
    let text = without_token(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("github no longer has the branch; nothing deployed"),
        "{text}"
    );
    assert!(
        stack(&env["STACK_NAME"]).is_none(),
        "no stack for a deleted branch"
    );

    server.github_repository(
        "acme/recheck-gh",
        repository(vec![live_branch(&branch, 1)], false, false),
    );
    let text = without_token(&run("deployer.yml", &env));
    assert!(text.contains("github has the branch"), "{text}");
    assert!(stack(&env["STACK_NAME"]).is_some(), "{text}");
    let asked = server.requests();
    // jq's @uri leaves only unreserved characters and `()` (harmless in a path) as they are.
    let encoded = "GET /repos/acme/recheck-gh/branches/feature%2Fx%3B%24(touch%24%7BIFS%7D%2F";
    let check = asked
        .iter()
        .find(|r| r.starts_with(encoded))
        .unwrap_or_else(|| panic!("{asked:?}"));
    assert!(check.ends_with("%60id%60%7Csh"), "{check}");
    assert!(
        !canary.exists(),
        "the branch name was executed by the shell"
    );

    let out = run("destroyer.yml", &env);
    let text = without_token(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("github still has the branch; nothing torn down"),
        "{text}"
    );
    assert!(
        stack(&env["STACK_NAME"]).is_some(),
        "the live branch's stack stays"
    );

    // A host that cannot answer fails the build: nothing is done on a guess.
    for (rate_limited, server_error, status) in [(true, false, "403"), (false, true, "500")] {
        server.github_repository(
            "acme/recheck-gh",
            repository(vec![], rate_limited, server_error),
        );
        for build in ["deployer.yml", "destroyer.yml"] {
            let out = run(build, &env);
            let text = without_token(&out);
            assert!(!out.status.success(), "{build} acted on a {status}: {text}");
            assert!(
                text.contains(&format!("github answered {status}")),
                "{text}"
            );
            assert!(stack(&env["STACK_NAME"]).is_some(), "{build}: {text}");
        }
    }

    // Without a token the function's confirmation stands, and the log says so.
    server.github_repository("acme/recheck-gh", repository(vec![], false, false));
    let mut untokened = env.clone();
    untokened.remove("GITHUB_TOKEN");
    let text = without_token(&run("deployer.yml", &untokened));
    assert!(
        text.contains("no github token in this build; the branch was confirmed by the function"),
        "{text}"
    );

    // Gone at the host: the destroyer tears the branch down.
    let text = without_token(&run("destroyer.yml", &env));
    assert!(text.contains("github no longer has the branch"), "{text}");
    assert!(stack(&env["STACK_NAME"]).is_none(), "{text}");
}

/// GitLab and Bitbucket Cloud, asked the same way in their own API shapes: a missing branch
/// deploys nothing, a present one is torn down by nothing, and GitLab's "Project Not Found" (a
/// project the token cannot see) is an error, not a missing branch.
#[test]
fn builds_ask_gitlab_and_bitbucket_with_their_tokens_before_acting() {
    let server = codecommit();
    let hosts = [
        (
            "gitlab",
            "acme/payments/recheck",
            ("GITLAB_CONNECTION_ARN", "GITLAB_TOKEN", "GITLAB_API_URL"),
        ),
        (
            "bitbucket",
            "acme/recheck",
            (
                "BITBUCKET_CONNECTION_ARN",
                "BITBUCKET_TOKEN",
                "BITBUCKET_API_URL",
            ),
        ),
    ];
    for (provider, path, vars) in hosts {
        let branch = &format!("feature/{provider}-7;$HOME&x");
        let env = hosted_env(
            &format!("buildspec-recheck-{provider}"),
            branch,
            provider,
            path,
            vars,
        );
        let listed = |branches: Vec<_>| match provider {
            "gitlab" => server.gitlab_project(path, branches),
            _ => server.bitbucket_repository(path, branches),
        };
        listed(vec![]);
        let text = without_token(&run("deployer.yml", &env));
        assert!(
            text.contains(&format!(
                "{provider} no longer has the branch; nothing deployed"
            )),
            "{text}"
        );
        assert!(stack(&env["STACK_NAME"]).is_none(), "{provider}: {text}");

        listed(vec![live_branch(branch, 1)]);
        let text = without_token(&run("deployer.yml", &env));
        assert!(
            text.contains(&format!("{provider} has the branch")),
            "{text}"
        );
        assert!(stack(&env["STACK_NAME"]).is_some(), "{provider}: {text}");
        let text = without_token(&run("destroyer.yml", &env));
        assert!(
            text.contains(&format!(
                "{provider} still has the branch; nothing torn down"
            )),
            "{text}"
        );
        assert!(stack(&env["STACK_NAME"]).is_some(), "{provider}: {text}");
    }
    let asked = server.requests();
    for encoded in [
        "/projects/acme%2Fpayments%2Frecheck/repository/branches/feature%2Fgitlab-7%3B%24HOME%26x",
        "/repositories/acme/recheck/refs/branches/feature%2Fbitbucket-7%3B%24HOME%26x",
    ] {
        assert!(
            asked.iter().any(|r| r.contains(encoded)),
            "{encoded}: {asked:?}"
        );
    }

    let unknown = hosted_env(
        "buildspec-recheck-gitlab-unknown",
        "feature/not-visible",
        "gitlab",
        "acme/payments/not-visible",
        hosts[0].2,
    );
    let out = run("deployer.yml", &unknown);
    let text = without_token(&out);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("gitlab answered 404") && text.contains("Project Not Found"),
        "{text}"
    );
}

#[tokio::test]
async fn a_protected_stack_fails_the_teardown_after_the_rest_is_deleted() {
    let x = setup("buildspec-protected", "feature/protected");
    ok(&run("deployer.yml", &x));
    let prefix = x["ENVIRONMENT_STACK_PREFIX"].clone();
    let free = branch_build_deploys(&x, "free", &exporter(&format!("{prefix}free-arn")));
    let tags = branch_tags(&x);
    let protected = format!("{prefix}protected");
    let protected_template = exporter(&format!("{prefix}protected-arn"));
    create_stack(&protected, &protected_template, &tags, true);

    let destroy = destroyer_env(&x, "feature/protected", BTreeMap::new()).await;
    let out = run("destroyer.yml", &destroy);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains(&format!("{protected}: termination protection is enabled")),
        "{text}"
    );
    assert_eq!(
        deleted(&text),
        std::slice::from_ref(&free),
        "the rest is deleted: {text}"
    );
    assert!(stack(&protected).is_some());
    assert!(
        stack(&x["STACK_NAME"]).is_some(),
        "the pipeline stack stays until its environment is gone"
    );

    // Protection lifted. moto 5.2.5 has no UpdateTerminationProtection (and its DeleteStack
    // ignores protection): the stack is replaced by the same stack without protection, which is
    // the state `update-termination-protection --no-enable-termination-protection` leaves.
    ok(&aws(&[
        "cloudformation",
        "delete-stack",
        "--stack-name",
        &protected,
    ]));
    create_stack(&protected, &protected_template, &tags, false);
    let out = ok(&run("destroyer.yml", &destroy));
    assert_eq!(
        deleted(&out),
        [protected.clone(), x["STACK_NAME"].clone()],
        "{out}"
    );
}

#[tokio::test]
async fn builds_refuse_invalid_derived_names_before_calling_aws() {
    let mut env = setup("buildspec-invalid", "feature/y");
    env.insert("STACK_NAME".into(), "bad name; rm -rf /".into());
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
    env.insert("ARTIFACT_PREFIX".into(), "../../".into());
    let out = run("destroyer.yml", &env);
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid ARTIFACT_PREFIX"));
    let mut tags = env.clone();
    tags.insert(
        "STACK_TAGS".into(),
        "switchyard:branch=$(id) other=1".into(),
    );
    let out = run("deployer.yml", &tags);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("invalid"),
        "{out:?}"
    );
    let mut plan = env.clone();
    plan.insert(
        "ARTIFACT_PREFIX".into(),
        plan["PIPELINE_NAME"][..20].to_owned(),
    );
    plan.insert("TEARDOWN_STACKS".into(), "ok-stack ../../etc".into());
    let out = run("destroyer.yml", &plan);
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid TEARDOWN_STACKS"));
    env.remove("ARTIFACT_BUCKET");
    let out = run("deployer.yml", &env);
    assert!(String::from_utf8_lossy(&out.stderr).contains("ARTIFACT_BUCKET is not set"));
}

/// A source zip as CodePipeline stores a Source artifact, holding `files`.
fn source_zip(files: &[(&str, &str)]) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body) in files {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[tokio::test]
async fn a_declared_destroy_step_runs_through_the_branch_project_before_the_stacks_go() {
    let bucket = "buildspec-destroy-step";
    let x = setup(bucket, "feature/terraform");
    ok(&run("deployer.yml", &x));
    let stack = branch_build_deploys(
        &x,
        "queue",
        &exporter(&format!("{}tf-arn", x["ENVIRONMENT_STACK_PREFIX"])),
    );
    // moto does not create CodeBuild projects from CloudFormation templates, so the branch's
    // project (which the pipeline stack declares) is created here under its name.
    switchyard_test_support::create_codebuild_project(
        &moto().sdk().await,
        &x["BUILD_PROJECT_NAME"],
    )
    .await;
    let key = format!("{}/Source/last.zip", x["ARTIFACT_PREFIX"]);
    let zip = fresh_dir("source").join("last.zip");
    std::fs::write(
        &zip,
        source_zip(&[
            ("buildspec.yml", "version: 0.2\n"),
            (
                "switchyard/destroy-buildspec.yml",
                "version: 0.2\nphases: {build: {commands: [terraform destroy -auto-approve]}}\n",
            ),
        ]),
    )
    .unwrap();
    ok(&aws(&[
        "s3",
        "cp",
        zip.to_str().unwrap(),
        &format!("s3://{bucket}/{key}"),
    ]));

    let destroy = destroyer_env(&x, "feature/terraform", BTreeMap::new()).await;
    let out = ok(&run("destroyer.yml", &destroy));
    let started: Vec<Value> = moto()
        .recorded("StartBuild")
        .into_iter()
        .filter(|b| b["projectName"] == x["BUILD_PROJECT_NAME"].as_str())
        .collect();
    assert_eq!(started.len(), 1, "{started:?}");
    let build = &started[0];
    assert_eq!(
        build["buildspecOverride"],
        "switchyard/destroy-buildspec.yml"
    );
    assert_eq!(build["sourceTypeOverride"], "S3");
    assert_eq!(build["sourceLocationOverride"], format!("{bucket}/{key}"));
    assert_eq!(build["artifactsOverride"]["type"], "NO_ARTIFACTS");
    let ran = out
        .find("running switchyard/destroy-buildspec.yml")
        .expect(&out);
    assert!(
        ran < out.find(&format!("deleted stack {stack}")).expect(&out),
        "{out}"
    );
    assert_eq!(deleted(&out), [stack, x["STACK_NAME"].clone()], "{out}");
}

#[tokio::test]
async fn the_deployer_refuses_a_tampered_template_naming_it_and_creates_no_stack() {
    let mut env = setup("buildspec-tampered", "feature/z");
    // What a write to _switchyard/infra/ would do without the bucket policy's Deny: a template
    // that also grants the attacker a role.
    let tampered = fresh_dir("tampered").join("branch-pipeline.yaml");
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
        "INFRA_DIGESTS".into(),
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
    env.insert("INFRA_DIGESTS".into(), publish("buildspec-tampered"));
    ok(&run("deployer.yml", &env));
    assert!(stack(&env["STACK_NAME"]).is_some());
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
    let ids: Vec<&str> = cases
        .iter()
        .map(|(_, _, repository, _)| *repository)
        .collect();
    let config = BranchConfig::from_vars(&switchyard_test_support::env::string_map(&[
        ("BRANCH_DEPLOYER_PROJECT", "switchyard-branch-deployer"),
        ("BRANCH_DESTROYER_PROJECT", "switchyard-branch-destroyer"),
        ("BRANCH_REPOSITORIES", &ids.join(",")),
    ]))
    .unwrap();
    for (i, (provider, connection_var, repository, path)) in cases.into_iter().enumerate() {
        let mut env = setup(
            &format!("buildspec-provider-{i}"),
            "feature/PAY-142-refunds",
        );
        let connection = format!(
            "arn:aws:codeconnections:us-east-1:123456789012:connection/0000000{i}-1111-2222-3333-444444444444"
        );
        // What branch-pipelines decides for this host's branch creation.
        let created = RefEvent {
            source: RefSource::ALL
                .into_iter()
                .find(|s| s.as_str() == provider)
                .unwrap(),
            repository: repository.to_owned(),
            ..event(
                "feature/PAY-142-refunds",
                RefChange::Created {
                    commit: Some(COMMIT.into()),
                },
            )
        };
        env.extend(build_env(&decide(
            &created,
            &config,
            &HostConfirmation::Unavailable,
            None,
        )));
        assert_eq!(env["FULL_REPOSITORY_ID"], path, "{provider}");

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

        env.insert(connection_var.to_owned(), connection.clone());
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
    env.insert("SOURCE_PROVIDER".into(), "gitea".into());
    let out = run("deployer.yml", &env);
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid SOURCE_PROVIDER"));
}
