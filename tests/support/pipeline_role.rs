//! A role CodePipeline may assume, for the tests that create pipelines in moto. Included with
//! `#[path]` by those test binaries only: it needs `aws-sdk-iam`, which not every crate that
//! uses `tests/support/` depends on.

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
