//! The real binary's `--demo` TUI in a real terminal: runs `tests/tmux/demo_reinvite.sh`, which
//! drives it under tmux (organizations, help, re-invite one contact, quit, terminal restored,
//! NO_COLOR). Needs bash, tmux and pgrep (procps; the script signals the TUI by pid). Without
//! them the test is skipped with the reason printed; under CI (`CI=true`) it fails instead, so
//! the end-to-end check cannot silently stop running there.

mod common;

use std::path::Path;
use std::process::Command;

const PURPOSE: &str = "this test drives the real TUI under tmux \
    (apt-get install tmux procps, brew install tmux)";

#[test]
fn demo_reinvite_under_tmux() {
    let have_all = [
        ("bash", "--version"),
        ("tmux", "-V"),
        ("pgrep", "--version"),
    ]
    .iter()
    .all(|(program, arg)| common::have_program(program, &[arg], PURPOSE));
    if !have_all {
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tmux/demo_reinvite.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(env!("CARGO_BIN_EXE_sms-invite"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run bash {}: {e}", script.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    if !stderr.is_empty() {
        println!("stderr:\n{stderr}");
    }
    assert!(
        out.status.success(),
        "{} exited with {}:\n{stdout}\n{stderr}",
        script.display(),
        out.status
    );
    assert!(
        stdout.contains(" passed, 0 failed"),
        "the script did not report its checks:\n{stdout}"
    );
}
