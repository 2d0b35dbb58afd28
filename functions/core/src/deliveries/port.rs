//! The store of webhook deliveries that acted: the port, what a claim is, and the dry run's store.
//! It imports nothing from the functions or their decisions, which hold claims (see the parent
//! module for why deliveries are remembered and when).

use std::future::Future;

use serde_json::Value;

use crate::ports::ObserveError;

/// A delivery about to act, as remembered in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryClaim {
    pub table: String,
    /// `<host>/sha256:<hex>` of the signed body (`#<record>` for one change of several).
    pub key: String,
    /// The host's delivery header (`X-GitHub-Delivery`, `Idempotency-Key`, `X-Request-UUID`),
    /// unsigned: for people reading the store and the logs only.
    pub delivery_id: String,
    /// The function that took the key (`FunctionName::as_str`).
    pub function: &'static str,
    /// When the store may drop the key (its TTL attribute), in seconds since the epoch.
    pub expires_at: i64,
    /// Where the delivery is kept if its actions fail (the function's dead-letter queue URL).
    pub failed_queue: Option<String>,
}

/// What the store answered to a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remembered {
    /// The key was not there and is now: act.
    New,
    /// The key was already there: this body acted before. `by` / `delivery_id`: what the store
    /// holds about the first time, when it says.
    Seen {
        by: Option<String>,
        delivery_id: Option<String>,
    },
}

/// The store of deliveries that acted.
pub trait Deliveries: Send + Sync {
    /// Remembers `claim.key` unless it is already there: one conditional write, so two
    /// concurrent repeats cannot both be [`Remembered::New`].
    fn remember(
        &self,
        claim: &DeliveryClaim,
    ) -> impl Future<Output = Result<Remembered, ObserveError>> + Send;
    /// Forgets `claim.key` (its actions failed; see the module documentation).
    fn forget(
        &self,
        claim: &DeliveryClaim,
    ) -> impl Future<Output = Result<(), ObserveError>> + Send;
    /// Sends `record` (a failed delivery, [`super::failed::record`]) to the queue at `queue_url`.
    fn keep_failed(
        &self,
        queue_url: &str,
        record: &Value,
    ) -> impl Future<Output = Result<(), ObserveError>> + Send;
}

/// After acting on a remembered delivery failed: forgets it, so that a redelivery can act. A
/// failure to forget is logged (the invocation fails anyway, for the action): until the key
/// expires, a redelivery is then answered `duplicate delivery`.
pub async fn forget_after_failure<D: Deliveries>(deliveries: &D, claim: &DeliveryClaim) {
    if let Err(e) = deliveries.forget(claim).await {
        tracing::error!(function = claim.function, delivery_id = claim.delivery_id.as_str(), key = claim.key.as_str(), error = %e,
            "cannot forget a delivery whose actions failed: a redelivery is a duplicate until the key expires");
    }
}

/// The `deliveries` part of a dry-run world: the deliveries that already acted, each named by
/// its delivery header (`X-GitHub-Delivery`: what GitHub's *Recent Deliveries* shows; the other
/// hosts' likewise) or by its store key (`github/sha256:…`); absent: none. A dry run writes nothing, so the deliveries it decides are
/// not added: replaying a sample twice decides it the same way twice.
#[derive(Debug, Clone, Default)]
pub struct WorldDeliveries {
    seen: Vec<String>,
}

impl WorldDeliveries {
    pub fn from_world(part: Option<&Value>) -> Result<Self, String> {
        match part {
            None => Ok(Self::default()),
            Some(v) => serde_json::from_value(v.clone())
                .map(|seen| WorldDeliveries { seen })
                .map_err(|e| format!("world file, key \"deliveries\": {e}")),
        }
    }
}

impl Deliveries for WorldDeliveries {
    async fn remember(&self, claim: &DeliveryClaim) -> Result<Remembered, ObserveError> {
        let seen = self
            .seen
            .iter()
            .any(|s| *s == claim.key || *s == claim.delivery_id);
        Ok(if seen {
            Remembered::Seen {
                by: None,
                delivery_id: None,
            }
        } else {
            Remembered::New
        })
    }

    async fn forget(&self, _claim: &DeliveryClaim) -> Result<(), ObserveError> {
        Ok(())
    }

    async fn keep_failed(&self, _queue_url: &str, _record: &Value) -> Result<(), ObserveError> {
        Ok(())
    }
}
