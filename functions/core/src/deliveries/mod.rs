//! Webhook deliveries act at most once: a delivery that is about to act is remembered first (one
//! conditional write to a store, [`Deliveries`]), and a repeat of it is answered
//! `200 duplicate delivery` with no action.
//!
//! **What is remembered is the signed body, not the delivery id.** GitHub's HMAC covers the body
//! only; `X-GitHub-Delivery` is an unsigned header that whoever re-sends a captured delivery can
//! change, and a fresh id would be a fresh idempotency token. So the key is the SHA-256 of the
//! signed body; the delivery id is kept beside it for people reading the store. GitHub's own
//! *Redeliver* sends the same body and is a duplicate like any other repeat.
//!
//! **One key for the whole stack.** Both webhook URLs write the same table under the same key,
//! so a body that acted at one URL is a duplicate at the other: a delivery cannot act once at the
//! URL it was meant for and again at the other (both URLs share one secret, so both accept it).
//! The key is taken only when the decision is to act, after parse → observe → decide: GitHub sends
//! one event's body to every hook that subscribes to it, and the function that does not act on it
//! (branch-pipelines on a tag push) must not take the key from the one that does.
//!
//! **Failure forgets.** When acting fails after the key was taken, the key is forgotten again
//! ([`forget_after_failure`]), so that GitHub's *Redeliver* (the same body) acts. Without that, a
//! throttled StartBuild would leave the delivery "done" forever and the only way to retry would be
//! a new push. A delivery that is skipped or rejected takes no key at all, so a redelivery after a
//! configuration fix is decided afresh.
//!
//! **Failure is kept.** GitHub does not redeliver a failed delivery by itself, so the request is
//! also kept in the function's dead-letter queue (`FAILED_EVENTS_QUEUE_URL`), without the
//! headers that could carry credentials, before the 5xx answer ([`failed`]): the queue's alarm
//! fires and the README's replay procedure works as for any failed event.
//!
//! **Every host alike.** GitLab's signature covers `webhook-id` and its timestamp too, and its
//! secret token covers nothing; Bitbucket signs the body as GitHub does. The body is the one thing
//! every host's authentication covers (or that a token holder controls anyway), so the key is the
//! body's digest for every host, prefixed with the host (`gitlab/sha256:…`), and, for the changes
//! of a Bitbucket push, the change (`bitbucket/sha256:…#push.changes[1]`): each change acts once.
//!
//! Keys expire (the store's TTL) after `WEBHOOK_DELIVERY_RETENTION_DAYS`: GitHub redelivers only
//! deliveries of the past 3 days, and a body re-sent after the retention is decided again like a
//! new one.

use serde_json::Value;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::config::{self, ConfigError, Vars};
use crate::function::Ports;
use crate::plan::{Decision, FunctionName, Outcome, RecordDecision};

pub mod failed;
pub mod port;

use crate::ports::ObserveError;
use crate::sources::function_url;
use crate::webhook::Host;
pub use port::{forget_after_failure, Deliveries, DeliveryClaim, Remembered, WorldDeliveries};

pub const TABLE_VAR: &str = "WEBHOOK_DELIVERIES_TABLE";
pub const RETENTION_VAR: &str = "WEBHOOK_DELIVERY_RETENTION_DAYS";
pub const FAILED_QUEUE_VAR: &str = "FAILED_EVENTS_QUEUE_URL";

/// Where deliveries are remembered and for how long, read at cold start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryStore {
    /// The DynamoDB table (`WEBHOOK_DELIVERIES_TABLE`).
    pub table: String,
    pub retention: Duration,
    /// The function's dead-letter queue (`FAILED_EVENTS_QUEUE_URL`), where a delivery whose
    /// action failed is kept. Unset (local runs): such a delivery is only logged.
    pub failed_queue: Option<String>,
}

impl DeliveryStore {
    /// Required whenever webhooks are accepted (`webhooks`: a webhook secret is configured): a
    /// function that accepts signed deliveries without remembering them acts on every replay.
    pub fn from_vars(vars: &dyn Vars, webhooks: bool) -> Result<Option<Self>, ConfigError> {
        let days = config::number(vars, RETENTION_VAR, 30u16, 4..=365)?;
        match config::optional(vars, TABLE_VAR) {
            Some(table) => Ok(Some(DeliveryStore {
                table,
                retention: Duration::days(days.into()),
                failed_queue: config::optional(vars, FAILED_QUEUE_VAR),
            })),
            None if webhooks => Err(ConfigError::new(
                TABLE_VAR,
                "is not set, and a webhook secret is: accepted deliveries must be remembered, \
                 or a re-sent delivery acts again",
            )),
            None => Ok(None),
        }
    }
}

/// The decision for `raw` (for its `record`, when it holds several), taken at most once per
/// signed body: an acted decision about a webhook delivery is remembered first, and becomes
/// `duplicate delivery` (skipped, 200) when the body already acted. Other decisions and events
/// pass through. The returned record carries the claim, for [`forget_after_failure`].
pub async fn at_most_once<P: Ports>(
    store: Option<&DeliveryStore>,
    function: FunctionName,
    raw: &Value,
    record: Option<&str>,
    decision: Decision,
    ports: &P,
) -> Result<RecordDecision, ObserveError> {
    let claim = match (store, decision.outcome) {
        (Some(store), Outcome::Acted) => claim(store, function, raw, record, ports.now()),
        _ => None,
    };
    let Some(claim) = claim else {
        return Ok(RecordDecision::whole(decision));
    };
    match ports.deliveries().remember(&claim).await? {
        Remembered::New => Ok(RecordDecision {
            delivery: Some(claim),
            ..RecordDecision::whole(decision)
        }),
        Remembered::Seen { by, delivery_id } => Ok(RecordDecision::whole(Decision::skip(format!(
            "duplicate delivery: this signed body already acted{}{}; nothing is done again",
            by.map(|f| format!(" at {f}")).unwrap_or_default(),
            delivery_id
                .map(|id| format!(" (delivery {id})"))
                .unwrap_or_default(),
        )))),
    }
}

/// The claim for a function URL request that is about to act; `None` for other events.
fn claim(
    store: &DeliveryStore,
    function: FunctionName,
    raw: &Value,
    record: Option<&str>,
    now: OffsetDateTime,
) -> Option<DeliveryClaim> {
    if !function_url::is_http_request(raw) {
        return None;
    }
    // The decision acted, so this request was read and authenticated already.
    let request = function_url::parse_http_request(raw).ok()?;
    let host = Host::of_headers(&request.headers);
    let digest = hex::encode(Sha256::digest(&request.body));
    Some(DeliveryClaim {
        table: store.table.clone(),
        key: match record {
            None => format!("{}/sha256:{digest}", host.as_str()),
            Some(record) => format!("{}/sha256:{digest}#{record}", host.as_str()),
        },
        delivery_id: host
            .delivery_id(&request.headers)
            .map(str::to_owned)
            .unwrap_or_default(),
        function: function.as_str(),
        expires_at: (now + store.retention).unix_timestamp(),
        failed_queue: store.failed_queue.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::DryRunPorts;
    use serde_json::json;

    fn store() -> DeliveryStore {
        DeliveryStore {
            table: "t".into(),
            retention: Duration::days(30),
            failed_queue: None,
        }
    }

    fn request(body: &str, id: &str) -> Value {
        json!({"version":"2.0","headers":{"x-github-delivery":id},"requestContext":{"http":{"method":"POST"}},"body":body,"isBase64Encoded":false})
    }

    fn acted() -> Decision {
        Decision::act(
            "go",
            vec![crate::plan::Action::StartBuild(
                crate::actions::codebuild::StartBuild {
                    project_name: "p".into(),
                    source_version: None,
                    environment_variables_override: Vec::new(),
                    idempotency_token: "t".into(),
                },
            )],
        )
    }

    #[test]
    fn the_table_is_required_with_webhooks_and_retention_is_bounded() {
        let vars = config::test_vars(&[]);
        let err = DeliveryStore::from_vars(&vars, true).unwrap_err();
        assert!(err.to_string().contains(TABLE_VAR), "{err}");
        assert_eq!(DeliveryStore::from_vars(&vars, false).unwrap(), None);
        let vars = config::test_vars(&[(TABLE_VAR, "t"), (RETENTION_VAR, "1")]);
        assert!(DeliveryStore::from_vars(&vars, true).is_err());
        let vars = config::test_vars(&[(TABLE_VAR, "t")]);
        assert_eq!(
            DeliveryStore::from_vars(&vars, true).unwrap(),
            Some(store())
        );
    }

    #[tokio::test]
    async fn the_key_is_the_body_so_a_fresh_delivery_id_is_still_a_duplicate() {
        let ports = DryRunPorts::from_world(&json!({"deliveries": ["d-seen"]})).unwrap();
        let f = FunctionName::BranchPipelines;
        let fresh = at_most_once(
            Some(&store()),
            f,
            &request("{}", "d-1"),
            None,
            acted(),
            &ports,
        )
        .await
        .unwrap();
        let claim = fresh.delivery.expect("an acted delivery is remembered");
        assert_eq!(claim.delivery_id, "d-1");
        let renamed = at_most_once(
            Some(&store()),
            f,
            &request("{}", "d-2"),
            None,
            acted(),
            &ports,
        )
        .await
        .unwrap()
        .delivery
        .unwrap();
        assert_eq!(
            claim.key, renamed.key,
            "the unsigned delivery id is not the key"
        );

        let seen = at_most_once(
            Some(&store()),
            f,
            &request("{}", "d-seen"),
            None,
            acted(),
            &ports,
        )
        .await
        .unwrap();
        assert_eq!(seen.decision.outcome, Outcome::Skipped);
        assert!(seen.decision.reason.starts_with("duplicate delivery"));
        assert_eq!(seen.delivery, None);
    }

    #[tokio::test]
    async fn each_host_and_each_change_has_its_own_key() {
        let ports = DryRunPorts::from_world(&Value::Null).unwrap();
        let f = FunctionName::BranchPipelines;
        let mut bitbucket = request("{}", "");
        bitbucket["headers"] = json!({"x-event-key": "repo:push", "x-request-uuid": "u-1"});
        let key = |record| {
            let raw = &bitbucket;
            let ports = &ports;
            async move {
                at_most_once(Some(&store()), f, raw, record, acted(), ports)
                    .await
                    .unwrap()
                    .delivery
                    .unwrap()
            }
        };
        let first = key(Some("push.changes[0]")).await;
        assert!(first.key.starts_with("bitbucket/sha256:"), "{first:?}");
        assert!(first.key.ends_with("#push.changes[0]"), "{first:?}");
        assert_eq!(first.delivery_id, "u-1");
        assert_ne!(first.key, key(Some("push.changes[1]")).await.key);
        let github = at_most_once(
            Some(&store()),
            f,
            &request("{}", "d"),
            None,
            acted(),
            &ports,
        )
        .await
        .unwrap()
        .delivery
        .unwrap();
        assert_eq!(
            github.key.strip_prefix("github/"),
            key(None).await.key.strip_prefix("bitbucket/")
        );
    }

    #[tokio::test]
    async fn only_acted_webhook_decisions_are_remembered() {
        let (ports, store, f) = (
            DryRunPorts::from_world(&Value::Null).unwrap(),
            store(),
            FunctionName::TagRelease,
        );
        let (webhook, codecommit) = (request("{}", "d"), json!({"id": "e"}));
        let ports = &ports;
        let remembered = |store, raw, decision| async move {
            at_most_once(store, f, raw, None, decision, ports)
                .await
                .unwrap()
                .delivery
        };
        assert_eq!(
            remembered(Some(&store), &webhook, Decision::skip("x")).await,
            None
        );
        assert_eq!(remembered(Some(&store), &codecommit, acted()).await, None);
        assert_eq!(remembered(None, &webhook, acted()).await, None);
    }
}
