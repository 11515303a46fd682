//! Looking contacts up by number, many per request.
//!
//! Half of a send's requests used to be lookups, one per contact. The platform's 20 requests a
//! second are per token, and a bot token is often shared with the organization's live bot, so
//! a send looks numbers up in batches: `profile.telephone=[a,b,…]` with both spellings of each
//! number, about 40 contacts a request, matched back to the contacts here. The batches run
//! ahead of the sends as a pipeline (the first one small, so the first contacts do not wait).
//!
//! That in-list form for this field is inferred, not documented. So before relying on it, a
//! session asks once for one known contact's number together with a number that cannot exist,
//! and uses batches only when exactly that contact comes back; a batch answer holding a contact
//! whose number was not asked for also turns batching off. Without batching each contact is
//! looked up on its own, one exact-match request per spelling, as a platform without in-lists
//! still answers correctly.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use tokio::sync::{Notify, Semaphore};

use crate::api::models::PlatformContact;
use crate::api::{ApiError, Client, Query};

/// The name of the probe's finding on the client (see [`Client::finding`]).
pub const IN_LIST_FINDING: &str = "contacts: profile.telephone=[a,b] in-list";
/// Contacts per batched lookup: with two spellings each, about 1.5 KB of URL.
pub const BATCH: usize = 40;
/// Results looked up but not yet taken, at most: the pipeline stays this far ahead.
const AHEAD: usize = 3 * BATCH;
/// A number no contact can have (no country code starts with 999), asked for alongside a real
/// one by the probe.
const NOBODY: &str = "+99999999999999";

/// Whether batched lookups can be trusted in this session, probing once (two requests) when
/// nobody has yet. `Err` says why they are not used, for the log.
pub async fn in_lists_work(client: &Client, org: &str) -> Result<(), String> {
    match client.finding(IN_LIST_FINDING) {
        Some(true) => return Ok(()),
        Some(false) => {
            return Err("an earlier probe in this session found the in-list unreliable".into());
        }
        None => {}
    }
    let q = Query::new().eq("organization", org).limit(20);
    let some: Vec<PlatformContact> = client
        .list_all("contacts", &q, 20)
        .await
        .map_err(|e| format!("listing a contact to probe with failed: {e}"))?;
    let Some((known, tel)) = some
        .iter()
        .find_map(|c| Some((c, c.profile.telephone.clone().filter(|t| !t.is_empty())?)))
    else {
        // Not recorded: another organization may have a contact to probe with.
        return Err("the organization has no contact with a number to probe with".into());
    };
    let asked = [tel.clone(), NOBODY.to_string()];
    let got = client
        .contacts_by_phone(org, &asked)
        .await
        .map_err(|e| format!("the probe's lookup failed: {e}"))?;
    let exact = got.iter().any(|c| c.id == known.id)
        && got
            .iter()
            .all(|c| c.profile.telephone.as_deref() == Some(tel.as_str()));
    client.record_finding(IN_LIST_FINDING, exact);
    if exact {
        tracing::info!("in-list lookups on profile.telephone work; looking numbers up in batches");
        Ok(())
    } else {
        Err(format!(
            "asking for one known number and one that cannot exist returned {} contact(s), not that one contact",
            got.len()
        ))
    }
}

/// One contact's lookup on its own: both spellings in one in-list when in-lists work, else one
/// exact-match request per spelling.
pub async fn look_up_one(
    client: &Client,
    org: &str,
    spellings: &[String],
) -> Result<Vec<PlatformContact>, ApiError> {
    if spellings.len() <= 1 || client.finding(IN_LIST_FINDING) == Some(true) {
        return client.contacts_by_phone(org, spellings).await;
    }
    let mut found: Vec<PlatformContact> = Vec::new();
    for s in spellings {
        for c in client.contacts_by_exact_phone(org, s).await? {
            if !found.iter().any(|f| f.id == c.id) {
                found.push(c);
            }
        }
    }
    Ok(found)
}

/// Rows looked up one by one ahead of a send, at most, when batching is off: a larger list
/// would cost a request per row before anything is sent; the send checks the rest itself.
pub const ALONE_AHEAD_MAX: usize = 300;

/// The contacts of each of `targets` (index, spellings), in order, looked up ahead of a send as
/// the send itself would (in batches when the platform allows). `None` for a contact not
/// looked up: batching is off and it is past [`ALONE_AHEAD_MAX`].
pub async fn look_up_many(
    client: &Client,
    org: &str,
    targets: Vec<(usize, Vec<String>)>,
) -> Vec<Option<Result<Vec<PlatformContact>, ApiError>>> {
    use futures::StreamExt;
    let ahead = Lookahead::start(client.clone(), org.to_string(), targets.clone(), 8);
    let ahead = &ahead;
    futures::stream::iter(targets.into_iter().enumerate())
        .map(|(n, (index, spellings))| async move {
            match ahead.take(index).await {
                Some(found) => Some(Ok(found)),
                None if n < ALONE_AHEAD_MAX => Some(look_up_one(client, org, &spellings).await),
                None => None,
            }
        })
        .buffered(4)
        .collect()
        .await
}

/// The contacts whose stored telephone is one of `spellings`, from a batch's answer.
fn matching(answer: &[PlatformContact], spellings: &[String]) -> Vec<PlatformContact> {
    answer
        .iter()
        .filter(|c| {
            c.profile
                .telephone
                .as_deref()
                .is_some_and(|t| spellings.iter().any(|s| s == t))
        })
        .cloned()
        .collect()
}

/// What the pipeline has for a contact: its contacts, or `None` when the contact must be
/// looked up on its own (batching is off, or its batch failed).
type Outcome = Option<Vec<PlatformContact>>;

struct Shared {
    done: Mutex<HashMap<usize, Outcome>>,
    /// Indexes the pipeline will answer, and has not yet.
    pending: Mutex<HashSet<usize>>,
    ready: Notify,
    room: Semaphore,
}

/// Lookups running ahead of a send. Dropping it stops the pipeline.
pub struct Lookahead {
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Lookahead {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Lookahead {
    /// Starts looking up `wanted` (each contact's index and spellings, in the order the send
    /// will ask), the first `first` in a batch of their own. Every wanted contact must be
    /// [`take`](Lookahead::take)n once, or the pipeline stops when it is [`AHEAD`] ahead.
    pub fn start(
        client: Client,
        org: String,
        wanted: Vec<(usize, Vec<String>)>,
        first: usize,
    ) -> Lookahead {
        let shared = Arc::new(Shared {
            done: Mutex::new(HashMap::new()),
            pending: Mutex::new(wanted.iter().map(|(i, _)| *i).collect()),
            ready: Notify::new(),
            room: Semaphore::new(AHEAD),
        });
        let task = tokio::spawn(pipeline(client, org, wanted, first, shared.clone()));
        Lookahead { shared, task }
    }

    /// Contact `index`'s lookup, waiting for its batch; `None` when it is to be looked up on
    /// its own (see [`look_up_one`]).
    pub async fn take(&self, index: usize) -> Outcome {
        loop {
            let notified = self.shared.ready.notified();
            if let Some(outcome) = lock(&self.shared.done).remove(&index) {
                self.shared.room.add_permits(1);
                return outcome;
            }
            if !lock(&self.shared.pending).contains(&index) || self.task.is_finished() {
                return None;
            }
            notified.await;
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn publish(shared: &Shared, results: Vec<(usize, Outcome)>) {
    {
        let mut done = lock(&shared.done);
        let mut pending = lock(&shared.pending);
        for (i, o) in results {
            pending.remove(&i);
            done.insert(i, o);
        }
    }
    shared.ready.notify_waiters();
}

async fn pipeline(
    client: Client,
    org: String,
    wanted: Vec<(usize, Vec<String>)>,
    first: usize,
    shared: Arc<Shared>,
) {
    let mut batching = match in_lists_work(&client, &org).await {
        Ok(()) => true,
        Err(why) => {
            tracing::info!("looking numbers up one contact at a time: {why}");
            false
        }
    };
    let mut size = first.clamp(1, BATCH);
    // Taken batch by batch, so each batch's spellings are freed once it is looked up (about
    // 14 MB at 100,000 contacts would otherwise stay for the whole run).
    let mut wanted = wanted.into_iter();
    loop {
        let batch: Vec<(usize, Vec<String>)> = wanted.by_ref().take(size).collect();
        if batch.is_empty() {
            break;
        }
        size = BATCH;
        if !batching {
            publish(&shared, batch.iter().map(|(i, _)| (*i, None)).collect());
            continue;
        }
        let Ok(permits) = shared.room.acquire_many(batch.len() as u32).await else {
            return;
        };
        permits.forget();
        let mut asked: Vec<String> = Vec::new();
        for s in batch.iter().flat_map(|(_, s)| s) {
            if !asked.contains(s) {
                asked.push(s.clone());
            }
        }
        let answer = client.contacts_by_phone(&org, &asked).await;
        let results = match answer {
            Ok(answer)
                if answer.iter().all(|c| {
                    c.profile
                        .telephone
                        .as_deref()
                        .is_some_and(|t| asked.iter().any(|a| a == t))
                }) =>
            {
                batch
                    .iter()
                    .map(|(i, s)| (*i, Some(matching(&answer, s))))
                    .collect()
            }
            Ok(answer) => {
                tracing::warn!(
                    "a batched lookup of {} numbers returned {} contact(s), some with numbers not asked for; looking numbers up one contact at a time from here",
                    asked.len(),
                    answer.len()
                );
                client.record_finding(IN_LIST_FINDING, false);
                batching = false;
                batch.iter().map(|(i, _)| (*i, None)).collect()
            }
            // Each contact of a failed batch is looked up on its own, with its own retries and
            // its own error.
            Err(e) => {
                tracing::warn!("a batched lookup failed ({e}); its contacts are looked up alone");
                batch.iter().map(|(i, _)| (*i, None)).collect()
            }
        };
        publish(&shared, results);
    }
}
