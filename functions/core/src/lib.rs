//! Switchyard's domain: everything that can be decided without touching the world.
//!
//! Each function follows the same steps, and this crate holds all but the I/O:
//!
//! 1. **parse** a raw event into a typed value ([`sources`], [`webhook`]), or reject it naming
//!    the field;
//! 2. **observe** through a port ([`ports`]) — implemented by `switchyard-aws`;
//! 3. **decide**: a pure function to a [`plan::Decision`] (outcome, reason, typed actions);
//! 4. **act** through [`ports::ActionExecutor`].
//!
//! Where things are:
//! - grammars and untrusted input: [`refs`] (git ref names), [`naming`] (AWS resource names),
//!   [`webhook`] (GitHub HMAC), [`json`] (field-naming JSON access);
//! - one module per function: [`branch_pipelines`], [`artifact_release`], [`tag_release`] (its
//!   tag grammar: [`tag_release::grammar`]);
//! - the CodePipeline job protocol shared by pipeline actions: [`pipeline_job`];
//! - reference data: [`regions`] (known AWS region names);
//! - shared plumbing: [`plan`], [`actions`], [`config`], [`idempotency`], [`route`].

pub mod actions;
pub mod artifact_release;
pub mod branch_pipelines;
pub mod config;
pub mod connect_sync;
pub mod deadline;
pub mod entry;
pub mod filters;
pub mod health;
pub mod health_gate;
pub mod idempotency;
pub mod json;
pub mod naming;
pub mod pipeline_job;
pub mod plan;
pub mod ports;
pub mod refs;
pub mod regions;
pub mod route;
pub mod secret;
pub mod sources;
pub mod stage_retry;
pub mod tag_release;
pub mod text;
pub mod timestamps;
pub mod webhook;
