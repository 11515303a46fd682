//! The calls by resource (organizations, services, contacts, conversations, messages, users,
//! sign-in), on top of the generic GET and POST that decode the answer.

use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use url::Url;

use super::decode::{decode, decode_write, invalid};
use super::transport;
use super::{Client, ClientConfig};
use crate::api::auth::Secret;
use crate::api::error::ApiError;
use crate::api::models::{
    Conversation, Message, Organization, PlatformContact, Service, TokenResponse, User,
};
use crate::api::query::Query;

impl Client {
    pub async fn get<T: DeserializeOwned>(&self, path: &str, query: &Query) -> Result<T, ApiError> {
        let raw = self.send_json(Method::GET, path, query, None).await?;
        decode(&Method::GET, &raw)
    }

    /// POST; returns the status too, because 201 (created) and 200 (upserted) differ.
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<(u16, T), ApiError> {
        let body = to_value(body)?;
        let raw = self
            .send_json(Method::POST, path, &Query::new(), Some(&body))
            .await?;
        let value = decode_write(&Method::POST, &raw)?;
        Ok((raw.status.as_u16(), value))
    }

    pub async fn organization(&self, id: &str) -> Result<Organization, ApiError> {
        self.get(
            &format!("organizations/{}", path_segment(id)?),
            &Query::new(),
        )
        .await
    }

    pub async fn organizations(
        &self,
        query: &Query,
        cap: usize,
    ) -> Result<Vec<Organization>, ApiError> {
        self.list_all("organizations", query, cap).await
    }

    pub async fn services(&self, query: &Query, cap: usize) -> Result<Vec<Service>, ApiError> {
        self.list_all("services", query, cap).await
    }

    /// Contacts of `org` whose stored telephone is any of `spellings` (one request, docs/platform.md "List queries"
    /// in-list), with their conversation populated so participants come along; a platform
    /// that ignores `populate` answers with ids and the caller fetches the conversation.
    pub async fn contacts_by_phone(
        &self,
        org: &str,
        spellings: &[String],
    ) -> Result<Vec<PlatformContact>, ApiError> {
        let q = Query::new()
            .eq("organization", org)
            .populate("conversation");
        let q = match spellings {
            [one] => q.eq("profile.telephone", one),
            many => q.any_of("profile.telephone", many),
        };
        self.list_all("contacts", &q, 1000).await
    }

    /// Contacts of `org` whose stored telephone is exactly `spelling` (no in-list), with their
    /// conversation populated: the lookup that needs nothing beyond an equality filter.
    pub async fn contacts_by_exact_phone(
        &self,
        org: &str,
        spelling: &str,
    ) -> Result<Vec<PlatformContact>, ApiError> {
        let q = Query::new()
            .eq("organization", org)
            .eq("profile.telephone", spelling)
            .populate("conversation");
        self.list_all("contacts", &q, 1000).await
    }

    pub async fn contact(&self, id: &str) -> Result<PlatformContact, ApiError> {
        self.get(&format!("contacts/{}", path_segment(id)?), &Query::new())
            .await
    }

    pub async fn conversation(&self, id: &str) -> Result<Conversation, ApiError> {
        self.get(
            &format!("conversations/{}", path_segment(id)?),
            &Query::new(),
        )
        .await
    }

    /// `POST /v2/conversations`; `true` when the platform created a new conversation (201),
    /// `false` when it upserted into the contact's existing one (200).
    pub async fn create_conversation(
        &self,
        body: &Value,
    ) -> Result<(Conversation, bool), ApiError> {
        let (status, conv) = self.post::<Conversation>("conversations", body).await?;
        Ok((conv, status == 201))
    }

    /// Posts messages as one array, which the platform processes in order (docs/platform.md, "Messages").
    pub async fn post_messages(
        &self,
        conversation: &str,
        messages: &[Value],
    ) -> Result<Vec<Message>, ApiError> {
        let path = format!("conversations/{}/messages", path_segment(conversation)?);
        let (_, value) = self
            .post::<Value>(&path, &Value::Array(messages.to_vec()))
            .await?;
        // The answer to an array is presumably an array (docs/platform.md "Messages": unknown); a single object is
        // accepted too.
        let list = match value {
            Value::Array(items) => items,
            Value::Null => Vec::new(),
            other => vec![other],
        };
        list.into_iter()
            .map(|v| serde_json::from_value(v).map_err(|e| invalid("POST", &path, &e)))
            .collect()
    }

    pub async fn messages(&self, query: &Query, cap: usize) -> Result<Vec<Message>, ApiError> {
        self.list_all("messages", query, cap).await
    }

    pub async fn user(&self, id: &str) -> Result<User, ApiError> {
        self.get(&format!("users/{}", path_segment(id)?), &Query::new())
            .await
    }

    /// `POST /v2/auth/token` with e-mail and password (docs/platform.md, "Signing in with a password"), without a bearer.
    pub async fn login(
        config: &ClientConfig,
        email: &str,
        password: &Secret,
    ) -> Result<TokenResponse, ApiError> {
        let base = config.base_url.as_str().trim_end_matches('/');
        let url = Url::parse(&format!("{base}/v2/auth/token"))
            .map_err(|e| ApiError::usage(e.to_string()))?;
        let body = json!({"email": email, "password": password.expose()});
        let raw = transport::post_without_bearer(config, &url, &body).await?;
        decode(&Method::POST, &raw)
    }
}

/// Ids go into paths; refuse anything that could change the path.
fn path_segment(id: &str) -> Result<&str, ApiError> {
    if !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        Ok(id)
    } else {
        Err(ApiError::usage(format!("{id:?} is not a valid id")))
    }
}

fn to_value(body: &impl Serialize) -> Result<Value, ApiError> {
    serde_json::to_value(body)
        .map_err(|e| ApiError::usage(format!("cannot encode the request: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_cannot_escape_the_path() {
        assert!(path_segment("5ee7372448d9940011151f42").is_ok());
        assert!(path_segment("../admin").is_err());
        assert!(path_segment("a?b").is_err());
        assert!(path_segment("").is_err());
    }
}
