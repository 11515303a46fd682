//! The optional config file (`config.toml` in the config dir): theme, key bindings, mouse.
//! It is read and checked before the terminal switches to the TUI, so a mistake is reported
//! as a plain error with the file and key, not as a garbled screen.
//!
//! The file is read into plain data (names and strings, as written) and nothing here knows
//! what a theme role or a key command is: the TUI turns these tables into its theme and
//! keymap ([`crate::tui::theme::Theme::configured`], [`crate::tui::keymap::Keymap::configured`])
//! and names any unknown role, mode, command or key then. That keeps the dependency one way
//! (the TUI reads the config; the config never reaches into the TUI), so the TUI's internals
//! can change without the file format, and the file can be read by code that has no TUI.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub theme: ThemeConfig,
    /// `[keys.MODE] command = "key"` or a list of keys.
    #[serde(default)]
    pub keys: KeyTables,
    /// Mouse support (scrolling); `--no-mouse` turns it off regardless.
    pub mouse: Option<bool>,
}

/// The `[theme]` table: a theme's name and colours for its roles, as written.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThemeConfig {
    pub name: Option<String>,
    #[serde(default)]
    pub colors: BTreeMap<String, String>,
}

/// The `[keys]` tables: mode name, then command name, then the key or keys, as written.
pub type KeyTables = BTreeMap<String, BTreeMap<String, KeySpec>>;

/// One key or several, as written in the config file.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum KeySpec {
    One(String),
    Many(Vec<String>),
}

impl KeySpec {
    pub fn keys(&self) -> &[String] {
        match self {
            KeySpec::One(k) => std::slice::from_ref(k),
            KeySpec::Many(v) => v,
        }
    }
}

pub fn path() -> PathBuf {
    crate::paths::config_dir().join("config.toml")
}

impl Config {
    /// Reads the file if it exists.
    pub fn load(path: &Path) -> Result<Config, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_is_defaults_and_typos_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let c = Config::load(&dir.path().join("none.toml")).unwrap();
        assert!(c.keys.is_empty());
        let p = dir.path().join("config.toml");
        std::fs::write(
            &p,
            "[theme]\nname = \"light\"\n[keys.orgs]\ninvite_one = [\"o\", \"ctrl-o\"]\nrefresh = \"f5\"\n",
        )
        .unwrap();
        let c = Config::load(&p).unwrap();
        assert_eq!(c.theme.name.as_deref(), Some("light"));
        assert_eq!(c.keys["orgs"]["invite_one"].keys(), ["o", "ctrl-o"]);
        assert_eq!(c.keys["orgs"]["refresh"].keys(), ["f5"]);
        std::fs::write(&p, "[theem]\nname = \"light\"\n").unwrap();
        assert!(Config::load(&p).unwrap_err().contains("theem"));
        std::fs::write(&p, "[theme]\ncolours = {}\n").unwrap();
        assert!(Config::load(&p).unwrap_err().contains("colours"));
    }
}
