//! The one fixture of the integration tests: the sandbox seed's ids and numbers, the admin
//! bot's credentials (for the library client and for the real binary), sandbox start helpers,
//! polling against a deadline instead of sleeping a guessed margin, and the rule for tests that
//! need a program outside Rust (skip with a reason locally, fail under CI).
//!
//! The ids are copied from `assets/sandbox/seed.json` once, here, so a change to the seed breaks
//! one place instead of every test file that repeated them.
#![allow(dead_code, unused_imports)]

use std::future::Future;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use sms_invite::api::{Client, ClientConfig, Credentials, Secret};
pub use sms_invite::sandbox::{AGENT_USER_ID, BOT_USER_ID, READER_USER_ID};
use sms_invite::sandbox::{Sandbox, SandboxConfig};

// ---- organizations of the seed ----
pub const ROOT: &str = "5f0000000000000000000001";
pub const HOLDING: &str = "5f0000000000000000000010";
/// Acme Holding's display name, as an operator types it after `--org`.
pub const HOLDING_NAME: &str = "Acme Holding";
pub const AMSTERDAM: &str = "5f0000000000000000000011";
pub const UTRECHT: &str = "5f0000000000000000000012";
pub const BRUSSELS: &str = "5f0000000000000000000020";
pub const NO_SMS: &str = "5f0000000000000000000030";
pub const DISABLED: &str = "5f0000000000000000000040";
/// Another tenant's organization, outside the bot's tree.
pub const OTHER_TENANT: &str = "5f00000000000000000000ff";

// ---- Acme Holding's contacts and their conversations ----
/// Jan Jansen, an existing contact of Acme Holding.
pub const JAN: &str = "+31612345678";
/// Shared by Mark and Eva Visser.
pub const SHARED: &str = "+31612345680";
/// Sanne Bakker; her conversation is held by agent Anna.
pub const SANNE: &str = "+31612345681";
/// Not in the seed data.
pub const NEW: &str = "+31687654321";

pub const JAN_ID: &str = "5f0000000000000000000201";
pub const PIET_ID: &str = "5f0000000000000000000202";
pub const MARK_ID: &str = "5f0000000000000000000203";
pub const EVA_ID: &str = "5f0000000000000000000204";
pub const SANNE_ID: &str = "5f0000000000000000000205";

pub const JAN_CONV: &str = "5f0000000000000000000301";
pub const EVA_CONV: &str = "5f0000000000000000000304";
pub const SANNE_CONV: &str = "5f0000000000000000000305";

/// A landing page address the template accepts.
pub const CLP: &str = "https://clp.example.com/acme";

/// A sandbox with instant message delays and no rate limit, unless the test says otherwise.
pub fn quick_config() -> SandboxConfig {
    let mut c = SandboxConfig::default();
    c.knobs.behaviour.delay_scale = 0.0;
    c.knobs.rate_limit = 0;
    c
}

/// Starts a sandbox on loopback; a sandbox that cannot start fails the test at once.
pub async fn start_sandbox(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).await.expect("sandbox starts")
}

/// A client config for tests: fast retries, no client-side rate limit.
pub fn client_config(sandbox: &Sandbox) -> ClientConfig {
    let mut c = ClientConfig::new(sandbox.base_url()).expect("loopback url");
    c.rate_per_sec = 0;
    c.retry.base_delay = Duration::from_millis(5);
    c.retry.max_delay = Duration::from_millis(50);
    c.request_timeout = Duration::from_secs(5);
    c
}

/// The admin bot's access and refresh tokens, as a signed-in operator holds them.
pub fn bot_credentials(sandbox: &Sandbox) -> Credentials {
    let login = sandbox.bot_login();
    let mut creds = Credentials::new(Secret::new(login.token));
    creds.refresh = Some(Secret::new(login.refresh_token));
    creds.client_id = Some(login.email);
    creds
}

/// A client signed in as the admin bot.
pub fn bot_client(sandbox: &Sandbox) -> Client {
    Client::new(client_config(sandbox), bot_credentials(sandbox)).expect("client")
}

/// The environment that signs the real binary in as the admin bot against `sandbox`; fresh
/// tokens on every call, since a run may rotate the refresh token it was given.
pub fn bot_env(sandbox: &Sandbox) -> Vec<(&'static str, String)> {
    let login = sandbox.bot_login();
    vec![
        ("SMS_INVITE_API_URL", sandbox.base_url().to_string()),
        ("SMS_INVITE_TOKEN", login.token),
        ("SMS_INVITE_REFRESH_TOKEN", login.refresh_token),
        ("SMS_INVITE_EMAIL", login.email),
    ]
}

pub async fn start(config: SandboxConfig) -> (Sandbox, Client) {
    let sandbox = start_sandbox(config).await;
    let client = bot_client(&sandbox);
    (sandbox, client)
}

/// Requests in the sandbox log matching method and route.
pub fn count(sandbox: &Sandbox, method: &str, route: &str) -> usize {
    sandbox
        .requests()
        .iter()
        .filter(|r| r["method"] == method && r["route"] == route)
        .count()
}

/// How often [`wait_until`] looks again: short, so a test goes on as soon as the condition
/// holds instead of after a margin guessed for the slowest machine.
pub const POLL: Duration = Duration::from_millis(5);

/// Polls `cond` until it holds, or panics after `timeout` with `what`. The timeout is a bound
/// for a hung test, not a wait: a passing test waits only as long as the condition needs.
pub async fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if cond() {
            return;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// [`wait_until`] for a condition that has to be asked asynchronously.
pub async fn wait_until_async<F, Fut>(what: &str, timeout: Duration, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if cond().await {
            return;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Whether this is a CI run (`CI=true`, as CI services and `.ci/run` set it).
pub fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// Whether `program` can be started (as `program args`, which should be a harmless version
/// query); `purpose` says which test needs it. Only the start counts, not the exit status:
/// version flags differ between GNU and BSD tools, and a test that uses the program reports
/// its real failures itself.
///
/// A developer without tmux or Node should still get a green `cargo test` for everything
/// else, so there the test is skipped with the reason printed. Under CI a skip would hide that
/// a whole end-to-end check stopped running, so there a missing program fails the test.
#[must_use]
pub fn have_program(program: &str, args: &[&str], purpose: &str) -> bool {
    match Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(_) => true,
        Err(e) => missing(&format!("{program} is not installed ({e})"), purpose),
    }
}

/// Reports a missing requirement: a skip (false) locally, a panic under CI. The skip is
/// written to stderr directly rather than with `eprintln!`, which the test harness swallows
/// for passing tests: a skipped check must show up in a plain `cargo test`.
pub fn missing(problem: &str, purpose: &str) -> bool {
    if on_ci() {
        panic!(
            "{problem}; {purpose}. CI=true, so this fails instead of skipping: install it \
             (.ci/run does)"
        );
    }
    let _ = writeln!(
        std::io::stderr().lock(),
        "skipped: {problem}; {purpose} (under CI=true this fails instead)"
    );
    false
}
