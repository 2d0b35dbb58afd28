//! The routing rules document and its validation.
//!
//! ```yaml
//! unversioned: refuse            # default for every rule: refuse | key
//! rules:
//!   - name: connector-plugins
//!     bucket: acme-artifacts
//!     key: connectors/{name}/{version}/plugin.zip
//!     pipeline:
//!       name: deploy-connector-{name}
//!       source_action: Artifact
//!       revision: version-id     # or `key` when the source action watches another key
//!   - name: apps
//!     bucket: acme-artifacts
//!     key: apps/{app}/{app}-{version}.jar
//!     build:
//!       project: deploy-{app}
//!     variables:                 # optional; default: every capture under its own name
//!       APP: "{app}"
//!       APP_VERSION: "{version}"
//!   - name: streaming-jobs
//!     bucket: acme-artifacts
//!     key: flink/{app}/{app}-{version}.jar
//!     flink:
//!       application: "{app}"
//!       snapshot: latest         # latest (default) | skip | named (with snapshot_name)
//!       allow_non_restored_state: false
//!       start: false             # start a READY (stopped) application after the update
//!       rollback: true           # RollbackApplication when the update's operation fails
//!   - name: functions
//!     bucket: acme-artifacts
//!     key: lambda/{fn}/{fn}-{version}.zip
//!     lambda:
//!       function: "{fn}"
//!       alias: live              # optional: moved to the published version
//! ```
//!
//! Everything that can be checked without an event is checked at cold start, and every error
//! names the rule: unknown captures in targets and variables, rules an earlier rule shadows,
//! invalid names.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::pattern::{is_capture_name, Captures, KeyPattern, TooAmbiguous};
use crate::naming::{self, NameRules};

/// Values every target receives, whatever the rule declares.
pub const BUILTIN_VARIABLES: [&str; 4] = ["BUCKET", "KEY", "VERSION_ID", "ETAG"];

/// What to do with an object that has no version id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnversionedPolicy {
    /// Reject the record: nothing can pin what gets deployed.
    Refuse,
    /// Pin to the key only (and say so in the outcome).
    Key,
}

/// How a pipeline's S3 source action is pinned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RevisionKind {
    /// `S3_OBJECT_VERSION_ID`: the source action watches this very key.
    #[default]
    VersionId,
    /// `S3_OBJECT_KEY` (plus `S3_OBJECT_VERSION_ID` when there is one): the source action watches
    /// another key, and this object replaces it for the execution.
    Key,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentSpec {
    #[serde(default)]
    unversioned: Option<UnversionedPolicy>,
    rules: Vec<RuleSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    name: String,
    bucket: String,
    key: String,
    #[serde(default)]
    pipeline: Option<PipelineSpec>,
    #[serde(default)]
    build: Option<BuildSpec>,
    #[serde(default)]
    flink: Option<FlinkSpec>,
    #[serde(default)]
    lambda: Option<LambdaSpec>,
    #[serde(default)]
    variables: Option<BTreeMap<String, String>>,
    #[serde(default)]
    unversioned: Option<UnversionedPolicy>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PipelineSpec {
    name: String,
    source_action: String,
    #[serde(default)]
    revision: RevisionKind,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BuildSpec {
    project: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FlinkSpec {
    application: String,
    #[serde(default)]
    snapshot: SnapshotKind,
    #[serde(default)]
    snapshot_name: Option<String>,
    #[serde(default)]
    allow_non_restored_state: bool,
    #[serde(default)]
    start: bool,
    #[serde(default)]
    rollback: bool,
}

/// Which snapshot a Flink application restores its state from when it (re)starts on new code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
enum SnapshotKind {
    #[default]
    Latest,
    Skip,
    Named,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LambdaSpec {
    function: String,
    #[serde(default)]
    alias: Option<String>,
}

/// The snapshot policy of a Flink target (`ApplicationRestoreConfiguration`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlinkRestore {
    /// `RESTORE_FROM_LATEST_SNAPSHOT` (the default: a running job keeps its state).
    Latest,
    /// `SKIP_RESTORE_FROM_SNAPSHOT`: the new code starts from empty state.
    Skip,
    /// `RESTORE_FROM_CUSTOM_SNAPSHOT` with this snapshot name.
    Named(Template),
}

/// Text with `{capture}` placeholders: target names and variable values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Capture(String),
}

impl Template {
    fn parse(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find(['{', '}']) {
            if rest[open..].starts_with('}') {
                return Err(format!("{text:?}: `}}` without a matching `{{`"));
            }
            let close = rest[open..]
                .find('}')
                .map(|n| open + n)
                .ok_or_else(|| format!("{text:?}: `{{` is not closed by `}}`"))?;
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_owned()));
            }
            let name = &rest[open + 1..close];
            if !is_capture_name(name) {
                return Err(format!("{text:?}: `{{{name}}}` is not a capture name"));
            }
            parts.push(Part::Capture(name.to_owned()));
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_owned()));
        }
        if parts.is_empty() {
            return Err("is empty".into());
        }
        Ok(Template { parts })
    }

    fn captures(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Capture(name) => Some(name.as_str()),
            Part::Literal(_) => None,
        })
    }

    fn literals(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Literal(l) => Some(l.as_str()),
            Part::Capture(_) => None,
        })
    }

    /// Fills the placeholders. Validation guarantees every placeholder has a capture.
    pub fn render(&self, captures: &Captures) -> String {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Literal(l) => l.as_str(),
                Part::Capture(name) => captures
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or("", |(_, v)| v.as_str()),
            })
            .collect()
    }

    fn capture_only(name: &str) -> Self {
        Template {
            parts: vec![Part::Capture(name.to_owned())],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Pipeline {
        name: Template,
        source_action: String,
        revision: RevisionKind,
    },
    Build {
        project: Template,
    },
    /// A Managed Service for Apache Flink application whose code becomes the object version.
    Flink {
        application: Template,
        restore: FlinkRestore,
        allow_non_restored_state: bool,
        /// Start the application when it is READY (stopped) after the update.
        start: bool,
        /// `RollbackApplication` when the update's operation fails.
        rollback: bool,
    },
    /// A Lambda function whose code becomes the object version, published as a new version (and
    /// the alias, if any, moved to it).
    Lambda {
        function: Template,
        alias: Option<Template>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub name: String,
    /// Position in the document, for messages (`rules[2]`).
    pub index: usize,
    pub bucket: String,
    pub pattern: KeyPattern,
    pub target: Target,
    /// Extra variables (name, value template), before the built-in ones.
    pub variables: Vec<(String, Template)>,
    pub unversioned: UnversionedPolicy,
}

impl Rule {
    /// `rule "apps" (rules[1])`
    pub fn label(&self) -> String {
        format!("rule {:?} (rules[{}])", self.name, self.index)
    }
}

/// The validated rules, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    pub rules: Vec<Rule>,
}

impl Rules {
    /// Parses a JSON (when it starts with `{`) or YAML document and validates it.
    pub fn parse(document: &str) -> Result<Self, String> {
        let tree: serde_json::Value = if document.trim_start().starts_with('{') {
            serde_json::from_str(document).map_err(|e| format!("invalid JSON: {e}"))?
        } else {
            crate::yaml::from_str(document).map_err(|e| format!("invalid YAML: {e}"))?
        };
        // Through the parsed tree, so that a misshapen field is named by its path:
        // `rules[3].flink.snapshot: unknown variant …`.
        let spec: DocumentSpec = serde_path_to_error::deserialize(tree)
            .map_err(|e| format!("{}: {}", e.path(), e.inner()))?;
        if spec.rules.is_empty() {
            return Err("rules: is empty; declare at least one rule".into());
        }
        let default_policy = spec.unversioned.unwrap_or(UnversionedPolicy::Refuse);
        let mut rules: Vec<Rule> = Vec::with_capacity(spec.rules.len());
        for (index, rule) in spec.rules.into_iter().enumerate() {
            let label = format!("rule {:?} (rules[{index}])", rule.name);
            let rule = compile(rule, index, default_policy).map_err(|e| format!("{label}: {e}"))?;
            if let Some(first) = rules.iter().find(|r| r.name == rule.name) {
                return Err(format!(
                    "{label}: the name is already used by {}",
                    first.label()
                ));
            }
            if let Some(earlier) = shadowing(&rules, &rule)? {
                return Err(format!(
                    "{label} can never match: every key of bucket {:?} that matches {:?} is matched first by {} ({:?}); put the more specific rule first",
                    rule.bucket,
                    rule.pattern.as_str(),
                    earlier.label(),
                    earlier.pattern.as_str()
                ));
            }
            rules.push(rule);
        }
        Ok(Rules { rules })
    }

    /// The first rule whose bucket and pattern match, with its captures.
    pub fn first_match(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<Option<(&Rule, Captures)>, (&Rule, TooAmbiguous)> {
        for rule in self.rules.iter().filter(|r| r.bucket == bucket) {
            match rule.pattern.matches(key) {
                Ok(Some(captures)) => return Ok(Some((rule, captures))),
                Ok(None) => {}
                Err(e) => return Err((rule, e)),
            }
        }
        Ok(None)
    }
}

/// The earlier rule that matches every key `rule` matches, if any (see
/// [`KeyPattern::witness`]).
fn shadowing<'a>(earlier: &'a [Rule], rule: &Rule) -> Result<Option<&'a Rule>, String> {
    let witness = rule.pattern.witness();
    for e in earlier.iter().filter(|e| e.bucket == rule.bucket) {
        match e.pattern.matches(&witness) {
            Ok(Some(_)) => return Ok(Some(e)),
            Ok(None) => {}
            Err(err) => return Err(format!("{}: {err}", rule.label())),
        }
    }
    Ok(None)
}

fn is_rule_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Pipeline variable and environment variable names: an identifier (valid for both), not a
/// built-in, not CodeBuild's reserved prefix.
fn check_variable_name(name: &str) -> Result<(), String> {
    if !is_capture_name(name) {
        return Err(format!(
            "variable {name:?}: names are letters, digits and `_`, starting with a letter or `_`"
        ));
    }
    if BUILTIN_VARIABLES.contains(&name) {
        return Err(format!(
            "variable {name:?} is set by Switchyard itself ({})",
            BUILTIN_VARIABLES.join(", ")
        ));
    }
    if name.to_ascii_uppercase().starts_with("CODEBUILD_") {
        return Err(format!(
            "variable {name:?}: the CODEBUILD_ prefix is reserved"
        ));
    }
    Ok(())
}

fn check_captures(template: &Template, pattern: &KeyPattern, what: &str) -> Result<(), String> {
    for name in template.captures() {
        if !pattern.captures().iter().any(|c| c == name) {
            return Err(format!(
                "{what} uses {{{name}}}, which the key pattern {:?} does not capture (captures: {})",
                pattern.as_str(),
                if pattern.captures().is_empty() {
                    "none".to_owned()
                } else {
                    pattern.captures().join(", ")
                }
            ));
        }
    }
    Ok(())
}

/// A target name template: its literal text must use only characters the service allows (the
/// captured text is checked per event, once known).
fn name_template(
    text: &str,
    rules: &NameRules,
    pattern: &KeyPattern,
    what: &str,
) -> Result<Template, String> {
    let rule = format!(
        "{} name (letters, digits and the allowed punctuation, starting with a letter, at most {} characters)",
        rules.service, rules.max_len
    );
    checked_template(text, pattern, what, |name| rules.is_valid(name), &rule)
}

/// A template naming a resource someone else created (a Flink application, a Lambda function):
/// the service's own rule ([`NameRules::accepts`]), not the stricter one for names we generate.
fn existing_name_template(
    text: &str,
    rules: &NameRules,
    pattern: &KeyPattern,
    what: &str,
) -> Result<Template, String> {
    checked_template(
        text,
        pattern,
        what,
        |name| rules.accepts(name),
        &rules.describe(),
    )
}

fn checked_template(
    text: &str,
    pattern: &KeyPattern,
    what: &str,
    valid: impl Fn(&str) -> bool,
    rule: &str,
) -> Result<Template, String> {
    let template = Template::parse(text).map_err(|e| format!("{what}: {e}"))?;
    check_captures(&template, pattern, what)?;
    let sample = template.render(
        &pattern
            .captures()
            .iter()
            .map(|c| (c.clone(), "x".to_owned()))
            .collect(),
    );
    if !valid(&sample) {
        return Err(format!("{what} {text:?} is not a valid {rule}"));
    }
    Ok(template)
}

fn compile(
    spec: RuleSpec,
    index: usize,
    default_policy: UnversionedPolicy,
) -> Result<Rule, String> {
    if !is_rule_name(&spec.name) {
        return Err("name: use 1 to 64 letters, digits, `-` or `_`".into());
    }
    if !naming::is_s3_bucket_name(&spec.bucket) {
        return Err(format!(
            "bucket {:?} is not a valid S3 bucket name",
            spec.bucket
        ));
    }
    let pattern = KeyPattern::parse(&spec.key).map_err(|e| format!("key pattern: {e}"))?;
    let target = match (spec.pipeline, spec.build, spec.flink, spec.lambda) {
        (Some(p), None, None, None) => {
            if !naming::CODEPIPELINE.accepts(&p.source_action) {
                return Err(format!(
                    "pipeline.source_action {:?} is not a valid action name ([A-Za-z0-9.@_-], at most 100)",
                    p.source_action
                ));
            }
            Target::Pipeline {
                name: name_template(&p.name, &naming::CODEPIPELINE, &pattern, "pipeline.name")?,
                source_action: p.source_action,
                revision: p.revision,
            }
        }
        (None, Some(b), None, None) => Target::Build {
            project: name_template(&b.project, &naming::CODEBUILD, &pattern, "build.project")?,
        },
        (None, None, Some(f), None) => flink_target(f, &pattern)?,
        (None, None, None, Some(l)) => lambda_target(l, &pattern)?,
        _ => {
            return Err(
                "declare exactly one target: `pipeline`, `build`, `flink` or `lambda`".into(),
            )
        }
    };
    let variables = match spec.variables {
        Some(declared) => declared
            .into_iter()
            .map(|(name, text)| {
                check_variable_name(&name)?;
                let what = format!("variables.{name}");
                let template = Template::parse(&text).map_err(|e| format!("{what}: {e}"))?;
                check_captures(&template, &pattern, &what)?;
                if template.literals().any(|l| l.chars().any(char::is_control)) {
                    return Err(format!("{what}: contains a control character"));
                }
                Ok((name, template))
            })
            .collect::<Result<Vec<_>, String>>()?,
        None => pattern
            .captures()
            .iter()
            .map(|c| {
                check_variable_name(c).map_err(|e| {
                    format!("key pattern capture {{{c}}} becomes a variable: {e}; rename the capture or declare `variables`")
                })?;
                Ok((c.clone(), Template::capture_only(c)))
            })
            .collect::<Result<Vec<_>, String>>()?,
    };
    let unversioned = spec.unversioned.unwrap_or(default_policy);
    if unversioned == UnversionedPolicy::Key {
        if let Target::Flink { .. } | Target::Lambda { .. } = target {
            let field = if matches!(target, Target::Flink { .. }) {
                "flink"
            } else {
                "lambda"
            };
            return Err(format!(
                "unversioned: key: a {field} target deploys exactly one object version, so it needs a versioned bucket; set `unversioned: refuse` on this rule"
            ));
        }
    }
    Ok(Rule {
        name: spec.name,
        index,
        bucket: spec.bucket,
        pattern,
        target,
        variables,
        unversioned,
    })
}

fn flink_target(spec: FlinkSpec, pattern: &KeyPattern) -> Result<Target, String> {
    let application = existing_name_template(
        &spec.application,
        &naming::FLINK_APPLICATION,
        pattern,
        "flink.application",
    )?;
    let restore = match (spec.snapshot, spec.snapshot_name) {
        (SnapshotKind::Latest, None) => FlinkRestore::Latest,
        (SnapshotKind::Skip, None) => FlinkRestore::Skip,
        (SnapshotKind::Named, Some(name)) => FlinkRestore::Named(existing_name_template(
            &name,
            &naming::FLINK_SNAPSHOT,
            pattern,
            "flink.snapshot_name",
        )?),
        (SnapshotKind::Named, None) => {
            return Err("flink.snapshot_name: required with `snapshot: named`".into())
        }
        (_, Some(_)) => return Err(
            "flink.snapshot_name: only with `snapshot: named` (latest and skip name no snapshot)"
                .into(),
        ),
    };
    if spec.allow_non_restored_state && restore == FlinkRestore::Skip {
        return Err(
            "flink.allow_non_restored_state: means nothing with `snapshot: skip`, which restores no state"
                .into(),
        );
    }
    Ok(Target::Flink {
        application,
        restore,
        allow_non_restored_state: spec.allow_non_restored_state,
        start: spec.start,
        rollback: spec.rollback,
    })
}

fn lambda_target(spec: LambdaSpec, pattern: &KeyPattern) -> Result<Target, String> {
    let function = existing_name_template(
        &spec.function,
        &naming::LAMBDA_FUNCTION,
        pattern,
        "lambda.function",
    )?;
    let alias = spec
        .alias
        .map(|alias| {
            let template =
                existing_name_template(&alias, &naming::LAMBDA_ALIAS, pattern, "lambda.alias")?;
            if template.captures().next().is_none() && !naming::is_lambda_alias(&alias) {
                return Err(format!(
                    "lambda.alias {alias:?}: an alias is not only digits (that is a version number)"
                ));
            }
            Ok(template)
        })
        .transpose()?;
    Ok(Target::Lambda { function, alias })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"
unversioned: refuse
rules:
  - name: connector-plugins
    bucket: acme-artifacts
    key: connectors/{name}/{version}/plugin.zip
    pipeline:
      name: deploy-connector
      source_action: Artifact
  - name: apps
    bucket: acme-artifacts
    key: apps/{app}/{app}-{version}.jar
    build:
      project: deploy-{app}
    variables:
      APP: "{app}"
      APP_VERSION: "{version}"
      STAGE: prod
  - name: legacy
    bucket: acme-legacy
    key: legacy/{app}.zip
    unversioned: key
    build:
      project: legacy-deployer
"#;

    #[test]
    fn parses_yaml_and_json() {
        let rules = Rules::parse(DOC).unwrap();
        assert_eq!(rules.rules.len(), 3);
        assert_eq!(rules.rules[0].unversioned, UnversionedPolicy::Refuse);
        assert_eq!(rules.rules[2].unversioned, UnversionedPolicy::Key);
        assert_eq!(rules.rules[0].variables.len(), 2, "captures by default");
        let json = r#"{"rules": [{"name": "a", "bucket": "acme-artifacts", "key": "x/{v}.zip",
            "pipeline": {"name": "p", "source_action": "Source", "revision": "key"}}]}"#;
        let rules = Rules::parse(json).unwrap();
        assert!(matches!(
            rules.rules[0].target,
            Target::Pipeline {
                revision: RevisionKind::Key,
                ..
            }
        ));
    }

    #[test]
    fn first_match_wins() {
        let rules = Rules::parse(DOC).unwrap();
        let (rule, caps) = rules
            .first_match("acme-artifacts", "apps/pay/pay-1.0.jar")
            .unwrap()
            .unwrap();
        assert_eq!(rule.name, "apps");
        assert_eq!(caps[0], ("app".into(), "pay".into()));
        assert!(rules
            .first_match("other-bucket", "apps/pay/pay-1.0.jar")
            .unwrap()
            .is_none());
    }

    fn error(doc: &str) -> String {
        Rules::parse(doc).unwrap_err()
    }

    fn rule(body: &str) -> String {
        format!("rules:\n  - name: r1\n    bucket: acme-artifacts\n{body}")
    }

    #[test]
    fn validation_names_the_rule() {
        let cases = [
            (rule("    key: a/{x}\n    build:\n      project: deploy-{y}\n"), "rule \"r1\" (rules[0]): build.project uses {y}"),
            (rule("    key: a/{x}\n    pipeline:\n      name: p\n      source_action: S\n    variables:\n      V: \"{nope}\"\n"), "variables.V uses {nope}"),
            (rule("    key: a/{x}\n    build:\n      project: p;rm\n"), "not a valid CodeBuild name"),
            (rule("    key: a/{x}\n    pipeline:\n      name: p\n      source_action: \"bad action\"\n"), "source_action"),
            (rule("    key: a/{x}\n"), "exactly one target"),
            (rule("    key: a/{KEY}\n    build:\n      project: p\n"), "capture {KEY} becomes a variable"),
            (rule("    key: a/{x}\n    build:\n      project: p\n    variables:\n      CODEBUILD_X: \"{x}\"\n"), "reserved"),
            (rule("    key: a/{x\n    build:\n      project: p\n"), "key pattern"),
            (rule("    key: a/{x}\n    build:\n      project: p\n    extra: 1\n"), "extra"),
            ("rules:\n  - name: r1\n    bucket: Bad_Bucket\n    key: a\n    build:\n      project: p\n".into(), "not a valid S3 bucket name"),
            ("rules:\n  - name: \"bad name\"\n    bucket: acme-artifacts\n    key: a\n    build:\n      project: p\n".into(), "name:"),
            ("rules: []\n".into(), "at least one rule"),
            (rule("    key: f/{app}.jar\n    flink:\n      application: \"{app}\"\n      snapshot: named\n"), "rule \"r1\" (rules[0]): flink.snapshot_name: required"),
            (rule("    key: f/{app}.jar\n    flink:\n      application: \"{app}\"\n      snapshot_name: s1\n"), "flink.snapshot_name: only with `snapshot: named`"),
            (rule("    key: f/{app}.jar\n    flink:\n      application: \"{app}\"\n      snapshot: sometimes\n"), "rules[0].flink.snapshot: unknown variant `sometimes`"),
            (rule("    key: f/{app}.jar\n    flink:\n      application: \"{nope}\"\n"), "flink.application uses {nope}"),
            (rule("    key: f/{app}.jar\n    flink:\n      application: \"a/{app}\"\n"), "flink.application \"a/{app}\" is not a valid Managed Flink application name"),
            (rule("    key: f/{app}.jar\n    flink:\n      application: a\n      snapshot: skip\n      allow_non_restored_state: true\n"), "flink.allow_non_restored_state"),
            (rule("    key: f/{app}.jar\n    flink:\n      application: a\n      restart: true\n"), "rules[0].flink.restart: unknown field `restart`"),
            (rule("    key: f/{app}.jar\n    flink:\n      application: a\n      start: sometimes\n"), "rules[0].flink.start: invalid type"),
            (rule("    key: f/{app}.jar\n    unversioned: key\n    flink:\n      application: a\n"), "unversioned: key: a flink target"),
            (rule("    key: l/{fn}.zip\n    lambda:\n      function: \"{fn}:live\"\n"), "lambda.function \"{fn}:live\" is not a valid Lambda function name"),
            (rule("    key: l/{fn}.zip\n    lambda:\n      function: \"{fn}\"\n      alias: \"42\"\n"), "lambda.alias \"42\": an alias is not only digits"),
            (rule("    key: l/{fn}.zip\n    lambda:\n      function: \"{fn}\"\n      alias: \"{ver}\"\n"), "lambda.alias uses {ver}"),
            (rule("    key: l/{fn}.zip\n    lambda:\n      function: f\n    build:\n      project: p\n"), "exactly one target"),
        ];
        for (doc, want) in cases {
            let err = error(&doc);
            assert!(
                err.contains(want),
                "{doc}\n→ {err}\nshould contain {want:?}"
            );
        }
    }

    #[test]
    fn flink_and_lambda_targets_parse_with_their_defaults() {
        let doc = "rules:
  - {name: jobs, bucket: acme-artifacts, key: 'flink/{app}/{app}-{version}.jar', flink: {application: '{app}-prod'}}
  - {name: jobs-named, bucket: acme-artifacts, key: 'flink-named/{app}.jar', flink: {application: '{app}', snapshot: named, snapshot_name: 'before-{app}', allow_non_restored_state: true, start: true, rollback: true}}
  - {name: fns, bucket: acme-artifacts, key: 'lambda/{fn}/{fn}-{version}.zip', lambda: {function: '{fn}', alias: live}}
  - {name: fns-bare, bucket: acme-artifacts, key: 'lambda-bare/{fn}.zip', lambda: {function: '{fn}'}}
";
        let rules = Rules::parse(doc).unwrap();
        assert!(matches!(
            &rules.rules[0].target,
            Target::Flink {
                restore: FlinkRestore::Latest,
                allow_non_restored_state: false,
                start: false,
                rollback: false,
                ..
            }
        ));
        assert!(matches!(
            &rules.rules[1].target,
            Target::Flink {
                restore: FlinkRestore::Named(_),
                allow_non_restored_state: true,
                start: true,
                rollback: true,
                ..
            }
        ));
        assert!(matches!(
            &rules.rules[2].target,
            Target::Lambda { alias: Some(_), .. }
        ));
        assert!(matches!(
            &rules.rules[3].target,
            Target::Lambda { alias: None, .. }
        ));
    }

    #[test]
    fn shadowed_and_duplicate_rules_are_refused() {
        let doc = "rules:
  - {name: any-app-file, bucket: acme-artifacts, key: 'apps/{app}/{file}', build: {project: p}}
  - {name: app-jars, bucket: acme-artifacts, key: 'apps/{app}/{app}-{version}.jar', build: {project: p}}
";
        let err = error(doc);
        assert!(
            err.contains("rule \"app-jars\" (rules[1]) can never match")
                && err.contains("rule \"any-app-file\" (rules[0])"),
            "{err}"
        );
        // The other order is fine: the specific rule first, the general one catches the rest.
        let ok = "rules:
  - {name: app-jars, bucket: acme-artifacts, key: 'apps/{app}/{app}-{version}.jar', build: {project: p}}
  - {name: any-app-file, bucket: acme-artifacts, key: 'apps/{app}/{file}', build: {project: p}}
  - {name: other-bucket, bucket: acme-other, key: 'apps/{app}/{app}-{version}.jar', build: {project: p}}
";
        assert!(Rules::parse(ok).is_ok());
        let dup = "rules:
  - {name: a, bucket: acme-artifacts, key: 'x/{v}', build: {project: p}}
  - {name: a, bucket: acme-artifacts, key: 'y/{v}', build: {project: p}}
";
        assert!(error(dup).contains("already used"));
    }
}
