//! Whole flows through `app::run` on a `TestBackend`, with keys injected through a channel and
//! an in-process sandbox as the platform. The screen is read through a shared backend while the
//! app runs; the sandbox's delivery and request logs say what really went out.

mod common;
mod tui_common;

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::channel::mpsc::{UnboundedSender, unbounded};
use ratatui::Terminal;
use serde_json::Value;
use sms_invite::api::{Credentials, Secret};
use sms_invite::invite::events::{State, Summary};
use sms_invite::invite::follow::{Outcome, Via};
use sms_invite::invite::journal;
use sms_invite::sandbox::{FaultRule, Sandbox};
use sms_invite::tui::app::{self, Clipboard, Deps};
use sms_invite::tui::keymap::Keymap;
use sms_invite::tui::model::{Model, Screen};
use sms_invite::tui::theme::Theme;
use tokio::task::JoinHandle;
use tui_common::*;

/// Any single step that takes longer than this has hung.
const WAIT: Duration = Duration::from_secs(8);
/// A whole flow that takes longer than this has hung.
const FLOW: Duration = Duration::from_secs(10);

/// The app running in a task, its screen, and its keyboard.
struct App {
    screen: SharedBackend,
    keys: UnboundedSender<io::Result<Event>>,
    task: JoinHandle<Model>,
    clipboard: Arc<Mutex<Vec<String>>>,
    /// Keys pressed (pastes and typed text not counted).
    presses: usize,
    _dirs: tempfile::TempDir,
}

impl App {
    fn start(sandbox: &Sandbox, initial: Option<Credentials>) -> App {
        App::start_with(sandbox, initial, app::PLATFORM_CONTACTS_MAX)
    }

    fn start_with(sandbox: &Sandbox, initial: Option<Credentials>, max: usize) -> App {
        let dirs = tempfile::tempdir().expect("temp dir");
        let clipboard = Arc::new(Mutex::new(Vec::new()));
        let deps = Deps {
            api_url: sandbox.base_url().to_string(),
            client_rate: 0,
            request_deadline: Duration::from_secs(30),
            data_dir: dirs.path().join("data"),
            config_dir: dirs.path().join("config"),
            demo: false,
            clipboard: Clipboard::Recorder(clipboard.clone()),
            initial,
            initial_source: "the test's token".into(),
            real_terminal: false,
            platform_contacts_max: max,
        };
        let screen = SharedBackend::new(100, 30);
        let backend = screen.clone();
        let (keys, input) = unbounded();
        let model = Model::new(template(), None, chrono::Utc::now());
        let task = tokio::spawn(async move {
            let mut terminal = Terminal::new(backend).expect("terminal");
            app::run(
                &mut terminal,
                input,
                model,
                Theme::dark(),
                Keymap::default(),
                deps,
            )
            .await
            .expect("the app runs")
        });
        App {
            screen,
            keys,
            task,
            clipboard,
            presses: 0,
            _dirs: dirs,
        }
    }

    fn event(&self, e: Event) {
        self.keys.unbounded_send(Ok(e)).expect("app is running");
    }

    fn key(&mut self, code: KeyCode) {
        self.presses += 1;
        self.event(key_event(code, KeyModifiers::NONE));
    }

    fn ch(&mut self, c: char) {
        self.key(KeyCode::Char(c));
    }

    /// Types text; its characters are not counted as key presses.
    fn type_text(&self, text: &str) {
        for c in text.chars() {
            self.event(Event::Key(KeyEvent::new(
                KeyCode::Char(c),
                KeyModifiers::NONE,
            )));
        }
    }

    fn paste(&self, text: &str) {
        self.event(Event::Paste(text.to_string()));
    }

    async fn wait_for(&self, text: &str) {
        wait_for(&self.screen, text, WAIT).await;
    }

    /// Waits for the app to end (after a quit key) and returns its final model.
    async fn finish(self) -> Model {
        self.finish_keeping_files().await.0
    }

    /// [`App::finish`], keeping the app's config and data dirs for a look afterwards.
    async fn finish_keeping_files(self) -> (Model, tempfile::TempDir) {
        let m = tokio::time::timeout(WAIT, self.task)
            .await
            .expect("the app quits")
            .expect("the app task did not panic");
        (m, self._dirs)
    }
}

fn to(d: &Value) -> &str {
    d["to"].as_str().unwrap_or_default()
}

fn delivered_to(sandbox: &Sandbox, number: &str) -> usize {
    sandbox
        .deliveries()
        .iter()
        .filter(|d| to(d) == number && d["status"] == "delivered")
        .count()
}

/// The request log as one text per request, for searching.
fn request_texts(sandbox: &Sandbox) -> Vec<String> {
    sandbox.requests().iter().map(Value::to_string).collect()
}

fn summary(m: &Model) -> Summary {
    m.sending
        .as_ref()
        .and_then(|s| s.finished.clone())
        .expect("a finished run")
}

async fn within<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(FLOW, f)
        .await
        .expect("the flow finished in time")
}

/// Signed in with the org list shown and Acme Holding (second in `orgPath` order) selected.
async fn at_acme(sandbox: &Sandbox) -> App {
    let mut app = App::start(sandbox, Some(bot_credentials(sandbox)));
    app.wait_for("Acme Holding").await;
    app.wait_for("Disabled SMS BV").await;
    app.key(KeyCode::Down);
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn re_invite_one_contact_in_a_few_keys() {
    within(async {
        let sandbox = start_sandbox(quick_config()).await;
        let mut app = at_acme(&sandbox).await;
        app.ch('i');
        app.wait_for("Re-invite one contact of Acme Holding").await;
        app.type_text("06 12345678");
        app.key(KeyCode::Enter);
        app.wait_for("press s to send").await;
        app.wait_for("(Jan Jansen)").await;
        assert!(sandbox.deliveries().is_empty(), "nothing before s");
        app.ch('s');
        wait_until("two SMS to Jan", WAIT, || delivered_to(&sandbox, JAN) == 2).await;
        app.wait_for("Finished").await;
        app.wait_for("following").await;
        app.ch('q');
        let presses = app.presses;
        let (m, dirs) = app.finish_keeping_files().await;
        let s = summary(&m);
        assert_eq!((s.total, s.sent, s.failed), (1, 1, 0), "{s:?}");
        // Quitting stopped the follower and waited for it: the run is free again.
        let data = dirs.path().join("data");
        let run = &journal::list_runs(&data)[0].run.header.run;
        assert!(
            journal::RunLock::acquire(&data, run).is_ok(),
            "the run is still held after the app ended"
        );
        assert!(m.quit);
        // Welcome and link, to Jan only.
        assert_eq!(sandbox.deliveries().len(), 2);
        // Down, i, enter, s, q besides the number.
        assert_eq!(presses, 5);
        assert!(presses < 10);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_with_failures_then_retry_failed() {
    within(async {
        let sandbox = start_sandbox(quick_config()).await;
        let mut app = at_acme(&sandbox).await;
        app.ch('c');
        app.wait_for("Jan Jansen").await;
        app.wait_for("Sanne Bakker").await;
        // Select Jan (existing) through the filter.
        app.ch('/');
        app.type_text("jan");
        app.key(KeyCode::Enter);
        app.ch(' ');
        app.key(KeyCode::Esc);
        // Paste a new number, the shared number and a line that is no number.
        app.paste("Nina 06 87654321\n06 12345680\nhello world\n");
        app.wait_for("1 line(s) not added").await;
        app.wait_for("3 selected").await;
        // New contacts cannot be created for now.
        sandbox.tune(|k| {
            k.faults = vec![FaultRule::parse("POST:conversations:error:1").expect("rule")];
        });
        app.ch('r');
        app.wait_for("3 contacts").await;
        app.wait_for("press s to send").await;
        app.ch('s');
        app.wait_for("Finished").await;
        app.wait_for("3/3").await;
        let first = app.screen.text();
        assert!(first.contains("1 sent"), "{first}");
        assert!(first.contains("2 failed"), "{first}");
        assert_eq!(delivered_to(&sandbox, JAN), 2);
        assert_eq!(delivered_to(&sandbox, NEW), 0);
        // The platform recovers; retry the failed ones.
        sandbox.tune(|k| k.faults.clear());
        sandbox.clear_requests();
        // A retry continues the same run, through the confirm screen.
        app.ch('r');
        app.wait_for("continuing run").await;
        app.wait_for("press s to send").await;
        app.ch('s');
        wait_until("two SMS to the new number", WAIT, || {
            delivered_to(&sandbox, NEW) == 2
        })
        .await;
        app.wait_for("Finished").await;
        app.wait_for("3/3").await;
        // Export covers the whole batch, with each contact's final state.
        app.ch('e');
        app.wait_for("Export the whole batch").await;
        app.event(key_event(KeyCode::Char('u'), KeyModifiers::CONTROL));
        let export = app._dirs.path().join("batch.csv");
        app.type_text(export.to_str().expect("path"));
        app.key(KeyCode::Enter);
        app.wait_for("results written to").await;
        let csv = std::fs::read_to_string(&export).expect("the export");
        let states: Vec<(String, String)> = csv::Reader::from_reader(csv.as_bytes())
            .records()
            .map(|r| {
                let r = r.expect("a row");
                (r[2].to_string(), r[4].to_string())
            })
            .collect();
        assert_eq!(
            states,
            [
                (JAN.to_string(), "sent".to_string()),
                (NEW.to_string(), "sent".to_string()),
                (SHARED.to_string(), "failed".to_string())
            ],
            "{csv}"
        );
        // Copy the summary for the ticket.
        app.ch('y');
        wait_until("the summary copied", WAIT, || {
            !app.clipboard.lock().expect("clipboard").is_empty()
        })
        .await;
        app.ch('q');
        let copied = app.clipboard.lock().expect("clipboard").clone();
        let m = app.finish().await;
        let s = summary(&m);
        assert_eq!((s.total, s.sent, s.failed + s.unknown), (2, 1, 1), "{s:?}");
        // The screen covers the whole batch: Jan's first send, and the retried two.
        let sending = m.sending.as_ref().expect("sending");
        let rows: Vec<(&str, State)> = sending
            .rows()
            .iter()
            .map(|r| (r.update.e164.as_str(), r.update.state()))
            .collect();
        assert_eq!(
            rows,
            [
                (JAN, State::Sent),
                (NEW, State::Sent),
                (SHARED, State::Failed)
            ]
        );
        // Jan was sent the first time and is not touched again.
        let log = request_texts(&sandbox);
        assert!(!log.is_empty());
        for r in &log {
            assert!(
                !r.contains("612345678") && !r.contains(JAN_ID),
                "Jan was retried: {r}"
            );
        }
        assert_eq!(delivered_to(&sandbox, JAN), 2);
        let created = sandbox
            .requests()
            .iter()
            .filter(|r| r["method"] == "POST" && r["route"] == "conversations")
            .count();
        assert_eq!(created, 1, "one conversation created, for the new number");
        // The shared number still fails, and says why, in the copied summary.
        assert_eq!(copied.len(), 1);
        assert!(
            copied[0].contains(&format!("| {SHARED} |")),
            "{}",
            copied[0]
        );
        assert!(copied[0].contains("| failed |"), "{}", copied[0]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_mid_send() {
    within(async {
        let sandbox = start_sandbox(quick_config()).await;
        let mut app = at_acme(&sandbox).await;
        app.ch('c');
        app.wait_for("Jan Jansen").await;
        let numbers: Vec<String> = (30..40).map(|i| format!("+316876543{i}")).collect();
        app.paste(&numbers.join("\n"));
        app.wait_for("10 selected").await;
        sandbox.tune(|k| k.latency = Duration::from_millis(200));
        app.ch('r');
        app.wait_for("10 contacts").await;
        app.wait_for("press s").await;
        sandbox.clear_requests();
        app.ch('s');
        // Once the first wave is creating conversations, cancel.
        wait_until("a conversation created", WAIT, || {
            sandbox
                .requests()
                .iter()
                .any(|r| r["method"] == "POST" && r["route"] == "conversations")
        })
        .await;
        app.ch('x');
        app.wait_for("Cancel sending?").await;
        app.ch('y');
        app.wait_for("Cancelled").await;
        app.ch('q');
        let m = app.finish().await;
        let s = summary(&m);
        assert!(s.cancelled, "{s:?}");
        assert!(s.not_started > 0, "{s:?}");
        assert!(
            s.sent >= 1,
            "the conversation seen being created finished: {s:?}"
        );
        assert_eq!(s.total, 10);
        assert_eq!(
            s.sent + s.not_started + s.failed + s.unknown + s.skipped,
            10
        );
        let mut per_number = std::collections::BTreeMap::<String, usize>::new();
        for d in sandbox.deliveries() {
            *per_number.entry(to(&d).to_string()).or_default() += 1;
        }
        assert!(
            per_number.values().all(|&n| n <= 2),
            "a number got more than two SMS: {per_number:?}"
        );
        assert!(per_number.len() < 10, "cancelled before everyone was sent");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]

async fn bad_token_then_a_pasted_good_one() {
    within(async {
        let sandbox = start_sandbox(quick_config()).await;
        let garbage = Credentials::new(Secret::new("garbage"));
        let mut app = App::start(&sandbox, Some(garbage));
        app.wait_for("✗").await;
        app.type_text("nonsense");
        app.wait_for("(8 characters)").await;
        assert!(!app.screen.text().contains('✗'), "typing clears the error");
        app.key(KeyCode::Enter);
        app.wait_for("✗").await;
        app.paste(&format!("{}\n", sandbox.bot_login().token));
        app.key(KeyCode::Enter);
        app.wait_for("Acme Holding").await;
        app.ch('q');
        let m = app.finish().await;
        assert_eq!(m.screen, Screen::Orgs);
        assert!(m.session.is_some());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_token_then_a_good_one_after_clearing_the_field() {
    within(async {
        let sandbox = start_sandbox(quick_config()).await;
        let garbage = Credentials::new(Secret::new("garbage"));
        let mut app = App::start(&sandbox, Some(garbage));
        app.wait_for("✗").await;
        assert!(app.screen.text().contains("sign in"));
        // A typed bad token is refused too.
        app.type_text("nonsense");
        app.wait_for("(8 characters)").await;
        assert!(!app.screen.text().contains('✗'), "typing clears the error");
        app.key(KeyCode::Enter);
        app.wait_for("✗").await;
        // Clear the field, paste the real token (with a trailing new line) and sign in.
        app.event(key_event(KeyCode::Char('u'), KeyModifiers::CONTROL));
        app.paste(&format!("{}\n", sandbox.bot_login().token));
        app.key(KeyCode::Enter);
        app.wait_for("Acme Holding").await;
        app.wait_for("SMS Invite Bot").await;
        app.ch('q');
        let m = app.finish().await;
        assert_eq!(m.screen, Screen::Orgs);
        assert_eq!(
            m.session.as_ref().map(|s| s.name.as_str()),
            Some("SMS Invite Bot")
        );
        assert!(m.quit);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_input_ending_ends_the_app() {
    within(async {
        let sandbox = start_sandbox(quick_config()).await;
        let app = App::start(&sandbox, Some(bot_credentials(&sandbox)));
        app.wait_for("Acme Holding").await;
        // A resize is applied and drawn.
        app.event(Event::Resize(60, 15));
        let App { keys, task, .. } = app;
        drop(keys);
        let m = tokio::time::timeout(WAIT, task)
            .await
            .expect("the app ends")
            .expect("no panic");
        assert_eq!(m.size, (60, 15));
        assert!(!m.quit);
    })
    .await;
}

/// An organization with more contacts than the list loads says so, instead of looking
/// complete; the cap is lowered to 3 here (Acme Holding has 5 in the seed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capped_contact_list_says_so() {
    within(async {
        let sandbox = start_sandbox(quick_config()).await;
        let mut app = App::start_with(&sandbox, Some(bot_credentials(&sandbox)), 3);
        app.wait_for("Disabled SMS BV").await;
        app.key(KeyCode::Down);
        app.ch('c');
        app.wait_for("only the organization's first 3 are listed")
            .await;
        app.wait_for("3 contacts").await;
        app.ch('q');
        let m = app.finish().await;
        assert_eq!(m.contacts.platform_capped, Some(3));
        assert_eq!(m.contacts.len(), 3);

        // With room for all of them, nothing is said.
        let mut app = at_acme(&sandbox).await;
        app.ch('c');
        app.wait_for("5 contacts").await;
        app.ch('q');
        let m = app.finish().await;
        assert_eq!(m.contacts.platform_capped, None);
        assert_eq!(m.contacts.len(), 5);
    })
    .await;
}

/// After a send the runtime follows the invitation, also while the operator is on another
/// screen: Jan writes into his conversation through the landing page, the follower journals
/// it, the runs screen counts him back, and his row says so. The follower's pace is the real
/// one (a look every 3 s at first), so this flow gets more time than the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sent_contact_who_comes_back_turns_the_row_to_came_back() {
    let flow = async {
        let sandbox = start_sandbox(quick_config()).await;
        let mut app = at_acme(&sandbox).await;
        app.ch('i');
        app.wait_for("Re-invite one contact of Acme Holding").await;
        app.type_text("06 12345678");
        app.key(KeyCode::Enter);
        app.wait_for("press s to send").await;
        app.ch('s');
        app.wait_for("Finished").await;
        app.wait_for("↩ 0 of 1 came back; 1 no answer yet").await;
        app.wait_for("   following").await;
        let data = app._dirs.path().join("data");
        let runs = journal::list_runs(&data);
        assert_eq!(runs.len(), 1);
        let run = runs[0].run.header.run.clone();
        // Off to the organizations; the follower goes on without the screen.
        app.key(KeyCode::Esc);
        app.wait_for("› organizations").await;
        sandbox
            .with_store(|s| s.contact_writes(JAN_CONV, "web", "I'm back"))
            .expect("Jan writes");
        wait_until("the follower journals Jan's return", FOLLOW, || {
            journal::load_run(&data, &run).is_ok_and(|r| r.ledger().summary().came_back == 1)
        })
        .await;
        app.ch('R');
        app.wait_for(&run).await;
        app.wait_for("1 of 1").await;
        app.key(KeyCode::Enter);
        app.wait_for("↩ came back via the link after").await;
        app.wait_for("1 of 1 came back").await;
        app.ch('q');
        let m = app.finish().await;
        let s = m.sending.as_ref().expect("the run");
        assert_eq!(s.run_id, run);
        assert!(
            matches!(
                s.follow.outcome(0),
                Some(Outcome::CameBack { via: Via::Link, .. })
            ),
            "{:?}",
            s.follow.outcome(0)
        );
        assert_eq!(s.follow.summary().came_back, 1);
        // Following read the conversation; it sent nothing.
        assert_eq!(delivered_to(&sandbox, JAN), 2);
    };
    tokio::time::timeout(FOLLOW + FLOW, flow)
        .await
        .expect("the flow finished in time");
}

/// How long a follower at its real pace may take to see a message (it looks every 3 s at
/// first; this is a bound for a hung test, not a wait).
const FOLLOW: Duration = Duration::from_secs(20);
