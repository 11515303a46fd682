//! `watch` and `send --watch` with the real binary against the sandbox over loopback: each
//! sign reported once as it happens, a watch killed and resumed from the journal, a platform
//! status message shown as written, a second watch of the run refused, and the exit codes.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use serde_json::Value;
use sms_invite::sandbox::Sandbox;

const BIN: &str = env!("CARGO_BIN_EXE_sms-invite");
const CLP: &str = "https://clp.example/acme";
const TIMEOUT: Duration = Duration::from_secs(60);

struct Env {
    sandbox: Sandbox,
    dir: tempfile::TempDir,
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}\n{self:?}")))
            .collect()
    }
}

impl std::fmt::Debug for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout ---\n{}--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Env {
    async fn start() -> Env {
        Env {
            sandbox: start_sandbox(quick_config()).await,
            dir: tempfile::tempdir().expect("dir"),
        }
    }

    fn command(&self, args: &[&str], name: &str) -> (Command, PathBuf, PathBuf) {
        let (out, err) = (
            self.dir.path().join(format!("{name}.out")),
            self.dir.path().join(format!("{name}.err")),
        );
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env_clear()
            .envs(bot_env(&self.sandbox))
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("SMS_INVITE_DATA_DIR", self.dir.path().join("data"))
            .env("SMS_INVITE_CONFIG_DIR", self.dir.path().join("config"))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).expect("out"))
            .stderr(std::fs::File::create(&err).expect("err"));
        (cmd, out, err)
    }

    /// Runs the binary to its end on a blocking thread (the sandbox in this process serves on).
    async fn run(&self, args: &[&str]) -> Out {
        let name = format!("run{}", rand_name());
        let (mut cmd, out, err) = self.command(args, &name);
        let code = tokio::task::spawn_blocking(move || {
            let mut child = cmd.spawn().expect("starts");
            let deadline = std::time::Instant::now() + TIMEOUT;
            loop {
                if let Some(s) = child.try_wait().expect("wait") {
                    return s.code().unwrap_or(-1);
                }
                if std::time::Instant::now() > deadline {
                    let _ = child.kill();
                    return -1;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        })
        .await
        .expect("waiter");
        read(code, &out, &err)
    }

    fn spawn(&self, args: &[&str], name: &str) -> (Child, PathBuf, PathBuf) {
        let (mut cmd, out, err) = self.command(args, name);
        (cmd.spawn().expect("starts"), out, err)
    }

    /// Sends to `phones` in Acme Holding; the run id and each number's conversation (results
    /// come in the order they finish, so they are keyed by number).
    async fn send(&self, phones: &[&str]) -> (String, std::collections::HashMap<String, String>) {
        let mut args = vec![
            "send",
            "--org",
            HOLDING,
            "--clp-url",
            CLP,
            "--yes",
            "--json",
        ];
        for p in phones {
            args.extend(["--phone", p]);
        }
        let out = self.run(&args).await;
        assert_eq!(out.code, 0, "{out:?}");
        let lines = out.lines();
        let run = lines
            .last()
            .and_then(|s| s["runId"].as_str())
            .expect("run id")
            .to_string();
        let convs = lines
            .iter()
            .filter(|l| l["state"] == "sent")
            .map(|l| {
                (
                    l["e164"].as_str().expect("e164").to_string(),
                    l["conversation"]
                        .as_str()
                        .expect("conversation")
                        .to_string(),
                )
            })
            .collect();
        (run, convs)
    }

    fn writes(&self, conversation: &str, touchpoint: &str, text: &str) {
        self.sandbox
            .with_store(|s| s.contact_writes(conversation, touchpoint, text))
            .expect("the contact writes");
    }

    fn journal(&self, run: &str) -> String {
        std::fs::read_to_string(
            self.dir
                .path()
                .join("data/runs")
                .join(format!("{run}.jsonl")),
        )
        .unwrap_or_default()
    }
}

fn rand_name() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::Relaxed).to_string()
}

fn read(code: i32, out: &Path, err: &Path) -> Out {
    Out {
        code,
        stdout: std::fs::read_to_string(out).unwrap_or_default(),
        stderr: std::fs::read_to_string(err).unwrap_or_default(),
    }
}

fn events<'a>(lines: &'a [Value], kind: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["event"] == kind).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_sign_is_reported_once_and_a_killed_watch_resumes_from_the_journal() {
    let env = Env::start().await;
    let phones = ["+31611000001", "+31611000002", "+31611000003"];
    let (run, convs) = env.send(&phones).await;
    assert_eq!(convs.len(), 3);

    // The first customer comes back through the landing page; a watch sees it, then is killed.
    env.writes(&convs[phones[0]], "web", "Tuesday works");
    let (mut child, out, err) = env.spawn(&["watch", &run, "--for", "60s", "--json"], "first");
    wait_until("the first watch reports the reply", TIMEOUT, || {
        std::fs::read_to_string(&out).is_ok_and(|s| s.contains("cameBack"))
    })
    .await;
    child.kill().expect("kill -9");
    let _ = child.wait();
    let first = read(-1, &out, &err);
    let lines = first.lines();
    let back = events(&lines, "cameBack");
    assert_eq!(back.len(), 1, "{first:?}");
    assert_eq!(back[0]["e164"], phones[0]);
    assert_eq!(back[0]["via"], "link");
    assert_eq!(
        env.journal(&run).matches("\"kind\":\"follow\"").count(),
        1,
        "journalled before it was printed"
    );

    // The second answers the SMS; a resumed watch reports only that.
    env.writes(&convs[phones[1]], "sms", "yes");
    let second = env.run(&["watch", &run, "--for", "2s", "--json"]).await;
    assert_eq!(second.code, 1, "not everyone came back: {second:?}");
    let lines = second.lines();
    let back = events(&lines, "cameBack");
    assert_eq!(back.len(), 1, "{second:?}");
    assert_eq!(back[0]["e164"], phones[1]);
    assert_eq!(back[0]["via"], "sms");
    let summary = events(&lines, "summary");
    assert_eq!(summary.len(), 1, "{second:?}");
    assert_eq!(summary[0]["followed"], 3);
    assert_eq!(summary[0]["cameBack"], 2);
    assert_eq!(summary[0]["noAnswer"], 1);
    assert_eq!(summary[0]["ending"], "windowClosed");
    assert!(
        second.stderr.contains("known so far: 1 of 3 came back"),
        "{second:?}"
    );

    // The last one comes back: the watch ends on its own with 0.
    env.writes(&convs[phones[2]], "web", "on my way");
    let third = env.run(&["watch", &run, "--for", "50s"]).await;
    assert_eq!(third.code, 0, "{third:?}");
    assert!(third.stdout.contains(phones[2]), "{third:?}");
    assert!(!third.stdout.contains(phones[0]), "{third:?}");
    assert!(third.stderr.contains("3 of 3 came back"), "{third:?}");
    // Nothing is left to follow, and it says so.
    let done = env.run(&["watch", &run, "--json"]).await;
    assert_eq!(done.code, 0, "{done:?}");
    assert!(done.stderr.contains("nothing left to follow"), "{done:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_platform_status_message_is_reported_as_written() {
    let env = Env::start().await;
    // Piet's profile keeps a national spelling, which the sandbox's carrier refuses: the
    // platform accepts the invitation and then writes why the SMS failed.
    let (run, _) = env.send(&["0612345679"]).await;
    let out = env.run(&["watch", &run, "--for", "2s", "--json"]).await;
    assert_eq!(out.code, 1, "{out:?}");
    let lines = out.lines();
    let problems = events(&lines, "problem");
    assert!(!problems.is_empty(), "{out:?}");
    assert!(
        problems[0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("not a valid mobile number")),
        "{out:?}"
    );
    assert_eq!(events(&lines, "summary")[0]["problems"], 1, "{out:?}");
    let human = env.run(&["watch", &run, "--for", "1s"]).await;
    assert!(
        human.stderr.contains("1 with a problem reported"),
        "{human:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_watch_of_a_run_is_refused_and_an_unknown_run_is_bad_input() {
    let env = Env::start().await;
    let (run, _) = env.send(&["+31611000009"]).await;
    let (mut child, _, err) = env.spawn(&["watch", &run, "--for", "60s"], "holder");
    wait_until("the first watch holds the run", TIMEOUT, || {
        std::fs::read_to_string(&err).is_ok_and(|s| s.contains("Following"))
    })
    .await;
    let second = env.run(&["watch", &run, "--for", "2s"]).await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(second.code, 4, "{second:?}");
    assert!(second.stderr.contains("pid"), "{second:?}");
    let unknown = env.run(&["watch", "20990101T000000-dead"]).await;
    assert_eq!(unknown.code, 2, "{unknown:?}");
    let runs: Vec<_> = std::fs::read_dir(env.dir.path().join("data/runs"))
        .expect("runs")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("20990101"))
        .collect();
    assert!(runs.is_empty(), "an unknown run left files: {runs:?}");
    let bad = env.run(&["watch", &run, "--for", "soon"]).await;
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("30m"), "{bad:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn send_then_watch_in_one_process() {
    let env = Env::start().await;
    let args = [
        "send",
        "--org",
        HOLDING,
        "--clp-url",
        CLP,
        "--phone",
        "+31611000021",
        "--yes",
        "--json",
        "--watch",
        "50s",
    ];
    let (mut child, out, err) = env.spawn(&args, "sendwatch");
    let conversation = {
        let mut found = None;
        wait_until("the invitation is sent", TIMEOUT, || {
            found = env
                .sandbox
                .deliveries()
                .iter()
                .find(|d| d["to"] == "+31611000021")
                .and_then(|d| d["conversation"].as_str().map(str::to_string));
            found.is_some()
        })
        .await;
        found.expect("conversation")
    };
    env.writes(&conversation, "web", "hello");
    let code = tokio::task::spawn_blocking(move || child.wait().expect("wait").code())
        .await
        .expect("waiter");
    let out = read(code.unwrap_or(-1), &out, &err);
    assert_eq!(out.code, 0, "everyone came back: {out:?}");
    let lines = out.lines();
    let send_summary = lines.iter().position(|l| l["summary"] == true);
    let came_back = lines.iter().position(|l| l["event"] == "cameBack");
    let watch_summary = lines.iter().position(|l| l["event"] == "summary");
    assert!(
        send_summary < came_back && came_back < watch_summary && send_summary.is_some(),
        "send summary, then the follow events, then the follow summary: {out:?}"
    );
    assert_eq!(lines[watch_summary.unwrap_or(0)]["ending"], "everyoneBack");
}
