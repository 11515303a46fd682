//! Shared fixtures for the TUI tests: a fixed clock, organizations and contacts like the
//! sandbox's seed data, hand-built models for every screen, key helpers, and a shared
//! `TestBackend` so a flow test can read the screen while `app::run` owns the terminal.
//!
//! Ids, numbers and credentials come from `tests/common`; a test crate declares `mod common;`
//! before `mod tui_common;`.
#![allow(dead_code, unused_imports)]

use std::sync::{Arc, LazyLock, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::{Position, Size};
use serde_json::json;

use sms_invite::api::Claims;
use sms_invite::api::models::{Organization, Service};
use sms_invite::invite::contact::{Contact, Details};
use sms_invite::invite::cooldown::LastInvite;
use sms_invite::invite::events::{ContactUpdate, State, Summary};
use sms_invite::invite::follow::{FollowEvent, FollowUpdate, Sign, Via};
use sms_invite::invite::journal::{RunHeader, StoredContact, StoredRun};
use sms_invite::invite::link::{LinkChoice, LinkSource};
use sms_invite::invite::phone;
use sms_invite::invite::readiness::{
    self, Account, OrgFinding, OrgSms, Report, SmsStatus, Subject,
};
use sms_invite::invite::target::Target;
use sms_invite::invite::template::Template;
use sms_invite::invite::verdict::Found;
use sms_invite::tui::effect::Effect;
use sms_invite::tui::keymap::Keymap;
use sms_invite::tui::model::{
    ContactRow, Contacts, Lookup, Model, Readiness, Screen, Sending, Session, Source,
};
use sms_invite::tui::msg::Msg;
use sms_invite::tui::update::update;

/// The seed's ids and numbers, the bot's credentials and the sandbox helpers: one fixture for
/// every integration test, so the TUI tests cannot drift from the command-line ones.
pub use crate::common::*;

pub const RUN_ID: &str = "run-fixed-0001";

pub static KEYMAP: LazyLock<Keymap> = LazyLock::new(Keymap::default);

/// 12:00 in Amsterdam: no quiet-hours warning.
pub fn day() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, 11, 0, 0).unwrap()
}

/// 23:30 in Amsterdam: quiet hours.
pub fn night() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, 22, 30, 0).unwrap()
}

/// The built-in template with a landing page, so it can be sent.
pub fn template() -> Template {
    Template {
        clp_url: CLP.to_string(),
        ..Template::default()
    }
}

fn org_json(id: &str, name: &str, display: &str, path: &str, country: &str) -> Organization {
    serde_json::from_value(json!({
        "id": id, "name": name, "displayName": display, "orgPath": path,
        "status": "active", "country": country, "timezone": "Europe/Amsterdam",
    }))
    .expect("organization")
}

/// The seed's organizations, in `orgPath` order (as the platform sorts them).
pub fn organizations() -> Vec<Organization> {
    vec![
        org_json(ROOT, "web1on1-sandbox", "Web1on1 Sandbox", ROOT, "NL"),
        org_json(
            HOLDING,
            "acme-holding",
            "Acme Holding",
            &format!("{ROOT}#{HOLDING}"),
            "NL",
        ),
        org_json(
            AMSTERDAM,
            "acme-amsterdam",
            "Acme Amsterdam",
            &format!("{ROOT}#{HOLDING}#{AMSTERDAM}"),
            "NL",
        ),
        org_json(
            UTRECHT,
            "acme-utrecht",
            "Acme Utrecht",
            &format!("{ROOT}#{HOLDING}#{UTRECHT}"),
            "NL",
        ),
        org_json(
            BRUSSELS,
            "brussels-motors",
            "Brussels Motors",
            &format!("{ROOT}#{BRUSSELS}"),
            "BE",
        ),
        org_json(
            NO_SMS,
            "no-sms-garage",
            "No-SMS Garage",
            &format!("{ROOT}#{NO_SMS}"),
            "NL",
        ),
        org_json(
            DISABLED,
            "disabled-sms-bv",
            "Disabled SMS BV",
            &format!("{ROOT}#{DISABLED}"),
            "NL",
        ),
    ]
}

fn service(id: &str, org: &str, name: &str, enabled: bool) -> Service {
    serde_json::from_value(json!({
        "id": id, "organization": org, "type": "twilio", "name": name, "enabled": enabled,
    }))
    .expect("service")
}

/// The organizations with the SMS status the readiness code derives from the seed's services.
pub fn org_rows() -> Vec<OrgSms> {
    let services = vec![
        service("s1", HOLDING, "Acme SMS", true),
        service("s2", UTRECHT, "Utrecht SMS", true),
        service("s3", BRUSSELS, "Brussels SMS", true),
        service("s4", DISABLED, "Old SMS line", false),
    ];
    readiness::sms_status(&organizations(), Ok(&services))
}

pub fn acme() -> Organization {
    organizations()
        .into_iter()
        .find(|o| o.id == HOLDING)
        .expect("acme")
}

pub fn session() -> Session {
    Session {
        name: "SMS Invite Bot".into(),
        user_id: BOT_USER_ID.into(),
        organization: ROOT.into(),
        scope: "viewer guest agent bot admin".into(),
        expires: Some(Utc.with_ymd_and_hms(2026, 3, 11, 11, 0, 0).unwrap()),
        api_url: "http://127.0.0.1:9/".into(),
        demo: false,
        local_api: true,
    }
}

/// A target for a number as typed in the Netherlands, with optional names.
pub fn target(number: &str, given: Option<&str>, family: Option<&str>) -> Target {
    let n = phone::normalize(number, Some("NL")).expect("valid number");
    Target {
        given_name: given.map(str::to_string),
        family_name: family.map(str::to_string),
        ..Target::from_phone(&n)
    }
}

/// A Dutch contact as a list holds it.
pub fn contact(number: &str, given: Option<&str>, family: Option<&str>) -> Contact {
    contact_with_id(number, given, family, None)
}

pub fn contact_with_id(
    number: &str,
    given: Option<&str>,
    family: Option<&str>,
    id: Option<&str>,
) -> Contact {
    let n = phone::normalize(number, Some("NL")).expect("valid number");
    Contact::new(
        &n,
        Details {
            given_name: given,
            family_name: family,
            contact_id: id,
            ..Details::default()
        },
    )
}

/// Runs one message through `update` with the default keymap.
pub fn step(m: &mut Model, msg: Msg) -> Vec<Effect> {
    update(m, msg, &KEYMAP)
}

pub fn key_event(code: KeyCode, mods: KeyModifiers) -> Event {
    Event::Key(KeyEvent::new(code, mods))
}

pub fn key(code: KeyCode) -> Msg {
    Msg::Term(key_event(code, KeyModifiers::NONE))
}

pub fn ch(c: char) -> Msg {
    Msg::Term(key_event(KeyCode::Char(c), KeyModifiers::NONE))
}

pub fn ctrl(c: char) -> Msg {
    Msg::Term(key_event(KeyCode::Char(c), KeyModifiers::CONTROL))
}

pub fn paste(text: &str) -> Msg {
    Msg::Term(Event::Paste(text.to_string()))
}

/// Presses one key; returns the effects.
pub fn press(m: &mut Model, code: KeyCode) -> Vec<Effect> {
    step(m, key(code))
}

/// Types every character of `text`; returns all effects.
pub fn type_text(m: &mut Model, text: &str) -> Vec<Effect> {
    text.chars().flat_map(|c| step(m, ch(c))).collect()
}

/// A fresh model at the sign-in screen, at a fixed time.
pub fn fresh() -> Model {
    Model::new(template(), None, day())
}

/// Signed in with the organizations loaded, on the organizations screen.
pub fn signed_in() -> Model {
    let mut m = fresh();
    step(&mut m, Msg::SignedIn(Ok(session())));
    step(&mut m, Msg::OrgsLoaded(Ok(org_rows())));
    m
}

/// Signed in with Acme Holding selected in the list.
pub fn on_acme() -> Model {
    let mut m = signed_in();
    let i = m
        .visible_orgs()
        .iter()
        .position(|&i| m.orgs.rows[i].org.id == HOLDING)
        .expect("acme listed");
    m.orgs.nav.selected = i;
    m
}

/// The signed-in bot as the readiness report names it.
pub fn account() -> Account {
    Account {
        claims: Some(Claims {
            user: Some(BOT_USER_ID.into()),
            organization: Some(ROOT.into()),
            scope: Some("viewer guest agent bot admin".into()),
            exp: Some(
                Utc.with_ymd_and_hms(2026, 3, 11, 11, 0, 0)
                    .unwrap()
                    .timestamp(),
            ),
            ..Claims::default()
        }),
        can_refresh: true,
        name: Some("SMS Invite Bot".into()),
    }
}

/// Acme Holding's readiness report, built by the shared rules from fixed facts: its SMS line
/// ready (own service) or not (no service), its own link address saved.
pub fn report(ready: bool) -> Report {
    let status = if ready {
        org_rows()
            .into_iter()
            .find(|o| o.org.id == HOLDING)
            .expect("acme")
            .status
    } else {
        SmsStatus::NotReady {
            reason: "no twilio (SMS) service in this organization or its parents; ask an admin to add the SMS integration".into(),
        }
    };
    let t = template();
    let link = LinkChoice {
        url: CLP.into(),
        source: LinkSource::Organization,
    };
    let subject = Subject::for_targets(&t, &link, false, &[], Some(&acme()));
    readiness::report(
        &account(),
        &OrgFinding::Found {
            org: Box::new(acme()),
            sms: readiness::sms_item(&status),
        },
        &subject,
        day(),
    )
}

/// The readiness report of Acme Holding, loaded.
pub fn readiness_model() -> Model {
    let mut m = on_acme();
    m.org = Some(acme());
    m.readiness = Some(Readiness {
        org: acme(),
        report: Some(report(true)),
    });
    m.back = vec![Screen::Orgs];
    m.screen = Screen::Readiness;
    m
}

fn row(c: Contact, source: Source, lookup: Lookup) -> ContactRow {
    let lookup = Lookup {
        e164: c.e164().to_string(),
        ..lookup
    };
    ContactRow::new(c, source, lookup)
}

/// One platform contact as a lookup finds it.
pub fn found(c: &Contact, holders: &[&str]) -> Found {
    Found {
        contact_id: c.contact_id().unwrap_or("5f00000000000000000002ff").into(),
        name: c.full_name(),
        conversation: Some(format!("conv-{}", c.contact_id().unwrap_or("x"))),
        holders: Some(holders.iter().map(|h| h.to_string()).collect()),
    }
}

/// A platform contact as the runtime lists it: named by its id, known to exist.
pub fn platform(number: &str, given: &str, family: &str, id: &str) -> (Contact, Lookup) {
    let c = contact_with_id(number, Some(given), Some(family), Some(id));
    let lookup = Lookup {
        e164: c.e164().to_string(),
        found: Some(vec![found(&c, &[])]),
        ..Lookup::default()
    };
    (c, lookup)
}

/// Acme Holding's contacts as the platform lists them.
pub fn acme_platform() -> Vec<(Contact, Lookup)> {
    let (sanne, mut sanne_lookup) = platform(SANNE, "Sanne", "Bakker", SANNE_ID);
    sanne_lookup.found = Some(vec![found(&sanne, &["Anna de Vries"])]);
    vec![
        platform(JAN, "Jan", "Jansen", JAN_ID),
        platform("0612345679", "Piet", "Pieters", PIET_ID),
        platform(SHARED, "Mark", "Visser", MARK_ID),
        platform(SHARED, "Eva", "Visser", EVA_ID),
        (sanne, sanne_lookup),
    ]
}

/// A last invitation `minutes` before the fixed clock.
pub fn invited_ago(minutes: i64) -> LastInvite {
    LastInvite {
        at: day() - chrono::Duration::minutes(minutes),
        run: "run-earlier-0001".into(),
    }
}

/// Whether a row with this number is selected.
pub fn is_marked(m: &Model, e164: &str) -> bool {
    m.contacts
        .rows()
        .iter()
        .any(|r| r.contact().e164() == e164 && r.is_marked())
}

/// The contacts screen of Acme Holding: platform contacts (one invited recently, two sharing a
/// number, one held by an agent), a pasted one, an imported one, and paste problems. Jan and
/// the pasted contact are selected.
pub fn contacts_model() -> Model {
    let mut m = on_acme();
    m.org = Some(acme());
    m.back = vec![Screen::Orgs];
    let mut rows: Vec<ContactRow> = acme_platform()
        .into_iter()
        .map(|(t, n)| row(t, Source::Platform, n))
        .collect();
    let mut invited = rows[1].lookup().clone();
    invited.last_invite = Some(invited_ago(12));
    rows[1].set_lookup(invited);
    rows.push(row(
        contact(NEW, Some("Nina"), None),
        Source::Added,
        Lookup {
            found: Some(vec![]),
            ..Lookup::default()
        },
    ));
    rows.push(row(
        contact("+31201234567", None, None),
        Source::Imported,
        Lookup::default(),
    ));
    m.contacts = Contacts::default();
    m.contacts.org = Some(acme());
    for row in rows {
        m.contacts.push(row, false);
    }
    m.contacts.mark_keys([JAN_ID, NEW]);
    m.contacts.problems = vec![
        "pasted line 3: not a phone number (hello world)".into(),
        "pasted line 4: too short to be a phone number (12)".into(),
    ];
    m.screen = Screen::Contacts;
    m
}

/// The confirm screen for one number (Jan), lookups done.
pub fn confirm_model(clock: DateTime<Utc>) -> Model {
    let mut m = on_acme();
    m.clock = clock;
    m.org = Some(acme());
    step(
        &mut m,
        Msg::Term(Event::Key(KeyEvent::new(
            KeyCode::Char('i'),
            KeyModifiers::NONE,
        ))),
    );
    type_text(&mut m, "06 12345678");
    press(&mut m, KeyCode::Enter);
    let (jan, lookup) = platform(JAN, "Jan", "Jansen", JAN_ID);
    assert_eq!(jan.e164(), JAN);
    step(
        &mut m,
        Msg::LookedUp {
            org: HOLDING.into(),
            lookups: vec![lookup],
        },
    );
    step(
        &mut m,
        Msg::Assessed {
            org: HOLDING.into(),
            report: report(true),
        },
    );
    assert_eq!(m.screen, Screen::Confirm);
    m
}

pub fn update_row(
    index: usize,
    t: &Target,
    state: State,
    reason: Option<&str>,
    conversation: Option<&str>,
) -> ContactUpdate {
    ContactUpdate {
        index,
        e164: t.e164.clone(),
        name: t.full_name(),
        state: Some(state),
        reason: reason.map(str::to_string),
        conversation: conversation.map(str::to_string),
        new_contact: conversation.map(|_| false),
        ..ContactUpdate::default()
    }
}

pub const FAIL_REASON: &str = "creating the conversation failed: 503 Service temporarily unavailable (the platform had a problem; try again later)";

/// Targets of the sending fixtures, in row order.
pub fn batch() -> Vec<Target> {
    vec![
        target(JAN, Some("Jan"), Some("Jansen")),
        target(NEW, Some("Nina"), None),
        target(SANNE, Some("Sanne"), Some("Bakker")),
        target("0612345679", Some("Piet"), Some("Pieters")),
        target("+31687654322", None, None),
        target("+31687654323", None, None),
    ]
}

/// Mid-run: one sent, one failed, one skipped, one sending, two queued, and a rate limit.
pub fn sending_model() -> Model {
    let mut m = on_acme();
    m.org = Some(acme());
    m.back = vec![Screen::Orgs, Screen::Contacts];
    let targets = batch();
    let states = [
        update_row(0, &targets[0], State::Sent, None, Some(JAN_CONV)),
        update_row(1, &targets[1], State::Failed, Some(FAIL_REASON), None),
        update_row(
            2,
            &targets[2],
            State::Skipped,
            Some("Anna de Vries has the conversation accepted right now; not barging in"),
            None,
        ),
        update_row(3, &targets[3], State::Sending, None, None),
        update_row(4, &targets[4], State::Queued, None, None),
        update_row(5, &targets[5], State::Queued, None, None),
    ];
    let mut s = Sending::new(&acme(), &targets, day());
    s.run_id = RUN_ID.into();
    for update in states {
        s.upsert(update);
    }
    s.rate_limited_until = Some(day() + chrono::Duration::seconds(14));
    s.rate_limit_count = 2;
    s.notices = vec!["retry 1 in 250 ms: 503".into()];
    m.sending = Some(s);
    m.clock = day() + chrono::Duration::seconds(12);
    m.screen = Screen::Sending;
    m
}

/// The finished run: sent, failed, skipped, unknown and not started.
pub fn done_model() -> Model {
    let mut m = sending_model();
    let targets = batch();
    let s = m.sending.as_mut().expect("sending");
    s.upsert(update_row(
        3,
        &targets[3],
        State::Unknown,
        Some("the answer was lost and checking failed"),
        None,
    ));
    s.upsert(update_row(
        4,
        &targets[4],
        State::Sent,
        None,
        Some("5f00000000000000000009a1"),
    ));
    s.upsert(update_row(
        5,
        &targets[5],
        State::NotStarted,
        Some("cancelled before it started; resume the run to send it"),
        None,
    ));
    s.rate_limited_until = None;
    s.finished = Some(Summary {
        run_id: RUN_ID.into(),
        total: 6,
        sent: 2,
        skipped: 1,
        failed: 1,
        unknown: 1,
        not_started: 1,
        would_send: 0,
        elapsed_ms: 42_000,
        requests: 31,
        cancelled: false,
        halted: None,
    });
    m.clock = day() + chrono::Duration::seconds(60);
    m
}

/// The journal of [`done_model`]'s run, as the runtime reads it back.
pub fn stored_done_run() -> StoredRun {
    let m = done_model();
    let s = m.sending.expect("sending");
    let targets = batch();
    StoredRun {
        header: RunHeader::new(RUN_ID, &acme(), &template()).expect("header"),
        contacts: s
            .rows()
            .iter()
            .map(|r| StoredContact {
                state: r.update.state(),
                reason: r.update.reason.clone(),
                ..StoredContact::new(
                    r.update.index,
                    targets[r.update.index].clone(),
                    format!("invite-{}", r.update.index),
                )
            })
            .collect(),
        finished: true,
    }
}

/// A follower's report that contact `index` came back `via` after `secs` seconds.
pub fn came_back(index: usize, via: Via, secs: u64) -> FollowEvent {
    FollowEvent::Update(FollowUpdate {
        index,
        e164: batch()[index % batch().len()].e164.clone(),
        sign: Sign::CameBack {
            via,
            at: day() + chrono::Duration::seconds(secs as i64),
            message: format!("back-{index}"),
        },
        after: Duration::from_secs(secs),
    })
}

/// A follower's report that the platform wrote `text` about contact `index`'s SMS.
pub fn problem(index: usize, text: &str) -> FollowEvent {
    FollowEvent::Update(FollowUpdate {
        index,
        e164: batch()[index % batch().len()].e164.clone(),
        sign: Sign::Problem {
            text: text.into(),
            at: day() + chrono::Duration::seconds(2),
            message: format!("status-{index}"),
        },
        after: Duration::from_secs(2),
    })
}

/// The follower of [`RUN_ID`] reporting `event`.
pub fn follow(event: FollowEvent) -> Msg {
    Msg::Follow {
        run: RUN_ID.into(),
        event,
    }
}

pub const UNDELIVERED: &str =
    "SMS to +31687654322 could not be delivered (carrier: 30003 unreachable)";

/// [`done_model`] with three invitations sent and followed, as the runtime reports them: Jan
/// came back through the link after 4 min, the platform could not deliver to +31687654322, and
/// +31687654323 (sent on this attempt) has not answered yet; following goes on.
pub fn followed_done_model() -> Model {
    let mut m = done_model();
    let targets = batch();
    let s = m.sending.as_mut().expect("sending");
    s.upsert(update_row(
        5,
        &targets[5],
        State::Sent,
        None,
        Some("5f00000000000000000009a2"),
    ));
    s.finished = Some(Summary {
        sent: 3,
        not_started: 0,
        ..s.finished.clone().expect("finished")
    });
    for i in [0, 4, 5] {
        s.follow.ledger.follow(i);
    }
    step(&mut m, Msg::FollowStarted { run: RUN_ID.into() });
    step(&mut m, follow(came_back(0, Via::Link, 240)));
    step(&mut m, follow(problem(4, UNDELIVERED)));
    step(
        &mut m,
        follow(FollowEvent::Polled {
            requests: 4,
            next_in: Duration::from_secs(15),
        }),
    );
    m
}

/// A `TestBackend` behind a mutex, so a test can read the screen while the app draws to it.
#[derive(Clone)]
pub struct SharedBackend(pub Arc<Mutex<TestBackend>>);

impl SharedBackend {
    pub fn new(width: u16, height: u16) -> SharedBackend {
        SharedBackend(Arc::new(Mutex::new(TestBackend::new(width, height))))
    }

    fn inner(&self) -> MutexGuard<'_, TestBackend> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The screen as text, one line per row.
    pub fn text(&self) -> String {
        buffer_text(self.inner().buffer())
    }
}

/// A buffer's text, rows joined by newlines.
pub fn buffer_text(b: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..b.area.height {
        for x in 0..b.area.width {
            out.push_str(b[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

impl Backend for SharedBackend {
    type Error = std::convert::Infallible;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner().draw(content)
    }

    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner().hide_cursor()
    }

    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner().show_cursor()
    }

    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner().get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.inner().set_cursor_position(position)
    }

    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner().clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.inner().clear_region(clear_type)
    }

    fn size(&self) -> Result<Size, Self::Error> {
        self.inner().size()
    }

    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner().window_size()
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner().flush()
    }
}

/// Waits until the screen shows `text`; the panic message includes the screen.
pub async fn wait_for(screen: &SharedBackend, text: &str, timeout: Duration) {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let now = screen.text();
        if now.contains(text) {
            return;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {text:?} on screen:\n{now}");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The screen as text, one line per row, drawn with the dark theme and default keys.
pub fn render_text(m: &Model, w: u16, h: u16) -> String {
    let mut term = ratatui::Terminal::new(TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| {
        sms_invite::tui::view::view(m, &sms_invite::tui::theme::Theme::dark(), &KEYMAP, f)
    })
    .expect("draw");
    let buf = term.backend().buffer();
    (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The contacts screen of Acme Holding right after its platform contacts loaded.
pub fn acme_contacts(platform: Vec<(Contact, Lookup)>) -> Model {
    let mut m = on_acme();
    step(&mut m, ch('c'));
    step(
        &mut m,
        Msg::ContactsLoaded {
            org: HOLDING.into(),
            result: Ok(platform),
            capped: None,
        },
    );
    m
}
