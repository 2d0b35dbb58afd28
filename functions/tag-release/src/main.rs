//! `tag-release` Lambda. The function is `switchyard_core::tag_release::TagRelease`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    switchyard_adapters::lambda::run::<switchyard_core::tag_release::TagRelease>().await
}
