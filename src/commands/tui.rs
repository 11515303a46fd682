//! `sms-invite` without a command: the interactive TUI (or `--demo` against the sandbox).

use std::io::IsTerminal;
use std::path::PathBuf;

use crossterm::event::EventStream;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use super::{Failure, usage};
use crate::api::models::Organization;
use crate::api::{Credentials, Secret};
use crate::cli::{Global, TuiArgs};
use crate::config::Config;
use crate::err;
use crate::sandbox::{Sandbox, SandboxConfig};
use crate::tui::app::{self, Clipboard, Deps};
use crate::tui::keymap::Keymap;
use crate::tui::model::Model;
use crate::tui::terminal::TerminalGuard;
use crate::tui::theme::Theme;

/// Where the TUI keeps its files: the operator's own dirs, or for `--demo` a temporary pair
/// that disappears with it, so nothing done in the demo touches a real organization's link
/// address, templates or cooldowns.
struct Dirs {
    config: PathBuf,
    data: PathBuf,
    _demo: Option<tempfile::TempDir>,
}

impl Dirs {
    fn for_run(demo: bool) -> Result<Dirs, Failure> {
        if !demo {
            return Ok(Dirs {
                config: crate::paths::config_dir(),
                data: crate::paths::data_dir(),
                _demo: None,
            });
        }
        let tmp = tempfile::Builder::new()
            .prefix("sms-invite-demo-")
            .tempdir()
            .map_err(|e| Failure {
                code: super::EXIT_FAILED,
                message: format!("cannot create the demo's temporary folder: {e}"),
                hint: Some("check TMPDIR".into()),
            })?;
        Ok(Dirs {
            config: tmp.path().join("config"),
            data: tmp.path().join("data"),
            _demo: Some(tmp),
        })
    }
}

pub async fn run(global: &Global, args: TuiArgs) -> Result<u8, Failure> {
    // Theme and keys are read from the operator's config even in the demo (read only).
    let config = Config::load(&crate::config::path())
        .map_err(|e| usage(e, "fix or remove the config file"))?;
    let theme = Theme::configured(&config.theme, args.theme.as_deref())
        .map_err(|e| usage(e, "themes: dark, light, mono"))?;
    let keymap = Keymap::configured(&config.keys)
        .map_err(|e| usage(e, "see `?` in the TUI for command names"))?;
    let dirs = Dirs::for_run(args.demo)?;
    let template = super::load_template(&dirs.config, args.template.as_deref())?;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(usage(
            "the interactive TUI needs a terminal",
            "use a command (orgs, check, send --json) from scripts",
        ));
    }
    let mut initial_error = None;
    let (api_url, initial, initial_source, sandbox) = if args.demo {
        let mut sc = SandboxConfig::default();
        // Real delays would leave the demo's delivery log empty for ten seconds.
        sc.knobs.behaviour.delay_scale = 0.05;
        let sandbox = Sandbox::start(sc).await.map_err(|e| Failure {
            code: super::EXIT_FAILED,
            message: e.to_string(),
            hint: None,
        })?;
        let login = sandbox.bot_login();
        let mut creds = Credentials::new(Secret::new(login.token));
        creds.refresh = Some(Secret::new(login.refresh_token));
        creds.client_id = Some(login.email);
        seed_demo_links(&sandbox, &dirs.config)?;
        (
            sandbox.base_url().to_string(),
            Some(creds),
            "the demo sandbox".to_string(),
            Some(sandbox),
        )
    } else {
        let (creds, source) = match signed_in_token(global) {
            Ok(found) => found.map_or((None, String::new()), |(c, s)| (Some(c), s)),
            Err(why) => {
                initial_error = Some(why);
                (None, String::new())
            }
        };
        (global.api_url.clone(), creds, source, None)
    };
    let links = super::link_book(&dirs.config)?;
    let mouse = !args.no_mouse && config.mouse.unwrap_or(true);
    let deps = Deps {
        api_url,
        client_rate: global.client_rate,
        request_deadline: std::time::Duration::from_secs(global.request_deadline),
        data_dir: dirs.data.clone(),
        config_dir: dirs.config.clone(),
        demo: args.demo,
        clipboard: Clipboard::Osc52,
        initial,
        initial_source,
        real_terminal: true,
        platform_contacts_max: crate::tui::app::PLATFORM_CONTACTS_MAX,
    };
    let mut model = Model::new(template, args.template.clone(), chrono::Utc::now());
    model.template.choices = template_choices(&dirs.config.join("templates"));
    model.template.save_dir = dirs.config.join("templates");
    model.links = links;
    model.log_file = crate::paths::log_file();
    model.signin.error = initial_error;
    watch_signals();
    let guard = TerminalGuard::enter(mouse).map_err(|e| Failure {
        code: super::EXIT_FAILED,
        message: format!("cannot set up the terminal: {e}"),
        hint: None,
    })?;
    let result = match Terminal::new(CrosstermBackend::new(std::io::stdout())) {
        Ok(mut terminal) => {
            app::run(
                &mut terminal,
                EventStream::new(),
                model,
                theme,
                keymap,
                deps,
            )
            .await
        }
        Err(e) => Err(e),
    };
    drop(guard);
    drop(sandbox);
    let model = result.map_err(|e| Failure {
        code: super::EXIT_FAILED,
        message: format!("terminal error: {e}"),
        hint: None,
    })?;
    for line in crate::tui::exit_note(&model) {
        err!("{line}");
    }
    Ok(super::EXIT_OK)
}

/// The token to sign in with: one given explicitly (`--token-file`, `SMS_INVITE_TOKEN`) always
/// wins over a remembered one; when it cannot be used, the sign-in screen says why, naming it.
fn signed_in_token(global: &Global) -> Result<Option<(Credentials, String)>, String> {
    match super::explicit_token(global.token_file.as_deref()) {
        Err(f) => Err(f.message),
        Ok(Some((secret, source))) => super::credentials_for(secret, &source)
            .map(|c| Some((c, source.to_string())))
            .map_err(|f| f.message),
        Ok(None) => {
            let path = crate::paths::config_dir().join("token");
            let Ok(token) = std::fs::read_to_string(&path) else {
                return Ok(None);
            };
            let source = super::TokenSource::Remembered(path);
            super::credentials_for(Secret::new(token), &source)
                .map(|c| Some((c, source.to_string())))
                .map_err(|f| f.message)
        }
    }
}

/// The demo's Acme organizations have their landing page saved: the sandbox's own, so the
/// operator can open the link from the sandbox's handset page and play the customer. The
/// others have none, so the demo also shows how the TUI asks for one.
fn seed_demo_links(sandbox: &Sandbox, config_dir: &std::path::Path) -> Result<(), Failure> {
    let orgs: Vec<Organization> = sandbox.with_store(|s| {
        s.orgs
            .iter()
            .filter_map(|o| serde_json::from_value(o.clone()).ok())
            .collect()
    });
    let mut book = super::link_book(config_dir)?;
    for org in orgs.iter().filter(|o| o.label().starts_with("Acme")) {
        let slug = org.name.as_deref().unwrap_or(&org.id);
        let url = format!("{}/__sandbox/clp/{slug}", sandbox.base_url());
        book.set(org, Some(&url)).map_err(|e| Failure {
            code: super::EXIT_FAILED,
            message: e,
            hint: None,
        })?;
    }
    Ok(())
}

/// Every readable template in `dir`, then the built-in one; unreadable files are logged and
/// left out rather than blocking the TUI.
pub fn template_choices(
    dir: &std::path::Path,
) -> Vec<(
    Option<std::path::PathBuf>,
    crate::invite::template::Template,
)> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut paths: Vec<_> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        paths.sort();
        for p in paths {
            match crate::invite::template::Template::load(&p) {
                Ok(t) => out.push((Some(p), t)),
                Err(e) => tracing::warn!("template {} skipped: {e}", p.display()),
            }
        }
    }
    if let Ok(t) = crate::invite::template::Template::from_toml(
        crate::invite::template::DEFAULT_TEMPLATE_TOML,
        "built-in",
    ) {
        out.push((None, t));
    }
    out
}

/// SIGTERM, SIGHUP (terminal closed) and SIGINT (`kill -INT`; in raw mode Ctrl-C is a key,
/// not a signal) restore the terminal before the process ends.
fn watch_signals() {
    #[cfg(unix)]
    tokio::spawn(async {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hup), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
            signal(SignalKind::interrupt()),
        ) else {
            return;
        };
        let code = tokio::select! {
            _ = term.recv() => 143,
            _ = hup.recv() => 129,
            _ = int.recv() => 130,
        };
        crate::tui::terminal::restore();
        std::process::exit(code);
    });
}
