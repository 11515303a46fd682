//! An in-memory simulator of the Web1on1 API subset the tool uses, served on loopback.
//!
//! It backs `--demo`, `sms-invite sandbox` and every test, because the real platform cannot be
//! reached from here. It follows the platform as `docs/platform.md` describes it; where that is
//! unknown, the behaviour chosen is listed in `docs/sandbox.md`, noted on [`store::Behaviour`]
//! and switchable.

pub mod customer;
pub mod faults;
pub mod filter;
pub mod server;
pub mod store;
pub mod tokens;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::oneshot;

pub use faults::{FaultKind, FaultRule};
pub use filter::PhoneInLists;
pub use server::Knobs;
pub use store::Behaviour;

/// The seeded bot user (admin scope) that `sandbox` and `--demo` sign in as.
pub const BOT_USER_ID: &str = "5ee7372448d9940011151f42";
/// A seeded bot without admin scope (cannot list services).
pub const READER_USER_ID: &str = "5ee7372448d9940011151f43";
/// A seeded human agent.
pub const AGENT_USER_ID: &str = "5ee7372448d9940011151f50";

const SEED: &str = include_str!("../../assets/sandbox/seed.json");

#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// 0 picks a free port.
    pub port: u16,
    pub knobs: Knobs,
    /// The HS256 secret; fixed by default so tokens stay valid across restarts in a demo.
    pub secret: Vec<u8>,
    pub rng_seed: u64,
    /// Replaces the built-in seed data (same JSON shape as `assets/sandbox/seed.json`).
    pub seed_json: Option<String>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            port: 0,
            knobs: Knobs {
                latency: Duration::ZERO,
                rate_limit: 20,
                token_ttl_secs: 86_400,
                faults: Vec::new(),
                behaviour: Behaviour::default(),
                default_limit: 100,
                max_limit: 1000,
                phone_in_lists: filter::PhoneInLists::Honoured,
            },
            secret: b"sms-invite-sandbox-secret".to_vec(),
            rng_seed: 7,
            seed_json: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: std::io::Error },
    #[error("the sandbox seed data is invalid: {0}")]
    Seed(String),
}

/// Tokens for a seeded user, as `sandbox` prints them.
#[derive(Clone)]
pub struct SandboxLogin {
    pub token: String,
    pub refresh_token: String,
    pub email: String,
}

impl std::fmt::Debug for SandboxLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxLogin")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// A running sandbox; dropping it stops the server.
pub struct Sandbox {
    addr: SocketAddr,
    base_url: String,
    shared: Arc<server::Shared>,
    shutdown: Option<oneshot::Sender<()>>,
}

fn load_seed(json: &str, secret: &[u8]) -> Result<store::Store, SandboxError> {
    let v: Value = serde_json::from_str(json).map_err(|e| SandboxError::Seed(e.to_string()))?;
    let take = |k: &str| {
        v.get(k)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let mut s = store::Store::new(secret);
    s.orgs = take("organizations");
    s.services = take("services");
    s.users = take("users");
    s.contacts = take("contacts");
    s.conversations = take("conversations");
    s.messages = take("messages");
    if s.orgs
        .iter()
        .chain(&s.users)
        .any(|d| d.get("id").and_then(Value::as_str).is_none())
    {
        return Err(SandboxError::Seed(
            "every organization and user needs an id".into(),
        ));
    }
    for c in take("linked") {
        if let Some(id) = c.as_str() {
            s.link(id);
        }
    }
    s.reindex();
    Ok(s)
}

impl Sandbox {
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        let store = load_seed(config.seed_json.as_deref().unwrap_or(SEED), &config.secret)?;
        let keys = tokens::Keys::new(&config.secret).map_err(SandboxError::Seed)?;
        let shared = Arc::new(server::Shared::new(
            store,
            config.knobs,
            keys,
            config.rng_seed,
        ));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port))
            .await
            .map_err(|source| SandboxError::Bind {
                port: config.port,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| SandboxError::Bind {
            port: config.port,
            source,
        })?;
        let base_url = format!("http://{addr}");
        let _ = shared.base_url.set(base_url.clone());
        let app = axum::Router::new()
            .fallback(server::handle)
            .with_state(shared.clone());
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let served = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(e) = served.await {
                tracing::error!("sandbox server stopped: {e}");
            }
        });
        Ok(Sandbox {
            addr,
            base_url,
            shared,
            shutdown: Some(tx),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, the value for `--api-url`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Fresh tokens for a seeded user.
    pub fn login(&self, user_id: &str) -> Option<SandboxLogin> {
        let user = self.with_store(|s| s.user(user_id).cloned())?;
        let pair = self.shared.issue_pair(&user);
        Some(SandboxLogin {
            token: pair["token"].as_str()?.to_string(),
            refresh_token: pair["refreshToken"].as_str()?.to_string(),
            email: pair["email"].as_str()?.to_string(),
        })
    }

    /// The admin-scoped seeded bot's tokens.
    pub fn bot_login(&self) -> SandboxLogin {
        self.login(BOT_USER_ID).unwrap_or(SandboxLogin {
            token: String::new(),
            refresh_token: String::new(),
            email: String::new(),
        })
    }

    /// An access token for a seeded user with a chosen lifetime (negative: already expired).
    pub fn access_token(&self, user_id: &str, ttl_secs: i64) -> String {
        let Some(u) = self.with_store(|s| s.user(user_id).cloned()) else {
            return String::new();
        };
        let org = u["organization"].as_str().unwrap_or("");
        let scope = u["scope"].as_str().unwrap_or("bot");
        self.shared.keys.issue(
            user_id,
            org,
            scope,
            "access_token",
            ttl_secs,
            format!("t{ttl_secs}{}", store::now_ms()),
        )
    }

    /// The `KEY=value` environment lines (README, "Configuration and environment") for the admin bot.
    pub fn env_lines(&self) -> String {
        let l = self.bot_login();
        format!(
            "SMS_INVITE_API_URL={}\nSMS_INVITE_TOKEN={}\nSMS_INVITE_REFRESH_TOKEN={}\nSMS_INVITE_EMAIL={}\n",
            self.base_url, l.token, l.refresh_token, l.email
        )
    }

    /// Runs `f` on the data, after processing every message that is due.
    pub fn with_store<R>(&self, f: impl FnOnce(&mut store::Store) -> R) -> R {
        let b = self.shared.knobs().behaviour;
        let mut s = self.shared.store.lock().unwrap_or_else(|p| p.into_inner());
        s.advance(store::now_ms(), &b);
        let out = f(&mut s);
        // `f` may have added or changed documents behind the indexes' back.
        s.reindex();
        out
    }

    /// The SMS delivery log so far.
    pub fn deliveries(&self) -> Vec<Value> {
        self.with_store(|s| s.deliveries.clone())
    }

    /// The request log so far (never contains tokens).
    pub fn requests(&self) -> Vec<Value> {
        self.shared
            .log
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default()
    }

    pub fn clear_requests(&self) {
        if let Ok(mut l) = self.shared.log.lock() {
            l.clear();
        }
    }

    /// Changes latency, limits, faults or behaviour while running.
    pub fn tune(&self, f: impl FnOnce(&mut Knobs)) {
        self.shared.with_knobs(f);
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
