//! The send engine against the sandbox: every path of docs/invitation.md, and "never lost, never
//! doubled" checked against the sandbox's SMS delivery log.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use sms_invite::api::Client;
use sms_invite::invite::engine::{self, Engine, EngineConfig, Job};
use sms_invite::invite::events::{Event, State, Summary};
use sms_invite::invite::journal::{self, Journal, RunHeader};
use sms_invite::invite::phone;
use sms_invite::invite::target::Target;
use sms_invite::invite::template::Template;
use sms_invite::sandbox::{FaultRule, Sandbox};
use tokio_util::sync::CancellationToken;

fn template() -> Template {
    Template {
        clp_url: "https://clp.acme.example/plan?src=sms".into(),
        ..Template::default()
    }
}

fn target(number: &str) -> Target {
    Target::from_phone(&phone::normalize(number, Some("NL")).unwrap())
}

/// `n` new Dutch mobile numbers.
fn new_targets(n: usize) -> Vec<Target> {
    (0..n).map(|i| target(&format!("+3168{:07}", i))).collect()
}

struct Run {
    summary: Summary,
    events: Vec<Event>,
}

impl Run {
    fn finals(&self) -> HashMap<String, (State, Option<String>)> {
        let mut m = HashMap::new();
        for e in &self.events {
            if let Event::Contact(u) = e
                && u.state().is_final()
            {
                m.insert(u.e164.clone(), (u.state(), u.reason.clone()));
            }
        }
        m
    }
}

async fn run_jobs(
    client: &Client,
    org: &str,
    jobs: Vec<Job>,
    config: EngineConfig,
    journal: Option<Arc<Journal>>,
    cancel: CancellationToken,
    cancel_after_sent: Option<usize>,
) -> Run {
    let org = client.organization(org).await.unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let engine = Arc::new(Engine::new(
        client.clone(),
        org,
        template(),
        config,
        tx,
        cancel.clone(),
    ));
    let task = tokio::spawn(async move { engine.run("test-run", jobs, journal).await });
    let mut events = Vec::new();
    let mut sent = 0;
    while let Some(e) = rx.recv().await {
        if let Event::Contact(u) = &e
            && u.state() == State::Sent
        {
            sent += 1;
            if cancel_after_sent.is_some_and(|n| sent >= n) {
                cancel.cancel();
            }
        }
        let last = matches!(e, Event::Finished(_));
        events.push(e);
        if last {
            break;
        }
    }
    Run {
        summary: task.await.unwrap(),
        events,
    }
}

fn config(dir: &Path) -> EngineConfig {
    EngineConfig::new(dir.to_path_buf())
}

/// Deliveries per destination number.
fn delivered(sandbox: &Sandbox) -> HashMap<String, Vec<Value>> {
    let mut m: HashMap<String, Vec<Value>> = HashMap::new();
    for d in sandbox.deliveries() {
        if d["status"] == "delivered" {
            m.entry(d["to"].as_str().unwrap().to_string())
                .or_default()
                .push(d);
        }
    }
    m
}

#[tokio::test]
async fn new_existing_shared_and_held_contacts() {
    let (sandbox, client) = start(quick_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut shared_named = target("+31612345680");
    shared_named.contact_id = Some(EVA_ID.into());
    let targets = vec![
        target("0612345678"), // Jan, existing
        target("0612345679"), // Piet, stored as national spelling
        target("0612345680"), // shared by Mark and Eva, no id given
        target("0612345681"), // Sanne, held by agent Anna
        target("0687654321"), // new
    ];
    let run = run_jobs(
        &client,
        HOLDING,
        engine::jobs_for(targets),
        config(dir.path()),
        None,
        CancellationToken::new(),
        None,
    )
    .await;
    let f = run.finals();
    assert_eq!(f["+31612345678"].0, State::Sent);
    assert_eq!(
        f["+31612345679"].0,
        State::Sent,
        "found through the national spelling"
    );
    assert_eq!(f["+31612345680"].0, State::Failed);
    assert!(
        f["+31612345680"]
            .1
            .as_ref()
            .unwrap()
            .contains("2 contacts share this number")
    );
    assert_eq!(f["+31612345681"].0, State::Skipped);
    assert!(
        f["+31612345681"]
            .1
            .as_ref()
            .unwrap()
            .contains("Anna de Vries")
    );
    assert_eq!(f["+31687654321"].0, State::Sent);
    let d = delivered(&sandbox);
    assert_eq!(d["+31612345678"].len(), 2, "welcome and link");
    assert!(
        d["+31612345678"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Hi Jan,"),
        "name from the platform profile"
    );
    // Piet's profile keeps the national spelling; the sandbox's carrier, like Twilio, takes
    // only international numbers, so his invitation is accepted and its SMS fail. Following
    // the conversation is what tells the operator (see follow_sandbox).
    let piet: Vec<Value> = sandbox
        .deliveries()
        .into_iter()
        .filter(|d| d["to"] == "0612345679")
        .collect();
    assert_eq!(piet.len(), 2, "both SMS attempted");
    assert!(piet.iter().all(|d| {
        d["status"] == "failed"
            && d["reason"]
                .as_str()
                .unwrap()
                .contains("not a valid mobile number")
    }));
    assert!(!d.contains_key("+31612345680") && !d.contains_key("+31612345681"));
    assert_eq!(d["+31687654321"].len(), 2);
    assert_eq!(d["+31687654321"][1]["placeholders"], "filled");
    assert!(
        d["+31687654321"][1]["text"]
            .as_str()
            .unwrap()
            .contains("plan?src=sms&id="),
        "the CLP's own query is kept"
    );
    // Naming one of the shared contacts sends to exactly that one.
    let run = run_jobs(
        &client,
        HOLDING,
        engine::jobs_for(vec![shared_named]),
        config(dir.path()),
        None,
        CancellationToken::new(),
        None,
    )
    .await;
    assert_eq!(run.summary.sent, 1);
    let eva_conv = EVA_CONV;
    assert!(
        sandbox
            .deliveries()
            .iter()
            .any(|d| d["conversation"] == eva_conv)
    );
    // Forcing past the agent sends to Sanne.
    let mut forced = config(dir.path());
    forced.force = sms_invite::invite::verdict::Force::ALL;
    let run = run_jobs(
        &client,
        HOLDING,
        engine::jobs_for(vec![target("0612345681")]),
        forced,
        None,
        CancellationToken::new(),
        None,
    )
    .await;
    assert_eq!(run.summary.sent, 1);
}

#[tokio::test]
async fn batched_lookups_one_post_per_invitation_and_ordered_arrays() {
    let (sandbox, client) = start(quick_config()).await;
    let dir = tempfile::tempdir().unwrap();
    sandbox.clear_requests();
    let mut targets = new_targets(10);
    targets.push(target("0612345678"));
    let run = run_jobs(
        &client,
        HOLDING,
        engine::jobs_for(targets),
        config(dir.path()),
        None,
        CancellationToken::new(),
        None,
    )
    .await;
    assert_eq!(run.summary.sent, 11);
    let routes: Vec<String> = sandbox
        .requests()
        .iter()
        .map(|r| format!("{} {}", r["method"], r["route"]))
        .collect();
    let count = |route: &str| routes.iter().filter(|r| *r == route).count();
    // The in-list probe (a listing, then one known number with one that cannot exist), then
    // the numbers in two batches: the first as large as the concurrency, the rest in one.
    assert_eq!(count("\"GET\" \"contacts\""), 2 + 2, "{routes:?}");
    // One POST per contact, new or existing.
    assert_eq!(
        count("\"POST\" \"conversations\"") + count("\"POST\" \"conversations/messages\""),
        11,
        "{routes:?}"
    );
    // For the existing contact, one check of its conversation for another machine's
    // invitation (batched with any others in flight).
    assert_eq!(count("\"GET\" \"messages\""), 1, "{routes:?}");
    assert_eq!(
        routes.len() - count("\"GET\" \"organizations\""),
        4 + 11 + 1,
        "nothing else: {routes:?}"
    );
    let posted = sandbox
        .requests()
        .into_iter()
        .find(|r| r["route"] == "conversations/messages")
        .unwrap();
    let texts: Vec<&str> = posted["body"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts.first(), Some(&"/accept"));
    assert_eq!(texts.last(), Some(&"/leave"));
    let ids: Vec<&Value> = posted["body"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["meta"]["inviteId"])
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] == w[1]),
        "one invite id for the whole invitation"
    );
}

#[tokio::test]
async fn dry_run_writes_nothing_and_previews() {
    let (sandbox, client) = start(quick_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.dry_run = true;
    let run = run_jobs(
        &client,
        HOLDING,
        engine::jobs_for(vec![
            target("0612345678"),
            target("0611111111"),
            target("0612345681"),
        ]),
        cfg,
        None,
        CancellationToken::new(),
        None,
    )
    .await;
    assert_eq!(run.summary.would_send, 2);
    assert_eq!(run.summary.skipped, 1);
    assert!(
        sandbox.requests().iter().all(|r| r["method"] == "GET"),
        "no writes"
    );
    assert!(sandbox.deliveries().is_empty());
    let preview = run.events.iter().find_map(|e| match e {
        Event::Contact(u) if u.preview.is_some() && u.new_contact == Some(true) => {
            u.preview.clone()
        }
        _ => None,
    });
    let p = preview.expect("a preview for the new contact");
    assert_eq!(p.welcome_sms.encoding, "GSM-7");
    assert!(p.link_sms.segments >= 1);
    assert!(p.link.contains("clp.acme.example"));
    // Shown with the platform's placeholders; counted as if they were filled in.
    assert!(
        p.link.contains("id={authuser}&token={authtoken}"),
        "{}",
        p.link
    );
    let shown = sms_invite::invite::segments::analyze(&p.link).chars;
    assert!(p.link_sms.chars > shown, "{} vs {shown}", p.link_sms.chars);
    assert!(!dir.path().join("runs").exists(), "no journal");
}

#[tokio::test]
async fn cooldown_skips_recent_invites_unless_forced() {
    let (_sandbox, client) = start(quick_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let journal = Arc::new(Journal::open(dir.path(), "first").unwrap());
    let run = run_jobs(
        &client,
        HOLDING,
        engine::jobs_for(vec![target("0612345678")]),
        config(dir.path()),
        Some(journal),
        CancellationToken::new(),
        None,
    )
    .await;
    assert_eq!(run.summary.sent, 1);
    let run = run_jobs(
        &client,
        HOLDING,
        engine::jobs_for(vec![target("+31 6 12345678")]),
        config(dir.path()),
        None,
        CancellationToken::new(),
        None,
    )
    .await;
    assert_eq!(run.summary.skipped, 1);
    assert!(
        run.finals()["+31612345678"]
            .1
            .as_ref()
            .unwrap()
            .contains("cooldown")
    );
    let mut forced = config(dir.path());
    forced.force = sms_invite::invite::verdict::Force::ALL;
    let run = run_jobs(
        &client,
        HOLDING,
        engine::jobs_for(vec![target("0612345678")]),
        forced,
        None,
        CancellationToken::new(),
        None,
    )
    .await;
    assert_eq!(run.summary.sent, 1);
    let mut short = config(dir.path());
    short.cooldown = Duration::ZERO;
    let run = run_jobs(
        &client,
        HOLDING,
        engine::jobs_for(vec![target("0612345678")]),
        short,
        None,
        CancellationToken::new(),
        None,
    )
    .await;
    assert_eq!(run.summary.sent, 1, "a zero cooldown does not skip");
}

#[tokio::test]
async fn missing_variables_block_only_that_contact() {
    let (_sandbox, client) = start(quick_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let org = client.organization(HOLDING).await.unwrap();
    let mut t = template();
    t.welcome_text = "Dear {givenName}, see you at {organization}.".into();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let engine = Arc::new(Engine::new(
        client.clone(),
        org,
        t,
        config(dir.path()),
        tx,
        CancellationToken::new(),
    ));
    let mut named = target("0622222222");
    named.given_name = Some("Ada".into());
    let summary = engine
        .run(
            "r",
            engine::jobs_for(vec![named, target("0633333333")]),
            None,
        )
        .await;
    assert_eq!((summary.sent, summary.failed), (1, 1));
    let mut reasons = Vec::new();
    while let Ok(e) = rx.try_recv() {
        if let Event::Contact(u) = e
            && u.state() == State::Failed
        {
            reasons.push(u.reason.unwrap());
        }
    }
    assert!(reasons[0].contains("{givenName}"), "{reasons:?}");
}

#[tokio::test]
async fn batch_of_500_with_ambiguous_posts_sends_each_exactly_once() {
    let (sandbox, client) = start(quick_config()).await;
    sandbox.tune(|k| {
        k.faults = vec![
            FaultRule::parse("POST:conversations:after-write:0.05").unwrap(),
            FaultRule::parse("POST:conversations/messages:after-write:0.05").unwrap(),
            FaultRule::parse("POST:conversations:drop:0.02").unwrap(),
            FaultRule::parse("POST:conversations:drop-after-write:0.02").unwrap(),
        ]
    });
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.concurrency = 8;
    let targets = new_targets(500);
    let run = run_jobs(
        &client,
        HOLDING,
        engine::jobs_for(targets.clone()),
        cfg,
        None,
        CancellationToken::new(),
        None,
    )
    .await;
    let faults = sandbox
        .requests()
        .iter()
        .filter(|r| r["fault"].is_string())
        .count();
    assert!(faults >= 20, "faults were injected: {faults}");
    let d = delivered(&sandbox);
    let finals = run.finals();
    for t in &targets {
        let (state, reason) = &finals[&t.e164];
        let n = d.get(&t.e164).map_or(0, Vec::len);
        match state {
            State::Sent => assert_eq!(n, 2, "{} delivered {n} SMS", t.e164),
            other => {
                assert!(reason.is_some(), "{} {other:?} without a reason", t.e164);
                assert_eq!(n, 0, "{} not sent but delivered", t.e164)
            }
        }
    }
    assert_eq!(run.summary.sent, 500, "{:?}", run.summary);
    assert!(
        run.events
            .iter()
            .any(|e| matches!(e, Event::Contact(u) if u.reconciled)),
        "some outcomes were reconciled"
    );
}

#[tokio::test]
async fn token_expiry_mid_run_and_a_429_storm() {
    let mut cfg_sb = quick_config();
    cfg_sb.knobs.token_ttl_secs = 1;
    // Lookups one by one (the in-list probe fails), so the storm has many lookups to hit and
    // the run lasts past the token's second.
    cfg_sb.knobs.phone_in_lists = sms_invite::sandbox::PhoneInLists::Literal;
    let (sandbox, client) = start(cfg_sb).await;
    sandbox.tune(|k| k.faults = vec![FaultRule::parse("*:contacts:429:0.3").unwrap()]);
    let dir = tempfile::tempdir().unwrap();
    let jobs = engine::jobs_for(new_targets(30));
    let c = client.clone();
    // Slow the run down so the one-second token expires in the middle of it.
    sandbox.tune(|k| k.latency = Duration::from_millis(40));
    let run = run_jobs(
        &c,
        HOLDING,
        jobs,
        config(dir.path()),
        None,
        CancellationToken::new(),
        None,
    )
    .await;
    assert_eq!(
        run.summary.sent,
        30,
        "{:?} {:?}",
        run.summary,
        run.finals()
            .values()
            .filter(|f| f.0 != State::Sent)
            .collect::<Vec<_>>()
    );
    assert!(
        count(&sandbox, "POST", "auth/token") >= 1,
        "the token was renewed mid-run"
    );
    assert!(
        run.events
            .iter()
            .any(|e| matches!(e, Event::RateLimited { .. }))
    );
    assert!(
        run.events
            .iter()
            .any(|e| matches!(e, Event::Notice { message } if message.contains("renewed")))
    );
    let d = delivered(&sandbox);
    assert!(d.values().all(|v| v.len() == 2));
}

fn header(run: &str) -> RunHeader {
    RunHeader {
        run: run.into(),
        org: HOLDING.into(),
        org_name: "Acme Holding".into(),
        template_hash: template().template_hash(),
        template: template().to_toml().unwrap(),
        started_at: chrono::Utc::now(),
        tool: "test".into(),
    }
}

#[tokio::test]
async fn cancel_then_resume_sends_the_rest_once() {
    let (sandbox, client) = start(quick_config()).await;
    sandbox.tune(|k| k.latency = Duration::from_millis(20));
    let dir = tempfile::tempdir().unwrap();
    let journal = Arc::new(Journal::open(dir.path(), "r1").unwrap());
    journal.header(&header("r1")).unwrap();
    let jobs = engine::jobs_for(new_targets(24));
    for j in &jobs {
        journal.target(j.index, &j.target, &j.invite_id).unwrap();
    }
    let mut cfg = config(dir.path());
    cfg.concurrency = 2;
    let run = run_jobs(
        &client,
        HOLDING,
        jobs,
        cfg.clone(),
        Some(journal.clone()),
        CancellationToken::new(),
        Some(4),
    )
    .await;
    assert!(run.summary.cancelled);
    assert!(run.summary.not_started > 0, "{:?}", run.summary);
    let sent_first = run.summary.sent;
    let stored = journal::load_run(dir.path(), "r1").unwrap();
    let jobs = engine::jobs_for_resume(&stored);
    assert_eq!(jobs.len(), 24 - sent_first);
    let run = run_jobs(
        &client,
        HOLDING,
        jobs,
        cfg,
        Some(journal),
        CancellationToken::new(),
        None,
    )
    .await;
    assert_eq!(run.summary.sent, 24 - sent_first);
    let d = delivered(&sandbox);
    assert_eq!(d.len(), 24);
    assert!(
        d.values().all(|v| v.len() == 2),
        "nobody got the invitation twice"
    );
}

#[tokio::test]
async fn resume_after_a_kill_mid_send_reconciles_instead_of_resending() {
    let (sandbox, client) = start(quick_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let journal = Arc::new(Journal::open(dir.path(), "killed").unwrap());
    journal.header(&header("killed")).unwrap();
    let jobs = engine::jobs_for(vec![target("0644444444"), target("0655555555")]);
    for j in &jobs {
        journal.target(j.index, &j.target, &j.invite_id).unwrap();
    }
    // The process wrote "sending" for both and died; only the first POST reached the platform.
    let arrived = &jobs[0];
    let body = json!({"organization": HOLDING, "type": "contact",
        "contact": {"profile": {"telephone": arrived.target.e164}},
        "messages": [{"text": "hi", "role": "agent", "touchpoint": "sms", "meta": {"inviteId": arrived.invite_id}}]});
    client.create_conversation(&body).await.unwrap();
    for j in &jobs {
        let u = sms_invite::invite::events::ContactUpdate {
            index: j.index,
            e164: j.target.e164.clone(),
            state: Some(State::Sending),
            invite_id: Some(j.invite_id.clone()),
            ..Default::default()
        };
        journal
            .update(HOLDING, &template().template_hash(), &u)
            .unwrap();
    }
    let stored = journal::load_run(dir.path(), "killed").unwrap();
    let jobs = engine::jobs_for_resume(&stored);
    assert!(jobs.iter().all(|j| j.check_first));
    let run = run_jobs(
        &client,
        HOLDING,
        jobs,
        config(dir.path()),
        Some(journal),
        CancellationToken::new(),
        None,
    )
    .await;
    assert_eq!(run.summary.sent, 2);
    let d = delivered(&sandbox);
    assert_eq!(
        d["+31644444444"].len(),
        1,
        "the arrived invitation was not sent again"
    );
    assert_eq!(d["+31655555555"].len(), 2, "the lost one was sent");
}

#[tokio::test]
async fn legacy_platform_conflict_falls_back_to_the_existing_conversation() {
    let mut cfg = quick_config();
    cfg.knobs.behaviour.legacy_create = true;
    let (sandbox, client) = start(cfg).await;
    // Jan's number is stored in a spelling the lookup does not know, so the create collides
    // with him on his e-mail and the platform answers 409.
    sandbox.with_store(|s| {
        for c in s.contacts.iter_mut() {
            if c["profile"]["telephone"] == "+31612345678" {
                c["profile"]["telephone"] = json!("+31 6 1234 5678");
            }
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let mut jan = target("0612345678");
    jan.email = Some("jan@example.nl".into());
    let run = run_jobs(
        &client,
        HOLDING,
        engine::jobs_for(vec![jan]),
        config(dir.path()),
        None,
        CancellationToken::new(),
        None,
    )
    .await;
    assert_eq!(run.summary.sent, 1, "{:?}", run.finals());
    assert!(sandbox.requests().iter().any(|r| r["status"] == 409));
    assert!(
        sandbox
            .deliveries()
            .iter()
            .any(|d| d["conversation"] == JAN_CONV)
    );
}

/// The contact a 409 points at goes through the same rules as one the lookup found: Sanne's
/// conversation is held by an agent, so the fallback skips her instead of barging in.
#[tokio::test]
async fn legacy_platform_conflict_keeps_the_held_conversation_rule() {
    let mut cfg = quick_config();
    cfg.knobs.behaviour.legacy_create = true;
    let (sandbox, client) = start(cfg).await;
    sandbox.with_store(|s| {
        for c in s.contacts.iter_mut() {
            if c["profile"]["telephone"] == "+31612345681" {
                c["profile"]["telephone"] = json!("+31 6 1234 5681");
                c["profile"]["email"] = json!("sanne@example.nl");
            }
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let mut sanne = target("0612345681");
    sanne.email = Some("sanne@example.nl".into());
    let run = run_jobs(
        &client,
        HOLDING,
        engine::jobs_for(vec![sanne]),
        config(dir.path()),
        None,
        CancellationToken::new(),
        None,
    )
    .await;
    assert!(sandbox.requests().iter().any(|r| r["status"] == 409));
    assert_eq!(run.summary.skipped, 1, "{:?}", run.finals());
    let reason = run.finals()["+31612345681"].1.clone().unwrap_or_default();
    assert!(reason.contains("not barging in"), "{reason}");
    assert!(
        sandbox.deliveries().is_empty(),
        "nothing was sent into the held conversation"
    );
}

#[tokio::test]
async fn a_failed_renewal_stops_the_run_once_instead_of_failing_every_contact() {
    let mut cfg = quick_config();
    cfg.knobs.token_ttl_secs = 1;
    let (sandbox, _) = start(cfg).await;
    // Slow enough that the 1-second token expires well before the last contact: with lookups
    // in batches a run is mostly its POSTs, 30 rounds of 100 ms here.
    sandbox.tune(|k| k.latency = Duration::from_millis(100));
    let mut creds =
        sms_invite::api::Credentials::new(sms_invite::api::Secret::new(sandbox.bot_login().token));
    creds.refresh = Some(sms_invite::api::Secret::new("not-a-valid-refresh-token"));
    let client = Client::new(client_config(&sandbox), creds).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.concurrency = 2;
    let run = run_jobs(
        &client,
        HOLDING,
        engine::jobs_for(new_targets(60)),
        cfg,
        None,
        CancellationToken::new(),
        None,
    )
    .await;
    let s = &run.summary;
    assert!(s.sent > 0 && s.not_started > 0, "{s:?}");
    assert!(
        s.halted
            .as_deref()
            .is_some_and(|h| h.contains("authentication failed")),
        "{s:?}"
    );
    assert_eq!(
        count(&sandbox, "POST", "auth/token"),
        1,
        "one refusal, not one per contact"
    );
    for (state, reason) in run.finals().values() {
        if *state == State::NotStarted {
            assert!(
                reason
                    .as_deref()
                    .is_some_and(|r| r.contains("sign in again")),
                "{reason:?}"
            );
        }
    }
    let d = delivered(&sandbox);
    assert!(d.values().all(|v| v.len() == 2));
}

/// A run hears the client's notices (rate limits here) only while it runs: afterwards its
/// channel closes although the client lives on, and a later 429 of the same client does not
/// reach it.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_hears_client_notices_only_while_it_runs() {
    let (sandbox, client) = start(quick_config()).await;
    sandbox.tune(|k| {
        k.faults = vec![FaultRule::parse("GET:contacts:429:0.5").expect("rule")];
    });
    let dir = tempfile::tempdir().unwrap();
    let org = client.organization(HOLDING).await.unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let engine = Arc::new(Engine::new(
        client.clone(),
        org,
        template(),
        config(dir.path()),
        tx,
        CancellationToken::new(),
    ));
    let jobs = engine::jobs_for(new_targets(3));
    let summary = engine.clone().run("notices", jobs, None).await;
    assert_eq!(summary.sent, 3, "{summary:?}");
    drop(engine);
    let mut rate_limited = 0;
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(e) = rx.recv().await {
            if matches!(e, Event::RateLimited { .. }) {
                rate_limited += 1;
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the run's channel closes when the run ends");
    assert!(rate_limited > 0, "the run heard the 429s while it ran");
    // The client lives on and meets more 429s; nobody is left listening.
    for _ in 0..10 {
        let _ = client
            .contacts_by_phone(HOLDING, &["+31600000000".into()])
            .await;
    }
}

/// The queued announcements are there for a front end that does not show the jobs yet; turned
/// off, none is sent, and every contact still reaches its final state with its invite id.
#[tokio::test]
async fn queued_announcements_can_be_left_out() {
    let (_sandbox, client) = start(quick_config()).await;
    let queued = |run: &Run| {
        run.events
            .iter()
            .filter(|e| matches!(e, Event::Contact(u) if u.state() == State::Queued))
            .count()
    };
    let targets = || vec![target("0612345678"), target("0687654321")];
    let dir = tempfile::tempdir().unwrap();
    let announced = run_jobs(
        &client,
        HOLDING,
        engine::jobs_for(targets()),
        config(dir.path()),
        None,
        CancellationToken::new(),
        None,
    )
    .await;
    assert_eq!(queued(&announced), 2);
    // A fresh platform: on the first one these numbers were just invited by another run.
    let (_sandbox, client) = start(quick_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut quiet = config(dir.path());
    quiet.announce_queued = false;
    let run = run_jobs(
        &client,
        HOLDING,
        engine::jobs_for(targets()),
        quiet,
        None,
        CancellationToken::new(),
        None,
    )
    .await;
    assert_eq!(queued(&run), 0);
    assert_eq!(run.summary.sent, 2);
    assert!(run.events.iter().all(|e| match e {
        Event::Contact(u) => u.invite_id.is_some(),
        _ => true,
    }));
}
