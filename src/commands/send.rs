//! `sms-invite send`: invitations from the command line, with the same engine as the TUI.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{EXIT_FAILED, EXIT_OK, Failure, usage};
use crate::api::models::Organization;
use crate::cli::{Global, SendArgs};
use crate::invite::batch;
use crate::invite::contact::Contact;
use crate::invite::engine::{self, Engine, EngineConfig, Job};
use crate::invite::events::{ContactUpdate, Event, Summary};
use crate::invite::import::{self, ImportReport};
use crate::invite::journal::{self, Journal, RunHeader, RunLock, StoredRun};
use crate::invite::link::{self, LinkChoice, LinkSource};
use crate::invite::phone;
use crate::invite::quiet_hours;
use crate::invite::readiness::{self, Subject};
use crate::invite::target::Target;
use crate::invite::template::Template;
use crate::invite::verdict::Force;
use crate::safe_text::printable;
use crate::{err, err_part, out};
/// What a send works on, fresh or resumed.
struct Prepared {
    org: Organization,
    /// With the run's link address in `clp_url`.
    template: Template,
    link: LinkChoice,
    run_id: String,
    jobs: Vec<Job>,
    /// The run being resumed, held by this process from the start.
    resumed: Option<(StoredRun, RunLock)>,
}

pub async fn run(global: &Global, args: SendArgs) -> Result<u8, Failure> {
    let conn = super::connect(global).await?;
    let data_dir = crate::paths::data_dir();
    let config_dir = crate::paths::config_dir();
    let mut p = match &args.resume {
        Some(run) => prepare_resume(&conn, &data_dir, run).await?,
        None => prepare_fresh(&conn, &config_dir, &args).await?,
    };
    if let Some((stored, _)) = p.resumed.as_ref().filter(|_| p.jobs.is_empty()) {
        err!(
            "Run {}: every contact is already sent or skipped; nothing to do.",
            p.run_id
        );
        if args.json {
            let mut v = serde_json::to_value(stored.summary()).unwrap_or_default();
            v["summary"] = serde_json::json!(true);
            out!("{v}");
        }
        return Ok(EXIT_OK);
    }
    let subject = Subject::for_targets(
        &p.template,
        &p.link,
        conn.local_api(),
        p.jobs.iter().map(|j| &j.target),
        Some(&p.org),
    );
    let report = readiness::assess(&conn.client, &conn.account, Ok(&p.org), &[], &subject).await;
    if !args.json || !report.can_send() {
        err!("SMS readiness of {}", printable(&report.organization));
        super::check::print_report(&mut std::io::stderr(), &report);
    }
    if !report.can_send() {
        return Err(Failure {
            code: EXIT_FAILED,
            message: format!(
                "nothing sent to contacts of {}: {}",
                printable(p.org.label()),
                printable(&report.blocking_summary())
            ),
            hint: Some(
                "fix the lines marked NOT READY above; `sms-invite check ORG` shows them again"
                    .into(),
            ),
        });
    }
    for w in quiet_hours::warnings(&subject.regions, chrono::Utc::now()) {
        err!("warning: quiet hours: {}", printable(&w));
    }
    if !args.dry_run && !args.yes && !confirm(p.org.label(), &p.jobs, &p.template)? {
        err!("Nothing sent.");
        return Ok(EXIT_FAILED);
    }
    let resuming = p.resumed.is_some();
    let journal = if args.dry_run {
        None
    } else if let Some((_, lock)) = p.resumed.take() {
        Some(Arc::new(
            Journal::resume_held(&data_dir, &p.run_id, lock).map_err(journal_failure)?,
        ))
    } else {
        let header = RunHeader::new(&p.run_id, &p.org, &p.template).map_err(journal_failure)?;
        Some(Arc::new(
            Journal::start(&data_dir, &header, &p.jobs).map_err(journal_failure)?,
        ))
    };
    let mut config = EngineConfig::new(data_dir.clone());
    config.concurrency = usize::from(args.concurrency);
    if args.force {
        config.force = Force::ALL;
    }
    config.dry_run = args.dry_run;
    config.cooldown = Duration::from_secs(args.cooldown_hours * 3600);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    let run_id = p.run_id.clone();
    let engine = Arc::new(Engine::new(
        conn.client.clone(),
        p.org,
        p.template,
        config,
        tx,
        cancel.clone(),
    ));
    let jobs = p.jobs;
    let abort = engine.abort_token();
    let task = tokio::spawn({
        let run_id = run_id.clone();
        async move { engine.run(&run_id, jobs, journal).await }
    });
    let mut printer = super::printer::Printer::new(args.json, args.export.is_some());
    let mut interrupts = 0;
    loop {
        tokio::select! {
            event = rx.recv() => match event {
                // The run's last event.
                Some(e @ Event::Finished(_)) => {
                    printer.handle(&e);
                    break;
                }
                Some(e) => printer.handle(&e),
                None => break,
            },
            _ = tokio::signal::ctrl_c(), if interrupts < 2 => {
                interrupts += 1;
                if interrupts == 1 {
                    cancel.cancel();
                    err!("\nStopping: contacts in flight finish, the rest are marked not started (resume with --resume {run_id}). Ctrl-C again to stop waiting for them.");
                } else {
                    abort.cancel();
                    err!("\nStopping now: contacts in flight are marked unknown; --resume {run_id} checks them before sending anything again.");
                }
            }
        }
    }
    let summary: Summary = task.await.map_err(|e| Failure {
        code: EXIT_FAILED,
        message: format!("the send task failed: {e}"),
        hint: None,
    })?;
    // The batch as a whole: a resume (or the TUI's retry) adds to the run's history. Read
    // back only when something here needs it: for a run of 100,000 the journal's records are
    // some 2 KB a contact in memory while they are read.
    let needs_whole = resuming || args.watch.is_some() || args.export.is_some();
    let whole = (!args.dry_run && needs_whole)
        .then(|| journal::load_run(&data_dir, &run_id).ok())
        .flatten();
    if let Some(stored) = whole.as_ref().filter(|_| resuming) {
        err!("Run {run_id} as a whole: {}", stored.summary().counts());
    }
    let sent = summary.exit_code();
    let (code, whole) = match args.watch {
        Some(window) if !args.dry_run && whole.is_some() => {
            let how = super::watch::Watching {
                window,
                client_rate: global.client_rate,
                json: args.json,
            };
            let watched = super::watch::watch(&conn.client, &data_dir, &run_id, how).await;
            // Exported with what watching saw, even when watching stopped on an error.
            let whole = journal::load_run(&data_dir, &run_id).ok().or(whole);
            if let (Some(path), Some(stored)) = (&args.export, &whole) {
                export(path, stored.updates(), Some(&stored.ledger()), &run_id)?;
            }
            // The send's own failure outranks what watching found.
            let watched = watched?;
            return Ok(if sent != EXIT_OK { sent } else { watched });
        }
        _ => (sent, whole),
    };
    if let Some(path) = &args.export {
        let (rows, ledger) = match &whole {
            Some(stored) => (stored.updates(), Some(stored.ledger())),
            None => (printer.results().cloned().collect(), None),
        };
        export(path, rows, ledger.as_ref(), &run_id)?;
    }
    Ok(code)
}

/// The results file, with what following saw where it saw something.
fn export(
    path: &Path,
    rows: Vec<ContactUpdate>,
    ledger: Option<&crate::invite::follow::Ledger>,
    run_id: &str,
) -> Result<(), Failure> {
    let outcomes: Vec<_> = rows
        .iter()
        .map(|u| ledger.and_then(|l| l.outcome(u.index)))
        .collect();
    crate::invite::export::write_results_csv(path, rows.iter().zip(outcomes.iter()), run_id)
        .map_err(|e| Failure {
            code: EXIT_FAILED,
            message: e,
            hint: None,
        })?;
    err!("Results written to {}", absolute(path).display());
    Ok(())
}

/// A journal problem as the user sees it: another process on the run has its own exit code.
pub(super) fn journal_failure(e: journal::JournalError) -> Failure {
    match e {
        journal::JournalError::Busy { .. } => Failure {
            code: super::EXIT_BUSY,
            message: e.to_string(),
            hint: Some(
                "wait for it to finish, or stop it; the run is held until that process ends".into(),
            ),
        },
        e => Failure {
            code: EXIT_FAILED,
            message: e.to_string(),
            hint: Some("check SMS_INVITE_DATA_DIR (space, permissions)".into()),
        },
    }
}

/// A path as the operator can find it again, whatever the working directory was.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

async fn prepare_resume(
    conn: &super::Connected,
    data_dir: &Path,
    run: &str,
) -> Result<Prepared, Failure> {
    // Held before anything is read or asked: a second process on this run stops here.
    let lock = RunLock::acquire(data_dir, run).map_err(journal_failure)?;
    let stored = journal::load_run(data_dir, run)
        .map_err(|e| usage(e.to_string(), "pass a run id printed by an earlier send"))?;
    let template = Template::from_toml(&stored.header.template, "the resumed run's template")
        .map_err(|e| usage(e.to_string(), "the journal is damaged; start a new run"))?;
    let org = conn
        .client
        .organization(&stored.header.org)
        .await
        .map_err(|e| conn.failure(e))?;
    let link = LinkChoice {
        url: template.clp_url.clone(),
        source: LinkSource::Run,
    };
    Ok(Prepared {
        org,
        link,
        template,
        run_id: run.to_string(),
        jobs: engine::jobs_for_resume(&stored),
        resumed: Some((stored, lock)),
    })
}

async fn prepare_fresh(
    conn: &super::Connected,
    config_dir: &Path,
    args: &SendArgs,
) -> Result<Prepared, Failure> {
    let org_arg = args
        .org
        .as_deref()
        .ok_or_else(|| usage("--org is required", "name the organization by id or name"))?;
    let mut template = super::load_template(config_dir, args.template.as_deref())?;
    if let Some(s) = &args.sender_id {
        template.sender_id = s.clone();
    }
    let org = super::resolve_org(&conn.client, org_arg).await?;
    let targets = read_targets(args, template.region_for(Some(&org)))?;
    let book = super::link_book(config_dir)?;
    let link = link::choose(args.clp_url.as_deref(), &book, &org.id, &template.clp_url);
    if let Ok(url) = link::check_clp_url(&link.url, conn.local_api()) {
        // The run sends (and journals) exactly the address the report showed.
        template.clp_url = url;
    }
    Ok(Prepared {
        org,
        template,
        link,
        run_id: journal::new_run_id(),
        jobs: engine::jobs_for(targets),
        resumed: None,
    })
}

/// Contacts from `--phone` (all must be valid) or `--contacts` (bad rows are reported, good
/// rows go on). Imported contacts become targets one by one as the jobs are made, so a big
/// list is not held twice (its compact form and its targets) at once.
fn read_targets(
    args: &SendArgs,
    region: Option<&str>,
) -> Result<Box<dyn Iterator<Item = Target>>, Failure> {
    if args.contact_id.is_some() && args.phones.len() != 1 {
        return Err(usage(
            "--contact-id goes with exactly one --phone",
            "in a CSV file, name the contact in a contactId column",
        ));
    }
    if !args.phones.is_empty() {
        let mut targets: Vec<Target> = Vec::new();
        let mut bad = Vec::new();
        for p in &args.phones {
            match phone::normalize(p, region) {
                Ok(n) if targets.iter().any(|t| t.e164 == n.e164) => {
                    err!("note: {} is {} again; sent once", printable(p), n.e164);
                }
                Ok(n) => targets.push(Target::from_phone(&n)),
                Err(e) => bad.push(format!(
                    "  - {}: {}",
                    printable(&format!("{p:?}")),
                    printable(&e.to_string())
                )),
            }
        }
        if !bad.is_empty() {
            return Err(usage(
                format!("invalid phone number(s), nothing sent:\n{}", bad.join("\n")),
                "give numbers as people type them, e.g. 06 12345678 or +31 6 12345678",
            ));
        }
        if let Some(id) = &args.contact_id {
            if targets.len() != 1 {
                return Err(usage(
                    "--contact-id goes with exactly one --phone",
                    "name one number",
                ));
            }
            targets[0].contact_id = Some(id.clone());
        }
        return Ok(Box::new(targets.into_iter()));
    }
    let Some(path) = &args.contacts else {
        return Err(usage(
            "no contacts given",
            "pass --phone NUMBER (repeatable) or --contacts FILE.csv",
        ));
    };
    // Read as a stream with a row cap, so a huge file is refused in bounded memory.
    let options = import::ImportOptions::new(region).max_rows(import::DEFAULT_MAX_ROWS);
    let imported = if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .take(import::MAX_RECORD_BYTES as u64 * 64)
            .read_to_string(&mut text)
            .map_err(|e| {
                usage(
                    format!("cannot read stdin: {e}"),
                    "pipe a list of names and numbers",
                )
            })?;
        import::import_text_with(&text, &options).map(|report| import::CsvImport {
            report,
            notes: Vec::new(),
        })
    } else {
        import::import_csv_file(path, &options)
    }
    .map_err(|e| usage(e.to_string(), e.hint()))?;
    for note in &imported.notes {
        err!("note: {}", printable(note));
    }
    let report = imported.report;
    report_rows(&report);
    if report.contacts.is_empty() {
        return Err(usage(
            "no usable contacts in the input",
            "fix the rows listed above",
        ));
    }
    Ok(Box::new(
        report.contacts.into_iter().map(|c| Contact::to_target(&c)),
    ))
}

fn report_rows(report: &ImportReport) {
    for e in &report.errors {
        err!(
            "line {}: skipped: {} ({})",
            e.line,
            printable(&e.reason),
            printable(&e.raw)
        );
    }
    for d in &report.duplicates {
        let lines: Vec<String> = d.lines.iter().map(ToString::to_string).collect();
        err!(
            "{} appears on lines {}; sent once",
            d.e164,
            lines.join(", ")
        );
    }
    if !report.errors.is_empty() || !report.duplicates.is_empty() {
        err!(
            "{} contact(s) to invite, {} row(s) skipped, {} duplicate(s).",
            report.contacts.len(),
            report.errors.len(),
            report.duplicates.len()
        );
    }
}

/// Asks on the terminal; above the threshold the operator types the count.
fn confirm(org: &str, jobs: &[Job], template: &Template) -> Result<bool, Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(usage(
            "not sending without confirmation",
            "add --yes to send from a script, or --dry-run to preview",
        ));
    }
    let n = jobs.len();
    let sender = template
        .sender()
        .map(|s| format!(" from \"{}\" (one-way)", printable(s)))
        .unwrap_or_default();
    let expected = if batch::needs_typed_count(n) {
        n.to_string()
    } else {
        "yes".to_string()
    };
    err_part!(
        "Send {n} SMS invitation(s) (2 SMS each){sender} to contacts of {}? Type {expected} to send: ",
        printable(org)
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| usage(format!("cannot read the answer: {e}"), "add --yes"))?;
    Ok(answer.trim().eq_ignore_ascii_case(&expected))
}
