//! The API client against the sandbox over loopback: every rule of the client (pagination,
//! refresh, retries, rate limits, errors) exercised on the wire.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use futures::StreamExt;
use serde_json::json;
use sms_invite::api::models::{Organization, PlatformContact};
use sms_invite::api::{ClientEvent, Credentials, ErrorKind, Op, Query, Secret};
use sms_invite::sandbox::FaultRule;

#[tokio::test]
async fn lists_follow_next_links_page_by_page() {
    let (sandbox, client) = start(quick_config()).await;
    let all: Vec<Organization> = client
        .list_all("organizations", &Query::new().limit(2), 100)
        .await
        .unwrap();
    assert_eq!(
        all.len(),
        7,
        "every visible org, the foreign tenant excluded"
    );
    assert!(all.iter().all(|o| o.id != OTHER_TENANT));
    let offsets: Vec<String> = sandbox
        .requests()
        .iter()
        .filter(|r| r["route"] == "organizations")
        .map(|r| r["query"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(offsets.len(), 4, "{offsets:?}");
    assert!(offsets[1].contains("offset=2") && offsets[3].contains("offset=6"));
}

#[tokio::test]
async fn list_cap_stops_fetching() {
    let (sandbox, client) = start(quick_config()).await;
    let first: Vec<Result<Organization, _>> = client
        .list("organizations", &Query::new().limit(2), 3)
        .collect()
        .await;
    assert_eq!(first.len(), 3);
    assert_eq!(
        count(&sandbox, "GET", "organizations"),
        2,
        "two pages cover three items"
    );
}

#[tokio::test]
async fn page_reports_total_and_next() {
    let (_sandbox, client) = start(quick_config()).await;
    let url = client
        .url(
            "contacts",
            &Query::new().eq("organization", HOLDING).limit(2),
        )
        .unwrap();
    let page = client.page::<PlatformContact>(url).await.unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.total, Some(5));
    let next = page.next.expect("a next link");
    assert!(next.as_str().contains("offset=2"), "{next}");
    assert!(
        next.as_str().contains(HOLDING),
        "filters carried into the next link: {next}"
    );
}

#[tokio::test]
async fn phone_lookup_encodes_plus_and_matches_both_spellings() {
    let (sandbox, client) = start(quick_config()).await;
    let jan = client
        .contacts_by_phone(HOLDING, &["+31612345678".into()])
        .await
        .unwrap();
    assert_eq!(jan.len(), 1);
    assert_eq!(jan[0].profile.given_name.as_deref(), Some("Jan"));
    let q = sandbox.requests().last().unwrap()["query"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(q.contains("profile.telephone=%2B31612345678"), "{q}");
    // Piet was stored in the national spelling; an in-list finds him in one request.
    let piet = client
        .contacts_by_phone(HOLDING, &["+31612345679".into(), "0612345679".into()])
        .await
        .unwrap();
    assert_eq!(piet.len(), 1);
    assert_eq!(piet[0].profile.family_name.as_deref(), Some("Pieters"));
    let shared = client
        .contacts_by_phone(HOLDING, &["+31612345680".into()])
        .await
        .unwrap();
    assert_eq!(shared.len(), 2, "two contacts share the number");
}

#[tokio::test]
async fn filter_operators_reach_the_server_intact() {
    let (_sandbox, client) = start(quick_config()).await;
    let sub: Vec<Organization> = client
        .organizations(
            &Query::new()
                .op("orgPath", Op::Contains, HOLDING)
                .sort("-displayName"),
            100,
        )
        .await
        .unwrap();
    let names: Vec<&str> = sub.iter().map(|o| o.label()).collect();
    assert_eq!(names, ["Acme Utrecht", "Acme Holding", "Acme Amsterdam"]);
    let visser: Vec<PlatformContact> = client
        .list_all(
            "contacts",
            &Query::new()
                .op("profile.familyName", Op::StartsWith, "viss")
                .select("profile"),
            10,
        )
        .await
        .unwrap();
    assert_eq!(visser.len(), 2);
    assert!(
        visser[0].conversation.is_none(),
        "select dropped other fields"
    );
}

/// The client learns that its token expired only from the server's 401, so a token issued
/// already expired stands in for one that aged: no waiting for a clock to pass a TTL.
#[tokio::test]
async fn expired_token_is_renewed_once_and_the_request_replayed() {
    let sandbox = start_sandbox(quick_config()).await;
    let mut creds = bot_credentials(&sandbox);
    creds.access = Secret::new(sandbox.access_token(BOT_USER_ID, -1));
    let client = sms_invite::api::Client::new(client_config(&sandbox), creds).unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let _notices = client.subscribe(move |e| sink.lock().unwrap().push(e));
    let first = client.credentials();
    // Several requests at once after expiry: exactly one refresh (refresh tokens rotate).
    let (a, b, c) = tokio::join!(
        client.organization(HOLDING),
        client.organization(AMSTERDAM),
        client.conversation(JAN_CONV)
    );
    a.unwrap();
    b.unwrap();
    c.unwrap();
    assert_eq!(count(&sandbox, "POST", "auth/token"), 1);
    let after = client.credentials();
    assert_ne!(first.access, after.access, "new access token kept");
    assert_ne!(first.refresh, after.refresh, "rotated refresh token kept");
    assert!(
        events
            .lock()
            .unwrap()
            .contains(&ClientEvent::TokenRefreshed)
    );
    let expired_401s = sandbox
        .requests()
        .iter()
        .filter(|r| r["status"] == 401)
        .count();
    assert!((1..=3).contains(&expired_401s), "{expired_401s}");
}

#[tokio::test]
async fn failed_refresh_is_a_clear_auth_error_without_looping() {
    let (sandbox, _) = start(quick_config()).await;
    let mut creds = Credentials::new(Secret::new(sandbox.access_token(BOT_USER_ID, -10)));
    creds.refresh = Some(Secret::new("bogus.refresh.token"));
    let client = sms_invite::api::Client::new(client_config(&sandbox), creds).unwrap();
    let err = client.organization(HOLDING).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::RefreshFailed);
    assert_eq!(err.status, Some(401));
    assert!(err.to_string().contains("jwt expired"), "{err}");
    assert!(
        err.to_string().contains("Refresh token not accepted"),
        "{err}"
    );
    assert!(err.is_auth());
    assert_eq!(
        count(&sandbox, "POST", "auth/token"),
        1,
        "never refresh on the refresh call"
    );
}

#[tokio::test]
async fn bad_signature_without_refresh_token_is_unauthorized() {
    let (sandbox, _) = start(quick_config()).await;
    let other = start_sandbox(sms_invite::sandbox::SandboxConfig {
        secret: b"another-secret".to_vec(),
        ..quick_config()
    })
    .await;
    let foreign = other.bot_login().token;
    let client = sms_invite::api::Client::new(
        client_config(&sandbox),
        Credentials::new(Secret::new(foreign)),
    )
    .unwrap();
    let err = client.organizations(&Query::new(), 10).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unauthorized);
    assert_eq!(err.message, "invalid signature");
    assert!(err.hint().contains("token"));
}

#[tokio::test]
async fn rate_limited_requests_wait_for_retry_after() {
    let mut config = quick_config();
    config.knobs.rate_limit = 3;
    let (sandbox, client) = start(config).await;
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let _notices = client.subscribe(move |e| sink.lock().unwrap().push(e));
    let start = Instant::now();
    for _ in 0..5 {
        client.organization(HOLDING).await.unwrap();
    }
    assert!(
        count(&sandbox, "GET", "organizations") >= 6,
        "some answered 429"
    );
    assert!(sandbox.requests().iter().any(|r| r["status"] == 429));
    assert!(events.lock().unwrap().iter().any(
        |e| matches!(e, ClientEvent::RateLimited { wait } if *wait >= Duration::from_secs(1))
    ));
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was honoured"
    );
}

#[tokio::test]
async fn posts_are_retried_after_429_but_never_after_5xx() {
    let (sandbox, client) = start(quick_config()).await;
    let body = json!([{"text": "hello", "role": "agent"}]);
    sandbox.tune(|k| {
        k.faults = vec![FaultRule::parse("POST:conversations/messages:after-write:1").unwrap()]
    });
    let err = client
        .post_messages(JAN_CONV, body.as_array().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.status, Some(502));
    assert!(err.outcome_unknown, "a 5xx on POST may have been applied");
    assert_eq!(
        count(&sandbox, "POST", "conversations/messages"),
        1,
        "no retry"
    );
    let stored = sandbox.with_store(|s| s.messages.iter().filter(|m| m["text"] == "hello").count());
    assert_eq!(
        stored, 1,
        "the write happened although the answer was an error"
    );

    sandbox.clear_requests();
    sandbox
        .tune(|k| k.faults = vec![FaultRule::parse("POST:conversations/messages:429:1").unwrap()]);
    let c = client.clone();
    let task = tokio::spawn(async move {
        c.post_messages(JAN_CONV, &[json!({"text": "again", "role": "agent"})])
            .await
    });
    // Lifted once the first attempt was answered 429, so the retry is what gets through.
    wait_until("a POST answered 429", Duration::from_secs(10), || {
        sandbox
            .requests()
            .iter()
            .any(|r| r["route"] == "conversations/messages" && r["status"] == 429)
    })
    .await;
    sandbox.tune(|k| k.faults.clear());
    let created = task.await.unwrap().unwrap();
    assert_eq!(created.len(), 1);
    assert!(
        count(&sandbox, "POST", "conversations/messages") >= 2,
        "429 was retried"
    );
}

#[tokio::test]
async fn gets_are_retried_through_5xx_and_dropped_connections() {
    let (sandbox, client) = start(quick_config()).await;
    sandbox.tune(|k| k.faults = vec![FaultRule::parse("GET:organizations:error:1").unwrap()]);
    let err = client.organization(HOLDING).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Server);
    assert!(!err.outcome_unknown);
    assert_eq!(
        count(&sandbox, "GET", "organizations"),
        6,
        "first try plus five retries"
    );

    sandbox.clear_requests();
    sandbox.tune(|k| k.faults = vec![FaultRule::parse("GET:organizations:drop:0.5").unwrap()]);
    for _ in 0..10 {
        client.organization(HOLDING).await.unwrap();
    }
    assert!(
        sandbox.requests().iter().any(|r| r["fault"] == "drop"),
        "some connections were dropped"
    );
}

#[tokio::test]
async fn dropped_post_is_reported_as_outcome_unknown() {
    let (sandbox, client) = start(quick_config()).await;
    sandbox.tune(|k| {
        k.faults = vec![FaultRule::parse("POST:conversations/messages:drop-after-write:1").unwrap()]
    });
    let err = client
        .post_messages(JAN_CONV, &[json!({"text": "x", "role": "agent"})])
        .await
        .unwrap_err();
    // The connection breaks at once, long before any deadline: a network error, not a timeout.
    assert_eq!(err.kind, ErrorKind::Network, "{err:?}");
    assert!(err.outcome_unknown);
    assert_eq!(count(&sandbox, "POST", "conversations/messages"), 1);
}

#[tokio::test]
async fn scope_and_visibility_errors_carry_server_message_and_hint() {
    let (sandbox, _) = start(quick_config()).await;
    let reader = sandbox.login(READER_USER_ID).unwrap();
    let client = sms_invite::api::Client::new(
        client_config(&sandbox),
        Credentials::new(Secret::new(reader.token)),
    )
    .unwrap();
    let err = client.services(&Query::new(), 10).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Forbidden);
    assert_eq!(
        err.to_string(),
        "GET /v2/services: HTTP 403: Permission denied"
    );
    assert!(err.hint().contains("admin"));
    let err = client.organization(OTHER_TENANT).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    let err = client
        .post_messages("5f0000000000000000000999", &[json!({"text": "x"})])
        .await
        .unwrap_err();
    assert_eq!(err.message, "Conversation not found");
    let err = client.messages(&Query::new(), 10).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::BadRequest);
    assert!(err.message.contains("conversation"), "{err}");
}

#[tokio::test]
async fn create_conversation_distinguishes_created_from_upserted() {
    let (sandbox, client) = start(quick_config()).await;
    let body = json!({
        "organization": HOLDING, "type": "contact",
        "contact": {"profile": {"telephone": "+31699999999", "givenName": "Nieuw"}},
        "messages": [{"text": "one", "role": "agent", "touchpoint": "sms"}]
    });
    let (conv, created) = client.create_conversation(&body).await.unwrap();
    assert!(created);
    assert_eq!(conv.kind.as_deref(), Some("contact"));
    let (again, created) = client.create_conversation(&body).await.unwrap();
    assert!(!created, "second create is an upsert (200)");
    assert_eq!(again.id, conv.id);
    let n = sandbox.with_store(|s| {
        s.contacts
            .iter()
            .filter(|c| c["profile"]["telephone"] == "+31699999999")
            .count()
    });
    assert_eq!(n, 1);
}

#[tokio::test]
async fn legacy_create_reports_conflict() {
    let mut config = quick_config();
    config.knobs.behaviour.legacy_create = true;
    let (_sandbox, client) = start(config).await;
    let body = json!({"organization": HOLDING, "type": "contact",
        "contact": {"profile": {"telephone": "+31612345678"}}, "messages": [{"text": "x"}]});
    let err = client.create_conversation(&body).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Conflict);
    assert_eq!(err.message, "Contact already exists");
}

#[tokio::test]
async fn client_rate_limit_spaces_requests() {
    let (sandbox, _) = start(quick_config()).await;
    let mut config = client_config(&sandbox);
    config.rate_per_sec = 10;
    let client = sms_invite::api::Client::new(
        config,
        Credentials::new(Secret::new(sandbox.bot_login().token)),
    )
    .unwrap();
    let start = Instant::now();
    for _ in 0..12 {
        client.organization(HOLDING).await.unwrap();
    }
    // Burst 2, then 10/s: the 12th request cannot go before ~1 s.
    assert!(
        start.elapsed() >= Duration::from_millis(900),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(client.requests_sent(), 12);
}

#[tokio::test]
async fn connection_refused_is_a_network_error_with_a_hint() {
    let (sandbox, _) = start(quick_config()).await;
    let url = sandbox.base_url().to_string();
    let token = sandbox.bot_login().token;
    let addr = sandbox.addr();
    drop(sandbox);
    // The server stops on its own task; go on once its port refuses connections.
    wait_until_async(
        "the sandbox's port closed",
        Duration::from_secs(10),
        || async { tokio::net::TcpStream::connect(addr).await.is_err() },
    )
    .await;
    let mut config = sms_invite::api::ClientConfig::new(&url).unwrap();
    config.retry.max_retries = 1;
    config.retry.base_delay = Duration::from_millis(1);
    let client =
        sms_invite::api::Client::new(config, Credentials::new(Secret::new(token))).unwrap();
    let err = client.organization(HOLDING).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Network);
    assert!(!err.outcome_unknown);
    assert!(err.hint().contains("--api-url"));
}

#[tokio::test]
async fn messages_arrays_are_stored_in_order_and_delivered_as_sms() {
    let (sandbox, client) = start(quick_config()).await;
    let msgs = vec![
        json!({"type": "command", "text": "/accept"}),
        json!({"text": "welcome", "role": "agent", "touchpoint": "sms", "delay": 1000, "meta": {"inviteId": "i1"}}),
        json!({"text": "link:", "role": "agent", "touchpoint": "sms", "delay": 10000, "meta": {"inviteId": "i1", "SenderID": "Acme"},
               "actions": [{"type": "link", "text": "open", "uri": "https://clp.example/?id={authuser}&token={authtoken}"}]}),
        json!({"type": "command", "text": "/leave", "delay": 11000}),
    ];
    let created = client.post_messages(JAN_CONV, &msgs).await.unwrap();
    let texts: Vec<&str> = created.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["/accept", "welcome", "link:", "/leave"]);
    let d = sandbox.deliveries();
    assert_eq!(d.len(), 2);
    assert_eq!(d[0]["text"], "welcome");
    assert_eq!(d[0]["to"], "+31612345678");
    assert_eq!(d[1]["oneWay"], true);
    assert_eq!(d[1]["placeholders"], "filled");
    assert!(!d[1]["text"].as_str().unwrap().contains("{authtoken}"));
    let conv = client.conversation(JAN_CONV).await.unwrap();
    assert_eq!(conv.status.as_deref(), Some("closed"), "/leave closed it");
}
