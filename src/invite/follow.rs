//! Following each invitation past the API: did the customer come back, and did the platform
//! report a problem with the SMS?
//!
//! "Sent" only means the platform accepted the request. What happens next shows up in the
//! contact's conversation: the contact's own messages (`role: "contact"`, `touchpoint: "web"`
//! when they came through the landing page, `"sms"` when they answered the text), and messages
//! the platform writes itself (`type: "status"`), whose wording is not documented and is shown
//! as it is. Our own messages carry `meta.inviteId` and are told apart by it.
//!
//! One listing covers many conversations (`conversation=[…]`), each chunk keeping a cursor
//! (`createdAt=>=`) so a settled poll returns almost nothing. The interval is quick at first and
//! slows down to stay within a fixed number of requests a minute, and while a send is running
//! the follower takes at most a quarter of the client's rate.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::api::models::Message;
use crate::api::{Client, Op, Query};

/// How long to keep following after the last invitation joined, by default.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(30 * 60);
/// Conversation ids per listing: about 2 KB of URL.
pub const CHUNK: usize = 80;
/// Our clock and the platform's may disagree; a listing starts this much before the send.
const CLOCK_MARGIN: chrono::Duration = chrono::Duration::minutes(5);
/// Each listing reaches this far back before the newest message the last one saw.
const OVERLAP: chrono::Duration = chrono::Duration::seconds(30);
/// At most this many messages are read per chunk and poll (a conversation in a busy chat).
const PAGE_CAP: usize = 2_000;

/// How the customer came back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    /// Through the landing page the link opened.
    Link,
    /// By answering the SMS.
    Sms,
    /// Some other way into the same conversation (another touchpoint).
    Other,
}

impl Via {
    fn of(touchpoint: Option<&str>) -> Via {
        match touchpoint {
            Some("web") => Via::Link,
            Some("sms") => Via::Sms,
            _ => Via::Other,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Via::Link => "via the link",
            Via::Sms => "by SMS",
            Via::Other => "in the conversation",
        }
    }
}

/// Something the conversation says about an invitation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "sign", rename_all = "camelCase")]
pub enum Sign {
    /// The contact wrote into the conversation after the invitation.
    #[serde(rename_all = "camelCase")]
    CameBack {
        via: Via,
        at: DateTime<Utc>,
        message: String,
    },
    /// The platform wrote a status message (an SMS it could not deliver, say); its text as is.
    #[serde(rename_all = "camelCase")]
    Problem {
        text: String,
        at: DateTime<Utc>,
        message: String,
    },
}

impl Sign {
    pub fn message_id(&self) -> &str {
        match self {
            Sign::CameBack { message, .. } | Sign::Problem { message, .. } => message,
        }
    }

    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Sign::CameBack { at, .. } | Sign::Problem { at, .. } => *at,
        }
    }
}

/// A sent invitation to follow.
#[derive(Clone, Debug)]
pub struct Followed {
    pub index: usize,
    pub e164: String,
    pub conversation: String,
    pub invite_id: String,
    /// When this machine recorded it as sent.
    pub sent_at: DateTime<Utc>,
}

/// A change for one contact, with how long after the invitation it came.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FollowUpdate {
    pub index: usize,
    pub e164: String,
    pub sign: Sign,
    /// Since the invitation reached the platform (its own time when it was seen).
    pub after: Duration,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FollowEvent {
    Update(FollowUpdate),
    /// A listing failed; following goes on at the next poll.
    Trouble(String),
    /// A poll finished: requests so far, and when the next one is due.
    Polled {
        requests: u64,
        next_in: Duration,
    },
    Ended(FollowSummary),
}

/// Why following stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Ending {
    EveryoneBack,
    WindowClosed,
    Cancelled,
}

/// Where a run's invitations stand.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowSummary {
    pub followed: usize,
    pub came_back: usize,
    pub via_link: usize,
    pub via_sms: usize,
    /// Not back, with a problem reported by the platform.
    pub problems: usize,
    /// Not back, and nothing reported.
    pub no_answer: usize,
    /// Median time from the invitation to coming back.
    #[serde(rename = "medianSecs", serialize_with = "secs")]
    pub median_after: Option<Duration>,
    pub requests: u64,
    pub ending: Option<Ending>,
}

fn secs<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_u64(d.as_secs()),
        None => s.serialize_none(),
    }
}

impl FollowSummary {
    /// 0 when everyone came back, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.came_back < self.followed)
    }

    /// "7 of 10 came back, median 4 min; 1 problem; 2 no answer yet".
    pub fn line(&self) -> String {
        let mut s = format!("{} of {} came back", self.came_back, self.followed);
        if let Some(m) = self.median_after {
            s.push_str(&format!(", median {}", human(m)));
        }
        if self.problems > 0 {
            s.push_str(&format!("; {} with a problem reported", self.problems));
        }
        if self.no_answer > 0 {
            s.push_str(&format!("; {} no answer yet", self.no_answer));
        }
        s
    }
}

/// "45 s", "4 min", "2 h 5 min".
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// Where one followed invitation stands, as a row shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing from the customer or the platform yet.
    NoAnswer,
    CameBack {
        via: Via,
        after: Duration,
    },
    /// The platform reported a problem (its text as is) and the customer has not come back.
    Problem {
        text: String,
    },
}

impl Outcome {
    /// "came back via the link after 4 min", "platform: <text>", "no answer yet".
    pub fn label(&self) -> String {
        match self {
            Outcome::NoAnswer => "no answer yet".to_string(),
            Outcome::CameBack { via, after } => {
                format!("came back {} after {}", via.label(), human(*after))
            }
            Outcome::Problem { text } => format!("platform: {text}"),
        }
    }

    /// A short word for a state column: "back", "problem", "waiting".
    pub fn word(&self) -> &'static str {
        match self {
            Outcome::NoAnswer => "waiting",
            Outcome::CameBack { .. } => "back",
            Outcome::Problem { .. } => "problem",
        }
    }
}

/// What is known of each followed contact, and the summary made of it.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    contacts: BTreeMap<usize, Known>,
}

#[derive(Clone, Debug, Default)]
struct Known {
    came_back: Option<(Via, Duration)>,
    /// The newest status message's text.
    problem: Option<String>,
    seen: HashSet<String>,
}

impl Ledger {
    pub fn follow(&mut self, index: usize) {
        self.contacts.entry(index).or_default();
    }

    /// Takes a sign in; false when it was known already (a resumed watch, a repeated page).
    pub fn record(&mut self, index: usize, sign: &Sign, after: Duration) -> bool {
        let k = self.contacts.entry(index).or_default();
        if !k.seen.insert(sign.message_id().to_string()) {
            return false;
        }
        match sign {
            Sign::CameBack { via, .. } => {
                if k.came_back.is_some() {
                    return false;
                }
                k.came_back = Some((*via, after));
            }
            Sign::Problem { text, .. } => k.problem = Some(text.clone()),
        }
        true
    }

    /// Where contact `index` stands; `None` when it is not followed.
    pub fn outcome(&self, index: usize) -> Option<Outcome> {
        let k = self.contacts.get(&index)?;
        Some(match (&k.came_back, &k.problem) {
            (Some((via, after)), _) => Outcome::CameBack {
                via: *via,
                after: *after,
            },
            (None, Some(text)) => Outcome::Problem { text: text.clone() },
            (None, None) => Outcome::NoAnswer,
        })
    }

    /// Whether any contact is followed.
    pub fn is_empty(&self) -> bool {
        self.contacts.is_empty()
    }

    pub fn came_back(&self, index: usize) -> bool {
        self.contacts
            .get(&index)
            .is_some_and(|k| k.came_back.is_some())
    }

    pub fn summary(&self) -> FollowSummary {
        let mut s = FollowSummary {
            followed: self.contacts.len(),
            ..FollowSummary::default()
        };
        let mut afters = Vec::new();
        for k in self.contacts.values() {
            match k.came_back {
                Some((via, after)) => {
                    s.came_back += 1;
                    match via {
                        Via::Link => s.via_link += 1,
                        Via::Sms => s.via_sms += 1,
                        Via::Other => {}
                    }
                    afters.push(after);
                }
                None if k.problem.is_some() => s.problems += 1,
                None => s.no_answer += 1,
            }
        }
        afters.sort();
        s.median_after = afters.get(afters.len().saturating_sub(1) / 2).copied();
        s
    }
}

/// The signs in one conversation's messages for the invitation `invite_id`: the contact's
/// messages and the platform's status messages written after it. The invitation's own time is
/// the platform's (its first message), when the listing has it, else `fallback`.
pub fn signs_in(
    messages: &[&Message],
    invite_id: &str,
    fallback: DateTime<Utc>,
) -> (DateTime<Utc>, Vec<Sign>) {
    let at = |m: &Message| {
        m.created_at
            .as_deref()
            .and_then(|t| t.parse::<DateTime<Utc>>().ok())
    };
    let ours = |m: &Message| m.meta.get("inviteId").and_then(|v| v.as_str()) == Some(invite_id);
    let start = messages
        .iter()
        .filter(|m| ours(m))
        .filter_map(|m| at(m))
        .min()
        .unwrap_or(fallback);
    let mut signs = Vec::new();
    for m in messages {
        let Some(when) = at(m) else { continue };
        if when < start || m.meta.contains_key("inviteId") {
            continue;
        }
        if m.role.as_deref() == Some("contact") {
            signs.push(Sign::CameBack {
                via: Via::of(m.touchpoint.as_deref()),
                at: when,
                message: m.id.clone(),
            });
        } else if m.kind.as_deref() == Some("status") {
            signs.push(Sign::Problem {
                text: m.text.clone(),
                at: when,
                message: m.id.clone(),
            });
        }
    }
    signs.sort_by_key(Sign::at);
    (start, signs)
}

/// How often to poll: quick while invitations are fresh, then no more than
/// `settled_per_minute` requests a minute for the chunks being followed.
#[derive(Clone, Debug)]
pub struct Pace {
    pub quick: Duration,
    pub quick_for: Duration,
    pub settled_min: Duration,
    pub settled_per_minute: u32,
}

impl Default for Pace {
    fn default() -> Self {
        Pace {
            quick: Duration::from_secs(3),
            quick_for: Duration::from_secs(5 * 60),
            settled_min: Duration::from_secs(15),
            settled_per_minute: 12,
        }
    }
}

impl Pace {
    /// The wait before the next poll of `chunks` chunks, `fresh` after the newest invitation.
    pub fn interval(&self, chunks: usize, fresh: Duration) -> Duration {
        let budget = Duration::from_secs_f64(
            60.0 * chunks.max(1) as f64 / f64::from(self.settled_per_minute.max(1)),
        );
        if fresh < self.quick_for {
            self.quick.max(budget / 4)
        } else {
            self.settled_min.max(budget)
        }
    }
}

/// The settings of one follower.
#[derive(Clone, Debug)]
pub struct FollowConfig {
    /// Follow this long after the last invitation joined.
    pub window: Duration,
    pub pace: Pace,
    pub chunk: usize,
    /// The client's requests per second; while a send runs the follower uses a quarter.
    pub client_rate: f64,
}

impl Default for FollowConfig {
    fn default() -> Self {
        FollowConfig {
            window: DEFAULT_WINDOW,
            pace: Pace::default(),
            chunk: CHUNK,
            client_rate: 15.0,
        }
    }
}

struct Chunk {
    members: Vec<Followed>,
    /// The listing starts here; it moves to the newest message seen.
    cursor: DateTime<Utc>,
}

/// What a follower starts from. `known` holds what an earlier follower recorded (a resumed
/// watch), so nothing is reported twice. Invitations join through `joins` while a send goes
/// on; `sending` says whether one runs (the follower then keeps to a quarter of the client's
/// rate).
pub struct Follower {
    pub client: Client,
    pub config: FollowConfig,
    pub initial: Vec<Followed>,
    pub known: Vec<(usize, Sign, Duration)>,
    pub joins: Option<mpsc::UnboundedReceiver<Followed>>,
    pub sending: Option<watch::Receiver<bool>>,
}

impl Follower {
    pub fn new(client: Client, config: FollowConfig, initial: Vec<Followed>) -> Follower {
        Follower {
            client,
            config,
            initial,
            known: Vec::new(),
            joins: None,
            sending: None,
        }
    }
}

/// Follows invitations until everyone came back, the window closes or it is cancelled.
pub async fn follow(
    follower: Follower,
    events: mpsc::UnboundedSender<FollowEvent>,
    cancel: CancellationToken,
) -> FollowSummary {
    let Follower {
        client,
        config,
        initial,
        known,
        mut joins,
        sending,
    } = follower;
    let mut ledger = Ledger::default();
    for f in &initial {
        ledger.follow(f.index);
    }
    for (index, sign, after) in &known {
        ledger.record(*index, sign, *after);
    }
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut last_join = tokio::time::Instant::now();
    for f in initial {
        if !ledger.came_back(f.index) {
            join(&mut chunks, f, config.chunk);
        }
    }
    // Its own listings, counted here: the client may be shared with a send whose requests
    // are not following's.
    let mut requests: u64 = 0;
    let mut last_request: Option<tokio::time::Instant> = None;
    let ending = loop {
        // Invitations sent since the last poll join first.
        if let Some(rx) = joins.as_mut() {
            loop {
                match rx.try_recv() {
                    Ok(f) => {
                        ledger.follow(f.index);
                        last_join = tokio::time::Instant::now();
                        join(&mut chunks, f, config.chunk);
                    }
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => {
                        joins = None;
                        break;
                    }
                }
            }
        }
        chunks.retain(|c| !c.members.is_empty());
        if chunks.is_empty() && joins.is_none() {
            break Ending::EveryoneBack;
        }
        if last_join.elapsed() >= config.window {
            break Ending::WindowClosed;
        }
        for chunk in &mut chunks {
            if cancel.is_cancelled() {
                break;
            }
            // While a send runs, keep to a quarter of the client's rate.
            if sending.as_ref().is_some_and(|s| *s.borrow())
                && let Some(prev) = last_request
            {
                let spacing = Duration::from_secs_f64(4.0 / config.client_rate.max(0.1));
                tokio::time::sleep_until(prev + spacing).await;
            }
            last_request = Some(tokio::time::Instant::now());
            requests += 1;
            match poll(&client, chunk).await {
                Ok((found, pages)) => {
                    requests += pages.saturating_sub(1);
                    for (f, sign, after) in found {
                        if ledger.record(f.index, &sign, after) {
                            let _ = events.send(FollowEvent::Update(FollowUpdate {
                                index: f.index,
                                e164: f.e164.clone(),
                                sign,
                                after,
                            }));
                        }
                    }
                    chunk.members.retain(|m| !ledger.came_back(m.index));
                }
                Err(e) => {
                    let _ = events.send(FollowEvent::Trouble(e));
                }
            }
        }
        let live = chunks.iter().filter(|c| !c.members.is_empty()).count();
        let next_in = config.pace.interval(live, last_join.elapsed());
        let _ = events.send(FollowEvent::Polled { requests, next_in });
        // Invitations that join meanwhile wait for the next poll: a send joins one after
        // another, and a poll for each would cost a listing per invitation.
        let due = tokio::time::Instant::now() + next_in;
        let cancelled = loop {
            let woke = tokio::select! {
                _ = cancel.cancelled() => Woke::Cancelled,
                _ = tokio::time::sleep_until(due) => Woke::Due,
                f = next_join(&mut joins), if joins.is_some() => Woke::Joined(f),
            };
            match woke {
                Woke::Cancelled => break true,
                Woke::Due => break false,
                Woke::Joined(Some(f)) => {
                    ledger.follow(f.index);
                    last_join = tokio::time::Instant::now();
                    join(&mut chunks, f, config.chunk);
                }
                Woke::Joined(None) => {
                    joins = None;
                    // The send is over: with nobody left to follow, end now.
                    if chunks.iter().all(|c| c.members.is_empty()) {
                        break false;
                    }
                }
            }
        };
        if cancelled {
            break Ending::Cancelled;
        }
    };
    let mut summary = ledger.summary();
    summary.requests = requests;
    summary.ending = Some(ending);
    let _ = events.send(FollowEvent::Ended(summary.clone()));
    summary
}

/// What ended a wait between polls.
enum Woke {
    Cancelled,
    Due,
    Joined(Option<Followed>),
}

/// The next joining invitation, or never when nothing more can join.
async fn next_join(joins: &mut Option<mpsc::UnboundedReceiver<Followed>>) -> Option<Followed> {
    match joins.as_mut() {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Puts an invitation in the last chunk with room, its cursor moved back to cover it.
fn join(chunks: &mut Vec<Chunk>, f: Followed, size: usize) {
    let from = f.sent_at - CLOCK_MARGIN;
    match chunks.last_mut() {
        Some(c) if c.members.len() < size.max(1) => {
            c.cursor = c.cursor.min(from);
            c.members.push(f);
        }
        _ => chunks.push(Chunk {
            members: vec![f],
            cursor: from,
        }),
    }
}

/// One listing for a chunk: the signs per member, with how long after its invitation each came.
/// Listing size; more messages than this take further pages.
const PAGE: usize = 500;

/// One chunk's listing: the signs it found, and how many pages it read.
async fn poll(
    client: &Client,
    chunk: &mut Chunk,
) -> Result<(Vec<(Followed, Sign, Duration)>, u64), String> {
    let ids: Vec<&str> = chunk
        .members
        .iter()
        .map(|m| m.conversation.as_str())
        .collect();
    let q = Query::new()
        .any_of("conversation", &ids)
        .op(
            "createdAt",
            Op::Gte,
            chunk
                .cursor
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        )
        .sort("createdAt")
        .limit(PAGE);
    let messages = client
        .messages(&q, PAGE_CAP)
        .await
        .map_err(|e| format!("following the conversations: {e} ({})", e.hint()))?;
    let mut by_conv: HashMap<&str, Vec<&Message>> = HashMap::new();
    for m in &messages {
        if let Some(c) = m.conversation.as_deref() {
            by_conv.entry(c).or_default().push(m);
        }
    }
    let mut out = Vec::new();
    for member in &chunk.members {
        let list = by_conv
            .get(member.conversation.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        let (start, signs) = signs_in(list, &member.invite_id, member.sent_at);
        for sign in signs {
            let after = (sign.at() - start).to_std().unwrap_or_default();
            out.push((member.clone(), sign, after));
        }
    }
    // The next listing starts a little before the newest message seen, so a message the
    // platform stores late is not skipped; those read again are recognised by id.
    if messages.len() < PAGE_CAP
        && let Some(newest) = messages
            .iter()
            .filter_map(|m| m.created_at.as_deref()?.parse::<DateTime<Utc>>().ok())
            .max()
    {
        chunk.cursor = chunk.cursor.max(newest - OVERLAP);
    }
    Ok((out, messages.len().div_ceil(PAGE).max(1) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msg(v: serde_json::Value) -> Message {
        serde_json::from_value(v).expect("message")
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().expect("time")
    }

    #[test]
    fn the_contacts_messages_after_the_invitation_are_signs_ours_and_earlier_ones_are_not() {
        let list = [
            msg(
                json!({"id": "a", "role": "contact", "touchpoint": "sms", "text": "old", "createdAt": "2026-12-01T09:00:00Z"}),
            ),
            msg(
                json!({"id": "b", "role": "agent", "text": "Hi", "meta": {"inviteId": "inv"}, "createdAt": "2026-12-01T10:00:00Z"}),
            ),
            msg(
                json!({"id": "c", "type": "status", "role": "system", "text": "SMS to +316 could not be delivered", "createdAt": "2026-12-01T10:00:02Z"}),
            ),
            msg(
                json!({"id": "d", "role": "contact", "touchpoint": "web", "text": "back", "createdAt": "2026-12-01T10:04:00Z"}),
            ),
            msg(
                json!({"id": "e", "role": "agent", "text": "later invite", "meta": {"inviteId": "other"}, "createdAt": "2026-12-01T10:05:00Z"}),
            ),
            msg(
                json!({"id": "f", "role": "agent", "text": "a person answers", "createdAt": "2026-12-01T10:06:00Z"}),
            ),
        ];
        let refs: Vec<&Message> = list.iter().collect();
        let (start, signs) = signs_in(&refs, "inv", t("2026-12-01T09:59:59Z"));
        assert_eq!(start, t("2026-12-01T10:00:00Z"), "the platform's own time");
        assert_eq!(
            signs,
            vec![
                Sign::Problem {
                    text: "SMS to +316 could not be delivered".into(),
                    at: t("2026-12-01T10:00:02Z"),
                    message: "c".into()
                },
                Sign::CameBack {
                    via: Via::Link,
                    at: t("2026-12-01T10:04:00Z"),
                    message: "d".into()
                },
            ]
        );
    }

    #[test]
    fn without_our_message_in_the_listing_the_recorded_send_time_counts() {
        let list = [msg(
            json!({"id": "a", "role": "contact", "touchpoint": "sms", "text": "yes", "createdAt": "2026-12-01T10:01:00Z"}),
        )];
        let refs: Vec<&Message> = list.iter().collect();
        let (_, signs) = signs_in(&refs, "inv", t("2026-12-01T10:00:00Z"));
        assert!(matches!(signs[0], Sign::CameBack { via: Via::Sms, .. }));
        let (_, none) = signs_in(&refs, "inv", t("2026-12-01T10:02:00Z"));
        assert!(none.is_empty(), "before the invitation");
    }

    #[test]
    fn the_ledger_reports_each_sign_once_and_summarises() {
        let mut l = Ledger::default();
        for i in 0..4 {
            l.follow(i);
        }
        let back = |m: &str, via| Sign::CameBack {
            via,
            at: Utc::now(),
            message: m.into(),
        };
        assert!(l.record(0, &back("m0", Via::Link), Duration::from_secs(240)));
        assert!(!l.record(0, &back("m0", Via::Link), Duration::from_secs(240)));
        assert!(
            !l.record(0, &back("m0b", Via::Sms), Duration::from_secs(300)),
            "the first return counts"
        );
        assert!(l.record(1, &back("m1", Via::Sms), Duration::from_secs(60)));
        let problem = Sign::Problem {
            text: "x".into(),
            at: Utc::now(),
            message: "p2".into(),
        };
        assert!(l.record(2, &problem, Duration::ZERO));
        let s = l.summary();
        assert_eq!(
            (
                s.followed,
                s.came_back,
                s.via_link,
                s.via_sms,
                s.problems,
                s.no_answer
            ),
            (4, 2, 1, 1, 1, 1)
        );
        assert_eq!(s.median_after, Some(Duration::from_secs(60)));
        assert_eq!(s.exit_code(), 1);
        assert_eq!(
            s.line(),
            "2 of 4 came back, median 1 min; 1 with a problem reported; 1 no answer yet"
        );
    }

    #[test]
    fn the_pace_is_quick_at_first_then_keeps_within_the_budget() {
        let p = Pace::default();
        assert_eq!(p.interval(1, Duration::ZERO), Duration::from_secs(3));
        assert_eq!(
            p.interval(1, Duration::from_secs(600)),
            Duration::from_secs(15)
        );
        // 300 invitations in chunks of 80: four listings a poll, at most 12 a minute.
        let settled = p.interval(4, Duration::from_secs(600));
        assert!(4.0 * 60.0 / settled.as_secs_f64() <= 12.0, "{settled:?}");
        let quick = p.interval(4, Duration::ZERO);
        assert!(4.0 * 60.0 / quick.as_secs_f64() <= 48.0, "{quick:?}");
    }

    #[test]
    fn chunks_fill_up_and_their_cursor_covers_every_member() {
        let mut chunks = Vec::new();
        for i in 0..5 {
            join(
                &mut chunks,
                Followed {
                    index: i,
                    e164: format!("+3161234567{i}"),
                    conversation: format!("c{i}"),
                    invite_id: format!("i{i}"),
                    sent_at: t("2026-12-01T10:00:00Z") + chrono::Duration::minutes(i as i64),
                },
                2,
            );
        }
        let sizes: Vec<usize> = chunks.iter().map(|c| c.members.len()).collect();
        assert_eq!(sizes, vec![2, 2, 1]);
        assert_eq!(chunks[1].cursor, t("2026-12-01T09:57:00Z"));
    }
}
