//! Switchyard's domain: everything that can be decided without touching the world.
//!
//! Each function follows the same steps, and this crate holds all but the I/O:
//!
//! 1. **parse** a raw event into a typed value ([`sources`], [`webhook`]), or reject it naming
//!    the field;
//! 2. **observe** through a port ([`function::Ports`]) — implemented on AWS by
//!    `switchyard-adapters`, and from a `--world` file by [`world`];
//! 3. **decide**: a pure function to a [`plan::Decision`] (outcome, reason, typed actions);
//! 4. **act** through [`ports::ActionExecutor`].
//!
//! Where things are:
//! - a function, declared once: [`function`]; the list of all six: [`registry`];
//! - one module per function: [`branch_pipelines`], [`tag_release`] (its tag grammar:
//!   [`tag_release::grammar`]), [`artifact_release`], [`health_gate`], [`stage_retry`],
//!   [`kafka_sync`];
//! - untrusted input and its rules: [`sources`] (events and their envelopes), [`webhook`]
//!   (GitHub HMAC), [`deliveries`] (a signed delivery acts at most once), [`refs`] (git ref names), [`naming`] (every AWS name rule, and the names of a
//!   branch's resources), [`regions`] (known AWS regions), [`json`] (field-naming JSON access),
//!   [`text`] (bounded, one-line messages), [`timestamps`], [`filters`] (allow-lists, globs);
//! - what git hosts say about branches (CodeCommit, GitHub): [`git_hosts`];
//! - the CodePipeline job protocol shared by pipeline actions: [`pipeline_job`]; AWS Health,
//!   shared by health-gate and stage-retry: [`health`];
//! - configuration: [`config`] (environment variables), [`yaml`] (the one YAML loader),
//!   [`secret`] (values that never reach a log);
//! - what a decision produces and how it is run: [`plan`], [`actions`], [`ports`], [`entry`],
//!   [`idempotency`]; the metrics its log line carries (CloudWatch EMF): [`metrics`]; which
//!   function takes an event in replay: [`route`];
//! - the dry run: [`world`].

pub mod actions;
pub mod artifact_release;
pub mod branch_pipelines;
pub mod branch_stacks;
pub mod config;
pub mod deadline;
pub mod deliveries;
pub mod entry;
pub mod filters;
pub mod function;
pub mod git_hosts;
pub mod health;
pub mod health_gate;
pub mod idempotency;
pub mod json;
pub mod kafka_sync;
pub mod metrics;
pub mod naming;
pub mod pipeline_job;
pub mod plan;
pub mod ports;
pub mod refs;
pub mod regions;
pub mod registry;
pub mod route;
pub mod secret;
pub mod sources;
pub mod stage_retry;
pub mod tag_release;
pub mod text;
pub mod timestamps;
pub mod webhook;
pub mod world;
pub mod yaml;
