use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::{centered, clip, shown};
use crate::tui::help::{self, HelpLine};
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
            lines.push(Line::styled(
                keymap.menu(
                    Mode::Prompt,
                    &[(Command::Submit, "ok"), (Command::Back, "cancel")],
                ),
                theme.muted,
            ));
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
            let key = |c| keymap.key_name(Mode::Editor, c);
            let (done, cancel) = (key(Command::Submit), key(Command::Back));
            let title = match ed.kind {
                EditorKind::TemplateField(field) => {
                    format!(" Edit {} — {done} saves, {cancel} cancels ", field.name())
                }
                EditorKind::PasteList => format!(
                    " Paste or type names and numbers — {done} adds them, {cancel} cancels "
                ),
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
        }) => detail(theme, keymap, frame, area, title, lines, *scroll),
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
                format!(
                    "{} choose · {}",
                    keymap.up_down(Mode::Pick),
                    keymap.menu(
                        Mode::Pick,
                        &[(Command::Submit, "ok"), (Command::Back, "cancel")]
                    )
                ),
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
            &format!(
                "{} quit · any other key: keep sending",
                keymap.key_name(Mode::Question, Command::Yes)
            ),
        ),
        Some(Overlay::ConfirmCancel) => ask(
            theme,
            frame,
            area,
            " Cancel sending? ",
            "Invitations already sent cannot be recalled. Contacts in flight finish; the rest are not started.",
            &format!(
                "{} cancel · any other key: keep sending",
                keymap.key_name(Mode::Question, Command::Yes)
            ),
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
    keymap: &Keymap,
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
                " {} — {} scroll · any other key closes ",
                clip(&shown(title), 50),
                keymap.up_down(Mode::Detail)
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

fn help(m: &Model, theme: &Theme, keymap: &Keymap, frame: &mut Frame, area: Rect, scroll: usize) {
    let lines: Vec<Line> = help::lines(m, keymap)
        .into_iter()
        .map(|l| match l {
            HelpLine::Group(group) => Line::styled(group, theme.title),
            HelpLine::Keys { keys, what } => Line::from(vec![
                Span::styled(format!("  {keys:<16}"), theme.key),
                Span::raw(what),
            ]),
            HelpLine::Blank => Line::raw(""),
            HelpLine::Note(note) => Line::styled(note, theme.muted),
        })
        .collect();
    let len = lines.len();
    let h = (len as u16 + 2).min(area.height);
    let r = centered(area, 64, h);
    let shown_lines = help::visible_lines(h);
    let last = len.saturating_sub(shown_lines);
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
            (scroll + shown_lines).min(len)
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
