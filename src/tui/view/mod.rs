//! Pure rendering: `view(&Model, …)` draws a frame and changes nothing. Layout: a header line,
//! the screen, a status/toast line and the key-hint bar generated from the keymap.

mod confirm;
mod contacts;
mod orgs;
mod overlays;
pub(crate) use overlays::help_max_scroll;
mod sending;
mod signin;
mod template;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::keymap::Keymap;
use super::model::{Level, Model, Screen};
use super::theme::Theme;
use super::update::mode;

/// Smaller than this, the screen says so instead of drawing a broken layout.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 10;

pub fn view(m: &Model, theme: &Theme, keymap: &Keymap, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(theme, frame, area);
        return;
    }
    let [header, body, status, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(m, theme, frame, header);
    match m.screen {
        Screen::SignIn => signin::draw(m, theme, frame, body),
        Screen::Orgs => orgs::draw_orgs(m, theme, frame, body),
        Screen::Readiness => orgs::draw_readiness(m, theme, frame, body),
        Screen::Contacts => contacts::draw(m, theme, frame, body),
        Screen::Template => template::draw(m, theme, frame, body),
        Screen::Confirm => confirm::draw(m, theme, frame, body),
        Screen::Sending => sending::draw(m, theme, frame, body),
    }
    draw_status(m, theme, frame, status);
    draw_hints(m, theme, keymap, frame, hints);
    overlays::draw(m, theme, keymap, frame, area);
}

fn too_small(theme: &Theme, frame: &mut Frame, area: Rect) {
    let text = vec![
        Line::styled("Terminal too small", theme.warn),
        Line::raw(format!(
            "{}x{}; need {MIN_WIDTH}x{MIN_HEIGHT}",
            area.width, area.height
        )),
        Line::styled("enlarge the window, or q to quit", theme.muted),
    ];
    frame.render_widget(
        Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: true }),
        area,
    );
}

fn draw_header(m: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let mut spans = vec![Span::styled(" sms-invite ", theme.title)];
    if let Some(s) = &m.session {
        let demo = if s.demo { " [DEMO sandbox]" } else { "" };
        spans.push(Span::styled(format!("· {}{demo} ", s.name), theme.base));
    }
    if let Some(org) = m
        .org
        .as_ref()
        .filter(|_| m.screen != Screen::Orgs && m.screen != Screen::SignIn)
    {
        spans.push(Span::styled(format!("· {} ", org.label()), theme.focus));
    }
    let title = match m.screen {
        Screen::SignIn => "sign in",
        Screen::Orgs => "organizations",
        Screen::Readiness => "SMS readiness",
        Screen::Contacts => "contacts",
        Screen::Template => "template",
        Screen::Confirm => "confirm",
        Screen::Sending => "sending",
    };
    spans.push(Span::styled(format!("› {title}"), theme.muted));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn level_style(theme: &Theme, level: Level) -> Style {
    match level {
        Level::Info => theme.info,
        Level::Ok => theme.ok,
        Level::Warn => theme.warn,
        Level::Error => theme.error,
    }
}

fn draw_status(m: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    if let Some(t) = &m.toast {
        let mark = match t.level {
            Level::Info => "i",
            Level::Ok => "✓",
            Level::Warn => "!",
            Level::Error => "✗",
        };
        frame.render_widget(
            Paragraph::new(Line::styled(
                format!(" {mark} {}", t.text),
                level_style(theme, t.level),
            )),
            area,
        );
    }
}

fn draw_hints(m: &Model, theme: &Theme, keymap: &Keymap, frame: &mut Frame, area: Rect) {
    let mut spans = Vec::new();
    let mut width = 0usize;
    for (key, desc) in keymap.hints(mode(m)) {
        let item = key.chars().count() + desc.chars().count() + 3;
        if width + item > usize::from(area.width) {
            break;
        }
        width += item;
        spans.push(Span::styled(format!(" {key}"), theme.key));
        spans.push(Span::styled(format!(" {desc} "), theme.muted));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// A rectangle of at most `w`×`h` in the middle of `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// Cuts `s` to `max` characters with an ellipsis.
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else if max == 0 {
        String::new()
    } else {
        format!("{}…", s.chars().take(max - 1).collect::<String>())
    }
}

/// The first row to show so that `selected` stays visible in `height` rows.
pub fn scroll_offset(selected: usize, height: usize) -> usize {
    if height == 0 {
        0
    } else {
        selected.saturating_sub(height - 1)
    }
}
