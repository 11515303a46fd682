//! The sending and done screens: the batch contact by contact, across its attempts; retry
//! (the same run, continued), export and the ticket summary cover the whole batch.

use super::{is_nav, nav, navigate, prompt, toast};
use crate::api::models::Organization;
use crate::invite::events::{ContactUpdate, Event as EngineEvent};
use crate::invite::follow::{Ending, FollowEvent, Outcome};
use crate::invite::target::Target;
use crate::invite::template::Template;
use crate::invite::verdict::Remedy;
use crate::invite::watching::is_followed;
use crate::tui::effect::Effect;
use crate::tui::keymap::{Command, Keymap, Mode};
use crate::tui::model::*;

/// Starts sending; a retry or resume continues its run, so the screen keeps the rows of the
/// contacts already done.
pub fn start(
    m: &mut Model,
    org: Organization,
    template: Template,
    targets: Vec<Target>,
    resume: Option<String>,
) -> Vec<Effect> {
    let continuing = resume.is_some()
        && m.sending
            .as_ref()
            .is_some_and(|s| Some(&s.run_id) == resume.as_ref());
    match m.sending.as_mut().filter(|_| continuing) {
        Some(s) => {
            s.finished = None;
            s.cancelling = false;
            s.started = m.clock;
            s.failures_scroll = 0;
            s.failures_focus = false;
            s.rate_limit_count = 0;
            s.rate_limited_until = None;
        }
        None => m.sending = Some(Sending::new(&org, &targets, m.clock)),
    }
    nav::replace(m, Screen::Sending);
    vec![Effect::StartSend {
        org,
        template,
        targets,
        resume,
    }]
}

pub fn command(m: &mut Model, cmd: Command, page: usize, keymap: &Keymap) -> Vec<Effect> {
    let Some(s) = m.sending.as_mut() else {
        return vec![];
    };
    let finished = s.finished.is_some();
    if s.failures_focus {
        if is_nav(cmd) {
            let len = s.failure_count();
            navigate(&mut s.failures_scroll, len, cmd, page);
            return vec![];
        }
        if cmd == Command::SwitchPanel {
            s.failures_focus = false;
            return vec![];
        }
    }
    match cmd {
        c if is_nav(c) => {
            let len = s.rows().len();
            navigate(&mut s.selected, len, c, page);
            vec![]
        }
        Command::SwitchPanel => {
            s.failures_focus = s.failure_count() > 0;
            vec![]
        }
        Command::Details => {
            if let Some(r) = s.rows().get(s.selected) {
                let outcome = s.follow.outcome(r.update.index);
                m.overlay = Some(details(&r.update, outcome.as_ref(), keymap));
            }
            vec![]
        }
        Command::Cancel | Command::Back if !finished => {
            if !s.cancelling {
                m.overlay = Some(Overlay::ConfirmCancel);
            }
            vec![]
        }
        Command::Back => {
            // The run stays the session's last one: its summary is printed when the TUI ends.
            nav::back(m);
            vec![]
        }
        Command::RetryFailed => retry(m),
        Command::Export => {
            let name = format!(
                "sms-invite-{}.csv",
                if s.run_id.is_empty() {
                    "results"
                } else {
                    &s.run_id
                }
            );
            m.overlay = Some(prompt(
                PromptKind::ExportPath,
                "Export the whole batch to CSV",
                "file to write (relative to the folder sms-invite was started in)",
                &name,
            ));
            vec![]
        }
        Command::Copy => vec![Effect::Copy(s.ticket_summary())],
        _ => vec![],
    }
}

/// `r`: sends what is not done yet as the next attempt of the same run, through the confirm
/// screen (and its gate) like any send. The run's journal gives the contacts as they were.
fn retry(m: &mut Model) -> Vec<Effect> {
    let Some(s) = m.sending.as_ref() else {
        return vec![];
    };
    if s.dry_run || s.run_id.is_empty() {
        return vec![];
    }
    if s.unfinished().next().is_none() {
        toast(
            m,
            Level::Info,
            "nothing to retry: every contact was sent or skipped",
        );
        return vec![];
    }
    vec![Effect::OpenRun {
        run: s.run_id.clone(),
        retry: true,
    }]
}

/// Everything about one contact's result, for the detail pane: what the engine did, then what
/// following saw of the invitation.
pub fn details(u: &ContactUpdate, outcome: Option<&Outcome>, keymap: &Keymap) -> Overlay {
    let mut lines = vec![format!("state        {}", u.state().label())];
    if let Some(o) = outcome {
        lines.push(format!("afterwards   {}", o.label()));
    }
    if let Some(r) = &u.reason {
        lines.push(format!("reason       {r}"));
    }
    if let Some(r) = u.remedy {
        lines.push(format!("what to do   {}", remedy_text(r, keymap)));
    }
    for w in &u.warnings {
        lines.push(format!("warning      {w}"));
    }
    match u.new_contact {
        Some(true) => lines.push("contact      new (created by this invitation)".into()),
        Some(false) => lines.push("contact      existing".into()),
        None => {}
    }
    if let Some(c) = &u.contact_id {
        lines.push(format!("contact id   {c}"));
    }
    if let Some(c) = &u.conversation {
        lines.push(format!("conversation {c}"));
    }
    if let Some(i) = &u.invite_id {
        lines.push(format!("invite id    {i}"));
    }
    if u.reconciled {
        lines.push(
            "checked      the outcome was confirmed with the platform after an uncertain answer"
                .into(),
        );
    }
    Overlay::Detail {
        title: match &u.name {
            Some(n) => format!("{} {n}", u.e164),
            None => u.e164.clone(),
        },
        lines,
        scroll: 0,
    }
}

/// A remedy in the TUI's words, with the keys that take it.
pub fn remedy_text(r: Remedy, keymap: &Keymap) -> String {
    let retry = keymap.key_name(Mode::Done, Command::RetryFailed);
    let on_confirm = |c| keymap.key_name(Mode::Confirm, c);
    match r {
        Remedy::NameContact => format!(
            "retry ({retry}) and choose who gets it on the confirm screen ({})",
            on_confirm(Command::Choose)
        ),
        Remedy::Force => format!(
            "retry ({retry}) and force it on the confirm screen ({})",
            on_confirm(Command::Force)
        ),
    }
}

pub fn on_engine(m: &mut Model, e: EngineEvent) {
    let clock = m.clock;
    let Some(s) = m.sending.as_mut() else { return };
    match e {
        EngineEvent::Started {
            run_id, dry_run, ..
        } => {
            s.run_id = run_id;
            s.started = clock;
            s.dry_run = dry_run;
        }
        EngineEvent::Contact(u) => {
            // The runtime hands the same invitation to the follower; the row waits for news.
            if is_followed(&u) {
                s.follow.ledger.follow(u.index);
            }
            s.upsert(*u);
        }
        EngineEvent::RateLimited { wait_ms } => {
            s.rate_limit_count += 1;
            s.rate_limited_until = Some(clock + chrono::Duration::milliseconds(wait_ms as i64));
        }
        EngineEvent::Notice { message } => {
            s.notices.push(message);
            if s.notices.len() > 50 {
                s.notices.remove(0);
            }
        }
        EngineEvent::Finished(summary) => {
            let level = if summary.halted.is_some() {
                Level::Error
            } else if summary.exit_code() != 0 {
                Level::Warn
            } else {
                Level::Ok
            };
            let text = summary.headline();
            s.finished = Some(summary);
            s.cancelling = false;
            m.toast = Some(Toast { text, level });
        }
    }
}

/// The send could not start; nothing was sent.
pub fn refused(m: &mut Model, why: String) {
    if let Some(s) = m.sending.as_mut() {
        let mut summary = s.batch_summary();
        summary.cancelled = true;
        s.finished = Some(summary);
    }
    toast(m, Level::Error, format!("nothing sent: {why}"));
}

/// The follower of `run` started (a send, or its retry); the run on screen shows it follows.
pub fn follow_started(m: &mut Model, run: &str) {
    if let Some(s) = m.sending.as_mut().filter(|s| s.run_id == run) {
        s.follow.status = Following::On { next_in: None };
        s.follow.trouble = None;
        s.follow.trouble_in_look = false;
    }
}

/// What the follower of `run` reported. A sign is recorded for its row; a look's trouble is
/// kept until a look goes through; the end says why following stopped. Reports about a run
/// no longer on screen are dropped (the follower journalled them, and the runs screen reads
/// them back).
pub fn on_follow(m: &mut Model, run: &str, event: FollowEvent) {
    let Some(s) = m.sending.as_mut().filter(|s| s.run_id == run) else {
        return;
    };
    let f = &mut s.follow;
    match event {
        FollowEvent::Update(u) => {
            f.ledger.record(u.index, &u.sign, u.after);
        }
        FollowEvent::Trouble(text) => {
            f.trouble = Some(text);
            f.trouble_in_look = true;
        }
        FollowEvent::Polled { next_in, .. } => {
            if !f.trouble_in_look {
                f.trouble = None;
            }
            f.trouble_in_look = false;
            f.status = Following::On {
                next_in: Some(next_in),
            };
        }
        FollowEvent::Ended(summary) => {
            let ending = summary.ending.unwrap_or(Ending::Cancelled);
            f.status = Following::Ended(ending);
            if ending == Ending::EveryoneBack && summary.followed > 0 {
                let text = format!("run {run}: {}", summary.line());
                m.toast = Some(Toast {
                    text,
                    level: Level::Ok,
                });
            }
        }
    }
}
