//! Reading untrusted JSON with errors that name the field: `detail.referenceName: expected a
//! string, found a number`.

use serde_json::Value;

use crate::text::one_line;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Longest field path and message kept: a field error is one line of a log and of a
/// CodePipeline failure message, whatever the input quoted in it.
const MAX_FIELD: usize = 200;
const MAX_MESSAGE: usize = 360;

impl FieldError {
    /// Both parts are cut to one bounded line ([`crate::text::one_line`]): messages quote
    /// untrusted values, and parser errors quote whole keys.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: one_line(&field.into(), MAX_FIELD),
            message: one_line(&message.into(), MAX_MESSAGE),
        }
    }

    /// The same error, for a field inside `parent` (`Records[0]` + `body` →
    /// `Records[0].body`): how errors from a nested document name their place in the event.
    /// A field already inside `parent`, or an empty `parent`, is left as it is.
    pub fn within(self, parent: &str) -> Self {
        let inside = self
            .field
            .strip_prefix(parent)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']));
        if parent.is_empty() || inside {
            return self;
        }
        if self.field.is_empty() {
            return FieldError::new(parent, self.message);
        }
        let separator = if self.field.starts_with('[') { "" } else { "." };
        FieldError::new(format!("{parent}{separator}{}", self.field), self.message)
    }
}

fn label(path: &[&str]) -> String {
    path.join(".")
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The value at `path`, or `None` if any step is missing or null.
pub fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for key in path {
        cur = cur.get(key)?;
    }
    (!cur.is_null()).then_some(cur)
}

pub fn opt_str<'a>(v: &'a Value, path: &[&str]) -> Result<Option<&'a str>, FieldError> {
    match get(v, path) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(FieldError::new(
            label(path),
            format!("expected a string, found {}", type_name(other)),
        )),
    }
}

pub fn str<'a>(v: &'a Value, path: &[&str]) -> Result<&'a str, FieldError> {
    opt_str(v, path)?.ok_or_else(|| FieldError::new(label(path), "is missing"))
}

pub fn opt_bool(v: &Value, path: &[&str]) -> Result<Option<bool>, FieldError> {
    match get(v, path) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(FieldError::new(
            label(path),
            format!("expected a boolean, found {}", type_name(other)),
        )),
    }
}

pub fn opt_array<'a>(v: &'a Value, path: &[&str]) -> Result<Option<&'a Vec<Value>>, FieldError> {
    match get(v, path) {
        None => Ok(None),
        Some(Value::Array(a)) => Ok(Some(a)),
        Some(other) => Err(FieldError::new(
            label(path),
            format!("expected an array, found {}", type_name(other)),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_name_the_field_and_type() {
        let v = json!({"detail": {"a": 1, "b": "x", "c": null}});
        assert_eq!(str(&v, &["detail", "b"]).unwrap(), "x");
        assert_eq!(
            str(&v, &["detail", "a"]).unwrap_err().to_string(),
            "detail.a: expected a string, found a number"
        );
        assert_eq!(
            str(&v, &["detail", "c"]).unwrap_err().to_string(),
            "detail.c: is missing"
        );
        assert_eq!(opt_str(&v, &["nope", "x"]).unwrap(), None);
    }

    #[test]
    fn nested_errors_name_their_place() {
        let e = FieldError::new("body", "is missing");
        assert_eq!(e.clone().within("Records[0]").field, "Records[0].body");
        assert_eq!(e.clone().within("").field, "body");
        let inner = FieldError::new("Records[0].body", "x");
        assert_eq!(inner.clone().within("Records[0]"), inner);
        assert_eq!(
            FieldError::new("[1].a", "x").within("items").field,
            "items[1].a"
        );
    }
}
