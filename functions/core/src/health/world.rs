//! AWS Health for dry runs and tests: the `health` part of the replay world.
//!
//! ```json
//! "health": {
//!   "subscriptionRequired": false,   // true: behave as SubscriptionRequiredException
//!   "unavailable": false,            // true: behave as if no endpoint answered
//!   "events": [                      // DescribeEvents' event objects (aws health describe-events)
//!     {"arn": "...", "service": "EC2", "eventTypeCode": "AWS_EC2_OPERATIONAL_ISSUE",
//!      "eventTypeCategory": "issue", "region": "eu-west-1",
//!      "startTime": "2026-11-23T08:05:00Z", "statusCode": "open"}
//!   ]
//! }
//! ```
//!
//! An absent part is a healthy world with a support plan. Events are filtered exactly as the
//! query would filter them in `DescribeEvents` (status open, regions, services, categories).

use serde::Deserialize;
use serde_json::Value;

use super::ports::{HealthError, HealthReader};
use super::{HealthEvent, HealthQuery};
use crate::ports::ObserveError;
use crate::timestamps;

#[derive(Debug, Clone, Default)]
pub struct WorldHealth {
    subscription_required: bool,
    unavailable: bool,
    events: Vec<HealthEvent>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Part {
    #[serde(default)]
    subscription_required: bool,
    #[serde(default)]
    unavailable: bool,
    #[serde(default)]
    events: Vec<WorldEvent>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WorldEvent {
    arn: String,
    service: String,
    event_type_code: String,
    event_type_category: String,
    region: String,
    start_time: Option<String>,
    status_code: String,
}

impl WorldHealth {
    /// Reads the world's `health` part; errors name the field (`health.events[2].startTime`).
    pub fn from_world(part: Option<&Value>) -> Result<Self, String> {
        let Some(part) = part else {
            return Ok(WorldHealth::default());
        };
        let part: Part = serde_path_to_error::deserialize(part)
            .map_err(|e| format!("world: health.{}: {}", e.path(), e.inner()))?;
        let events = part
            .events
            .into_iter()
            .enumerate()
            .map(|(i, e)| {
                let start_time = e
                    .start_time
                    .map(|t| timestamps::parse(&format!("health.events[{i}].startTime"), &t))
                    .transpose()
                    .map_err(|e| format!("world: {e}"))?;
                Ok(HealthEvent {
                    arn: e.arn,
                    service: e.service,
                    event_type_code: e.event_type_code,
                    category: e.event_type_category,
                    region: e.region,
                    start_time,
                    status: e.status_code,
                })
            })
            .collect::<Result<_, String>>()?;
        Ok(WorldHealth {
            subscription_required: part.subscription_required,
            unavailable: part.unavailable,
            events,
        })
    }
}

impl HealthReader for WorldHealth {
    async fn open_events(&self, query: &HealthQuery) -> Result<Vec<HealthEvent>, HealthError> {
        if self.subscription_required {
            return Err(HealthError::SubscriptionRequired);
        }
        if self.unavailable {
            return Err(HealthError::Unavailable(ObserveError {
                operation: "DescribeEvents",
                message: "the world says no Health endpoint answers".into(),
                retryable: true,
            }));
        }
        Ok(self
            .events
            .iter()
            .filter(|e| query.matches(e))
            .cloned()
            .collect())
    }
}
