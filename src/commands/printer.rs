//! The headless consumer of engine events: a line per finished contact (or a JSON object),
//! a live progress line on a terminal, and the results for export (written by
//! [`crate::invite::export`], as the TUI's are).
//!
//! Names, reasons, warnings and previews come from a contact list or from the platform, so the
//! text lines show them through [`printable`]: a contact named `\x1b]52;…` must not write the
//! operator's clipboard. JSON stays exact (serde escapes control characters). Printing goes
//! through [`crate::output`], so a closed stdout or stderr never stops a run: the engine goes on
//! journalling, only the lines are lost.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::Instant;

use serde_json::json;

use crate::invite::events::{ContactUpdate, Event, State, Summary};
use crate::safe_text::printable;
use crate::{err, err_part, out};

pub struct Printer {
    json: bool,
    dry_run: bool,
    progress: bool,
    total: usize,
    /// Each finished contact's state, and how many are in each, for the progress line (kept
    /// as counts: recounting per event would make a large send quadratic).
    states: BTreeMap<usize, State>,
    counts: std::collections::HashMap<State, usize>,
    /// Each finished contact's whole result, kept only when asked for (an export of a dry run,
    /// which has no journal to read it from): a large send need not hold every result twice.
    finals: Option<BTreeMap<usize, ContactUpdate>>,
    started: Instant,
    summary: Option<Summary>,
    rate_limited: u32,
}

impl Printer {
    pub fn new(json: bool, keep_results: bool) -> Printer {
        Printer {
            json,
            dry_run: false,
            progress: !json && std::io::stderr().is_terminal(),
            total: 0,
            states: BTreeMap::new(),
            counts: std::collections::HashMap::new(),
            finals: keep_results.then(BTreeMap::new),
            started: Instant::now(),
            summary: None,
            rate_limited: 0,
        }
    }

    /// The results kept (see [`Printer::new`]); none when they were not asked for.
    pub fn results(&self) -> impl Iterator<Item = &ContactUpdate> {
        self.finals.iter().flat_map(|f| f.values())
    }

    pub fn handle(&mut self, event: &Event) {
        match event {
            Event::Started {
                total,
                org_name,
                dry_run,
                run_id,
                ..
            } => {
                self.total = *total;
                self.dry_run = *dry_run;
                if !self.json {
                    let what = if *dry_run { "Dry run" } else { "Run" };
                    err!(
                        "{what} {}: {total} contact(s) of {}",
                        printable(run_id),
                        printable(org_name)
                    );
                }
            }
            Event::Contact(u) if u.state().is_final() => {
                self.clear_progress();
                self.print(u);
                if let Some(old) = self.states.insert(u.index, u.state())
                    && let Some(n) = self.counts.get_mut(&old)
                {
                    *n -= 1;
                }
                *self.counts.entry(u.state()).or_default() += 1;
                if let Some(f) = self.finals.as_mut() {
                    f.insert(u.index, (**u).clone());
                }
                self.draw_progress();
            }
            Event::Contact(_) => {}
            Event::RateLimited { wait_ms } => {
                self.rate_limited += 1;
                tracing::info!(wait_ms, "rate limited");
                if self.rate_limited == 1 && !self.json {
                    self.clear_progress();
                    err!("note: the platform is rate limiting; waiting {wait_ms} ms and going on");
                }
            }
            Event::Notice { message } => tracing::info!("{message}"),
            Event::Finished(s) => {
                self.clear_progress();
                self.summary = Some(s.clone());
                self.print_summary(s);
            }
        }
    }

    fn print(&self, u: &ContactUpdate) {
        if self.json {
            out!("{}", serde_json::to_string(u).unwrap_or_default());
            return;
        }
        let name = printable(u.name.as_deref().unwrap_or_default());
        let detail = match (u.state(), &u.reason) {
            (_, Some(r)) if u.state() != State::Sent => r.clone(),
            (State::Sent, r) => {
                let mut d = match (u.new_contact, &u.conversation) {
                    (Some(true), Some(c)) => format!("new contact, conversation {c}"),
                    (_, Some(c)) => format!("existing conversation {c}"),
                    _ => String::new(),
                };
                if let Some(r) = r {
                    d.push_str(&format!(" ({r})"));
                }
                d
            }
            (State::WouldSend, _) => match u.new_contact {
                Some(true) => "new contact".to_string(),
                _ => format!(
                    "existing conversation {}",
                    u.conversation.clone().unwrap_or_default()
                ),
            },
            _ => String::new(),
        };
        out!(
            "{:<11} {:<16} {:<22} {}",
            u.state().label(),
            printable(&u.e164),
            crate::safe_text::clip(&name, 22),
            printable(&detail)
        );
        for w in &u.warnings {
            out!("{:<11} warning: {}", "", printable(w));
        }
        self.print_preview(u);
    }

    /// Both SMS of a dry run, line by line, as the contact would get them.
    fn print_preview(&self, u: &ContactUpdate) {
        if let Some(p) = &u.preview {
            for (title, text, f) in [
                ("welcome", &p.welcome, &p.welcome_sms),
                ("link", &p.link, &p.link_sms),
            ] {
                let forced = if f.forced_ucs2_by.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", UCS-2 because of {}",
                        f.forced_ucs2_by
                            .iter()
                            .map(|c| format!("'{}'", printable(&c.to_string())))
                            .collect::<Vec<_>>()
                            .join(" ")
                    )
                };
                out!(
                    "{:<11} {title} SMS: {} chars, {}, {} segment(s){forced}",
                    "",
                    f.chars,
                    printable(&f.encoding),
                    f.segments
                );
                for line in text.lines() {
                    out!("{:<13}| {}", "", printable(line));
                }
            }
        }
    }

    fn print_summary(&self, s: &Summary) {
        if self.json {
            let mut v = serde_json::to_value(s).unwrap_or_default();
            v["summary"] = json!(true);
            out!("{v}");
            return;
        }
        let mut parts = vec![format!("{} sent", s.sent)];
        for (n, label) in [
            (s.would_send, "would send"),
            (s.skipped, "skipped"),
            (s.failed, "failed"),
            (s.unknown, "unknown"),
            (s.not_started, "not started"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {label}"));
            }
        }
        err!(
            "\n{}: {} contact(s): {} in {:.1}s ({} requests).",
            if s.cancelled { "Cancelled" } else { "Done" },
            s.total,
            parts.join(", "),
            s.elapsed_ms as f64 / 1000.0,
            s.requests
        );
        if let Some(why) = &s.halted {
            err!("The run {}.", printable(why));
        }
        if s.failed + s.unknown + s.not_started > 0
            && !s.run_id.is_empty()
            && s.would_send == 0
            && !self.dry_run
        {
            err!(
                "Resume with: sms-invite send --resume {} (sends only what is not done)",
                printable(&s.run_id)
            );
        }
    }

    fn clear_progress(&self) {
        if self.progress {
            err_part!("\r\x1b[K");
        }
    }

    fn draw_progress(&self) {
        if !self.progress {
            return;
        }
        let done = self.states.len();
        let count = |st: State| self.counts.get(&st).copied().unwrap_or(0);
        let secs = self.started.elapsed().as_secs_f64();
        let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
        err_part!(
            "\r\x1b[K[{done}/{}] {} sent · {} failed · {} skipped · {rate:.1}/s · {:.0}s",
            self.total,
            count(State::Sent),
            count(State::Failed) + count(State::Unknown),
            count(State::Skipped),
            secs
        );
    }
}
