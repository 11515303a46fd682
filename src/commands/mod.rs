//! The headless commands of DESIGN.md §4. Each returns an exit code or a [`Failure`] that
//! `main` prints; results go to stdout, progress and errors to stderr.

pub mod check;
pub mod orgs;
pub mod printer;
pub mod sandbox;
pub mod send;
pub mod tui;

use std::path::Path;

use crate::api::models::Organization;
use crate::api::{
    ApiError, Claims, Client, ClientConfig, Credentials, ErrorKind, Op, Query, Secret,
};
use crate::cli::Global;
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

pub fn usage(message: impl Into<String>, hint: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
        hint: Some(hint.into()),
    }
}

/// Credentials from `--token-file` or the environment.
pub fn credentials(token_file: Option<&Path>) -> Result<Credentials, Failure> {
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
    Ok(creds)
}

pub fn client(global: &Global) -> Result<Client, Failure> {
    let mut config = ClientConfig::new(&global.api_url)?;
    config.rate_per_sec = global.client_rate;
    config.request_deadline = std::time::Duration::from_secs(global.request_deadline);
    Ok(Client::new(
        config,
        credentials(global.token_file.as_deref())?,
    )?)
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
    let all = client
        .organizations(&Query::new().op("displayName", Op::Contains, arg), 1000)
        .await?;
    let all = if all.is_empty() {
        client.organizations(&Query::new(), 100_000).await?
    } else {
        all
    };
    let needle = arg.to_lowercase();
    let exact: Vec<&Organization> = all
        .iter()
        .filter(|o| {
            o.label().to_lowercase() == needle
                || o.name
                    .as_deref()
                    .is_some_and(|n| n.to_lowercase() == needle)
        })
        .collect();
    let partial: Vec<&Organization> = all
        .iter()
        .filter(|o| o.label().to_lowercase().contains(&needle))
        .collect();
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
pub fn load_template(path: Option<&Path>) -> Result<Template, Failure> {
    let bad = |e: &dyn std::fmt::Display| {
        usage(
            format!("{e}"),
            "fix the template file; `assets/templates/default.toml` documents every key",
        )
    };
    if let Some(p) = path {
        return Template::load(p).map_err(|e| bad(&e));
    }
    let user = crate::paths::config_dir()
        .join("templates")
        .join("default.toml");
    if user.exists() {
        return Template::load(&user).map_err(|e| bad(&e));
    }
    Template::from_toml(DEFAULT_TEMPLATE_TOML, "built-in default template").map_err(|e| bad(&e))
}
