use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::centered;
use crate::tui::keymap::{Command, Keymap, Mode};
use crate::tui::model::Model;
use crate::tui::theme::Theme;

pub fn draw(m: &Model, theme: &Theme, keymap: &Keymap, frame: &mut Frame, area: Rect) {
    let box_area = centered(area, 72, 11);
    let s = &m.signin;
    // The token is never drawn: a bullet per character shows that something was pasted.
    let n = s.input.value().chars().count();
    let masked = if n == 0 {
        String::new()
    } else {
        format!("{} ({n} characters)", "•".repeat(n.min(40)))
    };
    let mut lines = vec![
        Line::raw(format!(
            "Paste the bot's access token (a JWT) and press {}.",
            keymap.key_name(Mode::SignIn, Command::Submit)
        )),
        Line::styled(
            "It is sent only to the API; never logged or shown.",
            theme.muted,
        ),
        Line::raw(""),
        Line::from(vec![
            ratatui::text::Span::styled("token: ", theme.muted),
            ratatui::text::Span::styled(masked, theme.input),
        ]),
        Line::raw(""),
        Line::styled(
            format!(
                "[{}] remember this token (file readable only by you) — {}",
                if s.remember { "x" } else { " " },
                keymap.key_name(Mode::SignIn, Command::ToggleRemember)
            ),
            theme.muted,
        ),
    ];
    if s.busy {
        lines.push(Line::styled("checking the token…", theme.info));
    }
    if let Some(e) = &s.error {
        lines.push(Line::styled(format!("✗ {e}"), theme.error));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Line::styled(" Sign in ", theme.title));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        box_area,
    );
}
