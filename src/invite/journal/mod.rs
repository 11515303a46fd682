//! The run journal: one append-only JSON Lines file per run in the data dir. It is written
//! *before* each send ("sending", with the invite id) and after it, so a run killed at any
//! point can be resumed without sending anything twice: an invitation left at "sending" is
//! reconciled against the platform by its invite id before anything is resent.
//!
//! The token is never part of a record. What a record looks like on disk is `record.rs`.

mod record;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use self::record::{ContactRecord, Entry, FollowRecord, Record, StateRecord, TargetRecord};
use super::cooldown::LastInvite;
use super::events::{ContactUpdate, State, Summary};
use super::follow::{FollowUpdate, Followed, Ledger, Sign};
use super::target::Target;
use super::verdict::Remedy;

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
    /// Another process works on this run; two at once would send twice.
    #[error("run {run} is being worked on by another sms-invite ({holder})")]
    Busy { run: String, holder: String },
    /// An earlier write failed, so the file may end in a partial line; nothing more is
    /// appended to it in this process.
    #[error("the run journal {0} stopped accepting writes after an error")]
    Broken(PathBuf),
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

impl RunHeader {
    /// The header of a new run.
    pub fn new(
        run: &str,
        org: &crate::api::models::Organization,
        template: &crate::invite::template::Template,
    ) -> Result<RunHeader, JournalError> {
        let toml = template.to_toml().map_err(|e| JournalError::Corrupt {
            run: run.to_string(),
            reason: e.to_string(),
        })?;
        Ok(RunHeader {
            run: run.to_string(),
            org: org.id.clone(),
            org_name: org.label().to_string(),
            template_hash: template.template_hash(),
            template: toml,
            started_at: Utc::now(),
            tool: concat!("sms-invite ", env!("CARGO_PKG_VERSION")).to_string(),
        })
    }
}

pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
    run: String,
    /// Set by the first failed write (see [`JournalError::Broken`]).
    broken: std::sync::atomic::AtomicBool,
    /// Held for as long as the journal is open.
    _lock: RunLock,
}

/// A run held by this process: an exclusive lock on `runs/RUN.lock`, which also says who
/// holds it (pid, since when) for the message another process shows. The operating system
/// releases the lock when the process ends, however it ends, so a crash leaves no stale lock.
pub struct RunLock {
    _file: File,
}

impl RunLock {
    /// Takes the run, or says who has it.
    pub fn acquire(data_dir: &Path, run: &str) -> Result<RunLock, JournalError> {
        let dir = runs_dir(data_dir);
        let path = dir.join(format!("{run}.lock"));
        let err = |source| JournalError::Write {
            path: path.clone(),
            source,
        };
        crate::paths::create_private_dir_all(&dir).map_err(err)?;
        let mut file = crate::paths::private_file_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(err)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(JournalError::Busy {
                    run: run.to_string(),
                    holder: describe_holder(&read_holder(&mut file)),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(err(e)),
        }
        let me = json!({"pid": std::process::id(), "since": Utc::now()}).to_string();
        file.set_len(0)
            .and_then(|()| std::io::Seek::rewind(&mut file))
            .and_then(|_| file.write_all(me.as_bytes()))
            .and_then(|()| file.flush())
            .map_err(err)?;
        Ok(RunLock { _file: file })
    }
}

/// "pid 4242, since 10:42:03 UTC" from the lock file's contents.
/// What the holder wrote about itself. It writes just after taking the lock, so a process
/// that lost the race by a moment waits briefly for those few bytes rather than saying it
/// does not know who holds the run.
fn read_holder(file: &mut File) -> String {
    let mut holder = String::new();
    for _ in 0..50 {
        holder.clear();
        let read = std::io::Seek::rewind(file)
            .and_then(|()| std::io::Read::read_to_string(file, &mut holder));
        if read.is_err() || serde_json::from_str::<Value>(&holder).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    holder
}

fn describe_holder(contents: &str) -> String {
    let v: Value = serde_json::from_str(contents).unwrap_or_default();
    match (v["pid"].as_u64(), v["since"].as_str()) {
        (Some(pid), Some(since)) => {
            let since = since
                .parse::<DateTime<Utc>>()
                .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                .unwrap_or_else(|_| since.to_string());
            format!("pid {pid}, since {since}")
        }
        _ => "a process that has not said who it is".to_string(),
    }
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
    /// Starts a run's journal: its header, then every contact with its invite id, all before
    /// the first request, so a crash at any later point leaves a resumable run.
    pub fn start(
        data_dir: &Path,
        header: &RunHeader,
        jobs: &[crate::invite::engine::Job],
    ) -> Result<Journal, JournalError> {
        let j = Journal::open(data_dir, &header.run)?;
        j.header(header)?;
        for job in jobs {
            j.target(job.index, &job.target, &job.invite_id)?;
        }
        j.sync()?;
        Ok(j)
    }

    /// Reopens a run to send what is left of it (a resume or a retry); the attempt is
    /// recorded, and the run's history stays in one file.
    pub fn resume(data_dir: &Path, run: &str) -> Result<Journal, JournalError> {
        let lock = RunLock::acquire(data_dir, run)?;
        Journal::resume_held(data_dir, run, lock)
    }

    /// [`Journal::resume`] for a run this process already holds (it took the lock before
    /// asking anything, so a second process is refused before it even confirms).
    pub fn resume_held(data_dir: &Path, run: &str, lock: RunLock) -> Result<Journal, JournalError> {
        let j = Journal::open_held(data_dir, run, lock)?;
        j.append(&Record::Resumed)?;
        Ok(j)
    }

    /// Creates (or, for a resume, reopens) the journal of `run`, holding the run for this
    /// process, and cuts a torn last line (a kill mid-write) before anything is appended.
    pub fn open(data_dir: &Path, run: &str) -> Result<Journal, JournalError> {
        let lock = RunLock::acquire(data_dir, run)?;
        Journal::open_held(data_dir, run, lock)
    }

    fn open_held(data_dir: &Path, run: &str, lock: RunLock) -> Result<Journal, JournalError> {
        let dir = runs_dir(data_dir);
        let path = dir.join(format!("{run}.jsonl"));
        let err = |source| JournalError::Write {
            path: path.clone(),
            source,
        };
        // Journals hold names and numbers: only their owner may read them.
        crate::paths::create_private_dir_all(&dir).map_err(err)?;
        repair_torn_end(&path).map_err(err)?;
        let file = crate::paths::open_private_append(&path).map_err(err)?;
        Ok(Journal {
            path,
            file: Mutex::new(file),
            run: run.to_string(),
            broken: std::sync::atomic::AtomicBool::new(false),
            _lock: lock,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn run(&self) -> &str {
        &self.run
    }

    /// Appends one record as a single write, so a kill leaves whole lines (or a torn last
    /// line, which the next open cuts). With `durable`, the record is on disk (fsync) before
    /// this returns: the record that says "about to send" must survive a power cut that
    /// the send itself survives. After a failed write nothing more is appended.
    fn append_record(&self, record: &Record, durable: bool) -> Result<(), JournalError> {
        use std::sync::atomic::Ordering;
        if self.broken.load(Ordering::SeqCst) {
            return Err(JournalError::Broken(self.path.clone()));
        }
        let line =
            record::line(record, &self.run, Utc::now()).map_err(|e| JournalError::Write {
                path: self.path.clone(),
                source: std::io::Error::other(e),
            })?;
        let mut f = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let written = f.write_all(line.as_bytes()).and_then(|_| f.flush());
        let written = match written {
            Ok(()) if durable => f.sync_data(),
            other => other,
        };
        written.map_err(|source| {
            self.broken.store(true, Ordering::SeqCst);
            JournalError::Write {
                path: self.path.clone(),
                source,
            }
        })
    }

    fn append(&self, record: &Record) -> Result<(), JournalError> {
        self.append_record(record, false)
    }

    /// Whether a write has failed (the run must stop before its next send).
    pub fn is_broken(&self) -> bool {
        self.broken.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn header(&self, h: &RunHeader) -> Result<(), JournalError> {
        self.append(&Record::Run(h.clone()))
    }

    /// Records a contact of the run (or a changed decision about it, e.g. an override chosen
    /// on a retry); its state is left as it was.
    pub fn target(
        &self,
        index: usize,
        target: &Target,
        invite_id: &str,
    ) -> Result<(), JournalError> {
        self.append(&Record::Contact(ContactRecord::Target(TargetRecord {
            index,
            target: target.clone(),
            invite_id: invite_id.to_string(),
            e164: target.e164.clone(),
        })))
    }

    /// Everything written so far is on disk.
    pub fn sync(&self) -> Result<(), JournalError> {
        let f = self.file.lock().unwrap_or_else(|p| p.into_inner());
        f.sync_data().map_err(|source| {
            self.broken.store(true, std::sync::atomic::Ordering::SeqCst);
            JournalError::Write {
                path: self.path.clone(),
                source,
            }
        })
    }

    /// A contact's new state; "sending" is made durable before it returns, since the POST
    /// follows it.
    pub fn update(
        &self,
        org: &str,
        template_hash: &str,
        u: &ContactUpdate,
    ) -> Result<(), JournalError> {
        let record = StateRecord {
            index: u.index,
            org: Some(org.to_string()),
            template_hash: Some(template_hash.to_string()),
            e164: Some(u.e164.clone()),
            status: Some(u.state()),
            reason: u.reason.clone(),
            invite_id: u.invite_id.clone(),
            contact: u.contact_id.clone(),
            conversation: u.conversation.clone(),
            new_contact: u.new_contact,
            reconciled: u.reconciled,
            warnings: u.warnings.clone(),
            remedy: u.remedy,
        };
        self.append_record(
            &Record::Contact(ContactRecord::State(record)),
            u.state() == State::Sending,
        )
    }

    /// What a follower saw for a sent contact; a resumed watch reads it back and does not
    /// report it again.
    pub fn follow(&self, u: &FollowUpdate) -> Result<(), JournalError> {
        self.append(&Record::Follow(FollowRecord {
            index: u.index,
            sign: u.sign.clone(),
            after_secs: u.after.as_secs(),
        }))
    }

    pub fn finished(&self, s: &Summary) -> Result<(), JournalError> {
        self.append(&Record::Finished {
            summary: Some(s.clone()),
        })
    }
}

/// Cuts a partial last line (a kill mid-write) off the journal, keeping the cut bytes in
/// `RUN.jsonl.torn` beside it, so the next record starts on a line of its own instead of gluing
/// onto the torn one (which would make both unreadable).
fn repair_torn_end(path: &Path) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(());
    }
    // The torn part is at most one record long; read the tail in growing windows.
    let mut window: u64 = 64 * 1024;
    loop {
        let start = len.saturating_sub(window);
        file.seek(SeekFrom::Start(start))?;
        let mut tail = Vec::with_capacity((len - start) as usize);
        file.read_to_end(&mut tail)?;
        if tail.last() == Some(&b'\n') {
            return Ok(());
        }
        let cut = match tail.iter().rposition(|&b| b == b'\n') {
            Some(i) => start + i as u64 + 1,
            None if start == 0 => 0,
            None => {
                window *= 4;
                continue;
            }
        };
        let torn = &tail[(cut - start) as usize..];
        let mut aside = crate::paths::open_private_append(&path.with_extension("jsonl.torn"))?;
        aside.write_all(torn)?;
        aside.write_all(b"\n")?;
        aside.sync_data()?;
        file.set_len(cut)?;
        file.sync_data()?;
        tracing::warn!(
            "journal {}: cut a torn last line of {} bytes (kept in .torn)",
            path.display(),
            torn.len()
        );
        return Ok(());
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
    pub new_contact: Option<bool>,
    pub reconciled: bool,
    pub warnings: Vec<String>,
    pub remedy: Option<Remedy>,
    /// What followers saw in its conversation, oldest first, with how long after the
    /// invitation.
    pub signs: Vec<(Sign, Duration)>,
}

impl StoredContact {
    pub fn new(index: usize, target: Target, invite_id: String) -> StoredContact {
        StoredContact {
            index,
            target,
            invite_id,
            state: State::Queued,
            reason: None,
            conversation: None,
            contact_id: None,
            at: None,
            new_contact: None,
            reconciled: false,
            warnings: Vec::new(),
            remedy: None,
            signs: Vec::new(),
        }
    }

    /// The contact's latest state as the engine reported it.
    pub fn to_update(&self) -> ContactUpdate {
        ContactUpdate {
            index: self.index,
            e164: self.target.e164.clone(),
            name: self.target.full_name(),
            state: Some(self.state),
            reason: self.reason.clone(),
            new_contact: self.new_contact,
            contact_id: self.contact_id.clone(),
            conversation: self.conversation.clone(),
            invite_id: (!self.invite_id.is_empty()).then(|| self.invite_id.clone()),
            reconciled: self.reconciled,
            remedy: self.remedy,
            warnings: self.warnings.clone(),
            preview: None,
        }
    }
}

/// A run read back from its journal.
#[derive(Clone, Debug)]
pub struct StoredRun {
    pub header: RunHeader,
    pub contacts: Vec<StoredContact>,
    pub finished: bool,
}

impl StoredRun {
    /// The whole batch's totals, across every attempt.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::of_states(&self.header.run, self.contacts.iter().map(|c| c.state));
        s.cancelled = !self.finished;
        s
    }

    /// Every contact's latest state, in the run's order.
    pub fn updates(&self) -> Vec<ContactUpdate> {
        self.contacts.iter().map(StoredContact::to_update).collect()
    }

    /// The invitations to follow (every contact sent, with its conversation) and what earlier
    /// followers saw of them.
    pub fn follow_plan(&self) -> (Vec<Followed>, Vec<(usize, Sign, Duration)>) {
        let mut followed = Vec::new();
        let mut known = Vec::new();
        for c in &self.contacts {
            let (State::Sent, Some(conversation)) = (c.state, &c.conversation) else {
                continue;
            };
            followed.push(Followed {
                index: c.index,
                e164: c.target.e164.clone(),
                conversation: conversation.clone(),
                invite_id: c.invite_id.clone(),
                sent_at: c.at.unwrap_or_else(Utc::now),
            });
            known.extend(c.signs.iter().map(|(s, d)| (c.index, s.clone(), *d)));
        }
        (followed, known)
    }

    /// Where each sent invitation stands, from what followers journalled.
    pub fn ledger(&self) -> Ledger {
        let (followed, known) = self.follow_plan();
        let mut l = Ledger::default();
        for f in &followed {
            l.follow(f.index);
        }
        for (i, s, d) in &known {
            l.record(*i, s, *d);
        }
        l
    }

    /// The next free index, for contacts a retry adds (e.g. each of several sharing a phone).
    pub fn next_index(&self) -> usize {
        self.contacts.iter().map(|c| c.index + 1).max().unwrap_or(0)
    }
}

pub fn load_run(data_dir: &Path, run: &str) -> Result<StoredRun, JournalError> {
    let dir = runs_dir(data_dir);
    if run.is_empty() || run.contains(['/', '\\']) || run.starts_with('.') {
        return Err(JournalError::NoSuchRun(run.to_string(), dir));
    }
    let path = dir.join(format!("{run}.jsonl"));
    let entries =
        record::read(&path).map_err(|_| JournalError::NoSuchRun(run.to_string(), dir.clone()))?;
    parse_run(run, &entries)
}

fn parse_run(run: &str, entries: &[Result<Entry, String>]) -> Result<StoredRun, JournalError> {
    let corrupt = |reason: &str| JournalError::Corrupt {
        run: run.to_string(),
        reason: reason.to_string(),
    };
    let header = entries
        .iter()
        .find_map(|e| match e {
            Ok(Entry {
                record: Record::Run(h),
                ..
            }) => Some(h.clone()),
            _ => None,
        })
        .ok_or_else(|| {
            // A header that is there but cannot be read is most likely why there is none.
            let unreadable = entries.iter().find_map(|e| e.as_ref().err());
            corrupt(unreadable.map_or("no run record", String::as_str))
        })?;
    let mut contacts: BTreeMap<usize, StoredContact> = BTreeMap::new();
    for entry in entries.iter().flatten() {
        let record = match &entry.record {
            Record::Contact(record) => record,
            Record::Follow(f) => {
                if let Some(c) = contacts.get_mut(&f.index) {
                    c.signs
                        .push((f.sign.clone(), Duration::from_secs(f.after_secs)));
                }
                continue;
            }
            _ => continue,
        };
        let at = entry.stamp.at;
        match record {
            ContactRecord::Target(t) => match contacts.get_mut(&t.index) {
                // A decision recorded again (a retry's override) keeps the contact's state.
                Some(c) => {
                    c.target = t.target.clone();
                    if !t.invite_id.is_empty() {
                        c.invite_id = t.invite_id.clone();
                    }
                }
                None => {
                    let mut c = StoredContact::new(t.index, t.target.clone(), t.invite_id.clone());
                    c.at = at;
                    contacts.insert(t.index, c);
                }
            },
            ContactRecord::State(s) => {
                let Some(c) = contacts.get_mut(&s.index) else {
                    continue;
                };
                if let Some(state) = s.status {
                    c.state = state;
                    c.at = at;
                    // Each state report says all there is to say: an old reason does not linger.
                    c.reason = s.reason.clone();
                    c.remedy = s.remedy;
                    c.warnings = s.warnings.clone();
                    if let Some(v) = s.new_contact {
                        c.new_contact = Some(v);
                    }
                    c.reconciled = s.reconciled;
                }
                if let Some(v) = &s.conversation {
                    c.conversation = Some(v.clone());
                }
                if let Some(v) = &s.contact {
                    c.contact_id = Some(v.clone());
                }
            }
        }
    }
    // Finished unless a later attempt started again.
    let finished = entries
        .iter()
        .rev()
        .flatten()
        .find_map(|e| match e.record {
            Record::Finished { .. } => Some(true),
            Record::Resumed => Some(false),
            _ => None,
        })
        .unwrap_or(false);
    Ok(StoredRun {
        header,
        contacts: contacts.into_values().collect(),
        finished,
    })
}

/// Every number this journal records as sent in `org` with `template_hash`, with when and in
/// which run: what the cooldown reads.
pub fn sends_in(path: &Path, org: &str, template_hash: &str) -> Vec<(String, LastInvite)> {
    let Ok(entries) = record::read(path) else {
        return Vec::new();
    };
    entries
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let Record::Contact(ContactRecord::State(s)) = e.record else {
                return None;
            };
            let matches = s.status == Some(State::Sent)
                && s.org.as_deref() == Some(org)
                && s.template_hash.as_deref() == Some(template_hash);
            if !matches {
                return None;
            }
            let at = e.stamp.at?;
            let run = e.stamp.run.unwrap_or_default();
            Some((s.e164?, LastInvite { at, run }))
        })
        .collect()
}

/// One journalled run as the runs list shows it.
#[derive(Clone, Debug)]
pub struct RunListing {
    pub run: StoredRun,
    /// The journal's last change.
    pub modified: Option<DateTime<Utc>>,
}

/// Every run in the data dir, newest first. Unreadable journals are logged and left out.
pub fn list_runs(data_dir: &Path) -> Vec<RunListing> {
    let Ok(entries) = std::fs::read_dir(runs_dir(data_dir)) else {
        return Vec::new();
    };
    let mut out: Vec<RunListing> = entries
        .flatten()
        .filter(|e| e.path().extension().and_then(|x| x.to_str()) == Some("jsonl"))
        .filter_map(|e| {
            let path = e.path();
            let run = path.file_stem()?.to_str()?.to_string();
            let modified = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .map(DateTime::<Utc>::from);
            match load_run(data_dir, &run) {
                Ok(run) => Some(RunListing { run, modified }),
                Err(err) => {
                    tracing::warn!("run {run} left out of the list: {err}");
                    None
                }
            }
        })
        .collect();
    out.sort_by_key(|l| std::cmp::Reverse(l.run.header.started_at));
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
        let sent: Vec<String> = sends_in(j.path(), "o", "h")
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(sent, vec!["+31612345678"]);
        assert!(sends_in(j.path(), "o", "other").is_empty());
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
