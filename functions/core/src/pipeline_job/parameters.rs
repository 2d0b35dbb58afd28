//! `UserParameters`: the JSON text in the action's configuration, validated into a function's
//! typed schema. Every error names the field, prefixed `UserParameters.`, so the pipeline's
//! failure message tells the pipeline author exactly what to fix.

use serde::de::DeserializeOwned;

use super::Job;
use crate::json::FieldError;

/// A function's `UserParameters` schema: serde for the shape (use `deny_unknown_fields`, so a typo
/// is an error and not a silently ignored key), [`JobParameters::validate`] for the rules serde
/// cannot express. `validate` returns the field path relative to the parameters (`regions[1]`).
pub trait JobParameters: DeserializeOwned {
    fn validate(&self) -> Result<(), FieldError> {
        Ok(())
    }
}

const FIELD: &str = "UserParameters";

fn named(path: &str, message: impl Into<String>) -> FieldError {
    let path = if path == "." { "" } else { path };
    FieldError::new(path, message).within(FIELD)
}

/// Parses and validates the job's `UserParameters`. Absent parameters read as `{}`, so the
/// schema's own required fields say what is missing.
pub fn parameters<T: JobParameters>(job: &Job) -> Result<T, FieldError> {
    let text = job.user_parameters.as_deref().unwrap_or("").trim();
    let text = if text.is_empty() { "{}" } else { text };
    let mut de = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return named("", format!("is not valid JSON: {inner}"));
        }
        // serde_json appends "at line 1 column 7": noise once the field is named.
        let text = inner.to_string();
        named(&path, text.split(" at line ").next().unwrap_or(&text))
    })?;
    de.end()
        .map_err(|e| named("", format!("is not valid JSON: {e}")))?;
    value.validate().map_err(|e| named(&e.field, e.message))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Example {
        regions: Vec<String>,
        #[serde(default)]
        wait_minutes: u32,
    }

    impl JobParameters for Example {
        fn validate(&self) -> Result<(), FieldError> {
            match self.regions.iter().position(|r| r.is_empty()) {
                Some(i) => Err(FieldError::new(format!("regions[{i}]"), "is empty")),
                None => Ok(()),
            }
        }
    }

    fn job(params: Option<&str>) -> Job {
        Job {
            id: "11111111-abcd-1111-abcd-111111abcdef".into(),
            account_id: None,
            function_name: None,
            user_parameters: params.map(str::to_owned),
            input_artifacts: vec![],
            continuation_token: None,
            artifact_credentials: None,
            pipeline: None,
        }
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (None, "UserParameters", "missing field `regions`"),
            (
                Some(r#"{"regions": ["a", 1]}"#),
                "UserParameters.regions[1]",
                "invalid type: integer `1`, expected a string",
            ),
            (
                Some(r#"{"regions": [], "wait_minutes": -1}"#),
                "UserParameters.wait_minutes",
                "invalid value",
            ),
            (
                Some(r#"{"regions": [], "regoins": []}"#),
                "UserParameters.regoins",
                "unknown field `regoins`",
            ),
            (Some("{not json"), "UserParameters", "is not valid JSON"),
            (
                Some(r#"{"regions": []} trailing"#),
                "UserParameters",
                "is not valid JSON",
            ),
            (
                Some(r#"{"regions": ["a", ""]}"#),
                "UserParameters.regions[1]",
                "is empty",
            ),
        ];
        for (text, field, message) in cases {
            let err = parameters::<Example>(&job(text)).unwrap_err();
            assert_eq!(err.field, field, "{text:?}: {err}");
            assert!(err.message.contains(message), "{text:?}: {err}");
            if !message.contains("JSON") {
                assert!(!err.message.contains("line 1"), "{err}");
            }
        }
        let ok = parameters::<Example>(&job(Some(r#" {"regions": ["eu-west-1"]} "#))).unwrap();
        assert_eq!(ok.regions, ["eu-west-1"]);
        assert_eq!(ok.wait_minutes, 0);
    }
}
