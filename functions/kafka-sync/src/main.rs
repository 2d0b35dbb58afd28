//! `kafka-sync` Lambda. The function is `switchyard_core::kafka_sync::KafkaSync`; its
//! Kafka Connect clients are `switchyard_adapters::connect`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    switchyard_adapters::lambda::run::<switchyard_core::kafka_sync::KafkaSync>().await
}
