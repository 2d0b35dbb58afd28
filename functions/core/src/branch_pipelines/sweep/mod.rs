//! The scheduled sweep of `branch-pipelines`: events get lost (GitHub does not redeliver a failed
//! webhook by itself, EventBridge retries run out, the function was disabled), so on a schedule
//! the live branches of every repository in `BRANCH_SWEEP_REPOSITORIES` are compared with the
//! branch stacks that exist, and what differs is repaired through the same deployer and
//! destroyer builds as events use.
//!
//! Observe (this module: every branch stack, each repository's listing, with a TTL the commit
//! times the listings lack, and each planned destroy's teardown plan) → decide ([`plan::plan`], pure) → act (the shared
//! `entry::run_records`). A failed stack listing fails the sweep; a failed branch listing
//! leaves its repository untouched.

pub mod config;
pub mod event;
pub mod plan;

use crate::branch_stacks::BranchStackReader;
use crate::function::Ports;
use crate::git_hosts::access::{GitHostAccess, HOST_APIS};
use crate::git_hosts::{BranchLookup, GitHost, GitHosts, Repository};
use crate::plan::{Decision, RecordDecision};
use crate::ports::ObserveError;
use crate::sources::RefSource;

use super::{teardown, BranchConfig};
use config::SweepConfig;
use event::SweepEvent;

/// How the host's API names a swept repository (held by its id, [`SweepConfig::repositories`]).
fn api(repository: &Repository) -> Repository {
    RefSource::of_host(repository.host).host_repository(&repository.name)
}

/// The variable that names `host`'s token secret.
fn token_variable(host: GitHost) -> &'static str {
    HOST_APIS
        .iter()
        .find(|(h, ..)| *h == host)
        .map_or("GITHUB_TOKEN_SECRET_ID", |(_, id_var, ..)| *id_var)
}

/// Observe → decide for one sweep event.
pub async fn sweep<P: Ports>(
    config: &BranchConfig,
    sweep: &SweepConfig,
    access: &GitHostAccess,
    event: &SweepEvent,
    ports: &P,
) -> Result<Vec<RecordDecision>, ObserveError> {
    if sweep.repositories.is_empty() {
        return Ok(vec![RecordDecision::whole(Decision::skip(
            "BRANCH_SWEEP_REPOSITORIES is not set: there is nothing to sweep",
        ))]);
    }
    // Without every branch stack nothing can be compared: the sweep fails (and is retried).
    let stacks = ports.stacks().branch_stacks().await?;
    let mut listings = Vec::with_capacity(sweep.repositories.len());
    for repository in &sweep.repositories {
        let listing = if access.can_ask(repository.host) {
            ports.git_hosts().list_branches(&api(repository)).await
        } else {
            Err(ObserveError {
                operation: "ListBranches",
                message: format!(
                    "no {} credential is configured ({})",
                    repository.host,
                    token_variable(repository.host)
                ),
                retryable: false,
            })
        };
        listings.push((repository.clone(), listing));
    }
    for (r, b) in plan::ttl_lookups(config, sweep, &stacks, &listings) {
        let (repository, listing) = &listings[r];
        let Ok(branches) = listing else { continue };
        // A failed lookup only means this branch's age is unknown: no TTL destroy for it.
        let looked_up = ports
            .git_hosts()
            .branch(&api(repository), &branches[b].name)
            .await;
        if let Ok(BranchLookup::Exists { last_commit, .. }) = looked_up {
            if let (_, Ok(branches)) = &mut listings[r] {
                branches[b].last_commit = last_commit;
            }
        }
    }
    let observed = plan::Observed {
        event,
        stacks: &stacks,
        listings: &listings,
        now: ports.now(),
    };
    // Each planned destroy carries its teardown plan, observed as for a deletion event; a
    // failed observation only keeps that branch's stacks this sweep.
    let mut teardowns = plan::Teardowns::new();
    for branch_id in plan::teardown_lookups(config, sweep, &observed) {
        let planned = teardown::observe_among(ports.stacks(), &stacks, &branch_id).await;
        teardowns.insert(branch_id, planned);
    }
    Ok(plan::plan(config, sweep, &observed, &teardowns))
}
