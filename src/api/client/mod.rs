//! The HTTP client: one place that sends requests, so authentication, retries, rate limiting
//! and error mapping are applied the same way to every call.
//!
//! This file holds the handle and its settings. How one request travels is `transport.rs`, how
//! an answer becomes a typed value or an [`ApiError`] is `decode.rs`, the calls by resource are
//! `resources.rs`, and lists followed page by page are `listing.rs`.

mod decode;
mod listing;
mod resources;
mod transport;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use governor::DefaultDirectRateLimiter;
use url::Url;

use super::auth::{Claims, Credentials, Secret};
use super::error::{ApiError, ErrorKind};
use super::limits;
use super::query::Query;
use super::retry::RetryPolicy;

pub use decode::is_refreshable_message;
pub use listing::Page;

pub const DEFAULT_API_URL: &str = "https://api.web1on1.chat";

/// How the client talks to the platform.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub base_url: Url,
    /// Requests per second this client sends at most (0 = no limit). The platform allows 20
    /// per token; the default 15 leaves room for the bursts the limiter allows.
    pub rate_per_sec: u32,
    pub connect_timeout: Duration,
    /// One attempt at most; [`ClientConfig::request_deadline`] bounds all of them together.
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
    /// An answer larger than this is refused. Pages keep real answers far below it, so a
    /// bigger one comes from a broken or hostile server, and reading it would fill the memory.
    pub max_body_bytes: usize,
    /// A listing that goes on past this many pages fails, rather than run for hours or end as
    /// if it were complete.
    pub max_pages: usize,
    /// The time one request has across all its attempts and the waits between them, so no
    /// server (silent, trickling, or asking for absurd waits) stalls a run for longer.
    pub request_deadline: Duration,
}

impl ClientConfig {
    /// Checks the API URL: https, or plain http only to this machine (the sandbox), so a token
    /// never crosses a network in clear text.
    pub fn new(base_url: &str) -> Result<Self, ApiError> {
        Ok(ClientConfig {
            base_url: parse_api_url(base_url)?,
            rate_per_sec: 15,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            max_body_bytes: limits::DEFAULT_MAX_BODY_BYTES,
            max_pages: limits::DEFAULT_MAX_PAGES,
            request_deadline: limits::DEFAULT_REQUEST_DEADLINE,
        })
    }
}

/// Parses and checks an API base URL (see [`ClientConfig::new`]).
pub fn parse_api_url(raw: &str) -> Result<Url, ApiError> {
    let url = Url::parse(raw.trim()).map_err(|e| {
        ApiError::usage(format!(
            "the API URL {raw:?} is not a valid URL ({e}); expected e.g. {DEFAULT_API_URL}"
        ))
    })?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(ApiError::usage(format!(
                "refusing plain http to {}: the token would cross the network unencrypted; use https",
                url.host_str().unwrap_or("?")
            )));
        }
        other => {
            return Err(ApiError::usage(format!(
                "the API URL must start with https:// (got {other}://)"
            )));
        }
    }
    if url.host_str().is_none() || url.cannot_be_a_base() {
        return Err(ApiError::usage(format!("the API URL {raw:?} has no host")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ApiError::usage(format!(
            "the API URL {raw:?} must not have a query or fragment"
        )));
    }
    Ok(url)
}

/// True for localhost, 127.0.0.0/8 and ::1.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Things worth telling the user about while requests run (the engine turns them into events).
#[derive(Clone, Debug, PartialEq)]
pub enum ClientEvent {
    /// The platform answered 429; the request is retried after `wait`.
    RateLimited { wait: Duration },
    /// A request is retried after a transient failure.
    Retrying {
        attempt: u32,
        wait: Duration,
        reason: String,
    },
    /// The access token was renewed with the refresh token.
    TokenRefreshed,
}

type Observer = Arc<dyn Fn(ClientEvent) + Send + Sync>;

/// A cheap-to-clone handle; clones share the token, the rate limiter and the connection pool.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    creds: RwLock<Credentials>,
    refresh_lock: tokio::sync::Mutex<()>,
    /// The refresh token whose renewal failed, so it is not tried again.
    failed_refresh: RwLock<Option<Secret>>,
    limiter: Option<DefaultDirectRateLimiter>,
    retry: RetryPolicy,
    max_body_bytes: usize,
    max_pages: usize,
    request_deadline: Duration,
    /// Who hears about rate limits, retries and renewals: one entry per subscription.
    observers: RwLock<Vec<(u64, Observer)>>,
    next_subscription: AtomicU64,
    requests: AtomicU64,
    /// What this session found out about the platform, by name (see [`Client::finding`]).
    findings: RwLock<std::collections::HashMap<&'static str, bool>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.inner.base.as_str())
            .finish_non_exhaustive()
    }
}

/// Ends its notices when dropped (see [`Client::subscribe`]).
pub struct Subscription {
    inner: std::sync::Weak<Inner>,
    id: u64,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.upgrade()
            && let Ok(mut o) = inner.observers.write()
        {
            o.retain(|(id, _)| *id != self.id);
        }
    }
}

impl Client {
    pub fn new(config: ClientConfig, creds: Credentials) -> Result<Client, ApiError> {
        if creds.access.is_empty() {
            return Err(ApiError::new(
                ErrorKind::Unauthorized,
                "",
                "",
                "no token given; set SMS_INVITE_TOKEN or pass --token-file",
            ));
        }
        Ok(Client {
            inner: Arc::new(Inner {
                http: transport::build_http(&config)?,
                base: config.base_url.clone(),
                creds: RwLock::new(creds),
                refresh_lock: tokio::sync::Mutex::new(()),
                failed_refresh: RwLock::new(None),
                limiter: transport::build_limiter(config.rate_per_sec),
                retry: config.retry,
                max_body_bytes: config.max_body_bytes,
                max_pages: config.max_pages,
                request_deadline: config.request_deadline,
                observers: RwLock::new(Vec::new()),
                next_subscription: AtomicU64::new(0),
                requests: AtomicU64::new(0),
                findings: RwLock::new(std::collections::HashMap::new()),
            }),
        })
    }

    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// Receives rate-limit, retry and refresh notices from every clone of this client until
    /// the returned subscription is dropped: a send subscribes for its own run, so its notices
    /// never reach a later run and nothing it captured outlives it.
    pub fn subscribe(&self, f: impl Fn(ClientEvent) + Send + Sync + 'static) -> Subscription {
        let id = self.inner.next_subscription.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut o) = self.inner.observers.write() {
            o.push((id, Arc::new(f)));
        }
        Subscription {
            inner: Arc::downgrade(&self.inner),
            id,
        }
    }

    fn notify(&self, event: ClientEvent) {
        let observers: Vec<Observer> = self
            .inner
            .observers
            .read()
            .map(|o| o.iter().map(|(_, f)| f.clone()).collect())
            .unwrap_or_default();
        for f in observers {
            f(event.clone());
        }
    }

    /// The claims of the current access token (it changes after a refresh).
    pub fn claims(&self) -> Option<Claims> {
        Claims::decode(self.access().expose()).ok()
    }

    /// The current credentials, e.g. to remember rotated tokens.
    pub fn credentials(&self) -> Credentials {
        match self.inner.creds.read() {
            Ok(c) => c.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn access(&self) -> Secret {
        self.credentials().access
    }

    /// Something this session found out about the platform (whether a query form works, say),
    /// shared by every clone, so a probe runs once per session rather than once per run.
    pub fn finding(&self, name: &str) -> Option<bool> {
        self.inner.findings.read().ok()?.get(name).copied()
    }

    pub fn record_finding(&self, name: &'static str, value: bool) {
        if let Ok(mut f) = self.inner.findings.write() {
            f.insert(name, value);
        }
    }

    /// HTTP requests sent so far by this client and its clones, retries and refreshes included.
    pub fn requests_sent(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    /// `{base}/v2/{path}?{query}`.
    pub fn url(&self, path: &str, query: &Query) -> Result<Url, ApiError> {
        let base = self.inner.base.as_str().trim_end_matches('/');
        let mut url = Url::parse(&format!("{base}/v2/{}", path.trim_start_matches('/')))
            .map_err(|e| ApiError::usage(format!("bad request path {path:?}: {e}")))?;
        if !query.is_empty() {
            url.set_query(Some(&query.to_query_string()));
        }
        Ok(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_url_rules() {
        assert!(parse_api_url("https://api.web1on1.chat").is_ok());
        assert!(parse_api_url("http://127.0.0.1:8080").is_ok());
        assert!(parse_api_url("http://localhost:1").is_ok());
        assert!(parse_api_url("http://[::1]:1").is_ok());
        let e = parse_api_url("http://api.web1on1.chat").unwrap_err();
        assert!(e.message.contains("unencrypted"), "{e}");
        assert!(parse_api_url("ftp://x").is_err());
        assert!(parse_api_url("not a url").is_err());
        assert!(parse_api_url("https://x/?a=1").is_err());
    }

    #[test]
    fn defaults_bound_size_pages_and_time() {
        let c = ClientConfig::new("https://api.web1on1.chat").unwrap();
        assert_eq!(c.max_body_bytes, 8 * 1024 * 1024);
        assert_eq!(c.max_pages, 1000);
        assert_eq!(c.request_deadline, Duration::from_secs(60));
        assert!(c.request_timeout <= c.request_deadline);
    }
}
