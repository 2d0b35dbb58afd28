//! `switchyard branches …`: branch environments from a terminal, read from their `switchyard:*`
//! tags (never from names).
//!
//! - `list`: each branch environment with its pipeline's latest execution ([`list`]);
//! - `sweep`: the scheduled sweep's observe → decide, acting only with `--execute` ([`sweep`]).

mod list;
mod sweep;
mod table;

use std::process::ExitCode;

pub use list::ListArgs;
pub use sweep::SweepArgs;

#[derive(clap::Subcommand)]
pub enum BranchesCommand {
    /// List the branch environments: repository, branch, pipeline, age, latest execution and
    /// stacks, from the stacks' switchyard:* tags.
    List(ListArgs),
    /// Compare every configured repository's live branches with the branch stacks that exist
    /// and print the plan (deploys, destroys, what is left alone and why); act only with
    /// --execute.
    Sweep(SweepArgs),
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table for people.
    Text,
    /// One JSON object per line (for `sweep`, as `switchyard replay` prints).
    Json,
}

pub async fn run(command: BranchesCommand) -> Result<ExitCode, String> {
    match command {
        BranchesCommand::List(args) => list::list(&args).await,
        BranchesCommand::Sweep(args) => sweep::sweep(args).await,
    }
}
