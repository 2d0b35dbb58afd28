//! The last applied desired state of each cluster, and the store that keeps it (with each
//! cluster's restart ledger, [`super::heal::RestartLedger`]).
//!
//! What makes a desired state "older" is the time S3 wrote the object it was read from
//! ([`AppliedState::written_at`], the object version's `LastModified`), for both triggers:
//!
//! - a bundle's versions are not comparable by version id (ids are opaque, and two bundles with
//!   different keys can target one cluster), but every version has the time S3 stored it;
//! - a pipeline's input artifact is a new object per source revision, written when that
//!   execution's source action ran: an execution that started earlier wrote its artifact earlier,
//!   so an older execution reaching the action after a newer one (queued or parallel execution
//!   modes, a retried stage) carries the earlier time.
//!
//! The time comes with the object's bytes (one `GetObject`, no extra request), from S3's clock,
//! the same for every key. It has one-second resolution: two desired states written in the same
//! second are equal, neither older (the apply is allowed, as a re-run of the same revision is).
//! A continuation round of a pipeline job reads the same object again: equal, allowed.

use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::kafka_sync::reconcile::heal::RestartLedger;
use crate::ports::ObserveError;

/// Where a cluster's desired state came from, with enough to read it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum AppliedSource {
    /// An uploaded bundle: that object version (`None`: the bucket keeps no versions).
    Bundle {
        bucket: String,
        key: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        version_id: Option<String>,
    },
    /// A pipeline job's input artifact, at its S3 location (re-read with the function's role).
    Pipeline {
        pipeline: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        execution_id: Option<String>,
        /// The input artifact's revision (the commit id, for a Git source).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        revision: Option<String>,
        bucket: String,
        key: String,
    },
}

impl AppliedSource {
    /// The S3 object holding the desired state: bucket, key, version.
    pub fn object(&self) -> (&str, &str, Option<&str>) {
        match self {
            AppliedSource::Bundle {
                bucket,
                key,
                version_id,
            } => (bucket, key, version_id.as_deref()),
            AppliedSource::Pipeline { bucket, key, .. } => (bucket, key, None),
        }
    }
}

impl std::fmt::Display for AppliedSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppliedSource::Bundle {
                bucket,
                key,
                version_id,
            } => {
                write!(f, "bundle s3://{bucket}/{key}")?;
                match version_id {
                    Some(v) => write!(f, "?versionId={v}"),
                    None => Ok(()),
                }
            }
            AppliedSource::Pipeline {
                pipeline,
                execution_id,
                revision,
                ..
            } => {
                write!(f, "pipeline {pipeline:?}")?;
                if let Some(e) = execution_id {
                    write!(f, " execution {e}")?;
                }
                if let Some(r) = revision {
                    write!(f, " revision {r}")?;
                }
                Ok(())
            }
        }
    }
}

/// What was applied to a cluster, and how, as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedState {
    pub cluster: String,
    #[serde(flatten)]
    pub source: AppliedSource,
    pub environment: String,
    /// Folder inside the zip holding the desired state.
    #[serde(default)]
    pub directory: String,
    /// The apply's prune setting (a drift check reports what prune would delete only when it
    /// was on; `enforce` never deletes).
    #[serde(default)]
    pub prune: bool,
    /// When S3 wrote the desired state's object, in seconds since the epoch: the order of
    /// desired states (module documentation).
    pub written_at: i64,
    /// When the apply finished, in seconds since the epoch.
    pub applied_at: i64,
}

impl AppliedState {
    /// One line: what, with which environment, written when.
    pub fn describe(&self) -> String {
        format!(
            "{} (environment {:?}, written {})",
            self.source,
            self.environment,
            crate::timestamps::format(crate::timestamps::from_unix(self.written_at))
        )
    }

    /// Whether `self`, already applied, is newer than `incoming`: then applying `incoming`
    /// would roll the cluster back, and is refused.
    pub fn supersedes(&self, incoming: &AppliedState) -> bool {
        self.written_at > incoming.written_at
    }
}

/// The refusal of an older desired state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("superseded by {}, applied {}: nothing was written", .newer.describe(), crate::timestamps::format(crate::timestamps::from_unix(.newer.applied_at)))]
pub struct Superseded {
    pub newer: Box<AppliedState>,
}

/// Refuses `incoming` when the recorded state is newer. Pure.
pub fn check_not_older(
    recorded: Option<&AppliedState>,
    incoming: &AppliedState,
) -> Result<(), Superseded> {
    match recorded {
        Some(newer) if newer.supersedes(incoming) => Err(Superseded {
            newer: Box::new(newer.clone()),
        }),
        _ => Ok(()),
    }
}

/// What recording an applied state did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    Saved,
    /// A newer state was recorded meanwhile (a concurrent apply): it stays.
    KeptNewer(Box<AppliedState>),
}

/// The store of applied states and restart ledgers (DynamoDB in the Lambda, the world in a
/// dry run). `table` is `KAFKA_STATE_TABLE`.
pub trait AppliedStore: Sync {
    /// The cluster's last applied state (`None`: nothing recorded yet).
    fn applied(
        &self,
        table: &str,
        cluster: &str,
    ) -> impl Future<Output = Result<Option<AppliedState>, ObserveError>> + Send;
    /// Records `state` unless a newer one is recorded: one conditional write, so two concurrent
    /// applies cannot move the record backwards.
    fn record(
        &self,
        table: &str,
        state: &AppliedState,
    ) -> impl Future<Output = Result<Recorded, ObserveError>> + Send;
    /// The cluster's restart ledger (empty when none is stored).
    fn restarts(
        &self,
        table: &str,
        cluster: &str,
    ) -> impl Future<Output = Result<RestartLedger, ObserveError>> + Send;
    fn save_restarts(
        &self,
        table: &str,
        cluster: &str,
        ledger: &RestartLedger,
    ) -> impl Future<Output = Result<(), ObserveError>> + Send;
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn bundle_state(version: &str, written_at: i64) -> AppliedState {
        AppliedState {
            cluster: "main".into(),
            source: AppliedSource::Bundle {
                bucket: "b".into(),
                key: "connect/prod.zip".into(),
                version_id: Some(version.into()),
            },
            environment: "prod".into(),
            directory: String::new(),
            prune: true,
            written_at,
            applied_at: written_at + 5,
        }
    }

    #[test]
    fn an_older_desired_state_is_refused_naming_the_newer() {
        let newer = bundle_state("v2", 2_000);
        let older = bundle_state("v1", 1_000);
        assert!(check_not_older(None, &older).is_ok());
        assert!(check_not_older(Some(&older), &newer).is_ok());
        // The same revision again (a continuation round, a retried event): allowed.
        assert!(check_not_older(Some(&newer), &newer).is_ok());
        let err = check_not_older(Some(&newer), &older).unwrap_err();
        assert_eq!(
            err.to_string(),
            "superseded by bundle s3://b/connect/prod.zip?versionId=v2 (environment \"prod\", written 1970-01-01T00:33:20Z), applied 1970-01-01T00:33:25Z: nothing was written"
        );
    }

    #[test]
    fn states_round_trip_as_json_with_their_source() {
        let pipeline = AppliedState {
            source: AppliedSource::Pipeline {
                pipeline: "release".into(),
                execution_id: Some("e-1".into()),
                revision: Some("abc123".into()),
                bucket: "art".into(),
                key: "release/Source/x.zip".into(),
            },
            ..bundle_state("v", 1)
        };
        let text = serde_json::to_value(&pipeline).unwrap();
        assert_eq!(text["source"], "pipeline");
        assert_eq!(text["execution_id"], "e-1");
        let back: AppliedState = serde_json::from_value(text).unwrap();
        assert_eq!(back, pipeline);
        assert_eq!(
            pipeline.source.object(),
            ("art", "release/Source/x.zip", None)
        );
    }
}
