//! `kafka-sync` against the real Kafka Connect worker (tests/kafka-connect/cluster.sh): the
//! library's plan/apply through the reqwest adapter, with FileStreamSource / FileStreamSink.
//! Every test uses its own name prefix as managed scope, so tests sharing the cluster never
//! touch each other's connectors. Without `CONNECT_URL`: failed under `CI=true`, skipped (loudly) elsewhere.

use std::path::PathBuf;

use reqwest::StatusCode;
use serde_json::json;
use switchyard_adapters::connect::TokioClock;
use switchyard_core::kafka_sync::apply::Refusal;
use switchyard_core::kafka_sync::apply::{WaitOptions, WaitOutcome};
use switchyard_core::kafka_sync::run::{self, SyncFailure};
use switchyard_core::kafka_sync::topics::NoBrokers;
use switchyard_core::kafka_sync::ChangeKind;
use switchyard_test_support::connect::{self, unique_name};
use switchyard_test_support::kafka_sync::*;

/// Worker log lines (after byte `from`) that say the connector was (re)started or stopped.
fn lifecycle_lines(from: u64, name: &str) -> Vec<String> {
    let log = PathBuf::from(std::env::var("CONNECT_CLUSTER_DIR").expect("CONNECT_CLUSTER_DIR"))
        .join("logs/worker.log");
    let bytes = std::fs::read(log).unwrap();
    let text = String::from_utf8_lossy(&bytes[(from as usize).min(bytes.len())..]).into_owned();
    text.lines()
        .filter(|l| {
            [
                format!("Starting connector {name}"),
                format!("Stopping connector {name}"),
                format!("Creating connector {name} "),
            ]
            .iter()
            .any(|needle| l.contains(needle.as_str()))
        })
        .map(str::to_owned)
        .collect()
}

fn worker_log_len() -> u64 {
    let log = PathBuf::from(std::env::var("CONNECT_CLUSTER_DIR").expect("CONNECT_CLUSTER_DIR"))
        .join("logs/worker.log");
    std::fs::metadata(log).map_or(0, |m| m.len())
}

/// Create two connectors, change one key of one, then apply again with nothing to do: the second
/// apply sends no write (the worker's access log and our request log show two GETs) and the
/// connectors are not restarted (no lifecycle line in the worker log).
#[tokio::test]
async fn create_update_one_key_and_noop_apply() {
    let Some(connect) = connect::cluster("create_update_one_key_and_noop_apply") else {
        return;
    };
    let _shared = connect.shared().await;
    let mut repo = Repo::new("cud");
    repo.sink("a", "a.txt", "");
    repo.sink("b", "b.txt", "");
    let api = api(connect);

    let (plan1, applied) = apply(&repo, &api, false).await;
    assert_eq!(
        (plan1.summary.created, plan1.summary.updated),
        (2, 0),
        "{plan1}"
    );
    assert!(applied.converged(), "{applied:?}");
    for short in ["a", "b"] {
        let status =
            get_settled(connect, &format!("/connectors/{}/status", repo.name(short))).await;
        assert_eq!(
            status.body["connector"]["state"], "RUNNING",
            "{}",
            status.body
        );
    }

    // One key of one connector.
    repo.sink("b", "b-renamed.txt", "");
    let mark = connect.log_mark();
    api.reset_requests();
    let (plan2, applied) = apply(&repo, &api, false).await;
    assert!(applied.converged(), "{applied:?}");
    let updated: Vec<_> = plan2.changed().collect();
    assert_eq!(updated.len(), 1, "{plan2}");
    let ChangeKind::Update { changes, .. } = &updated[0].kind else {
        panic!("{plan2}")
    };
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].key, "file");
    assert!(changes[0]
        .after
        .as_deref()
        .unwrap()
        .ends_with("/b-renamed.txt"));
    let stored = get_settled(connect, &format!("/connectors/{}/config", repo.name("b"))).await;
    assert!(stored.body["file"]
        .as_str()
        .unwrap()
        .ends_with("/b-renamed.txt"));
    let writes: Vec<String> = connect
        .requests_since(mark)
        .await
        .into_iter()
        .filter(|r| r.method != "GET")
        // The access log is shared with tests running in parallel: this test's requests only.
        .filter(|r| r.path.contains(&repo.prefix) || r.path.contains(FILE_SINK))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    let class_path = format!("/connector-plugins/{FILE_SINK}/config/validate");
    assert_eq!(
        writes,
        [
            format!("PUT {class_path}"),
            format!("PUT /connectors/{}/config", repo.name("b"))
        ],
        "only the changed connector is validated and written"
    );

    // Nothing changed: nothing written, nothing restarted.
    let log_from = worker_log_len();
    let mark = connect.log_mark();
    api.reset_requests();
    let (plan3, applied) = apply(&repo, &api, false).await;
    assert!(!plan3.has_changes(), "{plan3}");
    assert_eq!(plan3.summary.unchanged, 2);
    assert_eq!(applied.writes.results.len(), 0);
    assert_eq!(
        api.requests(),
        ["GET /", "GET /connectors?expand=info&expand=status"]
    );
    let seen: Vec<_> = connect
        .requests_since(mark)
        .await
        .into_iter()
        .filter(|r| r.path.contains(&repo.prefix) || r.path.contains("/config/validate"))
        .collect();
    assert!(seen.is_empty(), "no request names a connector: {seen:?}");
    for short in ["a", "b"] {
        assert_eq!(
            lifecycle_lines(log_from, &repo.name(short)),
            Vec::<String>::new()
        );
        let status =
            get_settled(connect, &format!("/connectors/{}/status", repo.name(short))).await;
        assert_eq!(status.body["connector"]["state"], "RUNNING");
    }

    // Clean up through the same path: an empty repository with prune deletes both.
    repo.remove("connectors/a.yaml");
    repo.remove("connectors/b.yaml");
    let (plan4, applied) = apply(&repo, &api, true).await;
    assert_eq!(plan4.summary.deleted, 2, "{plan4}");
    assert!(applied.converged(), "{applied:?}");
}

/// Prune deletes a connector inside the managed scope that is not in Git, and never touches one
/// outside the scope (no request names it).
#[tokio::test]
async fn prune_deletes_inside_scope_and_leaves_the_rest_alone() {
    let Some(connect) = connect::cluster("prune_deletes_inside_scope_and_leaves_the_rest_alone")
    else {
        return;
    };
    let _shared = connect.shared().await;
    let mut repo = Repo::new("prune");
    repo.sink("kept", "kept.txt", "");
    let orphan = repo.name("orphan");
    let outsider = unique_name("team-b-sink");
    for name in [&orphan, &outsider] {
        let r = connect
            .put(
                &format!("/connectors/{name}/config"),
                &json!({"connector.class": "FileStreamSink", "topics": "x", "file": repo.dir.join("o.txt").to_str().unwrap()}),
            )
            .await;
        // 201, or 200 when the PUT was sent again after a dropped connection (see
        // support/connect.rs) and the first one had landed: the connector exists either way.
        assert!(
            [StatusCode::CREATED, StatusCode::OK].contains(&r.status),
            "{}: {}",
            r.status,
            r.body
        );
    }
    connect.wait_until_listed(&[&orphan, &outsider]).await;
    let api = api(connect);

    let without_prune = plan(&repo, &api, false, false).await.unwrap();
    assert!(
        without_prune.not_pruned.contains(&orphan),
        "{without_prune}"
    );
    assert!(
        without_prune.unmanaged.contains(&outsider),
        "{outsider} is not listed as unmanaged: {without_prune}"
    );
    assert_eq!(without_prune.summary.deleted, 0);

    let mark = connect.log_mark();
    let (planned, applied) = apply(&repo, &api, true).await;
    assert!(applied.converged(), "{applied:?}");
    assert_eq!(planned.summary.deleted, 1, "{planned}");
    connect.wait_until_gone(&orphan).await;
    let touched: Vec<_> = connect
        .requests_since(mark)
        .await
        .into_iter()
        .filter(|r| r.path.contains(&outsider))
        .collect();
    assert!(touched.is_empty(), "{touched:?}");
    let outside = get_settled(connect, &format!("/connectors/{outsider}")).await;
    assert_eq!(
        outside.status,
        StatusCode::OK,
        "the connector outside the scope still exists"
    );
    assert!(planned.unmanaged.contains(&outsider));

    remove(&api, &outsider).await;
    remove(&api, &repo.name("kept")).await;
}

/// Issue 18, item 6: the scope guards writes, not only deletions. Another team's connector on the
/// real worker, named in this repository's desired state (an overwrite), and a new connector
/// outside the prefix (a create): the plan is refused naming both, and the worker sees no write.
/// Connector names `.` and `..` are refused at load, naming the file.
#[tokio::test]
async fn writes_outside_the_scope_and_dot_names_are_refused() {
    let Some(connect) = connect::cluster("writes_outside_the_scope_and_dot_names_are_refused")
    else {
        return;
    };
    let _shared = connect.shared().await;
    let mut repo = Repo::new("outside");
    let outsider = unique_name("team-b-sink");
    let created = unique_name("team-c-sink");
    let r = connect
        .put(
            &format!("/connectors/{outsider}/config"),
            &json!({"connector.class": "FileStreamSink", "topics": "x", "file": repo.dir.join("o.txt").to_str().unwrap()}),
        )
        .await;
    assert!(
        [StatusCode::CREATED, StatusCode::OK].contains(&r.status),
        "{}",
        r.body
    );
    connect.wait_until_listed(&[&outsider]).await;
    for (file, name) in [("b", &outsider), ("c", &created)] {
        repo.write(
            &format!("connectors/{file}.yaml"),
            &format!("name: {name}\nconfig:\n  connector.class: org.apache.kafka.connect.file.FileStreamSinkConnector\n  topics: mine\n  file: \"{{{{ env.dir }}}}/{file}.txt\"\n"),
        );
    }
    let api = api(connect);
    let mark = connect.log_mark();
    let err = plan(&repo, &api, false, false)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("refusing to write connectors outside the managed scope"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{outsider:?} (connectors/b.yaml) would be overwritten"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("{created:?} (connectors/c.yaml) would be created")),
        "{err}"
    );
    let writes: Vec<_> = connect
        .requests_since(mark)
        .await
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    let theirs = get_settled(connect, &format!("/connectors/{outsider}/config")).await;
    assert_eq!(theirs.body["topics"], "x", "their connector is untouched");

    repo.remove("connectors/b.yaml");
    repo.remove("connectors/c.yaml");
    repo.write(
        "connectors/dots.yaml",
        "name: \"..\"\nconfig: {connector.class: X}\n",
    );
    let err = plan(&repo, &api, true, false)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("connectors/dots.yaml: connector \"..\": the name is `.` or `..`"),
        "{err}"
    );
    remove(&api, &outsider).await;
}

/// The plugin's validation rejects a config before anything is written, naming the key.
#[tokio::test]
async fn invalid_config_is_rejected_by_validation_naming_the_key() {
    let Some(connect) = connect::cluster("invalid_config_is_rejected_by_validation_naming_the_key")
    else {
        return;
    };
    let _shared = connect.shared().await;
    let mut repo = Repo::new("invalid");
    let name = repo.name("no-topics");
    repo.write(
        "connectors/bad.yaml",
        &format!("name: {name}\nconfig:\n  connector.class: FileStreamSink\n  file: /tmp/x.txt\n  tasks.max: not-a-number\n"),
    );
    let api = api(connect);
    let mark = connect.log_mark();
    let err = plan(&repo, &api, false, true).await.unwrap_err();
    let SyncFailure::Refused(Refusal::Invalid(errors)) = &err else {
        panic!("{err}")
    };
    let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
    assert!(keys.contains(&"tasks.max"), "{err}");
    assert!(
        err.to_string()
            .contains(&format!("connector \"{name}\": key \"tasks.max\"")),
        "{err}"
    );
    let written: Vec<_> = connect
        .requests_since(mark)
        .await
        .into_iter()
        .filter(|r| r.path.contains(&name) && r.method != "GET")
        .collect();
    assert!(written.is_empty(), "nothing is written: {written:?}");
    assert_eq!(
        get_settled(connect, &format!("/connectors/{name}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// Secret values never appear in a plan (text, JSON, Debug) or an apply report, also when they
/// change; config-provider placeholders are shown and reach Connect untouched.
#[tokio::test]
async fn secrets_are_redacted_everywhere() {
    let Some(connect) = connect::cluster("secrets_are_redacted_everywhere") else {
        return;
    };
    let _shared = connect.shared().await;
    let mut repo = Repo::new("secret");
    let secret = unique_name("hunter2");
    repo.sink(
        "s",
        "s.txt",
        &format!("  database.password: {secret}\n  sasl.jaas.config: ${{file:/etc/kafka/jaas.properties:jaas}}\n"),
    );
    let api = api(connect);
    let (created, applied) = apply(&repo, &api, false).await;
    assert!(applied.converged(), "{applied:?}");
    let stored = get_settled(connect, &format!("/connectors/{}/config", repo.name("s"))).await;
    assert_eq!(
        stored.body["database.password"],
        secret.as_str(),
        "the real value reaches Connect"
    );
    assert_eq!(
        stored.body["sasl.jaas.config"],
        "${file:/etc/kafka/jaas.properties:jaas}"
    );

    let new_secret = unique_name("correct-horse");
    repo.sink("s", "s.txt", &format!("  database.password: {new_secret}\n  sasl.jaas.config: ${{file:/etc/kafka/jaas.properties:jaas}}\n"));
    let (updated, applied) = apply(&repo, &api, false).await;
    assert_eq!(updated.summary.updated, 1);
    for text in [
        created.to_string(),
        serde_json::to_string(&created).unwrap(),
        format!("{created:?}"),
        updated.to_string(),
        serde_json::to_string(&updated).unwrap(),
        format!("{updated:?}"),
        serde_json::to_string(&applied).unwrap(),
        format!("{applied:?}"),
    ] {
        assert!(
            !text.contains(&secret) && !text.contains(&new_secret),
            "secret leaked:\n{text}"
        );
    }
    assert!(
        updated
            .to_string()
            .contains("~ database.password: \"<redacted>\" -> \"<redacted>\"  (secret)"),
        "{updated}"
    );
    assert!(created
        .to_string()
        .contains("${file:/etc/kafka/jaas.properties:jaas}"));
    remove(&api, &repo.name("s")).await;
}

/// A sink whose file cannot be created fails its task; apply reports FAILED with the Java trace,
/// after restarting it once when asked.
#[tokio::test]
async fn a_failing_connector_is_reported_with_its_trace() {
    let Some(connect) = connect::cluster("a_failing_connector_is_reported_with_its_trace") else {
        return;
    };
    let _shared = connect.shared().await;
    let mut repo = Repo::new("failing");
    let name = repo.name("broken");
    repo.write(
        "connectors/broken.yaml",
        &format!("name: {name}\nconfig:\n  connector.class: FileStreamSink\n  topics: t\n  file: /nonexistent-dir/{name}/out.txt\n"),
    );
    let api = api(connect);
    let mark = connect.log_mark();
    let plan = plan(&repo, &api, false, true).await.unwrap();
    let wait = WaitOptions {
        restart_failed: true,
        ..wait_options()
    };
    let applied = run::apply_and_wait(
        &plan,
        &*api,
        None::<&NoBrokers>,
        &TokioClock::start(),
        &apply_options(),
        Some(&wait),
        run::AlsoWaitFor::Nothing,
    )
    .await
    .unwrap();
    assert!(applied.writes.succeeded(), "the write itself worked");
    assert!(!applied.converged());
    let result = &applied.wait[0];
    assert!(result.restarted, "{result:?}");
    let WaitOutcome::Failed { trace } = &result.outcome else {
        panic!("{result:?}")
    };
    assert!(trace.starts_with("task 0: "), "{trace}");
    assert!(trace.contains("Exception"), "a Java trace: {trace}");
    assert!(applied
        .failures()
        .iter()
        .any(|f| f.starts_with(&format!("{name} is FAILED: task 0: "))));
    let restarts = connect.requests_since(mark).await;
    assert!(restarts.iter().any(|r| r.method == "POST"
        && r.path == format!("/connectors/{name}/restart?includeTasks=true&onlyFailed=true")));
    remove(&api, &name).await;
}
