//! CodePipeline: `StartPipelineExecution`.

use aws_sdk_codepipeline::types::{PipelineVariable, SourceRevisionOverride, SourceRevisionType};
use aws_sdk_codepipeline::Client;
use serde_json::json;
use switchyard_core::actions::codepipeline::StartPipelineExecution;
use switchyard_core::ports::{ActError, ActionReport};

use super::errors::act_error;

pub const IAM_ACTIONS: &[&str] = &["codepipeline:StartPipelineExecution"];

fn invalid(message: String) -> ActError {
    ActError {
        operation: "StartPipelineExecution",
        message,
        retryable: false,
    }
}

pub async fn start_pipeline_execution(
    client: &Client,
    input: &StartPipelineExecution,
) -> Result<ActionReport, ActError> {
    let variables = input
        .variables
        .iter()
        .map(|v| {
            PipelineVariable::builder()
                .name(&v.name)
                .value(&v.value)
                .build()
                .map_err(|e| invalid(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let revisions = input
        .source_revisions
        .iter()
        .map(|r| {
            SourceRevisionOverride::builder()
                .action_name(&r.action_name)
                .revision_type(SourceRevisionType::from(r.revision_type))
                .revision_value(&r.revision_value)
                .build()
                .map_err(|e| invalid(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let output = client
        .start_pipeline_execution()
        .name(&input.name)
        .set_variables((!variables.is_empty()).then_some(variables))
        .set_source_revisions((!revisions.is_empty()).then_some(revisions))
        .client_request_token(&input.client_request_token)
        .send()
        .await
        .map_err(|e| act_error("StartPipelineExecution", e))?;
    Ok(ActionReport {
        operation: "StartPipelineExecution",
        result: json!({ "pipelineExecutionId": output.pipeline_execution_id() }),
    })
}
