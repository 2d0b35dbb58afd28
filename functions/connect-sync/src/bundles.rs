//! An S3 upload of a desired-state bundle: fetch that object version, sync it to its cluster,
//! and fail the invocation (so the event source retries, then dead-letters) unless every changed
//! connector reached its state.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use switchyard_adapters::aws::s3;
use switchyard_adapters::connect::{files, HttpConnect, TokioClock};
use switchyard_core::connect_sync::apply::ApplyOptions;
use switchyard_core::connect_sync::bundle::{bundle_uploads, BundleUpload};
use switchyard_core::connect_sync::config::ConnectSyncConfig;
use switchyard_core::connect_sync::retry::Backoff;
use switchyard_core::connect_sync::run::{self, AlsoWaitFor};
use switchyard_core::connect_sync::verdict::{self, Verdict};
use switchyard_core::connect_sync::wait::WaitOptions;
use switchyard_core::connect_sync::{PlanOptions, Redactor};
use switchyard_core::entry::{self, HandlerError};
use switchyard_core::plan::FunctionName;
use switchyard_core::ports::ActError;

/// Left for logging and answering after the sync stops waiting.
const MARGIN: Duration = Duration::from_secs(5);

pub struct Context<'a> {
    pub config: &'a ConnectSyncConfig,
    pub clusters: &'a BTreeMap<String, HttpConnect>,
    pub s3: &'a aws_sdk_s3::Client,
}

fn failed(message: String, retryable: bool) -> HandlerError {
    HandlerError::Act(ActError {
        operation: "SyncConnectors",
        message,
        retryable,
    })
}

pub async fn handle(
    context: &Context<'_>,
    raw: &Value,
    invocation: &lambda_runtime::Context,
) -> Result<Value, HandlerError> {
    let event_id = entry::event_id(raw);
    let uploads = bundle_uploads(raw, context.config);
    if uploads.is_empty() {
        let reason = "no configured desired-state bundle (CONNECT_BUNDLES) in this event";
        tracing::warn!(
            function = "connect-sync",
            event_id = event_id.as_deref().unwrap_or(""),
            reason,
            "rejected"
        );
        return Err(HandlerError::Rejected(reason.into()));
    }
    let deadline = UNIX_EPOCH + Duration::from_millis(invocation.deadline);
    let mut results = Vec::new();
    for upload in uploads {
        results.push(sync_one(context, &upload, deadline).await?);
    }
    Ok(json!({"function": FunctionName::ConnectSync, "outcome": "acted", "results": results}))
}

async fn sync_one(
    context: &Context<'_>,
    upload: &BundleUpload<'_>,
    deadline: SystemTime,
) -> Result<Value, HandlerError> {
    let target = upload.target;
    let location = upload.location();
    let api = context.clusters.get(&target.cluster).ok_or_else(|| {
        failed(
            format!("cluster {:?} is not configured", target.cluster),
            false,
        )
    })?;
    let bytes = s3::get_object(
        context.s3,
        &upload.object.bucket,
        &upload.object.key,
        upload.object.version_id.as_deref(),
    )
    .await
    .map_err(|e| failed(e.to_string(), e.retryable))?;
    let files = files::read_zip(&bytes, &target.directory)
        .map_err(|e| HandlerError::Rejected(format!("{location}: {e}")))?;

    let budget = deadline
        .duration_since(SystemTime::now())
        .unwrap_or_default()
        .saturating_sub(MARGIN);
    let clock = TokioClock::start();
    let cluster = &context.config.clusters[&target.cluster];
    let plan_options = PlanOptions {
        scope: cluster.scope(),
        prune: target.prune,
        redactor: Redactor::default(),
    };
    let apply_options = ApplyOptions {
        concurrency: context.config.concurrency,
        deadline: budget,
        backoff: Backoff::default(),
        allow_dangerous: context.config.allow_dangerous,
    };
    let wait = WaitOptions {
        deadline: budget,
        poll_interval: context.config.poll_interval,
        restart_failed: context.config.restart_failed,
    };
    let plan = run::prepare(
        &files,
        &target.environment,
        &plan_options,
        context.config.validate,
        api,
        &clock,
        &apply_options,
    )
    .await
    .map_err(|e| failed(format!("{location}: {e}"), e.is_retryable()))?;
    // The plan's own rendering: secrets are already redacted in it.
    tracing::info!(function = "connect-sync", bundle = location.as_str(), cluster = target.cluster.as_str(), plan = %plan, "plan");
    let applied = run::execute(
        &plan,
        api,
        &clock,
        &apply_options,
        Some(&wait),
        AlsoWaitFor::Nothing,
    )
    .await
    .map_err(|e| failed(format!("{location}: {e}"), e.is_retryable()))?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    match verdict::judge(&plan, &applied, &target.cluster, None, now, u64::MAX) {
        Verdict::Succeeded {
            summary,
            output_variables,
        } => {
            tracing::info!(
                function = "connect-sync",
                bundle = location.as_str(),
                summary = summary.as_str(),
                "synced"
            );
            Ok(json!({"bundle": location, "summary": summary, "counts": output_variables}))
        }
        // An invocation has no continuation: a retry of the event re-plans (writing nothing
        // that landed) and waits again.
        Verdict::Waiting { summary, .. } => Err(failed(format!("{location}: {summary}"), true)),
        Verdict::Failed { message } => Err(failed(format!("{location}: {message}"), false)),
    }
}
