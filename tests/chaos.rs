//! The chaos run: a batch sent by the real binary against a separate sandbox process under
//! mixed faults (latency spikes, 5xx on GETs, 5xx after writes on POSTs, dropped connections,
//! a 429 storm, the token expiring twice), the sender killed with SIGKILL part-way and
//! resumed. In the end every contact is sent exactly once or reported with a reason, and the
//! journal agrees with the sandbox's delivery log.
//!
//! CI runs 150 contacts; the full run is `CHAOS_CONTACTS=1000 cargo test --release --test chaos
//! -- --nocapture` (see README).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_sms-invite");

struct Sandbox {
    child: Child,
    env: HashMap<String, String>,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_sandbox(dir: &Path) -> Sandbox {
    let faults = [
        "*:*:slow=250:0.03",            // latency spikes
        "GET:*:error:0.10",             // 10% 5xx on GETs
        "POST:*:after-write:0.05",      // 5% 5xx after the write was applied
        "*:*:drop:0.02",                // dropped connections before processing
        "POST:*:drop-after-write:0.01", // dropped connections after the write
        "*:contacts:429:0.15",          // a 429 storm on lookups
    ];
    let mut cmd = Command::new(BIN);
    cmd.args([
        "sandbox",
        "--port",
        "0",
        "--token-ttl",
        "2",
        "--delay-scale",
        "0",
        "--rate-limit",
        "100",
    ]);
    for f in faults {
        cmd.args(["--fault", f]);
    }
    let mut child = cmd
        .env("SMS_INVITE_DATA_DIR", dir.join("sandbox-data"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("sandbox starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut env = HashMap::new();
    for line in BufReader::new(stdout).lines().take(4) {
        let line = line.expect("env line");
        if let Some((k, v)) = line.split_once('=') {
            env.insert(k.to_string(), v.to_string());
        }
    }
    assert_eq!(env.len(), 4, "the sandbox printed its four env lines");
    Sandbox { child, env }
}

fn send(env: &HashMap<String, String>, dir: &Path, args: &[&str]) -> Child {
    Command::new(BIN)
        .arg("send")
        .args(args)
        .args([
            "--yes",
            "--json",
            "--concurrency",
            "6",
            "--client-rate",
            "80",
        ])
        .envs(env)
        .env("SMS_INVITE_DATA_DIR", dir.join("data"))
        .env("SMS_INVITE_CONFIG_DIR", dir.join("config"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("send starts")
}

fn journal_lines(dir: &Path) -> (String, Vec<Value>) {
    let runs = dir.join("data").join("runs");
    let Ok(entries) = std::fs::read_dir(&runs) else {
        return (String::new(), vec![]);
    };
    // The run's journal (its lock file and any cut torn line sit beside it).
    let Some(path) = entries
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
    else {
        return (String::new(), vec![]);
    };
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let lines = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let run = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_string();
    (run, lines)
}

/// Fresh tokens, as an operator signing in again would get: the killed process may have
/// rotated the refresh token the environment still holds.
fn fresh_login(sb: &Sandbox) -> HashMap<String, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let url = format!("{}/__sandbox/tokens", sb.env["SMS_INVITE_API_URL"]);
    let v: Value = rt.block_on(async {
        reqwest::Client::new()
            .post(url)
            .body("{}")
            .send()
            .await
            .expect("sandbox answers")
            .json()
            .await
            .expect("json")
    });
    let mut env = sb.env.clone();
    env.insert(
        "SMS_INVITE_TOKEN".into(),
        v["token"].as_str().unwrap_or_default().to_string(),
    );
    env.insert(
        "SMS_INVITE_REFRESH_TOKEN".into(),
        v["refreshToken"].as_str().unwrap_or_default().to_string(),
    );
    env
}

fn http_get(url: &str) -> Value {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        reqwest::get(url)
            .await
            .expect("sandbox answers")
            .json()
            .await
            .expect("json")
    })
}

#[test]
fn chaos_run_sends_each_contact_exactly_once() {
    let n: usize = std::env::var("CHAOS_CONTACTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150);
    let dir = tempfile::tempdir().expect("tempdir");
    let sb = start_sandbox(dir.path());
    let csv = dir.path().join("contacts.csv");
    let mut text = String::from("telephone,givenName,familyName\n");
    for i in 0..n {
        text.push_str(&format!("0613{:06},Klant,{i}\n", i));
    }
    std::fs::write(&csv, text).expect("csv");
    let started = Instant::now();
    let mut first = send(
        &sb.env,
        dir.path(),
        &[
            "--org",
            "Acme Holding",
            "--contacts",
            csv.to_str().unwrap_or_default(),
            "--clp-url",
            "https://clp.example.com/acme",
        ],
    );
    // Kill it part-way: once a pseudo-random share (20-60%) of the contacts is journalled sent.
    let share = 20 + (std::process::id() as usize % 41);
    let kill_at = n * share / 100;
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let (_, lines) = journal_lines(dir.path());
        let sent = lines.iter().filter(|l| l["status"] == "sent").count();
        if sent >= kill_at || first.try_wait().ok().flatten().is_some() || Instant::now() > deadline
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let killed = first.try_wait().ok().flatten().is_none();
    let _ = first.kill(); // SIGKILL
    let _ = first.wait();
    let (run, _) = journal_lines(dir.path());
    assert!(!run.is_empty(), "a journal was written");
    // Resume until nothing is pending (an unknown outcome is checked again on each resume).
    let mut resumes = 0;
    for _ in 0..4 {
        resumes += 1;
        let out = send(&fresh_login(&sb), dir.path(), &["--resume", &run])
            .wait_with_output()
            .expect("resume runs");
        let code = out.status.code();
        if code == Some(0) {
            break;
        }
        assert_eq!(
            code,
            Some(1),
            "resume: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let elapsed = started.elapsed();
    // The journal's final word per contact.
    let (_, lines) = journal_lines(dir.path());
    let mut target: HashMap<u64, String> = HashMap::new();
    let mut state: HashMap<u64, (String, Option<String>, Option<String>)> = HashMap::new();
    for l in &lines {
        let Some(i) = l["index"].as_u64() else {
            continue;
        };
        if let Some(e) = l["target"]["e164"].as_str() {
            target.insert(i, e.to_string());
        }
        if let Some(s) = l["status"].as_str() {
            state.insert(
                i,
                (
                    s.to_string(),
                    l["reason"].as_str().map(str::to_string),
                    l["inviteId"].as_str().map(str::to_string),
                ),
            );
        }
    }
    assert_eq!(target.len(), n, "every contact is in the journal");
    let deliveries = http_get(&format!(
        "{}/__sandbox/deliveries",
        sb.env["SMS_INVITE_API_URL"]
    ));
    let mut delivered: HashMap<String, Vec<String>> = HashMap::new();
    for d in deliveries
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["status"] == "delivered")
    {
        delivered
            .entry(d["to"].as_str().unwrap_or_default().to_string())
            .or_default()
            .push(d["inviteId"].as_str().unwrap_or_default().to_string());
    }
    let mut sent = 0;
    let mut reported = 0;
    for (i, e164) in &target {
        let (s, reason, invite) = state.get(i).cloned().unwrap_or_default();
        let got = delivered.get(e164).cloned().unwrap_or_default();
        if s == "sent" {
            sent += 1;
            assert_eq!(
                got.len(),
                2,
                "{e164}: sent once means welcome + link, got {got:?}"
            );
            assert!(
                got.iter().all(|id| Some(id) == invite.as_ref()),
                "{e164}: the delivered invitation is the journalled one"
            );
        } else {
            reported += 1;
            assert!(reason.is_some(), "{e164} ended {s} without a reason");
            assert!(
                got.is_empty() || s == "unknown",
                "{e164} is {s} in the journal but the platform delivered {got:?}"
            );
        }
    }
    let requests = http_get(&format!(
        "{}/__sandbox/requests",
        sb.env["SMS_INVITE_API_URL"]
    ));
    let reqs = requests.as_array().cloned().unwrap_or_default();
    let faults = reqs.iter().filter(|r| r["fault"].is_string()).count();
    let refreshes = reqs.iter().filter(|r| r["route"] == "auth/token").count();
    println!(
        "chaos: {n} contacts, {sent} sent exactly once, {reported} reported with a reason; killed mid-run: {killed} at ≥{kill_at} sent; {resumes} resume(s); {} requests, {faults} faults injected, {refreshes} token refreshes; {:.1}s",
        reqs.len(),
        elapsed.as_secs_f64()
    );
    // Batched lookups make the run short (a few seconds for 150 contacts), so a 2-second token
    // expires about once; rotation across several renewals is covered in client_sandbox.
    assert!(
        refreshes >= 1,
        "the token expired and was renewed during the run ({refreshes})"
    );
    assert!(faults > n / 10, "faults were injected ({faults})");
}
