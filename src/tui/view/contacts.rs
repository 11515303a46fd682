use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};

use super::{clip, scroll_offset, shown};
use crate::tui::keymap::{Command, Keymap, Mode};
use crate::tui::model::{Model, Source};
use crate::tui::theme::Theme;

pub fn draw(m: &Model, theme: &Theme, keymap: &Keymap, frame: &mut Frame, area: Rect) {
    let c = &m.contacts;
    let problems_h = if c.problems.is_empty() {
        0
    } else {
        (c.problems.len() as u16 + 1).min(5)
    };
    let [top, table_area, problems] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(problems_h),
    ])
    .areas(area);
    let top_line = if c.nav.filtering || !c.nav.filter.value().is_empty() {
        Line::from(vec![
            Span::styled(" filter: ", theme.muted),
            Span::styled(
                format!(
                    "{}{}",
                    c.nav.filter.value(),
                    if c.nav.filtering { "▏" } else { "" }
                ),
                theme.input,
            ),
        ])
    } else if c.loading {
        Line::styled(" loading the organization's contacts…", theme.info)
    } else if let Some(max) = c.platform_capped {
        Line::from(vec![
            Span::styled(
                format!(" {} contacts · {} selected · ", c.len(), c.marked_count()),
                theme.muted,
            ),
            Span::styled(
                format!(
                    "! only the organization's first {max} are listed; add others by number ({})",
                    keymap.key_name(Mode::Contacts, Command::Add)
                ),
                theme.warn,
            ),
        ])
    } else {
        Line::styled(
            format!(
                " {} contacts · {} selected · {}",
                c.len(),
                c.marked_count(),
                keymap.menu(
                    Mode::Contacts,
                    &[
                        (Command::Toggle, "select"),
                        (Command::Add, "add"),
                        (Command::Import, "import"),
                        (Command::Paste, "paste"),
                        (Command::Review, "review"),
                        (Command::Details, "details"),
                    ]
                )
            ),
            theme.muted,
        )
    };
    frame.render_widget(Paragraph::new(top_line), top);
    let visible = m.visible_contacts();
    let height = usize::from(table_area.height.saturating_sub(2));
    let offset = scroll_offset(c.nav.selected, height);
    let rows: Vec<Row> = visible
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(pos, &i)| {
            let r = &c.rows()[i];
            let mark = if r.is_marked() { "[x]" } else { "[ ]" };
            let name = r
                .contact()
                .full_name()
                .or_else(|| r.lookup().name().map(str::to_string))
                .unwrap_or_default();
            let source = match r.source {
                Source::Platform => "platform",
                Source::Added => "added",
                Source::Imported => "imported",
            };
            let status = r.status(m.clock);
            let warn = r
                .contact()
                .sms_warning()
                .map(|w| format!(" ! {w}"))
                .unwrap_or_default();
            let row = Row::new(vec![
                Cell::from(mark),
                Cell::from(r.contact().e164().to_string()),
                Cell::from(clip(&shown(&name), 24)),
                Cell::from(Span::styled(source, theme.muted)),
                Cell::from(Span::styled(
                    shown(&format!("{}{warn}", status.text)).into_owned(),
                    if status.alert || !warn.is_empty() {
                        theme.warn
                    } else {
                        theme.base
                    },
                )),
            ]);
            if pos == c.nav.selected {
                row.style(theme.selection)
            } else {
                row
            }
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(3),
            Constraint::Length(16),
            Constraint::Length(24),
            Constraint::Length(8),
            Constraint::Min(10),
        ],
    )
    .header(Row::new(vec!["", "NUMBER", "NAME", "SOURCE", "STATUS"]).style(theme.title))
    .block(
        Block::default()
            .borders(Borders::TOP)
            .border_style(theme.border),
    );
    frame.render_widget(table, table_area);
    if problems_h > 0 {
        let visible_lines = usize::from(problems_h) - 1;
        let first = c
            .problems_scroll
            .min(c.problems.len().saturating_sub(visible_lines));
        let switch = keymap.key_name(Mode::Contacts, Command::SwitchPanel);
        let how = if c.problems_focus {
            format!(
                " ({} scroll · {switch} back to the list)",
                keymap.up_down(Mode::Contacts)
            )
        } else if c.problems.len() > visible_lines {
            format!(" ({switch} to scroll)")
        } else {
            String::new()
        };
        let mut lines = vec![Line::styled(
            format!(
                "{} line(s) not added, {}-{}{how}:",
                c.problems.len(),
                first + 1,
                (first + visible_lines).min(c.problems.len())
            ),
            if c.problems_focus {
                theme.focus
            } else {
                theme.warn
            },
        )];
        let w = usize::from(problems.width.saturating_sub(2));
        lines.extend(
            c.problems
                .iter()
                .skip(first)
                .take(visible_lines)
                .map(|p| Line::styled(format!("  {}", clip(&shown(p), w)), theme.muted)),
        );
        frame.render_widget(Paragraph::new(lines), problems);
    }
}
