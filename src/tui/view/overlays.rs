use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::{centered, clip, shown};
use crate::tui::keymap::{Command, Keymap, Mode};
use crate::tui::model::{EditorKind, Model, Overlay, PickOption};
use crate::tui::theme::Theme;

pub fn draw(m: &Model, theme: &Theme, keymap: &Keymap, frame: &mut Frame, area: Rect) {
    match &m.overlay {
        None => {}
        Some(Overlay::Help { scroll }) => help(m, theme, keymap, frame, area, *scroll),
        Some(Overlay::Prompt(p)) => {
            let r = centered(area, 76, 7);
            frame.render_widget(Clear, r);
            let inner_w = usize::from(r.width.saturating_sub(4));
            let value = p.input.value();
            let scroll = p.input.visual_scroll(inner_w);
            let typed: String = value.chars().skip(scroll).take(inner_w).collect();
            let mut lines = vec![
                Line::styled(format!("> {typed}▏"), theme.input),
                Line::styled(clip(&p.help, inner_w), theme.muted),
            ];
            if let Some(e) = &p.error {
                lines.push(Line::styled(format!("✗ {e}"), theme.error));
            }
            lines.push(Line::styled("enter ok · esc cancel", theme.muted));
            let block = Block::default()
                .borders(Borders::ALL)
                .border_style(theme.focus)
                .title(Line::styled(format!(" {} ", shown(&p.title)), theme.title));
            frame.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .block(block),
                r,
            );
        }
        Some(Overlay::Editor(ed)) => {
            let r = centered(area, 78, 14);
            frame.render_widget(Clear, r);
            let mut area_widget = ed.area.clone();
            let title = match ed.kind {
                EditorKind::TemplateField(i) => format!(
                    " Edit {} — ctrl-s saves, esc cancels ",
                    crate::tui::update::TEMPLATE_FIELDS[i]
                ),
                EditorKind::PasteList => {
                    " Paste or type names and numbers — ctrl-s adds them, esc cancels ".to_string()
                }
            };
            area_widget.set_block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(theme.focus)
                    .title(Line::styled(title, theme.title)),
            );
            area_widget.set_cursor_line_style(ratatui::style::Style::default());
            let bottom = Rect {
                y: r.y + r.height.saturating_sub(1),
                height: 1,
                ..r
            };
            let editor_area = Rect {
                height: r.height.saturating_sub(1),
                ..r
            };
            frame.render_widget(&area_widget, editor_area);
            let note = match (&ed.error, ed.kind) {
                (Some(e), _) => Line::styled(format!(" ✗ {e}"), theme.error),
                (None, EditorKind::PasteList) => Line::styled(
                    " one contact per line or comma-separated: Jan Jansen 06-12345678, Piet 0031 6 …",
                    theme.muted,
                ),
                (None, EditorKind::TemplateField(_)) => {
                    let info = crate::invite::segments::analyze(&ed.area.lines().join("\n"));
                    Line::styled(
                        format!(
                            " {} chars · {} segment(s) before variables are filled · variables like {{givenName|there}}",
                            info.chars, info.segments
                        ),
                        theme.muted,
                    )
                }
            };
            frame.render_widget(Paragraph::new(note), bottom);
        }
        Some(Overlay::Detail {
            title,
            lines,
            scroll,
        }) => detail(theme, frame, area, title, lines, *scroll),
        Some(Overlay::Pick(p)) => {
            let h = (p.options.len() as u16 + 4).min(area.height);
            let r = centered(area, 72, h);
            frame.render_widget(Clear, r);
            let mut lines: Vec<Line> = p
                .options
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    let text = match o {
                        PickOption::One { label, .. } => format!("only {}", shown(label)),
                        PickOption::All { count } => {
                            format!("all of them: {count} invitations to one phone")
                        }
                    };
                    let marker = if i == p.selected { "› " } else { "  " };
                    let style = if i == p.selected {
                        theme.selection
                    } else {
                        theme.base
                    };
                    Line::styled(format!("{marker}{text}"), style)
                })
                .collect();
            lines.push(Line::styled(
                "↑↓ choose · enter ok · esc cancel",
                theme.muted,
            ));
            let block = Block::default()
                .borders(Borders::ALL)
                .border_style(theme.focus)
                .title(Line::styled(
                    format!(" Who gets the invitation to {}? ", p.e164),
                    theme.title,
                ));
            frame.render_widget(Paragraph::new(lines).block(block), r);
        }
        Some(Overlay::ConfirmQuit) => ask(
            theme,
            frame,
            area,
            " Quit while sending? ",
            "Contacts in flight finish; the rest are marked not started and the run can be resumed.",
            "y quit · any other key: keep sending",
        ),
        Some(Overlay::ConfirmCancel) => ask(
            theme,
            frame,
            area,
            " Cancel sending? ",
            "Invitations already sent cannot be recalled. Contacts in flight finish; the rest are not started.",
            "y cancel · any other key: keep sending",
        ),
    }
}

fn ask(theme: &Theme, frame: &mut Frame, area: Rect, title: &str, text: &str, keys: &str) {
    let r = centered(area, 60, 6);
    frame.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.warn)
        .title(Line::styled(title, theme.warn));
    frame.render_widget(
        Paragraph::new(vec![
            Line::raw(text),
            Line::raw(""),
            Line::styled(keys, theme.key),
        ])
        .wrap(Wrap { trim: true })
        .block(block),
        r,
    );
}

/// A row's whole story, wrapped to the pane and scrollable.
fn detail(
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
    title: &str,
    lines: &[String],
    scroll: usize,
) {
    let w = area.width.saturating_sub(4).min(96);
    // As tall as the wrapped text, up to the screen.
    let rows: usize = lines
        .iter()
        .map(|l| textwrap::wrap(l, usize::from(w.max(1))).len().max(1))
        .sum();
    let h = u16::try_from(rows + 2)
        .unwrap_or(u16::MAX)
        .min(area.height.saturating_sub(2));
    let r = centered(area, w + 2, h);
    frame.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.focus)
        .title(Line::styled(
            format!(
                " {} — ↑↓ scroll · any other key closes ",
                clip(&shown(title), 50)
            ),
            theme.title,
        ));
    let text: Vec<Line> = lines
        .iter()
        .map(|l| Line::raw(shown(l).into_owned()))
        .collect();
    let offset = u16::try_from(scroll).unwrap_or(u16::MAX);
    frame.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: false })
            .scroll((offset, 0))
            .block(block),
        r,
    );
}

/// Lines below the key groups: where the log is and how to change keys.
const HELP_FOOTER: usize = 3;

/// How many lines the help for the current screen has.
fn help_len(m: &Model, keymap: &Keymap) -> usize {
    let groups = keymap.help(m.mode());
    groups.iter().map(|(_, rows)| rows.len() + 1).sum::<usize>() + HELP_FOOTER
}

/// The last line the help can start at in the terminal as it is now (0 when it fits), so
/// scrolling stops at the end instead of running on invisibly.
pub fn help_max_scroll(m: &Model, keymap: &Keymap) -> usize {
    let len = help_len(m, keymap);
    let visible = usize::from(m.size.1.saturating_sub(2));
    len.saturating_sub(visible)
}

fn help(m: &Model, theme: &Theme, keymap: &Keymap, frame: &mut Frame, area: Rect, scroll: usize) {
    let groups = keymap.help(m.mode());
    let mut lines = Vec::new();
    for (group, rows) in groups {
        lines.push(Line::styled(group, theme.title));
        for (keys, desc) in rows {
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<16}"), theme.key),
                Span::raw(desc),
            ]));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!("log: {}", m.log_file.display()),
        theme.muted,
    ));
    lines.push(Line::styled(
        "keys and theme: [keys.MODE] and [theme] in config.toml",
        theme.muted,
    ));
    debug_assert_eq!(lines.len(), help_len(m, keymap));
    let len = lines.len();
    let h = (len as u16 + 2).min(area.height);
    let r = centered(area, 64, h);
    let last = len.saturating_sub(usize::from(h.saturating_sub(2)));
    let scroll = scroll.min(last);
    let title = if last == 0 {
        " Keys (any key closes) ".to_string()
    } else {
        let key = |c| keymap.key_for(Mode::Help, c).map(|k| k.to_string());
        let keys = [key(Command::Down), key(Command::Up)]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        format!(
            " Keys {}-{} of {len} · {keys} scroll · other keys close ",
            scroll + 1,
            (scroll + usize::from(h.saturating_sub(2))).min(len)
        )
    };
    frame.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.focus)
        .title(Line::styled(title, theme.title));
    let offset = u16::try_from(scroll).unwrap_or(u16::MAX);
    frame.render_widget(Paragraph::new(lines).scroll((offset, 0)).block(block), r);
}
