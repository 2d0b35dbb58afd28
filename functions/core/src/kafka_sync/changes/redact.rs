//! The one place that decides what of a connector config, or of a peer's message, may be shown:
//! every rendering of a plan (text, JSON, `Debug`, logs), every Connect error and trace that
//! reaches a log, a plan or a CodePipeline job result goes through here.
//!
//! A key is secret when one of its words (split on `.`, `_`, `-` and camelCase, so `secretKey`,
//! `clientSecret`) is a secret word (`password`, `secret`, `token`, `authorization`…), when its
//! last word is `key` (`api.key`, `ssl.keystore.key`, `accessKey`) — but not `key.converter` —,
//! when it is a JAAS config (which embeds passwords), `basic.auth.user.info` (`user:password`),
//! or when the connector plugin reports it as type PASSWORD (from validation). Its value is shown
//! as `<redacted>`.
//!
//! Any other value is shown with its embedded credentials cut out, the rest kept visible: the
//! password of a URL's user info (`jdbc:postgresql://app:<redacted>@db:5432/orders`, the host
//! stays), secret-named parameters (`?password=…`, `;password=…`), secret-named header values
//! (`Authorization: <redacted>`) and the body of PEM blocks (`-----BEGIN … KEY-----`).
//!
//! A config-provider placeholder (`${vault:path:key}`) holds no secret: it is shown as is,
//! so a reviewer sees which secret a connector refers to.
//!
//! Text from a peer (Connect's error messages and stack traces, which quote config values:
//! Kafka's "Invalid value X for configuration Y") goes through a [`Scrubber`] built from the
//! configs in play: it removes the values of their secret keys wherever they appear, then the
//! embedded credential forms above, then bounds the length.

use std::collections::BTreeSet;
use std::fmt;
use std::ops::Range;

use crate::kafka_sync::desired::ConnectorConfig;
use crate::text;

pub const REDACTED: &str = "<redacted>";

/// The longest peer text kept, in characters (a stack trace's first lines say what failed).
pub const PEER_TEXT_LIMIT: usize = 2000;

/// A secret value shorter than this is not searched for in peer text: it would match ordinary
/// words and numbers (no real password is this short).
const MIN_SCRUBBED_LEN: usize = 4;

const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "credential",
    "credentials",
    "apikey",
    "passphrase",
    "privatekey",
    "authorization",
    "bearer",
    "userinfo",
];

/// Last words of keys that say something *about* a secret (where it comes from, its type, a
/// path to it), not the secret: `basic.auth.credentials.source`, `aws.credentials.provider`.
const ABOUT_A_SECRET: &[&str] = &[
    "source",
    "provider",
    "type",
    "location",
    "path",
    "file",
    "class",
    "mode",
    "enable",
    "enabled",
    "algorithm",
    "url",
    "uri",
    "endpoint",
    "ms",
];

/// Secret-key detection by name, extended with the PASSWORD-type keys plugins report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Redactor {
    password_keys: BTreeSet<String>,
}

impl Redactor {
    /// Adds keys a plugin declared as PASSWORD (from `config/validate`).
    pub fn with_password_keys(mut self, keys: impl IntoIterator<Item = String>) -> Self {
        self.password_keys.extend(keys);
        self
    }

    pub fn is_secret(&self, key: &str) -> bool {
        self.password_keys.contains(key) || looks_secret(key)
    }

    /// The value as it may be shown for this key.
    pub fn show(&self, key: &str, value: &str) -> String {
        if is_placeholder(value) {
            value.to_owned()
        } else if self.is_secret(key) {
            REDACTED.to_owned()
        } else {
            redact_embedded(value)
        }
    }

    /// A scrubber for peer text about these configs: it knows every secret value in them.
    pub fn scrubber<'a>(&self, configs: impl IntoIterator<Item = &'a ConnectorConfig>) -> Scrubber {
        let mut values = BTreeSet::new();
        for config in configs {
            for (key, value) in &config.0 {
                if is_placeholder(value) {
                    continue;
                }
                if self.is_secret(key) {
                    values.insert(value.clone());
                    // `user:password` (basic.auth.user.info): the password alone may be quoted.
                    if let Some((_, password)) = value.split_once(':') {
                        values.insert(password.to_owned());
                    }
                }
                values.extend(secret_spans(value).into_iter().map(|r| value[r].to_owned()));
            }
        }
        values.retain(|v| v.trim().chars().count() >= MIN_SCRUBBED_LEN);
        // Longest first, so a value containing another is replaced whole.
        let mut values: Vec<String> = values.into_iter().collect();
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        Scrubber {
            redactor: self.clone(),
            values,
        }
    }
}

/// Cleans text from a peer before it reaches a log, a plan or a job result. `Debug` shows only
/// how many values it knows.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Scrubber {
    redactor: Redactor,
    values: Vec<String>,
}

impl fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scrubber({} secret values)", self.values.len())
    }
}

impl Scrubber {
    /// `text` without the secret values of the configs in play nor embedded credentials, at most
    /// [`PEER_TEXT_LIMIT`] characters (line breaks kept: traces are cut to lines later).
    pub fn scrub(&self, text: &str) -> String {
        text::truncate(&redact_embedded(&self.hide(text)), PEER_TEXT_LIMIT)
    }

    /// The value of `key` as a plan shows it: [`Redactor::show`], and a secret value of another
    /// key pasted into this one hidden too.
    pub fn show(&self, key: &str, value: &str) -> String {
        self.hide(&self.redactor.show(key, value))
    }

    pub fn is_secret(&self, key: &str) -> bool {
        self.redactor.is_secret(key)
    }

    fn hide(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for value in &self.values {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), REDACTED);
            }
        }
        out
    }
}

/// One line of peer text (an error message) that knows no config: embedded credentials removed,
/// control characters escaped, bounded.
pub fn scrub_message(message: &str) -> String {
    text::one_line(&redact_embedded(message), PEER_TEXT_LIMIT)
}

/// The words of a key, lowercase: split on `.`, `_`, `-`, `/`, spaces and camelCase humps
/// (`secretKey` → `secret`, `key`; `APIKey` → `api`, `key`).
fn words(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let chars: Vec<char> = key.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1).copied();
        let hump = c.is_uppercase()
            && prev.is_some_and(|p| {
                p.is_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_uppercase() && next.is_some_and(char::is_lowercase))
            });
        if hump && !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// By name alone.
pub fn looks_secret(key: &str) -> bool {
    let words = words(key);
    let ends_with = |tail: &[&str]| {
        words.len() >= tail.len() && words[words.len() - tail.len()..].iter().eq(tail.iter())
    };
    if words
        .last()
        .is_some_and(|w| ABOUT_A_SECRET.contains(&w.as_str()))
    {
        return false;
    }
    words.iter().any(|w| SECRET_WORDS.contains(&w.as_str()))
        || ends_with(&["key"])
        || ends_with(&["jaas", "config"])
        || ends_with(&["user", "info"])
}

/// `${provider:path:key}` (or `${provider:key}`) and nothing else: Connect resolves it on the
/// worker, so the value itself carries no secret.
pub fn is_placeholder(value: &str) -> bool {
    let Some(inner) = value.strip_prefix("${").and_then(|v| v.strip_suffix('}')) else {
        return false;
    };
    !inner.contains(['{', '}']) && inner.contains(':') && !inner.starts_with(':')
}

/// `value` with every embedded credential replaced by `<redacted>`.
pub fn redact_embedded(value: &str) -> String {
    let spans = secret_spans(value);
    if spans.is_empty() {
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len());
    let mut at = 0;
    for span in spans {
        out.push_str(&value[at..span.start]);
        out.push_str(REDACTED);
        at = span.end;
    }
    out.push_str(&value[at..]);
    out
}

/// The byte ranges of embedded credentials in `text`: sorted, disjoint, never inside a
/// `${…}` placeholder.
fn secret_spans(text: &str) -> Vec<Range<usize>> {
    let placeholders = placeholder_spans(text);
    let mut spans: Vec<Range<usize>> = url_user_info(text)
        .into_iter()
        .chain(named_values(text))
        .chain(invalid_values(text))
        .chain(pem_bodies(text))
        .filter(|s| !s.is_empty())
        .filter(|s| {
            !placeholders
                .iter()
                .any(|p| p.start < s.end && s.start < p.end)
        })
        .collect();
    spans.sort_by_key(|s| (s.start, std::cmp::Reverse(s.end)));
    let mut merged: Vec<Range<usize>> = Vec::new();
    for s in spans {
        match merged.last_mut() {
            Some(last) if s.start <= last.end => last.end = last.end.max(s.end),
            _ => merged.push(s),
        }
    }
    merged
}

fn placeholder_spans(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = text[from..].find("${").map(|i| from + i) {
        let Some(end) = text[start..].find('}').map(|i| start + i + 1) else {
            break;
        };
        if is_placeholder(&text[start..end]) {
            out.push(start..end);
        }
        from = end;
    }
    out
}

/// `scheme://user:password@host` → the password; `scheme://token@host` → the token. The host
/// stays visible.
fn url_user_info(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(sep) = text[from..].find("://").map(|i| from + i) {
        let authority_start = sep + 3;
        let authority_end = text[authority_start..]
            .find(|c: char| {
                c == '/' || c == '?' || c == '#' || c.is_whitespace() || "\"'<>,;|".contains(c)
            })
            .map_or(text.len(), |i| authority_start + i);
        let authority = &text[authority_start..authority_end];
        if let Some(at) = authority.rfind('@') {
            let user_info = authority_start..authority_start + at;
            match text[user_info.clone()].find(':') {
                Some(colon) => out.push(user_info.start + colon + 1..user_info.end),
                None => out.push(user_info),
            }
        }
        from = authority_end.max(authority_start);
    }
    out
}

/// The value after a secret-named parameter or header: `password=…` (query strings, JDBC
/// properties, Java's `{k=v, …}`), `Authorization: …`, `"token": "…"`.
fn named_values(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        if b != b'=' && b != b':' {
            continue;
        }
        // A URL's `scheme://`, and `==`, are not assignments.
        if text[i + 1..].starts_with("//") || text[i + 1..].starts_with('=') {
            continue;
        }
        let mut name_end = i;
        if name_end > 0 && matches!(bytes[name_end - 1], b'"' | b'\'') {
            name_end -= 1;
        }
        let name_start = text[..name_end]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || "._-".contains(c)))
            .map_or(0, |p| p + 1);
        let name = &text[name_start..name_end];
        if name.is_empty() || !looks_secret(name) {
            continue;
        }
        let mut start = i + 1;
        while text[start..].starts_with(' ') {
            start += 1;
        }
        let end = if let Some(quote) = text[start..]
            .chars()
            .next()
            .filter(|c| *c == '"' || *c == '\'')
        {
            start += 1;
            text[start..].find(quote).map_or(text.len(), |p| start + p)
        } else {
            // A header's value runs to the end of its line (`Bearer abc`); an assignment's to the
            // next separator.
            let stop: &[char] = if b == b':' {
                &['\n', '\r', '|', ',', ';', '"', '\'', '}', ']', ')']
            } else {
                &[
                    ' ', '\t', '\n', '\r', '&', ';', ',', '"', '\'', '}', ']', ')', '|',
                ]
            };
            text[start..].find(stop).map_or(text.len(), |p| start + p)
        };
        out.push(start..end);
    }
    out
}

/// Kafka's `ConfigException`: "Invalid value X for configuration Y" → X, when Y is secret.
fn invalid_values(text: &str) -> Vec<Range<usize>> {
    const HEAD: &str = "Invalid value ";
    const MIDDLE: &str = " for configuration ";
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = text[from..].find(HEAD).map(|i| from + i + HEAD.len()) {
        let Some(middle) = text[start..].find(MIDDLE).map(|i| start + i) else {
            break;
        };
        let name_start = middle + MIDDLE.len();
        let name_end = text[name_start..]
            .find(|c: char| c.is_whitespace() || c == ':')
            .map_or(text.len(), |i| name_start + i);
        if looks_secret(&text[name_start..name_end]) {
            out.push(start..middle);
        }
        from = name_end;
    }
    out
}

/// The body of each `-----BEGIN …-----` … `-----END …-----` block (to the end when unterminated).
fn pem_bodies(text: &str) -> Vec<Range<usize>> {
    const BEGIN: &str = "-----BEGIN ";
    const DASHES: &str = "-----";
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(begin) = text[from..].find(BEGIN).map(|i| from + i) {
        let label_start = begin + BEGIN.len();
        let Some(body_start) = text[label_start..]
            .find(DASHES)
            .map(|i| label_start + i + DASHES.len())
        else {
            out.push(label_start..text.len());
            break;
        };
        let body_end = text[body_start..]
            .find("-----END ")
            .map_or(text.len(), |i| body_start + i);
        out.push(body_start..body_end);
        from = body_end.max(body_start);
        if from >= text.len() {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_by_name() {
        for key in [
            "database.password",
            "connection.password",
            "ssl.keystore.password",
            "ssl.truststore.password",
            "ssl.key.password",
            "ssl.keystore.key",
            "aws.secret.access.key",
            "api.key",
            "sasl.jaas.config",
            "producer.override.sasl.jaas.config",
            "auth.token",
            "gcs.credentials.json",
            "azure_client_secret",
            "API-KEY",
            "camel.kamelet.aws-s3-source.secretKey",
            "camel.kamelet.aws-s3-source.accessKey",
            "clientSecret",
            "APIKey",
            "basic.auth.user.info",
            "value.converter.basic.auth.user.info",
            "schema.registry.basic.auth.user.info",
            "headers.Authorization",
            "http.authorization.header",
        ] {
            assert!(looks_secret(key), "{key} should be secret");
        }
        for key in [
            "key.converter",
            "key.converter.schemas.enable",
            "message.key.columns",
            "database.user",
            "topic.prefix",
            "tasks.max",
            "keystore.type",
            "ssl.keystore.type",
            "ssl.keystore.location",
            "ssl.truststore.type",
            "basic.auth.credentials.source",
            "connection.url",
            "camel.kamelet.aws-s3-source.accessKeyId",
            "tokenizer",
            "monkey.business",
            "primary.key.mode",
            "aws.credentials.provider",
            "oauth.token.endpoint.url",
            "gcs.credentials.path",
        ] {
            assert!(!looks_secret(key), "{key} should not be secret");
        }
    }

    #[test]
    fn camel_case_words() {
        assert_eq!(words("secretKey"), ["secret", "key"]);
        assert_eq!(words("APIKey"), ["api", "key"]);
        assert_eq!(
            words("aws-s3-source.accessKeyId"),
            ["aws", "s3", "source", "access", "key", "id"]
        );
        assert_eq!(
            words("basic.auth.user.info"),
            ["basic", "auth", "user", "info"]
        );
    }

    #[test]
    fn shows_placeholders_and_redacts_literals() {
        let r = Redactor::default().with_password_keys(["db.pass.word.x".to_owned()]);
        assert_eq!(r.show("database.password", "hunter2"), REDACTED);
        assert_eq!(
            r.show("database.password", "${file:/s.properties:pw}"),
            "${file:/s.properties:pw}"
        );
        assert_eq!(
            r.show("clientSecret", "${secretsManager:prod/app:secret}"),
            "${secretsManager:prod/app:secret}"
        );
        assert_eq!(r.show("database.password", "x${file:/s:pw}"), REDACTED);
        assert_eq!(r.show("db.pass.word.x", "plugin says so"), REDACTED);
        assert_eq!(r.show("database.user", "app"), "app");
        assert!(!is_placeholder("${topic}"));
    }

    #[test]
    fn url_credentials_are_cut_and_the_host_kept() {
        let r = Redactor::default();
        for (value, shown) in [
            (
                "jdbc:postgresql://app:s3cr3t-pw@db.internal:5432/orders",
                "jdbc:postgresql://app:<redacted>@db.internal:5432/orders",
            ),
            (
                "mongodb://reader:m0ng0-pw@mongo-1:27017,mongo-2:27017/db?authSource=admin",
                "mongodb://reader:<redacted>@mongo-1:27017,mongo-2:27017/db?authSource=admin",
            ),
            (
                "https://ghp_tok3n@github.com/x",
                "https://<redacted>@github.com/x",
            ),
            (
                "jdbc:mysql://db:3306/x?user=app&password=pa55word&ssl=true",
                "jdbc:mysql://db:3306/x?user=app&password=<redacted>&ssl=true",
            ),
            (
                "jdbc:sqlserver://db:1433;databaseName=x;user=app;password=pa55word",
                "jdbc:sqlserver://db:1433;databaseName=x;user=app;password=<redacted>",
            ),
            (
                "jdbc:postgresql://${file:/s:user}:${file:/s:pw}@db:5432/x",
                "jdbc:postgresql://${file:/s:user}:${file:/s:pw}@db:5432/x",
            ),
            (
                "jdbc:postgresql://db.internal:5432/orders",
                "jdbc:postgresql://db.internal:5432/orders",
            ),
            ("http://schema-registry:8081", "http://schema-registry:8081"),
        ] {
            assert_eq!(r.show("connection.url", value), shown, "{value}");
        }
    }

    #[test]
    fn headers_and_pem_material_are_cut() {
        let r = Redactor::default();
        assert_eq!(
            r.show(
                "headers",
                "Authorization:Bearer abc.def|Content-Type:application/json"
            ),
            "Authorization:<redacted>|Content-Type:application/json"
        );
        assert_eq!(
            r.show("http.headers", "X-Api-Key: k3y-v4lue, Accept: */*"),
            "X-Api-Key: <redacted>, Accept: */*"
        );
        let pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----";
        assert_eq!(
            r.show("ssl.keystore.certificate.chain", pem),
            "-----BEGIN PRIVATE KEY-----<redacted>-----END PRIVATE KEY-----"
        );
        assert_eq!(r.show("topic.prefix", "orders:v1"), "orders:v1");
    }

    #[test]
    fn scrubs_peer_text_of_the_secret_values_in_play() {
        let config = ConnectorConfig(
            [
                ("database.password", "hunter2-pw"),
                ("basic.auth.user.info", "sr-user:sr-pa55"),
                ("connection.url", "jdbc:postgresql://app:url-pa55@db:5432/x"),
                ("database.user", "app"),
                ("short.password", "abc"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        );
        let scrubber = Redactor::default().scrubber([&config]);
        let text =
            "Connector configuration is invalid: Invalid value hunter2-pw for configuration \
             database.passwd.other: bad\nCaused by: 401 for sr-pa55\n\tat Connect(url-pa55) app";
        let scrubbed = scrubber.scrub(text);
        for secret in ["hunter2-pw", "sr-pa55", "url-pa55"] {
            assert!(!scrubbed.contains(secret), "{scrubbed}");
        }
        assert!(
            scrubbed.contains("\tat Connect(<redacted>) app"),
            "{scrubbed}"
        );
        assert!(!format!("{scrubber:?}").contains("hunter2"));
        // A secret pasted into another key is hidden there too.
        assert_eq!(scrubber.show("batch.size", "hunter2-pw"), REDACTED);
        assert_eq!(scrubber.show("database.user", "app"), "app");
        assert_eq!(
            scrub_message("Invalid value s3cr3t for configuration sasl.jaas.config"),
            "Invalid value <redacted> for configuration sasl.jaas.config"
        );
        assert_eq!(
            scrub_message("Invalid value 7 for configuration tasks.max: no"),
            "Invalid value 7 for configuration tasks.max: no"
        );
        assert_eq!(
            scrub_message(r#"{"database.password": "hunter2", "database.user": "app"}"#),
            r#"{"database.password": "<redacted>", "database.user": "app"}"#
        );
        let long = scrubber.scrub(&"x".repeat(10 * PEER_TEXT_LIMIT));
        assert_eq!(long.chars().count(), PEER_TEXT_LIMIT);
    }
}
