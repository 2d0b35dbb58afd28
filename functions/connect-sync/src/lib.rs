//! The `connect-sync` Lambda's two triggers, as a library so the integration tests run exactly
//! what the Lambda runs: an S3 upload of a desired-state bundle ([`bundles`]) and a CodePipeline
//! invoke action ([`job`]). The policy is `switchyard_core::connect_sync`.

pub mod bundles;
pub mod job;
