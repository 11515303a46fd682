use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::clip;
use crate::invite::segments;
use crate::invite::target::Target;
use crate::invite::template::Template;
use crate::tui::model::{ContactRow, Model, TemplateField};
use crate::tui::theme::Theme;

/// The two SMS as one contact would get them, with their figures, or why they cannot be made.
pub struct SmsPreview {
    pub welcome: String,
    pub link: String,
    pub lines: Vec<(String, bool)>,
}

pub fn preview(
    t: &Template,
    target: Option<&Target>,
    name: Option<&str>,
    org: &str,
) -> Result<SmsPreview, String> {
    let sample = Target::default();
    let target = target.unwrap_or(&sample);
    let vars = |n: &str| {
        target.variable(n, org).or_else(|| match n {
            "givenName" => name
                .and_then(|s| s.split_whitespace().next())
                .map(str::to_string),
            "name" => name.map(str::to_string),
            _ => None,
        })
    };
    let rendered = t.render(&vars).map_err(|e| e.to_string())?;
    // Counted with stand-ins of realistic length, shown with the placeholders themselves.
    let (welcome, link) = t.sms_previews(&rendered);
    let mut lines = Vec::new();
    for (label, text) in [("welcome", &welcome), ("link", &link)] {
        let info = segments::analyze(text);
        let enc = match info.encoding {
            segments::Encoding::Gsm7 => "GSM-7",
            segments::Encoding::Ucs2 => "UCS-2",
        };
        let forced = if info.non_gsm.is_empty() {
            String::new()
        } else {
            format!(
                " — UCS-2 because of {}",
                info.non_gsm
                    .iter()
                    .map(|c| format!("'{c}'"))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        };
        lines.push((
            format!(
                "{label} SMS: {} chars, {enc}, {} segment(s){forced}",
                info.chars, info.segments
            ),
            !info.non_gsm.is_empty() || info.segments > 2,
        ));
    }
    for w in t.warnings() {
        lines.push((w, true));
    }
    let (welcome, link) = t.sms_display(&rendered);
    Ok(SmsPreview {
        welcome,
        link,
        lines,
    })
}

pub fn draw(m: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area);
    let t = &m.template.template;
    let mut lines = vec![Line::styled(
        format!(
            "{}{}",
            m.template
                .path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "built-in template".into()),
            if m.template.modified {
                " (modified)"
            } else {
                ""
            }
        ),
        theme.muted,
    )];
    let w = usize::from(left.width.saturating_sub(20)).max(8);
    for field in TemplateField::all() {
        let value = field.value(t).replace('\n', "⏎");
        let line = Line::from(vec![
            Span::styled(format!("{:<17}", field.name()), theme.muted),
            Span::raw(clip(&value, w)),
        ]);
        lines.push(if field == m.template.field {
            line.style(theme.selection)
        } else {
            line
        });
    }
    // Checked with the columns of the list being sent, as the readiness report does.
    let columns = list_columns(m);
    let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
    if let Err(p) = t.validate(&columns) {
        lines.push(Line::raw(""));
        for e in p.0.iter().take(4) {
            lines.push(Line::styled(format!("✗ {e}"), theme.error));
        }
    }
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::RIGHT)
                .border_style(theme.border),
        ),
        left,
    );
    // Preview for the first selected contact, else a sample.
    let marked = m.contacts.marked_rows().next();
    let marked_target = marked.map(ContactRow::target);
    let target = marked_target.as_ref().or(m.confirm.targets.first());
    let row = marked.or_else(|| {
        let t = target?;
        m.contacts
            .rows()
            .iter()
            .find(|r| r.contact().e164() == t.e164)
    });
    let name = row.and_then(|r| r.lookup().name());
    let org = m
        .org
        .as_ref()
        .map(|o| o.label().to_string())
        .unwrap_or_else(|| "Organization".into());
    let mut out = vec![Line::styled(
        format!(
            "Preview for {}",
            target
                .map(|t| t.label())
                .unwrap_or_else(|| "a sample contact".into())
        ),
        theme.title,
    )];
    match preview(t, target, name, &org) {
        Ok(p) => {
            for (label, text) in [("SMS 1", &p.welcome), ("SMS 2", &p.link)] {
                out.push(Line::styled(label, theme.focus));
                out.extend(text.lines().map(|l| Line::raw(format!("  {l}"))));
            }
            out.push(Line::raw(""));
            out.extend(
                p.lines
                    .into_iter()
                    .map(|(l, warn)| Line::styled(l, if warn { theme.warn } else { theme.muted })),
            );
            out.push(Line::styled(
                "The link's id/token are filled in by the platform; their length is estimated.",
                theme.muted,
            ));
        }
        Err(e) => out.push(Line::styled(format!("✗ {e}"), theme.error)),
    }
    frame.render_widget(
        Paragraph::new(out).wrap(Wrap { trim: false }),
        Rect {
            x: right.x + 1,
            width: right.width.saturating_sub(1),
            ..right
        },
    );
}

/// The extra columns of the contacts about to be sent (or selected): an import's columns are
/// the same on every row, so the first thousand rows tell.
fn list_columns(m: &Model) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |keys: &mut dyn Iterator<Item = &String>| {
        for k in keys {
            if !out.contains(k) {
                out.push(k.clone());
            }
        }
    };
    if m.confirm.targets.is_empty() {
        for r in m.contacts.marked_rows().take(1000) {
            add(&mut r.contact().extra().keys());
        }
    } else {
        for t in m.confirm.targets.iter().take(1000) {
            add(&mut t.extra.keys());
        }
    }
    out
}
