//! Step 2, the observed state: [`read`] reads the cluster in two requests, whatever the number of
//! connectors; [`cluster`] parses Connect's answers into what the plan compares against.

pub mod cluster;
pub mod read;

pub use cluster::{
    observe, parse_config, parse_expanded_connectors, parse_server_info, parse_status,
    ConnectVersion, ConnectorStatus, ObservedCluster, ObservedConnector, ReadError, RunState,
    ShapeError, TaskStatus,
};
