//! Logging setup. In Lambda: JSON lines (one structured line per decision), level from
//! `RUST_LOG` (default `info`). Nothing that reaches a log may carry a secret: secrets are
//! [`switchyard_core::secret::Secret`]s, whose `Debug` is redacted.
//!
//! A decision's line ([`switchyard_core::entry::DecisionLine`]) is a JSON object of its own, with
//! its CloudWatch embedded metrics: [`DecisionLines`] writes it as it is, every other event as
//! `tracing`'s JSON. Decision lines are always on, whatever `RUST_LOG` says, since the metrics
//! live in them.

use std::fmt;

use switchyard_core::entry::DECISION_TARGET;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{Format, Json, JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
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
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    lambda_subscriber(filter, std::io::stdout).init();
}

/// The Lambda's subscriber, writing to `writer`: the tests capture what it writes.
pub fn lambda_subscriber<W>(filter: EnvFilter, writer: W) -> impl Subscriber + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let json = tracing_subscriber::fmt::format()
        .json()
        .with_current_span(false)
        .with_span_list(false)
        .without_time() // CloudWatch timestamps every line
        .with_target(false);
    let filter = without_raw_responses(filter).add_directive(
        format!("{DECISION_TARGET}=info")
            .parse()
            .expect("a valid directive"),
    );
    tracing_subscriber::fmt()
        .fmt_fields(JsonFields::new())
        .event_format(DecisionLines(json))
        .with_env_filter(filter)
        .with_writer(writer)
        .finish()
}

/// Writes a decision's `line` (already a JSON object, metrics included) as the log line, and
/// every other event in `tracing`'s JSON format.
pub struct DecisionLines(Format<Json, ()>);

impl<S, N> FormatEvent<S, N> for DecisionLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    Format<Json, ()>: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        if event.metadata().target() != DECISION_TARGET {
            return self.0.format_event(ctx, writer, event);
        }
        let mut line = Line {
            writer: &mut writer,
            result: Ok(()),
        };
        event.record(&mut line);
        line.result?;
        writeln!(writer)
    }
}

/// Writes the `line` field of a decision event.
struct Line<'a, 'w> {
    writer: &'a mut Writer<'w>,
    result: fmt::Result,
}

impl Visit for Line<'_, '_> {
    /// `line = %decision_line` arrives as a value whose `Debug` is its `Display`.
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "line" {
            self.result = write!(self.writer, "{value:?}");
        }
    }
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
