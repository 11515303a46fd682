//! Pure transition tests of the TUI: a model, a message, then the new state and the effects.
//! No terminal, no async, no network.

mod common;
mod tui_common;

use std::time::Duration;

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers, MouseEvent, MouseEventKind,
};
use sms_invite::invite::batch::TYPED_CONFIRM_ABOVE;
use sms_invite::invite::events::{ContactUpdate, Event as EngineEvent, State, Summary};
use sms_invite::invite::follow::{Ending, FollowEvent, Outcome, Sign, Via};
use sms_invite::invite::target::Target;
use sms_invite::tui::effect::Effect;
use sms_invite::tui::keymap::Mode;
use sms_invite::tui::model::{
    Following, Level, Lookup, Model, Overlay, PromptKind, Screen, Source, TemplateField,
};
use sms_invite::tui::msg::Msg;
use sms_invite::tui::update::update;
use tui_common::*;

fn one(effects: Vec<Effect>) -> Effect {
    assert_eq!(effects.len(), 1, "expected one effect, got {effects:?}");
    effects.into_iter().next().expect("one effect")
}

fn prompt_of(m: &Model) -> &sms_invite::tui::model::Prompt {
    match &m.overlay {
        Some(Overlay::Prompt(p)) => p,
        other => panic!("expected a prompt, got {other:?}"),
    }
}

fn selected_org_id(m: &Model) -> String {
    m.selected_org().expect("an organization").org.id.clone()
}

fn e164s(targets: &[Target]) -> Vec<&str> {
    targets.iter().map(|t| t.e164.as_str()).collect()
}

// ---------------------------------------------------------------- sign in

#[test]
fn sign_in_with_an_empty_token_explains_and_sends_nothing() {
    let mut m = fresh();
    assert_eq!(m.screen, Screen::SignIn);
    assert!(press(&mut m, KeyCode::Enter).is_empty());
    assert_eq!(
        m.signin.error.as_deref(),
        Some("paste or type the bot token first")
    );
    assert!(!m.signin.busy);
    // Spaces only are still empty.
    type_text(&mut m, "   ");
    assert!(press(&mut m, KeyCode::Enter).is_empty());
    assert!(m.signin.error.is_some());
}

#[test]
fn typed_token_is_submitted_as_a_sign_in_effect() {
    let mut m = fresh();
    press(&mut m, KeyCode::Enter);
    // Typing clears the error; letters that are commands elsewhere (q, ?, c) are text here.
    assert!(type_text(&mut m, "eyJq?c.x").is_empty());
    assert!(m.signin.error.is_none());
    assert!(!m.quit);
    assert!(m.overlay.is_none());
    assert_eq!(m.signin.input.value(), "eyJq?c.x");
    match one(press(&mut m, KeyCode::Enter)) {
        Effect::SignIn { token, remember } => {
            assert_eq!(token.expose(), "eyJq?c.x");
            assert!(!remember);
        }
        e => panic!("unexpected {e:?}"),
    }
    assert!(m.signin.busy);
    assert_eq!(m.screen, Screen::SignIn);
}

#[test]
fn ctrl_r_asks_to_remember_the_token() {
    let mut m = fresh();
    assert!(step(&mut m, ctrl('r')).is_empty());
    assert!(m.signin.remember);
    type_text(&mut m, "tok");
    match one(press(&mut m, KeyCode::Enter)) {
        Effect::SignIn { remember, .. } => assert!(remember),
        e => panic!("unexpected {e:?}"),
    }
    step(&mut m, ctrl('r'));
    assert!(!m.signin.remember);
}

#[test]
fn paste_into_sign_in_takes_the_trimmed_token() {
    let mut m = fresh();
    press(&mut m, KeyCode::Enter);
    assert!(step(&mut m, paste("  eyJhbGciOi.payload.sig \n")).is_empty());
    assert_eq!(m.signin.input.value(), "eyJhbGciOi.payload.sig");
    assert!(m.signin.error.is_none());
    match one(press(&mut m, KeyCode::Enter)) {
        Effect::SignIn { token, .. } => assert_eq!(token.expose(), "eyJhbGciOi.payload.sig"),
        e => panic!("unexpected {e:?}"),
    }
}

#[test]
fn signed_in_goes_to_the_organizations_and_loads_them() {
    let mut m = fresh();
    type_text(&mut m, "tok");
    press(&mut m, KeyCode::Enter);
    let effects = step(&mut m, Msg::SignedIn(Ok(session())));
    assert!(matches!(one(effects), Effect::LoadOrgs));
    assert_eq!(m.screen, Screen::Orgs);
    assert!(m.orgs.loading);
    assert_eq!(
        m.session.as_ref().map(|s| s.name.as_str()),
        Some("SMS Invite Bot")
    );
    // The typed token is not kept in the model once signed in.
    assert_eq!(m.signin.input.value(), "");
    assert!(!m.signin.busy);
}

#[test]
fn a_refused_token_returns_to_sign_in_with_the_reason() {
    let mut m = fresh();
    type_text(&mut m, "tok");
    press(&mut m, KeyCode::Enter);
    let effects = step(
        &mut m,
        Msg::SignedIn(Err("the platform refused the token".into())),
    );
    assert!(effects.is_empty());
    assert_eq!(m.screen, Screen::SignIn);
    assert!(!m.signin.busy);
    assert_eq!(
        m.signin.error.as_deref(),
        Some("the platform refused the token")
    );
}

// ---------------------------------------------------------------- organizations

#[test]
fn orgs_loaded_fills_the_list_and_errors_are_kept() {
    let mut m = fresh();
    step(&mut m, Msg::SignedIn(Ok(session())));
    assert!(step(&mut m, Msg::OrgsLoaded(Ok(org_rows()))).is_empty());
    assert!(!m.orgs.loading);
    assert_eq!(m.orgs.rows.len(), 7);
    assert_eq!(m.visible_orgs().len(), 7);
    assert_eq!(selected_org_id(&m), ROOT);
    // A reload with fewer rows clamps the selection.
    press(&mut m, KeyCode::End);
    assert_eq!(m.orgs.nav.selected, 6);
    assert!(matches!(one(step(&mut m, ch('r'))), Effect::LoadOrgs));
    assert!(m.orgs.loading);
    step(&mut m, Msg::OrgsLoaded(Ok(org_rows()[..3].to_vec())));
    assert_eq!(m.orgs.nav.selected, 2);
    // A failed reload keeps the rows and shows the error.
    step(&mut m, Msg::OrgsLoaded(Err("timed out".into())));
    assert_eq!(m.orgs.error.as_deref(), Some("timed out"));
    assert_eq!(m.orgs.rows.len(), 3);
    assert!(!m.orgs.loading);
}

#[test]
fn filter_typing_narrows_the_list_and_esc_clears_it() {
    let mut m = signed_in();
    press(&mut m, KeyCode::Down);
    assert!(step(&mut m, ch('/')).is_empty());
    assert!(m.orgs.nav.filtering);
    type_text(&mut m, "acme");
    assert_eq!(m.orgs.nav.filter.value(), "acme");
    assert_eq!(m.orgs.nav.selected, 0);
    let names: Vec<&str> = m
        .visible_orgs()
        .iter()
        .map(|&i| m.orgs.rows[i].org.label())
        .collect();
    assert_eq!(names, ["Acme Holding", "Acme Amsterdam", "Acme Utrecht"]);
    // While filtering, q and i are text, not quit or invite.
    type_text(&mut m, "qi");
    assert!(!m.quit);
    assert!(m.overlay.is_none());
    assert_eq!(m.orgs.nav.filter.value(), "acmeqi");
    assert!(m.visible_orgs().is_empty());
    press(&mut m, KeyCode::Backspace);
    press(&mut m, KeyCode::Backspace);
    assert_eq!(m.visible_orgs().len(), 3);
    // Esc while typing clears the filter and stops filtering.
    assert!(press(&mut m, KeyCode::Esc).is_empty());
    assert!(!m.orgs.nav.filtering);
    assert_eq!(m.orgs.nav.filter.value(), "");
    assert_eq!(m.visible_orgs().len(), 7);
    assert_eq!(m.screen, Screen::Orgs);
}

/// A keymap with the config file's `[keys]` tables written as TOML.
fn configured(toml_text: &str) -> sms_invite::tui::keymap::Keymap {
    let tables = toml::from_str(toml_text).expect("toml");
    sms_invite::tui::keymap::Keymap::configured(&tables).expect("keys")
}

/// The filter's keys and the questions' yes come from the keymap, so a config file moves
/// them like any other key, and the hint bar follows.
#[test]
fn filter_and_question_keys_are_configurable() {
    let km =
        configured("[filter]\nclear = \"ctrl-g\"\nsubmit = \"tab\"\n[question]\nyes = \"j\"\n");
    let mut m = signed_in();
    update(&mut m, ch('/'), &km);
    assert_eq!(m.mode(), Mode::Filter);
    let bar: Vec<String> = km
        .hints(m.mode())
        .into_iter()
        .map(|(k, d, _)| format!("{k} {d}"))
        .collect();
    assert_eq!(bar, ["tab ok", "ctrl-g clear", "esc back"]);
    type_text_with(&mut m, "acme", &km);
    update(&mut m, ctrl('g'), &km);
    assert!(!m.orgs.nav.filtering && m.orgs.nav.filter.value().is_empty());
    update(&mut m, ch('/'), &km);
    type_text_with(&mut m, "acme", &km);
    update(&mut m, key(KeyCode::Tab), &km);
    assert!(!m.orgs.nav.filtering);
    assert_eq!(m.orgs.nav.filter.value(), "acme", "kept");

    let mut m = started_model();
    update(&mut m, ch('q'), &km);
    assert_eq!(m.mode(), Mode::Question);
    assert_eq!(km.hints(Mode::Question)[0].0, "j");
    assert!(
        update(&mut m, ch('y'), &km).is_empty(),
        "y is no longer yes"
    );
    assert!(!m.quit && m.overlay.is_none());
    update(&mut m, ch('q'), &km);
    assert!(matches!(
        one(update(&mut m, ch('j'), &km)),
        Effect::CancelSend
    ));
    assert!(m.quit);
}

/// What the update writes about keys (a remedy in the detail pane, a toast) names the keys
/// the operator configured.
#[test]
fn remedies_and_toasts_name_the_configured_keys() {
    let km = configured(
        "[done]\nretry_failed = \"ctrl-r\"\n[confirm]\nforce = \"!\"\n[contacts]\ntoggle = \"x\"\n",
    );
    let mut m = done_model();
    m.sending.as_mut().expect("sending").edit_rows(|u| {
        if u.index == 2 {
            u.remedy = Some(sms_invite::invite::verdict::Remedy::Force);
        }
    });
    update(&mut m, key(KeyCode::Down), &km);
    update(&mut m, key(KeyCode::Down), &km);
    update(&mut m, key(KeyCode::Enter), &km);
    match &m.overlay {
        Some(Overlay::Detail { lines, .. }) => assert!(
            lines
                .iter()
                .any(|l| l.ends_with("retry (ctrl-r) and force it on the confirm screen (!)")),
            "{lines:#?}"
        ),
        other => panic!("expected the detail pane, got {other:?}"),
    }
    let mut m = contacts_model();
    m.contacts.mark_keys([]);
    m.contacts.nav.selected = usize::MAX;
    update(&mut m, ch('r'), &km);
    assert_eq!(
        m.toast.as_ref().map(|t| t.text.as_str()),
        Some("select contacts first (x), or add one (a)")
    );
}

fn type_text_with(m: &mut Model, text: &str, km: &sms_invite::tui::keymap::Keymap) {
    for c in text.chars() {
        update(m, ch(c), km);
    }
}

/// While a filter is typed or a question is open, the hint bar offers what works there: not
/// the screen's keys, which would be text or an answer of no.
#[test]
fn the_hint_bar_offers_the_keys_of_what_is_typed_or_asked() {
    let km = &*KEYMAP;
    let mut m = signed_in();
    step(&mut m, ch('/'));
    let bar: Vec<&str> = km.hints(m.mode()).into_iter().map(|(_, d, _)| d).collect();
    assert_eq!(bar, ["ok", "clear"]);
    // Ctrl-c still quits while typing a filter, as in a prompt.
    step(&mut m, ctrl('c'));
    assert!(m.quit);
    let mut m = started_model();
    step(&mut m, ch('x'));
    assert_eq!(m.mode(), Mode::Question);
    let bar: Vec<String> = km.hints(m.mode()).into_iter().map(|(k, _, _)| k).collect();
    assert_eq!(bar, ["y"]);
}

#[test]
fn filter_kept_after_enter_then_esc_clears_it_and_ids_match() {
    let mut m = signed_in();
    step(&mut m, ch('/'));
    type_text(&mut m, "garage");
    press(&mut m, KeyCode::Enter);
    assert!(!m.orgs.nav.filtering);
    assert_eq!(m.visible_orgs().len(), 1);
    assert_eq!(selected_org_id(&m), NO_SMS);
    // Not filtering any more: letters are commands again.
    assert!(step(&mut m, ch('i')).is_empty());
    assert!(m.overlay.is_some());
    press(&mut m, KeyCode::Esc);
    assert!(m.overlay.is_none());
    press(&mut m, KeyCode::Esc);
    assert_eq!(m.orgs.nav.filter.value(), "");
    assert_eq!(m.screen, Screen::Orgs);
    // By id.
    step(&mut m, ch('/'));
    type_text(&mut m, "0000000020");
    assert_eq!(selected_org_id(&m), BRUSSELS);
    // Arrow keys leave the filter and move.
    press(&mut m, KeyCode::Down);
    assert!(!m.orgs.nav.filtering);
}

#[test]
fn navigation_clamps_at_both_ends() {
    let mut m = signed_in();
    press(&mut m, KeyCode::Up);
    assert_eq!(m.orgs.nav.selected, 0);
    step(&mut m, ch('j'));
    assert_eq!(m.orgs.nav.selected, 1);
    step(&mut m, ch('k'));
    assert_eq!(m.orgs.nav.selected, 0);
    press(&mut m, KeyCode::PageDown);
    assert_eq!(m.orgs.nav.selected, 6, "a page is more than the list");
    press(&mut m, KeyCode::Down);
    assert_eq!(m.orgs.nav.selected, 6);
    press(&mut m, KeyCode::PageUp);
    assert_eq!(m.orgs.nav.selected, 0);
    press(&mut m, KeyCode::End);
    assert_eq!(m.orgs.nav.selected, 6);
    press(&mut m, KeyCode::Home);
    assert_eq!(m.orgs.nav.selected, 0);
    // A small terminal makes pages small.
    step(&mut m, Msg::Term(Event::Resize(80, 11)));
    press(&mut m, KeyCode::PageDown);
    assert_eq!(m.orgs.nav.selected, 3);
    // The mouse wheel moves too.
    let wheel = |kind| {
        Msg::Term(Event::Mouse(MouseEvent {
            kind,
            column: 1,
            row: 1,
            modifiers: KeyModifiers::NONE,
        }))
    };
    step(&mut m, wheel(MouseEventKind::ScrollDown));
    assert_eq!(m.orgs.nav.selected, 4);
    step(&mut m, wheel(MouseEventKind::ScrollUp));
    assert_eq!(m.orgs.nav.selected, 3);
    // Empty list: nothing to move to, nothing panics.
    let mut e = fresh();
    step(&mut e, Msg::SignedIn(Ok(session())));
    step(&mut e, Msg::OrgsLoaded(Ok(vec![])));
    press(&mut e, KeyCode::Down);
    press(&mut e, KeyCode::End);
    assert_eq!(e.orgs.nav.selected, 0);
    assert!(press(&mut e, KeyCode::Enter).is_empty());
    assert_eq!(e.screen, Screen::Orgs);
}

#[test]
fn key_releases_are_ignored() {
    let mut m = signed_in();
    let release = KeyEvent {
        code: KeyCode::Down,
        modifiers: KeyModifiers::NONE,
        kind: KeyEventKind::Release,
        state: KeyEventState::NONE,
    };
    step(&mut m, Msg::Term(Event::Key(release)));
    assert_eq!(m.orgs.nav.selected, 0);
}

#[test]
fn enter_opens_the_readiness_report_and_checks_the_org() {
    let mut m = on_acme();
    match one(press(&mut m, KeyCode::Enter)) {
        Effect::Assess {
            org,
            recipients,
            link,
            bot_name,
            ..
        } => {
            assert_eq!(org.id, HOLDING);
            assert_eq!(recipients, Default::default(), "no contacts chosen yet");
            assert_eq!(link.url, CLP, "the template's address is the fallback");
            assert_eq!(bot_name.as_deref(), Some("SMS Invite Bot"));
        }
        e => panic!("unexpected {e:?}"),
    }
    assert_eq!(m.screen, Screen::Readiness);
    assert_eq!(m.org.as_ref().map(|o| o.id.as_str()), Some(HOLDING));
    assert!(m.readiness.as_ref().expect("readiness").report.is_none());
    // A late answer for another organization is dropped.
    step(
        &mut m,
        Msg::Assessed {
            org: NO_SMS.into(),
            report: report(false),
        },
    );
    assert!(m.readiness.as_ref().expect("readiness").report.is_none());
    step(
        &mut m,
        Msg::Assessed {
            org: HOLDING.into(),
            report: report(true),
        },
    );
    let r = m.readiness.as_ref().expect("readiness");
    let checks: Vec<&str> = r
        .report
        .as_ref()
        .expect("report")
        .items
        .iter()
        .map(|i| i.check)
        .collect();
    assert_eq!(
        checks,
        [
            "token",
            "scope",
            "organization",
            "sms service",
            "template",
            "link",
            "sender id"
        ]
    );
    // r checks again, esc goes back.
    assert!(matches!(one(step(&mut m, ch('r'))), Effect::Assess { org, .. } if org.id == HOLDING));
    press(&mut m, KeyCode::Esc);
    assert_eq!(m.screen, Screen::Orgs);
}

// ---------------------------------------------------------------- re-invite one number

#[test]
fn i_opens_the_phone_prompt_for_the_selected_org() {
    let mut m = on_acme();
    assert!(step(&mut m, ch('i')).is_empty());
    let p = prompt_of(&m);
    assert_eq!(p.kind, PromptKind::InvitePhone);
    assert!(p.title.contains("Acme Holding"), "{}", p.title);
    assert_eq!(p.input.value(), "");
    assert_eq!(m.mode(), Mode::Prompt);
    assert_eq!(m.org.as_ref().map(|o| o.id.as_str()), Some(HOLDING));
    // Esc closes it without doing anything.
    assert!(press(&mut m, KeyCode::Esc).is_empty());
    assert!(m.overlay.is_none());
    assert_eq!(m.screen, Screen::Orgs);
}

#[test]
fn i_without_organizations_says_to_pick_one() {
    let mut m = fresh();
    step(&mut m, Msg::SignedIn(Ok(session())));
    step(&mut m, Msg::OrgsLoaded(Ok(vec![])));
    assert!(step(&mut m, ch('i')).is_empty());
    assert!(m.overlay.is_none());
    let t = m.toast.as_ref().expect("toast");
    assert_eq!(t.level, Level::Warn);
    assert!(t.text.contains("pick an organization"));
}

#[test]
fn an_invalid_number_keeps_the_prompt_with_an_error() {
    let mut m = on_acme();
    step(&mut m, ch('i'));
    type_text(&mut m, "12");
    assert!(press(&mut m, KeyCode::Enter).is_empty());
    let p = prompt_of(&m);
    assert_eq!(p.kind, PromptKind::InvitePhone);
    assert_eq!(p.input.value(), "12", "the typed text stays for correcting");
    assert!(p.error.is_some());
    assert_eq!(m.screen, Screen::Orgs);
    // Typing clears the error.
    type_text(&mut m, "3");
    assert!(prompt_of(&m).error.is_none());
    // Letters are not a number either.
    step(&mut m, ctrl('u'));
    type_text(&mut m, "call me");
    press(&mut m, KeyCode::Enter);
    assert!(prompt_of(&m).error.is_some());
}

/// The lookup among a confirm screen's effects (the other is the readiness report).
fn look_up_of(effects: &[Effect]) -> Option<(&str, Vec<&str>, &str)> {
    effects.iter().find_map(|e| match e {
        Effect::LookUp {
            org,
            targets,
            template_hash,
        } => Some((
            org.id.as_str(),
            targets.iter().map(|t| t.e164.as_str()).collect(),
            template_hash.as_str(),
        )),
        _ => None,
    })
}

fn assesses(effects: &[Effect]) -> bool {
    effects.iter().any(|e| matches!(e, Effect::Assess { .. }))
}

#[test]
fn a_valid_number_goes_to_confirm_and_looks_the_contact_up() {
    let mut m = on_acme();
    step(&mut m, ch('i'));
    type_text(&mut m, "06 12345678");
    let effects = press(&mut m, KeyCode::Enter);
    let hash = template().template_hash();
    assert_eq!(
        look_up_of(&effects),
        Some((HOLDING, vec![JAN], hash.as_str()))
    );
    assert!(
        assesses(&effects),
        "the readiness report is built for this send"
    );
    assert!(m.overlay.is_none());
    assert_eq!(m.screen, Screen::Confirm);
    assert_eq!(m.back, [Screen::Orgs]);
    assert!(m.confirm.looking_up);
    assert_eq!(e164s(&m.confirm.targets), [JAN]);
    // The lookup's answer lands on the confirm screen; a stale one for another org does not.
    step(
        &mut m,
        Msg::LookedUp {
            org: NO_SMS.into(),
            lookups: vec![],
        },
    );
    assert!(m.confirm.looking_up);
    let (_, lookup) = platform(JAN, "Jan", "Jansen", JAN_ID);
    step(
        &mut m,
        Msg::LookedUp {
            org: HOLDING.into(),
            lookups: vec![lookup.clone()],
        },
    );
    assert!(!m.confirm.looking_up);
    assert_eq!(m.confirm.lookups.get(JAN), Some(&lookup));
}

#[test]
fn confirm_lookups_cover_only_the_contacts_being_sent() {
    let mut m = contacts_model();
    // Only Jan is selected and reviewed.
    m.contacts.mark_keys([JAN_ID]);
    step(&mut m, ch('r'));
    assert_eq!(e164s(&m.confirm.targets), [JAN]);
    assert!(m.confirm.looking_up);
    // A lookup started before (the paste's, for the whole list) arrives now.
    let new = |e164: &str| Lookup {
        e164: e164.into(),
        found: Some(vec![]),
        ..Lookup::default()
    };
    let (_, jan) = platform(JAN, "Jan", "Jansen", JAN_ID);
    step(
        &mut m,
        Msg::LookedUp {
            org: HOLDING.into(),
            lookups: vec![jan, new(NEW), new("+31201234567")],
        },
    );
    let about: Vec<&str> = m.confirm.lookups.keys().map(String::as_str).collect();
    assert_eq!(
        about,
        [JAN],
        "confirm must only describe its own recipients"
    );
}

#[test]
fn invite_from_the_readiness_report_returns_there() {
    let mut m = readiness_model();
    step(&mut m, ch('i'));
    type_text(&mut m, "+31 6 1234 5678");
    assert!(look_up_of(&press(&mut m, KeyCode::Enter)).is_some());
    assert_eq!(m.back, [Screen::Orgs, Screen::Readiness]);
    press(&mut m, KeyCode::Esc);
    assert_eq!(m.screen, Screen::Readiness);
    assert!(m.confirm.targets.is_empty());
}

#[test]
fn q_in_a_prompt_is_text_but_ctrl_c_still_quits() {
    let mut m = on_acme();
    step(&mut m, ch('i'));
    assert!(type_text(&mut m, "q?x").is_empty());
    assert!(!m.quit);
    assert_eq!(prompt_of(&m).input.value(), "q?x");
    assert!(step(&mut m, ctrl('c')).is_empty());
    assert!(m.quit, "ctrl-c quits from a prompt when nothing is sending");
}

#[test]
fn paste_into_a_prompt_takes_the_first_line() {
    let mut m = on_acme();
    step(&mut m, ch('i'));
    type_text(&mut m, "06");
    step(&mut m, paste("\n  12345678  \nsecond line\n"));
    assert_eq!(prompt_of(&m).input.value(), "0612345678");
    assert!(look_up_of(&press(&mut m, KeyCode::Enter)).is_some());
}

// ---------------------------------------------------------------- confirm and send

#[test]
fn enter_alone_on_confirm_sends_nothing() {
    let mut m = confirm_model(day());
    for code in [KeyCode::Enter, KeyCode::Char(' '), KeyCode::Char('y')] {
        m.toast = None;
        assert!(press(&mut m, code).is_empty(), "{code:?}");
        assert_eq!(m.screen, Screen::Confirm);
        assert!(m.sending.is_none());
    }
}

#[test]
fn s_starts_the_send() {
    let mut m = confirm_model(day());
    let effects = step(&mut m, ch('s'));
    match one(effects) {
        Effect::StartSend {
            org,
            template: t,
            targets,
            resume,
        } => {
            assert_eq!(org.id, HOLDING);
            assert_eq!(t, template());
            assert_eq!(e164s(&targets), [JAN]);
            assert!(resume.is_none());
        }
        e => panic!("unexpected {e:?}"),
    }
    assert_eq!(m.screen, Screen::Sending);
    assert_eq!(m.mode(), Mode::Sending);
    assert_eq!(
        m.back,
        [Screen::Orgs],
        "confirm is not returned to after sending"
    );
    let s = m.sending.as_ref().expect("sending");
    assert_eq!(s.rows().len(), 1);
    assert_eq!(s.org.label(), "Acme Holding");
    assert_eq!(s.rows()[0].update.state(), State::Queued);
    assert_eq!(s.started, day());
    assert!(s.finished.is_none());
}

#[test]
fn s_is_refused_while_the_report_is_not_ready_and_nothing_is_sent() {
    let mut m = confirm_model(day());
    step(
        &mut m,
        Msg::Assessed {
            org: HOLDING.into(),
            report: report(false),
        },
    );
    assert!(step(&mut m, ch('s')).is_empty());
    assert_eq!(m.screen, Screen::Confirm);
    assert!(m.sending.is_none());
    let t = m.toast.as_ref().expect("toast");
    assert_eq!(t.level, Level::Error);
    assert!(
        t.text.contains("not sending") && t.text.contains("no twilio"),
        "{}",
        t.text
    );
    // Until the report is there, nothing goes either.
    m.confirm.report = None;
    assert!(step(&mut m, ch('s')).is_empty());
    assert!(m.sending.is_none());
}

#[test]
fn esc_on_confirm_goes_back_and_t_edits_the_template() {
    let mut m = confirm_model(day());
    step(&mut m, ch('t'));
    assert_eq!(m.screen, Screen::Template);
    press(&mut m, KeyCode::Esc);
    assert_eq!(
        m.screen,
        Screen::Confirm,
        "back from the template returns to confirm"
    );
    press(&mut m, KeyCode::Esc);
    assert_eq!(m.screen, Screen::Orgs);
    assert!(m.confirm.targets.is_empty());
}

fn many_targets(n: usize) -> Vec<Target> {
    (0..n)
        .map(|i| target(&format!("+316870000{i:02}"), None, None))
        .collect()
}

#[test]
fn a_large_batch_needs_the_count_typed() {
    let n = TYPED_CONFIRM_ABOVE + 5;
    let mut m = confirm_model(day());
    m.confirm.targets = many_targets(n);
    assert!(step(&mut m, ch('s')).is_empty());
    let p = prompt_of(&m);
    assert_eq!(p.kind, PromptKind::TypeCount);
    assert!(p.title.contains(&n.to_string()));
    assert_eq!(m.screen, Screen::Confirm);
    // The wrong count is refused.
    type_text(&mut m, &(n - 1).to_string());
    assert!(press(&mut m, KeyCode::Enter).is_empty());
    let p = prompt_of(&m);
    assert_eq!(
        p.error.as_deref(),
        Some(format!("type exactly {n} to send").as_str())
    );
    assert!(m.sending.is_none());
    // Esc backs out without sending.
    press(&mut m, KeyCode::Esc);
    assert!(m.overlay.is_none());
    assert!(m.sending.is_none());
    // The right count sends all of them.
    step(&mut m, ch('s'));
    type_text(&mut m, &n.to_string());
    match one(press(&mut m, KeyCode::Enter)) {
        Effect::StartSend { targets, .. } => assert_eq!(targets.len(), n),
        e => panic!("unexpected {e:?}"),
    }
    assert_eq!(m.screen, Screen::Sending);
    assert_eq!(m.sending.as_ref().map(|s| s.rows().len()), Some(n));
}

#[test]
fn up_to_the_limit_s_alone_sends() {
    let mut m = confirm_model(day());
    m.confirm.targets = many_targets(TYPED_CONFIRM_ABOVE);
    assert!(matches!(
        one(step(&mut m, ch('s'))),
        Effect::StartSend { .. }
    ));
}

// ---------------------------------------------------------------- engine events

fn started_model() -> Model {
    let mut m = confirm_model(day());
    m.confirm.targets = batch();
    step(&mut m, ch('s'));
    m
}

#[test]
fn engine_events_update_the_rows() {
    let mut m = started_model();
    m.clock = day() + chrono::Duration::seconds(3);
    step(
        &mut m,
        Msg::Engine(EngineEvent::Started {
            run_id: RUN_ID.into(),
            org_id: HOLDING.into(),
            org_name: "Acme Holding".into(),
            total: 6,
            dry_run: false,
        }),
    );
    let s = m.sending.as_ref().expect("sending");
    assert_eq!(s.run_id, RUN_ID);
    assert_eq!(s.rows().len(), 6);
    assert_eq!(s.started, m.clock);
    let t = batch();
    step(
        &mut m,
        Msg::Engine(EngineEvent::Contact(Box::new(update_row(
            0,
            &t[0],
            State::Sent,
            None,
            Some("conv-1"),
        )))),
    );
    step(
        &mut m,
        Msg::Engine(EngineEvent::Contact(Box::new(update_row(
            1,
            &t[1],
            State::Failed,
            Some(FAIL_REASON),
            None,
        )))),
    );
    // A contact the run adds (a retry's) gets its row, in index order.
    step(
        &mut m,
        Msg::Engine(EngineEvent::Contact(Box::new(update_row(
            99,
            &t[1],
            State::Sent,
            None,
            None,
        )))),
    );
    let s = m.sending.as_ref().expect("sending");
    assert_eq!(s.rows()[0].update.state(), State::Sent);
    assert_eq!(s.rows()[0].update.conversation.as_deref(), Some("conv-1"));
    assert_eq!(s.rows()[1].update.state(), State::Failed);
    assert_eq!(s.rows()[1].update.reason.as_deref(), Some(FAIL_REASON));
    assert_eq!(s.rows().len(), 7);
    assert_eq!(s.rows()[6].update.index, 99);
    // Rate limits are counted and the wait is measured from the model's clock.
    step(
        &mut m,
        Msg::Engine(EngineEvent::RateLimited { wait_ms: 2500 }),
    );
    step(
        &mut m,
        Msg::Engine(EngineEvent::RateLimited { wait_ms: 1000 }),
    );
    let s = m.sending.as_ref().expect("sending");
    assert_eq!(s.rate_limit_count, 2);
    assert_eq!(
        s.rate_limited_until,
        Some(m.clock + chrono::Duration::milliseconds(1000))
    );
    step(
        &mut m,
        Msg::Engine(EngineEvent::Notice {
            message: "access token renewed".into(),
        }),
    );
    assert_eq!(
        m.sending.as_ref().map(|s| s.notices.clone()),
        Some(vec!["access token renewed".to_string()])
    );
    // Finished: summary kept, a warning toast because something failed, done mode.
    let summary = Summary {
        run_id: RUN_ID.into(),
        total: 6,
        sent: 5,
        failed: 1,
        ..Summary::default()
    };
    assert!(step(&mut m, Msg::Engine(EngineEvent::Finished(summary.clone()))).is_empty());
    let s = m.sending.as_ref().expect("sending");
    assert_eq!(s.finished.as_ref(), Some(&summary));
    assert_eq!(m.mode(), Mode::Done);
    let toast = m.toast.as_ref().expect("toast");
    assert_eq!(toast.level, Level::Warn);
    assert_eq!(toast.text, "Done: 6 contact(s): 5 sent, 1 failed");
}

#[test]
fn a_clean_finish_is_ok_and_engine_events_without_a_send_are_ignored() {
    let mut m = started_model();
    step(
        &mut m,
        Msg::Engine(EngineEvent::Finished(Summary {
            total: 6,
            sent: 6,
            ..Summary::default()
        })),
    );
    assert_eq!(m.toast.as_ref().map(|t| t.level), Some(Level::Ok));
    let mut idle = signed_in();
    step(
        &mut idle,
        Msg::Engine(EngineEvent::RateLimited { wait_ms: 10 }),
    );
    assert!(idle.sending.is_none());
}

#[test]
fn cancel_asks_first_then_cancels() {
    let mut m = started_model();
    assert!(step(&mut m, ch('x')).is_empty());
    assert!(matches!(m.overlay, Some(Overlay::ConfirmCancel)));
    // Any other key keeps sending.
    assert!(step(&mut m, ch('n')).is_empty());
    assert!(m.overlay.is_none());
    assert!(!m.sending.as_ref().expect("sending").cancelling);
    // Esc asks too.
    press(&mut m, KeyCode::Esc);
    assert!(matches!(m.overlay, Some(Overlay::ConfirmCancel)));
    assert!(matches!(one(step(&mut m, ch('y'))), Effect::CancelSend));
    assert!(m.overlay.is_none());
    assert!(m.sending.as_ref().expect("sending").cancelling);
    assert_eq!(m.screen, Screen::Sending);
    // While cancelling, x does not ask again.
    assert!(step(&mut m, ch('x')).is_empty());
    assert!(m.overlay.is_none());
    // The engine's Finished ends the cancelling state.
    step(
        &mut m,
        Msg::Engine(EngineEvent::Finished(Summary {
            total: 6,
            sent: 2,
            not_started: 4,
            cancelled: true,
            ..Summary::default()
        })),
    );
    let s = m.sending.as_ref().expect("sending");
    assert!(!s.cancelling);
    assert_eq!(
        m.toast.as_ref().map(|t| t.text.as_str()),
        Some("Cancelled: 6 contact(s): 2 sent, 4 not started")
    );
}

#[test]
fn quitting_during_a_send_asks_first() {
    for quit_key in [ctrl('c'), ch('q')] {
        let mut m = started_model();
        assert!(step(&mut m, quit_key).is_empty());
        assert!(matches!(m.overlay, Some(Overlay::ConfirmQuit)));
        assert!(!m.quit);
        // Any other key keeps sending.
        assert!(press(&mut m, KeyCode::Esc).is_empty());
        assert!(m.overlay.is_none());
        assert!(!m.quit);
        step(&mut m, ctrl('c'));
        assert!(matches!(one(step(&mut m, ch('y'))), Effect::CancelSend));
        assert!(m.quit);
    }
}

#[test]
fn ctrl_c_in_a_prompt_during_a_send_asks_too() {
    let mut m = started_model();
    // No prompt opens while sending, but a stray one must not bypass the question.
    m.overlay = Some(Overlay::Prompt(sms_invite::tui::model::Prompt {
        kind: PromptKind::ExportPath,
        title: "Export".into(),
        help: String::new(),
        input: Default::default(),
        error: None,
    }));
    step(&mut m, ctrl('c'));
    assert!(!m.quit);
    assert!(matches!(m.overlay, Some(Overlay::ConfirmQuit)));
}

#[test]
fn after_the_send_q_quits_and_esc_goes_back() {
    let mut m = done_model();
    assert_eq!(m.mode(), Mode::Done);
    let mut q = m.clone();
    assert!(step(&mut q, ch('q')).is_empty());
    assert!(q.quit);
    assert!(q.overlay.is_none());
    assert!(press(&mut m, KeyCode::Esc).is_empty());
    assert_eq!(
        m.screen,
        Screen::Contacts,
        "back to where the batch came from"
    );
    assert!(
        m.sending.as_ref().is_some_and(|s| s.finished.is_some()),
        "the last run is kept for the summary printed at exit"
    );
    assert!(m.confirm.targets.is_empty());
}

#[test]
fn sending_rows_can_be_scrolled() {
    let mut m = sending_model();
    press(&mut m, KeyCode::End);
    assert_eq!(m.sending.as_ref().map(|s| s.selected), Some(5));
    press(&mut m, KeyCode::Down);
    assert_eq!(m.sending.as_ref().map(|s| s.selected), Some(5));
    press(&mut m, KeyCode::Home);
    assert_eq!(m.sending.as_ref().map(|s| s.selected), Some(0));
}

// ---------------------------------------------------------------- contacts

#[test]
fn c_opens_the_contacts_and_loads_them_once() {
    let mut m = on_acme();
    match one(step(&mut m, ch('c'))) {
        Effect::LoadContacts(org) => assert_eq!(org.id, HOLDING),
        e => panic!("unexpected {e:?}"),
    }
    assert_eq!(m.screen, Screen::Contacts);
    assert_eq!(m.back, [Screen::Orgs]);
    assert!(m.contacts.loading);
    // Stale: another org's contacts are dropped.
    step(
        &mut m,
        Msg::ContactsLoaded {
            org: NO_SMS.into(),
            result: Ok(vec![platform("+31612345683", "Fleur", "Smit", "f1")]),
            capped: None,
        },
    );
    assert!(m.contacts.rows().is_empty());
    assert!(m.contacts.loading);
    step(
        &mut m,
        Msg::ContactsLoaded {
            org: HOLDING.into(),
            result: Ok(vec![
                platform(JAN, "Jan", "Jansen", JAN_ID),
                platform("0612345679", "Piet", "Pieters", PIET_ID),
            ]),
            capped: None,
        },
    );
    assert!(!m.contacts.loading);
    assert_eq!(m.contacts.rows().len(), 2);
    assert!(
        m.contacts
            .rows()
            .iter()
            .all(|r| r.source == Source::Platform)
    );
    assert!(
        m.contacts
            .rows()
            .iter()
            .all(|r| r.lookup().existing() == Some(true))
    );
    assert!(
        m.contacts.marked_count() == 0,
        "nothing is selected by default"
    );
    // A reload keeps what was selected among the platform contacts.
    step(&mut m, key(KeyCode::Char(' ')));
    assert!(is_marked(&m, JAN));
    step(
        &mut m,
        Msg::ContactsLoaded {
            org: HOLDING.into(),
            result: Ok(vec![
                platform("0612345679", "Piet", "Pieters", PIET_ID),
                platform(JAN, "Jan", "Jansen", JAN_ID),
            ]),
            capped: None,
        },
    );
    assert!(is_marked(&m, JAN), "Jan stays selected after a reload");
    assert_eq!(m.contacts.marked_count(), 1);
    // Back and in again: no second load.
    press(&mut m, KeyCode::Esc);
    assert_eq!(m.screen, Screen::Orgs);
    assert!(step(&mut m, ch('c')).is_empty());
    assert_eq!(m.contacts.rows().len(), 2);
    // A failed load is a toast.
    let mut f = on_acme();
    step(&mut f, ch('c'));
    step(
        &mut f,
        Msg::ContactsLoaded {
            org: HOLDING.into(),
            result: Err("forbidden".into()),
            capped: None,
        },
    );
    assert!(!f.contacts.loading);
    assert_eq!(f.toast.as_ref().map(|t| t.level), Some(Level::Error));
}

#[test]
fn a_pasted_list_adds_rows_and_lists_bad_lines() {
    let mut m = acme_contacts(vec![platform(JAN, "Jan", "Jansen", JAN_ID)]);
    let effects = step(
        &mut m,
        paste("Nina de Boer 06 87654321\nBram Bos +31 6 8765 4322\nhello world\n12\n"),
    );
    let rows: Vec<(&str, Source)> = m
        .contacts
        .rows()
        .iter()
        .map(|r| (r.contact().e164(), r.source))
        .collect();
    assert_eq!(
        rows,
        [
            (JAN, Source::Platform),
            (NEW, Source::Added),
            ("+31687654322", Source::Added)
        ]
    );
    assert_eq!(
        m.contacts.rows()[1].contact().full_name().as_deref(),
        Some("Nina de Boer")
    );
    // Pasted rows are selected; the platform row is not.
    assert!(is_marked(&m, NEW));
    assert!(is_marked(&m, "+31687654322"));
    assert!(!is_marked(&m, JAN));
    // Both bad entries are listed, with their line numbers.
    assert_eq!(m.contacts.problems.len(), 2, "{:?}", m.contacts.problems);
    assert!(m.contacts.problems[0].starts_with("pasted line 3"));
    assert!(m.contacts.problems[0].contains("hello world"));
    assert!(m.contacts.problems[1].starts_with("pasted line 4"));
    let t = m.toast.as_ref().expect("toast");
    assert_eq!(t.level, Level::Warn);
    assert_eq!(
        t.text,
        "pasted: 2 contact(s) added, 2 line(s) not added (listed below)"
    );
    // The new rows are looked up.
    match one(effects) {
        Effect::LookUp { org, targets, .. } => {
            assert_eq!(org.id, HOLDING);
            assert_eq!(e164s(&targets), [NEW, "+31687654322"]);
        }
        e => panic!("unexpected {e:?}"),
    }
}

#[test]
fn pasting_a_known_number_updates_it_instead_of_adding() {
    let mut m = contacts_model();
    let before = m.contacts.rows().len();
    step(&mut m, paste(&format!("{JAN}\n")));
    assert_eq!(m.contacts.rows().len(), before);
    assert!(is_marked(&m, JAN));
    assert_eq!(
        m.toast.as_ref().map(|t| t.text.as_str()),
        Some("pasted: 0 contact(s) added")
    );
}

#[test]
fn paste_elsewhere_is_ignored() {
    let mut m = signed_in();
    assert!(step(&mut m, paste("0612345678")).is_empty());
    assert!(m.overlay.is_none());
    assert_eq!(m.screen, Screen::Orgs);
}

#[test]
fn select_and_review_the_marked_contacts() {
    let mut m = contacts_model();
    // Marked in the fixture: Jan and Nina. Unmark Jan (row 0), mark Piet (row 1).
    assert!(step(&mut m, ch(' ')).is_empty());
    assert!(!is_marked(&m, JAN));
    assert_eq!(m.contacts.nav.selected, 1, "space moves down");
    step(&mut m, ch(' '));
    assert!(is_marked(&m, "+31612345679"));
    let effects = step(&mut m, ch('r'));
    assert_eq!(
        look_up_of(&effects).map(|(_, t, _)| t),
        Some(vec!["+31612345679", NEW])
    );
    assert_eq!(m.screen, Screen::Confirm);
    assert_eq!(m.back, [Screen::Orgs, Screen::Contacts]);
    assert_eq!(e164s(&m.confirm.targets), ["+31612345679", NEW]);
    press(&mut m, KeyCode::Esc);
    assert_eq!(m.screen, Screen::Contacts);
}

#[test]
fn select_all_toggles_and_review_without_marks_takes_the_highlighted_row() {
    let mut m = contacts_model();
    step(&mut m, ch('A'));
    assert_eq!(m.contacts.marked_count(), m.contacts.rows().len());
    step(&mut m, ch('A'));
    assert!(m.contacts.marked_count() == 0);
    press(&mut m, KeyCode::Down);
    step(&mut m, ch('r'));
    assert_eq!(m.screen, Screen::Confirm);
    assert_eq!(e164s(&m.confirm.targets), ["+31612345679"]);
    // No rows at all: a hint instead.
    let mut e = acme_contacts(vec![]);
    assert!(step(&mut e, ch('r')).is_empty());
    assert_eq!(e.screen, Screen::Contacts);
    assert_eq!(e.toast.as_ref().map(|t| t.level), Some(Level::Warn));
}

#[test]
fn add_edit_and_remove_contacts() {
    let mut m = contacts_model();
    let n = m.contacts.rows().len();
    step(&mut m, ch('a'));
    assert_eq!(prompt_of(&m).kind, PromptKind::AddContact);
    type_text(&mut m, "06 87654329 Bram Bos bram@example.nl");
    let effects = press(&mut m, KeyCode::Enter);
    assert!(matches!(one(effects), Effect::LookUp { .. }));
    assert!(m.overlay.is_none());
    assert_eq!(m.contacts.rows().len(), n + 1);
    let added = m.contacts.rows().last().expect("row");
    assert_eq!(added.contact().e164(), "+31687654329");
    assert_eq!(added.contact().full_name().as_deref(), Some("Bram Bos"));
    assert_eq!(added.contact().email(), Some("bram@example.nl"));
    assert_eq!(added.source, Source::Added);
    assert!(is_marked(&m, "+31687654329"));
    // Two numbers at once are refused in the prompt.
    step(&mut m, ch('a'));
    type_text(&mut m, "0687654330, 0687654331");
    assert!(press(&mut m, KeyCode::Enter).is_empty());
    assert!(
        prompt_of(&m)
            .error
            .as_deref()
            .is_some_and(|e| e.contains("one contact"))
    );
    press(&mut m, KeyCode::Esc);
    // Edit the last row.
    press(&mut m, KeyCode::End);
    step(&mut m, ch('e'));
    let p = prompt_of(&m);
    assert_eq!(p.kind, PromptKind::EditContact(n));
    assert_eq!(p.input.value(), "+31687654329 Bram Bos bram@example.nl");
    step(&mut m, ctrl('u'));
    type_text(&mut m, "0687654339 Bram");
    press(&mut m, KeyCode::Enter);
    let edited = &m.contacts.rows()[n];
    assert_eq!(edited.contact().e164(), "+31687654339");
    assert!(is_marked(&m, "+31687654339"));
    assert!(!is_marked(&m, "+31687654329"));
    // Remove it; a platform row is only unselected.
    step(&mut m, ch('d'));
    assert_eq!(m.contacts.rows().len(), n);
    assert!(!is_marked(&m, "+31687654339"));
    assert_eq!(m.contacts.nav.selected, n - 1, "selection clamped");
    press(&mut m, KeyCode::Home);
    step(&mut m, ch('d'));
    assert_eq!(m.contacts.rows().len(), n);
    assert!(!is_marked(&m, JAN));
    assert_eq!(m.toast.as_ref().map(|t| t.level), Some(Level::Info));
}

#[test]
fn contact_filter_and_import_prompt() {
    let mut m = contacts_model();
    step(&mut m, ch('/'));
    type_text(&mut m, "visser");
    assert_eq!(m.visible_contacts().len(), 2);
    press(&mut m, KeyCode::Enter);
    press(&mut m, KeyCode::Esc);
    assert_eq!(m.visible_contacts().len(), m.contacts.rows().len());
    assert_eq!(
        m.screen,
        Screen::Contacts,
        "first esc only clears the filter"
    );
    step(&mut m, ch('I'));
    assert_eq!(prompt_of(&m).kind, PromptKind::ImportPath);
    assert!(press(&mut m, KeyCode::Enter).is_empty());
    assert!(prompt_of(&m).error.is_some(), "an empty path is refused");
    type_text(&mut m, "/tmp/list.csv");
    match one(press(&mut m, KeyCode::Enter)) {
        Effect::Import { path, region } => {
            assert_eq!(path, std::path::PathBuf::from("/tmp/list.csv"));
            assert_eq!(region.as_deref(), Some("NL"));
        }
        e => panic!("unexpected {e:?}"),
    }
    press(&mut m, KeyCode::Esc);
    assert_eq!(m.screen, Screen::Orgs);
}

/// The update filters the rows once per message and keeps the result in the model, so the
/// frame drawn after a key press does not filter 100,000 rows again.
#[test]
fn the_filtered_rows_are_kept_by_the_update_for_the_frame() {
    let mut m = contacts_model();
    step(&mut m, ch('/'));
    type_text(&mut m, "visser");
    assert!(m.contacts.matches_remembered());
    let kept = m.visible_contacts();
    assert_eq!(kept.len(), 2);
    // A change to the rows drops them; the update that made it filters again.
    step(
        &mut m,
        Msg::LookedUp {
            org: HOLDING.into(),
            lookups: vec![Lookup {
                e164: SHARED.into(),
                ..Lookup::default()
            }],
        },
    );
    assert!(m.contacts.matches_remembered());
    assert_eq!(m.visible_contacts(), kept);
    // Set from outside the update, the filter is answered afresh until the next message.
    m.contacts.nav.filter = tui_input::Input::new("jansen".into());
    assert!(!m.contacts.matches_remembered());
    assert_eq!(m.visible_contacts().len(), 1);
    step(&mut m, Msg::Tick(day()));
    assert!(m.contacts.matches_remembered());
}

#[test]
fn a_shared_number_is_one_target_in_a_batch() {
    // Mark and Eva Visser share a number: the platform lists two contacts for it.
    let mut m = acme_contacts(vec![
        platform(SHARED, "Mark", "Visser", MARK_ID),
        platform(SHARED, "Eva", "Visser", EVA_ID),
    ]);
    step(&mut m, ch(' '));
    step(&mut m, ch('r'));
    assert_eq!(m.screen, Screen::Confirm);
    // Only Mark is selected, and his row names him, so the engine can tell the two apart.
    assert_eq!(e164s(&m.confirm.targets), [SHARED]);
    assert_eq!(m.confirm.targets[0].contact_id.as_deref(), Some(MARK_ID));
    // Pasting the shared number adds a row of its own (it names nobody) and selects only it.
    let mut m2 = acme_contacts(vec![
        platform(SHARED, "Mark", "Visser", MARK_ID),
        platform(SHARED, "Eva", "Visser", EVA_ID),
    ]);
    step(&mut m2, paste("06 12345680"));
    assert_eq!(m2.contacts.rows().len(), 3);
    assert_eq!(m2.contacts.rows()[2].source, Source::Added);
    assert_eq!(m2.contacts.marked_count(), 1);
    step(&mut m2, ch('r'));
    assert_eq!(e164s(&m2.confirm.targets), [SHARED]);
    assert_eq!(m2.confirm.targets[0].contact_id, None);
}

// ---------------------------------------------------------------- after the send

#[test]
fn retry_continues_the_same_run_through_the_confirm_screen() {
    let mut m = done_model();
    // The run's journal tells the contacts as they were sent.
    assert!(matches!(
        one(step(&mut m, ch('r'))),
        Effect::OpenRun { run, retry: true } if run == RUN_ID
    ));
    let effects = step(
        &mut m,
        Msg::RunOpened {
            result: Ok((stored_done_run(), acme())),
            retry: true,
        },
    );
    let want = [NEW, "+31612345679", "+31687654323"];
    assert_eq!(
        m.screen,
        Screen::Confirm,
        "a retry passes the gate like any send"
    );
    assert_eq!(m.confirm.resume.as_deref(), Some(RUN_ID));
    assert_eq!(e164s(&m.confirm.targets), want);
    assert!(assesses(&effects));
    // Esc goes back to the run, unchanged.
    let mut back = m.clone();
    press(&mut back, KeyCode::Esc);
    assert_eq!(back.screen, Screen::Sending);
    assert_eq!(back.mode(), Mode::Done);
    step(
        &mut m,
        Msg::Assessed {
            org: HOLDING.into(),
            report: report(true),
        },
    );
    match one(step(&mut m, ch('s'))) {
        Effect::StartSend {
            org,
            targets,
            resume,
            ..
        } => {
            assert_eq!(org.id, HOLDING);
            assert_eq!(e164s(&targets), want);
            assert_eq!(resume.as_deref(), Some(RUN_ID));
        }
        e => panic!("unexpected {e:?}"),
    }
    assert_eq!(m.screen, Screen::Sending);
    assert_eq!(m.mode(), Mode::Sending);
    // The whole batch stays on screen: the sent and skipped rows keep their state.
    let s = m.sending.as_ref().expect("sending");
    assert_eq!(s.rows().len(), 6);
    assert_eq!(s.count(State::Sent), 2);
    assert_eq!(s.count(State::Skipped), 1);
    assert!(s.finished.is_none());
    // esc on the finished retry goes back where the batch came from, not to a stale confirm.
    step(
        &mut m,
        Msg::Engine(EngineEvent::Finished(Summary::default())),
    );
    press(&mut m, KeyCode::Esc);
    assert_eq!(m.screen, Screen::Contacts);
}

#[test]
fn retry_with_nothing_failed_says_so() {
    let mut m = done_model();
    let s = m.sending.as_mut().expect("sending");
    s.edit_rows(|u| {
        if !matches!(u.state(), State::Skipped) {
            u.state = Some(State::Sent);
        }
    });
    assert!(step(&mut m, ch('r')).is_empty());
    assert_eq!(m.mode(), Mode::Done);
    assert!(
        m.toast
            .as_ref()
            .is_some_and(|t| t.text.starts_with("nothing to retry"))
    );
}

#[test]
fn r_while_sending_does_not_retry() {
    let mut m = sending_model();
    assert!(step(&mut m, ch('r')).is_empty());
    assert!(m.sending.as_ref().is_some_and(|s| s.rows().len() == 6));
}

#[test]
fn export_prompt_writes_the_rows() {
    let mut m = done_model();
    assert!(step(&mut m, ch('e')).is_empty());
    let p = prompt_of(&m);
    assert_eq!(p.kind, PromptKind::ExportPath);
    assert_eq!(p.input.value(), format!("sms-invite-{RUN_ID}.csv"));
    match one(press(&mut m, KeyCode::Enter)) {
        Effect::Export {
            path,
            run_id,
            rows,
            follow,
        } => {
            assert_eq!(
                path,
                std::path::PathBuf::from(format!("sms-invite-{RUN_ID}.csv"))
            );
            assert_eq!(run_id, RUN_ID);
            assert_eq!(rows.len(), 6);
            assert_eq!(rows[1].state(), State::Failed);
            assert_eq!(follow, vec![None; 6], "nothing of this run was followed");
        }
        e => panic!("unexpected {e:?}"),
    }
    assert!(m.overlay.is_none());
    step(&mut m, Msg::Exported(Ok("/tmp/x.csv".into())));
    assert_eq!(
        m.toast.as_ref().map(|t| t.text.as_str()),
        Some("results written to /tmp/x.csv")
    );
    step(&mut m, Msg::Exported(Err("cannot write /nope".into())));
    assert_eq!(m.toast.as_ref().map(|t| t.level), Some(Level::Error));
    // An emptied file name is refused.
    step(&mut m, ch('e'));
    step(&mut m, ctrl('u'));
    assert!(press(&mut m, KeyCode::Enter).is_empty());
    assert_eq!(prompt_of(&m).error.as_deref(), Some("give a file name"));
}

#[test]
fn copy_puts_a_markdown_summary_with_the_failures() {
    let mut m = done_model();
    let text = match one(step(&mut m, ch('y'))) {
        Effect::Copy(text) => text,
        e => panic!("unexpected {e:?}"),
    };
    assert!(text.starts_with(&format!(
        "**SMS invitations** — Acme Holding (run {RUN_ID})"
    )));
    assert!(
        text.contains("Done: 6 contact(s): 2 sent, 1 skipped, 1 failed, 1 unknown, 1 not started")
    );
    assert!(text.contains("| number | name | result | detail |\n|---|---|---|---|\n"));
    assert!(
        text.contains(&format!("| {NEW} | Nina | failed | {FAIL_REASON} |")),
        "{text}"
    );
    assert!(text.contains("| +31612345679 | Piet Pieters | unknown | the answer was lost"));
    assert!(text.contains(&format!(
        "| {JAN} | Jan Jansen | sent | conversation {JAN_CONV} |"
    )));
    assert_eq!(text.lines().filter(|l| l.starts_with("| +")).count(), 6);
    assert_eq!(text, m.sending.as_ref().expect("sending").ticket_summary());
    step(&mut m, Msg::Copied(Ok(text.len())));
    assert!(
        m.toast
            .as_ref()
            .is_some_and(|t| t.level == Level::Ok && t.text.contains("summary copied"))
    );
}

#[test]
fn pipes_in_reasons_do_not_break_the_markdown_table() {
    let mut m = done_model();
    m.sending.as_mut().expect("sending").edit_rows(|u| {
        if u.index == 1 {
            u.reason = Some("a | b".into());
        }
    });
    let text = m.sending.as_ref().expect("sending").ticket_summary();
    assert!(text.contains("| failed | a / b |"));
}

// ---------------------------------------------------------------- following

/// The row of `e164` as the screen draws it.
fn screen_row<'a>(screen: &'a str, e164: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(e164))
        .unwrap_or_else(|| panic!("no row for {e164}:\n{screen}"))
}

/// The screen's two lines about following, trimmed and joined with " / ": how many came back
/// (the first such line: a toast may say it again), then whether following goes on.
fn follow_line(screen: &str) -> String {
    let lines: Vec<&str> = screen.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains(" of ") && l.contains(" came back"))
        .unwrap_or_else(|| panic!("no follow line:\n{screen}"));
    format!("{} / {}", lines[at].trim(), lines[at + 1].trim())
}

/// A send under way whose first three contacts the engine reports sent (into a conversation,
/// with their invite id), so they are followed.
fn sent_three() -> Model {
    let mut m = started_model();
    step(
        &mut m,
        Msg::Engine(EngineEvent::Started {
            run_id: RUN_ID.into(),
            org_id: HOLDING.into(),
            org_name: "Acme Holding".into(),
            total: 6,
            dry_run: false,
        }),
    );
    for (i, t) in batch().iter().enumerate().take(3) {
        let mut u = update_row(i, t, State::Sent, None, Some(&format!("conv-{i}")));
        u.invite_id = Some(format!("invite-{i}"));
        step(&mut m, Msg::Engine(EngineEvent::Contact(Box::new(u))));
    }
    step(&mut m, Msg::FollowStarted { run: RUN_ID.into() });
    m
}

#[test]
fn a_follow_update_turns_a_sent_row_into_came_back_and_the_counts_follow() {
    let mut m = sent_three();
    let before = render_text(&m, 100, 30);
    assert!(
        follow_line(&before).contains("0 of 3 came back; 3 no answer yet / following"),
        "{before}"
    );
    assert!(
        screen_row(&before, JAN).contains("no answer yet"),
        "{before}"
    );
    // A look finds Jan back through the landing page, 4 minutes after the invitation.
    step(&mut m, follow(came_back(0, Via::Link, 240)));
    step(
        &mut m,
        follow(FollowEvent::Polled {
            requests: 1,
            next_in: Duration::from_secs(15),
        }),
    );
    let after = render_text(&m, 100, 30);
    assert!(
        screen_row(&after, JAN).contains("↩ came back via the link after 4 min"),
        "{after}"
    );
    assert!(
        screen_row(&after, JAN).contains("✓ sent"),
        "the send's state stays"
    );
    assert!(
        follow_line(&after).contains(
            "↩ 1 of 3 came back, median 4 min; 2 no answer yet / following: next look in 15 s"
        ),
        "{after}"
    );
    // The same sign again (a page read twice) changes nothing; a sign for another run, or
    // for a run no longer on screen, is dropped.
    step(&mut m, follow(came_back(0, Via::Sms, 300)));
    step(
        &mut m,
        Msg::Follow {
            run: "run-other".into(),
            event: came_back(1, Via::Sms, 60),
        },
    );
    let s = m.sending.as_ref().expect("sending");
    assert_eq!(
        (s.follow.summary().came_back, s.follow.summary().via_link),
        (1, 1)
    );
    // Enter on Jan's row says it in full.
    m.sending.as_mut().expect("sending").selected = 0;
    press(&mut m, KeyCode::Enter);
    match &m.overlay {
        Some(Overlay::Detail { lines, .. }) => assert!(
            lines
                .iter()
                .any(|l| l == "afterwards   came back via the link after 4 min"),
            "{lines:?}"
        ),
        other => panic!("expected the detail pane, got {other:?}"),
    }
    m.overlay = None;
    // Everyone back: following ends and says so.
    step(&mut m, follow(came_back(1, Via::Sms, 60)));
    step(&mut m, follow(came_back(2, Via::Other, 30)));
    let mut summary = m.sending.as_ref().expect("sending").follow.summary();
    summary.ending = Some(Ending::EveryoneBack);
    step(&mut m, follow(FollowEvent::Ended(summary)));
    let toast = m.toast.as_ref().expect("a toast");
    assert_eq!(toast.level, Level::Ok);
    assert_eq!(
        toast.text,
        format!("run {RUN_ID}: 3 of 3 came back, median 1 min")
    );
    let end = render_text(&m, 100, 30);
    assert!(
        follow_line(&end)
            .contains("3 of 3 came back, median 1 min / everyone came back; following ended"),
        "{end}"
    );
}

#[test]
fn rows_not_sent_are_not_followed_and_nothing_is_said_before_a_send() {
    let m = sent_three();
    let s = m.sending.as_ref().expect("sending");
    // Queued rows, and a sent row the engine gave no invite id, wait for nothing.
    assert_eq!(s.follow.outcome(3), None);
    let mut plain = started_model();
    let t = batch();
    step(
        &mut plain,
        Msg::Engine(EngineEvent::Contact(Box::new(update_row(
            0,
            &t[0],
            State::Sent,
            None,
            Some("conv-0"),
        )))),
    );
    assert!(!plain.sending.as_ref().expect("sending").follow.any());
    let screen = render_text(&plain, 100, 30);
    assert!(!screen.contains("came back"), "{screen}");
}

#[test]
fn a_platform_problem_is_shown_as_written_and_cannot_act_on_the_terminal() {
    let mut m = sent_three();
    let text = "SMS to +316 not delivered\u{1b}[2J\u{1b}]52;c;aGFja2Vk\u{7}\u{202e}(carrier)";
    step(&mut m, follow(problem(1, text)));
    let s = m.sending.as_ref().expect("sending");
    assert_eq!(
        s.follow.outcome(1),
        Some(Outcome::Problem { text: text.into() }),
        "kept as the platform wrote it"
    );
    assert_eq!(s.follow.summary().problems, 1);
    let screen = render_text(&m, 140, 30);
    let bad: Vec<char> = screen
        .chars()
        .filter(|&c| sms_invite::safe_text::needs_escape(c) && c != '\n')
        .collect();
    assert!(bad.is_empty(), "{bad:?} reached the screen:\n{screen}");
    assert!(
        screen_row(&screen, NEW).contains(
            r"! platform: SMS to +316 not delivered\x1b[2J\x1b]52;c;aGFja2Vk\x07\u{202e}"
        ),
        "{screen}"
    );
    assert!(
        follow_line(&screen)
            .contains("0 of 3 came back; 1 with a problem reported; 2 no answer yet"),
        "{screen}"
    );
    // The detail pane keeps the text too, escaped when drawn.
    m.sending.as_mut().expect("sending").selected = 1;
    press(&mut m, KeyCode::Enter);
    let pane = render_text(&m, 140, 30);
    assert!(
        pane.contains(r"afterwards   platform: SMS to +316 not delivered\x1b[2J"),
        "{pane}"
    );
    assert!(
        !pane
            .chars()
            .any(|c| sms_invite::safe_text::needs_escape(c) && c != '\n'),
        "{pane}"
    );
}

#[test]
fn a_look_that_fails_says_so_until_a_look_goes_through() {
    let mut m = sent_three();
    let trouble =
        "following the conversations: 503 Service temporarily unavailable (try again later)";
    step(&mut m, follow(FollowEvent::Trouble(trouble.into())));
    let polled = || {
        follow(FollowEvent::Polled {
            requests: 2,
            next_in: Duration::from_secs(3),
        })
    };
    step(&mut m, polled());
    let screen = render_text(&m, 160, 30);
    assert!(
        follow_line(&screen).contains(&format!("following: next look in 3 s · ! {trouble}")),
        "the look that had trouble says so: {screen}"
    );
    step(&mut m, polled());
    let screen = render_text(&m, 160, 30);
    assert!(!screen.contains("503"), "a clean look clears it: {screen}");
    // Cancelled (a retry starts its own follower, or the app quits): no longer following.
    let mut summary = m.sending.as_ref().expect("sending").follow.summary();
    summary.ending = Some(Ending::Cancelled);
    step(&mut m, follow(FollowEvent::Ended(summary)));
    assert_eq!(
        m.sending.as_ref().expect("sending").follow.status,
        Following::Ended(Ending::Cancelled)
    );
    assert!(follow_line(&render_text(&m, 100, 30)).ends_with(" / following stopped"));
}

/// A journalled run in which Jan came back by SMS after 90 s and +31687654322 is still silent.
fn followed_stored_run() -> sms_invite::invite::journal::StoredRun {
    let mut run = stored_done_run();
    for c in &mut run.contacts {
        if c.state == State::Sent {
            c.conversation = Some(format!("conv-{}", c.index));
        }
    }
    run.contacts[0].signs = vec![(
        Sign::CameBack {
            via: Via::Sms,
            at: day(),
            message: "m-jan".into(),
        },
        Duration::from_secs(90),
    )];
    run
}

#[test]
fn a_run_opened_from_the_runs_screen_shows_its_journalled_follow_state() {
    let mut m = signed_in();
    step(&mut m, ch('R'));
    assert_eq!(m.screen, Screen::Runs);
    step(
        &mut m,
        Msg::RunsLoaded(vec![sms_invite::invite::journal::RunListing {
            run: followed_stored_run(),
            modified: None,
        }]),
    );
    assert_eq!(m.runs.rows[0].follow.came_back, 1);
    assert_eq!(m.runs.rows[0].follow.followed, 2);
    let list = render_text(&m, 100, 20);
    let row = screen_row(&list, RUN_ID);
    assert!(row.contains("1 of 2"), "{list}");
    assert!(list.contains("BACK"), "{list}");
    assert!(matches!(
        one(press(&mut m, KeyCode::Enter)),
        Effect::OpenRun { run, retry: false } if run == RUN_ID
    ));
    step(
        &mut m,
        Msg::RunOpened {
            result: Ok((followed_stored_run(), acme())),
            retry: false,
        },
    );
    assert_eq!(m.screen, Screen::Sending);
    let s = m.sending.as_ref().expect("sending");
    assert_eq!(s.follow.status, Following::Off);
    assert_eq!(
        s.follow.outcome(0),
        Some(Outcome::CameBack {
            via: Via::Sms,
            after: Duration::from_secs(90)
        })
    );
    let screen = render_text(&m, 100, 30);
    assert!(
        screen_row(&screen, JAN).contains("↩ came back by SMS after 1 min"),
        "{screen}"
    );
    assert!(
        screen_row(&screen, "+31687654322").contains("no answer yet"),
        "{screen}"
    );
    assert!(
        follow_line(&screen).contains(
            "1 of 2 came back, median 1 min; 1 no answer yet / as journalled; not followed now"
        ),
        "{screen}"
    );
}

#[test]
fn reopening_the_run_this_session_follows_keeps_saying_it_follows() {
    let mut m = followed_done_model();
    step(
        &mut m,
        Msg::RunOpened {
            result: Ok((followed_stored_run(), acme())),
            retry: false,
        },
    );
    let s = m.sending.as_ref().expect("sending");
    assert_eq!(
        s.follow.status,
        Following::On {
            next_in: Some(Duration::from_secs(15))
        }
    );
}

#[test]
fn the_export_and_the_ticket_carry_what_following_saw() {
    let mut m = followed_done_model();
    step(&mut m, ch('e'));
    match one(press(&mut m, KeyCode::Enter)) {
        Effect::Export { rows, follow, .. } => {
            assert_eq!(follow.len(), rows.len());
            assert_eq!(
                follow[0],
                Some(Outcome::CameBack {
                    via: Via::Link,
                    after: Duration::from_secs(240)
                })
            );
            assert_eq!(
                follow[4],
                Some(Outcome::Problem {
                    text: UNDELIVERED.into()
                })
            );
            assert_eq!(follow[5], Some(Outcome::NoAnswer));
            assert_eq!(follow[1], None, "a failed row was not followed");
        }
        e => panic!("unexpected {e:?}"),
    }
    let text = match one(step(&mut m, ch('y'))) {
        Effect::Copy(text) => text,
        e => panic!("unexpected {e:?}"),
    };
    assert!(
        text.contains(
            "**Afterwards**: 1 of 3 came back, median 4 min; 1 with a problem reported; 1 no answer yet (following: next look in 15 s)"
        ),
        "{text}"
    );
    assert!(
        text.contains("| number | name | result | detail | afterwards |\n|---|---|---|---|---|\n")
    );
    assert!(
        text.contains(&format!(
            "| {JAN} | Jan Jansen | sent | conversation {} | came back via the link after 4 min |",
            m.sending.as_ref().expect("sending").rows()[0]
                .update
                .conversation
                .clone()
                .unwrap_or_default()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(" | platform: {UNDELIVERED} |\n")),
        "{text}"
    );
    assert!(text.contains(" | no answer yet |\n"), "{text}");
    // A pipe or a line break in the platform's text stays inside its cell.
    step(&mut m, follow(problem(5, "a | b\nc")));
    let text = m.sending.as_ref().expect("sending").ticket_summary();
    assert!(
        text.lines()
            .any(|l| l.starts_with("| +31687654323 |") && l.ends_with("| platform: a / b c |")),
        "{text}"
    );
}

#[test]
fn the_demo_says_where_to_play_the_customer() {
    let mut m = followed_done_model();
    let page = "Play the customer: http://127.0.0.1:9/__sandbox/phone";
    assert!(!render_text(&m, 100, 30).contains("Play the customer"));
    if let Some(s) = m.session.as_mut() {
        s.demo = true;
        s.api_url = "http://127.0.0.1:9/".into();
    }
    assert!(render_text(&m, 100, 30).contains(page));
    step(&mut m, ch('?'));
    let help = render_text(&m, 100, 30);
    assert!(help.contains(page), "{help}");
    // Not in a real session's help.
    let mut real = followed_done_model();
    step(&mut real, ch('?'));
    assert!(!render_text(&real, 100, 30).contains("Play the customer"));
}

// ---------------------------------------------------------------- template

fn template_model() -> Model {
    let mut m = contacts_model();
    step(&mut m, ch('t'));
    assert_eq!(m.screen, Screen::Template);
    m
}

fn edit_field(m: &mut Model, name: &str, value: &str) -> Vec<Effect> {
    let field = TemplateField::all()
        .find(|f| f.name() == name)
        .expect("field");
    press(m, KeyCode::Home);
    for _ in 0..field.index() {
        press(m, KeyCode::Down);
    }
    assert_eq!(m.template.field, field);
    press(m, KeyCode::Enter);
    assert_eq!(prompt_of(m).kind, PromptKind::TemplateField(field));
    step(m, ctrl('u'));
    type_text(m, value);
    press(m, KeyCode::Enter)
}

#[test]
fn template_delay_edits_are_checked() {
    let mut m = template_model();
    assert!(edit_field(&mut m, "welcome_delay_ms", "abc").is_empty());
    let p = prompt_of(&m);
    assert_eq!(
        p.error.as_deref(),
        Some("welcome_delay_ms must be a whole number of milliseconds")
    );
    assert_eq!(m.template.template.welcome_delay_ms, 1000);
    assert!(!m.template.modified);
    press(&mut m, KeyCode::Esc);
    assert!(edit_field(&mut m, "welcome_delay_ms", "2000").is_empty());
    assert!(m.overlay.is_none());
    assert_eq!(m.template.template.welcome_delay_ms, 2000);
    assert!(m.template.modified);
}

#[test]
fn template_field_prompt_starts_with_the_current_value() {
    let mut m = template_model();
    for _ in 0..7 {
        press(&mut m, KeyCode::Down);
    }
    assert_eq!(m.template.field, TemplateField::WelcomeDelayMs);
    press(&mut m, KeyCode::Enter);
    assert_eq!(prompt_of(&m).input.value(), "1000");
    // Navigation clamps at the last field.
    press(&mut m, KeyCode::Esc);
    press(&mut m, KeyCode::End);
    press(&mut m, KeyCode::Down);
    assert_eq!(Some(m.template.field), TemplateField::all().last());
}

#[test]
fn template_flags_text_and_country_edits() {
    let mut m = template_model();
    assert!(edit_field(&mut m, "send_accept", "maybe").is_empty());
    assert_eq!(
        prompt_of(&m).error.as_deref(),
        Some("send_accept must be true or false")
    );
    press(&mut m, KeyCode::Esc);
    edit_field(&mut m, "send_accept", "no");
    assert!(!m.template.template.send_accept);
    edit_field(&mut m, "link_label", "link:\\nhere");
    assert_eq!(
        m.template.template.link_label, "link:\nhere",
        "\\n is a new line"
    );
    edit_field(&mut m, "country", " be ");
    assert_eq!(m.template.template.country, "BE");
    edit_field(&mut m, "sender_id", "Acme");
    assert_eq!(m.template.template.sender_id, "Acme");
    assert!(m.template.modified);
}

#[test]
fn template_save_and_review() {
    let mut m = template_model();
    m.template.path = Some("/tmp/sms-invite-test/acme.toml".into());
    edit_field(&mut m, "link_label", "plan:");
    match one(step(&mut m, ctrl('s'))) {
        Effect::SaveTemplate { path, template } => {
            assert_eq!(
                path,
                std::path::PathBuf::from("/tmp/sms-invite-test/acme.toml")
            );
            assert_eq!(template.link_label, "plan:");
        }
        e => panic!("unexpected {e:?}"),
    }
    assert!(matches!(
        one(step(&mut m, ch('w'))),
        Effect::SaveTemplate { .. }
    ));
    step(
        &mut m,
        Msg::TemplateSaved(Ok("/tmp/sms-invite-test/acme.toml".into())),
    );
    assert!(!m.template.modified);
    assert_eq!(m.toast.as_ref().map(|t| t.level), Some(Level::Ok));
    // n reviews the selected contacts.
    assert!(look_up_of(&step(&mut m, ch('n'))).is_some());
    assert_eq!(m.screen, Screen::Confirm);
    assert_eq!(e164s(&m.confirm.targets), [JAN, NEW]);
}

fn open_editor(m: &mut Model, field: &str) -> String {
    let field = TemplateField::all()
        .find(|f| f.name() == field)
        .expect("field");
    press(m, KeyCode::Home);
    for _ in 0..field.index() {
        press(m, KeyCode::Down);
    }
    assert!(press(m, KeyCode::Enter).is_empty());
    assert_eq!(m.mode(), Mode::Editor);
    match &m.overlay {
        Some(Overlay::Editor(ed)) => {
            assert_eq!(
                ed.kind,
                sms_invite::tui::model::EditorKind::TemplateField(field)
            );
            ed.area.lines().join("\n")
        }
        other => panic!("expected the editor, got {other:?}"),
    }
}

#[test]
fn message_texts_open_the_multi_line_editor() {
    let mut m = template_model();
    let shown = open_editor(&mut m, "link_text");
    assert_eq!(shown, template().link_text);
    // Esc cancels: nothing changes.
    press(&mut m, KeyCode::Esc);
    assert!(m.overlay.is_none());
    assert!(!m.template.modified);
    // Letters (q, s) are text; enter is a new line; ctrl-s saves.
    open_editor(&mut m, "link_text");
    type_text(&mut m, "qs");
    press(&mut m, KeyCode::Enter);
    step(&mut m, paste("Plan:"));
    assert!(!m.quit);
    assert!(step(&mut m, ctrl('s')).is_empty());
    assert!(m.overlay.is_none());
    assert!(m.template.modified);
    assert_eq!(
        m.template.template.link_text,
        format!("qs\nPlan:{}", template().link_text)
    );
}

#[test]
fn saving_the_editor_unchanged_keeps_the_text() {
    // The built-in welcome text ends with a new line, which the editor drops; the texts are
    // trimmed when sent and hashed, so saving unchanged keeps the template's identity (its hash
    // keys the cooldown).
    let mut m = template_model();
    let before = m.template.template.clone();
    open_editor(&mut m, "welcome_text");
    step(&mut m, ctrl('s'));
    assert_eq!(
        m.template.template.welcome_text.trim(),
        before.welcome_text.trim()
    );
    assert_eq!(m.template.template.template_hash(), before.template_hash());
}

#[test]
fn tab_without_other_templates_says_how_to_add_one() {
    let mut m = template_model();
    assert!(press(&mut m, KeyCode::Tab).is_empty());
    assert_eq!(m.toast.as_ref().map(|t| t.level), Some(Level::Info));
    // With choices, tab cycles through them.
    let mut other = template();
    other.name = "reminder".into();
    m.template.choices = vec![
        (None, template()),
        (Some("/tmp/reminder.toml".into()), other.clone()),
    ];
    press(&mut m, KeyCode::Tab);
    assert_eq!(m.template.template.name, "reminder");
    assert_eq!(m.template.path, Some("/tmp/reminder.toml".into()));
    press(&mut m, KeyCode::Tab);
    assert_eq!(m.template.template.name, "default");
    assert_eq!(m.template.path, None);
}

// ---------------------------------------------------------------- help, resize, suspend

#[test]
fn help_opens_and_any_key_closes_it_without_acting() {
    let mut m = signed_in();
    assert!(step(&mut m, ch('?')).is_empty());
    assert!(matches!(m.overlay, Some(Overlay::Help { .. })));
    // q closes the help; it does not quit.
    assert!(step(&mut m, ch('q')).is_empty());
    assert!(m.overlay.is_none());
    assert!(!m.quit);
    step(&mut m, ch('?'));
    press(&mut m, KeyCode::Down);
    assert!(m.overlay.is_none());
    assert_eq!(m.orgs.nav.selected, 0, "the closing key is not also a move");
    // In a prompt, ? is text.
    step(&mut m, ch('i'));
    step(&mut m, ch('?'));
    assert_eq!(prompt_of(&m).input.value(), "?");
}

#[test]
fn resize_updates_the_size() {
    let mut m = signed_in();
    assert!(step(&mut m, Msg::Term(Event::Resize(120, 40))).is_empty());
    assert_eq!(m.size, (120, 40));
    step(&mut m, Msg::Term(Event::Resize(20, 5)));
    assert_eq!(m.size, (20, 5));
    assert_eq!(m.screen, Screen::Orgs);
}

#[test]
fn ctrl_z_suspends_and_ticks_move_the_clock() {
    let mut m = signed_in();
    assert!(matches!(one(step(&mut m, ctrl('z'))), Effect::Suspend));
    let later = day() + chrono::Duration::minutes(5);
    assert!(step(&mut m, Msg::Tick(later)).is_empty());
    assert_eq!(m.clock, later);
}

#[test]
fn preselect_sets_the_organization() {
    let mut m = fresh();
    step(&mut m, Msg::Preselect(acme()));
    assert_eq!(m.org.as_ref().map(|o| o.id.as_str()), Some(HOLDING));
}

#[test]
fn an_update_carries_no_stale_toast_across_keys() {
    let mut m = done_model();
    step(&mut m, Msg::Copied(Ok(10)));
    assert!(m.toast.is_some());
    press(&mut m, KeyCode::Down);
    assert!(m.toast.is_none());
}

#[test]
fn updates_do_not_touch_unrelated_rows() {
    // ContactUpdate indexes rows; make sure a update keeps its own name and number.
    let mut m = started_model();
    let u = ContactUpdate {
        index: 2,
        e164: SANNE.into(),
        name: Some("Sanne Bakker".into()),
        state: Some(State::Skipped),
        reason: Some("held".into()),
        ..ContactUpdate::default()
    };
    step(&mut m, Msg::Engine(EngineEvent::Contact(Box::new(u))));
    let s = m.sending.as_ref().expect("sending");
    assert_eq!(s.rows()[2].update.state(), State::Skipped);
    assert_eq!(s.rows()[1].update.state(), State::Queued);
    assert_eq!(s.rows()[1].update.e164, NEW);
}

#[test]
fn a_paste_with_carriage_returns_is_split_into_lines() {
    // tmux and many terminals deliver pasted line breaks as CR.
    let mut m = acme_contacts(vec![]);
    step(
        &mut m,
        paste("Nina de Boer 06 87654321\rBram Bos +31 6 8765 4322\r\nhello\r"),
    );
    let numbers: Vec<&str> = m
        .contacts
        .rows()
        .iter()
        .map(|r| r.contact().e164())
        .collect();
    assert_eq!(numbers, [NEW, "+31687654322"]);
    assert_eq!(m.contacts.problems.len(), 1, "{:?}", m.contacts.problems);
}

/// A big import looks up only the first rows ahead of sending; the others say they are
/// checked at send, and a later addition does not ask again for lookups already on their way.
#[test]
fn lookups_ahead_of_sending_are_capped_and_not_repeated() {
    let cap = sms_invite::tui::update::LOOKUP_AHEAD_MAX;
    let mut m = acme_contacts(vec![]);
    let csv: String = std::iter::once("telephone,givenName".to_string())
        .chain((0..cap + 100).map(|i| format!("+316{:08},N{i}", 20_000_000 + i)))
        .collect::<Vec<_>>()
        .join("\n");
    let report = sms_invite::invite::import::import_csv(&csv, Some("NL")).expect("csv");
    let effects = step(
        &mut m,
        Msg::Imported {
            path: "big.csv".into(),
            result: Ok(report.into()),
        },
    );
    let asked: Vec<Target> = effects
        .iter()
        .find_map(|e| match e {
            Effect::LookUp { targets, .. } => Some(targets.clone()),
            _ => None,
        })
        .expect("a lookup");
    assert_eq!(asked.len(), cap);
    let rows = m.contacts.rows();
    assert!(rows[..cap].iter().all(|r| r.is_looking_up()));
    assert!(rows[cap..].iter().all(|r| !r.is_looking_up()));
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 30)).unwrap();
    term.draw(|f| {
        sms_invite::tui::view::view(
            &m,
            &sms_invite::tui::theme::Theme::dark(),
            &Default::default(),
            f,
        )
    })
    .unwrap();
    let screen: String = term
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(screen.contains("looking up…"), "{screen}");

    // One more contact: only it is asked for.
    step(&mut m, ch('a'));
    let value = "06 87654321 Nina";
    for c in value.chars() {
        step(&mut m, ch(c));
    }
    let effects = step(&mut m, key(KeyCode::Enter));
    let asked_again: Vec<String> = effects
        .iter()
        .find_map(|e| match e {
            Effect::LookUp { targets, .. } => {
                Some(targets.iter().map(|t| t.e164.clone()).collect())
            }
            _ => None,
        })
        .unwrap_or_default();
    assert!(
        !asked_again
            .iter()
            .any(|n| asked.iter().any(|t| &t.e164 == n)),
        "in-flight lookups are not repeated: {asked_again:?}"
    );
    assert!(asked_again.contains(&NEW.to_string()), "{asked_again:?}");

    // The rest of the import (100 rows) and the new contact are asked for.
    assert_eq!(asked_again.len(), 101);
    // The answers end the lookups they answer, and only those.
    let lookups = asked
        .iter()
        .map(|t| Lookup {
            e164: t.e164.clone(),
            found: Some(vec![]),
            ..Lookup::default()
        })
        .collect();
    step(
        &mut m,
        Msg::LookedUp {
            org: HOLDING.into(),
            lookups,
        },
    );
    let rows = m.contacts.rows();
    assert!(
        rows[..cap]
            .iter()
            .all(|r| !r.is_looking_up() && r.lookup().existing() == Some(false))
    );
    assert!(rows[cap].lookup().existing().is_none() && rows[cap].is_looking_up());
}

/// On a short terminal the help scrolls with its own keys, stops at its end, and still
/// closes on any other key; the key that closes it does nothing else.
#[test]
fn help_scrolls_on_a_short_terminal() {
    let mut m = contacts_model();
    step(&mut m, Msg::Term(Event::Resize(80, 12)));
    step(&mut m, ch('?'));
    press(&mut m, KeyCode::Down);
    assert!(matches!(m.overlay, Some(Overlay::Help { scroll: 1 })));
    step(&mut m, ch('j'));
    assert!(matches!(m.overlay, Some(Overlay::Help { scroll: 2 })));
    press(&mut m, KeyCode::End);
    let Some(Overlay::Help { scroll: last }) = m.overlay else {
        panic!("help stays open: {:?}", m.overlay)
    };
    // 27 lines of help for the contacts screen in 10 visible rows.
    assert_eq!(last, 27 - 10);
    press(&mut m, KeyCode::Down);
    assert!(matches!(m.overlay, Some(Overlay::Help { scroll }) if scroll == last));
    let screen = render_text(&m, 80, 12);
    assert!(
        screen.contains("config.toml"),
        "the end is reachable:\n{screen}"
    );
    assert!(screen.contains("scroll"), "the title says how:\n{screen}");
    press(&mut m, KeyCode::Home);
    assert!(matches!(m.overlay, Some(Overlay::Help { scroll: 0 })));
    let marked = m.contacts.marked_count();
    step(&mut m, ch(' '));
    assert!(m.overlay.is_none());
    assert_eq!(
        m.contacts.marked_count(),
        marked,
        "the closing key is not also a toggle"
    );
}

#[test]
fn a_capped_contact_list_warns_once_and_remembers_it() {
    let mut m = on_acme();
    step(&mut m, ch('c'));
    step(
        &mut m,
        Msg::ContactsLoaded {
            org: HOLDING.into(),
            result: Ok(vec![platform(JAN, "Jan", "Jansen", JAN_ID)]),
            capped: Some(5000),
        },
    );
    assert_eq!(m.contacts.platform_capped, Some(5000));
    let toast = m.toast.clone().expect("a warning");
    assert_eq!(toast.level, Level::Warn);
    assert!(toast.text.contains("more than 5000"), "{}", toast.text);
    let screen = render_text(&m, 120, 24);
    assert!(
        screen.contains("only the organization's first 5000 are listed"),
        "{screen}"
    );
}

/// The rate counts the contacts the run worked on; those a cancel left not started do not
/// make it look faster.
#[test]
fn the_rate_leaves_out_contacts_not_started() {
    let mut m = done_model();
    if let Some(f) = m.sending.as_mut().and_then(|s| s.finished.as_mut()) {
        f.elapsed_ms = 1_000;
    }
    let screen = render_text(&m, 100, 30);
    // Six rows, one not started, in one second.
    assert!(screen.contains("5.0/s"), "{screen}");
}

#[test]
fn no_rate_is_shown_for_a_run_under_a_second() {
    let mut m = done_model();
    if let Some(f) = m.sending.as_mut().and_then(|s| s.finished.as_mut()) {
        f.elapsed_ms = 3;
    }
    let screen = render_text(&m, 100, 30);
    assert!(!screen.contains("/s"), "{screen}");
    assert!(screen.contains("0:00"), "{screen}");
}
