//! Per-environment values in connector configs: `{{ env.name }}`.
//!
//! Why this syntax: Kafka Connect resolves `${provider:path:key}` itself (config providers), and
//! connectors use `${topic}`-style templates of their own, so anything starting with `$` could
//! collide. `{{ env.` never appears in Connect's or Debezium's syntax; everything else, including
//! every `${...}`, passes through untouched. Only a `{{` followed by `env.` is a reference, and a
//! malformed or undefined one is an error (a typo must not reach the cluster as literal text).

use std::collections::BTreeMap;

/// Why a value could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// `{{ env.name }}` where the environment file has no `name`.
    Undefined(String),
    /// `{{ env.` without a valid name and closing `}}`.
    Malformed(String),
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TemplateError::Undefined(name) => write!(f, "{{{{ env.{name} }}}} is not defined"),
            TemplateError::Malformed(text) => write!(
                f,
                "malformed reference {text:?}: expected {{{{ env.name }}}} with a name of letters, digits, `_`, `-` or `.`"
            ),
        }
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// Replaces every `{{ env.name }}` in `text` with the environment's value.
pub fn render(text: &str, env: &BTreeMap<String, String>) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after_open = &rest[open + 2..];
        let inner = after_open.trim_start();
        if !inner.starts_with("env.") {
            // Not ours: keep the braces literally and look further.
            out.push_str(&rest[..open + 2]);
            rest = after_open;
            continue;
        }
        let malformed = || {
            let end = rest[open..]
                .find("}}")
                .map_or(rest.len(), |i| open + i + 2)
                .min(open + 60);
            // The 60-byte cut may fall inside a multi-byte character: cut before it.
            let end = rest.floor_char_boundary(end);
            TemplateError::Malformed(rest[open..end].to_owned())
        };
        let name_and_rest = &inner["env.".len()..];
        let name_len = name_and_rest
            .find(|c: char| !is_name_char(c))
            .unwrap_or(name_and_rest.len());
        let name = &name_and_rest[..name_len];
        let Some(after_name) = name_and_rest[name_len..].trim_start().strip_prefix("}}") else {
            return Err(malformed());
        };
        if name.is_empty() || name.starts_with('.') || name.ends_with('.') {
            return Err(malformed());
        }
        let value = env
            .get(name)
            .ok_or_else(|| TemplateError::Undefined(name.to_owned()))?;
        out.push_str(&rest[..open]);
        out.push_str(value);
        rest = after_name;
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn env() -> BTreeMap<String, String> {
        [("db.host", "pg.internal"), ("port", "5432"), ("empty", "")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn substitutes_references() {
        assert_eq!(
            render(
                "jdbc:postgresql://{{ env.db.host }}:{{env.port}}/app",
                &env()
            )
            .unwrap(),
            "jdbc:postgresql://pg.internal:5432/app"
        );
        assert_eq!(render("{{ env.empty }}", &env()).unwrap(), "");
    }

    #[test]
    fn connect_placeholders_and_other_braces_pass_through() {
        for text in [
            "${file:/opt/secrets.properties:db.password}",
            "${secretsManager:prod/db:password}",
            "${topic}-${partition}",
            "{{ not_env }}",
            "{\"json\": {{1}}}",
            "{{",
        ] {
            assert_eq!(render(text, &env()).unwrap(), text);
        }
    }

    #[test]
    fn undefined_and_malformed_references_are_errors() {
        assert_eq!(
            render("{{ env.missing }}", &env()).unwrap_err(),
            TemplateError::Undefined("missing".into())
        );
        for text in [
            "{{ env.port",
            "{{ env. }}",
            "{{ env.a b }}",
            "{{ env.port. }}",
        ] {
            assert!(
                matches!(render(text, &env()), Err(TemplateError::Malformed(_))),
                "{text}"
            );
        }
        assert!(TemplateError::Undefined("x".into())
            .to_string()
            .contains("{{ env.x }}"));
    }

    proptest! {
        /// Text without `{{` is never changed: Connect's own syntax always survives.
        #[test]
        fn text_without_double_braces_is_unchanged(text in "[^{]*") {
            prop_assert_eq!(render(&text, &env()).unwrap(), text);
        }
    }
}
