//! The runtime: one loop that owns the model, feeds it messages from the terminal and from
//! finished effects, performs the effects it returns, and draws when the queue is empty.
//! Generic over the ratatui backend and the input stream, so whole flows run in tests on a
//! `TestBackend` with injected keys against the sandbox.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use crossterm::event::Event as TermEvent;
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio_util::sync::CancellationToken;

use super::effect::Effect;
use super::keymap::Keymap;
use super::model::{Annotation, Model, Screen, Session};
use super::msg::Msg;
use super::theme::Theme;
use super::update::update;
use super::view::view;
use crate::api::models::Organization;
use crate::api::{Claims, Client, ClientConfig, Credentials, ErrorKind, Secret};
use crate::invite::contact::{Contact, Details};
use crate::invite::engine::{self, Engine, EngineConfig};
use crate::invite::journal::{self, Journal, RunHeader};
use crate::invite::phone;
use crate::invite::readiness;
use crate::invite::target::Target;

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
    pub data_dir: PathBuf,
    pub config_dir: PathBuf,
    pub demo: bool,
    pub clipboard: Clipboard,
    /// Credentials known at start (env, file, remembered, or the demo's).
    pub initial: Option<Credentials>,
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
}

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
        template_hash: model.template.template.template_hash(),
    };
    let size = terminal.size()?;
    model.size = (size.width, size.height);
    model.clock = Utc::now();
    if let Some(creds) = rt.deps.initial.clone() {
        model.signin.busy = true;
        rt.sign_in(creds, false);
    }
    terminal.draw(|f| view(&model, &theme, &keymap, f))?;
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        let animating = animating(&model);
        let msg = tokio::select! {
            biased;
            Some(m) = rx.recv() => m,
            ev = input.next() => match ev {
                Some(Ok(e)) => Msg::Term(e),
                Some(Err(e)) => {
                    tracing::error!("terminal input failed: {e}");
                    break;
                }
                None => break,
            },
            _ = tick.tick(), if animating => Msg::Tick(Utc::now()),
        };
        if let Msg::Term(TermEvent::Resize(..)) = msg {
            terminal.autoresize()?;
        }
        let effects = update(&mut model, msg, &keymap);
        for e in effects {
            if let Effect::Suspend = e {
                if rt.deps.real_terminal {
                    if let Err(e) = super::terminal::suspend() {
                        tracing::error!("suspend failed: {e}");
                    }
                    terminal.clear()?;
                }
                continue;
            }
            rt.perform(e);
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
    Ok(model)
}

/// Ticks (for elapsed time, ETA, quiet hours) run only while something moves.
fn animating(m: &Model) -> bool {
    m.sending.as_ref().is_some_and(|s| s.finished.is_none())
        || m.orgs.loading
        || m.screen == Screen::Confirm
        || m.signin.busy
}

impl Runtime {
    fn send(&self, msg: Msg) {
        let _ = self.tx.send(msg);
    }

    fn client(&self) -> Option<Client> {
        self.client.clone()
    }

    fn sign_in(&mut self, creds: Credentials, remember: bool) {
        let tx = self.tx.clone();
        let claims = match Claims::decode_access(creds.access.expose()) {
            Ok(c) => c,
            Err(e) => {
                self.send(Msg::SignedIn(Err(e.to_string())));
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
                    "the platform refused the token: {} ({})",
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
                    api_url,
                    demo,
                }
            });
            let _ = tx.send(Msg::SignedIn(msg));
        });
    }

    fn perform(&mut self, effect: Effect) {
        let tx = self.tx.clone();
        match effect {
            Effect::SignIn { token, remember } => {
                let mut creds = Credentials::new(token);
                // A refresh token from the environment still applies to a typed access token.
                if let Some(initial) = &self.deps.initial {
                    creds.refresh = initial.refresh.clone();
                    creds.client_id = initial.client_id.clone();
                }
                self.sign_in(creds, remember);
            }
            Effect::LoadOrgs => {
                let Some(client) = self.client() else { return };
                tokio::spawn(async move {
                    let r = readiness::overview(&client)
                        .await
                        .map_err(|e| format!("{e} ({})", e.hint()));
                    let _ = tx.send(Msg::OrgsLoaded(r));
                });
            }
            Effect::CheckOrg(org) => {
                let Some(client) = self.client() else { return };
                tokio::spawn(async move {
                    let claims = client.claims();
                    let can_refresh = client.credentials().refresh.is_some();
                    let items = vec![
                        readiness::check_token(claims.as_ref(), can_refresh, Utc::now()),
                        readiness::check_scope(claims.as_ref()),
                        readiness::check_sms(&client, &org).await,
                    ];
                    let _ = tx.send(Msg::ReadinessLoaded {
                        org: org.id.clone(),
                        items,
                    });
                });
            }
            Effect::LoadContacts(org) => {
                let Some(client) = self.client() else { return };
                let data_dir = self.deps.data_dir.clone();
                let hash = self.template_hash.clone();
                let max = self.deps.platform_contacts_max;
                tokio::spawn(async move {
                    let q = crate::api::Query::new()
                        .eq("organization", &org.id)
                        .populate("conversation");
                    let recent = journal::recent_sends(
                        &data_dir,
                        &org.id,
                        &hash,
                        Duration::from_secs(24 * 3600),
                    );
                    // One more than the cap tells whether there are more.
                    let listed = client
                        .list_all::<crate::api::models::Contact>("contacts", &q, max + 1)
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
            Effect::Annotate {
                org,
                targets,
                template_hash,
            } => {
                let Some(client) = self.client() else { return };
                let data_dir = self.deps.data_dir.clone();
                tokio::spawn(async move {
                    let recent = journal::recent_sends(
                        &data_dir,
                        &org.id,
                        &template_hash,
                        Duration::from_secs(24 * 3600),
                    );
                    let notes: Vec<Annotation> = futures::stream::iter(targets)
                        .map(|t| {
                            let client = client.clone();
                            let org = org.id.clone();
                            let last = recent.get(&t.e164).map(|(at, _)| {
                                format!("{} min ago", (Utc::now() - *at).num_minutes())
                            });
                            async move { annotate(&client, &org, t, last).await }
                        })
                        .buffered(4)
                        .collect()
                        .await;
                    let _ = tx.send(Msg::Annotated {
                        org: org.id.clone(),
                        notes,
                    });
                });
            }
            Effect::Import { path, region } => {
                tokio::spawn(async move {
                    let p = path.clone();
                    let result = tokio::task::spawn_blocking(move || {
                        let bytes = std::fs::read(&p)
                            .map_err(|e| format!("cannot read {}: {e}", p.display()))?;
                        crate::invite::import::import_csv_bytes(&bytes, region.as_deref())
                            .map_err(|e| e.to_string())
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
                retry_of,
            } => {
                let Some(client) = self.client() else { return };
                let cancel = CancellationToken::new();
                self.send_cancel = Some(cancel.clone());
                let data_dir = self.deps.data_dir.clone();
                tokio::spawn(async move {
                    let run_id = journal::new_run_id();
                    let jobs = engine::jobs_for(targets);
                    let journal = match open_journal(
                        &data_dir,
                        &run_id,
                        &org,
                        &template,
                        &jobs,
                        retry_of.as_deref(),
                    ) {
                        Ok(j) => Some(Arc::new(j)),
                        Err(e) => {
                            let _ = tx.send(Msg::Engine(crate::invite::events::Event::Notice {
                                message: format!("journal: {e}"),
                            }));
                            None
                        }
                    };
                    let (etx, mut erx) = unbounded_channel();
                    let config = EngineConfig::new(data_dir);
                    let engine = Arc::new(Engine::new(client, org, template, config, etx, cancel));
                    let forward = tokio::spawn(async move {
                        while let Some(e) = erx.recv().await {
                            let _ = tx.send(Msg::Engine(e));
                        }
                    });
                    engine.run(&run_id, jobs, journal).await;
                    let _ = forward.await;
                });
            }
            Effect::CancelSend => {
                if let Some(c) = &self.send_cancel {
                    c.cancel();
                }
            }
            Effect::Export { path, run_id, rows } => {
                let r =
                    crate::commands::printer::export_csv(&path, rows.iter(), &run_id).map(|_| path);
                self.send(Msg::Exported(r));
            }
            Effect::Copy(text) => {
                let r = match &self.deps.clipboard {
                    Clipboard::Osc52 => osc52(&text).map(|_| text.len()),
                    Clipboard::Recorder(list) => {
                        if let Ok(mut l) = list.lock() {
                            l.push(text.clone());
                        }
                        Ok(text.len())
                    }
                };
                self.send(Msg::Copied(r));
            }
            Effect::SaveTemplate { path, template } => {
                let r = template
                    .to_toml()
                    .map_err(|e| e.to_string())
                    .and_then(|toml| {
                        if let Some(dir) = path.parent() {
                            std::fs::create_dir_all(dir)
                                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                        }
                        std::fs::write(&path, toml)
                            .map_err(|e| format!("cannot write {}: {e}", path.display()))
                    })
                    .map(|_| path);
                self.send(Msg::TemplateSaved(r));
            }
            Effect::Suspend => {}
        }
    }
}

/// What a lookup says about one number: new or existing, the name, whether a person holds the
/// conversation, and whether several contacts share it.
async fn annotate(
    client: &Client,
    org: &str,
    t: Target,
    last_invite: Option<String>,
) -> Annotation {
    let mut a = Annotation {
        e164: t.e164.clone(),
        last_invite,
        ..Annotation::default()
    };
    match client.contacts_by_phone(org, &t.spellings()).await {
        Ok(found) => {
            // A named contact settles a shared number.
            let found: Vec<_> = match &t.contact_id {
                Some(id) => found.into_iter().filter(|c| &c.id == id).collect(),
                None => found,
            };
            a.existing = Some(!found.is_empty());
            a.shared = found.len();
            if let Some(c) = found.first() {
                a.name = c.profile.full_name();
                if found.len() == 1
                    && let Some(conv) = c.conversation.as_ref().and_then(|r| r.doc())
                {
                    a.held_by = conv.holders().first().map(|p| {
                        p.name
                            .clone()
                            .or(p.user.clone())
                            .unwrap_or_else(|| "an agent".into())
                    });
                }
            }
        }
        Err(e) => a.error = Some(e.to_string()),
    }
    a
}

/// Rows for the organization's own contacts: each names its platform contact (so a shared
/// number is unambiguous) and says whether a person holds its conversation or it was invited
/// recently.
fn platform_rows(
    contacts: &[crate::api::models::Contact],
    org: &Organization,
    recent: &std::collections::BTreeMap<String, (chrono::DateTime<Utc>, String)>,
) -> Vec<(Contact, Annotation)> {
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
            let held_by = c
                .conversation
                .as_ref()
                .and_then(|r| r.doc())
                .and_then(|conv| {
                    conv.holders().first().map(|p| {
                        p.name
                            .clone()
                            .or(p.user.clone())
                            .unwrap_or_else(|| "an agent".into())
                    })
                });
            let note = Annotation {
                e164: t.e164().to_string(),
                existing: Some(true),
                name: c.profile.full_name(),
                held_by,
                shared: 1,
                last_invite: recent
                    .get(t.e164())
                    .map(|(at, _)| format!("{} min ago", (Utc::now() - *at).num_minutes())),
                error: None,
            };
            Some((t, note))
        })
        .collect()
}

fn open_journal(
    data_dir: &std::path::Path,
    run_id: &str,
    org: &Organization,
    template: &crate::invite::template::Template,
    jobs: &[engine::Job],
    retry_of: Option<&str>,
) -> Result<Journal, String> {
    let j = Journal::open(data_dir, run_id).map_err(|e| e.to_string())?;
    j.header(&RunHeader {
        run: run_id.to_string(),
        org: org.id.clone(),
        org_name: org.label().to_string(),
        template_hash: template.template_hash(),
        template: template.to_toml().map_err(|e| e.to_string())?,
        started_at: Utc::now(),
        tool: match retry_of {
            Some(r) => format!("sms-invite {} (retry of {r})", env!("CARGO_PKG_VERSION")),
            None => format!("sms-invite {}", env!("CARGO_PKG_VERSION")),
        },
    })
    .map_err(|e| e.to_string())?;
    for job in jobs {
        j.target(job.index, &job.target, &job.invite_id)
            .map_err(|e| e.to_string())?;
    }
    Ok(j)
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
fn osc52(text: &str) -> Result<(), String> {
    use base64::Engine as _;
    use std::io::Write;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let mut out = std::io::stdout();
    write!(out, "\x1b]52;c;{encoded}\x07")
        .and_then(|_| out.flush())
        .map_err(|e| format!("copy failed: {e}"))
}
