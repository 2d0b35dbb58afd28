//! The MSK IAM token Switchyard signs (adapters::kafka::msk_iam), checked against Amazon's own
//! signer and against botocore, for fixed credentials and a fixed date: there is no MSK here, so
//! the token is compared with what MSK accepts from Amazon's clients.
//!
//! `tests/support/msk_iam_token.py` runs with the tests' venv (tests/requirements.txt pins
//! aws-msk-iam-sasl-signer-python; tests/run.sh puts the venv first on PATH).

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use switchyard_adapters::kafka::msk_iam::sign_token;

const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// A session token with the characters that need escaping in a query (`+`, `/`, `=`).
const SESSION_TOKEN: &str =
    "IQoJb3JpZ2luX2VjEJr//////////wEaCWV1LXdlc3QtMSJHMEUCIQD+example+token==";
/// 2026-12-01T16:00:00Z.
const SIGNED_AT: u64 = 1_796_140_800;
const DATE: &str = "20261201T160000Z";

/// What Amazon's side says about `token` (see tests/support/msk_iam_token.py).
struct Amazon {
    /// aws-msk-iam-sasl-signer-python's token for the same credentials and date.
    official: String,
    official_expiry_ms: i64,
    /// Switchyard's request signed again by botocore's SigV4QueryAuth, as a URL.
    resigned: String,
}

fn amazon(region: &str, session_token: Option<&str>, token: &str) -> Amazon {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/support/msk_iam_token.py"
    );
    let mut python = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 on PATH");
    let input = serde_json::json!({
        "region": region,
        "access_key": ACCESS_KEY,
        "secret_key": SECRET_KEY,
        "session_token": session_token,
        "date": DATE,
        "token": token,
    });
    python
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = python.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "tests/support/msk_iam_token.py failed (it needs the venv of tests/requirements.txt first on PATH, as tests/run.sh sets it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    Amazon {
        official: answer["official"].as_str().unwrap().to_owned(),
        official_expiry_ms: answer["official_expiry_ms"].as_i64().unwrap(),
        resigned: answer["resigned"].as_str().unwrap().to_owned(),
    }
}

/// The presigned URL inside a token.
fn url_of(token: &str) -> String {
    let bytes = URL_SAFE_NO_PAD
        .decode(token)
        .unwrap_or_else(|e| panic!("{e}: not base64url without padding"));
    String::from_utf8(bytes).unwrap()
}

/// `scheme://host/path` and the decoded query parameters, in order.
fn split(url: &str) -> (&str, Vec<(String, String)>) {
    let (base, query) = url.split_once('?').expect("a query");
    let params = query
        .split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').expect("key=value");
            let v = percent_encoding::percent_decode_str(v)
                .decode_utf8()
                .unwrap();
            (k.to_owned(), v.into_owned())
        })
        .collect();
    (base, params)
}

fn check(region: &str, session_token: Option<&str>) {
    let credentials = Credentials::new(
        ACCESS_KEY,
        SECRET_KEY,
        session_token.map(str::to_owned),
        None,
        "tests",
    );
    let ours = sign_token(
        region,
        &credentials,
        UNIX_EPOCH + Duration::from_secs(SIGNED_AT),
    )
    .unwrap();
    let token = ours.value.expose();
    let amazon = amazon(region, session_token, token);

    let our_url = url_of(token);
    let official_url = url_of(&amazon.official);
    let (our_base, our_params) = split(&our_url);
    let (official_base, official_params) = split(&official_url);
    assert_eq!(our_base, format!("https://kafka.{region}.amazonaws.com/"));
    assert_eq!(our_base, official_base);
    // The same parameters with the same values, signature included, in the same order: only who
    // signed (User-Agent) differs.
    let without_agent = |params: &[(String, String)]| -> Vec<(String, String)> {
        params
            .iter()
            .filter(|(k, _)| k != "User-Agent")
            .cloned()
            .collect()
    };
    assert_eq!(
        without_agent(&our_params),
        without_agent(&official_params),
        "\nours:     {our_url}\nofficial: {official_url}"
    );
    let agent = |params: &[(String, String)]| {
        params
            .iter()
            .find(|(k, _)| k == "User-Agent")
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        agent(&official_params).as_deref(),
        Some("aws-msk-iam-sasl-signer-python/1.0.2")
    );
    assert_eq!(
        agent(&our_params),
        Some(format!("switchyard/{}", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(
        our_params.last().unwrap().0,
        "User-Agent",
        "added after signing"
    );
    // Every parameter, one by one.
    let p: BTreeMap<&str, &str> = our_params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(p["Action"], "kafka-cluster:Connect");
    assert_eq!(p["X-Amz-Algorithm"], "AWS4-HMAC-SHA256");
    assert_eq!(
        p["X-Amz-Credential"],
        format!("{ACCESS_KEY}/20261201/{region}/kafka-cluster/aws4_request")
    );
    assert_eq!(p["X-Amz-Date"], DATE);
    assert_eq!(p["X-Amz-Expires"], "900");
    assert_eq!(p["X-Amz-SignedHeaders"], "host");
    assert_eq!(p.get("X-Amz-Security-Token").copied(), session_token);
    let signature = p["X-Amz-Signature"];
    assert!(
        signature.len() == 64 && signature.bytes().all(|b| b.is_ascii_hexdigit()),
        "{signature}"
    );
    // Independently: botocore signs our exact request at our date to our signature (and the
    // whole URL, up to who signed, is byte for byte what botocore presigns).
    let (resigned_base, resigned_params) = split(&amazon.resigned);
    assert_eq!(resigned_base, our_base);
    assert_eq!(resigned_params, without_agent(&our_params));
    assert!(
        our_url.starts_with(&amazon.resigned),
        "\nours:     {our_url}\nbotocore: {}",
        amazon.resigned
    );
    // librdkafka is told the same expiry Amazon's signer reports: X-Amz-Date + 900 s.
    assert_eq!(ours.expires_at_ms, amazon.official_expiry_ms);
    assert_eq!(
        ours.expires_at_ms,
        i64::try_from(SIGNED_AT + 900).unwrap() * 1000
    );
    assert_eq!(ours.principal, "kafka-cluster");
}

#[test]
fn the_token_matches_amazons_signer_with_temporary_credentials() {
    check("eu-west-1", Some(SESSION_TOKEN));
}

#[test]
fn the_token_matches_amazons_signer_with_long_term_credentials() {
    check("us-east-1", None);
}
