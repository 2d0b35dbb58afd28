//! `switchyard kafka plan|apply`: the same plan a pipeline would apply, from a terminal.
//!
//! Exit codes CI can use: `plan` → 0 no changes, 2 changes planned, 1 error; `apply` → 0 the
//! cluster converged (or nothing to do), 1 error or a connector not RUNNING; `drift` ([`drift`])
//! → 0 no drift, 2 drift, 1 error or unreachable.
//!
//! `apply` shows its progress on stderr while it writes and waits ([`crate::progress`]); stdout
//! holds the plan and the result, or with `--output json` one JSON document.
//!
//! Topics: with `--bootstrap-servers` (or `KAFKA_BOOTSTRAP_SERVERS`; plaintext, no auth here)
//! the topics under `topics/` are planned and applied through the admin protocol, within the
//! managed topic scope (`--managed-topic-prefix`, `--managed-topics`).

mod drift;

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;
use switchyard_adapters::connect::{files, ConnectCredentials, HttpConnect, TokioClock};
use switchyard_adapters::kafka::{KafkaTopicAdmin, MskIamTokens};
use switchyard_core::kafka_sync::apply::{ApplyOptions, WaitOptions};
use switchyard_core::kafka_sync::brokers::{BrokerAuth, BrokersConfig};
use switchyard_core::kafka_sync::retry::Backoff;
use switchyard_core::kafka_sync::run::{self, Applied, DEFAULT_CONCURRENCY, DEFAULT_POLL_INTERVAL};
use switchyard_core::kafka_sync::topics::diff::TopicOptions;
use switchyard_core::kafka_sync::{ChangePlan, DiffOptions, ManagedScope, Redactor};
use switchyard_core::secret::Secret;

use crate::progress::TerminalProgress;

#[derive(Args)]
pub struct KafkaArgs {
    #[command(subcommand)]
    command: KafkaCommand,
}

#[derive(Subcommand)]
enum KafkaCommand {
    /// Show what apply would change (exit 0: nothing, 2: changes, 1: error). Reads only.
    Plan(PlanArgs),
    /// Apply the plan, then wait until changed connectors are RUNNING.
    Apply(ApplyArgs),
    /// Check the cluster against a desired state, as the scheduled drift check does (exit 0: no
    /// drift, 2: drift, 1: error or unreachable). Reads only.
    Drift(PlanArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum Output {
    Text,
    Json,
}

#[derive(Args)]
struct Target {
    /// Desired-state directory (connector files + environments/<env>.yaml).
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// Environment whose values file is used.
    #[arg(long, value_name = "ENV")]
    env: String,
    /// Kafka Connect REST URL. Basic auth from CONNECT_USERNAME / CONNECT_PASSWORD.
    #[arg(long, env = "CONNECT_URL", value_name = "URL")]
    url: String,
    /// Extra CA certificate (PEM) to trust for https.
    #[arg(long, env = "CONNECT_CA_CERT", value_name = "FILE")]
    ca_cert: Option<PathBuf>,
    /// Connectors whose name starts with this are Switchyard's (comma-separated).
    #[arg(
        long,
        env = "CONNECT_MANAGED_PREFIX",
        value_name = "PREFIX",
        value_delimiter = ','
    )]
    managed_prefix: Vec<String>,
    /// Connectors Switchyard manages, by name (comma-separated).
    #[arg(
        long,
        env = "CONNECT_MANAGED_CONNECTORS",
        value_name = "NAMES",
        value_delimiter = ','
    )]
    managed_connectors: Vec<String>,
    /// Plan deletion of managed connectors that are not in Git.
    #[arg(long)]
    prune: bool,
    /// Allow creating or changing connectors outside the managed scope (refused otherwise,
    /// naming each; with no scope given, every connector is outside it).
    #[arg(long)]
    allow_unmanaged_writes: bool,
    /// Kafka brokers (`host:port`, comma-separated) for the topics under topics/; without them
    /// a desired state with topics is an error.
    #[arg(
        long,
        env = "KAFKA_BOOTSTRAP_SERVERS",
        value_name = "HOST:PORT",
        value_delimiter = ','
    )]
    bootstrap_servers: Vec<String>,
    /// Topics whose name starts with this are Switchyard's (comma-separated).
    #[arg(
        long,
        env = "KAFKA_MANAGED_TOPIC_PREFIX",
        value_name = "PREFIX",
        value_delimiter = ','
    )]
    managed_topic_prefix: Vec<String>,
    /// Topics Switchyard manages, by name (comma-separated).
    #[arg(
        long,
        env = "KAFKA_MANAGED_TOPICS",
        value_name = "NAMES",
        value_delimiter = ','
    )]
    managed_topics: Vec<String>,
    #[command(flatten)]
    broker_auth: crate::kafka_brokers::BrokerAuthArgs,
    /// With --prune, also delete managed topics that are not in Git (without it, only topics
    /// marked `delete: true` are). A topic holds data.
    #[arg(long)]
    delete_topics: bool,
    /// Validate changed configs on the server first (also redacts the plugin's PASSWORD keys).
    #[arg(long)]
    validate: bool,
    #[arg(long, value_enum, default_value = "text")]
    output: Output,
    /// Overall deadline for retries and waits, in seconds.
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    timeout: u64,
    /// Per-request timeout, in seconds (keep above Connect's own 90 s).
    #[arg(long, default_value_t = 100, value_name = "SECONDS")]
    request_timeout: u64,
}

#[derive(Args)]
struct PlanArgs {
    #[command(flatten)]
    target: Target,
}

#[derive(Args)]
struct ApplyArgs {
    #[command(flatten)]
    target: Target,
    /// Apply without asking (required when stdin is not a terminal).
    #[arg(long)]
    yes: bool,
    /// Apply changes to identity keys (topic.prefix, database.server.id, slot.name, publication.name).
    #[arg(long)]
    allow_dangerous: bool,
    /// Connectors written at the same time.
    #[arg(long, default_value_t = DEFAULT_CONCURRENCY)]
    concurrency: usize,
    /// Do not wait for changed connectors to reach their state.
    #[arg(long)]
    no_wait: bool,
    /// Restart failed connectors and tasks once before reporting them.
    #[arg(long)]
    restart_failed: bool,
}

pub async fn run(args: KafkaArgs) -> Result<ExitCode, String> {
    match args.command {
        KafkaCommand::Plan(args) => plan(args).await,
        KafkaCommand::Apply(args) => apply(args).await,
        KafkaCommand::Drift(args) => drift::drift(args).await,
    }
}

struct Session {
    api: HttpConnect,
    /// Requests sent, for `--output json`.
    requests: Arc<AtomicUsize>,
    /// With --bootstrap-servers: the brokers as a cluster's `kafka` block, and their client.
    brokers: Option<BrokersConfig>,
    admin: Option<KafkaTopicAdmin>,
    clock: TokioClock,
    options: ApplyOptions,
}

async fn session(target: &Target, apply: Option<&ApplyArgs>) -> Result<Session, String> {
    let mut credentials = ConnectCredentials::default();
    if let Ok(user) = std::env::var("CONNECT_USERNAME") {
        let password = std::env::var("CONNECT_PASSWORD")
            .map_err(|_| "CONNECT_USERNAME is set but CONNECT_PASSWORD is not".to_owned())?;
        credentials.basic = Some((user, Secret::new(password)));
    }
    if let Some(path) = &target.ca_cert {
        credentials.ca_pem = Some(
            std::fs::read_to_string(path)
                .map_err(|e| format!("--ca-cert {}: {e}", path.display()))?,
        );
    }
    let api = HttpConnect::new(
        &target.url,
        credentials,
        Duration::from_secs(target.request_timeout),
    )
    .map_err(|e| e.to_string())?;
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    let api = api.observing_requests(Arc::new(move |_: &str| {
        counter.fetch_add(1, Ordering::Relaxed);
    }));
    // `KAFKA_BOOTSTRAP_SERVERS=` (set but empty) means no brokers.
    let servers: Vec<String> = target
        .bootstrap_servers
        .iter()
        .filter(|s| !s.trim().is_empty())
        .cloned()
        .collect();
    let mut brokers = (!servers.is_empty()).then(|| BrokersConfig {
        bootstrap_servers: servers,
        tls: false,
        auth: None,
        cluster_arn: None,
        managed_topic_prefixes: target.managed_topic_prefix.clone(),
        managed_topics: target.managed_topics.clone(),
        allow_plaintext_credentials: false,
    });
    let admin = match &mut brokers {
        Some(b) => {
            // TLS and SASL from the flags, the login from the environment.
            let credentials = target.broker_auth.configure(b)?;
            let timeout = Duration::from_secs(target.request_timeout);
            let admin = if let Some(BrokerAuth::MskIam { region }) = &b.auth {
                // Tokens signed with the standard credential chain, made before the first
                // request and again whenever one finds less than 5 minutes left.
                let sdk = switchyard_adapters::aws::sdk_config().await;
                let tokens = MskIamTokens::from_sdk_config(region, &sdk)
                    .map_err(|e| format!("--sasl-mechanism AWS_MSK_IAM: {e}"))?;
                KafkaTopicAdmin::connect_with_tokens(b, Arc::new(tokens), timeout)
            } else {
                KafkaTopicAdmin::connect(b, credentials.as_ref(), timeout)
            };
            Some(admin.map_err(|e| format!("--bootstrap-servers: {e}"))?)
        }
        None => None,
    };
    Ok(Session {
        api,
        requests,
        brokers,
        admin,
        clock: TokioClock::start(),
        options: ApplyOptions {
            concurrency: apply.map_or(DEFAULT_CONCURRENCY, |a| a.concurrency.max(1)),
            deadline: Duration::from_secs(target.timeout),
            backoff: Backoff::default(),
            allow_dangerous: apply.is_some_and(|a| a.allow_dangerous),
        },
    })
}

fn diff_options(target: &Target, s: &Session) -> DiffOptions {
    DiffOptions {
        scope: ManagedScope::new(
            target.managed_prefix.clone(),
            target.managed_connectors.clone(),
        ),
        prune: target.prune,
        redactor: Redactor::default(),
        allow_unmanaged_writes: target.allow_unmanaged_writes,
        topics: TopicOptions {
            delete_unlisted: target.delete_topics,
            ..TopicOptions::for_cluster("command line", s.brokers.as_ref())
        },
    }
}

async fn prepare(target: &Target, s: &Session) -> Result<ChangePlan, String> {
    let files = files::read_dir(&target.dir).map_err(|e| e.to_string())?;
    let options = diff_options(target, s);
    run::plan_changes(
        &files,
        &target.env,
        &options,
        target.validate,
        &s.api,
        s.admin.as_ref(),
        &s.clock,
        &s.options,
    )
    .await
    .map_err(|e| e.to_string())
}

async fn plan(args: PlanArgs) -> Result<ExitCode, String> {
    let s = session(&args.target, None).await?;
    let plan = prepare(&args.target, &s).await?;
    match args.target.output {
        Output::Text => print!("{plan}"),
        Output::Json => println!(
            "{}",
            json!({
                "plan": plan,
                "requests": s.requests.load(Ordering::Relaxed),
                "admin_requests": s.admin.as_ref().map(KafkaTopicAdmin::requests),
            })
        ),
    }
    Ok(if plan.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

async fn apply(args: ApplyArgs) -> Result<ExitCode, String> {
    let s = session(&args.target, Some(&args)).await?;
    let plan = prepare(&args.target, &s).await?;
    let text = matches!(args.target.output, Output::Text);
    if text {
        print!("{plan}");
    }
    if !plan.has_changes() {
        if text {
            println!("\nNothing to apply.");
        } else {
            println!("{}", json!({ "plan": plan, "applied": Applied::default() }));
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !args.yes && !confirmed(&plan)? {
        return Err("not applied".into());
    }
    let wait = WaitOptions {
        deadline: s.options.deadline,
        poll_interval: DEFAULT_POLL_INTERVAL,
        restart_failed: args.restart_failed,
    };
    let applied = run::apply_and_wait(
        &plan,
        &s.api,
        s.admin.as_ref(),
        &s.clock,
        &s.options,
        (!args.no_wait).then_some(&wait),
        run::AlsoWaitFor::Nothing,
        &TerminalProgress::stderr(),
    )
    .await
    .map_err(|e| e.to_string())?;
    if text {
        print_applied(&applied);
    } else {
        println!("{}", json!({ "plan": plan, "applied": applied }));
    }
    Ok(if applied.converged() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn confirmed(plan: &ChangePlan) -> Result<bool, String> {
    if !std::io::stdin().is_terminal() {
        return Err("refusing to apply without --yes (stdin is not a terminal)".into());
    }
    let topics = if plan.topics.is_empty() {
        String::new()
    } else {
        format!("; topics: {}", plan.topics.summary)
    };
    print!("\nApply these changes ({}{topics})? [y/N] ", plan.summary);
    std::io::stdout().flush().ok();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| e.to_string())?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

fn print_applied(applied: &Applied) {
    println!("\nApplied:");
    for r in &applied.topics.results {
        println!("  {} {}: {}", r.action, r.name, r.outcome.label());
    }
    for r in &applied.writes.results {
        let reached = applied
            .wait
            .iter()
            .find(|w| w.name == r.name)
            .map(|w| format!(" -> {}", w.outcome.label()))
            .unwrap_or_default();
        println!("  {} {}: {}{reached}", r.action, r.name, r.outcome.label());
    }
    for failure in applied.failures() {
        println!("  ! {failure}");
    }
    let verdict = if applied.converged() {
        "Converged."
    } else {
        "Not converged."
    };
    println!("\n{verdict}");
}
