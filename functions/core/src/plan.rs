//! What a decision produces: an outcome, its reason, and the typed actions to run.
//!
//! Actions serialize as `{"service", "operation", "input"}` where `input` uses the AWS API's own
//! member names, so a dry-run plan reads like the request it stands for.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

pub use crate::actions::*;

/// The six functions. Names are fixed: folder, SAM logical id and `function` in output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FunctionName {
    BranchPipelines,
    TagRelease,
    ArtifactRelease,
    HealthGate,
    StageRetry,
    KafkaSync,
}

impl FunctionName {
    pub const ALL: [FunctionName; 6] = [
        FunctionName::BranchPipelines,
        FunctionName::TagRelease,
        FunctionName::ArtifactRelease,
        FunctionName::HealthGate,
        FunctionName::StageRetry,
        FunctionName::KafkaSync,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FunctionName::BranchPipelines => "branch-pipelines",
            FunctionName::TagRelease => "tag-release",
            FunctionName::ArtifactRelease => "artifact-release",
            FunctionName::HealthGate => "health-gate",
            FunctionName::StageRetry => "stage-retry",
            FunctionName::KafkaSync => "kafka-sync",
        }
    }
}

impl std::fmt::Display for FunctionName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an event was rejected; entry points map it to a status (HTTP 401/400) or an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectKind {
    /// Webhook signature missing or wrong. Nothing in the body was trusted.
    Unauthenticated,
    /// Malformed payload, invalid ref, value outside the grammar or allow-lists.
    Invalid,
    /// No function handles this kind of event.
    Unsupported,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The plan has actions (in a dry run: would act).
    Acted,
    /// Nothing to do, for a stated reason (default branch, excluded, deletion of a tag…).
    Skipped,
    /// The event is unacceptable; no action is ever planned for it.
    Rejected(RejectKind),
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Acted => "acted",
            Outcome::Skipped => "skipped",
            Outcome::Rejected(_) => "rejected",
        }
    }
}

impl Serialize for Outcome {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The result of decide: pure data, printable as a plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub outcome: Outcome,
    pub reason: String,
    pub actions: Vec<Action>,
}

impl Decision {
    pub fn act(reason: impl Into<String>, actions: Vec<Action>) -> Self {
        debug_assert!(!actions.is_empty(), "an acted decision carries actions");
        Decision {
            outcome: Outcome::Acted,
            reason: reason.into(),
            actions,
        }
    }

    pub fn skip(reason: impl Into<String>) -> Self {
        Decision {
            outcome: Outcome::Skipped,
            reason: reason.into(),
            actions: Vec::new(),
        }
    }

    pub fn reject(kind: RejectKind, reason: impl Into<String>) -> Self {
        Decision {
            outcome: Outcome::Rejected(kind),
            reason: reason.into(),
            actions: Vec::new(),
        }
    }

    pub fn invalid(reason: impl Into<String>) -> Self {
        Self::reject(RejectKind::Invalid, reason)
    }

    pub fn is_rejected(&self) -> bool {
        matches!(self.outcome, Outcome::Rejected(_))
    }
}

/// The decision about one record of an event that carries several independent records (S3
/// notifications, SNS and SQS batches). Each record is decided, acted on and reported on its
/// own, so one bad record does not stop the others.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordDecision {
    /// Where the record sits in the raw event (`Records[1]`, `Records[0].body.Records[0]`);
    /// `None` when the decision is about the event as a whole.
    pub record: Option<String>,
    /// The SQS `messageId` to list in `batchItemFailures` when this record fails.
    pub batch_item_id: Option<String>,
    pub decision: Decision,
    /// The webhook delivery this decision remembered before acting
    /// ([`crate::deliveries::at_most_once`]); forgotten again if acting fails.
    pub delivery: Option<crate::deliveries::port::DeliveryClaim>,
}

impl RecordDecision {
    /// A decision about the whole event (functions whose events hold one item).
    pub fn whole(decision: Decision) -> Self {
        RecordDecision {
            record: None,
            batch_item_id: None,
            decision,
            delivery: None,
        }
    }
}

impl Serialize for Action {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("service", self.service())?;
        map.serialize_entry("operation", self.operation())?;
        self.serialize_input(&mut map)?;
        map.end()
    }
}
