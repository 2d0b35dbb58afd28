//! The part of artifact-release's policy that the event and the rules decide alone: the rule
//! that matches, what the deployment is pinned to, the target's names rendered from the key and
//! checked, the upload's idempotency token. What the target runs is read next
//! ([`super::observe`]), then [`super::decide`] decides.

use super::pattern::Captures;
use super::rules::{FlinkRestore, Rule, Rules, Target, UnversionedPolicy};
use crate::idempotency;
use crate::naming;
use crate::plan::{Decision, FunctionName};
use crate::sources::s3::ObjectEvent;
use crate::text::truncate_for_message;

/// What the deployment is pinned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pin<'a> {
    Version(&'a str),
    /// Unversioned bucket and `unversioned: key`: the key is all there is.
    KeyOnly,
}

impl<'a> Pin<'a> {
    pub fn version(self) -> Option<&'a str> {
        match self {
            Pin::Version(version) => Some(version),
            Pin::KeyOnly => None,
        }
    }
}

/// A target with its names rendered from the key and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    Pipeline {
        name: String,
    },
    Build {
        project: String,
    },
    Flink {
        application: String,
        snapshot: Option<String>,
    },
    Lambda {
        function: String,
        alias: Option<String>,
    },
}

/// A record that matched a rule and passed every check the event alone allows: what remains
/// is to read what the target runs ([`super::observe`]) and decide ([`super::decide`]).
#[derive(Debug, Clone)]
pub struct Matched<'a> {
    pub object: &'a ObjectEvent,
    pub rule: &'a Rule,
    pub captures: Captures,
    /// `s3://bucket/key`, shortened for messages.
    pub location: String,
    pub pin: Pin<'a>,
    /// The idempotency token of the upload (pipelines and builds).
    pub token: String,
    pub target: Resolved,
}

impl Matched<'_> {
    /// The target, for messages: `pipeline deploy-x`, `Managed Flink application clicks`…
    pub fn target_label(&self) -> String {
        match &self.target {
            Resolved::Pipeline { name } => format!("pipeline {name}"),
            Resolved::Build { project } => format!("CodeBuild project {project}"),
            Resolved::Flink { application, .. } => {
                format!("Managed Flink application {application}")
            }
            Resolved::Lambda {
                function,
                alias: Some(alias),
            } => format!("Lambda function {function} (alias {alias})"),
            Resolved::Lambda {
                function,
                alias: None,
            } => format!("Lambda function {function}"),
        }
    }

    /// `rule "r" (rules[0]): s3://b/k → <target>, <what>`: every reason about this record.
    pub fn reason(&self, what: impl std::fmt::Display) -> String {
        format!(
            "{}: {} → {}, {what}",
            self.rule.label(),
            self.location,
            self.target_label()
        )
    }
}

/// The part of the policy the event and the rules decide alone: `Err` is the decision (a skip
/// or a rejection) when there is nothing to observe.
pub fn route<'a>(object: &'a ObjectEvent, rules: &'a Rules) -> Result<Matched<'a>, Decision> {
    let location = format!(
        "s3://{}/{}",
        object.bucket,
        truncate_for_message(&object.key)
    );
    if !object.created {
        return Err(Decision::skip(format!(
            "{location}: {} is not an object creation",
            object.event_name
        )));
    }
    if object.key.ends_with('/') {
        return Err(Decision::skip(format!("{location} is a folder marker")));
    }
    if object.size == Some(0) {
        return Err(Decision::skip(format!("{location} is a zero-byte object")));
    }
    let (rule, captures) = match rules.first_match(&object.bucket, &object.key) {
        Ok(Some(found)) => found,
        Ok(None) => return Err(Decision::skip(format!("{location} matches no rule"))),
        Err((rule, e)) => {
            return Err(Decision::invalid(format!(
                "{location}: {}: {e}",
                rule.label()
            )))
        }
    };
    let pin = match (object.version_id.as_deref(), rule.unversioned) {
        (Some(version), _) => Pin::Version(version),
        (None, UnversionedPolicy::Key) => Pin::KeyOnly,
        (None, UnversionedPolicy::Refuse) => {
            return Err(Decision::invalid(format!(
                "{location} has no version id (is versioning enabled on bucket {:?}?): {} refuses unversioned objects (unversioned: refuse), since nothing would pin what gets deployed",
                object.bucket,
                rule.label()
            )))
        }
    };
    let token = token(object, &location)?;
    // Pipelines and projects by the rule for names we generate; Flink applications and Lambda
    // functions exist already, named by the service's own rule.
    let checked = |rules: &naming::NameRules, name: String| {
        let valid = match rule.target {
            Target::Pipeline { .. } | Target::Build { .. } => rules.is_valid(&name),
            Target::Flink { .. } | Target::Lambda { .. } => rules.accepts(&name),
        };
        valid
            .then_some(())
            .ok_or_else(|| invalid_name(rules, &name, rule))
            .map(|()| name)
            .map_err(|e| Decision::invalid(format!("{location}: {e}")))
    };
    let target = match &rule.target {
        Target::Pipeline { name, .. } => Resolved::Pipeline {
            name: checked(&naming::CODEPIPELINE, name.render(&captures))?,
        },
        Target::Build { project } => Resolved::Build {
            project: checked(&naming::CODEBUILD, project.render(&captures))?,
        },
        Target::Flink {
            application,
            restore,
            ..
        } => Resolved::Flink {
            application: checked(&naming::FLINK_APPLICATION, application.render(&captures))?,
            snapshot: match restore {
                FlinkRestore::Named(name) => {
                    Some(checked(&naming::FLINK_SNAPSHOT, name.render(&captures))?)
                }
                FlinkRestore::Latest | FlinkRestore::Skip => None,
            },
        },
        Target::Lambda { function, alias } => Resolved::Lambda {
            function: checked(&naming::LAMBDA_FUNCTION, function.render(&captures))?,
            alias: alias
                .as_ref()
                .map(|alias| {
                    let alias = alias.render(&captures);
                    if naming::is_lambda_alias(&alias) {
                        Ok(alias)
                    } else {
                        Err(Decision::invalid(format!(
                            "{location}: {}: the Lambda alias {:?} rendered from the key is not valid",
                            rule.label(),
                            truncate_for_message(&alias)
                        )))
                    }
                })
                .transpose()?,
        },
    };
    Ok(Matched {
        object,
        rule,
        captures,
        location,
        pin,
        token,
        target,
    })
}

/// Duplicate deliveries of one upload carry the same version id (or, unversioned, the same
/// sequencer), so they derive the same token and start one execution.
fn token(object: &ObjectEvent, location: &str) -> Result<String, Decision> {
    let identity = match (&object.version_id, &object.sequencer) {
        (Some(version), _) => format!("{}\0{}\0version\0{version}", object.bucket, object.key),
        (None, Some(sequencer)) => {
            format!("{}\0{}\0sequencer\0{sequencer}", object.bucket, object.key)
        }
        (None, None) => {
            return Err(Decision::invalid(format!(
                "{location} has neither a version id nor a sequencer: duplicates could not be told from new uploads"
            )))
        }
    };
    Ok(idempotency::token(
        FunctionName::ArtifactRelease,
        &identity,
        0,
    ))
}

/// Names rendered from captured text are checked once the text is known.
fn invalid_name(rules: &naming::NameRules, name: &str, rule: &Rule) -> String {
    format!(
        "{}: the {} name {:?} rendered from the key is not valid",
        rule.label(),
        rules.service,
        truncate_for_message(name)
    )
}
