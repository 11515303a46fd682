//! The headless commands. Each returns an exit code or a [`Failure`] that `main` prints;
//! results go to stdout, progress and errors to stderr.

pub mod check;
pub mod generate;
pub mod link;
pub mod orgs;
pub mod printer;
pub mod sandbox;
pub mod send;
pub mod tui;
pub mod watch;

use std::path::{Path, PathBuf};

use crate::api::models::Organization;
use crate::api::{
    ApiError, Claims, Client, ClientConfig, Credentials, ErrorKind, Op, Query, Secret,
};
use crate::cli::Global;
use crate::invite::readiness::Account;
use crate::invite::template::{DEFAULT_TEMPLATE_TOML, Template};

/// A failure the user sees: what happened, what to do, and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
    pub hint: Option<String>,
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        let code = match e.kind {
            ErrorKind::Unauthorized | ErrorKind::RefreshFailed => EXIT_AUTH,
            ErrorKind::Usage => EXIT_USAGE,
            _ => EXIT_FAILED,
        };
        Failure {
            code,
            hint: Some(e.hint().to_string()),
            message: e.to_string(),
        }
    }
}

pub fn usage(message: impl Into<String>, hint: impl Into<String>) -> Failure {
    Failure {
        code: EXIT_USAGE,
        message: message.into(),
        hint: Some(hint.into()),
    }
}

/// Where the access token came from, named in every message about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenSource {
    Env,
    File(PathBuf),
    /// The token the TUI remembered at sign-in.
    Remembered(PathBuf),
}

impl std::fmt::Display for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenSource::Env => f.write_str("SMS_INVITE_TOKEN"),
            TokenSource::File(p) => write!(f, "--token-file {}", p.display()),
            TokenSource::Remembered(p) => write!(f, "the remembered token ({})", p.display()),
        }
    }
}

/// The token given explicitly: `--token-file`, else `SMS_INVITE_TOKEN`. `Ok(None)` when
/// neither is given; a file that cannot be read is an error, never a fallback.
pub fn explicit_token(token_file: Option<&Path>) -> Result<Option<(Secret, TokenSource)>, Failure> {
    if let Some(path) = token_file {
        let raw = std::fs::read_to_string(path).map_err(|e| {
            usage(
                format!("cannot read the token file {}: {e}", path.display()),
                "check the path and its permissions",
            )
        })?;
        return Ok(Some((
            Secret::new(raw),
            TokenSource::File(path.to_path_buf()),
        )));
    }
    Ok(std::env::var("SMS_INVITE_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .map(|t| (Secret::new(t), TokenSource::Env)))
}

/// Credentials for `access` from `source`: the renewal settings come from the environment.
/// A token that is malformed, or expired without a way to renew it, is refused here, naming
/// its source, before any request.
pub fn credentials_for(access: Secret, source: &TokenSource) -> Result<Credentials, Failure> {
    let claims = Claims::decode_access(access.expose()).map_err(|e| Failure {
        code: EXIT_AUTH,
        message: format!("the token from {source} cannot be used: {e}"),
        hint: Some("`sms-invite sandbox` prints a token to try the tool with".into()),
    })?;
    let mut creds = Credentials::new(access);
    creds.refresh = std::env::var("SMS_INVITE_REFRESH_TOKEN")
        .ok()
        .map(Secret::new)
        .filter(|s| !s.is_empty());
    creds.client_id = std::env::var("SMS_INVITE_EMAIL")
        .ok()
        .filter(|s| !s.trim().is_empty());
    if let Some(exp) = claims.expires_at().filter(|_| creds.refresh.is_none())
        && exp <= chrono::Utc::now()
    {
        return Err(Failure {
            code: EXIT_AUTH,
            message: format!(
                "the token from {source} expired at {} and cannot be renewed",
                exp.format("%Y-%m-%d %H:%M UTC")
            ),
            hint: Some(
                "get a new token, or set SMS_INVITE_REFRESH_TOKEN and SMS_INVITE_EMAIL so it renews itself"
                    .into(),
            ),
        });
    }
    Ok(creds)
}

// Exit codes of the command-line contract (the README lists them); scripts branch on them.
/// Done: everything asked for happened (a send: nothing failed, nothing left unknown).
pub const EXIT_OK: u8 = 0;
/// Finished with failures, stopped, or (check) not ready.
pub const EXIT_FAILED: u8 = 1;
/// Bad usage or input; nothing was sent.
pub const EXIT_USAGE: u8 = 2;
/// The platform refused the token and it could not be renewed.
pub const EXIT_AUTH: u8 = 3;
/// Another process is working on the run (`send --resume`).
pub const EXIT_BUSY: u8 = 4;

/// A client signed in with a token the platform accepted, and who it belongs to.
pub struct Connected {
    pub client: Client,
    pub account: Account,
    pub source: TokenSource,
}

impl Connected {
    /// The API is a sandbox on this machine (plain http landing pages are then acceptable).
    pub fn local_api(&self) -> bool {
        crate::api::client::is_loopback(self.client.base_url())
    }

    /// An API failure as the user sees it; an authentication failure names the token's source.
    pub fn failure(&self, e: ApiError) -> Failure {
        auth_named(e, &self.source)
    }
}

fn auth_named(e: ApiError, source: &TokenSource) -> Failure {
    let mut f = Failure::from(e);
    if f.code == EXIT_AUTH {
        f.message = format!(
            "the platform refused the token from {source}: {}",
            f.message
        );
    }
    f
}

/// Signs in with the explicit token and proves it with one request (which also names the
/// bot for the readiness report).
pub async fn connect(global: &Global) -> Result<Connected, Failure> {
    let Some((access, source)) = explicit_token(global.token_file.as_deref())? else {
        return Err(Failure {
            code: EXIT_AUTH,
            message: "no token given".into(),
            hint: Some(
                "set SMS_INVITE_TOKEN or pass --token-file; `sms-invite sandbox` prints a token to try the tool with"
                    .into(),
            ),
        });
    };
    let creds = credentials_for(access, &source)?;
    let mut config = ClientConfig::new(&global.api_url)?;
    config.rate_per_sec = global.client_rate;
    config.request_deadline = std::time::Duration::from_secs(global.request_deadline);
    let client = Client::new(config, creds)?;
    let account = Account::of(&client)
        .await
        .map_err(|e| auth_named(e, &source))?;
    Ok(Connected {
        client,
        account,
        source,
    })
}

fn is_object_id(s: &str) -> bool {
    s.len() == 24 && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// An organization by id, or by name (exact, else a unique partial match, case-insensitive).
pub async fn resolve_org(client: &Client, arg: &str) -> Result<Organization, Failure> {
    let arg = arg.trim();
    if is_object_id(arg) {
        return client.organization(arg).await.map_err(|e| {
            if e.kind == ErrorKind::NotFound {
                usage(
                    format!("no organization {arg} is visible to this token"),
                    "`sms-invite orgs` lists the ones it sees",
                )
            } else {
                e.into()
            }
        });
    }
    // The platform's `~` may read the name as a pattern ("Acme (NL)", ".*"), so its answer
    // is only a shortcut: the matching is done here, and when the shortcut finds nothing that
    // matches here, every organization is listed.
    let mut all = client
        .organizations(&Query::new().op("displayName", Op::Contains, arg), 1000)
        .await?;
    let needle = arg.to_lowercase();
    let is_exact = |o: &Organization| {
        o.label().to_lowercase() == needle
            || o.name
                .as_deref()
                .is_some_and(|n| n.to_lowercase() == needle)
    };
    let is_partial = |o: &Organization| o.label().to_lowercase().contains(&needle);
    if !all.iter().any(is_partial) {
        all = client.organizations(&Query::new(), 100_000).await?;
    }
    let exact: Vec<&Organization> = all.iter().filter(|o| is_exact(o)).collect();
    let partial: Vec<&Organization> = all.iter().filter(|o| is_partial(o)).collect();
    match (exact.as_slice(), partial.as_slice()) {
        ([one], _) | ([], [one]) => Ok((*one).clone()),
        ([], []) => Err(usage(
            format!("no organization named {arg:?}"),
            "`sms-invite orgs` lists the organizations; pass a name or an id",
        )),
        (_, many) => Err(usage(
            format!(
                "{arg:?} matches {} organizations: {}",
                many.len(),
                many.iter()
                    .map(|o| format!("{} ({})", o.label(), o.id))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "pass the id or the full name",
        )),
    }
}

/// The template from `--template`, else `templates/default.toml` in the config dir, else the
/// built-in one.
pub fn load_template(config_dir: &Path, path: Option<&Path>) -> Result<Template, Failure> {
    let bad = |e: &dyn std::fmt::Display| {
        usage(
            format!("{e}"),
            "fix the template file; `assets/templates/default.toml` documents every key",
        )
    };
    if let Some(p) = path {
        return Template::load(p).map_err(|e| bad(&e));
    }
    let user = config_dir.join("templates").join("default.toml");
    if user.exists() {
        return Template::load(&user).map_err(|e| bad(&e));
    }
    Template::from_toml(DEFAULT_TEMPLATE_TOML, "built-in default template").map_err(|e| bad(&e))
}

/// The organizations' link addresses (`links.toml` in the config dir).
pub fn link_book(config_dir: &Path) -> Result<crate::invite::link::LinkBook, Failure> {
    crate::invite::link::LinkBook::load(config_dir).map_err(|e| {
        usage(
            e,
            "fix or remove the file; `sms-invite link ORG URL` rewrites an entry",
        )
    })
}
