//! `connect-sync` Lambda. The function is `switchyard_core::connect_sync::ConnectSync`; its
//! Kafka Connect clients are `switchyard_adapters::connect`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    switchyard_adapters::lambda::run::<switchyard_core::connect_sync::ConnectSync>().await
}
