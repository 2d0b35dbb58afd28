//! The real Kafka Connect test cluster works: connectors from `connect-file` run on it, data flows
//! through its broker, its access log shows the requests, and the worker can be restarted.
//! Without `CONNECT_URL` they fail under `CI=true` and skip (loudly) elsewhere; see
//! `switchyard_test_support::connect`.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use switchyard_test_support::connect::{self, unique_name};

/// A FileStreamSource copies a file's lines into a topic and a FileStreamSink copies that topic into
/// another file: both connectors reach RUNNING, the line arrives, and deleting removes them.
#[tokio::test]
async fn file_source_to_sink_roundtrip_and_delete() {
    let Some(connect) = connect::cluster("file_source_to_sink_roundtrip_and_delete") else {
        return;
    };
    let _shared = connect.shared().await;
    let dir = std::env::temp_dir().join(unique_name("switchyard-connect-smoke"));
    std::fs::create_dir_all(&dir).unwrap();
    let (input, output) = (dir.join("in.txt"), dir.join("out.txt"));
    std::fs::write(&input, "hello through kafka\n").unwrap();
    let topic = unique_name("smoke-topic");
    let (source, sink) = (unique_name("smoke-source"), unique_name("smoke-sink"));
    let mark = connect.log_mark();

    let created = connect
        .put(
            &format!("/connectors/{sink}/config"),
            &json!({
                "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
                "topics": topic,
                "file": output.to_str().unwrap(),
            }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["name"], sink.as_str());
    let created = connect
        .put(
            &format!("/connectors/{source}/config"),
            &json!({
                "connector.class": "FileStreamSource",
                "topic": topic,
                "file": input.to_str().unwrap(),
            }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);

    let status = connect.wait_until_running(&sink).await;
    assert_eq!(status["type"], "sink");
    connect.wait_until_running(&source).await;
    wait_for_file_line(&output, "hello through kafka").await;

    let requests = connect.requests_since(mark).await;
    let puts: Vec<_> = requests
        .iter()
        .filter(|r| r.method == "PUT")
        .map(|r| (r.path.as_str(), r.status))
        .collect();
    assert_eq!(
        puts,
        [
            (format!("/connectors/{sink}/config").as_str(), 201),
            (format!("/connectors/{source}/config").as_str(), 201),
        ]
    );

    for name in [&source, &sink] {
        let deleted = connect.delete(&format!("/connectors/{name}")).await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
        connect.wait_until_gone(name).await;
    }
    let listed = connect.get("/connectors").await;
    let names = listed.body.as_array().unwrap();
    assert!(!names.contains(&json!(sink)) && !names.contains(&json!(source)));
    std::fs::remove_dir_all(&dir).ok();
}

/// A connector survives a graceful worker restart: the REST API comes back on the same URL and
/// the connector is RUNNING again with its stored config.
#[tokio::test]
async fn connector_runs_again_after_worker_restart() {
    let Some(connect) = connect::cluster("connector_runs_again_after_worker_restart") else {
        return;
    };
    let _exclusive = connect.exclusive().await;
    let sink = unique_name("restart-sink");
    let output = std::env::temp_dir().join(format!("{sink}.txt"));
    let config = json!({
        "connector.class": "FileStreamSink",
        "topics": unique_name("restart-topic"),
        "file": output.to_str().unwrap(),
    });
    let created = connect
        .put(&format!("/connectors/{sink}/config"), &config)
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    connect.wait_until_running(&sink).await;

    connect.restart_worker().await;

    connect.wait_until_running(&sink).await;
    let stored = connect.get(&format!("/connectors/{sink}/config")).await;
    assert_eq!(stored.status, StatusCode::OK);
    assert_eq!(stored.body["file"], config["file"]);
    assert_eq!(stored.body["topics"], config["topics"]);
    let deleted = connect.delete(&format!("/connectors/{sink}")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    std::fs::remove_file(&output).ok();
}

async fn wait_for_file_line(path: &std::path::Path, line: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.lines().any(|l| l == line) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{} did not receive {line:?} within 60 s; it holds {text:?}",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
