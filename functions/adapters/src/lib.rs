//! Adapters: the ports of `switchyard-core` implemented against the world.
//!
//! - [`aws`]: one module per AWS service, each declaring the IAM actions it calls;
//! - [`executor`]: runs a plan's actions through those modules;
//! - [`git_hosts`]: what git hosts (CodeCommit, GitHub) say about branches, one module per host;
//! - [`ports`]: what functions observe, on AWS, and the secrets and parameters configuration
//!   names;
//! - [`lambda`]: every function's Lambda `main` (`lambda::run::<F>()`);
//! - [`kafka`]: the Kafka admin protocol (topics), through rdkafka;
//! - [`job_runner`]: exactly one result for every CodePipeline job (error, panic, deadline);
//! - [`iam`]: which of those modules (and so which IAM actions) each function uses;
//! - [`telemetry`]: logging setup shared by every entry point.

pub mod aws;
pub mod connect;
pub mod executor;
pub mod git_hosts;
pub mod iam;
pub mod job_runner;
pub mod kafka;
pub mod lambda;
pub mod ports;
pub mod telemetry;

pub use executor::AwsExecutor;
pub use ports::{AwsPorts, AwsPortsFor, AwsResolve};
