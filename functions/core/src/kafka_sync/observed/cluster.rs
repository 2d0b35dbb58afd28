//! What the Connect cluster holds, parsed from the two reads a plan needs:
//!
//! - `GET /` → `{"version": "3.9.1", "commit": "…", "kafka_cluster_id": "…"}`
//! - `GET /connectors?expand=info&expand=status` →
//!   `{"<name>": {"info": {"name", "config": {…}, "tasks": […], "type"},
//!                "status": {"name", "connector": {"state", "worker_id", "trace"?},
//!                           "tasks": [{"id", "state", "worker_id", "trace"?}], "type"}}}`
//!
//! A connector created a moment ago may lack `info` or `status` (the worker answers for what it
//! has); such entries are kept with what is known.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::kafka_sync::desired::ConnectorConfig;
use crate::kafka_sync::ports::ConnectError;

/// The Apache Kafka version of the Connect worker, and the features that follow from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ConnectVersion {
    pub major: u32,
    pub minor: u32,
}

impl ConnectVersion {
    /// Parses `3.9.1`, `4.0.0`, `3.7.0-SNAPSHOT`, and Confluent Platform's `7.6.1-ccs` /
    /// `7.6.1-ce` (CP 7.x ships Kafka 3.x, CP 8.x Kafka 4.x).
    pub fn parse(text: &str) -> Option<ConnectVersion> {
        let (numbers, suffix) = text.split_once('-').unwrap_or((text, ""));
        let mut parts = numbers.split('.');
        let major: u32 = parts.next()?.parse().ok()?;
        let minor: u32 = parts.next()?.parse().ok()?;
        let confluent = suffix.starts_with("ccs") || suffix.starts_with("ce");
        let major = match (confluent, major) {
            (true, 7) => 3,
            (true, 8) => 4,
            _ => major,
        };
        Some(ConnectVersion { major, minor })
    }

    fn at_least(self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) >= (major, minor)
    }

    /// `PUT /connectors/{name}/stop` and the STOPPED state (KIP-875, Kafka 3.5).
    pub fn supports_stop(self) -> bool {
        self.at_least(3, 5)
    }

    /// `initial_state` in `POST /connectors` (KIP-980, Kafka 3.7).
    pub fn supports_initial_state(self) -> bool {
        self.at_least(3, 7)
    }

    /// `POST /connectors/{name}/restart?includeTasks=true&onlyFailed=true` (KIP-745, Kafka 3.0).
    pub fn supports_restart_failed_tasks(self) -> bool {
        self.at_least(3, 0)
    }
}

/// Connect's connector and task states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RunState {
    Running,
    Paused,
    Stopped,
    Failed,
    Unassigned,
    Restarting,
    /// A state this version does not know yet.
    #[serde(other)]
    Unknown,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Running => "RUNNING",
            RunState::Paused => "PAUSED",
            RunState::Stopped => "STOPPED",
            RunState::Failed => "FAILED",
            RunState::Unassigned => "UNASSIGNED",
            RunState::Restarting => "RESTARTING",
            RunState::Unknown => "UNKNOWN",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskStatus {
    pub id: u32,
    pub state: RunState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

/// A connector's status: its own state and its tasks'.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectorStatus {
    pub state: RunState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    pub tasks: Vec<TaskStatus>,
}

impl ConnectorStatus {
    /// The first failure: the connector's trace, or a failed task's.
    pub fn failure(&self) -> Option<String> {
        if self.state == RunState::Failed {
            return Some(self.trace.clone().unwrap_or_else(|| "(no trace)".into()));
        }
        self.tasks
            .iter()
            .find(|t| t.state == RunState::Failed)
            .map(|t| {
                format!(
                    "task {}: {}",
                    t.id,
                    t.trace.as_deref().unwrap_or("(no trace)")
                )
            })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObservedConnector {
    /// `None` when the worker could not give the config (connector just created or deleted).
    pub config: Option<ConnectorConfig>,
    pub status: Option<ConnectorStatus>,
}

/// The cluster as one plan sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedCluster {
    pub version_text: String,
    pub version: Option<ConnectVersion>,
    pub connectors: BTreeMap<String, ObservedConnector>,
}

/// Why a response could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unexpected Kafka Connect response for {request}: {message}")]
pub struct ShapeError {
    pub request: &'static str,
    pub message: String,
}

/// Why reading from Connect failed: the request, or the shape of its answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Shape(#[from] ShapeError),
}

fn shape(request: &'static str, message: impl Into<String>) -> ShapeError {
    ShapeError {
        request,
        message: message.into(),
    }
}

/// The `version` of `GET /`.
pub fn parse_server_info(body: &Value) -> Result<String, ShapeError> {
    body.get("version")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| shape("GET /", "no string `version`"))
}

pub fn parse_config(request: &'static str, config: &Value) -> Result<ConnectorConfig, ShapeError> {
    let map = config
        .as_object()
        .ok_or_else(|| shape(request, "`config` is not an object"))?;
    let mut out = BTreeMap::new();
    for (k, v) in map {
        // Connect always stores strings; anything else is not a Connect response.
        let s = v
            .as_str()
            .ok_or_else(|| shape(request, format!("config value of {k:?} is not a string")))?;
        out.insert(k.clone(), s.to_owned());
    }
    Ok(ConnectorConfig(out))
}

/// A `status` object (`GET /connectors/{name}/status`, or the `status` of the expanded list).
pub fn parse_status(request: &'static str, status: &Value) -> Result<ConnectorStatus, ShapeError> {
    #[derive(Deserialize)]
    struct Raw {
        connector: RawState,
        #[serde(default)]
        tasks: Vec<RawTask>,
    }
    #[derive(Deserialize)]
    struct RawState {
        state: RunState,
        trace: Option<String>,
    }
    #[derive(Deserialize)]
    struct RawTask {
        id: u32,
        state: RunState,
        trace: Option<String>,
    }
    let raw: Raw =
        serde_json::from_value(status.clone()).map_err(|e| shape(request, e.to_string()))?;
    Ok(ConnectorStatus {
        state: raw.connector.state,
        trace: raw.connector.trace,
        tasks: raw
            .tasks
            .into_iter()
            .map(|t| TaskStatus {
                id: t.id,
                state: t.state,
                trace: t.trace,
            })
            .collect(),
    })
}

/// The body of `GET /connectors?expand=info&expand=status` (either expansion may be absent).
pub fn parse_expanded_connectors(
    body: &Value,
) -> Result<BTreeMap<String, ObservedConnector>, ShapeError> {
    const REQUEST: &str = "GET /connectors?expand=info&expand=status";
    let map = body
        .as_object()
        .ok_or_else(|| shape(REQUEST, "expected an object keyed by connector name"))?;
    let mut out = BTreeMap::new();
    for (name, entry) in map {
        let config = match entry.get("info").and_then(|i| i.get("config")) {
            Some(c) => Some(parse_config(REQUEST, c)?),
            None => None,
        };
        let status = match entry.get("status") {
            Some(s) if !s.is_null() => Some(parse_status(REQUEST, s)?),
            _ => None,
        };
        out.insert(name.clone(), ObservedConnector { config, status });
    }
    Ok(out)
}

/// Assembles the observation from the two responses.
pub fn observe(server_info: &Value, connectors: &Value) -> Result<ObservedCluster, ShapeError> {
    let version_text = parse_server_info(server_info)?;
    Ok(ObservedCluster {
        version: ConnectVersion::parse(&version_text),
        version_text,
        connectors: parse_expanded_connectors(connectors)?,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    pub fn expanded_sample() -> Value {
        json!({
            "orders-cdc": {
                "info": {"name": "orders-cdc", "type": "source", "tasks": [{"connector": "orders-cdc", "task": 0}],
                         "config": {"name": "orders-cdc", "connector.class": "FileStreamSource", "file": "/tmp/in", "topic": "t"}},
                "status": {"name": "orders-cdc", "type": "source",
                           "connector": {"state": "RUNNING", "worker_id": "127.0.0.1:8083"},
                           "tasks": [{"id": 0, "state": "FAILED", "worker_id": "127.0.0.1:8083", "trace": "java.lang.Boom"}]}
            },
            "just-created": {"info": {"name": "just-created", "config": {"name": "just-created", "connector.class": "X"}, "tasks": [], "type": "sink"}}
        })
    }

    #[test]
    fn parses_the_expanded_list() {
        let c = observe(
            &json!({"version": "3.9.1", "commit": "abc"}),
            &expanded_sample(),
        )
        .unwrap();
        assert_eq!(c.version, Some(ConnectVersion { major: 3, minor: 9 }));
        let orders = &c.connectors["orders-cdc"];
        assert_eq!(orders.config.as_ref().unwrap().get("file"), Some("/tmp/in"));
        let status = orders.status.as_ref().unwrap();
        assert_eq!(status.state, RunState::Running);
        assert_eq!(status.failure().unwrap(), "task 0: java.lang.Boom");
        assert!(c.connectors["just-created"].status.is_none());
    }

    #[test]
    fn rejects_what_connect_never_sends() {
        let err =
            parse_expanded_connectors(&json!({"a": {"info": {"config": {"x": 1}}}})).unwrap_err();
        assert!(err.to_string().contains("\"x\" is not a string"));
        assert!(parse_server_info(&json!({})).is_err());
        assert!(parse_expanded_connectors(&json!(["a"])).is_err());
    }

    #[test]
    fn versions_and_features() {
        let v = |s| ConnectVersion::parse(s).unwrap();
        assert!(v("3.7.0").supports_initial_state());
        assert!(!v("3.6.2").supports_initial_state());
        assert!(v("3.6.2").supports_stop());
        assert!(!v("3.4.0").supports_stop());
        assert!(
            v("7.7.0-ccs").supports_initial_state(),
            "CP 7.7 is Kafka 3.7"
        );
        assert!(!v("7.4.0-ce").supports_stop(), "CP 7.4 is Kafka 3.4");
        assert!(v("4.1.0").supports_initial_state());
        assert!(v("3.8.0-SNAPSHOT").supports_initial_state());
        assert!(!v("2.8.1").supports_restart_failed_tasks());
        assert_eq!(ConnectVersion::parse("garbage"), None);
    }
}
