//! `switchyard`: Switchyard's functions, run from a terminal.

mod connect;
mod replay;

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
    /// GitOps for Kafka Connect: plan or apply connector configs from a desired-state directory.
    Connect(connect::ConnectArgs),
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
        Command::Connect(args) => connect::run(args).await,
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("switchyard: {message}");
            ExitCode::FAILURE
        }
    }
}
