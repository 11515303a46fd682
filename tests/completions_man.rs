//! Shell completions and manual pages from the real binary: every command is in each script
//! and on the page, the page is roff that groff reads without a warning, and neither writes
//! a file (no log, no data dir) since a package build runs them on a build machine.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_sms-invite");

/// The commands of the README's command-line section.
const COMMANDS: [&str; 7] = [
    "orgs",
    "check",
    "send",
    "link",
    "sandbox",
    "completions",
    "man",
];

/// Runs the binary with a cleared environment whose data and config dirs are inside `home`,
/// so a file written by mistake shows up there.
fn run(home: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("SMS_INVITE_DATA_DIR", home.join("data"))
        .env("SMS_INVITE_CONFIG_DIR", home.join("config"))
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 on stdout")
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn assert_nothing_written(home: &Path) {
    let left: Vec<_> = std::fs::read_dir(home)
        .expect("home")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "generating text wrote files: {left:?}");
}

#[test]
fn completions_for_each_shell_name_every_command() {
    let home = tempfile::tempdir().expect("temp dir");
    // How each shell's script announces itself, so a script for the wrong shell fails.
    // ... and how each spells a long flag.
    for (shell, marker, long) in [
        ("bash", "-o default sms-invite", "--"),
        ("zsh", "#compdef sms-invite", "--"),
        ("fish", "complete -c sms-invite", "-l "),
    ] {
        let out = run(home.path(), &["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", show(&out));
        assert!(out.stderr.is_empty(), "{shell}: {}", show(&out));
        let script = stdout(&out);
        assert!(script.contains(marker), "{shell}: no {marker:?}\n{script}");
        for command in COMMANDS {
            assert!(
                script.contains(command),
                "{shell}: the script does not complete `{command}`"
            );
        }
        for flag in ["clp-url", "dry-run", "resume", "demo"] {
            assert!(
                script.contains(&format!("{long}{flag}")),
                "{shell}: no --{flag}"
            );
        }
    }
    assert_nothing_written(home.path());
}

/// The bash script must parse, or sourcing it in a profile breaks the shell's start.
#[test]
fn the_bash_script_parses() {
    if !common::have_program(
        "bash",
        &["--version"],
        "bash -n checks the bash completions",
    ) {
        return;
    }
    let home = tempfile::tempdir().expect("temp dir");
    let out = run(home.path(), &["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let mut bash = Command::new("bash")
        .arg("-n")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash starts");
    bash.stdin
        .take()
        .expect("stdin")
        .write_all(&out.stdout)
        .expect("script to bash");
    let checked = bash.wait_with_output().expect("bash -n");
    assert!(
        checked.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&checked.stderr)
    );
}

#[test]
fn an_unknown_shell_is_bad_usage() {
    let home = tempfile::tempdir().expect("temp dir");
    let out = run(home.path(), &["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(out.stdout.is_empty(), "{}", show(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for shell in ["bash", "zsh", "fish"] {
        assert!(stderr.contains(shell), "the error lists {shell}: {stderr}");
    }
}

/// Requests (`.XX`) a manual page may use: those of the man macros and the few groff requests
/// clap_mangen emits. Anything else would be a typo or text that starts with a dot.
const ROFF_REQUESTS: [&str; 14] = [
    "TH", "SH", "SS", "TP", "PP", "IP", "RS", "RE", "B", "I", "br", "ie", "el", "ds",
];

/// Roff structure checked without a formatter: title first, the sections a man page needs,
/// known requests only, no stray escapes.
fn assert_roff(page: &str, title: &str) {
    let requests: Vec<&str> = page
        .lines()
        .filter_map(|l| l.strip_prefix('.'))
        .map(|r| r.split_whitespace().next().unwrap_or_default())
        .collect();
    assert_eq!(
        requests.iter().find(|r| !["ie", "el", "ds"].contains(r)),
        Some(&"TH"),
        "the page starts with .TH\n{page}"
    );
    assert!(
        page.contains(&format!(".TH {title} 1 ")),
        "title {title}(1)\n{page}"
    );
    for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS"] {
        assert!(
            page.contains(&format!(".SH {section}\n")),
            "no {section}\n{page}"
        );
    }
    for r in &requests {
        assert!(ROFF_REQUESTS.contains(r), "unknown request .{r}\n{page}");
    }
    // Every backslash starts an escape roff knows: font, hyphen, string, glyph, register.
    let mut chars = page.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            let next = chars.next().unwrap_or(' ');
            assert!(
                matches!(next, 'f' | '-' | '*' | '(' | 'n' | '\\' | 'e' | '&'),
                "unknown escape \\{next} in\n{page}"
            );
        }
    }
}

/// groff, where it is installed, as a second opinion: no warning at all (-ww) on a page.
fn groff_accepts(page: &str) -> Option<String> {
    let mut groff = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("groff starts");
    groff
        .stdin
        .take()
        .expect("stdin")
        .write_all(page.as_bytes())
        .expect("page to groff");
    let out = groff.wait_with_output().expect("groff");
    let warnings = String::from_utf8_lossy(&out.stderr).to_string();
    (!out.status.success() || !warnings.is_empty()).then_some(warnings)
}

#[test]
fn the_manual_page_is_roff_that_lists_every_command() {
    let home = tempfile::tempdir().expect("temp dir");
    let out = run(home.path(), &["man"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let page = stdout(&out);
    assert_roff(&page, "sms-invite");
    assert!(page.contains(".SH SUBCOMMANDS\n"), "{page}");
    for command in COMMANDS {
        assert!(
            page.contains(&format!("sms\\-invite\\-{command}(1)")),
            "the page does not list `{command}`\n{page}"
        );
    }
    // The environment and exit codes from the help text are on the page too.
    assert!(page.contains("SMS_INVITE_TOKEN"), "{page}");
    assert!(page.contains("Exit codes"), "{page}");
    assert_nothing_written(home.path());
    if common::have_program("groff", &["--version"], "groff checks the manual page") {
        assert_eq!(
            groff_accepts(&page),
            None,
            "groff warns about sms-invite(1)"
        );
    }
}

#[test]
fn each_command_has_its_own_page() {
    let home = tempfile::tempdir().expect("temp dir");
    let groff = common::have_program("groff", &["--version"], "groff checks the manual pages");
    for command in COMMANDS {
        let out = run(home.path(), &["man", command]);
        assert_eq!(out.status.code(), Some(0), "{command}: {}", show(&out));
        let page = stdout(&out);
        assert_roff(&page, &format!("sms-invite-{command}"));
        assert!(
            page.contains(&format!("\\fBsms\\-invite {command}\\fR")),
            "{command}: the synopsis names `sms-invite {command}`\n{page}"
        );
        if groff {
            assert_eq!(groff_accepts(&page), None, "groff warns about {command}");
        }
    }
    let send = stdout(&run(home.path(), &["man", "send"]));
    for flag in ["clp\\-url", "dry\\-run", "contact\\-id", "resume"] {
        assert!(send.contains(flag), "sms-invite-send(1) lacks --{flag}");
    }
    assert_nothing_written(home.path());
}

#[test]
fn a_page_for_no_command_is_bad_usage_naming_the_commands() {
    let home = tempfile::tempdir().expect("temp dir");
    let out = run(home.path(), &["man", "nope"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(out.stdout.is_empty(), "{}", show(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no manual page for \"nope\""), "{stderr}");
    for command in COMMANDS {
        assert!(
            stderr.contains(command),
            "the hint names {command}: {stderr}"
        );
    }
}
