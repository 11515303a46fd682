//! Entry point: parse the command line, set up logging, dispatch, map errors to exit codes.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use serde_json::json;
use sms_invite::api::{ApiError, Claims, Client, ClientConfig, Credentials, ErrorKind, Secret};
use sms_invite::cli::{Cli, Command, SandboxArgs};
use sms_invite::invite::readiness::{self, SmsStatus};
use sms_invite::sandbox::{Behaviour, FaultRule, Sandbox, SandboxConfig};
use sms_invite::{logging, paths};

/// A failure the user sees: what happened, what to do, and the exit code (DESIGN.md §4).
struct Failure {
    code: u8,
    message: String,
    hint: Option<String>,
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        let code = match e.kind {
            ErrorKind::Unauthorized | ErrorKind::RefreshFailed => 3,
            ErrorKind::Usage => 2,
            _ => 1,
        };
        Failure {
            code,
            hint: Some(e.hint().to_string()),
            message: e.to_string(),
        }
    }
}

fn usage(message: impl Into<String>, hint: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
        hint: Some(hint.into()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _log = logging::init(&paths::log_file());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("error: {}", f.message);
            if let Some(h) = f.hint {
                eprintln!("  hint: {h}");
            }
            ExitCode::from(f.code)
        }
    }
}

async fn run(cli: Cli) -> Result<u8, Failure> {
    match cli.command {
        Some(Command::Sandbox(args)) => sandbox(args).await,
        Some(Command::Orgs { json }) => {
            orgs(
                &cli.api_url,
                cli.client_rate,
                cli.token_file.as_deref(),
                json,
            )
            .await
        }
        None => Err(usage(
            "no command given",
            "run `sms-invite sandbox` to start the simulator, then `sms-invite orgs`; see --help",
        )),
    }
}

/// Credentials from the environment or `--token-file`.
fn credentials(token_file: Option<&std::path::Path>) -> Result<Credentials, Failure> {
    let raw = match token_file {
        Some(path) => std::fs::read_to_string(path).map_err(|e| {
            usage(
                format!("cannot read the token file {}: {e}", path.display()),
                "check the path and its permissions",
            )
        })?,
        None => std::env::var("SMS_INVITE_TOKEN").unwrap_or_default(),
    };
    let access = Secret::new(raw);
    Claims::decode_access(access.expose()).map_err(|e| Failure {
        code: 3,
        message: e.to_string(),
        hint: None,
    })?;
    let mut creds = Credentials::new(access);
    creds.refresh = std::env::var("SMS_INVITE_REFRESH_TOKEN")
        .ok()
        .map(Secret::new)
        .filter(|s| !s.is_empty());
    creds.client_id = std::env::var("SMS_INVITE_EMAIL")
        .ok()
        .filter(|s| !s.trim().is_empty());
    Ok(creds)
}

fn client(
    api_url: &str,
    rate: u32,
    token_file: Option<&std::path::Path>,
) -> Result<Client, Failure> {
    let mut config = ClientConfig::new(api_url)?;
    config.rate_per_sec = rate;
    Ok(Client::new(config, credentials(token_file)?)?)
}

async fn orgs(
    api_url: &str,
    rate: u32,
    token_file: Option<&std::path::Path>,
    as_json: bool,
) -> Result<u8, Failure> {
    let client = client(api_url, rate, token_file)?;
    let list = readiness::overview(&client).await?;
    let mut out = std::io::stdout().lock();
    if as_json {
        for o in &list {
            let mut v = serde_json::to_value(&o.status).unwrap_or_default();
            v["id"] = json!(o.org.id);
            v["name"] = json!(o.org.label());
            v["orgPath"] = json!(o.org.org_path);
            let _ = writeln!(out, "{v}");
        }
        return Ok(0);
    }
    let width = list
        .iter()
        .map(|o| o.org.label().chars().count() + 2 * o.org.ancestors().len())
        .max()
        .unwrap_or(4)
        .max(12);
    let _ = writeln!(
        out,
        "{:<width$}  {:<24}  {:<9}  DETAIL",
        "ORGANIZATION", "ID", "SMS"
    );
    for o in &list {
        let name = format!("{}{}", "  ".repeat(o.org.ancestors().len()), o.org.label());
        let mark = match o.status {
            SmsStatus::Ready { .. } => "ready",
            SmsStatus::NotReady { .. } => "NOT READY",
            SmsStatus::Unknown { .. } => "unknown",
        };
        let _ = writeln!(
            out,
            "{name:<width$}  {:<24}  {mark:<9}  {}",
            o.org.id,
            o.status.detail()
        );
    }
    let ready = list
        .iter()
        .filter(|o| matches!(o.status, SmsStatus::Ready { .. }))
        .count();
    let _ = writeln!(
        out,
        "\n{ready} of {} organizations can send SMS.",
        list.len()
    );
    Ok(0)
}

async fn sandbox(args: SandboxArgs) -> Result<u8, Failure> {
    let mut config = SandboxConfig {
        port: args.port,
        ..SandboxConfig::default()
    };
    let faults = args
        .faults
        .iter()
        .map(|f| FaultRule::parse(f))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| usage(e, "see `sms-invite sandbox --help` for the fault syntax"))?;
    if !(args.delay_scale.is_finite() && args.delay_scale >= 0.0) {
        return Err(usage(
            "--delay-scale must be a number of 0 or more",
            "1 keeps real time",
        ));
    }
    config.knobs.latency = Duration::from_millis(args.latency_ms);
    config.knobs.rate_limit = args.rate_limit;
    config.knobs.token_ttl_secs = args.token_ttl;
    config.knobs.faults = faults;
    config.knobs.behaviour = Behaviour {
        legacy_create: args.legacy_create,
        inherit_services: !args.no_inherit_services,
        delay_scale: args.delay_scale,
    };
    if let Some(path) = &args.seed {
        config.seed_json = Some(std::fs::read_to_string(path).map_err(|e| {
            usage(
                format!("cannot read the seed file {}: {e}", path.display()),
                "check the path",
            )
        })?);
    }
    let sandbox = Sandbox::start(config).await.map_err(|e| Failure {
        code: 1,
        message: e.to_string(),
        hint: Some("pick another --port".into()),
    })?;
    {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(sandbox.env_lines().as_bytes());
        let _ = out.flush();
    }
    eprintln!(
        "# sandbox serving the Web1on1 API simulator on {} (Ctrl-C to stop)",
        sandbox.base_url()
    );
    eprintln!(
        "# to use them in a shell: sms-invite sandbox > sandbox.env &  then  set -a; . ./sandbox.env; set +a"
    );
    tracing::info!(url = sandbox.base_url(), "sandbox started");
    wait_for_stop().await;
    eprintln!("# sandbox stopped");
    Ok(0)
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
