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

use crate::plan::{Decision, RejectKind};
use crate::secret::Secret;
use crate::sources::{codecommit, github};
use crate::webhook;

/// Parses a raw event of any supported shape and decides. Pure: no I/O.
pub fn decide_event(
    raw: &Value,
    config: &BranchConfig,
    webhook_secret: Option<&Secret>,
) -> Decision {
    if webhook::is_http_request(raw) {
        let delivery = match webhook::receive(raw, webhook_secret) {
            Ok(delivery) => delivery,
            Err(decision) => return decision,
        };
        return match github::interpret(&delivery) {
            Ok(github::Interpretation::Ref(event)) => decide(&event, config),
            Ok(github::Interpretation::Ignored(reason)) => {
                Decision::skip(format!("ignored: {reason}"))
            }
            Err(e) => Decision::invalid(e.to_string()),
        };
    }
    if codecommit::is_reference_event(raw) {
        return match codecommit::parse(raw) {
            Ok(event) => decide(&event, config),
            Err(e) => Decision::invalid(e.to_string()),
        };
    }
    Decision::reject(RejectKind::Unsupported, "unsupported event")
}
