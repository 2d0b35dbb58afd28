//! What the integration tests in `tests/` share, as one dev-dependency instead of files included
//! into every test binary:
//!
//! - [`moto`]: a real moto server per test binary, real SDK clients pointed at it, and moto's
//!   request recorder to see exactly what reached AWS; CodeBuild projects as the stack declares them.
//! - [`connect`]: the real Kafka Connect test cluster (and, under `CI=true`, a failure instead of a
//!   skip when it is missing); [`kafka_sync`]: a desired-state repository and plan/apply through
//!   the real adapter.
//! - [`mocks`]: helpers for `aws-smithy-mocks` rules (APIs moto lacks); [`jobs`]: CodePipeline's
//!   `GetJobDetails` for the jobs a test issued.
//! - [`pipelines`]: a role CodePipeline may assume in moto, and the executions moto holds.
//! - [`cfn_template`]: `template.yaml` as CloudFormation reads it.
//! - [`logs`]: `tracing` output captured for assertions; [`env`]: variable maps.
//! - [`branch_stacks`]: tagged branch stacks in moto; [`git_hosts`]: GitHub's REST API and CodeCommit's branch calls as a local HTTP server.

pub mod branch_stacks;
pub mod cfn_template;
pub mod connect;
pub mod env;
pub mod git_hosts;
pub mod jobs;
pub mod kafka_sync;
pub mod logs;
pub mod mocks;
pub mod moto;
pub mod pipelines;

use std::path::PathBuf;

pub use moto::{create_codebuild_project, moto, Moto};

/// The repository root (this crate lives in `functions/test-support/`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root exists")
}
