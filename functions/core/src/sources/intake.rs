//! What the two functions that take ref events (branch-pipelines, tag-release) read at cold start
//! beside their own configuration, and the rule both apply to what they decide: an event must
//! prove where it came from ([`EventTrust`]), and a webhook delivery acts at most once
//! ([`crate::deliveries`]).

use serde_json::Value;

use super::EventTrust;
use crate::config::{ConfigError, Vars};
use crate::deliveries::{self, DeliveryStore};
use crate::function::{Ports, Resolve};
use crate::plan::{Decision, FunctionName, RecordDecision};
use crate::ports::ObserveError;

pub struct RefIntake {
    pub trust: EventTrust,
    pub deliveries: Option<DeliveryStore>,
}

impl RefIntake {
    /// Cold start: the home account and region, the webhook secret, and (required with a
    /// secret) the delivery store.
    pub async fn configure(
        vars: &(dyn Vars + Sync),
        resolve: &impl Resolve,
    ) -> Result<Self, ConfigError> {
        let trust = EventTrust::configure(vars, resolve).await?;
        let deliveries = DeliveryStore::from_vars(vars, trust.webhook_secret.is_some())?;
        Ok(RefIntake { trust, deliveries })
    }

    /// `function`'s decision about `raw`, taken at most once per signed delivery.
    pub async fn at_most_once<P: Ports>(
        &self,
        function: FunctionName,
        raw: &Value,
        decision: Decision,
        ports: &P,
    ) -> Result<Vec<RecordDecision>, ObserveError> {
        let record =
            deliveries::at_most_once(self.deliveries.as_ref(), function, raw, decision, ports)
                .await?;
        Ok(vec![record])
    }
}
