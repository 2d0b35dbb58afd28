//! kafka-sync's outside inputs: the desired-state files from Git (connector YAML/JSON and
//! `environments/<env>.yaml`, with `{{ env.name }}` substitution) and the Connect REST API's
//! answers (`GET /`, `GET /connectors?expand=info&expand=status`). Never a panic; a loaded state
//! only holds valid connector names.
//!
//! Input layout: the first byte picks the parser; for desired state, the rest is files separated
//! by two NULs, each `path NUL contents`.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use switchyard_core::kafka_sync::desired::template;
use switchyard_core::kafka_sync::{desired, observed, SourceFile};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => {
            let files = split_files(rest);
            for env in ["dev", "prod"] {
                if let Ok(state) = desired::load(&files, env) {
                    for name in state.connectors.keys() {
                        assert!(!name.is_empty() && !name.contains('/'), "{name:?}");
                    }
                }
            }
        }
        1 => {
            let text = String::from_utf8_lossy(rest);
            let env: BTreeMap<String, String> = [("db.host", "pg.internal"), ("port", "5432")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            if let Ok(out) = template::render(&text, &env) {
                // Whatever is not a reference passes through: Connect's own `${...}` included.
                assert_eq!(out.matches("${").count(), text.matches("${").count());
            }
        }
        _ => {
            let Ok(Value::Array(parts)) = serde_json::from_slice::<Value>(rest) else {
                return;
            };
            if let [server_info, connectors] = parts.as_slice() {
                let _ = observed::observe(server_info, connectors);
            }
        }
    }
});

fn split_files(all: &[u8]) -> Vec<SourceFile> {
    let mut files = Vec::new();
    let mut rest = all;
    while !rest.is_empty() {
        let end = rest.windows(2).position(|w| w == [0, 0]).unwrap_or(rest.len());
        let (file, tail) = rest.split_at(end);
        rest = tail.get(2..).unwrap_or(&[]);
        let (path, contents) = match file.iter().position(|&b| b == 0) {
            Some(i) => (&file[..i], &file[i + 1..]),
            None => continue,
        };
        files.push(SourceFile {
            path: String::from_utf8_lossy(path).into_owned(),
            contents: contents.to_vec(),
        });
    }
    files
}
