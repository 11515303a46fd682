//! One error type for every API failure, carrying what the user needs to act on it.

use std::fmt;
use std::time::Duration;

/// The class of failure; the hint and the retry/ambiguity rules follow from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// 400 or 422: the request was refused as invalid.
    BadRequest,
    /// 401: the token was refused (and could not be renewed).
    Unauthorized,
    /// Renewing an expired token failed.
    RefreshFailed,
    /// 403: the token's scope does not allow this.
    Forbidden,
    NotFound,
    Conflict,
    /// 429 after all retries.
    RateLimited,
    /// 5xx or 408.
    Server,
    Timeout,
    /// The connection failed or broke.
    Network,
    /// A 2xx answer the client could not understand.
    InvalidResponse,
    /// An answer (or a list of pages) past this client's size limits; see
    /// [`crate::api::ClientConfig`].
    TooLarge,
    /// A client-side problem before anything was sent (bad URL, bad argument).
    Usage,
}

/// A failed API call. `Display` says what happened in one line; [`ApiError::hint`] says what to
/// do. Neither ever contains the token: requests are described by method and path only.
#[derive(Clone, Debug)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub status: Option<u16>,
    /// The server's `error.message`, or the transport's description.
    pub message: String,
    pub method: String,
    pub path: String,
    /// For a POST or PATCH: the platform may have applied it although we saw no success
    /// (5xx, timeout, connection lost after sending). Such a write must be reconciled, never
    /// blindly resent (docs/invitation.md, "When the answer is lost").
    pub outcome_unknown: bool,
    pub retry_after: Option<Duration>,
}

impl ApiError {
    pub fn new(kind: ErrorKind, method: &str, path: &str, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            status: None,
            message: message.into(),
            method: method.to_string(),
            path: path.to_string(),
            outcome_unknown: false,
            retry_after: None,
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        ApiError::new(ErrorKind::Usage, "", "", message)
    }

    /// Maps an HTTP status to a kind.
    pub fn kind_for_status(status: u16) -> ErrorKind {
        match status {
            400 | 405 | 413 | 415 | 422 => ErrorKind::BadRequest,
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 | 410 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            429 => ErrorKind::RateLimited,
            408 | 500..=599 => ErrorKind::Server,
            _ => ErrorKind::InvalidResponse,
        }
    }

    /// What the user can do about it.
    pub fn hint(&self) -> &'static str {
        match self.kind {
            ErrorKind::BadRequest => {
                "the platform refused the request as invalid; check the input it names"
            }
            ErrorKind::Unauthorized => {
                "the token was refused; get a fresh one (account > developer > tokens) or set \
                 SMS_INVITE_REFRESH_TOKEN and SMS_INVITE_EMAIL so it can be renewed"
            }
            ErrorKind::RefreshFailed => {
                "the token expired and could not be renewed; sign in again with a new token and \
                 refresh token"
            }
            ErrorKind::Forbidden => {
                "the token's scope does not allow this; listing services needs an admin-scoped token"
            }
            ErrorKind::NotFound => "check the id; the token may not see that organization",
            ErrorKind::Conflict => "the platform reports a conflict with existing data",
            ErrorKind::RateLimited => {
                "the platform is rate limiting; lower --client-rate or --concurrency"
            }
            ErrorKind::Server if self.outcome_unknown => {
                "the platform failed after receiving the request, so it may have been applied; \
                 it is checked before anything is resent"
            }
            ErrorKind::Server => "the platform had a problem; try again in a minute",
            ErrorKind::Timeout | ErrorKind::Network if self.outcome_unknown => {
                "the answer was lost, so the request may have been applied; it is checked before \
                 anything is resent"
            }
            ErrorKind::Timeout => {
                "check --api-url (SMS_INVITE_API_URL) and the network connection; \
                 --request-deadline allows a slow platform more time"
            }
            ErrorKind::Network => "check --api-url (SMS_INVITE_API_URL) and the network connection",
            ErrorKind::InvalidResponse | ErrorKind::TooLarge if self.outcome_unknown => {
                "the platform accepted the request but its answer could not be read; it is \
                 checked before anything is resent"
            }
            ErrorKind::InvalidResponse => {
                "the platform answered in an unexpected shape; check --api-url points at the API"
            }
            ErrorKind::TooLarge => {
                "a real platform answer stays far below this limit; check --api-url points at \
                 the API"
            }
            ErrorKind::Usage => "check the arguments",
        }
    }

    /// True when the platform rejected the token (the caller should offer to sign in again).
    pub fn is_auth(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Unauthorized | ErrorKind::RefreshFailed
        )
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.method.is_empty() {
            write!(f, "{} {}: ", self.method, self.path)?;
        }
        if let Some(status) = self.status {
            write!(f, "HTTP {status}: ")?;
        }
        f.write_str(&self.message)?;
        if self.outcome_unknown {
            f.write_str(" (outcome unknown)")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_request_status_and_message() {
        let mut e = ApiError::new(
            ErrorKind::Forbidden,
            "GET",
            "/v2/services",
            "Permission denied",
        );
        e.status = Some(403);
        assert_eq!(
            e.to_string(),
            "GET /v2/services: HTTP 403: Permission denied"
        );
        assert!(e.hint().contains("admin"));
    }

    #[test]
    fn ambiguous_writes_say_so() {
        let mut e = ApiError::new(
            ErrorKind::Server,
            "POST",
            "/v2/conversations",
            "Internal error",
        );
        e.status = Some(502);
        e.outcome_unknown = true;
        assert!(e.to_string().ends_with("(outcome unknown)"));
        assert!(e.hint().contains("may have been applied"));
    }

    #[test]
    fn statuses_map_to_kinds() {
        assert_eq!(ApiError::kind_for_status(401), ErrorKind::Unauthorized);
        assert_eq!(ApiError::kind_for_status(503), ErrorKind::Server);
        assert_eq!(ApiError::kind_for_status(408), ErrorKind::Server);
        assert_eq!(ApiError::kind_for_status(429), ErrorKind::RateLimited);
        assert_eq!(ApiError::kind_for_status(404), ErrorKind::NotFound);
    }
}
