//! The command-line contract: commands, flags, exit codes (see the README).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::api::client::DEFAULT_API_URL;

#[derive(Debug, Parser)]
#[command(
    name = "sms-invite",
    version,
    about = "Send Web1on1 SMS invitations that bring a contact back to their conversation",
    after_help = "Token: env SMS_INVITE_TOKEN or --token-file; for renewal SMS_INVITE_REFRESH_TOKEN and SMS_INVITE_EMAIL.\n\
                  Try it without a token: `sms-invite --demo` (the TUI against the embedded sandbox), or\n`sms-invite sandbox` and export the lines it prints for the commands.\n\
                  Exit codes: 0 success, 1 failures or not ready, 2 bad usage or input, 3 authentication failed,\n\
                  4 the run is being sent by another process."
)]
pub struct Cli {
    #[command(flatten)]
    pub client: ClientArgs,

    #[command(flatten)]
    pub tui: TuiArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Flags of the interactive TUI (no command).
#[derive(Debug, Args, Clone, Default)]
pub struct TuiArgs {
    /// Start the embedded sandbox with seeded data and sign in to it: try every screen without
    /// a token.
    #[arg(long)]
    pub demo: bool,
    /// Do not capture the mouse (keeps the terminal's own text selection).
    #[arg(long)]
    pub no_mouse: bool,
    /// Colour theme: dark, light or mono (NO_COLOR selects mono).
    #[arg(long)]
    pub theme: Option<String>,
    /// Message template (TOML) to start with.
    #[arg(long)]
    pub template: Option<PathBuf>,
}

/// How to reach the API: taken by every command that talks to it (and the TUI), before or
/// after the command's name; `sandbox` does not take them.
#[derive(Debug, Args, Clone, Default)]
pub struct ClientArgs {
    /// The API base URL (https; plain http only to this machine) [default: https://api.web1on1.chat]
    #[arg(long, env = "SMS_INVITE_API_URL")]
    pub api_url: Option<String>,

    /// Requests per second this tool sends at most; the platform allows 20 per token [default: 15]
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub client_rate: Option<u32>,

    /// Read the access token from this file instead of SMS_INVITE_TOKEN.
    #[arg(long)]
    pub token_file: Option<PathBuf>,

    /// Seconds one API request may take in all, retries and waits included [default: 60]
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_deadline: Option<u64>,
}

impl ClientArgs {
    /// The flags given after the command win over those given before it; then the defaults.
    pub fn resolve(&self, before: &ClientArgs) -> Global {
        Global {
            api_url: self
                .api_url
                .clone()
                .or_else(|| before.api_url.clone())
                .unwrap_or_else(|| DEFAULT_API_URL.to_string()),
            client_rate: self.client_rate.or(before.client_rate).unwrap_or(15),
            token_file: self
                .token_file
                .clone()
                .or_else(|| before.token_file.clone()),
            request_deadline: self
                .request_deadline
                .or(before.request_deadline)
                .unwrap_or(60),
        }
    }
}

/// The API settings a command works with, defaults applied.
#[derive(Debug, Clone)]
pub struct Global {
    pub api_url: String,
    pub client_rate: u32,
    pub token_file: Option<PathBuf>,
    pub request_deadline: u64,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Organizations the token sees, with their SMS readiness.
    Orgs(OrgsArgs),
    /// Readiness report of one organization: one line per prerequisite; exit 0 ready, 1 not.
    Check(CheckArgs),
    /// Send SMS invitations to one or more contacts of an organization.
    Send(SendArgs),
    /// Show, save or forget an organization's landing-page address (the link in its SMS).
    Link(LinkArgs),
    /// Follow a sent run's invitations: who came back (via the link or by SMS) and what the
    /// platform reported; exit 0 when everyone came back, 1 otherwise.
    Watch(WatchArgs),
    /// Run the embedded API simulator on loopback until stopped; prints the env lines to use.
    Sandbox(SandboxArgs),
    /// Print a shell completion script to stdout, e.g. `sms-invite completions bash`.
    Completions(CompletionsArgs),
    /// Print a manual page (roff) to stdout, e.g. `sms-invite man | man -l -`.
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The run id (`send` prints it; the TUI's runs screen lists them).
    pub run: String,
    /// How long to keep following, e.g. 30m, 2h, 90s.
    #[arg(long = "for", value_name = "DURATION", default_value = "30m", value_parser = parse_window)]
    pub window: std::time::Duration,
    /// JSON Lines on stdout: one object per change (event cameBack or problem), then a summary.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// A watch window: a human duration ("30m", "2h 30m"), between a second and a week.
pub fn parse_window(s: &str) -> Result<std::time::Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| format!("{e} (try 30m, 2h or 90s)"))?;
    if d < std::time::Duration::from_secs(1) || d > std::time::Duration::from_secs(7 * 24 * 3600) {
        return Err("a watch lasts between 1s and 7 days".into());
    }
    Ok(d)
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// A command whose own page to print (sms-invite-send(1) for `send`); without one, the
    /// page of sms-invite(1), which lists the commands.
    pub command: Option<String>,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Latency added to every API request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Requests per second per token before 429 (0 = unlimited).
    #[arg(long, default_value_t = 20)]
    pub rate_limit: u32,
    /// Lifetime of issued access tokens, in seconds.
    #[arg(long, default_value_t = 86_400, allow_negative_numbers = true)]
    pub token_ttl: i64,
    /// Inject faults: METHOD:ROUTE:KIND:RATE, e.g. POST:conversations:after-write:0.05
    /// (kinds: error, after-write, drop, drop-after-write, 429, slow=MS). Repeatable.
    #[arg(long = "fault", value_name = "SPEC")]
    pub faults: Vec<String>,
    /// Creating a conversation for an existing contact fails with 409 (older platform docs)
    /// instead of adding to its conversation (200).
    #[arg(long)]
    pub legacy_create: bool,
    /// A parent organization's twilio service does not cover its children.
    #[arg(long)]
    pub no_inherit_services: bool,
    /// Multiply message delays by this factor (1 = real time).
    #[arg(long, default_value_t = 1.0)]
    pub delay_scale: f64,
    /// A failed SMS writes no `type: "status"` message into its conversation.
    #[arg(long)]
    pub no_status_messages: bool,
    /// Share of SMS the carrier rejects, from 0 to 1 (the same ones on every run).
    #[arg(long, default_value_t = 0.0, value_name = "F")]
    pub sms_failure_rate: f64,
    /// How an in-list on a contact's telephone (`profile.telephone=[a,b]`) is read: honoured,
    /// literal (one value, nothing matches) or ignored (every contact matches).
    #[arg(long, value_enum, default_value_t = crate::sandbox::PhoneInLists::Honoured)]
    pub phone_in_lists: crate::sandbox::PhoneInLists,
    /// Seed data file (JSON, same shape as assets/sandbox/seed.json).
    #[arg(long)]
    pub seed: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct OrgsArgs {
    /// JSON Lines on stdout: one object per organization.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct LinkArgs {
    /// Organization id or name.
    pub org: String,
    /// The https address of its Conversational Landing Page, to save.
    #[arg(conflicts_with = "remove")]
    pub url: Option<String>,
    /// Forget the saved address (the template's clp_url applies again).
    #[arg(long)]
    pub remove: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Organization id or name.
    pub org: String,
    /// Template to check (default: the configured or built-in one).
    #[arg(long)]
    pub template: Option<PathBuf>,
    /// The landing-page address to check instead of the organization's saved one.
    #[arg(long)]
    pub clp_url: Option<String>,
    /// Override the template's alphanumeric SenderID ("" for none).
    #[arg(long)]
    pub sender_id: Option<String>,
    /// Destination numbers, to check the SenderID for their countries.
    #[arg(long = "phone", value_name = "NUMBER")]
    pub phones: Vec<String>,
    /// JSON Lines: one object per check, then a summary.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// Organization id or name (not needed with --resume).
    #[arg(long, required_unless_present = "resume")]
    pub org: Option<String>,
    /// A number as people type it (national or international). Repeatable.
    #[arg(long = "phone", value_name = "NUMBER", conflicts_with_all = ["contacts", "resume"])]
    pub phones: Vec<String>,
    /// A CSV file of contacts (telephone, givenName, familyName, email, locale, extra columns),
    /// or `-` for a pasted free-text list on stdin.
    #[arg(long, value_name = "FILE", conflicts_with = "resume")]
    pub contacts: Option<PathBuf>,
    /// With a single --phone shared by several contacts: the platform contact id to invite
    /// (in a CSV, use a contactId column).
    #[arg(long, requires = "phones")]
    pub contact_id: Option<String>,
    /// Message template (TOML).
    #[arg(long, conflicts_with = "resume")]
    pub template: Option<PathBuf>,
    /// The landing-page address for this run, instead of the organization's saved one
    /// (`sms-invite link ORG URL` saves one).
    #[arg(long, conflicts_with = "resume")]
    pub clp_url: Option<String>,
    /// Override the template's alphanumeric SenderID ("" for none).
    #[arg(long, conflicts_with = "resume")]
    pub sender_id: Option<String>,
    /// Look up and preview every invitation; send and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// JSON Lines on stdout: one object per contact result, then a summary object.
    #[arg(long)]
    pub json: bool,
    /// Contacts in flight at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=32))]
    pub concurrency: u16,
    /// Send despite the cooldown or a person holding the conversation (never despite a
    /// readiness line that is not ready).
    #[arg(long)]
    pub force: bool,
    /// Resume an interrupted run: send only what is not done (a run id from the journal).
    #[arg(long, value_name = "RUN")]
    pub resume: Option<String>,
    /// Skip contacts invited with the same template within this many hours.
    #[arg(long, default_value_t = crate::invite::cooldown::DEFAULT.as_secs() / 3600)]
    pub cooldown_hours: u64,
    /// Write the results to this CSV file.
    #[arg(long, value_name = "FILE")]
    pub export: Option<PathBuf>,
    /// After sending, follow the invitations this long (e.g. 30m) as `watch` does; the exit
    /// code is then watch's unless the send itself failed.
    #[arg(long, value_name = "DURATION", value_parser = parse_window, conflicts_with = "dry_run")]
    pub watch: Option<std::time::Duration>,
    #[command(flatten)]
    pub client: ClientArgs,
}
