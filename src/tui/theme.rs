//! Semantic colour roles. Views ask for `theme.error`, never for a colour, so the dark, light
//! and mono themes (and user overrides) change everything at once. Meaning is never carried by
//! colour alone: every status also has a word or a symbol.

use ratatui::style::{Color, Modifier, Style};

use crate::config::ThemeConfig;

#[derive(Clone, Debug, PartialEq)]
pub struct Theme {
    pub name: String,
    /// The terminal background the colours are chosen for (the theme does not paint it);
    /// every text colour keeps a contrast of at least 4.5:1 against it.
    pub background: Color,
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
    /// A customer who came back after the invitation (followed conversations).
    pub came_back: Style,
    /// A problem the platform reported about an invitation (its status text as is).
    pub problem: Style,
}

impl Theme {
    pub fn dark() -> Theme {
        Theme {
            name: "dark".into(),
            background: Color::Black,
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
            error: Style::default()
                .fg(Color::LightRed)
                .add_modifier(Modifier::BOLD),
            info: Style::default().fg(Color::Rgb(110, 160, 255)),
            key: Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            input: Style::default().fg(Color::White),
            came_back: Style::default()
                .fg(Color::LightGreen)
                .add_modifier(Modifier::BOLD),
            problem: Style::default().fg(Color::Rgb(255, 150, 70)),
        }
    }

    pub fn light() -> Theme {
        // Explicit colours: a light terminal's palette often makes "gray" unreadable.
        let blue = Color::Rgb(0, 70, 160);
        Theme {
            name: "light".into(),
            background: Color::Rgb(255, 255, 255),
            base: Style::default().fg(Color::Black),
            muted: Style::default().fg(Color::Rgb(96, 96, 96)),
            title: Style::default().fg(blue).add_modifier(Modifier::BOLD),
            border: Style::default().fg(Color::Rgb(150, 150, 150)),
            focus: Style::default().fg(blue),
            selection: Style::default()
                .bg(Color::Rgb(200, 220, 250))
                .add_modifier(Modifier::BOLD),
            ok: Style::default().fg(Color::Rgb(0, 120, 0)),
            warn: Style::default().fg(Color::Rgb(160, 100, 0)),
            error: Style::default()
                .fg(Color::Rgb(180, 0, 0))
                .add_modifier(Modifier::BOLD),
            info: Style::default().fg(blue),
            key: Style::default().fg(blue).add_modifier(Modifier::BOLD),
            input: Style::default().fg(Color::Black),
            came_back: Style::default()
                .fg(Color::Rgb(0, 110, 0))
                .add_modifier(Modifier::BOLD),
            problem: Style::default().fg(Color::Rgb(170, 60, 0)),
        }
    }

    /// No colours at all (NO_COLOR): emphasis by bold, reverse and underline only.
    pub fn mono() -> Theme {
        let plain = Style::default();
        Theme {
            name: "mono".into(),
            background: Color::Reset,
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
            came_back: plain.add_modifier(Modifier::BOLD),
            problem: plain.add_modifier(Modifier::BOLD),
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

    /// The theme the config file's `[theme]` asks for: `flag` (`--theme`) beats the file's
    /// name, NO_COLOR beats both, and the file's colours apply to any theme but mono.
    pub fn configured(config: &ThemeConfig, flag: Option<&str>) -> Result<Theme, String> {
        let mut t = Theme::resolve(flag.or(config.name.as_deref()))?;
        if t.name != "mono" {
            t.apply_overrides(&config.colors)
                .map_err(|e| format!("[theme.colors] {e}"))?;
        }
        Ok(t)
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
                "came_back" => &mut self.came_back,
                "problem" => &mut self.problem,
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

/// A colour as red, green and blue, for the named colours as xterm draws them by default.
pub fn rgb(c: Color) -> Option<(u8, u8, u8)> {
    const BASIC: [(u8, u8, u8); 16] = [
        (0, 0, 0),
        (205, 0, 0),
        (0, 205, 0),
        (205, 205, 0),
        (0, 0, 238),
        (205, 0, 205),
        (0, 205, 205),
        (229, 229, 229),
        (127, 127, 127),
        (255, 0, 0),
        (0, 255, 0),
        (255, 255, 0),
        (92, 92, 255),
        (255, 0, 255),
        (0, 255, 255),
        (255, 255, 255),
    ];
    let i = match c {
        Color::Rgb(r, g, b) => return Some((r, g, b)),
        Color::Black => 0,
        Color::Red => 1,
        Color::Green => 2,
        Color::Yellow => 3,
        Color::Blue => 4,
        Color::Magenta => 5,
        Color::Cyan => 6,
        Color::Gray => 7,
        Color::DarkGray => 8,
        Color::LightRed => 9,
        Color::LightGreen => 10,
        Color::LightYellow => 11,
        Color::LightBlue => 12,
        Color::LightMagenta => 13,
        Color::LightCyan => 14,
        Color::White => 15,
        Color::Indexed(n) if n < 16 => usize::from(n),
        Color::Indexed(n) if n >= 232 => {
            let v = 8 + 10 * (n - 232);
            return Some((v, v, v));
        }
        Color::Indexed(n) => {
            let n = n - 16;
            let level = |x: u8| if x == 0 { 0 } else { 55 + 40 * x };
            return Some((level(n / 36), level(n / 6 % 6), level(n % 6)));
        }
        Color::Reset => return None,
    };
    Some(BASIC[i])
}

/// The WCAG contrast ratio of two colours (1 to 21).
pub fn contrast(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
    fn channel(v: u8) -> f64 {
        let c = f64::from(v) / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    }
    let lum =
        |(r, g, b): (u8, u8, u8)| 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    let (x, y) = (lum(a), lum(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
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

    /// Every role that colours text is readable on the background the theme is made for.
    #[test]
    fn text_colours_have_a_contrast_of_at_least_4_5_to_1() {
        for t in [Theme::dark(), Theme::light()] {
            let bg = rgb(t.background).expect("a background");
            for (role, style) in [
                ("base", t.base),
                ("muted", t.muted),
                ("title", t.title),
                ("focus", t.focus),
                ("ok", t.ok),
                ("warn", t.warn),
                ("error", t.error),
                ("info", t.info),
                ("key", t.key),
                ("input", t.input),
                ("came_back", t.came_back),
                ("problem", t.problem),
            ] {
                let Some(fg) = style.fg.and_then(rgb) else {
                    continue;
                };
                let ratio = contrast(fg, bg);
                assert!(
                    ratio >= 4.5,
                    "{} theme, {role}: {ratio:.2}:1 against its background",
                    t.name
                );
            }
        }
        // The measure itself: black on white is 21:1, a colour on itself 1:1.
        assert!((contrast((0, 0, 0), (255, 255, 255)) - 21.0).abs() < 0.01);
        assert!((contrast((96, 96, 96), (96, 96, 96)) - 1.0).abs() < 0.01);
        // The grey the light theme used to have was far too faint.
        assert!(contrast(rgb(Color::Gray).unwrap_or_default(), (255, 255, 255)) < 2.0);
    }

    #[test]
    fn the_flag_beats_the_file_and_bad_colours_are_named() {
        let config = ThemeConfig {
            name: Some("light".into()),
            colors: [("warn".to_string(), "208".to_string())].into(),
        };
        if std::env::var_os("NO_COLOR").is_none() {
            let t = Theme::configured(&config, None).unwrap();
            assert_eq!(
                (t.name.as_str(), t.warn.fg),
                ("light", Some(Color::Indexed(208)))
            );
            assert_eq!(
                Theme::configured(&config, Some("dark")).unwrap().name,
                "dark"
            );
        }
        let bad = ThemeConfig {
            colors: [("warn".to_string(), "blurple".to_string())].into(),
            ..config
        };
        if std::env::var_os("NO_COLOR").is_none() {
            let e = Theme::configured(&bad, None).unwrap_err();
            assert!(
                e.starts_with("[theme.colors]") && e.contains("blurple"),
                "{e}"
            );
        }
    }

    #[test]
    fn mono_has_no_colours() {
        let m = Theme::mono();
        for s in [
            m.ok,
            m.warn,
            m.error,
            m.selection,
            m.title,
            m.came_back,
            m.problem,
        ] {
            assert_eq!((s.fg, s.bg), (None, None));
        }
    }
}
