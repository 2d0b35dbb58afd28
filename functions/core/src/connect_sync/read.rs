//! Reading the cluster for a plan: exactly two requests, whatever the number of connectors.

use std::time::Duration;

use super::observed::{self, ObservedCluster, ShapeError};
use super::ports::{Clock, ConnectApi, ConnectError};
use super::retry::{with_retries, Backoff};

/// Why talking to Connect failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Shape(#[from] ShapeError),
}

/// `GET /` and `GET /connectors?expand=info&expand=status`, each retried on rebalances and
/// unreachable workers until `deadline`.
pub async fn read_cluster<A: ConnectApi, C: Clock>(
    api: &A,
    clock: &C,
    backoff: Backoff,
    deadline: Duration,
) -> Result<ObservedCluster, SyncError> {
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
