//! S3 uploads of a desired-state bundle: which uploaded objects are configured bundles
//! (`KAFKA_BUNDLES`), in any S3 event form (`sources::s3` parses and decodes them), and their
//! sync ([`sync_bundle_uploads`]): fetch that object version, sync it to its cluster, and fail the
//! invocation (so the event source retries, then dead-letters) unless every changed connector
//! reached its state.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{json, Value};

use crate::deadline::Deadline;
use crate::entry::{self, DecisionLine, HandlerError};
use crate::kafka_sync::changes::{DiffOptions, Redactor};
use crate::kafka_sync::config::{BundleConfig, KafkaSyncConfig};
use crate::kafka_sync::ports::{ArtifactError, ArtifactLocation, ArtifactReader};
use crate::kafka_sync::topics::diff::TopicOptions;
use crate::kafka_sync::triggers::judged_sync::{judged_sync, SyncTarget, Trigger};
use crate::kafka_sync::triggers::verdict::{count_connectors, SyncVerdict};
use crate::kafka_sync::triggers::ConnectPorts;
use crate::metrics::{Reported, Tally};
use crate::plan::FunctionName;
use crate::ports::ActError;
use crate::sources::s3::{self, ObjectEvent, S3Payload};

/// Why an event that reached kafka-sync is not one of its bundle uploads.
pub const NO_BUNDLE: &str = "no configured desired-state bundle (KAFKA_BUNDLES) in this event";

/// One uploaded bundle to apply: the object (its version pins what is applied) and its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleUpload<'a> {
    pub object: ObjectEvent,
    pub target: &'a BundleConfig,
}

impl BundleUpload<'_> {
    /// `s3://bucket/key?versionId=…`, for messages.
    pub fn location(&self) -> String {
        let version = self
            .object
            .version_id
            .as_deref()
            .map(|v| format!("?versionId={v}"))
            .unwrap_or_default();
        format!("s3://{}/{}{version}", self.object.bucket, self.object.key)
    }
}

/// Every created object in `raw` that is a configured bundle; other records are not ours.
pub fn bundle_uploads<'a>(raw: &Value, config: &'a KafkaSyncConfig) -> Vec<BundleUpload<'a>> {
    s3::records(raw)
        .into_iter()
        .filter_map(|r| match r.payload {
            Ok(S3Payload::Object(o)) if o.created => Some(o),
            _ => None,
        })
        .filter_map(|object| {
            let target = config.bundle_for(&object.bucket, &object.key)?;
            Some(BundleUpload { object, target })
        })
        .collect()
}

/// What one uploaded bundle's sync concluded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum BundleOutcome {
    /// Every changed connector reached its state.
    Synced {
        bundle: String,
        summary: String,
        counts: BTreeMap<String, String>,
    },
    /// A dry run reads no bundle: what the Lambda would apply, and how to see its plan.
    NotRead { reason: String },
    /// A newer version was uploaded since (or the object deleted): nothing applied.
    Superseded { bundle: String, skipped: String },
}

fn failed(message: String, retryable: bool) -> HandlerError {
    HandlerError::Act(ActError {
        operation: "SyncConnectors",
        message,
        retryable,
    })
}

/// Syncs every configured bundle uploaded in `raw`, in order (none: an empty list). The first
/// bundle that does not converge ends the invocation with an error saying whether a retry can
/// help; an invocation has no continuation, so a retry of the event re-plans (writing nothing
/// that landed) and waits again.
pub async fn sync_bundle_uploads<P: ConnectPorts>(
    raw: &Value,
    config: &KafkaSyncConfig,
    ports: &P,
    deadline: Deadline,
) -> Result<Vec<BundleOutcome>, HandlerError> {
    let mut outcomes = Vec::new();
    for upload in bundle_uploads(raw, config) {
        outcomes.push(sync_one(&upload, config, ports, deadline).await?);
    }
    Ok(outcomes)
}

/// The Lambda's answer to an S3 event: the bundles it synced, or a rejection when the event holds
/// none of the configured bundles. Each bundle's sync is logged as a decision line (with its
/// metrics: connectors created, updated and deleted); it stops at the first that fails.
pub async fn handle_bundle_event<P: ConnectPorts>(
    raw: &Value,
    config: &KafkaSyncConfig,
    ports: &P,
    deadline: Deadline,
) -> Result<Value, HandlerError> {
    let event_id = entry::event_id(raw);
    let log = |reason: &str, reported: Reported, latency: Option<Duration>, tally: &Tally| {
        DecisionLine {
            function: FunctionName::KafkaSync,
            event_id: event_id.as_deref(),
            record: None,
            reason,
            actions: &[],
            reported,
            latency,
            tally,
        }
        .log()
    };
    let uploads = bundle_uploads(raw, config);
    if uploads.is_empty() {
        log(NO_BUNDLE, Reported::Rejected, None, &Tally::default());
        return Err(HandlerError::Rejected(NO_BUNDLE.into()));
    }
    let mut results = Vec::with_capacity(uploads.len());
    for upload in &uploads {
        let started = Instant::now();
        let synced = sync_one(upload, config, ports, deadline).await;
        let latency = Some(started.elapsed());
        let mut tally = Tally::default();
        match &synced {
            Ok(BundleOutcome::Synced {
                bundle,
                summary,
                counts,
            }) => {
                count_connectors(counts, &mut tally);
                log(
                    &format!("{bundle}: {summary}"),
                    Reported::Acted,
                    latency,
                    &tally,
                );
            }
            Ok(BundleOutcome::NotRead { reason }) => log(reason, Reported::Skipped, None, &tally),
            Ok(BundleOutcome::Superseded { bundle, skipped }) => log(
                &format!("{bundle}: {skipped}"),
                Reported::Skipped,
                latency,
                &tally,
            ),
            Err(HandlerError::Rejected(reason)) => log(reason, Reported::Rejected, None, &tally),
            Err(e @ HandlerError::Act(_)) => log(&e.to_string(), Reported::Failed, latency, &tally),
        }
        results.push(synced?);
    }
    Ok(json!({"function": FunctionName::KafkaSync, "outcome": "acted", "results": results}))
}

async fn sync_one<P: ConnectPorts>(
    upload: &BundleUpload<'_>,
    config: &KafkaSyncConfig,
    ports: &P,
    deadline: Deadline,
) -> Result<BundleOutcome, HandlerError> {
    let target = upload.target;
    let location = upload.location();
    let api = ports.cluster(&target.cluster).ok_or_else(|| {
        failed(
            format!("cluster {:?} is not configured", target.cluster),
            false,
        )
    })?;
    let object = ArtifactLocation::Bundle {
        bucket: &upload.object.bucket,
        key: &upload.object.key,
        version_id: upload.object.version_id.as_deref(),
    };
    let files = match ports.artifacts().read(object, &target.directory).await {
        Ok(files) => files,
        Err(ArtifactError::NotRead) => {
            return Ok(BundleOutcome::NotRead {
                reason: format!(
                    "dry run: the Lambda would apply {location} to cluster {:?} with environment {:?}; see the plan with `switchyard kafka plan --dir <unzipped bundle> --env {} --url <cluster>`",
                    target.cluster, target.environment, target.environment,
                ),
            })
        }
        Err(ArtifactError::Unreadable { message, retryable }) => {
            return Err(failed(message, retryable))
        }
        Err(e @ ArtifactError::NoCredentials) => return Err(failed(e.to_string(), false)),
        Err(e @ ArtifactError::NotDesiredState(_)) => {
            return Err(HandlerError::Rejected(format!("{location}: {e}")))
        }
        Err(e @ ArtifactError::Superseded { .. }) => {
            return Ok(BundleOutcome::Superseded {
                bundle: location,
                skipped: e.to_string(),
            });
        }
    };
    let sync = SyncTarget {
        cluster: &target.cluster,
        environment: &target.environment,
        diff: DiffOptions {
            scope: config.clusters[&target.cluster].scope(),
            prune: target.prune,
            redactor: Redactor::default(),
            allow_unmanaged_writes: config.clusters[&target.cluster].allow_unmanaged_writes,
            topics: TopicOptions {
                delete_unlisted: target.delete_topics,
                ..TopicOptions::for_cluster(
                    &target.cluster,
                    config.clusters[&target.cluster].kafka.as_ref(),
                )
            },
        },
        validate: config.validate,
        allow_dangerous: config.allow_dangerous,
        previous: None,
        // One invocation, no continuation: the budget alone bounds the wait.
        max_wait: Duration::MAX,
    };
    let trigger = Trigger::Bundle {
        location: &location,
    };
    let admin = ports.topic_admin(&target.cluster);
    let verdict = judged_sync(
        &sync,
        &files,
        config,
        api,
        admin,
        ports.clock(),
        deadline,
        trigger,
    )
    .await
    .map_err(|e| failed(format!("{location}: {e}"), e.is_retryable()))?;
    match verdict {
        SyncVerdict::Succeeded {
            summary,
            output_variables,
        } => Ok(BundleOutcome::Synced {
            bundle: location,
            summary,
            counts: output_variables,
        }),
        SyncVerdict::Waiting { summary, .. } => Err(failed(format!("{location}: {summary}"), true)),
        SyncVerdict::Failed { message } => Err(failed(format!("{location}: {message}"), false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    fn config() -> KafkaSyncConfig {
        let vars: HashMap<String, String> = [
            ("KAFKA_CLUSTERS", r#"{"main": {"url": "http://c:8083"}}"#),
            ("KAFKA_BUNDLES", r#"[{"bucket": "b", "key": "connect/desired state.zip", "environment": "staging", "cluster": "main"}]"#),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        KafkaSyncConfig::from_vars(&vars).unwrap()
    }

    #[test]
    fn finds_configured_bundles_in_every_form() {
        let config = config();
        let notification = json!({"Records": [
            {"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"}, "object": {"key": "connect/desired+state.zip", "size": 1, "versionId": "v1"}}},
            {"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"}, "object": {"key": "other.zip", "size": 1}}},
            {"eventSource": "aws:s3", "eventName": "ObjectRemoved:Delete", "s3": {"bucket": {"name": "b"}, "object": {"key": "connect/desired+state.zip"}}}
        ]});
        let found = bundle_uploads(&notification, &config);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].target.environment, "staging");
        assert_eq!(
            found[0].location(),
            "s3://b/connect/desired state.zip?versionId=v1"
        );
        let eventbridge = json!({"source": "aws.s3", "detail-type": "Object Created",
            "detail": {"bucket": {"name": "b"}, "object": {"key": "connect/desired state.zip", "size": 1}}});
        assert_eq!(bundle_uploads(&eventbridge, &config).len(), 1);
        assert!(bundle_uploads(&json!({"id": "x"}), &config).is_empty());
    }
}
