//! The confirm screen's state: the batch about to be sent, what the lookups found, the
//! operator's decisions, and the review of all of it that the screen draws.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::invite::batch::SamePhone;
use crate::invite::events::State;
use crate::invite::readiness::{Recipients, Report};
use crate::invite::target::Target;
use crate::invite::verdict::{Force, Lookup, Pick, Refusal};

/// How often the review is taken again while the screen stays open, for cooldowns that end.
const REVIEW_EVERY_SECS: i64 = 30;

/// The batch as the confirm screen shows it. Worked out when something changes, not on every
/// frame: 100,000 verdicts take milliseconds, and a frame has two.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Review {
    /// When the verdicts were taken (a cooldown ends with time).
    pub as_of: DateTime<Utc>,
    pub tally: Tally,
    pub attention: Vec<Attention>,
    /// What the readiness rules need of the batch: its columns and destination countries.
    pub recipients: Recipients,
}

/// How the batch's targets stand by the shared rules.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub new: usize,
    pub existing: usize,
    pub skipped: usize,
    pub failed: usize,
    /// Not looked up ahead: the send checks them.
    pub unknown: usize,
}

/// Something about the batch the operator should decide before sending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attention {
    /// The shared rules refuse this target (by position in `Confirm::targets`).
    Refused { target: usize, refusal: Refusal },
    /// Several selected contacts have one phone (by position in `Confirm::same_phone`).
    SamePhone(usize),
    /// The lookup of this target failed; the send checks it again.
    LookupFailed { target: usize, error: String },
    /// The SMS cannot be made for this target (a value with control characters, too long).
    CannotRender { target: usize, reason: String },
}

/// The confirm screen: who is about to be invited, the readiness report, and the decisions
/// the operator took on the way.
#[derive(Clone, Debug, Default)]
pub struct Confirm {
    pub targets: Vec<Target>,
    /// Contacts left out because another selected one has their phone.
    pub same_phone: Vec<SamePhone>,
    /// By number: what the lookups ahead of sending found.
    pub lookups: std::collections::HashMap<String, Lookup>,
    pub looking_up: bool,
    /// The readiness report for this send; `None` while it is built.
    pub report: Option<Report>,
    /// The run this send continues (a retry or a resume), if any.
    pub resume: Option<String>,
    /// Typed count, for large batches.
    pub typed: String,
    /// The selected line of the attention list.
    pub selected: usize,
    /// Targets whose SMS cannot be made, with the reason the send would give (computed when
    /// the targets or the template change).
    pub unrenderable: Vec<(usize, String)>,
    /// The counts and the attention list, as of the last [`Confirm::refresh`].
    pub review: Review,
}

impl Confirm {
    /// Works the review out again: after the batch, a lookup or a decision changed, and now
    /// and then as time passes (a cooldown ends). Keeps the selected line on the list.
    pub fn refresh(&mut self, now: DateTime<Utc>) {
        self.review = self.reviewed(now);
        let n = self.review.attention.len();
        self.selected = self.selected.min(n.saturating_sub(1));
    }

    /// Whether the review was taken long enough ago that a cooldown may have ended since.
    pub fn review_is_old(&self, now: DateTime<Utc>) -> bool {
        now - self.review.as_of >= chrono::Duration::seconds(REVIEW_EVERY_SECS)
    }

    /// What needs the operator's eye, in target order, as of the last review.
    pub fn attention(&self) -> &[Attention] {
        &self.review.attention
    }

    /// The review from scratch, at `now`.
    pub fn reviewed(&self, now: DateTime<Utc>) -> Review {
        let unrenderable: HashSet<usize> = self.unrenderable.iter().map(|(i, _)| *i).collect();
        let mut tally = Tally::default();
        for i in 0..self.targets.len() {
            if unrenderable.contains(&i) {
                tally.failed += 1;
                continue;
            }
            match self.verdict(i, now) {
                None => tally.unknown += 1,
                Some(Ok(Pick::New)) => tally.new += 1,
                Some(Ok(Pick::Existing(_))) => tally.existing += 1,
                Some(Err(r)) if r.state == State::Skipped => tally.skipped += 1,
                Some(Err(_)) => tally.failed += 1,
            }
        }
        Review {
            as_of: now,
            tally,
            attention: self.attention_at(now),
            recipients: Recipients::of(&self.targets),
        }
    }

    /// Refusals by the shared rules (with
    /// the forces chosen so far), shared phones, failed lookups.
    fn attention_at(&self, now: DateTime<Utc>) -> Vec<Attention> {
        let mut out = Vec::new();
        for (i, t) in self.targets.iter().enumerate() {
            let Some(l) = self.lookups.get(&t.e164) else {
                continue;
            };
            if let Some(e) = &l.error {
                out.push(Attention::LookupFailed {
                    target: i,
                    error: e.clone(),
                });
                continue;
            }
            // A skip the operator forced stays listed, so it can be taken back.
            let unforced = Force::default();
            if let Some(Err(refusal)) = l.verdict(t, unforced, now) {
                out.push(Attention::Refused { target: i, refusal });
            }
        }
        out.extend(
            self.unrenderable
                .iter()
                .map(|(target, reason)| Attention::CannotRender {
                    target: *target,
                    reason: reason.clone(),
                }),
        );
        out.extend((0..self.same_phone.len()).map(Attention::SamePhone));
        out
    }

    /// The verdict for one target with the operator's forces applied; `None` when not looked up.
    pub fn verdict(&self, i: usize, now: DateTime<Utc>) -> Option<Result<Pick<'_>, Refusal>> {
        let t = self.targets.get(i)?;
        self.lookups.get(&t.e164)?.verdict(t, t.force, now)
    }

    /// The report allows sending (and is there).
    pub fn can_send(&self) -> bool {
        self.report.as_ref().is_some_and(Report::can_send)
    }
}
