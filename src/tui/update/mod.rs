//! The pure state machine: `update(model, msg) -> effects`. No I/O, no clock, no randomness:
//! time arrives as `Msg::Tick`, results of work arrive as messages, and everything the app
//! should do comes back as [`Effect`]s. Every transition is testable without a terminal.
//!
//! One module per screen; this one routes messages and keys to them.

mod confirm;
mod contacts;
pub mod nav;
mod orgs;
mod prompt;
mod runs;
mod sending;
mod template;

use crossterm::event::{Event as TermEvent, KeyEvent, KeyEventKind, MouseEventKind};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::effect::Effect;
use super::keymap::{Command, Key, Keymap, Mode};
use super::model::*;
use super::msg::Msg;
use crate::api::Secret;

pub use contacts::LOOKUP_AHEAD_MAX;

pub(crate) fn toast(m: &mut Model, level: Level, text: impl Into<String>) {
    m.toast = Some(Toast {
        text: text.into(),
        level,
    });
}

pub fn update(m: &mut Model, msg: Msg, keymap: &Keymap) -> Vec<Effect> {
    let effects = on_msg(m, msg, keymap);
    // Filtered once here, the rows are read by the frame and the next message for free.
    m.contacts.refresh_matches();
    effects
}

fn on_msg(m: &mut Model, msg: Msg, keymap: &Keymap) -> Vec<Effect> {
    match msg {
        Msg::Term(TermEvent::Resize(w, h)) => {
            m.size = (w, h);
            vec![]
        }
        Msg::Term(TermEvent::Key(k)) if k.kind != KeyEventKind::Release => on_key(m, k, keymap),
        Msg::Term(TermEvent::Paste(text)) => contacts::on_paste(m, &text),
        Msg::Term(TermEvent::Mouse(me)) => match me.kind {
            MouseEventKind::ScrollUp => on_command(m, Command::Up, keymap),
            MouseEventKind::ScrollDown => on_command(m, Command::Down, keymap),
            _ => vec![],
        },
        Msg::Term(_) => vec![],
        Msg::Tick(now) => {
            m.clock = now;
            if m.screen == Screen::Confirm && m.confirm.review_is_old(now) {
                m.confirm.refresh(now);
            }
            vec![]
        }
        Msg::SignedIn(Ok(session)) => {
            m.session = Some(session);
            m.signin = SignIn::default();
            nav::reset(m, Screen::Orgs);
            m.orgs.loading = true;
            vec![Effect::LoadOrgs]
        }
        Msg::SignedIn(Err(e)) => {
            m.signin.busy = false;
            m.signin.error = Some(e);
            // The refused token goes, so a paste of the right one is not appended to it.
            m.signin.input.reset();
            nav::reset(m, Screen::SignIn);
            vec![]
        }
        Msg::OrgsLoaded(result) => {
            m.orgs.loading = false;
            match result {
                Ok(rows) => {
                    m.orgs.rows = rows;
                    m.orgs.error = None;
                    let n = m.visible_orgs().len();
                    clamp(&mut m.orgs.nav.selected, n);
                }
                Err(e) => m.orgs.error = Some(e),
            }
            vec![]
        }
        Msg::Assessed { org, report } => {
            if let Some(r) = m.readiness.as_mut().filter(|r| r.org.id == org) {
                r.report = Some(report.clone());
            }
            if m.org.as_ref().is_some_and(|o| o.id == org) && !m.confirm.targets.is_empty() {
                return confirm::assessed(m, report);
            }
            vec![]
        }
        Msg::ContactsLoaded {
            org,
            result,
            capped,
        } => contacts::loaded(m, org, result, capped),
        Msg::LookedUp { org, lookups } => {
            contacts::looked_up(m, &org, lookups);
            vec![]
        }
        Msg::Imported { path, result } => match result {
            Ok(imported) => {
                let effects = contacts::take_rows(
                    m,
                    imported.report,
                    Source::Imported,
                    &path.display().to_string(),
                );
                // Notes about the file as a whole head the panel of lines not added.
                for (i, note) in imported.notes.into_iter().enumerate() {
                    m.contacts.problems.insert(i, format!("note: {note}"));
                }
                effects
            }
            Err(e) => {
                toast(m, Level::Error, e);
                vec![]
            }
        },
        Msg::Engine(e) => {
            sending::on_engine(m, e);
            vec![]
        }
        Msg::FollowStarted { run } => {
            sending::follow_started(m, &run);
            vec![]
        }
        Msg::Follow { run, event } => {
            sending::on_follow(m, &run, event);
            vec![]
        }
        Msg::SendRefused(why) => {
            sending::refused(m, why);
            vec![]
        }
        Msg::Exported(r) => {
            match r {
                Ok(p) => toast(m, Level::Ok, format!("results written to {}", p.display())),
                Err(e) => toast(m, Level::Error, e),
            }
            vec![]
        }
        Msg::Copied(r) => {
            match r {
                Ok(n) => toast(
                    m,
                    Level::Ok,
                    format!("summary copied ({n} characters, via OSC 52)"),
                ),
                Err(e) => toast(m, Level::Error, e),
            }
            vec![]
        }
        Msg::TemplateSaved(r) => {
            template::saved(m, r);
            vec![]
        }
        Msg::LinkSaved(r) => confirm::link_saved(m, r),
        Msg::RunsLoaded(list) => {
            runs::loaded(m, list);
            vec![]
        }
        Msg::RunOpened { result, retry } => runs::opened(m, result, retry),
        Msg::Preselect(org) => {
            m.org = Some(org);
            vec![]
        }
    }
}

pub(crate) fn clamp(sel: &mut usize, len: usize) {
    if *sel >= len {
        *sel = len.saturating_sub(1);
    }
}

fn on_key(m: &mut Model, k: KeyEvent, keymap: &Keymap) -> Vec<Effect> {
    let key = Key::from_event(&k);
    m.toast = None;
    // Overlays first.
    match m.overlay.take() {
        Some(Overlay::Help { mut scroll }) => {
            // When the help does not fit, its navigation keys scroll it; any other key (and
            // any key at all when it fits, as its title says) closes it.
            let last = crate::tui::help::max_scroll(m, keymap);
            if last > 0
                && let Some(cmd) = keymap.lookup(Mode::Help, key).filter(|&c| is_nav(c))
            {
                let page = usize::from(m.size.1.saturating_sub(4)).max(1);
                navigate(&mut scroll, last + 1, cmd, page);
                m.overlay = Some(Overlay::Help { scroll });
            }
            return vec![];
        }
        Some(Overlay::Detail {
            title,
            lines,
            mut scroll,
        }) => {
            // Like the help: its navigation keys scroll it, any other key closes it.
            if let Some(cmd) = keymap.lookup(Mode::Detail, key).filter(|&c| is_nav(c)) {
                let page = usize::from(m.size.1.saturating_sub(6)).max(1);
                navigate(&mut scroll, lines.len().max(1), cmd, page);
                m.overlay = Some(Overlay::Detail {
                    title,
                    lines,
                    scroll,
                });
            }
            return vec![];
        }
        Some(Overlay::Pick(mut p)) => {
            return match keymap.lookup(Mode::Pick, key) {
                Some(Command::Submit) => confirm::picked(m, p),
                Some(Command::Back) => vec![],
                Some(Command::Quit) => quit(m),
                Some(cmd) if is_nav(cmd) => {
                    navigate(&mut p.selected, p.options.len(), cmd, 5);
                    m.overlay = Some(Overlay::Pick(p));
                    vec![]
                }
                _ => {
                    m.overlay = Some(Overlay::Pick(p));
                    vec![]
                }
            };
        }
        Some(Overlay::ConfirmQuit) => {
            // Yes quits; any other key is no, and the send goes on.
            return match keymap.lookup(Mode::Question, key) {
                Some(Command::Yes) => {
                    m.quit = true;
                    vec![Effect::CancelSend]
                }
                _ => vec![],
            };
        }
        Some(Overlay::ConfirmCancel) => {
            return match keymap.lookup(Mode::Question, key) {
                Some(Command::Yes) => {
                    if let Some(s) = m.sending.as_mut() {
                        s.cancelling = true;
                    }
                    vec![Effect::CancelSend]
                }
                _ => vec![],
            };
        }
        Some(Overlay::Editor(mut ed)) => {
            return match keymap.lookup(Mode::Editor, key) {
                Some(Command::Submit) => {
                    let text = ed.area.lines().join("\n");
                    match ed.kind {
                        EditorKind::TemplateField(i) => {
                            if let Err(e) = template::set_text(m, i, &text) {
                                ed.error = Some(e);
                                m.overlay = Some(Overlay::Editor(ed));
                            }
                            vec![]
                        }
                        EditorKind::PasteList => contacts::paste_box_done(m, ed, &text),
                    }
                }
                Some(Command::Back) => vec![],
                Some(Command::Quit) => quit(m),
                Some(Command::Suspend) => {
                    m.overlay = Some(Overlay::Editor(ed));
                    vec![Effect::Suspend]
                }
                _ => {
                    ed.area.input(k);
                    ed.error = None;
                    m.overlay = Some(Overlay::Editor(ed));
                    vec![]
                }
            };
        }
        Some(Overlay::Prompt(mut p)) => {
            return match keymap.lookup(Mode::Prompt, key) {
                Some(Command::Submit) => prompt::submit(m, p),
                Some(Command::Back) => vec![],
                Some(Command::Quit) => quit(m),
                Some(Command::Suspend) => {
                    m.overlay = Some(Overlay::Prompt(p));
                    vec![Effect::Suspend]
                }
                _ => {
                    p.input.handle_event(&TermEvent::Key(k));
                    p.error = None;
                    m.overlay = Some(Overlay::Prompt(p));
                    vec![]
                }
            };
        }
        None => {}
    }
    // A list filter being typed takes the keys.
    if let Some(nav) = filtering_nav(m) {
        return match keymap.lookup(Mode::Filter, key) {
            Some(Command::Clear | Command::Back) => {
                nav.filtering = false;
                clear_filter(m);
                vec![]
            }
            Some(Command::Submit) => {
                nav.filtering = false;
                vec![]
            }
            Some(cmd) if is_nav(cmd) => {
                nav.filtering = false;
                on_command(m, cmd, keymap)
            }
            Some(cmd @ (Command::Quit | Command::Suspend | Command::Help)) => {
                on_command(m, cmd, keymap)
            }
            Some(_) => vec![],
            None => {
                nav.filter.handle_event(&TermEvent::Key(k));
                nav.selected = 0;
                vec![]
            }
        };
    }
    match keymap.lookup(m.mode(), key) {
        Some(cmd) => on_command(m, cmd, keymap),
        None if m.screen == Screen::SignIn => {
            m.signin.input.handle_event(&TermEvent::Key(k));
            m.signin.error = None;
            vec![]
        }
        None => vec![],
    }
}

/// Clears the list filter and keeps the same row selected (its position in the full list).
pub(crate) fn clear_filter(m: &mut Model) {
    match m.screen {
        Screen::Orgs => {
            let row = m.visible_orgs().get(m.orgs.nav.selected).copied();
            m.orgs.nav.filter.reset();
            m.orgs.nav.selected = row.unwrap_or(0);
        }
        Screen::Contacts => {
            let row = m.visible_contacts().get(m.contacts.nav.selected).copied();
            m.contacts.nav.filter.reset();
            m.contacts.nav.selected = row.unwrap_or(0);
        }
        Screen::Runs => {
            let row = m.runs.visible().get(m.runs.nav.selected).copied();
            m.runs.nav.filter.reset();
            m.runs.nav.selected = row.unwrap_or(0);
        }
        _ => {}
    }
}

fn filtering_nav(m: &mut Model) -> Option<&mut ListNav> {
    match m.screen {
        Screen::Orgs if m.orgs.nav.filtering => Some(&mut m.orgs.nav),
        Screen::Contacts if m.contacts.nav.filtering => Some(&mut m.contacts.nav),
        Screen::Runs if m.runs.nav.filtering => Some(&mut m.runs.nav),
        _ => None,
    }
}

pub(crate) fn quit(m: &mut Model) -> Vec<Effect> {
    if m.sending_now() {
        m.overlay = Some(Overlay::ConfirmQuit);
    } else {
        m.quit = true;
    }
    vec![]
}

pub(crate) fn prompt(kind: PromptKind, title: &str, help: &str, value: &str) -> Overlay {
    Overlay::Prompt(Prompt {
        kind,
        title: title.into(),
        help: help.into(),
        input: Input::new(value.to_string()),
        error: None,
    })
}

/// Moves a selection within `len` rows.
pub(crate) fn navigate(sel: &mut usize, len: usize, cmd: Command, page: usize) {
    let last = len.saturating_sub(1);
    *sel = match cmd {
        Command::Up => sel.saturating_sub(1),
        Command::Down => (*sel + 1).min(last),
        Command::PageUp => sel.saturating_sub(page),
        Command::PageDown => (*sel + page).min(last),
        Command::Top => 0,
        Command::Bottom => last,
        _ => *sel,
    };
}

pub(crate) fn is_nav(cmd: Command) -> bool {
    matches!(
        cmd,
        Command::Up
            | Command::Down
            | Command::PageUp
            | Command::PageDown
            | Command::Top
            | Command::Bottom
    )
}

pub fn on_command(m: &mut Model, cmd: Command, keymap: &Keymap) -> Vec<Effect> {
    let page = usize::from(m.size.1.saturating_sub(8)).max(1);
    match cmd {
        Command::Quit => return quit(m),
        Command::Help => {
            m.overlay = Some(Overlay::Help { scroll: 0 });
            return vec![];
        }
        Command::Suspend => return vec![Effect::Suspend],
        _ => {}
    }
    match m.screen {
        Screen::SignIn => match cmd {
            Command::Submit => {
                let token = m.signin.input.value().trim().to_string();
                if token.is_empty() {
                    m.signin.error = Some("paste or type the bot token first".into());
                    return vec![];
                }
                m.signin.busy = true;
                m.signin.error = None;
                vec![Effect::SignIn {
                    token: Secret::new(token),
                    remember: m.signin.remember,
                }]
            }
            Command::ToggleRemember => {
                m.signin.remember = !m.signin.remember;
                vec![]
            }
            _ => vec![],
        },
        Screen::Orgs => orgs::orgs_command(m, cmd, page),
        Screen::Readiness => orgs::readiness_command(m, cmd),
        Screen::Contacts => contacts::command(m, cmd, page, keymap),
        Screen::Template => template::command(m, cmd, page, keymap),
        Screen::Confirm => confirm::command(m, cmd, page, keymap),
        Screen::Sending => sending::command(m, cmd, page, keymap),
        Screen::Runs => runs::command(m, cmd, page),
    }
}
