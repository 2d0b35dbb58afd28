//! Cold-start benchmark: starts each function's release binary the way Lambda does — against an
//! implementation of the Lambda Runtime API on loopback — and measures, over repeated cold starts:
//!
//! - **init**: from just before `exec` to the first `GET /2018-06-01/runtime/invocation/next`
//!   (configuration parsed, SDK configured, secrets read);
//! - **first invocation**: from the moment the sample event is handed over to the moment its
//!   `POST …/response` (or `…/error`) arrives, AWS calls included (they go to the local moto
//!   server, so no TLS or WAN time is counted);
//! - **peak RSS**: `VmHWM` from `/proc/<pid>/status`, read when the function asks for its second
//!   event (so after the whole first invocation), just before it is killed;
//! - **CPU**: the CPU time all the process's threads used until then (`/proc/<pid>/task/*/schedstat`),
//!   which, unlike the wall times above, does not grow when other work shares the machine.
//!
//! Usage (see benches/cold-start.sh, which builds, starts moto and creates the fixtures):
//!   cold-start --bin-dir target/release --aws-endpoint http://127.0.0.1:PORT [--runs 20]
//!              [--env-file events/switchyard.env] [--only branch-pipelines,...] [--secret-id ID]
//!
//! Each function gets one unmeasured warm-up start first (the binary into the page cache, as on a
//! Lambda host that has fetched it), then `--runs` measured ones. Function output goes to
//! /dev/null. Request arrival is detected by polling every 20 µs, which bounds the error of each
//! timestamp.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Each function, the sample it is invoked with (a valid event it acts on), and what its
/// response must contain for the run to count (so an error path is never measured by accident).
const FUNCTIONS: &[(&str, &str, &str)] = &[
    (
        "branch-pipelines",
        "branch-pipelines/codecommit-branch-created.json",
        "\"outcome\":\"acted\"",
    ),
    (
        "artifact-release",
        "artifact-release/s3-put-key-with-plus.json",
        "\"outcome\":\"acted\"",
    ),
    // qa releases through CodeBuild (TAG_TARGET_QA): project release-qa, created by the fixtures.
    (
        "tag-release",
        "tag-release/codecommit-valid-global.json",
        "\"outcome\":\"acted\"",
    ),
];

const TIMEOUT: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_micros(20);

struct Args {
    bin_dir: PathBuf,
    aws_endpoint: String,
    runs: usize,
    env_file: PathBuf,
    only: Option<Vec<String>>,
    secret_id: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut bin_dir = None;
    let mut aws_endpoint = None;
    let mut runs = 20;
    let mut env_file = PathBuf::from("events/switchyard.env");
    let mut only = None;
    let mut secret_id = None;
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--bin-dir" => bin_dir = Some(PathBuf::from(value()?)),
            "--aws-endpoint" => aws_endpoint = Some(value()?),
            "--runs" => runs = value()?.parse().map_err(|e| format!("--runs: {e}"))?,
            "--env-file" => env_file = PathBuf::from(value()?),
            "--only" => only = Some(value()?.split(',').map(str::to_owned).collect()),
            "--secret-id" => secret_id = Some(value()?),
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
    })
}

/// One measured cold start.
struct Run {
    init: Duration,
    invoke: Duration,
    peak_rss_kb: u64,
    cpu: Duration,
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
    let events_dir = args.env_file.parent().unwrap().to_path_buf();

    println!("machine: {}", machine());
    println!(
        "runs per function: {} (after 1 warm-up); AWS endpoint {}",
        args.runs, args.aws_endpoint
    );
    for name in args.only.iter().flatten() {
        if !FUNCTIONS.iter().any(|(f, _, _)| f == name) {
            println!("{name}: not in the benchmark's table (FUNCTIONS in benches/cold_start.rs) — not measured");
        }
    }
    let mut rows = Vec::new();
    for (name, sample, expect) in FUNCTIONS {
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
        let event = std::fs::read(events_dir.join(sample)).unwrap();
        let mut runs = Vec::new();
        for i in 0..=args.runs {
            let run = cold_start(name, &binary, &config, &args.aws_endpoint, &event, expect)
                .unwrap_or_else(|e| panic!("{name}: run {i}: {e}"));
            if i > 0 {
                runs.push(run);
            }
        }
        rows.push((name.to_string(), runs));
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

/// Starts the binary once, hands it `event`, and measures.
fn cold_start(
    name: &str,
    binary: &Path,
    config: &HashMap<String, String>,
    aws_endpoint: &str,
    event: &[u8],
    expect: &str,
) -> Result<Run, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener.set_nonblocking(true).unwrap();
    let api = listener.local_addr().unwrap().to_string();
    let mut command = Command::new(binary);
    command
        .env_clear()
        .envs(lambda_environment(name, &api, aws_endpoint))
        .envs(config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());

    let started = Instant::now();
    let child = command.spawn().map_err(|e| format!("spawn: {e}"))?;
    let mut runtime = RuntimeApi {
        listener,
        stream: None,
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
    if !body.contains(expect) {
        return Err(format!("response does not contain {expect}: {body}"));
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
// The Runtime API: just enough HTTP/1.1 for one client at a time.

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct RuntimeApi {
    listener: TcpListener,
    stream: Option<TcpStream>,
    child: KillOnDrop,
}

struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
}

impl RuntimeApi {
    /// Waits for the next request, on the open connection or a new one; returns it and the time
    /// its first byte was seen.
    fn next_request(&mut self) -> Result<(Request, Instant), String> {
        let started = Instant::now();
        loop {
            if let Some(stream) = &self.stream {
                let mut byte = [0u8; 1];
                match stream.peek(&mut byte) {
                    Ok(0) => self.stream = None,
                    Ok(_) => {
                        let at = Instant::now();
                        stream.set_nonblocking(false).unwrap();
                        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
                        let request = read_request(stream)?;
                        stream.set_nonblocking(true).unwrap();
                        return Ok((request, at));
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(_) => self.stream = None,
                }
            }
            match self.listener.accept() {
                Ok((stream, _)) => {
                    stream.set_nodelay(true).unwrap();
                    stream.set_nonblocking(true).unwrap();
                    self.stream = Some(stream);
                    continue;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => return Err(format!("accept: {e}")),
            }
            if let Ok(Some(status)) = self.child.0.try_wait() {
                return Err(format!(
                    "the function exited with {status} (run it by hand to see why)"
                ));
            }
            if started.elapsed() > TIMEOUT {
                return Err("timed out waiting for the function".into());
            }
            std::thread::sleep(POLL);
        }
    }

    fn respond(
        &mut self,
        status: u16,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Result<(), String> {
        let stream = self.stream.as_mut().ok_or("no connection to answer on")?;
        let reason = if status == 200 { "OK" } else { "Accepted" };
        let mut head = format!("HTTP/1.1 {status} {reason}\r\n");
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        stream.set_nonblocking(false).unwrap();
        let result = stream
            .write_all(&[head.as_bytes(), body].concat())
            .map_err(|e| format!("write: {e}"));
        stream.set_nonblocking(true).unwrap();
        result
    }
}

/// Reads one request (Content-Length or chunked body). No pipelining: the client waits for each
/// answer, so nothing past this request is buffered.
fn read_request(stream: &TcpStream) -> Result<Request, String> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).map_err(|e| e.to_string())?;
    let mut parts = line.split_whitespace();
    let method = parts.next().ok_or("empty request line")?.to_owned();
    let path = parts.next().ok_or("no path")?.to_owned();
    let mut length = 0usize;
    let mut chunked = false;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).map_err(|e| e.to_string())?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (k, v) = header.split_once(':').ok_or("bad header")?;
        match k.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = v.trim().parse().map_err(|_| "bad content-length")?,
            "transfer-encoding" => chunked = v.trim().eq_ignore_ascii_case("chunked"),
            _ => {}
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).map_err(|e| e.to_string())?;
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap(), 16)
                .map_err(|_| "bad chunk size")?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).map_err(|e| e.to_string())?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        body.resize(length, 0);
        reader.read_exact(&mut body).map_err(|e| e.to_string())?;
    }
    if reader.buffer().is_empty() {
        Ok(Request { method, path, body })
    } else {
        Err("pipelined request: not supported".into())
    }
}
