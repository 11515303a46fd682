//! `sms-invite` without a command: the interactive TUI (or `--demo` against the sandbox).

use std::io::IsTerminal;

use crossterm::event::EventStream;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use super::{Failure, usage};
use crate::api::{Credentials, Secret};
use crate::cli::{Global, TuiArgs};
use crate::config::Config;
use crate::sandbox::{Sandbox, SandboxConfig};
use crate::tui::app::{self, Clipboard, Deps};
use crate::tui::model::Model;
use crate::tui::terminal::TerminalGuard;

/// The CLP address the demo uses when the template has none.
pub const DEMO_CLP_URL: &str = "https://clp.example.com/acme";

pub async fn run(global: &Global, args: TuiArgs) -> Result<u8, Failure> {
    let config = Config::load(&crate::config::path())
        .map_err(|e| usage(e, "fix or remove the config file"))?;
    let theme = config
        .theme(args.theme.as_deref())
        .map_err(|e| usage(e, "themes: dark, light, mono"))?;
    let keymap = config
        .keymap()
        .map_err(|e| usage(e, "see `?` in the TUI for command names"))?;
    let mut template = super::load_template(args.template.as_deref())?;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(usage(
            "the interactive TUI needs a terminal",
            "use a command (orgs, check, send --json) from scripts",
        ));
    }
    let mut data_dir = crate::paths::data_dir();
    let (api_url, initial, sandbox) = if args.demo {
        let mut sc = SandboxConfig::default();
        // Real delays would leave the demo's delivery log empty for ten seconds.
        sc.knobs.behaviour.delay_scale = 0.05;
        let sandbox = Sandbox::start(sc).await.map_err(|e| Failure {
            code: 1,
            message: e.to_string(),
            hint: None,
        })?;
        let login = sandbox.bot_login();
        let mut creds = Credentials::new(Secret::new(login.token));
        creds.refresh = Some(Secret::new(login.refresh_token));
        creds.client_id = Some(login.email);
        if template.clp_url.trim().is_empty() {
            template.clp_url = DEMO_CLP_URL.to_string();
        }
        // The demo's runs stay apart from real ones (cooldown, resume).
        data_dir = data_dir.join("demo");
        (sandbox.base_url().to_string(), Some(creds), Some(sandbox))
    } else {
        let creds = super::credentials(global.token_file.as_deref())
            .ok()
            .or_else(|| {
                let remembered = crate::paths::config_dir().join("token");
                let token = std::fs::read_to_string(remembered).ok()?;
                Some(Credentials::new(Secret::new(token)))
            });
        (global.api_url.clone(), creds, None)
    };
    let mouse = !args.no_mouse && config.mouse.unwrap_or(true);
    let deps = Deps {
        api_url,
        client_rate: global.client_rate,
        data_dir,
        config_dir: crate::paths::config_dir(),
        demo: args.demo,
        clipboard: Clipboard::Osc52,
        initial,
        real_terminal: true,
        platform_contacts_max: crate::tui::app::PLATFORM_CONTACTS_MAX,
    };
    let mut model = Model::new(template, args.template.clone(), chrono::Utc::now());
    model.template.choices = template_choices(&crate::paths::config_dir().join("templates"));
    watch_signals();
    let guard = TerminalGuard::enter(mouse).map_err(|e| Failure {
        code: 1,
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
        code: 1,
        message: format!("terminal error: {e}"),
        hint: None,
    })?;
    if let Some(s) = model.sending.as_ref().and_then(|s| s.finished.as_ref()) {
        eprintln!(
            "last run {}: {} sent, {} skipped, {} failed, {} unknown, {} not started",
            s.run_id, s.sent, s.skipped, s.failed, s.unknown, s.not_started
        );
    }
    Ok(0)
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

/// SIGTERM or SIGHUP (terminal closed) restore the terminal before the process ends.
fn watch_signals() {
    #[cfg(unix)]
    tokio::spawn(async {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = hup.recv() => {}
        }
        crate::tui::terminal::restore();
        std::process::exit(143);
    });
}
