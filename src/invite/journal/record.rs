//! The journal's records as they are on disk, one JSON object per line. Writing and reading
//! both go through [`Record`], so every name on disk is spelled once, here. The names must
//! never change: a resume reads journals that earlier versions wrote. A record of a kind this
//! version does not know (written by a newer one) is skipped, not an error.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Value, json};

use super::RunHeader;
use crate::invite::events::{State, Summary};
use crate::invite::follow::Sign;
use crate::invite::target::Target;
use crate::invite::verdict::Remedy;

/// One line of a journal, apart from the stamp every line gets (see [`line`]).
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub(super) enum Record {
    /// The first record of a run: what a resume needs without the original input.
    Run(RunHeader),
    /// Who a contact is, or a new state of it; both have the kind "contact".
    Contact(ContactRecord),
    /// Another attempt at the run started (a resume or a retry).
    Resumed,
    /// Something a follower saw in a sent contact's conversation: it came back, or the
    /// platform reported a problem.
    Follow(FollowRecord),
    /// An attempt ended.
    Finished {
        #[serde(default, deserialize_with = "lenient")]
        summary: Option<Summary>,
    },
    /// A kind from a newer version: skipped, so its journals still load here.
    #[serde(other)]
    Unknown,
}

/// The two records of kind "contact", told apart by whether they carry a `target`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub(super) enum ContactRecord {
    Target(TargetRecord),
    State(StateRecord),
}

/// A contact of the run with its invite id, written before the first send (and again when a
/// retry changes the decision about it). Versions before the state records also wrote
/// `"status": "queued"` here, which says nothing a new contact does not already say.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TargetRecord {
    pub(super) index: usize,
    pub(super) target: Target,
    #[serde(default, deserialize_with = "lenient")]
    pub(super) invite_id: String,
    #[serde(default, deserialize_with = "lenient")]
    pub(super) e164: String,
}

/// A contact's new state as the engine reported it. `org` and `templateHash` are here, not
/// only in the header, so the cooldown can read sends without reading whole runs.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StateRecord {
    pub(super) index: usize,
    #[serde(default, deserialize_with = "lenient")]
    pub(super) org: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub(super) template_hash: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub(super) e164: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub(super) status: Option<State>,
    #[serde(default, deserialize_with = "lenient")]
    pub(super) reason: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub(super) invite_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub(super) contact: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub(super) conversation: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub(super) new_contact: Option<bool>,
    #[serde(default, deserialize_with = "lenient")]
    pub(super) reconciled: bool,
    #[serde(default, deserialize_with = "lenient")]
    pub(super) warnings: Vec<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub(super) remedy: Option<Remedy>,
}

/// A sign for contact `index`, `afterSecs` after its invitation reached the platform.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FollowRecord {
    pub(super) index: usize,
    pub(super) sign: Sign,
    #[serde(default, deserialize_with = "lenient")]
    pub(super) after_secs: u64,
}

/// What every line carries besides its record: the run, and when it was written.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Stamp {
    #[serde(default, deserialize_with = "lenient")]
    pub(super) run: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub(super) at: Option<DateTime<Utc>>,
}

/// One line read back.
#[derive(Debug)]
pub(super) struct Entry {
    pub(super) record: Record,
    pub(super) stamp: Stamp,
}

/// A field as the journal has always read it: a value of the wrong type counts as absent, so
/// one odd field (a state a newer version added, say) does not cost the rest of its record.
fn lenient<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    let value = Value::deserialize(d)?;
    Ok(serde_json::from_value(value).unwrap_or_default())
}

/// The line for `record`, stamped with its run and time, ending in a newline.
pub(super) fn line(record: &Record, run: &str, at: DateTime<Utc>) -> serde_json::Result<String> {
    let mut value = serde_json::to_value(record)?;
    value["run"] = json!(run);
    value["at"] = json!(at);
    let mut line = value.to_string();
    line.push('\n');
    Ok(line)
}

/// Every line of a journal: a record, or why a line of JSON is no record this version can read
/// (so a header that cannot be read can say why). A line that is not JSON at all, a torn last
/// line left by a kill mid-write, is skipped.
pub(super) fn read(path: &Path) -> std::io::Result<Vec<Result<Entry, String>>> {
    let f = File::open(path)?;
    Ok(BufReader::new(f)
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str::<Value>(&l).ok())
        .map(|v| {
            let record = Record::deserialize(&v).map_err(|e| e.to_string())?;
            let stamp = Stamp::deserialize(&v).unwrap_or_default();
            Ok(Entry { record, stamp })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::super::{load_run, runs_dir, sends_in};
    use super::*;

    /// What this version writes, copied from a journal it wrote: a header, two contacts, three
    /// states (one reconciled with a warning, one skipped with a remedy), the end of an attempt
    /// and the start of the next.
    const WRITTEN: &str = r##"{"run":"20250301T101500-1a2b","org":"5ee7372448d9940011151f42","orgName":"Acme Garage","templateHash":"3f1c0a9e5b7d2c44","template":"name = \"default\"\ncountry = \"NL\"\n","startedAt":"2025-03-01T10:15:00Z","tool":"sms-invite 0.1.0","kind":"run","at":"2026-12-02T06:29:12.645285319Z"}
{"kind":"contact","index":0,"target":{"e164":"+31612345678","national":"0612345678","givenName":"Jan","familyName":"Jansen","extra":{"plate":"AB-12-CD"}},"inviteId":"inv-0","e164":"+31612345678","run":"20250301T101500-1a2b","at":"2026-12-02T06:29:12.645390466Z"}
{"kind":"contact","index":1,"target":{"e164":"+31612345679","national":""},"inviteId":"inv-1","e164":"+31612345679","run":"20250301T101500-1a2b","at":"2026-12-02T06:29:12.645408319Z"}
{"kind":"contact","index":0,"org":"5ee7372448d9940011151f42","templateHash":"3f1c0a9e5b7d2c44","e164":"+31612345678","status":"sending","reason":null,"inviteId":"inv-0","contact":"c0","conversation":"v0","newContact":false,"reconciled":false,"warnings":[],"remedy":null,"run":"20250301T101500-1a2b","at":"2026-12-02T06:29:12.645461459Z"}
{"kind":"contact","index":0,"org":"5ee7372448d9940011151f42","templateHash":"3f1c0a9e5b7d2c44","e164":"+31612345678","status":"sent","reason":null,"inviteId":"inv-0","contact":"c0","conversation":"v0","newContact":false,"reconciled":true,"warnings":["forced: sent although Piet holds the conversation"],"remedy":null,"run":"20250301T101500-1a2b","at":"2026-12-02T06:29:12.648218449Z"}
{"kind":"contact","index":1,"org":"5ee7372448d9940011151f42","templateHash":"3f1c0a9e5b7d2c44","e164":"+31612345679","status":"skipped","reason":"2 contacts have this number","inviteId":"inv-1","contact":null,"conversation":null,"newContact":null,"reconciled":false,"warnings":[],"remedy":"name_contact","run":"20250301T101500-1a2b","at":"2026-12-02T06:29:12.648262612Z"}
{"kind":"finished","summary":{"runId":"20250301T101500-1a2b","total":2,"sent":1,"skipped":1,"failed":0,"unknown":0,"notStarted":0,"wouldSend":0,"elapsedMs":1234,"requests":7,"cancelled":false},"run":"20250301T101500-1a2b","at":"2026-12-02T06:29:12.648289041Z"}
{"kind":"resumed","run":"20250301T101500-1a2b","at":"2026-12-02T06:29:12.648303258Z"}
"##;

    fn journal_with(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let runs = runs_dir(dir.path());
        std::fs::create_dir_all(&runs).unwrap();
        let path = runs.join("20250301T101500-1a2b.jsonl");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn a_journal_in_the_written_format_loads() {
        let (dir, path) = journal_with(WRITTEN);
        let run = load_run(dir.path(), "20250301T101500-1a2b").unwrap();
        assert_eq!(run.header.org, "5ee7372448d9940011151f42");
        assert_eq!(run.header.org_name, "Acme Garage");
        assert_eq!(run.header.template_hash, "3f1c0a9e5b7d2c44");
        assert_eq!(run.header.tool, "sms-invite 0.1.0");
        assert_eq!(run.contacts.len(), 2);
        let jan = &run.contacts[0];
        assert_eq!(jan.target.given_name.as_deref(), Some("Jan"));
        assert_eq!(
            jan.target.extra.get("plate").map(String::as_str),
            Some("AB-12-CD")
        );
        assert_eq!(jan.invite_id, "inv-0");
        assert_eq!(jan.state, State::Sent);
        assert_eq!(jan.conversation.as_deref(), Some("v0"));
        assert_eq!(jan.contact_id.as_deref(), Some("c0"));
        assert_eq!(jan.new_contact, Some(false));
        assert!(jan.reconciled);
        assert_eq!(
            jan.warnings,
            vec!["forced: sent although Piet holds the conversation"]
        );
        assert_eq!(
            jan.at.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-12-02T06:29:12.648218449+00:00")
        );
        let other = &run.contacts[1];
        assert_eq!(other.state, State::Skipped);
        assert_eq!(other.reason.as_deref(), Some("2 contacts have this number"));
        assert_eq!(other.remedy, Some(Remedy::NameContact));
        assert_eq!(other.invite_id, "inv-1");
        assert!(!run.finished, "a resume followed the finish");
        let sent = sends_in(&path, "5ee7372448d9940011151f42", "3f1c0a9e5b7d2c44");
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].0, "+31612345678");
        assert_eq!(sent[0].1.run, "20250301T101500-1a2b");
    }

    #[test]
    fn records_keep_the_written_field_names() {
        let header = RunHeader {
            run: "r".into(),
            org: "o".into(),
            org_name: "O".into(),
            template_hash: "h".into(),
            template: String::new(),
            started_at: Utc::now(),
            tool: "t".into(),
        };
        let target = TargetRecord {
            index: 0,
            target: Target::default(),
            invite_id: "i".into(),
            e164: "+31612345678".into(),
        };
        let state = StateRecord {
            index: 0,
            org: Some("o".into()),
            template_hash: Some("h".into()),
            e164: Some("+31612345678".into()),
            status: Some(State::Sent),
            reason: None,
            invite_id: None,
            contact: None,
            conversation: None,
            new_contact: None,
            reconciled: false,
            warnings: Vec::new(),
            remedy: None,
        };
        let records = [
            Record::Run(header),
            Record::Contact(ContactRecord::Target(target)),
            Record::Contact(ContactRecord::State(state)),
            Record::Finished {
                summary: Some(Summary::default()),
            },
            Record::Resumed,
        ];
        let keys = |line: &str| {
            let v: Value = serde_json::from_str(line).unwrap();
            let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            keys.sort();
            (v["kind"].as_str().unwrap().to_string(), keys)
        };
        let written: Vec<_> = WRITTEN.lines().map(keys).collect();
        let ours: Vec<_> = records
            .iter()
            .map(|r| keys(&line(r, "r", Utc::now()).unwrap()))
            .collect();
        let distinct = |mut v: Vec<(String, Vec<String>)>| {
            v.sort();
            v.dedup();
            v
        };
        assert_eq!(distinct(ours), distinct(written));
    }

    #[test]
    fn older_and_newer_records_load() {
        let text = concat!(
            r#"{"run":"r","org":"o","orgName":"O","templateHash":"h","template":"","startedAt":"2025-03-01T10:15:00Z","tool":"sms-invite 0.1.0","kind":"run","at":"2025-03-01T10:15:00Z"}"#,
            "\n",
            // Earlier versions wrote a state into the target record.
            r#"{"kind":"contact","index":0,"target":{"e164":"+31612345678","national":"0612345678"},"inviteId":"inv-0","e164":"+31612345678","status":"queued","run":"r","at":"2025-03-01T10:15:01Z"}"#,
            "\n",
            // A kind, a state and a summary from a newer version.
            r#"{"kind":"note","text":"from the future","run":"r","at":"2025-03-01T10:15:02Z"}"#,
            "\n",
            r#"{"kind":"contact","index":0,"status":"bounced","conversation":"v0","run":"r","at":"2025-03-01T10:15:03Z"}"#,
            "\n",
            r#"{"kind":"finished","summary":{"total":"many"},"run":"r","at":"2025-03-01T10:15:04Z"}"#,
            "\n",
        );
        let (dir, _) = journal_with(text);
        let run = load_run(dir.path(), "20250301T101500-1a2b").unwrap();
        assert_eq!(run.contacts.len(), 1);
        let c = &run.contacts[0];
        assert_eq!((c.state, c.invite_id.as_str()), (State::Queued, "inv-0"));
        assert_eq!(c.conversation.as_deref(), Some("v0"));
        assert!(run.finished);
    }

    #[test]
    fn a_header_that_cannot_be_read_says_why() {
        let (dir, _) = journal_with("{\"kind\":\"run\",\"run\":\"r\"}\n");
        let err = load_run(dir.path(), "20250301T101500-1a2b").unwrap_err();
        assert!(err.to_string().contains("missing field"), "{err}");
    }
}
