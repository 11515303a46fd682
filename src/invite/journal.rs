//! The run journal: one append-only JSON Lines file per run in the data dir. It is written
//! *before* each send ("sending", with the invite id) and after it, so a run killed at any
//! point can be resumed without sending anything twice: an invitation left at "sending" is
//! reconciled against the platform by its invite id before anything is resent.
//!
//! The token is never part of a record.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::events::{ContactUpdate, State, Summary};
use super::target::Target;

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot write the run journal {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no run {0} in the journal folder {1}; `ls` it to see the runs")]
    NoSuchRun(String, PathBuf),
    #[error("the journal of run {run} is unreadable: {reason}")]
    Corrupt { run: String, reason: String },
}

/// The first record of a run: everything needed to resume it without the original input.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunHeader {
    pub run: String,
    pub org: String,
    pub org_name: String,
    pub template_hash: String,
    /// The template as TOML, so a resume sends the same text.
    pub template: String,
    pub started_at: DateTime<Utc>,
    pub tool: String,
}

pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
    run: String,
}

pub fn runs_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("runs")
}

/// A run id that sorts by time and is unique enough for one operator.
pub fn new_run_id() -> String {
    format!(
        "{}-{:04x}",
        Utc::now().format("%Y%m%dT%H%M%S"),
        rand::random::<u16>()
    )
}

impl Journal {
    /// Creates (or, for a resume, reopens) the journal of `run`.
    pub fn open(data_dir: &Path, run: &str) -> Result<Journal, JournalError> {
        let dir = runs_dir(data_dir);
        let path = dir.join(format!("{run}.jsonl"));
        let err = |source| JournalError::Write {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(&dir).map_err(err)?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(err)?;
        Ok(Journal {
            path,
            file: Mutex::new(file),
            run: run.to_string(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn run(&self) -> &str {
        &self.run
    }

    /// Appends one record as a single write, so a kill leaves whole lines (or a torn last
    /// line, which the reader skips).
    fn append(&self, mut record: Value) -> Result<(), JournalError> {
        record["run"] = json!(self.run);
        record["at"] = json!(Utc::now());
        let mut line = record.to_string();
        line.push('\n');
        let mut f = self.file.lock().unwrap_or_else(|p| p.into_inner());
        f.write_all(line.as_bytes())
            .and_then(|_| f.flush())
            .map_err(|source| JournalError::Write {
                path: self.path.clone(),
                source,
            })
    }

    pub fn header(&self, h: &RunHeader) -> Result<(), JournalError> {
        let mut v = serde_json::to_value(h).unwrap_or_default();
        v["kind"] = json!("run");
        self.append(v)
    }

    pub fn target(
        &self,
        index: usize,
        target: &Target,
        invite_id: &str,
    ) -> Result<(), JournalError> {
        self.append(
            json!({"kind": "contact", "index": index, "target": target, "inviteId": invite_id,
                           "e164": target.e164, "status": State::Queued}),
        )
    }

    pub fn update(
        &self,
        org: &str,
        template_hash: &str,
        u: &ContactUpdate,
    ) -> Result<(), JournalError> {
        self.append(json!({
            "kind": "contact", "index": u.index, "org": org, "templateHash": template_hash,
            "e164": u.e164, "status": u.state(), "reason": u.reason, "inviteId": u.invite_id,
            "contact": u.contact_id, "conversation": u.conversation, "newContact": u.new_contact,
            "reconciled": u.reconciled,
        }))
    }

    pub fn finished(&self, s: &Summary) -> Result<(), JournalError> {
        self.append(json!({"kind": "finished", "summary": s}))
    }
}

/// One contact of a stored run, with its latest state.
#[derive(Clone, Debug)]
pub struct StoredContact {
    pub index: usize,
    pub target: Target,
    pub invite_id: String,
    pub state: State,
    pub reason: Option<String>,
    pub conversation: Option<String>,
    pub contact_id: Option<String>,
    pub at: Option<DateTime<Utc>>,
}

/// A run read back from its journal.
#[derive(Clone, Debug)]
pub struct StoredRun {
    pub header: RunHeader,
    pub contacts: Vec<StoredContact>,
    pub finished: bool,
}

fn read_lines(path: &Path) -> std::io::Result<Vec<Value>> {
    let f = File::open(path)?;
    // A torn last line (killed mid-write) is skipped, not fatal.
    Ok(BufReader::new(f)
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str(&l).ok())
        .collect())
}

pub fn load_run(data_dir: &Path, run: &str) -> Result<StoredRun, JournalError> {
    let dir = runs_dir(data_dir);
    if run.is_empty() || run.contains(['/', '\\']) || run.starts_with('.') {
        return Err(JournalError::NoSuchRun(run.to_string(), dir));
    }
    let path = dir.join(format!("{run}.jsonl"));
    let lines =
        read_lines(&path).map_err(|_| JournalError::NoSuchRun(run.to_string(), dir.clone()))?;
    parse_run(run, &lines)
}

fn parse_run(run: &str, lines: &[Value]) -> Result<StoredRun, JournalError> {
    let corrupt = |reason: &str| JournalError::Corrupt {
        run: run.to_string(),
        reason: reason.to_string(),
    };
    let header_line = lines
        .iter()
        .find(|l| l["kind"] == "run")
        .ok_or_else(|| corrupt("no run record"))?;
    let header: RunHeader =
        serde_json::from_value(header_line.clone()).map_err(|e| corrupt(&e.to_string()))?;
    let mut contacts: BTreeMap<usize, StoredContact> = BTreeMap::new();
    for l in lines.iter().filter(|l| l["kind"] == "contact") {
        let Some(index) = l["index"].as_u64().map(|i| i as usize) else {
            continue;
        };
        let state: Option<State> = serde_json::from_value(l["status"].clone()).ok();
        let at = l["at"].as_str().and_then(|s| s.parse().ok());
        if let Some(target) = l
            .get("target")
            .and_then(|t| serde_json::from_value::<Target>(t.clone()).ok())
        {
            contacts.insert(
                index,
                StoredContact {
                    index,
                    target,
                    invite_id: l["inviteId"].as_str().unwrap_or("").to_string(),
                    state: State::Queued,
                    reason: None,
                    conversation: None,
                    contact_id: None,
                    at,
                },
            );
        }
        let Some(c) = contacts.get_mut(&index) else {
            continue;
        };
        if let Some(s) = state {
            c.state = s;
            c.at = at;
        }
        if let Some(r) = l["reason"].as_str() {
            c.reason = Some(r.to_string());
        }
        if let Some(v) = l["conversation"].as_str() {
            c.conversation = Some(v.to_string());
        }
        if let Some(v) = l["contact"].as_str() {
            c.contact_id = Some(v.to_string());
        }
    }
    Ok(StoredRun {
        header,
        contacts: contacts.into_values().collect(),
        finished: lines.iter().any(|l| l["kind"] == "finished"),
    })
}

/// When each number was last sent an invitation in `org` with `template_hash`, from every
/// journal modified within `window` (older files cannot hold a recent send).
pub fn recent_sends(
    data_dir: &Path,
    org: &str,
    template_hash: &str,
    window: Duration,
) -> BTreeMap<String, (DateTime<Utc>, String)> {
    let mut out: BTreeMap<String, (DateTime<Utc>, String)> = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(runs_dir(data_dir)) else {
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
        let Ok(lines) = read_lines(&entry.path()) else {
            continue;
        };
        for l in lines {
            if l["kind"] == "contact"
                && l["status"] == "sent"
                && l["org"] == org
                && l["templateHash"] == template_hash
            {
                let (Some(e164), Some(at)) = (
                    l["e164"].as_str(),
                    l["at"]
                        .as_str()
                        .and_then(|s| s.parse::<DateTime<Utc>>().ok()),
                ) else {
                    continue;
                };
                if at < since {
                    continue;
                }
                let run = l["run"].as_str().unwrap_or("").to_string();
                let newer = out.get(e164).is_none_or(|(t, _)| at > *t);
                if newer {
                    out.insert(e164.to_string(), (at, run));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(run: &str) -> RunHeader {
        RunHeader {
            run: run.into(),
            org: "o".into(),
            org_name: "Org".into(),
            template_hash: "h".into(),
            template: "name = \"t\"".into(),
            started_at: Utc::now(),
            tool: "test".into(),
        }
    }

    #[test]
    fn a_run_reads_back_with_latest_states_and_survives_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(dir.path(), "r1").unwrap();
        j.header(&header("r1")).unwrap();
        let t = Target {
            e164: "+31612345678".into(),
            ..Target::default()
        };
        j.target(0, &t, "inv-0").unwrap();
        j.target(
            1,
            &Target {
                e164: "+31612345679".into(),
                ..Target::default()
            },
            "inv-1",
        )
        .unwrap();
        let sent = ContactUpdate {
            index: 0,
            e164: t.e164.clone(),
            state: Some(State::Sent),
            conversation: Some("v".into()),
            invite_id: Some("inv-0".into()),
            ..Default::default()
        };
        j.update(
            "o",
            "h",
            &ContactUpdate {
                state: Some(State::Sending),
                ..sent.clone()
            },
        )
        .unwrap();
        j.update("o", "h", &sent).unwrap();
        j.update(
            "o",
            "h",
            &ContactUpdate {
                index: 1,
                e164: "+31612345679".into(),
                state: Some(State::Sending),
                ..Default::default()
            },
        )
        .unwrap();
        // A kill mid-write leaves half a line.
        std::fs::OpenOptions::new()
            .append(true)
            .open(j.path())
            .unwrap()
            .write_all(b"{\"kind\":\"contact\",\"ind")
            .unwrap();
        let run = load_run(dir.path(), "r1").unwrap();
        assert_eq!(run.contacts.len(), 2);
        assert_eq!(run.contacts[0].state, State::Sent);
        assert_eq!(run.contacts[0].conversation.as_deref(), Some("v"));
        assert_eq!(run.contacts[1].state, State::Sending);
        assert_eq!(run.contacts[1].invite_id, "inv-1");
        assert!(!run.finished);
        let recent = recent_sends(dir.path(), "o", "h", Duration::from_secs(3600));
        assert!(recent.contains_key("+31612345678"));
        assert!(!recent.contains_key("+31612345679"));
        assert!(recent_sends(dir.path(), "o", "other", Duration::from_secs(3600)).is_empty());
    }

    #[test]
    fn unknown_runs_are_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            load_run(dir.path(), "nope"),
            Err(JournalError::NoSuchRun(..))
        ));
        assert!(matches!(
            load_run(dir.path(), "../etc/passwd"),
            Err(JournalError::NoSuchRun(..))
        ));
    }
}
