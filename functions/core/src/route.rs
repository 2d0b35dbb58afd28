//! Which function handles a raw event. Used by `switchyard replay`, which receives events of every
//! kind; in Lambda each function is only wired to its own triggers, and still checks the shape.

use serde_json::Value;

use crate::json;
use crate::plan::FunctionName;
use crate::refs::RefKind;
use crate::sources::{codecommit, github};
use crate::webhook;

/// The function for this event, or `None` for an event no function handles.
pub fn function_for(raw: &Value) -> Option<FunctionName> {
    if webhook::is_http_request(raw) {
        return Some(github_function(raw));
    }
    if codecommit::is_reference_event(raw) {
        return match codecommit::reference_type(raw) {
            Some("tag") => Some(FunctionName::TagRelease),
            _ => Some(FunctionName::BranchPipelines),
        };
    }
    None
}

/// Routes a GitHub delivery by its (unauthenticated) event header and ref; the chosen function
/// authenticates it before trusting anything. Webhooks that are neither go to branch-pipelines,
/// which acknowledges them (`ping`, other event kinds).
fn github_function(raw: &Value) -> FunctionName {
    let unverified = webhook::parse_http_request(raw).ok().and_then(|req| {
        let payload = serde_json::from_slice::<Value>(&req.body).ok()?;
        Some(webhook::Delivery {
            event: webhook::event_header(raw)?.to_owned(),
            delivery_id: String::new(),
            payload,
        })
    });
    match unverified.as_ref().and_then(github::ref_kind_hint) {
        Some(RefKind::Tag) => FunctionName::TagRelease,
        _ => FunctionName::BranchPipelines,
    }
}

/// The EventBridge `source` and `detail-type` of an event, if it has them.
pub fn eventbridge_kind(raw: &Value) -> Option<(&str, &str)> {
    Some((
        json::get(raw, &["source"])?.as_str()?,
        json::get(raw, &["detail-type"])?.as_str()?,
    ))
}
