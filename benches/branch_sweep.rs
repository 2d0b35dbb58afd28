//! Sweep benchmark: 1,000 branch stacks (500 branches, each a pipeline stack and one environment
//! stack) and 1,000 live GitHub branches, through the sweep the Lambda runs.
//!
//! 1. Calls: the real sweep (`BranchPipelines::handle` on `AwsPorts`) against moto (the stacks,
//!    the deployer / destroyer projects) and the local GitHub API of the test harness; prints
//!    every AWS call moto recorded and every GitHub request. The target: listing pages only, no
//!    call per stack or per branch.
//! 2. Decide: the same world as a `--world` document (`stacks`, `branches`), observed by the dry
//!    run's ports and planned, repeated; prints the median and slowest observe → decide time, as
//!    `switchyard replay --world` spends it. It also writes the world and the event to
//!    `target/branch-sweep-bench/` for timing the CLI itself.
//!
//! Usage (repository root; moto_server on PATH, e.g. `PATH=tests/.cache/venv/bin:$PATH`):
//! `cargo run -p switchyard-integration-tests --example branch_sweep [-- --runs 50]` (add
//! `--release` for the decide time a Lambda sees)

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{json, Value};
use switchyard_adapters::{AwsExecutor, AwsPorts};
use switchyard_core::branch_pipelines::sweep::event::event_at;
use switchyard_core::branch_pipelines::BranchPipelines;
use switchyard_core::deadline::Deadline;
use switchyard_core::function::Function;
use switchyard_core::naming::{self, NamePrefix};
use switchyard_core::timestamps;
use switchyard_core::world::{DryRunPorts, DryRunResolve};
use switchyard_test_support::branch_stacks::create_branch_stacks;
use switchyard_test_support::git_hosts::{branch, GitHostServer, GitHubRepository, GITHUB_TOKEN};
use switchyard_test_support::{create_codebuild_project, moto};

const REPOSITORY: &str = "acme/bench";
/// Branches with stacks (two each): 1,000 stacks. The last `GONE` of them are no longer live.
const WITH_STACKS: usize = 500;
const GONE: usize = 5;
/// Live feature branches without stacks (deploys), and live branches the filters leave alone.
const NEW: usize = 5;
const OTHER: usize = 1_000 - (WITH_STACKS - GONE) - NEW;

fn with_stack(i: usize) -> String {
    format!("feature/with-stack-{i:04}")
}

fn live_branches() -> Vec<String> {
    let mut live: Vec<String> = (0..WITH_STACKS - GONE).map(with_stack).collect();
    live.extend((0..NEW).map(|i| format!("feature/new-{i}")));
    live.extend((0..OTHER).map(|i| format!("chore/b-{i:04}")));
    live
}

fn vars(server_url: &str) -> HashMap<String, String> {
    [
        ("BRANCH_DEPLOYER_PROJECT", "bench-deployer"),
        ("BRANCH_DESTROYER_PROJECT", "bench-destroyer"),
        ("BRANCH_REPOSITORIES", REPOSITORY),
        ("BRANCH_INCLUDE", "feature/**"),
        ("BRANCH_SWEEP_REPOSITORIES", "github:acme/bench"),
        ("GITHUB_TOKEN", GITHUB_TOKEN),
        ("GITHUB_API_URL", server_url),
        ("SWITCHYARD_ACCOUNT_ID", "123456789012"),
        ("AWS_REGION", "us-east-1"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn event() -> Value {
    event_at(
        timestamps::parse("t", "2026-11-20T10:00:00Z").unwrap(),
        "bench",
    )
}

async fn calls() {
    let sdk = moto().sdk().await;
    create_codebuild_project(&sdk, "bench-deployer").await;
    create_codebuild_project(&sdk, "bench-destroyer").await;
    let started = Instant::now();
    for i in 0..WITH_STACKS {
        create_branch_stacks(&sdk, REPOSITORY, &with_stack(i), false).await;
    }
    eprintln!("created 1000 stacks in moto in {:?}", started.elapsed());
    let server = GitHostServer::start();
    server.github_repository(
        REPOSITORY,
        GitHubRepository {
            id: 4242,
            branches: live_branches()
                .iter()
                .enumerate()
                .map(|(i, b)| branch(b, i))
                .collect(),
            ..Default::default()
        },
    );
    let before = moto().recorded_requests().len();
    let function = BranchPipelines::configure(&vars(&server.url), &DryRunResolve)
        .await
        .unwrap();
    let ports = AwsPorts::for_function(&sdk, &function).await.unwrap();
    let deadline = Deadline::new(SystemTime::now() + Duration::from_secs(600), Duration::ZERO);
    let started = Instant::now();
    let answer = function
        .handle(&event(), &ports, &AwsExecutor::new(sdk), deadline)
        .await
        .unwrap();
    let elapsed = started.elapsed();
    let mut aws: BTreeMap<String, usize> = BTreeMap::new();
    for request in &moto().recorded_requests()[before..] {
        let target = request["headers"]["X-Amz-Target"]
            .as_str()
            .map(|t| t.rsplit('.').next().unwrap().to_owned())
            .or_else(|| query_action(request))
            .unwrap_or_else(|| format!("{} {}", request["method"], request["url"]));
        *aws.entry(target).or_default() += 1;
    }
    let host = server.requests();
    let summary = answer.to_string();
    println!(
        "sweep over 1000 branch stacks and 1000 live GitHub branches (moto + local GitHub API)"
    );
    println!("  AWS calls: {aws:?}");
    println!(
        "  GitHub calls: {} ({} listing pages)",
        host.len(),
        host.iter()
            .filter(|r| r.contains("/branches?") || r.contains("/branches&"))
            .count()
    );
    println!("  wall time of the whole sweep (moto and the local API on loopback): {elapsed:?}");
    println!(
        "  planned: {}",
        summary
            .split("\"reason\":\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or("")
    );
}

/// The `Action=` of a query-protocol request (CloudFormation), from moto's recording.
fn query_action(request: &Value) -> Option<String> {
    use base64::Engine;
    let body = request["body"].as_str()?;
    let bytes = if request["body_encoded"].as_bool() == Some(true) {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .ok()?
    } else {
        body.as_bytes().to_vec()
    };
    String::from_utf8(bytes)
        .ok()?
        .split('&')
        .find_map(|p| p.strip_prefix("Action=").map(str::to_owned))
}

/// The same world as a `--world` document.
fn world() -> Value {
    let prefix = NamePrefix::parse("sy").unwrap();
    let mut stacks = Vec::new();
    for i in 0..WITH_STACKS {
        let b = with_stack(i);
        let names = naming::branch_names(&prefix, REPOSITORY, &b);
        let tags = json!({"switchyard:repository": REPOSITORY, "switchyard:branch": b,
            "switchyard:branch-id": names.branch_id});
        let mut pipeline_tags = tags.clone();
        pipeline_tags["switchyard:pipeline"] = json!(names.pipeline);
        stacks
            .push(json!({"name": names.stack, "status": "CREATE_COMPLETE", "tags": pipeline_tags}));
        stacks.push(json!({"name": format!("{}api", names.environment_prefix), "status": "UPDATE_COMPLETE", "tags": tags}));
    }
    let branches: Vec<Value> = live_branches()
        .iter()
        .enumerate()
        .map(|(i, b)| json!({"name": b, "head": format!("{i:040x}")}))
        .collect();
    json!({"now": "2026-11-20T10:10:00Z", "stacks": stacks, "branches": {REPOSITORY: branches}})
}

async fn decide_time(runs: usize) {
    let world = world();
    let dir = std::path::Path::new("target/branch-sweep-bench");
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("world.json"), world.to_string()).unwrap();
    std::fs::write(dir.join("sweep.json"), event().to_string()).unwrap();
    let function = BranchPipelines::configure(&vars("http://127.0.0.1:9"), &DryRunResolve)
        .await
        .unwrap();
    let ports = DryRunPorts::from_world(&world).unwrap();
    let deadline = Deadline::new(SystemTime::now() + Duration::from_secs(600), Duration::ZERO);
    let mut times = Vec::with_capacity(runs);
    let mut records = 0;
    for _ in 0..runs {
        let started = Instant::now();
        records = function
            .decide(&event(), &ports, deadline)
            .await
            .unwrap()
            .len();
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "observe -> decide in the dry run (the world above, {runs} runs, {} build): median {:?}, slowest {:?}; {records} plan lines",
        if cfg!(debug_assertions) { "debug" } else { "release" },
        times[runs / 2],
        times[runs - 1]
    );
    println!("  world and event written to {}/ (time the CLI: switchyard replay --env-file <vars> --world world.json sweep.json)", dir.display());
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(50usize);
    calls().await;
    decide_time(runs).await;
}
