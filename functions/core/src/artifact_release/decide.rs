use super::rules::{RevisionKind, Rule, Rules, Target, UnversionedPolicy};
use crate::actions::codebuild::{EnvironmentVariable, StartBuild};
use crate::actions::codepipeline::{
    PipelineVariable, SourceRevisionOverride, StartPipelineExecution,
};
use crate::idempotency;
use crate::naming;
use crate::plan::{Action, Decision, FunctionName};
use crate::sources::s3::ObjectEvent;
use crate::text::truncate_for_message;

/// CodePipeline's limit on a variable value.
const MAX_PIPELINE_VARIABLE_VALUE: usize = 1000;

/// What the deployment is pinned to.
enum Pin<'a> {
    Version(&'a str),
    /// Unversioned bucket and `unversioned: key`: the key is all there is.
    KeyOnly,
}

/// The whole policy of `artifact-release` for one object, as a pure function.
pub fn decide(object: &ObjectEvent, rules: &Rules) -> Decision {
    let location = format!(
        "s3://{}/{}",
        object.bucket,
        truncate_for_message(&object.key)
    );
    if !object.created {
        return Decision::skip(format!(
            "{location}: {} is not an object creation",
            object.event_name
        ));
    }
    if object.key.ends_with('/') {
        return Decision::skip(format!("{location} is a folder marker"));
    }
    if object.size == Some(0) {
        return Decision::skip(format!("{location} is a zero-byte object"));
    }
    let (rule, captures) = match rules.first_match(&object.bucket, &object.key) {
        Ok(Some(found)) => found,
        Ok(None) => return Decision::skip(format!("{location} matches no rule")),
        Err((rule, e)) => return Decision::invalid(format!("{location}: {}: {e}", rule.label())),
    };
    let pin = match (object.version_id.as_deref(), rule.unversioned) {
        (Some(version), _) => Pin::Version(version),
        (None, UnversionedPolicy::Key) => Pin::KeyOnly,
        (None, UnversionedPolicy::Refuse) => {
            return Decision::invalid(format!(
                "{location} has no version id (is versioning enabled on bucket {:?}?): {} refuses unversioned objects (unversioned: refuse), since nothing would pin what gets deployed",
                object.bucket,
                rule.label()
            ))
        }
    };
    // Duplicate deliveries of one upload carry the same version id (or, unversioned, the same
    // sequencer), so they derive the same token and start one execution.
    let identity = match (&object.version_id, &object.sequencer) {
        (Some(version), _) => format!("{}\0{}\0version\0{version}", object.bucket, object.key),
        (None, Some(sequencer)) => {
            format!("{}\0{}\0sequencer\0{sequencer}", object.bucket, object.key)
        }
        (None, None) => {
            return Decision::invalid(format!(
                "{location} has neither a version id nor a sequencer: duplicates could not be told from new uploads"
            ))
        }
    };
    let token = idempotency::token(FunctionName::ArtifactRelease, &identity, 0);

    let mut values: Vec<(String, String)> = rule
        .variables
        .iter()
        .map(|(name, template)| (name.clone(), template.render(&captures)))
        .collect();
    values.push(("BUCKET".into(), object.bucket.clone()));
    values.push(("KEY".into(), object.key.clone()));
    if let Pin::Version(version) = pin {
        values.push(("VERSION_ID".into(), version.to_owned()));
    }
    if let Some(etag) = object.etag.as_deref().map(|e| e.trim_matches('"')) {
        values.push(("ETAG".into(), etag.to_owned()));
    }
    let pinned = match pin {
        Pin::Version(version) => format!("pinned to version id {version}"),
        Pin::KeyOnly => {
            "pinned to the key only: the object has no version id (unversioned: key)".to_owned()
        }
    };

    let (action, target) = match &rule.target {
        Target::Pipeline {
            name,
            source_action,
            revision,
        } => {
            let pipeline = name.render(&captures);
            if let Err(e) = target_name(&naming::CODEPIPELINE, &pipeline, rule) {
                return Decision::invalid(format!("{location}: {e}"));
            }
            if let Some((name, _)) = values
                .iter()
                .find(|(_, v)| v.is_empty() || v.chars().count() > MAX_PIPELINE_VARIABLE_VALUE)
            {
                return Decision::invalid(format!(
                    "{location}: pipeline variable {name} would be empty or longer than {MAX_PIPELINE_VARIABLE_VALUE} characters"
                ));
            }
            let revision_of = |kind: &'static str, value: &str| SourceRevisionOverride {
                action_name: source_action.clone(),
                revision_type: kind,
                revision_value: value.to_owned(),
            };
            let source_revisions = match (revision, &pin) {
                (RevisionKind::VersionId, Pin::Version(v)) => {
                    vec![revision_of("S3_OBJECT_VERSION_ID", v)]
                }
                (RevisionKind::Key, Pin::Version(v)) => vec![
                    revision_of("S3_OBJECT_KEY", &object.key),
                    revision_of("S3_OBJECT_VERSION_ID", v),
                ],
                (_, Pin::KeyOnly) => vec![revision_of("S3_OBJECT_KEY", &object.key)],
            };
            let start = StartPipelineExecution {
                name: pipeline.clone(),
                variables: values
                    .into_iter()
                    .map(|(name, value)| PipelineVariable { name, value })
                    .collect(),
                source_revisions,
                client_request_token: token,
            };
            (Action::from(start), format!("pipeline {pipeline}"))
        }
        Target::Build { project } => {
            let project = project.render(&captures);
            if let Err(e) = target_name(&naming::CODEBUILD, &project, rule) {
                return Decision::invalid(format!("{location}: {e}"));
            }
            let build = StartBuild {
                project_name: project.clone(),
                source_version: match pin {
                    Pin::Version(version) => Some(version.to_owned()),
                    Pin::KeyOnly => None,
                },
                environment_variables_override: values
                    .into_iter()
                    .map(|(name, value)| EnvironmentVariable::plaintext(name, value))
                    .collect(),
                idempotency_token: token,
            };
            (Action::from(build), format!("CodeBuild project {project}"))
        }
    };
    Decision::act(
        format!("{}: {location} → {target}, {pinned}", rule.label()),
        vec![action],
    )
}

/// Names rendered from captured text are checked once the text is known.
fn target_name(rules: &naming::NameRules, name: &str, rule: &Rule) -> Result<(), String> {
    if rules.is_valid(name) {
        Ok(())
    } else {
        Err(format!(
            "{}: the {} name {:?} rendered from the key is not valid",
            rule.label(),
            rules.service,
            truncate_for_message(name)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Outcome;
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
