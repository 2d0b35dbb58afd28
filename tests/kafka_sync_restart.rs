//! A Kafka Connect worker restarted in the middle of an apply, then a second apply converges.
//! Its own test binary: test binaries run one after another, so this restart never lands in the
//! middle of another test (see `tests/kafka_sync.rs` for the rest).

use std::time::Duration;

use switchyard_adapters::connect::TokioClock;
use switchyard_core::kafka_sync::apply::ApplyOptions;
use switchyard_core::kafka_sync::run::{self, Applied};
use switchyard_core::kafka_sync::topics::NoBrokers;
use switchyard_test_support::connect;
use switchyard_test_support::kafka_sync::*;

/// The worker restarts while an apply is writing: the apply retries (or reports what failed), and
/// a second apply converges with every connector RUNNING and nothing left to change.
#[tokio::test]
async fn worker_restarted_mid_apply_then_a_second_apply_converges() {
    let Some(connect) =
        connect::cluster("worker_restarted_mid_apply_then_a_second_apply_converges")
    else {
        return;
    };
    let _exclusive = connect.exclusive().await;
    let mut repo = Repo::new("restart");
    for i in 0..8 {
        repo.sink(&format!("c{i}"), &format!("c{i}.txt"), "");
    }
    let api = api(connect);
    let first_plan = plan(&repo, &api, false, false).await.unwrap();
    assert_eq!(first_plan.summary.created, 8);
    let sequential = ApplyOptions {
        concurrency: 1,
        ..apply_options()
    };
    let clock = TokioClock::start();
    let wait = wait_options();
    let applying = run::apply_and_wait(
        &first_plan,
        &*api,
        None::<&NoBrokers>,
        &clock,
        &sequential,
        Some(&wait),
        run::AlsoWaitFor::Nothing,
    );
    let restarting = async {
        // Restart once the first write has landed, so the restart falls mid-apply.
        while !api
            .requests()
            .iter()
            .any(|r| r.starts_with("PUT /connectors/"))
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        connect.restart_worker().await;
    };
    let (first, ()) = tokio::join!(applying, restarting);
    let retried = api
        .requests()
        .iter()
        .filter(|r| r.starts_with("PUT /connectors/"))
        .count();
    eprintln!(
        "first apply: {} PUTs for 8 connectors; outcome {:?}",
        retried,
        first.as_ref().map(Applied::converged)
    );

    let (second_plan, second) = apply(&repo, &api, false).await;
    assert!(second.converged(), "{second_plan}\n{second:?}");
    let third = plan(&repo, &api, false, false).await.unwrap();
    assert!(!third.has_changes(), "{third}");
    for i in 0..8 {
        connect
            .wait_until_running(&repo.name(&format!("c{i}")))
            .await;
    }
    repo.files.retain(|f| !f.path.starts_with("connectors/"));
    let (_, cleaned) = apply(&repo, &api, true).await;
    assert!(cleaned.converged());
}
