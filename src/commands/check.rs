//! `sms-invite check ORG`: one line per prerequisite, ready / not ready / unknown, and what to
//! do about each failure.

use std::io::Write;

use serde_json::json;

use super::{Failure, usage};
use crate::cli::{CheckArgs, Global};
use crate::invite::phone;
use crate::invite::readiness::{self, CheckItem, Verdict};

pub async fn run(global: &Global, args: CheckArgs) -> Result<u8, Failure> {
    let client = super::client(global)?;
    let mut template = super::load_template(args.template.as_deref())?;
    if let Some(url) = &args.clp_url {
        template.clp_url = url.clone();
    }
    if let Some(s) = &args.sender_id {
        template.sender_id = s.clone();
    }
    let region = template.region().map(str::to_string);
    let mut regions = Vec::new();
    for p in &args.phones {
        let n = phone::normalize(p, region.as_deref()).map_err(|e| {
            usage(
                format!("--phone {p:?}: {e}"),
                "give the number as people type it, e.g. 06 12345678 or +31 6 12345678",
            )
        })?;
        if let Some(r) = n.region
            && !regions.contains(&r)
        {
            regions.push(r);
        }
    }
    let claims = client.claims();
    let can_refresh = client.credentials().refresh.is_some();
    let mut token = readiness::check_token(claims.as_ref(), can_refresh, chrono::Utc::now());
    // Name the signed-in bot rather than its id; this request also proves the token works.
    if let Some(id) = claims.as_ref().and_then(|c| c.user.clone()) {
        match client.user(&id).await {
            Ok(user) => {
                let name = user.name.clone().unwrap_or_else(|| id.clone());
                token.detail = token.detail.replace(&id, &name);
            }
            Err(e) if e.is_auth() => return Err(e.into()),
            Err(_) => {}
        }
    }
    let mut items: Vec<CheckItem> = vec![token, readiness::check_scope(claims.as_ref())];
    let mut org_name = args.org.clone();
    match super::resolve_org(&client, &args.org).await {
        Ok(org) => {
            org_name = format!("{} ({})", org.label(), org.id);
            items.push(CheckItem {
                check: "organization",
                verdict: Verdict::Ready,
                detail: org_name.clone(),
                fix: None,
            });
            items.push(readiness::check_sms(&client, &org).await);
            if regions.is_empty() {
                regions.extend(
                    org.extra_str("country")
                        .map(str::to_string)
                        .or(region.clone()),
                );
            }
        }
        Err(f) if f.code == 3 => return Err(f),
        Err(f) => items.push(CheckItem {
            check: "organization",
            verdict: Verdict::NotReady,
            detail: f.message,
            fix: f.hint,
        }),
    }
    items.push(readiness::check_template(&template));
    items.push(readiness::check_sender(template.sender(), &regions));
    let ready = items.iter().all(|i| i.verdict == Verdict::Ready);
    let mut out = std::io::stdout().lock();
    if args.json {
        for i in &items {
            let _ = writeln!(out, "{}", serde_json::to_string(i).unwrap_or_default());
        }
        let _ = writeln!(
            out,
            "{}",
            json!({"summary": true, "organization": org_name, "ready": ready})
        );
    } else {
        let _ = writeln!(out, "SMS readiness of {org_name}");
        for i in &items {
            let mark = match i.verdict {
                Verdict::Ready => "[ ready ]",
                Verdict::NotReady => "[NOT READY]",
                Verdict::Unknown => "[unknown]",
            };
            let _ = writeln!(out, "{mark:<11} {:<13} {}", i.check, i.detail);
            if let Some(fix) = &i.fix
                && i.verdict != Verdict::Ready
            {
                let _ = writeln!(out, "{:<25} -> {fix}", "");
            }
        }
        let _ = writeln!(
            out,
            "{}",
            if ready {
                "Ready to send SMS invitations."
            } else {
                "Not ready: see the lines marked above."
            }
        );
    }
    Ok(u8::from(!ready))
}
