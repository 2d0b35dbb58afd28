//! `switchyard tag check <TAG>`: the tag grammar and derivations of `tag-release`, from a
//! terminal, with the same configuration variables.

use std::process::ExitCode;

use serde_json::{json, Map, Value};
use switchyard_core::refs::RefName;
use switchyard_core::tag_release::{Release, TagReleaseConfig};

use crate::replay::Layered;
use crate::TagCheckArgs;

/// Exit codes: 0 a release tag, 1 not one, 2 the configuration is wrong.
pub fn check(args: &TagCheckArgs) -> ExitCode {
    let config = match Layered::load(args.env_file.as_deref())
        .and_then(|vars| TagReleaseConfig::from_vars(&vars).map_err(|e| e.to_string()))
    {
        Ok(config) => config,
        Err(e) => {
            eprintln!("switchyard: {e}");
            return ExitCode::from(2);
        }
    };
    match check_tag(&args.tag, &config) {
        Ok(out) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&out).expect("JSON values serialize")
            );
            ExitCode::SUCCESS
        }
        Err(reason) => {
            eprintln!("switchyard: {reason}");
            ExitCode::from(1)
        }
    }
}

/// The parsed and derived values, plus the variables the release target receives.
fn check_tag(tag: &str, config: &TagReleaseConfig) -> Result<Value, String> {
    RefName::parse(tag).map_err(|e| format!("{tag:?} is not a valid git tag name: {e}"))?;
    let parsed = config
        .grammar
        .parse(tag)
        .map_err(|e| format!("tag {tag:?} is not a release tag: {e}"))?;
    let release = Release::derive(&parsed, config);
    let variables: Map<String, Value> = release
        .variables()
        .iter()
        .map(|(name, value)| ((*name).to_owned(), json!(value)))
        .collect();
    let mut out = serde_json::to_value(&release).expect("a release serializes");
    out["variables"] = Value::Object(variables);
    Ok(out)
}
