//! Lambda function URL requests (payload format 2.0, the same as API Gateway HTTP APIs): the
//! envelope webhooks arrive in. Only headers and the body are read; authenticating the body is
//! [`crate::webhook`]'s job.
//!
//! Our own type rather than `aws_lambda_events`' `LambdaFunctionUrlRequest`: that one requires
//! `requestContext` fields (`timeEpoch`, `http.*`) we never read, and decodes headers into an
//! `http::HeaderMap` whose errors do not name the header; here a malformed request is refused
//! naming the field, and the body size is checked before it is decoded.

use std::collections::BTreeMap;

use base64::Engine;
use serde_json::Value;

use crate::json::{self, FieldError};

/// Largest body accepted. Function URLs cap requests at 6 MB; GitHub's ref-event payloads are a
/// few KB. Anything larger is refused before the HMAC is computed.
pub const MAX_BODY_BYTES: usize = 5 * 1024 * 1024;

/// An HTTP request as a Lambda function URL delivers it (payload format 2.0).
#[derive(Debug, Clone)]
pub struct HttpRequest {
    /// Header names lowercased.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

/// True for a function URL (or API Gateway v2) request event.
pub fn is_http_request(v: &Value) -> bool {
    json::get(v, &["requestContext", "http"]).is_some() && v.get("headers").is_some()
}

pub fn parse_http_request(v: &Value) -> Result<HttpRequest, FieldError> {
    let mut headers = BTreeMap::new();
    if let Some(h) = json::get(v, &["headers"]) {
        let h = h
            .as_object()
            .ok_or_else(|| FieldError::new("headers", "expected an object"))?;
        for (name, value) in h {
            let value = value
                .as_str()
                .ok_or_else(|| FieldError::new(format!("headers.{name}"), "expected a string"))?;
            headers.insert(name.to_ascii_lowercase(), value.to_owned());
        }
    }
    let body = json::opt_str(v, &["body"])?.unwrap_or("");
    let encoded = json::opt_bool(v, &["isBase64Encoded"])?.unwrap_or(false);
    // Base64 grows by 4/3: check before decoding so a huge body is not decoded at all.
    if body.len() > MAX_BODY_BYTES * 4 / 3 + 4 {
        return Err(FieldError::new(
            "body",
            format!("is larger than {MAX_BODY_BYTES} bytes"),
        ));
    }
    let body = if encoded {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|e| FieldError::new("body", format!("invalid base64: {e}")))?
    } else {
        body.as_bytes().to_vec()
    };
    if body.len() > MAX_BODY_BYTES {
        return Err(FieldError::new(
            "body",
            format!("is larger than {MAX_BODY_BYTES} bytes"),
        ));
    }
    Ok(HttpRequest { headers, body })
}
