//! How `switchyard kafka` authenticates to the brokers for topics: TLS and the SASL mechanism
//! from flags, the login from `KAFKA_SASL_USERNAME` / `KAFKA_SASL_PASSWORD` (never a flag: it
//! would land in shell history and `ps`), or for `AWS_MSK_IAM` tokens signed with the standard
//! AWS credential chain (profile, SSO, environment). The same checks as the Lambda's
//! `KAFKA_CLUSTERS`.

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
    /// SASL mechanism; the login comes from KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD, or for
    /// AWS_MSK_IAM from the AWS credential chain (needs --kafka-tls and --kafka-region).
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
    /// The MSK cluster's region, for AWS_MSK_IAM (the token is signed for it).
    #[arg(long, env = "AWS_REGION", value_name = "REGION")]
    kafka_region: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum SaslMechanism {
    #[value(name = "SCRAM-SHA-256")]
    ScramSha256,
    #[value(name = "SCRAM-SHA-512")]
    ScramSha512,
    #[value(name = "PLAIN")]
    Plain,
    #[value(name = "AWS_MSK_IAM")]
    AwsMskIam,
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
        brokers.auth = match self.sasl_mechanism {
            None => None,
            Some(SaslMechanism::ScramSha256) => Some(BrokerAuth::ScramSha256 { secret_id }),
            Some(SaslMechanism::ScramSha512) => Some(BrokerAuth::ScramSha512 { secret_id }),
            Some(SaslMechanism::Plain) => Some(BrokerAuth::Plain { secret_id }),
            Some(SaslMechanism::AwsMskIam) => Some(BrokerAuth::MskIam {
                region: self.kafka_region.clone().filter(|r| !r.is_empty()).ok_or(
                    "--sasl-mechanism AWS_MSK_IAM needs --kafka-region (or AWS_REGION): the MSK cluster's region",
                )?,
            }),
        };
        check_brokers("switchyard kafka", brokers).map_err(|e| e.to_string())?;
        if let Some(BrokerAuth::MskIam { .. }) = brokers.auth {
            if self.kafka_ca_cert.is_some() {
                return Err("--kafka-ca-cert is not used with AWS_MSK_IAM (MSK's certificates are publicly trusted)".into());
            }
            // The tokens' credentials come from the AWS credential chain (KafkaTopicAdmin's
            // login), not from here.
            return Ok(None);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(tls: bool, region: Option<&str>) -> BrokerAuthArgs {
        BrokerAuthArgs {
            kafka_tls: tls,
            kafka_ca_cert: None,
            sasl_mechanism: Some(SaslMechanism::AwsMskIam),
            kafka_allow_plaintext_credentials: false,
            kafka_region: region.map(str::to_owned),
        }
    }

    fn brokers() -> BrokersConfig {
        serde_json::from_str(r#"{"bootstrap_servers": ["b-1.msk.eu-west-1.amazonaws.com:9098"]}"#)
            .unwrap()
    }

    #[test]
    fn aws_msk_iam_needs_tls_and_a_region_and_no_login() {
        let mut b = brokers();
        let login = args(true, Some("eu-west-1")).configure(&mut b).unwrap();
        assert!(login.is_none(), "no username or password for MSK IAM");
        assert_eq!(
            b.auth,
            Some(BrokerAuth::MskIam {
                region: "eu-west-1".into()
            })
        );
        let err = args(true, None).configure(&mut brokers()).unwrap_err();
        assert!(
            err.contains("needs --kafka-region (or AWS_REGION)"),
            "{err}"
        );
        let err = args(false, Some("eu-west-1"))
            .configure(&mut brokers())
            .unwrap_err();
        assert!(
            err.contains("switchyard kafka.tls") && err.contains("TLS only"),
            "{err}"
        );
        let err = args(true, Some("eu-west-9"))
            .configure(&mut brokers())
            .unwrap_err();
        assert!(err.contains("not an AWS region"), "{err}");
    }
}
