//! Kafka Connect adapters for `connect-sync`: the REST API over reqwest ([`http`]), credentials
//! from Secrets Manager ([`credentials`]), the desired state's files from a directory or zip
//! ([`files`]), and the real clock ([`TokioClock`]).

pub mod credentials;
pub mod files;
pub mod http;

use std::time::{Duration, Instant};

use switchyard_core::connect_sync::ports::Clock;

pub use credentials::ConnectCredentials;
pub use http::HttpConnect;

/// Wall-clock time since the run started; sleeps with tokio; jitter from `fastrand`.
pub struct TokioClock {
    start: Instant,
}

impl TokioClock {
    pub fn start() -> Self {
        TokioClock {
            start: Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }

    fn jitter(&self) -> f64 {
        fastrand::f64()
    }
}
