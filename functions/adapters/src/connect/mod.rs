//! Kafka Connect adapters for `kafka-sync`: the REST API over reqwest ([`http`]), credentials
//! from Secrets Manager ([`credentials`]), the desired state's files from a directory or zip
//! ([`files`]) and from S3 ([`artifacts`]), the real clock ([`TokioClock`]), and all of them as
//! the Lambda's ports ([`ports`]).

pub mod artifacts;
pub mod credentials;
pub mod files;
pub mod http;
pub mod ports;

use std::time::{Duration, Instant, SystemTime};

use switchyard_core::kafka_sync::ports::Clock;

pub use artifacts::S3Artifacts;
pub use credentials::ConnectCredentials;
pub use http::HttpConnect;
pub use ports::KafkaSyncPorts;

/// Wall-clock time since the clock started; sleeps with tokio; jitter from `fastrand`.
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

    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }

    fn jitter(&self) -> f64 {
        fastrand::f64()
    }
}
