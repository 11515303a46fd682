//! The one owner of state. Everything the screen shows is derived from a [`Model`]; only
//! [`super::update::update`] changes it.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use compact_str::CompactString;
use tui_input::Input;

use super::keymap::Mode;

mod confirm;
mod template_field;
pub use confirm::{Attention, Confirm, Review, Tally};
pub use template_field::TemplateField;

use crate::api::models::Organization;
use crate::invite::contact::Contact;
use crate::invite::events::{ContactUpdate, State, Summary};
use crate::invite::follow::{Ending, FollowSummary, Ledger, Outcome};
use crate::invite::journal::RunListing;
use crate::invite::link::LinkBook;
use crate::invite::readiness::{OrgSms, Report};
use crate::invite::target::Target;
use crate::invite::template::Template;
use crate::invite::verdict::{Force, Pick};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    SignIn,
    Orgs,
    Readiness,
    Contacts,
    Template,
    Confirm,
    Sending,
    Runs,
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
    TemplateField(TemplateField),
    /// Typed count before a large send.
    TypeCount,
    /// The landing-page address of the organization being sent for.
    LinkAddress,
}

#[derive(Clone, Debug)]
pub struct Prompt {
    pub kind: PromptKind,
    pub title: String,
    pub help: String,
    pub input: Input,
    pub error: Option<String>,
}

/// What a multi-line editor edits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EditorKind {
    /// One of the template's message texts.
    TemplateField(TemplateField),
    /// The paste box: a list of names and numbers, typed or pasted, imported when finished.
    PasteList,
}

/// A multi-line editor: the message texts, and the paste box.
#[derive(Clone, Debug)]
pub struct Editor {
    pub kind: EditorKind,
    pub area: ratatui_textarea::TextArea<'static>,
    pub error: Option<String>,
}

/// One choice in the pick list of a shared phone number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PickOption {
    /// This contact (by position among the candidates) gets the invitation.
    One { choice: usize, label: String },
    /// Every contact with the number gets their own invitation.
    All { count: usize },
}

/// Where the candidates of a pick list come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PickSource {
    /// The platform contacts a target's lookup found (by position in `Confirm::targets`).
    Target(usize),
    /// Selected contacts with one phone (by position in `Confirm::same_phone`).
    SamePhone(usize),
}

/// Choosing who gets the invitation when several contacts have one phone.
#[derive(Clone, Debug)]
pub struct PickList {
    pub e164: String,
    pub source: PickSource,
    pub options: Vec<PickOption>,
    pub selected: usize,
}

#[derive(Clone, Debug)]
pub enum Overlay {
    /// Help for the screen below; `scroll` is the first line shown, for short terminals.
    Help {
        scroll: usize,
    },
    Prompt(Prompt),
    Editor(Box<Editor>),
    ConfirmQuit,
    ConfirmCancel,
    /// The whole of one row: reason, warnings, ids, wrapped and scrollable.
    Detail {
        title: String,
        lines: Vec<String>,
        scroll: usize,
    },
    Pick(PickList),
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
    /// The API is a sandbox on this machine (plain http landing pages are then acceptable).
    pub local_api: bool,
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
    pub report: Option<Report>,
}

/// Where a contact row came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Platform,
    Added,
    Imported,
}

pub use crate::invite::verdict::Lookup;

/// One row of the contacts screen. Its fields are private so that the search key always
/// matches the contact and the note, and so that only [`Contacts`] (which keeps the count of
/// selected rows) selects a row.
#[derive(Clone, Debug)]
pub struct ContactRow {
    contact: Contact,
    pub source: Source,
    marked: bool,
    /// A lookup of this row is on its way (see [`ContactRow::set_looking_up`]).
    looking_up: bool,
    /// Most rows have not been looked up yet; a lookup costs a pointer until they are.
    lookup: Option<Box<Lookup>>,
    /// Lower-case names, built once so filtering 100,000 rows per keystroke is a scan of ready
    /// strings. Most fit the 24 inline bytes of a `CompactString`, so they cost no allocation.
    search: CompactString,
    /// Whether the search key has a digit or `+`, which a number filter could match.
    search_numeric: bool,
}

fn is_number_byte(b: u8) -> bool {
    b.is_ascii_digit() || b == b'+'
}

/// A lower-case contacts filter, prepared once per key press: 100,000 rows are then searched
/// with one compiled substring finder, and number spellings only when the filter could be
/// part of a number (digits and `+`).
pub struct RowFilter<'a> {
    finder: memchr::memmem::Finder<'a>,
    numeric: bool,
}

impl<'a> RowFilter<'a> {
    pub fn new(lower: &'a str) -> RowFilter<'a> {
        RowFilter {
            finder: memchr::memmem::Finder::new(lower),
            numeric: lower.bytes().all(is_number_byte),
        }
    }
}

/// The lookup of a row nobody has looked up.
static NOT_LOOKED_UP: Lookup = Lookup {
    e164: String::new(),
    found: None,
    last_invite: None,
    error: None,
};

impl ContactRow {
    pub fn new(contact: Contact, source: Source, lookup: Lookup) -> ContactRow {
        let mut row = ContactRow {
            contact,
            source,
            marked: false,
            looking_up: false,
            lookup: None,
            search: CompactString::default(),
            search_numeric: false,
        };
        row.set_lookup(lookup);
        row
    }

    pub fn contact(&self) -> &Contact {
        &self.contact
    }

    pub fn lookup(&self) -> &Lookup {
        self.lookup.as_deref().unwrap_or(&NOT_LOOKED_UP)
    }

    pub fn is_marked(&self) -> bool {
        self.marked
    }

    /// Whether a lookup is on its way; a row not looked up and not being looked up is only
    /// checked when it is sent (lookups ahead of sending are capped).
    pub fn is_looking_up(&self) -> bool {
        self.looking_up
    }

    /// A lookup was started for this row; its result ends it.
    pub fn set_looking_up(&mut self) {
        self.looking_up = true;
    }

    /// Replaces the contact (an edit, or names filled in); a lookup of another number goes.
    pub fn set_contact(&mut self, contact: Contact) {
        let same_number = contact.e164() == self.contact.e164();
        self.contact = contact;
        if !same_number {
            self.lookup = None;
            self.looking_up = false;
        }
        self.refresh();
    }

    pub fn set_lookup(&mut self, lookup: Lookup) {
        let empty = Lookup {
            e164: lookup.e164.clone(),
            ..Lookup::default()
        };
        self.lookup = (lookup != empty).then(|| Box::new(lookup));
        self.looking_up = false;
        self.refresh();
    }

    /// Rebuilds the search key: the lower-case full name ("jan jansen", so a filter may span
    /// given and family name), then the looked-up name after a separator no one types.
    fn refresh(&mut self) {
        let mut s = CompactString::default();
        let c = &self.contact;
        if let Some(name) = c.full_name() {
            s.push_str(&name.to_lowercase());
        }
        if let Some(name) = self.lookup().name() {
            if !s.is_empty() {
                s.push('\u{1f}');
            }
            s.push_str(&name.to_lowercase());
        }
        self.search_numeric = s.bytes().any(is_number_byte);
        self.search = s;
    }

    /// Whether the row matches the filter: the number in either spelling, or a name.
    pub fn matches(&self, filter: &RowFilter<'_>) -> bool {
        let found = |hay: &str| filter.finder.find(hay.as_bytes()).is_some();
        if filter.numeric {
            found(self.contact.e164())
                || found(self.contact.national())
                || (self.search_numeric && found(&self.search))
        } else {
            found(&self.search)
        }
    }

    /// Selection key: the platform contact when known (two contacts may share a number),
    /// else the number.
    pub fn key(&self) -> &str {
        self.contact
            .contact_id()
            .unwrap_or_else(|| self.contact.e164())
    }

    /// What the engine needs to invite this contact.
    pub fn target(&self) -> Target {
        self.contact.to_target()
    }

    /// What sending to this row would do, in the shared rules' words, as of `now` (a
    /// cooldown runs out).
    pub fn status(&self, now: DateTime<Utc>) -> RowStatus {
        let said = |text: &str, alert| RowStatus {
            text: text.to_string(),
            alert,
        };
        let l = self.lookup();
        if let Some(e) = &l.error {
            return said(&format!("✗ lookup failed: {e}"), true);
        }
        let target = Target {
            contact_id: self.contact.contact_id().map(str::to_string),
            ..Target::default()
        };
        match l.verdict(&target, Force::default(), now) {
            None if self.looking_up => said("looking up…", false),
            None => said("checked at send", false),
            Some(Ok(Pick::New)) => said("new", false),
            Some(Ok(Pick::Existing(_))) => said("existing", false),
            Some(Err(r)) => said(&format!("{}: {}", r.state.label(), r.reason), true),
        }
    }
}

/// A contact row's status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowStatus {
    pub text: String,
    /// Sending would not go as planned (a skip, a failed lookup): it needs the operator's eye.
    pub alert: bool,
}

/// The contacts screen's list. Rows change through its methods so that the count of selected
/// rows, shown on every frame, never needs a scan of 100,000 rows.
#[derive(Clone, Debug, Default)]
pub struct Contacts {
    pub org: Option<Organization>,
    rows: Vec<ContactRow>,
    marked: usize,
    pub nav: ListNav,
    pub loading: bool,
    /// Import problems: "line N: reason".
    pub problems: Vec<String>,
    /// The problems panel has the keys (Tab switches), and its first line shown.
    pub problems_focus: bool,
    pub problems_scroll: usize,
    /// Set to the cap when the organization has more contacts than the list loads.
    pub platform_capped: Option<usize>,
    /// The rows matching the filter, as of the end of the last update. A key press both
    /// updates and draws, and each needs the filtered rows; over 100,000 rows one filtering
    /// pass is 5 ms, so the update filters once ([`Contacts::refresh_matches`]) and the view
    /// and the next update read the result. Every change to the rows goes through a
    /// `&mut self` method here, which drops it.
    matches: Option<FilterMatches>,
}

/// The rows a filter matched, remembered with the filter they are for.
#[derive(Clone, Debug)]
struct FilterMatches {
    filter: String,
    rows: Vec<usize>,
}

impl Contacts {
    pub fn rows(&self) -> &[ContactRow] {
        &self.rows
    }

    /// Indices of the rows that match the filter (the number in either spelling, or a name):
    /// the remembered ones when they are for this filter, else found afresh.
    pub fn visible(&self) -> Vec<usize> {
        let f = self.nav.filter.value().to_lowercase();
        if f.is_empty() {
            return (0..self.rows.len()).collect();
        }
        match &self.matches {
            Some(m) if m.filter == f => m.rows.clone(),
            _ => self.filter_rows(&f),
        }
    }

    /// Filters the rows now and remembers the result for [`Contacts::visible`] (nothing to do
    /// when the remembered rows are for this filter already). The update calls it once per
    /// message, so a key press filters 100,000 rows once, not once more for the frame.
    pub fn refresh_matches(&mut self) {
        let f = self.nav.filter.value().to_lowercase();
        if f.is_empty() {
            self.matches = None;
        } else if !self.matches_remembered_for(&f) {
            let rows = self.filter_rows(&f);
            self.matches = Some(FilterMatches { filter: f, rows });
        }
    }

    /// Whether [`Contacts::visible`] answers from remembered rows (for the filter as it is).
    pub fn matches_remembered(&self) -> bool {
        self.matches_remembered_for(&self.nav.filter.value().to_lowercase())
    }

    fn matches_remembered_for(&self, lower: &str) -> bool {
        self.matches.as_ref().is_some_and(|m| m.filter == lower)
    }

    fn filter_rows(&self, lower: &str) -> Vec<usize> {
        let filter = RowFilter::new(lower);
        self.rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.matches(&filter))
            .map(|(i, _)| i)
            .collect()
    }

    /// A row, to change its contact or lookup (selection goes through [`Contacts::mark`]).
    pub fn row_mut(&mut self, i: usize) -> Option<&mut ContactRow> {
        self.changed();
        self.rows.get_mut(i)
    }

    pub fn rows_mut(&mut self) -> impl Iterator<Item = &mut ContactRow> {
        self.changed();
        self.rows.iter_mut()
    }

    /// Rows may match the filter differently now.
    fn changed(&mut self) {
        self.matches = None;
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Room for `n` more rows in one allocation: growing by doubling would hold up to twice
    /// the rows' memory during a 100,000-row import.
    pub fn reserve_exact(&mut self, n: usize) {
        self.rows.reserve_exact(n);
    }

    pub fn push(&mut self, mut row: ContactRow, marked: bool) {
        self.changed();
        row.marked = marked;
        self.marked += usize::from(marked);
        self.rows.push(row);
    }

    pub fn remove(&mut self, i: usize) -> Option<ContactRow> {
        self.changed();
        (i < self.rows.len()).then(|| {
            let row = self.rows.remove(i);
            self.marked -= usize::from(row.marked);
            row
        })
    }

    pub fn retain(&mut self, keep: impl FnMut(&ContactRow) -> bool) {
        self.changed();
        self.rows.retain(keep);
        self.marked = self.rows.iter().filter(|r| r.marked).count();
    }

    /// Selects or unselects row `i`.
    pub fn mark(&mut self, i: usize, on: bool) {
        if let Some(row) = self.rows.get_mut(i)
            && row.marked != on
        {
            row.marked = on;
            if on {
                self.marked += 1;
            } else {
                self.marked -= 1;
            }
        }
    }

    /// Selects exactly the rows whose [`ContactRow::key`] is listed.
    pub fn mark_keys<'a>(&mut self, keys: impl IntoIterator<Item = &'a str>) {
        let keys: std::collections::HashSet<&str> = keys.into_iter().collect();
        for row in &mut self.rows {
            row.marked = keys.contains(row.key());
        }
        self.marked = self.rows.iter().filter(|r| r.marked).count();
    }

    pub fn marked_count(&self) -> usize {
        self.marked
    }

    pub fn marked_rows(&self) -> impl Iterator<Item = &ContactRow> {
        self.rows.iter().filter(|r| r.marked)
    }
}

#[derive(Clone, Debug)]
pub struct TemplateState {
    pub template: Template,
    pub path: Option<PathBuf>,
    /// The field selected on the template screen.
    pub field: TemplateField,
    pub modified: bool,
    /// Templates to choose from (the config dir's `templates/*.toml` and the built-in one).
    pub choices: Vec<(Option<PathBuf>, Template)>,
    /// Where `ctrl-s` saves a template that has no file yet.
    pub save_dir: PathBuf,
}

/// Failed or unknown: listed in the failures panel.
pub fn is_failure(st: State) -> bool {
    matches!(st, State::Failed | State::Unknown)
}

#[derive(Clone, Debug)]
pub struct SendRow {
    pub update: ContactUpdate,
}

/// Whether a follower watches the run on screen, as it last said. A run opened from the runs
/// screen is not followed in this session; it shows what earlier followers journalled.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Following {
    #[default]
    Off,
    /// A follower runs; `next_in` is the wait it announced after its last look (none yet
    /// before its first).
    On {
        next_in: Option<std::time::Duration>,
    },
    /// It stopped, and why.
    Ended(Ending),
}

/// What is known of a run after its invitations went out: did each customer come back, did
/// the platform report a problem. Kept with the run's rows so every screen of the run (and the
/// summary copied from it) reads one account.
#[derive(Clone, Debug, Default)]
pub struct FollowState {
    pub ledger: Ledger,
    pub status: Following,
    /// The last listing's trouble, as the follower worded it; gone after a clean look.
    pub trouble: Option<String>,
    /// The look under way had trouble: a follower reports trouble before it says the look is
    /// done, so the trouble of this look must outlive that report and an older one must not.
    pub trouble_in_look: bool,
}

impl FollowState {
    /// What earlier followers journalled, with nothing following now.
    pub fn journalled(ledger: Ledger) -> FollowState {
        FollowState {
            ledger,
            ..FollowState::default()
        }
    }

    /// Where contact `index` stands, when its invitation is followed.
    pub fn outcome(&self, index: usize) -> Option<Outcome> {
        self.ledger.outcome(index)
    }

    pub fn summary(&self) -> FollowSummary {
        self.ledger.summary()
    }

    /// Whether any invitation of the run is followed (so there is something to show).
    pub fn any(&self) -> bool {
        !self.ledger.is_empty()
    }

    /// Whether following goes on, in the words the screens and the ticket use.
    pub fn status_words(&self) -> String {
        match &self.status {
            Following::Off => "as journalled; not followed now".into(),
            Following::On { next_in: None } => "following".into(),
            Following::On {
                next_in: Some(wait),
            } => format!(
                "following: next look in {}",
                crate::invite::follow::human(*wait)
            ),
            Following::Ended(Ending::EveryoneBack) => "everyone came back; following ended".into(),
            Following::Ended(Ending::WindowClosed) => {
                "following ended: the window after the last invitation closed".into()
            }
            Following::Ended(Ending::Cancelled) => "following stopped".into(),
        }
    }
}

/// The sending and done screens: every contact of the batch, across its attempts.
#[derive(Clone, Debug)]
pub struct Sending {
    pub run_id: String,
    pub org: Organization,
    /// By journal index, ascending; changed only through [`Sending::upsert`], which keeps
    /// the counts below.
    rows: Vec<SendRow>,
    /// Rows per state, and the journal indices of the failed and unknown ones: a frame reads
    /// these instead of counting 100,000 rows.
    counts: [usize; State::ALL.len()],
    failures: std::collections::BTreeSet<usize>,
    pub started: DateTime<Utc>,
    /// The current attempt's end; `None` while it runs.
    pub finished: Option<Summary>,
    pub rate_limited_until: Option<DateTime<Utc>>,
    pub rate_limit_count: u32,
    pub notices: Vec<String>,
    pub cancelling: bool,
    pub selected: usize,
    pub dry_run: bool,
    /// The failures panel has the keys (Tab switches), and its first line shown.
    pub failures_focus: bool,
    pub failures_scroll: usize,
    /// What following saw of the sent invitations, and whether it goes on.
    pub follow: FollowState,
}

impl Sending {
    /// A send about to start: every target queued, nothing finished.
    pub fn new(org: &Organization, targets: &[Target], started: DateTime<Utc>) -> Sending {
        let mut s = Sending::empty(org, started);
        s.rows = targets
            .iter()
            .enumerate()
            .map(|(index, t)| SendRow {
                update: ContactUpdate {
                    index,
                    e164: t.e164.clone(),
                    name: t.full_name(),
                    state: Some(State::Queued),
                    ..ContactUpdate::default()
                },
            })
            .collect();
        s.recount();
        s
    }

    fn empty(org: &Organization, started: DateTime<Utc>) -> Sending {
        Sending {
            run_id: String::new(),
            org: org.clone(),
            rows: Vec::new(),
            counts: Default::default(),
            failures: Default::default(),
            started,
            finished: None,
            rate_limited_until: None,
            rate_limit_count: 0,
            notices: vec![],
            cancelling: false,
            selected: 0,
            dry_run: false,
            failures_focus: false,
            failures_scroll: 0,
            follow: FollowState::default(),
        }
    }

    /// A journalled run as it stands, opened from the runs screen.
    pub fn from_run(org: &Organization, run: &crate::invite::journal::StoredRun) -> Sending {
        let mut s = Sending::empty(org, run.header.started_at);
        s.run_id = run.header.run.clone();
        s.rows = run
            .updates()
            .into_iter()
            .map(|update| SendRow { update })
            .collect();
        s.rows.sort_by_key(|r| r.update.index);
        s.recount();
        s.finished = Some(run.summary());
        s.follow = FollowState::journalled(run.ledger());
        s
    }

    /// Records a contact's new state; a contact the run adds (a retry's) gets its row.
    pub fn upsert(&mut self, u: ContactUpdate) {
        self.counted(&u, true);
        match self.rows.binary_search_by_key(&u.index, |r| r.update.index) {
            Ok(i) => {
                let old = std::mem::replace(&mut self.rows[i].update, u);
                self.counted(&old, false);
            }
            Err(i) => self.rows.insert(i, SendRow { update: u }),
        }
    }

    /// Adds a row to the counts, or takes it out.
    fn counted(&mut self, u: &ContactUpdate, add: bool) {
        let st = u.state();
        let n = &mut self.counts[st as usize];
        if add {
            *n += 1;
            if is_failure(st) {
                self.failures.insert(u.index);
            }
        } else {
            *n -= 1;
            // The row's new state (counted first) may keep it among the failures.
            let now_failed = self
                .row(u.index)
                .is_some_and(|r| is_failure(r.update.state()));
            if !now_failed {
                self.failures.remove(&u.index);
            }
        }
    }

    fn recount(&mut self) {
        self.counts = Default::default();
        self.failures.clear();
        for r in &self.rows {
            self.counts[r.update.state() as usize] += 1;
            if is_failure(r.update.state()) {
                self.failures.insert(r.update.index);
            }
        }
    }

    /// Changes rows in place, then counts them again: for a change to many rows at once.
    pub fn edit_rows(&mut self, mut f: impl FnMut(&mut ContactUpdate)) {
        for r in &mut self.rows {
            f(&mut r.update);
        }
        self.recount();
    }

    /// Every row, by journal index.
    pub fn rows(&self) -> &[SendRow] {
        &self.rows
    }

    /// The row of one journal index.
    pub fn row(&self, index: usize) -> Option<&SendRow> {
        let i = self
            .rows
            .binary_search_by_key(&index, |r| r.update.index)
            .ok()?;
        self.rows.get(i)
    }

    pub fn count(&self, state: State) -> usize {
        self.counts[state as usize]
    }

    /// Rows the run worked on to an end: not those still queued or in flight, and not those a
    /// cancel left not started.
    pub fn done(&self) -> usize {
        State::ALL
            .iter()
            .filter(|s| s.is_final() && **s != State::NotStarted)
            .map(|s| self.count(*s))
            .sum()
    }

    /// The failed and unknown rows, in journal order.
    pub fn failures(&self) -> impl Iterator<Item = &SendRow> {
        self.failures.iter().filter_map(|i| self.row(*i))
    }

    pub fn failure_count(&self) -> usize {
        self.failures.len()
    }

    /// The whole batch's totals.
    pub fn batch_summary(&self) -> Summary {
        let mut s = Summary::of_states(&self.run_id, self.rows.iter().map(|r| r.update.state()));
        if let Some(f) = &self.finished {
            s.cancelled = f.cancelled;
            s.halted = f.halted.clone();
            s.elapsed_ms = f.elapsed_ms;
            s.requests = f.requests;
        }
        s
    }

    /// The whole batch as a Markdown block for a support ticket, with what following saw of
    /// each sent invitation.
    pub fn ticket_summary(&self) -> String {
        let afterwards = self.follow.any().then(|| {
            format!(
                "{} ({})",
                self.follow.summary().line(),
                self.follow.status_words()
            )
        });
        crate::invite::ticket::summary_markdown(
            self.org.label(),
            &self.batch_summary(),
            self.rows
                .iter()
                .map(|r| (&r.update, self.follow.outcome(r.update.index))),
            afterwards.as_deref(),
        )
    }

    /// The rows a retry sends again: everything not sent or skipped.
    pub fn unfinished(&self) -> impl Iterator<Item = &SendRow> {
        self.rows.iter().filter(|r| !r.update.state().is_done())
    }
}

/// One run in the runs list.
#[derive(Clone, Debug)]
pub struct RunRow {
    pub listing: RunListing,
    /// Every number of the run, for the search.
    pub numbers: String,
    /// How many of its invitations came back, as followers journalled it (counted once when
    /// the list loads, not on every frame).
    pub follow: FollowSummary,
}

/// The runs screen: journalled runs, newest first, searchable by number.
#[derive(Clone, Debug, Default)]
pub struct Runs {
    pub rows: Vec<RunRow>,
    pub nav: ListNav,
    pub loading: bool,
}

impl Runs {
    /// Indices of the runs matching the filter: a number (in any spelling's digits), an
    /// organization, or a run id.
    pub fn visible(&self) -> Vec<usize> {
        let f = self.nav.filter.value().trim().to_lowercase();
        let digits: String = f.chars().filter(char::is_ascii_digit).collect();
        // "06 12345678" finds +31612345678: match on the national part's digits.
        let national = digits.trim_start_matches('0');
        self.rows
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                let h = &r.listing.run.header;
                f.is_empty()
                    || h.org_name.to_lowercase().contains(&f)
                    || h.run.to_lowercase().contains(&f)
                    || (national.len() >= 4 && r.numbers.contains(national))
            })
            .map(|(i, _)| i)
            .collect()
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
    /// The screens behind the current one; `esc` goes back to the last.
    pub back: Vec<Screen>,
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
    pub links: LinkBook,
    pub confirm: Confirm,
    pub sending: Option<Sending>,
    pub runs: Runs,
    pub toast: Option<Toast>,
    pub quit: bool,
    /// Where the log is written, for the help overlay.
    pub log_file: PathBuf,
}

impl Model {
    pub fn new(template: Template, template_path: Option<PathBuf>, clock: DateTime<Utc>) -> Model {
        Model {
            screen: Screen::SignIn,
            back: Vec::new(),
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
                field: TemplateField::WelcomeText,
                modified: false,
                choices: Vec::new(),
                save_dir: PathBuf::from("templates"),
            },
            links: LinkBook::default(),
            confirm: Confirm::default(),
            sending: None,
            runs: Runs::default(),
            toast: None,
            quit: false,
            log_file: PathBuf::from("sms-invite.log"),
        }
    }

    /// The key-binding mode the model is in: an overlay's, then a list filter being typed,
    /// then the screen's. The help overlay is about the screen below it, so it keeps the
    /// screen's mode.
    pub fn mode(&self) -> Mode {
        match self.overlay {
            Some(Overlay::Prompt(_)) => return Mode::Prompt,
            Some(Overlay::Editor(_)) => return Mode::Editor,
            Some(Overlay::Detail { .. }) => return Mode::Detail,
            Some(Overlay::Pick(_)) => return Mode::Pick,
            Some(Overlay::ConfirmQuit | Overlay::ConfirmCancel) => return Mode::Question,
            Some(Overlay::Help { .. }) | None => {}
        }
        if self.typing_filter() {
            return Mode::Filter;
        }
        match self.screen {
            Screen::SignIn => Mode::SignIn,
            Screen::Orgs => Mode::Orgs,
            Screen::Readiness => Mode::Readiness,
            Screen::Contacts => Mode::Contacts,
            Screen::Template => Mode::Template,
            Screen::Confirm => Mode::Confirm,
            Screen::Sending if self.sending.as_ref().is_some_and(|s| s.finished.is_some()) => {
                Mode::Done
            }
            Screen::Sending => Mode::Sending,
            Screen::Runs => Mode::Runs,
        }
    }

    /// The screen's list filter is being typed.
    pub fn typing_filter(&self) -> bool {
        match self.screen {
            Screen::Orgs => self.orgs.nav.filtering,
            Screen::Contacts => self.contacts.nav.filtering,
            Screen::Runs => self.runs.nav.filtering,
            _ => false,
        }
    }

    /// A send is running now.
    pub fn sending_now(&self) -> bool {
        self.sending.as_ref().is_some_and(|s| s.finished.is_none())
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
        self.contacts.visible()
    }

    /// In the demo, the embedded sandbox's handset page, where the operator plays the customer
    /// who got the SMS (opens the link, answers) and then sees the row come back.
    pub fn demo_phone_page(&self) -> Option<String> {
        let s = self.session.as_ref().filter(|s| s.demo)?;
        Some(format!(
            "{}/__sandbox/phone",
            s.api_url.trim_end_matches('/')
        ))
    }

    /// The API is a sandbox on this machine.
    pub fn local_api(&self) -> bool {
        self.session.as_ref().is_some_and(|s| s.local_api)
    }

    /// The template a send uses: the model's, with the organization's link address in
    /// `clp_url` (checked and normalized), exactly as the report showed it.
    pub fn effective_template(&self) -> Template {
        let mut t = self.template.template.clone();
        let Some(org) = self.org.as_ref() else {
            return t;
        };
        let choice = crate::invite::link::choose(None, &self.links, &org.id, &t.clp_url);
        if let Ok(url) = crate::invite::link::check_clp_url(&choice.url, self.local_api()) {
            t.clp_url = url;
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invite::contact::Details;
    use crate::invite::phone::normalize;
    use crate::invite::verdict::Found;
    use proptest::prelude::*;

    /// A lookup that found one contact named `name`.
    fn found_as(e164: &str, name: &str) -> Lookup {
        Lookup {
            e164: e164.to_string(),
            found: Some(vec![Found {
                contact_id: "c1".into(),
                name: Some(name.into()),
                ..Found::default()
            }]),
            ..Lookup::default()
        }
    }

    fn row(i: usize, id: Option<&str>) -> ContactRow {
        let phone = normalize(&format!("+316{:08}", 10_000_000 + i), None).unwrap();
        let contact = Contact::new(
            &phone,
            Details {
                given_name: Some("Jan"),
                contact_id: id,
                ..Details::default()
            },
        );
        ContactRow::new(contact, Source::Imported, Lookup::default())
    }

    #[derive(Clone, Debug)]
    enum Op {
        Push(bool),
        Mark(usize, bool),
        Remove(usize),
        RetainEven,
        MarkKeys(Vec<usize>),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            any::<bool>().prop_map(Op::Push),
            (0..12usize, any::<bool>()).prop_map(|(i, on)| Op::Mark(i, on)),
            (0..12usize).prop_map(Op::Remove),
            Just(Op::RetainEven),
            proptest::collection::vec(0..12usize, 0..4).prop_map(Op::MarkKeys),
        ]
    }

    proptest! {
        /// The count on screen is kept, not recounted; any sequence of changes must leave it
        /// equal to the number of selected rows.
        #[test]
        fn the_selection_count_matches_the_rows(ops in proptest::collection::vec(op(), 0..40)) {
            let mut c = Contacts::default();
            let mut next = 0;
            for op in ops {
                match op {
                    Op::Push(on) => {
                        c.push(row(next, None), on);
                        next += 1;
                    }
                    Op::Mark(i, on) => c.mark(i, on),
                    Op::Remove(i) => {
                        let len = c.len();
                        prop_assert_eq!(c.remove(i).is_some(), i < len);
                    }
                    Op::RetainEven => c.retain(|r| r.contact().e164().ends_with(['0', '2', '4', '6', '8'])),
                    Op::MarkKeys(picks) => {
                        let keys: Vec<String> = picks
                            .iter()
                            .filter_map(|&i| c.rows().get(i))
                            .map(|r| r.key().to_string())
                            .collect();
                        c.mark_keys(keys.iter().map(String::as_str));
                        for r in c.rows() {
                            prop_assert_eq!(r.is_marked(), keys.iter().any(|k| k == r.key()));
                        }
                    }
                }
                let counted = c.rows().iter().filter(|r| r.is_marked()).count();
                prop_assert_eq!(c.marked_count(), counted);
                prop_assert_eq!(c.marked_rows().count(), counted);
            }
        }
    }

    #[derive(Clone, Debug)]
    enum Change {
        Filter(String),
        Push(usize),
        Note(usize, String),
        Rename(usize, String),
        Remove(usize),
        Retain,
    }

    fn change() -> impl Strategy<Value = Change> {
        let name = "(jan|piet|bakker|06|3161|x)";
        prop_oneof![
            name.prop_map(Change::Filter),
            Just(Change::Filter(String::new())),
            (0..30usize).prop_map(Change::Push),
            (0..10usize, name).prop_map(|(i, n)| Change::Note(i, n)),
            (0..10usize, name).prop_map(|(i, n)| Change::Rename(i, n)),
            (0..10usize).prop_map(Change::Remove),
            Just(Change::Retain),
        ]
    }

    proptest! {
        /// The remembered filter result is only a shortcut: after any change to the rows or
        /// the filter, before and after it is refreshed, it equals filtering afresh.
        #[test]
        fn remembered_matches_equal_a_fresh_filter(changes in proptest::collection::vec(change(), 0..40)) {
            let mut c = Contacts::default();
            for change in changes {
                match change {
                    Change::Filter(f) => c.nav.filter = tui_input::Input::new(f),
                    Change::Push(i) => c.push(row(i, None), false),
                    Change::Note(i, name) => {
                        if let Some(r) = c.row_mut(i) {
                            let lookup = found_as(r.contact().e164(), &name);
                            r.set_lookup(lookup);
                        }
                    }
                    Change::Rename(i, name) => {
                        if let Some(r) = c.row_mut(i) {
                            let phone = r.contact().phone();
                            let renamed = Contact::new(&phone, Details {
                                given_name: Some(&name),
                                ..Details::default()
                            });
                            r.set_contact(renamed);
                        }
                    }
                    Change::Remove(i) => {
                        c.remove(i);
                    }
                    Change::Retain => c.retain(|r| !r.contact().e164().ends_with('3')),
                }
                let f = c.nav.filter.value().to_lowercase();
                let fresh: Vec<usize> = (0..c.len())
                    .filter(|&i| f.is_empty() || c.rows()[i].matches(&RowFilter::new(&f)))
                    .collect();
                prop_assert_eq!(c.visible(), fresh.clone());
                c.refresh_matches();
                prop_assert!(f.is_empty() || c.matches_remembered());
                prop_assert_eq!(c.visible(), fresh, "remembered");
            }
        }
    }

    #[test]
    fn filters_match_numbers_names_and_names_with_digits() {
        let phone = normalize("+31612345678", None).unwrap();
        let r = ContactRow::new(
            Contact::new(
                &phone,
                Details {
                    given_name: Some("Jan"),
                    family_name: Some("Kamer 101"),
                    ..Details::default()
                },
            ),
            Source::Added,
            Lookup::default(),
        );
        for hit in [
            "+3161",
            "0612",
            "345",
            "jan kamer",
            "kamer 101",
            "101",
            "an k",
        ] {
            assert!(r.matches(&RowFilter::new(hit)), "{hit}");
        }
        for miss in ["+3162", "0613", "jansen", "102", "kamer  101"] {
            assert!(!r.matches(&RowFilter::new(miss)), "{miss}");
        }
    }

    #[test]
    fn a_row_is_found_by_the_name_it_was_looked_up_under() {
        let mut r = row(1, Some("5f01"));
        assert_eq!(r.key(), "5f01");
        assert!(r.matches(&RowFilter::new("jan")) && !r.matches(&RowFilter::new("bakker")));
        r.set_lookup(found_as(r.contact().e164(), "Jan Bakker"));
        assert!(
            r.matches(&RowFilter::new("bakker")),
            "the looked-up name is searchable"
        );
        assert_eq!(r.lookup().name(), Some("Jan Bakker"));
        // A new number drops the lookup of the old one.
        let other = normalize("+31687654321", None).unwrap();
        r.set_contact(Contact::from_phone(&other));
        assert_eq!(r.lookup(), &Lookup::default());
        assert!(!r.matches(&RowFilter::new("bakker")));
        assert!(
            r.matches(&RowFilter::new("0687654321")),
            "the national spelling is searchable"
        );
    }

    fn state() -> impl Strategy<Value = State> {
        proptest::sample::select(State::ALL.to_vec())
    }

    proptest! {
        /// The sending screen reads kept counts and a kept failure list; after any sequence
        /// of updates (new rows of a retry among them) they equal counting the rows afresh.
        #[test]
        fn the_sending_counts_match_the_rows(
            ops in proptest::collection::vec((0usize..12, state()), 0..60),
        ) {
            let targets: Vec<Target> = (0..6)
                .map(|i| Target { e164: format!("+3161000000{i}"), ..Target::default() })
                .collect();
            let mut s = Sending::new(&Organization::default(), &targets, Utc::now());
            for (index, st) in ops {
                s.upsert(ContactUpdate {
                    index,
                    state: Some(st),
                    ..ContactUpdate::default()
                });
                for st in State::ALL {
                    let counted = s.rows().iter().filter(|r| r.update.state() == st).count();
                    prop_assert_eq!(s.count(st), counted, "{:?}", st);
                }
                let failed: Vec<usize> = s
                    .rows()
                    .iter()
                    .filter(|r| is_failure(r.update.state()))
                    .map(|r| r.update.index)
                    .collect();
                let kept: Vec<usize> = s.failures().map(|r| r.update.index).collect();
                prop_assert_eq!(kept, failed);
                let done = s
                    .rows()
                    .iter()
                    .filter(|r| r.update.state().is_final() && r.update.state() != State::NotStarted)
                    .count();
                prop_assert_eq!(s.done(), done);
            }
        }
    }
}
