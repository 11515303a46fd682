//! Following invitations against the sandbox over loopback: a contact who comes back through
//! the landing page or by SMS, a platform status message for an SMS that failed, no answer, a
//! contact who came back before following began, a follower resumed with what it already
//! recorded, and the listings chunked by conversation.

use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};
use sms_invite::api::{Client, ClientConfig, Credentials, Secret};
use sms_invite::invite::follow::{
    self, Ending, FollowConfig, FollowEvent, Followed, Follower, Pace, Sign, Via,
};
use sms_invite::sandbox::{Sandbox, SandboxConfig};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const HOLDING: &str = "5f0000000000000000000010";
const NO_SMS: &str = "5f0000000000000000000030";

async fn sandbox() -> Sandbox {
    let mut c = SandboxConfig::default();
    c.knobs.behaviour.delay_scale = 0.0;
    c.knobs.rate_limit = 0;
    Sandbox::start(c).await.expect("sandbox")
}

fn client(sandbox: &Sandbox) -> Client {
    let mut c = ClientConfig::new(sandbox.base_url()).expect("url");
    c.rate_per_sec = 0;
    c.request_timeout = Duration::from_secs(5);
    Client::new(c, Credentials::new(Secret::new(sandbox.bot_login().token))).expect("client")
}

/// Quick polls so a test takes a second, not minutes.
fn quick(window: Duration, chunk: usize) -> FollowConfig {
    FollowConfig {
        window,
        pace: Pace {
            quick: Duration::from_millis(40),
            quick_for: Duration::from_secs(60),
            settled_min: Duration::from_millis(40),
            settled_per_minute: 100_000,
        },
        chunk,
        client_rate: 1000.0,
    }
}

/// An invitation as the tool posts it (welcome and link SMS with one invite id).
async fn invite(sandbox: &Sandbox, org: &str, phone: &str, index: usize) -> Followed {
    let invite_id = format!("inv{index:04}");
    let body = json!({
        "organization": org, "type": "contact",
        "contact": {"profile": {"telephone": phone}},
        "messages": [
            {"role": "agent", "touchpoint": "sms", "text": "Hi", "meta": {"inviteId": invite_id}},
            {"role": "agent", "touchpoint": "sms", "text": "Your link", "meta": {"inviteId": invite_id}},
        ],
    });
    let r: Value = reqwest::Client::new()
        .post(format!("{}/v2/conversations", sandbox.base_url()))
        .bearer_auth(sandbox.bot_login().token)
        .json(&body)
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    Followed {
        index,
        e164: phone.to_string(),
        conversation: r["id"].as_str().expect("id").to_string(),
        invite_id,
        sent_at: Utc::now(),
    }
}

fn writes(sandbox: &Sandbox, f: &Followed, touchpoint: &str, text: &str) {
    sandbox
        .with_store(|s| s.contact_writes(&f.conversation, touchpoint, text))
        .expect("the contact writes");
}

/// Runs a follower to its end, with the events it sent.
async fn run(
    client: &Client,
    config: FollowConfig,
    initial: Vec<Followed>,
    known: Vec<(usize, Sign, Duration)>,
) -> (follow::FollowSummary, Vec<FollowEvent>) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut f = Follower::new(client.clone(), config, initial);
    f.known = known;
    let summary = follow::follow(f, tx, CancellationToken::new()).await;
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    (summary, events)
}

fn updates(events: &[FollowEvent]) -> Vec<(usize, Sign)> {
    events
        .iter()
        .filter_map(|e| match e {
            FollowEvent::Update(u) => Some((u.index, u.sign.clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn every_state_is_reported_once_as_it_happens() {
    let sb = sandbox().await;
    let c = client(&sb);
    let link = invite(&sb, HOLDING, "+31687100001", 0).await;
    let sms = invite(&sb, HOLDING, "+31687100002", 1).await;
    let failed = invite(&sb, NO_SMS, "+31687100003", 2).await;
    let silent = invite(&sb, HOLDING, "+31687100004", 3).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let follower = Follower::new(
        c.clone(),
        quick(Duration::from_secs(3), 80),
        vec![link.clone(), sms.clone(), failed.clone(), silent.clone()],
    );
    let handle = tokio::spawn(follow::follow(follower, tx, CancellationToken::new()));
    // The customers act while it follows.
    tokio::time::sleep(Duration::from_millis(150)).await;
    writes(&sb, &link, "web", "I'm back");
    writes(&sb, &sms, "sms", "yes");
    writes(&sb, &sms, "web", "and again");
    let summary = handle.await.expect("follower");
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    let got = updates(&events);
    let kinds: Vec<(usize, &str)> = got
        .iter()
        .map(|(i, s)| {
            (
                *i,
                match s {
                    Sign::CameBack { via: Via::Link, .. } => "link",
                    Sign::CameBack { via: Via::Sms, .. } => "sms",
                    Sign::CameBack { .. } => "other",
                    Sign::Problem { .. } => "problem",
                },
            )
        })
        .collect();
    let mut sorted = kinds.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        vec![(0, "link"), (1, "sms"), (2, "problem"), (2, "problem")],
        "each once; the second message of a returned contact is not news: {got:?}"
    );
    if let Some((_, Sign::Problem { text, .. })) = got.iter().find(|(i, _)| *i == 2) {
        assert!(
            text.contains("could not be delivered"),
            "as the platform wrote it: {text}"
        );
    }
    assert_eq!(
        (
            summary.followed,
            summary.came_back,
            summary.problems,
            summary.no_answer
        ),
        (4, 2, 1, 1)
    );
    assert_eq!(summary.ending, Some(Ending::WindowClosed));
    assert_eq!(summary.exit_code(), 1);
    assert!(matches!(events.last(), Some(FollowEvent::Ended(_))));
}

#[tokio::test]
async fn following_ends_when_everyone_came_back_even_before_it_began() {
    let sb = sandbox().await;
    let c = client(&sb);
    let a = invite(&sb, HOLDING, "+31687100011", 0).await;
    let b = invite(&sb, HOLDING, "+31687100012", 1).await;
    writes(&sb, &a, "web", "early bird");
    writes(&sb, &b, "sms", "hi");
    let (summary, events) = run(&c, quick(Duration::from_secs(30), 80), vec![a, b], vec![]).await;
    assert_eq!(summary.ending, Some(Ending::EveryoneBack));
    assert_eq!((summary.came_back, summary.exit_code()), (2, 0));
    assert_eq!(updates(&events).len(), 2);
    assert_eq!(summary.requests, 1, "one listing for both conversations");
}

#[tokio::test]
async fn a_resumed_follower_does_not_report_again_what_was_recorded() {
    let sb = sandbox().await;
    let c = client(&sb);
    let a = invite(&sb, HOLDING, "+31687100021", 0).await;
    let b = invite(&sb, HOLDING, "+31687100022", 1).await;
    writes(&sb, &a, "web", "back");
    let (first, events) = run(
        &c,
        quick(Duration::from_millis(200), 80),
        vec![a.clone(), b.clone()],
        vec![],
    )
    .await;
    assert_eq!(first.came_back, 1);
    let recorded: Vec<(usize, Sign, Duration)> = events
        .iter()
        .filter_map(|e| match e {
            FollowEvent::Update(u) => Some((u.index, u.sign.clone(), u.after)),
            _ => None,
        })
        .collect();
    // Killed, then resumed with the journal's record; meanwhile b answered.
    writes(&sb, &b, "sms", "later");
    let (second, events) = run(&c, quick(Duration::from_secs(30), 80), vec![a, b], recorded).await;
    assert_eq!(
        updates(&events).iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        vec![1],
        "only the news"
    );
    assert_eq!(
        (second.came_back, second.ending),
        (2, Some(Ending::EveryoneBack))
    );
}

#[tokio::test]
async fn listings_are_chunked_by_conversation() {
    let sb = sandbox().await;
    let c = client(&sb);
    let mut all = Vec::new();
    for i in 0..10 {
        all.push(invite(&sb, HOLDING, &format!("+316871001{i:02}"), i).await);
    }
    for f in &all {
        writes(&sb, f, "web", "back");
    }
    sb.clear_requests();
    // The client is shared with other work meanwhile (as with a send): the follower counts
    // only its own listings.
    let busy = {
        let c = c.clone();
        tokio::spawn(async move {
            for _ in 0..20 {
                let _ = c.organization(HOLDING).await;
            }
        })
    };
    let (summary, _) = run(&c, quick(Duration::from_secs(30), 4), all, vec![]).await;
    busy.await.expect("the other work");
    assert_eq!(summary.came_back, 10);
    assert_eq!(summary.requests, 3, "its own listings only");
    let listings: Vec<String> = sb
        .requests()
        .iter()
        .filter(|r| r["route"] == "messages")
        .map(|r| r["query"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        listings.len(),
        3,
        "10 conversations in chunks of 4: {listings:?}"
    );
    for q in &listings {
        assert!(
            q.contains("conversation=%5B") || q.contains("conversation=["),
            "{q}"
        );
        assert!(q.contains("createdAt="), "{q}");
    }
}
