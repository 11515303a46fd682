//! Logs go to a file, never to the terminal: stdout carries results (and JSON Lines), and the
//! TUI owns the screen. HTTP internals are kept at warn so request headers, which carry the
//! token, are never logged.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Starts file logging; keep the guard alive until exit so buffered lines are written.
/// Returns `None` (and logs nowhere) when the log file cannot be opened.
///
/// The log names organizations and contacts, so the data dir is created private and the log
/// file is made readable by its owner only, even when an older version created it for all.
pub fn init(file: &Path) -> Option<WorkerGuard> {
    let dir = file.parent()?;
    crate::paths::create_private_dir_all(dir).ok()?;
    let appender = crate::paths::open_private_append(file).ok()?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let level = std::env::var("SMS_INVITE_LOG").unwrap_or_else(|_| "info".to_string());
    let filter = EnvFilter::try_new(format!(
        "{level},hyper=warn,hyper_util=warn,reqwest=warn,h2=warn,rustls=warn"
    ))
    .unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}
