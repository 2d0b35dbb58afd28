//! CloudFormation as the branch teardown and the sweep see it: every stack that carries
//! `switchyard:branch-id` (`DescribeStacks` through every page, up to
//! [`super::pages::MAX_PAGES`]: one call per page, never one per stack) and the stacks that
//! import an export (`ListImports`, every page).

use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudformation::operation::list_imports::ListImportsError;
use aws_sdk_cloudformation::Client;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use switchyard_core::branch_stacks::{
    BranchStack, BranchStackReader, DescribedStack, StackImports,
};
use switchyard_core::ports::ObserveError;
use switchyard_core::timestamps;

use super::errors::observe_error;
use super::pages::{every_page, TooManyPages};

/// `DescribeStacks` without a stack name (every stack) has no narrower resource than `*`;
/// `ListImports` names an export, not a stack.
pub const IAM_ACTIONS: &[&str] = &[
    "cloudformation:DescribeStacks",
    "cloudformation:ListImports",
];

/// What `ListImports` answers for an export that no stack imports: a `ValidationError` with
/// this text, not an empty list.
const NOT_IMPORTED: &str = "is not imported by any stack";

/// Reads stacks through the SDK.
pub struct AwsStacks {
    client: Client,
}

impl AwsStacks {
    pub fn new(client: Client) -> Self {
        AwsStacks { client }
    }
}

fn time(t: Option<&aws_smithy_types::DateTime>) -> Option<time::OffsetDateTime> {
    t.map(|t| timestamps::from_unix(t.secs()))
}

fn described(s: &aws_sdk_cloudformation::types::Stack) -> DescribedStack {
    DescribedStack {
        name: s.stack_name().unwrap_or_default().to_owned(),
        status: s
            .stack_status()
            .map(|st| st.as_str().to_owned())
            .unwrap_or_default(),
        tags: s
            .tags()
            .iter()
            .map(|t| {
                (
                    t.key().unwrap_or_default().to_owned(),
                    t.value().unwrap_or_default().to_owned(),
                )
            })
            .collect(),
        created: time(s.creation_time()),
        last_updated: time(s.last_updated_time()),
        exports: s
            .outputs()
            .iter()
            .filter_map(|o| o.export_name().map(str::to_owned))
            .collect(),
        termination_protection: s.enable_termination_protection().unwrap_or(false),
    }
}

impl BranchStackReader for AwsStacks {
    async fn branch_stacks(&self) -> Result<Vec<BranchStack>, ObserveError> {
        const OP: &str = "DescribeStacks";
        let pages = self
            .client
            .describe_stacks()
            .into_paginator()
            .stop_on_duplicate_token(false)
            .send();
        let pages = every_page(OP, pages, |e| observe_error(OP, e)).await?;
        Ok(pages
            .iter()
            .flat_map(|page| page.stacks())
            .filter_map(|s| BranchStack::from_described(described(s)))
            .collect())
    }
}

/// A failed `ListImports` listing, kept whole until "not imported" is told apart from a failure.
enum ImportsFailure {
    Sdk(Box<SdkError<ListImportsError, HttpResponse>>),
    TooLong(TooManyPages),
}

impl From<TooManyPages> for ImportsFailure {
    fn from(e: TooManyPages) -> Self {
        ImportsFailure::TooLong(e)
    }
}

impl StackImports for AwsStacks {
    async fn importing_stacks(&self, export: &str) -> Result<Vec<String>, ObserveError> {
        const OP: &str = "ListImports";
        let pages = self
            .client
            .list_imports()
            .export_name(export)
            .into_paginator()
            .stop_on_duplicate_token(false)
            .send();
        match every_page(OP, pages, |e| ImportsFailure::Sdk(Box::new(e))).await {
            Ok(pages) => Ok(pages
                .iter()
                .flat_map(|page| page.imports())
                .cloned()
                .collect()),
            Err(ImportsFailure::Sdk(e))
                if e.as_service_error()
                    .and_then(ProvideErrorMetadata::message)
                    .is_some_and(|m| m.contains(NOT_IMPORTED)) =>
            {
                Ok(Vec::new())
            }
            Err(ImportsFailure::Sdk(e)) => Err(observe_error(OP, *e)),
            Err(ImportsFailure::TooLong(e)) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksOutput;
    use aws_sdk_cloudformation::operation::list_imports::ListImportsOutput;
    use aws_sdk_cloudformation::types::{Output, Stack, StackStatus, Tag};
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use aws_smithy_types::error::ErrorMetadata;

    use super::super::pages::MAX_PAGES;
    use super::*;

    fn stack(name: &str, branch_id: Option<&str>) -> Stack {
        let mut b = Stack::builder()
            .stack_name(name)
            .stack_status(StackStatus::CreateComplete)
            .creation_time(aws_smithy_types::DateTime::from_secs(1_795_169_400))
            .outputs(Output::builder().export_name(format!("{name}-Arn")).build())
            .enable_termination_protection(true);
        if let Some(id) = branch_id {
            b = b.tags(Tag::builder().key("switchyard:branch-id").value(id).build());
        }
        b.build()
    }

    #[tokio::test]
    async fn every_page_is_read_and_only_tagged_stacks_are_kept() {
        let pages =
            mock!(Client::describe_stacks).then_compute_output(|req| match req.next_token() {
                None => DescribeStacksOutput::builder()
                    .stacks(stack("sy-a-api", Some("a")))
                    .stacks(stack("sy-a-lookalike", None))
                    .next_token("2")
                    .build(),
                Some(_) => DescribeStacksOutput::builder()
                    .stacks(stack("sy-b-api", Some("b")))
                    .build(),
            });
        let stacks = AwsStacks::new(mock_client!(
            aws_sdk_cloudformation,
            RuleMode::MatchAny,
            [&pages]
        ));
        let found = stacks.branch_stacks().await.unwrap();
        let names: Vec<_> = found.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["sy-a-api", "sy-b-api"]);
        assert_eq!(found[0].exports, ["sy-a-api-Arn"]);
        assert!(found[0].termination_protection);
        assert_eq!(found[0].created.unix_timestamp(), 1_795_169_400);
        assert_eq!(pages.num_calls(), 2, "one call per page");
    }

    #[tokio::test]
    async fn a_listing_past_the_page_cap_is_refused() {
        let endless = mock!(Client::describe_stacks).then_compute_output(|_| {
            DescribeStacksOutput::builder()
                .stacks(stack("sy-a-api", Some("a")))
                .next_token("again")
                .build()
        });
        let stacks = AwsStacks::new(mock_client!(
            aws_sdk_cloudformation,
            RuleMode::MatchAny,
            [&endless]
        ));
        let err = stacks.branch_stacks().await.unwrap_err();
        assert_eq!(err.operation, "DescribeStacks");
        assert!(err.message.contains("refusing a partial listing"), "{err}");
        assert_eq!(endless.num_calls(), MAX_PAGES + 1);
    }

    #[tokio::test]
    async fn an_export_nobody_imports_has_no_importers_and_other_failures_are_errors() {
        let none = mock!(Client::list_imports)
            .match_requests(|r| r.export_name() == Some("free"))
            .then_error(|| {
                ListImportsError::generic(
                    ErrorMetadata::builder()
                        .code("ValidationError")
                        .message("Export 'free' is not imported by any stack.")
                        .build(),
                )
            });
        let some = mock!(Client::list_imports)
            .match_requests(|r| r.export_name() == Some("used"))
            .then_output(|| ListImportsOutput::builder().imports("sy-a-api").build());
        let denied = mock!(Client::list_imports).then_error(|| {
            ListImportsError::generic(
                ErrorMetadata::builder()
                    .code("AccessDenied")
                    .message("not authorized")
                    .build(),
            )
        });
        let stacks = AwsStacks::new(mock_client!(
            aws_sdk_cloudformation,
            RuleMode::MatchAny,
            [&none, &some, &denied]
        ));
        assert!(stacks.importing_stacks("free").await.unwrap().is_empty());
        assert_eq!(stacks.importing_stacks("used").await.unwrap(), ["sy-a-api"]);
        let err = stacks.importing_stacks("other").await.unwrap_err();
        assert_eq!(err.operation, "ListImports");
        assert!(!err.retryable);
    }
}
