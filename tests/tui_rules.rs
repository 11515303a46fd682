//! The TUI keeps every promise the command line keeps: the readiness gate, forcing a skip,
//! choosing who gets a shared phone's invitation, one invitation per phone, the columns of an
//! imported list, the paste box and the back stack. Pure transitions: no terminal, no network.

mod common;
mod tui_common;

use crossterm::event::KeyCode;
use proptest::prelude::*;
use sms_invite::invite::cooldown::LastInvite;
use sms_invite::invite::events::{Event as EngineEvent, State, Summary};
use sms_invite::invite::readiness::{Action, Verdict};
use sms_invite::invite::target::Target;
use sms_invite::invite::verdict::Force;
use sms_invite::tui::effect::Effect;
use sms_invite::tui::keymap::Mode;
use sms_invite::tui::model::{Lookup, Model, Overlay, PickOption, PromptKind, Screen};
use sms_invite::tui::msg::Msg;
use tui_common::*;

fn start_send(effects: &[Effect]) -> Option<(&[Target], Option<&str>)> {
    effects.iter().find_map(|e| match e {
        Effect::StartSend {
            targets, resume, ..
        } => Some((targets.as_slice(), resume.as_deref())),
        _ => None,
    })
}

/// The confirm screen for `targets` (reviewed from the contacts screen), with these lookups
/// and a ready report.
fn confirming(targets: Vec<Target>, lookups: Vec<Lookup>) -> Model {
    let mut m = acme_contacts(vec![]);
    let key = |t: &Target| t.contact_id.clone().unwrap_or_else(|| t.e164.clone());
    for t in &targets {
        step(&mut m, paste(&t.e164));
    }
    let keys: Vec<String> = targets.iter().map(key).collect();
    m.contacts.mark_keys(keys.iter().map(String::as_str));
    step(&mut m, ch('r'));
    assert_eq!(m.screen, Screen::Confirm);
    step(
        &mut m,
        Msg::LookedUp {
            org: HOLDING.into(),
            lookups,
        },
    );
    step(
        &mut m,
        Msg::Assessed {
            org: HOLDING.into(),
            report: report(true),
        },
    );
    m
}

fn lookup_of(e164: &str, found: Vec<sms_invite::invite::verdict::Found>) -> Lookup {
    Lookup {
        e164: e164.into(),
        found: Some(found),
        ..Lookup::default()
    }
}

// ---------------------------------------------------------------- the gate

#[test]
fn an_organization_without_sms_is_refused_with_the_fix_and_no_request() {
    let mut m = confirm_model(day());
    step(
        &mut m,
        Msg::Assessed {
            org: HOLDING.into(),
            report: report(false),
        },
    );
    let screen = render_text(&m, 120, 40);
    assert!(screen.contains("✗ NOT READY"), "{screen}");
    assert!(screen.contains("no twilio (SMS) service"), "{screen}");
    assert!(
        screen.contains("an admin adds or enables the Twilio SMS integration"),
        "the fix is shown:\n{screen}"
    );
    assert!(
        screen.contains("Not ready: 1 line(s) marked ✗ must be fixed first"),
        "{screen}"
    );
    assert!(
        !screen.contains("press s to send"),
        "no send key while not ready:\n{screen}"
    );
    assert!(
        !screen.contains(" s SEND"),
        "not in the hints either:\n{screen}"
    );
    let effects = step(&mut m, ch('s'));
    assert!(start_send(&effects).is_none(), "{effects:?}");
    assert!(effects.is_empty(), "no request of any kind: {effects:?}");
    assert!(m.sending.is_none());
    assert_eq!(m.screen, Screen::Confirm);
}

#[test]
fn an_unknown_line_warns_and_allows_sending() {
    let mut m = confirm_model(day());
    let mut r = report(true);
    let sms = r
        .items
        .iter_mut()
        .find(|i| i.check == "sms service")
        .expect("sms line");
    sms.verdict = Verdict::Unknown;
    sms.detail = "the token may not list services, so the SMS service cannot be verified".into();
    step(
        &mut m,
        Msg::Assessed {
            org: HOLDING.into(),
            report: r,
        },
    );
    let screen = render_text(&m, 120, 40);
    assert!(screen.contains("? unknown"), "{screen}");
    assert!(screen.contains("press s to send"), "{screen}");
    assert!(start_send(&step(&mut m, ch('s'))).is_some());
}

#[test]
fn a_missing_link_address_is_asked_for_once_and_saved_for_the_organization() {
    let mut m = confirm_model(day());
    m.template.template.clp_url.clear();
    m.confirm.report = None;
    // The report says no address; the prompt opens by itself.
    let mut r = report(true);
    let link = r
        .items
        .iter_mut()
        .find(|i| i.check == "link")
        .expect("link");
    link.verdict = Verdict::NotReady;
    link.action = Some(Action::SetLink);
    step(
        &mut m,
        Msg::Assessed {
            org: HOLDING.into(),
            report: r,
        },
    );
    let p = match &m.overlay {
        Some(Overlay::Prompt(p)) => p.clone(),
        other => panic!("expected the link prompt, got {other:?}"),
    };
    assert_eq!(p.kind, PromptKind::LinkAddress);
    assert!(p.title.contains("Acme Holding"), "{}", p.title);
    // A token-carrying link in clear text is refused, with the reason.
    type_text(&mut m, "http://clp.example.com/acme");
    assert!(press(&mut m, KeyCode::Enter).is_empty());
    let Some(Overlay::Prompt(p)) = &m.overlay else {
        panic!("the prompt stays open")
    };
    assert!(
        p.error.as_deref().is_some_and(|e| e.contains("https")),
        "{p:?}"
    );
    step(&mut m, ctrl('u'));
    type_text(&mut m, "https://CLP.example.com/acme");
    match press(&mut m, KeyCode::Enter).as_slice() {
        [Effect::SaveLink { org, url }] => {
            assert_eq!(org.id, HOLDING);
            assert_eq!(
                url, "https://clp.example.com/acme",
                "normalized as it will be sent"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    // Saved: the report is built again with it.
    let dir = tempfile::tempdir().expect("dir");
    let mut book = sms_invite::invite::link::LinkBook::load(dir.path()).expect("book");
    book.set(&acme(), Some("https://clp.example.com/acme"))
        .expect("saved");
    let effects = step(&mut m, Msg::LinkSaved(Ok(book)));
    match effects.as_slice() {
        [Effect::Assess { link, .. }] => {
            assert_eq!(link.url, "https://clp.example.com/acme");
            assert_eq!(
                link.source,
                sms_invite::invite::link::LinkSource::Organization
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    // And a send uses that address.
    step(
        &mut m,
        Msg::Assessed {
            org: HOLDING.into(),
            report: report(true),
        },
    );
    match step(&mut m, ch('s')).as_slice() {
        [Effect::StartSend { template, .. }] => {
            assert_eq!(template.clp_url, "https://clp.example.com/acme")
        }
        other => panic!("unexpected {other:?}"),
    }
}

// ---------------------------------------------------------------- same choices

#[test]
fn a_skipped_contact_can_be_forced_per_contact_and_per_run() {
    let jan = target(JAN, Some("Jan"), Some("Jansen"));
    let sanne = target(SANNE, Some("Sanne"), Some("Bakker"));
    let (jan_c, mut jan_l) = platform(JAN, "Jan", "Jansen", JAN_ID);
    jan_l.last_invite = Some(invited_ago(5));
    let (sanne_c, _) = platform(SANNE, "Sanne", "Bakker", SANNE_ID);
    let sanne_l = lookup_of(SANNE, vec![found(&sanne_c, &["Anna de Vries"])]);
    let _ = jan_c;
    let mut m = confirming(vec![jan, sanne], vec![jan_l, sanne_l]);
    let screen = render_text(&m, 140, 40);
    assert!(
        screen.contains("skipped: invited with this template 5 min ago"),
        "{screen}"
    );
    assert!(
        screen.contains("skipped: Anna de Vries has the conversation accepted right now"),
        "the agent is named:\n{screen}"
    );
    assert!(screen.contains("f forces it"), "{screen}");
    // Force the first (selected) one.
    step(&mut m, ch('f'));
    assert_eq!(m.confirm.targets[0].force, Force::ALL);
    assert!(m.confirm.targets[1].force.is_none());
    assert!(render_text(&m, 140, 40).contains("FORCED"));
    // F forces the rest; F again takes all back.
    step(&mut m, ch('F'));
    assert!(m.confirm.targets.iter().all(|t| t.force == Force::ALL));
    step(&mut m, ch('F'));
    assert!(m.confirm.targets.iter().all(|t| t.force.is_none()));
    // Forced, the send carries the decision per contact (the journal keeps it).
    step(&mut m, ch('f'));
    let effects = step(&mut m, ch('s'));
    let (targets, _) = start_send(&effects).expect("a send");
    assert_eq!(targets[0].force, Force::ALL);
    assert!(targets[1].force.is_none());
}

/// The confirm screen draws a review taken when something changes; a cooldown that ends while
/// the screen is open is seen on a later tick, not only after the next key.
#[test]
fn a_cooldown_that_ends_on_the_confirm_screen_is_seen_on_a_tick() {
    let jan = target(JAN, Some("Jan"), Some("Jansen"));
    let (_, mut jan_l) = platform(JAN, "Jan", "Jansen", JAN_ID);
    // Invited 23 h 59 min 50 s before the test's clock: the 24 h cooldown ends in 10 s.
    jan_l.last_invite = Some(LastInvite {
        at: day() - chrono::Duration::hours(24) + chrono::Duration::seconds(10),
        run: "run-earlier-0001".into(),
    });
    let mut m = confirming(vec![jan], vec![jan_l]);
    assert_eq!(m.clock, day());
    assert_eq!(m.confirm.review.tally.skipped, 1);
    assert!(render_text(&m, 140, 40).contains("1 skipped"));
    // Five seconds on the review stands (it is not taken on every tick)...
    step(&mut m, Msg::Tick(day() + chrono::Duration::seconds(5)));
    assert_eq!(m.confirm.review.tally.skipped, 1);
    // ...and half a minute on, the cooldown has ended and the screen says so.
    step(&mut m, Msg::Tick(day() + chrono::Duration::seconds(31)));
    assert_eq!(m.confirm.review.tally.skipped, 0, "{:?}", m.confirm.review);
    assert_eq!(m.confirm.review.tally.existing, 1);
    assert!(m.confirm.attention().is_empty());
    let screen = render_text(&m, 140, 40);
    assert!(screen.contains("0 new, 1 existing"), "{screen}");
}

#[test]
fn a_shared_number_lets_the_operator_choose_one_or_all() {
    let shared = target(SHARED, None, None);
    let (mark, _) = platform(SHARED, "Mark", "Visser", MARK_ID);
    let (eva, _) = platform(SHARED, "Eva", "Visser", EVA_ID);
    let l = lookup_of(SHARED, vec![found(&mark, &[]), found(&eva, &[])]);
    let mut m = confirming(vec![shared.clone()], vec![l.clone()]);
    let screen = render_text(&m, 140, 40);
    assert!(
        screen.contains("2 contacts share this number: Mark Visser"),
        "{screen}"
    );
    press(&mut m, KeyCode::Enter);
    assert_eq!(m.mode(), Mode::Pick);
    let Some(Overlay::Pick(p)) = &m.overlay else {
        panic!("a pick list")
    };
    assert_eq!(p.options.len(), 3);
    assert_eq!(p.options[2], PickOption::All { count: 2 });
    // Eva only.
    press(&mut m, KeyCode::Down);
    press(&mut m, KeyCode::Enter);
    assert_eq!(m.confirm.targets.len(), 1);
    assert_eq!(m.confirm.targets[0].contact_id.as_deref(), Some(EVA_ID));
    assert!(m.confirm.attention().is_empty(), "settled");
    // Or all of them: one invitation each, stated as such.
    let mut all = confirming(vec![shared], vec![l]);
    press(&mut all, KeyCode::Enter);
    assert!(render_text(&all, 140, 40).contains("all of them: 2 invitations to one phone"));
    press(&mut all, KeyCode::End);
    press(&mut all, KeyCode::Enter);
    let ids: Vec<Option<&str>> = all
        .confirm
        .targets
        .iter()
        .map(|t| t.contact_id.as_deref())
        .collect();
    assert_eq!(ids, [Some(MARK_ID), Some(EVA_ID)]);
}

#[test]
fn two_selected_rows_with_one_phone_get_one_invitation_unless_chosen() {
    // Mark and Eva are both selected on the contacts screen.
    let mut m = contacts_model();
    m.contacts.mark_keys([MARK_ID, EVA_ID]);
    step(&mut m, ch('r'));
    assert_eq!(m.confirm.targets.len(), 1, "one invitation to the phone");
    assert_eq!(m.confirm.targets[0].contact_id.as_deref(), Some(MARK_ID));
    assert_eq!(m.confirm.same_phone.len(), 1);
    step(
        &mut m,
        Msg::Assessed {
            org: HOLDING.into(),
            report: report(true),
        },
    );
    let screen = render_text(&m, 140, 40);
    assert!(
        screen.contains("2 selected for +31612345680: one invitation, to Mark Visser"),
        "{screen}"
    );
    // The operator chooses each their own.
    press(&mut m, KeyCode::Enter);
    press(&mut m, KeyCode::End);
    press(&mut m, KeyCode::Enter);
    let ids: Vec<Option<&str>> = m
        .confirm
        .targets
        .iter()
        .map(|t| t.contact_id.as_deref())
        .collect();
    assert_eq!(ids, [Some(MARK_ID), Some(EVA_ID)]);
    assert!(m.confirm.same_phone.is_empty());
}

#[test]
fn an_imported_column_is_a_template_variable_in_the_tui_as_on_the_command_line() {
    let mut m = acme_contacts(vec![]);
    let csv = "telephone,givenName,city\n0687654321,Nina,Utrecht\n";
    let imported = sms_invite::invite::import::import_csv(csv, Some("NL")).expect("csv");
    step(
        &mut m,
        Msg::Imported {
            path: "list.csv".into(),
            result: Ok(imported.into()),
        },
    );
    m.template.template.welcome_text = "Hi {givenName}, see you in {city|your town}".into();
    let effects = step(&mut m, ch('r'));
    let (template, link, recipients) = effects
        .iter()
        .find_map(|e| match e {
            Effect::Assess {
                template,
                link,
                recipients,
                ..
            } => Some((template.clone(), link.clone(), recipients.clone())),
            _ => None,
        })
        .expect("the report is asked for");
    assert_eq!(recipients.regions, ["NL"]);
    // The report's rule is the command line's: the list's columns are known variables.
    let subject = sms_invite::invite::readiness::Subject::for_recipients(
        &template,
        &link,
        false,
        recipients,
        Some(&acme()),
    );
    assert_eq!(subject.columns, ["city"]);
    let line = sms_invite::invite::readiness::check_template(&template, &subject.columns);
    assert_eq!(line.verdict, Verdict::Ready, "{line:?}");
    let without = sms_invite::invite::readiness::check_template(&template, &[]);
    assert_eq!(without.verdict, Verdict::NotReady, "{without:?}");
    // The preview fills it in from the row.
    step(
        &mut m,
        Msg::Assessed {
            org: HOLDING.into(),
            report: report(true),
        },
    );
    let screen = render_text(&m, 120, 40);
    assert!(screen.contains("see you in Utrecht"), "{screen}");
}

// ---------------------------------------------------------------- things that tripped a user

#[test]
fn typing_into_the_paste_box_never_runs_commands() {
    let mut m = acme_contacts(vec![]);
    assert!(step(&mut m, ch('p')).is_empty());
    assert_eq!(m.mode(), Mode::Editor);
    // Without bracketed paste the terminal types the list: letters that are commands on the
    // contacts screen (q quits, r reviews, a adds, d removes, I imports) are text here.
    let effects = type_text(
        &mut m,
        "Nina de Boer 06 87654321, Ida 0687654322 q r a d I ?",
    );
    assert!(effects.is_empty(), "{effects:?}");
    press(&mut m, KeyCode::Enter);
    type_text(&mut m, "Bram +31 6 8765 4323");
    assert!(!m.quit);
    assert_eq!(m.screen, Screen::Contacts);
    assert!(matches!(m.overlay, Some(Overlay::Editor(_))));
    assert!(
        m.contacts.is_empty(),
        "nothing taken before the box is finished"
    );
    // ctrl-s finishes it: the entries are read like a paste.
    let effects = step(&mut m, ctrl('s'));
    assert!(m.overlay.is_none());
    assert!(matches!(effects.as_slice(), [Effect::LookUp { .. }]));
    let numbers: Vec<&str> = m
        .contacts
        .rows()
        .iter()
        .map(|r| r.contact().e164())
        .collect();
    assert_eq!(numbers, ["+31687654321", "+31687654322", "+31687654323"]);
    // esc throws the box away.
    step(&mut m, ch('p'));
    type_text(&mut m, "0687654329");
    press(&mut m, KeyCode::Esc);
    assert!(m.overlay.is_none());
    assert_eq!(m.contacts.len(), 3);
}

#[test]
fn enter_shows_a_row_in_full() {
    let mut m = done_model();
    let long = "x".repeat(300);
    m.sending.as_mut().expect("sending").edit_rows(|u| {
        if u.index == 1 {
            u.reason = Some(long.clone());
        }
    });
    press(&mut m, KeyCode::Down);
    press(&mut m, KeyCode::Enter);
    match &m.overlay {
        Some(Overlay::Detail { lines, .. }) => {
            assert!(lines.iter().any(|l| l.contains(&long)), "{lines:?}");
        }
        other => panic!("expected the detail pane, got {other:?}"),
    }
    let screen = render_text(&m, 100, 30);
    let pane: String = screen
        .lines()
        .filter(|l| l.starts_with(" │"))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(
        pane.matches('x').count(),
        300,
        "all of it, wrapped:\n{screen}"
    );
    press(&mut m, KeyCode::Esc);
    assert!(m.overlay.is_none());
    assert_eq!(m.screen, Screen::Sending, "esc only closes the pane");
    // On the contacts screen too.
    let mut c = contacts_model();
    press(&mut c, KeyCode::Enter);
    assert!(matches!(c.overlay, Some(Overlay::Detail { .. })));
}

#[test]
fn the_failures_panel_scrolls() {
    let mut m = done_model();
    let s = m.sending.as_mut().expect("sending");
    s.edit_rows(|u| {
        u.state = Some(State::Failed);
        u.reason = Some(format!("reason number {}", u.index));
    });
    step(&mut m, Msg::Term(crossterm::event::Event::Resize(100, 20)));
    let before = render_text(&m, 100, 20);
    assert!(before.contains(": reason number 0"), "{before}");
    assert!(!before.contains(": reason number 5"), "{before}");
    press(&mut m, KeyCode::Tab);
    press(&mut m, KeyCode::End);
    let after = render_text(&m, 100, 20);
    assert!(after.contains(": reason number 5"), "{after}");
    assert_eq!(
        m.sending.as_ref().map(|s| s.selected),
        Some(0),
        "the keys moved the panel, not the table"
    );
}

#[test]
fn after_a_cancel_the_gauge_counts_what_finished() {
    let mut m = done_model();
    step(
        &mut m,
        Msg::Engine(EngineEvent::Finished(Summary {
            cancelled: true,
            ..Summary::default()
        })),
    );
    // Six contacts, one not started: five finished.
    let screen = render_text(&m, 100, 30);
    assert!(screen.contains("5/6"), "{screen}");
}

/// From any state the keys lead to, repeated esc reaches the organizations screen in a few
/// presses, through each screen at most once.
fn key_strategy() -> impl Strategy<Value = Vec<char>> {
    proptest::collection::vec(
        prop::sample::select(vec![
            'E', // enter
            'X', // esc
            'i', 'c', 'R', 't', 'r', 'n', 'l', 'f', ' ', 'a', 'J', 'K', 'e', 'x', 'y', 'p', 's',
            '0', '6', '1', '2', '3', '4', '5', '7', '8',
        ]),
        0..40,
    )
}

fn press_char(m: &mut Model, c: char) {
    match c {
        'E' => {
            press(m, KeyCode::Enter);
        }
        'X' => {
            press(m, KeyCode::Esc);
        }
        'J' => {
            press(m, KeyCode::Down);
        }
        'K' => {
            press(m, KeyCode::Up);
        }
        c => {
            step(m, ch(c));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn esc_always_leads_back_to_the_organizations(keys in key_strategy()) {
        let mut m = contacts_model();
        m.back = vec![Screen::Orgs];
        for c in keys {
            press_char(&mut m, c);
            if m.quit {
                return Ok(());
            }
            // Answers that would arrive: reports and lookups.
            if m.screen == Screen::Confirm && m.confirm.report.is_none() {
                step(&mut m, Msg::Assessed { org: HOLDING.into(), report: report(true) });
            }
        }
        if m.sending_now() {
            step(&mut m, Msg::Engine(EngineEvent::Finished(Summary::default())));
        }
        let mut seen = vec![m.screen];
        for _ in 0..20 {
            if m.screen == Screen::Orgs && m.overlay.is_none() {
                break;
            }
            press(&mut m, KeyCode::Esc);
            if m.screen != *seen.last().unwrap_or(&m.screen) {
                prop_assert!(!seen.contains(&m.screen), "a cycle: {:?} then {:?}", seen, m.screen);
                seen.push(m.screen);
            }
        }
        prop_assert_eq!(m.screen, Screen::Orgs, "after {:?}", seen);
        prop_assert!(seen.len() <= 8, "{:?}", seen);
    }
}

#[test]
fn confirm_then_esc_then_esc_reaches_the_organizations() {
    let mut m = contacts_model();
    step(&mut m, ch('r'));
    assert_eq!(m.screen, Screen::Confirm);
    press(&mut m, KeyCode::Esc);
    assert_eq!(m.screen, Screen::Contacts);
    press(&mut m, KeyCode::Esc);
    assert_eq!(m.screen, Screen::Orgs, "no loop back to the contacts");
}

#[test]
fn esc_on_the_sign_in_screen_quits_as_its_hint_says() {
    let mut m = fresh();
    let screen = render_text(&m, 100, 30);
    assert!(screen.contains("esc quit"), "{screen}");
    press(&mut m, KeyCode::Esc);
    assert!(m.quit);
}

#[test]
fn runs_are_searched_by_phone_number_in_any_spelling() {
    let mut m = signed_in();
    assert!(matches!(
        step(&mut m, ch('R')).as_slice(),
        [Effect::LoadRuns]
    ));
    assert_eq!(m.screen, Screen::Runs);
    let run = stored_done_run();
    let listing = sms_invite::invite::journal::RunListing {
        run,
        modified: None,
    };
    step(&mut m, Msg::RunsLoaded(vec![listing]));
    assert_eq!(m.runs.visible(), [0]);
    for spelling in ["06 12345678", "+31612345678", "0031612345678", "612345678"] {
        m.runs.nav.filter = tui_input::Input::new(spelling.into());
        assert_eq!(m.runs.visible(), [0], "{spelling}");
    }
    m.runs.nav.filter = tui_input::Input::new("06 99999999".into());
    assert!(m.runs.visible().is_empty());
    m.runs.nav.filter = tui_input::Input::new("acme".into());
    assert_eq!(m.runs.visible(), [0]);
    m.runs.nav.filter = tui_input::Input::default();
    let screen = render_text(&m, 120, 30);
    assert!(screen.contains("Acme Holding"), "{screen}");
    assert!(
        screen.contains("2 sent, 1 skipped, 1 failed, 1 unknown"),
        "{screen}"
    );
    // Enter opens it on the done screen.
    match press(&mut m, KeyCode::Enter).as_slice() {
        [Effect::OpenRun { run, retry: false }] => assert_eq!(run, RUN_ID),
        other => panic!("unexpected {other:?}"),
    }
    step(
        &mut m,
        Msg::RunOpened {
            result: Ok((stored_done_run(), acme())),
            retry: false,
        },
    );
    assert_eq!(m.mode(), Mode::Done);
    assert_eq!(m.sending.as_ref().map(|s| s.rows().len()), Some(6));
    press(&mut m, KeyCode::Esc);
    assert_eq!(m.screen, Screen::Runs);
    press(&mut m, KeyCode::Esc);
    assert_eq!(m.screen, Screen::Orgs);
}

#[test]
fn quitting_mid_send_leaves_the_resume_command_in_the_shell() {
    // Quit confirmed while sending: the run ends cancelled with contacts not started.
    let mut m = sending_model();
    step(&mut m, ctrl('c'));
    step(&mut m, ch('y'));
    assert!(m.quit);
    let s = m.sending.as_mut().expect("sending");
    s.edit_rows(|u| {
        if !u.state().is_final() {
            u.state = Some(State::NotStarted);
        }
    });
    s.finished = Some(Summary {
        cancelled: true,
        ..Summary::default()
    });
    let note = sms_invite::tui::exit_note(&m);
    assert_eq!(
        note,
        [
            format!(
                "Run {RUN_ID}: Cancelled: 6 contact(s): 1 sent, 1 skipped, 1 failed, 3 not started"
            ),
            format!("Resume with: sms-invite send --resume {RUN_ID} (sends only what is not done)"),
        ]
    );
    // Killed before the run's end was heard: still resumable.
    let mut running = sending_model();
    step(&mut running, ctrl('c'));
    step(&mut running, ch('y'));
    let note = sms_invite::tui::exit_note(&running);
    assert!(note[1].starts_with("Resume with"), "{note:?}");
    // Everything sent: only the counts.
    let mut done = done_model();
    done.sending
        .as_mut()
        .expect("s")
        .edit_rows(|u| u.state = Some(State::Sent));
    assert_eq!(sms_invite::tui::exit_note(&done).len(), 1);
}

/// Names from a CSV or the platform never act on the terminal: control characters and
/// bidirectional overrides are drawn as visible escapes, on every screen they reach.
#[test]
fn hostile_names_are_drawn_escaped() {
    let evil = "Jan\u{1b}]52;c;aGFja2Vk\u{7}\u{202e}x";
    let mut m = acme_contacts(vec![platform(JAN, evil, "Evil", JAN_ID)]);
    m.orgs.rows[1].org.display_name = Some("Acme\u{1b}[2J\u{202e}".to_string());
    m.org = Some(m.orgs.rows[1].org.clone());
    let mut screens = vec![render_text(&m, 120, 30)];
    step(&mut m, ch(' '));
    step(&mut m, ch('r'));
    step(
        &mut m,
        Msg::Assessed {
            org: HOLDING.into(),
            report: report(true),
        },
    );
    screens.push(render_text(&m, 120, 30));
    press(&mut m, KeyCode::Esc);
    press(&mut m, KeyCode::Esc);
    screens.push(render_text(&m, 120, 30));
    for screen in &screens {
        let bad: Vec<char> = screen
            .chars()
            .filter(|&c| sms_invite::safe_text::needs_escape(c) && c != '\n')
            .collect();
        assert!(bad.is_empty(), "{bad:?} reached the screen:\n{screen}");
    }
    assert!(
        screens[0].contains(r"Jan\x1b]52;c;aGFja2Vk"),
        "{}",
        screens[0]
    );
    // Such a name is not sent at all: the confirm screen says so, as the send would.
    assert!(
        screens[1].contains(r"not sent: {givenName} of this contact holds a control"),
        "{}",
        screens[1]
    );
    assert!(
        screens[1].contains(r"(Jan\x1b]52;c;aGFja2Vk\x07\u{202e}x)"),
        "{}",
        screens[1]
    );
    assert!(
        screens[2].contains(r"Acme\x1b[2J\u{202e}"),
        "{}",
        screens[2]
    );
}
