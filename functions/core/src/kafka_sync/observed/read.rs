//! Reading the cluster for a plan: exactly two requests, whatever the number of connectors.

use std::time::Duration;

use crate::kafka_sync::observed::{self, ObservedCluster, ReadError};
use crate::kafka_sync::ports::{Clock, ConnectApi};
use crate::kafka_sync::retry::{with_retries, Backoff};

/// `GET /` and `GET /connectors?expand=info&expand=status`, each retried on rebalances and
/// unreachable workers until `deadline`.
pub async fn read_cluster<A: ConnectApi, C: Clock>(
    api: &A,
    clock: &C,
    backoff: Backoff,
    deadline: Duration,
) -> Result<ObservedCluster, ReadError> {
    let info = with_retries(
        clock,
        backoff,
        deadline,
        || api.server_info(),
        || async { None },
    )
    .await?;
    let connectors = with_retries(
        clock,
        backoff,
        deadline,
        || api.connectors_expanded(),
        || async { None },
    )
    .await?;
    Ok(observed::observe(&info, &connectors)?)
}
