//! `switchyard branches sweep`: the real binary against moto (branch stacks, the deployer and
//! destroyer projects) and CodeCommit's branch calls, which moto lacks, answered by the harness's
//! local server (`AWS_ENDPOINT_URL_CODECOMMIT`). It prints the plan and acts only with
//! `--execute`.

use std::process::{Command, Output};

use serde_json::Value;
use switchyard_test_support::branch_stacks::create_branch_stacks;
use switchyard_test_support::git_hosts::{branch, GitHostServer};
use switchyard_test_support::{create_codebuild_project, moto, repo_root};

const REPOSITORY: &str = "cli-sweep-repo";

fn sweep(server: &GitHostServer, args: &[&str]) -> Output {
    let dir = std::env::temp_dir().join(format!("switchyard-branches-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let env_file = dir.join("sweep.env");
    std::fs::write(
        &env_file,
        format!(
            "BRANCH_DEPLOYER_PROJECT=cli-sweep-deployer\nBRANCH_DESTROYER_PROJECT=cli-sweep-destroyer\n\
             BRANCH_REPOSITORIES={REPOSITORY}\nBRANCH_INCLUDE=feature/**\n\
             BRANCH_SWEEP_REPOSITORIES=codecommit:{REPOSITORY}\nSWITCHYARD_ACCOUNT_ID=123456789012\n"
        ),
    )
    .unwrap();
    Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .current_dir(repo_root())
        .args(["branches", "sweep", "--env-file"])
        .arg(&env_file)
        .args(args)
        .env("AWS_ENDPOINT_URL", &moto().endpoint)
        .env("AWS_ENDPOINT_URL_CODECOMMIT", &server.url)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap()
}

fn lines(out: &Output) -> Vec<Value> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn builds(project: &str) -> usize {
    moto()
        .recorded("StartBuild")
        .iter()
        .filter(|b| b["projectName"] == project)
        .count()
}

#[tokio::test]
async fn the_sweep_prints_its_plan_and_acts_only_with_execute() {
    let sdk = moto().sdk().await;
    create_codebuild_project(&sdk, "cli-sweep-deployer").await;
    create_codebuild_project(&sdk, "cli-sweep-destroyer").await;
    create_branch_stacks(&sdk, REPOSITORY, "feature/live", false).await;
    create_branch_stacks(&sdk, REPOSITORY, "feature/gone", false).await;
    let server = GitHostServer::start();
    server.codecommit_repository(
        REPOSITORY,
        vec![
            branch("main", 1),
            branch("feature/live", 2),
            branch("feature/new", 3),
        ],
    );

    // The plan, and nothing started.
    let plan = lines(&sweep(&server, &[]));
    let acted: Vec<&Value> = plan.iter().filter(|l| l["outcome"] == "acted").collect();
    assert_eq!(acted.len(), 2, "{plan:?}");
    assert_eq!(
        acted[0]["record"],
        format!("codecommit:{REPOSITORY} feature/gone")
    );
    assert_eq!(
        acted[1]["record"],
        format!("codecommit:{REPOSITORY} feature/new")
    );
    assert_eq!(
        builds("cli-sweep-deployer") + builds("cli-sweep-destroyer"),
        0
    );
    assert_eq!(
        server.requests(),
        ["CodeCommit.ListBranches"],
        "one listing page"
    );

    // A table for people.
    let out = sweep(&server, &["--format", "text"]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.starts_with("OUTCOME"), "{table}");
    assert!(table.contains("cli-sweep-destroyer"), "{table}");

    // --execute starts exactly the planned builds.
    let done = lines(&sweep(&server, &["--execute"]));
    assert_eq!(builds("cli-sweep-destroyer"), 1, "{done:?}");
    assert_eq!(builds("cli-sweep-deployer"), 1, "{done:?}");
    assert!(done
        .iter()
        .filter(|l| l["outcome"] == "acted")
        .all(|l| l["results"].is_array()));
}
