//! `sms-invite send`: invitations from the command line, with the same engine as the TUI.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{Failure, usage};
use crate::api::Client;
use crate::cli::{Global, SendArgs};
use crate::invite::contact::Contact;
use crate::invite::engine::{self, Engine, EngineConfig, Job};
use crate::invite::events::Summary;
use crate::invite::import::{self, ImportReport};
use crate::invite::journal::{self, Journal, RunHeader};
use crate::invite::phone;
use crate::invite::readiness::{self, Verdict};
use crate::invite::target::Target;
use crate::invite::template::Template;

pub async fn run(global: &Global, args: SendArgs) -> Result<u8, Failure> {
    let client = super::client(global)?;
    let data_dir = crate::paths::data_dir();
    let (org, template, run_id, jobs, resumed) = match &args.resume {
        Some(run) => {
            let stored = journal::load_run(&data_dir, run)
                .map_err(|e| usage(e.to_string(), "pass a run id printed by an earlier send"))?;
            let template =
                Template::from_toml(&stored.header.template, "the resumed run's template")
                    .map_err(|e| usage(e.to_string(), "the journal is damaged; start a new run"))?;
            let org = client.organization(&stored.header.org).await?;
            let jobs = engine::jobs_for_resume(&stored);
            if jobs.is_empty() {
                eprintln!("Run {run}: every contact is already sent or skipped; nothing to do.");
                if args.json {
                    let mut s = crate::invite::events::Summary {
                        run_id: run.clone(),
                        ..Default::default()
                    };
                    for c in &stored.contacts {
                        s.count(c.state);
                    }
                    s.total = stored.contacts.len();
                    let mut v = serde_json::to_value(&s).unwrap_or_default();
                    v["summary"] = serde_json::json!(true);
                    println!("{v}");
                }
                return Ok(0);
            }
            (org, template, run.clone(), jobs, true)
        }
        None => {
            let org_arg = args
                .org
                .as_deref()
                .ok_or_else(|| usage("--org is required", "name the organization by id or name"))?;
            let mut template = super::load_template(args.template.as_deref())?;
            if let Some(url) = &args.clp_url {
                template.clp_url = url.clone();
            }
            if let Some(s) = &args.sender_id {
                template.sender_id = s.clone();
            }
            let targets = read_targets(&args, &template)?;
            let extra: Vec<&str> = targets
                .iter()
                .flat_map(|t| t.extra.keys().map(String::as_str))
                .collect();
            if let Err(problems) = template.validate(&extra) {
                let list: Vec<String> = problems.0.iter().map(|p| format!("  - {p}")).collect();
                return Err(usage(
                    format!("the template cannot be used:\n{}", list.join("\n")),
                    "fix the template, or pass --clp-url / --sender-id",
                ));
            }
            let org = super::resolve_org(&client, org_arg).await?;
            (
                org,
                template,
                journal::new_run_id(),
                engine::jobs_for(targets),
                false,
            )
        }
    };
    if !resumed {
        refuse_without_sms(&client, &org, args.force).await?;
        warn_sender_countries(&template, &jobs);
    }
    if !args.dry_run && !args.yes && !confirm(org.label(), &jobs, &template)? {
        eprintln!("Nothing sent.");
        return Ok(1);
    }
    let journal = if args.dry_run {
        None
    } else {
        let j = Journal::open(&data_dir, &run_id).map_err(|e| Failure {
            code: 1,
            message: e.to_string(),
            hint: Some("check SMS_INVITE_DATA_DIR".into()),
        })?;
        if !resumed {
            write_run(&j, &org, &template, &run_id, &jobs)?;
        }
        Some(Arc::new(j))
    };
    let mut config = EngineConfig::new(data_dir);
    config.concurrency = usize::from(args.concurrency);
    config.force = args.force;
    config.dry_run = args.dry_run;
    config.cooldown = Duration::from_secs(args.cooldown_hours * 3600);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    let engine = Arc::new(Engine::new(
        client,
        org,
        template,
        config,
        tx,
        cancel.clone(),
    ));
    let task = tokio::spawn({
        let run_id = run_id.clone();
        async move { engine.run(&run_id, jobs, journal).await }
    });
    let mut printer = super::printer::Printer::new(args.json);
    let mut interrupted = false;
    loop {
        tokio::select! {
            event = rx.recv() => match event {
                Some(e) => printer.handle(&e),
                None => break,
            },
            _ = tokio::signal::ctrl_c(), if !interrupted => {
                interrupted = true;
                cancel.cancel();
                eprintln!("\nStopping: contacts in flight finish, the rest are marked not started (resume with --resume {run_id}).");
            }
        }
    }
    let summary: Summary = task.await.map_err(|e| Failure {
        code: 1,
        message: format!("the send task failed: {e}"),
        hint: None,
    })?;
    if let Some(path) = &args.export {
        super::printer::export_csv(path, printer.results(), &run_id).map_err(|e| Failure {
            code: 1,
            message: e,
            hint: None,
        })?;
        eprintln!("Results written to {}", path.display());
    }
    Ok(summary.exit_code())
}

/// Contacts from `--phone` (all must be valid) or `--contacts` (bad rows are reported, good
/// rows go on).
fn read_targets(args: &SendArgs, template: &Template) -> Result<Vec<Target>, Failure> {
    let region = template.region();
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
                    eprintln!("note: {p} is {} again; sent once", n.e164)
                }
                Ok(n) => targets.push(Target::from_phone(&n)),
                Err(e) => bad.push(format!("  - {p:?}: {e}")),
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
        return Ok(targets);
    }
    let Some(path) = &args.contacts else {
        return Err(usage(
            "no contacts given",
            "pass --phone NUMBER (repeatable) or --contacts FILE.csv",
        ));
    };
    let report = if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|e| {
            usage(
                format!("cannot read stdin: {e}"),
                "pipe a list of names and numbers",
            )
        })?;
        import::import_text(&text, region)
    } else {
        let bytes = std::fs::read(path).map_err(|e| {
            usage(
                format!("cannot read {}: {e}", path.display()),
                "check the path",
            )
        })?;
        import::import_csv_bytes(&bytes, region)
    }
    .map_err(|e| {
        usage(
            e.to_string(),
            "the first line must name the columns, e.g. telephone,givenName,familyName",
        )
    })?;
    report_rows(&report);
    if report.contacts.is_empty() {
        return Err(usage(
            "no usable contacts in the input",
            "fix the rows listed above",
        ));
    }
    Ok(report.contacts.iter().map(Contact::to_target).collect())
}

fn report_rows(report: &ImportReport) {
    for e in &report.errors {
        eprintln!("line {}: skipped: {} ({})", e.line, e.reason, e.raw);
    }
    for d in &report.duplicates {
        let lines: Vec<String> = d.lines.iter().map(ToString::to_string).collect();
        eprintln!(
            "{} appears on lines {}; sent once",
            d.e164,
            lines.join(", ")
        );
    }
    if !report.errors.is_empty() || !report.duplicates.is_empty() {
        eprintln!(
            "{} contact(s) to invite, {} row(s) skipped, {} duplicate(s).",
            report.contacts.len(),
            report.errors.len(),
            report.duplicates.len()
        );
    }
}

/// An organization that provably cannot send SMS gets nothing (the platform would store the
/// messages and never deliver them), unless forced.
async fn refuse_without_sms(
    client: &Client,
    org: &crate::api::models::Organization,
    force: bool,
) -> Result<(), Failure> {
    let check = readiness::check_sms(client, org).await;
    match check.verdict {
        Verdict::NotReady if !force => Err(Failure {
            code: 1,
            message: format!("{} cannot send SMS: {}", org.label(), check.detail),
            hint: check.fix.or(Some(
                "`sms-invite check ORG` shows every prerequisite".into(),
            )),
        }),
        Verdict::Unknown => {
            eprintln!(
                "warning: SMS readiness of {} is unknown ({}); sending anyway",
                org.label(),
                check.detail
            );
            Ok(())
        }
        _ => Ok(()),
    }
}

/// A SenderID that some destination countries refuse or rewrite gets a warning per country.
fn warn_sender_countries(template: &Template, jobs: &[Job]) {
    use crate::invite::sender_id::{AlphaSupport, alpha_sender_support};
    let Some(sender) = template.sender() else {
        return;
    };
    let mut regions: Vec<&str> = jobs
        .iter()
        .filter_map(|j| j.target.region.as_deref())
        .collect();
    regions.sort_unstable();
    regions.dedup();
    for r in regions {
        let s = alpha_sender_support(r);
        if s.support != AlphaSupport::Supported {
            eprintln!(
                "warning: SenderID \"{sender}\" for numbers in {r}: {}",
                s.reason
            );
        }
    }
}

/// Asks on the terminal; above 25 contacts the operator types the count.
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
        .map(|s| format!(" from \"{s}\" (one-way)"))
        .unwrap_or_default();
    let expected = if n > 25 {
        n.to_string()
    } else {
        "yes".to_string()
    };
    eprint!(
        "Send {n} SMS invitation(s) (2 SMS each){sender} to contacts of {org}? Type {expected} to send: "
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| usage(format!("cannot read the answer: {e}"), "add --yes"))?;
    Ok(answer.trim().eq_ignore_ascii_case(&expected))
}

fn write_run(
    j: &Journal,
    org: &crate::api::models::Organization,
    template: &Template,
    run_id: &str,
    jobs: &[Job],
) -> Result<(), Failure> {
    let fail = |e: journal::JournalError| Failure {
        code: 1,
        message: e.to_string(),
        hint: Some("check SMS_INVITE_DATA_DIR".into()),
    };
    let toml = template.to_toml().map_err(|e| Failure {
        code: 1,
        message: e.to_string(),
        hint: None,
    })?;
    j.header(&RunHeader {
        run: run_id.to_string(),
        org: org.id.clone(),
        org_name: org.label().to_string(),
        template_hash: template.template_hash(),
        template: toml,
        started_at: chrono::Utc::now(),
        tool: concat!("sms-invite ", env!("CARGO_PKG_VERSION")).to_string(),
    })
    .map_err(fail)?;
    for job in jobs {
        j.target(job.index, &job.target, &job.invite_id)
            .map_err(fail)?;
    }
    Ok(())
}
