//! The sandbox's HTTP front: one dispatcher, so latency, rate limiting, fault injection and
//! the request log apply to every route alike.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use super::faults::{FaultKind, FaultRule};
use super::filter::{self, ListQuery};
use super::store::{Behaviour, Caller, Fail, Store, iso, now_ms};
use super::tokens::Keys;

/// The settings that can change while the sandbox runs (tests flip them between steps).
#[derive(Clone, Debug)]
pub struct Knobs {
    pub latency: Duration,
    /// Requests per second per token; 0 = unlimited.
    pub rate_limit: u32,
    pub token_ttl_secs: i64,
    pub faults: Vec<FaultRule>,
    pub behaviour: Behaviour,
    pub default_limit: usize,
    pub max_limit: usize,
    pub phone_in_lists: filter::PhoneInLists,
}

pub struct Shared {
    pub store: Mutex<Store>,
    pub knobs: RwLock<Knobs>,
    pub keys: Keys,
    pub base_url: OnceLock<String>,
    pub log: Mutex<Vec<Value>>,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
    rng: Mutex<StdRng>,
    refresh_ids: Mutex<HashSet<String>>,
    seq: AtomicU64,
    ids: AtomicU64,
}

/// The parts of a request the routes look at.
struct Request<'a> {
    method: &'a Method,
    path: &'a str,
    query: &'a str,
    token: &'a str,
    body: Option<Value>,
    body_empty: bool,
}

type Reply = (StatusCode, Value, Vec<(&'static str, String)>);

fn err(status: u16, message: &str) -> Reply {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        code,
        json!({"error": {"message": message, "status": status, "name": code.canonical_reason().unwrap_or("Error")}}),
        vec![],
    )
}

fn ok(status: u16, body: Value) -> Reply {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        body,
        vec![],
    )
}

fn fail(f: Fail) -> Reply {
    err(f.0, &f.1)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    pub fn new(store: Store, knobs: Knobs, keys: Keys, rng_seed: u64) -> Shared {
        Shared {
            store: Mutex::new(store),
            knobs: RwLock::new(knobs),
            keys,
            base_url: OnceLock::new(),
            log: Mutex::new(Vec::new()),
            buckets: Mutex::new(HashMap::new()),
            rng: Mutex::new(StdRng::seed_from_u64(rng_seed)),
            refresh_ids: Mutex::new(HashSet::new()),
            seq: AtomicU64::new(0),
            ids: AtomicU64::new(0),
        }
    }

    pub fn knobs(&self) -> Knobs {
        self.knobs
            .read()
            .map(|k| k.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    pub fn with_knobs(&self, f: impl FnOnce(&mut Knobs)) {
        let mut k = self.knobs.write().unwrap_or_else(|p| p.into_inner());
        f(&mut k);
    }

    fn jti(&self) -> String {
        format!(
            "{:016x}{:08x}",
            rand::rng().random::<u64>(),
            self.ids.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// An access and a rotating refresh token for `user` (a seeded user's id).
    pub fn issue_pair(&self, user: &Value) -> Value {
        let id = user["id"].as_str().unwrap_or("");
        let org = user["organization"].as_str().unwrap_or("");
        let scope = user["scope"].as_str().unwrap_or("bot");
        let ttl = self.knobs().token_ttl_secs;
        let token = self
            .keys
            .issue(id, org, scope, "access_token", ttl, self.jti());
        let rjti = self.jti();
        let refresh = self
            .keys
            .issue(id, org, scope, "refresh_token", 30 * 86_400, rjti.clone());
        lock(&self.refresh_ids).insert(rjti);
        json!({
            "tokenType": "Bearer", "token": token, "refreshToken": refresh, "user": id,
            "organization": org, "expiresAt": iso(now_ms() + ttl * 1000), "scope": scope,
            "email": user["email"],
        })
    }

    /// Token bucket per token: `limit` burst, refilled at `limit` per second.
    fn admit(&self, key: &str, limit: u32) -> Result<(), u64> {
        if limit == 0 {
            return Ok(());
        }
        let mut buckets = lock(&self.buckets);
        let now = Instant::now();
        let cap = f64::from(limit);
        let (tokens, last) = buckets.entry(key.to_string()).or_insert((cap, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * cap).min(cap);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - *tokens) / cap).ceil().max(1.0);
            Err(wait as u64)
        }
    }

    fn roll(&self, rules: &[FaultRule], method: &str, route: &str) -> Vec<FaultKind> {
        let mut rng = lock(&self.rng);
        rules
            .iter()
            .filter(|r| r.applies(method, route))
            .filter(|r| rng.random_bool(r.rate.clamp(0.0, 1.0)))
            .map(|r| r.kind.clone())
            .collect()
    }
}

/// `organizations`, `conversations/messages`, `auth/token`, … for fault rules and the log.
pub fn route_key(path: &str) -> String {
    let parts: Vec<&str> = path
        .trim_start_matches("/v2/")
        .split('/')
        .filter(|p| !p.is_empty())
        .collect();
    match parts.as_slice() {
        ["auth", "token"] => "auth/token".into(),
        [res, _id, sub] => format!("{res}/{sub}"),
        [res, ..] => (*res).to_string(),
        [] => String::new(),
    }
}

fn bearer(headers: &HeaderMap) -> String {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .unwrap_or("")
        .trim()
        .to_string()
}

fn dropped() -> Response {
    let stream = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("sandbox: connection dropped"))
    });
    let mut r = Response::new(Body::from_stream(stream));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn respond(reply: Reply) -> Response {
    let (status, body, headers) = reply;
    let mut r = (status, axum::Json(body)).into_response();
    for (k, v) in headers {
        if let Ok(v) = HeaderValue::from_str(&v) {
            r.headers_mut().insert(k, v);
        }
    }
    r
}

pub async fn handle(
    State(sh): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or("").to_string();
    if let Some(rest) = path.strip_prefix("/__sandbox/") {
        if let Some(page) = super::customer::handle(&sh, &method, rest, &query, &body) {
            return page;
        }
        return respond(inspect(&sh, &method, rest, &body));
    }
    let knobs = sh.knobs();
    let route = route_key(&path);
    if !knobs.latency.is_zero() {
        tokio::time::sleep(knobs.latency).await;
    }
    let faults = sh.roll(&knobs.faults, method.as_str(), &route);
    for f in &faults {
        if let FaultKind::Slow(ms) = f {
            tokio::time::sleep(Duration::from_millis(*ms)).await;
        }
    }
    let has = |k: &FaultKind| faults.contains(k);
    let token = bearer(&headers);
    let body_json: Option<Value> = serde_json::from_slice(&body).ok();
    let mut entry = json!({
        "seq": sh.seq.fetch_add(1, Ordering::Relaxed), "at": iso(now_ms()), "method": method.as_str(),
        "path": path, "query": query, "route": route,
    });
    if matches!(method, Method::POST | Method::PATCH | Method::PUT) && route != "auth/token" {
        entry["body"] = body_json.clone().unwrap_or(Value::Null);
    }
    let log = |entry: &mut Value, status: u16, fault: Option<&str>| {
        entry["status"] = json!(status);
        if let Some(f) = fault {
            entry["fault"] = json!(f);
        }
        lock(&sh.log).push(entry.take());
    };
    let limit_key = if token.is_empty() {
        "anonymous".to_string()
    } else {
        token.clone()
    };
    if route != "auth/token"
        && let Err(wait) = sh.admit(&limit_key, knobs.rate_limit)
    {
        log(&mut entry, 429, Some("rate-limit"));
        let (s, b, _) = err(429, "Too many requests, please slow down");
        return respond((s, b, vec![("retry-after", wait.to_string())]));
    }
    if has(&FaultKind::RateLimit) {
        log(&mut entry, 429, Some("429"));
        let (s, b, _) = err(429, "Too many requests, please slow down");
        return respond((s, b, vec![("retry-after", "1".into())]));
    }
    if has(&FaultKind::Error) {
        log(&mut entry, 503, Some("error"));
        return respond(err(503, "Service temporarily unavailable"));
    }
    if has(&FaultKind::Drop) {
        log(&mut entry, 0, Some("drop"));
        return dropped();
    }
    let request = Request {
        method: &method,
        path: &path,
        query: &query,
        token: &token,
        body: body_json,
        body_empty: body.is_empty(),
    };
    let reply = dispatch(&sh, &knobs, &request);
    if let Some(user) = reply
        .2
        .iter()
        .find(|(k, _)| *k == "x-sandbox-user")
        .map(|(_, v)| v.clone())
    {
        entry["user"] = json!(user);
    }
    if has(&FaultKind::DropAfterWrite) {
        log(&mut entry, 0, Some("drop-after-write"));
        return dropped();
    }
    if has(&FaultKind::AfterWrite) {
        log(&mut entry, 502, Some("after-write"));
        return respond(err(502, "Bad gateway"));
    }
    log(&mut entry, reply.0.as_u16(), None);
    let (s, b, h) = reply;
    respond((
        s,
        b,
        h.into_iter()
            .filter(|(k, _)| *k != "x-sandbox-user")
            .collect(),
    ))
}

/// Inspection endpoints for tests, outside `/v2` and without authentication.
fn inspect(sh: &Shared, method: &Method, rest: &str, body: &Bytes) -> Reply {
    let knobs = sh.knobs();
    match (method.as_str(), rest.trim_end_matches('/')) {
        ("GET", "health") => ok(200, json!({"ok": true})),
        ("GET", "requests") => ok(200, Value::Array(lock(&sh.log).clone())),
        ("DELETE", "requests") => {
            lock(&sh.log).clear();
            ok(200, json!({"ok": true}))
        }
        ("GET", "deliveries") => {
            let mut store = lock(&sh.store);
            store.advance(now_ms(), &knobs.behaviour);
            ok(200, Value::Array(store.deliveries.clone()))
        }
        ("GET", "faults") => ok(
            200,
            json!({"rules": knobs.faults, "latencyMs": knobs.latency.as_millis() as u64,
                                             "rateLimit": knobs.rate_limit, "tokenTtl": knobs.token_ttl_secs}),
        ),
        ("POST", "faults") => {
            let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            let rules: Option<Vec<FaultRule>> = match v.get("rules") {
                Some(r) => match serde_json::from_value(r.clone()) {
                    Ok(r) => Some(r),
                    Err(e) => return err(400, &format!("bad rules: {e}")),
                },
                None => None,
            };
            sh.with_knobs(|k| {
                if let Some(r) = rules {
                    k.faults = r;
                }
                if let Some(ms) = v.get("latencyMs").and_then(Value::as_u64) {
                    k.latency = Duration::from_millis(ms);
                }
                if let Some(n) = v.get("rateLimit").and_then(Value::as_u64) {
                    k.rate_limit = n as u32;
                }
                if let Some(n) = v.get("tokenTtl").and_then(Value::as_i64) {
                    k.token_ttl_secs = n;
                }
            });
            ok(200, json!({"ok": true}))
        }
        ("POST", "tokens") => {
            let v: Value = serde_json::from_slice(body).unwrap_or(json!({}));
            let store = lock(&sh.store);
            let id = v
                .get("user")
                .and_then(Value::as_str)
                .unwrap_or(super::BOT_USER_ID);
            let Some(user) = store.user(id).cloned() else {
                return err(404, "no such user");
            };
            drop(store);
            if let Some(ttl) = v.get("ttl").and_then(Value::as_i64) {
                let org = user["organization"].as_str().unwrap_or("");
                let scope = user["scope"].as_str().unwrap_or("bot");
                return ok(
                    201,
                    json!({"token": sh.keys.issue(id, org, scope, "access_token", ttl, sh.jti())}),
                );
            }
            ok(201, sh.issue_pair(&user))
        }
        _ => err(404, "unknown sandbox endpoint"),
    }
}

/// Which scopes may call a route (docs/platform.md, "Scopes"); `None` means the route does not exist.
fn required_scopes(method: &str, parts: &[&str]) -> Option<&'static [&'static str]> {
    const ADMIN: &[&str] = &["admin"];
    const BOT_ADMIN: &[&str] = &["bot", "admin"];
    const AGENT_UP: &[&str] = &["agent", "bot", "admin", "supervisor"];
    const ANY: &[&str] = &[
        "guest",
        "agent",
        "bot",
        "admin",
        "supervisor",
        "viewer",
        "anonymous",
    ];
    Some(match (method, parts) {
        ("GET", ["organizations" | "users" | "messages", ..]) => BOT_ADMIN,
        ("GET", ["services", ..]) => ADMIN,
        ("GET", ["contacts"]) => AGENT_UP,
        ("GET" | "PATCH", ["contacts", _]) => BOT_ADMIN,
        ("GET", ["conversations", _]) => ANY,
        ("GET" | "POST", ["conversations"]) | ("POST", ["conversations", _, "messages"]) => {
            AGENT_UP
        }
        _ => return None,
    })
}

fn dispatch(sh: &Shared, knobs: &Knobs, req: &Request<'_>) -> Reply {
    let Some(rest) = req.path.strip_prefix("/v2/") else {
        return err(404, "Not found");
    };
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    if parts == ["auth", "token"] {
        return if *req.method == Method::POST {
            auth_token(sh, req.body.clone())
        } else {
            err(405, "Method not allowed")
        };
    }
    let caller = match sh.keys.verify(req.token) {
        Ok(c) if c.grant_type == "refresh_token" => return err(401, "invalid token"),
        Ok(c) => Caller {
            user: c.user,
            organization: c.organization,
            scopes: c.scope.split_whitespace().map(str::to_string).collect(),
        },
        Err(message) => return err(401, message),
    };
    let known = [
        "organizations",
        "services",
        "contacts",
        "conversations",
        "messages",
        "users",
    ];
    let Some(scopes) = required_scopes(req.method.as_str(), &parts) else {
        return match parts.first() {
            Some(r) if known.contains(r) => err(405, "Method not allowed"),
            _ => err(404, "Not found"),
        };
    };
    if !caller.has_any(scopes) {
        return err(403, "Permission denied");
    }
    if req.body.is_none() && !req.body_empty && matches!(*req.method, Method::POST | Method::PATCH)
    {
        return err(400, "the body is not valid JSON");
    }
    let mut store = lock(&sh.store);
    let b = &knobs.behaviour;
    store.advance(now_ms(), b);
    let mut reply = route(sh, knobs, &mut store, &caller, req, &parts);
    reply.2.push(("x-sandbox-user", caller.user.clone()));
    reply
}

/// One request after authentication and the scope check.
fn route(
    sh: &Shared,
    knobs: &Knobs,
    store: &mut Store,
    caller: &Caller,
    req: &Request<'_>,
    parts: &[&str],
) -> Reply {
    let b = &knobs.behaviour;
    let visible = |d: &&Value| store.visible(caller, d["orgPath"].as_str().unwrap_or(""));
    let body = || req.body.clone().unwrap_or(Value::Null);
    let listing = |docs: &[Value], required: &[&str]| {
        list(
            sh,
            knobs,
            req.path,
            req.query,
            docs.iter().filter(visible),
            required,
        )
    };
    match (req.method.as_str(), parts) {
        ("GET", ["organizations"]) => listing(&store.orgs, &[]),
        ("GET", ["organizations", id]) => {
            get_one(store.org(id).filter(visible), "Organization", req.query)
        }
        ("GET", ["services"]) => listing(&store.services, &[]),
        ("GET", ["services", id]) => get_one(
            store
                .services
                .iter()
                .find(|s| s["id"] == *id)
                .filter(visible),
            "Service",
            req.query,
        ),
        ("GET", ["contacts"]) => {
            let mut reply = listing(&store.contacts, &[]);
            if populates(req.query, "conversation")
                && let Value::Array(items) = &mut reply.1
            {
                for c in items.iter_mut() {
                    populate_conversation(store, c);
                }
            }
            reply
        }
        ("GET", ["contacts", id]) => get_one(
            store
                .contacts
                .iter()
                .find(|s| s["id"] == *id)
                .filter(visible),
            "Contact",
            req.query,
        ),
        ("PATCH", ["contacts", id]) => patch_contact(store, caller, id, req.body.clone()),
        ("GET", ["conversations"]) => listing(&store.conversations, &[]),
        ("GET", ["conversations", id]) => get_one(
            store
                .conversations
                .iter()
                .find(|s| s["id"] == *id)
                .filter(visible),
            "Conversation",
            req.query,
        ),
        ("POST", ["conversations"]) => match store.create_conversation(caller, body(), b) {
            Ok((status, conv)) => ok(status, conv),
            Err(f) => fail(f),
        },
        ("POST", ["conversations", id, "messages"]) => {
            match store.post_messages(caller, id, body(), b) {
                Ok(created) => ok(201, created),
                Err(f) => fail(f),
            }
        }
        ("GET", ["messages"]) => listing(
            &store.messages,
            &[
                "id",
                "organization",
                "conversation",
                "type",
                "role",
                "createdAt",
            ],
        ),
        ("GET", ["messages", id]) => get_one(
            store
                .messages
                .iter()
                .find(|s| s["id"] == *id)
                .filter(visible),
            "Message",
            req.query,
        ),
        ("GET", ["users"]) => {
            let docs = store
                .users
                .iter()
                .filter(|u| {
                    store.visible(
                        caller,
                        &store.org_path(u["organization"].as_str().unwrap_or("")),
                    )
                })
                .map(Store::public_user)
                .collect::<Vec<_>>();
            list(sh, knobs, req.path, req.query, docs.iter(), &[])
        }
        ("GET", ["users", id]) => get_one(
            store.user(id).map(Store::public_user).as_ref(),
            "User",
            req.query,
        ),
        _ => err(404, "Not found"),
    }
}

fn populates(query: &str, field: &str) -> bool {
    url::form_urlencoded::parse(query.as_bytes())
        .any(|(k, v)| k == "populate" && v.split(',').any(|f| f.trim() == field))
}

/// Replaces a contact's conversation id with the conversation document (`populate`).
fn populate_conversation(store: &Store, contact: &mut Value) {
    let Some(id) = contact.get("conversation").and_then(Value::as_str) else {
        return;
    };
    if let Some(conv) = store.conversation(id) {
        contact["conversation"] = conv.clone();
    }
}

fn get_one(doc: Option<&Value>, what: &str, query: &str) -> Reply {
    match doc {
        Some(d) => {
            let q = ListQuery::parse(query).unwrap_or_default();
            ok(200, filter::project(d, &q.select))
        }
        None => err(404, &format!("{what} not found")),
    }
}

/// A list answer: the documents matching the query, sorted and paged. Only the matches are
/// copied (a store of 100,000 contacts is filtered in place, not cloned per request).
fn list<'a>(
    sh: &Shared,
    knobs: &Knobs,
    path: &str,
    query: &str,
    docs: impl Iterator<Item = &'a Value>,
    required: &[&str],
) -> Reply {
    let mut q = match ListQuery::parse(query) {
        Ok(q) => q,
        Err(e) => return err(400, &e.0),
    };
    knobs.phone_in_lists.apply(&mut q);
    if !required.is_empty() && !required.iter().any(|k| q.has_filter(k)) {
        return err(
            400,
            &format!("a filter on one of {} is required", required.join(", ")),
        );
    }
    let mut docs: Vec<Value> = docs.filter(|d| q.matches(d)).cloned().collect();
    filter::sort(&mut docs, &q.sort);
    let total = docs.len();
    let limit = q
        .limit
        .unwrap_or(knobs.default_limit)
        .clamp(1, knobs.max_limit.max(1));
    let page: Vec<Value> = docs
        .iter()
        .skip(q.offset)
        .take(limit)
        .map(|d| filter::project(d, &q.select))
        .collect();
    let mut headers = vec![("x-total-count", total.to_string())];
    if q.offset + page.len() < total && !page.is_empty() {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in q
            .params
            .iter()
            .filter(|(k, _)| k != "offset" && k != "limit")
        {
            ser.append_pair(k, v);
        }
        ser.append_pair("limit", &limit.to_string());
        ser.append_pair("offset", &(q.offset + page.len()).to_string());
        let base = sh.base_url.get().map(String::as_str).unwrap_or("");
        headers.push((
            "link",
            format!("<{base}{path}?{}>; rel=\"next\"", ser.finish()),
        ));
    }
    (StatusCode::OK, Value::Array(page), headers)
}

fn patch_contact(store: &mut Store, caller: &Caller, id: &str, body: Option<Value>) -> Reply {
    let Some(Value::Object(changes)) = body else {
        return err(400, "body must be a JSON object");
    };
    let Some(doc) = store.contacts.iter_mut().find(|c| c["id"] == id) else {
        return err(404, "Contact not found");
    };
    if !doc["orgPath"]
        .as_str()
        .unwrap_or("")
        .split('#')
        .any(|p| p == caller.organization)
    {
        return err(404, "Contact not found");
    }
    // Top-level merge; a nested object replaces the stored one wholesale (docs/platform.md, "Transport and bodies").
    for (k, v) in changes {
        if k != "id" && k != "organization" && k != "orgPath" {
            doc[k.as_str()] = v;
        }
    }
    doc["updatedAt"] = json!(iso(now_ms()));
    let reply = ok(200, doc.clone());
    // The telephone or e-mail may have changed.
    store.reindex();
    reply
}

fn auth_token(sh: &Shared, body: Option<Value>) -> Reply {
    let body = body.unwrap_or(Value::Null);
    if let Some(refresh) = body.get("refreshToken").and_then(Value::as_str) {
        // Never one of the messages that make the SDK refresh (docs/platform.md, "Renewing a token").
        let refused = || err(401, "Refresh token not accepted");
        let Ok(claims) = sh.keys.verify(refresh) else {
            return refused();
        };
        if claims.grant_type != "refresh_token" || !lock(&sh.refresh_ids).remove(&claims.jti) {
            return refused();
        }
        let store = lock(&sh.store);
        let Some(user) = store.user(&claims.user).cloned() else {
            return refused();
        };
        drop(store);
        if let Some(client) = body.get("clientId").and_then(Value::as_str)
            && user["email"].as_str() != Some(client)
        {
            return refused();
        }
        return ok(201, sh.issue_pair(&user));
    }
    let (Some(email), Some(password)) = (
        body.get("email").and_then(Value::as_str),
        body.get("password").and_then(Value::as_str),
    ) else {
        return err(400, "email and password, or refreshToken, are required");
    };
    let store = lock(&sh.store);
    let user = store
        .users
        .iter()
        .find(|u| u["email"].as_str() == Some(email) && u["password"].as_str() == Some(password))
        .cloned();
    drop(store);
    match user {
        Some(u) => ok(201, sh.issue_pair(&u)),
        None => err(401, "invalid credentials"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_keys() {
        assert_eq!(
            route_key("/v2/conversations/abc/messages"),
            "conversations/messages"
        );
        assert_eq!(route_key("/v2/conversations"), "conversations");
        assert_eq!(route_key("/v2/contacts/abc"), "contacts");
        assert_eq!(route_key("/v2/auth/token"), "auth/token");
    }
}
