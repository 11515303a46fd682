use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};

use super::{clip, scroll_offset, shown};
use crate::tui::keymap::{Command, Keymap, Mode};
use crate::tui::model::Model;
use crate::tui::theme::Theme;

pub fn draw(m: &Model, theme: &Theme, keymap: &Keymap, frame: &mut Frame, area: Rect) {
    let [top, table_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
    let nav = &m.runs.nav;
    let top_line = if nav.filtering || !nav.filter.value().is_empty() {
        Line::from(vec![
            Span::styled(" search: ", theme.muted),
            Span::styled(
                format!(
                    "{}{}",
                    nav.filter.value(),
                    if nav.filtering { "▏" } else { "" }
                ),
                theme.input,
            ),
        ])
    } else if m.runs.loading {
        Line::styled(" reading the run journals…", theme.info)
    } else {
        Line::styled(
            format!(
                " {} run(s), newest first · {}",
                m.runs.rows.len(),
                keymap.menu(
                    Mode::Runs,
                    &[
                        (
                            Command::Filter,
                            "search by phone number, organization or run"
                        ),
                        (Command::Open, "opens one"),
                    ]
                )
            ),
            theme.muted,
        )
    };
    frame.render_widget(Paragraph::new(top_line), top);
    let visible = m.runs.visible();
    let height = usize::from(table_area.height.saturating_sub(2));
    let offset = scroll_offset(nav.selected, height);
    let counts_w = usize::from(table_area.width.saturating_sub(18 + 24 + 22 + 10)).max(10);
    let rows: Vec<Row> = visible
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(pos, &i)| {
            let r = &m.runs.rows[i];
            let run = &r.listing.run;
            let summary = run.summary();
            let state = if run.finished { "" } else { " (unfinished)" };
            // Who came back, as followers journalled it; nothing when nothing was followed.
            let back = match &r.follow {
                f if f.followed == 0 => Span::raw(""),
                f => Span::styled(
                    format!("{} of {}", f.came_back, f.followed),
                    if f.came_back > 0 {
                        theme.came_back
                    } else {
                        theme.muted
                    },
                ),
            };
            let row = Row::new(vec![
                Cell::from(run.header.started_at.format("%Y-%m-%d %H:%M").to_string()),
                Cell::from(clip(&shown(&run.header.org_name), 22)),
                Cell::from(Span::styled(clip(&run.header.run, 20), theme.muted)),
                Cell::from(back),
                Cell::from(Span::styled(
                    clip(&format!("{}{state}", summary.counts()), counts_w),
                    if summary.exit_code() == 0 {
                        theme.base
                    } else {
                        theme.warn
                    },
                )),
            ]);
            if pos == nav.selected {
                row.style(theme.selection)
            } else {
                row
            }
        })
        .collect();
    let empty = rows.is_empty() && !m.runs.loading;
    let table = Table::new(
        rows,
        [
            Constraint::Length(17),
            Constraint::Length(23),
            Constraint::Length(21),
            Constraint::Length(9),
            Constraint::Min(10),
        ],
    )
    .header(
        Row::new(vec![
            "STARTED (UTC)",
            "ORGANIZATION",
            "RUN",
            "BACK",
            "CONTACTS",
        ])
        .style(theme.title),
    )
    .block(
        Block::default()
            .borders(Borders::TOP)
            .border_style(theme.border),
    );
    frame.render_widget(table, table_area);
    if empty {
        let msg = if nav.filter.value().is_empty() {
            "no runs yet: every send is journalled here".to_string()
        } else {
            format!(
                "no run matches the search ({} clears it)",
                keymap.key_name(Mode::Runs, Command::Back)
            )
        };
        super::empty_table_note(frame, table_area, theme, msg);
    }
}
