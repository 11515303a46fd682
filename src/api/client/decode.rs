//! How an answer becomes a typed value or an [`ApiError`]: an error status with whatever the
//! body says, a 2xx whose body still carries an `error`, a 2xx that cannot be read, and which
//! JWT errors mean "renew the token".

use std::fmt;

use reqwest::Method;
use reqwest::header::RETRY_AFTER;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::transport::Raw;
use crate::api::error::{ApiError, ErrorKind};
use crate::api::retry::{is_idempotent, parse_retry_after};

/// The JWT errors that mean "renew the token" (docs/platform.md, "Renewing a token"), exactly as the SDK matches them.
pub fn is_refreshable_message(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("jwt expired") || m.contains("invalid signature") || m.contains("invalid token")
}

pub(super) fn invalid(method: &str, path: &str, e: &dyn fmt::Display) -> ApiError {
    ApiError::new(
        ErrorKind::InvalidResponse,
        method,
        path,
        format!("unexpected answer: {e}"),
    )
}

pub(super) fn decode<T: DeserializeOwned>(method: &Method, raw: &Raw) -> Result<T, ApiError> {
    let value: Value = serde_json::from_slice(&raw.body)
        .map_err(|e| invalid(method.as_str(), raw.url.path(), &e))?;
    legacy_error(method, raw, &value)?;
    serde_json::from_value(value).map_err(|e| invalid(method.as_str(), raw.url.path(), &e))
}

/// Like [`decode`], but for writes a garbled 2xx answer is "outcome unknown", not "failed":
/// the platform said yes, we just cannot read the details.
pub(super) fn decode_write<T: DeserializeOwned>(method: &Method, raw: &Raw) -> Result<T, ApiError> {
    decode(method, raw).map_err(|mut e| {
        if e.kind == ErrorKind::InvalidResponse {
            e.outcome_unknown = true;
        }
        e
    })
}

/// A 2xx body with an `error` key is a failure (legacy behaviour the SDK honours, docs/platform.md "Errors").
fn legacy_error(method: &Method, raw: &Raw, value: &Value) -> Result<(), ApiError> {
    if let Some(err) = value.get("error").filter(|e| !e.is_null()) {
        let message = err
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("error")
            .to_string();
        let mut e = ApiError::new(
            ErrorKind::BadRequest,
            method.as_str(),
            raw.url.path(),
            message,
        );
        e.status = Some(raw.status.as_u16());
        return Err(e);
    }
    Ok(())
}

pub(super) fn error_from_response(method: &Method, path: &str, raw: &Raw) -> ApiError {
    let status = raw.status.as_u16();
    let parsed: Option<Value> = serde_json::from_slice(&raw.body).ok();
    let server_message = parsed
        .as_ref()
        .and_then(|v| v.pointer("/error/message").or_else(|| v.get("message")))
        .and_then(Value::as_str)
        .map(|s| crate::safe_text::clip(s, 300).into_owned());
    let message = server_message.unwrap_or_else(|| {
        let text = String::from_utf8_lossy(&raw.body);
        let text = text.trim();
        if text.is_empty() || text.starts_with('<') {
            raw.status.canonical_reason().unwrap_or("error").to_string()
        } else {
            crate::safe_text::clip(text, 200).into_owned()
        }
    });
    let mut e = ApiError::new(
        ApiError::kind_for_status(status),
        method.as_str(),
        path,
        message,
    );
    e.status = Some(status);
    e.retry_after = raw
        .headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
    e.outcome_unknown = !is_idempotent(method) && (status >= 500 || status == 408);
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_messages_match_the_sdk() {
        assert!(is_refreshable_message("jwt expired"));
        assert!(is_refreshable_message("Invalid Signature"));
        assert!(is_refreshable_message("invalid token"));
        assert!(!is_refreshable_message("jwt malformed"));
        assert!(!is_refreshable_message("Refresh token not accepted"));
    }
}
