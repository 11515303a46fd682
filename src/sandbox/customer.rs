//! The customer's side of the sandbox: a handset that shows the SMS each number received and
//! can answer them, and a Conversational Landing Page that a link in those SMS opens.
//!
//! With these the demo is a whole story: the operator sends from the TUI, plays the customer in
//! a browser, and watches the row turn to "came back". Plain server-rendered HTML (maud escapes
//! every value), no script: the pages must be safe to open with names full of markup.

use axum::body::Bytes;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde_json::Value;

use super::server::Shared;
use super::store::{Store, now_ms};

/// Longest reply a form may carry; anything longer is refused before it is parsed.
const MAX_FORM: usize = 16 * 1024;

/// `/__sandbox/phone…` and `/__sandbox/clp…`; `None` for any other path.
pub fn handle(
    sh: &Shared,
    method: &Method,
    rest: &str,
    query: &str,
    body: &Bytes,
) -> Option<Response> {
    let rest = rest.trim_end_matches('/');
    let page = match (
        method.as_str(),
        rest.split('/').collect::<Vec<_>>().as_slice(),
    ) {
        ("GET", ["phone"]) => handset(sh, &form(query.as_bytes())),
        ("POST", ["phone", "reply"]) => reply_by_sms(sh, body),
        ("GET", ["clp", slug]) => landing(sh, slug, &form(query.as_bytes()), None),
        ("POST", ["clp", slug, "reply"]) => reply_on_page(sh, slug, body),
        _ => return None,
    };
    Some(page)
}

/// The form or query fields, last one wins.
fn form(bytes: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(bytes).into_owned().collect()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn lock(sh: &Shared) -> std::sync::MutexGuard<'_, Store> {
    let mut store = sh.store.lock().unwrap_or_else(|p| p.into_inner());
    store.advance(now_ms(), &sh.knobs().behaviour);
    store
}

/// An HTML page with the headers that keep it inert: no script, no framing, forms only back to
/// the sandbox.
fn page(status: StatusCode, title: &str, body: Markup) -> Response {
    let doc = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body { (body) }
        }
    };
    let mut r = (status, doc.into_string()).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn see_other(location: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

fn refused(status: StatusCode, title: &str, why: &str) -> Response {
    page(
        status,
        title,
        html! {
            main.narrow {
                h1 { (title) }
                p.error role="alert" { (why) }
                p.muted { "Nothing was written to the conversation." }
            }
        },
    )
}

// ---- the handset ---------------------------------------------------------------------------

/// Every number that was sent an SMS, newest first, with its messages oldest first: what the
/// phone would show. `?number=` narrows it to one.
fn handset(sh: &Shared, query: &[(String, String)]) -> Response {
    let only = field(query, "number");
    let store = lock(sh);
    let mut numbers: Vec<&str> = Vec::new();
    for d in store.deliveries.iter().rev() {
        let to = s(d, "to");
        if !to.is_empty() && !numbers.contains(&to) && (only.is_empty() || to == only) {
            numbers.push(to);
        }
    }
    let name_of = |to: &str| {
        store
            .contacts
            .iter()
            .find(|c| c.pointer("/profile/telephone").and_then(Value::as_str) == Some(to))
            .map(|c| {
                let p = &c["profile"];
                format!("{} {}", s(p, "givenName"), s(p, "familyName"))
                    .trim()
                    .to_string()
            })
            .unwrap_or_default()
    };
    let body = html! {
        header.bar {
            h1 { "Handset simulator" }
            p.muted { "The SMS each number received from the sandbox, as delivered. Links open the landing page as the customer would." }
            form method="get" action="/__sandbox/phone" {
                label for="number" { "Number" }
                input id="number" name="number" value=(only) placeholder="+31612345678";
                button type="submit" { "Show" }
                @if !only.is_empty() { " " a href="/__sandbox/phone" { "all numbers" } }
            }
        }
        @if numbers.is_empty() {
            p.muted { "No SMS yet. Send an invitation, then reload this page." }
        }
        @for to in &numbers {
            section.phone id=(format!("n{}", to.trim_start_matches('+'))) data-number=(to) {
                h2 { (to) @let n = name_of(to); @if !n.is_empty() { " " span.muted { "(" (n) ")" } } }
                @for d in store.deliveries.iter().filter(|d| s(d, "to") == *to) {
                    article.sms.failed[s(d, "status") != "delivered"] {
                        p.meta {
                            "from " (s(d, "from")) " · " (when(s(d, "deliveredAt")))
                            @if s(d, "status") != "delivered" { " · " strong { "not delivered: " (s(d, "reason")) } }
                        }
                        p.text { (linked_text(s(d, "text"))) }
                    }
                }
                form.reply method="post" action="/__sandbox/phone/reply" {
                    input type="hidden" name="number" value=(to);
                    label { "Reply by SMS" textarea name="text" rows="2" maxlength="2000" required {} }
                    button type="submit" { "Send SMS" }
                }
            }
        }
    };
    page(StatusCode::OK, "Handset simulator", body)
}

/// An SMS text with its web addresses as links (only http and https; anything else stays text).
fn linked_text(text: &str) -> Markup {
    html! {
        @for (i, line) in text.lines().enumerate() {
            @if i > 0 { br; }
            @for (j, word) in line.split(' ').enumerate() {
                @if j > 0 { " " }
                @if word.starts_with("https://") || word.starts_with("http://") {
                    a href=(word) { (word) }
                } @else {
                    (word)
                }
            }
        }
    }
}

/// The customer answers the last SMS their number received: a `touchpoint: "sms"` message in
/// that SMS's conversation.
fn reply_by_sms(sh: &Shared, body: &Bytes) -> Response {
    if body.len() > MAX_FORM {
        return refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Not sent",
            "the reply is too long",
        );
    }
    let fields = form(body);
    let number = field(&fields, "number");
    let mut store = lock(sh);
    let Some(conversation) = store
        .deliveries
        .iter()
        .rev()
        .find(|d| s(d, "to") == number)
        .map(|d| s(d, "conversation").to_string())
    else {
        return refused(
            StatusCode::NOT_FOUND,
            "Not sent",
            "this number has not received an SMS from the sandbox",
        );
    };
    match store.contact_writes(&conversation, "sms", field(&fields, "text")) {
        Ok(_) => see_other(&format!(
            "/__sandbox/phone?{}",
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("number", number)
                .finish()
        )),
        Err((status, why)) => refused(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            "Not sent",
            &why,
        ),
    }
}

// ---- the landing page ----------------------------------------------------------------------

/// The landing page a link opens: the conversation so far and a box to write in, for the
/// contact the link's `id` and `token` name. A link that does not check out shows why, and
/// offers nothing to write.
fn landing(sh: &Shared, slug: &str, query: &[(String, String)], notice: Option<&str>) -> Response {
    let (id, token) = (field(query, "id"), field(query, "token"));
    let store = lock(sh);
    let contact = match store.contact_for_link(id, token) {
        Ok(c) => c,
        Err(why) => return refused(StatusCode::FORBIDDEN, "This link does not work", why),
    };
    let conversation = s(contact, "conversation");
    let org = store
        .org(s(contact, "organization"))
        .map(|o| {
            let d = s(o, "displayName");
            if d.is_empty() { s(o, "name") } else { d }.to_string()
        })
        .unwrap_or_default();
    let given = contact
        .pointer("/profile/givenName")
        .and_then(Value::as_str)
        .unwrap_or("");
    let shown: Vec<&Value> = store
        .conversation_messages(conversation)
        .into_iter()
        .filter(|m| s(m, "type") != "command" && m["isBackchannel"] != Value::Bool(true))
        .collect();
    let body = html! {
        main.narrow {
            h1 { "Chat with " (org) }
            p.muted { @if given.is_empty() { "Welcome back." } @else { "Welcome back, " (given) "." } " You are in the same conversation as before." }
            @if let Some(n) = notice { p.notice role="status" { (n) } }
            ol.chat {
                @for m in &shown {
                    li class=(format!("msg {}", s(m, "role"))) data-role=(s(m, "role")) data-touchpoint=(s(m, "touchpoint")) {
                        span.who { (speaker(m, &org)) }
                        span.text { (s(m, "text")) }
                    }
                }
            }
            form.reply method="post" action=(format!("/__sandbox/clp/{}/reply", slug_path(slug))) {
                input type="hidden" name="id" value=(id);
                input type="hidden" name="token" value=(token);
                input type="hidden" name="ts" value=(field(query, "ts"));
                label { "Your message" textarea name="text" rows="3" maxlength="2000" required {} }
                button type="submit" { "Send" }
            }
        }
    };
    page(StatusCode::OK, &format!("Chat with {org}"), body)
}

fn speaker<'a>(m: &Value, org: &'a str) -> &'a str {
    match s(m, "role") {
        "contact" => "You",
        "system" => "Notice",
        _ => org,
    }
}

/// "2026-12-02 06:50:33 UTC" from the platform's ISO time.
fn when(iso: &str) -> String {
    iso.parse::<chrono::DateTime<chrono::Utc>>()
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|_| iso.to_string())
}

/// The slug as it may appear in a path: letters, digits, `-` and `_` only.
fn slug_path(slug: &str) -> String {
    slug.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect()
}

/// The contact writes on the landing page: checked again (the form can be replayed or edited),
/// then a `touchpoint: "web"` message, then back to the page.
fn reply_on_page(sh: &Shared, slug: &str, body: &Bytes) -> Response {
    if body.len() > MAX_FORM {
        return refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Not sent",
            "the message is too long",
        );
    }
    let fields = form(body);
    let (id, token) = (field(&fields, "id"), field(&fields, "token"));
    let written = {
        let mut store = lock(sh);
        let conversation = match store.contact_for_link(id, token) {
            Ok(c) => s(c, "conversation").to_string(),
            Err(why) => return refused(StatusCode::FORBIDDEN, "This link does not work", why),
        };
        store.contact_writes(&conversation, "web", field(&fields, "text"))
    };
    match written {
        Ok(_) => see_other(&format!(
            "/__sandbox/clp/{}?{}",
            slug_path(slug),
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("id", id)
                .append_pair("token", token)
                .append_pair("ts", field(&fields, "ts"))
                .finish()
        )),
        Err((_, why)) => landing(sh, slug, &fields, Some(&format!("Not sent: {why}"))),
    }
}

const STYLE: &str = "
:root { color-scheme: light dark; font-family: system-ui, sans-serif; }
body { margin: 0 auto; max-width: 46rem; padding: 1rem; line-height: 1.4; }
.muted { color: #5f6368; }
.bar form { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
.phone { border: 1px solid #c8ccd0; border-radius: 1rem; padding: .75rem 1rem; margin: 1rem 0; }
.sms { background: #e8f0fe; color: #111; border-radius: .75rem; padding: .5rem .75rem; margin: .5rem 0; }
.sms.failed { background: #fde8e8; }
.sms .meta { font-size: .8rem; margin: 0 0 .25rem; color: #444; }
.sms .text { margin: 0; overflow-wrap: anywhere; }
.reply { display: grid; gap: .5rem; margin-top: .75rem; }
.reply textarea { width: 100%; box-sizing: border-box; font: inherit; }
.reply button, .bar button { justify-self: start; padding: .4rem 1rem; font: inherit; }
.chat { list-style: none; padding: 0; }
.msg { margin: .5rem 0; padding: .5rem .75rem; border-radius: .75rem; background: #eef1f4; color: #111; overflow-wrap: anywhere; }
.msg.contact { background: #d7f5dd; margin-left: 3rem; }
.msg.system { background: #fff4ce; }
.who { display: block; font-size: .8rem; color: #444; }
.error { color: #b00020; font-weight: 600; }
.notice { color: #8a5300; }
";
