//! Logging setup. In Lambda: JSON lines (one structured line per decision), level from
//! `RUST_LOG` (default `info`). Nothing that reaches a log may carry a secret: secrets are
//! [`switchyard_core::secret::Secret`]s, whose `Debug` is redacted.

use tracing_subscriber::EnvFilter;

/// The SDK's orchestrator logs every raw HTTP response at TRACE, and a `GetJobDetails` answer
/// carries the job's artifact credentials in clear: whatever level is asked, that target stops at
/// DEBUG (where the SDK logs only its redacted `Debug` of outputs).
pub const NO_RAW_RESPONSES: &str = "aws_smithy_runtime::client::orchestrator=debug";

/// `filter` with [`NO_RAW_RESPONSES`] added: every subscriber (Lambda, tests) uses this.
pub fn without_raw_responses(filter: EnvFilter) -> EnvFilter {
    filter.add_directive(NO_RAW_RESPONSES.parse().expect("a valid directive"))
}

pub fn init_lambda() {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(without_raw_responses(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        ))
        .with_current_span(false)
        .with_span_list(false)
        .without_time() // CloudWatch timestamps every line
        .with_target(false)
        .init();
}

/// Human-readable logs on stderr for the CLI, off unless `RUST_LOG` asks.
pub fn init_cli() {
    tracing_subscriber::fmt()
        .with_env_filter(without_raw_responses(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("off")),
        ))
        .with_writer(std::io::stderr)
        .init();
}
