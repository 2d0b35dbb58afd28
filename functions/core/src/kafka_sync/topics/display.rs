//! The topic part of the plan as text, inside the plan's one rendering
//! ([`crate::kafka_sync::changes::display`]). Values are already redacted in the plan.

use std::fmt::{self, Display, Formatter};

use crate::kafka_sync::changes::display::key_line;
use crate::kafka_sync::topics::diff::{TopicChangeKind, TopicPlan};

/// Unchanged topics are listed by name up to this many; beyond, only counted.
const LIST_UNCHANGED_UP_TO: usize = 20;

impl Display for TopicPlan {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        writeln!(f, "Topics: {}", self.summary)?;
        let mut unchanged = Vec::new();
        for c in &self.changes {
            match &c.kind {
                TopicChangeKind::Create {
                    partitions,
                    replication_factor,
                    config,
                } => {
                    let replicas = replication_factor
                        .map_or("the broker's default".to_owned(), |r| r.to_string());
                    writeln!(
                        f,
                        "\n  + create topic {} ({partitions} partitions, replication factor {replicas})",
                        c.name
                    )?;
                    for (k, v) in config {
                        writeln!(f, "      {k} = {v:?}")?;
                    }
                }
                TopicChangeKind::Update {
                    partitions,
                    config,
                    replication_factor,
                } => {
                    writeln!(f, "\n  ~ update topic {}", c.name)?;
                    if let Some(p) = partitions {
                        writeln!(f, "      ~ partitions: {} -> {}", p.from, p.to)?;
                    }
                    for change in config {
                        key_line(f, change)?;
                    }
                    if let Some(r) = replication_factor {
                        writeln!(
                            f,
                            "      ! replication factor differs: {} on the cluster, {} in Git; not applied: it takes {}",
                            r.from, r.to, r.what_it_takes
                        )?;
                    }
                }
                TopicChangeKind::Delete => writeln!(f, "\n  - delete topic {}", c.name)?,
                TopicChangeKind::Unchanged => unchanged.push(c.name.as_str()),
            }
        }
        if !unchanged.is_empty() {
            if unchanged.len() <= LIST_UNCHANGED_UP_TO {
                writeln!(f, "\n  = unchanged topics: {}", unchanged.join(", "))?;
            } else {
                writeln!(f, "\n  = {} topics unchanged", unchanged.len())?;
            }
        }
        if !self.not_pruned.is_empty() {
            writeln!(
                f,
                "\n  Topics in the managed scope not deleted (deleted only with prune, and only when marked `delete: true` or with the per-run flag): {}",
                self.not_pruned.join(", ")
            )?;
        }
        writeln!(f, "\nConnectors:")
    }
}
