//! `switchyard kafka drift`: the scheduled drift check's plan and verdict
//! (`switchyard_core::kafka_sync::reconcile::drift`) against a desired-state directory, for a CI
//! job that wants to fail on drift (Jikkou's `diff --fail-on-changes`), connectors and (with
//! `--bootstrap-servers`) topics. Reads only: prune is off
//! (`--prune` says the desired state is applied with prune, so what prune would delete counts as
//! drift), nothing is validated, healed or enforced.

use std::process::ExitCode;
use std::sync::atomic::Ordering;

use serde_json::json;
use switchyard_adapters::connect::files;
use switchyard_core::kafka_sync::reconcile::drift::{self, DriftStatus};
use switchyard_core::kafka_sync::reconcile::ReconcileMode;

use super::{diff_options, session, Output, PlanArgs};

pub(super) async fn drift(args: PlanArgs) -> Result<ExitCode, String> {
    let target = &args.target;
    let s = session(target, None).await?;
    let desired = files::read_dir(&target.dir).map_err(|e| e.to_string())?;
    let planned = drift::plan_drift(
        &desired,
        &target.env,
        &diff_options(target, &s),
        &s.api,
        s.admin.as_ref(),
        &s.clock,
        &s.options,
    )
    .await;
    let report = drift::judge(
        &target.url,
        ReconcileMode::Report,
        Some(format!(
            "{} (environment {:?})",
            target.dir.display(),
            target.env
        )),
        planned,
        target.prune,
    );
    match target.output {
        Output::Text => print!("{report}"),
        Output::Json => println!(
            "{}",
            json!({ "report": report, "requests": s.requests.load(Ordering::Relaxed) })
        ),
    }
    Ok(match report.status {
        DriftStatus::NoDrift => ExitCode::SUCCESS,
        DriftStatus::Drift => ExitCode::from(2),
        _ => ExitCode::FAILURE,
    })
}
