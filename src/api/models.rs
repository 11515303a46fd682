//! Typed resources. Each keeps the fields it does not know in `extra`, so a resource read,
//! changed and written back loses nothing the platform (or a newer platform) put there.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// An organization. The tree is in `org_path`: ancestor ids joined by `#`, root first, ending
/// with the organization's own id (docs/platform.md, "Organizations").
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Organization {
    /// The name to show: display name, else name, else the id.
    pub fn label(&self) -> &str {
        self.display_name
            .as_deref()
            .or(self.name.as_deref())
            .filter(|s| !s.trim().is_empty())
            .unwrap_or(&self.id)
    }

    /// Ancestor ids, root first, excluding the organization itself.
    pub fn ancestors(&self) -> Vec<&str> {
        let Some(path) = self.org_path.as_deref() else {
            return Vec::new();
        };
        path.split('#')
            .filter(|s| !s.is_empty() && *s != self.id)
            .collect()
    }

    /// A string field of `extra`, such as `country` or `timezone` when the platform has it.
    pub fn extra_str(&self, key: &str) -> Option<&str> {
        self.extra.get(key).and_then(Value::as_str)
    }
}

/// An integration of an organization; `type == "twilio"` is the SMS connector (docs/platform.md, "Services").
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Service {
    /// A service counts as active unless the platform marks it disabled or inactive; the
    /// real flag's name is unknown (docs/sandbox.md), so both plausible spellings are honoured.
    pub fn is_active(&self) -> bool {
        self.enabled != Some(false)
            && !matches!(
                self.status.as_deref(),
                Some("inactive" | "disabled" | "deleted")
            )
    }
}

/// A contact's profile. `telephone` is an E.164 string when the tool wrote it; older data may
/// hold national spellings.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telephone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Profile {
    /// "Given Family", or `name`, or nothing.
    pub fn full_name(&self) -> Option<String> {
        let parts: Vec<&str> = [self.given_name.as_deref(), self.family_name.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if parts.is_empty() {
            self.name.clone().filter(|n| !n.trim().is_empty())
        } else {
            Some(parts.join(" "))
        }
    }
}

/// A reference field: an id, or the document itself when the request asked to `populate` it
/// (docs/platform.md, "List queries").
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Ref<T> {
    Id(String),
    Doc(Box<T>),
}

impl Ref<Conversation> {
    pub fn id(&self) -> &str {
        match self {
            Ref::Id(id) => id,
            Ref::Doc(doc) => &doc.id,
        }
    }

    /// The populated document, if the platform sent it.
    pub fn doc(&self) -> Option<&Conversation> {
        match self {
            Ref::Id(_) => None,
            Ref::Doc(doc) => Some(doc),
        }
    }
}

/// A contact as the platform stores it, linked to exactly one conversation
/// (docs/platform.md, "Contacts"). The tool's own contact, a number with names and columns to
/// invite, is `invite::contact::Contact`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PlatformContact {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// The conversation id, or the conversation itself with `populate=conversation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<Ref<Conversation>>,
    #[serde(default)]
    pub profile: Profile,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A participant of a conversation (docs/platform.md, "Conversations and participants").
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    #[serde(default)]
    pub active: bool,
    #[serde(default)]
    pub accepted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbox: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Participant {
    /// A person (not a bot) who has the conversation accepted right now.
    pub fn is_human_holding(&self) -> bool {
        self.active && self.accepted && !matches!(self.role.as_deref(), Some("bot" | "contact"))
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_path: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    #[serde(default)]
    pub participants: Vec<Participant>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Conversation {
    /// The people (not bots) who hold the conversation accepted right now.
    pub fn holders(&self) -> Vec<&Participant> {
        self.participants
            .iter()
            .filter(|p| p.is_human_holding())
            .collect()
    }
}

/// A button on a message (docs/platform.md, "Messages").
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    #[serde(default)]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default)]
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub touchpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_backchannel: Option<bool>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub meta: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<Action>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The answer of `POST /v2/auth/token` (login and refresh, docs/platform.md "Signing in with a password", "Renewing a token"). Its `Debug` is derived
/// from fields that hide the tokens.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    #[serde(deserialize_with = "de_secret")]
    pub token: super::Secret,
    #[serde(default, deserialize_with = "de_opt_secret")]
    pub refresh_token: Option<super::Secret>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub organization: Option<String>,
    #[serde(default)]
    pub expires_at: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
}

fn de_secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<super::Secret, D::Error> {
    String::deserialize(d).map(super::Secret::new)
}

fn de_opt_secret<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<super::Secret>, D::Error> {
    Ok(Option::<String>::deserialize(d)?
        .filter(|s| !s.trim().is_empty())
        .map(super::Secret::new))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_fields_survive_a_round_trip() {
        let raw = json!({
            "id": "c1", "organization": "o1", "conversation": "v1",
            "profile": {"telephone": "+31612345678", "address": {"Zip Code": "1234AB"}, "vip": true},
            "createdAt": "2021-10-10T14:04:20.660Z", "tags": ["a"]
        });
        let mut c: PlatformContact = serde_json::from_value(raw.clone()).unwrap();
        assert_eq!(c.profile.telephone.as_deref(), Some("+31612345678"));
        c.profile.given_name = Some("Jan".into());
        let back = serde_json::to_value(&c).unwrap();
        assert_eq!(back["profile"]["address"]["Zip Code"], "1234AB");
        assert_eq!(back["profile"]["vip"], true);
        assert_eq!(back["tags"], json!(["a"]));
        assert_eq!(back["createdAt"], raw["createdAt"]);
        assert_eq!(back["profile"]["givenName"], "Jan");
    }

    #[test]
    fn populated_conversation_or_plain_id() {
        let plain: PlatformContact =
            serde_json::from_value(json!({"id": "c", "conversation": "v1"})).unwrap();
        assert_eq!(plain.conversation.as_ref().unwrap().id(), "v1");
        assert!(plain.conversation.as_ref().unwrap().doc().is_none());
        let full: PlatformContact = serde_json::from_value(
            json!({"id": "c", "conversation": {"id": "v2", "participants": [{"user": "a", "role": "agent", "active": true, "accepted": true}]}}),
        )
        .unwrap();
        let conv = full.conversation.as_ref().unwrap();
        assert_eq!(conv.id(), "v2");
        assert_eq!(conv.doc().unwrap().holders().len(), 1);
    }

    #[test]
    fn holders_are_accepted_active_people() {
        let conv: Conversation = serde_json::from_value(json!({
        "id": "v", "participants": [
            {"user": "b", "role": "bot", "active": true, "accepted": true},
            {"user": "a", "role": "agent", "name": "Anna", "active": true, "accepted": true},
            {"user": "c", "role": "agent", "active": false, "accepted": true},
            {"user": "d", "role": "admin", "active": true, "accepted": false}
        ]}))
        .unwrap();
        let h = conv.holders();
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].name.as_deref(), Some("Anna"));
    }

    #[test]
    fn org_label_and_ancestors() {
        let o: Organization = serde_json::from_value(json!({
            "id": "c", "name": "child", "orgPath": "a#b#c"}))
        .unwrap();
        assert_eq!(o.label(), "child");
        assert_eq!(o.ancestors(), vec!["a", "b"]);
    }

    #[test]
    fn token_response_debug_hides_tokens() {
        let r: TokenResponse =
            serde_json::from_value(json!({"token": "tok-secret", "refreshToken": "ref-secret"}))
                .unwrap();
        let d = format!("{r:?}");
        assert!(!d.contains("tok-secret") && !d.contains("ref-secret"));
    }
}
