//! `branch-pipelines`: a branch is created → start the deployer build that creates its pipeline
//! stack; a branch is deleted → start the destroyer build that tears it down.
//!
//! Parse ([`crate::sources`], [`crate::webhook`]) → decide ([`decide`]); there is nothing to
//! observe. The act step is the shared [`crate::ports::act`].

mod config;
mod decide;

pub use config::BranchConfig;
pub use decide::decide;

use serde_json::Value;

use crate::plan::Decision;
use crate::secret::Secret;
use crate::sources;

/// Parses a raw event of any supported shape and decides. Pure: no I/O.
pub fn decide_event(
    raw: &Value,
    config: &BranchConfig,
    webhook_secret: Option<&Secret>,
) -> Decision {
    match sources::parse_ref_event(raw, webhook_secret) {
        Ok(event) => decide(&event, config),
        Err(decision) => decision,
    }
}
