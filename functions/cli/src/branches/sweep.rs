//! `switchyard branches sweep` runs the scheduled sweep's observe → decide (the same code as the Lambda's
//! sweep: every branch stack, each configured repository's listing) against the real account
//! and git hosts (or a `--world` file), prints the plan, and acts only with `--execute`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use serde_json::{json, Value};
use switchyard_adapters::aws::sdk_config;
use switchyard_adapters::{AwsExecutor, AwsPorts, AwsResolve};
use switchyard_core::branch_pipelines::sweep::event;
use switchyard_core::branch_pipelines::BranchPipelines;
use switchyard_core::deadline::Deadline;
use switchyard_core::function::{Function, Ports};
use switchyard_core::plan::{Outcome, RecordDecision};
use switchyard_core::ports::{act, ActError, ActionReport};
use switchyard_core::world::{DryRunPorts, DryRunResolve};

use switchyard_core::text::one_line;

use super::table::render;
use super::Format;
use crate::replay::Layered;

#[derive(clap::Args)]
pub struct SweepArgs {
    /// Start the planned builds (the real AWS SDK clients; AWS_ENDPOINT_URL honoured). Without
    /// it nothing is written anywhere.
    #[arg(long)]
    pub execute: bool,
    /// KEY=VALUE configuration file (BRANCH_* and GITHUB_* variables); its values override the
    /// process environment.
    #[arg(long, value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    /// Observe a `--world` file (`stacks`, `branches`, `now`) instead of the account and hosts.
    #[arg(long, value_name = "FILE", conflicts_with = "execute")]
    pub world: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
}

pub async fn sweep(args: SweepArgs) -> Result<ExitCode, String> {
    let vars = Layered::load(args.env_file.as_deref())?;
    let deadline = Deadline::new(SystemTime::now() + Duration::from_secs(900), Duration::ZERO);
    let records = match &args.world {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read world file {}: {e}", path.display()))?;
            let world: Value =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            let ports = DryRunPorts::from_world(&world)?;
            let function = BranchPipelines::configure(&vars, &DryRunResolve)
                .await
                .map_err(|e| e.to_string())?;
            decide(&function, &ports, deadline).await?
        }
        None => {
            let sdk = sdk_config().await;
            let function = BranchPipelines::configure(&vars, &AwsResolve { sdk: &sdk })
                .await
                .map_err(|e| e.to_string())?;
            let ports = AwsPorts::for_function(&sdk, &function)
                .await
                .map_err(|e| e.to_string())?;
            let records = decide(&function, &ports, deadline).await?;
            if args.execute {
                return execute(&records, &AwsExecutor::new(sdk), args.format).await;
            }
            records
        }
    };
    let lines: Vec<Value> = records.iter().map(|r| line(r, None)).collect();
    print(&lines, args.format);
    Ok(ExitCode::SUCCESS)
}

async fn decide<P: Ports>(
    function: &BranchPipelines,
    ports: &P,
    deadline: Deadline,
) -> Result<Vec<RecordDecision>, String> {
    // The event the schedule would send, now.
    let now = ports.now();
    function
        .decide(
            &event::event_at(now, &format!("cli-{}", now.unix_timestamp())),
            ports,
            deadline,
        )
        .await
        .map_err(|e| format!("the sweep could not observe: {e}"))
}

async fn execute(
    records: &[RecordDecision],
    executor: &AwsExecutor,
    format: Format,
) -> Result<ExitCode, String> {
    let mut failed = false;
    let mut lines = Vec::with_capacity(records.len());
    for record in records {
        let result = if record.decision.outcome == Outcome::Acted {
            Some(act(&record.decision.actions, executor).await)
        } else {
            None
        };
        failed |= matches!(result, Some(Err(_)));
        lines.push(line(record, result));
    }
    print(&lines, format);
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn line(record: &RecordDecision, result: Option<Result<Vec<ActionReport>, ActError>>) -> Value {
    let decision = &record.decision;
    let mut out = json!({
        "source": "branches sweep",
        "record": record.record,
        "outcome": decision.outcome,
        "reason": decision.reason,
        "actions": decision.actions,
    });
    match result {
        Some(Ok(results)) => out["results"] = json!(results),
        Some(Err(e)) => {
            out["outcome"] = json!("failed");
            out["error"] = json!(e.to_string());
        }
        None => {}
    }
    out
}

fn print(lines: &[Value], format: Format) {
    match format {
        Format::Json => {
            for line in lines {
                println!("{line}");
            }
        }
        Format::Text => print!("{}", table(lines)),
    }
}

/// `OUTCOME  BRANCH  BUILD  REASON`, one row per line of the plan. Branch names come from the
/// host's listing and tags: untrusted, so one bounded line each.
fn table(lines: &[Value]) -> String {
    let text = |v: &Value, key: &str, width: usize| {
        one_line(v.get(key).and_then(Value::as_str).unwrap_or(""), width)
    };
    let mut rows = vec![["OUTCOME", "BRANCH", "BUILD", "REASON"]
        .map(str::to_owned)
        .to_vec()];
    rows.extend(lines.iter().map(|l| {
        let build = l["actions"]
            .as_array()
            .and_then(|a| a.first())
            .and_then(|a| a["input"]["projectName"].as_str())
            .unwrap_or("-");
        vec![
            text(l, "outcome", 16),
            text(l, "record", 200),
            one_line(build, 255),
            text(l, "reason", 500),
        ]
    }));
    render(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_lines_up_each_record() {
        let lines = [
            json!({"outcome": "skipped", "record": "sweep", "reason": "swept 1 of 1", "actions": []}),
            json!({"outcome": "acted", "record": "github:acme/app feature/x", "reason": "gone",
                   "actions": [{"service": "codebuild", "operation": "StartBuild", "input": {"projectName": "destroyer"}}]}),
        ];
        let table = table(&lines);
        let rows: Vec<&str> = table.lines().collect();
        assert_eq!(rows.len(), 3);
        assert!(rows[0].starts_with("OUTCOME  BRANCH"));
        assert!(
            rows[2].starts_with("acted    github:acme/app feature/x  destroyer  gone"),
            "{table}"
        );
    }
}
