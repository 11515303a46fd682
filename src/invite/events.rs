//! What the send engine reports while it works. The headless printer and the TUI consume the
//! same stream, so both show exactly what happened.

use serde::{Deserialize, Serialize};

use super::verdict::Remedy;

/// Where one contact's invitation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Queued,
    LookingUp,
    Sending,
    /// The platform has the invitation.
    Sent,
    /// Deliberately not sent (cooldown, held by an agent, …); the reason says why.
    Skipped,
    Failed,
    /// The platform may or may not have it, and reconciling could not tell; never resent blindly.
    Unknown,
    /// Cancelled before it started; a resume sends it.
    NotStarted,
    /// Dry run: this contact would be sent.
    WouldSend,
}

impl State {
    /// Every state once, in declaration order (so `state as usize` indexes it).
    pub const ALL: [State; 9] = [
        State::Queued,
        State::LookingUp,
        State::Sending,
        State::Sent,
        State::Skipped,
        State::Failed,
        State::Unknown,
        State::NotStarted,
        State::WouldSend,
    ];

    pub fn is_final(self) -> bool {
        !matches!(self, State::Queued | State::LookingUp | State::Sending)
    }

    /// Done for good: a resume does not touch it again.
    pub fn is_done(self) -> bool {
        matches!(self, State::Sent | State::Skipped)
    }

    pub fn label(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::LookingUp => "looking up",
            State::Sending => "sending",
            State::Sent => "sent",
            State::Skipped => "skipped",
            State::Failed => "failed",
            State::Unknown => "unknown",
            State::NotStarted => "not started",
            State::WouldSend => "would send",
        }
    }
}

/// The dry-run view of one contact's invitation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    pub welcome: String,
    pub link: String,
    pub welcome_sms: SmsFigures,
    pub link_sms: SmsFigures,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SmsFigures {
    pub chars: usize,
    pub encoding: String,
    pub segments: usize,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forced_ucs2_by: Vec<char>,
}

/// One contact's state change.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactUpdate {
    pub index: usize,
    pub e164: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub state: Option<State>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// New contact (created) or existing one, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_contact: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_id: Option<String>,
    /// The outcome was established by reconciling after an uncertain answer.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reconciled: bool,
    /// What the operator can do about a skip or failure (front ends word it their own way).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remedy: Option<Remedy>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Only a dry run's updates have one; boxed, so the updates of a 100,000-row send (each
    /// kept by the TUI's sending screen) do not each carry its room.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<Box<Preview>>,
}

impl ContactUpdate {
    pub fn state(&self) -> State {
        self.state.unwrap_or(State::Queued)
    }
}

/// Totals of a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub run_id: String,
    pub total: usize,
    pub sent: usize,
    pub skipped: usize,
    pub failed: usize,
    pub unknown: usize,
    pub not_started: usize,
    pub would_send: usize,
    pub elapsed_ms: u64,
    pub requests: u64,
    pub cancelled: bool,
    /// Set when the engine stopped the run itself (authentication failed), with why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub halted: Option<String>,
}

impl Summary {
    pub fn count(&mut self, state: State) {
        match state {
            State::Sent => self.sent += 1,
            State::Skipped => self.skipped += 1,
            State::Failed => self.failed += 1,
            State::Unknown => self.unknown += 1,
            State::NotStarted => self.not_started += 1,
            State::WouldSend => self.would_send += 1,
            State::Queued | State::LookingUp | State::Sending => {}
        }
    }

    /// Exit status: 1 when anything failed, is unknown or did not start, or the run was
    /// stopped (its journal may not know everything that happened).
    pub fn exit_code(&self) -> u8 {
        u8::from(self.failed + self.unknown + self.not_started > 0 || self.halted.is_some())
    }

    /// Totals of these states, counted afresh (e.g. a whole batch across its attempts).
    pub fn of_states(run_id: &str, states: impl IntoIterator<Item = State>) -> Summary {
        let mut s = Summary {
            run_id: run_id.to_string(),
            ..Summary::default()
        };
        for st in states {
            s.total += 1;
            s.count(st);
        }
        s
    }

    /// "3 sent, 1 skipped, 2 failed": sent always, the other states when there are any. The
    /// one wording of a run's counts, wherever they are shown.
    pub fn counts(&self) -> String {
        let mut parts = vec![format!("{} sent", self.sent)];
        for (n, label) in [
            (self.would_send, "would send"),
            (self.skipped, "skipped"),
            (self.failed, "failed"),
            (self.unknown, "unknown"),
            (self.not_started, "not started"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {label}"));
            }
        }
        parts.join(", ")
    }

    /// "Done: 10 contact(s): 8 sent, 2 failed", or "Cancelled: …", or why the run stopped.
    pub fn headline(&self) -> String {
        let what = if self.halted.is_some() {
            "Stopped"
        } else if self.cancelled {
            "Cancelled"
        } else {
            "Done"
        };
        let mut text = format!("{what}: {} contact(s): {}", self.total, self.counts());
        if let Some(why) = &self.halted {
            text.push_str(&format!(" ({why})"));
        }
        text
    }

    /// Anything left to do that a resume would pick up.
    pub fn resumable(&self) -> bool {
        self.failed + self.unknown + self.not_started > 0 && self.would_send == 0
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Started {
        run_id: String,
        org_id: String,
        org_name: String,
        total: usize,
        dry_run: bool,
    },
    Contact(Box<ContactUpdate>),
    /// The platform answered 429; requests wait this long.
    RateLimited {
        wait_ms: u64,
    },
    /// Something worth a line in the log view (token renewed, retrying).
    Notice {
        message: String,
    },
    Finished(Summary),
}
