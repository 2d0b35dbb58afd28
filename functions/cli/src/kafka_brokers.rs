//! How `switchyard kafka` authenticates to the brokers for topics: TLS and the SASL mechanism
//! from flags, the login from `KAFKA_SASL_USERNAME` / `KAFKA_SASL_PASSWORD` (never a flag: it
//! would land in shell history and `ps`). The same checks as the Lambda's `KAFKA_CLUSTERS`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use switchyard_adapters::kafka::SaslCredentials;
use switchyard_core::kafka_sync::brokers::{BrokerAuth, BrokersConfig};
use switchyard_core::kafka_sync::config::check_brokers;
use switchyard_core::secret::Secret;

#[derive(Args)]
pub struct BrokerAuthArgs {
    /// TLS to the brokers (`SSL`, or `SASL_SSL` with --sasl-mechanism).
    #[arg(long)]
    kafka_tls: bool,
    /// Extra CA certificate (PEM) to trust for the brokers' TLS.
    #[arg(long, env = "KAFKA_CA_CERT", value_name = "FILE")]
    kafka_ca_cert: Option<PathBuf>,
    /// SASL mechanism; the login comes from KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD.
    #[arg(
        long,
        env = "KAFKA_SASL_MECHANISM",
        value_enum,
        value_name = "MECHANISM"
    )]
    sasl_mechanism: Option<SaslMechanism>,
    /// Send the SASL login without TLS to brokers that are not loopback.
    #[arg(long)]
    kafka_allow_plaintext_credentials: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum SaslMechanism {
    #[value(name = "SCRAM-SHA-256")]
    ScramSha256,
    #[value(name = "SCRAM-SHA-512")]
    ScramSha512,
    #[value(name = "PLAIN")]
    Plain,
}

/// Where the CLI's login comes from, in place of a secret id.
const LOGIN_SOURCE: &str = "KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD";

impl BrokerAuthArgs {
    /// Sets `brokers`' TLS and auth from the flags and returns the login to connect with.
    /// Errors name the flag or variable; never a password.
    pub fn configure(
        &self,
        brokers: &mut BrokersConfig,
    ) -> Result<Option<SaslCredentials>, String> {
        brokers.tls = self.kafka_tls;
        brokers.allow_plaintext_credentials = self.kafka_allow_plaintext_credentials;
        let secret_id = LOGIN_SOURCE.to_owned();
        brokers.auth = self.sasl_mechanism.map(|m| match m {
            SaslMechanism::ScramSha256 => BrokerAuth::ScramSha256 { secret_id },
            SaslMechanism::ScramSha512 => BrokerAuth::ScramSha512 { secret_id },
            SaslMechanism::Plain => BrokerAuth::Plain { secret_id },
        });
        check_brokers("switchyard kafka", brokers).map_err(|e| e.to_string())?;
        let ca_pem = match &self.kafka_ca_cert {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| format!("--kafka-ca-cert {}: {e}", path.display()))?,
            ),
            None => None,
        };
        if brokers.auth.is_none() {
            if ca_pem.is_some() {
                return Err("--kafka-ca-cert is only used with --sasl-mechanism".into());
            }
            return Ok(None);
        }
        let login = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("--sasl-mechanism needs {name} in the environment"))
        };
        Ok(Some(SaslCredentials {
            username: login("KAFKA_SASL_USERNAME")?,
            password: Secret::new(login("KAFKA_SASL_PASSWORD")?),
            ca_pem,
        }))
    }
}
