//! A cluster's Kafka brokers, as `KAFKA_CLUSTERS.<name>.kafka` configures them: where they are,
//! how to authenticate, and which topics Switchyard manages there. A cluster without this block
//! has no topics in its desired state (a topic file for it is an error naming the cluster).
//!
//! Shape:
//! `{"bootstrap_servers": ["b-1.example:9096"], "tls": true,
//!   "auth": {"mechanism": "SCRAM-SHA-512", "secret_id": "kafka/main"},
//!   "cluster_arn": "arn:aws:kafka:…:cluster/main/…",
//!   "managed_topic_prefixes": ["orders."], "managed_topics": ["audit"]}`
//!
//! The secret `auth.secret_id` names has the shape of the Connect credentials' secret
//! (`{"username": "…", "password": "…", "ca_pem": "…"}`; `ca_pem`, optional, is the brokers'
//! private CA). Checked at cold start: `config::check_brokers`.

use serde::Deserialize;

/// The brokers of one cluster.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrokersConfig {
    /// `host:port` of one or more brokers.
    pub bootstrap_servers: Vec<String>,
    /// TLS to the brokers (`SSL` / `SASL_SSL`). MSK IAM requires it.
    #[serde(default)]
    pub tls: bool,
    /// How the client authenticates; none: no SASL.
    #[serde(default)]
    pub auth: Option<BrokerAuth>,
    /// The MSK cluster's ARN: scopes the function's `kafka-cluster:*` grants (template.yaml).
    #[serde(default)]
    pub cluster_arn: Option<String>,
    /// Topics whose name starts with one of these are Switchyard's (may be altered; pruned only
    /// when marked deletable or with the per-run flag).
    #[serde(default)]
    pub managed_topic_prefixes: Vec<String>,
    /// And these, by exact name.
    #[serde(default)]
    pub managed_topics: Vec<String>,
    /// Authenticate with SASL over a connection without TLS to a host that is not loopback
    /// (default: refused at cold start; the session, and PLAIN's password, would cross the
    /// network readable).
    #[serde(default)]
    pub allow_plaintext_credentials: bool,
}

impl BrokersConfig {
    /// The Secrets Manager secret holding the SASL username and password, if the auth uses one.
    pub fn secret_id(&self) -> Option<&str> {
        match self.auth.as_ref()? {
            BrokerAuth::ScramSha256 { secret_id }
            | BrokerAuth::ScramSha512 { secret_id }
            | BrokerAuth::Plain { secret_id } => Some(secret_id),
            BrokerAuth::MskIam { .. } => None,
        }
    }
}

impl BrokerAuth {
    /// The SASL mechanism, as Kafka (and `sasl.mechanism`) names it.
    pub fn mechanism(&self) -> &'static str {
        match self {
            BrokerAuth::ScramSha256 { .. } => "SCRAM-SHA-256",
            BrokerAuth::ScramSha512 { .. } => "SCRAM-SHA-512",
            BrokerAuth::Plain { .. } => "PLAIN",
            BrokerAuth::MskIam { .. } => "AWS_MSK_IAM",
        }
    }
}

/// SASL authentication to the brokers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "mechanism", deny_unknown_fields)]
pub enum BrokerAuth {
    /// Username and password from the Secrets Manager secret `secret_id`
    /// (`{"username": "…", "password": "…"}`).
    #[serde(rename = "SCRAM-SHA-256")]
    ScramSha256 { secret_id: String },
    #[serde(rename = "SCRAM-SHA-512")]
    ScramSha512 { secret_id: String },
    #[serde(rename = "PLAIN")]
    Plain { secret_id: String },
    /// Amazon MSK IAM: SASL/OAUTHBEARER with a token signed by the function's role.
    #[serde(rename = "AWS_MSK_IAM")]
    MskIam {
        /// The cluster's region (the token is signed for `kafka.<region>.amazonaws.com`).
        region: String,
    },
}
