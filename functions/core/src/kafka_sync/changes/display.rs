//! The plan as readable text (the CLI's default output and the CodePipeline execution summary).
//! Values are already redacted in the plan; this only lays them out. The topic part, when there
//! is one, comes first (it is applied first): [`crate::kafka_sync::topics::display`].

use std::fmt::{self, Display, Formatter};

use crate::kafka_sync::changes::diff::{ChangeKind, ChangePlan, KeyChange, StateChange};

/// Unchanged connectors are listed by name up to this many; beyond, only counted.
const LIST_UNCHANGED_UP_TO: usize = 20;

fn quoted(v: &Option<String>) -> String {
    match v {
        Some(v) => format!("{v:?}"),
        None => "(unset)".into(),
    }
}

pub(crate) fn key_line(f: &mut Formatter<'_>, c: &KeyChange) -> fmt::Result {
    let secret = if c.secret { "  (secret)" } else { "" };
    match (&c.before, &c.after) {
        (None, Some(_)) => writeln!(f, "      + {} = {}{secret}", c.key, quoted(&c.after)),
        (Some(_), None) => writeln!(f, "      - {} (was {}){secret}", c.key, quoted(&c.before)),
        _ => writeln!(
            f,
            "      ~ {}: {} -> {}{secret}",
            c.key,
            quoted(&c.before),
            quoted(&c.after)
        ),
    }
}

fn state_text(s: &StateChange) -> String {
    format!(
        "{} -> {}",
        s.from.map_or("unknown", |r| r.as_str()),
        s.to.as_connect()
    )
}

impl Display for ChangePlan {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Kafka Connect {} · environment {}: {}",
            self.cluster_version, self.environment, self.summary
        )?;
        if !self.topics.is_empty() {
            write!(f, "{}", self.topics)?;
        }
        let mut unchanged = Vec::new();
        for c in &self.connectors {
            match &c.kind {
                ChangeKind::Create { state, config } => {
                    writeln!(f, "\n  + create {} ({})", c.name, state.as_connect())?;
                    for (k, v) in config {
                        writeln!(f, "      {k} = {v:?}")?;
                    }
                }
                ChangeKind::Update {
                    changes,
                    state,
                    dangerous,
                } => {
                    writeln!(f, "\n  ~ update {} ({} keys)", c.name, changes.len())?;
                    for change in changes {
                        key_line(f, change)?;
                    }
                    if let Some(s) = state {
                        writeln!(f, "      state: {}", state_text(s))?;
                    }
                    for d in dangerous {
                        writeln!(f, "      ! DANGEROUS: {} changes: {}", d.key, d.why)?;
                    }
                }
                ChangeKind::SetState { state } => {
                    writeln!(f, "\n  ~ state {}: {}", c.name, state_text(state))?;
                }
                ChangeKind::Delete => writeln!(f, "\n  - delete {}", c.name)?,
                ChangeKind::Unchanged { .. } => unchanged.push(c.name.as_str()),
            }
        }
        if !unchanged.is_empty() {
            if unchanged.len() <= LIST_UNCHANGED_UP_TO {
                writeln!(f, "\n  = unchanged: {}", unchanged.join(", "))?;
            } else {
                writeln!(f, "\n  = {} unchanged", unchanged.len())?;
            }
        }
        if !self.not_pruned.is_empty() {
            writeln!(
                f,
                "\n  In the managed scope but not in Git (deleted only with prune): {}",
                self.not_pruned.join(", ")
            )?;
        }
        if !self.unmanaged.is_empty() {
            writeln!(
                f,
                "\n  Not managed by Switchyard (never touched): {}",
                self.unmanaged.join(", ")
            )?;
        }
        for failing in &self.failing {
            writeln!(
                f,
                "\n  ! {} is FAILED: {}",
                failing.name,
                first_lines(&failing.trace, 3)
            )?;
        }
        for w in &self.warnings {
            writeln!(f, "\n  warning: {w}")?;
        }
        Ok(())
    }
}

/// A Java stack trace is long; its first lines say what failed.
pub fn first_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().take(n).collect();
    let more = text.lines().count() > n;
    format!("{}{}", lines.join(" | "), if more { " | …" } else { "" })
}

#[cfg(test)]
mod tests {
    use crate::kafka_sync::changes::diff::diff;
    use crate::kafka_sync::changes::diff::tests::{desired_state, observed_cluster, options};

    #[test]
    fn readable_text() {
        let p = diff(&desired_state(), &observed_cluster(), &options(true)).unwrap();
        let text = p.to_string();
        for expected in [
            "Kafka Connect 3.9.0 · environment test: 1 to create, 2 to update, 1 to delete, 1 unchanged",
            "+ create sy-new (RUNNING)",
            "~ update sy-changed (4 keys)",
            "~ tasks.max: \"1\" -> \"2\"",
            "- obsolete (was \"x\")",
            "~ database.password: \"<redacted>\" -> \"<redacted>\"  (secret)",
            "! DANGEROUS: topic.prefix changes",
            "~ state sy-paused: RUNNING -> PAUSED",
            "- delete sy-orphan",
            "= unchanged: sy-same",
            "Not managed by Switchyard (never touched): team-b-thing",
        ] {
            assert!(text.contains(expected), "{expected:?} not in:\n{text}");
        }
    }
}
