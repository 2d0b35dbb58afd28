//! `sha256=<hex>` HMAC-SHA256 of the body: GitHub's `X-Hub-Signature-256` and Bitbucket Cloud's
//! `X-Hub-Signature` (the same scheme under another name), verified in constant time.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::AuthError;
use crate::secret::Secret;

/// Verifies `header` (the value of the header called `name`) against `body`.
pub fn verify(
    name: &'static str,
    secret: &Secret,
    body: &[u8],
    header: Option<&str>,
) -> Result<(), AuthError> {
    let header = header.ok_or(AuthError::Missing(name))?;
    let malformed = AuthError::Malformed {
        header: name,
        expected: "\"sha256=\" followed by 64 hex characters",
    };
    let hex_sig = header.strip_prefix("sha256=").ok_or(malformed.clone())?;
    if hex_sig.len() != 64 {
        return Err(malformed);
    }
    let expected = hex::decode(hex_sig).map_err(|_| malformed)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| AuthError::Mismatch(name))
}

/// The header value the host would send; for tests and sample generation.
pub fn sign(secret: &Secret, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: &str = "X-Hub-Signature";

    #[test]
    fn valid_wrong_missing_tampered_truncated_and_other_algorithms() {
        let (secret, body) = (Secret::new("s3cr3t"), b"{\"a\":1}".as_slice());
        let good = sign(&secret, body);
        assert_eq!(verify(NAME, &secret, body, Some(&good)), Ok(()));
        let wrong = sign(&Secret::new("other"), body);
        assert_eq!(
            verify(NAME, &secret, body, Some(&wrong)),
            Err(AuthError::Mismatch(NAME))
        );
        assert_eq!(
            verify(NAME, &secret, b"{\"a\":2}", Some(&good)),
            Err(AuthError::Mismatch(NAME))
        );
        assert_eq!(
            verify(NAME, &secret, body, None),
            Err(AuthError::Missing(NAME))
        );
        for bad in [
            &good[..good.len() - 2],
            &good.replace("sha256=", "sha1="),
            "sha256=zz",
        ] {
            let err = verify(NAME, &secret, body, Some(bad)).unwrap_err();
            assert!(matches!(err, AuthError::Malformed { .. }), "{bad}: {err}");
        }
    }
}
