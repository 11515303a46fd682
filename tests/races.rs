//! Exactly once when the world misbehaves: two processes on one run, two runs over one list,
//! a journal that stops accepting writes, and a journal torn at a kill at every byte of its
//! last records. Each case runs the real binary against a sandbox on loopback, under faults
//! where it says so, and counts the SMS each number received in the sandbox's delivery log:
//! exactly two (welcome and link) per invited number, never four.
//!
//! `SMS_INVITE_TEST_BIN` points the cases at another build (to measure an older one); the
//! torn-journal sweep takes every 12th byte offset by default and every one with
//! `RACES_EVERY_OFFSET=1`.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::*;
use serde_json::Value;
use sms_invite::sandbox::{FaultRule, Sandbox};

/// Why prlimit is needed, printed with a skip or a CI failure.
const PRLIMIT: &str = "the journal cases cap the file size with prlimit (util-linux)";

fn bin() -> PathBuf {
    std::env::var_os("SMS_INVITE_TEST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_sms-invite")))
}

struct World {
    sandbox: Sandbox,
    dir: tempfile::TempDir,
}

impl World {
    async fn start(latency: Duration, faults: &[&str]) -> World {
        let mut c = quick_config();
        c.knobs.latency = latency;
        c.knobs.faults = faults
            .iter()
            .map(|f| FaultRule::parse(f).expect("fault rule"))
            .collect();
        World {
            sandbox: start_sandbox(c).await,
            dir: tempfile::tempdir().expect("dir"),
        }
    }

    /// A command of the binary for the data dir `data` (each "machine" or operator has its
    /// own config dir; processes of one machine share `data`).
    fn cmd(&self, data: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(bin());
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(bot_env(&self.sandbox))
            .env("SMS_INVITE_DATA_DIR", self.dir.path().join(data))
            .env("SMS_INVITE_CONFIG_DIR", self.dir.path().join("config"))
            .stdin(Stdio::null());
        cmd
    }

    fn list(&self, name: &str, numbers: &[String]) -> String {
        let path = self.dir.path().join(name);
        let mut csv = String::from("telephone\n");
        for n in numbers {
            csv.push_str(n);
            csv.push('\n');
        }
        std::fs::write(&path, csv).expect("list");
        path.display().to_string()
    }

    fn send_args<'a>(list: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
        let mut a = vec![
            "send",
            "--org",
            HOLDING_NAME,
            "--contacts",
            list,
            "--clp-url",
            CLP,
            "--yes",
            "--json",
        ];
        a.extend_from_slice(extra);
        a
    }

    /// SMS per number among `numbers`, from the delivery log.
    fn sms_per_number(&self, numbers: &[String]) -> BTreeMap<String, usize> {
        let mut out: BTreeMap<String, usize> = numbers.iter().map(|n| (n.clone(), 0)).collect();
        for d in self.sandbox.deliveries() {
            if d["status"] != "delivered" {
                continue;
            }
            if let Some(n) = out.get_mut(d["to"].as_str().unwrap_or_default()) {
                *n += 1;
            }
        }
        out
    }
}

async fn run(cmd: Command) -> Output {
    let mut cmd = cmd;
    tokio::task::spawn_blocking(move || cmd.output().expect("the binary runs"))
        .await
        .expect("waiter")
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout ---\n{}--- stderr ---\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn summary(o: &Output) -> Value {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["summary"] == true)
        .unwrap_or_default()
}

fn numbers(from: u32, n: u32) -> Vec<String> {
    (from..from + n).map(|i| format!("+3168{i:07}")).collect()
}

/// Every number got exactly its two SMS; the histogram is printed for the record.
fn assert_exactly_once(w: &World, numbers: &[String], what: &str) {
    let per = w.sms_per_number(numbers);
    let mut histogram: BTreeMap<usize, usize> = BTreeMap::new();
    for n in per.values() {
        *histogram.entry(*n).or_default() += 1;
    }
    println!("{what}: SMS per number -> numbers: {histogram:?}");
    assert!(
        per.values().all(|&n| n == 2),
        "{what}: not exactly two SMS per number: {histogram:?}"
    );
}

/// The run id of the only run in a data dir.
fn the_run(data: &Path) -> String {
    std::fs::read_dir(data.join("runs"))
        .expect("runs")
        .flatten()
        .filter_map(|e| {
            let p = e.path();
            (p.extension()? == "jsonl").then(|| p.file_stem()?.to_str().map(str::to_string))?
        })
        .next()
        .expect("a run")
}

/// A run stopped part-way: the first send is killed once some contacts are sent.
async fn interrupted_run(w: &World, list: &str, data: &str, expect_sent: usize) -> String {
    let mut child = w
        .cmd(data, &World::send_args(list, &[]))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("send starts");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let sent = w
            .sandbox
            .deliveries()
            .iter()
            .filter(|d| d["status"] == "delivered")
            .count()
            / 2;
        if sent >= expect_sent || tokio::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    the_run(&w.dir.path().join(data))
}

/// Two `send --resume` of one run started together: one works on it, the other is refused
/// at once with who holds it, and every number is sent once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_resumes_of_one_run_started_together() {
    let w = World::start(Duration::from_millis(15), &[]).await;
    let list_numbers = numbers(100, 60);
    let list = w.list("list.csv", &list_numbers);
    let run_id = interrupted_run(&w, &list, "data", 5).await;
    let a = w.cmd("data", &["send", "--resume", &run_id, "--yes", "--json"]);
    let b = w.cmd("data", &["send", "--resume", &run_id, "--yes", "--json"]);
    let (a, b) = tokio::join!(run(a), run(b));
    let refused: Vec<&Output> = [&a, &b]
        .into_iter()
        .filter(|o| o.status.code() == Some(4))
        .collect();
    assert_eq!(
        refused.len(),
        1,
        "one resume works, the other is refused:\n{}\n{}",
        text(&a),
        text(&b)
    );
    let err = String::from_utf8_lossy(&refused[0].stderr);
    assert!(
        err.contains(&format!(
            "run {run_id} is being worked on by another sms-invite (pid "
        )),
        "{err}"
    );
    assert_exactly_once(&w, &list_numbers, "two resumes together");
}

/// Two fresh sends of one list on one machine, the second started while the first runs: no
/// number gets both invitations; the second skips what the first has claimed, and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_fresh_sends_of_one_list() {
    let w = World::start(Duration::from_millis(15), &[]).await;
    let list_numbers = numbers(200, 60);
    let list = w.list("list.csv", &list_numbers);
    let first = w.cmd("data", &World::send_args(&list, &[]));
    let second = w.cmd("data", &World::send_args(&list, &[]));
    let started = tokio::spawn(run(first));
    // The second starts once the first is sending (or, failing, has ended), not after a
    // guessed head start.
    wait_until("the first send under way", Duration::from_secs(60), || {
        started.is_finished()
            || w.sandbox
                .deliveries()
                .iter()
                .any(|d| d["status"] == "delivered")
    })
    .await;
    let second = run(second).await;
    let first = started.await.expect("first");
    let (s1, s2) = (summary(&first), summary(&second));
    let sent = s1["sent"].as_u64().unwrap_or(0) + s2["sent"].as_u64().unwrap_or(0);
    assert_eq!(sent, 60, "{}\n{}", text(&first), text(&second));
    let skipped_reason = String::from_utf8_lossy(&second.stdout)
        .lines()
        .chain(String::from_utf8_lossy(&first.stdout).lines())
        .filter(|l| l.contains("\"skipped\""))
        .any(|l| l.contains("invited with this template"));
    assert!(skipped_reason, "{}\n{}", text(&first), text(&second));
    assert_exactly_once(&w, &list_numbers, "two fresh sends");
}

/// Two operators on two machines (two data dirs): the second sees in the conversations of
/// existing contacts that the first invited them, and skips them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_machines_see_each_others_invitations_in_the_conversation() {
    let w = World::start(Duration::ZERO, &[]).await;
    // Jan exists; the new number exists once the first machine has invited it.
    let existing = vec!["+31612345678".to_string(), "+31687650001".to_string()];
    let list = w.list("existing.csv", &existing);
    let first = run(w.cmd("machine-a", &World::send_args(&list, &[]))).await;
    assert_eq!(summary(&first)["sent"], 2, "{}", text(&first));
    let second = run(w.cmd("machine-b", &World::send_args(&list, &[]))).await;
    let s = summary(&second);
    assert_eq!(
        (s["sent"].as_u64(), s["skipped"].as_u64()),
        (Some(0), Some(2)),
        "{}",
        text(&second)
    );
    assert!(
        String::from_utf8_lossy(&second.stdout).contains("seen in the conversation"),
        "{}",
        text(&second)
    );
    assert_exactly_once(&w, &existing, "two machines");
}

/// The journal stops accepting writes (the file-size limit): the run stops before its next
/// send, says why in --json, exits 1; a resume later sends the rest, each number once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_that_stops_writing_stops_the_run() {
    if !have_program("prlimit", &["--version"], PRLIMIT) {
        return;
    }
    let w = World::start(Duration::ZERO, &[]).await;
    let list_numbers = numbers(300, 40);
    let list = w.list("list.csv", &list_numbers);
    let mut limited = w.cmd("data", &[]);
    limited
        .arg("--fsize=20000")
        .arg(bin())
        .args(World::send_args(&list, &[]));
    let mut limited = rebased(limited, "prlimit");
    limited.stdin(Stdio::null());
    let halted = run(limited).await;
    assert_eq!(halted.status.code(), Some(1), "{}", text(&halted));
    let s = summary(&halted);
    let why = s["halted"].as_str().unwrap_or_default();
    assert!(
        why.contains("cannot be written") && why.contains("stopped before the next send"),
        "{}",
        text(&halted)
    );
    assert!(
        s["notStarted"].as_u64().unwrap_or(0) > 0,
        "{}",
        text(&halted)
    );
    // Nothing was sent twice so far, and what was sent was sent whole.
    let per = w.sms_per_number(&list_numbers);
    assert!(per.values().all(|&n| n == 0 || n == 2), "{per:?}");
    let run_id = the_run(&w.dir.path().join("data"));
    let resumed = run(w.cmd("data", &["send", "--resume", &run_id, "--yes", "--json"])).await;
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed));
    assert_exactly_once(&w, &list_numbers, "journal stopped, then resumed");
}

/// `cmd` run through `program` (prlimit), with the same environment.
fn rebased(cmd: Command, program: &str) -> Command {
    let mut out = Command::new(program);
    out.args(cmd.get_args());
    out.env_clear();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            out.env(k, v);
        }
    }
    out
}

/// A run killed mid-write leaves a torn last line. For every byte at which the journal can
/// end (the file-size limit cuts a write exactly there, and the run stops before the send
/// that record announced), a resume against a faulty sandbox sends each number once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_torn_at_every_offset_of_its_last_records() {
    if !have_program("prlimit", &["--version"], PRLIMIT) {
        return;
    }
    let w = World::start(
        Duration::ZERO,
        &["GET:*:error:0.05", "POST:*:after-write:0.05"],
    )
    .await;
    // The full journal of three contacts, to know where its last records lie.
    let probe = numbers(900, 3);
    let probe_list = w.list("probe.csv", &probe);
    let full = run(w.cmd("probe", &World::send_args(&probe_list, &[]))).await;
    assert_eq!(summary(&full)["sent"], 3, "{}", text(&full));
    let journal = std::fs::read(
        w.dir
            .path()
            .join("probe")
            .join("runs")
            .join(format!("{}.jsonl", the_run(&w.dir.path().join("probe")))),
    )
    .expect("journal");
    // Its last two records: the second-to-last contact's result onwards.
    let ends: Vec<usize> = journal
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i + 1)
        .collect();
    let from = ends[ends.len().saturating_sub(4)];
    let to = journal.len();
    let stride = if std::env::var_os("RACES_EVERY_OFFSET").is_some() {
        1
    } else {
        12
    };
    let mut tried = 0;
    let mut stopped = 0;
    for (k, limit) in (from..=to).step_by(stride).enumerate() {
        let data = format!("d{k}");
        let list_numbers = numbers(1000 + 10 * k as u32, 3);
        let list = w.list(&format!("l{k}.csv"), &list_numbers);
        let mut limited = w.cmd(&data, &[]);
        limited
            .arg(format!("--fsize={limit}"))
            .arg(bin())
            .args(World::send_args(&list, &[]));
        let mut limited = rebased(limited, "prlimit");
        limited.stdin(Stdio::null());
        let first = run(limited).await;
        // A run the limit did not stop must have sent everything itself, each number once.
        let resumed = if first.status.code() != Some(0) {
            stopped += 1;
            let run_id = the_run(&w.dir.path().join(&data));
            Some(run(w.cmd(&data, &["send", "--resume", &run_id, "--yes", "--json"])).await)
        } else {
            None
        };
        let per = w.sms_per_number(&list_numbers);
        assert!(
            per.values().all(|&n| n == 2),
            "journal cut at byte {limit}: {per:?}\n{}\n{}",
            text(&first),
            resumed.as_ref().map(text).unwrap_or_default()
        );
        tried += 1;
    }
    println!(
        "torn journals: {tried} cut points between bytes {from} and {to} (every {stride}), {stopped} stopped a run; each number got exactly two SMS"
    );
    assert!(stopped > 0, "the limits stopped no run");
}
