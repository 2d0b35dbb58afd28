//! `branch-pipelines` Lambda. The function is `switchyard_core::branch_pipelines::BranchPipelines`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    switchyard_adapters::lambda::run::<switchyard_core::branch_pipelines::BranchPipelines>().await
}
