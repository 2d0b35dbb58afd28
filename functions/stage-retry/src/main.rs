//! `stage-retry` Lambda. The function is `switchyard_core::stage_retry::StageRetry`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    switchyard_adapters::lambda::run::<switchyard_core::stage_retry::StageRetry>().await
}
