use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Gauge, Paragraph, Row, Table};

use super::{clip, scroll_offset, shown};
use crate::invite::events::State;
use crate::invite::follow::Outcome;
use crate::tui::keymap::{Command, Keymap, Mode};
use crate::tui::model::{FollowState, Model};
use crate::tui::theme::Theme;

pub fn state_style(theme: &Theme, s: State) -> ratatui::style::Style {
    match s {
        State::Sent | State::WouldSend => theme.ok,
        State::Failed | State::Unknown => theme.error,
        State::Skipped | State::NotStarted => theme.warn,
        State::Queued => theme.muted,
        State::LookingUp | State::Sending => theme.info,
    }
}

fn symbol(s: State) -> &'static str {
    match s {
        State::Sent | State::WouldSend => "✓",
        State::Failed => "✗",
        State::Unknown => "?",
        State::Skipped => "–",
        State::NotStarted => "·",
        State::Queued => " ",
        State::LookingUp | State::Sending => "…",
    }
}

/// `m:ss`, or `h:mm:ss` from an hour on (a long batch's ETA read "212:18" otherwise).
fn mmss(secs: i64) -> String {
    let secs = secs.max(0);
    if secs >= 3600 {
        format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
    } else {
        format!("{}:{:02}", secs / 60, secs % 60)
    }
}

pub fn draw(m: &Model, theme: &Theme, keymap: &Keymap, frame: &mut Frame, area: Rect) {
    let Some(s) = &m.sending else { return };
    let count = |st: State| s.count(st);
    // What finished: a contact a cancel left not started is not done, whatever the run says.
    let done = s.done();
    let total = s.rows().len();
    let failure_count = s.failure_count();
    let fail_h = if failure_count == 0 {
        0
    } else {
        (failure_count.min(usize::from(u16::MAX)) as u16)
            .saturating_add(2)
            .min(area.height / 3)
    };
    let mut extra = Vec::new();
    if s.follow.any() {
        extra.extend(follow_lines(&s.follow, theme));
    }
    if let Some(page) = m.demo_phone_page() {
        extra.push(Line::styled(
            format!(" {}", crate::tui::help::play_the_customer(&page)),
            theme.info,
        ));
    }
    let [gauge_area, stats, table_area, fail_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(2 + extra.len() as u16),
        Constraint::Min(3),
        Constraint::Length(fail_h),
    ])
    .areas(area);
    let ratio = if total == 0 {
        0.0
    } else {
        done as f64 / total as f64
    };
    frame.render_widget(
        Gauge::default()
            .gauge_style(theme.ok)
            .ratio(ratio.clamp(0.0, 1.0))
            .label(format!("{done}/{total}")),
        gauge_area,
    );
    let end = s
        .finished
        .as_ref()
        .map(|f| s.started + chrono::Duration::milliseconds(f.elapsed_ms as i64))
        .unwrap_or(m.clock);
    let elapsed_ms = (end - s.started).num_milliseconds().max(0);
    let elapsed = elapsed_ms / 1000;
    // Contacts the run worked on; those a cancel left not started are not a rate.
    let worked = done;
    // Under a second a rate is noise ("1000.0/s" for one contact), so none is visible_lines then.
    let rate = if elapsed_ms >= 1000 {
        worked as f64 * 1000.0 / elapsed_ms as f64
    } else {
        0.0
    };
    let rate_text = if elapsed_ms >= 1000 {
        format!(" · {rate:.1}/s")
    } else {
        String::new()
    };
    let eta = if s.finished.is_none() && rate > 0.0 {
        format!(
            " · ETA {}",
            mmss((total.saturating_sub(done) as f64 / rate) as i64)
        )
    } else {
        String::new()
    };
    let mut stat = vec![
        Span::styled(format!(" {} sent ", count(State::Sent)), theme.ok),
        Span::styled(format!(" {} skipped ", count(State::Skipped)), theme.warn),
        Span::styled(
            format!(" {} failed ", count(State::Failed) + count(State::Unknown)),
            theme.error,
        ),
        Span::raw(format!("{rate_text} · {}{eta}", mmss(elapsed))),
    ];
    if count(State::NotStarted) > 0 {
        stat.insert(
            3,
            Span::styled(
                format!(" {} not started ", count(State::NotStarted)),
                theme.warn,
            ),
        );
    }
    let second = if let Some(f) = &s.finished {
        let what = if f.cancelled { "Cancelled" } else { "Finished" };
        Line::styled(
            format!(
                " {what} · run {} · {}",
                s.run_id,
                keymap.menu(
                    Mode::Done,
                    &[
                        (Command::Details, "details"),
                        (Command::RetryFailed, "retry what is not done"),
                        (Command::Export, "export"),
                        (Command::Copy, "copy"),
                        (Command::Back, "back"),
                    ]
                )
            ),
            theme.title,
        )
    } else if s.cancelling {
        Line::styled(
            " cancelling: contacts in flight finish, the rest are not started",
            theme.warn,
        )
    } else if let Some(until) = s.rate_limited_until.filter(|u| *u > m.clock) {
        Line::styled(
            format!(
                " rate limited by the platform ({}×): waiting {}s, nothing is lost",
                s.rate_limit_count,
                (until - m.clock).num_seconds().max(1)
            ),
            theme.warn,
        )
    } else {
        Line::styled(
            format!(
                " run {} · {}",
                if s.run_id.is_empty() {
                    "starting"
                } else {
                    &s.run_id
                },
                keymap.menu(
                    Mode::Sending,
                    &[
                        (Command::Details, "details"),
                        (Command::Cancel, "cancels (asks first)"),
                    ]
                )
            ),
            theme.muted,
        )
    };
    let mut stat_lines = vec![Line::from(stat), second];
    stat_lines.extend(extra);
    frame.render_widget(Paragraph::new(stat_lines), stats);
    let height = usize::from(table_area.height.saturating_sub(1));
    let offset = scroll_offset(s.selected, height);
    let detail_w = usize::from(table_area.width.saturating_sub(13 + 16 + 20 + 3));
    let rows: Vec<Row> = s
        .rows()
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, r)| {
            let u = &r.update;
            let st = u.state();
            let detail = u.reason.clone().or_else(|| {
                u.conversation.as_ref().map(|c| {
                    format!(
                        "{} conversation {c}",
                        if u.new_contact == Some(true) {
                            "new"
                        } else {
                            "existing"
                        }
                    )
                })
            });
            // A sent invitation that is followed says what became of it instead.
            let detail = match s.follow.outcome(u.index).filter(|_| st == State::Sent) {
                Some(o) => outcome_span(&o, theme, detail_w),
                None => Span::styled(
                    clip(&shown(&detail.unwrap_or_default()), detail_w),
                    theme.muted,
                ),
            };
            let row = Row::new(vec![
                Cell::from(Span::styled(
                    format!("{} {}", symbol(st), st.label()),
                    state_style(theme, st),
                )),
                Cell::from(u.e164.clone()),
                Cell::from(clip(&shown(&u.name.clone().unwrap_or_default()), 20)),
                Cell::from(detail),
            ]);
            if i == s.selected {
                row.style(theme.selection)
            } else {
                row
            }
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(13),
            Constraint::Length(16),
            Constraint::Length(20),
            Constraint::Min(10),
        ],
    )
    .header(Row::new(vec!["STATE", "NUMBER", "NAME", "DETAIL"]).style(theme.title));
    frame.render_widget(table, table_area);
    if fail_h > 0 {
        let w = usize::from(fail_area.width.saturating_sub(4));
        let visible_lines = usize::from(fail_h.saturating_sub(1));
        let first = s
            .failures_scroll
            .min(failure_count.saturating_sub(visible_lines));
        let lines: Vec<Line> = s
            .failures()
            .skip(first)
            .take(visible_lines)
            .map(|r| {
                Line::styled(
                    clip(
                        &format!(
                            "{}: {}",
                            r.update.e164,
                            shown(&r.update.reason.clone().unwrap_or_default())
                        ),
                        w,
                    ),
                    theme.error,
                )
            })
            .collect();
        let mode = if s.finished.is_some() {
            Mode::Done
        } else {
            Mode::Sending
        };
        let switch = keymap.key_name(mode, Command::SwitchPanel);
        let how = if s.failures_focus {
            format!(" · {} scroll · {switch} back", keymap.up_down(mode))
        } else if failure_count > visible_lines {
            format!(" · {switch} to scroll")
        } else {
            String::new()
        };
        let block = Block::default()
            .borders(Borders::TOP)
            .border_style(if s.failures_focus {
                theme.focus
            } else {
                theme.error
            })
            .title(Line::styled(
                format!(
                    " {} failure(s), {}-{}{how} ",
                    failure_count,
                    first + 1,
                    (first + visible_lines).min(failure_count)
                ),
                theme.error,
            ));
        frame.render_widget(Paragraph::new(lines).block(block), fail_area);
    }
}

/// A followed invitation in a row: back (and how), a problem the platform reported (its text
/// as is, escaped), or nothing yet. The mark says it without colour.
fn outcome_span(o: &Outcome, theme: &Theme, width: usize) -> Span<'static> {
    let (text, style) = match o {
        Outcome::CameBack { .. } => (format!("↩ {}", o.label()), theme.came_back),
        Outcome::Problem { .. } => (format!("! {}", shown(&o.label())), theme.problem),
        Outcome::NoAnswer => (o.label(), theme.muted),
    };
    Span::styled(clip(&text, width), style)
}

/// "↩ 2 of 3 came back, median 7 s; 1 no answer yet", then whether following goes on and the
/// trouble its last look had (on a line of their own: the counts alone fill 80 columns).
fn follow_lines(f: &FollowState, theme: &Theme) -> [Line<'static>; 2] {
    let summary = f.summary();
    let counts = Line::styled(
        format!(" ↩ {}", summary.line()),
        if summary.came_back > 0 {
            theme.came_back
        } else {
            theme.base
        },
    );
    let mut status = vec![Span::styled(
        format!("   {}", f.status_words()),
        theme.muted,
    )];
    if let Some(t) = &f.trouble {
        status.push(Span::styled(format!(" · ! {}", shown(t)), theme.warn));
    }
    [counts, Line::from(status)]
}

#[cfg(test)]
mod tests {
    use super::mmss;

    #[test]
    fn durations_read_as_clock_time() {
        assert_eq!(mmss(0), "0:00");
        assert_eq!(mmss(75), "1:15");
        assert_eq!(mmss(3599), "59:59");
        assert_eq!(mmss(3600), "1:00:00");
        assert_eq!(mmss(12_738), "3:32:18");
        assert_eq!(mmss(-5), "0:00");
    }
}
