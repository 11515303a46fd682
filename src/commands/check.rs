//! `sms-invite check ORG`: the readiness report, one line per prerequisite, ready / not ready
//! / unknown, and what to do about each line that is not ready.

use std::io::Write;

use serde_json::json;

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE, Failure, usage};
use crate::cli::{CheckArgs, Global};
use crate::invite::link;
use crate::invite::phone;
use crate::invite::readiness::{self, Action, CheckItem, Report, Subject, Verdict};
use crate::invite::target::Target;
use crate::safe_text::printable;

pub async fn run(global: &Global, args: CheckArgs) -> Result<u8, Failure> {
    let conn = super::connect(global).await?;
    let config_dir = crate::paths::config_dir();
    let mut template = super::load_template(&config_dir, args.template.as_deref())?;
    if let Some(s) = &args.sender_id {
        template.sender_id = s.clone();
    }
    let book = super::link_book(&config_dir)?;
    let org = match super::resolve_org(&conn.client, &args.org).await {
        Ok(org) => Ok(org),
        Err(f) if f.code == super::EXIT_AUTH => return Err(f),
        Err(f) => Err((f.message, f.hint)),
    };
    let region = template.region_for(org.as_ref().ok()).map(str::to_string);
    let mut targets = Vec::new();
    for p in &args.phones {
        let n = phone::normalize(p, region.as_deref()).map_err(|e| {
            usage(
                format!("--phone {p:?}: {e}"),
                "give the number as people type it, e.g. 06 12345678 or +31 6 12345678",
            )
        })?;
        targets.push(Target::from_phone(&n));
    }
    let org_id = org.as_ref().map(|o| o.id.clone()).unwrap_or_default();
    let link = link::choose(args.clp_url.as_deref(), &book, &org_id, &template.clp_url);
    let subject = Subject::for_targets(
        &template,
        &link,
        conn.local_api(),
        &targets,
        org.as_ref().ok(),
    );
    let missing = org.is_err();
    let report = readiness::assess(
        &conn.client,
        &conn.account,
        org.as_ref().map_err(Clone::clone),
        &[],
        &subject,
    )
    .await;
    let mut out = std::io::stdout().lock();
    if args.json {
        for i in &report.items {
            let _ = writeln!(out, "{}", serde_json::to_string(i).unwrap_or_default());
        }
        let _ = writeln!(
            out,
            "{}",
            json!({"summary": true, "organization": report.organization, "ready": report.can_send(),
                   "unknown": report.unknown().count()})
        );
    } else {
        let title = if missing {
            args.org.clone()
        } else {
            report.organization.clone()
        };
        let _ = writeln!(out, "SMS readiness of {}", printable(&title));
        print_report(&mut out, &report);
    }
    Ok(if missing {
        EXIT_USAGE
    } else if report.can_send() {
        EXIT_OK
    } else {
        EXIT_FAILED
    })
}

/// The report's lines as text: `check` prints them on stdout, `send` on stderr.
pub fn print_report(out: &mut dyn Write, report: &Report) {
    for i in &report.items {
        let _ = writeln!(out, "{}", line(i));
        if let Some(fix) = &i.fix
            && i.verdict != Verdict::Ready
        {
            let how = match i.action {
                Some(Action::SetLink) => {
                    ": `sms-invite link ORG URL` saves it (or --clp-url URL for one run)"
                }
                Some(Action::EditTemplate) => " (--template FILE)",
                Some(Action::SignIn) | None => "",
            };
            let _ = writeln!(out, "{:<25} -> {}{how}", "", printable(fix));
        }
    }
    let _ = writeln!(out, "{}", report.conclusion());
}

fn line(i: &CheckItem) -> String {
    let mark = match i.verdict {
        Verdict::Ready => "[ ready ]",
        Verdict::NotReady => "[NOT READY]",
        Verdict::Unknown => "[unknown]",
    };
    format!("{mark:<11} {:<13} {}", i.check, printable(&i.detail))
}
