//! The runtime: one loop that owns the model, feeds it messages from the terminal and from
//! finished effects, performs the effects it returns, and draws when the queue is empty.
//! Generic over the ratatui backend and the input stream, so whole flows run in tests on a
//! `TestBackend` with injected keys against the sandbox.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use crossterm::clipboard::CopyToClipboard;
use crossterm::event::Event as TermEvent;
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio_util::sync::CancellationToken;

use super::effect::Effect;
use super::keymap::Keymap;
use super::model::{Lookup, Model, Screen, Session};
use super::msg::Msg;
use super::theme::Theme;
use super::update::update;
use super::view::view;
use crate::api::models::Organization;
use crate::api::{Claims, Client, ClientConfig, Credentials, ErrorKind, Secret};
use crate::invite::contact::{Contact, Details};
use crate::invite::cooldown::{self, LastInvite};
use crate::invite::engine::{self, Engine, EngineConfig};
use crate::invite::events::Event as EngineEvent;
use crate::invite::follow::FollowConfig;
use crate::invite::journal::{self, Journal, RunHeader, StoredRun};
use crate::invite::link::LinkBook;
use crate::invite::phone;
use crate::invite::readiness::{self, Account, Subject};
use crate::invite::target::Target;
use crate::invite::verdict::Found;
use crate::invite::watching::{self, Plan};

/// Where "copy" goes: the terminal via OSC 52 (works over SSH), or a list in tests.
#[derive(Clone)]
pub enum Clipboard {
    Osc52,
    Recorder(Arc<Mutex<Vec<String>>>),
}

/// Everything the runtime needs besides the model.
pub struct Deps {
    pub api_url: String,
    pub client_rate: u32,
    /// Each request's total deadline across its retries (`--request-deadline`).
    pub request_deadline: Duration,
    pub data_dir: PathBuf,
    pub config_dir: PathBuf,
    pub demo: bool,
    pub clipboard: Clipboard,
    /// Credentials known at start (env, file, remembered, or the demo's), with where they came
    /// from, which every message about a refused token names.
    pub initial: Option<Credentials>,
    pub initial_source: String,
    /// Whether the runtime owns a real terminal (suspend only makes sense then).
    pub real_terminal: bool,
    /// How many of an organization's contacts the contacts screen loads
    /// ([`PLATFORM_CONTACTS_MAX`]; smaller in tests).
    pub platform_contacts_max: usize,
}

/// The contacts screen lists an organization's own contacts up to this many (5 list requests
/// of 1,000); beyond it the screen says so, and any number can still be added by hand.
pub const PLATFORM_CONTACTS_MAX: usize = 5000;

struct Runtime {
    deps: Deps,
    /// The hash of the template at start, for the cooldown column of the contact list.
    template_hash: String,
    tx: UnboundedSender<Msg>,
    client: Option<Client>,
    send_cancel: Option<CancellationToken>,
    /// Stops the follower of the last send. It lives here, not in a screen, so following goes
    /// on while the operator looks at other screens.
    follow_cancel: Option<CancellationToken>,
    /// The last send and its follower: a task that ends when both have, and with it the run's
    /// journal and lock. Awaited before the next send opens a journal (a retry of the same
    /// run would otherwise find its own process holding the lock) and, for a while, when the
    /// operator quits, so the contacts in flight end in the journal.
    send_task: Option<tokio::task::JoinHandle<()>>,
}

/// How often the clock moves while something on screen moves.
const TICK: Duration = Duration::from_millis(500);

/// How long quitting waits for the contacts in flight of a cancelled send.
const QUIT_WAIT: Duration = Duration::from_secs(30);

/// Runs the app until the user quits or the input ends; returns the final model.
pub async fn run<B, S>(
    terminal: &mut Terminal<B>,
    mut input: S,
    mut model: Model,
    theme: Theme,
    keymap: Keymap,
    deps: Deps,
) -> Result<Model, B::Error>
where
    B: Backend,
    S: Stream<Item = std::io::Result<TermEvent>> + Unpin,
{
    let (tx, mut rx) = unbounded_channel();
    let mut rt = Runtime {
        deps,
        tx,
        client: None,
        send_cancel: None,
        follow_cancel: None,
        send_task: None,
        template_hash: model.template.template.template_hash(),
    };
    let size = terminal.size()?;
    model.size = (size.width, size.height);
    model.clock = Utc::now();
    if let Some(creds) = rt.deps.initial.clone() {
        model.signin.busy = true;
        let source = rt.deps.initial_source.clone();
        rt.sign_in(creds, false, source);
    }
    terminal.draw(|f| view(&model, &theme, &keymap, f))?;
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut last_tick = tokio::time::Instant::now();
    loop {
        let animating = animating(&model);
        // Keys first: a backlog of engine events (a large send on a busy machine) must not
        // keep a cancel waiting behind it.
        let msg = tokio::select! {
            biased;
            ev = input.next() => match ev {
                Some(Ok(e)) => Msg::Term(e),
                Some(Err(e)) => {
                    tracing::error!("terminal input failed: {e}");
                    break;
                }
                None => break,
            },
            Some(m) = rx.recv() => m,
            _ = tick.tick(), if animating => Msg::Tick(Utc::now()),
        };
        if let Msg::Term(TermEvent::Resize(..)) = msg {
            terminal.autoresize()?;
        }
        let mut msgs = vec![msg];
        // Nor may it stop the clock: elapsed time, rate and ETA read it.
        if matches!(msgs[0], Msg::Tick(_)) {
            last_tick = tokio::time::Instant::now();
        } else if animating && last_tick.elapsed() >= TICK {
            last_tick = tokio::time::Instant::now();
            msgs.push(Msg::Tick(Utc::now()));
        }
        for msg in msgs {
            let effects = update(&mut model, msg, &keymap);
            for e in effects {
                rt.perform(e, terminal)?;
            }
        }
        if model.quit {
            break;
        }
        if rx.is_empty() {
            terminal.draw(|f| view(&model, &theme, &keymap, f))?;
        }
    }
    if let Some(c) = rt.send_cancel.take() {
        c.cancel();
    }
    // Following stops with the app; what it saw is journalled, and `sms-invite watch RUN`
    // picks it up from there.
    if let Some(c) = rt.follow_cancel.take() {
        c.cancel();
    }
    if let Some(task) = rt.send_task.take().filter(|t| !t.is_finished()) {
        // The contacts in flight finish (and are journalled); the rest stay not started.
        if model.sending_now() {
            model.toast = Some(super::model::Toast {
                text: "quitting: waiting for the contacts in flight to finish…".into(),
                level: super::model::Level::Warn,
            });
            terminal.draw(|f| view(&model, &theme, &keymap, f))?;
        }
        if tokio::time::timeout(QUIT_WAIT, task).await.is_err() {
            tracing::warn!(
                "quit before the contacts in flight finished; the journal marks them uncertain"
            );
        }
    }
    // Late engine and follower events (the last contacts, the summary, the last signs) still
    // reach the model.
    while let Ok(msg) = rx.try_recv() {
        if let Msg::Engine(_) | Msg::Follow { .. } | Msg::FollowStarted { .. } = msg {
            let _ = update(&mut model, msg, &keymap);
        }
    }
    Ok(model)
}

/// Ticks (for elapsed time, ETA, quiet hours) run only while something moves.
fn animating(m: &Model) -> bool {
    m.sending_now() || m.orgs.loading || m.screen == Screen::Confirm || m.signin.busy
}

impl Runtime {
    fn send(&self, msg: Msg) {
        let _ = self.tx.send(msg);
    }

    fn client(&self) -> Option<Client> {
        self.client.clone()
    }

    fn sign_in(&mut self, creds: Credentials, remember: bool, source: String) {
        let tx = self.tx.clone();
        let claims = match Claims::decode_access(creds.access.expose()) {
            Ok(c) => c,
            Err(e) => {
                self.send(Msg::SignedIn(Err(format!(
                    "the token from {source} cannot be used: {e}"
                ))));
                return;
            }
        };
        let mut config = match ClientConfig::new(&self.deps.api_url) {
            Ok(c) => c,
            Err(e) => {
                self.send(Msg::SignedIn(Err(e.to_string())));
                return;
            }
        };
        config.rate_per_sec = self.deps.client_rate;
        config.request_deadline = self.deps.request_deadline;
        let client = match Client::new(config, creds.clone()) {
            Ok(c) => c,
            Err(e) => {
                self.send(Msg::SignedIn(Err(e.to_string())));
                return;
            }
        };
        self.client = Some(client.clone());
        let api_url = self.deps.api_url.clone();
        let demo = self.deps.demo;
        let token_file = self.deps.config_dir.join("token");
        tokio::spawn(async move {
            let id = claims.user.clone().unwrap_or_default();
            let result = match client.user(&id).await {
                Ok(user) => Ok(user.name.unwrap_or_else(|| id.clone())),
                Err(e) if e.is_auth() => Err(format!(
                    "the platform refused the token from {source}: {} ({})",
                    e.message,
                    e.hint()
                )),
                Err(e) if e.kind == ErrorKind::Forbidden || e.kind == ErrorKind::NotFound => {
                    Ok(id.clone())
                }
                Err(e) => Err(format!("{e} ({})", e.hint())),
            };
            let msg = result.map(|name| {
                if remember
                    && let Err(e) = remember_token(&token_file, &client.credentials().access)
                {
                    tracing::warn!("cannot remember the token: {e}");
                }
                let claims = client.claims().unwrap_or(claims);
                Session {
                    name,
                    user_id: id,
                    organization: claims.organization.clone().unwrap_or_default(),
                    scope: claims.scope.clone().unwrap_or_default(),
                    expires: claims.expires_at(),
                    local_api: crate::api::client::is_loopback(client.base_url()),
                    api_url,
                    demo,
                }
            });
            let _ = tx.send(Msg::SignedIn(msg));
        });
    }

    /// Starts an effect's work off the loop (a task, or a blocking thread for files), so the
    /// keys go on being read while it runs; its outcome comes back as a message. Only a
    /// suspend uses the terminal itself.
    fn perform<B: Backend>(
        &mut self,
        effect: Effect,
        terminal: &mut Terminal<B>,
    ) -> Result<(), B::Error> {
        let tx = self.tx.clone();
        match effect {
            Effect::SignIn { token, remember } => {
                let mut creds = Credentials::new(token);
                // A refresh token from the environment still applies to a typed access token.
                if let Some(initial) = &self.deps.initial {
                    creds.refresh = initial.refresh.clone();
                    creds.client_id = initial.client_id.clone();
                }
                self.sign_in(creds, remember, "the sign-in screen".into());
            }
            Effect::LoadOrgs => {
                let Some(client) = self.client() else {
                    return Ok(());
                };
                tokio::spawn(async move {
                    let r = readiness::overview(&client)
                        .await
                        .map_err(|e| format!("{e} ({})", e.hint()));
                    let _ = tx.send(Msg::OrgsLoaded(r));
                });
            }
            Effect::Assess {
                org,
                template,
                link,
                recipients,
                bot_name,
            } => {
                let Some(client) = self.client() else {
                    return Ok(());
                };
                tokio::spawn(async move {
                    let account = Account {
                        claims: client.claims(),
                        can_refresh: client.credentials().refresh.is_some(),
                        name: bot_name,
                    };
                    let local = crate::api::client::is_loopback(client.base_url());
                    let subject =
                        Subject::for_recipients(&template, &link, local, recipients, Some(&org));
                    let report =
                        readiness::assess(&client, &account, Ok(&org), &[], &subject).await;
                    let _ = tx.send(Msg::Assessed {
                        org: org.id.clone(),
                        report,
                    });
                });
            }
            Effect::LoadContacts(org) => {
                let Some(client) = self.client() else {
                    return Ok(());
                };
                let data_dir = self.deps.data_dir.clone();
                let hash = self.template_hash.clone();
                let max = self.deps.platform_contacts_max;
                tokio::spawn(async move {
                    let q = crate::api::Query::new()
                        .eq("organization", &org.id)
                        .populate("conversation");
                    let recent =
                        cooldown::recent_sends(&data_dir, &org.id, &hash, cooldown::DEFAULT);
                    // One more than the cap tells whether there are more.
                    let listed = client
                        .list_all::<crate::api::models::PlatformContact>("contacts", &q, max + 1)
                        .await;
                    let capped = listed.as_ref().is_ok_and(|cs| cs.len() > max);
                    let result = listed
                        .map(|cs| platform_rows(&cs[..cs.len().min(max)], &org, &recent))
                        .map_err(|e| e.to_string());
                    let _ = tx.send(Msg::ContactsLoaded {
                        org: org.id.clone(),
                        result,
                        capped: capped.then_some(max),
                    });
                });
            }
            Effect::LookUp {
                org,
                targets,
                template_hash,
            } => {
                let Some(client) = self.client() else {
                    return Ok(());
                };
                let data_dir = self.deps.data_dir.clone();
                tokio::spawn(async move {
                    let recent = cooldown::recent_sends(
                        &data_dir,
                        &org.id,
                        &template_hash,
                        cooldown::DEFAULT,
                    );
                    let lookups = Lookup::many(&client, &org.id, &targets, &recent).await;
                    let _ = tx.send(Msg::LookedUp {
                        org: org.id.clone(),
                        lookups,
                    });
                });
            }
            Effect::Import { path, region } => {
                tokio::spawn(async move {
                    let p = path.clone();
                    let result = tokio::task::spawn_blocking(move || {
                        use crate::invite::import::{
                            ImportOptions, LARGE_MAX_ROWS, import_csv_file,
                        };
                        // The TUI takes large lists (it stays fast with 100,000 rows); a
                        // larger file is refused early, in bounded memory.
                        let options =
                            ImportOptions::new(region.as_deref()).max_rows(LARGE_MAX_ROWS);
                        import_csv_file(&p, &options).map_err(|e| format!("{e} ({})", e.hint()))
                    })
                    .await
                    .unwrap_or_else(|e| Err(e.to_string()));
                    let _ = tx.send(Msg::Imported { path, result });
                });
            }
            Effect::StartSend {
                org,
                template,
                targets,
                resume,
            } => {
                let Some(client) = self.client() else {
                    return Ok(());
                };
                let cancel = CancellationToken::new();
                self.send_cancel = Some(cancel.clone());
                // One follower at a time, the current run's: the last one stops here.
                if let Some(c) = self.follow_cancel.take() {
                    c.cancel();
                }
                let follow_cancel = CancellationToken::new();
                self.follow_cancel = Some(follow_cancel.clone());
                let before = self.send_task.take();
                let data_dir = self.deps.data_dir.clone();
                let follow = FollowConfig {
                    client_rate: follow_client_rate(self.deps.client_rate),
                    ..FollowConfig::default()
                };
                let task = tokio::spawn(async move {
                    // The last send's task holds its run's journal and lock until its follower
                    // has stopped; a retry of that run opens the journal only after.
                    if let Some(before) = before {
                        let _ = before.await;
                    }
                    let opened = journal_for(&data_dir, &org, &template, targets, resume);
                    let (run_id, jobs, journal, earlier) = match opened {
                        Ok(j) => j,
                        Err(e) => {
                            let _ = tx.send(Msg::SendRefused(e));
                            return;
                        }
                    };
                    let journal = Arc::new(journal);
                    let mut config = EngineConfig::new(data_dir);
                    // The sending screen starts a fresh run's rows as queued itself; a
                    // continued run needs its retried rows set back to queued.
                    config.announce_queued = earlier.is_some();
                    let send = Sends {
                        client,
                        org,
                        template,
                        config,
                        cancel,
                    };
                    let plan = FollowPlan {
                        config: follow,
                        earlier,
                        cancel: follow_cancel,
                    };
                    send_and_follow(send, plan, &run_id, jobs, journal, tx).await;
                });
                self.send_task = Some(task);
            }
            Effect::CancelSend => {
                if let Some(c) = &self.send_cancel {
                    c.cancel();
                }
            }
            // The results file has no column for what following saw yet (`export.rs` decides its
            // columns), so the rows are written as before.
            Effect::Export {
                path,
                run_id,
                rows,
                follow,
            } => {
                // Shown as the operator can find it again, whatever the working directory.
                let path = std::path::absolute(&path).unwrap_or(path);
                tokio::task::spawn_blocking(move || {
                    let r = crate::invite::export::write_results_csv(
                        &path,
                        rows.iter().zip(follow.iter()),
                        &run_id,
                    );
                    let _ = tx.send(Msg::Exported(r));
                });
            }
            Effect::Copy(text) => {
                let r = match &self.deps.clipboard {
                    Clipboard::Osc52 => {
                        copy_osc52(&mut std::io::stdout(), &text).map(|_| text.len())
                    }
                    Clipboard::Recorder(list) => {
                        if let Ok(mut l) = list.lock() {
                            l.push(text.clone());
                        }
                        Ok(text.len())
                    }
                };
                self.send(Msg::Copied(r));
            }
            Effect::SaveLink { org, url } => {
                let dir = self.deps.config_dir.clone();
                tokio::task::spawn_blocking(move || {
                    let r = LinkBook::load(&dir).and_then(|mut book| {
                        book.set(&org, Some(&url))?;
                        Ok(book)
                    });
                    let _ = tx.send(Msg::LinkSaved(r));
                });
            }
            Effect::LoadRuns => {
                let data_dir = self.deps.data_dir.clone();
                tokio::task::spawn_blocking(move || {
                    let _ = tx.send(Msg::RunsLoaded(journal::list_runs(&data_dir)));
                });
            }
            Effect::OpenRun { run, retry } => {
                let Some(client) = self.client() else {
                    return Ok(());
                };
                let data_dir = self.deps.data_dir.clone();
                tokio::spawn(async move {
                    let result = open_run(&client, &data_dir, &run).await;
                    let _ = tx.send(Msg::RunOpened { result, retry });
                });
            }
            Effect::SaveTemplate { path, template } => {
                tokio::task::spawn_blocking(move || {
                    let _ = tx.send(Msg::TemplateSaved(save_template(&path, &template)));
                });
            }
            Effect::Suspend => {
                if self.deps.real_terminal {
                    if let Err(e) = super::terminal::suspend() {
                        tracing::error!("suspend failed: {e}");
                    }
                    terminal.clear()?;
                }
            }
        }
        Ok(())
    }
}

/// What a send needs besides its run.
struct Sends {
    client: Client,
    org: Organization,
    template: crate::invite::template::Template,
    config: EngineConfig,
    cancel: CancellationToken,
}

/// How the send's invitations are followed.
struct FollowPlan {
    config: FollowConfig,
    /// For a retry or resume, the run as it was before this attempt: what it sent earlier is
    /// followed too, and what earlier followers saw is not reported again.
    earlier: Option<StoredRun>,
    cancel: CancellationToken,
}

/// The follower keeps to a quarter of the client's rate while a send runs; an unlimited
/// client (0) still gets a modest share, not an unlimited one.
fn follow_client_rate(client_rate: u32) -> f64 {
    if client_rate == 0 {
        15.0
    } else {
        f64::from(client_rate)
    }
}

/// Runs the engine over `jobs` and follows each invitation it sends, both into one journal;
/// engine events go to the model as `Msg::Engine`, the follower's as `Msg::Follow`. Returns
/// when the engine has finished and the follower has stopped (everyone back, its window
/// closed, or cancelled), so the journal and the run lock are dropped by then.
async fn send_and_follow(
    send: Sends,
    following: FollowPlan,
    run_id: &str,
    jobs: Vec<engine::Job>,
    journal: Arc<Journal>,
    tx: UnboundedSender<Msg>,
) {
    let (etx, mut erx) = unbounded_channel();
    let (joins_tx, joins_rx) = unbounded_channel();
    let (sending_tx, sending_rx) = tokio::sync::watch::channel(true);
    let (ftx, mut frx) = unbounded_channel();
    // The follower's reports wait for the engine's `Started`, which gives the screen its run id.
    let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
    let plan = Plan {
        run: following.earlier,
        joins: Some(joins_rx),
        sending: Some(sending_rx),
    };
    let follower = watching::follow_run(
        send.client.clone(),
        journal.clone(),
        following.config,
        plan,
        ftx,
        following.cancel,
    );
    let engine = Arc::new(Engine::new(
        send.client,
        send.org,
        send.template,
        send.config,
        etx,
        send.cancel,
    ));
    let running = async {
        engine.run(run_id, jobs, Some(journal)).await;
        // The follower goes back to its own pace.
        let _ = sending_tx.send(false);
    };
    let forward_engine = {
        let tx = tx.clone();
        async move {
            let mut started_tx = Some(started_tx);
            while let Some(e) = erx.recv().await {
                if let EngineEvent::Contact(u) = &e
                    && let Some(f) = watching::followed_from(u)
                {
                    let _ = joins_tx.send(f);
                }
                let last = matches!(e, EngineEvent::Finished(_));
                let started = matches!(e, EngineEvent::Started { .. });
                let _ = tx.send(Msg::Engine(e));
                if started && let Some(s) = started_tx.take() {
                    let _ = s.send(());
                }
                if last {
                    break;
                }
            }
            // Nothing more joins: the follower may end once everyone sent is back.
            drop(joins_tx);
        }
    };
    let forward_follower = async {
        let _ = started_rx.await;
        let _ = tx.send(Msg::FollowStarted {
            run: run_id.to_string(),
        });
        while let Some(event) = frx.recv().await {
            let _ = tx.send(Msg::Follow {
                run: run_id.to_string(),
                event,
            });
        }
    };
    tokio::join!(running, forward_engine, follower, forward_follower);
}

/// Writes `template` to `path` as TOML, creating its folder; returns the path written.
fn save_template(
    path: &std::path::Path,
    template: &crate::invite::template::Template,
) -> Result<PathBuf, String> {
    let toml = template.to_toml().map_err(|e| e.to_string())?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, toml).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path.to_path_buf())
}

/// A journalled run and its organization.
async fn open_run(
    client: &Client,
    data_dir: &std::path::Path,
    run: &str,
) -> Result<(StoredRun, Organization), String> {
    let stored = journal::load_run(data_dir, run).map_err(|e| e.to_string())?;
    let org = client
        .organization(&stored.header.org)
        .await
        .map_err(|e| format!("organization {}: {e}", stored.header.org_name))?;
    Ok((stored, org))
}

/// Rows for the organization's own contacts: each names its platform contact (so a shared
/// number is unambiguous) and says whether a person holds its conversation or it was invited
/// recently.
fn platform_rows(
    contacts: &[crate::api::models::PlatformContact],
    org: &Organization,
    recent: &std::collections::BTreeMap<String, LastInvite>,
) -> Vec<(Contact, Lookup)> {
    let region = org.extra_str("country");
    contacts
        .iter()
        .filter_map(|c| {
            let tel = c.profile.telephone.as_deref()?;
            let n = phone::normalize(tel, region.or(Some("NL"))).ok()?;
            let p = &c.profile;
            let t = Contact::new(
                &n,
                Details {
                    raw_phone: tel,
                    given_name: p.given_name.as_deref(),
                    family_name: p.family_name.as_deref(),
                    email: p.email.as_deref(),
                    locale: p.locale.as_deref(),
                    contact_id: Some(&c.id),
                    ..Details::default()
                },
            );
            let lookup = Lookup {
                e164: t.e164().to_string(),
                found: Some(vec![Found::from_contact(c)]),
                last_invite: recent.get(t.e164()).cloned(),
                error: None,
            };
            Some((t, lookup))
        })
        .collect()
}

/// The journal and jobs of a send, and for a resume the run as it stood: a new run, or the
/// next attempt of `resume`, whose contacts keep their index and invite id (so an uncertain one
/// is checked first) and whose new contacts (each of several sharing a phone) are added to it.
/// A journal that cannot be written stops the send before anything is sent.
fn journal_for(
    data_dir: &std::path::Path,
    org: &Organization,
    template: &crate::invite::template::Template,
    targets: Vec<Target>,
    resume: Option<String>,
) -> Result<(String, Vec<engine::Job>, Journal, Option<StoredRun>), String> {
    let Some(run) = resume else {
        let run_id = journal::new_run_id();
        let jobs = engine::jobs_for(targets);
        let header = RunHeader::new(&run_id, org, template).map_err(|e| e.to_string())?;
        let j = Journal::start(data_dir, &header, &jobs).map_err(|e| e.to_string())?;
        return Ok((run_id, jobs, j, None));
    };
    // Held before the run is read again: a `send --resume` of this run in another process is
    // refused here, or has finished and its sends are seen.
    let lock = journal::RunLock::acquire(data_dir, &run).map_err(|e| e.to_string())?;
    let stored = journal::load_run(data_dir, &run).map_err(|e| e.to_string())?;
    let j = Journal::resume_held(data_dir, &run, lock).map_err(|e| e.to_string())?;
    let (jobs, changed) = engine::jobs_for_attempt(&stored, targets);
    for k in changed {
        let job = &jobs[k];
        j.target(job.index, &job.target, &job.invite_id)
            .map_err(|e| e.to_string())?;
    }
    Ok((run, jobs, j, Some(stored)))
}

/// Writes the token to a file only its owner can read.
pub fn remember_token(path: &std::path::Path, token: &Secret) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(token.expose().as_bytes())
}

/// OSC 52 asks the terminal (even over SSH) to put text on the clipboard.
fn copy_osc52(out: &mut impl std::io::Write, text: &str) -> Result<(), String> {
    crossterm::execute!(out, CopyToClipboard::to_clipboard_from(text))
        .map_err(|e| format!("copy failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invite::template::Template;
    use crate::tui::model::{Overlay, Screen};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    #[test]
    fn the_clipboard_gets_the_text_base64_encoded_in_one_osc_52_sequence() {
        let mut out = Vec::new();
        let text = "**SMS invitations** — Acme (run r-1)\n| +316 | Jan | sent |\n";
        copy_osc52(&mut out, text).expect("written");
        // Encoded independently of the code under test.
        let b64 =
            "KipTTVMgaW52aXRhdGlvbnMqKiDigJQgQWNtZSAocnVuIHItMSkKfCArMzE2IHwgSmFuIHwgc2VudCB8Cg==";
        assert_eq!(
            String::from_utf8(out).expect("ascii"),
            format!("\x1b]52;c;{b64}\x1b\\")
        );
    }

    fn key(code: KeyCode, mods: KeyModifiers) -> std::io::Result<TermEvent> {
        Ok(TermEvent::Key(KeyEvent::new(code, mods)))
    }

    /// A template saved to a file that does not take the write yet (a FIFO nobody reads) must
    /// not stop the keys: the next key is handled while the write waits.
    #[cfg(unix)]
    #[tokio::test]
    async fn saving_a_template_does_not_hold_up_the_keys() {
        let dir = tempfile::tempdir().expect("dir");
        let fifo = dir.path().join("slow.toml");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo runs");
        assert!(made.success());
        let (release, released) = std::sync::mpsc::channel::<()>();
        let reader = std::thread::spawn({
            let fifo = fifo.clone();
            move || {
                // Reads once the app has returned, or after a while if it is stuck.
                let _ = released.recv_timeout(Duration::from_secs(5));
                std::fs::read_to_string(&fifo)
            }
        });
        let mut model = Model::new(Template::default(), Some(fifo), Utc::now());
        model.screen = Screen::Template;
        let keys = futures::stream::iter([
            key(KeyCode::Char('s'), KeyModifiers::CONTROL),
            key(KeyCode::Char('?'), KeyModifiers::NONE),
        ]);
        let deps = Deps {
            api_url: "http://127.0.0.1:9".into(),
            client_rate: 0,
            request_deadline: Duration::from_secs(1),
            data_dir: dir.path().join("data"),
            config_dir: dir.path().join("config"),
            demo: false,
            clipboard: Clipboard::Recorder(Arc::default()),
            initial: None,
            initial_source: String::new(),
            real_terminal: false,
            platform_contacts_max: 10,
        };
        let mut terminal =
            Terminal::new(ratatui::backend::TestBackend::new(80, 24)).expect("terminal");
        let started = std::time::Instant::now();
        let model = run(
            &mut terminal,
            keys,
            model,
            Theme::mono(),
            Keymap::default(),
            deps,
        )
        .await
        .expect("runs");
        let took = started.elapsed();
        let _ = release.send(());
        let written = reader.join().expect("reader").expect("read");
        assert!(
            took < Duration::from_secs(3),
            "the keys waited {took:?} for the write"
        );
        assert!(matches!(model.overlay, Some(Overlay::Help { .. })));
        assert_eq!(written, Template::default().to_toml().expect("toml"));
    }
}
