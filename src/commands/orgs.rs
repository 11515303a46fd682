//! `sms-invite orgs`: every organization the token sees, with its SMS status.
//!
//! Names come from the platform, where anyone who may rename an organization can put terminal
//! control sequences in them, so the table shows them through [`printable`]; `--json` keeps them
//! exact, since JSON escapes control characters itself. Output stops early once stdout is gone
//! (`sms-invite orgs | head`, see [`crate::output`]): nothing is left to do for a reader that has left.

use serde_json::json;

use super::{EXIT_OK, Failure};
use crate::cli::Global;
use crate::invite::readiness::{self, OrgSms, SmsStatus};
use crate::out;
use crate::safe_text::printable;

pub async fn run(global: &Global, as_json: bool) -> Result<u8, Failure> {
    let client = super::connect(global).await?.client;
    let list = readiness::overview(&client).await?;
    if as_json {
        print_json(&list);
    } else {
        print_table(&list);
    }
    Ok(EXIT_OK)
}

fn print_json(list: &[OrgSms]) {
    for o in list {
        let mut v = serde_json::to_value(&o.status).unwrap_or_default();
        v["id"] = json!(o.org.id);
        v["name"] = json!(o.org.label());
        v["orgPath"] = json!(o.org.org_path);
        if !out!("{v}") {
            return;
        }
    }
}

/// One row per organization, indented by its depth below the shallowest one listed.
fn print_table(list: &[OrgSms]) {
    let rows: Vec<Row<'_>> = rows(list);
    let width = rows
        .iter()
        .map(|r| r.name.chars().count() + 2 * r.depth)
        .max()
        .unwrap_or(0)
        .max(12);
    out!(
        "{:<width$}  {:<24}  {:<9}  DETAIL",
        "ORGANIZATION",
        "ID",
        "SMS"
    );
    for (o, r) in list.iter().zip(&rows) {
        let name = format!("{}{}", "  ".repeat(r.depth), r.name);
        let mark = match o.status {
            SmsStatus::Ready { .. } => "ready",
            SmsStatus::NotReady { .. } => "NOT READY",
            SmsStatus::Unknown { .. } => "unknown",
        };
        let written = out!(
            "{name:<width$}  {:<24}  {mark:<9}  {}",
            printable(&o.org.id),
            printable(&o.status.detail())
        );
        if !written {
            return;
        }
    }
    let ready = list
        .iter()
        .filter(|o| matches!(o.status, SmsStatus::Ready { .. }))
        .count();
    out!(
        "\n{ready} of {} organizations can send SMS. `sms-invite check ORG` explains one.",
        list.len()
    );
}

/// What a table row needs, computed once per organization: the depth used to be recomputed
/// against every other organization for every row, which took minutes for 20,000 of them.
struct Row<'a> {
    name: std::borrow::Cow<'a, str>,
    depth: usize,
}

fn rows(list: &[OrgSms]) -> Vec<Row<'_>> {
    let depths: Vec<usize> = list.iter().map(|o| o.org.ancestors().len()).collect();
    let top = depths.iter().copied().min().unwrap_or(0);
    list.iter()
        .zip(depths)
        .map(|(o, d)| Row {
            name: printable(o.org.label()),
            depth: d - top,
        })
        .collect()
}
