//! The HTTP client: one place that sends requests, so authentication, retries, rate limiting
//! and error mapping are applied the same way to every call.

use std::fmt;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures::Stream;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, LINK, RETRY_AFTER, USER_AGENT,
};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use url::Url;

use super::auth::{Claims, Credentials, Secret};
use super::error::{ApiError, ErrorKind};
use super::limits::{self, Body, Deadline, Phase};
use super::models::{Contact, Conversation, Message, Organization, Service, TokenResponse, User};
use super::pagination;
use super::query::Query;
use super::retry::{Failure, RetryPolicy, is_idempotent, parse_retry_after};

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

/// A response as read off the wire.
struct Raw {
    status: StatusCode,
    headers: HeaderMap,
    body: bytes_like::Bytes,
    url: Url,
}

mod bytes_like {
    pub type Bytes = Vec<u8>;
}

/// One page of a list.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Url>,
    /// `X-Total-Count`, when the server sends it (an assumption, docs/platform.md "Pagination").
    pub total: Option<u64>,
}

fn build_http(config: &ClientConfig) -> Result<reqwest::Client, ApiError> {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    headers.insert(
        USER_AGENT,
        HeaderValue::from_static(concat!("sms-invite/", env!("CARGO_PKG_VERSION"))),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .connect_timeout(config.connect_timeout)
        .timeout(config.request_timeout)
        // Links are followed explicitly; a redirect would carry the token along silently.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| ApiError::usage(format!("cannot set up the HTTP client: {e}")))
}

fn build_limiter(rate: u32) -> Option<DefaultDirectRateLimiter> {
    let rate = NonZeroU32::new(rate)?;
    // The burst plus one second of steady rate is what any one-second window can see, so a
    // small burst keeps the default 15/s under the platform's 20/s.
    let burst = NonZeroU32::new((rate.get() / 5).max(1)).unwrap_or(NonZeroU32::MIN);
    Some(RateLimiter::direct(
        Quota::per_second(rate).allow_burst(burst),
    ))
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
                http: build_http(&config)?,
                base: config.base_url.clone(),
                creds: RwLock::new(creds),
                refresh_lock: tokio::sync::Mutex::new(()),
                failed_refresh: RwLock::new(None),
                limiter: build_limiter(config.rate_per_sec),
                retry: config.retry,
                max_body_bytes: config.max_body_bytes,
                max_pages: config.max_pages,
                request_deadline: config.request_deadline,
                observers: RwLock::new(Vec::new()),
                next_subscription: AtomicU64::new(0),
                requests: AtomicU64::new(0),
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

    async fn throttle(&self) {
        if let Some(l) = &self.inner.limiter {
            l.until_ready().await;
        }
    }

    /// Sends one request with the rules of this module: rate limit, bearer, retries, one
    /// refresh-and-replay on an expired token, all within the request's deadline. Returns the
    /// raw 2xx answer or an [`ApiError`].
    async fn execute(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<Raw, ApiError> {
        let path = url.path().to_string();
        let deadline = Deadline::start(self.inner.request_deadline);
        let mut attempts = 0u32;
        let mut attempt = 0u32;
        let mut rate_limited = 0u32;
        // One renewal per expired token, at most three per request: a long wait (429s) can
        // outlive a short-lived token more than once, but a server that refuses every fresh
        // token must not make us loop.
        let mut renewed: Vec<Secret> = Vec::new();
        loop {
            let token = self.access();
            attempts += 1;
            let outcome = self
                .attempt(&method, &url, body, Some(&token), &deadline, attempts)
                .await;
            let (failure, err) = match outcome {
                Ok(raw) if raw.status.is_success() => return Ok(raw),
                Ok(raw) => {
                    let err = error_from_response(&method, &path, &raw);
                    if renewed.len() < 3
                        && !renewed.contains(&token)
                        && self.should_refresh(&raw, &err, &token)
                    {
                        self.refresh(&token, err, &deadline).await?;
                        renewed.push(token);
                        continue;
                    }
                    (Failure::Status(raw.status.as_u16()), err)
                }
                Err((failure, err)) => (failure, err),
            };
            let is_429 = failure == Failure::Status(429);
            let tries = if is_429 { rate_limited } else { attempt };
            if !self.inner.retry.should_retry(&method, failure, tries) {
                return Err(err);
            }
            let wait = self.inner.retry.delay(tries, err.retry_after);
            if let Some(reason) = deadline.refuse_wait(wait, err.retry_after) {
                return Err(with_reason(err, &reason));
            }
            if is_429 {
                self.notify(ClientEvent::RateLimited { wait });
            } else {
                self.notify(ClientEvent::Retrying {
                    attempt: attempt + 1,
                    wait,
                    reason: err.to_string(),
                });
            }
            tracing::debug!(%method, %path, attempt, rate_limited, ?wait, error = %err, "retrying");
            tokio::time::sleep(wait).await;
            if is_429 {
                rate_limited += 1;
            } else {
                attempt += 1;
            }
        }
    }

    /// One attempt, cut off when the request's deadline runs out. `attempts` counts this one.
    async fn attempt(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&Value>,
        token: Option<&Secret>,
        deadline: &Deadline,
        attempts: u32,
    ) -> Result<Raw, (Failure, ApiError)> {
        let mut phase = Phase::Queued;
        // With no time left, not even the first poll happens: it could already send.
        let result = if deadline.remaining().is_zero() {
            None
        } else {
            let once = self.send_once(method, url, body, token, &mut phase);
            tokio::time::timeout_at(deadline.at(), once).await.ok()
        };
        result.unwrap_or_else(|| {
            let mut err = ApiError::new(
                ErrorKind::Timeout,
                method.as_str(),
                url.path(),
                deadline.ran_out(phase, attempts),
            );
            err.outcome_unknown = !is_idempotent(method) && phase != Phase::Queued;
            Err((Failure::OutOfTime, err))
        })
    }

    /// One attempt on the wire. Transport failures come back classified for the retry rules;
    /// `phase` tells how far it got, for when it is cut off.
    async fn send_once(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&Value>,
        token: Option<&Secret>,
        phase: &mut Phase,
    ) -> Result<Raw, (Failure, ApiError)> {
        self.throttle().await;
        *phase = Phase::Sent;
        self.inner.requests.fetch_add(1, Ordering::Relaxed);
        let mut req = self.inner.http.request(method.clone(), url.clone());
        if let Some(token) = token {
            let mut value =
                HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                    (
                        Failure::Connect,
                        ApiError::new(
                            ErrorKind::Unauthorized,
                            method.as_str(),
                            url.path(),
                            "the token contains characters a header cannot carry",
                        ),
                    )
                })?;
            value.set_sensitive(true);
            req = req.header(AUTHORIZATION, value);
        }
        if let Some(body) = body {
            req = req
                .header(CONTENT_TYPE, "application/json")
                .body(serde_json::to_vec(body).unwrap_or_default());
        }
        let is_write = !is_idempotent(method);
        let transport = |e: reqwest::Error, phase: &str| {
            let connect = e.is_connect();
            let kind = if e.is_timeout() {
                ErrorKind::Timeout
            } else {
                ErrorKind::Network
            };
            let mut err = ApiError::new(
                kind,
                method.as_str(),
                url.path(),
                describe_transport(&e, phase),
            );
            err.outcome_unknown = is_write && !connect;
            (
                if connect {
                    Failure::Connect
                } else {
                    Failure::Transport
                },
                err,
            )
        };
        let resp = req.send().await.map_err(|e| transport(e, "sending"))?;
        *phase = Phase::Reading;
        read_answer(resp, method, url, self.inner.max_body_bytes)
            .await
            .map_err(|e| match e {
                ReadError::Transport(e) => transport(e, "reading the answer"),
                ReadError::TooLarge(err) => (Failure::Unusable, err),
            })
    }

    /// docs/platform.md, "Renewing a token": refresh on 401 with a JWT error message, and on 403 once the token's `exp` passed
    /// (the docs say expiry yields 403). Never for the refresh call itself (it does not come
    /// through here).
    fn should_refresh(&self, raw: &Raw, err: &ApiError, used: &Secret) -> bool {
        let has_refresh = self.credentials().refresh.is_some();
        if !has_refresh {
            return false;
        }
        match raw.status.as_u16() {
            401 => is_refreshable_message(&err.message),
            403 => Claims::decode(used.expose())
                .map(|c| c.is_expired_at(chrono::Utc::now()))
                .unwrap_or(false),
            _ => false,
        }
    }

    /// Renews the access token once for all concurrent callers: whoever comes second finds the
    /// token already changed and simply replays. This matters because refresh tokens rotate:
    /// two parallel refreshes with the same refresh token would make one of them fail.
    async fn refresh(
        &self,
        used: &Secret,
        original: ApiError,
        deadline: &Deadline,
    ) -> Result<(), ApiError> {
        let _guard = self.inner.refresh_lock.lock().await;
        let creds = self.credentials();
        if creds.access != *used {
            return Ok(());
        }
        let Some(refresh) = creds.refresh.clone() else {
            return Err(original);
        };
        // A refresh token that already failed is not tried again by every waiting request:
        // with rotating tokens it may be revoked, and a storm of refusals helps nobody.
        if self
            .inner
            .failed_refresh
            .read()
            .is_ok_and(|f| f.as_ref() == Some(&refresh))
        {
            let mut e = ApiError::new(
                ErrorKind::RefreshFailed,
                &original.method,
                &original.path,
                format!(
                    "the token was refused ({}) and renewing it failed earlier",
                    original.message
                ),
            );
            e.status = original.status;
            return Err(e);
        }
        let url = self.url("auth/token", &Query::new())?;
        let mut body = json!({ "refreshToken": refresh.expose() });
        if let Some(id) = &creds.client_id {
            body["clientId"] = json!(id);
        }
        // The platform ignores the bearer here; sending the expired one mirrors the SDK.
        let result = self
            .attempt(&Method::POST, &url, Some(&body), Some(used), deadline, 1)
            .await;
        let fail = |detail: String| {
            if let Ok(mut f) = self.inner.failed_refresh.write() {
                *f = Some(refresh.clone());
            }
            let mut e = ApiError::new(
                ErrorKind::RefreshFailed,
                &original.method,
                &original.path,
                format!(
                    "the token was refused ({}) and renewing it failed: {detail}",
                    original.message
                ),
            );
            e.status = original.status;
            e
        };
        let raw = match result {
            Ok(raw) if raw.status.is_success() => raw,
            Ok(raw) => {
                return Err(fail(
                    error_from_response(&Method::POST, url.path(), &raw).to_string(),
                ));
            }
            Err((_, e)) => return Err(fail(e.to_string())),
        };
        let answer: TokenResponse = serde_json::from_slice(&raw.body)
            .map_err(|_| fail("the answer had no token".to_string()))?;
        if let Ok(mut c) = self.inner.creds.write() {
            c.access = answer.token;
            if let Some(r) = answer.refresh_token {
                c.refresh = Some(r);
            }
        }
        tracing::info!("access token renewed");
        self.notify(ClientEvent::TokenRefreshed);
        Ok(())
    }

    async fn send_json(
        &self,
        method: Method,
        path: &str,
        query: &Query,
        body: Option<&Value>,
    ) -> Result<Raw, ApiError> {
        let url = self.url(path, query)?;
        self.execute(method, url, body).await
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str, query: &Query) -> Result<T, ApiError> {
        let raw = self.send_json(Method::GET, path, query, None).await?;
        decode(&Method::GET, &raw)
    }

    /// POST; returns the status too, because 201 (created) and 200 (upserted) differ.
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<(u16, T), ApiError> {
        let body = to_value(body)?;
        let raw = self
            .send_json(Method::POST, path, &Query::new(), Some(&body))
            .await?;
        let value = decode_write(&Method::POST, &raw)?;
        Ok((raw.status.as_u16(), value))
    }

    pub async fn patch<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, ApiError> {
        let body = to_value(body)?;
        let raw = self
            .send_json(Method::PATCH, path, &Query::new(), Some(&body))
            .await?;
        decode_write(&Method::PATCH, &raw)
    }

    /// One page from a full URL (the first page's or a `next` link).
    pub async fn page<T: DeserializeOwned>(&self, url: Url) -> Result<Page<T>, ApiError> {
        let raw = self.execute(Method::GET, url, None).await?;
        let items: Vec<T> = decode(&Method::GET, &raw)?;
        let links: Vec<&str> = raw
            .headers
            .get_all(LINK)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let next = match pagination::next_link(links) {
            Some(target) => Some(pagination::resolve(&raw.url, &target).map_err(|e| {
                ApiError::new(
                    ErrorKind::InvalidResponse,
                    "GET",
                    raw.url.path(),
                    e.to_string(),
                )
            })?),
            None => None,
        };
        let total = raw
            .headers
            .get("x-total-count")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        Ok(Page { items, next, total })
    }

    /// Every item of a list, following `next` links, as a stream that stops after `cap` items.
    /// Pages are fetched lazily, so a consumer that stops early sends no further requests.
    pub fn list<T>(
        &self,
        path: &str,
        query: &Query,
        cap: usize,
    ) -> impl Stream<Item = Result<T, ApiError>> + Send + 'static
    where
        T: DeserializeOwned + Send + 'static,
    {
        struct State<T> {
            client: Client,
            next: Option<Result<Url, ApiError>>,
            buf: std::collections::VecDeque<T>,
            left: usize,
            walk: pagination::Walk,
        }
        let state = State {
            client: self.clone(),
            next: Some(self.url(path, query)),
            buf: Default::default(),
            left: cap,
            walk: pagination::Walk::new(self.inner.max_pages),
        };
        futures::stream::unfold(state, |mut s| async move {
            loop {
                if s.left == 0 {
                    return None;
                }
                if let Some(item) = s.buf.pop_front() {
                    s.left -= 1;
                    return Some((Ok(item), s));
                }
                let url = match s.next.take()? {
                    Ok(u) => u,
                    Err(e) => return Some((Err(e), s)),
                };
                if let Err(e) = s.walk.enter(&url) {
                    return Some((Err(walk_error(&url, &e)), s));
                }
                match s.client.page::<T>(url).await {
                    Ok(page) => {
                        if page.items.is_empty() {
                            return None;
                        }
                        s.buf.extend(page.items);
                        s.next = page.next.map(Ok);
                    }
                    Err(e) => return Some((Err(e), s)),
                }
            }
        })
    }

    /// [`Client::list`] collected, failing on the first error.
    pub async fn list_all<T>(
        &self,
        path: &str,
        query: &Query,
        cap: usize,
    ) -> Result<Vec<T>, ApiError>
    where
        T: DeserializeOwned + Send + 'static,
    {
        use futures::TryStreamExt;
        self.list(path, query, cap).try_collect().await
    }

    // ---- resources -------------------------------------------------------------------------

    pub async fn organization(&self, id: &str) -> Result<Organization, ApiError> {
        self.get(
            &format!("organizations/{}", path_segment(id)?),
            &Query::new(),
        )
        .await
    }

    pub async fn organizations(
        &self,
        query: &Query,
        cap: usize,
    ) -> Result<Vec<Organization>, ApiError> {
        self.list_all("organizations", query, cap).await
    }

    pub async fn services(&self, query: &Query, cap: usize) -> Result<Vec<Service>, ApiError> {
        self.list_all("services", query, cap).await
    }

    /// Contacts of `org` whose stored telephone is any of `spellings` (one request, docs/platform.md "List queries"
    /// in-list), with their conversation populated so participants come along; a platform
    /// that ignores `populate` answers with ids and the caller fetches the conversation.
    pub async fn contacts_by_phone(
        &self,
        org: &str,
        spellings: &[String],
    ) -> Result<Vec<Contact>, ApiError> {
        let q = Query::new()
            .eq("organization", org)
            .populate("conversation");
        let q = match spellings {
            [one] => q.eq("profile.telephone", one),
            many => q.any_of("profile.telephone", many),
        };
        self.list_all("contacts", &q, 1000).await
    }

    pub async fn contact(&self, id: &str) -> Result<Contact, ApiError> {
        self.get(&format!("contacts/{}", path_segment(id)?), &Query::new())
            .await
    }

    pub async fn conversation(&self, id: &str) -> Result<Conversation, ApiError> {
        self.get(
            &format!("conversations/{}", path_segment(id)?),
            &Query::new(),
        )
        .await
    }

    /// `POST /v2/conversations`; `true` when the platform created a new conversation (201),
    /// `false` when it upserted into the contact's existing one (200).
    pub async fn create_conversation(
        &self,
        body: &Value,
    ) -> Result<(Conversation, bool), ApiError> {
        let (status, conv) = self.post::<Conversation>("conversations", body).await?;
        Ok((conv, status == 201))
    }

    /// Posts messages as one array, which the platform processes in order (docs/platform.md, "Messages").
    pub async fn post_messages(
        &self,
        conversation: &str,
        messages: &[Value],
    ) -> Result<Vec<Message>, ApiError> {
        let path = format!("conversations/{}/messages", path_segment(conversation)?);
        let (_, value) = self
            .post::<Value>(&path, &Value::Array(messages.to_vec()))
            .await?;
        // The answer to an array is presumably an array (docs/platform.md "Messages": unknown); a single object is
        // accepted too.
        let list = match value {
            Value::Array(items) => items,
            Value::Null => Vec::new(),
            other => vec![other],
        };
        list.into_iter()
            .map(|v| serde_json::from_value(v).map_err(|e| invalid("POST", &path, &e)))
            .collect()
    }

    pub async fn messages(&self, query: &Query, cap: usize) -> Result<Vec<Message>, ApiError> {
        self.list_all("messages", query, cap).await
    }

    pub async fn user(&self, id: &str) -> Result<User, ApiError> {
        self.get(&format!("users/{}", path_segment(id)?), &Query::new())
            .await
    }

    /// `POST /v2/auth/token` with e-mail and password (docs/platform.md, "Signing in with a password"), without a bearer.
    pub async fn login(
        config: &ClientConfig,
        email: &str,
        password: &Secret,
    ) -> Result<TokenResponse, ApiError> {
        let http = build_http(config)?;
        let base = config.base_url.as_str().trim_end_matches('/');
        let url = Url::parse(&format!("{base}/v2/auth/token"))
            .map_err(|e| ApiError::usage(e.to_string()))?;
        let network = |e: reqwest::Error, phase: &str| {
            ApiError::new(
                ErrorKind::Network,
                "POST",
                url.path(),
                describe_transport(&e, phase),
            )
        };
        let exchange = async {
            let resp = http
                .post(url.clone())
                .header(CONTENT_TYPE, "application/json")
                .body(json!({"email": email, "password": password.expose()}).to_string())
                .send()
                .await
                .map_err(|e| network(e, "sending"))?;
            read_answer(resp, &Method::POST, &url, config.max_body_bytes)
                .await
                .map_err(|e| match e {
                    ReadError::Transport(e) => network(e, "reading the answer"),
                    ReadError::TooLarge(err) => err,
                })
        };
        let deadline = Deadline::start(config.request_deadline);
        let raw = match tokio::time::timeout_at(deadline.at(), exchange).await {
            Ok(raw) => raw?,
            Err(_) => {
                return Err(ApiError::new(
                    ErrorKind::Timeout,
                    "POST",
                    url.path(),
                    deadline.ran_out(Phase::Sent, 1),
                ));
            }
        };
        if !raw.status.is_success() {
            return Err(error_from_response(&Method::POST, url.path(), &raw));
        }
        decode(&Method::POST, &raw)
    }
}

/// Why reading an answer failed.
enum ReadError {
    Transport(reqwest::Error),
    TooLarge(ApiError),
}

/// Reads an answer within `limit`. A 2xx answer past it is an error (for a write one whose
/// outcome is unknown, because the platform said yes); an error answer is only cut short,
/// because its status already says what happened.
async fn read_answer(
    mut resp: reqwest::Response,
    method: &Method,
    url: &Url,
    limit: usize,
) -> Result<Raw, ReadError> {
    let status = resp.status();
    let headers = resp.headers().clone();
    let too_large = |declared: Option<u64>| {
        let is_write = !is_idempotent(method);
        let mut err = ApiError::new(
            ErrorKind::TooLarge,
            method.as_str(),
            url.path(),
            limits::too_large_message(limit, declared, is_write),
        );
        err.status = Some(status.as_u16());
        err.outcome_unknown = is_write;
        ReadError::TooLarge(err)
    };
    let body = if status.is_success() {
        if let Some(n) = resp.content_length().filter(|&n| n > limit as u64) {
            return Err(too_large(Some(n)));
        }
        match limits::read_capped(&mut resp, limit).await {
            Ok(Body::Whole(b)) => b,
            Ok(Body::Cut(_)) => return Err(too_large(None)),
            Err(e) => return Err(ReadError::Transport(e)),
        }
    } else {
        match limits::read_capped(&mut resp, limits::ERROR_BODY_BYTES.min(limit)).await {
            Ok(Body::Whole(b) | Body::Cut(b)) => b,
            Err(e) => return Err(ReadError::Transport(e)),
        }
    };
    Ok(Raw {
        status,
        headers,
        body,
        url: url.clone(),
    })
}

/// `err` with why it was not retried added to its message; kind, status and outcome stay.
fn with_reason(mut err: ApiError, reason: &str) -> ApiError {
    err.message = format!("{}; {reason}", err.message);
    err
}

fn walk_error(url: &Url, e: &pagination::WalkError) -> ApiError {
    let kind = match e {
        pagination::WalkError::Repeats { .. } => ErrorKind::InvalidResponse,
        pagination::WalkError::TooManyPages { .. } => ErrorKind::TooLarge,
    };
    ApiError::new(kind, "GET", url.path(), e.to_string())
}

/// The JWT errors that mean "renew the token" (docs/platform.md, "Renewing a token"), exactly as the SDK matches them.
pub fn is_refreshable_message(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("jwt expired") || m.contains("invalid signature") || m.contains("invalid token")
}

/// Ids go into paths; refuse anything that could change the path.
fn path_segment(id: &str) -> Result<&str, ApiError> {
    if !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        Ok(id)
    } else {
        Err(ApiError::usage(format!("{id:?} is not a valid id")))
    }
}

fn to_value(body: &impl Serialize) -> Result<Value, ApiError> {
    serde_json::to_value(body)
        .map_err(|e| ApiError::usage(format!("cannot encode the request: {e}")))
}

fn invalid(method: &str, path: &str, e: &dyn fmt::Display) -> ApiError {
    ApiError::new(
        ErrorKind::InvalidResponse,
        method,
        path,
        format!("unexpected answer: {e}"),
    )
}

fn decode<T: DeserializeOwned>(method: &Method, raw: &Raw) -> Result<T, ApiError> {
    let value: Value = serde_json::from_slice(&raw.body)
        .map_err(|e| invalid(method.as_str(), raw.url.path(), &e))?;
    legacy_error(method, raw, &value)?;
    serde_json::from_value(value).map_err(|e| invalid(method.as_str(), raw.url.path(), &e))
}

/// Like [`decode`], but for writes a garbled 2xx answer is "outcome unknown", not "failed":
/// the platform said yes, we just cannot read the details.
fn decode_write<T: DeserializeOwned>(method: &Method, raw: &Raw) -> Result<T, ApiError> {
    decode(method, raw).map_err(|mut e| {
        if e.kind == ErrorKind::InvalidResponse {
            e.outcome_unknown = true;
        }
        e
    })
}

/// A 2xx body with an `error` key is a failure (legacy behaviour the SDK honours, docs/platform.md "Errors").
fn legacy_error(method: &Method, raw: &Raw, value: &Value) -> Result<(), ApiError> {
    if let Some(err) = value.get("error").filter(|e| !e.is_null()) {
        let message = err
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("error")
            .to_string();
        let mut e = ApiError::new(
            ErrorKind::BadRequest,
            method.as_str(),
            raw.url.path(),
            message,
        );
        e.status = Some(raw.status.as_u16());
        return Err(e);
    }
    Ok(())
}

fn error_from_response(method: &Method, path: &str, raw: &Raw) -> ApiError {
    let status = raw.status.as_u16();
    let parsed: Option<Value> = serde_json::from_slice(&raw.body).ok();
    let server_message = parsed
        .as_ref()
        .and_then(|v| v.pointer("/error/message").or_else(|| v.get("message")))
        .and_then(Value::as_str)
        .map(|s| truncate(s, 300));
    let message = server_message.unwrap_or_else(|| {
        let text = String::from_utf8_lossy(&raw.body);
        let text = text.trim();
        if text.is_empty() || text.starts_with('<') {
            raw.status.canonical_reason().unwrap_or("error").to_string()
        } else {
            truncate(text, 200)
        }
    });
    let mut e = ApiError::new(
        ApiError::kind_for_status(status),
        method.as_str(),
        path,
        message,
    );
    e.status = Some(status);
    e.retry_after = raw
        .headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
    e.outcome_unknown = !is_idempotent(method) && (status >= 500 || status == 408);
    e
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}…")
    }
}

fn describe_transport(e: &reqwest::Error, phase: &str) -> String {
    if e.is_timeout() {
        format!("timed out while {phase}")
    } else if e.is_connect() {
        "could not connect to the API".to_string()
    } else {
        // Walk to the root cause; reqwest errors carry the URL, which holds no secrets.
        let mut source: Option<&dyn std::error::Error> = Some(e);
        let mut last = e.to_string();
        while let Some(s) = source {
            last = s.to_string();
            source = s.source();
        }
        format!("connection failed while {phase}: {last}")
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
    fn refresh_messages_match_the_sdk() {
        assert!(is_refreshable_message("jwt expired"));
        assert!(is_refreshable_message("Invalid Signature"));
        assert!(is_refreshable_message("invalid token"));
        assert!(!is_refreshable_message("jwt malformed"));
        assert!(!is_refreshable_message("Refresh token not accepted"));
    }

    #[test]
    fn ids_cannot_escape_the_path() {
        assert!(path_segment("5ee7372448d9940011151f42").is_ok());
        assert!(path_segment("../admin").is_err());
        assert!(path_segment("a?b").is_err());
        assert!(path_segment("").is_err());
    }

    #[test]
    fn a_cut_wait_keeps_what_the_error_said() {
        let mut e = ApiError::new(ErrorKind::RateLimited, "POST", "/v2/conversations", "slow");
        e.status = Some(429);
        let e = with_reason(e, "giving up");
        assert_eq!(e.message, "slow; giving up");
        assert_eq!((e.kind, e.status), (ErrorKind::RateLimited, Some(429)));
        assert!(!e.outcome_unknown, "a 429 was not processed");
    }

    #[test]
    fn loops_are_invalid_answers_and_endless_lists_too_large() {
        let url = Url::parse("http://127.0.0.1:9/v2/organizations?offset=3").unwrap();
        let repeat = pagination::WalkError::Repeats {
            page: 1,
            url: "/v2/organizations".into(),
        };
        let e = walk_error(&url, &repeat);
        assert_eq!(e.kind, ErrorKind::InvalidResponse);
        assert_eq!(e.path, "/v2/organizations");
        let e = walk_error(&url, &pagination::WalkError::TooManyPages { max: 1000 });
        assert_eq!(e.kind, ErrorKind::TooLarge);
        assert!(e.to_string().contains("past 1000 pages"), "{e}");
    }

    #[test]
    fn defaults_bound_size_pages_and_time() {
        let c = ClientConfig::new("https://api.web1on1.chat").unwrap();
        assert_eq!(c.max_body_bytes, 8 * 1024 * 1024);
        assert_eq!(c.max_pages, 1000);
        assert_eq!(c.request_deadline, Duration::from_secs(60));
        assert!(c.request_timeout <= c.request_deadline);
    }

    #[test]
    fn limiter_keeps_any_second_under_twenty_at_the_default_rate() {
        // Burst 3 + 15/s: at most 18 requests can fall in one second.
        let l = build_limiter(15).unwrap();
        let mut allowed = 0;
        for _ in 0..100 {
            if l.check().is_ok() {
                allowed += 1;
            }
        }
        assert_eq!(allowed, 3);
        assert!(build_limiter(0).is_none());
    }
}
