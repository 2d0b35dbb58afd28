//! The desired state: connector files, topic files and `environments/<env>.yaml`, loaded and
//! validated into configs rendered exactly as Connect (and Kafka) store them.
//!
//! Layout of a desired-state directory (or bundle zip):
//!
//! ```text
//! connectors/orders-cdc.yaml     # any *.yaml / *.yml / *.json outside environments/ and topics/
//! topics/orders.yaml             # topic files: everything under topics/ (see topics::desired)
//! environments/dev.yaml          # values for {{ env.name }} references
//! environments/prod.yaml
//! ```
//!
//! A connector file holds `name`, `config` and optionally `state` (`running` | `paused` |
//! `stopped`, default `running`) and `environments` (the environments it exists in; default all).
//! This module does no I/O: callers pass the files' bytes ([`SourceFile`]).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::kafka_sync::desired::files::{
    declared_for, parse_file, render_value, valid_environment_name, LoadError, LoadErrors,
};
use crate::kafka_sync::desired::values::RawValue;
use crate::kafka_sync::topics::desired::{self as topic_files, DesiredTopic, TOPICS_DIR};

/// One file of the desired state, with its path relative to the desired-state root (`/`-separated).
#[derive(Clone)]
pub struct SourceFile {
    pub path: String,
    pub contents: Vec<u8>,
}

impl fmt::Debug for SourceFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SourceFile({}, {} bytes)",
            self.path,
            self.contents.len()
        )
    }
}

/// The state a connector should be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetState {
    #[default]
    Running,
    Paused,
    Stopped,
}

impl TargetState {
    /// As Connect spells it in status responses and in `initial_state`.
    pub fn as_connect(self) -> &'static str {
        match self {
            TargetState::Running => "RUNNING",
            TargetState::Paused => "PAUSED",
            TargetState::Stopped => "STOPPED",
        }
    }
}

/// A connector's config as Connect stores it. `Debug` lists keys only: values can be secrets.
#[derive(Clone, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct ConnectorConfig(pub BTreeMap<String, String>);

impl fmt::Debug for ConnectorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl ConnectorConfig {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub fn connector_class(&self) -> Option<&str> {
        self.get("connector.class")
    }
}

/// One connector as declared in Git, rendered for one environment.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredConnector {
    pub name: String,
    /// Where it was declared, for messages.
    pub file: String,
    /// Includes `name` (Connect adds it to every stored config, so the comparison must too).
    pub config: ConnectorConfig,
    pub state: TargetState,
}

/// Every connector declared for one environment, by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DesiredState {
    pub environment: String,
    pub connectors: BTreeMap<String, DesiredConnector>,
    /// Topics declared under `topics/` ([`crate::kafka_sync::topics::desired`]), by name.
    pub topics: BTreeMap<String, DesiredTopic>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConnectorFile {
    name: String,
    config: BTreeMap<String, RawValue>,
    #[serde(default)]
    state: TargetState,
    #[serde(default)]
    environments: Option<Vec<String>>,
}

const ENVIRONMENTS_DIR: &str = "environments/";
const EXTENSIONS: [&str; 3] = [".yaml", ".yml", ".json"];

fn has_config_extension(path: &str) -> bool {
    EXTENSIONS.iter().any(|ext| path.ends_with(ext))
}

/// Hidden files and folders (`.git/`, editor swap files) are not part of the desired state.
pub(crate) fn is_hidden(path: &str) -> bool {
    path.split('/').any(|part| part.starts_with('.'))
}

/// Connect accepts almost any name, but it travels in URL paths and logs: no `/`, no control
/// characters, no surrounding spaces, not `.` or `..` (a URL client resolves those path segments,
/// even percent-encoded: `DELETE /connectors/..` would become `DELETE /`), at most 249 characters
/// (it also names internal topics).
fn connector_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("is empty")
    } else if is_dot_segment(name) {
        Some("is `.` or `..`, which a URL path resolves away")
    } else if name.len() > 249 {
        Some("is longer than 249 characters")
    } else if name.trim() != name {
        Some("has leading or trailing spaces")
    } else if name
        .chars()
        .any(|c| c.is_control() || c == '/' || c == '\\')
    {
        Some("contains `/`, `\\` or a control character")
    } else {
        None
    }
}

/// `.` and `..`: the names a URL path cannot carry as a segment.
pub fn is_dot_segment(name: &str) -> bool {
    name == "." || name == ".."
}

/// The environment's values, flattened: nested mappings become dotted names (`db.host`).
fn load_environment(
    files: &[SourceFile],
    env: &str,
) -> Result<(String, BTreeMap<String, String>), LoadError> {
    let wanted: Vec<String> = EXTENSIONS
        .iter()
        .map(|ext| format!("{ENVIRONMENTS_DIR}{env}{ext}"))
        .collect();
    let Some(file) = files.iter().find(|f| wanted.contains(&f.path)) else {
        let mut known: Vec<&str> = files
            .iter()
            .filter_map(|f| f.path.strip_prefix(ENVIRONMENTS_DIR))
            .filter_map(|rest| EXTENSIONS.iter().find_map(|ext| rest.strip_suffix(ext)))
            .collect();
        known.sort();
        return Err(LoadError::file(
            &wanted[0],
            format!(
                "environment {env:?} has no values file (known environments: {})",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ),
        ));
    };
    let tree: serde_json::Value = parse_file(file)?;
    let mut values = BTreeMap::new();
    flatten(&file.path, "", &tree, &mut values)?;
    Ok((file.path.clone(), values))
}

fn flatten(
    file: &str,
    prefix: &str,
    value: &serde_json::Value,
    out: &mut BTreeMap<String, String>,
) -> Result<(), LoadError> {
    use serde_json::Value;
    let key_error = |message: &str| LoadError {
        file: file.to_owned(),
        connector: None,
        topic: None,
        key: Some(prefix.to_owned()),
        message: message.to_owned(),
    };
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                if k.is_empty()
                    || !k
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
                {
                    return Err(LoadError {
                        key: Some(name),
                        ..key_error(
                            "names may hold letters, digits, `_` and `-` (nest mappings for dots)",
                        )
                    });
                }
                flatten(file, &name, v, out)?;
            }
            Ok(())
        }
        Value::Null if prefix.is_empty() => Ok(()), // an empty file
        Value::Null => Err(key_error("is null; give a value")),
        Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
            Ok(())
        }
        Value::Bool(_) | Value::Number(_) => {
            out.insert(prefix.to_owned(), value.to_string());
            Ok(())
        }
        Value::Array(items) => {
            let mut parts = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Value::String(s) => parts.push(s.clone()),
                    Value::Bool(_) | Value::Number(_) => parts.push(item.to_string()),
                    _ => {
                        return Err(key_error(
                            "a list may only hold strings, numbers or booleans",
                        ))
                    }
                }
            }
            out.insert(prefix.to_owned(), parts.join(","));
            Ok(())
        }
    }
}

/// Loads the desired state for `env` from the files of a desired-state directory or bundle.
pub fn load(files: &[SourceFile], env: &str) -> Result<DesiredState, LoadErrors> {
    if !valid_environment_name(env) {
        return Err(LoadErrors(vec![LoadError::file(
            ENVIRONMENTS_DIR,
            format!("environment name {env:?} must be 1-64 of [A-Za-z0-9_-]"),
        )]));
    }
    let (env_file, values) = load_environment(files, env).map_err(|e| LoadErrors(vec![e]))?;
    let mut errors = Vec::new();
    let mut connectors: BTreeMap<String, DesiredConnector> = BTreeMap::new();
    let mut sorted: Vec<&SourceFile> = files
        .iter()
        .filter(|f| {
            has_config_extension(&f.path)
                && !f.path.starts_with(ENVIRONMENTS_DIR)
                && !is_hidden(&f.path)
        })
        .collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let (topic_files, connector_files): (Vec<&SourceFile>, Vec<&SourceFile>) = sorted
        .into_iter()
        .partition(|f| f.path.starts_with(TOPICS_DIR));
    let topics = topic_files::load_topics(&topic_files, env, &env_file, &values, &mut errors);
    for file in connector_files {
        match load_connector(file, env, &env_file, &values) {
            Ok(None) => {}
            Ok(Some(connector)) => {
                if let Some(first) = connectors.get(&connector.name) {
                    errors.push(LoadError {
                        file: file.path.clone(),
                        connector: Some(connector.name.clone()),
                        topic: None,
                        key: None,
                        message: format!("is also declared in {}", first.file),
                    });
                } else {
                    connectors.insert(connector.name.clone(), connector);
                }
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok(DesiredState {
            environment: env.to_owned(),
            connectors,
            topics,
        })
    } else {
        Err(LoadErrors(errors))
    }
}

/// One connector file, or `None` when it is not declared for this environment.
fn load_connector(
    file: &SourceFile,
    env: &str,
    env_file: &str,
    values: &BTreeMap<String, String>,
) -> Result<Option<DesiredConnector>, Vec<LoadError>> {
    let parsed: ConnectorFile = parse_file(file).map_err(|e| vec![e])?;
    let name = parsed.name;
    let problem = |key: Option<&str>, message: String| LoadError {
        file: file.path.clone(),
        connector: Some(name.clone()),
        topic: None,
        key: key.map(str::to_owned),
        message,
    };
    if let Some(why) = connector_name_problem(&name) {
        return Err(vec![problem(None, format!("the name {why}"))]);
    }
    match declared_for(parsed.environments.as_deref(), env) {
        Ok(true) => {}
        Ok(false) => return Ok(None),
        Err(message) => return Err(vec![problem(Some("environments"), message)]),
    }
    let mut errors = Vec::new();
    let mut config = BTreeMap::new();
    for (key, raw) in &parsed.config {
        match render_value(raw, values, env_file) {
            Ok(value) => {
                config.insert(key.clone(), value);
            }
            Err(message) => errors.push(problem(Some(key), message)),
        }
    }
    match config.get("name") {
        Some(n) if *n != name => errors.push(problem(
            Some("name"),
            format!("config.name {n:?} differs from the connector name"),
        )),
        _ => {
            config.insert("name".into(), name.clone());
        }
    }
    match config.get("connector.class") {
        None => errors.push(problem(Some("connector.class"), "is missing".into())),
        Some(c) if c.trim().is_empty() => {
            errors.push(problem(Some("connector.class"), "is empty".into()))
        }
        _ => {}
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Some(DesiredConnector {
        name,
        file: file.path.clone(),
        config: ConnectorConfig(config),
        state: parsed.state,
    }))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn file(path: &str, text: &str) -> SourceFile {
        SourceFile {
            path: path.into(),
            contents: text.as_bytes().to_vec(),
        }
    }

    fn sample() -> Vec<SourceFile> {
        vec![
            file(
                "environments/prod.yaml",
                "db:\n  host: pg.prod\n  port: 5432\ntasks: 2\n",
            ),
            file(
                "environments/dev.yml",
                "db: {host: pg.dev, port: 5433}\ntasks: 1\n",
            ),
            file(
                "connectors/orders.yaml",
                r#"
name: orders-cdc
state: paused
config:
  connector.class: io.debezium.connector.postgresql.PostgresConnector
  database.hostname: "{{ env.db.host }}"
  database.port: "{{ env.db.port }}"
  database.password: ${secretsManager:prod/db:password}
  tasks.max: "{{ env.tasks }}"
  snapshot.new.tables: false
"#,
            ),
            file(
                "connectors/sink.json",
                r#"{"name": "orders-sink", "environments": ["prod"], "config": {"connector.class": "FileStreamSink", "file": "/tmp/out", "topics": ["a", "b"], "tasks.max": 1}}"#,
            ),
            file("README.md", "not a connector"),
            file(".git/config.yaml", "ignored: true"),
        ]
    }

    #[test]
    fn loads_and_renders_for_an_environment() {
        let prod = load(&sample(), "prod").unwrap();
        assert_eq!(prod.connectors.len(), 2);
        let orders = &prod.connectors["orders-cdc"];
        assert_eq!(orders.state, TargetState::Paused);
        assert_eq!(orders.file, "connectors/orders.yaml");
        let c = &orders.config;
        assert_eq!(c.get("name"), Some("orders-cdc"));
        assert_eq!(c.get("database.hostname"), Some("pg.prod"));
        assert_eq!(c.get("database.port"), Some("5432"));
        assert_eq!(c.get("tasks.max"), Some("2"));
        assert_eq!(c.get("snapshot.new.tables"), Some("false"));
        assert_eq!(
            c.get("database.password"),
            Some("${secretsManager:prod/db:password}"),
            "config provider placeholders pass through untouched"
        );
        let sink = &prod.connectors["orders-sink"].config;
        assert_eq!(sink.get("topics"), Some("a,b"));
        assert_eq!(sink.get("tasks.max"), Some("1"));

        let dev = load(&sample(), "dev").unwrap();
        assert_eq!(
            dev.connectors.keys().collect::<Vec<_>>(),
            ["orders-cdc"],
            "orders-sink is declared for prod only"
        );
        assert_eq!(
            dev.connectors["orders-cdc"].config.get("database.port"),
            Some("5433")
        );
    }

    #[test]
    fn errors_name_file_connector_and_key() {
        let mut files = sample();
        files.push(file(
            "connectors/broken.yaml",
            "name: broken\nconfig:\n  topic.prefix: \"{{ env.nope }}\"\n  x: ~\n",
        ));
        files.push(file(
            "connectors/dup.yaml",
            "name: orders-cdc\nconfig: {connector.class: X}\n",
        ));
        let errs = load(&files, "prod").unwrap_err();
        let text = errs.to_string();
        assert!(text.contains(
            "connectors/broken.yaml: connector \"broken\": key \"topic.prefix\": {{ env.nope }} is not defined in environments/prod.yaml"
        ), "{text}");
        assert!(
            text.contains("connectors/broken.yaml: connector \"broken\": key \"x\": is null"),
            "{text}"
        );
        assert!(
            text.contains("key \"connector.class\": is missing"),
            "{text}"
        );
        assert!(text.contains(
            "connectors/orders.yaml: connector \"orders-cdc\": is also declared in connectors/dup.yaml"
        ), "{text}");
        assert_eq!(errs.0.len(), 4);
    }

    #[test]
    fn file_level_problems() {
        let cases: Vec<(Vec<SourceFile>, &str, &str)> = vec![
            (sample(), "staging", "environment \"staging\" has no values file (known environments: dev, prod)"),
            (sample(), "../etc", "must be 1-64"),
            (
                vec![file("environments/x.yaml", ""), file("a.yaml", "name: a\nconfig: {connector.class: X}\nextra: 1\n")],
                "x",
                "a.yaml: unknown field `extra`, expected one of name, config, state, environments at line 3, column 1",
            ),
            (
                vec![file("environments/x.yaml", ""), file("a.yaml", "name: a/b\nconfig: {connector.class: X}\n")],
                "x",
                "the name contains `/`",
            ),
            (
                vec![file("environments/x.yaml", ""), file("dots.yaml", "name: \"..\"\nconfig: {connector.class: X}\n")],
                "x",
                "dots.yaml: connector \"..\": the name is `.` or `..`",
            ),
            (
                vec![file("environments/x.yaml", ""), file("dot.yaml", "name: \".\"\nconfig: {connector.class: X}\n")],
                "x",
                "dot.yaml: connector \".\": the name is `.` or `..`",
            ),
            (
                vec![file("environments/x.yaml", ""), file("a.yaml", "name: a\nconfig: {connector.class: X, name: b}\n")],
                "x",
                "differs from the connector name",
            ),
            (
                vec![file("environments/x.yaml", "a: {b: ~}"), file("a.yaml", "name: a\nconfig: {connector.class: X}\n")],
                "x",
                "environments/x.yaml: key \"a.b\": is null",
            ),
        ];
        for (files, env, expected) in cases {
            let text = load(&files, env).unwrap_err().to_string();
            assert!(text.contains(expected), "{expected:?} not in {text}");
        }
    }

    #[test]
    fn debug_shows_keys_not_values() {
        let prod = load(&sample(), "prod").unwrap();
        let debug = format!("{prod:?}");
        assert!(debug.contains("database.hostname"));
        assert!(!debug.contains("pg.prod"), "{debug}");
    }
}
