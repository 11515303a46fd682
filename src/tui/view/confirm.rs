use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::template::preview;
use crate::invite::quiet_hours;
use crate::tui::model::Model;
use crate::tui::theme::Theme;
use crate::tui::update::TYPED_CONFIRM_ABOVE;

pub fn draw(m: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let c = &m.confirm;
    let t = &m.template.template;
    let org = m
        .org
        .as_ref()
        .map(|o| o.label().to_string())
        .unwrap_or_default();
    let n = c.targets.len();
    let mut lines = vec![Line::from(vec![
        Span::styled("Organization  ", theme.muted),
        Span::styled(org.clone(), theme.title),
    ])];
    let who = if n == 1 {
        let name = c
            .notes
            .first()
            .and_then(|a| a.name.clone())
            .or_else(|| c.targets[0].full_name());
        format!(
            "{}{}",
            c.targets[0].e164,
            name.map(|n| format!(" ({n})")).unwrap_or_default()
        )
    } else {
        format!("{n} contacts")
    };
    lines.push(Line::from(vec![
        Span::styled("Recipients    ", theme.muted),
        Span::raw(who),
    ]));
    if c.looking_up {
        lines.push(Line::styled(
            "              looking up who is new or existing…",
            theme.info,
        ));
    } else {
        let new = c.notes.iter().filter(|a| a.existing == Some(false)).count();
        let existing = c.notes.iter().filter(|a| a.existing == Some(true)).count();
        let unknown = n.saturating_sub(new + existing);
        // A big list is not looked up ahead (see `start_confirm`); say so rather than "0 new".
        let counts = match (new + existing, unknown) {
            (_, 0) => format!("{new} new, {existing} existing"),
            (0, _) => format!("not looked up ahead; the send checks each of the {unknown}"),
            _ => {
                format!("{new} new, {existing} existing, {unknown} unknown (the send checks them)")
            }
        };
        lines.push(Line::raw(format!("              {counts}")));
        for a in &c.notes {
            let problem = a
                .error
                .clone()
                .or_else(|| {
                    a.held_by
                        .as_ref()
                        .map(|h| format!("{h} has the conversation accepted: it will be skipped"))
                })
                .or_else(|| {
                    (a.shared > 1).then(|| {
                        format!(
                            "{} contacts share this number: it will fail unless one is named",
                            a.shared
                        )
                    })
                })
                .or_else(|| {
                    a.last_invite
                        .as_ref()
                        .map(|l| format!("already invited {l}: cooldown skips it"))
                });
            if let Some(p) = problem {
                lines.push(Line::styled(
                    format!("              ! {}: {p}", a.e164),
                    theme.warn,
                ));
            }
        }
    }
    match t.sender() {
        Some(s) => {
            lines.push(Line::from(vec![
                Span::styled("Sender        ", theme.muted),
                Span::raw(format!("\"{s}\"")),
            ]));
            lines.push(Line::styled(
                "              ! one-way: contacts cannot reply to a SenderID, only tap the link",
                theme.warn,
            ));
        }
        None => lines.push(Line::from(vec![
            Span::styled("Sender        ", theme.muted),
            Span::raw("the SMS service's number (contacts can reply)"),
        ])),
    }
    let mut regions: Vec<String> = c.targets.iter().filter_map(|t| t.region.clone()).collect();
    regions.sort();
    regions.dedup();
    if t.sender().is_some() {
        use crate::invite::sender_id::{AlphaSupport, alpha_sender_support};
        for r in &regions {
            let support = alpha_sender_support(r);
            if support.support != AlphaSupport::Supported {
                lines.push(Line::styled(
                    format!("              ! {r}: {}", support.reason),
                    theme.warn,
                ));
            }
        }
    }
    for r in &regions {
        if let Some(w) = quiet_hours::warning(r, m.clock) {
            lines.push(Line::styled(format!("Quiet hours   ! {w}"), theme.warn));
        }
    }
    let first = c.targets.first();
    let name = c.notes.first().and_then(|a| a.name.as_deref());
    match preview(t, first, name, &org) {
        Ok(p) => {
            // The one-way note is already on the sender line.
            for (l, warn) in p.lines.iter().filter(|(l, _)| !l.contains("one-way")) {
                lines.push(Line::styled(
                    format!("SMS           {l}"),
                    if *warn { theme.warn } else { theme.base },
                ));
            }
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "First recipient's SMS ({authuser}, {authtoken} filled in by the platform):",
                theme.muted,
            ));
            lines.extend(p.welcome.lines().map(|l| Line::raw(format!("  {l}"))));
            lines.extend(p.link.lines().map(|l| Line::raw(format!("  {l}"))));
        }
        Err(e) => lines.push(Line::styled(format!("✗ {e}"), theme.error)),
    }
    if let Err(p) = t.validate(&[]) {
        for e in p.0.iter().take(3) {
            lines.push(Line::styled(format!("✗ template: {e}"), theme.error));
        }
        lines.push(Line::styled(
            "  t opens the template to fix it",
            theme.muted,
        ));
    }
    let how = if n > TYPED_CONFIRM_ABOVE {
        format!("press s, then type {n}, to send")
    } else {
        "press s to send · esc to go back".to_string()
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Line::styled(" Confirm ", theme.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // The way to send stays on the last line whatever the details above take; they are cut
    // rather than pushing it off screen.
    let body = Rect {
        height: inner.height.saturating_sub(1),
        ..inner
    };
    let action = Rect {
        y: inner.y + inner.height.saturating_sub(1),
        height: inner.height.min(1),
        ..inner
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
    frame.render_widget(
        Paragraph::new(Line::styled(
            format!("Nothing has been sent yet. {how}."),
            theme.key,
        )),
        action,
    );
}
