//! Managed Service for Apache Flink (`kinesisanalyticsv2`): what an application runs
//! (`DescribeApplication`) and replacing its code with one S3 object version (`UpdateApplication`
//! guarded by the `ConditionalToken`, `StartApplication` for a READY application when the rule
//! says so), then following the operation (`DescribeApplicationOperation`) until it ends or the
//! invocation's budget does, and `RollbackApplication` when it FAILED and the rule says so.
//!
//! A conflicting change (`ConcurrentModificationException`: the token is stale) is retryable
//! ([`super::errors`]): the retried event reads the application again and decides anew.

use std::time::Duration;

use aws_sdk_kinesisanalyticsv2::types::{
    ApplicationCodeConfigurationUpdate, ApplicationConfigurationUpdate,
    ApplicationRestoreConfiguration, ApplicationRestoreType, CodeContentUpdate,
    FlinkRunConfiguration, OperationStatus, RunConfiguration, RunConfigurationUpdate,
    S3ContentLocationUpdate,
};
use aws_sdk_kinesisanalyticsv2::Client;
use serde_json::json;
use switchyard_core::actions::kinesisanalyticsv2 as input;
use switchyard_core::artifact_release::pin;
use switchyard_core::artifact_release::ports::{FlinkApplication, ObjectVersion};
use switchyard_core::deadline::WaitUntil;
use switchyard_core::ports::{ActError, ActionReport, ObserveError};

use super::errors::{act_error, observe_error};

pub const IAM_ACTIONS: &[&str] = &[
    "kinesisanalyticsv2:DescribeApplication",
    "kinesisanalyticsv2:UpdateApplication",
    "kinesisanalyticsv2:StartApplication",
    "kinesisanalyticsv2:DescribeApplicationOperation",
    "kinesisanalyticsv2:RollbackApplication",
];

/// `DescribeApplication`; `None`: no such application.
pub async fn describe(
    client: &Client,
    name: &str,
) -> Result<Option<FlinkApplication>, ObserveError> {
    let out = match client
        .describe_application()
        .application_name(name)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(observe_error("DescribeApplication", e)),
    };
    let Some(detail) = out.application_detail else {
        return Ok(None);
    };
    let code = detail
        .application_configuration_description()
        .and_then(|c| c.application_code_configuration_description())
        .and_then(|c| c.code_content_description())
        .and_then(|c| c.s3_application_code_location_description())
        .and_then(|s3| {
            pin::bucket_of_arn(&s3.bucket_arn).map(|bucket| ObjectVersion {
                bucket: bucket.to_owned(),
                key: s3.file_key.clone(),
                version: s3.object_version.clone(),
            })
        });
    let partition = detail
        .application_arn
        .split(':')
        .nth(1)
        .filter(|p| !p.is_empty())
        .unwrap_or("aws")
        .to_owned();
    Ok(Some(FlinkApplication {
        partition,
        status: detail.application_status.as_str().to_owned(),
        version_id: detail.application_version_id,
        conditional_token: detail.conditional_token,
        code,
    }))
}

fn run_configuration(run: &input::RunConfiguration) -> Result<RunConfiguration, ActError> {
    Ok(RunConfiguration::builder()
        .flink_run_configuration(flink_run(run))
        .application_restore_configuration(restore(run)?)
        .build())
}

fn flink_run(run: &input::RunConfiguration) -> FlinkRunConfiguration {
    FlinkRunConfiguration::builder()
        .allow_non_restored_state(run.flink_run_configuration.allow_non_restored_state)
        .build()
}

fn restore(run: &input::RunConfiguration) -> Result<ApplicationRestoreConfiguration, ActError> {
    let restore = &run.application_restore_configuration;
    ApplicationRestoreConfiguration::builder()
        .application_restore_type(ApplicationRestoreType::from(
            restore.application_restore_type,
        ))
        .set_snapshot_name(restore.snapshot_name.clone())
        .build()
        .map_err(|e| ActError {
            operation: "UpdateApplication",
            message: e.to_string(),
            retryable: false,
        })
}

/// How the operation ended, as far as the budget let us follow it.
enum Followed {
    Successful,
    Failed(String),
    InProgress,
}

/// `UpdateApplication` (and `StartApplication`), then the operation followed within the budget.
pub async fn update_application(
    client: &Client,
    update: &input::UpdateApplication,
    poll_every: Duration,
) -> Result<ActionReport, ActError> {
    const OP: &str = "UpdateApplication";
    let location = &update
        .application_configuration_update
        .application_code_configuration_update
        .code_content_update
        .s3_content_location_update;
    let code = ApplicationConfigurationUpdate::builder()
        .application_code_configuration_update(
            ApplicationCodeConfigurationUpdate::builder()
                .code_content_update(
                    CodeContentUpdate::builder()
                        .s3_content_location_update(
                            S3ContentLocationUpdate::builder()
                                .bucket_arn_update(&location.bucket_arn_update)
                                .file_key_update(&location.file_key_update)
                                .object_version_update(&location.object_version_update)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .build();
    let run_update = update
        .run_configuration_update
        .as_ref()
        .map(|run| {
            Ok::<_, ActError>(
                RunConfigurationUpdate::builder()
                    .flink_run_configuration(flink_run(run))
                    .application_restore_configuration(restore(run)?)
                    .build(),
            )
        })
        .transpose()?;
    let updated = client
        .update_application()
        .application_name(&update.application_name)
        .set_conditional_token(update.conditional_token.clone())
        .set_current_application_version_id(update.current_application_version_id)
        .application_configuration_update(code)
        .set_run_configuration_update(run_update)
        .send()
        .await
        .map_err(|e| act_error(OP, e))?;
    let version_id = updated
        .application_detail()
        .map(|d| d.application_version_id);
    let mut operation_id = updated.operation_id().map(str::to_owned);
    let mut operation = OP;
    if let Some(run) = &update.then.start_application {
        let started = client
            .start_application()
            .application_name(&update.application_name)
            .run_configuration(run_configuration(run)?)
            .send()
            .await
            .map_err(|e| act_error("StartApplication", e))?;
        operation_id = started.operation_id().map(str::to_owned);
        operation = "StartApplication";
    }
    let Some(operation_id) = operation_id else {
        return Ok(ActionReport {
            operation: OP,
            result: json!({"applicationVersionId": version_id, "operationStatus": "no operation to follow"}),
        });
    };
    let followed = follow(
        client,
        &update.application_name,
        &operation_id,
        update.follow_until,
        poll_every,
    )
    .await?;
    match followed {
        Followed::Successful => Ok(ActionReport {
            operation: OP,
            result: json!({"applicationVersionId": version_id, "operationId": operation_id, "operationStatus": "SUCCESSFUL"}),
        }),
        Followed::InProgress => {
            tracing::warn!(
                application = update.application_name.as_str(),
                operation_id = operation_id.as_str(),
                "the budget ran out before the operation ended; it goes on without us"
            );
            Ok(ActionReport {
                operation: OP,
                result: json!({
                    "applicationVersionId": version_id,
                    "operationId": operation_id,
                    "operationStatus": "IN_PROGRESS",
                    "note": "the invocation's budget ran out first: follow it with DescribeApplicationOperation",
                }),
            })
        }
        Followed::Failed(details) => {
            let rollback = match (update.then.rollback_application_on_failure, version_id) {
                (true, Some(version_id)) => {
                    let rolled = client
                        .rollback_application()
                        .application_name(&update.application_name)
                        .current_application_version_id(version_id)
                        .send()
                        .await;
                    // A refused rollback is reported beside the failure, which stays the news.
                    match rolled {
                        Ok(rolled) => format!(
                            "rolled back (RollbackApplication operation {})",
                            rolled.operation_id().unwrap_or("not reported")
                        ),
                        Err(e) => format!(
                            "the rollback failed too: {}",
                            act_error("RollbackApplication", e)
                        ),
                    }
                }
                (true, None) => "not rolled back: UpdateApplication reported no version id".into(),
                (false, _) => "not rolled back (the rule's rollback is off)".into(),
            };
            Err(ActError {
                operation,
                message: format!(
                    "application {}: operation {operation_id} {details}; {rollback}",
                    update.application_name
                ),
                retryable: false,
            })
        }
    }
}

/// `DescribeApplicationOperation` every `poll_every` until the operation ends or the budget
/// would run out before the next look.
async fn follow(
    client: &Client,
    application: &str,
    operation_id: &str,
    until: WaitUntil,
    poll_every: Duration,
) -> Result<Followed, ActError> {
    loop {
        let out = client
            .describe_application_operation()
            .application_name(application)
            .operation_id(operation_id)
            .send()
            .await
            .map_err(|e| act_error("DescribeApplicationOperation", e))?;
        let details = out.application_operation_info_details();
        match details.map(|d| d.operation_status()) {
            Some(OperationStatus::Successful) => return Ok(Followed::Successful),
            Some(OperationStatus::Failed | OperationStatus::Cancelled) => {
                let status = details.map_or("", |d| d.operation_status().as_str());
                let why = details
                    .and_then(|d| d.operation_failure_details())
                    .and_then(|f| f.error_info())
                    .and_then(|e| e.error_string())
                    .unwrap_or("no error details");
                return Ok(Followed::Failed(format!("{status}: {why}")));
            }
            _ => {}
        }
        if !until.allows(poll_every) {
            return Ok(Followed::InProgress);
        }
        tokio::time::sleep(poll_every).await;
    }
}
