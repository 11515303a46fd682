use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};

use super::{clip, scroll_offset};
use crate::tui::model::{Annotation, Model, Source};
use crate::tui::theme::Theme;

/// The status column: what sending to this contact would do.
pub fn note_text(n: &Annotation, looking_up: bool) -> (String, bool) {
    if let Some(e) = &n.error {
        return (format!("✗ {e}"), true);
    }
    if let Some(h) = &n.held_by {
        return (format!("held by {h} (skipped)"), true);
    }
    if n.shared > 1 {
        return (format!("{} contacts share it", n.shared), true);
    }
    let mut s = match n.existing {
        None if looking_up => "looking up…".to_string(),
        None => "checked at send".to_string(),
        Some(true) => "existing".to_string(),
        Some(false) => "new".to_string(),
    };
    if let Some(l) = &n.last_invite {
        s.push_str(&format!(" · invited {l}"));
    }
    (s, n.last_invite.is_some())
}

pub fn draw(m: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
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
                    "! only the organization's first {max} are listed; add others by number (a)"
                ),
                theme.warn,
            ),
        ])
    } else {
        Line::styled(
            format!(
                " {} contacts · {} selected · space select · a add · I import · p paste · enter review",
                c.len(),
                c.marked_count()
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
                .or_else(|| r.note().name.clone())
                .unwrap_or_default();
            let source = match r.source {
                Source::Platform => "platform",
                Source::Added => "added",
                Source::Imported => "imported",
            };
            let (status, alert) = note_text(r.note(), r.is_looking_up());
            let warn = r
                .contact()
                .sms_warning()
                .map(|w| format!(" ! {w}"))
                .unwrap_or_default();
            let row = Row::new(vec![
                Cell::from(mark),
                Cell::from(r.contact().e164().to_string()),
                Cell::from(clip(&name, 24)),
                Cell::from(Span::styled(source, theme.muted)),
                Cell::from(Span::styled(
                    format!("{status}{warn}"),
                    if alert || !warn.is_empty() {
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
        let mut lines = vec![Line::styled(
            format!("{} row(s) not used:", c.problems.len()),
            theme.warn,
        )];
        lines.extend(
            c.problems
                .iter()
                .take(usize::from(problems_h) - 1)
                .map(|p| Line::styled(format!("  {p}"), theme.muted)),
        );
        frame.render_widget(Paragraph::new(lines), problems);
    }
}
