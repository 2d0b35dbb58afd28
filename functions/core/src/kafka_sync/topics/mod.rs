//! Kafka topics as code, beside the connectors: [`ports`] is the admin protocol the sync
//! observes and writes topics through.

pub mod ports;

pub use ports::{
    AdminError, AdminErrorKind, NewTopicSpec, TopicAdmin, TopicMetadata, TopicOverrides,
};
