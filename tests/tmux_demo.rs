//! The real binary's `--demo` TUI in a real terminal: runs `tests/tmux/demo_reinvite.sh`, which
//! drives it under tmux (organizations, help, re-invite one contact, quit, terminal restored,
//! NO_COLOR). tmux is required: CI installs it, and a missing tmux fails this test instead of
//! skipping it, so the end-to-end check cannot silently stop running.

use std::path::Path;
use std::process::Command;

#[test]
fn demo_reinvite_under_tmux() {
    match Command::new("tmux").arg("-V").output() {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "`tmux -V` failed ({}): {}; this test drives the real TUI under tmux",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!(
            "tmux is not installed ({e}); this test drives the real TUI under tmux. \
             Install it (apt-get install tmux, brew install tmux) and run the tests again"
        ),
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
