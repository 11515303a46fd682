//! The command-line contract of the README, checked by running the real `sms-invite`
//! binary against an in-process sandbox over loopback.
//!
//! Every test owns its sandbox and a temporary folder that holds the data dir, the config dir,
//! `HOME` and the child's captured output, so tests never share state and never touch the
//! developer's own files. The child gets a cleared environment for the same reason: a token or
//! an `XDG_*` variable in the developer's shell must not leak into a test. Every test ends with
//! [`Cli::finish`], which scans everything the tool printed or wrote for the tokens it was given,
//! so the "token never appears anywhere" rule is checked on every path the tests take.

mod common;

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{
    AMSTERDAM, BOT_USER_ID, BRUSSELS, DISABLED, EVA_CONV, EVA_ID, HOLDING, HOLDING_NAME, JAN,
    MARK_ID, NO_SMS, PIET_ID, ROOT, SHARED, UTRECHT, bot_env, quick_config, start_sandbox,
};
use serde_json::Value;
use sms_invite::sandbox::Sandbox;
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_sms-invite");
const CLP: &str = "https://clp.example/x";
/// A hung child (say, one waiting on a stdin it should not read) must fail the test, not the
/// whole suite.
const CHILD_TIMEOUT: Duration = Duration::from_secs(30);

/// Kept whole so that any failed assertion can show the full run, not just the code.
struct Out {
    args: Vec<String>,
    code: i32,
    stdout: String,
    stderr: String,
}

impl fmt::Display for Out {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`sms-invite {}` exited {}\n--- stdout ---\n{}--- stderr ---\n{}",
            self.args.join(" "),
            self.code,
            self.stdout,
            self.stderr
        )
    }
}

impl Out {
    /// An exit code alone rarely explains a failure, so a mismatch prints the whole run.
    fn code(&self, expected: i32) -> &Self {
        assert_eq!(self.code, expected, "unexpected exit code\n{self}");
        self
    }

    fn stdout_has(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}\n{self}"
        );
        self
    }

    fn stderr_has(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}\n{self}"
        );
        self
    }

    /// Every stdout line as JSON; `--json` promises nothing else on stdout.
    fn json(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {l:?}\n{self}"));
                assert!(v.is_object(), "stdout line is not an object: {l:?}\n{self}");
                v
            })
            .collect()
    }

    /// `--json` promises the summary last and only last; scripts rely on that.
    fn send_json(&self) -> (Vec<Value>, Value) {
        let mut lines = self.json();
        let summary = lines
            .pop()
            .unwrap_or_else(|| panic!("no JSON on stdout\n{self}"));
        assert_eq!(summary["summary"], true, "last line is no summary\n{self}");
        assert!(
            lines.iter().all(|l| l.get("summary").is_none()),
            "a summary before the last line\n{self}"
        );
        (lines, summary)
    }
}

/// Everything a test touches, owned by that test, so tests stay independent.
struct Cli {
    sandbox: Sandbox,
    dir: TempDir,
    env: BTreeMap<&'static str, String>,
    /// Strings that must never show up in output or files.
    secrets: Vec<String>,
    /// Everything every child printed, for the final secret scan.
    printed: Mutex<Vec<String>>,
    runs: AtomicUsize,
}

impl Cli {
    async fn start() -> Cli {
        let sandbox = start_sandbox(quick_config()).await;
        let dir = tempfile::tempdir().expect("temp dir");
        for sub in ["data", "config", "home", "io"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("mkdir");
        }
        let mut cli = Cli {
            env: BTreeMap::new(),
            secrets: Vec::new(),
            printed: Mutex::new(Vec::new()),
            runs: AtomicUsize::new(0),
            sandbox,
            dir,
        };
        let data = cli.data_dir().display().to_string();
        let config = cli.dir.path().join("config").display().to_string();
        let home = cli.dir.path().join("home").display().to_string();
        for (key, value) in bot_env(&cli.sandbox) {
            cli.set(key, value);
        }
        cli.set("SMS_INVITE_DATA_DIR", data);
        cli.set("SMS_INVITE_CONFIG_DIR", config);
        cli.set("HOME", home);
        // Debug level logs more, so a leak into the log file has more chances to show.
        cli.set("SMS_INVITE_LOG", "debug".to_string());
        cli
    }

    /// Sets a child variable; token values become secrets to scan for.
    fn set(&mut self, key: &'static str, value: String) {
        if key.contains("TOKEN") && value.len() >= 8 {
            self.secrets.push(value.clone());
        }
        self.env.insert(key, value);
    }

    fn unset(&mut self, key: &'static str) {
        self.env.remove(key);
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    fn runs_dir(&self) -> PathBuf {
        self.data_dir().join("runs")
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).expect("write test file");
        p
    }

    async fn run(&self, args: &[&str]) -> Out {
        self.exec(args, None).await
    }

    async fn run_stdin(&self, args: &[&str], input: &str) -> Out {
        self.exec(args, Some(input.to_string())).await
    }

    /// Runs the binary on a blocking thread so the in-process sandbox keeps serving; output
    /// goes to files, which cannot fill up and block the child the way pipes can.
    async fn exec(&self, args: &[&str], input: Option<String>) -> Out {
        let n = self.runs.fetch_add(1, Ordering::Relaxed);
        let io = self.dir.path().join("io");
        let (out_path, err_path) = (io.join(format!("{n}.out")), io.join(format!("{n}.err")));
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env_clear()
            .envs(&self.env)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .current_dir(self.dir.path())
            .stdout(std::fs::File::create(&out_path).expect("stdout file"))
            .stderr(std::fs::File::create(&err_path).expect("stderr file"))
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            });
        let code = tokio::task::spawn_blocking(move || {
            let mut child = cmd.spawn().expect("the binary starts");
            if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
                stdin.write_all(text.as_bytes()).expect("write stdin");
            }
            let deadline = Instant::now() + CHILD_TIMEOUT;
            loop {
                if let Some(status) = child.try_wait().expect("wait") {
                    return status.code().unwrap_or(-1);
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    return -1;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        })
        .await
        .expect("the child's waiter");
        let out = Out {
            args: args.iter().map(ToString::to_string).collect(),
            code,
            stdout: std::fs::read_to_string(&out_path).unwrap_or_default(),
            stderr: std::fs::read_to_string(&err_path).unwrap_or_default(),
        };
        assert_ne!(out.code, -1, "killed after {CHILD_TIMEOUT:?}\n{out}");
        if let Ok(mut p) = self.printed.lock() {
            p.push(out.stdout.clone());
            p.push(out.stderr.clone());
        }
        out
    }

    /// The delivery log, not what the tool reports, proves an SMS went out.
    fn sms_to(&self, e164: &str) -> Vec<Value> {
        self.sandbox
            .deliveries()
            .into_iter()
            .filter(|d| d["to"] == e164)
            .collect()
    }

    /// "Nothing sent" means no request that changes the platform; a token renewal changes
    /// nothing there, so it does not count.
    fn writes(&self) -> usize {
        self.sandbox
            .requests()
            .iter()
            .filter(|r| r["method"] != "GET" && r["route"] != "auth/token")
            .count()
    }

    fn journals(&self) -> Vec<PathBuf> {
        match std::fs::read_dir(self.runs_dir()) {
            Ok(d) => d.flatten().map(|e| e.path()).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Asserts that no token appears in anything printed or written (the data and config
    /// dirs, including the log and every journal, plus `extra` files such as an export), and
    /// that nothing was written to the default platform folders under `HOME`.
    fn finish(&self, extra: &[&Path]) {
        let mut texts: Vec<(String, String)> = self
            .printed
            .lock()
            .map(|p| p.clone())
            .unwrap_or_default()
            .into_iter()
            .map(|t| ("output".to_string(), t))
            .collect();
        let mut files: Vec<PathBuf> = extra.iter().map(|p| p.to_path_buf()).collect();
        files.extend(walk(&self.data_dir()));
        files.extend(walk(&self.config_dir()));
        for f in files {
            let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap_or_default()).into();
            texts.push((f.display().to_string(), text));
        }
        let mut needles: Vec<String> = Vec::new();
        for s in &self.secrets {
            needles.push(s.clone());
            // A leak of one part (the signature alone, say) is a leak too.
            needles.extend(s.split('.').filter(|p| p.len() >= 16).map(str::to_string));
        }
        for (place, text) in &texts {
            for n in &needles {
                assert!(
                    !text.contains(n.as_str()),
                    "a token (or part of one) appears in {place}:\n{text}"
                );
            }
            // Any JWT starts `eyJ` (base64 of `{"`): this also catches tokens the tool was
            // never given, such as the ones a refresh returns.
            assert!(!text.contains("eyJ"), "a JWT appears in {place}:\n{text}");
        }
        let home = walk(&self.dir.path().join("home"));
        assert!(
            home.is_empty(),
            "files written outside the configured folders: {home:?}"
        );
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn send_args<'a>(phone: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "send",
        "--phone",
        phone,
        "--org",
        HOLDING_NAME,
        "--clp-url",
        CLP,
    ];
    a.extend_from_slice(extra);
    a
}

// ---------------------------------------------------------------------------------------------
// help and usage

#[tokio::test(flavor = "multi_thread")]
async fn help_names_the_exit_codes_and_version_prints() {
    let cli = Cli::start().await;
    cli.run(&["--help"])
        .await
        .code(0)
        .stdout_has("Exit codes:")
        .stdout_has("0 success")
        .stdout_has("1 failures or not ready")
        .stdout_has("2 bad usage or input")
        .stdout_has("3 authentication failed")
        .stdout_has("4 the run is being sent by another process");
    let v = cli.run(&["--version"]).await;
    v.code(0);
    assert_eq!(
        v.stdout.trim(),
        format!("sms-invite {}", env!("CARGO_PKG_VERSION")),
        "{v}"
    );
    // No command means the TUI, which must refuse a missing terminal instead of hanging.
    let tui = cli.run(&[]).await;
    tui.code(2);
    assert!(!tui.stderr.trim().is_empty(), "{tui}");
    cli.run(&["send", "--bogus"]).await.code(2);
    cli.run(&["send", "--phone", "0612345678"]).await.code(2);
    cli.run(&["send", "--org", HOLDING_NAME, "--concurrency", "0"])
        .await
        .code(2);
    cli.finish(&[]);
}

/// A number typed without its country code belongs to the organization's country: a
/// Belgian organization's customers type Belgian numbers, whatever the template says.
#[tokio::test(flavor = "multi_thread")]
async fn national_numbers_take_the_organizations_country() {
    let cli = Cli::start().await;
    let out = cli
        .run(&[
            "send",
            "--org",
            "Brussels Motors",
            "--phone",
            "0470 12 34 56",
            "--clp-url",
            CLP,
            "--dry-run",
            "--json",
        ])
        .await;
    out.code(0);
    let (results, _) = out.send_json();
    assert_eq!(results[0]["e164"], "+32470123456", "{out}");
    cli.run(&[
        "check",
        "Brussels Motors",
        "--phone",
        "0470 12 34 56",
        "--clp-url",
        CLP,
        "--sender-id",
        "Acme",
    ])
    .await
    .stdout_has("\"Acme\" for BE");
    cli.finish(&[]);
}

/// The API flags belong to the commands that talk to the API, before or after the command's
/// name; the sandbox serves the API and neither takes nor lists them.
#[tokio::test(flavor = "multi_thread")]
async fn api_flags_go_with_the_commands_that_use_them() {
    let mut cli = Cli::start().await;
    let sandbox_help = cli.run(&["sandbox", "--help"]).await;
    sandbox_help.code(0).stdout_has("--fault");
    for flag in [
        "--api-url",
        "--client-rate",
        "--token-file",
        "--request-deadline",
    ] {
        assert!(
            !sandbox_help.stdout.contains(flag),
            "sandbox --help lists {flag}\n{sandbox_help}"
        );
    }
    cli.run(&["sandbox", "--client-rate", "5"]).await.code(2);
    // Given before or after the command: both reach the client (a wrong URL proves it).
    let url = cli.env["SMS_INVITE_API_URL"].clone();
    cli.unset("SMS_INVITE_API_URL");
    cli.run(&["orgs", "--api-url", &url]).await.code(0);
    cli.run(&["--api-url", &url, "orgs"]).await.code(0);
    cli.run(&["--api-url", "http://example.com", "orgs"])
        .await
        .code(2)
        .stderr_has("refusing plain http");
    // After the command wins over before it.
    cli.run(&["--api-url", "http://example.com", "orgs", "--api-url", &url])
        .await
        .code(0);
    cli.finish(&[]);
}

// ---------------------------------------------------------------------------------------------
// orgs

#[tokio::test(flavor = "multi_thread")]
async fn orgs_table_marks_each_visible_organization() {
    let cli = Cli::start().await;
    let out = cli.run(&["orgs"]).await;
    out.code(0)
        .stdout_has("ORGANIZATION")
        .stdout_has("4 of 7 organizations can send SMS");
    let expected = [
        ("Web1on1 Sandbox", ROOT, "NOT READY"),
        ("Acme Holding", HOLDING, "ready"),
        ("Acme Amsterdam", AMSTERDAM, "ready"),
        ("Acme Utrecht", UTRECHT, "ready"),
        ("Brussels Motors", BRUSSELS, "ready"),
        ("No-SMS Garage", NO_SMS, "NOT READY"),
        ("Disabled SMS BV", DISABLED, "NOT READY"),
    ];
    let rows: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains("5f0000"))
        .collect();
    assert_eq!(rows.len(), 7, "{out}");
    for (name, id, mark) in expected {
        let row = rows
            .iter()
            .find(|l| l.contains(id))
            .unwrap_or_else(|| panic!("no row for {name}\n{out}"));
        assert!(row.contains(name), "{row}");
        let after_id = row[row.find(id).unwrap_or(0) + id.len()..].trim_start();
        assert!(after_id.starts_with(mark), "{name}: {row}");
        if mark == "ready" {
            assert!(!after_id.starts_with("NOT"), "{row}");
        }
    }
    // The other tenant's organization is not visible to this token.
    assert!(!out.stdout.contains("Other Tenant"), "{out}");
    cli.finish(&[]);
}

#[tokio::test(flavor = "multi_thread")]
async fn orgs_json_is_one_object_per_organization() {
    let cli = Cli::start().await;
    let out = cli.run(&["orgs", "--json"]).await;
    out.code(0);
    let lines = out.json();
    assert_eq!(lines.len(), 7, "{out}");
    for l in &lines {
        assert!(l["id"].is_string() && l["name"].is_string(), "{l}");
        assert!(
            ["ready", "not_ready", "unknown"].contains(&l["sms"].as_str().unwrap_or("")),
            "{l}"
        );
    }
    let by_name = |n: &str| {
        lines
            .iter()
            .find(|l| l["name"] == n)
            .unwrap_or_else(|| panic!("no {n}\n{out}"))
    };
    let amsterdam = by_name("Acme Amsterdam");
    assert_eq!(amsterdam["sms"], "ready", "{amsterdam}");
    assert_eq!(amsterdam["inherited"], true, "{amsterdam}");
    assert_eq!(by_name("Acme Holding")["inherited"], false);
    assert_eq!(by_name("No-SMS Garage")["sms"], "not_ready");
    assert_eq!(by_name("Disabled SMS BV")["sms"], "not_ready");
    cli.finish(&[]);
}

// ---------------------------------------------------------------------------------------------
// check

#[tokio::test(flavor = "multi_thread")]
async fn check_ready_organization_exits_0_with_every_line_ready() {
    let cli = Cli::start().await;
    let t = cli.write("t.toml", &format!("clp_url = \"{CLP}\"\n"));
    let t = t.to_str().unwrap_or_default();
    let out = cli.run(&["check", HOLDING_NAME, "--template", t]).await;
    out.code(0).stdout_has("Ready to send SMS invitations.");
    let checks: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with('[')).collect();
    assert!(checks.len() >= 5, "{out}");
    assert!(checks.iter().all(|l| l.starts_with("[ ready ]")), "{out}");
    for name in ["token", "organization", "sms service", "template"] {
        assert!(checks.iter().any(|l| l.contains(name)), "no {name}\n{out}");
    }

    let out = cli
        .run(&["check", HOLDING_NAME, "--template", t, "--json"])
        .await;
    out.code(0);
    let lines = out.json();
    let (summary, items) = lines.split_last().expect("lines");
    assert_eq!(summary["summary"], true, "{out}");
    assert_eq!(summary["ready"], true, "{out}");
    assert!(items.iter().all(|i| i["verdict"] == "ready"), "{out}");
    cli.finish(&[]);
}

#[tokio::test(flavor = "multi_thread")]
async fn check_organization_without_sms_exits_1_with_a_fix() {
    let cli = Cli::start().await;
    let t = cli.write("t.toml", &format!("clp_url = \"{CLP}\"\n"));
    let t = t.to_str().unwrap_or_default();
    let out = cli.run(&["check", "No-SMS Garage", "--template", t]).await;
    out.code(1).stdout_has("Not ready");
    let lines: Vec<&str> = out.stdout.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.contains("sms service"))
        .unwrap_or_else(|| panic!("no sms line\n{out}"));
    assert!(lines[i].starts_with("[NOT READY]"), "{out}");
    assert!(lines[i + 1].trim_start().starts_with("->"), "no fix\n{out}");
    // Only the SMS line is red: the template is fine here.
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("[NOT READY]"))
            .count(),
        1,
        "{out}"
    );

    let out = cli
        .run(&["check", "No-SMS Garage", "--template", t, "--json"])
        .await;
    out.code(1);
    let lines = out.json();
    let sms = lines
        .iter()
        .find(|l| l["check"] == "sms service")
        .expect("sms check");
    assert_eq!(sms["verdict"], "not_ready", "{out}");
    assert!(sms["fix"].as_str().is_some_and(|f| !f.is_empty()), "{out}");
    let last = lines.last().expect("summary");
    assert_eq!(
        (&last["summary"], &last["ready"]),
        (&true.into(), &false.into())
    );
    cli.finish(&[]);
}

#[tokio::test(flavor = "multi_thread")]
async fn check_unknown_organization_is_bad_input() {
    let cli = Cli::start().await;
    let out = cli.run(&["check", "Nope Org"]).await;
    out.code(2);
    let org = out
        .stdout
        .lines()
        .find(|l| l.contains("organization"))
        .unwrap_or_else(|| panic!("no organization line\n{out}"));
    assert!(org.starts_with("[NOT READY]"), "{out}");
    assert!(org.contains("Nope Org"), "{out}");

    let out = cli.run(&["check", "Nope Org", "--json"]).await;
    out.code(2);
    let lines = out.json();
    let org = lines
        .iter()
        .find(|l| l["check"] == "organization")
        .expect("organization check");
    assert_eq!(org["verdict"], "not_ready", "{out}");
    let last = lines.last().expect("summary");
    assert_eq!(last["summary"], true, "{out}");
    assert_eq!(last["ready"], false, "{out}");
    // A bad --phone is bad input, not "not ready".
    cli.run(&["check", HOLDING_NAME, "--phone", "abc"])
        .await
        .code(2);
    cli.finish(&[]);
}

// ---------------------------------------------------------------------------------------------
// send

#[tokio::test(flavor = "multi_thread")]
async fn send_one_then_cooldown_skips_and_resume_has_nothing_to_do() {
    let cli = Cli::start().await;
    let out = cli
        .run(&send_args("0612345678", &["--yes", "--json"]))
        .await;
    out.code(0);
    let (results, summary) = out.send_json();
    assert_eq!(results.len(), 1, "{out}");
    assert_eq!(results[0]["state"], "sent", "{out}");
    assert_eq!(results[0]["e164"], JAN, "{out}");
    assert_eq!(summary["sent"], 1, "{out}");
    let sms = cli.sms_to(JAN);
    assert_eq!(sms.len(), 2, "{sms:?}");
    assert!(sms.iter().all(|d| d["status"] == "delivered"), "{sms:?}");
    assert!(
        sms[1]["text"].as_str().unwrap_or("").contains(CLP),
        "{sms:?}"
    );
    let run = summary["runId"].as_str().expect("runId").to_string();
    assert!(cli.runs_dir().join(format!("{run}.jsonl")).is_file());

    // The same invitation again within the cooldown is skipped, which is not a failure.
    let writes = cli.writes();
    let again = cli
        .run(&send_args("0612345678", &["--yes", "--json"]))
        .await;
    again.code(0);
    let (results, summary) = again.send_json();
    assert_eq!(results[0]["state"], "skipped", "{again}");
    assert!(
        results[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("cooldown") && r.contains(&run)),
        "{again}"
    );
    assert_eq!(summary["skipped"], 1, "{again}");
    assert_eq!(cli.writes(), writes, "a skipped contact was written to");
    assert_eq!(cli.sms_to(JAN).len(), 2);

    cli.run(&["send", "--resume", &run, "--yes"])
        .await
        .code(0)
        .stderr_has("nothing to do");
    assert_eq!(cli.sms_to(JAN).len(), 2);
    cli.finish(&[]);
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_previews_and_writes_nothing() {
    let cli = Cli::start().await;
    let out = cli.run(&send_args("0612345678", &["--dry-run"])).await;
    out.code(0)
        .stdout_has("would send")
        .stdout_has("welcome SMS:")
        .stdout_has(CLP);
    let out = cli
        .run(&send_args("0612345678", &["--dry-run", "--json"]))
        .await;
    out.code(0);
    let (results, summary) = out.send_json();
    assert_eq!(results[0]["state"], "would_send", "{out}");
    assert_eq!(summary["wouldSend"], 1, "{out}");
    let posts: Vec<Value> = cli
        .sandbox
        .requests()
        .into_iter()
        .filter(|r| r["method"] == "POST")
        .collect();
    assert!(posts.is_empty(), "a dry run posted: {posts:?}");
    assert!(!cli.runs_dir().exists(), "a dry run wrote a journal");
    assert!(cli.sandbox.deliveries().is_empty());
    cli.finish(&[]);
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_number_is_bad_input_and_nothing_is_sent() {
    let cli = Cli::start().await;
    cli.run(&send_args("abc", &["--yes"]))
        .await
        .code(2)
        .stderr_has("\"abc\"")
        .stderr_has("nothing sent");
    // One bad number stops the whole command, valid ones included.
    cli.run(&[
        "send",
        "--phone",
        "0612345678",
        "--phone",
        "abc",
        "--org",
        HOLDING_NAME,
        "--clp-url",
        CLP,
        "--yes",
    ])
    .await
    .code(2);
    assert_eq!(cli.writes(), 0);
    assert!(cli.sandbox.deliveries().is_empty());
    assert!(!cli.runs_dir().exists());
    cli.finish(&[]);
}

#[tokio::test(flavor = "multi_thread")]
async fn shared_number_fails_with_the_reason_until_a_contact_is_named() {
    let cli = Cli::start().await;
    cli.run(&send_args("0612345680", &["--yes"]))
        .await
        .code(1)
        .stdout_has("2 contacts share this number")
        .stdout_has(MARK_ID)
        .stdout_has(EVA_ID);
    assert_eq!(cli.writes(), 0);
    assert!(cli.sms_to(SHARED).is_empty());

    cli.run(&send_args("0612345680", &["--yes", "--contact-id", EVA_ID]))
        .await
        .code(0)
        .stdout_has("Eva Visser");
    let sms = cli.sms_to(SHARED);
    assert_eq!(sms.len(), 2, "{sms:?}");
    assert!(
        sms.iter()
            .all(|d| d["contact"] == EVA_ID && d["conversation"] == EVA_CONV),
        "{sms:?}"
    );
    cli.finish(&[]);
}

#[tokio::test(flavor = "multi_thread")]
async fn send_without_yes_and_without_a_terminal_refuses() {
    let cli = Cli::start().await;
    cli.run(&send_args("0612345678", &[]))
        .await
        .code(2)
        .stderr_has("add --yes");
    assert_eq!(cli.writes(), 0);
    assert!(cli.sandbox.deliveries().is_empty());
    assert!(!cli.runs_dir().exists());
    cli.finish(&[]);
}

#[tokio::test(flavor = "multi_thread")]
async fn organization_without_sms_gets_nothing() {
    let cli = Cli::start().await;
    let out = cli
        .run(&[
            "send",
            "--phone",
            "0612345683",
            "--org",
            "No-SMS Garage",
            "--clp-url",
            CLP,
            "--yes",
            "--json",
        ])
        .await;
    out.code(1)
        .stderr_has("[NOT READY] sms service")
        .stderr_has("no twilio (SMS) service")
        .stderr_has("nothing sent to contacts of No-SMS Garage");
    assert!(
        out.stdout.trim().is_empty(),
        "errors belong on stderr\n{out}"
    );
    // --force overrides a skip, never a readiness line.
    let forced = cli
        .run(&[
            "send",
            "--phone",
            "0612345683",
            "--org",
            "Disabled SMS BV",
            "--clp-url",
            CLP,
            "--yes",
            "--force",
        ])
        .await;
    forced.code(1).stderr_has("is disabled");
    assert_eq!(cli.writes(), 0);
    assert!(cli.sandbox.deliveries().is_empty());
    cli.finish(&[]);
}

#[tokio::test(flavor = "multi_thread")]
async fn template_comes_from_the_config_dir_and_must_be_usable() {
    let cli = Cli::start().await;
    let no_clp = [
        "send",
        "--phone",
        "0612345678",
        "--org",
        HOLDING_NAME,
        "--yes",
    ];
    cli.run(&no_clp)
        .await
        .code(1)
        .stderr_has("no landing-page address for Acme Holding")
        .stderr_has("sms-invite link ORG URL");
    assert_eq!(cli.writes(), 0);

    let templates = cli.config_dir().join("templates");
    std::fs::create_dir_all(&templates).expect("mkdir");
    std::fs::write(
        templates.join("default.toml"),
        "clp_url = \"https://clp.example/from-config\"\n",
    )
    .expect("write template");
    cli.run(&no_clp).await.code(0);
    let sms = cli.sms_to(JAN);
    assert_eq!(sms.len(), 2, "{sms:?}");
    assert!(
        sms[1]["text"]
            .as_str()
            .unwrap_or("")
            .contains("https://clp.example/from-config"),
        "{sms:?}"
    );
    cli.finish(&[]);
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_batch_reports_bad_rows_sends_good_ones_and_exports() {
    let cli = Cli::start().await;
    let csv = cli.write(
        "contacts.csv",
        "telephone,givenName,familyName\n\
         0612345691,Anne,Smit\n\
         abc,Bad,Row\n\
         06 12345692,Bert,Bos\n\
         +31612345691,Anne,Again\n\
         ,No,Phone\n\
         0031612345691,Anne,Third\n",
    );
    let export = cli.path("results.csv");
    let out = cli
        .run(&[
            "send",
            "--contacts",
            csv.to_str().unwrap_or_default(),
            "--org",
            HOLDING_NAME,
            "--clp-url",
            CLP,
            "--yes",
            "--json",
            "--export",
            export.to_str().unwrap_or_default(),
        ])
        .await;
    out.code(0)
        .stderr_has("line 3: skipped")
        .stderr_has("line 6: skipped")
        .stderr_has("+31612345691 appears on lines 2, 5, 7");
    assert_eq!(
        out.stderr.matches("appears on lines").count(),
        1,
        "a duplicate reported more than once\n{out}"
    );
    for good in ["line 2:", "line 4:", "line 5:", "line 7:"] {
        assert!(!out.stderr.contains(good), "{good} reported as bad\n{out}");
    }
    let (results, summary) = out.send_json();
    assert_eq!(results.len(), 2, "{out}");
    assert!(results.iter().all(|r| r["state"] == "sent"), "{out}");
    assert_eq!(summary["total"], 2, "{out}");
    assert_eq!(cli.sms_to("+31612345691").len(), 2);
    assert_eq!(cli.sms_to("+31612345692").len(), 2);
    assert_eq!(cli.sandbox.deliveries().len(), 4);

    let mut reader = csv::Reader::from_path(&export).expect("export exists");
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    for col in [
        "run",
        "telephone",
        "name",
        "status",
        "reason",
        "conversation",
    ] {
        assert!(header.iter().any(|h| h == col), "no {col}: {header:?}");
    }
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or(usize::MAX);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    let mut phones: Vec<&str> = rows
        .iter()
        .filter_map(|r| r.get(col("telephone")))
        .collect();
    phones.sort_unstable();
    assert_eq!(phones, ["+31612345691", "+31612345692"]);
    for r in &rows {
        assert_eq!(r.get(col("status")), Some("sent"), "{r:?}");
        assert_eq!(r.get(col("run")), summary["runId"].as_str(), "{r:?}");
    }
    cli.finish(&[&export]);
}

#[tokio::test(flavor = "multi_thread")]
async fn pasted_list_on_stdin_is_sent() {
    let cli = Cli::start().await;
    let out = cli
        .run_stdin(
            &[
                "send",
                "--contacts",
                "-",
                "--org",
                HOLDING_NAME,
                "--clp-url",
                CLP,
                "--yes",
                "--json",
            ],
            "Jan Jansen 06-12345678, Piet 0031 6 12345679\n",
        )
        .await;
    out.code(0);
    let (results, summary) = out.send_json();
    assert_eq!(summary["sent"], 2, "{out}");
    let jan = results.iter().find(|r| r["e164"] == JAN).expect("Jan");
    assert_eq!(jan["name"], "Jan Jansen", "{out}");
    // Piet is stored in national spelling; the lookup still finds his conversation.
    let piet = results
        .iter()
        .find(|r| r["e164"] == "+31612345679")
        .expect("Piet");
    assert_eq!(piet["newContact"], false, "{out}");
    assert_eq!(piet["contactId"], PIET_ID, "{out}");
    assert_eq!(cli.sms_to(JAN).len(), 2);
    // The platform delivers to the number as stored, so count Piet's SMS by contact.
    let piet_sms = cli
        .sandbox
        .deliveries()
        .into_iter()
        .filter(|d| d["contact"] == PIET_ID)
        .count();
    assert_eq!(piet_sms, 2);
    cli.finish(&[]);
}

// ---------------------------------------------------------------------------------------------
// resume

#[tokio::test(flavor = "multi_thread")]
async fn resume_retries_only_what_is_not_done() {
    let cli = Cli::start().await;
    let out = cli
        .run(&[
            "send",
            "--phone",
            "0612345678",
            "--phone",
            "0612345680",
            "--org",
            HOLDING_NAME,
            "--clp-url",
            CLP,
            "--yes",
            "--json",
        ])
        .await;
    out.code(1);
    let (results, summary) = out.send_json();
    let state = |e164: &str| {
        results
            .iter()
            .find(|r| r["e164"] == e164)
            .map(|r| r["state"].clone())
    };
    assert_eq!(state(JAN), Some("sent".into()), "{out}");
    assert_eq!(state(SHARED), Some("failed".into()), "{out}");
    let run = summary["runId"].as_str().expect("runId").to_string();

    let again = cli
        .run(&["send", "--resume", &run, "--yes", "--json"])
        .await;
    again.code(1);
    let (results, summary) = again.send_json();
    assert_eq!(summary["total"], 1, "{again}");
    assert_eq!(results.len(), 1, "{again}");
    assert_eq!(results[0]["e164"], SHARED, "{again}");
    assert_eq!(results[0]["state"], "failed", "{again}");
    assert_eq!(cli.sms_to(JAN).len(), 2, "the sent contact was sent again");

    for bad in ["nosuchrun", "../runs/x", ""] {
        cli.run(&["send", "--resume", bad, "--yes"]).await.code(2);
    }
    cli.run(&["send", "--resume", "nosuchrun", "--yes"])
        .await
        .stderr_has("nosuchrun");
    cli.finish(&[]);
}

// ---------------------------------------------------------------------------------------------
// authentication

#[tokio::test(flavor = "multi_thread")]
async fn missing_or_garbage_token_exits_3() {
    let mut cli = Cli::start().await;
    cli.unset("SMS_INVITE_TOKEN");
    cli.run(&["orgs"])
        .await
        .code(3)
        .stderr_has("no token given")
        .stderr_has("SMS_INVITE_TOKEN");
    cli.set("SMS_INVITE_TOKEN", "not-a-jwt-s3cr3t-value".into());
    cli.run(&["orgs"])
        .await
        .code(3)
        .stderr_has("the token from SMS_INVITE_TOKEN cannot be used")
        .stderr_has("not a Web1on1 token");
    // A token file that is not there is an error, never a fallback to another token.
    let missing = cli.path("no-such-token");
    cli.run(&["orgs", "--token-file", missing.to_str().expect("path")])
        .await
        .code(2)
        .stderr_has("cannot read the token file")
        .stderr_has("no-such-token");
    cli.run(&send_args("0612345678", &["--yes"])).await.code(3);
    cli.run(&["check", HOLDING_NAME]).await.code(3);
    assert_eq!(cli.writes(), 0);
    cli.finish(&[]);
}

#[tokio::test(flavor = "multi_thread")]
async fn token_the_platform_refuses_exits_3() {
    let mut cli = Cli::start().await;
    let good = cli.env["SMS_INVITE_TOKEN"].clone();
    let (head, _) = good.rsplit_once('.').expect("a JWT");
    cli.set(
        "SMS_INVITE_TOKEN",
        format!("{head}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
    );
    cli.unset("SMS_INVITE_REFRESH_TOKEN");
    cli.run(&["orgs"])
        .await
        .code(3)
        .stderr_has("401")
        .stderr_has("token");
    cli.finish(&[]);
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_token_without_refresh_exits_3() {
    let mut cli = Cli::start().await;
    let expired = cli.sandbox.access_token(BOT_USER_ID, -10);
    cli.set("SMS_INVITE_TOKEN", expired);
    cli.unset("SMS_INVITE_REFRESH_TOKEN");
    cli.run(&["orgs"]).await.code(3).stderr_has("expired");
    cli.run(&["check", HOLDING_NAME]).await.code(3);
    cli.run(&send_args("0612345678", &["--yes"])).await.code(3);
    assert_eq!(cli.writes(), 0);
    assert!(cli.sandbox.deliveries().is_empty());
    cli.finish(&[]);
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_token_with_refresh_token_is_renewed() {
    let mut cli = Cli::start().await;
    let expired = cli.sandbox.access_token(BOT_USER_ID, -10);
    cli.set("SMS_INVITE_TOKEN", expired);
    let out = cli.run(&["orgs", "--json"]).await;
    out.code(0);
    assert_eq!(out.json().len(), 7, "{out}");
    // The sandbox rotates refresh tokens, so the next process needs a fresh one.
    cli.set(
        "SMS_INVITE_REFRESH_TOKEN",
        cli.sandbox.bot_login().refresh_token,
    );
    cli.run(&send_args("0612345678", &["--yes"])).await.code(0);
    assert_eq!(cli.sms_to(JAN).len(), 2);
    cli.finish(&[]);
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_http_is_refused_off_loopback() {
    let mut cli = Cli::start().await;
    cli.run(&["orgs", "--api-url", "http://example.com"])
        .await
        .code(2)
        .stderr_has("http");
    cli.set("SMS_INVITE_API_URL", "http://example.com".into());
    cli.run(&["orgs"]).await.code(2);
    cli.run(&send_args("0612345678", &["--yes"])).await.code(2);
    cli.finish(&[]);
}

// ---------------------------------------------------------------------------------------------
// secrets

/// Every command, including failing ones and a token renewal, at the most verbose log level:
/// [`Cli::finish`] then scans stdout, stderr, the log, the journals and the export.
#[tokio::test(flavor = "multi_thread")]
async fn tokens_appear_in_no_output_log_journal_or_export() {
    let mut cli = Cli::start().await;
    cli.set("SMS_INVITE_LOG", "trace".into());
    let t = cli.write("t.toml", &format!("clp_url = \"{CLP}\"\n"));
    let t = t.to_str().unwrap_or_default().to_string();
    let export = cli.path("out.csv");
    let export_s = export.to_str().unwrap_or_default().to_string();
    cli.run(&["orgs"]).await.code(0);
    cli.run(&["orgs", "--json"]).await.code(0);
    cli.run(&["check", HOLDING_NAME, "--template", &t])
        .await
        .code(0);
    cli.run(&["check", "No-SMS Garage", "--json"]).await.code(1);
    cli.run(&send_args("0612345678", &["--dry-run"]))
        .await
        .code(0);
    let out = cli
        .run(&send_args(
            "0612345678",
            &["--yes", "--json", "--export", &export_s],
        ))
        .await;
    out.code(0);
    let run = out.send_json().1["runId"]
        .as_str()
        .unwrap_or("")
        .to_string();
    cli.run(&["send", "--resume", &run, "--yes"]).await.code(0);
    cli.run(&send_args("0612345680", &["--yes"])).await.code(1);
    cli.run(&send_args("abc", &["--yes"])).await.code(2);
    let expired = cli.sandbox.access_token(BOT_USER_ID, -10);
    cli.set("SMS_INVITE_TOKEN", expired);
    cli.run(&send_args("0612345679", &["--yes"])).await.code(0);
    cli.unset("SMS_INVITE_REFRESH_TOKEN");
    cli.run(&["orgs"]).await.code(3);
    assert!(std::fs::metadata(cli.data_dir().join("sms-invite.log")).is_ok());
    assert!(!cli.journals().is_empty());
    cli.finish(&[&export]);
}

/// A scanner that cannot fail proves nothing: it must catch a token in output and a JWT it
/// was never given in a file under the data dir.
#[tokio::test(flavor = "multi_thread")]
async fn the_secret_scan_catches_a_leak() {
    let cli = Cli::start().await;
    let token = cli.env["SMS_INVITE_TOKEN"].clone();
    if let Ok(mut p) = cli.printed.lock() {
        p.push(format!("oops {token}"));
    }
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cli.finish(&[])));
    assert!(caught.is_err(), "a token in output went unnoticed");

    let cli = Cli::start().await;
    std::fs::write(
        cli.data_dir().join("sms-invite.log"),
        "Bearer eyJhbGciOi.x.y",
    )
    .expect("log");
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cli.finish(&[])));
    assert!(caught.is_err(), "a JWT in the log went unnoticed");
}

// ---------------------------------------------------------------------------------------------
// bugs found while writing these tests

/// docs/invitation.md, "Who it is": a shared number in a batch fails "unless a contact id is given", and the
/// failure reason itself tells the user to add a `contactId` column.
#[tokio::test(flavor = "multi_thread")]

async fn csv_contact_id_column_picks_one_of_a_shared_number() {
    let cli = Cli::start().await;
    let csv = cli.write(
        "c.csv",
        &format!("telephone,givenName,contactId\n0612345680,Eva,{EVA_ID}\n"),
    );
    let out = cli
        .run(&[
            "send",
            "--contacts",
            csv.to_str().unwrap_or_default(),
            "--org",
            HOLDING_NAME,
            "--clp-url",
            CLP,
            "--yes",
        ])
        .await;
    out.code(0);
    let sms = cli.sms_to(SHARED);
    assert_eq!(sms.len(), 2, "{sms:?}");
    assert!(sms.iter().all(|d| d["contact"] == EVA_ID), "{sms:?}");
    cli.finish(&[]);
}

/// A flag the command does not use must not be dropped silently: the operator believes the
/// shared number is resolved, and the row fails anyway (or, worse, succeeds for a single
/// matching contact that is not the one named). `--contact-id` names the contact of one
/// `--phone`, so with `--contacts` the command refuses the combination up front.
#[tokio::test(flavor = "multi_thread")]

async fn contact_id_with_contacts_file_is_not_silently_ignored() {
    let cli = Cli::start().await;
    let csv = cli.write("c.csv", "telephone,givenName\n0612345680,Eva\n");
    let out = cli
        .run(&[
            "send",
            "--contacts",
            csv.to_str().unwrap_or_default(),
            "--contact-id",
            EVA_ID,
            "--org",
            HOLDING_NAME,
            "--clp-url",
            CLP,
            "--yes",
        ])
        .await;
    // Refused before anything is sent, with where a contact id goes in a file instead.
    out.code(2)
        .stderr_has("--contact-id goes with exactly one --phone")
        .stderr_has("name the contact in a contactId column");
    assert_eq!(cli.writes(), 0, "nothing may be written\n{out}");
    assert!(cli.sms_to(SHARED).is_empty(), "{out}");
    cli.finish(&[]);
}

/// `--json` promises results and then a summary object; a script reading the summary gets an
/// empty stdout when a resumed run has nothing left to do.
#[tokio::test(flavor = "multi_thread")]

async fn resume_with_nothing_to_do_still_prints_a_json_summary() {
    let cli = Cli::start().await;
    let out = cli
        .run(&send_args("0612345678", &["--yes", "--json"]))
        .await;
    out.code(0);
    let run = out.send_json().1["runId"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let again = cli
        .run(&["send", "--resume", &run, "--yes", "--json"])
        .await;
    again.code(0);
    let (results, summary) = again.send_json();
    assert!(results.is_empty(), "{again}");
    assert_eq!(summary["runId"], run.as_str(), "{again}");
    cli.finish(&[]);
}
