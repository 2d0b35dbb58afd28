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

/// `switchyard kafka apply` shows its progress on stderr as it writes and waits. Without a
/// terminal: timestamped plain lines (each write, then the wait, never more wait lines than polls),
/// no secret even when the worker's error quotes one, and stdout still one JSON document. On a
/// terminal (a pseudo-terminal from util-linux `script`): coloured lines without timestamps, and
/// no colour at all with `NO_COLOR` set.
#[tokio::test]
async fn apply_shows_its_progress_as_lines_or_on_a_terminal() {
    let Some(connect) = connect::cluster("apply_shows_its_progress_as_lines_or_on_a_terminal")
    else {
        return;
    };
    let _shared = connect.shared().await;
    let prefix = format!("{}-", unique_name("sy-progress"));
    let dir = std::env::temp_dir().join(&prefix);
    const PASSWORD: &str = "Pasted-s3cret-7731";
    let sink = |name: &str, file: &str| {
        write(
            &dir.join(format!("connectors/{name}.yaml")),
            &format!(
                "name: {prefix}{name}\nconfig:\n  connector.class: FileStreamSink\n  topics: {prefix}t\n  file: {}\n",
                dir.join(file).display()
            ),
        )
    };
    write(&dir.join("environments/ci.yaml"), "{}\n");
    sink("a", "a.txt");
    sink("b", "b.txt");
    // The worker's 400 quotes the value pasted into tasks.max: the progress line must not.
    write(
        &dir.join("connectors/leaky.yaml"),
        &format!(
            "name: {prefix}leaky\nconfig:\n  connector.class: FileStreamSink\n  topics: {prefix}t\n  tasks.max: \"{PASSWORD}\"\n  connection.password: \"{PASSWORD}\"\n  file: {}\n",
            dir.join("leaky.txt").display()
        ),
    );
    let dir_arg = dir.to_str().unwrap().to_owned();
    let apply = |extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = [
            "kafka",
            "apply",
            "--yes",
            "--dir",
            &dir_arg,
            "--env",
            "ci",
            "--url",
            &connect.url,
            "--managed-prefix",
            &prefix,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };

    // Without a terminal.
    let mark = connect.log_mark();
    let args = apply(&["--output", "json"]);
    let out = switchyard(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "a write failed: {stderr}");
    let body: Value = serde_json::from_str(&stdout).expect("stdout is one JSON document");
    assert_eq!(
        body["applied"]["writes"]["results"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert!(
        !stdout.contains(PASSWORD) && !stderr.contains(PASSWORD),
        "{stderr}"
    );
    let lines: Vec<(&str, &str)> = stderr
        .lines()
        .map(|l| {
            let (stamp, rest) = l.split_once(' ').unwrap_or((l, ""));
            switchyard_core::timestamps::parse("progress line", stamp)
                .unwrap_or_else(|e| panic!("{l:?} starts with a timestamp: {e}"));
            (stamp, rest)
        })
        .collect();
    let said = |line: &str| lines.iter().any(|(_, rest)| *rest == line);
    assert!(said(&format!("connector {prefix}a: create ok")), "{stderr}");
    assert!(said(&format!("connector {prefix}b: create ok")), "{stderr}");
    assert!(
        lines.iter().any(|(_, rest)| rest.starts_with(&format!(
            "connector {prefix}leaky: create failed: PUT /connectors/{prefix}leaky/config: "
        )) && rest
            .contains("Invalid value <redacted> for configuration tasks.max")),
        "{stderr}"
    );
    let waits: Vec<&str> = lines
        .iter()
        .map(|(_, rest)| *rest)
        .filter(|rest| rest.starts_with("waiting: "))
        .collect();
    assert!(
        waits
            .last()
            .is_some_and(|w| w.starts_with("waiting: 2/2 RUNNING, ")),
        "the wait ends with both connectors RUNNING: {stderr}"
    );
    assert!(
        !stderr.contains('\u{1b}'),
        "no colour without a terminal: {stderr:?}"
    );
    let polls = connect
        .requests_since(mark)
        .await
        .into_iter()
        .filter(|r| r.method == "GET" && r.path == "/connectors?expand=status")
        .count();
    assert!(
        !waits.is_empty() && waits.len() <= polls,
        "at most one line per poll: {} lines, {polls} polls (of every test on this worker)",
        waits.len()
    );

    // On a terminal, coloured; with NO_COLOR, not. Each run changes one connector's file.
    std::fs::remove_file(dir.join("connectors/leaky.yaml")).unwrap();
    for (run, no_color) in [("tty", None), ("no-color", Some("1"))] {
        sink("a", &format!("a-{run}.txt"));
        let command: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_switchyard").to_owned())
            .chain(apply(&[]))
            .map(|a| format!("'{a}'"))
            .collect();
        let mut script = Command::new("script");
        script
            .args(["-qec", &command.join(" "), "/dev/null"])
            .env("TERM", "xterm-256color")
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .stdin(Stdio::null());
        if let Some(value) = no_color {
            script.env("NO_COLOR", value);
        }
        let out = script.output().expect("run switchyard under script(1)");
        let shown = text(&out.stdout).replace('\r', "");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{run}: {shown}{}",
            text(&out.stderr)
        );
        let written = format!("connector {prefix}a\u{1b}[0m: update \u{1b}[1m\u{1b}[32mok");
        match no_color {
            None => {
                assert!(shown.contains(&written), "{run}: {shown:?}");
                assert!(
                    shown
                        .lines()
                        .any(|l| l.starts_with("\u{1b}[36mwaiting:\u{1b}[0m 1/1 RUNNING, ")),
                    "{run}: {shown:?}"
                );
            }
            Some(_) => {
                assert!(!shown.contains('\u{1b}'), "{run}: {shown:?}");
                assert!(
                    shown
                        .lines()
                        .any(|l| l == format!("connector {prefix}a: update ok")),
                    "{run}: {shown:?}"
                );
                assert!(
                    shown
                        .lines()
                        .any(|l| l.starts_with("waiting: 1/1 RUNNING, ")),
                    "{run}: {shown:?}"
                );
            }
        }
    }

    // Clean up.
    for name in ["a", "b"] {
        std::fs::remove_file(dir.join(format!("connectors/{name}.yaml"))).unwrap();
    }
    let pruned = switchyard(
        &apply(&["--prune"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(pruned.status.code(), Some(0), "{}", text(&pruned.stderr));
    std::fs::remove_dir_all(&dir).ok();
}

/// `switchyard kafka drift` (issue 22): 0 while the cluster matches the directory, 2 once a
/// connector is edited by hand (naming exactly that key, its secret value redacted, in text and
/// JSON), 1 against a worker that does not answer, and never a write.
#[tokio::test]
async fn drift_from_the_command_line() {
    let Some(connect) = connect::cluster("drift_from_the_command_line") else {
        return;
    };
    let _shared = connect.shared().await;
    let prefix = format!("{}-", unique_name("sy-cli-drift"));
    let dir = std::env::temp_dir().join(&prefix);
    let name = format!("{prefix}sink");
    write(
        &dir.join("environments/ci.yaml"),
        &format!("out: {}\n", dir.join("out.txt").display()),
    );
    write(
        &dir.join("connectors/sink.yaml"),
        &format!(
            "name: {name}\nconfig:\n  connector.class: FileStreamSink\n  topics: {prefix}t\n  file: \"{{{{ env.out }}}}\"\n  database.password: in-git-pw-5521\n"
        ),
    );
    let dir_arg = dir.to_str().unwrap();
    let at = |url: &str| -> Vec<String> {
        [
            "--dir",
            dir_arg,
            "--env",
            "ci",
            "--url",
            url,
            "--managed-prefix",
            prefix.as_str(),
        ]
        .map(str::to_owned)
        .to_vec()
    };
    let run = |verb: &[&str], url: &str| {
        let args: Vec<String> = verb.iter().map(|s| s.to_string()).chain(at(url)).collect();
        switchyard(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let applied = run(&["kafka", "apply", "--yes"], &connect.url);
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied.stdout));
    connect.wait_until_listed(&[&name]).await;
    let clean = run(&["kafka", "drift"], &connect.url);
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean.stdout));
    assert!(
        text(&clean.stdout).contains(": no drift"),
        "{}",
        text(&clean.stdout)
    );

    let path = format!("/connectors/{name}/config");
    let mut config = connect.get(&path).await.body;
    config["database.password"] = Value::from("by-hand-pw-7730");
    assert!(connect.put(&path, &config).await.status.is_success());
    connect.wait_until_listed(&[&name]).await;
    let mark = connect.log_mark();
    let drift = run(&["kafka", "drift"], &connect.url);
    let stdout = text(&drift.stdout);
    assert_eq!(
        drift.status.code(),
        Some(2),
        "{stdout}{}",
        text(&drift.stderr)
    );
    assert!(
        stdout.contains(&format!("connector {name} differs in database.password")),
        "{stdout}"
    );
    let json = run(&["kafka", "drift", "--output", "json"], &connect.url);
    assert_eq!(json.status.code(), Some(2));
    let body: Value = serde_json::from_slice(&json.stdout).expect("JSON output");
    assert_eq!(body["report"]["status"], "drift");
    assert_eq!(
        body["report"]["differences"],
        serde_json::json!([format!("connector {name} differs in database.password")])
    );
    for output in [&stdout, &text(&json.stdout)] {
        assert!(
            !output.contains("in-git-pw-5521") && !output.contains("by-hand-pw-7730"),
            "{output}"
        );
    }
    let wrote: Vec<_> = connect
        .requests_since(mark)
        .await
        .into_iter()
        // Only this test's connector: the other tests of this binary write to the same worker.
        .filter(|r| r.method != "GET" && r.path.contains(name.as_str()))
        .collect();
    assert!(wrote.is_empty(), "drift wrote: {wrote:?}");

    let closed = run(&["kafka", "drift", "--timeout", "2"], "http://127.0.0.1:9");
    assert_eq!(closed.status.code(), Some(1), "{}", text(&closed.stdout));
    assert!(
        text(&closed.stdout).contains("unreachable"),
        "{}",
        text(&closed.stdout)
    );

    let removed = connect.delete(&format!("/connectors/{name}")).await;
    assert!(removed.status.is_success(), "{}", removed.body);
    std::fs::remove_dir_all(&dir).ok();
}
