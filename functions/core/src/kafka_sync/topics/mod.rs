//! Kafka topics as code, beside the connectors, in the sync's steps:
//!
//! 1. [`desired`]: topic files under `topics/` (loaded by the one desired-state loader), checked
//!    against Kafka's rules in [`names`] (topic names, the broker's topic-level config names);
//! 2. [`observed`]: the topics in scope, read in a fixed number of admin requests through the
//!    [`ports::TopicAdmin`] port;
//! 3. [`diff`]: the topic part of the one plan (create / partitions / config / replication
//!    factor differs / delete), laid out by [`display`];
//! 4. [`apply`]: the writes, through one function, before the connectors (deletions last);
//!    [`dry_run`] records them instead (replay, `--world`).
//!
//! The topics live in their own folder rather than spread over `desired/`, `observed/`,
//! `changes/` and `apply/` because they share nothing with connectors below the plan (another
//! protocol, another scope, other rules); what they do share (the loader, `{{ env.x }}`
//! values, the redactor, the retry backoff, the managed-scope type) is reused from there.

pub mod apply;
pub mod desired;
pub mod diff;
pub mod display;
pub mod dry_run;
pub mod names;
pub mod observed;
pub mod ports;

pub use desired::{DesiredTopic, TopicSettings, TopicWant};
pub use ports::{
    AdminError, AdminErrorKind, NewTopicSpec, NoBrokers, TopicAdmin, TopicMetadata, TopicOverrides,
};
