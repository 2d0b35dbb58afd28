//! Shared test harness: a real moto server per test binary, real SDK clients pointed at it, and
//! moto's request recorder to see exactly what reached AWS.
#![allow(dead_code)] // each test binary uses part of the harness

pub mod connect;
pub mod mocks;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use base64::Engine;
use serde_json::Value;

/// The repository root (tests/ lives directly below it).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

pub struct Moto {
    pub endpoint: String,
    recording: PathBuf,
    _child: Mutex<Child>,
}

/// The moto server of this test binary, started on first use on a free loopback port.
pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(Moto::start)
}

impl Moto {
    fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let recording = std::env::temp_dir().join(format!(
            "switchyard-moto-{}-{port}.jsonl",
            std::process::id()
        ));
        let mut child = Command::new("python3")
            .arg(repo_root().join("tests/support/moto_server.py"))
            .arg(port.to_string())
            .arg(std::process::id().to_string())
            .arg(&recording)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 with moto[server] is needed for the integration tests (pip install 'moto[server]')");
        let mut ready = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut ready)
            .unwrap();
        assert_eq!(ready.trim(), "ready", "moto server did not start");
        let moto = Moto {
            endpoint: format!("http://127.0.0.1:{port}"),
            recording,
            _child: Mutex::new(child),
        };
        moto.post("/moto-api/recorder/start-recording");
        moto
    }

    fn post(&self, path: &str) {
        let status = Command::new("curl")
            .args(["-sf", "-X", "POST", &format!("{}{path}", self.endpoint)])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "POST {path} failed");
    }

    /// Real SDK configuration pointed at this moto server.
    pub async fn sdk(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(aws_sdk_codebuild::config::Credentials::new(
                "test", "test", None, None, "tests",
            ))
            .load()
            .await
    }

    /// Every request moto recorded, as the recorder wrote it (`method`, `url`, `headers`, `body`):
    /// for REST APIs such as S3, whose requests have no `X-Amz-Target`.
    pub fn recorded_requests(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(&self.recording).unwrap_or_default();
        text.lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .collect()
    }

    /// Every request moto recorded whose `X-Amz-Target` ends with `.{operation}`, as JSON bodies.
    pub fn recorded(&self, operation: &str) -> Vec<Value> {
        let text = std::fs::read_to_string(&self.recording).unwrap_or_default();
        text.lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|r| {
                r["headers"]["X-Amz-Target"]
                    .as_str()
                    .is_some_and(|t| t.ends_with(&format!(".{operation}")))
            })
            .filter_map(|r| {
                let body = r["body"].as_str()?;
                let bytes = if r["body_encoded"].as_bool() == Some(true) {
                    base64::engine::general_purpose::STANDARD
                        .decode(body)
                        .ok()?
                } else {
                    body.as_bytes().to_vec()
                };
                serde_json::from_slice(&bytes).ok()
            })
            .collect()
    }
}

/// Creates a CodeBuild project in moto (moto needs a source location).
pub async fn create_codebuild_project(sdk: &SdkConfig, name: &str) {
    use aws_sdk_codebuild::types::*;
    aws_sdk_codebuild::Client::new(sdk)
        .create_project()
        .name(name)
        .source(
            ProjectSource::builder()
                .r#type(SourceType::Codecommit)
                .location(
                    "https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/payments-service",
                )
                .build()
                .unwrap(),
        )
        .artifacts(
            ProjectArtifacts::builder()
                .r#type(ArtifactsType::NoArtifacts)
                .build()
                .unwrap(),
        )
        .environment(
            ProjectEnvironment::builder()
                .r#type(EnvironmentType::ArmContainer)
                .image("aws/codebuild/amazonlinux-aarch64-standard:3.0")
                .compute_type(ComputeType::BuildGeneral1Small)
                .build()
                .unwrap(),
        )
        .service_role("arn:aws:iam::123456789012:role/switchyard-branch-deployer")
        .send()
        .await
        .unwrap();
}
