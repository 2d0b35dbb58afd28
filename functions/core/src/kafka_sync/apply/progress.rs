//! An apply's progress as it happens, for whoever watches it: each write as it completes and each
//! poll of the wait. The apply reports through [`ApplyProgress`]; the CLI renders it on a terminal
//! or as timestamped lines, the Lambda logs it ([`LogProgress`]), tests and benchmarks ignore it
//! ([`NoProgress`]).
//!
//! What is reported holds no secret: write errors are the apply's already scrubbed text (and go
//! through [`scrub_message`] once more here, which also keeps them on one line); a poll names
//! connectors and states, never a config or a trace.

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use crate::kafka_sync::apply::outcome::WriteOutcome;
use crate::kafka_sync::changes::redact::scrub_message;
use crate::kafka_sync::observed::RunState;

/// What a write is about: the event is the same for every kind of object the apply writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    Connector,
    Topic,
}

impl ObjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Connector => "connector",
            ObjectKind::Topic => "topic",
        }
    }
}

/// One write, as it completed (or was cancelled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteEvent<'a> {
    pub kind: ObjectKind,
    pub name: &'a str,
    /// `create`, `update`, `pause`, `resume`, `stop`, `delete`…
    pub operation: &'a str,
    pub outcome: &'a WriteOutcome,
}

impl WriteEvent<'_> {
    /// The write landed.
    pub fn succeeded(&self) -> bool {
        matches!(self.outcome, WriteOutcome::Applied | WriteOutcome::Deleted)
    }

    /// Why it failed or was cancelled, on one line, without credentials.
    pub fn detail(&self) -> Option<String> {
        match self.outcome {
            WriteOutcome::Failed { error } => Some(scrub_message(error)),
            WriteOutcome::Cancelled { reason } => Some(scrub_message(reason)),
            WriteOutcome::Applied | WriteOutcome::Deleted => None,
        }
    }
}

/// Where one waited-for connector stands at a poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Reached,
    Failed,
    /// Not there yet (`last`: the state last seen, none before the worker reports it).
    Waiting {
        last: Option<RunState>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectorStanding<'a> {
    pub name: &'a str,
    /// The state it should reach (`RUNNING`, `PAUSED`, `STOPPED`).
    pub wanted: RunState,
    pub standing: Standing,
}

/// One poll of the wait: every connector waited for, and how long the wait has taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitPoll<'a> {
    pub elapsed: Duration,
    pub connectors: Vec<ConnectorStanding<'a>>,
}

/// How many waiting names a poll line lists before "and N more".
const NAMES_SHOWN: usize = 5;

impl WaitPoll<'_> {
    pub fn failed(&self) -> usize {
        self.count(|c| c.standing == Standing::Failed)
    }

    pub fn reached(&self) -> usize {
        self.count(|c| c.standing == Standing::Reached)
    }

    fn count(&self, which: impl Fn(&ConnectorStanding<'_>) -> bool) -> usize {
        self.connectors.iter().filter(|c| which(c)).count()
    }

    /// The connectors still waited for, with the state last seen.
    pub fn waiting(&self) -> impl Iterator<Item = (&str, Option<RunState>)> {
        self.connectors.iter().filter_map(|c| match c.standing {
            Standing::Waiting { last } => Some((c.name, last)),
            _ => None,
        })
    }

    /// `3/5 RUNNING, 1/1 PAUSED, 1 FAILED`: per wanted state, how many reached it.
    fn counts(&self) -> String {
        let mut parts = Vec::new();
        for wanted in [RunState::Running, RunState::Paused, RunState::Stopped] {
            let of: Vec<_> = self
                .connectors
                .iter()
                .filter(|c| c.wanted == wanted)
                .collect();
            if !of.is_empty() {
                let reached = of.iter().filter(|c| c.standing == Standing::Reached);
                parts.push(format!(
                    "{}/{} {}",
                    reached.count(),
                    of.len(),
                    wanted.as_str()
                ));
            }
        }
        if self.failed() > 0 {
            parts.push(format!("{} FAILED", self.failed()));
        }
        parts.join(", ")
    }

    /// `; pending: sy-a (UNASSIGNED), sy-b (not reported yet) and 3 more`, or nothing.
    fn pending_names(&self) -> String {
        let waiting: Vec<_> = self.waiting().collect();
        if waiting.is_empty() {
            return String::new();
        }
        let names: Vec<String> = waiting
            .iter()
            .take(NAMES_SHOWN)
            .map(|(name, last)| {
                format!(
                    "{name} ({})",
                    last.map_or("not reported yet", RunState::as_str)
                )
            })
            .collect();
        let more = match waiting.len().checked_sub(NAMES_SHOWN) {
            Some(more) if more > 0 => format!(" and {more} more"),
            _ => String::new(),
        };
        format!("; pending: {}{more}", names.join(", "))
    }

    /// What the poll saw, without the time: two polls that saw the same bring no news.
    pub fn seen(&self) -> String {
        format!("{}{}", self.counts(), self.pending_names())
    }
}

/// `3/5 RUNNING, 1 FAILED, 42 s; pending: sy-a (UNASSIGNED)`.
impl fmt::Display for WaitPoll<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, {} s{}",
            self.counts(),
            self.elapsed.as_secs(),
            self.pending_names()
        )
    }
}

/// Told about an apply as it happens. Called from the apply's concurrent writes (hence `Sync`);
/// an implementation must not block for long: the apply waits for it.
pub trait ApplyProgress: Sync {
    /// A write completed, failed, or was cancelled.
    fn write_done(&self, write: &WriteEvent<'_>);
    /// The wait polled the cluster once.
    fn wait_polled(&self, poll: &WaitPoll<'_>);
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl ApplyProgress for NoProgress {
    fn write_done(&self, _: &WriteEvent<'_>) {}
    fn wait_polled(&self, _: &WaitPoll<'_>) {}
}

/// How often a wait that sees nothing new still says it is waiting (Terraform's "Still
/// creating… [10s elapsed]" rhythm).
pub const HEARTBEAT: Duration = Duration::from_secs(10);

/// Which polls are worth a line: one whose news differ from the last shown, or the first after
/// [`HEARTBEAT`] of silence. At most one line per poll, and few while nothing changes.
#[derive(Debug, Default)]
pub struct PollLines {
    last: Mutex<Option<(String, Duration)>>,
}

impl PollLines {
    pub fn show(&self, poll: &WaitPoll<'_>) -> bool {
        let seen = poll.seen();
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let show = match last.as_ref() {
            None => true,
            Some((shown, at)) => *shown != seen || poll.elapsed.saturating_sub(*at) >= HEARTBEAT,
        };
        if show {
            *last = Some((seen, poll.elapsed));
        }
        show
    }
}

/// The Lambda's progress: one structured `tracing` line per write and per poll worth showing
/// ([`PollLines`]), naming the cluster.
#[derive(Debug)]
pub struct LogProgress<'a> {
    cluster: &'a str,
    polls: PollLines,
}

impl<'a> LogProgress<'a> {
    pub fn new(cluster: &'a str) -> Self {
        LogProgress {
            cluster,
            polls: PollLines::default(),
        }
    }
}

impl ApplyProgress for LogProgress<'_> {
    fn write_done(&self, write: &WriteEvent<'_>) {
        tracing::info!(
            function = "kafka-sync",
            cluster = self.cluster,
            kind = write.kind.as_str(),
            name = write.name,
            operation = write.operation,
            outcome = write.outcome.label(),
            detail = write.detail(),
            "write"
        );
    }

    fn wait_polled(&self, poll: &WaitPoll<'_>) {
        if !self.polls.show(poll) {
            return;
        }
        tracing::info!(
            function = "kafka-sync",
            cluster = self.cluster,
            elapsed_seconds = poll.elapsed.as_secs(),
            reached = poll.reached(),
            failed = poll.failed(),
            total = poll.connectors.len(),
            progress = %poll,
            "waiting"
        );
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Every report as one line: `connector a create applied` (`: detail`), or a poll's text.
    #[derive(Debug, Default)]
    pub struct Recorder(Mutex<Vec<String>>);

    impl Recorder {
        pub fn lines(&self) -> Vec<String> {
            self.0.lock().unwrap().clone()
        }
    }

    impl ApplyProgress for Recorder {
        fn write_done(&self, w: &WriteEvent<'_>) {
            let detail = w.detail().map(|d| format!(": {d}")).unwrap_or_default();
            self.0.lock().unwrap().push(format!(
                "{} {} {} {}{detail}",
                w.kind.as_str(),
                w.name,
                w.operation,
                w.outcome.label()
            ));
        }
        fn wait_polled(&self, poll: &WaitPoll<'_>) {
            self.0.lock().unwrap().push(poll.to_string());
        }
    }

    pub fn poll(
        elapsed: u64,
        standings: &[(&'static str, RunState, Standing)],
    ) -> WaitPoll<'static> {
        WaitPoll {
            elapsed: Duration::from_secs(elapsed),
            connectors: standings
                .iter()
                .map(|&(name, wanted, standing)| ConnectorStanding {
                    name,
                    wanted,
                    standing,
                })
                .collect(),
        }
    }

    const RUNNING: RunState = RunState::Running;

    #[test]
    fn a_poll_reads_as_counts_time_and_the_names_still_waited_for() {
        let p = poll(
            42,
            &[
                ("a", RUNNING, Standing::Reached),
                ("b", RUNNING, Standing::Reached),
                ("c", RUNNING, Standing::Reached),
                ("d", RUNNING, Standing::Failed),
                (
                    "e",
                    RUNNING,
                    Standing::Waiting {
                        last: Some(RunState::Unassigned),
                    },
                ),
                ("f", RunState::Paused, Standing::Waiting { last: None }),
            ],
        );
        assert_eq!(
            p.to_string(),
            "3/5 RUNNING, 0/1 PAUSED, 1 FAILED, 42 s; pending: e (UNASSIGNED), f (not reported yet)"
        );
        let done = poll(7, &[("a", RUNNING, Standing::Reached)]);
        assert_eq!(done.to_string(), "1/1 RUNNING, 7 s");
    }

    #[test]
    fn a_long_waiting_list_is_cut() {
        let names = ["a", "b", "c", "d", "e", "f", "g"];
        let standings: Vec<_> = names
            .iter()
            .map(|&n| (n, RUNNING, Standing::Waiting { last: None }))
            .collect();
        let text = poll(1, &standings).to_string();
        assert!(text.ends_with("e (not reported yet) and 2 more"), "{text}");
        assert!(!text.contains("f (not"), "{text}");
    }

    #[test]
    fn polls_are_shown_when_news_change_or_after_the_heartbeat() {
        let lines = PollLines::default();
        let waiting = [("a", RUNNING, Standing::Waiting { last: None })];
        let shown: Vec<bool> = [0, 2, 4, 10, 12]
            .iter()
            .map(|&s| lines.show(&poll(s, &waiting)))
            .collect();
        assert_eq!(shown, [true, false, false, true, false]);
        let reached = [("a", RUNNING, Standing::Reached)];
        assert!(lines.show(&poll(14, &reached)), "news are shown at once");
        assert!(!lines.show(&poll(16, &reached)));
    }

    #[test]
    fn a_write_event_details_failures_on_one_line_without_credentials() {
        let failed = WriteOutcome::Failed {
            error:
                "PUT /connectors/a/config: 400\nconnection.url=jdbc:postgresql://app:hunter2@db/x"
                    .into(),
        };
        let event = WriteEvent {
            kind: ObjectKind::Topic,
            name: "orders",
            operation: "create",
            outcome: &failed,
        };
        let detail = event.detail().unwrap();
        assert!(
            !detail.contains("hunter2") && !detail.contains('\n'),
            "{detail}"
        );
        assert!(detail.contains("app:<redacted>@db"), "{detail}");
        assert!(!event.succeeded());
        let applied = WriteOutcome::Applied;
        let ok = WriteEvent {
            outcome: &applied,
            ..event
        };
        assert!(ok.succeeded() && ok.detail().is_none());
    }
}
