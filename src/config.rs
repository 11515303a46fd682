//! The optional config file (`config.toml` in the config dir): theme, key bindings, mouse.
//! It is read and checked before the terminal switches to the TUI, so a mistake is reported
//! as a plain error with the file and key, not as a garbled screen.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::tui::keymap::{KeySpec, Keymap};
use crate::tui::theme::{Theme, ThemeConfig};

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub theme: ThemeConfig,
    /// `[keys.MODE] command = "key"` or a list of keys.
    #[serde(default)]
    pub keys: BTreeMap<String, BTreeMap<String, KeySpec>>,
    /// Mouse support (scrolling); `--no-mouse` turns it off regardless.
    pub mouse: Option<bool>,
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

    /// The theme: `--theme` beats the file; NO_COLOR beats both.
    pub fn theme(&self, flag: Option<&str>) -> Result<Theme, String> {
        let mut t = Theme::resolve(flag.or(self.theme.name.as_deref()))?;
        if t.name != "mono" {
            t.apply_overrides(&self.theme.colors)
                .map_err(|e| format!("[theme.colors] {e}"))?;
        }
        Ok(t)
    }

    pub fn keymap(&self) -> Result<Keymap, String> {
        let mut k = Keymap::default();
        k.apply_overrides(&self.keys)?;
        Ok(k)
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
            "[theme]\nname = \"light\"\n[keys.orgs]\ninvite_one = [\"o\", \"ctrl-o\"]\n",
        )
        .unwrap();
        let c = Config::load(&p).unwrap();
        assert_eq!(c.theme(None).unwrap().name, "light");
        assert!(c.keymap().is_ok());
        std::fs::write(&p, "[theem]\nname = \"light\"\n").unwrap();
        assert!(Config::load(&p).unwrap_err().contains("theem"));
        std::fs::write(&p, "[keys.orgs]\ninvite_one = \"banana\"\n").unwrap();
        assert!(
            Config::load(&p)
                .unwrap()
                .keymap()
                .unwrap_err()
                .contains("banana")
        );
    }
}
