//! `switchyard kafka plan|apply` against the real Kafka Connect test cluster: exit codes CI can
//! use (0 no changes, 2 changes planned, 1 error), a readable and redacted plan, JSON output, and
//! the example directory. Without `CONNECT_URL`: failed under `CI=true`, skipped (loudly) elsewhere.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use switchyard_test_support::connect::{self, unique_name};

fn switchyard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run switchyard")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write(path: &Path, contents: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

#[tokio::test]
async fn plan_and_apply_from_the_command_line() {
    let Some(connect) = connect::cluster("plan_and_apply_from_the_command_line") else {
        return;
    };
    let _shared = connect.shared().await;
    let prefix = format!("{}-", unique_name("sy-cli"));
    let dir = std::env::temp_dir().join(&prefix);
    let secret = unique_name("hunter2");
    write(
        &dir.join("environments/ci.yaml"),
        &format!("out: {}\n", dir.join("out.txt").display()),
    );
    write(
        &dir.join("connectors/sink.yaml"),
        &format!(
            "name: {prefix}sink\nconfig:\n  connector.class: FileStreamSink\n  topics: {prefix}t\n  file: \"{{{{ env.out }}}}\"\n  database.password: {secret}\n"
        ),
    );
    let dir_arg = dir.to_str().unwrap();
    let common = [
        "--dir",
        dir_arg,
        "--env",
        "ci",
        "--url",
        connect.url.as_str(),
        "--managed-prefix",
        prefix.as_str(),
    ];

    let plan = switchyard(&[&["kafka", "plan"][..], &common].concat());
    let stdout = text(&plan.stdout);
    assert_eq!(
        plan.status.code(),
        Some(2),
        "changes planned: {stdout}{}",
        text(&plan.stderr)
    );
    assert!(
        stdout.contains(&format!("+ create {prefix}sink (RUNNING)")),
        "{stdout}"
    );
    assert!(
        stdout.contains("database.password = \"<redacted>\""),
        "{stdout}"
    );
    assert!(!stdout.contains(&secret), "{stdout}");

    let json_plan = switchyard(&[&["kafka", "plan", "--output", "json"][..], &common].concat());
    assert_eq!(json_plan.status.code(), Some(2));
    let body: Value = serde_json::from_slice(&json_plan.stdout).expect("JSON output");
    assert_eq!(body["plan"]["summary"]["created"], 1);
    assert_eq!(body["requests"], 2, "the read side is two requests");
    assert!(!text(&json_plan.stdout).contains(&secret));

    let refused = switchyard(&[&["kafka", "apply"][..], &common].concat());
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused.stderr).contains("refusing to apply without --yes"));

    let applied = switchyard(&[&["kafka", "apply", "--yes", "--validate"][..], &common].concat());
    let stdout = text(&applied.stdout);
    assert_eq!(
        applied.status.code(),
        Some(0),
        "{stdout}{}",
        text(&applied.stderr)
    );
    assert!(
        stdout.contains(&format!("create {prefix}sink: applied -> RUNNING")),
        "{stdout}"
    );
    assert!(stdout.contains("Converged."));
    assert!(!stdout.contains(&secret));

    let again = switchyard(&[&["kafka", "plan"][..], &common].concat());
    assert_eq!(
        again.status.code(),
        Some(0),
        "no changes: {}",
        text(&again.stdout)
    );

    // An error (an undefined value) is exit 1 with the file, connector and key named.
    write(
        &dir.join("connectors/sink.yaml"),
        &format!("name: {prefix}sink\nconfig:\n  connector.class: FileStreamSink\n  file: \"{{{{ env.nope }}}}\"\n"),
    );
    let broken = switchyard(&[&["kafka", "plan"][..], &common].concat());
    assert_eq!(broken.status.code(), Some(1));
    assert!(
        text(&broken.stderr).contains(&format!(
            "connectors/sink.yaml: connector \"{prefix}sink\": key \"file\": {{{{ env.nope }}}} is not defined in environments/ci.yaml"
        )),
        "{}",
        text(&broken.stderr)
    );

    // Removing the file and pruning deletes it.
    std::fs::remove_file(dir.join("connectors/sink.yaml")).unwrap();
    let pruned = switchyard(&[&["kafka", "apply", "--yes", "--prune"][..], &common].concat());
    assert_eq!(pruned.status.code(), Some(0), "{}", text(&pruned.stdout));
    assert!(text(&pruned.stdout).contains(&format!("delete {prefix}sink: deleted")));
    std::fs::remove_dir_all(&dir).ok();
}

/// The example directory of the docs plans against the test cluster for both environments.
#[tokio::test]
async fn the_example_directory_plans() {
    let Some(connect) = connect::cluster("the_example_directory_plans") else {
        return;
    };
    let _shared = connect.shared().await;
    let examples = switchyard_test_support::repo_root().join("examples/connect");
    for (env, connectors) in [("dev", 2), ("prod", 3)] {
        let out = switchyard(&[
            "kafka",
            "plan",
            "--dir",
            examples.to_str().unwrap(),
            "--env",
            env,
            "--url",
            &connect.url,
            // No scope given: every example connector is outside it.
            "--allow-unmanaged-writes",
            // The topics (KAFKA_BOOTSTRAP_SERVERS is the test broker) are managed by prefix.
            "--managed-topic-prefix",
            &format!("{env}."),
            "--output",
            "json",
        ]);
        assert!(
            matches!(out.status.code(), Some(0 | 2)),
            "{}",
            text(&out.stderr)
        );
        let body: Value = serde_json::from_slice(&out.stdout).unwrap();
        let names: Vec<&str> = body["plan"]["connectors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names.len(), connectors, "{env}: {names:?}");
        let topics: Vec<&str> = body["plan"]["topics"]["changes"]
            .as_array()
            .unwrap_or_else(|| panic!("{env}: no topics in {body}"))
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert!(
            topics.contains(&format!("{env}.orders").as_str()),
            "{env}: {topics:?}"
        );
    }
}
