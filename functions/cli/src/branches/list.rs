//! `switchyard branches list`: the branch environments in the account and region, read from their
//! `switchyard:*` tags (never from names).
//!
//! `list` shows each branch's repository, branch, pipeline, age, the pipeline's latest execution
//! (ListPipelineExecutions, one result per pipeline) and its stacks, as a table or as JSON
//! lines; `--stale DAYS` keeps the branches with no activity for that long (activity: the latest
//! execution's start, or the stacks' last creation or update; see
//! `switchyard_core::branch_stacks::environments`). A failed stack listing fails the command:
//! a partial list would hide environments.

use std::process::ExitCode;

use serde_json::{json, Value};
use switchyard_adapters::aws::cloudformation::AwsStacks;
use switchyard_adapters::aws::pipeline_executions::latest_execution;
use switchyard_adapters::aws::sdk_config;
use switchyard_core::branch_stacks::environments::{
    environments, BranchEnvironment, LatestExecution, StackSummary,
};
use switchyard_core::branch_stacks::BranchStackReader;
use switchyard_core::text::one_line;
use switchyard_core::timestamps;

use super::table::render;
use super::Format;
use time::OffsetDateTime;

#[derive(clap::Args)]
pub struct ListArgs {
    /// `text`: a table; `json`: one JSON object per branch environment, one per line.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Only the branches without activity (a pipeline execution, a stack change) for DAYS days.
    #[arg(long, value_name = "DAYS")]
    pub stale: Option<u32>,
}

/// A branch environment with what its pipeline says.
struct Listed {
    environment: BranchEnvironment,
    latest: Result<Option<LatestExecution>, String>,
}

pub async fn list(args: &ListArgs) -> Result<ExitCode, String> {
    let sdk = sdk_config().await;
    let stacks = AwsStacks::new(aws_sdk_cloudformation::Client::new(&sdk))
        .branch_stacks()
        .await
        .map_err(|e| format!("cannot list the branch stacks: {e}"))?;
    let pipelines = aws_sdk_codepipeline::Client::new(&sdk);
    let now = OffsetDateTime::now_utc();
    let mut listed = Vec::new();
    for environment in environments(stacks) {
        let latest = match &environment.pipeline {
            Some(pipeline) => latest_execution(&pipelines, pipeline)
                .await
                .map_err(|e| e.to_string()),
            None => Ok(None),
        };
        let stale = args.stale.is_none_or(|days| {
            environment.is_stale(latest.as_ref().ok().and_then(Option::as_ref), now, days)
        });
        if stale {
            listed.push(Listed {
                environment,
                latest,
            });
        }
    }
    match args.format {
        Format::Json => {
            for l in &listed {
                println!("{}", json_line(l, now));
            }
        }
        Format::Text => print!("{}", table(&listed, now)),
    }
    Ok(ExitCode::SUCCESS)
}

fn age_days(environment: &BranchEnvironment, now: OffsetDateTime) -> i64 {
    (now - environment.created).whole_days()
}

fn stack_json(s: &StackSummary) -> Value {
    json!({"name": s.name, "status": s.status})
}

fn json_line(l: &Listed, now: OffsetDateTime) -> Value {
    let e = &l.environment;
    let latest = l.latest.as_ref().ok().and_then(Option::as_ref);
    let mut line = json!({
        "repository": e.repository,
        "branch": e.branch,
        "branch_id": e.branch_id,
        "pipeline": e.pipeline,
        "age_days": age_days(e, now),
        "created": timestamps::format(e.created),
        "last_activity": timestamps::format(e.last_activity(latest)),
        "latest_execution": latest.map(|x| json!({
            "status": x.status,
            "started": x.started.map(timestamps::format),
            "revision": x.revision,
        })),
        "pipeline_stack": e.pipeline_stack.as_ref().map(stack_json),
        "stacks": e.stacks.iter().map(stack_json).collect::<Vec<_>>(),
    });
    if let Err(error) = &l.latest {
        line["execution_error"] = json!(error);
    }
    line
}

/// Values from tags are untrusted: one bounded line each in the table.
fn cell(value: Option<&str>, width: usize) -> String {
    value.map_or_else(|| "-".to_owned(), |v| one_line(v, width))
}

fn table(listed: &[Listed], now: OffsetDateTime) -> String {
    let mut rows = vec![vec![
        "REPOSITORY".to_owned(),
        "BRANCH".to_owned(),
        "PIPELINE".to_owned(),
        "AGE".to_owned(),
        "EXECUTION".to_owned(),
        "LAST ACTIVITY".to_owned(),
        "STACKS".to_owned(),
    ]];
    for l in listed {
        let e = &l.environment;
        let latest = l.latest.as_ref().ok().and_then(Option::as_ref);
        let execution = match &l.latest {
            Ok(Some(x)) => x.status.clone(),
            Ok(None) if e.pipeline.is_some() => "never ran".to_owned(),
            Ok(None) => "-".to_owned(),
            Err(_) => "unknown (see --format json)".to_owned(),
        };
        let stacks: Vec<String> = e
            .pipeline_stack
            .iter()
            .chain(&e.stacks)
            .map(|s| format!("{} ({})", one_line(&s.name, 128), s.status))
            .collect();
        rows.push(vec![
            cell(e.repository.as_deref(), 60),
            cell(e.branch.as_deref(), 60),
            cell(e.pipeline.as_deref(), 100),
            format!("{}d", age_days(e, now)),
            execution,
            timestamps::format(e.last_activity(latest)),
            stacks.join(", "),
        ]);
    }
    render(rows)
}
