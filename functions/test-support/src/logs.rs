//! `tracing` output captured in memory, for tests that assert what reached (or never reached) a
//! log line.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing::subscriber::DefaultGuard;

/// The JSON log lines written while the guard of [`Captured::install`] was held.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// Makes the Lambda's subscriber at TRACE level, writing into the returned buffer, this
    /// thread's default until the guard is dropped: the lines are the ones the functions write in
    /// Lambda (decision lines with their metrics included).
    pub fn install() -> (Captured, DefaultGuard) {
        let captured = Captured::default();
        let writer = captured.clone();
        // As fine as logging goes, with the cap every subscriber of the functions has.
        let subscriber = switchyard_adapters::telemetry::lambda_subscriber(
            tracing_subscriber::EnvFilter::new("trace"),
            move || writer.clone(),
        );
        (captured, tracing::subscriber::set_default(subscriber))
    }

    /// The decision lines logged so far, parsed.
    pub fn decision_lines(&self) -> Vec<serde_json::Value> {
        self.text()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("log lines are JSON"))
            .filter(|l| l.get("message").and_then(|m| m.as_str()) == Some("decision"))
            .collect()
    }

    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).expect("log lines are UTF-8")
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
