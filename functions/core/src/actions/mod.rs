//! Every action a plan can hold, one typed input per AWS (or Kafka Connect) operation.
//!
//! To add an operation: define its input (with the API's member names) in the service's module
//! and add one line to the `actions!` list below.

pub mod codebuild;
pub mod codepipeline;
pub mod kinesisanalyticsv2;
pub mod lambda;

use serde::ser::SerializeMap;

macro_rules! actions {
    ($($variant:ident($ty:ty) => $service:literal, $operation:literal;)*) => {
        /// One call the act step makes.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Action {
            $($variant($ty),)*
        }

        impl Action {
            /// The service, as named in IAM actions (`codebuild`, `codepipeline`…).
            pub fn service(&self) -> &'static str {
                match self { $(Action::$variant(_) => $service,)* }
            }

            /// The API operation, as named in the service's API reference.
            pub fn operation(&self) -> &'static str {
                match self { $(Action::$variant(_) => $operation,)* }
            }

            pub(crate) fn serialize_input<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
                match self { $(Action::$variant(input) => map.serialize_entry("input", input),)* }
            }
        }

        $(impl From<$ty> for Action {
            fn from(input: $ty) -> Self { Action::$variant(input) }
        })*
    };
}

actions! {
    StartBuild(codebuild::StartBuild) => "codebuild", "StartBuild";
    StartPipelineExecution(codepipeline::StartPipelineExecution) => "codepipeline", "StartPipelineExecution";
    PutJobSuccessResult(codepipeline::PutJobSuccessResult) => "codepipeline", "PutJobSuccessResult";
    PutJobFailureResult(codepipeline::PutJobFailureResult) => "codepipeline", "PutJobFailureResult";
    RetryStageExecution(codepipeline::RetryStageExecution) => "codepipeline", "RetryStageExecution";
    UpdateApplication(kinesisanalyticsv2::UpdateApplication) => "kinesisanalyticsv2", "UpdateApplication";
    UpdateFunctionCode(lambda::UpdateFunctionCode) => "lambda", "UpdateFunctionCode";
}
