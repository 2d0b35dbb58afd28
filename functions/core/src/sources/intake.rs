//! What the two functions that take ref events (branch-pipelines, tag-release) read at cold start
//! beside their own configuration, and the rule both apply to what they decide: an event must
//! prove where it came from ([`EventTrust`]), and a webhook delivery (each change of it, for a
//! Bitbucket push of several) acts at most once ([`crate::deliveries`]).

use serde_json::Value;

use super::{EventTrust, ParsedRef, RefEvent};
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
    /// Cold start: the home account and region, each host's webhook secret, and (required with
    /// any secret) the delivery store.
    pub async fn configure(
        vars: &(dyn Vars + Sync),
        resolve: &impl Resolve,
    ) -> Result<Self, ConfigError> {
        let trust = EventTrust::configure(vars, resolve).await?;
        let deliveries = DeliveryStore::from_vars(vars, trust.webhook_secrets.any())?;
        Ok(RefIntake { trust, deliveries })
    }

    /// `function`'s decisions about `raw` (one per ref event, [`RefDecision`]), each taken at
    /// most once per signed delivery.
    pub async fn at_most_once<P: Ports>(
        &self,
        function: FunctionName,
        raw: &Value,
        decisions: Vec<RefDecision>,
        ports: &P,
    ) -> Result<Vec<RecordDecision>, ObserveError> {
        let mut records = Vec::with_capacity(decisions.len());
        for RefDecision { record, decision } in decisions {
            let store = self.deliveries.as_ref();
            let mut decided =
                deliveries::at_most_once(store, function, raw, record.as_deref(), decision, ports)
                    .await?;
            decided.record = record;
            records.push(decided);
        }
        Ok(records)
    }
}

/// The decision about one ref event of a raw event; `record` names it when the event holds
/// several ([`crate::sources::ParsedRef`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RefDecision {
    pub record: Option<String>,
    pub decision: Decision,
}

/// Logged, acted on and answered like any other record decision.
impl From<RefDecision> for RecordDecision {
    fn from(d: RefDecision) -> Self {
        RecordDecision {
            record: d.record,
            ..RecordDecision::whole(d.decision)
        }
    }
}

impl RefDecision {
    /// Decides each parsed ref event with `decide`; what did not parse keeps its decision.
    pub fn each(
        parsed: Vec<ParsedRef>,
        mut decide: impl FnMut(&RefEvent) -> Decision,
    ) -> Vec<Self> {
        parsed
            .into_iter()
            .map(|p| RefDecision {
                decision: match &p.event {
                    Ok(event) => decide(event),
                    Err(decision) => decision.clone(),
                },
                record: p.record,
            })
            .collect()
    }
}
