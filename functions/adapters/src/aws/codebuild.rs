//! CodeBuild: `StartBuild`.

use aws_sdk_codebuild::types::{EnvironmentVariable, EnvironmentVariableType};
use aws_sdk_codebuild::Client;
use serde_json::json;
use switchyard_core::actions::codebuild::StartBuild;
use switchyard_core::ports::{ActError, ActionReport};

use super::errors::act_error;

pub const IAM_ACTIONS: &[&str] = &["codebuild:StartBuild"];

pub async fn start_build(client: &Client, input: &StartBuild) -> Result<ActionReport, ActError> {
    let env = input
        .environment_variables_override
        .iter()
        .map(|v| {
            EnvironmentVariable::builder()
                .name(&v.name)
                .value(&v.value)
                .r#type(EnvironmentVariableType::Plaintext)
                .build()
                .map_err(|e| ActError {
                    operation: "StartBuild",
                    message: e.to_string(),
                    retryable: false,
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let output = client
        .start_build()
        .project_name(&input.project_name)
        .set_source_version(input.source_version.clone())
        .set_environment_variables_override(Some(env))
        .idempotency_token(&input.idempotency_token)
        .send()
        .await
        .map_err(|e| act_error("StartBuild", e))?;
    let build_id = output
        .build_value()
        .and_then(|b| b.id())
        .unwrap_or_default();
    Ok(ActionReport {
        operation: "StartBuild",
        result: json!({ "buildId": build_id }),
    })
}
