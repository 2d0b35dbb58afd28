//! How one write ended: shared by the writes that produce it and the progress that reports it
//! (its own module, so neither imports the other).

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum WriteOutcome {
    Applied,
    Deleted,
    Failed {
        error: String,
    },
    /// Not attempted, with the reason.
    Cancelled {
        reason: String,
    },
}

impl WriteOutcome {
    pub fn label(&self) -> &'static str {
        match self {
            WriteOutcome::Applied => "applied",
            WriteOutcome::Deleted => "deleted",
            WriteOutcome::Failed { .. } => "failed",
            WriteOutcome::Cancelled { .. } => "cancelled",
        }
    }
}
