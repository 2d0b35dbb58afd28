//! Branches reconciled: the sweep and the host's word on events, through the code the Lambda
//! runs. moto holds the branch stacks (tagged) and the deployer / destroyer projects; GitHub's
//! REST API is a local HTTP server answering its documented shapes (Link-header pages, 404 for a
//! missing branch, the 403 rate-limit answer).

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use serde_json::Value;
use switchyard_adapters::aws::cloudformation::AwsStacks;
use switchyard_adapters::git_hosts::github::GitHubClient;
use switchyard_adapters::{AwsExecutor, AwsPorts};
use switchyard_core::branch_pipelines::sweep::event::event_at;
use switchyard_core::branch_pipelines::{
    decide_event, BranchConfig, BranchPipelines, HostConfirmation,
};
use switchyard_core::deadline::Deadline;
use switchyard_core::function::Function;
use switchyard_core::git_hosts::access::GitHubAccess;
use switchyard_core::plan::{Decision, Outcome};
use switchyard_core::secret::Secret;
use switchyard_core::timestamps;
use switchyard_core::world::DryRunResolve;
use switchyard_integration_tests::trust;
use switchyard_test_support::branch_stacks::create_branch_stacks;
use switchyard_test_support::env::string_map;
use switchyard_test_support::git_hosts::{
    branch, branches, GitHostServer, GitHubRepository, GITHUB_TOKEN,
};
use switchyard_test_support::{create_codebuild_project, moto, repo_root};
use time::OffsetDateTime;

/// One test's world: its own repository (other tests' stacks share moto, under other
/// repository names, and are not swept here) and its own projects.
struct Sweep {
    repository: String,
    deployer: String,
    destroyer: String,
    server: GitHostServer,
}

impl Sweep {
    async fn new(test: &str) -> Self {
        let sdk = moto().sdk().await;
        let s = Sweep {
            repository: format!("acme/{test}"),
            deployer: format!("{test}-deployer"),
            destroyer: format!("{test}-destroyer"),
            server: GitHostServer::start(),
        };
        create_codebuild_project(&sdk, &s.deployer).await;
        create_codebuild_project(&sdk, &s.destroyer).await;
        s
    }

    fn vars(&self, extra: &[(&str, &str)]) -> HashMap<String, String> {
        let sweep = format!("github:{}", self.repository);
        let mut vars = string_map(&[
            ("BRANCH_DEPLOYER_PROJECT", self.deployer.as_str()),
            ("BRANCH_DESTROYER_PROJECT", self.destroyer.as_str()),
            ("BRANCH_REPOSITORIES", self.repository.as_str()),
            ("BRANCH_INCLUDE", "feature/**"),
            ("BRANCH_SWEEP_REPOSITORIES", sweep.as_str()),
            ("GITHUB_TOKEN", GITHUB_TOKEN),
            ("GITHUB_API_URL", self.server.url.as_str()),
            ("SWITCHYARD_ACCOUNT_ID", "123456789012"),
            ("AWS_REGION", "us-east-1"),
        ]);
        for (k, v) in extra {
            vars.insert(k.to_string(), v.to_string());
        }
        vars
    }

    async fn stacks(&self, branch: &str) {
        create_branch_stacks(&moto().sdk().await, &self.repository, branch, false).await;
    }

    /// Runs one scheduled sweep as the Lambda does (configure, AWS ports, handle), returning its
    /// answer and the builds it started, by project.
    async fn run(&self, extra: &[(&str, &str)]) -> (Value, Vec<Value>, Vec<Value>) {
        let sdk = moto().sdk().await;
        let function = BranchPipelines::configure(&self.vars(extra), &DryRunResolve)
            .await
            .unwrap();
        let ports = AwsPorts::for_function(&sdk, &function).await.unwrap();
        let deadline = Deadline::new(SystemTime::now() + Duration::from_secs(60), Duration::ZERO);
        let event = event_at(
            timestamps::parse("t", "2026-11-20T10:00:00Z").unwrap(),
            "d32c5kddcf5bb8c3",
        );
        let answer = function
            .handle(&event, &ports, &AwsExecutor::new(sdk), deadline)
            .await
            .unwrap();
        (
            answer,
            self.builds(&self.deployer),
            self.builds(&self.destroyer),
        )
    }

    fn builds(&self, project: &str) -> Vec<Value> {
        moto()
            .recorded("StartBuild")
            .into_iter()
            .filter(|b| b["projectName"] == project)
            .collect()
    }
}

fn env(build: &Value, name: &str) -> String {
    build["environmentVariablesOverride"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .map(|v| v["value"].as_str().unwrap().to_owned())
        .unwrap()
}

/// 248 branches that the filters do not take (`chore/…`), plus `main` and `feature/…` ones at
/// the given places: with 100 per page the listing has three pages.
fn listing(features: &[(&str, usize)]) -> Vec<switchyard_test_support::git_hosts::Branch> {
    let mut all = branches("chore", 248);
    all.insert(0, branch("main", 9000));
    for (name, at) in features {
        all.insert(*at, branch(name, 9001 + at));
    }
    all
}

fn reasons(answer: &Value) -> String {
    answer.to_string()
}

#[tokio::test]
async fn an_orphan_is_destroyed_a_new_branch_deployed_and_a_page_3_branch_kept() {
    let s = Sweep::new("sweep-repair").await;
    s.server.github_repository(
        &s.repository,
        GitHubRepository {
            id: 101,
            branches: listing(&[("feature/on-page-3", 240), ("feature/new", 10)]),
            ..Default::default()
        },
    );
    s.stacks("feature/on-page-3").await;
    let gone =
        create_branch_stacks(&moto().sdk().await, &s.repository, "feature/gone", false).await;
    let (answer, deploys, destroys) = s.run(&[]).await;
    assert_eq!(destroys.len(), 1, "{answer}");
    assert_eq!(env(&destroys[0], "BRANCH_NAME"), "feature/gone");
    assert_eq!(env(&destroys[0], "SOURCE_PROVIDER"), "github");
    // The same teardown plan a deletion event carries: the branch's tagged environment stack.
    assert_eq!(env(&destroys[0], "TEARDOWN_STACKS"), gone[1], "{answer}");
    assert_eq!(deploys.len(), 1, "{answer}");
    assert_eq!(env(&deploys[0], "BRANCH_NAME"), "feature/new");
    assert_eq!(env(&deploys[0], "COMMIT_ID"), format!("{:040x}", 9011));
    // The listing's three pages and nothing else: no call per branch or per stack.
    let requests = s.server.requests();
    assert_eq!(requests.len(), 3, "{requests:?}");
    assert!(
        requests[0].contains("/branches?per_page=100"),
        "{requests:?}"
    );
    assert!(requests[2].contains("page=3"), "{requests:?}");

    // A second sweep in the same window sends the same tokens: CodeBuild starts nothing new.
    let (_, deploys_again, destroys_again) = s.run(&[]).await;
    assert_eq!(
        deploys_again.last().unwrap()["idempotencyToken"],
        deploys[0]["idempotencyToken"]
    );
    assert_eq!(
        destroys_again.last().unwrap()["idempotencyToken"],
        destroys[0]["idempotencyToken"]
    );
}

#[tokio::test]
async fn a_rate_limited_or_failing_listing_destroys_nothing() {
    let s = Sweep::new("sweep-fail-closed").await;
    s.stacks("feature/gone").await;
    s.server.github_repository(
        &s.repository,
        GitHubRepository {
            id: 102,
            branches: listing(&[("feature/new", 5)]),
            rate_limited: true,
            ..Default::default()
        },
    );
    let (answer, deploys, destroys) = s.run(&[]).await;
    assert!(deploys.is_empty() && destroys.is_empty(), "{answer}");
    assert!(reasons(&answer).contains("rate limit reached"), "{answer}");
    assert!(
        reasons(&answer).contains("nothing is destroyed"),
        "{answer}"
    );

    // Page 2 of 3 answers 502: the pages before it are not taken for the whole listing.
    s.server.github_repository(
        &s.repository,
        GitHubRepository {
            id: 102,
            branches: listing(&[("feature/new", 5)]),
            failing_page: Some(2),
            ..Default::default()
        },
    );
    let (answer, deploys, destroys) = s.run(&[]).await;
    assert!(deploys.is_empty() && destroys.is_empty(), "{answer}");
    assert!(reasons(&answer).contains("502"), "{answer}");

    // No token: GitHub cannot be listed, and the sweep says so.
    let (answer, _, destroys) = s.run(&[("GITHUB_TOKEN", "")]).await;
    assert!(destroys.is_empty());
    assert!(
        reasons(&answer).contains("no github credential"),
        "{answer}"
    );
}

#[tokio::test]
async fn the_destroy_cap_holds_with_eight_orphans() {
    let s = Sweep::new("sweep-cap").await;
    s.server.github_repository(
        &s.repository,
        GitHubRepository {
            id: 103,
            branches: vec![branch("main", 1)],
            ..Default::default()
        },
    );
    for i in 0..8 {
        s.stacks(&format!("feature/orphan-{i}")).await;
    }
    let (answer, _, destroys) = s.run(&[]).await;
    assert_eq!(destroys.len(), 5, "{answer}");
    assert_eq!(
        reasons(&answer)
            .matches("deferred to the next sweep")
            .count(),
        3,
        "{answer}"
    );
}

fn sample(name: &str) -> Value {
    let path = repo_root().join("events/branch-pipelines").join(name);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn sample_config() -> BranchConfig {
    BranchConfig::from_vars(&string_map(&[
        ("BRANCH_DEPLOYER_PROJECT", "deployer"),
        ("BRANCH_DESTROYER_PROJECT", "destroyer"),
        ("BRANCH_REPOSITORIES", "acme/payments-service"),
        ("BRANCH_INCLUDE", "feature/**,bugfix/**"),
    ]))
    .unwrap()
}

/// The one decision about a sample, with what the host said about its branch.
async fn decide_sample(event: &Value, host: HostConfirmation) -> Decision {
    let decisions = decide_event(
        event,
        &sample_config(),
        &trust(),
        |_| host.clone(),
        &moto_stacks().await,
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    let [one] = decisions.as_slice() else {
        panic!("expected one ref event: {decisions:?}");
    };
    one.decision.clone()
}

/// Every stack in moto, through the real adapter: a deletion's teardown plan is observed there.
async fn moto_stacks() -> AwsStacks {
    AwsStacks::new(aws_sdk_cloudformation::Client::new(&moto().sdk().await))
}

/// What GitHub (the local server, through the real client) says about a sample's branch.
async fn github_says(server: &GitHostServer, branch_name: &str) -> HostConfirmation {
    let client = GitHubClient::new(&GitHubAccess {
        api_url: server.url.clone(),
        token: Secret::new(GITHUB_TOKEN),
    })
    .unwrap();
    HostConfirmation::Said(
        client
            .branch("acme/payments-service", branch_name)
            .await
            .unwrap(),
    )
}

#[tokio::test]
async fn a_header_swapped_create_body_is_refused_with_and_without_a_host_credential() {
    let mut swapped = sample("github-create-branch.json");
    swapped["headers"]["x-github-event"] = "delete".into();
    let server = GitHostServer::start();
    server.github_repository(
        "acme/payments-service",
        GitHubRepository {
            id: 7,
            branches: vec![branch("bugfix/ledger-rounding", 1)],
            ..Default::default()
        },
    );
    for host in [
        HostConfirmation::Unavailable,
        github_says(&server, "bugfix/ledger-rounding").await,
    ] {
        let d = decide_sample(&swapped, host.clone()).await;
        assert!(d.is_rejected(), "{host:?}: {d:?}");
        assert!(d.actions.is_empty());
        assert!(
            d.reason.contains("master_branch") && d.reason.contains("not signed"),
            "{}",
            d.reason
        );
    }
}

#[tokio::test]
async fn a_delete_event_for_a_branch_that_still_exists_starts_nothing() {
    let delete = sample("github-delete-branch.json");
    let server = GitHostServer::start();
    server.github_repository(
        "acme/payments-service",
        GitHubRepository {
            id: 8,
            branches: vec![branch("bugfix/ledger-rounding", 1)],
            ..Default::default()
        },
    );
    let d = decide_sample(
        &delete,
        github_says(&server, "bugfix/ledger-rounding").await,
    )
    .await;
    assert_eq!(d.outcome, Outcome::Skipped, "{d:?}");
    assert!(d.actions.is_empty());
    assert!(d.reason.contains("still has it"), "{}", d.reason);
    // A repository the token cannot see (404 Not Found) confirms nothing: the lookup fails.
    let client = GitHubClient::new(&GitHubAccess {
        api_url: server.url.clone(),
        token: Secret::new(GITHUB_TOKEN),
    })
    .unwrap();
    let err = client
        .branch("acme/invisible", "bugfix/ledger-rounding")
        .await
        .unwrap_err();
    assert!(err.message.contains("404") && !err.retryable, "{err}");
    server.clear_requests();
    // Gone on GitHub (404 Branch not found): the destroyer starts.
    server.github_repository(
        "acme/payments-service",
        GitHubRepository {
            id: 8,
            ..Default::default()
        },
    );
    let d = decide_sample(
        &delete,
        github_says(&server, "bugfix/ledger-rounding").await,
    )
    .await;
    assert_eq!(d.outcome, Outcome::Acted, "{d:?}");
    // Confirmed gone: the destroy carries the teardown plan observed from the tagged stacks.
    assert!(
        d.reason.contains("tear down no environment stacks"),
        "{d:?}"
    );
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r
                .starts_with("GET /repos/acme/payments-service/branches/bugfix%2Fledger-rounding")),
        "{:?}",
        server.requests()
    );
}
