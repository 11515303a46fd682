//! Security properties that are not about one command: certificate checks are never switched
//! off, plain http only reaches this machine, a remembered token is readable by its owner only.

use sms_invite::api::client::parse_api_url;

/// Walks `dir` for Rust sources.
fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir)
        .expect("readable source dir")
        .flatten()
    {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn tls_verification_is_never_turned_off() {
    let mut files = Vec::new();
    rust_files(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(files.len() > 20);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        for needle in [
            "danger_accept_invalid_certs",
            "danger_accept_invalid_hostnames",
            "dangerous_configuration",
            "NoCertificateVerification",
        ] {
            assert!(!text.contains(needle), "{} uses {needle}", f.display());
        }
    }
}

#[test]
fn plain_http_only_to_loopback() {
    for ok in [
        "https://api.web1on1.chat",
        "http://127.0.0.1:9",
        "http://127.8.9.10:1",
        "http://localhost:5",
        "http://[::1]:7",
    ] {
        assert!(parse_api_url(ok).is_ok(), "{ok}");
    }
    for bad in [
        "http://api.web1on1.chat",
        "http://10.0.0.1",
        "http://192.168.1.2:80",
        "http://localhost.evil.com",
        "ws://x",
        "file:///etc/passwd",
    ] {
        assert!(parse_api_url(bad).is_err(), "{bad}");
    }
}

#[cfg(unix)]
#[test]
fn a_remembered_token_is_mode_0600() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cfg").join("token");
    // Even over a file that was world-readable before.
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "old").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    sms_invite::tui::app::remember_token(&path, &sms_invite::api::Secret::new("a.b.c")).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "a.b.c");
}
