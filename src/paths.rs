//! Where the tool keeps files: config and templates in the config dir, the run journal and
//! the log in the data dir (DESIGN.md §5). Environment variables override both, which tests use
//! to keep every run inside a temporary folder.

use std::path::PathBuf;

use directories::ProjectDirs;

fn project() -> Option<ProjectDirs> {
    ProjectDirs::from("chat", "web1on1", "sms-invite")
}

/// `SMS_INVITE_CONFIG_DIR`, else `$XDG_CONFIG_HOME/sms-invite` (honoured on every platform, as
/// terminal users expect), else the platform's config dir.
pub fn config_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SMS_INVITE_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(xdg) = std::env::var_os("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(xdg).join("sms-invite");
    }
    project()
        .map(|p| p.config_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".sms-invite"))
}

/// `SMS_INVITE_DATA_DIR`, else `$XDG_DATA_HOME/sms-invite`, else the platform's data dir.
pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SMS_INVITE_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(xdg).join("sms-invite");
    }
    project()
        .map(|p| p.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".sms-invite"))
}

pub fn log_file() -> PathBuf {
    data_dir().join("sms-invite.log")
}
