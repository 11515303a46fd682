//! One recipient of an invitation, as the engine and the journal keep it: a normalized number
//! plus the profile fields the template and the platform need.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::phone::PhoneNumber;
use super::verdict::Force;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    pub e164: String,
    /// The national spelling, because an organization may have stored the number that way.
    pub national: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, String>,
    /// Names one platform contact when several share the number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<String>,
    /// Where the contact came from (input line), for messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// A warning found while reading the number (e.g. a fixed line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    /// Skips the operator overrode for this contact, kept with it so a resumed run keeps the
    /// operator's decision.
    #[serde(default, skip_serializing_if = "Force::is_none")]
    pub force: Force,
}

impl Target {
    pub fn from_phone(phone: &PhoneNumber) -> Target {
        Target {
            e164: phone.e164.clone(),
            national: phone.national.clone(),
            region: phone.region.clone(),
            warning: phone.sms_warning(),
            ..Target::default()
        }
    }

    pub fn full_name(&self) -> Option<String> {
        let parts: Vec<&str> = [self.given_name.as_deref(), self.family_name.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }

    /// The name if known, else the number.
    pub fn label(&self) -> String {
        self.full_name().unwrap_or_else(|| self.e164.clone())
    }

    /// The stored spellings to look up: E.164 and the national form.
    pub fn spellings(&self) -> Vec<String> {
        let mut v = vec![self.e164.clone()];
        if !self.national.is_empty() && self.national != self.e164 {
            v.push(self.national.clone());
        }
        v
    }

    /// A template variable's value for this contact.
    pub fn variable(&self, name: &str, organization: &str) -> Option<String> {
        let v = match name {
            "givenName" => self.given_name.clone(),
            "familyName" => self.family_name.clone(),
            "name" => self.full_name(),
            "email" => self.email.clone(),
            "telephone" => Some(self.e164.clone()),
            "organization" => Some(organization.to_string()),
            "locale" => self.locale.clone(),
            other => self.extra.get(other).cloned(),
        };
        v.filter(|s| !s.trim().is_empty())
    }

    /// The profile sent when the platform creates the contact.
    pub fn profile(&self, default_locale: &str) -> Value {
        let mut p = Map::new();
        p.insert("telephone".into(), json!(self.e164));
        let mut put = |k: &str, v: &Option<String>| {
            if let Some(v) = v.as_ref().filter(|v| !v.trim().is_empty()) {
                p.insert(k.into(), json!(v));
            }
        };
        put("givenName", &self.given_name);
        put("familyName", &self.family_name);
        put("email", &self.email);
        let locale = self
            .locale
            .clone()
            .or_else(|| Some(default_locale.to_string()));
        put("locale", &locale);
        for (k, v) in &self.extra {
            if !p.contains_key(k) && !v.trim().is_empty() {
                p.insert(k.clone(), json!(v));
            }
        }
        Value::Object(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jan() -> Target {
        Target {
            e164: "+31612345678".into(),
            national: "0612345678".into(),
            given_name: Some("Jan".into()),
            family_name: Some("Jansen".into()),
            extra: [("plate".to_string(), "AB-12-CD".to_string())].into(),
            ..Target::default()
        }
    }

    #[test]
    fn variables_and_spellings() {
        let t = jan();
        assert_eq!(t.variable("name", "Acme").as_deref(), Some("Jan Jansen"));
        assert_eq!(t.variable("organization", "Acme").as_deref(), Some("Acme"));
        assert_eq!(t.variable("plate", "Acme").as_deref(), Some("AB-12-CD"));
        assert_eq!(t.variable("email", "Acme"), None);
        assert_eq!(t.spellings(), vec!["+31612345678", "0612345678"]);
    }

    #[test]
    fn profile_has_only_filled_fields_and_default_locale() {
        let p = jan().profile("nl");
        assert_eq!(p["telephone"], "+31612345678");
        assert_eq!(p["locale"], "nl");
        assert_eq!(p["plate"], "AB-12-CD");
        assert!(p.get("email").is_none());
    }
}
