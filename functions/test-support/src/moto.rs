//! A real moto server per test binary, real SDK clients pointed at it, and moto's request
//! recorder to see exactly what reached AWS.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use base64::Engine;
use serde_json::Value;

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
            // Beside the tests (benches/cold-start.sh starts the same script).
            .arg(crate::repo_root().join("tests/support/moto_server.py"))
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
            .filter_map(|r| json_body(&r))
            .collect()
    }

    /// The JSON bodies of the REST requests moto recorded with this method and a URL path ending
    /// in `path` (Lambda: `PUT /2015-03-31/functions/{name}/code` is `UpdateFunctionCode`).
    pub fn recorded_rest(&self, method: &str, path: &str) -> Vec<Value> {
        self.recorded_requests()
            .into_iter()
            .filter(|r| {
                r["method"] == method
                    && r["url"]
                        .as_str()
                        .is_some_and(|u| u.split('?').next().unwrap_or(u).ends_with(path))
            })
            .filter_map(|r| json_body(&r))
            .collect()
    }
}

/// A recorded request's body as JSON (the recorder base64-encodes bodies it read as bytes).
fn json_body(request: &Value) -> Option<Value> {
    let body = request["body"].as_str()?;
    let bytes = if request["body_encoded"].as_bool() == Some(true) {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .ok()?
    } else {
        body.as_bytes().to_vec()
    };
    serde_json::from_slice(&bytes).ok()
}

/// The source type of the stack's CodeBuild projects (`BranchDeployer`, `BranchDestroyer` in
/// `template.yaml`): they run Switchyard's own buildspec from S3, never an application's files.
pub const STACK_PROJECT_SOURCE_TYPE: &str = "NO_SOURCE";

/// Creates a CodeBuild project in moto shaped as the stack's are: no source, a buildspec read
/// from an S3 object ARN, no artifacts, an arm64 container.
///
/// moto 5.2.5 refuses any project source without a `location` ("Project source location is
/// required", `_validate_required_params_source` in moto/codebuild/responses.py), NO_SOURCE
/// included, where AWS takes none for NO_SOURCE (the template sets none). The placeholder below
/// is that concession and nothing else: the functions never read a project's location.
pub async fn create_codebuild_project(sdk: &SdkConfig, name: &str) {
    use aws_sdk_codebuild::types::*;
    aws_sdk_codebuild::Client::new(sdk)
        .create_project()
        .name(name)
        .source(
            ProjectSource::builder()
                .r#type(SourceType::from(STACK_PROJECT_SOURCE_TYPE))
                .buildspec(format!(
                    "arn:aws:s3:::switchyard-test-artifacts/_switchyard/infra/buildspecs/{name}.yml"
                ))
                .location("moto-requires-a-location")
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

#[cfg(test)]
mod tests {
    use super::STACK_PROJECT_SOURCE_TYPE;
    use crate::cfn_template::{resources_of_type, stack_template};

    /// The projects the tests create have the shape the stack deploys: when the template's
    /// projects change source type, this fails and `create_codebuild_project` follows.
    #[test]
    fn test_projects_have_the_stacks_source_type() {
        let template = stack_template();
        let projects = resources_of_type(&template, "AWS::CodeBuild::Project");
        assert!(!projects.is_empty());
        for (id, project) in projects {
            let source = &project["Properties"]["Source"];
            assert_eq!(source["Type"], STACK_PROJECT_SOURCE_TYPE, "{id}");
            let buildspec = source["BuildSpec"]["Fn::Sub"].as_str().unwrap_or_default();
            assert!(
                buildspec.starts_with("arn:${AWS::Partition}:s3:::"),
                "{id}: buildspec from an S3 object ARN, got {buildspec:?}"
            );
        }
    }
}
