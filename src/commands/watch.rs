//! `sms-invite watch RUN`: follows a journalled run's invitations past the API (did the
//! customer come back, did the platform report a problem) and prints each change as it comes.
//! `send --watch` ends in the same function.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::{EXIT_FAILED, EXIT_OK, Failure};
use crate::api::Client;
use crate::cli::{Global, WatchArgs};
use crate::invite::follow::{FollowConfig, FollowEvent, FollowSummary, FollowUpdate, Sign};
use crate::invite::journal::{self, Journal, StoredRun};
use crate::invite::watching::{self, Plan};
use crate::safe_text::printable;
use crate::{err, out};

pub async fn run(global: &Global, args: WatchArgs) -> Result<u8, Failure> {
    let conn = super::connect(global).await?;
    watch(
        &conn.client,
        &crate::paths::data_dir(),
        &args.run,
        Watching {
            window: args.window,
            client_rate: global.client_rate,
            json: args.json,
        },
    )
    .await
}

/// How to watch: for how long, at which client rate (a quarter of it while sending), and
/// whether to print JSON Lines.
pub struct Watching {
    pub window: Duration,
    pub client_rate: u32,
    pub json: bool,
}

/// Follows `run` for the window; exit 0 when everyone came back, 1 otherwise (the window
/// closed with someone not back, or it was stopped).
pub async fn watch(
    client: &Client,
    data_dir: &std::path::Path,
    run: &str,
    how: Watching,
) -> Result<u8, Failure> {
    let Watching {
        window,
        client_rate,
        json,
    } = how;
    let unknown = |e: journal::JournalError| Failure {
        code: super::EXIT_USAGE,
        message: e.to_string(),
        hint: Some("`sms-invite` (the TUI's runs screen) lists the journalled runs".into()),
    };
    // A run that does not exist is refused before anything is created for it.
    journal::load_run(data_dir, run).map_err(unknown)?;
    // Held, then read again, so a second watch (or a resume) of it is refused instead of
    // journalling the same signs twice.
    let journal = Journal::open(data_dir, run).map_err(super::send::journal_failure)?;
    let stored = journal::load_run(data_dir, run).map_err(unknown)?;
    let before = stored.ledger().summary();
    if before.followed == 0 {
        err!("Run {run}: no invitation was sent, so there is nothing to follow.");
        return Ok(EXIT_FAILED);
    }
    if before.came_back == before.followed {
        err!("Run {run}: {}; nothing left to follow.", before.line());
        print_summary(json, run, &before);
        return Ok(EXIT_OK);
    }
    err!(
        "Following {} invitation(s) of run {run} for up to {}{}. Ctrl-C stops; `sms-invite watch {run}` picks up again.",
        before.followed,
        humantime::format_duration(window),
        if before.came_back + before.problems > 0 {
            format!(" (known so far: {})", before.line())
        } else {
            String::new()
        }
    );
    let names = Names::of(&stored);
    let config = FollowConfig {
        window,
        client_rate: f64::from(client_rate.max(1)),
        ..FollowConfig::default()
    };
    let cancel = CancellationToken::new();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let plan = Plan {
        run: Some(stored),
        joins: None,
        sending: None,
    };
    let task = tokio::spawn(watching::follow_run(
        client.clone(),
        Arc::new(journal),
        config,
        plan,
        tx,
        cancel.clone(),
    ));
    let mut last_trouble = None;
    loop {
        tokio::select! {
            event = rx.recv() => match event {
                Some(FollowEvent::Update(u)) => print_update(json, run, &names, &u),
                Some(FollowEvent::Trouble(t)) => {
                    // One line per kind of trouble, not one per poll.
                    if last_trouble.as_ref() != Some(&t) {
                        err!("warning: {}", printable(&t));
                        last_trouble = Some(t);
                    }
                }
                Some(FollowEvent::Polled { .. }) => last_trouble = None,
                Some(FollowEvent::Ended(_)) | None => break,
            },
            _ = tokio::signal::ctrl_c(), if !cancel.is_cancelled() => {
                err!("\nStopping; `sms-invite watch {run}` picks up where this left off.");
                cancel.cancel();
            }
        }
    }
    let summary = task.await.map_err(|e| Failure {
        code: EXIT_FAILED,
        message: format!("the watch task failed: {e}"),
        hint: None,
    })?;
    err!("Run {run}: {}", summary.line());
    print_summary(json, run, &summary);
    Ok(summary.exit_code())
}

/// Each contact's number and name, for the lines printed about it.
struct Names(std::collections::HashMap<usize, (String, Option<String>)>);

impl Names {
    fn of(run: &StoredRun) -> Names {
        Names(
            run.contacts
                .iter()
                .map(|c| (c.index, (c.target.e164.clone(), c.target.full_name())))
                .collect(),
        )
    }

    fn name(&self, index: usize) -> Option<&str> {
        self.0.get(&index).and_then(|(_, n)| n.as_deref())
    }
}

fn print_update(json: bool, run: &str, names: &Names, u: &FollowUpdate) {
    if json {
        let mut v = json!({
            "run": run, "index": u.index, "e164": u.e164, "name": names.name(u.index),
            "afterSecs": u.after.as_secs(),
        });
        match &u.sign {
            Sign::CameBack { via, at, message } => {
                v["event"] = json!("cameBack");
                v["via"] = json!(via);
                v["at"] = json!(at);
                v["message"] = json!(message);
            }
            Sign::Problem { text, at, message } => {
                v["event"] = json!("problem");
                v["text"] = json!(text);
                v["at"] = json!(at);
                v["message"] = json!(message);
            }
        }
        out!("{v}");
        return;
    }
    let who = match names.name(u.index) {
        Some(n) => format!("{} ({})", u.e164, printable(n)),
        None => u.e164.clone(),
    };
    let what = match &u.sign {
        Sign::CameBack { via, .. } => format!(
            "came back {} after {}",
            via.label(),
            crate::invite::follow::human(u.after)
        ),
        Sign::Problem { text, .. } => format!("platform reported: {}", printable(text)),
    };
    let mark = if matches!(u.sign, Sign::CameBack { .. }) {
        "↩"
    } else {
        "!"
    };
    out!("{mark} {who}: {what}");
}

fn print_summary(json: bool, run: &str, s: &FollowSummary) {
    if json {
        let mut v = serde_json::to_value(s).unwrap_or_default();
        v["event"] = json!("summary");
        v["run"] = json!(run);
        out!("{v}");
    }
}
