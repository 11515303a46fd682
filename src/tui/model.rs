//! The one owner of state. Everything the screen shows is derived from a [`Model`]; only
//! [`super::update::update`] changes it.

use std::collections::BTreeSet;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use tui_input::Input;

use crate::api::models::Organization;
use crate::invite::events::{ContactUpdate, Summary};
use crate::invite::readiness::{CheckItem, OrgSms};
use crate::invite::target::Target;
use crate::invite::template::Template;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    SignIn,
    Orgs,
    Readiness,
    Contacts,
    Template,
    Confirm,
    Sending,
}

/// What a text prompt is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromptKind {
    /// Re-invite one number: straight to confirm.
    InvitePhone,
    /// Add a contact to the list: "number [given [family]] [email]".
    AddContact,
    /// Edit the selected contact (same syntax).
    EditContact(usize),
    ImportPath,
    ExportPath,
    /// Edit one template field.
    TemplateField(usize),
    /// Typed count before a large send.
    TypeCount,
}

#[derive(Clone, Debug)]
pub struct Prompt {
    pub kind: PromptKind,
    pub title: String,
    pub help: String,
    pub input: Input,
    pub error: Option<String>,
}

/// A multi-line editor for the message texts.
#[derive(Clone, Debug)]
pub struct Editor {
    pub field: usize,
    pub area: ratatui_textarea::TextArea<'static>,
    pub error: Option<String>,
}

#[derive(Clone, Debug)]
pub enum Overlay {
    Help,
    Prompt(Prompt),
    Editor(Box<Editor>),
    ConfirmQuit,
    ConfirmCancel,
}

/// Who is signed in (from the token's claims and the user record).
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub name: String,
    pub user_id: String,
    pub organization: String,
    pub scope: String,
    pub expires: Option<DateTime<Utc>>,
    pub api_url: String,
    pub demo: bool,
}

#[derive(Clone, Debug, Default)]
pub struct SignIn {
    pub input: Input,
    pub error: Option<String>,
    pub busy: bool,
    pub remember: bool,
}

/// A list that can be filtered and scrolled.
#[derive(Clone, Debug, Default)]
pub struct ListNav {
    pub filter: Input,
    pub filtering: bool,
    pub selected: usize,
}

#[derive(Clone, Debug, Default)]
pub struct Orgs {
    pub rows: Vec<OrgSms>,
    pub nav: ListNav,
    pub loading: bool,
    pub error: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Readiness {
    pub org: Organization,
    pub items: Vec<CheckItem>,
    pub loading: bool,
}

/// Where a contact row came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Platform,
    Added,
    Imported,
}

/// What a lookup found out about a number before sending.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Annotation {
    pub e164: String,
    /// None while unknown.
    pub existing: Option<bool>,
    pub name: Option<String>,
    pub held_by: Option<String>,
    pub shared: usize,
    /// "sent 2h ago" from the journal.
    pub last_invite: Option<String>,
    pub error: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ContactRow {
    pub target: Target,
    pub source: Source,
    pub note: Annotation,
    /// Lower-case names, built once so filtering 100,000 rows per keystroke is a scan of ready
    /// strings; [`ContactRow::refresh`] after changing a row.
    search: String,
}

impl ContactRow {
    pub fn new(target: Target, source: Source, note: Annotation) -> ContactRow {
        let mut row = ContactRow {
            target,
            source,
            note,
            search: String::new(),
        };
        row.refresh();
        row
    }

    /// Rebuilds the search key (lower-case names) from the target and the looked-up name.
    pub fn refresh(&mut self) {
        let mut s = String::new();
        for part in [
            &self.target.given_name,
            &self.target.family_name,
            &self.note.name,
        ]
        .into_iter()
        .flatten()
        {
            if !s.is_empty() {
                s.push('\u{1f}');
            }
            s.push_str(&part.to_lowercase());
        }
        self.search = s;
    }

    /// Whether the row matches a lower-case filter: the number in either spelling, or a
    /// name (also across the given/family boundary, "jan jansen").
    pub fn matches(&self, filter_lower: &str) -> bool {
        self.target.e164.contains(filter_lower)
            || self.target.national.contains(filter_lower)
            || self.search.contains(filter_lower)
            || (filter_lower.contains(' ')
                && self
                    .target
                    .full_name()
                    .is_some_and(|n| n.to_lowercase().contains(filter_lower)))
    }

    /// Selection key: the platform contact when known (two contacts may share a number),
    /// else the number.
    pub fn key(&self) -> String {
        self.target
            .contact_id
            .clone()
            .unwrap_or_else(|| self.target.e164.clone())
    }
}

#[derive(Clone, Debug, Default)]
pub struct Contacts {
    pub org: Option<Organization>,
    pub rows: Vec<ContactRow>,
    /// Selected rows by [`ContactRow::key`].
    pub marked: BTreeSet<String>,
    pub nav: ListNav,
    pub loading: bool,
    /// Import problems: "line N: reason".
    pub problems: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct TemplateState {
    pub template: Template,
    pub path: Option<PathBuf>,
    pub field: usize,
    pub modified: bool,
    /// Templates to choose from (the config dir's `templates/*.toml` and the built-in one).
    pub choices: Vec<(Option<PathBuf>, Template)>,
}

#[derive(Clone, Debug, Default)]
pub struct Confirm {
    pub targets: Vec<Target>,
    pub notes: Vec<Annotation>,
    pub looking_up: bool,
    /// Typed count, for large batches.
    pub typed: String,
}

#[derive(Clone, Debug)]
pub struct SendRow {
    pub update: ContactUpdate,
}

#[derive(Clone, Debug)]
pub struct Sending {
    pub run_id: String,
    pub org_name: String,
    pub total: usize,
    pub rows: Vec<SendRow>,
    pub started: DateTime<Utc>,
    pub finished: Option<Summary>,
    pub rate_limited_until: Option<DateTime<Utc>>,
    pub rate_limit_count: u32,
    pub notices: Vec<String>,
    pub cancelling: bool,
    pub selected: usize,
    pub dry_run: bool,
}

impl Sending {
    /// A send about to start: every target queued, nothing finished.
    pub fn new(org_name: &str, targets: &[Target], started: DateTime<Utc>) -> Sending {
        let rows = targets
            .iter()
            .enumerate()
            .map(|(index, t)| SendRow {
                update: ContactUpdate {
                    index,
                    e164: t.e164.clone(),
                    name: t.full_name(),
                    state: Some(crate::invite::events::State::Queued),
                    ..ContactUpdate::default()
                },
            })
            .collect();
        Sending {
            run_id: String::new(),
            org_name: org_name.to_string(),
            total: targets.len(),
            rows,
            started,
            finished: None,
            rate_limited_until: None,
            rate_limit_count: 0,
            notices: vec![],
            cancelling: false,
            selected: 0,
            dry_run: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Ok,
    Warn,
    Error,
}

#[derive(Clone, Debug)]
pub struct Toast {
    pub text: String,
    pub level: Level,
}

#[derive(Clone, Debug)]
pub struct Model {
    pub screen: Screen,
    pub overlay: Option<Overlay>,
    pub size: (u16, u16),
    pub clock: DateTime<Utc>,
    pub session: Option<Session>,
    pub signin: SignIn,
    pub orgs: Orgs,
    pub readiness: Option<Readiness>,
    pub org: Option<Organization>,
    pub contacts: Contacts,
    pub template: TemplateState,
    pub confirm: Confirm,
    pub sending: Option<Sending>,
    pub toast: Option<Toast>,
    pub quit: bool,
    /// Screen to return to when the confirm/send flow ends.
    pub origin: Screen,
}

impl Model {
    pub fn new(template: Template, template_path: Option<PathBuf>, clock: DateTime<Utc>) -> Model {
        Model {
            screen: Screen::SignIn,
            overlay: None,
            size: (80, 24),
            clock,
            session: None,
            signin: SignIn::default(),
            orgs: Orgs::default(),
            readiness: None,
            org: None,
            contacts: Contacts::default(),
            template: TemplateState {
                template,
                path: template_path,
                field: 0,
                modified: false,
                choices: Vec::new(),
            },
            confirm: Confirm::default(),
            sending: None,
            toast: None,
            quit: false,
            origin: Screen::Orgs,
        }
    }

    /// Indices of the organizations that match the filter (case-insensitive, name or id).
    pub fn visible_orgs(&self) -> Vec<usize> {
        let f = self.orgs.nav.filter.value().to_lowercase();
        self.orgs
            .rows
            .iter()
            .enumerate()
            .filter(|(_, o)| {
                f.is_empty() || o.org.label().to_lowercase().contains(&f) || o.org.id.contains(&f)
            })
            .map(|(i, _)| i)
            .collect()
    }

    pub fn selected_org(&self) -> Option<&OrgSms> {
        let v = self.visible_orgs();
        v.get(self.orgs.nav.selected)
            .and_then(|&i| self.orgs.rows.get(i))
    }

    /// Indices of the contact rows that match the filter.
    pub fn visible_contacts(&self) -> Vec<usize> {
        let f = self.contacts.nav.filter.value().to_lowercase();
        if f.is_empty() {
            return (0..self.contacts.rows.len()).collect();
        }
        self.contacts
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.matches(&f))
            .map(|(i, _)| i)
            .collect()
    }
}
