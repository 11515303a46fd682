//! Batched lookups against the sandbox: the verdicts equal those of one lookup per contact
//! (new, existing, national spelling, shared number, agent-held), the requests drop to a few
//! per batch, and a platform whose in-list on the telephone is not what it seems (read as one
//! literal value, or ignored) is noticed by the probe or by the answer, and the send falls back
//! to one lookup per contact with the same verdicts.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::*;
use sms_invite::api::Client;
use sms_invite::invite::engine::{self, Engine, EngineConfig};
use sms_invite::invite::events::{Event, State};
use sms_invite::invite::lookups::IN_LIST_FINDING;
use sms_invite::invite::phone;
use sms_invite::invite::target::Target;
use sms_invite::invite::template::Template;
use sms_invite::sandbox::{PhoneInLists, Sandbox};
use tokio_util::sync::CancellationToken;

fn target(number: &str) -> Target {
    Target::from_phone(&phone::normalize(number, Some("NL")).expect("number"))
}

/// The seed's mix and `new` new numbers.
fn mix(new: usize) -> Vec<Target> {
    let mut t: Vec<Target> = [
        "0612345678", // Jan, existing
        "0612345679", // Piet, stored in national spelling
        "0612345680", // Mark and Eva share it
        "0612345681", // Sanne, held by Anna
    ]
    .iter()
    .map(|n| target(n))
    .collect();
    t.extend((0..new).map(|i| target(&format!("+31658{i:06}"))));
    t
}

/// Each number's final state and reason.
async fn send(client: &Client, targets: Vec<Target>) -> BTreeMap<String, (State, String)> {
    let dir = tempfile::tempdir().expect("dir");
    let org = client.organization(HOLDING).await.expect("org");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let template = Template {
        clp_url: CLP.into(),
        ..Template::default()
    };
    let engine = Arc::new(Engine::new(
        client.clone(),
        org,
        template,
        EngineConfig::new(dir.path().to_path_buf()),
        tx,
        CancellationToken::new(),
    ));
    let jobs = engine::jobs_for(targets);
    let task = tokio::spawn(async move { engine.run("lookups", jobs, None).await });
    let mut finals = BTreeMap::new();
    while let Some(e) = rx.recv().await {
        match e {
            Event::Contact(u) if u.state().is_final() => {
                finals.insert(u.e164.clone(), (u.state(), u.reason.unwrap_or_default()));
            }
            Event::Finished(_) => break,
            _ => {}
        }
    }
    task.await.expect("run");
    finals
}

async fn sandbox(in_lists: PhoneInLists) -> (Sandbox, Client) {
    let mut c = quick_config();
    c.knobs.phone_in_lists = in_lists;
    start(c).await
}

fn contact_lookups(sandbox: &Sandbox) -> usize {
    count(sandbox, "GET", "contacts")
}

/// Contacts in the sandbox with this telephone: more than the seed had means a duplicate.
fn contacts_with(sandbox: &Sandbox, tel: &str) -> usize {
    sandbox.with_store(|s| {
        s.contacts
            .iter()
            .filter(|c| c.pointer("/profile/telephone").and_then(|v| v.as_str()) == Some(tel))
            .count()
    })
}

#[tokio::test]
async fn batched_verdicts_equal_one_by_one_and_cost_a_few_requests() {
    let (batched_sb, batched) = sandbox(PhoneInLists::Honoured).await;
    let (alone_sb, alone) = sandbox(PhoneInLists::Literal).await;
    let with_batches = send(&batched, mix(100)).await;
    let one_by_one = send(&alone, mix(100)).await;
    assert_eq!(batched.finding(IN_LIST_FINDING), Some(true));
    assert_eq!(alone.finding(IN_LIST_FINDING), Some(false));
    assert_eq!(with_batches.len(), 104);
    assert_eq!(
        with_batches, one_by_one,
        "the same verdict for every number"
    );
    assert_eq!(with_batches["+31612345678"].0, State::Sent);
    assert_eq!(
        with_batches["+31612345679"].0,
        State::Sent,
        "national spelling"
    );
    assert!(
        with_batches["+31612345680"]
            .1
            .contains("2 contacts share this number")
    );
    assert!(with_batches["+31612345681"].1.contains("Anna de Vries"));
    // A probe (a listing and an in-list), then 104 contacts in batches of at most 40 (the first
    // as large as the concurrency): a handful of lookups instead of one per contact.
    let lookups = contact_lookups(&batched_sb);
    assert!(lookups <= 2 + 5, "{lookups} lookups");
    // One by one, each spelling is its own exact lookup.
    assert!(
        contact_lookups(&alone_sb) > 104,
        "{}",
        contact_lookups(&alone_sb)
    );
    for sb in [&batched_sb, &alone_sb] {
        assert_eq!(
            contacts_with(sb, "+31612345678"),
            1,
            "Jan was found, not created"
        );
        assert_eq!(contacts_with(sb, "0612345679"), 1, "Piet too");
    }
}

#[tokio::test]
async fn an_ignored_in_list_is_noticed_by_the_probe() {
    let (sb, client) = sandbox(PhoneInLists::Ignored).await;
    let finals = send(&client, mix(10)).await;
    assert_eq!(client.finding(IN_LIST_FINDING), Some(false));
    assert_eq!(finals["+31612345678"].0, State::Sent);
    assert_eq!(contacts_with(&sb, "+31612345678"), 1, "no duplicate of Jan");
    assert!(finals["+31612345681"].1.contains("Anna de Vries"));
    assert_eq!(
        finals.values().filter(|(s, _)| *s == State::Sent).count(),
        12,
        "Jan, Piet and the ten new ones"
    );
}

#[tokio::test]
async fn an_answer_with_numbers_not_asked_for_turns_batching_off() {
    // The probe is taken as passed (as if the platform changed after it), and the in-list is
    // then ignored: the first batch's answer gives it away.
    let (sb, client) = sandbox(PhoneInLists::Ignored).await;
    client.record_finding(IN_LIST_FINDING, true);
    let finals = send(&client, mix(10)).await;
    assert_eq!(client.finding(IN_LIST_FINDING), Some(false));
    assert_eq!(finals["+31612345678"].0, State::Sent);
    assert_eq!(contacts_with(&sb, "+31612345678"), 1, "no duplicate of Jan");
    assert!(
        finals["+31612345680"]
            .1
            .contains("2 contacts share this number")
    );
}

/// The TUI's lookups ahead of a send: the same answers batched or one by one, and without
/// batching only the first `ALONE_AHEAD_MAX` rows are looked up (the send checks the rest).
#[tokio::test]
async fn lookups_ahead_of_a_send_match_and_stay_bounded_without_batching() {
    use sms_invite::invite::lookups::ALONE_AHEAD_MAX;
    use sms_invite::invite::verdict::{Force, Lookup};
    let (batched_sb, batched) = sandbox(PhoneInLists::Honoured).await;
    let (alone_sb, alone) = sandbox(PhoneInLists::Literal).await;
    let targets = mix(ALONE_AHEAD_MAX);
    let none = BTreeMap::new();
    let a = Lookup::many(&batched, HOLDING, &targets, &none).await;
    let b = Lookup::many(&alone, HOLDING, &targets, &none).await;
    let now = chrono::Utc::now();
    let verdict = |l: &Lookup, t: &Target| {
        l.verdict(t, Force::default(), now)
            .map(|v| v.map(|p| format!("{p:?}")).map_err(|r| r.reason))
    };
    for (i, t) in targets.iter().enumerate().take(ALONE_AHEAD_MAX) {
        assert_eq!(verdict(&a[i], t), verdict(&b[i], t), "{}", t.e164);
    }
    assert!(
        verdict(&a[0], &targets[0]).is_some_and(|v| v.is_ok()),
        "Jan"
    );
    assert!(
        a.iter().all(|l| l.found.is_some()),
        "batched: every row looked up"
    );
    let left = b
        .iter()
        .filter(|l| l.found.is_none() && l.error.is_none())
        .count();
    assert_eq!(
        left,
        targets.len() - ALONE_AHEAD_MAX,
        "the rest is left to the send"
    );
    assert!(
        contact_lookups(&batched_sb) < 20,
        "{}",
        contact_lookups(&batched_sb)
    );
    assert!(contact_lookups(&alone_sb) >= ALONE_AHEAD_MAX);
}
