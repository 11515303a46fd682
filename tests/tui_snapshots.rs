//! Render snapshots of every screen at 80x24 on a `TestBackend`, style checks where colour
//! carries meaning, and a size sweep that every screen survives.
//!
//! Models are built by hand with a fixed clock and fixed run ids, so the snapshots hold no
//! time, id or path that changes between runs. Review changes with `INSTA_UPDATE=always` and
//! read the `.snap` files; under `CI=true` a mismatch fails.

mod common;
mod tui_common;

use crossterm::event::{Event, KeyCode};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use sms_invite::tui::model::{Lookup, Model, Overlay, Screen};
use sms_invite::tui::msg::Msg;
use sms_invite::tui::theme::Theme;
use sms_invite::tui::view::view;
use tui_common::*;

fn render(m: &Model, theme: &Theme, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    terminal.draw(|f| view(m, theme, &KEYMAP, f)).expect("draw");
    terminal
}

fn draw(m: &Model) -> Terminal<TestBackend> {
    render(m, &Theme::dark(), 80, 24)
}

/// The screen's text with the (machine-dependent) log path of the help overlay replaced.
fn text_without_log_path(t: &Terminal<TestBackend>) -> String {
    buffer_text(t.backend().buffer())
        .lines()
        .map(|line| {
            let Some(at) = line.find("log: ") else {
                return line.to_string();
            };
            let start = at + "log: ".len();
            let end = line[start..].find('│').map_or(line.len(), |e| start + e);
            let width = line[start..end].chars().count();
            format!("{}{:<width$}{}", &line[..start], "<log file>", &line[end..])
        })
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------- the models

fn signin_error() -> Model {
    let mut m = fresh();
    type_text(&mut m, "not-a-jwt");
    press(&mut m, KeyCode::Enter);
    step(
        &mut m,
        Msg::SignedIn(Err(
            "the token is not a JWT (expected three parts separated by dots)".into(),
        )),
    );
    m
}

fn signin_busy() -> Model {
    let mut m = fresh();
    step(&mut m, paste("eyJhbGciOiJIUzI1NiJ9.eyJfaWQiOiJ4In0.c2ln"));
    step(&mut m, ctrl('r'));
    press(&mut m, KeyCode::Enter);
    m
}

fn orgs_filtered() -> Model {
    let mut m = signed_in();
    step(&mut m, ch('/'));
    type_text(&mut m, "acme");
    press(&mut m, KeyCode::Down);
    m
}

fn orgs_loading() -> Model {
    let mut m = fresh();
    step(&mut m, Msg::SignedIn(Ok(session())));
    m
}

fn template_screen() -> Model {
    let mut m = contacts_model();
    step(&mut m, ch('t'));
    for _ in 0..3 {
        press(&mut m, KeyCode::Down);
    }
    m
}

fn confirm_sender_id() -> Model {
    let mut m = confirm_model(day());
    m.template.template.sender_id = "Acme".into();
    m
}

fn confirm_batch() -> Model {
    let mut m = contacts_model();
    step(&mut m, ch('A'));
    step(&mut m, ch('r'));
    let lookups = m
        .contacts
        .rows()
        .iter()
        .map(|r| {
            let l = r.lookup().clone();
            // Both Vissers have the shared number, as the platform's lookup says.
            let found = if r.contact().e164() == SHARED {
                let (mark, _) = platform(SHARED, "Mark", "Visser", MARK_ID);
                let (eva, _) = platform(SHARED, "Eva", "Visser", EVA_ID);
                Some(vec![found(&mark, &[]), found(&eva, &[])])
            } else {
                l.found.clone().or(Some(vec![]))
            };
            Lookup {
                e164: r.contact().e164().to_string(),
                found,
                ..l
            }
        })
        .collect::<Vec<_>>();
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

fn help_overlay() -> Model {
    let mut m = signed_in();
    step(&mut m, ch('?'));
    m
}

fn prompt_overlay() -> Model {
    let mut m = on_acme();
    step(&mut m, ch('i'));
    type_text(&mut m, "06 1234");
    press(&mut m, KeyCode::Enter);
    m
}

fn editor_overlay() -> Model {
    let mut m = template_screen();
    press(&mut m, KeyCode::Home);
    press(&mut m, KeyCode::Enter);
    m
}

fn confirm_cancel() -> Model {
    let mut m = sending_model();
    step(&mut m, ch('x'));
    m
}

fn confirm_quit() -> Model {
    let mut m = sending_model();
    step(&mut m, ctrl('c'));
    m
}

fn type_count() -> Model {
    let mut m = confirm_model(day());
    m.confirm.targets = (0..30)
        .map(|i| target(&format!("+316870000{i:02}"), None, None))
        .collect();
    m.confirm.lookups.clear();
    m.confirm.refresh(m.clock);
    step(&mut m, ch('s'));
    type_text(&mut m, "3");
    m
}

/// Every screen and overlay, by name.
fn all_screens() -> Vec<(&'static str, Model)> {
    vec![
        ("signin_empty", fresh()),
        ("signin_error", signin_error()),
        ("signin_busy", signin_busy()),
        ("orgs_loaded", signed_in()),
        ("orgs_filtered", orgs_filtered()),
        ("orgs_loading", orgs_loading()),
        ("readiness", readiness_model()),
        ("contacts", contacts_model()),
        ("template", template_screen()),
        ("confirm_quiet_hours", confirm_model(night())),
        ("confirm_sender_id", confirm_sender_id()),
        ("confirm_batch", confirm_batch()),
        ("sending", sending_model()),
        ("done", done_model()),
        ("done_followed", followed_done_model()),
        ("help", help_overlay()),
        ("prompt", prompt_overlay()),
        ("editor", editor_overlay()),
        ("confirm_cancel", confirm_cancel()),
        ("confirm_quit", confirm_quit()),
        ("type_count", type_count()),
    ]
}

// ---------------------------------------------------------------- snapshots at 80x24

#[test]
fn signin_empty() {
    insta::assert_snapshot!(draw(&fresh()).backend());
}

#[test]
fn signin_with_error() {
    insta::assert_snapshot!(draw(&signin_error()).backend());
}

#[test]
fn signin_checking() {
    insta::assert_snapshot!(draw(&signin_busy()).backend());
}

#[test]
fn orgs_loaded() {
    insta::assert_snapshot!(draw(&signed_in()).backend());
}

#[test]
fn orgs_filtered_list() {
    insta::assert_snapshot!(draw(&orgs_filtered()).backend());
}

#[test]
fn orgs_while_loading() {
    insta::assert_snapshot!(draw(&orgs_loading()).backend());
}

#[test]
fn readiness_loaded() {
    insta::assert_snapshot!(draw(&readiness_model()).backend());
}

#[test]
fn contacts_with_rows_and_problems() {
    insta::assert_snapshot!(draw(&contacts_model()).backend());
}

#[test]
fn template_fields_and_preview() {
    insta::assert_snapshot!(draw(&template_screen()).backend());
}

#[test]
fn confirm_one_contact_in_quiet_hours() {
    let t = draw(&confirm_model(night()));
    assert!(buffer_text(t.backend().buffer()).contains("Quiet hours"));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn confirm_one_contact_by_day_has_no_quiet_hours_warning() {
    let t = draw(&confirm_model(day()));
    assert!(!buffer_text(t.backend().buffer()).contains("Quiet hours"));
}

#[test]
fn confirm_with_sender_id() {
    let t = draw(&confirm_sender_id());
    assert!(buffer_text(t.backend().buffer()).contains("one-way"));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn confirm_batch_with_warnings() {
    insta::assert_snapshot!(draw(&confirm_batch()).backend());
}

#[test]
fn sending_mid_run_with_a_failure_and_a_rate_limit() {
    let t = draw(&sending_model());
    let text = buffer_text(t.backend().buffer());
    assert!(text.contains("rate limited"), "{text}");
    assert!(text.contains("1 failure(s)"), "{text}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn done_summary() {
    insta::assert_snapshot!(draw(&done_model()).backend());
}

/// The done screen of a followed run at 100x30: one customer back through the link, one SMS
/// the platform could not deliver, one not answered yet, and following still on.
#[test]
fn done_with_mixed_follow_states() {
    let t = render(&followed_done_model(), &Theme::dark(), 100, 30);
    let text = buffer_text(t.backend().buffer());
    assert!(
        text.contains(
            "↩ 1 of 3 came back, median 4 min; 1 with a problem reported; 1 no answer yet"
        ),
        "{text}"
    );
    insta::assert_snapshot!(t.backend());
}

#[test]
fn help_overlay_lists_the_keys() {
    let t = draw(&help_overlay());
    insta::assert_snapshot!(text_without_log_path(&t));
}

#[test]
fn prompt_overlay_with_an_error() {
    insta::assert_snapshot!(draw(&prompt_overlay()).backend());
}

#[test]
fn editor_for_a_message_text() {
    insta::assert_snapshot!(draw(&editor_overlay()).backend());
}

#[test]
fn cancel_question() {
    insta::assert_snapshot!(draw(&confirm_cancel()).backend());
}

#[test]
fn quit_question() {
    insta::assert_snapshot!(draw(&confirm_quit()).backend());
}

#[test]
fn typed_count_prompt() {
    insta::assert_snapshot!(draw(&type_count()).backend());
}

#[test]
fn too_small() {
    insta::assert_snapshot!(render(&signed_in(), &Theme::dark(), 20, 5).backend());
}

#[test]
fn mono_theme_orgs() {
    insta::assert_snapshot!(render(&signed_in(), &Theme::mono(), 80, 24).backend());
}

/// The hint bar: the last row of the screen.
fn hint_bar(t: &Terminal<TestBackend>) -> String {
    buffer_text(t.backend().buffer())
        .lines()
        .last()
        .unwrap_or_default()
        .to_string()
}

#[test]

fn hint_bar_shows_the_screens_own_keys_first() {
    let orgs = hint_bar(&draw(&signed_in()));
    assert!(orgs.contains("i re-invite one number"), "{orgs}");
    assert!(orgs.contains("c pick contacts"), "{orgs}");
    let contacts = hint_bar(&draw(&contacts_model()));
    assert!(contacts.contains("r review & confirm"), "{contacts}");
}

#[test]

fn editor_hint_bar_does_not_offer_letters_that_are_text() {
    let hints = hint_bar(&draw(&editor_overlay()));
    assert!(!hints.contains("q quit"), "{hints}");
    assert!(!hints.contains("? help"), "{hints}");
    assert!(hints.contains("ctrl-s"), "{hints}");
}

#[test]

fn confirm_always_shows_how_to_send_at_80x24() {
    let mut m = confirm_sender_id();
    m.clock = night();
    let text = buffer_text(draw(&m).backend().buffer());
    assert!(text.contains("Nothing has been sent yet"), "{text}");
}

/// The words on screen that name a key say the key the operator configured, not the default.
#[test]
fn the_screens_name_the_configured_keys() {
    let tables = toml::from_str(
        "[confirm]\nsend = \"ctrl-x\"\n[question]\nyes = \"j\"\n[prompt]\nsubmit = \"tab\"\n\
         [contacts]\nadd = \"+\"\n[editor]\nsubmit = \"f2\"\n",
    )
    .expect("toml");
    let km = sms_invite::tui::keymap::Keymap::configured(&tables).expect("keys");
    let screen = |m: &Model| {
        let mut t = Terminal::new(TestBackend::new(100, 30)).expect("terminal");
        t.draw(|f| view(m, &Theme::dark(), &km, f)).expect("draw");
        buffer_text(t.backend().buffer())
    };
    let confirm = screen(&confirm_sender_id());
    assert!(confirm.contains("press ctrl-x to send"), "{confirm}");
    let quit = screen(&confirm_quit());
    assert!(
        quit.contains("j quit · any other key: keep sending"),
        "{quit}"
    );
    let prompt = screen(&prompt_overlay());
    assert!(prompt.contains("tab ok · esc cancel"), "{prompt}");
    let contacts = screen(&contacts_model());
    assert!(contacts.contains("space select · + add"), "{contacts}");
    let editor = screen(&editor_overlay());
    assert!(editor.contains("f2 saves, esc cancels"), "{editor}");
}

// ---------------------------------------------------------------- styles

/// The position of the first cell where `text` starts on screen.
fn find(b: &Buffer, text: &str) -> (u16, u16) {
    let first = text.chars().next().expect("text").to_string();
    for y in 0..b.area.height {
        for x in 0..b.area.width {
            if b[(x, y)].symbol() != first {
                continue;
            }
            let here: String = (x..b.area.width)
                .map(|xx| b[(xx, y)].symbol())
                .collect::<String>();
            if here.starts_with(text) {
                return (x, y);
            }
        }
    }
    panic!("{text:?} not on screen:\n{}", buffer_text(b));
}

fn assert_styled(b: &Buffer, text: &str, style: ratatui::style::Style) {
    let (x, y) = find(b, text);
    for (i, _) in text.chars().enumerate() {
        let cell = &b[(x + i as u16, y)];
        assert_eq!(
            cell.fg,
            style.fg.unwrap_or(Color::Reset),
            "{text:?}: foreground of cell {i}"
        );
        let want = style.add_modifier;
        assert!(
            cell.modifier.contains(want),
            "{text:?}: cell {i} has {:?}, wants {want:?}",
            cell.modifier
        );
    }
}

#[test]
fn status_words_carry_the_theme_colours() {
    let theme = Theme::dark();
    let orgs = draw(&signed_in());
    let b = orgs.backend().buffer();
    assert_styled(b, "✗ not ready", theme.error);
    assert_styled(b, "✓ ready", theme.ok);
    let sending = draw(&done_model());
    let b = sending.backend().buffer();
    assert_styled(b, "✗ failed", theme.error);
    assert_styled(b, "? unknown", theme.error);
    assert_styled(b, "✓ sent", theme.ok);
    assert_styled(b, "– skipped", theme.warn);
    assert_styled(b, "· not started", theme.warn);
    // What following saw has roles of its own.
    let followed = render(&followed_done_model(), &theme, 100, 30);
    let b = followed.backend().buffer();
    assert_styled(b, "↩ came back via the link", theme.came_back);
    assert_styled(b, "! platform: SMS to", theme.problem);
    let readiness = {
        let mut m = readiness_model();
        if let Some(r) = m.readiness.as_mut() {
            r.report = Some(report(false));
        }
        draw(&m)
    };
    assert_styled(readiness.backend().buffer(), "✗ NOT READY", theme.error);
    // The selected row (the first organization, not ready) is highlighted with the selection
    // background.
    let (_, y) = find(orgs.backend().buffer(), "✗ not ready");
    assert_eq!(
        orgs.backend().buffer()[(1, y)].bg,
        theme.selection.bg.expect("selection background")
    );
}

#[test]
fn light_theme_uses_its_own_error_colour() {
    let theme = Theme::light();
    let t = render(&signed_in(), &theme, 80, 24);
    assert_styled(t.backend().buffer(), "✗ not ready", theme.error);
}

#[test]
fn mono_theme_has_no_colours_anywhere() {
    let theme = Theme::mono();
    for (name, m) in all_screens() {
        let t = render(&m, &theme, 80, 24);
        for cell in t.backend().buffer().content() {
            assert_eq!(
                (cell.fg, cell.bg),
                (Color::Reset, Color::Reset),
                "{name}: a coloured cell {:?}",
                cell.symbol()
            );
        }
    }
    // Meaning survives without colour: the error word is bold and the selection reversed.
    let t = render(&signed_in(), &theme, 80, 24);
    let b = t.backend().buffer();
    let (x, y) = find(b, "✗ not ready");
    assert!(b[(x, y)].modifier.contains(Modifier::BOLD));
    assert!(b[(1, y)].modifier.contains(Modifier::REVERSED));
}

#[test]
fn orgs_styles_snapshot() {
    // Debug output of the buffer records foreground, background and modifiers per run.
    let t = render(&signed_in(), &Theme::dark(), 60, 12);
    insta::assert_debug_snapshot!(t.backend().buffer());
}

// ---------------------------------------------------------------- size sweep

#[test]
fn every_screen_renders_at_every_size() {
    let sizes = [
        (20, 5),
        (40, 10),
        (60, 15),
        (80, 24),
        (120, 40),
        (200, 60),
        (1, 1),
        (39, 9),
        (40, 9),
        (39, 10),
        (255, 3),
        (3, 120),
    ];
    for (name, m) in all_screens() {
        for theme in [Theme::dark(), Theme::light(), Theme::mono()] {
            for (w, h) in sizes {
                let mut m = m.clone();
                m.size = (w, h);
                let t = render(&m, &theme, w, h);
                let text = buffer_text(t.backend().buffer());
                if w < 40 || h < 10 {
                    assert!(
                        text.contains("Terminal") || w < 20 || h < 2,
                        "{name} at {w}x{h}: no too-small notice:\n{text}"
                    );
                }
            }
        }
    }
}

#[test]
fn resize_messages_and_redraws_agree() {
    // A model told about a resize still renders at the new size.
    let mut m = sending_model();
    for (w, h) in [(20, 5), (200, 60), (80, 24)] {
        step(&mut m, Msg::Term(Event::Resize(w, h)));
        assert_eq!(m.size, (w, h));
        render(&m, &Theme::dark(), w, h);
    }
    assert_eq!(m.screen, Screen::Sending);
    assert!(!matches!(m.overlay, Some(Overlay::Help { .. })));
}

#[test]
fn long_values_are_clipped_not_wrapped_into_other_rows() {
    let mut m = contacts_model();
    let long = "A".repeat(200);
    let first = m.contacts.rows()[0].contact().clone();
    let renamed = contact_with_id(first.e164(), Some(&long), None, first.contact_id());
    if let Some(row) = m.contacts.row_mut(0) {
        row.set_contact(renamed);
    }
    assert_eq!(
        m.contacts.rows()[0].contact().given_name(),
        Some(long.as_str())
    );
    m.contacts.problems.push("x".repeat(500));
    for (w, h) in [(40, 10), (80, 24), (200, 60)] {
        render(&m, &Theme::dark(), w, h);
    }
    let mut s = done_model();
    if let Some(sending) = s.sending.as_mut() {
        sending.edit_rows(|u| {
            if u.index == 1 {
                u.reason = Some("reason ".repeat(100));
            }
        });
        sending.org.display_name = Some("O".repeat(300));
    }
    for (w, h) in [(40, 10), (80, 24), (200, 60)] {
        render(&s, &Theme::dark(), w, h);
    }
}
