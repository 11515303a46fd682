use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};

use super::{clip, scroll_offset, shown};
use crate::invite::readiness::{Action, Report, SmsStatus, Verdict};
use crate::tui::keymap::{Command, Keymap, Mode};
use crate::tui::model::Model;
use crate::tui::theme::Theme;

/// Who is signed in: name, organization, scope and until when the token is valid.
pub fn session_line<'a>(m: &Model, theme: &Theme) -> Line<'a> {
    let Some(s) = &m.session else {
        return Line::raw("");
    };
    let role = ["admin", "bot", "agent"]
        .into_iter()
        .find(|r| s.scope.split_whitespace().any(|x| x == *r))
        .unwrap_or("no send scope");
    let expiry = match s.expires {
        None => "token never expires".to_string(),
        Some(exp) if exp <= m.clock => "token expired (renewed when possible)".to_string(),
        Some(exp) => format!("token until {}", exp.format("%Y-%m-%d %H:%M UTC")),
    };
    let org = m
        .orgs
        .rows
        .iter()
        .find(|o| o.org.id == s.organization)
        .map(|o| o.org.label().to_string())
        .unwrap_or_else(|| s.organization.clone());
    Line::styled(
        format!(
            " signed in as {} ({role}) of {} · {expiry}",
            shown(&s.name),
            shown(&org)
        ),
        theme.muted,
    )
}

pub fn draw_orgs(m: &Model, theme: &Theme, keymap: &Keymap, frame: &mut Frame, area: Rect) {
    let [session_area, filter_area, table_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(session_line(m, theme)), session_area);
    let nav = &m.orgs.nav;
    let filter = if nav.filtering || !nav.filter.value().is_empty() {
        Line::from(vec![
            Span::styled(" filter: ", theme.muted),
            Span::styled(
                format!(
                    "{}{}",
                    nav.filter.value(),
                    if nav.filtering { "▏" } else { "" }
                ),
                theme.input,
            ),
        ])
    } else if m.orgs.loading {
        Line::styled(" loading organizations and their SMS services…", theme.info)
    } else if let Some(e) = &m.orgs.error {
        Line::styled(
            format!(
                " ✗ {e} ({} to retry)",
                keymap.key_name(Mode::Orgs, Command::Refresh)
            ),
            theme.error,
        )
    } else {
        Line::styled(
            format!(
                " {} organizations · {}",
                m.orgs.rows.len(),
                keymap.menu(
                    Mode::Orgs,
                    &[
                        (Command::Filter, "to filter"),
                        (Command::Open, "for the readiness report"),
                        (Command::InviteOne, "to re-invite one number"),
                    ]
                )
            ),
            theme.muted,
        )
    };
    frame.render_widget(Paragraph::new(filter), filter_area);
    let visible = m.visible_orgs();
    let min_depth = m
        .orgs
        .rows
        .iter()
        .map(|o| o.org.ancestors().len())
        .min()
        .unwrap_or(0);
    let height = usize::from(table_area.height.saturating_sub(2));
    let offset = scroll_offset(nav.selected, height);
    let name_w = usize::from(table_area.width / 2).max(10);
    let detail_w = usize::from(table_area.width).saturating_sub(name_w + 14);
    let rows: Vec<Row> = visible
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(pos, &i)| {
            let o = &m.orgs.rows[i];
            let depth = o.org.ancestors().len().saturating_sub(min_depth);
            let (word, style) = match &o.status {
                SmsStatus::Ready { .. } => ("✓ ready", theme.ok),
                SmsStatus::NotReady { .. } => ("✗ not ready", theme.error),
                SmsStatus::Unknown { .. } => ("? unknown", theme.warn),
            };
            let row = Row::new(vec![
                Cell::from(clip(
                    &format!("{}{}", "  ".repeat(depth), shown(o.org.label())),
                    name_w,
                )),
                Cell::from(Span::styled(word, style)),
                Cell::from(Span::styled(
                    clip(&shown(&o.status.detail()), detail_w),
                    theme.muted,
                )),
            ]);
            if pos == nav.selected {
                row.style(theme.selection)
            } else {
                row
            }
        })
        .collect();
    let empty = rows.is_empty() && !m.orgs.loading;
    let table = Table::new(
        rows,
        [
            Constraint::Length(name_w as u16),
            Constraint::Length(12),
            Constraint::Min(10),
        ],
    )
    .header(Row::new(vec!["ORGANIZATION", "SMS", "DETAIL"]).style(theme.title))
    .block(
        Block::default()
            .borders(Borders::TOP)
            .border_style(theme.border),
    );
    frame.render_widget(table, table_area);
    if empty {
        let msg = if nav.filter.value().is_empty() {
            "no organizations visible to this token".to_string()
        } else {
            format!(
                "no organization matches the filter ({} clears it)",
                keymap.key_name(Mode::Orgs, Command::Back)
            )
        };
        super::empty_table_note(frame, table_area, theme, msg);
    }
}

/// How much of the readiness report to show.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ReportView {
    /// Every line in full (the readiness screen).
    Full,
    /// Lines that are ready collapse into one, except the link address, which the operator
    /// should see before sending (the confirm screen).
    Compact,
}

/// Where a line's detail starts: after the verdict and the check's name.
const DETAIL_AT: usize = 27;

/// The readiness report's lines, in the words `check` prints, with the key for a fix in
/// `mode`. Long details wrap under themselves, `width` columns wide.
pub fn report_lines<'a>(
    report: &Report,
    theme: &Theme,
    (keymap, mode): (&Keymap, Mode),
    width: usize,
    view: ReportView,
) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    let collapsed: Vec<&str> = report
        .items
        .iter()
        .filter(|i| view == ReportView::Compact && i.verdict == Verdict::Ready && i.check != "link")
        .map(|i| i.check)
        .collect();
    if !collapsed.is_empty() {
        lines.push(Line::from(vec![
            Span::styled("✓ ready    ", theme.ok),
            Span::styled(format!("  {}", collapsed.join(", ")), theme.muted),
        ]));
    }
    let text_w = width.saturating_sub(DETAIL_AT).max(20);
    for item in report
        .items
        .iter()
        .filter(|i| !collapsed.contains(&i.check))
    {
        let (word, style) = match item.verdict {
            Verdict::Ready => ("✓ ready    ", theme.ok),
            Verdict::NotReady => ("✗ NOT READY", theme.error),
            Verdict::Unknown => ("? unknown  ", theme.warn),
        };
        let detail = shown(&item.detail);
        let wrapped = textwrap::wrap(&detail, text_w);
        let mut rest = wrapped.iter();
        lines.push(Line::from(vec![
            Span::styled(word, style),
            Span::raw(format!("  {:<13} ", item.check)),
            Span::raw(rest.next().map(|c| c.to_string()).unwrap_or_default()),
        ]));
        let indent = " ".repeat(DETAIL_AT);
        lines.extend(rest.map(|l| Line::raw(format!("{indent}{l}"))));
        if let Some(fix) = item.fix.as_ref().filter(|_| item.verdict != Verdict::Ready) {
            let key = match item.action {
                Some(Action::SetLink) => format!(" ({})", keymap.key_name(mode, Command::SetLink)),
                Some(Action::EditTemplate) => {
                    format!(" ({})", keymap.key_name(mode, Command::EditTemplate))
                }
                Some(Action::SignIn) | None => String::new(),
            };
            let text = format!("→ {}{key}", shown(fix));
            for l in textwrap::wrap(&text, text_w) {
                lines.push(Line::styled(format!("{indent}{l}"), theme.muted));
            }
        }
    }
    lines
}

pub fn draw_readiness(m: &Model, theme: &Theme, keymap: &Keymap, frame: &mut Frame, area: Rect) {
    let Some(r) = &m.readiness else { return };
    let mut lines = vec![
        Line::styled(
            format!("SMS readiness of {} ({})", shown(r.org.label()), r.org.id),
            theme.title,
        ),
        Line::raw(""),
    ];
    match &r.report {
        None => lines.push(Line::styled(
            "checking token, scope, services, template and link…",
            theme.info,
        )),
        Some(report) => {
            lines.extend(report_lines(
                report,
                theme,
                (keymap, Mode::Readiness),
                usize::from(area.width),
                ReportView::Full,
            ));
            lines.push(Line::raw(""));
            let style = if report.can_send() && report.unknown().next().is_none() {
                theme.ok
            } else {
                theme.warn
            };
            lines.push(Line::styled(report.conclusion(), style));
            if report.can_send() {
                let key = |c| keymap.key_name(Mode::Readiness, c);
                lines.push(Line::styled(
                    format!(
                        "{}: re-invite one number · {}: pick contacts",
                        key(Command::InviteOne),
                        key(Command::PickContacts)
                    ),
                    theme.muted,
                ));
            }
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
