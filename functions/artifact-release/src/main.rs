//! `artifact-release` Lambda. The function is `switchyard_core::artifact_release::ArtifactRelease`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    switchyard_adapters::lambda::run::<switchyard_core::artifact_release::ArtifactRelease>().await
}
