//! Shared setup for integration tests: a sandbox on loopback and a client signed in to it.
#![allow(dead_code)]

use std::time::Duration;

use sms_invite::api::{Client, ClientConfig, Credentials, Secret};
use sms_invite::sandbox::{Sandbox, SandboxConfig};

pub const HOLDING: &str = "5f0000000000000000000010";
pub const AMSTERDAM: &str = "5f0000000000000000000011";
pub const BRUSSELS: &str = "5f0000000000000000000020";
pub const NO_SMS: &str = "5f0000000000000000000030";
pub const JAN_CONV: &str = "5f0000000000000000000301";

/// A sandbox with instant message delays and no rate limit, unless the test says otherwise.
pub fn quick_config() -> SandboxConfig {
    let mut c = SandboxConfig::default();
    c.knobs.behaviour.delay_scale = 0.0;
    c.knobs.rate_limit = 0;
    c
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

/// A client with the admin bot's access and refresh tokens.
pub fn bot_client(sandbox: &Sandbox) -> Client {
    let login = sandbox.bot_login();
    let mut creds = Credentials::new(Secret::new(login.token));
    creds.refresh = Some(Secret::new(login.refresh_token));
    creds.client_id = Some(login.email);
    Client::new(client_config(sandbox), creds).expect("client")
}

pub async fn start(config: SandboxConfig) -> (Sandbox, Client) {
    let sandbox = Sandbox::start(config).await.expect("sandbox starts");
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
