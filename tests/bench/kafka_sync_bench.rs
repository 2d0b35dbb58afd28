//! Benchmark of `kafka-sync` against a real Kafka Connect worker (docs/kafka-sync.md has the
//! numbers and how to run it):
//!
//! 1. plan for N connectors (default 500): HTTP requests of the read side and wall time;
//! 2. apply of 50 changed connectors, sequential (concurrency 1) vs bounded-concurrent (8).
//!
//! ```text
//! eval "$(tests/kafka-connect/cluster.sh start)"
//! cargo run -p switchyard-integration-tests --example kafka_sync_bench -- [N] [ROUNDS]
//! ```
//!
//! The connectors are created STOPPED (Kafka 3.7+ `initial_state`), so the worker runs no tasks
//! and the numbers measure the REST API and Switchyard, not 500 copying tasks. Everything it
//! creates has the prefix `bench-<pid>-` and is deleted at the end. Bounded: every wait has a
//! deadline, and it only talks to `CONNECT_URL` (a loopback test cluster).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use switchyard_adapters::connect::{ConnectCredentials, HttpConnect, TokioClock};
use switchyard_core::kafka_sync::apply::ApplyOptions;
use switchyard_core::kafka_sync::retry::Backoff;
use switchyard_core::kafka_sync::run;
use switchyard_core::kafka_sync::topics::diff::TopicOptions;
use switchyard_core::kafka_sync::topics::NoBrokers;
use switchyard_core::kafka_sync::{ChangePlan, DiffOptions, ManagedScope, Redactor, SourceFile};

const CHANGED: usize = 50;

fn files(prefix: &str, n: usize, generation: usize, changed: usize) -> Vec<SourceFile> {
    let mut files = vec![SourceFile {
        path: "environments/bench.yaml".into(),
        contents: b"dir: /tmp/switchyard-bench\n".to_vec(),
    }];
    for i in 0..n {
        // The first `changed` connectors get this generation's file name; the rest keep 0.
        let g = if i < changed { generation } else { 0 };
        files.push(SourceFile {
            path: format!("connectors/c{i:04}.yaml"),
            contents: format!(
                "name: {prefix}c{i:04}\nstate: stopped\nconfig:\n  connector.class: org.apache.kafka.connect.file.FileStreamSinkConnector\n  tasks.max: 1\n  topics: {prefix}topic\n  file: \"{{{{ env.dir }}}}/c{i:04}-g{g}.txt\"\n"
            )
            .into_bytes(),
        });
    }
    files
}

fn options(prefix: &str, prune: bool) -> DiffOptions {
    DiffOptions {
        scope: ManagedScope::new(vec![prefix.to_owned()], []),
        prune,
        redactor: Redactor::default(),
        allow_unmanaged_writes: false,
        topics: TopicOptions::default(),
    }
}

fn apply_options(concurrency: usize) -> ApplyOptions {
    ApplyOptions {
        concurrency,
        deadline: Duration::from_secs(600),
        backoff: Backoff::default(),
        allow_dangerous: false,
    }
}

/// HTTP requests sent since the last reset.
static REQUESTS: AtomicUsize = AtomicUsize::new(0);

async fn plan(api: &HttpConnect, files: &[SourceFile], prefix: &str, prune: bool) -> ChangePlan {
    run::plan_changes(
        files,
        "bench",
        &options(prefix, prune),
        false,
        api,
        None::<&NoBrokers>,
        &TokioClock::start(),
        &apply_options(1),
    )
    .await
    .unwrap_or_else(|e| panic!("plan: {e}"))
}

/// Applies `plan` without waiting (stopped connectors have nothing to wait for); returns the
/// wall time of the writes and the number of requests they sent.
async fn apply(api: &HttpConnect, plan: &ChangePlan, concurrency: usize) -> (Duration, usize) {
    REQUESTS.store(0, Ordering::Relaxed);
    let started = Instant::now();
    let applied = run::apply_and_wait(
        plan,
        api,
        None::<&NoBrokers>,
        &TokioClock::start(),
        &apply_options(concurrency),
        None,
        run::AlsoWaitFor::Nothing,
    )
    .await
    .unwrap_or_else(|e| panic!("apply: {e}"));
    let took = started.elapsed();
    assert!(applied.writes.succeeded(), "{:?}", applied.failures());
    (took, REQUESTS.load(Ordering::Relaxed))
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let url = std::env::var("CONNECT_URL")
        .expect("CONNECT_URL: start the test cluster first (tests/kafka-connect/cluster.sh start)");
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(500, |a| a.parse().expect("N"));
    let rounds: usize = args.next().map_or(5, |a| a.parse().expect("ROUNDS"));
    assert!(n >= CHANGED, "N must be at least {CHANGED}");
    let prefix = format!("bench-{}-", std::process::id());
    let api = HttpConnect::new(
        &url,
        ConnectCredentials::default(),
        Duration::from_secs(100),
    )
    .unwrap()
    .observing_requests(Arc::new(|_: &str| {
        REQUESTS.fetch_add(1, Ordering::Relaxed);
    }));

    println!("kafka-sync benchmark: {n} connectors on {url}");
    let setup = plan(&api, &files(&prefix, n, 0, 0), &prefix, false).await;
    println!("Kafka Connect {}", setup.cluster_version);
    let (took, requests) = apply(&api, &setup, 8).await;
    println!(
        "setup: created {n} STOPPED connectors in {} ({requests} requests, concurrency 8)",
        ms(took)
    );

    // 1. The read side of a plan.
    let desired = files(&prefix, n, 0, 0);
    let mut times = Vec::new();
    for _ in 0..rounds {
        REQUESTS.store(0, Ordering::Relaxed);
        let started = Instant::now();
        let p = plan(&api, &desired, &prefix, false).await;
        times.push(started.elapsed());
        assert_eq!(p.summary.unchanged, n, "{}", p.summary);
        assert_eq!(REQUESTS.load(Ordering::Relaxed), 2);
    }
    times.sort();
    println!(
        "plan ({n} connectors, no changes): 2 HTTP requests; wall time median {}, min {}, max {} over {rounds} rounds",
        ms(times[rounds / 2]),
        ms(times[0]),
        ms(times[rounds - 1])
    );

    // 2. 50 changed connectors, sequential then bounded-concurrent (each run changes them again).
    for (generation, concurrency) in [(1, 1), (2, 8)] {
        let p = plan(
            &api,
            &files(&prefix, n, generation, CHANGED),
            &prefix,
            false,
        )
        .await;
        assert_eq!(p.summary.updated, CHANGED, "{}", p.summary);
        let (took, requests) = apply(&api, &p, concurrency).await;
        println!(
            "apply {CHANGED} changed of {n}, concurrency {concurrency}: {} ({requests} write requests, {:.1} ms per connector)",
            ms(took),
            took.as_secs_f64() * 1000.0 / CHANGED as f64
        );
    }

    // Clean up: an empty desired state with prune deletes everything under the prefix.
    let empty = vec![SourceFile {
        path: "environments/bench.yaml".into(),
        contents: b"dir: x\n".to_vec(),
    }];
    let cleanup = plan(&api, &empty, &prefix, true).await;
    let (took, _) = apply(&api, &cleanup, 8).await;
    println!(
        "cleanup: deleted {} connectors in {}",
        cleanup.summary.deleted,
        ms(took)
    );
}
