//! GitLab's two ways to authenticate a webhook, chosen by the secret configured for it:
//!
//! - a **secret token**: sent as it is in `X-Gitlab-Token` with every delivery, compared here in
//!   constant time. It proves nothing about the body, and whoever sees one request (a proxy's log,
//!   a mis-pointed hook) holds the token;
//! - a **signing token** (`whsec_<base64 key>`): GitLab signs each delivery in the Standard
//!   Webhooks form, `webhook-signature: v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">`.
//!   The key never travels, the body cannot be changed, and a delivery older than
//!   [`TOLERANCE_SECONDS`] is refused, which also stops a captured delivery from being replayed
//!   later. This is the one to use where the GitLab version offers it.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use super::AuthError;
use crate::secret::Secret;

const TOKEN_HEADER: &str = "X-Gitlab-Token";
const SIGNATURE_HEADER: &str = "webhook-signature";
const ID_HEADER: &str = "webhook-id";
const TIMESTAMP_HEADER: &str = "webhook-timestamp";
/// How far `webhook-timestamp` may be from the clock, either way (the Standard Webhooks default).
pub const TOLERANCE_SECONDS: i64 = 5 * 60;
const SIGNING_PREFIX: &str = "whsec_";

/// The secret a GitLab hook is configured with.
#[derive(Clone, PartialEq, Eq)]
pub enum GitLabSecret {
    /// The hook's secret token, compared with `X-Gitlab-Token`.
    Token(Secret),
    /// The key of the hook's signing token (the bytes after `whsec_`, decoded).
    Signing(Vec<u8>),
}

impl std::fmt::Debug for GitLabSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            GitLabSecret::Token(_) => "Token(<redacted>)",
            GitLabSecret::Signing(_) => "Signing(<redacted>)",
        })
    }
}

/// Shortest signing key accepted (GitLab generates 32 bytes; Standard Webhooks allows 24 to 64).
const MIN_KEY_BYTES: usize = 24;

impl GitLabSecret {
    /// A `whsec_…` value is a signing token; anything else is a secret token. The error says
    /// what is wrong without the value.
    pub fn parse(secret: Secret) -> Result<Self, String> {
        let Some(encoded) = secret.expose().strip_prefix(SIGNING_PREFIX) else {
            return Ok(GitLabSecret::Token(secret));
        };
        let key = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| "is a signing token (whsec_…) whose key is not valid base64".to_owned())?;
        if key.len() < MIN_KEY_BYTES || key.len() > 64 {
            return Err(format!(
                "is a signing token whose key is {} bytes; GitLab's are 32",
                key.len()
            ));
        }
        Ok(GitLabSecret::Signing(key))
    }
}

/// The request headers authentication reads (lowercased names).
pub type Headers = std::collections::BTreeMap<String, String>;

/// Authenticates a GitLab delivery as its secret says: the token, or the signature and its age.
pub fn authenticate(
    secret: &GitLabSecret,
    headers: &Headers,
    body: &[u8],
    now: OffsetDateTime,
) -> Result<(), AuthError> {
    match secret {
        GitLabSecret::Token(token) => {
            let given = headers
                .get("x-gitlab-token")
                .ok_or(AuthError::Missing(TOKEN_HEADER))?;
            // Digests first: equal lengths, so neither the length nor a prefix of the token leaks.
            let (given, expected) = (
                Sha256::digest(given.as_bytes()),
                Sha256::digest(token.expose().as_bytes()),
            );
            if bool::from(given.as_slice().ct_eq(expected.as_slice())) {
                Ok(())
            } else {
                Err(AuthError::WrongToken(TOKEN_HEADER))
            }
        }
        GitLabSecret::Signing(key) => verify_signed(key, headers, body, now),
    }
}

fn verify_signed(
    key: &[u8],
    headers: &Headers,
    body: &[u8],
    now: OffsetDateTime,
) -> Result<(), AuthError> {
    let header = |name: &'static str| headers.get(name).ok_or(AuthError::Missing(name));
    let signatures = header(SIGNATURE_HEADER)?;
    let id = header(ID_HEADER)?;
    let timestamp = header(TIMESTAMP_HEADER)?;
    let seconds: i64 = timestamp.parse().map_err(|_| AuthError::Malformed {
        header: TIMESTAMP_HEADER,
        expected: "seconds since the epoch",
    })?;
    if (now.unix_timestamp() - seconds).abs() > TOLERANCE_SECONDS {
        return Err(AuthError::Stale {
            header: TIMESTAMP_HEADER,
            tolerance_seconds: TOLERANCE_SECONDS,
        });
    }
    // Several signatures may be sent (space-separated) while a key is rotated; one must match.
    let malformed = AuthError::Malformed {
        header: SIGNATURE_HEADER,
        expected: "\"v1,\" followed by a base64 HMAC-SHA256",
    };
    let mut decoded = Vec::new();
    for candidate in signatures.split(' ').filter(|s| !s.is_empty()) {
        let Some(encoded) = candidate.strip_prefix("v1,") else {
            continue;
        };
        match base64::engine::general_purpose::STANDARD.decode(encoded) {
            Ok(bytes) if bytes.len() == 32 => decoded.push(bytes),
            _ => return Err(malformed),
        }
    }
    if decoded.is_empty() {
        return Err(malformed);
    }
    let mac = signed_content_mac(key, id, timestamp, body);
    if decoded
        .iter()
        .any(|sig| mac.clone().verify_slice(sig).is_ok())
    {
        Ok(())
    } else {
        Err(AuthError::Mismatch(SIGNATURE_HEADER))
    }
}

fn signed_content_mac(key: &[u8], id: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `webhook-signature` GitLab would send; for tests and sample generation.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mac = signed_content_mac(key, id, &timestamp.to_string(), body);
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
    const NOW: i64 = 1_795_424_564;

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(NOW).unwrap()
    }

    fn signed(body: &[u8], at: i64) -> Headers {
        Headers::from([
            ("webhook-id".into(), "d-1".into()),
            ("webhook-timestamp".into(), at.to_string()),
            ("webhook-signature".into(), sign(KEY, "d-1", at, body)),
        ])
    }

    #[test]
    fn tokens_are_compared_whole() {
        let secret = GitLabSecret::Token(Secret::new("t0ken-t0ken-t0ken-t0ken-t0ken-t0"));
        let with = |t: &str| Headers::from([("x-gitlab-token".into(), t.to_owned())]);
        assert_eq!(
            authenticate(
                &secret,
                &with("t0ken-t0ken-t0ken-t0ken-t0ken-t0"),
                b"",
                now()
            ),
            Ok(())
        );
        for wrong in ["t0ken", "t0ken-t0ken-t0ken-t0ken-t0ken-t0x", ""] {
            assert_eq!(
                authenticate(&secret, &with(wrong), b"", now()),
                Err(AuthError::WrongToken(TOKEN_HEADER))
            );
        }
        assert_eq!(
            authenticate(&secret, &Headers::new(), b"", now()),
            Err(AuthError::Missing(TOKEN_HEADER))
        );
    }

    #[test]
    fn signatures_cover_id_timestamp_and_body_and_expire() {
        let secret = GitLabSecret::Signing(KEY.to_vec());
        let body = b"{\"object_kind\":\"push\"}";
        assert_eq!(
            authenticate(&secret, &signed(body, NOW), body, now()),
            Ok(())
        );
        // Rotation: another signature beside the valid one.
        let mut two = signed(body, NOW);
        let valid = two["webhook-signature"].clone();
        two.insert(
            "webhook-signature".into(),
            format!(
                "{} {valid}",
                sign(b"another key another key 1234", "d-1", NOW, body)
            ),
        );
        assert_eq!(authenticate(&secret, &two, body, now()), Ok(()));

        let tampered = authenticate(&secret, &signed(body, NOW), b"{}", now());
        assert_eq!(tampered, Err(AuthError::Mismatch(SIGNATURE_HEADER)));
        let mut other_id = signed(body, NOW);
        other_id.insert("webhook-id".into(), "d-2".into());
        assert_eq!(
            authenticate(&secret, &other_id, body, now()),
            Err(AuthError::Mismatch(SIGNATURE_HEADER))
        );
        let wrong_key = GitLabSecret::Signing(b"fedcba9876543210fedcba9876543210".to_vec());
        assert_eq!(
            authenticate(&wrong_key, &signed(body, NOW), body, now()),
            Err(AuthError::Mismatch(SIGNATURE_HEADER))
        );
        for at in [NOW - TOLERANCE_SECONDS - 1, NOW + TOLERANCE_SECONDS + 1] {
            let err = authenticate(&secret, &signed(body, at), body, now()).unwrap_err();
            assert!(matches!(err, AuthError::Stale { .. }), "{err}");
        }
        for header in ["webhook-signature", "webhook-id", "webhook-timestamp"] {
            let mut missing = signed(body, NOW);
            missing.remove(header);
            assert_eq!(
                authenticate(&secret, &missing, body, now()),
                Err(AuthError::Missing(header))
            );
        }
    }

    #[test]
    fn truncated_signatures_and_other_versions_are_malformed() {
        let secret = GitLabSecret::Signing(KEY.to_vec());
        let body = b"{}";
        let good = sign(KEY, "d-1", NOW, body);
        for bad in [
            good[..good.len() - 4].to_owned(),
            good.replace("v1,", "v1a,"),
            good.replace("v1,", ""),
            "v1,!!!".to_owned(),
        ] {
            let mut h = signed(body, NOW);
            h.insert("webhook-signature".into(), bad.clone());
            let err = authenticate(&secret, &h, body, now()).unwrap_err();
            assert!(matches!(err, AuthError::Malformed { .. }), "{bad}: {err}");
        }
        let mut h = signed(body, NOW);
        h.insert("webhook-timestamp".into(), "yesterday".into());
        assert!(matches!(
            authenticate(&secret, &h, body, now()),
            Err(AuthError::Malformed { .. })
        ));
    }

    #[test]
    fn secrets_are_told_apart_by_their_prefix_and_never_printed() {
        let token = GitLabSecret::parse(Secret::new("plain-secret-token")).unwrap();
        assert!(matches!(token, GitLabSecret::Token(_)));
        let encoded = base64::engine::general_purpose::STANDARD.encode(KEY);
        let signing = GitLabSecret::parse(Secret::new(format!("whsec_{encoded}"))).unwrap();
        assert_eq!(signing, GitLabSecret::Signing(KEY.to_vec()));
        assert_eq!(format!("{signing:?}"), "Signing(<redacted>)");
        assert!(GitLabSecret::parse(Secret::new("whsec_not base64")).is_err());
        let short = base64::engine::general_purpose::STANDARD.encode(b"short");
        let err = GitLabSecret::parse(Secret::new(format!("whsec_{short}"))).unwrap_err();
        assert!(err.contains("5 bytes"), "{err}");
    }
}
