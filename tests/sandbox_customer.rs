//! The customer's side of the sandbox over raw HTTP: the handset page lists what each number
//! received, the landing page checks the link's id and token before it shows or writes
//! anything, replies land in the conversation as the contact (`web` or `sms`), and a failed
//! SMS leaves a `type: "status"` message unless switched off. Pages escape every value.

use serde_json::{Value, json};
use sms_invite::sandbox::{Sandbox, SandboxConfig};

const HOLDING: &str = "5f0000000000000000000010";
const NO_SMS: &str = "5f0000000000000000000030";

fn config() -> SandboxConfig {
    let mut c = SandboxConfig::default();
    c.knobs.behaviour.delay_scale = 0.0;
    c.knobs.rate_limit = 0;
    c
}

struct Customer {
    sandbox: Sandbox,
    http: reqwest::Client,
    token: String,
}

impl Customer {
    async fn start(c: SandboxConfig) -> Customer {
        let sandbox = Sandbox::start(c).await.expect("sandbox");
        let token = sandbox.bot_login().token;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http");
        Customer {
            sandbox,
            http,
            token,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.base_url())
    }

    /// An invitation as the tool sends it: welcome SMS, then the link SMS with the platform's
    /// placeholders. Returns the conversation id.
    async fn invite(&self, org: &str, phone: &str, given: &str) -> String {
        let link = format!(
            "{}/__sandbox/clp/acme?id={{authuser}}&token={{authtoken}}&ts=1",
            self.sandbox.base_url()
        );
        let body = json!({
            "organization": org, "type": "contact",
            "contact": {"profile": {"telephone": phone, "givenName": given}},
            "messages": [
                {"role": "agent", "touchpoint": "sms", "text": format!("Hi {given}"), "meta": {"inviteId": "i1"}},
                {"role": "agent", "touchpoint": "sms", "text": "Your link:", "meta": {"inviteId": "i1"},
                 "actions": [{"type": "link", "text": "open", "uri": link}]},
            ],
        });
        let r: Value = self
            .http
            .post(self.url("/v2/conversations"))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("create")
            .json()
            .await
            .expect("json");
        r["id"].as_str().expect("conversation id").to_string()
    }

    async fn page(&self, path: &str) -> (u16, String, reqwest::header::HeaderMap) {
        let r = self.http.get(self.url(path)).send().await.expect("page");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        (status, r.text().await.expect("text"), headers)
    }

    async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let r = self
            .http
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(fields)
                    .finish(),
            )
            .send()
            .await
            .expect("post");
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = r.text().await.unwrap_or_default();
        (status, if status == 303 { location } else { text })
    }

    /// The conversation's messages as the API lists them.
    async fn messages(&self, conversation: &str) -> Vec<Value> {
        let r: Value = self
            .http
            .get(self.url(&format!(
                "/v2/messages?conversation={conversation}&limit=100"
            )))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("messages")
            .json()
            .await
            .expect("json");
        r.as_array().cloned().unwrap_or_default()
    }

    /// The link as the handset shows it for `phone`, unescaped.
    async fn link_for(&self, phone: &str) -> String {
        let (_, html, _) = self
            .page(&format!(
                "/__sandbox/phone?number={}",
                phone.replace('+', "%2B")
            ))
            .await;
        let start = html.find("href=\"http").expect("a link on the handset") + 6;
        let end = start + html[start..].find('"').expect("end of href");
        html[start..end].replace("&amp;", "&")
    }
}

fn query_value<'a>(link: &'a str, key: &str) -> &'a str {
    link.split(['?', '&'])
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
        .unwrap_or("")
}

fn contact_messages(messages: &[Value]) -> Vec<(String, String)> {
    messages
        .iter()
        .filter(|m| m["role"] == "contact")
        .map(|m| {
            (
                m["touchpoint"].as_str().unwrap_or("").to_string(),
                m["text"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_handset_shows_each_numbers_sms_with_the_link_filled_in() {
    let c = Customer::start(config()).await;
    c.invite(HOLDING, "+31687000001", "Ada").await;
    c.invite(HOLDING, "+31687000002", "Bob").await;
    let (status, html, headers) = c.page("/__sandbox/phone").await;
    assert_eq!(status, 200);
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'"),
        "the page runs no script"
    );
    assert!(html.contains("+31687000001") && html.contains("+31687000002"));
    assert!(html.contains("Hi Ada") && html.contains("Hi Bob"));
    let link = c.link_for("+31687000001").await;
    assert!(
        !link.contains("{authuser}") && !link.contains("{authtoken}"),
        "{link}"
    );
    let (_, only, _) = c.page("/__sandbox/phone?number=%2B31687000002").await;
    assert!(only.contains("Hi Bob") && !only.contains("Hi Ada"));
}

#[tokio::test]
async fn the_landing_page_shows_the_conversation_and_writes_as_the_contact() {
    let c = Customer::start(config()).await;
    let conv = c.invite(HOLDING, "+31687000003", "Cas").await;
    let link = c.link_for("+31687000003").await;
    let path = &link[c.sandbox.base_url().len()..];
    let (status, html, _) = c.page(path).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Chat with Acme Holding"), "{html}");
    assert!(html.contains("Welcome back, Cas."));
    assert!(html.contains("Hi Cas"), "the conversation so far");
    let (id, token) = (query_value(&link, "id"), query_value(&link, "token"));
    let (status, location) = c
        .post_form(
            "/__sandbox/clp/acme/reply",
            &[
                ("id", id),
                ("token", token),
                ("ts", "1"),
                ("text", "I'm back"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{location}");
    assert!(
        location.starts_with("/__sandbox/clp/acme?id="),
        "{location}"
    );
    assert_eq!(
        contact_messages(&c.messages(&conv).await),
        vec![("web".to_string(), "I'm back".to_string())]
    );
    let (_, html, _) = c.page(&location).await;
    assert!(
        html.contains("I&#39;m back") || html.contains("I'm back"),
        "{html}"
    );
}

#[tokio::test]
async fn a_link_that_does_not_check_out_shows_why_and_writes_nothing() {
    let c = Customer::start(config()).await;
    let conv = c.invite(HOLDING, "+31687000004", "Dee").await;
    let link = c.link_for("+31687000004").await;
    let (id, token) = (query_value(&link, "id"), query_value(&link, "token"));
    let mut tampered = token.to_string();
    let last = if tampered.ends_with('0') { "1" } else { "0" };
    tampered.replace_range(tampered.len() - 1.., last);
    let cases = [
        (
            format!("/__sandbox/clp/acme?id={id}&token={tampered}"),
            "the token does not belong to this contact",
        ),
        (
            format!("/__sandbox/clp/acme?id={id}"),
            "the link is missing its id or token",
        ),
        (
            "/__sandbox/clp/acme?id=%7Bauthuser%7D&token=%7Bauthtoken%7D".to_string(),
            "never filled in",
        ),
        (
            format!("/__sandbox/clp/acme?id=5f00000000000000000009ff&token={token}"),
            "no contact has this id",
        ),
    ];
    for (path, why) in &cases {
        let (status, html, _) = c.page(path).await;
        assert_eq!(status, 403, "{path}");
        assert!(html.contains(why), "{path}: {html}");
        assert!(!html.contains("<textarea"), "{path}: nothing to write in");
    }
    let (status, html) = c
        .post_form(
            "/__sandbox/clp/acme/reply",
            &[("id", id), ("token", &tampered), ("text", "let me in")],
        )
        .await;
    assert_eq!(status, 403, "{html}");
    assert!(
        contact_messages(&c.messages(&conv).await).is_empty(),
        "a refused link writes nothing"
    );
}

#[tokio::test]
async fn the_customer_can_answer_by_sms() {
    let c = Customer::start(config()).await;
    let conv = c.invite(HOLDING, "+31687000005", "Eva").await;
    let (status, location) = c
        .post_form(
            "/__sandbox/phone/reply",
            &[("number", "+31687000005"), ("text", "Yes please")],
        )
        .await;
    assert_eq!(status, 303, "{location}");
    assert_eq!(
        contact_messages(&c.messages(&conv).await),
        vec![("sms".to_string(), "Yes please".to_string())]
    );
    let (status, html) = c
        .post_form(
            "/__sandbox/phone/reply",
            &[("number", "+31600000000"), ("text", "who?")],
        )
        .await;
    assert_eq!(status, 404, "a number that got no SMS: {html}");
}

#[tokio::test]
async fn names_full_of_markup_are_shown_as_text() {
    let c = Customer::start(config()).await;
    let name = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    c.invite(HOLDING, "+31687000006", name).await;
    let (_, html, _) = c.page("/__sandbox/phone").await;
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(!html.contains("<img src=x"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    let link = c.link_for("+31687000006").await;
    let (_, page, _) = c.page(&link[c.sandbox.base_url().len()..]).await;
    assert!(!page.contains("<script>alert") && page.contains("&lt;script&gt;"));
}

#[tokio::test]
async fn a_failed_sms_leaves_a_status_message_in_its_conversation() {
    let c = Customer::start(config()).await;
    let conv = c.invite(NO_SMS, "+31687000007", "Fay").await;
    let statuses: Vec<String> = c
        .messages(&conv)
        .await
        .iter()
        .filter(|m| m["type"] == "status")
        .map(|m| m["text"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(statuses.len(), 2, "one per failed SMS: {statuses:?}");
    assert!(
        statuses[0].contains("no active twilio (SMS) service"),
        "{statuses:?}"
    );
    let (_, html, _) = c.page("/__sandbox/phone?number=%2B31687000007").await;
    assert!(
        html.contains("not delivered"),
        "the handset shows the failure too"
    );

    let mut quiet = config();
    quiet.knobs.behaviour.status_messages = false;
    let c = Customer::start(quiet).await;
    let conv = c.invite(NO_SMS, "+31687000007", "Fay").await;
    assert!(
        c.messages(&conv)
            .await
            .iter()
            .all(|m| m["type"] != "status"),
        "switched off"
    );
}

#[tokio::test]
async fn the_carrier_rejects_the_configured_share_of_sms() {
    let mut every = config();
    every.knobs.behaviour.sms_failure_rate = 1.0;
    let c = Customer::start(every).await;
    let conv = c.invite(HOLDING, "+31687000008", "Gus").await;
    let d = c.sandbox.deliveries();
    assert_eq!(d.len(), 2);
    assert!(d.iter().all(|d| {
        d["status"] == "failed"
            && d["reason"]
                .as_str()
                .unwrap_or("")
                .contains("carrier rejected")
    }));
    assert!(
        c.messages(&conv)
            .await
            .iter()
            .any(|m| m["type"] == "status")
    );

    let c = Customer::start(config()).await;
    c.invite(HOLDING, "+316870", "Hal").await;
    let d = c.sandbox.deliveries();
    assert!(
        d.iter().all(|d| d["reason"]
            .as_str()
            .unwrap_or("")
            .contains("not a valid mobile number")),
        "{d:?}"
    );
}
