//! Load replay: a generated stream of mixed events (every sample in `events/`, for every function,
//! valid and invalid, with fresh identities, wrong types, hostile refs and corrupted bytes) through
//! parse → route → decide in one process, on one thread, with the sample configuration.
//!
//! Reports events per second per core — events divided by the CPU time the thread spent in parse
//! → decide (generating events is not counted; CPU time rather than wall time, so other load on
//! the machine does not distort it) — the outcome mix, and resident memory every 10 000 events:
//! flat RSS means nothing accumulates per event. Events are generated in batches of 1 000, so the
//! generator's own memory is constant too.
//!
//! Then the same batches again through decide → log, as the Lambda logs a decision (its own
//! subscriber and formatter, into a sink), twice, alternating which goes first: with the decision
//! line as it was before the decision metrics (tracing's JSON with the same fields) and as it is
//! now (the line with its embedded metric format members). The overhead of the metrics is the
//! difference, measured in the same run on the same events.
//!
//! Usage: load-replay [--events 100000] [--events-dir events]
//! (run from the repository root; build with `cargo build --release -p switchyard-bench`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use switchyard_core::entry::{self, DecisionLine};
use switchyard_core::plan::{FunctionName, Outcome};
use switchyard_core::{route, webhook};
use switchyard_integration_tests::{decide, secret, tally};

/// How a sample is varied for one event of the stream; cycles per pass over the samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Variant {
    /// The sample exactly: a redelivery.
    AsIs,
    /// A fresh event id / delivery id and a fresh branch name: new, valid work.
    Fresh,
    /// One field replaced by a value of the wrong type.
    WrongType,
    /// Ref-like fields replaced by hostile values (newline, 2 KB, `../`).
    HostileRef,
    /// One byte of the serialized event flipped: broken JSON or a forged webhook.
    CorruptBytes,
}

/// Events generated, then handled, at a time.
const BATCH: usize = 1_000;

const VARIANTS: [Variant; 5] = [
    Variant::AsIs,
    Variant::Fresh,
    Variant::WrongType,
    Variant::HostileRef,
    Variant::CorruptBytes,
];

/// Fields that name a ref or key, where hostile values go.
const REF_FIELDS: [&str; 5] = [
    "referenceName",
    "referenceFullName",
    "ref",
    "key",
    "base_ref",
];

fn main() {
    let mut events = 100_000usize;
    let mut events_dir = PathBuf::from("events");
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().expect("every flag takes a value");
        match flag.as_str() {
            "--events" => events = value.parse().expect("--events: a number"),
            "--events-dir" => events_dir = PathBuf::from(value),
            other => panic!("unknown argument {other}"),
        }
    }
    let mut samples = Vec::new();
    collect(&events_dir, &mut samples);
    let samples: Vec<Value> = samples
        .iter()
        .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
        .collect();
    assert!(
        !samples.is_empty(),
        "no samples under {}",
        events_dir.display()
    );

    println!(
        "{} samples from {}, {events} events",
        samples.len(),
        events_dir.display()
    );
    let mut cpu = Duration::ZERO;
    let mut wall = Duration::ZERO;
    let mut outcomes: BTreeMap<(String, &'static str), usize> = BTreeMap::new();
    let mut variants: BTreeMap<Variant, usize> = BTreeMap::new();
    let mut rss = Vec::new();
    let mut batch = Vec::with_capacity(BATCH);
    let mut done = 0;
    let mut logged = [Duration::ZERO; 2];
    let subscriber = switchyard_adapters::telemetry::lambda_subscriber(
        tracing_subscriber::EnvFilter::new("info"),
        std::io::sink,
    );
    let dispatch = tracing::Dispatch::new(subscriber);
    while done < events {
        batch.clear();
        for i in done..(done + BATCH).min(events) {
            let sample = &samples[i % samples.len()];
            let variant = VARIANTS[(i / samples.len()) % VARIANTS.len()];
            batch.push(generate(sample, variant, i));
            *variants.entry(variant).or_default() += 1;
        }

        let (cpu_start, wall_start) = (thread_cpu_time(), Instant::now());
        let keys: Vec<_> = batch.iter().map(|bytes| handle(bytes)).collect();
        cpu += thread_cpu_time() - cpu_start;
        wall += wall_start.elapsed();

        for key in keys.into_iter().flatten() {
            *outcomes.entry(key).or_default() += 1;
        }
        tracing::dispatcher::with_default(&dispatch, || {
            let order = if (done / BATCH).is_multiple_of(2) {
                [Line::Before, Line::WithMetrics]
            } else {
                [Line::WithMetrics, Line::Before]
            };
            for line in order {
                let start = thread_cpu_time();
                batch.iter().for_each(|bytes| decide_and_log(bytes, line));
                logged[line as usize] += thread_cpu_time() - start;
            }
        });
        done += batch.len();
        if done % 10_000 == 0 || done == events {
            rss.push((done, memory_kb("VmRSS"), memory_kb("VmHWM")));
        }
    }

    println!(
        "parse → decide on one thread: {events} events in {:.3} s of CPU = {:.0} events/s per core ({:.2} µs of CPU per event); wall time {:.3} s",
        cpu.as_secs_f64(),
        events as f64 / cpu.as_secs_f64(),
        cpu.as_secs_f64() * 1e6 / events as f64,
        wall.as_secs_f64(),
    );
    let [before, after] = logged.map(|d| d.as_secs_f64());
    println!(
        "decide → log on one thread: {:.2} µs of CPU per event with the line as before, {:.2} µs with its metrics: {:+.1} %",
        before * 1e6 / events as f64,
        after * 1e6 / events as f64,
        (after / before - 1.0) * 100.0,
    );
    println!("variants: {variants:?}");
    println!("| function | outcome | decisions (one per record) |");
    println!("|---|---|---|");
    for ((function, outcome), n) in &outcomes {
        println!("| {function} | {outcome} | {n} |");
    }
    println!("| after N events | RSS (MB) | peak RSS (MB) |");
    println!("|---|---|---|");
    for (n, now, peak) in &rss {
        println!(
            "| {n} | {:.1} | {:.1} |",
            *now as f64 / 1024.0,
            *peak as f64 / 1024.0
        );
    }
}

/// What one Lambda does with the bytes it is invoked with: the runtime parses the JSON (a
/// failure ends the invocation there), the function parses and decides.
/// Returns (function, outcome) per decision: one per record.
fn handle(bytes: &[u8]) -> Vec<(String, &'static str)> {
    let Ok(raw) = serde_json::from_slice::<Value>(bytes) else {
        return vec![("(runtime)".into(), "not JSON")];
    };
    let Some(function) = route::function_for(&raw) else {
        return vec![("(none)".into(), "unsupported")];
    };
    let decisions = decide(function, &raw);
    std::hint::black_box(&decisions);
    decisions
        .iter()
        .map(|d| {
            let outcome = match d.outcome {
                Outcome::Acted => "acted",
                Outcome::Skipped => "skipped",
                Outcome::Rejected(_) => "rejected",
            };
            (function.to_string(), outcome)
        })
        .collect()
}

/// Which decision line decide → log writes.
#[derive(Clone, Copy)]
enum Line {
    /// The line before the decision metrics: the same fields, as `tracing`'s JSON.
    Before = 0,
    /// The decision line with its embedded metric format members.
    WithMetrics = 1,
}

/// What one Lambda does from the bytes to the decision's log line (acting aside: a dry run).
fn decide_and_log(bytes: &[u8], line: Line) {
    let Ok(raw) = serde_json::from_slice::<Value>(bytes) else {
        return;
    };
    let Some(function) = route::function_for(&raw) else {
        return;
    };
    let id = entry::event_id(&raw);
    for decision in decide(function, &raw) {
        match line {
            Line::Before => log_as_before(function, id.as_deref(), &decision),
            Line::WithMetrics => {
                let tally = tally(function, &decision);
                DecisionLine {
                    function,
                    event_id: id.as_deref(),
                    record: None,
                    reason: &decision.reason,
                    actions: &decision.actions,
                    reported: decision.outcome.into(),
                    latency: (!decision.actions.is_empty()).then_some(Duration::ZERO),
                    tally: &tally,
                }
                .log()
            }
        }
    }
}

/// The decision line as `entry::log_record_decision` wrote it before the metrics.
fn log_as_before(
    function: FunctionName,
    event_id: Option<&str>,
    decision: &switchyard_core::plan::Decision,
) {
    let actions = serde_json::to_string(&decision.actions).unwrap_or_default();
    tracing::info!(
        function = function.as_str(),
        event_id = event_id.unwrap_or(""),
        record = "",
        outcome = decision.outcome.as_str(),
        reason = decision.reason.as_str(),
        actions = actions.as_str(),
        "decision"
    );
}

// ---------------------------------------------------------------------------------------------
// Generation

fn generate(sample: &Value, variant: Variant, i: usize) -> Vec<u8> {
    let mut event = sample.clone();
    match variant {
        Variant::AsIs => {}
        Variant::Fresh => {
            set_identity(&mut event, i);
            edit_payload(&mut event, |payload| {
                for_each_ref_field(payload, &mut |key, value| {
                    if let Some(fresh) = fresh_ref(key, value, i) {
                        *value = json!(fresh);
                    }
                })
            });
        }
        Variant::WrongType => {
            let mut paths = Vec::new();
            leaves(&event, &mut Vec::new(), &mut paths);
            let path = &paths[i % paths.len()];
            let wrong = [json!(7), json!(true), json!([]), json!({}), Value::Null][i % 5].clone();
            set(&mut event, path, wrong);
        }
        Variant::HostileRef => {
            set_identity(&mut event, i);
            let hostile = [
                "feature/x\nrm -rf /".to_owned(),
                format!("feature/{}", "a".repeat(2048)),
                "feature/../../etc/passwd".to_owned(),
                "../../secrets.zip".to_owned(),
                "feature/$(id)".to_owned(),
            ][i % 5]
                .clone();
            edit_payload(&mut event, |payload| {
                for_each_ref_field(payload, &mut |_, value| *value = json!(hostile))
            });
        }
        Variant::CorruptBytes => {
            set_identity(&mut event, i);
            let mut bytes = serde_json::to_vec(&event).unwrap();
            let at = (i * 7919) % bytes.len();
            bytes[at] ^= 0x20;
            return bytes;
        }
    }
    serde_json::to_vec(&event).unwrap()
}

/// A new identity, wherever the event keeps one.
fn set_identity(event: &mut Value, i: usize) {
    let id = format!("load-{i:08}-0000-4000-8000-000000000000");
    if event.get("id").is_some_and(Value::is_string) {
        event["id"] = json!(id);
    }
    if let Some(h) = event.get_mut("headers").and_then(Value::as_object_mut) {
        if h.contains_key("x-github-delivery") {
            h.insert("x-github-delivery".into(), json!(id));
        }
    }
    if let Some(job) = event
        .get_mut("CodePipeline.job")
        .and_then(Value::as_object_mut)
    {
        job.insert("id".into(), json!(id));
    }
}

/// Edits the event itself, or, for a webhook, the body it carries, re-signed with the sample
/// secret so it still passes authentication.
fn edit_payload(event: &mut Value, edit: impl FnOnce(&mut Value)) {
    if !switchyard_core::sources::function_url::is_http_request(event) {
        edit(event);
        return;
    }
    let Ok(request) = switchyard_core::sources::function_url::parse_http_request(event) else {
        return;
    };
    let Ok(mut payload) = serde_json::from_slice::<Value>(&request.body) else {
        return;
    };
    edit(&mut payload);
    let body = payload.to_string();
    event["body"] = json!(body);
    event["isBase64Encoded"] = json!(false);
    event["headers"]["x-hub-signature-256"] = json!(webhook::sign(secret(), body.as_bytes()));
}

fn for_each_ref_field(v: &mut Value, f: &mut dyn FnMut(&str, &mut Value)) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                if REF_FIELDS.contains(&k.as_str()) && child.is_string() {
                    f(k, child);
                } else {
                    for_each_ref_field(child, f);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|c| for_each_ref_field(c, f)),
        _ => {}
    }
}

/// A new, valid name in the same place: `feature/x` → `feature/x-load-42`.
fn fresh_ref(key: &str, value: &Value, i: usize) -> Option<String> {
    let s = value.as_str()?;
    if key == "base_ref" || s.is_empty() {
        return None;
    }
    Some(format!("{s}-load-{i}"))
}

fn leaves(v: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, child) in m {
                path.push(k.clone());
                leaves(child, path, out);
                path.pop();
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for (i, child) in a.iter().enumerate() {
                path.push(i.to_string());
                leaves(child, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

fn set(v: &mut Value, path: &[String], new: Value) {
    let mut cur = v;
    for key in path {
        cur = match cur {
            Value::Array(a) => &mut a[key.parse::<usize>().unwrap()],
            other => &mut other[key.as_str()],
        };
    }
    *cur = new;
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Measurement

fn memory_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// CPU time this thread has used (user + system), to the nanosecond.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_THREAD_CPUTIME_ID exists on Linux.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}
