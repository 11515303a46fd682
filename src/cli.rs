//! The command-line contract of DESIGN.md §4.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::api::client::DEFAULT_API_URL;

#[derive(Debug, Parser)]
#[command(
    name = "sms-invite",
    version,
    about = "Send Web1on1 SMS invitations that bring a contact back to their conversation",
    after_help = "Token: env SMS_INVITE_TOKEN or --token-file; for renewal SMS_INVITE_REFRESH_TOKEN and SMS_INVITE_EMAIL.\n\
                  Try it without a token: `sms-invite sandbox`, then export the lines it prints.\n\
                  Exit codes: 0 success, 1 failures or not ready, 2 bad usage or input, 3 authentication failed."
)]
pub struct Cli {
    /// The API base URL (https; plain http only to this machine).
    #[arg(long, global = true, env = "SMS_INVITE_API_URL", default_value = DEFAULT_API_URL)]
    pub api_url: String,

    /// Requests per second this tool sends at most (the platform allows 20 per token).
    #[arg(long, global = true, default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub client_rate: u32,

    /// Read the access token from this file instead of SMS_INVITE_TOKEN.
    #[arg(long, global = true)]
    pub token_file: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Organizations the token sees, with their SMS readiness.
    Orgs {
        /// JSON Lines on stdout: one object per organization.
        #[arg(long)]
        json: bool,
    },
    /// Run the embedded API simulator on loopback until stopped; prints the env lines to use.
    Sandbox(SandboxArgs),
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
    /// Seed data file (JSON, same shape as assets/sandbox/seed.json).
    #[arg(long)]
    pub seed: Option<PathBuf>,
}
