//! The real Kafka Connect cluster for tests: one KRaft broker and one distributed worker that
//! `tests/run.sh` starts with `tests/kafka-connect/cluster.sh` and announces in `CONNECT_URL`.
//!
//! - [`cluster`] gives the cluster when `CONNECT_URL` is set. Without it the test fails under
//!   `CI=true` (CI must not pass a test it did not run), and elsewhere skips after a loud `SKIPPED`
//!   line.
//! - [`ConnectCluster`] has a tiny REST client for assertions (`get`/`put`/`post`/`delete`,
//!   waiting for states), the worker's own request log ([`ConnectCluster::requests_since`]) to
//!   count what reached the worker, and [`ConnectCluster::restart_worker`] for "a worker restarted
//!   mid-apply".
//!
//! All tests of all test binaries share the one cluster: give every connector a name from
//! [`unique_name`], and hold [`ConnectCluster::shared`] (or [`ConnectCluster::exclusive`] when the
//! test restarts the worker) so a restart never lands in the middle of another test of the same
//! binary.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

pub struct ConnectCluster {
    /// Base URL of the worker's REST API, e.g. `http://127.0.0.1:38851`.
    pub url: String,
    /// `tests/kafka-connect/cluster.sh` (from `CONNECT_CLUSTER_CTL`), to restart the worker.
    ctl: Option<PathBuf>,
    /// The cluster's state folder (from `CONNECT_CLUSTER_DIR`): logs/worker.log holds the access log.
    dir: Option<PathBuf>,
    http: reqwest::Client,
    restarts: RwLock<()>,
}

/// The running test cluster, or `None` (after printing why) when `CONNECT_URL` is not set.
///
/// # Panics
///
/// When `CONNECT_URL` is not set and `CI` is (`in_ci`): there a missing cluster is a
/// broken setup, and a test that returned early would count as passed.
///
/// ```text
/// let Some(connect) = connect::cluster("file_sink_roundtrip") else { return };
/// ```
pub fn cluster(test: &str) -> Option<&'static ConnectCluster> {
    static CLUSTER: OnceLock<Option<ConnectCluster>> = OnceLock::new();
    let cluster = CLUSTER.get_or_init(|| {
        let url = std::env::var("CONNECT_URL")
            .ok()
            .filter(|u| !u.is_empty())?;
        Some(ConnectCluster {
            url: url.trim_end_matches('/').to_string(),
            ctl: std::env::var_os("CONNECT_CLUSTER_CTL").map(PathBuf::from),
            dir: std::env::var_os("CONNECT_CLUSTER_DIR").map(PathBuf::from),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("HTTP client"),
            restarts: RwLock::new(()),
        })
    });
    if cluster.is_none() {
        let why = "CONNECT_URL is not set, so there is no Kafka Connect cluster to test against";
        let how = "Run ./tests/run.sh (starts one; needs Java 17+), or \
                   eval \"$(tests/kafka-connect/cluster.sh start)\" before cargo test.";
        assert!(
            !in_ci(),
            "{test}: {why}, and CI is set: a test that needs Kafka Connect fails instead of \
             skipping there. {how}"
        );
        // Straight to fd 2: libtest captures `eprintln!` of passing tests, and a skip must be seen.
        let _ = writeln!(std::io::stderr(), "SKIPPED: {test}: {why}. {how}");
    }
    cluster.as_ref()
}

/// Whether this runs in CI: `CI` set to anything but empty, `0` or `false` (CI services set
/// `CI=true`; so does this project's `.ci/run` runner).
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false"))
}

/// A connector name no other test (or earlier run against the same cluster) uses.
pub fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// One REST answer: the status and the body as JSON (`Null` when empty, a JSON string when the
/// body is not JSON).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
}

/// One request as the worker's access log recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    pub method: String,
    /// Path and query string, e.g. `/connectors/x/config`.
    pub path: String,
    pub status: u16,
}

/// A position in the worker's access log (see [`ConnectCluster::requests_since`]).
#[derive(Debug, Clone, Copy)]
pub struct LogMark(u64);

impl ConnectCluster {
    /// Hold while the test talks to the cluster: a restart by another test of this binary waits.
    pub async fn shared(&self) -> RwLockReadGuard<'_, ()> {
        self.restarts.read().await
    }

    /// Hold for a test that restarts the worker: waits until no other test of this binary is
    /// using the cluster.
    pub async fn exclusive(&self) -> RwLockWriteGuard<'_, ()> {
        self.restarts.write().await
    }

    pub async fn request(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        // A worker another test binary has just restarted can refuse or drop connections for a
        // moment after its REST port first answers; every request here is idempotent (GET, PUT
        // of a whole config, DELETE), so it is sent again for up to 30 s before the test fails.
        let deadline = Instant::now() + Duration::from_secs(30);
        let response = loop {
            let mut request = self
                .http
                .request(method.clone(), format!("{}{path}", self.url));
            if let Some(body) = body {
                request = request.json(body);
            }
            match request.send().await {
                Ok(response) => break response,
                Err(e) if Instant::now() < deadline => {
                    eprintln!("{method} {path}: {e}; sending again");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(e) => panic!("{method} {path}: {e}"),
            }
        };
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Reply { status, body }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.request(Method::GET, path, None).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        self.request(Method::PUT, path, Some(body)).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.request(Method::POST, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.request(Method::DELETE, path, None).await
    }

    /// Polls `GET /connectors/{name}/status` until `done` accepts it; panics with the last status
    /// after `timeout`. A 404 (the brief gap after a create) counts as "not yet".
    pub async fn wait_for_status(
        &self,
        name: &str,
        timeout: Duration,
        what: &str,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + timeout;
        let mut last = Value::Null;
        while Instant::now() < deadline {
            let reply = self.get(&format!("/connectors/{name}/status")).await;
            if reply.status == StatusCode::OK {
                if done(&reply.body) {
                    return reply.body;
                }
                last = reply.body;
            } else {
                last = serde_json::json!({ "http": reply.status.as_u16(), "body": reply.body });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("connector {name} not {what} within {timeout:?}; last status: {last}");
    }

    /// Waits until `GET /connectors?expand=info&expand=status` (the listing a sync reads) shows
    /// every one of `names` with its config. The worker answers a create before its list shows
    /// the connector (tens of milliseconds later, or longer on a loaded machine); a plan made in
    /// between would not see it.
    pub async fn wait_until_listed(&self, names: &[&str]) {
        // The expanded listing, with each connector's config: what a sync reads. A fresh worker
        // can list a connector by name before its expanded entry carries it.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let listed = self.get("/connectors?expand=info&expand=status").await.body;
            let missing: Vec<&&str> = names
                .iter()
                .filter(|n| listed.get(**n).and_then(|c| c.get("info")).is_none())
                .collect();
            if missing.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{missing:?} not listed within 60 s; the list: {listed}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the connector and at least one task, and every task, are RUNNING.
    pub async fn wait_until_running(&self, name: &str) -> Value {
        self.wait_for_status(name, Duration::from_secs(60), "RUNNING", |s| {
            let tasks = s["tasks"].as_array().map(Vec::as_slice).unwrap_or(&[]);
            s["connector"]["state"] == "RUNNING"
                && !tasks.is_empty()
                && tasks.iter().all(|t| t["state"] == "RUNNING")
        })
        .await
    }

    /// Waits until `GET /connectors/{name}` answers 404.
    pub async fn wait_until_gone(&self, name: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let reply = self.get(&format!("/connectors/{name}")).await;
            if reply.status == StatusCode::NOT_FOUND {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "connector {name} still exists after 60 s: {}",
                reply.body
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Gracefully stops and starts the worker (same REST port); returns once REST answers again.
    /// Hold [`ConnectCluster::exclusive`] around it.
    pub async fn restart_worker(&self) {
        self.control("restart-worker").await;
    }

    /// Kills the worker with SIGKILL (a crash: no graceful leave of the group) and starts it again.
    pub async fn kill_worker(&self) {
        self.control("kill-worker").await;
    }

    async fn control(&self, command: &'static str) {
        let ctl = self.ctl.clone().expect(
            "CONNECT_CLUSTER_CTL is not set: start the cluster with tests/kafka-connect/cluster.sh",
        );
        let output = tokio::task::spawn_blocking(move || {
            std::process::Command::new(&ctl).arg(command).output()
        })
        .await
        .expect("cluster control task")
        .unwrap_or_else(|e| panic!("running cluster.sh {command}: {e}"));
        assert!(
            output.status.success(),
            "cluster.sh {command} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// The current end of the worker's access log.
    pub fn log_mark(&self) -> LogMark {
        LogMark(std::fs::metadata(self.worker_log()).map_or(0, |m| m.len()))
    }

    /// Every request the worker logged since `mark` (from any client), in log order. Sends one
    /// marker request first and waits until it is logged, so every request that was answered
    /// before this call is in the result.
    pub async fn requests_since(&self, mark: LogMark) -> Vec<LoggedRequest> {
        let marker = format!("/?switchyard-log-marker={}", unique_name("m"));
        self.get(&marker).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let requests = self.read_log_from(mark);
            if let Some(end) = requests.iter().position(|r| r.path == marker) {
                let mut requests = requests;
                requests.truncate(end);
                requests.retain(|r| !r.path.starts_with("/?switchyard-log-marker="));
                return requests;
            }
            assert!(
                Instant::now() < deadline,
                "the worker did not log the marker request {marker} within 10 s ({})",
                self.worker_log().display()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn worker_log(&self) -> PathBuf {
        self.dir
            .as_ref()
            .expect("CONNECT_CLUSTER_DIR is not set: start the cluster with tests/kafka-connect/cluster.sh")
            .join("logs/worker.log")
    }

    fn read_log_from(&self, mark: LogMark) -> Vec<LoggedRequest> {
        let bytes = std::fs::read(self.worker_log()).unwrap_or_default();
        let start = (mark.0 as usize).min(bytes.len());
        String::from_utf8_lossy(&bytes[start..])
            .lines()
            .filter_map(parse_access_log_line)
            .collect()
    }
}

/// Parses the request part of a Jetty NCSA access log line as Connect's `RestServer` logs it:
/// `... RestServer - 127.0.0.1 - - [date] "PUT /connectors/x/config HTTP/1.1" 201 312 "" "agent" 28`.
fn parse_access_log_line(line: &str) -> Option<LoggedRequest> {
    if !line.contains(" RestServer - ") {
        return None;
    }
    let (_, rest) = line.split_once("] \"")?;
    let (request, rest) = rest.split_once("\" ")?;
    let mut parts = request.split(' ');
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let status = rest.split(' ').next()?.parse().ok()?;
    Some(LoggedRequest {
        method,
        path,
        status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_connects_access_log_lines() {
        let line = "06:10:06.430 INFO  RestServer - 127.0.0.1 - - [23/Nov/2026:06:10:06 +0000] \
                    \"PUT /connectors/a-1/config?x=1 HTTP/1.1\" 201 431 \"\" \"curl/7.88.1\" 28";
        assert_eq!(
            parse_access_log_line(line),
            Some(LoggedRequest {
                method: "PUT".into(),
                path: "/connectors/a-1/config?x=1".into(),
                status: 201,
            })
        );
        assert_eq!(
            parse_access_log_line("06:10:06 INFO  Worker - Finished creating connector t1"),
            None
        );
    }
}
