//! Tokens and their claims.
//!
//! The platform's access token is an HS256 JWT whose claims (`_id`, `organization`, `scope`,
//! `exp`) tell who is signed in and until when (docs/platform.md, "Tokens and who is signed in"). The client cannot verify the
//! signature (the secret is the platform's), so claims are decoded for display and for the
//! "expired?" decision only, never trusted for access control.

use std::fmt;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// A bearer or refresh token. Its `Debug` never shows the value and it has no `Display`, so a
/// stray `{:?}` or log line cannot leak it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into().trim().to_string())
    }

    /// The raw value, for the `Authorization` header and the refresh call only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// What the client needs to authenticate and to renew an expired token (docs/platform.md, "Renewing a token").
#[derive(Clone, Debug)]
pub struct Credentials {
    pub access: Secret,
    pub refresh: Option<Secret>,
    /// The `clientId` of the refresh call: the bot user's login e-mail.
    pub client_id: Option<String>,
}

impl Credentials {
    pub fn new(access: Secret) -> Self {
        Credentials {
            access,
            refresh: None,
            client_id: None,
        }
    }
}

/// The claims of a Web1on1 JWT that the tool uses; unknown claims are ignored.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    #[serde(rename = "_id", default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
}

/// Why a string is not a usable access token. Messages never include the token itself.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the token is empty; set SMS_INVITE_TOKEN or pass --token-file")]
    Empty,
    #[error(
        "the token is not a Web1on1 token (expected a JWT: three dot-separated base64 parts); \
         copy it again from account > developer > tokens"
    )]
    Malformed,
    #[error(
        "this is a refresh token, not an access token; pass it as SMS_INVITE_REFRESH_TOKEN and \
         use the access token as SMS_INVITE_TOKEN"
    )]
    RefreshTokenGiven,
}

impl Claims {
    /// Decodes the claims without verifying the signature (the platform's secret is not ours).
    pub fn decode(token: &str) -> Result<Claims, TokenError> {
        let token = token.trim();
        if token.is_empty() {
            return Err(TokenError::Empty);
        }
        // The signature cannot be checked without the platform's secret; the header must
        // still parse, so random dotted strings are refused.
        let data = jsonwebtoken::dangerous::insecure_decode::<Claims>(token)
            .map_err(|_| TokenError::Malformed)?;
        Ok(data.claims)
    }

    /// Decodes an access token and refuses a refresh token given in its place (docs/platform.md, "Tokens and who is signed in").
    pub fn decode_access(token: &str) -> Result<Claims, TokenError> {
        let claims = Claims::decode(token)?;
        if claims.grant_type.as_deref() == Some("refresh_token") {
            return Err(TokenError::RefreshTokenGiven);
        }
        Ok(claims)
    }

    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.as_deref().unwrap_or("").split_whitespace()
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes().any(|s| s == scope)
    }

    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.exp.and_then(|exp| Utc.timestamp_opt(exp, 0).single())
    }

    /// True when `exp` has passed at `now`; a token without `exp` never expires (bot tokens).
    pub fn is_expired_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_at().is_some_and(|exp| exp <= now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &serde_json::Value) -> String {
        let key = jsonwebtoken::EncodingKey::from_secret(b"test").unwrap();
        jsonwebtoken::encode(&jsonwebtoken::Header::default(), claims, &key).unwrap()
    }

    #[test]
    fn decodes_platform_claims_without_the_secret() {
        let t = jwt(&serde_json::json!({
            "_id": "5ee7372448d9940011151f42", "organization": "5c7574c78ae07962b12e264c",
            "scope": "viewer guest agent bot admin", "grant_type": "access_token",
            "iat": 1591860343, "exp": 1591946743, "extra": [1, 2]
        }));
        let c = Claims::decode_access(&t).unwrap();
        assert_eq!(c.user.as_deref(), Some("5ee7372448d9940011151f42"));
        assert!(c.has_scope("admin") && c.has_scope("bot") && !c.has_scope("supervisor"));
        assert_eq!(c.expires_at().unwrap().timestamp(), 1591946743);
        assert!(c.is_expired_at(Utc::now()));
    }

    #[test]
    fn refuses_refresh_tokens_and_garbage() {
        let t = jwt(&serde_json::json!({"_id": "u", "grant_type": "refresh_token"}));
        assert_eq!(
            Claims::decode_access(&t),
            Err(TokenError::RefreshTokenGiven)
        );
        assert_eq!(Claims::decode_access("  "), Err(TokenError::Empty));
        assert_eq!(Claims::decode_access("abc.def"), Err(TokenError::Malformed));
        assert_eq!(Claims::decode_access("a.b.c"), Err(TokenError::Malformed));
    }

    #[test]
    fn secret_debug_is_redacted() {
        let s = Secret::new("super-secret-value");
        assert!(!format!("{s:?}").contains("super-secret"));
        let c = Credentials::new(s);
        assert!(!format!("{c:?}").contains("super-secret"));
    }

    #[test]
    fn token_without_exp_never_expires() {
        let t = jwt(&serde_json::json!({"_id": "u", "scope": "bot"}));
        assert!(!Claims::decode(&t).unwrap().is_expired_at(Utc::now()));
    }
}
