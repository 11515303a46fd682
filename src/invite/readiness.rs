//! Can an organization send SMS? The answer comes from its `twilio` services and those of its
//! ancestors (the sandbox's assumption for the unknown §10.8: a parent's service covers its
//! children), computed for every organization from two list calls instead of one per org.

use serde::Serialize;

use crate::api::models::{Organization, Service};
use crate::api::{ApiError, Client, ErrorKind, Query};

/// The SMS status of one organization.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "sms", rename_all = "snake_case")]
pub enum SmsStatus {
    /// An active `twilio` service in `via` (the organization itself or an ancestor).
    Ready {
        via: String,
        via_name: String,
        inherited: bool,
    },
    NotReady {
        reason: String,
    },
    /// Could not be determined (e.g. the token may not list services).
    Unknown {
        reason: String,
    },
}

impl SmsStatus {
    pub fn label(&self) -> &'static str {
        match self {
            SmsStatus::Ready { .. } => "ready",
            SmsStatus::NotReady { .. } => "not ready",
            SmsStatus::Unknown { .. } => "unknown",
        }
    }

    pub fn detail(&self) -> String {
        match self {
            SmsStatus::Ready {
                via_name,
                inherited: false,
                ..
            } => format!("own twilio service ({via_name})"),
            SmsStatus::Ready {
                via_name,
                inherited: true,
                ..
            } => format!("via parent's twilio service ({via_name})"),
            SmsStatus::NotReady { reason } | SmsStatus::Unknown { reason } => reason.clone(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct OrgSms {
    pub org: Organization,
    pub status: SmsStatus,
}

/// Decides each organization's status from the twilio services the token can see.
/// `services` is `None` when they could not be listed; `why` says why.
pub fn sms_status(orgs: &[Organization], services: Result<&[Service], &str>) -> Vec<OrgSms> {
    orgs.iter()
        .map(|org| OrgSms {
            org: org.clone(),
            status: status_of(org, orgs, services),
        })
        .collect()
}

fn status_of(
    org: &Organization,
    orgs: &[Organization],
    services: Result<&[Service], &str>,
) -> SmsStatus {
    let services = match services {
        Ok(s) => s,
        Err(why) => {
            return SmsStatus::Unknown {
                reason: why.to_string(),
            };
        }
    };
    let mut chain: Vec<&str> = org.ancestors();
    chain.push(&org.id);
    chain.reverse();
    let mut disabled = None;
    for (depth, id) in chain.iter().enumerate() {
        let twilio = services.iter().filter(|s| {
            s.organization.as_deref() == Some(id) && s.kind.as_deref() == Some("twilio")
        });
        for s in twilio {
            if s.is_active() {
                let via_name = orgs
                    .iter()
                    .find(|o| o.id == *id)
                    .map(|o| o.label().to_string())
                    .unwrap_or_else(|| id.to_string());
                return SmsStatus::Ready {
                    via: id.to_string(),
                    via_name,
                    inherited: depth > 0,
                };
            }
            disabled.get_or_insert_with(|| s.name.clone().unwrap_or_else(|| s.id.clone()));
        }
    }
    match disabled {
        Some(name) => SmsStatus::NotReady {
            reason: format!("its twilio service \"{name}\" is disabled; enable it in the platform's integrations"),
        },
        None => SmsStatus::NotReady {
            reason: "no twilio (SMS) service in this organization or its parents; ask an admin to add the SMS integration".to_string(),
        },
    }
}

/// Every organization the token sees with its SMS status, in two paged list calls.
pub async fn overview(client: &Client) -> Result<Vec<OrgSms>, ApiError> {
    let orgs = client
        .organizations(&Query::new().sort("orgPath"), 100_000)
        .await?;
    let services = client
        .services(&Query::new().eq("type", "twilio"), 100_000)
        .await;
    Ok(match services {
        Ok(s) => sms_status(&orgs, Ok(&s)),
        Err(e) if e.kind == ErrorKind::Forbidden => sms_status(
            &orgs,
            Err("the token may not list services (needs admin scope), so SMS status is unknown"),
        ),
        Err(e) => return Err(e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn org(id: &str, path: &str) -> Organization {
        serde_json::from_value(json!({"id": id, "displayName": id.to_uppercase(), "orgPath": path}))
            .unwrap()
    }

    fn svc(org: &str, enabled: bool) -> Service {
        serde_json::from_value(json!({"id": format!("s-{org}"), "organization": org, "type": "twilio", "name": "SMS", "enabled": enabled})).unwrap()
    }

    #[test]
    fn own_inherited_disabled_and_missing() {
        let orgs = vec![
            org("r", "r"),
            org("h", "r#h"),
            org("a", "r#h#a"),
            org("d", "r#d"),
            org("n", "r#n"),
        ];
        let services = vec![svc("h", true), svc("d", false)];
        let st = sms_status(&orgs, Ok(&services));
        let by = |id: &str| st.iter().find(|o| o.org.id == id).unwrap().status.clone();
        assert!(matches!(
            by("h"),
            SmsStatus::Ready {
                inherited: false,
                ..
            }
        ));
        assert!(matches!(by("a"), SmsStatus::Ready { ref via, inherited: true, .. } if via == "h"));
        assert!(
            matches!(by("d"), SmsStatus::NotReady { ref reason } if reason.contains("disabled"))
        );
        assert!(
            matches!(by("n"), SmsStatus::NotReady { ref reason } if reason.contains("no twilio"))
        );
        assert!(matches!(by("r"), SmsStatus::NotReady { .. }));
    }

    #[test]
    fn unknown_without_services() {
        let st = sms_status(&[org("r", "r")], Err("no admin"));
        assert_eq!(st[0].status.label(), "unknown");
    }
}

/// The verdict on one prerequisite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Ready,
    NotReady,
    Unknown,
}

/// One line of `check`: what was checked, the verdict, what was found, and what to do.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CheckItem {
    pub check: &'static str,
    pub verdict: Verdict,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

fn item(
    check: &'static str,
    verdict: Verdict,
    detail: impl Into<String>,
    fix: Option<&str>,
) -> CheckItem {
    CheckItem {
        check,
        verdict,
        detail: detail.into(),
        fix: fix.map(str::to_string),
    }
}

/// Token: valid, not about to expire, renewable.
pub fn check_token(
    claims: Option<&crate::api::Claims>,
    can_refresh: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> CheckItem {
    let Some(c) = claims else {
        return item(
            "token",
            Verdict::NotReady,
            "the token cannot be read",
            Some("sign in with a new token"),
        );
    };
    let who = c.user.as_deref().unwrap_or("unknown user");
    match c.expires_at() {
        None => item(
            "token",
            Verdict::Ready,
            format!("valid for {who}; does not expire"),
            None,
        ),
        Some(exp) if exp <= now && can_refresh => item(
            "token",
            Verdict::Ready,
            format!("expired at {exp}; it is renewed with the refresh token"),
            None,
        ),
        Some(exp) if exp <= now => item(
            "token",
            Verdict::NotReady,
            format!("expired at {exp}"),
            Some(
                "get a new token, or set SMS_INVITE_REFRESH_TOKEN and SMS_INVITE_EMAIL so it renews itself",
            ),
        ),
        Some(exp) if exp - now < chrono::Duration::hours(1) && !can_refresh => item(
            "token",
            Verdict::Ready,
            format!(
                "valid for {who} but expires in {} min",
                (exp - now).num_minutes()
            ),
            Some(
                "set SMS_INVITE_REFRESH_TOKEN and SMS_INVITE_EMAIL so a long batch does not stop halfway",
            ),
        ),
        Some(exp) => item(
            "token",
            Verdict::Ready,
            format!("valid for {who} until {exp}"),
            None,
        ),
    }
}

/// Scope: sending needs agent or bot; the SMS check needs admin (§2.5).
pub fn check_scope(claims: Option<&crate::api::Claims>) -> CheckItem {
    let scope = claims.and_then(|c| c.scope.clone()).unwrap_or_default();
    let has = |s: &str| claims.is_some_and(|c| c.has_scope(s));
    if has("admin") {
        item(
            "scope",
            Verdict::Ready,
            format!("\"{scope}\" (admin can check services and send)"),
            None,
        )
    } else if has("bot") || has("agent") {
        item(
            "scope",
            Verdict::NotReady,
            format!(
                "\"{scope}\": can send, but cannot list services, so SMS readiness cannot be verified"
            ),
            Some("use an admin-scoped bot token"),
        )
    } else {
        item(
            "scope",
            Verdict::NotReady,
            format!("\"{scope}\": cannot look up or invite contacts"),
            Some("use a bot token with admin scope"),
        )
    }
}

/// The SMS service of `org` or an ancestor, from a single request.
pub async fn check_sms(client: &Client, org: &Organization) -> CheckItem {
    let mut chain: Vec<String> = org.ancestors().into_iter().map(str::to_string).collect();
    chain.push(org.id.clone());
    let q = Query::new()
        .eq("type", "twilio")
        .any_of("organization", &chain);
    match client.services(&q, 1000).await {
        Ok(services) => {
            let orgs = [org.clone()];
            let status = status_of(org, &orgs, Ok(&services));
            match status {
                SmsStatus::Ready { via, inherited, .. } if inherited => item(
                    "sms service",
                    Verdict::Ready,
                    format!("active twilio service in parent organization {via}"),
                    None,
                ),
                SmsStatus::Ready { .. } => item(
                    "sms service",
                    Verdict::Ready,
                    "active twilio service in this organization",
                    None,
                ),
                SmsStatus::NotReady { reason } => item(
                    "sms service",
                    Verdict::NotReady,
                    reason,
                    Some(
                        "an admin adds or enables the Twilio SMS integration of this organization (or a parent)",
                    ),
                ),
                SmsStatus::Unknown { reason } => {
                    item("sms service", Verdict::Unknown, reason, None)
                }
            }
        }
        Err(e) if e.kind == ErrorKind::Forbidden => item(
            "sms service",
            Verdict::Unknown,
            "the token may not list services",
            Some("run the check with an admin-scoped token"),
        ),
        Err(e) => item(
            "sms service",
            Verdict::Unknown,
            e.to_string(),
            Some(e.hint()),
        ),
    }
}

/// Template: every problem, not just the first.
pub fn check_template(template: &crate::invite::template::Template) -> CheckItem {
    match template.validate(&[]) {
        Ok(()) => {
            let warnings = template.warnings();
            if warnings.is_empty() {
                item(
                    "template",
                    Verdict::Ready,
                    format!("\"{}\" is valid", template.name),
                    None,
                )
            } else {
                item(
                    "template",
                    Verdict::Ready,
                    format!("\"{}\" is valid; {}", template.name, warnings.join("; ")),
                    None,
                )
            }
        }
        Err(problems) => item(
            "template",
            Verdict::NotReady,
            problems
                .0
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("; "),
            Some("edit the template (--template FILE), or pass --clp-url / --sender-id"),
        ),
    }
}

/// SenderID against the destination countries.
pub fn check_sender(sender: Option<&str>, regions: &[String]) -> CheckItem {
    use crate::invite::sender_id::{AlphaSupport, alpha_sender_support};
    let Some(sender) = sender else {
        return item(
            "sender id",
            Verdict::Ready,
            "none: the SMS comes from the service's number and contacts can reply",
            None,
        );
    };
    let mut bad = Vec::new();
    let mut notes = Vec::new();
    for r in regions {
        let s = alpha_sender_support(r);
        match s.support {
            AlphaSupport::Supported => {}
            AlphaSupport::NeedsRegistration => notes.push(format!("{r}: {}", s.reason)),
            AlphaSupport::NotSupported => bad.push(format!("{r}: {}", s.reason)),
        }
    }
    let countries = if regions.is_empty() {
        "no destination given".to_string()
    } else {
        regions.join(", ")
    };
    if !bad.is_empty() {
        return item(
            "sender id",
            Verdict::NotReady,
            format!("\"{sender}\" for {countries}: {}", bad.join("; ")),
            Some("remove the SenderID (--sender-id \"\") for these numbers"),
        );
    }
    let mut detail =
        format!("\"{sender}\" for {countries} (one-way: contacts cannot reply, only tap the link)");
    if !notes.is_empty() {
        detail.push_str("; ");
        detail.push_str(&notes.join("; "));
    }
    item(
        "sender id",
        if notes.is_empty() {
            Verdict::Ready
        } else {
            Verdict::Unknown
        },
        detail,
        None,
    )
}
