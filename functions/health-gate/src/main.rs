//! `health-gate` Lambda. The function is `switchyard_core::health_gate::HealthGate`; the job
//! protocol guarantees (one result, always) are `switchyard_adapters::job_runner`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    switchyard_adapters::lambda::run::<switchyard_core::health_gate::HealthGate>().await
}
