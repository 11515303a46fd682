//! The sandbox's own fidelity to the platform as docs/platform.md describes it, over raw HTTP so encodings and
//! headers are exactly what a client would send.

mod common;

use common::*;
use serde_json::{Value, json};
use sms_invite::sandbox::Sandbox;

async fn raw(
    sandbox: &Sandbox,
    method: &str,
    path_and_query: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let http = reqwest::Client::new();
    let url = format!("{}{}", sandbox.base_url(), path_and_query);
    let mut req = http.request(method.parse().unwrap(), url);
    if !token.is_empty() {
        req = req.bearer_auth(token);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

#[tokio::test]
async fn auth_errors_use_the_platform_messages() {
    let sandbox = start_sandbox(quick_config()).await;
    let (s, _, b) = raw(&sandbox, "GET", "/v2/organizations", "", None).await;
    assert_eq!(
        (s, b["error"]["message"].as_str()),
        (401, Some("jwt must be provided"))
    );
    let (s, _, b) = raw(&sandbox, "GET", "/v2/organizations", "garbage", None).await;
    assert_eq!(
        (s, b["error"]["message"].as_str()),
        (401, Some("jwt malformed"))
    );
    let expired = sandbox.access_token(BOT_USER_ID, -1);
    let (s, _, b) = raw(&sandbox, "GET", "/v2/organizations", &expired, None).await;
    assert_eq!(
        (s, b["error"]["message"].as_str()),
        (401, Some("jwt expired"))
    );
    let refresh = sandbox.bot_login().refresh_token;
    let (s, _, b) = raw(&sandbox, "GET", "/v2/organizations", &refresh, None).await;
    assert_eq!(
        (s, b["error"]["message"].as_str()),
        (401, Some("invalid token")),
        "a refresh token is no bearer"
    );
}

#[tokio::test]
async fn login_and_rotating_refresh() {
    let sandbox = start_sandbox(quick_config()).await;
    let email = sandbox.bot_login().email;
    let (s, _, b) = raw(
        &sandbox,
        "POST",
        "/v2/auth/token",
        "",
        Some(json!({"email": email, "password": "sandbox"})),
    )
    .await;
    assert_eq!(s, 201);
    assert_eq!(b["tokenType"], "Bearer");
    let r1 = b["refreshToken"].as_str().unwrap().to_string();
    let (s, _, b2) = raw(
        &sandbox,
        "POST",
        "/v2/auth/token",
        "stale-bearer-is-ignored",
        Some(json!({"clientId": email, "refreshToken": r1})),
    )
    .await;
    assert_eq!(s, 201);
    assert_ne!(b2["refreshToken"].as_str().unwrap(), r1, "rotated");
    let (s, _, b3) = raw(
        &sandbox,
        "POST",
        "/v2/auth/token",
        "",
        Some(json!({"refreshToken": r1})),
    )
    .await;
    assert_eq!(s, 401, "the old refresh token is revoked");
    let msg = b3["error"]["message"].as_str().unwrap().to_lowercase();
    for trigger in ["jwt expired", "invalid signature", "invalid token"] {
        assert!(
            !msg.contains(trigger),
            "{msg} would make the SDK refresh again"
        );
    }
    let (s, _, _) = raw(
        &sandbox,
        "POST",
        "/v2/auth/token",
        "",
        Some(json!({"email": email, "password": "wrong"})),
    )
    .await;
    assert_eq!(s, 401);
}

#[tokio::test]
async fn lists_are_bare_arrays_with_absolute_links_and_counts() {
    let sandbox = start_sandbox(quick_config()).await;
    let token = sandbox.bot_login().token;
    let (s, h, b) = raw(&sandbox, "GET", "/v2/contacts?limit=3", &token, None).await;
    assert_eq!(s, 200);
    assert_eq!(b.as_array().unwrap().len(), 3);
    let link = h["link"].to_str().unwrap();
    assert!(
        link.starts_with(&format!("<{}/v2/contacts?", sandbox.base_url())),
        "{link}"
    );
    assert!(link.ends_with("rel=\"next\""));
    assert_eq!(h["x-total-count"], "9");
    let (_, h, b) = raw(
        &sandbox,
        "GET",
        "/v2/contacts?limit=3&offset=6",
        &token,
        None,
    )
    .await;
    assert_eq!(b.as_array().unwrap().len(), 3);
    assert!(h.get("link").is_none(), "no next on the last page");
}

#[tokio::test]
async fn raw_plus_is_a_space_and_encoded_operators_work() {
    let sandbox = start_sandbox(quick_config()).await;
    let token = sandbox.bot_login().token;
    let (_, _, b) = raw(
        &sandbox,
        "GET",
        "/v2/contacts?profile.telephone=+31612345678",
        &token,
        None,
    )
    .await;
    assert_eq!(
        b.as_array().unwrap().len(),
        0,
        "an unencoded + arrives as a space"
    );
    let (_, _, b) = raw(
        &sandbox,
        "GET",
        "/v2/contacts?profile.telephone=%2B31612345678",
        &token,
        None,
    )
    .await;
    assert_eq!(b.as_array().unwrap().len(), 1);
    let (_, _, b) = raw(
        &sandbox,
        "GET",
        "/v2/contacts?profile.givenName=%7Eee&sort=-profile.givenName",
        &token,
        None,
    )
    .await;
    let names: Vec<&str> = b
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["profile"]["givenName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Kees"]);
}

#[tokio::test]
async fn link_before_the_first_sms_stays_unfilled_and_is_flagged() {
    let sandbox = start_sandbox(quick_config()).await;
    let token = sandbox.bot_login().token;
    // The link message alone, for a new contact: no SMS link exists yet.
    let body = json!({"organization": HOLDING, "type": "contact",
        "contact": {"profile": {"telephone": "+31600000001"}},
        "messages": [{"text": "tap", "role": "agent", "touchpoint": "sms",
                      "actions": [{"type": "link", "text": "link:", "uri": "https://clp.example/?id={authuser}&token={authtoken}"}]}]});
    let (s, _, _) = raw(&sandbox, "POST", "/v2/conversations", &token, Some(body)).await;
    assert_eq!(s, 201);
    let d = sandbox.deliveries();
    let last = d.last().unwrap();
    assert_eq!(last["placeholders"], "unfilled");
    assert!(
        last["warning"]
            .as_str()
            .unwrap()
            .contains("before the contact's first SMS")
    );
    assert!(last["text"].as_str().unwrap().contains("{authtoken}"));
}

/// The sandbox delivers a message when it is due and something looks (a request, the delivery
/// log), so the test moves that clock itself with `Store::advance` to each due time instead of
/// sleeping past the delays and hoping the machine kept up.
#[tokio::test]
async fn delays_schedule_delivery_in_order() {
    let mut config = quick_config();
    config.knobs.behaviour.delay_scale = 0.5;
    let behaviour = config.knobs.behaviour.clone();
    let sandbox = start_sandbox(config).await;
    let token = sandbox.bot_login().token;
    let body = json!({"organization": HOLDING, "type": "contact",
        "contact": {"profile": {"telephone": "+31600000002"}},
        "messages": [
            {"text": "/accept", "type": "command"},
            {"text": "welcome", "role": "agent", "touchpoint": "sms", "delay": 1000},
            {"text": "link", "role": "agent", "touchpoint": "sms", "delay": 3000,
             "actions": [{"type": "link", "text": "go", "uri": "https://clp.example/?id={authuser}&token={authtoken}"}]}]});
    let (_, _, conv) = raw(&sandbox, "POST", "/v2/conversations", &token, Some(body)).await;
    let mine = |s: &sms_invite::sandbox::store::Store| {
        s.deliveries
            .iter()
            .filter(|d| d["conversation"] == conv["id"])
            .cloned()
            .collect::<Vec<_>>()
    };
    // When each message was stored and when it is due, in the sandbox's milliseconds.
    let ms = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().expect("a timestamp"))
            .expect("RFC 3339")
            .timestamp_millis()
    };
    let (created, welcome_due, link_due) = sandbox.with_store(|s| {
        let due = |text: &str| {
            let m = s
                .messages
                .iter()
                .find(|m| m["conversation"] == conv["id"] && m["text"] == text)
                .expect("message stored");
            (ms(&m["createdAt"]), ms(&m["scheduledAt"]))
        };
        let (created, welcome) = due("welcome");
        (created, welcome, due("link").1)
    });
    assert_eq!(
        welcome_due - created,
        500,
        "1000 ms at a delay scale of 0.5"
    );
    assert_eq!(link_due - created, 1500, "3000 ms at a delay scale of 0.5");

    sandbox.with_store(|s| {
        assert!(mine(s).is_empty(), "nothing is delivered before its delay");
        s.advance(welcome_due - 1, &behaviour);
        assert!(mine(s).is_empty(), "nothing is delivered before its delay");
        s.advance(welcome_due, &behaviour);
        let d = mine(s);
        assert_eq!(d.len(), 1, "the welcome at its delay");
        assert_eq!(d[0]["text"], "welcome");
        s.advance(link_due - 1, &behaviour);
        assert_eq!(mine(s).len(), 1, "the link not before its delay");
        s.advance(link_due, &behaviour);
        let d = mine(s);
        assert_eq!(d.len(), 2);
        assert_eq!(
            d[1]["placeholders"], "filled",
            "the welcome linked the contact first"
        );
    });
}

#[tokio::test]
async fn agent_held_conversations_and_sms_capability() {
    let sandbox = start_sandbox(quick_config()).await;
    let token = sandbox.bot_login().token;
    let (_, _, conv) = raw(
        &sandbox,
        "GET",
        &format!("/v2/conversations/{SANNE_CONV}"),
        &token,
        None,
    )
    .await;
    let p = &conv["participants"][0];
    assert_eq!(
        (
            p["user"].as_str(),
            p["active"].as_bool(),
            p["accepted"].as_bool()
        ),
        (Some(AGENT_USER_ID), Some(true), Some(true))
    );
    // A contact of an org without SMS: the message is stored, the SMS fails with a reason.
    let (_, _, c) = raw(
        &sandbox,
        "GET",
        "/v2/contacts?profile.givenName=Fleur",
        &token,
        None,
    )
    .await;
    let conv_id = c[0]["conversation"].as_str().unwrap().to_string();
    let (s, _, _) = raw(
        &sandbox,
        "POST",
        &format!("/v2/conversations/{conv_id}/messages"),
        &token,
        Some(json!({"text": "hi", "role": "agent", "touchpoint": "sms"})),
    )
    .await;
    assert_eq!(s, 201);
    let d = sandbox.deliveries();
    assert_eq!(d.last().unwrap()["status"], "failed");
    assert!(
        d.last().unwrap()["reason"]
            .as_str()
            .unwrap()
            .contains("twilio")
    );
    assert_eq!(NO_SMS, c[0]["organization"]);
}

#[tokio::test]
async fn invalid_bodies_are_refused_before_anything_is_stored() {
    let sandbox = start_sandbox(quick_config()).await;
    let token = sandbox.bot_login().token;
    let before = sandbox.with_store(|s| s.messages.len());
    let (s, _, b) = raw(
        &sandbox,
        "POST",
        &format!("/v2/conversations/{JAN_CONV}/messages"),
        &token,
        Some(json!([{"text": "ok"}, {"role": "agent"}])),
    )
    .await;
    assert_eq!(s, 400);
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("text is required")
    );
    assert_eq!(
        sandbox.with_store(|s| s.messages.len()),
        before,
        "the array is all or nothing"
    );
    let (s, _, _) = raw(&sandbox, "POST", "/v2/conversations", &token,
        Some(json!({"organization": HOLDING, "type": "contact", "contact": {"profile": {}}, "messages": [{"text": "x"}]}))).await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn inspection_endpoints_change_faults_at_runtime() {
    let sandbox = start_sandbox(quick_config()).await;
    let token = sandbox.bot_login().token;
    let (s, _, _) = raw(&sandbox, "POST", "/__sandbox/faults", "", Some(json!({"rules": [{"method": "GET", "route": "services", "kind": "error", "rate": 1.0}]}))).await;
    assert_eq!(s, 200);
    let (s, _, _) = raw(&sandbox, "GET", "/v2/services", &token, None).await;
    assert_eq!(s, 503);
    let (_, _, log) = raw(&sandbox, "GET", "/__sandbox/requests", "", None).await;
    let text = log.to_string();
    assert!(text.contains("\"fault\":\"error\""));
    assert!(!text.contains(&token), "the request log never holds tokens");
}

/// A create joins the first contact of the organization with the number, found through an
/// index that follows a patch (a new number is found, the old one is free) and contacts a
/// test adds directly.
#[tokio::test]
async fn a_create_finds_the_contact_by_its_current_number() {
    let sandbox = start_sandbox(quick_config()).await;
    let token = sandbox.bot_login().token;
    let create = |tel: &str| {
        json!({"organization": HOLDING, "type": "contact",
            "contact": {"profile": {"telephone": tel}}, "messages": [{"text": "hi"}]})
    };
    // Shared by Mark and Eva: the first of them (Mark) is the one joined.
    let (s, _, conv) = raw(
        &sandbox,
        "POST",
        "/v2/conversations",
        &token,
        Some(create(SHARED)),
    )
    .await;
    assert_eq!(s, 200, "{conv}");
    assert_eq!(conv["contact"], MARK_ID);
    // Jan moves to a new number.
    let (s, _, _) = raw(
        &sandbox,
        "PATCH",
        &format!("/v2/contacts/{JAN_ID}"),
        &token,
        Some(json!({"profile": {"telephone": NEW}})),
    )
    .await;
    assert_eq!(s, 200);
    let (s, _, conv) = raw(
        &sandbox,
        "POST",
        "/v2/conversations",
        &token,
        Some(create(NEW)),
    )
    .await;
    assert_eq!((s, conv["id"].as_str()), (200, Some(JAN_CONV)), "{conv}");
    let (s, _, conv) = raw(
        &sandbox,
        "POST",
        "/v2/conversations",
        &token,
        Some(create(JAN)),
    )
    .await;
    assert_eq!(s, 201, "his old number is nobody's now: {conv}");
    // A contact added straight into the store is found too.
    let added = "+31687650000";
    sandbox.with_store(|s| {
        let mut c = s.contacts[0].clone();
        c["id"] = json!("5f00000000000000000002aa");
        c["organization"] = json!(HOLDING);
        c["conversation"] = json!(EVA_CONV);
        c["profile"] = json!({"telephone": added});
        s.contacts.push(c);
    });
    let (s, _, conv) = raw(
        &sandbox,
        "POST",
        "/v2/conversations",
        &token,
        Some(create(added)),
    )
    .await;
    assert_eq!((s, conv["id"].as_str()), (200, Some(EVA_CONV)), "{conv}");
}
