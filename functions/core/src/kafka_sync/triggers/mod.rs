//! Step 5, the triggers: what starts a sync, and what it answers. [`pipeline_job`] is the
//! CodePipeline invoke action (its `UserParameters`, input artifact, continuation token and job
//! result), [`bundle_upload`] the S3 upload of a configured desired-state bundle. Both run the same
//! operation, [`judged_sync`]: read the desired state through the [`ConnectPorts`], plan, log the
//! plan, apply, wait until the deadline's budget, and judge the run ([`verdict`]). [`dry_run`]
//! holds the dry-run ports, so replay and the shared tests run that operation up to the writes.

pub mod bundle_upload;
pub mod dry_run;
pub mod judged_sync;
pub mod pipeline_job;
pub mod verdict;

use crate::kafka_sync::ports::{ArtifactReader, Clock, ConnectApi};
use crate::kafka_sync::topics::TopicAdmin;

/// What a kafka-sync trigger reaches the world through: one Connect API per configured cluster,
/// one Kafka admin client per cluster with brokers, the desired state's reader, and the clock.
/// The Lambda's are real (reqwest, rdkafka, S3, tokio); the dry run's record writes instead of
/// performing them.
pub trait ConnectPorts: Sync {
    type Api: ConnectApi;
    type Admin: TopicAdmin;
    type Artifacts: ArtifactReader;
    type Clock: Clock;
    /// The client of a cluster named in `KAFKA_CLUSTERS`.
    fn cluster(&self, name: &str) -> Option<&Self::Api>;
    /// The admin client of a cluster whose `kafka` brokers are configured.
    fn topic_admin(&self, name: &str) -> Option<&Self::Admin>;
    fn artifacts(&self) -> &Self::Artifacts;
    fn clock(&self) -> &Self::Clock;
}
