//! Is everything ready to send? One report, one list of lines (token, scope, organization,
//! SMS service, template, link address, SenderID), built here and shown in the same words by
//! `check`, `send`, and the TUI's readiness and confirm screens. Sending is refused while any
//! line is "not ready"; a line that could not be verified ("unknown") warns and allows it.
//!
//! Whether an organization can send SMS comes from its `twilio` services and those of its
//! ancestors (a parent's service is taken to cover its children), computed for every
//! organization from two list calls instead of one per organization.

use serde::Serialize;

use super::link::{LinkChoice, LinkSource, check_clp_url};
use super::target::Target;
use super::template::Template;
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

/// The verdict on one prerequisite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Ready,
    NotReady,
    /// Could not be verified: sending is allowed, with a warning.
    Unknown,
}

/// What a front end can offer for a line that is not ready, beside the words of its fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Set the organization's landing-page address.
    SetLink,
    /// Edit the template.
    EditTemplate,
    /// Sign in with another token.
    SignIn,
}

/// One line of the readiness report: what was checked, the verdict, what was found, and what
/// to do about it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CheckItem {
    pub check: &'static str,
    pub verdict: Verdict,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    #[serde(skip)]
    pub action: Option<Action>,
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
        action: None,
    }
}

impl CheckItem {
    fn with_action(mut self, action: Action) -> CheckItem {
        if self.verdict != Verdict::Ready {
            self.action = Some(action);
        }
        self
    }
}

/// Who is signed in, as the report names them.
#[derive(Clone, Debug, Default)]
pub struct Account {
    pub claims: Option<crate::api::Claims>,
    pub can_refresh: bool,
    /// The bot's name from its user record; its id when the record cannot be read.
    pub name: Option<String>,
}

impl Account {
    /// Reads the signed-in user's name; this request also proves the token works, so an
    /// authentication failure is returned, while any other failure only leaves the name out.
    pub async fn of(client: &Client) -> Result<Account, ApiError> {
        let claims = client.claims();
        let can_refresh = client.credentials().refresh.is_some();
        let name = match claims.as_ref().and_then(|c| c.user.clone()) {
            Some(id) => match client.user(&id).await {
                Ok(user) => Some(user.name.unwrap_or(id)),
                Err(e) if e.is_auth() => return Err(e),
                Err(_) => Some(id),
            },
            None => None,
        };
        // A refresh during the request changes the token; report on the current one.
        let claims = client.claims().or(claims);
        Ok(Account {
            claims,
            can_refresh,
            name,
        })
    }
}

/// What a run would send: the template, the link address, and what is known of the contacts.
#[derive(Clone, Debug)]
pub struct Subject<'a> {
    pub template: &'a Template,
    pub link: &'a LinkChoice,
    /// The API is a sandbox on this machine, so a loopback http landing page is acceptable.
    pub local_api: bool,
    /// Columns the contacts have beyond the built-in ones (an imported CSV's extras), which the
    /// template's variables may use.
    pub columns: Vec<String>,
    /// Destination countries of the contacts (ISO codes), for the SenderID.
    pub regions: Vec<String>,
}

/// What the readiness rules need to know of a batch's contacts: their extra columns and
/// their countries. Small, so a front end hands this around rather than the contacts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recipients {
    pub columns: Vec<String>,
    /// Sorted, each once.
    pub regions: Vec<String>,
}

impl Recipients {
    pub fn of<'t>(targets: impl IntoIterator<Item = &'t Target>) -> Recipients {
        let mut columns: Vec<String> = Vec::new();
        let mut regions: std::collections::BTreeSet<&str> = Default::default();
        for t in targets {
            for k in t.extra.keys() {
                if !columns.contains(k) {
                    columns.push(k.clone());
                }
            }
            if let Some(r) = &t.region {
                regions.insert(r);
            }
        }
        Recipients {
            columns,
            regions: regions.into_iter().map(str::to_string).collect(),
        }
    }
}

impl<'a> Subject<'a> {
    /// The subject for these contacts: their extra columns and their countries, or the
    /// organization's country when no contact is known yet.
    pub fn for_targets<'t>(
        template: &'a Template,
        link: &'a LinkChoice,
        local_api: bool,
        targets: impl IntoIterator<Item = &'t Target>,
        org: Option<&Organization>,
    ) -> Subject<'a> {
        Subject::for_recipients(template, link, local_api, Recipients::of(targets), org)
    }

    /// [`Subject::for_targets`] from what was already gathered of the contacts.
    pub fn for_recipients(
        template: &'a Template,
        link: &'a LinkChoice,
        local_api: bool,
        recipients: Recipients,
        org: Option<&Organization>,
    ) -> Subject<'a> {
        let Recipients {
            columns,
            mut regions,
        } = recipients;
        if regions.is_empty() {
            regions.extend(template.region_for(org).map(str::to_string));
        }
        Subject {
            template,
            link,
            local_api,
            columns,
            regions,
        }
    }
}

/// The organization as far as the report knows it.
#[derive(Clone, Debug)]
pub enum OrgFinding {
    /// Found, with its SMS line (already checked against its services).
    Found {
        org: Box<Organization>,
        sms: CheckItem,
    },
    /// Not found or not visible: what happened and what to do.
    Missing {
        message: String,
        hint: Option<String>,
    },
}

/// The readiness report: one list of lines that `check`, `send`, the TUI's readiness screen
/// and its confirm screen all show, in the same words.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// "Acme Holding (5f00…)", or the name as given when it was not found.
    pub organization: String,
    pub items: Vec<CheckItem>,
}

impl Report {
    /// The lines that stop a send.
    pub fn blocking(&self) -> impl Iterator<Item = &CheckItem> {
        self.items.iter().filter(|i| i.verdict == Verdict::NotReady)
    }

    /// The lines that could not be verified: sending is allowed, with a warning.
    pub fn unknown(&self) -> impl Iterator<Item = &CheckItem> {
        self.items.iter().filter(|i| i.verdict == Verdict::Unknown)
    }

    /// Sending is allowed: no line is "not ready".
    pub fn can_send(&self) -> bool {
        self.blocking().next().is_none()
    }

    /// The closing sentence every front end prints under the lines.
    pub fn conclusion(&self) -> String {
        let blocking = self.blocking().count();
        let unknown = self.unknown().count();
        match (blocking, unknown) {
            (0, 0) => "Ready to send SMS invitations.".into(),
            (0, n) => format!(
                "Ready to send, but {n} line(s) could not be verified: see the lines marked unknown."
            ),
            (n, _) => format!("Not ready: {n} line(s) must be fixed before anything is sent."),
        }
    }

    /// "sms service: no twilio …; link: …", for one-line refusals.
    pub fn blocking_summary(&self) -> String {
        self.blocking()
            .map(|i| format!("{}: {}", i.check, i.detail))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Builds the report from what is known; no requests. `now` decides token expiry.
pub fn report(
    account: &Account,
    org: &OrgFinding,
    subject: &Subject<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Report {
    let mut items = vec![
        check_token(account, now),
        check_scope(account.claims.as_ref()),
    ];
    let organization = match org {
        OrgFinding::Found { org, sms } => {
            let name = format!("{} ({})", org.label(), org.id);
            items.push(item("organization", Verdict::Ready, name.clone(), None));
            items.push(sms.clone());
            name
        }
        OrgFinding::Missing { message, hint } => {
            items.push(CheckItem {
                check: "organization",
                verdict: Verdict::NotReady,
                detail: message.clone(),
                fix: hint.clone(),
                action: None,
            });
            String::new()
        }
    };
    let org_name = match org {
        OrgFinding::Found { org, .. } => org.label().to_string(),
        OrgFinding::Missing { .. } => "this organization".to_string(),
    };
    items.push(check_template(subject.template, &subject.columns));
    items.push(check_link(subject.link, &org_name, subject.local_api));
    items.push(check_sender(subject.template.sender(), &subject.regions));
    Report {
        organization,
        items,
    }
}

/// The whole report for an organization: the SMS line costs one request (two when the
/// service is a parent's whose name the caller does not know).
pub async fn assess(
    client: &Client,
    account: &Account,
    org: Result<&Organization, (String, Option<String>)>,
    known_orgs: &[Organization],
    subject: &Subject<'_>,
) -> Report {
    let finding = match org {
        Ok(org) => OrgFinding::Found {
            org: Box::new(org.clone()),
            sms: check_sms(client, org, known_orgs).await,
        },
        Err((message, hint)) => OrgFinding::Missing { message, hint },
    };
    report(account, &finding, subject, chrono::Utc::now())
}

/// Token: valid, about to expire, renewable; named by the bot's name.
pub fn check_token(account: &Account, now: chrono::DateTime<chrono::Utc>) -> CheckItem {
    let Some(c) = &account.claims else {
        return item(
            "token",
            Verdict::NotReady,
            "the token cannot be read",
            Some("sign in with a new token"),
        )
        .with_action(Action::SignIn);
    };
    let who = account
        .name
        .as_deref()
        .or(c.user.as_deref())
        .unwrap_or("unknown user");
    let can_refresh = account.can_refresh;
    let when = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
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
            format!(
                "{who}: expired at {}; it is renewed with the refresh token",
                when(exp)
            ),
            None,
        ),
        Some(exp) if exp <= now => item(
            "token",
            Verdict::NotReady,
            format!("{who}: expired at {}", when(exp)),
            Some(
                "get a new token, or set SMS_INVITE_REFRESH_TOKEN and SMS_INVITE_EMAIL so it renews itself",
            ),
        )
        .with_action(Action::SignIn),
        Some(exp) if exp - now < chrono::Duration::hours(1) && !can_refresh => item(
            "token",
            Verdict::Ready,
            format!(
                "valid for {who} but expires in {} min, without a way to renew it",
                (exp - now).num_minutes()
            ),
            Some(
                "set SMS_INVITE_REFRESH_TOKEN and SMS_INVITE_EMAIL so a long batch does not stop halfway",
            ),
        ),
        Some(exp) => item(
            "token",
            Verdict::Ready,
            format!(
                "valid for {who} until {}{}",
                when(exp),
                if can_refresh { "; renewable" } else { "" }
            ),
            None,
        ),
    }
}

/// Scope: sending needs agent or bot; checking the SMS service needs admin (it lists
/// services), so without admin the SMS line cannot be verified.
pub fn check_scope(claims: Option<&crate::api::Claims>) -> CheckItem {
    let scope = claims.and_then(|c| c.scope.clone()).unwrap_or_default();
    let has = |s: &str| claims.is_some_and(|c| c.has_scope(s));
    if has("admin") {
        item(
            "scope",
            Verdict::Ready,
            format!("\"{scope}\": can check the SMS service and send"),
            None,
        )
    } else if has("bot") || has("agent") {
        item(
            "scope",
            Verdict::Unknown,
            format!(
                "\"{scope}\": can send, but cannot list services, so the SMS service cannot be verified"
            ),
            Some("use an admin-scoped bot token to verify the SMS service"),
        )
    } else {
        item(
            "scope",
            Verdict::NotReady,
            format!("\"{scope}\": cannot look up or invite contacts"),
            Some("use a bot token with admin scope"),
        )
        .with_action(Action::SignIn)
    }
}

/// The SMS service of `org` or an ancestor, from a single request; a parent's service is named
/// by the parent's name (from `known_orgs`, else one more request).
pub async fn check_sms(
    client: &Client,
    org: &Organization,
    known_orgs: &[Organization],
) -> CheckItem {
    let mut chain: Vec<String> = org.ancestors().into_iter().map(str::to_string).collect();
    chain.push(org.id.clone());
    let q = Query::new()
        .eq("type", "twilio")
        .any_of("organization", &chain);
    let services = match client.services(&q, 1000).await {
        Ok(s) => s,
        Err(e) if e.kind == ErrorKind::Forbidden => {
            return item(
                "sms service",
                Verdict::Unknown,
                "the token may not list services, so the SMS service cannot be verified",
                Some("run the check with an admin-scoped token"),
            );
        }
        Err(e) => {
            return item(
                "sms service",
                Verdict::Unknown,
                format!("could not be checked: {e}"),
                Some(e.hint()),
            );
        }
    };
    let mut orgs: Vec<Organization> = known_orgs.to_vec();
    if !orgs.iter().any(|o| o.id == org.id) {
        orgs.push(org.clone());
    }
    if let SmsStatus::Ready { via, .. } = status_of(org, &orgs, Ok(&services))
        && !orgs.iter().any(|o| o.id == via)
        && let Ok(parent) = client.organization(&via).await
    {
        orgs.push(parent);
    }
    sms_item(&status_of(org, &orgs, Ok(&services)))
}

/// The SMS line for a status computed elsewhere (the organizations overview).
pub fn sms_item(status: &SmsStatus) -> CheckItem {
    match status {
        SmsStatus::Ready { .. } => item("sms service", Verdict::Ready, status.detail(), None),
        SmsStatus::NotReady { reason } => item(
            "sms service",
            Verdict::NotReady,
            reason.clone(),
            Some(
                "an admin adds or enables the Twilio SMS integration of this organization (or a parent)",
            ),
        ),
        SmsStatus::Unknown { reason } => {
            item("sms service", Verdict::Unknown, reason.clone(), None)
        }
    }
}

/// Template: every problem, with the contacts' columns as known variables.
pub fn check_template(template: &Template, columns: &[String]) -> CheckItem {
    let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
    match template.validate(&columns) {
        Ok(()) => {
            let warnings = template.warnings();
            let mut detail = format!("\"{}\" is valid", template.name);
            if !warnings.is_empty() {
                detail.push_str("; ");
                detail.push_str(&warnings.join("; "));
            }
            item("template", Verdict::Ready, detail, None)
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
            Some("edit the template"),
        )
        .with_action(Action::EditTemplate),
    }
}

/// The link address: which one a run uses, where it came from, and whether it can be used.
pub fn check_link(link: &LinkChoice, org_name: &str, local_api: bool) -> CheckItem {
    if link.source == LinkSource::None {
        return item(
            "link",
            Verdict::NotReady,
            format!("no landing-page address for {org_name}"),
            Some("save the address of the organization's Conversational Landing Page"),
        )
        .with_action(Action::SetLink);
    }
    match check_clp_url(&link.url, local_api) {
        Ok(url) => item(
            "link",
            Verdict::Ready,
            format!("{url} ({})", link.origin(org_name)),
            None,
        ),
        Err(why) => item(
            "link",
            Verdict::NotReady,
            format!(
                "{} ({}) cannot be used: {why}",
                link.url,
                link.origin(org_name)
            ),
            Some("save a correct address for the organization"),
        )
        .with_action(Action::SetLink),
    }
}

/// SenderID against the destination countries.
pub fn check_sender(sender: Option<&str>, regions: &[String]) -> CheckItem {
    let Some(sender) = sender else {
        return item(
            "sender id",
            Verdict::Ready,
            "none: the SMS comes from the service's number and contacts can reply",
            None,
        );
    };
    let (bad, notes) = sender_country_notes(regions);
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
            Some("remove the SenderID for these numbers"),
        )
        .with_action(Action::EditTemplate);
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

/// Per destination country: where an alphanumeric SenderID is refused, and where it needs
/// registration first.
pub fn sender_country_notes(regions: &[String]) -> (Vec<String>, Vec<String>) {
    use crate::invite::sender_id::{AlphaSupport, alpha_sender_support};
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
    (bad, notes)
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
