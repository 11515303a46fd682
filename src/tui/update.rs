//! The pure state machine: `update(model, msg) -> effects`. No I/O, no clock, no randomness:
//! time arrives as `Msg::Tick`, results of work arrive as messages, and everything the app
//! should do comes back as [`Effect`]s. Every transition is testable without a terminal.

use std::collections::HashMap;

use compact_str::CompactString;
use crossterm::event::{Event as TermEvent, KeyEvent, KeyEventKind, MouseEventKind};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::effect::Effect;
use super::keymap::{Command, Key, Keymap, Mode};
use super::model::*;
use super::msg::Msg;
use crate::api::Secret;
use crate::invite::contact::Contact;
use crate::invite::events::{Event as EngineEvent, State};
use crate::invite::import;
use crate::invite::phone;
use crate::invite::target::Target;
use crate::invite::template::Template;

/// At most this many numbers are looked up ahead of sending (one request each); a larger list
/// is looked up by the send itself, contact by contact.
pub const ANNOTATE_MAX: usize = 300;

/// Above this many contacts the operator types the count to send.
pub const TYPED_CONFIRM_ABOVE: usize = 25;

/// The editable template fields, in screen order.
pub const TEMPLATE_FIELDS: [&str; 13] = [
    "welcome_text",
    "link_text",
    "link_label",
    "clp_url",
    "sender_id",
    "country",
    "locale",
    "welcome_delay_ms",
    "link_delay_ms",
    "leave_delay_ms",
    "send_accept",
    "send_leave",
    "name",
];

/// The key-binding mode the model is in.
pub fn mode(m: &Model) -> Mode {
    match m.overlay {
        Some(Overlay::Prompt(_)) => return Mode::Prompt,
        Some(Overlay::Editor(_)) => return Mode::Editor,
        _ => {}
    }
    match m.screen {
        Screen::SignIn => Mode::SignIn,
        Screen::Orgs => Mode::Orgs,
        Screen::Readiness => Mode::Readiness,
        Screen::Contacts => Mode::Contacts,
        Screen::Template => Mode::Template,
        Screen::Confirm => Mode::Confirm,
        Screen::Sending if m.sending.as_ref().is_some_and(|s| s.finished.is_some()) => Mode::Done,
        Screen::Sending => Mode::Sending,
    }
}

fn toast(m: &mut Model, level: Level, text: impl Into<String>) {
    m.toast = Some(Toast {
        text: text.into(),
        level,
    });
}

pub fn update(m: &mut Model, msg: Msg, keymap: &Keymap) -> Vec<Effect> {
    match msg {
        Msg::Term(TermEvent::Resize(w, h)) => {
            m.size = (w, h);
            vec![]
        }
        Msg::Term(TermEvent::Key(k)) if k.kind != KeyEventKind::Release => on_key(m, k, keymap),
        Msg::Term(TermEvent::Paste(text)) => on_paste(m, &text),
        Msg::Term(TermEvent::Mouse(me)) => match me.kind {
            MouseEventKind::ScrollUp => on_command(m, Command::Up, keymap),
            MouseEventKind::ScrollDown => on_command(m, Command::Down, keymap),
            _ => vec![],
        },
        Msg::Term(_) => vec![],
        Msg::Tick(now) => {
            m.clock = now;
            vec![]
        }
        Msg::SignedIn(Ok(session)) => {
            m.session = Some(session);
            m.signin = SignIn::default();
            m.screen = Screen::Orgs;
            m.orgs.loading = true;
            vec![Effect::LoadOrgs]
        }
        Msg::SignedIn(Err(e)) => {
            m.signin.busy = false;
            m.signin.error = Some(e);
            // The refused token goes, so a paste of the right one is not appended to it.
            m.signin.input.reset();
            m.screen = Screen::SignIn;
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
        Msg::ReadinessLoaded { org, items } => {
            if let Some(r) = m.readiness.as_mut().filter(|r| r.org.id == org) {
                r.items = items;
                r.loading = false;
            }
            vec![]
        }
        Msg::ContactsLoaded {
            org,
            result,
            capped,
        } => {
            if m.contacts.org.as_ref().is_some_and(|o| o.id == org) {
                m.contacts.loading = false;
                m.contacts.platform_capped = capped;
                if let Some(max) = capped {
                    toast(
                        m,
                        Level::Warn,
                        format!(
                            "this organization has more than {max} contacts; only the first {max} are listed"
                        ),
                    );
                }
                match result {
                    Ok(found) => {
                        // A reload keeps the selection of the platform contacts still there.
                        let was_marked: std::collections::HashSet<String> = m
                            .contacts
                            .marked_rows()
                            .filter(|r| r.source == Source::Platform)
                            .map(|r| r.key().to_string())
                            .collect();
                        m.contacts.retain(|r| r.source != Source::Platform);
                        let known: std::collections::HashSet<String> = m
                            .contacts
                            .rows()
                            .iter()
                            .map(|r| r.contact().e164().to_string())
                            .collect();
                        let platform = found.into_iter().filter(|(c, _)| !known.contains(c.e164()));
                        for (contact, note) in platform {
                            let row = ContactRow::new(contact, Source::Platform, note);
                            let marked = was_marked.contains(row.key());
                            m.contacts.push(row, marked);
                        }
                    }
                    Err(e) => toast(m, Level::Error, format!("loading contacts failed: {e}")),
                }
            }
            vec![]
        }
        Msg::Annotated { org, notes } => {
            if m.org.as_ref().is_some_and(|o| o.id == org) {
                let by_number: std::collections::HashMap<&str, &Annotation> =
                    notes.iter().map(|n| (n.e164.as_str(), n)).collect();
                for r in m.contacts.rows_mut() {
                    if let Some(n) = by_number.get(r.contact().e164()) {
                        r.set_note((*n).clone());
                    }
                }
                // Only a lookup of exactly the contacts being confirmed settles the confirm
                // screen; an earlier lookup (of a paste, say) may still be arriving.
                let covers = |t: &Target| by_number.contains_key(t.e164.as_str());
                if !m.confirm.targets.is_empty() && m.confirm.targets.iter().all(covers) {
                    m.confirm.notes = m
                        .confirm
                        .targets
                        .iter()
                        .filter_map(|t| by_number.get(t.e164.as_str()).map(|n| (*n).clone()))
                        .collect();
                    m.confirm.looking_up = false;
                }
            }
            vec![]
        }
        Msg::Imported { path, result } => match result {
            Ok(report) => take_rows(m, report, Source::Imported, &path.display().to_string()),
            Err(e) => {
                toast(m, Level::Error, e);
                vec![]
            }
        },
        Msg::Engine(e) => {
            on_engine(m, e);
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
            match r {
                Ok(p) => {
                    m.template.modified = false;
                    m.template.path = Some(p.clone());
                    toast(m, Level::Ok, format!("template saved to {}", p.display()));
                }
                Err(e) => toast(m, Level::Error, e),
            }
            vec![]
        }
        Msg::Preselect(org) => {
            m.org = Some(org);
            vec![]
        }
    }
}

fn clamp(sel: &mut usize, len: usize) {
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
            let last = crate::tui::view::help_max_scroll(m, keymap);
            if last > 0
                && let Some(cmd) = keymap.lookup(Mode::Help, key).filter(|&c| is_nav(c))
            {
                let page = usize::from(m.size.1.saturating_sub(4)).max(1);
                navigate(&mut scroll, last + 1, cmd, page);
                m.overlay = Some(Overlay::Help { scroll });
            }
            return vec![];
        }
        Some(Overlay::ConfirmQuit) => {
            return match key.code {
                crossterm::event::KeyCode::Char('y') => {
                    m.quit = true;
                    vec![Effect::CancelSend]
                }
                _ => vec![],
            };
        }
        Some(Overlay::ConfirmCancel) => {
            return match key.code {
                crossterm::event::KeyCode::Char('y') => {
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
                    match set_field(&mut m.template.template, TEMPLATE_FIELDS[ed.field], &text) {
                        Ok(()) => m.template.modified = true,
                        Err(e) => {
                            ed.error = Some(e);
                            m.overlay = Some(Overlay::Editor(ed));
                        }
                    }
                    vec![]
                }
                Some(Command::Back) => vec![],
                Some(Command::Quit) => quit(m),
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
                Some(Command::Submit) => submit_prompt(m, p),
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
        match key.code {
            crossterm::event::KeyCode::Esc => {
                nav.filtering = false;
                clear_filter(m);
                return vec![];
            }
            crossterm::event::KeyCode::Enter => nav.filtering = false,
            crossterm::event::KeyCode::Up | crossterm::event::KeyCode::Down => {
                nav.filtering = false;
                let cmd = if key.code == crossterm::event::KeyCode::Up {
                    Command::Up
                } else {
                    Command::Down
                };
                return on_command(m, cmd, keymap);
            }
            _ => {
                nav.filter.handle_event(&TermEvent::Key(k));
                nav.selected = 0;
            }
        }
        return vec![];
    }
    let mode = mode(m);
    match keymap.lookup(mode, key) {
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
fn clear_filter(m: &mut Model) {
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
        _ => {}
    }
}

fn filtering_nav(m: &mut Model) -> Option<&mut ListNav> {
    match m.screen {
        Screen::Orgs if m.orgs.nav.filtering => Some(&mut m.orgs.nav),
        Screen::Contacts if m.contacts.nav.filtering => Some(&mut m.contacts.nav),
        _ => None,
    }
}

fn quit(m: &mut Model) -> Vec<Effect> {
    if m.sending.as_ref().is_some_and(|s| s.finished.is_none()) {
        m.overlay = Some(Overlay::ConfirmQuit);
        vec![]
    } else {
        m.quit = true;
        vec![]
    }
}

fn prompt(kind: PromptKind, title: &str, help: &str, value: &str) -> Overlay {
    Overlay::Prompt(Prompt {
        kind,
        title: title.into(),
        help: help.into(),
        input: Input::new(value.to_string()),
        error: None,
    })
}

/// Moves a selection within `len` rows.
fn navigate(sel: &mut usize, len: usize, cmd: Command, page: usize) {
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

fn is_nav(cmd: Command) -> bool {
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

pub fn on_command(m: &mut Model, cmd: Command, _keymap: &Keymap) -> Vec<Effect> {
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
        Screen::Orgs => {
            let len = m.visible_orgs().len();
            match cmd {
                c if is_nav(c) => {
                    navigate(&mut m.orgs.nav.selected, len, c, page);
                    vec![]
                }
                Command::Filter => {
                    m.orgs.nav.filtering = true;
                    vec![]
                }
                Command::Back if !m.orgs.nav.filter.value().is_empty() => {
                    clear_filter(m);
                    vec![]
                }
                Command::Refresh => {
                    m.orgs.loading = true;
                    vec![Effect::LoadOrgs]
                }
                Command::Open => open_readiness(m),
                Command::InviteOne => invite_one(m),
                Command::PickContacts => open_contacts(m),
                _ => vec![],
            }
        }
        Screen::Readiness => match cmd {
            Command::Back => {
                m.screen = Screen::Orgs;
                vec![]
            }
            Command::Refresh => open_readiness(m),
            Command::InviteOne => invite_one(m),
            Command::PickContacts => open_contacts(m),
            _ => vec![],
        },
        Screen::Contacts => contacts_command(m, cmd, page),
        Screen::Template => match cmd {
            c if is_nav(c) => {
                navigate(&mut m.template.field, TEMPLATE_FIELDS.len(), c, page);
                vec![]
            }
            Command::NextTemplate => {
                let n = m.template.choices.len();
                if n == 0 {
                    toast(
                        m,
                        Level::Info,
                        "no other templates: save one to the config dir's templates/ folder",
                    );
                    return vec![];
                }
                let current = m
                    .template
                    .choices
                    .iter()
                    .position(|(p, _)| *p == m.template.path);
                let next = current.map_or(0, |i| (i + 1) % n);
                let (path, t) = m.template.choices[next].clone();
                m.template.template = t;
                m.template.path = path;
                m.template.modified = false;
                vec![]
            }
            Command::Edit
                if matches!(
                    TEMPLATE_FIELDS[m.template.field],
                    "welcome_text" | "link_text"
                ) =>
            {
                let i = m.template.field;
                let text = field_value(&m.template.template, TEMPLATE_FIELDS[i]);
                let area =
                    ratatui_textarea::TextArea::new(text.lines().map(str::to_string).collect());
                m.overlay = Some(Overlay::Editor(Box::new(Editor {
                    field: i,
                    area,
                    error: None,
                })));
                vec![]
            }
            Command::Edit => {
                let i = m.template.field;
                let name = TEMPLATE_FIELDS[i];
                let value = field_value(&m.template.template, name).replace('\n', "\\n");
                m.overlay = Some(prompt(
                    PromptKind::TemplateField(i),
                    &format!("Edit {name}"),
                    field_help(name),
                    &value,
                ));
                vec![]
            }
            Command::Save => {
                let path = m.template.path.clone().unwrap_or_else(|| {
                    crate::paths::config_dir()
                        .join("templates")
                        .join("default.toml")
                });
                vec![Effect::SaveTemplate {
                    path,
                    template: m.template.template.clone(),
                }]
            }
            Command::Review => review(m),
            Command::Back => {
                m.screen = if m.confirm.targets.is_empty() {
                    m.origin
                } else {
                    Screen::Confirm
                };
                vec![]
            }
            _ => vec![],
        },
        Screen::Confirm => match cmd {
            Command::Send => send(m),
            Command::EditTemplate => {
                m.screen = Screen::Template;
                vec![]
            }
            Command::Back => {
                m.screen = m.origin;
                m.confirm = Confirm::default();
                vec![]
            }
            _ => vec![],
        },
        Screen::Sending => sending_command(m, cmd, page),
    }
}

fn open_readiness(m: &mut Model) -> Vec<Effect> {
    let Some(org) = m
        .selected_org()
        .map(|o| o.org.clone())
        .or_else(|| m.readiness.as_ref().map(|r| r.org.clone()))
    else {
        return vec![];
    };
    m.org = Some(org.clone());
    m.readiness = Some(Readiness {
        org: org.clone(),
        items: vec![],
        loading: true,
    });
    m.screen = Screen::Readiness;
    vec![Effect::CheckOrg(org)]
}

fn current_org(m: &Model) -> Option<crate::api::models::Organization> {
    match m.screen {
        Screen::Orgs => m.selected_org().map(|o| o.org.clone()),
        _ => m.org.clone(),
    }
}

fn invite_one(m: &mut Model) -> Vec<Effect> {
    let Some(org) = current_org(m) else {
        toast(m, Level::Warn, "pick an organization first");
        return vec![];
    };
    let label = org.label().to_string();
    m.org = Some(org);
    m.overlay = Some(prompt(
        PromptKind::InvitePhone,
        &format!("Re-invite one contact of {label}"),
        "the number as the customer gives it, e.g. 06 12345678 or +32 470 12 34 56",
        "",
    ));
    vec![]
}

fn open_contacts(m: &mut Model) -> Vec<Effect> {
    let Some(org) = current_org(m) else {
        return vec![];
    };
    m.org = Some(org.clone());
    m.origin = m.screen;
    m.screen = Screen::Contacts;
    if m.contacts.org.as_ref().is_some_and(|o| o.id == org.id) {
        return vec![];
    }
    m.contacts = Contacts::default();
    m.contacts.org = Some(org.clone());
    m.contacts.loading = true;
    vec![Effect::LoadContacts(org)]
}

fn region(m: &Model) -> Option<String> {
    m.template
        .template
        .region()
        .map(str::to_string)
        .or_else(|| {
            m.org
                .as_ref()
                .and_then(|o| o.extra_str("country"))
                .map(str::to_string)
        })
}

/// Adds contacts not already listed and selects them; returns how many rows were new. A
/// number already listed once selects that row (filling in names it lacks); a number that
/// several listed contacts share is added as its own row, which says so when reviewed.
fn add_rows(m: &mut Model, contacts: Vec<Contact>, source: Source) -> usize {
    /// Where a number is listed: its row, or several rows. E.164 numbers fit a
    /// `CompactString` inline, so the index of 100,000 rows allocates once, not per row.
    #[derive(Clone, Copy)]
    enum Listed {
        Once(usize),
        Shared,
    }
    let mut index: HashMap<CompactString, Listed> = HashMap::with_capacity(m.contacts.len());
    let list_at = |index: &mut HashMap<CompactString, Listed>, e164: &str, i: usize| {
        index
            .entry(e164.into())
            .and_modify(|l| *l = Listed::Shared)
            .or_insert(Listed::Once(i));
    };
    for (i, r) in m.contacts.rows().iter().enumerate() {
        list_at(&mut index, r.contact().e164(), i);
    }
    let mut added = 0;
    m.contacts.reserve_exact(contacts.len());
    for c in contacts {
        if let Some(&Listed::Once(i)) = index.get(c.e164()) {
            if let Some(row) = m.contacts.row_mut(i) {
                let merged = row.contact().fill_missing(&c);
                row.set_contact(merged);
            }
            m.contacts.mark(i, true);
            continue;
        }
        added += 1;
        list_at(&mut index, c.e164(), m.contacts.len());
        m.contacts
            .push(ContactRow::new(c, source, Annotation::default()), true);
    }
    added
}

/// Adds an import's or a paste's good rows (moved, not copied), lists the bad ones with their
/// line, and looks the new numbers up.
fn take_rows(
    m: &mut Model,
    report: import::ImportReport,
    source: Source,
    what: &str,
) -> Vec<Effect> {
    let import::ImportReport {
        contacts,
        errors,
        duplicates,
    } = report;
    let added = add_rows(m, contacts, source);
    let (unit, prefix) = if source == Source::Added {
        ("line", "pasted line")
    } else {
        ("row", "line")
    };
    m.contacts.problems = errors
        .iter()
        .map(|e| format!("{prefix} {}: {} ({})", e.line, e.reason, e.raw))
        .collect();
    m.contacts.problems.extend(
        duplicates
            .iter()
            .map(|d| format!("{} is on several lines; kept once", d.e164)),
    );
    let level = if errors.is_empty() {
        Level::Ok
    } else {
        Level::Warn
    };
    toast(
        m,
        level,
        format!(
            "{what}: {added} contact(s) added, {} {unit}(s) skipped",
            errors.len()
        ),
    );
    annotate_contacts(m)
}

/// Looks up (at most [`ANNOTATE_MAX`]) rows nobody has looked up or is looking up, and marks
/// them as being looked up; the rest are checked by the send itself, and say so.
fn annotate_contacts(m: &mut Model) -> Vec<Effect> {
    let Some(org) = m.org.clone() else {
        return vec![];
    };
    let mut targets: Vec<Target> = Vec::new();
    for r in m.contacts.rows_mut() {
        if targets.len() == ANNOTATE_MAX {
            break;
        }
        if r.note().existing.is_none() && !r.is_looking_up() {
            r.set_looking_up();
            targets.push(r.target());
        }
    }
    if targets.is_empty() {
        return vec![];
    }
    vec![Effect::Annotate {
        org,
        targets,
        template_hash: m.template.template.template_hash(),
    }]
}

fn contacts_command(m: &mut Model, cmd: Command, page: usize) -> Vec<Effect> {
    let visible = m.visible_contacts();
    let current = visible.get(m.contacts.nav.selected).copied();
    match cmd {
        c if is_nav(c) => {
            navigate(&mut m.contacts.nav.selected, visible.len(), c, page);
            vec![]
        }
        Command::Filter => {
            m.contacts.nav.filtering = true;
            vec![]
        }
        Command::Toggle => {
            if let Some(i) = current {
                let on = !m.contacts.rows()[i].is_marked();
                m.contacts.mark(i, on);
                navigate(
                    &mut m.contacts.nav.selected,
                    visible.len(),
                    Command::Down,
                    page,
                );
            }
            vec![]
        }
        Command::ToggleAll => {
            let rows = m.contacts.rows();
            let on = !visible.iter().all(|&i| rows[i].is_marked());
            for &i in &visible {
                m.contacts.mark(i, on);
            }
            vec![]
        }
        Command::Add => {
            m.overlay = Some(prompt(
                PromptKind::AddContact,
                "Add a contact",
                "number, then optional names and e-mail: 06 12345678 Jan Jansen jan@example.nl",
                "",
            ));
            vec![]
        }
        Command::Edit => {
            if let Some(i) = current {
                let c = m.contacts.rows()[i].contact();
                let value = [Some(c.e164()), c.given_name(), c.family_name(), c.email()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                m.overlay = Some(prompt(
                    PromptKind::EditContact(i),
                    "Edit contact",
                    "number, then optional names and e-mail",
                    &value,
                ));
            }
            vec![]
        }
        Command::Remove => {
            if let Some(i) = current {
                m.contacts.mark(i, false);
                if m.contacts.rows()[i].source == Source::Platform {
                    toast(m, Level::Info, "platform contacts stay listed; unselected");
                } else {
                    m.contacts.remove(i);
                    let n = m.visible_contacts().len();
                    clamp(&mut m.contacts.nav.selected, n);
                }
            }
            vec![]
        }
        Command::Import => {
            m.overlay = Some(prompt(
                PromptKind::ImportPath,
                "Import contacts from a CSV file",
                "path to a .csv with a header: telephone,givenName,familyName,email,locale,…",
                "",
            ));
            vec![]
        }
        Command::Paste => {
            toast(
                m,
                Level::Info,
                "paste the list now (your terminal's paste): names and numbers, one per line or comma-separated",
            );
            vec![]
        }
        Command::EditTemplate => {
            m.screen = Screen::Template;
            vec![]
        }
        Command::Review => review(m),
        Command::Back => {
            if !m.contacts.nav.filter.value().is_empty() {
                clear_filter(m);
            } else {
                m.screen = m.origin;
            }
            vec![]
        }
        _ => vec![],
    }
}

/// From the contacts (or template) screen to confirm, with the selected contacts.
fn review(m: &mut Model) -> Vec<Effect> {
    let mut targets: Vec<Target> = m.contacts.marked_rows().map(ContactRow::target).collect();
    if targets.is_empty()
        && let Some(&i) = m.visible_contacts().get(m.contacts.nav.selected)
    {
        targets.push(m.contacts.rows()[i].target());
    }
    if targets.is_empty() {
        toast(
            m,
            Level::Warn,
            "select contacts first (space), or add one (a)",
        );
        return vec![];
    }
    m.origin = Screen::Contacts;
    start_confirm(m, targets)
}

fn start_confirm(m: &mut Model, targets: Vec<Target>) -> Vec<Effect> {
    let Some(org) = m.org.clone() else {
        return vec![];
    };
    // A big list is not looked up in advance: that would be one request per contact before
    // the first SMS; the send checks each contact itself.
    let look_up = targets.len() <= ANNOTATE_MAX;
    m.confirm = Confirm {
        targets: targets.clone(),
        notes: vec![],
        looking_up: look_up,
        typed: String::new(),
    };
    m.screen = Screen::Confirm;
    if !look_up {
        return vec![];
    }
    vec![Effect::Annotate {
        org,
        targets,
        template_hash: m.template.template.template_hash(),
    }]
}

fn send(m: &mut Model) -> Vec<Effect> {
    let Some(org) = m.org.clone() else {
        return vec![];
    };
    if let Err(p) = m.template.template.validate(&[]) {
        let first = p.0.first().map(|e| e.to_string()).unwrap_or_default();
        toast(
            m,
            Level::Error,
            format!("the template is not ready: {first} (t to edit)"),
        );
        return vec![];
    }
    let n = m.confirm.targets.len();
    if n > TYPED_CONFIRM_ABOVE && m.confirm.typed != n.to_string() {
        m.overlay = Some(prompt(
            PromptKind::TypeCount,
            &format!("Type {n} to send {n} invitations"),
            "a large batch needs the count typed, so it cannot go out by accident",
            "",
        ));
        return vec![];
    }
    start_send(m, org, m.confirm.targets.clone(), None)
}

fn start_send(
    m: &mut Model,
    org: crate::api::models::Organization,
    targets: Vec<Target>,
    retry_of: Option<String>,
) -> Vec<Effect> {
    m.sending = Some(Sending::new(org.label(), &targets, m.clock));
    m.screen = Screen::Sending;
    vec![Effect::StartSend {
        org,
        template: m.template.template.clone(),
        targets,
        retry_of,
    }]
}

fn sending_command(m: &mut Model, cmd: Command, page: usize) -> Vec<Effect> {
    let Some(s) = m.sending.as_mut() else {
        return vec![];
    };
    let finished = s.finished.is_some();
    match cmd {
        c if is_nav(c) => {
            navigate(&mut s.selected, s.rows.len(), c, page);
            vec![]
        }
        Command::Cancel | Command::Back if !finished => {
            if !s.cancelling {
                m.overlay = Some(Overlay::ConfirmCancel);
            }
            vec![]
        }
        Command::Back => {
            m.sending = None;
            m.confirm = Confirm::default();
            m.screen = if m.origin == Screen::Contacts {
                Screen::Contacts
            } else {
                Screen::Orgs
            };
            vec![]
        }
        Command::RetryFailed => {
            let again: Vec<usize> = s
                .rows
                .iter()
                .filter(|r| {
                    matches!(
                        r.update.state(),
                        State::Failed | State::Unknown | State::NotStarted
                    )
                })
                .map(|r| r.update.index)
                .collect();
            if again.is_empty() {
                toast(
                    m,
                    Level::Info,
                    "nothing to retry: every contact was sent or skipped",
                );
                return vec![];
            }
            let run = s.run_id.clone();
            let targets: Vec<Target> = again
                .iter()
                .filter_map(|&i| m.confirm.targets.get(i).cloned())
                .collect();
            let Some(org) = m.org.clone() else {
                return vec![];
            };
            m.confirm.targets = targets.clone();
            if targets.len() > TYPED_CONFIRM_ABOVE {
                // A large retry is a large send: the count is typed, as on the confirm screen.
                m.confirm.typed.clear();
                return send(m);
            }
            start_send(m, org, targets, Some(run))
        }
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
                "Export results to CSV",
                "file to write",
                &name,
            ));
            vec![]
        }
        Command::Copy => vec![Effect::Copy(ticket_summary(s))],
        _ => vec![],
    }
}

/// A Markdown block for a support ticket: what was sent to whom, and every failure's reason.
pub fn ticket_summary(s: &Sending) -> String {
    let mut out = format!(
        "**SMS invitations** — {} (run {})\n\n",
        s.org_name, s.run_id
    );
    if let Some(f) = &s.finished {
        out.push_str(&format!(
            "{} contact(s): {} sent, {} skipped, {} failed, {} unknown, {} not started\n\n",
            f.total, f.sent, f.skipped, f.failed, f.unknown, f.not_started
        ));
    }
    out.push_str("| number | name | result | detail |\n|---|---|---|---|\n");
    for r in &s.rows {
        let u = &r.update;
        let detail = u
            .reason
            .clone()
            .or_else(|| u.conversation.as_ref().map(|c| format!("conversation {c}")))
            .unwrap_or_default();
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            u.e164,
            u.name.clone().unwrap_or_default(),
            u.state().label(),
            detail.replace('|', "/")
        ));
    }
    out
}

fn submit_prompt(m: &mut Model, mut p: Prompt) -> Vec<Effect> {
    let value = p.input.value().trim().to_string();
    let region = region(m);
    let reopen = |m: &mut Model, mut p: Prompt, err: String| {
        p.error = Some(err);
        m.overlay = Some(Overlay::Prompt(p));
        vec![]
    };
    match p.kind.clone() {
        PromptKind::InvitePhone => match phone::normalize(&value, region.as_deref()) {
            Ok(n) => {
                m.origin = if m.screen == Screen::Readiness {
                    Screen::Readiness
                } else {
                    Screen::Orgs
                };
                let mut t = Target::from_phone(&n);
                t.line = None;
                start_confirm(m, vec![t])
            }
            Err(e) => reopen(m, p, e.to_string()),
        },
        PromptKind::AddContact | PromptKind::EditContact(_) => {
            match import::import_text(&value, region.as_deref()) {
                Ok(mut r) if r.contacts.len() == 1 => {
                    let contact = r.contacts.remove(0);
                    if let PromptKind::EditContact(i) = p.kind
                        && let Some(row) = m.contacts.row_mut(i)
                    {
                        row.set_contact(contact);
                        m.contacts.mark(i, true);
                    } else {
                        add_rows(m, vec![contact], Source::Added);
                    }
                    annotate_contacts(m)
                }
                Ok(r) if r.contacts.len() > 1 => reopen(
                    m,
                    p,
                    "one contact at a time here; paste a list on the contacts screen instead"
                        .into(),
                ),
                Ok(r) => {
                    let why = r
                        .errors
                        .first()
                        .map(|e| e.reason.clone())
                        .unwrap_or_else(|| "no phone number found".into());
                    reopen(m, p, why)
                }
                Err(e) => reopen(m, p, e.to_string()),
            }
        }
        PromptKind::ImportPath if value.is_empty() => {
            reopen(m, p, "give the path of a CSV file".into())
        }
        PromptKind::ImportPath => vec![Effect::Import {
            path: value.into(),
            region,
        }],
        PromptKind::ExportPath if value.is_empty() => reopen(m, p, "give a file name".into()),
        PromptKind::ExportPath => {
            let Some(s) = m.sending.as_ref() else {
                return vec![];
            };
            vec![Effect::Export {
                path: value.into(),
                run_id: s.run_id.clone(),
                rows: s.rows.iter().map(|r| r.update.clone()).collect(),
            }]
        }
        PromptKind::TemplateField(i) => {
            let raw = p.input.value().replace("\\n", "\n");
            match set_field(&mut m.template.template, TEMPLATE_FIELDS[i], &raw) {
                Ok(()) => {
                    m.template.modified = true;
                    vec![]
                }
                Err(e) => {
                    p.error = Some(e);
                    m.overlay = Some(Overlay::Prompt(p));
                    vec![]
                }
            }
        }
        PromptKind::TypeCount => {
            if value == m.confirm.targets.len().to_string() {
                m.confirm.typed = value;
                send(m)
            } else {
                reopen(
                    m,
                    p,
                    format!("type exactly {} to send", m.confirm.targets.len()),
                )
            }
        }
    }
}

pub fn field_value(t: &Template, name: &str) -> String {
    match name {
        "name" => t.name.clone(),
        "welcome_text" => t.welcome_text.clone(),
        "link_text" => t.link_text.clone(),
        "link_label" => t.link_label.clone(),
        "clp_url" => t.clp_url.clone(),
        "sender_id" => t.sender_id.clone(),
        "country" => t.country.clone(),
        "locale" => t.locale.clone(),
        "welcome_delay_ms" => t.welcome_delay_ms.to_string(),
        "link_delay_ms" => t.link_delay_ms.to_string(),
        "leave_delay_ms" => t.leave_delay_ms.to_string(),
        "send_accept" => t.send_accept.to_string(),
        "send_leave" => t.send_leave.to_string(),
        _ => String::new(),
    }
}

fn field_help(name: &str) -> &'static str {
    match name {
        "welcome_text" | "link_text" => {
            "variables {givenName|there} {familyName} {organization} …; \\n for a new line"
        }
        "clp_url" => "https https address of the Conversational Landing Page",
        "sender_id" => {
            "up to 11 letters/digits/spaces, or empty for the service's number (two-way)"
        }
        "country" => "two-letter country for numbers typed without +: NL, BE, DE, …",
        "send_accept" | "send_leave" => "true or false",
        n if n.ends_with("_ms") => "milliseconds after the request arrives",
        _ => "",
    }
}

fn set_field(t: &mut Template, name: &str, raw: &str) -> Result<(), String> {
    let num = |s: &str| {
        s.trim()
            .parse::<u64>()
            .map_err(|_| format!("{name} must be a whole number of milliseconds"))
    };
    let flag = |s: &str| match s.trim() {
        "true" | "yes" | "on" => Ok(true),
        "false" | "no" | "off" => Ok(false),
        _ => Err(format!("{name} must be true or false")),
    };
    match name {
        "name" => t.name = raw.trim().to_string(),
        "welcome_text" => t.welcome_text = raw.to_string(),
        "link_text" => t.link_text = raw.to_string(),
        "link_label" => t.link_label = raw.to_string(),
        "clp_url" => t.clp_url = raw.trim().to_string(),
        "sender_id" => t.sender_id = raw.trim().to_string(),
        "country" => t.country = raw.trim().to_ascii_uppercase(),
        "locale" => t.locale = raw.trim().to_string(),
        "welcome_delay_ms" => t.welcome_delay_ms = num(raw)?,
        "link_delay_ms" => t.link_delay_ms = num(raw)?,
        "leave_delay_ms" => t.leave_delay_ms = num(raw)?,
        "send_accept" => t.send_accept = flag(raw)?,
        "send_leave" => t.send_leave = flag(raw)?,
        _ => return Err(format!("unknown field {name}")),
    }
    Ok(())
}

fn on_paste(m: &mut Model, text: &str) -> Vec<Effect> {
    // Terminals deliver pasted line breaks as CR (tmux, many emulators) or CRLF.
    let text = &text.replace("\r\n", "\n").replace('\r', "\n");
    if let Some(Overlay::Editor(ed)) = m.overlay.as_mut() {
        ed.area.insert_str(text);
        return vec![];
    }
    if let Some(Overlay::Prompt(p)) = m.overlay.as_mut() {
        // Single-line prompts take the first line; pasted tokens often end in a newline.
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("");
        let mut v = p.input.value().to_string();
        v.push_str(line);
        p.input = Input::new(v);
        p.error = None;
        return vec![];
    }
    match m.screen {
        Screen::SignIn => {
            let mut v = m.signin.input.value().to_string();
            v.push_str(text.trim());
            m.signin.input = Input::new(v);
            m.signin.error = None;
            vec![]
        }
        Screen::Contacts => match import::import_text(text, region(m).as_deref()) {
            Ok(report) => take_rows(m, report, Source::Added, "pasted"),
            Err(e) => {
                toast(m, Level::Error, e.to_string());
                vec![]
            }
        },
        _ => vec![],
    }
}

fn on_engine(m: &mut Model, e: EngineEvent) {
    let clock = m.clock;
    let Some(s) = m.sending.as_mut() else { return };
    match e {
        EngineEvent::Started {
            run_id,
            total,
            dry_run,
            ..
        } => {
            s.run_id = run_id;
            s.total = total;
            s.started = clock;
            s.dry_run = dry_run;
        }
        EngineEvent::Contact(u) => {
            if let Some(row) = s.rows.get_mut(u.index) {
                row.update = *u;
            }
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
            let text = format!(
                "{}: {} sent, {} skipped, {} failed{}",
                if summary.cancelled {
                    "cancelled"
                } else {
                    "done"
                },
                summary.sent,
                summary.skipped,
                summary.failed + summary.unknown,
                if summary.not_started > 0 {
                    format!(", {} not started", summary.not_started)
                } else {
                    String::new()
                }
            );
            let level = if summary.failed + summary.unknown + summary.not_started > 0 {
                Level::Warn
            } else {
                Level::Ok
            };
            let (text, level) = match &summary.halted {
                Some(why) => (format!("the run {why}"), Level::Error),
                None => (text, level),
            };
            s.finished = Some(summary);
            s.cancelling = false;
            m.toast = Some(Toast { text, level });
        }
    }
}
