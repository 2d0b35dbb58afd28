//! The ports `kafka-sync` acts through: the Connect REST API, the reader of a trigger's desired
//! state, and a clock. The adapters (reqwest, S3, tokio) live in `switchyard-adapters::connect`;
//! the dry run's in [`super::triggers::dry_run`], with the [`SimulatedClock`] here that the tests
//! use too.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::kafka_sync::changes::redact;
use crate::kafka_sync::desired::{ConnectorConfig, SourceFile, TargetState};
use crate::pipeline_job::ArtifactCredentials;

/// What a failed Connect request means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 409 during a rebalance, or 500 "a rebalance is expected": retry later.
    Rebalancing,
    /// 500 "Request timed out": the worker may still apply the request; re-read, then retry.
    TimedOut,
    /// No answer (connection refused or reset, 502/503/504 from a proxy): retry later.
    Unreachable,
    NotFound,
    /// 409 "Connector … already exists" (a create that raced, or an earlier attempt that landed).
    AlreadyExists,
    /// 400 / 422: the request or config is wrong; retrying cannot help.
    Invalid,
    /// 401 / 403.
    Unauthorized,
    Other,
}

impl ErrorKind {
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::Rebalancing | ErrorKind::TimedOut | ErrorKind::Unreachable
        )
    }
}

/// A failed Connect request. `message` is Connect's `message` (never a request body), on one
/// line, bounded and without embedded credentials ([`redact::scrub_message`]); the values of the
/// plan's secret keys are scrubbed where the plan is known ([`crate::kafka_sync::ChangePlan`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{request}: {message}")]
pub struct ConnectError {
    pub kind: ErrorKind,
    /// e.g. `PUT /connectors/orders/config`.
    pub request: String,
    pub status: Option<u16>,
    pub message: String,
}

impl ConnectError {
    /// Classifies an HTTP error answer from Connect (`{"error_code": …, "message": …}`).
    pub fn from_response(request: String, status: u16, message: String) -> Self {
        let lower = message.to_ascii_lowercase();
        let kind = match status {
            404 => ErrorKind::NotFound,
            409 if lower.contains("already exists") => ErrorKind::AlreadyExists,
            409 => ErrorKind::Rebalancing,
            500 if lower.contains("rebalance is expected")
                || lower.contains("rebalance is in progress") =>
            {
                ErrorKind::Rebalancing
            }
            500 if lower.contains("request timed out") => ErrorKind::TimedOut,
            502..=504 => ErrorKind::Unreachable,
            400 | 422 => ErrorKind::Invalid,
            401 | 403 => ErrorKind::Unauthorized,
            _ => ErrorKind::Other,
        };
        ConnectError {
            kind,
            request,
            status: Some(status),
            message: redact::scrub_message(&message),
        }
    }

    /// No HTTP answer at all.
    pub fn unreachable(request: String, message: String) -> Self {
        ConnectError {
            kind: ErrorKind::Unreachable,
            request,
            status: None,
            message: redact::scrub_message(&message),
        }
    }
}

/// The run-state operations: `PUT /connectors/{name}/pause|resume|stop`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateOp {
    Pause,
    Resume,
    Stop,
}

impl StateOp {
    pub fn for_target(target: TargetState) -> StateOp {
        match target {
            TargetState::Running => StateOp::Resume,
            TargetState::Paused => StateOp::Pause,
            TargetState::Stopped => StateOp::Stop,
        }
    }

    pub fn path_segment(self) -> &'static str {
        match self {
            StateOp::Pause => "pause",
            StateOp::Resume => "resume",
            StateOp::Stop => "stop",
        }
    }
}

type Answer<T> = Result<T, ConnectError>;

/// The Kafka Connect REST API, one method per request. Bodies come back as JSON and are parsed
/// by [`crate::kafka_sync::observed`], so every shape assumption lives in one tested place.
pub trait ConnectApi: Sync {
    /// `GET /`
    fn server_info(&self) -> impl Future<Output = Answer<Value>> + Send;
    /// `GET /connectors?expand=info&expand=status`
    fn connectors_expanded(&self) -> impl Future<Output = Answer<Value>> + Send;
    /// `GET /connectors?expand=status`
    fn connector_statuses(&self) -> impl Future<Output = Answer<Value>> + Send;
    /// `GET /connectors/{name}/config`
    fn connector_config(&self, name: &str) -> impl Future<Output = Answer<Value>> + Send;
    /// `PUT /connectors/{name}/config`: creates or replaces (and restarts) the connector.
    fn put_config(
        &self,
        name: &str,
        config: &ConnectorConfig,
    ) -> impl Future<Output = Answer<()>> + Send;
    /// `POST /connectors` with `initial_state` (Kafka 3.7+).
    fn create(
        &self,
        name: &str,
        config: &ConnectorConfig,
        initial_state: TargetState,
    ) -> impl Future<Output = Answer<()>> + Send;
    /// `PUT /connectors/{name}/pause|resume|stop`
    fn set_state(&self, name: &str, op: StateOp) -> impl Future<Output = Answer<()>> + Send;
    /// `DELETE /connectors/{name}`
    fn delete(&self, name: &str) -> impl Future<Output = Answer<()>> + Send;
    /// `POST /connectors/{name}/restart?includeTasks=true&onlyFailed=true`
    fn restart_failed(&self, name: &str) -> impl Future<Output = Answer<()>> + Send;
    /// `PUT /connector-plugins/{class}/config/validate`
    fn validate(
        &self,
        class: &str,
        config: &ConnectorConfig,
    ) -> impl Future<Output = Answer<Value>> + Send;
}

/// Where a trigger's desired state is: a zip in S3.
#[derive(Debug, Clone, Copy)]
pub enum ArtifactLocation<'a> {
    /// A pipeline job's input artifact, read with the job's temporary `artifactCredentials`
    /// (`None`: the job carries none).
    JobInput {
        bucket: &'a str,
        key: &'a str,
        credentials: Option<&'a ArtifactCredentials>,
    },
    /// An uploaded desired-state bundle: that object version, read with the function's own role,
    /// and only while it is still the object's current version ([`ArtifactError::Superseded`]).
    Bundle {
        bucket: &'a str,
        key: &'a str,
        version_id: Option<&'a str>,
    },
    /// A desired state an earlier apply recorded ([`crate::kafka_sync::reconcile::record`]), read
    /// again for a drift check with the function's own role: that object (version), whether or
    /// not it is still current.
    Recorded {
        bucket: &'a str,
        key: &'a str,
        version_id: Option<&'a str>,
    },
}

/// A desired state as read: its files, and when S3 wrote the object they came from (what orders
/// desired states, [`crate::kafka_sync::reconcile::record`]).
#[derive(Debug, Clone)]
pub struct DesiredArtifact {
    pub files: Vec<SourceFile>,
    pub written_at: SystemTime,
}

/// Why a desired state could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArtifactError {
    /// A dry run without a desired state in its world: nothing was read (the trigger says what
    /// the Lambda would apply instead).
    #[error("a dry run reads no artifact")]
    NotRead,
    #[error("no artifactCredentials to read the input artifact")]
    NoCredentials,
    /// S3 refused or failed; `message` names the object.
    #[error("{message}")]
    Unreadable { message: String, retryable: bool },
    /// The zip is not a desired state (`path: problem`).
    #[error("{0}")]
    NotDesiredState(String),
    /// The bundle version an event names is no longer the object's current version: applying it
    /// would roll the cluster back (with prune, delete what the newer version added).
    #[error("superseded by {}", .current.as_deref().map(|v| format!("versionId={v}")).unwrap_or_else(|| "a deletion (the object has no current version)".into()))]
    Superseded { current: Option<String> },
}

/// Reads a trigger's desired state: the zip at a location, unpacked into the files below
/// `directory` (paths relative to it).
pub trait ArtifactReader: Sync {
    fn read(
        &self,
        location: ArtifactLocation<'_>,
        directory: &str,
    ) -> impl Future<Output = Result<DesiredArtifact, ArtifactError>> + Send;
}

/// Time, for retries and waits: real in adapters, simulated in tests and the dry run.
pub trait Clock: Sync {
    /// Time since the clock started (deadlines are measured on it).
    fn elapsed(&self) -> Duration;
    /// The wall-clock time (a Lambda deadline is one; continuation tokens carry it).
    fn now(&self) -> SystemTime;
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send;
    /// A uniformly random number in `[0, 1)` for backoff jitter.
    fn jitter(&self) -> f64;
}

/// Simulated time: `sleep` advances it instantly; `now` is `start` plus the time slept.
#[derive(Debug, Default)]
pub struct SimulatedClock {
    start: Duration,
    nanos: AtomicU64,
}

impl SimulatedClock {
    pub fn starting_at(now: SystemTime) -> Self {
        SimulatedClock {
            start: now.duration_since(UNIX_EPOCH).unwrap_or_default(),
            nanos: AtomicU64::new(0),
        }
    }
}

impl Clock for SimulatedClock {
    fn elapsed(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::SeqCst))
    }

    fn now(&self) -> SystemTime {
        UNIX_EPOCH + self.start + self.elapsed()
    }

    async fn sleep(&self, d: Duration) {
        self.nanos.fetch_add(
            u64::try_from(d.as_nanos()).unwrap_or(u64::MAX),
            Ordering::SeqCst,
        );
    }

    fn jitter(&self) -> f64 {
        0.5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_connect_answers() {
        let k =
            |status, msg: &str| ConnectError::from_response("r".into(), status, msg.into()).kind;
        assert_eq!(k(409, "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)"), ErrorKind::Rebalancing);
        assert_eq!(
            k(409, "Connector orders already exists"),
            ErrorKind::AlreadyExists
        );
        assert_eq!(
            k(
                500,
                "Request cannot be completed because a rebalance is expected"
            ),
            ErrorKind::Rebalancing
        );
        assert_eq!(k(500, "Request timed out. The worker is currently ensuring membership in the cluster, which began at 2025-01-01T00:00:00Z"), ErrorKind::TimedOut);
        assert_eq!(k(500, "NullPointerException"), ErrorKind::Other);
        assert_eq!(k(404, "Connector x not found"), ErrorKind::NotFound);
        assert_eq!(
            k(400, "Connector configuration is invalid"),
            ErrorKind::Invalid
        );
        assert_eq!(k(503, ""), ErrorKind::Unreachable);
        assert_eq!(k(401, ""), ErrorKind::Unauthorized);
        assert!(ErrorKind::Rebalancing.is_retryable());
        assert!(!ErrorKind::AlreadyExists.is_retryable());
        assert!(!ErrorKind::Invalid.is_retryable());
    }
}
