//! Where the tool keeps files: config and templates in the config dir, the run journal and
//! the log in the data dir (README, "Configuration and environment"). Environment variables override both, which tests use
//! to keep every run inside a temporary folder.
//!
//! The files the tool writes hold names and phone numbers of customers (journals, the log,
//! exports), so they are created readable by their owner only; see [`create_private_dir_all`],
//! [`open_private_append`] and [`create_private_file`]. On other platforms than unix these
//! create files with the platform's defaults.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

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

/// Creates `path` and any missing parent with mode 0700 (unix), like `mkdir -p -m 700`, so
/// nobody else can list the runs or open the files inside.
///
/// A folder that already exists is left as it is: it may be one the user chose and shares on
/// purpose (`SMS_INVITE_DATA_DIR=~/work`), and the files the tool puts in it are private by
/// themselves.
pub fn create_private_dir_all(path: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}

/// Open options whose `create` makes the file with mode 0600 (unix). The mode applies only to
/// a file this call creates: use [`make_private`] on the opened file (or [`open_private_append`]
/// / [`create_private_file`], which do) to tighten one that already existed.
pub fn private_file_options() -> OpenOptions {
    #[allow(unused_mut)]
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Opens `path` for appending (a log, a journal), creating it with mode 0600 and taking group
/// and other permissions away from a file an older version created readable by all.
pub fn open_private_append(path: &Path) -> io::Result<File> {
    let file = private_file_options()
        .create(true)
        .append(true)
        .open(path)?;
    make_private(&file)?;
    Ok(file)
}

/// Creates or empties `path` for writing (an export), with mode 0600; an existing file is
/// emptied first and then made private, so its old content is never exposed by the new mode
/// and the new content never by the old one.
pub fn create_private_file(path: &Path) -> io::Result<File> {
    let file = private_file_options()
        .create(true)
        .write(true)
        .truncate(true)
        .open(path)?;
    make_private(&file)?;
    Ok(file)
}

/// Takes every group and other permission away from an open file (unix; elsewhere nothing).
/// Permissions are only ever removed, and the file is left alone when it is private already,
/// so a file owned by someone else but already private does not fail.
pub fn make_private(file: &File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.metadata()?.permissions().mode();
        if mode & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(mode & 0o700))?;
        }
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).map_or(0, |m| m.permissions().mode() & 0o777)
    }

    #[test]
    fn new_folders_are_private_and_existing_ones_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a/b/c");
        create_private_dir_all(&deep).unwrap();
        assert_eq!(mode(&deep), 0o700);
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        let shared = dir.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).unwrap();
        create_private_dir_all(&shared).unwrap();
        assert_eq!(mode(&shared), 0o755);
    }

    #[test]
    fn new_and_existing_files_end_up_0600() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("new.log");
        open_private_append(&log).unwrap();
        assert_eq!(mode(&log), 0o600);
        let old = dir.path().join("old.log");
        std::fs::write(&old, "kept\n").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        {
            use std::io::Write;
            let mut f = open_private_append(&old).unwrap();
            f.write_all(b"added\n").unwrap();
        }
        assert_eq!(mode(&old), 0o600);
        assert_eq!(std::fs::read_to_string(&old).unwrap(), "kept\nadded\n");
        let export = dir.path().join("out.csv");
        std::fs::write(&export, "old").unwrap();
        std::fs::set_permissions(&export, std::fs::Permissions::from_mode(0o666)).unwrap();
        create_private_file(&export).unwrap();
        assert_eq!(mode(&export), 0o600);
        assert_eq!(std::fs::read(&export).unwrap(), b"");
    }
}
