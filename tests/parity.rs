//! One rulebook: the same cases through the command line (the real binary, `send --dry-run
//! --json`) and through the TUI's model (keys, the lookups the TUI makes, the confirm screen's
//! verdicts) reach the same verdict with the same reason, against one sandbox.

mod common;
mod tui_common;

use std::process::Command;

use crossterm::event::KeyCode;
use serde_json::Value;
use sms_invite::api::Client;
use sms_invite::invite::cooldown;
use sms_invite::invite::link;
use sms_invite::invite::readiness::{self, Account, Subject};
use sms_invite::invite::target::Target;
use sms_invite::invite::template::Template;
use sms_invite::invite::verdict::{Lookup, Pick};
use sms_invite::sandbox::Sandbox;
use sms_invite::tui::model::{Model, Overlay, PickOption, Screen};
use sms_invite::tui::msg::Msg;
use tui_common::*;

const BIN: &str = env!("CARGO_BIN_EXE_sms-invite");

struct World {
    sandbox: Sandbox,
    client: Client,
    dir: tempfile::TempDir,
}

impl World {
    async fn start() -> World {
        let (sandbox, client) = start(quick_config()).await;
        World {
            sandbox,
            client,
            dir: tempfile::tempdir().expect("dir"),
        }
    }

    /// The command line's verdict for one contact: its state and reason.
    async fn headless(&self, args: &[&str]) -> (String, Option<String>, String) {
        let mut cmd = Command::new(BIN);
        cmd.args(["send", "--org", HOLDING, "--clp-url", CLP, "--json"])
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(bot_env(&self.sandbox))
            .env("SMS_INVITE_DATA_DIR", self.dir.path().join("data"))
            .env("SMS_INVITE_CONFIG_DIR", self.dir.path().join("config"));
        let out = tokio::task::spawn_blocking(move || cmd.output().expect("the binary runs"))
            .await
            .expect("waiter");
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        let contact: Option<Value> = stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|v| v.get("summary").is_none());
        match contact {
            Some(c) => (
                c["state"].as_str().unwrap_or("").to_string(),
                c["reason"].as_str().map(str::to_string),
                stderr,
            ),
            None => ("refused".into(), None, stderr),
        }
    }

    /// The template the run uses: the built-in one with the run's link address.
    fn template(&self) -> Template {
        Template {
            clp_url: link::check_clp_url(CLP, true).expect("link"),
            ..Template::default()
        }
    }

    /// The TUI's verdict for one number: `i`, the number, the lookup the TUI makes, then the
    /// operator's choices by keys; the confirm screen's verdict for each target.
    async fn tui(
        &self,
        number: &str,
        choose: Option<&str>,
        force: bool,
    ) -> Vec<(String, Option<String>)> {
        let mut m = on_acme();
        m.template.template = self.template();
        step(&mut m, ch('i'));
        type_text(&mut m, number);
        press(&mut m, KeyCode::Enter);
        assert_eq!(m.screen, Screen::Confirm);
        let hash = self.template().template_hash();
        let recent = cooldown::recent_sends(
            &self.dir.path().join("data"),
            HOLDING,
            &hash,
            cooldown::DEFAULT,
        );
        let mut lookups = Vec::new();
        for t in &m.confirm.targets {
            lookups.push(Lookup::of(&self.client, HOLDING, t, recent.get(&t.e164).cloned()).await);
        }
        step(
            &mut m,
            Msg::LookedUp {
                org: HOLDING.into(),
                lookups,
            },
        );
        if let Some(id) = choose {
            press(&mut m, KeyCode::Enter);
            let Some(Overlay::Pick(p)) = &m.overlay else {
                panic!("a pick list for {number}")
            };
            let at = p
                .options
                .iter()
                .position(|o| matches!(o, PickOption::One { label, .. } if label.contains(id)))
                .expect("the contact is offered");
            for _ in 0..at {
                press(&mut m, KeyCode::Down);
            }
            press(&mut m, KeyCode::Enter);
        }
        if force {
            step(&mut m, ch('f'));
        }
        verdicts(&m)
    }
}

fn verdicts(m: &Model) -> Vec<(String, Option<String>)> {
    (0..m.confirm.targets.len())
        .map(|i| match m.confirm.verdict(i, m.clock) {
            Some(Ok(Pick::New | Pick::Existing(_))) => ("would_send".to_string(), None),
            Some(Err(r)) => (r.state.label().replace(' ', "_"), Some(r.reason)),
            None => ("not looked up".to_string(), None),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_and_the_tui_reach_the_same_verdicts() {
    let w = World::start().await;
    // (what, number, --contact-id, --force)
    let cases: [(&str, &str, Option<&str>, bool); 6] = [
        ("a new contact", "06 87654321", None, false),
        ("an existing contact", "06 12345678", None, false),
        ("held by an agent", "06 12345681", None, false),
        ("held, forced", "06 12345681", None, true),
        ("a shared number", "06 12345680", None, false),
        (
            "a shared number, one named",
            "06 12345680",
            Some(EVA_ID),
            false,
        ),
    ];
    let mut checked = 0;
    for (what, number, id, force) in cases {
        let mut args = vec!["--phone", number, "--dry-run"];
        if let Some(id) = id {
            args.extend(["--contact-id", id]);
        }
        if force {
            args.push("--force");
        }
        let (state, reason, stderr) = w.headless(&args).await;
        let tui = w.tui(number, id, force).await;
        assert_eq!(tui, [(state.clone(), reason.clone())], "{what}\n{stderr}");
        checked += 1;
    }
    assert!(checked == cases.len());

    // After a real invitation, the cooldown: skipped with one reason, and forced alike.
    let (state, _, stderr) = w.headless(&["--phone", "06 12345678", "--yes"]).await;
    assert_eq!(state, "sent", "{stderr}");
    let (state, reason, _) = w.headless(&["--phone", "06 12345678", "--dry-run"]).await;
    assert_eq!(state, "skipped");
    let reason = reason.expect("a reason");
    assert!(reason.starts_with("invited with this template"), "{reason}");
    assert_eq!(
        w.tui("06 12345678", None, false).await,
        [("skipped".to_string(), Some(reason))]
    );
    let (state, _, _) = w
        .headless(&["--phone", "06 12345678", "--dry-run", "--force"])
        .await;
    assert_eq!(state, "would_send");
    assert_eq!(
        w.tui("06 12345678", None, true).await,
        [("would_send".to_string(), None)]
    );
}

/// The gate: an organization whose SMS is switched off is refused by both, with the same line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_readiness_line_refuses_in_both() {
    let w = World::start().await;
    let mut cmd = Command::new(BIN);
    cmd.args([
        "send",
        "--org",
        DISABLED,
        "--phone",
        "06 55443322",
        "--clp-url",
        CLP,
        "--yes",
    ])
    .env_clear()
    .env("PATH", std::env::var_os("PATH").unwrap_or_default())
    .envs(bot_env(&w.sandbox))
    .env("SMS_INVITE_DATA_DIR", w.dir.path().join("data"))
    .env("SMS_INVITE_CONFIG_DIR", w.dir.path().join("config"));
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("runs"))
        .await
        .expect("waiter");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The TUI's report for the same organization, template and address (what its runtime
    // builds for the confirm screen).
    let org = w.client.organization(DISABLED).await.expect("org");
    let account = Account::of(&w.client).await.expect("account");
    let template = w.template();
    let choice = link::LinkChoice {
        url: CLP.into(),
        source: link::LinkSource::Given,
    };
    let target = Target::from_phone(
        &sms_invite::invite::phone::normalize("0655443322", Some("NL")).expect("n"),
    );
    let subject = Subject::for_targets(&template, &choice, true, &[target], Some(&org));
    let report = readiness::assess(&w.client, &account, Ok(&org), &[], &subject).await;
    assert!(!report.can_send());
    for item in &report.items {
        assert!(
            stderr.contains(&item.detail),
            "the command line shows {:?} as the TUI does:\n{stderr}",
            item.detail
        );
    }
    let blocking: Vec<&str> = report.blocking().map(|i| i.check).collect();
    assert_eq!(blocking, ["sms service"]);
    assert!(w.sandbox.deliveries().is_empty());
    let wrote = w
        .sandbox
        .requests()
        .iter()
        .filter(|r| r["method"] == "POST")
        .count();
    assert_eq!(wrote, 0, "nothing was posted");
}
