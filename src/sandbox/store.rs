//! The sandbox's in-memory data and the platform behaviour on it: conversations created or
//! upserted, messages stored in order and processed at their `delay`, participants accepting
//! and leaving, and SMS delivered to contacts (docs/platform.md, "Conversations and participants", "Messages", "Landing-page placeholders").
//!
//! Documents are kept as JSON objects, so filters work on any field, as on the platform.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

use chrono::{TimeZone, Utc};
use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// A failed operation: status and the `error.message` to answer with.
pub type Fail = (u16, String);

/// The caller, from the verified token.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user: String,
    pub organization: String,
    pub scopes: Vec<String>,
}

impl Caller {
    pub fn has_any(&self, scopes: &[&str]) -> bool {
        self.scopes.iter().any(|s| scopes.contains(&s.as_str()))
    }
}

/// Behaviour switches for the platform's unknowns (docs/sandbox.md).
#[derive(Clone, Debug)]
pub struct Behaviour {
    /// Creating a conversation for an existing contact fails (older docs) instead of upserting.
    pub legacy_create: bool,
    /// A `twilio` service of an ancestor organization enables SMS for its descendants.
    pub inherit_services: bool,
    /// Multiplies every message `delay` (1.0 = real time; tests use less).
    pub delay_scale: f64,
    /// A failed SMS also writes a `type: "status"` message into its conversation. How the real
    /// platform words (or whether it writes) one is unknown; the wording is the sandbox's own.
    pub status_messages: bool,
    /// The share of SMS the carrier rejects (0 to 1), picked by the message id so a run is
    /// repeatable.
    pub sms_failure_rate: f64,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            legacy_create: false,
            inherit_services: true,
            delay_scale: 1.0,
            status_messages: true,
            sms_failure_rate: 0.0,
        }
    }
}

#[derive(Default)]
pub struct Store {
    pub orgs: Vec<Value>,
    pub services: Vec<Value>,
    pub users: Vec<Value>,
    pub contacts: Vec<Value>,
    pub conversations: Vec<Value>,
    pub messages: Vec<Value>,
    pub deliveries: Vec<Value>,
    /// Messages waiting for their delay: (due ms, sequence, message index).
    pending: BinaryHeap<Reverse<(i64, u64, usize)>>,
    /// Contacts that have received an SMS, so the platform can fill `{authuser}`/`{authtoken}`.
    linked: HashSet<String>,
    index: HashMap<String, usize>,
    counter: u64,
    secret: Vec<u8>,
}

/// An index key for a contact's telephone or e-mail within an organization; none for an
/// empty or missing value.
fn identity_key(kind: &str, org: &str, v: Option<&Value>) -> Option<String> {
    let v = v?.as_str().filter(|v| !v.is_empty())?;
    Some(format!("{kind}:{org}:{v}"))
}

pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

pub fn iso(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

impl Store {
    pub fn new(secret: &[u8]) -> Store {
        Store {
            secret: secret.to_vec(),
            ..Store::default()
        }
    }

    /// A new 24-hex id, like the platform's Mongo ObjectIds.
    pub fn new_id(&mut self) -> String {
        self.counter += 1;
        format!(
            "{:08x}{:016x}",
            Utc::now().timestamp() as u32,
            0x5a00_0000_0000_0000u64 + self.counter
        )
    }

    /// Builds the indexes again from the documents: after seeding, and after anything that
    /// changed documents directly (a test's `with_store`, a contact's patch).
    pub fn reindex(&mut self) {
        self.index.clear();
        for (i, c) in self.conversations.iter().enumerate() {
            self.index.insert(format!("conv:{}", s(c, "id")), i);
        }
        for i in 0..self.contacts.len() {
            self.index_contact(i);
        }
    }

    /// Indexes a contact by id, and by telephone and e-mail within its organization; for a
    /// number several contacts share, the first one keeps it (the one a create finds, as a
    /// scan in order would).
    fn index_contact(&mut self, i: usize) {
        let c = &self.contacts[i];
        let keys = [
            Some(format!("contact:{}", s(c, "id"))),
            identity_key("tel", s(c, "organization"), c.pointer("/profile/telephone")),
            identity_key("email", s(c, "organization"), c.pointer("/profile/email")),
        ];
        for key in keys.into_iter().flatten() {
            self.index.entry(key).or_insert(i);
        }
    }

    /// The first contact of `org` with this telephone or e-mail: the one a conversation
    /// created for that person joins. Through the index (a store of 100,000 contacts would be
    /// scanned per request otherwise), each hit checked against the document.
    fn same_person(&self, org: &str, tel: Option<&str>, email: Option<&str>) -> Option<usize> {
        let hit = |kind: &str, field: &str, v: Option<&str>| {
            let key = identity_key(kind, org, v.map(Value::from).as_ref())?;
            let i = *self.index.get(&key)?;
            let c = self.contacts.get(i)?;
            (s(c, "organization") == org && c.pointer(field).and_then(Value::as_str) == v)
                .then_some(i)
        };
        [
            hit("tel", "/profile/telephone", tel),
            hit("email", "/profile/email", email),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn conv_idx(&self, id: &str) -> Option<usize> {
        self.index.get(&format!("conv:{id}")).copied()
    }

    /// A conversation by id, through the index.
    pub fn conversation(&self, id: &str) -> Option<&Value> {
        self.conv_idx(id).and_then(|i| self.conversations.get(i))
    }

    fn contact_idx(&self, id: &str) -> Option<usize> {
        self.index.get(&format!("contact:{id}")).copied()
    }

    pub fn org(&self, id: &str) -> Option<&Value> {
        self.orgs.iter().find(|o| s(o, "id") == id)
    }

    pub fn org_path(&self, id: &str) -> String {
        self.org(id)
            .map(|o| s(o, "orgPath").to_string())
            .unwrap_or_else(|| id.to_string())
    }

    /// Whether a document with this `orgPath` is in the caller's organization subtree.
    pub fn visible(&self, caller: &Caller, org_path: &str) -> bool {
        org_path.split('#').any(|p| p == caller.organization)
    }

    pub fn user(&self, id: &str) -> Option<&Value> {
        self.users.iter().find(|u| s(u, "id") == id)
    }

    /// A user as the API shows it (no password).
    pub fn public_user(u: &Value) -> Value {
        let mut u = u.clone();
        if let Some(m) = u.as_object_mut() {
            m.remove("password");
        }
        u
    }

    /// Organizations whose active `twilio` service makes SMS work for `org`, nearest first.
    pub fn sms_services(&self, org: &str, inherit: bool) -> Vec<&Value> {
        let path = self.org_path(org);
        let mut chain: Vec<&str> = path.split('#').filter(|p| !p.is_empty()).collect();
        chain.reverse();
        if !inherit {
            chain.truncate(1);
        }
        chain
            .iter()
            .flat_map(|o| {
                self.services.iter().filter(move |sv| {
                    s(sv, "organization") == *o
                        && s(sv, "type") == "twilio"
                        && sv.get("enabled") != Some(&Value::Bool(false))
                })
            })
            .collect()
    }

    // ---- conversations and messages -----------------------------------------------------

    /// `POST /v2/conversations` for a contact conversation: 201 new, 200 upsert (or 409 in
    /// legacy mode).
    pub fn create_conversation(
        &mut self,
        caller: &Caller,
        body: Value,
        b: &Behaviour,
    ) -> Result<(u16, Value), Fail> {
        let Value::Object(body) = body else {
            return Err((400, "body must be a JSON object".into()));
        };
        let kind = body
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("bot")
            .to_string();
        let org = match body.get("organization") {
            Some(Value::String(o)) => o.clone(),
            None if kind != "contact" => caller.organization.clone(),
            _ => return Err((400, "organization is required".into())),
        };
        let Some(org_doc) = self.org(&org) else {
            return Err((404, "Organization not found".into()));
        };
        let org_path = s(org_doc, "orgPath").to_string();
        if !self.visible(caller, &org_path) {
            return Err((403, "Permission denied".into()));
        }
        let messages = match body.get("messages") {
            Some(Value::Array(m)) => m.clone(),
            None => Vec::new(),
            Some(_) => return Err((400, "messages must be an array".into())),
        };
        validate_messages(&messages)?;
        if kind != "contact" {
            let conv = self.insert_conversation(&org, &org_path, &kind, None, &body);
            self.append_messages(caller, conv, messages, b);
            return Ok((201, self.conversations[conv].clone()));
        }
        if messages.is_empty() {
            return Err((
                400,
                "a contact conversation needs at least one message".into(),
            ));
        }
        let profile = body
            .get("contact")
            .and_then(|c| c.get("profile"))
            .cloned()
            .unwrap_or(Value::Null);
        let tel = profile
            .get("telephone")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty());
        let email = profile
            .get("email")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty());
        if tel.is_none() && email.is_none() {
            return Err((
                400,
                "contact.profile.telephone or contact.profile.email is required".into(),
            ));
        }
        let existing = self.same_person(&org, tel, email);
        if let Some(ci) = existing {
            if b.legacy_create {
                return Err((409, "Contact already exists".into()));
            }
            let conv_id = s(&self.contacts[ci], "conversation").to_string();
            let Some(conv) = self.conv_idx(&conv_id) else {
                return Err((500, "contact has no conversation".into()));
            };
            self.append_messages(caller, conv, messages, b);
            return Ok((200, self.conversations[conv].clone()));
        }
        let contact_id = self.new_id();
        let conv = self.insert_conversation(&org, &org_path, "contact", Some(&contact_id), &body);
        let conv_id = s(&self.conversations[conv], "id").to_string();
        let now = iso(now_ms());
        self.contacts.push(json!({
            "id": contact_id, "organization": org, "orgPath": org_path, "conversation": conv_id,
            "profile": if profile.is_object() { profile } else { json!({}) },
            "createdAt": now, "updatedAt": now,
        }));
        self.index_contact(self.contacts.len() - 1);
        self.append_messages(caller, conv, messages, b);
        Ok((201, self.conversations[conv].clone()))
    }

    fn insert_conversation(
        &mut self,
        org: &str,
        org_path: &str,
        kind: &str,
        contact: Option<&str>,
        body: &Map<String, Value>,
    ) -> usize {
        let id = self.new_id();
        let now = iso(now_ms());
        let mut conv = json!({
            "id": id, "organization": org, "orgPath": org_path, "type": kind, "status": "queued",
            "participants": [], "messages": [], "meta": body.get("meta").cloned().unwrap_or(json!({})),
            "createdAt": now, "updatedAt": now,
        });
        if let Some(c) = contact {
            conv["contact"] = json!(c);
        }
        for key in ["name", "tags", "touchpoint"] {
            if let Some(v) = body.get(key) {
                conv[key] = v.clone();
            }
        }
        self.conversations.push(conv);
        let i = self.conversations.len() - 1;
        self.index.insert(format!("conv:{id}"), i);
        i
    }

    /// `POST /v2/conversations/{id}/messages` with one message or an array.
    pub fn post_messages(
        &mut self,
        caller: &Caller,
        conv_id: &str,
        body: Value,
        b: &Behaviour,
    ) -> Result<Value, Fail> {
        let Some(conv) = self.conv_idx(conv_id) else {
            return Err((404, "Conversation not found".into()));
        };
        if !self.visible(caller, s(&self.conversations[conv], "orgPath")) {
            return Err((403, "Permission denied".into()));
        }
        let (list, single) = match body {
            Value::Array(items) => (items, false),
            obj @ Value::Object(_) => (vec![obj], true),
            _ => {
                return Err((
                    400,
                    "body must be a message object or an array of messages".into(),
                ));
            }
        };
        if list.is_empty() {
            return Err((400, "no messages given".into()));
        }
        validate_messages(&list)?;
        let created = self.append_messages(caller, conv, list, b);
        Ok(if single {
            created.into_iter().next().unwrap_or(Value::Null)
        } else {
            Value::Array(created)
        })
    }

    /// Stores messages in order and queues them for processing at their delay.
    fn append_messages(
        &mut self,
        caller: &Caller,
        conv: usize,
        list: Vec<Value>,
        b: &Behaviour,
    ) -> Vec<Value> {
        let now = now_ms();
        let (conv_id, org, org_path) = {
            let c = &self.conversations[conv];
            (
                s(c, "id").to_string(),
                s(c, "organization").to_string(),
                s(c, "orgPath").to_string(),
            )
        };
        let mut created = Vec::new();
        for input in list {
            let Value::Object(mut m) = input else {
                continue;
            };
            let id = self.new_id();
            let delay = m
                .get("delay")
                .and_then(Value::as_f64)
                .unwrap_or(0.0)
                .max(0.0);
            let due = now + (delay * b.delay_scale) as i64;
            m.insert("id".into(), json!(id));
            m.insert("conversation".into(), json!(conv_id));
            m.insert("organization".into(), json!(org));
            m.insert("orgPath".into(), json!(org_path));
            m.entry("type").or_insert(json!("chat"));
            m.entry("role").or_insert(json!("bot"));
            m.entry("isBackchannel").or_insert(json!(false));
            m.entry("meta").or_insert(json!({}));
            m.entry("user").or_insert(json!(caller.user));
            m.insert("createdAt".into(), json!(iso(now)));
            m.insert("updatedAt".into(), json!(iso(now)));
            if delay > 0.0 {
                m.insert("scheduledAt".into(), json!(iso(due)));
            }
            let msg = Value::Object(m);
            created.push(msg.clone());
            self.messages.push(msg);
            self.counter += 1;
            self.pending
                .push(Reverse((due, self.counter, self.messages.len() - 1)));
            if let Some(Value::Array(ids)) = self.conversations[conv].get_mut("messages") {
                ids.push(json!(id));
            }
        }
        self.conversations[conv]["updatedAt"] = json!(iso(now));
        created
    }

    /// Processes every queued message due by `now`, in (due time, arrival) order.
    pub fn advance(&mut self, now: i64, b: &Behaviour) {
        while let Some(Reverse((due, _, idx))) = self.pending.peek().copied() {
            if due > now {
                break;
            }
            self.pending.pop();
            self.process(idx, due, b);
        }
    }

    fn process(&mut self, idx: usize, due: i64, b: &Behaviour) {
        let msg = self.messages[idx].clone();
        let Some(conv) = self.conv_idx(s(&msg, "conversation")) else {
            return;
        };
        let user = s(&msg, "user").to_string();
        let backchannel = msg
            .get("isBackchannel")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if s(&msg, "type") == "command" {
            match s(&msg, "text").split_whitespace().next().unwrap_or("") {
                "/accept" => self.set_participant(conv, &user, true, true),
                "/join" => self.set_participant(conv, &user, true, false),
                "/leave" => self.set_participant(conv, &user, false, false),
                _ => {}
            }
            return;
        }
        if s(&msg, "role") == "agent" && !backchannel {
            let holds = self.conversations[conv]["participants"]
                .as_array()
                .is_some_and(|ps| {
                    ps.iter().any(|p| {
                        s(p, "user") == user
                            && p["active"] == json!(true)
                            && p["accepted"] == json!(true)
                    })
                });
            if !holds {
                self.set_participant(conv, &user, true, true);
            }
            if s(&msg, "touchpoint") == "sms" {
                self.deliver(conv, &msg, due, b);
            }
        }
    }

    fn set_participant(&mut self, conv: usize, user: &str, active: bool, accepted: bool) {
        let (name, role, org) = match self.user(user) {
            Some(u) => (
                s(u, "name").to_string(),
                s(u, "role").to_string(),
                s(u, "organization").to_string(),
            ),
            None => (String::new(), "bot".to_string(), String::new()),
        };
        let c = &mut self.conversations[conv];
        let mut parts = c["participants"].as_array().cloned().unwrap_or_default();
        match parts.iter_mut().find(|p| s(p, "user") == user) {
            Some(p) => {
                p["active"] = json!(active);
                p["accepted"] = json!(accepted);
            }
            None => parts.push(
                json!({"user": user, "name": name, "role": role, "organization": org,
                                      "active": active, "accepted": accepted, "inbox": false}),
            ),
        }
        let anyone = parts
            .iter()
            .any(|p| p["active"] == json!(true) && p["accepted"] == json!(true));
        c["participants"] = Value::Array(parts);
        if accepted {
            c["status"] = json!("active");
        } else if !anyone && !active {
            c["status"] = json!("closed");
        }
        c["updatedAt"] = json!(iso(now_ms()));
    }

    /// Sends a contact-facing SMS: renders the link actions into the text and fills the
    /// platform placeholders, which only works once the contact has an SMS link (docs/platform.md, "Landing-page placeholders").
    fn deliver(&mut self, conv: usize, msg: &Value, due: i64, b: &Behaviour) {
        let c = &self.conversations[conv];
        let org = s(c, "organization").to_string();
        let contact = c
            .get("contact")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let to = self
            .contact_idx(&contact)
            .and_then(|i| self.contacts[i].pointer("/profile/telephone"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let sender_id = msg
            .pointer("/meta/SenderID")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        let service = self
            .sms_services(&org, b.inherit_services)
            .first()
            .map(|sv| (*sv).clone());
        let mut text = s(msg, "text").to_string();
        for a in msg
            .get("actions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let target = a
                .get("uri")
                .or_else(|| a.get("payload"))
                .and_then(Value::as_str)
                .unwrap_or("");
            if !target.is_empty() {
                text.push('\n');
                let label = s(a, "text");
                if !label.is_empty() {
                    text.push_str(label);
                    text.push(' ');
                }
                text.push_str(target);
            }
        }
        let has_placeholders = text.contains("{authuser}") || text.contains("{authtoken}");
        let linked = self.linked.contains(&contact);
        let (placeholders, warning) = match (has_placeholders, linked) {
            (false, _) => ("none", None),
            (true, true) => {
                text = text
                    .replace("{authuser}", &contact)
                    .replace("{authtoken}", &self.auth_token(&contact));
                ("filled", None)
            }
            (true, false) => (
                "unfilled",
                Some(
                    "the link arrived before the contact's first SMS, so {authuser}/{authtoken} were left unfilled",
                ),
            ),
        };
        let (status, reason) = if to.is_empty() {
            ("failed", Some("the contact has no telephone".to_string()))
        } else if service.is_none() {
            (
                "failed",
                Some("the organization has no active twilio (SMS) service".to_string()),
            )
        } else if !looks_like_e164(&to) {
            ("failed", Some(format!("{to} is not a valid mobile number")))
        } else if carrier_rejects(s(msg, "id"), b.sms_failure_rate) {
            (
                "failed",
                Some("the carrier rejected the message (sandbox fault)".to_string()),
            )
        } else {
            ("delivered", None)
        };
        let from = sender_id.clone().unwrap_or_else(|| {
            service
                .as_ref()
                .and_then(|sv| sv.pointer("/params/from"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        });
        let id = self.new_id();
        self.deliveries.push(json!({
            "id": id, "seq": self.deliveries.len() + 1, "status": status, "reason": reason,
            "messageId": s(msg, "id"), "conversation": s(msg, "conversation"), "organization": org,
            "contact": contact, "to": to, "from": from, "senderId": sender_id,
            "oneWay": sender_id.is_some(), "text": text, "placeholders": placeholders, "warning": warning,
            "inviteId": msg.pointer("/meta/inviteId").cloned().unwrap_or(Value::Null),
            "scheduledAt": iso(due), "deliveredAt": iso(due),
        }));
        if status == "delivered" && !contact.is_empty() {
            self.linked.insert(contact);
        } else if b.status_messages {
            let text = format!(
                "SMS to {} could not be delivered: {}",
                if to.is_empty() { "the contact" } else { &to },
                reason.as_deref().unwrap_or("unknown reason")
            );
            let meta = json!({"delivery": id, "message": s(msg, "id")});
            self.insert_message(conv, "status", "system", "system", "sms", &text, meta, due);
        }
    }

    /// A message the platform or the contact writes (not an API caller): stored as processed,
    /// at `at`, with nothing queued.
    #[allow(clippy::too_many_arguments)]
    fn insert_message(
        &mut self,
        conv: usize,
        kind: &str,
        role: &str,
        user: &str,
        touchpoint: &str,
        text: &str,
        meta: Value,
        at: i64,
    ) -> Value {
        let id = self.new_id();
        let c = &self.conversations[conv];
        let msg = json!({
            "id": id, "conversation": s(c, "id"), "organization": s(c, "organization"),
            "orgPath": s(c, "orgPath"), "type": kind, "role": role, "user": user,
            "touchpoint": touchpoint, "text": text, "isBackchannel": false, "meta": meta,
            "createdAt": iso(at), "updatedAt": iso(at),
        });
        self.messages.push(msg.clone());
        if let Some(Value::Array(ids)) = self.conversations[conv].get_mut("messages") {
            ids.push(json!(id));
        }
        self.conversations[conv]["updatedAt"] = json!(iso(at));
        msg
    }

    /// The contact writes into its conversation: through the landing page (`web`) or by
    /// answering the SMS (`sms`).
    pub fn contact_writes(
        &mut self,
        conversation: &str,
        touchpoint: &str,
        text: &str,
    ) -> Result<Value, Fail> {
        let text = text.trim();
        if text.is_empty() {
            return Err((400, "the message is empty".into()));
        }
        if text.chars().count() > 2000 {
            return Err((400, "the message is longer than 2,000 characters".into()));
        }
        let Some(conv) = self.conv_idx(conversation) else {
            return Err((404, "Conversation not found".into()));
        };
        let contact = s(&self.conversations[conv], "contact").to_string();
        Ok(self.insert_message(
            conv,
            "chat",
            "contact",
            &contact,
            touchpoint,
            text,
            json!({}),
            now_ms(),
        ))
    }

    /// The contact behind a landing-page link: its id and the `{authtoken}` the delivery put
    /// next to it must match.
    pub fn contact_for_link(&self, id: &str, token: &str) -> Result<&Value, &'static str> {
        if id.is_empty() || token.is_empty() {
            return Err("the link is missing its id or token");
        }
        if id.contains('{') || token.contains('{') {
            return Err(
                "the link was sent before the contact's first SMS, so its sign-in values were never filled in",
            );
        }
        let Some(i) = self.contact_idx(id) else {
            return Err("no contact has this id");
        };
        if !self.token_matches(id, token) {
            return Err("the token does not belong to this contact");
        }
        Ok(&self.contacts[i])
    }

    /// A conversation's messages in order, for the pages that show it.
    pub fn conversation_messages(&self, conversation: &str) -> Vec<&Value> {
        self.messages
            .iter()
            .filter(|m| s(m, "conversation") == conversation)
            .collect()
    }

    /// A stable fake `{authtoken}` per contact.
    fn auth_token(&self, contact: &str) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.secret) else {
            return String::new();
        };
        mac.update(contact.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

    /// Whether `token` is the contact's `{authtoken}`, compared in constant time.
    fn token_matches(&self, contact: &str, token: &str) -> bool {
        let (Ok(given), Ok(mut mac)) = (
            hex::decode(token),
            Hmac::<Sha256>::new_from_slice(&self.secret),
        ) else {
            return false;
        };
        mac.update(contact.as_bytes());
        given.len() == 16 && mac.verify_truncated_left(&given).is_ok()
    }

    /// Marks seeded contacts that already had SMS as linked.
    pub fn link(&mut self, contact: &str) {
        self.linked.insert(contact.to_string());
    }
}

/// `+` and 8 to 15 digits: what a carrier would take at all.
fn looks_like_e164(to: &str) -> bool {
    to.strip_prefix('+').is_some_and(|d| {
        (8..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0')
    })
}

/// Whether the carrier rejects the SMS of message `id`, at `rate`: the same answer every time
/// for one message.
fn carrier_rejects(id: &str, rate: f64) -> bool {
    if rate <= 0.0 {
        return false;
    }
    let digest = Sha256::digest(id.as_bytes());
    let draw = f64::from(u32::from_be_bytes([
        digest[0], digest[1], digest[2], digest[3],
    ])) / f64::from(u32::MAX);
    draw < rate
}

fn validate_messages(list: &[Value]) -> Result<(), Fail> {
    for (i, m) in list.iter().enumerate() {
        let Some(obj) = m.as_object() else {
            return Err((400, format!("message {i} must be an object")));
        };
        match obj.get("text") {
            Some(Value::String(t)) if !t.is_empty() => {}
            _ => return Err((400, format!("message {i}: text is required"))),
        }
        if let Some(d) = obj.get("delay")
            && !d.as_f64().is_some_and(|d| d >= 0.0)
        {
            return Err((
                400,
                format!("message {i}: delay must be a number of milliseconds"),
            ));
        }
    }
    Ok(())
}
