//! Semantic colour roles. Views ask for `theme.error`, never for a colour, so the dark, light
//! and mono themes (and user overrides) change everything at once. Meaning is never carried by
//! colour alone: every status also has a word or a symbol.

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

#[derive(Clone, Debug, PartialEq)]
pub struct Theme {
    pub name: String,
    pub base: Style,
    pub muted: Style,
    pub title: Style,
    pub border: Style,
    pub focus: Style,
    pub selection: Style,
    pub ok: Style,
    pub warn: Style,
    pub error: Style,
    pub info: Style,
    pub key: Style,
    pub input: Style,
}

impl Theme {
    pub fn dark() -> Theme {
        Theme {
            name: "dark".into(),
            base: Style::default(),
            muted: Style::default().fg(Color::DarkGray),
            title: Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            border: Style::default().fg(Color::DarkGray),
            focus: Style::default().fg(Color::Cyan),
            selection: Style::default()
                .bg(Color::Rgb(40, 60, 90))
                .add_modifier(Modifier::BOLD),
            ok: Style::default().fg(Color::Green),
            warn: Style::default().fg(Color::Yellow),
            error: Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
            info: Style::default().fg(Color::Blue),
            key: Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            input: Style::default().fg(Color::White),
        }
    }

    pub fn light() -> Theme {
        Theme {
            name: "light".into(),
            base: Style::default().fg(Color::Black),
            muted: Style::default().fg(Color::Gray),
            title: Style::default()
                .fg(Color::Blue)
                .add_modifier(Modifier::BOLD),
            border: Style::default().fg(Color::Gray),
            focus: Style::default().fg(Color::Blue),
            selection: Style::default()
                .bg(Color::Rgb(200, 220, 250))
                .add_modifier(Modifier::BOLD),
            ok: Style::default().fg(Color::Rgb(0, 120, 0)),
            warn: Style::default().fg(Color::Rgb(160, 100, 0)),
            error: Style::default()
                .fg(Color::Rgb(180, 0, 0))
                .add_modifier(Modifier::BOLD),
            info: Style::default().fg(Color::Blue),
            key: Style::default()
                .fg(Color::Blue)
                .add_modifier(Modifier::BOLD),
            input: Style::default().fg(Color::Black),
        }
    }

    /// No colours at all (NO_COLOR): emphasis by bold, reverse and underline only.
    pub fn mono() -> Theme {
        let plain = Style::default();
        Theme {
            name: "mono".into(),
            base: plain,
            muted: plain,
            title: plain.add_modifier(Modifier::BOLD),
            border: plain,
            focus: plain.add_modifier(Modifier::BOLD),
            selection: plain.add_modifier(Modifier::REVERSED),
            ok: plain,
            warn: plain.add_modifier(Modifier::BOLD),
            error: plain.add_modifier(Modifier::BOLD),
            info: plain,
            key: plain.add_modifier(Modifier::BOLD),
            input: plain.add_modifier(Modifier::UNDERLINED),
        }
    }

    pub fn by_name(name: &str) -> Option<Theme> {
        match name {
            "dark" => Some(Theme::dark()),
            "light" => Some(Theme::light()),
            "mono" => Some(Theme::mono()),
            _ => None,
        }
    }

    /// NO_COLOR (any non-empty value) wins over the configured theme.
    pub fn resolve(configured: Option<&str>) -> Result<Theme, String> {
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return Ok(Theme::mono());
        }
        let name = configured.unwrap_or("dark");
        Theme::by_name(name)
            .ok_or_else(|| format!("unknown theme {name:?}; use dark, light or mono"))
    }

    /// Applies `[theme.colors]` overrides from the config file: role = "colour".
    pub fn apply_overrides(
        &mut self,
        overrides: &std::collections::BTreeMap<String, String>,
    ) -> Result<(), String> {
        for (role, colour) in overrides {
            let c: Color = colour.parse().map_err(|_| {
                format!("theme color {role} = {colour:?} is not a colour (e.g. red, #ff8800, 208)")
            })?;
            let slot = match role.as_str() {
                "muted" => &mut self.muted,
                "title" => &mut self.title,
                "border" => &mut self.border,
                "focus" => &mut self.focus,
                "ok" => &mut self.ok,
                "warn" => &mut self.warn,
                "error" => &mut self.error,
                "info" => &mut self.info,
                "key" => &mut self.key,
                "input" => &mut self.input,
                "selection" => {
                    self.selection = self.selection.bg(c);
                    continue;
                }
                other => return Err(format!("unknown theme role {other:?}")),
            };
            *slot = slot.fg(c);
        }
        Ok(())
    }
}

/// The `[theme]` table of the config file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThemeConfig {
    pub name: Option<String>,
    #[serde(default)]
    pub colors: std::collections::BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_overrides() {
        assert!(Theme::by_name("light").is_some());
        assert!(Theme::by_name("neon").is_none());
        let mut t = Theme::dark();
        let o = [("error".to_string(), "#ff8800".to_string())].into();
        t.apply_overrides(&o).unwrap();
        assert_eq!(t.error.fg, Some(Color::Rgb(255, 136, 0)));
        let bad = [("error".to_string(), "blurple".to_string())].into();
        assert!(t.apply_overrides(&bad).is_err());
    }

    #[test]
    fn mono_has_no_colours() {
        let m = Theme::mono();
        for s in [m.ok, m.warn, m.error, m.selection, m.title] {
            assert_eq!((s.fg, s.bg), (None, None));
        }
    }
}
