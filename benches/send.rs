//! Batch throughput of the send engine against the sandbox: 300 contacts, 20 ms latency and a
//! 100 requests/s limit per token.
//!
//! The goals: wall time within 15% of the floor (requests / rate limit), no failures, at most
//! 1.05 requests per invitation for new and for existing contacts (lookups in batches, one POST
//! each), every invitation delivered exactly once. The mixed scenario adds shared numbers and
//! conversations an agent holds: the same goals for what it sends, and the same verdict for
//! every number as a sandbox that makes the client look each contact up on its own.
//! Run with `cargo bench --bench send`; `-- --sweep` tries a grid of concurrency
//! and client rates instead, and `-- --concurrency N --rate N` overrides the chosen settings.
//! `-- --watch [--minutes N]` measures following instead: the same 300 invitations followed
//! while they are sent and for N minutes after (default 8, in real time: the follower's pace
//! is the shipped one), with a third of the customers coming back at random moments; it prints
//! the follower's share of the requests during the send and its requests minute by minute.
//!
//! A plain binary (no Criterion): one batch already takes seconds, and what matters is the
//! comparison with the floor and the request counts, which a statistics harness cannot give.

use std::collections::{BTreeMap, HashMap};
use std::error::Error;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sms_invite::api::{Client, ClientConfig, Credentials, Secret};
use sms_invite::invite::engine::{Engine, EngineConfig, jobs_for};
use sms_invite::invite::events::{Event, State};
use sms_invite::invite::journal::Journal;
use sms_invite::invite::phone;
use sms_invite::invite::target::Target;
use sms_invite::invite::template::Template;
use sms_invite::invite::verdict::Force;
use sms_invite::sandbox::{PhoneInLists, Sandbox, SandboxConfig};
use tokio_util::sync::CancellationToken;

type Res<T> = Result<T, Box<dyn Error>>;

const HOLDING: &str = "5f0000000000000000000010";
const CONTACTS: usize = 300;
const LATENCY: Duration = Duration::from_millis(20);
const SERVER_RATE: u32 = 100;
const REPS: usize = 3;
/// Chosen from `--sweep` (see the report printed with it): 4 in flight already keep the limiter
/// busy at 20 ms latency; 8 leaves headroom for latency spikes at no cost.
const CONCURRENCY: usize = 8;
/// The server's own rate: the client limiter's burst (rate/5) plus its steady rate stays inside
/// the server's bucket (burst = limit), so this is the fastest setting that can never see a 429
/// however long the batch.
const CLIENT_RATE: u32 = 100;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    New,
    Existing,
    /// 150 existing, 90 new, 30 numbers two contacts share, 30 conversations an agent holds.
    Mixed,
}

/// The mixed batch: how many of its numbers are of each sort (in this order).
const MIX_EXISTING: usize = 150;
const MIX_SHARED: usize = 30;
const MIX_HELD: usize = 30;
const MIX_NEW: usize = CONTACTS - MIX_EXISTING - MIX_SHARED - MIX_HELD;

/// Each number's final state and reason.
type Verdicts = BTreeMap<String, (State, String)>;

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::New => "new",
            Kind::Existing => "existing",
            Kind::Mixed => "mixed",
        }
    }
}

/// One batch's figures, taken from the sandbox's own logs rather than the client's counters,
/// so retries or extra reads the client hides would still show.
#[derive(Clone, Debug)]
struct Measure {
    kind: Kind,
    concurrency: usize,
    client_rate: u32,
    wall: Duration,
    /// Contact lookups plus POSTs (conversations or messages): what each invitation costs.
    invitation_requests: usize,
    /// Everything the sandbox logged for the batch, the organization fetch and 429s included.
    all_requests: usize,
    /// Requests other than lookups, POSTs and the one organization fetch (e.g. a conversation
    /// read that populate should have made unnecessary).
    other_requests: usize,
    rate_limited: usize,
    /// `POST /conversations` answered 201 (a new contact and conversation).
    created: usize,
    /// `POST /conversations/{id}/messages`: the existing contact's own conversation.
    appended: usize,
    sent: usize,
    skipped: usize,
    failed: usize,
    /// Every invitation id delivered exactly its two SMS (welcome and link), to its number.
    exactly_once: bool,
    /// Mixed: every number's verdict equals the one-lookup-per-contact run's.
    same_verdicts: Option<bool>,
}

impl Measure {
    /// The floor counts only requests the server admitted: a 429 is free for the bucket.
    fn floor(&self) -> Duration {
        let admitted = self.invitation_requests;
        Duration::from_secs_f64(admitted as f64 / f64::from(SERVER_RATE))
    }

    fn ratio(&self) -> f64 {
        self.wall.as_secs_f64() / self.floor().as_secs_f64()
    }

    /// Per invitation sent: a number the rules refuse costs its share of a lookup, and no
    /// invitation.
    fn per_invitation(&self) -> f64 {
        self.invitation_requests as f64 / self.sent.max(1) as f64
    }

    fn per_invitation_total(&self) -> f64 {
        self.all_requests as f64 / self.sent.max(1) as f64
    }

    /// The invitations the batch should send: all but the mix's shared and held numbers.
    fn to_send(&self) -> usize {
        match self.kind {
            Kind::New | Kind::Existing => CONTACTS,
            Kind::Mixed => MIX_EXISTING + MIX_NEW,
        }
    }

    /// What the rules refuse in the mix: the held conversations are skipped, and a number two
    /// contacts share fails until the operator names one.
    fn refused(&self) -> (usize, usize) {
        match self.kind {
            Kind::New | Kind::Existing => (0, 0),
            Kind::Mixed => (MIX_HELD, MIX_SHARED),
        }
    }

    fn goals_met(&self) -> bool {
        self.ratio() <= 1.15
            && (self.skipped, self.failed) == self.refused()
            && self.sent == self.to_send()
            && self.rate_limited == 0
            && self.per_invitation() <= 1.05
            && self.exactly_once
            && self.same_verdicts != Some(false)
            && self.took_the_right_path()
    }

    /// The request count would also hold if existing contacts went through the create-upsert
    /// path; the goal is one array POST to the conversation the lookup found.
    fn took_the_right_path(&self) -> bool {
        match self.kind {
            Kind::New => self.created == CONTACTS && self.appended == 0,
            Kind::Existing => self.appended == CONTACTS && self.created == 0,
            Kind::Mixed => self.appended == MIX_EXISTING && self.created == MIX_NEW,
        }
    }
}

fn sandbox_config() -> SandboxConfig {
    let mut c = SandboxConfig::default();
    c.knobs.latency = LATENCY;
    c.knobs.rate_limit = SERVER_RATE;
    c.knobs.behaviour.delay_scale = 0.0;
    c
}

/// A fresh login per batch, as a new CLI invocation would have; the sandbox keys its bucket by
/// token, so no batch inherits a drained bucket from the previous one.
fn client(sandbox: &Sandbox, rate: u32) -> Res<Client> {
    let login = sandbox.bot_login();
    let mut creds = Credentials::new(Secret::new(login.token));
    creds.refresh = Some(Secret::new(login.refresh_token));
    creds.client_id = Some(login.email);
    let mut config = ClientConfig::new(sandbox.base_url())?;
    config.rate_per_sec = rate;
    Ok(Client::new(config, creds)?)
}

/// Dutch mobile numbers outside the seed data's range.
fn targets() -> Res<Vec<Target>> {
    targets_in(0..CONTACTS)
}

fn targets_in(range: std::ops::Range<usize>) -> Res<Vec<Target>> {
    range
        .map(|i| {
            let n = phone::normalize(&format!("+31650{i:06}"), Some("NL"))?;
            Ok(Target::from_phone(&n))
        })
        .collect()
}

fn template() -> Template {
    Template {
        clp_url: "https://clp.acme.example/plan?src=sms".into(),
        ..Template::default()
    }
}

/// Delivered SMS per invitation id.
fn delivered_by_invite(sandbox: &Sandbox) -> HashMap<String, Vec<String>> {
    let mut m: HashMap<String, Vec<String>> = HashMap::new();
    for d in sandbox.deliveries() {
        if d["status"] == "delivered"
            && let Some(id) = d["inviteId"].as_str()
        {
            m.entry(id.to_string())
                .or_default()
                .push(d["to"].as_str().unwrap_or("").to_string());
        }
    }
    m
}

/// One batch of all targets on `sandbox`, the way `sms-invite send --yes --force` runs it
/// (journal included), timed from the engine's start to its summary.
#[allow(clippy::too_many_arguments)]
async fn batch(
    sandbox: &Sandbox,
    data_dir: &Path,
    kind: Kind,
    targets: Vec<Target>,
    force: Force,
    concurrency: usize,
    client_rate: u32,
) -> Res<(Measure, Verdicts)> {
    let client = client(sandbox, client_rate)?;
    let log_start = sandbox.requests().len();
    let org = client.organization(HOLDING).await?;
    let jobs = jobs_for(targets);
    let numbers: HashMap<String, String> = jobs
        .iter()
        .map(|j| (j.invite_id.clone(), j.target.e164.clone()))
        .collect();
    let run_id = format!("bench-{}-{}", kind.label(), rand_suffix());
    let journal = Arc::new(Journal::open(data_dir, &run_id)?);
    let mut config = EngineConfig::new(data_dir.to_path_buf());
    config.concurrency = concurrency;
    config.force = force;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    // Someone has to consume the events, as the printer or the TUI would; it keeps each
    // number's final state, and which invitations went out.
    let drain = tokio::spawn(async move {
        let mut finals = Verdicts::new();
        let mut sent_ids = Vec::new();
        while let Some(e) = rx.recv().await {
            if let Event::Contact(u) = e
                && u.state().is_final()
            {
                if u.state() == State::Sent {
                    sent_ids.extend(u.invite_id.clone());
                }
                finals.insert(u.e164.clone(), (u.state(), u.reason.unwrap_or_default()));
            }
        }
        (finals, sent_ids)
    });
    let engine = Arc::new(Engine::new(
        client,
        org,
        template(),
        config,
        tx,
        CancellationToken::new(),
    ));
    let started = Instant::now();
    let summary = engine.run(&run_id, jobs, Some(journal)).await;
    let wall = started.elapsed();
    let (finals, sent_ids) = drain.await?;

    let log: Vec<Value> = sandbox.requests().split_off(log_start);
    let is = |r: &Value, method: &str, route: &str| r["method"] == method && r["route"] == route;
    let ok = |r: &Value| r["status"].as_u64().is_some_and(|s| s != 429);
    let lookups = log
        .iter()
        .filter(|r| is(r, "GET", "contacts") && ok(r))
        .count();
    let created = log
        .iter()
        .filter(|r| is(r, "POST", "conversations") && r["status"] == 201)
        .count();
    let appended = log
        .iter()
        .filter(|r| is(r, "POST", "conversations/messages") && ok(r))
        .count();
    let posts = log
        .iter()
        .filter(|r| {
            (is(r, "POST", "conversations") || is(r, "POST", "conversations/messages")) && ok(r)
        })
        .count();
    let org_fetches = log.iter().filter(|r| is(r, "GET", "organizations")).count();
    let rate_limited = log.iter().filter(|r| r["status"] == 429).count();
    // Each invitation sent arrived as exactly its two SMS to its number, and nothing arrived
    // for an invitation that was not sent.
    let delivered = delivered_by_invite(sandbox);
    let exactly_once = sent_ids.len() == summary.sent
        && sent_ids.iter().all(|id| {
            delivered
                .get(id)
                .is_some_and(|to| to.len() == 2 && to.iter().all(|t| Some(t) == numbers.get(id)))
        })
        && numbers
            .keys()
            .filter(|id| !sent_ids.contains(id))
            .all(|id| !delivered.contains_key(id));
    let measure = Measure {
        kind,
        concurrency,
        client_rate,
        wall,
        invitation_requests: lookups + posts,
        all_requests: log.len(),
        other_requests: log.len() - lookups - posts - org_fetches - rate_limited,
        rate_limited,
        created,
        appended,
        sent: summary.sent,
        skipped: summary.skipped,
        failed: summary.failed + summary.unknown + summary.not_started,
        exactly_once,
        same_verdicts: None,
    };
    Ok((measure, finals))
}

fn rand_suffix() -> String {
    format!("{:08x}", rand::random::<u32>())
}

/// A fresh sandbox: 300 new contacts, then (if asked) the same 300 again as existing ones.
async fn round(
    concurrency: usize,
    client_rate: u32,
    existing_too: bool,
) -> Res<(Measure, Option<Measure>)> {
    let sandbox = Sandbox::start(sandbox_config()).await?;
    let dir = tempfile::tempdir()?;
    let (new, _) = batch(
        &sandbox,
        dir.path(),
        Kind::New,
        targets()?,
        Force::ALL,
        concurrency,
        client_rate,
    )
    .await?;
    let existing = if existing_too {
        let (m, _) = batch(
            &sandbox,
            dir.path(),
            Kind::Existing,
            targets()?,
            Force::ALL,
            concurrency,
            client_rate,
        )
        .await?;
        Some(m)
    } else {
        None
    };
    Ok((new, existing))
}

/// The verdicts with every platform id (24 hex digits) written as `<id>`.
fn without_ids(v: Verdicts) -> Verdicts {
    let mask = |reason: &str| {
        let mut out = String::new();
        let mut run = String::new();
        for c in reason.chars().chain(std::iter::once(' ')) {
            if c.is_ascii_hexdigit() {
                run.push(c);
                continue;
            }
            out.push_str(if run.len() == 24 { "<id>" } else { &run });
            run.clear();
            out.push(c);
        }
        out.pop();
        out
    };
    v.into_iter()
        .map(|(n, (state, reason))| (n, (state, mask(&reason))))
        .collect()
}

/// The mixed batch on a fresh sandbox whose in-lists behave as `in_lists` says (`Literal`
/// makes the client fall back to one lookup per contact): the first 210 numbers are invited
/// once beforehand (not measured), then 30 of them get a second contact with the number and
/// 30 a conversation an agent has accepted; the batch is those 210 and 90 new numbers, with
/// only the cooldown forced.
async fn mixed_round(
    concurrency: usize,
    client_rate: u32,
    in_lists: PhoneInLists,
) -> Res<(Measure, Verdicts)> {
    let mut config = sandbox_config();
    config.knobs.phone_in_lists = in_lists;
    let sandbox = Sandbox::start(config).await?;
    let dir = tempfile::tempdir()?;
    let known = MIX_EXISTING + MIX_SHARED + MIX_HELD;
    batch(
        &sandbox,
        dir.path(),
        Kind::New,
        targets_in(0..known)?,
        Force::ALL,
        concurrency,
        client_rate,
    )
    .await?;
    let numbers: Vec<String> = targets_in(0..known)?.into_iter().map(|t| t.e164).collect();
    sandbox.with_store(|s| -> Res<()> {
        for (k, e164) in numbers[MIX_EXISTING..].iter().enumerate() {
            let contact = s
                .contacts
                .iter()
                .find(|c| c.pointer("/profile/telephone").and_then(Value::as_str) == Some(e164))
                .cloned()
                .ok_or("the first batch created every contact")?;
            if k < MIX_SHARED {
                let mut twin = contact;
                twin["id"] = json!(format!("5fbe{k:020x}"));
                twin["profile"]["givenName"] = json!("Twin");
                s.contacts.push(twin);
            } else {
                let conv = contact["conversation"].as_str().unwrap_or("").to_string();
                let doc = s
                    .conversations
                    .iter_mut()
                    .find(|c| c["id"] == conv.as_str())
                    .ok_or("each contact has its conversation")?;
                doc["participants"] = json!([{
                    "user": "5ee7372448d9940011151f50",
                    "name": "Anna de Vries",
                    "role": "agent",
                    "organization": HOLDING,
                    "active": true,
                    "accepted": true,
                    "inbox": false
                }]);
            }
        }
        Ok(())
    })?;
    let mut targets = targets_in(0..known)?;
    targets.extend(targets_in(known..CONTACTS)?);
    let cooldown = Force {
        cooldown: true,
        ..Force::default()
    };
    batch(
        &sandbox,
        dir.path(),
        Kind::Mixed,
        targets,
        cooldown,
        concurrency,
        client_rate,
    )
    .await
}

/// The repetition with the median wall time, plus the spread.
fn median(mut reps: Vec<Measure>) -> (Measure, Duration, Duration) {
    reps.sort_by_key(|m| m.wall);
    let min = reps[0].wall;
    let max = reps[reps.len() - 1].wall;
    (reps[reps.len() / 2].clone(), min, max)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn header() {
    println!(
        "{:<9} {:>4} {:>5} {:>9} {:>9} {:>6} {:>7} {:>7} {:>7} {:>9} {:>5} {:>5} {:>6} {:>5}",
        "scenario",
        "conc",
        "rate",
        "wall ms",
        "floor ms",
        "ratio",
        "vs c=1",
        "req/inv",
        "all/inv",
        "new/appd",
        "other",
        "429s",
        "failed",
        "once"
    );
}

fn row(m: &Measure, c1: Option<Duration>) {
    let vs = c1.map_or("-".to_string(), |c| {
        format!("{:.2}x", c.as_secs_f64() / m.wall.as_secs_f64())
    });
    println!(
        "{:<9} {:>4} {:>5} {:>9.0} {:>9.0} {:>6.3} {:>7} {:>7.3} {:>7.3} {:>9} {:>5} {:>5} {:>6} {:>5}",
        m.kind.label(),
        m.concurrency,
        m.client_rate,
        ms(m.wall),
        ms(m.floor()),
        m.ratio(),
        vs,
        m.per_invitation(),
        m.per_invitation_total(),
        format!("{}/{}", m.created, m.appended),
        m.other_requests,
        m.rate_limited,
        m.failed,
        if m.exactly_once { "yes" } else { "NO" }
    );
}

fn json_line(
    scenario: &str,
    m: &Measure,
    spread: Option<(Duration, Duration)>,
    c1: Option<Duration>,
) -> Value {
    let mut v = json!({
        "bench": "send",
        "scenario": scenario,
        "contacts": CONTACTS,
        "latencyMs": LATENCY.as_millis() as u64,
        "serverRate": SERVER_RATE,
        "clientRate": m.client_rate,
        "concurrency": m.concurrency,
        "reps": if spread.is_some() { REPS } else { 1 },
        "wallMs": ms(m.wall).round(),
        "floorMs": ms(m.floor()).round(),
        "wallOverFloor": (m.ratio() * 1000.0).round() / 1000.0,
        "requestsPerInvitation": m.per_invitation(),
        "requestsPerInvitationAll": (m.per_invitation_total() * 1000.0).round() / 1000.0,
        "requests": m.all_requests,
        "rateLimited": m.rate_limited,
        "created": m.created,
        "appended": m.appended,
        "sent": m.sent,
        "skipped": m.skipped,
        "failed": m.failed,
        "sameVerdictsAsOneByOne": m.same_verdicts,
        "exactlyOnce": m.exactly_once,
        "goalsMet": m.goals_met(),
    });
    if let Some((min, max)) = spread {
        v["wallMsMin"] = json!(ms(min).round());
        v["wallMsMax"] = json!(ms(max).round());
    }
    if let Some(c) = c1 {
        v["speedupVsConcurrency1"] =
            json!((c.as_secs_f64() / m.wall.as_secs_f64() * 100.0).round() / 100.0);
    }
    v
}

async fn standard(concurrency: usize, client_rate: u32) -> Res<()> {
    let (mut news, mut existings) = (Vec::new(), Vec::new());
    for _ in 0..REPS {
        let (n, e) = round(concurrency, client_rate, true).await?;
        news.push(n);
        existings.extend(e);
    }
    let (single, _) = round(1, client_rate, false).await?;
    let (mut mixed, batched) =
        mixed_round(concurrency, client_rate, PhoneInLists::Honoured).await?;
    let (one_by_one, alone) = mixed_round(concurrency, client_rate, PhoneInLists::Literal).await?;
    // Two sandboxes give their contacts different ids; the verdicts are compared without them.
    let (batched, alone) = (without_ids(batched), without_ids(alone));
    mixed.same_verdicts = Some(batched == alone && batched.len() == CONTACTS);
    if let Some((n, v)) = batched.iter().find(|(n, v)| alone.get(*n) != Some(v)) {
        println!(
            "first differing verdict: {n}: {v:?} / one by one: {:?}",
            alone.get(n)
        );
    }
    let (new, new_min, new_max) = median(news);
    let (existing, ex_min, ex_max) = median(existings);
    let c1 = Some(single.wall);
    println!(
        "\n{CONTACTS} contacts, sandbox latency {} ms, limit {SERVER_RATE}/s per token; \
         median of {REPS} for new and existing",
        LATENCY.as_millis()
    );
    header();
    row(&new, c1);
    row(&existing, c1);
    row(&mixed, None);
    row(&single, None);
    println!(
        "wall spread: new {:.0}-{:.0} ms, existing {:.0}-{:.0} ms",
        ms(new_min),
        ms(new_max),
        ms(ex_min),
        ms(ex_max)
    );
    println!(
        "mixed: {} sent, {} skipped (held by an agent), {} failed (shared, no contact named); \
         verdicts equal to one lookup per contact: {} (that run: {:.3} requests per invitation)",
        mixed.sent,
        mixed.skipped,
        mixed.failed,
        if mixed.same_verdicts == Some(true) {
            "yes"
        } else {
            "NO"
        },
        one_by_one.per_invitation()
    );
    println!();
    for v in [
        json_line("new", &new, Some((new_min, new_max)), c1),
        json_line("existing", &existing, Some((ex_min, ex_max)), c1),
        json_line("mixed", &mixed, None, None),
        json_line("new-concurrency-1", &single, None, None),
    ] {
        println!("{v}");
    }
    let missed: Vec<&str> = [&new, &existing, &mixed]
        .iter()
        .filter(|m| !m.goals_met())
        .map(|m| m.kind.label())
        .collect();
    if !missed.is_empty() {
        println!("goals missed for: {}", missed.join(", "));
    }
    Ok(())
}

/// One new-contacts batch per setting, to choose the defaults above.
async fn sweep() -> Res<()> {
    header();
    for (concurrency, rate) in [
        (2, 100),
        (4, 100),
        (8, 100),
        (16, 100),
        (8, 90),
        (8, 95),
        (8, 105),
        (8, 110),
        (8, 130),
    ] {
        let (m, _) = round(concurrency, rate, false).await?;
        row(&m, None);
    }
    Ok(())
}

/// Following 300 invitations: while they are sent (its share of the requests must stay under a
/// quarter), then minute by minute (at most 12 a minute once settled).
async fn watch_cost(minutes: u64) -> Res<()> {
    use sms_invite::invite::follow::{FollowConfig, FollowEvent};
    use sms_invite::invite::watching::{self, Plan};
    let sandbox = Sandbox::start(sandbox_config()).await?;
    let dir = tempfile::tempdir()?;
    let client = client(&sandbox, CLIENT_RATE)?;
    let org = client.organization(HOLDING).await?;
    let jobs = jobs_for(targets()?);
    let run_id = format!("bench-watch-{}", rand_suffix());
    let journal = Arc::new(Journal::open(dir.path(), &run_id)?);
    let mut config = EngineConfig::new(dir.path().to_path_buf());
    config.concurrency = CONCURRENCY;
    config.force = sms_invite::invite::verdict::Force::ALL;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (joins_tx, joins_rx) = tokio::sync::mpsc::unbounded_channel();
    let (sending_tx, sending_rx) = tokio::sync::watch::channel(true);
    let (ftx, mut frx) = tokio::sync::mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    let follower = tokio::spawn(watching::follow_run(
        client.clone(),
        journal.clone(),
        FollowConfig {
            client_rate: f64::from(CLIENT_RATE),
            ..FollowConfig::default()
        },
        Plan {
            run: None,
            joins: Some(joins_rx),
            sending: Some(sending_rx),
        },
        ftx,
        cancel.clone(),
    ));
    // Conversations as they are sent, for the customers who will answer.
    let forward = tokio::spawn(async move {
        let mut conversations = Vec::new();
        while let Some(e) = rx.recv().await {
            if let sms_invite::invite::events::Event::Contact(u) = &e
                && let Some(f) = watching::followed_from(u)
            {
                conversations.push(f.conversation.clone());
                let _ = joins_tx.send(f);
            }
        }
        conversations
    });
    let engine = Arc::new(Engine::new(
        client,
        org,
        template(),
        config,
        tx,
        CancellationToken::new(),
    ));
    let log_start = sandbox.requests().len();
    let started = Instant::now();
    let summary = engine.run(&run_id, jobs, Some(journal)).await;
    let send_wall = started.elapsed();
    let _ = sending_tx.send(false);
    let conversations = forward.await?;
    let during: Vec<Value> = sandbox.requests().split_off(log_start);
    let listings = |log: &[Value]| {
        log.iter()
            .filter(|r| r["method"] == "GET" && r["route"] == "messages")
            .count()
    };
    println!(
        "
following {} invitations ({} sent in {:.1} s): during the send the follower made {} of {} requests ({:.1}%, limit 25%)",
        conversations.len(),
        summary.sent,
        send_wall.as_secs_f64(),
        listings(&during),
        during.len(),
        100.0 * listings(&during) as f64 / during.len().max(1) as f64
    );
    // A third of the customers come back at random moments of the first three minutes.
    let answers: Vec<(Duration, String)> = conversations
        .iter()
        .step_by(3)
        .map(|c| {
            (
                Duration::from_millis(rand::random::<u64>() % 180_000),
                c.clone(),
            )
        })
        .collect();
    let expected_back = answers.len();
    let mut answers = answers;
    answers.sort();
    let mut answers: std::collections::VecDeque<_> = answers.into();
    let t0 = Instant::now();
    let mut back = 0;
    let mut minute_start = sandbox.requests().len();
    println!("minute  listings  came back so far");
    for minute in 1..=minutes {
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            let next_answer = answers
                .front()
                .map_or(until, |(at, _)| (t0 + *at).min(until));
            tokio::select! {
                e = frx.recv() => {
                    if let Some(FollowEvent::Update(_)) = e {
                        back += 1;
                    }
                }
                _ = tokio::time::sleep_until(next_answer.into()) => {
                    if Instant::now() >= until {
                        break;
                    }
                    if let Some((_, conv)) = answers.pop_front() {
                        let _ = sandbox.with_store(|s| s.contact_writes(&conv, "web", "on my way"));
                    }
                }
            }
        }
        let log = sandbox.requests();
        let n = listings(&log[minute_start..]);
        minute_start = log.len();
        println!("{minute:>6}  {n:>8}  {back:>5} of {expected_back}");
    }
    cancel.cancel();
    let followed = follower.await?;
    println!(
        "{{\"watch\":true,\"invitations\":{},\"cameBack\":{},\"requests\":{}}}",
        followed.followed, followed.came_back, followed.requests
    );
    Ok(())
}

fn arg_value(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() -> Res<()> {
    // `cargo bench` passes `--bench` (and any filter); only our own flags are looked at.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let concurrency = match arg_value(&args, "--concurrency") {
        Some(v) => v.parse()?,
        None => CONCURRENCY,
    };
    let rate = match arg_value(&args, "--rate") {
        Some(v) => v.parse()?,
        None => CLIENT_RATE,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        if args.iter().any(|a| a == "--sweep") {
            sweep().await
        } else if args.iter().any(|a| a == "--watch") {
            let minutes = match arg_value(&args, "--minutes") {
                Some(v) => v.parse()?,
                None => 8,
            };
            watch_cost(minutes).await
        } else {
            standard(concurrency, rate).await
        }
    })
}
