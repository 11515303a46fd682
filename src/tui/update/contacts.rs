//! The contacts screen: the organization's contacts plus numbers added, pasted or imported;
//! lookups ahead of sending; the paste box.

use std::collections::{HashMap, HashSet};

use compact_str::CompactString;

use super::{clamp, clear_filter, is_nav, nav, navigate, prompt, toast};
use crate::invite::contact::Contact;
use crate::invite::import;
use crate::invite::target::Target;
use crate::tui::effect::Effect;
use crate::tui::keymap::{Command, Keymap, Mode};
use crate::tui::model::*;

/// At most this many numbers are looked up ahead of sending: about 100 batched requests (or,
/// where the platform's lookups go one by one, the first 300 of them); the send looks up the
/// rest itself.
pub const LOOKUP_AHEAD_MAX: usize = 4_000;

pub fn command(m: &mut Model, cmd: Command, page: usize, keymap: &Keymap) -> Vec<Effect> {
    if m.contacts.problems_focus {
        if is_nav(cmd) {
            let len = m.contacts.problems.len();
            navigate(&mut m.contacts.problems_scroll, len, cmd, page);
            return vec![];
        }
        if matches!(cmd, Command::SwitchPanel | Command::Back) {
            m.contacts.problems_focus = false;
            return vec![];
        }
    }
    let visible = m.visible_contacts();
    let current = visible.get(m.contacts.nav.selected).copied();
    match cmd {
        c if is_nav(c) => {
            navigate(&mut m.contacts.nav.selected, visible.len(), c, page);
            vec![]
        }
        Command::SwitchPanel => {
            m.contacts.problems_focus = !m.contacts.problems.is_empty();
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
            m.overlay = Some(Overlay::Editor(Box::new(Editor {
                kind: EditorKind::PasteList,
                area: ratatui_textarea::TextArea::default(),
                error: None,
            })));
            vec![]
        }
        Command::Details => {
            if let Some(i) = current {
                m.overlay = Some(details(m, &m.contacts.rows()[i]));
            }
            vec![]
        }
        Command::EditTemplate => {
            nav::go(m, Screen::Template);
            vec![]
        }
        Command::Review => review(m, keymap),
        Command::Back => {
            if !m.contacts.nav.filter.value().is_empty() {
                clear_filter(m);
            } else {
                nav::back(m);
            }
            vec![]
        }
        _ => vec![],
    }
}

/// Everything known about one row, for the detail pane.
fn details(m: &Model, row: &ContactRow) -> Overlay {
    let c = row.contact();
    let mut lines = vec![
        format!("number      {} (national {})", c.e164(), c.national()),
        format!("as written  {}", c.raw_phone()),
    ];
    let mut put = |label: &str, v: Option<&str>| {
        if let Some(v) = v {
            lines.push(format!("{label:<11} {v}"));
        }
    };
    put("given name", c.given_name());
    put("family name", c.family_name());
    put("e-mail", c.email());
    put("locale", c.locale());
    put("contact id", c.contact_id());
    for (k, v) in c.extra() {
        lines.push(format!("{k:<11} {v}"));
    }
    if let Some(line) = c.line() {
        lines.push(format!("from line   {line}"));
    }
    lines.push(format!("status      {}", row.status(m.clock).text));
    if let Some(w) = c.sms_warning() {
        lines.push(format!("warning     {w}"));
    }
    Overlay::Detail {
        title: c.full_name().unwrap_or_else(|| c.e164().to_string()),
        lines,
        scroll: 0,
    }
}

/// From the contacts (or template) screen to confirm, with the selected contacts.
pub fn review(m: &mut Model, keymap: &Keymap) -> Vec<Effect> {
    let mut targets: Vec<Target> = m.contacts.marked_rows().map(ContactRow::target).collect();
    if targets.is_empty()
        && let Some(&i) = m.visible_contacts().get(m.contacts.nav.selected)
    {
        targets.push(m.contacts.rows()[i].target());
    }
    if targets.is_empty() {
        let key = |c| keymap.key_name(Mode::Contacts, c);
        let text = format!(
            "select contacts first ({}), or add one ({})",
            key(Command::Toggle),
            key(Command::Add)
        );
        toast(m, Level::Warn, text);
        return vec![];
    }
    super::confirm::start(m, targets, None)
}

pub fn loaded(
    m: &mut Model,
    org: String,
    result: Result<Vec<(Contact, Lookup)>, String>,
    capped: Option<usize>,
) -> Vec<Effect> {
    if m.contacts.org.as_ref().is_none_or(|o| o.id != org) {
        return vec![];
    }
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
            let was_marked: HashSet<String> = m
                .contacts
                .marked_rows()
                .filter(|r| r.source == Source::Platform)
                .map(|r| r.key().to_string())
                .collect();
            m.contacts.retain(|r| r.source != Source::Platform);
            let known: HashSet<String> = m
                .contacts
                .rows()
                .iter()
                .map(|r| r.contact().e164().to_string())
                .collect();
            let platform = found.into_iter().filter(|(c, _)| !known.contains(c.e164()));
            for (contact, lookup) in platform {
                let row = ContactRow::new(contact, Source::Platform, lookup);
                let marked = was_marked.contains(row.key());
                m.contacts.push(row, marked);
            }
        }
        Err(e) => toast(m, Level::Error, format!("loading contacts failed: {e}")),
    }
    vec![]
}

/// Lookups arrived: the rows take them, and so does the confirm screen when they cover
/// exactly the contacts being confirmed (an earlier lookup, of a paste say, may still be
/// arriving).
pub fn looked_up(m: &mut Model, org: &str, lookups: Vec<Lookup>) {
    if m.org.as_ref().is_none_or(|o| o.id != org) {
        return;
    }
    let by_number: HashMap<&str, &Lookup> = lookups.iter().map(|l| (l.e164.as_str(), l)).collect();
    for r in m.contacts.rows_mut() {
        if let Some(l) = by_number.get(r.contact().e164()) {
            r.set_lookup((*l).clone());
        }
    }
    let covers = |t: &Target| by_number.contains_key(t.e164.as_str());
    if !m.confirm.targets.is_empty() && m.confirm.targets.iter().all(covers) {
        let wanted: HashSet<&str> = m.confirm.targets.iter().map(|t| t.e164.as_str()).collect();
        m.confirm.lookups = lookups
            .iter()
            .filter(|l| wanted.contains(l.e164.as_str()))
            .map(|l| (l.e164.clone(), l.clone()))
            .collect();
        m.confirm.looking_up = false;
        m.confirm.refresh(m.clock);
    }
}

pub fn on_paste(m: &mut Model, text: &str) -> Vec<Effect> {
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
        p.input = tui_input::Input::new(v);
        p.error = None;
        return vec![];
    }
    if m.overlay.is_some() {
        return vec![];
    }
    match m.screen {
        Screen::SignIn => {
            let mut v = m.signin.input.value().to_string();
            v.push_str(text.trim());
            m.signin.input = tui_input::Input::new(v);
            m.signin.error = None;
            vec![]
        }
        Screen::Contacts => import_pasted(m, text),
        _ => vec![],
    }
}

fn import_pasted(m: &mut Model, text: &str) -> Vec<Effect> {
    match import::import_text(text, super::orgs::region(m).as_deref()) {
        Ok(report) => take_rows(m, report, Source::Added, "pasted"),
        Err(e) => {
            toast(m, Level::Error, e.to_string());
            vec![]
        }
    }
}

/// The paste box was finished: its text is imported like a paste; an empty box just closes.
pub fn paste_box_done(m: &mut Model, mut ed: Box<Editor>, text: &str) -> Vec<Effect> {
    if text.trim().is_empty() {
        return vec![];
    }
    match import::import_text(text, super::orgs::region(m).as_deref()) {
        Ok(report) if report.contacts.is_empty() && !report.errors.is_empty() => {
            ed.error = Some(format!(
                "no usable number: {}",
                report
                    .errors
                    .first()
                    .map(|e| e.reason.clone())
                    .unwrap_or_default()
            ));
            m.overlay = Some(Overlay::Editor(ed));
            vec![]
        }
        Ok(report) => take_rows(m, report, Source::Added, "pasted"),
        Err(e) => {
            ed.error = Some(e.to_string());
            m.overlay = Some(Overlay::Editor(ed));
            vec![]
        }
    }
}

/// Adds contacts not already listed and selects them; returns how many rows were new. A
/// number already listed once selects that row (filling in names it lacks); a number that
/// several listed contacts share is added as its own row, which says so when reviewed.
pub fn add_rows(m: &mut Model, contacts: Vec<Contact>, source: Source) -> usize {
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
            .push(ContactRow::new(c, source, Lookup::default()), true);
    }
    added
}

/// Adds an import's or a paste's good rows (moved, not copied), lists the bad ones with their
/// line, and looks the new numbers up.
pub fn take_rows(
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
    let prefix = if source == Source::Added {
        "pasted line"
    } else {
        "line"
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
    m.contacts.problems_scroll = 0;
    let level = if errors.is_empty() {
        Level::Ok
    } else {
        Level::Warn
    };
    // The same count as the panel's title: every line of the panel is one not added.
    let mut text = format!("{what}: {added} contact(s) added");
    let left_out = m.contacts.problems.len();
    if left_out > 0 {
        text.push_str(&format!(", {left_out} line(s) not added (listed below)"));
    }
    toast(m, level, text);
    look_up_rows(m)
}

/// Looks up (at most [`LOOKUP_AHEAD_MAX`]) rows nobody has looked up or is looking up, and
/// marks them as being looked up; the rest are checked by the send itself, and say so.
pub fn look_up_rows(m: &mut Model) -> Vec<Effect> {
    let Some(org) = m.org.clone() else {
        return vec![];
    };
    let mut targets: Vec<Target> = Vec::new();
    for r in m.contacts.rows_mut() {
        if targets.len() == LOOKUP_AHEAD_MAX {
            break;
        }
        if r.lookup().found.is_none() && r.lookup().error.is_none() && !r.is_looking_up() {
            r.set_looking_up();
            targets.push(r.target());
        }
    }
    if targets.is_empty() {
        return vec![];
    }
    vec![Effect::LookUp {
        org,
        targets,
        template_hash: m.template.template.template_hash(),
    }]
}
