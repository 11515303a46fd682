//! The customer's side in a real headless Chromium: the real binary sends invitations to the
//! sandbox, the browser opens the handset page, follows the link of one SMS to the landing
//! page and replies there, and `watch --json` reports that contact as come back via the link,
//! and nobody else. A tampered token gets the error page, no text box, and writes nothing.
//!
//! Needs Node (>= the version tests/browser/package.json names), Chromium (`CHROMIUM`, else
//! `chromium` on the PATH) and puppeteer-core (installed here with `npm ci` when missing).
//! Without them the test is skipped with the reason; under `CI=true` it fails instead.
//! `SMS_INVITE_SHOTS=DIR` keeps screenshots of both pages (the README's come from there).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_sms-invite");
const PURPOSE: &str = "the browser test plays the customer in headless Chromium \
    (e.g. `apt-get install chromium nodejs npm`)";

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// The browser binary: `CHROMIUM`, else the first of the usual names that starts.
fn chromium() -> Option<String> {
    if let Ok(p) = std::env::var("CHROMIUM") {
        return Some(p);
    }
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|name| {
            Command::new(name)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok()
        })
        .map(str::to_string)
}

/// Node, Chromium and puppeteer-core, or why not.
fn ready() -> Option<String> {
    let dir = browser_dir();
    if !common::have_program("node", &["--version"], PURPOSE) {
        return None;
    }
    let Some(browser) = chromium() else {
        common::missing("Chromium is not installed", PURPOSE);
        return None;
    };
    if !dir
        .join("node_modules/puppeteer-core/package.json")
        .is_file()
    {
        if !common::have_program("npm", &["--version"], PURPOSE) {
            return None;
        }
        let npm = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .output()
            .expect("npm runs");
        assert!(
            npm.status.success(),
            "`npm ci` in {} failed (is the npm registry reachable?)\n{}",
            dir.display(),
            String::from_utf8_lossy(&npm.stderr)
        );
    }
    // `chromium` on the PATH may be a wrapper script; puppeteer wants a path.
    let path = if browser.contains('/') {
        browser
    } else {
        let which = Command::new("sh")
            .args(["-c", &format!("command -v {browser}")])
            .output()
            .expect("sh runs");
        String::from_utf8_lossy(&which.stdout).trim().to_string()
    };
    Some(path)
}

/// Runs a program to its end on a blocking thread, so the sandbox in this process serves it.
async fn run(mut cmd: Command) -> (i32, String, String) {
    tokio::task::spawn_blocking(move || {
        let out = cmd
            .stdin(Stdio::null())
            .output()
            .expect("the program starts");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .expect("waiter")
}

fn tool(sandbox: &sms_invite::sandbox::Sandbox, data: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_clear()
        .envs(common::bot_env(sandbox))
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", data)
        .env("SMS_INVITE_DATA_DIR", data.join("data"))
        .env("SMS_INVITE_CONFIG_DIR", data.join("config"));
    cmd
}

fn customer(browser: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new("node");
    cmd.arg("customer.mjs")
        .args(args)
        .current_dir(browser_dir())
        .env("CHROMIUM", browser);
    cmd
}

fn contact_messages(sandbox: &sms_invite::sandbox::Sandbox, e164: &str) -> usize {
    let conv = sandbox
        .deliveries()
        .iter()
        .find(|d| d["to"] == e164)
        .and_then(|d| d["conversation"].as_str().map(str::to_string))
        .expect("an SMS went to the number");
    sandbox.with_store(|s| {
        s.conversation_messages(&conv)
            .iter()
            .filter(|m| m["role"] == "contact")
            .count()
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn the_customer_comes_back_through_the_landing_page_in_a_real_browser() {
    let Some(browser) = ready() else { return };
    let sandbox = common::start_sandbox(common::quick_config()).await;
    let dir = tempfile::tempdir().expect("dir");
    let base = sandbox.base_url().to_string();
    let clp = format!("{base}/__sandbox/clp/acme");
    let (replies, other) = ("+31611000031", "+31611000032");
    let (code, stdout, stderr) = run(tool(
        &sandbox,
        dir.path(),
        &[
            "send",
            "--org",
            common::HOLDING,
            "--clp-url",
            &clp,
            "--phone",
            replies,
            "--phone",
            other,
            "--yes",
            "--json",
        ],
    ))
    .await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    let summary: Value =
        serde_json::from_str(stdout.lines().last().expect("summary")).expect("json");
    let run_id = summary["runId"].as_str().expect("run id").to_string();

    // The customer taps the link in the SMS and answers on the landing page.
    let mut args = vec![
        "reply",
        base.as_str(),
        replies,
        "Tuesday at ten works for me",
    ];
    let shots = std::env::var("SMS_INVITE_SHOTS").ok();
    if let Some(s) = &shots {
        args.push(s);
    }
    let (code, out, err) = run(customer(&browser, &args)).await;
    assert_eq!(code, 0, "the browser run failed:\n{out}\n{err}");
    let seen: Value = serde_json::from_str(out.trim()).expect("customer.mjs prints JSON");
    assert_eq!(seen["heading"], "Chat with Acme Holding", "{seen}");
    let chat = seen["chat"].as_array().expect("chat");
    assert!(
        chat.iter().any(|m| m["role"] == "contact"
            && m["touchpoint"] == "web"
            && m["text"] == "Tuesday at ten works for me"),
        "the reply shows in the chat: {seen}"
    );

    // A tampered token: the error page, no text box, nothing written.
    let (code, out, err) = run(customer(&browser, &["tampered", &base, other])).await;
    assert_eq!(code, 0, "the browser run failed:\n{out}\n{err}");
    let tampered: Value = serde_json::from_str(out.trim()).expect("JSON");
    assert_eq!(tampered["status"], 403, "{tampered}");
    assert_eq!(tampered["writable"], false, "{tampered}");
    assert!(
        tampered["why"]
            .as_str()
            .is_some_and(|w| w.contains("token")),
        "{tampered}"
    );
    assert_eq!(contact_messages(&sandbox, other), 0);
    assert_eq!(contact_messages(&sandbox, replies), 1);

    // The operator's side: exactly that contact came back, via the link.
    let (code, stdout, stderr) = run(tool(
        &sandbox,
        dir.path(),
        &["watch", &run_id, "--for", "2s", "--json"],
    ))
    .await;
    assert_eq!(code, 1, "one of two came back: {stdout}{stderr}");
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let changes: Vec<&Value> = lines.iter().filter(|l| l["event"] != "summary").collect();
    assert_eq!(changes.len(), 1, "{stdout}");
    assert_eq!(changes[0]["event"], "cameBack");
    assert_eq!(changes[0]["e164"], replies);
    assert_eq!(changes[0]["via"], "link");
    let summary = lines.last().expect("summary");
    assert_eq!(summary["cameBack"], 1, "{stdout}");
    assert_eq!(summary["noAnswer"], 1, "{stdout}");
}
