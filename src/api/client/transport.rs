//! One request on the wire, under the rules every call shares: the client-side rate limit, the
//! bearer token, retries (waiting as long as `Retry-After` asks, within reason), one renewal of
//! an expired token and a replay, a cap on the answer's size, and one deadline across all
//! attempts and the waits between them.

use std::num::NonZeroU32;
use std::sync::atomic::Ordering;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, USER_AGENT};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use url::Url;

use super::decode::{error_from_response, is_refreshable_message};
use super::{Client, ClientConfig, ClientEvent};
use crate::api::auth::{Claims, Secret};
use crate::api::error::{ApiError, ErrorKind};
use crate::api::limits::{self, Body, Deadline, Phase};
use crate::api::models::TokenResponse;
use crate::api::query::Query;
use crate::api::retry::{Failure, is_idempotent};

/// A response as read off the wire.
pub(super) struct Raw {
    pub(super) status: StatusCode,
    pub(super) headers: HeaderMap,
    pub(super) body: Vec<u8>,
    pub(super) url: Url,
}

pub(super) fn build_http(config: &ClientConfig) -> Result<reqwest::Client, ApiError> {
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

pub(super) fn build_limiter(rate: u32) -> Option<DefaultDirectRateLimiter> {
    let rate = NonZeroU32::new(rate)?;
    // The burst plus one second of steady rate is what any one-second window can see, so a
    // small burst keeps the default 15/s under the platform's 20/s.
    let burst = NonZeroU32::new((rate.get() / 5).max(1)).unwrap_or(NonZeroU32::MIN);
    Some(RateLimiter::direct(
        Quota::per_second(rate).allow_burst(burst),
    ))
}

impl Client {
    async fn throttle(&self) {
        if let Some(l) = &self.inner.limiter {
            l.until_ready().await;
        }
    }

    /// Sends one request with the rules of this module: rate limit, bearer, retries, one
    /// refresh-and-replay on an expired token, all within the request's deadline. Returns the
    /// raw 2xx answer or an [`ApiError`].
    pub(super) async fn execute(
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

    pub(super) async fn send_json(
        &self,
        method: Method,
        path: &str,
        query: &Query,
        body: Option<&Value>,
    ) -> Result<Raw, ApiError> {
        let url = self.url(path, query)?;
        self.execute(method, url, body).await
    }
}

/// Sends `body` once, without a bearer and without retries, within the request deadline: the
/// sign-in, which has no token yet. Returns the raw 2xx answer or an [`ApiError`].
pub(super) async fn post_without_bearer(
    config: &ClientConfig,
    url: &Url,
    body: &Value,
) -> Result<Raw, ApiError> {
    let http = build_http(config)?;
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
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| network(e, "sending"))?;
        read_answer(resp, &Method::POST, url, config.max_body_bytes)
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
    Ok(raw)
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
    fn a_cut_wait_keeps_what_the_error_said() {
        let mut e = ApiError::new(ErrorKind::RateLimited, "POST", "/v2/conversations", "slow");
        e.status = Some(429);
        let e = with_reason(e, "giving up");
        assert_eq!(e.message, "slow; giving up");
        assert_eq!((e.kind, e.status), (ErrorKind::RateLimited, Some(429)));
        assert!(!e.outcome_unknown, "a 429 was not processed");
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
