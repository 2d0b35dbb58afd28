//! Cold-start benchmark: starts each function's release binary the way Lambda does — against an
//! implementation of the Lambda Runtime API on loopback — and measures, over repeated cold starts:
//!
//! - **init**: from just before `exec` to the first `GET /2018-06-01/runtime/invocation/next`
//!   (configuration parsed, SDK configured, secrets read);
//! - **first invocation**: from the moment the sample event is handed over to the moment its
//!   `POST …/response` (or `…/error`) arrives, AWS calls included (they go to the local moto
//!   server or to the loopback AWS stub below, and Kafka Connect calls to a local worker, so no TLS
//!   or WAN time is counted);
//! - **peak RSS**: `VmHWM` from `/proc/<pid>/status`, read when the function asks for its second
//!   event (so after the whole first invocation), just before it is killed;
//! - **CPU**: the CPU time all the process's threads used until then (`/proc/<pid>/task/*/schedstat`),
//!   which, unlike the wall times above, does not grow when other work shares the machine.
//!
//! Usage (see benches/cold-start.sh, which builds, starts moto and Kafka Connect and creates the
//! fixtures):
//!   cold-start --bin-dir target/release --aws-endpoint http://127.0.0.1:PORT [--runs 20]
//!              [--env-file events/switchyard.env] [--only branch-pipelines,...] [--secret-id ID]
//!              [--event FUNCTION=SAMPLE.json]... [--set VAR=VALUE]... [--moto-recording FILE]
//!              [--log-dir DIR]
//!
//! `--event` replaces a function's sample (kafka-sync: the upload event carrying the version id
//! moto returned), `--set` overrides a configuration variable (kafka-sync: `KAFKA_CLUSTERS`
//! pointing at the test worker), `--moto-recording` is the moto server's request recording, read
//! to show which moto calls each function made.
//!
//! Each function gets one unmeasured warm-up start first (the binary into the page cache, as on a
//! Lambda host that has fetched it), then `--runs` measured ones. Function output (stdout and
//! stderr) goes to `--log-dir`/FUNCTION.log, one file rewritten per run; a failing run's error
//! shows its last lines. Request arrival is detected by polling every 20 µs, which bounds the
//! error of each timestamp.
//!
//! **The AWS stub.** moto (5.2.5) implements neither AWS Health nor the CodePipeline operations
//! that health-gate and stage-retry call (`GetPipelineState`, `ListActionExecutions`,
//! `RetryStageExecution`, `PutJobSuccessResult`, `PutJobFailureResult`). For those two functions
//! only, the SDK's service-specific endpoint variables (`AWS_ENDPOINT_URL_HEALTH`,
//! `AWS_ENDPOINT_URL_CODEPIPELINE`) point Health and CodePipeline at [`AwsStub`], a loopback
//! server in this process speaking both protocols involved (CodePipeline's awsJson1_1, and the
//! Smithy RPC v2 CBOR that aws-sdk-health uses), while `AWS_ENDPOINT_URL` stays moto. Its
//! answers are canned (the real APIs' shapes, no work behind them), so their latency is loopback
//! only. Every call is counted per target, each run must make exactly the calls its function's
//! table entry lists, and the counts are printed after the table.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use switchyard_core::timestamps;

#[path = "cold_start/aws_stub.rs"]
mod aws_stub;
#[path = "cold_start/runtime_api.rs"]
mod runtime_api;

use aws_stub::{
    AwsStub, GET_PIPELINE_STATE, HEALTH_DESCRIBE_EVENTS, LIST_ACTION_EXECUTIONS,
    PUT_JOB_SUCCESS_RESULT, RETRY_STAGE_EXECUTION,
};
use runtime_api::{KillOnDrop, Request, RuntimeApi};

/// One benchmarked function.
struct Function {
    name: &'static str,
    /// The sample it is invoked with (a valid event it acts on), under the events folder.
    sample: &'static str,
    /// What every response must contain for the run to count (so an error path is never
    /// measured by accident).
    expect: &'static str,
    /// What a measured run's response must also contain (after the warm-up).
    expect_measured: Option<&'static str>,
    /// Services sent to the AWS stub (`AWS_ENDPOINT_URL_<SERVICE>`), because moto lacks them.
    stubbed: &'static [&'static str],
    /// The stub calls every run must make, in order.
    stub_calls: &'static [&'static str],
    /// Rewrites the sample's time fields relative to now (seconds since the epoch) before each
    /// run, where the decision compares them with the clock.
    fresh_times: Option<fn(&mut Value, i64)>,
}

const FUNCTIONS: &[Function] = &[
    Function {
        name: "branch-pipelines",
        sample: "branch-pipelines/codecommit-branch-created.json",
        expect: "\"outcome\":\"acted\"",
        expect_measured: None,
        stubbed: &[],
        stub_calls: &[],
        fresh_times: None,
    },
    Function {
        name: "artifact-release",
        sample: "artifact-release/s3-put-key-with-plus.json",
        expect: "\"outcome\":\"acted\"",
        expect_measured: None,
        stubbed: &[],
        stub_calls: &[],
        fresh_times: None,
    },
    // qa releases through CodeBuild (TAG_TARGET_QA): project release-qa, created by the fixtures.
    Function {
        name: "tag-release",
        sample: "tag-release/codecommit-valid-global.json",
        expect: "\"outcome\":\"acted\"",
        expect_measured: None,
        stubbed: &[],
        stub_calls: &[],
        fresh_times: None,
    },
    // wait_minutes 0 and no continuation token: no time in the decision. Health clear → success.
    Function {
        name: "health-gate",
        sample: "health-gate/job-valid-parameters.json",
        expect: "\"operation\":\"PutJobSuccessResult\"",
        expect_measured: None,
        stubbed: &["HEALTH", "CODEPIPELINE"],
        stub_calls: &[HEALTH_DESCRIBE_EVENTS, PUT_JOB_SUCCESS_RESULT],
        fresh_times: None,
    },
    // payments-release:Deploy is watched (STAGE_RETRY_PIPELINES); the stub shows it failed just
    // now, first attempt, Health clear → RetryStageExecution.
    Function {
        name: "stage-retry",
        sample: "stage-retry/stage-failed.json",
        expect: "\"retried\":true",
        expect_measured: None,
        stubbed: &["HEALTH", "CODEPIPELINE"],
        stub_calls: &[
            GET_PIPELINE_STATE,
            LIST_ACTION_EXECUTIONS,
            HEALTH_DESCRIBE_EVENTS,
            RETRY_STAGE_EXECUTION,
        ],
        fresh_times: Some(fresh_stage_event),
    },
    // The S3 bundle upload (cold-start.sh passes the event with the version id moto returned, and
    // KAFKA_CLUSTERS pointing at a real worker). The warm-up creates the connector and waits
    // until it runs; the measured runs are the no-op path: S3 GetObject of that version, then
    // `GET /` and `GET /connectors?expand=info&expand=status` on the worker, nothing written
    // (no validation, no wait: nothing changed).
    Function {
        name: "kafka-sync",
        sample: "kafka-sync/s3-bundle-upload.json",
        expect: "\"outcome\":\"acted\"",
        expect_measured: Some(
            "\"counts\":{\"Created\":\"0\",\"Deleted\":\"0\",\"Unchanged\":\"1\",\"Updated\":\"0\"}",
        ),
        stubbed: &[],
        stub_calls: &[],
        fresh_times: None,
    },
];

/// stage-retry compares times with its clock: a failure older than STAGE_RETRY_MAX_AGE_MINUTES
/// (a day) is left alone, and one with an action started after the event's time counts as
/// already retried. The sample's fixed 2026-11-20 times would make the outcome depend on the
/// date, so the event says the stage failed 20 s ago (and the stub's pipeline agrees: the failed
/// action started 5 min ago and failed 25 s ago).
fn fresh_stage_event(event: &mut Value, now: i64) {
    let at = |seconds_ago: i64| json!(timestamps::format(timestamps::from_unix(now - seconds_ago)));
    event["time"] = at(20);
    event["detail"]["start-time"] = at(13 * 60);
}

/// Lines of a failing run's output shown in the error.
const LOG_TAIL: usize = 40;

struct Args {
    bin_dir: PathBuf,
    aws_endpoint: String,
    runs: usize,
    env_file: PathBuf,
    only: Option<Vec<String>>,
    secret_id: Option<String>,
    events: HashMap<String, PathBuf>,
    set: Vec<(String, String)>,
    moto_recording: Option<PathBuf>,
    log_dir: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut bin_dir = None;
    let mut aws_endpoint = None;
    let mut runs = 20;
    let mut env_file = PathBuf::from("events/switchyard.env");
    let mut only = None;
    let mut secret_id = None;
    let mut events = HashMap::new();
    let mut set = Vec::new();
    let mut moto_recording = None;
    let mut log_dir = std::env::temp_dir().join(format!("cold-start-logs.{}", std::process::id()));
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        let mut pair = || {
            let v = value()?;
            v.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .ok_or(format!("{flag} expects NAME=VALUE, got {v:?}"))
        };
        match flag.as_str() {
            "--bin-dir" => bin_dir = Some(PathBuf::from(value()?)),
            "--aws-endpoint" => aws_endpoint = Some(value()?),
            "--runs" => runs = value()?.parse().map_err(|e| format!("--runs: {e}"))?,
            "--env-file" => env_file = PathBuf::from(value()?),
            "--only" => only = Some(value()?.split(',').map(str::to_owned).collect()),
            "--secret-id" => secret_id = Some(value()?),
            "--event" => {
                let (name, path) = pair()?;
                events.insert(name, PathBuf::from(path));
            }
            "--set" => set.push(pair()?),
            "--moto-recording" => moto_recording = Some(PathBuf::from(value()?)),
            "--log-dir" => log_dir = PathBuf::from(value()?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        bin_dir: bin_dir.ok_or("--bin-dir is required")?,
        aws_endpoint: aws_endpoint.ok_or("--aws-endpoint is required")?,
        runs,
        env_file,
        only,
        secret_id,
        events,
        set,
        moto_recording,
        log_dir,
    })
}

/// One measured cold start.
struct Run {
    init: Duration,
    invoke: Duration,
    peak_rss_kb: u64,
    cpu: Duration,
}

/// What a function is started with, the same for every run.
struct Setup<'a> {
    binary: PathBuf,
    config: &'a HashMap<String, String>,
    aws_endpoint: &'a str,
    /// `AWS_ENDPOINT_URL_<SERVICE>` variables for the stubbed services.
    stub_endpoints: Vec<(String, String)>,
    log: PathBuf,
}

fn main() {
    let args = parse_args().unwrap_or_else(|e| {
        eprintln!("cold-start: {e}");
        std::process::exit(2)
    });
    let env_text = std::fs::read_to_string(&args.env_file)
        .unwrap_or_else(|e| panic!("{}: {e}", args.env_file.display()));
    let mut config = switchyard_core::config::parse_env_file(&env_text).unwrap();
    if let Some(id) = &args.secret_id {
        // As deployed: the webhook secret is read from Secrets Manager at cold start.
        config.remove("GITHUB_WEBHOOK_SECRET");
        config.insert("GITHUB_WEBHOOK_SECRET_ID".into(), id.clone());
    }
    for (k, v) in &args.set {
        config.insert(k.clone(), v.clone());
    }
    let events_dir = args.env_file.parent().unwrap().to_path_buf();
    std::fs::create_dir_all(&args.log_dir)
        .unwrap_or_else(|e| panic!("{}: {e}", args.log_dir.display()));
    let stub = AwsStub::start().unwrap_or_else(|e| panic!("AWS stub: {e}"));
    let mut moto = args.moto_recording.as_deref().map(MotoRecording::open);

    println!("machine: {}", machine());
    println!(
        "runs per function: {} (after 1 warm-up); AWS endpoint {} (moto), AWS stub {}",
        args.runs, args.aws_endpoint, stub.url
    );
    for name in args.only.iter().flatten() {
        if !FUNCTIONS.iter().any(|f| f.name == name) {
            println!(
                "{name}: not in the benchmark's table (FUNCTIONS in benches/cold_start.rs) — \
                 not measured"
            );
        }
    }
    let mut rows = Vec::new();
    let mut calls = Vec::new();
    for function in FUNCTIONS {
        let name = function.name;
        if args
            .only
            .as_ref()
            .is_some_and(|o| !o.iter().any(|n| n == name))
        {
            continue;
        }
        let binary = args.bin_dir.join(name);
        if !binary.exists() {
            println!("{name}: no binary at {} — skipped", binary.display());
            continue;
        }
        let sample = args
            .events
            .get(name)
            .cloned()
            .unwrap_or_else(|| events_dir.join(function.sample));
        let sample_text =
            std::fs::read(&sample).unwrap_or_else(|e| panic!("{name}: {}: {e}", sample.display()));
        let setup = Setup {
            binary,
            config: &config,
            aws_endpoint: &args.aws_endpoint,
            stub_endpoints: function
                .stubbed
                .iter()
                .map(|s| (format!("AWS_ENDPOINT_URL_{s}"), stub.url.clone()))
                .collect(),
            log: args.log_dir.join(format!("{name}.log")),
        };
        if let Some(m) = moto.as_mut() {
            m.take_new();
        }
        let mut stub_counts: BTreeMap<String, usize> = BTreeMap::new();
        let mut runs = Vec::new();
        for i in 0..=args.runs {
            let event = match function.fresh_times {
                Some(fresh) => {
                    let mut event: Value = serde_json::from_slice(&sample_text)
                        .unwrap_or_else(|e| panic!("{name}: {}: {e}", sample.display()));
                    fresh(&mut event, unix_now());
                    serde_json::to_vec(&event).unwrap()
                }
                None => sample_text.clone(),
            };
            let expect_measured = function.expect_measured.filter(|_| i > 0);
            stub.take_calls();
            let result = cold_start(name, &setup, &event, function.expect, expect_measured);
            // The function is gone: every call it made has been answered.
            let made = stub.take_calls();
            let result = result.and_then(|run| {
                if made == function.stub_calls {
                    Ok(run)
                } else {
                    Err(format!(
                        "expected the AWS stub calls {:?}, got {made:?}",
                        function.stub_calls
                    ))
                }
            });
            match result {
                Ok(run) if i > 0 => runs.push(run),
                Ok(_) => {}
                Err(e) => {
                    let warm_up = if i == 0 { " (the warm-up)" } else { "" };
                    eprintln!(
                        "cold-start: {name}: run {i}{warm_up} failed: {e}\n\
                         --- last lines of its output ({}) ---\n{}",
                        setup.log.display(),
                        tail(&setup.log, LOG_TAIL)
                    );
                    std::process::exit(1);
                }
            }
            for target in made {
                *stub_counts.entry(target).or_default() += 1;
            }
        }
        let moto_counts = moto.as_mut().map(MotoRecording::take_new);
        calls.push((name, stub_counts, moto_counts));
        rows.push((name, runs));
    }
    println!();
    println!("| function | init (ms) median [min–max] | first invocation (ms) median [min–max] | peak RSS (MB) median [min–max] | CPU until then (ms) median [min–max] | runs |");
    println!("|---|---|---|---|---|---|");
    for (name, runs) in &rows {
        let ms = |f: fn(&Run) -> Duration| {
            summary(runs.iter().map(|r| f(r).as_secs_f64() * 1000.0).collect())
        };
        let rss = summary(runs.iter().map(|r| r.peak_rss_kb as f64 / 1024.0).collect());
        println!(
            "| {name} | {} | {} | {} | {} | {} |",
            ms(|r| r.init),
            ms(|r| r.invoke),
            rss,
            ms(|r| r.cpu),
            runs.len()
        );
    }
    println!();
    println!(
        "AWS calls per function over its {} starts (warm-up included): the AWS stub's, then \
         moto's (from its recording)",
        args.runs + 1
    );
    for (name, stub_counts, moto_counts) in &calls {
        let list = |counts: &BTreeMap<String, usize>| {
            if counts.is_empty() {
                "none".to_owned()
            } else {
                counts
                    .iter()
                    .map(|(k, n)| format!("{k} ×{n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let moto_list = moto_counts
            .as_ref()
            .map_or_else(|| "not recorded".to_owned(), list);
        println!("- {name}: stub: {}; moto: {moto_list}", list(stub_counts));
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn summary(mut v: Vec<f64>) -> String {
    v.sort_by(f64::total_cmp);
    let median = if v.len() % 2 == 1 {
        v[v.len() / 2]
    } else {
        (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
    };
    format!("{median:.1} [{:.1}–{:.1}]", v[0], v[v.len() - 1])
}

/// The last `n` lines of a file, for an error message.
fn tail(path: &Path, n: usize) -> String {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(n)..].join("\n")
        }
        Err(e) => format!("(cannot read it: {e})"),
    }
}

/// Starts the binary once, hands it `event`, and measures.
fn cold_start(
    name: &str,
    setup: &Setup,
    event: &[u8],
    expect: &str,
    expect_measured: Option<&str>,
) -> Result<Run, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener.set_nonblocking(true).unwrap();
    let api = listener.local_addr().unwrap().to_string();
    // Output to a file, not a pipe: writing never blocks the function, and nothing else has to
    // run to drain it. One file per function, rewritten each run.
    let log = File::create(&setup.log).map_err(|e| format!("{}: {e}", setup.log.display()))?;
    let log_err = log.try_clone().map_err(|e| e.to_string())?;
    let mut command = Command::new(&setup.binary);
    command
        .env_clear()
        .envs(lambda_environment(name, &api, setup.aws_endpoint))
        .envs(setup.stub_endpoints.iter().cloned())
        .envs(setup.config)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log_err));

    let started = Instant::now();
    let child = command.spawn().map_err(|e| format!("spawn: {e}"))?;
    let mut runtime = RuntimeApi {
        listener,
        streams: Vec::new(),
        answering: None,
        child: KillOnDrop(child),
    };

    let (next, at) = runtime.next_request()?;
    let init = at - started;
    expect_next(&next)?;

    let request_id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";
    let deadline_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 900_000;
    let handed = Instant::now();
    runtime.respond(
        200,
        &[
            ("Lambda-Runtime-Aws-Request-Id", request_id.to_owned()),
            ("Lambda-Runtime-Deadline-Ms", deadline_ms.to_string()),
            (
                "Lambda-Runtime-Invoked-Function-Arn",
                format!("arn:aws:lambda:us-east-1:123456789012:function:{name}"),
            ),
            (
                "Lambda-Runtime-Trace-Id",
                "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"
                    .to_owned(),
            ),
            ("Content-Type", "application/json".to_owned()),
        ],
        event,
    )?;

    let (answer, at) = runtime.next_request()?;
    let invoke = at - handed;
    let body = String::from_utf8_lossy(&answer.body).into_owned();
    if answer.path != format!("/2018-06-01/runtime/invocation/{request_id}/response") {
        return Err(format!("{} {}: {body}", answer.method, answer.path));
    }
    for marker in std::iter::once(expect).chain(expect_measured) {
        if !body.contains(marker) {
            return Err(format!("response does not contain {marker}: {body}"));
        }
    }
    runtime.respond(202, &[], b"{\"status\":\"OK\"}")?;

    // The function asks for its next event once the first is fully done: its peak memory now
    // covers init and one whole invocation.
    let (next, _) = runtime.next_request()?;
    expect_next(&next)?;
    let pid = runtime.child.0.id();
    Ok(Run {
        init,
        invoke,
        peak_rss_kb: peak_rss_kb(pid)?,
        cpu: cpu_time(pid)?,
    })
}

/// The environment Lambda gives a `provided.al2023` function, pointed at loopback.
fn lambda_environment(name: &str, api: &str, aws_endpoint: &str) -> Vec<(String, String)> {
    [
        ("AWS_LAMBDA_RUNTIME_API", api),
        ("AWS_LAMBDA_FUNCTION_NAME", name),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"), // template.yaml
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", &format!("/aws/lambda/{name}")),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/11/23/[$LATEST]0123456789abcdef",
        ),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand"),
        ("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLEEXAMPLE00"),
        (
            "AWS_SECRET_ACCESS_KEY",
            "bench/secret/key/EXAMPLEKEYEXAMPLEKEY00",
        ),
        ("AWS_SESSION_TOKEN", "bench-session-token"),
        ("AWS_ENDPOINT_URL", aws_endpoint),
        ("LAMBDA_TASK_ROOT", "/var/task"),
        ("LAMBDA_RUNTIME_DIR", "/var/runtime"),
        ("_HANDLER", "bootstrap"),
        ("LANG", "en_US.UTF-8"),
        ("TZ", ":UTC"),
        ("PATH", "/usr/local/bin:/usr/bin:/bin"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn expect_next(r: &Request) -> Result<(), String> {
    if r.method == "GET" && r.path == "/2018-06-01/runtime/invocation/next" {
        Ok(())
    } else {
        Err(format!(
            "expected GET next, got {} {}: {}",
            r.method,
            r.path,
            String::from_utf8_lossy(&r.body)
        ))
    }
}

fn peak_rss_kb(pid: u32) -> Result<u64, String> {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "no VmHWM in /proc status".into())
}

/// CPU time used by every thread of `pid` (first field of each task's schedstat, in ns).
fn cpu_time(pid: u32) -> Result<Duration, String> {
    let mut total = 0u64;
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).map_err(|e| e.to_string())?;
    for task in tasks {
        let path = task.map_err(|e| e.to_string())?.path().join("schedstat");
        let stat = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        total += stat
            .split_whitespace()
            .next()
            .and_then(|ns| ns.parse::<u64>().ok())
            .ok_or("bad schedstat")?;
    }
    Ok(Duration::from_nanos(total))
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".into());
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    format!(
        "{model}, {cpus} CPUs, {} Linux {}, load average {}",
        std::env::consts::ARCH,
        kernel.trim(),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    )
}

// ---------------------------------------------------------------------------------------------
// The moto server's request recording (tests/support/moto_server.py turns it on): one JSON
// object per request, appended as moto serves it.

struct MotoRecording {
    file: File,
}

impl MotoRecording {
    /// Opens the recording; requests made so far (the fixtures) are skipped.
    fn open(path: &Path) -> Self {
        let mut file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        file.seek(SeekFrom::End(0)).unwrap();
        MotoRecording { file }
    }

    /// The requests recorded since the last call, counted by operation.
    fn take_new(&mut self) -> BTreeMap<String, usize> {
        let mut text = String::new();
        self.file.read_to_string(&mut text).unwrap();
        let mut counts = BTreeMap::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let label = serde_json::from_str::<Value>(line)
                .map(|entry| moto_operation(&entry))
                .unwrap_or_else(|_| "(unreadable recording line)".to_owned());
            *counts.entry(label).or_default() += 1;
        }
        counts
    }
}

/// `X-Amz-Target` for the JSON protocols; otherwise the signing service, method and path, with
/// the query's parameter names only (`s3 GET /bucket/key?versionId`).
fn moto_operation(entry: &Value) -> String {
    let header = |name: &str| {
        entry["headers"].as_object().and_then(|h| {
            h.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.as_str())
        })
    };
    if let Some(target) = header("X-Amz-Target") {
        return target.to_owned();
    }
    let service = header("Authorization")
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').nth(3))
        .unwrap_or("?");
    let url = entry["url"].as_str().unwrap_or_default();
    let path = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest.find('/').map_or("/", |i| &rest[i..]));
    let path = match path.split_once('?') {
        Some((p, query)) => {
            let keys: Vec<&str> = query
                .split('&')
                .map(|kv| kv.split('=').next().unwrap_or_default())
                .collect();
            format!("{p}?{}", keys.join("&"))
        }
        None => path.to_owned(),
    };
    let method = entry["method"].as_str().unwrap_or("?");
    format!("{service} {method} {path}")
}
