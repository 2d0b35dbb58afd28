//! The sweep's decision, as a pure function of what was observed: every branch stack (by its
//! `switchyard:*` tags) and each swept repository's listing.
//!
//! - a live branch that the policy accepts and that has no pipeline stack: deploy;
//! - branch stacks whose branch is no longer listed: destroy, with the same teardown plan a
//!   deletion event's destroy carries (observed for the planned destroys, [`teardown_lookups`]);
//! - with `BRANCH_TTL_DAYS`, a live branch without a commit for that long: destroy (unless a
//!   stack of it is tagged `switchyard:keep=true`), and it is not redeployed until it changes;
//! - a branch with a stack in an `*_IN_PROGRESS` state is left alone this round.
//!
//! Fail closed: a repository whose listing failed gets no action at all; stacks whose tags do
//! not name a branch, or name one whose id is not theirs, are never destroyed; at most
//! `BRANCH_SWEEP_MAX_DESTROYS` destroys are planned and the rest are named as deferred.

use std::collections::{BTreeMap, HashMap};

use time::{Duration, OffsetDateTime};

use super::config::SweepConfig;
use super::event::SweepEvent;
use crate::branch_pipelines::decide::{branch_build, teardown_summary, BranchBuild, BuildFor};
use crate::branch_pipelines::teardown::TeardownPlan;
use crate::branch_pipelines::BranchConfig;
use crate::branch_stacks::BranchStack;
use crate::git_hosts::{LiveBranch, Repository};
use crate::idempotency;
use crate::naming::{self, BranchNames};
use crate::plan::{Decision, FunctionName, Outcome, RecordDecision};
use crate::ports::ObserveError;
use crate::refs::RefName;
use crate::sources::RefSource;
use crate::timestamps;

/// What one sweep observed.
pub struct Observed<'a> {
    pub event: &'a SweepEvent,
    pub stacks: &'a [BranchStack],
    /// Each swept repository's listing, in `BRANCH_SWEEP_REPOSITORIES` order.
    pub listings: &'a [(Repository, Result<Vec<LiveBranch>, ObserveError>)],
    pub now: OffsetDateTime,
}

/// The observed teardown plan of each branch id a planned destroy needs.
pub type Teardowns = BTreeMap<String, Result<TeardownPlan, ObserveError>>;

/// The stacks of one branch id.
struct Group<'a> {
    stacks: Vec<&'a BranchStack>,
}

impl Group<'_> {
    fn has_pipeline(&self) -> bool {
        self.stacks.iter().any(|s| s.is_pipeline)
    }

    fn keep(&self) -> bool {
        self.stacks.iter().any(|s| s.keep)
    }

    fn in_progress(&self) -> Option<&BranchStack> {
        self.stacks
            .iter()
            .copied()
            .find(|s| s.status.ends_with("_IN_PROGRESS"))
    }

    /// The (repository, branch) the tags name: the pipeline stack's first, then any stack's.
    fn tagged_branch(&self) -> Option<(&str, &str)> {
        let mut ordered: Vec<&&BranchStack> = self.stacks.iter().collect();
        ordered.sort_by_key(|s| !s.is_pipeline);
        ordered
            .iter()
            .find_map(|s| Some((s.repository.as_deref()?, s.branch.as_deref()?)))
    }

    fn names(&self) -> String {
        let names: Vec<&str> = self.stacks.iter().map(|s| s.name.as_str()).collect();
        names.join(", ")
    }
}

fn groups(stacks: &[BranchStack]) -> BTreeMap<&str, Group<'_>> {
    let mut groups: BTreeMap<&str, Group> = BTreeMap::new();
    for stack in stacks {
        groups
            .entry(stack.branch_id.as_str())
            .or_insert_with(|| Group { stacks: Vec::new() })
            .stacks
            .push(stack);
    }
    groups
}

/// When a live branch's last commit is too old for `BRANCH_TTL_DAYS`: `Some(last commit)`.
fn expired(
    sweep: &SweepConfig,
    branch: &LiveBranch,
    now: OffsetDateTime,
) -> Option<OffsetDateTime> {
    let ttl = Duration::days(i64::from(sweep.ttl_days?));
    branch.last_commit.filter(|t| now - *t > ttl)
}

/// The live branches whose commit time the TTL needs and the listing did not give: those with
/// stacks that could expire (not kept, not in progress), on hosts that report commit times.
/// The observe step asks the host for each (one call per such branch, only with a TTL). Each is
/// (listing index, branch index in that listing).
pub fn ttl_lookups(
    config: &BranchConfig,
    sweep: &SweepConfig,
    stacks: &[BranchStack],
    listings: &[(Repository, Result<Vec<LiveBranch>, ObserveError>)],
) -> Vec<(usize, usize)> {
    if sweep.ttl_days.is_none() {
        return Vec::new();
    }
    let groups = groups(stacks);
    let mut wanted = Vec::new();
    for (r, (repository, listing)) in listings.iter().enumerate() {
        let Ok(branches) = listing else { continue };
        if !repository.host.reports_commit_times() {
            continue;
        }
        for (b, branch) in branches.iter().enumerate() {
            if branch.last_commit.is_some() {
                continue;
            }
            let id = naming::branch_names(&config.prefix, &repository.name, &branch.name).branch_id;
            let stale_candidate = groups
                .get(id.as_str())
                .is_some_and(|g| !g.keep() && g.in_progress().is_none());
            if stale_candidate {
                wanted.push((r, b));
            }
        }
    }
    wanted
}

struct Destroy<'a> {
    repository: &'a Repository,
    branch: &'a str,
    names: BranchNames,
    why: String,
    head: &'a str,
}

fn record(repository: &Repository, branch: &str, decision: Decision) -> RecordDecision {
    RecordDecision {
        record: Some(format!("{repository} {branch}")),
        ..RecordDecision::whole(decision)
    }
}

/// The idempotency token of a sweep action: the same for every sweep of one window that plans
/// it for the same stack and head, so overlapping sweeps start one build.
fn token(sweep: &SweepConfig, event: &SweepEvent, verb: &str, stack: &str, head: &str) -> String {
    let window = event
        .time
        .unix_timestamp()
        .div_euclid(i64::from(sweep.window_minutes) * 60);
    idempotency::token(
        FunctionName::BranchPipelines,
        &format!("sweep\0{verb}\0{stack}\0{head}\0{window}"),
        0,
    )
}

/// Each listed repository's live branches by name (a repository whose listing failed is absent).
type Live<'a> = HashMap<&'a str, (&'a Repository, HashMap<&'a str, &'a LiveBranch>)>;

fn live_branches(listings: &[(Repository, Result<Vec<LiveBranch>, ObserveError>)]) -> Live<'_> {
    listings
        .iter()
        .filter_map(|(repository, listing)| {
            let branches = listing.as_ref().ok()?;
            let by_name = branches.iter().map(|b| (b.name.as_str(), b)).collect();
            Some((repository.name.as_str(), (repository, by_name)))
        })
        .collect()
}

/// What the branch stacks call for: the destroys (gone or expired branches, in (repository,
/// branch) order) and the branches left alone with their reasons.
fn stack_verdicts<'a>(
    config: &BranchConfig,
    sweep: &SweepConfig,
    observed: &'a Observed,
    groups: &'a BTreeMap<&'a str, Group<'a>>,
    live: &Live<'a>,
) -> (Vec<Destroy<'a>>, Vec<RecordDecision>) {
    let mut destroys: Vec<Destroy> = Vec::new();
    let mut left_alone = Vec::new();
    for (id, group) in groups {
        let Some((repository_name, branch)) = group.tagged_branch() else {
            continue;
        };
        let Some((repository, branches)) = live.get(repository_name) else {
            // Not swept (another repository, or one whose listing failed: said above).
            continue;
        };
        if let Err(e) = RefName::parse(branch) {
            left_alone.push(record(
                repository,
                &crate::text::truncate_for_message(branch),
                Decision::skip(format!(
                    "stacks {} are tagged with a branch that is not a valid ref ({e}); left alone",
                    group.names()
                )),
            ));
            continue;
        }
        let names = naming::branch_names(&config.prefix, &repository.name, branch);
        if names.branch_id != *id {
            left_alone.push(record(repository, branch, Decision::skip(format!(
                "stacks {} are tagged with branch id {id}, which is not this branch's ({}); left alone",
                group.names(), names.branch_id
            ))));
            continue;
        }
        if let Some(busy) = group.in_progress() {
            left_alone.push(record(
                repository,
                branch,
                Decision::skip(format!(
                    "stack {} is {}; left alone this round",
                    busy.name, busy.status
                )),
            ));
            continue;
        }
        match branches.get(branch) {
            None => destroys.push(Destroy {
                repository,
                branch,
                why: format!("{repository} no longer has this branch"),
                names,
                head: "gone",
            }),
            Some(live_branch) => {
                if let Some(last) = expired(sweep, live_branch, observed.now) {
                    if group.keep() {
                        continue;
                    }
                    destroys.push(Destroy {
                        repository,
                        branch,
                        why: format!(
                            "no commit since {} (more than BRANCH_TTL_DAYS={} days)",
                            timestamps::format(last),
                            sweep.ttl_days.unwrap_or_default()
                        ),
                        names,
                        head: live_branch.head.as_deref().unwrap_or(""),
                    });
                }
            }
        }
    }

    destroys.sort_by(|a, b| (a.repository, a.branch).cmp(&(b.repository, b.branch)));
    (destroys, left_alone)
}

/// The branch ids whose teardown plan the planned destroys need (at most
/// `BRANCH_SWEEP_MAX_DESTROYS`): the observe step plans each from the stacks it listed and who
/// imports their exports, exactly as for a deletion event.
pub fn teardown_lookups(
    config: &BranchConfig,
    sweep: &SweepConfig,
    observed: &Observed,
) -> Vec<String> {
    let groups = groups(observed.stacks);
    let live = live_branches(observed.listings);
    let (destroys, _) = stack_verdicts(config, sweep, observed, &groups, &live);
    destroys
        .into_iter()
        .take(sweep.max_destroys)
        .map(|d| d.names.branch_id)
        .collect()
}

/// The sweep's plan: one record per planned action, per repository that could not be listed,
/// per branch left alone and per deferred destroy, after one summary record. `teardowns` holds the
/// observed teardown plan of each branch id [`teardown_lookups`] named; a destroy without one
/// tears nothing down.
pub fn plan(
    config: &BranchConfig,
    sweep: &SweepConfig,
    observed: &Observed,
    teardowns: &Teardowns,
) -> Vec<RecordDecision> {
    let groups = groups(observed.stacks);
    let live = live_branches(observed.listings);
    let (destroys, mut left_alone) = stack_verdicts(config, sweep, observed, &groups, &live);
    let mut deploys = Vec::new();
    let mut failed = Vec::new();
    let mut live_count = 0;
    for (repository, listing) in observed.listings {
        match listing {
            Ok(branches) => live_count += branches.len(),
            Err(e) => failed.push(RecordDecision {
                record: Some(repository.to_string()),
                ..RecordDecision::whole(Decision::skip(format!(
                    "listing the branches of {repository} failed, so nothing is destroyed or deployed for it this sweep: {e}"
                )))
            }),
        }
    }

    // Live branches without a pipeline stack.
    for (repository, listing) in observed.listings {
        let Ok(branches) = listing else { continue };
        for branch in branches {
            if branch.name == config.default_branch || config.filter.check(&branch.name).is_err() {
                continue;
            }
            // Listed names are untrusted input like an event's: only a valid ref reaches a build.
            if let Err(e) = RefName::parse(&branch.name) {
                left_alone.push(record(
                    repository,
                    &crate::text::truncate_for_message(&branch.name),
                    Decision::skip(format!(
                        "the host listed a branch that is not a valid ref ({e}); left alone"
                    )),
                ));
                continue;
            }
            let names = naming::branch_names(&config.prefix, &repository.name, &branch.name);
            let group = groups.get(names.branch_id.as_str());
            if group.is_some_and(|g| g.has_pipeline() || g.in_progress().is_some()) {
                continue;
            }
            if expired(sweep, branch, observed.now).is_some() {
                continue;
            }
            let head = branch.head.as_deref();
            let build = branch_build(
                config,
                BranchBuild::Deploy,
                &BuildFor {
                    repository: &repository.name,
                    branch: &branch.name,
                    commit: head,
                    source: RefSource::of_host(repository.host),
                },
                &names,
                token(
                    sweep,
                    observed.event,
                    "deploy",
                    &names.stack,
                    head.unwrap_or(""),
                ),
            );
            deploys.push(record(
                repository,
                &branch.name,
                Decision::act(
                    format!(
                        "live branch without a pipeline stack: create pipeline stack {}",
                        names.stack
                    ),
                    vec![build.into()],
                ),
            ));
        }
    }

    let deferred = destroys.len().saturating_sub(sweep.max_destroys);
    let mut destroy_records = Vec::with_capacity(destroys.len());
    for (i, d) in destroys.iter().enumerate() {
        let decision = if i < sweep.max_destroys {
            match teardowns.get(&d.names.branch_id) {
                Some(Ok(teardown)) => {
                    let build = branch_build(
                        config,
                        BranchBuild::Destroy { teardown },
                        &BuildFor {
                            repository: &d.repository.name,
                            branch: d.branch,
                            commit: None,
                            source: RefSource::of_host(d.repository.host),
                        },
                        &d.names,
                        token(sweep, observed.event, "destroy", &d.names.stack, d.head),
                    );
                    Decision::act(
                        format!("{}: {}", d.why, teardown_summary(&d.names, teardown)),
                        vec![build.into()],
                    )
                }
                Some(Err(e)) => Decision::skip(format!(
                    "{}, but its teardown plan could not be observed, so nothing is torn down this sweep: {e}",
                    d.why
                )),
                None => Decision::skip(format!(
                    "{}, but no teardown plan was observed for it, so nothing is torn down this sweep",
                    d.why
                )),
            }
        } else {
            Decision::skip(format!(
                "{}, but this sweep already plans BRANCH_SWEEP_MAX_DESTROYS={} destroys; deferred to the next sweep",
                d.why, sweep.max_destroys
            ))
        };
        destroy_records.push(record(d.repository, d.branch, decision));
    }

    let planned_destroys = destroy_records
        .iter()
        .filter(|r| r.decision.outcome == Outcome::Acted)
        .count();
    let summary = format!(
        "swept {} of {} repositories ({} live branches, {} branch stacks of {} branches): {} deploys and {} destroys planned{}{}",
        live.len(),
        observed.listings.len(),
        live_count,
        observed.stacks.len(),
        groups.len(),
        deploys.len(),
        planned_destroys,
        if deferred > 0 { format!(", {deferred} destroys deferred by BRANCH_SWEEP_MAX_DESTROYS") } else { String::new() },
        if failed.is_empty() { String::new() } else { format!(", {} repositories not listed", failed.len()) },
    );
    let mut records = vec![RecordDecision {
        record: Some("sweep".into()),
        ..RecordDecision::whole(Decision::skip(summary))
    }];
    records.extend(failed);
    records.extend(destroy_records);
    records.extend(left_alone);
    records.extend(deploys);
    records
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::codebuild::StartBuild;
    use crate::branch_pipelines::teardown;
    use crate::branch_pipelines::testing::{config, env, start_build};
    use crate::git_hosts::GitHost;

    const HEAD: &str = "4c1e7d0b9a8f7e6d5c4b3a29182736455463728a";

    fn sweep_config(max_destroys: usize, ttl_days: Option<u32>) -> SweepConfig {
        SweepConfig {
            repositories: vec![repo()],
            max_destroys,
            ttl_days,
            window_minutes: 30,
        }
    }

    fn repo() -> Repository {
        Repository {
            host: GitHost::GitHub,
            name: "acme/app".into(),
        }
    }

    fn at(text: &str) -> OffsetDateTime {
        timestamps::parse("t", text).unwrap()
    }

    fn event(time: &str) -> SweepEvent {
        SweepEvent {
            time: at(time),
            execution_id: "e1".into(),
        }
    }

    /// The pipeline stack and one environment stack of a branch, tagged as the deployer does.
    fn stacks_of(branch: &str, status: &str) -> Vec<BranchStack> {
        let names = naming::branch_names(&config().prefix, "acme/app", branch);
        let stack = |name: String, is_pipeline: bool| BranchStack {
            name,
            status: status.into(),
            repository: Some("acme/app".into()),
            branch: Some(branch.into()),
            branch_id: names.branch_id.clone(),
            is_pipeline,
            pipeline: is_pipeline.then(|| names.pipeline.clone()),
            keep: false,
            created: OffsetDateTime::UNIX_EPOCH,
            last_updated: None,
            exports: Vec::new(),
            termination_protection: false,
        };
        vec![
            stack(names.stack.clone(), true),
            stack(format!("{}api", names.environment_prefix), false),
        ]
    }

    fn live(name: &str, last_commit: Option<&str>) -> LiveBranch {
        LiveBranch {
            name: name.into(),
            head: Some(HEAD.into()),
            last_commit: last_commit.map(at),
        }
    }

    fn run(
        sweep: &SweepConfig,
        stacks: &[BranchStack],
        listing: Result<Vec<LiveBranch>, ObserveError>,
        time: &str,
    ) -> Vec<RecordDecision> {
        let listings = [(repo(), listing)];
        let event = event(time);
        let observed = Observed {
            event: &event,
            stacks,
            listings: &listings,
            now: at(time),
        };
        // No stack here exports anything: each plan is the branch's stacks, in name order.
        let teardowns = teardown_lookups(&config(), sweep, &observed)
            .into_iter()
            .map(|id| {
                let mine: Vec<BranchStack> = stacks
                    .iter()
                    .filter(|s| s.branch_id == id)
                    .cloned()
                    .collect();
                (id, Ok(teardown::plan(&mine, &BTreeMap::new())))
            })
            .collect();
        plan(&config(), sweep, &observed, &teardowns)
    }

    fn build(r: &RecordDecision) -> &StartBuild {
        start_build(&r.decision)
    }

    fn acted(records: &[RecordDecision]) -> Vec<&RecordDecision> {
        records
            .iter()
            .filter(|r| r.decision.outcome == Outcome::Acted)
            .collect()
    }

    const NOW: &str = "2026-11-20T10:00:00Z";

    #[test]
    fn orphans_are_destroyed_and_branches_without_a_pipeline_deployed() {
        let mut stacks = stacks_of("feature/gone", "CREATE_COMPLETE");
        stacks.extend(stacks_of("feature/kept", "UPDATE_COMPLETE"));
        let listing = vec![
            live("main", None),
            live("feature/kept", None),
            live("feature/new", None),
            live("feature/wip-x", None),
            live("hotfix/y", None),
        ];
        let records = run(&sweep_config(5, None), &stacks, Ok(listing), NOW);
        let acted = acted(&records);
        assert_eq!(acted.len(), 2, "{records:#?}");
        let destroy = build(acted[0]);
        assert_eq!(
            acted[0].record.as_deref(),
            Some("github:acme/app feature/gone")
        );
        assert_eq!(destroy.project_name, "destroyer");
        assert_eq!(env(destroy, "BRANCH_NAME"), "feature/gone");
        assert_eq!(env(destroy, "SOURCE_PROVIDER"), "github");
        // The same teardown plan a deletion event's destroy carries.
        let gone = naming::branch_names(&config().prefix, "acme/app", "feature/gone");
        let api = format!("{}api", gone.environment_prefix);
        assert_eq!(env(destroy, "TEARDOWN_STACKS"), api);
        assert_eq!(env(destroy, "BRANCH_ID"), gone.branch_id);
        assert!(
            acted[0]
                .decision
                .reason
                .contains(&format!("1 environment stack(s) in this order: {api}")),
            "{}",
            acted[0].decision.reason
        );
        let deploy = build(acted[1]);
        assert_eq!(
            acted[1].record.as_deref(),
            Some("github:acme/app feature/new")
        );
        assert_eq!(deploy.project_name, "deployer");
        assert_eq!(env(deploy, "COMMIT_ID"), HEAD);
        // The default branch, an excluded one and one outside the includes: no record at all.
        for r in &records {
            let record = r.record.as_deref().unwrap_or("");
            assert!(
                !record.ends_with(" main") && !record.contains("wip") && !record.contains("hotfix"),
                "{record}"
            );
        }
        assert!(
            records[0]
                .decision
                .reason
                .contains("1 deploys and 1 destroys planned"),
            "{}",
            records[0].decision.reason
        );
    }

    #[test]
    fn a_failed_listing_destroys_and_deploys_nothing() {
        let stacks = stacks_of("feature/gone", "CREATE_COMPLETE");
        let failed = Err(ObserveError {
            operation: "GitHub ListBranches",
            message: "acme/app: GitHub rate limit reached".into(),
            retryable: true,
        });
        let records = run(&sweep_config(5, None), &stacks, failed, NOW);
        assert!(acted(&records).is_empty(), "{records:#?}");
        let why = &records[1].decision.reason;
        assert!(
            why.contains("nothing is destroyed") && why.contains("rate limit"),
            "{why}"
        );
    }

    #[test]
    fn a_destroy_whose_teardown_plan_failed_tears_nothing_down() {
        let stacks = stacks_of("feature/gone", "CREATE_COMPLETE");
        let listings = [(repo(), Ok(vec![]))];
        let event = event(NOW);
        let observed = Observed {
            event: &event,
            stacks: &stacks,
            listings: &listings,
            now: at(NOW),
        };
        let ids = teardown_lookups(&config(), &sweep_config(5, None), &observed);
        assert_eq!(ids, [stacks[0].branch_id.clone()]);
        let failed: Teardowns = ids
            .into_iter()
            .map(|id| {
                let e = ObserveError {
                    operation: "ListImports",
                    message: "throttled".into(),
                    retryable: true,
                };
                (id, Err(e))
            })
            .collect();
        let records = plan(&config(), &sweep_config(5, None), &observed, &failed);
        assert!(acted(&records).is_empty(), "{records:#?}");
        assert!(
            records[1]
                .decision
                .reason
                .contains("teardown plan could not be observed"),
            "{records:#?}"
        );
        assert!(records[0].decision.reason.contains("0 destroys planned"));
    }

    #[test]
    fn the_destroy_cap_defers_the_rest() {
        let stacks: Vec<BranchStack> = (0..8)
            .flat_map(|i| stacks_of(&format!("feature/orphan-{i}"), "CREATE_COMPLETE"))
            .collect();
        let records = run(&sweep_config(5, None), &stacks, Ok(vec![]), NOW);
        assert_eq!(acted(&records).len(), 5);
        let deferred: Vec<_> = records
            .iter()
            .filter(|r| r.decision.reason.contains("deferred to the next sweep"))
            .collect();
        assert_eq!(deferred.len(), 3);
        assert!(
            records[0].decision.reason.contains("3 destroys deferred"),
            "{}",
            records[0].decision.reason
        );
    }

    #[test]
    fn busy_and_mistagged_stacks_are_left_alone() {
        let mut stacks = stacks_of("feature/busy", "UPDATE_IN_PROGRESS");
        let mut forged = stacks_of("feature/other", "CREATE_COMPLETE");
        for s in &mut forged {
            s.branch = Some("feature/victim".into());
        }
        stacks.extend(forged);
        let records = run(
            &sweep_config(5, None),
            &stacks,
            Ok(vec![live("feature/busy", None)]),
            NOW,
        );
        assert!(acted(&records).is_empty(), "{records:#?}");
        assert!(records
            .iter()
            .any(|r| r.decision.reason.contains("UPDATE_IN_PROGRESS; left alone")));
        assert!(records
            .iter()
            .any(|r| r.decision.reason.contains("not this branch's")));
    }

    #[test]
    fn the_ttl_destroys_stale_branches_unless_kept_and_does_not_redeploy_them() {
        let mut stacks = stacks_of("feature/stale", "CREATE_COMPLETE");
        let mut kept = stacks_of("feature/kept", "CREATE_COMPLETE");
        kept[0].keep = true;
        stacks.extend(kept);
        let listing = vec![
            live("feature/stale", Some("2026-10-01T00:00:00Z")),
            live("feature/kept", Some("2026-10-01T00:00:00Z")),
            live("feature/stale-no-stack", Some("2026-10-01T00:00:00Z")),
        ];
        let records = run(
            &sweep_config(5, Some(14)),
            &stacks,
            Ok(listing.clone()),
            NOW,
        );
        let acted = acted(&records);
        assert_eq!(acted.len(), 1, "{records:#?}");
        assert_eq!(
            acted[0].record.as_deref(),
            Some("github:acme/app feature/stale")
        );
        assert!(acted[0].decision.reason.contains("BRANCH_TTL_DAYS=14"));
        // Without a TTL, the same world only deploys the branch that has no stack.
        let records = run(&sweep_config(5, None), &stacks, Ok(listing), NOW);
        assert_eq!(self::acted(&records).len(), 1);
        assert_eq!(
            self::acted(&records)[0].record.as_deref(),
            Some("github:acme/app feature/stale-no-stack")
        );
    }

    #[test]
    fn tokens_are_shared_within_a_sweep_window_only() {
        let stacks = stacks_of("feature/gone", "CREATE_COMPLETE");
        let token = |time: &str| {
            let records = run(&sweep_config(5, None), &stacks, Ok(vec![]), time);
            build(acted(&records)[0]).idempotency_token.clone()
        };
        assert_eq!(token("2026-11-20T10:00:00Z"), token("2026-11-20T10:29:59Z"));
        assert_ne!(token("2026-11-20T10:00:00Z"), token("2026-11-20T10:30:00Z"));
    }

    #[test]
    fn listed_names_that_are_not_refs_start_nothing() {
        let listing = vec![
            live("feature/\u{202e}gpj.exe", None),
            live("feature/a\nb", None),
        ];
        let records = run(&sweep_config(5, None), &[], Ok(listing), NOW);
        assert!(acted(&records).is_empty(), "{records:#?}");
        assert_eq!(
            records
                .iter()
                .filter(|r| r.decision.reason.contains("not a valid ref"))
                .count(),
            2
        );
    }

    #[test]
    fn ttl_lookups_ask_only_for_branches_that_could_expire() {
        let stacks = stacks_of("feature/a", "CREATE_COMPLETE");
        let listings = [(
            repo(),
            Ok(vec![live("feature/a", None), live("feature/b", None)]),
        )];
        assert!(ttl_lookups(&config(), &sweep_config(5, None), &stacks, &listings).is_empty());
        assert_eq!(
            ttl_lookups(&config(), &sweep_config(5, Some(7)), &stacks, &listings),
            [(0, 0)]
        );
    }
}
