//! Hands a SASL/OAUTHBEARER token to an rdkafka client: the one `unsafe` call Switchyard needs,
//! kept here behind a safe function so every other crate keeps `unsafe_code = "forbid"`.
//!
//! Why it exists: librdkafka asks the application for an OAUTHBEARER token by putting a
//! token-refresh event on the client's main queue, and rdkafka 0.39 answers it (through
//! `ClientContext::generate_oauth_token`) only while something polls that queue. Its
//! `AdminClient` never does (fede1024/rust-rdkafka#757; the fix, PR #801, is not released), so an
//! admin client with `sasl.mechanism=OAUTHBEARER` never logs in ("OAUTHBEARER cannot log in
//! because there is no token available") and every request fails or times out. librdkafka also lets the application set the token itself, at any time and from any
//! thread (`rd_kafka_oauthbearer_set_token`, which swaps the token under a lock); rdkafka has no
//! safe wrapper for it, so this crate is that wrapper.
//!
//! When it goes: once a released rdkafka polls the admin client's main queue (or wraps
//! `rd_kafka_oauthbearer_set_token`), the caller implements `generate_oauth_token` instead and
//! this crate is deleted.

#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use rdkafka::bindings::{rd_kafka_oauthbearer_set_token, rd_kafka_resp_err_t};
use rdkafka::client::{Client, ClientContext};

/// librdkafka's error strings are short; 512 bytes is what rdkafka itself gives them.
const ERRSTR_SIZE: usize = 512;

/// Sets `token` as the OAUTHBEARER token of `client` (the client must have been created with
/// `sasl.mechanism=OAUTHBEARER`). Connections waiting for a token proceed; later logins and
/// re-authentications use it until another call replaces it.
///
/// - `lifetime_ms`: when the token expires, in milliseconds since the Unix epoch (librdkafka's
///   `md_lifetime_ms`; not a duration). librdkafka refuses a token that has already expired.
/// - `principal`: the Kafka principal name librdkafka keeps beside the token (not sent to the
///   broker).
///
/// Errors are librdkafka's words (e.g. "SASL/OAUTHBEARER is not the configured authentication
/// mechanism", "Must supply an unexpired token: …"), or a NUL byte in `token` / `principal`
/// (the error never contains the token).
pub fn set_oauth_token<C: ClientContext>(
    client: &Client<C>,
    token: &str,
    lifetime_ms: i64,
    principal: &str,
) -> Result<(), String> {
    let token = CString::new(token).map_err(|_| "the token contains a NUL byte".to_owned())?;
    let principal = CString::new(principal)
        .map_err(|_| format!("the principal {principal:?} contains a NUL byte"))?;
    let mut errstr: [c_char; ERRSTR_SIZE] = [0; ERRSTR_SIZE];
    // SAFETY: `client.native_ptr()` is the live `rd_kafka_t` that `client` owns, valid for as
    // long as the borrow of `client`, which outlives this call. The call may run beside the
    // client's own threads: librdkafka's implementation (`rd_kafka_oauthbearer_set_token0`)
    // changes the token only under the SASL handle's write lock, which its broker threads take to
    // read it, and it is meant to be called from whichever application thread serves the refresh
    // event. `token` and `principal` are NUL-terminated
    // C strings that live until the end of this function; librdkafka copies them (`rd_strdup`)
    // and keeps no pointer. No extensions: a null array with size 0, which librdkafka accepts.
    // `errstr` is a writable buffer of exactly `ERRSTR_SIZE` bytes, and librdkafka writes at most
    // that many, NUL-terminated (`rd_snprintf`).
    let code = unsafe {
        rd_kafka_oauthbearer_set_token(
            client.native_ptr(),
            token.as_ptr(),
            lifetime_ms,
            principal.as_ptr(),
            ptr::null_mut(),
            0,
            errstr.as_mut_ptr(),
            errstr.len(),
        )
    };
    if code == rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        return Ok(());
    }
    Err(error_text(&errstr, code))
}

/// librdkafka's error string (NUL-terminated in `errstr`), or the error code when it wrote none.
fn error_text(errstr: &[c_char], code: rd_kafka_resp_err_t) -> String {
    let bytes: Vec<u8> = errstr
        .iter()
        .map(|c| u8::from_ne_bytes(c.to_ne_bytes()))
        .collect();
    match CStr::from_bytes_until_nul(&bytes) {
        Ok(text) if !text.is_empty() => text.to_string_lossy().into_owned(),
        _ => format!("rd_kafka_oauthbearer_set_token failed: {code:?}"),
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use rdkafka::admin::AdminClient;
    use rdkafka::client::DefaultClientContext;
    use rdkafka::config::ClientConfig;

    use super::*;

    /// An admin client that never connects (nothing is sent before a request).
    fn admin(mechanism: Option<&str>) -> AdminClient<DefaultClientContext> {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", "127.0.0.1:1");
        if let Some(mechanism) = mechanism {
            config
                .set("security.protocol", "sasl_plaintext")
                .set("sasl.mechanism", mechanism)
                // PLAIN's own settings (OAUTHBEARER ignores them).
                .set("sasl.username", "u")
                .set("sasl.password", "p");
        }
        config.create().unwrap()
    }

    fn in_ms(from_now: Duration) -> i64 {
        i64::try_from(
            (SystemTime::now() + from_now)
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_millis(),
        )
        .unwrap()
    }

    #[test]
    fn a_token_is_accepted_by_an_oauthbearer_client() {
        let admin = admin(Some("OAUTHBEARER"));
        set_oauth_token(
            admin.inner(),
            "tok.en",
            in_ms(Duration::from_secs(900)),
            "kafka-cluster",
        )
        .unwrap();
        // Replacing it is the refresh.
        set_oauth_token(
            admin.inner(),
            "tok.en2",
            in_ms(Duration::from_secs(900)),
            "kafka-cluster",
        )
        .unwrap();
    }

    #[test]
    fn librdkafka_refusals_come_back_in_its_words_without_the_token() {
        let oauth = admin(Some("OAUTHBEARER"));
        let expired = set_oauth_token(
            oauth.inner(),
            "secret-tok",
            in_ms(Duration::ZERO) - 60_000,
            "p",
        )
        .unwrap_err();
        assert!(
            expired.contains("Must supply an unexpired token"),
            "{expired}"
        );
        let not_oauth = set_oauth_token(
            admin(Some("PLAIN")).inner(),
            "secret-tok",
            in_ms(Duration::from_secs(900)),
            "p",
        )
        .unwrap_err();
        assert!(
            not_oauth.contains("SASL/OAUTHBEARER is not the configured authentication mechanism"),
            "{not_oauth}"
        );
        let no_sasl = set_oauth_token(
            admin(None).inner(),
            "secret-tok",
            in_ms(Duration::from_secs(900)),
            "p",
        )
        .unwrap_err();
        assert!(no_sasl.contains("not the configured"), "{no_sasl}");
        for err in [expired, not_oauth, no_sasl] {
            assert!(!err.contains("secret-tok"), "{err}");
        }
    }

    #[test]
    fn nul_bytes_are_refused_before_librdkafka_sees_them() {
        let admin = admin(Some("OAUTHBEARER"));
        let lifetime = in_ms(Duration::from_secs(900));
        let err = set_oauth_token(admin.inner(), "secret\0tok", lifetime, "p").unwrap_err();
        assert_eq!(err, "the token contains a NUL byte");
        let err = set_oauth_token(admin.inner(), "t", lifetime, "p\0q").unwrap_err();
        assert!(err.contains("principal") && err.contains("NUL"), "{err}");
    }
}
