//! Pure rendering: `view(&Model, …)` draws a frame and changes nothing. Layout: a header line,
//! the screen, a status/toast line and the key-hint bar generated from the keymap.

mod confirm;
mod contacts;
mod orgs;
mod overlays;
mod runs;
mod sending;
mod signin;
mod template;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use unicode_width::UnicodeWidthStr;

/// Text from outside (names, reasons) as the screen shows it: control characters and
/// bidirectional overrides escaped, so a name cannot act on the terminal or disguise itself.
pub(crate) use crate::safe_text::printable as shown;

use super::keymap::{Command, Keymap, Mode};
use super::model::{Level, Model, Screen};
use super::theme::Theme;

/// Smaller than this, the screen says so instead of drawing a broken layout.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 10;

pub fn view(m: &Model, theme: &Theme, keymap: &Keymap, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(m, theme, keymap, frame, area);
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
        Screen::SignIn => signin::draw(m, theme, keymap, frame, body),
        Screen::Orgs => orgs::draw_orgs(m, theme, keymap, frame, body),
        Screen::Readiness => orgs::draw_readiness(m, theme, keymap, frame, body),
        Screen::Contacts => contacts::draw(m, theme, keymap, frame, body),
        Screen::Template => template::draw(m, theme, frame, body),
        Screen::Confirm => confirm::draw(m, theme, keymap, frame, body),
        Screen::Sending => sending::draw(m, theme, keymap, frame, body),
        Screen::Runs => runs::draw(m, theme, keymap, frame, body),
    }
    draw_status(m, theme, frame, status);
    draw_hints(m, theme, keymap, frame, hints);
    overlays::draw(m, theme, keymap, frame, area);
    defuse(frame.buffer_mut());
}

/// The last guard: a cell whose text would act on the terminal (a control character, a
/// bidirectional override that some text from outside brought in where [`shown`] was not
/// applied) is drawn as a visible replacement character instead.
fn defuse(buf: &mut ratatui::buffer::Buffer) {
    for cell in buf.content.iter_mut() {
        if cell.symbol().chars().any(crate::safe_text::needs_escape) {
            cell.set_symbol("\u{fffd}");
        }
    }
}

fn too_small(m: &Model, theme: &Theme, keymap: &Keymap, frame: &mut Frame, area: Rect) {
    let text = vec![
        Line::styled("Terminal too small", theme.warn),
        Line::raw(format!(
            "{}x{}; need {MIN_WIDTH}x{MIN_HEIGHT}",
            area.width, area.height
        )),
        Line::styled(
            format!(
                "enlarge the window, or {} to quit",
                keymap.key_name(m.mode(), Command::Quit)
            ),
            theme.muted,
        ),
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
        spans.push(Span::styled(
            format!("· {}{demo} ", shown(&s.name)),
            theme.base,
        ));
    }
    if let Some(org) = m
        .org
        .as_ref()
        .filter(|_| m.screen != Screen::Orgs && m.screen != Screen::SignIn)
    {
        spans.push(Span::styled(
            format!("· {} ", shown(org.label())),
            theme.focus,
        ));
    }
    let title = match m.screen {
        Screen::SignIn => "sign in",
        Screen::Orgs => "organizations",
        Screen::Readiness => "SMS readiness",
        Screen::Contacts => "contacts",
        Screen::Template => "template",
        Screen::Confirm => "confirm",
        Screen::Sending if !m.sending_now() => "done",
        Screen::Sending => "sending",
        Screen::Runs => "runs",
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
                format!(" {mark} {}", shown(&t.text)),
                level_style(theme, t.level),
            )),
            area,
        );
    }
}

/// Commands the current state refuses, left out of the hint bar: the send key while the
/// readiness report does not allow sending, the decision keys when nothing needs one.
fn unavailable(m: &Model) -> Vec<Command> {
    match m.mode() {
        Mode::Confirm => {
            let mut out = Vec::new();
            if !m.confirm.can_send() {
                out.push(Command::Send);
            }
            if m.confirm.attention().is_empty() {
                out.extend([Command::Choose, Command::Force, Command::ForceAll]);
            }
            out
        }
        _ => vec![],
    }
}

fn draw_hints(m: &Model, theme: &Theme, keymap: &Keymap, frame: &mut Frame, area: Rect) {
    let mut spans = Vec::new();
    let mut width = 0usize;
    let hidden = unavailable(m);
    for (key, desc, _) in keymap
        .hints(m.mode())
        .into_iter()
        .filter(|(_, _, c)| !hidden.contains(c))
    {
        let item = key.width() + desc.width() + 3;
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
    area.centered(
        Constraint::Length(w.min(area.width)),
        Constraint::Length(h.min(area.height)),
    )
}

/// The line that says why a table is empty, where its first row would be (under the border
/// and the header).
pub fn empty_table_note(frame: &mut Frame, table_area: Rect, theme: &Theme, text: String) {
    frame.render_widget(
        Paragraph::new(Line::styled(text, theme.muted)),
        Rect {
            y: table_area.y + 2,
            height: 1,
            ..table_area
        },
    );
}

/// Cuts `s` to `max` terminal columns with an ellipsis (see [`crate::safe_text::clip`]).
pub fn clip(s: &str, max: usize) -> String {
    crate::safe_text::clip(s, max).into_owned()
}

/// The first row to show so that `selected` stays visible in `height` rows.
pub fn scroll_offset(selected: usize, height: usize) -> usize {
    if height == 0 {
        0
    } else {
        selected.saturating_sub(height - 1)
    }
}
