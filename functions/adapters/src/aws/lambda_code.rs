//! Lambda: what a function (or its alias) runs (`GetFunction`), and replacing its code with one
//! S3 object version: `UpdateFunctionCode`, waiting until the update is applied
//! (`LastUpdateStatus`, read with `GetFunction`), `PublishVersion` guarded by the code's
//! SHA-256 the update returned (a concurrent update of `$LATEST` fails the publish instead of
//! publishing someone else's code) and `UpdateAlias` when the rule names one.

use std::time::Duration;

use aws_sdk_lambda::types::LastUpdateStatus;
use aws_sdk_lambda::Client;
use serde_json::json;
use switchyard_core::actions::lambda::UpdateFunctionCode;
use switchyard_core::artifact_release::ports::LambdaVersion;
use switchyard_core::ports::{ActError, ActionReport, ObserveError};

use super::errors::{act_error, observe_error};

pub const IAM_ACTIONS: &[&str] = &[
    "lambda:GetFunction",
    "lambda:UpdateFunctionCode",
    "lambda:PublishVersion",
    "lambda:UpdateAlias",
];

/// `GetFunction` of the function or one of its aliases; `None`: no such function or alias.
pub async fn get_function(
    client: &Client,
    name: &str,
    qualifier: Option<&str>,
) -> Result<Option<LambdaVersion>, ObserveError> {
    let got = client
        .get_function()
        .function_name(name)
        .set_qualifier(qualifier.map(str::to_owned))
        .send()
        .await;
    let out = match got {
        Ok(out) => out,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(observe_error("GetFunction", e)),
    };
    Ok(out.configuration.map(|c| LambdaVersion {
        version: c.version.unwrap_or_default(),
        code_sha256: c.code_sha256.unwrap_or_default(),
        description: c.description.unwrap_or_default(),
    }))
}

fn failed(operation: &'static str, message: String, retryable: bool) -> ActError {
    ActError {
        operation,
        message,
        retryable,
    }
}

/// The whole deployment: update, wait, publish, move the alias.
pub async fn update_function_code(
    client: &Client,
    input: &UpdateFunctionCode,
    poll_every: Duration,
) -> Result<ActionReport, ActError> {
    const OP: &str = "UpdateFunctionCode";
    let name = &input.function_name;
    let updated = client
        .update_function_code()
        .function_name(name)
        .s3_bucket(&input.s3_bucket)
        .s3_key(&input.s3_key)
        .s3_object_version(&input.s3_object_version)
        .publish(false)
        .send()
        .await
        .map_err(|e| act_error(OP, e))?;
    let code_sha256 = updated.code_sha256.clone().ok_or_else(|| {
        failed(
            OP,
            format!("{name}: the update returned no CodeSha256 to publish with"),
            false,
        )
    })?;
    let mut status = updated.last_update_status.clone();
    let mut reason = updated.last_update_status_reason.clone();
    let mut reason_code = updated.last_update_status_reason_code.clone();
    while status == Some(LastUpdateStatus::InProgress) {
        if !input.wait_until.allows(poll_every) {
            return Err(failed(
                OP,
                format!("{name}: the code update is still in progress when the invocation's budget runs out; a retry of the event publishes it once applied"),
                true,
            ));
        }
        tokio::time::sleep(poll_every).await;
        let config = client
            .get_function()
            .function_name(name)
            .send()
            .await
            .map_err(|e| act_error("GetFunction", e))?
            .configuration;
        status = config.as_ref().and_then(|c| c.last_update_status.clone());
        reason = config
            .as_ref()
            .and_then(|c| c.last_update_status_reason.clone());
        reason_code = config.and_then(|c| c.last_update_status_reason_code);
    }
    if status == Some(LastUpdateStatus::Failed) {
        // Lambda's own reason: an architecture mismatch, a bad zip, a missing handler…
        return Err(failed(
            OP,
            format!(
                "{name}: the code update failed: {} ({})",
                reason.as_deref().unwrap_or("no reason given"),
                reason_code
                    .as_ref()
                    .map_or("no reason code", |c| c.as_str())
            ),
            false,
        ));
    }
    let published = client
        .publish_version()
        .function_name(name)
        .code_sha256(&code_sha256)
        .description(&input.then.publish_version.description)
        .send()
        .await
        .map_err(|e| act_error("PublishVersion", e))?;
    let version = published.version.unwrap_or_default();
    if let Some(alias) = &input.then.update_alias {
        client
            .update_alias()
            .function_name(name)
            .name(alias)
            .function_version(&version)
            .send()
            .await
            .map_err(|e| act_error("UpdateAlias", e))?;
    }
    Ok(ActionReport {
        operation: OP,
        result: json!({
            "CodeSha256": code_sha256,
            "Version": version,
            "Alias": input.then.update_alias,
        }),
    })
}
