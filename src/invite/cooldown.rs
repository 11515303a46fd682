//! The re-invite cooldown: a number invited with the same template recently is skipped unless
//! the operator forces it, so a batch run twice, or a single re-invite typed twice, never
//! texts a customer twice. The period and the wording are defined here once, for the command
//! line and the TUI alike.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};

use super::journal;

/// How long a number is left alone after an invitation with the same template.
pub const DEFAULT: Duration = Duration::from_secs(24 * 3600);

/// The last invitation a number received in an organization with a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastInvite {
    pub at: DateTime<Utc>,
    pub run: String,
}

/// Why a contact is skipped: "invited with this template 5 min ago (run …); cooldown 24h".
pub fn reason(last: &LastInvite, cooldown: Duration, now: DateTime<Utc>) -> String {
    format!(
        "invited with this template {} ago (run {}); cooldown {}h",
        human_duration(now - last.at),
        last.run,
        cooldown.as_secs() / 3600
    )
}

/// How to override the cooldown, on the command line.
pub const FORCE_HINT: &str = "use --force to send again";

/// When each number was last sent an invitation in `org` with `template_hash`, from every
/// journal modified within `window` (older files cannot hold a recent send).
pub fn recent_sends(
    data_dir: &Path,
    org: &str,
    template_hash: &str,
    window: Duration,
) -> BTreeMap<String, LastInvite> {
    let mut out: BTreeMap<String, LastInvite> = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(journal::runs_dir(data_dir)) else {
        return out;
    };
    let cutoff = SystemTime::now()
        .checked_sub(window)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let since = Utc::now() - chrono::Duration::from_std(window).unwrap_or(chrono::Duration::MAX);
    for entry in entries.flatten() {
        let fresh = entry
            .metadata()
            .and_then(|m| m.modified())
            .map(|t| t >= cutoff)
            .unwrap_or(false);
        if !fresh || entry.path().extension().and_then(|e| e.to_str()) != Some("jsonl") {
            continue;
        }
        for (e164, last) in journal::sends_in(&entry.path(), org, template_hash) {
            if last.at < since {
                continue;
            }
            if out.get(&e164).is_none_or(|known| last.at > known.at) {
                out.insert(e164, last);
            }
        }
    }
    out
}

/// "5 min", "2h05", "3 days".
pub fn human_duration(d: chrono::Duration) -> String {
    let mins = d.num_minutes().max(0);
    if mins < 60 {
        format!("{mins} min")
    } else if mins < 48 * 60 {
        format!("{}h{:02}", mins / 60, mins % 60)
    } else {
        format!("{} days", mins / (24 * 60))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(chrono::Duration::minutes(5)), "5 min");
        assert_eq!(human_duration(chrono::Duration::minutes(125)), "2h05");
        assert_eq!(human_duration(chrono::Duration::days(3)), "3 days");
    }

    #[test]
    fn the_reason_names_when_and_which_run() {
        let now = Utc::now();
        let last = LastInvite {
            at: now - chrono::Duration::minutes(7),
            run: "r1".into(),
        };
        assert_eq!(
            reason(&last, DEFAULT, now),
            "invited with this template 7 min ago (run r1); cooldown 24h"
        );
    }
}
