//! The send engine: invitations for a list of contacts, several contacts at a time, each as
//! one ordered chain of requests (docs/invitation.md), with every step reported as an [`Event`] and
//! journalled so nothing is lost or sent twice.
//!
//! Per contact: look the number up in both spellings (with the conversation populated, so an
//! existing contact costs no extra request); an existing contact gets the message array posted
//! to its conversation, unless a person holds that conversation; a new contact is created with
//! the same array. A POST whose outcome is unknown is reconciled by its invite id before any
//! resend.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::StreamExt;
use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::claims;
use super::cooldown::{self, LastInvite};
use super::events::{ContactUpdate, Event, Preview, SmsFigures, State, Summary};
use super::journal::{Journal, JournalError, StoredRun};
use super::lookups::{self, Lookahead};
use super::seen_on_platform::{self, SeenOnPlatform};
use super::segments;
use super::target::Target;
use super::template::{RenderError, Template};
use super::verdict::{self, Force, Pick, Refusal};
use super::wire;
use crate::api::client::Subscription;
use crate::api::models::{Organization, PlatformContact, Profile};
use crate::api::{ApiError, Client, ClientEvent, ErrorKind, Query};

#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Contacts in flight at once (each is one sequential chain of requests).
    pub concurrency: usize,
    /// Skips overridden for every contact of the run (`--force`); a contact's own
    /// [`Target::force`] adds to it.
    pub force: Force,
    /// Look up and render, but write nothing (no POST, no journal).
    pub dry_run: bool,
    /// A contact invited with the same template this recently is skipped.
    pub cooldown: Duration,
    pub data_dir: PathBuf,
    /// Resends after an uncertain POST that reconciling proved did not arrive.
    pub max_resends: u32,
    /// Announce every job as queued before the first is started. A front end that already
    /// shows a fresh run's contacts as queued turns this off: for 100,000 contacts those
    /// events alone took some 40 MB while they waited to be read.
    pub announce_queued: bool,
}

impl EngineConfig {
    pub fn new(data_dir: PathBuf) -> Self {
        EngineConfig {
            concurrency: 4,
            force: Force::default(),
            dry_run: false,
            cooldown: cooldown::DEFAULT,
            data_dir,
            max_resends: 2,
            announce_queued: true,
        }
    }
}

/// One contact to invite.
#[derive(Clone, Debug)]
pub struct Job {
    pub index: usize,
    pub target: Target,
    /// Carried by every message of the invitation (`meta.inviteId`).
    pub invite_id: String,
    /// A previous attempt may have reached the platform: reconcile before sending.
    pub check_first: bool,
}

pub fn new_invite_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Jobs for a fresh run.
pub fn jobs_for(targets: impl IntoIterator<Item = Target>) -> Vec<Job> {
    targets
        .into_iter()
        .enumerate()
        .map(|(index, target)| Job {
            index,
            target,
            invite_id: new_invite_id(),
            check_first: false,
        })
        .collect()
}

/// Jobs to resume a stored run: everything not sent or skipped, each keeping its invite id so
/// an invitation that may have arrived is found rather than sent again.
pub fn jobs_for_resume(run: &StoredRun) -> Vec<Job> {
    run.contacts
        .iter()
        .filter(|c| !c.state.is_done())
        .map(|c| Job {
            index: c.index,
            target: c.target.clone(),
            invite_id: if c.invite_id.is_empty() {
                new_invite_id()
            } else {
                c.invite_id.clone()
            },
            check_first: matches!(c.state, State::Sending | State::Unknown),
        })
        .collect()
}

/// Jobs for the next attempt of a stored run with `targets` chosen on a confirm screen (the
/// TUI's retry): a contact the run already has keeps its index and invite id (so an uncertain
/// one is checked first); a new one (each of several platform contacts sharing a phone) gets
/// the next index. `run` must be read under the run's lock: a target that is sent or skipped
/// by then was finished by another process while the screen was open, and is left out rather
/// than sent again. The second value lists the jobs whose target the journal does not have
/// yet (new, or its chosen platform contact changed).
pub fn jobs_for_attempt(run: &StoredRun, targets: Vec<Target>) -> (Vec<Job>, Vec<usize>) {
    let mut next = run.next_index();
    let mut jobs = Vec::with_capacity(targets.len());
    let mut changed = Vec::new();
    for t in targets {
        let same = |c: &&super::journal::StoredContact| {
            c.target.e164 == t.e164 && c.target.contact_id == t.contact_id
        };
        if run.contacts.iter().filter(same).any(|c| c.state.is_done()) {
            tracing::info!(run = %run.header.run, index = ?run.contacts.iter().find(same).map(|c| c.index), "left out: finished by another process");
            continue;
        }
        let known = run.contacts.iter().find(|c| !c.state.is_done() && same(c));
        let job = match known {
            Some(c) => Job {
                index: c.index,
                invite_id: if c.invite_id.is_empty() {
                    new_invite_id()
                } else {
                    c.invite_id.clone()
                },
                check_first: matches!(c.state, State::Sending | State::Unknown),
                target: t,
            },
            None => {
                next += 1;
                Job {
                    index: next - 1,
                    invite_id: new_invite_id(),
                    check_first: false,
                    target: t,
                }
            }
        };
        if known.is_none_or(|c| c.target != job.target || c.invite_id != job.invite_id) {
            changed.push(jobs.len());
        }
        jobs.push(job);
    }
    (jobs, changed)
}

pub struct Engine {
    client: Client,
    org: Organization,
    template: Template,
    config: EngineConfig,
    events: UnboundedSender<Event>,
    cancel: CancellationToken,
    /// Why the engine stopped the run itself (authentication failed).
    halted: std::sync::Mutex<Option<String>>,
    /// Which numbers other runs on this machine are inviting.
    claims: claims::Ledger,
    /// Stops waiting on contacts in flight at once (a second Ctrl-C): they end as unknown,
    /// which a resume checks before anything is sent again.
    abort: CancellationToken,
}

/// How to deliver one invitation.
enum Plan {
    New(Value),
    Existing { conversation: String },
}

enum Found {
    Yes { conversation: Option<String> },
    No,
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

fn figures(text: &str) -> SmsFigures {
    let info = segments::analyze(text);
    SmsFigures {
        chars: info.chars,
        encoding: match info.encoding {
            segments::Encoding::Gsm7 => "GSM-7".into(),
            segments::Encoding::Ucs2 => "UCS-2".into(),
        },
        segments: info.segments,
        forced_ucs2_by: info.non_gsm,
    }
}

fn describe_error(e: &ApiError) -> String {
    format!("{e} ({})", e.hint())
}

impl Engine {
    pub fn new(
        client: Client,
        org: Organization,
        template: Template,
        config: EngineConfig,
        events: UnboundedSender<Event>,
        cancel: CancellationToken,
    ) -> Engine {
        let claims = claims::Ledger::new(&config.data_dir);
        Engine {
            client,
            org,
            template,
            config,
            events,
            cancel,
            halted: std::sync::Mutex::new(None),
            claims,
            abort: CancellationToken::new(),
        }
    }

    /// The token that abandons the contacts in flight (see the `abort` field).
    pub fn abort_token(&self) -> CancellationToken {
        self.abort.clone()
    }

    /// The client's rate-limit, retry and renewal notices as this run's events, for as long
    /// as the returned subscription lives (the run).
    fn forward_client_notices(&self) -> Subscription {
        let tx = self.events.clone();
        self.client.subscribe(move |e| {
            let event = match e {
                ClientEvent::RateLimited { wait } => Event::RateLimited {
                    wait_ms: wait.as_millis() as u64,
                },
                ClientEvent::TokenRefreshed => Event::Notice {
                    message: "access token renewed".into(),
                },
                ClientEvent::Retrying {
                    attempt,
                    wait,
                    reason,
                } => Event::Notice {
                    message: format!("retry {attempt} in {} ms: {reason}", wait.as_millis()),
                },
            };
            let _ = tx.send(event);
        })
    }

    /// An error as a reason. An authentication failure also stops the run: every later request
    /// would fail the same way, so the rest is left not started, to resume after signing in.
    fn describe(&self, e: &ApiError) -> String {
        if e.is_auth() {
            self.halt(format!(
                "authentication failed ({}); sign in again and resume the run",
                e.message
            ));
        }
        describe_error(e)
    }

    /// Stops the run from starting anything more, with why (the first reason wins).
    fn halt(&self, why: String) {
        if let Ok(mut h) = self.halted.lock()
            && h.is_none()
        {
            tracing::error!("run stopped: {why}");
            *h = Some(why);
        }
        self.cancel.cancel();
    }

    /// A journal that cannot be written stops the run: a send it could not record would be
    /// sent again by a resume.
    fn journal_failed(&self, e: &JournalError) {
        self.halt(format!(
            "the run journal cannot be written ({e}); stopped before the next send. Free space or fix the folder, then resume the run: anything uncertain is checked before it is sent again"
        ));
    }

    /// Why a contact was not started: the reason the run stopped, or the operator's cancel.
    fn halted_reason(&self) -> String {
        self.halted
            .lock()
            .ok()
            .and_then(|h| h.clone())
            .unwrap_or_else(|| "cancelled before it started; resume the run to send it".into())
    }

    fn emit(&self, e: Event) {
        let _ = self.events.send(e);
    }

    /// Journals and reports a contact's new state; false when the journal could not take it
    /// (the run is then stopped).
    fn update(&self, journal: Option<&Journal>, u: &ContactUpdate) -> bool {
        let recorded = match journal {
            Some(j) => match j.update(&self.org.id, &self.template.template_hash(), u) {
                Ok(()) => true,
                Err(e) => {
                    self.journal_failed(&e);
                    false
                }
            },
            None => true,
        };
        self.emit(Event::Contact(Box::new(u.clone())));
        recorded
    }

    /// Runs the jobs and returns the totals; `journal` is `None` for a dry run.
    pub async fn run(
        self: Arc<Self>,
        run_id: &str,
        jobs: Vec<Job>,
        journal: Option<Arc<Journal>>,
    ) -> Summary {
        let started = Instant::now();
        let requests_before = self.client.requests_sent();
        let notices = self.forward_client_notices();
        self.emit(Event::Started {
            run_id: run_id.to_string(),
            org_id: self.org.id.clone(),
            org_name: self.org.label().to_string(),
            total: jobs.len(),
            dry_run: self.config.dry_run,
        });
        let recent = if self.config.force.cooldown {
            BTreeMap::new()
        } else {
            cooldown::recent_sends(
                &self.config.data_dir,
                &self.org.id,
                &self.template.template_hash(),
                self.config.cooldown,
            )
        };
        let recent = Arc::new(recent);
        // Another machine's recent invitations, read from the existing contacts' conversations.
        let elsewhere = (!self.config.force.cooldown).then(|| {
            let since = Utc::now()
                - chrono::Duration::from_std(self.config.cooldown).unwrap_or(chrono::Duration::MAX);
            SeenOnPlatform::start(self.client.clone(), since)
        });
        let announced = if self.config.announce_queued {
            &jobs[..]
        } else {
            &[]
        };
        for (i, job) in announced.iter().enumerate() {
            // The front end drains these as they come; a batch of 100,000 would otherwise
            // wait in the channel all at once before the first is read.
            if i % 1024 == 1023 {
                tokio::task::yield_now().await;
            }
            self.emit(Event::Contact(Box::new(ContactUpdate {
                index: job.index,
                e164: job.target.e164.clone(),
                name: job.target.full_name(),
                state: Some(State::Queued),
                invite_id: Some(job.invite_id.clone()),
                ..Default::default()
            })));
        }
        // Numbers are looked up in batches ahead of the sends; a contact the cooldown skips
        // needs no lookup, and one checked against an earlier attempt first looks itself up.
        let now = Utc::now();
        let wanted: Vec<(usize, Vec<String>)> = jobs
            .iter()
            .filter(|j| {
                !j.check_first
                    && verdict::cooled(
                        recent.get(&j.target.e164),
                        self.config.cooldown,
                        self.config.force.or(j.target.force),
                        now,
                    )
                    .is_none()
            })
            .map(|j| (j.index, j.target.spellings()))
            .collect();
        let lookahead = Arc::new(Lookahead::start(
            self.client.clone(),
            self.org.id.clone(),
            wanted,
            self.config.concurrency.max(1),
        ));
        let total = jobs.len();
        let run_id: Arc<str> = Arc::from(run_id);
        // Only each contact's final state is kept here: the whole result went out as an event
        // (and into the journal), and a large run need not hold every result once more.
        let states: Vec<State> = futures::stream::iter(jobs.into_iter().map(|job| {
            let engine = self.clone();
            let run_id = run_id.clone();
            let elsewhere = elsewhere.clone();
            let journal = journal.clone();
            let recent = recent.clone();
            let lookahead = lookahead.clone();
            async move {
                let work = engine.invite(&run_id, &job, journal.as_deref(), (&recent, &lookahead), elsewhere.as_ref());
                let mut u = tokio::select! {
                    u = work => u,
                    _ = engine.abort.cancelled() => abandoned(&job),
                };
                if !engine.update(journal.as_deref(), &u) && u.state() == State::Sent {
                    // Sent, but the journal still says "sending": a resume checks it.
                    u.warnings.push(
                        "the journal could not record this result; a resume checks it with the platform before anything is sent again".into(),
                    );
                    engine.emit(Event::Contact(Box::new(u.clone())));
                }
                u.state()
            }
        }))
        .buffer_unordered(self.config.concurrency.max(1))
        .collect()
        .await;
        let mut summary = Summary {
            run_id: run_id.to_string(),
            total,
            ..Summary::default()
        };
        for state in states {
            summary.count(state);
        }
        summary.cancelled = self.cancel.is_cancelled();
        summary.halted = self.halted.lock().ok().and_then(|h| h.clone());
        summary.elapsed_ms = started.elapsed().as_millis() as u64;
        summary.requests = self.client.requests_sent() - requests_before;
        if let Some(j) = &journal
            && let Err(e) = j.finished(&summary)
        {
            tracing::error!("{e}");
        }
        drop(notices);
        self.emit(Event::Finished(summary.clone()));
        summary
    }

    /// One contact, start to final state.
    async fn invite(
        &self,
        run_id: &str,
        job: &Job,
        journal: Option<&Journal>,
        (recent, lookahead): (&BTreeMap<String, LastInvite>, &Lookahead),
        elsewhere: Option<&SeenOnPlatform>,
    ) -> ContactUpdate {
        let t = &job.target;
        let force = self.config.force.or(t.force);
        let mut u = ContactUpdate {
            index: job.index,
            e164: t.e164.clone(),
            name: t.full_name(),
            invite_id: Some(job.invite_id.clone()),
            warnings: t.warning.iter().cloned().collect(),
            ..Default::default()
        };
        let finish = |mut u: ContactUpdate, state: State, reason: Option<String>| {
            u.state = Some(state);
            u.reason = reason;
            u
        };
        if self.cancel.is_cancelled() {
            return finish(u, State::NotStarted, Some(self.halted_reason()));
        }
        let last = recent.get(&t.e164);
        if let Some(r) = verdict::cooled(last, self.config.cooldown, force, Utc::now()) {
            return refused(u, r);
        }
        if let Some(last) = last {
            // Only reached when forced: the override is named on the result.
            u.warnings.push(format!(
                "forced: {}",
                cooldown::reason(last, self.config.cooldown, Utc::now())
            ));
        }
        u.state = Some(State::LookingUp);
        self.emit(Event::Contact(Box::new(u.clone())));
        if job.check_first {
            match self.reconcile(&job.invite_id).await {
                Ok(Found::Yes { conversation }) => {
                    u.conversation = conversation;
                    u.reconciled = true;
                    return finish(
                        u,
                        State::Sent,
                        Some("an earlier attempt had arrived; not sent again".into()),
                    );
                }
                Ok(Found::No) => {}
                Err(e) => {
                    return finish(
                        u,
                        State::Unknown,
                        Some(format!(
                            "an earlier attempt may have arrived and checking failed: {}",
                            self.describe(&e)
                        )),
                    );
                }
            }
        }
        let looked_up = match lookahead.take(job.index).await {
            Some(found) => Ok(found),
            None => lookups::look_up_one(&self.client, &self.org.id, &t.spellings()).await,
        };
        let contacts = match looked_up {
            Ok(c) => c,
            Err(e) => {
                return finish(
                    u,
                    State::Failed,
                    Some(format!(
                        "looking up the contact failed: {}",
                        self.describe(&e)
                    )),
                );
            }
        };
        let (plan, known) = match self.choose(t, force, &contacts, &mut u).await {
            Ok(p) => p,
            Err(r) => return refused(u, r),
        };
        if let (Plan::Existing { conversation }, Some(elsewhere)) = (&plan, elsewhere)
            && let Some(r) = self
                .invited_elsewhere(elsewhere, conversation, &job.invite_id, force, &mut u)
                .await
        {
            return refused(u, r);
        }
        // Values typed or imported win; an existing contact's profile fills the gaps, so a
        // re-invite by number alone still greets the contact by name.
        let org_label = self.org.label().to_string();
        let vars = |name: &str| {
            t.variable(name, &org_label)
                .or_else(|| known.as_ref().and_then(|p| profile_value(p, name)))
        };
        let rendered = match self.template.render(&vars) {
            Ok(r) => r,
            Err(RenderError::Missing(m)) => {
                let names: Vec<String> = m.names.iter().map(|n| format!("{{{n}}}")).collect();
                let reason = format!(
                    "no value for {} and no fallback; add it to the contact or give a fallback like {{givenName|there}}",
                    names.join(", ")
                );
                return finish(u, State::Failed, Some(reason));
            }
            Err(e @ RenderError::Invalid(_)) => {
                return finish(u, State::Failed, Some(format!("template: {e}")));
            }
            Err(e) => return finish(u, State::Failed, Some(e.to_string())),
        };
        let messages = self.template.messages(&rendered, &job.invite_id, now_ms());
        let plan = match plan {
            Plan::New(_) => Plan::New(wire::new_conversation(
                &self.org.id,
                t.profile(&self.template.locale),
                &messages,
            )),
            existing => existing,
        };
        if self.config.dry_run {
            // Counted with stand-ins of realistic length; shown with the platform's
            // placeholders, which it fills per contact at delivery.
            let (counted_welcome, counted_link) = self.template.sms_previews(&rendered);
            let (welcome, link) = self.template.sms_display(&rendered);
            u.preview = Some(Box::new(Preview {
                welcome_sms: figures(&counted_welcome),
                link_sms: figures(&counted_link),
                welcome,
                link,
            }));
            // Another run's claim would skip it; a dry run only looks.
            if let Some(r) = self.claimed_elsewhere(t, run_id, force, false) {
                return refused(u, r);
            }
            return finish(u, State::WouldSend, None);
        }
        // The number is claimed for this run right before the send, so a second run started
        // meanwhile over the same list skips it instead of sending it again.
        if let Some(r) = self.claimed_elsewhere(t, run_id, force, true) {
            return refused(u, r);
        }
        if self.cancel.is_cancelled() {
            self.release(t, run_id);
            return finish(u, State::NotStarted, Some(self.halted_reason()));
        }
        let u = self
            .deliver(plan, &messages, (t, force), &job.invite_id, u, journal)
            .await;
        if matches!(
            u.state(),
            State::Failed | State::NotStarted | State::Skipped
        ) {
            self.release(t, run_id);
        }
        u
    }

    /// An invitation of this template another run sent into the conversation within the
    /// cooldown, as a skip. A failed check does not stop the send (the ledger still covers
    /// this machine); the contact's result says it could not be checked.
    async fn invited_elsewhere(
        &self,
        elsewhere: &SeenOnPlatform,
        conversation: &str,
        invite_id: &str,
        force: Force,
        u: &mut ContactUpdate,
    ) -> Option<Refusal> {
        match elsewhere.in_conversation(conversation).await {
            Ok(seen) => {
                let hash = self.template.template_hash();
                let other = seen_on_platform::latest_other(&seen, invite_id, &hash)?;
                let last = LastInvite {
                    at: other.at,
                    run: format!(
                        "by another run: invitation {}, seen in the conversation",
                        other.invite_id
                    ),
                };
                verdict::cooled(Some(&last), self.config.cooldown, force, Utc::now())
            }
            Err(e) => {
                u.warnings.push(format!(
                    "could not check the conversation for invitations from other machines: {e}"
                ));
                None
            }
        }
    }

    fn claim_subject<'a>(&'a self, t: &'a Target, hash: &'a str) -> claims::Subject<'a> {
        claims::Subject {
            e164: &t.e164,
            org: &self.org.id,
            template_hash: hash,
        }
    }

    /// Another run's claim on this number within the cooldown, as a skip; with `take`, this
    /// run's claim is recorded when there is none. A ledger that cannot be written stops the
    /// run, as a journal that cannot be written does.
    fn claimed_elsewhere(
        &self,
        t: &Target,
        run_id: &str,
        force: Force,
        take: bool,
    ) -> Option<Refusal> {
        let hash = self.template.template_hash();
        let subject = self.claim_subject(t, &hash);
        let window = self.config.cooldown;
        let held = if take {
            self.claims.claim(subject, run_id, window, force.cooldown)
        } else {
            self.claims.holder(subject, run_id, window)
        };
        match held {
            Ok(held) => verdict::cooled(held.as_ref(), window, force, Utc::now()),
            Err(e) => {
                self.halt(format!(
                    "the claims ledger in the data dir cannot be written ({e}); stopped before the next send, so no other run can miss this one's numbers"
                ));
                Some(Refusal {
                    state: State::NotStarted,
                    reason: self.halted_reason(),
                    remedy: None,
                })
            }
        }
    }

    /// Ends this run's claim on a number it did not invite after all.
    fn release(&self, t: &Target, run_id: &str) {
        let hash = self.template.template_hash();
        if let Err(e) = self.claims.release(self.claim_subject(t, &hash), run_id) {
            tracing::warn!("releasing the claim on {}: {e}", t.e164);
        }
    }

    /// New contact, existing one (with its profile), or a reason not to send: the rules of
    /// [`verdict`], with the conversation read when the lookup did not bring its participants.
    async fn choose(
        &self,
        t: &Target,
        force: Force,
        contacts: &[PlatformContact],
        u: &mut ContactUpdate,
    ) -> Result<(Plan, Option<Profile>), Refusal> {
        let found: Vec<verdict::Found> =
            contacts.iter().map(verdict::Found::from_contact).collect();
        let chosen = match verdict::pick(t.contact_id.as_deref(), &found)? {
            Pick::New => {
                u.new_contact = Some(true);
                return Ok((Plan::New(Value::Null), None));
            }
            Pick::Existing(f) => f.clone(),
        };
        let Some(contact) = contacts.iter().find(|c| c.id == chosen.contact_id) else {
            return Err(Refusal {
                state: State::Failed,
                reason: format!("contact {} vanished from the lookup", chosen.contact_id),
                remedy: None,
            });
        };
        u.new_contact = Some(false);
        u.contact_id = Some(contact.id.clone());
        if u.name.is_none() {
            u.name = contact.profile.full_name();
        }
        let Some(conversation) = chosen.conversation.clone() else {
            return Err(Refusal {
                state: State::Failed,
                reason: format!("contact {} has no conversation on the platform", contact.id),
                remedy: None,
            });
        };
        u.conversation = Some(conversation.clone());
        let holders = match chosen.holders {
            Some(h) => h,
            None => {
                let conv = self
                    .client
                    .conversation(&conversation)
                    .await
                    .map_err(|e| Refusal {
                        state: State::Failed,
                        reason: format!("reading the conversation failed: {}", self.describe(&e)),
                        remedy: None,
                    })?;
                conv.holders()
                    .iter()
                    .map(|p| verdict::holder_name(p.name.as_deref(), p.user.as_deref()))
                    .collect()
            }
        };
        if let Some(r) = verdict::held(&holders, force) {
            return Err(r);
        }
        if !holders.is_empty() {
            u.warnings.push(format!(
                "forced: sent although {} holds the conversation",
                holders.join(", ")
            ));
        }
        Ok((
            Plan::Existing { conversation },
            Some(contact.profile.clone()),
        ))
    }

    /// Sends, and after an uncertain answer reconciles before any resend. `who` is the
    /// contact and the operator's overrides, for a platform that says "exists" to a create.
    async fn deliver(
        &self,
        mut plan: Plan,
        messages: &[Value],
        who: (&Target, Force),
        invite_id: &str,
        mut u: ContactUpdate,
        journal: Option<&Journal>,
    ) -> ContactUpdate {
        let mut attempts = 0;
        loop {
            attempts += 1;
            u.state = Some(State::Sending);
            // "About to send" is on disk before the POST, or there is no POST.
            if !self.update(journal, &u) || journal.is_some_and(Journal::is_broken) {
                let why = self.halted_reason();
                u.state = Some(State::NotStarted);
                u.reason = Some(why);
                return u;
            }
            let result = match &plan {
                Plan::New(body) => self
                    .client
                    .create_conversation(body)
                    .await
                    .map(|(c, created)| (c.id, created)),
                Plan::Existing { conversation, .. } => self
                    .client
                    .post_messages(conversation, messages)
                    .await
                    .map(|_| (conversation.clone(), false)),
            };
            let err = match result {
                Ok((conversation, created)) => {
                    u.conversation = Some(conversation);
                    if matches!(plan, Plan::New(_)) {
                        u.new_contact = Some(created);
                    }
                    u.state = Some(State::Sent);
                    u.reason = (matches!(plan, Plan::New(_)) && !created).then(|| {
                        "the platform added it to the contact's existing conversation".to_string()
                    });
                    return u;
                }
                Err(e) => e,
            };
            if err.kind == ErrorKind::Conflict && matches!(plan, Plan::New(_)) {
                // The platform refuses to create an existing contact (older behaviour): the
                // contact it means goes through the same rules as one found by the lookup
                // (several sharing the number, a person holding the conversation, none).
                let (t, force) = who;
                let found = match self.find_existing(&u.e164, t.email.as_deref()).await {
                    Ok(found) => found,
                    Err(e) => {
                        u.state = Some(State::Failed);
                        u.reason = Some(format!(
                            "the platform says the contact exists, and looking it up failed: {}",
                            self.describe(&e)
                        ));
                        return u;
                    }
                };
                match self.choose(t, force, &found, &mut u).await {
                    Ok((Plan::Existing { conversation }, _)) => {
                        plan = Plan::Existing { conversation };
                        continue;
                    }
                    Ok((Plan::New(_), _)) => {
                        u.state = Some(State::Failed);
                        u.reason = Some(format!(
                            "the platform says the contact exists but it cannot be found: {}",
                            self.describe(&err)
                        ));
                        return u;
                    }
                    Err(r) => return refused(u, r),
                }
            }
            if !err.outcome_unknown {
                u.state = Some(State::Failed);
                u.reason = Some(self.describe(&err));
                return u;
            }
            tracing::warn!(invite = invite_id, error = %err, "uncertain send; reconciling");
            match self.reconcile(invite_id).await {
                Ok(Found::Yes { conversation }) => {
                    u.conversation = conversation.or(u.conversation.take());
                    u.reconciled = true;
                    u.state = Some(State::Sent);
                    u.reason = Some(format!(
                        "the answer was lost ({err}) but the platform has the invitation"
                    ));
                    return u;
                }
                Ok(Found::No) if attempts <= self.config.max_resends => {
                    self.emit(Event::Notice {
                        message: format!("{}: not received after \"{err}\"; sending again", u.e164),
                    });
                }
                Ok(Found::No) => {
                    u.state = Some(State::Failed);
                    u.reason = Some(format!(
                        "the platform did not take it after {attempts} attempts: {}",
                        self.describe(&err)
                    ));
                    return u;
                }
                Err(check) => {
                    u.state = Some(State::Unknown);
                    u.reason = Some(format!(
                        "{err}; checking whether it arrived failed too ({check}); not resent — resume the run later to check again"
                    ));
                    return u;
                }
            }
        }
    }

    /// After the platform said "contact exists": find it by number, else by e-mail (the
    /// platform also matches contacts on e-mail, docs/platform.md "Contacts").
    async fn find_existing(
        &self,
        e164: &str,
        email: Option<&str>,
    ) -> Result<Vec<PlatformContact>, ApiError> {
        let by_phone = self
            .client
            .contacts_by_phone(&self.org.id, &[e164.to_string()])
            .await?;
        match email {
            Some(email) if by_phone.is_empty() => {
                let q = Query::new()
                    .eq("organization", &self.org.id)
                    .eq("profile.email", email)
                    .populate("conversation");
                self.client.list_all("contacts", &q, 10).await
            }
            _ => Ok(by_phone),
        }
    }

    /// Does the platform have a message of this invitation? Only a message that carries this
    /// invite id is proof: a platform that ignored the filter and answered with some other
    /// message of the organization leaves the outcome unknown, never "sent".
    async fn reconcile(&self, invite_id: &str) -> Result<Found, ApiError> {
        let q = Query::new()
            .eq("organization", &self.org.id)
            .eq("meta.inviteId", invite_id)
            .limit(1);
        let found = self.client.messages(&q, 1).await?;
        let Some(m) = found.first() else {
            return Ok(Found::No);
        };
        if m.meta.get("inviteId").and_then(Value::as_str) != Some(invite_id) {
            return Err(ApiError::new(
                ErrorKind::InvalidResponse,
                "GET",
                "/v2/messages",
                "the platform answered the invite-id search with another message, so whether \
                 this invitation arrived cannot be told",
            ));
        }
        Ok(Found::Yes {
            conversation: m.conversation.clone(),
        })
    }
}

/// A template variable from a platform profile.
fn profile_value(p: &Profile, name: &str) -> Option<String> {
    let v = match name {
        "givenName" => p.given_name.clone(),
        "familyName" => p.family_name.clone(),
        "name" => p.full_name(),
        "email" => p.email.clone(),
        "locale" => p.locale.clone(),
        other => p
            .extra
            .get(other)
            .and_then(Value::as_str)
            .map(str::to_string),
    };
    v.filter(|s| !s.trim().is_empty())
}

/// A contact left in flight by an abort: it may or may not have reached the platform.
fn abandoned(job: &Job) -> ContactUpdate {
    ContactUpdate {
        index: job.index,
        e164: job.target.e164.clone(),
        name: job.target.full_name(),
        invite_id: Some(job.invite_id.clone()),
        state: Some(State::Unknown),
        reason: Some(
            "stopped while in flight; a resume checks whether it arrived before sending it again"
                .into(),
        ),
        ..Default::default()
    }
}

/// Ends a contact with a refusal of the shared rules.
fn refused(mut u: ContactUpdate, r: Refusal) -> ContactUpdate {
    u.state = Some(r.state);
    u.reason = Some(r.reason);
    u.remedy = r.remedy;
    u
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_keeps_invite_ids_and_checks_uncertain_ones_first() {
        use super::super::journal::{RunHeader, StoredContact};
        let c = |index, state| StoredContact {
            state,
            ..StoredContact::new(
                index,
                Target {
                    e164: format!("+3161234567{index}"),
                    ..Target::default()
                },
                format!("inv{index}"),
            )
        };
        let run = StoredRun {
            header: RunHeader {
                run: "r".into(),
                org: "o".into(),
                org_name: "O".into(),
                template_hash: "h".into(),
                template: String::new(),
                started_at: Utc::now(),
                tool: String::new(),
            },
            contacts: vec![
                c(0, State::Sent),
                c(1, State::Sending),
                c(2, State::Failed),
                c(3, State::NotStarted),
                c(4, State::Skipped),
                c(5, State::Unknown),
            ],
            finished: false,
        };
        let jobs = jobs_for_resume(&run);
        let retry: Vec<Target> = jobs.iter().map(|j| j.target.clone()).collect();
        let summary: Vec<(usize, &str, bool)> = jobs
            .iter()
            .map(|j| (j.index, j.invite_id.as_str(), j.check_first))
            .collect();
        assert_eq!(
            summary,
            vec![
                (1, "inv1", true),
                (2, "inv2", false),
                (3, "inv3", false),
                (5, "inv5", true)
            ]
        );

        // The TUI's retry of the same contacts, after another process sent contact 2 and
        // with one more platform contact sharing contact 3's phone chosen on the confirm.
        let mut later = run.clone();
        later.contacts[2].state = State::Sent;
        let mut targets = retry;
        targets.push(Target {
            contact_id: Some("other".into()),
            ..later.contacts[3].target.clone()
        });
        let (jobs, changed) = jobs_for_attempt(&later, targets);
        let summary: Vec<(usize, bool)> = jobs.iter().map(|j| (j.index, j.check_first)).collect();
        assert_eq!(
            summary,
            vec![(1, true), (3, false), (5, true), (6, false)],
            "contact 2 was sent meanwhile and is left out; the new one is index 6"
        );
        assert_eq!(jobs[0].invite_id, "inv1");
        assert_ne!(jobs[3].invite_id, "inv3");
        assert_eq!(changed, vec![3], "only the new contact is journalled again");
    }
}
