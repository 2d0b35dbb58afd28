//! Configuration of the `kafka-sync` Lambda, from environment variables read at cold start.
//! Every error names the variable (and the field inside a JSON variable).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use crate::config::{self, ConfigError, Vars};
use crate::kafka_sync::apply::ApplyOptions;
use crate::kafka_sync::brokers::{BrokerAuth, BrokersConfig};
use crate::kafka_sync::changes::redact;
use crate::kafka_sync::changes::scope::ManagedScope;
use crate::kafka_sync::reconcile::{ReconcileConfig, ReconcileMode};
use crate::kafka_sync::retry::Backoff;
use crate::kafka_sync::run::{DEFAULT_CONCURRENCY, DEFAULT_POLL_INTERVAL};
use crate::regions;
use crate::text;

/// One Kafka Connect cluster the function may sync, by the name `UserParameters.cluster` uses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// REST URL, `https://connect.internal:8083`.
    pub url: String,
    /// Secrets Manager secret with basic auth / TLS material (see docs/kafka-sync.md).
    #[serde(default)]
    pub credentials_secret_id: Option<String>,
    /// Connectors whose name starts with one of these are Switchyard's (may be pruned).
    #[serde(default)]
    pub managed_prefixes: Vec<String>,
    /// And these, by exact name.
    #[serde(default)]
    pub managed_connectors: Vec<String>,
    /// The pipelines whose jobs may sync this cluster, by name (as CodePipeline's
    /// `GetJobDetails` names them). None: no pipeline job may (bundles are configured apart).
    #[serde(default)]
    pub pipelines: Vec<String>,
    /// Let a desired state create or overwrite connectors outside the managed scope (default:
    /// such writes are refused, naming each connector).
    #[serde(default)]
    pub allow_unmanaged_writes: bool,
    /// Send the credentials of `credentials_secret_id` over plain `http://` to a host that is not
    /// loopback (default: refused at cold start).
    #[serde(default)]
    pub allow_plaintext_credentials: bool,
    /// The cluster's Kafka brokers, for topics ([`BrokersConfig`]). None: no topics.
    #[serde(default)]
    pub kafka: Option<BrokersConfig>,
    /// What the scheduled drift check may do ([`ReconcileConfig`]; default: not checked).
    #[serde(default)]
    pub reconcile: ReconcileConfig,
}

impl ClusterConfig {
    pub fn scope(&self) -> ManagedScope {
        ManagedScope::new(
            self.managed_prefixes.clone(),
            self.managed_connectors.clone(),
        )
    }

    /// Whether jobs of `pipeline` may sync this cluster.
    pub fn allows_pipeline(&self, pipeline: &str) -> bool {
        self.pipelines.iter().any(|p| p == pipeline)
    }
}

/// A desired-state bundle uploaded to S3 (for teams without a pipeline): the object at
/// `bucket`/`key` is a zip applied to `cluster` with `environment`'s values.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleConfig {
    pub bucket: String,
    pub key: String,
    pub environment: String,
    pub cluster: String,
    /// Folder inside the zip holding the desired state (default: its root).
    #[serde(default)]
    pub directory: String,
    #[serde(default)]
    pub prune: bool,
    /// With prune, also delete managed topics that are not in Git (default: only topics marked
    /// `delete: true` are deleted).
    #[serde(default)]
    pub delete_topics: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaSyncConfig {
    /// `KAFKA_CLUSTERS` (required): JSON object, cluster name → [`ClusterConfig`].
    pub clusters: BTreeMap<String, ClusterConfig>,
    /// `KAFKA_BUNDLES` (optional): JSON array of [`BundleConfig`].
    pub bundles: Vec<BundleConfig>,
    /// `KAFKA_ARTIFACT_BUCKETS` (comma-separated): the buckets a pipeline job's input artifact
    /// may be read from; the stack sets its pipeline artifact bucket. Empty: no job may sync.
    pub artifact_buckets: Vec<String>,
    /// `CONNECT_VALIDATE` (default true): server-side validation before writing.
    pub validate: bool,
    /// `CONNECT_CONCURRENCY` (default 4, 1–32): connectors written at the same time.
    pub concurrency: usize,
    /// `CONNECT_RESTART_FAILED` (default false): restart failed connectors/tasks once.
    pub restart_failed: bool,
    /// `CONNECT_ALLOW_DANGEROUS` (default false): apply identity-key changes without
    /// `allowDangerous` in the job's parameters.
    pub allow_dangerous: bool,
    /// `CONNECT_REQUEST_TIMEOUT_SECONDS` (default 30): per request.
    pub request_timeout: Duration,
    /// `CONNECT_POLL_SECONDS` (default 2): status polling interval while waiting.
    pub poll_interval: Duration,
    /// `KAFKA_STATE_TABLE` (optional): the DynamoDB table of each cluster's last applied desired
    /// state and restart ledger. Unset: nothing is recorded, no apply is refused as older, and
    /// no cluster may have a reconcile mode.
    pub state_table: Option<String>,
    /// `CONNECT_MAX_WAIT_MINUTES` (default 30): how long a pipeline job may keep waiting (across
    /// continuations) for connectors to reach their state before it fails.
    pub max_wait: Duration,
}

/// A cluster's REST URL: `https://` or `http://` and a host, with no credentials in it (they would
/// be logged with the URL; they belong in `credentials_secret_id`). Credentials are sent over
/// plain `http://` only to a loopback host, or when the cluster says so
/// (`allow_plaintext_credentials`). Messages never quote a URL with credentials.
fn check_url(var: &str, name: &str, cluster: &ClusterConfig) -> Result<(), ConfigError> {
    let field = format!("{var}.{name}.url");
    let url = cluster.url.as_str();
    let (plaintext, rest) = match (url.strip_prefix("https://"), url.strip_prefix("http://")) {
        (Some(rest), _) => (false, rest),
        (None, Some(rest)) => (true, rest),
        (None, None) => {
            return Err(ConfigError::new(
                &field,
                format!(
                    "{:?} must start with https:// or http://",
                    text::truncate_for_message(&redact::redact_embedded(url))
                ),
            ))
        }
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(ConfigError::new(
            &field,
            "carries credentials (user info before `@`); put them in the Secrets Manager secret named by credentials_secret_id",
        ));
    }
    if authority.is_empty() || rest.contains(char::is_whitespace) {
        return Err(ConfigError::new(
            &field,
            format!("{:?} is not a URL", text::truncate_for_message(url)),
        ));
    }
    if plaintext
        && cluster.credentials_secret_id.is_some()
        && !cluster.allow_plaintext_credentials
        && !is_loopback(authority)
    {
        return Err(ConfigError::new(
            &field,
            format!("{url:?} is plain http:// to a host that is not loopback: the credentials of credentials_secret_id would cross the network readable; use https://, or set allow_plaintext_credentials on the cluster"),
        ));
    }
    Ok(())
}

/// A cluster's `kafka` block (`at`: where it is configured, `KAFKA_CLUSTERS.<name>.kafka`):
/// every bootstrap server a `host:port`, the secret named, and no SASL without TLS to a host
/// that is not loopback unless the block says so (`allow_plaintext_credentials`), as
/// [`check_url`] does for Connect. The CLI checks its flags with it too.
pub fn check_brokers(at: &str, brokers: &BrokersConfig) -> Result<(), ConfigError> {
    let field = |f: &str| format!("{at}.{f}");
    if brokers.bootstrap_servers.is_empty() {
        return Err(ConfigError::new(
            &field("bootstrap_servers"),
            "names no broker; give [\"host:port\", …]",
        ));
    }
    for (i, server) in brokers.bootstrap_servers.iter().enumerate() {
        if !is_host_and_port(server) {
            return Err(ConfigError::new(
                &field(&format!("bootstrap_servers[{i}]")),
                format!("{:?} is not host:port", text::truncate_for_message(server)),
            ));
        }
    }
    let Some(auth) = &brokers.auth else {
        return Ok(());
    };
    if let BrokerAuth::MskIam { region } = auth {
        if !brokers.tls {
            return Err(ConfigError::new(
                &field("tls"),
                "must be true for AWS_MSK_IAM (MSK accepts IAM authentication over TLS only)",
            ));
        }
        // The token is signed for kafka.<region>.amazonaws.com: a name that is not a region
        // would only show up as a refused login.
        if regions::known(region).is_none() {
            return Err(ConfigError::new(
                &field("auth.region"),
                format!(
                    "{:?} is not an AWS region (the MSK cluster's, e.g. \"eu-west-1\")",
                    text::truncate_for_message(region)
                ),
            ));
        }
        return Ok(());
    }
    if brokers.secret_id().is_some_and(|id| id.trim().is_empty()) {
        return Err(ConfigError::new(&field("auth.secret_id"), "is empty"));
    }
    if !brokers.tls && !brokers.allow_plaintext_credentials {
        if let Some(remote) = brokers
            .bootstrap_servers
            .iter()
            .find(|server| !is_loopback(server))
        {
            return Err(ConfigError::new(
                &field("tls"),
                format!("is false, and {remote:?} is not loopback: SASL {} without TLS would send the session (and PLAIN's password) readable; set tls, or allow_plaintext_credentials", auth.mechanism()),
            ));
        }
    }
    Ok(())
}

/// `host:port`: a host without spaces or commas (librdkafka splits its list on them), and a
/// port number.
fn is_host_and_port(server: &str) -> bool {
    let Some((host, port)) = server.rsplit_once(':') else {
        return false;
    };
    !host.is_empty()
        && !host.contains([',', ' ', '\t', '/', '@'])
        && port.parse::<u16>().is_ok_and(|p| p > 0)
}

/// `localhost`, `127.x.x.x` or `[::1]`, with or without a port.
fn is_loopback(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A cluster's reconcile settings: sound values, and a state table to check against.
fn check_reconcile(
    var: &str,
    name: &str,
    cluster: &ClusterConfig,
    has_table: bool,
) -> Result<(), ConfigError> {
    let field = format!("{var}.{name}.reconcile");
    if let Some(problem) = cluster.reconcile.problem() {
        return Err(ConfigError::new(&field, problem));
    }
    if cluster.reconcile.mode != ReconcileMode::Off && !has_table {
        return Err(ConfigError::new(
            &field,
            format!(
                "mode {:?} needs {STATE_TABLE}: the check compares with the last applied desired state recorded there",
                cluster.reconcile.mode.as_str()
            ),
        ));
    }
    Ok(())
}

/// The variable naming the state store's DynamoDB table.
pub const STATE_TABLE: &str = "KAFKA_STATE_TABLE";

/// The variable naming the buckets pipeline jobs may read their input artifact from.
pub const ARTIFACT_BUCKETS: &str = "KAFKA_ARTIFACT_BUCKETS";

impl KafkaSyncConfig {
    pub fn from_vars(vars: &dyn Vars) -> Result<Self, ConfigError> {
        const CLUSTERS: &str = "KAFKA_CLUSTERS";
        const BUNDLES: &str = "KAFKA_BUNDLES";
        let clusters: BTreeMap<String, ClusterConfig> =
            config::json(vars, CLUSTERS)?.ok_or_else(|| {
                ConfigError::new(
                    CLUSTERS,
                    "is not set; give {\"<cluster>\": {\"url\": \"https://…\"}}",
                )
            })?;
        if clusters.is_empty() {
            return Err(ConfigError::new(CLUSTERS, "names no cluster"));
        }
        let state_table = config::optional(vars, STATE_TABLE);
        for (name, cluster) in &clusters {
            check_url(CLUSTERS, name, cluster)?;
            check_reconcile(CLUSTERS, name, cluster, state_table.is_some())?;
            if let Some(brokers) = &cluster.kafka {
                check_brokers(&format!("{CLUSTERS}.{name}.kafka"), brokers)?;
            }
        }
        let bundles: Vec<BundleConfig> = config::json(vars, BUNDLES)?.unwrap_or_default();
        for (i, b) in bundles.iter().enumerate() {
            let field = |f: &str| format!("{BUNDLES}[{i}].{f}");
            if !clusters.contains_key(&b.cluster) {
                return Err(ConfigError::new(
                    &field("cluster"),
                    format!("{:?} is not in {CLUSTERS}", b.cluster),
                ));
            }
            if !crate::kafka_sync::desired::valid_environment_name(&b.environment) {
                return Err(ConfigError::new(
                    &field("environment"),
                    format!("{:?} is not an environment name", b.environment),
                ));
            }
            if b.bucket.is_empty() || b.key.is_empty() {
                return Err(ConfigError::new(
                    &field("key"),
                    "bucket and key are required",
                ));
            }
            if b.prune && clusters[&b.cluster].scope().is_unset() {
                return Err(ConfigError::new(
                    &field("prune"),
                    format!("cluster {:?} has no managed scope to prune in", b.cluster),
                ));
            }
        }
        Ok(KafkaSyncConfig {
            clusters,
            bundles,
            artifact_buckets: config::list(vars, ARTIFACT_BUCKETS),
            state_table,
            validate: config::boolean(vars, "CONNECT_VALIDATE", true)?,
            concurrency: config::number(vars, "CONNECT_CONCURRENCY", DEFAULT_CONCURRENCY, 1..=32)?,
            restart_failed: config::boolean(vars, "CONNECT_RESTART_FAILED", false)?,
            allow_dangerous: config::boolean(vars, "CONNECT_ALLOW_DANGEROUS", false)?,
            request_timeout: Duration::from_secs(config::number(
                vars,
                "CONNECT_REQUEST_TIMEOUT_SECONDS",
                30,
                1..=300,
            )?),
            poll_interval: Duration::from_secs(config::number(
                vars,
                "CONNECT_POLL_SECONDS",
                DEFAULT_POLL_INTERVAL.as_secs(),
                1..=60,
            )?),
            max_wait: Duration::from_secs(
                60 * config::number(vars, "CONNECT_MAX_WAIT_MINUTES", 30, 1..=720)?,
            ),
        })
    }

    /// How a run writes: this configuration's concurrency, retries until `deadline` (measured on
    /// the run's clock).
    pub fn apply_options(&self, deadline: Duration, allow_dangerous: bool) -> ApplyOptions {
        ApplyOptions {
            concurrency: self.concurrency,
            deadline,
            backoff: Backoff::default(),
            allow_dangerous,
        }
    }

    /// Whether a pipeline job's input artifact may be read from `bucket`.
    pub fn allows_artifact_bucket(&self, bucket: &str) -> bool {
        self.artifact_buckets.iter().any(|b| b == bucket)
    }

    /// The bundle configured for this uploaded object, if any.
    pub fn bundle_for(&self, bucket: &str, key: &str) -> Option<&BundleConfig> {
        self.bundles
            .iter()
            .find(|b| b.bucket == bucket && b.key == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::config::test_vars as vars;

    const CLUSTERS: &str = r#"{"main": {"url": "https://connect.internal:8083", "credentials_secret_id": "connect/main", "managed_prefixes": ["sy-"]}}"#;

    #[test]
    fn parses_clusters_bundles_and_defaults() {
        let c = KafkaSyncConfig::from_vars(&vars(&[
            ("KAFKA_CLUSTERS", CLUSTERS),
            ("KAFKA_BUNDLES", r#"[{"bucket": "b", "key": "connect/prod.zip", "environment": "prod", "cluster": "main", "prune": true}]"#),
        ]))
        .unwrap();
        assert_eq!(
            c.clusters["main"].credentials_secret_id.as_deref(),
            Some("connect/main")
        );
        assert!(c.clusters["main"].scope().contains("sy-x"));
        assert_eq!(
            c.bundle_for("b", "connect/prod.zip").unwrap().environment,
            "prod"
        );
        assert!(c.bundle_for("b", "other.zip").is_none());
        assert!(c.validate && !c.restart_failed && !c.allow_dangerous);
        assert_eq!(
            (c.concurrency, c.request_timeout, c.max_wait),
            (4, Duration::from_secs(30), Duration::from_secs(1800))
        );
    }

    #[test]
    fn errors_name_the_variable_and_field() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[], "KAFKA_CLUSTERS"),
            (&[("KAFKA_CLUSTERS", "{}")], "KAFKA_CLUSTERS"),
            (
                &[("KAFKA_CLUSTERS", r#"{"a": {"url": "ftp://x"}}"#)],
                "KAFKA_CLUSTERS.a.url",
            ),
            (
                &[("KAFKA_CLUSTERS", r#"{"a": {"url": "http://x", "typo": 1}}"#)],
                "KAFKA_CLUSTERS",
            ),
            (
                &[
                    ("KAFKA_CLUSTERS", CLUSTERS),
                    (
                        "KAFKA_BUNDLES",
                        r#"[{"bucket": "b", "key": "k", "environment": "prod", "cluster": "nope"}]"#,
                    ),
                ],
                "KAFKA_BUNDLES[0].cluster",
            ),
            (
                &[
                    ("KAFKA_CLUSTERS", CLUSTERS),
                    (
                        "KAFKA_BUNDLES",
                        r#"[{"bucket": "b", "key": "k", "environment": "../x", "cluster": "main"}]"#,
                    ),
                ],
                "KAFKA_BUNDLES[0].environment",
            ),
            (
                &[
                    ("KAFKA_CLUSTERS", r#"{"a": {"url": "http://x"}}"#),
                    (
                        "KAFKA_BUNDLES",
                        r#"[{"bucket": "b", "key": "k", "environment": "e", "cluster": "a", "prune": true}]"#,
                    ),
                ],
                "KAFKA_BUNDLES[0].prune",
            ),
            (
                &[("KAFKA_CLUSTERS", CLUSTERS), ("CONNECT_CONCURRENCY", "0")],
                "CONNECT_CONCURRENCY",
            ),
            (
                &[("KAFKA_CLUSTERS", CLUSTERS), ("CONNECT_VALIDATE", "maybe")],
                "CONNECT_VALIDATE",
            ),
            (
                &[("KAFKA_CLUSTERS", CLUSTERS), ("CONNECT_POLL_SECONDS", "x")],
                "CONNECT_POLL_SECONDS",
            ),
        ];
        for (pairs, var) in cases {
            let err = KafkaSyncConfig::from_vars(&vars(pairs)).unwrap_err();
            assert_eq!(err.var, *var, "{err}");
        }
    }

    #[test]
    fn a_reconcile_mode_needs_the_state_table_and_sound_back_off() {
        let clusters = |reconcile: &str| {
            format!(r#"{{"a": {{"url": "http://x", "reconcile": {reconcile}}}}}"#)
        };
        let with = |reconcile: &str, table: bool| {
            let clusters = clusters(reconcile);
            let mut pairs = vec![("KAFKA_CLUSTERS", clusters.as_str())];
            if table {
                pairs.push(("KAFKA_STATE_TABLE", "t"));
            }
            KafkaSyncConfig::from_vars(&vars(&pairs))
        };
        let c = with(r#"{"mode": "heal"}"#, true).unwrap();
        let r = c.clusters["a"].reconcile;
        assert_eq!(
            (r.mode, r.backoff_minutes, r.max_restarts_per_day),
            (ReconcileMode::Heal, 5, 10)
        );
        assert_eq!(c.state_table.as_deref(), Some("t"));
        let err = with(r#"{"mode": "enforce"}"#, false).unwrap_err();
        assert_eq!(err.var, "KAFKA_CLUSTERS.a.reconcile");
        assert!(err.to_string().contains("KAFKA_STATE_TABLE"), "{err}");
        let err = with(r#"{"mode": "heal", "backoff_minutes": 0}"#, true).unwrap_err();
        assert_eq!(err.var, "KAFKA_CLUSTERS.a.reconcile");
        assert_eq!(
            with(r#"{"mode": "sometimes"}"#, true).unwrap_err().var,
            "KAFKA_CLUSTERS"
        );
        // Off by default, and no table needed then.
        let c = with("{}", false).unwrap();
        assert_eq!(c.clusters["a"].reconcile.mode, ReconcileMode::Off);
    }

    #[test]
    fn credentials_in_urls_and_over_plain_http_are_refused() {
        let load =
            |clusters: &str| KafkaSyncConfig::from_vars(&vars(&[("KAFKA_CLUSTERS", clusters)]));
        for url in [
            "http://admin:hunter2-pw@connect:8083",
            "https://admin:hunter2-pw@connect.internal:8083/",
            "https://tok3n-hunter2-pw@connect.internal",
        ] {
            let err = load(&format!(r#"{{"a": {{"url": "{url}"}}}}"#)).unwrap_err();
            assert_eq!(err.var, "KAFKA_CLUSTERS.a.url");
            assert!(err.to_string().contains("carries credentials"), "{err}");
            assert!(!err.to_string().contains("hunter2-pw"), "{err}");
        }
        let with_secret = |url: &str, allow: bool| {
            load(&format!(
                r#"{{"a": {{"url": "{url}", "credentials_secret_id": "connect/a", "allow_plaintext_credentials": {allow}}}}}"#
            ))
        };
        let err = with_secret("http://connect.internal:8083", false).unwrap_err();
        assert_eq!(err.var, "KAFKA_CLUSTERS.a.url");
        assert!(
            err.to_string().contains("allow_plaintext_credentials"),
            "{err}"
        );
        assert!(with_secret("http://connect.internal:8083", true).is_ok());
        for loopback in [
            "http://127.0.0.1:8083",
            "http://localhost:8083",
            "http://[::1]:8083",
        ] {
            assert!(with_secret(loopback, false).is_ok(), "{loopback}");
        }
        assert!(with_secret("https://connect.internal:8083", false).is_ok());
        // Without credentials, plain http:// sends nothing secret.
        assert!(load(r#"{"a": {"url": "http://connect.internal:8083"}}"#).is_ok());
    }

    #[test]
    fn kafka_blocks_are_checked_naming_the_field() {
        let load = |kafka: &str| {
            KafkaSyncConfig::from_vars(&vars(&[(
                "KAFKA_CLUSTERS",
                &format!(r#"{{"a": {{"url": "https://connect.internal", "kafka": {kafka}}}}}"#),
            )]))
        };
        let scram = r#""auth": {"mechanism": "SCRAM-SHA-512", "secret_id": "kafka/a"}"#;
        let cases = [
            (r#"{"bootstrap_servers": []}"#.to_owned(), "KAFKA_CLUSTERS.a.kafka.bootstrap_servers", "names no broker"),
            (r#"{"bootstrap_servers": ["b-1:9092", "b-2"]}"#.to_owned(), "KAFKA_CLUSTERS.a.kafka.bootstrap_servers[1]", "not host:port"),
            (r#"{"bootstrap_servers": ["b-1:9092,b-2:9092"]}"#.to_owned(), "KAFKA_CLUSTERS.a.kafka.bootstrap_servers[0]", "not host:port"),
            (format!(r#"{{"bootstrap_servers": ["127.0.0.1:9096", "b-1.internal:9096"], {scram}}}"#), "KAFKA_CLUSTERS.a.kafka.tls", "\"b-1.internal:9096\" is not loopback"),
            (r#"{"bootstrap_servers": ["b-1:9096"], "tls": true, "auth": {"mechanism": "PLAIN", "secret_id": " "}}"#.to_owned(), "KAFKA_CLUSTERS.a.kafka.auth.secret_id", "is empty"),
            (r#"{"bootstrap_servers": ["b-1:9098"], "auth": {"mechanism": "AWS_MSK_IAM", "region": "eu-west-1"}}"#.to_owned(), "KAFKA_CLUSTERS.a.kafka.tls", "TLS only"),
            (r#"{"bootstrap_servers": ["b-1:9098"], "tls": true, "auth": {"mechanism": "AWS_MSK_IAM", "region": "eu-west-9"}}"#.to_owned(), "KAFKA_CLUSTERS.a.kafka.auth.region", "\"eu-west-9\" is not an AWS region"),
            (r#"{"bootstrap_servers": ["b-1:9098"], "tls": true, "auth": {"mechanism": "AWS_MSK_IAM"}}"#.to_owned(), "KAFKA_CLUSTERS", "missing field `region`"),
        ];
        for (kafka, var, words) in cases {
            let err = load(&kafka).unwrap_err();
            assert_eq!(err.var, var, "{kafka}: {err}");
            assert!(err.to_string().contains(words), "{kafka}: {err}");
        }
        for ok in [
            format!(r#"{{"bootstrap_servers": ["b-1.internal:9096"], "tls": true, {scram}}}"#),
            format!(r#"{{"bootstrap_servers": ["127.0.0.1:9094", "localhost:9095"], {scram}}}"#),
            format!(
                r#"{{"bootstrap_servers": ["b-1.internal:9094"], "allow_plaintext_credentials": true, {scram}}}"#
            ),
            r#"{"bootstrap_servers": ["b-1.internal:9092"]}"#.to_owned(),
            r#"{"bootstrap_servers": ["[::1]:9092"], "tls": true}"#.to_owned(),
            r#"{"bootstrap_servers": ["b-1.msk.eu-west-1.amazonaws.com:9098"], "tls": true, "auth": {"mechanism": "AWS_MSK_IAM", "region": "eu-west-1"}}"#.to_owned(),
        ] {
            let config = load(&ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert!(config.clusters["a"].kafka.is_some());
        }
    }
}
