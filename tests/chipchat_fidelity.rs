//! Fidelity against the platform's own client: runs the real `chipchat` Node SDK (0.7.4, pinned
//! in tests/chipchat/package-lock.json) through tests/chipchat/fidelity.js against an in-process
//! sandbox, then checks on the sandbox side that the SDK really paginated, refreshed its token
//! and had its message arrays stored in order.
//!
//! Needs Node (the version `engines` in tests/chipchat/package.json asks for) and npm. Without
//! them the test is skipped with the reason printed; under CI (`CI=true`) it fails instead, so
//! CI cannot silently report the fidelity as proven.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use sms_invite::sandbox::SandboxConfig;

/// Short enough that fidelity.js can wait for tokens to expire (twice) within seconds.
const TOKEN_TTL_SECS: i64 = 2;

/// A generous bound for the whole Node run (normally ~10 s), so a hung SDK call fails the test
/// instead of hanging CI.
const NODE_DEADLINE: Duration = Duration::from_secs(180);

/// The texts fidelity.js posts as two message arrays (3 via `send`, 2 via `ctx.say`); keep in
/// step with ARRAY_TEXTS there.
fn array_texts() -> Vec<String> {
    (1..=5)
        .map(|i| format!("chipchat-fidelity array {i}/5"))
        .collect()
}

fn sdk_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/chipchat")
}

/// Why Node and npm are needed, printed with a skip or a CI failure.
const PURPOSE: &str = "the chipchat fidelity test runs the real Node SDK \
    (e.g. `apt-get install nodejs npm`)";

/// Runs a tool to completion (its presence was checked before).
fn run_tool(dir: &Path, program: &str, args: &[&str]) -> std::process::Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{program}`: {e}"))
}

/// The lowest Node major version `engines.node` (">=N") in package.json accepts, so the
/// README, the manifest and this check cannot disagree.
fn required_node_major(dir: &Path) -> u32 {
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("package.json")).expect("tests/chipchat/package.json"),
    )
    .expect("package.json is JSON");
    let range = manifest["engines"]["node"].as_str().unwrap_or_default();
    range
        .trim()
        .strip_prefix(">=")
        .and_then(|v| v.trim().split('.').next()?.parse().ok())
        .unwrap_or_else(|| panic!("engines.node in package.json is not \">=N\": {range:?}"))
}

/// Whether a Node new enough for the SDK and the pinned SDK are there, installing the SDK with
/// `npm ci` unless node_modules already holds chipchat 0.7.4 (node_modules is gitignored, so a
/// fresh clone or CI has to install it; `npm ci` keeps to the lockfile). False means skipped.
fn sdk_ready(dir: &Path) -> bool {
    if !common::have_program("node", &["--version"], PURPOSE) {
        return false;
    }
    let version = String::from_utf8_lossy(&run_tool(dir, "node", &["--version"]).stdout)
        .trim()
        .to_string();
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    let required = required_node_major(dir);
    if major < required {
        return common::missing(
            &format!(
                "node {version} is older than the >={required} that tests/chipchat/package.json asks for"
            ),
            PURPOSE,
        );
    }
    let installed = std::fs::read_to_string(dir.join("node_modules/chipchat/package.json"))
        .ok()
        .and_then(|s| serde_json::from_str::<Value>(&s).ok())
        .is_some_and(|p| p["version"] == "0.7.4");
    if installed {
        return true;
    }
    if !common::have_program("npm", &["--version"], PURPOSE) {
        return false;
    }
    eprintln!("installing the chipchat SDK: npm ci in {}", dir.display());
    let npm = run_tool(dir, "npm", &["ci", "--no-audit", "--no-fund"]);
    assert!(
        npm.status.success(),
        "`npm ci` in {} failed (is the npm registry reachable?)\nstdout:\n{}\nstderr:\n{}",
        dir.display(),
        String::from_utf8_lossy(&npm.stdout),
        String::from_utf8_lossy(&npm.stderr)
    );
    true
}

struct NodeRun {
    success: bool,
    status: String,
    stdout: String,
    stderr: String,
    took: Duration,
}

/// Reads a child's pipe to the end on its own thread, so a chatty child never blocks on a
/// full pipe while it is being polled.
fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_string(&mut text);
        }
        text
    })
}

/// Runs fidelity.js with the sandbox's env. The child is polled from the async side so the
/// in-process sandbox keeps serving it (tokio's `process` feature is not enabled here).
async fn run_fidelity(dir: &Path, envs: &[(&str, String)]) -> NodeRun {
    let started = Instant::now();
    let mut child = Command::new("node")
        .arg("fidelity.js")
        .current_dir(dir)
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start `node fidelity.js`: {e}"));
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    let status = loop {
        match child.try_wait().expect("waiting for node") {
            Some(status) => break status,
            None if started.elapsed() > NODE_DEADLINE => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "fidelity.js did not finish within {NODE_DEADLINE:?}; output so far:\n{}",
                    out.join().unwrap_or_default()
                );
            }
            None => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    NodeRun {
        success: status.success(),
        status: status.to_string(),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
        took: started.elapsed(),
    }
}

fn query_param(entry: &Value, key: &str) -> Option<String> {
    let query = entry["query"].as_str().unwrap_or("");
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chipchat_sdk_works_against_the_sandbox() {
    let dir = sdk_dir();
    if !sdk_ready(&dir) {
        return;
    }

    let mut config = SandboxConfig::default();
    config.knobs.token_ttl_secs = TOKEN_TTL_SECS;
    // Message delays would only slow the run; ordering is what is checked.
    config.knobs.behaviour.delay_scale = 0.0;
    let sandbox = common::start_sandbox(config).await;

    // Issued last, right before Node starts, so the short-lived token is still valid at first.
    let mut envs = common::bot_env(&sandbox);
    assert!(
        envs.iter()
            .any(|(k, v)| *k == "SMS_INVITE_TOKEN" && !v.is_empty()),
        "the sandbox has no seeded admin bot"
    );
    envs.push(("FIDELITY_TTL_SECS", TOKEN_TTL_SECS.to_string()));
    let run = run_fidelity(&dir, &envs).await;
    println!(
        "---- node fidelity.js ({:.1} s) ----",
        run.took.as_secs_f64()
    );
    print!("{}", run.stdout);
    if !run.stderr.is_empty() {
        println!("---- stderr ----\n{}", run.stderr);
    }
    assert!(
        run.success,
        "fidelity.js failed ({}):\n{}\n{}",
        run.status, run.stdout, run.stderr
    );

    // The sandbox's own record, independent of what the script believed it saw.
    let log = sandbox.requests();
    let org_pages: Vec<&Value> = log
        .iter()
        .filter(|r| r["method"] == "GET" && r["path"] == "/v2/organizations" && r["status"] == 200)
        .collect();
    let mut offsets: Vec<String> = org_pages
        .iter()
        .filter_map(|r| query_param(r, "offset"))
        .collect();
    offsets.sort();
    offsets.dedup();
    assert!(
        offsets.len() >= 2,
        "the SDK never fetched a second page of organizations (offsets seen: {offsets:?})"
    );

    let refreshes = log
        .iter()
        .filter(|r| r["method"] == "POST" && r["path"] == "/v2/auth/token" && r["status"] == 201)
        .count();
    assert!(
        refreshes >= 1,
        "the SDK never refreshed its token via POST /v2/auth/token"
    );

    let stored: Vec<(String, String)> = sandbox.with_store(|s| {
        s.messages
            .iter()
            .filter(|m| {
                m["text"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("chipchat-fidelity array "))
            })
            .map(|m| {
                let field = |k: &str| m[k].as_str().unwrap_or_default().to_string();
                (field("text"), field("conversation"))
            })
            .collect()
    });
    let texts: Vec<String> = stored.iter().map(|(t, _)| t.clone()).collect();
    assert_eq!(
        texts,
        array_texts(),
        "the posted arrays are not stored once each, in order"
    );
    assert!(
        stored.windows(2).all(|w| w[0].1 == w[1].1),
        "the posted messages ended up in different conversations: {stored:?}"
    );
}
