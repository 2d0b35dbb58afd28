//! The port through which functions observe AWS Health.

use std::future::Future;

use super::{HealthEvent, HealthQuery};
use crate::ports::ObserveError;

/// Why no events could be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HealthError {
    /// `SubscriptionRequiredException`: the account has no support plan that includes the Health
    /// API. What happens next is the configured [`super::OnUnsupportedPlan`].
    #[error("the AWS Health API needs a Business, Enterprise On-Ramp or Enterprise support plan (SubscriptionRequiredException)")]
    SubscriptionRequired,
    /// No Health endpoint answered (both the active and the failover one), or it answered with an
    /// error. Nothing is declared clear on this. (The operation is always `DescribeEvents`, so the
    /// message says "AWS Health" instead.)
    #[error("AWS Health could not be read: {}", .0.message)]
    Unavailable(ObserveError),
}

/// Reads the open AWS Health events a query selects, through every page.
pub trait HealthReader: Sync {
    fn open_events(
        &self,
        query: &HealthQuery,
    ) -> impl Future<Output = Result<Vec<HealthEvent>, HealthError>> + Send;
}
