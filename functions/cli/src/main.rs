//! `switchyard`: Switchyard's functions, run from a terminal.

mod branches;
mod kafka;
mod kafka_brokers;
mod progress;
mod replay;
mod tag;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "switchyard",
    version,
    about = "Release automation for AWS CodePipeline, run locally"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Replay event files through parse → observe → decide (→ act with --execute), one JSON line
    /// per event.
    Replay(ReplayArgs),
    /// GitOps for Kafka: plan or apply topics and Kafka Connect connectors from a desired-state
    /// directory (`connect` is an alias kept for existing scripts).
    #[command(alias = "connect")]
    Kafka(Box<kafka::KafkaArgs>),
    /// Release tags (`<env>_<scope>/<team>/<version>`), checked with tag-release's own grammar
    /// and configuration.
    Tag {
        #[command(subcommand)]
        command: TagCommand,
    },
    /// Branch environments: list them from their switchyard:* tags, or sweep (compare live branches
    /// with branch stacks and plan what is missing or orphaned).
    Branches {
        #[command(subcommand)]
        command: branches::BranchesCommand,
    },
}

#[derive(Subcommand)]
enum TagCommand {
    /// Print a tag's parsed and derived values as JSON (exit 0), or why it is not a release tag
    /// (exit 1). Configuration errors exit 2. For pre-push hooks and CI.
    Check(TagCheckArgs),
}

#[derive(clap::Args)]
pub struct TagCheckArgs {
    /// KEY=VALUE configuration file (TAG_* variables); its values override the process
    /// environment.
    #[arg(long, value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    /// The tag, e.g. prod_eu-west-1/payments/2.4.0.
    #[arg(value_name = "TAG")]
    pub tag: String,
}

#[derive(clap::Args)]
pub struct ReplayArgs {
    /// Run the planned actions through the real AWS SDK clients (standard credential chain;
    /// AWS_ENDPOINT_URL honoured). Without it nothing is written anywhere.
    #[arg(long)]
    pub execute: bool,
    /// KEY=VALUE configuration file; its values override the process environment.
    #[arg(long, value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    /// JSON description of observed state (Health events, pipeline state, Connect connectors)
    /// for functions that observe. Default: an empty, healthy world.
    #[arg(long, value_name = "FILE")]
    pub world: Option<PathBuf>,
    /// Event files, or folders searched recursively for *.json.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    switchyard_adapters::telemetry::init_cli();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Replay(args) => replay::run(args).await,
        Command::Kafka(args) => kafka::run(*args).await,
        Command::Tag {
            command: TagCommand::Check(args),
        } => Ok(tag::check(&args)),
        Command::Branches { command } => branches::run(command).await,
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("switchyard: {message}");
            ExitCode::FAILURE
        }
    }
}
