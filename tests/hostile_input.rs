//! Hostile input end to end: names with terminal control sequences (from the platform and from
//! a CSV), spreadsheet formulas in an export, streams closed under the tool, files with
//! customer data, and a deep organization tree, all through the real `sms-invite` binary
//! against an in-process sandbox.
//!
//! `SMS_INVITE_TEST_BIN` points the tests at another build of the binary (an older release, to
//! see which of these checks it fails); by default they run the one cargo built.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{HOLDING, ROOT};
use serde_json::{Value, json};
use sms_invite::sandbox::{Sandbox, SandboxConfig};
use tempfile::TempDir;

const CLP: &str = "https://clp.example/x";
const SEED: &str = include_str!("../assets/sandbox/seed.json");
/// Writes the operator's clipboard (OSC 52).
const OSC52: &str = "\u{1b}]52;c;aGFja2Vk\u{7}";
/// Renames the terminal window.
const TITLE: &str = "\u{1b}]0;owned\u{7}";
const CLEAR: &str = "\u{1b}[2J";
/// A C1 control: a one-character CSI on terminals that honour 8-bit controls.
const CSI: &str = "\u{9b}31m";
/// Right-to-left override: the rest of the line reads backwards.
const RLO: &str = "\u{202e}";
const CHILD_TIMEOUT: Duration = Duration::from_secs(60);

fn hostile(name: &str) -> String {
    format!("{name}{OSC52}{TITLE}{CLEAR}{CSI}{RLO}x")
}

fn bin() -> PathBuf {
    std::env::var_os("SMS_INVITE_TEST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_sms-invite")))
}

/// The bundled seed with hostile names on Acme Holding, its SMS service and contact Jan.
fn hostile_seed() -> Value {
    let mut seed: Value = serde_json::from_str(SEED).expect("seed");
    for org in seed["organizations"].as_array_mut().expect("orgs") {
        if org["id"] == HOLDING {
            org["displayName"] = json!(hostile("Acme Holding"));
        }
    }
    for svc in seed["services"].as_array_mut().expect("services") {
        if svc["organization"] == HOLDING {
            svc["name"] = json!(hostile("Acme SMS"));
        }
    }
    for c in seed["contacts"].as_array_mut().expect("contacts") {
        if c["profile"]["givenName"] == "Jan" {
            c["profile"]["givenName"] = json!(hostile("Jan"));
        }
    }
    seed
}

/// A sandbox and a folder for one test; the data dir is not created, so the tool creates it.
struct World {
    sandbox: Sandbox,
    dir: TempDir,
    env: Vec<(&'static str, String)>,
}

struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Run {
    fn text(&self) -> String {
        format!(
            "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code,
            String::from_utf8_lossy(&self.stdout),
            String::from_utf8_lossy(&self.stderr)
        )
    }
}

impl World {
    async fn start(seed: Option<Value>) -> World {
        let mut config: SandboxConfig = common::quick_config();
        config.seed_json = seed.map(|s| s.to_string());
        let sandbox = common::start_sandbox(config).await;
        let dir = tempfile::tempdir().expect("temp dir");
        for sub in ["config", "home"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("mkdir");
        }
        let p = |s: &str| dir.path().join(s).display().to_string();
        let mut env = common::bot_env(&sandbox);
        env.extend([
            ("SMS_INVITE_DATA_DIR", p("data/sms-invite")),
            ("SMS_INVITE_CONFIG_DIR", p("config")),
            ("HOME", p("home")),
        ]);
        World { sandbox, dir, env }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> String {
        let p = self.path(name);
        std::fs::write(&p, bytes).expect("write");
        p.display().to_string()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(bin());
        cmd.args(["--client-rate", "1000"])
            .args(args)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        cmd
    }

    /// Runs with stdout and stderr captured.
    async fn run(&self, args: &[&str]) -> Run {
        let mut cmd = self.command(args);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        wait(cmd, |child| {
            let mut out = Vec::new();
            let mut err = Vec::new();
            let (mut o, mut e) = (child.stdout.take(), child.stderr.take());
            let t = std::thread::spawn(move || {
                if let Some(e) = e.as_mut() {
                    let _ = e.read_to_end(&mut err);
                }
                err
            });
            if let Some(o) = o.as_mut() {
                let _ = o.read_to_end(&mut out);
            }
            (out, t.join().unwrap_or_default())
        })
        .await
    }
}

/// Spawns on a blocking thread (the sandbox lives on this runtime), lets `io` talk to the
/// child, and waits for it with a deadline.
async fn wait(
    mut cmd: Command,
    io: impl FnOnce(&mut std::process::Child) -> (Vec<u8>, Vec<u8>) + Send + 'static,
) -> Run {
    tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().expect("the binary starts");
        let (stdout, stderr) = io(&mut child);
        let deadline = Instant::now() + CHILD_TIMEOUT;
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return Run {
                    code: status.code(),
                    stdout,
                    stderr,
                };
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("killed after {CHILD_TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    })
    .await
    .expect("the child's waiter")
}

/// What may reach a terminal: no C0 control but the line feed, no DEL, no C1 control, no
/// bidirectional control.
fn assert_terminal_safe(what: &str, bytes: &[u8], run: &Run) {
    let text = String::from_utf8_lossy(bytes);
    let bad: Vec<(usize, char)> = text
        .char_indices()
        .filter(|&(_, c)| {
            (c.is_control() && c != '\n') || sms_invite::safe_text::is_bidi_control(c)
        })
        .collect();
    assert!(
        bad.is_empty(),
        "{what} carries {bad:?} to the terminal\n{}",
        run.text()
    );
}

fn assert_clean(run: &Run) {
    assert_terminal_safe("stdout", &run.stdout, run);
    assert_terminal_safe("stderr", &run.stderr, run);
}

// ---------------------------------------------------------------------------------------------
// terminal escapes

#[tokio::test(flavor = "multi_thread")]
async fn orgs_shows_hostile_names_escaped_and_json_keeps_them_exact() {
    let w = World::start(Some(hostile_seed())).await;
    let run = w.run(&["orgs"]).await;
    assert_eq!(run.code, Some(0), "{}", run.text());
    assert_clean(&run);
    let out = String::from_utf8_lossy(&run.stdout);
    let row = out
        .lines()
        .find(|l| l.contains(HOLDING))
        .unwrap_or_else(|| panic!("no Acme row\n{}", run.text()));
    assert!(
        row.contains(
            "Acme Holding\\x1b]52;c;aGFja2Vk\\x07\\x1b]0;owned\\x07\\x1b[2J\\u{9b}31m\\u{202e}x"
        ),
        "{row}"
    );
    assert!(
        row.contains("own twilio service (Acme Holding\\x1b]52"),
        "{row}"
    );
    // The ID column stays aligned: every row's id starts where the header's does.
    let id_at = out.find("ID").unwrap_or(0);
    for l in out.lines().filter(|l| l.contains("5f00")) {
        assert_eq!(l.find("5f00"), Some(id_at), "misaligned: {l:?}");
    }

    let json = w.run(&["orgs", "--json"]).await;
    assert_eq!(json.code, Some(0), "{}", json.text());
    let holding: Value = String::from_utf8_lossy(&json.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["id"] == HOLDING)
        .expect("Acme in JSON");
    assert_eq!(holding["name"], json!(hostile("Acme Holding")));
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_of_a_contact_with_a_hostile_name_prints_it_escaped() {
    let w = World::start(Some(hostile_seed())).await;
    let args = [
        "send",
        "--org",
        HOLDING,
        "--phone",
        "0612345678",
        "--dry-run",
        "--clp-url",
        CLP,
    ];
    let run = w.run(&args).await;
    // Such a name is never put into an SMS: the contact fails, with the name shown escaped.
    assert_eq!(run.code, Some(1), "{}", run.text());
    assert_clean(&run);
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(
        out.contains("holds a control character or a text-direction override"),
        "{}",
        run.text()
    );
    assert!(out.contains("(Jan\\x1b]52;c;"), "{}", run.text());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("of Acme Holding\\x1b]52"), "{}", run.text());
    assert!(w.sandbox.deliveries().is_empty());

    let mut json_args = args.to_vec();
    json_args.push("--json");
    let json = w.run(&json_args).await;
    assert_eq!(json.code, Some(1), "{}", json.text());
    let first: Value = String::from_utf8_lossy(&json.stdout)
        .lines()
        .next()
        .and_then(|l| serde_json::from_str(l).ok())
        .expect("a JSON line");
    assert_eq!(first["state"], "failed", "{first}");
    assert_eq!(
        first["name"],
        json!(format!("{} Jansen", hostile("Jan"))),
        "{first}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_with_hostile_names_sends_prints_escaped_and_exports_neutralized() {
    let w = World::start(None).await;
    let names = [
        format!("Anne{OSC52}"),
        format!("Bert{TITLE}"),
        format!("Cees{CLEAR}"),
        format!("Dirk{RLO}"),
        "=HYPERLINK(\"http://evil.example\",\"click\")".to_string(),
    ];
    let mut csv = String::from("telephone,givenName,familyName\n");
    for (i, n) in names.iter().enumerate() {
        csv.push_str(&format!(
            "061234569{i},\"{}\",Smit\n",
            n.replace('"', "\"\"")
        ));
    }
    csv.push_str(&format!("06{CLEAR}123,{OSC52},bad row\n"));
    let file = w.write("contacts.csv", csv.as_bytes());
    let base = [
        "send",
        "--contacts",
        file.as_str(),
        "--org",
        HOLDING,
        "--clp-url",
        CLP,
    ];

    let dry = w.run(&[&base[..], &["--dry-run"]].concat()).await;
    // The four names with control characters are not put into an SMS; the fifth goes.
    assert_eq!(dry.code, Some(1), "{}", dry.text());
    assert_clean(&dry);
    let err = String::from_utf8_lossy(&dry.stderr);
    assert!(err.contains("line 7: skipped"), "{}", dry.text());

    let export = w.path("results.csv");
    let export_arg = export.display().to_string();
    let sent = w
        .run(&[&base[..], &["--yes", "--export", &export_arg]].concat())
        .await;
    assert_eq!(sent.code, Some(1), "{}", sent.text());
    assert_clean(&sent);
    assert_eq!(w.sandbox.deliveries().len(), 2, "{}", sent.text());
    let refused = String::from_utf8_lossy(&sent.stdout)
        .matches("holds a control character")
        .count();
    assert_eq!(refused, 4, "{}", sent.text());

    let json = w.run(&[&base[..], &["--dry-run", "--json"]].concat()).await;
    let names_out: Vec<String> = String::from_utf8_lossy(&json.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["name"].as_str().map(str::to_string))
        .collect();
    for n in &names {
        assert!(
            names_out.iter().any(|o| o == &format!("{n} Smit")),
            "{n:?} not exact in {names_out:?}"
        );
    }

    let mut reader = csv::Reader::from_path(&export).expect("export");
    let col = reader
        .headers()
        .expect("header")
        .iter()
        .position(|h| h == "name")
        .expect("name column");
    let cells: Vec<String> = reader
        .records()
        .map(|r| r.expect("row").get(col).unwrap_or_default().to_string())
        .collect();
    assert!(
        cells.contains(&"'=HYPERLINK(\"http://evil.example\",\"click\") Smit".to_string()),
        "{cells:?}"
    );
    assert!(
        cells
            .iter()
            .all(|c| !sms_invite::invite::export::starts_formula(c))
    );
    assert_private(&export, 0o600);
}

// ---------------------------------------------------------------------------------------------
// CSV export

fn update(
    index: usize,
    e164: &str,
    name: &str,
    reason: Option<&str>,
) -> sms_invite::invite::events::ContactUpdate {
    sms_invite::invite::events::ContactUpdate {
        index,
        e164: e164.into(),
        name: Some(name.into()),
        state: Some(if reason.is_some() {
            sms_invite::invite::events::State::Failed
        } else {
            sms_invite::invite::events::State::Sent
        }),
        reason: reason.map(str::to_string),
        new_contact: Some(index.is_multiple_of(2)),
        contact_id: Some(format!("5f00000000000000000002{index:02}")),
        conversation: Some(format!("5f00000000000000000003{index:02}")),
        invite_id: Some(format!("inv-{index}")),
        ..Default::default()
    }
}

/// The exact bytes of an export with every kind of dangerous cell: compared with a file kept
/// in the repository, so any change to the format is a visible diff.
#[test]
fn export_matches_the_golden_file() {
    let rows = [
        update(0, "+31612345678", "Jan Jansen", None),
        update(
            1,
            "+31612345679",
            "=HYPERLINK(\"http://evil.example\",\"click\")",
            None,
        ),
        update(
            2,
            "+32470123456",
            "+1+cmd|' /C calc'!A0",
            Some("-2+3 failed"),
        ),
        update(3, "+31612345670", "@SUM(1,2)", Some("\tTab first")),
        update(4, "+31612345671", "\r=CR first", Some("said \"no\"")),
        update(5, "+31612345672", "  =spaced", Some("line\nbreak")),
        update(6, "+31612345673", "Anne-Marie", Some("'already quoted")),
    ];
    use sms_invite::invite::follow::{Outcome, Via};
    // What following saw: a platform status message is written as it came, so it is
    // dangerous text too.
    let follow = [
        Some(Outcome::CameBack {
            via: Via::Link,
            after: std::time::Duration::from_secs(240),
        }),
        Some(Outcome::Problem {
            text: "=HYPERLINK(\"http://evil.example\")".into(),
        }),
        Some(Outcome::NoAnswer),
        None,
        None,
        None,
        None,
    ];
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("export.csv");
    let written = sms_invite::invite::export::write_results_csv(
        &path,
        rows.iter().zip(follow.iter()),
        "20260105T090000-ab12",
    )
    .expect("export");
    assert_eq!(written, path);
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/results_export.csv");
    let got = std::fs::read_to_string(&path).expect("read export");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &got).expect("update golden");
    }
    let want = std::fs::read_to_string(&golden).expect("golden file");
    assert_eq!(got, want, "export differs from {}", golden.display());
    assert_private(&path, 0o600);
}

#[test]
fn export_tightens_an_existing_world_readable_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("old.csv");
    std::fs::write(
        &path,
        "old content that is longer than the new one\n".repeat(100),
    )
    .expect("write");
    set_mode(&path, 0o644);
    sms_invite::invite::export::write_results_csv(&path, std::iter::empty(), "r").expect("export");
    assert_private(&path, 0o600);
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(!text.contains("old content"), "{text}");
}

// ---------------------------------------------------------------------------------------------
// private files

#[tokio::test(flavor = "multi_thread")]
async fn the_data_dir_and_the_log_are_private() {
    let w = World::start(None).await;
    let run = w.run(&["orgs"]).await;
    assert_eq!(run.code, Some(0), "{}", run.text());
    let data = w.path("data/sms-invite");
    assert_private(&data, 0o700);
    assert_private(&w.path("data"), 0o700);
    assert_private(&data.join("sms-invite.log"), 0o600);

    // A log an older version left readable by all is tightened.
    set_mode(&data.join("sms-invite.log"), 0o644);
    let run = w.run(&["orgs"]).await;
    assert_eq!(run.code, Some(0), "{}", run.text());
    assert_private(&data.join("sms-invite.log"), 0o600);
}

#[cfg(unix)]
fn assert_private(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let got = std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(got, mode, "{} has mode {got:o}", path.display());
}

#[cfg(not(unix))]
fn assert_private(_: &Path, _: u32) {}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) {}

// ---------------------------------------------------------------------------------------------
// closed streams

/// A pipe whose reading end is already closed: every write to it fails (EPIPE), as after
/// `| head -c 0`, or like a terminal that went away.
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    Stdio::from(writer)
}

fn assert_no_panic(run: &Run) {
    assert_ne!(run.code, Some(101), "panicked\n{}", run.text());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(!err.contains("panicked"), "{}", run.text());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_stderr_does_not_crash_a_dry_run_or_an_error() {
    let w = World::start(None).await;
    let mut cmd = w.command(&[
        "send",
        "--org",
        HOLDING,
        "--phone",
        "0612345678",
        "--phone",
        "0612345670",
        "--dry-run",
        "--clp-url",
        CLP,
    ]);
    cmd.stdout(Stdio::piped()).stderr(closed_pipe());
    let run = wait(cmd, |child| {
        let mut out = Vec::new();
        if let Some(o) = child.stdout.as_mut() {
            let _ = o.read_to_end(&mut out);
        }
        (out, Vec::new())
    })
    .await;
    assert_eq!(run.code, Some(0), "{}", run.text());
    assert!(
        String::from_utf8_lossy(&run.stdout).contains("would send"),
        "{}",
        run.text()
    );

    let mut cmd = w.command(&["orgs"]);
    cmd.env("SMS_INVITE_TOKEN", "not-a-token")
        .stdout(Stdio::null())
        .stderr(closed_pipe());
    let run = wait(cmd, |_| (Vec::new(), Vec::new())).await;
    assert_eq!(run.code, Some(3), "{}", run.text());
}

#[tokio::test(flavor = "multi_thread")]
async fn output_and_errors_into_one_closed_pipe_do_not_crash_a_send() {
    let w = World::start(None).await;
    let (reader, writer) = std::io::pipe().expect("pipe");
    let writer2 = writer.try_clone().expect("clone");
    drop(reader);
    let mut cmd = w.command(&[
        "send",
        "--org",
        HOLDING,
        "--phone",
        "0612345691",
        "--phone",
        "0612345692",
        "--yes",
        "--clp-url",
        CLP,
    ]);
    cmd.stdout(Stdio::from(writer)).stderr(Stdio::from(writer2));
    let run = wait(cmd, |_| (Vec::new(), Vec::new())).await;
    assert_eq!(run.code, Some(0), "{}", run.text());
    // The run went on to the end: both invitations went out (two SMS each).
    assert_eq!(w.sandbox.deliveries().len(), 4);
}

/// A sandbox with `n` organizations under the bot's root, in a tree of fan-out 8.
fn many_orgs_seed(n: usize) -> Value {
    let mut seed: Value = serde_json::from_str(SEED).expect("seed");
    let root = ROOT.to_string();
    let mut paths = vec![root.clone()];
    let mut orgs =
        vec![json!({"id": root, "name": "root", "displayName": "Root", "orgPath": root})];
    for i in 1..n {
        let id = format!("5f{:022x}", 0x1000 + i);
        let path = format!("{}#{id}", paths[(i - 1) / 8]);
        orgs.push(json!({"id": id, "name": format!("org-{i}"), "displayName": format!("Org {i}"), "orgPath": path}));
        paths.push(path);
    }
    seed["organizations"] = json!(orgs);
    seed
}

#[tokio::test(flavor = "multi_thread")]
async fn orgs_into_a_reader_that_leaves_after_100_bytes_stops_quietly() {
    let w = World::start(Some(many_orgs_seed(3000))).await;
    let (mut reader, writer) = std::io::pipe().expect("pipe");
    let mut cmd = w.command(&["orgs"]);
    cmd.stdout(Stdio::from(writer)).stderr(Stdio::piped());
    let run = wait(cmd, move |child| {
        let mut first = [0u8; 100];
        let _ = reader.read_exact(&mut first);
        drop(reader);
        let mut err = Vec::new();
        if let Some(e) = child.stderr.as_mut() {
            let _ = e.read_to_end(&mut err);
        }
        (first.to_vec(), err)
    })
    .await;
    assert_no_panic(&run);
    assert_eq!(run.code, Some(0), "{}", run.text());
    assert!(String::from_utf8_lossy(&run.stdout).starts_with("ORGANIZATION"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_send_whose_stdout_is_gone_finishes_its_run() {
    let w = World::start(None).await;
    let mut cmd = w.command(&[
        "send",
        "--org",
        HOLDING,
        "--phone",
        "0612345691",
        "--phone",
        "0612345692",
        "--yes",
        "--clp-url",
        CLP,
    ]);
    cmd.stdout(closed_pipe()).stderr(Stdio::piped());
    let run = wait(cmd, |child| {
        let mut err = Vec::new();
        if let Some(e) = child.stderr.as_mut() {
            let _ = e.read_to_end(&mut err);
        }
        (Vec::new(), err)
    })
    .await;
    assert_no_panic(&run);
    assert_eq!(run.code, Some(0), "{}", run.text());
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("Done: 2 contact(s): 2 sent"),
        "{}",
        run.text()
    );
    assert_eq!(w.sandbox.deliveries().len(), 4);
}

// ---------------------------------------------------------------------------------------------
// orgs: a deep tree

#[tokio::test(flavor = "multi_thread")]
async fn orgs_indents_a_deep_tree_by_depth() {
    const DEPTH: usize = 40;
    let mut seed: Value = serde_json::from_str(SEED).expect("seed");
    let mut orgs = Vec::new();
    let mut path = String::new();
    for d in 0..DEPTH {
        let id = format!("5f{:022x}", 0x2000 + d);
        path = if path.is_empty() {
            id.clone()
        } else {
            format!("{path}#{id}")
        };
        orgs.push(json!({"id": id, "displayName": format!("Level {d}"), "orgPath": path}));
    }
    // The bot sees only what is under its own organization: make the chain start there.
    let root = ROOT;
    for o in &mut orgs {
        let p = o["orgPath"].as_str().unwrap_or_default().to_string();
        o["orgPath"] = json!(format!("{root}#{p}"));
    }
    orgs.insert(
        0,
        json!({"id": root, "displayName": "Root", "orgPath": root}),
    );
    seed["organizations"] = json!(orgs);
    let w = World::start(Some(seed)).await;
    let run = w.run(&["orgs"]).await;
    assert_eq!(run.code, Some(0), "{}", run.text());
    let out = String::from_utf8_lossy(&run.stdout);
    let rows: Vec<&str> = out.lines().filter(|l| l.contains("5f")).collect();
    assert_eq!(rows.len(), DEPTH + 1, "{out}");
    assert!(rows[0].starts_with("Root "), "{}", rows[0]);
    let id_at = rows[0].find("5f").unwrap_or(0);
    for (d, row) in rows[1..].iter().enumerate() {
        let indent = " ".repeat(2 * (d + 1));
        assert!(
            row.starts_with(&format!("{indent}Level {d} ")),
            "level {d}: {row:?}"
        );
        assert_eq!(row.find("5f"), Some(id_at), "misaligned: {row:?}");
    }
    assert!(
        out.contains(&format!("0 of {} organizations can send SMS", DEPTH + 1)),
        "{out}"
    );
}

// ---------------------------------------------------------------------------------------------
// CSV import through `send`

async fn dry_run_csv(w: &World, file: String) -> Run {
    w.run(&[
        "send",
        "--contacts",
        &file,
        "--org",
        HOLDING,
        "--clp-url",
        CLP,
        "--dry-run",
    ])
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_refusals_are_clear_and_printable() {
    let mut w = World::start(None).await;
    let quote = w.write(
        "quote.csv",
        b"telephone,givenName\n0612345691,Anne\n0612345692,\"Bert\n0612345693,Cees\n",
    );
    let run = dry_run_csv(&w, quote).await;
    assert_eq!(run.code, Some(2), "{}", run.text());
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("opens a cell on line 3 is never closed"),
        "{}",
        run.text()
    );

    let text = "telephone;givenName\n0612345691;Jörg\n";
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let run = dry_run_csv(&w, w.write("utf16.csv", &utf16)).await;
    assert_eq!(run.code, Some(0), "{}", run.text());
    assert!(
        String::from_utf8_lossy(&run.stdout).contains("Jörg"),
        "{}",
        run.text()
    );
    let run = dry_run_csv(&w, w.write("utf16-no-bom.csv", &utf16[2..])).await;
    assert_eq!(run.code, Some(2), "{}", run.text());
    assert_clean(&run);
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("UTF-16"),
        "{}",
        run.text()
    );

    let dup = w.write(
        "dup.csv",
        b"phone,givenName,telephone\n0612345691,Anne,0612345691\n0612345692,Bert,0612345699\n",
    );
    let run = dry_run_csv(&w, dup).await;
    assert_eq!(run.code, Some(2), "{}", run.text());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("\"phone\" (column 1) and \"telephone\" (column 3)") && err.contains("line 3"),
        "{}",
        run.text()
    );

    let long = format!(
        "telephone,givenName\n0612345691,{}\n0612345692,Bert\n",
        "A".repeat(300)
    );
    let run = dry_run_csv(&w, w.write("long.csv", long.as_bytes())).await;
    assert_eq!(run.code, Some(0), "{}", run.text());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("line 2: skipped: the given name is 300 characters long"),
        "{}",
        run.text()
    );
    assert!(
        String::from_utf8_lossy(&run.stdout).contains("+31612345692"),
        "{}",
        run.text()
    );

    let rows: String = (0..6).map(|i| format!("06123456{i:02}\n")).collect();
    let many = w.write("many.csv", format!("telephone\n{rows}").as_bytes());
    w.env.push(("SMS_INVITE_MAX_ROWS", "5".into()));
    let run = dry_run_csv(&w, many.clone()).await;
    assert_eq!(run.code, Some(2), "{}", run.text());
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("the file has more than 5 rows"),
        "{}",
        run.text()
    );
    w.env.pop();
    w.env.push(("SMS_INVITE_MAX_ROWS", "lots".into()));
    let run = dry_run_csv(&w, many).await;
    assert_eq!(run.code, Some(2), "{}", run.text());
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("is not a number of rows"),
        "{}",
        run.text()
    );
}

// ---------------------------------------------------------------------------------------------
// measurements (not run by default)

/// `orgs` over 20,000 organizations, text and JSON; run with
/// `cargo test --release --test hostile_input -- --ignored --nocapture measure_orgs`.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "timing measurement"]
async fn measure_orgs_20k() {
    let w = World::start(Some(many_orgs_seed(20_000))).await;
    for args in [&["orgs", "--json"][..], &["orgs"][..]] {
        let started = Instant::now();
        let run = w.run(args).await;
        assert_eq!(run.code, Some(0), "{}", run.text());
        println!(
            "{}: {:.2} s, {} lines",
            args.join(" "),
            started.elapsed().as_secs_f64(),
            run.stdout.iter().filter(|&&b| b == b'\n').count()
        );
    }
}

/// Peak memory of refusing a million-row CSV through the streaming import; run with
/// `cargo test --release --test hostile_input -- --ignored --nocapture measure_million`.
#[test]
#[ignore = "memory measurement"]
fn measure_million_row_refusal() {
    use sms_invite::invite::import::{ImportError, ImportOptions, read_csv};
    /// Generates the rows as they are read, so the file never exists in memory.
    struct Rows(usize, Vec<u8>);
    impl Read for Rows {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            while self.1.len() < buf.len() && self.0 < 1_000_000 {
                let i = self.0;
                self.1.extend(
                    format!("06-{:08},Jan{i},Jansen,jan{i}@example.nl\n", 10_000_000 + i).bytes(),
                );
                self.0 += 1;
            }
            let n = buf.len().min(self.1.len());
            buf[..n].copy_from_slice(&self.1[..n]);
            self.1.drain(..n);
            Ok(n)
        }
    }
    let peak = || {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .map(str::to_string)
            })
            .unwrap_or_default()
    };
    println!("before: {}", peak());
    let input = Rows(0, b"telephone,givenName,familyName,email\n".to_vec());
    let r = read_csv(input, &ImportOptions::new(Some("NL")));
    assert!(matches!(r, Err(ImportError::TooManyRows { max: 10_000 })));
    println!("after refusing: {}", peak());
}
