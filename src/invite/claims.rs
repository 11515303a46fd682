//! Claims: which run is inviting which number right now, shared by every process on this
//! machine through one ledger in the data dir.
//!
//! The cooldown read once at the start of a run cannot see a second run started a moment
//! later over the same list: both would find the numbers free and invite them twice. So each
//! contact is claimed at send time, under an exclusive lock on `claims.lock`, after re-reading
//! what other runs appended to `claims.jsonl` since this process last looked. A number another
//! run claimed (and did not release) within the cooldown is skipped, unless forced. A claim is
//! released when its contact ends without an invitation (failed, not started), and kept when it
//! was sent or might have been (unknown), which is what the cooldown is about.
//!
//! The ledger only grows between prunes; each process reads only the bytes it has not seen.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::cooldown::LastInvite;

/// Claims older than this are dropped when the ledger is pruned; no cooldown is longer.
const KEEP: Duration = Duration::from_secs(30 * 24 * 3600);
/// Past this size the ledger is rewritten without the claims it no longer needs; after a
/// rewrite, only once it has doubled again (live claims alone may exceed this, and a rewrite
/// per claim would make a large run quadratic: 28,000 claims took 4.5 MB per send).
const PRUNE_ABOVE: u64 = 4 * 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Record {
    e164: String,
    org: String,
    #[serde(rename = "templateHash")]
    template_hash: String,
    run: String,
    at: DateTime<Utc>,
    /// The claim ends: its contact got no invitation.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    release: bool,
}

/// What the ledger says about one number in one organization with one template.
#[derive(Clone, Debug, Default)]
struct Known {
    /// The live claim (not released), the newest, and the run holding it.
    claim: Option<(DateTime<Utc>, Arc<str>)>,
}

/// The claims of one organization and template, by number.
type Group = ((String, String), HashMap<String, Known>);

#[derive(Default)]
struct Seen {
    /// How far into `claims.jsonl` this process has read.
    offset: u64,
    /// The ledger's size after this process last rewrote it.
    pruned_to: u64,
    /// How many times this process rewrote it.
    prunes: usize,
    /// By organization and template, then by number: the claims of a run of 100,000 share
    /// those two and their run id, so each is held once rather than per claim.
    groups: Vec<Group>,
    runs: HashSet<Arc<str>>,
}

impl Seen {
    fn known(&self, s: Subject<'_>) -> Option<&Known> {
        self.groups
            .iter()
            .find(|((org, hash), _)| org == s.org && hash == s.template_hash)
            .and_then(|(_, by_number)| by_number.get(s.e164))
    }

    /// Another run's live claim on `s` within `window`.
    fn other_claim(
        &self,
        s: Subject<'_>,
        run: &str,
        window: Duration,
        now: DateTime<Utc>,
    ) -> Option<LastInvite> {
        self.known(s)
            .and_then(|k| k.claim.as_ref())
            .filter(|(at, by)| &**by != run && is_within(*at, now, window))
            .map(|(at, by)| LastInvite {
                at: *at,
                run: by.to_string(),
            })
    }
}

/// The claims ledger of a data dir.
pub struct Ledger {
    path: PathBuf,
    lock_path: PathBuf,
    seen: Mutex<Seen>,
    prune_above: u64,
}

/// What a number, org and template are.
#[derive(Clone, Copy, Debug)]
pub struct Subject<'a> {
    pub e164: &'a str,
    pub org: &'a str,
    pub template_hash: &'a str,
}

impl Ledger {
    pub fn new(data_dir: &Path) -> Ledger {
        Ledger {
            path: data_dir.join("claims.jsonl"),
            lock_path: data_dir.join("claims.lock"),
            seen: Mutex::new(Seen::default()),
            prune_above: PRUNE_ABOVE,
        }
    }

    /// Claims `subject` for `run`, unless another run holds a claim on it younger than
    /// `window` (then that claim is returned and nothing is written). `force` claims anyway.
    pub fn claim(
        &self,
        subject: Subject<'_>,
        run: &str,
        window: Duration,
        force: bool,
    ) -> std::io::Result<Option<LastInvite>> {
        self.locked(|file, seen| {
            catch_up(file, seen)?;
            if let Some(holder) = seen.other_claim(subject, run, window, Utc::now())
                && !force
            {
                return Ok(Some(holder));
            }
            append(file, seen, subject, run, false)?;
            Ok(None)
        })
    }

    /// Ends `run`'s claim on `subject` (its contact got no invitation).
    pub fn release(&self, subject: Subject<'_>, run: &str) -> std::io::Result<()> {
        self.locked(|file, seen| {
            catch_up(file, seen)?;
            let held = seen
                .known(subject)
                .and_then(|k| k.claim.as_ref())
                .is_some_and(|(_, by)| &**by == run);
            if held {
                append(file, seen, subject, run, true)?;
            }
            Ok(())
        })
    }

    /// Another run's live claim on `subject` within `window`, read without claiming (a dry
    /// run, which sends nothing).
    pub fn holder(
        &self,
        subject: Subject<'_>,
        run: &str,
        window: Duration,
    ) -> std::io::Result<Option<LastInvite>> {
        self.locked(|file, seen| {
            catch_up(file, seen)?;
            Ok(seen.other_claim(subject, run, window, Utc::now()))
        })
    }

    /// Runs `f` holding the machine-wide lock, with the ledger open for reading and appending.
    fn locked<R>(
        &self,
        f: impl FnOnce(&mut File, &mut Seen) -> std::io::Result<R>,
    ) -> std::io::Result<R> {
        if let Some(dir) = self.path.parent() {
            crate::paths::create_private_dir_all(dir)?;
        }
        let lock = crate::paths::private_file_options()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&self.lock_path)?;
        lock.lock()?;
        let mut file = crate::paths::private_file_options()
            .read(true)
            .append(true)
            .create(true)
            .open(&self.path)?;
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let result = f(&mut file, &mut seen);
        let pruned = match &result {
            Ok(_) => self.prune_if_large(&mut seen),
            Err(_) => Ok(()),
        };
        drop(lock);
        pruned.and(result)
    }

    /// Rewrites the ledger without claims older than any cooldown, once it has grown large.
    fn prune_if_large(&self, seen: &mut Seen) -> std::io::Result<()> {
        if seen.offset < self.prune_above.max(2 * seen.pruned_to) {
            return Ok(());
        }
        let since = Utc::now() - chrono::Duration::from_std(KEEP).unwrap_or(chrono::Duration::MAX);
        let tmp = self.path.with_extension("jsonl.tmp");
        let mut out = crate::paths::create_private_file(&tmp)?;
        let mut written = 0u64;
        let claims = seen.groups.iter().flat_map(|((org, hash), by_number)| {
            by_number.iter().map(move |(e164, k)| (org, hash, e164, k))
        });
        for (org, template_hash, e164, k) in claims {
            if let Some((at, run)) = k.claim.as_ref().filter(|(at, _)| *at >= since) {
                let r = Record {
                    e164: e164.clone(),
                    org: org.clone(),
                    template_hash: template_hash.clone(),
                    run: run.to_string(),
                    at: *at,
                    release: false,
                };
                let mut line = serde_json::to_string(&r).map_err(std::io::Error::other)?;
                line.push('\n');
                out.write_all(line.as_bytes())?;
                written += line.len() as u64;
            }
        }
        out.sync_data()?;
        std::fs::rename(&tmp, &self.path)?;
        seen.offset = written;
        seen.pruned_to = written;
        seen.prunes += 1;
        for (_, by_number) in &mut seen.groups {
            by_number.retain(|_, k| k.claim.is_some());
        }
        Ok(())
    }
}

/// Reads what other processes appended since this one last looked.
fn catch_up(file: &mut File, seen: &mut Seen) -> std::io::Result<()> {
    let len = file.metadata()?.len();
    if len < seen.offset {
        // Pruned by another process: read it all again.
        *seen = Seen::default();
    }
    file.seek(SeekFrom::Start(seen.offset))?;
    let mut reader = BufReader::new(file.take(len - seen.offset));
    let mut line = String::new();
    loop {
        line.clear();
        let n = reader.read_line(&mut line)?;
        if n == 0 || !line.ends_with('\n') {
            // A line still being written (or torn) is read again next time.
            break;
        }
        seen.offset += n as u64;
        if let Ok(r) = serde_json::from_str::<Record>(&line) {
            apply(seen, r);
        }
    }
    Ok(())
}

fn append(
    file: &mut File,
    seen: &mut Seen,
    subject: Subject<'_>,
    run: &str,
    release: bool,
) -> std::io::Result<()> {
    let r = Record {
        e164: subject.e164.to_string(),
        org: subject.org.to_string(),
        template_hash: subject.template_hash.to_string(),
        run: run.to_string(),
        at: Utc::now(),
        release,
    };
    let mut line = serde_json::to_string(&r).map_err(std::io::Error::other)?;
    line.push('\n');
    // A line torn by a kill is closed first, or this record would glue onto it.
    let len = file.metadata()?.len();
    if len > 0 {
        let mut last = [0u8; 1];
        file.seek(SeekFrom::Start(len - 1))?;
        file.read_exact(&mut last)?;
        if last[0] != b'\n' {
            line.insert(0, '\n');
        }
    }
    file.write_all(line.as_bytes())?;
    // On disk before the send it allows.
    file.sync_data()?;
    seen.offset = len + line.len() as u64;
    apply(seen, r);
    Ok(())
}

fn apply(seen: &mut Seen, r: Record) {
    let run: Arc<str> = match seen.runs.get(r.run.as_str()) {
        Some(run) => run.clone(),
        None => {
            let run: Arc<str> = Arc::from(r.run);
            seen.runs.insert(run.clone());
            run
        }
    };
    let at = match seen
        .groups
        .iter()
        .position(|((org, hash), _)| *org == r.org && *hash == r.template_hash)
    {
        Some(i) => i,
        None => {
            seen.groups.push(((r.org, r.template_hash), HashMap::new()));
            seen.groups.len() - 1
        }
    };
    let k = seen.groups[at].1.entry(r.e164).or_default();
    if r.release {
        if k.claim.as_ref().is_some_and(|(_, by)| *by == run) {
            k.claim = None;
        }
    } else if k.claim.as_ref().is_none_or(|(at, _)| r.at >= *at) {
        k.claim = Some((r.at, run));
    }
}

fn is_within(at: DateTime<Utc>, now: DateTime<Utc>, window: Duration) -> bool {
    now - at < chrono::Duration::from_std(window).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(24 * 3600);

    fn who(n: &str) -> Subject<'_> {
        Subject {
            e164: n,
            org: "o",
            template_hash: "h",
        }
    }

    #[test]
    fn a_number_is_claimed_once_across_ledgers_of_one_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        // Two processes: two ledgers on one folder.
        let a = Ledger::new(dir.path());
        let b = Ledger::new(dir.path());
        assert!(a.claim(who("+1"), "run-a", DAY, false).unwrap().is_none());
        let held = b.claim(who("+1"), "run-b", DAY, false).unwrap();
        assert_eq!(held.map(|h| h.run), Some("run-a".to_string()));
        // The same run may claim again (a resume); forcing claims anyway.
        assert!(a.claim(who("+1"), "run-a", DAY, false).unwrap().is_none());
        assert!(b.claim(who("+1"), "run-b", DAY, true).unwrap().is_none());
        // Another number, organization or template is another claim.
        assert!(b.claim(who("+2"), "run-b", DAY, false).unwrap().is_none());
        let other = Subject {
            template_hash: "h2",
            ..who("+2")
        };
        assert!(a.claim(other, "run-a", DAY, false).unwrap().is_none());
    }

    #[test]
    fn a_released_claim_frees_the_number_and_an_old_one_expires() {
        let dir = tempfile::tempdir().unwrap();
        let a = Ledger::new(dir.path());
        let b = Ledger::new(dir.path());
        a.claim(who("+1"), "run-a", DAY, false).unwrap();
        // Only the holder can release.
        b.release(who("+1"), "run-b").unwrap();
        assert!(b.holder(who("+1"), "run-b", DAY).unwrap().is_some());
        a.release(who("+1"), "run-a").unwrap();
        assert!(b.holder(who("+1"), "run-b", DAY).unwrap().is_none());
        assert!(b.claim(who("+1"), "run-b", DAY, false).unwrap().is_none());
        // A claim older than the window does not hold.
        assert!(
            a.claim(who("+1"), "run-a", Duration::from_nanos(1), false)
                .unwrap()
                .is_none()
        );
    }

    /// Live claims beyond the size that triggers a rewrite: the ledger is rewritten a few
    /// times as it doubles, not once per claim, and keeps every claim.
    #[test]
    fn a_ledger_of_many_live_claims_is_not_rewritten_per_claim() {
        let dir = tempfile::tempdir().unwrap();
        let a = Ledger {
            prune_above: 2048,
            ..Ledger::new(dir.path())
        };
        let numbers: Vec<String> = (0..400).map(|i| format!("+3165{i:07}")).collect();
        for n in &numbers {
            assert!(a.claim(who(n), "run-a", DAY, false).unwrap().is_none());
        }
        let prunes = a.seen.lock().unwrap().prunes;
        // 400 claims of about 140 bytes: 56 KB, from 2 KB by doublings.
        assert!((1..=8).contains(&prunes), "{prunes} rewrites");
        let b = Ledger::new(dir.path());
        for n in &numbers {
            assert!(b.holder(who(n), "run-b", DAY).unwrap().is_some(), "{n}");
        }
    }

    #[test]
    fn a_torn_last_line_is_read_once_it_is_whole() {
        let dir = tempfile::tempdir().unwrap();
        let a = Ledger::new(dir.path());
        a.claim(who("+1"), "run-a", DAY, false).unwrap();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.path().join("claims.jsonl"))
            .unwrap();
        f.write_all(b"{\"e164\":\"+2\",\"org\":\"o\"").unwrap();
        let b = Ledger::new(dir.path());
        assert!(b.holder(who("+1"), "x", DAY).unwrap().is_some());
        assert!(b.holder(who("+2"), "x", DAY).unwrap().is_none());
        // The next claim starts on a line of its own and is read by everyone.
        b.claim(who("+3"), "run-b", DAY, false).unwrap();
        let c = Ledger::new(dir.path());
        assert!(c.holder(who("+3"), "x", DAY).unwrap().is_some());
        assert!(c.holder(who("+1"), "x", DAY).unwrap().is_some());
    }
}
