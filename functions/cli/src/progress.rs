//! `switchyard kafka apply`'s progress, on stderr (stdout keeps the plan and the result, or the
//! one JSON document of `--output json`): each write as it completes, and the wait as Terraform's
//! "Still creating… [10s elapsed]" shows it: a line when something changed, else every
//! [`HEARTBEAT`](switchyard_core::kafka_sync::apply::progress::HEARTBEAT), never more than one
//! per poll.
//!
//! On a terminal the lines are coloured (unless `NO_COLOR` is set and not empty, or the terminal
//! cannot: `anstream` decides, with `CLICOLOR`/`CLICOLOR_FORCE`); without one (CI, a pipe) they
//! are plain and start with an RFC 3339 timestamp.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::SystemTime;

use anstream::ColorChoice;
use anstyle::{AnsiColor, Style};
use switchyard_core::kafka_sync::apply::progress::PollLines;
use switchyard_core::kafka_sync::apply::{ApplyProgress, WaitPoll, WriteEvent, WriteOutcome};
use switchyard_core::timestamps;

/// How lines look where they are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    /// A person watches: no timestamps (the lines appear as things happen).
    pub terminal: bool,
    pub colour: bool,
}

impl Look {
    pub fn of_stderr() -> Look {
        let stderr = std::io::stderr();
        Look {
            terminal: stderr.is_terminal(),
            colour: anstream::AutoStream::choice(&stderr) != ColorChoice::Never,
        }
    }

    fn style(self, style: Style) -> Style {
        if self.colour {
            style
        } else {
            Style::new()
        }
    }

    /// The timestamp that starts a line without a terminal.
    fn stamp(self, at: SystemTime) -> String {
        if self.terminal {
            String::new()
        } else {
            format!("{} ", timestamps::format(at.into()))
        }
    }
}

/// `connector sy-orders: create ok`, `… update failed: <error>`, `… delete cancelled: <reason>`.
pub fn write_line(write: &WriteEvent<'_>, look: Look, at: SystemTime) -> String {
    let name = look.style(Style::new().bold());
    let (status, colour) = match write.outcome {
        WriteOutcome::Applied | WriteOutcome::Deleted => ("ok", AnsiColor::Green),
        WriteOutcome::Failed { .. } => ("failed", AnsiColor::Red),
        WriteOutcome::Cancelled { .. } => ("cancelled", AnsiColor::Yellow),
    };
    let status_style = look.style(Style::new().fg_color(Some(colour.into())).bold());
    let detail = write.detail().map(|d| format!(": {d}")).unwrap_or_default();
    format!(
        "{}{name}{} {}{name:#}: {} {status_style}{status}{status_style:#}{detail}",
        look.stamp(at),
        write.kind.as_str(),
        write.name,
        write.operation,
    )
}

/// `waiting: 3/5 RUNNING, 1 FAILED, 42 s; pending: sy-c (UNASSIGNED)`.
pub fn poll_line(poll: &WaitPoll<'_>, look: Look, at: SystemTime) -> String {
    let label = look.style(Style::new().fg_color(Some(AnsiColor::Cyan.into())));
    format!("{}{label}waiting:{label:#} {poll}", look.stamp(at))
}

/// Writes the lines to `out` (stderr in the CLI).
pub struct TerminalProgress<W> {
    out: Mutex<W>,
    look: Look,
    polls: PollLines,
}

impl TerminalProgress<std::io::Stderr> {
    pub fn stderr() -> Self {
        TerminalProgress::new(std::io::stderr(), Look::of_stderr())
    }
}

impl<W: Write + Send> TerminalProgress<W> {
    pub fn new(out: W, look: Look) -> Self {
        TerminalProgress {
            out: Mutex::new(out),
            look,
            polls: PollLines::default(),
        }
    }

    fn line(&self, line: String) {
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        // Progress is a courtesy: a closed stderr must not fail the apply.
        let _ = writeln!(out, "{line}");
    }
}

impl<W: Write + Send> ApplyProgress for TerminalProgress<W> {
    fn write_done(&self, write: &WriteEvent<'_>) {
        self.line(write_line(write, self.look, SystemTime::now()));
    }

    fn wait_polled(&self, poll: &WaitPoll<'_>) {
        if self.polls.show(poll) {
            self.line(poll_line(poll, self.look, SystemTime::now()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};
    use switchyard_core::kafka_sync::apply::progress::{ConnectorStanding, Standing};
    use switchyard_core::kafka_sync::apply::ObjectKind;
    use switchyard_core::kafka_sync::RunState;

    const TERMINAL: Look = Look {
        terminal: true,
        colour: true,
    };
    /// A terminal with `NO_COLOR` set.
    const NO_COLOUR: Look = Look {
        terminal: true,
        colour: false,
    };
    const PLAIN: Look = Look {
        terminal: false,
        colour: false,
    };

    fn at() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_796_083_200) // 2026-12-01T00:00:00Z
    }

    fn event<'a>(outcome: &'a WriteOutcome) -> WriteEvent<'a> {
        WriteEvent {
            kind: ObjectKind::Connector,
            name: "sy-orders",
            operation: "create",
            outcome,
        }
    }

    fn poll(elapsed: u64, standing: Standing) -> WaitPoll<'static> {
        WaitPoll {
            elapsed: Duration::from_secs(elapsed),
            connectors: vec![
                ConnectorStanding {
                    name: "sy-a",
                    wanted: RunState::Running,
                    standing: Standing::Reached,
                },
                ConnectorStanding {
                    name: "sy-b",
                    wanted: RunState::Running,
                    standing,
                },
            ],
        }
    }

    #[test]
    fn without_a_terminal_lines_are_plain_and_timestamped() {
        let ok = WriteOutcome::Applied;
        assert_eq!(
            write_line(&event(&ok), PLAIN, at()),
            "2026-12-01T00:00:00Z connector sy-orders: create ok"
        );
        let waiting = Standing::Waiting {
            last: Some(RunState::Unassigned),
        };
        assert_eq!(
            poll_line(&poll(42, waiting), PLAIN, at()),
            "2026-12-01T00:00:00Z waiting: 1/2 RUNNING, 42 s; pending: sy-b (UNASSIGNED)"
        );
    }

    #[test]
    fn on_a_terminal_lines_are_coloured_and_not_timestamped() {
        let failed = WriteOutcome::Failed {
            error: "PUT /connectors/sy-orders/config: 400 bad".into(),
        };
        let line = write_line(&event(&failed), TERMINAL, at());
        assert_eq!(
            line,
            "\u{1b}[1mconnector sy-orders\u{1b}[0m: create \u{1b}[1m\u{1b}[31mfailed\u{1b}[0m: PUT /connectors/sy-orders/config: 400 bad"
        );
        let line = poll_line(&poll(3, Standing::Failed), TERMINAL, at());
        assert_eq!(
            line,
            "\u{1b}[36mwaiting:\u{1b}[0m 1/2 RUNNING, 1 FAILED, 3 s"
        );
    }

    #[test]
    fn no_color_on_a_terminal_means_no_escape_codes_and_still_no_timestamps() {
        let cancelled = WriteOutcome::Cancelled {
            reason: "1 create/update failed; deletions are cancelled".into(),
        };
        assert_eq!(
            write_line(&event(&cancelled), NO_COLOUR, at()),
            "connector sy-orders: create cancelled: 1 create/update failed; deletions are cancelled"
        );
        let line = poll_line(&poll(3, Standing::Reached), NO_COLOUR, at());
        assert_eq!(line, "waiting: 2/2 RUNNING, 3 s");
    }

    #[test]
    fn at_most_one_line_per_poll_and_none_while_nothing_changes() {
        let mut out = Vec::new();
        {
            let progress = TerminalProgress::new(&mut out, PLAIN);
            let waiting = Standing::Waiting { last: None };
            for elapsed in [0, 2, 4, 6, 8, 10] {
                progress.wait_polled(&poll(elapsed, waiting));
            }
            progress.wait_polled(&poll(12, Standing::Reached));
        }
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().map(|l| l.split_once(' ').unwrap().1).collect();
        assert_eq!(
            lines,
            [
                "waiting: 1/2 RUNNING, 0 s; pending: sy-b (not reported yet)",
                "waiting: 1/2 RUNNING, 10 s; pending: sy-b (not reported yet)",
                "waiting: 2/2 RUNNING, 12 s",
            ]
        );
    }

    #[test]
    fn a_secret_in_an_error_never_reaches_the_line() {
        let failed = WriteOutcome::Failed {
            error: "POST /connectors: Authorization: Bearer abc.def-123\nconnection.url=jdbc:mysql://u:Pa55word@db/x".into(),
        };
        for look in [TERMINAL, NO_COLOUR, PLAIN] {
            let line = write_line(&event(&failed), look, at());
            assert!(
                !line.contains("abc.def-123") && !line.contains("Pa55word") && !line.contains('\n'),
                "{line}"
            );
        }
    }
}
