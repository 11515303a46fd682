//! The real client against a hand-written hostile HTTP/1.1 server on loopback: answers that
//! never end, links that go round in circles, servers that stall or ask for absurd waits.
//! Each case checks that the client stops with an error that names the limit, and that what it
//! cost stays bounded (bytes the server got to write, memory, requests, seconds).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use sms_invite::api::models::Organization;
use sms_invite::api::{ApiError, Client, ClientConfig, Credentials, ErrorKind, Query, Secret};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const TOKEN: &str = "hostile-test-token-never-shown";
const HUNDRED_MB: u64 = 100_000_000;
/// An "endless" body stops here, so a client without limits fails the test instead of eating
/// the machine's memory.
const ENDLESS_CEILING: u64 = 256 * 1024 * 1024;
/// Generous: the client reads at most 8 MiB, the rest is what the kernel buffered meanwhile.
const WRITTEN_BOUND: u64 = 50_000_000;
/// Generous: the 8 MiB buffer, its growth, and JSON never parsed.
const MEMORY_BOUND_KB: u64 = 64 * 1024;
/// Any case that takes longer than this has hung; it fails instead of blocking the suite.
const HUNG: Duration = Duration::from_secs(30);
const ORG: &str = r#"{"id":"5f00000000000000000000aa","displayName":"Hostile Holding"}"#;

/// The oversized-body tests measure the process's peak memory, so they take turns.
static MEMORY_TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// One request as the server saw it.
#[derive(Clone, Debug)]
struct Request {
    method: String,
    target: String,
}

/// What the server counted; shared with the connection handlers.
#[derive(Default)]
struct Counters {
    requests: AtomicUsize,
    finished: AtomicUsize,
    written: AtomicU64,
}

struct Hostile {
    port: u16,
    counters: Arc<Counters>,
}

impl Hostile {
    /// Serves every connection with `handler`, one request per connection.
    async fn start<F, Fut>(handler: F) -> Hostile
    where
        F: Fn(Request, TcpStream, Arc<Counters>, u16) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let counters = Arc::new(Counters::default());
        let shared = counters.clone();
        let handler = Arc::new(handler);
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let counters = shared.clone();
                let handler = handler.clone();
                tokio::spawn(async move {
                    if let Some(req) = read_request(&mut stream).await {
                        counters.requests.fetch_add(1, Ordering::SeqCst);
                        handler(req, stream, counters.clone(), port).await;
                        counters.finished.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
        });
        Hostile { port, counters }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn requests(&self) -> usize {
        self.counters.requests.load(Ordering::SeqCst)
    }

    /// Bytes the server wrote, once every handler saw the client hang up (or 5 s passed).
    async fn written_when_settled(&self) -> u64 {
        let until = Instant::now() + Duration::from_secs(5);
        while self.counters.finished.load(Ordering::SeqCst) < self.requests()
            && Instant::now() < until
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.counters.written.load(Ordering::SeqCst)
    }
}

/// Reads the request head and drains a `Content-Length` body.
async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1024];
    let head_end = loop {
        let n = stream.read(&mut byte).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&byte[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut words = head.split_whitespace();
    let method = words.next()?.to_string();
    let target = words.next()?.to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut have = buf.len() - head_end;
    while have < length {
        let n = stream.read(&mut byte).await.ok()?;
        if n == 0 {
            break;
        }
        have += n;
    }
    Some(Request { method, target })
}

/// Writes and counts; `false` once the client has gone.
async fn pour(stream: &mut TcpStream, counters: &Counters, bytes: &[u8]) -> bool {
    if stream.write_all(bytes).await.is_err() {
        return false;
    }
    counters
        .written
        .fetch_add(bytes.len() as u64, Ordering::SeqCst);
    true
}

/// A valid JSON list of organizations, exactly `total` bytes, in blocks of about 64 KiB.
fn json_list_blocks(total: u64) -> impl Iterator<Item = Vec<u8>> {
    let item = format!("{ORG},");
    let block: Vec<u8> = item.repeat(65_536 / item.len()).into_bytes();
    let tail = format!("{ORG}]").into_bytes();
    let body = total - 1 - tail.len() as u64;
    let full = body / block.len() as u64;
    let pad = (body % block.len() as u64) as usize;
    std::iter::once(b"[".to_vec())
        .chain((0..full).map(move |_| block.clone()))
        .chain(std::iter::once([vec![b' '; pad], tail].concat()))
}

/// An endless list: `[` and then the same block again and again.
fn endless_blocks() -> impl Iterator<Item = Vec<u8>> {
    let item = format!("{ORG},");
    let block: Vec<u8> = item.repeat(65_536 / item.len()).into_bytes();
    std::iter::once(b"[".to_vec()).chain(std::iter::repeat(block))
}

/// `200` (or `status`) with `Content-Length: declared`, then the blocks.
async fn declared_body(
    mut stream: TcpStream,
    counters: &Counters,
    status: &str,
    declared: u64,
    blocks: impl Iterator<Item = Vec<u8>>,
) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\nConnection: close\r\n\r\n"
    );
    if !pour(&mut stream, counters, head.as_bytes()).await {
        return;
    }
    for block in blocks {
        if !pour(&mut stream, counters, &block).await {
            return;
        }
    }
}

/// `status` with chunked encoding and no length; ends properly only if the blocks end and
/// stay under the ceiling.
async fn chunked_body(
    mut stream: TcpStream,
    counters: &Counters,
    status: &str,
    blocks: impl Iterator<Item = Vec<u8>>,
) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    if !pour(&mut stream, counters, head.as_bytes()).await {
        return;
    }
    for block in blocks {
        if counters.written.load(Ordering::SeqCst) > ENDLESS_CEILING {
            return;
        }
        let mut chunk = format!("{:x}\r\n", block.len()).into_bytes();
        chunk.extend_from_slice(&block);
        chunk.extend_from_slice(b"\r\n");
        if !pour(&mut stream, counters, &chunk).await {
            return;
        }
    }
    pour(&mut stream, counters, b"0\r\n\r\n").await;
}

/// A JSON answer with optional extra headers.
async fn small_answer(
    mut stream: TcpStream,
    counters: &Counters,
    status: &str,
    headers: &str,
    body: &str,
) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{headers}Connection: close\r\n\r\n{body}",
        body.len()
    );
    pour(&mut stream, counters, head.as_bytes()).await;
}

/// A config for the hostile server: short deadline, fast retries, no client-side rate limit.
fn config(server: &Hostile) -> ClientConfig {
    let mut c = ClientConfig::new(&server.url()).unwrap();
    c.rate_per_sec = 0;
    c.retry.base_delay = Duration::from_millis(5);
    c.retry.max_delay = Duration::from_millis(50);
    c.request_deadline = Duration::from_secs(2);
    c
}

fn client(config: ClientConfig) -> Client {
    Client::new(config, Credentials::new(Secret::new(TOKEN))).unwrap()
}

/// Runs `fut`, failing the test if it hangs; returns its result and how long it took.
async fn timed<T>(fut: impl Future<Output = T>) -> (T, Duration) {
    let start = Instant::now();
    let out = tokio::time::timeout(HUNG, fut)
        .await
        .unwrap_or_else(|_| panic!("the client was still busy after {HUNG:?}"));
    (out, start.elapsed())
}

/// Starts a fresh peak (`VmHWM`) so one test's growth is not hidden by an earlier test's peak;
/// where the kernel refuses, the growth is measured against the older, higher peak (lenient).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The process's peak resident memory so far (`VmHWM`), in kB.
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn expect_err<T>(r: Result<T, ApiError>) -> ApiError {
    let err = match r {
        Err(e) => e,
        Ok(_) => panic!(
            "the hostile server must produce an error, but the client returned success ({})",
            std::any::type_name::<T>()
        ),
    };
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains(TOKEN),
        "the token leaked into the error: {text}"
    );
    err
}

// ---- oversized bodies -------------------------------------------------------------------

#[tokio::test]
async fn a_100_mb_declared_body_is_refused_before_it_is_read() {
    let _turn = MEMORY_TURN.lock().await;
    let server = Hostile::start(|_, stream, counters, _| async move {
        declared_body(
            stream,
            &counters,
            "200 OK",
            HUNDRED_MB,
            json_list_blocks(HUNDRED_MB),
        )
        .await;
    })
    .await;
    reset_peak_rss();
    let before = peak_rss_kb();
    let client = client(config(&server));
    let (result, took) = timed(client.organizations(&Query::new(), 1_000_000)).await;
    let err = expect_err(result);
    let grew = peak_rss_kb().saturating_sub(before);
    let written = server.written_when_settled().await;
    eprintln!(
        "declared 100 MB: {took:?}, server wrote {written} bytes, peak RSS +{grew} kB: {err}"
    );
    assert_eq!(err.kind, ErrorKind::TooLarge, "{err}");
    assert!(err.message.contains("8 MiB"), "names the limit: {err}");
    assert!(
        err.message.contains("100000000"),
        "names the declared size: {err}"
    );
    assert!(written < WRITTEN_BOUND, "the server wrote {written} bytes");
    assert!(grew < MEMORY_BOUND_KB, "peak RSS grew by {grew} kB");
    assert_eq!(
        server.requests(),
        1,
        "a too-big answer is not asked for again"
    );
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[tokio::test]
async fn a_100_mb_chunked_body_stops_at_the_limit() {
    let _turn = MEMORY_TURN.lock().await;
    let server = Hostile::start(|_, stream, counters, _| async move {
        chunked_body(stream, &counters, "200 OK", json_list_blocks(HUNDRED_MB)).await;
    })
    .await;
    reset_peak_rss();
    let before = peak_rss_kb();
    let client = client(config(&server));
    let (result, took) = timed(client.organizations(&Query::new(), 1_000_000)).await;
    let err = expect_err(result);
    let grew = peak_rss_kb().saturating_sub(before);
    let written = server.written_when_settled().await;
    eprintln!("chunked 100 MB: {took:?}, server wrote {written} bytes, peak RSS +{grew} kB: {err}");
    assert_eq!(err.kind, ErrorKind::TooLarge, "{err}");
    assert!(err.message.contains("larger than 8 MiB"), "{err}");
    assert!(err.message.contains("stopped reading"), "{err}");
    assert!(written < WRITTEN_BOUND, "the server wrote {written} bytes");
    assert!(grew < MEMORY_BOUND_KB, "peak RSS grew by {grew} kB");
    assert_eq!(server.requests(), 1);
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[tokio::test]
async fn an_endless_chunked_body_stops_at_the_limit() {
    let _turn = MEMORY_TURN.lock().await;
    let server = Hostile::start(|_, stream, counters, _| async move {
        chunked_body(stream, &counters, "200 OK", endless_blocks()).await;
    })
    .await;
    reset_peak_rss();
    let before = peak_rss_kb();
    let client = client(config(&server));
    let (result, took) = timed(client.organizations(&Query::new(), 1_000_000)).await;
    let err = expect_err(result);
    let grew = peak_rss_kb().saturating_sub(before);
    let written = server.written_when_settled().await;
    eprintln!("endless: {took:?}, server wrote {written} bytes, peak RSS +{grew} kB: {err}");
    assert_eq!(err.kind, ErrorKind::TooLarge, "{err}");
    assert!(err.message.contains("larger than 8 MiB"), "{err}");
    assert!(written < WRITTEN_BOUND, "the server wrote {written} bytes");
    assert!(grew < MEMORY_BOUND_KB, "peak RSS grew by {grew} kB");
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[tokio::test]
async fn the_body_limit_is_configurable() {
    let server = Hostile::start(|_, stream, counters, _| async move {
        chunked_body(stream, &counters, "200 OK", json_list_blocks(300_000)).await;
    })
    .await;
    let mut config = config(&server);
    config.max_body_bytes = 256 * 1024;
    let (result, _) = timed(client(config).organizations(&Query::new(), 1_000_000)).await;
    let err = expect_err(result);
    assert_eq!(err.kind, ErrorKind::TooLarge, "{err}");
    assert!(err.message.contains("256 KiB"), "{err}");
    // The same answer fits under the default limit.
    let (result, _) =
        timed(client(self::config(&server)).organizations(&Query::new(), 1_000_000)).await;
    assert!(result.unwrap().len() > 3000);
}

#[tokio::test]
async fn a_post_whose_answer_is_too_big_is_outcome_unknown() {
    let _turn = MEMORY_TURN.lock().await;
    let server = Hostile::start(|req, stream, counters, _| async move {
        assert_eq!(req.method, "POST");
        chunked_body(stream, &counters, "201 Created", endless_blocks()).await;
    })
    .await;
    let client = client(config(&server));
    let body = json!({"contact": {"profile": {"telephone": "+31612345678"}}});
    let (result, took) = timed(client.create_conversation(&body)).await;
    let err = expect_err(result);
    let written = server.written_when_settled().await;
    eprintln!("POST with endless answer: {took:?}, server wrote {written} bytes: {err}");
    assert!(
        err.outcome_unknown,
        "the platform accepted it; never 'failed': {err}"
    );
    assert_eq!(err.kind, ErrorKind::TooLarge, "{err}");
    assert!(err.to_string().ends_with("(outcome unknown)"), "{err}");
    assert!(
        err.hint().contains("checked before anything is resent"),
        "{}",
        err.hint()
    );
    assert_eq!(server.requests(), 1, "a write is never resent");
    assert!(written < WRITTEN_BOUND, "the server wrote {written} bytes");
}

#[tokio::test]
async fn an_error_answer_with_an_endless_body_still_reports_its_status() {
    let _turn = MEMORY_TURN.lock().await;
    let server = Hostile::start(|_, stream, counters, _| async move {
        chunked_body(
            stream,
            &counters,
            "503 Service Unavailable",
            endless_blocks(),
        )
        .await;
    })
    .await;
    let client = client(config(&server));
    let body = json!({"contact": {"profile": {"telephone": "+31612345678"}}});
    let (result, took) = timed(client.create_conversation(&body)).await;
    let err = expect_err(result);
    let written = server.written_when_settled().await;
    assert_eq!(err.status, Some(503), "{err}");
    assert_eq!(err.kind, ErrorKind::Server, "{err}");
    assert!(
        err.outcome_unknown,
        "a 5xx on a write stays ambiguous: {err}"
    );
    assert!(written < WRITTEN_BOUND, "the server wrote {written} bytes");
    assert!(took < Duration::from_secs(10), "{took:?}");
}

// ---- pagination -------------------------------------------------------------------------

#[tokio::test]
async fn a_next_link_to_the_same_page_fails_after_one_request() {
    let server = Hostile::start(|req, stream, counters, port| async move {
        let link = format!(
            "Link: <http://127.0.0.1:{port}{}>; rel=\"next\"\r\n",
            req.target
        );
        small_answer(stream, &counters, "200 OK", &link, &format!("[{ORG}]")).await;
    })
    .await;
    let client = client(config(&server));
    let (result, took) = timed(client.organizations(&Query::new(), 1_000_000)).await;
    let err = expect_err(result);
    eprintln!("self link: {took:?}, {} requests: {err}", server.requests());
    assert_eq!(err.kind, ErrorKind::InvalidResponse, "{err}");
    assert!(err.message.contains("repeats page 1"), "{err}");
    assert!(
        err.message.contains("/v2/organizations"),
        "names the URL: {err}"
    );
    assert!(err.message.contains("loop"), "{err}");
    assert!(server.requests() <= 2, "{} requests", server.requests());
}

#[tokio::test]
async fn a_loop_between_two_pages_fails() {
    let server = Hostile::start(|req, stream, counters, _| async move {
        let next = if req.target.contains("offset=1") {
            "/v2/organizations?limit=1"
        } else {
            "/v2/organizations?limit=1&offset=1"
        };
        let link = format!("Link: <{next}>; rel=\"next\"\r\n");
        small_answer(stream, &counters, "200 OK", &link, &format!("[{ORG}]")).await;
    })
    .await;
    let client = client(config(&server));
    let (result, took) =
        timed(client.list_all::<Organization>("organizations", &Query::new().limit(1), 1_000_000))
            .await;
    let err = expect_err(result);
    eprintln!("A->B->A: {took:?}, {} requests: {err}", server.requests());
    assert!(err.message.contains("repeats page 1"), "{err}");
    assert!(err.message.contains("limit=1"), "{err}");
    assert!(server.requests() <= 3, "{} requests", server.requests());
}

#[tokio::test]
async fn an_endless_list_fails_at_the_page_limit() {
    let server = Hostile::start(|req, stream, counters, _| async move {
        let n: u64 = req
            .target
            .rsplit_once("offset=")
            .and_then(|(_, n)| n.parse().ok())
            .unwrap_or(0);
        let link = format!(
            "Link: </v2/organizations?offset={}>; rel=\"next\"\r\n",
            n + 1
        );
        small_answer(stream, &counters, "200 OK", &link, &format!("[{ORG}]")).await;
    })
    .await;
    let mut config = config(&server);
    config.max_pages = 5;
    let (result, _) = timed(client(config).organizations(&Query::new(), 1_000_000)).await;
    let err = expect_err(result);
    assert_eq!(err.kind, ErrorKind::TooLarge, "{err}");
    assert!(err.message.contains("5 pages"), "{err}");
    assert_eq!(server.requests(), 5);
    // A cap on items that the pages reach first is no error.
    let (result, _) = timed(client(self::config(&server)).organizations(&Query::new(), 3)).await;
    assert_eq!(result.unwrap().len(), 3);
}

// ---- time -------------------------------------------------------------------------------

#[tokio::test]
async fn a_body_trickling_one_byte_a_second_fails_at_the_deadline() {
    let server = Hostile::start(|_, mut stream, counters, _| async move {
        let head =
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
        if !pour(&mut stream, &counters, head.as_bytes()).await {
            return;
        }
        for _ in 0..1000 {
            if !pour(&mut stream, &counters, b" ").await {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
    .await;
    let client = client(config(&server));
    let (result, took) = timed(client.organization("5f00000000000000000000aa")).await;
    let err = expect_err(result);
    eprintln!("trickle: {took:?}, {} requests: {err}", server.requests());
    assert_eq!(err.kind, ErrorKind::Timeout, "{err}");
    assert!(err.message.contains("2 s deadline"), "{err}");
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[tokio::test]
async fn a_silent_server_fails_at_the_deadline() {
    let server = Hostile::start(|_, stream, _, _| async move {
        tokio::time::sleep(Duration::from_secs(60)).await;
        drop(stream);
    })
    .await;
    let client = client(config(&server));
    let (result, took) = timed(client.organization("5f00000000000000000000aa")).await;
    let err = expect_err(result);
    eprintln!(
        "silent GET: {took:?}, {} requests: {err}",
        server.requests()
    );
    assert_eq!(err.kind, ErrorKind::Timeout, "{err}");
    assert!(
        err.message.contains("no answer within the 2 s deadline"),
        "{err}"
    );
    assert!(!err.outcome_unknown, "a read is never ambiguous");
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[tokio::test]
async fn a_post_cut_by_the_deadline_is_outcome_unknown() {
    let server = Hostile::start(|_, stream, _, _| async move {
        tokio::time::sleep(Duration::from_secs(60)).await;
        drop(stream);
    })
    .await;
    let client = client(config(&server));
    let body = json!({"contact": {"profile": {"telephone": "+31612345678"}}});
    let (result, took) = timed(client.create_conversation(&body)).await;
    let err = expect_err(result);
    eprintln!("silent POST: {took:?}: {err}");
    assert_eq!(err.kind, ErrorKind::Timeout, "{err}");
    assert!(
        err.outcome_unknown,
        "the request may have been applied: {err}"
    );
    assert!(err.message.contains("2 s deadline"), "{err}");
    assert_eq!(
        server.requests(),
        1,
        "a write is never resent after it left"
    );
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[tokio::test]
async fn a_huge_retry_after_is_cut_by_the_deadline() {
    let server = Hostile::start(|_, stream, counters, _| async move {
        let body = r#"{"error":{"message":"slow down"}}"#;
        small_answer(
            stream,
            &counters,
            "429 Too Many Requests",
            "Retry-After: 999999\r\n",
            body,
        )
        .await;
    })
    .await;
    let client = client(config(&server));
    let (result, took) = timed(client.organization("5f00000000000000000000aa")).await;
    let err = expect_err(result);
    eprintln!(
        "Retry-After 999999: {took:?}, {} requests: {err}",
        server.requests()
    );
    assert_eq!(err.kind, ErrorKind::RateLimited, "{err}");
    assert!(err.message.contains("999999 s (Retry-After)"), "{err}");
    assert!(err.message.contains("2 s deadline"), "{err}");
    assert!(err.message.contains("giving up"), "{err}");
    assert!(server.requests() <= 2, "{} requests", server.requests());
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[tokio::test]
async fn retries_that_outlast_the_deadline_stop_with_the_reason() {
    let server = Hostile::start(|_, stream, counters, _| async move {
        small_answer(
            stream,
            &counters,
            "502 Bad Gateway",
            "",
            r#"{"message":"upstream"}"#,
        )
        .await;
    })
    .await;
    let mut config = config(&server);
    config.retry.base_delay = Duration::from_secs(1);
    config.retry.max_delay = Duration::from_secs(8);
    let (result, took) = timed(client(config).organization("5f00000000000000000000aa")).await;
    let err = expect_err(result);
    eprintln!(
        "502 with backoff: {took:?}, {} requests: {err}",
        server.requests()
    );
    assert_eq!(err.status, Some(502), "{err}");
    assert!(err.message.contains("2 s deadline"), "{err}");
    assert!(server.requests() < 6, "{} requests", server.requests());
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[tokio::test]
async fn the_request_deadline_flag_reaches_the_client() {
    let server = Hostile::start(|_, stream, _, _| async move {
        tokio::time::sleep(Duration::from_secs(60)).await;
        drop(stream);
    })
    .await;
    let key = jsonwebtoken::EncodingKey::from_secret(b"hostile").unwrap();
    let claims = json!({"_id": "5f00000000000000000000bb", "scope": "bot admin"});
    let token = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let err_path = dir.path().join("stderr");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_sms-invite"));
    cmd.args([
        "--api-url",
        &server.url(),
        "--request-deadline",
        "1",
        "orgs",
    ])
    .env_clear()
    .env("PATH", std::env::var_os("PATH").unwrap_or_default())
    .env("HOME", dir.path())
    .env("SMS_INVITE_CONFIG_DIR", dir.path().join("config"))
    .env("SMS_INVITE_DATA_DIR", dir.path().join("data"))
    .env("SMS_INVITE_TOKEN", &token)
    .stdin(std::process::Stdio::null())
    .stdout(std::process::Stdio::null())
    .stderr(std::fs::File::create(&err_path).unwrap());
    let (code, took) = timed(tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().unwrap();
        let until = Instant::now() + HUNG;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status.code();
            }
            if Instant::now() > until {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }))
    .await;
    let stderr = std::fs::read_to_string(&err_path).unwrap();
    eprintln!("orgs --request-deadline 1: {took:?}, exit {code:?}: {stderr}");
    assert_eq!(code.unwrap(), Some(1), "{stderr}");
    assert!(stderr.contains("1 s deadline"), "{stderr}");
    assert!(!stderr.contains(&token), "the token leaked: {stderr}");
    assert!(took < Duration::from_secs(10), "{took:?}");
}
