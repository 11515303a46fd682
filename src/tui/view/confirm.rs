use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::orgs::{ReportView, report_lines};
use super::shown;
use super::template::preview;
use crate::invite::batch;
use crate::invite::quiet_hours;
use crate::invite::verdict::Remedy;
use crate::tui::keymap::{Command, Keymap, Mode};
use crate::tui::model::{Attention, Model, Tally};
use crate::tui::theme::Theme;

/// At most this many lines of the attention list are shown at once; it scrolls.
const ATTENTION_LINES: usize = 6;

pub fn draw(m: &Model, theme: &Theme, keymap: &Keymap, frame: &mut Frame, area: Rect) {
    let c = &m.confirm;
    // The screen draws the review; a change that forgot to take it again shows here in tests.
    debug_assert_eq!(
        c.review,
        c.reviewed(c.review.as_of),
        "the confirm review is stale: a change to the batch did not refresh it"
    );
    let org = m
        .org
        .as_ref()
        .map(|o| o.label().to_string())
        .unwrap_or_default();
    let n = c.targets.len();
    let mut lines = vec![Line::from(vec![
        Span::styled("Organization  ", theme.muted),
        Span::styled(shown(&org).into_owned(), theme.title),
        Span::styled(
            c.resume
                .as_ref()
                .map(|r| format!("  (continuing run {r})"))
                .unwrap_or_default(),
            theme.muted,
        ),
    ])];
    lines.push(Line::from(vec![
        Span::styled("Recipients    ", theme.muted),
        Span::raw(shown(&recipients(m)).into_owned()),
    ]));
    lines.push(Line::raw(""));
    match &c.report {
        None => lines.push(Line::styled(
            "checking readiness: token, scope, SMS service, template, link…",
            theme.info,
        )),
        Some(report) => lines.extend(report_lines(
            report,
            theme,
            (keymap, Mode::Confirm),
            usize::from(area.width.saturating_sub(2)),
            ReportView::Compact,
        )),
    }
    attention_lines(m, theme, keymap, &mut lines);
    let t = m.effective_template();
    match t.sender() {
        Some(s) => lines.push(Line::from(vec![
            Span::styled("Sender        ", theme.muted),
            Span::raw(format!(
                "\"{s}\" (one-way: contacts cannot reply, only tap the link)"
            )),
        ])),
        None => lines.push(Line::from(vec![
            Span::styled("Sender        ", theme.muted),
            Span::raw("the SMS service's number (contacts can reply)"),
        ])),
    }
    for w in quiet_hours::warnings(&c.review.recipients.regions, m.clock) {
        lines.push(Line::styled(format!("Quiet hours   ! {w}"), theme.warn));
    }
    let first = c.targets.first();
    let name = first
        .and_then(|t| c.lookups.get(&t.e164))
        .and_then(|l| l.name());
    match preview(&t, first, name, &org) {
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
            lines.extend(
                p.welcome
                    .lines()
                    .map(|l| Line::raw(format!("  {}", shown(l)))),
            );
            lines.extend(p.link.lines().map(|l| Line::raw(format!("  {}", shown(l)))));
        }
        Err(e) => lines.push(Line::styled(format!("✗ {e}"), theme.error)),
    }
    let (action, style) = action_line(m, keymap, n);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Line::styled(" Confirm ", theme.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // The way to send (or why not) stays on the last line whatever the details above take;
    // they are cut rather than pushing it off screen.
    let body = Rect {
        height: inner.height.saturating_sub(1),
        ..inner
    };
    let bottom = Rect {
        y: inner.y + inner.height.saturating_sub(1),
        height: inner.height.min(1),
        ..inner
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
    frame.render_widget(Paragraph::new(Line::styled(action, style(theme))), bottom);
}

/// "+316… (Jan Jansen)", or "12 contacts: 3 new, 7 existing, 1 skipped, 1 failed".
fn recipients(m: &Model) -> String {
    let c = &m.confirm;
    let n = c.targets.len();
    if c.looking_up {
        return format!("{n} contact(s); looking up who is new or existing…");
    }
    let Tally {
        new,
        existing,
        skipped,
        failed,
        unknown,
    } = c.review.tally;
    let who = if n == 1 {
        let t = &c.targets[0];
        let name = c
            .lookups
            .get(&t.e164)
            .and_then(|l| l.name().map(str::to_string))
            .or_else(|| t.full_name());
        format!(
            "{}{}",
            t.e164,
            name.map(|n| format!(" ({n})")).unwrap_or_default()
        )
    } else {
        format!("{n} contacts")
    };
    if unknown == n {
        return format!("{who}: not looked up ahead; the send checks each of them");
    }
    let mut parts = vec![format!("{new} new"), format!("{existing} existing")];
    for (k, label) in [
        (skipped, "skipped"),
        (failed, "failed"),
        (unknown, "checked at send"),
    ] {
        if k > 0 {
            parts.push(format!("{k} {label}"));
        }
    }
    format!("{who}: {}", parts.join(", "))
}

/// The contacts that need a decision, with the selected one marked and what each key does.
fn attention_lines(m: &Model, theme: &Theme, keymap: &Keymap, lines: &mut Vec<Line<'_>>) {
    let c = &m.confirm;
    let items = c.attention();
    if items.is_empty() {
        return;
    }
    let key = |c| keymap.key_name(Mode::Confirm, c);
    let (force, choose) = (key(Command::Force), key(Command::Choose));
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!(
            "Needs a decision ({}): {} select · {force} force · {choose} choose who",
            items.len(),
            keymap.up_down(Mode::Confirm)
        ),
        theme.warn,
    ));
    let first = c.selected.saturating_sub(ATTENTION_LINES - 1);
    for (i, a) in items.iter().enumerate().skip(first).take(ATTENTION_LINES) {
        let marker = if i == c.selected { "›" } else { " " };
        let (text, decided) = match a {
            Attention::Refused { target, refusal } => {
                let t = &c.targets[*target];
                let forced = !t.force.is_none();
                let what = match (refusal.remedy, forced) {
                    (Some(Remedy::Force), true) => format!("FORCED: sent anyway ({force} to undo)"),
                    (Some(Remedy::Force), false) => format!("{force} forces it"),
                    (Some(Remedy::NameContact), _) => format!("{choose} chooses who"),
                    (None, _) => String::new(),
                };
                (
                    format!(
                        "{} {}: {}: {}{}",
                        t.e164,
                        t.full_name().unwrap_or_default(),
                        refusal.state.label(),
                        refusal.reason,
                        if what.is_empty() {
                            String::new()
                        } else {
                            format!(" [{what}]")
                        }
                    ),
                    forced,
                )
            }
            Attention::SamePhone(i) => (
                format!(
                    "{} [{choose}: choose, or send each their own]",
                    c.same_phone[*i].describe()
                ),
                false,
            ),
            Attention::CannotRender { target, reason } => (
                format!(
                    "{} {}: not sent: {reason}",
                    c.targets[*target].e164,
                    c.targets[*target].full_name().unwrap_or_default()
                ),
                false,
            ),
            Attention::LookupFailed { target, error } => (
                format!(
                    "{}: lookup failed ({error}); the send checks it again",
                    c.targets[*target].e164
                ),
                false,
            ),
        };
        let style = if i == c.selected {
            theme.selection
        } else if decided {
            theme.ok
        } else {
            theme.warn
        };
        lines.push(Line::styled(format!("{marker} ! {}", shown(&text)), style));
    }
    let more = items.len().saturating_sub(first + ATTENTION_LINES);
    if more > 0 {
        lines.push(Line::styled(
            format!(
                "  … {more} more ({})",
                keymap.key_name(Mode::Confirm, Command::Down)
            ),
            theme.muted,
        ));
    }
}

type StyleOf = fn(&Theme) -> ratatui::style::Style;

/// The last line: how to send, or why nothing can be sent.
fn action_line(m: &Model, keymap: &Keymap, n: usize) -> (String, StyleOf) {
    let c = &m.confirm;
    match &c.report {
        None => (
            "Nothing has been sent yet. Checking readiness…".into(),
            |t| t.info,
        ),
        Some(r) if !r.can_send() => (
            format!(
                "Not ready: {} line(s) marked ✗ must be fixed first. Nothing has been sent.",
                r.blocking().count()
            ),
            |t| t.error,
        ),
        Some(_) => {
            let key = |c| keymap.key_name(Mode::Confirm, c);
            let back = if m.back.is_empty() {
                String::new()
            } else {
                format!(" · {} to go back", key(Command::Back))
            };
            let send = key(Command::Send);
            let how = if batch::needs_typed_count(n) {
                format!("press {send}, then type {n}, to send")
            } else {
                format!("press {send} to send{back}")
            };
            (format!("Nothing has been sent yet. {how}."), |t| t.key)
        }
    }
}
