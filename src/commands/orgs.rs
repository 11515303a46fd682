//! `sms-invite orgs`: every organization the token sees, with its SMS status.

use std::io::Write;

use serde_json::json;

use super::Failure;
use crate::cli::Global;
use crate::invite::readiness::{self, SmsStatus};

pub async fn run(global: &Global, as_json: bool) -> Result<u8, Failure> {
    let client = super::connect(global).await?.client;
    let list = readiness::overview(&client).await?;
    let mut out = std::io::stdout().lock();
    if as_json {
        for o in &list {
            let mut v = serde_json::to_value(&o.status).unwrap_or_default();
            v["id"] = json!(o.org.id);
            v["name"] = json!(o.org.label());
            v["orgPath"] = json!(o.org.org_path);
            let _ = writeln!(out, "{v}");
        }
        return Ok(0);
    }
    let depth = |o: &readiness::OrgSms| o.org.ancestors().len().saturating_sub(min_depth(&list));
    let width = list
        .iter()
        .map(|o| o.org.label().chars().count() + 2 * depth(o))
        .max()
        .unwrap_or(0)
        .max(12);
    let _ = writeln!(
        out,
        "{:<width$}  {:<24}  {:<9}  DETAIL",
        "ORGANIZATION", "ID", "SMS"
    );
    for o in &list {
        let name = format!("{}{}", "  ".repeat(depth(o)), o.org.label());
        let mark = match o.status {
            SmsStatus::Ready { .. } => "ready",
            SmsStatus::NotReady { .. } => "NOT READY",
            SmsStatus::Unknown { .. } => "unknown",
        };
        let _ = writeln!(
            out,
            "{name:<width$}  {:<24}  {mark:<9}  {}",
            o.org.id,
            o.status.detail()
        );
    }
    let ready = list
        .iter()
        .filter(|o| matches!(o.status, SmsStatus::Ready { .. }))
        .count();
    let _ = writeln!(
        out,
        "\n{ready} of {} organizations can send SMS. `sms-invite check ORG` explains one.",
        list.len()
    );
    Ok(0)
}

fn min_depth(list: &[readiness::OrgSms]) -> usize {
    list.iter()
        .map(|o| o.org.ancestors().len())
        .min()
        .unwrap_or(0)
}
