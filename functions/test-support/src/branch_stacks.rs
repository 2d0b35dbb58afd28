//! Branch stacks in moto, tagged as the deployer and a branch's own build tag them
//! (`switchyard:repository`, `switchyard:branch`, `switchyard:branch-id`, and
//! `switchyard:pipeline` on the pipeline stack).

use aws_config::SdkConfig;
use aws_sdk_cloudformation::types::Tag;
use switchyard_core::branch_stacks::{
    TAG_BRANCH, TAG_BRANCH_ID, TAG_KEEP, TAG_PIPELINE, TAG_REPOSITORY,
};
use switchyard_core::naming::{self, NamePrefix};

/// A template moto creates at once.
const TEMPLATE: &str = r#"{"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}"#;

/// Creates `branch`'s pipeline stack and one environment stack (`<env prefix>api`), with the
/// default `sy` prefix; `keep` tags the pipeline stack `switchyard:keep=true`. Returns the names.
pub async fn create_branch_stacks(
    sdk: &SdkConfig,
    repository: &str,
    branch: &str,
    keep: bool,
) -> Vec<String> {
    let names = naming::branch_names(&NamePrefix::parse("sy").unwrap(), repository, branch);
    let client = aws_sdk_cloudformation::Client::new(sdk);
    let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build();
    let mut created = Vec::new();
    for (name, is_pipeline) in [
        (names.stack.clone(), true),
        (format!("{}api", names.environment_prefix), false),
    ] {
        let mut request = client
            .create_stack()
            .stack_name(&name)
            .template_body(TEMPLATE)
            .tags(tag(TAG_REPOSITORY, repository))
            .tags(tag(TAG_BRANCH, &naming::branch_tag_value(branch).unwrap()))
            .tags(tag(TAG_BRANCH_ID, &names.branch_id));
        if is_pipeline {
            request = request.tags(tag(TAG_PIPELINE, &names.pipeline));
            if keep {
                request = request.tags(tag(TAG_KEEP, "true"));
            }
        }
        request.send().await.expect("moto creates the stack");
        created.push(name);
    }
    created
}
