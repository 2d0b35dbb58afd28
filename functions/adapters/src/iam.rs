//! Which IAM actions each function's code calls, composed from the `IAM_ACTIONS` that every
//! adapter module declares (never a second copy of the strings). `tests/iam_policies.rs` compares
//! this with each function's policy in `template.yaml`: nothing used but not granted, nothing
//! granted but not used.
//!
//! When a function starts using another adapter module, add that module here; the test then
//! fails until the template grants its actions (and the other way round).

use std::collections::BTreeSet;

use switchyard_core::plan::FunctionName;

use crate::aws;

/// The adapter modules (as their `IAM_ACTIONS`) whose calls each function's binary makes.
pub fn adapters_for(function: FunctionName) -> &'static [&'static [&'static str]] {
    match function {
        // StartBuild on the deployer / destroyer; every branch stack (a deleted branch's teardown
        // plan, the sweep); the webhook secret and GitHub token at cold start; the deliveries
        // that acted; CodeCommit's word on a branch (events and the sweep).
        FunctionName::BranchPipelines => &[
            aws::codebuild::IAM_ACTIONS,
            aws::cloudformation::IAM_ACTIONS,
            aws::secrets::IAM_ACTIONS,
            aws::deliveries::IAM_ACTIONS,
            crate::git_hosts::codecommit::IAM_ACTIONS,
        ],
        // StartPipelineExecution / StartBuild on the rule's target, or the Flink application's or
        // Lambda function's code replaced; what the target runs (a pipeline's latest execution,
        // DescribeApplication, GetFunction) and the uploaded and deployed versions' HeadObject,
        // so nothing older is deployed; the rules from SSM at cold start.
        FunctionName::ArtifactRelease => &[
            aws::codepipeline::IAM_ACTIONS,
            aws::codebuild::IAM_ACTIONS,
            aws::ssm::IAM_ACTIONS,
            aws::pipeline_executions::IAM_ACTIONS,
            aws::flink::IAM_ACTIONS,
            aws::lambda_code::IAM_ACTIONS,
            aws::s3::IAM_ACTIONS,
        ],
        // The uploaded bundle (pinned version); each cluster's credentials at cold start; a
        // pipeline job's details and result (its input artifact is read with the job's own
        // credentials, from GetJobDetails). The
        // Connect REST calls are not AWS calls; with MSK IAM the brokers authorize the topic
        // requests against the role.
        FunctionName::KafkaSync => &[
            aws::s3::IAM_ACTIONS,
            crate::connect::credentials::IAM_ACTIONS,
            aws::pipeline_jobs::IAM_ACTIONS,
            aws::kafka_state::IAM_ACTIONS,
            crate::kafka::msk_iam::IAM_ACTIONS,
        ],
        // StartPipelineExecution / StartBuild on the environment's target; the merge base for
        // the default-branch policy (CodeCommit tags); the webhook secret at cold start; the
        // deliveries that acted.
        FunctionName::TagRelease => &[
            aws::codepipeline::IAM_ACTIONS,
            aws::codebuild::IAM_ACTIONS,
            aws::codecommit::IAM_ACTIONS,
            aws::secrets::IAM_ACTIONS,
            aws::deliveries::IAM_ACTIONS,
        ],
        // DescribeEvents on the Health endpoints; the job as CodePipeline says it is, and its
        // single result.
        FunctionName::HealthGate => &[aws::health::IAM_ACTIONS, aws::pipeline_jobs::IAM_ACTIONS],
        // DescribeEvents (the same reader as health-gate); the pipeline's state, its action
        // executions (the attempt count) and RetryStageExecution.
        FunctionName::StageRetry => &[aws::health::IAM_ACTIONS, aws::pipeline_state::IAM_ACTIONS],
    }
}

/// Every IAM action `function` calls.
pub fn actions_for(function: FunctionName) -> BTreeSet<&'static str> {
    adapters_for(function)
        .iter()
        .flat_map(|actions| actions.iter().copied())
        .collect()
}

/// Actions whose API has no resource-level permissions: a policy must grant them on
/// `Resource: "*"` (anything narrower denies every call). Every other action must be scoped.
/// Each entry says why, from the AWS Service Authorization Reference.
pub const RESOURCE_WILDCARD_ONLY: &[(&str, &str)] = &[
    (
        "health:DescribeEvents",
        "AWS Health defines no resource types for DescribeEvents: only Resource \"*\" is accepted",
    ),
    (
        "cloudformation:DescribeStacks",
        "every stack is listed to find a branch's by their tag (a deleted branch's teardown, the sweep): DescribeStacks without a stack name accepts only Resource \"*\"",
    ),
    (
        "cloudformation:ListImports",
        "ListImports names an export, not a stack: the action has no resource type",
    ),
    (
        "codepipeline:GetJobDetails",
        "job details are authorized per call, not per pipeline: the action has no resource type",
    ),
    (
        "codepipeline:PutJobSuccessResult",
        "job results are authorized per call, not per pipeline: the action has no resource type",
    ),
    (
        "codepipeline:PutJobFailureResult",
        "job results are authorized per call, not per pipeline: the action has no resource type",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_the_union_of_the_modules() {
        let actions = actions_for(FunctionName::BranchPipelines);
        for action in aws::codebuild::IAM_ACTIONS
            .iter()
            .chain(aws::secrets::IAM_ACTIONS)
        {
            assert!(actions.contains(action), "{action}");
        }
        assert!(!actions.contains("codepipeline:StartPipelineExecution"));
    }

    #[test]
    fn declared_actions_are_well_formed() {
        for function in FunctionName::ALL {
            for action in actions_for(function) {
                let (service, name) = action.split_once(':').expect(action);
                assert!(
                    !service.is_empty()
                        && service
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                    "{function}: {action}: service prefix"
                );
                assert!(
                    name.starts_with(|c: char| c.is_ascii_uppercase())
                        && name.chars().all(|c| c.is_ascii_alphanumeric()),
                    "{function}: {action}: action name (no wildcards)"
                );
            }
        }
    }
}
