//! One invitation on the wire, top to bottom: the message array, each message's `meta`, the
//! link the contact taps, and the body that creates a conversation for a contact the platform
//! does not know yet. docs/invitation.md ("The message array") says why each piece is there.
//! The template supplies the texts, delays and switches; only this file decides how they go
//! into JSON, so what the platform receives can be read in one place.

use serde_json::{Map, Value, json};

use super::template::{RenderedTemplate, Template};

impl Template {
    /// The message array for one invitation (docs/invitation.md, "The message array"), to be posted in one request so
    /// the platform keeps the order. Every message carries `invite_id` in `meta.inviteId` so an
    /// uncertain send can be reconciled later; `meta.SenderID` appears only on the two SMS and
    /// only when a SenderID is set.
    pub fn messages(&self, rendered: &RenderedTemplate, invite_id: &str, ts_ms: i64) -> Vec<Value> {
        let mut out = Vec::with_capacity(4);
        if self.send_accept {
            out.push(json!({
                "type": "command",
                "text": "/accept",
                "meta": self.meta(invite_id, false),
            }));
        }
        out.push(json!({
            "text": rendered.welcome_text,
            "role": "agent",
            "touchpoint": "sms",
            "delay": self.welcome_delay_ms,
            "meta": self.meta(invite_id, true),
        }));
        out.push(json!({
            "text": rendered.link_text,
            "role": "agent",
            "touchpoint": "sms",
            "delay": self.link_delay_ms,
            "actions": [{
                "type": "link",
                "text": rendered.link_label,
                "uri": self.link_uri(ts_ms),
            }],
            "meta": self.meta(invite_id, true),
        }));
        if self.send_leave {
            out.push(json!({
                "type": "command",
                "text": "/leave",
                "delay": self.leave_delay_ms,
                "meta": self.meta(invite_id, false),
            }));
        }
        out
    }

    /// The `meta` every message carries, so any one of them tells which invitation and which
    /// template it came from; `with_sender` adds the SenderID, which only the two SMS take.
    fn meta(&self, invite_id: &str, with_sender: bool) -> Value {
        let mut meta = Map::new();
        meta.insert("inviteId".to_owned(), json!(invite_id));
        // Lets another machine's run see which invitation this was (its cooldown).
        meta.insert("templateHash".to_owned(), json!(self.template_hash()));
        if with_sender && let Some(sender) = self.sender() {
            meta.insert("SenderID".to_owned(), json!(sender));
        }
        Value::Object(meta)
    }

    /// The link the contact taps: the CLP URL with its own query kept and the platform's
    /// parameters appended, before any fragment (a fragment must stay last or the browser
    /// would treat the parameters as part of it). Built textually, not through a URL parser,
    /// so the `{authuser}`/`{authtoken}` braces reach the platform unencoded.
    pub fn link_uri(&self, ts_ms: i64) -> String {
        self.link_uri_with(&ts_ms.to_string())
    }

    pub(super) fn link_uri_with(&self, ts: &str) -> String {
        let url = self.clp_url.trim();
        let (base, fragment) = match url.split_once('#') {
            Some((b, f)) => (b, Some(f)),
            None => (url, None),
        };
        let separator = if base.ends_with('?') || base.ends_with('&') {
            ""
        } else if base.contains('?') {
            "&"
        } else {
            "?"
        };
        let mut uri = format!("{base}{separator}id={{authuser}}&token={{authtoken}}&ts={ts}");
        if let Some(f) = fragment {
            uri.push('#');
            uri.push_str(f);
        }
        uri
    }
}

/// The body of `POST /v2/conversations` for a contact the platform does not know yet: the
/// contact's profile and the invitation's messages in one request, so the platform creates the
/// contact and its conversation and sends in order (or, finding the contact after all, adds the
/// messages to its conversation).
pub fn new_conversation(organization: &str, profile: Value, messages: &[Value]) -> Value {
    json!({
        "organization": organization,
        "type": "contact",
        "contact": {"profile": profile},
        "messages": messages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> Template {
        Template {
            clp_url: "https://clp.example.nl/chat".to_owned(),
            ..Template::default()
        }
    }

    fn rendered(t: &Template, pairs: &[(&str, &str)]) -> RenderedTemplate {
        let vars = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        };
        match t.render(&vars) {
            Ok(r) => r,
            Err(e) => panic!("render failed: {e}"),
        }
    }

    #[test]
    fn message_array_matches_the_design() {
        let t = valid();
        let r = rendered(&t, &[("givenName", "Jan"), ("organization", "Acme")]);
        let m = t.messages(&r, "inv-1", 1234);
        let meta = json!({"inviteId": "inv-1", "templateHash": t.template_hash()});
        let expected = json!([
            {"type": "command", "text": "/accept", "meta": meta},
            {"text": r.welcome_text, "role": "agent", "touchpoint": "sms", "delay": 1000,
             "meta": meta},
            {"text": "Please click on the link to plan your meeting with us:", "role": "agent",
             "touchpoint": "sms", "delay": 10000,
             "actions": [{"type": "link", "text": "link:",
                          "uri": "https://clp.example.nl/chat?id={authuser}&token={authtoken}&ts=1234"}],
             "meta": meta},
            {"type": "command", "text": "/leave", "delay": 11000, "meta": meta},
        ]);
        assert_eq!(Value::Array(m), expected);
    }

    #[test]
    fn sender_id_goes_on_the_sms_messages_only() {
        let t = Template {
            sender_id: "ACME".into(),
            ..valid()
        };
        let r = rendered(&t, &[("organization", "Acme")]);
        let m = t.messages(&r, "inv", 1);
        let senders: Vec<Option<&str>> = m.iter().map(|v| v["meta"]["SenderID"].as_str()).collect();
        assert_eq!(senders, vec![None, Some("ACME"), Some("ACME"), None]);
        assert!(m.iter().all(|v| v["meta"]["inviteId"] == "inv"));
    }

    #[test]
    fn accept_and_leave_are_optional() {
        let t = Template {
            send_accept: false,
            send_leave: false,
            ..valid()
        };
        let r = rendered(&t, &[("organization", "Acme")]);
        let m = t.messages(&r, "inv", 1);
        assert_eq!(m.len(), 2);
        assert!(m.iter().all(|v| v["type"].is_null()));
        assert!(m.iter().all(|v| v["meta"].get("SenderID").is_none()));
    }

    #[test]
    fn link_uri_appends_platform_params() {
        let with = |url: &str| {
            Template {
                clp_url: url.into(),
                ..valid()
            }
            .link_uri(42)
        };
        let p = "id={authuser}&token={authtoken}&ts=42";
        assert_eq!(with("https://x.nl/chat"), format!("https://x.nl/chat?{p}"));
        assert_eq!(
            with(" https://x.nl/chat?lang=nl "),
            format!("https://x.nl/chat?lang=nl&{p}")
        );
        assert_eq!(with("https://x.nl/?"), format!("https://x.nl/?{p}"));
        assert_eq!(with("https://x.nl/?a=1&"), format!("https://x.nl/?a=1&{p}"));
        assert_eq!(
            with("https://x.nl/chat#start"),
            format!("https://x.nl/chat?{p}#start")
        );
        assert_eq!(
            with("https://x.nl/c?a=1#s?x"),
            format!("https://x.nl/c?a=1&{p}#s?x")
        );
    }

    #[test]
    fn a_new_contact_gets_its_profile_and_the_messages_in_one_body() {
        let messages = vec![json!({"type": "command", "text": "/accept"})];
        let body = new_conversation("org-1", json!({"telephone": "+31612345678"}), &messages);
        assert_eq!(
            body,
            json!({
                "organization": "org-1",
                "type": "contact",
                "contact": {"profile": {"telephone": "+31612345678"}},
                "messages": [{"type": "command", "text": "/accept"}],
            })
        );
    }
}
