//! The sandbox's tokens: HS256 JWTs with the platform's claims, and the platform's error
//! messages (those of the `jsonwebtoken` Node library, docs/platform.md, "Renewing a token").

use chrono::Utc;
use jsonwebtoken::errors::ErrorKind as JwtKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// Everything the sandbox puts in a token.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TokenClaims {
    #[serde(rename = "_id")]
    pub user: String,
    pub organization: String,
    pub scope: String,
    pub grant_type: String,
    pub iat: i64,
    pub exp: i64,
    /// Unique per token, so rotated refresh tokens can be revoked and equal-time tokens differ.
    pub jti: String,
}

pub struct Keys {
    enc: EncodingKey,
    dec: DecodingKey,
}

impl Keys {
    pub fn new(secret: &[u8]) -> Result<Keys, String> {
        Ok(Keys {
            enc: EncodingKey::from_secret(secret).map_err(|e| e.to_string())?,
            dec: DecodingKey::from_secret(secret).map_err(|e| e.to_string())?,
        })
    }

    pub fn issue(
        &self,
        user: &str,
        organization: &str,
        scope: &str,
        grant: &str,
        ttl_secs: i64,
        jti: String,
    ) -> String {
        let now = Utc::now().timestamp();
        let claims = TokenClaims {
            user: user.to_string(),
            organization: organization.to_string(),
            scope: scope.to_string(),
            grant_type: grant.to_string(),
            iat: now,
            exp: now + ttl_secs,
            jti,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.enc).unwrap_or_default()
    }

    /// Verifies a token; the error is the message the platform answers with.
    pub fn verify(&self, token: &str) -> Result<TokenClaims, &'static str> {
        if token.is_empty() {
            return Err("jwt must be provided");
        }
        if token.split('.').count() != 3 {
            return Err("jwt malformed");
        }
        let mut v = Validation::new(Algorithm::HS256);
        v.leeway = 0;
        v.required_spec_claims = ["exp".to_string()].into_iter().collect();
        jsonwebtoken::decode::<TokenClaims>(token, &self.dec, &v)
            .map(|d| d.claims)
            .map_err(|e| match e.kind() {
                JwtKind::ExpiredSignature => "jwt expired",
                JwtKind::InvalidSignature => "invalid signature",
                _ => "invalid token",
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_match_the_platform() {
        let k = Keys::new(b"s").unwrap();
        let other = Keys::new(b"other").unwrap();
        let t = k.issue("u", "o", "bot", "access_token", 60, "j1".into());
        assert_eq!(k.verify(&t).unwrap().user, "u");
        assert_eq!(other.verify(&t), Err("invalid signature"));
        let expired = k.issue("u", "o", "bot", "access_token", -5, "j2".into());
        assert_eq!(k.verify(&expired), Err("jwt expired"));
        assert_eq!(k.verify("nope"), Err("jwt malformed"));
        assert_eq!(k.verify(""), Err("jwt must be provided"));
        assert_eq!(k.verify("a.b.c"), Err("invalid token"));
    }
}
