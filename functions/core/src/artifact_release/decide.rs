use super::observe::{Comparison, Observation};
use super::pin;
use super::ports::FlinkApplication;
use super::route::{Matched, Pin, Resolved};
use super::rules::{FlinkRestore, RevisionKind, Target};
use crate::actions::codebuild::{EnvironmentVariable, StartBuild};
use crate::actions::codepipeline::{
    PipelineVariable, SourceRevisionOverride, StartPipelineExecution,
};
use crate::actions::kinesisanalyticsv2::{
    ApplicationCodeConfigurationUpdate, ApplicationConfigurationUpdate,
    ApplicationRestoreConfiguration, CodeContentUpdate, FlinkFollowUp, FlinkRunConfiguration,
    RunConfiguration, S3ContentLocationUpdate, UpdateApplication,
};
use crate::actions::lambda::{LambdaFollowUp, PublishVersion, UpdateFunctionCode};
use crate::deadline::{Deadline, WaitUntil};
use crate::plan::{Action, Decision};
use crate::ports::ObserveError;

/// CodePipeline's limit on a variable value.
const MAX_PIPELINE_VARIABLE_VALUE: usize = 1000;

/// The whole policy of `artifact-release` for one matched object, given what its target runs,
/// as a pure function. `deadline` bounds how long the act step follows a Flink operation or
/// waits for a Lambda update. `Err`: the target is busy (a Flink application in the middle of
/// another operation), which a later attempt of the event gets past.
pub fn decide(
    matched: &Matched,
    observation: &Observation,
    deadline: Option<Deadline>,
) -> Result<Decision, ObserveError> {
    let version = matched.pin.version();
    match observation.comparison() {
        Some(Comparison::Same) => {
            return Ok(Decision::skip(matched.reason(format_args!(
                "already running version {}",
                version.unwrap_or("(none)")
            ))))
        }
        Some(Comparison::NotNewer { deployed, why }) => {
            return Ok(Decision::skip(matched.reason(format_args!(
                "version {} is older than deployed version {deployed} ({why}): never rolled back",
                version.unwrap_or("(none)")
            ))))
        }
        Some(Comparison::Gone) => {
            return Ok(Decision::skip(matched.reason(format_args!(
                "version {} no longer exists (deleted since the upload)",
                version.unwrap_or("(none)")
            ))))
        }
        Some(Comparison::Unrelated | Comparison::Newer { .. }) | None => {}
    }
    if let Observation::Missing(what) = observation {
        return Ok(Decision::invalid(
            matched.reason(format_args!("{what} does not exist")),
        ));
    }
    let pinned = match (matched.pin, observation.comparison()) {
        (Pin::Version(v), Some(Comparison::Newer { deployed })) => {
            format!("pinned to version id {v} (newer than deployed version {deployed})")
        }
        (Pin::Version(v), _) => format!("pinned to version id {v}"),
        (Pin::KeyOnly, _) => {
            "pinned to the key only: the object has no version id (unversioned: key)".to_owned()
        }
    };
    if let Observation::Flink { application, .. } = observation {
        if !matches!(application.status.as_str(), "RUNNING" | "READY") {
            return Err(ObserveError {
                operation: "DescribeApplication",
                message: matched.reason(format_args!(
                    "the application is {}: another operation is under way; a later attempt deploys version {} once it is READY or RUNNING",
                    application.status,
                    version.unwrap_or("(none)")
                )),
                retryable: true,
            });
        }
    }
    let action = match action(matched, observation, deadline) {
        Ok(action) => action,
        Err(decision) => return Ok(decision),
    };
    let guard = match observation {
        Observation::Lambda { alias: None } => {
            " (no alias: what the function runs is not recorded, so nothing guards against an older version)"
        }
        _ => "",
    };
    Ok(Decision::act(
        matched.reason(format_args!("{pinned}{guard}")),
        vec![action],
    ))
}

/// The values every pipeline and build receives: the rule's variables, then the built-ins.
fn values(matched: &Matched) -> Vec<(String, String)> {
    let object = matched.object;
    let mut values: Vec<(String, String)> = matched
        .rule
        .variables
        .iter()
        .map(|(name, template)| (name.clone(), template.render(&matched.captures)))
        .collect();
    values.push(("BUCKET".into(), object.bucket.clone()));
    values.push(("KEY".into(), object.key.clone()));
    if let Pin::Version(version) = matched.pin {
        values.push(("VERSION_ID".into(), version.to_owned()));
    }
    if let Some(etag) = object.etag.as_deref().map(|e| e.trim_matches('"')) {
        values.push(("ETAG".into(), etag.to_owned()));
    }
    values
}

/// The one call the plan makes for the matched target (its follow-up calls inside).
fn action(
    matched: &Matched,
    observation: &Observation,
    deadline: Option<Deadline>,
) -> Result<Action, Decision> {
    let object = matched.object;
    // Flink and Lambda rules refuse `unversioned: key` (rules validation): they have a version.
    let version = matched.pin.version().unwrap_or_default();
    Ok(match (&matched.rule.target, &matched.target, observation) {
        (
            Target::Pipeline {
                source_action,
                revision,
                ..
            },
            Resolved::Pipeline { name },
            _,
        ) => start_pipeline(matched, name, source_action, *revision)?,
        (Target::Build { .. }, Resolved::Build { project }, _) => Action::from(StartBuild {
            project_name: project.clone(),
            source_version: match matched.pin {
                Pin::Version(version) => Some(version.to_owned()),
                Pin::KeyOnly => None,
            },
            environment_variables_override: values(matched)
                .into_iter()
                .map(|(name, value)| EnvironmentVariable::plaintext(name, value))
                .collect(),
            idempotency_token: matched.token.clone(),
        }),
        (
            Target::Flink {
                restore,
                allow_non_restored_state,
                start,
                rollback,
                ..
            },
            Resolved::Flink {
                application,
                snapshot,
            },
            Observation::Flink {
                application: running,
                ..
            },
        ) => {
            let run = RunConfiguration {
                flink_run_configuration: FlinkRunConfiguration {
                    allow_non_restored_state: *allow_non_restored_state,
                },
                application_restore_configuration: ApplicationRestoreConfiguration {
                    application_restore_type: match restore {
                        FlinkRestore::Latest => "RESTORE_FROM_LATEST_SNAPSHOT",
                        FlinkRestore::Skip => "SKIP_RESTORE_FROM_SNAPSHOT",
                        FlinkRestore::Named(_) => "RESTORE_FROM_CUSTOM_SNAPSHOT",
                    },
                    snapshot_name: snapshot.clone(),
                },
            };
            Action::from(update_flink(
                matched,
                application,
                running,
                run,
                (*start, *rollback),
                deadline,
            ))
        }
        (Target::Lambda { .. }, Resolved::Lambda { function, alias }, _) => {
            Action::from(UpdateFunctionCode {
                function_name: function.clone(),
                s3_bucket: object.bucket.clone(),
                s3_key: object.key.clone(),
                s3_object_version: version.to_owned(),
                then: LambdaFollowUp {
                    publish_version: PublishVersion {
                        code_sha256: PublishVersion::FROM_UPDATE,
                        description: pin::describe(&object.bucket, &object.key, version),
                    },
                    update_alias: alias.clone(),
                },
                wait_until: WaitUntil::new(deadline),
            })
        }
        _ => unreachable!("route resolves the rule's own target, observed as itself"),
    })
}

fn start_pipeline(
    matched: &Matched,
    pipeline: &str,
    source_action: &str,
    revision: RevisionKind,
) -> Result<Action, Decision> {
    let values = values(matched);
    if let Some((name, _)) = values
        .iter()
        .find(|(_, v)| v.is_empty() || v.chars().count() > MAX_PIPELINE_VARIABLE_VALUE)
    {
        return Err(Decision::invalid(format!(
            "{}: pipeline variable {name} would be empty or longer than {MAX_PIPELINE_VARIABLE_VALUE} characters",
            matched.location
        )));
    }
    let revision_of = |kind: &'static str, value: &str| SourceRevisionOverride {
        action_name: source_action.to_owned(),
        revision_type: kind,
        revision_value: value.to_owned(),
    };
    let key = &matched.object.key;
    let source_revisions = match (revision, matched.pin) {
        (RevisionKind::VersionId, Pin::Version(v)) => {
            vec![revision_of("S3_OBJECT_VERSION_ID", v)]
        }
        (RevisionKind::Key, Pin::Version(v)) => vec![
            revision_of("S3_OBJECT_KEY", key),
            revision_of("S3_OBJECT_VERSION_ID", v),
        ],
        (_, Pin::KeyOnly) => vec![revision_of("S3_OBJECT_KEY", key)],
    };
    Ok(Action::from(StartPipelineExecution {
        name: pipeline.to_owned(),
        variables: values
            .into_iter()
            .map(|(name, value)| PipelineVariable { name, value })
            .collect(),
        source_revisions,
        client_request_token: matched.token.clone(),
    }))
}

/// `UpdateApplication` for the application as observed: a RUNNING one restarts on the new code
/// with the rule's snapshot policy; a READY one is updated and, if the rule says so, started
/// with it.
/// `(start, rollback)`: the rule's follow-up switches.
fn update_flink(
    matched: &Matched,
    application: &str,
    running: &FlinkApplication,
    run: RunConfiguration,
    (start, rollback): (bool, bool),
    deadline: Option<Deadline>,
) -> UpdateApplication {
    let object = matched.object;
    let version = matched.pin.version().unwrap_or_default();
    let is_running = running.status == "RUNNING";
    UpdateApplication {
        application_name: application.to_owned(),
        conditional_token: running.conditional_token.clone(),
        current_application_version_id: running
            .conditional_token
            .is_none()
            .then_some(running.version_id),
        application_configuration_update: ApplicationConfigurationUpdate {
            application_code_configuration_update: ApplicationCodeConfigurationUpdate {
                code_content_update: CodeContentUpdate {
                    s3_content_location_update: S3ContentLocationUpdate {
                        bucket_arn_update: pin::bucket_arn(&running.partition, &object.bucket),
                        file_key_update: object.key.clone(),
                        object_version_update: version.to_owned(),
                    },
                },
            },
        },
        then: FlinkFollowUp {
            start_application: (!is_running && start).then(|| run.clone()),
            describe_application_operation: FlinkFollowUp::FOLLOW,
            rollback_application_on_failure: rollback,
        },
        run_configuration_update: is_running.then_some(run),
        follow_until: WaitUntil::new(deadline),
    }
}

#[cfg(test)]
mod tests {
    use super::super::route::route;
    use super::super::rules::Rules;
    use super::*;
    use crate::plan::Outcome;
    use crate::sources::s3::ObjectEvent;
    use crate::sources::s3::S3Form;

    const DOC: &str = r#"
rules:
  - name: connector-plugins
    bucket: acme-artifacts
    key: connectors/{name}/{version}/plugin.zip
    pipeline: {name: deploy-connector, source_action: Artifact}
  - name: sites
    bucket: acme-artifacts
    key: sites/{site}/{release}.zip
    pipeline: {name: publish-site, source_action: Site, revision: key}
  - name: apps
    bucket: acme-artifacts
    key: apps/{app}/{app}-{version}.jar
    build: {project: "deploy-{app}"}
    variables: {APP: "{app}", APP_VERSION: "{version}"}
  - name: legacy
    bucket: acme-legacy
    key: legacy/{app}.zip
    unversioned: key
    build: {project: legacy-deployer}
"#;

    /// Routes and decides with nothing observed (pipelines that never ran, builds).
    fn decide(object: &ObjectEvent, rules: &Rules) -> Decision {
        match route(object, rules) {
            Err(decision) => decision,
            Ok(matched) => super::decide(&matched, &Observation::Unread, None).unwrap(),
        }
    }

    fn rules() -> Rules {
        Rules::parse(DOC).unwrap()
    }

    fn object(bucket: &str, key: &str, version: Option<&str>) -> ObjectEvent {
        ObjectEvent {
            form: S3Form::Notification,
            event_name: "ObjectCreated:Put".into(),
            created: true,
            bucket: bucket.into(),
            key: key.into(),
            size: Some(42),
            etag: Some("\"d41d8cd98f00b204e9800998ecf8427e\"".into()),
            version_id: version.map(str::to_owned),
            sequencer: Some("0062E99A88DC407460".into()),
        }
    }

    fn pipeline(d: &Decision) -> &StartPipelineExecution {
        match d.actions.as_slice() {
            [Action::StartPipelineExecution(p)] => p,
            other => panic!(
                "expected one StartPipelineExecution, got {other:?}: {}",
                d.reason
            ),
        }
    }

    fn build(d: &Decision) -> &StartBuild {
        match d.actions.as_slice() {
            [Action::StartBuild(b)] => b,
            other => panic!("expected one StartBuild, got {other:?}: {}", d.reason),
        }
    }

    fn var<'a>(p: &'a StartPipelineExecution, name: &str) -> Option<&'a str> {
        p.variables
            .iter()
            .find(|v| v.name == name)
            .map(|v| v.value.as_str())
    }

    fn env<'a>(b: &'a StartBuild, name: &str) -> Option<&'a str> {
        b.environment_variables_override
            .iter()
            .find(|v| v.name == name)
            .map(|v| v.value.as_str())
    }

    #[test]
    fn connector_plugin_starts_its_pipeline_pinned_to_the_version() {
        let key = "connectors/debezium-postgres/2.7.1/plugin.zip";
        let d = decide(&object("acme-artifacts", key, Some("v-1")), &rules());
        assert_eq!(d.outcome, Outcome::Acted, "{}", d.reason);
        let p = pipeline(&d);
        assert_eq!(p.name, "deploy-connector");
        assert_eq!(p.source_revisions.len(), 1);
        assert_eq!(p.source_revisions[0].action_name, "Artifact");
        assert_eq!(p.source_revisions[0].revision_type, "S3_OBJECT_VERSION_ID");
        assert_eq!(p.source_revisions[0].revision_value, "v-1");
        assert_eq!(var(p, "name"), Some("debezium-postgres"));
        assert_eq!(var(p, "version"), Some("2.7.1"));
        assert_eq!(var(p, "BUCKET"), Some("acme-artifacts"));
        assert_eq!(var(p, "KEY"), Some(key));
        assert_eq!(var(p, "VERSION_ID"), Some("v-1"));
        assert_eq!(var(p, "ETAG"), Some("d41d8cd98f00b204e9800998ecf8427e"));
        assert!(
            d.reason.contains("rule \"connector-plugins\" (rules[0])"),
            "{}",
            d.reason
        );
        assert!(d.reason.contains("pinned to version id v-1"));
    }

    #[test]
    fn key_revision_sends_key_and_version() {
        let d = decide(
            &object("acme-artifacts", "sites/docs/r 7.zip", Some("v9")),
            &rules(),
        );
        let p = pipeline(&d);
        let kinds: Vec<_> = p
            .source_revisions
            .iter()
            .map(|r| (r.revision_type, r.revision_value.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("S3_OBJECT_KEY", "sites/docs/r 7.zip"),
                ("S3_OBJECT_VERSION_ID", "v9")
            ]
        );
    }

    #[test]
    fn app_jar_starts_its_build_with_the_values_as_environment() {
        let d = decide(
            &object(
                "acme-artifacts",
                "apps/payments/payments-2.4.0+build.7.jar",
                Some("v2"),
            ),
            &rules(),
        );
        let b = build(&d);
        assert_eq!(b.project_name, "deploy-payments");
        assert_eq!(b.source_version.as_deref(), Some("v2"));
        assert_eq!(env(b, "APP"), Some("payments"));
        assert_eq!(env(b, "APP_VERSION"), Some("2.4.0+build.7"));
        assert_eq!(
            env(b, "KEY"),
            Some("apps/payments/payments-2.4.0+build.7.jar")
        );
        assert_eq!(
            env(b, "app"),
            None,
            "declared variables replace the default captures"
        );
    }

    #[test]
    fn same_object_same_token_other_version_other_token() {
        let r = rules();
        let key = "apps/payments/payments-2.4.0.jar";
        let a = build(&decide(&object("acme-artifacts", key, Some("v1")), &r))
            .idempotency_token
            .clone();
        let b = build(&decide(&object("acme-artifacts", key, Some("v1")), &r))
            .idempotency_token
            .clone();
        let c = build(&decide(&object("acme-artifacts", key, Some("v2")), &r))
            .idempotency_token
            .clone();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let mut eventbridge = object("acme-artifacts", key, Some("v1"));
        eventbridge.form = S3Form::EventBridge;
        eventbridge.sequencer = None;
        assert_eq!(
            build(&decide(&eventbridge, &r)).idempotency_token,
            a,
            "both forms of one upload dedupe"
        );
    }

    #[test]
    fn unversioned_objects_are_refused_or_pinned_to_the_key() {
        let refused = decide(&object("acme-artifacts", "apps/p/p-1.jar", None), &rules());
        assert_eq!(
            refused.outcome,
            Outcome::Rejected(crate::plan::RejectKind::Invalid)
        );
        assert!(
            refused.reason.contains("unversioned: refuse"),
            "{}",
            refused.reason
        );
        let keyed = decide(&object("acme-legacy", "legacy/billing.zip", None), &rules());
        let b = build(&keyed);
        assert_eq!(b.source_version, None);
        assert_eq!(env(b, "VERSION_ID"), None);
        assert!(
            keyed.reason.contains("pinned to the key only"),
            "{}",
            keyed.reason
        );
        let mut no_sequencer = object("acme-legacy", "legacy/billing.zip", None);
        no_sequencer.sequencer = None;
        assert!(decide(&no_sequencer, &rules()).is_rejected());
    }

    #[test]
    fn skips_say_why() {
        let r = rules();
        let mut removed = object("acme-artifacts", "apps/p/p-1.jar", Some("v"));
        removed.created = false;
        removed.event_name = "ObjectRemoved:Delete".into();
        let mut empty = object("acme-artifacts", "apps/p/p-1.jar", Some("v"));
        empty.size = Some(0);
        let cases = [
            (
                object("acme-artifacts", "connectors/x/1.0/", Some("v")),
                "folder marker",
            ),
            (empty, "zero-byte"),
            (
                object("acme-artifacts", "tmp/scratch.txt", Some("v")),
                "matches no rule",
            ),
            (
                object("acme-other", "apps/p/p-1.jar", Some("v")),
                "matches no rule",
            ),
            (removed, "not an object creation"),
        ];
        for (o, why) in cases {
            let d = decide(&o, &r);
            assert_eq!(d.outcome, Outcome::Skipped, "{o:?}");
            assert!(d.reason.contains(why), "{}", d.reason);
        }
    }

    #[test]
    fn rendered_names_are_checked() {
        let d = decide(
            &object("acme-artifacts", "apps/pay;rm/pay;rm-1.jar", Some("v")),
            &rules(),
        );
        assert!(d.is_rejected());
        assert!(d.reason.contains("not valid"), "{}", d.reason);
    }
}
