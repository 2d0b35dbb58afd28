//! `tracing` output captured in memory, for tests that assert what reached (or never reached) a
//! log line.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing::subscriber::DefaultGuard;

/// The JSON log lines written while the guard of [`Captured::install`] was held.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// Makes a JSON subscriber at TRACE level, writing into the returned buffer, this thread's
    /// default until the guard is dropped (the functions log JSON in Lambda; so do the tests).
    pub fn install() -> (Captured, DefaultGuard) {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            // As fine as logging goes, with the cap every subscriber of the functions has.
            .with_env_filter(switchyard_adapters::telemetry::without_raw_responses(
                tracing_subscriber::EnvFilter::new("trace"),
            ))
            .with_writer(move || writer.clone())
            .finish();
        (captured, tracing::subscriber::set_default(subscriber))
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
