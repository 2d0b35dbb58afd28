//! What the tests that create pipelines in moto share: a role CodePipeline may assume, and the
//! executions moto then holds.

use aws_config::SdkConfig;

/// The ARN of a role CodePipeline may assume (moto's CreatePipeline checks the role and its trust
/// policy), created by the first test that asks.
pub async fn pipeline_role(sdk: &SdkConfig) -> String {
    let iam = aws_sdk_iam::Client::new(sdk);
    let trust = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    match iam
        .create_role()
        .role_name("switchyard-release-pipeline")
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
    {
        Ok(out) => out.role().unwrap().arn().to_owned(),
        // Another test created it first.
        Err(_) => iam
            .get_role()
            .role_name("switchyard-release-pipeline")
            .send()
            .await
            .unwrap()
            .role()
            .unwrap()
            .arn()
            .to_owned(),
    }
}

/// What moto holds for a pipeline: (execution id, resolved variables), newest first.
pub async fn executions(
    sdk: &SdkConfig,
    pipeline: &str,
) -> Vec<(String, std::collections::HashMap<String, String>)> {
    let client = aws_sdk_codepipeline::Client::new(sdk);
    let list = client
        .list_pipeline_executions()
        .pipeline_name(pipeline)
        .send()
        .await
        .unwrap();
    let mut out = Vec::new();
    for summary in list.pipeline_execution_summaries() {
        let id = summary.pipeline_execution_id().unwrap();
        let execution = client
            .get_pipeline_execution()
            .pipeline_name(pipeline)
            .pipeline_execution_id(id)
            .send()
            .await
            .unwrap();
        let execution = execution.pipeline_execution().unwrap();
        assert_eq!(execution.pipeline_name(), Some(pipeline));
        let vars = execution
            .variables()
            .iter()
            .map(|v| {
                (
                    v.name().unwrap().to_owned(),
                    v.resolved_value().unwrap().to_owned(),
                )
            })
            .collect();
        out.push((id.to_owned(), vars));
    }
    out
}

/// An AWS-owned action type, version 1 (`Source`/`S3`, `Build`/`CodeBuild`…), for pipeline
/// declarations in tests.
pub fn aws_action_type(
    category: aws_sdk_codepipeline::types::ActionCategory,
    provider: &str,
) -> aws_sdk_codepipeline::types::ActionTypeId {
    aws_sdk_codepipeline::types::ActionTypeId::builder()
        .category(category)
        .owner(aws_sdk_codepipeline::types::ActionOwner::Aws)
        .provider(provider)
        .version("1")
        .build()
        .unwrap()
}
