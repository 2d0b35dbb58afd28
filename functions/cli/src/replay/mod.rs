//! `switchyard replay`: the same parse → observe → decide (→ act) code as the Lambdas, over event
//! files, printing one JSON line per event.

mod functions;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{json, Value};
use switchyard_core::config::{parse_env_file, Vars};
use switchyard_core::plan::{Decision, FunctionName, Outcome, RecordDecision, RejectKind};
use switchyard_core::ports::act;
use switchyard_core::{route, webhook};

use crate::ReplayArgs;
use functions::{Failure, Functions};

/// How replay talks to the world.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Nothing is read from or written to AWS; observations come from `--world`.
    DryRun,
    /// Real SDK clients, real writes.
    Execute,
}

/// The process environment with an env file laid over it.
pub struct Layered {
    file: HashMap<String, String>,
}

impl Layered {
    /// The process environment, with `env_file` (KEY=VALUE lines) laid over it.
    pub fn load(env_file: Option<&Path>) -> Result<Self, String> {
        let file = match env_file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read env file {}: {e}", path.display()))?;
                parse_env_file(&text).map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => HashMap::new(),
        };
        Ok(Layered { file })
    }
}

impl Vars for Layered {
    fn var(&self, name: &str) -> Option<String> {
        self.file
            .get(name)
            .cloned()
            .or_else(|| std::env::var(name).ok())
    }
}

pub async fn run(args: ReplayArgs) -> Result<ExitCode, String> {
    let vars = Layered::load(args.env_file.as_deref())?;
    let world = match &args.world {
        Some(path) => load_world(path)?,
        None => Value::Null,
    };
    let mode = if args.execute {
        Mode::Execute
    } else {
        Mode::DryRun
    };
    let mut functions = Functions::new(vars, &world, mode).await?;

    let mut files = Vec::new();
    for path in &args.paths {
        collect(path, &mut files)?;
    }
    if files.is_empty() {
        return Err("no event files (*.json) found".into());
    }
    let mut failed = false;
    for file in files {
        for line in replay_one(&file, &mut functions).await {
            failed |= line.get("outcome").and_then(Value::as_str) == Some("failed");
            println!("{line}");
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The `--world` file: observed state for the dry run (`switchyard_core::world` documents it).
fn load_world(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read world file {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Folders of this name are skipped when collecting event files from a folder.
const WORLDS_DIR: &str = "worlds";

/// The `*.json` event files under `path` (a file is taken as given), sorted, skipping `worlds/`
/// folders found while walking.
fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.is_file() {
        out.push(path.to_owned());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            // `worlds/` folders hold `--world` files next to the samples, not events.
            if entry.file_name().is_some_and(|n| n == WORLDS_DIR) {
                continue;
            }
            collect(&entry, out)?;
        } else if entry.extension().is_some_and(|e| e == "json") {
            out.push(entry);
        }
    }
    Ok(())
}

/// One JSON line per decision: one per event, or one per record for events of independent
/// records (S3 notifications, SNS, SQS), each naming its `record`.
async fn replay_one(file: &Path, functions: &mut Functions) -> Vec<Value> {
    let source = file.display().to_string();
    let raw: Value = match std::fs::read(file)
        .map_err(|e| e.to_string())
        .and_then(|bytes| serde_json::from_slice(&bytes).map_err(|e| format!("invalid JSON: {e}")))
    {
        Ok(raw) => raw,
        Err(e) => return vec![line(&source, None, None, &Decision::invalid(e))],
    };
    let claim = |bucket: &str, key: &str| functions.s3_claim(bucket, key);
    let Some(function) = route::function_for_with(&raw, &claim) else {
        return vec![line(
            &source,
            None,
            None,
            &Decision::reject(RejectKind::Unsupported, "unsupported event"),
        )];
    };
    let records = match functions.decide(function, &raw).await {
        Ok(records) => records,
        Err(Failure::Config(config_error)) => {
            vec![RecordDecision::whole(Decision::invalid(config_error))]
        }
        Err(Failure::Observe(error)) => {
            let mut out = line(
                &source,
                None,
                Some(function),
                &Decision::invalid("observation failed"),
            );
            out["outcome"] = json!("failed");
            out["error"] = json!(error);
            return vec![out];
        }
    };
    let mut lines = Vec::with_capacity(records.len());
    for record in records {
        let decision = &record.decision;
        let mut out = line(&source, record.record.as_deref(), Some(function), decision);
        if switchyard_core::sources::function_url::is_http_request(&raw) {
            out["http_status"] = json!(webhook::http_status(decision));
        }
        let executor = functions
            .executor()
            .filter(|_| decision.outcome == Outcome::Acted);
        if let Some(executor) = executor {
            match act(&decision.actions, executor).await {
                Ok(results) => out["results"] = json!(results),
                Err(e) => {
                    out["outcome"] = json!("failed");
                    out["error"] = json!(e.to_string());
                    if let Some(claim) = &record.delivery {
                        functions.forget_delivery(claim).await;
                    }
                }
            }
        }
        lines.push(out);
    }
    lines
}

fn line(
    source: &str,
    record: Option<&str>,
    function: Option<FunctionName>,
    decision: &Decision,
) -> Value {
    let mut out = json!({
        "source": source,
        "function": function,
        "outcome": decision.outcome,
        "reason": decision.reason,
        "actions": decision.actions,
    });
    if let Some(record) = record {
        out["record"] = json!(record);
    }
    out
}
